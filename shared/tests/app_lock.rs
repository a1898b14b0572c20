//! The app locks itself (background, idle time) and delivery goes on while it is locked: the
//! courier sends sealed submissions and polls mailboxes without the PIN; replies wait sealed
//! until the worker unlocks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{DURESS, PIN, Phone, config};
use workvoice_core::app::records::{
    ATTACHMENT_CHUNK_BYTES, CourierEntry, NS_COURIER, NS_COURIER_EVIDENCE, NS_OUTBOX, OutboxRecord,
};
use workvoice_core::app::*;
use workvoice_proto::api::{MailboxEntry, MailboxItem, MailboxPage, MailboxStatus, UploadProgress};
use workvoice_proto::attachment::open_attachment;
use workvoice_proto::recovery::{RecoveryCode, mailbox_token_text};
use workvoice_proto::reply::{ReplyBody, seal_reply};
use workvoice_proto::vectors::{DeterministicRng, Fixture};

/// What the report composed by `Phone::compose_report` says, and what must never show on a
/// locked phone.
const REPORT_TEXT: [&str; 5] = [
    "Sagarmatha",
    "1234/067",
    "They kept my passport",
    "150000",
    "1,500",
];
const REPLY_TEXT: &str = "We have your report, call us at 5551234.";

fn locked(phone: &Phone) -> bool {
    matches!(phone.screen(), Screen::Unlock { .. })
}

/// The whole view model, as text, holds none of `secrets`.
fn assert_view_reveals_none(phone: &Phone, secrets: &[&str]) {
    let shown = format!("{:?}", phone.view());
    for secret in secrets {
        assert!(
            !shown.contains(secret),
            "the view shows {secret:?}: {shown}"
        );
    }
}

/// Every value in the courier store, as text.
fn courier_text(phone: &mut Phone) -> String {
    let entries = phone
        .courier()
        .expect("the courier store is open")
        .list(NS_COURIER)
        .unwrap();
    entries
        .iter()
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

fn courier_entries(phone: &mut Phone) -> Vec<CourierEntry> {
    phone
        .courier()
        .expect("the courier store is open")
        .list(NS_COURIER)
        .unwrap()
        .iter()
        .map(|(_, v)| serde_json::from_slice(v).unwrap())
        .collect()
}

#[test]
fn going_to_the_background_locks_at_once_and_the_view_holds_nothing_of_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let served = fixture.publish(&fixture.listing(5));
    let mut phone = Phone::start(dir.path(), config(&fixture));
    let code = phone.onboard();
    phone.queue_report((true, false, false), &served);
    phone.serve_directory(&served);
    let (request, body) = phone.take_submission();
    phone.accept(request, &body, 201);
    // A second report, half written, on screen.
    phone.compose_report((true, false, false));
    phone.send(Event::GoToStep { step: Step::People });
    let shown = format!("{:?}", phone.view());
    assert!(
        shown.contains("Sagarmatha"),
        "the report is on screen: {shown}"
    );

    phone.send(Event::Background);
    assert!(locked(&phone), "{:?}", phone.screen());
    assert!(phone.vault().is_none(), "the vault is closed");
    let mut secrets = REPORT_TEXT.to_vec();
    secrets.push(&code);
    assert_view_reveals_none(&phone, &secrets);
    // Nothing opens without the PIN.
    for event in [
        Event::OpenOutbox,
        Event::NewReport,
        Event::OpenSettings,
        Event::GoHome,
    ] {
        phone.send(event);
        assert!(locked(&phone));
    }
    assert_view_reveals_none(&phone, &secrets);
    phone.send(Event::Unlock { pin: PIN.into() });
    assert!(matches!(
        phone.screen(),
        Screen::Home {
            has_draft: true,
            ..
        }
    ));
}

