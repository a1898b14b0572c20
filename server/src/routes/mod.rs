//! HTTP handlers, one module per resource.

pub mod attachments;
pub mod directory;
pub mod escrow;
pub mod health;
pub mod mailbox;
pub mod org;
pub mod submissions;
pub mod withdrawals;

use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use workvoice_proto::api::RelayErrorCode;

use crate::error::ApiFailure;

/// A query string, with a JSON error when it does not parse.
pub fn query<T: DeserializeOwned>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiFailure> {
    q.map(|Query(v)| v)
        .map_err(|e| ApiFailure::new(RelayErrorCode::InvalidQuery, e.body_text()))
}

/// Path parameters, with a JSON `invalid_path` error (400) when they cannot be decoded, e.g. a
/// percent-encoded segment that is not UTF-8. (axum's own `Path` answers such a request in
/// plain text.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiFailure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiFailure> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(|e| ApiFailure::new(RelayErrorCode::InvalidPath, e.body_text()))
    }
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
