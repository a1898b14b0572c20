//! Fair limits that no stranger can turn against workers: a flood from one client leaves an
//! honest client's requests through; a full storage quota answers a clear error; slow bodies
//! cannot take the relay's memory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::net::IpAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use workvoice_relay::configuration::Settings;
use workvoice_relay::testing::{SubmissionSpec, TestRelay, TestRelayOptions};

fn fair_limits(s: &mut Settings) {
    // Each class admits 50 requests per second (the directory 200), each client 20.
    s.anonymous_burst = 50;
    s.client_rate_per_second = 20;
    s.client_burst = 40;
}

/// One client (127.0.0.1) floods every anonymous endpoint with a bounded number of requests,
/// as fast as it can, while an honest phone on another address (127.0.0.2) fetches the
/// directory, submits and polls its mailbox. Without a bucket per client the flood spends
/// every class's budget and the honest phone gets 429s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_honest_phone_gets_through_a_flood_from_one_client() {
    let relay = TestRelay::spawn(TestRelayOptions {
        anonymous_rate_per_second: 50,
        adjust: Some(fair_limits),
        ..TestRelayOptions::default()
    })
    .await
    .unwrap();
    install_crypto_provider();
    let flooder = reqwest::Client::builder()
        .local_address(IpAddr::from([127, 0, 0, 1]))
        .build()
        .unwrap();
    let honest = reqwest::Client::builder()
        .local_address(IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let junk = relay
        .prepare_submission(&SubmissionSpec {
            seed: 99,
            ..SubmissionSpec::default()
        })
        .unwrap();
    let flood_sent = Arc::new(AtomicUsize::new(0));
    let flood_limited = Arc::new(AtomicUsize::new(0));
    let mut flood = Vec::new();
    for task in 0..6usize {
        let c = flooder.clone();
        let base = relay.base_url.clone();
        let junk = junk.request.clone();
        let (sent, limited) = (flood_sent.clone(), flood_limited.clone());
        flood.push(tokio::spawn(async move {
            for n in 0..400usize {
                let r = match (task + n) % 3 {
                    0 => c.get(format!("{base}/v1/directory")).send().await,
                    1 => {
                        c.post(format!("{base}/v1/submissions"))
                            .json(&junk)
                            .send()
                            .await
                    }
                    _ => {
                        c.get(format!(
                            "{base}/v1/mailbox/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                        ))
                        .send()
                        .await
                    }
                };
                sent.fetch_add(1, Ordering::Relaxed);
                if r.is_ok_and(|r| r.status() == StatusCode::TOO_MANY_REQUESTS) {
                    limited.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    // Let the flood fill the shared buckets first.
    while flood_sent.load(Ordering::Relaxed) < 200 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut asked = 0usize;
    let mut answered = 0usize;
    let mut etag = None::<String>;
    for seed in 0..12u64 {
        let p = relay
            .prepare_submission(&SubmissionSpec {
                seed,
                ..SubmissionSpec::default()
            })
            .unwrap();
        let mut d = honest.get(relay.url("/v1/directory"));
        if let Some(tag) = &etag {
            d = d.header("if-none-match", tag);
        }
        let d = d.send().await.unwrap();
        if let Some(tag) = d.headers().get("etag") {
            etag = Some(tag.to_str().unwrap().to_string());
        }
        let s = honest
            .post(relay.url("/v1/submissions"))
            .json(&p.request)
            .send()
            .await
            .unwrap();
        let m = honest
            .get(relay.url(&format!("/v1/mailbox/{}", p.mailbox_token_text)))
            .send()
            .await
            .unwrap();
        for status in [d.status(), s.status(), m.status()] {
            asked += 1;
            if status.is_success() || status == StatusCode::NOT_MODIFIED {
                answered += 1;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let sent_during = flood_sent.load(Ordering::Relaxed);
    for t in flood {
        t.await.unwrap();
    }
    let limited = flood_limited.load(Ordering::Relaxed);
    println!(
        "honest: {answered} of {asked} answered; flood: {} sent ({sent_during} while the honest \
         phone worked), {limited} refused 429",
        flood_sent.load(Ordering::Relaxed)
    );
    assert!(
        limited > 1000,
        "the flood was not limited ({limited} refusals)"
    );
    assert!(
        answered * 100 >= asked * 95,
        "only {answered} of {asked} honest requests succeeded"
    );
    relay.stop().await;
}

fn tiny_quota(s: &mut Settings) {
    s.storage_quota_bytes = 1;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_quota_refuses_submissions_with_a_clear_error_and_stores_nothing() {
    let relay = TestRelay::spawn(TestRelayOptions {
        adjust: Some(tiny_quota),
        ..TestRelayOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let before = relay.storage.content_digest().await.unwrap();
    let p = relay
        .prepare_submission(&SubmissionSpec::default())
        .unwrap();
    let r = post_json(&c, &relay.url("/v1/submissions"), &p.request, None).await;
    expect_error(r, StatusCode::INSUFFICIENT_STORAGE, "storage_full").await;
    assert_eq!(relay.storage.content_digest().await.unwrap(), before);
    // Reading goes on: the directory and the organisations' inboxes.
    assert_eq!(
        get(&c, &relay.url("/v1/directory"), None).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        get(&c, &relay.url("/v1/org/inbox"), Some(&relay.union.token))
            .await
            .status(),
        StatusCode::OK
    );
    relay.stop().await;
}

fn small_body_budget(s: &mut Settings) {
    s.max_body_bytes_in_flight = 3 * 1024 * 1024;
}

/// Open a request with a 2 MiB body and send only part of it.
async fn slow_body(port: u16) -> tokio::net::TcpStream {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let head = "POST /v1/submissions HTTP/1.1\r\nhost: relay\r\ncontent-type: application/json\r\n\
                content-length: 2097152\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&[b' '; 4096]).await.unwrap();
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_beyond_the_budget_in_flight_are_refused_at_once() {
    let relay = TestRelay::spawn(TestRelayOptions {
        adjust: Some(small_body_budget),
        ..TestRelayOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let first = slow_body(relay.port).await;
    // The first body holds 2 MiB of the 3 MiB budget once its headers are read; a second
    // 2 MiB body is refused without being read (retried until the first is in).
    let mut refused = None;
    for _ in 0..100 {
        let mut second = slow_body(relay.port).await;
        let mut answer = vec![0u8; 1024];
        let read = tokio::time::timeout(Duration::from_secs(2), second.read(&mut answer)).await;
        if let Ok(Ok(n)) = read
            && n > 0
        {
            refused = Some(String::from_utf8_lossy(&answer[..n]).to_string());
            break;
        }
    }
    let refused = refused.expect("a second body was never refused");
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(refused.contains("\"error\":\"relay_busy\""), "{refused}");
    assert!(
        refused.to_ascii_lowercase().contains("retry-after: 1"),
        "{refused}"
    );
    // Once the first is gone, bodies are accepted again.
    drop(first);
    let p = relay
        .prepare_submission(&SubmissionSpec::default())
        .unwrap();
    let mut created = false;
    for _ in 0..100 {
        let r = post_json(&c, &relay.url("/v1/submissions"), &p.request, None).await;
        if r.status() == StatusCode::CREATED {
            created = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        created,
        "no submission was accepted after the slow body closed"
    );
    relay.stop().await;
}

fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap()
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The documented bound (ARCHITECTURE.md, THREATS.md §4) on the relay's resident memory with
/// 1,000 slow 2 MiB bodies: the idle relay, plus the 64 MiB body budget twice over, plus
/// 64 KiB per connection.
const SLOW_BODIES_BOUND_MIB: u64 = 2 * 64 + 1000 * 64 / 1024;

/// 1,000 connections each start a 2 MiB submission and send it slowly; the relay's RSS stays
/// under the idle RSS plus [`SLOW_BODIES_BOUND_MIB`]. Prints the figures.
#[test]
fn rss_under_1000_slow_bodies_stays_under_the_documented_bound() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_workvoice-relay"))
        .arg("serve")
        .env("WORKVOICE_DATA_DIR", dir.path())
        .env("WORKVOICE_LISTEN", "127.0.0.1:0")
        .env("WORKVOICE_ANONYMOUS_RATE_PER_SECOND", "0")
        .env("WORKVOICE_LOG_LEVEL", "error")
        .env("WORKVOICE_HEADER_READ_TIMEOUT_SECS", "60")
        .env("WORKVOICE_REQUEST_TIMEOUT_SECS", "120")
        .env_remove("DATABASE_URL")
        .env_remove("WORKVOICE_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines.next().unwrap().unwrap();
    let port: u16 = line.rsplit(':').next().unwrap().parse().unwrap();
    std::thread::spawn(move || for _ in lines.by_ref() {});
    let pid = child.id();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (idle, _) = rss_kib(pid);
    let (busy, refused, peak) = runtime.block_on(async move {
        let refused = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..1000 {
            let refused = refused.clone();
            tasks.push(tokio::spawn(async move {
                let mut s = slow_body(port).await;
                // Then 16 KiB every 100 ms, about 1.5 MiB in all, reading any answer.
                let mut answer = [0u8; 256];
                for _ in 0..100 {
                    if s.write_all(&[b' '; 16 * 1024]).await.is_err() {
                        break;
                    }
                    if let Ok(Ok(n)) =
                        tokio::time::timeout(Duration::from_millis(100), s.read(&mut answer)).await
                    {
                        if n > 0 && answer.starts_with(b"HTTP/1.1 503") {
                            refused.fetch_add(1, Ordering::Relaxed);
                        }
                        break;
                    }
                }
                s
            }));
        }
        let mut peak = 0;
        let mut open = Vec::new();
        for t in tasks {
            open.push(t.await.unwrap());
            peak = peak.max(rss_kib(pid).0);
        }
        let busy = rss_kib(pid).0;
        drop(open);
        (busy, refused.load(Ordering::Relaxed), peak)
    });
    let (_, hwm) = rss_kib(pid);
    child.kill().unwrap();
    child.wait().unwrap();
    let bound = idle + SLOW_BODIES_BOUND_MIB * 1024;
    println!(
        "relay RSS: idle {:.1} MiB, with 1,000 slow 2 MiB bodies {:.1} MiB (sampled peak {:.1}, \
         VmHWM {:.1}); bound idle + {SLOW_BODIES_BOUND_MIB} MiB = {:.1} MiB; {refused} bodies \
         refused relay_busy",
        idle as f64 / 1024.0,
        busy as f64 / 1024.0,
        peak as f64 / 1024.0,
        hwm as f64 / 1024.0,
        bound as f64 / 1024.0
    );
    assert!(refused > 0, "the body budget refused nothing");
    assert!(
        hwm <= bound,
        "peak RSS {hwm} KiB is over the bound {bound} KiB"
    );
}

fn behind_a_proxy(s: &mut Settings) {
    s.anonymous_burst = 100;
    s.client_rate_per_second = 1;
    s.client_burst = 2;
    s.client_address_header = Some("x-forwarded-for".into());
}

/// Behind a reverse proxy every request comes from the proxy; the client is the last address
/// the proxy appended to the configured header.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_proxy_the_client_is_the_configured_header() {
    let relay = TestRelay::spawn(TestRelayOptions {
        anonymous_rate_per_second: 100,
        adjust: Some(behind_a_proxy),
        ..TestRelayOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let fetch = |forwarded: &'static str| {
        let c = c.clone();
        let url = relay.url("/v1/directory");
        async move {
            c.get(url)
                .header("x-forwarded-for", forwarded)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // A client cannot escape its bucket by putting other addresses first.
    assert_eq!(fetch("192.0.2.1").await, StatusCode::OK);
    assert_eq!(fetch("198.51.100.7, 192.0.2.1").await, StatusCode::OK);
    assert_eq!(
        fetch("203.0.113.9, 192.0.2.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another client behind the same proxy is not affected.
    assert_eq!(fetch("192.0.2.2").await, StatusCode::OK);
    relay.stop().await;
}
