//! The desk as a library: create or unlock it, enrol it with a relay, rotate its key, sync its
//! inbox, act on cases, serve the web UI. The CLI (`main.rs`) and the demo call only this.
//!
//! One `Desk`, its methods split by aggregate: `keys.rs`, `monitoring.rs` (the directory and
//! the alarms), `sync.rs`, `evidence.rs`, `casework.rs` and `accounts.rs`. The web UI
//! (`crate::web`) calls these methods, never the store.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use workvoice_proto::directory::VerifiedDirectory;
use workvoice_proto::keys::{HpkePrivateKey, HpkePublicKey, sha256};
use workvoice_proto::system_rng::SystemRng;

use crate::at_rest::{self, UnlockFile};
use crate::error::{DeskError, Result};
use crate::secrets::{KdfParams, MasterKey, Passphrase};
use crate::store::{self, KeyRow, Store, VaultRow};

mod accounts;
mod casework;
mod escrow;
mod evidence;
mod invites;
mod keys;
mod monitoring;
mod sync;

pub use accounts::{MAX_PASSWORD_CHARS, MAX_USERNAME_CHARS, MIN_PASSWORD_CHARS, validate_username};
pub use casework::{ReferralOption, referral_refusal};
pub use escrow::{OpenedGroup, open_escrow_group, org_epoch_key};
pub use invites::{MAX_INVITES_PER_CALL, parse_invite_codes};
use keys::key_label;
pub use keys::{Enrolment, KeyInfo};
pub use sync::{SyncOptions, SyncProgress, SyncReport, open_entry};

pub const DATABASE_FILE: &str = "desk.sqlite";

/// A short, readable fingerprint of a public key for people to compare over the phone:
/// the first 16 bytes of its SHA-256 in groups of four hex digits.
pub fn fingerprint(key: &HpkePublicKey) -> String {
    let digest = sha256(&[key.as_bytes()]).to_hex();
    digest.as_bytes()[..32]
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The clock the desk checks directory freshness against (unix seconds).
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// Options of `init`.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The organisation's name, shown in the web UI.
    pub org_name: String,
    pub kdf: KdfParams,
}

impl Default for InitOptions {
    fn default() -> Self {
        Self {
            org_name: "Workvoice desk".into(),
            kdf: KdfParams::OWASP_MINIMUM,
        }
    }
}

#[derive(Clone)]
pub struct Desk {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk")
            .field("dir", &self.inner.dir)
            .finish_non_exhaustive()
    }
}

struct Inner {
    dir: PathBuf,
    store: Store,
    master: MasterKey,
    org_name: String,
    /// Newest version first.
    keyring: RwLock<Vec<(u32, HpkePrivateKey)>>,
    directory: RwLock<Option<VerifiedDirectory>>,
    sync_lock: tokio::sync::Mutex<()>,
    clock: Clock,
    login_guard: crate::login_guard::LoginGuard,
}

fn system_clock() -> Clock {
    Arc::new(store::now)
}

/// Rewrite a plain store (written before the database was sealed) as a sealed one, after the
/// passphrase is checked against its vault; a wrong passphrase changes nothing.
async fn seal_plain_store(dir: &Path, db: &Path, passphrase: &Passphrase) -> Result<()> {
    at_rest::clean_up_sealing(db)?;
    let plain = Store::open_plain(db).await?;
    let vault = match plain.vault().await {
        Ok(Some(vault)) => vault,
        Ok(None) => {
            plain.close().await;
            return Err(DeskError::NotInitialised(dir.display().to_string()));
        }
        Err(e) => {
            plain.close().await;
            return Err(e);
        }
    };
    let kdf = KdfParams {
        memory_kib: vault.memory_kib,
        iterations: vault.iterations,
        parallelism: vault.parallelism,
    };
    let master = MasterKey::derive(passphrase, &vault.salt, kdf)?;
    if let Err(e) = master.verify(&vault.check_value) {
        plain.close().await;
        return Err(e);
    }
    let sealing = at_rest::sibling(db, at_rest::SEALING_SUFFIX);
    drop(at_rest::create_private_file(&sealing)?);
    let exported = plain.export_sealed(&sealing, &master.database_key()).await;
    // Closing the last connection checkpoints the plain WAL into the plain file.
    plain.close().await;
    exported?;
    std::fs::File::open(&sealing)?.sync_all()?;
    UnlockFile::new(&vault.salt, kdf, &vault.check_value).write(dir)?;
    for suffix in ["-wal", "-shm"] {
        at_rest::overwrite_and_remove(&at_rest::sibling(db, suffix))?;
    }
    // A second name for the plain file, so its bytes can be overwritten once it is replaced.
    let plain_name = at_rest::sibling(db, at_rest::PLAIN_SUFFIX);
    std::fs::hard_link(db, &plain_name)?;
    std::fs::rename(&sealing, db)?;
    at_rest::sync_dir(dir)?;
    at_rest::overwrite_and_remove(&plain_name)?;
    tracing::warn!("the desk's store was written unsealed by an older desk; it is now sealed");
    Ok(())
}

