//! Relay memory under 1,000 concurrent connections.
//!
//! `cargo bench -p workvoice-relay --bench connections` (`CONN_COUNT` changes the number of
//! connections, default 1000).
//!
//! It seeds the fixture world into a fresh SQLite file, starts the release `workvoice-relay
//! serve` as a separate process on 127.0.0.1 (port 0, anonymous rate limit off, its open-file
//! limit raised with the shell's `ulimit -n`), and reads the relay's `VmRSS` and `VmHWM` from
//! `/proc/<pid>/status`:
//!
//! - baseline: idle after a warm-up (one directory fetch, one submission, one health check on
//!   one connection, then one second of quiet);
//! - then opens the connections, all at once and all kept alive, in four equal groups:
//!   idle (one `GET /healthz`, then silent), slow readers (a receive buffer of 4 KiB, 20
//!   pipelined `GET /v1/directory`, read 512 bytes every 10 ms), directory readers
//!   (5 × `GET /v1/directory` in turn) and submitters (one `POST /v1/submissions` each, a
//!   sealed fixture report with its proof-of-work paid);
//! - samples the relay's RSS every 10 ms during the run, and prints the idle baseline, the RSS
//!   with every connection open, the peak (`VmHWM`), bytes per connection, the ratio of peak to
//!   idle, the RSS after every connection closed, and whether every request was answered.
//!
//! Figures only: nothing here asserts a time. It fails only if a request goes unanswered.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_debug_implementations
)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::Barrier;
use workvoice_proto::vectors::Fixture;
use workvoice_relay::configuration::Settings;
use workvoice_relay::testing::{SubmissionSpec, prepare_submission, seed_fixture_world};

const RELAY: &str = env!("CARGO_BIN_EXE_workvoice-relay");
const SLOW_PIPELINED: usize = 20;
const DIRECTORY_ROUNDS: usize = 5;

#[derive(Debug, Clone, Copy)]
struct Memory {
    rss_kib: u64,
    hwm_kib: u64,
}

fn memory(pid: u32) -> Memory {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("no {name} in /proc/{pid}/status"))
    };
    Memory {
        rss_kib: field("VmRSS:"),
        hwm_kib: field("VmHWM:"),
    }
}

/// The soft limit on open files of this process, from /proc/self/limits.
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Complete HTTP/1.1 responses at the start of `buf`: their status codes; the bytes they took
/// are removed. Every answer of the relay has a Content-Length (or no body).
fn take_responses(buf: &mut Vec<u8>) -> Vec<u16> {
    let mut statuses = Vec::new();
    loop {
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            return statuses;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_string();
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let length: usize = head
            .lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.trim().parse().ok())
            .unwrap_or(0);
        if buf.len() < end + 4 + length {
            return statuses;
        }
        buf.drain(..end + 4 + length);
        statuses.push(status);
    }
}

/// Read until `want` responses have arrived, `chunk` bytes at a time with `pause` between
/// reads. Returns their statuses (fewer if the relay closed the connection).
async fn read_responses(
    stream: &mut TcpStream,
    want: usize,
    chunk: usize,
    pause: Duration,
) -> Vec<u16> {
    let mut buf = Vec::new();
    let mut statuses = Vec::new();
    let mut scratch = vec![0u8; chunk];
    while statuses.len() < want {
        match stream.read(&mut scratch).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                buf.extend_from_slice(&scratch[..n]);
                statuses.extend(take_responses(&mut buf));
            }
        }
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }
    statuses
}

fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nhost: relay\r\n\r\n").into_bytes()
}

fn post_json(path: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST {path} HTTP/1.1\r\nhost: relay\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    Idle,
    SlowReader,
    Directory,
    Submitter,
}

const ROLES: [Role; 4] = [
    Role::Idle,
    Role::SlowReader,
    Role::Directory,
    Role::Submitter,
];

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Idle => "idle (1 × GET /healthz, then silent)",
            Role::SlowReader => "slow readers (20 pipelined GET /v1/directory)",
            Role::Directory => "directory readers (5 × GET /v1/directory)",
            Role::Submitter => "submitters (1 × POST /v1/submissions)",
        }
    }

    /// Requests one connection of this role sends, and the status each should get.
    fn requests(self, submission: Option<&[u8]>) -> (Vec<Vec<u8>>, u16) {
        match self {
            Role::Idle => (vec![get("/healthz")], 200),
            Role::SlowReader => (vec![get("/v1/directory"); SLOW_PIPELINED], 200),
            Role::Directory => (vec![get("/v1/directory"); DIRECTORY_ROUNDS], 200),
            Role::Submitter => (
                vec![post_json("/v1/submissions", submission.unwrap_or_default())],
                201,
            ),
        }
    }
}

