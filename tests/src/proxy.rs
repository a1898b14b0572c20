//! A fault-injecting TCP proxy between phones (or the desk) and the relay.
//!
//! It listens on 127.0.0.1 (port 0) and forwards each connection to the relay's current port,
//! which the test can change while it runs (a restarted relay listens on a new port). The
//! phone shell opens one connection per HTTP request, so the proxy decides one [`Fault`] per
//! connection, after reading the request line (it logs the path with mailbox tokens hidden).
//! Faults are scripted ([`FaultPlan::Script`]) or drawn from a seeded generator
//! ([`FaultPlan::Random`]), always bounded in time: a delay or a hold lasts at most what the
//! plan says, and a fault budget turns the random plan into a pass-through once spent.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Handle;
use tokio::sync::watch;
use tokio::time::timeout;

/// What happens to one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forwarded both ways untouched.
    Pass,
    /// The request is read, then the connection is closed: nothing reaches the relay.
    Drop,
    /// Half of the request reaches the relay, then both connections are reset (RST).
    Reset,
    /// Forwarded after this delay (past the phone's timeout the relay still gets it later).
    Delay(Duration),
    /// The relay gets the whole request and answers; the phone gets only the first
    /// `keep_per_mille`/1000 of that answer (at most all but one byte), then the connection
    /// closes.
    Truncate { keep_per_mille: u16 },
    /// The relay gets the request and answers; the answer is held this long before the phone
    /// gets it (the relay has acted, the phone does not know yet).
    Hold(Duration),
}

impl Fault {
    pub fn kind(&self) -> FaultKind {
        match self {
            Fault::Pass => FaultKind::Pass,
            Fault::Drop => FaultKind::Drop,
            Fault::Reset => FaultKind::Reset,
            Fault::Delay(_) => FaultKind::Delay,
            Fault::Truncate { .. } => FaultKind::Truncate,
            Fault::Hold(_) => FaultKind::Hold,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    Pass,
    Drop,
    Reset,
    Delay,
    Truncate,
    Hold,
}

/// The request a connection carries, as far as the proxy reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestInfo {
    pub method: String,
    /// The path without query, mailbox tokens and ids replaced (`/v1/mailbox/…`,
    /// `/v1/submissions/…/attachments/…`).
    pub path: String,
    /// 1 for the first request with this method and path, 2 for the next…
    pub n: usize,
}

impl RequestInfo {
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    pub fn is_submission(&self) -> bool {
        self.method == "POST" && self.path == "/v1/submissions"
    }
}

pub type Script = Arc<dyn Fn(&RequestInfo) -> Fault + Send + Sync>;

/// How the proxy chooses faults.
#[derive(Clone)]
pub enum FaultPlan {
    /// Everything passes.
    None,
    /// No signal: every connection is closed unanswered.
    Offline,
    /// Seeded random faults on requests whose path starts with `only` (all when `None`): the
    /// first `kinds.len()` such requests are faulted, one with each kind in order, so that
    /// every kind occurs; after that each is faulted with probability `percent`/100, the kinds
    /// still cycling; delays and holds last between
    /// a quarter of `max_delay` and `max_delay`; after `budget` faults everything passes.
    /// When `hit_first` names a request (`"POST /v1/submissions"`), the first eligible request
    /// whose key starts with it gets a fault whatever the draw and the budget, so a scenario
    /// that must exercise that request does not depend on the seed or on timing.
    Random {
        seed: u64,
        percent: u32,
        kinds: Vec<FaultKind>,
        max_delay: Duration,
        only: Option<String>,
        budget: usize,
        hit_first: Option<String>,
    },
    /// The test decides.
    Script(Script),
}

impl std::fmt::Debug for FaultPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FaultPlan::None => write!(f, "None"),
            FaultPlan::Offline => write!(f, "Offline"),
            FaultPlan::Random {
                seed,
                percent,
                kinds,
                max_delay,
                only,
                budget,
                hit_first,
            } => write!(
                f,
                "Random {{ seed: {seed}, percent: {percent}, kinds: {kinds:?}, max_delay: {max_delay:?}, only: {only:?}, budget: {budget}, hit_first: {hit_first:?} }}"
            ),
            FaultPlan::Script(_) => write!(f, "Script"),
        }
    }
}

