//! Seal and open cost against the raw primitives they are built from, measured in one run.
//!
//! `cargo bench -p workvoice-proto --bench envelope` prints criterion's figures and then a table
//! of seal cost ÷ sum of primitives, and of framing bytes, for `BENCHMARKS.md`.

#[path = "common/paired.rs"]
mod paired;
use paired::paired;
use std::hint::black_box;
use std::time::{Duration, Instant};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use criterion::{BenchmarkId, Criterion, criterion_group};
use workvoice_proto::envelope::{self, framing_len};
use workvoice_proto::keys::{HpkePrivateKey, HpkePublicKey, OrgId, ReportId};
use workvoice_proto::padding::padded_len;
use workvoice_proto::vectors::DeterministicRng;
use x25519_dalek::{PublicKey, StaticSecret};

const SIZES: [usize; 2] = [1024, 64 * 1024];
const RECIPIENTS: [usize; 3] = [1, 3, 10];

struct Setup {
    recipients: Vec<(OrgId, HpkePrivateKey)>,
    /// What a sender holds: each recipient's id and certified public key.
    public: Vec<(OrgId, HpkePublicKey)>,
    plain: Vec<u8>,
}

fn setup(n: usize, size: usize) -> Setup {
    let mut rng = DeterministicRng::new("bench");
    let recipients: Vec<(OrgId, HpkePrivateKey)> = (0..n)
        .map(|_| (OrgId::random(&mut rng), HpkePrivateKey::generate(&mut rng)))
        .collect();
    let public = recipients
        .iter()
        .map(|(id, k)| (*id, k.public_key()))
        .collect();
    Setup {
        recipients,
        public,
        plain: vec![0x42; size],
    }
}

fn seal(s: &Setup, rng: &mut DeterministicRng) -> Vec<u8> {
    envelope::seal(&s.plain, ReportId([1; 16]), &s.public, &[0; 32], rng).unwrap_or_default()
}

fn x25519_agreement(secret: &StaticSecret, public: &PublicKey) -> [u8; 32] {
    secret.diffie_hellman(public).to_bytes()
}

fn x25519_keygen(seed: [u8; 32]) -> PublicKey {
    PublicKey::from(&StaticSecret::from(seed))
}

fn aead(key: &[u8; 32], bytes: &[u8]) -> Vec<u8> {
    XChaCha20Poly1305::new(&(*key).into())
        .encrypt(
            &XNonce::from([7u8; 24]),
            Payload {
                msg: bytes,
                aad: b"",
            },
        )
        .unwrap_or_default()
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("primitives");
    let a = StaticSecret::from([1u8; 32]);
    let b = PublicKey::from(&StaticSecret::from([2u8; 32]));
    group.bench_function("x25519_agreement", |bench| {
        bench.iter(|| x25519_agreement(black_box(&a), &b))
    });
    group.bench_function("x25519_keygen", |bench| {
        bench.iter(|| x25519_keygen(black_box([3u8; 32])))
    });
    for size in SIZES {
        let bytes = vec![0u8; padded_len(size)];
        group.bench_with_input(
            BenchmarkId::new("xchacha20poly1305", size),
            &bytes,
            |bench, bytes| bench.iter(|| aead(&[9; 32], black_box(bytes))),
        );
    }
    group.finish();

    let mut group = c.benchmark_group("envelope");
    for size in SIZES {
        for n in RECIPIENTS {
            let s = setup(n, size);
            let mut rng = DeterministicRng::new("seal");
            group.bench_function(BenchmarkId::new(format!("seal/{n}"), size), |bench| {
                bench.iter(|| seal(black_box(&s), &mut rng))
            });
            let sealed = seal(&s, &mut rng);
            let (id, key) = &s.recipients[n - 1];
            group.bench_function(BenchmarkId::new(format!("open/{n}"), size), |bench| {
                bench.iter(|| envelope::open(black_box(&sealed), *id, key, &[0; 32]))
            });
        }
    }
    group.finish();
}

/// Median time of one call, over batches run for about `budget`.
fn median(budget: Duration, mut f: impl FnMut()) -> f64 {
    for _ in 0..3 {
        f();
    }
    let mut samples = Vec::new();
    let start = Instant::now();
    while start.elapsed() < budget || samples.len() < 11 {
        let t = Instant::now();
        for _ in 0..8 {
            f();
        }
        samples.push(t.elapsed().as_secs_f64() / 8.0);
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn summary() {
    let budget = Duration::from_millis(400);
    let a = StaticSecret::from([1u8; 32]);
    let b = PublicKey::from(&StaticSecret::from([2u8; 32]));
    let dh = median(budget, || {
        black_box(x25519_agreement(black_box(&a), &b));
    });
    let keygen = median(budget, || {
        black_box(x25519_keygen(black_box([3u8; 32])));
    });
    println!();
    println!("Envelope cost against its primitives (paired batches, same run)");
    println!(
        "x25519 agreement {:.1} µs, x25519 key generation {:.1} µs",
        dh * 1e6,
        keygen * 1e6
    );
    println!(
        "| op | size | recipients | time µs | primitives µs | ratio | framing bytes | budget bytes |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for size in SIZES {
        let bytes = vec![0u8; padded_len(size)];
        for n in RECIPIENTS {
            let s = setup(n, size);
            let mut rng = DeterministicRng::new("seal");
            // Per recipient: an ephemeral key pair and one agreement; plus one content AEAD.
            let seal_primitives = || {
                for i in 0..n {
                    let eph = x25519_keygen(black_box([3u8 + i as u8; 32]));
                    black_box(eph);
                    black_box(x25519_agreement(black_box(&a), &b));
                }
                black_box(aead(&[9; 32], black_box(&bytes)));
            };
            let (p_seal, t_seal, r_seal) = paired(budget, seal_primitives, || {
                black_box(seal(&s, &mut rng));
            });
            let sealed = seal(&s, &mut rng);
            let (id, key) = &s.recipients[n - 1];
            // One agreement and one content AEAD.
            let open_primitives = || {
                black_box(x25519_agreement(black_box(&a), &b));
                black_box(aead(&[9; 32], black_box(&bytes)));
            };
            let (p_open, t_open, r_open) = paired(budget, open_primitives, || {
                let _ = black_box(envelope::open(&sealed, *id, key, &[0; 32]));
            });
            let framing = framing_len(n);
            for (op, t, p, r) in [
                ("seal", t_seal, p_seal, r_seal),
                ("open", t_open, p_open, r_open),
            ] {
                println!(
                    "| {op} | {} KiB | {n} | {:.1} | {:.1} | {:.3} | {framing} | {} |",
                    size / 1024,
                    t * 1e6,
                    p * 1e6,
                    r,
                    120 + 96 * n
                );
            }
            assert_eq!(sealed.len(), framing + padded_len(size));
        }
    }
}

criterion_group!(envelope_benches, benches);

fn main() {
    envelope_benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
    summary();
}
