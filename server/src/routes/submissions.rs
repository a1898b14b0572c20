//! `POST /v1/submissions`: verify, store the ciphertext once and deliver to every recipient's
//! inbox in one transaction. Idempotent by submission id.

use std::collections::BTreeSet;
use workvoice_proto::api::RelayErrorCode;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use workvoice_proto::api::{
    SUBMISSION_BINARY_TYPE, SUBMISSION_JSON_TYPE, SubmissionAccepted, SubmissionRequest,
};
use workvoice_proto::attachment::max_sealed_len;
use workvoice_proto::directory::{Listing, OrgKind, revoked_keys, untrusted_near};
use workvoice_proto::envelope::EnvelopeHeader;
use workvoice_proto::keys::{OrgId, sha256};
use workvoice_proto::pow::verify_pow;
use workvoice_proto::report::MAX_ATTACHMENTS;
use workvoice_proto::routing::{Route, check_delivery, route};

use crate::domain::{hour_of, unix_now};
use crate::error::{ApiFailure, json_body, read_body};
use crate::state::{AppState, CurrentDirectory};
use crate::storage::{NewAttachment, NewSubmission, StoreOutcome};

pub const SUBMISSIONS_METRIC: &str = "workvoice_submissions_total";

pub async fn post_submission(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match submit(&state, &headers, body).await {
        Ok((status, accepted)) => {
            let outcome = if status == StatusCode::CREATED {
                "accepted"
            } else {
                "replayed"
            };
            state
                .metrics
                .inc(SUBMISSIONS_METRIC, &[("outcome", outcome), ("reason", "")]);
            (status, Json(accepted)).into_response()
        }
        Err(failure) => {
            state.metrics.inc(
                SUBMISSIONS_METRIC,
                &[("outcome", "refused"), ("reason", failure.code())],
            );
            failure.into_response()
        }
    }
}

fn replay(
    stored_hash: &[u8],
    response: &str,
    request_hash: &[u8; 32],
) -> Result<(StatusCode, SubmissionAccepted), ApiFailure> {
    if stored_hash != request_hash {
        return Err(ApiFailure::new(
            RelayErrorCode::SubmissionConflict,
            "a different submission was already accepted under this id",
        ));
    }
    let accepted: SubmissionAccepted =
        serde_json::from_str(response).map_err(ApiFailure::internal)?;
    Ok((StatusCode::OK, accepted))
}

/// A submission sealed to fewer organisations than its route: allowed only when each one left
/// out has a key that is not trusted at the relay's clock, give or take the clock skew
/// (`PROTOCOL.md` 11.3). Without a root key nothing can be checked, so nothing may be left out.
fn check_partial_delivery(
    state: &AppState,
    listing: &Listing,
    routed: &Route,
    sealed_to: &BTreeSet<OrgId>,
) -> Result<(), ApiFailure> {
    let mismatch = || {
        ApiFailure::new(
            RelayErrorCode::RecipientsMismatch,
            "the envelope's recipients are not those the routing rules choose",
        )
    };
    let Some(root) = state.settings.root_key().ok().flatten() else {
        return Err(mismatch());
    };
    let revoked = revoked_keys(listing, &root).map_err(|_| mismatch())?;
    let now = unix_now();
    let untrusted = |id: &OrgId| {
        listing
            .organisation(id)
            .and_then(|org| untrusted_near(org, &root, now, &revoked))
    };
    check_delivery(routed, sealed_to, untrusted)
        .map(|_| ())
        .map_err(|e| ApiFailure::from_code(StatusCode::UNPROCESSABLE_ENTITY, &e))
}

fn stale(current: &CurrentDirectory) -> ApiFailure {
    let mut f = ApiFailure::new(
        RelayErrorCode::StaleDirectory,
        format!(
            "the recipients were chosen with an old directory; fetch version {} and route again",
            current.version
        ),
    );
    f.directory_version = Some(current.version);
    f
}

/// The request, from a JSON body or a binary one (`PROTOCOL.md` 14.9), chosen by the content
/// type. Either is read in full before any check of its members, which run alike for both.
fn submission_body(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<SubmissionRequest, ApiFailure> {
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim);
    match content_type {
        Some(t) if t.eq_ignore_ascii_case(SUBMISSION_BINARY_TYPE) => {
            let bytes = read_body(body)?;
            SubmissionRequest::from_binary(&bytes)
                .map_err(|e| ApiFailure::new(e.relay_code(), e.to_string()))
        }
        Some(t) if t.eq_ignore_ascii_case(SUBMISSION_JSON_TYPE) => json_body(headers, body),
        _ => Err(ApiFailure::new(
            RelayErrorCode::UnsupportedMediaType,
            format!("the body must be {SUBMISSION_JSON_TYPE} or {SUBMISSION_BINARY_TYPE}"),
        )),
    }
}

async fn submit(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, SubmissionAccepted), ApiFailure> {
    let request = submission_body(headers, body)?;
    let canonical = request.canonical_bytes().map_err(ApiFailure::internal)?;
    let request_hash = sha256(&[&canonical]).0;
    let submission_id = request.submission_id;

    match verify_and_store(state, request, request_hash).await {
        Ok(answer) => Ok(answer),
        // A retry is answered exactly as the first time, whatever changed since (a newer
        // directory, a higher difficulty). Looked up only when the checks refuse, so the
        // first submission costs no extra read.
        Err(refused) if refused.status.is_client_error() => {
            match state.storage.submission_answer(&submission_id).await? {
                Some((stored, response)) => replay(&stored, &response, &request_hash),
                None => Err(refused),
            }
        }
        Err(failure) => Err(failure),
    }
}

