//! A test phone: the real [`Host`] over a real vault in a temporary directory, on a clock the
//! test moves and entropy it can predict. The test plays the native shell: it answers the HTTP
//! requests itself; an observer of the host's effect loop records what went by, and can hold
//! an effect back.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod jpeg;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use workvoice_core::app::*;
use workvoice_core::host::seams::{Observer, OpenStore, Pass};
use workvoice_core::host::{
    Clock, Entropy, EntropyUnavailable, Host, HostConfig, ShellEffect, ShellRequest,
    evidence_intake_dir,
};
use workvoice_proto::api::{SubmissionAccepted, SubmissionRequest};
use workvoice_proto::vectors::Fixture;

pub const PIN: &str = "482916";
pub const DURESS: &str = "111999";
pub const RELAY: &str = "http://relay.test";
/// Wrong PINs before the vault wipes itself.
pub const MAX_PIN_ATTEMPTS: u32 = 5;

pub fn config(fixture: &Fixture) -> AppConfig {
    AppConfig {
        relay_url: RELAY.into(),
        root_public_key: Some(fixture.root.public_key().to_hex()),
        system_language: "en".into(),
        retry_base_ms: 1_000,
        retry_cap_ms: 60_000,
        mailbox_poll_base_ms: 10_000,
        mailbox_poll_cap_ms: 80_000,
        http_timeout_ms: 5_000,
        upload_chunk_bytes: 1_000,
        ohttp_relay: None,
    }
}

/// The submission a `POST /v1/submissions` carries, in the encoding its `content-type` names
/// (the phone sends the binary body, `PROTOCOL.md` 14.9).
pub fn submission_of(request: &HttpRequest) -> SubmissionRequest {
    let media_type = request
        .headers
        .iter()
        .find(|h| h.name == "content-type")
        .map(|h| h.value.as_str());
    submission_body(media_type, &request.body)
}

pub fn submission_body(media_type: Option<&str>, body: &[u8]) -> SubmissionRequest {
    match media_type {
        Some(workvoice_proto::api::SUBMISSION_BINARY_TYPE) => {
            SubmissionRequest::from_binary(body).unwrap()
        }
        _ => serde_json::from_slice(body).unwrap(),
    }
}

/// What the test saw go by, in the order the host's loop took it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    Render,
    Http(String),
    VaultWrite { keys: Vec<String>, flush: bool },
    VaultOther(String),
    Time,
    Random,
    Platform(PlatformOperation),
}

/// An HTTP request the host handed out, for the test to answer by `id`.
#[derive(Debug)]
pub struct PendingHttp {
    pub id: u32,
    pub operation: HttpRequest,
}

struct TestClock(Arc<AtomicU64>);

