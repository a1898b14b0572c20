//! The binary body of `POST /v1/submissions` (`PROTOCOL.md` 14.9): accepted like the JSON body,
//! checked alike in the same order, a retry in the other encoding is the same submission, and
//! every way a binary body can be malformed has its code and stores nothing. SQLite and
//! PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reqwest::{Client, Response, StatusCode};
use workvoice_proto::api::{
    InboxPage, MAX_SUBMISSION_BYTES, SUBMISSION_BINARY_TYPE, SubmissionAccepted, SubmissionRequest,
};
use workvoice_proto::keys::ReportId;
use workvoice_relay::testing::{SubmissionSpec, TestDatabase, TestRelay};

on_both_backends!(
    a_binary_submission_is_delivered_and_a_retry_in_either_encoding_is_the_same,
    a_json_submission_retried_in_binary_is_the_same_and_another_body_conflicts,
    both_encodings_get_the_same_answer_to_the_same_bad_submission,
    malformed_binary_bodies_get_their_codes_and_store_nothing,
    a_binary_submission_crosses_the_gateway_padded_and_smaller_than_json
);

async fn post_binary(c: &Client, relay: &TestRelay, body: Vec<u8>) -> Response {
    c.post(relay.url("/v1/submissions"))
        .header("content-type", SUBMISSION_BINARY_TYPE)
        .body(body)
        .send()
        .await
        .unwrap()
}

fn prepared(relay: &TestRelay, seed: u64) -> SubmissionRequest {
    relay
        .prepare_submission(&SubmissionSpec {
            seed,
            ..SubmissionSpec::default()
        })
        .unwrap()
        .request
}

