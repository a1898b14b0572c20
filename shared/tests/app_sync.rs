//! Sending, retrying, resuming, re-sealing, key trust, evidence upload, mailbox and recovery,
//! with the test playing the shell (HTTP answers and the clock).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::jpeg::jpeg_with_gps;
use common::{PIN, Phone, Seen, config};
use workvoice_core::app::*;
use workvoice_core::i18n::{self, K};
use workvoice_proto::api::{
    ApiError, MailboxEntry, MailboxItem, MailboxPage, MailboxStatus, UploadProgress,
    WithdrawalRequest, WorkerStatus,
};
use workvoice_proto::attachment::open_attachment;
use workvoice_proto::directory::{ORG_CERT_CONTEXT, OrgCertificate, OrgKind, RevokedKey, Signed};
use workvoice_proto::envelope::open;
use workvoice_proto::keys::HpkePrivateKey;
use workvoice_proto::recovery::RecoveryCode;
use workvoice_proto::reply::{ReplyBody, seal_reply};
use workvoice_proto::report::Report;
use workvoice_proto::routing::disclosure_digest;
use workvoice_proto::status::{StatusBody, seal_status};
use workvoice_proto::vectors::{DeterministicRng, Fixture};

fn item(phone: &mut Phone) -> OutboxItem {
    phone
        .outbox()
        .into_iter()
        .find(|i| i.state != DeliveryState::Draft)
        .expect("a report in the outbox")
}

fn open_as_union(fixture: &Fixture, body: &workvoice_proto::api::SubmissionRequest) -> Report {
    let opened = open(
        &body.envelope,
        fixture.union_id,
        &fixture.union_key,
        &disclosure_digest(&body.tags, &body.consent),
    )
    .unwrap();
    Report::decode(&opened.plaintext).unwrap()
}

fn api_error(code: &str, version: Option<u64>) -> Vec<u8> {
    serde_json::to_vec(&ApiError {
        error: code.into(),
        message: code.into(),
        directory_version: version,
    })
    .unwrap()
}

#[test]
fn sealed_at_send_time_stored_before_posting_and_retried_with_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let served = fixture.publish(&fixture.listing(5));
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    phone.queue_report((true, true, false), &served);
    // The send round fetches the newest directory, seals, stores, and only then posts.
    phone.serve_directory(&served);
    let write_at = phone
        .seen
        .iter()
        .rposition(|s| matches!(s, Seen::VaultWrite { keys, flush: true } if keys.len() == 1 && keys[0].starts_with("put outbox/")))
        .unwrap();
    let post_at = phone
        .seen
        .iter()
        .rposition(|s| matches!(s, Seen::Http(h) if h.starts_with("Post")))
        .unwrap();
    assert!(
        write_at < post_at,
        "the sealed submission is stored before the first attempt"
    );
    let (request, first) = phone.take_submission();
    let first_bytes = request.operation.body.clone();
    assert_eq!(first.directory_version, 5);
    assert!(workvoice_proto::pow::verify_pow(&first.submission_id, first.pow_nonce, 8).is_ok());
    let report = open_as_union(&fixture, &first);
    assert_eq!(report.report_id, first.submission_id);
    assert_eq!(report.fees[0].amount.amount_minor, 15_000_000);
    assert_eq!(item(&mut phone).state, DeliveryState::Sending);

    // The connection drops: exponential backoff with jitter, then the very same bytes.
    phone.drop_connection(request);
    let view = phone.view();
    let wake = view.wake_in_ms.unwrap();
    assert!(
        (500..=1000).contains(&wake),
        "first retry after 0.5-1 s, got {wake}"
    );
    let sending = item(&mut phone);
    assert_eq!(sending.state, DeliveryState::Sending);
    assert_eq!(
        sending.detail.as_deref(),
        Some(i18n::tr("en", K::TransientNoSignal).as_str())
    );
    phone.tick_after(wake);
    let (request, _) = phone.take_submission();
    assert_eq!(request.operation.body, first_bytes);
    phone.respond_status(request, 503, api_error("unavailable", None));
    let wake = phone.view().wake_in_ms.unwrap();
    assert!(
        (1000..=2000).contains(&wake),
        "second retry after 1-2 s, got {wake}"
    );
    phone.tick_after(wake);
    let (request, _) = phone.take_submission();
    assert_eq!(request.operation.body, first_bytes);
    let busy = item(&mut phone);
    assert_eq!(
        busy.detail.as_deref(),
        Some(i18n::tr("en", K::TransientBusy).as_str())
    );
    phone.accept(request, &first, 201);
    assert_eq!(item(&mut phone).state, DeliveryState::Sent);
    assert!(phone.no_http());
}

#[test]
fn a_killed_app_resends_the_stored_submission_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let served = fixture.publish(&fixture.listing(5));
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    phone.queue_report((true, false, false), &served);
    phone.serve_directory(&served);
    let (request, first) = phone.take_submission();
    let first_bytes = request.operation.body.clone();
    // Killed while the request was in flight.
    drop(request);
    drop(phone);

    let mut phone = Phone::start(dir.path(), config(&fixture));
    // Still locked, the courier resends: no directory fetch, no re-seal, no PIN: the same
    // bytes under the same id.
    assert!(matches!(phone.screen(), Screen::Unlock { .. }));
    let (request, again) = phone.take_submission();
    assert_eq!(request.operation.body, first_bytes);
    assert_eq!(again.submission_id, first.submission_id);
    // The relay had stored the first attempt: it answers 200 with the same body.
    phone.accept(request, &first, 200);
    phone.send(Event::Unlock { pin: PIN.into() });
    assert_eq!(item(&mut phone).state, DeliveryState::Sent);
    assert!(phone.no_http(), "not sent again once unlocked");
}

