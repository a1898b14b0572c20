//! JSON bodies of the relay's HTTP API. The OpenAPI document `proto/openapi.json` describes the
//! same shapes; the relay serves it at `/openapi.json` and a test keeps the two identical.

use serde::{Deserialize, Serialize};

use crate::keys::{AttachmentId, Digest, OrgId, ReportId};
use crate::routing::{Consent, RoutingTags};

/// Content type of the JSON body of `POST /v1/submissions`.
pub const SUBMISSION_JSON_TYPE: &str = "application/json";
/// Content type of the binary body of `POST /v1/submissions` (`PROTOCOL.md` 14.9).
pub const SUBMISSION_BINARY_TYPE: &str = "application/x-workvoice-submission";
/// First byte of the binary body: its layout version.
pub const SUBMISSION_BINARY_VERSION: u8 = 1;

/// Largest request body the relay accepts on `POST /v1/submissions`.
pub const MAX_SUBMISSION_BYTES: usize = 2 * 1024 * 1024;
/// Largest chunk of an attachment upload.
pub const MAX_CHUNK_BYTES: usize = 1024 * 1024;
/// Largest request body of `POST /v1/submissions/{id}/withdrawal`.
pub const MAX_WITHDRAWAL_BYTES: usize = 1024;
/// Largest body of `POST /v1/escrow/oprf`.
pub const MAX_OPRF_REQUEST_BYTES: usize = 1024;

/// `POST /v1/submissions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmissionRequest {
    /// The report id of the envelope; retries of one report reuse it.
    pub submission_id: ReportId,
    /// The directory version the phone routed against.
    pub directory_version: u64,
    pub tags: RoutingTags,
    pub consent: Consent,
    /// `recovery::mailbox_token_hash` of the report's mailbox token.
    pub mailbox_token_hash: Digest,
    pub pow_nonce: u64,
    #[serde(with = "crate::codec::base64_bytes")]
    pub envelope: Vec<u8>,
    /// Sealed attachments that will be uploaded to this submission.
    #[serde(default)]
    pub attachments: Vec<AttachmentDeclaration>,
}

impl SubmissionRequest {
    /// The binary body (`PROTOCOL.md` 14.9): the same members as the JSON body, with the
    /// envelope and every identifier and digest as raw bytes.
    ///
    /// Fails only for what the layout cannot hold: a country, a report kind or the list of
    /// kinds or attachments longer than 255, an envelope of 4 GiB or more. Each of these the
    /// relay would refuse anyway.
    pub fn to_binary(&self) -> Result<Vec<u8>, BinaryEncodeError> {
        let short = |len: usize, what: &'static str| {
            u8::try_from(len).map_err(|_| BinaryEncodeError::TooLong(what))
        };
        let mut out = Vec::with_capacity(self.envelope.len() + 128);
        out.push(SUBMISSION_BINARY_VERSION);
        out.extend_from_slice(self.submission_id.as_bytes());
        out.extend_from_slice(&self.directory_version.to_be_bytes());
        out.extend_from_slice(&self.pow_nonce.to_be_bytes());
        out.extend_from_slice(self.mailbox_token_hash.as_bytes());
        out.push(self.consent.flags());
        let country = self.tags.destination_country.as_bytes();
        out.push(short(country.len(), "destination_country")?);
        out.extend_from_slice(country);
        out.push(self.tags.sector.map_or(0, |s| s.letter() as u8));
        out.push(short(self.tags.kinds.len(), "kinds")?);
        for kind in &self.tags.kinds {
            out.push(short(kind.0.len(), "kind")?);
            out.extend_from_slice(kind.0.as_bytes());
        }
        out.push(short(self.attachments.len(), "attachments")?);
        for a in &self.attachments {
            out.extend_from_slice(a.id.as_bytes());
            out.extend_from_slice(&a.size.to_be_bytes());
            out.extend_from_slice(a.sha256.as_bytes());
        }
        let envelope_len = u32::try_from(self.envelope.len())
            .map_err(|_| BinaryEncodeError::TooLong("envelope"))?;
        out.extend_from_slice(&envelope_len.to_be_bytes());
        out.extend_from_slice(&self.envelope);
        Ok(out)
    }

    /// Read a binary body (`PROTOCOL.md` 14.9). The checks, in order: the version byte, then
    /// each member in layout order (every length against the bytes left), then nothing after
    /// the envelope. What it reads is checked as the JSON body's members are, by the relay.
    pub fn from_binary(bytes: &[u8]) -> Result<SubmissionRequest, BinaryBodyError> {
        use crate::codec::Reader;
        use crate::report::Sector;
        use crate::routing::ReportKind;

        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        if version != SUBMISSION_BINARY_VERSION {
            return Err(BinaryBodyError::UnsupportedVersion(version));
        }
        let submission_id = ReportId(r.array()?);
        let directory_version = r.u64()?;
        let pow_nonce = r.u64()?;
        let mailbox_token_hash = Digest(r.array()?);
        let flags = r.u8()?;
        if flags & 0xf0 != 0 {
            return Err(BinaryBodyError::ReservedBits(flags));
        }
        let consent = Consent {
            union: flags & 1 != 0,
            inspectorate: flags & 2 != 0,
            ngo: flags & 4 != 0,
            contact_wanted: flags & 8 != 0,
        };
        let text = |r: &mut Reader<'_>, what: &'static str| -> Result<String, BinaryBodyError> {
            let len = usize::from(r.u8()?);
            let raw = r.take(len)?;
            String::from_utf8(raw.to_vec()).map_err(|_| BinaryBodyError::InvalidText(what))
        };
        let destination_country = text(&mut r, "destination_country")?;
        let sector = match r.u8()? {
            0 => None,
            letter => Some(Sector::from_letter(char::from(letter)).unwrap_or(Sector::Unknown)),
        };
        let kind_count = r.u8()?;
        let mut kinds = std::collections::BTreeSet::new();
        for _ in 0..kind_count {
            kinds.insert(ReportKind(text(&mut r, "kind")?));
        }
        let attachment_count = r.u8()?;
        let mut attachments =
            Vec::with_capacity(usize::from(attachment_count).min(r.remaining() / 56));
        for _ in 0..attachment_count {
            attachments.push(AttachmentDeclaration {
                id: AttachmentId(r.array()?),
                size: r.u64()?,
                sha256: Digest(r.array()?),
            });
        }
        let envelope_len = r.u32()? as usize;
        let envelope = r.take(envelope_len)?.to_vec();
        if r.remaining() != 0 {
            return Err(BinaryBodyError::TrailingBytes(r.remaining()));
        }
        Ok(SubmissionRequest {
            submission_id,
            directory_version,
            tags: RoutingTags {
                destination_country,
                sector,
                kinds,
            },
            consent,
            mailbox_token_hash,
            pow_nonce,
            envelope,
            attachments,
        })
    }

    /// The bytes whose SHA-256 the relay keeps as the request hash, to tell a retry from
    /// another submission under the same id: the JSON serialisation of the request as read,
    /// whichever body carried it, so a retry in the other encoding is the same submission
    /// (`PROTOCOL.md` 14.9).
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }
}

