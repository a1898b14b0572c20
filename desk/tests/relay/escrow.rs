//! Reporting escrow at the desk (`PROTOCOL.md` 18), against a real relay: phones escrow
//! reports through the relay's OPRF step and the desk's, the relay releases a group at the
//! threshold, the desk opens it as linked cases and acknowledges it; groups below the
//! threshold stay sealed and show only in the dashboard's total.

use workvoice_desk::SyncOptions;
use workvoice_proto::api::{
    ChainedOprfQueued, ChainedOprfRequest, ChainedOprfState, ChainedOprfStatus, EscrowAccepted,
    EscrowGroupPage, EscrowPendingTotal, EscrowState, EscrowSubmissionRequest, MailboxItem,
    MailboxPage, MailboxStatus, WorkerStatus,
};
use workvoice_proto::envelope;
use workvoice_proto::escrow::{
    EscrowParams, EscrowSecrets, EscrowedReport, OprfRequest, ParsedEscrow, canonical_recruiter,
    oprf_pow_id, seal_escrow,
};
use workvoice_proto::keys::{HpkePrivateKey, ReportId, sha256};
use workvoice_proto::pow::solve_pow;
use workvoice_proto::recovery::{mailbox_token_hash, mailbox_token_text};
use workvoice_proto::reply::open_reply;
use workvoice_proto::report::NamedParty;
use workvoice_proto::routing::disclosure_digest;
use workvoice_proto::status::open_status;
use workvoice_proto::system_rng::SystemRng;

use workvoice_relay::storage::{EscrowOutcome, NewEscrow};

use crate::common::logged_in;
use crate::world::{Proxy, World};

const X: &str = "Himal Overseas Pvt. Ltd.";
const Y: &str = "Gulf Star Manpower";

/// One phone: its device secret (one source per recruiter) and withdrawal secret.
struct Phone {
    device: [u8; 32],
    withdrawal: [u8; 32],
}

fn phone(i: u8) -> Phone {
    Phone {
        device: [i + 1; 32],
        withdrawal: [i + 101; 32],
    }
}

/// A phone escrows a report about `recruiter` whose free text is `text`, for `threshold`
/// reports: the chained OPRF through the relay (the relay's step queued for the desk's), the
/// report sealed to the union as an ordinary envelope, then escrowed. Returns the report id and the relay's answer.
async fn escrow(
    world: &World,
    phone: &Phone,
    recruiter: &str,
    text: &str,
    threshold: u8,
) -> (ReportId, EscrowState) {
    let (report_id, body) = seal(world, phone, recruiter, text, threshold).await;
    let response = world
        .http
        .post(world.relay.url("/v1/escrow"))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&body).unwrap())
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{}",
        response.text().await.unwrap()
    );
    let accepted: EscrowAccepted =
        serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    (report_id, accepted.state)
}

/// The mailbox token and reply key of the escrowed report whose free text is `text`, as its
/// phone keeps them.
fn channel_of(text: &str) -> ([u8; 32], HpkePrivateKey) {
    let token = sha256(&[b"test mailbox token\0", text.as_bytes()]).0;
    let reply = HpkePrivateKey::from_bytes(sha256(&[b"test reply key\0", text.as_bytes()]).0);
    (token, reply)
}

/// What [`escrow`] posts: the report id and the escrow submission.
async fn seal(
    world: &World,
    phone: &Phone,
    recruiter: &str,
    text: &str,
    threshold: u8,
) -> (ReportId, EscrowSubmissionRequest) {
    let id = ReportId::random(&mut SystemRng::new());
    let token = channel_of(text).0;
    seal_with(world, phone, recruiter, text, threshold, id, token).await
}

