//! The encrypted on-device store.
//!
//! A phone may be taken and its files copied, so nothing the vault writes reveals what it holds:
//!
//! - every value is sealed with XChaCha20-Poly1305 under a random 32-byte device key, with a
//!   random 24-byte nonce, and carries its logical key inside the ciphertext;
//! - every stored key is `HMAC(k_ns, namespace)[..16] || HMAC(k_key, namespace, key)[..16]`, so
//!   a namespace is a prefix scan but neither names nor keys appear on disk;
//! - the device key exists on disk only wrapped under `Argon2id(PIN, salt)` mixed with an
//!   optional [`PlatformSecret`] (see [`meta`] for the file and why it is not in the store).
//!
//! The records live in a [`Store`]: [`SqliteStore`] (SQLite in WAL mode, `synchronous = FULL`,
//! `secure_delete`) by default. A vault written by an earlier release on [`LogStore`] (an
//! append-only log that kept every record in memory) is migrated to it, crash-safely, when it
//! is first unlocked (see [`sqlite`]). The directories and files the vault creates are `0700`
//! and `0600` whatever the umask.
//!
//! Unlocking counts attempts durably *before* the expensive check, wipes the vault at the
//! limit, and a duress PIN opens an empty vault after destroying the real one. Both PIN slots
//! are always derived, so the duress path takes the same Argon2 time as the real one.
//!
//! A duress unlock leaves the files as an ordinary unlock does. The store is emptied in place
//! (same directory, same file sizes: SQLite keeps freed pages, zeroed), and the metadata
//! changes exactly as for the real PIN: the counter goes back to zero and the real slot is
//! wrapped again with a fresh nonce, here around the key of the new, empty vault. The duress
//! slot holds the real slot's *handover key* (a one-way derivation of the real PIN's
//! key-encryption key, see `crypto::handover_key`), and that is what the new key is wrapped
//! under: afterwards both PINs open the empty vault, and the real PIN is not refused as wrong.
//!
//! **Architecture Invariant:** plaintext (values, logical keys, namespaces) never reaches the
//! [`Store`]; the store sees only keyed hashes and ciphertext.
//!
//! Beside it, the courier store ([`courier`]) holds the little a locked app needs to go on
//! delivering, under a key that needs no PIN.
//!
//! Not hidden: the number of records per namespace and each value's length.

mod courier;
mod crypto;
pub mod logstore;
pub mod meta;
pub mod record;
pub mod sqlite;
pub mod store;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use ring::rand::SystemRandom;
use zeroize::Zeroizing;

use crypto::{KEY_LEN, RecordKeys, SecretKey};
pub use logstore::LogStore;
use meta::{KeySlot, SlotRole, WRAPPED_LEN};
pub use meta::{METADATA_LEN, Metadata, MetadataError, decode_metadata};
pub use record::{
    MAX_LOGICAL_KEY_LEN, RecordError, RecordPlaintext, SealedRecord, decode_plaintext,
    decode_record,
};
pub use sqlite::SqliteStore;
pub use store::{Store, StoreEntry, StoreError, StoreOp};

/// Wrong PIN attempts allowed before the vault wipes itself, unless configured otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 10;

/// Argon2id costs for turning a PIN into a key-encryption key: `KdfParams::OWASP_MINIMUM` on
/// phones (the same numbers as the desk's).
pub use workvoice_proto::kdf::KdfParams;

/// Settings fixed when a vault is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VaultConfig {
    /// Cost of each PIN check.
    pub kdf: KdfParams,
    /// Wrong PIN attempts before the vault wipes itself (1 to 1000).
    pub max_attempts: u32,
}

impl Default for VaultConfig {
    fn default() -> Self {
        VaultConfig {
            kdf: KdfParams::OWASP_MINIMUM,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }
}

/// A 32-byte secret held by the platform's hardware-backed key store (Android Keystore, iOS
/// Keychain with `ThisDeviceOnly`), mixed into the PIN's key-encryption key.
///
/// This is what makes an offline brute force of seized vault files infeasible: the PIN has
/// little entropy and Argon2id only slows each guess, but without this secret — which does not
/// leave the phone's secure hardware — no guess can be checked away from the phone, where the
/// attempt limit applies. When the shell wipes the vault it should also delete this secret.
pub struct PlatformSecret(SecretKey);

impl PlatformSecret {
    /// Wraps secret bytes obtained from the platform.
    pub fn new(bytes: [u8; KEY_LEN]) -> Self {
        PlatformSecret(Zeroizing::new(bytes))
    }

