//! The vault's map API, what its files reveal, tamper detection, and the Store trait seam.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use workvoice_core::vault::{
    KdfParams, RecordError, SqliteStore, Store, StoreEntry, StoreError, StoreOp, Vault,
    VaultConfig, VaultError, VaultOp, VaultStatus,
};

const PIN: &str = "482916";

fn fast_config() -> VaultConfig {
    VaultConfig {
        kdf: KdfParams::INSECURE_FAST_FOR_TESTS,
        ..VaultConfig::default()
    }
}

fn new_vault(dir: &Path) -> Vault {
    Vault::create(dir, PIN, None, None, &fast_config()).unwrap()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    text.encode_utf16()
        .flat_map(|unit| {
            if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            }
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// The single store directory of a vault.
fn store_dir(dir: &Path) -> PathBuf {
    let mut stores: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    assert_eq!(stores.len(), 1, "{stores:?}");
    stores.remove(0)
}

#[test]
fn vault_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Vault>();
}

#[test]
fn put_get_delete_list_and_batch() {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    vault.put("reports", "r2", b"second").unwrap();
    vault.put("reports", "r1", b"first").unwrap();
    vault.put("drafts", "r1", b"a draft").unwrap();
    vault.put("reports", "r1", b"first, edited").unwrap();

    assert_eq!(
        vault.get("reports", "r1").unwrap().as_deref(),
        Some(&b"first, edited"[..])
    );
    assert_eq!(
        vault.get("drafts", "r1").unwrap().as_deref(),
        Some(&b"a draft"[..])
    );
    assert_eq!(vault.get("reports", "missing").unwrap(), None);
    assert_eq!(
        vault.list("reports").unwrap(),
        vec![
            ("r1".to_owned(), b"first, edited".to_vec()),
            ("r2".to_owned(), b"second".to_vec()),
        ]
    );

    vault.delete("reports", "r2").unwrap();
    vault.delete("reports", "never-there").unwrap();
    assert_eq!(vault.get("reports", "r2").unwrap(), None);

    vault
        .batch(&[
            VaultOp::Put {
                ns: "outbox",
                key: "r1",
                value: b"sealed envelope",
            },
            VaultOp::Delete {
                ns: "drafts",
                key: "r1",
            },
            VaultOp::Put {
                ns: "reports",
                key: "",
                value: b"",
            },
        ])
        .unwrap();
    assert_eq!(vault.list("drafts").unwrap(), vec![]);
    assert_eq!(
        vault.list("outbox").unwrap(),
        vec![("r1".to_owned(), b"sealed envelope".to_vec())]
    );
    assert_eq!(vault.get("reports", "").unwrap().as_deref(), Some(&b""[..]));
    assert_eq!(vault.verify_records().unwrap(), 3);
    assert!(matches!(
        vault.put("reports", &"k".repeat(70_000), b""),
        Err(VaultError::KeyTooLong)
    ));
}

#[test]
fn data_survives_close_and_unlock() {
    let dir = tempfile::tempdir().unwrap();
    let value = vec![0xA5u8; 4096];
    {
        let vault = new_vault(dir.path());
        vault.put("reports", "r1", &value).unwrap();
        vault.flush().unwrap();
    }
    assert_eq!(
        Vault::status(dir.path()).unwrap(),
        VaultStatus::Locked { attempts_left: 10 }
    );
    let vault = Vault::unlock(dir.path(), PIN, None).unwrap();
    assert_eq!(vault.get("reports", "r1").unwrap(), Some(value));
}

#[test]
fn creating_twice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(new_vault(dir.path()));
    assert!(matches!(
        Vault::create(dir.path(), PIN, None, None, &fast_config()),
        Err(VaultError::AlreadyInitialised)
    ));
}

