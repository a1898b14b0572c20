//! The Oblivious HTTP gateway (RFC 9458): `POST /v1/ohttp` takes an Encapsulated Request
//! (`message/ohttp-req`), opens it with the gateway key its key identifier names, reads the
//! binary HTTP request inside (RFC 9292) and serves it through the relay's own router, so every
//! route answers through the gateway exactly as it answers directly. The answer goes back as
//! an Encapsulated Response (`message/ohttp-res`). `GET /v1/ohttp/keys` serves the key
//! configurations (`application/ohttp-keys`) for operators and tests; phones take the key from
//! the signed directory.
//!
//! The inner request carries no client address: the accept loop's [`ClientAddress`] belongs
//! to the outer hop (the OHTTP relay), and a forwarding header inside the encapsulation is
//! dropped, so per-address limits apply to the outer request only.
//!
//! Keys: a gateway key is derived (RFC 9180 `DeriveKeyPair`) from 32 random bytes kept in
//! `<data_dir>/ohttp-gateway.key` (mode 0600) with the previous key and its end of grace
//! ([`GatewayKeyState`]). The maintenance pass ([`maintain`]) rotates on schedule, forgets a
//! previous key after its grace period, and publishes a directory listing the keys accepted.
//!
//! Replay: every opened encapsulation's `enc` (the client's ephemeral public key) is
//! remembered, in memory only, as long as its key is accepted (bounded by
//! [`REPLAY_MEMORY`]); a second request with the same `enc` is refused before it reaches the
//! router.
//!
//! [`ClientAddress`]: crate::startup::ClientAddress

use std::collections::{HashSet, VecDeque};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, RwLock};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ohttp::hpke::{Aead, Kdf, Kem};
use ohttp::{KeyConfig, SymmetricSuite};
use tower::ServiceExt as _;
use workvoice_proto::api::{MAX_SUBMISSION_BYTES, RelayErrorCode};
use zeroize::Zeroizing;

use crate::admin;
use crate::configuration::Settings;
use crate::state::AppState;
use workvoice_proto::directory::Listing;
use workvoice_proto::keys::SigningKey;
use workvoice_proto::oblivious::ObliviousGateway;

/// `Content-Type` of an Encapsulated Request.
pub const REQUEST_MEDIA_TYPE: &str = "message/ohttp-req";
/// `Content-Type` of an Encapsulated Response.
pub const RESPONSE_MEDIA_TYPE: &str = "message/ohttp-res";
/// `Content-Type` of a list of key configurations.
pub const KEYS_MEDIA_TYPE: &str = "application/ohttp-keys";
/// RFC 9458 section 5.3: the request used an outdated or unknown key configuration.
pub const KEY_PROBLEM_TYPE: &str = "https://iana.org/assignments/http-problem-types#ohttp-key";

/// The largest Encapsulated Request taken: the largest inner body plus room for the binary
/// HTTP framing, the padding and the encapsulation.
pub const MAX_ENCAPSULATED_BYTES: usize = MAX_SUBMISSION_BYTES + 64 * 1024;
/// The largest inner answer encapsulated (an organisation's attachment download is the
/// largest the relay gives).
const MAX_INNER_RESPONSE_BYTES: usize = 64 * 1024 * 1024;
/// How many `enc` values the replay memory holds at most (about 50 bytes each).
pub const REPLAY_MEMORY: usize = 200_000;

/// The one suite this gateway offers: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
/// ChaCha20-Poly1305, the same primitives as the report envelope.
const KEM: Kem = Kem::X25519Sha256;
fn suites() -> Vec<SymmetricSuite> {
    vec![SymmetricSuite::new(Kdf::HkdfSha256, Aead::ChaCha20Poly1305)]
}

/// Why a gateway key file or key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum GatewayKeyError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0} does not hold a key id and 64 hex characters")]
    Malformed(String),
    #[error("{path} is readable by others (mode {mode:o}); run chmod 600 on it")]
    Permissions { path: String, mode: u32 },
    #[error("the gateway key could not be derived: {0}")]
    Derive(String),
}

