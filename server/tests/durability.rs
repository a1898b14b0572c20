//! A 201 is a promise: the relay answers a submission only after its commit is on stable
//! storage. On SQLite this is shown on the real binary's system calls; on PostgreSQL the relay
//! refuses to start when the server would acknowledge a commit before flushing it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use workvoice_proto::vectors::Fixture;
use workvoice_relay::configuration::Settings;
use workvoice_relay::storage::{Storage, StorageError};
use workvoice_relay::testing::{
    SubmissionSpec, fresh_postgres_database, prepare_submission, seed_fixture_world,
};

const STRACE: &str = "/usr/bin/strace";

/// One system call as strace reported it, at the moment it completed (a call split into
/// `<unfinished ...>` and `<... resumed>` is put back together).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Call {
    /// A write into the database or its WAL (`pwrite64`, `write`).
    DatabaseWrite,
    /// `fsync` or `fdatasync` of the database or its WAL.
    DatabaseSync,
    /// The start of an HTTP answer with this status.
    Answer(u16),
}

fn classify(name: &str, args: &str) -> Option<Call> {
    // The database file or its WAL; not the shared-memory index, which holds no data.
    let on_database = args
        .split_once('>')
        .map(|(fd, _)| fd)
        .is_some_and(|fd| fd.ends_with("/relay.db") || fd.ends_with("/relay.db-wal"));
    match name {
        "fsync" | "fdatasync" if on_database => Some(Call::DatabaseSync),
        "pwrite64" | "write" | "pwritev" | "writev" if on_database => Some(Call::DatabaseWrite),
        "write" | "writev" | "sendto" | "sendmsg" => {
            let at = args.find("\"HTTP/1.1 ")?;
            let status = args.get(at + 10..at + 13)?.parse().ok()?;
            Some(Call::Answer(status))
        }
        _ => None,
    }
}

/// Parse `strace -f -y` output into the calls that matter, in the order they completed (a
/// write of an answer counts from when it started: its bytes may leave at once).
fn parse_trace(text: &str) -> Vec<Call> {
    let mut pending: HashMap<String, (String, String)> = HashMap::new();
    let mut calls = Vec::new();
    for line in text.lines() {
        let (pid, rest) = line.split_once(' ').unwrap_or(("", line));
        let rest = rest.trim_start();
        if let Some(resumed) = rest.strip_prefix("<... ") {
            let name = resumed.split_whitespace().next().unwrap_or("");
            if let Some((n, args)) = pending.remove(pid)
                && n == name
                && let Some(call) = classify(&n, &args)
                && !matches!(call, Call::Answer(_))
            {
                calls.push(call);
            }
            continue;
        }
        let Some((name, args)) = rest.split_once('(') else {
            continue;
        };
        if rest.ends_with("<unfinished ...>") {
            if let Some(call @ Call::Answer(_)) = classify(name, args) {
                calls.push(call);
            }
            pending.insert(pid.to_string(), (name.to_string(), args.to_string()));
            continue;
        }
        if let Some(call) = classify(name, args) {
            calls.push(call);
        }
    }
    calls
}

/// The first `strict` answers `201` (requests sent one at a time) each come after a sync of the
/// database or WAL that itself comes after the last write into them: the commit was on stable
/// storage before the client heard of it. Later answers are to requests sent together, whose
/// group commits overlap in the trace (the next group may start writing before the last answers
/// of the previous one leave), so a write not yet synced proves nothing about them; each of them
/// must still follow a sync of a write made since the concurrent requests began. Returns how
/// many `201`s were checked.
fn check_order(calls: &[Call], strict: usize) -> Result<usize, String> {
    let mut dirty = false;
    let mut wrote_any = false;
    let mut created = 0;
    // In the concurrent phase: a write since it began, and a sync after such a write.
    let mut phase_wrote = false;
    let mut phase_synced = false;
    for (n, call) in calls.iter().enumerate() {
        match call {
            Call::DatabaseWrite => {
                dirty = true;
                wrote_any = true;
                phase_wrote = created >= strict;
                if created < strict {
                    phase_synced = false;
                }
            }
            Call::DatabaseSync => {
                dirty = false;
                if phase_wrote {
                    phase_synced = true;
                }
            }
            Call::Answer(201) => {
                created += 1;
                if !wrote_any {
                    return Err(format!("201 number {created} (call {n}) before any commit"));
                }
                if created <= strict && dirty {
                    return Err(format!(
                        "201 number {created} (call {n}) was written after a database write \
                         that no fsync/fdatasync had yet made durable"
                    ));
                }
                if created > strict && !phase_synced {
                    return Err(format!(
                        "201 number {created} (call {n}) came before any sync of the writes of \
                         the requests sent together"
                    ));
                }
            }
            Call::Answer(_) => {}
        }
    }
    Ok(created)
}

