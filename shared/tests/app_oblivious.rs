//! The phone's way to the relay through an OHTTP relay (`PROTOCOL.md` 14.8, `app/oblivious.rs`),
//! with the real host: the test plays the OHTTP relay and the gateway with Mozilla's `ohttp`
//! and `bhttp` crates, as the relay does, and the shell that only POSTs opaque bytes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Phone, Seen, config, submission_body};
use ohttp::hpke::{Aead, Kdf, Kem};
use ohttp::{KeyConfig, SymmetricSuite};
use workvoice_core::app::*;
use workvoice_core::i18n::{self, K};
use workvoice_proto::api::{SubmissionAccepted, SubmissionRequest};
use workvoice_proto::oblivious::{ENCAPSULATION_OVERHEAD, ObliviousGateway, PADDED_SIZES};
use workvoice_proto::vectors::Fixture;

const OHTTP_RELAY: &str = "https://ohttp.partner.test/";

/// The relay's gateway, as far as the phone can tell.
struct Gateway {
    key_id: u8,
    server: ohttp::Server,
    encoded: Vec<u8>,
}

impl Gateway {
    fn new(key_id: u8) -> Gateway {
        let suites = vec![SymmetricSuite::new(Kdf::HkdfSha256, Aead::ChaCha20Poly1305)];
        let config = KeyConfig::new(key_id, Kem::X25519Sha256, suites).unwrap();
        let encoded = config.encode().unwrap();
        Gateway {
            key_id,
            server: ohttp::Server::new(config).unwrap(),
            encoded,
        }
    }

    /// The directory `fixture` signs, listing this gateway's key and the OHTTP relay.
    fn served(&self, fixture: &Fixture, version: u64) -> Vec<u8> {
        let mut listing = fixture.listing(version);
        listing.oblivious = Some(ObliviousGateway {
            key_configs: vec![hex::encode(&self.encoded)],
            relays: vec![OHTTP_RELAY.into()],
        });
        fixture.publish(&listing)
    }
}

/// A request the gateway opened.
struct Inner {
    method: String,
    path: String,
    content_type: Option<String>,
    body: Vec<u8>,
    answer: ohttp::ServerResponse,
}

/// Take the next request: it must be an Encapsulated Request to the OHTTP relay, of the
/// smallest padded size; the gateway opens it.
fn take_inner(phone: &mut Phone, gateway: &Gateway) -> (common::PendingHttp, Inner) {
    let request = phone.take_http();
    let op = &request.operation;
    assert_eq!(op.url, OHTTP_RELAY, "sent to the OHTTP relay");
    assert_eq!(op.method, HttpMethod::Post);
    assert_eq!(
        op.headers,
        vec![HttpHeader {
            name: "content-type".into(),
            value: "message/ohttp-req".into()
        }],
        "nothing but the media type"
    );
    assert_eq!(op.body.len(), PADDED_SIZES[0] + ENCAPSULATION_OVERHEAD);
    assert_eq!(op.body[0], gateway.key_id);
    let (plain, answer) = gateway.server.decapsulate(&op.body).unwrap();
    let message = bhttp::Message::read_bhttp(&mut std::io::Cursor::new(&plain[..])).unwrap();
    let text = |b: Option<&[u8]>| String::from_utf8(b.unwrap().to_vec()).unwrap();
    let inner = Inner {
        method: text(message.control().method()),
        path: text(message.control().path()),
        content_type: message
            .header()
            .get(b"content-type")
            .map(|v| String::from_utf8(v.to_vec()).unwrap()),
        body: message.content().to_vec(),
        answer,
    };
    (request, inner)
}

/// Answer `inner` through the gateway and the OHTTP relay.
fn answer(phone: &mut Phone, request: common::PendingHttp, inner: Inner, status: u16, body: &[u8]) {
    let mut message = bhttp::Message::response(bhttp::StatusCode::try_from(status).unwrap());
    message.write_content(body);
    let mut plain = Vec::new();
    message
        .write_bhttp(bhttp::Mode::KnownLength, &mut plain)
        .unwrap();
    let sealed = inner.answer.encapsulate(&plain).unwrap();
    phone.respond_status(request, 200, sealed);
}

/// The next request is a mailbox poll through the OHTTP relay: an empty page, through the
/// gateway.
fn answer_poll(phone: &mut Phone, gateway: &Gateway) {
    let (request, inner) = take_inner(phone, gateway);
    assert_eq!(inner.method, "GET");
    assert!(inner.path.starts_with("/v1/mailbox/"), "{}", inner.path);
    answer(
        phone,
        request,
        inner,
        200,
        br#"{"entries":[],"last_seq":0}"#,
    );
}

