//! `workvoice-testbed`: a seeded relay on 127.0.0.1 for the binding tests (Kotlin on the JVM,
//! Python), and the union that answers the reports it receives.
//!
//! ```text
//! workvoice-testbed [--pow-difficulty N] [--poll-ms N] [--max-secs N] [--exit-on-stdin-eof]
//! ```
//!
//! It starts an in-process relay ([`workvoice_relay::testing::TestRelay`]: SQLite in a fresh
//! temporary directory, a free port on 127.0.0.1, the `proto::vectors::Fixture` organisations,
//! low proof-of-work difficulty) and prints ONE JSON line on stdout, what the phone core's
//! configuration needs:
//!
//! ```json
//! {"relay_url":"http://127.0.0.1:41234","root_public_key":"de1a…","union_id":"…",
//!  "union_name":"Building Workers Union","pow_difficulty":4}
//! ```
//!
//! Then it acts as the union, through the organisation API with the union's token: it polls
//! the inbox, opens each new report with the fixture union key, acknowledges it, sets its
//! status to `in_review` and posts a reply sealed to the report's reply key: "We received your
//! report about <recruiter name>." It stops on SIGTERM or SIGINT, when stdin closes (only with
//! `--exit-on-stdin-eof`: a background job's stdin is often `/dev/null`), or after `--max-secs`
//! (default 1800), and deletes the relay's data. Everything it does goes to 127.0.0.1 only.

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::time::Duration;

use serde::Serialize;
use workvoice_proto::api::{InboxPage, PostReply, StatusChange, WorkerStatus};
use workvoice_proto::envelope::open;
use workvoice_proto::keys::ReportId;
use workvoice_proto::reply::{ReplyBody, seal_reply};
use workvoice_proto::report::Report;
use workvoice_proto::routing::disclosure_digest;
use workvoice_proto::status::{StatusBody, seal_status};
use workvoice_proto::vectors::{DeterministicRng, FIXTURE_NOW};
use workvoice_relay::testing::{TestOrg, TestRelay, TestRelayOptions};

const USAGE: &str = "usage: workvoice-testbed [--pow-difficulty N] [--poll-ms N] [--max-secs N] [--exit-on-stdin-eof]";

#[derive(Debug, Clone, PartialEq, Eq)]
struct Options {
    pow_difficulty: u8,
    poll: Duration,
    max_run: Duration,
    exit_on_stdin_eof: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            pow_difficulty: 4,
            poll: Duration::from_millis(200),
            max_run: Duration::from_secs(1800),
            exit_on_stdin_eof: false,
        }
    }
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut options = Options::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            let text = args.next().ok_or_else(|| format!("{name} needs a value"))?;
            text.parse::<u64>()
                .map_err(|_| format!("{name}: {text:?} is not a whole number"))
        };
        match arg.as_str() {
            "--pow-difficulty" => {
                options.pow_difficulty = u8::try_from(value(&arg)?)
                    .ok()
                    .filter(|d| *d <= workvoice_proto::pow::MAX_ACCEPTED_POW_DIFFICULTY)
                    .ok_or("--pow-difficulty must be at most 20, the most a phone solves")?;
            }
            "--poll-ms" => options.poll = Duration::from_millis(value(&arg)?.clamp(10, 10_000)),
            "--max-secs" => options.max_run = Duration::from_secs(value(&arg)?.clamp(1, 6 * 3600)),
            "--exit-on-stdin-eof" => options.exit_on_stdin_eof = true,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(options)
}

/// The line printed on stdout once the relay listens.
#[derive(Debug, Serialize)]
struct Ready<'a> {
    relay_url: &'a str,
    root_public_key: String,
    union_id: String,
    union_name: &'a str,
    pow_difficulty: u8,
}

/// The name the fixture union is registered under (`workvoice_relay::testing`).
const UNION_NAME: &str = "Building Workers Union";

#[derive(Debug)]
enum UnionError {
    Http(reqwest::Error),
    Status {
        step: &'static str,
        status: u16,
        body: String,
    },
    Open(String),
    Seal(String),
}

