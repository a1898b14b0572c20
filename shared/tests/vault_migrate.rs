//! A vault written by the `LogStore` release opens, on its first unlock, on the SQLite engine
//! with every record intact, and a kill at any point of that migration leaves the old or the
//! new store whole.
//!
//! `tests/fixtures/logstore-vault/` was written by the `LogStore` release with
//! [`write_logstore_fixture`] (kept so the fixture can be re-made from that release).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

use workvoice_core::vault::{KdfParams, LogStore, Vault, VaultConfig, VaultOp};

const PIN: &str = "482916";
const DURESS_PIN: &str = "111111";

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/logstore-vault")
}

/// Deterministic bytes for a fixture record.
fn fixture_value(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// What the fixture vault holds once written: (namespace, key, value), sorted.
fn fixture_records() -> Vec<(String, String, Vec<u8>)> {
    let mut records = vec![
        (
            "device".to_owned(),
            "state".to_owned(),
            br#"{"language":"ne","next_report_index":3}"#.to_vec(),
        ),
        (
            "attachments".to_owned(),
            "r1/photo".to_owned(),
            fixture_value(99, 20_000),
        ),
    ];
    for id in 0..12u64 {
        if id == 5 {
            continue; // written, then deleted
        }
        let value = if id == 7 {
            b"edited after the first write".to_vec()
        } else {
            fixture_value(id, 600 + id as usize * 37)
        };
        records.push(("outbox".to_owned(), format!("report-{id:02}"), value));
    }
    records.sort();
    records
}

/// Writes `tests/fixtures/logstore-vault` with the engine of the release it is run on.
/// `WRITE_FIXTURE=1 cargo test -p workvoice-core --test vault_migrate write_logstore_fixture`
#[test]
fn write_logstore_fixture() {
    if std::env::var_os("WRITE_FIXTURE").is_none() {
        return;
    }
    let dir = fixture_dir();
    let _ = fs::remove_dir_all(&dir);
    let config = VaultConfig {
        kdf: KdfParams::INSECURE_FAST_FOR_TESTS,
        ..VaultConfig::default()
    };
    let vault =
        Vault::<LogStore>::create_with_store(&dir, PIN, Some(DURESS_PIN), None, &config).unwrap();
    for id in 0..12u64 {
        let key = format!("report-{id:02}");
        vault
            .put("outbox", &key, &fixture_value(id, 600 + id as usize * 37))
            .unwrap();
    }
    vault.delete("outbox", "report-05").unwrap();
    vault
        .batch(&[
            VaultOp::Put {
                ns: "outbox",
                key: "report-07",
                value: b"edited after the first write",
            },
            VaultOp::Put {
                ns: "device",
                key: "state",
                value: br#"{"language":"ne","next_report_index":3}"#,
            },
        ])
        .unwrap();
    vault
        .put("attachments", "r1/photo", &fixture_value(99, 20_000))
        .unwrap();
    vault.flush().unwrap();
    drop(vault);
    let vault = Vault::<LogStore>::unlock_with_store(&dir, PIN, None).unwrap();
    let mut found = Vec::new();
    for ns in ["attachments", "device", "outbox"] {
        for (key, value) in vault.list(ns).unwrap() {
            found.push((ns.to_owned(), key, value));
        }
    }
    found.sort();
    assert_eq!(found, fixture_records());
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The names of the files in the vault's single store directory.
fn store_files(vault_dir: &Path) -> Vec<String> {
    let stores: Vec<PathBuf> = fs::read_dir(vault_dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    assert_eq!(stores.len(), 1, "{stores:?}");
    let mut names: Vec<String> = fs::read_dir(&stores[0])
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn contents<S: workvoice_core::vault::Store>(
    vault: &Vault<S>,
    namespaces: &[&str],
) -> Vec<(String, String, Vec<u8>)> {
    let mut found = Vec::new();
    for ns in namespaces {
        for (key, value) in vault.list(ns).unwrap() {
            found.push(((*ns).to_owned(), key, value));
        }
    }
    found.sort();
    found
}

#[test]
fn a_logstore_vault_of_the_previous_release_opens_whole_on_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    copy_dir(&fixture_dir(), &dir);
    assert_eq!(store_files(&dir), vec!["vault.log"]);

    let vault = Vault::unlock(&dir, PIN, None).unwrap();
    assert_eq!(
        contents(&vault, &["attachments", "device", "outbox"]),
        fixture_records()
    );
    assert_eq!(vault.verify_records().unwrap(), fixture_records().len());
    vault.put("outbox", "report-12", b"written after").unwrap();
    vault.delete("outbox", "report-00").unwrap();
    vault.flush().unwrap();
    drop(vault);
    // The log is gone; closing checkpointed the write-ahead log into the database.
    assert_eq!(store_files(&dir), vec!["vault.db"]);

    // The second unlock opens the SQLite store as it is.
    let vault = Vault::unlock(&dir, PIN, None).unwrap();
    assert_eq!(
        vault.get("outbox", "report-12").unwrap().as_deref(),
        Some(&b"written after"[..])
    );
    assert_eq!(vault.get("outbox", "report-00").unwrap(), None);
    assert_eq!(vault.verify_records().unwrap(), fixture_records().len());
    drop(vault);

    // The duress PIN of the old vault still destroys it.
    let decoy = Vault::unlock(&dir, DURESS_PIN, None).unwrap();
    assert_eq!(decoy.verify_records().unwrap(), 0);
    assert_eq!(decoy.list("outbox").unwrap(), vec![]);
}

const CHILD_VAR: &str = "WORKVOICE_MIGRATION_TEST_CHILD";
const MIGRATION_KILLS: usize = 24;
const MIGRATION_RECORDS: u64 = 1_500;

/// Entry point of the child process of the kill test; does nothing in a normal test run.
#[test]
fn child_process_unlocks_and_migrates() {
    let Ok(dir) = std::env::var(CHILD_VAR) else {
        return;
    };
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "\nready").unwrap();
    stdout.flush().unwrap();
    let vault = Vault::unlock(Path::new(&dir), PIN, None).unwrap();
    writeln!(stdout, "migrated").unwrap();
    stdout.flush().unwrap();
    drop(vault);
}

#[test]
fn a_kill_during_migration_leaves_the_old_or_the_new_vault_whole() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

    let tmp = tempfile::tempdir().unwrap();
    let source = tmp.path().join("source");
    let config = VaultConfig {
        kdf: KdfParams::INSECURE_FAST_FOR_TESTS,
        max_attempts: 1000,
    };
    let expected: Vec<(String, String, Vec<u8>)> = {
        let vault =
            Vault::<LogStore>::create_with_store(&source, PIN, None, None, &config).unwrap();
        let keys: Vec<String> = (0..MIGRATION_RECORDS)
            .map(|id| format!("r{id:05}"))
            .collect();
        let values: Vec<Vec<u8>> = (0..MIGRATION_RECORDS)
            .map(|id| fixture_value(id, 4096))
            .collect();
        for chunk in keys.iter().zip(&values).collect::<Vec<_>>().chunks(100) {
            let ops: Vec<VaultOp<'_>> = chunk
                .iter()
                .map(|(key, value)| VaultOp::Put {
                    ns: "reports",
                    key,
                    value,
                })
                .collect();
            vault.batch(&ops).unwrap();
        }
        vault.flush().unwrap();
        keys.into_iter()
            .zip(values)
            .map(|(key, value)| ("reports".to_owned(), key, value))
            .collect()
    };

    // How long one migration takes here, from a child's "ready".
    let probe = tmp.path().join("probe");
    copy_dir(&source, &probe);
    let started = Instant::now();
    drop(Vault::unlock(&probe, PIN, None).unwrap());
    let migration = started.elapsed();

    let mut state = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let (mut interrupted, mut old_left, mut both_left, mut new_left) = (0, 0, 0, 0);
    for round in 0..MIGRATION_KILLS {
        let dir = tmp.path().join(format!("round-{round}"));
        copy_dir(&source, &dir);
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        // Spread over the child's start, the migration and a little after.
        let delay = Duration::from_micros(state % (migration.as_micros() as u64 * 3 / 2 + 1));
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "child_process_unlocks_and_migrates",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_VAR, &dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        loop {
            let line = lines.next().expect("the child exited before it was ready");
            if line.unwrap() == "ready" {
                break;
            }
        }
        std::thread::sleep(delay);
        child.kill().unwrap();
        child.wait().unwrap();
        let finished = lines.any(|line| line.is_ok_and(|line| line == "migrated"));
        if !finished {
            interrupted += 1;
        }
        let files = store_files(&dir);
        let has = |name: &str| files.iter().any(|file| file == name);
        match (has("vault.log"), has("vault.db")) {
            (true, false) => old_left += 1,
            (true, true) => both_left += 1,
            (false, true) => new_left += 1,
            (false, false) => panic!("round {round}: neither store is left: {files:?}"),
        }

        let vault = Vault::unlock(&dir, PIN, None)
            .unwrap_or_else(|error| panic!("round {round}: unlock after the kill: {error}"));
        assert!(
            contents(&vault, &["reports"]) == expected,
            "round {round}: the records differ after a kill during migration"
        );
        assert_eq!(vault.verify_records().unwrap(), expected.len());
        drop(vault);
        assert_eq!(store_files(&dir), vec!["vault.db"], "round {round}");
        fs::remove_dir_all(&dir).unwrap();
    }
    println!(
        "migration kill test: {MIGRATION_KILLS} SIGKILLs during unlock of a {MIGRATION_RECORDS}-record \
         LogStore vault (migration {:.0} ms), {interrupted} interrupted; left: log only \
         {old_left}, log + database {both_left}, database only {new_left}; lost=0, corrupt=0",
        migration.as_secs_f64() * 1e3
    );
    assert!(interrupted > 0, "no kill landed before the migration ended");
}
