//! The vault's metadata record: KDF parameters, attempt counter and the two wrapped-key slots.
//!
//! It lives in its own small file beside the store directory rather than under a reserved
//! store key, because the file can be destroyed in place. A storage engine keeps old versions
//! of a rewritten key around for a while (in a log segment, a write-ahead log, a free page), so
//! a wipe could not be sure an old wrapped device key is gone. A 239-byte file we own can be overwritten with zeros and synced before it is unlinked, and
//! replacing it is the classic atomic sequence:
//!
//! 1. write `meta.tmp` and `fsync` it;
//! 2. overwrite the current `meta` with zeros in place and `fsync` it (so no older wrapped key
//!    lingers in an unlinked inode);
//! 3. `rename` `meta.tmp` over `meta` and `fsync` the directory.
//!
//! On load, a `meta.tmp` that decodes (it carries a SHA-256 checksum, so a torn write does
//! not) is the newest intended state and the sequence is completed; one that does not decode
//! is discarded. A `meta` that is all zeros is a wipe that was interrupted, and is finished.
//!
//! Flash storage (f2fs, wear-levelling controllers) may keep old blocks even after an in-place
//! overwrite; against a forensic read of the chip, what protects the key is the platform
//! secret held by the Keystore or Keychain (see [`super::PlatformSecret`]).
//!
//! ```text
//! version u8 = 1 | memory_kib u32 | iterations u32 | parallelism u32 | max_attempts u32
//! | failed_attempts u32 | store_id [8] | slot 0 | slot 1 | SHA-256 of all preceding bytes [32]
//! slot = salt [16] | nonce [24] | XChaCha20-Poly1305(role u8 || device key [32]) [49]
//! ```
//!
//! Both slots are always present. A slot without a PIN holds random bytes, which cannot be told
//! apart from a sealed one, so the file does not reveal whether a duress PIN exists, nor which
//! slot is the real one (their order is random).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use ring::digest;

use super::KdfParams;
use super::crypto::KEY_LEN;
use super::record::{AEAD_TAG_LEN, NONCE_LEN};

/// Format version of the metadata file.
pub const METADATA_VERSION: u8 = 1;
/// Argon2id salt length.
pub const SALT_LEN: usize = 16;
/// Length of the identifier that names the current store directory.
pub const STORE_ID_LEN: usize = 8;
/// Length of a wrapped slot payload: role byte, device key, tag.
pub const WRAPPED_LEN: usize = 1 + KEY_LEN + AEAD_TAG_LEN;
const SLOT_LEN: usize = SALT_LEN + NONCE_LEN + WRAPPED_LEN;
const HEADER_LEN: usize = 1 + 5 * 4 + STORE_ID_LEN;
const CHECKSUM_LEN: usize = 32;
/// Exact length of an encoded metadata file.
pub const METADATA_LEN: usize = HEADER_LEN + 2 * SLOT_LEN + CHECKSUM_LEN;

/// Upper bounds that keep a tampered file from making unlock allocate or spin without limit.
pub(crate) const MAX_MEMORY_KIB: u32 = 256 * 1024;
pub(crate) const MAX_ITERATIONS: u32 = 64;
pub(crate) const MAX_PARALLELISM: u32 = 8;
pub(crate) const MAX_ATTEMPTS_LIMIT: u32 = 1000;

const META_FILE: &str = "meta";
const META_TMP_FILE: &str = "meta.tmp";
const STORE_DIR_PREFIX: &str = "s-";

/// What a wrapped slot unlocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SlotRole {
    Primary = 1,
    Duress = 2,
}

impl SlotRole {
    pub(crate) fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(SlotRole::Primary),
            2 => Some(SlotRole::Duress),
            _ => None,
        }
    }
}

/// One wrapped-key slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySlot {
    pub(crate) salt: [u8; SALT_LEN],
    pub(crate) nonce: [u8; NONCE_LEN],
    pub(crate) wrapped: [u8; WRAPPED_LEN],
}

/// The decoded metadata file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    pub(crate) kdf: KdfParams,
    pub(crate) max_attempts: u32,
    pub(crate) failed_attempts: u32,
    pub(crate) store_id: [u8; STORE_ID_LEN],
    pub(crate) slots: [KeySlot; 2],
}

/// Why a metadata file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataError {
    /// Not exactly [`METADATA_LEN`] bytes long.
    #[error("metadata has length {0}, expected {METADATA_LEN}")]
    Length(usize),
    /// Written by a format this build does not know.
    #[error("unknown metadata version {0}")]
    UnknownVersion(u8),
    /// The checksum does not match: a torn or altered file.
    #[error("metadata checksum mismatch")]
    Checksum,
    /// KDF parameters or attempt limit outside the accepted range.
    #[error("metadata parameters out of range")]
    OutOfRange,
}

