//! `/healthz`, `/readyz`, `/metrics`, `/openapi.json`.

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
        return ApiFailure::unavailable("database_unavailable", "the database does not answer")
            .into_response();
    }
    match state.current_directory().await {
        Ok(Some(d)) => Json(serde_json::json!({
            "status": "ready",
            "directory_version": d.version,
        }))
        .into_response(),
        Ok(None) => ApiFailure::unavailable(
            "directory_unavailable",
            "no directory has been published yet",
        )
        .into_response(),
        Err(e) => ApiFailure::from(e).into_response(),
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        state.metrics.render(),
    )
        .into_response()
}

pub async fn openapi() -> Json<serde_json::Value> {
    Json(crate::openapi::document())
}
