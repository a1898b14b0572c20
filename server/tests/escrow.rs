//! Reporting escrow at the relay (`PROTOCOL.md` 18.3, 18.8): the relay's step of the chained
//! OPRF, its proof-of-work and its per-client budget (stores nothing: one backend); escrow
//! submissions counted by distinct source, released at the threshold, withdrawn before
//! release (both backends).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::escrow::{escrow, phones, request_for};
use common::*;
use reqwest::StatusCode;
use workvoice_proto::api::{
    ChainedOprfQueued, ChainedOprfRequest, ChainedOprfState, ChainedOprfStatus, EscrowAccepted,
    EscrowGroupPage, EscrowPendingTotal, EscrowReportRegistration, EscrowState,
    EscrowSubmissionRequest, MailboxItem, MailboxPage, MailboxStatus, OprfEvaluation,
    OprfEvaluationRequest, OrgOprfAnswer, OrgOprfAnswers, OrgOprfQueue, PostReply, StatusChange,
    WithdrawalRequest, WorkerStatus,
};
use workvoice_proto::codec::from_base64;
use workvoice_proto::escrow::{
    OprfKey, ParsedEscrow, canonical_recruiter, open_escrowed_report, open_share, oprf_pow_id,
    recover_group_key, relay_epoch_key,
};
use workvoice_proto::keys::{HpkePrivateKey, ReportId};
use workvoice_proto::pow::solve_pow;
use workvoice_proto::recovery::{mailbox_token_hash, mailbox_token_text};
use workvoice_proto::reply::{ReplyBody, open_reply, seal_reply};
use workvoice_proto::vectors::DeterministicRng;
use workvoice_relay::storage::{EscrowOutcome, NewEscrow};
use workvoice_relay::testing::{TestDatabase, TestRelay, TestRelayOptions};

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_evaluates_a_blinded_recruiter_under_its_epoch_key() {
    let relay = TestRelay::spawn(TestRelayOptions::default()).await.unwrap();
    let c = client();
    let mut rng = DeterministicRng::new("relay oprf");
    let recruiter = canonical_recruiter("Everest Manpower Pvt. Ltd.", None).unwrap();
    let org = OprfKey::derive(&[9; 32], b"organisation epoch").unwrap();

    let before = unix_now() / relay.settings.escrow_epoch_secs;
    let mut outputs = Vec::new();
    for _ in 0..2 {
        let (blind, body) = request_for(&relay, &recruiter, &mut rng);
        let r = post_json(&c, &relay.url("/v1/escrow/oprf"), &body, None).await;
        assert_eq!(r.status(), StatusCode::OK);
        let answer: OprfEvaluation = json(r).await;
        let after = unix_now() / relay.settings.escrow_epoch_secs;
        assert!((before..=after).contains(&u64::from(answer.epoch)));
        // Exactly the relay's key for that epoch, derived from its key file's seed.
        let expected = relay_epoch_key(relay.fixture.relay.seed(), answer.epoch)
            .unwrap()
            .evaluate_blinded(&body.blinded)
            .unwrap();
        assert_eq!(answer.evaluated, expected.to_vec());
        // The organisation's step, then the phone's finalize.
        let z = org.evaluate_blinded(&answer.evaluated).unwrap();
        outputs.push(*blind.finalize(&z).unwrap().as_bytes());
        // Without the organisation's step the output is another value.
        assert_ne!(
            blind.finalize(&answer.evaluated).unwrap().as_bytes(),
            outputs.last().unwrap()
        );
    }
    assert_eq!(outputs[0], outputs[1], "two blinds of one recruiter agree");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_asking_for_1000_licence_numbers_is_rate_limited() {
    let relay = TestRelay::spawn(TestRelayOptions {
        adjust: Some(|s| {
            s.oprf_client_burst = 10;
            s.oprf_client_per_hour = 1;
        }),
        ..TestRelayOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let mut rng = DeterministicRng::new("probe");
    let (mut answered, mut limited) = (0, 0);
    for i in 0..1000 {
        let recruiter = canonical_recruiter("", Some(&format!("NP-{i:04}"))).unwrap();
        let (_, body) = request_for(&relay, &recruiter, &mut rng);
        let r = post_json(&c, &relay.url("/v1/escrow/oprf"), &body, None).await;
        match r.status() {
            StatusCode::OK => answered += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(r.headers().contains_key("retry-after"));
                let e = expect_error(r, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
                assert!(e.message.contains("OPRF"), "{}", e.message);
                limited += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    // The burst, and at most one token refilled at one per hour while the loop ran.
    assert!((10..=11).contains(&answered), "answered {answered}");
    assert_eq!(answered + limited, 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_oprf_requests_get_specific_errors() {
    let relay = TestRelay::spawn(TestRelayOptions {
        pow_difficulty: 8,
        ..TestRelayOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let url = relay.url("/v1/escrow/oprf");

    let short = OprfEvaluationRequest {
        blinded: vec![1; 31],
        pow_nonce: 0,
    };
    expect_error(
        post_json(&c, &url, &short, None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "escrow_invalid_element",
    )
    .await;

    // 32 bytes that are no ristretto255 encoding, with a valid proof-of-work.
    let blinded = vec![0xff; 32];
    let pow_nonce = solve_pow(&oprf_pow_id(&blinded), 8).unwrap();
    let not_a_point = OprfEvaluationRequest { blinded, pow_nonce };
    expect_error(
        post_json(&c, &url, &not_a_point, None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "escrow_invalid_element",
    )
    .await;

    // A valid element without the work.
    let mut rng = DeterministicRng::new("bad oprf");
    let (_, mut body) = request_for(
        &relay,
        &canonical_recruiter("Himal Overseas", None).unwrap(),
        &mut rng,
    );
    body.pow_nonce = (0..u64::MAX)
        .find(|n| workvoice_proto::pow::verify_pow(&oprf_pow_id(&body.blinded), *n, 8).is_err())
        .unwrap();
    expect_error(
        post_json(&c, &url, &body, None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "pow_insufficient",
    )
    .await;

    let r = c
        .post(&url)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    expect_error(
        r,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let r = c
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"blinded\": 5}")
        .send()
        .await
        .unwrap();
    expect_error(r, StatusCode::BAD_REQUEST, "malformed_json").await;
}

async fn submit(
    relay: &TestRelay,
    c: &reqwest::Client,
    body: &EscrowSubmissionRequest,
) -> (StatusCode, EscrowState) {
    let r = post_json(c, &relay.url("/v1/escrow"), body, None).await;
    let status = r.status();
    assert!(status.is_success(), "{status}: {}", r.text().await.unwrap());
    let accepted: EscrowAccepted = json(r).await;
    (status, accepted.state)
}

async fn groups(relay: &TestRelay, c: &reqwest::Client) -> EscrowGroupPage {
    json(get(c, &relay.url("/v1/org/escrow"), Some(&relay.union.token)).await).await
}

async fn pending(relay: &TestRelay, c: &reqwest::Client) -> u64 {
    let t: EscrowPendingTotal = json(
        get(
            c,
            &relay.url("/v1/org/escrow/pending"),
            Some(&relay.union.token),
        )
        .await,
    )
    .await;
    t.total
}

/// Every file under the relay's data directory, concatenated.
fn data_files(relay: &TestRelay) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&relay.settings.data_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            out.extend(std::fs::read(path).unwrap());
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Three phones escrow about X and two about Y: X's three are released as one group that
/// opens at the organisation, Y's stay sealed and counted only in the total; a report the same
/// device files again about Y is refused; a third device about Y releases Y.
async fn groups_release_at_the_threshold_and_open(db: TestDatabase) {
    let is_sqlite = matches!(db, TestDatabase::Sqlite);
    let relay = TestRelay::spawn(TestRelayOptions {
        database: db,
        ..TestRelayOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let mut rng = DeterministicRng::new("escrow groups");
    let p = phones(4);
    let x = "Everest Manpower Pvt. Ltd.";
    let y = "Himal Overseas";

    let mut states = Vec::new();
    for (i, phone) in p.iter().take(3).enumerate() {
        let (_, body) = escrow(&relay, &c, phone, x, &format!("X report {i}"), &mut rng).await;
        states.push(submit(&relay, &c, &body).await);
        // A retry is answered alike, with 200.
        let again = submit(&relay, &c, &body).await;
        assert_eq!(again, (StatusCode::OK, states.last().unwrap().1));
    }
    assert_eq!(
        states,
        vec![
            (StatusCode::CREATED, EscrowState::Waiting),
            (StatusCode::CREATED, EscrowState::Waiting),
            (StatusCode::CREATED, EscrowState::Released),
        ]
    );
    for (i, phone) in p.iter().take(2).enumerate() {
        let (_, body) = escrow(
            &relay,
            &c,
            phone,
            y,
            &format!("Y-SECRET-TEXT {i}"),
            &mut rng,
        )
        .await;
        assert_eq!(submit(&relay, &c, &body).await.1, EscrowState::Waiting);
    }

    // The organisation sees X's group, with three sources, and Y only in the total.
    let page = groups(&relay, &c).await;
    assert_eq!(page.groups.len(), 1);
    assert_eq!(page.groups[0].sources, 3);
    assert_eq!(page.groups[0].escrows.len(), 3);
    assert_eq!(pending(&relay, &c).await, 2);
    let sealed: Vec<Vec<u8>> = page.groups[0]
        .escrows
        .iter()
        .map(|b| from_base64(b).unwrap())
        .collect();
    let shares: Vec<_> = sealed
        .iter()
        .map(|s| open_share(s, &relay.union.key).unwrap())
        .collect();
    let key = recover_group_key(&shares).unwrap();
    let mut texts: Vec<String> = sealed
        .iter()
        .map(|s| String::from_utf8(open_escrowed_report(s, &key).unwrap().to_vec()).unwrap())
        .collect();
    texts.sort();
    assert_eq!(texts, ["X report 0", "X report 1", "X report 2"]);

    // Y's text is nowhere in the relay's files (SQLite; PostgreSQL keeps none here).
    if is_sqlite {
        assert!(!contains(&data_files(&relay), b"Y-SECRET-TEXT"));
    }

    // The first device files about Y again: refused, not counted.
    let (_, again) = escrow(&relay, &c, &p[0], y, "Y-SECRET-TEXT again", &mut rng).await;
    expect_error(
        post_json(&c, &relay.url("/v1/escrow"), &again, None).await,
        StatusCode::CONFLICT,
        "escrow_duplicate_source",
    )
    .await;
    assert_eq!(groups(&relay, &c).await.groups.len(), 1);
    assert_eq!(pending(&relay, &c).await, 2);

    // A third device about Y releases Y's group.
    let (_, third) = escrow(&relay, &c, &p[3], y, "Y-SECRET-TEXT 3", &mut rng).await;
    assert_eq!(submit(&relay, &c, &third).await.1, EscrowState::Released);
    let page = groups(&relay, &c).await;
    assert_eq!(page.groups.len(), 2);
    assert_eq!(pending(&relay, &c).await, 0);

    // Acknowledging a group empties it from the page.
    let tag = page.groups[0].tag.clone();
    let r = c
        .post(relay.url(&format!("/v1/org/escrow/{tag}/ack")))
        .bearer_auth(&relay.union.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(groups(&relay, &c).await.groups.len(), 1);
    let r = c
        .post(relay.url(&format!("/v1/org/escrow/{}/ack", "ab".repeat(32))))
        .bearer_auth(&relay.union.token)
        .send()
        .await
        .unwrap();
    expect_error(r, StatusCode::NOT_FOUND, "unknown_escrow").await;
    relay.stop().await;
}

/// A worker withdraws an escrow submission before release: it no longer counts. After
/// release a withdrawal is refused with its reason; a wrong secret finds nothing.
async fn withdrawal_before_release(db: TestDatabase) {
    let relay = TestRelay::spawn(TestRelayOptions {
        database: db,
        ..TestRelayOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let mut rng = DeterministicRng::new("escrow withdrawal");
    let p = phones(4);
    let y = "Himal Overseas";
    let mut ids = Vec::new();
    for (i, phone) in p.iter().take(2).enumerate() {
        let (id, body) = escrow(&relay, &c, phone, y, &format!("Y {i}"), &mut rng).await;
        submit(&relay, &c, &body).await;
        ids.push(id);
    }
    let url = |id: &[u8]| relay.url(&format!("/v1/escrow/{}/withdrawal", hex::encode(id)));
    let wrong = WithdrawalRequest {
        secret: hex::encode([0xee; 32]),
    };
    expect_error(
        post_json(&c, &url(&ids[0]), &wrong, None).await,
        StatusCode::NOT_FOUND,
        "unknown_escrow",
    )
    .await;
    let right = WithdrawalRequest {
        secret: hex::encode(p[0].withdrawal),
    };
    let r = post_json(&c, &url(&ids[0]), &right, None).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(pending(&relay, &c).await, 1);

    // A third device now makes two sources, not three: nothing is released.
    let (_, third) = escrow(&relay, &c, &p[2], y, "Y 2", &mut rng).await;
    assert_eq!(submit(&relay, &c, &third).await.1, EscrowState::Waiting);
    let (_, fourth) = escrow(&relay, &c, &p[3], y, "Y 3", &mut rng).await;
    assert_eq!(submit(&relay, &c, &fourth).await.1, EscrowState::Released);
    let released = WithdrawalRequest {
        secret: hex::encode(p[1].withdrawal),
    };
    expect_error(
        post_json(&c, &url(&ids[1]), &released, None).await,
        StatusCode::CONFLICT,
        "escrow_released",
    )
    .await;
    relay.stop().await;
}

/// Bad escrow submissions get specific errors and store nothing.
async fn bad_escrow_submissions_are_refused(db: TestDatabase) {
    let relay = TestRelay::spawn(TestRelayOptions {
        database: db,
        ..TestRelayOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let mut rng = DeterministicRng::new("escrow bad");
    let p = phones(1);
    let (_, body) = escrow(&relay, &c, &p[0], "Himal Overseas", "Y", &mut rng).await;
    let url = relay.url("/v1/escrow");

    let mut truncated = body.clone();
    truncated.escrow.truncate(100);
    expect_error(
        post_json(&c, &url, &truncated, None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "escrow_truncated",
    )
    .await;
    let mut stale = body.clone();
    // The epoch field (bytes 37..41) two epochs back, with the work redone.
    let epoch = u32::from_be_bytes(stale.escrow[37..41].try_into().unwrap());
    stale.escrow[37..41].copy_from_slice(&(epoch - 2).to_be_bytes());
    expect_error(
        post_json(&c, &url, &stale, None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "escrow_stale_epoch",
    )
    .await;
    let mut stranger = body.clone();
    stranger.escrow[5..21].copy_from_slice(&[0x77; 16]);
    expect_error(
        post_json(&c, &url, &stranger, None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_recipient",
    )
    .await;
    // `k` (byte 41) other than the union's (the directory's default, 3): still a well-formed
    // submission (its share is read for k = 2), refused by the organisation's threshold.
    let mut other_k = body.clone();
    other_k.escrow[41] = 2;
    assert!(ParsedEscrow::parse(&other_k.escrow).is_ok());
    let e = expect_error(
        post_json(&c, &url, &other_k, None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "escrow_threshold_mismatch",
    )
    .await;
    assert!(e.message.contains("says 3"), "{}", e.message);
    assert_eq!(pending(&relay, &c).await, 0);

    submit(&relay, &c, &body).await;
    // The same escrow id with other bytes.
    let mut other = body.clone();
    let last = other.escrow.len() - 1;
    other.escrow[last] ^= 1;
    expect_error(
        post_json(&c, &url, &other, None).await,
        StatusCode::CONFLICT,
        "escrow_conflict",
    )
    .await;
    assert_eq!(pending(&relay, &c).await, 1);
    relay.stop().await;
}

/// Retention: submissions of epochs that can no longer be joined go when never released or
/// acknowledged; a released group the organisation has not fetched stays.
async fn escrow_retention_keeps_live_and_unacknowledged_groups(db: TestDatabase) {
    let relay = TestRelay::spawn(TestRelayOptions {
        database: db,
        ..TestRelayOptions::default()
    })
    .await
    .unwrap();
    let storage = &relay.storage;
    let org = relay.union.id;
    // Epochs at and after the relay's current one: its own maintenance pass (one runs as it
    // starts, at any moment of this test) keeps the current and previous epochs, so it never
    // touches these rows; this test purges as the relay would five epochs from now.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let live = u32::try_from(now / relay.settings.escrow_epoch_secs.max(1)).unwrap_or(u32::MAX);
    let old = live;
    let later = live + 6;
    let mut next_id = 0u8;
    let mut add = |tag: u8, source: u8, epoch: u32| {
        next_id += 1;
        NewEscrow {
            escrow_id: [next_id; 16],
            org,
            tag: [tag; 32],
            epoch,
            threshold: 2,
            source: [source; 32],
            withdrawal_hash: [0; 32],
            request_hash: [next_id; 32],
            bytes: vec![next_id; 8],
            hour: 1,
        }
    };
    let rows = [
        add(1, 1, old), // old, never released: goes
        add(2, 1, old), // old, released and acknowledged: goes
        add(2, 2, old),
        add(3, 1, old), // old, released, not acknowledged: stays
        add(3, 2, old),
        add(4, 1, later), // live: stays
    ];
    for row in &rows {
        assert!(matches!(
            storage.add_escrow(row).await.unwrap(),
            EscrowOutcome::Created { .. }
        ));
    }
    assert!(
        storage
            .acknowledge_escrow_group(&org, &[2; 32])
            .await
            .unwrap()
    );
    assert_eq!(storage.purge_escrow(later - 1).await.unwrap(), 3);
    assert_eq!(storage.unreleased_escrow_total(&org).await.unwrap(), 1);
    let groups = storage.released_escrow_groups(&org).await.unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].tag, [3; 32]);
    assert_eq!((groups[0].sources, groups[0].escrows.len()), (2, 2));
    assert_eq!(storage.purge_escrow(later - 1).await.unwrap(), 0);
    relay.stop().await;
}

/// The organisation's step through the relay (18.3): the phone's request is evaluated by the
/// relay and queued for the organisation named, which alone sees it and answers it (or
/// refuses it); the phone polls the answer and finalizes to the same output as the two keys
/// give directly. Bad answers are refused whole, nothing stored; the queue goes with its
/// epoch.
async fn the_organisations_step_is_queued_answered_and_polled(db: TestDatabase) {
    let relay = TestRelay::spawn(TestRelayOptions {
        database: db,
        ..TestRelayOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let mut rng = DeterministicRng::new("chained oprf");
    let recruiter = canonical_recruiter("Everest Manpower Pvt. Ltd.", None).unwrap();
    let org_key = OprfKey::derive(&[9; 32], b"the union's escrow OPRF key").unwrap();
    let chained = |body: &OprfEvaluationRequest, org: String| ChainedOprfRequest {
        organisation: org,
        blinded: body.blinded.clone(),
        pow_nonce: body.pow_nonce,
    };
    let poll = |request: &str| relay.url(&format!("/v1/escrow/oprf/org/{request}"));
    let union_token = Some(relay.union.token.as_str());
    let inspectorate_token = Some(relay.inspectorate.token.as_str());
    let queue = |token: Option<&str>| {
        let c = c.clone();
        let url = relay.url("/v1/org/escrow/oprf");
        let token = token.map(str::to_string);
        async move { json::<OrgOprfQueue>(get(&c, &url, token.as_deref()).await).await }
    };
    let answers_url = relay.url("/v1/org/escrow/oprf/answers");

    // Refused before anything is stored: an organisation the directory does not list.
    let digest = relay.storage.content_digest().await.unwrap();
    let (_, body) = request_for(&relay, &recruiter, &mut rng);
    for org in ["00".repeat(16), "not an organisation".to_string()] {
        expect_error(
            post_json(
                &c,
                &relay.url("/v1/escrow/oprf/org"),
                &chained(&body, org),
                None,
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_recipient",
        )
        .await;
    }
    assert_eq!(relay.storage.content_digest().await.unwrap(), digest);

    // Queued: the phone learns an id and the epoch, not the relay's evaluation.
    let (blind, body) = request_for(&relay, &recruiter, &mut rng);
    let r = post_json(
        &c,
        &relay.url("/v1/escrow/oprf/org"),
        &chained(&body, relay.union.id.to_hex()),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let queued: ChainedOprfQueued = json(r).await;
    assert_eq!(queued.request.len(), 32);
    let state: ChainedOprfState = json(get(&c, &poll(&queued.request), None).await).await;
    assert_eq!(
        (state.state, state.epoch, state.evaluated),
        (ChainedOprfStatus::Queued, queued.epoch, None)
    );

    // Only the union sees it: the relay's evaluation under its epoch key.
    assert!(queue(inspectorate_token).await.requests.is_empty());
    let listed = queue(union_token).await.requests;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].request, queued.request);
    assert_eq!(listed[0].epoch, queued.epoch);
    let expected = relay_epoch_key(relay.fixture.relay.seed(), queued.epoch)
        .unwrap()
        .evaluate_blinded(&body.blinded)
        .unwrap();
    assert_eq!(listed[0].element, expected.to_vec());
    let z = org_key.evaluate_blinded(&listed[0].element).unwrap();

    // Another organisation's answer is ignored.
    let answer = |request: &str, evaluated: Option<Vec<u8>>| OrgOprfAnswer {
        request: request.to_string(),
        evaluated,
    };
    let post_answers = |token: Option<&str>, answers: Vec<OrgOprfAnswer>| {
        let c = c.clone();
        let url = answers_url.clone();
        let token = token.map(str::to_string);
        async move { post_json(&c, &url, &OrgOprfAnswers { answers }, token.as_deref()).await }
    };
    let r = post_answers(
        inspectorate_token,
        vec![answer(&queued.request, Some(z.to_vec()))],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let state: ChainedOprfState = json(get(&c, &poll(&queued.request), None).await).await;
    assert_eq!(state.state, ChainedOprfStatus::Queued);

    // Bad answers: refused whole, with a message naming the answer; nothing stored.
    let digest = relay.storage.content_digest().await.unwrap();
    let too_many: Vec<OrgOprfAnswer> = (0..501u32)
        .map(|n| answer(&format!("{n:032x}"), None))
        .collect();
    for (answers, says) in [
        (
            vec![
                answer(&"ab".repeat(16), None),
                answer(&queued.request, Some(vec![1; 31])),
            ],
            "answers[1].evaluated is 31 bytes",
        ),
        (vec![answer("xyz", Some(z.to_vec()))], "answers[0].request"),
        (
            vec![
                answer(&queued.request, Some(z.to_vec())),
                answer(&queued.request, None),
            ],
            "twice",
        ),
        (too_many, "501 answers"),
    ] {
        let e = expect_error(
            post_answers(union_token, answers).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_oprf_answer",
        )
        .await;
        assert!(e.message.contains(says), "{}", e.message);
        assert_eq!(relay.storage.content_digest().await.unwrap(), digest);
    }
    expect_error(
        post_answers(None, vec![answer(&queued.request, Some(z.to_vec()))]).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;

    // The union answers; the phone finalizes to what the two keys give directly.
    let r = post_answers(union_token, vec![answer(&queued.request, Some(z.to_vec()))]).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let state: ChainedOprfState = json(get(&c, &poll(&queued.request), None).await).await;
    assert_eq!(state.state, ChainedOprfStatus::Answered);
    let output = blind.finalize(state.evaluated.as_deref().unwrap()).unwrap();
    let (direct_blind, direct) = request_for(&relay, &recruiter, &mut rng);
    let direct_z1 = relay_epoch_key(relay.fixture.relay.seed(), queued.epoch)
        .unwrap()
        .evaluate_blinded(&direct.blinded)
        .unwrap();
    let direct_output = direct_blind
        .finalize(&org_key.evaluate_blinded(&direct_z1).unwrap())
        .unwrap();
    assert_eq!(output.as_bytes(), direct_output.as_bytes());
    assert!(queue(union_token).await.requests.is_empty());
    // A retried post, or a late refusal, changes nothing.
    let digest = relay.storage.content_digest().await.unwrap();
    let r = post_answers(union_token, vec![answer(&queued.request, None)]).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(relay.storage.content_digest().await.unwrap(), digest);

    // A refusal reaches the phone as such.
    let (_, body) = request_for(&relay, &recruiter, &mut rng);
    let refused: ChainedOprfQueued = json(
        post_json(
            &c,
            &relay.url("/v1/escrow/oprf/org"),
            &chained(&body, relay.union.id.to_hex()),
            None,
        )
        .await,
    )
    .await;
    let r = post_answers(union_token, vec![answer(&refused.request, None)]).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let state: ChainedOprfState = json(get(&c, &poll(&refused.request), None).await).await;
    assert_eq!(
        (state.state, state.evaluated),
        (ChainedOprfStatus::Refused, None)
    );

    // Unknown and malformed ids.
    for id in ["00".repeat(16), "nope".to_string()] {
        expect_error(
            get(&c, &poll(&id), None).await,
            StatusCode::NOT_FOUND,
            "unknown_oprf_request",
        )
        .await;
    }

    // Retention: gone with the epoch, answered or not.
    assert_eq!(
        relay.storage.table_counts().await.unwrap()["escrow_oprf_requests"],
        2
    );
    relay.storage.purge_escrow(queued.epoch + 2).await.unwrap();
    assert_eq!(
        relay.storage.table_counts().await.unwrap()["escrow_oprf_requests"],
        0
    );
    expect_error(
        get(&c, &poll(&queued.request), None).await,
        StatusCode::NOT_FOUND,
        "unknown_oprf_request",
    )
    .await;
    relay.stop().await;
}

/// A registration body for `POST /v1/org/escrow/reports`.
fn registration(escrow_id: &[u8], report: ReportId, token: &[u8; 32]) -> EscrowReportRegistration {
    EscrowReportRegistration {
        escrow_id: hex::encode(escrow_id),
        report_id: report,
        mailbox_token_hash: hex::encode(mailbox_token_hash(token).0),
    }
}

async fn register(
    relay: &TestRelay,
    c: &reqwest::Client,
    body: &EscrowReportRegistration,
    token: &str,
) -> reqwest::Response {
    post_json(c, &relay.url("/v1/org/escrow/reports"), body, Some(token)).await
}

/// What a registration may change, to show a refused one changed nothing.
async fn registration_tables(relay: &TestRelay) -> Vec<i64> {
    let counts = relay.storage.table_counts().await.unwrap();
    [
        "escrow_reports",
        "mailboxes",
        "report_routes",
        "mailbox_entries",
    ]
    .iter()
    .map(|t| counts[*t])
    .collect()
}

/// The organisation registers, for each report it opened from a released group, the report id
/// and the mailbox token hash the escrowed report carried (18.8): statuses and sealed replies
/// then reach the worker's mailbox as for a plain submission. Refused, changing nothing: bad
/// hex, an escrow id that is not the caller's released submission, a report id or mailbox the
/// relay knows, a second registration of one submission.
async fn released_escrowed_reports_get_a_reply_channel(db: TestDatabase) {
    let relay = TestRelay::spawn(TestRelayOptions {
        database: db,
        ..TestRelayOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let mut rng = DeterministicRng::new("escrow reply channel");
    let p = phones(4);
    let mut released = Vec::new();
    for (i, phone) in p.iter().take(3).enumerate() {
        let (id, body) = escrow(
            &relay,
            &c,
            phone,
            "Everest Manpower",
            &format!("X {i}"),
            &mut rng,
        )
        .await;
        submit(&relay, &c, &body).await;
        released.push(id);
    }
    let (waiting, body) = escrow(&relay, &c, &p[3], "Himal Overseas", "Y", &mut rng).await;
    assert_eq!(submit(&relay, &c, &body).await.1, EscrowState::Waiting);
    // A plain submission the relay knows.
    let plain = relay
        .prepare_submission(&workvoice_relay::testing::SubmissionSpec::default())
        .unwrap();
    let r = post_json(&c, &relay.url("/v1/submissions"), &plain.request, None).await;
    assert_eq!(r.status(), StatusCode::CREATED);

    let union = relay.union.token.clone();
    let report = ReportId([0x51; 16]);
    let token = [0x77; 32];
    let before = registration_tables(&relay).await;

    // Bad input, each with its code, nothing stored.
    let mut bad = registration(&released[0], report, &token);
    bad.escrow_id = "zz".repeat(16);
    let r = register(&relay, &c, &bad, &union).await;
    expect_error(
        r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_escrow_registration",
    )
    .await;
    let mut bad = registration(&released[0], report, &token);
    bad.mailbox_token_hash = "ab".repeat(31);
    let r = register(&relay, &c, &bad, &union).await;
    expect_error(
        r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_escrow_registration",
    )
    .await;
    for (escrow_id, org_token) in [
        (waiting.clone(), union.clone()),
        (vec![0xee; 16], union.clone()),
        (released[0].clone(), relay.inspectorate.token.clone()),
    ] {
        let r = register(
            &relay,
            &c,
            &registration(&escrow_id, report, &token),
            &org_token,
        )
        .await;
        expect_error(r, StatusCode::NOT_FOUND, "unknown_escrow").await;
    }
    let r = register(
        &relay,
        &c,
        &registration(&released[0], plain.request.submission_id, &token),
        &union,
    )
    .await;
    expect_error(r, StatusCode::CONFLICT, "escrow_report_known").await;
    let r = register(
        &relay,
        &c,
        &registration(&released[0], report, &plain.mailbox_token),
        &union,
    )
    .await;
    expect_error(r, StatusCode::CONFLICT, "mailbox_in_use").await;
    let r = c
        .post(relay.url("/v1/org/escrow/reports"))
        .bearer_auth(&union)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    expect_error(r, StatusCode::BAD_REQUEST, "malformed_json").await;
    assert_eq!(registration_tables(&relay).await, before);

    // Before registration the relay knows no such report.
    let status_url = relay.url(&format!("/v1/org/reports/{report}/status"));
    let in_review = StatusChange {
        status: WorkerStatus::InReview,
        sealed: None,
    };
    let r = post_json(&c, &status_url, &in_review, Some(&union)).await;
    expect_error(r, StatusCode::NOT_FOUND, "unknown_report").await;

    // Registered once; the same again is 200; other values for it, or its report id from
    // another submission, are refused.
    let body = registration(&released[0], report, &token);
    assert_eq!(
        register(&relay, &c, &body, &union).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        register(&relay, &c, &body, &union).await.status(),
        StatusCode::OK
    );
    let after = registration_tables(&relay).await;
    let r = register(
        &relay,
        &c,
        &registration(&released[0], ReportId([0x52; 16]), &token),
        &union,
    )
    .await;
    expect_error(r, StatusCode::CONFLICT, "escrow_already_registered").await;
    let r = register(
        &relay,
        &c,
        &registration(&released[1], report, &[0x78; 32]),
        &union,
    )
    .await;
    expect_error(r, StatusCode::CONFLICT, "escrow_report_known").await;
    let r = register(
        &relay,
        &c,
        &registration(&released[1], ReportId([0x53; 16]), &token),
        &union,
    )
    .await;
    expect_error(r, StatusCode::CONFLICT, "mailbox_in_use").await;
    assert_eq!(registration_tables(&relay).await, after);

    // A status and a sealed reply reach the worker's mailbox; another organisation cannot.
    let r = post_json(&c, &status_url, &in_review, Some(&union)).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = post_json(&c, &status_url, &in_review, Some(&relay.inspectorate.token)).await;
    expect_error(r, StatusCode::NOT_FOUND, "unknown_report").await;
    let reply_key = HpkePrivateKey::generate(&mut rng);
    let sealed = seal_reply(
        &ReplyBody {
            text: "Three of you named this recruiter; we are on it.".into(),
            language: "en".into(),
            written_on: None,
        },
        report,
        relay.union.id,
        &relay.union.key,
        &reply_key.public_key(),
        &mut rng,
    )
    .unwrap();
    let replies = relay.url(&format!("/v1/org/reports/{report}/replies"));
    let r = post_json(&c, &replies, &PostReply { sealed }, Some(&union)).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let mailbox = relay.url(&format!("/v1/mailbox/{}", mailbox_token_text(&token)));
    let page: MailboxPage = json(get(&c, &mailbox, None).await).await;
    assert_eq!(page.entries.len(), 2);
    assert!(page.entries.iter().all(|e| e.org_id == relay.union.id));
    assert!(matches!(
        page.entries[0].item,
        MailboxItem::Status {
            status: MailboxStatus::InReview,
            ..
        }
    ));
    let MailboxItem::Reply { sealed } = &page.entries[1].item else {
        panic!("not a reply: {:?}", page.entries[1]);
    };
    let (_, opened) = open_reply(sealed, &reply_key, &relay.union.key.public_key()).unwrap();
    assert!(opened.text.starts_with("Three of you"));
    // The worker's withdrawal of the report itself (13.5) reaches the organisation.
    let r = post_json(
        &c,
        &relay.url(&format!("/v1/submissions/{report}/withdrawal")),
        &WithdrawalRequest {
            secret: "5a".repeat(32),
        },
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let withdrawals: serde_json::Value =
        json(get(&c, &relay.url("/v1/org/withdrawals"), Some(&union)).await).await;
    assert_eq!(withdrawals["entries"][0]["report_id"], report.to_hex());

    // Registration still works once the group is acknowledged (its rows stay).
    let tag = groups(&relay, &c).await.groups[0].tag.clone();
    let r = c
        .post(relay.url(&format!("/v1/org/escrow/{tag}/ack")))
        .bearer_auth(&union)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let body = registration(&released[1], ReportId([0x54; 16]), &[0x79; 32]);
    assert_eq!(
        register(&relay, &c, &body, &union).await.status(),
        StatusCode::CREATED
    );
    relay.stop().await;
}

on_both_backends!(
    released_escrowed_reports_get_a_reply_channel,
    the_organisations_step_is_queued_answered_and_polled,
    groups_release_at_the_threshold_and_open,
    withdrawal_before_release,
    bad_escrow_submissions_are_refused,
    escrow_retention_keeps_live_and_unacknowledged_groups,
);
