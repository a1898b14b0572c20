//! Bad input gets its specific status and error code and leaves the database exactly as it
//! was; one organisation can never touch another's inbox entries. SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use workvoice_proto::api::{
    InboxPage, PostReply, Referral, StatusChange, SubmissionRequest, WorkerStatus,
};
use workvoice_proto::keys::{OrgId, ReportId};
use workvoice_proto::report::{Report, Sector};
use workvoice_proto::routing::{Consent, disclosure_digest};
use workvoice_relay::testing::{SubmissionSpec, TestDatabase, TestRelay};

on_both_backends!(
    bad_input_is_refused_and_changes_nothing,
    organisations_cannot_touch_each_others_cases
);

enum Body {
    Json(serde_json::Value),
    Raw(&'static str, Vec<u8>),
}

struct Case {
    name: &'static str,
    method: &'static str,
    path: String,
    token: Option<String>,
    body: Option<Body>,
    status: StatusCode,
    code: &'static str,
}

fn submission(
    name: &'static str,
    request: &SubmissionRequest,
    status: StatusCode,
    code: &'static str,
) -> Case {
    Case {
        name,
        method: "POST",
        path: "/v1/submissions".into(),
        token: None,
        body: Some(Body::Json(serde_json::to_value(request).unwrap())),
        status,
        code,
    }
}

fn prepared(
    relay: &TestRelay,
    seed: u64,
    adjust: impl FnOnce(&mut SubmissionSpec),
) -> SubmissionRequest {
    let mut spec = SubmissionSpec {
        seed,
        ..SubmissionSpec::default()
    };
    adjust(&mut spec);
    relay.prepare_submission(&spec).unwrap().request
}

fn failing_nonce(id: &ReportId, difficulty: u8) -> u64 {
    (0..)
        .find(|n| workvoice_proto::pow::verify_pow(id, *n, difficulty).is_err())
        .unwrap()
}

async fn bad_input_is_refused_and_changes_nothing(db: TestDatabase) {
    let relay = relay(db).await;
    let c = client();
    let accepted = relay
        .prepare_submission(&SubmissionSpec::default())
        .unwrap();
    assert_eq!(
        post_json(&c, &relay.url("/v1/submissions"), &accepted.request, None)
            .await
            .status(),
        StatusCode::CREATED
    );
    let (union, inspectorate, ngo) = (relay.union.id, relay.inspectorate.id, relay.ngo.id);
    let stranger = OrgId([0xEE; 16]);

    let valid = prepared(&relay, 2, |_| {});
    let mut cases = Vec::new();
    cases.push(Case {
        name: "malformed JSON",
        method: "POST",
        path: "/v1/submissions".into(),
        token: None,
        body: Some(Body::Raw(
            "application/json",
            b"{\"submission_id\": ".to_vec(),
        )),
        status: StatusCode::BAD_REQUEST,
        code: "malformed_json",
    });
    let mut missing_pow = serde_json::to_value(&valid).unwrap();
    missing_pow.as_object_mut().unwrap().remove("pow_nonce");
    cases.push(Case {
        name: "missing proof-of-work",
        method: "POST",
        path: "/v1/submissions".into(),
        token: None,
        body: Some(Body::Json(missing_pow)),
        status: StatusCode::BAD_REQUEST,
        code: "malformed_json",
    });
    cases.push(Case {
        name: "wrong content type",
        method: "POST",
        path: "/v1/submissions".into(),
        token: None,
        body: Some(Body::Raw("text/plain", serde_json::to_vec(&valid).unwrap())),
        status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
        code: "unsupported_media_type",
    });
    cases.push(Case {
        name: "oversized body",
        method: "POST",
        path: "/v1/submissions".into(),
        token: None,
        body: Some(Body::Raw(
            "application/json",
            vec![b' '; workvoice_proto::api::MAX_SUBMISSION_BYTES + 1],
        )),
        status: StatusCode::PAYLOAD_TOO_LARGE,
        code: "payload_too_large",
    });
    let mut truncated = valid.clone();
    truncated.envelope.truncate(30);
    cases.push(submission(
        "truncated envelope",
        &truncated,
        StatusCode::UNPROCESSABLE_ENTITY,
        "envelope_truncated",
    ));
    let mut cut = valid.clone();
    cut.envelope.truncate(cut.envelope.len() - 7);
    cases.push(submission(
        "envelope cut in its ciphertext",
        &cut,
        StatusCode::UNPROCESSABLE_ENTITY,
        "envelope_length_mismatch",
    ));
    let mut other_id = valid.clone();
    other_id.submission_id = ReportId([0x11; 16]);
    other_id.pow_nonce = workvoice_proto::pow::solve_pow(&other_id.submission_id, 4).unwrap();
    cases.push(submission(
        "envelope for another report",
        &other_id,
        StatusCode::UNPROCESSABLE_ENTITY,
        "submission_id_mismatch",
    ));
    let mut bad_country = valid.clone();
    bad_country.tags.destination_country = "Q1".into();
    cases.push(submission(
        "invalid destination country",
        &bad_country,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_country",
    ));
    cases.push(submission(
        "unknown recipient",
        &prepared(&relay, 3, |s| s.recipients = Some(vec![union, stranger])),
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_recipient",
    ));
    cases.push(submission(
        "recipients not matching the route",
        &prepared(&relay, 4, |s| s.recipients = Some(vec![union])),
        StatusCode::UNPROCESSABLE_ENTITY,
        "recipients_mismatch",
    ));
    cases.push(submission(
        "consent violated",
        &prepared(&relay, 5, |s| {
            s.recipients = Some(vec![union, inspectorate, ngo])
        }),
        StatusCode::UNPROCESSABLE_ENTITY,
        "consent_violated",
    ));
    // A listing older than the current one is `stale_directory` (`api.rs`); a version the relay
    // never served is refused as such, whatever the recipients.
    let mut zero = prepared(&relay, 6, |s| s.recipients = Some(vec![union]));
    zero.directory_version = 0;
    cases.push(submission(
        "directory version zero",
        &zero,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_directory_version",
    ));
    let mut future = valid.clone();
    future.directory_version = 2;
    cases.push(submission(
        "a directory version newer than the relay serves",
        &future,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_directory_version",
    ));
    let mut wrong_pow = valid.clone();
    wrong_pow.pow_nonce = failing_nonce(&wrong_pow.submission_id, 4);
    cases.push(submission(
        "wrong proof-of-work",
        &wrong_pow,
        StatusCode::UNPROCESSABLE_ENTITY,
        "pow_insufficient",
    ));
    let mut replayed = prepared(&relay, 1, |_| {});
    assert_eq!(replayed.submission_id, accepted.request.submission_id);
    replayed.consent.contact_wanted = !replayed.consent.contact_wanted;
    cases.push(submission(
        "replayed id with a different body",
        &replayed,
        StatusCode::CONFLICT,
        "submission_conflict",
    ));
    let mut reused_mailbox = valid.clone();
    reused_mailbox.mailbox_token_hash = accepted.request.mailbox_token_hash;
    cases.push(submission(
        "mailbox token of another report",
        &reused_mailbox,
        StatusCode::CONFLICT,
        "mailbox_in_use",
    ));
    let no_recipient = prepared(&relay, 7, |s| {
        s.adjust_report = Some(|r: &mut Report| r.destination_country = "DE".into());
        s.recipients = Some(vec![union]);
    });
    cases.push(submission(
        "nobody to route to",
        &no_recipient,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no_recipient",
    ));
    for (name, path) in [
        (
            "unknown mailbox token",
            "/v1/mailbox/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_string(),
        ),
        ("malformed mailbox token", "/v1/mailbox/short".to_string()),
    ] {
        cases.push(Case {
            name,
            method: "GET",
            path,
            token: None,
            body: None,
            status: StatusCode::NOT_FOUND,
            code: "unknown_mailbox",
        });
    }
    for (name, token) in [
        (
            "wrong organisation credentials",
            Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_string()),
        ),
        (
            "malformed organisation credentials",
            Some("not-a-token".to_string()),
        ),
        ("no organisation credentials", None),
    ] {
        cases.push(Case {
            name,
            method: "GET",
            path: "/v1/org/inbox".into(),
            token: token.clone(),
            body: None,
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
        });
        cases.push(Case {
            name,
            method: "POST",
            path: format!("/v1/org/inbox/{}/ack", accepted.request.submission_id),
            token,
            body: None,
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
        });
    }
    cases.push(Case {
        name: "invalid worker status",
        method: "POST",
        path: format!("/v1/org/reports/{}/status", accepted.request.submission_id),
        token: Some(relay.union.token.clone()),
        body: Some(Body::Json(serde_json::json!({"status": "teleported"}))),
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: "invalid_status",
    });
    cases.push(Case {
        name: "reply that is not a sealed reply",
        method: "POST",
        path: format!("/v1/org/reports/{}/replies", accepted.request.submission_id),
        token: Some(relay.union.token.clone()),
        body: Some(Body::Json(
            serde_json::to_value(PostReply {
                sealed: b"WVRPxx".to_vec(),
            })
            .unwrap(),
        )),
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: "reply_unsupported_version",
    });
    cases.push(Case {
        name: "unknown endpoint",
        method: "GET",
        path: "/v1/nothing".into(),
        token: None,
        body: None,
        status: StatusCode::NOT_FOUND,
        code: "not_found",
    });