/// A [`SubmissionRequest`] that the binary layout cannot hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BinaryEncodeError {
    #[error("{0} is too long for the binary body")]
    TooLong(&'static str),
}

/// Why a binary submission body (`PROTOCOL.md` 14.9) could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BinaryBodyError {
    #[error("the binary body's version is {0}; this relay reads version 1")]
    UnsupportedVersion(u8),
    #[error("the binary body ends before its layout does")]
    Truncated,
    #[error("the binary body has {0} bytes after its envelope")]
    TrailingBytes(usize),
    #[error("the binary body's {0} is not UTF-8")]
    InvalidText(&'static str),
    #[error("the binary body's consent byte {0:#04x} sets a reserved bit")]
    ReservedBits(u8),
}

impl BinaryBodyError {
    /// The relay's code for this error (`PROTOCOL.md` 14.7).
    pub fn relay_code(&self) -> RelayErrorCode {
        match self {
            BinaryBodyError::UnsupportedVersion(_) => RelayErrorCode::BinaryUnsupportedVersion,
            BinaryBodyError::Truncated => RelayErrorCode::BinaryTruncated,
            BinaryBodyError::TrailingBytes(_) => RelayErrorCode::BinaryTrailingBytes,
            BinaryBodyError::InvalidText(_) => RelayErrorCode::BinaryInvalidText,
            BinaryBodyError::ReservedBits(_) => RelayErrorCode::BinaryReservedBits,
        }
    }
}

impl crate::ErrorCode for BinaryBodyError {
    fn code(&self) -> &'static str {
        self.relay_code().as_str()
    }
}

impl From<crate::codec::ReadError> for BinaryBodyError {
    fn from(_: crate::codec::ReadError) -> Self {
        BinaryBodyError::Truncated
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentDeclaration {
    pub id: AttachmentId,
    /// Size of the sealed attachment in bytes.
    pub size: u64,
    /// SHA-256 of the sealed attachment.
    pub sha256: Digest,
}

/// Answer to an accepted submission (201 the first time, 200 with the same body on a retry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmissionAccepted {
    pub submission_id: ReportId,
    pub recipients: Vec<OrgId>,
    pub directory_version: u64,
    /// Unix seconds, rounded down to the hour.
    pub received_at_hour: u64,
}

/// Every error the relay returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// A stable code such as `pow_insufficient` or `stale_directory`.
    pub error: String,
    pub message: String,
    /// With `stale_directory` (409): the version the phone should fetch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory_version: Option<u64>,
}

impl ApiError {
    /// The relay's own code, when `error` is one (else a proto check's code, or unknown).
    pub fn relay_code(&self) -> Option<RelayErrorCode> {
        RelayErrorCode::parse(&self.error)
    }
}

