//! `workvoice-demo`: the whole of Workvoice on one machine in one command, for newcomers.
//!
//! [`Demo::start`] makes a fresh demo directory, an offline root key (with the code of
//! `workvoice-root`), a relay on a SQLite file (the relay library: its admin functions and
//! `Application`), a union desk and an inspectorate desk (the desk library) whose keys the root
//! certifies, publishes the directory, then has six workers write and send their reports
//! through the real phone core ([`phone`]), syncs both desks, creates a caseworker login and
//! serves both desks' web UIs on 127.0.0.1. [`Demo::stop`] shuts everything down.
//!
//! Layout of the demo directory:
//!
//! ```text
//! demo-data/
//!   .workvoice-demo          marks a directory this tool made (and may delete with --fresh)
//!   root/root.key            the offline root key; root/*.json the certificates it signed
//!   relay/relay.db           the relay's SQLite database; relay/relay.key its directory key
//!   union-desk/              the union's desk (keys sealed under the desk passphrase)
//!   inspectorate-desk/       the inspectorate's desk
//!   desk-passphrase.txt      the passphrase of both desks (for the workvoice-desk command)
//!   phones/<worker>/         each worker's phone vault (PIN 482916)
//! ```

pub mod phone;
pub mod scenario;
pub mod sms;

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::{oneshot, watch};
use workvoice_desk::desk::InitOptions;
use workvoice_desk::web::RunningServer;
use workvoice_desk::{Desk, DeskError, Enrolment, KdfParams, Passphrase, SyncOptions};
use workvoice_proto::directory::{OrgKind, Signed};
use workvoice_proto::keys::{OrgId, SigningPublicKey};
use workvoice_proto::rand_core::Rng;
use workvoice_proto::routing::RoutingRule;
use workvoice_proto::system_rng::SystemRng;
use workvoice_relay::admin::{self, AdminError, NewOrganisation, PublishOptions};
use workvoice_relay::configuration::Settings;
use workvoice_relay::domain::{OrgProfile, unix_now};
use workvoice_relay::root_tool::{self, RootCommand};
use workvoice_relay::startup::{self, Application, StartupError};

pub use phone::{DEMO_PIN, SentReport};

/// The caseworker account the demo creates in both desks.
pub const DEMO_USER: &str = "demo";
/// The file in a demo directory that says this tool made it.
pub const MARKER_FILE: &str = ".workvoice-demo";
pub const PASSPHRASE_FILE: &str = "desk-passphrase.txt";
pub const UNION_NAME: &str = "Building and Domestic Workers Union (demo)";
pub const INSPECTORATE_NAME: &str = "Labour Inspectorate (demo)";
/// How often the running demo pulls new reports into both desks.
pub const SYNC_EVERY: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "{0} exists and is not empty (an earlier demo?): run again with --fresh to start over, or choose another --dir"
    )]
    DirExists(PathBuf),
    #[error(
        "{0} was not made by workvoice-demo (no {MARKER_FILE} in it): refusing to delete it; choose another --dir"
    )]
    NotADemoDir(PathBuf),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("root key: {0}")]
    Root(String),
    #[error("relay: {0}")]
    Relay(#[from] StartupError),
    #[error("relay administration: {0}")]
    Admin(#[from] AdminError),
    #[error("desk: {0}")]
    Desk(#[from] DeskError),
    #[error(transparent)]
    Phone(#[from] phone::PhoneError),
    #[error(transparent)]
    Sms(#[from] sms::SmsError),
    #[error("{desk} stored {stored} cases, expected {expected}")]
    Incomplete {
        desk: &'static str,
        stored: u64,
        expected: u64,
    },
    #[error("a background task failed: {0}")]
    Task(String),
}

fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> DemoError + '_ {
    move |source| DemoError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// How to run the demo.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub dir: PathBuf,
    /// Delete an earlier demo directory first.
    pub fresh: bool,
    /// Preferred ports on 127.0.0.1 (0: any free port). A taken port falls back to a free one.
    pub relay_port: u16,
    pub desk_port: u16,
    pub inspectorate_port: u16,
    /// Proof-of-work difficulty the relay asks of phones.
    pub pow_difficulty: u8,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("demo-data"),
            fresh: false,
            relay_port: 8700,
            desk_port: 8701,
            inspectorate_port: 8702,
            pow_difficulty: 12,
        }
    }
}

/// What the demo set up, for the console and for tests.
#[derive(Debug, Clone)]
pub struct Summary {
    pub dir: PathBuf,
    pub relay_url: String,
    pub relay_database: PathBuf,
    pub root_public_key: String,
    pub union_url: String,
    pub inspectorate_url: String,
    pub username: String,
    pub password: String,
    pub passphrase_file: PathBuf,
    pub union_dir: PathBuf,
    pub inspectorate_dir: PathBuf,
    pub reports: Vec<SentReport>,
    pub union_cases: u64,
    pub inspectorate_cases: u64,
    /// How to run the phone shell: the `workvoice-cli` built next to this program, or cargo.
    pub cli_command: String,
    /// A report file for the phone shell to send.
    pub example_report: PathBuf,
    /// Things the user should know (a port that was taken...).
    pub notes: Vec<String>,
}

/// The `workvoice-cli` next to this executable when it was built too, else `cargo run`.
fn cli_command() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("workvoice-cli")))
        .filter(|cli| cli.is_file())
        .map_or_else(
            || "cargo run -q -p workvoice-cli --".to_string(),
            |cli| cli.display().to_string(),
        )
}

