//! Errors in the request head are answered by the HTTP layer (hyper) before any route runs,
//! with the status alone: an empty body and `connection: close`. hyper offers no hook to give
//! them a body, so they are documented in PROTOCOL.md (14.1) instead of being JSON; this test
//! keeps that text true. Every error after the head is read is JSON (`openapi_conformance.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use workvoice_relay::testing::{TestRelay, TestRelayOptions};

async fn raw(port: u16, request: Vec<u8>) -> String {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    // The relay may answer and close before it has read everything.
    let _ = stream.write_all(&request).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut answer),
    )
    .await;
    String::from_utf8_lossy(&answer).to_ascii_lowercase()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_level_errors_answer_the_documented_status_with_an_empty_body() {
    let relay = TestRelay::spawn(TestRelayOptions::default()).await.unwrap();
    let many_fields: Vec<u8> = [
        b"GET /healthz HTTP/1.1\r\nhost: relay\r\n".to_vec(),
        (0..150)
            .flat_map(|n| format!("x-field-{n}: v\r\n").into_bytes())
            .collect(),
        b"\r\n".to_vec(),
    ]
    .concat();
    let huge_field = [
        b"GET /healthz HTTP/1.1\r\nhost: relay\r\nx-big: ".to_vec(),
        vec![b'a'; 500 * 1024],
        b"\r\n\r\n".to_vec(),
    ]
    .concat();
    let long_uri = [
        b"GET /".to_vec(),
        vec![b'a'; 70_000],
        b" HTTP/1.1\r\nhost: relay\r\n\r\n".to_vec(),
    ]
    .concat();
    let cases: [(&str, Vec<u8>, &str); 5] = [
        ("more than 100 header fields", many_fields, "431"),
        ("a request head over 400 KiB", huge_field, "431"),
        ("a URI over 65,534 bytes", long_uri, "414"),
        ("no request line", b"GARBAGE\r\n\r\n".to_vec(), "400"),
        (
            "a header line without a colon",
            b"GET /healthz HTTP/1.1\r\nhost: relay\r\nno colon here\r\n\r\n".to_vec(),
            "400",
        ),
    ];
    for (what, request, status) in cases {
        let answer = raw(relay.port, request).await;
        assert!(
            answer.starts_with(&format!("http/1.1 {status} ")),
            "{what}: {answer}"
        );
        assert!(answer.contains("connection: close\r\n"), "{what}: {answer}");
        assert!(answer.contains("content-length: 0\r\n"), "{what}: {answer}");
        assert!(
            answer.ends_with("\r\n\r\n"),
            "{what}: a body follows: {answer}"
        );
    }
    // PROTOCOL.md says so, and the relay goes on serving.
    let protocol = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../proto/PROTOCOL.md"),
    )
    .unwrap();
    for status in ["431", "414", "400"] {
        assert!(
            protocol.contains(&format!("| {status} | (empty body) |")),
            "PROTOCOL.md 14.1 does not document {status}"
        );
    }
    assert_eq!(
        get(&client(), &relay.url("/healthz"), None).await.status(),
        StatusCode::OK
    );
    relay.stop().await;
}
