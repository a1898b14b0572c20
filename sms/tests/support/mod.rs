//! A relay (in-process, port 0), a simulated SMS gateway speaking the documented send APIs
//! (`POST /message` of the Android app, `POST /send` of Jasmin) that records what it is asked
//! to send, and `workvoice-sms` itself on port 0, started the way `main` starts it.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use workvoice_proto::api::{InboxEntry, InboxPage};
use workvoice_proto::envelope::open;
use workvoice_proto::report::Report;
use workvoice_proto::routing::disclosure_digest;
use workvoice_relay::testing::{TestOrg, TestRelay, TestRelayOptions};
use workvoice_sms::gateway::{Outbound, android_signature};
use workvoice_sms::service::{Engine, InboundAuth, Limits, now_secs};
use workvoice_sms::startup::{Config, open_engine, serve};

pub const SIGNING_KEY: &[u8] = b"android-app-signing-key";
pub const JASMIN_SECRET: &str = "jasmin-url-secret-7f3a";
const USER: &str = "sms";
const PASSWORD: &str = "gateway-password";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Android,
    Jasmin,
}

/// What the simulated gateway was asked to send: (to, text, jasmin coding).
pub type Sent = Arc<Mutex<Vec<(String, String, Option<String>)>>>;

async fn android_send(State(sent): State<Sent>, headers: HeaderMap, body: Bytes) -> StatusCode {
    use base64::Engine as _;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return StatusCode::UNAUTHORIZED;
    }
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let text = v["textMessage"]["text"].as_str().unwrap().to_string();
    for n in v["phoneNumbers"].as_array().unwrap() {
        sent.lock()
            .unwrap()
            .push((n.as_str().unwrap().to_string(), text.clone(), None));
    }
    StatusCode::ACCEPTED
}

async fn jasmin_send(State(sent): State<Sent>, body: Bytes) -> (StatusCode, String) {
    let form: HashMap<String, String> = serde_urlencoded_pairs(&body);
    if form.get("username").map(String::as_str) != Some(USER)
        || form.get("password").map(String::as_str) != Some(PASSWORD)
    {
        return (
            StatusCode::FORBIDDEN,
            "Error \"Authentication failure\"".into(),
        );
    }
    sent.lock().unwrap().push((
        form["to"].clone(),
        form["content"].clone(),
        form.get("coding").cloned(),
    ));
    (
        StatusCode::OK,
        "Success \"07033084-5cfd-4812-90a4-e4d24ffb6e3d\"".into(),
    )
}

pub fn serde_urlencoded_pairs(body: &[u8]) -> HashMap<String, String> {
    let uri: axum::http::Uri = format!("/?{}", std::str::from_utf8(body).unwrap())
        .parse()
        .unwrap();
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&uri)
        .unwrap()
        .0
        .into_iter()
        .collect()
}

/// The simulated gateway's send API on port 0: its base URL and what it was asked to send.
pub fn start_gateway(runtime: &tokio::runtime::Runtime) -> (String, Sent) {
    let sent: Sent = Arc::default();
    let gateway = Router::new()
        .route("/message", post(android_send))
        .route("/send", post(jasmin_send))
        .with_state(sent.clone());
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move { axum::serve(listener, gateway).await });
    (url, sent)
}

pub const GATEWAY_USER: &str = USER;
pub const GATEWAY_PASSWORD: &str = PASSWORD;

pub struct World {
    pub relay: TestRelay,
    pub kind: Kind,
    pub sent: Sent,
    pub sms_url: String,
    pub engine: Arc<Mutex<Engine>>,
    pub data_dir: PathBuf,
    pub agent: ureq::Agent,
    runtime: Option<tokio::runtime::Runtime>,
    _dir: tempfile::TempDir,
    counter: u64,
}

impl World {
    pub fn start(kind: Kind, limits: Limits) -> World {
        let relay = TestRelay::start(TestRelayOptions::default()).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (gateway_url, sent) = start_gateway(&runtime);

        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("sms");
        let (outbound, inbound) = match kind {
            Kind::Android => (
                Outbound::Android {
                    base_url: gateway_url,
                    username: USER.into(),
                    password: PASSWORD.into(),
                },
                InboundAuth::Android {
                    signing_key: SIGNING_KEY.to_vec(),
                },
            ),
            Kind::Jasmin => (
                Outbound::Jasmin {
                    base_url: gateway_url,
                    username: USER.into(),
                    password: PASSWORD.into(),
                },
                InboundAuth::Jasmin {
                    secret: JASMIN_SECRET.as_bytes().to_vec(),
                },
            ),
        };
        let config = Config {
            data_dir: data_dir.clone(),
            relay_url: relay.base_url.clone(),
            root_public_key: relay.fixture.root.public_key().to_hex(),
            outbound,
            inbound: inbound.clone(),
            limits,
            fast_kdf: true,
        };
        let engine = Arc::new(Mutex::new(open_engine(&config).unwrap()));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let sms_url = format!("http://{}", listener.local_addr().unwrap());
        let served = engine.clone();
        runtime.spawn(async move {
            serve(
                listener,
                served,
                inbound,
                Duration::from_secs(3600),
                std::future::pending(),
            )
            .await
        });
        World {
            relay,
            kind,
            sent,
            sms_url,
            engine,
            data_dir,
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into(),
            runtime: Some(runtime),
            _dir: dir,
            counter: 0,
        }
    }