/// [`seal`] with a chosen report id and mailbox token.
async fn seal_with(
    world: &World,
    phone: &Phone,
    recruiter: &str,
    text: &str,
    threshold: u8,
    report_id: ReportId,
    mailbox_token: [u8; 32],
) -> (ReportId, EscrowSubmissionRequest) {
    let mut rng = SystemRng::new();
    let dir = world.directory().await;
    let difficulty = dir.listing.pow_difficulty;
    let canonical = canonical_recruiter(recruiter, None).unwrap();
    let request = OprfRequest::blind(&canonical, &mut rng).unwrap();
    let blinded = request.blinded_element().to_vec();
    let union = world.relay.fixture.union_id;
    let (epoch, org_step) = chained_oprf(world, &blinded, difficulty).await;
    let org_step = org_step.expect("the desk answers within its budget");
    let output = request.finalize(&org_step).unwrap();

    let mut report =
        workvoice_desk::samples::sample_report(0, report_id, channel_of(text).1.public_key());
    report.recruiter = Some(NamedParty {
        name: recruiter.into(),
        licence_number: None,
        country: None,
    });
    report.free_text = text.into();
    let (tags, consent) = (report.routing_tags(), report.consent);
    let sealed = envelope::seal(
        &report.encode(),
        report.report_id,
        &[(union, dir.certified_key(&union).unwrap())],
        &disclosure_digest(&tags, &consent),
        &mut rng,
    )
    .unwrap();
    let escrowed = EscrowedReport {
        tags,
        consent,
        mailbox_token_hash: mailbox_token_hash(&mailbox_token),
        envelope: sealed,
    };
    let submission = seal_escrow(
        &output,
        &EscrowParams {
            org: union,
            epoch,
            threshold,
        },
        &dir.certified_key(&union).unwrap(),
        &escrowed.to_bytes(),
        EscrowSecrets {
            device_secret: &phone.device,
            withdrawal_secret: &phone.withdrawal,
        },
        &mut rng,
    )
    .unwrap();
    let escrow_id = ParsedEscrow::parse(&submission).unwrap().header.escrow_id;
    let body = EscrowSubmissionRequest {
        escrow: submission,
        pow_nonce: solve_pow(&ReportId(escrow_id), difficulty).unwrap(),
    };
    (report.report_id, body)
}

/// The chained OPRF through the relay (`PROTOCOL.md` 18.3): the phone's request is queued for
/// the union, the desk answers its queue, the phone polls. The epoch, and the organisation's
/// evaluation (`None`: refused).
async fn chained_oprf(world: &World, blinded: &[u8], difficulty: u8) -> (u32, Option<Vec<u8>>) {
    let queued = queue_oprf(world, blinded, difficulty).await;
    world.desk.answer_escrow_oprf().await.unwrap();
    poll_oprf(world, &queued).await
}

async fn queue_oprf(world: &World, blinded: &[u8], difficulty: u8) -> ChainedOprfQueued {
    let body = ChainedOprfRequest {
        organisation: world.relay.fixture.union_id.to_hex(),
        pow_nonce: solve_pow(&oprf_pow_id(blinded), difficulty).unwrap(),
        blinded: blinded.to_vec(),
    };
    let response = world
        .http
        .post(world.relay.url("/v1/escrow/oprf/org"))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&body).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 202);
    serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
}

async fn poll_oprf(world: &World, queued: &ChainedOprfQueued) -> (u32, Option<Vec<u8>>) {
    let bytes = world
        .http
        .get(
            world
                .relay
                .url(&format!("/v1/escrow/oprf/org/{}", queued.request)),
        )
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let state: ChainedOprfState = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(state.epoch, queued.epoch);
    match state.state {
        ChainedOprfStatus::Answered => (state.epoch, state.evaluated),
        ChainedOprfStatus::Refused => (state.epoch, None),
        ChainedOprfStatus::Queued => panic!("still queued after the desk answered"),
    }
}