/// Every error code the relay itself answers (`PROTOCOL.md` 14.7), besides the codes of the
/// checks of sections 4 to 13 that a submission runs (those are the proto errors' own codes,
/// [`crate::ErrorCode`]). On the wire it is the `error` member of [`ApiError`], in snake case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelayErrorCode {
    /// 400: a request the HTTP layer refused for another reason
    BadRequest,
    /// 400: the body is not the expected JSON
    MalformedJson,
    /// 400: a binary submission body (14.9) whose first byte is not a layout this relay reads
    BinaryUnsupportedVersion,
    /// 400: a binary submission body that ends before its layout does
    BinaryTruncated,
    /// 400: a binary submission body with bytes after its envelope
    BinaryTrailingBytes,
    /// 400: a binary submission body whose country or report kind is not UTF-8
    BinaryInvalidText,
    /// 400: a binary submission body whose consent byte sets a reserved bit
    BinaryReservedBits,
    /// 400: the body could not be read (for example, the client went away)
    UnreadableBody,
    /// 400: a path parameter does not decode (not hex of the right length, not UTF-8)
    InvalidPath,
    /// 400: a query parameter does not parse
    InvalidQuery,
    /// 400: an inbox cursor this relay did not give
    InvalidCursor,
    /// 400 (`application/problem+json`, type `ohttp-key`): an Oblivious HTTP request under a key configuration the gateway does not accept (14.8)
    OhttpKeyUnknown,
    /// 400: not an Encapsulated Request the gateway can open (14.8)
    OhttpUndecryptable,
    /// 400: an Encapsulated Request the gateway has opened before (14.8)
    OhttpReplayed,
    /// 401: missing or unknown credentials (organisation token or upload bearer)
    Unauthorized,
    /// 403: the report's consent does not allow the kind of organisation referred to
    ReferralNotConsented,
    /// 404: no such route
    NotFound,
    /// 404: no mailbox has this token
    UnknownMailbox,
    /// 404: no such report in this organisation's inbox or routes
    UnknownReport,
    /// 404: no submission for this upload bearer and id
    UnknownSubmission,
    /// 404: no such attachment was declared
    UnknownAttachment,
    /// 405: a known path, another method
    MethodNotAllowed,
    /// 408: the request took too long
    RequestTimeout,
    /// 409: routed on a listing the relay no longer serves; `directory_version` says which to fetch
    StaleDirectory,
    /// 409: another submission was accepted under this id, or its record has expired
    SubmissionConflict,
    /// 409: another report already uses this mailbox token hash
    MailboxInUse,
    /// 409: other sealed-reply bytes were already stored under this reply's message id
    ReplyConflict,
    /// 409: a report already has 4 distinct withdrawal secrets (13.5)
    TooManyWithdrawals,
    /// 409: other sealed-status bytes were already stored under this status's message id
    StatusConflict,
    /// 409: the organisation referred to already holds this report (another referral, or its own delivery)
    ReferralConflict,
    /// 409: a chunk that does not start where the upload stands
    UploadOffsetMismatch,
    /// 409: the attachment is not completely uploaded yet
    AttachmentIncomplete,
    /// 413: a body over the route's limit (1.8)
    PayloadTooLarge,
    /// 415: a body with another content type
    UnsupportedMediaType,
    /// 422: `directory_version` is 0 or newer than the listing the relay serves; the answer's `directory_version` says which it serves
    InvalidDirectoryVersion,
    /// 422: the envelope's report id is not `submission_id`
    SubmissionIdMismatch,
    /// 422: more than the allowed attachments, one declared twice, or a size out of range
    InvalidAttachments,
    /// 422: the envelope (or a referral) names an organisation the directory does not list
    UnknownRecipient,
    /// 422: the envelope is sealed to an organisation whose kind the consent does not allow
    ConsentViolated,
    /// 422: the envelope's recipients are not the route's, less untrusted ones (11.3)
    RecipientsMismatch,
    /// 422: a chunk goes past the declared size
    AttachmentSizeExceeded,
    /// 422: the completed bytes do not match the declared SHA-256 and size; nothing is kept
    AttachmentDigestMismatch,
    /// 422: a status that is not `received`, `in_review`, `referred`, `resolved` or `closed`
    InvalidStatus,
    /// 422: a sealed reply for another report
    ReplyReportMismatch,
    /// 422: a sealed reply that names another organisation as its sender
    ReplyOrgMismatch,
    /// 422: a withdrawal whose `secret` is not 64 hex characters
    InvalidWithdrawalSecret,
    /// 422: a sealed status for another report
    StatusReportMismatch,
    /// 422: a sealed status that names another organisation as its sender
    StatusOrgMismatch,
    /// 422: a referral to the organisation that holds the case
    ReferralToSelf,
    /// 422: a referral envelope for another report
    ReferralReportMismatch,
    /// 422: a referral envelope not sealed to exactly the organisation referred to
    ReferralRecipientMismatch,
    /// 422: an Encapsulated Request that opens but holds no binary HTTP request (14.8)
    OhttpMalformedRequest,
    /// 422: an escrow submission under an epoch that is neither the current nor the previous
    EscrowStaleEpoch,
    /// 422: an escrow submission whose `k` is not its organisation's (the directory's
    /// `escrow_threshold`, 18.1)
    EscrowThresholdMismatch,
    /// 409: another escrow submission was stored under this escrow id
    EscrowConflict,
    /// 409: this source already has an escrow submission under this tag
    EscrowDuplicateSource,
    /// 404: no escrow submission with this id and withdrawal secret, or no released group
    UnknownEscrow,
    /// 409: the escrow submission's group was released; withdraw it as a report (13.5)
    EscrowReleased,
    /// 404: no queued OPRF request with this id (18.3), or it expired with its epoch
    UnknownOprfRequest,
    /// 409: this released escrow submission registered another report or mailbox (18.8)
    EscrowAlreadyRegistered,
    /// 409: a registration names a report id the relay already knows (18.8)
    EscrowReportKnown,
    /// 422: a registration whose escrow id is not 32 hex characters or whose mailbox token
    /// hash is not 64 (18.8)
    InvalidEscrowRegistration,
    /// 422: an organisation's OPRF answer that is not 32 bytes, or names a request twice
    InvalidOprfAnswer,
    /// 401: an escrow route of an organisation that takes invites, without a `PrivateToken`
    /// authorization (18.12)
    TokenRequired,
    /// 401: a `PrivateToken` authorization that does not parse or does not verify under the
    /// organisation's key of this purpose for the current or the previous epoch (18.12)
    TokenInvalid,
    /// 401: a token spent before on another request (18.12)
    TokenSpent,
    /// 404: an invite the organisation did not register, or revoked (18.12)
    UnknownInvite,
    /// 422: an invite that is not 32 hex characters, or an invite hash that is not 64 (18.12)
    InvalidInvite,
    /// 422: no token request, more than 32, or one that is not a `TokenRequest` for the
    /// organisation's key of this purpose and epoch (18.12)
    InvalidTokenRequest,
    /// 422: token issuance for an organisation that does not take invites (18.12)
    EscrowTokensOff,
    /// 429: the invite took every token of this purpose for this epoch (18.12)
    TokenBudgetSpent,
    /// 429: see 14.1
    RateLimited,
    /// 500: the relay failed; nothing was half-stored (every write is one transaction)
    InternalError,
    /// 503: no directory has been published yet
    DirectoryUnavailable,
    /// 503: `/readyz`: the database does not answer
    DatabaseUnavailable,
    /// 503: see 14.1
    RelayBusy,
    /// 507: see 14.1
    StorageFull,
}

