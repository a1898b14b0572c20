//! Retention: purged ciphertext is gone from the database files, submission records expire,
//! and the organisations that held a report can reply and set statuses for the whole life of
//! its mailbox.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use workvoice_proto::api::{
    MailboxItem, MailboxPage, MailboxStatus, PostReply, StatusChange, SubmissionAccepted,
    WorkerStatus,
};
use workvoice_proto::reply::{ReplyBody, open_reply, seal_reply};
use workvoice_relay::domain::unix_now;
use workvoice_relay::testing::{
    PreparedSubmission, SubmissionSpec, TestDatabase, TestRelay, TestRelayOptions,
};

on_both_backends!(an_organisation_replies_and_sets_statuses_after_retention);

const DAY: u64 = 24 * 3600;

/// Submit `p` and have every recipient acknowledge it; returns the recipients' answer.
async fn submit_and_acknowledge(relay: &TestRelay, p: &PreparedSubmission) -> SubmissionAccepted {
    let c = client();
    let r = post_json(&c, &relay.url("/v1/submissions"), &p.request, None).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let accepted: SubmissionAccepted = json(r).await;
    for org in &accepted.recipients {
        let token = &relay.org(org).unwrap().token;
        let url = relay.url(&format!("/v1/org/inbox/{}/ack", p.request.submission_id));
        let r = c.post(url).bearer_auth(token).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }
    accepted
}

