//! PIN attempt limit, duress PIN, wipe and platform secret.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use workvoice_core::vault::{
    KdfParams, PlatformSecret, Vault, VaultConfig, VaultError, VaultStatus, decode_metadata,
};

const PIN: &str = "482916";
const DURESS_PIN: &str = "135790";
const DISTINCTIVE: [&str; 3] = [
    "RECRUITER-ACME-7731",
    "म्यानपावर एजेन्सीले राहदानी राख्यो",
    "union-recipient-gefont",
];

fn fast_config() -> VaultConfig {
    VaultConfig {
        kdf: KdfParams::INSECURE_FAST_FOR_TESTS,
        ..VaultConfig::default()
    }
}

fn fill(vault: &Vault) {
    for (index, text) in DISTINCTIVE.iter().enumerate() {
        vault
            .put("reports", &format!("report-{index}"), text.as_bytes())
            .unwrap();
        vault.put("recipients", text, text.as_bytes()).unwrap();
    }
    vault.flush().unwrap();
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

fn all_bytes_under(dir: &Path) -> Vec<Vec<u8>> {
    files_under(dir)
        .iter()
        .map(|file| fs::read(file).unwrap())
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

fn assert_no_distinctive_text(dir: &Path) {
    for bytes in all_bytes_under(dir) {
        for text in DISTINCTIVE {
            let utf16le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
            let utf16be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
            for needle in [text.as_bytes(), &utf16le, &utf16be] {
                assert!(!contains(&bytes, needle), "found {text:?}");
            }
        }
    }
}

fn store_dirs(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect()
}

#[test]
fn default_limit_is_ten_attempts() {
    assert_eq!(VaultConfig::default().max_attempts, 10);
    assert_eq!(VaultConfig::default().kdf, KdfParams::OWASP_MINIMUM);
}

#[test]
fn wrong_pins_count_down_then_wipe() {
    let dir = tempfile::tempdir().unwrap();
    fill(&Vault::create(dir.path(), PIN, None, None, &fast_config()).unwrap());

    for expected_left in (1..10).rev() {
        // Every attempt reopens the vault from disk, as after a process restart.
        match Vault::unlock(dir.path(), "000000", None) {
            Err(VaultError::WrongPin { attempts_left }) => assert_eq!(attempts_left, expected_left),
            other => panic!("expected WrongPin, got {other:?}"),
        }
        assert_eq!(
            Vault::status(dir.path()).unwrap(),
            VaultStatus::Locked {
                attempts_left: expected_left
            }
        );
    }
    assert!(matches!(
        Vault::unlock(dir.path(), "000000", None),
        Err(VaultError::Wiped)
    ));

    assert_eq!(
        Vault::status(dir.path()).unwrap(),
        VaultStatus::NotInitialised
    );
    assert!(matches!(
        Vault::unlock(dir.path(), PIN, None),
        Err(VaultError::NotInitialised)
    ));
    assert!(
        files_under(dir.path()).is_empty(),
        "{:?}",
        files_under(dir.path())
    );
    assert!(store_dirs(dir.path()).is_empty());
}

#[test]
fn correct_pin_resets_the_counter_and_the_counter_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    fill(&Vault::create(dir.path(), PIN, None, None, &fast_config()).unwrap());
    for _ in 0..3 {
        assert!(Vault::unlock(dir.path(), "111111", None).is_err());
    }
    assert_eq!(
        Vault::status(dir.path()).unwrap(),
        VaultStatus::Locked { attempts_left: 7 }
    );
    let vault = Vault::unlock(dir.path(), PIN, None).unwrap();
    assert_eq!(vault.list("reports").unwrap().len(), DISTINCTIVE.len());
    drop(vault);
    assert_eq!(
        Vault::status(dir.path()).unwrap(),
        VaultStatus::Locked { attempts_left: 10 }
    );
    assert!(matches!(
        Vault::unlock(dir.path(), "111111", None),
        Err(VaultError::WrongPin { attempts_left: 9 })
    ));
}

#[test]
fn configured_limit_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let config = VaultConfig {
        max_attempts: 2,
        ..fast_config()
    };
    drop(Vault::create(dir.path(), PIN, None, None, &config).unwrap());
    assert!(matches!(
        Vault::unlock(dir.path(), "1", None),
        Err(VaultError::WrongPin { attempts_left: 1 })
    ));
    assert!(matches!(
        Vault::unlock(dir.path(), "1", None),
        Err(VaultError::Wiped)
    ));
}

