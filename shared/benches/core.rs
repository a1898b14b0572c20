//! Phone-core figures, each next to a baseline measured in the same run:
//! - saving a queued report durably (vault batch + flush) against the same three writes in one
//!   transaction of raw SQLite with the vault's settings (WAL, `synchronous = FULL`);
//! - sealing one report at send time (route, certified keys, envelope, submission body)
//!   against the raw primitives it is made of (HPKE per recipient + XChaCha20-Poly1305);
//! - bytes on the wire for a 1 KiB report;
//! - the size of the release-small cdylib, if it was built.
//!
//! `cargo bench -p workvoice-core --bench core`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hpke::aead::ChaCha20Poly1305 as HpkeChaCha;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, OpModeS};
use workvoice_core::app::records::OutboxRecord;
use workvoice_core::vault::{KdfParams, Vault, VaultConfig, VaultOp};
use workvoice_proto::api::SubmissionRequest;
use workvoice_proto::directory::verify_directory;
use workvoice_proto::envelope::seal;
use workvoice_proto::keys::ReportId;
use workvoice_proto::padding;
use workvoice_proto::pow::solve_pow;
use workvoice_proto::recovery::{RecoveryCode, mailbox_token_hash};
use workvoice_proto::report::Report;
use workvoice_proto::routing::{disclosure_digest, route};
use workvoice_proto::vectors::{DeterministicRng, Fixture};

/// Median time per call of `f` over `rounds` rounds of `per_round` calls.
fn time(rounds: usize, per_round: usize, mut f: impl FnMut()) -> Duration {
    let mut samples: Vec<Duration> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..per_round {
                f();
            }
            start.elapsed() / per_round as u32
        })
        .collect();
    samples.sort();
    samples[samples.len() / 2]
}

fn report_of_size(fixture: &Fixture, target: usize) -> Report {
    let code = RecoveryCode::from_secret([3; 16]);
    let mut report = fixture.report(
        ReportId([9; 16]),
        code.report_secrets(0).reply_key.public_key(),
    );
    report.consent.inspectorate = false;
    report.free_text.clear();
    report.job = Default::default();
    report.employer = None;
    let base = report.encode().len();
    report.free_text = "x".repeat(target.saturating_sub(base));
    report
}

