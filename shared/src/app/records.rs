//! What the app keeps in the vault, as JSON values under fixed namespaces.

use serde::{Deserialize, Serialize};
use workvoice_proto::api::{MailboxEntry, MailboxStatus, SubmissionRequest};
use workvoice_proto::directory::{DirectoryPins, VerifiedDirectory};
use workvoice_proto::keys::{AttachmentId, OrgId, ReportId};
use workvoice_proto::recovery::RecoveryCode;
use workvoice_proto::report::Report;

use super::effects::VaultWrite;

pub const NS_DEVICE: &str = "device";
pub const NS_DRAFT: &str = "draft";
pub const NS_OUTBOX: &str = "outbox";
pub const NS_DIRECTORY: &str = "directory";
pub const NS_ATTACHMENTS: &str = "attachments";
/// The namespace of the courier store (`vault::courier`), which opens without the PIN.
pub const NS_COURIER: &str = "courier";
/// The courier store's copies of sealed evidence chunks, so that a locked phone can upload
/// them (keys as [`attachment_chunk_key`]).
pub const NS_COURIER_EVIDENCE: &str = "courier-evidence";
pub const DEVICE_KEY: &str = "state";
pub const DRAFT_KEY: &str = "current";
pub const DIRECTORY_KEY: &str = "latest";
/// Key (in [`NS_DRAFT`]) of the evidence file being stored, while it is.
pub const INTAKE_KEY: &str = "intake";

/// Per-device state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRecord {
    /// Hex of the recovery secret; empty while a recovering phone waits for its code.
    pub recovery_secret: String,
    /// The number the next report gets; its mailbox and reply key derive from it.
    pub next_report_index: u32,
    /// The newest directory version seen: older ones are refused.
    pub directory_min_version: u64,
    /// The highest revocation-list serial seen: a listing without a list, or with an older
    /// one, is refused (`PROTOCOL.md` 10.4).
    #[serde(default)]
    pub directory_min_revocation_serial: u64,
    /// Unix seconds when the stored directory was last verified.
    #[serde(default)]
    pub directory_checked_at: u64,
    pub language: String,
    pub recovery_code_confirmed: bool,
    /// The worker's consent setting for evidence sent: `false` (the default) deletes a
    /// report's sealed attachments from the phone once the relay has confirmed the whole
    /// upload and every recipient acknowledged; `true` keeps them until she changes it back.
    #[serde(default)]
    pub keep_sent_evidence: bool,
    /// Lock after this many seconds without a tap (one of [`AUTO_LOCK_CHOICES`]).
    #[serde(default = "default_auto_lock")]
    pub auto_lock_seconds: u32,
    /// When no OHTTP relay answers (`oblivious.rs`): `false` (the default) waits, `true`
    /// sends directly. Mirrored in the courier store so that a locked phone keeps to it.
    #[serde(default)]
    pub send_directly: bool,
    /// An OHTTP relay the worker named, tried before the deployment's and the listed ones.
    #[serde(default)]
    pub own_ohttp_relay: Option<String>,
    /// A recovery walk over the mailboxes that has not ended yet.
    #[serde(default)]
    pub recovery_scan: Option<super::RecoveryScan>,
    /// Hex of the device's escrow secret (32 random bytes, `PROTOCOL.md` 18.4): its pseudonym
    /// in each escrow group derives from it. Empty until the first escrowed report needs it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub escrow_secret: String,
    /// The escrow invite a union gave the worker (`PROTOCOL.md` 18.12), as its code
    /// (`Invite::code`): tokens for escrow at a union that takes invites are issued against it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escrow_invite: Option<String>,
}

/// The idle times the worker can choose, in seconds; the first run has two minutes.
pub const AUTO_LOCK_CHOICES: [u32; 5] = [30, 120, 300, 900, 3600];
pub const DEFAULT_AUTO_LOCK_SECONDS: u32 = 120;

fn default_auto_lock() -> u32 {
    DEFAULT_AUTO_LOCK_SECONDS
}

impl DeviceRecord {
    pub fn new(code: &RecoveryCode, language: &str, confirmed: bool) -> Self {
        Self {
            recovery_secret: hex::encode(code.secret()),
            next_report_index: 0,
            directory_min_version: 0,
            directory_min_revocation_serial: 0,
            directory_checked_at: 0,
            language: language.to_string(),
            recovery_code_confirmed: confirmed,
            auto_lock_seconds: DEFAULT_AUTO_LOCK_SECONDS,
            recovery_scan: None,
            keep_sent_evidence: false,
            send_directly: false,
            escrow_secret: String::new(),
            own_ohttp_relay: None,
            escrow_invite: None,
        }
    }