/// The sealed records in a closed SQLite vault, read straight from its database.
fn sealed_records(dir: &Path) -> Vec<Vec<u8>> {
    let [store] = store_dirs(dir).try_into().unwrap();
    let db = rusqlite::Connection::open(store.join("vault.db")).unwrap();
    let mut statement = db.prepare("SELECT value FROM records").unwrap();
    statement
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn duress_pin_opens_an_empty_vault_and_destroys_the_real_one() {
    let dir = tempfile::tempdir().unwrap();
    let real = Vault::create(dir.path(), PIN, Some(DURESS_PIN), None, &fast_config()).unwrap();
    fill(&real);
    drop(real);
    let old_meta = fs::read(dir.path().join("meta")).unwrap();
    let old_records = sealed_records(dir.path());
    // Two per text, and the vault's mark of its own store.
    assert_eq!(old_records.len(), 2 * DISTINCTIVE.len() + 1);

    let decoy = Vault::unlock(dir.path(), DURESS_PIN, None).unwrap();
    assert_eq!(decoy.list("reports").unwrap(), vec![]);
    assert_eq!(decoy.list("recipients").unwrap(), vec![]);
    assert_eq!(decoy.get("reports", "report-0").unwrap(), None);
    assert_eq!(decoy.verify_records().unwrap(), 0);
    decoy.put("reports", "decoy", b"nothing to see").unwrap();
    decoy.flush().unwrap();
    drop(decoy);

    // It looks like any freshly unlocked vault.
    assert_eq!(
        Vault::status(dir.path()).unwrap(),
        VaultStatus::Locked { attempts_left: 10 }
    );
    // No piece of the real slot's old wrapped key (its nonce and ciphertext) remains anywhere:
    // the real PIN's slot is the one that changed. The duress slot is left as it was, as an
    // ordinary unlock leaves the slot it did not open; it holds only the handover key, which
    // opens nothing of the old vault.
    const HEADER: usize = 29;
    const SALT: usize = 16;
    const SLOT: usize = 89;
    let new_meta = fs::read(dir.path().join("meta")).unwrap();
    let changed: Vec<usize> = (0..2)
        .filter(|slot| {
            let range = HEADER + slot * SLOT..HEADER + (slot + 1) * SLOT;
            old_meta[range.clone()] != new_meta[range]
        })
        .collect();
    let [real_slot] = changed.try_into().unwrap();
    let wrapped = &old_meta[HEADER + real_slot * SLOT + SALT..HEADER + (real_slot + 1) * SLOT];
    // Nor any piece of the old sealed records: SQLite zeroed them and emptied its log.
    for bytes in all_bytes_under(dir.path()) {
        for chunk in wrapped.chunks_exact(8) {
            assert!(!contains(&bytes, chunk), "old key slot survives");
        }
        for record in &old_records {
            for chunk in record.chunks_exact(16) {
                assert!(!contains(&bytes, chunk), "an old record survives");
            }
        }
    }
    assert_no_distinctive_text(dir.path());

    // Both PINs now open the new vault, the real one like any other PIN.
    for pin in [PIN, DURESS_PIN, PIN] {
        let again = Vault::unlock(dir.path(), pin, None).unwrap();
        assert_eq!(
            again.list("reports").unwrap(),
            vec![("decoy".to_owned(), b"nothing to see".to_vec())]
        );
    }
}

/// Every file and directory under `dir` with its size, the random store directory name
/// replaced by `s-…` so that two vaults can be compared.
fn layout(dir: &Path) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = files_under(dir)
        .into_iter()
        .map(|file| {
            let name = file
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let name = match name.split_once('/') {
                Some((store, rest)) if store.starts_with("s-") => format!("s-…/{rest}"),
                _ => name,
            };
            (name, fs::metadata(&file).unwrap().len())
        })
        .collect();
    out.extend(store_dirs(dir).into_iter().map(|_| ("s-…".to_owned(), 0)));
    out.sort();
    out
}