/// One gateway key: its identifier and the secret it is derived from.
#[derive(Clone)]
pub struct GatewaySecret {
    pub key_id: u8,
    ikm: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for GatewaySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewaySecret")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl GatewaySecret {
    pub fn from_bytes(key_id: u8, ikm: [u8; 32]) -> Self {
        GatewaySecret {
            key_id,
            ikm: Zeroizing::new(ikm),
        }
    }

    /// A fresh key from the system's random source.
    pub fn generate(key_id: u8) -> Self {
        use ring::rand::SecureRandom;
        let mut ikm = Zeroizing::new([0u8; 32]);
        // Without the system's randomness no key is safe to make: stopping is better.
        #[allow(clippy::expect_used)]
        ring::rand::SystemRandom::new()
            .fill(ikm.as_mut())
            .expect("the operating system random generator failed");
        GatewaySecret { key_id, ikm }
    }

    fn server(&self) -> Result<ohttp::Server, GatewayKeyError> {
        let config = KeyConfig::derive(self.key_id, KEM, suites(), self.ikm.as_ref())
            .map_err(|e| GatewayKeyError::Derive(e.to_string()))?;
        ohttp::Server::new(config).map_err(|e| GatewayKeyError::Derive(e.to_string()))
    }
}

/// `<data_dir>/ohttp-gateway.key`.
pub fn key_path(data_dir: &Path) -> PathBuf {
    data_dir.join("ohttp-gateway.key")
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> GatewayKeyError + '_ {
    move |source| GatewayKeyError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The gateway's keys as kept on disk: the current one since when, and the previous one
/// until when.
#[derive(Debug, Clone)]
pub struct GatewayKeyState {
    pub current: GatewaySecret,
    /// Unix seconds the current key was made.
    pub current_since: u64,
    /// The replaced key and the Unix second after which it is refused.
    pub previous: Option<(GatewaySecret, u64)>,
}

impl GatewayKeyState {
    pub fn fresh(now: u64) -> Self {
        GatewayKeyState {
            current: GatewaySecret::generate(1),
            current_since: now,
            previous: None,
        }
    }

    /// Due at `now`: a rotation when the current key is `rotation_secs` old (0: never), and
    /// forgetting the previous key after its grace period. `None` when nothing is due.
    pub fn due(&self, now: u64, rotation_secs: u64, grace_secs: u64) -> Option<GatewayKeyState> {
        let mut next = self.clone();
        let mut changed = false;
        if next
            .previous
            .as_ref()
            .is_some_and(|(_, until)| now > *until)
        {
            next.previous = None;
            changed = true;
        }
        if rotation_secs > 0 && now >= next.current_since.saturating_add(rotation_secs) {
            next = next.rotated(now, grace_secs);
            changed = true;
        }
        changed.then_some(next)
    }

    /// A new current key with the next free key id; the current one becomes the previous,
    /// accepted until `now + grace_secs` (an older previous one is dropped).
    pub fn rotated(&self, now: u64, grace_secs: u64) -> GatewayKeyState {
        let mut next = self.clone();
        let mut id = next.current.key_id.wrapping_add(1);
        if next.previous.as_ref().is_some_and(|(p, _)| p.key_id == id) {
            id = id.wrapping_add(1);
        }
        let outgoing = std::mem::replace(&mut next.current, GatewaySecret::generate(id));
        next.previous = Some((outgoing, now.saturating_add(grace_secs)));
        next.current_since = now;
        next
    }
}

/// `workvoice-relay ohttp rotate`: rotate the key file now. Returns the new state and the
/// Unix second until which the outgoing key is accepted.
pub fn rotate_now(
    settings: &Settings,
    now: u64,
) -> Result<(GatewayKeyState, u64), GatewayKeyError> {
    let path = key_path(&settings.data_dir);
    let next = read_or_create_state(&path, now)?.rotated(now, settings.ohttp_key_grace_secs);
    write_state(&path, &next)?;
    let until = next.previous.as_ref().map_or(now, |(_, until)| *until);
    Ok((next, until))
}

/// Write `state` to `path` (mode 0600), replacing what was there atomically.
pub fn write_state(path: &Path, state: &GatewayKeyState) -> Result<(), GatewayKeyError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::files::private_dir(dir).map_err(io(dir))?;
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".new");
    let temporary = PathBuf::from(temporary);
    let _ = std::fs::remove_file(&temporary);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)
        .map_err(io(&temporary))?;
    let mut text = Zeroizing::new(format!(
        "current {} {} {}\n",
        state.current.key_id,
        hex::encode(state.current.ikm.as_ref()),
        state.current_since
    ));
    if let Some((previous, until)) = &state.previous {
        text.push_str(&format!(
            "previous {} {} {}\n",
            previous.key_id,
            hex::encode(previous.ikm.as_ref()),
            until
        ));
    }
    file.write_all(text.as_bytes()).map_err(io(&temporary))?;
    file.sync_all().map_err(io(&temporary))?;
    std::fs::rename(&temporary, path).map_err(io(path))
}