    /// The device's escrow secret, if it has one.
    pub fn escrow_secret(&self) -> Option<[u8; 32]> {
        let mut secret = [0u8; 32];
        hex::decode_to_slice(&self.escrow_secret, &mut secret).ok()?;
        Some(secret)
    }

    /// The escrow invite kept, if any (`PROTOCOL.md` 18.12).
    pub fn escrow_invite(&self) -> Option<workvoice_proto::token::Invite> {
        workvoice_proto::token::Invite::parse(self.escrow_invite.as_deref()?).ok()
    }

    /// What this phone remembers of the directories it verified.
    pub fn directory_pins(&self) -> DirectoryPins {
        DirectoryPins {
            min_version: self.directory_min_version,
            min_revocation_serial: self.directory_min_revocation_serial,
        }
    }

    pub fn remember_directory(&mut self, verified: &VerifiedDirectory) {
        let mut pins = self.directory_pins();
        pins.remember(verified);
        self.directory_min_version = pins.min_version;
        self.directory_min_revocation_serial = pins.min_revocation_serial;
    }

    pub fn recovery_code(&self) -> Option<RecoveryCode> {
        let mut secret = [0u8; 16];
        hex::decode_to_slice(&self.recovery_secret, &mut secret).ok()?;
        Some(RecoveryCode::from_secret(secret))
    }

    pub fn write(&self) -> VaultWrite {
        put(NS_DEVICE, DEVICE_KEY, self)
    }
}

/// The report being written, stored after every step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// Its report id is fixed from the start: it names its evidence and, later, the submission.
    pub report: Report,
    /// The worker chose to wait until others report this recruiter (`PROTOCOL.md` 18.10).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub escrow: bool,
}

impl Draft {
    pub fn write(&self) -> VaultWrite {
        put(NS_DRAFT, DRAFT_KEY, self)
    }
}

/// Where a report stands on its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Saved on the phone, not yet sealed: waiting for signal.
    Waiting,
    /// Sealed and stored; being sent (or retried) with exactly these bytes.
    Sending,
    /// The relay accepted it.
    Accepted,
    /// It will not be sent as it is; the reason says why.
    Failed,
}

/// Why a report stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Failure {
    /// A recipient's key is not certified by the root, or its certificate expired or was
    /// revoked: nothing was sent.
    UntrustedKey {
        org_id: OrgId,
        org_name: String,
        reason: String,
    },
    /// No organisation in the directory can receive it with this consent.
    NoRecipient,
    /// The relay refused it for good (the code it gave).
    Refused { error: String },
    /// The union takes no more escrowed reports this week (`PROTOCOL.md` 18.3): the worker
    /// can send it now instead.
    EscrowRefused,
    /// This phone already has a report about the same recruiter waiting at the union (one
    /// device counts once per recruiter, `PROTOCOL.md` 18.9): this one can be sent now instead.
    EscrowDuplicate,
    /// The worker's invite has no tokens left this week (`429 token_budget_spent`,
    /// `PROTOCOL.md` 18.12): this one can be sent now instead.
    TokenBudgetSpent,
    /// The union does not know the worker's invite, or revoked it (`404 unknown_invite`,
    /// 18.12): this one can be sent now instead.
    UnknownInvite,
}

impl Failure {
    /// An escrowed report that cannot wait for others: the worker may send it now, as a plain
    /// report (`sync::retry_report`).
    pub fn can_send_now(&self) -> bool {
        matches!(
            self,
            Failure::EscrowRefused
                | Failure::EscrowDuplicate
                | Failure::TokenBudgetSpent
                | Failure::UnknownInvite
        )
    }
}