fn main() {
    let fixture = Fixture::new();
    let report = report_of_size(&fixture, 1024);
    assert_eq!(report.encode().len(), 1024);
    println!("phone core benchmarks (median per operation)\n");
    println!("| measure | value | baseline | value / baseline |");
    println!("| --- | --- | --- | --- |");

    // 1. Durable save of a queued report.
    let record = serde_json::to_vec(&OutboxRecord::new(report.clone(), 0, 0, 60_000)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = VaultConfig {
        kdf: KdfParams::INSECURE_FAST_FOR_TESTS,
        ..VaultConfig::default()
    };
    let vault = Vault::create(dir.path(), "482916", None, None, &config).unwrap();
    let device = vec![7u8; 200];
    let mut n = 0u64;
    let vault_time = time(15, 20, || {
        n += 1;
        let key = n.to_string();
        vault
            .batch(&[
                VaultOp::Put {
                    ns: "outbox",
                    key: &key,
                    value: &record,
                },
                VaultOp::Put {
                    ns: "device",
                    key: "state",
                    value: &device,
                },
                VaultOp::Delete {
                    ns: "draft",
                    key: "current",
                },
            ])
            .unwrap();
        vault.flush().unwrap();
    });
    let sqlite_dir = tempfile::tempdir().unwrap();
    let mut db = rusqlite::Connection::open(sqlite_dir.path().join("raw.db")).unwrap();
    db.execute_batch(
        "PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; \
         PRAGMA synchronous = FULL; PRAGMA secure_delete = ON; PRAGMA cache_size = -512; \
         CREATE TABLE records (key BLOB NOT NULL PRIMARY KEY, value BLOB NOT NULL)",
    )
    .unwrap();
    let upsert = "INSERT INTO records (key, value) VALUES (?1, ?2) \
                  ON CONFLICT (key) DO UPDATE SET value = excluded.value";
    let sqlite_time = time(15, 20, || {
        n += 1;
        let tx = db.transaction().unwrap();
        tx.execute(upsert, rusqlite::params![n.to_be_bytes(), record])
            .unwrap();
        tx.execute(upsert, rusqlite::params![&b"device"[..], device])
            .unwrap();
        tx.execute("DELETE FROM records WHERE key = ?1", [&b"draft"[..]])
            .unwrap();
        tx.commit().unwrap();
    });
    println!(
        "| queue a report: vault batch + flush ({} B record) | {:.1} µs | raw SQLite, same settings, one transaction {:.1} µs | {:.2} |",
        record.len(),
        vault_time.as_secs_f64() * 1e6,
        sqlite_time.as_secs_f64() * 1e6,
        vault_time.as_secs_f64() / sqlite_time.as_secs_f64()
    );

    // 2. Sealing at send time.
    let served = fixture.publish(&fixture.listing(5));
    let directory = verify_directory(&served, &fixture.root.public_key(), fixture.now, 0).unwrap();
    let code = RecoveryCode::from_secret([3; 16]);
    let mut rng = DeterministicRng::new("bench");
    let mut wire = 0usize;
    let seal_time = time(15, 40, || {
        let tags = report.routing_tags();
        let routed = route(&tags, &report.consent, &directory.listing).unwrap();
        let keys: Vec<_> = routed
            .recipients
            .iter()
            .map(|r| (r.org_id, directory.certified_key(&r.org_id).unwrap()))
            .collect();
        let digest = disclosure_digest(&tags, &report.consent);
        let envelope = seal(&report.encode(), report.report_id, &keys, &digest, &mut rng).unwrap();
        let request = SubmissionRequest {
            submission_id: report.report_id,
            directory_version: directory.listing.version,
            tags,
            consent: report.consent,
            mailbox_token_hash: mailbox_token_hash(&code.report_secrets(0).mailbox_token),
            pow_nonce: 0,
            envelope,
            attachments: vec![],
        };
        wire = black_box(serde_json::to_vec(&request).unwrap()).len();
    });
    let union_pk =
        <X25519HkdfSha256 as hpke::Kem>::PublicKey::from_bytes(&fixture.union_key.public_key().0)
            .unwrap();
    let cipher = XChaCha20Poly1305::new(&[5u8; 32].into());
    let plaintext = report.encode();
    let raw_time = time(15, 40, || {
        let padded = padding::pad(&plaintext).unwrap();
        black_box(
            cipher
                .encrypt(
                    &XNonce::from([1u8; 24]),
                    Payload {
                        msg: &padded,
                        aad: &[0u8; 64],
                    },
                )
                .unwrap(),
        );
        black_box(
            hpke::single_shot_seal_with_rng::<HpkeChaCha, HkdfSha256, X25519HkdfSha256>(
                &OpModeS::Base,
                &union_pk,
                b"info",
                &[7u8; 32],
                b"aad",
                &mut rng,
            )
            .unwrap(),
        );
    });
    println!(
        "| seal one 1 KiB report (route + certified keys + envelope + JSON body), 1 recipient | {:.1} µs | raw HPKE seal + XChaCha20-Poly1305 {:.1} µs | {:.2} |",
        seal_time.as_secs_f64() * 1e6,
        raw_time.as_secs_f64() * 1e6,
        seal_time.as_secs_f64() / raw_time.as_secs_f64()
    );
    let pow_time = time(5, 5, || {
        black_box(solve_pow(&ReportId(rng_id(&mut n)), 16).unwrap());
    });
    println!(
        "| proof-of-work at difficulty 16 (paid once per report) | {:.1} ms | - | - |",
        pow_time.as_secs_f64() * 1e3
    );

    // 3. Bytes on the wire.
    println!(
        "| POST body for a 1 KiB report, 1 recipient | {wire} B | report plaintext 1024 B | {:.2} |",
        wire as f64 / 1024.0
    );
    let mut two = report.clone();
    two.consent.inspectorate = true;
    let tags = two.routing_tags();
    let routed = route(&tags, &two.consent, &directory.listing).unwrap();
    let keys: Vec<_> = routed
        .recipients
        .iter()
        .map(|r| (r.org_id, directory.certified_key(&r.org_id).unwrap()))
        .collect();
    let envelope = seal(
        &two.encode(),
        two.report_id,
        &keys,
        &disclosure_digest(&tags, &two.consent),
        &mut rng,
    )
    .unwrap();
    let request = SubmissionRequest {
        submission_id: two.report_id,
        directory_version: 5,
        tags,
        consent: two.consent,
        mailbox_token_hash: mailbox_token_hash(&code.report_secrets(0).mailbox_token),
        pow_nonce: 0,
        envelope,
        attachments: vec![],
    };
    let wire2 = serde_json::to_vec(&request).unwrap().len();
    println!(
        "| POST body for a {} B report, 2 recipients | {wire2} B | report plaintext {} B | {:.2} |",
        two.encode().len(),
        two.encode().len(),
        wire2 as f64 / two.encode().len() as f64
    );

    // 4. The cdylib.
    let target = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| format!("{}/../target", env!("CARGO_MANIFEST_DIR")));
    let lib = std::path::Path::new(&target).join("release-small/libworkvoice_core.so");
    match std::fs::metadata(&lib) {
        Ok(m) => println!(
            "| stripped release-small cdylib | {:.2} MiB | target 4 MiB | {:.2} |",
            m.len() as f64 / 1_048_576.0,
            m.len() as f64 / 4_194_304.0
        ),
        Err(_) => println!(
            "| stripped release-small cdylib | not built: `cargo build -p workvoice-core --lib --profile release-small` | target 4 MiB | - |"
        ),
    }
}

fn rng_id(n: &mut u64) -> [u8; 16] {
    *n += 1;
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&n.to_be_bytes());
    id
}
