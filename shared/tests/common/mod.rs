//! A test phone: the real core and a real vault in a temporary directory. The test plays the
//! native shell: it answers HTTP requests itself and controls the clock.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod jpeg;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use crux_core::{Core, Request};
use workvoice_core::app::*;
use workvoice_core::vault::{KdfParams, Vault, VaultConfig, VaultOp, VaultStatus};
use workvoice_proto::api::{SubmissionAccepted, SubmissionRequest};
use workvoice_proto::vectors::Fixture;

pub const PIN: &str = "482916";
pub const DURESS: &str = "111999";
pub const RELAY: &str = "http://relay.test";

/// What the host does for a file read: the bytes at the offset, and the file's size.
pub fn read_file(op: &FileReadOperation) -> FileReadOutput {
    use std::io::{Read, Seek, SeekFrom};
    let read = || -> std::io::Result<(Vec<u8>, u64)> {
        let mut file = std::fs::File::open(&op.path)?;
        let file_size = file.metadata()?.len();
        file.seek(SeekFrom::Start(op.offset))?;
        let mut bytes = Vec::new();
        file.take(u64::from(op.len)).read_to_end(&mut bytes)?;
        Ok((bytes, file_size))
    };
    match read() {
        Ok((bytes, file_size)) => FileReadOutput::Read { bytes, file_size },
        Err(e) => FileReadOutput::Failed(e.to_string()),
    }
}

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
    }
}

/// What the test saw go out, in order.
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

pub struct Phone {
    pub core: Core<Workvoice>,
    pub dir: PathBuf,
    pub vault: Option<Vault>,
    /// The courier store, which opens without the PIN.
    pub courier: Option<Vault>,
    pub now_ms: u64,
    pub http: VecDeque<Request<HttpRequest>>,
    pub seen: Vec<Seen>,
    pub max_attempts: u32,
    /// Every file read the core asked for: (offset, len).
    pub file_reads: Vec<(u64, u32)>,
    /// Reads answered before the next ones are held (a phone killed mid-file), if set.
    pub file_reads_allowed: Option<usize>,
    counter: u8,
}

impl Phone {
    pub fn start(dir: &Path, config: AppConfig) -> Phone {
        let mut phone = Phone {
            core: Core::new_with(Workvoice, Model::default()),
            dir: dir.to_path_buf(),
            vault: None,
            courier: None,
            now_ms: Fixture::new().now * 1000,
            http: VecDeque::new(),
            seen: Vec::new(),
            max_attempts: 5,
            file_reads: Vec::new(),
            file_reads_allowed: None,
            counter: 0,
        };
        let effects = phone.core.process_event(Msg::Start(config));
        phone.pump(effects);
        phone
    }

    pub fn send(&mut self, event: Event) {
        let effects = self.core.process_event(Msg::Ui(event));
        self.pump(effects);
    }

    pub fn view(&self) -> ViewModel {
        self.core.view()
    }

    pub fn screen(&self) -> Screen {
        self.view().screen
    }

    /// Resolve every vault, time and random effect at once, as the FFI layer does; keep HTTP
    /// requests for the test to answer.
    pub fn pump(&mut self, effects: Vec<Effect>) {
        let mut queue: VecDeque<Effect> = effects.into();
        while let Some(effect) = queue.pop_front() {
            match effect {
                Effect::Render(_) => self.seen.push(Seen::Render),
                Effect::Platform(request) => self.seen.push(Seen::Platform(request.operation)),
                Effect::Http(request) => {
                    self.seen.push(Seen::Http(format!(
                        "{:?} {}",
                        request.operation.method, request.operation.url
                    )));
                    self.http.push_back(request);
                }
                Effect::Time(mut request) => {
                    self.seen.push(Seen::Time);
                    let more = self
                        .core
                        .resolve(
                            &mut request,
                            TimeOutput {
                                unix_ms: self.now_ms,
                            },
                        )
                        .unwrap();
                    queue.extend(more);
                }
                Effect::Random(mut request) => {
                    self.seen.push(Seen::Random);
                    self.counter = self.counter.wrapping_add(1);
                    let bytes = vec![self.counter; request.operation.len as usize];
                    let more = self
                        .core
                        .resolve(&mut request, RandomOutput(bytes))
                        .unwrap();
                    queue.extend(more);
                }
                Effect::File(mut request) => {
                    let op = request.operation.clone();
                    if self
                        .file_reads_allowed
                        .is_some_and(|allowed| self.file_reads.len() >= allowed)
                    {
                        continue;
                    }
                    self.file_reads.push((op.offset, op.len));
                    let more = self.core.resolve(&mut request, read_file(&op)).unwrap();
                    queue.extend(more);
                }
                Effect::Vault(mut request) => {
                    let output = self.vault_op(request.operation.clone());
                    let more = self.core.resolve(&mut request, output).unwrap();
                    queue.extend(more);
                }
            }
        }
    }

