//! Reporting escrow on the phone (`PROTOCOL.md` 18.10): the worker's question on the consent
//! step, and the escrow flow of the sync engine (`app/escrow.rs`) against a relay and a union
//! desk the test plays, with the real OPRF keys and the fixture's union key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{PIN, Phone, Seen, config};
use workvoice_core::app::*;
use workvoice_core::i18n::{self, K};
use workvoice_proto::api::{
    ApiError, ChainedOprfQueued, ChainedOprfRequest, ChainedOprfState, ChainedOprfStatus,
    EscrowAccepted, EscrowState, EscrowSubmissionRequest, WithdrawalRequest,
};
use workvoice_proto::envelope::open;
use workvoice_proto::escrow::{
    EscrowParams, EscrowedReport, OprfKey, OprfRequest, ParsedEscrow, canonical_recruiter,
    escrow_withdrawal_hash, expected_report_key, open_share, oprf_pow_id,
};
use workvoice_proto::keys::ReportId;
use workvoice_proto::pow::verify_pow;
use workvoice_proto::report::Report;
use workvoice_proto::vectors::{DeterministicRng, Fixture};

const EPOCH: u32 = 2_968;
const REQUEST: &str = "0123456789abcdef0123456789abcdef";

/// The relay's and the union's OPRF keys for the epoch (the chained OPRF, 18.3).
struct Keys {
    relay: OprfKey,
    union: OprfKey,
}

impl Keys {
    fn new() -> Self {
        Self {
            relay: OprfKey::derive(&[1; 32], b"relay epoch").unwrap(),
            union: OprfKey::derive(&[2; 32], b"union epoch").unwrap(),
        }
    }

    fn evaluate(&self, blinded: &[u8]) -> Vec<u8> {
        let z1 = self.relay.evaluate_blinded(blinded).unwrap();
        self.union.evaluate_blinded(&z1).unwrap().to_vec()
    }
}

fn json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap()
}

fn api_error(code: &str) -> Vec<u8> {
    json(&ApiError {
        error: code.into(),
        message: code.into(),
        directory_version: None,
    })
}

fn compose_view(phone: &Phone) -> ComposeView {
    match phone.screen() {
        Screen::Compose(c) => c,
        other => panic!("not compose: {other:?}"),
    }
}

fn escrow_group(view: &ComposeView) -> Option<OptionGroup> {
    view.options
        .iter()
        .find(|g| g.id == FieldId::Escrow)
        .cloned()
}

/// The consent step of the Fixture's report with `consent`, once the directory is known (the
/// review fetched it).
fn consent_step(phone: &mut Phone, consent: (bool, bool, bool), served: &[u8]) -> ComposeView {
    phone.compose_report(consent);
    phone.send(Event::Review);
    phone.serve_directory(served);
    phone.send(Event::GoToStep {
        step: Step::Consent,
    });
    compose_view(phone)
}

/// Compose the Fixture's report for the union, choose to wait, and queue it.
fn queue_escrowed(phone: &mut Phone, served: &[u8]) {
    let view = consent_step(phone, (true, false, false), served);
    assert!(escrow_group(&view).is_some());
    phone.send(Event::Pick {
        field: FieldId::Escrow,
        code: "wait".into(),
    });
    phone.send(Event::Review);
    serve_directories(phone, served);
    assert!(matches!(phone.screen(), Screen::Review(_)));
    phone.send(Event::SendReport);
    assert!(matches!(phone.screen(), Screen::Outbox { .. }));
}

fn item(phone: &mut Phone) -> OutboxItem {
    phone
        .outbox()
        .into_iter()
        .find(|i| i.state != DeliveryState::Draft)
        .expect("a report in the outbox")
}

fn en(key: K) -> String {
    i18n::tr("en", key)
}

/// Takes the OPRF request: checks its union and proof-of-work, returns it with its body.
fn take_oprf(phone: &mut Phone, fixture: &Fixture) -> (common::PendingHttp, ChainedOprfRequest) {
    let request = phone.take_http();
    assert_eq!(request.operation.method, HttpMethod::Post);
    assert!(
        request.operation.url.ends_with("/v1/escrow/oprf/org"),
        "{}",
        request.operation.url
    );
    let body: ChainedOprfRequest = serde_json::from_slice(&request.operation.body).unwrap();
    assert_eq!(body.organisation, fixture.union_id.to_hex());
    assert_eq!(body.blinded.len(), 32);
    verify_pow(&oprf_pow_id(&body.blinded), body.pow_nonce, 8).expect("a valid proof-of-work");
    (request, body)
}