impl RelayErrorCode {
    /// Every code, in the order of the specification's table.
    pub const ALL: [RelayErrorCode; 77] = [
        RelayErrorCode::BadRequest,
        RelayErrorCode::MalformedJson,
        RelayErrorCode::BinaryUnsupportedVersion,
        RelayErrorCode::BinaryTruncated,
        RelayErrorCode::BinaryTrailingBytes,
        RelayErrorCode::BinaryInvalidText,
        RelayErrorCode::BinaryReservedBits,
        RelayErrorCode::UnreadableBody,
        RelayErrorCode::InvalidPath,
        RelayErrorCode::InvalidQuery,
        RelayErrorCode::InvalidCursor,
        RelayErrorCode::OhttpKeyUnknown,
        RelayErrorCode::OhttpUndecryptable,
        RelayErrorCode::OhttpReplayed,
        RelayErrorCode::Unauthorized,
        RelayErrorCode::ReferralNotConsented,
        RelayErrorCode::NotFound,
        RelayErrorCode::UnknownMailbox,
        RelayErrorCode::UnknownReport,
        RelayErrorCode::UnknownSubmission,
        RelayErrorCode::UnknownAttachment,
        RelayErrorCode::MethodNotAllowed,
        RelayErrorCode::RequestTimeout,
        RelayErrorCode::StaleDirectory,
        RelayErrorCode::SubmissionConflict,
        RelayErrorCode::MailboxInUse,
        RelayErrorCode::ReplyConflict,
        RelayErrorCode::TooManyWithdrawals,
        RelayErrorCode::StatusConflict,
        RelayErrorCode::ReferralConflict,
        RelayErrorCode::UploadOffsetMismatch,
        RelayErrorCode::AttachmentIncomplete,
        RelayErrorCode::PayloadTooLarge,
        RelayErrorCode::UnsupportedMediaType,
        RelayErrorCode::InvalidDirectoryVersion,
        RelayErrorCode::SubmissionIdMismatch,
        RelayErrorCode::InvalidAttachments,
        RelayErrorCode::UnknownRecipient,
        RelayErrorCode::ConsentViolated,
        RelayErrorCode::RecipientsMismatch,
        RelayErrorCode::AttachmentSizeExceeded,
        RelayErrorCode::AttachmentDigestMismatch,
        RelayErrorCode::InvalidStatus,
        RelayErrorCode::ReplyReportMismatch,
        RelayErrorCode::ReplyOrgMismatch,
        RelayErrorCode::InvalidWithdrawalSecret,
        RelayErrorCode::StatusReportMismatch,
        RelayErrorCode::StatusOrgMismatch,
        RelayErrorCode::ReferralToSelf,
        RelayErrorCode::ReferralReportMismatch,
        RelayErrorCode::ReferralRecipientMismatch,
        RelayErrorCode::OhttpMalformedRequest,
        RelayErrorCode::EscrowStaleEpoch,
        RelayErrorCode::EscrowThresholdMismatch,
        RelayErrorCode::EscrowConflict,
        RelayErrorCode::EscrowDuplicateSource,
        RelayErrorCode::UnknownEscrow,
        RelayErrorCode::EscrowReleased,
        RelayErrorCode::UnknownOprfRequest,
        RelayErrorCode::InvalidOprfAnswer,
        RelayErrorCode::TokenRequired,
        RelayErrorCode::TokenInvalid,
        RelayErrorCode::TokenSpent,
        RelayErrorCode::UnknownInvite,
        RelayErrorCode::InvalidInvite,
        RelayErrorCode::InvalidTokenRequest,
        RelayErrorCode::EscrowTokensOff,
        RelayErrorCode::TokenBudgetSpent,
        RelayErrorCode::EscrowAlreadyRegistered,
        RelayErrorCode::EscrowReportKnown,
        RelayErrorCode::InvalidEscrowRegistration,
        RelayErrorCode::RateLimited,
        RelayErrorCode::InternalError,
        RelayErrorCode::DirectoryUnavailable,
        RelayErrorCode::DatabaseUnavailable,
        RelayErrorCode::RelayBusy,
        RelayErrorCode::StorageFull,
    ];