/// Read a state written by [`write_state`]; refuses a file that group or others can read.
pub fn read_state(path: &Path) -> Result<GatewayKeyState, GatewayKeyError> {
    let meta = std::fs::metadata(path).map_err(io(path))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(GatewayKeyError::Permissions {
            path: path.display().to_string(),
            mode,
        });
    }
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(io(path))?);
    let malformed = || GatewayKeyError::Malformed(path.display().to_string());
    let mut current = None;
    let mut previous = None;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [role, id, hex_ikm, at] = fields[..] else {
            return Err(malformed());
        };
        let key_id = id.parse::<u8>().map_err(|_| malformed())?;
        let at = at.parse::<u64>().map_err(|_| malformed())?;
        let mut ikm = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(hex_ikm, ikm.as_mut()).map_err(|_| malformed())?;
        let secret = GatewaySecret { key_id, ikm };
        match role {
            "current" if current.is_none() => current = Some((secret, at)),
            "previous" if previous.is_none() => previous = Some((secret, at)),
            _ => return Err(malformed()),
        }
    }
    let (current, current_since) = current.ok_or_else(malformed)?;
    Ok(GatewayKeyState {
        current,
        current_since,
        previous,
    })
}

/// The state at `path`, created first (one fresh key) if there is none.
pub fn read_or_create_state(path: &Path, now: u64) -> Result<GatewayKeyState, GatewayKeyError> {
    if !path.exists() {
        write_state(path, &GatewayKeyState::fresh(now))?;
    }
    read_state(path)
}

struct AcceptedKey {
    key_id: u8,
    server: ohttp::Server,
    /// Unix seconds after which the key is refused; `None` for the current key.
    retires_at: Option<u64>,
}

/// The keys the gateway opens requests with: the current one, and the previous one until its
/// grace period ends.
pub struct GatewayKeys {
    current: AcceptedKey,
    previous: Option<AcceptedKey>,
}

impl std::fmt::Debug for GatewayKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayKeys")
            .field("current", &self.current.key_id)
            .field("previous", &self.previous.as_ref().map(|k| k.key_id))
            .finish()
    }
}

impl GatewayKeys {
    pub fn new(secret: &GatewaySecret) -> Result<Self, GatewayKeyError> {
        Ok(GatewayKeys {
            current: AcceptedKey {
                key_id: secret.key_id,
                server: secret.server()?,
                retires_at: None,
            },
            previous: None,
        })
    }

    /// The keys of `state`: the current one, and the previous one until its grace period ends.
    pub fn from_state(state: &GatewayKeyState) -> Result<Self, GatewayKeyError> {
        let mut keys = GatewayKeys::new(&state.current)?;
        if let Some((previous, until)) = &state.previous {
            keys.previous = Some(AcceptedKey {
                key_id: previous.key_id,
                server: previous.server()?,
                retires_at: Some(*until),
            });
        }
        Ok(keys)
    }