#[test]
fn idle_past_the_limit_locks_and_a_tap_starts_the_clock_again() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    // Two minutes by default, counted from the last tap, at the host's time.
    phone.now_ms += 100_000;
    phone.send(Event::OpenOutbox);
    assert_eq!(
        phone.view().wake_in_ms,
        Some(120_000),
        "the shell ticks then"
    );
    phone.tick_after(119_999);
    assert!(!locked(&phone), "one millisecond short of the limit");
    phone.send(Event::GoHome);
    phone.tick_after(119_999);
    assert!(!locked(&phone), "the tap started the clock again");
    phone.tick_after(1);
    assert!(locked(&phone), "idle for two minutes: locked");
    assert!(phone.vault().is_none());

    // Typing in a field (which sends no step event yet) counts as activity too.
    phone.send(Event::Unlock { pin: PIN.into() });
    phone.compose_report((true, false, false));
    phone.now_ms += 100_000;
    phone.send(Event::Typing);
    phone.tick_after(100_000);
    assert!(!locked(&phone), "typing started the clock again");
    phone.tick_after(20_000);
    assert!(locked(&phone));

    // The worker chooses 30 seconds; a choice the settings do not offer is ignored.
    phone.send(Event::Unlock { pin: PIN.into() });
    phone.send(Event::OpenSettings);
    let selected = |phone: &Phone| match phone.screen() {
        Screen::Settings { auto_lock, .. } => auto_lock
            .into_iter()
            .filter(|c| c.selected)
            .map(|c| (c.code, c.label))
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(selected(&phone), [("120".into(), "2 minutes".into())]);
    phone.send(Event::SetAutoLock { seconds: 0 });
    assert_eq!(selected(&phone), [("120".into(), "2 minutes".into())]);
    phone.send(Event::SetAutoLock { seconds: 30 });
    assert_eq!(selected(&phone), [("30".into(), "30 seconds".into())]);
    phone.tick_after(29_999);
    assert!(!locked(&phone));
    phone.tick_after(1);
    assert!(locked(&phone), "idle for 30 seconds: locked");
    // The choice is kept in the vault.
    phone.send(Event::Unlock { pin: PIN.into() });
    phone.send(Event::OpenSettings);
    assert_eq!(selected(&phone), [("30".into(), "30 seconds".into())]);
}

