//! The Oblivious HTTP gateway: the RFC 9458 Appendix A and RFC 9292 examples, interoperation
//! with an independent RFC 9458 receiver, worker routes served through `POST /v1/ohttp`
//! exactly as directly, the RFC's answers to bad input with nothing stored, key rotation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use hpke_rfc9458::{Deserializable, Kem as _, OpModeR, Serializable};
use reqwest::StatusCode;
use workvoice_proto::api::{MailboxPage, SubmissionAccepted};
use workvoice_proto::oblivious::{self as phone, GatewayKeyConfig, InnerRequest};
use workvoice_relay::oblivious::{self, Gateway, GatewayKeys, GatewayRefusal, GatewaySecret};
use workvoice_relay::testing::{SubmissionSpec, TestDatabase};

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

// RFC 9458, Appendix A.
const A_SECRET_KEY: &str = "3c168975674b2fa8e465970b79c8dcf09f1c741626480bd4c6162fc5b6a98e1a";
const A_KEY_CONFIG: &str =
    "01002031e1f05a740102115220e9af918f738674aec95f54db6e04eb705aae8e79815500080001000100010003";
const A_REQUEST: &str = "00034745540568747470730b6578616d706c652e636f6d012f";
const A_ENCAPSULATED_REQUEST: &str = "010020000100014b28f881333e7c164ffc499ad9796f877f4e1051ee6d31bad19dec96c208b4726374e469135906992e1268c594d2a10c695d858c40a026e7965e7d86b83dd440b2c0185204b4d63525";
const A_RESPONSE: &str = "0140c8";
const A_ENCAPSULATED_RESPONSE: &str =
    "c789e7151fcba46158ca84b04464910d86f9013e404feea014e7be4a441f234f857fbd";

type X25519 = hpke_rfc9458::kem::X25519HkdfSha256;
type Sha256Kdf = hpke_rfc9458::kdf::HkdfSha256;

/// An independent RFC 9458 receiver: opens a request and returns the plaintext and the
/// exported response secret (both ends of an HPKE context export the same secret).
fn reference_open<A: hpke_rfc9458::aead::Aead>(
    secret_key: &[u8],
    encapsulated: &[u8],
    secret_len: usize,
) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let header = &encapsulated[..7];
    let enc = &encapsulated[7..39];
    let mut info = b"message/bhttp request\0".to_vec();
    info.extend_from_slice(header);
    let sk = <X25519 as hpke_rfc9458::Kem>::PrivateKey::from_bytes(secret_key).unwrap();
    let encapped = <X25519 as hpke_rfc9458::Kem>::EncappedKey::from_bytes(enc).unwrap();
    let mut context =
        hpke_rfc9458::setup_receiver::<A, Sha256Kdf, X25519>(&OpModeR::Base, &sk, &encapped, &info)
            .unwrap();
    let plaintext = context.open(&encapsulated[39..], b"").unwrap();
    let mut response_secret = vec![0u8; secret_len];
    context
        .export(b"message/bhttp response", &mut response_secret)
        .unwrap();
    (plaintext, response_secret, enc.to_vec())
}

/// RFC 9458 section 4.4: the response key and nonce from the exported secret, `enc` and the
/// response nonce.
fn response_key_and_nonce(
    secret: &[u8],
    enc: &[u8],
    response_nonce: &[u8],
    key_len: usize,
) -> (Vec<u8>, Vec<u8>) {
    let mut salt = enc.to_vec();
    salt.extend_from_slice(response_nonce);
    let (_, hk) = hkdf::Hkdf::<sha2::Sha256>::extract(Some(&salt), secret);
    let mut key = vec![0u8; key_len];
    let mut nonce = vec![0u8; 12];
    hk.expand(b"key", &mut key).unwrap();
    hk.expand(b"nonce", &mut nonce).unwrap();
    (key, nonce)
}

