//! A report the app has told the worker is saved survives the app being killed with SIGKILL.
//!
//! The test binary re-runs itself as a child that drives the real core (the FFI host with the
//! real vault) composing and queueing reports, and prints `saved <id>` only when the view shows
//! the "saved" notice. The parent kills it at a random moment, restarts the core on the same
//! directory, unlocks, and checks that every report announced as saved is in the outbox.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use workvoice_core::app::{AppConfig, Event, Screen};
use workvoice_core::host::{Host, HostConfig};
use workvoice_core::i18n::{K, tr};

const CHILD_VAR: &str = "WORKVOICE_APP_CRASH_CHILD";
const PIN: &str = "204851";
const KILLS: usize = 12;

fn config(dir: &str) -> HostConfig {
    HostConfig {
        // Inside the temporary folder, so the host's intake folder beside it goes with it.
        data_dir: format!("{dir}/phone"),
        // Nothing listens there: reports wait for signal, as on a phone without one.
        app: AppConfig {
            relay_url: "http://127.0.0.1:9".into(),
            ..AppConfig::default()
        },
        insecure_fast_kdf: true,
        max_pin_attempts: 0,
        platform_secret: Vec::new(),
    }
}

fn queue_report(host: &Host, n: u64) {
    for event in [
        Event::NewReport,
        Event::SetPlace {
            destination_country: "QA".into(),
            origin_country: "NP".into(),
            sector: "F".into(),
        },
        Event::SetStory {
            text: format!("report {n} {}", "x".repeat(3000)),
            language: String::new(),
        },
        Event::Review,
        Event::SendReport,
    ] {
        host.update(event);
    }
}

#[test]
fn child_process_queues_reports() {
    let Ok(dir) = std::env::var(CHILD_VAR) else {
        return;
    };
    let (host, _) = Host::start(config(&dir)).unwrap();
    host.update(Event::Unlock { pin: PIN.into() });
    let saved = tr("en", K::ReportSaved);
    for n in 0.. {
        queue_report(&host, n);
        let view = host.view();
        if view.notice.map(|n| n.text) == Some(saved.clone())
            && let Screen::Outbox { items, .. } = view.screen
        {
            println!("saved {}", items[0].report_id);
        }
    }
}

#[test]
fn reports_announced_as_saved_survive_sigkill() {
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
    let mut announced: Vec<String> = Vec::new();
    for _ in 0..KILLS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "child_process_queues_reports",
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
                if let Some(id) = line.strip_prefix("saved ") {
                    let _ = tx.send(id.to_string());
                }
            }
        });
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let wait = Duration::from_millis(150 + seed % 400);
        let started = Instant::now();
        // Kill at a random moment once it has saved at least one report (or after 20 s).
        let mut got_one = false;
        while started.elapsed() < wait || (!got_one && started.elapsed() < Duration::from_secs(20))
        {
            if let Ok(id) = rx.recv_timeout(Duration::from_millis(5)) {
                announced.push(id);
                got_one = true;
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        reader.join().unwrap();
        announced.extend(rx.try_iter());
    }
    assert!(!announced.is_empty(), "the child saved nothing");
    let (host, _) = Host::start(config(&path)).unwrap();
    host.update(Event::Unlock { pin: PIN.into() });
    host.update(Event::OpenOutbox);
    let Screen::Outbox { items, .. } = host.view().screen else {
        panic!("no outbox")
    };
    let present: std::collections::BTreeSet<String> =
        items.into_iter().map(|i| i.report_id).collect();
    for id in &announced {
        assert!(
            present.contains(id),
            "report {id} was announced saved but is gone"
        );
    }
    println!(
        "{} reports announced saved over {KILLS} kills, all present",
        announced.len()
    );
}