    /// The configurations accepted at `now`, current first, each as lowercase hex: what the
    /// directory lists.
    pub fn listed_configs(&self, now: u64) -> Vec<String> {
        let mut out = vec![hex::encode(self.current_config())];
        if let Some(previous) = &self.previous
            && previous.retires_at.is_some_and(|at| now <= at)
        {
            out.push(hex::encode(
                previous.server.config().encode().unwrap_or_default(),
            ));
        }
        out
    }

    /// The current key's configuration (RFC 9458 section 3), as clients use it.
    pub fn current_config(&self) -> Vec<u8> {
        self.current.server.config().encode().unwrap_or_default()
    }

    /// The current key's identifier.
    pub fn current_key_id(&self) -> u8 {
        self.current.key_id
    }

    /// Every accepted key's configuration, current first, as `application/ohttp-keys`.
    pub fn encoded_list(&self) -> Vec<u8> {
        let mut configs = vec![self.current.server.config().clone()];
        if let Some(previous) = &self.previous {
            configs.push(previous.server.config().clone());
        }
        KeyConfig::encode_list(&configs).unwrap_or_default()
    }

    /// Make `next` the current key; the current one is accepted until `now + grace_secs`.
    pub fn rotate(
        &mut self,
        next: &GatewaySecret,
        now: u64,
        grace_secs: u64,
    ) -> Result<(), GatewayKeyError> {
        let incoming = AcceptedKey {
            key_id: next.key_id,
            server: next.server()?,
            retires_at: None,
        };
        let mut outgoing = std::mem::replace(&mut self.current, incoming);
        outgoing.retires_at = Some(now.saturating_add(grace_secs));
        self.previous = Some(outgoing);
        Ok(())
    }

    fn server_for(&self, key_id: u8, now: u64) -> Option<&ohttp::Server> {
        if self.current.key_id == key_id {
            return Some(&self.current.server);
        }
        self.previous
            .as_ref()
            .filter(|p| p.key_id == key_id && p.retires_at.is_some_and(|at| now <= at))
            .map(|p| &p.server)
    }
}

/// Encapsulations seen, by key identifier and `enc`, oldest first.
#[derive(Debug, Default)]
struct ReplayMemory {
    seen: HashSet<(u8, [u8; 32])>,
    order: VecDeque<(u8, [u8; 32])>,
}

impl ReplayMemory {
    /// Remember `(key_id, enc)`; false when it was already there.
    fn first_sight(&mut self, key_id: u8, enc: [u8; 32]) -> bool {
        if !self.seen.insert((key_id, enc)) {
            return false;
        }
        self.order.push_back((key_id, enc));
        while self.order.len() > REPLAY_MEMORY {
            if let Some(oldest) = self.order.pop_front() {
                self.seen.remove(&oldest);
            }
        }
        true
    }

    /// Forget the encapsulations of keys no longer accepted.
    fn keep_keys(&mut self, accepted: &[u8]) {
        self.order.retain(|(id, _)| accepted.contains(id));
        self.seen.retain(|(id, _)| accepted.contains(id));
    }
}

/// The gateway: its keys, its replay memory and the router it serves inner requests with.
#[derive(Debug)]
pub struct Gateway {
    keys: RwLock<GatewayKeys>,
    replay: Mutex<ReplayMemory>,
    router: OnceLock<Router>,
}

impl Gateway {
    pub fn new(keys: GatewayKeys) -> Self {
        Gateway {
            keys: RwLock::new(keys),
            replay: Mutex::default(),
            router: OnceLock::new(),
        }
    }

    /// A gateway with a fresh key that is never written anywhere (for in-process uses of the
    /// router; a running relay loads its keys with [`read_or_create_state`]).
    pub fn ephemeral() -> Self {
        // Deriving an X25519 key pair from 32 bytes does not fail.
        #[allow(clippy::expect_used)]
        let keys = GatewayKeys::new(&GatewaySecret::generate(1)).expect("an X25519 key derives");
        Self::new(keys)
    }

    /// Serve inner requests with `router` (the first router set stays).
    pub fn serve_with(&self, router: Router) {
        let _ = self.router.set(router);
    }

