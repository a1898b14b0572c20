//! An in-process relay for tests, in this crate and in others (cargo feature `testing`).
//!
//! It listens on 127.0.0.1 (a free port), keeps a fresh database — SQLite in a temporary
//! directory, or a new PostgreSQL database created through `WORKVOICE_TEST_PG_URL` — and is
//! seeded with the [`Fixture`] world: the fixture root key, the fixture relay key and its
//! certificate, the union, the inspectorate and the NGO with their root-signed certificates,
//! the fixture routing rules, and a published directory (version 1) whose proof-of-work
//! difficulty is low (4 by default).
//!
//! Add to a crate's dev-dependencies:
//!
//! ```toml
//! workvoice-relay = { path = "../server", features = ["testing"] }
//! ```
//!
//! From an async test (the relay runs on the test's runtime):
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use workvoice_relay::testing::{TestRelay, TestRelayOptions, SubmissionSpec};
//!
//! let relay = TestRelay::spawn(TestRelayOptions::default()).await?;
//! // GET {relay.base_url}/v1/directory verifies under relay.fixture.root.public_key().
//! let prepared = relay.prepare_submission(&SubmissionSpec::default())?;
//! // POST prepared.request as JSON to {relay.base_url}/v1/submissions → 201;
//! // the union pulls it with `Authorization: Bearer {relay.union.token}`.
//! relay.stop().await;
//! # Ok(()) }
//! ```
//!
//! From a synchronous test (the relay gets its own runtime on its own thread):
//!
//! ```no_run
//! # fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use workvoice_relay::testing::{TestDatabase, TestRelay, TestRelayOptions};
//!
//! let relay = TestRelay::start(TestRelayOptions {
//!     database: TestDatabase::Sqlite,
//!     pow_difficulty: 4,
//!     ..TestRelayOptions::default()
//! })?;
//! let url = relay.url("/v1/directory");
//! # let _ = url;
//! drop(relay); // stops it and deletes its data
//! # Ok(()) }
//! ```
//!
//! PostgreSQL: `TestDatabase::Postgres` reads the admin URL from `WORKVOICE_TEST_PG_URL`
//! (`scripts/postgres-up` prints one) and fails with a message saying so when it is missing.
//!
//! [`balancer`]: a small TCP balancer (HAProxy's part) in front of several relay processes.

pub mod balancer;

use std::time::Duration;

use tokio::sync::oneshot;
use workvoice_proto::api::{AttachmentDeclaration, SubmissionRequest};
use workvoice_proto::attachment::seal_attachment;
use workvoice_proto::directory::{Listing, OrgKind};
use workvoice_proto::envelope::seal;
use workvoice_proto::keys::{HpkePrivateKey, HpkePublicKey, OrgId, ReportId};
use workvoice_proto::pow::solve_pow;
use workvoice_proto::recovery::{RecoveryCode, mailbox_token_hash, mailbox_token_text};
use workvoice_proto::report::Report;
use workvoice_proto::routing::{Consent, disclosure_digest, route};
use workvoice_proto::vectors::{DeterministicRng, Fixture};

use crate::admin::{self, NewOrganisation, PublishOptions};
use crate::configuration::Settings;
use crate::domain::keyfile;
use crate::domain::{OrgProfile, unix_now};
use crate::startup::{Application, StartupError};
use crate::storage::{Storage, StorageError};

/// The environment variable holding a PostgreSQL admin URL (a role with CREATEDB).
pub const PG_URL_VAR: &str = "WORKVOICE_TEST_PG_URL";