#[test]
fn a_stale_directory_is_refreshed_and_the_report_resealed_under_the_same_id() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    let v5 = fixture.publish(&fixture.listing(5));
    phone.queue_report((true, true, true), &v5);
    phone.serve_directory(&v5);
    let (request, first) = phone.take_submission();
    phone.respond_status(request, 409, api_error("stale_directory", Some(6)));
    // Version 6 adds a rule: Qatar's construction also goes to the NGO.
    let mut listing = fixture.listing(6);
    listing.rules[0].deliver_to.push(fixture.ngo_id);
    phone.serve_directory(&fixture.publish(&listing));
    let (request, second) = phone.take_submission();
    assert_eq!(second.submission_id, first.submission_id);
    assert_eq!(second.directory_version, 6);
    assert_ne!(second.envelope, first.envelope);
    let header = workvoice_proto::envelope::EnvelopeHeader::parse(&second.envelope).unwrap();
    assert_eq!(header.recipients.len(), 3);
    assert_eq!(
        open_as_union(&fixture, &second).report_id,
        first.submission_id
    );
    phone.accept(request, &second, 201);
    assert_eq!(item(&mut phone).state, DeliveryState::Sent);

    // An older directory is never accepted again.
    phone.compose_report((true, false, false));
    phone.send(Event::Review);
    phone.serve_directory(&v5);
    phone.send(Event::SendReport);
    phone.serve_directory(&v5);
    assert!(
        phone.no_http(),
        "nothing sealed against a rolled-back directory"
    );
    let waiting = phone
        .outbox()
        .into_iter()
        .find(|i| i.state == DeliveryState::Waiting)
        .unwrap();
    assert!(waiting.detail.unwrap().contains("directory_rollback"));
}

/// A relay process behind its peers answers `invalid_directory_version` for a listing newer
/// than it serves: the report waits and is resent unchanged, not failed.
#[test]
fn a_relay_behind_the_phones_listing_is_waited_for_not_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    let v5 = fixture.publish(&fixture.listing(5));
    phone.queue_report((true, false, false), &v5);
    phone.serve_directory(&v5);
    let (request, first) = phone.take_submission();
    let first_bytes = request.operation.body.clone();
    phone.respond_status(
        request,
        422,
        api_error("invalid_directory_version", Some(4)),
    );
    // Still being sent, after a pause; not "Not sent".
    let waiting = item(&mut phone);
    assert_eq!(waiting.state, DeliveryState::Sending, "{waiting:?}");
    assert!(waiting.retry.is_none(), "{waiting:?}");
    let wake = phone.view().wake_in_ms.unwrap();
    phone.tick_after(wake);
    let (request, _) = phone.take_submission();
    assert_eq!(request.operation.body, first_bytes, "resent unchanged");
    phone.accept(request, &first, 201);
    assert_eq!(item(&mut phone).state, DeliveryState::Sent);
}

/// THREATS gap 14: once the phone has seen revocation list 1, a relay can neither drop the list
/// from a newer listing nor serve an older one; the phone holds the report until a listing
/// that carries the list comes back.
#[test]
fn a_listing_without_the_revocation_list_already_seen_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    let mut with_list = fixture.listing(5);
    with_list.revocations = Some(fixture.revocations(vec![RevokedKey {
        org_id: fixture.ngo_id,
        key_version: 1,
        hpke_public_key: fixture.ngo_key.public_key(),
    }]));
    let with_list = fixture.publish(&with_list);
    phone.queue_report((true, false, false), &with_list);
    phone.serve_directory(&with_list);
    let (request, body) = phone.take_submission();
    phone.accept(request, &body, 201);

    // A newer version without the list (the relay hides the revocation).
    let without_list = fixture.publish(&fixture.listing(6));
    phone.compose_report((true, false, false));
    phone.send(Event::Review);
    phone.serve_directory(&without_list);
    phone.send(Event::SendReport);
    phone.serve_directory(&without_list);
    assert!(
        phone.no_http(),
        "nothing sealed without the revocation list"
    );
    let waiting = phone
        .outbox()
        .into_iter()
        .find(|i| i.state == DeliveryState::Waiting)
        .unwrap();
    assert!(
        waiting
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains("directory_revocations_missing"),
        "{waiting:?}"
    );

    // Once a listing carries the list again, the waiting report goes on its own.
    let mut again = fixture.listing(7);
    again.revocations = Some(fixture.revocations(vec![RevokedKey {
        org_id: fixture.ngo_id,
        key_version: 1,
        hpke_public_key: fixture.ngo_key.public_key(),
    }]));
    // A day later the app has locked itself (idle). It sealed the waiting report as it locked,
    // against the newest directory it verified (version 5, which carries the list), and its
    // courier sends it; the relay, now at version 7, stores nothing. The courier also polls the
    // sent report's mailbox.
    phone.tick_after(24 * 3_600_000);
    assert!(matches!(phone.screen(), Screen::Unlock { .. }));
    while let Some(request) = phone.http.pop_front() {
        if request.operation.method == HttpMethod::Post {
            let body = common::submission_of(&request.operation);
            assert_eq!(body.directory_version, 5);
            phone.respond_status(request, 409, api_error("stale_directory", Some(7)));
        } else {
            assert!(request.operation.url.contains("/v1/mailbox/"));
            phone.respond_status(request, 200, br#"{"entries":[],"last_seq":0}"#.to_vec());
        }
    }
    // The re-seal needs the PIN.
    phone.send(Event::Unlock { pin: PIN.into() });
    let (request, body) = phone.take_submission();
    assert_eq!(body.directory_version, 5);
    phone.respond_status(request, 409, api_error("stale_directory", Some(7)));
    phone.serve_directory(&fixture.publish(&again));
    let (request, body) = phone.take_submission();
    assert_eq!(body.directory_version, 7);
    phone.accept(request, &body, 201);
}

