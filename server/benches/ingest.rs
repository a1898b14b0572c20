//! Ingest benchmark: sealed ~4 KiB submissions with 3 recipients, posted over HTTP to an
//! in-process relay at rising concurrency, next to the raw rate of writing the same rows with
//! the same statements and transaction shape through sqlx directly, measured in the same run.
//!
//! `cargo bench -p workvoice-relay --bench ingest` (PostgreSQL too when WORKVOICE_TEST_PG_URL
//! is set: `WORKVOICE_TEST_PG_URL=$(scripts/postgres-up) cargo bench ...`). Optional:
//! `INGEST_REQUESTS` per level (default 1200), `INGEST_LEVELS` (default `1,4,16,64`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_debug_implementations
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Executor, Postgres, Sqlite};
use workvoice_proto::api::{SubmissionAccepted, SubmissionRequest};
use workvoice_proto::keys::{OrgId, sha256};
use workvoice_proto::routing::Consent;
use workvoice_relay::domain::{hour_of, unix_now};
use workvoice_relay::storage::{lookup_key, sql};
use workvoice_relay::testing::{SubmissionSpec, TestDatabase, TestRelay, TestRelayOptions};

#[derive(Clone, Copy)]
struct Figures {
    per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn figures(mut latencies: Vec<Duration>, elapsed: Duration) -> Figures {
    latencies.sort();
    let at = |q: f64| {
        latencies[((latencies.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0
    };
    Figures {
        per_sec: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: at(0.5),
        p99_ms: at(0.99),
    }
}

/// Run `jobs` with `concurrency` workers; returns per-job latencies and the wall time.
async fn drive<T, F, Fut>(jobs: Vec<T>, concurrency: usize, work: F) -> (Vec<Duration>, Duration)
where
    T: Send + 'static,
    F: Fn(T) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let queue = Arc::new(std::sync::Mutex::new(jobs));
    let work = Arc::new(work);
    let started = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..concurrency {
        let queue = queue.clone();
        let work = work.clone();
        handles.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let job = queue.lock().unwrap().pop();
                let Some(job) = job else { break };
                let t = Instant::now();
                work(job).await;
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.unwrap());
    }
    (all, started.elapsed())
}

/// The rows one submission writes, as the relay would write them.
#[derive(Clone)]
struct Row {
    id: String,
    request_hash: Vec<u8>,
    response: String,
    tags: String,
    consent: String,
    hour: i64,
    envelope: Vec<u8>,
    mailbox_hash: Vec<u8>,
    recipients: Vec<String>,
}

fn row_of(r: &SubmissionRequest) -> Row {
    let mut recipients: Vec<OrgId> = workvoice_proto::envelope::EnvelopeHeader::parse(&r.envelope)
        .unwrap()
        .recipient_ids()
        .collect();
    recipients.sort();
    let hour = hour_of(unix_now());
    let accepted = SubmissionAccepted {
        submission_id: r.submission_id,
        recipients: recipients.clone(),
        directory_version: 1,
        received_at_hour: hour,
    };
    Row {
        id: r.submission_id.to_hex(),
        request_hash: sha256(&[&serde_json::to_vec(r).unwrap()]).0.to_vec(),
        response: serde_json::to_string(&accepted).unwrap(),
        tags: serde_json::to_string(&r.tags).unwrap(),
        consent: serde_json::to_string(&r.consent).unwrap(),
        hour: hour as i64,
        envelope: r.envelope.clone(),
        mailbox_hash: r.mailbox_token_hash.0.to_vec(),
        recipients: recipients.iter().map(OrgId::to_hex).collect(),
    }
}

macro_rules! raw_insert {
    ($db:ty, $pool:expr, $row:expr) => {{
        let row = $row;
        let mut tx = $pool.begin().await.unwrap();
        sqlx::query::<$db>(sql::INSERT_SUBMISSION)
            .bind(&row.id)
            .bind(&row.request_hash)
            .bind(&row.response)
            .bind(1i64)
            .bind(&row.tags)
            .bind(&row.consent)
            .bind(row.hour)
            .bind(&row.envelope)
            .execute(&mut *tx)
            .await
            .unwrap();
        let mailbox: [u8; 32] = row.mailbox_hash.as_slice().try_into().unwrap();
        sqlx::query::<$db>(sql::INSERT_MAILBOX)
            .bind(&row.mailbox_hash)
            .bind(lookup_key(&mailbox))
            .bind(&row.id)
            .bind(row.hour)
            .bind(row.recipients.len() as i64)
            .execute(&mut *tx)
            .await
            .unwrap();
        for (n, org) in row.recipients.iter().enumerate() {
            let seq: (i64,) = sqlx::query_as::<$db, (i64,)>(sql::NEXT_INBOX_SEQ)
                .bind(org)
                .fetch_one(&mut *tx)
                .await
                .unwrap();
            sqlx::query::<$db>(sql::INSERT_INBOX)
                .bind(org)
                .bind(seq.0)
                .bind(&row.id)
                .bind(row.hour)
                .execute(&mut *tx)
                .await
                .unwrap();
            sqlx::query::<$db>(sql::INSERT_MAILBOX_STATUS)
                .bind(&row.mailbox_hash)
                .bind(n as i64 + 1)
                .bind(org)
                .bind(row.hour)
                .bind("delivered")
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }};
}

const SCHEMA_SQLITE: &str = include_str!("../migrations/sqlite/0001_initial.sql");
const SCHEMA_POSTGRES: &str = include_str!("../migrations/postgres/0001_initial.sql");

async fn raw_run(backend: &str, rows: Vec<Row>, orgs: &[OrgId], concurrency: usize) -> Figures {
    let insert_orgs = |orgs: &[OrgId]| -> Vec<(String, Vec<u8>)> {
        orgs.iter()
            .map(|o| (o.to_hex(), sha256(&[o.as_bytes()]).0.to_vec()))
            .collect()
    };
    if backend == "sqlite" {
        let dir = tempfile::tempdir().unwrap();
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("raw.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .unwrap();
        pool.execute(SCHEMA_SQLITE).await.unwrap();
        for (id, hash) in insert_orgs(orgs) {
            let lookup = lookup_key(&hash.as_slice().try_into().unwrap());
            sqlx::query::<Sqlite>(sql::INSERT_ORGANISATION)
                .bind(id)
                .bind("union")
                .bind("{}")
                .bind(lookup)
                .bind(hash)
                .bind(0i64)
                .execute(&pool)
                .await
                .unwrap();
        }
        let p = pool.clone();
        let (lat, el) = drive(rows, concurrency, move |row: Row| {
            let pool = p.clone();
            async move { raw_insert!(Sqlite, pool, row) }
        })
        .await;
        pool.close().await;
        figures(lat, el)
    } else {
        let url = workvoice_relay::testing::fresh_postgres_database()
            .await
            .unwrap();
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .connect(&url)
            .await
            .unwrap();
        pool.execute(SCHEMA_POSTGRES).await.unwrap();
        for (id, hash) in insert_orgs(orgs) {
            let lookup = lookup_key(&hash.as_slice().try_into().unwrap());
            sqlx::query::<Postgres>(sql::INSERT_ORGANISATION)
                .bind(id)
                .bind("union")
                .bind("{}")
                .bind(lookup)
                .bind(hash)
                .bind(0i64)
                .execute(&pool)
                .await
                .unwrap();
        }
        let p = pool.clone();
        let (lat, el) = drive(rows, concurrency, move |row: Row| {
            let pool = p.clone();
            async move { raw_insert!(Postgres, pool, row) }
        })
        .await;
        pool.close().await;
        figures(lat, el)
    }
}

async fn relay_run(backend: &str, requests: Vec<SubmissionRequest>, concurrency: usize) -> Figures {
    // As deployed: the default directory re-check interval (the test relay's default is 0).
    let relay = TestRelay::spawn(TestRelayOptions {
        database: TestDatabase::named(backend),
        adjust: Some(|s| {
            s.directory_recheck_ms =
                workvoice_relay::configuration::Settings::default().directory_recheck_ms;
        }),
        ..TestRelayOptions::default()
    })
    .await
    .unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(128)
        .build()
        .unwrap();
    let url = relay.url("/v1/submissions");
    let (lat, el) = drive(requests, concurrency, move |r: SubmissionRequest| {
        let client = client.clone();
        let url = url.clone();
        async move {
            let status = client.post(&url).json(&r).send().await.unwrap().status();
            assert_eq!(status, reqwest::StatusCode::CREATED);
        }
    })
    .await;
    let stored = relay.storage.table_counts().await.unwrap()["submissions"];
    assert_eq!(stored as usize, lat.len());
    relay.stop().await;
    figures(lat, el)
}

fn median(runs: &[Figures]) -> Figures {
    let pick = |f: fn(&Figures) -> f64| {
        let mut v: Vec<f64> = runs.iter().map(f).collect();
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    Figures {
        per_sec: pick(|f| f.per_sec),
        p50_ms: pick(|f| f.p50_ms),
        p99_ms: pick(|f| f.p99_ms),
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async_main());
}

async fn async_main() {
    let requests: usize = std::env::var("INGEST_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1200);
    let levels: Vec<usize> = std::env::var("INGEST_LEVELS")
        .unwrap_or_else(|_| "1,4,16,64".into())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    let mut backends = vec!["sqlite"];
    if std::env::var(workvoice_relay::testing::PG_URL_VAR).is_ok() {
        backends.push("postgres");
    } else {
        eprintln!("WORKVOICE_TEST_PG_URL not set: PostgreSQL skipped (run scripts/postgres-up)");
    }
    // One set of sealed submissions (the same for every run: each run has a fresh database).
    let probe = TestRelay::spawn(TestRelayOptions::default()).await.unwrap();
    let consent = Consent {
        union: true,
        inspectorate: true,
        ngo: true,
        contact_wanted: true,
    };
    let prepared: Vec<SubmissionRequest> = (0..requests as u64)
        .map(|seed| {
            probe
                .prepare_submission(&SubmissionSpec {
                    seed,
                    consent: Some(consent),
                    free_text_len: Some(2600),
                    ..SubmissionSpec::default()
                })
                .unwrap()
                .request
        })
        .collect();
    let orgs = [probe.union.id, probe.inspectorate.id, probe.ngo.id];
    probe.stop().await;
    let envelope = prepared[0].envelope.len();
    let body = serde_json::to_vec(&prepared[0]).unwrap().len();
    let recipients = workvoice_proto::envelope::EnvelopeHeader::parse(&prepared[0].envelope)
        .unwrap()
        .recipients
        .len();
    let repeat: usize = std::env::var("INGEST_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    println!(
        "ingest: {requests} submissions per run, sealed envelope {envelope} bytes ({body}-byte JSON body), {recipients} recipients, median of {repeat} runs"
    );
    println!();
    println!(
        "| database | clients | relay accepted/s | relay p50 ms | relay p99 ms | raw sqlx tx/s | raw p50 ms | raw p99 ms | relay / raw |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let rows: Vec<Row> = prepared.iter().map(row_of).collect();
    for backend in backends {
        for &c in &levels {
            let mut raws = Vec::new();
            let mut relays = Vec::new();
            for _ in 0..repeat {
                raws.push(raw_run(backend, rows.clone(), &orgs, c).await);
                relays.push(relay_run(backend, prepared.clone(), c).await);
            }
            let (raw, relay) = (median(&raws), median(&relays));
            println!(
                "| {backend} | {c} | {:.0} | {:.2} | {:.2} | {:.0} | {:.2} | {:.2} | {:.0}% |",
                relay.per_sec,
                relay.p50_ms,
                relay.p99_ms,
                raw.per_sec,
                raw.p50_ms,
                raw.p99_ms,
                100.0 * relay.per_sec / raw.per_sec
            );
        }
    }
}