#[derive(Default)]
struct Tally {
    sent: AtomicU64,
    answered: AtomicU64,
    wrong_status: AtomicU64,
    failed_connections: AtomicU64,
}

struct Shared {
    tallies: [Tally; 4],
    /// Passed when every connection is open; then the main task samples and they start.
    connected: Barrier,
    go: Barrier,
    /// Passed when every connection has its answers; they stay open until `release`.
    done: Barrier,
    release: Barrier,
}

async fn connection(
    addr: std::net::SocketAddr,
    role: Role,
    submission: Option<Vec<u8>>,
    shared: Arc<Shared>,
) {
    let tally = &shared.tallies[role as usize];
    let socket = TcpSocket::new_v4().unwrap();
    if role == Role::SlowReader {
        socket.set_recv_buffer_size(4096).unwrap();
    }
    let mut stream = socket.connect(addr).await.ok();
    if stream.is_none() {
        tally.failed_connections.fetch_add(1, Ordering::Relaxed);
    }
    shared.connected.wait().await;
    shared.go.wait().await;
    if let Some(s) = stream.as_mut() {
        let (requests, expected) = role.requests(submission.as_deref());
        let want = requests.len();
        tally.sent.fetch_add(want as u64, Ordering::Relaxed);
        let statuses = if role == Role::SlowReader || role == Role::Idle {
            // Pipelined: everything written at once, then read.
            let all: Vec<u8> = requests.concat();
            if s.write_all(&all).await.is_err() {
                Vec::new()
            } else if role == Role::SlowReader {
                read_responses(s, want, 512, Duration::from_millis(10)).await
            } else {
                read_responses(s, want, 16 * 1024, Duration::ZERO).await
            }
        } else {
            let mut statuses = Vec::new();
            for request in requests {
                if s.write_all(&request).await.is_err() {
                    break;
                }
                let got = read_responses(s, 1, 16 * 1024, Duration::ZERO).await;
                if got.is_empty() {
                    break;
                }
                statuses.extend(got);
            }
            statuses
        };
        let right = statuses.iter().filter(|s| **s == expected).count() as u64;
        tally.answered.fetch_add(right, Ordering::Relaxed);
        tally
            .wrong_status
            .fetch_add(statuses.len() as u64 - right, Ordering::Relaxed);
    }
    shared.done.wait().await;
    shared.release.wait().await;
    drop(stream);
}