fn accepted(submission: &SubmissionRequest) -> Vec<u8> {
    let header = workvoice_proto::envelope::EnvelopeHeader::parse(&submission.envelope).unwrap();
    serde_json::to_vec(&SubmissionAccepted {
        submission_id: submission.submission_id,
        recipients: header.recipient_ids().collect(),
        directory_version: submission.directory_version,
        received_at_hour: 1_795_820_400,
    })
    .unwrap()
}

fn direct_requests(phone: &Phone) -> Vec<String> {
    phone
        .seen
        .iter()
        .filter_map(|s| match s {
            Seen::Http(h) if h.contains(common::RELAY) => Some(h.clone()),
            _ => None,
        })
        .collect()
}

fn notice(phone: &Phone) -> Option<String> {
    phone.view().notice.map(|n| n.text)
}

/// A phone with one report accepted through the OHTTP relay; it polls that report's mailbox.
fn phone_with_a_report_sent(dir: &std::path::Path, fixture: &Fixture, gateway: &Gateway) -> Phone {
    let served = gateway.served(fixture, 5);
    let mut phone = Phone::start(dir, config(fixture));
    phone.onboard();
    // The first directory, before any gateway key is known, is fetched directly.
    phone.queue_report((true, false, false), &served);
    assert_eq!(
        direct_requests(&phone),
        vec![format!("Get {}/v1/directory", common::RELAY)]
    );

    // The send round: the directory again, then the submission, both through the OHTTP relay.
    let (request, inner) = take_inner(&mut phone, gateway);
    assert_eq!(
        (inner.method.as_str(), inner.path.as_str()),
        ("GET", "/v1/directory")
    );
    answer(&mut phone, request, inner, 200, &served);
    let (request, inner) = take_inner(&mut phone, gateway);
    assert_eq!(
        (inner.method.as_str(), inner.path.as_str()),
        ("POST", "/v1/submissions")
    );
    assert_eq!(
        inner.content_type.as_deref(),
        Some(workvoice_proto::api::SUBMISSION_BINARY_TYPE),
        "the binary body, a third smaller than JSON"
    );
    let submission = submission_body(inner.content_type.as_deref(), &inner.body);
    let body = accepted(&submission);
    answer(&mut phone, request, inner, 201, &body);
    let items = phone.outbox();
    assert_eq!(items[0].state, DeliveryState::Sent);
    assert_eq!(
        direct_requests(&phone).len(),
        1,
        "nothing else went directly"
    );
    phone
}

#[test]
fn every_request_goes_through_the_ohttp_relay_once_a_gateway_key_is_verified() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let gateway = Gateway::new(3);
    let mut phone = phone_with_a_report_sent(dir.path(), &fixture, &gateway);

    // The mailbox poll, through the OHTTP relay too, and its answer read.
    phone.send(Event::CheckMailbox);
    answer_poll(&mut phone, &gateway);
    assert!(phone.no_http());
    assert_eq!(direct_requests(&phone).len(), 1);
}