    /// The code as it appears on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            RelayErrorCode::BadRequest => "bad_request",
            RelayErrorCode::MalformedJson => "malformed_json",
            RelayErrorCode::BinaryUnsupportedVersion => "binary_unsupported_version",
            RelayErrorCode::BinaryTruncated => "binary_truncated",
            RelayErrorCode::BinaryTrailingBytes => "binary_trailing_bytes",
            RelayErrorCode::BinaryInvalidText => "binary_invalid_text",
            RelayErrorCode::BinaryReservedBits => "binary_reserved_bits",
            RelayErrorCode::UnreadableBody => "unreadable_body",
            RelayErrorCode::InvalidPath => "invalid_path",
            RelayErrorCode::InvalidQuery => "invalid_query",
            RelayErrorCode::InvalidCursor => "invalid_cursor",
            RelayErrorCode::OhttpKeyUnknown => "ohttp_key_unknown",
            RelayErrorCode::OhttpUndecryptable => "ohttp_undecryptable",
            RelayErrorCode::OhttpReplayed => "ohttp_replayed",
            RelayErrorCode::Unauthorized => "unauthorized",
            RelayErrorCode::ReferralNotConsented => "referral_not_consented",
            RelayErrorCode::NotFound => "not_found",
            RelayErrorCode::UnknownMailbox => "unknown_mailbox",
            RelayErrorCode::UnknownReport => "unknown_report",
            RelayErrorCode::UnknownSubmission => "unknown_submission",
            RelayErrorCode::UnknownAttachment => "unknown_attachment",
            RelayErrorCode::MethodNotAllowed => "method_not_allowed",
            RelayErrorCode::RequestTimeout => "request_timeout",
            RelayErrorCode::StaleDirectory => "stale_directory",
            RelayErrorCode::SubmissionConflict => "submission_conflict",
            RelayErrorCode::MailboxInUse => "mailbox_in_use",
            RelayErrorCode::ReplyConflict => "reply_conflict",
            RelayErrorCode::TooManyWithdrawals => "too_many_withdrawals",
            RelayErrorCode::StatusConflict => "status_conflict",
            RelayErrorCode::ReferralConflict => "referral_conflict",
            RelayErrorCode::UploadOffsetMismatch => "upload_offset_mismatch",
            RelayErrorCode::AttachmentIncomplete => "attachment_incomplete",
            RelayErrorCode::PayloadTooLarge => "payload_too_large",
            RelayErrorCode::UnsupportedMediaType => "unsupported_media_type",
            RelayErrorCode::InvalidDirectoryVersion => "invalid_directory_version",
            RelayErrorCode::SubmissionIdMismatch => "submission_id_mismatch",
            RelayErrorCode::InvalidAttachments => "invalid_attachments",
            RelayErrorCode::UnknownRecipient => "unknown_recipient",
            RelayErrorCode::ConsentViolated => "consent_violated",
            RelayErrorCode::RecipientsMismatch => "recipients_mismatch",
            RelayErrorCode::AttachmentSizeExceeded => "attachment_size_exceeded",
            RelayErrorCode::AttachmentDigestMismatch => "attachment_digest_mismatch",
            RelayErrorCode::InvalidStatus => "invalid_status",
            RelayErrorCode::ReplyReportMismatch => "reply_report_mismatch",
            RelayErrorCode::ReplyOrgMismatch => "reply_org_mismatch",
            RelayErrorCode::InvalidWithdrawalSecret => "invalid_withdrawal_secret",
            RelayErrorCode::StatusReportMismatch => "status_report_mismatch",
            RelayErrorCode::StatusOrgMismatch => "status_org_mismatch",
            RelayErrorCode::ReferralToSelf => "referral_to_self",
            RelayErrorCode::ReferralReportMismatch => "referral_report_mismatch",
            RelayErrorCode::ReferralRecipientMismatch => "referral_recipient_mismatch",
            RelayErrorCode::OhttpMalformedRequest => "ohttp_malformed_request",
            RelayErrorCode::EscrowStaleEpoch => "escrow_stale_epoch",
            RelayErrorCode::EscrowThresholdMismatch => "escrow_threshold_mismatch",
            RelayErrorCode::EscrowConflict => "escrow_conflict",
            RelayErrorCode::EscrowDuplicateSource => "escrow_duplicate_source",
            RelayErrorCode::UnknownEscrow => "unknown_escrow",
            RelayErrorCode::EscrowReleased => "escrow_released",
            RelayErrorCode::UnknownOprfRequest => "unknown_oprf_request",
            RelayErrorCode::InvalidOprfAnswer => "invalid_oprf_answer",
            RelayErrorCode::TokenRequired => "token_required",
            RelayErrorCode::TokenInvalid => "token_invalid",
            RelayErrorCode::TokenSpent => "token_spent",
            RelayErrorCode::UnknownInvite => "unknown_invite",
            RelayErrorCode::InvalidInvite => "invalid_invite",
            RelayErrorCode::InvalidTokenRequest => "invalid_token_request",
            RelayErrorCode::EscrowTokensOff => "escrow_tokens_off",
            RelayErrorCode::TokenBudgetSpent => "token_budget_spent",
            RelayErrorCode::EscrowAlreadyRegistered => "escrow_already_registered",
            RelayErrorCode::EscrowReportKnown => "escrow_report_known",
            RelayErrorCode::InvalidEscrowRegistration => "invalid_escrow_registration",
            RelayErrorCode::RateLimited => "rate_limited",
            RelayErrorCode::InternalError => "internal_error",
            RelayErrorCode::DirectoryUnavailable => "directory_unavailable",
            RelayErrorCode::DatabaseUnavailable => "database_unavailable",
            RelayErrorCode::RelayBusy => "relay_busy",
            RelayErrorCode::StorageFull => "storage_full",
        }
    }

    /// The HTTP status the relay answers this code with.
    pub const fn status(self) -> u16 {
        match self {
            RelayErrorCode::BadRequest
            | RelayErrorCode::MalformedJson
            | RelayErrorCode::BinaryUnsupportedVersion
            | RelayErrorCode::BinaryTruncated
            | RelayErrorCode::BinaryTrailingBytes
            | RelayErrorCode::BinaryInvalidText
            | RelayErrorCode::BinaryReservedBits
            | RelayErrorCode::UnreadableBody
            | RelayErrorCode::InvalidPath
            | RelayErrorCode::InvalidQuery
            | RelayErrorCode::InvalidCursor
            | RelayErrorCode::OhttpKeyUnknown
            | RelayErrorCode::OhttpUndecryptable
            | RelayErrorCode::OhttpReplayed => 400,
            RelayErrorCode::Unauthorized
            | RelayErrorCode::TokenRequired
            | RelayErrorCode::TokenInvalid
            | RelayErrorCode::TokenSpent => 401,
            RelayErrorCode::ReferralNotConsented => 403,
            RelayErrorCode::NotFound
            | RelayErrorCode::UnknownMailbox
            | RelayErrorCode::UnknownReport
            | RelayErrorCode::UnknownSubmission
            | RelayErrorCode::UnknownAttachment
            | RelayErrorCode::UnknownEscrow
            | RelayErrorCode::UnknownOprfRequest
            | RelayErrorCode::UnknownInvite => 404,
            RelayErrorCode::MethodNotAllowed => 405,
            RelayErrorCode::RequestTimeout => 408,
            RelayErrorCode::StaleDirectory
            | RelayErrorCode::SubmissionConflict
            | RelayErrorCode::MailboxInUse
            | RelayErrorCode::ReplyConflict
            | RelayErrorCode::TooManyWithdrawals
            | RelayErrorCode::StatusConflict
            | RelayErrorCode::ReferralConflict
            | RelayErrorCode::UploadOffsetMismatch
            | RelayErrorCode::AttachmentIncomplete
            | RelayErrorCode::EscrowConflict
            | RelayErrorCode::EscrowDuplicateSource
            | RelayErrorCode::EscrowReleased
            | RelayErrorCode::EscrowAlreadyRegistered
            | RelayErrorCode::EscrowReportKnown => 409,
            RelayErrorCode::PayloadTooLarge => 413,
            RelayErrorCode::UnsupportedMediaType => 415,
            RelayErrorCode::InvalidDirectoryVersion
            | RelayErrorCode::SubmissionIdMismatch
            | RelayErrorCode::InvalidAttachments
            | RelayErrorCode::UnknownRecipient
            | RelayErrorCode::ConsentViolated
            | RelayErrorCode::RecipientsMismatch
            | RelayErrorCode::AttachmentSizeExceeded
            | RelayErrorCode::AttachmentDigestMismatch
            | RelayErrorCode::InvalidStatus
            | RelayErrorCode::ReplyReportMismatch
            | RelayErrorCode::ReplyOrgMismatch
            | RelayErrorCode::InvalidWithdrawalSecret
            | RelayErrorCode::StatusReportMismatch
            | RelayErrorCode::StatusOrgMismatch
            | RelayErrorCode::ReferralToSelf
            | RelayErrorCode::ReferralReportMismatch
            | RelayErrorCode::ReferralRecipientMismatch
            | RelayErrorCode::OhttpMalformedRequest
            | RelayErrorCode::EscrowStaleEpoch
            | RelayErrorCode::EscrowThresholdMismatch
            | RelayErrorCode::InvalidOprfAnswer
            | RelayErrorCode::InvalidEscrowRegistration
            | RelayErrorCode::InvalidInvite
            | RelayErrorCode::InvalidTokenRequest
            | RelayErrorCode::EscrowTokensOff => 422,
            RelayErrorCode::RateLimited | RelayErrorCode::TokenBudgetSpent => 429,
            RelayErrorCode::InternalError => 500,
            RelayErrorCode::DirectoryUnavailable
            | RelayErrorCode::DatabaseUnavailable
            | RelayErrorCode::RelayBusy => 503,
            RelayErrorCode::StorageFull => 507,
        }
    }
    /// The code named `text`, if the relay defines it.
    pub fn parse(text: &str) -> Option<RelayErrorCode> {
        RelayErrorCode::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

impl std::fmt::Display for RelayErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Progress of a resumable attachment upload
/// (`PUT`/`GET /v1/submissions/{id}/attachments/{attachment}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadProgress {
    /// Bytes stored so far: the offset of the next chunk.
    pub received: u64,
    pub size: u64,
    pub complete: bool,
}

