//! Ed25519 seeds on disk: hex in a file created with mode 0600, never overwritten.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use workvoice_proto::keys::SigningKey;
use workvoice_proto::system_rng::SystemRng;
use zeroize::Zeroizing;

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0} exists already; refusing to overwrite a key")]
    Exists(String),
    #[error("{0} does not hold a 64-hex-character Ed25519 seed")]
    Malformed(String),
    #[error("{path} is readable by others (mode {mode:o}); run chmod 600 on it")]
    Permissions { path: String, mode: u32 },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyFileError + '_ {
    move |source| KeyFileError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Write `key`'s seed to a new file at `path` with mode 0600; refuse if it exists.
pub fn write_new(path: &Path, key: &SigningKey) -> Result<(), KeyFileError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Directories it has to create are private (0700) whatever the umask.
        {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(io(dir))?;
        }
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                KeyFileError::Exists(path.display().to_string())
            } else {
                io(path)(e)
            }
        })?;
    let text = Zeroizing::new(format!("{}\n", hex::encode(key.seed())));
    file.write_all(text.as_bytes()).map_err(io(path))?;
    file.sync_all().map_err(io(path))?;
    Ok(())
}

/// Read a seed written by [`write_new`]. Refuses files that group or others can read.
pub fn read(path: &Path) -> Result<SigningKey, KeyFileError> {
    let meta = std::fs::metadata(path).map_err(io(path))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyFileError::Permissions {
            path: path.display().to_string(),
            mode,
        });
    }
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(io(path))?);
    let mut seed = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(text.trim(), seed.as_mut())
        .map_err(|_| KeyFileError::Malformed(path.display().to_string()))?;
    SigningKey::from_seed(*seed).map_err(|_| KeyFileError::Malformed(path.display().to_string()))
}

/// Read the key at `path`, creating a fresh one first if there is none.
pub fn read_or_create(path: &Path) -> Result<SigningKey, KeyFileError> {
    if !path.exists() {
        let key = SigningKey::generate(&mut SystemRng::new());
        match write_new(path, &key) {
            Ok(()) => return Ok(key),
            // Another process created it first: use theirs.
            Err(KeyFileError::Exists(_)) => {}
            Err(e) => return Err(e),
        }
    }
    read(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_with_mode_0600_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/relay.key");
        let key = read_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(
            read_or_create(&path).unwrap().public_key(),
            key.public_key()
        );
        let other = SigningKey::from_seed([7; 32]).unwrap();
        assert!(matches!(
            write_new(&path, &other),
            Err(KeyFileError::Exists(_))
        ));
        assert_eq!(read(&path).unwrap().public_key(), key.public_key());
    }

    #[test]
    fn refuses_a_world_readable_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        write_new(&path, &SigningKey::from_seed([1; 32]).unwrap()).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(read(&path), Err(KeyFileError::Permissions { .. })));
    }
}
