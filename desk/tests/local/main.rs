#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Desk tests that need no relay: keys, the escrow OPRF step, local storage, exports, the web
//! forms.

#[path = "../common/mod.rs"]
mod common;

mod at_rest;
mod ca_file;
mod channels;
mod escrow;
mod exports;
mod keys;
mod web_forms;