/// What an organisation says of a case that the worker can see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkerStatus {
    Received,
    InReview,
    Referred,
    Resolved,
    Closed,
    #[serde(other)]
    Unknown,
}

impl WorkerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkerStatus::Received => "received",
            WorkerStatus::InReview => "in_review",
            WorkerStatus::Referred => "referred",
            WorkerStatus::Resolved => "resolved",
            WorkerStatus::Closed => "closed",
            WorkerStatus::Unknown => "unknown",
        }
    }
}

/// `GET /v1/mailbox/{token}?after={seq}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxPage {
    pub entries: Vec<MailboxEntry>,
    /// Pass as `after` to get only newer entries.
    pub last_seq: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxEntry {
    pub seq: u64,
    pub org_id: OrgId,
    /// Unix seconds, rounded down to the hour.
    pub at_hour: u64,
    #[serde(flatten)]
    pub item: MailboxItem,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MailboxItem {
    /// Delivery to the organisation's inbox (`delivered`), its acknowledgement
    /// (`acknowledged`), both the relay's word, or a worker-visible status the organisation
    /// set. `status` is what the relay was told; only `sealed` ([`crate::status`]), opened under
    /// the organisation's certified key, says what the organisation said.
    Status {
        status: MailboxStatus,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "crate::codec::base64_bytes_opt"
        )]
        sealed: Option<Vec<u8>>,
    },
    /// A reply sealed to the report's reply key ([`crate::reply`]).
    Reply {
        #[serde(with = "crate::codec::base64_bytes")]
        sealed: Vec<u8>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailboxStatus {
    Delivered,
    Acknowledged,
    Received,
    InReview,
    Referred,
    Resolved,
    Closed,
    #[serde(other)]
    Unknown,
}

impl From<WorkerStatus> for MailboxStatus {
    fn from(s: WorkerStatus) -> Self {
        match s {
            WorkerStatus::Received => MailboxStatus::Received,
            WorkerStatus::InReview => MailboxStatus::InReview,
            WorkerStatus::Referred => MailboxStatus::Referred,
            WorkerStatus::Resolved => MailboxStatus::Resolved,
            WorkerStatus::Closed => MailboxStatus::Closed,
            WorkerStatus::Unknown => MailboxStatus::Unknown,
        }
    }
}

/// `GET /v1/org/inbox?after={cursor}&limit={n}` (organisation credentials).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxPage {
    pub entries: Vec<InboxEntry>,
    /// Pass as `after` for the next page; `None` when this page is the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxEntry {
    /// Position in this organisation's inbox; increases with delivery order.
    pub seq: u64,
    pub report_id: ReportId,
    pub received_at_hour: u64,
    /// Exactly as the phone disclosed them: needed to open the envelope
    /// ([`crate::routing::disclosure_digest`]).
    pub tags: RoutingTags,
    pub consent: Consent,
    #[serde(with = "crate::codec::base64_bytes")]
    pub envelope: Vec<u8>,
    #[serde(default)]
    pub attachments: Vec<AttachmentState>,
    /// Set when another organisation referred the case here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referred_by: Option<OrgId>,
    pub acknowledged: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentState {
    pub id: AttachmentId,
    pub size: u64,
    pub sha256: Digest,
    pub complete: bool,
}

/// `POST /v1/org/reports/{report_id}/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    pub status: WorkerStatus,
    /// The same status sealed to the report's reply key ([`crate::status::seal_status`]); a
    /// status without it is never shown to the worker as the organisation's.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::codec::base64_bytes_opt"
    )]
    pub sealed: Option<Vec<u8>>,
}

/// `POST /v1/escrow/oprf` (`PROTOCOL.md` 18.3): the relay's step of the chained OPRF over one
/// blinded recruiter identifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OprfEvaluationRequest {
    /// The phone's blinded element (32 bytes, ristretto255).
    #[serde(with = "crate::codec::base64_bytes")]
    pub blinded: Vec<u8>,
    /// Proof-of-work over `escrow::oprf_pow_id(blinded)` at the listing's difficulty.
    pub pow_nonce: u64,
}

/// The relay's answer to an [`OprfEvaluationRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OprfEvaluation {
    /// The epoch whose key evaluated; escrow submissions name it.
    pub epoch: u32,
    /// `BlindEvaluate(skR(epoch), blinded)`, 32 bytes.
    #[serde(with = "crate::codec::base64_bytes")]
    pub evaluated: Vec<u8>,
}

/// `POST /v1/escrow/oprf/org` (`PROTOCOL.md` 18.3): the relay's step of the chained OPRF,
/// whose result the relay queues for the organisation's step instead of answering it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainedOprfRequest {
    /// The organisation whose key takes the second step, 32 hex characters.
    pub organisation: String,
    /// The phone's blinded element (32 bytes, ristretto255).
    #[serde(with = "crate::codec::base64_bytes")]
    pub blinded: Vec<u8>,
    /// Proof-of-work over `escrow::oprf_pow_id(blinded)` at the listing's difficulty.
    pub pow_nonce: u64,
}

/// The answer to a [`ChainedOprfRequest`]: `202`, queued for the organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainedOprfQueued {
    /// The epoch whose keys evaluate; escrow submissions name it.
    pub epoch: u32,
    /// The queued request's id, 32 hex characters: the phone polls
    /// `GET /v1/escrow/oprf/org/{request}` with it.
    pub request: String,
}

