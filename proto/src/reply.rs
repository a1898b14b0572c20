//! The reverse path: a reply or status note sealed by an organisation to a report's reply key,
//! authenticated as coming from that organisation with HPKE auth mode (RFC 9180 section 5.1.3):
//! only the holder of the organisation's certified private key can produce a message that opens
//! under its public key. Byte layout: `PROTOCOL.md`, "Reply".

use serde::{Deserialize, Serialize};

use crate::codec::{ReadError, Reader};
use crate::hpke_suite;
use crate::keys::{HpkePrivateKey, HpkePublicKey, OrgId, ReportId};
use crate::padding;
use crate::{ErrorCode, SecureRng};

pub const MAGIC: &[u8; 4] = b"WVRP";
pub const VERSION: u8 = 1;
pub const HEADER_LEN: usize = 4 + 1 + 16 + 16 + 16 + 32 + 4;
pub const MAX_REPLY_TEXT_CHARS: usize = 4_000;
/// Largest sealed reply: the header, a padded body of at most 69 632 bytes (a PADMÉ length)
/// and its tag.
pub const MAX_SEALED_REPLY_LEN: usize = HEADER_LEN + 69_632 + 16;
const INFO: &[u8] = b"workvoice/v1/reply";

/// What an organisation tells the worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyBody {
    /// The message in the organisation's words.
    pub text: String,
    /// BCP 47 tag of the language of `text`.
    pub language: String,
    /// The day it was written, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_on: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    #[error("the sealed reply ends before its structure does")]
    Truncated,
    #[error("not a Workvoice reply")]
    BadMagic,
    #[error("reply format version {0} is not supported")]
    UnsupportedVersion(u8),
    #[error("the reply is larger than allowed")]
    TooLarge,
    #[error("the ciphertext length does not match the reply")]
    LengthMismatch,
    #[error("the reply text is empty or longer than {MAX_REPLY_TEXT_CHARS} characters")]
    InvalidText,
    #[error("a key is not a usable X25519 key")]
    InvalidKey,
    #[error("the reply is not from this organisation or not for this report")]
    Unauthenticated,
    #[error("the reply body is malformed")]
    Malformed,
}

impl ErrorCode for ReplyError {
    fn code(&self) -> &'static str {
        match self {
            ReplyError::Truncated => "reply_truncated",
            ReplyError::BadMagic => "reply_bad_magic",
            ReplyError::UnsupportedVersion(_) => "reply_unsupported_version",
            ReplyError::TooLarge => "reply_too_large",
            ReplyError::LengthMismatch => "reply_length_mismatch",
            ReplyError::InvalidText => "reply_invalid_text",
            ReplyError::InvalidKey => "reply_invalid_key",
            ReplyError::Unauthenticated => "reply_unauthenticated",
            ReplyError::Malformed => "reply_malformed",
        }
    }
}

impl From<ReadError> for ReplyError {
    fn from(_: ReadError) -> Self {
        ReplyError::Truncated
    }
}

/// The unencrypted part of a sealed reply, what the relay can check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyHeader {
    pub report_id: ReportId,
    pub org_id: OrgId,
    /// Random per message; the relay stores a message id once.
    pub message_id: [u8; 16],
    pub encapped_key: [u8; 32],
    pub ciphertext_len: usize,
}

impl ReplyHeader {
    pub fn parse(bytes: &[u8]) -> Result<Self, ReplyError> {
        parse_header(bytes, MAGIC, MAX_SEALED_REPLY_LEN)
    }
}

/// The header of a reply-shaped message (a reply, or a sealed status of `crate::status`):
/// `magic || version || report id || org id || message id || enc || u32(T)`, then `T` bytes.
pub(crate) fn parse_header(
    bytes: &[u8],
    magic: &[u8; 4],
    max_len: usize,
) -> Result<ReplyHeader, ReplyError> {
    if bytes.len() > max_len {
        return Err(ReplyError::TooLarge);
    }
    let mut r = Reader::new(bytes);
    if r.take(4)? != magic {
        return Err(ReplyError::BadMagic);
    }
    let version = r.u8()?;
    if version != VERSION {
        return Err(ReplyError::UnsupportedVersion(version));
    }
    let header = ReplyHeader {
        report_id: ReportId(r.array()?),
        org_id: OrgId(r.array()?),
        message_id: r.array()?,
        encapped_key: r.array()?,
        ciphertext_len: r.u32()? as usize,
    };
    if header.ciphertext_len != r.remaining()
        || header.ciphertext_len < 16
        || !padding::is_padded_len(header.ciphertext_len - 16)
    {
        return Err(ReplyError::LengthMismatch);
    }
    Ok(header)
}

