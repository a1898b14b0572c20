//! The byte-level store under the vault, and its sled implementation.
//!
//! Keys and values at this layer are opaque bytes: the vault has already replaced every logical
//! key with a keyed hash and sealed every value. The trait is deliberately small so that another
//! embedded store (redb, SQLite) can replace sled by implementing eight methods.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

/// Cache budget for sled's page cache: phones have little memory to spare.
const SLED_CACHE_BYTES: u64 = 8 * 1024 * 1024;

/// A stored key and its value.
pub type StoreEntry = (Vec<u8>, Vec<u8>);

/// An ordered key-value store the vault keeps its sealed records in.
///
/// **Contract:** a store keeps all its files under the directory it was opened at, and
/// [`Store::flush`] returns only once every earlier write is durable on disk.
pub trait Store: Sized {
    /// Opens the store at `dir`, creating it when it does not exist.
    fn open(dir: &Path) -> Result<Self, StoreError>;
    /// The value stored under `key`.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// Stores `value` under `key`, replacing any earlier value.
    fn put(&self, key: &[u8], value: &[u8]) -> Result<(), StoreError>;
    /// Removes `key`; removing an absent key is not an error.
    fn delete(&self, key: &[u8]) -> Result<(), StoreError>;
    /// Every entry whose key starts with `prefix`, in key order.
    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<StoreEntry>, StoreError>;
    /// Applies all `ops` atomically: after a crash either all of them or none are visible.
    fn apply(&self, ops: Vec<StoreOp>) -> Result<(), StoreError>;
    /// Makes every earlier write durable.
    fn flush(&self) -> Result<(), StoreError>;
    /// Closes the store and deletes its files.
    fn destroy(self) -> Result<(), StoreError>;
}

/// One write in an atomic [`Store::apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreOp {
    /// Store `value` under `key`.
    Put {
        /// Stored key.
        key: Vec<u8>,
        /// Stored value.
        value: Vec<u8>,
    },
    /// Remove `key`.
    Delete {
        /// Stored key.
        key: Vec<u8>,
    },
}

/// A failure of the storage backend.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The file system refused an operation.
    #[error("storage i/o: {0}")]
    Io(#[from] io::Error),
    /// The backend reported an error of its own (corruption, unsupported format, ...).
    #[error("storage backend: {0}")]
    Backend(String),
}

impl From<sled::Error> for StoreError {
    fn from(error: sled::Error) -> Self {
        match error {
            sled::Error::Io(io) => StoreError::Io(io),
            other => StoreError::Backend(other.to_string()),
        }
    }
}

/// [`Store`] on sled 0.34.
///
/// `sled::Db::flush` on Linux and Android ends in `sync_file_range`, which neither persists the
/// file's metadata nor asks the device to empty its write cache, and sled writes its overflow
/// "blob" files without any sync. That is enough to survive the app being killed, not a power
/// cut. So [`SledStore::flush`] additionally `fsync`s the log file, every blob file and their
/// directories; the vault benchmark measures what that costs.
#[derive(Debug)]
pub struct SledStore {
    db: sled::Db,
    dir: PathBuf,
}

impl Store for SledStore {
    fn open(dir: &Path) -> Result<Self, StoreError> {
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(SLED_CACHE_BYTES)
            .mode(sled::Mode::LowSpace)
            .open()?;
        Ok(SledStore {
            db,
            dir: dir.to_path_buf(),
        })
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.db.get(key)?.map(|value| value.to_vec()))
    }

    fn put(&self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.db.insert(key, value)?;
        Ok(())
    }

    fn delete(&self, key: &[u8]) -> Result<(), StoreError> {
        self.db.remove(key)?;
        Ok(())
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<StoreEntry>, StoreError> {
        self.db
            .scan_prefix(prefix)
            .map(|entry| {
                let (key, value) = entry?;
                Ok((key.to_vec(), value.to_vec()))
            })
            .collect()
    }

    fn apply(&self, ops: Vec<StoreOp>) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for op in ops {
            match op {
                StoreOp::Put { key, value } => batch.insert(key, value),
                StoreOp::Delete { key } => batch.remove(key),
            }
        }
        self.db.apply_batch(batch)?;
        Ok(())
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        fsync_sled_files(&self.dir)?;
        Ok(())
    }

    fn destroy(self) -> Result<(), StoreError> {
        let SledStore { db, dir } = self;
        db.clear()?;
        db.flush()?;
        drop(db);
        remove_dir_if_present(&dir)?;
        Ok(())
    }
}

fn fsync_sled_files(dir: &Path) -> io::Result<()> {
    File::open(dir.join("db"))?.sync_all()?;
    let blobs = dir.join("blobs");
    match fs::read_dir(&blobs) {
        Ok(entries) => {
            for entry in entries {
                let entry = entry?;
                // sled removes blobs that its garbage collection has released concurrently.
                match File::open(entry.path()) {
                    Ok(blob) => blob.sync_all()?,
                    Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                    Err(error) => return Err(error),
                }
            }
            File::open(&blobs)?.sync_all()?;
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    File::open(dir)?.sync_all()
}

pub(crate) fn remove_dir_if_present(dir: &Path) -> io::Result<()> {
    match fs::remove_dir_all(dir) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}