#[test]
fn rfc9458_appendix_a_vector_passes() {
    // The key configuration parses and encodes back to the same bytes.
    let config = ohttp::KeyConfig::decode(&unhex(A_KEY_CONFIG)).unwrap();
    assert_eq!(hex::encode(config.encode().unwrap()), A_KEY_CONFIG);

    // The request (AES-128-GCM, as the appendix uses) opens to the appendix's binary HTTP.
    let encapsulated = unhex(A_ENCAPSULATED_REQUEST);
    let secret_key = unhex(A_SECRET_KEY);
    // The secret key's public half is the one in the key configuration.
    let sk = <X25519 as hpke_rfc9458::Kem>::PrivateKey::from_bytes(&secret_key).unwrap();
    let pk = <X25519 as hpke_rfc9458::Kem>::sk_to_pk(&sk);
    assert_eq!(pk.to_bytes().as_slice(), &unhex(A_KEY_CONFIG)[3..35]);
    let (request, exported, enc) =
        reference_open::<hpke_rfc9458::aead::AesGcm128>(&secret_key, &encapsulated, 16);
    assert_eq!(hex::encode(&request), A_REQUEST);

    // The encapsulated response opens to the appendix's response (Nk = 16, so the exported
    // secret and the response nonce are max(Nn, Nk) = 16 bytes).
    use aes_gcm::aead::{Aead, KeyInit};
    let encapsulated_response = unhex(A_ENCAPSULATED_RESPONSE);
    let (nonce, ct) = encapsulated_response.split_at(16);
    let (key, aead_nonce) = response_key_and_nonce(&exported, &enc, nonce, 16);
    let cipher = aes_gcm::Aes128Gcm::new_from_slice(&key).unwrap();
    let response = cipher
        .decrypt(aead_nonce.as_slice().try_into().unwrap(), ct)
        .unwrap();
    assert_eq!(hex::encode(&response), A_RESPONSE);

    // The `ohttp` crate's client writes the same header for this configuration.
    let client = ohttp::ClientRequest::from_encoded_config(&unhex(A_KEY_CONFIG)).unwrap();
    let (ours, _) = client.encapsulate(&request).unwrap();
    assert_eq!(ours[..7], encapsulated[..7]);
    assert_eq!(ours.len(), encapsulated.len());

    // The binary HTTP inside is the appendix's GET https://example.com/.
    let message = bhttp::Message::read_bhttp(&mut std::io::Cursor::new(&request[..])).unwrap();
    assert_eq!(message.control().method(), Some(&b"GET"[..]));
    assert_eq!(message.control().authority(), Some(&b"example.com"[..]));
    assert_eq!(message.control().path(), Some(&b"/"[..]));
    let response = bhttp::Message::read_bhttp(&mut std::io::Cursor::new(&response[..])).unwrap();
    assert_eq!(response.control().status().map(u16::from), Some(200));
}

#[test]
fn rfc9292_known_length_request_example_decodes() {
    // RFC 9292 section 5.1, the known-length encoding of the example request.
    let bytes = unhex(
        "0003474554056874747073000a2f68656c6c6f2e747874406c0a757365722d6167656e74346375726c2f372e31362e33206c69626375726c2f372e31362e33204f70656e53534c2f302e392e376c207a6c69622f312e322e3304686f73740f7777772e6578616d706c652e636f6d0f6163636570742d6c616e677561676506656e2c206d690000",
    );
    let message = bhttp::Message::read_bhttp(&mut std::io::Cursor::new(&bytes[..])).unwrap();
    assert_eq!(message.control().method(), Some(&b"GET"[..]));
    assert_eq!(message.control().scheme(), Some(&b"https"[..]));
    assert_eq!(message.control().path(), Some(&b"/hello.txt"[..]));
    assert_eq!(
        message.header().get(b"user-agent"),
        Some(&b"curl/7.16.3 libcurl/7.16.3 OpenSSL/0.9.7l zlib/1.2.3"[..])
    );
    assert_eq!(message.header().get(b"host"), Some(&b"www.example.com"[..]));
    assert_eq!(
        message.header().get(b"accept-language"),
        Some(&b"en, mi"[..])
    );
    assert!(message.content().is_empty());
    // Written back in the same mode, it is the same bytes.
    let mut out = Vec::new();
    message
        .write_bhttp(bhttp::Mode::KnownLength, &mut out)
        .unwrap();
    assert_eq!(out, bytes);
}

