//! Desk benchmark: sync and decrypt 10,000 cases, against the raw baseline of 10,000
//! `proto::envelope::open` calls plus raw SQLite inserts measured in the same run; and the
//! dashboard's render time at 10,000 cases, against the raw SQL read of the rows it aggregates.
//!
//! `cargo bench -p workvoice-desk --bench sync` (set `DESK_BENCH_CASES` to change the count).
//!
//! The relay here is an in-process stub serving the inbox pages from memory over HTTP on
//! 127.0.0.1 (the real relay's storage is measured by the relay's own benchmark): what is timed
//! is the desk's whole pipeline — directory check, HTTP pages, JSON, HPKE open, decode,
//! validation, one SQLite transaction per page, and one acknowledgement per case.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Json;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use workvoice_desk::desk::InitOptions;
use workvoice_desk::samples::sample_report;
use workvoice_desk::{Desk, Enrolment, KdfParams, Passphrase, SyncOptions};
use workvoice_proto::api::{InboxEntry, InboxPage};
use workvoice_proto::directory::{ORG_CERT_CONTEXT, OrgCertificate, OrgKind, Signed};
use workvoice_proto::envelope;
use workvoice_proto::keys::{HpkePrivateKey, ReportId};
use workvoice_proto::routing::disclosure_digest;
use workvoice_proto::vectors::{DeterministicRng, FIXTURE_NOW, Fixture};

#[derive(Clone)]
struct Stub {
    entries: Arc<Vec<InboxEntry>>,
    directory: Arc<Vec<u8>>,
    acks: Arc<AtomicU64>,
}

#[derive(serde::Deserialize)]
struct InboxQuery {
    after: Option<String>,
    limit: Option<usize>,
}

async fn inbox(State(s): State<Stub>, Query(q): Query<InboxQuery>) -> Json<InboxPage> {
    let after: u64 = q.after.and_then(|a| a.parse().ok()).unwrap_or(0);
    let limit = q.limit.unwrap_or(100).min(200);
    let start = s.entries.partition_point(|e| e.seq <= after);
    let page: Vec<InboxEntry> = s.entries[start..].iter().take(limit).cloned().collect();
    let next_cursor = (page.len() == limit)
        .then(|| page.last().map(|e| e.seq.to_string()))
        .flatten();
    Json(InboxPage {
        entries: page,
        next_cursor,
    })
}