    /// The current key configuration.
    pub fn current_config(&self) -> Vec<u8> {
        self.keys
            .read()
            .map(|k| k.current_config())
            .unwrap_or_default()
    }

    /// Every accepted key configuration, `application/ohttp-keys`.
    pub fn encoded_list(&self) -> Vec<u8> {
        self.keys
            .read()
            .map(|k| k.encoded_list())
            .unwrap_or_default()
    }

    /// The configurations the directory lists at `now`.
    pub fn listed_configs(&self, now: u64) -> Vec<String> {
        self.keys
            .read()
            .map(|k| k.listed_configs(now))
            .unwrap_or_default()
    }

    /// Use the keys of `state` from now on (after a rotation, or one another process made).
    pub fn install(&self, state: &GatewayKeyState) -> Result<(), GatewayKeyError> {
        let keys = GatewayKeys::from_state(state)?;
        let mut accepted = vec![state.current.key_id];
        accepted.extend(state.previous.as_ref().map(|(p, _)| p.key_id));
        *self
            .keys
            .write()
            .map_err(|_| GatewayKeyError::Derive("the key lock is poisoned".into()))? = keys;
        if let Ok(mut replay) = self.replay.lock() {
            replay.keep_keys(&accepted);
        }
        Ok(())
    }

    /// Rotate to `next`, keeping the current key for `grace_secs` from `now`.
    pub fn rotate(
        &self,
        next: &GatewaySecret,
        now: u64,
        grace_secs: u64,
    ) -> Result<(), GatewayKeyError> {
        let mut keys = self
            .keys
            .write()
            .map_err(|_| GatewayKeyError::Derive("the key lock is poisoned".into()))?;
        let outgoing = keys.current.key_id;
        keys.rotate(next, now, grace_secs)?;
        drop(keys);
        if let Ok(mut replay) = self.replay.lock() {
            replay.keep_keys(&[outgoing, next.key_id]);
        }
        Ok(())
    }

    /// Open `encapsulated` at `now`: the inner request's bytes and the means to answer it.
    pub fn open(
        &self,
        encapsulated: &[u8],
        now: u64,
    ) -> Result<(Vec<u8>, ohttp::ServerResponse), GatewayRefusal> {
        // key id (1), KEM, KDF, AEAD (2 each), enc (32), at least the AEAD tag (16).
        if encapsulated.len() < 7 + 32 + 16 {
            return Err(GatewayRefusal::Undecryptable);
        }
        let key_id = encapsulated[0];
        let enc: [u8; 32] = encapsulated[7..39]
            .try_into()
            .map_err(|_| GatewayRefusal::Undecryptable)?;
        let opened = {
            let keys = self.keys.read().map_err(|_| GatewayRefusal::Internal)?;
            let server = keys
                .server_for(key_id, now)
                .ok_or(GatewayRefusal::KeyUnknown)?;
            server.decapsulate(encapsulated)
        };
        let opened = opened.map_err(|e| match e {
            ohttp::Error::KeyId | ohttp::Error::InvalidKem | ohttp::Error::Unsupported => {
                GatewayRefusal::KeyUnknown
            }
            _ => GatewayRefusal::Undecryptable,
        })?;
        let first = self
            .replay
            .lock()
            .map_err(|_| GatewayRefusal::Internal)?
            .first_sight(key_id, enc);
        if !first {
            return Err(GatewayRefusal::Replayed);
        }
        Ok(opened)
    }
}

/// What the directory lists about Oblivious HTTP at `now`: the keys `gateway` accepts and the
/// configured OHTTP relays.
pub fn listing_section(gateway: &Gateway, settings: &Settings, now: u64) -> ObliviousGateway {
    ObliviousGateway {
        key_configs: gateway.listed_configs(now),
        relays: settings.ohttp_relays.clone(),
    }
}