#[test]
fn the_gateway_interoperates_with_an_independent_receiver() {
    let ikm = [42u8; 32];
    let secret = GatewaySecret::from_bytes(9, ikm);
    let gateway = Gateway::new(GatewayKeys::new(&secret).unwrap());
    let config = gateway.current_config();
    // Our key is RFC 9180 DeriveKeyPair of the stored secret, in one suite:
    // X25519, HKDF-SHA256, ChaCha20-Poly1305.
    let (sk, pk) = X25519::derive_keypair(&ikm);
    let mut expected = vec![9u8, 0x00, 0x20];
    expected.extend_from_slice(pk.to_bytes().as_slice());
    expected.extend_from_slice(&[0x00, 0x04, 0x00, 0x01, 0x00, 0x03]);
    assert_eq!(config, expected);

    let inner = bhttp_request("GET", "/v1/directory", &[], b"");
    let (encapsulated, client_response) = ohttp::ClientRequest::from_encoded_config(&config)
        .unwrap()
        .encapsulate(&inner)
        .unwrap();
    // The independent receiver opens what the client sealed…
    let (opened, exported, enc) = reference_open::<hpke_rfc9458::aead::ChaCha20Poly1305>(
        sk.to_bytes().as_slice(),
        &encapsulated,
        32,
    );
    assert_eq!(opened, inner);
    // …and so does the gateway, whose answer both the client and the receiver can open.
    let (gateway_opened, answer) = gateway.open(&encapsulated, 0).unwrap();
    assert_eq!(gateway_opened, inner);
    let sealed = answer.encapsulate(b"the answer").unwrap();
    let (nonce, ct) = sealed.split_at(32);
    let (key, aead_nonce) = response_key_and_nonce(&exported, &enc, nonce, 32);
    use chacha20poly1305::aead::{Aead, KeyInit};
    let cipher = chacha20poly1305::ChaCha20Poly1305::new_from_slice(&key).unwrap();
    assert_eq!(
        cipher
            .decrypt(aead_nonce.as_slice().try_into().unwrap(), ct)
            .unwrap(),
        b"the answer"
    );
    assert_eq!(client_response.decapsulate(&sealed).unwrap(), b"the answer");
}

#[test]
fn a_rotated_key_is_accepted_for_its_grace_period_only() {
    let gateway = Gateway::new(GatewayKeys::new(&GatewaySecret::from_bytes(1, [1; 32])).unwrap());
    let old_config = gateway.current_config();
    let sealed_under_old = |n: u8| {
        ohttp::ClientRequest::from_encoded_config(&old_config)
            .unwrap()
            .encapsulate(&bhttp_request("GET", "/v1/directory", &[], &[n]))
            .unwrap()
            .0
    };
    let rotated_at = 1_000_000;
    let grace = 3_600;
    gateway
        .rotate(&GatewaySecret::from_bytes(2, [2; 32]), rotated_at, grace)
        .unwrap();
    assert_ne!(gateway.current_config(), old_config);
    assert_eq!(gateway.current_config()[0], 2);
    // Both keys are listed while the old one is in its grace period.
    let listed = ohttp::KeyConfig::decode_list(&gateway.encoded_list()).unwrap();
    assert_eq!(listed.len(), 2);
    // Within the grace period a request under the previous key opens…
    assert!(gateway.open(&sealed_under_old(1), rotated_at).is_ok());
    assert!(
        gateway
            .open(&sealed_under_old(2), rotated_at + grace)
            .is_ok()
    );
    // …after it, it is refused as an unknown key configuration.
    assert_eq!(
        gateway
            .open(&sealed_under_old(3), rotated_at + grace + 1)
            .err(),
        Some(GatewayRefusal::KeyUnknown)
    );
    // The new key works.
    let new = ohttp::ClientRequest::from_encoded_config(&gateway.current_config())
        .unwrap()
        .encapsulate(&bhttp_request("GET", "/v1/directory", &[], b""))
        .unwrap()
        .0;
    assert!(gateway.open(&new, rotated_at + grace + 1).is_ok());
}

