//! The relay and `workvoice-ohttp-relay` as separate processes, a client on its own loopback
//! address: submissions cross phone → OHTTP relay → gateway; the OHTTP relay killed mid-run
//! and started again loses nothing and duplicates nothing; the relay's log and database hold
//! no trace of the client's address, and the OHTTP relay's log holds neither the address nor
//! the report's text.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/process.rs"]
mod process;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use process::{Place, inbox_report_ids};
use reqwest::StatusCode;
use workvoice_proto::oblivious::{GatewayKeyConfig, InnerRequest, encapsulate};
use workvoice_proto::vectors::Fixture;
use workvoice_relay::testing::{SubmissionSpec, prepare_submission};

const OHTTP_RELAY: &str = env!("CARGO_BIN_EXE_workvoice-ohttp-relay");
/// The client's own address: no log or file of the relay may hold it.
const CLIENT_ADDRESS: &str = "127.0.0.7";
/// In every report's text: only the organisations may read it.
const MARKER: &str = "MARKER-only-the-organisations-may-read-this";

fn marked(report: &mut workvoice_proto::report::Report) {
    report.free_text = MARKER.into();
}

/// A child process whose stdout is collected; killed when dropped.
struct Logged {
    child: Child,
    log: Arc<Mutex<String>>,
}

impl Logged {
    /// Start `command` and wait for the first line containing `ready`; that line.
    fn spawn(mut command: Command, ready: &str) -> (Logged, String) {
        let mut child = command.stdout(Stdio::piped()).spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let log = Arc::new(Mutex::new(String::new()));
        let first = loop {
            let line = lines.next().unwrap().unwrap();
            log.lock().unwrap().push_str(&line);
            log.lock().unwrap().push('\n');
            if line.contains(ready) {
                break line;
            }
        };
        let collected = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let mut log = collected.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        (Logged { child, log }, first)
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Logged {
    fn drop(&mut self) {
        self.kill();
    }
}

fn start_ohttp_relay(gateway: &str) -> (Logged, String) {
    let mut command = Command::new(OHTTP_RELAY);
    command
        .env_clear()
        .args(["--gateway", gateway, "--listen", "127.0.0.1:0"]);
    let (process, line) = Logged::spawn(command, "OHTTP relay listening");
    let address = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("address="))
        .unwrap()
        .to_string();
    (process, format!("http://{address}/"))
}

/// Post the submission through the OHTTP relay at `url` as the phone does (padded,
/// encapsulated afresh to `config`); the inner status, or `None` when the OHTTP relay did not
/// answer.
async fn through(
    c: &reqwest::Client,
    url: &str,
    config: &GatewayKeyConfig,
    submission: &workvoice_proto::api::SubmissionRequest,
) -> Option<u16> {
    let body = serde_json::to_vec(submission).unwrap();
    let request = InnerRequest {
        method: "POST",
        path: "/v1/submissions",
        headers: &[("content-type", "application/json")],
        body: &body,
    };
    let (sealed, pending) = encapsulate(config, &request).unwrap();
    let answer = c
        .post(url)
        .header("content-type", "message/ohttp-req")
        .body(sealed)
        .send()
        .await
        .ok()?;
    assert_eq!(answer.status(), StatusCode::OK);
    Some(pending.open(&answer.bytes().await.unwrap()).unwrap().status)
}

/// The gateway key the phone uses: the first of the relay's verified signed directory.
async fn gateway_key(relay_url: &str, fixture: &Fixture) -> GatewayKeyConfig {
    let served = reqwest::get(format!("{relay_url}/v1/directory"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let verified = workvoice_proto::directory::verify_directory(
        &served,
        &fixture.root.public_key(),
        workvoice_relay::domain::unix_now(),
        0,
    )
    .unwrap();
    verified.listing.oblivious.unwrap().current().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_cross_a_killed_ohttp_relay_exactly_once_and_no_address_reaches_the_relay() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let place = Place {
        data_dir: dir.path().join("relay"),
        database_url: None,
    };
    let world = place.seed(&fixture).await;
    let mut relay_command = place.command(&fixture, &["serve"]);
    relay_command.env("WORKVOICE_LOG_LEVEL", "trace");
    let (relay, line) = Logged::spawn(relay_command, "listening on");
    let relay_url = line.rsplit(' ').next().unwrap().to_string();
    let (mut ohttp, mut ohttp_url) = start_ohttp_relay(&format!("{relay_url}/v1/ohttp"));

    // The phone: its own address, the gateway key from the signed directory.
    let phone = reqwest::Client::builder()
        .local_address(CLIENT_ADDRESS.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let config = gateway_key(&relay_url, &fixture).await;

    let mut sent = Vec::new();
    for seed in 1..=6u64 {
        let p = prepare_submission(
            &fixture,
            &world.listing,
            &SubmissionSpec {
                seed,
                adjust_report: Some(marked),
                ..SubmissionSpec::default()
            },
        )
        .unwrap();
        assert_eq!(p.report.free_text, MARKER);
        if seed == 4 {
            // The OHTTP relay dies; the phone's try fails, and it tries again once a (new)
            // OHTTP relay answers, with the same submission.
            ohttp.kill();
            assert_eq!(through(&phone, &ohttp_url, &config, &p.request).await, None);
            (ohttp, ohttp_url) = start_ohttp_relay(&format!("{relay_url}/v1/ohttp"));
        }
        assert_eq!(
            through(&phone, &ohttp_url, &config, &p.request).await,
            Some(201)
        );
        sent.push(p);
    }
    // An answer lost on the way back: the phone sends the same submission again, afresh
    // encapsulated, and the relay answers it as a retry (200), storing nothing twice.
    assert_eq!(
        through(&phone, &ohttp_url, &config, &sent[2].request).await,
        Some(200)
    );

    let c = reqwest::Client::new();
    let mut delivered = inbox_report_ids(&c, &relay_url, &world.union.token).await;
    delivered.sort();
    let mut expected: Vec<_> = sent.iter().map(|p| p.request.submission_id).collect();
    expected.sort();
    assert_eq!(delivered, expected, "each report delivered exactly once");

    // No trace of the client's address at the relay: its log (at trace level) and every file
    // of its data directory; the OHTTP relay's log holds neither the address nor the text.
    let relay_log = relay.log();
    assert!(relay_log.contains("/v1/ohttp"), "{relay_log}");
    assert!(!relay_log.contains(CLIENT_ADDRESS), "{relay_log}");
    for entry in std::fs::read_dir(&place.data_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes
                    .windows(CLIENT_ADDRESS.len())
                    .any(|w| w == CLIENT_ADDRESS.as_bytes()),
                "{} holds the client address",
                path.display()
            );
        }
    }
    let ohttp_log = ohttp.log();
    assert!(ohttp_log.contains("forwarded"), "{ohttp_log}");
    assert!(!ohttp_log.contains(CLIENT_ADDRESS), "{ohttp_log}");
    assert!(!ohttp_log.contains(MARKER), "{ohttp_log}");
}

/// A test CA and a leaf for `localhost` under it: (CA PEM, leaf PEM, key PEM).
fn test_certificates() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "partner test CA");
    let ca_key = KeyPair::generate().unwrap();
    let ca = params.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca, &ca_key)
        .unwrap();
    (ca.pem(), leaf.pem(), leaf_key.serialize_pem())
}

