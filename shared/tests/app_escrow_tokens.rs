//! Anonymous escrow tokens on the phone (`PROTOCOL.md` 18.12, `app/tokens.rs`): the invite in
//! Settings, the question offered at a union that takes invites only once one is kept, and the
//! tokens that pay for the OPRF request and the escrow submission, against a relay the test
//! plays with real issuer keys (`IssuerKey::derive`), so its issuance answers are genuine.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{PIN, Phone, Seen, config};
use workvoice_core::app::*;
use workvoice_core::i18n::{self, K};
use workvoice_proto::api::{
    ApiError, ChainedOprfQueued, ChainedOprfRequest, ChainedOprfState, ChainedOprfStatus,
    EscrowAccepted, EscrowState, EscrowTokenKeys, EscrowTokenRequest, EscrowTokenResponses,
};
use workvoice_proto::codec::{from_base64, to_base64};
use workvoice_proto::escrow::OprfKey;
use workvoice_proto::token::{
    Invite, IssuerKey, TOKEN_REQUEST_LEN, TokenPurpose, parse_authorization,
};
use workvoice_proto::vectors::{DeterministicRng, Fixture};

const EPOCH: u32 = 2_968;
const REQUEST: &str = "0123456789abcdef0123456789abcdef";
const RELAY_SECRET: [u8; 32] = [7; 32];

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

fn en(key: K) -> String {
    i18n::tr("en", key)
}

/// The relay the test plays: its OPRF step and the union's, and the union's token issuer keys.
struct Relay {
    fixture: Fixture,
    relay: OprfKey,
    union: OprfKey,
    rng: DeterministicRng,
}

impl Relay {
    fn new() -> Self {
        Self {
            fixture: Fixture::new(),
            relay: OprfKey::derive(&[1; 32], b"relay epoch").unwrap(),
            union: OprfKey::derive(&[2; 32], b"union epoch").unwrap(),
            rng: DeterministicRng::new("issuer"),
        }
    }

    fn key(&self, purpose: TokenPurpose) -> IssuerKey {
        IssuerKey::derive(
            &RELAY_SECRET,
            self.fixture.union_id.as_bytes(),
            EPOCH,
            purpose,
        )
        .unwrap()
    }

    /// The directory, with the union taking invites or not.
    fn served(&self, invites: bool) -> Vec<u8> {
        let mut listing = self.fixture.listing(5);
        for org in &mut listing.organisations {
            if org.id == self.fixture.union_id {
                org.escrow_invites = invites;
            }
        }
        self.fixture.publish(&listing)
    }

    fn keys(&self) -> Vec<u8> {
        json(&EscrowTokenKeys {
            epoch: EPOCH,
            oprf_key: self.key(TokenPurpose::Oprf).public_key().to_vec(),
            escrow_key: self.key(TokenPurpose::Escrow).public_key().to_vec(),
            oprf_budget: 4,
            escrow_budget: 2,
        })
    }

    /// Genuine answers to a token request.
    fn issue(&mut self, request: &EscrowTokenRequest) -> Vec<u8> {
        let key = self.key(request.purpose);
        let responses = request
            .requests
            .iter()
            .map(|r| to_base64(&key.issue(&from_base64(r).unwrap(), &mut self.rng).unwrap()))
            .collect();
        json(&EscrowTokenResponses {
            epoch: EPOCH,
            responses,
        })
    }