#[test]
fn files_reveal_no_names_keys_or_text() {
    let secrets = [
        "RECRUITER-ACME-7731",
        "भर्ती शुल्क ३५०००० रुपैयाँ",
        "union-recipient-gefont",
        "passport kept by employer",
        "reports",
    ];
    let dir = tempfile::tempdir().unwrap();
    {
        let vault = new_vault(dir.path());
        for (index, secret) in secrets.iter().enumerate() {
            let value = format!("{secret} / {secret}");
            vault.put(secret, secret, value.as_bytes()).unwrap();
            vault
                .put("reports", &format!("{secret}-{index}"), value.as_bytes())
                .unwrap();
        }
        vault
            .batch(&[VaultOp::Put {
                ns: "recipients",
                key: secrets[2],
                value: secrets[1].as_bytes(),
            }])
            .unwrap();
        vault.flush().unwrap();
    }

    let files = files_under(dir.path());
    assert!(files.len() >= 2, "{files:?}");
    let mut scanned = 0;
    for file in &files {
        let bytes = fs::read(file).unwrap();
        scanned += bytes.len();
        for secret in secrets {
            for needle in [
                secret.as_bytes().to_vec(),
                utf16(secret, false),
                utf16(secret, true),
            ] {
                assert!(
                    !contains(&bytes, &needle),
                    "{file:?} contains {secret:?} ({} bytes)",
                    needle.len()
                );
            }
        }
    }
    assert!(scanned > 0);

    // The data is there all the same.
    let vault = Vault::unlock(dir.path(), PIN, None).unwrap();
    assert_eq!(
        vault.get("recipients", secrets[2]).unwrap().as_deref(),
        Some(secrets[1].as_bytes())
    );
    // One per secret, plus the record whose namespace and key are both "reports".
    assert_eq!(vault.list("reports").unwrap().len(), secrets.len() + 1);
}

#[test]
fn tampered_or_swapped_records_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(new_vault(dir.path()));
    let store_path = store_dir(dir.path());
    // The records of the two reports, not the vault's mark of its own store.
    let report_entries = |store: &SqliteStore, mark: &[StoreEntry]| -> Vec<StoreEntry> {
        let entries = store.scan_prefix(&[]).unwrap();
        entries.into_iter().filter(|e| !mark.contains(e)).collect()
    };
    let mark = SqliteStore::open(&store_path)
        .unwrap()
        .scan_prefix(&[])
        .unwrap();
    assert_eq!(mark.len(), 1);
    {
        let vault = Vault::unlock(dir.path(), PIN, None).unwrap();
        vault.put("reports", "a", b"report a").unwrap();
        vault.put("reports", "b", b"report b").unwrap();
        vault.flush().unwrap();
    }
    {
        let store = SqliteStore::open(&store_path).unwrap();
        let entries = report_entries(&store, &mark);
        assert_eq!(entries.len(), 2);
        // Swap the two values between their keys.
        store.put(&entries[0].0, &entries[1].1).unwrap();
        store.put(&entries[1].0, &entries[0].1).unwrap();
        store.flush().unwrap();
    }
    {
        let vault = Vault::unlock(dir.path(), PIN, None).unwrap();
        assert!(matches!(
            vault.get("reports", "a"),
            Err(VaultError::CorruptRecord(RecordError::Authentication))
        ));
        assert!(matches!(
            vault.list("reports"),
            Err(VaultError::CorruptRecord(_))
        ));
        assert!(vault.verify_records().is_err());
    }
    {
        let store = SqliteStore::open(&store_path).unwrap();
        let entries = report_entries(&store, &mark);
        let mut flipped = entries[0].1.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        store.put(&entries[0].0, &flipped).unwrap();
        store.put(&entries[1].0, &[1, 2, 3]).unwrap();
        store.flush().unwrap();
    }
    let vault = Vault::unlock(dir.path(), PIN, None).unwrap();
    for key in ["a", "b"] {
        assert!(matches!(
            vault.get("reports", key),
            Err(VaultError::CorruptRecord(
                RecordError::Authentication | RecordError::Truncated
            ))
        ));
    }
}