/// The example report of the repository this program was built from.
fn example_report() -> PathBuf {
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/example-report.json");
    built
        .canonicalize()
        .unwrap_or_else(|_| PathBuf::from("cli/example-report.json"))
}

impl Summary {
    /// The text printed when the demo is ready.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut line = |s: String| {
            out.push_str(&s);
            out.push('\n');
        };
        line(String::new());
        line("Workvoice demo is ready.".into());
        line(String::new());
        line(format!(
            "  Union desk:         {}/   {UNION_NAME}, {} cases",
            self.union_url, self.union_cases
        ));
        line(format!(
            "  Inspectorate desk:  {}/   {INSPECTORATE_NAME}, {} cases",
            self.inspectorate_url, self.inspectorate_cases
        ));
        line(format!("  User name:          {}", self.username));
        line(format!("  Password:           {}", self.password));
        line(format!(
            "  Relay:              {}   (SQLite: {})",
            self.relay_url,
            self.relay_database.display()
        ));
        line(format!("  Data:               {}", self.dir.display()));
        line(String::new());
        line(
            "  Both desks accept the same login. Each desk's keys are sealed under the passphrase"
                .into(),
        );
        line(format!(
            "  in {} (for the workvoice-desk command: --dir {} --passphrase-file {}).",
            self.passphrase_file.display(),
            self.union_dir.display(),
            self.passphrase_file.display()
        ));
        line(String::new());
        line(format!(
            "  Reports sent through the phone core (phones in {}, PIN {DEMO_PIN}):",
            self.dir.join("phones").display()
        ));
        for r in &self.reports {
            line(format!("    {}  {}", &r.report_id, r.who));
        }
        line(String::new());
        line(
            "  Send one yourself (the desks sync every 30 seconds, or press Sync in the desk):"
                .into(),
        );
        let phone = format!(
            "{} --data-dir {} --relay {} --root-key {} --fast-kdf",
            self.cli_command,
            self.dir.join("phones").join("mine").display(),
            self.relay_url,
            self.root_public_key
        );
        line(format!("    {phone} init --pin {DEMO_PIN}"));
        line(format!(
            "    {phone} report --pin {DEMO_PIN} --from {}",
            self.example_report.display()
        ));
        line(format!("    {phone} send --pin {DEMO_PIN}"));
        for note in &self.notes {
            line(format!("  Note: {note}"));
        }
        out
    }
}

/// The running demo: relay, two desks and their web UIs, and the periodic sync.
#[derive(Debug)]
pub struct Demo {
    pub summary: Summary,
    pub union: Desk,
    pub inspectorate: Desk,
    relay_storage: workvoice_relay::storage::Storage,
    relay_stop: oneshot::Sender<()>,
    relay_task: tokio::task::JoinHandle<Result<(), StartupError>>,
    union_server: RunningServer,
    inspectorate_server: RunningServer,
    sync_stop: watch::Sender<bool>,
    sync_task: tokio::task::JoinHandle<()>,
}