#[test]
fn with_the_ohttp_relay_gone_the_worker_chooses_to_wait_or_to_send_directly() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let gateway = Gateway::new(3);
    let mut phone = phone_with_a_report_sent(dir.path(), &fixture, &gateway);
    let waiting = i18n::tr("en", K::PrivateRouteWaiting);

    // The OHTTP relay does not answer the poll: with the default setting the phone waits,
    // sends nothing directly, and says so.
    phone.send(Event::CheckMailbox);
    let (request, _) = take_inner(&mut phone, &gateway);
    phone.drop_connection(request);
    assert!(
        phone.no_http(),
        "the only OHTTP relay failed: nothing is sent"
    );
    assert_eq!(direct_requests(&phone).len(), 1);
    assert_eq!(notice(&phone), Some(waiting.clone()));
    phone.send(Event::DismissNotice);

    // The next round tries the OHTTP relay again first.
    phone.send(Event::CheckMailbox);
    let (request, _) = take_inner(&mut phone, &gateway);
    phone.respond_status(request, 502, br#"{"error":"gateway_unreachable"}"#.to_vec());
    assert!(phone.no_http());
    assert_eq!(direct_requests(&phone).len(), 1);

    // She chooses to send directly: the setting shows it, and the next round, after the OHTTP
    // relay fails again, polls the relay itself.
    phone.send(Event::OpenSettings);
    let Screen::Settings { route_choices, .. } = phone.screen() else {
        panic!("no settings");
    };
    assert_eq!(
        route_choices.iter().find(|c| c.selected).unwrap().code,
        "wait"
    );
    phone.send(Event::SetSendDirectly {
        send_directly: true,
    });
    let Screen::Settings { route_choices, .. } = phone.screen() else {
        panic!("no settings");
    };
    assert_eq!(
        route_choices.iter().find(|c| c.selected).unwrap().code,
        "direct"
    );
    phone.send(Event::CheckMailbox);
    let (request, _) = take_inner(&mut phone, &gateway);
    phone.drop_connection(request);
    let request = phone.take_http();
    assert!(
        request
            .operation
            .url
            .starts_with(&format!("{}/v1/mailbox/", common::RELAY)),
        "{}",
        request.operation.url
    );
    phone.respond_status(request, 200, br#"{"entries":[],"last_seq":0}"#.to_vec());
    assert_eq!(direct_requests(&phone).len(), 2);
}

#[test]
fn a_retired_gateway_key_sends_only_the_directory_fetch_directly_and_the_new_key_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let old = Gateway::new(3);
    let mut phone = phone_with_a_report_sent(dir.path(), &fixture, &old);

    // The gateway no longer accepts the key: the directory is fetched directly (the only way
    // to learn the new key), and the poll goes out under the new key.
    phone.send(Event::CheckMailbox);
    let (request, _) = take_inner(&mut phone, &old);
    let refused = br#"{"type":"https://iana.org/assignments/http-problem-types#ohttp-key","error":"ohttp_key_unknown","message":"fetch the current one"}"#;
    phone.respond_status(request, 400, refused.to_vec());
    phone.send(Event::CheckMailbox);
    let new = Gateway::new(4);
    let request = phone.take_http();
    assert_eq!(
        request.operation.url,
        format!("{}/v1/directory", common::RELAY),
        "the directory, directly"
    );
    phone.respond_status(request, 200, new.served(&fixture, 6));
    answer_poll(&mut phone, &new);
    assert_eq!(
        direct_requests(&phone).len(),
        2,
        "the report's data never went directly"
    );
}

#[test]
fn a_phone_restarted_locked_keeps_to_the_ohttp_relay() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let gateway = Gateway::new(3);
    let phone = phone_with_a_report_sent(dir.path(), &fixture, &gateway);
    drop(phone);

    // Killed and started again: locked, its courier polls the mailbox from what the courier
    // store holds, the way included, without the PIN.
    let mut phone = Phone::start(dir.path(), config(&fixture));
    assert!(matches!(phone.screen(), Screen::Unlock { .. }));
    phone.tick_after(120_000);
    answer_poll(&mut phone, &gateway);
    assert!(direct_requests(&phone).is_empty(), "nothing went directly");
}

#[test]
fn the_worker_names_her_own_ohttp_relay_and_a_wrong_address_is_refused_next_to_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let gateway = Gateway::new(3);
    let mut phone = phone_with_a_report_sent(dir.path(), &fixture, &gateway);
    let settings = |phone: &Phone| match phone.screen() {
        Screen::Settings {
            ohttp_relay,
            ohttp_relay_error,
            ..
        } => (ohttp_relay, ohttp_relay_error),
        other => panic!("not the settings: {other:?}"),
    };

    phone.send(Event::OpenSettings);
    for wrong in [
        "http://ohttp.mine.test/",
        "ohttp.mine.test",
        "https:///path",
    ] {
        phone.send(Event::SetOhttpRelay { url: wrong.into() });
        assert_eq!(
            settings(&phone),
            (
                String::new(),
                Some(i18n::tr("en", K::SettingsOhttpRelayInvalid))
            ),
            "{wrong} is refused and nothing is kept"
        );
    }
    let mine = "https://ohttp.mine.test/relay";
    phone.send(Event::SetOhttpRelay {
        url: format!(" {mine} "),
    });
    assert_eq!(settings(&phone), (mine.to_string(), None));

    // Her relay is tried first; when it fails, the listed one.
    phone.send(Event::CheckMailbox);
    let request = phone.take_http();
    assert_eq!(request.operation.url, mine);
    phone.drop_connection(request);
    answer_poll(&mut phone, &gateway);

    // Emptied: forgotten.
    phone.send(Event::OpenSettings);
    phone.send(Event::SetOhttpRelay { url: String::new() });
    assert_eq!(settings(&phone), (String::new(), None));
    phone.send(Event::CheckMailbox);
    answer_poll(&mut phone, &gateway);
}
