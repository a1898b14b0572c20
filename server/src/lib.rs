//! The Workvoice relay: routes sealed reports from workers' phones to organisations' inboxes
//! and carries status notes and sealed replies back through anonymous mailboxes.
//!
//! **Architecture Invariant:** the relay can decrypt nothing. It holds ciphertext, the routing
//! tags and consent the worker agreed to disclose, and hashes of mailbox tokens and
//! organisation credentials.
//!
//! Layout: [`configuration`] (TOML + `WORKVOICE_*`), [`startup`] ([`startup::Application`] and
//! [`startup::app`]), [`tls`] (certificate files or ACME on the public listener), [`telemetry`], [`storage`] (sqlx over SQLite or PostgreSQL), [`domain`],
//! [`routes`], [`oblivious`] (the Oblivious HTTP gateway), [`ohttp_relay`] (the `workvoice-ohttp-relay` binary a partner runs in front of it), [`files`] (modes of the data directory and its files), [`admin`] (organisations, keys, directory publication), [`cli`] and
//! [`root_tool`] (the two binaries), [`backup`] (encrypted backups and restores), and behind the `testing` feature [`testing`], an
//! in-process relay for other crates' tests.

pub mod admin;
pub mod backup;
pub mod cli;
pub mod configuration;
pub mod domain;
pub mod error;
pub mod files;
pub mod limiter;
pub mod metrics;
pub mod oblivious;
pub mod ohttp_relay;
pub mod openapi;
pub mod root_tool;
pub mod routes;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tls;

pub use startup::{Application, app};