async fn verify_and_store(
    state: &AppState,
    request: SubmissionRequest,
    request_hash: [u8; 32],
) -> Result<(StatusCode, SubmissionAccepted), ApiFailure> {
    let current = state
        .current_directory()
        .await?
        .ok_or_else(ApiFailure::no_directory)?;
    let listing = &current.listing;

    verify_pow(
        &request.submission_id,
        request.pow_nonce,
        listing.pow_difficulty,
    )
    .map_err(|e| {
        let mut f = ApiFailure::from_code(StatusCode::UNPROCESSABLE_ENTITY, &e);
        f.directory_version = Some(current.version);
        f
    })?;

    if request.directory_version == 0 || request.directory_version > current.version {
        let mut f = ApiFailure::new(
            RelayErrorCode::InvalidDirectoryVersion,
            format!(
                "routed on directory version {}, which this relay never served; it serves version {}",
                request.directory_version, current.version
            ),
        );
        f.directory_version = Some(current.version);
        return Err(f);
    }

    let header = EnvelopeHeader::parse(&request.envelope)
        .map_err(|e| ApiFailure::from_code(StatusCode::UNPROCESSABLE_ENTITY, &e))?;
    if header.report_id != request.submission_id {
        return Err(ApiFailure::new(
            RelayErrorCode::SubmissionIdMismatch,
            "the envelope's report id is not the submission id",
        ));
    }
    request
        .tags
        .validate()
        .map_err(|e| ApiFailure::from_code(StatusCode::UNPROCESSABLE_ENTITY, &e))?;
    check_attachments(&request)?;

    let sealed_to: BTreeSet<OrgId> = header.recipient_ids().collect();
    let routed_version_differs = request.directory_version != current.version;
    let routed = match route(&request.tags, &request.consent, listing) {
        Ok(r) => r,
        Err(e) if routed_version_differs => {
            let _ = e;
            return Err(stale(&current));
        }
        Err(e) => return Err(ApiFailure::from_code(StatusCode::UNPROCESSABLE_ENTITY, &e)),
    };
    if routed.recipient_set() != sealed_to {
        if routed_version_differs {
            return Err(stale(&current));
        }
        if let Some(unknown) = sealed_to
            .iter()
            .find(|id| listing.organisation(id).is_none())
        {
            return Err(ApiFailure::new(
                RelayErrorCode::UnknownRecipient,
                format!("organisation {unknown} is not in the directory"),
            ));
        }
        let withheld = sealed_to.iter().find(|id| {
            listing
                .organisation(id)
                .is_some_and(|o| !request.consent.allows(o.kind) || o.kind == OrgKind::Unknown)
        });
        if let Some(id) = withheld {
            return Err(ApiFailure::new(
                RelayErrorCode::ConsentViolated,
                format!("the worker's consent does not allow organisation {id}"),
            ));
        }
        check_partial_delivery(state, listing, &routed, &sealed_to)?;
    }

    if state.storage_full().await? {
        return Err(ApiFailure::storage_full());
    }
    let hour = hour_of(unix_now());
    let recipients: Vec<OrgId> = sealed_to.into_iter().collect();
    let accepted = SubmissionAccepted {
        submission_id: request.submission_id,
        recipients: recipients.clone(),
        directory_version: current.version,
        received_at_hour: hour,
    };
    let new = NewSubmission {
        id: request.submission_id,
        request_hash,
        response: serde_json::to_string(&accepted).map_err(ApiFailure::internal)?,
        directory_version: current.version,
        tags: serde_json::to_string(&request.tags).map_err(ApiFailure::internal)?,
        consent: serde_json::to_string(&request.consent).map_err(ApiFailure::internal)?,
        received_hour: hour,
        envelope: request.envelope,
        mailbox_hash: request.mailbox_token_hash.0,
        recipients,
        attachments: request
            .attachments
            .iter()
            .map(|a| NewAttachment {
                id: a.id.to_hex(),
                size: a.size,
                sha256: a.sha256.0,
            })
            .collect(),
    };
    match state.storage.store_submission(new).await? {
        StoreOutcome::Stored => Ok((StatusCode::CREATED, accepted)),
        StoreOutcome::Existing {
            request_hash: stored,
            response,
        } => replay(&stored, &response, &request_hash),
        StoreOutcome::MailboxInUse => {
            // The mailbox may be this very report's, whose record has passed its retention
            // period: it was accepted long ago, and is not stored twice.
            let mailbox = state.storage.mailbox(&request.mailbox_token_hash.0).await?;
            if mailbox.is_some_and(|m| m.report_id == request.submission_id.to_hex()) {
                return Err(ApiFailure::new(
                    RelayErrorCode::SubmissionConflict,
                    "this report was accepted before; its record has since expired",
                ));
            }
            Err(ApiFailure::new(
                RelayErrorCode::MailboxInUse,
                "another report already uses this mailbox token",
            ))
        }
    }
}

fn check_attachments(request: &SubmissionRequest) -> Result<(), ApiFailure> {
    let bad = |message: String| ApiFailure::new(RelayErrorCode::InvalidAttachments, message);
    if request.attachments.len() > MAX_ATTACHMENTS {
        return Err(bad(format!("at most {MAX_ATTACHMENTS} attachments")));
    }
    let max = max_sealed_len() as u64;
    for (n, a) in request.attachments.iter().enumerate() {
        if a.size == 0 || a.size > max {
            return Err(bad(format!("attachment {} must be 1 to {max} bytes", a.id)));
        }
        if request.attachments[..n].iter().any(|b| b.id == a.id) {
            return Err(bad(format!("attachment {} is declared twice", a.id)));
        }
    }
    Ok(())
}
