//! A desk enrolled with a real in-process relay (`workvoice_relay::testing`), a phone that
//! submits reports the way the app does, and a fault-injecting proxy between desk and relay.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use workvoice_desk::{Desk, Enrolment};
use workvoice_proto::api::{InboxPage, MailboxPage, SubmissionRequest};
use workvoice_proto::directory::{OrgKind, Signed, VerifiedDirectory, verify_directory};
use workvoice_proto::envelope;
use workvoice_proto::keys::{AttachmentId, HpkePrivateKey, HpkePublicKey, OrgId, ReportId};
use workvoice_proto::pow::solve_pow;
use workvoice_proto::recovery::{RecoveryCode, mailbox_token_hash, mailbox_token_text};
use workvoice_proto::report::{Report, Sector};
use workvoice_proto::routing::{ReportKind, RoutingRule, disclosure_digest, route};
use workvoice_proto::system_rng::SystemRng;
use workvoice_relay::admin::{self, PublishOptions};
use workvoice_relay::testing::{TestRelay, TestRelayOptions};

use crate::common::{certificate_with, fresh_desk};

/// reqwest is built without a bundled crypto provider (the desk installs ring's); tests that
/// make their own clients install it first.
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

pub fn unix_now() -> u64 {
    workvoice_desk::store::now()
}

/// A relay, a desk enrolled as its union (with the desk's own key, certified by the fixture
/// root), rules that give the union every report.
pub struct World {
    pub relay: TestRelay,
    pub desk: Desk,
    pub certificate: Signed,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
}

/// A report as the phone sent it, with what the phone keeps.
pub struct Sent {
    pub report: Report,
    pub reply_key: HpkePrivateKey,
    pub mailbox_token: String,
    /// The report's withdrawal secret, hex (`PROTOCOL.md` 13.5).
    pub withdrawal_secret: String,
}

impl World {
    pub async fn new() -> World {
        World::with_relay_url(None).await
    }

    /// `relay_url` overrides the URL the desk is enrolled with (a proxy in front of the relay).
    pub async fn with_relay_url(proxy: Option<&Proxy>) -> World {
        let relay = TestRelay::spawn(TestRelayOptions::default()).await.unwrap();
        if let Some(p) = proxy {
            p.target(&relay);
        }
        let (dir, desk) = fresh_desk().await;
        let f = &relay.fixture;
        let key = desk.keys()[0].public_key;
        let certificate = certificate_with(f, f.union_id, OrgKind::Union, key, 2);
        admin::set_certificate(
            &relay.storage,
            Some(&f.root.public_key()),
            &f.union_id,
            &certificate,
            unix_now(),
        )
        .await
        .unwrap();
        admin::set_rules(
            &relay.storage,
            vec![
                RoutingRule {
                    id: "union-all".into(),
                    destination_countries: vec![],
                    sectors: vec![],
                    kinds: vec![],
                    deliver_to: vec![f.union_id],
                    stop: false,
                },
                RoutingRule {
                    id: "qa-construction".into(),
                    destination_countries: vec!["QA".into()],
                    sectors: vec![Sector::Construction],
                    kinds: vec![],
                    deliver_to: vec![f.inspectorate_id],
                    stop: false,
                },
                RoutingRule {
                    id: "forced-labour".into(),
                    destination_countries: vec![],
                    sectors: vec![],
                    kinds: vec![ReportKind::forced_labour()],
                    deliver_to: vec![f.ngo_id],
                    stop: false,
                },
            ],
        )
        .await
        .unwrap();
        let world = World {
            desk,
            certificate: certificate.clone(),
            http: http(),
            _dir: dir,
            relay,
        };
        world.publish().await;
        let url = match proxy {
            Some(p) => p.url.clone(),
            None => world.relay.base_url.clone(),
        };
        world
            .desk
            .enrol(Enrolment {
                relay_url: url,
                org_id: world.relay.fixture.union_id,
                api_token: world.relay.union.token.clone(),
                root_public_key: world.relay.fixture.root.public_key(),
                certificate,
            })
            .await
            .unwrap();
        world
    }

    /// The desk's data directory (for running the `workvoice-desk` binary on it).
    pub fn desk_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// Publish the next directory version from the relay's current organisations and rules.
    pub async fn publish(&self) {
        admin::publish_directory(
            &self.relay.storage,
            &self.relay.fixture.relay,
            PublishOptions {
                now: unix_now(),
                ttl_secs: 7 * 24 * 3600,
                pow_difficulty: 4,
            },
        )
        .await
        .unwrap();
    }

