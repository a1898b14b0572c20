//! Oblivious HTTP cost, against a direct request in the same run: the time and bytes of one
//! submission posted directly and through the gateway (`POST /v1/ohttp`, the client
//! encapsulating and opening the answer with the `ohttp` crate), interleaved one by one on an
//! in-process relay; and the bytes on the wire per 1 KiB report against its plaintext, for the
//! JSON body and the binary body (`PROTOCOL.md` 14.9), each directly and through the gateway as
//! the phone sends it (`workvoice_proto::oblivious::encapsulate`, padded to `PADDED_SIZES`).
//!
//! `cargo bench -p workvoice-relay --bench ohttp` (optional `OHTTP_BENCH_SUBMISSIONS`, default
//! 200). What it does not count: TLS, HTTP headers, and the OHTTP relay's hop (one more
//! forwarding of the same bytes).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use workvoice_proto::api::SUBMISSION_BINARY_TYPE;
use workvoice_proto::oblivious::{GatewayKeyConfig, InnerRequest, encapsulate};
use workvoice_relay::testing::{SubmissionSpec, TestRelay, TestRelayOptions};

fn bhttp_submission(body: &[u8]) -> Vec<u8> {
    let mut message = bhttp::Message::request(
        b"POST".to_vec(),
        b"https".to_vec(),
        b"relay.example".to_vec(),
        b"/v1/submissions".to_vec(),
    );
    message.put_header("content-type", "application/json");
    message.write_content(body);
    let mut out = Vec::new();
    message
        .write_bhttp(bhttp::Mode::KnownLength, &mut out)
        .unwrap();
    out
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let n: u64 = std::env::var("OHTTP_BENCH_SUBMISSIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let relay = TestRelay::spawn(TestRelayOptions::default()).await.unwrap();
    let c = reqwest::Client::new();
    let keys = c
        .get(relay.url("/v1/ohttp/keys"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let config = ohttp::KeyConfig::decode_list(&keys).unwrap()[0]
        .encode()
        .unwrap();

    // A report whose plaintext is about 1 KiB: the fixture report with its free text sized.
    let prepare = |seed: u64, len: usize| {
        relay
            .prepare_submission(&SubmissionSpec {
                seed,
                free_text_len: Some(len),
                ..SubmissionSpec::default()
            })
            .unwrap()
    };
    let base = prepare(1, 0).report.encode().len();
    let free_text = 1024usize.saturating_sub(base);
    let sized = |seed: u64| {
        let p = prepare(seed, free_text);
        let plain = p.report.encode().len();
        (p, plain)
    };

    let (mut direct_time, mut oblivious_time) = (Vec::new(), Vec::new());
    let (mut direct_up, mut direct_down, mut oblivious_up, mut oblivious_down, mut plain_total) =
        (0usize, 0usize, 0usize, 0usize, 0usize);
    for i in 0..n {
        let (direct, plain) = sized(1 + 2 * i);
        let (through, plain_2) = sized(2 + 2 * i);
        plain_total += plain + plain_2;

        let body = serde_json::to_vec(&direct.request).unwrap();
        let started = Instant::now();
        let r = c
            .post(relay.url("/v1/submissions"))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let answer = r.bytes().await.unwrap();
        direct_time.push(started.elapsed());
        direct_up += body.len();
        direct_down += answer.len();

        let body = serde_json::to_vec(&through.request).unwrap();
        let started = Instant::now();
        let (sealed, response) = ohttp::ClientRequest::from_encoded_config(&config)
            .unwrap()
            .encapsulate(&bhttp_submission(&body))
            .unwrap();
        let r = c
            .post(relay.url("/v1/ohttp"))
            .header("content-type", "message/ohttp-req")
            .body(sealed.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let answer = r.bytes().await.unwrap();
        let opened = response.decapsulate(&answer).unwrap();
        oblivious_time.push(started.elapsed());
        let inner = bhttp::Message::read_bhttp(&mut std::io::Cursor::new(&opened[..])).unwrap();
        assert_eq!(inner.control().status().map(u16::from), Some(201));
        oblivious_up += sealed.len();
        oblivious_down += answer.len();
    }
    let per = |total: usize| total as f64 / n as f64;
    let plain = plain_total as f64 / (2 * n) as f64;
    let (d_ms, o_ms) = (median(direct_time), median(oblivious_time));
    println!(
        "submissions: {n} direct and {n} through the gateway, interleaved; report plaintext {plain:.0} bytes on average"
    );
    println!("| measure | direct | through OHTTP | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| time per submission, median (client encapsulation and opening included) | {d_ms:.2} ms | {o_ms:.2} ms | {:.2} |",
        o_ms / d_ms
    );
    println!(
        "| request body bytes | {:.0} | {:.0} | {:.3} |",
        per(direct_up),
        per(oblivious_up),
        per(oblivious_up) / per(direct_up)
    );
    println!(
        "| answer body bytes | {:.0} | {:.0} | {:.3} |",
        per(direct_down),
        per(oblivious_down),
        per(oblivious_down) / per(direct_down)
    );
    println!(
        "| request body bytes per plaintext byte (1 KiB report) | {:.2} | {:.2} | |",
        per(direct_up) / plain,
        per(oblivious_up) / plain
    );
    println!(
        "| request + answer bytes per plaintext byte | {:.2} | {:.2} | |",
        per(direct_up + direct_down) / plain,
        per(oblivious_up + oblivious_down) / plain
    );

    // Bytes per 1 KiB report in each encoding, directly and through the gateway with the
    // phone's padding; every submission is accepted (201), each under its own report.
    let gateway = GatewayKeyConfig::parse(&hex::encode(&config)).unwrap();
    let rounds = n.min(50);
    let mut sizes = [0usize; 4];
    let mut plain_total = 0usize;
    for i in 0..rounds {
        for (slot, size) in sizes.iter_mut().enumerate() {
            let (p, plain) = sized(10_000 + 4 * i + slot as u64);
            plain_total += plain;
            let (body, content_type) = if slot % 2 == 0 {
                (serde_json::to_vec(&p.request).unwrap(), "application/json")
            } else {
                (p.request.to_binary().unwrap(), SUBMISSION_BINARY_TYPE)
            };
            let status = if slot < 2 {
                *size += body.len();
                c.post(relay.url("/v1/submissions"))
                    .header("content-type", content_type)
                    .body(body)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            } else {
                let inner = InnerRequest {
                    method: "POST",
                    path: "/v1/submissions",
                    headers: &[("content-type", content_type)],
                    body: &body,
                };
                let (sealed, pending) = encapsulate(&gateway, &inner).unwrap();
                *size += sealed.len();
                let answer = c
                    .post(relay.url("/v1/ohttp"))
                    .header("content-type", "message/ohttp-req")
                    .body(sealed)
                    .send()
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap();
                pending.open(&answer).unwrap().status
            };
            assert_eq!(status, 201, "encoding {slot}");
        }
    }
    let plain = plain_total as f64 / (4 * rounds) as f64;
    let per = |total: usize| total as f64 / rounds as f64;
    println!();
    println!(
        "request body bytes per 1 KiB report ({rounds} of each; plaintext {plain:.0} bytes on average; goal <= 1.5x)"
    );
    println!("| request body | bytes | per plaintext byte | against JSON direct |");
    println!("|---|---|---|---|");
    for (slot, name) in [
        "JSON, direct",
        "binary, direct",
        "JSON, through OHTTP (padded)",
        "binary, through OHTTP (padded)",
    ]
    .into_iter()
    .enumerate()
    {
        println!(
            "| {name} | {:.0} | {:.2}x | {:.3} |",
            per(sizes[slot]),
            per(sizes[slot]) / plain,
            per(sizes[slot]) / per(sizes[0])
        );
    }
    relay.stop().await;
}