fn info(label: &[u8], report_id: &ReportId, org_id: &OrgId) -> Vec<u8> {
    [label, report_id.as_bytes(), org_id.as_bytes()].concat()
}

/// Seal a reply from organisation `org_id` (holding `org_key`) to a report's `reply_key`.
pub fn seal_reply(
    body: &ReplyBody,
    report_id: ReportId,
    org_id: OrgId,
    org_key: &HpkePrivateKey,
    reply_key: &HpkePublicKey,
    rng: &mut impl SecureRng,
) -> Result<Vec<u8>, ReplyError> {
    let chars = body.text.chars().count();
    if body.text.trim().is_empty() || chars > MAX_REPLY_TEXT_CHARS {
        return Err(ReplyError::InvalidText);
    }
    let json = serde_json::to_vec(body).map_err(|_| ReplyError::Malformed)?;
    seal_message(
        &json,
        Kind::REPLY,
        report_id,
        org_id,
        org_key,
        reply_key,
        rng,
    )
}

/// What tells a reply from a sealed status: magic, HPKE info label and largest sealed size.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Kind {
    pub magic: &'static [u8; 4],
    pub info: &'static [u8],
    pub max_len: usize,
}

impl Kind {
    pub(crate) const REPLY: Kind = Kind {
        magic: MAGIC,
        info: INFO,
        max_len: MAX_SEALED_REPLY_LEN,
    };
}

/// Seal `json` as a reply-shaped message of `kind` from `org_id` to `reply_key`.
pub(crate) fn seal_message(
    json: &[u8],
    kind: Kind,
    report_id: ReportId,
    org_id: OrgId,
    org_key: &HpkePrivateKey,
    reply_key: &HpkePublicKey,
    rng: &mut impl SecureRng,
) -> Result<Vec<u8>, ReplyError> {
    let padded = padding::pad(json).ok_or(ReplyError::TooLarge)?;
    // Refuse what the opener would refuse: a long `language` can push the body over the limit.
    if HEADER_LEN + padded.len() + 16 > kind.max_len {
        return Err(ReplyError::TooLarge);
    }
    let mut message_id = [0u8; 16];
    rng.fill_bytes(&mut message_id);

    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(kind.magic);
    header.extend_from_slice(&[VERSION]);
    header.extend_from_slice(report_id.as_bytes());
    header.extend_from_slice(org_id.as_bytes());
    header.extend_from_slice(&message_id);
    // The encapsulated key is only known after sealing, and it is part of the header; so the
    // AEAD associated data is the header without it (the KEM already binds it to the key
    // schedule).
    let aad_prefix = header.clone();
    let ct_len = (padded.len() + 16) as u32;
    let aad = [&aad_prefix[..], &ct_len.to_be_bytes()].concat();
    let (encapped, ciphertext) = hpke_suite::seal(
        reply_key,
        Some(org_key),
        &info(kind.info, &report_id, &org_id),
        &aad,
        &padded,
        rng,
    )
    .map_err(|_| ReplyError::InvalidKey)?;
    header.extend_from_slice(&encapped);
    header.extend_from_slice(&ct_len.to_be_bytes());
    header.extend_from_slice(&ciphertext);
    Ok(header)
}

/// Open a reply-shaped message of `kind`: its header and the unpadded JSON bytes.
pub(crate) fn open_message(
    sealed: &[u8],
    kind: Kind,
    reply_private_key: &HpkePrivateKey,
    org_public_key: &HpkePublicKey,
) -> Result<(ReplyHeader, Vec<u8>), ReplyError> {
    let header = parse_header(sealed, kind.magic, kind.max_len)?;
    let aad = [&sealed[..4 + 1 + 48], &sealed[HEADER_LEN - 4..HEADER_LEN]].concat();
    let padded = hpke_suite::open(
        &header.encapped_key,
        reply_private_key,
        Some(org_public_key),
        &info(kind.info, &header.report_id, &header.org_id),
        &aad,
        &sealed[HEADER_LEN..],
    )
    .map_err(|_| ReplyError::Unauthenticated)?;
    let json = padding::unpad(&padded).map_err(|_| ReplyError::Malformed)?;
    Ok((header, json.to_vec()))
}

/// Open a sealed reply with the report's reply private key, checking that it was sealed by the
/// organisation whose certified public key is `org_public_key`.
pub fn open_reply(
    sealed: &[u8],
    reply_private_key: &HpkePrivateKey,
    org_public_key: &HpkePublicKey,
) -> Result<(ReplyHeader, ReplyBody), ReplyError> {
    let (header, json) = open_message(sealed, Kind::REPLY, reply_private_key, org_public_key)?;
    let body: ReplyBody = serde_json::from_slice(&json).map_err(|_| ReplyError::Malformed)?;
    Ok((header, body))
}
