//! One end-to-end world: a relay database seeded with the fixture organisations, the real relay
//! binary serving it, the union's desk (real binary) with a key of its own certified by the
//! root through `workvoice-root` and installed with the relay's admin commands, a fault proxy
//! in front of the relay for phones, a plain one for the desk, and phones (real CLI binary).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use workvoice_proto::api::{InboxEntry, InboxPage};
use workvoice_proto::envelope::open;
use workvoice_proto::keys::OrgId;
use workvoice_proto::report::Report;
use workvoice_proto::routing::disclosure_digest;
use workvoice_proto::vectors::Fixture;
use workvoice_relay::domain::keyfile;
use workvoice_relay::testing::seed_fixture_world;

use crate::binaries::{ROOT, binary};
use crate::desk::DeskProcess;
use crate::phone::Phone;
use crate::postgres::{FreshDatabase, admin_url};
use crate::process::run;
use crate::proxy::{FaultPlan, FaultProxy};
use crate::relay::{RelayConfig, RelayProcess};

/// Which database the relay keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in the relay's data directory.
    Sqlite,
    /// A fresh database in the shared cluster (`WORKVOICE_TEST_PG_URL`), dropped at the end.
    Postgres,
    /// This PostgreSQL URL (a throwaway cluster's database).
    PostgresUrl(String),
}

impl Backend {
    pub fn label(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres | Backend::PostgresUrl(_) => "postgres",
        }
    }
}

/// An organisation as the relay registered it.
#[derive(Debug, Clone)]
pub struct Org {
    pub id: OrgId,
    pub token: String,
}

pub struct World {
    pub runtime: tokio::runtime::Runtime,
    /// Unique words for this world's reports.
    pub tag: String,
    pub fixture: Fixture,
    pub relay_config: RelayConfig,
    pub relay: Option<RelayProcess>,
    /// Phones reach the relay only through this.
    pub phone_proxy: FaultProxy,
    /// The desk reaches the relay through this (no faults: it follows relay restarts).
    pub desk_proxy: FaultProxy,
    pub union: Org,
    pub inspectorate: Org,
    pub desk: DeskProcess,
    pub http: reqwest::Client,
    _database: Option<FreshDatabase>,
    dir: tempfile::TempDir,
}

impl std::fmt::Debug for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("World")
            .field("tag", &self.tag)
            .field("relay", &self.relay)
            .finish_non_exhaustive()
    }
}

/// An HTTP client for the organisation API (installs the ring provider when reqwest carries
/// rustls without one, as it does next to the desk).
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap_or_default()
}

fn fail(what: &str) -> impl Fn(String) -> String + '_ {
    move |e| format!("{what}: {e}")
}

impl World {
    /// Seed, certify the desk's key, publish, start the relay, enrol the desk.
    pub fn new(backend: Backend, phone_plan: FaultPlan) -> Result<World, String> {
        World::with_relay_env(backend, phone_plan, Vec::new())
    }