impl Metadata {
    /// Attempts left before the vault wipes itself.
    pub fn attempts_left(&self) -> u32 {
        self.max_attempts.saturating_sub(self.failed_attempts)
    }

    /// Associated data that binds a slot to the parameters it was sealed with.
    pub(crate) fn slot_aad(&self, index: usize) -> Vec<u8> {
        let mut aad = Vec::with_capacity(HEADER_LEN);
        aad.push(METADATA_VERSION);
        aad.extend_from_slice(&self.kdf.memory_kib.to_be_bytes());
        aad.extend_from_slice(&self.kdf.iterations.to_be_bytes());
        aad.extend_from_slice(&self.kdf.parallelism.to_be_bytes());
        aad.extend_from_slice(&self.max_attempts.to_be_bytes());
        aad.extend_from_slice(&self.store_id);
        aad.push(u8::try_from(index).unwrap_or(u8::MAX));
        aad
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(METADATA_LEN);
        out.push(METADATA_VERSION);
        for field in [
            self.kdf.memory_kib,
            self.kdf.iterations,
            self.kdf.parallelism,
            self.max_attempts,
            self.failed_attempts,
        ] {
            out.extend_from_slice(&field.to_be_bytes());
        }
        out.extend_from_slice(&self.store_id);
        for slot in &self.slots {
            out.extend_from_slice(&slot.salt);
            out.extend_from_slice(&slot.nonce);
            out.extend_from_slice(&slot.wrapped);
        }
        let checksum = digest::digest(&digest::SHA256, &out);
        out.extend_from_slice(checksum.as_ref());
        out
    }
}

/// Decodes a metadata file. Never panics and never allocates: a fuzzing entry point.
pub fn decode_metadata(bytes: &[u8]) -> Result<Metadata, MetadataError> {
    let bytes: &[u8; METADATA_LEN] = bytes
        .try_into()
        .map_err(|_| MetadataError::Length(bytes.len()))?;
    let (body, checksum) = bytes.split_at(METADATA_LEN - CHECKSUM_LEN);
    if bytes[0] != METADATA_VERSION {
        return Err(MetadataError::UnknownVersion(bytes[0]));
    }
    if digest::digest(&digest::SHA256, body).as_ref() != checksum {
        return Err(MetadataError::Checksum);
    }
    let mut reader = Reader { rest: &body[1..] };
    let kdf = KdfParams {
        memory_kib: reader.u32(),
        iterations: reader.u32(),
        parallelism: reader.u32(),
    };
    let max_attempts = reader.u32();
    let failed_attempts = reader.u32();
    let store_id = reader.array();
    let mut slot = || KeySlot {
        salt: reader.array(),
        nonce: reader.array(),
        wrapped: reader.array(),
    };
    let slots = [slot(), slot()];
    if !kdf_in_range(&kdf) || max_attempts == 0 || max_attempts > MAX_ATTEMPTS_LIMIT {
        return Err(MetadataError::OutOfRange);
    }
    Ok(Metadata {
        kdf,
        max_attempts,
        failed_attempts,
        store_id,
        slots,
    })
}

pub(crate) fn kdf_in_range(kdf: &KdfParams) -> bool {
    (1..=MAX_PARALLELISM).contains(&kdf.parallelism)
        && (1..=MAX_ITERATIONS).contains(&kdf.iterations)
        && kdf.memory_kib >= 8 * kdf.parallelism
        && kdf.memory_kib <= MAX_MEMORY_KIB
}

/// Reads fixed-size fields from a body whose total length was checked beforehand; a read past
/// the end yields zeros instead of panicking.
struct Reader<'a> {
    rest: &'a [u8],
}

impl Reader<'_> {
    fn array<const N: usize>(&mut self) -> [u8; N] {
        match self.rest.split_first_chunk::<N>() {
            Some((head, tail)) => {
                self.rest = tail;
                *head
            }
            None => [0; N],
        }
    }

    fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.array())
    }
}

/// Reads the metadata (`None`: no vault), first completing any replacement or wipe that a crash
/// interrupted.
pub(crate) fn load(dir: &Path) -> io::Result<Result<Option<Metadata>, MetadataError>> {
    let tmp = dir.join(META_TMP_FILE);
    let meta = dir.join(META_FILE);
    match read_bounded(&tmp) {
        Ok(bytes) if decode_metadata(&bytes).is_ok() => {
            zero_in_place(&meta)?;
            fs::rename(&tmp, &meta)?;
            sync_dir(dir)?;
        }
        Ok(_) => remove_file_if_present(&tmp)?,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    let bytes = match read_bounded(&meta) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Ok(None)),
        Err(error) => return Err(error),
    };
    if bytes.iter().all(|&byte| byte == 0) {
        remove_file_if_present(&meta)?;
        sync_dir(dir)?;
        return Ok(Ok(None));
    }
    Ok(decode_metadata(&bytes).map(Some))
}