    fn answered(&self, blinded: &[u8]) -> Vec<u8> {
        let z1 = self.relay.evaluate_blinded(blinded).unwrap();
        json(&ChainedOprfState {
            state: ChainedOprfStatus::Answered,
            epoch: EPOCH,
            evaluated: Some(self.union.evaluate_blinded(&z1).unwrap().to_vec()),
        })
    }
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

fn serve_directories(phone: &mut Phone, served: &[u8]) {
    while phone
        .http
        .front()
        .is_some_and(|r| r.operation.url.ends_with("/v1/directory"))
    {
        phone.serve_directory(served);
    }
}

/// The consent step of the Fixture's report for the union, once the directory is known.
fn consent_step(phone: &mut Phone, served: &[u8]) -> ComposeView {
    phone.compose_report((true, false, false));
    phone.send(Event::Review);
    phone.serve_directory(served);
    phone.send(Event::GoToStep {
        step: Step::Consent,
    });
    compose_view(phone)
}

/// Compose the Fixture's report for the union, choose to wait, and queue it.
fn queue_escrowed(phone: &mut Phone, served: &[u8]) {
    let view = consent_step(phone, served);
    assert!(escrow_group(&view).is_some(), "the question is offered");
    phone.send(Event::Pick {
        field: FieldId::Escrow,
        code: "wait".into(),
    });
    phone.send(Event::Review);
    serve_directories(phone, served);
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

struct SettingsShown {
    kept: Option<String>,
    error: Option<String>,
}

fn settings(phone: &mut Phone) -> SettingsShown {
    phone.send(Event::OpenSettings);
    shown(phone)
}

fn set_invite(phone: &mut Phone, code: &str) -> SettingsShown {
    phone.send(Event::OpenSettings);
    phone.send(Event::SetEscrowInvite { code: code.into() });
    shown(phone)
}

/// The invite field of the settings screen on show.
fn shown(phone: &mut Phone) -> SettingsShown {
    match phone.screen() {
        Screen::Settings {
            escrow_invite_kept,
            escrow_invite_error,
            ..
        } => SettingsShown {
            kept: escrow_invite_kept,
            error: escrow_invite_error,
        },
        other => panic!("not settings: {other:?}"),
    }
}

fn invite() -> Invite {
    Invite::random(&mut DeterministicRng::new("invite"))
}

fn restart(dir: &std::path::Path, fixture: &Fixture) -> Phone {
    let mut phone = Phone::start(dir, config(fixture));
    phone.send(Event::Unlock { pin: PIN.into() });
    phone
}

fn header(request: &HttpRequest, name: &str) -> Option<String> {
    request
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.clone())
}

/// The token a paid request carries, checked as the relay checks it: it verifies under the
/// key of `purpose` and not under the other one.
fn assert_paid(request: &HttpRequest, relay: &Relay, purpose: TokenPurpose) -> Vec<u8> {
    let value = header(request, "authorization").expect("a PrivateToken authorization");
    assert!(value.starts_with("PrivateToken token="), "{value}");
    let token = parse_authorization(&value).unwrap();
    relay.key(purpose).verify(&token).expect("a valid token");
    let other = match purpose {
        TokenPurpose::Oprf => TokenPurpose::Escrow,
        TokenPurpose::Escrow => TokenPurpose::Oprf,
    };
    assert!(relay.key(other).verify(&token).is_err());
    token
}

fn take(phone: &mut Phone, method: HttpMethod, path: &str) -> common::PendingHttp {
    let request = phone.take_http();
    assert_eq!(
        request.operation.method, method,
        "{}",
        request.operation.url
    );
    assert!(
        request.operation.url.ends_with(path),
        "expected {path}, got {}",
        request.operation.url
    );
    request
}

fn take_keys(phone: &mut Phone, relay: &Relay) -> common::PendingHttp {
    let path = format!("/v1/escrow/tokens/{}", relay.fixture.union_id.to_hex());
    take(phone, HttpMethod::Get, &path)
}

fn take_token_request(
    phone: &mut Phone,
    relay: &Relay,
    purpose: TokenPurpose,
) -> (common::PendingHttp, EscrowTokenRequest) {
    let request = take(phone, HttpMethod::Post, "/v1/escrow/tokens");
    let body: EscrowTokenRequest = serde_json::from_slice(&request.operation.body).unwrap();
    assert_eq!(body.organisation, relay.fixture.union_id.to_hex());
    assert_eq!(body.invite, invite().to_hex());
    assert_eq!(body.purpose, purpose);
    assert_eq!(body.epoch, EPOCH);
    assert_eq!(body.requests.len(), 1);
    let bytes = from_base64(&body.requests[0]).unwrap();
    assert_eq!(bytes.len(), TOKEN_REQUEST_LEN);
    assert_eq!(TOKEN_REQUEST_LEN, 52);
    relay.key(purpose).check_request(&bytes).unwrap();
    (request, body)
}

fn take_oprf(phone: &mut Phone) -> (common::PendingHttp, ChainedOprfRequest) {
    let request = take(phone, HttpMethod::Post, "/v1/escrow/oprf/org");
    let body = serde_json::from_slice(&request.operation.body).unwrap();
    (request, body)
}

/// Whether the outbox record was written (flushed) after the answer to the previous request
/// and before the last request to `path`: what that request depends on was stored first.
fn stored_before_sent(phone: &Phone, path: &str) -> bool {
    let Some(sent) = phone
        .seen
        .iter()
        .rposition(|s| matches!(s, Seen::Http(h) if h.ends_with(path)))
    else {
        return false;
    };
    let previous = phone.seen[..sent]
        .iter()
        .rposition(|s| matches!(s, Seen::Http(_)))
        .unwrap_or(0);
    phone.seen[previous..sent].iter().any(|s| {
        matches!(s, Seen::VaultWrite { keys, flush: true } if keys.iter().any(|k| k.starts_with("put outbox/")))
    })
}

/// The relay requests seen, without the directory fetches.
fn requests_seen(phone: &Phone) -> Vec<String> {
    phone
        .seen
        .iter()
        .filter_map(|s| match s {
            Seen::Http(h) if !h.ends_with("/v1/directory") => Some(
                h.replace(common::RELAY, "")
                    .replace(&Relay::new().fixture.union_id.to_hex(), "{org}"),
            ),
            _ => None,
        })
        .collect()
}

/// A phone that keeps the invite (or not), with one escrowed report queued for the union.
fn escrowing(dir: &std::path::Path, relay: &Relay, invites: bool) -> (Phone, Vec<u8>) {
    let served = relay.served(invites);
    let mut phone = Phone::start(dir, config(&relay.fixture));
    phone.onboard();
    let shown = set_invite(&mut phone, &invite().code());
    assert_eq!(shown.error, None);
    queue_escrowed(&mut phone, &served);
    (phone, served)
}

#[test]
fn the_invite_setting_refuses_a_bad_code_and_keeps_a_good_one_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    assert_eq!(settings(&mut phone).kept, None);

