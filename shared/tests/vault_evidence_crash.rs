//! A kill during a chunked evidence write leaves every photo of the draft whole or absent.
//!
//! The test binary re-runs itself as a child that drives the real core (the FFI host with the
//! real vault) adding 1.5 MB photos to a draft (each stored as several chunk records in one
//! batch with the draft) and removing them again, printing `wrote` after each. The parent kills
//! it at a random moment, opens the vault, and checks that every attachment the stored draft
//! lists has all its chunks and opens with its manifest entry, and that no chunk is left that
//! the draft does not list.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use workvoice_core::app::records::{ATTACHMENT_CHUNK_BYTES, Draft, attachment_chunk_key};
use workvoice_core::app::{AppConfig, Event, Screen, Step};
use workvoice_core::host::{Host, HostConfig};
use workvoice_core::vault::Vault;
use workvoice_proto::attachment::open_attachment;

const CHILD_VAR: &str = "WORKVOICE_EVIDENCE_CRASH_CHILD";
const PIN: &str = "204851";
const KILLS: usize = 12;
const PHOTO_BYTES: usize = 1_500_000;

fn config(dir: &str) -> HostConfig {
    HostConfig {
        data_dir: dir.into(),
        app: AppConfig {
            relay_url: "http://127.0.0.1:9".into(),
            ..AppConfig::default()
        },
        insecure_fast_kdf: true,
        max_pin_attempts: 0,
        platform_secret: Vec::new(),
    }
}

#[path = "common/jpeg.rs"]
mod photo;

/// A JPEG of about `len` bytes whose entropy-coded data is padding, different per `seed`.
fn jpeg(len: usize, seed: u8) -> Vec<u8> {
    photo::jpeg(None, (0..len).map(|i| ((i + seed as usize) % 127) as u8))
}

fn evidence_count(host: &Host) -> usize {
    match host.view().screen {
        Screen::Compose(compose) => compose
            .items
            .iter()
            .filter(|item| item.text.starts_with("Photo"))
            .count(),
        _ => 0,
    }
}

#[test]
fn child_process_adds_and_removes_evidence() {
    let Ok(dir) = std::env::var(CHILD_VAR) else {
        return;
    };
    let (host, _) = Host::start(config(&dir)).unwrap();
    host.update(Event::Unlock { pin: PIN.into() });
    host.update(Event::NewReport);
    host.update(Event::GoToStep {
        step: Step::Evidence,
    });
    for round in 0u32.. {
        if evidence_count(&host) < 4 {
            host.update(Event::AddEvidence {
                bytes: jpeg(PHOTO_BYTES, round as u8),
            });
        } else {
            host.update(Event::RemoveEvidence { index: 0 });
        }
        println!("wrote {}", evidence_count(&host));
    }
}

/// Opens the vault and checks the draft's evidence; returns how many photos it holds.
fn check_draft_evidence(dir: &Path, kill: usize) -> usize {
    let vault = Vault::unlock(dir, PIN, None).unwrap();
    let Some(draft) = vault.get("draft", "current").unwrap() else {
        assert!(vault.list("attachments").unwrap().is_empty());
        return 0;
    };
    let draft: Draft = serde_json::from_slice(&draft).unwrap();
    let report = &draft.report;
    let mut chunks_listed = 0;
    for manifest in &report.attachments {
        let chunks = manifest.sealed_size.div_ceil(ATTACHMENT_CHUNK_BYTES as u64);
        let mut sealed = Vec::new();
        for index in 0..chunks {
            let key = attachment_chunk_key(&report.report_id, &manifest.id, index);
            let chunk = vault.get("attachments", &key).unwrap().unwrap_or_else(|| {
                panic!("kill {kill}: chunk {index} of a listed photo is missing")
            });
            sealed.extend_from_slice(&chunk);
        }
        open_attachment(&sealed, report.report_id, manifest)
            .unwrap_or_else(|error| panic!("kill {kill}: a listed photo does not open: {error}"));
        chunks_listed += chunks as usize;
    }
    assert_eq!(
        vault.list("attachments").unwrap().len(),
        chunks_listed,
        "kill {kill}: chunks left that the draft does not list"
    );
    report.attachments.len()
}

#[test]
fn a_kill_during_a_chunked_evidence_write_leaves_each_photo_whole_or_absent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().display().to_string();
    {
        let (host, _) = Host::start(config(&path)).unwrap();
        host.update(Event::StartSetup);
        host.update(Event::SubmitNewPin {
            pin: PIN.into(),
            confirm: PIN.into(),
            duress_pin: None,
        });
        host.update(Event::RecoveryCodeWritten);
        assert!(matches!(host.view().screen, Screen::Home { .. }));
    }
    let mut seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let (mut writes, mut photos_seen) = (0, 0);
    for kill in 1..=KILLS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "child_process_adds_and_removes_evidence",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_VAR, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with("wrote ") {
                    let _ = tx.send(());
                }
            }
        });
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // Kill at a random moment after the first write (or after 30 s without one).
        let wait = Duration::from_millis(seed % 700);
        let first = rx.recv_timeout(Duration::from_secs(30)).is_ok();
        let started = Instant::now();
        while first && started.elapsed() < wait {
            std::thread::sleep(Duration::from_millis(1));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        reader.join().unwrap();
        writes += usize::from(first) + rx.try_iter().count();
        photos_seen += check_draft_evidence(dir.path(), kill);
    }
    println!(
        "evidence kill test: {KILLS} SIGKILLs, {writes} evidence writes acknowledged, \
         {photos_seen} photos found whole after the kills, none partial"
    );
    assert!(writes > 0, "the child wrote nothing");
    assert!(photos_seen > 0, "no photo was ever stored");
}