    pub(crate) fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for PlatformSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PlatformSecret(..)")
    }
}

/// What is on disk at a vault directory, as far as can be told without the PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VaultStatus {
    /// No vault: never created, or wiped.
    NotInitialised,
    /// A vault awaiting its PIN.
    Locked {
        /// Wrong attempts left before it wipes itself.
        attempts_left: u32,
    },
}

/// One write of an atomic [`Vault::batch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VaultOp<'a> {
    /// Store `value` under `key` in `ns`.
    Put {
        /// Namespace.
        ns: &'a str,
        /// Logical key.
        key: &'a str,
        /// Plaintext value.
        value: &'a [u8],
    },
    /// Remove `key` from `ns`.
    Delete {
        /// Namespace.
        ns: &'a str,
        /// Logical key.
        key: &'a str,
    },
}

/// Errors of the vault API.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// There is no vault in this directory.
    #[error("no vault here")]
    NotInitialised,
    /// A vault already exists in this directory.
    #[error("a vault already exists here")]
    AlreadyInitialised,
    /// The PIN is wrong; the vault wipes itself after `attempts_left` more wrong PINs.
    #[error("wrong PIN, {attempts_left} attempts left")]
    WrongPin {
        /// Wrong attempts left before the wipe.
        attempts_left: u32,
    },
    /// The attempt limit was reached and the vault has been wiped.
    #[error("too many wrong PINs: the vault was wiped")]
    Wiped,
    /// A PIN must not be empty.
    #[error("the PIN is empty")]
    EmptyPin,
    /// The duress PIN must differ from the PIN.
    #[error("the duress PIN equals the PIN")]
    DuressPinSameAsPin,
    /// Argon2 parameters outside the accepted range.
    #[error("invalid key-derivation parameters")]
    InvalidKdfParams,
    /// The attempt limit must be between 1 and 1000.
    #[error("invalid attempt limit")]
    InvalidMaxAttempts,
    /// A logical key longer than [`MAX_LOGICAL_KEY_LEN`] bytes.
    #[error("logical key too long")]
    KeyTooLong,
    /// The metadata file is damaged.
    #[error("vault metadata is corrupt: {0}")]
    CorruptMetadata(#[from] MetadataError),
    /// A stored record is damaged or was tampered with.
    #[error("vault record is corrupt: {0}")]
    CorruptRecord(#[from] RecordError),
    /// The storage backend failed.
    #[error(transparent)]
    Storage(#[from] StoreError),
    /// Reading or writing the metadata file failed.
    #[error("vault file i/o: {0}")]
    Io(#[from] io::Error),
    /// The system random number generator failed.
    #[error("system random number generator failed")]
    Random,
    /// A cryptographic primitive refused its input (never expected).
    #[error("cryptographic failure")]
    Crypto,
}

/// The unlocked vault: a namespaced map from logical keys to values, sealed at rest.
///
/// Writes become durable at the next [`Vault::flush`]: flush before telling the worker that a
/// report is saved. Hold one `Vault` per directory (it is `Send + Sync`; share it): unlocking
/// again while one is open fails on the store's lock, and a duress unlock would delete files
/// from under the open one.
pub struct Vault<S: Store = SqliteStore> {
    store: S,
    keys: RecordKeys,
    rng: SystemRandom,
    dir: PathBuf,
}

impl<S: Store> fmt::Debug for Vault<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Vault<SqliteStore> {
    /// Creates a vault in `dir` protected by `pin`, and opens it.
    ///
    /// `duress_pin`, when given, is a second PIN that silently destroys this vault and opens an
    /// empty one instead (see [`Vault::unlock`]). A directory holding a damaged vault gives
    /// [`VaultError::CorruptMetadata`]: [`Vault::wipe_dir`] it first.
    pub fn create(
        dir: &Path,
        pin: &str,
        duress_pin: Option<&str>,
        platform_secret: Option<&PlatformSecret>,
        config: &VaultConfig,
    ) -> Result<Self, VaultError> {
        Self::create_with_store(dir, pin, duress_pin, platform_secret, config)
    }

    /// Opens the vault in `dir` with `pin`.
    ///
    /// - The attempt counter is incremented and synced to disk before the PIN is checked, so
    ///   killing the app during the check does not give a free guess; a correct PIN resets it.
    /// - A wrong PIN gives [`VaultError::WrongPin`]; the one that reaches the limit wipes the
    ///   vault and gives [`VaultError::Wiped`].
    /// - The duress PIN destroys the wrapped device key and the data, then returns an empty
    ///   vault that from now on opens with either PIN, exactly as a real unlock would. Both
    ///   paths run both Argon2 derivations; after them, each rewrites the metadata file the
    ///   same way and opens the same store directory, which the duress path empties in place
    ///   (one SQLite transaction and a checkpoint, the only extra work).
    pub fn unlock(
        dir: &Path,
        pin: &str,
        platform_secret: Option<&PlatformSecret>,
    ) -> Result<Self, VaultError> {
        Self::unlock_with_store(dir, pin, platform_secret)
    }

    /// Whether `dir` holds a vault, and how many PIN attempts it has left.
    pub fn status(dir: &Path) -> Result<VaultStatus, VaultError> {
        match meta::load(dir)?? {
            None => Ok(VaultStatus::NotInitialised),
            Some(metadata) => Ok(VaultStatus::Locked {
                attempts_left: metadata.attempts_left(),
            }),
        }
    }

    /// Destroys whatever vault is in `dir` without needing its PIN (a "forgot PIN, start
    /// over" action, or a wipe from Settings while locked).
    pub fn wipe_dir(dir: &Path) -> Result<(), VaultError> {
        wipe_files(dir)
    }
}

impl<S: Store> Vault<S> {
    /// [`Vault::create`] over any [`Store`].
    pub fn create_with_store(
        dir: &Path,
        pin: &str,
        duress_pin: Option<&str>,
        platform_secret: Option<&PlatformSecret>,
        config: &VaultConfig,
    ) -> Result<Self, VaultError> {
        if pin.is_empty() || duress_pin.is_some_and(str::is_empty) {
            return Err(VaultError::EmptyPin);
        }
        if duress_pin == Some(pin) {
            return Err(VaultError::DuressPinSameAsPin);
        }
        if !meta::kdf_in_range(&config.kdf) {
            return Err(VaultError::InvalidKdfParams);
        }
        if !(1..=meta::MAX_ATTEMPTS_LIMIT).contains(&config.max_attempts) {
            return Err(VaultError::InvalidMaxAttempts);
        }
        store::create_private_dir(dir)?;
        if meta::load(dir)??.is_some() {
            return Err(VaultError::AlreadyInitialised);
        }
        remove_store_dirs(dir, None);
        courier::remove(dir)?;

        let rng = SystemRandom::new();
        let device_key = crypto::random_key(&rng)?;
        let mut metadata = Metadata {
            kdf: config.kdf,
            max_attempts: config.max_attempts,
            failed_attempts: 0,
            store_id: crypto::random_bytes(&rng)?,
            slots: [random_slot(&rng)?, random_slot(&rng)?],
        };
        let primary = usize::from(crypto::random_bytes::<1>(&rng)?[0] & 1);
        let primary_kek = seal_slot(
            &mut metadata,
            primary,
            pin,
            platform_secret,
            SlotRole::Primary,
            &device_key,
            &rng,
        )?;
        if let Some(duress_pin) = duress_pin {
            seal_slot(
                &mut metadata,
                1 - primary,
                duress_pin,
                platform_secret,
                SlotRole::Duress,
                &*crypto::handover_key(&primary_kek)?,
                &rng,
            )?;
        }
        meta::save(dir, &metadata)?;
        Self::open_store(dir, &metadata, &device_key, rng, StoreCheck::Keep)
    }

    /// [`Vault::unlock`] over any [`Store`].
    pub fn unlock_with_store(
        dir: &Path,
        pin: &str,
        platform_secret: Option<&PlatformSecret>,
    ) -> Result<Self, VaultError> {
        let mut metadata = meta::load(dir)??.ok_or(VaultError::NotInitialised)?;
        if metadata.failed_attempts >= metadata.max_attempts {
            wipe_files(dir)?;
            return Err(VaultError::Wiped);
        }
        metadata.failed_attempts += 1;
        meta::save(dir, &metadata)?;

        // Both slots are always derived and tried, under both keys, whichever matches.
        let keks = [
            crypto::derive_kek(pin, &metadata.slots[0].salt, &metadata.kdf, platform_secret)?,
            crypto::derive_kek(pin, &metadata.slots[1].salt, &metadata.kdf, platform_secret)?,
        ];
        let handovers = [
            crypto::handover_key(&keks[0])?,
            crypto::handover_key(&keks[1])?,
        ];
        let rng = SystemRandom::new();
        let mut unlocked = None;
        let mut duress = None;
        for index in 0..2 {
            for key in [&keks[index], &handovers[index]] {
                match open_slot(&metadata, index, key) {
                    Some((SlotRole::Primary, device_key)) => {
                        unlocked = Some((index, key.clone(), device_key));
                    }
                    Some((SlotRole::Duress, real_handover)) => {
                        duress = Some((1 - index, real_handover));
                    }
                    None => {}
                }
            }
        }
        // The duress PIN carries the real slot's handover key. Once a duress reset has wrapped
        // the new vault's key under it, the duress PIN opens that vault like any PIN.
        let mut check = StoreCheck::Keep;
        if let Some((real, real_handover)) = duress {
            unlocked = Some(match open_slot(&metadata, real, &real_handover) {
                Some((SlotRole::Primary, device_key)) => (real, real_handover, device_key),
                _ => {
                    check = StoreCheck::Discard;
                    (real, real_handover, crypto::random_key(&rng)?)
                }
            });
        }
        match unlocked {
            Some((index, wrapping_key, device_key)) => {
                // Whichever PIN it was, the metadata changes the same way: the counter is reset
                // and the real slot is wrapped again under the same key with a fresh nonce. For
                // the duress PIN, that same step wraps the key of a new, empty vault and so
                // destroys the real one (the previous metadata is zeroed in place).
                metadata.failed_attempts = 0;
                if check == StoreCheck::Discard {
                    // What the courier would still send belongs to the destroyed vault: gone
                    // before the key is, so a kill in between cannot leave it to be sent.
                    let _ = courier::remove(dir);
                }
                wrap_slot(
                    &mut metadata,
                    index,
                    &wrapping_key,
                    SlotRole::Primary,
                    &device_key,
                    &rng,
                )?;
                meta::save(dir, &metadata)?;
                Self::open_store(dir, &metadata, &device_key, rng, check)
            }
            None if metadata.failed_attempts >= metadata.max_attempts => {
                wipe_files(dir)?;
                Err(VaultError::Wiped)
            }
            None => Err(VaultError::WrongPin {
                attempts_left: metadata.attempts_left(),
            }),
        }
    }

    fn open_store(
        dir: &Path,
        metadata: &Metadata,
        device_key: &[u8; KEY_LEN],
        rng: SystemRandom,
        check: StoreCheck,
    ) -> Result<Self, VaultError> {
        let store_dir = meta::store_dir(dir, &metadata.store_id);
        // A vault copied in (or made by an earlier release) with the umask's modes.
        store::create_private_dir(dir)?;
        remove_store_dirs(dir, Some(&store_dir));
        let store = S::open(&store_dir)?;
        let keys = RecordKeys::derive(device_key)?;
        claim_store(&store, &keys, &rng, check)?;
        Ok(Vault {
            store,
            keys,
            rng,
            dir: dir.to_path_buf(),
        })
    }

    /// Stores `value` under `key` in namespace `ns`, replacing any earlier value.
    pub fn put(&self, ns: &str, key: &str, value: &[u8]) -> Result<(), VaultError> {
        let stored_key = self.keys.stored_key(ns, key);
        let sealed = self.keys.seal(&self.rng, &stored_key, key, value)?;
        self.store.put(&stored_key, &sealed)?;
        Ok(())
    }

    /// The value under `key` in `ns`.
    pub fn get(&self, ns: &str, key: &str) -> Result<Option<Vec<u8>>, VaultError> {
        let stored_key = self.keys.stored_key(ns, key);
        let Some(sealed) = self.store.get(&stored_key)? else {
            return Ok(None);
        };
        let (stored_logical_key, value) = self.keys.open(&stored_key, &sealed)?;
        if stored_logical_key != key {
            return Err(RecordError::KeyMismatch.into());
        }
        Ok(Some(value))
    }

    /// Removes `key` from `ns`; removing an absent key is not an error.
    pub fn delete(&self, ns: &str, key: &str) -> Result<(), VaultError> {
        self.store.delete(&self.keys.stored_key(ns, key))?;
        Ok(())
    }

    /// Every key and value in `ns`, sorted by key. Fails if any record is corrupt.
    pub fn list(&self, ns: &str) -> Result<Vec<(String, Vec<u8>)>, VaultError> {
        let mut entries = self
            .store
            .scan_prefix(&self.keys.namespace_tag(ns))?
            .into_iter()
            .map(|(stored_key, sealed)| self.keys.open(&stored_key, &sealed))
            .collect::<Result<Vec<_>, _>>()?;
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(entries)
    }

    /// Applies `ops` atomically: after a crash, all or none of them are visible.
    pub fn batch(&self, ops: &[VaultOp<'_>]) -> Result<(), VaultError> {
        let store_ops = ops
            .iter()
            .map(|op| match *op {
                VaultOp::Put { ns, key, value } => {
                    let stored_key = self.keys.stored_key(ns, key);
                    let sealed = self.keys.seal(&self.rng, &stored_key, key, value)?;
                    Ok(StoreOp::Put {
                        key: stored_key.to_vec(),
                        value: sealed,
                    })
                }
                VaultOp::Delete { ns, key } => Ok(StoreOp::Delete {
                    key: self.keys.stored_key(ns, key).to_vec(),
                }),
            })
            .collect::<Result<Vec<_>, VaultError>>()?;
        self.store.apply(store_ops)?;
        Ok(())
    }

    /// Makes every earlier write durable.
    pub fn flush(&self) -> Result<(), VaultError> {
        self.store.flush()?;
        Ok(())
    }

    /// Decrypts every record in every namespace; returns how many there are (not counting the
    /// vault's own mark), or the first corrupt one's error.
    pub fn verify_records(&self) -> Result<usize, VaultError> {
        let owner = self.keys.stored_key(OWNER_NS, OWNER_KEY);
        let mut count = 0;
        for (stored_key, sealed) in &self.store.scan_prefix(&[])? {
            self.keys.open(stored_key, sealed)?;
            count += usize::from(stored_key.as_slice() != owner.as_slice());
        }
        Ok(count)
    }

    /// Destroys the vault: the wrapped device key is zeroed in place, then the data deleted.
    pub fn wipe(self) -> Result<(), VaultError> {
        let Vault { store, dir, .. } = self;
        meta::erase(&dir)?;
        store.destroy()?;
        wipe_files(&dir)
    }
}

/// What `Vault::open_store` does with the records it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StoreCheck {
    /// A duress reset: they belong to the destroyed vault.
    Discard,
    /// Keep them, unless not one of them opens under the device key.
    Keep,
}

/// Namespace and key of the record that marks a store as written under the current device key.
const OWNER_NS: &str = "\0vault";
const OWNER_KEY: &str = "owner";

/// Makes sure every record in `store` belongs to this vault, and marks the store as its own.
///
/// A duress reset empties the store in place (its directory keeps its name and its files their
/// size) after destroying the old key. A kill between the two leaves the old records, which no
/// longer open; the mark tells them apart from records that were tampered with. A store without
/// the mark of this key (written by an earlier release, or left by a reset cut short) is kept
/// if any of its records opens, and emptied otherwise, so that a damaged or swapped record in
/// the vault's own store is still reported (by `get`, `list` or [`Vault::verify_records`]).
fn claim_store<S: Store>(
    store: &S,
    keys: &RecordKeys,
    rng: &SystemRandom,
    check: StoreCheck,
) -> Result<(), VaultError> {
    let owner = keys.stored_key(OWNER_NS, OWNER_KEY);
    match check {
        StoreCheck::Discard => store.clear()?,
        StoreCheck::Keep => {
            if store.get(&owner)?.is_some() {
                return Ok(());
            }
            let first_opens = match store.first()? {
                None => true,
                Some((stored_key, sealed)) => keys.open(&stored_key, &sealed).is_ok(),
            };
            if !first_opens
                && !store
                    .scan_prefix(&[])?
                    .iter()
                    .any(|(stored_key, sealed)| keys.open(stored_key, sealed).is_ok())
            {
                store.clear()?;
            }
        }
    }
    store.put(&owner, &keys.seal(rng, &owner, OWNER_KEY, &[])?)?;
    store.flush()?;
    Ok(())
}

fn random_slot(rng: &SystemRandom) -> Result<KeySlot, VaultError> {
    Ok(KeySlot {
        salt: crypto::random_bytes(rng)?,
        nonce: crypto::random_bytes(rng)?,
        wrapped: crypto::random_bytes(rng)?,
    })
}

/// Wraps `key` in slot `index` under a fresh salt for `pin`; returns the key-encryption key.
fn seal_slot(
    metadata: &mut Metadata,
    index: usize,
    pin: &str,
    platform_secret: Option<&PlatformSecret>,
    role: SlotRole,
    key: &[u8; KEY_LEN],
    rng: &SystemRandom,
) -> Result<SecretKey, VaultError> {
    let salt = crypto::random_bytes(rng)?;
    let kek = crypto::derive_kek(pin, &salt, &metadata.kdf, platform_secret)?;
    metadata.slots[index].salt = salt;
    wrap_slot(metadata, index, &kek, role, key, rng)?;
    Ok(kek)
}

fn wrap_slot(
    metadata: &mut Metadata,
    index: usize,
    kek: &[u8; KEY_LEN],
    role: SlotRole,
    key: &[u8; KEY_LEN],
    rng: &SystemRandom,
) -> Result<(), VaultError> {
    let mut plaintext = Zeroizing::new([0u8; 1 + KEY_LEN]);
    plaintext[0] = role as u8;
    plaintext[1..].copy_from_slice(key);
    let nonce = crypto::random_bytes(rng)?;
    let wrapped = crypto::wrap(kek, &nonce, &metadata.slot_aad(index), plaintext.as_slice())?;
    let wrapped: [u8; WRAPPED_LEN] = wrapped.try_into().map_err(|_| VaultError::Crypto)?;
    metadata.slots[index].nonce = nonce;
    metadata.slots[index].wrapped = wrapped;
    Ok(())
}

fn open_slot(
    metadata: &Metadata,
    index: usize,
    kek: &[u8; KEY_LEN],
) -> Option<(SlotRole, SecretKey)> {
    let slot = &metadata.slots[index];
    let plaintext = crypto::unwrap(kek, &slot.nonce, &metadata.slot_aad(index), &slot.wrapped)?;
    let (&role, key) = plaintext.split_first()?;
    let role = SlotRole::from_byte(role)?;
    let key: [u8; KEY_LEN] = key.try_into().ok()?;
    Some((role, Zeroizing::new(key)))
}

/// Zeroes and deletes the metadata, then deletes every store directory.
fn wipe_files(dir: &Path) -> Result<(), VaultError> {
    match meta::erase(dir) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error.into()),
        _ => {}
    }
    for store_dir in meta::stale_store_dirs(dir, None)? {
        store::remove_dir_if_present(&store_dir)?;
    }
    courier::remove(dir)?;
    Ok(())
}

/// Best-effort removal of store directories other than `keep`.
fn remove_store_dirs(dir: &Path, keep: Option<&Path>) {
    if let Ok(stale) = meta::stale_store_dirs(dir, keep) {
        for store_dir in stale {
            let _ = store::remove_dir_if_present(&store_dir);
        }
    }
}
