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
    /// Apply the database migrations and exit.
    Migrate,
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
        /// Use this id instead of a random one (32 hex characters).
        #[arg(long)]
        id: Option<String>,
    },
    /// Set or rotate the organisation's key: a root-signed certificate from `workvoice-root
    /// certify-org`.
    Certificate { org_id: String, file: PathBuf },
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
    let storage = startup::open_storage(&settings).await.map_err(|x| e(&x))?;
    let root = settings.root_key().map_err(|x| e(&x))?;
    let now = unix_now();
    match command {
        Command::Serve | Command::Openapi => {}
        Command::Migrate => say("migrations applied"),
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
