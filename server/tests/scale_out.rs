//! Two relays on one PostgreSQL database behave as one relay: idempotency, inbox order and
//! mailbox state hold across two `Application`s in one process; and two `workvoice-relay
//! serve` processes behind one address (a small TCP balancer, as HAProxy would be) lose
//! nothing and deliver nothing twice when one is killed with SIGKILL under load.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "support/process.rs"]
mod process;

use std::collections::BTreeSet;

use common::*;
use reqwest::StatusCode;
use workvoice_proto::api::{InboxPage, MailboxItem, MailboxPage, MailboxStatus};
use workvoice_relay::Application;
use workvoice_relay::storage::Storage;
use workvoice_relay::testing::{SubmissionSpec, TestDatabase, TestRelay};

struct Second {
    base_url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), workvoice_relay::startup::StartupError>>,
}

async fn second_relay(first: &TestRelay) -> Second {
    let mut settings = first.settings.clone();
    settings.listen = "127.0.0.1:0".into();
    let storage = Storage::connect(&settings.database_url(), 8).await.unwrap();
    let key = workvoice_relay::domain::keyfile::read(&settings.relay_key_path()).unwrap();
    let app = Application::build_with(settings, storage, key)
        .await
        .unwrap();
    let base_url = format!("http://127.0.0.1:{}", app.port());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    Second {
        base_url,
        stop,
        task,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_relays_on_one_postgres_behave_as_one() {
    let a = relay(TestDatabase::Postgres).await;
    let b = second_relay(&a).await;
    let c = client();

    // The same submission id at both relays at once: stored and delivered once, and both
    // answers carry the same body (one 201, one 200).
    let mut submitted = Vec::new();
    for seed in 0..12u64 {
        let p = a
            .prepare_submission(&SubmissionSpec {
                seed,
                ..SubmissionSpec::default()
            })
            .unwrap();
        let (url_a, url_b) = (
            a.url("/v1/submissions"),
            format!("{}/v1/submissions", b.base_url),
        );
        let (ra, rb) = tokio::join!(
            post_json(&c, &url_a, &p.request, None),
            post_json(&c, &url_b, &p.request, None),
        );
        let mut statuses = [ra.status(), rb.status()];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CREATED],
            "seed {seed}"
        );
        let (ba, bb) = (ra.text().await.unwrap(), rb.text().await.unwrap());
        assert_eq!(ba, bb, "seed {seed}: different answers");
        submitted.push(p);
    }
    let counts = a.storage.table_counts().await.unwrap();
    assert_eq!(counts["submissions"], 12);
    assert_eq!(
        counts["inbox"], 24,
        "each report once in each of its two inboxes"
    );
    assert_eq!(counts["mailbox_entries"], 24);

    // Many deliveries through both relays while the union pages its inbox through both:
    // the reader never skips an entry, whatever order the transactions commit in.
    let total = 60u64;
    let prepared: Vec<_> = (100..100 + total)
        .map(|seed| {
            a.prepare_submission(&SubmissionSpec {
                seed,
                ..SubmissionSpec::default()
            })
            .unwrap()
        })
        .collect();
    let urls = [
        a.url("/v1/submissions"),
        format!("{}/v1/submissions", b.base_url),
    ];
    let reader = {
        let c = c.clone();
        let bases = [a.base_url.clone(), b.base_url.clone()];
        let token = a.union.token.clone();
        tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut after = 0u64;
            let mut turn = 0usize;
            let mut idle = 0;
            while seen.len() < (12 + total) as usize && idle < 400 {
                let url = format!("{}/v1/org/inbox?after={after}&limit=7", bases[turn % 2]);
                turn += 1;
                let page: InboxPage = json(get(&c, &url, Some(&token)).await).await;
                if page.entries.is_empty() {
                    idle += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
                for e in page.entries {
                    assert!(e.seq > after, "cursor went backwards");
                    after = e.seq;
                    seen.push((e.seq, e.report_id));
                }
            }
            seen
        })
    };
    let mut writers = Vec::new();
    for (n, chunk) in prepared.chunks(10).enumerate() {
        let c = c.clone();
        let url = urls[n % 2].clone();
        let requests: Vec<_> = chunk.iter().map(|p| p.request.clone()).collect();
        writers.push(tokio::spawn(async move {
            for r in requests {
                assert_eq!(
                    post_json(&c, &url, &r, None).await.status(),
                    StatusCode::CREATED
                );
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    let seen = reader.await.unwrap();
    let seqs: Vec<u64> = seen.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        seqs,
        (1..=12 + total).collect::<Vec<_>>(),
        "inbox cursor skipped or repeated entries"
    );
    let ids: BTreeSet<_> = seen.iter().map(|(_, id)| *id).collect();
    let expected: BTreeSet<_> = submitted
        .iter()
        .chain(prepared.iter())
        .map(|p| p.request.submission_id)
        .collect();
    assert_eq!(ids, expected);

    // Mailbox state is shared: acknowledge at A, read at B.
    let p = &submitted[0];
    let ack = c
        .post(format!(
            "{}/v1/org/inbox/{}/ack",
            b.base_url, p.request.submission_id
        ))
        .bearer_auth(&a.union.token)
        .send()
        .await
        .unwrap();
    assert_eq!(ack.status(), StatusCode::NO_CONTENT);
    let page: MailboxPage = json(
        get(
            &c,
            &a.url(&format!("/v1/mailbox/{}", p.mailbox_token_text)),
            None,
        )
        .await,
    )
    .await;
    let acked: Vec<_> = page
        .entries
        .iter()
        .filter(|e| {
            matches!(
                e.item,
                MailboxItem::Status {
                    status: MailboxStatus::Acknowledged,
                    sealed: None
                }
            )
        })
        .collect();
    assert_eq!(acked.len(), 1);
    assert_eq!(acked[0].org_id, a.union.id);

    let _ = b.stop.send(());
    b.task.await.unwrap().unwrap();
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_relay_processes_behind_one_address_survive_a_kill() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use workvoice_proto::vectors::Fixture;

    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let place = process::Place {
        data_dir: dir.path().join("data"),
        database_url: Some(
            workvoice_relay::testing::fresh_postgres_database()
                .await
                .expect("PostgreSQL tests need WORKVOICE_TEST_PG_URL: run scripts/postgres-up"),
        ),
    };
    let world = place.seed(&fixture).await;
    let mut a = process::RelayProcess::spawn(&place, &fixture);
    let b = process::RelayProcess::spawn(&place, &fixture);
    let address = |r: &process::RelayProcess| {
        r.base_url
            .trim_start_matches("http://")
            .parse::<std::net::SocketAddr>()
            .unwrap()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let front = format!("http://{}", listener.local_addr().unwrap());
    let balancing = workvoice_relay::testing::balancer::spawn_balancer(
        listener,
        vec![address(&a), address(&b)],
        None,
    );

    let total = 200usize;
    let prepared: Arc<Vec<_>> = Arc::new(
        (0..total as u64)
            .map(|seed| {
                workvoice_relay::testing::prepare_submission(
                    &fixture,
                    &world.listing,
                    &SubmissionSpec {
                        seed,
                        ..SubmissionSpec::default()
                    },
                )
                .unwrap()
            })
            .collect(),
    );
    let c = client();
    let next = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicUsize::new(0));
    let mut phones = Vec::new();
    for _ in 0..8 {
        let (c, front, prepared, next, answered) = (
            c.clone(),
            front.clone(),
            prepared.clone(),
            next.clone(),
            answered.clone(),
        );
        phones.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= prepared.len() {
                    return statuses;
                }
                // A phone retries until it has an answer; a 200 is the answer to an earlier
                // try that reached the database (perhaps through the relay since killed).
                let (status, _) =
                    process::submit_with_retries(&c, &front, &prepared[i].request, 200).await;
                answered.fetch_add(1, Ordering::SeqCst);
                statuses.push(status);
            }
        }));
    }
    while answered.load(Ordering::SeqCst) < total / 3 {
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    a.kill();
    let at_kill = answered.load(Ordering::SeqCst);
    let mut statuses = Vec::new();
    for p in phones {
        statuses.extend(p.await.unwrap());
    }
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    eprintln!(
        "relay A killed after {at_kill} of {total} answers; {} tries failed and were retried; \
         {created} answered 201, {} answered 200 (a retry of a submission already stored)",
        process::FAILED_TRIES.load(Ordering::SeqCst),
        total - created
    );
    assert!(at_kill < total);
    assert_eq!(statuses.len(), total);

    // The union reads its inbox through the same address: every report once.
    let inbox = process::inbox_report_ids(&c, &front, &world.union.token).await;
    let unique: BTreeSet<_> = inbox.iter().copied().collect();
    assert_eq!(unique.len(), inbox.len(), "a report delivered twice");
    let expected: BTreeSet<_> = prepared.iter().map(|p| p.request.submission_id).collect();
    assert_eq!(unique, expected, "a submission answered is missing");
    let storage = Storage::connect(place.database_url.as_deref().unwrap(), 2)
        .await
        .unwrap();
    let counts = storage.table_counts().await.unwrap();
    assert_eq!(counts["submissions"], total as i64);
    assert_eq!(
        counts["inbox"],
        2 * total as i64,
        "union and inspectorate, once each"
    );
    storage.close().await;
    drop(b);
    balancing.abort();
    place.drop_database().await;
}