/// What the proxy saw and did.
#[derive(Debug, Clone, Default)]
pub struct ProxyStats {
    pub connections: usize,
    /// Requests per "METHOD /path".
    pub requests: BTreeMap<String, usize>,
    /// Faults applied, per kind (passes not counted).
    pub faults: BTreeMap<FaultKind, usize>,
    /// Faults per "METHOD /path" and kind.
    pub faults_by_request: BTreeMap<(String, FaultKind), usize>,
    /// Answers currently held back by [`Fault::Hold`], and ever held.
    pub holding: usize,
    pub held: usize,
    /// Connections closed because the relay could not be reached.
    pub upstream_unreachable: usize,
    /// The last faults applied, oldest first (at most 200).
    pub log: Vec<String>,
    /// The body of each request, as far as it shows on the wire: its length and first byte
    /// (at most 100,000, oldest first).
    pub bodies: Vec<SeenBody>,
}

/// One request body as the proxy saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenBody {
    /// "METHOD /path", as in [`ProxyStats::requests`].
    pub key: String,
    pub len: usize,
    pub first: Option<u8>,
}

impl ProxyStats {
    pub fn fault_count(&self, kind: FaultKind) -> usize {
        self.faults.get(&kind).copied().unwrap_or(0)
    }

    pub fn request_count(&self, key: &str) -> usize {
        self.requests.get(key).copied().unwrap_or(0)
    }
}

struct Rng(u64);

impl Rng {
    /// splitmix64
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

struct PlanState {
    plan: FaultPlan,
    rng: Rng,
    faults_drawn: usize,
    /// `hit_first`'s request was faulted.
    hit_first_done: bool,
}

struct Shared {
    upstream: Mutex<SocketAddr>,
    /// The local address upstream connections are made from (`None`: the system's choice).
    source: Mutex<Option<std::net::IpAddr>>,
    plan: Mutex<PlanState>,
    stats: Mutex<ProxyStats>,
}

impl Shared {
    fn decide(&self, info: &RequestInfo) -> Fault {
        let Ok(mut state) = self.plan.lock() else {
            return Fault::Pass;
        };
        let state = &mut *state;
        match &state.plan {
            FaultPlan::None => Fault::Pass,
            FaultPlan::Offline => Fault::Drop,
            FaultPlan::Script(script) => script(info),
            FaultPlan::Random {
                percent,
                kinds,
                max_delay,
                only,
                budget,
                hit_first,
                ..
            } => {
                let eligible = only
                    .as_ref()
                    .is_none_or(|p| info.path.starts_with(p.as_str()));
                let forced = eligible
                    && !state.hit_first_done
                    && hit_first
                        .as_ref()
                        .is_some_and(|k| info.key().starts_with(k.as_str()));
                // The first eligible requests get one fault of each kind, so that every kind
                // is injected however few requests a fast relay needs; then `percent`.
                let one_of_each_done = state.faults_drawn >= kinds.len();
                if !forced
                    && (!eligible
                        || kinds.is_empty()
                        || state.faults_drawn >= *budget
                        || (one_of_each_done && state.rng.below(100) >= u64::from(*percent)))
                {
                    return Fault::Pass;
                }
                if kinds.is_empty() {
                    return Fault::Pass;
                }
                state.hit_first_done |= forced;
                let kind = kinds[state.faults_drawn % kinds.len()];
                state.faults_drawn += 1;
                let max_ms = max_delay.as_millis() as u64;
                let delay =
                    Duration::from_millis(max_ms / 4 + state.rng.below(max_ms - max_ms / 4 + 1));
                match kind {
                    FaultKind::Pass => Fault::Pass,
                    FaultKind::Drop => Fault::Drop,
                    FaultKind::Reset => Fault::Reset,
                    FaultKind::Delay => Fault::Delay(delay),
                    FaultKind::Hold => Fault::Hold(delay),
                    FaultKind::Truncate => Fault::Truncate {
                        keep_per_mille: state.rng.below(1000) as u16,
                    },
                }
            }
        }
    }