/// Where a queued OPRF request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainedOprfStatus {
    /// The organisation has not answered yet.
    Queued,
    /// `evaluated` holds the organisation's evaluation.
    Answered,
    /// The organisation refused it (its budget for the epoch is spent).
    Refused,
}

/// `GET /v1/escrow/oprf/org/{request}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainedOprfState {
    pub state: ChainedOprfStatus,
    pub epoch: u32,
    /// `BlindEvaluate(skO(epoch), BlindEvaluate(skR(epoch), blinded))`, 32 bytes, once answered.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::codec::base64_bytes_opt"
    )]
    pub evaluated: Option<Vec<u8>>,
}

/// One request queued for the organisation (`GET /v1/org/escrow/oprf`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgOprfRequest {
    /// 32 hex characters.
    pub request: String,
    pub epoch: u32,
    /// The relay's evaluation of the phone's blinded element, 32 bytes.
    #[serde(with = "crate::codec::base64_bytes")]
    pub element: Vec<u8>,
}

/// `GET /v1/org/escrow/oprf`: the oldest queued requests of the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgOprfQueue {
    pub requests: Vec<OrgOprfRequest>,
}

/// The organisation's answer to one queued request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgOprfAnswer {
    /// 32 hex characters.
    pub request: String,
    /// Its evaluation, 32 bytes; absent: refused.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::codec::base64_bytes_opt"
    )]
    pub evaluated: Option<Vec<u8>>,
}

/// `POST /v1/org/escrow/oprf/answers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgOprfAnswers {
    pub answers: Vec<OrgOprfAnswer>,
}

/// At most this many requests in one [`OrgOprfQueue`] and one [`OrgOprfAnswers`].
pub const MAX_OPRF_QUEUE_PAGE: usize = 500;

/// `POST /v1/escrow` (`PROTOCOL.md` 18.8): an escrow submission (18.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscrowSubmissionRequest {
    #[serde(with = "crate::codec::base64_bytes")]
    pub escrow: Vec<u8>,
    /// Proof-of-work over the escrow id (its 16 bytes as the submission id of section 12).
    pub pow_nonce: u64,
}

/// Where an escrow submission stands, as the relay tells its phone: never the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscrowState {
    Waiting,
    Released,
}

/// The answer to an [`EscrowSubmissionRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscrowAccepted {
    pub state: EscrowState,
}

/// One released escrow group (`GET /v1/org/escrow`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscrowGroup {
    /// The tag, 64 hex characters.
    pub tag: String,
    /// Distinct sources (devices) in the group.
    pub sources: u64,
    /// The escrow submissions not acknowledged yet, each in base64.
    pub escrows: Vec<String>,
}

/// `GET /v1/org/escrow`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscrowGroupPage {
    pub groups: Vec<EscrowGroup>,
}

/// `POST /v1/org/escrow/reports`: the reply channel of a report the caller opened from a
/// released escrow submission (`PROTOCOL.md` 18.8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscrowReportRegistration {
    /// The released escrow submission that held the report, 32 hex characters.
    pub escrow_id: String,
    /// The report id from the opened envelope's header.
    pub report_id: ReportId,
    /// The `EscrowedReport`'s `mailbox_token_hash`, 64 hex characters.
    pub mailbox_token_hash: String,
}

/// `GET /v1/org/escrow/pending`: unreleased escrow submissions for the caller, a total only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscrowPendingTotal {
    pub total: u64,
}

/// `POST /v1/submissions/{id}/withdrawal`: the worker asks for her report to be withdrawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalRequest {
    /// The report's withdrawal secret, 64 hex characters (`PROTOCOL.md` 13.5).
    pub secret: String,
}

/// A withdrawal waiting for an organisation (`GET /v1/org/withdrawals`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    pub report_id: ReportId,
    /// The revealed withdrawal secret, 64 hex characters.
    pub secret: String,
    pub at_hour: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalPage {
    pub entries: Vec<Withdrawal>,
}

/// `POST /v1/org/reports/{report_id}/replies`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostReply {
    #[serde(with = "crate::codec::base64_bytes")]
    pub sealed: Vec<u8>,
}

/// `POST /v1/org/reports/{report_id}/referrals`: the case re-sealed to another organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referral {
    pub to: OrgId,
    #[serde(with = "crate::codec::base64_bytes")]
    pub envelope: Vec<u8>,
}

