//! What every request handler shares. Nothing here is authoritative: the database is, so any
//! number of relay processes can serve one database.

use std::sync::{Arc, RwLock};

use axum::body::Bytes;
use workvoice_proto::directory::Listing;
use workvoice_proto::keys::sha256;

use crate::configuration::Settings;
use crate::limiter::RateLimiter;
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

#[derive(Debug, Clone)]
pub struct AppState {
    pub storage: Storage,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
    pub anonymous_limiter: Arc<RateLimiter>,
    directory: Arc<RwLock<Option<Arc<CurrentDirectory>>>>,
}

impl AppState {
    pub fn new(storage: Storage, settings: Settings) -> Self {
        let limiter =
            RateLimiter::new(settings.anonymous_rate_per_second, settings.anonymous_burst);
        AppState {
            storage,
            settings: Arc::new(settings),
            metrics: Arc::new(Metrics::default()),
            anonymous_limiter: Arc::new(limiter),
            directory: Arc::new(RwLock::new(None)),
        }
    }

    /// The newest published directory. One cheap query checks the version, so a directory
    /// published by another relay process is served at once.
    pub async fn current_directory(&self) -> Result<Option<Arc<CurrentDirectory>>, StorageError> {
        let Some(version) = self.storage.latest_directory_version().await? else {
            return Ok(None);
        };
        if let Ok(cached) = self.directory.read()
            && let Some(c) = cached.as_ref().filter(|c| c.version == version)
        {
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
            let newer = cached.as_ref().is_none_or(|c| c.version < current.version);
            if newer {
                *cached = Some(current.clone());
            }
        }
        Ok(Some(current))
    }
}