/// A problem that will be retried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Transient {
    NoSignal,
    RelayBusy {
        status: u16,
    },
    Directory {
        error: String,
    },
    /// The verified directory asks for more proof-of-work than the phone accepts
    /// (`sync::MAX_ACCEPTED_POW_DIFFICULTY`, PROTOCOL.md 12): nothing is solved or sent until
    /// a directory asks for less.
    PowTooHard {
        difficulty: u8,
        cap: u8,
    },
    /// No OHTTP relay answers and the worker's setting waits for one (`oblivious.rs`).
    PrivateRoute,
    /// The relay's escrow token keys or its answer to a token request did not check out
    /// (`token_key_invalid`, `token_response_invalid`, `PROTOCOL.md` 18.12): nothing was
    /// spent; the keys are fetched again at the next try.
    Token {
        error: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadState {
    pub id: AttachmentId,
    pub size: u64,
    pub received: u64,
    pub complete: bool,
    /// The sealed file was deleted from the phone: the relay confirmed the whole upload and
    /// every recipient acknowledged the report.
    #[serde(default)]
    pub released: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusNote {
    pub org_id: OrgId,
    /// `delivered`/`acknowledged` as the relay reported them, or what a sealed status the
    /// organisation's certified key sealed says (`PROTOCOL.md` 8.5); nothing else.
    pub status: MailboxStatus,
    pub at_hour: u64,
    /// The sealed status's message id (a replay of it is dropped); `None` for the relay's
    /// delivery statuses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<[u8; 16]>,
    /// When the organisation set it (its clock), from the sealed status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_at: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyNote {
    pub org_id: OrgId,
    pub text: String,
    pub language: String,
    pub at_hour: u64,
}

/// An organisation the route chose that the report was not sealed to, because its key could
/// not be trusted (`PROTOCOL.md` 11.3); the worker is told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftOutNote {
    pub org_id: OrgId,
    pub org_name: String,
    /// The trust status code, e.g. `certificate_expired`.
    pub reason: String,
}

/// One report in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxRecord {
    pub report_id: ReportId,
    /// The report's number on this device (mailbox and reply key).
    pub index: u32,
    /// The report itself; `None` for one found by recovery on a new phone.
    pub report: Option<Report>,
    /// Display order.
    pub order: u64,
    pub phase: Phase,
    /// The exact submission, stored before the first attempt and resent unchanged.
    pub sealed: Option<SubmissionRequest>,
    pub attempts: u32,
    pub next_attempt_at_ms: u64,
    pub transient: Option<Transient>,
    pub failure: Option<Failure>,
    pub recipients: Vec<OrgId>,
    pub uploads: Vec<UploadState>,
    pub mailbox_after: u64,
    pub mailbox_next_at_ms: u64,
    pub mailbox_interval_ms: u64,
    pub statuses: Vec<StatusNote>,
    pub replies: Vec<ReplyNote>,
    /// Replies and sealed statuses not yet opened (no verified directory yet to check the
    /// sender).
    pub unopened: Vec<MailboxEntry>,
    /// Replies and statuses that failed to verify as coming from the organisation's certified
    /// key, and organisation statuses that came unsealed: never shown.
    pub rejected_replies: u32,
    /// Chosen organisations the sealed submission leaves out (untrusted keys).
    #[serde(default)]
    pub left_out: Vec<LeftOutNote>,
    /// Sealed when the app locked: the proof-of-work of `sealed` is still to be solved, at this
    /// difficulty (whoever solves it, the courier or the unlocked app, finds the same smallest
    /// nonce, so the bytes sent are the same).
    #[serde(default)]
    pub pow_pending: Option<u8>,
    /// The worker asked for this sent report to be withdrawn (`PROTOCOL.md` 13.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal: Option<Withdrawal>,
    /// How much of each sealed attachment is copied into the courier store, so that the
    /// courier can upload it while locked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub courier_evidence: Vec<CourierEvidence>,
    /// The worker chose to wait until others report this recruiter: the report goes to the
    /// union as an escrow submission (`PROTOCOL.md` 18, `escrow.rs`), not as a plain one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escrow: Option<EscrowRecord>,
}

