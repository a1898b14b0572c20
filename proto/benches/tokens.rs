//! Anonymous escrow tokens (PROTOCOL.md 18.12): the RFC 9578 framing in `proto::token` against
//! the bare VOPRF calls of the `voprf` crate underneath it, measured in one run.
//!
//! The maintained implementation of RFC 9578, the `privacypass` crate, is not usable yet (its
//! 0.2 pre-releases depend on pre-release RustCrypto crates, and `0.2.0-pre.4` does not
//! build), so the comparison that can be made is with the VOPRF it would also sit on: for each
//! party, `proto::token` (build the `TokenRequest`, check its key id, encode the response,
//! parse and verify the `Token`) against `voprf` alone doing the same group operations (blind,
//! blind-evaluate with a proof, finalize with proof verification, evaluate). Batches of the two
//! alternate (the envelope bench's method); the ratio is the median of the per-pair ratios.
//!
//! `cargo bench -p workvoice-proto --bench tokens`

#[path = "common/paired.rs"]
mod paired;
use paired::paired;
use std::hint::black_box;
use std::time::Duration;

use p384::NistP384;
use voprf::{VoprfClient, VoprfServer};
use workvoice_proto::rand_core::Rng as _;
use workvoice_proto::token::{IssuerKey, PendingToken, TokenPurpose};
use workvoice_proto::vectors::DeterministicRng;

struct Rng06<'a>(&'a mut DeterministicRng);

impl rand_core_06::RngCore for Rng06<'_> {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest)
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core_06::Error> {
        self.0.fill_bytes(dest);
        Ok(())
    }
}

impl rand_core_06::CryptoRng for Rng06<'_> {}

fn main() {
    let budget = Duration::from_secs(3);
    let key = IssuerKey::derive(&[3; 32], &[4; 16], 7, TokenPurpose::Escrow)
        .unwrap_or_else(|_| unreachable!());
    let raw = VoprfServer::<NistP384>::new_from_seed(&[5; 32], b"bench")
        .unwrap_or_else(|_| unreachable!());
    let raw_pk = raw.get_public_key();
    let input = [9u8; 98];
    let mut rng_a = DeterministicRng::new("raw");
    let mut rng_b = DeterministicRng::new("token");
    let mut seed = [0u8; 32];

    // One precomputed exchange for each side, so each party's half can be timed alone.
    let pending =
        PendingToken::begin(key.public_key(), &[1; 32]).unwrap_or_else(|_| unreachable!());
    let response = key
        .issue(pending.request(), &mut rng_b)
        .unwrap_or_else(|_| unreachable!());
    let token = pending
        .finalize(key.public_key(), &response)
        .unwrap_or_else(|_| unreachable!());
    let raw_blind = VoprfClient::<NistP384>::blind(&input, &mut Rng06(&mut rng_a))
        .unwrap_or_else(|_| unreachable!());
    let raw_eval = raw.blind_evaluate(&mut Rng06(&mut rng_a), &raw_blind.message);

    println!(
        "Privacy Pass tokens (RFC 9578 type 0x0001) against bare VOPRF(P-384) calls, paired batches"
    );
    println!("| step | bare voprf µs | proto::token µs | ratio |");
    println!("|---|---|---|---|");
    let row = |name: &str, (a, b, r): (f64, f64, f64)| {
        println!("| {name} | {:.1} | {:.1} | {:.2} |", a * 1e6, b * 1e6, r);
    };
    row(
        "phone: request (blind)",
        paired(
            budget,
            || {
                black_box(
                    VoprfClient::<NistP384>::blind(&input, &mut Rng06(&mut rng_a))
                        .map(|r| r.message.serialize()),
                )
                .ok();
            },
            || {
                seed[0] = seed[0].wrapping_add(1);
                black_box(PendingToken::begin(key.public_key(), &seed).map(|p| *p.request())).ok();
            },
        ),
    );
    row(
        "relay: issue (blind-evaluate + proof)",
        paired(
            budget,
            || {
                black_box(
                    raw.blind_evaluate(&mut Rng06(&mut rng_a), &raw_blind.message)
                        .message,
                );
            },
            || {
                black_box(key.issue(pending.request(), &mut rng_b)).ok();
            },
        ),
    );
    row(
        "phone: finalize (verify proof, unblind)",
        paired(
            budget,
            || {
                black_box(raw_blind.state.finalize(
                    &input,
                    &raw_eval.message,
                    &raw_eval.proof,
                    raw_pk,
                ))
                .ok();
            },
            || {
                black_box(pending.finalize(key.public_key(), &response)).ok();
            },
        ),
    );
    row(
        "relay: verify a spent token (evaluate)",
        paired(
            budget,
            || {
                black_box(raw.evaluate(&input)).ok();
            },
            || {
                black_box(key.verify(&token)).ok();
            },
        ),
    );
    println!(
        "bytes: TokenRequest {}, TokenResponse {}, Token {} (base64 in JSON, base64url in the header)",
        pending.request().len(),
        response.len(),
        token.len()
    );
}
