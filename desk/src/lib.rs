//! Workvoice desk: an organisation's triage app.
//!
//! It holds the organisation's HPKE private keys (sealed under a passphrase), pulls the
//! organisation's inbox from the relay, opens and stores each case with its evidence in a local
//! SQLCipher database sealed under the same passphrase, acknowledges only what is durably
//! stored, watches the relay's directory for a change of its own key, and serves caseworkers a
//! web UI on localhost: triage, replies to the worker, consented referrals, charts and exports.
//!
//! The entry point is [`Desk`]: `Desk::init` / `Desk::open`, `enrol`, `sync`, `serve`,
//! `add_user`.

pub mod at_rest;
pub mod cases;
pub mod desk;
pub mod error;
pub mod export;
pub mod insight;
pub mod labels;
pub mod login_guard;
pub mod relay;
#[cfg(feature = "test-support")]
pub mod samples;
pub mod secrets;
pub mod store;
pub mod web;

pub use desk::{
    Desk, Enrolment, InitOptions, KeyInfo, SyncOptions, SyncProgress, SyncReport, fingerprint,
};
pub use error::DeskError;
pub use secrets::{KdfParams, Passphrase};
