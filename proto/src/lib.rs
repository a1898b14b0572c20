//! Workvoice wire and crypto truth.
//!
//! Everything that crosses the wire is defined here: the report schema, the sealed envelope,
//! replies, attachments, the signed directory with its certificates, routing, proof-of-work,
//! recovery derivation and the JSON bodies of the relay API. `PROTOCOL.md` in this crate is the
//! byte-level specification; `vectors/` holds the test vectors every implementation runs.
//!
//! **Architecture Invariant:** this crate does no I/O, no async and no clock reads. Every
//! function is deterministic given its inputs and an injected random number generator.

pub mod api;
pub mod attachment;
pub mod codec;
pub mod directory;
pub mod envelope;
pub mod escrow;
pub mod hpke_suite;
pub mod iso;
pub mod kdf;
pub mod keys;
pub mod oblivious;
pub mod padding;
pub mod pow;
pub mod recovery;
pub mod reply;
pub mod report;
pub mod routing;
pub mod status;
#[cfg(feature = "system-rng")]
pub mod system_rng;
pub mod token;
#[cfg(feature = "test-support")]
pub mod vectors;

pub use rand_core;

/// A cryptographically secure random number generator, as the crypto in this crate expects.
pub trait SecureRng: rand_core::CryptoRng {}
impl<T: rand_core::CryptoRng> SecureRng for T {}

/// Stable, machine-readable code of an error, the same across every implementation and the
/// `error` field of the relay's JSON errors.
pub trait ErrorCode {
    fn code(&self) -> &'static str;
}
