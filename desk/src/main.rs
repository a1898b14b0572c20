//! `workvoice-desk`: the command line of the desk. Everything it does is a `Desk` method.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use workvoice_desk::desk::InitOptions;
use workvoice_desk::{Desk, DeskError, Enrolment, Passphrase, SyncOptions, SyncProgress};
use workvoice_proto::directory::Signed;
use workvoice_proto::keys::{OrgId, SigningPublicKey};

#[derive(Parser)]
#[command(
    name = "workvoice-desk",
    version,
    about = "Workvoice desk: sync, decrypt and triage an organisation's cases"
)]
struct Cli {
    /// The desk's data directory (database with sealed keys and cases).
    #[arg(
        long,
        env = "WORKVOICE_DESK_DIR",
        default_value = "workvoice-desk-data"
    )]
    dir: PathBuf,
    /// Read the passphrase from this file instead of WORKVOICE_DESK_PASSPHRASE or a prompt.
    #[arg(long)]
    passphrase_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the desk: database, passphrase-sealed vault and the organisation's key pair.
    Init {
        #[arg(long)]
        org_name: String,
    },
    /// Store the relay URL, organisation id, API token, root key and the org's certificate.
    Enrol {
        #[arg(long)]
        relay: String,
        #[arg(long)]
        org_id: String,
        /// File holding the API token (or set WORKVOICE_DESK_API_TOKEN).
        #[arg(long)]
        token_file: Option<PathBuf>,
        /// The root public key (hex) that certifies organisation keys.
        #[arg(long)]
        root_key: String,
        /// File with the root-signed certificate as JSON: {"body": "...", "signature": "..."}.
        #[arg(long)]
        certificate: PathBuf,
    },
    /// Replace the stored certificate (after the root certified a rotated key).
    InstallCertificate { certificate: PathBuf },
    /// Make a new key pair; old ones are kept to open older envelopes.
    RotateKey,
    /// Show this desk's public keys and fingerprints.
    Keys,
    /// Show, or set, how many escrow OPRF requests this desk answers per escrow epoch (a
    /// week by default): the most recruiters anyone can test against this organisation's key
    /// in that time (PROTOCOL.md 18.3).
    EscrowBudget {
        /// The new budget per epoch (0 to 100000); without it, the current one is shown.
        per_epoch: Option<u32>,
    },
    /// Escrow invites (PROTOCOL.md 18.12): codes to hand to workers, one each, so that their
    /// phones can escrow reports to this organisation when its directory entry takes invites.
    EscrowInvites {
        #[command(subcommand)]
        command: InviteCommand,
    },
    /// Pull the inbox from the relay.
    Sync {
        #[arg(long, default_value_t = 200)]
        page_size: u32,
    },
    /// Serve the web UI (and sync periodically).
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Seconds between background syncs; 0 to sync only on demand.
        #[arg(long, default_value_t = 300)]
        sync_every: u64,
    },
    /// Caseworker accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Key-monitoring alarms.
    Alarm {
        #[command(subcommand)]
        command: AlarmCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a caseworker (password from WORKVOICE_DESK_USER_PASSWORD or a prompt).
    Add { username: String },
    /// Forget the failed sign-ins of a user name from every browser, so its sign-in delays end
    /// now (for a caseworker on a new browser whom someone else's failures delay).
    ClearDelays { username: String },
}

#[derive(Subcommand)]
enum InviteCommand {
    /// Draw N invite codes, register them at the relay, and print them, one a line.
    Create { n: usize },
    /// Revoke invite codes (one that leaked, or whose worker left): the relay issues no more
    /// tokens against them.
    Revoke {
        #[arg(required = true)]
        codes: Vec<String>,
    },
}

#[derive(Subcommand)]
enum AlarmCommand {
    /// Show active alarms.
    List,
    /// Clear every active alarm after review.
    Clear {
        /// What was reviewed.
        #[arg(long)]
        note: String,
        #[arg(long, default_value = "operator")]
        by: String,
    },
}