fn take_poll(phone: &mut Phone) -> common::PendingHttp {
    let request = phone.take_http();
    assert_eq!(request.operation.method, HttpMethod::Get);
    assert!(
        request
            .operation
            .url
            .ends_with(&format!("/v1/escrow/oprf/org/{REQUEST}")),
        "{}",
        request.operation.url
    );
    request
}

fn take_escrow(phone: &mut Phone) -> (common::PendingHttp, EscrowSubmissionRequest) {
    let request = phone.take_http();
    assert_eq!(request.operation.method, HttpMethod::Post);
    assert!(
        request.operation.url.ends_with("/v1/escrow"),
        "{}",
        request.operation.url
    );
    let body: EscrowSubmissionRequest = serde_json::from_slice(&request.operation.body).unwrap();
    (request, body)
}

fn answered(keys: &Keys, blinded: &[u8]) -> Vec<u8> {
    json(&ChainedOprfState {
        state: ChainedOprfStatus::Answered,
        epoch: EPOCH,
        evaluated: Some(keys.evaluate(blinded)),
    })
}

fn queued() -> Vec<u8> {
    json(&ChainedOprfQueued {
        epoch: EPOCH,
        request: REQUEST.into(),
    })
}

fn accepted(state: EscrowState) -> Vec<u8> {
    json(&EscrowAccepted { state })
}

/// The index of the last flushed outbox write and of the last request to `path`.
fn stored_before_sent(phone: &Phone, path: &str) -> bool {
    let write = phone.seen.iter().rposition(|s| {
        matches!(s, Seen::VaultWrite { keys, flush: true } if keys.iter().any(|k| k.starts_with("put outbox/")))
    });
    let sent = phone
        .seen
        .iter()
        .rposition(|s| matches!(s, Seen::Http(h) if h.ends_with(path)));
    matches!((write, sent), (Some(w), Some(s)) if w < s)
}

/// A phone with one escrowed report queued, the test's fixture, the directory it is served and
/// the union's OPRF keys; the temporary folder lives as long as it.
struct Escrowing {
    dir: tempfile::TempDir,
    fixture: Fixture,
    served: Vec<u8>,
    keys: Keys,
    phone: Phone,
}

fn escrowing() -> Escrowing {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let served = fixture.publish(&fixture.listing(5));
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    queue_escrowed(&mut phone, &served);
    Escrowing {
        dir,
        fixture,
        served,
        keys: Keys::new(),
        phone,
    }
}

impl Escrowing {
    /// The send round's directory, the OPRF request queued (`202`) and its poll answered by the
    /// union: the phone goes on to seal and post its escrow submission. The OPRF request.
    fn through_the_oprf(&mut self) -> ChainedOprfRequest {
        self.phone.serve_directory(&self.served);
        let (request, oprf) = take_oprf(&mut self.phone, &self.fixture);
        self.phone.respond_status(request, 202, queued());
        let poll = take_poll(&mut self.phone);
        self.phone
            .respond_status(poll, 200, answered(&self.keys, &oprf.blinded));
        oprf
    }
}

#[test]
fn the_question_is_offered_only_for_a_recruiter_the_union_may_read_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let served = fixture.publish(&fixture.listing(5));
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();

    // The union may not read it: no question.
    let view = consent_step(&mut phone, (false, true, false), &served);
    assert_eq!(escrow_group(&view), None);

    // The union may: the question, "send now" chosen until she picks the other.
    phone.send(Event::Pick {
        field: FieldId::Consent,
        code: "union".into(),
    });
    let group = escrow_group(&compose_view(&phone)).expect("the question");
    assert_eq!(group.label, en(K::EscrowQuestion));
    assert!(!group.multiple);
    let choices: Vec<(&str, &str, bool)> = group
        .choices
        .iter()
        .map(|c| (c.code.as_str(), c.label.as_str(), c.selected))
        .collect();
    assert_eq!(
        choices,
        [
            ("now", en(K::EscrowNow).as_str(), true),
            ("wait", en(K::EscrowWait).as_str(), false)
        ]
    );
    assert!(compose_view(&phone).help.contains("until 3 workers"));

    // No recruiter: no question.
    phone.send(Event::SetRecruiter {
        name: String::new(),
        licence_number: String::new(),
        country: String::new(),
    });
    assert_eq!(escrow_group(&compose_view(&phone)), None);
    phone.send(Event::SetRecruiter {
        name: "Sagarmatha Manpower".into(),
        licence_number: "1234/067".into(),
        country: "np".into(),
    });

    // She chooses to wait: on the draft, kept across a restart.
    phone.send(Event::Pick {
        field: FieldId::Escrow,
        code: "wait".into(),
    });
    let group = escrow_group(&compose_view(&phone)).unwrap();
    assert!(group.choices.iter().any(|c| c.code == "wait" && c.selected));
    drop(phone);
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.send(Event::Unlock { pin: PIN.into() });
    serve_directories(&mut phone, &served);
    phone.send(Event::NewReport);
    phone.send(Event::GoToStep {
        step: Step::Consent,
    });
    let group = escrow_group(&compose_view(&phone)).expect("the question");
    assert!(group.choices.iter().any(|c| c.code == "wait" && c.selected));
}