/// Make `dir` ready for a new demo: create it, accept it empty, or (with `fresh`) delete an
/// earlier demo in it. Never deletes a directory this tool did not make.
pub fn prepare_dir(dir: &Path, fresh: bool) -> Result<(), DemoError> {
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(io_at(dir))?;
        if entries.next().is_some() {
            if !fresh {
                return Err(DemoError::DirExists(dir.to_path_buf()));
            }
            if !dir.join(MARKER_FILE).is_file() {
                return Err(DemoError::NotADemoDir(dir.to_path_buf()));
            }
            std::fs::remove_dir_all(dir).map_err(io_at(dir))?;
        }
    }
    std::fs::create_dir_all(dir).map_err(io_at(dir))?;
    let marker = dir.join(MARKER_FILE);
    std::fs::write(
        &marker,
        "Made by workvoice-demo; `workvoice-demo --fresh` deletes this directory.\n",
    )
    .map_err(io_at(&marker))
}

/// A port on 127.0.0.1: `wanted` if it is free, else any free one (and a note saying so).
fn choose_port(wanted: u16, what: &str, notes: &mut Vec<String>) -> u16 {
    if wanted == 0 || std::net::TcpListener::bind(("127.0.0.1", wanted)).is_ok() {
        return wanted;
    }
    match std::net::TcpListener::bind(("127.0.0.1", 0)).and_then(|l| l.local_addr()) {
        Ok(addr) => {
            notes.push(format!(
                "port {wanted} was taken, so the {what} uses port {} instead",
                addr.port()
            ));
            addr.port()
        }
        Err(_) => wanted,
    }
}

fn random_text(bytes: usize) -> String {
    let mut raw = vec![0u8; bytes];
    SystemRng::new().fill_bytes(&mut raw);
    hex::encode(raw)
}

/// Write a secret to a new file readable only by its owner.
fn write_private(path: &Path, text: &str) -> Result<(), DemoError> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io_at(path))?;
    file.write_all(text.as_bytes()).map_err(io_at(path))
}

/// The offline root key holder's side: `workvoice-root` commands run on the demo's key file.
struct Root {
    key_file: PathBuf,
    dir: PathBuf,
    public_key: SigningPublicKey,
}

impl Root {
    fn create(dir: &Path) -> Result<Root, DemoError> {
        let key_file = dir.join("root.key");
        let hex = root_tool::run(
            RootCommand::Init {
                out: key_file.clone(),
            },
            unix_now(),
        )
        .map_err(DemoError::Root)?;
        let public_key = SigningPublicKey::from_hex(hex.trim())
            .ok_or_else(|| DemoError::Root(format!("unexpected public key {hex:?}")))?;
        Ok(Root {
            key_file,
            dir: dir.to_path_buf(),
            public_key,
        })
    }

    /// Run a signing command, keep its output next to the key, return the signed structure.
    fn sign(&self, command: RootCommand, file_name: &str) -> Result<Signed, DemoError> {
        let text = root_tool::run(command, unix_now()).map_err(DemoError::Root)?;
        let path = self.dir.join(file_name);
        std::fs::write(&path, &text).map_err(io_at(&path))?;
        serde_json::from_str(&text)
            .map_err(|e| DemoError::Root(format!("the root tool printed no signed JSON: {e}")))
    }

    fn certify_relay(&self, relay_key: &SigningPublicKey) -> Result<Signed, DemoError> {
        self.sign(
            RootCommand::CertifyRelay {
                key: self.key_file.clone(),
                relay_key: relay_key.to_hex(),
                name: "Workvoice demo relay".into(),
                valid_days: 365,
            },
            "relay-certificate.json",
        )
    }

    fn certify_org(&self, id: &OrgId, kind: OrgKind, desk: &Desk) -> Result<Signed, DemoError> {
        let key = desk
            .keys()
            .first()
            .map(|k| k.public_key.to_hex())
            .ok_or_else(|| DemoError::Root("the desk has no key".into()))?;
        self.sign(
            RootCommand::CertifyOrg {
                key: self.key_file.clone(),
                org_id: id.to_hex(),
                kind: kind.as_str().into(),
                public_key: key,
                key_version: 1,
                valid_days: 365,
            },
            &format!("{}-certificate.json", kind.as_str()),
        )
    }
}

