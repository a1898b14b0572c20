//! [`Store`] on SQLite (through `rusqlite`, SQLite compiled in): the vault's engine.
//!
//! One file, `vault.db`, with one table `records(key BLOB PRIMARY KEY, value BLOB)` holding
//! exactly what the vault hands a store: keyed hashes and sealed records. SQLite is opened with
//!
//! - `journal_mode = WAL` and `synchronous = FULL`: a transaction is in the write-ahead log and
//!   `fsync`ed when its commit returns, so every [`Store::apply`] is atomic and durable on its
//!   own (it survives a power cut, not only the app being killed) and [`Store::flush`] has
//!   nothing left to do;
//! - `secure_delete = ON`: a deleted or replaced record is overwritten with zeros in the
//!   database file rather than left in a free page. Until the next checkpoint its old pages can
//!   still sit in `vault.db-wal`; what protects them there, as everywhere, is that they are
//!   sealed under the device key, which a wipe or a duress reset destroys first;
//! - `locking_mode = EXCLUSIVE`: one process at a time (a second open fails at once instead of
//!   waiting), and no `-shm` shared-memory file;
//! - SQLite's page cache at its default (2,000 KiB): memory does not grow with the records.
//!
//! The files are created `0600` inside a `0700` directory whatever the process umask (the
//! write-ahead log inherits the database file's mode).
//!
//! **Migration.** A store directory that still holds a `LogStore` log (`vault.log`, written by
//! the releases before this engine) is converted when it is first opened: every record is
//! copied into `vault.db.migrating` in one transaction (rollback journal, `synchronous = FULL`),
//! the connection closed, the file renamed to `vault.db` and the directory synced; only then is
//! the log deleted. `vault.db` therefore exists only once complete: a kill before the rename
//! leaves the log (the next open starts over), a kill after it leaves a whole `vault.db`, and
//! the next open removes the log.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::logstore::{self, LogStore};
use super::store::{
    Store, StoreEntry, StoreError, StoreOp, create_private_dir, private_file_options,
    remove_dir_if_present, remove_file_if_present, sync_dir,
};

const DB_FILE: &str = "vault.db";
const MIGRATING_FILE: &str = "vault.db.migrating";
/// Files SQLite may keep beside a database.
const SIDE_FILES: [&str; 3] = ["-wal", "-shm", "-journal"];

const CREATE_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS records (key BLOB NOT NULL PRIMARY KEY, value BLOB NOT NULL)";
const UPSERT: &str = "INSERT INTO records (key, value) VALUES (?1, ?2) \
                      ON CONFLICT (key) DO UPDATE SET value = excluded.value";
const DELETE: &str = "DELETE FROM records WHERE key = ?1";

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Backend(error.to_string())
    }
}

/// The SQLite store (see the module documentation).
#[derive(Debug)]
pub struct SqliteStore {
    dir: PathBuf,
    connection: Mutex<Connection>,
}

/// Opens (creating it `0600` if needed) the database at `path` with the settings every vault
/// database shares.
fn connect(path: &Path) -> Result<Connection, StoreError> {
    private_file_options().write(true).open(path)?;
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.busy_timeout(Duration::ZERO)?;
    // Before any other pragma: `synchronous` on a database already in WAL mode reads it, and a
    // read in normal locking mode opens the `-shm` shared-memory file.
    connection.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.pragma_update(None, "secure_delete", "ON")?;
    // The page cache is the engine's only memory that grows with use: 512 KiB (SQLite's
    // default is 2 MiB) holds the B-tree's inner pages for far more records than a phone
    // keeps, while a 20 MiB photo streamed through the vault in 256 KiB records cannot push
    // the core's memory up by more than that.
    connection.pragma_update(None, "cache_size", -512)?;
    Ok(connection)
}

/// Removes a database file and whatever SQLite keeps beside it.
fn remove_database(path: &Path) -> io::Result<()> {
    for suffix in SIDE_FILES {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        remove_file_if_present(Path::new(&side))?;
    }
    remove_file_if_present(path)
}