#[test]
fn a_conflicting_body_under_the_same_id_means_the_report_is_already_there() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let served = fixture.publish(&fixture.listing(5));
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    phone.queue_report((true, false, false), &served);
    phone.serve_directory(&served);
    let (request, _) = phone.take_submission();
    phone.respond_status(request, 409, api_error("submission_conflict", None));
    assert_eq!(item(&mut phone).state, DeliveryState::Sent);
    phone.tick_after(1);
    assert!(phone.no_http(), "never sent again");
}

#[test]
fn a_refusal_is_final_and_can_be_retried_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let served = fixture.publish(&fixture.listing(5));
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    phone.queue_report((true, false, false), &served);
    phone.serve_directory(&served);
    let (request, _) = phone.take_submission();
    phone.respond_status(request, 422, api_error("pow_insufficient", None));
    let failed = item(&mut phone);
    assert_eq!(failed.state, DeliveryState::Failed);
    assert!(failed.detail.unwrap().contains("pow_insufficient"));
    assert!(failed.retry.is_some());
    phone.send(Event::RetryReport {
        report_id: failed.report_id,
    });
    phone.serve_directory(&served);
    let (request, body) = phone.take_submission();
    phone.accept(request, &body, 201);
    assert_eq!(item(&mut phone).state, DeliveryState::Sent);
}

/// What the phone does with a report one of whose chosen organisations has an untrusted key.
enum Expected {
    /// Nobody else was chosen: nothing is sent.
    NothingSent,
    /// The report goes, sealed to exactly these others, and the worker is told.
    SentWithout(Vec<workvoice_proto::keys::OrgId>),
}

fn untrusted_case(
    listing: workvoice_proto::directory::Listing,
    consent: (bool, bool, bool),
    org: &str,
    reason: &str,
    expected: Expected,
) {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    let served = fixture.publish(&listing);
    phone.compose_report(consent);
    phone.send(Event::Review);
    phone.serve_directory(&served);
    match phone.screen() {
        Screen::Review(review) => {
            let flagged: Vec<_> = review
                .recipients
                .iter()
                .filter_map(|r| r.problem.clone())
                .collect();
            assert_eq!(flagged.len(), 1, "{flagged:?}");
            assert!(
                flagged[0].contains(org) && flagged[0].contains(reason),
                "{}",
                flagged[0]
            );
        }
        other => panic!("{other:?}"),
    }
    phone.send(Event::SendReport);
    phone.serve_directory(&served);
    match expected {
        Expected::NothingSent => {
            assert!(phone.no_http(), "nothing is sent");
            let failed = item(&mut phone);
            assert_eq!(failed.state, DeliveryState::Failed);
            let detail = failed.detail.unwrap();
            assert!(detail.contains(org) && detail.contains(reason), "{detail}");
            assert!(detail.contains("Nothing was sent"));
        }
        Expected::SentWithout(others) => {
            let (request, body) = phone.take_submission();
            let header = workvoice_proto::envelope::EnvelopeHeader::parse(&body.envelope).unwrap();
            let sealed_to: Vec<_> = header.recipient_ids().collect();
            let mut others = others;
            others.sort();
            assert_eq!(
                sealed_to, others,
                "sealed to every other chosen organisation"
            );
            // The union reads it, whole.
            let report = open_as_union(&fixture, &body);
            assert_eq!(report.report_id, body.submission_id);
            phone.accept(request, &body, 201);
            let sent = item(&mut phone);
            assert_eq!(sent.state, DeliveryState::Sent);
            let detail = sent.detail.expect("the worker is told who was left out");
            assert!(detail.contains(org) && detail.contains(reason), "{detail}");
            assert!(
                detail.contains("The other groups receive your report"),
                "{detail}"
            );
        }
    }
}

#[test]
fn a_key_the_root_did_not_certify_is_refused() {
    let fixture = Fixture::new();
    // The relay swaps in its own key for the union, with a certificate it signed itself.
    let mut listing = fixture.listing(6);
    let relay_key = HpkePrivateKey::generate(&mut DeterministicRng::new("relay's own key"));
    listing.organisations[0].certificate = Signed::sign(
        &OrgCertificate {
            org_id: fixture.union_id,
            kind: OrgKind::Union,
            hpke_public_key: relay_key.public_key(),
            key_version: 2,
            valid_from: 0,
            valid_until: u64::MAX,
        },
        ORG_CERT_CONTEXT,
        &fixture.relay,
    );
    untrusted_case(
        listing,
        (true, false, false),
        "Building Workers Union",
        "its key is not certified",
        Expected::NothingSent,
    );
}