/// Where an escrowed report stands on its way (`escrow.rs`). Each step is stored (flushed)
/// before the request that depends on it, so a killed app goes on where it stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscrowRecord {
    /// The union the report is escrowed for, chosen at the first step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<OrgId>,
    /// Hex of the 32 bytes the OPRF blind derives from: the same blinded element every time.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub blind_seed: String,
    /// The proof-of-work nonce of the OPRF request, over `oprf_pow_id(blinded)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oprf_nonce: Option<u64>,
    /// The relay's id of the queued OPRF request, and its epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u32>,
    /// The exact escrow submission (bytes and proof-of-work), stored before the first post
    /// and resent unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed: Option<workvoice_proto::api::EscrowSubmissionRequest>,
    /// `k`, as sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<u8>,
    /// What the relay answered to the submission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<workvoice_proto::api::EscrowState>,
    /// The union refused the OPRF request (no more escrowed reports this epoch).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub refused: bool,
    /// The anonymous token for the next paid request, at a union that takes invites
    /// (`PROTOCOL.md` 18.12, `tokens.rs`): its seed is stored before the token request is
    /// posted, the token before the paid request is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenRecord>,
    /// A token was refused at spending (`401 token_invalid`/`token_spent`) and another taken:
    /// a second refusal fails the report.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub token_retried: bool,
}

/// One anonymous token on its way (`tokens.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    pub purpose: workvoice_proto::token::TokenPurpose,
    /// The epoch and the issuer key (hex of the 49 bytes) fetched, which the response is
    /// verified against.
    pub epoch: u32,
    pub key: String,
    /// Hex of the 32 bytes the token request derives from: the same request every time.
    pub seed: String,
    /// Hex of the finished token; empty until the relay's answer verified.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub token: String,
}

impl TokenRecord {
    pub fn seed(&self) -> Option<[u8; 32]> {
        let mut seed = [0u8; 32];
        hex::decode_to_slice(&self.seed, &mut seed).ok()?;
        Some(seed)
    }

    pub fn key(&self) -> Option<Vec<u8>> {
        hex::decode(&self.key).ok()
    }

    /// The finished token, if the answer verified.
    pub fn token(&self) -> Option<Vec<u8>> {
        (!self.token.is_empty())
            .then(|| hex::decode(&self.token).ok())
            .flatten()
    }
}

impl EscrowRecord {
    pub fn blind_seed(&self) -> Option<[u8; 32]> {
        let mut seed = [0u8; 32];
        hex::decode_to_slice(&self.blind_seed, &mut seed).ok()?;
        Some(seed)
    }

    /// Still held by escrow: not released, and the mailbox does not exist yet.
    pub fn waiting(&self) -> bool {
        self.state != Some(workvoice_proto::api::EscrowState::Released)
    }
}

/// The courier store's copy of one sealed attachment of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourierEvidence {
    pub id: AttachmentId,
    /// Chunks copied, from the first.
    pub chunks: u64,
    /// Stored by an earlier release as one whole record: it is uploaded only while unlocked.
    #[serde(default)]
    pub unchunked: bool,
}

/// The number of chunk records of a sealed attachment of `sealed_size` bytes.
pub fn attachment_chunks(sealed_size: u64) -> u64 {
    sealed_size.div_ceil(ATTACHMENT_CHUNK_BYTES as u64).max(1)
}

/// The courier store writes that delete its copy of an attachment of `sealed_size` bytes.
pub fn courier_evidence_deletes(
    report_id: &ReportId,
    attachment: &AttachmentId,
    sealed_size: u64,
) -> Vec<VaultWrite> {
    (0..attachment_chunks(sealed_size))
        .map(|index| VaultWrite::Delete {
            ns: NS_COURIER_EVIDENCE.into(),
            key: attachment_chunk_key(report_id, attachment, index),
        })
        .collect()
}

/// Where a withdrawal request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Withdrawal {
    /// Asked for; the relay has not taken it yet.
    Requested,
    /// The relay took it and passes it to the organisations.
    Sent,
}

impl OutboxRecord {
    pub fn new(report: Report, index: u32, order: u64, mailbox_interval_ms: u64) -> Self {
        Self {
            report_id: report.report_id,
            index,
            report: Some(report),
            order,
            phase: Phase::Waiting,
            sealed: None,
            attempts: 0,
            next_attempt_at_ms: 0,
            transient: None,
            failure: None,
            recipients: Vec::new(),
            uploads: Vec::new(),
            mailbox_after: 0,
            mailbox_next_at_ms: u64::MAX,
            mailbox_interval_ms,
            statuses: Vec::new(),
            replies: Vec::new(),
            unopened: Vec::new(),
            rejected_replies: 0,
            left_out: Vec::new(),
            pow_pending: None,
            withdrawal: None,
            courier_evidence: Vec::new(),
            escrow: None,
        }
    }

    pub fn write(&self) -> VaultWrite {
        put(NS_OUTBOX, &self.report_id.to_hex(), self)
    }

