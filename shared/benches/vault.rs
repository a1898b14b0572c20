//! Cost of saving one 4 KiB report durably, next to bare sled, the vault's log store, a raw
//! file append + fdatasync, and the cipher alone.
//!
//! `cargo bench -p workvoice-core --bench vault -- --quick`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use criterion::{Criterion, criterion_group, criterion_main};
use workvoice_core::vault::{KdfParams, LogStore, SledStore, Store, Vault, VaultConfig};

const REPORT_LEN: usize = 4096;

fn report() -> Vec<u8> {
    (0..REPORT_LEN)
        .map(|index| (index * 31 % 251) as u8)
        .collect()
}

fn save_report(c: &mut Criterion) {
    let value = report();
    let mut group = c.benchmark_group("save 4 KiB report");

    let dir = tempfile::tempdir().unwrap();
    let config = VaultConfig {
        kdf: KdfParams::INSECURE_FAST_FOR_TESTS,
        ..VaultConfig::default()
    };
    let vault = Vault::create(dir.path(), "482916", None, None, &config).unwrap();
    let mut id = 0u64;
    group.bench_function("vault put + flush", |b| {
        b.iter(|| {
            id += 1;
            vault.put("reports", &id.to_string(), &value).unwrap();
            vault.flush().unwrap();
        })
    });
    group.bench_function("vault put (no flush)", |b| {
        b.iter(|| {
            id += 1;
            vault.put("reports", &id.to_string(), &value).unwrap();
        })
    });
    drop(vault);

    let sled_dir = tempfile::tempdir().unwrap();
    let db = sled::open(sled_dir.path()).unwrap();
    let mut key = 0u64;
    group.bench_function("bare sled insert + flush", |b| {
        b.iter(|| {
            key += 1;
            db.insert(key.to_be_bytes(), value.as_slice()).unwrap();
            db.flush().unwrap();
        })
    });
    drop(db);

    let store_dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(store_dir.path()).unwrap();
    group.bench_function("SledStore put + flush (adds fsync)", |b| {
        b.iter(|| {
            key += 1;
            store.put(&key.to_be_bytes(), &value).unwrap();
            store.flush().unwrap();
        })
    });
    drop(store);

    // The vault's engine, and the floor under it: appending the same bytes to a file and
    // fdatasync-ing it.
    let log_dir = tempfile::tempdir().unwrap();
    let log = LogStore::open(log_dir.path()).unwrap();
    group.bench_function("LogStore put + flush (the vault's engine)", |b| {
        b.iter(|| {
            key += 1;
            log.put(&key.to_be_bytes(), &value).unwrap();
            log.flush().unwrap();
        })
    });
    drop(log);
    let raw_dir = tempfile::tempdir().unwrap();
    let mut raw = std::fs::File::create(raw_dir.path().join("raw")).unwrap();
    group.bench_function("raw file append + fdatasync", |b| {
        b.iter(|| {
            std::io::Write::write_all(&mut raw, &value).unwrap();
            raw.sync_data().unwrap();
        })
    });
    group.finish();
}

fn cipher(c: &mut Criterion) {
    let value = report();
    let cipher = XChaCha20Poly1305::new_from_slice(&[7; 32]).unwrap();
    let nonce = XNonce::from([9; 24]);
    let aad = [1u8; 33];
    c.bench_function("XChaCha20-Poly1305 seal 4 KiB", |b| {
        b.iter(|| {
            cipher
                .encrypt(
                    &nonce,
                    Payload {
                        msg: black_box(&value),
                        aad: &aad,
                    },
                )
                .unwrap()
        })
    });
}

fn unlock(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    drop(Vault::create(dir.path(), "482916", None, None, &VaultConfig::default()).unwrap());
    let mut group = c.benchmark_group("unlock");
    group.sample_size(10);
    group.bench_function("phone Argon2id (19 MiB, t=2) x 2 slots", |b| {
        b.iter(|| Vault::unlock(dir.path(), "482916", None).unwrap())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = save_report, cipher, unlock
}
criterion_main!(benches);