impl Clock for TestClock {
    fn now_unix_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Every byte of the n-th draw is n.
#[derive(Default)]
struct CountingEntropy(AtomicU8);

impl Entropy for CountingEntropy {
    fn fill(&self, bytes: &mut [u8]) -> Result<(), EntropyUnavailable> {
        let draw = self.0.fetch_add(1, Ordering::SeqCst).wrapping_add(1);
        bytes.fill(draw);
        Ok(())
    }
}

#[derive(Default)]
struct Watch {
    seen: Vec<Seen>,
    file_reads: Vec<(u64, u32)>,
    file_reads_allowed: Option<usize>,
    hold_next: Option<fn(&Effect) -> bool>,
    held_vault: Vec<VaultOperation>,
}

struct Watcher(Arc<Mutex<Watch>>);

impl Observer for Watcher {
    fn effect(&self, effect: &Effect) -> Pass {
        let mut watch = self.0.lock().unwrap();
        if watch.hold_next.is_some_and(|hold| hold(effect)) {
            watch.hold_next = None;
            if let Effect::Vault(request) = effect {
                watch.held_vault.push(request.operation.clone());
            }
            return Pass::Hold;
        }
        let seen = match effect {
            Effect::Render(_) => Seen::Render,
            Effect::Platform(request) => Seen::Platform(request.operation.clone()),
            Effect::Http(request) => Seen::Http(format!(
                "{:?} {}",
                request.operation.method, request.operation.url
            )),
            Effect::Time(_) => Seen::Time,
            Effect::Random(_) => Seen::Random,
            Effect::File(request) => {
                if watch
                    .file_reads_allowed
                    .is_some_and(|allowed| watch.file_reads.len() >= allowed)
                {
                    return Pass::Hold;
                }
                let read = (request.operation.offset, request.operation.len);
                watch.file_reads.push(read);
                return Pass::Go;
            }
            Effect::Vault(request) => vault_seen(&request.operation),
        };
        watch.seen.push(seen);
        Pass::Go
    }
}

fn vault_seen(operation: &VaultOperation) -> Seen {
    let key = |op: &VaultWrite| match op {
        VaultWrite::Put { ns, key, .. } => format!("put {ns}/{key}"),
        VaultWrite::Delete { ns, key } => format!("delete {ns}/{key}"),
    };
    let other = match operation {
        VaultOperation::Write { ops, flush } => {
            return Seen::VaultWrite {
                keys: ops.iter().map(key).collect(),
                flush: *flush,
            };
        }
        VaultOperation::Status => "status".into(),
        VaultOperation::Create { .. } => "create".into(),
        VaultOperation::Unlock { .. } => "unlock".into(),
        VaultOperation::Lock => "lock".into(),
        VaultOperation::Wipe => "wipe".into(),
        VaultOperation::Load { .. } => "load".into(),
        VaultOperation::Get { ns, key } => format!("get {ns}/{key}"),
        VaultOperation::CourierLoad => "courier load".into(),
        VaultOperation::CourierGet { ns, key } => format!("courier get {ns}/{key}"),
        VaultOperation::CourierWrite { .. } => "courier write".into(),
    };
    Seen::VaultOther(other)
}

pub struct Phone {
    pub host: Host,
    pub dir: PathBuf,
    /// The clock, read by the host at each `Time` effect.
    pub now_ms: u64,
    pub http: VecDeque<PendingHttp>,
    pub seen: Vec<Seen>,
    /// Every file read the core asked for: (offset, len).
    pub file_reads: Vec<(u64, u32)>,
    /// Reads answered before the next ones are held (a phone killed mid-file), if set.
    pub file_reads_allowed: Option<usize>,
    clock: Arc<AtomicU64>,
    watch: Arc<Mutex<Watch>>,
}

impl Drop for Phone {
    fn drop(&mut self) {
        // The host makes the shell's evidence intake directory beside the data directory,
        // outside the test's temporary one.
        let _ = std::fs::remove_dir_all(evidence_intake_dir(&self.dir));
    }
}

impl Phone {
    pub fn start(dir: &Path, config: AppConfig) -> Phone {
        let now_ms = Fixture::new().now * 1000;
        let clock = Arc::new(AtomicU64::new(now_ms));
        let watch = Arc::new(Mutex::new(Watch::default()));
        let host_config = HostConfig {
            data_dir: dir.display().to_string(),
            app: config,
            insecure_fast_kdf: true,
            max_pin_attempts: MAX_PIN_ATTEMPTS,
            platform_secret: Vec::new(),
        };
        let (host, requests) = Host::start_observed(
            host_config,
            Box::new(TestClock(clock.clone())),
            Box::new(CountingEntropy::default()),
            Box::new(Watcher(watch.clone())),
        )
        .unwrap();
        let mut phone = Phone {
            host,
            dir: dir.to_path_buf(),
            now_ms,
            http: VecDeque::new(),
            seen: Vec::new(),
            file_reads: Vec::new(),
            file_reads_allowed: None,
            clock,
            watch,
        };
        phone.receive(requests);
        phone
    }

    pub fn send(&mut self, event: Event) {
        self.prepare();
        let requests = self.host.update(event);
        self.receive(requests);
    }

    pub fn view(&self) -> ViewModel {
        self.host.view()
    }

    pub fn screen(&self) -> Screen {
        self.view().screen
    }

    /// The vault, while the host holds it unlocked.
    pub fn vault(&self) -> Option<OpenStore<'_>> {
        self.host.open_vault()
    }