#[test]
fn after_a_duress_unlock_the_files_and_the_real_pin_look_as_after_an_ordinary_one() {
    // Two vaults with the same records; one is opened with the real PIN, one with the duress
    // PIN, and each is then used the same way.
    let ordinary = tempfile::tempdir().unwrap();
    let duress = tempfile::tempdir().unwrap();
    for dir in [&ordinary, &duress] {
        let vault = Vault::create(dir.path(), PIN, Some(DURESS_PIN), None, &fast_config()).unwrap();
        fill(&vault);
        for index in 0..200 {
            let value = vec![u8::try_from(index % 251).unwrap(); 700];
            vault
                .put("outbox", &format!("report-{index}"), &value)
                .unwrap();
        }
        vault.flush().unwrap();
        drop(vault);
        // Closed, the database holds some kilobytes.
        assert!(layout(dir.path()).iter().any(|(_, size)| *size > 100_000));
    }
    let names = |dir: &Path| -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let before = [names(ordinary.path()), names(duress.path())];
    let stores_before = [store_dirs(ordinary.path()), store_dirs(duress.path())];

    let opened = Vault::unlock(ordinary.path(), PIN, None).unwrap();
    assert_eq!(opened.list("outbox").unwrap().len(), 200);
    let decoy = Vault::unlock(duress.path(), DURESS_PIN, None).unwrap();
    assert_eq!(decoy.verify_records().unwrap(), 0);
    // While open, the same files.
    let open_layouts = [layout(ordinary.path()), layout(duress.path())];
    assert_eq!(names_only(&open_layouts[0]), names_only(&open_layouts[1]));
    for vault in [&opened, &decoy] {
        vault.put("device", "device", &[1; 300]).unwrap();
        vault.flush().unwrap();
    }
    drop(opened);
    drop(decoy);

    // The same names: the store directory was not renamed (its name is the one it had).
    assert_eq!([names(ordinary.path()), names(duress.path())], before);
    assert_eq!(
        [store_dirs(ordinary.path()), store_dirs(duress.path())],
        stores_before
    );
    // The same files and sizes, to within two of SQLite's 4 KiB pages (the ordinary vault grows
    // a page for the new record where the emptied one re-uses a freed page): the database was
    // emptied in place, where a new one would hold a few pages.
    const PAGE: u64 = 4096;
    let ordinary_layout = layout(ordinary.path());
    let duress_layout = layout(duress.path());
    assert_eq!(names_only(&ordinary_layout), names_only(&duress_layout));
    for ((name, ordinary_size), (_, duress_size)) in ordinary_layout.iter().zip(&duress_layout) {
        assert!(
            ordinary_size.abs_diff(*duress_size) <= 2 * PAGE,
            "{name}: {ordinary_size} bytes after an ordinary unlock, {duress_size} after duress"
        );
    }
    // The same attempt counter, and the real PIN opens the (empty) vault as it opens the
    // ordinary one, with the counter back at the full count.
    for dir in [&ordinary, &duress] {
        assert_eq!(
            Vault::status(dir.path()).unwrap(),
            VaultStatus::Locked { attempts_left: 10 }
        );
        assert!(matches!(
            Vault::unlock(dir.path(), "000111", None),
            Err(VaultError::WrongPin { attempts_left: 9 })
        ));
        drop(Vault::unlock(dir.path(), PIN, None).unwrap());
        assert_eq!(
            Vault::status(dir.path()).unwrap(),
            VaultStatus::Locked { attempts_left: 10 }
        );
    }
    let real = Vault::unlock(duress.path(), PIN, None).unwrap();
    assert_eq!(real.list("outbox").unwrap(), vec![]);
    assert_eq!(real.get("device", "device").unwrap(), Some(vec![1; 300]));
}

fn names_only(layout: &[(String, u64)]) -> Vec<&str> {
    layout.iter().map(|(name, _)| name.as_str()).collect()
}

