//! TLS on the relay binary's public listener: certificate files (reloaded on SIGHUP and on
//! change), ACME issue and renewal against Pebble (Let's Encrypt's test CA), HSTS, plain HTTP
//! refused where TLS is required, and no token in the logs.
//!
//! The ACME test needs Pebble: `scripts/pebble-up` builds it and prints its path, which the
//! test reads from `WORKVOICE_PEBBLE` (scripts/test sets it). Without it the test is skipped
//! with a loud message, except under `CI=true`, where it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

const RELAY: &str = env!("CARGO_BIN_EXE_workvoice-relay");
/// How long a wait for the relay or Pebble may last before the test fails (a bound on a
/// hang, not a speed target).
const PATIENCE: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------------------------------------
// Certificates

struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Ca { cert, key }
    }

    fn der(&self) -> CertificateDer<'static> {
        self.cert.der().clone()
    }

    /// A leaf for `names`: (certificate PEM, key PEM, certificate DER).
    fn leaf(&self, names: &[&str]) -> (String, String, Vec<u8>) {
        let params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
        (cert.pem(), key.serialize_pem(), cert.der().to_vec())
    }
}

/// Write `text` to `path` through a renamed temporary file, as a certificate tool would.
fn replace(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

// ---------------------------------------------------------------------------------------------
// A small HTTPS client over rustls (ring), which reports the certificate the server showed.

struct Answer {
    leaf: Vec<u8>,
    head: String,
    body: String,
}

fn tls_client(roots: &[CertificateDer<'static>]) -> Arc<rustls::ClientConfig> {
    let mut store = rustls::RootCertStore::empty();
    for r in roots {
        store.add(r.clone()).unwrap();
    }
    Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(store)
        .with_no_client_auth(),
    )
}

/// `GET path` over TLS to `address`, verifying the server's certificate for `name` against
/// `roots`.
fn https_get(
    address: SocketAddr,
    name: &str,
    roots: &[CertificateDer<'static>],
    path: &str,
) -> Result<Answer, String> {
    let server = ServerName::try_from(name.to_string()).unwrap();
    let connection =
        rustls::ClientConnection::new(tls_client(roots), server).map_err(|e| e.to_string())?;
    let tcp =
        TcpStream::connect_timeout(&address, Duration::from_secs(5)).map_err(|e| e.to_string())?;
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut tls = rustls::StreamOwned::new(connection, tcp);
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\nUser-Agent: t\r\n\r\n"
    );
    tls.write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    match tls.read_to_end(&mut bytes) {
        Ok(_) => {}
        // A server that closes without close_notify after a complete answer.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !bytes.is_empty() => {}
        Err(e) => return Err(e.to_string()),
    }
    let leaf = tls
        .conn
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| c.to_vec())
        .ok_or("no peer certificate")?;
    let text = String::from_utf8_lossy(&bytes).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    Ok(Answer {
        leaf,
        head: head.to_ascii_lowercase(),
        body: body.to_string(),
    })
}