#[test]
fn while_locked_a_report_is_delivered_through_a_faulty_relay_and_a_reply_waits_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let served = fixture.publish(&fixture.listing(5));
    let mut phone = Phone::start(dir.path(), config(&fixture));
    let code = phone.onboard();
    let recovery = RecoveryCode::parse(&code).unwrap();
    phone.queue_report((true, false, false), &served);
    phone.serve_directory(&served);
    // The first attempt is cut off; then the worker locks the phone.
    let (request, first) = phone.take_submission();
    let first_bytes = request.operation.body.clone();
    phone.drop_connection(request);
    phone.send(Event::Lock);
    assert!(locked(&phone));

    // What a locked phone holds: the sealed submission and the mailbox token, nothing else.
    let token = mailbox_token_text(&recovery.report_secrets(0).mailbox_token);
    let held = courier_entries(&mut phone);
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].report_id, first.submission_id);
    assert_eq!(held[0].sealed.as_ref(), Some(&first));
    assert_eq!(held[0].mailbox_token, token);
    let text = courier_text(&mut phone);
    for secret in REPORT_TEXT.iter().chain([&code.as_str()]) {
        assert!(!text.contains(secret), "the courier holds {secret:?}");
    }

    // Without the PIN: the same bytes again, through a busy relay and a cut-off answer.
    let wake = phone
        .view()
        .wake_in_ms
        .expect("the courier asks for a tick");
    phone.tick_after(wake);
    let (request, _) = phone.take_submission();
    assert_eq!(request.operation.body, first_bytes);
    phone.respond_status(request, 503, b"{\"error\":\"unavailable\"}".to_vec());
    let wake = phone.view().wake_in_ms.unwrap();
    phone.tick_after(wake);
    let (request, _) = phone.take_submission();
    assert_eq!(request.operation.body, first_bytes);
    phone.respond_status(request, 201, b"{\"submission_id\":".to_vec());
    let wake = phone.view().wake_in_ms.unwrap();
    phone.tick_after(wake);
    let (request, _) = phone.take_submission();
    assert_eq!(request.operation.body, first_bytes);
    phone.accept(request, &first, 201);
    assert!(locked(&phone));
    assert!(phone.no_http());

    // The mailbox is polled while locked; a status and a reply arrive.
    let wake = phone.view().wake_in_ms.unwrap();
    assert_eq!(wake, 10_000, "polled after the base interval");
    phone.tick_after(wake);
    let poll = phone.take_http();
    assert!(
        poll.operation
            .url
            .ends_with(&format!("/v1/mailbox/{token}?after=0")),
        "{}",
        poll.operation.url
    );
    let sealed = seal_reply(
        &ReplyBody {
            text: REPLY_TEXT.into(),
            language: "en".into(),
            written_on: None,
        },
        first.submission_id,
        fixture.union_id,
        &fixture.union_key,
        &recovery.report_secrets(0).reply_key.public_key(),
        &mut DeterministicRng::new("reply while locked"),
    )
    .unwrap();
    let page = MailboxPage {
        entries: vec![
            MailboxEntry {
                seq: 1,
                org_id: fixture.union_id,
                at_hour: 1_795_820_400,
                item: MailboxItem::Status {
                    status: MailboxStatus::Acknowledged,
                    sealed: None,
                },
            },
            MailboxEntry {
                seq: 2,
                org_id: fixture.union_id,
                at_hour: 1_795_820_400,
                item: MailboxItem::Reply { sealed },
            },
        ],
        last_seq: 2,
    };
    phone.respond_status(poll, 200, serde_json::to_vec(&page).unwrap());
    assert!(locked(&phone));
    // Unreadable until unlock: not on screen, and only sealed in the courier.
    let mut secrets = REPORT_TEXT.to_vec();
    secrets.push(REPLY_TEXT);
    secrets.push("5551234");
    assert_view_reveals_none(&phone, &secrets);
    let text = courier_text(&mut phone);
    assert!(!text.contains("5551234"), "the reply stays sealed");
    let held = courier_entries(&mut phone);
    assert_eq!(held[0].arrived.len(), 2);
    assert_eq!(held[0].sealed, None, "delivered: the submission is gone");

    // Unlocked: the report is sent (once), the reply opens.
    phone.send(Event::Unlock { pin: PIN.into() });
    let item = phone
        .outbox()
        .into_iter()
        .find(|i| i.report_id == first.submission_id.to_hex())
        .unwrap();
    assert_eq!(item.state, DeliveryState::Replied);
    assert_eq!(item.replies, 1);
    phone.send(Event::OpenReport {
        report_id: item.report_id.clone(),
    });
    match phone.screen() {
        Screen::Report(report) => {
            assert_eq!(report.messages.len(), 1);
            assert_eq!(report.messages[0].text, REPLY_TEXT);
            assert_eq!(
                report.statuses,
                ["Building Workers Union: opened your report"]
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(phone.no_http(), "nothing is sent again");
    // The next poll asks only for newer entries, unlocked as locked.
    phone.send(Event::CheckMailbox);
    let poll = phone.take_http();
    assert!(
        poll.operation.url.ends_with("?after=2"),
        "{}",
        poll.operation.url
    );
}

#[test]
fn a_report_sealed_before_the_app_was_killed_goes_out_after_a_restart_without_the_pin() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let served = fixture.publish(&fixture.listing(5));
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    phone.queue_report((true, true, false), &served);
    phone.serve_directory(&served);
    let (request, first) = phone.take_submission();
    let bytes = request.operation.body.clone();
    drop(request);
    drop(phone);

    let mut phone = Phone::start(dir.path(), config(&fixture));
    assert!(locked(&phone));
    let (request, again) = phone.take_submission();
    assert_eq!(request.operation.body, bytes);
    phone.accept(request, &again, 201);
    let held = courier_entries(&mut phone);
    let mut accepted = held[0].accepted.clone().expect("accepted while locked");
    accepted.sort();
    let mut expected = vec![fixture.union_id, fixture.inspectorate_id];
    expected.sort();
    assert_eq!(accepted, expected);
    phone.send(Event::Unlock { pin: PIN.into() });
    let item = phone.outbox().into_iter().next().unwrap();
    assert_eq!(item.report_id, first.submission_id.to_hex());
    assert_eq!(item.state, DeliveryState::Sent);
    assert!(phone.no_http());
}

#[test]
fn a_duress_unlock_empties_the_courier_and_nothing_more_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let served = fixture.publish(&fixture.listing(5));
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    phone.queue_report((true, false, false), &served);
    phone.serve_directory(&served);
    let (request, _) = phone.take_submission();
    phone.drop_connection(request);
    phone.send(Event::Background);
    assert_eq!(courier_entries(&mut phone).len(), 1);

    phone.send(Event::Unlock { pin: DURESS.into() });
    assert!(matches!(phone.screen(), Screen::Home { .. }));
    assert!(
        courier_entries(&mut phone).is_empty(),
        "the courier went with the vault"
    );
    phone.send(Event::Lock);
    phone.tick_after(3_600_000);
    assert!(phone.no_http(), "the destroyed report is never sent");
    assert_eq!(phone.view().wake_in_ms, None);
}

