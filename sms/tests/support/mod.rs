//! A relay (in-process, port 0), the simulated SMS gateway of `workvoice_sms::testing` (the
//! documented send APIs, recording what it is asked to send), and `workvoice-sms` itself on
//! port 0, started the way `main` starts it.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, unused_imports)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use workvoice_proto::api::{InboxEntry, InboxPage};
use workvoice_proto::envelope::open;
use workvoice_proto::report::Report;
use workvoice_proto::routing::disclosure_digest;
use workvoice_relay::testing::{TestOrg, TestRelay, TestRelayOptions};
use workvoice_sms::gateway::Outbound;
use workvoice_sms::service::{Engine, InboundAuth, Limits, now_secs};
use workvoice_sms::startup::{Config, open_engine, serve};
pub use workvoice_sms::testing::{
    GATEWAY_PASSWORD, GATEWAY_USER, JASMIN_SECRET, Kind, SIGNING_KEY, Sent, Webhooks, android_body,
    form_pairs, start_gateway,
};

const USER: &str = GATEWAY_USER;
const PASSWORD: &str = GATEWAY_PASSWORD;

pub struct World {
    pub relay: TestRelay,
    pub kind: Kind,
    pub sent: Sent,
    pub sms_url: String,
    pub engine: Arc<Mutex<Engine>>,
    pub data_dir: PathBuf,
    pub agent: ureq::Agent,
    pub webhooks: Webhooks,
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
        let (gateway_url, sent) = start_gateway(runtime.handle()).unwrap();

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
            webhooks: Webhooks::new(kind, &sms_url),
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
        workvoice_sms::testing::texts_to(&self.sent, number)
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
        let (status, body) = self.webhooks.deliver(number, text, id).unwrap();
        let after = self.texts_to(number);
        (status, body, after[before..].to_vec())
    }

    pub fn post_android(
        &self,
        body: &str,
        signature: Option<&str>,
        timestamp: Option<&str>,
    ) -> (u16, String) {
        self.webhooks
            .post_android(body, signature, timestamp)
            .unwrap()
    }

    pub fn post_jasmin(&self, form: &[(&str, &str)], secret: Option<&str>) -> (u16, String) {
        self.webhooks.post_jasmin(form, secret).unwrap()
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

pub fn default_limits() -> Limits {
    Limits {
        submit_timeout: Duration::from_secs(30),
        ..Limits::default()
    }
}