#[test]
fn an_expired_certificate_leaves_only_that_organisation_out() {
    let fixture = Fixture::new();
    let mut listing = fixture.listing(6);
    listing.organisations[1].certificate = Signed::sign(
        &OrgCertificate {
            org_id: fixture.inspectorate_id,
            kind: OrgKind::Inspectorate,
            hpke_public_key: fixture.inspectorate_key.public_key(),
            key_version: 1,
            valid_from: fixture.now - 100_000_000,
            valid_until: fixture.now - 1,
        },
        ORG_CERT_CONTEXT,
        &fixture.root,
    );
    untrusted_case(
        listing,
        (true, true, false),
        "Labour Inspectorate",
        "its certificate has expired",
        Expected::SentWithout(vec![fixture.union_id]),
    );
}

#[test]
fn a_revoked_key_leaves_only_that_organisation_out() {
    let fixture = Fixture::new();
    let mut listing = fixture.listing(6);
    listing.revocations = Some(fixture.revocations(vec![RevokedKey {
        org_id: fixture.ngo_id,
        key_version: 1,
        hpke_public_key: fixture.ngo_key.public_key(),
    }]));
    // The report is about forced labour (an indicator), so the NGO is chosen.
    untrusted_case(
        listing,
        (true, false, true),
        "Migrant Rights Centre",
        "its key was withdrawn",
        Expected::SentWithout(vec![fixture.union_id]),
    );
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn evidence_loses_its_gps_and_uploads_in_resumable_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let served = fixture.publish(&fixture.listing(5));
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    phone.compose_report((true, false, false));
    phone.send(Event::GoToStep {
        step: Step::Evidence,
    });
    let photo = jpeg_with_gps();
    assert!(contains(&photo, b"GPSLatitude"));
    phone.send(Event::AddEvidence {
        bytes: photo.clone(),
    });
    match phone.screen() {
        Screen::Compose(c) => {
            assert_eq!(c.items.len(), 1);
            assert_eq!(c.items[0].text, "Photo 1 (6 KB), details removed");
        }
        other => panic!("{other:?}"),
    }
    // Too big: a clear message, nothing added.
    let mut huge = photo.clone();
    huge.resize(33 * 1024 * 1024, 0);
    phone.send(Event::AddEvidence { bytes: huge });
    match phone.screen() {
        Screen::Compose(c) => {
            assert_eq!(c.items.len(), 1);
            assert!(
                c.errors
                    .iter()
                    .any(|e| e.message == i18n::tr("en", K::EvidenceTooLarge))
            );
        }
        other => panic!("{other:?}"),
    }
    phone.send(Event::Review);
    phone.serve_directory(&served);
    phone.send(Event::SendReport);
    phone.serve_directory(&served);
    let (request, body) = phone.take_submission();
    assert_eq!(body.attachments.len(), 1);
    let report = open_as_union(&fixture, &body);
    let manifest = report.attachments[0].clone();
    assert_eq!(body.attachments[0].id, manifest.id);
    phone.accept(request, &body, 201);

    // Upload: ask for progress, then chunks of 1000 bytes.
    let mut stored: Vec<u8> = Vec::new();
    let size = manifest.sealed_size;
    let progress = |received: u64| {
        serde_json::to_vec(&UploadProgress {
            received,
            size,
            complete: received >= size,
        })
        .unwrap()
    };
    let request = phone.take_http();
    assert_eq!(request.operation.method, HttpMethod::Get);
    assert!(
        request
            .operation
            .url
            .contains(&format!("/attachments/{}", manifest.id))
    );
    assert!(
        request
            .operation
            .headers
            .iter()
            .any(|h| h.name == "authorization" && h.value.starts_with("Bearer "))
    );
    phone.respond_status(request, 200, progress(0));
    let request = phone.take_http();
    assert_eq!(request.operation.method, HttpMethod::Put);
    assert!(request.operation.url.ends_with("?offset=0"));
    stored.extend_from_slice(&request.operation.body);
    phone.respond_status(request, 200, progress(stored.len() as u64));
    // The connection drops during the second chunk: resume from the relay's progress.
    let request = phone.take_http();
    assert!(
        request
            .operation
            .url
            .ends_with(&format!("?offset={}", stored.len()))
    );
    phone.drop_connection(request);
    let wake = phone.view().wake_in_ms.unwrap();
    phone.tick_after(wake);
    let request = phone.take_http();
    assert_eq!(request.operation.method, HttpMethod::Get);
    phone.respond_status(request, 200, progress(stored.len() as u64));
    loop {
        let request = phone.take_http();
        if request.operation.method != HttpMethod::Put {
            phone.respond_status(request, 404, Vec::new());
            break;
        }
        assert!(
            request
                .operation
                .url
                .ends_with(&format!("?offset={}", stored.len()))
        );
        stored.extend_from_slice(&request.operation.body);
        let done = stored.len() as u64 >= size;
        phone.respond_status(request, 200, progress(stored.len() as u64));
        if done {
            break;
        }
    }
    assert_eq!(stored.len() as u64, size);
    let plain = open_attachment(&stored, report.report_id, &manifest).unwrap();
    assert!(!contains(&plain, b"Exif"), "EXIF removed");
    assert!(!contains(&plain, b"GPSLatitude"), "GPS removed");
    assert_eq!(&plain[..2], &[0xFF, 0xD8]);
    assert!(contains(&plain, b"JFIF"));
}