impl Desk {
    /// Create a desk in `dir` (made 0700): the unlock file, the sealed database (0600) with the
    /// passphrase-sealed vault and key version 1.
    pub async fn init(dir: &Path, passphrase: &Passphrase, options: InitOptions) -> Result<Desk> {
        passphrase.check_strength()?;
        let name = options.org_name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(DeskError::InvalidInput(
                "the organisation name must have 1 to 200 characters".into(),
            ));
        }
        at_rest::create_private_dir(dir)?;
        let db = dir.join(DATABASE_FILE);
        if db.exists() {
            return Err(DeskError::AlreadyInitialised(dir.display().to_string()));
        }
        let mut rng = SystemRng::new();
        let mut salt = [0u8; 16];
        workvoice_proto::rand_core::Rng::fill_bytes(&mut rng, &mut salt);
        let master = MasterKey::derive(passphrase, &salt, options.kdf)?;
        let check_value = master.check_value(&mut rng);
        UnlockFile::new(&salt, options.kdf, &check_value).write(dir)?;
        let store = Store::open(&db, true, &master.database_key()).await?;
        let key = HpkePrivateKey::generate(&mut rng);
        let vault = VaultRow {
            salt: salt.to_vec(),
            memory_kib: options.kdf.memory_kib,
            iterations: options.kdf.iterations,
            parallelism: options.kdf.parallelism,
            check_value,
            org_name: name.to_string(),
        };
        let row = KeyRow {
            version: 1,
            public_key: key.public_key().to_hex(),
            sealed_private_key: master.seal(&key_label(1), key.to_bytes().as_ref(), &mut rng),
            created_at: store::now(),
        };
        store.create_vault(&vault, &row).await?;
        Ok(Desk::from_parts(
            dir,
            store,
            master,
            name.to_string(),
            vec![(1, key)],
        ))
    }

    /// Unlock an existing desk. A wrong passphrase is `DeskError::WrongPassphrase`. A store
    /// written before the database was sealed is sealed now (see `at_rest`); the directory and
    /// its files are made private.
    pub async fn open(dir: &Path, passphrase: &Passphrase) -> Result<Desk> {
        let db = dir.join(DATABASE_FILE);
        if !db.exists() {
            return Err(DeskError::NotInitialised(dir.display().to_string()));
        }
        at_rest::make_private(dir)?;
        if at_rest::is_plain_sqlite(&db)? {
            seal_plain_store(dir, &db, passphrase).await?;
        }
        at_rest::clean_up_sealing(&db)?;
        let unlock = UnlockFile::read(dir)?;
        let master = MasterKey::derive(passphrase, &unlock.salt()?, unlock.kdf())?;
        master.verify(&unlock.check_value()?)?;
        let store = Store::open(&db, false, &master.database_key()).await?;
        let vault = store
            .vault()
            .await?
            .ok_or_else(|| DeskError::NotInitialised(dir.display().to_string()))?;
        let mut keyring = Vec::new();
        for row in store.keys().await? {
            let bytes = master.open(&key_label(row.version), &row.sealed_private_key)?;
            let mut raw = [0u8; 32];
            if bytes.len() != 32 {
                return Err(DeskError::CorruptSecret);
            }
            raw.copy_from_slice(&bytes);
            let key = HpkePrivateKey::from_bytes(raw);
            if key.public_key().to_hex() != row.public_key {
                return Err(DeskError::CorruptSecret);
            }
            keyring.push((row.version, key));
        }
        Ok(Desk::from_parts(
            dir,
            store,
            master,
            vault.org_name,
            keyring,
        ))
    }

    fn from_parts(
        dir: &Path,
        store: Store,
        master: MasterKey,
        org_name: String,
        keyring: Vec<(u32, HpkePrivateKey)>,
    ) -> Desk {
        let login_guard = crate::login_guard::LoginGuard::new(store.clone());
        Desk {
            inner: Arc::new(Inner {
                dir: dir.to_path_buf(),
                store,
                master,
                org_name,
                keyring: RwLock::new(keyring),
                directory: RwLock::new(None),
                sync_lock: tokio::sync::Mutex::new(()),
                clock: system_clock(),
                login_guard,
            }),
        }
    }

    /// Replace the clock (tests and demos running in a fixture's time).
    pub fn with_clock(self, clock: Clock) -> Desk {
        match Arc::try_unwrap(self.inner) {
            Ok(mut inner) => {
                inner.clock = clock;
                Desk {
                    inner: Arc::new(inner),
                }
            }
            Err(inner) => Desk { inner },
        }
    }

    pub fn now(&self) -> u64 {
        (self.inner.clock)()
    }

    /// Sign-in delays per user name and client (the web UI's attempt limit).
    pub fn login_guard(&self) -> &crate::login_guard::LoginGuard {
        &self.inner.login_guard
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.dir
    }

    pub fn database_path(&self) -> PathBuf {
        self.inner.dir.join(DATABASE_FILE)
    }

    pub fn org_name(&self) -> &str {
        &self.inner.org_name
    }
}
