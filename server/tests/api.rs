//! API tests against a relay on port 0 with a fresh database per test, on SQLite and
//! PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use workvoice_proto::api::{
    InboxPage, MailboxItem, MailboxPage, MailboxStatus, PostReply, Referral, StatusChange,
    SubmissionAccepted, UploadProgress, WithdrawalPage, WithdrawalRequest, WorkerStatus,
};
use workvoice_proto::directory::{RevokedKey, verify_directory};
use workvoice_proto::envelope::open;
use workvoice_proto::keys::{OrgId, sha256};
use workvoice_proto::reply::{ReplyBody, open_reply, seal_reply};
use workvoice_proto::report::{Report, Sector};
use workvoice_proto::routing::{Consent, disclosure_digest};
use workvoice_proto::status::{StatusBody, open_status, seal_status};
use workvoice_relay::domain::unix_now;
use workvoice_relay::testing::{SubmissionSpec, TestDatabase, TestRelay, prepare_submission};

on_both_backends!(
    submission_is_delivered_acknowledged_and_answered,
    directory_is_signed_and_cacheable,
    inbox_pages_follow_delivery_order,
    concurrent_submissions_each_get_their_own_answer,
    referral_needs_consent_and_lands_with_referred_by,
    attachment_upload_resumes_and_bytes_are_exact,
    attachment_with_wrong_digest_keeps_nothing,
    stale_directory_is_refused_with_the_current_version,
    a_recipient_whose_key_was_revoked_may_be_left_out,
    retention_deletes_acknowledged_ciphertext_and_old_mailboxes,
    operations_endpoints_answer,
    serve_republishes_before_expiry,
    a_sealed_status_is_checked_stored_once_and_served_unchanged,
    a_withdrawal_reaches_every_holder_once_and_bad_input_stores_nothing,
);

async fn serve_republishes_before_expiry(db: TestDatabase) {
    let relay = relay(db).await;
    let key = workvoice_relay::domain::keyfile::read(&relay.settings.relay_key_path()).unwrap();
    let state =
        workvoice_relay::state::AppState::new(relay.storage.clone(), relay.settings.clone());
    let expires = relay.listing.expires_at;
    let margin = relay.settings.republish_margin_secs;
    // Well before the margin: nothing happens.
    workvoice_relay::startup::maintenance_pass(&state, &key, expires - margin - 60).await;
    assert_eq!(
        relay.storage.latest_directory_version().await.unwrap(),
        Some(1)
    );
    // Inside the margin: a new version with a new expiry.
    let now = expires - margin + 60;
    workvoice_relay::startup::maintenance_pass(&state, &key, now).await;
    let d = relay.storage.latest_directory().await.unwrap().unwrap();
    assert_eq!(d.version, 2);
    assert_eq!(d.issued_at, now);
    assert_eq!(d.expires_at, now + relay.settings.directory_ttl_secs);
    let served = get(&client(), &relay.url("/v1/directory"), None)
        .await
        .bytes()
        .await
        .unwrap();
    let v = verify_directory(&served, &relay.fixture.root.public_key(), now, 1).unwrap();
    assert_eq!(v.listing.version, 2);
    assert_eq!(v.listing.rules, relay.listing.rules);
    relay.stop().await;
}