#[test]
fn mailbox_statuses_and_replies_opened_only_with_the_certified_key() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let served = fixture.publish(&fixture.listing(5));
    let mut phone = Phone::start(dir.path(), config(&fixture));
    let code = RecoveryCode::parse(&phone.onboard()).unwrap();
    phone.queue_report((true, false, false), &served);
    phone.serve_directory(&served);
    let (request, body) = phone.take_submission();
    phone.accept(request, &body, 201);
    assert!(phone.no_http());
    let wake = phone.view().wake_in_ms.unwrap();
    assert_eq!(wake, 10_000, "mailbox polled after the base interval");
    phone.tick_after(wake);
    let request = phone.take_http();
    let secrets = code.report_secrets(0);
    let token = workvoice_proto::recovery::mailbox_token_text(&secrets.mailbox_token);
    assert!(
        request
            .operation
            .url
            .ends_with(&format!("/v1/mailbox/{token}?after=0"))
    );
    let mut rng = DeterministicRng::new("replies");
    let reply = |org_id, key: &HpkePrivateKey, text: &str, rng: &mut DeterministicRng| {
        seal_reply(
            &ReplyBody {
                text: text.into(),
                language: "en".into(),
                written_on: None,
            },
            body.submission_id,
            org_id,
            key,
            &secrets.reply_key.public_key(),
            rng,
        )
        .unwrap()
    };
    let entry = |seq, org_id, item| MailboxEntry {
        seq,
        org_id,
        at_hour: 1_795_820_400,
        item,
    };
    let page = MailboxPage {
        entries: vec![
            entry(
                1,
                fixture.union_id,
                MailboxItem::Status {
                    status: MailboxStatus::Delivered,
                    sealed: None,
                },
            ),
            entry(
                2,
                fixture.union_id,
                MailboxItem::Status {
                    status: MailboxStatus::Acknowledged,
                    sealed: None,
                },
            ),
            entry(
                3,
                fixture.union_id,
                MailboxItem::Reply {
                    sealed: reply(
                        fixture.union_id,
                        &fixture.union_key,
                        "We have your report.",
                        &mut rng,
                    ),
                },
            ),
            // Sealed with another key while claiming to be the union: not shown.
            entry(
                4,
                fixture.union_id,
                MailboxItem::Reply {
                    sealed: reply(
                        fixture.union_id,
                        &fixture.ngo_key,
                        "Send us your PIN.",
                        &mut rng,
                    ),
                },
            ),
        ],
        last_seq: 4,
    };
    phone.respond_status(request, 200, serde_json::to_vec(&page).unwrap());
    let replied = item(&mut phone);
    assert_eq!(replied.state, DeliveryState::Replied);
    assert_eq!(replied.replies, 1);
    phone.send(Event::OpenReport {
        report_id: replied.report_id.clone(),
    });
    match phone.screen() {
        Screen::Report(report) => {
            assert_eq!(report.messages.len(), 1);
            assert_eq!(report.messages[0].from, "Building Workers Union");
            assert_eq!(report.messages[0].text, "We have your report.");
            assert_eq!(
                report.statuses,
                [
                    "Building Workers Union: delivered",
                    "Building Workers Union: opened your report"
                ]
            );
            assert_eq!(
                report.rejected.as_deref(),
                Some("1 messages could not be checked and were not shown.")
            );
        }
        other => panic!("{other:?}"),
    }
    // Nothing new: the next poll waits twice as long, and asks only for newer entries.
    phone.send(Event::CheckMailbox);
    let request = phone.take_http();
    assert!(request.operation.url.ends_with("?after=4"));
    phone.respond_status(
        request,
        200,
        serde_json::to_vec(&MailboxPage {
            entries: vec![],
            last_seq: 4,
        })
        .unwrap(),
    );
    assert_eq!(phone.view().wake_in_ms, Some(20_000));
}