fn read_secret_file(path: &PathBuf) -> Result<String, DeskError> {
    Ok(std::fs::read_to_string(path)?)
}

fn passphrase(cli: &Cli, confirm: bool) -> Result<Passphrase, DeskError> {
    if let Some(path) = &cli.passphrase_file {
        return Ok(Passphrase::from_line(read_secret_file(path)?));
    }
    if let Ok(p) = std::env::var("WORKVOICE_DESK_PASSPHRASE") {
        return Ok(Passphrase::new(p));
    }
    let first = rpassword::prompt_password("Desk passphrase: ")?;
    if confirm {
        let again = rpassword::prompt_password("Repeat the passphrase: ")?;
        if again != first {
            return Err(DeskError::InvalidInput("the two passphrases differ".into()));
        }
    }
    Ok(Passphrase::new(first))
}

struct ProgressBar(indicatif::ProgressBar);

impl SyncProgress for ProgressBar {
    fn page_stored(&self, entries: u64, total_stored: u64) {
        self.0.inc(entries);
        self.0
            .set_message(format!("{total_stored} new cases stored"));
    }
}

async fn run(cli: Cli) -> Result<(), DeskError> {
    let mut opened = None;
    let result = run_command(&cli, &mut opened).await;
    // The store is closed before the process exits: no connection's thread may still be
    // closing its SQLCipher database while the C libraries' exit handlers run.
    if let Some(desk) = opened {
        desk.store().close().await;
    }
    result
}

/// Keep a handle of the opened desk, for [`run`] to close.
fn remember(desk: Desk, opened: &mut Option<Desk>) -> Desk {
    *opened = Some(desk.clone());
    desk
}

