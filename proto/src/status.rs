//! A worker-visible status ("received", "in review", ...) sealed by the organisation to the
//! report's reply key, exactly like a reply (HPKE auth mode under its root-certified key) but
//! with its own magic and HPKE info label, so neither can be taken for the other. The relay
//! stores and serves it opaquely; the phone believes a status only when it opens. Byte layout:
//! `PROTOCOL.md`, "Sealed status".

use serde::{Deserialize, Serialize};

use crate::api::WorkerStatus;
use crate::keys::{HpkePrivateKey, HpkePublicKey, OrgId, ReportId};
use crate::reply::{self, Kind, ReplyError, ReplyHeader};
use crate::{ErrorCode, SecureRng};

pub const MAGIC: &[u8; 4] = b"WVST";
/// Header as a reply's, a body padded to the minimum of 256 bytes, its tag.
pub const MAX_SEALED_STATUS_LEN: usize = reply::HEADER_LEN + 256 + 16;
const INFO: &[u8] = b"workvoice/v1/status";
const KIND: Kind = Kind {
    magic: MAGIC,
    info: INFO,
    max_len: MAX_SEALED_STATUS_LEN,
};

/// The plaintext of a sealed status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusBody {
    pub status: WorkerStatus,
    /// Unix seconds on the organisation's clock when the status was set; orders statuses.
    pub set_at: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusError {
    #[error("the sealed status ends before its structure does")]
    Truncated,
    #[error("not a Workvoice sealed status")]
    BadMagic,
    #[error("sealed status format version {0} is not supported")]
    UnsupportedVersion(u8),
    #[error("the sealed status is larger than allowed")]
    TooLarge,
    #[error("the ciphertext length does not match the sealed status")]
    LengthMismatch,
    #[error("only received, in_review, referred, resolved or closed can be sealed")]
    InvalidStatus,
    #[error("a key is not a usable X25519 key")]
    InvalidKey,
    #[error("the status is not from this organisation or not for this report")]
    Unauthenticated,
    #[error("the status body is malformed")]
    Malformed,
}

impl ErrorCode for StatusError {
    fn code(&self) -> &'static str {
        match self {
            StatusError::Truncated => "status_truncated",
            StatusError::BadMagic => "status_bad_magic",
            StatusError::UnsupportedVersion(_) => "status_unsupported_version",
            StatusError::TooLarge => "status_too_large",
            StatusError::LengthMismatch => "status_length_mismatch",
            StatusError::InvalidStatus => "status_invalid",
            StatusError::InvalidKey => "status_invalid_key",
            StatusError::Unauthenticated => "status_unauthenticated",
            StatusError::Malformed => "status_malformed",
        }
    }
}

impl From<ReplyError> for StatusError {
    fn from(e: ReplyError) -> Self {
        match e {
            ReplyError::Truncated => StatusError::Truncated,
            ReplyError::BadMagic => StatusError::BadMagic,
            ReplyError::UnsupportedVersion(v) => StatusError::UnsupportedVersion(v),
            ReplyError::TooLarge => StatusError::TooLarge,
            ReplyError::LengthMismatch => StatusError::LengthMismatch,
            ReplyError::InvalidText => StatusError::InvalidStatus,
            ReplyError::InvalidKey => StatusError::InvalidKey,
            ReplyError::Unauthenticated => StatusError::Unauthenticated,
            ReplyError::Malformed => StatusError::Malformed,
        }
    }
}

/// The unencrypted part of a sealed status (the same fields as a reply's header).
pub type StatusHeader = ReplyHeader;

/// Parse the header of a sealed status: what the relay checks.
pub fn parse_status_header(bytes: &[u8]) -> Result<StatusHeader, StatusError> {
    Ok(reply::parse_header(bytes, MAGIC, MAX_SEALED_STATUS_LEN)?)
}

/// Seal a status from organisation `org_id` (holding `org_key`) to a report's `reply_key`.
pub fn seal_status(
    body: &StatusBody,
    report_id: ReportId,
    org_id: OrgId,
    org_key: &HpkePrivateKey,
    reply_key: &HpkePublicKey,
    rng: &mut impl SecureRng,
) -> Result<Vec<u8>, StatusError> {
    if body.status == WorkerStatus::Unknown {
        return Err(StatusError::InvalidStatus);
    }
    let json = serde_json::to_vec(body).map_err(|_| StatusError::Malformed)?;
    Ok(reply::seal_message(
        &json, KIND, report_id, org_id, org_key, reply_key, rng,
    )?)
}

/// Open a sealed status with the report's reply private key, checking that it was sealed by
/// the organisation whose certified public key is `org_public_key`. The caller checks that the
/// header names that organisation and the report whose reply key it used.
pub fn open_status(
    sealed: &[u8],
    reply_private_key: &HpkePrivateKey,
    org_public_key: &HpkePublicKey,
) -> Result<(StatusHeader, StatusBody), StatusError> {
    let (header, json) = reply::open_message(sealed, KIND, reply_private_key, org_public_key)?;
    let body: StatusBody = serde_json::from_slice(&json).map_err(|_| StatusError::Malformed)?;
    Ok((header, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::{ReplyBody, open_reply, seal_reply};
    use crate::vectors::{DeterministicRng, Fixture};

    #[test]
    fn a_status_opens_only_under_its_sender_and_never_as_a_reply() {
        let f = Fixture::new();
        let mut rng = DeterministicRng::new("status unit");
        let reply_key = HpkePrivateKey::from_bytes([7; 32]);
        let report_id = ReportId([3; 16]);
        let body = StatusBody {
            status: WorkerStatus::InReview,
            set_at: 1_760_000_000,
        };
        let sealed = seal_status(
            &body,
            report_id,
            f.union_id,
            &f.union_key,
            &reply_key.public_key(),
            &mut rng,
        )
        .unwrap();
        let (header, opened) = open_status(&sealed, &reply_key, &f.union_key.public_key()).unwrap();
        assert_eq!((header.report_id, header.org_id), (report_id, f.union_id));
        assert_eq!(opened, body);
        assert_eq!(
            open_status(&sealed, &reply_key, &f.ngo_key.public_key()),
            Err(StatusError::Unauthenticated)
        );
        assert!(open_reply(&sealed, &reply_key, &f.union_key.public_key()).is_err());
        let reply = seal_reply(
            &ReplyBody {
                text: "closed".into(),
                language: "en".into(),
                written_on: None,
            },
            report_id,
            f.union_id,
            &f.union_key,
            &reply_key.public_key(),
            &mut rng,
        )
        .unwrap();
        assert!(open_status(&reply, &reply_key, &f.union_key.public_key()).is_err());
        let unknown = StatusBody {
            status: WorkerStatus::Unknown,
            set_at: 0,
        };
        assert_eq!(
            seal_status(
                &unknown,
                report_id,
                f.union_id,
                &f.union_key,
                &reply_key.public_key(),
                &mut rng
            ),
            Err(StatusError::InvalidStatus)
        );
    }
}
