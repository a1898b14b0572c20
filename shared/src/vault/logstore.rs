//! [`Store`] as one append-only log file: the vault's engine before [`super::SqliteStore`].
//! Kept so that [`super::SqliteStore`] can migrate the vaults written by those releases (and
//! for the benchmark); nothing creates a new one.
//!
//! It keeps every record in memory, so opening it replays the whole file: at 10,000 4 KiB
//! records that took 70 ms and 42 MB, which is why it was replaced.
//!
//! sled 0.34 failed the vault's crash test (`shared/tests/vault_crash.rs`): after one of a few
//! hundred `SIGKILL`s in the middle of writes it refused to reopen its files ("Read corrupted
//! data"), which on a phone would lose every report. The vault needs little from an engine (a
//! few hundred small sealed records, atomic batches, a durable flush), so this store keeps the
//! whole map in memory and every change on disk as an appended, checksummed record:
//!
//! ```text
//! file   = magic (8 bytes "WVLOG\0\0\x01") record*
//! record = len (u32 LE, of payload) | checksum (16 bytes) | payload
//!          checksum = SHA-256(len || payload)[..16]
//! payload = count (u32 LE) op*
//! op     = 0x01 | key_len (u32 LE) | key | value_len (u32 LE) | value     put
//!        | 0x02 | key_len (u32 LE) | key                                  delete
//! ```
//!
//! - **Atomic batches.** One [`Store::apply`] is one record, written with one `write_all`. A
//!   process killed during the write leaves a record that is short or fails its checksum; it
//!   can only be the last one, and opening the store cuts it off. So after a crash either all of
//!   a batch is visible or none of it. A bad record *followed by* a good one is not a torn
//!   write but damage, and opening fails with [`StoreError::Backend`] instead of silently
//!   dropping what follows.
//! - **Durability.** A write is in the kernel once `apply` returns (it survives the app being
//!   killed); [`Store::flush`] `fdatasync`s the file (it survives a power cut).
//! - **Compaction.** When the file is more than four times the live data (and over 256 KiB),
//!   the live map is written to a new file, synced, and renamed over the old one, so the file
//!   is always either the old or the new complete log.
//! - **One process at a time.** The file is locked exclusively while open.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use ring::digest::{SHA256, digest};

use super::store::{
    Store, StoreEntry, StoreError, StoreOp, create_private_dir, private_file_options,
    remove_dir_if_present, remove_file_if_present,
};

const LOG_FILE: &str = "vault.log";
const COMPACT_FILE: &str = "vault.log.compact";
const MAGIC: &[u8; 8] = b"WVLOG\0\0\x01";
const HEADER_LEN: usize = 4 + CHECKSUM_LEN;
const CHECKSUM_LEN: usize = 16;
/// No record is larger than this (the vault's largest values are evidence photos of a few MiB).
const MAX_RECORD: usize = 256 * 1024 * 1024;
const COMPACT_MIN_BYTES: u64 = 256 * 1024;
const COMPACT_FACTOR: u64 = 4;
const TAG_PUT: u8 = 1;
const TAG_DELETE: u8 = 2;

/// The append-only log store (see the module documentation).
#[derive(Debug)]
pub struct LogStore {
    dir: PathBuf,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    file: File,
    map: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Bytes of the file that hold whole, valid records (and the magic).
    file_len: u64,
    /// What the live map takes in a compacted log, kept up to date by [`Inner::set`].
    live_bytes: u64,
}

/// The bytes one live entry takes in a compacted log.
fn entry_bytes(key: &[u8], value: &[u8]) -> u64 {
    (key.len() + value.len() + 9) as u64
}

impl Inner {
    fn set(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) {
        let added = value.as_ref().map_or(0, |v| entry_bytes(&key, v));
        let old = match value {
            Some(value) => self.map.insert(key.clone(), value),
            None => self.map.remove(&key),
        };
        let removed = old.as_ref().map_or(0, |v| entry_bytes(&key, v));
        self.live_bytes = self.live_bytes + added - removed;
    }
}

fn backend(message: impl Into<String>) -> StoreError {
    StoreError::Backend(message.into())
}

fn checksum(len: &[u8; 4], payload: &[u8]) -> [u8; CHECKSUM_LEN] {
    let mut input = Vec::with_capacity(4 + payload.len());
    input.extend_from_slice(len);
    input.extend_from_slice(payload);
    let hash = digest(&SHA256, &input);
    let mut out = [0u8; CHECKSUM_LEN];
    out.copy_from_slice(&hash.as_ref()[..CHECKSUM_LEN]);
    out
}