async fn an_organisation_replies_and_sets_statuses_after_retention(db: TestDatabase) {
    let relay = relay(db).await;
    let c = client();
    let p = relay
        .prepare_submission(&SubmissionSpec::default())
        .unwrap();
    let id = p.request.submission_id;
    submit_and_acknowledge(&relay, &p).await;
    let retention = relay.settings.retention();
    assert_eq!(retention.record_max_age_secs, 30 * DAY);

    // 31 days later: ciphertext and submission record are gone, the case is out of the inbox.
    let later = unix_now() + 31 * DAY;
    let counts = relay.storage.purge(later, &retention).await.unwrap();
    assert_eq!(
        (counts.reports, counts.records, counts.mailboxes),
        (1, 1, 0)
    );
    let t = relay.storage.table_counts().await.unwrap();
    assert_eq!((t["submissions"], t["inbox"], t["attachments"]), (0, 0, 0));
    assert_eq!(t["report_routes"], 2, "one routing row per organisation");
    let inbox: serde_json::Value =
        json(get(&c, &relay.url("/v1/org/inbox"), Some(&relay.union.token)).await).await;
    assert_eq!(inbox["entries"].as_array().unwrap().len(), 0);

    // The union still replies and sets a status; the worker's mailbox shows both.
    let status_url = relay.url(&format!("/v1/org/reports/{id}/status"));
    let r = post_json(
        &c,
        &status_url,
        &StatusChange {
            status: WorkerStatus::InReview,
            sealed: None,
        },
        Some(&relay.union.token),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let mut rng = workvoice_proto::vectors::DeterministicRng::new("late reply");
    let sealed = seal_reply(
        &ReplyBody {
            text: "A month on: the agency has been reported.".into(),
            language: "en".into(),
            written_on: None,
        },
        id,
        relay.union.id,
        &relay.union.key,
        &p.reply_key.public_key(),
        &mut rng,
    )
    .unwrap();
    let replies_url = relay.url(&format!("/v1/org/reports/{id}/replies"));
    let r = post_json(
        &c,
        &replies_url,
        &PostReply {
            sealed: sealed.clone(),
        },
        Some(&relay.union.token),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let mailbox_url = relay.url(&format!("/v1/mailbox/{}", p.mailbox_token_text));
    let page: MailboxPage = json(get(&c, &mailbox_url, None).await).await;
    let last_two: Vec<_> = page.entries.iter().rev().take(2).collect();
    match &last_two[0].item {
        MailboxItem::Reply { sealed: got } => {
            assert_eq!(got, &sealed);
            let opened = open_reply(got, &p.reply_key, &relay.union.key.public_key()).unwrap();
            assert_eq!(opened.1.text, "A month on: the agency has been reported.");
        }
        other => panic!("expected the reply, got {other:?}"),
    }
    assert_eq!(
        last_two[1].item,
        MailboxItem::Status {
            status: MailboxStatus::InReview,
            sealed: None
        }
    );
    assert!(last_two.iter().all(|e| e.org_id == relay.union.id));

    // Only reply and status: no referral of what the relay no longer holds, and an
    // organisation that never held the report gets nothing.
    let r = post_json(
        &c,
        &status_url,
        &StatusChange {
            status: WorkerStatus::Resolved,
            sealed: None,
        },
        Some(&relay.ngo.token),
    )
    .await;
    expect_error(r, StatusCode::NOT_FOUND, "unknown_report").await;
    // A very late retry is not stored again.
    let r = post_json(&c, &relay.url("/v1/submissions"), &p.request, None).await;
    expect_error(r, StatusCode::CONFLICT, "submission_conflict").await;
    assert_eq!(
        relay.storage.table_counts().await.unwrap()["submissions"],
        0
    );

    // When the mailbox expires, the routing rows go with it.
    let counts = relay
        .storage
        .purge(
            unix_now() + retention.mailbox_max_age_secs + 2 * 3600,
            &retention,
        )
        .await
        .unwrap();
    assert_eq!(counts.mailboxes, 1);
    assert_eq!(
        relay.storage.table_counts().await.unwrap()["report_routes"],
        0
    );
    let r = post_json(
        &c,
        &status_url,
        &StatusChange {
            status: WorkerStatus::Closed,
            sealed: None,
        },
        Some(&relay.union.token),
    )
    .await;
    expect_error(r, StatusCode::NOT_FOUND, "unknown_report").await;
    relay.stop().await;
}

/// How many 32-byte windows of `haystack` equal one of the consecutive 32-byte pieces of
/// `needle` (random ciphertext: any hit is a leftover of it).
fn hits(haystack: &[u8], needle: &[u8]) -> usize {
    let pieces: std::collections::HashSet<&[u8]> = needle.chunks_exact(32).collect();
    haystack.windows(32).filter(|w| pieces.contains(w)).count()
}

fn database_files(relay: &TestRelay) -> Vec<u8> {
    let mut all = Vec::new();
    for name in ["relay.db", "relay.db-wal", "relay.db-shm"] {
        if let Ok(bytes) = std::fs::read(relay.settings.data_dir.join(name)) {
            all.extend_from_slice(&bytes);
        }
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purged_envelope_bytes_are_not_in_the_database_files() {
    let relay = TestRelay::spawn(TestRelayOptions::default()).await.unwrap();
    let c = client();
    let photo: Vec<u8> = (0..150_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    let p = relay
        .prepare_submission(&SubmissionSpec {
            attachments: vec![photo],
            ..SubmissionSpec::default()
        })
        .unwrap();
    let keep = relay
        .prepare_submission(&SubmissionSpec {
            seed: 9,
            ..SubmissionSpec::default()
        })
        .unwrap();
    let id = p.request.submission_id;
    let att = p.request.attachments[0].id;
    submit_and_acknowledge(&relay, &p).await;
    let r = c
        .put(relay.url(&format!("/v1/submissions/{id}/attachments/{att}?offset=0")))
        .bearer_auth(&p.mailbox_token_text)
        .header("content-type", "application/octet-stream")
        .body(p.sealed_attachments[0].clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = post_json(&c, &relay.url("/v1/submissions"), &keep.request, None).await;
    assert_eq!(r.status(), StatusCode::CREATED);

    let envelope = &p.request.envelope;
    let sealed_photo = &p.sealed_attachments[0];
    let before = database_files(&relay);
    // Large values are split over overflow pages (each starts with a 4-byte pointer), so not
    // every 32-byte piece is contiguous in the file; most are.
    assert!(
        hits(&before, envelope) >= envelope.len() / 64,
        "the envelope is in the files before the purge (else this test shows nothing)"
    );
    assert!(hits(&before, sealed_photo) >= sealed_photo.len() / 64);

    let retention = relay.settings.retention();
    let counts = relay
        .storage
        .purge(unix_now() + retention.grace_secs + 2 * 3600, &retention)
        .await
        .unwrap();
    assert_eq!(counts.reports, 1);
    let after = database_files(&relay);
    assert_eq!(hits(&after, envelope), 0, "purged envelope bytes remain");
    assert_eq!(
        hits(&after, sealed_photo),
        0,
        "purged attachment bytes remain"
    );
    assert!(
        hits(&after, &keep.request.envelope) >= keep.request.envelope.len() / 64,
        "the report still waiting is untouched"
    );
    println!(
        "database files: {} bytes before the purge, {} after",
        before.len(),
        after.len()
    );
    relay.stop().await;
}
