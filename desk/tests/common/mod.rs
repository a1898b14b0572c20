//! Shared test helpers: a fresh desk in a temporary directory, envelopes sealed to it with the
//! fixture world's tools, and a logged-in client for the web router.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;
use workvoice_desk::desk::InitOptions;
use workvoice_desk::{Desk, KdfParams, Passphrase};
use workvoice_proto::api::InboxEntry;
use workvoice_proto::envelope;
use workvoice_proto::keys::{HpkePrivateKey, HpkePublicKey, OrgId, ReportId};
use workvoice_proto::report::Report;
use workvoice_proto::routing::disclosure_digest;
use workvoice_proto::vectors::{DeterministicRng, FIXTURE_NOW};

pub const PASSPHRASE: &str = "correct horse battery staple";
pub const USER: &str = "amina";
pub const PASSWORD: &str = "caseworker-password-1";

/// Cheap Argon2 costs so the suite stays fast; production uses `KdfParams::OWASP_MINIMUM`.
pub const FAST_KDF: KdfParams = KdfParams {
    memory_kib: 1024,
    iterations: 1,
    parallelism: 1,
};

pub async fn fresh_desk() -> (tempfile::TempDir, Desk) {
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::init(
        dir.path(),
        &Passphrase::new(PASSPHRASE),
        InitOptions {
            org_name: "Building Workers Union".into(),
            kdf: FAST_KDF,
        },
    )
    .await
    .unwrap();
    (dir, desk)
}

/// A sample report (template `i`) with a fresh id and its reply key pair.
pub fn sample(i: usize, rng: &mut DeterministicRng) -> (Report, HpkePrivateKey) {
    let reply = HpkePrivateKey::generate(rng);
    let report =
        workvoice_desk::samples::sample_report(i, ReportId::random(rng), reply.public_key());
    (report, reply)
}

/// An inbox entry carrying `report` sealed to `(org, key)` with its own tags and consent.
pub fn entry_for(
    seq: u64,
    report: &Report,
    org: OrgId,
    key: HpkePublicKey,
    rng: &mut DeterministicRng,
) -> InboxEntry {
    let tags = report.routing_tags();
    let consent = report.consent;
    let sealed = envelope::seal(
        &report.encode(),
        report.report_id,
        &[(org, key)],
        &disclosure_digest(&tags, &consent),
        rng,
    )
    .unwrap();
    InboxEntry {
        seq,
        report_id: report.report_id,
        received_at_hour: FIXTURE_NOW - 3600 * (seq % 2000) * 7,
        tags,
        consent,
        envelope: sealed,
        attachments: vec![],
        referred_by: None,
        acknowledged: false,
    }
}

/// Store `n` sample cases in the desk (sealed to its current key) and return their reports.
pub async fn seed_local(desk: &Desk, org: OrgId, n: usize) -> Vec<Report> {
    let mut rng = DeterministicRng::new("desk local seed");
    let key = desk.keys()[0].public_key;
    let mut reports = Vec::new();
    let mut entries = Vec::new();
    for i in 0..n {
        let (r, _) = sample(i, &mut rng);
        entries.push(entry_for(i as u64 + 1, &r, org, key, &mut rng));
        reports.push(r);
    }
    let (stored, failed) = desk.open_and_store(org, &entries).await.unwrap();
    assert_eq!(failed, 0);
    assert_eq!(stored.len(), n);
    reports
}

/// A browser-like client of the router: keeps the session cookie, knows the CSRF token.
pub struct WebClient {
    pub router: Router,
    pub cookie: Option<String>,
    pub csrf: String,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }
}

pub fn csrf_of(html: &str) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    Some(html[start..start + 64].to_string())
}

impl WebClient {
    pub fn new(desk: &Desk) -> WebClient {
        WebClient {
            router: desk.router(),
            cookie: None,
            csrf: String::new(),
        }
    }