async fn a_binary_submission_is_delivered_and_a_retry_in_either_encoding_is_the_same(
    db: TestDatabase,
) {
    let relay = relay(db).await;
    let c = client();
    let request = prepared(&relay, 1);
    let binary = request.to_binary().unwrap();
    let first = post_binary(&c, &relay, binary.clone()).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert_eq!(
        first.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let first: SubmissionAccepted = json(first).await;
    assert_eq!(first.submission_id, request.submission_id);

    let again = post_binary(&c, &relay, binary).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(json::<SubmissionAccepted>(again).await, first);
    let as_json = post_json(&c, &relay.url("/v1/submissions"), &request, None).await;
    assert_eq!(as_json.status(), StatusCode::OK);
    assert_eq!(json::<SubmissionAccepted>(as_json).await, first);

    // The organisation receives exactly the bytes and tags the phone sent.
    let union = &relay.union;
    let page: InboxPage =
        json(get(&c, &relay.url("/v1/org/inbox"), Some(&union.token)).await).await;
    assert_eq!(page.entries.len(), 1);
    assert_eq!(page.entries[0].envelope, request.envelope);
    assert_eq!(page.entries[0].tags, request.tags);
    assert_eq!(page.entries[0].consent, request.consent);
    relay.stop().await;
}

async fn a_json_submission_retried_in_binary_is_the_same_and_another_body_conflicts(
    db: TestDatabase,
) {
    let relay = relay(db).await;
    let c = client();
    let request = prepared(&relay, 1);
    let first = post_json(&c, &relay.url("/v1/submissions"), &request, None).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: SubmissionAccepted = json(first).await;
    let again = post_binary(&c, &relay, request.to_binary().unwrap()).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(json::<SubmissionAccepted>(again).await, first);

    let mut other = request.clone();
    other.consent.contact_wanted = !other.consent.contact_wanted;
    let before = relay.storage.content_digest().await.unwrap();
    expect_error(
        post_binary(&c, &relay, other.to_binary().unwrap()).await,
        StatusCode::CONFLICT,
        "submission_conflict",
    )
    .await;
    assert_eq!(relay.storage.content_digest().await.unwrap(), before);
    relay.stop().await;
}

async fn both_encodings_get_the_same_answer_to_the_same_bad_submission(db: TestDatabase) {
    let relay = relay(db).await;
    let c = client();
    let valid = prepared(&relay, 2);
    let failing_nonce = |id: &ReportId| {
        (0..)
            .find(|n| workvoice_proto::pow::verify_pow(id, *n, 4).is_err())
            .unwrap()
    };
    let mut cases: Vec<(&str, SubmissionRequest, &str)> = Vec::new();
    let mut v = valid.clone();
    v.envelope.truncate(30);
    cases.push(("truncated envelope", v, "envelope_truncated"));
    let mut v = valid.clone();
    v.tags.destination_country = "Q1".into();
    cases.push(("invalid country", v, "invalid_country"));
    let mut v = valid.clone();
    v.directory_version = 0;
    cases.push(("directory version zero", v, "invalid_directory_version"));
    // Bad in two ways: the proof-of-work is checked first, in both encodings.
    let mut v = valid.clone();
    v.pow_nonce = failing_nonce(&v.submission_id);
    v.tags.destination_country = "Q1".into();
    cases.push(("bad proof-of-work and country", v, "pow_insufficient"));
    let mut v = valid.clone();
    v.tags.kinds.clear();
    cases.push(("no report kind", v, "invalid_kind_count"));
    let mut v = valid.clone();
    v.tags.sector = Some(workvoice_proto::report::Sector::Unknown);
    cases.push(("unknown sector", v, "unknown_sector"));

    let before = relay.storage.content_digest().await.unwrap();
    for (name, request, code) in cases {
        let by_json = post_json(&c, &relay.url("/v1/submissions"), &request, None).await;
        let (json_status, json_text) = (by_json.status(), by_json.text().await.unwrap());
        let by_binary = post_binary(&c, &relay, request.to_binary().unwrap()).await;
        let (bin_status, bin_text) = (by_binary.status(), by_binary.text().await.unwrap());
        assert_eq!(json_status, bin_status, "{name}: {json_text} / {bin_text}");
        assert_eq!(json_text, bin_text, "{name}");
        let e: workvoice_proto::api::ApiError = serde_json::from_str(&bin_text).unwrap();
        assert_eq!(e.error, code, "{name}: {bin_text}");
        assert_eq!(
            relay.storage.content_digest().await.unwrap(),
            before,
            "{name}"
        );
    }
    relay.stop().await;
}

async fn malformed_binary_bodies_get_their_codes_and_store_nothing(db: TestDatabase) {
    let relay = relay(db).await;
    let c = client();
    let good = prepared(&relay, 3).to_binary().unwrap();
    // The envelope is last, after its 4-byte length.
    let envelope_len_at = good.len()
        - SubmissionRequest::from_binary(&good)
            .unwrap()
            .envelope
            .len()
        - 4;
    let flags_at = 1 + 16 + 8 + 8 + 32;
    let mut cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = Vec::new();
    let mut v = good.clone();
    v[0] = 2;
    cases.push((
        "another version",
        v,
        StatusCode::BAD_REQUEST,
        "binary_unsupported_version",
    ));
    cases.push((
        "empty body",
        Vec::new(),
        StatusCode::BAD_REQUEST,
        "binary_truncated",
    ));
    for cut in [1, 40, flags_at + 1, envelope_len_at + 2, good.len() - 1] {
        cases.push((
            "cut short",
            good[..cut].to_vec(),
            StatusCode::BAD_REQUEST,
            "binary_truncated",
        ));
    }
    let mut v = good.clone();
    v.push(0);
    cases.push((
        "a byte after the envelope",
        v,
        StatusCode::BAD_REQUEST,
        "binary_trailing_bytes",
    ));
    let mut v = good.clone();
    v[envelope_len_at + 3] = v[envelope_len_at + 3].wrapping_sub(1);
    if v[envelope_len_at + 3] == 0xff {
        v[envelope_len_at + 2] -= 1;
    }
    cases.push((
        "envelope length one short",
        v,
        StatusCode::BAD_REQUEST,
        "binary_trailing_bytes",
    ));
    let mut v = good.clone();
    v[envelope_len_at] = 0x7f;
    cases.push((
        "envelope length past the body",
        v,
        StatusCode::BAD_REQUEST,
        "binary_truncated",
    ));
    // Cut after two bytes of the country, whose length says 3.
    let mut v = good[..flags_at + 4].to_vec();
    v[flags_at + 1] = 3;
    cases.push((
        "country length past the body",
        v,
        StatusCode::BAD_REQUEST,
        "binary_truncated",
    ));
    let mut v = good.clone();
    v[flags_at] |= 0x80;
    cases.push((
        "reserved consent bit",
        v,
        StatusCode::BAD_REQUEST,
        "binary_reserved_bits",
    ));
    let mut v = good.clone();
    v[flags_at + 2] = 0xc3;
    cases.push((
        "country not UTF-8",
        v,
        StatusCode::BAD_REQUEST,
        "binary_invalid_text",
    ));
    cases.push((
        "oversized body",
        vec![1; MAX_SUBMISSION_BYTES + 1],
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    ));

    let before = relay.storage.content_digest().await.unwrap();
    let counts = relay.storage.table_counts().await.unwrap();
    for (name, body, status, code) in cases {
        let e = expect_error(post_binary(&c, &relay, body).await, status, code).await;
        assert!(!e.message.is_empty(), "{name}");
        assert_eq!(
            relay.storage.content_digest().await.unwrap(),
            before,
            "{name}"
        );
    }
    let other_type = c
        .post(relay.url("/v1/submissions"))
        .header("content-type", "application/octet-stream")
        .body(good.clone())
        .send()
        .await
        .unwrap();
    let e = expect_error(
        other_type,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    assert!(e.message.contains(SUBMISSION_BINARY_TYPE), "{}", e.message);
    assert_eq!(relay.storage.table_counts().await.unwrap(), counts);
    // And the good body is still accepted after all of them.
    assert_eq!(
        post_binary(&c, &relay, good).await.status(),
        StatusCode::CREATED
    );
    relay.stop().await;
}

/// Through the gateway as the phone sends it (padded, `oblivious::encapsulate`), the binary
/// body is accepted, and its retry as JSON is the same submission. Both fit the smallest padded
/// size here, so on the wire they are the same size: padding hides which encoding was used.
async fn a_binary_submission_crosses_the_gateway_padded_and_smaller_than_json(db: TestDatabase) {
    use workvoice_proto::oblivious::{
        ENCAPSULATION_OVERHEAD, GatewayKeyConfig, InnerRequest, PADDED_SIZES, encapsulate,
    };

    let relay = relay(db).await;
    let c = client();
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
    let gateway = GatewayKeyConfig::parse(&hex::encode(config)).unwrap();
    let request = prepared(&relay, 4);
    let binary = request.to_binary().unwrap();
    let json_body = serde_json::to_vec(&request).unwrap();
    assert!(binary.len() < json_body.len());

    let mut answers = Vec::new();
    for (body, content_type) in [
        (&binary, SUBMISSION_BINARY_TYPE),
        (&json_body, "application/json"),
    ] {
        let inner = InnerRequest {
            method: "POST",
            path: "/v1/submissions",
            headers: &[("content-type", content_type)],
            body,
        };
        let (sealed, pending) = encapsulate(&gateway, &inner).unwrap();
        assert_eq!(sealed.len(), PADDED_SIZES[0] + ENCAPSULATION_OVERHEAD);
        let answer = c
            .post(relay.url("/v1/ohttp"))
            .header("content-type", "message/ohttp-req")
            .body(sealed)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        let inner = pending.open(&answer.bytes().await.unwrap()).unwrap();
        let accepted: SubmissionAccepted = serde_json::from_slice(&inner.body).unwrap();
        answers.push((inner.status, accepted));
    }
    assert_eq!(answers[0].0, 201);
    assert_eq!(answers[1].0, 200);
    assert_eq!(answers[0].1, answers[1].1);
    relay.stop().await;
}
