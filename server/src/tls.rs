//! TLS on the public listener (`tls` in the settings), with ring as the crypto provider.
//!
//! - `files`: a PEM certificate chain and key, read at start (a bad pair stops the start with a
//!   clear message) and read again on SIGHUP and when either file changes (checked every
//!   `tls_reload_check_secs`). A pair that fails to load on reload is logged and the current
//!   certificate stays in use.
//! - `acme`: the relay obtains and renews its certificate itself with `rustls-acme`, answering
//!   the TLS-ALPN-01 challenge on the listener, so it needs no port 80. The account key and the
//!   certificate are cached in `acme_cache_dir` (0700, files 0600) across restarts; renewal
//!   starts when a third of the certificate's lifetime is left.
//!
//! Either way, every answer carries `Strict-Transport-Security` ([`HSTS`]).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_rustls::LazyConfigAcceptor;
use tokio_rustls::server::TlsStream;

use crate::configuration::{Settings, TlsMode};
use crate::files;

/// The `Strict-Transport-Security` value on every answer when TLS is on: one year, this host
/// only (the relay may share a parent domain with sites it knows nothing of).
pub const HSTS: &str = "max-age=31536000";

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("tls = \"files\" needs both tls_cert_file and tls_key_file")]
    MissingFiles,
    #[error("cannot read the TLS certificate file {0}: {1}")]
    Certificate(String, String),
    #[error("cannot read the TLS key file {0}: {1}")]
    Key(String, String),
    #[error("the TLS key {key} does not belong to the certificate {certificate}: {message}")]
    Mismatch {
        certificate: String,
        key: String,
        message: String,
    },
    #[error(
        "tls = \"acme\" needs acme_domains: the DNS names of this relay (they must resolve to this \
         server, reachable on port 443)"
    )]
    NoDomains,
    #[error("acme_domains holds {0:?}, which is not a DNS name")]
    BadDomain(String),
    #[error("cannot read acme_ca_file {0}: {1}")]
    AcmeRoots(String, String),
    #[error("the TLS library refused its configuration: {0}")]
    Provider(String),
    #[error("cannot create the ACME cache directory {0}: {1}")]
    Cache(String, io::Error),
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The TLS side of the public listener.
pub struct Tls {
    /// For ordinary connections.
    config: Arc<ServerConfig>,
    /// For ACME TLS-ALPN-01 validation connections, when `tls = "acme"`.
    challenge: Option<Arc<ServerConfig>>,
    source: Source,
}

enum Source {
    Files(Arc<FileCertificate>),
    Acme(Mutex<Option<AcmeDriver>>),
}

type AcmeDriver = rustls_acme::AcmeState<io::Error, io::Error>;

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mode = match self.source {
            Source::Files(_) => "files",
            Source::Acme(_) => "acme",
        };
        f.debug_struct("Tls").field("mode", &mode).finish()
    }
}

impl Tls {
    /// The TLS side for `settings`, or none when `tls = "off"`. Reads the certificate files
    /// (`files`) or prepares the ACME account and cache (`acme`); nothing is fetched yet.
    pub fn from_settings(settings: &Settings) -> Result<Option<Tls>, TlsError> {
        match settings.tls {
            TlsMode::Off => Ok(None),
            TlsMode::Files => {
                let (Some(cert), Some(key)) = (&settings.tls_cert_file, &settings.tls_key_file)
                else {
                    return Err(TlsError::MissingFiles);
                };
                let files = Arc::new(FileCertificate::load(cert, key)?);
                let config = server_config(files.clone())?;
                Ok(Some(Tls {
                    config,
                    challenge: None,
                    source: Source::Files(files),
                }))
            }
            TlsMode::Acme => Self::acme(settings).map(Some),
        }
    }

    /// TLS from a certificate chain and key in PEM files, reloaded when they change (see
    /// [`Tls::maintain`]) or on [`Tls::reload`]: the OHTTP relay's `--tls-cert`/`--tls-key`.
    pub fn from_files(cert: &Path, key: &Path) -> Result<Tls, TlsError> {
        let files = Arc::new(FileCertificate::load(cert, key)?);
        let config = server_config(files.clone())?;
        Ok(Tls {
            config,
            challenge: None,
            source: Source::Files(files),
        })
    }