#[test]
fn a_duress_reset_cut_short_before_the_store_was_emptied_is_finished_at_the_next_unlock() {
    // The metadata of a finished reset, beside the store of the old vault: what a kill between
    // the two leaves.
    let dir = tempfile::tempdir().unwrap();
    let real = Vault::create(dir.path(), PIN, Some(DURESS_PIN), None, &fast_config()).unwrap();
    fill(&real);
    drop(real);
    let copy = tempfile::tempdir().unwrap();
    let [store] = store_dirs(dir.path()).try_into().unwrap();
    let store_name = store.file_name().unwrap().to_owned();
    copy_dir(&store, &copy.path().join(&store_name));
    drop(Vault::unlock(dir.path(), DURESS_PIN, None).unwrap());
    fs::remove_dir_all(&store).unwrap();
    copy_dir(&copy.path().join(&store_name), &store);

    for pin in [PIN, DURESS_PIN] {
        let vault = Vault::unlock(dir.path(), pin, None).unwrap();
        assert_eq!(vault.verify_records().unwrap(), 0, "{pin}");
        assert_eq!(vault.list("reports").unwrap(), vec![]);
    }
    assert_no_distinctive_text(dir.path());
}

#[test]
fn one_damaged_record_is_reported_not_taken_for_a_destroyed_vault() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::create(dir.path(), PIN, None, None, &fast_config()).unwrap();
    fill(&vault);
    drop(vault);
    let [store] = store_dirs(dir.path()).try_into().unwrap();
    let db = rusqlite::Connection::open(store.join("vault.db")).unwrap();
    db.execute(
        "UPDATE records SET value = zeroblob(length(value)) \
         WHERE key = (SELECT min(key) FROM records)",
        [],
    )
    .unwrap();
    drop(db);
    let vault = Vault::unlock(dir.path(), PIN, None).unwrap();
    assert!(matches!(
        vault.verify_records(),
        Err(VaultError::CorruptRecord(_))
    ));
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

#[test]
fn metadata_does_not_reveal_whether_a_duress_pin_exists() {
    // Same length and layout with and without a duress PIN.
    let with = tempfile::tempdir().unwrap();
    let without = tempfile::tempdir().unwrap();
    drop(Vault::create(with.path(), PIN, Some(DURESS_PIN), None, &fast_config()).unwrap());
    drop(Vault::create(without.path(), PIN, None, None, &fast_config()).unwrap());
    let with = fs::read(with.path().join("meta")).unwrap();
    let without = fs::read(without.path().join("meta")).unwrap();
    assert_eq!(with.len(), without.len());
    assert_eq!(with[..21], without[..21]);
}

#[test]
fn invalid_pins_are_refused_at_creation() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        Vault::create(dir.path(), PIN, Some(PIN), None, &fast_config()),
        Err(VaultError::DuressPinSameAsPin)
    ));
    assert!(matches!(
        Vault::create(dir.path(), "", None, None, &fast_config()),
        Err(VaultError::EmptyPin)
    ));
    let no_memory = VaultConfig {
        kdf: KdfParams {
            memory_kib: 1,
            iterations: 1,
            parallelism: 1,
        },
        ..fast_config()
    };
    assert!(matches!(
        Vault::create(dir.path(), PIN, None, None, &no_memory),
        Err(VaultError::InvalidKdfParams)
    ));
    assert_eq!(
        Vault::status(dir.path()).unwrap(),
        VaultStatus::NotInitialised
    );
}

#[test]
fn wipe_destroys_everything() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::create(dir.path(), PIN, Some(DURESS_PIN), None, &fast_config()).unwrap();
    fill(&vault);
    vault.wipe().unwrap();
    assert!(files_under(dir.path()).is_empty());
    assert!(matches!(
        Vault::unlock(dir.path(), PIN, None),
        Err(VaultError::NotInitialised)
    ));
    assert!(matches!(
        Vault::unlock(dir.path(), DURESS_PIN, None),
        Err(VaultError::NotInitialised)
    ));

    // Wiping a locked vault needs no PIN.
    fill(&Vault::create(dir.path(), PIN, None, None, &fast_config()).unwrap());
    Vault::wipe_dir(dir.path()).unwrap();
    assert!(files_under(dir.path()).is_empty());
    Vault::wipe_dir(dir.path()).unwrap();
}