#[tokio::test]
async fn anonymous_endpoints_are_rate_limited() {
    let relay = TestRelay::spawn(workvoice_relay::testing::TestRelayOptions {
        anonymous_rate_per_second: 1,
        ..Default::default()
    })
    .await
    .unwrap();
    let c = client();
    // Mailbox polls have their own bucket (1 a second here) ...
    let mailbox = relay.url("/v1/mailbox/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    let first = get(&c, &mailbox, None).await;
    assert_eq!(first.status(), StatusCode::NOT_FOUND);
    let second = get(&c, &mailbox, None).await;
    assert!(second.headers().contains_key("retry-after"));
    expect_error(second, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // ... and the directory, served from memory, has its own, four times larger.
    assert_eq!(
        get(&c, &relay.url("/v1/directory"), None).await.status(),
        StatusCode::OK
    );
    // Organisation and operations endpoints are not limited by the anonymous bucket.
    assert_eq!(
        get(&c, &relay.url("/healthz"), None).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        get(&c, &relay.url("/v1/org/inbox"), Some(&relay.union.token))
            .await
            .status(),
        StatusCode::OK
    );
    relay.stop().await;
}

fn mailbox_statuses(page: &MailboxPage) -> Vec<(OrgId, MailboxStatus)> {
    page.entries
        .iter()
        .filter_map(|e| match &e.item {
            MailboxItem::Status { status, .. } => Some((e.org_id, *status)),
            MailboxItem::Reply { .. } => None,
        })
        .collect()
}

async fn submission_is_delivered_acknowledged_and_answered(db: TestDatabase) {
    let relay = relay(db).await;
    let c = client();
    let p = relay
        .prepare_submission(&SubmissionSpec::default())
        .unwrap();

    let first = post_json(&c, &relay.url("/v1/submissions"), &p.request, None).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first_body = first.text().await.unwrap();
    let accepted: SubmissionAccepted = serde_json::from_str(&first_body).unwrap();
    let mut expected = vec![relay.union.id, relay.inspectorate.id];
    expected.sort();
    assert_eq!(accepted.recipients, expected);
    assert_eq!(accepted.received_at_hour % 3600, 0);

    // A retry gets the identical answer, 200.
    let again = post_json(&c, &relay.url("/v1/submissions"), &p.request, None).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.text().await.unwrap(), first_body);
    assert_eq!(
        relay.storage.table_counts().await.unwrap()["submissions"],
        1
    );

    // Both recipients have it; the NGO (withheld by consent) does not.
    for org in [&relay.union, &relay.inspectorate] {
        let page: InboxPage =
            json(get(&c, &relay.url("/v1/org/inbox"), Some(&org.token)).await).await;
        assert_eq!(page.entries.len(), 1);
        let e = &page.entries[0];
        assert_eq!(e.report_id, p.request.submission_id);
        assert!(!e.acknowledged);
        let opened = open(
            &e.envelope,
            org.id,
            &org.key,
            &disclosure_digest(&e.tags, &e.consent),
        )
        .unwrap();
        assert_eq!(Report::decode(&opened.plaintext).unwrap(), p.report);
    }
    let ngo: InboxPage =
        json(get(&c, &relay.url("/v1/org/inbox"), Some(&relay.ngo.token)).await).await;
    assert!(ngo.entries.is_empty());

    let mailbox_url = relay.url(&format!("/v1/mailbox/{}", p.mailbox_token_text));
    let page: MailboxPage = json(get(&c, &mailbox_url, None).await).await;
    let delivered = mailbox_statuses(&page);
    assert_eq!(delivered.len(), 2);
    assert!(
        delivered
            .iter()
            .all(|(_, s)| *s == MailboxStatus::Delivered)
    );
    assert!(page.entries.iter().all(|e| e.at_hour % 3600 == 0));

    // Acknowledge twice: one `acknowledged` entry.
    let ack = relay.url(&format!("/v1/org/inbox/{}/ack", p.request.submission_id));
    for _ in 0..2 {
        let r = c
            .post(&ack)
            .bearer_auth(&relay.union.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }
    let page: MailboxPage =
        json(get(&c, &format!("{mailbox_url}?after={}", page.last_seq), None).await).await;
    assert_eq!(
        mailbox_statuses(&page),
        vec![(relay.union.id, MailboxStatus::Acknowledged)]
    );
    let inbox: InboxPage =
        json(get(&c, &relay.url("/v1/org/inbox"), Some(&relay.union.token)).await).await;
    assert!(inbox.entries[0].acknowledged);

    // A status and a sealed reply reach the mailbox.
    let status_url = relay.url(&format!(
        "/v1/org/reports/{}/status",
        p.request.submission_id
    ));
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
    let mut rng = workvoice_proto::vectors::DeterministicRng::new("reply");
    let sealed = seal_reply(
        &ReplyBody {
            text: "We have your case.".into(),
            language: "en".into(),
            written_on: None,
        },
        p.request.submission_id,
        relay.union.id,
        &relay.union.key,
        &p.reply_key.public_key(),
        &mut rng,
    )
    .unwrap();
    let replies = relay.url(&format!(
        "/v1/org/reports/{}/replies",
        p.request.submission_id
    ));
    let body = PostReply {
        sealed: sealed.clone(),
    };
    assert_eq!(
        post_json(&c, &replies, &body, Some(&relay.union.token))
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        post_json(&c, &replies, &body, Some(&relay.union.token))
            .await
            .status(),
        StatusCode::OK
    );
    let mut other = sealed.clone();
    let last = other.len() - 1;
    other[last] ^= 1;
    expect_error(
        post_json(
            &c,
            &replies,
            &PostReply { sealed: other },
            Some(&relay.union.token),
        )
        .await,
        StatusCode::CONFLICT,
        "reply_conflict",
    )
    .await;
    let page: MailboxPage = json(get(&c, &mailbox_url, None).await).await;
    let replies: Vec<&Vec<u8>> = page
        .entries
        .iter()
        .filter_map(|e| match &e.item {
            MailboxItem::Reply { sealed } => Some(sealed),
            MailboxItem::Status { .. } => None,
        })
        .collect();
    assert_eq!(replies.len(), 1);
    let (_, body) = open_reply(replies[0], &p.reply_key, &relay.union.key.public_key()).unwrap();
    assert_eq!(body.text, "We have your case.");
    assert!(mailbox_statuses(&page).contains(&(relay.union.id, MailboxStatus::InReview)));
    let seqs: Vec<u64> = page.entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    relay.stop().await;
}

async fn directory_is_signed_and_cacheable(db: TestDatabase) {
    let relay = relay(db).await;
    let c = client();
    let r = get(&c, &relay.url("/v1/directory"), None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let served = r.bytes().await.unwrap();
    let verified =
        verify_directory(&served, &relay.fixture.root.public_key(), unix_now(), 0).unwrap();
    assert_eq!(verified.listing.version, 1);
    assert_eq!(verified.listing.pow_difficulty, 4);
    assert_eq!(verified.listing.organisations.len(), 3);
    assert_eq!(verified.listing.rules, relay.fixture.listing(1).rules);
    let cached = c
        .get(relay.url("/v1/directory"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
    let stale = c
        .get(relay.url("/v1/directory"))
        .header("if-none-match", "\"v0-x\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::OK);
    relay.stop().await;
}

async fn inbox_pages_follow_delivery_order(db: TestDatabase) {
    let relay = relay(db).await;
    let c = client();
    let mut ids = Vec::new();
    for seed in 0..5 {
        let p = relay
            .prepare_submission(&SubmissionSpec {
                seed,
                ..SubmissionSpec::default()
            })
            .unwrap();
        assert_eq!(
            post_json(&c, &relay.url("/v1/submissions"), &p.request, None)
                .await
                .status(),
            StatusCode::CREATED
        );
        ids.push(p.request.submission_id);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => relay.url(&format!("/v1/org/inbox?limit=2&after={c}")),
            None => relay.url("/v1/org/inbox?limit=2"),
        };
        let page: InboxPage = json(get(&c, &url, Some(&relay.union.token)).await).await;
        assert!(page.entries.len() <= 2);
        seen.extend(page.entries.iter().map(|e| (e.seq, e.report_id)));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.iter().map(|(_, id)| *id).collect::<Vec<_>>(), ids);
    assert_eq!(
        seen.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    expect_error(
        get(
            &c,
            &relay.url("/v1/org/inbox?after=banana"),
            Some(&relay.union.token),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_cursor",
    )
    .await;
    relay.stop().await;
}

fn not_construction(r: &mut Report) {
    r.sector = Some(Sector::Manufacturing);
}

async fn referral_needs_consent_and_lands_with_referred_by(db: TestDatabase) {
    let relay = relay(db).await;
    let c = client();
    // Routed to the union only (not construction); consent allows the inspectorate, not NGOs.
    let p = relay
        .prepare_submission(&SubmissionSpec {
            adjust_report: Some(not_construction),
            ..SubmissionSpec::default()
        })
        .unwrap();
    let accepted: SubmissionAccepted =
        json(post_json(&c, &relay.url("/v1/submissions"), &p.request, None).await).await;
    assert_eq!(accepted.recipients, vec![relay.union.id]);
    let referrals = relay.url(&format!(
        "/v1/org/reports/{}/referrals",
        p.request.submission_id
    ));
    let digest = disclosure_digest(&p.request.tags, &p.request.consent);
    let mut rng = workvoice_proto::vectors::DeterministicRng::new("referral");
    let reseal = |to: OrgId, key: workvoice_proto::keys::HpkePublicKey, rng: &mut _| {
        workvoice_proto::envelope::seal(
            &p.report.encode(),
            p.request.submission_id,
            &[(to, key)],
            &digest,
            rng,
        )
        .unwrap()
    };

    let to_ngo = Referral {
        to: relay.ngo.id,
        envelope: reseal(relay.ngo.id, relay.ngo.key.public_key(), &mut rng),
    };
    expect_error(
        post_json(&c, &referrals, &to_ngo, Some(&relay.union.token)).await,
        StatusCode::FORBIDDEN,
        "referral_not_consented",
    )
    .await;

    let wrong_recipient = Referral {
        to: relay.inspectorate.id,
        envelope: reseal(relay.ngo.id, relay.ngo.key.public_key(), &mut rng),
    };
    expect_error(
        post_json(&c, &referrals, &wrong_recipient, Some(&relay.union.token)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "referral_recipient_mismatch",
    )
    .await;

    let good = Referral {
        to: relay.inspectorate.id,
        envelope: reseal(
            relay.inspectorate.id,
            relay.inspectorate.key.public_key(),
            &mut rng,
        ),
    };
    assert_eq!(
        post_json(&c, &referrals, &good, Some(&relay.union.token))
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        post_json(&c, &referrals, &good, Some(&relay.union.token))
            .await
            .status(),
        StatusCode::OK
    );
    let inbox: InboxPage = json(
        get(
            &c,
            &relay.url("/v1/org/inbox"),
            Some(&relay.inspectorate.token),
        )
        .await,
    )
    .await;
    assert_eq!(inbox.entries.len(), 1);
    let e = &inbox.entries[0];
    assert_eq!(e.referred_by, Some(relay.union.id));
    let opened = open(
        &e.envelope,
        relay.inspectorate.id,
        &relay.inspectorate.key,
        &disclosure_digest(&e.tags, &e.consent),
    )
    .unwrap();
    assert_eq!(Report::decode(&opened.plaintext).unwrap(), p.report);
    // The inspectorate cannot refer it back to the union... it can, consent allows unions;
    // but the union already holds a different envelope for it.
    let back = Referral {
        to: relay.union.id,
        envelope: reseal(relay.union.id, relay.union.key.public_key(), &mut rng),
    };
    expect_error(
        post_json(&c, &referrals, &back, Some(&relay.inspectorate.token)).await,
        StatusCode::CONFLICT,
        "referral_conflict",
    )
    .await;
    relay.stop().await;
}

fn chunk_url(
    relay: &TestRelay,
    id: &impl std::fmt::Display,
    att: &impl std::fmt::Display,
    offset: Option<u64>,
) -> String {
    match offset {
        Some(o) => relay.url(&format!(
            "/v1/submissions/{id}/attachments/{att}?offset={o}"
        )),
        None => relay.url(&format!("/v1/submissions/{id}/attachments/{att}")),
    }
}

async fn put_chunk(c: &reqwest::Client, url: &str, token: &str, bytes: &[u8]) -> reqwest::Response {
    c.put(url)
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap()
}

async fn attachment_upload_resumes_and_bytes_are_exact(db: TestDatabase) {
    let relay = relay(db).await;
    let c = client();
    // The largest attachment a phone may send: 32 MiB of plaintext.
    let size = workvoice_proto::attachment::MAX_ATTACHMENT_BYTES;
    let photo: Vec<u8> = (0..size as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let p = relay
        .prepare_submission(&SubmissionSpec {
            attachments: vec![photo],
            ..SubmissionSpec::default()
        })
        .unwrap();
    assert_eq!(
        post_json(&c, &relay.url("/v1/submissions"), &p.request, None)
            .await
            .status(),
        StatusCode::CREATED
    );
    let id = p.request.submission_id;
    let att = p.request.attachments[0].id;
    let sealed = &p.sealed_attachments[0];
    let token = &p.mailbox_token_text;
    const CHUNK: usize = 1024 * 1024;

    // First chunk arrives; the second is cut off mid-way (the client never sends it whole).
    let r = put_chunk(
        &c,
        &chunk_url(&relay, &id, &att, Some(0)),
        token,
        &sealed[..CHUNK],
    )
    .await;
    let progress: UploadProgress = json(r).await;
    assert_eq!(progress.received, CHUNK as u64);
    assert!(!progress.complete);

    // The org cannot download a partial attachment.
    let org_url = relay.url(&format!("/v1/org/reports/{id}/attachments/{att}"));
    expect_error(
        get(&c, &org_url, Some(&relay.union.token)).await,
        StatusCode::CONFLICT,
        "attachment_incomplete",
    )
    .await;

    // A chunk above the chunk limit is refused whole.
    let big = vec![0u8; workvoice_proto::api::MAX_CHUNK_BYTES + 1];
    expect_error(
        put_chunk(
            &c,
            &chunk_url(&relay, &id, &att, Some(CHUNK as u64)),
            token,
            &big,
        )
        .await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
    // A resumed client asks where to continue; a chunk at the wrong offset is refused.
    let progress: UploadProgress =
        json(get(&c, &chunk_url(&relay, &id, &att, None), Some(token)).await).await;
    assert_eq!(progress.received, CHUNK as u64);
    expect_error(
        put_chunk(
            &c,
            &chunk_url(&relay, &id, &att, Some(10)),
            token,
            &sealed[10..20],
        )
        .await,
        StatusCode::CONFLICT,
        "upload_offset_mismatch",
    )
    .await;
    expect_error(
        put_chunk(
            &c,
            &chunk_url(&relay, &id, &att, Some(0)),
            token,
            &sealed[..CHUNK],
        )
        .await,
        StatusCode::CONFLICT,
        "upload_offset_mismatch",
    )
    .await;
    let mut offset = progress.received as usize;
    while offset < sealed.len() {
        let end = (offset + CHUNK).min(sealed.len());
        let r = put_chunk(
            &c,
            &chunk_url(&relay, &id, &att, Some(offset as u64)),
            token,
            &sealed[offset..end],
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
        let progress: UploadProgress = json(r).await;
        assert_eq!(progress.received, end as u64);
        assert_eq!(progress.complete, end == sealed.len());
        offset = end;
    }
    let r = get(&c, &org_url, Some(&relay.union.token)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let stored = r.bytes().await.unwrap();
    assert_eq!(stored.len(), sealed.len());
    assert_eq!(sha256(&[&stored]), sha256(&[sealed]));
    let plain = workvoice_proto::attachment::open_attachment(&stored, id, &p.report.attachments[0])
        .unwrap();
    assert_eq!(plain.len(), size);
    let inbox: InboxPage =
        json(get(&c, &relay.url("/v1/org/inbox"), Some(&relay.union.token)).await).await;
    assert!(inbox.entries[0].attachments[0].complete);

    // Another report's token cannot upload here; the NGO cannot download.
    let q = relay
        .prepare_submission(&SubmissionSpec {
            seed: 9,
            ..SubmissionSpec::default()
        })
        .unwrap();
    assert_eq!(
        post_json(&c, &relay.url("/v1/submissions"), &q.request, None)
            .await
            .status(),
        StatusCode::CREATED
    );
    expect_error(
        get(
            &c,
            &chunk_url(&relay, &id, &att, None),
            Some(&q.mailbox_token_text),
        )
        .await,
        StatusCode::NOT_FOUND,
        "unknown_submission",
    )
    .await;
    expect_error(
        get(&c, &org_url, Some(&relay.ngo.token)).await,
        StatusCode::NOT_FOUND,
        "unknown_report",
    )
    .await;
    relay.stop().await;
}

async fn attachment_with_wrong_digest_keeps_nothing(db: TestDatabase) {
    let relay = relay(db).await;
    let c = client();
    let mut p = relay
        .prepare_submission(&SubmissionSpec {
            attachments: vec![vec![7u8; 5000]],
            ..SubmissionSpec::default()
        })
        .unwrap();
    p.request.attachments[0].sha256 = sha256(&[b"something else"]);
    assert_eq!(
        post_json(&c, &relay.url("/v1/submissions"), &p.request, None)
            .await
            .status(),
        StatusCode::CREATED
    );
    let id = p.request.submission_id;
    let att = p.request.attachments[0].id;
    let sealed = &p.sealed_attachments[0];
    let half = sealed.len() / 2;
    let r = put_chunk(
        &c,
        &chunk_url(&relay, &id, &att, Some(0)),
        &p.mailbox_token_text,
        &sealed[..half],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    expect_error(
        put_chunk(
            &c,
            &chunk_url(&relay, &id, &att, Some(half as u64)),
            &p.mailbox_token_text,
            &sealed[half..],
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "attachment_digest_mismatch",
    )
    .await;
    assert_eq!(
        relay.storage.table_counts().await.unwrap()["attachment_chunks"],
        0
    );
    let progress: UploadProgress = json(
        get(
            &c,
            &chunk_url(&relay, &id, &att, None),
            Some(&p.mailbox_token_text),
        )
        .await,
    )
    .await;
    assert_eq!((progress.received, progress.complete), (0, false));
    // Past the declared size.
    let mut too_long = sealed.clone();
    too_long.push(0);
    expect_error(
        put_chunk(
            &c,
            &chunk_url(&relay, &id, &att, Some(0)),
            &p.mailbox_token_text,
            &too_long,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "attachment_size_exceeded",
    )
    .await;
    relay.stop().await;
}

fn union_only_rules(relay: &TestRelay) -> Vec<workvoice_proto::routing::RoutingRule> {
    relay
        .fixture
        .listing(1)
        .rules
        .into_iter()
        .filter(|r| r.id != "qa-construction")
        .collect()
}

async fn stale_directory_is_refused_with_the_current_version(db: TestDatabase) {
    let relay = relay(db).await;
    let c = client();
    // Routed and sealed against version 1 (union + inspectorate).
    let p = relay
        .prepare_submission(&SubmissionSpec::default())
        .unwrap();
    let unaffected = relay
        .prepare_submission(&SubmissionSpec {
            seed: 2,
            adjust_report: Some(not_construction),
            ..SubmissionSpec::default()
        })
        .unwrap();
    workvoice_relay::admin::set_rules(&relay.storage, union_only_rules(&relay))
        .await
        .unwrap();
    let relay_key =
        workvoice_relay::domain::keyfile::read(&relay.settings.relay_key_path()).unwrap();
    let v2 = workvoice_relay::admin::publish_directory(
        &relay.storage,
        &relay_key,
        workvoice_relay::admin::PublishOptions {
            now: unix_now(),
            // Beyond the republish margin, so the relay's maintenance pass (its first runs at
            // start, whenever the runtime gets to it) never publishes a version 3 under us.
            ttl_secs: 30 * 24 * 3600,
            pow_difficulty: 4,
        },
    )
    .await
    .unwrap();
    assert_eq!(v2.version, 2);
    let before = relay.storage.content_digest().await.unwrap();
    let e = expect_error(
        post_json(&c, &relay.url("/v1/submissions"), &p.request, None).await,
        StatusCode::CONFLICT,
        "stale_directory",
    )
    .await;
    assert_eq!(e.directory_version, Some(2));
    assert_eq!(relay.storage.content_digest().await.unwrap(), before);
    // Routed with version 1 but still matching version 2's route: accepted.
    let r = post_json(&c, &relay.url("/v1/submissions"), &unaffected.request, None).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let accepted: SubmissionAccepted = json(r).await;
    assert_eq!(accepted.directory_version, 2);
    relay.stop().await;
}

/// PROTOCOL.md 11.3: once the root revoked the inspectorate's key, a report routed to the union
/// and the inspectorate may go to the union alone; while the key was trusted it could not.
async fn a_recipient_whose_key_was_revoked_may_be_left_out(db: TestDatabase) {
    let relay = relay(db).await;
    let c = client();
    let union_only = |seed| SubmissionSpec {
        seed,
        recipients: Some(vec![relay.union.id]),
        ..SubmissionSpec::default()
    };
    let early = relay.prepare_submission(&union_only(1)).unwrap();
    expect_error(
        post_json(&c, &relay.url("/v1/submissions"), &early.request, None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "recipients_mismatch",
    )
    .await;

    let root = relay.settings.root_key().unwrap();
    let revocations = relay.fixture.revocations(vec![RevokedKey {
        org_id: relay.inspectorate.id,
        key_version: 1,
        hpke_public_key: relay.inspectorate.key.public_key(),
    }]);
    workvoice_relay::admin::set_revocations(&relay.storage, root.as_ref(), &revocations)
        .await
        .unwrap();
    let relay_key =
        workvoice_relay::domain::keyfile::read(&relay.settings.relay_key_path()).unwrap();
    let v2 = workvoice_relay::admin::publish_directory(
        &relay.storage,
        &relay_key,
        workvoice_relay::admin::PublishOptions {
            now: unix_now(),
            // Longer than the republish margin, so `serve` keeps this version.
            ttl_secs: relay.settings.directory_ttl_secs,
            pow_difficulty: 4,
        },
    )
    .await
    .unwrap();
    let p = prepare_submission(&relay.fixture, &v2, &union_only(2)).unwrap();
    let r = post_json(&c, &relay.url("/v1/submissions"), &p.request, None).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let accepted: SubmissionAccepted = json(r).await;
    assert_eq!(accepted.recipients, vec![relay.union.id]);
    let union: InboxPage =
        json(get(&c, &relay.url("/v1/org/inbox"), Some(&relay.union.token)).await).await;
    assert_eq!(union.entries.len(), 1);
    let inspectorate: InboxPage = json(
        get(
            &c,
            &relay.url("/v1/org/inbox"),
            Some(&relay.inspectorate.token),
        )
        .await,
    )
    .await;
    assert!(inspectorate.entries.is_empty());

    // Consent still wins: the NGO, which the worker did not consent to, is never added.
    let widened = prepare_submission(
        &relay.fixture,
        &v2,
        &SubmissionSpec {
            seed: 3,
            recipients: Some(vec![relay.union.id, relay.ngo.id]),
            ..SubmissionSpec::default()
        },
    )
    .unwrap();
    expect_error(
        post_json(&c, &relay.url("/v1/submissions"), &widened.request, None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "consent_violated",
    )
    .await;
    relay.stop().await;
}

async fn retention_deletes_acknowledged_ciphertext_and_old_mailboxes(db: TestDatabase) {
    let relay = relay(db).await;
    let c = client();
    let p = relay
        .prepare_submission(&SubmissionSpec {
            attachments: vec![vec![1u8; 1000]],
            ..SubmissionSpec::default()
        })
        .unwrap();
    let keep = relay
        .prepare_submission(&SubmissionSpec {
            seed: 5,
            ..SubmissionSpec::default()
        })
        .unwrap();
    for s in [&p, &keep] {
        assert_eq!(
            post_json(&c, &relay.url("/v1/submissions"), &s.request, None)
                .await
                .status(),
            StatusCode::CREATED
        );
    }
    let id = p.request.submission_id;
    let att = p.request.attachments[0].id;
    let r = put_chunk(
        &c,
        &chunk_url(&relay, &id, &att, Some(0)),
        &p.mailbox_token_text,
        &p.sealed_attachments[0],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let grace = relay.settings.retention_grace_secs;
    let max_age = relay.settings.mailbox_max_age_secs;
    let retention = relay.settings.retention();
    // Only the union acknowledged: nothing goes.
    let ack = |org_token: String| {
        let c = c.clone();
        let url = relay.url(&format!("/v1/org/inbox/{id}/ack"));
        async move {
            c.post(url)
                .bearer_auth(org_token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(ack(relay.union.token.clone()).await, StatusCode::NO_CONTENT);
    let later = unix_now() + grace + 7200;
    assert_eq!(
        relay
            .storage
            .purge(later, &retention)
            .await
            .unwrap()
            .reports,
        0
    );
    assert_eq!(
        ack(relay.inspectorate.token.clone()).await,
        StatusCode::NO_CONTENT
    );
    // Within the grace period: kept.
    assert_eq!(
        relay
            .storage
            .purge(unix_now(), &retention)
            .await
            .unwrap()
            .reports,
        0
    );
    let counts = relay.storage.purge(later, &retention).await.unwrap();
    assert_eq!(counts.reports, 1);
    assert_eq!(counts.mailboxes, 0);
    let t = relay.storage.table_counts().await.unwrap();
    assert_eq!((t["attachments"], t["attachment_chunks"]), (0, 0));
    assert_eq!(
        t["inbox"], 2,
        "the unacknowledged report stays in both inboxes"
    );
    let union: InboxPage =
        json(get(&c, &relay.url("/v1/org/inbox"), Some(&relay.union.token)).await).await;
    assert_eq!(
        union
            .entries
            .iter()
            .map(|e| e.report_id)
            .collect::<Vec<_>>(),
        vec![keep.request.submission_id]
    );
    // A late retry of the purged submission is still answered as before.
    assert_eq!(
        post_json(&c, &relay.url("/v1/submissions"), &p.request, None)
            .await
            .status(),
        StatusCode::OK
    );
    // Mailboxes expire by age.
    let mailbox_url = relay.url(&format!("/v1/mailbox/{}", keep.mailbox_token_text));
    assert_eq!(get(&c, &mailbox_url, None).await.status(), StatusCode::OK);
    let counts = relay
        .storage
        .purge(unix_now() + max_age + 7200, &retention)
        .await
        .unwrap();
    assert_eq!(counts.mailboxes, 2);
    expect_error(
        get(&c, &mailbox_url, None).await,
        StatusCode::NOT_FOUND,
        "unknown_mailbox",
    )
    .await;
    assert_eq!(
        relay.storage.table_counts().await.unwrap()["mailbox_entries"],
        0
    );
    relay.stop().await;
}

async fn operations_endpoints_answer(db: TestDatabase) {
    let relay = relay(db).await;
    let c = client();
    assert_eq!(
        get(&c, &relay.url("/healthz"), None).await.status(),
        StatusCode::OK
    );
    let ready: serde_json::Value = json(get(&c, &relay.url("/readyz"), None).await).await;
    assert_eq!(ready["directory_version"], 1);
    let p = relay
        .prepare_submission(&SubmissionSpec::default())
        .unwrap();
    assert_eq!(
        post_json(&c, &relay.url("/v1/submissions"), &p.request, None)
            .await
            .status(),
        StatusCode::CREATED
    );
    let mut bad = relay
        .prepare_submission(&SubmissionSpec {
            seed: 3,
            ..SubmissionSpec::default()
        })
        .unwrap();
    bad.request.pow_nonce = (0..)
        .find(|n| workvoice_proto::pow::verify_pow(&bad.request.submission_id, *n, 4).is_err())
        .unwrap();
    assert_eq!(
        post_json(&c, &relay.url("/v1/submissions"), &bad.request, None)
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let _ = get(
        &c,
        &relay.url(&format!("/v1/mailbox/{}", p.mailbox_token_text)),
        None,
    )
    .await;
    // Metrics are only on the operator's loopback listener (tests/metrics.rs).
    expect_error(
        get(&c, &relay.url("/metrics"), None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let served: serde_json::Value = json(get(&c, &relay.url("/openapi.json"), None).await).await;
    let committed: serde_json::Value = serde_json::from_str(
        // At run time (cargo sets it for tests), not the path of the checkout that built this.
        &std::fs::read_to_string(
            std::env::var_os("CARGO_MANIFEST_DIR")
                .map_or_else(
                    || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")),
                    std::path::PathBuf::from,
                )
                .join("../proto/openapi.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        served, committed,
        "proto/openapi.json differs: run `cargo run -p workvoice-relay -- openapi > proto/openapi.json`"
    );
    relay.stop().await;
}

#[test]
fn every_route_is_in_the_openapi_document() {
    let doc = workvoice_relay::openapi::document();
    for (method, path) in workvoice_relay::openapi::ROUTES {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is not documented"
        );
    }
    assert_eq!(
        doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|p| p.as_object().unwrap().len())
            .sum::<usize>(),
        workvoice_relay::openapi::ROUTES.len()
    );
}

#[allow(dead_code)]
fn consent_all() -> Consent {
    Consent {
        union: true,
        inspectorate: true,
        ngo: true,
        contact_wanted: false,
    }
}

/// A relay process asks the database for a newer directory at most once per
/// `directory_recheck_ms`; with 0 (the test relay's default) on every request.
#[tokio::test]
async fn directory_version_is_rechecked_per_interval() {
    let relay = TestRelay::spawn(workvoice_relay::testing::TestRelayOptions {
        adjust: Some(|s| s.directory_recheck_ms = 600_000),
        ..Default::default()
    })
    .await
    .unwrap();
    let c = client();
    let first = get(&c, &relay.url("/v1/directory"), None).await;
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let key = workvoice_relay::domain::keyfile::read(&relay.settings.relay_key_path()).unwrap();
    let options = workvoice_relay::admin::PublishOptions {
        now: unix_now(),
        ttl_secs: 30 * 24 * 3600,
        pow_difficulty: 4,
    };
    workvoice_relay::admin::publish_directory(&relay.storage, &key, options)
        .await
        .unwrap();
    let second = get(&c, &relay.url("/v1/directory"), None).await;
    assert_eq!(
        second.headers()["etag"].to_str().unwrap(),
        etag,
        "re-checked too early"
    );
    relay.stop().await;
}

/// Many submissions at once (they are grouped into shared transactions), among them a retry,
/// a different body under a taken id and an invalid one: each gets its own answer, and the
/// database holds each accepted report exactly once, in dense inbox order.
async fn concurrent_submissions_each_get_their_own_answer(db: TestDatabase) {
    let relay = relay(db).await;
    let c = client();
    let prepare = |seed| {
        relay
            .prepare_submission(&SubmissionSpec {
                seed,
                ..SubmissionSpec::default()
            })
            .unwrap()
            .request
    };
    let mut bodies: Vec<workvoice_proto::api::SubmissionRequest> = (0..16).map(prepare).collect();
    let retry = bodies[0].clone();
    // Same id as seed 1, sealed again: a different body.
    let other_body = prepare(1);
    assert_eq!(other_body.submission_id, bodies[1].submission_id);
    assert_ne!(other_body.envelope, bodies[1].envelope);
    // The envelope of another report under this id: refused by the checks.
    let mut invalid = prepare(100);
    invalid.envelope = bodies[2].envelope.clone();
    bodies.extend([retry, other_body, invalid]);

    let mut tasks = tokio::task::JoinSet::new();
    for (n, body) in bodies.iter().cloned().enumerate() {
        let (c, url) = (c.clone(), relay.url("/v1/submissions"));
        tasks.spawn(async move {
            let r = post_json(&c, &url, &body, None).await;
            (n, r.status(), r.text().await.unwrap())
        });
    }
    let mut answers = tasks.join_all().await;
    answers.sort_by_key(|(n, _, _)| *n);

    for (n, status, _) in &answers[2..16] {
        assert_eq!(*status, StatusCode::CREATED, "submission {n}");
    }
    // The retry: one 201 and one 200 with the same body.
    let mut retry = [answers[0].1, answers[16].1];
    retry.sort();
    assert_eq!(retry, [StatusCode::OK, StatusCode::CREATED]);
    assert_eq!(answers[0].2, answers[16].2);
    // The other body under seed 1's id: one accepted, the other refused as a conflict.
    let (first, second) = (&answers[1], &answers[17]);
    let refused = match (first.1, second.1) {
        (StatusCode::CREATED, StatusCode::CONFLICT) => second,
        (StatusCode::CONFLICT, StatusCode::CREATED) => first,
        other => panic!("two bodies under one id: {other:?}"),
    };
    let e: workvoice_proto::api::ApiError = serde_json::from_str(&refused.2).unwrap();
    assert_eq!(e.error, "submission_conflict");
    let e: workvoice_proto::api::ApiError = serde_json::from_str(&answers[18].2).unwrap();
    assert_eq!(answers[18].1, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e.error, "submission_id_mismatch");

    let counts = relay.storage.table_counts().await.unwrap();
    assert_eq!(counts["submissions"], 16);
    assert_eq!(counts["mailboxes"], 16);
    // Default consent: union and inspectorate.
    assert_eq!(counts["inbox"], 32);
    assert_eq!(counts["mailbox_entries"], 32);
    for org in [&relay.union, &relay.inspectorate] {
        let page: InboxPage =
            json(get(&c, &relay.url("/v1/org/inbox?limit=100"), Some(&org.token)).await).await;
        assert_eq!(
            page.entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
            (1..=16).collect::<Vec<_>>()
        );
        let mut ids: Vec<_> = page.entries.iter().map(|e| e.report_id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 16);
    }
}

async fn a_sealed_status_is_checked_stored_once_and_served_unchanged(db: TestDatabase) {
    let relay = relay(db).await;
    let c = client();
    let p = relay
        .prepare_submission(&SubmissionSpec::default())
        .unwrap();
    let r = post_json(&c, &relay.url("/v1/submissions"), &p.request, None).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = p.request.submission_id;
    let status_url = relay.url(&format!("/v1/org/reports/{id}/status"));
    let mailbox_url = relay.url(&format!("/v1/mailbox/{}", p.mailbox_token_text));
    let mut rng = workvoice_proto::vectors::DeterministicRng::new("sealed status");
    let seal = |report, org, key: &workvoice_proto::keys::HpkePrivateKey, rng: &mut _| {
        seal_status(
            &StatusBody {
                status: WorkerStatus::Resolved,
                set_at: 1_795_824_000,
            },
            report,
            org,
            key,
            &p.reply_key.public_key(),
            rng,
        )
        .unwrap()
    };
    let change = |sealed| StatusChange {
        status: WorkerStatus::Resolved,
        sealed: Some(sealed),
    };
    let entries_before = relay.storage.table_counts().await.unwrap()["mailbox_entries"];

    // What the relay can check without a key, each with its own code; nothing is stored.
    let mut garbage = seal(id, relay.union.id, &relay.union.key, &mut rng);
    garbage[0] = b'X';
    let other_report = seal(
        workvoice_proto::keys::ReportId([9; 16]),
        relay.union.id,
        &relay.union.key,
        &mut rng,
    );
    let other_org = seal(id, relay.inspectorate.id, &relay.union.key, &mut rng);
    let mut short = seal(id, relay.union.id, &relay.union.key, &mut rng);
    short.truncate(100);
    for (sealed, code) in [
        (garbage, "status_bad_magic"),
        (short, "status_length_mismatch"),
        (vec![0; 400], "status_too_large"),
        (other_report, "status_report_mismatch"),
        (other_org, "status_org_mismatch"),
    ] {
        expect_error(
            post_json(&c, &status_url, &change(sealed), Some(&relay.union.token)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
        )
        .await;
    }
    assert_eq!(
        relay.storage.table_counts().await.unwrap()["mailbox_entries"],
        entries_before
    );

    // A good one is stored once (a retry of the same bytes is 204 and adds nothing), and
    // served byte for byte; other bytes under its message id are a conflict.
    let sealed = seal(id, relay.union.id, &relay.union.key, &mut rng);
    for _ in 0..2 {
        let r = post_json(
            &c,
            &status_url,
            &change(sealed.clone()),
            Some(&relay.union.token),
        )
        .await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }
    let mut altered = sealed.clone();
    let last = altered.len() - 1;
    altered[last] ^= 1;
    expect_error(
        post_json(&c, &status_url, &change(altered), Some(&relay.union.token)).await,
        StatusCode::CONFLICT,
        "status_conflict",
    )
    .await;
    let page: MailboxPage = json(get(&c, &mailbox_url, None).await).await;
    let served: Vec<&Vec<u8>> = page
        .entries
        .iter()
        .filter_map(|e| match &e.item {
            MailboxItem::Status {
                sealed: Some(sealed),
                ..
            } => Some(sealed),
            _ => None,
        })
        .collect();
    assert_eq!(served, [&sealed]);
    let (_, body) = open_status(served[0], &p.reply_key, &relay.union.key.public_key()).unwrap();
    assert_eq!(body.status, WorkerStatus::Resolved);
    relay.stop().await;
}

async fn a_withdrawal_reaches_every_holder_once_and_bad_input_stores_nothing(db: TestDatabase) {
    let relay = relay(db).await;
    let c = client();
    let p = relay
        .prepare_submission(&SubmissionSpec::default())
        .unwrap();
    let id = p.request.submission_id;
    let url = relay.url(&format!("/v1/submissions/{id}/withdrawal"));
    let secret = "5a".repeat(32);
    let withdraw = |secret: &str| WithdrawalRequest {
        secret: secret.into(),
    };

    // Before the report exists, and with bad input: a specific error and nothing stored.
    expect_error(
        post_json(&c, &url, &withdraw(&secret), None).await,
        StatusCode::NOT_FOUND,
        "unknown_report",
    )
    .await;
    let r = post_json(&c, &relay.url("/v1/submissions"), &p.request, None).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    for bad in ["", "5a", &"zz".repeat(32), &"5a".repeat(33)] {
        expect_error(
            post_json(&c, &url, &withdraw(bad), None).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_withdrawal_secret",
        )
        .await;
    }
    let raw = c
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"secret\": 7}")
        .send()
        .await
        .unwrap();
    expect_error(raw, StatusCode::BAD_REQUEST, "malformed_json").await;
    expect_error(
        post_json(
            &c,
            &relay.url("/v1/submissions/not-hex/withdrawal"),
            &withdraw(&secret),
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_path",
    )
    .await;
    assert_eq!(
        relay.storage.table_counts().await.unwrap()["withdrawals"],
        0
    );

    // Stored once for each organisation holding the report (the union and the inspectorate,
    // not the NGO); the same secret again changes nothing.
    let r = post_json(&c, &url, &withdraw(&secret), None).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = post_json(&c, &url, &withdraw(&secret), None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        relay.storage.table_counts().await.unwrap()["withdrawals"],
        2
    );
    let pending = |token: String| {
        let c = c.clone();
        let url = relay.url("/v1/org/withdrawals");
        async move { json::<WithdrawalPage>(get(&c, &url, Some(&token)).await).await }
    };
    for org in [&relay.union, &relay.inspectorate] {
        let page = pending(org.token.clone()).await;
        assert_eq!(page.entries.len(), 1);
        assert_eq!(page.entries[0].report_id, id);
        assert_eq!(page.entries[0].secret, secret);
    }
    assert!(pending(relay.ngo.token.clone()).await.entries.is_empty());

    // Acknowledged: no longer pending for that organisation, idempotent, and 404 for an
    // organisation without it.
    let ack = relay.url(&format!("/v1/org/withdrawals/{id}/ack"));
    for _ in 0..2 {
        let r = c
            .post(&ack)
            .bearer_auth(&relay.union.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }
    assert!(pending(relay.union.token.clone()).await.entries.is_empty());
    assert_eq!(
        pending(relay.inspectorate.token.clone())
            .await
            .entries
            .len(),
        1
    );
    let r = c
        .post(&ack)
        .bearer_auth(&relay.ngo.token)
        .send()
        .await
        .unwrap();
    expect_error(r, StatusCode::NOT_FOUND, "unknown_report").await;

    // At most four distinct secrets per report, so a wrong one posted first cannot lock the
    // worker out, and a flood cannot grow without bound.
    for n in 1..4 {
        let r = post_json(&c, &url, &withdraw(&format!("{n:02x}").repeat(32)), None).await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    expect_error(
        post_json(&c, &url, &withdraw(&"ee".repeat(32)), None).await,
        StatusCode::CONFLICT,
        "too_many_withdrawals",
    )
    .await;
    assert_eq!(
        relay.storage.table_counts().await.unwrap()["withdrawals"],
        8
    );
    relay.stop().await;
}