    /// The courier store, once the core has used it.
    pub fn courier(&self) -> Option<OpenStore<'_>> {
        self.host.open_courier()
    }

    /// Hold back the next effect that `hold` picks, until [`Phone::release_held`].
    pub fn hold_next(&mut self, hold: fn(&Effect) -> bool) {
        self.watch.lock().unwrap().hold_next = Some(hold);
    }

    /// The vault operations held back so far.
    pub fn held_vault(&self) -> Vec<VaultOperation> {
        self.watch.lock().unwrap().held_vault.clone()
    }

    /// Let the held effects run.
    pub fn release_held(&mut self) {
        self.prepare();
        let requests = self.host.release_held();
        self.watch.lock().unwrap().held_vault.clear();
        self.receive(requests);
    }

    /// Hand the test's clock and file-read limit to the host's side before a call.
    fn prepare(&mut self) {
        self.clock.store(self.now_ms, Ordering::SeqCst);
        self.watch.lock().unwrap().file_reads_allowed = self.file_reads_allowed;
    }

    /// Keep the HTTP requests for the test to answer; take in what the observer saw.
    fn receive(&mut self, requests: Vec<ShellRequest>) {
        for request in requests {
            if let ShellEffect::Http(operation) = request.effect {
                self.http.push_back(PendingHttp {
                    id: request.id,
                    operation,
                });
            }
        }
        let mut watch = self.watch.lock().unwrap();
        self.seen.append(&mut watch.seen);
        self.file_reads.clone_from(&watch.file_reads);
    }

    /// The next HTTP request the core made.
    pub fn take_http(&mut self) -> PendingHttp {
        match self.http.pop_front() {
            Some(request) => request,
            None => panic!(
                "no HTTP request; last effects: {:?}",
                &self.seen[self.seen.len().saturating_sub(12)..]
            ),
        }
    }

    pub fn no_http(&self) -> bool {
        self.http.is_empty()
    }

    pub fn respond(&mut self, request: PendingHttp, result: HttpResult) {
        self.prepare();
        let requests = self.host.resolve(request.id, result).unwrap();
        self.receive(requests);
    }

    pub fn respond_status(&mut self, request: PendingHttp, status: u16, body: Vec<u8>) {
        self.respond(request, HttpResult::Response(HttpResponse { status, body }));
    }

    pub fn drop_connection(&mut self, request: PendingHttp) {
        self.respond(
            request,
            HttpResult::Failed(HttpFailure {
                kind: HttpFailureKind::Connection,
                message: "reset".into(),
            }),
        );
    }

    /// Set up a new phone with a PIN and confirm the recovery code.
    pub fn onboard(&mut self) -> String {
        self.send(Event::StartSetup);
        self.send(Event::SubmitNewPin {
            pin: PIN.into(),
            confirm: PIN.into(),
            duress_pin: Some(DURESS.into()),
        });
        let Screen::ShowRecoveryCode { code, .. } = self.screen() else {
            panic!("no recovery code shown");
        };
        self.send(Event::RecoveryCodeWritten);
        assert!(matches!(self.screen(), Screen::Home { .. }));
        code
    }

    /// Compose, review (serving the directory) and queue a report; returns its id.
    pub fn queue_report(&mut self, consent: (bool, bool, bool), served: &[u8]) {
        self.compose_report(consent);
        self.send(Event::Review);
        self.serve_directory(served);
        assert!(matches!(self.screen(), Screen::Review(_)));
        self.send(Event::SendReport);
        assert!(matches!(self.screen(), Screen::Outbox { .. }));
    }

    /// Move the clock and send a Tick.
    pub fn tick_after(&mut self, ms: u64) {
        self.now_ms += ms;
        self.send(Event::Tick);
    }

    /// Compose the Fixture's kind of report (construction in Qatar, union + inspectorate).
    pub fn compose_report(&mut self, consent: (bool, bool, bool)) {
        self.send(Event::NewReport);
        self.send(Event::AddFee {
            amount: "150000".into(),
            currency: "NPR".into(),
            payee: "sub_agent".into(),
            stage: "origin".into(),
            category: "recruitment_service_fee".into(),
            paid_on: "2026-03".into(),
            receipt: Some(false),
        });
        self.send(Event::SetIndicator {
            indicator: "retention_of_identity_documents".into(),
            present: true,
        });
        self.send(Event::SetRecruiter {
            name: "Sagarmatha Manpower".into(),
            licence_number: "1234/067".into(),
            country: "np".into(),
        });
        self.send(Event::SetPlace {
            destination_country: "qa".into(),
            origin_country: "NP".into(),
            sector: "F".into(),
        });
        self.send(Event::SetWage {
            amount: "1000".into(),
            currency: "QAR".into(),
            contract_substituted: Some(true),
        });
        self.send(Event::SetStory {
            text: "They kept my passport.".into(),
            language: String::new(),
        });
        self.send(Event::SetConsent {
            union: consent.0,
            inspectorate: consent.1,
            ngo: consent.2,
            contact_wanted: true,
        });
    }

    pub fn outbox(&mut self) -> Vec<OutboxItem> {
        self.send(Event::OpenOutbox);
        match self.screen() {
            Screen::Outbox { items, .. } => items,
            other => panic!("not the outbox: {other:?}"),
        }
    }

    /// Answer a GET /v1/directory with `served`.
    pub fn serve_directory(&mut self, served: &[u8]) {
        let request = self.take_http();
        assert!(
            request.operation.url.ends_with("/v1/directory"),
            "{}",
            request.operation.url
        );
        self.respond_status(request, 200, served.to_vec());
    }

    /// Take a POST /v1/submissions and return it with its body decoded.
    pub fn take_submission(&mut self) -> (PendingHttp, SubmissionRequest) {
        let request = self.take_http();
        assert_eq!(request.operation.method, HttpMethod::Post);
        assert!(request.operation.url.ends_with("/v1/submissions"));
        let body = submission_of(&request.operation);
        (request, body)
    }

    pub fn accept(&mut self, request: PendingHttp, submission: &SubmissionRequest, status: u16) {
        let header =
            workvoice_proto::envelope::EnvelopeHeader::parse(&submission.envelope).unwrap();
        let accepted = SubmissionAccepted {
            submission_id: submission.submission_id,
            recipients: header.recipient_ids().collect(),
            directory_version: submission.directory_version,
            received_at_hour: 1_795_820_400,
        };
        self.respond_status(request, status, serde_json::to_vec(&accepted).unwrap());
    }
}
