//! The relay's files are private whatever the umask: its data directory is mode 0700, and the
//! SQLite database, its WAL and shared-memory files and the relay key are mode 0600.
//!
//! SQLite creates a database's `-wal` and `-shm` files with the mode of the database file, so
//! creating the database file first with mode 0600 covers all three; files made by an older
//! relay are brought down to 0600 at start.

use std::fs::{DirBuilder, OpenOptions, Permissions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

pub const DIRECTORY_MODE: u32 = 0o700;
pub const FILE_MODE: u32 = 0o600;

/// Create `dir` (and missing parents) and set its mode to 0700.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    DirBuilder::new()
        .recursive(true)
        .mode(DIRECTORY_MODE)
        .create(dir)?;
    std::fs::set_permissions(dir, Permissions::from_mode(DIRECTORY_MODE))
}

/// The file of a `sqlite:` URL, unless it is an in-memory database.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path == ":memory:" || url.contains("mode=memory") {
        return None;
    }
    Some(PathBuf::from(path))
}

/// Create the SQLite database file with mode 0600 if it is missing, and set the database, WAL
/// and shared-memory files that exist to mode 0600.
pub fn private_sqlite_files(db: &Path) -> std::io::Result<()> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(FILE_MODE)
        .open(db)?;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let path = PathBuf::from(name);
        if path.exists() {
            std::fs::set_permissions(&path, Permissions::from_mode(FILE_MODE))?;
        }
    }
    Ok(())
}

/// The file in the data directory that a serving relay holds a shared lock on, and a restore
/// an exclusive one, so that neither starts while the other runs.
pub const LOCK_FILE: &str = "relay.lock";

/// An advisory lock on the data directory's [`LOCK_FILE`], released when dropped (or when the
/// process ends, however it ends).
#[derive(Debug)]
pub struct DataDirLock {
    _file: std::fs::File,
}

/// Why the data directory could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum DataDirLockError {
    #[error("{0}")]
    Held(String),
    #[error("cannot open the lock file {0}: {1}")]
    Io(String, std::io::Error),
}

fn open_lock_file(data_dir: &Path) -> Result<(std::fs::File, PathBuf), DataDirLockError> {
    let path = data_dir.join(LOCK_FILE);
    let io = |e| DataDirLockError::Io(path.display().to_string(), e);
    private_dir(data_dir).map_err(io)?;
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(FILE_MODE)
        .open(&path)
        .map_err(io)?;
    Ok((file, path))
}

/// A serving relay's lock: shared, so that relay processes sharing a data directory (two on
/// one PostgreSQL, one host) run together; refused while a restore holds the directory.
pub fn lock_for_serving(data_dir: &Path) -> Result<DataDirLock, DataDirLockError> {
    let (file, path) = open_lock_file(data_dir)?;
    match file.try_lock_shared() {
        Ok(()) => Ok(DataDirLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(DataDirLockError::Held(format!(
            "a restore is running on the data directory {} (it holds {}); start the relay \
             once it has finished",
            data_dir.display(),
            path.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(DataDirLockError::Io(path.display().to_string(), e))
        }
    }
}

/// A restore's lock: exclusive, refused while any relay process (or another restore) holds
/// the data directory.
pub fn lock_for_restore(data_dir: &Path) -> Result<DataDirLock, DataDirLockError> {
    let (file, path) = open_lock_file(data_dir)?;
    match file.try_lock() {
        Ok(()) => Ok(DataDirLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(DataDirLockError::Held(format!(
            "a relay is running on the data directory {} (it holds {}); stop it first (for \
             the package: systemctl stop workvoice-relay), then restore",
            data_dir.display(),
            path.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(DataDirLockError::Io(path.display().to_string(), e))
        }
    }
}