    fn acme(settings: &Settings) -> Result<Tls, TlsError> {
        if settings.acme_domains.is_empty() {
            return Err(TlsError::NoDomains);
        }
        for domain in &settings.acme_domains {
            let valid = rustls::pki_types::DnsName::try_from(domain.as_str()).is_ok()
                && domain.parse::<std::net::IpAddr>().is_err();
            if !valid {
                return Err(TlsError::BadDomain(domain.clone()));
            }
        }
        let cache_dir = settings.acme_cache_path();
        files::private_dir(&cache_dir)
            .map_err(|e| TlsError::Cache(cache_dir.display().to_string(), e))?;
        let contact = settings.acme_contact.iter().map(|c| {
            if c.contains(':') {
                c.clone()
            } else {
                format!("mailto:{c}")
            }
        });
        let mut config =
            rustls_acme::AcmeConfig::new_with_provider(settings.acme_domains.clone(), provider())
                .contact(contact)
                .directory(&settings.acme_directory_url);
        if let Some(ca) = &settings.acme_ca_file {
            let shown = || ca.display().to_string();
            let mut roots = rustls::RootCertStore::empty();
            let certs = CertificateDer::pem_file_iter(ca)
                .map_err(|e| TlsError::AcmeRoots(shown(), e.to_string()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| TlsError::AcmeRoots(shown(), e.to_string()))?;
            if certs.is_empty() {
                return Err(TlsError::AcmeRoots(shown(), "no certificate in it".into()));
            }
            for cert in certs {
                roots
                    .add(cert)
                    .map_err(|e| TlsError::AcmeRoots(shown(), e.to_string()))?;
            }
            let client = rustls::ClientConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .map_err(|e| TlsError::AcmeRoots(shown(), e.to_string()))?
                .with_root_certificates(roots)
                .with_no_client_auth();
            config = config.client_tls_config(Arc::new(client));
        }
        let state = config.cache(PrivateDirCache(cache_dir)).state();
        let challenge = state.challenge_rustls_config_with_provider(provider());
        let resolver: Arc<dyn ResolvesServerCert> = state.resolver();
        Ok(Tls {
            config: server_config(resolver)?,
            challenge: Some(challenge),
            source: Source::Acme(Mutex::new(Some(state))),
        })
    }

    /// Run the background side until `stop` turns true: for `files`, look for changed files
    /// every `every`; for `acme`, obtain and renew the certificate.
    pub async fn maintain(&self, every: Duration, mut stop: watch::Receiver<bool>) {
        match &self.source {
            Source::Files(files) => loop {
                tokio::select! {
                    () = tokio::time::sleep(every) => files.reload(false),
                    _ = stop.changed() => return,
                }
            },
            Source::Acme(driver) => {
                let state = driver.lock().ok().and_then(|mut d| d.take());
                let Some(mut state) = state else { return };
                use futures_util::StreamExt as _;
                loop {
                    let event = tokio::select! {
                        e = state.next() => e,
                        _ = stop.changed() => return,
                    };
                    match event {
                        Some(Ok(ok)) => tracing::info!(event = ?ok, "acme"),
                        Some(Err(err)) => tracing::warn!(error = %err, "acme"),
                        None => return,
                    }
                }
            }
        }
    }

    /// On SIGHUP: read the certificate files again (`files`); ACME needs nothing.
    pub fn reload(&self) {
        match &self.source {
            Source::Files(files) => files.reload(true),
            Source::Acme(_) => tracing::info!("SIGHUP: ACME certificates renew themselves"),
        }
    }

    /// The TLS handshake on an accepted connection. `None`: the connection was an ACME
    /// validation, answered and closed, or it did not speak TLS.
    pub async fn accept(&self, tcp: TcpStream) -> io::Result<Option<TlsStream<TcpStream>>> {
        let start = LazyConfigAcceptor::new(rustls::server::Acceptor::default(), tcp).await?;
        if let Some(challenge) = &self.challenge
            && rustls_acme::is_tls_alpn_challenge(&start.client_hello())
        {
            let mut stream = start.into_stream(challenge.clone()).await?;
            let _ = stream.shutdown().await;
            tracing::info!("answered a TLS-ALPN-01 validation");
            return Ok(None);
        }
        start.into_stream(self.config.clone()).await.map(Some)
    }
}

fn server_config(resolver: Arc<dyn ResolvesServerCert>) -> Result<Arc<ServerConfig>, TlsError> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Provider(e.to_string()))?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A certificate and key from PEM files, replaced when the files change.
pub struct FileCertificate {
    cert: PathBuf,
    key: PathBuf,
    current: RwLock<Arc<CertifiedKey>>,
    stamp: Mutex<Option<Stamp>>,
}

impl std::fmt::Debug for FileCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileCertificate")
            .field("cert", &self.cert)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// What tells a file changed: modification time, size and inode of both files (through
