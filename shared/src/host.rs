//! The Rust side of the effect loop: runs the [`Workvoice`] core, resolves its vault, time,
//! randomness and file effects here (with the [`Vault`], a [`Clock`] and an [`Entropy`]: the
//! system clock and the system generator unless [`Host::start_with`] is given others), and
//! hands only render, HTTP and platform requests out. The FFI ([`crate::ffi`]), the
//! command-line shell and the app tests drive the app through this.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use crux_core::render::RenderOperation;
use crux_core::{Core, RequestHandle};
use facet::Facet;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

use crate::app::{
    AppConfig, Effect, Event, FileReadOperation, FileReadOutput, HttpRequest, HttpResult, Model,
    Msg, PlatformOperation, RandomOutput, TimeOutput, VaultFailure, VaultOperation, VaultOutput,
    VaultWrite, ViewModel, Workvoice,
};
use crate::vault::{
    KdfParams, PlatformSecret, Vault, VaultConfig, VaultError, VaultOp, VaultStatus,
};

/// The length of [`HostConfig::platform_secret`] when there is one.
pub const PLATFORM_SECRET_LEN: usize = 32;

/// How the host is set up by the shell. Its `Debug` leaves out the platform secret.
#[derive(Facet, Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct HostConfig {
    /// A directory private to the app, where the vault lives.
    pub data_dir: String,
    pub app: AppConfig,
    /// Cheap PIN hashing, for tests only: offers no protection.
    pub insecure_fast_kdf: bool,
    /// Wrong PINs before the vault wipes itself (`0`: the default, 10).
    pub max_pin_attempts: u32,
    /// The 32-byte secret the platform keeps in its hardware-backed store (Android Keystore,
    /// iOS Keychain), mixed into the PIN's key-encryption key so that vault files copied off
    /// the phone cannot be brute-forced away from the attempt limit. Empty: none (tests and
    /// the command-line shell). Any other length is refused by [`Host::start`].
    pub platform_secret: Vec<u8>,
}

impl std::fmt::Debug for HostConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostConfig")
            .field("data_dir", &self.data_dir)
            .field("app", &self.app)
            .field("insecure_fast_kdf", &self.insecure_fast_kdf)
            .field("max_pin_attempts", &self.max_pin_attempts)
            .field(
                "platform_secret",
                &format_args!("<{} bytes>", self.platform_secret.len()),
            )
            .finish()
    }
}

/// A request for the native shell: draw, or perform HTTP and call `resolve` with the id.
#[derive(Facet, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ShellRequest {
    pub id: u32,
    pub effect: ShellEffect,
}

#[derive(Facet, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[repr(C)]
pub enum ShellEffect {
    /// Call `view` and redraw. Needs no `resolve`.
    Render(RenderOperation),
    /// Perform the request, then `resolve(id, HttpResult)`.
    Http(HttpRequest),
    /// Do what only the platform can (forget the platform secret after a wipe). Needs no
    /// `resolve`.
    Platform(PlatformOperation),
}

/// Why the host could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("no pending request has id {0}")]
    UnknownRequest(u32),
    #[error("the platform secret must be 32 bytes or empty, not {0}")]
    PlatformSecretLength(usize),
    #[error("the request could not be resolved: {0}")]
    Resolve(String),
}

struct HostState {
    vault: Option<Vault>,
    /// The courier store, opened without the PIN when first needed.
    courier: Option<Vault>,
    pending: HashMap<u32, RequestHandle<HttpResult>>,
    next_id: u32,
}

/// Where the host reads the time it gives the app's `Time` effect.
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn now_unix_ms(&self) -> u64;
}

/// The system clock (before the epoch reads as 0).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    }
}

/// No entropy could be had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntropyUnavailable;

/// Where the host draws the bytes it gives the app's `Random` effect.
pub trait Entropy: Send + Sync {
    fn fill(&self, bytes: &mut [u8]) -> Result<(), EntropyUnavailable>;
}

impl Entropy for SystemRandom {
    fn fill(&self, bytes: &mut [u8]) -> Result<(), EntropyUnavailable> {
        SecureRandom::fill(self, bytes).map_err(|_| EntropyUnavailable)
    }
}