    /// What was texted to `number` so far.
    pub fn texts_to(&self, number: &str) -> Vec<String> {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .filter(|(to, _, _)| to == number)
            .map(|(_, t, _)| t.clone())
            .collect()
    }

    /// The gateway delivers `text` from `number` (signed / with the secret); returns the HTTP
    /// status and body, and the texts sent back to her.
    pub fn deliver(&mut self, number: &str, text: &str) -> (u16, String, Vec<String>) {
        self.counter += 1;
        let id = format!("evt-{}", self.counter);
        self.deliver_event(number, text, &id)
    }

    pub fn deliver_event(&self, number: &str, text: &str, id: &str) -> (u16, String, Vec<String>) {
        let before = self.texts_to(number).len();
        let (status, body) = match self.kind {
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
        };
        let after = self.texts_to(number);
        (status, body, after[before..].to_vec())
    }

    pub fn post_android(
        &self,
        body: &str,
        signature: Option<&str>,
        timestamp: Option<&str>,
    ) -> (u16, String) {
        let mut request = self
            .agent
            .post(&format!("{}/webhooks/android", self.sms_url))
            .header("content-type", "application/json");
        if let Some(s) = signature {
            request = request.header("x-signature", s);
        }
        if let Some(t) = timestamp {
            request = request.header("x-timestamp", t);
        }
        let mut response = request.send(body.as_bytes()).unwrap();
        let status = response.status().as_u16();
        (
            status,
            response.body_mut().read_to_string().unwrap_or_default(),
        )
    }

    pub fn post_jasmin(&self, form: &[(&str, &str)], secret: Option<&str>) -> (u16, String) {
        let url = match secret {
            Some(s) => format!("{}/webhooks/jasmin?secret={s}", self.sms_url),
            None => format!("{}/webhooks/jasmin", self.sms_url),
        };
        let mut response = self
            .agent
            .post(&url)
            .send_form(form.iter().copied())
            .unwrap();
        let status = response.status().as_u16();
        (
            status,
            response.body_mut().read_to_string().unwrap_or_default(),
        )
    }

    pub fn inbox(&self, org: &TestOrg) -> Vec<InboxEntry> {
        let mut response = self
            .agent
            .get(&self.relay.url("/v1/org/inbox?limit=100"))
            .header("authorization", &format!("Bearer {}", org.token))
            .call()
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let page: InboxPage =
            serde_json::from_slice(&response.body_mut().read_to_vec().unwrap()).unwrap();
        page.entries
    }

    pub fn open(&self, org: &TestOrg, entry: &InboxEntry) -> Report {
        let opened = open(
            &entry.envelope,
            org.id,
            &org.key,
            &disclosure_digest(&entry.tags, &entry.consent),
        )
        .unwrap();
        Report::decode(&opened.plaintext).unwrap()
    }

    /// Stop the relay the channel talks to (a fresh one, unknown to the channel, takes its
    /// place in `relay`).
    pub fn stop_relay(&mut self) {
        let fresh = TestRelay::start(TestRelayOptions::default()).unwrap();
        let old = std::mem::replace(&mut self.relay, fresh);
        self.runtime.as_ref().unwrap().block_on(old.stop());
    }

    /// Publish a new directory version with `rules` on the relay.
    pub fn publish_rules(&self, rules: Vec<workvoice_proto::routing::RoutingRule>) {
        let relay = &self.relay;
        self.runtime.as_ref().unwrap().block_on(async {
            workvoice_relay::admin::set_rules(&relay.storage, rules)
                .await
                .unwrap();
            let key =
                workvoice_relay::domain::keyfile::read(&relay.settings.relay_key_path()).unwrap();
            workvoice_relay::admin::publish_directory(
                &relay.storage,
                &key,
                workvoice_relay::admin::PublishOptions {
                    now: now_secs(),
                    ttl_secs: 30 * 24 * 3600,
                    pow_difficulty: relay.listing.pow_difficulty,
                },
            )
            .await
            .unwrap();
        });
    }

    pub fn poll_answers(&self) -> usize {
        self.engine.lock().unwrap().poll_answers().unwrap()
    }
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

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

pub fn default_limits() -> Limits {
    Limits {
        submit_timeout: Duration::from_secs(30),
        ..Limits::default()
    }
}
