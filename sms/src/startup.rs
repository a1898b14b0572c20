//! Starting the channel: the private data directory, the store's keys, the phone core's vault,
//! the verified directory's corridors, the HTTP listener and the mailbox poll.

use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ring::rand::{SecureRandom, SystemRandom};
use workvoice_cli::{Shell, ShellConfig, ShellError};
use workvoice_core::app::Screen;
use workvoice_proto::directory::verify_directory;
use workvoice_proto::keys::SigningPublicKey;
use zeroize::Zeroizing;

use crate::dialogue::Corridors;
use crate::gateway::Outbound;
use crate::service::{AppState, Engine, InboundAuth, Limits, now_secs};
use crate::store::{Keys, Store};

#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub relay_url: String,
    /// The pinned root key (hex) the directory must verify under.
    pub root_public_key: String,
    pub outbound: Outbound,
    pub inbound: InboundAuth,
    pub limits: Limits,
    /// Cheap PIN hashing for the core's vault (tests only).
    pub fast_kdf: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("the root key is not 64 hex digits")]
    RootKey,
    #[error("the directory could not be fetched: {0}")]
    Fetch(String),
    #[error("the directory does not verify: {0}")]
    Directory(String),
    #[error("the directory names no destination country")]
    NoCorridors,
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("phone core: {0}")]
    Shell(#[from] ShellError),
    #[error("randomness failed")]
    Rng,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StartError + '_ {
    move |error| StartError::Io {
        path: path.display().to_string(),
        error,
    }
}

/// The secret of this installation: 32 bytes for the store's keys and the PIN of the core's
/// vault, made on first start, kept in a `0600` file.
fn installation_secret(dir: &Path) -> Result<Zeroizing<Vec<u8>>, StartError> {
    let path = dir.join("secret");
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
    {
        Ok(mut file) => {
            let mut secret = Zeroizing::new(vec![0u8; 48]);
            SystemRandom::new()
                .fill(&mut secret)
                .map_err(|_| StartError::Rng)?;
            file.write_all(&secret).map_err(io(&path))?;
            file.sync_all().map_err(io(&path))?;
            Ok(secret)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let mut secret = Zeroizing::new(Vec::new());
            fs::File::open(&path)
                .and_then(|mut f| f.read_to_end(&mut secret))
                .map_err(io(&path))?;
            Ok(secret)
        }
        Err(e) => Err(io(&path)(e)),
    }
}

/// A PIN of 12 digits from the secret (the core's vault wants one; nobody types it).
fn vault_pin(secret: &[u8]) -> String {
    let tag = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret),
        b"workvoice-sms vault pin",
    );
    tag.as_ref()[..12]
        .iter()
        .map(|b| char::from(b'0' + b % 10))
        .collect()
}

/// Fetch the relay's directory and verify it under the pinned root key.
pub fn fetch_corridors(relay_url: &str, root_hex: &str) -> Result<Corridors, StartError> {
    let root = SigningPublicKey::from_hex(root_hex).ok_or(StartError::RootKey)?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into();
    let body = agent
        .get(&format!("{}/v1/directory", relay_url.trim_end_matches('/')))
        .call()
        .and_then(|mut r| r.body_mut().with_config().limit(4 << 20).read_to_vec())
        .map_err(|e| StartError::Fetch(e.to_string()))?;
    let verified = verify_directory(&body, &root, now_secs(), 0)
        .map_err(|e| StartError::Directory(e.to_string()))?;
    let corridors = Corridors::from_listing(&verified.listing);
    if corridors.countries.is_empty() {
        return Err(StartError::NoCorridors);
    }
    Ok(corridors)
}

/// Open (or make) everything under `config.data_dir` and build the engine.
pub fn open_engine(config: &Config) -> Result<Engine, StartError> {
    let dir = &config.data_dir;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io(dir))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io(dir))?;
    let secret = installation_secret(dir)?;
    let db_path = dir.join("sms.sqlite");
    // SQLite gives its -wal and -shm files the mode of the database file.
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&db_path)
        .map_err(io(&db_path))?;
    let store = Store::open(&db_path, Keys::from_secret(&secret[..32]))?;

    let mut shell = Shell::start(&ShellConfig {
        data_dir: dir.join("phone").display().to_string(),
        relay_url: config.relay_url.clone(),
        root_public_key: Some(config.root_public_key.clone()),
        language: "en".into(),
        fast_kdf: config.fast_kdf,
        quick_retries: config.fast_kdf,
        ohttp_relay: None,
    })?;
    let pin = Zeroizing::new(vault_pin(&secret));
    if matches!(shell.view()?.screen, Screen::Welcome { .. }) {
        // The recovery code is not kept: this "phone" is the organisation's server, and its
        // reports' answers are texted out, not recovered.
        let _ = Zeroizing::new(shell.init(&pin, None)?);
    } else {
        shell.unlock(&pin)?;
    }
    let corridors = fetch_corridors(&config.relay_url, &config.root_public_key)?;
    Ok(Engine::new(
        store,
        shell,
        corridors,
        config.outbound.clone(),
        config.limits.clone(),
    )
    .with_directory_source(&config.relay_url, &config.root_public_key))
}

/// Serve the webhooks on `listener`; every `poll`, refresh the corridors from the directory and
/// poll the mailboxes, until `shutdown`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    engine: Arc<Mutex<Engine>>,
    auth: InboundAuth,
    poll: Duration,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let poller = {
        let engine = engine.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(poll).await;
                let engine = engine.clone();
                let _ = tokio::task::spawn_blocking(move || {
                    if let Ok(mut e) = engine.lock() {
                        // A failed fetch keeps the corridors it had; answers are polled anyway.
                        let _ = e.refresh_corridors();
                        let _ = e.poll_answers();
                    }
                })
                .await;
            }
        })
    };
    let app = crate::service::app(AppState { engine, auth });
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    poller.abort();
    result
}
