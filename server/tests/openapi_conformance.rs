//! What API fuzzing (`scripts/schemathesis`) found, kept fixed: every error answer is JSON
//! `{"error", "message"}` and its status is one the OpenAPI document lists for the operation.
//! Each case names how it was found.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reqwest::{Method, StatusCode, header};
use workvoice_proto::api::ApiError;
use workvoice_relay::testing::{SubmissionSpec, TestRelay, TestRelayOptions};

/// Whether the document lists `status` for `method` on the path template.
fn documented(method: &str, template: &str, status: StatusCode) -> bool {
    let doc = workvoice_relay::openapi::document();
    doc["paths"][template][method.to_ascii_lowercase()]["responses"]
        .get(status.as_str())
        .is_some()
}

struct Case {
    found: &'static str,
    method: Method,
    /// The operation's path template in the document; None for a method no route serves.
    template: Option<&'static str>,
    path: String,
    token: Option<String>,
    body: Option<(&'static str, Vec<u8>)>,
    status: StatusCode,
    code: &'static str,
}

async fn check(relay: &TestRelay, c: &reqwest::Client, case: Case) {
    let mut request = c.request(case.method.clone(), relay.url(&case.path));
    if let Some(token) = &case.token {
        request = request.bearer_auth(token);
    }
    if let Some((content_type, bytes)) = case.body {
        request = request
            .header(header::CONTENT_TYPE, content_type)
            .body(bytes);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string());
    let allow = response.headers().get(header::ALLOW).cloned();
    let text = response.text().await.unwrap();
    let what = format!("{} {} {} ({})", case.found, case.method, case.path, text);
    assert_eq!(status, case.status, "{what}");
    assert_eq!(
        content_type.as_deref(),
        Some("application/json"),
        "{what}: content type"
    );
    let error: ApiError =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: not an ApiError: {e}"));
    assert_eq!(error.error, case.code, "{what}");
    assert!(!error.message.is_empty(), "{what}");
    match case.template {
        Some(template) => assert!(
            documented(case.method.as_str(), template, status),
            "{what}: {status} is not in the document for {} {template}",
            case.method
        ),
        None => assert!(allow.is_some(), "{what}: the Allow header was lost"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzzing_findings_answer_documented_json_errors() {
    let relay = TestRelay::spawn(TestRelayOptions::default()).await.unwrap();
    let c = client();
    let prepared = relay
        .prepare_submission(&SubmissionSpec {
            attachments: vec![vec![7; 100]],
            ..SubmissionSpec::default()
        })
        .unwrap();
    let accepted = post_json(&c, &relay.url("/v1/submissions"), &prepared.request, None).await;
    assert_eq!(accepted.status(), StatusCode::CREATED);
    let report = prepared.request.submission_id;
    let attachment = prepared.request.attachments[0].id;
    let union = Some(relay.union.token.clone());
    let mailbox = Some(prepared.mailbox_token_text.clone());
    let json = |text: &str| Some(("application/json", text.as_bytes().to_vec()));

    let cases = [
        Case {
            found: "schemathesis: a non-integer limit",
            method: Method::GET,
            template: Some("/v1/mailbox/{token}"),
            path: format!("/v1/mailbox/{}?limit=null", prepared.mailbox_token_text),
            token: None,
            body: None,
            status: StatusCode::BAD_REQUEST,
            code: "invalid_query",
        },
        Case {
            found: "schemathesis: a JSON body of one NUL byte",
            method: Method::POST,
            template: Some("/v1/org/reports/{report_id}/status"),
            path: format!("/v1/org/reports/{report}/status"),
            token: union.clone(),
            body: Some(("application/json", vec![0])),
            status: StatusCode::BAD_REQUEST,
            code: "malformed_json",
        },
        Case {
            found: "schemathesis: a reply without `sealed`",
            method: Method::POST,
            template: Some("/v1/org/reports/{report_id}/replies"),
            path: format!("/v1/org/reports/{report}/replies"),
            token: union.clone(),
            body: json("{}"),
            status: StatusCode::BAD_REQUEST,
            code: "malformed_json",
        },
        Case {
            found: "schemathesis: a referral whose envelope is not base64",
            method: Method::POST,
            template: Some("/v1/org/reports/{report_id}/referrals"),
            path: format!("/v1/org/reports/{report}/referrals"),
            token: union.clone(),
            body: json(&format!(
                r#"{{"to": "{}", "envelope": "\u00c2"}}"#,
                relay.ngo.id
            )),
            status: StatusCode::BAD_REQUEST,
            code: "malformed_json",
        },
        Case {
            found: "schemathesis: a chunk without `offset`",
            method: Method::PUT,
            template: Some("/v1/submissions/{id}/attachments/{attachment_id}"),
            path: format!("/v1/submissions/{report}/attachments/{attachment}"),
            token: mailbox.clone(),
            body: Some(("application/octet-stream", vec![1, 2, 3])),
            status: StatusCode::BAD_REQUEST,
            code: "invalid_query",
        },
        Case {
            found: "review: a status that is not JSON",
            method: Method::POST,
            template: Some("/v1/org/reports/{report_id}/status"),
            path: format!("/v1/org/reports/{report}/status"),
            token: union.clone(),
            body: Some(("text/plain", b"resolved".to_vec())),
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_media_type",
        },
        Case {
            found: "review of the fuzzing: a path segment that is not UTF-8",
            method: Method::GET,
            template: Some("/v1/mailbox/{token}"),
            path: "/v1/mailbox/%FF".into(),
            token: None,
            body: None,
            status: StatusCode::BAD_REQUEST,
            code: "invalid_path",
        },
        Case {
            found: "review of the fuzzing: a path segment that is not UTF-8",
            method: Method::GET,
            template: Some("/v1/submissions/{id}/attachments/{attachment_id}"),
            path: format!("/v1/submissions/%C3/attachments/{attachment}"),
            token: mailbox.clone(),
            body: None,
            status: StatusCode::BAD_REQUEST,
            code: "invalid_path",
        },
        Case {
            found: "review of the fuzzing: a path segment that is not UTF-8",
            method: Method::POST,
            template: Some("/v1/org/inbox/{report_id}/ack"),
            path: "/v1/org/inbox/%FF/ack".into(),
            token: union.clone(),
            body: None,
            status: StatusCode::BAD_REQUEST,
            code: "invalid_path",
        },
        Case {
            found: "review of the fuzzing: a path segment that is not UTF-8",
            method: Method::GET,
            template: Some("/v1/org/reports/{report_id}/attachments/{attachment_id}"),
            path: format!("/v1/org/reports/{report}/attachments/%FE"),
            token: union.clone(),
            body: None,
            status: StatusCode::BAD_REQUEST,
            code: "invalid_path",
        },
        Case {
            found: "review of the fuzzing: a method the route does not serve (was an empty body)",
            method: Method::DELETE,
            template: None,
            path: "/v1/directory".into(),
            token: None,
            body: None,
            status: StatusCode::METHOD_NOT_ALLOWED,
            code: "method_not_allowed",
        },
    ];
    for case in cases {
        check(&relay, &c, case).await;
    }
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_anonymous_endpoints_document_429() {
    fn one_request_per_client(s: &mut workvoice_relay::configuration::Settings) {
        s.client_rate_per_second = 1;
        s.client_burst = 1;
    }
    let relay = TestRelay::spawn(TestRelayOptions {
        anonymous_rate_per_second: 1,
        adjust: Some(one_request_per_client),
        ..TestRelayOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    // The client's own bucket covers every anonymous endpoint: one request takes its token.
    assert_eq!(
        get(&c, &relay.url("/v1/directory"), None).await.status(),
        StatusCode::OK
    );
    let report = "00".repeat(16);
    let attachment = "11".repeat(16);
    for (template, path) in [
        ("/v1/directory", "/v1/directory".to_string()),
        (
            "/v1/submissions/{id}/attachments/{attachment_id}",
            format!("/v1/submissions/{report}/attachments/{attachment}"),
        ),
    ] {
        check(
            &relay,
            &c,
            Case {
                found: "schemathesis run without the limit switched off",
                method: Method::GET,
                template: Some(template),
                path,
                token: None,
                body: None,
                status: StatusCode::TOO_MANY_REQUESTS,
                code: "rate_limited",
            },
        )
        .await;
    }
    relay.stop().await;
}