impl std::fmt::Display for UnionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UnionError::Http(e) => write!(f, "HTTP: {e}"),
            UnionError::Status { step, status, body } => {
                write!(f, "{step} answered {status}: {body}")
            }
            UnionError::Open(e) => write!(f, "cannot open the report: {e}"),
            UnionError::Seal(e) => write!(f, "cannot seal the reply: {e}"),
        }
    }
}

impl From<reqwest::Error> for UnionError {
    fn from(e: reqwest::Error) -> Self {
        UnionError::Http(e)
    }
}

/// The union's side: reads its inbox and answers each report once.
struct Union {
    http: reqwest::Client,
    base_url: String,
    org: TestOrg,
    answered: BTreeSet<ReportId>,
}

async fn expect_success(
    step: &'static str,
    response: reqwest::Response,
) -> Result<reqwest::Response, UnionError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body = response.text().await.unwrap_or_default();
    Err(UnionError::Status {
        step,
        status: status.as_u16(),
        body,
    })
}

impl Union {
    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    async fn inbox(&self) -> Result<Vec<workvoice_proto::api::InboxEntry>, UnionError> {
        let mut entries = Vec::new();
        let mut after = String::new();
        // Bounded: a page holds up to 200 entries; the testbed sees a handful of reports.
        for _ in 0..50 {
            let response = self
                .http
                .get(self.url(&format!("/v1/org/inbox?limit=200&after={after}")))
                .bearer_auth(&self.org.token)
                .send()
                .await?;
            let page: InboxPage = expect_success("GET /v1/org/inbox", response)
                .await?
                .json()
                .await?;
            entries.extend(page.entries);
            match page.next_cursor {
                Some(next) => after = next,
                None => break,
            }
        }
        Ok(entries)
    }

    /// Answer every report not answered yet. Returns how many were answered now.
    async fn poll(&mut self) -> Result<usize, UnionError> {
        let mut count = 0;
        for entry in self.inbox().await? {
            if self.answered.contains(&entry.report_id) {
                continue;
            }
            let digest = disclosure_digest(&entry.tags, &entry.consent);
            let opened = open(&entry.envelope, self.org.id, &self.org.key, &digest)
                .map_err(|e| UnionError::Open(e.to_string()))?;
            let report =
                Report::decode(&opened.plaintext).map_err(|e| UnionError::Open(e.to_string()))?;
            self.answer(&report).await?;
            self.answered.insert(entry.report_id);
            count += 1;
            eprintln!(
                "testbed: the union answered report {} ({} fee(s), {} indicator(s))",
                report.report_id,
                report.fees.len(),
                report.indicators.len()
            );
        }
        Ok(count)
    }

    async fn answer(&self, report: &Report) -> Result<(), UnionError> {
        let id = report.report_id;
        let response = self
            .http
            .post(self.url(&format!("/v1/org/inbox/{id}/ack")))
            .bearer_auth(&self.org.token)
            .send()
            .await?;
        expect_success("acknowledge", response).await?;
        let response = self
            .http
            .post(self.url(&format!("/v1/org/reports/{id}/status")))
            .bearer_auth(&self.org.token)
            .json(&StatusChange {
                status: WorkerStatus::InReview,
                sealed: Some(
                    seal_status(
                        &StatusBody {
                            status: WorkerStatus::InReview,
                            // Fixed, so that a retry posts the same sealed bytes.
                            set_at: FIXTURE_NOW,
                        },
                        id,
                        self.org.id,
                        &self.org.key,
                        &report.reply_key,
                        &mut DeterministicRng::new(&format!("workvoice testbed status {id}")),
                    )
                    .map_err(|e| UnionError::Seal(e.to_string()))?,
                ),
            })
            .send()
            .await?;
        expect_success("set status", response).await?;
        let recruiter = report
            .recruiter
            .as_ref()
            .map(|r| r.name.trim())
            .filter(|n| !n.is_empty())
            .unwrap_or("your recruiter");
        let body = ReplyBody {
            text: format!("We received your report about {recruiter}."),
            language: "en".into(),
            written_on: None,
        };
        // Deterministic per report, so that a retry after a lost answer posts the same bytes
        // (same message id), which the relay stores once. A test tool only: real desks seal
        // with the system generator.
        let mut rng = DeterministicRng::new(&format!("workvoice testbed reply {id}"));
        let sealed = seal_reply(
            &body,
            id,
            self.org.id,
            &self.org.key,
            &report.reply_key,
            &mut rng,
        )
        .map_err(|e| UnionError::Seal(e.to_string()))?;
        let response = self
            .http
            .post(self.url(&format!("/v1/org/reports/{id}/replies")))
            .bearer_auth(&self.org.token)
            .json(&PostReply { sealed })
            .send()
            .await?;
        expect_success("post reply", response).await?;
        Ok(())
    }
}