#[test]
fn an_escrowed_report_goes_through_the_chained_oprf_and_opens_only_at_the_union() {
    let Escrowing {
        dir: _dir,
        fixture,
        served,
        keys,
        mut phone,
    } = escrowing();

    // The send round: the directory, then the OPRF request, stored before it is posted.
    phone.serve_directory(&served);
    let (request, oprf) = take_oprf(&mut phone, &fixture);
    assert!(stored_before_sent(&phone, "/v1/escrow/oprf/org"));
    // No plain submission, ever.
    assert!(
        !phone
            .seen
            .iter()
            .any(|s| matches!(s, Seen::Http(h) if h.ends_with("/v1/submissions")))
    );
    phone.respond_status(request, 202, queued());

    // Polled at once: still queued, so polled again later.
    let poll = take_poll(&mut phone);
    phone.respond_status(
        poll,
        200,
        json(&ChainedOprfState {
            state: ChainedOprfStatus::Queued,
            epoch: EPOCH,
            evaluated: None,
        }),
    );
    assert!(phone.no_http());
    assert_eq!(item(&mut phone).detail, Some(en(K::EscrowPreparing)));

    // The union's desk answered: the phone seals, stores, then posts the submission.
    phone.tick_after(2_000);
    if phone
        .http
        .front()
        .is_some_and(|r| r.operation.url.ends_with("/v1/directory"))
    {
        phone.serve_directory(&served);
    }
    let poll = take_poll(&mut phone);
    phone.respond_status(poll, 200, answered(&keys, &oprf.blinded));
    let (request, submission) = take_escrow(&mut phone);
    assert!(stored_before_sent(&phone, "/v1/escrow"));

    // The bytes parse as the relay parses them, and the share opens with the union's key.
    let parsed = ParsedEscrow::parse(&submission.escrow).unwrap();
    let params = EscrowParams {
        org: fixture.union_id,
        epoch: EPOCH,
        threshold: 3,
    };
    assert_eq!(parsed.header.params, params);
    verify_pow(&ReportId(parsed.header.escrow_id), submission.pow_nonce, 8).unwrap();
    let share = open_share(&submission.escrow, &fixture.union_key).unwrap();
    assert_eq!(share.tag, parsed.header.tag);
    assert!(open_share(&submission.escrow, &fixture.inspectorate_key).is_err());

    // The report is sealed under the group's key: the OPRF output of the same recruiter
    // (another blind gives the same output) derives it, and the envelope inside opens at the
    // union only.
    let recruiter = canonical_recruiter("Sagarmatha Manpower", Some("1234/067")).unwrap();
    let mut rng = DeterministicRng::new("test blind");
    let other = OprfRequest::blind(&recruiter, &mut rng).unwrap();
    let output = other
        .finalize(&keys.evaluate(other.blinded_element()))
        .unwrap();
    let key = expected_report_key(&output, &params).unwrap();
    let escrowed = open_with_key(&submission.escrow, &key);
    let escrowed = EscrowedReport::from_bytes(&escrowed).unwrap();
    let opened = open(
        &escrowed.envelope,
        fixture.union_id,
        &fixture.union_key,
        &workvoice_proto::routing::disclosure_digest(&escrowed.tags, &escrowed.consent),
    )
    .unwrap();
    let report = Report::decode(&opened.plaintext).unwrap();
    assert_eq!(report.free_text, "They kept my passport.");
    assert!(
        open(
            &escrowed.envelope,
            fixture.inspectorate_id,
            &fixture.inspectorate_key,
            &workvoice_proto::routing::disclosure_digest(&escrowed.tags, &escrowed.consent),
        )
        .is_err()
    );

    // Accepted, waiting: "waiting for others (3 needed)", never a count of others.
    phone.respond_status(request, 201, accepted(EscrowState::Waiting));
    let shown = item(&mut phone);
    assert_eq!(shown.state, DeliveryState::Sent);
    assert_eq!(
        shown.state_text,
        i18n::trf("en", K::EscrowWaiting, &[("count", "3".into())])
    );
    assert_eq!(shown.state_text, "Waiting for others (3 needed)");
    // Nothing more to do: no mailbox exists yet.
    phone.send(Event::CheckMailbox);
    assert!(
        phone.no_http(),
        "{:?}",
        phone.http.front().map(|r| &r.operation.url)
    );
}

