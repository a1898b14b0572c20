//! The organisation API (`Authorization: Bearer <API token>`): inbox, acknowledgement,
//! worker-visible statuses, sealed replies, referrals. An organisation only ever sees its own
//! inbox; anything else answers 404, exactly as if it did not exist.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use workvoice_proto::api::RelayErrorCode;
use workvoice_proto::api::{
    AttachmentState, InboxEntry, InboxPage, PostReply, Referral, StatusChange, WorkerStatus,
};
use workvoice_proto::envelope::EnvelopeHeader;
use workvoice_proto::keys::{AttachmentId, Digest, OrgId, ReportId};
use workvoice_proto::reply::ReplyHeader;
use workvoice_proto::routing::{Consent, RoutingTags};
use workvoice_proto::status::parse_status_header;

use super::Path;
use crate::domain::{ApiToken, hour_of, unix_now};
use crate::error::{ApiFailure, json_body};
use crate::state::AppState;
use crate::storage::{AckOutcome, InsertOutcome};

pub const MAX_INBOX_PAGE: u32 = 200;

/// The organisation whose API token is in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgCaller(pub OrgId);

impl FromRequestParts<AppState> for OrgCaller {
    type Rejection = ApiFailure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiFailure> {
        let token = super::bearer(&parts.headers)
            .and_then(ApiToken::parse)
            .ok_or_else(ApiFailure::unauthorized)?;
        let org = state
            .storage
            .organisation_by_token(&token.hash())
            .await?
            .ok_or_else(ApiFailure::unauthorized)?;
        Ok(OrgCaller(org))
    }
}

fn unknown_report() -> ApiFailure {
    ApiFailure::new(
        RelayErrorCode::UnknownReport,
        "no such report in this organisation's inbox",
    )
}

/// The report named in a path, if the caller may still write to its mailbox: in its inbox, or
/// routed to it before the ciphertext was purged (for the life of the mailbox).
pub async fn report_held(
    state: &AppState,
    caller: &OrgCaller,
    report: &str,
) -> Result<ReportId, ApiFailure> {
    let report = ReportId::from_hex(report).ok_or_else(unknown_report)?;
    if state.storage.holds_report(&caller.0, &report).await? {
        Ok(report)
    } else {
        Err(unknown_report())
    }
}

/// The report named in a path, if it is in the caller's inbox.
pub async fn report_in_inbox(
    state: &AppState,
    caller: &OrgCaller,
    report: &str,
) -> Result<ReportId, ApiFailure> {
    let report = ReportId::from_hex(report).ok_or_else(unknown_report)?;
    if state.storage.in_inbox(&caller.0, &report).await? {
        Ok(report)
    } else {
        Err(unknown_report())
    }
}

#[derive(Debug, Deserialize)]
pub struct InboxQuery {
    #[serde(default)]
    pub after: Option<String>,
    #[serde(default)]
    pub limit: Option<u32>,
}

pub async fn get_inbox(
    State(state): State<AppState>,
    caller: OrgCaller,
    q: Result<Query<InboxQuery>, QueryRejection>,
) -> Result<Json<InboxPage>, ApiFailure> {
    let q = super::query(q)?;
    let after = match q.after.as_deref() {
        None | Some("") => 0,
        Some(text) => text.parse::<u64>().map_err(|_| {
            ApiFailure::new(
                RelayErrorCode::InvalidCursor,
                "the cursor is not one this relay gave",
            )
        })?,
    };
    let limit = q.limit.unwrap_or(100).clamp(1, MAX_INBOX_PAGE);
    let rows = state.storage.inbox_page(&caller.0, after, limit).await?;
    let full = rows.len() == limit as usize;
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows {
        let report_id = ReportId::from_hex(&row.report_id)
            .ok_or_else(|| ApiFailure::internal("inbox report id"))?;
        let tags: RoutingTags = serde_json::from_str(&row.tags).map_err(ApiFailure::internal)?;
        let consent: Consent = serde_json::from_str(&row.consent).map_err(ApiFailure::internal)?;
        let mut attachments = Vec::new();
        for a in state.storage.attachments_of(&row.report_id).await? {
            let sha: [u8; 32] = a
                .sha256
                .as_slice()
                .try_into()
                .map_err(|_| ApiFailure::internal("attachment digest"))?;
            attachments.push(AttachmentState {
                id: AttachmentId::from_hex(&a.id)
                    .ok_or_else(|| ApiFailure::internal("attachment id"))?,
                size: a.size,
                sha256: Digest(sha),
                complete: a.complete,
            });
        }
        entries.push(InboxEntry {
            seq: row.seq,
            report_id,
            received_at_hour: row.received_hour,
            tags,
            consent,
            envelope: row.envelope,
            attachments,
            referred_by: row.referred_by.as_deref().and_then(OrgId::from_hex),
            acknowledged: row.acknowledged,
        });
    }
    let next_cursor = if full {
        entries.last().map(|e| e.seq.to_string())
    } else {
        None
    };
    Ok(Json(InboxPage {
        entries,
        next_cursor,
    }))
}

pub async fn acknowledge(
    State(state): State<AppState>,
    caller: OrgCaller,
    Path(report): Path<String>,
) -> Result<StatusCode, ApiFailure> {
    let report = ReportId::from_hex(&report).ok_or_else(unknown_report)?;
    match state
        .storage
        .acknowledge(&caller.0, &report, hour_of(unix_now()))
        .await?
    {
        AckOutcome::Acknowledged | AckOutcome::AlreadyAcknowledged => Ok(StatusCode::NO_CONTENT),
        AckOutcome::NotFound => Err(unknown_report()),
    }
}

