//! End to end: the command-line shell drives the real core against a real relay (started on
//! port 0) through a fault-injecting TCP proxy that drops connections, answers 503, times out
//! and cuts responses short, and across a relay restart. Every report must reach the union's
//! inbox exactly once and open with the union's key to exactly what was written; replies come
//! back; a recovery code finds everything on a new phone; untrusted keys stop everything.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/jpeg.rs"]
mod jpeg;
use jpeg::jpeg_with_gps;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use workvoice_cli::{ConsentLine, FeeLine, PartyLine, ReportFile, Shell, ShellConfig};
use workvoice_core::app::{DeliveryState, Event, Screen};
use workvoice_proto::api::{InboxPage, PostReply};
use workvoice_proto::directory::{ORG_CERT_CONTEXT, OrgCertificate, OrgKind, RevokedKey, Signed};
use workvoice_proto::envelope::open;
use workvoice_proto::keys::{HpkePrivateKey, ReportId};
use workvoice_proto::reply::{ReplyBody, seal_reply};
use workvoice_proto::report::Report;
use workvoice_proto::routing::disclosure_digest;
use workvoice_proto::vectors::DeterministicRng;
use workvoice_relay::testing::{TestDatabase, TestRelay, TestRelayOptions};

const PIN: &str = "482916";

/// Accepted by the relay (and maybe already further along).
fn accepted(state: DeliveryState) -> bool {
    matches!(
        state,
        DeliveryState::Sent
            | DeliveryState::Delivered
            | DeliveryState::Acknowledged
            | DeliveryState::Replied
    )
}

#[derive(Debug, Clone)]
enum Fault {
    Pass,
    /// Read the request, then close without answering.
    Drop,
    /// Answer 503 without forwarding.
    Unavailable,
    /// Forward, then send only half of the answer.
    Truncate,
    /// Hold the connection longer than the client's timeout.
    Stall,
    /// Answer with these bytes instead of the relay's.
    Serve(Vec<u8>),
}

type Rule = Box<dyn Fn(&str, &str, usize) -> Fault + Send>;