/// XChaCha20-Poly1305 opening of an escrow submission's report under `key` (18.6 step 5).
fn open_with_key(bytes: &[u8], key: &[u8; 32]) -> Vec<u8> {
    use chacha20poly1305::aead::{Aead, KeyInit, Payload};
    use chacha20poly1305::{XChaCha20Poly1305, XNonce};
    let parsed = ParsedEscrow::parse(bytes).unwrap();
    let header = &bytes[..workvoice_proto::escrow::HEADER_LEN];
    let share_len = workvoice_proto::escrow::sealed_share_len(parsed.header.params.threshold);
    let sealed = &bytes[workvoice_proto::escrow::HEADER_LEN + share_len..];
    let (nonce, ct) = sealed.split_at(24);
    let nonce: [u8; 24] = nonce.try_into().unwrap();
    XChaCha20Poly1305::new(key.into())
        .decrypt(
            &XNonce::from(nonce),
            Payload {
                msg: ct,
                aad: header,
            },
        )
        .unwrap()
}

#[test]
fn a_killed_app_polls_the_same_request_and_resends_the_same_bytes() {
    let Escrowing {
        dir,
        fixture,
        served,
        keys,
        mut phone,
    } = escrowing();
    phone.serve_directory(&served);
    let (request, oprf) = take_oprf(&mut phone, &fixture);

    // Killed before the relay's answer arrived: the same blinded element and nonce again.
    drop(request);
    drop(phone);
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.send(Event::Unlock { pin: PIN.into() });
    phone.serve_directory(&served);
    let (request, again) = take_oprf(&mut phone, &fixture);
    assert_eq!(again, oprf);
    phone.respond_status(request, 202, queued());

    // Killed while polling: the same request id is polled, no new OPRF request.
    let poll = take_poll(&mut phone);
    drop(poll);
    drop(phone);
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.send(Event::Unlock { pin: PIN.into() });
    phone.serve_directory(&served);
    let poll = take_poll(&mut phone);
    phone.respond_status(poll, 200, answered(&keys, &oprf.blinded));
    let (request, first) = take_escrow(&mut phone);
    let first_bytes = request.operation.body.clone();

    // Killed while the submission was in flight: exactly the stored bytes again.
    drop(request);
    drop(phone);
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.send(Event::Unlock { pin: PIN.into() });
    phone.serve_directory(&served);
    let (request, second) = take_escrow(&mut phone);
    assert_eq!(request.operation.body, first_bytes);
    assert_eq!(second, first);
    // The relay had stored the first: 200 with its state.
    phone.respond_status(request, 200, accepted(EscrowState::Released));
    assert_eq!(item(&mut phone).state_text, en(K::EscrowReleased));
    assert!(phone.no_http());
}

#[test]
fn a_refusal_by_the_union_is_told_and_the_report_can_be_sent_now() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let served = fixture.publish(&fixture.listing(5));
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    queue_escrowed(&mut phone, &served);
    phone.serve_directory(&served);
    let (request, _) = take_oprf(&mut phone, &fixture);
    phone.respond_status(request, 202, queued());
    let poll = take_poll(&mut phone);
    phone.respond_status(
        poll,
        200,
        json(&ChainedOprfState {
            state: ChainedOprfStatus::Refused,
            epoch: EPOCH,
            evaluated: None,
        }),
    );
    let shown = item(&mut phone);
    assert_eq!(shown.state, DeliveryState::Failed);
    assert_eq!(shown.detail, Some(en(K::EscrowRefused)));
    assert_eq!(shown.retry, Some(en(K::EscrowNow)));
    assert!(phone.no_http());

    // "Send now": a plain submission, to whom her consent allows.
    phone.send(Event::RetryReport {
        report_id: shown.report_id.clone(),
    });
    phone.serve_directory(&served);
    let (request, submission) = phone.take_submission();
    assert_eq!(submission.submission_id.to_hex(), shown.report_id);
    phone.accept(request, &submission, 201);
    assert_eq!(item(&mut phone).state, DeliveryState::Sent);
}

