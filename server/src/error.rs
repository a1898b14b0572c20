//! The relay's HTTP errors: `{"error": "<stable code>", "message": "…"}` with the right status.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use workvoice_proto::api::{ApiError, RelayErrorCode};

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFailure {
    pub status: StatusCode,
    /// Private: only the constructors here choose it, from `RelayErrorCode` or a proto error.
    code: String,
    pub message: String,
    pub directory_version: Option<u64>,
    /// A `WWW-Authenticate` challenge to send with the answer (`token_required`, 18.12).
    pub www_authenticate: Option<String>,
}

impl ApiFailure {
    /// One of the relay's own codes, answered with the status the specification gives it.
    pub fn new(code: RelayErrorCode, message: impl Into<String>) -> Self {
        ApiFailure {
            status: StatusCode::from_u16(code.status()).unwrap_or(StatusCode::BAD_REQUEST),
            code: code.as_str().to_string(),
            message: message.into(),
            directory_version: None,
            www_authenticate: None,
        }
    }

    pub fn unauthorized() -> Self {
        Self::new(
            RelayErrorCode::Unauthorized,
            "missing or unknown credentials",
        )
    }

    /// From a proto error with a stable code.
    pub fn from_code(
        status: StatusCode,
        e: &(impl workvoice_proto::ErrorCode + std::fmt::Display),
    ) -> Self {
        ApiFailure {
            status,
            code: e.code().to_string(),
            message: e.to_string(),
            directory_version: None,
            www_authenticate: None,
        }
    }

    pub fn internal(what: impl std::fmt::Display) -> Self {
        // The detail goes to the log (it never holds secrets: storage errors name tables and
        // constraints, not values), the client gets a generic message.
        tracing::error!(error = %what, "internal error");
        Self::new(
            RelayErrorCode::InternalError,
            "the relay could not complete the request",
        )
    }

    /// The database has reached its quota: submissions and uploads wait.
    /// `503 directory_unavailable`: nothing is published yet.
    pub fn no_directory() -> Self {
        ApiFailure::new(
            RelayErrorCode::DirectoryUnavailable,
            "no directory has been published yet",
        )
    }

    pub fn storage_full() -> Self {
        Self::new(
            RelayErrorCode::StorageFull,
            "the relay's storage quota is used up; retry later",
        )
    }

    /// The stable code answered.
    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn body(&self) -> ApiError {
        ApiError {
            error: self.code.clone(),
            message: self.message.clone(),
            directory_version: self.directory_version,
        }
    }
}

impl From<crate::storage::StorageError> for ApiFailure {
    fn from(e: crate::storage::StorageError) -> Self {
        ApiFailure::internal(e)
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        if let Some(challenge) = &self.www_authenticate
            && let Ok(value) = header::HeaderValue::from_str(challenge)
        {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response.extensions_mut().insert(ErrorCodeTag(self.code));
        response
    }
}

/// The error code of a response, for metrics.
#[derive(Debug, Clone)]
pub struct ErrorCodeTag(pub String);

/// Check the content type and read a JSON body, with specific errors for each way it can fail.
pub fn json_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiFailure> {
    require_content_type(headers, "application/json")?;
    let bytes = read_body(body)?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiFailure::new(
            RelayErrorCode::MalformedJson,
            format!("the body is not the expected JSON: {e}"),
        )
    })
}

pub fn require_content_type(headers: &HeaderMap, expected: &str) -> Result<(), ApiFailure> {
    let ok = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(expected));
    if ok {
        Ok(())
    } else {
        Err(ApiFailure::new(
            RelayErrorCode::UnsupportedMediaType,
            format!("the body must be {expected}"),
        ))
    }
}

pub fn read_body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiFailure> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiFailure::new(
                RelayErrorCode::PayloadTooLarge,
                "the body is larger than this endpoint accepts",
            )
        } else {
            ApiFailure::new(RelayErrorCode::UnreadableBody, "the body could not be read")
        }
    })
}