    fn stats(&self) -> std::sync::MutexGuard<'_, ProxyStats> {
        match self.stats.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

/// A running proxy. Dropping it stops accepting connections.
pub struct FaultProxy {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
}

impl std::fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultProxy")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// Longest a connection may live in the proxy.
const CONNECTION_LIMIT: Duration = Duration::from_secs(30);

impl FaultProxy {
    /// Start on `runtime`, forwarding to 127.0.0.1:`upstream_port`.
    pub fn start(runtime: &Handle, upstream_port: u16, plan: FaultPlan) -> std::io::Result<Self> {
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0"))?;
        let addr = listener.local_addr()?;
        let seed = match &plan {
            FaultPlan::Random { seed, .. } => *seed,
            _ => 0,
        };
        let shared = Arc::new(Shared {
            upstream: Mutex::new(SocketAddr::from(([127, 0, 0, 1], upstream_port))),
            source: Mutex::new(None),
            plan: Mutex::new(PlanState {
                plan,
                rng: Rng(seed),
                faults_drawn: 0,
                hit_first_done: false,
            }),
            stats: Mutex::new(ProxyStats::default()),
        });
        let (stop, mut stopped) = watch::channel(false);
        let accept_shared = shared.clone();
        runtime.spawn(async move {
            loop {
                tokio::select! {
                    _ = stopped.changed() => return,
                    accepted = listener.accept() => {
                        let Ok((client, _)) = accepted else { continue };
                        let shared = accept_shared.clone();
                        tokio::spawn(async move {
                            let _ = timeout(CONNECTION_LIMIT, handle(client, shared)).await;
                        });
                    }
                }
            }
        });
        Ok(FaultProxy { addr, shared, stop })
    }

    /// `http://127.0.0.1:<port>`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Forward new connections to this relay port from now on.
    pub fn set_upstream(&self, port: u16) {
        if let Ok(mut up) = self.shared.upstream.lock() {
            *up = SocketAddr::from(([127, 0, 0, 1], port));
        }
    }

    /// Connect upstream from this loopback address (127.0.0.0/8) from now on, so that what
    /// is behind the proxy sees the clients as coming from there.
    pub fn set_source(&self, address: std::net::IpAddr) {
        if let Ok(mut source) = self.shared.source.lock() {
            *source = Some(address);
        }
    }

    /// Replace the plan (a random plan's generator restarts from its seed).
    pub fn set_plan(&self, plan: FaultPlan) {
        if let Ok(mut state) = self.shared.plan.lock() {
            let seed = match &plan {
                FaultPlan::Random { seed, .. } => *seed,
                _ => 0,
            };
            *state = PlanState {
                plan,
                rng: Rng(seed),
                faults_drawn: 0,
                hit_first_done: false,
            };
        }
    }