    // A code that does not read: the reason next to the field, nothing kept.
    let code = invite().code();
    let short = &code[..code.len() - 1];
    for bad in [short, "WV-HELLO-WORLD", "not a code at all"] {
        let shown = set_invite(&mut phone, bad);
        assert_eq!(
            shown.error,
            Some(en(K::SettingsEscrowInviteInvalid)),
            "{bad}"
        );
        assert_eq!(shown.kept, None);
    }
    drop(phone);
    let mut phone = restart(dir.path(), &fixture);
    assert_eq!(settings(&mut phone).kept, None);

    // A good one, typed lower-case without hyphens: kept, shown masked, the error gone.
    let typed = code.replace('-', "").to_lowercase();
    let shown = set_invite(&mut phone, &typed);
    assert_eq!(shown.error, None);
    let kept = shown.kept.expect("the code kept");
    let groups: Vec<&str> = code.split('-').collect();
    assert_eq!(groups.len(), 7, "{code}");
    let masked = format!("WV-•••••-•••••-•••••-•••••-{}-{}", groups[5], groups[6]);
    assert!(
        !kept.contains(groups[1]) || groups[1] == groups[5],
        "masked: {kept}"
    );
    assert_eq!(
        kept,
        i18n::trf("en", K::SettingsEscrowInviteKept, &[("code", masked)])
    );

    // Kept across a restart; a bad code afterwards changes nothing.
    drop(phone);
    let mut phone = restart(dir.path(), &fixture);
    assert_eq!(settings(&mut phone).kept, Some(kept.clone()));
    let shown = set_invite(&mut phone, "WV-00000");
    assert!(shown.error.is_some());
    assert_eq!(shown.kept, Some(kept));

    // An empty code forgets it.
    let shown = set_invite(&mut phone, "  ");
    assert_eq!((shown.kept, shown.error), (None, None));
    drop(phone);
    let mut phone = restart(dir.path(), &fixture);
    assert_eq!(settings(&mut phone).kept, None);
}

#[test]
fn escrow_is_offered_at_a_union_that_takes_invites_only_with_an_invite() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::new();
    let served = relay.served(true);
    let mut phone = Phone::start(dir.path(), config(&relay.fixture));
    phone.onboard();

    // No invite: no question, a line that says to ask the union for one.
    let view = consent_step(&mut phone, &served);
    assert_eq!(escrow_group(&view), None);
    assert!(
        view.help.contains(&en(K::EscrowNeedsInvite)),
        "{}",
        view.help
    );
    // Choosing to wait is not possible: the report queued is a plain one.
    phone.send(Event::Pick {
        field: FieldId::Escrow,
        code: "wait".into(),
    });
    phone.send(Event::SetEscrowInvite {
        code: invite().code(),
    });
    phone.send(Event::NewReport);
    phone.send(Event::GoToStep {
        step: Step::Consent,
    });
    let view = compose_view(&phone);
    let group = escrow_group(&view).expect("the question, once an invite is kept");
    assert!(view.help.contains("until 3 workers"), "{}", view.help);
    assert!(!view.help.contains(&en(K::EscrowNeedsInvite)));
    assert!(group.choices.iter().any(|c| c.code == "now"));

    // Forgotten again: no question.
    phone.send(Event::SetEscrowInvite {
        code: String::new(),
    });
    phone.send(Event::NewReport);
    phone.send(Event::GoToStep {
        step: Step::Consent,
    });
    assert_eq!(escrow_group(&compose_view(&phone)), None);

    // A union that does not take invites: the question without one, as before.
    let dir = tempfile::tempdir().unwrap();
    let mut phone = Phone::start(dir.path(), config(&relay.fixture));
    phone.onboard();
    let view = consent_step(&mut phone, &relay.served(false));
    assert!(escrow_group(&view).is_some());
    assert!(!view.help.contains(&en(K::EscrowNeedsInvite)));
}

