//! `/healthz`, `/readyz`, `/metrics`, `/openapi.json`.

use std::time::{Duration, Instant};
use workvoice_proto::api::RelayErrorCode;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiFailure;
use crate::state::AppState;

pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers and a directory has been published.
pub async fn readyz(State(state): State<AppState>) -> Response {
    if let Err(e) = state.storage.ping().await {
        tracing::warn!(error = %e, "database not reachable");
        return ApiFailure::new(
            RelayErrorCode::DatabaseUnavailable,
            "the database does not answer",
        )
        .into_response();
    }
    match state.current_directory().await {
        Ok(Some(d)) => Json(serde_json::json!({
            "status": "ready",
            "directory_version": d.version,
        }))
        .into_response(),
        Ok(None) => ApiFailure::no_directory().into_response(),
        Err(e) => ApiFailure::from(e).into_response(),
    }
}

/// The coarse snapshot of the current period (`metrics.rs`); served only on the operator's
/// loopback listener.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let interval = Duration::from_secs(state.settings.metrics_interval_secs.max(1));
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        state.metrics.snapshot_at(Instant::now(), interval),
    )
        .into_response()
}

pub async fn openapi() -> Json<serde_json::Value> {
    Json(crate::openapi::document())
}