    let before = relay.storage.content_digest().await.unwrap();
    let counts = relay.storage.table_counts().await.unwrap();
    for case in cases {
        let url = relay.url(&case.path);
        let mut request = match case.method {
            "GET" => c.get(&url),
            _ => c.post(&url),
        };
        if let Some(t) = &case.token {
            request = request.bearer_auth(t);
        }
        request = match case.body {
            Some(Body::Json(v)) => request.json(&v),
            Some(Body::Raw(ct, bytes)) => request.header("content-type", ct).body(bytes),
            None => request,
        };
        let response = request.send().await.unwrap();
        let got = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(got, case.status, "{}: {text}", case.name);
        let e: workvoice_proto::api::ApiError =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("{}: {text}", case.name));
        assert_eq!(e.error, case.code, "{}: {text}", case.name);
        assert_eq!(
            relay.storage.content_digest().await.unwrap(),
            before,
            "{} changed the database",
            case.name
        );
        if [
            "stale_directory",
            "pow_insufficient",
            "invalid_directory_version",
        ]
        .contains(&case.code)
        {
            assert_eq!(e.directory_version, Some(1), "{}", case.name);
        }
    }
    assert_eq!(relay.storage.table_counts().await.unwrap(), counts);
    relay.stop().await;
}

fn union_only(r: &mut Report) {
    r.sector = Some(Sector::Manufacturing);
}