#[test]
fn a_recovery_walk_interrupted_by_the_lock_goes_on_after_the_unlock() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let code = RecoveryCode::from_secret([9; 16]);
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.send(Event::StartRecovery);
    phone.send(Event::SubmitNewPin {
        pin: PIN.into(),
        confirm: PIN.into(),
        duress_pin: None,
    });
    phone.send(Event::SubmitRecoveryCode {
        code: code.to_text(),
    });
    let token = |index: u32| mailbox_token_text(&code.report_secrets(index).mailbox_token);
    let empty = serde_json::to_vec(&MailboxPage {
        entries: vec![],
        last_seq: 0,
    })
    .unwrap();
    // Mailbox 0 exists, 1 does not; then the app goes to the background mid-walk.
    let probe = phone.take_http();
    assert!(probe.operation.url.contains(&token(0)));
    phone.respond_status(probe, 200, empty.clone());
    let probe = phone.take_http();
    assert!(probe.operation.url.contains(&token(1)));
    phone.respond_status(probe, 404, b"{\"error\":\"unknown_mailbox\"}".to_vec());
    let in_flight = phone.take_http();
    assert!(in_flight.operation.url.contains(&token(2)));
    phone.send(Event::Background);
    assert!(locked(&phone));
    drop(in_flight);
    // The courier polls the mailbox found so far; the walk waits for the PIN.
    while let Some(request) = phone.http.pop_front() {
        assert!(
            request.operation.url.contains(&token(0)),
            "{}",
            request.operation.url
        );
        phone.respond_status(request, 200, empty.clone());
    }

    phone.send(Event::Unlock { pin: PIN.into() });
    assert!(matches!(phone.screen(), Screen::Recovering { .. }));
    for index in 2..6u32 {
        let probe = phone.take_http();
        assert!(
            probe.operation.url.contains(&token(index)),
            "probe {index}: {}",
            probe.operation.url
        );
        phone.respond_status(probe, 404, b"{\"error\":\"unknown_mailbox\"}".to_vec());
    }
    // Five unknown mailboxes in a row (1 to 5): the walk ends, one report found.
    let view = phone.view();
    assert_eq!(view.notice.unwrap().text, "Found 1 reports.");
    assert!(matches!(view.screen, Screen::Outbox { .. }));
}