/// Read the key file (making it on first use) and record the section the next directory
/// lists: the keys accepted at `now` and the configured OHTTP relays. Every publication goes
/// through here first (the running relay, `directory publish`).
pub async fn record_from_file(
    storage: &crate::storage::Storage,
    settings: &Settings,
    now: u64,
) -> Result<GatewayKeyState, GatewayMaintenanceError> {
    let keys = read_or_create_state(&key_path(&settings.data_dir), now)?;
    let section = ObliviousGateway {
        key_configs: GatewayKeys::from_state(&keys)?.listed_configs(now),
        relays: settings.ohttp_relays.clone(),
    };
    admin::set_oblivious_gateway(storage, &section).await?;
    Ok(keys)
}

/// [`record_from_file`], then serve with those keys. Run at start and by [`maintain`].
pub async fn load_and_record(
    state: &AppState,
    now: u64,
) -> Result<GatewayKeyState, GatewayMaintenanceError> {
    let keys = record_from_file(&state.storage, &state.settings, now).await?;
    state.gateway.install(&keys)?;
    Ok(keys)
}

/// One maintenance step at `now`: rotate the gateway key when it is due and forget the
/// previous one after its grace period (the key file is the truth, so relay processes sharing
/// a data directory converge on it), then publish a directory when the one served does not
/// list the keys accepted now. Returns the version published, if any.
pub async fn maintain(
    state: &AppState,
    relay_key: &SigningKey,
    now: u64,
) -> Result<Option<u64>, GatewayMaintenanceError> {
    let s = &state.settings;
    let path = key_path(&s.data_dir);
    let keys = read_or_create_state(&path, now)?;
    if let Some(next) = keys.due(now, s.ohttp_key_rotation_secs, s.ohttp_key_grace_secs) {
        write_state(&path, &next)?;
        tracing::info!(
            key_id = next.current.key_id,
            "gateway key rotated or retired"
        );
    }
    load_and_record(state, now).await?;
    let section = listing_section(&state.gateway, s, now);
    let Some(latest) = state.storage.latest_directory().await? else {
        return Ok(None);
    };
    let served: Listing = serde_json::from_str(&latest.listing)
        .map_err(|e| GatewayMaintenanceError::Publish(e.to_string()))?;
    if served.oblivious.as_ref() == Some(&section) {
        return Ok(None);
    }
    let options = admin::PublishOptions {
        now,
        ttl_secs: s.directory_ttl_secs,
        pow_difficulty: s.pow_difficulty,
    };
    let listing = admin::publish_directory(&state.storage, relay_key, options)
        .await
        .map_err(|e| GatewayMaintenanceError::Publish(e.to_string()))?;
    Ok(Some(listing.version))
}

/// Why a gateway maintenance step failed.
#[derive(Debug, thiserror::Error)]
pub enum GatewayMaintenanceError {
    #[error(transparent)]
    Key(#[from] GatewayKeyError),
    #[error(transparent)]
    Admin(#[from] admin::AdminError),
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
    #[error("cannot publish the directory: {0}")]
    Publish(String),
}

/// Why the gateway refused an Encapsulated Request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayRefusal {
    KeyUnknown,
    Undecryptable,
    Replayed,
    MalformedInner,
    Internal,
}

impl IntoResponse for GatewayRefusal {
    /// `application/problem+json` (RFC 9457) carrying the relay's `error` and `message` too.
    fn into_response(self) -> Response {
        let (kind, code, message) = match self {
            GatewayRefusal::KeyUnknown => (
                KEY_PROBLEM_TYPE,
                RelayErrorCode::OhttpKeyUnknown,
                "the request names a key configuration this gateway does not accept; fetch the current one",
            ),
            GatewayRefusal::Undecryptable => (
                "about:blank",
                RelayErrorCode::OhttpUndecryptable,
                "the body is not an encapsulated request this gateway can open",
            ),
            GatewayRefusal::Replayed => (
                "about:blank",
                RelayErrorCode::OhttpReplayed,
                "this encapsulated request was received before",
            ),
            GatewayRefusal::MalformedInner => (
                "about:blank",
                RelayErrorCode::OhttpMalformedRequest,
                "the encapsulated request does not hold a binary HTTP request",
            ),
            GatewayRefusal::Internal => (
                "about:blank",
                RelayErrorCode::InternalError,
                "the relay could not complete the request",
            ),
        };
        let status = StatusCode::from_u16(code.status()).unwrap_or(StatusCode::BAD_REQUEST);
        let body = serde_json::json!({
            "type": kind,
            "title": message,
            "error": code.as_str(),
            "message": message,
        });
        let mut response = (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/problem+json"),
            )],
            body.to_string(),
        )
            .into_response();
        response
            .extensions_mut()
            .insert(crate::error::ErrorCodeTag(code.as_str().to_string()));
        response
    }
}

