//! The `workvoice-relay` command line: `serve`, `migrate`, organisation, key, rules and
//! directory administration.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use workvoice_proto::directory::{OrgCertificate, Signed};
use workvoice_proto::keys::OrgId;
use workvoice_proto::routing::RoutingRule;

use crate::admin::{self, NewOrganisation, PublishOptions};
use crate::configuration::Settings;
use crate::domain::{OrgProfile, parse_kind, unix_now};
use crate::startup::{self, Application};

#[derive(Debug, Parser)]
#[command(name = "workvoice-relay", version, about = "The Workvoice relay")]
pub struct Cli {
    /// TOML configuration file; WORKVOICE_* environment variables override it.
    #[arg(long, global = true, env = "WORKVOICE_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the relay (migrates the database first).
    Serve,
    /// Apply the database migrations and exit; with --check, only say which would be applied.
    Migrate {
        /// Print the applied and pending migrations by name and change nothing.
        #[arg(long)]
        check: bool,
    },
    /// An encrypted, consistent copy of the database and relay key, taken while the relay
    /// serves; `backup keygen` makes the operator's key pair.
    #[command(args_conflicts_with_subcommands = true)]
    Backup(BackupArgs),
    /// Load a backup into an empty database (and write its relay key), then migrate it. Stop
    /// every relay process on that database first: it refuses while one serves this data
    /// directory.
    Restore {
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
        /// The private key file from `backup keygen`.
        #[arg(long)]
        key: PathBuf,
        /// Replace the content of a database that is not empty, and the relay key.
        #[arg(long)]
        force: bool,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Routing rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// The root-signed revocation list.
    #[command(subcommand)]
    Revocations(FileCommand),
    /// The root's certificate of this relay's directory key.
    #[command(name = "relay-certificate", subcommand)]
    RelayCertificate(FileCommand),
    /// The relay's directory-signing key.
    #[command(subcommand)]
    Key(KeyCommand),
    /// The signed directory.
    #[command(subcommand)]
    Directory(DirectoryCommand),
    /// The Oblivious HTTP gateway's keys.
    #[command(subcommand)]
    Ohttp(OhttpCommand),
}

#[derive(Debug, Subcommand)]
pub enum OhttpCommand {
    /// Make a new current gateway key now (a suspected compromise, a test of the phones):
    /// the key in use is accepted for `ohttp_key_grace_secs` more. The relay loads the key file
    /// and publishes a directory listing the new key at its next maintenance pass.
    Rotate,
}

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    #[command(subcommand)]
    pub command: Option<BackupCommand>,
    /// The new backup file (refused if it exists).
    #[arg(long)]
    pub to: Option<PathBuf>,
    /// The operator's backup public key: 64 hex characters or a file holding them.
    #[arg(long = "public-key", env = "WORKVOICE_BACKUP_PUBLIC_KEY")]
    pub public_key: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Make a backup key pair: the private key to OUT (mode 0600), the public key to OUT.pub
    /// and standard output. Run it on the machine that will keep the private key.
    Keygen {
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Register an organisation; prints its id and API token (shown only this once).
    Add {
        #[arg(long)]
        kind: String,
        #[arg(long = "name-en")]
        name_en: String,
        /// A name in another language, LANG=TEXT (repeatable).
        #[arg(long = "name", value_name = "LANG=TEXT")]
        names: Vec<String>,
        /// ISO 3166-1 alpha-2 codes, comma-separated.
        #[arg(long, value_delimiter = ',')]
        countries: Vec<String>,
        /// ISIC section letters, comma-separated.
        #[arg(long, value_delimiter = ',')]
        sectors: Vec<String>,
        /// BCP 47 language tags, comma-separated.
        #[arg(long, value_delimiter = ',')]
        languages: Vec<String>,
        /// How many workers must report one recruiter before escrowed reports open at this
        /// organisation (2 to 16; 3 when not given).
        #[arg(long)]
        escrow_threshold: Option<u8>,
        /// Its escrow routes need anonymous tokens issued against invites its desk registers
        /// (`workvoice-desk escrow-invites`; PROTOCOL.md 18.12).
        #[arg(long)]
        escrow_invites: bool,
        /// Use this id instead of a random one (32 hex characters).
        #[arg(long)]
        id: Option<String>,
    },
    /// Set or rotate the organisation's key: a root-signed certificate from `workvoice-root
    /// certify-org`.
    Certificate { org_id: String, file: PathBuf },
    /// Change the organisation's reporting escrow settings; they reach phones with the next
    /// `workvoice-relay directory publish`.
    Escrow {
        org_id: String,
        /// How many workers must report one recruiter before escrowed reports open (2 to 16).
        #[arg(long)]
        threshold: Option<u8>,
        /// Whether its escrow routes need anonymous tokens issued against the invites its desk
        /// registers (PROTOCOL.md 18.12).
        #[arg(long, value_parser = ["on", "off"])]
        invites: Option<String>,
    },
    /// Replace the organisation's API token; prints the new one once.
    #[command(name = "rotate-token")]
    RotateToken { org_id: String },
    /// List organisations.
    List,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Replace the routing rules with a JSON array of rules.
    Set { file: PathBuf },
    /// Print the routing rules.
    Show,
}

#[derive(Debug, Subcommand)]
pub enum FileCommand {
    /// Set it from a file.
    Set { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Print the relay key's public key (creating the key if there is none).
    Show,
}

#[derive(Debug, Subcommand)]
pub enum DirectoryCommand {
    /// Sign and store the next directory version.
    Publish,
}

type CliResult = Result<(), String>;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("workvoice-relay: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("workvoice-relay: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("workvoice-relay: {e}");
            ExitCode::FAILURE
        }
    }
}