async fn stdin_closed() {
    use tokio::io::AsyncReadExt;
    let mut stdin = tokio::io::stdin();
    let mut buf = [0u8; 256];
    loop {
        match stdin.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

async fn terminated() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = tokio::signal::ctrl_c() => "SIGINT",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "interrupt"
    }
}

async fn run(options: Options) -> Result<(), String> {
    let relay = TestRelay::spawn(TestRelayOptions {
        pow_difficulty: options.pow_difficulty,
        ..TestRelayOptions::default()
    })
    .await
    .map_err(|e| format!("cannot start the relay: {e}"))?;
    let ready = Ready {
        relay_url: &relay.base_url,
        root_public_key: relay.fixture.root.public_key().to_hex(),
        union_id: relay.union.id.to_hex(),
        union_name: UNION_NAME,
        pow_difficulty: options.pow_difficulty,
    };
    let line = serde_json::to_string(&ready).map_err(|e| e.to_string())?;
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}")
            .and_then(|()| out.flush())
            .map_err(|e| format!("cannot write to stdout: {e}"))?;
    }
    // reqwest carries rustls without a provider when built beside the relay's OHTTP client
    // (feature unification): install ring, as `world::http_client` does.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .no_proxy()
        .build()
        .map_err(|e| format!("HTTP client: {e}"))?;
    let mut union = Union {
        http,
        base_url: relay.base_url.clone(),
        org: relay.union.clone(),
        answered: BTreeSet::new(),
    };
    let exit_on_eof = options.exit_on_stdin_eof;
    let stdin_watch = async move {
        if exit_on_eof {
            stdin_closed().await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    let answer_loop = async {
        let mut failures = 0u32;
        loop {
            match union.poll().await {
                Ok(_) => failures = 0,
                Err(e) => {
                    failures += 1;
                    eprintln!("testbed: the union could not answer (try {failures}): {e}");
                }
            }
            tokio::time::sleep(options.poll).await;
        }
    };
    let reason = tokio::select! {
        signal = terminated() => signal,
        () = stdin_watch => "stdin closed",
        () = tokio::time::sleep(options.max_run) => "--max-secs reached",
        () = answer_loop => "the union stopped",
    };
    eprintln!(
        "testbed: stopping ({reason}); the union answered {} report(s)",
        union.answered.len()
    );
    relay.stop().await;
    Ok(())
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("testbed: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("testbed: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn arguments_are_read_and_bounded() {
        assert_eq!(parse_args(args(&[])).unwrap(), Options::default());
        let o = parse_args(args(&[
            "--pow-difficulty",
            "2",
            "--poll-ms",
            "1",
            "--exit-on-stdin-eof",
        ]))
        .unwrap();
        assert_eq!(o.pow_difficulty, 2);
        assert_eq!(o.poll, Duration::from_millis(10));
        assert!(o.exit_on_stdin_eof);
        assert!(parse_args(args(&["--pow-difficulty", "99"])).is_err());
        assert!(parse_args(args(&["--poll-ms"])).is_err());
        assert!(parse_args(args(&["--max-secs", "soon"])).is_err());
        assert!(parse_args(args(&["--port", "80"])).is_err());
    }
}
