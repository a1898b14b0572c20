//! Reporting escrow (`PROTOCOL.md` section 18). Served so far: the relay's step of the chained
//! OPRF, `POST /v1/escrow/oprf`. The relay evaluates a blinded element under its key for the
//! current epoch; it learns nothing about the recruiter (the element is blinded) and its output
//! alone gives no tag (the organisation's key follows, 18.3). Each evaluation costs the client
//! a proof-of-work and one token of its per-client OPRF budget (`oprf_client_per_hour`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use workvoice_proto::api::{OprfEvaluation, OprfEvaluationRequest, RelayErrorCode};
use workvoice_proto::escrow::{EscrowError, oprf_pow_id};
use workvoice_proto::pow::verify_pow;

use crate::domain::unix_now;
use crate::error::{ApiFailure, json_body};
use crate::state::AppState;

/// `POST /v1/escrow/oprf`.
pub async fn post_oprf(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<OprfEvaluation>, ApiFailure> {
    let request: OprfEvaluationRequest = json_body(&headers, body)?;
    if request.blinded.len() != 32 {
        return Err(ApiFailure::from_code(
            StatusCode::UNPROCESSABLE_ENTITY,
            &EscrowError::InvalidElement,
        ));
    }
    let current = state.current_directory().await?.ok_or_else(|| {
        ApiFailure::new(
            RelayErrorCode::DirectoryUnavailable,
            "no directory has been published yet",
        )
    })?;
    verify_pow(
        &oprf_pow_id(&request.blinded),
        request.pow_nonce,
        current.listing.pow_difficulty,
    )
    .map_err(|e| ApiFailure::from_code(StatusCode::UNPROCESSABLE_ENTITY, &e))?;
    let epoch = state.escrow_epoch(unix_now());
    let key = state
        .escrow_oprf_key(epoch)
        .ok_or_else(|| ApiFailure::internal("the escrow OPRF secret is not loaded"))?;
    let evaluated = key
        .evaluate_blinded(&request.blinded)
        .map_err(|e| ApiFailure::from_code(StatusCode::UNPROCESSABLE_ENTITY, &e))?;
    Ok(Json(OprfEvaluation {
        epoch,
        evaluated: evaluated.to_vec(),
    }))
}