/// A worker request as the phone encodes it: known-length binary HTTP, padded.
fn bhttp_request(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    phone::encode_request(&request(method, path, headers, body)).unwrap()
}

fn request<'a>(
    method: &'a str,
    path: &'a str,
    headers: &'a [(&'a str, &'a str)],
    body: &'a [u8],
) -> InnerRequest<'a> {
    InnerRequest {
        method,
        path,
        headers,
        body,
    }
}

/// Send `request` through `POST /v1/ohttp` as the phone does (encapsulated to `config`); the
/// status and body of the answer inside.
async fn through_gateway(
    c: &reqwest::Client,
    base: &str,
    config: &[u8],
    request: InnerRequest<'_>,
) -> (u16, Vec<u8>) {
    let config = GatewayKeyConfig::parse(&hex::encode(config)).unwrap();
    let (encapsulated, pending) = phone::encapsulate(&config, &request).unwrap();
    assert_eq!(
        encapsulated.len(),
        phone::padded_size(1).unwrap() + phone::ENCAPSULATION_OVERHEAD,
        "a worker request of the usual size takes the smallest padded size"
    );
    let answer = c
        .post(format!("{base}/v1/ohttp"))
        .header("content-type", oblivious::REQUEST_MEDIA_TYPE)
        .body(encapsulated)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(
        answer.headers()["content-type"],
        oblivious::RESPONSE_MEDIA_TYPE
    );
    let inner = pending.open(&answer.bytes().await.unwrap()).unwrap();
    (inner.status, inner.body)
}

async fn gateway_config(c: &reqwest::Client, base: &str) -> Vec<u8> {
    let keys = c.get(format!("{base}/v1/ohttp/keys")).send().await.unwrap();
    assert_eq!(keys.status(), StatusCode::OK);
    assert_eq!(keys.headers()["content-type"], oblivious::KEYS_MEDIA_TYPE);
    let list = keys.bytes().await.unwrap();
    let configs = ohttp::KeyConfig::decode_list(&list).unwrap();
    configs[0].encode().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_routes_answer_through_the_gateway_as_directly() {
    let relay = relay(TestDatabase::Sqlite).await;
    let c = client();
    let config = gateway_config(&c, &relay.base_url).await;
    let p = relay
        .prepare_submission(&SubmissionSpec::default())
        .unwrap();
    let body = serde_json::to_vec(&p.request).unwrap();
    let submission = request(
        "POST",
        "/v1/submissions",
        &[("content-type", "application/json")],
        &body,
    );
    let (status, first) = through_gateway(&c, &relay.base_url, &config, submission).await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&first));
    let accepted: SubmissionAccepted = serde_json::from_slice(&first).unwrap();
    assert_eq!(accepted.recipients.len(), 2);
    // The same submission sent directly is the retry of the first: 200 with the same answer.
    let direct = post_json(&c, &relay.url("/v1/submissions"), &p.request, None).await;
    assert_eq!(direct.status(), StatusCode::OK);
    assert_eq!(direct.bytes().await.unwrap(), first);
    assert_eq!(
        relay.storage.table_counts().await.unwrap()["submissions"],
        1
    );

    // A mailbox poll and a directory fetch answer as directly.
    let mailbox = format!("/v1/mailbox/{}", p.mailbox_token_text);
    let (status, polled) = through_gateway(
        &c,
        &relay.base_url,
        &config,
        request("GET", &mailbox, &[], b""),
    )
    .await;
    assert_eq!(status, 200);
    let page: MailboxPage = serde_json::from_slice(&polled).unwrap();
    assert_eq!(page.entries.len(), 2);
    let direct = get(&c, &relay.url(&mailbox), None)
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(direct, polled);
    let (status, directory) = through_gateway(
        &c,
        &relay.base_url,
        &config,
        request("GET", "/v1/directory", &[], b""),
    )
    .await;
    assert_eq!(status, 200);
    let direct = get(&c, &relay.url("/v1/directory"), None)
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(direct, directory);

    // A relay error inside keeps its status and JSON body.
    let (status, missing) = through_gateway(
        &c,
        &relay.base_url,
        &config,
        request("GET", "/v1/no-such-route", &[], b""),
    )
    .await;
    assert_eq!(status, 404);
    let error: serde_json::Value = serde_json::from_slice(&missing).unwrap();
    assert_eq!(error["error"], "not_found");
}

