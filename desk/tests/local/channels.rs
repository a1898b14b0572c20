//! Cases by channel (`Report::channel`, PROTOCOL.md 4.1): the dashboard counts the app's and
//! the SMS channel's cases, the exports carry each case's channel, and cases stored before the
//! desk knew channels get theirs from the report they hold.

use sqlx::Row;
use workvoice_desk::export::{
    CsvCase, ExportAudience, ExportCase, ExportFormat, ExportOptions, HtcdsCase, export_cases,
    read_csv,
};
use workvoice_desk::store::CaseFilter;
use workvoice_proto::keys::OrgId;
use workvoice_proto::report::Channel;
use workvoice_proto::vectors::DeterministicRng;

use crate::common::*;

#[tokio::test]
async fn the_dashboard_counts_cases_by_channel_and_exports_carry_it() {
    let (_dir, desk) = fresh_desk().await;
    let org = OrgId([3; 16]);
    let mut rng = DeterministicRng::new("desk channels");
    let key = desk.keys()[0].public_key;
    let mut entries = Vec::new();
    let mut sms_ids = Vec::new();
    for i in 0..5 {
        let (mut report, _) = sample(i, &mut rng);
        if i % 2 == 1 {
            report.channel = Some(Channel::Sms);
            sms_ids.push(report.report_id.to_hex());
        }
        entries.push(entry_for(i as u64 + 1, &report, org, key, &mut rng));
    }
    let (stored, failed) = desk.open_and_store(org, &entries).await.unwrap();
    assert_eq!((stored.len(), failed), (5, 0));

    let mut web = logged_in(&desk).await;
    let page = web.get("/dashboard").await;
    assert_eq!(page.status, axum::http::StatusCode::OK);
    assert!(page.body.contains("Cases by channel"), "{}", page.body);
    for row in [
        "<th scope=\"row\">Workvoice app</th><td>3 cases</td>",
        "<th scope=\"row\">SMS</th><td>2 cases</td>",
    ] {
        assert!(page.body.contains(row), "no {row} in the dashboard");
    }
    assert!(!page.body.contains("A channel this desk does not know"));

    let options = ExportOptions {
        audience: ExportAudience::Internal,
        ..ExportOptions::default()
    };
    let filter = CaseFilter::default();
    let json = export_cases(&desk, &filter, ExportFormat::Json, options)
        .await
        .unwrap();
    let cases: Vec<ExportCase> = serde_json::from_slice(&json).unwrap();
    assert_eq!(cases.len(), 5);
    for case in &cases {
        let want = if sms_ids.contains(&case.report_id) {
            "sms"
        } else {
            "app"
        };
        assert_eq!(case.channel, want, "{}", case.report_id);
    }
    let csv = export_cases(&desk, &filter, ExportFormat::Csv, options)
        .await
        .unwrap();
    let rows: Vec<CsvCase> = read_csv(&csv).unwrap();
    assert_eq!(rows.iter().filter(|r| r.channel == "sms").count(), 2);
    let htcds = export_cases(&desk, &filter, ExportFormat::HtcdsJson, options)
        .await
        .unwrap();
    let rows: Vec<HtcdsCase> = serde_json::from_slice(&htcds).unwrap();
    assert_eq!(rows.iter().filter(|r| r.wv_channel == "sms").count(), 2);
    assert_eq!(rows.iter().filter(|r| r.wv_channel == "app").count(), 3);
}

/// Migration 0006 gives cases stored before it the channel their report names: absent is the
/// app, an unknown name is `unknown`.
#[tokio::test]
async fn stored_cases_get_their_channel_from_their_report() {
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect("sqlite::memory:")
        .await
        .unwrap();
    sqlx::query("CREATE TABLE cases (id INTEGER PRIMARY KEY, plaintext BLOB NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    let reports: [&[u8]; 4] = [
        br#"{"schema":1,"language":"en"}"#,
        br#"{"schema":1,"channel":"sms"}"#,
        br#"{"schema":1,"channel":"voice_line"}"#,
        br#"{"schema":1,"channel":null}"#,
    ];
    for (i, plaintext) in reports.iter().enumerate() {
        sqlx::query("INSERT INTO cases (id, plaintext) VALUES (?, ?)")
            .bind(i as i64 + 1)
            .bind(plaintext.to_vec())
            .execute(&pool)
            .await
            .unwrap();
    }
    sqlx::raw_sql(include_str!("../../migrations/0006_channel.sql"))
        .execute(&pool)
        .await
        .unwrap();
    let channels: Vec<String> = sqlx::query("SELECT channel FROM cases ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(channels, ["app", "sms", "unknown", "app"]);
}