/// Copies the records of the `LogStore` log in `dir` into a new `vault.db` (see the module
/// documentation for why a kill at any point leaves one whole store).
fn migrate_log(dir: &Path) -> Result<(), StoreError> {
    let staging = dir.join(MIGRATING_FILE);
    remove_database(&staging)?;
    let log = LogStore::open(dir)?;
    let entries = log.scan_prefix(&[])?;
    let mut connection = connect(&staging)?;
    connection.pragma_update(None, "journal_mode", "DELETE")?;
    connection.execute(CREATE_TABLE, [])?;
    let transaction = connection.transaction()?;
    {
        let mut insert = transaction.prepare(UPSERT)?;
        for (key, value) in &entries {
            insert.execute(params![key, value])?;
        }
    }
    transaction.commit()?;
    drop(entries);
    connection
        .close()
        .map_err(|(_, error)| StoreError::from(error))?;
    File::open(&staging)?.sync_all()?;
    fs::rename(&staging, dir.join(DB_FILE))?;
    sync_dir(dir)?;
    drop(log);
    logstore::remove_files(dir)?;
    sync_dir(dir)?;
    Ok(())
}

impl SqliteStore {
    fn connection(&self) -> MutexGuard<'_, Connection> {
        self.connection.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Store for SqliteStore {
    fn open(dir: &Path) -> Result<Self, StoreError> {
        create_private_dir(dir)?;
        let path = dir.join(DB_FILE);
        if !path.exists() && logstore::holds_log(dir) {
            migrate_log(dir)?;
        }
        // A migration that did not reach its rename, or one that did but not its clean-up.
        remove_database(&dir.join(MIGRATING_FILE))?;
        logstore::remove_files(dir)?;

        let connection = connect(&path)?;
        let mode: String =
            connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Backend(format!(
                "SQLite refused write-ahead logging (journal mode {mode})"
            )));
        }
        // Takes the exclusive lock now, so a second open fails here rather than later.
        connection.execute_batch(&format!("BEGIN EXCLUSIVE; {CREATE_TABLE}; COMMIT"))?;
        Ok(SqliteStore {
            dir: dir.to_path_buf(),
            connection: Mutex::new(connection),
        })
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let connection = self.connection();
        let mut statement =
            connection.prepare_cached("SELECT value FROM records WHERE key = ?1")?;
        Ok(statement
            .query_row([key], |row| row.get::<_, Vec<u8>>(0))
            .optional()?)
    }

    fn put(&self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        let connection = self.connection();
        connection
            .prepare_cached(UPSERT)?
            .execute(params![key, value])?;
        Ok(())
    }

    fn delete(&self, key: &[u8]) -> Result<(), StoreError> {
        let connection = self.connection();
        connection.prepare_cached(DELETE)?.execute([key])?;
        Ok(())
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<StoreEntry>, StoreError> {
        let connection = self.connection();
        let row = |row: &rusqlite::Row<'_>| Ok((row.get(0)?, row.get(1)?));
        let entries = match prefix_end(prefix) {
            Some(end) => connection
                .prepare_cached(
                    "SELECT key, value FROM records WHERE key >= ?1 AND key < ?2 ORDER BY key",
                )?
                .query_map(params![prefix, end], row)?
                .collect::<Result<Vec<_>, _>>()?,
            None => connection
                .prepare_cached("SELECT key, value FROM records WHERE key >= ?1 ORDER BY key")?
                .query_map([prefix], row)?
                .collect::<Result<Vec<_>, _>>()?,
        };
        Ok(entries)
    }

    fn apply(&self, ops: Vec<StoreOp>) -> Result<(), StoreError> {
        if ops.is_empty() {
            return Ok(());
        }
        let mut connection = self.connection();
        let transaction = connection.transaction()?;
        for op in &ops {
            match op {
                StoreOp::Put { key, value } => {
                    transaction
                        .prepare_cached(UPSERT)?
                        .execute(params![key, value])?;
                }
                StoreOp::Delete { key } => {
                    transaction.prepare_cached(DELETE)?.execute([key])?;
                }
            }
        }
        transaction.commit()?;
        Ok(())
    }

    fn flush(&self) -> Result<(), StoreError> {
        // Every commit was synced already (`synchronous = FULL`).
        Ok(())
    }

    fn first(&self) -> Result<Option<StoreEntry>, StoreError> {
        let connection = self.connection();
        Ok(connection
            .prepare_cached("SELECT key, value FROM records ORDER BY key LIMIT 1")?
            .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?)
    }

    fn clear(&self) -> Result<(), StoreError> {
        let connection = self.connection();
        connection.execute("DELETE FROM records", [])?;
        // `secure_delete` wrote the freed pages as zeros to the write-ahead log; copy them over
        // the old pages in the database and empty the log. The database file keeps its size
        // (its pages go to the free list), as it would after the worker deleted her reports.
        connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    fn destroy(self) -> Result<(), StoreError> {
        let SqliteStore { dir, connection } = self;
        let connection = connection.into_inner().unwrap_or_else(|e| e.into_inner());
        // Best effort: the files are deleted below whatever happens.
        let _ = connection.execute("DELETE FROM records", []);
        drop(connection);
        remove_dir_if_present(&dir)?;
        Ok(())
    }
}

/// The smallest key greater than every key starting with `prefix` (`None`: no such bound).
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
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
    fn prefix_scans_stop_at_the_prefix_and_handle_ff_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        store
            .apply(vec![
                put(&[1, 0xff], b"a"),
                put(&[1, 0xff, 0], b"b"),
                put(&[2], b"c"),
                put(&[0xff, 0xff], b"d"),
                put(&[], b"e"),
            ])
            .unwrap();
        let keys = |prefix: &[u8]| -> Vec<Vec<u8>> {
            store
                .scan_prefix(prefix)
                .unwrap()
                .into_iter()
                .map(|(k, _)| k)
                .collect()
        };
        assert_eq!(keys(&[1]), vec![vec![1, 0xff], vec![1, 0xff, 0]]);
        assert_eq!(keys(&[1, 0xff]), vec![vec![1, 0xff], vec![1, 0xff, 0]]);
        assert_eq!(keys(&[0xff]), vec![vec![0xff, 0xff]]);
        assert_eq!(keys(&[]).len(), 5);
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
        assert_eq!(prefix_end(&[3, 0xff]), Some(vec![4]));
    }

    #[test]
    fn batches_replace_and_delete() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        store.apply(vec![put(b"a", b"1"), put(b"b", b"2")]).unwrap();
        store
            .apply(vec![
                put(b"a", b"3"),
                StoreOp::Delete { key: b"b".to_vec() },
            ])
            .unwrap();
        store.delete(b"never-there").unwrap();
        drop(store);
        let store = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(store.get(b"a").unwrap(), Some(b"3".to_vec()));
        assert_eq!(store.get(b"b").unwrap(), None);
    }

    #[test]
    fn a_reopened_store_keeps_no_shared_memory_file() {
        let dir = tempfile::tempdir().unwrap();
        drop(SqliteStore::open(dir.path()).unwrap());
        let store = SqliteStore::open(dir.path()).unwrap();
        store.put(b"k", b"v").unwrap();
        assert!(dir.path().join("vault.db-wal").exists());
        assert!(!dir.path().join("vault.db-shm").exists());
    }

    #[test]
    fn a_second_open_is_refused_while_the_first_holds_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        store.put(b"k", b"v").unwrap();
        assert!(matches!(
            SqliteStore::open(dir.path()),
            Err(StoreError::Backend(_))
        ));
        drop(store);
        let store = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(store.get(b"k").unwrap(), Some(b"v".to_vec()));
    }

    #[test]
    fn a_log_is_migrated_once_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let log = LogStore::open(dir.path()).unwrap();
        log.apply(vec![put(b"a", b"1"), put(b"b", b"2")]).unwrap();
        log.delete(b"b").unwrap();
        log.flush().unwrap();
        drop(log);
        let store = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(
            store.scan_prefix(&[]).unwrap(),
            vec![(b"a".to_vec(), b"1".to_vec())]
        );
        assert!(!logstore::holds_log(dir.path()));
        assert!(!dir.path().join(MIGRATING_FILE).exists());
    }

    #[test]
    fn a_staging_file_without_its_rename_is_discarded_and_the_log_migrated_again() {
        let dir = tempfile::tempdir().unwrap();
        let log = LogStore::open(dir.path()).unwrap();
        log.put(b"a", b"1").unwrap();
        drop(log);
        fs::write(dir.path().join(MIGRATING_FILE), b"half a database").unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(store.get(b"a").unwrap(), Some(b"1".to_vec()));
        assert!(!dir.path().join(MIGRATING_FILE).exists());
    }

    #[test]
    fn a_log_left_beside_a_complete_database_is_removed_unread() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        store.put(b"a", b"new").unwrap();
        drop(store);
        let log = LogStore::open(dir.path()).unwrap();
        log.put(b"a", b"old").unwrap();
        drop(log);
        let store = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(store.get(b"a").unwrap(), Some(b"new".to_vec()));
        assert!(!logstore::holds_log(dir.path()));
    }
}
