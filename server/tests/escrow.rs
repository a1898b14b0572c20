//! Reporting escrow at the relay (`PROTOCOL.md` 18.3): the relay's step of the chained OPRF,
//! its proof-of-work and its per-client budget. The route stores nothing, so one backend.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use workvoice_proto::api::{OprfEvaluation, OprfEvaluationRequest};
use workvoice_proto::escrow::{
    CanonicalRecruiter, OprfKey, OprfRequest, canonical_recruiter, oprf_pow_id, relay_epoch_key,
};
use workvoice_proto::pow::solve_pow;
use workvoice_proto::vectors::DeterministicRng;
use workvoice_relay::testing::{TestRelay, TestRelayOptions};

fn request_for(
    relay: &TestRelay,
    recruiter: &CanonicalRecruiter,
    rng: &mut DeterministicRng,
) -> (OprfRequest, OprfEvaluationRequest) {
    let request = OprfRequest::blind(recruiter, rng).unwrap();
    let blinded = request.blinded_element().to_vec();
    let pow_nonce = solve_pow(&oprf_pow_id(&blinded), relay.listing.pow_difficulty).unwrap();
    (request, OprfEvaluationRequest { blinded, pow_nonce })
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_evaluates_a_blinded_recruiter_under_its_epoch_key() {
    let relay = TestRelay::spawn(TestRelayOptions::default()).await.unwrap();
    let c = client();
    let mut rng = DeterministicRng::new("relay oprf");
    let recruiter = canonical_recruiter("Everest Manpower Pvt. Ltd.", None).unwrap();
    let org = OprfKey::derive(&[9; 32], b"organisation epoch").unwrap();

    let before = unix_now() / relay.settings.escrow_epoch_secs;
    let mut outputs = Vec::new();
    for _ in 0..2 {
        let (blind, body) = request_for(&relay, &recruiter, &mut rng);
        let r = post_json(&c, &relay.url("/v1/escrow/oprf"), &body, None).await;
        assert_eq!(r.status(), StatusCode::OK);
        let answer: OprfEvaluation = json(r).await;
        let after = unix_now() / relay.settings.escrow_epoch_secs;
        assert!((before..=after).contains(&u64::from(answer.epoch)));
        // Exactly the relay's key for that epoch, derived from its key file's seed.
        let expected = relay_epoch_key(relay.fixture.relay.seed(), answer.epoch)
            .unwrap()
            .evaluate_blinded(&body.blinded)
            .unwrap();
        assert_eq!(answer.evaluated, expected.to_vec());
        // The organisation's step, then the phone's finalize.
        let z = org.evaluate_blinded(&answer.evaluated).unwrap();
        outputs.push(*blind.finalize(&z).unwrap().as_bytes());
        // Without the organisation's step the output is another value.
        assert_ne!(
            blind.finalize(&answer.evaluated).unwrap().as_bytes(),
            outputs.last().unwrap()
        );
    }
    assert_eq!(outputs[0], outputs[1], "two blinds of one recruiter agree");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_asking_for_1000_licence_numbers_is_rate_limited() {
    let relay = TestRelay::spawn(TestRelayOptions {
        adjust: Some(|s| {
            s.oprf_client_burst = 10;
            s.oprf_client_per_hour = 1;
        }),
        ..TestRelayOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let mut rng = DeterministicRng::new("probe");
    let (mut answered, mut limited) = (0, 0);
    for i in 0..1000 {
        let recruiter = canonical_recruiter("", Some(&format!("NP-{i:04}"))).unwrap();
        let (_, body) = request_for(&relay, &recruiter, &mut rng);
        let r = post_json(&c, &relay.url("/v1/escrow/oprf"), &body, None).await;
        match r.status() {
            StatusCode::OK => answered += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(r.headers().contains_key("retry-after"));
                let e = expect_error(r, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
                assert!(e.message.contains("OPRF"), "{}", e.message);
                limited += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    // The burst, and at most one token refilled at one per hour while the loop ran.
    assert!((10..=11).contains(&answered), "answered {answered}");
    assert_eq!(answered + limited, 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_oprf_requests_get_specific_errors() {
    let relay = TestRelay::spawn(TestRelayOptions {
        pow_difficulty: 8,
        ..TestRelayOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let url = relay.url("/v1/escrow/oprf");

    let short = OprfEvaluationRequest {
        blinded: vec![1; 31],
        pow_nonce: 0,
    };
    expect_error(
        post_json(&c, &url, &short, None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "escrow_invalid_element",
    )
    .await;

    // 32 bytes that are no ristretto255 encoding, with a valid proof-of-work.
    let blinded = vec![0xff; 32];
    let pow_nonce = solve_pow(&oprf_pow_id(&blinded), 8).unwrap();
    let not_a_point = OprfEvaluationRequest { blinded, pow_nonce };
    expect_error(
        post_json(&c, &url, &not_a_point, None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "escrow_invalid_element",
    )
    .await;

    // A valid element without the work.
    let mut rng = DeterministicRng::new("bad oprf");
    let (_, mut body) = request_for(
        &relay,
        &canonical_recruiter("Himal Overseas", None).unwrap(),
        &mut rng,
    );
    body.pow_nonce = (0..u64::MAX)
        .find(|n| workvoice_proto::pow::verify_pow(&oprf_pow_id(&body.blinded), *n, 8).is_err())
        .unwrap();
    expect_error(
        post_json(&c, &url, &body, None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "pow_insufficient",
    )
    .await;

    let r = c
        .post(&url)
        .header("content-type", "text/plain")
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
    let r = c
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"blinded\": 5}")
        .send()
        .await
        .unwrap();
    expect_error(r, StatusCode::BAD_REQUEST, "malformed_json").await;
}