#[test]
fn tokens_pay_for_the_oprf_request_and_the_submission_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut relay = Relay::new();
    let (mut phone, served) = escrowing(dir.path(), &relay, true);
    phone.seen.clear();

    // The send round: the directory, the keys, the token request (its seed stored first).
    phone.serve_directory(&served);
    let keys = take_keys(&mut phone, &relay);
    phone.respond_status(keys, 200, relay.keys());
    let (request, body) = take_token_request(&mut phone, &relay, TokenPurpose::Oprf);
    assert!(stored_before_sent(&phone, "/v1/escrow/tokens"));
    phone.respond_status(request, 200, relay.issue(&body));

    // The OPRF request carries a token that verifies for the oprf purpose, stored first.
    let (request, oprf) = take_oprf(&mut phone);
    assert!(stored_before_sent(&phone, "/v1/escrow/oprf/org"));
    let first = assert_paid(&request.operation, &relay, TokenPurpose::Oprf);
    phone.respond_status(request, 202, queued());
    let poll = take(
        &mut phone,
        HttpMethod::Get,
        &format!("/v1/escrow/oprf/org/{REQUEST}"),
    );
    phone.respond_status(poll, 200, relay.answered(&oprf.blinded));

    // Sealed and stored: an escrow token, then the submission carrying it.
    let keys = take_keys(&mut phone, &relay);
    phone.respond_status(keys, 200, relay.keys());
    let (request, body) = take_token_request(&mut phone, &relay, TokenPurpose::Escrow);
    phone.respond_status(request, 200, relay.issue(&body));
    let request = take(&mut phone, HttpMethod::Post, "/v1/escrow");
    assert!(stored_before_sent(&phone, "/v1/escrow"));
    let second = assert_paid(&request.operation, &relay, TokenPurpose::Escrow);
    assert_ne!(first, second);
    phone.respond_status(request, 201, accepted(EscrowState::Waiting));

    assert_eq!(
        requests_seen(&phone),
        [
            "Get /v1/escrow/tokens/{org}",
            "Post /v1/escrow/tokens",
            "Post /v1/escrow/oprf/org",
            "Get /v1/escrow/oprf/org/0123456789abcdef0123456789abcdef",
            "Get /v1/escrow/tokens/{org}",
            "Post /v1/escrow/tokens",
            "Post /v1/escrow",
        ]
    );
    assert_eq!(item(&mut phone).state_text, "Waiting for others (3 needed)");
    assert!(phone.no_http());
}

#[test]
fn a_killed_app_posts_the_same_token_request_and_spends_the_same_token() {
    let dir = tempfile::tempdir().unwrap();
    let mut relay = Relay::new();
    let (mut phone, served) = escrowing(dir.path(), &relay, true);
    phone.serve_directory(&served);
    let keys = take_keys(&mut phone, &relay);
    phone.respond_status(keys, 200, relay.keys());
    let (request, body) = take_token_request(&mut phone, &relay, TokenPurpose::Oprf);
    let posted = request.operation.body.clone();

    // Killed before the answer: the same request bytes again, from the stored seed (the
    // relay answers them again without counting).
    drop(request);
    drop(phone);
    let mut phone = restart(dir.path(), &relay.fixture);
    serve_directories(&mut phone, &served);
    let (request, again) = take_token_request(&mut phone, &relay, TokenPurpose::Oprf);
    assert_eq!(request.operation.body, posted);
    assert_eq!(again, body);
    phone.respond_status(request, 200, relay.issue(&again));
    let (request, oprf) = take_oprf(&mut phone);
    let token = assert_paid(&request.operation, &relay, TokenPurpose::Oprf);
    let oprf_bytes = request.operation.body.clone();

    // Killed while the paid request was in flight: the stored token with the same request.
    drop(request);
    drop(phone);
    let mut phone = restart(dir.path(), &relay.fixture);
    serve_directories(&mut phone, &served);
    let (request, again) = take_oprf(&mut phone);
    assert_eq!(again, oprf);
    assert_eq!(request.operation.body, oprf_bytes);
    assert_eq!(
        assert_paid(&request.operation, &relay, TokenPurpose::Oprf),
        token
    );
    phone.respond_status(request, 202, queued());
    assert!(
        phone
            .http
            .front()
            .is_some_and(|r| r.operation.url.ends_with(REQUEST))
    );
}