#[test]
fn a_bad_answer_from_the_relay_is_a_clear_failure_with_nothing_half_stored() {
    let mut started = escrowing();
    started.through_the_oprf();
    let Escrowing {
        dir: _dir,
        fixture,
        served,
        mut phone,
        ..
    } = started;
    let (request, _) = take_escrow(&mut phone);
    phone.respond_status(request, 422, api_error("escrow_threshold_mismatch"));
    let shown = item(&mut phone);
    assert_eq!(shown.state, DeliveryState::Failed);
    assert_eq!(
        shown.detail,
        Some(i18n::trf(
            "en",
            K::FailedRefused,
            &[("code", "escrow_threshold_mismatch".into())]
        ))
    );
    assert!(phone.no_http());

    // A refusal of the OPRF request itself: failed, no request id stored, nothing polled.
    let dir = tempfile::tempdir().unwrap();
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    queue_escrowed(&mut phone, &served);
    phone.serve_directory(&served);
    let (request, _) = take_oprf(&mut phone, &fixture);
    phone.respond_status(request, 422, api_error("unknown_recipient"));
    let shown = item(&mut phone);
    assert_eq!(shown.state, DeliveryState::Failed);
    assert!(shown.detail.unwrap().contains("unknown_recipient"));
    assert!(phone.no_http());
    // Restarted: still failed, nothing sent.
    drop(phone);
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.send(Event::Unlock { pin: PIN.into() });
    serve_directories(&mut phone, &served);
    assert!(phone.no_http());
    assert_eq!(item(&mut phone).state, DeliveryState::Failed);
}

#[test]
fn a_waiting_escrowed_report_is_withdrawn_with_its_secret() {
    let mut started = escrowing();
    started.through_the_oprf();
    let Escrowing {
        dir: _dir,
        mut phone,
        ..
    } = started;
    let (request, submission) = take_escrow(&mut phone);
    phone.respond_status(request, 201, accepted(EscrowState::Waiting));
    let parsed = ParsedEscrow::parse(&submission.escrow).unwrap();
    let report_id = item(&mut phone).report_id;

    phone.send(Event::WithdrawReport {
        report_id: report_id.clone(),
    });
    let request = phone.take_http();
    assert_eq!(request.operation.method, HttpMethod::Post);
    assert!(
        request.operation.url.ends_with(&format!(
            "/v1/escrow/{}/withdrawal",
            hex::encode(parsed.header.escrow_id)
        )),
        "{}",
        request.operation.url
    );
    let body: WithdrawalRequest = serde_json::from_slice(&request.operation.body).unwrap();
    let mut secret = [0u8; 32];
    hex::decode_to_slice(&body.secret, &mut secret).unwrap();
    // The relay's check: the secret hashes to the submission's withdrawal hash.
    assert_eq!(
        escrow_withdrawal_hash(&secret),
        parsed.header.withdrawal_hash
    );
    phone.respond_status(request, 204, Vec::new());
    phone.send(Event::OpenReport {
        report_id: report_id.clone(),
    });
    let Screen::Report(view) = phone.screen() else {
        panic!("not the report");
    };
    assert_eq!(view.withdrawal, Some(en(K::EscrowWithdrawn)));
    assert!(phone.no_http());
}

/// Serves every pending directory fetch of a round.
fn serve_directories(phone: &mut Phone, served: &[u8]) {
    while phone
        .http
        .front()
        .is_some_and(|r| r.operation.url.ends_with("/v1/directory"))
    {
        phone.serve_directory(served);
    }
}