#[test]
fn a_forged_status_is_not_shown_as_the_organisations() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let served = fixture.publish(&fixture.listing(5));
    let mut phone = Phone::start(dir.path(), config(&fixture));
    let code = RecoveryCode::parse(&phone.onboard()).unwrap();
    phone.queue_report((true, false, false), &served);
    phone.serve_directory(&served);
    let (request, body) = phone.take_submission();
    phone.accept(request, &body, 201);
    let wake = phone.view().wake_in_ms.unwrap();
    phone.tick_after(wake);
    let request = phone.take_http();
    assert!(request.operation.url.contains("/v1/mailbox/"));
    let secrets = code.report_secrets(0);
    let mut rng = DeterministicRng::new("statuses");
    let sealed = |status, key: &HpkePrivateKey, report_id, rng: &mut DeterministicRng| {
        Some(
            seal_status(
                &StatusBody {
                    status,
                    set_at: fixture.now,
                },
                report_id,
                fixture.union_id,
                key,
                &secrets.reply_key.public_key(),
                rng,
            )
            .unwrap(),
        )
    };
    let genuine = sealed(
        WorkerStatus::InReview,
        &fixture.union_key,
        body.submission_id,
        &mut rng,
    );
    let entries = [
        MailboxItem::Status {
            status: MailboxStatus::Delivered,
            sealed: None,
        },
        // What the union's caseworker set, sealed with its certified key: shown.
        MailboxItem::Status {
            status: MailboxStatus::InReview,
            sealed: genuine.clone(),
        },
        // Valid JSON in the union's name sealed with another key (a relay, a stolen token).
        MailboxItem::Status {
            status: MailboxStatus::Closed,
            sealed: sealed(
                WorkerStatus::Closed,
                &HpkePrivateKey::derive(b"the relay's own key"),
                body.submission_id,
                &mut rng,
            ),
        },
        // The plain status alone, as a relay can write it: not the union's word.
        MailboxItem::Status {
            status: MailboxStatus::Resolved,
            sealed: None,
        },
        // The union's genuine status of another report, replayed here.
        MailboxItem::Status {
            status: MailboxStatus::Resolved,
            sealed: sealed(
                WorkerStatus::Resolved,
                &fixture.union_key,
                workvoice_proto::keys::ReportId([9; 16]),
                &mut rng,
            ),
        },
        // The genuine one again under a new sequence number: a replay, dropped.
        MailboxItem::Status {
            status: MailboxStatus::InReview,
            sealed: genuine,
        },
        // An older genuine status served late: listed by when the union set it, not last.
        MailboxItem::Status {
            status: MailboxStatus::Received,
            sealed: Some(
                seal_status(
                    &StatusBody {
                        status: WorkerStatus::Received,
                        set_at: fixture.now - 1_800,
                    },
                    body.submission_id,
                    fixture.union_id,
                    &fixture.union_key,
                    &secrets.reply_key.public_key(),
                    &mut rng,
                )
                .unwrap(),
            ),
        },
    ];
    let page = MailboxPage {
        entries: entries
            .into_iter()
            .enumerate()
            .map(|(i, item)| MailboxEntry {
                seq: i as u64 + 1,
                org_id: fixture.union_id,
                at_hour: 1_795_820_400,
                item,
            })
            .collect(),
        last_seq: 7,
    };
    phone.respond_status(request, 200, serde_json::to_vec(&page).unwrap());
    let id = item(&mut phone).report_id;
    phone.send(Event::OpenReport { report_id: id });
    match phone.screen() {
        Screen::Report(report) => {
            assert_eq!(
                report.statuses,
                [
                    "Building Workers Union: delivered",
                    "Building Workers Union: received your report",
                    "Building Workers Union: is looking into it"
                ]
            );
            assert_eq!(
                report.rejected.as_deref(),
                Some("3 messages could not be checked and were not shown.")
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_withdrawn_queued_report_is_never_sent() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let served = fixture.publish(&fixture.listing(5));
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    // Saved while there is no signal: the send round's directory fetch goes unanswered.
    phone.queue_report((true, false, false), &served);
    let queued = item(&mut phone);
    assert_eq!(queued.state, DeliveryState::Waiting);
    phone.send(Event::OpenReport {
        report_id: queued.report_id.clone(),
    });
    let Screen::Report(report) = phone.screen() else {
        panic!("not the report")
    };
    assert_eq!(
        report.withdraw.as_deref(),
        Some("Delete this report. It has not been sent and never will be.")
    );
    phone.send(Event::WithdrawReport {
        report_id: queued.report_id.clone(),
    });
    assert!(matches!(phone.screen(), Screen::Outbox { .. }));
    assert!(
        phone
            .outbox()
            .iter()
            .all(|i| i.report_id != queued.report_id)
    );
    // Signal comes back, time passes: nothing is sealed or posted.
    phone.serve_directory(&served);
    for _ in 0..3 {
        phone.tick_after(3_600_000);
        while !phone.no_http() {
            let request = phone.take_http();
            assert!(
                !request.operation.url.contains("/v1/submissions"),
                "{}",
                request.operation.url
            );
            phone.respond_status(request, 200, served.clone());
        }
    }
    // Nor after the app is killed and opened again: it is gone from the vault too.
    drop(phone);
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.send(Event::Unlock { pin: PIN.into() });
    assert!(phone.no_http(), "nothing to send");
    assert!(
        phone
            .outbox()
            .iter()
            .all(|i| i.report_id != queued.report_id)
    );
}

#[test]
fn a_sent_report_is_withdrawn_with_the_secret_it_commits_to() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let served = fixture.publish(&fixture.listing(5));
    let mut phone = Phone::start(dir.path(), config(&fixture));
    let code = RecoveryCode::parse(&phone.onboard()).unwrap();
    phone.queue_report((true, false, false), &served);
    phone.serve_directory(&served);
    let (request, body) = phone.take_submission();
    phone.accept(request, &body, 201);
    let sent = item(&mut phone);
    phone.send(Event::OpenReport {
        report_id: sent.report_id.clone(),
    });
    let Screen::Report(report) = phone.screen() else {
        panic!("not the report")
    };
    assert_eq!(
        report.withdraw.as_deref(),
        Some("Ask the organisations to withdraw this report")
    );
    phone.send(Event::WithdrawReport {
        report_id: sent.report_id.clone(),
    });
    // The round posts the withdrawal; no signal the first time, taken the next round.
    let request = phone.take_http();
    assert!(
        request
            .operation
            .url
            .ends_with(&format!("/v1/submissions/{}/withdrawal", sent.report_id))
    );
    phone.drop_connection(request);
    let Screen::Report(report) = phone.screen() else {
        panic!("not the report")
    };
    assert_eq!(report.withdraw, None);
    assert_eq!(
        report.withdrawal.as_deref(),
        Some("You asked to withdraw this report. The request goes out when there is signal.")
    );
    while !phone.no_http() {
        let request = phone.take_http();
        assert!(!request.operation.url.contains("/withdrawal"));
        phone.respond_status(
            request,
            200,
            serde_json::to_vec(&MailboxPage {
                entries: vec![],
                last_seq: 0,
            })
            .unwrap(),
        );
    }
    phone.send(Event::CheckMailbox);
    let mut withdrawal = None;
    while !phone.no_http() {
        let request = phone.take_http();
        if request.operation.url.ends_with("/withdrawal") {
            withdrawal = Some(request.operation.body.clone());
            phone.respond_status(request, 201, Vec::new());
        } else {
            let page = MailboxPage {
                entries: vec![],
                last_seq: 0,
            };
            phone.respond_status(request, 200, serde_json::to_vec(&page).unwrap());
        }
    }
    let withdrawal: WithdrawalRequest = serde_json::from_slice(&withdrawal.unwrap()).unwrap();
    // The secret is the recovery code's for this report, and the sealed report commits to it:
    // what the desk checks.
    let secrets = code.report_secrets(0);
    assert_eq!(withdrawal.secret, hex::encode(*secrets.withdrawal_secret));
    let committed = open_as_union(&fixture, &body).withdrawal_hash.unwrap();
    let mut secret = [0u8; 32];
    hex::decode_to_slice(&withdrawal.secret, &mut secret).unwrap();
    assert!(workvoice_proto::recovery::withdrawal_matches(
        &secret, &committed
    ));
    phone.send(Event::OpenReport {
        report_id: sent.report_id.clone(),
    });
    let Screen::Report(report) = phone.screen() else {
        panic!("not the report")
    };
    assert_eq!(
        report.withdrawal.as_deref(),
        Some("You withdrew this report. The organisations were told.")
    );
    // Taken once: no more withdrawal requests.
    phone.send(Event::CheckMailbox);
    while !phone.no_http() {
        let request = phone.take_http();
        assert!(!request.operation.url.ends_with("/withdrawal"));
        let page = MailboxPage {
            entries: vec![],
            last_seq: 0,
        };
        phone.respond_status(request, 200, serde_json::to_vec(&page).unwrap());
    }
}

#[test]
fn recovery_on_a_new_phone_finds_the_mailboxes_and_reads_replies() {
    let fixture = Fixture::new();
    let served = fixture.publish(&fixture.listing(5));
    let code = RecoveryCode::from_secret([7; 16]);
    let dir = tempfile::tempdir().unwrap();
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.send(Event::StartRecovery);
    phone.send(Event::SubmitNewPin {
        pin: PIN.into(),
        confirm: PIN.into(),
        duress_pin: None,
    });
    assert!(matches!(
        phone.screen(),
        Screen::EnterRecoveryCode { error: None, .. }
    ));
    let text = code.to_text();
    let mut typo = text.clone().into_bytes();
    typo[0] = if typo[0] == b'2' { b'3' } else { b'2' };
    for (input, key) in [
        (text[..10].to_string(), K::RecoveryWrongLength),
        (text.replace(&text[..1], "U"), K::RecoveryBadCharacter),
        (String::from_utf8(typo).unwrap(), K::RecoveryChecksum),
    ] {
        phone.send(Event::SubmitRecoveryCode { code: input });
        match phone.screen() {
            Screen::EnterRecoveryCode { error, .. } => assert_eq!(error, Some(i18n::tr("en", key))),
            other => panic!("{other:?}"),
        }
    }
    phone.send(Event::SubmitRecoveryCode {
        code: text.to_lowercase().replace('-', " "),
    });
    assert!(matches!(phone.screen(), Screen::Recovering { .. }));
    let mut rng = DeterministicRng::new("recovery replies");
    // Reports 0 and 2 exist (1 was never sent); then five unknown mailboxes in a row.
    for index in 0..8u32 {
        let request = phone.take_http();
        let token = workvoice_proto::recovery::mailbox_token_text(
            &code.report_secrets(index).mailbox_token,
        );
        assert!(
            request
                .operation
                .url
                .contains(&format!("/v1/mailbox/{token}")),
            "probe {index}"
        );
        if index == 0 || index == 2 {
            let sealed = seal_reply(
                &ReplyBody {
                    text: format!("Answer to report {index}"),
                    language: "en".into(),
                    written_on: None,
                },
                workvoice_proto::keys::ReportId([index as u8; 16]),
                fixture.union_id,
                &fixture.union_key,
                &code.report_secrets(index).reply_key.public_key(),
                &mut rng,
            )
            .unwrap();
            let page = MailboxPage {
                entries: vec![MailboxEntry {
                    seq: 1,
                    org_id: fixture.union_id,
                    at_hour: 0,
                    item: MailboxItem::Reply { sealed },
                }],
                last_seq: 1,
            };
            phone.respond_status(request, 200, serde_json::to_vec(&page).unwrap());
        } else {
            phone.respond_status(request, 404, api_error("unknown_mailbox", None));
        }
    }
    // Replies wait for the verified directory, then open.
    phone.serve_directory(&served);
    assert!(phone.no_http());
    let view = phone.view();
    assert_eq!(view.notice.unwrap().text, "Found 2 reports.");
    let items = match view.screen {
        Screen::Outbox { items, .. } => items,
        other => panic!("{other:?}"),
    };
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|i| i.state == DeliveryState::Replied));
    let titles: Vec<&str> = items.iter().map(|i| i.title.as_str()).collect();
    assert!(titles.contains(&"Report 3 (from your recovery code)"));
    phone.send(Event::OpenReport {
        report_id: items[0].report_id.clone(),
    });
    match phone.screen() {
        Screen::Report(report) => assert!(report.messages[0].text.starts_with("Answer to report")),
        other => panic!("{other:?}"),
    }
    // A new report on this phone takes the next free number (3), not a used mailbox.
    phone.queue_report((true, false, false), &served);
    phone.serve_directory(&served);
    let (_, body) = phone.take_submission();
    let expected =
        workvoice_proto::recovery::mailbox_token_hash(&code.report_secrets(3).mailbox_token);
    assert_eq!(body.mailbox_token_hash, expected);
}