    pub fn stats(&self) -> ProxyStats {
        self.shared.stats().clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

fn normalise_path(raw: &str) -> String {
    let path = raw.split('?').next().unwrap_or(raw);
    if path.starts_with("/v1/mailbox/") {
        "/v1/mailbox/…".into()
    } else if path.starts_with("/v1/submissions/") {
        "/v1/submissions/…/attachments/…".into()
    } else if let Some(rest) = path.strip_prefix("/v1/org/") {
        // /v1/org/inbox/{id}/ack, /v1/org/reports/{id}/replies…
        let parts: Vec<&str> = rest.split('/').collect();
        match parts.as_slice() {
            [first, _, action] => format!("/v1/org/{first}/…/{action}"),
            _ => path.to_string(),
        }
    } else {
        path.to_string()
    }
}

/// Where the head of an HTTP message ends (after `\r\n\r\n`), and its content length.
fn head_end(buf: &[u8]) -> Option<(usize, usize)> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    Some((end, length))
}

/// Read until a whole HTTP message (head and content-length body) is in `buf`, or EOF.
async fn read_message(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<()> {
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        if let Some((end, length)) = head_end(buf)
            && buf.len() >= end + length
        {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            if !head.contains("transfer-encoding: chunked") || buf.ends_with(b"0\r\n\r\n") {
                return Ok(());
            }
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Read until the head of the request is in `buf`.
async fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    let mut chunk = vec![0u8; 16 * 1024];
    while head_end(buf).is_none() {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(false);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(true)
}

async fn connect_upstream(shared: &Shared) -> Option<TcpStream> {
    let addr = *shared.upstream.lock().ok()?;
    let source = *shared.source.lock().ok()?;
    let connect = async move {
        match source {
            None => TcpStream::connect(addr).await,
            Some(ip) => {
                let socket = tokio::net::TcpSocket::new_v4()?;
                socket.bind(SocketAddr::new(ip, 0))?;
                socket.connect(addr).await
            }
        }
    };
    match timeout(Duration::from_secs(3), connect).await {
        Ok(Ok(s)) => Some(s),
        _ => {
            shared.stats().upstream_unreachable += 1;
            None
        }
    }
}

/// Forward the whole request and read the whole answer.
async fn exchange(
    client: &mut TcpStream,
    mut request: Vec<u8>,
    shared: &Shared,
) -> Option<Vec<u8>> {
    read_message(client, &mut request).await.ok()?;
    let mut upstream = connect_upstream(shared).await?;
    upstream.write_all(&request).await.ok()?;
    let mut answer = Vec::new();
    timeout(
        Duration::from_secs(20),
        read_message(&mut upstream, &mut answer),
    )
    .await
    .ok()?
    .ok()?;
    Some(answer)
}

async fn pass(mut client: TcpStream, head: Vec<u8>, shared: &Shared) {
    let Some(mut upstream) = connect_upstream(shared).await else {
        return;
    };
    if upstream.write_all(&head).await.is_err() {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}

async fn handle(mut client: TcpStream, shared: Arc<Shared>) {
    let _ = client.set_nodelay(true);
    let mut head = Vec::new();
    match timeout(Duration::from_secs(10), read_head(&mut client, &mut head)).await {
        Ok(Ok(true)) => {}
        _ => return,
    }
    let line_end = head.iter().position(|b| *b == b'\r').unwrap_or(0);
    let line = String::from_utf8_lossy(&head[..line_end]).to_string();
    let mut parts = line.split(' ');
    let method = parts.next().unwrap_or("").to_string();
    let path = normalise_path(parts.next().unwrap_or(""));
    let key = format!("{method} {path}");
    let n = {
        let mut stats = shared.stats();
        stats.connections += 1;
        let n = stats.requests.entry(key.clone()).or_default();
        *n += 1;
        *n
    };
    // The whole request (the phones send one per connection), to see its body.
    if matches!(head_end(&head), Some((end, length)) if length > 0 && head.len() < end + length)
        && !matches!(
            timeout(
                Duration::from_secs(10),
                read_message(&mut client, &mut head)
            )
            .await,
            Ok(Ok(()))
        )
    {
        return;
    }
    if let Some((end, length)) = head_end(&head) {
        let mut stats = shared.stats();
        if stats.bodies.len() < 100_000 {
            stats.bodies.push(SeenBody {
                key: key.clone(),
                len: length,
                first: head.get(end).copied().filter(|_| length > 0),
            });
        }
    }
    let info = RequestInfo { method, path, n };
    let fault = shared.decide(&info);
    if fault != Fault::Pass {
        let mut stats = shared.stats();
        *stats.faults.entry(fault.kind()).or_default() += 1;
        *stats
            .faults_by_request
            .entry((key.clone(), fault.kind()))
            .or_default() += 1;
        stats.log.push(format!("{key} #{n}: {fault:?}"));
        if stats.log.len() > 200 {
            stats.log.remove(0);
        }
    }
    match fault {
        Fault::Pass => pass(client, head, &shared).await,
        Fault::Delay(d) => {
            tokio::time::sleep(d).await;
            pass(client, head, &shared).await;
        }
        Fault::Drop => {
            let _ = client.shutdown().await;
        }
        Fault::Reset => {
            if let Some(mut upstream) = connect_upstream(&shared).await {
                let _ = upstream.write_all(&head[..head.len() / 2]).await;
                let _ = upstream.set_zero_linger();
            }
            let _ = client.set_zero_linger();
        }
        Fault::Truncate { keep_per_mille } => {
            if let Some(answer) = exchange(&mut client, head, &shared).await {
                let keep = (answer.len() * usize::from(keep_per_mille) / 1000)
                    .min(answer.len().saturating_sub(1));
                let _ = client.write_all(&answer[..keep]).await;
                let _ = client.shutdown().await;
            }
        }
        Fault::Hold(d) => {
            if let Some(answer) = exchange(&mut client, head, &shared).await {
                {
                    let mut stats = shared.stats();
                    stats.holding += 1;
                    stats.held += 1;
                }
                tokio::time::sleep(d).await;
                shared.stats().holding -= 1;
                let _ = client.write_all(&answer).await;
                let _ = client.shutdown().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_lose_tokens_and_ids() {
        assert_eq!(
            normalise_path("/v1/mailbox/abcdef?after=3"),
            "/v1/mailbox/…"
        );
        assert_eq!(
            normalise_path("/v1/submissions/00ff/attachments/11ee?offset=0"),
            "/v1/submissions/…/attachments/…"
        );
        assert_eq!(
            normalise_path("/v1/org/reports/00ff/replies"),
            "/v1/org/reports/…/replies"
        );
        assert_eq!(normalise_path("/v1/directory"), "/v1/directory");
    }

    /// A proxy's shared state under a random plan, for driving `decide` directly.
    fn random_plan(
        seed: u64,
        percent: u32,
        kinds: Vec<FaultKind>,
        only: Option<&str>,
        budget: usize,
    ) -> Shared {
        Shared {
            upstream: Mutex::new(SocketAddr::from(([127, 0, 0, 1], 1))),
            source: Mutex::new(None),
            plan: Mutex::new(PlanState {
                plan: FaultPlan::Random {
                    seed,
                    percent,
                    kinds,
                    max_delay: Duration::from_millis(400),
                    only: only.map(String::from),
                    budget,
                    hit_first: None,
                },
                rng: Rng(seed),
                faults_drawn: 0,
                hit_first_done: false,
            }),
            stats: Mutex::new(ProxyStats::default()),
        }
    }

    #[test]
    fn the_random_plan_is_bounded_and_cycles_through_its_kinds() {
        let shared = random_plan(
            7,
            50,
            vec![FaultKind::Drop, FaultKind::Delay, FaultKind::Truncate],
            Some("/v1/submissions"),
            9,
        );
        let info = |path: &str, n| RequestInfo {
            method: "POST".into(),
            path: path.into(),
            n,
        };
        let faults: Vec<Fault> = (1..=200)
            .map(|n| shared.decide(&info("/v1/submissions", n)))
            .filter(|f| *f != Fault::Pass)
            .collect();
        assert_eq!(faults.len(), 9, "the budget bounds the faults");
        let kinds: Vec<FaultKind> = faults.iter().map(Fault::kind).collect();
        assert_eq!(
            kinds[..3],
            [FaultKind::Drop, FaultKind::Delay, FaultKind::Truncate]
        );
        // The first eligible request of each kind is never left to chance.
        let shared_again = random_plan(
            1,
            1,
            vec![FaultKind::Drop, FaultKind::Reset, FaultKind::Hold],
            None,
            60,
        );
        let first: Vec<FaultKind> = (1..=3)
            .map(|n| shared_again.decide(&info("/v1/submissions", n)).kind())
            .collect();
        assert_eq!(first, [FaultKind::Drop, FaultKind::Reset, FaultKind::Hold]);
        for f in &faults {
            if let Fault::Delay(d) = f {
                assert!(*d >= Duration::from_millis(100) && *d <= Duration::from_millis(400));
            }
        }
        assert!(
            (1..=50).all(|n| shared.decide(&info("/v1/directory", n)) == Fault::Pass),
            "requests outside `only` pass"
        );
    }

    #[test]
    fn hit_first_faults_its_request_once_whatever_the_draw_and_the_budget() {
        let shared = random_plan(3, 0, vec![FaultKind::Reset], None, 1);
        if let Ok(mut state) = shared.plan.lock()
            && let FaultPlan::Random { hit_first, .. } = &mut state.plan
        {
            *hit_first = Some("POST /v1/submissions".into());
        }
        let info = |method: &str, path: &str, n| RequestInfo {
            method: method.into(),
            path: path.into(),
            n,
        };
        // The budget of one goes to the first request, whatever it is.
        assert_eq!(
            shared.decide(&info("GET", "/v1/directory", 1)).kind(),
            FaultKind::Reset
        );
        assert_eq!(shared.decide(&info("GET", "/v1/directory", 2)), Fault::Pass);
        // The budget is spent and the draw (0 %) says pass; the first submission is faulted.
        assert_eq!(
            shared.decide(&info("POST", "/v1/submissions", 1)).kind(),
            FaultKind::Reset
        );
        assert_eq!(
            shared.decide(&info("POST", "/v1/submissions", 2)),
            Fault::Pass
        );
    }

    #[test]
    fn message_ends_follow_content_length() {
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nHost: x"), None);
        assert_eq!(
            head_end(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab"),
            Some((38, 5))
        );
    }
}
