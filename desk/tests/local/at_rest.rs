//! The desk's data directory at rest: 0700 and 0600 whatever the umask, the case store sealed,
//! and a plain store written by an older desk sealed on its first unlock.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use workvoice_desk::desk::InitOptions;
use workvoice_desk::secrets::MasterKey;
use workvoice_desk::{Desk, DeskError, Passphrase};
use workvoice_proto::keys::{HpkePrivateKey, OrgId, ReportId};
use workvoice_proto::system_rng::SystemRng;
use workvoice_proto::vectors::DeterministicRng;

use crate::common::*;

/// The umask of a typical login shell, under which SQLite alone would make 0644 files.
pub fn usual_umask() {
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o022));
}

/// The permission bits of every entry of `dir` (and of `dir` itself), as `stat` shows them.
pub fn modes(dir: &Path) -> Vec<(String, u32)> {
    let mut out = vec![(
        ".".to_string(),
        std::fs::metadata(dir).unwrap().permissions().mode() & 0o777,
    )];
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
        out.push((entry.file_name().to_string_lossy().into_owned(), mode));
    }
    out.sort();
    out
}

pub fn assert_private(dir: &Path) {
    let modes = modes(dir);
    for (name, mode) in &modes {
        let want = if name == "." { 0o700 } else { 0o600 };
        assert_eq!(*mode, want, "{name} is {mode:o} in {modes:?}");
    }
}

/// Which of `markers` occur in any file of `dir` (the database, its WAL and shared memory,
/// journals, the unlock file: everything).
pub fn markers_found(dir: &Path, markers: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_file() {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for marker in markers {
            let needle = marker.as_bytes();
            if bytes.windows(needle.len()).any(|w| w == needle) {
                found.push(format!("{marker} in {}", path.display()));
            }
        }
    }
    found
}

#[tokio::test]
async fn a_new_desk_is_private_and_sealed_under_the_usual_umask() {
    usual_umask();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("desk");
    let desk = Desk::init(
        &dir,
        &Passphrase::new(PASSPHRASE),
        InitOptions {
            org_name: "Private Workers Union".into(),
            kdf: FAST_KDF,
        },
    )
    .await
    .unwrap();
    let org = OrgId([9; 16]);
    let reports = seed_local(&desk, org, 3).await;
    let note = "NOTE-MARKER-b6e1 the employer keeps passports in the site office";
    desk.add_note(1, note, USER).await.unwrap();
    desk.add_user("sealed.caseworker", PASSWORD).await.unwrap();

    // While the desk runs: the database, its WAL and shared memory exist, all 0600.
    let names: Vec<String> = modes(&dir).into_iter().map(|(n, _)| n).collect();
    assert!(names.contains(&"desk.sqlite-wal".to_string()), "{names:?}");
    assert!(names.contains(&"desk.unlock".to_string()), "{names:?}");
    assert_private(&dir);
    let recruiter = reports[0].recruiter.as_ref().unwrap().name.clone();
    let markers = [
        "NOTE-MARKER-b6e1",
        recruiter.as_str(),
        reports[1].free_text.as_str(),
        "sealed.caseworker",
        "Private Workers Union",
        "CREATE TABLE",
    ];
    assert_eq!(markers_found(&dir, &markers), Vec::<String>::new());
    desk.store().close().await;
    drop(desk);
    assert_private(&dir);
    assert_eq!(markers_found(&dir, &markers), Vec::<String>::new());

    // Everything comes back with the passphrase.
    let desk = Desk::open(&dir, &Passphrase::new(PASSPHRASE))
        .await
        .unwrap();
    assert_eq!(desk.store().case_count().await.unwrap(), 3);
    let events = desk.store().events(1).await.unwrap();
    assert!(
        events.iter().any(|e| e.detail["text"] == note),
        "{events:?}"
    );
    assert_eq!(desk.org_name(), "Private Workers Union");
    desk.store().close().await;

    // A store made readable by someone else is made private again at the next unlock.
    for (name, _) in modes(&dir) {
        let path = if name == "." {
            dir.clone()
        } else {
            dir.join(&name)
        };
        let lax = if name == "." { 0o755 } else { 0o644 };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(lax)).unwrap();
    }
    let err = Desk::open(&dir, &Passphrase::new("not the passphrase at all"))
        .await
        .unwrap_err();
    assert!(matches!(err, DeskError::WrongPassphrase), "{err:?}");
    assert_private(&dir);
}