fn encode_record<'a>(ops: impl ExactSizeIterator<Item = (&'a [u8], Option<&'a [u8]>)>) -> Vec<u8> {
    let mut payload = Vec::new();
    payload.extend_from_slice(&(ops.len() as u32).to_le_bytes());
    for (key, value) in ops {
        match value {
            Some(value) => {
                payload.push(TAG_PUT);
                payload.extend_from_slice(&(key.len() as u32).to_le_bytes());
                payload.extend_from_slice(key);
                payload.extend_from_slice(&(value.len() as u32).to_le_bytes());
                payload.extend_from_slice(value);
            }
            None => {
                payload.push(TAG_DELETE);
                payload.extend_from_slice(&(key.len() as u32).to_le_bytes());
                payload.extend_from_slice(key);
            }
        }
    }
    let len = (payload.len() as u32).to_le_bytes();
    let mut record = Vec::with_capacity(HEADER_LEN + payload.len());
    record.extend_from_slice(&len);
    record.extend_from_slice(&checksum(&len, &payload));
    record.extend_from_slice(&payload);
    record
}

/// Reads a `u32` length and that many bytes.
fn take_bytes<'a>(payload: &'a [u8], at: &mut usize) -> Option<&'a [u8]> {
    let len_bytes: [u8; 4] = payload.get(*at..*at + 4)?.try_into().ok()?;
    let len = u32::from_le_bytes(len_bytes) as usize;
    let start = *at + 4;
    let bytes = payload.get(start..start.checked_add(len)?)?;
    *at = start + len;
    Some(bytes)
}

/// Applies one record's ops to `map`; `None` when the payload is malformed.
fn replay(payload: &[u8], map: &mut BTreeMap<Vec<u8>, Vec<u8>>) -> Option<()> {
    let count_bytes: [u8; 4] = payload.get(..4)?.try_into().ok()?;
    let count = u32::from_le_bytes(count_bytes);
    let mut at = 4;
    // Decode everything first, so a malformed record changes nothing.
    let mut ops = Vec::new();
    for _ in 0..count {
        let tag = *payload.get(at)?;
        at += 1;
        let key = take_bytes(payload, &mut at)?;
        match tag {
            TAG_PUT => ops.push((key, Some(take_bytes(payload, &mut at)?))),
            TAG_DELETE => ops.push((key, None)),
            _ => return None,
        }
    }
    if at != payload.len() {
        return None;
    }
    for (key, value) in ops {
        match value {
            Some(value) => map.insert(key.to_vec(), value.to_vec()),
            None => map.remove(key),
        };
    }
    Some(())
}

/// What reading a log found: the map and the length of its valid prefix.
struct Replayed {
    map: BTreeMap<Vec<u8>, Vec<u8>>,
    valid_len: u64,
}

fn read_log(bytes: &[u8]) -> Result<Replayed, StoreError> {
    if bytes.len() < MAGIC.len() {
        // Killed while the file was being created: nothing was ever stored in it.
        if MAGIC.starts_with(bytes) {
            return Ok(Replayed {
                map: BTreeMap::new(),
                valid_len: 0,
            });
        }
        return Err(backend("the vault log does not start with its magic bytes"));
    }
    if &bytes[..MAGIC.len()] != MAGIC {
        return Err(backend("the vault log does not start with its magic bytes"));
    }
    let mut map = BTreeMap::new();
    let mut at = MAGIC.len();
    while at < bytes.len() {
        let rest = &bytes[at..];
        let Some(header) = rest.get(..HEADER_LEN) else {
            break; // a header cut short: the torn tail
        };
        let mut len_bytes = [0u8; 4];
        len_bytes.copy_from_slice(&header[..4]);
        let len = u32::from_le_bytes(len_bytes) as usize;
        let Some(payload) = rest
            .get(HEADER_LEN..HEADER_LEN + len)
            .filter(|_| len <= MAX_RECORD)
        else {
            break; // a payload cut short: the torn tail
        };
        let valid =
            header[4..] == checksum(&len_bytes, payload) && replay(payload, &mut map).is_some();
        if !valid {
            let end = at + HEADER_LEN + len;
            if end < bytes.len() {
                return Err(backend(format!(
                    "the vault log is damaged at offset {at}: a bad record is followed by more data"
                )));
            }
            break; // the last record, half written
        }
        at += HEADER_LEN + len;
    }
    Ok(Replayed {
        map,
        valid_len: at as u64,
    })
}

