//! The byte-level store under the vault, and the file-system helpers its engines share.
//!
//! Keys and values at this layer are opaque bytes: the vault has already replaced every logical
//! key with a keyed hash and sealed every value. The trait is deliberately small so that another
//! embedded store can replace SQLite by implementing eight methods (two more have defaults).

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::Path;

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

    /// The entry with the lowest key.
    fn first(&self) -> Result<Option<StoreEntry>, StoreError> {
        Ok(self.scan_prefix(&[])?.into_iter().next())
    }

    /// Removes every entry in one atomic, durable write, keeping the store's files where they
    /// are: a duress reset empties the store in place rather than making a new one.
    fn clear(&self) -> Result<(), StoreError> {
        let ops = self
            .scan_prefix(&[])?
            .into_iter()
            .map(|(key, _)| StoreOp::Delete { key })
            .collect();
        self.apply(ops)?;
        self.flush()
    }
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

pub(crate) fn remove_dir_if_present(dir: &Path) -> io::Result<()> {
    match fs::remove_dir_all(dir) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

pub(crate) fn remove_file_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Creates `dir` (and any missing parent) readable by its owner only, whatever the umask, and
/// makes an existing `dir` so: the vault's directory holds nothing for anyone else.
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    {
        fs::create_dir_all(dir)
    }
}

/// Options that create a missing file readable and writable by its owner only (`0600`), whatever
/// the umask.
pub(crate) fn private_file_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}