#[test]
fn interrupted_metadata_replacement_is_completed() {
    let dir = tempfile::tempdir().unwrap();
    {
        let vault = new_vault(dir.path());
        vault.put("reports", "r1", b"kept").unwrap();
        vault.flush().unwrap();
    }
    let meta = dir.path().join("meta");
    let tmp = dir.path().join("meta.tmp");

    // Killed after the new file was written and the old one zeroed, before the rename.
    fs::copy(&meta, &tmp).unwrap();
    fs::write(
        &meta,
        vec![0u8; fs::metadata(&meta).unwrap().len() as usize],
    )
    .unwrap();
    let vault = Vault::unlock(dir.path(), PIN, None).unwrap();
    assert_eq!(
        vault.get("reports", "r1").unwrap().as_deref(),
        Some(&b"kept"[..])
    );
    drop(vault);
    assert!(!tmp.exists());

    // Killed while writing the new file: the torn copy is ignored.
    let mut torn = fs::read(&meta).unwrap();
    torn.truncate(100);
    fs::write(&tmp, &torn).unwrap();
    assert!(Vault::unlock(dir.path(), PIN, None).is_ok());
    assert!(!tmp.exists());

    // A damaged metadata file is a typed error.
    let mut damaged = fs::read(&meta).unwrap();
    damaged[40] ^= 0xff;
    fs::write(&meta, &damaged).unwrap();
    assert!(matches!(
        Vault::unlock(dir.path(), PIN, None),
        Err(VaultError::CorruptMetadata(_))
    ));
    assert!(matches!(
        Vault::status(dir.path()),
        Err(VaultError::CorruptMetadata(_))
    ));

    // Killed in the middle of a wipe, after zeroing the key: the wipe is finished.
    fs::write(&meta, vec![0u8; damaged.len()]).unwrap();
    assert_eq!(
        Vault::status(dir.path()).unwrap(),
        VaultStatus::NotInitialised
    );
    assert!(matches!(
        Vault::unlock(dir.path(), PIN, None),
        Err(VaultError::NotInitialised)
    ));
    let fresh = new_vault(dir.path());
    assert_eq!(fresh.verify_records().unwrap(), 0);
}

/// A store in memory: shows that the vault needs nothing SQLite-specific.
#[derive(Default)]
struct MemoryStore {
    map: Mutex<BTreeMap<Vec<u8>, Vec<u8>>>,
}

impl Store for MemoryStore {
    fn open(_dir: &Path) -> Result<Self, StoreError> {
        Ok(MemoryStore::default())
    }
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.map.lock().unwrap().get(key).cloned())
    }
    fn put(&self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.map
            .lock()
            .unwrap()
            .insert(key.to_vec(), value.to_vec());
        Ok(())
    }
    fn delete(&self, key: &[u8]) -> Result<(), StoreError> {
        self.map.lock().unwrap().remove(key);
        Ok(())
    }
    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<StoreEntry>, StoreError> {
        Ok(self
            .map
            .lock()
            .unwrap()
            .range(prefix.to_vec()..)
            .take_while(|(key, _)| key.starts_with(prefix))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect())
    }
    fn apply(&self, ops: Vec<StoreOp>) -> Result<(), StoreError> {
        let mut map = self.map.lock().unwrap();
        for op in ops {
            match op {
                StoreOp::Put { key, value } => map.insert(key, value),
                StoreOp::Delete { key } => map.remove(&key),
            };
        }
        Ok(())
    }
    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }
    fn destroy(self) -> Result<(), StoreError> {
        Ok(())
    }
}

#[test]
fn another_store_can_replace_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let vault =
        Vault::<MemoryStore>::create_with_store(dir.path(), PIN, None, None, &fast_config())
            .unwrap();
    vault.put("reports", "r1", b"in memory").unwrap();
    vault.put("other", "r1", b"elsewhere").unwrap();
    assert_eq!(
        vault.list("reports").unwrap(),
        vec![("r1".to_owned(), b"in memory".to_vec())]
    );
    vault.wipe().unwrap();
    assert_eq!(
        Vault::status(dir.path()).unwrap(),
        VaultStatus::NotInitialised
    );
}