/// Retry `https_get` until `done` accepts an answer; fail with `what` and the relay's log.
fn https_until(
    relay: &Relay,
    name: &str,
    roots: &[CertificateDer<'static>],
    what: &str,
    done: impl Fn(&Answer) -> bool,
) -> Answer {
    let started = Instant::now();
    let mut last = String::new();
    while started.elapsed() < PATIENCE {
        match https_get(relay.address, name, roots, "/healthz") {
            Ok(a) if done(&a) => return a,
            Ok(a) => last = format!("answered {}", a.head.lines().next().unwrap_or("")),
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!(
        "{what}: never happened (last: {last})\nrelay log:\n{}",
        relay.log()
    );
}

// ---------------------------------------------------------------------------------------------
// The relay binary

struct Relay {
    child: Child,
    address: SocketAddr,
    url: String,
    log: Arc<Mutex<String>>,
}

impl Relay {
    /// Start `workvoice-relay serve` with `env`; wait for its "listening on" line.
    fn start(data: &Path, env: &[(&str, String)]) -> Result<Relay, String> {
        let mut command = Command::new(RELAY);
        command
            .arg("serve")
            .env("WORKVOICE_DATA_DIR", data)
            .env("WORKVOICE_LISTEN", "127.0.0.1:0")
            .env_remove("DATABASE_URL")
            .env_remove("WORKVOICE_DATABASE_URL")
            .env_remove("WORKVOICE_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        for (out, first) in [
            (
                Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
                Some(tx.clone()),
            ),
            (Box::new(child.stderr.take().unwrap()), None),
        ] {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    if let Some(tx) = &first
                        && line.contains("listening on")
                    {
                        let _ = tx.send(line.clone());
                    }
                    let mut l = log.lock().unwrap();
                    l.push_str(&line);
                    l.push('\n');
                }
            });
        }
        drop(tx);
        match rx.recv_timeout(PATIENCE) {
            Ok(line) => {
                let url = line.rsplit(' ').next().unwrap().to_string();
                let address = url.split("://").nth(1).unwrap().parse().unwrap();
                Ok(Relay {
                    child,
                    address,
                    url,
                    log,
                })
            }
            Err(_) => {
                let status = child.wait().unwrap();
                // Let the reader threads finish the last lines.
                std::thread::sleep(Duration::from_millis(100));
                let text = log.lock().unwrap().clone();
                Err(format!("{status}: {text}"))
            }
        }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// SIGTERM, then wait for the exit.
    fn stop(mut self) -> String {
        self.signal("TERM");
        self.child.wait().unwrap();
        std::thread::sleep(Duration::from_millis(100));
        self.log()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Files mode: a relay on certificate `A` from a fresh CA, its files, the CA.
fn files_relay(
    data: &Path,
    check_secs: &str,
    extra: &[(&str, String)],
) -> (Relay, Ca, PathBuf, PathBuf, Vec<u8>) {
    let ca = Ca::new("files test CA");
    let (cert_pem, key_pem, der) = ca.leaf(&["localhost"]);
    let cert = data.join("cert.pem");
    let key = data.join("key.pem");
    std::fs::create_dir_all(data).unwrap();
    replace(&cert, &cert_pem);
    replace(&key, &key_pem);
    let mut env = vec![
        ("WORKVOICE_TLS", "files".to_string()),
        ("WORKVOICE_TLS_CERT_FILE", cert.display().to_string()),
        ("WORKVOICE_TLS_KEY_FILE", key.display().to_string()),
        ("WORKVOICE_TLS_RELOAD_CHECK_SECS", check_secs.to_string()),
        ("WORKVOICE_LOG_LEVEL", "info".to_string()),
    ];
    env.extend(extra.iter().cloned());
    let relay = Relay::start(&data.join("relay"), &env).unwrap();
    (relay, ca, cert, key, der)
}

// ---------------------------------------------------------------------------------------------
// Certificate files

#[test]
fn certificate_files_serve_https_with_hsts_and_reload_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    // A check interval of an hour: only the signal can make the relay read the files again.
    let (relay, ca, cert, key, first) = files_relay(dir.path(), "3600", &[]);
    assert!(relay.url.starts_with("https://127.0.0.1:"), "{}", relay.url);
    let roots = [ca.der()];

    let answer = https_get(relay.address, "localhost", &roots, "/healthz").unwrap();
    assert!(answer.head.starts_with("http/1.1 200"), "{}", answer.head);
    assert!(
        answer
            .head
            .contains("strict-transport-security: max-age=31536000"),
        "no HSTS header: {}",
        answer.head
    );
    assert_eq!(answer.leaf, first);
    // Error answers carry it too.
    let missing = https_get(relay.address, "localhost", &roots, "/no/such").unwrap();
    assert!(missing.head.starts_with("http/1.1 404"), "{}", missing.head);
    assert!(
        missing.head.contains("strict-transport-security"),
        "{}",
        missing.head
    );
    assert!(missing.body.contains("\"error\""), "{}", missing.body);

    // A client that does not trust the CA is refused.
    let other = Ca::new("someone else");
    assert!(https_get(relay.address, "localhost", &[other.der()], "/healthz").is_err());

    // New files, then SIGHUP: the next handshake shows the new certificate.
    let (cert_pem, key_pem, second) = ca.leaf(&["localhost"]);
    replace(&cert, &cert_pem);
    replace(&key, &key_pem);
    assert_eq!(
        https_get(relay.address, "localhost", &roots, "/healthz")
            .unwrap()
            .leaf,
        first,
        "reloaded without a signal"
    );
    relay.signal("HUP");
    https_until(&relay, "localhost", &roots, "reload on SIGHUP", |a| {
        a.leaf == second
    });

    // A broken pair on reload is refused and the current certificate stays.
    std::fs::write(&key, "not a key").unwrap();
    relay.signal("HUP");
    let started = Instant::now();
    while !relay.log().contains("not reloaded") {
        assert!(started.elapsed() < PATIENCE, "{}", relay.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        https_get(relay.address, "localhost", &roots, "/healthz")
            .unwrap()
            .leaf,
        second
    );
    relay.stop();
}

#[test]
fn certificate_files_are_reloaded_when_they_change() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, ca, cert, key, first) = files_relay(dir.path(), "1", &[]);
    let roots = [ca.der()];
    assert_eq!(
        https_get(relay.address, "localhost", &roots, "/healthz")
            .unwrap()
            .leaf,
        first
    );
    let (cert_pem, key_pem, second) = ca.leaf(&["localhost"]);
    replace(&cert, &cert_pem);
    replace(&key, &key_pem);
    let answer = https_until(&relay, "localhost", &roots, "reload on change", |a| {
        a.leaf == second
    });
    assert!(answer.head.starts_with("http/1.1 200"), "{}", answer.head);
    relay.stop();
}

#[test]
fn plain_http_is_not_served_where_tls_is_required() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, _ca, _cert, _key, _) = files_relay(dir.path(), "3600", &[]);
    // Plain HTTP to the TLS listener gets no HTTP answer.
    let mut tcp = TcpStream::connect(relay.address).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut bytes = Vec::new();
    let _ = tcp.read_to_end(&mut bytes);
    assert!(
        !String::from_utf8_lossy(&bytes).contains("HTTP/1.1 200"),
        "plain HTTP was served on the TLS listener: {bytes:?}"
    );
    relay.stop();

    // Plain HTTP on a public address: refused at start, with what to do instead.
    let data = dir.path().join("public");
    let refused = Relay::start(&data, &[("WORKVOICE_LISTEN", "0.0.0.0:0".into())])
        .err()
        .expect("plain HTTP on 0.0.0.0 started");
    assert!(
        refused.contains("refusing to serve plain HTTP on 0.0.0.0:0"),
        "{refused}"
    );
    assert!(refused.contains("tls = \"acme\""), "{refused}");
    assert!(refused.contains("behind_proxy = true"), "{refused}");

    // The explicit choice of a TLS-terminating proxy in front allows it.
    let proxied = Relay::start(
        &data,
        &[
            ("WORKVOICE_LISTEN", "0.0.0.0:0".into()),
            ("WORKVOICE_BEHIND_PROXY", "true".into()),
        ],
    )
    .unwrap();
    assert!(
        proxied.url.starts_with("http://0.0.0.0:"),
        "{}",
        proxied.url
    );
    let log = proxied.stop();
    assert!(log.contains("must not log URL paths"), "{log}");

    // TLS settings that cannot work stop the start with a clear message.
    let no_key = Relay::start(
        &data,
        &[
            ("WORKVOICE_TLS", "files".into()),
            ("WORKVOICE_TLS_CERT_FILE", "/nonexistent/cert.pem".into()),
        ],
    )
    .err()
    .unwrap();
    assert!(
        no_key.contains("needs both tls_cert_file and tls_key_file"),
        "{no_key}"
    );
    let unreadable = Relay::start(
        &data,
        &[
            ("WORKVOICE_TLS", "files".into()),
            ("WORKVOICE_TLS_CERT_FILE", "/nonexistent/cert.pem".into()),
            ("WORKVOICE_TLS_KEY_FILE", "/nonexistent/key.pem".into()),
        ],
    )
    .err()
    .unwrap();
    assert!(
        unreadable.contains("cannot read the TLS certificate file /nonexistent/cert.pem"),
        "{unreadable}"
    );
    let no_domains = Relay::start(&data, &[("WORKVOICE_TLS", "acme".into())])
        .err()
        .unwrap();
    assert!(no_domains.contains("needs acme_domains"), "{no_domains}");
}