    pub fn uploads_pending(&self) -> bool {
        self.uploads.iter().any(|u| !u.complete)
    }

    /// The next chunk of sealed evidence to copy into the courier store: the attachment, its
    /// sealed size and the chunk's index. Attachments already uploaded are not copied.
    pub fn evidence_to_copy(&self) -> Option<(AttachmentId, u64, u64)> {
        if self.phase == Phase::Failed {
            return None;
        }
        let report = self.report.as_ref()?;
        report.attachments.iter().find_map(|a| {
            if self.uploads.iter().any(|u| u.id == a.id && u.complete) {
                return None;
            }
            let copied = self.courier_evidence.iter().find(|c| c.id == a.id);
            if copied.is_some_and(|c| c.unchunked) {
                return None;
            }
            let chunks = copied.map_or(0, |c| c.chunks);
            (chunks < attachment_chunks(a.sealed_size)).then_some((a.id, a.sealed_size, chunks))
        })
    }

    /// Whether the courier store holds the whole sealed attachment `id` of `size` bytes.
    pub fn evidence_copied(&self, id: &AttachmentId, size: u64) -> bool {
        self.courier_evidence
            .iter()
            .any(|c| c.id == *id && !c.unchunked && c.chunks >= attachment_chunks(size))
    }

    /// Whether the sync engine seals (or resends) it when it is due: waiting, being sent, or
    /// held back by a recipient key the directory could not vouch for, which a later directory
    /// may fix (a key or certificate swapped in for one round).
    pub fn to_send(&self) -> bool {
        match self.phase {
            Phase::Waiting | Phase::Sending => true,
            Phase::Failed => matches!(self.failure, Some(Failure::UntrustedKey { .. })),
            Phase::Accepted => false,
        }
    }
}

/// What a locked phone keeps of one report to go on delivering it: the sealed submission until
/// the relay accepts it, the mailbox token and polling state, and what the mailbox returned
/// while locked (statuses, and replies still sealed to the reply key, which only the unlocked
/// app can derive). Never report text, names, replies in clear or the recovery code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourierEntry {
    pub report_id: ReportId,
    /// The exact submission to send; `None` once the relay accepted it.
    pub sealed: Option<SubmissionRequest>,
    /// The relay accepted the submission while locked; the recipients it named.
    pub accepted: Option<Vec<OrgId>>,
    /// The relay's answer needs the unlocked app (a re-seal, a new mailbox number, a
    /// refusal): the code. The submission waits for the PIN.
    pub held: Option<String>,
    pub attempts: u32,
    pub next_attempt_at_ms: u64,
    /// The mailbox token, as the relay's paths and bearer take it.
    pub mailbox_token: String,
    pub mailbox_after: u64,
    pub mailbox_next_at_ms: u64,
    pub mailbox_interval_ms: u64,
    /// Mailbox entries that arrived while locked, in order; taken over at unlock.
    pub arrived: Vec<MailboxEntry>,
    /// The proof-of-work of `sealed` is still to be solved, at this difficulty.
    #[serde(default)]
    pub pow_pending: Option<u8>,
    /// Uploads of evidence whose sealed chunks the courier store holds a copy of
    /// ([`NS_COURIER_EVIDENCE`]); ids and sizes only.
    #[serde(default)]
    pub uploads: Vec<UploadState>,
}

impl CourierEntry {
    /// What the courier keeps of `record`, with its mailbox token; `None` for a report that
    /// has nothing to deliver or poll (waiting to be sealed, or failed).
    pub fn of(record: &OutboxRecord, mailbox_token: String) -> Option<Self> {
        // An escrowed report is sent only while unlocked (`escrow.rs`), and has no mailbox
        // until its group is released.
        if record.escrow.as_ref().is_some_and(EscrowRecord::waiting) {
            return None;
        }
        let sealed = match record.phase {
            Phase::Sending => Some(record.sealed.clone()?),
            Phase::Accepted => None,
            Phase::Waiting | Phase::Failed => return None,
        };
        Some(Self {
            report_id: record.report_id,
            sealed,
            accepted: None,
            held: None,
            attempts: record.attempts,
            next_attempt_at_ms: record.next_attempt_at_ms,
            mailbox_token,
            mailbox_after: record.mailbox_after,
            mailbox_next_at_ms: record.mailbox_next_at_ms,
            mailbox_interval_ms: record.mailbox_interval_ms,
            arrived: Vec::new(),
            pow_pending: record.pow_pending,
            uploads: record
                .uploads
                .iter()
                .filter(|u| !u.complete && record.evidence_copied(&u.id, u.size))
                .cloned()
                .collect(),
        })
    }