/// A store as a desk wrote it before the database was sealed: the first migration applied to a
/// plain SQLite file, a vault and key, one case and one note.
async fn plain_store_of_an_older_desk(dir: &Path, free_text: &str, note: &str) -> ReportId {
    std::fs::create_dir_all(dir).unwrap();
    let migrations = tempfile::tempdir().unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/0001_desk.sql"),
        migrations.path().join("0001_desk.sql"),
    )
    .unwrap();
    let options = SqliteConnectOptions::new()
        .filename(dir.join("desk.sqlite"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    sqlx::migrate::Migrator::new(migrations.path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    let mut rng = SystemRng::new();
    let salt = [7u8; 16];
    let master = MasterKey::derive(&Passphrase::new(PASSPHRASE), &salt, FAST_KDF).unwrap();
    sqlx::query(
        "INSERT INTO vault (id, salt, memory_kib, iterations, parallelism, check_value, \
         org_name, created_at) VALUES (1, ?, ?, ?, ?, ?, 'Older Union', 0)",
    )
    .bind(&salt[..])
    .bind(FAST_KDF.memory_kib as i64)
    .bind(FAST_KDF.iterations as i64)
    .bind(FAST_KDF.parallelism as i64)
    .bind(master.check_value(&mut rng))
    .execute(&pool)
    .await
    .unwrap();
    let key = HpkePrivateKey::generate(&mut rng);
    sqlx::query(
        "INSERT INTO keyring (version, public_key, sealed_private_key, created_at) \
         VALUES (1, ?, ?, 0)",
    )
    .bind(key.public_key().to_hex())
    .bind(master.seal(
        "workvoice-desk/v1/org-key/1",
        key.to_bytes().as_ref(),
        &mut rng,
    ))
    .execute(&pool)
    .await
    .unwrap();
    let (mut report, _) = sample(0, &mut DeterministicRng::new("older desk"));
    report.free_text = free_text.to_string();
    sqlx::query(
        "INSERT INTO cases (id, report_id, inbox_seq, received_at, stored_at, disclosed_tags, \
         disclosed_consent, plaintext, opened_with_key, problems, destination_country, \
         language, recruiter_name, may_refer_inspectorate, may_refer_ngo, contact_wanted, \
         search_text) VALUES (1, ?, 1, 0, 0, '{}', '{}', ?, 1, '[]', 'QA', 'ne', ?, 0, 0, 0, ?)",
    )
    .bind(report.report_id.to_hex())
    .bind(report.encode())
    .bind(report.recruiter.as_ref().unwrap().name.clone())
    .bind(free_text)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO case_events (case_id, at, actor, kind, detail) VALUES (1, 0, 'amina', \
         'note', ?)",
    )
    .bind(serde_json::json!({ "text": note }).to_string())
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    report.report_id
}

#[tokio::test]
async fn a_plain_store_of_an_older_desk_is_sealed_at_its_first_unlock() {
    usual_umask();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("older-desk");
    let free_text = "STORY-MARKER-51c0 they took my passport at the airport";
    let note = "NOTE-MARKER-0a9d called the worker's sister";
    let report_id = plain_store_of_an_older_desk(&dir, free_text, note).await;
    let markers = ["STORY-MARKER-51c0", "NOTE-MARKER-0a9d"];
    assert_eq!(
        markers_found(&dir, &markers).len(),
        2,
        "the older store is plain (sanity check of the probe)"
    );

    // A wrong passphrase changes nothing: the store stays as it was.
    let before = std::fs::read(dir.join("desk.sqlite")).unwrap();
    let err = Desk::open(&dir, &Passphrase::new("not the passphrase at all"))
        .await
        .unwrap_err();
    assert!(matches!(err, DeskError::WrongPassphrase), "{err:?}");
    assert_eq!(std::fs::read(dir.join("desk.sqlite")).unwrap(), before);
    assert!(!dir.join("desk.unlock").exists());

    // The right one seals it: the same case, note and key, no plain byte left in the directory.
    let desk = Desk::open(&dir, &Passphrase::new(PASSPHRASE))
        .await
        .unwrap();
    assert_eq!(desk.org_name(), "Older Union");
    let id = desk
        .store()
        .case_id_by_report(&report_id.to_hex())
        .await
        .unwrap()
        .unwrap();
    let case = desk.store().case(id).await.unwrap();
    assert_eq!(Desk::report_of(&case).unwrap().free_text, free_text);
    let events = desk.store().events(id).await.unwrap();
    assert_eq!(events[0].detail["text"], note);
    desk.store().close().await;
    drop(desk);
    assert_eq!(markers_found(&dir, &markers), Vec::<String>::new());
    assert_private(&dir);
    let names: Vec<String> = modes(&dir).into_iter().map(|(n, _)| n).collect();
    assert!(
        names.iter().all(|n| [
            ".",
            "desk.sqlite",
            "desk.sqlite-wal",
            "desk.sqlite-shm",
            "desk.unlock"
        ]
        .contains(&n.as_str())),
        "nothing of the sealing is left over: {names:?}"
    );

    // And it opens again, sealed.
    let desk = Desk::open(&dir, &Passphrase::new(PASSPHRASE))
        .await
        .unwrap();
    assert_eq!(desk.store().case_count().await.unwrap(), 1);
}

/// Everything logged anywhere in the process, at every level.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_database_key_is_never_logged() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("desk");
    let passphrase = Passphrase::new(PASSPHRASE);
    let options = InitOptions {
        org_name: "Quiet Union".into(),
        kdf: FAST_KDF,
    };
    let desk = Desk::init(&dir, &passphrase, options).await.unwrap();
    seed_local(&desk, OrgId([2; 16]), 2).await;
    desk.store().close().await;
    drop(desk);
    let desk = Desk::open(&dir, &passphrase).await.unwrap();
    assert_eq!(desk.store().case_count().await.unwrap(), 2);
    tracing::info!("capture-probe-3e1f");
    let text = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    assert!(text.contains("capture-probe-3e1f"), "the capture works");
    assert!(
        !text.contains("PRAGMA key") && !text.contains("x'"),
        "the key was logged"
    );
}