struct Proxy {
    port: u16,
    upstream: Arc<AtomicU16>,
    rule: Arc<Mutex<Rule>>,
    /// Requests seen per "METHOD /path-prefix", and the faults applied.
    seen: Arc<Mutex<HashMap<String, usize>>>,
    faults: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

fn key_of(method: &str, path: &str) -> String {
    let prefix = if path.starts_with("/v1/submissions/") {
        "/v1/submissions/*/attachments"
    } else if path.starts_with("/v1/mailbox/") {
        "/v1/mailbox"
    } else {
        path.split('?').next().unwrap_or(path)
    };
    format!("{method} {prefix}")
}

fn read_message(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| {
                    l.strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                buf.truncate(end + 4 + length);
                return Some(buf);
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return if buf.is_empty() { None } else { Some(buf) },
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

impl Proxy {
    fn start(upstream: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let proxy = Proxy {
            port,
            upstream: Arc::new(AtomicU16::new(upstream)),
            rule: Arc::new(Mutex::new(Box::new(|_: &str, _: &str, _: usize| {
                Fault::Pass
            }))),
            seen: Arc::default(),
            faults: Arc::default(),
            stop: Arc::default(),
        };
        let (up, rule, seen, faults, stop) = (
            proxy.upstream.clone(),
            proxy.rule.clone(),
            proxy.seen.clone(),
            proxy.faults.clone(),
            proxy.stop.clone(),
        );
        listener.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let Ok((client, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(2));
                    continue;
                };
                let (up, rule, seen, faults) =
                    (up.clone(), rule.clone(), seen.clone(), faults.clone());
                std::thread::spawn(move || {
                    let mut client = client;
                    client.set_nonblocking(false).unwrap();
                    client
                        .set_read_timeout(Some(Duration::from_secs(5)))
                        .unwrap();
                    let Some(request) = read_message(&mut client) else {
                        return;
                    };
                    let line = String::from_utf8_lossy(
                        &request[..request.iter().position(|b| *b == b'\r').unwrap_or(0)],
                    )
                    .to_string();
                    let mut parts = line.split(' ');
                    let (method, path) = (
                        parts.next().unwrap_or("").to_string(),
                        parts.next().unwrap_or("").to_string(),
                    );
                    let key = key_of(&method, &path);
                    let n = {
                        let mut seen = seen.lock().unwrap();
                        let n = seen.entry(key.clone()).or_default();
                        *n += 1;
                        *n
                    };
                    let fault = (rule.lock().unwrap())(&method, &path, n);
                    if !matches!(fault, Fault::Pass) {
                        faults
                            .lock()
                            .unwrap()
                            .push(format!("{key} #{n}: {fault:?}").chars().take(80).collect());
                    }
                    let forward = |request: &[u8]| -> Option<Vec<u8>> {
                        let mut upstream =
                            TcpStream::connect(("127.0.0.1", up.load(Ordering::Relaxed))).ok()?;
                        upstream
                            .set_read_timeout(Some(Duration::from_secs(10)))
                            .ok()?;
                        upstream.write_all(request).ok()?;
                        read_message(&mut upstream)
                    };
                    match fault {
                        Fault::Pass => {
                            if let Some(response) = forward(&request) {
                                let _ = client.write_all(&response);
                            }
                        }
                        Fault::Drop => {}
                        Fault::Unavailable => {
                            let body = br#"{"error":"unavailable","message":"injected"}"#;
                            let head = format!(
                                "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                                body.len()
                            );
                            let _ = client.write_all(head.as_bytes());
                            let _ = client.write_all(body);
                        }
                        Fault::Truncate => {
                            if let Some(response) = forward(&request) {
                                let _ = client.write_all(&response[..response.len() / 2]);
                            }
                        }
                        Fault::Stall => std::thread::sleep(Duration::from_millis(2_500)),
                        Fault::Serve(body) => {
                            let head = format!(
                                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                                body.len()
                            );
                            let _ = client.write_all(head.as_bytes());
                            let _ = client.write_all(&body);
                        }
                    }
                    let _ = client.flush();
                });
            }
        });
        proxy
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn set_rule(&self, rule: impl Fn(&str, &str, usize) -> Fault + Send + 'static) {
        *self.rule.lock().unwrap() = Box::new(rule);
    }

    fn count(&self, key: &str) -> usize {
        self.seen.lock().unwrap().get(key).copied().unwrap_or(0)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn shell(dir: &std::path::Path, proxy: &Proxy, relay: &TestRelay) -> Shell {
    Shell::start(&ShellConfig {
        data_dir: dir.display().to_string(),
        relay_url: proxy.url(),
        root_public_key: Some(relay.fixture.root.public_key().to_hex()),
        language: "en".into(),
        fast_kdf: true,
        quick_retries: true,
        ohttp_relay: None,
    })
    .unwrap()
}

fn report_file(n: usize, evidence: Vec<String>) -> ReportFile {
    ReportFile {
        deductions: Vec::new(),
        loans: Vec::new(),
        job: None,
        fees: vec![FeeLine {
            amount: format!("{}", 1000 + n),
            currency: "NPR".into(),
            payee: "recruitment_agency".into(),
            stage: "origin".into(),
            category: "recruitment_service_fee".into(),
            paid_on: Some("2026-02".into()),
            receipt: Some(false),
        }],
        indicators: vec!["withholding_of_wages".into()],
        recruiter: Some(PartyLine {
            name: format!("Agency {n}"),
            licence_number: None,
            country: Some("NP".into()),
        }),
        employer: None,
        destination_country: "QA".into(),
        origin_country: Some("NP".into()),
        sector: Some("F".into()),
        monthly_wage: None,
        contract_substituted: None,
        story: Some(format!("Report number {n}")),
        language: Some("en".into()),
        evidence,
        consent: ConsentLine {
            union: true,
            inspectorate: false,
            ngo: false,
            contact_wanted: true,
        },
        escrow: false,
    }
}

/// Everything in the union's inbox, by report id (with duplicates counted).
fn union_inbox(relay: &TestRelay) -> Vec<workvoice_proto::api::InboxEntry> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let url = match &after {
            Some(c) => relay.url(&format!("/v1/org/inbox?limit=100&after={c}")),
            None => relay.url("/v1/org/inbox?limit=100"),
        };
        let mut response = agent
            .get(&url)
            .header("authorization", &format!("Bearer {}", relay.union.token))
            .call()
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let page: InboxPage =
            serde_json::from_slice(&response.body_mut().read_to_vec().unwrap()).unwrap();
        out.extend(page.entries);
        match page.next_cursor {
            Some(c) => after = Some(c),
            None => return out,
        }
    }
}

fn open_entry(relay: &TestRelay, entry: &workvoice_proto::api::InboxEntry) -> Report {
    let opened = open(
        &entry.envelope,
        relay.union.id,
        &relay.union.key,
        &disclosure_digest(&entry.tags, &entry.consent),
    )
    .unwrap();
    assert_eq!(opened.report_id, entry.report_id);
    Report::decode(&opened.plaintext).unwrap()
}

#[test]
fn every_report_is_delivered_exactly_once_through_faults_and_a_restart() {
    let relay_a = TestRelay::start(TestRelayOptions::default()).unwrap();
    let proxy = Proxy::start(relay_a.port);
    let phone_dir = tempfile::tempdir().unwrap();
    let mut phone = shell(phone_dir.path(), &proxy, &relay_a);
    let code = phone.init(PIN, None).unwrap();

    // Written offline: nothing gets through while composing.
    proxy.set_rule(|_, _, _| Fault::Drop);
    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    for n in 0..3 {
        phone
            .compose(&report_file(n, vec![]), std::path::Path::new("."))
            .unwrap();
    }
    let items = phone.outbox().unwrap();
    assert_eq!(items.len(), 3);
    assert!(
        items.iter().all(|i| i.state == DeliveryState::Waiting),
        "{items:?}"
    );

    // Signal comes back, badly: every kind of fault on the submissions.
    proxy.set_rule(
        |method, path, n| match (method, path.split('?').next().unwrap_or("")) {
            ("GET", "/v1/directory") if n == 1 => Fault::Stall,
            ("POST", "/v1/submissions") => match n % 5 {
                1 => Fault::Truncate, // stored by the relay, answer lost
                2 => Fault::Unavailable,
                3 => Fault::Drop,
                _ => Fault::Pass,
            },
            _ => Fault::Pass,
        },
    );
    let items = phone.sync_until_sent(Duration::from_secs(60)).unwrap();
    assert!(items.iter().all(|i| accepted(i.state)), "{items:?}");
    for item in &items {
        expected.insert(item.report_id.clone(), String::new());
    }
    assert!(
        proxy.count("POST /v1/submissions") > 3,
        "faults forced retries"
    );

    // The relay restarts on the same database; while it is down, connections fail.
    let relay_b = TestRelay::start(TestRelayOptions {
        database: TestDatabase::Url(relay_a.settings.database_url()),
        ..TestRelayOptions::default()
    })
    .unwrap();
    proxy.set_rule(|_, _, _| Fault::Drop);
    let photo_dir = tempfile::tempdir().unwrap();
    std::fs::write(photo_dir.path().join("receipt.jpg"), jpeg_with_gps()).unwrap();
    for n in 3..6 {
        let evidence = if n == 3 {
            vec!["receipt.jpg".to_string()]
        } else {
            vec![]
        };
        phone
            .compose(&report_file(n, evidence), photo_dir.path())
            .unwrap();
    }
    phone.send(&Event::Tick).unwrap();
    proxy.upstream.store(relay_b.port, Ordering::Relaxed);
    proxy.set_rule(
        |method, path, n| match (method, path.split('?').next().unwrap_or("")) {
            ("POST", "/v1/submissions") if n % 4 == 1 => Fault::Truncate,
            (_, p) if p.starts_with("/v1/submissions/") && method == "PUT" && n == 2 => Fault::Drop,
            (_, p) if p.starts_with("/v1/submissions/") && method == "PUT" && n == 3 => {
                Fault::Truncate
            }
            _ => Fault::Pass,
        },
    );
    let items = phone.sync_until_sent(Duration::from_secs(60)).unwrap();
    assert_eq!(items.len(), 6);
    assert!(
        items
            .iter()
            .all(|i| accepted(i.state) && i.uploads_pending == 0),
        "{items:?}"
    );
    for item in &items {
        expected.insert(item.report_id.clone(), String::new());
    }
    let faults = proxy.faults.lock().unwrap().clone();
    assert!(faults.iter().any(|f| f.contains("Truncate")), "{faults:?}");
    assert!(
        faults.iter().any(|f| f.contains("attachments")),
        "{faults:?}"
    );

    // The union's inbox: every report exactly once, opening to exactly what was written.
    let inbox = union_inbox(&relay_b);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for entry in &inbox {
        *counts.entry(entry.report_id.to_hex()).or_default() += 1;
    }
    assert_eq!(
        counts.keys().cloned().collect::<BTreeSet<_>>(),
        expected.keys().cloned().collect::<BTreeSet<_>>()
    );
    assert!(counts.values().all(|c| *c == 1), "{counts:?}");
    let mut stories = BTreeSet::new();
    for entry in &inbox {
        let report = open_entry(&relay_b, entry);
        let n: usize = report
            .free_text
            .trim_start_matches("Report number ")
            .parse()
            .unwrap();
        assert_eq!(
            report.recruiter.as_ref().unwrap().name,
            format!("Agency {n}")
        );
        assert_eq!(report.fees[0].amount.amount_minor, (1000 + n as u64) * 100);
        assert_eq!(report.destination_country, "QA");
        stories.insert(n);
        if n == 3 {
            assert_eq!(report.attachments.len(), 1);
            assert!(
                entry.attachments.iter().all(|a| a.complete),
                "photo fully uploaded"
            );
            // Fetch the sealed photo as the union and check it lost its GPS.
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into();
            let a = &report.attachments[0];
            let mut response = agent
                .get(&relay_b.url(&format!(
                    "/v1/org/reports/{}/attachments/{}",
                    entry.report_id, a.id
                )))
                .header("authorization", &format!("Bearer {}", relay_b.union.token))
                .call()
                .unwrap();
            if response.status().as_u16() == 200 {
                let sealed = response
                    .body_mut()
                    .with_config()
                    .limit(20_000_000)
                    .read_to_vec()
                    .unwrap();
                let plain =
                    workvoice_proto::attachment::open_attachment(&sealed, entry.report_id, a)
                        .unwrap();
                assert!(!plain.windows(4).any(|w| w == b"Exif"));
                assert!(!plain.windows(11).any(|w| w == b"GPSLatitude"));
            }
        }
    }
    assert_eq!(stories, (0..6).collect());

    // The union answers report 0; the phone reads it, opened with the certified key.
    let first = inbox
        .iter()
        .find(|e| open_entry(&relay_b, e).free_text == "Report number 0")
        .unwrap();
    let report = open_entry(&relay_b, first);
    let sealed = seal_reply(
        &ReplyBody {
            text: "We are on it.".into(),
            language: "en".into(),
            written_on: None,
        },
        first.report_id,
        relay_b.union.id,
        &relay_b.union.key,
        &report.reply_key,
        &mut DeterministicRng::new("union reply"),
    )
    .unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let status = agent
        .post(&relay_b.url(&format!("/v1/org/reports/{}/replies", first.report_id)))
        .header("authorization", &format!("Bearer {}", relay_b.union.token))
        .header("content-type", "application/json")
        .send(&serde_json::to_vec(&PostReply { sealed }).unwrap()[..])
        .unwrap()
        .status()
        .as_u16();
    assert!(status == 200 || status == 201, "reply posted: {status}");
    proxy.set_rule(|_, _, _| Fault::Pass);
    phone.send(&Event::CheckMailbox).unwrap();
    let replied = phone
        .outbox()
        .unwrap()
        .into_iter()
        .find(|i| i.report_id == first.report_id.to_hex())
        .unwrap();
    assert_eq!(replied.state, DeliveryState::Replied);
    phone
        .send(&Event::OpenReport {
            report_id: replied.report_id.clone(),
        })
        .unwrap();
    match phone.view().unwrap().screen {
        Screen::Report(r) => assert_eq!(r.messages[0].text, "We are on it."),
        other => panic!("{other:?}"),
    }

    // A new phone with the recovery code finds all six mailboxes and the answer.
    let new_dir = tempfile::tempdir().unwrap();
    let mut new_phone = shell(new_dir.path(), &proxy, &relay_b);
    let found = new_phone.recover(PIN, &code).unwrap();
    assert_eq!(found.len(), 6, "{found:?}");
    assert_eq!(
        found
            .iter()
            .filter(|i| i.state == DeliveryState::Replied)
            .count(),
        1
    );
    drop(relay_b);
    drop(relay_a);
}

#[test]
fn untrusted_keys_stop_everything_and_nothing_reaches_the_relay() {
    let relay = TestRelay::start(TestRelayOptions::default()).unwrap();
    let proxy = Proxy::start(relay.port);
    let f = &relay.fixture;
    let mut uncertified = relay.listing.clone();
    let relay_key = HpkePrivateKey::generate(&mut DeterministicRng::new("relay's own union key"));
    uncertified
        .organisations
        .iter_mut()
        .find(|o| o.id == relay.union.id)
        .unwrap()
        .certificate = Signed::sign(
        &OrgCertificate {
            org_id: relay.union.id,
            kind: OrgKind::Union,
            hpke_public_key: relay_key.public_key(),
            key_version: 2,
            valid_from: 0,
            valid_until: u64::MAX,
        },
        ORG_CERT_CONTEXT,
        &f.relay,
    );
    let mut expired = relay.listing.clone();
    expired
        .organisations
        .iter_mut()
        .find(|o| o.id == relay.union.id)
        .unwrap()
        .certificate = Signed::sign(
        &OrgCertificate {
            org_id: relay.union.id,
            kind: OrgKind::Union,
            hpke_public_key: relay.union.key.public_key(),
            key_version: 1,
            valid_from: 1,
            valid_until: 2,
        },
        ORG_CERT_CONTEXT,
        &f.root,
    );
    let mut revoked = relay.listing.clone();
    revoked.revocations = Some(f.revocations(vec![RevokedKey {
        org_id: relay.union.id,
        key_version: 1,
        hpke_public_key: relay.union.key.public_key(),
    }]));
    let before = union_inbox(&relay).len();
    for (case, mut listing, reason) in [
        ("uncertified", uncertified, "its key is not certified"),
        ("expired", expired, "its certificate has expired"),
        ("revoked", revoked, "its key was withdrawn"),
    ] {
        listing.version = 1_000;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        listing.issued_at = now - 60;
        listing.expires_at = now + 3_600;
        let served = f.publish(&listing);
        proxy.set_rule(move |method, path, _| {
            if method == "GET" && path == "/v1/directory" {
                Fault::Serve(served.clone())
            } else {
                Fault::Pass
            }
        });
        let dir = tempfile::tempdir().unwrap();
        let mut phone = shell(dir.path(), &proxy, &relay);
        phone.init(PIN, None).unwrap();
        let posts = proxy.count("POST /v1/submissions");
        phone
            .compose(&report_file(0, vec![]), std::path::Path::new("."))
            .unwrap();
        let items = phone.sync_until_sent(Duration::from_secs(10)).unwrap();
        assert_eq!(items.len(), 1, "{case}");
        assert_eq!(items[0].state, DeliveryState::Failed, "{case}");
        let detail = items[0].detail.clone().unwrap();
        assert!(
            detail.contains("Building Workers Union") && detail.contains(reason),
            "{case}: {detail}"
        );
        assert_eq!(
            proxy.count("POST /v1/submissions"),
            posts,
            "{case}: nothing was posted"
        );
    }
    assert_eq!(
        union_inbox(&relay).len(),
        before,
        "the relay received nothing"
    );
    let _ = ReportId([0; 16]);
}

#[test]
fn a_queued_report_withdrawn_never_leaves_and_a_sent_one_is_withdrawn_at_the_relay() {
    let relay = TestRelay::start(TestRelayOptions::default()).unwrap();
    let proxy = Proxy::start(relay.port);
    let dir = tempfile::tempdir().unwrap();
    let mut phone = shell(dir.path(), &proxy, &relay);
    phone.init(PIN, None).unwrap();
    phone
        .compose(&report_file(0, vec![]), std::path::Path::new("."))
        .unwrap();
    let sent = phone.sync_until_sent(Duration::from_secs(20)).unwrap();
    assert!(accepted(sent[0].state), "{sent:?}");
    let sent_id = sent[0].report_id.clone();

    // No signal: the second report waits on the phone; withdrawn, it is deleted.
    proxy.set_rule(|_, _, _| Fault::Unavailable);
    phone
        .compose(&report_file(1, vec![]), std::path::Path::new("."))
        .unwrap();
    let queued = phone
        .outbox()
        .unwrap()
        .into_iter()
        .find(|i| i.state == DeliveryState::Waiting)
        .expect("a report waiting for signal");
    assert_eq!(phone.withdraw(&queued.report_id).unwrap(), None);
    proxy.set_rule(|_, _, _| Fault::Pass);
    let posts = proxy.count("POST /v1/submissions");
    let items = phone.sync_until_sent(Duration::from_secs(10)).unwrap();
    assert!(items.iter().all(|i| i.report_id != queued.report_id));
    assert_eq!(proxy.count("POST /v1/submissions"), posts, "nothing posted");
    assert_eq!(
        union_inbox(&relay).len(),
        1,
        "only the first report arrived"
    );

    // The sent one: the withdrawal reaches the relay for the union, with the secret the sealed
    // report commits to.
    let state = phone.withdraw(&sent_id).unwrap().unwrap();
    assert_eq!(
        state,
        "You withdrew this report. The organisations were told."
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .get(&relay.url("/v1/org/withdrawals"))
        .header("authorization", &format!("Bearer {}", relay.union.token))
        .call()
        .unwrap();
    let page: workvoice_proto::api::WithdrawalPage =
        serde_json::from_slice(&response.body_mut().read_to_vec().unwrap()).unwrap();
    assert_eq!(page.entries.len(), 1);
    let entry = &union_inbox(&relay)[0];
    assert_eq!(page.entries[0].report_id, entry.report_id);
    let committed = open_entry(&relay, entry).withdrawal_hash.unwrap();
    let text = &page.entries[0].secret;
    let mut secret = [0u8; 32];
    for (i, byte) in secret.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap();
    }
    assert!(workvoice_proto::recovery::withdrawal_matches(
        &secret, &committed
    ));
}
