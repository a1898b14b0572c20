//! The storage conformance suite: written once, run against SQLite and PostgreSQL (each test
//! on a fresh database), like matrix-rust-sdk's `statestore_integration_tests!`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use workvoice_proto::keys::{OrgId, ReportId, sha256};
use workvoice_relay::storage::{
    AckOutcome, ChunkOutcome, InsertOutcome, NewAttachment, NewSubmission, Retention, Storage,
    StoreOutcome, StoredDirectory,
};

/// Expand the suite for one backend: `$open` is an async fn returning a fresh `(Storage, guard)`.
macro_rules! storage_conformance_tests {
    ($backend:ident, $open:path) => {
        mod $backend {
            use super::*;
            storage_conformance_tests!(@tests $open;
                organisations_and_token_lookup,
                settings_and_directories,
                submission_is_stored_once_and_delivered,
                mailbox_token_is_unique,
                inbox_sequence_per_organisation,
                acknowledgement_outcomes,
                replies_are_idempotent_by_message_id,
                referrals,
                chunks_append_in_order_and_verify,
                purge_respects_grace_and_age,
                concurrent_submissions_share_a_transaction_and_each_gets_its_answer,
                a_failing_submission_spares_its_batch,
            );
        }
    };
    (@tests $open:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let (storage, _guard) = $open().await;
                super::$name(&storage).await;
            }
        )*
    };
}

storage_conformance_tests!(sqlite, open_sqlite);
storage_conformance_tests!(postgres, open_postgres);

async fn open_sqlite() -> (Storage, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let s = Storage::connect(&url, 4).await.unwrap();
    s.migrate().await.unwrap();
    (s, dir)
}

async fn open_postgres() -> (Storage, ()) {
    let url = workvoice_relay::testing::fresh_postgres_database()
        .await
        .expect("PostgreSQL: set WORKVOICE_TEST_PG_URL (run scripts/postgres-up or scripts/test)");
    let s = Storage::connect(&url, 4).await.unwrap();
    s.migrate().await.unwrap();
    // Applying the migrations again is a no-op.
    s.migrate().await.unwrap();
    (s, ())
}

fn org(n: u8) -> OrgId {
    OrgId([n; 16])
}

fn report(n: u8) -> ReportId {
    ReportId([n; 16])
}

async fn add_org(s: &Storage, n: u8) -> OrgId {
    let id = org(n);
    assert!(
        s.insert_organisation(&id, "union", "{}", &[n; 32], 1)
            .await
            .unwrap()
    );
    id
}

fn submission(n: u8, recipients: Vec<OrgId>) -> NewSubmission {
    NewSubmission {
        id: report(n),
        request_hash: [n; 32],
        response: format!("{{\"n\":{n}}}"),
        directory_version: 1,
        tags: "{}".into(),
        consent: "{}".into(),
        received_hour: 3600 * 10,
        envelope: vec![n; 100],
        mailbox_hash: sha256(&[&[n]]).0,
        recipients,
        attachments: vec![],
    }
}

async fn organisations_and_token_lookup(s: &Storage) {
    let a = add_org(s, 1).await;
    let b = add_org(s, 2).await;
    assert!(
        !s.insert_organisation(&a, "ngo", "{}", &[9; 32], 1)
            .await
            .unwrap(),
        "duplicate id refused"
    );
    assert_eq!(s.organisation_by_token(&[1; 32]).await.unwrap(), Some(a));
    assert_eq!(s.organisation_by_token(&[2; 32]).await.unwrap(), Some(b));
    // Same lookup prefix, different hash: no match.
    let mut near = [1u8; 32];
    near[31] = 0;
    assert_eq!(s.organisation_by_token(&near).await.unwrap(), None);
    assert!(s.set_organisation_token(&a, &[3; 32]).await.unwrap());
    assert_eq!(s.organisation_by_token(&[1; 32]).await.unwrap(), None);
    assert_eq!(s.organisation_by_token(&[3; 32]).await.unwrap(), Some(a));
    assert!(s.set_organisation_certificate(&a, "cert").await.unwrap());
    let listed = s.organisations().await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(
        listed
            .iter()
            .find(|o| o.id == a)
            .unwrap()
            .certificate
            .as_deref(),
        Some("cert")
    );
    assert!(!s.set_organisation_certificate(&org(7), "x").await.unwrap());
}

