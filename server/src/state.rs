//! What every request handler shares. Nothing here is authoritative: the database is, so any
//! number of relay processes can serve one database.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use workvoice_proto::directory::Listing;
use workvoice_proto::keys::sha256;

use crate::configuration::Settings;
use crate::limiter::{BodyBudget, ClientLimiter, MAX_CLIENTS, RateLimiter};
use crate::metrics::Metrics;
use crate::storage::{Storage, StorageError};

/// The directory currently served, parsed once per version.
#[derive(Debug)]
pub struct CurrentDirectory {
    pub version: u64,
    pub listing: Listing,
    pub served: Bytes,
    /// Strong ETag: version and a digest of the exact served bytes.
    pub etag: String,
}

/// The anonymous limits: one bucket per class of endpoint, one per client, the body budget.
#[derive(Debug)]
pub struct Limits {
    pub directory: RateLimiter,
    pub submissions: RateLimiter,
    pub mailbox: RateLimiter,
    pub uploads: RateLimiter,
    pub clients: ClientLimiter,
    /// Escrow OPRF evaluations per client (`oprf_client_per_hour`).
    pub oprf_clients: ClientLimiter,
    pub bodies: BodyBudget,
}

impl Limits {
    pub fn new(s: &Settings) -> Self {
        let (rate, burst) = (s.anonymous_rate_per_second, s.anonymous_burst);
        let client_rate = if rate == 0 {
            0
        } else {
            s.client_rate_per_second
        };
        Limits {
            directory: RateLimiter::new(rate.saturating_mul(4), burst.saturating_mul(4)),
            submissions: RateLimiter::new(rate, burst),
            mailbox: RateLimiter::new(rate, burst),
            uploads: RateLimiter::new(rate, burst),
            clients: ClientLimiter::new(client_rate, s.client_burst, MAX_CLIENTS),
            oprf_clients: ClientLimiter::per_hour(
                s.oprf_client_per_hour,
                s.oprf_client_burst,
                MAX_CLIENTS,
            ),
            bodies: BodyBudget::new(s.max_body_bytes_in_flight),
        }
    }
}

/// The database size and when it was measured.
type MeasuredSize = (u64, Instant);

/// The directory last loaded and when its version was last confirmed.
type CheckedDirectory = (Arc<CurrentDirectory>, Instant);

#[derive(Debug, Clone)]
pub struct AppState {
    pub storage: Storage,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
    pub limits: Arc<Limits>,
    /// The Oblivious HTTP gateway (`oblivious.rs`).
    pub gateway: Arc<crate::oblivious::Gateway>,
    storage_size: Arc<tokio::sync::Mutex<Option<MeasuredSize>>>,
    directory: Arc<RwLock<Option<CheckedDirectory>>>,
    directory_recheck: Duration,
    /// The secret the escrow OPRF's epoch keys derive from (the relay key's seed), set once
    /// when the application is built.
    escrow_secret: Arc<std::sync::OnceLock<EscrowSecret>>,
}

/// The relay's escrow OPRF secret, zeroized when dropped, never printed.
pub struct EscrowSecret(zeroize::Zeroizing<[u8; 32]>);

impl std::fmt::Debug for EscrowSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EscrowSecret(..)")
    }
}

impl AppState {
    pub fn new(storage: Storage, settings: Settings) -> Self {
        let limits = Limits::new(&settings);
        let recheck = Duration::from_millis(settings.directory_recheck_ms);
        AppState {
            storage,
            settings: Arc::new(settings),
            metrics: Arc::new(Metrics::default()),
            limits: Arc::new(limits),
            gateway: Arc::new(crate::oblivious::Gateway::ephemeral()),
            storage_size: Arc::default(),
            directory: Arc::new(RwLock::new(None)),
            directory_recheck: recheck,
            escrow_secret: Arc::default(),
        }
    }

    /// Sets the escrow OPRF secret (once; later calls are ignored).
    pub fn set_escrow_secret(&self, secret: &[u8; 32]) {
        let _ = self
            .escrow_secret
            .set(EscrowSecret(zeroize::Zeroizing::new(*secret)));
    }

    /// The escrow OPRF epoch at `unix_secs`.
    pub fn escrow_epoch(&self, unix_secs: u64) -> u32 {
        let epoch = unix_secs / self.settings.escrow_epoch_secs.max(1);
        u32::try_from(epoch).unwrap_or(u32::MAX)
    }

    /// The relay's OPRF key for `epoch` (PROTOCOL.md 18.3); `None` before the secret is set.
    pub fn escrow_oprf_key(&self, epoch: u32) -> Option<workvoice_proto::escrow::OprfKey> {
        let secret = self.escrow_secret.get()?;
        workvoice_proto::escrow::relay_epoch_key(&secret.0, epoch).ok()
    }

    /// The organisation's token issuer key for `epoch` and `purpose` (PROTOCOL.md 18.12),
    /// derived from the same secret as the OPRF keys; `None` before the secret is set.
    pub fn escrow_token_key(
        &self,
        org: &workvoice_proto::keys::OrgId,
        epoch: u32,
        purpose: workvoice_proto::token::TokenPurpose,
    ) -> Option<workvoice_proto::token::IssuerKey> {
        let secret = self.escrow_secret.get()?;
        workvoice_proto::token::IssuerKey::derive(&secret.0, &org.0, epoch, purpose).ok()
    }

    /// Whether the database has reached `storage_quota_bytes` (measured at most once a second).
    pub async fn storage_full(&self) -> Result<bool, StorageError> {
        let quota = self.settings.storage_quota_bytes;
        if quota == 0 {
            return Ok(false);
        }
        let mut size = self.storage_size.lock().await;
        let bytes = match *size {
            Some((bytes, at)) if at.elapsed() < Duration::from_secs(1) => bytes,
            _ => {
                let bytes = self.storage.size_bytes().await?;
                *size = Some((bytes, Instant::now()));
                bytes
            }
        };
        Ok(bytes >= quota)
    }

    /// The newest published directory. The database is asked for the newest version at most
    /// once per `directory_recheck_ms` (0: on every call), so a directory published by another
    /// process or by `workvoice-relay directory publish` is served within that time.
    pub async fn current_directory(&self) -> Result<Option<Arc<CurrentDirectory>>, StorageError> {
        if !self.directory_recheck.is_zero()
            && let Ok(cached) = self.directory.read()
            && let Some((c, checked)) = cached.as_ref()
            && checked.elapsed() < self.directory_recheck
        {
            return Ok(Some(c.clone()));
        }
        let checked = Instant::now();
        let Some(version) = self.storage.latest_directory_version().await? else {
            return Ok(None);
        };
        if let Ok(mut cached) = self.directory.write()
            && let Some((c, at)) = cached.as_mut()
            && c.version == version
        {
            *at = checked;
            return Ok(Some(c.clone()));
        }
        let Some(stored) = self.storage.latest_directory().await? else {
            return Ok(None);
        };
        let listing: Listing = serde_json::from_str(&stored.listing)
            .map_err(|e| StorageError::Corrupt(format!("directory {}: {e}", stored.version)))?;
        let digest = sha256(&[stored.served.as_bytes()]);
        let current = Arc::new(CurrentDirectory {
            version: stored.version,
            listing,
            etag: format!("\"v{}-{}\"", stored.version, &digest.to_hex()[..16]),
            served: Bytes::from(stored.served),
        });
        if let Ok(mut cached) = self.directory.write() {
            let newer = cached
                .as_ref()
                .is_none_or(|(c, _)| c.version <= current.version);
            if newer {
                *cached = Some((current.clone(), checked));
            }
        }
        Ok(Some(current))
    }
}
