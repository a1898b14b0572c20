//! End-to-end tests across processes (in `tests/`), and the `workvoice-testbed` binary that the
//! Kotlin and Python binding tests run against (`src/bin/testbed.rs`).
//!
//! The harness the end-to-end tests use:
//! - [`binaries`]: the real `workvoice-cli`, `workvoice-relay`, `workvoice-root` and
//!   `workvoice-desk` binaries, built once per test process;
//! - [`world::World`]: a relay database seeded with the fixture organisations, the relay
//!   binary serving it, the union's desk (binary) enrolled with a key the root certified, and
//!   a fault proxy in front of the relay for the phones;
//! - [`phone::Phone`]: a phone (the CLI over the real core and vault) in its own data directory;
//! - [`proxy::FaultProxy`]: drops, delays, truncates, holds and resets connections, scripted
//!   or seeded-random, bounded;
//! - [`relay::RelayProcess`]: `serve` as a child process, killed with SIGKILL and restarted on
//!   the same database;
//! - [`postgres`]: a fresh database per test in the shared cluster, or a throwaway cluster the
//!   test starts, restarts under load and removes;
//! - [`sms::SmsProcess`]: the SMS channel (`workvoice-sms`) beside a simulated SMS gateway, and
//!   [`desk::DeskWeb`], a caseworker signed in to the desk's web UI (`workvoice-desk serve`).
//!
//! Every wait is bounded, every child process is killed when its handle is dropped, and
//! everything listens on 127.0.0.1 with ports chosen by the system.

pub mod binaries;
pub mod desk;
pub mod phone;
pub mod postgres;
pub mod process;
pub mod proxy;
pub mod relay;
pub mod sms;
pub mod world;