async fn post_encapsulated(c: &reqwest::Client, base: &str, body: Vec<u8>) -> reqwest::Response {
    c.post(format!("{base}/v1/ohttp"))
        .header("content-type", oblivious::REQUEST_MEDIA_TYPE)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn assert_problem(r: reqwest::Response, status: StatusCode, kind: &str, code: &str) {
    assert_eq!(r.status(), status);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["type"], kind, "{body}");
    assert_eq!(body["error"], code, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_encapsulations_get_the_rfc_answers_and_store_nothing() {
    let relay = relay(TestDatabase::Sqlite).await;
    let c = client();
    let base = relay.base_url.clone();
    let config = gateway_config(&c, &base).await;
    let p = relay
        .prepare_submission(&SubmissionSpec::default())
        .unwrap();
    let submission = bhttp_request(
        "POST",
        "/v1/submissions",
        &[("content-type", "application/json")],
        &serde_json::to_vec(&p.request).unwrap(),
    );
    let before = relay.storage.table_counts().await.unwrap();

    // Garbage: its first byte names a key identifier the gateway does not have…
    let garbage = b"not an encapsulated request at all; no".repeat(4);
    assert_ne!(garbage[0], config[0]);
    let r = post_encapsulated(&c, &base, garbage.clone()).await;
    assert_problem(
        r,
        StatusCode::BAD_REQUEST,
        oblivious::KEY_PROBLEM_TYPE,
        "ohttp_key_unknown",
    )
    .await;
    // …behind the right header it does not open; too short, it is no request at all.
    let mut behind_header = config[..1].to_vec();
    behind_header.extend_from_slice(&[0x00, 0x20, 0x00, 0x01, 0x00, 0x03]);
    behind_header.extend_from_slice(&garbage);
    let r = post_encapsulated(&c, &base, behind_header).await;
    assert_problem(
        r,
        StatusCode::BAD_REQUEST,
        "about:blank",
        "ohttp_undecryptable",
    )
    .await;
    let r = post_encapsulated(&c, &base, vec![config[0]; 3]).await;
    assert_problem(
        r,
        StatusCode::BAD_REQUEST,
        "about:blank",
        "ohttp_undecryptable",
    )
    .await;

    // A key identifier the gateway does not have: RFC 9458 section 5.3.
    let mut wrong = config.clone();
    wrong[0] = wrong[0].wrapping_add(1);
    let (sealed, _) = ohttp::ClientRequest::from_encoded_config(&wrong)
        .unwrap()
        .encapsulate(&submission)
        .unwrap();
    let r = post_encapsulated(&c, &base, sealed).await;
    assert_problem(
        r,
        StatusCode::BAD_REQUEST,
        oblivious::KEY_PROBLEM_TYPE,
        "ohttp_key_unknown",
    )
    .await;

    // The right key identifier, another key: it does not open.
    let other =
        Gateway::new(GatewayKeys::new(&GatewaySecret::from_bytes(config[0], [3; 32])).unwrap());
    let (sealed, _) = ohttp::ClientRequest::from_encoded_config(&other.current_config())
        .unwrap()
        .encapsulate(&submission)
        .unwrap();
    let r = post_encapsulated(&c, &base, sealed).await;
    assert_problem(
        r,
        StatusCode::BAD_REQUEST,
        "about:blank",
        "ohttp_undecryptable",
    )
    .await;

    // A tampered ciphertext does not open either.
    let (mut sealed, _) = ohttp::ClientRequest::from_encoded_config(&config)
        .unwrap()
        .encapsulate(&submission)
        .unwrap();
    let last = sealed.len() - 1;
    sealed[last] ^= 1;
    let r = post_encapsulated(&c, &base, sealed).await;
    assert_problem(
        r,
        StatusCode::BAD_REQUEST,
        "about:blank",
        "ohttp_undecryptable",
    )
    .await;

    // An encapsulation that opens but holds no binary HTTP request.
    let (sealed, _) = ohttp::ClientRequest::from_encoded_config(&config)
        .unwrap()
        .encapsulate(&[0x01, 0x40])
        .unwrap();
    let r = post_encapsulated(&c, &base, sealed).await;
    assert_problem(
        r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "about:blank",
        "ohttp_malformed_request",
    )
    .await;

    // Oversized: refused before it is read.
    let r = post_encapsulated(&c, &base, vec![0u8; oblivious::MAX_ENCAPSULATED_BYTES + 1]).await;
    expect_error(r, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;

    // Another content type.
    let r = c
        .post(format!("{base}/v1/ohttp"))
        .header("content-type", "application/json")
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

    assert_eq!(relay.storage.table_counts().await.unwrap(), before);

    // A replayed encapsulation: the first is served, the second refused, one submission stored.
    let (sealed, _) = ohttp::ClientRequest::from_encoded_config(&config)
        .unwrap()
        .encapsulate(&submission)
        .unwrap();
    let first = post_encapsulated(&c, &base, sealed.clone()).await;
    assert_eq!(first.status(), StatusCode::OK);
    let again = post_encapsulated(&c, &base, sealed).await;
    assert_problem(
        again,
        StatusCode::BAD_REQUEST,
        "about:blank",
        "ohttp_replayed",
    )
    .await;
    assert_eq!(
        relay.storage.table_counts().await.unwrap()["submissions"],
        before["submissions"] + 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inner_request_carries_no_client_address() {
    fn limits(s: &mut workvoice_relay::configuration::Settings) {
        s.client_address_header = Some("x-client-ip".into());
        s.client_rate_per_second = 1;
        s.client_burst = 1;
        s.ohttp_relay_addresses = vec!["192.0.2.50".into()];
    }
    let relay =
        workvoice_relay::testing::TestRelay::spawn(workvoice_relay::testing::TestRelayOptions {
            anonymous_rate_per_second: 1000,
            adjust: Some(limits),
            ..Default::default()
        })
        .await
        .unwrap();
    let c = client();
    let base = relay.base_url.clone();
    // Directly, one address has one request a second.
    for (n, expected) in [(0, StatusCode::OK), (1, StatusCode::TOO_MANY_REQUESTS)] {
        let r = c
            .get(format!("{base}/v1/directory"))
            .header("x-client-ip", "203.0.113.9")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), expected, "direct request {n}");
    }
    let config = {
        let keys = c
            .get(format!("{base}/v1/ohttp/keys"))
            .header("x-client-ip", "192.0.2.99")
            .send()
            .await
            .unwrap();
        let list = keys.bytes().await.unwrap();
        ohttp::KeyConfig::decode_list(&list).unwrap()[0]
            .encode()
            .unwrap()
    };
    // Through the gateway the outer hop is limited by its own address, and an address
    // written inside the encapsulation is not one: it is dropped.
    for n in 1..=3u8 {
        let config = GatewayKeyConfig::parse(&hex::encode(&config)).unwrap();
        let inner = request(
            "GET",
            "/v1/directory",
            &[("x-client-ip", "203.0.113.9")],
            b"",
        );
        let (sealed, pending) = phone::encapsulate(&config, &inner).unwrap();
        let r = c
            .post(format!("{base}/v1/ohttp"))
            .header("content-type", oblivious::REQUEST_MEDIA_TYPE)
            .header("x-client-ip", format!("192.0.2.{n}"))
            .body(sealed)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let opened = pending.open(&r.bytes().await.unwrap()).unwrap();
        assert_eq!(opened.status, 200, "{n}");
    }
    // The outer hop's own address is limited like any client's.
    let (sealed, _) = ohttp::ClientRequest::from_encoded_config(&config)
        .unwrap()
        .encapsulate(&bhttp_request("GET", "/v1/directory", &[], b""))
        .unwrap();
    let r = c
        .post(format!("{base}/v1/ohttp"))
        .header("content-type", oblivious::REQUEST_MEDIA_TYPE)
        .header("x-client-ip", "192.0.2.1")
        .body(sealed)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);

    // A configured OHTTP relay carries many phones: its gateway requests skip the per-client
    // limit (but not on other routes).
    for n in 0..3u8 {
        let (sealed, _) = ohttp::ClientRequest::from_encoded_config(&config)
            .unwrap()
            .encapsulate(&bhttp_request("GET", "/v1/directory", &[], &[n]))
            .unwrap();
        let r = c
            .post(format!("{base}/v1/ohttp"))
            .header("content-type", oblivious::REQUEST_MEDIA_TYPE)
            .header("x-client-ip", "192.0.2.50")
            .body(sealed)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "OHTTP relay request {n}");
    }
    for expected in [StatusCode::OK, StatusCode::TOO_MANY_REQUESTS] {
        let r = c
            .get(format!("{base}/v1/directory"))
            .header("x-client-ip", "192.0.2.50")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), expected);
    }
}