#[derive(Debug, thiserror::Error)]
pub enum TestRelayError {
    #[error(
        "{PG_URL_VAR} is not set: run `scripts/postgres-up` (or `scripts/test`, which exports it) for the PostgreSQL tests"
    )]
    NoPostgres,
    #[error("cannot create a temporary directory: {0}")]
    TempDir(std::io::Error),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error(transparent)]
    Admin(#[from] admin::AdminError),
    #[error("key file: {0}")]
    Key(#[from] keyfile::KeyFileError),
    #[error("the relay thread failed: {0}")]
    Thread(String),
    #[error("cannot prepare the submission: {0}")]
    Prepare(String),
}

/// Which database a test relay keeps.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TestDatabase {
    /// A SQLite file in a fresh temporary directory.
    #[default]
    Sqlite,
    /// A fresh database created through `WORKVOICE_TEST_PG_URL`.
    Postgres,
    /// A database that exists already (e.g. shared by two relays); not seeded again if it
    /// already holds the fixture organisations.
    Url(String),
}

impl TestDatabase {
    /// `Sqlite` or `Postgres` by name, for tests generated for both backends.
    pub fn named(name: &str) -> TestDatabase {
        if name == "postgres" {
            TestDatabase::Postgres
        } else {
            TestDatabase::Sqlite
        }
    }
}

/// How to start a test relay.
#[derive(Debug, Clone)]
pub struct TestRelayOptions {
    pub database: TestDatabase,
    /// Written into the published directory. Default 4 (a few dozen hashes).
    pub pow_difficulty: u8,
    /// Requests per second on anonymous endpoints; 0 (default) disables the limit.
    pub anonymous_rate_per_second: u32,
    /// Further changes to the settings before the relay starts.
    pub adjust: Option<fn(&mut Settings)>,
}

impl Default for TestRelayOptions {
    fn default() -> Self {
        TestRelayOptions {
            database: TestDatabase::Sqlite,
            pow_difficulty: 4,
            anonymous_rate_per_second: 0,
            adjust: None,
        }
    }
}

/// One of the fixture organisations as registered in the test relay.
#[derive(Debug, Clone)]
pub struct TestOrg {
    pub id: OrgId,
    pub kind: OrgKind,
    /// Its API token, for `Authorization: Bearer`.
    pub token: String,
    /// Its HPKE private key (from the fixture), to open envelopes and seal replies.
    pub key: HpkePrivateKey,
}

#[derive(Debug)]
enum Running {
    Task {
        stop: oneshot::Sender<()>,
        task: tokio::task::JoinHandle<Result<(), StartupError>>,
    },
    Thread {
        stop: oneshot::Sender<()>,
        thread: std::thread::JoinHandle<()>,
    },
    Stopped,
}

/// A running test relay. Dropping it stops the relay and deletes its SQLite data.
#[derive(Debug)]
pub struct TestRelay {
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub base_url: String,
    pub port: u16,
    /// The fixture world: root key, relay key, organisations' keys.
    pub fixture: Fixture,
    pub union: TestOrg,
    pub inspectorate: TestOrg,
    pub ngo: TestOrg,
    /// The directory listing published at start (version 1 unless the database had one).
    pub listing: Listing,
    /// `http://127.0.0.1:<port>` of the metrics listener, when the settings ask for one.
    pub metrics_url: Option<String>,
    /// The relay's settings (database URL, data directory…).
    pub settings: Settings,
    /// The relay's database. From a synchronous test ([`TestRelay::start`]) use it only on
    /// SQLite; PostgreSQL connections belong to the relay's own runtime.
    pub storage: Storage,
    running: Running,
    /// The PostgreSQL database this relay created, dropped by [`TestRelay::stop`].
    created_database: Option<String>,
    _dir: tempfile::TempDir,
}