pub async fn set_status(
    State(state): State<AppState>,
    caller: OrgCaller,
    Path(report): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiFailure> {
    let report = report_held(&state, &caller, &report).await?;
    let change: StatusChange = json_body(&headers, body)?;
    if change.status == WorkerStatus::Unknown {
        return Err(ApiFailure::new(
            RelayErrorCode::InvalidStatus,
            "status must be received, in_review, referred, resolved or closed",
        ));
    }
    // The relay cannot open a sealed status; it checks what it can see, as for a reply.
    let message_id = match &change.sealed {
        Some(sealed) => {
            let header = parse_status_header(sealed)
                .map_err(|e| ApiFailure::from_code(StatusCode::UNPROCESSABLE_ENTITY, &e))?;
            if header.report_id != report {
                return Err(ApiFailure::new(
                    RelayErrorCode::StatusReportMismatch,
                    "the sealed status is for another report",
                ));
            }
            if header.org_id != caller.0 {
                return Err(ApiFailure::new(
                    RelayErrorCode::StatusOrgMismatch,
                    "the sealed status names another organisation as its sender",
                ));
            }
            Some(hex::encode(header.message_id))
        }
        None => None,
    };
    let sealed = message_id.as_deref().zip(change.sealed.as_deref());
    match state
        .storage
        .add_status(
            &caller.0,
            &report,
            change.status.as_str(),
            sealed,
            hour_of(unix_now()),
        )
        .await?
    {
        InsertOutcome::NotFound => Err(unknown_report()),
        InsertOutcome::Conflict => Err(ApiFailure::new(
            RelayErrorCode::StatusConflict,
            "something different was already stored under this message id",
        )),
        InsertOutcome::Created | InsertOutcome::Duplicate => Ok(StatusCode::NO_CONTENT),
    }
}

fn created_or_duplicate(
    outcome: InsertOutcome,
    conflict_code: RelayErrorCode,
) -> Result<Response, ApiFailure> {
    match outcome {
        InsertOutcome::Created => Ok(StatusCode::CREATED.into_response()),
        InsertOutcome::Duplicate => Ok(StatusCode::OK.into_response()),
        InsertOutcome::Conflict => Err(ApiFailure::new(
            conflict_code,
            "something different was already stored under this id",
        )),
        InsertOutcome::NotFound => Err(unknown_report()),
    }
}

pub async fn post_reply(
    State(state): State<AppState>,
    caller: OrgCaller,
    Path(report): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiFailure> {
    let report = report_held(&state, &caller, &report).await?;
    let reply: PostReply = json_body(&headers, body)?;
    let header = ReplyHeader::parse(&reply.sealed)
        .map_err(|e| ApiFailure::from_code(StatusCode::UNPROCESSABLE_ENTITY, &e))?;
    if header.report_id != report {
        return Err(ApiFailure::new(
            RelayErrorCode::ReplyReportMismatch,
            "the sealed reply is for another report",
        ));
    }
    if header.org_id != caller.0 {
        return Err(ApiFailure::new(
            RelayErrorCode::ReplyOrgMismatch,
            "the sealed reply names another organisation as its sender",
        ));
    }
    let outcome = state
        .storage
        .add_reply(
            &caller.0,
            &report,
            &hex::encode(header.message_id),
            &reply.sealed,
            hour_of(unix_now()),
        )
        .await?;
    created_or_duplicate(outcome, RelayErrorCode::ReplyConflict)
}

pub async fn post_referral(
    State(state): State<AppState>,
    caller: OrgCaller,
    Path(report): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiFailure> {
    let report = report_in_inbox(&state, &caller, &report).await?;
    let referral: Referral = json_body(&headers, body)?;
    if referral.to == caller.0 {
        return Err(ApiFailure::new(
            RelayErrorCode::ReferralToSelf,
            "a case cannot be referred to the organisation that holds it",
        ));
    }
    let current = state
        .current_directory()
        .await?
        .ok_or_else(ApiFailure::no_directory)?;
    let target = current.listing.organisation(&referral.to).ok_or_else(|| {
        ApiFailure::new(
            RelayErrorCode::UnknownRecipient,
            format!("organisation {} is not in the directory", referral.to),
        )
    })?;
    let (_, consent) = state
        .storage
        .report_disclosure(&report)
        .await?
        .ok_or_else(unknown_report)?;
    let consent: Consent = serde_json::from_str(&consent).map_err(ApiFailure::internal)?;
    if !consent.allows(target.kind) {
        return Err(ApiFailure::new(
            RelayErrorCode::ReferralNotConsented,
            format!(
                "the worker did not consent to {} organisations reading this report",
                target.kind.as_str()
            ),
        ));
    }
    let header = EnvelopeHeader::parse(&referral.envelope)
        .map_err(|e| ApiFailure::from_code(StatusCode::UNPROCESSABLE_ENTITY, &e))?;
    if header.report_id != report {
        return Err(ApiFailure::new(
            RelayErrorCode::ReferralReportMismatch,
            "the envelope is for another report",
        ));
    }
    let recipients: Vec<OrgId> = header.recipient_ids().collect();
    if recipients != [referral.to] {
        return Err(ApiFailure::new(
            RelayErrorCode::ReferralRecipientMismatch,
            "a referral envelope is sealed to exactly the organisation it is referred to",
        ));
    }
    let outcome = state
        .storage
        .refer(
            &caller.0,
            &report,
            &referral.to,
            &referral.envelope,
            hour_of(unix_now()),
        )
        .await?;
    created_or_duplicate(outcome, RelayErrorCode::ReferralConflict)
}