#[test]
fn no_token_or_path_in_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, ca, _cert, _key, _) = files_relay(
        dir.path(),
        "3600",
        &[("WORKVOICE_LOG_LEVEL", "trace".into())],
    );
    let roots = [ca.der()];
    let token = "7f3c1e9a5b2d4f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8";
    let secret = "QUERYSECRET0123456789";
    let path = format!("/v1/mailbox/{token}?cursor={secret}");
    let answer = https_get(relay.address, "localhost", &roots, &path).unwrap();
    assert!(!answer.head.starts_with("http/1.1 200"), "{}", answer.head);
    // The same path in plain HTTP to the TLS listener, and a path no route matches.
    let mut tcp = TcpStream::connect(relay.address).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = tcp.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes());
    let _ = tcp.read_to_end(&mut Vec::new());
    https_get(relay.address, "localhost", &roots, &format!("/{token}/x")).unwrap();
    let log = relay.stop();
    // Text logs (to a pipe: journald) are plain text, without terminal colour codes.
    assert!(log.contains("route=/v1/mailbox/{token}"), "{log}");
    assert!(log.contains("route=unmatched"), "{log}");
    assert!(!log.contains('\u{1b}'), "colour codes in the log:\n{log}");
    assert!(log.contains("TLS handshake failed"), "{log}");
    assert!(!log.contains(token), "a token was logged:\n{log}");
    assert!(!log.contains(secret), "a query string was logged:\n{log}");
}