/// PROTOCOL.md 12: a directory asking for more proof-of-work than the phone accepts is refused
/// with a clear message, nothing is solved or sent, and the report goes once a directory asks
/// for less.
#[test]
fn a_directory_asking_more_proof_of_work_than_the_cap_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    phone.queue_report((true, false, false), &fixture.publish(&fixture.listing(5)));
    let mut grinding = fixture.listing(6);
    grinding.pow_difficulty = sync::MAX_ACCEPTED_POW_DIFFICULTY + 1;
    phone.serve_directory(&fixture.publish(&grinding));
    assert!(phone.no_http(), "nothing solved, nothing sent");
    let waiting = item(&mut phone);
    assert_eq!(waiting.state, DeliveryState::Waiting);
    assert_eq!(
        waiting.detail.as_deref(),
        Some(i18n::tr("en", K::TransientPowTooHard).as_str())
    );
    for language in ["ne", "bn", "my", "id", "tl", "es"] {
        assert_ne!(
            i18n::tr(language, K::TransientPowTooHard),
            i18n::tr("en", K::TransientPowTooHard),
            "{language}"
        );
    }
    // The relay comes back to a sane difficulty: the report goes on its own.
    let wake = phone.view().wake_in_ms.unwrap();
    phone.tick_after(wake);
    phone.serve_directory(&fixture.publish(&fixture.listing(7)));
    let (request, body) = phone.take_submission();
    assert_eq!(body.directory_version, 7);
    assert!(workvoice_proto::pow::verify_pow(&body.submission_id, body.pow_nonce, 8).is_ok());
    phone.accept(request, &body, 201);
    assert_eq!(item(&mut phone).state, DeliveryState::Sent);
}

