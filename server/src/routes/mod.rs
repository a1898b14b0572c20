//! HTTP handlers, one module per resource.

pub mod attachments;
pub mod directory;
pub mod health;
pub mod mailbox;
pub mod org;
pub mod submissions;

use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use serde::de::DeserializeOwned;

use crate::error::ApiFailure;

/// A query string, with a JSON error when it does not parse.
pub fn query<T: DeserializeOwned>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiFailure> {
    q.map(|Query(v)| v)
        .map_err(|e| ApiFailure::bad_request("invalid_query", e.body_text()))
}

/// A bearer credential from the Authorization header.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}
