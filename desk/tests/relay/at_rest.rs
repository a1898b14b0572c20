//! A working desk's data directory holds nothing readable: reports, notes and replies with
//! unique markers, synced from a real relay and acted on, are in no file of the directory
//! (database, WAL, shared memory, journal, unlock file), while the desk runs and after.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use workvoice_desk::{Desk, Passphrase, SyncOptions};
use workvoice_proto::keys::{HpkePrivateKey, ReportId};
use workvoice_proto::report::NamedParty;
use workvoice_proto::system_rng::SystemRng;

use crate::common::{PASSPHRASE, USER};
use crate::world::World;

fn files_with(dir: &Path, markers: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_file() {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for marker in markers {
            if bytes.windows(marker.len()).any(|w| w == marker.as_bytes()) {
                found.push(format!("{marker} in {}", path.display()));
            }
        }
    }
    found
}

fn assert_private(dir: &Path) {
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(dir), 0o700, "{}", dir.display());
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
}

#[tokio::test]
async fn cases_notes_and_replies_leave_no_marker_in_the_data_directory() {
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o022));
    let world = World::new().await;
    let mut rng = SystemRng::new();
    let mut report = workvoice_desk::samples::sample_report(
        1,
        ReportId::random(&mut rng),
        HpkePrivateKey::generate(&mut rng).public_key(),
    );
    report.free_text = "REPORT-MARKER-7f3a2c the supervisor holds our passports".into();
    report.recruiter = Some(NamedParty {
        name: "RECRUITER-MARKER-e41b Overseas Placement".into(),
        licence_number: None,
        country: None,
    });
    let sent = world.submit(report).await;
    world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    let id = world.case_id(&sent).await;
    world
        .desk
        .add_note(id, "NOTE-MARKER-90d1 spoke to the worker", USER)
        .await
        .unwrap();
    world
        .desk
        .reply(
            id,
            "REPLY-MARKER-c5a8 we will call the employer",
            "en",
            USER,
        )
        .await
        .unwrap();
    let markers = [
        "REPORT-MARKER-7f3a2c",
        "RECRUITER-MARKER-e41b",
        "NOTE-MARKER-90d1",
        "REPLY-MARKER-c5a8",
    ];
    let dir = world.desk.data_dir().to_path_buf();
    assert!(
        dir.join("desk.sqlite-wal").is_file(),
        "the WAL is there to be searched"
    );
    assert_eq!(files_with(&dir, &markers), Vec::<String>::new());
    assert_private(&dir);

    // After the desk stops, and when it opens again, the same.
    world.desk.store().close().await;
    assert_eq!(files_with(&dir, &markers), Vec::<String>::new());
    assert_private(&dir);
    let desk = Desk::open(&dir, &Passphrase::new(PASSPHRASE))
        .await
        .unwrap();
    let events = desk.store().events(id).await.unwrap();
    let texts: Vec<String> = events
        .iter()
        .filter_map(|e| e.detail["text"].as_str().map(str::to_string))
        .collect();
    assert!(
        texts.iter().any(|t| t.starts_with("NOTE-MARKER-90d1")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.starts_with("REPLY-MARKER-c5a8")),
        "{texts:?}"
    );
    desk.store().close().await;
}