/// `GET /v1/ohttp/keys`.
pub async fn get_keys(State(state): State<AppState>) -> Response {
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(KEYS_MEDIA_TYPE),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("max-age=300"),
            ),
        ],
        state.gateway.encoded_list(),
    )
        .into_response()
}

/// `POST /v1/ohttp`.
pub async fn post_ohttp(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(refusal) = crate::error::require_content_type(&headers, REQUEST_MEDIA_TYPE) {
        return refusal.into_response();
    }
    let body = match crate::error::read_body(body) {
        Ok(b) => b,
        Err(refusal) => return refusal.into_response(),
    };
    let now = crate::domain::unix_now();
    let (inner, answer) = match state.gateway.open(&body, now) {
        Ok(opened) => opened,
        Err(refusal) => return refusal.into_response(),
    };
    let request = match inner_request(&inner, state.settings.client_address_header.as_deref()) {
        Ok(r) => r,
        Err(refusal) => return refusal.into_response(),
    };
    let Some(router) = state.gateway.router.get().cloned() else {
        return GatewayRefusal::Internal.into_response();
    };
    let response = match router.oneshot(request).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    let inner_answer = match binary_response(response).await {
        Ok(bytes) => bytes,
        Err(refusal) => return refusal.into_response(),
    };
    match answer.encapsulate(&inner_answer) {
        Ok(encapsulated) => (
            StatusCode::OK,
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(RESPONSE_MEDIA_TYPE),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            encapsulated,
        )
            .into_response(),
        Err(_) => GatewayRefusal::Internal.into_response(),
    }
}

/// The HTTP request a binary HTTP request (RFC 9292) describes, without anything that would
/// stand for a client address.
fn inner_request(
    bytes: &[u8],
    client_address_header: Option<&str>,
) -> Result<Request<Body>, GatewayRefusal> {
    let message = bhttp::Message::read_bhttp(&mut std::io::Cursor::new(bytes))
        .map_err(|_| GatewayRefusal::MalformedInner)?;
    let control = message.control();
    let (Some(method), Some(path)) = (control.method(), control.path()) else {
        return Err(GatewayRefusal::MalformedInner);
    };
    let method = Method::from_bytes(method).map_err(|_| GatewayRefusal::MalformedInner)?;
    let path = std::str::from_utf8(path).map_err(|_| GatewayRefusal::MalformedInner)?;
    if !path.starts_with('/') || path.starts_with("/v1/ohttp") {
        return Err(GatewayRefusal::MalformedInner);
    }
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .body(Body::from(message.content().to_vec()))
        .map_err(|_| GatewayRefusal::MalformedInner)?;
    let dropped = |name: &HeaderName| {
        name == header::HOST
            || name == header::CONTENT_LENGTH
            || name == header::TRANSFER_ENCODING
            || name.as_str() == "forwarded"
            || name.as_str() == "x-forwarded-for"
            || client_address_header.is_some_and(|h| name.as_str().eq_ignore_ascii_case(h))
    };
    for field in message.header().iter() {
        let name =
            HeaderName::from_bytes(field.name()).map_err(|_| GatewayRefusal::MalformedInner)?;
        if dropped(&name) {
            continue;
        }
        let value =
            HeaderValue::from_bytes(field.value()).map_err(|_| GatewayRefusal::MalformedInner)?;
        request.headers_mut().append(name, value);
    }
    let length = HeaderValue::from(message.content().len());
    request.headers_mut().insert(header::CONTENT_LENGTH, length);
    request.extensions_mut().insert(OpenedByGateway);
    Ok(request)
}