    pub fn write(&self) -> VaultWrite {
        put(NS_COURIER, &self.report_id.to_hex(), self)
    }

    pub fn delete(report_id: &ReportId) -> VaultWrite {
        VaultWrite::Delete {
            ns: NS_COURIER.into(),
            key: report_id.to_hex(),
        }
    }

    /// Whether it waits to be sent (and may be now).
    pub fn to_send(&self) -> bool {
        self.sealed.is_some() && self.held.is_none()
    }

    /// Whether its mailbox is polled.
    pub fn to_poll(&self) -> bool {
        self.sealed.is_none()
    }

    /// Whether evidence waits to be uploaded (and may be, once due).
    pub fn to_upload(&self) -> bool {
        self.sealed.is_none() && self.held.is_none() && self.uploads.iter().any(|u| !u.complete)
    }
}

/// The key of a whole sealed attachment, as releases before chunked storage kept it.
pub fn attachment_key(report_id: &ReportId, attachment: &AttachmentId) -> String {
    format!("{report_id}/{attachment}")
}

/// A sealed attachment is kept as records of at most this many bytes, so that neither the
/// store nor an upload ever holds more than one of them.
pub const ATTACHMENT_CHUNK_BYTES: usize = 256 * 1024;

/// The key of the `index`-th chunk of a sealed attachment.
pub fn attachment_chunk_key(report_id: &ReportId, attachment: &AttachmentId, index: u64) -> String {
    format!("{report_id}/{attachment}/{index}")
}

/// The writes that store `sealed` as chunk records.
pub fn attachment_puts(
    report_id: &ReportId,
    attachment: &AttachmentId,
    sealed: &[u8],
) -> Vec<VaultWrite> {
    sealed
        .chunks(ATTACHMENT_CHUNK_BYTES)
        .zip(0u64..)
        .map(|(chunk, index)| VaultWrite::Put {
            ns: NS_ATTACHMENTS.into(),
            key: attachment_chunk_key(report_id, attachment, index),
            value: chunk.to_vec(),
        })
        .collect()
}

/// The writes that delete a sealed attachment of `sealed_size` bytes, in chunks or whole.
pub fn attachment_deletes(
    report_id: &ReportId,
    attachment: &AttachmentId,
    sealed_size: u64,
) -> Vec<VaultWrite> {
    (0..attachment_chunks(sealed_size))
        .map(|index| attachment_chunk_key(report_id, attachment, index))
        .chain([attachment_key(report_id, attachment)])
        .map(|key| VaultWrite::Delete {
            ns: NS_ATTACHMENTS.into(),
            key,
        })
        .collect()
}

/// The evidence file whose sealed chunks are being stored, written with each batch of chunks
/// and deleted with the draft write that names the attachment. One found at unlock was cut
/// off (the app was killed or locked): its chunks are deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntakeRecord {
    pub report_id: ReportId,
    pub attachment_id: AttachmentId,
    /// Chunk records stored so far.
    pub chunks: u64,
}

impl IntakeRecord {
    pub fn write(&self) -> VaultWrite {
        put(NS_DRAFT, INTAKE_KEY, self)
    }

    pub fn delete() -> VaultWrite {
        VaultWrite::Delete {
            ns: NS_DRAFT.into(),
            key: INTAKE_KEY.into(),
        }
    }

    /// The writes that delete what this intake stored, and the record itself.
    pub fn deletes(&self) -> Vec<VaultWrite> {
        (0..self.chunks)
            .map(|index| VaultWrite::Delete {
                ns: NS_ATTACHMENTS.into(),
                key: attachment_chunk_key(&self.report_id, &self.attachment_id, index),
            })
            .chain([Self::delete()])
            .collect()
    }
}

fn put<T: Serialize>(ns: &str, key: &str, value: &T) -> VaultWrite {
    VaultWrite::Put {
        ns: ns.into(),
        key: key.into(),
        // Plain structs with string keys always serialise.
        value: serde_json::to_vec(value).unwrap_or_default(),
    }
}