    pub async fn directory(&self) -> VerifiedDirectory {
        let bytes = self
            .http
            .get(self.relay.url("/v1/directory"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        verify_directory(&bytes, &self.relay.fixture.root.public_key(), unix_now(), 0).unwrap()
    }

    /// Submit `report` as a phone would: route with the verified directory, seal to the
    /// certified keys, pay the proof-of-work, post.
    pub async fn submit(&self, report: Report) -> Sent {
        self.submit_with_attachments(report, &[]).await
    }

    /// Submit `report` with evidence files (JPEG bytes), sealed and uploaded as the phone does.
    pub async fn submit_with_attachments(&self, report: Report, files: &[&[u8]]) -> Sent {
        let (sent, uploads) = self.submit_before_uploads(report, files).await;
        self.upload(&sent, uploads).await;
        sent
    }

    /// Submit `report` declaring evidence files, but do not upload them yet: what a phone that
    /// lost its connection after the submission leaves at the relay.
    pub async fn submit_before_uploads(
        &self,
        mut report: Report,
        files: &[&[u8]],
    ) -> (Sent, Vec<(AttachmentId, Vec<u8>)>) {
        let mut rng = SystemRng::new();
        let code = RecoveryCode::generate(&mut rng);
        let secrets = code.report_secrets(0);
        report.reply_key = secrets.reply_key.public_key();
        report.withdrawal_hash = Some(workvoice_proto::recovery::withdrawal_hash(
            &secrets.withdrawal_secret,
        ));
        let mut declarations = Vec::new();
        let mut uploads = Vec::new();
        for file in files {
            let (entry, sealed) = workvoice_proto::attachment::seal_attachment(
                file,
                "image/jpeg",
                report.report_id,
                &mut rng,
            )
            .unwrap();
            declarations.push(workvoice_proto::api::AttachmentDeclaration {
                id: entry.id,
                size: sealed.len() as u64,
                sha256: entry.sealed_sha256,
            });
            uploads.push((entry.id, sealed));
            report.attachments.push(entry);
        }
        let dir = self.directory().await;
        let (tags, consent) = (report.routing_tags(), report.consent);
        let recipients: Vec<(OrgId, HpkePublicKey)> = route(&tags, &consent, &dir.listing)
            .unwrap()
            .recipients
            .iter()
            .map(|r| (r.org_id, dir.certified_key(&r.org_id).unwrap()))
            .collect();
        let sealed = envelope::seal(
            &report.encode(),
            report.report_id,
            &recipients,
            &disclosure_digest(&tags, &consent),
            &mut rng,
        )
        .unwrap();
        let request = SubmissionRequest {
            submission_id: report.report_id,
            directory_version: dir.listing.version,
            tags,
            consent,
            mailbox_token_hash: mailbox_token_hash(&secrets.mailbox_token),
            pow_nonce: solve_pow(&report.report_id, dir.listing.pow_difficulty).unwrap(),
            envelope: sealed,
            attachments: declarations,
        };
        let response = self
            .http
            .post(self.relay.url("/v1/submissions"))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&request).unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "{}",
            response.text().await.unwrap()
        );
        let token = mailbox_token_text(&secrets.mailbox_token);
        let sent = Sent {
            report,
            reply_key: secrets.reply_key,
            mailbox_token: token,
            withdrawal_secret: hex::encode(*secrets.withdrawal_secret),
        };
        (sent, uploads)
    }

    /// Upload evidence files declared by `submit_before_uploads`.
    pub async fn upload(&self, sent: &Sent, uploads: Vec<(AttachmentId, Vec<u8>)>) {
        for (id, sealed) in uploads {
            let response = self
                .http
                .put(self.relay.url(&format!(
                    "/v1/submissions/{}/attachments/{id}?offset=0",
                    sent.report.report_id
                )))
                .bearer_auth(&sent.mailbox_token)
                .header("content-type", "application/octet-stream")
                .body(sealed)
                .send()
                .await
                .unwrap();
            assert!(
                response.status().is_success(),
                "{}",
                response.text().await.unwrap()
            );
        }
    }

    /// Submit sample report `i` (template cycle) with a fresh id.
    pub async fn submit_sample(&self, i: usize) -> Sent {
        let mut rng = SystemRng::new();
        let report = workvoice_desk::samples::sample_report(
            i,
            ReportId::random(&mut rng),
            HpkePrivateKey::generate(&mut rng).public_key(),
        );
        self.submit(report).await
    }