/// A partner runs the OHTTP relay with one command, serving HTTPS from certificate files: a
/// phone that trusts the certificate reaches the gateway through it; plain HTTP to the same
/// port gets no answer; unusable files stop it at start with a message that names them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ohttp_relay_serves_https_from_certificate_files() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let place = Place {
        data_dir: dir.path().join("relay"),
        database_url: None,
    };
    let world = place.seed(&fixture).await;
    let (_relay, line) = Logged::spawn(place.command(&fixture, &["serve"]), "listening on");
    let relay_url = line.rsplit(' ').next().unwrap().to_string();

    let (ca, cert, key) = test_certificates();
    let (cert_path, key_path) = (dir.path().join("fullchain.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, &cert).unwrap();
    std::fs::write(&key_path, &key).unwrap();
    let mut command = Command::new(OHTTP_RELAY);
    command.env_clear().args([
        "--gateway",
        &format!("{relay_url}/v1/ohttp"),
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        cert_path.to_str().unwrap(),
        "--tls-key",
        key_path.to_str().unwrap(),
    ]);
    let (_ohttp, line) = Logged::spawn(command, "OHTTP relay listening");
    assert!(
        line.contains("scheme=\"https\"") || line.contains("scheme=https"),
        "{line}"
    );
    let port = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("address="))
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();

    let phone = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.as_bytes()).unwrap())
        .build()
        .unwrap();
    let config = gateway_key(&relay_url, &fixture).await;
    let p = prepare_submission(&fixture, &world.listing, &SubmissionSpec::default()).unwrap();
    let https = format!("https://localhost:{port}/");
    assert_eq!(
        through(&phone, &https, &config, &p.request).await,
        Some(201)
    );
    // The same port does not speak plain HTTP.
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await;
    assert!(plain.is_err(), "{plain:?}");

    // A key file that is not a key: refused at start, naming the flags.
    std::fs::write(&key_path, "not a key").unwrap();
    let out = Command::new(OHTTP_RELAY)
        .env_clear()
        .args([
            "--gateway",
            &format!("{relay_url}/v1/ohttp"),
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            cert_path.to_str().unwrap(),
            "--tls-key",
            key_path.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("--tls-cert/--tls-key"), "{said}");
    // A certificate without its key is refused by the flags themselves.
    let out = Command::new(OHTTP_RELAY)
        .env_clear()
        .args([
            "--gateway",
            "http://127.0.0.1:9/v1/ohttp",
            "--tls-cert",
            cert_path.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--tls-key"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
