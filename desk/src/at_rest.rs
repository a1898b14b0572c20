//! What the desk leaves on disk: a data directory only its owner can enter (0700) holding files
//! only its owner can read (0600), whatever the umask; the unlock file (the Argon2id salt, costs
//! and passphrase check value, none of them secret); and the sealed database.
//!
//! A store written before the database was sealed (a plain SQLite file) is rewritten sealed on
//! the first unlock with the right passphrase ([`seal_plaintext_store`]): SQLCipher exports it
//! into a new sealed file, the unlock file is written, the sealed file atomically replaces the
//! plain one, and the plain file's bytes are overwritten with zeros before it is removed. Every
//! step can be interrupted: the next unlock finishes or repeats it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{DeskError, Result};
use crate::secrets::KdfParams;

/// The unlock file, next to the database.
pub const UNLOCK_FILE: &str = "desk.unlock";
/// What every plain SQLite database file starts with; a sealed one starts with random salt.
const PLAIN_SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";
const UNLOCK_FORMAT: u32 = 1;

/// The parameters that turn the passphrase into the master key, and the sealed value that tells
/// a wrong passphrase from a damaged store. They must be readable before the database opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlockFile {
    pub format: u32,
    /// Hex.
    pub salt: String,
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// Hex of `MasterKey::check_value`.
    pub check_value: String,
}

impl UnlockFile {
    pub fn new(salt: &[u8], kdf: KdfParams, check_value: &[u8]) -> Self {
        Self {
            format: UNLOCK_FORMAT,
            salt: hex::encode(salt),
            memory_kib: kdf.memory_kib,
            iterations: kdf.iterations,
            parallelism: kdf.parallelism,
            check_value: hex::encode(check_value),
        }
    }

    pub fn kdf(&self) -> KdfParams {
        KdfParams {
            memory_kib: self.memory_kib,
            iterations: self.iterations,
            parallelism: self.parallelism,
        }
    }

    pub fn salt(&self) -> Result<Vec<u8>> {
        hex::decode(&self.salt).map_err(|_| unreadable("the salt is not hex"))
    }

    pub fn check_value(&self) -> Result<Vec<u8>> {
        hex::decode(&self.check_value).map_err(|_| unreadable("the check value is not hex"))
    }

    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(UNLOCK_FILE);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(unreadable("it is missing"));
            }
            Err(e) => return Err(e.into()),
        };
        let file: UnlockFile = serde_json::from_str(&text)
            .map_err(|e| unreadable(&format!("it is not valid: {e}")))?;
        if file.format != UNLOCK_FORMAT {
            return Err(unreadable(&format!("unknown format {}", file.format)));
        }
        Ok(file)
    }

    /// Write the file in place of any older one: a private temporary file, flushed to disk,
    /// then renamed over the old one.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let tmp = dir.join(format!("{UNLOCK_FILE}.tmp"));
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| DeskError::InvalidInput(format!("unlock file: {e}")))?;
        let _ = fs::remove_file(&tmp);
        let mut file = create_private_file(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, dir.join(UNLOCK_FILE))?;
        sync_dir(dir)
    }
}

fn unreadable(why: &str) -> DeskError {
    DeskError::UnlockFile(why.to_string())
}

/// Create `dir` (and its parents) and make it 0700.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    #[cfg(not(unix))]
    fs::create_dir_all(dir)?;
    make_private(dir)
}

/// Make the data directory 0700 and every regular file directly in it 0600 (a store created by
/// an older desk, or under a lax umask, is brought in line at each unlock).
pub fn make_private(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                fs::set_permissions(entry.path(), fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Create (or open) `path` as a file only its owner can read and write. SQLite gives a
/// database's WAL, shared-memory and journal files the mode of the database file, so creating
/// the database this way makes them 0600 too.
pub fn create_private_file(path: &Path) -> Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path)?;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
        Ok(file)
    }
    #[cfg(not(unix))]
    Ok(options.open(path)?)
}

/// Whether the database file is a plain (unsealed) SQLite database.
pub fn is_plain_sqlite(path: &Path) -> Result<bool> {
    use std::io::Read;
    let mut header = [0u8; 16];
    let mut file = fs::File::open(path)?;
    let mut read = 0;
    while read < header.len() {
        match file.read(&mut header[read..])? {
            0 => break,
            n => read += n,
        }
    }
    Ok(read == header.len() && &header == PLAIN_SQLITE_HEADER)
}

/// Overwrite a file's bytes with zeros, flush them to disk, and remove it. Best effort against
/// a later copy of the disk: journaling and copy-on-write file systems and flash translation
/// layers may keep the old blocks.
pub fn overwrite_and_remove(path: &Path) -> Result<()> {
    let len = match fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let mut file = fs::OpenOptions::new().write(true).open(path)?;
    let zeros = vec![0u8; 64 * 1024];
    let mut left = len;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        file.write_all(&zeros[..n])?;
        left -= n as u64;
    }
    file.sync_all()?;
    drop(file);
    fs::remove_file(path)?;
    Ok(())
}

pub fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// `desk.sqlite` → `desk.sqlite<suffix>`.
pub fn sibling(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The names the sealing step uses next to the database.
pub const SEALING_SUFFIX: &str = ".sealing";
pub const PLAIN_SUFFIX: &str = ".plain";

/// Remove what an interrupted sealing left behind: a half-written sealed copy, and the plain
/// store's second name (overwritten first, unless it is still the live database's own file).
pub fn clean_up_sealing(db: &Path) -> Result<()> {
    let sealing = sibling(db, SEALING_SUFFIX);
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let p = sibling(&sealing, suffix);
        if p.exists() {
            fs::remove_file(p)?;
        }
    }
    let plain = sibling(db, PLAIN_SUFFIX);
    if plain.exists() {
        if same_file(&plain, db) {
            fs::remove_file(&plain)?;
        } else {
            overwrite_and_remove(&plain)?;
        }
    }
    for suffix in ["-wal", "-shm"] {
        let p = sibling(&plain, suffix);
        if p.exists() {
            overwrite_and_remove(&p)?;
        }
    }
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (fs::metadata(a), fs::metadata(b)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        false
    }
}