    /// The union's inbox as the relay holds it (acknowledged flags included).
    pub async fn relay_inbox(&self, token: &str) -> InboxPage {
        self.http
            .get(self.relay.url("/v1/org/inbox?limit=200"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .map(|b| serde_json::from_slice(&b).unwrap())
            .unwrap()
    }

    pub async fn mailbox(&self, sent: &Sent) -> MailboxPage {
        self.http
            .get(
                self.relay
                    .url(&format!("/v1/mailbox/{}?after=0", sent.mailbox_token)),
            )
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .map(|b| serde_json::from_slice(&b).unwrap())
            .unwrap()
    }

    pub async fn case_id(&self, sent: &Sent) -> i64 {
        self.desk
            .store()
            .case_id_by_report(&sent.report.report_id.to_hex())
            .await
            .unwrap()
            .unwrap()
    }
}

/// What the proxy does to requests.
#[derive(Default)]
pub struct Faults {
    /// Inbox requests served normally before the next one is cut mid-body (0 = never cut).
    pub cut_inbox_after: AtomicU32,
    pub inbox_requests: AtomicU32,
    /// Serve this directory instead of the relay's.
    pub directory_override: Mutex<Option<Vec<u8>>>,
    pub tamper_directory: AtomicBool,
    /// Report ids the desk acknowledged through the proxy.
    pub acks: Mutex<Vec<String>>,
    /// Answer the escrow routes as a relay older than escrow would: `404 not_found`.
    pub no_escrow_routes: AtomicBool,
}

/// An HTTP proxy in front of the relay that can cut the connection, swap the directory and
/// records every acknowledgement.
pub struct Proxy {
    pub url: String,
    pub faults: Arc<Faults>,
    relay_url: Arc<Mutex<String>>,
}

#[derive(Clone)]
struct ProxyState {
    faults: Arc<Faults>,
    relay_url: Arc<Mutex<String>>,
    http: reqwest::Client,
}

async fn forward(State(s): State<ProxyState>, request: Request) -> Response {
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let method = request.method().clone();
    let auth = request.headers().get("authorization").cloned();
    let content_type = request.headers().get("content-type").cloned();
    let body = axum::body::to_bytes(request.into_body(), 4 << 20)
        .await
        .unwrap_or_default();
    let directory_override = s.faults.directory_override.lock().unwrap().clone();
    if let (true, Some(bytes)) = (path.starts_with("/v1/directory"), directory_override) {
        return Response::new(Body::from(bytes));
    }
    if path.starts_with("/v1/org/escrow") && s.faults.no_escrow_routes.load(Ordering::SeqCst) {
        return Response::builder()
            .status(StatusCode::NOT_FOUND)
            .header("content-type", "application/json")
            .body(Body::from(
                r#"{"error":"not_found","message":"no such endpoint"}"#,
            ))
            .unwrap();
    }
    let base = s.relay_url.lock().unwrap().clone();
    let mut req = s
        .http
        .request(method, format!("{base}{path}"))
        .body(body.to_vec());
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    if let Some(c) = content_type {
        req = req.header("content-type", c);
    }
    let upstream = req.send().await.unwrap();
    let status = upstream.status();
    let mut bytes = upstream.bytes().await.unwrap().to_vec();
    if path.starts_with("/v1/org/inbox/") && path.ends_with("/ack") && status.is_success() {
        let id = path
            .trim_start_matches("/v1/org/inbox/")
            .trim_end_matches("/ack")
            .to_string();
        s.faults.acks.lock().unwrap().push(id);
    }
    if path.starts_with("/v1/directory") && s.faults.tamper_directory.load(Ordering::SeqCst) {
        // Change one character of the listing's signature.
        let text = String::from_utf8(bytes.clone()).unwrap();
        let at = text.rfind("\"signature\":\"").unwrap() + 13;
        let mut chars: Vec<char> = text.chars().collect();
        chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
        bytes = chars.into_iter().collect::<String>().into_bytes();
    }
    if path.starts_with("/v1/org/inbox?") || path == "/v1/org/inbox" {
        let n = s.faults.inbox_requests.fetch_add(1, Ordering::SeqCst) + 1;
        let cut = s.faults.cut_inbox_after.load(Ordering::SeqCst);
        if cut > 0 && n == cut + 1 {
            // Send half the page, then fail the body: the connection drops mid-response.
            let half = Bytes::from(bytes[..bytes.len() / 2].to_vec());
            let stream = futures_util::stream::iter(vec![
                Ok::<Bytes, std::io::Error>(half),
                Err(std::io::Error::other("connection cut by the test proxy")),
            ]);
            return Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(Body::from_stream(stream))
                .unwrap();
        }
    }
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(bytes))
        .unwrap()
}

impl Proxy {
    /// Start a proxy; point it at the relay with [`Proxy::target`].
    pub async fn start() -> Proxy {
        let faults = Arc::new(Faults::default());
        let relay_url = Arc::new(Mutex::new(String::new()));
        let state = ProxyState {
            faults: faults.clone(),
            relay_url: relay_url.clone(),
            http: http(),
        };
        let app = axum::Router::new().fallback(forward).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Proxy {
            url,
            faults,
            relay_url,
        }
    }

    pub fn target(&self, relay: &TestRelay) {
        *self.relay_url.lock().unwrap() = relay.base_url.clone();
    }

    pub fn acks(&self) -> Vec<String> {
        self.faults.acks.lock().unwrap().clone()
    }
}