#[test]
fn platform_secret_is_part_of_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let secret = || PlatformSecret::new([7; 32]);
    fill(&Vault::create(dir.path(), PIN, None, Some(&secret()), &fast_config()).unwrap());
    assert!(matches!(
        Vault::unlock(dir.path(), PIN, None),
        Err(VaultError::WrongPin { attempts_left: 9 })
    ));
    assert!(matches!(
        Vault::unlock(dir.path(), PIN, Some(&PlatformSecret::new([8; 32]))),
        Err(VaultError::WrongPin { attempts_left: 8 })
    ));
    let vault = Vault::unlock(dir.path(), PIN, Some(&secret())).unwrap();
    assert_eq!(vault.list("reports").unwrap().len(), DISTINCTIVE.len());
    assert_eq!(format!("{:?}", secret()), "PlatformSecret(..)");
}

const CHILD_DIR_VAR: &str = "WORKVOICE_PIN_TEST_CHILD_DIR";

/// Argon2 slow enough (about 0.25 s per slot here) that the child can be killed mid-check.
const SLOW_KDF: KdfParams = KdfParams {
    memory_kib: 64 * 1024,
    iterations: 6,
    parallelism: 1,
};

/// Entry point of the child process of `killing_the_app_during_the_pin_check_still_costs_an_attempt`;
/// does nothing in a normal test run.
#[test]
fn child_process_tries_a_wrong_pin() {
    let Some(dir) = std::env::var_os(CHILD_DIR_VAR) else {
        return;
    };
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "checking").unwrap();
    stdout.flush().unwrap();
    let result = Vault::unlock(Path::new(&dir), "999999", None);
    writeln!(stdout, "finished {result:?}").unwrap();
    stdout.flush().unwrap();
}

#[test]
fn killing_the_app_during_the_pin_check_still_costs_an_attempt() {
    let dir = tempfile::tempdir().unwrap();
    let config = VaultConfig {
        kdf: SLOW_KDF,
        max_attempts: 10,
    };
    let started = Instant::now();
    fill(&Vault::create(dir.path(), PIN, None, None, &config).unwrap());
    // Creation runs Argon2 once; an unlock runs it twice.
    let one_kdf = started.elapsed();

    for round in 1..=3u32 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "child_process_tries_a_wrong_pin",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DIR_VAR, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        loop {
            let line = lines.next().expect("child exited early").unwrap();
            // libtest prints "test <name> ... " before the child's own output.
            if line.ends_with("checking") {
                break;
            }
        }
        // Kill as soon as the child has persisted the attempt, while its two Argon2 runs are
        // still going: the window is about two KDF durations wide.
        // (A bound on a busy machine, not a speed check.)
        let deadline = Instant::now() + one_kdf * 20 + Duration::from_secs(60);
        let mut last = None;
        loop {
            // Read the file without `Vault::status`, which would complete (and so race with)
            // the child's own replacement of it.
            let status = fs::read(dir.path().join("meta"))
                .ok()
                .and_then(|bytes| decode_metadata(&bytes).ok())
                .map(|metadata| metadata.attempts_left());
            if status == Some(10 - round) {
                break;
            }
            if let Some(exit) = child.try_wait().unwrap() {
                let rest: Vec<String> = lines.map_while(Result::ok).collect();
                panic!(
                    "round {round}: the child ended ({exit}) before the attempt was seen; \
                     status {status:?}; its output: {rest:?}"
                );
            }
            assert!(
                Instant::now() < deadline,
                "round {round}: the child never recorded the attempt; last status {last:?}"
            );
            last = status;
            std::thread::sleep(Duration::from_millis(2));
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the check finished before the kill: the test needs a slower KDF"
        );
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(
            Vault::status(dir.path()).unwrap(),
            VaultStatus::Locked {
                attempts_left: 10 - round
            }
        );
    }
    let vault = Vault::unlock(dir.path(), PIN, None).unwrap();
    assert_eq!(vault.list("reports").unwrap().len(), DISTINCTIVE.len());
    drop(vault);
    assert_eq!(
        Vault::status(dir.path()).unwrap(),
        VaultStatus::Locked { attempts_left: 10 }
    );
}
