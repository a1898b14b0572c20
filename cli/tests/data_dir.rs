//! The command-line phone keeps its vault private: under `umask 022` (which would give `0755`
//! directories and `0644` files) every directory it creates is `0700` and every file `0600`.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

fn modes_under(path: &Path, out: &mut Vec<(String, bool, u32)>) {
    for entry in fs::read_dir(path).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        out.push((
            entry.path().display().to_string(),
            meta.is_dir(),
            meta.permissions().mode() & 0o777,
        ));
        if meta.is_dir() {
            modes_under(&entry.path(), out);
        }
    }
}

#[test]
fn the_cli_creates_its_data_directory_private_under_umask_022() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("home/phone");
    let output = Command::new("sh")
        .args(["-c", "umask 022 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_workvoice-cli"))
        .arg("--data-dir")
        .arg(&data)
        // Nothing listens there: setting up needs no relay.
        .args(["--relay", "http://127.0.0.1:9", "--fast-kdf"])
        .args(["init", "--pin", "482916"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");

    let mut found = Vec::new();
    modes_under(&root.path().join("home"), &mut found);
    assert!(found.iter().any(|(_, dir, _)| !dir), "{found:?}");
    for (path, is_dir, mode) in &found {
        let wanted = if *is_dir { 0o700 } else { 0o600 };
        assert_eq!(*mode, wanted, "{path} has mode {mode:o}");
    }
    let home = fs::metadata(root.path().join("home")).unwrap();
    assert_eq!(home.permissions().mode() & 0o777, 0o700);
}