pub struct Host {
    core: Core<Workvoice>,
    dir: PathBuf,
    /// [`evidence_intake_dir`] of `dir`.
    intake_dir: PathBuf,
    vault_config: VaultConfig,
    state: Mutex<HostState>,
    clock: Box<dyn Clock>,
    entropy: Box<dyn Entropy>,
    platform_secret: Option<PlatformSecret>,
    #[cfg(feature = "test-seams")]
    seams: seams::Seams,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Host {
    /// Create the core and start the app, on the system clock and generator. Returns the host
    /// and its first shell requests, or [`HostError::PlatformSecretLength`] for a platform
    /// secret that is neither 32 bytes nor empty.
    pub fn start(config: HostConfig) -> Result<(Self, Vec<ShellRequest>), HostError> {
        Self::start_with(config, Box::new(SystemClock), Box::new(SystemRandom::new()))
    }

    /// [`Host::start`] with the clock and the entropy given.
    pub fn start_with(
        config: HostConfig,
        clock: Box<dyn Clock>,
        entropy: Box<dyn Entropy>,
    ) -> Result<(Self, Vec<ShellRequest>), HostError> {
        let host = Self::build(&config, clock, entropy)?;
        let requests = host.begin(config.app);
        Ok((host, requests))
    }

    /// The host, its core not started yet.
    fn build(
        config: &HostConfig,
        clock: Box<dyn Clock>,
        entropy: Box<dyn Entropy>,
    ) -> Result<Self, HostError> {
        let platform_secret = match config.platform_secret.len() {
            0 => None,
            PLATFORM_SECRET_LEN => {
                let mut bytes = [0u8; PLATFORM_SECRET_LEN];
                bytes.copy_from_slice(&config.platform_secret);
                Some(PlatformSecret::new(bytes))
            }
            other => return Err(HostError::PlatformSecretLength(other)),
        };
        let vault_config = VaultConfig {
            kdf: if config.insecure_fast_kdf {
                KdfParams::INSECURE_FAST_FOR_TESTS
            } else {
                KdfParams::OWASP_MINIMUM
            },
            max_attempts: if config.max_pin_attempts == 0 {
                crate::vault::DEFAULT_MAX_ATTEMPTS
            } else {
                config.max_pin_attempts
            },
        };
        let dir = PathBuf::from(&config.data_dir);
        let intake_dir = evidence_intake_dir(&dir);
        // Copies left by a run that ended while reading them: the core starts with none. The
        // directory is made here, private (0700), for the shell to copy into.
        if let Ok(entries) = std::fs::read_dir(&intake_dir) {
            for entry in entries.flatten() {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        let _ = crate::vault::store::create_private_dir(&intake_dir);
        let host = Host {
            core: Core::new_with(Workvoice, Model::default()),
            dir,
            intake_dir,
            vault_config,
            platform_secret,
            state: Mutex::new(HostState {
                vault: None,
                courier: None,
                pending: HashMap::new(),
                next_id: 1,
            }),
            clock,
            entropy,
            #[cfg(feature = "test-seams")]
            seams: seams::Seams::default(),
        };
        Ok(host)
    }

    fn begin(&self, app: AppConfig) -> Vec<ShellRequest> {
        let effects = self.core.process_event(Msg::Start(app));
        self.run(effects)
    }

    /// Send an event of the worker's to the app.
    pub fn update(&self, event: Event) -> Vec<ShellRequest> {
        let effects = self.core.process_event(Msg::Ui(event));
        self.run(effects)
    }

    /// Give the app the answer to HTTP request `id`.
    pub fn resolve(&self, id: u32, result: HttpResult) -> Result<Vec<ShellRequest>, HostError> {
        let mut handle = self
            .lock()
            .pending
            .remove(&id)
            .ok_or(HostError::UnknownRequest(id))?;
        let effects = self
            .core
            .resolve(&mut handle, result)
            .map_err(|e| HostError::Resolve(e.to_string()))?;
        Ok(self.run(effects))
    }

    pub fn view(&self) -> ViewModel {
        self.core.view()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HostState> {
        // A panic while holding the lock leaves the state usable: every field is consistent
        // between statements.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Resolve every effect that stays in Rust; collect the ones for the shell.
    fn run(&self, effects: Vec<Effect>) -> Vec<ShellRequest> {
        let mut queue: std::collections::VecDeque<Effect> = effects.into();
        let mut out = Vec::new();
        while let Some(effect) = queue.pop_front() {
            #[cfg(feature = "test-seams")]
            let Some(effect) = self.seams.pass(effect) else {
                continue;
            };
            let more = match effect {
                Effect::Render(request) => {
                    out.push(ShellRequest {
                        id: 0,
                        effect: ShellEffect::Render(request.operation),
                    });
                    continue;
                }
                Effect::Platform(request) => {
                    out.push(ShellRequest {
                        id: 0,
                        effect: ShellEffect::Platform(request.operation),
                    });
                    continue;
                }
                Effect::Http(request) => {
                    let (operation, handle) = request.split();
                    let mut state = self.lock();
                    let id = state.next_id;
                    state.next_id = state.next_id.wrapping_add(1).max(1);
                    state.pending.insert(id, handle);
                    out.push(ShellRequest {
                        id,
                        effect: ShellEffect::Http(operation),
                    });
                    continue;
                }
                Effect::Vault(request) => {
                    let (operation, mut handle) = request.split();
                    let output = self.vault(operation);
                    self.core.resolve(&mut handle, output)
                }
                Effect::Time(request) => {
                    let (_, mut handle) = request.split();
                    let unix_ms = self.clock.now_unix_ms();
                    self.core.resolve(&mut handle, TimeOutput { unix_ms })
                }
                Effect::File(request) => {
                    let (operation, mut handle) = request.split();
                    let output = if operation.len == 0 {
                        self.release_file(&operation.path);
                        FileReadOutput::Read {
                            bytes: Vec::new(),
                            file_size: 0,
                        }
                    } else {
                        read_file(&operation)
                    };
                    self.core.resolve(&mut handle, output)
                }
                Effect::Random(request) => {
                    let (operation, mut handle) = request.split();
                    let mut bytes = vec![0u8; operation.len as usize];
                    // Without entropy the app keeps its earlier key; it never seals with
                    // predictable keys because the first seed is required (see SeededRng).
                    if self.entropy.fill(&mut bytes).is_err() {
                        bytes.clear();
                    }
                    self.core.resolve(&mut handle, RandomOutput(bytes))
                }
            };
            if let Ok(more) = more {
                queue.extend(more);
            }
        }
        out
    }

    fn vault(&self, operation: VaultOperation) -> VaultOutput {
        let mut state = self.lock();
        let failed = |e: VaultError| VaultOutput::Failed(failure(e));
        match operation {
            VaultOperation::Status => match Vault::status(&self.dir) {
                Ok(VaultStatus::NotInitialised) => VaultOutput::Status {
                    initialised: false,
                    attempts_left: 0,
                },
                Ok(VaultStatus::Locked { attempts_left }) => VaultOutput::Status {
                    initialised: true,
                    attempts_left,
                },
                Err(e) => failed(e),
            },
            VaultOperation::Create { pin, duress_pin } => {
                state.vault = None;
                state.courier = None;
                match Vault::create(
                    &self.dir,
                    &pin,
                    duress_pin.as_deref(),
                    self.platform_secret.as_ref(),
                    &self.vault_config,
                ) {
                    Ok(vault) => {
                        state.vault = Some(vault);
                        VaultOutput::Opened
                    }
                    Err(e) => failed(e),
                }
            }
            VaultOperation::Unlock { pin } => {
                state.vault = None;
                // A duress unlock removes the courier store: closed first, reopened when next
                // needed.
                state.courier = None;
                match Vault::unlock(&self.dir, &pin, self.platform_secret.as_ref()) {
                    Ok(vault) => {
                        state.vault = Some(vault);
                        VaultOutput::Opened
                    }
                    Err(e) => failed(e),
                }
            }
            VaultOperation::Lock => {
                state.vault = None;
                VaultOutput::Locked
            }
            VaultOperation::Wipe => {
                state.courier = None;
                let result = match state.vault.take() {
                    Some(vault) => vault.wipe(),
                    None => Vault::wipe_dir(&self.dir),
                };
                match result {
                    Ok(()) => VaultOutput::Wiped,
                    Err(e) => failed(e),
                }
            }
            VaultOperation::Load { namespaces } => {
                let Some(vault) = &state.vault else {
                    return VaultOutput::Failed(VaultFailure::Locked);
                };
                namespaces
                    .iter()
                    .map(|ns| vault.list(ns))
                    .collect::<Result<Vec<_>, _>>()
                    .map_or_else(failed, VaultOutput::Entries)
            }
            VaultOperation::Get { ns, key } => {
                let Some(vault) = &state.vault else {
                    return VaultOutput::Failed(VaultFailure::Locked);
                };
                vault.get(&ns, &key).map_or_else(failed, VaultOutput::Value)
            }
            VaultOperation::Write { ops, flush } => {
                let Some(vault) = &state.vault else {
                    return VaultOutput::Failed(VaultFailure::Locked);
                };
                write_all(vault, &ops, flush).map_or_else(failed, |()| VaultOutput::Written)
            }
            VaultOperation::CourierLoad => {
                if state.courier.is_none() {
                    match Vault::open_courier(&self.dir, self.platform_secret.as_ref()) {
                        Ok(courier) => state.courier = Some(courier),
                        Err(VaultError::NotInitialised) => return VaultOutput::Entries(vec![]),
                        Err(e) => return failed(e),
                    }
                }
                let Some(courier) = &state.courier else {
                    return VaultOutput::Entries(vec![]);
                };
                courier
                    .list(crate::app::records::NS_COURIER)
                    .map_or_else(failed, |entries| VaultOutput::Entries(vec![entries]))
            }
            VaultOperation::CourierGet { ns, key } => {
                if state.courier.is_none() {
                    match Vault::open_courier(&self.dir, self.platform_secret.as_ref()) {
                        Ok(courier) => state.courier = Some(courier),
                        Err(VaultError::NotInitialised) => return VaultOutput::Value(None),
                        Err(e) => return failed(e),
                    }
                }
                let Some(courier) = &state.courier else {
                    return VaultOutput::Value(None);
                };
                courier
                    .get(&ns, &key)
                    .map_or_else(failed, VaultOutput::Value)
            }
            VaultOperation::CourierWrite { ops } => {
                if state.courier.is_none() {
                    match Vault::open_courier(&self.dir, self.platform_secret.as_ref()) {
                        Ok(courier) => state.courier = Some(courier),
                        Err(e) => return failed(e),
                    }
                }
                let Some(courier) = &state.courier else {
                    return VaultOutput::Failed(VaultFailure::NotInitialised);
                };
                write_all(courier, &ops, true).map_or_else(failed, |()| VaultOutput::Written)
            }
        }
    }
}

/// Applies `ops` atomically; with `flush`, durably.
fn write_all(vault: &Vault, ops: &[VaultWrite], flush: bool) -> Result<(), VaultError> {
    let ops: Vec<VaultOp<'_>> = ops
        .iter()
        .map(|op| match op {
            VaultWrite::Put { ns, key, value } => VaultOp::Put { ns, key, value },
            VaultWrite::Delete { ns, key } => VaultOp::Delete { ns, key },
        })
        .collect();
    vault
        .batch(&ops)
        .and_then(|()| if flush { vault.flush() } else { Ok(()) })
}

/// Where a shell copies a picked evidence file before it hands the copy's path to the core
/// (`Event::AddEvidenceFile`): `<data_dir>.intake`, beside the data directory, never inside the
/// vault's. The host deletes a copy there as soon as the core is done with it (read whole,
/// refused, or dropped at a lock) and any copy left over when it starts; a file elsewhere
/// (the CLI's, a test's) is only read.
pub fn evidence_intake_dir(data_dir: &std::path::Path) -> PathBuf {
    let mut name = data_dir.as_os_str().to_owned();
    name.push(".intake");
    PathBuf::from(name)
}

impl Host {
    /// The core is done with the evidence file at `path`: delete it when it is a copy in the
    /// intake directory.
    fn release_file(&self, path: &str) {
        let path = std::path::Path::new(path);
        let parent = path.parent().and_then(|p| p.canonicalize().ok());
        if parent.is_some() && parent == self.intake_dir.canonicalize().ok() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Read at most `len` bytes at `offset` of the file, opened for this read only: nothing of
/// the file is kept between reads.
fn read_file(operation: &FileReadOperation) -> FileReadOutput {
    use std::io::{Read, Seek, SeekFrom};
    let read = || -> std::io::Result<(Vec<u8>, u64)> {
        let mut file = std::fs::File::open(&operation.path)?;
        let file_size = file.metadata()?.len();
        file.seek(SeekFrom::Start(operation.offset))?;
        let mut bytes = Vec::with_capacity(operation.len as usize);
        file.take(u64::from(operation.len))
            .read_to_end(&mut bytes)?;
        Ok((bytes, file_size))
    };
    match read() {
        Ok((bytes, file_size)) => FileReadOutput::Read { bytes, file_size },
        Err(e) => FileReadOutput::Failed(e.kind().to_string()),
    }
}

#[cfg(feature = "test-seams")]
pub mod seams {
    //! What tests may do to the effect loop and the shells may not: see every effect as the
    //! loop takes it, hold one back (a phone killed mid-read, a write not yet done), and look
    //! into the stores the host holds open. Built only with the `test-seams` feature.

    use std::ops::Deref;
    use std::sync::{Mutex, MutexGuard};

    use super::{Clock, Entropy, Host, HostConfig, HostError, HostState, ShellRequest};
    use crate::app::Effect;
    use crate::vault::Vault;

    /// Sees the effect loop.
    pub trait Observer: Send + Sync {
        /// Called with each effect as the loop takes it, before it is resolved or handed out.
        fn effect(&self, effect: &Effect) -> Pass;
    }

    /// What the loop does with an effect its [`Observer`] saw.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Pass {
        /// Resolve it or hand it out, as without an observer.
        Go,
        /// Keep it back, unresolved, until [`Host::release_held`].
        Hold,
    }

    #[derive(Default)]
    pub(super) struct Seams {
        observer: Option<Box<dyn Observer>>,
        held: Mutex<Vec<Effect>>,
    }

    impl Seams {
        /// The effect for the loop to go on with, or `None` when it is held.
        pub(super) fn pass(&self, effect: Effect) -> Option<Effect> {
            match self.observer.as_ref().map(|o| o.effect(&effect)) {
                Some(Pass::Hold) => {
                    lock(&self.held).push(effect);
                    None
                }
                Some(Pass::Go) | None => Some(effect),
            }
        }
    }

    fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
        mutex
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A store the host holds open, borrowed: the host waits for it to be dropped.
    pub struct OpenStore<'a> {
        state: MutexGuard<'a, HostState>,
        courier: bool,
    }

    impl std::fmt::Debug for OpenStore<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("OpenStore")
                .field("courier", &self.courier)
                .finish_non_exhaustive()
        }
    }

    impl Deref for OpenStore<'_> {
        type Target = Vault;

        fn deref(&self) -> &Vault {
            let store = if self.courier {
                &self.state.courier
            } else {
                &self.state.vault
            };
            match store {
                Some(vault) => vault,
                None => unreachable!("an OpenStore is made only for an open store"),
            }
        }
    }

    impl Host {
        /// [`Host::start_with`], with `observer` seeing the loop from the first effect on.
        pub fn start_observed(
            config: HostConfig,
            clock: Box<dyn Clock>,
            entropy: Box<dyn Entropy>,
            observer: Box<dyn Observer>,
        ) -> Result<(Self, Vec<ShellRequest>), HostError> {
            let mut host = Self::build(&config, clock, entropy)?;
            host.seams.observer = Some(observer);
            let requests = host.begin(config.app);
            Ok((host, requests))
        }

        /// Run the effects held so far (the observer sees them again).
        pub fn release_held(&self) -> Vec<ShellRequest> {
            let held = std::mem::take(&mut *lock(&self.seams.held));
            self.run(held)
        }

        /// The vault, while it is unlocked.
        pub fn open_vault(&self) -> Option<OpenStore<'_>> {
            let state = self.lock();
            state.vault.is_some().then_some(OpenStore {
                state,
                courier: false,
            })
        }

        /// The courier store, once the app has used it.
        pub fn open_courier(&self) -> Option<OpenStore<'_>> {
            let state = self.lock();
            state.courier.is_some().then_some(OpenStore {
                state,
                courier: true,
            })
        }
    }
}

fn failure(e: VaultError) -> VaultFailure {
    match e {
        VaultError::WrongPin { attempts_left } => VaultFailure::WrongPin { attempts_left },
        VaultError::Wiped => VaultFailure::Wiped,
        VaultError::NotInitialised => VaultFailure::NotInitialised,
        VaultError::AlreadyInitialised => VaultFailure::AlreadyInitialised,
        other => VaultFailure::Storage(other.to_string()),
    }
}