/// The proof-of-work is solved in slices through the event loop: between two slices the app
/// handles other events, and `Lock` locks at once, dropping the solve.
#[test]
fn lock_during_a_proof_of_work_locks_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let mut listing = fixture.listing(5);
    listing.pow_difficulty = sync::MAX_ACCEPTED_POW_DIFFICULTY;
    let served = fixture.publish(&listing);
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    phone.queue_report((true, false, false), &served);
    phone.serve_directory(&served);
    // One slice was tried; the next waits for the shell's Tick, asked for at once.
    assert!(phone.no_http(), "still solving");
    assert_eq!(phone.view().wake_in_ms, Some(0));

    phone.send(Event::Lock);
    assert!(matches!(phone.screen(), Screen::Unlock { .. }));
    assert!(phone.vault().is_none(), "the vault is closed");

    // The report was sealed as the app locked; the courier solves its proof-of-work, slice
    // after slice, and sends it without the PIN.
    let mut slices: u64 = 1;
    while phone.no_http() {
        assert!(matches!(phone.screen(), Screen::Unlock { .. }));
        assert_eq!(phone.view().wake_in_ms, Some(0));
        phone.send(Event::Tick);
        slices += 1;
        assert!(slices < 10_000, "the solve ends");
    }
    let (request, body) = phone.take_submission();
    assert!(
        workvoice_proto::pow::verify_pow(
            &body.submission_id,
            body.pow_nonce,
            sync::MAX_ACCEPTED_POW_DIFFICULTY
        )
        .is_ok()
    );
    assert_eq!(
        slices,
        body.pow_nonce / u64::from(sync::POW_SLICE) + 1,
        "one slice per step"
    );
    phone.accept(request, &body, 201);
    phone.send(Event::Unlock { pin: PIN.into() });
    assert_eq!(item(&mut phone).state, DeliveryState::Sent);
    assert!(phone.no_http(), "sent once");
}

/// A relay that swaps a key in for one round holds the report back (the worker is told); the
/// report is tried again on its own and goes in the next round whose directory is good.
#[test]
fn a_report_held_back_by_a_one_round_key_swap_is_sent_in_the_next_good_round() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    phone.queue_report((true, false, false), &fixture.publish(&fixture.listing(5)));
    let mut swapped = fixture.listing(6);
    let relay_key = HpkePrivateKey::generate(&mut DeterministicRng::new("relay's own key"));
    swapped.organisations[0].certificate = Signed::sign(
        &OrgCertificate {
            org_id: fixture.union_id,
            kind: OrgKind::Union,
            hpke_public_key: relay_key.public_key(),
            key_version: 2,
            valid_from: 0,
            valid_until: u64::MAX,
        },
        ORG_CERT_CONTEXT,
        &fixture.relay,
    );
    phone.serve_directory(&fixture.publish(&swapped));
    assert!(phone.no_http(), "nothing sealed to the swapped key");
    let held = item(&mut phone);
    assert_eq!(held.state, DeliveryState::Failed);
    assert!(
        held.detail
            .as_deref()
            .unwrap_or_default()
            .contains("Building Workers Union"),
        "{held:?}"
    );
    // No tap: the next round fetches a good directory and sends.
    let wake = phone.view().wake_in_ms.expect("the report is tried again");
    phone.tick_after(wake);
    phone.serve_directory(&fixture.publish(&fixture.listing(7)));
    let (request, body) = phone.take_submission();
    assert_eq!(body.directory_version, 7);
    assert_eq!(open_as_union(&fixture, &body).report_id, body.submission_id);
    phone.accept(request, &body, 201);
    let sent = item(&mut phone);
    assert_eq!(sent.state, DeliveryState::Sent);
    assert_eq!(sent.detail, None);
}
