//! Peak memory of taking in one photo as evidence, against the photo's own size, in one run.
//!
//! A fresh child process sets up a vault through the FFI host, opens a draft at the evidence
//! step, builds a 9 MiB JPEG, reads its `VmHWM` (peak resident memory), adds the photo
//! (`Event::AddEvidence`: strip, seal, store as 256 KiB chunk records) and reads `VmHWM` again.
//! The growth is what intake costs on top of the photo the shell already holds. The upload
//! that follows reads one 256 KiB chunk at a time (`shared/tests/app_evidence.rs`).
//!
//! `cargo bench -p workvoice-core --bench evidence`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use workvoice_core::app::{AppConfig, Event, Step};
use workvoice_core::host::{Host, HostConfig};

const CHILD_VAR: &str = "WORKVOICE_EVIDENCE_BENCH_CHILD";
const PHOTO_BYTES: usize = 9 * 1024 * 1024;

#[path = "../tests/common/jpeg.rs"]
mod photo;

fn jpeg(len: usize) -> Vec<u8> {
    photo::jpeg(None, (0..len).map(|i| (i % 127) as u8))
}

fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap()
}

fn child(dir: &str) {
    let config = HostConfig {
        data_dir: dir.into(),
        app: AppConfig {
            relay_url: "http://127.0.0.1:9".into(),
            ..AppConfig::default()
        },
        insecure_fast_kdf: true,
        max_pin_attempts: 0,
        platform_secret: Vec::new(),
    };
    let (host, _) = Host::start(config).unwrap();
    host.update(Event::StartSetup);
    host.update(Event::SubmitNewPin {
        pin: "482916".into(),
        confirm: "482916".into(),
        duress_pin: None,
    });
    host.update(Event::RecoveryCodeWritten);
    host.update(Event::NewReport);
    host.update(Event::GoToStep {
        step: Step::Evidence,
    });
    let photo = jpeg(PHOTO_BYTES);
    let len = photo.len();
    let before = peak_kib();
    host.update(Event::AddEvidence { bytes: photo });
    let after = peak_kib();
    println!("peak {len} {}", after.saturating_sub(before));
}

fn main() {
    if let Ok(dir) = std::env::var(CHILD_VAR) {
        child(&dir);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(std::env::current_exe().unwrap())
        .env(CHILD_VAR, dir.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    let line = text.lines().find(|l| l.starts_with("peak ")).unwrap();
    let mut fields = line.split_whitespace().skip(1);
    let len: f64 = fields.next().unwrap().parse().unwrap();
    let growth_kib: f64 = fields.next().unwrap().parse().unwrap();
    let mib = |bytes: f64| bytes / (1024.0 * 1024.0);
    println!("\n| measure | value | baseline | value / baseline |\n| --- | --- | --- | --- |");
    println!(
        "| peak memory growth (VmHWM) adding one photo as evidence | {:.1} MiB | the photo itself {:.1} MiB | {:.2} |",
        mib(growth_kib * 1024.0),
        mib(len),
        growth_kib * 1024.0 / len
    );
}