#[test]
fn the_order_check_catches_an_answer_before_the_sync() {
    use Call::*;
    let good = [DatabaseWrite, DatabaseSync, Answer(201), Answer(201)];
    assert_eq!(check_order(&good, 2), Ok(2));
    let early = [DatabaseWrite, Answer(201), DatabaseSync];
    assert!(check_order(&early, 1).is_err());
    let none = [Answer(201)];
    assert!(check_order(&none, 1).is_err());
    // Requests sent together: the next group's write may precede the last answer of the
    // previous group; an answer before any sync of the concurrent writes is still caught.
    let overlapping = [
        DatabaseWrite,
        DatabaseSync,
        Answer(201),
        DatabaseWrite,
        DatabaseSync,
        Answer(201),
        DatabaseWrite,
        Answer(201),
        DatabaseSync,
        Answer(201),
    ];
    assert_eq!(check_order(&overlapping, 1), Ok(4));
    assert!(
        check_order(&overlapping, 3).is_err(),
        "strict for the third"
    );
    let unsynced = [
        DatabaseWrite,
        DatabaseSync,
        Answer(201),
        DatabaseWrite,
        Answer(201),
    ];
    assert!(check_order(&unsynced, 1).is_err());
    let trace = "\
10 pwrite64(7</d/relay.db-wal>, \"\\x37\"..., 4120, 32) = 4120
11 fdatasync(7</d/relay.db-wal> <unfinished ...>
12 writev(9<TCP:[1]>, [{iov_base=\"HTTP/1.1 201 Created\\r\\n\"...}], 1) = 90
11 <... fdatasync resumed>) = 0
";
    assert_eq!(
        parse_trace(trace),
        vec![DatabaseWrite, Answer(201), DatabaseSync]
    );
    let shm = "10 pwrite64(8</d/relay.db-shm>, \"\", 1, 32767) = 1\n";
    assert_eq!(parse_trace(shm), vec![]);
    assert!(check_order(&parse_trace(trace), 1).is_err());
}

/// Submissions sent one at a time before the rest are sent together.
const SEQUENTIAL: usize = 8;

fn strace_available() -> bool {
    if Path::new(STRACE).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "strace is required in CI (scripts/test installs it): {STRACE} is missing"
    );
    eprintln!("SKIPPED: {STRACE} is missing (scripts/test installs it; `apt-get install strace`)");
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_commits_are_synced_before_their_201() {
    if !strace_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let root = fixture.root.public_key().to_hex();
    let settings = Settings {
        data_dir: dir.path().to_path_buf(),
        root_public_key: Some(root.clone()),
        pow_difficulty: 4,
        ..Settings::default()
    };
    let world = seed_fixture_world(&settings, &fixture).await.unwrap();
    world.storage.close().await;
    let requests: Vec<_> = (0..24u64)
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
            .request
        })
        .collect();

    let trace_file = dir.path().join("strace.txt");
    let mut child = Command::new(STRACE)
        .args(["-f", "-y", "-s", "32", "-o"])
        .arg(&trace_file)
        .args([
            "-e",
            "trace=fsync,fdatasync,write,writev,pwrite64,pwritev,sendto,sendmsg",
        ])
        .arg(env!("CARGO_BIN_EXE_workvoice-relay"))
        .arg("serve")
        .env("WORKVOICE_DATA_DIR", dir.path())
        .env("WORKVOICE_LISTEN", "127.0.0.1:0")
        .env("WORKVOICE_ROOT_PUBLIC_KEY", &root)
        .env("WORKVOICE_ANONYMOUS_RATE_PER_SECOND", "0")
        .env("WORKVOICE_LOG_LEVEL", "warn")
        .env_remove("DATABASE_URL")
        .env_remove("WORKVOICE_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let line = lines.next().unwrap().unwrap();
    let url = line.rsplit(' ').next().unwrap().to_string();
    std::thread::spawn(move || for _ in lines.by_ref() {});

    let c = client();
    // One at a time, then several at once (group commit answers a batch after one commit).
    for r in &requests[..SEQUENTIAL] {
        let got = post_json(&c, &format!("{url}/v1/submissions"), r, None).await;
        assert_eq!(got.status(), StatusCode::CREATED);
    }
    let mut tasks = Vec::new();
    let total = requests.len();
    for r in requests.into_iter().skip(SEQUENTIAL) {
        let c = c.clone();
        let url = format!("{url}/v1/submissions");
        tasks.push(tokio::spawn(async move {
            post_json(&c, &url, &r, None).await.status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::CREATED);
    }
    // SIGTERM to the relay (strace's child); strace writes out the trace and exits with it.
    let strace = child.id();
    let relay_pid = std::fs::read_to_string(format!("/proc/{strace}/task/{strace}/children"))
        .unwrap()
        .split_whitespace()
        .next()
        .expect("the relay runs under strace")
        .to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &relay_pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = Command::new("kill").args(["-KILL", &relay_pid]).status();
            child.kill().unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.wait();
    let text = std::fs::read_to_string(&trace_file).unwrap();
    let calls = parse_trace(&text);
    let syncs = calls.iter().filter(|c| **c == Call::DatabaseSync).count();
    let created = check_order(&calls, SEQUENTIAL).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "{created} answers 201, {syncs} syncs of the database or WAL, {} traced lines",
        text.lines().count()
    );
    assert_eq!(created, total, "every 201 was seen in the trace");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_without_synchronous_commit_is_refused_at_start() {
    let url = fresh_postgres_database()
        .await
        .expect("PostgreSQL tests need WORKVOICE_TEST_PG_URL: run scripts/postgres-up");
    let name = url
        .split('?')
        .next()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    // Durable by default: the relay starts.
    let storage = Storage::connect(&url, 2).await.unwrap();
    storage.close().await;
    for setting in ["synchronous_commit = off", "synchronous_commit = on"] {
        alter_database(&url, &format!("ALTER DATABASE {name} SET {setting}")).await;
        let opened = Storage::connect(&url, 2).await;
        if setting.ends_with("off") {
            match opened {
                Err(e @ StorageError::NotDurable(_)) => {
                    assert!(e.to_string().contains("synchronous_commit = off"), "{e}");
                }
                other => panic!("a relay on synchronous_commit = off started: {other:?}"),
            }
        } else {
            opened.unwrap().close().await;
        }
    }
    // The binary says why and exits non-zero.
    alter_database(
        &url,
        &format!("ALTER DATABASE {name} SET synchronous_commit = off"),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_workvoice-relay"))
        .arg("serve")
        .env("WORKVOICE_DATA_DIR", dir.path())
        .env("WORKVOICE_LISTEN", "127.0.0.1:0")
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("synchronous_commit = off"), "{stderr}");
    let admin_url = std::env::var(workvoice_relay::testing::PG_URL_VAR).unwrap();
    alter_database(
        &admin_url,
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    )
    .await;
}

async fn alter_database(url: &str, statement: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    sqlx::query::<sqlx::Any>(sqlx::AssertSqlSafe(statement.to_string()))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
}
