//! For tests of this crate and of the end-to-end suite (`tests/`): a simulated SMS gateway that
//! speaks the documented send APIs (`POST /message` of the Android app, `POST /send` of Jasmin)
//! and records what it is asked to send, and a [`Webhooks`] client that delivers inbound SMS to
//! `workvoice-sms` the way each gateway does (the Android app's signed JSON event, Jasmin's
//! form with the URL secret). Behind the `testing` feature.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;

use crate::gateway::android_signature;
use crate::service::now_secs;

/// The Android app's webhook signing key in tests.
pub const SIGNING_KEY: &[u8] = b"android-app-signing-key";
/// The secret in the URL Jasmin calls, in tests.
pub const JASMIN_SECRET: &str = "jasmin-url-secret-7f3a";
/// The simulated gateway's send API account.
pub const GATEWAY_USER: &str = "sms";
pub const GATEWAY_PASSWORD: &str = "gateway-password";

/// Which gateway format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Android,
    Jasmin,
}

impl Kind {
    /// The value of `workvoice-sms --gateway`.
    pub fn flag(self) -> &'static str {
        match self {
            Kind::Android => "android",
            Kind::Jasmin => "jasmin",
        }
    }

    /// The secret `workvoice-sms` takes from `WORKVOICE_SMS_WEBHOOK_SECRET`.
    pub fn webhook_secret(self) -> &'static [u8] {
        match self {
            Kind::Android => SIGNING_KEY,
            Kind::Jasmin => JASMIN_SECRET.as_bytes(),
        }
    }
}

/// What the simulated gateway was asked to send: (to, text, Jasmin coding).
pub type Sent = Arc<Mutex<Vec<(String, String, Option<String>)>>>;

/// The texts sent to `number` so far.
pub fn texts_to(sent: &Sent, number: &str) -> Vec<String> {
    sent.lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|(to, _, _)| to == number)
        .map(|(_, t, _)| t.clone())
        .collect()
}

async fn android_send(State(sent): State<Sent>, headers: HeaderMap, body: Bytes) -> StatusCode {
    use base64::Engine as _;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{GATEWAY_USER}:{GATEWAY_PASSWORD}"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let (Some(text), Some(numbers)) = (
        v["textMessage"]["text"].as_str(),
        v["phoneNumbers"].as_array(),
    ) else {
        return StatusCode::BAD_REQUEST;
    };
    let mut sent = sent.lock().unwrap_or_else(|e| e.into_inner());
    for n in numbers.iter().filter_map(|n| n.as_str()) {
        sent.push((n.to_string(), text.to_string(), None));
    }
    StatusCode::ACCEPTED
}

async fn jasmin_send(State(sent): State<Sent>, body: Bytes) -> (StatusCode, String) {
    let form = form_pairs(&body);
    if form.get("username").map(String::as_str) != Some(GATEWAY_USER)
        || form.get("password").map(String::as_str) != Some(GATEWAY_PASSWORD)
    {
        return (
            StatusCode::FORBIDDEN,
            "Error \"Authentication failure\"".into(),
        );
    }
    let (Some(to), Some(content)) = (form.get("to"), form.get("content")) else {
        return (StatusCode::BAD_REQUEST, "Error \"Missing field\"".into());
    };
    sent.lock().unwrap_or_else(|e| e.into_inner()).push((
        to.clone(),
        content.clone(),
        form.get("coding").cloned(),
    ));
    (
        StatusCode::OK,
        "Success \"07033084-5cfd-4812-90a4-e4d24ffb6e3d\"".into(),
    )
}

/// An `application/x-www-form-urlencoded` body as a map (empty when it is not one).
pub fn form_pairs(body: &[u8]) -> HashMap<String, String> {
    std::str::from_utf8(body)
        .ok()
        .and_then(|b| format!("/?{b}").parse::<axum::http::Uri>().ok())
        .and_then(|uri| axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&uri).ok())
        .map(|q| q.0.into_iter().collect())
        .unwrap_or_default()
}

