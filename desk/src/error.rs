//! The desk's errors. Every variant has a stable code (`DeskError::code`), used in logs, in the
//! CLI's exit message and in the web UI's error pages.

use workvoice_proto::ErrorCode;
use workvoice_proto::directory::DirectoryError;
use workvoice_proto::envelope::EnvelopeError;

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error("the passphrase is wrong")]
    WrongPassphrase,
    #[error("the passphrase is empty or shorter than {min} characters")]
    WeakPassphrase { min: usize },
    #[error("a desk already exists in {0}")]
    AlreadyInitialised(String),
    #[error("no desk in {0}: run `workvoice-desk init` first")]
    NotInitialised(String),
    #[error("the desk is not enrolled with a relay: run `workvoice-desk enrol` first")]
    NotEnrolled,
    #[error("invalid enrolment: {0}")]
    InvalidEnrolment(String),
    #[error("the stored secrets are corrupt or were tampered with")]
    CorruptSecret,
    #[error("the desk's unlock file (desk.unlock) cannot be used: {0}")]
    UnlockFile(String),
    #[error("the CA file {path} (WORKVOICE_CA_FILE) cannot be used: {reason}")]
    CaFile { path: String, reason: String },
    #[error("the relay could not be reached: {0}")]
    RelayUnreachable(String),
    #[error("the relay refused the request ({status}): {code}: {message}")]
    RelayRefused {
        status: u16,
        code: String,
        message: String,
    },
    #[error("the relay answered something that is not the expected JSON: {0}")]
    RelayProtocol(String),
    #[error("the directory is not valid: {0}")]
    Directory(#[from] DirectoryError),
    #[error("envelope: {0}")]
    Envelope(#[from] EnvelopeError),
    #[error("no such case")]
    CaseNotFound,
    #[error("no such attachment")]
    AttachmentNotFound,
    #[error("the worker did not consent to a referral to this organisation")]
    ReferralNotConsented,
    #[error("the organisation cannot receive referrals: {0}")]
    ReferralTarget(String),
    #[error("the reply could not be sealed: {0}")]
    Reply(String),
    #[error("the attachment could not be opened: {0}")]
    Attachment(String),
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("the user name is taken")]
    UserExists,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("escrow: {0}")]
    Escrow(#[from] workvoice_proto::escrow::EscrowError),
    #[error("this case was escrowed: the relay holds no reply channel for it (PROTOCOL.md 18.6)")]
    EscrowedCase,
    #[error(
        "{0:?} is not an invite code (WV- and 26 letters and digits, as `escrow-invites create` printed it)"
    )]
    InvalidInvite(String),
}

impl DeskError {
    pub fn code(&self) -> &'static str {
        match self {
            DeskError::WrongPassphrase => "wrong_passphrase",
            DeskError::WeakPassphrase { .. } => "weak_passphrase",
            DeskError::AlreadyInitialised(_) => "already_initialised",
            DeskError::NotInitialised(_) => "not_initialised",
            DeskError::NotEnrolled => "not_enrolled",
            DeskError::InvalidEnrolment(_) => "invalid_enrolment",
            DeskError::CorruptSecret => "corrupt_secret",
            DeskError::UnlockFile(_) => "unlock_file_unreadable",
            DeskError::CaFile { .. } => "ca_file_unusable",
            DeskError::RelayUnreachable(_) => "relay_unreachable",
            DeskError::RelayRefused { .. } => "relay_refused",
            DeskError::RelayProtocol(_) => "relay_protocol",
            DeskError::Directory(e) => e.code(),
            DeskError::Envelope(e) => e.code(),
            DeskError::CaseNotFound => "case_not_found",
            DeskError::AttachmentNotFound => "attachment_not_found",
            DeskError::ReferralNotConsented => "referral_not_consented",
            DeskError::ReferralTarget(_) => "referral_target",
            DeskError::Reply(_) => "reply_failed",
            DeskError::Attachment(_) => "attachment_failed",
            DeskError::InvalidInput(_) => "invalid_input",
            DeskError::UserExists => "user_exists",
            DeskError::Database(_) => "database",
            DeskError::Migration(_) => "migration",
            DeskError::Io(_) => "io",
            DeskError::Escrow(e) => e.code(),
            DeskError::EscrowedCase => "escrowed_no_reply_channel",
            DeskError::InvalidInvite(_) => "invalid_invite",
        }
    }
}

pub type Result<T, E = DeskError> = std::result::Result<T, E>;
