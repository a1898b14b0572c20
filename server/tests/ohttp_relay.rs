//! `workvoice-ohttp-relay`: forwards encapsulated requests to its one gateway and the answers
//! back, adds nothing of the phone's to what it forwards, limits each client address.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use reqwest::StatusCode;
use workvoice_proto::oblivious::{GatewayKeyConfig, InnerRequest, encapsulate};
use workvoice_relay::oblivious;
use workvoice_relay::ohttp_relay::{RelaySettings, relay_app, serve_relay};
use workvoice_relay::testing::{SubmissionSpec, TestDatabase};

/// The header fields of one request, as (name, value).
type Headers = Vec<(String, String)>;

/// An OHTTP relay on port 0 forwarding to `gateway`; its base URL.
async fn spawn_ohttp_relay(gateway: String, rate_per_second: u32, burst: u32) -> String {
    let settings = RelaySettings {
        gateway,
        listen: "127.0.0.1:0".into(),
        rate_per_second,
        burst,
        timeout_secs: 30,
        tls_cert: None,
        tls_key: None,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = relay_app(&settings).unwrap();
    tokio::spawn(serve_relay(listener, router, None, std::future::pending()));
    format!("http://{address}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_crosses_the_ohttp_relay_and_its_answer_comes_back() {
    let relay = relay(TestDatabase::Sqlite).await;
    let c = client();
    let ohttp = spawn_ohttp_relay(relay.url("/v1/ohttp"), 0, 1).await;
    let keys = get(&c, &relay.url("/v1/ohttp/keys"), None)
        .await
        .bytes()
        .await
        .unwrap();
    let config = ohttp::KeyConfig::decode_list(&keys).unwrap()[0]
        .encode()
        .unwrap();
    let config = GatewayKeyConfig::parse(&hex::encode(config)).unwrap();
    let p = relay
        .prepare_submission(&SubmissionSpec::default())
        .unwrap();
    let body = serde_json::to_vec(&p.request).unwrap();
    let inner = InnerRequest {
        method: "POST",
        path: "/v1/submissions",
        headers: &[("content-type", "application/json")],
        body: &body,
    };
    let (sealed, pending) = encapsulate(&config, &inner).unwrap();
    // The OHTTP relay never sees the plaintext: the submission's id is not in what it carries.
    let id_text = serde_json::to_string(&p.request.submission_id).unwrap();
    let id_text = id_text.trim_matches('"');
    assert!(
        !sealed
            .windows(id_text.len())
            .any(|w| w == id_text.as_bytes())
    );
    let answer = c
        .post(format!("{ohttp}/"))
        .header("content-type", oblivious::REQUEST_MEDIA_TYPE)
        .body(sealed.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(
        answer.headers()["content-type"],
        oblivious::RESPONSE_MEDIA_TYPE
    );
    let opened = pending.open(&answer.bytes().await.unwrap()).unwrap();
    assert_eq!(opened.status, 201);
    assert_eq!(
        relay.storage.table_counts().await.unwrap()["submissions"],
        1
    );
    // The gateway's refusals come back unchanged: a replay.
    let again = c
        .post(format!("{ohttp}/"))
        .header("content-type", oblivious::REQUEST_MEDIA_TYPE)
        .body(sealed)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert_eq!(again.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = again.json().await.unwrap();
    assert_eq!(body["error"], "ohttp_replayed");
    // Something else than an encapsulated request is not forwarded.
    let r = c
        .post(format!("{ohttp}/"))
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_forwarded_request_carries_nothing_of_the_phone_and_each_address_is_limited() {
    // A gateway that records the headers it is sent.
    let seen: Arc<Mutex<Vec<Headers>>> = Arc::default();
    let record = seen.clone();
    let gateway = axum::Router::new().route(
        "/v1/ohttp",
        axum::routing::post(move |headers: axum::http::HeaderMap| {
            let record = record.clone();
            async move {
                record.lock().unwrap().push(
                    headers
                        .iter()
                        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
                        .collect(),
                );
                (
                    [("content-type", oblivious::RESPONSE_MEDIA_TYPE)],
                    b"sealed answer".to_vec(),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gateway_address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, gateway).await });
    let ohttp = spawn_ohttp_relay(format!("http://{gateway_address}/v1/ohttp"), 1, 2).await;

    let c = client();
    for n in 0..2 {
        let r = c
            .post(format!("{ohttp}/"))
            .header("content-type", oblivious::REQUEST_MEDIA_TYPE)
            .header("user-agent", "workvoice-phone/1.0 (Android 9; SM-J260F)")
            .header("x-forwarded-for", "198.51.100.7")
            .header("forwarded", "for=198.51.100.7")
            .header("cookie", "session=abc")
            .body(vec![n; 100])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.bytes().await.unwrap(), &b"sealed answer"[..]);
    }
    // The third request from the same address within the second is refused, not forwarded.
    let r = c
        .post(format!("{ohttp}/"))
        .header("content-type", oblivious::REQUEST_MEDIA_TYPE)
        .body(vec![9; 100])
        .send()
        .await
        .unwrap();
    expect_error(r, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    for headers in seen.iter() {
        let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
        for name in &names {
            assert!(
                ["content-type", "content-length", "host", "accept"].contains(name),
                "forwarded header {name}: {headers:?}"
            );
        }
        assert!(
            headers
                .iter()
                .all(|(_, v)| !v.contains("198.51.100.7") && !v.contains("SM-J260F")),
            "{headers:?}"
        );
    }
}