/// The simulated gateway's send API on 127.0.0.1 port 0, served on `runtime`: its base URL and
/// what it was asked to send.
pub fn start_gateway(runtime: &tokio::runtime::Handle) -> std::io::Result<(String, Sent)> {
    let sent: Sent = Arc::default();
    let gateway = Router::new()
        .route("/message", post(android_send))
        .route("/send", post(jasmin_send))
        .with_state(sent.clone());
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let url = format!("http://{}", listener.local_addr()?);
    runtime.spawn(async move { axum::serve(listener, gateway).await });
    Ok((url, sent))
}

/// The Android app's `sms:received` event (as in `tests/fixtures/android-sms-received.json`).
pub fn android_body(id: &str, number: &str, text: &str) -> String {
    serde_json::json!({
        "deviceId": "ffffffffceb0b1db0000018e937c815b",
        "event": "sms:received",
        "id": id,
        "payload": {
            "messageId": "abc123",
            "message": text,
            "phoneNumber": number,
            "simNumber": 1,
            "receivedAt": "2026-12-05T10:46:11.000+05:45"
        },
        "webhookId": "wh-1"
    })
    .to_string()
}

/// Delivers inbound SMS to a `workvoice-sms` at `base_url` as the gateway of `kind` does.
#[derive(Debug, Clone)]
pub struct Webhooks {
    pub kind: Kind,
    pub base_url: String,
    agent: ureq::Agent,
}

impl Webhooks {
    pub fn new(kind: Kind, base_url: &str) -> Webhooks {
        Webhooks {
            kind,
            base_url: base_url.to_string(),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into(),
        }
    }

    /// The gateway delivers `text` from `number` as event `id` (signed, or with the secret):
    /// the HTTP status and body of the answer.
    pub fn deliver(&self, number: &str, text: &str, id: &str) -> Result<(u16, String), String> {
        match self.kind {
            Kind::Android => {
                let body = android_body(id, number, text);
                let ts = now_secs().to_string();
                let sig = android_signature(SIGNING_KEY, body.as_bytes(), &ts);
                self.post_android(&body, Some(&sig), Some(&ts))
            }
            Kind::Jasmin => self.post_jasmin(
                &[
                    ("id", id),
                    ("from", number),
                    ("to", "+97400000000"),
                    ("origin-connector", "smpp-1"),
                    ("coding", "0"),
                    ("content", text),
                ],
                Some(JASMIN_SECRET),
            ),
        }
    }

    /// Whether `workvoice-sms` took the delivery (the answer each gateway expects).
    pub fn accepted(status: u16, body: &str) -> bool {
        status == 204 || (status == 200 && body == "ACK/Jasmin")
    }

    pub fn post_android(
        &self,
        body: &str,
        signature: Option<&str>,
        timestamp: Option<&str>,
    ) -> Result<(u16, String), String> {
        let mut request = self
            .agent
            .post(&format!("{}/webhooks/android", self.base_url))
            .header("content-type", "application/json");
        if let Some(s) = signature {
            request = request.header("x-signature", s);
        }
        if let Some(t) = timestamp {
            request = request.header("x-timestamp", t);
        }
        let response = request.send(body.as_bytes()).map_err(|e| e.to_string())?;
        Ok(status_and_body(response))
    }

    pub fn post_jasmin(
        &self,
        form: &[(&str, &str)],
        secret: Option<&str>,
    ) -> Result<(u16, String), String> {
        let url = match secret {
            Some(s) => format!("{}/webhooks/jasmin?secret={s}", self.base_url),
            None => format!("{}/webhooks/jasmin", self.base_url),
        };
        let response = self
            .agent
            .post(&url)
            .send_form(form.iter().copied())
            .map_err(|e| e.to_string())?;
        Ok(status_and_body(response))
    }
}

fn status_and_body(mut response: ureq::http::Response<ureq::Body>) -> (u16, String) {
    let status = response.status().as_u16();
    (
        status,
        response.body_mut().read_to_string().unwrap_or_default(),
    )
}
