//! The interface the native shells call, over bytes (bincode, as crux's bridge uses).
//!
//! This is the only file that mentions uniffi; keeping it so makes a switch of binding
//! generator a local change. The surface:
//!
//! - `CoreFfi::new(config)`: `config` is a bincode [`HostConfig`]; creates the core.
//! - `start()` → bincode `Vec<ShellRequest>`: starts the app (call once, first).
//! - `update(event)`: `event` is a bincode [`crate::app::Event`] → bincode `Vec<ShellRequest>`.
//! - `resolve(id, output)`: `output` is a bincode [`crate::app::HttpResult`] answering HTTP
//!   request `id` → bincode `Vec<ShellRequest>`.
//! - `view()` → bincode [`crate::app::ViewModel`].
//!
//! Vault, time and randomness effects never leave Rust ([`crate::host`]). Errors are typed
//! ([`CoreFfiError`]); no panic crosses the boundary.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;

use crux_core::bridge::{BincodeFfiFormat, FfiFormat};

use crate::app::{Event, HttpResult};
use crate::host::{Host, HostConfig, HostError, ShellRequest};

uniffi::setup_scaffolding!("workvoice_core");

/// What can go wrong at the boundary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum CoreFfiError {
    #[error("the bytes are not a valid {what}: {message}")]
    Decode { what: String, message: String },
    #[error("no pending request has id {id}")]
    UnknownRequest { id: u32 },
    #[error("start() must be called once, before anything else")]
    NotStarted,
    #[error("the configuration cannot be used: {message}")]
    InvalidConfig { message: String },
    #[error("the core failed: {message}")]
    Internal { message: String },
}

/// The core, as the shells see it.
#[derive(uniffi::Object)]
pub struct CoreFfi {
    config: HostConfig,
    host: Mutex<Option<Host>>,
}

impl std::fmt::Debug for CoreFfi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoreFfi").finish_non_exhaustive()
    }
}

fn decode<T: for<'de> serde::Deserialize<'de>>(
    what: &str,
    bytes: &[u8],
) -> Result<T, CoreFfiError> {
    BincodeFfiFormat::deserialize(bytes).map_err(|e| CoreFfiError::Decode {
        what: what.into(),
        message: e.to_string(),
    })
}

fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, CoreFfiError> {
    let mut out = Vec::new();
    BincodeFfiFormat::serialize(&mut out, value).map_err(|e| CoreFfiError::Internal {
        message: e.to_string(),
    })?;
    Ok(out)
}

fn guarded<T>(f: impl FnOnce() -> Result<T, CoreFfiError>) -> Result<T, CoreFfiError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into());
        Err(CoreFfiError::Internal { message })
    })
}

/// Where a shell copies a picked evidence file before it sends `Event::AddEvidenceFile` with the
/// copy's path (the shell contract in ARCHITECTURE.md): beside `data_dir`, private. The core
/// reads the copy a piece at a time and the host deletes it once the core is done with it.
/// The core's default `AppConfig` (bincode), for a shell to set its relay URL and language
/// on, so that no shell copies the core's timings.
#[uniffi::export]
pub fn default_app_config() -> Result<Vec<u8>, CoreFfiError> {
    encode(&crate::app::AppConfig::default())
}

#[uniffi::export]
pub fn evidence_intake_dir(data_dir: String) -> String {
    crate::host::evidence_intake_dir(std::path::Path::new(&data_dir))
        .to_string_lossy()
        .into_owned()
}

#[uniffi::export]
impl CoreFfi {
    /// `config`: bincode of [`HostConfig`].
    #[uniffi::constructor]
    pub fn new(config: Vec<u8>) -> Result<Self, CoreFfiError> {
        guarded(|| {
            Ok(CoreFfi {
                config: decode("HostConfig", &config)?,
                host: Mutex::new(None),
            })
        })
    }

    /// Start the app; returns the first requests (bincode `Vec<ShellRequest>`).
    pub fn start(&self) -> Result<Vec<u8>, CoreFfiError> {
        guarded(|| {
            let mut host = self.lock();
            let (started, requests) =
                Host::start(self.config.clone()).map_err(|e| CoreFfiError::InvalidConfig {
                    message: e.to_string(),
                })?;
            *host = Some(started);
            encode(&requests)
        })
    }

    /// `event`: bincode of `Event`. Returns bincode `Vec<ShellRequest>`.
    pub fn update(&self, event: Vec<u8>) -> Result<Vec<u8>, CoreFfiError> {
        guarded(|| {
            let event: Event = decode("Event", &event)?;
            let requests = self.with_host(|host| Ok(host.update(event)))?;
            encode(&requests)
        })
    }

    /// `output`: bincode of `HttpResult` for request `id`. Returns bincode `Vec<ShellRequest>`.
    pub fn resolve(&self, id: u32, output: Vec<u8>) -> Result<Vec<u8>, CoreFfiError> {
        guarded(|| {
            let result: HttpResult = decode("HttpResult", &output)?;
            let requests = self.with_host(|host| {
                host.resolve(id, result).map_err(|e| match e {
                    HostError::UnknownRequest(id) => CoreFfiError::UnknownRequest { id },
                    HostError::Resolve(message) => CoreFfiError::Internal { message },
                    other @ HostError::PlatformSecretLength(_) => CoreFfiError::InvalidConfig {
                        message: other.to_string(),
                    },
                })
            })?;
            encode(&requests)
        })
    }

    /// Bincode of `ViewModel`.
    pub fn view(&self) -> Result<Vec<u8>, CoreFfiError> {
        guarded(|| self.with_host(|host| encode(&host.view())))
    }
}

impl CoreFfi {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Host>> {
        self.host
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn with_host<T>(
        &self,
        f: impl FnOnce(&Host) -> Result<T, CoreFfiError>,
    ) -> Result<T, CoreFfiError> {
        let host = self.lock();
        match host.as_ref() {
            Some(host) => f(host),
            None => Err(CoreFfiError::NotStarted),
        }
    }
}

/// Decode a batch of requests (for Rust shells and tests).
pub fn decode_requests(bytes: &[u8]) -> Result<Vec<ShellRequest>, CoreFfiError> {
    decode("Vec<ShellRequest>", bytes)
}

/// Decode a view model (for Rust shells and tests).
pub fn decode_view(bytes: &[u8]) -> Result<crate::app::ViewModel, CoreFfiError> {
    decode("ViewModel", bytes)
}

/// Encode any boundary value as the shells do (for Rust shells and tests).
pub fn encode_value<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, CoreFfiError> {
    encode(value)
}