#[test]
fn a_report_queued_offline_is_sealed_as_the_app_locks_and_delivered_without_the_pin() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let served = fixture.publish(&fixture.listing(5));
    let mut phone = Phone::start(dir.path(), config(&fixture));
    let code = phone.onboard();
    // Reviewed with signal; sent without: the directory fetch of the send round fails.
    phone.queue_report((true, false, false), &served);
    let fetch = phone.take_http();
    assert!(fetch.operation.url.ends_with("/v1/directory"));
    phone.drop_connection(fetch);
    assert!(phone.no_http());

    phone.send(Event::Background);
    assert!(locked(&phone));
    let held = courier_entries(&mut phone);
    assert_eq!(held.len(), 1, "sealed as the app locked");
    let sealed = held[0].sealed.clone().expect("a sealed submission");
    assert_eq!(sealed.directory_version, 5);
    let text = courier_text(&mut phone);
    for secret in REPORT_TEXT.iter().chain([&code.as_str()]) {
        assert!(!text.contains(secret), "the courier holds {secret:?}");
    }

    // Signal again: the courier pays the proof-of-work and sends it, without the PIN.
    let wake = phone
        .view()
        .wake_in_ms
        .expect("the courier asks for a tick");
    phone.tick_after(wake);
    let (request, body) = phone.take_submission();
    assert_eq!(body.envelope, sealed.envelope);
    assert!(workvoice_proto::pow::verify_pow(&body.submission_id, body.pow_nonce, 8).is_ok());
    let opened = workvoice_proto::envelope::open(
        &body.envelope,
        fixture.union_id,
        &fixture.union_key,
        &workvoice_proto::routing::disclosure_digest(&body.tags, &body.consent),
    )
    .unwrap();
    let report = workvoice_proto::report::Report::decode(&opened.plaintext).unwrap();
    assert_eq!(report.report_id, body.submission_id);
    phone.accept(request, &body, 201);
    assert!(locked(&phone));

    phone.send(Event::Unlock { pin: PIN.into() });
    let item = phone.outbox().into_iter().next().unwrap();
    assert_eq!(item.report_id, body.submission_id.to_hex());
    assert_eq!(item.state, DeliveryState::Sent);
    assert!(phone.no_http(), "sent once");
}

/// Every key of the courier store's copies of sealed evidence.
fn courier_evidence(phone: &mut Phone) -> Vec<(String, Vec<u8>)> {
    phone
        .courier()
        .expect("the courier store is open")
        .list(NS_COURIER_EVIDENCE)
        .unwrap()
}

fn upload_progress(received: u64, size: u64) -> Vec<u8> {
    serde_json::to_vec(&UploadProgress {
        received,
        size,
        complete: received >= size,
    })
    .unwrap()
}