fn read_json<T: serde::de::DeserializeOwned>(file: &Path) -> Result<T, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| format!("{} is not the expected JSON: {e}", file.display()))
}

fn org_id(text: &str) -> Result<OrgId, String> {
    OrgId::from_hex(text.trim())
        .ok_or_else(|| format!("{text:?} is not an organisation id (32 hex characters)"))
}

fn say(text: &str) {
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

pub async fn run(command: Command, settings: Settings) -> CliResult {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    if let Command::Openapi = command {
        print!("{}", crate::openapi::document_text());
        return Ok(());
    }
    if let Command::Serve = command {
        crate::telemetry::init(settings.log_json, &settings.log_level);
        let app = Application::build(settings).await.map_err(|x| e(&x))?;
        say(&format!(
            "workvoice-relay listening on {}://{}",
            app.scheme(),
            app.address()
        ));
        if let Some(metrics) = app.metrics_address() {
            tracing::info!(address = %metrics, "metrics on the loopback listener");
        }
        return app.run_until_stopped().await.map_err(|x| e(&x));
    }
    match command {
        Command::Migrate { check: true } => return migrate_check(&settings).await,
        Command::Backup(args) => return backup(&settings, args).await,
        Command::Ohttp(OhttpCommand::Rotate) => {
            let (state, published) =
                crate::oblivious::rotate_now(&settings, unix_now()).map_err(|x| e(&x))?;
            say(&format!(
                "gateway key {} is current; key {} is accepted until {published}; the relay \
                 publishes a directory listing both at its next maintenance pass",
                state.current.key_id,
                state.previous.as_ref().map_or(0, |(p, _)| p.key_id),
            ));
            return Ok(());
        }
        Command::Restore { from, key, force } => {
            let key = crate::backup::read_private_key(&key)?;
            let copied = crate::backup::restore(&settings, &from, &key, force).await?;
            say(&format!(
                "restored {} rows in {} tables{}; migrated to this relay's schema",
                copied.counts.rows,
                copied.counts.tables,
                if copied.relay_key {
                    " and the relay key"
                } else {
                    ""
                }
            ));
            return Ok(());
        }
        _ => {}
    }
    let storage = startup::open_storage(&settings).await.map_err(|x| e(&x))?;
    let root = settings.root_key().map_err(|x| e(&x))?;
    let now = unix_now();
    match command {
        Command::Serve
        | Command::Openapi
        | Command::Backup(_)
        | Command::Restore { .. }
        | Command::Ohttp(_) => {}
        Command::Migrate { .. } => say("migrations applied"),
        Command::Key(KeyCommand::Show) => {
            let key = startup::relay_key(&settings).map_err(|x| e(&x))?;
            say(&key.public_key().to_hex());
        }
        Command::Org(OrgCommand::Add {
            kind,
            name_en,
            names,
            countries,
            sectors,
            languages,
            escrow_threshold,
            escrow_invites,
            id,
        }) => {
            let kind = parse_kind(&kind).ok_or("kind must be union, inspectorate or ngo")?;
            let mut all = BTreeMap::from([("en".to_string(), name_en)]);
            for n in names {
                let (lang, text) = n
                    .split_once('=')
                    .ok_or_else(|| format!("--name {n:?} is not LANG=TEXT"))?;
                all.insert(lang.to_string(), text.to_string());
            }
            let new = NewOrganisation {
                id: id.as_deref().map(org_id).transpose()?,
                kind,
                profile: OrgProfile {
                    names: all,
                    countries,
                    sectors,
                    languages,
                    escrow_threshold,
                    escrow_invites,
                },
            };
            let (id, token) = admin::add_organisation(&storage, &new, now)
                .await
                .map_err(|x| e(&x))?;
            say(&format!("org_id {id}"));
            say(&format!("api_token {}", token.text()));
            eprintln!("The API token is shown only now; store it in the organisation's desk.");
        }
        Command::Org(OrgCommand::Certificate { org_id: id, file }) => {
            let cert: Signed = read_json(&file)?;
            let id = org_id(&id)?;
            let c: OrgCertificate =
                admin::set_certificate(&storage, root.as_ref(), &id, &cert, now)
                    .await
                    .map_err(|x| e(&x))?;
            say(&format!(
                "certificate set for {id}: key version {} ({}), valid until {}",
                c.key_version, c.hpke_public_key, c.valid_until
            ));
            say("run `workvoice-relay directory publish` to list it");
        }
        Command::Org(OrgCommand::Escrow {
            org_id: id,
            threshold,
            invites,
        }) => {
            if threshold.is_none() && invites.is_none() {
                return Err("give --threshold K, --invites on|off, or both".into());
            }
            let id = org_id(&id)?;
            let profile = admin::set_escrow(&storage, &id, threshold, invites.map(|v| v == "on"))
                .await
                .map_err(|x| e(&x))?;
            say(&format!(
                "escrow for {id}: threshold {}, invites {}",
                profile
                    .escrow_threshold
                    .unwrap_or(workvoice_proto::escrow::DEFAULT_THRESHOLD),
                if profile.escrow_invites { "on" } else { "off" }
            ));
            say("run `workvoice-relay directory publish` to list it");
        }
        Command::Org(OrgCommand::RotateToken { org_id: id }) => {
            let token = admin::rotate_token(&storage, &org_id(&id)?)
                .await
                .map_err(|x| e(&x))?;
            say(&format!("api_token {}", token.text()));
        }
        Command::Org(OrgCommand::List) => {
            for org in storage.organisations().await.map_err(|x| e(&x))? {
                let profile: OrgProfile = serde_json::from_str(&org.profile).map_err(|x| e(&x))?;
                let key = match org
                    .certificate
                    .as_deref()
                    .and_then(|c| serde_json::from_str::<Signed>(c).ok())
                    .and_then(|s| s.peek::<OrgCertificate>().ok())
                {
                    Some(c) => format!("key v{} until {}", c.key_version, c.valid_until),
                    None => "no certificate".into(),
                };
                say(&format!(
                    "{}  {:<12} {}  [{}]",
                    org.id,
                    org.kind,
                    profile.names.get("en").map_or("", String::as_str),
                    key
                ));
            }
        }
        Command::Rules(RulesCommand::Set { file }) => {
            let rules: Vec<RoutingRule> = read_json(&file)?;
            let n = rules.len();
            admin::set_rules(&storage, rules).await.map_err(|x| e(&x))?;
            say(&format!(
                "{n} rules set; run `workvoice-relay directory publish`"
            ));
        }
        Command::Rules(RulesCommand::Show) => {
            let rules = admin::rules(&storage).await.map_err(|x| e(&x))?;
            say(&serde_json::to_string_pretty(&rules).map_err(|x| e(&x))?);
        }
        Command::Revocations(FileCommand::Set { file }) => {
            let list: Signed = read_json(&file)?;
            let l = admin::set_revocations(&storage, root.as_ref(), &list)
                .await
                .map_err(|x| e(&x))?;
            say(&format!(
                "revocation list {} set ({} keys)",
                l.serial,
                l.revoked.len()
            ));
        }
        Command::RelayCertificate(FileCommand::Set { file }) => {
            let cert: Signed = read_json(&file)?;
            let key = startup::relay_key(&settings).map_err(|x| e(&x))?;
            let c = admin::set_relay_certificate(
                &storage,
                root.as_ref(),
                &key.public_key(),
                &cert,
                now,
            )
            .await
            .map_err(|x| e(&x))?;
            say(&format!(
                "relay certificate for {} set, valid until {}",
                c.name, c.valid_until
            ));
        }
        Command::Directory(DirectoryCommand::Publish) => {
            let key = startup::relay_key(&settings).map_err(|x| e(&x))?;
            crate::oblivious::record_from_file(&storage, &settings, now)
                .await
                .map_err(|x| e(&x))?;
            let listing = admin::publish_directory(
                &storage,
                &key,
                PublishOptions {
                    now,
                    ttl_secs: settings.directory_ttl_secs,
                    pow_difficulty: settings.pow_difficulty,
                },
            )
            .await
            .map_err(|x| e(&x))?;
            say(&format!(
                "directory version {} published: {} organisations, {} rules, expires {}",
                listing.version,
                listing.organisations.len(),
                listing.rules.len(),
                listing.expires_at
            ));
        }
    }
    storage.close().await;
    Ok(())
}

/// Open the database of `settings` as [`startup::open_storage`] does (private data directory
/// and files) but apply no migration.
pub async fn connect_storage(settings: &Settings) -> Result<crate::storage::Storage, String> {
    let url = settings.database_url();
    if settings.database_url.is_none() {
        crate::files::private_dir(&settings.data_dir)
            .map_err(|x| format!("{}: {x}", settings.data_dir.display()))?;
    }
    if let Some(db) = crate::files::sqlite_path(&url) {
        crate::files::private_sqlite_files(&db).map_err(|x| format!("{}: {x}", db.display()))?;
    }
    crate::storage::Storage::connect(&url, settings.max_connections.clamp(2, 4))
        .await
        .map_err(|x| x.to_string())
}

async fn migrate_check(settings: &Settings) -> CliResult {
    let url = settings.database_url();
    if let Some(db) = crate::files::sqlite_path(&url)
        && !db.exists()
    {
        let backend = crate::storage::Backend::Sqlite;
        say(&format!("no database at {} yet", db.display()));
        for m in crate::storage::known_migrations(backend) {
            say(&format!("pending {m}"));
        }
        return Ok(());
    }
    let storage = connect_storage(settings).await?;
    let status = storage.schema_status().await;
    storage.close().await;
    let status = status.map_err(|x| x.to_string())?;
    for m in &status.applied {
        say(&format!("applied {m}"));
    }
    for m in &status.pending {
        say(&format!("pending {m}"));
    }
    if status.pending.is_empty() {
        say("up to date: nothing to apply");
    } else {
        say(&format!(
            "{} migrations would be applied (by `migrate` or at `serve`)",
            status.pending.len()
        ));
    }
    Ok(())
}

async fn backup(settings: &Settings, args: BackupArgs) -> CliResult {
    if let Some(BackupCommand::Keygen { out }) = args.command {
        let public = crate::backup::keygen(&out)?;
        say(&public.to_hex());
        eprintln!(
            "Private key in {} (keep it off the relay); public key also in {}.pub",
            out.display(),
            out.display()
        );
        return Ok(());
    }
    let to = args
        .to
        .ok_or("backup needs --to FILE (or `backup keygen --out FILE` to make a key)")?;
    let public = args
        .public_key
        .ok_or("backup needs --public-key (or WORKVOICE_BACKUP_PUBLIC_KEY): the public key from `backup keygen`")?;
    let recipient = crate::backup::read_public_key(&public)?;
    let storage = connect_storage(settings).await?;
    // A copy of a database this binary could not run on would not restore either.
    let checked = storage.schema_status().await.map_err(|x| x.to_string());
    let copied = match checked {
        Ok(_) => crate::backup::backup(settings, &storage, &recipient, &to).await,
        Err(x) => Err(x),
    };
    storage.close().await;
    let copied = copied?;
    say(&format!(
        "backup written to {}: {} rows in {} tables{}",
        to.display(),
        copied.counts.rows,
        copied.counts.tables,
        if copied.relay_key {
            " and the relay key"
        } else {
            ""
        }
    ));
    Ok(())
}
