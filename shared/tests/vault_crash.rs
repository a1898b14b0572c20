//! Acceptance test: a report the vault has flushed survives the app being killed with SIGKILL.
//!
//! The test binary re-runs itself as a child that writes 4 KiB reports in a loop and prints
//! `saved <id>` only after `flush()` returned. The parent kills it with SIGKILL 10-150 ms after
//! spawning it (half the rounds: the kill often lands while the vault opens and recovers) or
//! after the child reported the vault open (the other half: the kill lands among writes and
//! flushes), reopens the vault and checks that every acknowledged report is there, byte for
//! byte, that each report and its index entry (written in one batch) are both there or both
//! absent, and that every record decodes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use workvoice_core::vault::{KdfParams, Vault, VaultConfig, VaultOp};

const CHILD_VAR: &str = "WORKVOICE_CRASH_TEST_CHILD";
const PIN: &str = "204851";
const REPORT_LEN: usize = 4096;
const KILLS: usize = 200;
/// A fresh vault every so many kills keeps each reopen cheap enough for the time budget: the
/// test build runs this crate unoptimised, where sealing 4 KiB takes about a millisecond.
const KILLS_PER_VAULT: usize = 25;
const IDS_PER_ROUND: u64 = 1_000_000;

/// Deterministic report contents for `id`, so any record found can be checked byte for byte.
fn report(id: u64) -> Vec<u8> {
    let mut state = id.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut bytes = Vec::with_capacity(REPORT_LEN);
    bytes.extend_from_slice(&id.to_be_bytes());
    while bytes.len() < REPORT_LEN {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(REPORT_LEN);
    bytes
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }
}

/// Entry point of the child process; does nothing in a normal test run.
#[test]
fn child_process_writes_reports() {
    let Ok(spec) = std::env::var(CHILD_VAR) else {
        return;
    };
    let (dir, first_id) = spec.split_once('|').unwrap();
    let first_id: u64 = first_id.parse().unwrap();
    let vault = Vault::unlock(Path::new(dir), PIN, None).unwrap();
    let mut stdout = std::io::stdout().lock();
    // libtest has printed "test <name> ... " without a newline: start on a fresh line.
    writeln!(stdout, "\nready").unwrap();
    stdout.flush().unwrap();
    for id in first_id.. {
        let key = id.to_string();
        let value = report(id);
        vault
            .batch(&[
                VaultOp::Put {
                    ns: "reports",
                    key: &key,
                    value: &value,
                },
                VaultOp::Put {
                    ns: "index",
                    key: &key,
                    value: &id.to_be_bytes(),
                },
            ])
            .unwrap();
        vault.flush().unwrap();
        writeln!(stdout, "saved {id}").unwrap();
        stdout.flush().unwrap();
    }
}

/// When the kill delay starts counting.
#[derive(Clone, Copy)]
enum KillClock {
    /// From the spawn: the kill often lands while the vault is being opened and recovered.
    FromSpawn,
    /// From the child's "ready": the kill lands among writes and flushes, however loaded the
    /// machine is.
    FromReady,
}

enum ChildLine {
    Ready,
    Saved(u64),
}

/// Runs one child, kills it after `delay`, returns the ids it acknowledged.
fn run_and_kill(dir: &Path, first_id: u64, clock: KillClock, delay: Duration) -> Vec<u64> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_process_writes_reports",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_VAR, format!("{}|{first_id}", dir.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = Vec::new();
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line).unwrap() == 0 {
                return;
            }
            // A line cut short by the kill carries no acknowledgement.
            let Some(text) = line.strip_suffix(b"\n") else {
                return;
            };
            let text = std::str::from_utf8(text).unwrap_or_default();
            let event = if text == "ready" {
                ChildLine::Ready
            } else if let Some(id) = text.strip_prefix("saved ") {
                ChildLine::Saved(id.parse().unwrap())
            } else {
                continue;
            };
            if lines_tx.send(event).is_err() {
                return;
            }
        }
    });
    if let KillClock::FromReady = clock {
        match lines_rx.recv_timeout(Duration::from_secs(30)) {
            Ok(ChildLine::Ready) => {}
            _ => panic!("the child did not open the vault"),
        }
    }
    std::thread::sleep(delay);
    let still_running = child.try_wait().unwrap().is_none();
    assert!(still_running, "the child exited before it was killed");
    child.kill().unwrap();
    child.wait().unwrap();
    reader.join().unwrap();
    lines_rx
        .try_iter()
        .filter_map(|line| match line {
            ChildLine::Saved(id) => Some(id),
            ChildLine::Ready => None,
        })
        .collect()
}

#[test]
fn reports_flushed_before_sigkill_survive() {
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut rng = Rng(seed);
    let started = Instant::now();
    let config = VaultConfig {
        kdf: KdfParams::INSECURE_FAST_FOR_TESTS,
        ..VaultConfig::default()
    };
    let (mut kills, mut acknowledged, mut lost) = (0, 0, 0);

    for _ in 0..KILLS / KILLS_PER_VAULT {
        let dir = tempfile::tempdir().unwrap();
        drop(Vault::create(dir.path(), PIN, None, None, &config).unwrap());
        let mut saved = BTreeSet::new();
        for round in 0..KILLS_PER_VAULT as u64 {
            let clock = if round % 2 == 0 {
                KillClock::FromSpawn
            } else {
                KillClock::FromReady
            };
            let delay = Duration::from_millis(rng.between(10, 150));
            let ids = run_and_kill(dir.path(), round * IDS_PER_ROUND, clock, delay);
            kills += 1;
            acknowledged += ids.len();
            saved.extend(ids);

            let vault = Vault::unlock(dir.path(), PIN, None).unwrap_or_else(|error| {
                panic!("reopening after kill {kills} failed: {error} (seed {seed})")
            });
            let reports: BTreeMap<u64, Vec<u8>> = vault
                .list("reports")
                .unwrap_or_else(|error| panic!("corrupt record after kill {kills}: {error}"))
                .into_iter()
                .map(|(key, value)| (key.parse().unwrap(), value))
                .collect();
            let index: BTreeSet<u64> = vault
                .list("index")
                .unwrap()
                .into_iter()
                .map(|(key, _)| key.parse().unwrap())
                .collect();
            for (id, value) in &reports {
                assert!(
                    value == &report(*id),
                    "report {id} differs after kill {kills}"
                );
            }
            assert!(
                reports.keys().eq(index.iter()),
                "a batch was applied in part after kill {kills}"
            );
            let missing = saved.iter().filter(|id| !reports.contains_key(id)).count();
            if missing > 0 {
                eprintln!("kill {kills}: {missing} acknowledged reports missing (seed {seed})");
            }
            lost += missing;
            if round + 1 == KILLS_PER_VAULT as u64 {
                // No record outside the two namespaces, and all of them decode.
                assert_eq!(vault.verify_records().unwrap(), reports.len() + index.len());
            }
        }
    }
    println!(
        "vault crash test: {kills} SIGKILLs, {acknowledged} reports acknowledged as saved, \
         lost={lost}, corrupt=0, {:.1} s, seed {seed}",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(lost, 0, "flushed reports were lost");
    // Half the kills come 10-150 ms after the vault is open: some reports must have been
    // acknowledged, or the test proved nothing.
    assert!(
        acknowledged >= KILLS / 10,
        "only {acknowledged} reports acknowledged"
    );
}
