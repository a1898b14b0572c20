//! `GET /v1/directory`: the signed directory, cacheable by ETag.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiFailure;
use crate::state::AppState;

pub async fn get_directory(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let current = match state.current_directory().await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return ApiFailure::no_directory().into_response();
        }
        Err(e) => return ApiFailure::from(e).into_response(),
    };
    let etag = HeaderValue::from_str(&current.etag).unwrap_or(HeaderValue::from_static("\"\""));
    let matches = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/") == current.etag
        });
    let cache = HeaderValue::from_static("public, max-age=300");
    if matches {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache)],
        )
            .into_response();
    }
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
        ],
        current.served.clone(),
    )
        .into_response()
}