#[test]
fn while_locked_a_queued_report_with_evidence_is_delivered_through_a_faulty_relay() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let served = fixture.publish(&fixture.listing(5));
    let mut app_config = config(&fixture);
    app_config.upload_chunk_bytes = 100_000;
    let mut phone = Phone::start(dir.path(), app_config);
    let code = phone.onboard();
    // A report with a photo, reviewed with signal and queued without: the directory fetch of
    // the send round fails.
    let photo = common::jpeg::jpeg(None, (0..600_000usize).map(|i| (i % 251) as u8 & 0x7F));
    phone.compose_report((true, false, false));
    phone.send(Event::GoToStep {
        step: Step::Evidence,
    });
    phone.send(Event::AddEvidence { bytes: photo });
    phone.send(Event::Review);
    phone.serve_directory(&served);
    phone.send(Event::SendReport);
    let fetch = phone.take_http();
    assert!(fetch.operation.url.ends_with("/v1/directory"));
    phone.drop_connection(fetch);
    assert!(phone.no_http());

    phone.send(Event::Background);
    assert!(locked(&phone));
    assert!(phone.vault().is_none());
    // The courier holds the sealed submission, the upload's id and size, and a copy of the
    // sealed chunks; nothing of the report in clear.
    let held = courier_entries(&mut phone);
    assert_eq!(held.len(), 1);
    let sealed = held[0].sealed.clone().expect("sealed as the app locked");
    assert_eq!(held[0].uploads.len(), 1);
    let upload = held[0].uploads[0].clone();
    let copies = courier_evidence(&mut phone);
    assert_eq!(
        copies.len() as u64,
        upload.size.div_ceil(ATTACHMENT_CHUNK_BYTES as u64)
    );
    assert!(copies.len() >= 3, "{}", copies.len());
    let text = courier_text(&mut phone);
    for secret in REPORT_TEXT.iter().chain([&code.as_str()]) {
        assert!(!text.contains(secret), "the courier holds {secret:?}");
    }

    // Without the PIN: the submission, through a dropped connection, then accepted.
    let wake = phone
        .view()
        .wake_in_ms
        .expect("the courier asks for a tick");
    phone.tick_after(wake);
    let (request, body) = phone.take_submission();
    assert_eq!(body.envelope, sealed.envelope);
    phone.drop_connection(request);
    let wake = phone.view().wake_in_ms.unwrap();
    phone.tick_after(wake);
    let (request, again) = phone.take_submission();
    assert_eq!(again, body, "the same bytes");
    let opened = workvoice_proto::envelope::open(
        &body.envelope,
        fixture.union_id,
        &fixture.union_key,
        &workvoice_proto::routing::disclosure_digest(&body.tags, &body.consent),
    )
    .unwrap();
    let report = workvoice_proto::report::Report::decode(&opened.plaintext).unwrap();
    let manifest = report.attachments[0].clone();
    assert_eq!(
        (manifest.id, manifest.sealed_size),
        (upload.id, upload.size)
    );
    phone.accept(request, &body, 201);

    // The upload, still locked, through a cut connection and a busy relay.
    let token = mailbox_token_text(
        &RecoveryCode::parse(&code)
            .unwrap()
            .report_secrets(0)
            .mailbox_token,
    );
    let size = upload.size;
    let mut stored: Vec<u8> = Vec::new();
    let (mut dropped, mut busy) = (false, false);
    while (stored.len() as u64) < size {
        let request = match phone.http.pop_front() {
            Some(request) => request,
            None => {
                let wake = phone
                    .view()
                    .wake_in_ms
                    .expect("the courier asks for a tick");
                phone.tick_after(wake);
                phone.take_http()
            }
        };
        assert!(locked(&phone));
        let op = &request.operation;
        assert!(
            op.url.contains(&format!(
                "/v1/submissions/{}/attachments/",
                body.submission_id
            )),
            "{}",
            op.url
        );
        assert!(
            op.headers
                .iter()
                .any(|h| h.name == "authorization" && h.value == format!("Bearer {token}"))
        );
        match op.method {
            HttpMethod::Get if !dropped => {
                dropped = true;
                phone.drop_connection(request);
            }
            HttpMethod::Get => {
                let received = stored.len() as u64;
                phone.respond_status(request, 200, upload_progress(received, size));
            }
            HttpMethod::Put => {
                let offset: u64 = op.url.rsplit_once("?offset=").unwrap().1.parse().unwrap();
                assert_eq!(offset, stored.len() as u64);
                if offset > 0 && !busy {
                    busy = true;
                    phone.respond_status(request, 503, b"{\"error\":\"unavailable\"}".to_vec());
                    continue;
                }
                stored.extend_from_slice(&request.operation.body);
                let received = stored.len() as u64;
                phone.respond_status(request, 200, upload_progress(received, size));
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(dropped && busy, "both faults were met");
    assert!(locked(&phone));
    let plain = open_attachment(&stored, body.submission_id, &manifest).unwrap();
    assert_eq!(&plain[..2], &[0xFF, 0xD8]);
    // Uploaded: the copy is gone from the courier store; only mailbox polls are left.
    assert_eq!(courier_evidence(&mut phone), vec![]);
    let held = courier_entries(&mut phone);
    assert!(held[0].uploads.iter().all(|u| u.complete));
    let wake = phone.view().wake_in_ms.unwrap();
    phone.tick_after(wake);
    let poll = phone.take_http();
    assert!(
        poll.operation.url.contains("/v1/mailbox/"),
        "{}",
        poll.operation.url
    );
    phone.respond_status(
        poll,
        200,
        serde_json::to_vec(&MailboxPage {
            entries: vec![],
            last_seq: 0,
        })
        .unwrap(),
    );

    // Unlocked: the report is sent and its evidence uploaded; nothing is sent again.
    phone.send(Event::Unlock { pin: PIN.into() });
    let item = phone.outbox().into_iter().next().unwrap();
    assert_eq!(item.report_id, body.submission_id.to_hex());
    assert_eq!(item.state, DeliveryState::Sent);
    assert!(phone.no_http(), "nothing uploaded twice");
    let record: OutboxRecord = serde_json::from_slice(
        &phone
            .vault()
            .unwrap()
            .get(NS_OUTBOX, &body.submission_id.to_hex())
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert!(
        record
            .uploads
            .iter()
            .all(|u| u.complete && u.received == size)
    );
    assert_eq!(courier_evidence(&mut phone), vec![]);
}

/// One message to the app; the effects it asks for are dropped (the test answers them itself).
fn app_send(app: &Workvoice, model: &mut Model, msg: Msg) {
    let _ = crux_core::App::update(app, msg, model);
}

fn app_view(app: &Workvoice, model: &Model) -> String {
    format!("{:?}", crux_core::App::view(app, model))
}

/// A first run through the app alone, the vault's answers given by the test: the vault is
/// created and open, the recovery code on screen. Returns the code.
fn first_run(app: &Workvoice, model: &mut Model) -> String {
    app_send(app, model, Msg::Start(AppConfig::default()));
    app_send(
        app,
        model,
        Msg::Internal(Internal::Entropy(RandomOutput(vec![7; 32]))),
    );
    app_send(
        app,
        model,
        Msg::Internal(Internal::VaultStatus(VaultOutput::Status {
            initialised: false,
            attempts_left: 10,
        })),
    );
    app_send(app, model, Event::StartSetup.into());
    app_send(
        app,
        model,
        Event::SubmitNewPin {
            pin: PIN.into(),
            confirm: PIN.into(),
            duress_pin: None,
        }
        .into(),
    );
    app_send(
        app,
        model,
        Msg::Internal(Internal::VaultCreated(VaultOutput::Opened)),
    );
    match crux_core::App::view(app, model).screen {
        Screen::ShowRecoveryCode { code, .. } => code,
        other => panic!("{other:?}"),
    }
}

#[test]
fn nothing_of_an_unlocked_session_survives_a_lock() {
    let app = Workvoice;
    let mut model = Model::default();
    let code = first_run(&app, &mut model);
    app_send(&app, &mut model, Event::RecoveryCodeWritten.into());
    // The vault gives a report in the outbox, which the outbox screen lists.
    let mut sent =
        workvoice_core::app::draft::new_report(workvoice_proto::keys::ReportId([9; 16]), "en");
    sent.free_text = "Sent before the lock".into();
    let record = OutboxRecord::new(sent, 0, 1, 60_000);
    app_send(
        &app,
        &mut model,
        Msg::Internal(Internal::Loaded(VaultOutput::Entries(vec![
            Vec::new(),
            Vec::new(),
            vec![("outbox".into(), serde_json::to_vec(&record).unwrap())],
            Vec::new(),
        ]))),
    );
    app_send(&app, &mut model, Event::OpenOutbox.into());
    match crux_core::App::view(&app, &model).screen {
        Screen::Outbox { items, .. } => assert_eq!(items.len(), 1, "{items:?}"),
        other => panic!("{other:?}"),
    }
    // A draft with a name in it, and a name typed on the step and not yet taken.
    app_send(&app, &mut model, Event::NewReport.into());
    app_send(
        &app,
        &mut model,
        Event::SetRecruiter {
            name: "Sagarmatha".into(),
            licence_number: "1234/067".into(),
            country: "NP".into(),
        }
        .into(),
    );
    app_send(
        &app,
        &mut model,
        Event::GoToStep { step: Step::People }.into(),
    );
    app_send(
        &app,
        &mut model,
        Event::Input {
            field: FieldId::EmployerName,
            value: "Typed Employer".into(),
        }
        .into(),
    );
    let shown = app_view(&app, &model);
    for text in ["Sagarmatha", "Typed Employer"] {
        assert!(shown.contains(text), "{text} is on screen: {shown}");
    }
    let secrets = [
        "Sagarmatha",
        "1234/067",
        "Typed Employer",
        "Sent before the lock",
        code.as_str(),
    ];

    app_send(&app, &mut model, Event::Lock.into());
    assert!(!model.is_unlocked());
    let shown = app_view(&app, &model);
    assert!(shown.contains("Unlock"), "{shown}");
    for secret in secrets {
        assert!(!shown.contains(secret), "the lock screen shows {secret:?}");
    }

    // The PIN opens the vault; until the vault answers with what it holds, the session is
    // empty: no draft, no outbox, no typed text, no recovery code.
    app_send(&app, &mut model, Event::Unlock { pin: PIN.into() }.into());
    app_send(
        &app,
        &mut model,
        Msg::Internal(Internal::VaultUnlocked(VaultOutput::Opened)),
    );
    assert!(model.is_unlocked());
    app_send(&app, &mut model, Event::GoHome.into());
    match crux_core::App::view(&app, &model).screen {
        Screen::Home {
            has_draft,
            outbox_summary,
            ..
        } => {
            assert!(!has_draft, "a draft outlived the lock");
            assert!(outbox_summary.contains('0'), "{outbox_summary}");
        }
        other => panic!("{other:?}"),
    }
    app_send(&app, &mut model, Event::OpenOutbox.into());
    match crux_core::App::view(&app, &model).screen {
        Screen::Outbox { items, .. } => assert!(items.is_empty(), "the outbox outlived the lock"),
        other => panic!("{other:?}"),
    }
    app_send(&app, &mut model, Event::NewReport.into());
    app_send(
        &app,
        &mut model,
        Event::GoToStep { step: Step::People }.into(),
    );
    let shown = app_view(&app, &model);
    for secret in secrets {
        assert!(
            !shown.contains(secret),
            "after the unlock the app shows {secret:?}: {shown}"
        );
    }
}

fn effects_of(app: &Workvoice, model: &mut Model, msg: Msg) -> Vec<Effect> {
    let mut command = crux_core::App::update(app, msg, model);
    command.effects().collect()
}

#[test]
fn each_engine_answer_is_handled_only_in_its_lifecycle_state() {
    use workvoice_core::app::courier::CourierStep;
    use workvoice_core::app::draft::DraftStep;
    use workvoice_core::app::sync::SyncStep;

    let app = Workvoice;
    let mut model = Model::default();
    first_run(&app, &mut model);
    app_send(&app, &mut model, Event::RecoveryCodeWritten.into());
    let clock = || TimeOutput {
        unix_ms: 1_800_000_000_000,
    };
    // Unlocked, the sync engine takes its answers: the round's clock asks for entropy.
    let effects = effects_of(
        &app,
        &mut model,
        Msg::Internal(Internal::Sync(SyncStep::RoundClock(clock()))),
    );
    assert!(
        matches!(effects.as_slice(), [Effect::Random(_)]),
        "{effects:?}"
    );
    // The courier's answers are dropped while unlocked, whatever their session.
    let before = app_view(&app, &model);
    for session in 0..4 {
        let effects = effects_of(
            &app,
            &mut model,
            Msg::Internal(Internal::Courier {
                session,
                step: CourierStep::Clock(clock()),
            }),
        );
        assert!(effects.is_empty(), "{effects:?}");
    }
    assert_eq!(app_view(&app, &model), before);

    app_send(&app, &mut model, Event::Lock.into());
    assert!(!model.is_unlocked());
    // Locked, answers meant for the open vault are dropped: nothing asked, nothing shown.
    let before = app_view(&app, &model);
    for answer in [
        Internal::Sync(SyncStep::RoundClock(clock())),
        Internal::Sync(SyncStep::RoundEntropy(RandomOutput(vec![1; 32]))),
        Internal::Draft(DraftStep::EvidenceRead(FileReadOutput::Failed(
            "gone".into(),
        ))),
        Internal::Draft(DraftStep::EvidenceChunksSaved(VaultOutput::Written)),
        Internal::Loaded(VaultOutput::Entries(Vec::new())),
    ] {
        let effects = effects_of(&app, &mut model, Msg::Internal(answer));
        assert!(effects.is_empty(), "{effects:?}");
        assert_eq!(app_view(&app, &model), before);
    }
}
