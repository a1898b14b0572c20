//! Metrics that count, not watch: `/metrics` only on a separate loopback listener, as a coarse
//! snapshot per period, with no token, path or address in it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use workvoice_relay::configuration::Settings;
use workvoice_relay::startup::{Application, StartupError};
use workvoice_relay::testing::{SubmissionSpec, TestRelay, TestRelayOptions};

fn with_metrics(s: &mut Settings) {
    s.metrics_listen = Some("127.0.0.1:0".into());
    s.metrics_interval_secs = 3600;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_coarse_snapshots_on_a_loopback_listener_only() {
    let relay = TestRelay::spawn(TestRelayOptions {
        adjust: Some(with_metrics),
        ..TestRelayOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let metrics_url = format!("{}/metrics", relay.metrics_url.as_ref().unwrap());
    expect_error(
        get(&c, &relay.url("/metrics"), None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // The metrics listener serves nothing else.
    expect_error(
        get(&c, &metrics_url.replace("/metrics", "/v1/directory"), None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // Ten refusals and one acceptance, then one mailbox poll, before the first scrape.
    let p = relay
        .prepare_submission(&SubmissionSpec::default())
        .unwrap();
    let mut bad = relay
        .prepare_submission(&SubmissionSpec {
            seed: 3,
            ..SubmissionSpec::default()
        })
        .unwrap();
    bad.request.pow_nonce = (0..)
        .find(|n| workvoice_proto::pow::verify_pow(&bad.request.submission_id, *n, 4).is_err())
        .unwrap();
    for _ in 0..10 {
        let r = post_json(&c, &relay.url("/v1/submissions"), &bad.request, None).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let r = post_json(&c, &relay.url("/v1/submissions"), &p.request, None).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let mailbox = relay.url(&format!("/v1/mailbox/{}", p.mailbox_token_text));
    assert_eq!(get(&c, &mailbox, None).await.status(), StatusCode::OK);

    let r = get(&c, &metrics_url, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let first = r.text().await.unwrap();
    assert!(
        first.contains(
            "workvoice_submissions_total{outcome=\"refused\",reason=\"pow_insufficient\"} 10\n"
        ),
        "{first}"
    );
    // One accepted submission and one mailbox poll are below the granule: shown as 0.
    assert!(
        first.contains("workvoice_submissions_total{outcome=\"accepted\",reason=\"\"} 0\n"),
        "{first}"
    );
    assert!(first.contains("route=\"/v1/mailbox/{token}\""), "{first}");
    assert!(
        !first.contains(&p.mailbox_token_text),
        "no token in metrics"
    );
    assert!(!first.contains("127.0.0.1"), "no address in metrics");

    // More submissions and polls within the period: the served text does not move, so a
    // poller cannot tell when they happened nor how many mailboxes one phone polled.
    for seed in 10..15u64 {
        let q = relay
            .prepare_submission(&SubmissionSpec {
                seed,
                ..SubmissionSpec::default()
            })
            .unwrap();
        let r = post_json(&c, &relay.url("/v1/submissions"), &q.request, None).await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let poll = relay.url(&format!("/v1/mailbox/{}", q.mailbox_token_text));
        assert_eq!(get(&c, &poll, None).await.status(), StatusCode::OK);
        let again = get(&c, &metrics_url, None).await.text().await.unwrap();
        assert_eq!(again, first, "the snapshot changed within its period");
    }
    relay.stop().await;
}

#[tokio::test]
async fn a_metrics_listener_off_loopback_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.path().to_path_buf(),
        metrics_listen: Some("0.0.0.0:0".into()),
        ..Settings::default()
    };
    match Application::build(settings).await {
        Err(e @ StartupError::MetricsNotLoopback(_)) => {
            assert!(e.to_string().contains("loopback"), "{e}");
        }
        other => panic!("started with metrics on 0.0.0.0: {other:?}"),
    }
}