#[tokio::test]
async fn an_interrupted_sealing_is_finished_at_the_next_unlock() {
    let tmp = tempfile::tempdir().unwrap();
    let free_text = "STORY-MARKER-d27e the agent kept my contract";
    let note = "NOTE-MARKER-66b4 sister called back";
    let markers = ["STORY-MARKER-d27e", "NOTE-MARKER-66b4"];

    // Cut after the sealed copy was begun and the plain file got its second name, before the
    // rename: the next unlock starts again from the plain store.
    let dir = tmp.path().join("cut-before-rename");
    let report_id = plain_store_of_an_older_desk(&dir, free_text, note).await;
    std::fs::write(dir.join("desk.sqlite.sealing"), b"half a sealed copy").unwrap();
    std::fs::hard_link(dir.join("desk.sqlite"), dir.join("desk.sqlite.plain")).unwrap();
    let desk = Desk::open(&dir, &Passphrase::new(PASSPHRASE))
        .await
        .unwrap();
    let id = desk
        .store()
        .case_id_by_report(&report_id.to_hex())
        .await
        .unwrap()
        .unwrap();
    let case = desk.store().case(id).await.unwrap();
    assert_eq!(Desk::report_of(&case).unwrap().free_text, free_text);
    desk.store().close().await;
    drop(desk);
    assert_eq!(markers_found(&dir, &markers), Vec::<String>::new());
    assert!(!dir.join("desk.sqlite.sealing").exists());
    assert!(!dir.join("desk.sqlite.plain").exists());

    // Cut after the rename, before the plain bytes were overwritten: the next unlock
    // overwrites and removes them.
    let other = tmp.path().join("cut-after-rename");
    plain_store_of_an_older_desk(&other, free_text, note).await;
    let plain = std::fs::read(other.join("desk.sqlite")).unwrap();
    let desk = Desk::open(&other, &Passphrase::new(PASSPHRASE))
        .await
        .unwrap();
    desk.store().close().await;
    drop(desk);
    std::fs::write(other.join("desk.sqlite.plain"), &plain).unwrap();
    assert_eq!(
        markers_found(&other, &markers).len(),
        2,
        "the probe sees it"
    );
    let desk = Desk::open(&other, &Passphrase::new(PASSPHRASE))
        .await
        .unwrap();
    assert_eq!(desk.store().case_count().await.unwrap(), 1);
    desk.store().close().await;
    assert_eq!(markers_found(&other, &markers), Vec::<String>::new());
    assert!(!other.join("desk.sqlite.plain").exists());

    // Without its unlock file a sealed store cannot be opened, and says why.
    std::fs::remove_file(other.join("desk.unlock")).unwrap();
    let err = Desk::open(&other, &Passphrase::new(PASSPHRASE))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unlock_file_unreadable", "{err}");
}