/// symbolic links, as certbot's `live/` directory uses).
type Stamp = [(Option<std::time::SystemTime>, u64, u64); 2];

fn stamp(cert: &Path, key: &Path) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt as _;
    let one = |p: &Path| {
        std::fs::metadata(p)
            .ok()
            .map(|m| (m.modified().ok(), m.len(), m.ino()))
    };
    Some([one(cert)?, one(key)?])
}

impl FileCertificate {
    pub fn load(cert: &Path, key: &Path) -> Result<FileCertificate, TlsError> {
        let stamp = stamp(cert, key);
        let current = read_pair(cert, key)?;
        Ok(FileCertificate {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            current: RwLock::new(Arc::new(current)),
            stamp: Mutex::new(stamp),
        })
    }

    /// Read the files again if they changed (or always, when `forced`); keep the current
    /// certificate when the new pair does not load.
    pub fn reload(&self, forced: bool) {
        let now = stamp(&self.cert, &self.key);
        {
            let Ok(mut last) = self.stamp.lock() else {
                return;
            };
            if !forced && (now.is_none() || *last == now) {
                return;
            }
            *last = now;
        }
        match read_pair(&self.cert, &self.key) {
            Ok(pair) => {
                if let Ok(mut current) = self.current.write() {
                    *current = Arc::new(pair);
                }
                tracing::info!(signal = forced, "TLS certificate reloaded");
            }
            Err(e) => tracing::warn!(
                error = %e,
                "TLS certificate not reloaded; the current one stays in use"
            ),
        }
    }
}

impl ResolvesServerCert for FileCertificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current.read().ok().map(|c| c.clone())
    }
}

fn read_pair(cert: &Path, key: &Path) -> Result<CertifiedKey, TlsError> {
    let cert_name = || cert.display().to_string();
    let key_name = || key.display().to_string();
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| TlsError::Certificate(cert_name(), e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Certificate(cert_name(), e.to_string()))?;
    if chain.is_empty() {
        return Err(TlsError::Certificate(
            cert_name(),
            "no PEM certificate in it".into(),
        ));
    }
    let private =
        PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Key(key_name(), e.to_string()))?;
    CertifiedKey::from_der(chain, private, &provider()).map_err(|e| TlsError::Mismatch {
        certificate: cert_name(),
        key: key_name(),
        message: e.to_string(),
    })
}

/// The ACME account key and certificate cache: files of mode 0600 in a 0700 directory,
/// written to a temporary file and renamed so a crash leaves the old one whole.
struct PrivateDirCache(PathBuf);

impl PrivateDirCache {
    fn name(kind: &str, parts: &[String], directory_url: &str) -> String {
        let mut context = ring::digest::Context::new(&ring::digest::SHA256);
        for p in parts {
            context.update(p.as_bytes());
            context.update(&[0]);
        }
        context.update(directory_url.as_bytes());
        format!("{kind}-{}", hex::encode(context.finish()))
    }

    async fn read(&self, name: String) -> io::Result<Option<Vec<u8>>> {
        let path = self.0.join(name);
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn write(&self, name: String, bytes: &[u8]) -> io::Result<()> {
        let dir = self.0.clone();
        let bytes = bytes.to_vec();
        tokio::task::spawn_blocking(move || {
            use std::io::Write as _;
            use std::os::unix::fs::OpenOptionsExt as _;
            files::private_dir(&dir)?;
            let tmp = dir.join(format!("{name}.tmp"));
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(files::FILE_MODE)
                .open(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, dir.join(&name))
        })
        .await
        .map_err(io::Error::other)?
    }
}

#[async_trait::async_trait]
impl rustls_acme::CertCache for PrivateDirCache {
    type EC = io::Error;
    async fn load_cert(&self, domains: &[String], url: &str) -> io::Result<Option<Vec<u8>>> {
        self.read(Self::name("certificate", domains, url)).await
    }
    async fn store_cert(&self, domains: &[String], url: &str, cert: &[u8]) -> io::Result<()> {
        self.write(Self::name("certificate", domains, url), cert)
            .await
    }
}

#[async_trait::async_trait]
impl rustls_acme::AccountCache for PrivateDirCache {
    type EA = io::Error;
    async fn load_account(&self, contact: &[String], url: &str) -> io::Result<Option<Vec<u8>>> {
        self.read(Self::name("account", contact, url)).await
    }
    async fn store_account(&self, contact: &[String], url: &str, key: &[u8]) -> io::Result<()> {
        self.write(Self::name("account", contact, url), key).await
    }
}
