#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Desk tests against a real in-process relay: sync (resume, no duplicates, acknowledgement
//! only after storing), the case workflow (status, reply, referral with and without consent),
//! key monitoring, and reporting escrow.

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/world.rs"]
mod world;

mod at_rest;
mod escrow;
mod invites;
mod monitoring;
mod sync;
mod workflow;