fn fixture_orgs(f: &Fixture) -> [(OrgId, OrgKind, &'static str, &HpkePrivateKey); 3] {
    [
        (
            f.union_id,
            OrgKind::Union,
            "Building Workers Union",
            &f.union_key,
        ),
        (
            f.inspectorate_id,
            OrgKind::Inspectorate,
            "Labour Inspectorate",
            &f.inspectorate_key,
        ),
        (f.ngo_id, OrgKind::Ngo, "Migrant Rights Centre", &f.ngo_key),
    ]
}

/// A fresh PostgreSQL database through the admin URL in `WORKVOICE_TEST_PG_URL`; returns its
/// URL.
pub async fn fresh_postgres_database() -> Result<String, TestRelayError> {
    Ok(create_postgres_database().await?.0)
}

/// Create a database; returns its URL and its name.
async fn create_postgres_database() -> Result<(String, String), TestRelayError> {
    use sqlx::Connection;
    let admin_url = std::env::var(PG_URL_VAR).map_err(|_| TestRelayError::NoPostgres)?;
    sqlx::any::install_default_drivers();
    let mut rng = workvoice_proto::system_rng::SystemRng::new();
    let name = format!("wv_test_{}", OrgId::random(&mut rng).to_hex());
    let mut conn = sqlx::AnyConnection::connect(&admin_url)
        .await
        .map_err(StorageError::from)?;
    sqlx::query::<sqlx::Any>(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .map_err(StorageError::from)?;
    let _ = conn.close().await;
    Ok((replace_database(&admin_url, &name), name))
}

/// Drop a database made by [`create_postgres_database`] (best effort).
async fn drop_postgres_database(name: &str) {
    use sqlx::Connection;
    let Ok(admin_url) = std::env::var(PG_URL_VAR) else {
        return;
    };
    if let Ok(mut conn) = sqlx::AnyConnection::connect(&admin_url).await {
        let _ = sqlx::query::<sqlx::Any>(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await;
        let _ = conn.close().await;
    }
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let base = match base[after_scheme..].find('/') {
        Some(slash) => &base[..after_scheme + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl TestRelay {
    /// Start a relay on the current tokio runtime.
    pub async fn spawn(options: TestRelayOptions) -> Result<TestRelay, TestRelayError> {
        let dir = tempfile::tempdir().map_err(TestRelayError::TempDir)?;
        let fixture = Fixture::new();
        let mut created_database = None;
        let database_url = match &options.database {
            TestDatabase::Sqlite => None,
            TestDatabase::Postgres => {
                let (url, name) = create_postgres_database().await?;
                created_database = Some(name);
                Some(url)
            }
            TestDatabase::Url(url) => Some(url.clone()),
        };
        let mut settings = Settings {
            listen: "127.0.0.1:0".into(),
            data_dir: dir.path().to_path_buf(),
            database_url,
            max_connections: 8,
            root_public_key: Some(fixture.root.public_key().to_hex()),
            pow_difficulty: options.pow_difficulty,
            anonymous_rate_per_second: options.anonymous_rate_per_second,
            anonymous_burst: options.anonymous_rate_per_second.max(1),
            maintenance_interval_secs: 3600,
            // Tests publish directories and expect them served at once.
            directory_recheck_ms: 0,
            ..Settings::default()
        };
        if let Some(adjust) = options.adjust {
            adjust(&mut settings);
        }
        let SeededWorld {
            storage,
            union,
            inspectorate,
            ngo,
            listing,
        } = seed_fixture_world(&settings, &fixture).await?;
        let relay_key = keyfile::read(&settings.relay_key_path())?;
        let app = Application::build_with(settings.clone(), storage.clone(), relay_key).await?;
        let port = app.port();
        let metrics_url = app.metrics_address().map(|a| format!("http://{a}"));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        Ok(TestRelay {
            base_url: format!("http://127.0.0.1:{port}"),
            port,
            fixture,
            union,
            inspectorate,
            ngo,
            listing,
            metrics_url,
            settings,
            storage,
            running: Running::Task { stop, task },
            created_database,
            _dir: dir,
        })
    }

    /// Start a relay on its own runtime and thread, for synchronous tests.
    pub fn start(options: TestRelayOptions) -> Result<TestRelay, TestRelayError> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("workvoice-test-relay".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = ready_tx.send(Err(TestRelayError::Thread(e.to_string())));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let mut relay = match TestRelay::spawn(options).await {
                        Ok(r) => r,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let inner = std::mem::replace(&mut relay.running, Running::Stopped);
                    let (stop_tx, stop_rx) = oneshot::channel::<()>();
                    if ready_tx.send(Ok((relay, stop_tx))).is_err() {
                        return;
                    }
                    let _ = stop_rx.await;
                    if let Running::Task { stop, task } = inner {
                        let _ = stop.send(());
                        let _ = task.await;
                    }
                });
            })
            .map_err(|e| TestRelayError::Thread(e.to_string()))?;
        match ready_rx.recv() {
            Ok(Ok((mut relay, stop))) => {
                relay.running = Running::Thread { stop, thread };
                Ok(relay)
            }
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                let _ = thread.join();
                Err(TestRelayError::Thread(
                    "the relay thread ended early".into(),
                ))
            }
        }
    }

    /// `base_url` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// The test organisation with this id.
    pub fn org(&self, id: &OrgId) -> Option<&TestOrg> {
        [&self.union, &self.inspectorate, &self.ngo]
            .into_iter()
            .find(|o| o.id == *id)
    }

    /// Sets whether `org`'s directory entry takes escrow invites (`escrow_invites`, PROTOCOL.md
    /// 18.12) and publishes the next directory, which [`TestRelay::listing`] then holds.
    pub async fn set_escrow_invites(
        &mut self,
        org: &OrgId,
        on: bool,
    ) -> Result<(), TestRelayError> {
        admin::set_escrow(&self.storage, org, None, Some(on)).await?;
        self.listing = admin::publish_directory(
            &self.storage,
            &self.fixture.relay,
            PublishOptions {
                now: unix_now(),
                ttl_secs: self.settings.directory_ttl_secs,
                pow_difficulty: self.settings.pow_difficulty,
            },
        )
        .await?;
        Ok(())
    }

    /// A sealed submission against the listing published at start; see [`prepare_submission`].
    pub fn prepare_submission(
        &self,
        spec: &SubmissionSpec,
    ) -> Result<PreparedSubmission, TestRelayError> {
        prepare_submission(&self.fixture, &self.listing, spec)
    }

    /// Stop serving (in-flight requests finish), wait until stopped, and drop the PostgreSQL
    /// database it created (a test relay dropped without `stop` leaves it behind).
    pub async fn stop(mut self) {
        match std::mem::replace(&mut self.running, Running::Stopped) {
            Running::Task { stop, task } => {
                let _ = stop.send(());
                let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
            }
            Running::Thread { stop, thread } => {
                let _ = stop.send(());
                let _ = tokio::task::spawn_blocking(move || thread.join()).await;
            }
            Running::Stopped => {}
        }
        self.storage.close().await;
        if let Some(name) = self.created_database.take() {
            drop_postgres_database(&name).await;
        }
    }
}

impl Drop for TestRelay {
    fn drop(&mut self) {
        match std::mem::replace(&mut self.running, Running::Stopped) {
            Running::Task { stop, .. } => {
                let _ = stop.send(());
            }
            Running::Thread { stop, thread } => {
                let _ = stop.send(());
                let _ = thread.join();
            }
            Running::Stopped => {}
        }
    }
}

/// What [`seed_fixture_world`] made.
#[derive(Debug)]
pub struct SeededWorld {
    pub storage: Storage,
    pub union: TestOrg,
    pub inspectorate: TestOrg,
    pub ngo: TestOrg,
    /// The current directory listing.
    pub listing: Listing,
}

/// Prepare the database and data directory of `settings` as the fixture world without
/// starting a relay: write the fixture relay key to `settings.relay_key_path()` (if absent),
/// migrate, register the three organisations with their certificates, set the relay
/// certificate and the rules, and publish a directory (if none). For tests that run the real
/// `workvoice-relay serve` binary over a prepared database (`settings.root_public_key` should
/// be the fixture root's).
pub async fn seed_fixture_world(
    settings: &Settings,
    fixture: &Fixture,
) -> Result<SeededWorld, TestRelayError> {
    if !settings.relay_key_path().exists() {
        keyfile::write_new(&settings.relay_key_path(), &fixture.relay)?;
    }
    let storage = crate::startup::open_storage(settings).await?;
    let (union, inspectorate, ngo) = seed(&storage, fixture, settings).await?;
    // The gateway keys, as the relay records them at start, so the first directory lists them.
    crate::oblivious::record_from_file(&storage, settings, unix_now())
        .await
        .map_err(|e| TestRelayError::Prepare(e.to_string()))?;
    let listing = match storage.latest_directory().await? {
        Some(d) => {
            serde_json::from_str(&d.listing).map_err(|e| StorageError::Corrupt(e.to_string()))?
        }
        None => {
            let relay_key = keyfile::read(&settings.relay_key_path())?;
            admin::publish_directory(
                &storage,
                &relay_key,
                PublishOptions {
                    now: unix_now(),
                    ttl_secs: settings.directory_ttl_secs,
                    pow_difficulty: settings.pow_difficulty,
                },
            )
            .await?
        }
    };
    Ok(SeededWorld {
        storage,
        union,
        inspectorate,
        ngo,
        listing,
    })
}

async fn seed(
    storage: &Storage,
    fixture: &Fixture,
    settings: &Settings,
) -> Result<(TestOrg, TestOrg, TestOrg), TestRelayError> {
    let root = fixture.root.public_key();
    let now = unix_now();
    let mut orgs = Vec::new();
    for (id, kind, name, key) in fixture_orgs(fixture) {
        let token = if storage.organisation(&id).await?.is_some() {
            admin::rotate_token(storage, &id).await?
        } else {
            let template = fixture.organisation(id, kind, name, fixture.certificate(id, kind, key));
            let new = NewOrganisation {
                id: Some(id),
                kind,
                profile: OrgProfile {
                    names: template.names,
                    countries: template.countries,
                    sectors: template.sectors,
                    languages: template.languages,
                    escrow_threshold: template.escrow_threshold,
                    escrow_invites: template.escrow_invites,
                },
            };
            let (_, token) = admin::add_organisation(storage, &new, now).await?;
            admin::set_certificate(
                storage,
                Some(&root),
                &id,
                &fixture.certificate(id, kind, key),
                now,
            )
            .await?;
            token
        };
        orgs.push(TestOrg {
            id,
            kind,
            token: token.text(),
            key: key.clone(),
        });
    }
    if storage
        .setting(admin::SETTING_RELAY_CERTIFICATE)
        .await?
        .is_none()
    {
        admin::set_relay_certificate(
            storage,
            Some(&root),
            &fixture.relay.public_key(),
            &fixture.relay_certificate,
            now,
        )
        .await?;
        admin::set_rules(storage, fixture.listing(1).rules).await?;
    }
    let _ = settings;
    let mut it = orgs.into_iter();
    match (it.next(), it.next(), it.next()) {
        (Some(u), Some(i), Some(n)) => Ok((u, i, n)),
        _ => Err(TestRelayError::Prepare("fixture organisations".into())),
    }
}

/// What to put in a prepared submission.
#[derive(Debug, Clone)]
pub struct SubmissionSpec {
    /// Different seeds give different report ids, mailbox tokens and keys; the same seed gives
    /// the same ones (the envelope differs: sealing is randomised).
    pub seed: u64,
    /// Default: the fixture report's consent (union and inspectorate).
    pub consent: Option<Consent>,
    /// Seal to these organisations instead of the routed ones.
    pub recipients: Option<Vec<OrgId>>,
    /// Plaintext attachments to seal and declare.
    pub attachments: Vec<Vec<u8>>,
    /// Replace the report's free text with this many ASCII characters (to size the envelope).
    pub free_text_len: Option<usize>,
    /// Skip the proof-of-work (nonce 0).
    pub skip_pow: bool,
    /// Change the report before it is routed and sealed (e.g. its sector or indicators).
    pub adjust_report: Option<fn(&mut Report)>,
}

impl Default for SubmissionSpec {
    fn default() -> Self {
        SubmissionSpec {
            seed: 1,
            consent: None,
            recipients: None,
            attachments: Vec::new(),
            free_text_len: None,
            skip_pow: false,
            adjust_report: None,
        }
    }
}

/// A submission ready to post, with the secrets the phone would keep.
#[derive(Debug)]
pub struct PreparedSubmission {
    pub request: SubmissionRequest,
    pub report: Report,
    pub mailbox_token: [u8; 32],
    /// The token as it goes in `/v1/mailbox/{token}` and in upload `Authorization: Bearer`.
    pub mailbox_token_text: String,
    pub reply_key: HpkePrivateKey,
    /// The sealed bytes of each attachment, in `request.attachments` order.
    pub sealed_attachments: Vec<Vec<u8>>,
}

/// Seal a fixture report (a construction worker in Qatar) as the phone would: route it with
/// `listing`, seal to the routed organisations' fixture keys, pay the proof-of-work.
pub fn prepare_submission(
    fixture: &Fixture,
    listing: &Listing,
    spec: &SubmissionSpec,
) -> Result<PreparedSubmission, TestRelayError> {
    let fail = |e: &dyn std::fmt::Display| TestRelayError::Prepare(e.to_string());
    let mut rng = DeterministicRng::new(&format!("workvoice test submission {}", spec.seed));
    let report_id = ReportId::random(&mut rng);
    let code = RecoveryCode::generate(&mut rng);
    let secrets = code.report_secrets(0);
    let mut report = fixture.report(report_id, secrets.reply_key.public_key());
    if let Some(consent) = spec.consent {
        report.consent = consent;
    }
    if let Some(n) = spec.free_text_len {
        report.free_text = "x".repeat(n);
    }
    if let Some(adjust) = spec.adjust_report {
        adjust(&mut report);
    }
    let mut seal_rng = workvoice_proto::system_rng::SystemRng::new();
    let mut declarations = Vec::new();
    let mut sealed_attachments = Vec::new();
    for plain in &spec.attachments {
        let (entry, sealed) =
            seal_attachment(plain, "image/jpeg", report_id, &mut seal_rng).map_err(|e| fail(&e))?;
        declarations.push(AttachmentDeclaration {
            id: entry.id,
            size: sealed.len() as u64,
            sha256: entry.sealed_sha256,
        });
        report.attachments.push(entry);
        sealed_attachments.push(sealed);
    }
    let tags = report.routing_tags();
    let consent = report.consent;
    let recipients: Vec<OrgId> = match &spec.recipients {
        Some(r) => r.clone(),
        None => route(&tags, &consent, listing)
            .map_err(|e| fail(&e))?
            .recipients
            .iter()
            .map(|r| r.org_id)
            .collect(),
    };
    let keys: Vec<(OrgId, HpkePublicKey)> = recipients
        .iter()
        .map(|id| {
            let key = fixture_orgs(fixture)
                .into_iter()
                .find(|(o, ..)| o == id)
                .map_or_else(
                    || HpkePrivateKey::generate(&mut seal_rng).public_key(),
                    |(_, _, _, k)| k.public_key(),
                );
            (*id, key)
        })
        .collect();
    let envelope = seal(
        &report.encode(),
        report_id,
        &keys,
        &disclosure_digest(&tags, &consent),
        &mut seal_rng,
    )
    .map_err(|e| fail(&e))?;
    let pow_nonce = if spec.skip_pow {
        0
    } else {
        solve_pow(&report_id, listing.pow_difficulty).map_err(|e| fail(&e))?
    };
    Ok(PreparedSubmission {
        request: SubmissionRequest {
            submission_id: report_id,
            directory_version: listing.version,
            tags,
            consent,
            mailbox_token_hash: mailbox_token_hash(&secrets.mailbox_token),
            pow_nonce,
            envelope,
            attachments: declarations,
        },
        report,
        mailbox_token: *secrets.mailbox_token,
        mailbox_token_text: mailbox_token_text(&secrets.mailbox_token),
        reply_key: secrets.reply_key,
        sealed_attachments,
    })
}

#[cfg(test)]
mod tests {
    use super::replace_database;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            replace_database("postgres://u:p@127.0.0.1:5432/postgres", "x"),
            "postgres://u:p@127.0.0.1:5432/x"
        );
        assert_eq!(
            replace_database("postgres://u@h/postgres?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
    }
}