fn lock(file: &File) -> Result<(), StoreError> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(TryLockError::WouldBlock) => Err(backend("the vault is open in another process")),
        Err(TryLockError::Error(error)) => Err(StoreError::Io(error)),
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Whether `dir` holds a log (that has not been migrated yet).
pub(crate) fn holds_log(dir: &Path) -> bool {
    dir.join(LOG_FILE).exists()
}

/// Deletes the log and any compaction left over from it.
pub(crate) fn remove_files(dir: &Path) -> io::Result<()> {
    remove_file_if_present(&dir.join(COMPACT_FILE))?;
    remove_file_if_present(&dir.join(LOG_FILE))
}

impl LogStore {
    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Rewrites the log as one record of the live map, atomically (write, sync, rename).
    fn compact(&self, inner: &mut Inner) -> Result<(), StoreError> {
        let tmp_path = self.dir.join(COMPACT_FILE);
        let mut tmp = private_file_options()
            .write(true)
            .truncate(true)
            .open(&tmp_path)?;
        tmp.write_all(MAGIC)?;
        if !inner.map.is_empty() {
            let record = encode_record(
                inner
                    .map
                    .iter()
                    .map(|(k, v)| (k.as_slice(), Some(v.as_slice()))),
            );
            tmp.write_all(&record)?;
        }
        tmp.sync_all()?;
        let len = tmp.stream_position()?;
        drop(tmp);
        let file = OpenOptions::new().read(true).append(true).open(&tmp_path)?;
        lock(&file)?;
        fs::rename(&tmp_path, self.dir.join(LOG_FILE))?;
        sync_dir(&self.dir)?;
        inner.file = file;
        inner.file_len = len;
        Ok(())
    }
}