fn millis(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("DESK_BENCH_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let f = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::init(
        dir.path(),
        &Passphrase::new("benchmark passphrase"),
        InitOptions {
            org_name: "Bench union".into(),
            kdf: KdfParams {
                memory_kib: 1024,
                iterations: 1,
                parallelism: 1,
            },
        },
    )
    .await
    .unwrap()
    .with_clock(Arc::new(|| FIXTURE_NOW));
    let key = desk.keys()[0].public_key;

    // Seal n sample reports to the desk's key, and each also to a baseline key of the same
    // kind (the desk never hands out its private key).
    let base_key = HpkePrivateKey::generate(&mut DeterministicRng::new("baseline key"));
    let mut rng = DeterministicRng::new("desk bench");
    let t = Instant::now();
    let mut entries = Vec::with_capacity(n);
    let mut resealed = Vec::with_capacity(n);
    for i in 0..n {
        let reply = HpkePrivateKey::generate(&mut rng);
        let report = sample_report(i, ReportId::random(&mut rng), reply.public_key());
        let (tags, consent) = (report.routing_tags(), report.consent);
        let digest = disclosure_digest(&tags, &consent);
        let plaintext = report.encode();
        let sealed = envelope::seal(
            &plaintext,
            report.report_id,
            &[(f.union_id, key)],
            &digest,
            &mut rng,
        )
        .unwrap();
        let base = envelope::seal(
            &plaintext,
            report.report_id,
            &[(f.union_id, base_key.public_key())],
            &digest,
            &mut rng,
        )
        .unwrap();
        resealed.push((report.report_id, base, digest));
        entries.push(InboxEntry {
            seq: i as u64 + 1,
            report_id: report.report_id,
            received_at_hour: FIXTURE_NOW - (i as u64 % 4000) * 3600,
            tags,
            consent,
            envelope: sealed,
            attachments: vec![],
            referred_by: None,
            acknowledged: false,
        });
    }
    eprintln!(
        "sealed {n} envelopes twice in {:.0} ms (setup, not measured)",
        millis(t.elapsed())
    );

    // Baseline: n raw opens + raw SQLite inserts (one transaction per 200, like the desk's pages).
    let raw_dir = tempfile::tempdir().unwrap();
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            sqlx::sqlite::SqliteConnectOptions::new()
                .filename(raw_dir.path().join("raw.sqlite"))
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Full),
        )
        .await
        .unwrap();
    sqlx::query("CREATE TABLE raw (report_id TEXT PRIMARY KEY, plaintext BLOB NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    let t = Instant::now();
    for chunk in resealed.chunks(200) {
        let mut tx = pool.begin().await.unwrap();
        for (id, env, digest) in chunk {
            let opened = envelope::open(env, f.union_id, &base_key, digest).unwrap();
            sqlx::query("INSERT INTO raw (report_id, plaintext) VALUES (?, ?)")
                .bind(id.to_hex())
                .bind(opened.plaintext)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
    let baseline = t.elapsed();

    // The stub relay, with a directory that certifies the desk's key.
    let cert = Signed::sign(
        &OrgCertificate {
            org_id: f.union_id,
            kind: OrgKind::Union,
            hpke_public_key: key,
            key_version: 1,
            valid_from: f.now - 1000,
            valid_until: f.now + 100_000,
        },
        ORG_CERT_CONTEXT,
        &f.root,
    );
    let mut listing = f.listing(5);
    listing.organisations[0].certificate = cert.clone();
    let stub = Stub {
        entries: Arc::new(entries),
        directory: Arc::new(f.publish(&listing)),
        acks: Arc::new(AtomicU64::new(0)),
    };
    let app = axum::Router::new()
        .route(
            "/v1/directory",
            get(|State(s): State<Stub>| async move { s.directory.to_vec() }),
        )
        .route("/v1/org/inbox", get(inbox))
        .route(
            "/v1/org/inbox/{id}/ack",
            post(|State(s): State<Stub>| async move {
                s.acks.fetch_add(1, Ordering::Relaxed);
                axum::http::StatusCode::NO_CONTENT
            }),
        )
        .with_state(stub.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    desk.enrol(Enrolment {
        relay_url: format!("http://{addr}"),
        org_id: f.union_id,
        api_token: "bench-token".into(),
        root_public_key: f.root.public_key(),
        certificate: cert,
    })
    .await
    .unwrap();

    let t = Instant::now();
    let report = desk
        .sync(SyncOptions { page_size: 200 }, &())
        .await
        .unwrap();
    let synced = t.elapsed();
    assert_eq!(report.stored, n as u64);
    assert_eq!(stub.acks.load(Ordering::Relaxed), n as u64);
    assert_eq!(desk.store().case_count().await.unwrap(), n as u64);

    // Dashboard at n cases: the full page against the raw read of the rows it aggregates.
    let user = "bench";
    desk.add_user(user, "bench-password-1").await.unwrap();
    let rows_t = Instant::now();
    let rows = desk.store().insight_rows().await.unwrap();
    let raw_read = rows_t.elapsed();
    assert_eq!(rows.len(), n);
    let server = desk.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = http
        .get(format!("{}/login", server.url()))
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let html = login.text().await.unwrap();
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).unwrap()[..64].to_string();
    let signed = http
        .post(format!("{}/login", server.url()))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "csrf={csrf}&username={user}&password=bench-password-1"
        ))
        .send()
        .await
        .unwrap();
    let session = signed.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let mut renders = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let page = http
            .get(format!("{}/dashboard", server.url()))
            .header("cookie", &session)
            .send()
            .await
            .unwrap();
        assert!(page.status().is_success());
        let body = page.text().await.unwrap();
        assert!(body.contains("<svg"));
        renders.push(t.elapsed());
    }
    renders.sort();
    let dashboard = renders[renders.len() / 2];
    server.stop().await;

    println!();
    println!("workvoice-desk benchmark, {n} cases (2-core machine, release build)");
    println!("| measurement | time | per case | ratio to baseline |");
    println!("| --- | ---: | ---: | ---: |");
    println!(
        "| baseline: {n} × proto::envelope::open + raw SQLite insert (200 per transaction) | {:.0} ms | {:.1} µs | 1.00 |",
        millis(baseline),
        baseline.as_secs_f64() * 1e6 / n as f64
    );
    println!(
        "| desk sync over HTTP: directory check, pages, open, decode, validate, store, ack each | {:.0} ms | {:.1} µs | {:.2} |",
        millis(synced),
        synced.as_secs_f64() * 1e6 / n as f64,
        synced.as_secs_f64() / baseline.as_secs_f64()
    );
    println!(
        "| baseline: raw SQL read of the {n} rows the dashboard aggregates | {:.1} ms | | 1.00 |",
        millis(raw_read)
    );
    println!(
        "| dashboard page at {n} cases (median of 5, over HTTP) | {:.1} ms | | {:.2} |",
        millis(dashboard),
        dashboard.as_secs_f64() / raw_read.as_secs_f64()
    );
}