/// The desk answers the requests queued for it while the epoch's budget lasts, refuses the
/// rest, and the budget spent holds across syncs; a budget out of range is refused.
#[tokio::test]
async fn the_desk_answers_queued_oprf_requests_within_its_budget() {
    let world = World::new().await;
    assert_eq!(world.desk.escrow_oprf_budget().await.unwrap(), 200);
    let e = world
        .desk
        .set_escrow_oprf_budget(100_001)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("100001"), "{e}");
    assert_eq!(world.desk.escrow_oprf_budget().await.unwrap(), 200);
    world.desk.set_escrow_oprf_budget(2).await.unwrap();

    let difficulty = world.directory().await.listing.pow_difficulty;
    let mut rng = SystemRng::new();
    let canonical = canonical_recruiter(X, None).unwrap();
    let requests: Vec<OprfRequest> = (0..3)
        .map(|_| OprfRequest::blind(&canonical, &mut rng).unwrap())
        .collect();
    let mut queued = Vec::new();
    for request in &requests {
        queued.push(queue_oprf(&world, request.blinded_element(), difficulty).await);
    }
    let report = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert_eq!(
        (report.escrow_oprf_answered, report.escrow_oprf_refused),
        (2, 1),
        "{report:?}"
    );
    // Which two were answered depends on the queue's order (by random request id).
    let (mut outputs, mut refusals) = (Vec::new(), 0);
    for (request, queued) in requests.iter().zip(&queued) {
        match poll_oprf(&world, queued).await.1 {
            Some(evaluated) => {
                outputs.push(*request.finalize(&evaluated).unwrap().as_bytes());
            }
            None => refusals += 1,
        }
    }
    assert_eq!((outputs.len(), refusals), (2, 1));
    assert_eq!(outputs[0], outputs[1], "two blinds of one recruiter agree");

    // The epoch's budget is spent: a later sync refuses a new request too.
    let late = queue_oprf(&world, requests[0].blinded_element(), difficulty).await;
    let report = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert_eq!(
        (report.escrow_oprf_answered, report.escrow_oprf_refused),
        (0, 1)
    );
    assert_eq!(poll_oprf(&world, &late).await.1, None);
    // Nothing queued: nothing to do.
    assert_eq!(world.desk.answer_escrow_oprf().await.unwrap(), (0, 0));
}