// ---------------------------------------------------------------------------------------------
// ACME against Pebble

/// The Pebble binary, or `None` (with a loud message) when it is not installed outside CI.
fn pebble_binary() -> Option<PathBuf> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    match std::env::var_os("WORKVOICE_PEBBLE").map(PathBuf::from) {
        Some(p) if p.is_file() => Some(p),
        found => {
            let message = format!(
                "the ACME test needs Pebble: run `scripts/pebble-up` and set WORKVOICE_PEBBLE \
                 to the path it prints (WORKVOICE_PEBBLE is {found:?})"
            );
            assert!(!ci, "{message}");
            // Past the test harness's capture of a passing test's output (eprintln! would be
            // captured, and a skipped test passes): seen in every run.
            let _ = writeln!(
                std::io::stderr(),
                "\n!!!!!!!! SKIPPED: {message} !!!!!!!!\n"
            );
            None
        }
    }
}

struct Pebble {
    child: Child,
    directory: String,
    root: CertificateDer<'static>,
}

impl Drop for Pebble {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start Pebble on 127.0.0.1 with a fresh configuration: its own HTTPS certificate from `ca`,
/// TLS-ALPN-01 validation against `relay_port`, certificates valid `validity_secs`.
fn start_pebble(binary: &Path, dir: &Path, ca: &Ca, relay_port: u16, validity_secs: u64) -> Pebble {
    let (cert_pem, key_pem, _) = ca.leaf(&["localhost", "127.0.0.1"]);
    std::fs::write(dir.join("pebble-cert.pem"), cert_pem).unwrap();
    std::fs::write(dir.join("pebble-key.pem"), key_pem).unwrap();
    let (acme_port, management_port, http_port) = (free_port(), free_port(), free_port());
    let config = serde_json::json!({
        "pebble": {
            "listenAddress": format!("127.0.0.1:{acme_port}"),
            "managementListenAddress": format!("127.0.0.1:{management_port}"),
            "certificate": dir.join("pebble-cert.pem"),
            "privateKey": dir.join("pebble-key.pem"),
            "httpPort": http_port,
            "tlsPort": relay_port,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": false,
            "retryAfter": {"authz": 1, "order": 1},
            "keyAlgorithm": "ecdsa",
            "profiles": {
                "default": {"description": "short-lived, to see a renewal", "validityPeriod": validity_secs}
            }
        }
    });
    let config_path = dir.join("pebble-config.json");
    std::fs::write(&config_path, config.to_string()).unwrap();
    let log = std::fs::File::create(dir.join("pebble.log")).unwrap();
    let child = Command::new(binary)
        .arg("-config")
        .arg(&config_path)
        .current_dir(dir)
        // Validate at once, never reject a nonce at random.
        .env("PEBBLE_VA_NOSLEEP", "1")
        .env("PEBBLE_WFE_NONCEREJECT", "0")
        // Go's own resolver: "localhost" from /etc/hosts in file order (127.0.0.1 first on
        // Debian), where the relay listens.
        .env("GODEBUG", "netdns=go")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    // The root that signs the certificates Pebble issues, from its management API.
    let management: SocketAddr = format!("127.0.0.1:{management_port}").parse().unwrap();
    let started = Instant::now();
    let root = loop {
        match https_get(management, "localhost", &[ca.der()], "/roots/0") {
            Ok(a) if a.head.starts_with("http/1.1 200") => {
                break CertificateDer::from_pem_slice(a.body.as_bytes())
                    .expect("Pebble's root is PEM")
                    .into_owned();
            }
            other => {
                assert!(
                    started.elapsed() < PATIENCE,
                    "Pebble did not start: {:?}\n{}",
                    other.err(),
                    std::fs::read_to_string(dir.join("pebble.log")).unwrap_or_default()
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    };
    Pebble {
        child,
        directory: format!("https://127.0.0.1:{acme_port}/dir"),
        root,
    }
}

#[test]
fn acme_issues_and_renews_a_certificate_against_pebble() {
    let Some(binary) = pebble_binary() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("Pebble listener CA");
    std::fs::write(dir.path().join("acme-ca.pem"), ca.cert.pem()).unwrap();
    // The relay's port is chosen first: Pebble validates TLS-ALPN-01 on it.
    let port = free_port();
    // 12-second certificates: the relay renews when a third of the lifetime is left.
    let pebble = start_pebble(&binary, dir.path(), &ca, port, 12);
    let env = [
        ("WORKVOICE_LISTEN", format!("127.0.0.1:{port}")),
        ("WORKVOICE_TLS", "acme".into()),
        ("WORKVOICE_ACME_DOMAINS", "localhost".into()),
        ("WORKVOICE_ACME_CONTACT", "ops@example.org".into()),
        ("WORKVOICE_ACME_DIRECTORY_URL", pebble.directory.clone()),
        (
            "WORKVOICE_ACME_CA_FILE",
            dir.path().join("acme-ca.pem").display().to_string(),
        ),
    ];
    let relay = Relay::start(&dir.path().join("relay"), &env).unwrap();
    assert!(relay.url.starts_with("https://"), "{}", relay.url);
    let roots = [pebble.root.clone()];

    // Issue: a handshake that verifies against Pebble's root.
    let first = https_until(&relay, "localhost", &roots, "ACME issue", |a| {
        a.head.starts_with("http/1.1 200")
    });
    assert!(
        first.head.contains("strict-transport-security"),
        "{}",
        first.head
    );
    // Renewal: a different certificate, also verifying against the root.
    let renewed = https_until(&relay, "localhost", &roots, "ACME renewal", |a| {
        a.leaf != first.leaf
    });
    assert!(renewed.head.starts_with("http/1.1 200"), "{}", renewed.head);

    // The account key and the certificate are cached, private.
    let cache = dir.path().join("relay/acme");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&cache).unwrap() {
        use std::os::unix::fs::PermissionsExt as _;
        let entry = entry.unwrap();
        let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{:?}", entry.path());
        names.push(entry.file_name().to_string_lossy().to_string());
    }
    assert!(names.iter().any(|n| n.starts_with("account-")), "{names:?}");
    assert!(
        names.iter().any(|n| n.starts_with("certificate-")),
        "{names:?}"
    );
    let log = relay.stop();
    assert!(log.matches("DeployedNewCert").count() >= 2, "{log}");

    // A restart serves the cached certificate: no new account, no order needed first.
    let restarted = Relay::start(&dir.path().join("relay"), &env).unwrap();
    https_until(
        &restarted,
        "localhost",
        &roots,
        "serving after a restart",
        |a| a.head.starts_with("http/1.1 200"),
    );
    let again = restarted.stop();
    assert!(again.contains("DeployedCachedCert"), "{again}");
    // Pebble validated for real (no PEBBLE_VA_ALWAYS_VALID), through the relay's TLS-ALPN-01
    // answers on its listener.
    assert!(log.contains("answered a TLS-ALPN-01 validation"), "{log}");
    let pebble_log = std::fs::read_to_string(dir.path().join("pebble.log")).unwrap();
    assert!(
        pebble_log.contains("set VALID by completed challenge"),
        "{pebble_log}"
    );
}
