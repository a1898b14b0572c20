//! `workvoice-root`: the offline root key. It certifies organisations' keys and the relay's
//! directory key, and signs revocation lists. Keep the key file on an offline machine; only
//! the signed JSON it prints travels to the relay.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use workvoice_proto::directory::{
    ORG_CERT_CONTEXT, OrgCertificate, RELAY_CERT_CONTEXT, REVOCATION_CONTEXT, RelayCertificate,
    RevocationList, RevokedKey, Signed,
};
use workvoice_proto::keys::{HpkePublicKey, OrgId, SigningKey, SigningPublicKey};
use workvoice_proto::system_rng::SystemRng;

use crate::domain::keyfile;
use crate::domain::{parse_kind, unix_now};

const DAY: u64 = 24 * 3600;

#[derive(Debug, Parser)]
#[command(
    name = "workvoice-root",
    version,
    about = "The Workvoice offline root key"
)]
pub struct RootCli {
    #[command(subcommand)]
    pub command: RootCommand,
}

#[derive(Debug, Subcommand)]
pub enum RootCommand {
    /// Create the root key (mode 0600; never overwrites) and print its public key.
    Init {
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the root public key (hex), for the app build and the relay's root_public_key.
    PublicKey {
        #[arg(long, default_value = "root.key", env = "WORKVOICE_ROOT_KEY")]
        key: PathBuf,
    },
    /// Certify an organisation's HPKE key; prints a signed OrgCertificate.
    CertifyOrg {
        #[arg(long, default_value = "root.key", env = "WORKVOICE_ROOT_KEY")]
        key: PathBuf,
        #[arg(long)]
        org_id: String,
        #[arg(long)]
        kind: String,
        #[arg(long)]
        public_key: String,
        #[arg(long)]
        key_version: u32,
        #[arg(long)]
        valid_days: u64,
    },
    /// Certify the relay's directory key; prints a signed RelayCertificate.
    CertifyRelay {
        #[arg(long, default_value = "root.key", env = "WORKVOICE_ROOT_KEY")]
        key: PathBuf,
        #[arg(long)]
        relay_key: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        valid_days: u64,
    },
    /// Revoke an organisation key; prints a new signed RevocationList (serial + 1).
    Revoke {
        #[arg(long, default_value = "root.key", env = "WORKVOICE_ROOT_KEY")]
        key: PathBuf,
        #[arg(long)]
        org_id: String,
        #[arg(long)]
        key_version: u32,
        #[arg(long)]
        public_key: String,
        /// The current signed list, to extend.
        #[arg(long)]
        list: Option<PathBuf>,
    },
    /// Revoke a relay's directory key (a stolen or retired one); prints a new signed
    /// RevocationList (serial + 1). Phones and desks then refuse directories it signed.
    RevokeRelay {
        #[arg(long, default_value = "root.key", env = "WORKVOICE_ROOT_KEY")]
        key: PathBuf,
        #[arg(long)]
        relay_key: String,
        /// The current signed list, to extend.
        #[arg(long)]
        list: Option<PathBuf>,
    },
}

/// The signed list at `path`, checked against the root, or none.
fn current_list(
    root: &SigningKey,
    path: Option<PathBuf>,
) -> Result<Option<RevocationList>, String> {
    let Some(path) = path else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let signed: Signed = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not a signed list: {e}", path.display()))?;
    signed
        .verify(REVOCATION_CONTEXT, &root.public_key())
        .map(Some)
        .map_err(|_| format!("{} was not signed by this root key", path.display()))
}

/// The next list: everything of `current` (lists are cumulative), one serial higher.
fn next_list(current: Option<RevocationList>, now: u64) -> RevocationList {
    match current {
        Some(l) => RevocationList {
            serial: l.serial + 1,
            issued_at: now,
            ..l
        },
        None => RevocationList {
            serial: 1,
            issued_at: now,
            revoked: Vec::new(),
            relay_keys: Vec::new(),
        },
    }
}

pub fn main() -> ExitCode {
    let cli = RootCli::parse();
    match run(cli.command, unix_now()) {
        Ok(text) => {
            let mut out = std::io::stdout();
            let _ = writeln!(out, "{text}");
            let _ = out.flush();
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("workvoice-root: {e}");
            ExitCode::FAILURE
        }
    }
}

fn load(path: &Path) -> Result<SigningKey, String> {
    keyfile::read(path).map_err(|e| e.to_string())
}

fn signed_json(signed: &Signed) -> Result<String, String> {
    serde_json::to_string_pretty(signed).map_err(|e| e.to_string())
}

fn parse_hex<T>(what: &str, text: &str, f: impl Fn(&str) -> Option<T>) -> Result<T, String> {
    f(text.trim()).ok_or_else(|| format!("{what} {text:?} is not valid hex of the right length"))
}

/// Run one command at time `now`; returns what to print.
pub fn run(command: RootCommand, now: u64) -> Result<String, String> {
    match command {
        RootCommand::Init { out } => {
            let key = SigningKey::generate(&mut SystemRng::new());
            keyfile::write_new(&out, &key).map_err(|e| e.to_string())?;
            Ok(key.public_key().to_hex())
        }
        RootCommand::PublicKey { key } => Ok(load(&key)?.public_key().to_hex()),
        RootCommand::CertifyOrg {
            key,
            org_id,
            kind,
            public_key,
            key_version,
            valid_days,
        } => {
            let root = load(&key)?;
            let cert = OrgCertificate {
                org_id: parse_hex("org id", &org_id, OrgId::from_hex)?,
                kind: parse_kind(&kind).ok_or("kind must be union, inspectorate or ngo")?,
                hpke_public_key: parse_hex("public key", &public_key, HpkePublicKey::from_hex)?,
                key_version,
                valid_from: now,
                valid_until: now + valid_days * DAY,
            };
            signed_json(&Signed::sign(&cert, ORG_CERT_CONTEXT, &root))
        }
        RootCommand::CertifyRelay {
            key,
            relay_key,
            name,
            valid_days,
        } => {
            let root = load(&key)?;
            let cert = RelayCertificate {
                relay_key: parse_hex("relay key", &relay_key, SigningPublicKey::from_hex)?,
                name,
                valid_from: now,
                valid_until: now + valid_days * DAY,
            };
            signed_json(&Signed::sign(&cert, RELAY_CERT_CONTEXT, &root))
        }
        RootCommand::Revoke {
            key,
            org_id,
            key_version,
            public_key,
            list,
        } => {
            let root = load(&key)?;
            let mut next = next_list(current_list(&root, list)?, now);
            let entry = RevokedKey {
                org_id: parse_hex("org id", &org_id, OrgId::from_hex)?,
                key_version,
                hpke_public_key: parse_hex("public key", &public_key, HpkePublicKey::from_hex)?,
            };
            if !next.revoked.contains(&entry) {
                next.revoked.push(entry);
            }
            signed_json(&Signed::sign(&next, REVOCATION_CONTEXT, &root))
        }
        RootCommand::RevokeRelay {
            key,
            relay_key,
            list,
        } => {
            let root = load(&key)?;
            let mut next = next_list(current_list(&root, list)?, now);
            let relay_key = parse_hex("relay key", &relay_key, SigningPublicKey::from_hex)?;
            if !next.relay_keys.contains(&relay_key) {
                next.relay_keys.push(relay_key);
            }
            signed_json(&Signed::sign(&next, REVOCATION_CONTEXT, &root))
        }
    }
}