async fn run_command(cli: &Cli, opened: &mut Option<Desk>) -> Result<(), DeskError> {
    match &cli.command {
        Command::Init { org_name } => {
            let p = passphrase(cli, true)?;
            let desk = Desk::init(
                &cli.dir,
                &p,
                InitOptions {
                    org_name: org_name.clone(),
                    ..InitOptions::default()
                },
            )
            .await?;
            let desk = remember(desk, opened);
            let key = &desk.keys()[0];
            println!("Desk created in {}", cli.dir.display());
            println!(
                "Organisation public key (HPKE X25519, version {}): {}",
                key.version, key.public_key
            );
            println!("Fingerprint: {}", key.fingerprint);
            println!(
                "Give both to the relay operator and the root key holder; compare the fingerprint by phone."
            );
        }
        Command::Enrol {
            relay,
            org_id,
            token_file,
            root_key,
            certificate,
        } => {
            let desk = remember(
                Desk::open(&cli.dir, &passphrase(cli, false)?).await?,
                opened,
            );
            let token = match token_file {
                Some(path) => read_secret_file(path)?.trim().to_string(),
                None => std::env::var("WORKVOICE_DESK_API_TOKEN").map_err(|_| {
                    DeskError::InvalidEnrolment(
                        "give --token-file or WORKVOICE_DESK_API_TOKEN".into(),
                    )
                })?,
            };
            let certificate: Signed = serde_json::from_str(&std::fs::read_to_string(certificate)?)
                .map_err(|e| DeskError::InvalidEnrolment(format!("certificate file: {e}")))?;
            desk.enrol(Enrolment {
                relay_url: relay.clone(),
                org_id: OrgId::from_hex(org_id).ok_or_else(|| {
                    DeskError::InvalidEnrolment("the organisation id is 32 hex digits".into())
                })?,
                api_token: token,
                root_public_key: SigningPublicKey::from_hex(root_key).ok_or_else(|| {
                    DeskError::InvalidEnrolment("the root key is 64 hex digits".into())
                })?,
                certificate,
            })
            .await?;
            println!("Enrolled with {relay}.");
        }
        Command::InstallCertificate { certificate } => {
            let desk = remember(
                Desk::open(&cli.dir, &passphrase(cli, false)?).await?,
                opened,
            );
            let certificate: Signed = serde_json::from_str(&std::fs::read_to_string(certificate)?)
                .map_err(|e| DeskError::InvalidEnrolment(format!("certificate file: {e}")))?;
            let cert = desk.install_certificate(certificate).await?;
            println!(
                "Certificate installed for key version {} ({}).",
                cert.key_version,
                workvoice_desk::fingerprint(&cert.hpke_public_key)
            );
        }
        Command::RotateKey => {
            let desk = remember(
                Desk::open(&cli.dir, &passphrase(cli, false)?).await?,
                opened,
            );
            let key = desk.rotate_key().await?;
            println!("New key version {}: {}", key.version, key.public_key);
            println!("Fingerprint: {}", key.fingerprint);
            println!(
                "Older keys are kept. Install the root's certificate for this key with `install-certificate`."
            );
        }
        Command::Keys => {
            let desk = remember(
                Desk::open(&cli.dir, &passphrase(cli, false)?).await?,
                opened,
            );
            for k in desk.keys() {
                println!(
                    "version {}: {}  fingerprint {}",
                    k.version, k.public_key, k.fingerprint
                );
            }
        }
        Command::EscrowBudget { per_epoch } => {
            let desk = remember(
                Desk::open(&cli.dir, &passphrase(cli, false)?).await?,
                opened,
            );
            if let Some(n) = per_epoch {
                desk.set_escrow_oprf_budget(*n).await?;
            }
            println!(
                "Escrow OPRF budget: {} requests answered per epoch.",
                desk.escrow_oprf_budget().await?
            );
        }
        Command::EscrowInvites {
            command: InviteCommand::Create { n },
        } => {
            if !(1..=workvoice_desk::desk::MAX_INVITES_PER_CALL).contains(n) {
                return Err(DeskError::InvalidInput(format!(
                    "draw 1 to {} invites at once",
                    workvoice_desk::desk::MAX_INVITES_PER_CALL
                )));
            }
            let desk = remember(
                Desk::open(&cli.dir, &passphrase(cli, false)?).await?,
                opened,
            );
            let invites = desk.create_escrow_invites(*n).await?;
            println!(
                "{} invites registered at the relay. Hand one code to each worker, in person or by a message only she reads; her phone needs it to escrow reports to this organisation:",
                invites.len()
            );
            for invite in &invites {
                println!("{}", invite.code());
            }
        }
        Command::EscrowInvites {
            command: InviteCommand::Revoke { codes },
        } => {
            // Every code is read before anything is opened or sent.
            let invites = workvoice_desk::desk::parse_invite_codes(codes)?;
            let desk = remember(
                Desk::open(&cli.dir, &passphrase(cli, false)?).await?,
                opened,
            );
            let revoked = desk.revoke_escrow_invites(&invites).await?;
            println!(
                "{revoked} of {} invites revoked at the relay (tokens it issued before stay valid until their week ends).",
                invites.len()
            );
        }
        Command::Sync { page_size } => {
            let desk = remember(
                Desk::open(&cli.dir, &passphrase(cli, false)?).await?,
                opened,
            );
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {pos} inbox entries pulled, {msg} [{elapsed}]",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            let progress = ProgressBar(bar);
            let result = desk
                .sync(
                    SyncOptions {
                        page_size: *page_size,
                    },
                    &progress,
                )
                .await;
            progress.0.finish_and_clear();
            let report = result?;
            println!(
                "Synced: {} entries in {} pages; {} new cases, {} already stored, {} could not be opened; {} acknowledged.",
                report.entries,
                report.pages,
                report.stored,
                report.already_stored,
                report.undecryptable,
                report.acknowledged
            );
            if report.withdrawn + report.withdrawals_refused > 0 {
                println!(
                    "Withdrawals: {} cases withdrawn by the worker, {} refused (the secret did not match).",
                    report.withdrawn, report.withdrawals_refused
                );
            }
            if report.escrow_oprf_answered + report.escrow_oprf_refused > 0 {
                println!(
                    "Escrow: answered {} recruiter lookups, refused {} (over this week's budget).",
                    report.escrow_oprf_answered, report.escrow_oprf_refused
                );
            }
            if report.escrow_groups + report.escrow_groups_refused > 0 {
                println!(
                    "Escrow: {} released groups opened ({} new cases, {} reports that did not open), {} refused.",
                    report.escrow_groups,
                    report.escrow_opened,
                    report.escrow_unopenable,
                    report.escrow_groups_refused
                );
            }
            if report.escrow_reply_channels + report.escrow_reply_channels_refused > 0 {
                println!(
                    "Escrow: {} reply channels registered at the relay, {} refused (those cases cannot be answered).",
                    report.escrow_reply_channels, report.escrow_reply_channels_refused
                );
            }
            if let Some(pending) = report.escrow_pending.filter(|n| *n > 0) {
                println!("Escrow: {pending} reports wait at the relay for others (a total only).");
            }
            if report.acks_withheld {
                eprintln!(
                    "ALARM: acknowledgements withheld ({}). Review with `workvoice-desk alarm list`.",
                    report.alarms.join(", ")
                );
                return Err(DeskError::InvalidInput(
                    "key-monitoring alarm active".into(),
                ));
            }
        }
        Command::Serve { listen, sync_every } => {
            let desk = remember(
                Desk::open(&cli.dir, &passphrase(cli, false)?).await?,
                opened,
            );
            if !listen.ip().is_loopback() {
                tracing::warn!("the web UI listens on {listen}, not only on this machine");
            }
            let server = desk.serve(*listen).await?;
            println!("Workvoice desk at {}", server.url());
            if *sync_every > 0 {
                let desk = desk.clone();
                let every = std::time::Duration::from_secs(*sync_every);
                tokio::spawn(async move {
                    loop {
                        if let Err(e) = desk.sync(SyncOptions::default(), &()).await {
                            tracing::error!(code = e.code(), "background sync failed: {e}");
                        }
                        tokio::time::sleep(every).await;
                    }
                });
            }
            server.run_until_interrupted().await;
        }
        Command::User {
            command: UserCommand::ClearDelays { username },
        } => {
            let desk = remember(
                Desk::open(&cli.dir, &passphrase(cli, false)?).await?,
                opened,
            );
            let n = desk.login_guard().clear(username).await?;
            println!("Forgot {n} record(s) of failed sign-ins for {username}.");
        }
        Command::User {
            command: UserCommand::Add { username },
        } => {
            let desk = remember(
                Desk::open(&cli.dir, &passphrase(cli, false)?).await?,
                opened,
            );
            let password = match std::env::var("WORKVOICE_DESK_USER_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let a = rpassword::prompt_password(format!("Password for {username}: "))?;
                    let b = rpassword::prompt_password("Repeat the password: ")?;
                    if a != b {
                        return Err(DeskError::InvalidInput("the two passwords differ".into()));
                    }
                    a
                }
            };
            desk.add_user(username, &password).await?;
            println!("Caseworker {username} added.");
        }
        Command::Alarm { command } => {
            let desk = remember(
                Desk::open(&cli.dir, &passphrase(cli, false)?).await?,
                opened,
            );
            match command {
                AlarmCommand::List => {
                    let alarms = desk.store().active_alarms().await?;
                    if alarms.is_empty() {
                        println!("No active alarm.");
                    }
                    for a in alarms {
                        println!(
                            "[{}] {} (first seen {}, last seen {})",
                            a.code,
                            a.detail,
                            workvoice_desk::labels::date_hour(a.raised_at),
                            workvoice_desk::labels::date_hour(a.last_seen_at)
                        );
                    }
                }
                AlarmCommand::Clear { note, by } => {
                    let n = desk.clear_alarms(by, note).await?;
                    println!("{n} alarm(s) cleared; acknowledgements resume at the next sync.");
                }
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error [{}]: {e}", e.code());
            match e {
                // A mistyped invite code: a usage error.
                DeskError::InvalidInvite(_) => ExitCode::from(2),
                _ => ExitCode::FAILURE,
            }
        }
    }
}