    /// [`World::new`], every relay command also given `relay_env` (`WORKVOICE_…` settings).
    pub fn with_relay_env(
        backend: Backend,
        phone_plan: FaultPlan,
        relay_env: Vec<(String, String)>,
    ) -> Result<World, String> {
        let started = Instant::now();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let dir = tempfile::Builder::new()
            .prefix("wv-e2e-world-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let fixture = Fixture::new();
        let mut rng = workvoice_proto::system_rng::SystemRng::new();
        let tag = format!(
            "{}-{}",
            backend.label(),
            &workvoice_proto::keys::ReportId::random(&mut rng).to_hex()[..8]
        );
        let (database_url, database) = match &backend {
            Backend::Sqlite => (None, None),
            Backend::Postgres => {
                let admin = admin_url();
                let db = runtime.block_on(FreshDatabase::create(&admin, "world"))?;
                (Some(db.url.clone()), Some(db))
            }
            Backend::PostgresUrl(url) => (Some(url.clone()), None),
        };
        let relay_config = RelayConfig {
            data_dir: dir.path().join("relay"),
            database_url,
            root_public_key: fixture.root.public_key().to_hex(),
            pow_difficulty: 4,
            log_dir: dir.path().join("logs"),
            extra_env: relay_env,
        };
        std::fs::create_dir_all(&relay_config.data_dir).map_err(|e| e.to_string())?;

        // The operator's database: the fixture organisations (union, inspectorate, NGO with
        // the fixture keys), the relay certificate, the rules, directory version 1.
        let world = runtime
            .block_on(seed_fixture_world(&relay_config.settings(), &fixture))
            .map_err(|e| format!("seeding the relay database: {e}"))?;
        runtime.block_on(world.storage.close());
        let union = Org {
            id: world.union.id,
            token: world.union.token.clone(),
        };
        let inspectorate = Org {
            id: world.inspectorate.id,
            token: world.inspectorate.token.clone(),
        };

        // The union's desk makes its own key; the root certifies it (offline tool); the
        // operator installs the certificate and publishes the next directory.
        let desk = DeskProcess::new(dir.path())?;
        let desk_key = desk.init("Building Workers Union")?;
        let root_key = dir.path().join("root.key");
        keyfile::write_new(&root_key, &fixture.root).map_err(|e| e.to_string())?;
        let certificate = run(
            std::process::Command::new(binary(ROOT))
                .arg("certify-org")
                .arg("--key")
                .arg(&root_key)
                .args(["--org-id", &union.id.to_hex(), "--kind", "union"])
                .args(["--public-key", &desk_key, "--key-version", "2"])
                .args(["--valid-days", "30"]),
            Duration::from_secs(60),
        )?
        .ok("workvoice-root certify-org");
        let cert_file = dir.path().join("union-certificate.json");
        std::fs::write(&cert_file, &certificate).map_err(|e| e.to_string())?;
        let cert_path = cert_file.display().to_string();
        relay_config
            .admin(&["org", "certificate", &union.id.to_hex(), &cert_path])
            .map_err(fail("installing the desk's certificate"))?;
        relay_config
            .admin(&["directory", "publish"])
            .map_err(fail("publishing the directory"))?;

        let relay = relay_config.start()?;
        let phone_proxy = FaultProxy::start(runtime.handle(), relay.port, phone_plan)
            .map_err(|e| e.to_string())?;
        let desk_proxy = FaultProxy::start(runtime.handle(), relay.port, FaultPlan::None)
            .map_err(|e| e.to_string())?;
        desk.enrol(
            &desk_proxy.url(),
            &union.id.to_hex(),
            &union.token,
            &relay_config.root_public_key,
            &cert_file,
        )?;
        eprintln!(
            "e2e[{tag}]: world ready in {:.1} s (relay {}, phones via {})",
            started.elapsed().as_secs_f64(),
            relay.url,
            phone_proxy.url()
        );
        Ok(World {
            runtime,
            tag,
            fixture,
            relay_config,
            relay: Some(relay),
            phone_proxy,
            desk_proxy,
            union,
            inspectorate,
            desk,
            http: http_client(),
            _database: database,
            dir,
        })
    }

    /// Where the desk keeps its data (for the desk library in the tests).
    pub fn desk_dir(&self) -> PathBuf {
        self.desk.dir.clone()
    }

    /// A phone set up (PIN chosen) against the phone proxy.
    pub fn phone(&self, name: &str) -> Result<Phone, String> {
        let phone = Phone::new(
            name,
            &self.phone_proxy.url(),
            &self.relay_config.root_public_key,
        )?;
        phone.init()?;
        Ok(phone)
    }

    pub fn relay_url(&self) -> Result<String, String> {
        self.relay
            .as_ref()
            .map(|r| r.url.clone())
            .ok_or_else(|| "the relay is not running".into())
    }

    /// `kill -9` the relay.
    pub fn kill_relay(&mut self) {
        if let Some(relay) = self.relay.take() {
            relay.kill9();
        }
    }

    /// Start the relay again on the same data directory and database; both proxies follow.
    pub fn start_relay(&mut self) -> Result<(), String> {
        let relay = self.relay_config.start()?;
        self.phone_proxy.set_upstream(relay.port);
        self.desk_proxy.set_upstream(relay.port);
        self.relay = Some(relay);
        Ok(())
    }

    /// The whole inbox of an organisation through the organisation API (acknowledged entries
    /// included), every page.
    pub fn org_inbox(&self, org: &Org) -> Result<Vec<InboxEntry>, String> {
        let base = self.relay_url()?;
        self.runtime.block_on(async {
            let mut out = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let url = match &after {
                    Some(c) => format!("{base}/v1/org/inbox?limit=200&after={c}"),
                    None => format!("{base}/v1/org/inbox?limit=200"),
                };
                let response = self
                    .http
                    .get(&url)
                    .bearer_auth(&org.token)
                    .send()
                    .await
                    .map_err(|e| format!("GET {url}: {e}"))?;
                let status = response.status();
                let body = response.bytes().await.map_err(|e| e.to_string())?;
                if !status.is_success() {
                    return Err(format!(
                        "GET {url}: {status} {}",
                        String::from_utf8_lossy(&body)
                    ));
                }
                let page: InboxPage = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
                let last = page.entries.len();
                out.extend(page.entries);
                match page.next_cursor {
                    Some(c) if last > 0 => after = Some(c),
                    _ => return Ok(out),
                }
            }
        })
    }

    /// Inbox entries per report id (hex): how many times each report is in the inbox.
    pub fn inbox_counts(&self, org: &Org) -> Result<BTreeMap<String, usize>, String> {
        let mut counts = BTreeMap::new();
        for entry in self.org_inbox(org)? {
            *counts.entry(entry.report_id.to_hex()).or_default() += 1;
        }
        Ok(counts)
    }

    /// The inspectorate's reports, opened with its (fixture) key, per report id.
    pub fn inspectorate_reports(&self) -> Result<BTreeMap<String, Vec<Report>>, String> {
        let mut out: BTreeMap<String, Vec<Report>> = BTreeMap::new();
        for entry in self.org_inbox(&self.inspectorate)? {
            let opened = open(
                &entry.envelope,
                self.inspectorate.id,
                &self.fixture.inspectorate_key,
                &disclosure_digest(&entry.tags, &entry.consent),
            )
            .map_err(|e| format!("the inspectorate cannot open {}: {e}", entry.report_id))?;
            if opened.report_id != entry.report_id {
                return Err(format!(
                    "entry {} opens as report {}",
                    entry.report_id, opened.report_id
                ));
            }
            let report = Report::decode(&opened.plaintext).map_err(|e| e.to_string())?;
            out.entry(entry.report_id.to_hex())
                .or_default()
                .push(report);
        }
        Ok(out)
    }

    /// Wait (bounded) until the union's inbox holds at least `n` reports; returns the count.
    pub fn wait_for_union_inbox(&self, n: usize, limit: Duration) -> usize {
        let until = Instant::now() + limit;
        loop {
            let count = self.org_inbox(&self.union).map_or(0, |e| e.len());
            if count >= n || Instant::now() >= until {
                return count;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn path(&self) -> &std::path::Path {
        self.dir.path()
    }
}