async fn organisations_cannot_touch_each_others_cases(db: TestDatabase) {
    let relay = relay(db).await;
    let c = client();
    let p = relay
        .prepare_submission(&SubmissionSpec {
            adjust_report: Some(union_only),
            attachments: vec![vec![3u8; 100]],
            ..SubmissionSpec::default()
        })
        .unwrap();
    let r = post_json(&c, &relay.url("/v1/submissions"), &p.request, None).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = p.request.submission_id;
    let att = p.request.attachments[0].id;
    let upload = c
        .put(relay.url(&format!("/v1/submissions/{id}/attachments/{att}?offset=0")))
        .bearer_auth(&p.mailbox_token_text)
        .header("content-type", "application/octet-stream")
        .body(p.sealed_attachments[0].clone())
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), StatusCode::OK);
    let before = relay.storage.content_digest().await.unwrap();
    let digest = disclosure_digest(&p.request.tags, &p.request.consent);
    let mut rng = workvoice_proto::vectors::DeterministicRng::new("intruder");

    for intruder in [&relay.inspectorate, &relay.ngo] {
        let t = Some(intruder.token.as_str());
        let inbox: InboxPage = json(get(&c, &relay.url("/v1/org/inbox"), t).await).await;
        assert!(
            inbox.entries.is_empty(),
            "listed another organisation's case"
        );
        let ack = c
            .post(relay.url(&format!("/v1/org/inbox/{id}/ack")))
            .bearer_auth(&intruder.token)
            .send()
            .await
            .unwrap();
        expect_error(ack, StatusCode::NOT_FOUND, "unknown_report").await;
        let status = StatusChange {
            status: WorkerStatus::Resolved,
            sealed: None,
        };
        expect_error(
            post_json(
                &c,
                &relay.url(&format!("/v1/org/reports/{id}/status")),
                &status,
                t,
            )
            .await,
            StatusCode::NOT_FOUND,
            "unknown_report",
        )
        .await;
        let sealed = workvoice_proto::reply::seal_reply(
            &workvoice_proto::reply::ReplyBody {
                text: "hello".into(),
                language: "en".into(),
                written_on: None,
            },
            id,
            intruder.id,
            &intruder.key,
            &p.reply_key.public_key(),
            &mut rng,
        )
        .unwrap();
        expect_error(
            post_json(
                &c,
                &relay.url(&format!("/v1/org/reports/{id}/replies")),
                &PostReply { sealed },
                t,
            )
            .await,
            StatusCode::NOT_FOUND,
            "unknown_report",
        )
        .await;
        let other = if intruder.id == relay.ngo.id {
            &relay.inspectorate
        } else {
            &relay.ngo
        };
        let envelope = workvoice_proto::envelope::seal(
            &p.report.encode(),
            id,
            &[(other.id, other.key.public_key())],
            &digest,
            &mut rng,
        )
        .unwrap();
        expect_error(
            post_json(
                &c,
                &relay.url(&format!("/v1/org/reports/{id}/referrals")),
                &Referral {
                    to: other.id,
                    envelope,
                },
                t,
            )
            .await,
            StatusCode::NOT_FOUND,
            "unknown_report",
        )
        .await;
        expect_error(
            get(
                &c,
                &relay.url(&format!("/v1/org/reports/{id}/attachments/{att}")),
                t,
            )
            .await,
            StatusCode::NOT_FOUND,
            "unknown_report",
        )
        .await;
        // A report that does not exist at all answers the same.
        let none = ReportId([0x42; 16]);
        let ack = c
            .post(relay.url(&format!("/v1/org/inbox/{none}/ack")))
            .bearer_auth(&intruder.token)
            .send()
            .await
            .unwrap();
        expect_error(ack, StatusCode::NOT_FOUND, "unknown_report").await;
    }
    assert_eq!(
        relay.storage.content_digest().await.unwrap(),
        before,
        "an intruder changed something"
    );
    // The owner can do all of it.
    let t = Some(relay.union.token.as_str());
    assert_eq!(
        get(
            &c,
            &relay.url(&format!("/v1/org/reports/{id}/attachments/{att}")),
            t
        )
        .await
        .status(),
        StatusCode::OK
    );
    let ack = c
        .post(relay.url(&format!("/v1/org/inbox/{id}/ack")))
        .bearer_auth(&relay.union.token)
        .send()
        .await
        .unwrap();
    assert_eq!(ack.status(), StatusCode::NO_CONTENT);
    let _ = Consent::default();
    relay.stop().await;
}