    fn vault_op(&mut self, op: VaultOperation) -> VaultOutput {
        let config = VaultConfig {
            kdf: KdfParams::INSECURE_FAST_FOR_TESTS,
            max_attempts: self.max_attempts,
        };
        let failure = |e: workvoice_core::vault::VaultError| {
            VaultOutput::Failed(match e {
                workvoice_core::vault::VaultError::WrongPin { attempts_left } => {
                    VaultFailure::WrongPin { attempts_left }
                }
                workvoice_core::vault::VaultError::Wiped => VaultFailure::Wiped,
                other => VaultFailure::Storage(other.to_string()),
            })
        };
        match op {
            VaultOperation::Status => {
                self.seen.push(Seen::VaultOther("status".into()));
                match Vault::status(&self.dir).unwrap() {
                    VaultStatus::NotInitialised => VaultOutput::Status {
                        initialised: false,
                        attempts_left: 0,
                    },
                    VaultStatus::Locked { attempts_left } => VaultOutput::Status {
                        initialised: true,
                        attempts_left,
                    },
                }
            }
            VaultOperation::Create { pin, duress_pin } => {
                self.seen.push(Seen::VaultOther("create".into()));
                self.courier = None;
                match Vault::create(&self.dir, &pin, duress_pin.as_deref(), None, &config) {
                    Ok(v) => {
                        self.vault = Some(v);
                        VaultOutput::Opened
                    }
                    Err(e) => failure(e),
                }
            }
            VaultOperation::Unlock { pin } => {
                self.seen.push(Seen::VaultOther("unlock".into()));
                self.vault = None;
                self.courier = None;
                match Vault::unlock(&self.dir, &pin, None) {
                    Ok(v) => {
                        self.vault = Some(v);
                        VaultOutput::Opened
                    }
                    Err(e) => failure(e),
                }
            }
            VaultOperation::Lock => {
                self.vault = None;
                VaultOutput::Locked
            }
            VaultOperation::Wipe => {
                self.seen.push(Seen::VaultOther("wipe".into()));
                self.courier = None;
                match self.vault.take() {
                    Some(v) => v.wipe().unwrap(),
                    None => Vault::wipe_dir(&self.dir).unwrap(),
                }
                VaultOutput::Wiped
            }
            VaultOperation::Load { namespaces } => {
                self.seen.push(Seen::VaultOther("load".into()));
                let vault = self.vault.as_ref().unwrap();
                VaultOutput::Entries(
                    namespaces
                        .iter()
                        .map(|ns| vault.list(ns).unwrap())
                        .collect(),
                )
            }
            VaultOperation::Get { ns, key } => {
                self.seen.push(Seen::VaultOther(format!("get {ns}/{key}")));
                VaultOutput::Value(self.vault.as_ref().unwrap().get(&ns, &key).unwrap())
            }
            VaultOperation::Write { ops, flush } => {
                self.seen.push(Seen::VaultWrite {
                    keys: ops
                        .iter()
                        .map(|op| match op {
                            VaultWrite::Put { ns, key, .. } => format!("put {ns}/{key}"),
                            VaultWrite::Delete { ns, key } => format!("delete {ns}/{key}"),
                        })
                        .collect(),
                    flush,
                });
                let vault = self.vault.as_ref().unwrap();
                let ops: Vec<VaultOp<'_>> = ops
                    .iter()
                    .map(|op| match op {
                        VaultWrite::Put { ns, key, value } => VaultOp::Put { ns, key, value },
                        VaultWrite::Delete { ns, key } => VaultOp::Delete { ns, key },
                    })
                    .collect();
                vault.batch(&ops).unwrap();
                if flush {
                    vault.flush().unwrap();
                }
                VaultOutput::Written
            }
            VaultOperation::CourierLoad => {
                self.seen.push(Seen::VaultOther("courier load".into()));
                match self.open_courier() {
                    Some(courier) => VaultOutput::Entries(vec![
                        courier
                            .list(workvoice_core::app::records::NS_COURIER)
                            .unwrap(),
                    ]),
                    None => VaultOutput::Entries(vec![]),
                }
            }
            VaultOperation::CourierGet { ns, key } => {
                self.seen
                    .push(Seen::VaultOther(format!("courier get {ns}/{key}")));
                match self.open_courier() {
                    Some(courier) => VaultOutput::Value(courier.get(&ns, &key).unwrap()),
                    None => VaultOutput::Value(None),
                }
            }
            VaultOperation::CourierWrite { ops } => {
                self.seen.push(Seen::VaultOther("courier write".into()));
                let courier = self.open_courier().expect("a vault to hold the courier");
                let ops: Vec<VaultOp<'_>> = ops
                    .iter()
                    .map(|op| match op {
                        VaultWrite::Put { ns, key, value } => VaultOp::Put { ns, key, value },
                        VaultWrite::Delete { ns, key } => VaultOp::Delete { ns, key },
                    })
                    .collect();
                courier.batch(&ops).unwrap();
                courier.flush().unwrap();
                VaultOutput::Written
            }
        }
    }

    fn open_courier(&mut self) -> Option<&Vault> {
        if self.courier.is_none() {
            match Vault::open_courier(&self.dir, None) {
                Ok(courier) => self.courier = Some(courier),
                Err(workvoice_core::vault::VaultError::NotInitialised) => return None,
                Err(e) => panic!("courier: {e}"),
            }
        }
        self.courier.as_ref()
    }

    /// The next HTTP request the core made.
    pub fn take_http(&mut self) -> Request<HttpRequest> {
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

    pub fn respond(&mut self, mut request: Request<HttpRequest>, result: HttpResult) {
        let more = self.core.resolve(&mut request, result).unwrap();
        self.pump(more);
    }

    pub fn respond_status(&mut self, request: Request<HttpRequest>, status: u16, body: Vec<u8>) {
        self.respond(request, HttpResult::Response(HttpResponse { status, body }));
    }

    pub fn drop_connection(&mut self, request: Request<HttpRequest>) {
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
    pub fn take_submission(&mut self) -> (Request<HttpRequest>, SubmissionRequest) {
        let request = self.take_http();
        assert_eq!(request.operation.method, HttpMethod::Post);
        assert!(request.operation.url.ends_with("/v1/submissions"));
        let body: SubmissionRequest = serde_json::from_slice(&request.operation.body).unwrap();
        (request, body)
    }

    pub fn accept(
        &mut self,
        request: Request<HttpRequest>,
        submission: &SubmissionRequest,
        status: u16,
    ) {
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