/// The directory the relay serves, verified against the fixture root.
async fn verified_directory(
    c: &reqwest::Client,
    relay: &workvoice_relay::testing::TestRelay,
    now: u64,
) -> workvoice_proto::directory::VerifiedDirectory {
    let served = get(c, &relay.url("/v1/directory"), None)
        .await
        .bytes()
        .await
        .unwrap();
    workvoice_proto::directory::verify_directory(&served, &relay.fixture.root.public_key(), now, 0)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_signed_directory_lists_the_gateway_keys_and_a_rotation_republishes_them() {
    fn relays(s: &mut workvoice_relay::configuration::Settings) {
        s.ohttp_relays = vec!["https://ohttp.partner.example/workvoice".into()];
    }
    let relay =
        workvoice_relay::testing::TestRelay::spawn(workvoice_relay::testing::TestRelayOptions {
            adjust: Some(relays),
            ..Default::default()
        })
        .await
        .unwrap();
    let c = client();
    let now = workvoice_relay::domain::unix_now();

    // The first directory lists the gateway's key, the one it serves, under the relay's
    // root-certified signature, with the configured OHTTP relay.
    let verified = verified_directory(&c, &relay, now).await;
    let section = verified
        .listing
        .oblivious
        .clone()
        .expect("an oblivious section");
    assert_eq!(section.relays, ["https://ohttp.partner.example/workvoice"]);
    assert_eq!(section.key_configs.len(), 1);
    let first = unhex(&section.key_configs[0]);
    assert_eq!(first, gateway_config(&c, &relay.base_url).await);
    let (status, _) = through_gateway(
        &c,
        &relay.base_url,
        &first,
        request("GET", "/v1/directory", &[], b""),
    )
    .await;
    assert_eq!(status, 200);

    // A maintenance pass when the key is due: a new key, a new directory version listing the
    // new key first and the previous one, which is still accepted.
    let key = workvoice_relay::domain::keyfile::read(&relay.settings.relay_key_path()).unwrap();
    let state =
        workvoice_relay::state::AppState::new(relay.storage.clone(), relay.settings.clone());
    let rotation_due = now + relay.settings.ohttp_key_rotation_secs;
    let published = oblivious::maintain(&state, &key, rotation_due)
        .await
        .unwrap();
    assert_eq!(published, Some(verified.listing.version + 1));
    // Nothing more is due at the same time.
    assert_eq!(
        oblivious::maintain(&state, &key, rotation_due)
            .await
            .unwrap(),
        None
    );
    let rotated = verified_directory(&c, &relay, rotation_due).await;
    let section = rotated.listing.oblivious.clone().unwrap();
    assert_eq!(section.key_configs.len(), 2);
    assert_eq!(unhex(&section.key_configs[1]), first);
    let second = unhex(&section.key_configs[0]);
    assert_ne!(second[0], first[0]);

    // The serving relay reads the rotated key file at its next pass (here: an in-process
    // gateway over the same state stands for it).
    let gateway = &state.gateway;
    for (config, at, accepted) in [
        (
            &first,
            rotation_due + relay.settings.ohttp_key_grace_secs,
            true,
        ),
        (
            &second,
            rotation_due + relay.settings.ohttp_key_grace_secs,
            true,
        ),
        (
            &first,
            rotation_due + relay.settings.ohttp_key_grace_secs + 1,
            false,
        ),
    ] {
        let (sealed, _) = ohttp::ClientRequest::from_encoded_config(config)
            .unwrap()
            .encapsulate(&bhttp_request("GET", "/v1/directory", &[], b""))
            .unwrap();
        assert_eq!(
            gateway.open(&sealed, at).is_ok(),
            accepted,
            "key {} at {at}",
            config[0]
        );
    }

    // After the grace period the previous key is forgotten and no longer listed.
    let after_grace = rotation_due + relay.settings.ohttp_key_grace_secs + 1;
    let published = oblivious::maintain(&state, &key, after_grace)
        .await
        .unwrap();
    assert!(published.is_some());
    let retired = verified_directory(&c, &relay, after_grace).await;
    assert_eq!(
        retired.listing.oblivious.unwrap().key_configs,
        [hex::encode(&second)]
    );
}

/// The body budget counts an Oblivious HTTP request's bytes once: with room for the outer
/// request only, the submission inside is still served (not `503 relay_busy`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_inside_takes_no_second_share_of_the_body_budget() {
    let relay =
        workvoice_relay::testing::TestRelay::spawn(workvoice_relay::testing::TestRelayOptions {
            adjust: Some(|s| s.max_body_bytes_in_flight = 5_000),
            ..Default::default()
        })
        .await
        .unwrap();
    let c = client();
    let config = gateway_config(&c, &relay.base_url).await;
    let p = relay
        .prepare_submission(&SubmissionSpec::default())
        .unwrap();
    let body = serde_json::to_vec(&p.request).unwrap();
    // Outer (4,151 bytes) and inner together exceed the budget; each alone fits.
    assert!(phone::PADDED_SIZES[0] + phone::ENCAPSULATION_OVERHEAD + body.len() > 5_000);
    let (status, answer) = through_gateway(
        &c,
        &relay.base_url,
        &config,
        request(
            "POST",
            "/v1/submissions",
            &[("content-type", "application/json")],
            &body,
        ),
    )
    .await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));
    assert_eq!(
        relay.storage.table_counts().await.unwrap()["submissions"],
        1
    );
}