struct OrgPlan {
    kind: OrgKind,
    name: &'static str,
    names: &'static [(&'static str, &'static str)],
    countries: Vec<String>,
    sectors: Vec<String>,
    languages: Vec<String>,
}

fn org_plans() -> [OrgPlan; 2] {
    let strings = |items: &[&str]| items.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
    [
        OrgPlan {
            kind: OrgKind::Union,
            name: UNION_NAME,
            names: &[
                ("ne", "निर्माण तथा घरेलु श्रमिक संघ (डेमो)"),
                ("id", "Serikat Pekerja Bangunan dan Rumah Tangga (demo)"),
                (
                    "tl",
                    "Unyon ng mga Manggagawa sa Konstruksyon at Tahanan (demo)",
                ),
                ("bn", "নির্মাণ ও গৃহকর্মী ইউনিয়ন (ডেমো)"),
            ],
            countries: strings(&["AE", "MY", "QA", "SA"]),
            sectors: strings(&["C", "F", "N", "T"]),
            languages: strings(&["en", "ne", "id", "tl", "bn", "hi"]),
        },
        OrgPlan {
            kind: OrgKind::Inspectorate,
            name: INSPECTORATE_NAME,
            names: &[],
            countries: strings(&scenario::INSPECTORATE_COUNTRIES),
            sectors: Vec::new(),
            languages: strings(&["en"]),
        },
    ]
}

/// A registered organisation: its desk, id and relay credentials.
struct EnrolledOrg {
    desk: Desk,
    id: OrgId,
    token: String,
    certificate: Signed,
}

async fn register(
    storage: &workvoice_relay::storage::Storage,
    root: &Root,
    plan: &OrgPlan,
    desk_dir: &Path,
    passphrase: &Passphrase,
) -> Result<EnrolledOrg, DemoError> {
    let desk = Desk::init(
        desk_dir,
        passphrase,
        InitOptions {
            org_name: plan.name.into(),
            kdf: KdfParams::OWASP_MINIMUM,
        },
    )
    .await?;
    let mut names: BTreeMap<String, String> = plan
        .names
        .iter()
        .map(|(l, n)| ((*l).to_string(), (*n).to_string()))
        .collect();
    names.insert("en".into(), plan.name.into());
    let new = NewOrganisation {
        id: None,
        kind: plan.kind,
        profile: OrgProfile {
            names,
            countries: plan.countries.clone(),
            sectors: plan.sectors.clone(),
            languages: plan.languages.clone(),
            escrow_threshold: None,
            escrow_invites: false,
        },
    };
    let (id, token) = admin::add_organisation(storage, &new, unix_now()).await?;
    let certificate = root.certify_org(&id, plan.kind, &desk)?;
    admin::set_certificate(
        storage,
        Some(&root.public_key),
        &id,
        &certificate,
        unix_now(),
    )
    .await?;
    Ok(EnrolledOrg {
        desk,
        id,
        token: token.text(),
        certificate,
    })
}

fn routing_rules(union: OrgId, inspectorate: OrgId) -> Vec<RoutingRule> {
    vec![
        RoutingRule {
            id: "every-report-to-the-union".into(),
            destination_countries: Vec::new(),
            sectors: Vec::new(),
            kinds: Vec::new(),
            deliver_to: vec![union],
            stop: false,
        },
        RoutingRule {
            id: "gulf-and-malaysia-to-the-inspectorate".into(),
            destination_countries: scenario::INSPECTORATE_COUNTRIES
                .iter()
                .map(|c| (*c).to_string())
                .collect(),
            sectors: Vec::new(),
            kinds: Vec::new(),
            deliver_to: vec![inspectorate],
            stop: false,
        },
    ]
}

async fn sync_both(union: &Desk, inspectorate: &Desk) -> Result<(u64, u64), DemoError> {
    let u = union.sync(SyncOptions::default(), &()).await?;
    let i = inspectorate.sync(SyncOptions::default(), &()).await?;
    Ok((u.stored, i.stored))
}