/// Atomically replaces the metadata file with `metadata`, zeroing the previous one in place.
pub(crate) fn save(dir: &Path, metadata: &Metadata) -> io::Result<()> {
    let tmp = dir.join(META_TMP_FILE);
    let meta = dir.join(META_FILE);
    let mut file = super::store::private_file_options()
        .write(true)
        .truncate(true)
        .open(&tmp)?;
    file.write_all(&metadata.encode())?;
    file.sync_all()?;
    drop(file);
    zero_in_place(&meta)?;
    fs::rename(&tmp, &meta)?;
    sync_dir(dir)
}

/// Destroys the metadata file: zeroed in place, synced, then unlinked.
pub(crate) fn erase(dir: &Path) -> io::Result<()> {
    let meta = dir.join(META_FILE);
    let tmp = dir.join(META_TMP_FILE);
    zero_in_place(&tmp)?;
    remove_file_if_present(&tmp)?;
    zero_in_place(&meta)?;
    remove_file_if_present(&meta)?;
    sync_dir(dir)
}

/// The directory of the store named by `store_id`.
pub(crate) fn store_dir(dir: &Path, store_id: &[u8; STORE_ID_LEN]) -> PathBuf {
    let mut name = String::from(STORE_DIR_PREFIX);
    for byte in store_id {
        name.push_str(&format!("{byte:02x}"));
    }
    dir.join(name)
}

/// Store directories under `dir` other than `keep`: leftovers of a wipe or duress reset that a
/// crash interrupted.
pub(crate) fn stale_store_dirs(dir: &Path, keep: Option<&Path>) -> io::Result<Vec<PathBuf>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let mut stale = Vec::new();
    for entry in entries {
        let entry = entry?;
        let is_store = entry
            .file_name()
            .to_str()
            .is_some_and(|name| name.starts_with(STORE_DIR_PREFIX));
        let path = entry.path();
        if is_store && entry.file_type()?.is_dir() && Some(path.as_path()) != keep {
            stale.push(path);
        }
    }
    Ok(stale)
}

/// Reads at most a little more than a metadata file's length, so that a huge file planted in
/// the vault directory cannot make loading allocate without bound.
fn read_bounded(path: &Path) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(METADATA_LEN);
    File::open(path)?
        .take(METADATA_LEN as u64 + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn zero_in_place(path: &Path) -> io::Result<()> {
    let mut file = match OpenOptions::new().write(true).open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    let length = usize::try_from(file.metadata()?.len()).unwrap_or(METADATA_LEN);
    file.write_all(&vec![0u8; length.min(1 << 20)])?;
    file.sync_all()
}

fn remove_file_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Metadata {
        Metadata {
            kdf: KdfParams::INSECURE_FAST_FOR_TESTS,
            max_attempts: 10,
            failed_attempts: 3,
            store_id: [7; STORE_ID_LEN],
            slots: [
                KeySlot {
                    salt: [1; SALT_LEN],
                    nonce: [2; NONCE_LEN],
                    wrapped: [3; WRAPPED_LEN],
                },
                KeySlot {
                    salt: [4; SALT_LEN],
                    nonce: [5; NONCE_LEN],
                    wrapped: [6; WRAPPED_LEN],
                },
            ],
        }
    }

    #[test]
    fn round_trips() {
        let encoded = sample().encode();
        assert_eq!(encoded.len(), METADATA_LEN);
        assert_eq!(decode_metadata(&encoded).unwrap(), sample());
    }

    #[test]
    fn any_flipped_byte_is_rejected() {
        let encoded = sample().encode();
        for index in 0..encoded.len() {
            let mut corrupt = encoded.clone();
            corrupt[index] ^= 0x40;
            assert!(decode_metadata(&corrupt).is_err(), "byte {index}");
        }
        assert_eq!(
            decode_metadata(&encoded[..10]),
            Err(MetadataError::Length(10))
        );
    }

    #[test]
    fn oversized_kdf_parameters_are_rejected() {
        let mut metadata = sample();
        metadata.kdf.memory_kib = u32::MAX;
        assert_eq!(
            decode_metadata(&metadata.encode()),
            Err(MetadataError::OutOfRange)
        );
    }
}
