//! Connection handling: a client that opens a connection and sends nothing, dribbles its
//! headers, or idles on a kept-alive connection is cut off after the header read timeout,
//! while other clients are served; a request in flight at shutdown is still answered.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use workvoice_relay::testing::{TestRelay, TestRelayOptions};

/// The relay under test closes connections after one second without complete headers.
async fn relay_with_one_second_header_timeout() -> TestRelay {
    TestRelay::spawn(TestRelayOptions {
        adjust: Some(|s| s.header_read_timeout_secs = 1),
        ..TestRelayOptions::default()
    })
    .await
    .unwrap()
}

/// Read until the peer closes; how long that took. Panics if it is still open after `limit`.
async fn time_until_closed(stream: &mut TcpStream, limit: Duration) -> Duration {
    let start = Instant::now();
    let mut sink = Vec::new();
    let closed = tokio::time::timeout(limit, stream.read_to_end(&mut sink)).await;
    assert!(
        closed.is_ok(),
        "the connection was still open after {limit:?}"
    );
    start.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_slow_connections_are_closed_while_others_are_served() {
    let relay = relay_with_one_second_header_timeout().await;
    let addr = ("127.0.0.1", relay.port);

    // Opens and sends nothing.
    let mut silent = TcpStream::connect(addr).await.unwrap();
    // Sends its request line and headers one byte every 200 ms, never finishing in time.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    let dribble = tokio::spawn(async move {
        let head =
            b"GET /healthz HTTP/1.1\r\nHost: relay\r\nX-Padding: aaaaaaaaaaaaaaaaaaaa\r\n\r\n";
        for byte in head {
            if slow.write_all(&[*byte]).await.is_err() {
                return (slow, false);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        (slow, true)
    });

    // Meanwhile an ordinary client is answered.
    let ok = common::client()
        .get(format!("{}/healthz", relay.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);

    let waited = time_until_closed(&mut silent, Duration::from_secs(10)).await;
    assert!(
        waited < Duration::from_secs(5),
        "silent connection closed after {waited:?}"
    );
    let (mut slow, finished) = dribble.await.unwrap();
    assert!(
        !finished,
        "the relay let a client take 15 s over its headers"
    );
    time_until_closed(&mut slow, Duration::from_secs(5)).await;
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_kept_alive_connection_is_closed_after_its_request() {
    let relay = relay_with_one_second_header_timeout().await;
    let mut stream = TcpStream::connect(("127.0.0.1", relay.port)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n")
        .await
        .unwrap();
    // The answer comes, and the connection stays open for a next request...
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let head = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    // ...but not for ever.
    let waited = time_until_closed(&mut stream, Duration::from_secs(10)).await;
    assert!(
        waited < Duration::from_secs(5),
        "idle connection closed after {waited:?}"
    );
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_at_shutdown_is_answered_and_new_connections_are_refused() {
    let relay = relay_with_one_second_header_timeout().await;
    let port = relay.port;
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let body = br#"{"not": "a submission"}"#;
    stream
        .write_all(
            format!(
                "POST /v1/submissions HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    stream.write_all(&body[..5]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Shutdown starts while the request's body is still arriving.
    let stopping = tokio::spawn(relay.stop());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        TcpStream::connect(("127.0.0.1", port)).await.is_err(),
        "a stopping relay accepted a new connection"
    );
    assert!(
        !stopping.is_finished(),
        "the relay stopped before answering"
    );

    stream.write_all(&body[5..]).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("answered and closed")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
    assert!(answer.contains("\"error\""), "a JSON error body: {answer}");
    tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .expect("the relay stops once the last request is answered")
        .unwrap();
}