impl Demo {
    /// Set everything up and start serving; `progress` is told each step.
    pub async fn start(options: DemoOptions, progress: &dyn Fn(&str)) -> Result<Demo, DemoError> {
        let dir = options.dir.clone();
        prepare_dir(&dir, options.fresh)?;
        let mut notes = Vec::new();

        let root = Root::create(&dir.join("root"))?;
        progress(&format!(
            "offline root key created ({})",
            root.key_file.display()
        ));

        let relay_port = choose_port(options.relay_port, "relay", &mut notes);
        let settings = Settings {
            listen: format!("127.0.0.1:{relay_port}"),
            data_dir: dir.join("relay"),
            root_public_key: Some(root.public_key.to_hex()),
            pow_difficulty: options.pow_difficulty,
            // Serve a newly published directory at once.
            directory_recheck_ms: 0,
            ..Settings::default()
        };
        let storage = startup::open_storage(&settings).await?;
        let relay_key = startup::relay_key(&settings).map_err(StartupError::from)?;
        let relay_certificate = root.certify_relay(&relay_key.public_key())?;
        admin::set_relay_certificate(
            &storage,
            Some(&root.public_key),
            &relay_key.public_key(),
            &relay_certificate,
            unix_now(),
        )
        .await?;
        progress("relay database created (SQLite) and its directory key certified by the root");

        let passphrase_text = random_text(12);
        let passphrase_file = dir.join(PASSPHRASE_FILE);
        write_private(&passphrase_file, &format!("{passphrase_text}\n"))?;
        let passphrase = Passphrase::new(passphrase_text);
        let [union_plan, inspectorate_plan] = org_plans();
        let union_dir = dir.join("union-desk");
        let inspectorate_dir = dir.join("inspectorate-desk");
        let union = register(&storage, &root, &union_plan, &union_dir, &passphrase).await?;
        let inspectorate = register(
            &storage,
            &root,
            &inspectorate_plan,
            &inspectorate_dir,
            &passphrase,
        )
        .await?;
        progress(&format!(
            "registered \"{UNION_NAME}\" and \"{INSPECTORATE_NAME}\", their desk keys certified by the root"
        ));

        admin::set_rules(&storage, routing_rules(union.id, inspectorate.id)).await?;
        let listing = admin::publish_directory(
            &storage,
            &relay_key,
            PublishOptions {
                now: unix_now(),
                ttl_secs: settings.directory_ttl_secs,
                pow_difficulty: settings.pow_difficulty,
            },
        )
        .await?;
        progress(&format!(
            "directory version {} published: every report to the union; reports from {} to the inspectorate when the worker agrees",
            listing.version,
            scenario::INSPECTORATE_COUNTRIES.join(", ")
        ));

        let relay_database = settings.data_dir.join("relay.db");
        let app = Application::build_with(settings, storage, relay_key).await?;
        let relay_url = format!("http://127.0.0.1:{}", app.port());
        let relay_storage = app.state().storage.clone();
        let (relay_stop, stopped) = oneshot::channel::<()>();
        let relay_task = tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        progress(&format!("relay listening on {relay_url}"));

        for org in [&union, &inspectorate] {
            org.desk
                .enrol(Enrolment {
                    relay_url: relay_url.clone(),
                    org_id: org.id,
                    api_token: org.token.clone(),
                    root_public_key: root.public_key,
                    certificate: org.certificate.clone(),
                })
                .await?;
        }
        progress("both desks enrolled with the relay");

        let workers = scenario::workers();
        let mut reports = Vec::new();
        for worker in &workers {
            let phone_dir = dir.join("phones").join(worker.phone);
            let url = relay_url.clone();
            let root_hex = root.public_key.to_hex();
            let w = worker.clone();
            let sent = tokio::task::spawn_blocking(move || {
                phone::write_and_send(&w, &phone_dir, &url, &root_hex)
            })
            .await
            .map_err(|e| DemoError::Task(e.to_string()))??;
            progress(&format!(
                "report {} sent from the phone of the {}: \"{}\" ({:?})",
                sent.report_id, sent.who, sent.state_text, sent.state
            ));
            reports.push(sent);
        }

        // A worker without a smartphone texts the union's SMS channel.
        let sms_conversation = {
            let sms_dir = dir.join("sms");
            let url = relay_url.clone();
            let root_hex = root.public_key.to_hex();
            tokio::task::spawn_blocking(move || sms::converse(&sms_dir, &url, &root_hex))
                .await
                .map_err(|e| DemoError::Task(e.to_string()))??
        };
        progress(&format!(
            "an SMS conversation with the union's SMS channel (workvoice-sms, sealed at the first hop):\n{}",
            sms_conversation.transcript.trim_end()
        ));
        progress(&format!(
            "report {} sent by SMS for the {}: \"{}\" ({:?})",
            sms_conversation.report.report_id,
            sms_conversation.report.who,
            sms_conversation.report.state_text,
            sms_conversation.report.state
        ));
        reports.push(sms_conversation.report);

        let (union_cases, inspectorate_cases) = sync_both(&union.desk, &inspectorate.desk).await?;
        // Every phone's report and the one by SMS (which did not agree to the inspectorate).
        let expected_union = workers.len() as u64 + 1;
        let expected_inspectorate = workers
            .iter()
            .filter(|w| w.consents_to_inspectorate())
            .count() as u64;
        if union_cases != expected_union {
            return Err(DemoError::Incomplete {
                desk: "the union desk",
                stored: union_cases,
                expected: expected_union,
            });
        }
        if inspectorate_cases != expected_inspectorate {
            return Err(DemoError::Incomplete {
                desk: "the inspectorate desk",
                stored: inspectorate_cases,
                expected: expected_inspectorate,
            });
        }
        progress(&format!(
            "desks synced: the union opened {union_cases} cases, the inspectorate {inspectorate_cases} (only the workers who agreed)"
        ));

        let password = {
            let raw = random_text(8);
            format!(
                "{}-{}-{}-{}",
                &raw[..4],
                &raw[4..8],
                &raw[8..12],
                &raw[12..]
            )
        };
        union.desk.add_user(DEMO_USER, &password).await?;
        inspectorate.desk.add_user(DEMO_USER, &password).await?;

        let union_port = choose_port(options.desk_port, "union desk", &mut notes);
        let union_server = union
            .desk
            .serve(SocketAddr::from(([127, 0, 0, 1], union_port)))
            .await?;
        let inspectorate_port =
            choose_port(options.inspectorate_port, "inspectorate desk", &mut notes);
        let inspectorate_server = inspectorate
            .desk
            .serve(SocketAddr::from(([127, 0, 0, 1], inspectorate_port)))
            .await?;
        progress("caseworker login created; desk web UIs started");

        let (sync_stop, mut sync_stopped) = watch::channel(false);
        let sync_task = {
            let (u, i) = (union.desk.clone(), inspectorate.desk.clone());
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(SYNC_EVERY) => {}
                        _ = sync_stopped.changed() => return,
                    }
                    if let Err(e) = sync_both(&u, &i).await {
                        eprintln!("workvoice-demo: background sync failed: {e}");
                    }
                }
            })
        };

        Ok(Demo {
            summary: Summary {
                dir,
                relay_url,
                relay_database,
                root_public_key: root.public_key.to_hex(),
                union_url: union_server.url(),
                inspectorate_url: inspectorate_server.url(),
                username: DEMO_USER.into(),
                password,
                passphrase_file,
                union_dir,
                inspectorate_dir,
                reports,
                union_cases,
                inspectorate_cases,
                cli_command: cli_command(),
                example_report: example_report(),
                notes,
            },
            union: union.desk,
            inspectorate: inspectorate.desk,
            relay_storage,
            relay_stop,
            relay_task,
            union_server,
            inspectorate_server,
            sync_stop,
            sync_task,
        })
    }

    /// Stop the periodic sync, both web UIs (in-flight requests finish), then the relay, and
    /// close the databases.
    pub async fn stop(self) -> Result<(), DemoError> {
        let _ = self.sync_stop.send(true);
        let _ = self.sync_task.await;
        self.union_server.stop().await;
        self.inspectorate_server.stop().await;
        let _ = self.relay_stop.send(());
        let relay = self
            .relay_task
            .await
            .map_err(|e| DemoError::Task(e.to_string()))?;
        self.union.store().close().await;
        self.inspectorate.store().close().await;
        self.relay_storage.close().await;
        relay.map_err(DemoError::from)
    }
}
