//! The relay's data directory is mode 0700 and its database, WAL, shared-memory and key files
//! 0600, whatever the umask it was started under; files left with wider modes by an older
//! relay are tightened at start.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

const RELAY: &str = env!("CARGO_BIN_EXE_workvoice-relay");

/// `stat -c %a` of each path.
fn modes(paths: &[&Path]) -> Vec<String> {
    let out = Command::new("stat")
        .arg("-c")
        .arg("%a %n")
        .args(paths)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split(' ').next().unwrap().to_string())
        .collect()
}

/// Run `workvoice-relay serve` under `umask` until it listens, make it write, stat its files,
/// stop it.
fn serve_and_stat(umask: &str, data: &Path) -> Vec<String> {
    let script = format!("umask {umask} && exec \"$0\" serve");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(RELAY)
        .env("WORKVOICE_DATA_DIR", data)
        .env("WORKVOICE_LISTEN", "127.0.0.1:0")
        .env("WORKVOICE_LOG_LEVEL", "warn")
        .env_remove("DATABASE_URL")
        .env_remove("WORKVOICE_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines.next().unwrap().unwrap();
    assert!(line.contains("http://127.0.0.1:"), "{line}");
    let db = data.join("relay.db");
    let wal = data.join("relay.db-wal");
    let shm = data.join("relay.db-shm");
    let key = data.join("relay.key");
    for f in [&db, &wal, &shm, &key] {
        assert!(f.exists(), "{} was not created", f.display());
    }
    let got = modes(&[data, &db, &wal, &shm, &key]);
    child.kill().unwrap();
    child.wait().unwrap();
    got
}

#[test]
fn data_directory_is_0700_and_its_files_0600_whatever_the_umask() {
    let expected = ["700", "600", "600", "600", "600"];
    for umask in ["022", "000"] {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        assert_eq!(
            serve_and_stat(umask, &data),
            expected,
            "data dir, relay.db, -wal, -shm, relay.key under umask {umask}"
        );
        // Started again over what it made: still private.
        assert_eq!(serve_and_stat(umask, &data), expected);
    }
}

#[test]
fn wider_modes_left_by_an_older_relay_are_tightened() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    for name in ["relay.db", "relay.db-wal"] {
        let f = data.join(name);
        std::fs::write(&f, b"").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    assert_eq!(
        serve_and_stat("022", &data),
        ["700", "600", "600", "600", "600"]
    );
}
