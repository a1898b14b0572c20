//! Crash safety of the real binary on SQLite: submissions answered 201/200 before `kill -9`
//! are all present after a restart, none twice, while several clients were in flight.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use workvoice_proto::api::{InboxPage, MailboxPage};
use workvoice_proto::keys::ReportId;
use workvoice_proto::vectors::Fixture;
use workvoice_relay::configuration::Settings;
use workvoice_relay::testing::{SubmissionSpec, prepare_submission, seed_fixture_world};

fn start_relay(data_dir: &std::path::Path, root: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_workvoice-relay"))
        .arg("serve")
        .env("WORKVOICE_DATA_DIR", data_dir)
        .env("WORKVOICE_LISTEN", "127.0.0.1:0")
        .env("WORKVOICE_ROOT_PUBLIC_KEY", root)
        .env("WORKVOICE_ANONYMOUS_RATE_PER_SECOND", "0")
        .env("WORKVOICE_LOG_LEVEL", "warn")
        .env_remove("DATABASE_URL")
        .env_remove("WORKVOICE_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let line = lines.next().unwrap().unwrap();
    let url = line.rsplit(' ').next().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    // Keep draining stdout so the relay never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    (child, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn answered_submissions_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let root = fixture.root.public_key().to_hex();
    let settings = Settings {
        data_dir: dir.path().to_path_buf(),
        root_public_key: Some(root.clone()),
        pow_difficulty: 4,
        ..Settings::default()
    };
    let world = seed_fixture_world(&settings, &fixture).await.unwrap();
    world.storage.close().await;
    let prepared: Vec<_> = (0..600u64)
        .map(|seed| {
            prepare_submission(
                &fixture,
                &world.listing,
                &SubmissionSpec {
                    seed,
                    ..SubmissionSpec::default()
                },
            )
            .unwrap()
        })
        .collect();
    let requests: Vec<_> = prepared.iter().map(|p| p.request.clone()).collect();

    let (mut child, url) = start_relay(dir.path(), &root);
    let answered: Arc<Mutex<BTreeMap<ReportId, StatusCode>>> = Arc::default();
    common::install_crypto_provider();
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut clients = Vec::new();
    for k in 0..8usize {
        let c = c.clone();
        let url = format!("{url}/v1/submissions");
        let answered = answered.clone();
        let mine: Vec<_> = requests.iter().skip(k).step_by(8).cloned().collect();
        clients.push(tokio::spawn(async move {
            for r in mine {
                match c.post(&url).json(&r).send().await {
                    Ok(resp) if resp.status().is_success() => {
                        answered
                            .lock()
                            .unwrap()
                            .insert(r.submission_id, resp.status());
                    }
                    Ok(resp) => panic!("unexpected {}", resp.status()),
                    Err(_) => return, // the relay died under us
                }
            }
        }));
    }
    // Let a good number through, then SIGKILL while requests are in flight.
    for _ in 0..400 {
        if answered.lock().unwrap().len() >= 120 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    for t in clients {
        t.await.unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    assert!(
        answered.len() >= 120,
        "only {} answered before the kill",
        answered.len()
    );
    assert!(
        answered.len() < requests.len(),
        "the kill came after every request finished"
    );

    let (mut child, url) = start_relay(dir.path(), &root);
    let union_token = world.union.token.clone();
    // Every answered submission is in the union's inbox exactly once.
    let mut seen = Vec::new();
    let mut after = 0u64;
    loop {
        let page: InboxPage = json(
            get(
                &c,
                &format!("{url}/v1/org/inbox?after={after}&limit=200"),
                Some(&union_token),
            )
            .await,
        )
        .await;
        if page.entries.is_empty() {
            break;
        }
        after = page.entries.last().unwrap().seq;
        seen.extend(page.entries.into_iter().map(|e| e.report_id));
    }
    let unique: BTreeSet<_> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "a report is in the inbox twice");
    for id in answered.keys() {
        assert!(unique.contains(id), "answered submission {id} lost");
    }
    // Retrying everything: what is stored is answered 200, nothing is stored twice.
    for (p, r) in prepared.iter().zip(&requests) {
        let status = post_json(&c, &format!("{url}/v1/submissions"), r, None)
            .await
            .status();
        if answered.contains_key(&r.submission_id) {
            assert_eq!(status, StatusCode::OK);
        } else {
            assert!(
                status == StatusCode::OK || status == StatusCode::CREATED,
                "{status}"
            );
        }
        if p.request.submission_id == requests[0].submission_id {
            let page: MailboxPage = json(
                get(
                    &c,
                    &format!("{url}/v1/mailbox/{}", p.mailbox_token_text),
                    None,
                )
                .await,
            )
            .await;
            assert_eq!(page.entries.len(), 2, "delivered once to each recipient");
        }
    }
    let page: InboxPage = json(
        get(
            &c,
            &format!("{url}/v1/org/inbox?limit=200"),
            Some(&union_token),
        )
        .await,
    )
    .await;
    let mut total = page.entries.len();
    let mut after = page.entries.last().map_or(0, |e| e.seq);
    loop {
        let page: InboxPage = json(
            get(
                &c,
                &format!("{url}/v1/org/inbox?after={after}&limit=200"),
                Some(&union_token),
            )
            .await,
        )
        .await;
        if page.entries.is_empty() {
            break;
        }
        total += page.entries.len();
        after = page.entries.last().unwrap().seq;
    }
    assert_eq!(total, requests.len());
    child.kill().unwrap();
    child.wait().unwrap();
}
