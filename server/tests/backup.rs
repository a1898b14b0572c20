//! `workvoice-relay backup` and `restore`, as separate processes, on both engines: a backup
//! taken while phones keep submitting, restored into a fresh place, loses nothing answered
//! before it began, and the phones' retries of the rest are delivered exactly once. The file
//! reveals nothing; a wrong key, a truncated file or a non-empty database are refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "support/process.rs"]
mod process;

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use base64::Engine;
use common::client;
use process::*;
use reqwest::StatusCode;
use workvoice_proto::vectors::Fixture;
use workvoice_relay::testing::{
    PreparedSubmission, SubmissionSpec, fresh_postgres_database, prepare_submission,
};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

async fn place(parent: &std::path::Path, name: &str, postgres: bool) -> Place {
    Place {
        data_dir: parent.join(name),
        database_url: if postgres {
            Some(
                fresh_postgres_database()
                    .await
                    .expect("PostgreSQL tests need WORKVOICE_TEST_PG_URL: run scripts/postgres-up"),
            )
        } else {
            None
        },
    }
}

/// What one phone's submission got before and around the backup.
#[derive(Debug, Clone)]
struct Answer {
    status: StatusCode,
    body: String,
    /// The answer arrived before the backup command was started.
    before_backup: bool,
}

