//! Every directory the vault creates is `0700` and every file `0600`, whatever the umask: the
//! test re-runs itself as a child under `umask 022` (the usual default, which would give
//! `0755` and `0644`) and checks the mode of everything the child left.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use workvoice_core::vault::{KdfParams, Vault, VaultConfig};

const CHILD_VAR: &str = "WORKVOICE_FILES_TEST_CHILD";
const PIN: &str = "482916";

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

/// Entry point of the child process; does nothing in a normal test run.
#[test]
fn child_process_creates_and_migrates_vaults() {
    let Ok(root) = std::env::var(CHILD_VAR) else {
        return;
    };
    let root = Path::new(&root);
    let config = VaultConfig {
        kdf: KdfParams::INSECURE_FAST_FOR_TESTS,
        ..VaultConfig::default()
    };
    // A new vault in directories that do not exist yet.
    let dir = root.join("data/phone/vault");
    let vault = Vault::create(&dir, PIN, Some("111111"), None, &config).unwrap();
    vault.put("reports", "r1", &[7; 10_000]).unwrap();
    vault.flush().unwrap();
    drop(vault);
    let vault = Vault::unlock(&dir, PIN, None).unwrap();
    vault.put("reports", "r2", b"second").unwrap();
    drop(vault);
    // A duress reset empties the store in place and rewrites the metadata.
    drop(Vault::unlock(&dir, "111111", None).unwrap());

    // A vault of the previous release, copied with the umask's modes, migrated on unlock.
    let old = root.join("data/old");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/logstore-vault"),
        &old,
    );
    drop(Vault::unlock(&old, PIN, None).unwrap());
}

fn modes_under(path: &Path, out: &mut Vec<(String, bool, u32)>) {
    for entry in fs::read_dir(path).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        let mode = meta.permissions().mode() & 0o777;
        out.push((entry.path().display().to_string(), meta.is_dir(), mode));
        if meta.is_dir() {
            modes_under(&entry.path(), out);
        }
    }
}

#[test]
fn vault_directories_are_0700_and_files_0600_under_umask_022() {
    let root = tempfile::tempdir().unwrap();
    let status = Command::new("sh")
        .args([
            "-c",
            "umask 022 && exec \"$0\" --exact child_process_creates_and_migrates_vaults --test-threads=1",
        ])
        .arg(std::env::current_exe().unwrap())
        .env(CHILD_VAR, root.path())
        .status()
        .unwrap();
    assert!(status.success());

    let mut found = Vec::new();
    modes_under(&root.path().join("data"), &mut found);
    let files = found.iter().filter(|(_, dir, _)| !dir).count();
    assert!(files >= 4, "{found:?}"); // two metadata files, two databases
    for (path, is_dir, mode) in &found {
        let wanted = if *is_dir { 0o700 } else { 0o600 };
        assert_eq!(*mode, wanted, "{path} has mode {mode:o}");
    }
    let data = fs::metadata(root.path().join("data")).unwrap();
    assert_eq!(data.permissions().mode() & 0o777, 0o700);
}
