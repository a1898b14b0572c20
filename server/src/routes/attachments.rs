//! Sealed evidence: resumable chunked upload by the worker (authorised by the report's mailbox
//! token) and download by an organisation that holds the report.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use workvoice_proto::api::RelayErrorCode;
use workvoice_proto::api::UploadProgress;
use workvoice_proto::keys::{AttachmentId, ReportId};
use workvoice_proto::recovery::{mailbox_token_hash, parse_mailbox_token};

use super::Path;
use super::org::OrgCaller;
use crate::error::{ApiFailure, read_body, require_content_type};
use crate::state::AppState;
use crate::storage::{AttachmentRow, ChunkOutcome};

#[derive(Debug, Deserialize)]
pub struct UploadQuery {
    pub offset: u64,
}

fn unknown_submission() -> ApiFailure {
    ApiFailure::new(
        RelayErrorCode::UnknownSubmission,
        "no such submission for this token",
    )
}

fn unknown_attachment() -> ApiFailure {
    ApiFailure::new(
        RelayErrorCode::UnknownAttachment,
        "no such attachment was declared",
    )
}

/// The submission and attachment named in the path, if the bearer holds its mailbox token.
async fn authorise_upload(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    attachment: &str,
) -> Result<(ReportId, AttachmentId), ApiFailure> {
    let token = super::bearer(headers)
        .and_then(parse_mailbox_token)
        .ok_or_else(ApiFailure::unauthorized)?;
    let mailbox = state
        .storage
        .mailbox(&mailbox_token_hash(&token).0)
        .await?
        .ok_or_else(ApiFailure::unauthorized)?;
    let report = ReportId::from_hex(id).ok_or_else(unknown_submission)?;
    if mailbox.report_id != report.to_hex() {
        return Err(unknown_submission());
    }
    let attachment = AttachmentId::from_hex(attachment).ok_or_else(unknown_attachment)?;
    Ok((report, attachment))
}

fn progress(a: &AttachmentRow) -> UploadProgress {
    UploadProgress {
        received: a.received,
        size: a.size,
        complete: a.complete,
    }
}

pub async fn get_upload(
    State(state): State<AppState>,
    Path((id, attachment)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<UploadProgress>, ApiFailure> {
    let (report, attachment) = authorise_upload(&state, &headers, &id, &attachment).await?;
    let row = state
        .storage
        .attachment(&report, &attachment.to_hex())
        .await?
        .ok_or_else(unknown_attachment)?;
    Ok(Json(progress(&row)))
}

pub async fn put_chunk(
    State(state): State<AppState>,
    Path((id, attachment)): Path<(String, String)>,
    q: Result<Query<UploadQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<UploadProgress>, ApiFailure> {
    let (report, attachment) = authorise_upload(&state, &headers, &id, &attachment).await?;
    let q = super::query(q)?;
    require_content_type(&headers, "application/octet-stream")?;
    let bytes = read_body(body)?;
    if !bytes.is_empty() && state.storage_full().await? {
        return Err(ApiFailure::storage_full());
    }
    let outcome = state
        .storage
        .append_chunk(&report, &attachment.to_hex(), q.offset, &bytes)
        .await?;
    match outcome {
        ChunkOutcome::Progress { received, complete } => {
            let row = state
                .storage
                .attachment(&report, &attachment.to_hex())
                .await?
                .ok_or_else(unknown_attachment)?;
            Ok(Json(UploadProgress {
                received,
                size: row.size,
                complete,
            }))
        }
        ChunkOutcome::OffsetMismatch { received } => Err(ApiFailure::new(
            RelayErrorCode::UploadOffsetMismatch,
            format!("the next chunk starts at offset {received}"),
        )),
        ChunkOutcome::TooLarge => Err(ApiFailure::new(
            RelayErrorCode::AttachmentSizeExceeded,
            "the chunk goes past the declared size",
        )),
        ChunkOutcome::DigestMismatch => Err(ApiFailure::new(
            RelayErrorCode::AttachmentDigestMismatch,
            "the uploaded bytes do not match the declared SHA-256 and size; nothing was kept",
        )),
        ChunkOutcome::NotFound => Err(unknown_attachment()),
    }
}

pub async fn get_attachment(
    State(state): State<AppState>,
    caller: OrgCaller,
    Path((report, attachment)): Path<(String, String)>,
) -> Result<Response, ApiFailure> {
    let report = super::org::report_in_inbox(&state, &caller, &report).await?;
    let attachment = AttachmentId::from_hex(&attachment).ok_or_else(unknown_attachment)?;
    let row = state
        .storage
        .attachment(&report, &attachment.to_hex())
        .await?
        .ok_or_else(unknown_attachment)?;
    if !row.complete {
        return Err(ApiFailure::new(
            RelayErrorCode::AttachmentIncomplete,
            "the attachment has not been fully uploaded yet",
        ));
    }
    let bytes = state
        .storage
        .attachment_bytes(&report, &attachment.to_hex())
        .await?;
    Ok((
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        )],
        bytes,
    )
        .into_response())
}