    pub async fn send(&mut self, req: Request<Body>) -> Page {
        let response = self.router.clone().oneshot(req).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        for set in headers.get_all(header::SET_COOKIE) {
            let pair = set.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            let mut jar: Vec<(String, String)> = self
                .cookie
                .iter()
                .flat_map(|c| c.split("; "))
                .filter_map(|p| p.split_once('='))
                .filter(|(n, _)| *n != name)
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect();
            if !value.is_empty() {
                jar.push((name.to_string(), value.to_string()));
            }
            self.cookie = (!jar.is_empty()).then(|| {
                jar.iter()
                    .map(|(n, v)| format!("{n}={v}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            });
        }
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        if let Some(t) = csrf_of(&body) {
            self.csrf = t;
        }
        Page {
            status,
            headers,
            body,
        }
    }

    fn request(&self, method: &str, uri: &str) -> axum::http::request::Builder {
        let mut b = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::HOST, "127.0.0.1:8080");
        if let Some(c) = &self.cookie {
            b = b.header(header::COOKIE, c);
        }
        b
    }

    pub async fn get(&mut self, uri: &str) -> Page {
        let req = self.request("GET", uri).body(Body::empty()).unwrap();
        self.send(req).await
    }

    /// POST a form; `csrf` is added unless the fields already name it.
    pub async fn post(&mut self, uri: &str, fields: &[(&str, &str)]) -> Page {
        let mut pairs: Vec<(&str, &str)> = fields.to_vec();
        let csrf = self.csrf.clone();
        if !fields.iter().any(|(k, _)| *k == "csrf") {
            pairs.push(("csrf", &csrf));
        }
        let body = serde_urlencoded::to_string(&pairs).unwrap();
        self.post_raw(uri, body).await
    }

    pub async fn post_raw(&mut self, uri: &str, body: String) -> Page {
        let req = self
            .request("POST", uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    pub async fn login(&mut self, username: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        assert_eq!(form.status, StatusCode::OK);
        self.post("/login", &[("username", username), ("password", password)])
            .await
    }
}

/// A logged-in client for a desk with the standard caseworker account.
pub async fn logged_in(desk: &Desk) -> WebClient {
    if desk.store().user_by_name(USER).await.unwrap().is_none() {
        desk.add_user(USER, PASSWORD).await.unwrap();
    }
    let mut client = WebClient::new(desk);
    let page = client.login(USER, PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let home = client.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    client
}

/// Everything a form could change, as text, to show that bad input changed nothing.
pub async fn snapshot(desk: &Desk) -> String {
    use sqlx::Row;
    let pool = desk.store().pool();
    let mut out = String::new();
    for (table, sql) in [
        (
            "cases",
            "SELECT id, status, worker_status, assignee_id, acked_at FROM cases ORDER BY id",
        ),
        (
            "events",
            "SELECT case_id, kind, detail, actor FROM case_events ORDER BY id",
        ),
        (
            "alarms",
            "SELECT id, code, cleared_at FROM alarms ORDER BY id",
        ),
        ("users", "SELECT id, username FROM users ORDER BY id"),
    ] {
        out.push_str(table);
        out.push('\n');
        for row in sqlx::query(sql).fetch_all(pool).await.unwrap() {
            let cols: Vec<String> = (0..row.len())
                .map(|i| {
                    row.try_get::<Option<String>, _>(i)
                        .map(|v| v.unwrap_or_default())
                        .or_else(|_| row.try_get::<Option<i64>, _>(i).map(|v| format!("{v:?}")))
                        .unwrap_or_default()
                })
                .collect();
            out.push_str(&cols.join("|"));
            out.push('\n');
        }
    }
    out
}

pub fn fixture_clock() -> workvoice_desk::desk::Clock {
    std::sync::Arc::new(|| FIXTURE_NOW)
}

/// A root-signed certificate for `key` as organisation `org` (a union) in the fixture world.
pub fn certificate_for(
    f: &workvoice_proto::vectors::Fixture,
    org: OrgId,
    key: HpkePublicKey,
) -> workvoice_proto::directory::Signed {
    certificate_with(f, org, workvoice_proto::directory::OrgKind::Union, key, 1)
}

pub fn certificate_with(
    f: &workvoice_proto::vectors::Fixture,
    org: OrgId,
    kind: workvoice_proto::directory::OrgKind,
    key: HpkePublicKey,
    key_version: u32,
) -> workvoice_proto::directory::Signed {
    workvoice_proto::directory::Signed::sign(
        &workvoice_proto::directory::OrgCertificate {
            org_id: org,
            kind,
            hpke_public_key: key,
            key_version,
            valid_from: f.now - 365 * 24 * 3600,
            valid_until: f.now + 365 * 24 * 3600,
        },
        workvoice_proto::directory::ORG_CERT_CONTEXT,
        &f.root,
    )
}