async fn settings_and_directories(s: &Storage) {
    assert_eq!(s.setting("rules").await.unwrap(), None);
    s.set_setting("rules", "[1]").await.unwrap();
    s.set_setting("rules", "[2]").await.unwrap();
    assert_eq!(s.setting("rules").await.unwrap().as_deref(), Some("[2]"));
    assert_eq!(s.latest_directory_version().await.unwrap(), None);
    let d = |v: u64| StoredDirectory {
        version: v,
        issued_at: v,
        expires_at: v + 10,
        listing: format!("l{v}"),
        served: format!("s{v}"),
    };
    assert!(s.insert_directory(&d(1)).await.unwrap());
    assert!(s.insert_directory(&d(2)).await.unwrap());
    assert!(!s.insert_directory(&d(2)).await.unwrap());
    assert_eq!(s.latest_directory_version().await.unwrap(), Some(2));
    assert_eq!(s.latest_directory().await.unwrap(), Some(d(2)));
}

async fn submission_is_stored_once_and_delivered(s: &Storage) {
    let a = add_org(s, 1).await;
    let b = add_org(s, 2).await;
    let mut sub = submission(5, vec![a, b]);
    sub.attachments.push(NewAttachment {
        id: "aa".into(),
        size: 10,
        sha256: [0; 32],
    });
    assert_eq!(
        s.store_submission(sub.clone()).await.unwrap(),
        StoreOutcome::Stored
    );
    let again = s.store_submission(sub.clone()).await.unwrap();
    assert_eq!(
        again,
        StoreOutcome::Existing {
            request_hash: vec![5; 32],
            response: sub.response.clone()
        }
    );
    assert_eq!(
        s.submission_answer(&report(5)).await.unwrap(),
        Some((vec![5; 32], sub.response.clone()))
    );
    let counts = s.table_counts().await.unwrap();
    assert_eq!(counts["submissions"], 1);
    assert_eq!(counts["inbox"], 2);
    assert_eq!(counts["mailbox_entries"], 2);
    assert_eq!(counts["attachments"], 1);
    let page = s.inbox_page(&a, 0, 10).await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].envelope, vec![5; 100]);
    assert_eq!(page[0].received_hour, 36000);
    let mailbox = s.mailbox(&sub.mailbox_hash).await.unwrap().unwrap();
    assert_eq!(mailbox.report_id, report(5).to_hex());
    let entries = s.mailbox_entries(&mailbox, 0, 10).await.unwrap();
    assert_eq!(
        entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert!(
        entries
            .iter()
            .all(|e| e.status.as_deref() == Some("delivered"))
    );
    assert!(s.in_inbox(&b, &report(5)).await.unwrap());
    assert!(!s.in_inbox(&org(3), &report(5)).await.unwrap());
}

async fn mailbox_token_is_unique(s: &Storage) {
    let a = add_org(s, 1).await;
    let first = submission(1, vec![a]);
    let mut second = submission(2, vec![a]);
    second.mailbox_hash = first.mailbox_hash;
    assert_eq!(
        s.store_submission(first.clone()).await.unwrap(),
        StoreOutcome::Stored
    );
    let before = s.content_digest().await.unwrap();
    assert_eq!(
        s.store_submission(second.clone()).await.unwrap(),
        StoreOutcome::MailboxInUse
    );
    assert_eq!(
        s.content_digest().await.unwrap(),
        before,
        "nothing half-stored"
    );
}