struct Relay {
    child: Child,
    addr: std::net::SocketAddr,
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_relay(data_dir: &std::path::Path, root_public_key: &str, nofile: u64) -> Relay {
    // The shell raises the relay's open-file limit, then becomes the relay (same pid).
    let mut child = Command::new("sh")
        .args([
            "-c",
            "ulimit -n \"$1\" 2>/dev/null || true; exec \"$0\" serve",
            RELAY,
            &nofile.to_string(),
        ])
        .env("WORKVOICE_DATA_DIR", data_dir)
        .env("WORKVOICE_LISTEN", "127.0.0.1:0")
        .env("WORKVOICE_ROOT_PUBLIC_KEY", root_public_key)
        .env("WORKVOICE_ANONYMOUS_RATE_PER_SECOND", "0")
        .env("WORKVOICE_REQUEST_TIMEOUT_SECS", "120")
        .env("WORKVOICE_LOG_LEVEL", "warn")
        .env_remove("DATABASE_URL")
        .env_remove("WORKVOICE_DATABASE_URL")
        .env_remove("WORKVOICE_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .rsplit(' ')
        .next()
        .unwrap()
        .trim_start_matches("http://")
        .to_string();
    Relay {
        child,
        addr: url
            .parse()
            .unwrap_or_else(|_| panic!("relay said {line:?}")),
    }
}

async fn one_off(addr: std::net::SocketAddr, requests: &[Vec<u8>]) -> Vec<u16> {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut statuses = Vec::new();
    for r in requests {
        s.write_all(r).await.unwrap();
        statuses.extend(read_responses(&mut s, 1, 16 * 1024, Duration::ZERO).await);
    }
    statuses
}

fn main() {
    let count: usize = std::env::var("CONN_COUNT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let per_role = count.div_ceil(ROLES.len());
    let needed = count as u64 + 64;
    if let Some(limit) = open_files_limit()
        && limit < needed
    {
        eprintln!(
            "this process may open only {limit} files and needs {needed}: run `ulimit -n {}` first",
            needed * 2
        );
        std::process::exit(2);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(count, per_role));
}

async fn run(count: usize, per_role: usize) {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let root_public_key = fixture.root.public_key().to_hex();
    let settings = Settings {
        data_dir: dir.path().join("data"),
        root_public_key: Some(root_public_key.clone()),
        pow_difficulty: 4,
        ..Settings::default()
    };
    std::fs::create_dir_all(&settings.data_dir).unwrap();
    let world = seed_fixture_world(&settings, &fixture).await.unwrap();
    world.storage.close().await;
    // One sealed submission per submitter, plus one for the warm-up.
    let submissions: Vec<Vec<u8>> = (0..=per_role as u64)
        .map(|i| {
            let p = prepare_submission(
                &fixture,
                &world.listing,
                &SubmissionSpec {
                    seed: 1_000 + i,
                    ..SubmissionSpec::default()
                },
            )
            .unwrap();
            serde_json::to_vec(&p.request).unwrap()
        })
        .collect();

    let relay = start_relay(
        &settings.data_dir,
        &root_public_key,
        (count as u64 + 256) * 2,
    );
    let pid = relay.child.id();
    let started = memory(pid);

    // Warm-up on one connection, then quiet: the idle baseline.
    let warm = one_off(
        relay.addr,
        &[
            get("/v1/directory"),
            post_json("/v1/submissions", &submissions[per_role]),
            get("/healthz"),
        ],
    )
    .await;
    assert_eq!(warm, vec![200, 201, 200], "warm-up answers");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = memory(pid);

    let shared = Arc::new(Shared {
        tallies: Default::default(),
        connected: Barrier::new(count + 1),
        go: Barrier::new(count + 1),
        done: Barrier::new(count + 1),
        release: Barrier::new(count + 1),
    });
    let sampling = Arc::new(AtomicU64::new(1));
    let peak_rss = Arc::new(AtomicU64::new(0));
    let sampler = {
        let sampling = sampling.clone();
        let peak_rss = peak_rss.clone();
        tokio::spawn(async move {
            while sampling.load(Ordering::Relaxed) == 1 {
                peak_rss.fetch_max(memory(pid).rss_kib, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let mut tasks = Vec::with_capacity(count);
    for i in 0..count {
        let role = ROLES[i % ROLES.len()];
        let submission = (role == Role::Submitter).then(|| submissions[i / ROLES.len()].clone());
        tasks.push(tokio::spawn(connection(
            relay.addr,
            role,
            submission,
            shared.clone(),
        )));
    }
    shared.connected.wait().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let connected = memory(pid);
    let load_started = Instant::now();
    shared.go.wait().await;
    shared.done.wait().await;
    let load_time = load_started.elapsed();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let held = memory(pid);
    shared.release.wait().await;
    for t in tasks {
        t.await.unwrap();
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    sampling.store(0, Ordering::Relaxed);
    sampler.await.unwrap();
    let after = memory(pid);
    let peak_kib = after.hwm_kib.max(peak_rss.load(Ordering::Relaxed));

    let mut sent = 0;
    let mut answered = 0;
    println!();
    println!("relay memory under {count} concurrent connections (release build, SQLite)");
    println!();
    println!(
        "| connections | requests sent | answered as expected | other status | not connected |"
    );
    println!("|---|---:|---:|---:|---:|");
    for role in ROLES {
        let t = &shared.tallies[role as usize];
        let (s, a) = (
            t.sent.load(Ordering::Relaxed),
            t.answered.load(Ordering::Relaxed),
        );
        sent += s;
        answered += a;
        println!(
            "| {per_role} {} | {s} | {a} | {} | {} |",
            role.name(),
            t.wrong_status.load(Ordering::Relaxed),
            t.failed_connections.load(Ordering::Relaxed)
        );
    }
    let per_connection = (peak_kib.saturating_sub(idle.rss_kib)) as f64 * 1024.0 / count as f64;
    println!();
    println!("| measure | value |");
    println!("|---|---:|");
    println!(
        "| relay RSS just after start | {:.1} MiB |",
        mib(started.rss_kib)
    );
    println!(
        "| baseline: idle RSS after warm-up | {:.1} MiB |",
        mib(idle.rss_kib)
    );
    println!(
        "| RSS with {count} connections open, nothing sent | {:.1} MiB |",
        mib(connected.rss_kib)
    );
    println!(
        "| peak RSS under {count} connections (VmHWM) | {:.1} MiB |",
        mib(peak_kib)
    );
    println!(
        "| RSS with {count} connections held after their answers | {:.1} MiB |",
        mib(held.rss_kib)
    );
    println!(
        "| RSS 1 s after every connection closed | {:.1} MiB |",
        mib(after.rss_kib)
    );
    println!(
        "| per connection: (peak − idle) / {count} | {:.1} KiB |",
        per_connection / 1024.0
    );
    println!(
        "| ratio peak / idle | {:.2} |",
        peak_kib as f64 / idle.rss_kib as f64
    );
    println!(
        "| load phase (all requests sent and answered) | {:.2} s |",
        load_time.as_secs_f64()
    );
    println!(
        "| every request answered | {} ({answered} of {sent}) |",
        if answered == sent { "yes" } else { "NO" }
    );
    drop(relay);
    assert_eq!(answered, sent, "requests went unanswered");
}