async fn relay_groups(world: &World) -> EscrowGroupPage {
    world
        .http
        .get(world.relay.url("/v1/org/escrow"))
        .bearer_auth(&world.relay.union.token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap()
}

async fn relay_pending(world: &World) -> u64 {
    let bytes = world
        .http
        .get(world.relay.url("/v1/org/escrow/pending"))
        .bearer_auth(&world.relay.union.token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let total: EscrowPendingTotal = serde_json::from_slice(&bytes).unwrap();
    total.total
}

/// Every byte of every file under the desk's data directory.
fn desk_files(world: &World) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(world.desk.data_dir()).unwrap() {
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

/// The decrypted plaintext of every case the desk holds.
async fn case_plaintexts(world: &World) -> Vec<Vec<u8>> {
    sqlx::query_scalar("SELECT plaintext FROM cases")
        .fetch_all(world.desk.store().pool())
        .await
        .unwrap()
}

async fn case_of(world: &World, id: &ReportId) -> i64 {
    world
        .desk
        .store()
        .case_id_by_report(&id.to_hex())
        .await
        .unwrap()
        .expect("the escrowed report is a case")
}

/// Three phones escrow about X and two about Y. X's three open at the desk as one linked group
/// with its count and distinct devices, and the relay is told; Y's two stay sealed (no case,
/// no trace of their text in the desk's files or its decrypted cases) and count only in the
/// dashboard's total. A fourth report about X joins the opened group; a third about Y opens Y.
#[tokio::test]
async fn three_reports_about_x_open_as_one_group_and_two_about_y_stay_sealed() {
    let world = World::new().await;
    let mut x = Vec::new();
    for i in 0..3 {
        let (id, state) = escrow(&world, &phone(i), X, &format!("X-REPORT-{i}"), 3).await;
        x.push(id);
        let expected = if i < 2 {
            EscrowState::Waiting
        } else {
            EscrowState::Released
        };
        assert_eq!(state, expected, "report {i} about X");
    }
    let mut y = Vec::new();
    for i in 3..5 {
        let (id, state) = escrow(&world, &phone(i), Y, &format!("Y-SECRET-TEXT-{i}"), 3).await;
        assert_eq!(state, EscrowState::Waiting);
        y.push(id);
    }

    let report = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert_eq!(report.escrow_groups, 1, "{report:?}");
    assert_eq!(report.escrow_opened, 3);
    assert_eq!(report.escrow_groups_refused, 0);
    assert_eq!(report.escrow_unopenable, 0);
    assert_eq!(report.escrow_groups_acknowledged, 1);
    assert_eq!(report.escrow_reply_channels, 3);
    assert_eq!(report.escrow_pending, Some(2));
    assert_eq!(world.desk.store().case_count().await.unwrap(), 3);

    // X's three are linked cases: each is one of three, from three devices.
    let ids: Vec<i64> = futures_util::future::join_all(x.iter().map(|r| case_of(&world, r))).await;
    for (n, id) in ids.iter().enumerate() {
        let case = world.desk.case(*id).await.unwrap();
        let opened = workvoice_desk::Desk::report_of(&case).unwrap();
        assert_eq!(opened.free_text, format!("X-REPORT-{n}"));
        let g = world.desk.escrow_placement(*id).await.unwrap().unwrap();
        assert_eq!((g.reports, g.sources, g.threshold), (3, 3, 3));
        let mut others: Vec<i64> = ids.iter().copied().filter(|o| o != id).collect();
        others.sort_unstable();
        assert_eq!(g.other_cases, others);
    }
    // Y's two did not open: no case, no text anywhere the desk writes.
    for id in &y {
        assert!(
            world
                .desk
                .store()
                .case_id_by_report(&id.to_hex())
                .await
                .unwrap()
                .is_none()
        );
    }
    assert!(!contains(&desk_files(&world), b"Y-SECRET-TEXT"));
    assert!(!contains(&desk_files(&world), Y.as_bytes()));
    for plaintext in case_plaintexts(&world).await {
        assert!(!contains(&plaintext, b"Y-SECRET-TEXT"));
        assert!(!contains(&plaintext, Y.as_bytes()));
    }

    // The relay was told: nothing released waits, Y's two are still counted.
    assert!(relay_groups(&world).await.groups.is_empty());
    assert_eq!(relay_pending(&world).await, 2);

    // The case page links the group; the dashboard shows only the total.
    let mut web = logged_in(&world.desk).await;
    let page = web.get(&format!("/cases/{}", ids[0])).await;
    assert!(
        page.body
            .contains("one of <strong>3 reports about the same recruiter</strong>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("3 distinct devices"));
    for other in &ids[1..] {
        assert!(page.body.contains(&format!("href=\"/cases/{other}\"")));
    }
    let dashboard = web.get("/dashboard").await;
    assert!(
        dashboard
            .body
            .contains("<strong>2 escrowed reports</strong>"),
        "{}",
        dashboard.body
    );
    assert!(!dashboard.body.contains(Y));

    // The relay registered each case's mailbox at the sync: a status and a reply go out; a
    // referral is refused with a specific error (the relay holds no consent for an escrowed
    // report) and nothing is recorded.
    world
        .desk
        .set_status(
            ids[0],
            workvoice_desk::cases::CaseStatus::Investigating,
            "amina",
        )
        .await
        .unwrap();
    let case = world.desk.case(ids[0]).await.unwrap();
    assert_eq!(
        case.summary.status,
        workvoice_desk::cases::CaseStatus::Investigating
    );
    world
        .desk
        .reply(ids[0], "We are looking into it.", "en", "amina")
        .await
        .unwrap();
    let events_before = world.desk.events(ids[0]).await.unwrap().len();
    let err = world
        .desk
        .refer(ids[0], world.relay.fixture.inspectorate_id, "amina")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "escrowed_no_reply_channel");
    assert_eq!(
        world.desk.events(ids[0]).await.unwrap().len(),
        events_before
    );

    // A fourth report about X is released at once and joins the opened group at the next
    // sync, its key recovered with the shares the desk kept.
    let (fourth, state) = escrow(&world, &phone(5), X, "X-REPORT-3", 3).await;
    assert_eq!(state, EscrowState::Released);
    // A third about Y releases Y, opened as a group of its own.
    let (third_y, state) = escrow(&world, &phone(6), Y, "Y-SECRET-TEXT-6", 3).await;
    assert_eq!(state, EscrowState::Released);
    let report = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert_eq!(report.escrow_groups, 2, "{report:?}");
    assert_eq!(report.escrow_opened, 4);
    assert_eq!(report.escrow_pending, Some(0));
    let fourth = case_of(&world, &fourth).await;
    let g = world.desk.escrow_placement(fourth).await.unwrap().unwrap();
    assert_eq!((g.reports, g.sources), (4, 4));
    assert_eq!(g.other_cases, {
        let mut v = ids.clone();
        v.sort_unstable();
        v
    });
    let third_y = case_of(&world, &third_y).await;
    let g = world.desk.escrow_placement(third_y).await.unwrap().unwrap();
    assert_eq!((g.reports, g.sources), (3, 3));
    assert!(relay_groups(&world).await.groups.is_empty());
}

/// A group escrowed with a threshold below the desk's own is refused whole: nothing stored,
/// nothing acknowledged (the relay still holds it).
#[tokio::test]
async fn a_group_with_a_threshold_below_the_desks_own_is_refused() {
    let world = World::new().await;
    // An honest relay refuses a `k` other than the union's (3 in the directory)…
    let (_, low) = seal(&world, &phone(9), X, "X-LOW-REFUSED", 2).await;
    let refused = world
        .http
        .post(world.relay.url("/v1/escrow"))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&low).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("escrow_threshold_mismatch")
    );
    // …so a relay that does not check stores them itself: two reports with k = 2, released.
    for i in 0..2 {
        let (_, body) = seal(&world, &phone(i), X, &format!("X-LOW-{i}"), 2).await;
        let header = ParsedEscrow::parse(&body.escrow).unwrap().header;
        let outcome = world
            .relay
            .storage
            .add_escrow(&NewEscrow::from_header(
                &header,
                body.escrow.clone(),
                [i; 32],
                0,
            ))
            .await
            .unwrap();
        assert_eq!(outcome, EscrowOutcome::Created { released: i == 1 });
    }
    let report = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert_eq!(report.escrow_groups_refused, 1, "{report:?}");
    assert_eq!(report.escrow_groups, 0);
    assert_eq!(report.escrow_groups_acknowledged, 0);
    assert_eq!(world.desk.store().case_count().await.unwrap(), 0);
    assert_eq!(relay_groups(&world).await.groups.len(), 1);
}

/// A relay older than escrow answers its routes `404 not_found`: the desk's sync still stores
/// and acknowledges the inbox, opens nothing and shows no total.
#[tokio::test]
async fn a_relay_without_escrow_routes_still_syncs_the_inbox() {
    let proxy = Proxy::start().await;
    let world = World::with_relay_url(Some(&proxy)).await;
    proxy
        .faults
        .no_escrow_routes
        .store(true, std::sync::atomic::Ordering::SeqCst);
    world.submit_sample(0).await;
    let report = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert_eq!((report.stored, report.acknowledged), (1, 1), "{report:?}");
    assert_eq!(report.escrow_pending, None);
    assert_eq!(world.desk.escrow_pending().await.unwrap(), None);
    let dashboard = logged_in(&world.desk).await.get("/dashboard").await;
    assert!(
        !dashboard.body.contains("escrow-pending"),
        "{}",
        dashboard.body
    );
}

/// The worker's mailbox of an escrowed report, read with its token.
async fn escrow_mailbox(world: &World, token: &[u8; 32]) -> MailboxPage {
    let url = world.relay.url(&format!(
        "/v1/mailbox/{}?after=0",
        mailbox_token_text(token)
    ));
    let bytes = world
        .http
        .get(url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// What the relay said to each stored member's registration, by escrow id order.
async fn reply_channels(world: &World) -> Vec<Option<String>> {
    sqlx::query_scalar("SELECT reply_channel FROM escrow_members ORDER BY escrow_id")
        .fetch_all(world.desk.store().pool())
        .await
        .unwrap()
}

/// Once a group is released, the desk registers each opened case's mailbox token hash at the
/// relay (`PROTOCOL.md` 18.8, 18.11): a status change and a reply of an escrowed case reach the
/// mailbox of the phone that escrowed it, which opens both with its reply key. A registration
/// the relay refuses (a mailbox token hash another report uses, a report id it knows) is kept
/// with its code and changes nothing at the relay: that case keeps its status at the desk and
/// its replies are refused, and the other report's mailbox gets nothing.
#[tokio::test]
async fn an_escrowed_case_is_answered_through_the_workers_mailbox() {
    let world = World::new().await;
    let mut x = Vec::new();
    for i in 0..3 {
        let (id, _) = escrow(&world, &phone(i), X, &format!("X-ANSWER-{i}"), 3).await;
        x.push(id);
    }
    let report = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert_eq!(
        (
            report.escrow_opened,
            report.escrow_reply_channels,
            report.escrow_reply_channels_refused
        ),
        (3, 3, 0),
        "{report:?}"
    );
    assert!(
        reply_channels(&world)
            .await
            .iter()
            .all(|c| c.as_deref() == Some("registered"))
    );

    let case = case_of(&world, &x[0]).await;
    world
        .desk
        .set_status(
            case,
            workvoice_desk::cases::CaseStatus::Investigating,
            "amina",
        )
        .await
        .unwrap();
    world
        .desk
        .reply(case, "Three of you named this recruiter.", "en", "amina")
        .await
        .unwrap();

    // The phone polls its mailbox with the token whose hash it escrowed.
    let (token, reply_key) = channel_of("X-ANSWER-0");
    let union_key = world.desk.keys()[0].public_key;
    let page = escrow_mailbox(&world, &token).await;
    assert_eq!(page.entries.len(), 2, "{page:?}");
    let MailboxItem::Status {
        status: MailboxStatus::InReview,
        sealed: Some(sealed),
    } = &page.entries[0].item
    else {
        panic!("not the sealed status: {:?}", page.entries[0]);
    };
    let (header, body) = open_status(sealed, &reply_key, &union_key).unwrap();
    assert_eq!(body.status, WorkerStatus::InReview);
    assert_eq!(
        (header.report_id, header.org_id),
        (x[0], world.relay.fixture.union_id)
    );
    let MailboxItem::Reply { sealed } = &page.entries[1].item else {
        panic!("not a reply: {:?}", page.entries[1]);
    };
    let (header, body) = open_reply(sealed, &reply_key, &union_key).unwrap();
    assert_eq!(body.text, "Three of you named this recruiter.");
    assert_eq!(header.report_id, x[0]);
    // The other cases' mailboxes got nothing.
    assert!(
        escrow_mailbox(&world, &channel_of("X-ANSWER-1").0)
            .await
            .entries
            .is_empty()
    );

    // Three reports about Y: one reuses X-ANSWER-0's mailbox token, one X-ANSWER-1's report
    // id (a report the relay knows), one is sound.
    let (reused_mailbox, body) = seal_with(
        &world,
        &phone(3),
        Y,
        "Y-REUSED-MAILBOX",
        3,
        ReportId::random(&mut SystemRng::new()),
        token,
    )
    .await;
    post_escrow(&world, &body).await;
    let (_, body) = seal_with(
        &world,
        &phone(4),
        Y,
        "Y-KNOWN-REPORT",
        3,
        x[1],
        channel_of("Y-KNOWN-REPORT").0,
    )
    .await;
    post_escrow(&world, &body).await;
    let (sound, _) = escrow(&world, &phone(5), Y, "Y-SOUND", 3).await;
    let before = world.relay.storage.table_counts().await.unwrap();
    let report = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert_eq!(
        (
            report.escrow_reply_channels,
            report.escrow_reply_channels_refused
        ),
        (1, 2),
        "{report:?}"
    );
    let after = world.relay.storage.table_counts().await.unwrap();
    // Only the sound report's mailbox and route were added.
    for table in ["mailboxes", "report_routes", "escrow_reports"] {
        assert_eq!(after[table], before[table] + 1, "{table}");
    }
    let mut codes: Vec<String> = reply_channels(&world).await.into_iter().flatten().collect();
    codes.sort();
    codes.dedup();
    assert_eq!(
        codes,
        ["escrow_report_known", "mailbox_in_use", "registered"]
    );

    // The case with the refused mailbox: its status stays here, a reply is refused, and the
    // mailbox it named (X-ANSWER-0's) gets nothing.
    let refused = case_of(&world, &reused_mailbox).await;
    world
        .desk
        .set_status(
            refused,
            workvoice_desk::cases::CaseStatus::Investigating,
            "amina",
        )
        .await
        .unwrap();
    let err = world
        .desk
        .reply(refused, "This must not go out.", "en", "amina")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "escrowed_no_reply_channel");
    assert_eq!(escrow_mailbox(&world, &token).await.entries.len(), 2);
    // The sound one is answered.
    let sound = case_of(&world, &sound).await;
    world
        .desk
        .reply(sound, "We have your report.", "en", "amina")
        .await
        .unwrap();
    let (sound_token, sound_key) = channel_of("Y-SOUND");
    let page = escrow_mailbox(&world, &sound_token).await;
    let MailboxItem::Reply { sealed } = &page.entries[0].item else {
        panic!("not a reply: {page:?}");
    };
    assert!(open_reply(sealed, &sound_key, &union_key).is_ok());
}

async fn post_escrow(world: &World, body: &EscrowSubmissionRequest) {
    let response = world
        .http
        .post(world.relay.url("/v1/escrow"))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).unwrap())
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
}