#[test]
fn a_forged_issuance_is_refused_and_no_token_is_spent() {
    let dir = tempfile::tempdir().unwrap();
    let mut relay = Relay::new();
    let (mut phone, served) = escrowing(dir.path(), &relay, true);
    phone.serve_directory(&served);
    let keys = take_keys(&mut phone, &relay);
    phone.respond_status(keys, 200, relay.keys());
    let (request, body) = take_token_request(&mut phone, &relay, TokenPurpose::Oprf);

    // Answered under another key (one the relay could keep for this invite alone): the
    // proof does not verify against the key fetched.
    let other = IssuerKey::derive(
        &[9; 32],
        relay.fixture.union_id.as_bytes(),
        EPOCH,
        TokenPurpose::Oprf,
    )
    .unwrap();
    let mut bytes = from_base64(&body.requests[0]).unwrap();
    bytes[2] = other.key_id()[31];
    let forged = other
        .issue(&bytes, &mut DeterministicRng::new("forger"))
        .unwrap();
    phone.respond_status(
        request,
        200,
        json(&EscrowTokenResponses {
            epoch: EPOCH,
            responses: vec![to_base64(&forged)],
        }),
    );
    // Nothing spent: no OPRF request; the report waits, and says why.
    assert!(
        phone.no_http(),
        "{:?}",
        phone.http.front().map(|r| &r.operation.url)
    );
    assert!(
        !phone
            .seen
            .iter()
            .any(|s| matches!(s, Seen::Http(h) if h.ends_with("/v1/escrow/oprf/org")))
    );
    let shown = item(&mut phone);
    assert_ne!(shown.state, DeliveryState::Failed);
    assert_eq!(shown.detail, Some(en(K::TransientToken)));

    // At the next try the keys are fetched again and a new request is made; a genuine answer
    // pays for the OPRF request.
    phone.tick_after(2_000);
    serve_directories(&mut phone, &served);
    let keys = take_keys(&mut phone, &relay);
    phone.respond_status(keys, 200, relay.keys());
    let (request, fresh) = take_token_request(&mut phone, &relay, TokenPurpose::Oprf);
    assert_ne!(fresh.requests, body.requests);
    phone.respond_status(request, 200, relay.issue(&fresh));
    let (request, _) = take_oprf(&mut phone);
    assert_paid(&request.operation, &relay, TokenPurpose::Oprf);

    // A key that is not a point: refused before any token request.
    let dir = tempfile::tempdir().unwrap();
    let (mut phone, served) = escrowing(dir.path(), &relay, true);
    phone.serve_directory(&served);
    let keys = take_keys(&mut phone, &relay);
    let mut bad: EscrowTokenKeys = serde_json::from_slice(&relay.keys()).unwrap();
    bad.oprf_key = vec![0xff; 49];
    phone.respond_status(keys, 200, json(&bad));
    assert!(phone.no_http());
    assert_eq!(item(&mut phone).detail, Some(en(K::TransientToken)));
}

#[test]
fn a_spent_budget_or_an_unknown_invite_is_told_and_the_report_can_be_sent_now() {
    let relay = Relay::new();
    for (status, code, told) in [
        (429, "token_budget_spent", K::EscrowBudgetSpent),
        (404, "unknown_invite", K::EscrowUnknownInvite),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (mut phone, served) = escrowing(dir.path(), &relay, true);
        phone.serve_directory(&served);
        let keys = take_keys(&mut phone, &relay);
        phone.respond_status(keys, 200, relay.keys());
        let (request, _) = take_token_request(&mut phone, &relay, TokenPurpose::Oprf);
        phone.respond_status(request, status, api_error(code));
        let shown = item(&mut phone);
        assert_eq!(shown.state, DeliveryState::Failed, "{code}");
        assert_eq!(shown.detail, Some(en(told)));
        assert_eq!(shown.retry, Some(en(K::EscrowNow)));
        assert!(phone.no_http());

        // "Send now": a plain submission, no token.
        phone.send(Event::RetryReport {
            report_id: shown.report_id.clone(),
        });
        phone.serve_directory(&served);
        let (request, submission) = phone.take_submission();
        assert_eq!(header(&request.operation, "authorization"), None);
        phone.accept(request, &submission, 201);
        assert_eq!(item(&mut phone).state, DeliveryState::Sent);
    }
}