impl Store for LogStore {
    fn open(dir: &Path) -> Result<Self, StoreError> {
        create_private_dir(dir)?;
        // A compaction that did not reach its rename: the log itself is still whole.
        match fs::remove_file(dir.join(COMPACT_FILE)) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error.into()),
            _ => {}
        }
        let path = dir.join(LOG_FILE);
        let mut file = private_file_options().read(true).append(true).open(&path)?;
        lock(&file)?;
        let mut bytes = Vec::new();
        file.seek(SeekFrom::Start(0))?;
        file.read_to_end(&mut bytes)?;
        let Replayed { map, valid_len } = read_log(&bytes)?;
        if valid_len == 0 {
            file.set_len(0)?;
            file.write_all(MAGIC)?;
            file.sync_all()?;
            sync_dir(dir)?;
        } else if valid_len < bytes.len() as u64 {
            // Cut off the half-written last record.
            file.set_len(valid_len)?;
            file.sync_all()?;
        }
        let file_len = if valid_len == 0 {
            MAGIC.len() as u64
        } else {
            valid_len
        };
        let live_bytes = map.iter().map(|(k, v)| entry_bytes(k, v)).sum();
        Ok(LogStore {
            dir: dir.to_path_buf(),
            inner: Mutex::new(Inner {
                file,
                map,
                file_len,
                live_bytes,
            }),
        })
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.inner().map.get(key).cloned())
    }

    fn put(&self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.apply(vec![StoreOp::Put {
            key: key.to_vec(),
            value: value.to_vec(),
        }])
    }

    fn delete(&self, key: &[u8]) -> Result<(), StoreError> {
        self.apply(vec![StoreOp::Delete { key: key.to_vec() }])
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<StoreEntry>, StoreError> {
        Ok(self
            .inner()
            .map
            .range(prefix.to_vec()..)
            .take_while(|(key, _)| key.starts_with(prefix))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect())
    }

    fn apply(&self, ops: Vec<StoreOp>) -> Result<(), StoreError> {
        if ops.is_empty() {
            return Ok(());
        }
        let record = encode_record(ops.iter().map(|op| match op {
            StoreOp::Put { key, value } => (key.as_slice(), Some(value.as_slice())),
            StoreOp::Delete { key } => (key.as_slice(), None),
        }));
        if record.len() - HEADER_LEN > MAX_RECORD {
            return Err(backend("a batch larger than 256 MiB cannot be stored"));
        }
        let mut inner = self.inner();
        if let Err(error) = inner.file.write_all(&record) {
            // Leave no partial record behind for the next append to follow.
            let len = inner.file_len;
            let _ = inner.file.set_len(len);
            return Err(error.into());
        }
        inner.file_len += record.len() as u64;
        for op in ops {
            match op {
                StoreOp::Put { key, value } => inner.set(key, Some(value)),
                StoreOp::Delete { key } => inner.set(key, None),
            }
        }
        if inner.file_len > COMPACT_MIN_BYTES && inner.file_len > COMPACT_FACTOR * inner.live_bytes
        {
            self.compact(&mut inner)?;
        }
        Ok(())
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.inner().file.sync_data()?;
        Ok(())
    }

    fn destroy(self) -> Result<(), StoreError> {
        let LogStore { dir, inner } = self;
        drop(inner);
        remove_dir_if_present(&dir)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn put(key: &[u8], value: &[u8]) -> StoreOp {
        StoreOp::Put {
            key: key.to_vec(),
            value: value.to_vec(),
        }
    }

    #[test]
    fn a_torn_last_record_is_cut_off_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = LogStore::open(dir.path()).unwrap();
        store.apply(vec![put(b"a", b"1")]).unwrap();
        store.apply(vec![put(b"b", b"2"), put(b"c", b"3")]).unwrap();
        drop(store);
        let path = dir.path().join(LOG_FILE);
        let full = fs::read(&path).unwrap();
        // Every cut inside the second record loses exactly that record, never half of it.
        let first_end =
            MAGIC.len() + encode_record([(&b"a"[..], Some(&b"1"[..]))].into_iter()).len();
        for cut in first_end..full.len() {
            fs::write(&path, &full[..cut]).unwrap();
            let store = LogStore::open(dir.path()).unwrap();
            assert_eq!(store.get(b"a").unwrap(), Some(b"1".to_vec()), "cut {cut}");
            assert_eq!(store.get(b"b").unwrap(), None, "cut {cut}");
            assert_eq!(store.get(b"c").unwrap(), None, "cut {cut}");
            drop(store);
            assert_eq!(fs::metadata(&path).unwrap().len(), first_end as u64);
        }
        fs::write(&path, &full).unwrap();
        let store = LogStore::open(dir.path()).unwrap();
        assert_eq!(store.get(b"c").unwrap(), Some(b"3".to_vec()));
    }

    #[test]
    fn damage_before_good_records_is_an_error_not_a_silent_loss() {
        let dir = tempfile::tempdir().unwrap();
        let store = LogStore::open(dir.path()).unwrap();
        store.apply(vec![put(b"a", b"1")]).unwrap();
        store.apply(vec![put(b"b", b"2")]).unwrap();
        drop(store);
        let path = dir.path().join(LOG_FILE);
        let mut bytes = fs::read(&path).unwrap();
        let last_of_first = MAGIC.len() + HEADER_LEN + 4 + 1 + 4 + 1 + 4; // inside "1"
        bytes[last_of_first] ^= 0xff;
        fs::write(&path, &bytes).unwrap();
        match LogStore::open(dir.path()) {
            Err(StoreError::Backend(message)) => assert!(message.contains("damaged"), "{message}"),
            other => panic!("{other:?}"),
        }
        fs::write(&path, b"not a log").unwrap();
        assert!(matches!(
            LogStore::open(dir.path()),
            Err(StoreError::Backend(_))
        ));
    }

    #[test]
    fn compaction_keeps_the_live_map_and_shrinks_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = LogStore::open(dir.path()).unwrap();
        let value = vec![7u8; 1024];
        for round in 0..2_000u32 {
            store
                .apply(vec![
                    put(&(round % 10).to_le_bytes(), &value),
                    put(b"round", &round.to_le_bytes()),
                ])
                .unwrap();
        }
        store.delete(&3u32.to_le_bytes()).unwrap();
        let len = fs::metadata(dir.path().join(LOG_FILE)).unwrap().len();
        assert!(len < 4 * 1024 * 1024, "{len}");
        drop(store);
        let store = LogStore::open(dir.path()).unwrap();
        assert_eq!(
            store.get(b"round").unwrap(),
            Some(1_999u32.to_le_bytes().to_vec())
        );
        assert_eq!(store.scan_prefix(&[]).unwrap().len(), 10); // 9 keys + "round"
        assert_eq!(store.get(&3u32.to_le_bytes()).unwrap(), None);
        assert!(!dir.path().join(COMPACT_FILE).exists());
    }

    #[test]
    fn a_second_open_is_refused_while_the_first_holds_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = LogStore::open(dir.path()).unwrap();
        assert!(matches!(
            LogStore::open(dir.path()),
            Err(StoreError::Backend(_))
        ));
        drop(store);
        LogStore::open(dir.path()).unwrap();
    }
}