#[test]
fn a_retired_request_or_a_stale_epoch_starts_again_with_a_new_blind() {
    let Escrowing {
        dir: _dir,
        fixture,
        served,
        keys,
        mut phone,
    } = escrowing();
    phone.serve_directory(&served);
    let (request, first) = take_oprf(&mut phone, &fixture);
    phone.respond_status(request, 202, queued());

    // The relay no longer knows the request (its epoch was retired): a new blind, later.
    let poll = take_poll(&mut phone);
    phone.respond_status(poll, 404, api_error("unknown_oprf_request"));
    assert!(phone.no_http());
    phone.tick_after(2_000);
    serve_directories(&mut phone, &served);
    let (request, second) = take_oprf(&mut phone, &fixture);
    assert_ne!(second.blinded, first.blinded);
    phone.respond_status(request, 202, queued());
    let poll = take_poll(&mut phone);
    phone.respond_status(poll, 200, answered(&keys, &second.blinded));
    let (request, stale) = take_escrow(&mut phone);

    // The epoch turned before the submission arrived: nothing was stored at the relay, so a
    // new OPRF request and a new submission, never the stale bytes again.
    phone.respond_status(request, 422, api_error("escrow_stale_epoch"));
    assert!(phone.no_http());
    phone.tick_after(4_000);
    serve_directories(&mut phone, &served);
    let (request, third) = take_oprf(&mut phone, &fixture);
    assert_ne!(third.blinded, second.blinded);
    phone.respond_status(request, 202, queued());
    let poll = take_poll(&mut phone);
    phone.respond_status(poll, 200, answered(&keys, &third.blinded));
    let (request, fresh) = take_escrow(&mut phone);
    assert_ne!(
        ParsedEscrow::parse(&fresh.escrow).unwrap().header.escrow_id,
        ParsedEscrow::parse(&stale.escrow).unwrap().header.escrow_id
    );
    phone.respond_status(request, 201, accepted(EscrowState::Waiting));
    assert_eq!(item(&mut phone).state_text, "Waiting for others (3 needed)");
}

#[test]
fn a_locked_phone_holds_an_escrowed_report_and_goes_on_at_unlock() {
    let Escrowing {
        dir: _dir,
        fixture,
        served,
        keys,
        mut phone,
    } = escrowing();
    phone.serve_directory(&served);
    let (request, oprf) = take_oprf(&mut phone, &fixture);
    phone.respond_status(request, 202, queued());
    let poll = take_poll(&mut phone);
    phone.respond_status(
        poll,
        200,
        json(&ChainedOprfState {
            state: ChainedOprfStatus::Queued,
            epoch: EPOCH,
            evaluated: None,
        }),
    );

    // Locked: the courier has nothing of it (no escrow request, no sealing without the PIN).
    phone.send(Event::Background);
    assert!(matches!(phone.screen(), Screen::Unlock { .. }));
    for _ in 0..3 {
        phone.tick_after(30_000);
    }
    assert!(
        phone.no_http(),
        "{:?}",
        phone.http.front().map(|r| &r.operation.url)
    );

    // Unlocked: the same request is polled, and the submission goes out.
    phone.send(Event::Unlock { pin: PIN.into() });
    serve_directories(&mut phone, &served);
    let poll = take_poll(&mut phone);
    phone.respond_status(poll, 200, answered(&keys, &oprf.blinded));
    let (request, _) = take_escrow(&mut phone);
    phone.respond_status(request, 201, accepted(EscrowState::Released));
    assert_eq!(item(&mut phone).state_text, en(K::EscrowReleased));
}

#[test]
fn a_second_escrow_about_the_same_recruiter_from_one_phone_is_told_and_can_be_sent_now() {
    let mut started = escrowing();
    started.through_the_oprf();
    let Escrowing {
        dir: _dir,
        served,
        mut phone,
        ..
    } = started;
    let (request, _) = take_escrow(&mut phone);
    // The relay holds another submission of this device's source under the tag.
    phone.respond_status(request, 409, api_error("escrow_duplicate_source"));
    let shown = item(&mut phone);
    assert_eq!(shown.state, DeliveryState::Failed);
    assert_eq!(shown.detail, Some(en(K::EscrowDuplicate)));
    assert_eq!(shown.retry, Some(en(K::EscrowNow)));
    assert!(phone.no_http());
    phone.send(Event::RetryReport {
        report_id: shown.report_id.clone(),
    });
    phone.serve_directory(&served);
    let (request, submission) = phone.take_submission();
    assert_eq!(submission.submission_id.to_hex(), shown.report_id);
    phone.accept(request, &submission, 201);
    assert_eq!(item(&mut phone).state, DeliveryState::Sent);
}
