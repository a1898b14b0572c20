//! What sealing the desk's store costs: the same rows written and read through SQLite as the
//! desk uses it (WAL, `synchronous = FULL`, 200 rows per transaction), once in a plain database
//! (the baseline) and once in an SQLCipher database under a raw key, in the same run.
//!
//! `cargo bench -p workvoice-desk --bench at_rest` (set `DESK_BENCH_CASES` to change the count).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use workvoice_desk::samples::sample_report;
use workvoice_proto::keys::{HpkePrivateKey, ReportId};
use workvoice_proto::vectors::DeterministicRng;

struct Figures {
    write: Duration,
    read: Duration,
    bytes: u64,
}

async fn run(dir: &Path, key: Option<&str>, rows: &[(String, Vec<u8>, String)]) -> Figures {
    let mut options = SqliteConnectOptions::new()
        .filename(dir.join("bench.sqlite"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full);
    if let Some(key) = key {
        options = options.pragma("key", format!("\"x'{key}'\""));
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    sqlx::query(
        "CREATE TABLE cases (id INTEGER PRIMARY KEY, report_id TEXT NOT NULL UNIQUE, \
         plaintext BLOB NOT NULL, search_text TEXT NOT NULL)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let t = Instant::now();
    for chunk in rows.chunks(200) {
        let mut tx = pool.begin().await.unwrap();
        for (id, plaintext, search) in chunk {
            sqlx::query("INSERT INTO cases (report_id, plaintext, search_text) VALUES (?, ?, ?)")
                .bind(id)
                .bind(plaintext)
                .bind(search)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
    let write = t.elapsed();
    let mut reads = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let total: i64 = sqlx::query_scalar(
            "SELECT sum(length(plaintext)) FROM cases WHERE search_text LIKE '%passport%' \
             OR search_text NOT LIKE '%passport%'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert!(total > 0);
        reads.push(t.elapsed());
    }
    reads.sort();
    pool.close().await;
    let bytes = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    Figures {
        write,
        read: reads[2],
        bytes,
    }
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let n: usize = std::env::var("DESK_BENCH_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let mut rng = DeterministicRng::new("at rest bench");
    let rows: Vec<(String, Vec<u8>, String)> = (0..n)
        .map(|i| {
            let reply = HpkePrivateKey::generate(&mut rng).public_key();
            let report = sample_report(i, ReportId::random(&mut rng), reply);
            let search = format!(
                "{} {}",
                report.free_text,
                report
                    .recruiter
                    .as_ref()
                    .map(|r| r.name.as_str())
                    .unwrap_or("")
            );
            (report.report_id.to_hex(), report.encode(), search)
        })
        .collect();
    let key = "8d3c6f2a91b04e7d5a6c3b2f1e0d9c8b7a6f5e4d3c2b1a09f8e7d6c5b4a39281";
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (plain, sealed) = rt.block_on(async {
        let plain_dir = tempfile::tempdir().unwrap();
        let plain = run(plain_dir.path(), None, &rows).await;
        let sealed_dir = tempfile::tempdir().unwrap();
        let sealed = run(sealed_dir.path(), Some(key), &rows).await;
        (plain, sealed)
    });
    println!("| measurement | plain SQLite (baseline) | SQLCipher | ratio |");
    println!("| --- | ---: | ---: | ---: |");
    println!(
        "| write {n} cases, 200 per transaction (WAL, synchronous=FULL) | {:.0} ms | {:.0} ms | {:.2} |",
        millis(plain.write),
        millis(sealed.write),
        sealed.write.as_secs_f64() / plain.write.as_secs_f64()
    );
    println!(
        "| read and scan all {n} cases (median of 5) | {:.1} ms | {:.1} ms | {:.2} |",
        millis(plain.read),
        millis(sealed.read),
        sealed.read.as_secs_f64() / plain.read.as_secs_f64()
    );
    println!(
        "| files on disk after close | {} KiB | {} KiB | {:.3} |",
        plain.bytes / 1024,
        sealed.bytes / 1024,
        sealed.bytes as f64 / plain.bytes as f64
    );
}