/// Marks a request the gateway opened and serves through the router: its bytes are part of
/// the outer request's body, whose reservation of the body budget already counts them.
#[derive(Debug, Clone, Copy)]
pub struct OpenedByGateway;

/// `response` as a known-length binary HTTP response.
async fn binary_response(response: Response) -> Result<Vec<u8>, GatewayRefusal> {
    let (parts, body) = response.into_parts();
    let content = axum::body::to_bytes(body, MAX_INNER_RESPONSE_BYTES)
        .await
        .map_err(|_| GatewayRefusal::Internal)?;
    let status =
        bhttp::StatusCode::try_from(parts.status.as_u16()).map_err(|_| GatewayRefusal::Internal)?;
    let mut message = bhttp::Message::response(status);
    for (name, value) in &parts.headers {
        if name == header::CONTENT_LENGTH || name == header::STRICT_TRANSPORT_SECURITY {
            continue;
        }
        message.put_header(name.as_str(), value.as_bytes());
    }
    message.write_content(&content);
    let mut out = Vec::with_capacity(content.len() + 256);
    message
        .write_bhttp(bhttp::Mode::KnownLength, &mut out)
        .map_err(|_| GatewayRefusal::Internal)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_is_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(&dir.path().join("data"));
        let state = read_or_create_state(&path, 100).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let again = read_or_create_state(&path, 200).unwrap();
        assert_eq!(again.current.key_id, state.current.key_id);
        assert_eq!(again.current.ikm.as_ref(), state.current.ikm.as_ref());
        assert_eq!(again.current_since, 100);
        assert!(again.previous.is_none());
        // A rotation writes both keys, and reads back the same.
        let rotated = state.due(100 + 50, 50, 30).unwrap();
        write_state(&path, &rotated).unwrap();
        let read = read_state(&path).unwrap();
        assert_eq!(read.current.key_id, 2);
        assert_eq!(read.current_since, 150);
        let (previous, until) = read.previous.unwrap();
        assert_eq!(previous.ikm.as_ref(), state.current.ikm.as_ref());
        assert_eq!(until, 180);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            read_state(&path),
            Err(GatewayKeyError::Permissions { .. })
        ));
    }

    #[test]
    fn rotation_and_retirement_fall_due_on_schedule() {
        let state = GatewayKeyState {
            current: GatewaySecret::from_bytes(255, [1; 32]),
            current_since: 1000,
            previous: None,
        };
        assert!(state.due(1099, 100, 20).is_none());
        let rotated = state.due(1100, 100, 20).unwrap();
        assert_eq!(rotated.current.key_id, 0);
        assert_eq!(
            rotated.previous.as_ref().map(|(p, t)| (p.key_id, *t)),
            Some((255, 1120))
        );
        assert!(rotated.due(1120, 100, 20).is_none());
        let retired = rotated.due(1121, 100, 20).unwrap();
        assert!(retired.previous.is_none());
        assert_eq!(retired.current.key_id, 0);
        assert!(state.due(u64::MAX, 0, 20).is_none());
    }

    #[test]
    fn the_replay_memory_is_bounded_and_forgets_retired_keys() {
        let mut memory = ReplayMemory::default();
        assert!(memory.first_sight(1, [1; 32]));
        assert!(!memory.first_sight(1, [1; 32]));
        assert!(memory.first_sight(2, [1; 32]));
        memory.keep_keys(&[2]);
        assert!(memory.first_sight(1, [1; 32]));
        assert!(!memory.first_sight(2, [1; 32]));
        for n in 0..(REPLAY_MEMORY as u32 + 10) {
            let mut enc = [0u8; 32];
            enc[..4].copy_from_slice(&n.to_be_bytes());
            memory.first_sight(3, enc);
        }
        assert!(memory.seen.len() <= REPLAY_MEMORY);
        assert_eq!(memory.seen.len(), memory.order.len());
    }
}