async fn inbox_sequence_per_organisation(s: &Storage) {
    let a = add_org(s, 1).await;
    let b = add_org(s, 2).await;
    for n in 1..=4 {
        let recipients = if n % 2 == 0 { vec![a, b] } else { vec![a] };
        assert_eq!(
            s.store_submission(submission(n, recipients)).await.unwrap(),
            StoreOutcome::Stored
        );
    }
    let a_page = s.inbox_page(&a, 0, 10).await.unwrap();
    assert_eq!(
        a_page.iter().map(|r| r.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    let b_page = s.inbox_page(&b, 0, 10).await.unwrap();
    assert_eq!(b_page.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(b_page[1].report_id, report(4).to_hex());
    let after = s.inbox_page(&a, 2, 1).await.unwrap();
    assert_eq!(after.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![3]);
}

async fn acknowledgement_outcomes(s: &Storage) {
    let a = add_org(s, 1).await;
    let b = add_org(s, 2).await;
    s.store_submission(submission(1, vec![a])).await.unwrap();
    assert_eq!(
        s.acknowledge(&b, &report(1), 7200).await.unwrap(),
        AckOutcome::NotFound
    );
    assert_eq!(
        s.acknowledge(&a, &report(1), 7200).await.unwrap(),
        AckOutcome::Acknowledged
    );
    assert_eq!(
        s.acknowledge(&a, &report(1), 7200).await.unwrap(),
        AckOutcome::AlreadyAcknowledged
    );
    assert!(s.inbox_page(&a, 0, 10).await.unwrap()[0].acknowledged);
    assert_eq!(s.table_counts().await.unwrap()["mailbox_entries"], 2);
}

async fn replies_are_idempotent_by_message_id(s: &Storage) {
    let a = add_org(s, 1).await;
    let b = add_org(s, 2).await;
    s.store_submission(submission(1, vec![a])).await.unwrap();
    assert_eq!(
        s.add_reply(&a, &report(1), "m1", b"sealed", 3600)
            .await
            .unwrap(),
        InsertOutcome::Created
    );
    assert_eq!(
        s.add_reply(&a, &report(1), "m1", b"sealed", 3600)
            .await
            .unwrap(),
        InsertOutcome::Duplicate
    );
    assert_eq!(
        s.add_reply(&a, &report(1), "m1", b"other", 3600)
            .await
            .unwrap(),
        InsertOutcome::Conflict
    );
    assert_eq!(
        s.add_reply(&b, &report(1), "m2", b"sealed", 3600)
            .await
            .unwrap(),
        InsertOutcome::NotFound
    );
    assert_eq!(
        s.add_status(&a, &report(1), "resolved", None, 3600)
            .await
            .unwrap(),
        InsertOutcome::Created
    );
    assert_eq!(
        s.add_status(&b, &report(1), "resolved", None, 3600)
            .await
            .unwrap(),
        InsertOutcome::NotFound
    );
    let mailbox = s
        .mailbox(&submission(1, vec![]).mailbox_hash)
        .await
        .unwrap()
        .unwrap();
    let entries = s.mailbox_entries(&mailbox, 1, 10).await.unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].sealed.as_deref(), Some(&b"sealed"[..]));
    assert_eq!(entries[1].status.as_deref(), Some("resolved"));
}

async fn referrals(s: &Storage) {
    let a = add_org(s, 1).await;
    let b = add_org(s, 2).await;
    let c = add_org(s, 3).await;
    s.store_submission(submission(1, vec![a])).await.unwrap();
    assert_eq!(
        s.refer(&b, &report(1), &c, b"env", 3600).await.unwrap(),
        InsertOutcome::NotFound
    );
    assert_eq!(
        s.refer(&a, &report(1), &b, b"env", 3600).await.unwrap(),
        InsertOutcome::Created
    );
    assert_eq!(
        s.refer(&a, &report(1), &b, b"env", 3600).await.unwrap(),
        InsertOutcome::Duplicate
    );
    assert_eq!(
        s.refer(&a, &report(1), &b, b"other", 3600).await.unwrap(),
        InsertOutcome::Conflict
    );
    let page = s.inbox_page(&b, 0, 10).await.unwrap();
    assert_eq!(page[0].envelope, b"env".to_vec());
    assert_eq!(page[0].referred_by.as_deref(), Some(a.to_hex().as_str()));
    let page = s.inbox_page(&a, 0, 10).await.unwrap();
    assert_eq!(page[0].envelope, vec![1; 100]);
}

async fn chunks_append_in_order_and_verify(s: &Storage) {
    let a = add_org(s, 1).await;
    let data: Vec<u8> = (0..100u8).collect();
    let mut sub = submission(1, vec![a]);
    sub.attachments.push(NewAttachment {
        id: "good".into(),
        size: 100,
        sha256: sha256(&[&data]).0,
    });
    sub.attachments.push(NewAttachment {
        id: "bad".into(),
        size: 100,
        sha256: [0; 32],
    });
    s.store_submission(sub.clone()).await.unwrap();
    let r = report(1);
    assert_eq!(
        s.append_chunk(&r, "nope", 0, &data).await.unwrap(),
        ChunkOutcome::NotFound
    );
    assert_eq!(
        s.append_chunk(&r, "good", 0, &data[..40]).await.unwrap(),
        ChunkOutcome::Progress {
            received: 40,
            complete: false
        }
    );
    assert_eq!(
        s.append_chunk(&r, "good", 0, &data[..40]).await.unwrap(),
        ChunkOutcome::OffsetMismatch { received: 40 }
    );
    assert_eq!(
        s.append_chunk(&r, "good", 40, &[0; 61]).await.unwrap(),
        ChunkOutcome::TooLarge
    );
    assert_eq!(
        s.append_chunk(&r, "good", 40, &data[40..]).await.unwrap(),
        ChunkOutcome::Progress {
            received: 100,
            complete: true
        }
    );
    assert_eq!(
        s.append_chunk(&r, "good", 100, &[]).await.unwrap(),
        ChunkOutcome::Progress {
            received: 100,
            complete: true
        }
    );
    assert_eq!(s.attachment_bytes(&r, "good").await.unwrap(), data);
    assert_eq!(
        s.append_chunk(&r, "bad", 0, &data).await.unwrap(),
        ChunkOutcome::DigestMismatch
    );
    let bad = s.attachment(&r, "bad").await.unwrap().unwrap();
    assert_eq!((bad.received, bad.complete), (0, false));
    assert_eq!(s.table_counts().await.unwrap()["attachment_chunks"], 2);
}

async fn purge_respects_grace_and_age(s: &Storage) {
    let retention = |grace_secs| Retention {
        grace_secs,
        record_max_age_secs: 5_000_000,
        mailbox_max_age_secs: 10_000_000,
    };
    let a = add_org(s, 1).await;
    let b = add_org(s, 2).await;
    let mut sub = submission(1, vec![a, b]);
    sub.received_hour = 0;
    s.store_submission(sub.clone()).await.unwrap();
    s.acknowledge(&a, &report(1), 3600).await.unwrap();
    assert_eq!(
        s.purge(1_000_000, &retention(100)).await.unwrap().reports,
        0
    );
    s.acknowledge(&b, &report(1), 7200).await.unwrap();
    assert_eq!(s.purge(7250, &retention(100)).await.unwrap().reports, 0);
    let counts = s.purge(7300, &retention(100)).await.unwrap();
    assert_eq!(
        (counts.reports, counts.records, counts.mailboxes),
        (1, 0, 0)
    );
    let t = s.table_counts().await.unwrap();
    assert_eq!((t["inbox"], t["report_routes"]), (0, 2));
    assert!(s.holds_report(&a, &report(1)).await.unwrap());
    assert!(!s.in_inbox(&a, &report(1)).await.unwrap());
    assert!(s.submission_answer(&report(1)).await.unwrap().is_some());
    // The record goes after its retention period; the routing rows stay with the mailbox.
    let counts = s.purge(5_000_000 + 3600, &retention(100)).await.unwrap();
    assert_eq!(
        (counts.reports, counts.records, counts.mailboxes),
        (0, 1, 0)
    );
    assert!(s.submission_answer(&report(1)).await.unwrap().is_none());
    assert!(s.holds_report(&b, &report(1)).await.unwrap());
    assert_eq!(
        s.purge(20_000_000, &retention(100))
            .await
            .unwrap()
            .mailboxes,
        1
    );
    let t = s.table_counts().await.unwrap();
    assert_eq!((t["mailbox_entries"], t["report_routes"]), (0, 0));
    assert!(!s.holds_report(&a, &report(1)).await.unwrap());
}

/// Queue all `subs` at once (they are sent before the writer task runs, so they meet in one
/// batch) and return each answer in the same order.
async fn store_all(
    s: &Storage,
    subs: Vec<NewSubmission>,
) -> Vec<Result<StoreOutcome, workvoice_relay::storage::StorageError>> {
    let mut tasks = tokio::task::JoinSet::new();
    for (n, sub) in subs.into_iter().enumerate() {
        let s = s.clone();
        tasks.spawn(async move { (n, s.store_submission(sub).await) });
    }
    let mut out: Vec<_> = tasks.join_all().await;
    out.sort_by_key(|(n, _)| *n);
    out.into_iter().map(|(_, r)| r).collect()
}

async fn concurrent_submissions_share_a_transaction_and_each_gets_its_answer(s: &Storage) {
    let a = add_org(s, 1).await;
    let b = add_org(s, 2).await;
    let before = s.group_commit_stats();
    let mut subs: Vec<NewSubmission> = (10..30u8)
        .map(|n| submission(n, if n % 3 == 0 { vec![a] } else { vec![a, b] }))
        .collect();
    // The same submission twice, a different body under id 11, another id with 12's mailbox.
    subs.push(submission(10, vec![a, b]));
    let mut other_body = submission(11, vec![a]);
    other_body.request_hash = [99; 32];
    other_body.response = "{\"other\":1}".into();
    subs.push(other_body);
    let mut same_mailbox = submission(40, vec![b]);
    same_mailbox.mailbox_hash = submission(12, vec![]).mailbox_hash;
    subs.push(same_mailbox);
    let answers = store_all(s, subs.clone()).await;
    let answers: Vec<StoreOutcome> = answers.into_iter().map(|r| r.unwrap()).collect();

    let stats = s.group_commit_stats();
    assert!(
        stats.largest_batch > 1,
        "submissions queued together share a transaction: {stats:?}"
    );
    assert!(stats.batches - before.batches < answers.len() as u64);

    // Each id: exactly one copy stored; the other copy answered with the stored copy's hash.
    for id in [10u8, 11] {
        let copies: Vec<(usize, &StoreOutcome)> = answers
            .iter()
            .enumerate()
            .filter(|(n, _)| subs[*n].id == report(id))
            .collect();
        assert_eq!(copies.len(), 2);
        let stored: Vec<usize> = copies
            .iter()
            .filter(|(_, o)| **o == StoreOutcome::Stored)
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(stored.len(), 1, "id {id}: {copies:?}");
        let winner = &subs[stored[0]];
        let replay = copies.iter().find(|(n, _)| *n != stored[0]).unwrap().1;
        assert_eq!(
            *replay,
            StoreOutcome::Existing {
                request_hash: winner.request_hash.to_vec(),
                response: winner.response.clone(),
            }
        );
        assert_eq!(
            s.submission_answer(&report(id)).await.unwrap(),
            Some((winner.request_hash.to_vec(), winner.response.clone()))
        );
    }
    // One of the two submissions with one mailbox token is refused and leaves no row.
    let (twelve, forty) = (answers[2].clone(), answers[answers.len() - 1].clone());
    let refused = match (&twelve, &forty) {
        (StoreOutcome::Stored, StoreOutcome::MailboxInUse) => report(40),
        (StoreOutcome::MailboxInUse, StoreOutcome::Stored) => report(12),
        other => panic!("one mailbox token twice: {other:?}"),
    };
    assert_eq!(s.submission_answer(&refused).await.unwrap(), None);
    for (n, answer) in answers.iter().enumerate().take(20) {
        if n != 0 && n != 1 && n != 2 {
            assert_eq!(*answer, StoreOutcome::Stored, "submission {}", n + 10);
        }
    }

    // 21 stored: ids 10..30 but one of 12/40, plus 40 if it won.
    let stored: Vec<&NewSubmission> = subs
        .iter()
        .zip(&answers)
        .filter(|(_, o)| **o == StoreOutcome::Stored)
        .map(|(sub, _)| sub)
        .collect();
    assert_eq!(stored.len(), 20);
    let deliveries: usize = stored.iter().map(|sub| sub.recipients.len()).sum();
    let counts = s.table_counts().await.unwrap();
    assert_eq!(counts["submissions"], 20);
    assert_eq!(counts["mailboxes"], 20);
    assert_eq!(counts["inbox"] as usize, deliveries);
    assert_eq!(counts["mailbox_entries"] as usize, deliveries);

    // Inbox positions are dense and each stored report is there exactly once.
    for org in [a, b] {
        let page = s.inbox_page(&org, 0, 100).await.unwrap();
        let expected: Vec<String> = stored
            .iter()
            .filter(|sub| sub.recipients.contains(&org))
            .map(|sub| sub.id.to_hex())
            .collect();
        assert_eq!(
            page.iter().map(|r| r.seq).collect::<Vec<_>>(),
            (1..=expected.len() as u64).collect::<Vec<_>>()
        );
        let mut got: Vec<String> = page.iter().map(|r| r.report_id.clone()).collect();
        got.sort();
        assert_eq!(got, expected);
    }
    // The next delivery continues after the batch.
    assert_eq!(
        s.store_submission(submission(60, vec![b])).await.unwrap(),
        StoreOutcome::Stored
    );
    let page = s.inbox_page(&b, 0, 100).await.unwrap();
    let last = page.last().unwrap();
    assert_eq!(last.report_id, report(60).to_hex());
    assert_eq!(last.seq, page.len() as u64);
}

async fn a_failing_submission_spares_its_batch(s: &Storage) {
    let a = add_org(s, 1).await;
    let before = s.group_commit_stats();
    let mut subs: Vec<NewSubmission> = (1..=8u8).map(|n| submission(n, vec![a])).collect();
    // The database refuses this one (the same attachment id twice), in the middle of a batch.
    let mut broken = submission(5, vec![a]);
    for _ in 0..2 {
        broken.attachments.push(NewAttachment {
            id: "aa".into(),
            size: 10,
            sha256: [0; 32],
        });
    }
    subs[4] = broken;
    // An organisation that does not exist (a recipient the database does not know).
    subs[6] = submission(7, vec![a, org(9)]);
    let answers = store_all(s, subs.clone()).await;

    let stats = s.group_commit_stats();
    assert!(stats.split_batches > before.split_batches, "{stats:?}");
    for (n, answer) in answers.iter().enumerate() {
        match n {
            4 | 6 => assert!(
                matches!(
                    answer,
                    Err(workvoice_relay::storage::StorageError::Database(_))
                ),
                "submission {}: {answer:?}",
                n + 1
            ),
            _ => assert_eq!(
                *answer.as_ref().unwrap(),
                StoreOutcome::Stored,
                "submission {}",
                n + 1
            ),
        }
    }
    // Nothing of the refused ones is stored; the others are complete.
    for n in [5u8, 7] {
        assert_eq!(s.submission_answer(&report(n)).await.unwrap(), None);
        assert!(
            s.mailbox(&subs[n as usize - 1].mailbox_hash)
                .await
                .unwrap()
                .is_none()
        );
    }
    let counts = s.table_counts().await.unwrap();
    assert_eq!(counts["submissions"], 6);
    assert_eq!(counts["attachments"], 0);
    assert_eq!(counts["inbox"], 6);
    assert_eq!(counts["mailbox_entries"], 6);
    let page = s.inbox_page(&a, 0, 100).await.unwrap();
    assert_eq!(
        page.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (1..=6).collect::<Vec<_>>()
    );
}
