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
