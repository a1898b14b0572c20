//! The courier store: the little a locked app may read, so that delivery goes on without the
//! PIN.
//!
//! It holds only what sending and polling need (sealed submissions not yet accepted, mailbox
//! tokens and polling state, mailbox entries that arrived while locked, still sealed); the app
//! decides what goes in (`app::records::CourierEntry`). It is a second [`Vault`] in the
//! `courier/` directory beside the PIN vault, with the same record format (keyed-hash names,
//! XChaCha20-Poly1305 values), under its own key:
//!
//! ```text
//! courier key = HKDF-SHA256(salt = courier.salt (32 random bytes, written at creation),
//!                           ikm  = platform secret (empty when there is none),
//!                           info = "workvoice/vault/courier-key/v1")
//! ```
//!
//! - The PIN-protected data is not weakened: the courier key is independent of the device key
//!   (random) and of the PIN's key-encryption key (HKDF of Argon2id(PIN) and the platform
//!   secret under another salt and label); knowing it tells nothing about either.
//! - With a platform secret (Android Keystore, iOS Keychain) the courier files copied off the
//!   phone are unreadable; whoever can run code as the app on the phone can read them. Without
//!   one (the command-line shell, tests) the salt file alone opens them.
//! - A wipe and a duress unlock remove it with the vault (the salt is zeroed in place first).

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use ring::hkdf;
use ring::rand::SystemRandom;
use zeroize::Zeroizing;

use super::crypto::{self, KEY_LEN, RecordKeys};
use super::{PlatformSecret, SqliteStore, Store, Vault, VaultError, meta, store};

const COURIER_DIR: &str = "courier";
const COURIER_SALT_FILE: &str = "courier.salt";
const COURIER_KEY_INFO: &[u8] = b"workvoice/vault/courier-key/v1";

fn salt_path(dir: &Path) -> PathBuf {
    dir.join(COURIER_SALT_FILE)
}

/// The salt, created when absent.
fn load_or_create_salt(dir: &Path) -> Result<[u8; KEY_LEN], VaultError> {
    let path = salt_path(dir);
    match std::fs::read(&path) {
        Ok(bytes) if bytes.len() == KEY_LEN && bytes.iter().any(|b| *b != 0) => {
            let mut salt = [0u8; KEY_LEN];
            salt.copy_from_slice(&bytes);
            return Ok(salt);
        }
        Ok(_) => {
            // A torn or zeroed salt: whatever it sealed is unreadable; start again.
            store::remove_dir_if_present(&dir.join(COURIER_DIR))?;
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            store::remove_dir_if_present(&dir.join(COURIER_DIR))?;
        }
        Err(error) => return Err(error.into()),
    }
    let salt: [u8; KEY_LEN] = crypto::random_bytes(&SystemRandom::new())?;
    let tmp = dir.join("courier.salt.tmp");
    let mut file = store::private_file_options()
        .write(true)
        .truncate(true)
        .open(&tmp)?;
    file.write_all(&salt)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, &path)?;
    store::sync_dir(dir)?;
    Ok(salt)
}

fn courier_key(
    salt: &[u8; KEY_LEN],
    platform_secret: Option<&PlatformSecret>,
) -> Result<Zeroizing<[u8; KEY_LEN]>, VaultError> {
    let ikm: &[u8] = platform_secret.map_or(&[], |s| s.as_bytes().as_slice());
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(ikm);
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    prk.expand(&[COURIER_KEY_INFO], hkdf::HKDF_SHA256)
        .and_then(|okm| okm.fill(key.as_mut_slice()))
        .map_err(|_| VaultError::Crypto)?;
    Ok(key)
}

impl Vault<SqliteStore> {
    /// Opens (creating when absent) the courier store of the vault in `dir`, without the PIN.
    /// There is none without a vault: [`VaultError::NotInitialised`].
    pub fn open_courier(
        dir: &Path,
        platform_secret: Option<&PlatformSecret>,
    ) -> Result<Self, VaultError> {
        if meta::load(dir)??.is_none() {
            return Err(VaultError::NotInitialised);
        }
        let salt = load_or_create_salt(dir)?;
        let key = courier_key(&salt, platform_secret)?;
        let store = SqliteStore::open(&dir.join(COURIER_DIR))?;
        Ok(Vault {
            store,
            keys: RecordKeys::derive(&key)?,
            rng: SystemRandom::new(),
            dir: dir.to_path_buf(),
        })
    }
}

/// Destroys the courier store of the vault in `dir`: its salt is zeroed in place, then the
/// salt and the store are deleted. Close any open courier first.
pub(crate) fn remove(dir: &Path) -> io::Result<()> {
    let path = salt_path(dir);
    if let Ok(mut file) = std::fs::OpenOptions::new().write(true).open(&path) {
        file.write_all(&[0u8; KEY_LEN])?;
        file.sync_all()?;
    }
    store::remove_file_if_present(&path)?;
    store::remove_file_if_present(&dir.join("courier.salt.tmp"))?;
    store::remove_dir_if_present(&dir.join(COURIER_DIR))
}