/// A refusal inside keeps its headers: `POST /v1/escrow` at an organisation that takes
/// invites, sent without a token through the gateway, answers `401 token_required` with the
/// `WWW-Authenticate` challenge naming the current key (PROTOCOL.md 18.12), as directly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_challenge_comes_back_through_the_gateway() {
    let mut relay = relay(TestDatabase::Sqlite).await;
    let union = relay.union.id;
    relay.set_escrow_invites(&union, true).await.unwrap();
    let c = client();
    let config = gateway_config(&c, &relay.base_url).await;
    let mut rng = workvoice_proto::vectors::DeterministicRng::new("ohttp token challenge");
    let (_, submission) = common::escrow::escrow(
        &relay,
        &c,
        &common::escrow::phone(0),
        "Everest Manpower",
        "a report",
        &mut rng,
    )
    .await;
    let body = serde_json::to_vec(&submission).unwrap();
    let inner = request(
        "POST",
        "/v1/escrow",
        &[("content-type", "application/json")],
        &body,
    );
    let config = GatewayKeyConfig::parse(&hex::encode(config)).unwrap();
    let (encapsulated, pending) = phone::encapsulate(&config, &inner).unwrap();
    let answer = post_encapsulated(&c, &relay.base_url, encapsulated).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let inside = pending.open(&answer.bytes().await.unwrap()).unwrap();
    assert_eq!(inside.status, 401);
    let error: serde_json::Value = serde_json::from_slice(&inside.body).unwrap();
    assert_eq!(error["error"], "token_required");
    let challenge = inside.header("www-authenticate").unwrap().to_string();
    assert!(
        challenge.starts_with("PrivateToken challenge=\""),
        "{challenge}"
    );
    let direct = post_json(&c, &relay.url("/v1/escrow"), &submission, None).await;
    assert_eq!(direct.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(direct.headers()["www-authenticate"], challenge.as_str());
    assert_eq!(
        relay.storage.table_counts().await.unwrap()["escrow_submissions"],
        0
    );
}