#[test]
fn a_refused_token_is_replaced_once_then_the_report_fails_with_the_code() {
    let dir = tempfile::tempdir().unwrap();
    let mut relay = Relay::new();
    let (mut phone, served) = escrowing(dir.path(), &relay, true);
    phone.serve_directory(&served);
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let keys = take_keys(&mut phone, &relay);
        phone.respond_status(keys, 200, relay.keys());
        let (request, body) = take_token_request(&mut phone, &relay, TokenPurpose::Oprf);
        phone.respond_status(request, 200, relay.issue(&body));
        let (request, _) = take_oprf(&mut phone);
        tokens.push(assert_paid(&request.operation, &relay, TokenPurpose::Oprf));
        phone.respond_status(request, 401, api_error("token_spent"));
    }
    assert_ne!(tokens[0], tokens[1]);
    let shown = item(&mut phone);
    assert_eq!(shown.state, DeliveryState::Failed);
    assert!(shown.detail.unwrap().contains("token_spent"));
    assert!(phone.no_http());
}

#[test]
fn a_union_without_invites_gets_no_token_and_no_token_request() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::new();
    // The worker keeps an invite, but this union does not take invites.
    let (mut phone, served) = escrowing(dir.path(), &relay, false);
    phone.serve_directory(&served);
    let (request, oprf) = take_oprf(&mut phone);
    assert_eq!(header(&request.operation, "authorization"), None);
    phone.respond_status(request, 202, queued());
    let poll = take(
        &mut phone,
        HttpMethod::Get,
        &format!("/v1/escrow/oprf/org/{REQUEST}"),
    );
    phone.respond_status(poll, 200, relay.answered(&oprf.blinded));
    let request = take(&mut phone, HttpMethod::Post, "/v1/escrow");
    assert_eq!(header(&request.operation, "authorization"), None);
    phone.respond_status(request, 201, accepted(EscrowState::Waiting));
    assert!(
        !phone
            .seen
            .iter()
            .any(|s| matches!(s, Seen::Http(h) if h.contains("/v1/escrow/tokens")))
    );
    assert_eq!(item(&mut phone).state_text, "Waiting for others (3 needed)");
}

#[test]
fn a_stale_epoch_at_issuance_fetches_the_keys_again_once_per_round() {
    let dir = tempfile::tempdir().unwrap();
    let mut relay = Relay::new();
    let (mut phone, served) = escrowing(dir.path(), &relay, true);
    phone.serve_directory(&served);
    let keys = take_keys(&mut phone, &relay);
    phone.respond_status(keys, 200, relay.keys());
    let (request, _) = take_token_request(&mut phone, &relay, TokenPurpose::Oprf);

    // The epoch turned: the keys again at once, a new request, and the OPRF request paid.
    phone.respond_status(request, 422, api_error("escrow_stale_epoch"));
    let keys = take_keys(&mut phone, &relay);
    phone.respond_status(keys, 200, relay.keys());
    let (request, body) = take_token_request(&mut phone, &relay, TokenPurpose::Oprf);
    // Stale again within the round: it waits for the next one, nothing more now.
    phone.respond_status(request, 422, api_error("escrow_stale_epoch"));
    assert!(
        phone.no_http(),
        "{:?}",
        phone.http.front().map(|r| &r.operation.url)
    );
    assert_ne!(item(&mut phone).state, DeliveryState::Failed);

    phone.tick_after(2_000);
    serve_directories(&mut phone, &served);
    let keys = take_keys(&mut phone, &relay);
    phone.respond_status(keys, 200, relay.keys());
    let (request, fresh) = take_token_request(&mut phone, &relay, TokenPurpose::Oprf);
    assert_ne!(fresh.requests, body.requests);
    phone.respond_status(request, 200, relay.issue(&fresh));
    let (request, _) = take_oprf(&mut phone);
    assert_paid(&request.operation, &relay, TokenPurpose::Oprf);
}
