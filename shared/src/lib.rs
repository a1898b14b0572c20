//! The worker's phone core: a pure crux app, the encrypted vault, and the FFI.
//!
//! - [`app`]: the crux [`app::Workvoice`] app (pure: events in, effects out);
//! - [`host`]: resolves the vault, time and randomness effects in Rust, so the native shell
//!   only ever performs HTTP and renders;
//! - [`ffi`]: the bytes-level interface the shells call (`update`, `resolve`, `view`);
//! - [`vault`]: the encrypted on-device store; [`evidence`]: metadata stripping;
//! - [`i18n`]: every user-facing string, per language.

pub mod app;
pub mod evidence;
pub mod ffi;
pub mod host;
pub mod i18n;
pub mod vault;

pub use ffi::*;