#[cfg(test)]
mod binary_body_tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::report::Sector;
    use crate::routing::ReportKind;

    fn request() -> SubmissionRequest {
        SubmissionRequest {
            submission_id: ReportId([1; 16]),
            directory_version: 7,
            tags: RoutingTags {
                destination_country: "MY".into(),
                sector: Some(Sector::from_letter('C').unwrap()),
                kinds: [
                    ReportKind("recruitment_fees".into()),
                    ReportKind("wages".into()),
                ]
                .into_iter()
                .collect(),
            },
            consent: Consent {
                union: true,
                inspectorate: true,
                ngo: false,
                contact_wanted: true,
            },
            mailbox_token_hash: Digest([2; 32]),
            pow_nonce: 0x0102_0304_0506_0708,
            envelope: vec![9; 300],
            attachments: vec![AttachmentDeclaration {
                id: AttachmentId([3; 16]),
                size: 4096,
                sha256: Digest([4; 32]),
            }],
        }
    }

    #[test]
    fn the_binary_body_reads_back_as_the_request_and_hashes_as_its_json() {
        let request = request();
        let binary = request.to_binary().unwrap();
        // 1 + 16 + 8 + 8 + 32 + 1 + (1 + 2) + 1 + (1 + 1 + 16 + 1 + 5) + (1 + 56) + 4 + 300
        assert_eq!(binary.len(), 455);
        let read = SubmissionRequest::from_binary(&binary).unwrap();
        assert_eq!(read, request);
        let json: SubmissionRequest =
            serde_json::from_slice(&serde_json::to_vec(&request).unwrap()).unwrap();
        assert_eq!(
            json.canonical_bytes().unwrap(),
            read.canonical_bytes().unwrap()
        );
        assert!(binary.len() < serde_json::to_vec(&request).unwrap().len());
    }

    #[test]
    fn every_prefix_of_a_body_is_truncated() {
        let good = request().to_binary().unwrap();
        for cut in 0..good.len() {
            assert_eq!(
                SubmissionRequest::from_binary(&good[..cut]),
                Err(BinaryBodyError::Truncated),
                "cut at {cut}"
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 512, ..Default::default() })]

        /// Hostile bytes (a valid body with a few bytes changed, or random bytes) never panic
        /// the reader, and whatever reads is written back to a body that reads as the same
        /// request, with the same request hash.
        #[test]
        fn whatever_reads_writes_back_to_the_same_request(
            changes in proptest::collection::vec(
                (proptest::prelude::any::<usize>(), proptest::prelude::any::<u8>()),
                0..4,
            ),
            random in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
            use_random in proptest::prelude::any::<bool>(),
        ) {
            let mut bytes = if use_random { random } else { request().to_binary().unwrap() };
            let len = bytes.len();
            for (at, value) in changes {
                if len > 0 {
                    bytes[at % len] = value;
                }
            }
            if let Ok(read) = SubmissionRequest::from_binary(&bytes) {
                let again = SubmissionRequest::from_binary(&read.to_binary().unwrap()).unwrap();
                proptest::prop_assert_eq!(&again, &read);
                proptest::prop_assert_eq!(
                    again.canonical_bytes().unwrap(),
                    read.canonical_bytes().unwrap()
                );
            }
        }
    }

    #[test]
    fn no_sector_and_no_attachments_read_back() {
        let mut request = request();
        request.tags.sector = None;
        request.attachments.clear();
        let read = SubmissionRequest::from_binary(&request.to_binary().unwrap()).unwrap();
        assert_eq!(read, request);
    }

    #[test]
    fn an_unknown_sector_letter_reads_as_unknown_like_json() {
        let mut binary = request().to_binary().unwrap();
        // version, id, two u64, hash, flags, country length and "MY": the sector byte.
        let at = 1 + 16 + 8 + 8 + 32 + 1 + 1 + 2;
        assert_eq!(binary[at], b'C');
        binary[at] = b'Z';
        let read = SubmissionRequest::from_binary(&binary).unwrap();
        assert_eq!(read.tags.sector, Some(Sector::Unknown));
    }

    #[test]
    fn every_way_a_binary_body_can_be_bad_has_its_error() {
        let good = request().to_binary().unwrap();
        let code = |bytes: &[u8]| SubmissionRequest::from_binary(bytes).unwrap_err();

        let mut v2 = good.clone();
        v2[0] = 2;
        assert_eq!(code(&v2), BinaryBodyError::UnsupportedVersion(2));
        assert_eq!(code(&[]), BinaryBodyError::Truncated);
        for cut in [1, 20, 60, good.len() - 301, good.len() - 1] {
            assert_eq!(
                code(&good[..cut]),
                BinaryBodyError::Truncated,
                "cut at {cut}"
            );
        }
        let mut long = good.clone();
        long.extend_from_slice(&[0, 0]);
        assert_eq!(code(&long), BinaryBodyError::TrailingBytes(2));
        // An envelope length one short leaves a byte after it; one long runs past the end.
        let len_at = good.len() - 300 - 4;
        let mut short = good.clone();
        short[len_at + 3] -= 1;
        assert_eq!(code(&short), BinaryBodyError::TrailingBytes(1));
        let mut over = good.clone();
        over[len_at] = 0xff;
        assert_eq!(code(&over), BinaryBodyError::Truncated);
        // An attachment count past the bytes left.
        let count_at = len_at - 56 - 1;
        assert_eq!(good[count_at], 1);
        let mut many = good.clone();
        many[count_at] = 200;
        assert_eq!(code(&many), BinaryBodyError::Truncated);
        let flags_at = 1 + 16 + 8 + 8 + 32;
        let mut reserved = good.clone();
        reserved[flags_at] |= 0x10;
        assert_eq!(code(&reserved), BinaryBodyError::ReservedBits(0x1b));
        let mut latin = good.clone();
        latin[flags_at + 2] = 0xff;
        assert_eq!(
            code(&latin),
            BinaryBodyError::InvalidText("destination_country")
        );
        assert_eq!(
            BinaryBodyError::Truncated.relay_code().status(),
            400,
            "bad binary bodies are 400s, as malformed JSON is"
        );
    }
}

/// `POST /v1/org/escrow/invites` and `POST /v1/org/escrow/invites/revoke` (`PROTOCOL.md`
/// 18.12): invite hashes the organisation registers at the relay, or revokes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscrowInviteHashes {
    /// `token::Invite::hash` of each invite, 64 hex characters; at most 1,000.
    pub hashes: Vec<String>,
}

/// The answer to [`EscrowInviteHashes`]: how many rows were added, or removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscrowInviteCount {
    pub count: u32,
}

/// `GET /v1/escrow/tokens/{organisation}`: the organisation's issuer keys for the current
/// epoch, and the budgets one invite has under them (18.12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscrowTokenKeys {
    pub epoch: u32,
    /// `pkI` for [`crate::token::TokenPurpose::Oprf`], 49 bytes (compressed P-384).
    #[serde(with = "crate::codec::base64_bytes")]
    pub oprf_key: Vec<u8>,
    /// `pkI` for [`crate::token::TokenPurpose::Escrow`], 49 bytes.
    #[serde(with = "crate::codec::base64_bytes")]
    pub escrow_key: Vec<u8>,
    pub oprf_budget: u32,
    pub escrow_budget: u32,
}

/// `POST /v1/escrow/tokens`: token requests against one invite (18.12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscrowTokenRequest {
    /// 32 hex characters.
    pub organisation: String,
    /// The invite's 16 bytes, 32 hex characters (the code as printed is for people).
    pub invite: String,
    pub purpose: crate::token::TokenPurpose,
    /// The epoch of the key the requests were made for; must be the relay's current one.
    pub epoch: u32,
    /// `TokenRequest`s (52 bytes each), base64; 1 to 32.
    pub requests: Vec<String>,
}

/// The answer to [`EscrowTokenRequest`]: one `TokenResponse` (145 bytes, base64) per request,
/// in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscrowTokenResponses {
    pub epoch: u32,
    pub responses: Vec<String>,
}