async fn backup_under_load_then_restore(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fixture = Fixture::new();
    let source = place(d, "source", postgres).await;
    let world = source.seed(&fixture).await;

    // The operator's key pair: private key 0600, public key printed and written beside it.
    let key = d.join("backup.key");
    let public = ok(source.run(
        &fixture,
        &["backup", "keygen", "--out", key.to_str().unwrap()],
    ));
    assert_eq!(mode(&key), 0o600);
    let public_file = d.join("backup.key.pub");
    assert_eq!(
        std::fs::read_to_string(&public_file).unwrap().trim(),
        public.trim()
    );
    assert!(
        refused(source.run(
            &fixture,
            &["backup", "keygen", "--out", key.to_str().unwrap()]
        ))
        .contains("refusing to overwrite")
    );

    let relay = RelayProcess::spawn(&source, &fixture);
    let total = 160usize;
    let prepared: Arc<Vec<PreparedSubmission>> = Arc::new(
        (0..total as u64)
            .map(|seed| {
                prepare_submission(
                    &fixture,
                    &world.listing,
                    &SubmissionSpec {
                        seed,
                        ..SubmissionSpec::default()
                    },
                )
                .unwrap()
            })
            .collect(),
    );

    // Phones submit, several at a time, while the backup is taken.
    let c = client();
    let next = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicUsize::new(0));
    let started = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for _ in 0..6 {
        let (c, base, prepared, next, answered, started) = (
            c.clone(),
            relay.base_url.clone(),
            prepared.clone(),
            next.clone(),
            answered.clone(),
            started.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= prepared.len() {
                    return mine;
                }
                let (status, body) = submit_with_retries(&c, &base, &prepared[i].request, 50).await;
                // Read after the answer arrived: false means it arrived before the flag was
                // set, which is before the backup command was started.
                let before_backup = !started.load(Ordering::SeqCst);
                answered.fetch_add(1, Ordering::SeqCst);
                mine.push((
                    i,
                    Answer {
                        status,
                        body,
                        before_backup,
                    },
                ));
            }
        }));
    }
    while answered.load(Ordering::SeqCst) < total / 3 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    started.store(true, Ordering::SeqCst);
    let file = d.join("relay.backup");
    let out = {
        let (source, file, public_file) = (source.clone(), file.clone(), public_file.clone());
        tokio::task::spawn_blocking(move || {
            source.run(
                &Fixture::new(),
                &[
                    "backup",
                    "--to",
                    file.to_str().unwrap(),
                    "--public-key",
                    public_file.to_str().unwrap(),
                ],
            )
        })
        .await
        .unwrap()
    };
    let during = answered.load(Ordering::SeqCst);
    let said = ok(out);
    assert!(said.contains("backup written"), "{said}");
    assert!(said.contains("and the relay key"), "{said}");
    let mut answers: Vec<Option<Answer>> = vec![None; total];
    for w in workers {
        for (i, a) in w.await.unwrap() {
            answers[i] = Some(a);
        }
    }
    let answers: Vec<Answer> = answers.into_iter().map(Option::unwrap).collect();
    let before = answers.iter().filter(|a| a.before_backup).count();
    assert!(before >= total / 3 && before < total, "{before} of {total}");
    assert!(
        answers
            .iter()
            .filter(|a| a.before_backup)
            .all(|a| a.status == StatusCode::CREATED)
    );
    eprintln!(
        "{before} submissions answered before the backup began, {} by its end, {total} in all",
        during
    );
    drop(relay);

    // The file is private and reveals nothing: no name, no table, no ciphertext the relay held.
    assert_eq!(mode(&file), 0o600);
    let bytes = std::fs::read(&file).unwrap();
    let envelope = &prepared[0].request.envelope;
    let b64 = base64::engine::general_purpose::STANDARD.encode(envelope);
    for needle in [
        b"Building Workers Union".as_slice(),
        b"organisations",
        b"submissions",
        b"workvoice-relay-backup",
        &envelope[..32],
        &b64.as_bytes()[..40],
        hex::encode(&envelope[..32]).as_bytes(),
        prepared[0].request.submission_id.to_hex().as_bytes(),
    ] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "the backup shows {:?}",
            String::from_utf8_lossy(needle)
        );
    }

    // Refused: a wrong key, a truncated file; neither leaves anything in the target.
    let target = place(d, "restored", postgres).await;
    let other_key = d.join("other.key");
    ok(target.run(
        &fixture,
        &["backup", "keygen", "--out", other_key.to_str().unwrap()],
    ));
    let from = file.to_str().unwrap();
    assert!(
        refused(target.run(
            &fixture,
            &[
                "restore",
                "--from",
                from,
                "--key",
                other_key.to_str().unwrap()
            ]
        ))
        .contains("does not open with this key")
    );
    let cut = d.join("cut.backup");
    std::fs::write(&cut, &bytes[..bytes.len() - 100]).unwrap();
    let key_arg = key.to_str().unwrap();
    let err = refused(target.run(
        &fixture,
        &["restore", "--from", cut.to_str().unwrap(), "--key", key_arg],
    ));
    assert!(err.contains("truncated"), "{err}");

    // Restored into a fresh place (the refusals left it empty), with the relay key.
    let said = ok(target.run(&fixture, &["restore", "--from", from, "--key", key_arg]));
    assert!(said.contains("restored"), "{said}");
    assert_eq!(mode(&target.data_dir), 0o700);
    assert_eq!(
        std::fs::read(target.data_dir.join("relay.key")).unwrap(),
        std::fs::read(source.data_dir.join("relay.key")).unwrap()
    );
    assert_eq!(mode(&target.data_dir.join("relay.key")), 0o600);
    // Not over a database that holds data, unless asked.
    let err = refused(target.run(&fixture, &["restore", "--from", from, "--key", key_arg]));
    assert!(
        err.contains("not empty") && err.contains("--force"),
        "{err}"
    );
    ok(target.run(
        &fixture,
        &["restore", "--from", from, "--key", key_arg, "--force"],
    ));

    // The phones retry against the restored relay: what was answered before the backup is
    // there (a duplicate, answered the same); the rest is stored once.
    let restored = RelayProcess::spawn(&target, &fixture);
    let mut stored_again = 0;
    for (p, a) in prepared.iter().zip(&answers) {
        let (status, body) = submit_with_retries(&c, &restored.base_url, &p.request, 5).await;
        if a.before_backup {
            assert_eq!(status, StatusCode::OK, "lost: {}", p.request.submission_id);
            assert_eq!(body, a.body);
        } else if status == StatusCode::CREATED {
            stored_again += 1;
        }
    }
    eprintln!("{stored_again} submissions were not in the backup and were stored on retry");
    let inbox = inbox_report_ids(&c, &restored.base_url, &world.union.token).await;
    let unique: BTreeSet<_> = inbox.iter().copied().collect();
    assert_eq!(unique.len(), inbox.len(), "a report delivered twice");
    let expected: BTreeSet<_> = prepared.iter().map(|p| p.request.submission_id).collect();
    assert_eq!(unique, expected);
    drop(restored);
    source.drop_database().await;
    target.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_backup_under_load_then_restore_loses_nothing() {
    backup_under_load_then_restore(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_backup_under_load_then_restore_loses_nothing() {
    backup_under_load_then_restore(true).await;
}

/// The copy is the same on both engines: a relay on SQLite moves to PostgreSQL with `backup`
/// and `restore` (the path in docs/OPERATING.md, "Growing past one server").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_relay_moves_to_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fixture = Fixture::new();
    let source = place(d, "sqlite", false).await;
    let world = source.seed(&fixture).await;
    let relay = RelayProcess::spawn(&source, &fixture);
    let c = client();
    let prepared: Vec<_> = (0..5)
        .map(|seed| {
            prepare_submission(
                &fixture,
                &world.listing,
                &SubmissionSpec {
                    seed,
                    ..SubmissionSpec::default()
                },
            )
            .unwrap()
        })
        .collect();
    let mut answers = Vec::new();
    for p in &prepared {
        let (status, body) = submit_with_retries(&c, &relay.base_url, &p.request, 3).await;
        assert_eq!(status, StatusCode::CREATED);
        answers.push(body);
    }
    drop(relay);
    let digest = |place: &Place| {
        let url = place.settings(&fixture).database_url();
        async move {
            let storage = workvoice_relay::storage::Storage::connect(&url, 2)
                .await
                .unwrap();
            let digest = storage.content_digest().await.unwrap();
            storage.close().await;
            digest
        }
    };
    let before = digest(&source).await;
    let key = d.join("backup.key");
    ok(source.run(
        &fixture,
        &["backup", "keygen", "--out", key.to_str().unwrap()],
    ));
    let file = d.join("relay.backup");
    let public = d.join("backup.key.pub");
    ok(source.run(
        &fixture,
        &[
            "backup",
            "--to",
            file.to_str().unwrap(),
            "--public-key",
            public.to_str().unwrap(),
        ],
    ));
    let target = place(d, "postgres", true).await;
    ok(target.run(
        &fixture,
        &[
            "restore",
            "--from",
            file.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    ));
    // Every row of every table, byte for byte, on the other engine.
    assert_eq!(digest(&target).await, before);
    let relay = RelayProcess::spawn(&target, &fixture);
    let inbox = inbox_report_ids(&c, &relay.base_url, &world.union.token).await;
    let ids: Vec<_> = prepared.iter().map(|p| p.request.submission_id).collect();
    assert_eq!(inbox, ids);
    for (p, answer) in prepared.iter().zip(&answers) {
        let (status, body) = submit_with_retries(&c, &relay.base_url, &p.request, 3).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(&body, answer);
    }
    drop(relay);
    target.drop_database().await;
}

/// A backup taken from a newer relay (a migration this binary lacks) is refused with a
/// message naming it, and nothing is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_from_a_newer_relay_is_refused() {
    use std::io::Write;
    use workvoice_proto::system_rng::SystemRng;
    use workvoice_relay::backup::SealWriter;

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fixture = Fixture::new();
    let target = place(d, "target", false).await;
    let key = d.join("backup.key");
    ok(target.run(
        &fixture,
        &["backup", "keygen", "--out", key.to_str().unwrap()],
    ));
    let private = workvoice_relay::backup::read_private_key(&key).unwrap();
    let file = d.join("future.backup");
    let lines = concat!(
        r#"{"format":"workvoice-relay-backup","format_version":1,"backend":"sqlite","#,
        r#""migrations":[{"version":1,"description":"initial"},"#,
        r#"{"version":9001,"description":"from the future"}],"relay_version":"9.0.0"}"#,
        "\n",
        r#"{"done":0}"#,
        "\n"
    );
    let mut w = SealWriter::new(
        std::fs::File::create(&file).unwrap(),
        &private.public_key(),
        &mut SystemRng::new(),
    )
    .unwrap();
    w.write_all(lines.as_bytes()).unwrap();
    w.finish().unwrap();
    let err = refused(target.run(
        &fixture,
        &[
            "restore",
            "--from",
            file.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    ));
    assert!(
        err.contains("newer relay")
            && err.contains("9.0.0")
            && err.contains("9001 from the future"),
        "{err}"
    );
    assert!(
        !target.data_dir.exists(),
        "the refused restore created its data directory"
    );
}

/// A backup that fails half-way leaves no file behind, neither the backup nor its partial
/// copy: here a table with a column type the copy does not know (as a hand-made table, or a
/// future migration the backup code was not taught, would have).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_backup_leaves_no_file() {
    use sqlx::Connection;

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fixture = Fixture::new();
    let source = place(d, "source", false).await;
    source.seed(&fixture).await;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&source.settings(&fixture).database_url())
        .await
        .unwrap();
    sqlx::query::<sqlx::Any>("CREATE TABLE zz_extra (x REAL)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let key = d.join("backup.key");
    ok(source.run(
        &fixture,
        &["backup", "keygen", "--out", key.to_str().unwrap()],
    ));
    let file = d.join("relay.backup");
    let err = refused(source.run(
        &fixture,
        &[
            "backup",
            "--to",
            file.to_str().unwrap(),
            "--public-key",
            d.join("backup.key.pub").to_str().unwrap(),
        ],
    ));
    assert!(err.contains("zz_extra.x has type REAL"), "{err}");
    assert!(!file.exists());
    assert!(!d.join("relay.backup.partial").exists());
}

/// `restore` refuses, with the reason, while a relay serves the target's data directory (even
/// with `--force`), and leaves its data as it was; once the relay is stopped it restores.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_refuses_while_a_relay_serves_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fixture = Fixture::new();
    let source = place(d, "source", false).await;
    let world = source.seed(&fixture).await;
    let key = d.join("backup.key");
    ok(source.run(
        &fixture,
        &["backup", "keygen", "--out", key.to_str().unwrap()],
    ));
    let file = d.join("relay.backup");
    ok(source.run(
        &fixture,
        &[
            "backup",
            "--to",
            file.to_str().unwrap(),
            "--public-key",
            d.join("backup.key.pub").to_str().unwrap(),
        ],
    ));

    // The source relay serves, and keeps a report that is not in the backup.
    let mut relay = RelayProcess::spawn(&source, &fixture);
    let c = client();
    let late = prepare_submission(&fixture, &world.listing, &SubmissionSpec::default()).unwrap();
    let (status, _) = submit_with_retries(&c, &relay.base_url, &late.request, 3).await;
    assert_eq!(status, StatusCode::CREATED);
    let restore = [
        "restore",
        "--from",
        file.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ];
    let mut forced = restore.to_vec();
    forced.push("--force");
    for args in [&restore[..], &forced[..]] {
        let err = refused(source.run(&fixture, args));
        assert!(
            err.contains("a relay is running on the data directory")
                && err.contains("relay.lock")
                && err.contains("stop it first"),
            "{err}"
        );
    }
    // Nothing was written: the relay still has the late report.
    let inbox = inbox_report_ids(&c, &relay.base_url, &world.union.token).await;
    assert_eq!(inbox, vec![late.request.submission_id]);

    // Stopped (even killed), the data directory is free: the forced restore goes through and
    // the late report, not in the backup, is gone.
    relay.kill();
    let said = ok(source.run(&fixture, &forced));
    assert!(said.contains("restored"), "{said}");
    let relay = RelayProcess::spawn(&source, &fixture);
    let inbox = inbox_report_ids(&c, &relay.base_url, &world.union.token).await;
    assert_eq!(inbox, vec![]);
}
