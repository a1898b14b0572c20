//! Withdrawals (`PROTOCOL.md` 13.5). A worker posts the withdrawal secret of a report she sent,
//! anonymously; the relay cannot check it (the hash it must match is sealed in the report) and
//! passes it to every organisation that holds the report, whose desk checks it.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use workvoice_proto::api::RelayErrorCode;
use workvoice_proto::api::{WithdrawalPage, WithdrawalRequest};
use workvoice_proto::keys::ReportId;

use super::Path;
use super::org::OrgCaller;
use crate::domain::{hour_of, unix_now};
use crate::error::{ApiFailure, json_body};
use crate::state::AppState;
use crate::storage::WithdrawalOutcome;

pub const MAX_WITHDRAWAL_PAGE: u32 = 200;

fn unknown_report() -> ApiFailure {
    ApiFailure::new(
        RelayErrorCode::UnknownReport,
        "no organisation holds this report",
    )
}

/// `POST /v1/submissions/{id}/withdrawal`.
pub async fn post_withdrawal(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiFailure> {
    let report = ReportId::from_hex(&id).ok_or_else(|| {
        ApiFailure::new(
            RelayErrorCode::InvalidPath,
            "the report id is not 32 hex characters",
        )
    })?;
    let request: WithdrawalRequest = json_body(&headers, body)?;
    let mut secret = [0u8; 32];
    if request.secret.len() != 64 || hex::decode_to_slice(&request.secret, &mut secret).is_err() {
        return Err(ApiFailure::new(
            RelayErrorCode::InvalidWithdrawalSecret,
            "secret must be the report's 32-byte withdrawal secret as 64 hex characters",
        ));
    }
    match state
        .storage
        .add_withdrawal(&report, &secret, hour_of(unix_now()))
        .await?
    {
        WithdrawalOutcome::Created => Ok(StatusCode::CREATED),
        WithdrawalOutcome::Duplicate => Ok(StatusCode::OK),
        WithdrawalOutcome::UnknownReport => Err(unknown_report()),
        WithdrawalOutcome::TooMany => Err(ApiFailure::new(
            RelayErrorCode::TooManyWithdrawals,
            "this report already has the most withdrawal secrets the relay keeps",
        )),
    }
}

/// `GET /v1/org/withdrawals`: the caller's withdrawals not acknowledged yet.
pub async fn get_withdrawals(
    State(state): State<AppState>,
    caller: OrgCaller,
) -> Result<Json<WithdrawalPage>, ApiFailure> {
    let entries = state
        .storage
        .pending_withdrawals(&caller.0, MAX_WITHDRAWAL_PAGE)
        .await?;
    Ok(Json(WithdrawalPage { entries }))
}

/// `POST /v1/org/withdrawals/{report_id}/ack` (idempotent).
pub async fn acknowledge_withdrawal(
    State(state): State<AppState>,
    caller: OrgCaller,
    Path(report): Path<String>,
) -> Result<StatusCode, ApiFailure> {
    let report = ReportId::from_hex(&report).ok_or_else(unknown_report)?;
    if state
        .storage
        .acknowledge_withdrawal(&caller.0, &report)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiFailure::new(
            RelayErrorCode::UnknownReport,
            "no withdrawal of this report for this organisation",
        ))
    }
}
