//! JSON bodies of the relay's HTTP API. The OpenAPI document `proto/openapi.json` describes the
//! same shapes; the relay serves it at `/openapi.json` and a test keeps the two identical.

use serde::{Deserialize, Serialize};

use crate::keys::{AttachmentId, Digest, OrgId, ReportId};
use crate::routing::{Consent, RoutingTags};

/// Largest request body the relay accepts on `POST /v1/submissions`.
pub const MAX_SUBMISSION_BYTES: usize = 2 * 1024 * 1024;
/// Largest chunk of an attachment upload.
pub const MAX_CHUNK_BYTES: usize = 1024 * 1024;
/// Largest request body of `POST /v1/submissions/{id}/withdrawal`.
pub const MAX_WITHDRAWAL_BYTES: usize = 1024;

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
