//! The relay binary as separate OS processes, for tests where the command line or a killed
//! process is the point: a seeded database, `serve` in a child process, the other commands.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use reqwest::{Client, StatusCode};
use workvoice_proto::api::{InboxPage, SubmissionRequest};
use workvoice_proto::keys::ReportId;
use workvoice_proto::vectors::Fixture;
use workvoice_relay::configuration::Settings;
use workvoice_relay::testing::{SeededWorld, seed_fixture_world};

pub const RELAY: &str = env!("CARGO_BIN_EXE_workvoice-relay");

/// Where a relay keeps its data: a data directory and, for PostgreSQL, a database URL.
#[derive(Debug, Clone)]
pub struct Place {
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
}

impl Place {
    pub fn settings(&self, fixture: &Fixture) -> Settings {
        Settings {
            listen: "127.0.0.1:0".into(),
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            max_connections: 8,
            root_public_key: Some(fixture.root.public_key().to_hex()),
            pow_difficulty: 4,
            anonymous_rate_per_second: 0,
            directory_recheck_ms: 0,
            ..Settings::default()
        }
    }

    /// The environment a relay process of this place runs with.
    pub fn command(&self, fixture: &Fixture, args: &[&str]) -> Command {
        let mut cmd = Command::new(RELAY);
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("WORKVOICE_DATA_DIR", &self.data_dir)
            .env("WORKVOICE_LISTEN", "127.0.0.1:0")
            .env(
                "WORKVOICE_ROOT_PUBLIC_KEY",
                fixture.root.public_key().to_hex(),
            )
            .env("WORKVOICE_POW_DIFFICULTY", "4")
            .env("WORKVOICE_ANONYMOUS_RATE_PER_SECOND", "0")
            .env("WORKVOICE_DIRECTORY_RECHECK_MS", "0")
            .env("WORKVOICE_LOG_LEVEL", "warn");
        if let Some(url) = &self.database_url {
            cmd.env("WORKVOICE_DATABASE_URL", url);
        }
        cmd
    }

    /// Run a command of the relay binary to its end.
    pub fn run(&self, fixture: &Fixture, args: &[&str]) -> Output {
        self.command(fixture, args).output().unwrap()
    }

    /// Drop this place's PostgreSQL database, if it has one (best effort, at a test's end).
    pub async fn drop_database(&self) {
        use sqlx::Connection;
        let (Some(url), Ok(admin)) = (
            &self.database_url,
            std::env::var(workvoice_relay::testing::PG_URL_VAR),
        ) else {
            return;
        };
        let Some(name) = url
            .split('?')
            .next()
            .and_then(|u| u.rsplit('/').next())
            .filter(|n| n.starts_with("wv_test_"))
        else {
            return;
        };
        sqlx::any::install_default_drivers();
        if let Ok(mut conn) = sqlx::AnyConnection::connect(&admin).await {
            let _ = sqlx::query::<sqlx::Any>(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await;
            let _ = conn.close().await;
        }
    }

    /// Seed the fixture world (organisations, keys, rules, directory) without serving.
    pub async fn seed(&self, fixture: &Fixture) -> SeededWorld {
        let world = seed_fixture_world(&self.settings(fixture), fixture)
            .await
            .unwrap();
        world.storage.close().await;
        world
    }
}

pub fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub fn refused(out: Output) -> String {
    assert!(
        !out.status.success(),
        "unexpectedly succeeded: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr).unwrap()
}

/// A `workvoice-relay serve` process; killed (SIGKILL) when dropped.
#[derive(Debug)]
pub struct RelayProcess {
    pub base_url: String,
    pub child: Child,
}

impl RelayProcess {
    pub fn spawn(place: &Place, fixture: &Fixture) -> RelayProcess {
        let mut child = place
            .command(fixture, &["serve"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        assert!(first.contains("listening on"), "unexpected: {first}");
        let base_url = first.rsplit(' ').next().unwrap().to_string();
        // Keep reading its log so that it never blocks on a full pipe.
        std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));
        RelayProcess { base_url, child }
    }

    /// SIGKILL: no graceful shutdown, no chance to finish anything in flight.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Tries that failed (no answer, or a 5xx/408/429) in this test process, all submissions.
pub static FAILED_TRIES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Post a submission as a phone does: retry on a connection failure or a 5xx/408/429 until
/// the relay answers 200 or 201 (or `tries` run out). Returns the answer's status and body.
pub async fn submit_with_retries(
    c: &Client,
    base_url: &str,
    request: &SubmissionRequest,
    tries: usize,
) -> (StatusCode, String) {
    let mut last = String::new();
    for attempt in 0..tries {
        match c
            .post(format!("{base_url}/v1/submissions"))
            .json(request)
            .send()
            .await
        {
            Ok(r) => {
                let status = r.status();
                let body = r.text().await.unwrap_or_default();
                if status == StatusCode::OK || status == StatusCode::CREATED {
                    return (status, body);
                }
                assert!(
                    status.is_server_error()
                        || status == StatusCode::REQUEST_TIMEOUT
                        || status == StatusCode::TOO_MANY_REQUESTS,
                    "refused: {status} {body}"
                );
                last = format!("{status} {body}");
            }
            Err(e) => last = e.to_string(),
        }
        FAILED_TRIES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(20 * (attempt as u64 + 1).min(10))).await;
    }
    panic!("no answer after {tries} tries: {last}");
}

/// Every report id in an organisation's inbox, in inbox order (with repeats, if any).
pub async fn inbox_report_ids(c: &Client, base_url: &str, token: &str) -> Vec<ReportId> {
    let mut out = Vec::new();
    let mut after = 0u64;
    loop {
        let r = c
            .get(format!("{base_url}/v1/org/inbox?after={after}&limit=100"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let page: InboxPage = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        if page.entries.is_empty() {
            return out;
        }
        for e in page.entries {
            after = e.seq;
            out.push(e.report_id);
        }
    }
}

/// A private directory for a relay's data (0700, as the relay makes it).
pub fn data_dir(parent: &Path, name: &str) -> PathBuf {
    parent.join(name)
}
