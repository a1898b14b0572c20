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

#[cfg(test)]
mod boundaries {
    /// The desk does not know the web (no `desk ↔ web` cycle), and the web pages call the
    /// desk's methods, never its store.
    #[test]
    fn the_web_calls_the_desk_and_the_desk_does_not_know_the_web() {
        let desk = [
            ("desk/mod.rs", include_str!("desk/mod.rs")),
            ("desk/accounts.rs", include_str!("desk/accounts.rs")),
            ("desk/casework.rs", include_str!("desk/casework.rs")),
            ("desk/escrow.rs", include_str!("desk/escrow.rs")),
            ("desk/evidence.rs", include_str!("desk/evidence.rs")),
            ("desk/keys.rs", include_str!("desk/keys.rs")),
            ("desk/monitoring.rs", include_str!("desk/monitoring.rs")),
            ("desk/sync.rs", include_str!("desk/sync.rs")),
        ];
        for (name, text) in desk {
            let code: String = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect();
            assert!(!code.contains("crate::web"), "{name} names the web");
        }
        let web = [
            ("web/mod.rs", include_str!("web/mod.rs")),
            ("web/pages.rs", include_str!("web/pages.rs")),
            ("web/views.rs", include_str!("web/views.rs")),
            ("export.rs", include_str!("export.rs")),
        ];
        for (name, text) in web {
            assert!(
                !text.contains(".store()"),
                "{name} reaches around to the store"
            );
            assert!(!text.contains("store::Store"), "{name} names the store");
        }
    }
}
