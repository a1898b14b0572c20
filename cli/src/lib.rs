//! A command-line shell for the Workvoice phone core.
//!
//! It drives the core exactly as the phone shells do, through the bytes-level FFI object
//! ([`workvoice_core::CoreFfi`]: bincode events in, bincode requests and view model out), and
//! performs the HTTP requests the core asks for with a blocking client. Vault, time and
//! randomness stay inside the core.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Deserialize;
use workvoice_core::app::{
    AppConfig, DeliveryState, Event, FieldId, HttpFailure, HttpFailureKind, HttpMethod,
    HttpRequest, HttpResponse, HttpResult, OutboxItem, Screen, Step, ViewModel,
};
use workvoice_core::host::{HostConfig, ShellEffect, ShellRequest};
use workvoice_core::{CoreFfi, CoreFfiError, decode_requests, decode_view, encode_value};

#[derive(Debug, thiserror::Error)]
pub enum ShellError {
    #[error("core: {0}")]
    Core(#[from] CoreFfiError),
    #[error("{0}")]
    Usage(String),
    #[error("cannot read {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("the report file is not valid: {0}")]
    ReportFile(String),
    #[error("{0}")]
    App(String),
    /// The CA file named by [`CA_FILE_ENV`] cannot be used.
    #[error("the CA file {path} ({CA_FILE_ENV}) cannot be used: {reason}")]
    CaFile { path: String, reason: String },
    /// A value of the report file the compose screens refused, with the app's message.
    #[error("{at}: {field}: {message}")]
    Field {
        /// Where in the report file, e.g. `loans[1]`.
        at: String,
        /// The compose input, e.g. `loan.amount`.
        field: String,
        /// Stable code, e.g. `amount_not_a_number`.
        code: String,
        message: String,
    },
}

/// The environment variable naming a PEM file of CA certificates. When it is set, the relay's
/// certificate must chain to one of them, and the built-in web roots are not used: for a relay
/// whose certificate comes from a private CA, or from a test CA (the operating guide's test).
pub const CA_FILE_ENV: &str = "WORKVOICE_CA_FILE";

/// The CA certificates of a PEM file, as the only roots the shell trusts.
///
/// # Errors
/// [`ShellError::CaFile`] when the file cannot be read, is not PEM, or holds no certificate.
pub fn trust_roots(path: &Path) -> Result<ureq::tls::RootCerts, ShellError> {
    let fail = |reason: String| ShellError::CaFile {
        path: path.display().to_string(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(cert)) => certs.push(cert),
            Ok(_) => {}
            Err(e) => return Err(fail(format!("it is not valid PEM: {e}"))),
        }
    }
    if certs.is_empty() {
        return Err(fail(
            "it holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
        ));
    }
    Ok(ureq::tls::RootCerts::new_with_certs(&certs))
}

/// How a shell is set up.
#[derive(Debug, Clone)]
pub struct ShellConfig {
    pub data_dir: String,
    pub relay_url: String,
    pub root_public_key: Option<String>,
    pub language: String,
    /// Cheap PIN hashing (tests and demos only).
    pub fast_kdf: bool,
    /// Short retry delays (tests).
    pub quick_retries: bool,
    /// An OHTTP relay to try before those the signed directory lists.
    pub ohttp_relay: Option<String>,
}

pub struct Shell {
    core: CoreFfi,
    agent: ureq::Agent,
    /// HTTP requests performed, for tests and `--verbose`.
    pub http_log: Vec<String>,
    pub verbose: bool,
}

impl std::fmt::Debug for Shell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shell").finish_non_exhaustive()
    }
}

impl Shell {
    /// Start the core and run its first effects.
    pub fn start(config: &ShellConfig) -> Result<Shell, ShellError> {
        let mut app = AppConfig {
            relay_url: config.relay_url.clone(),
            root_public_key: config.root_public_key.clone(),
            system_language: config.language.clone(),
            http_timeout_ms: 5_000,
            ohttp_relay: config.ohttp_relay.clone(),
            ..AppConfig::default()
        };
        if config.quick_retries {
            app.retry_base_ms = 50;
            app.retry_cap_ms = 400;
            app.mailbox_poll_base_ms = 200;
            app.mailbox_poll_cap_ms = 1_000;
            app.http_timeout_ms = 2_000;
            app.upload_chunk_bytes = 4_096;
        }
        let host = HostConfig {
            data_dir: config.data_dir.clone(),
            app,
            insecure_fast_kdf: config.fast_kdf,
            max_pin_attempts: 0,
            // A desktop has no hardware key store to hold one.
            platform_secret: Vec::new(),
        };
        let mut agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_idle_connections(0)
            .timeout_global(Some(Duration::from_secs(10)));
        if let Some(path) = std::env::var_os(CA_FILE_ENV) {
            let roots = trust_roots(Path::new(&path))?;
            agent = agent.tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build());
        }
        let agent: ureq::Agent = agent.build().into();
        let core = CoreFfi::new(encode_value(&host)?)?;
        let mut shell = Shell {
            core,
            agent,
            http_log: Vec::new(),
            verbose: false,
        };
        let first = shell.core.start()?;
        shell.run(first)?;
        Ok(shell)
    }

    pub fn view(&self) -> Result<ViewModel, ShellError> {
        Ok(decode_view(&self.core.view()?)?)
    }

    /// Send an event and perform every HTTP request that follows, until the core waits.
    pub fn send(&mut self, event: &Event) -> Result<(), ShellError> {
        let requests = self.core.update(encode_value(event)?)?;
        self.run(requests)
    }

    fn run(&mut self, requests: Vec<u8>) -> Result<(), ShellError> {
        let mut queue: std::collections::VecDeque<ShellRequest> =
            decode_requests(&requests)?.into();
        while let Some(request) = queue.pop_front() {
            let ShellEffect::Http(http) = request.effect else {
                continue; // Render: a terminal shell reads the view when it needs it.
            };
            let result = self.perform(&http);
            let more = self.core.resolve(request.id, encode_value(&result)?)?;
            queue.extend(decode_requests(&more)?);
        }
        Ok(())
    }

    fn perform(&mut self, request: &HttpRequest) -> HttpResult {
        let started = Instant::now();
        let outcome = self.call(request);
        let line = match &outcome {
            HttpResult::Response(r) => format!(
                "{:?} {} -> {}",
                request.method,
                strip_token(&request.url),
                r.status
            ),
            HttpResult::Failed(f) => format!(
                "{:?} {} -> {:?}",
                request.method,
                strip_token(&request.url),
                f.kind
            ),
        };
        if self.verbose {
            eprintln!("{line} ({} ms)", started.elapsed().as_millis());
        }
        self.http_log.push(line);
        outcome
    }

    fn call(&self, request: &HttpRequest) -> HttpResult {
        let timeout = Some(Duration::from_millis(request.timeout_ms.max(1)));
        let result = match request.method {
            HttpMethod::Get => {
                let mut builder = self
                    .agent
                    .get(&request.url)
                    .config()
                    .timeout_global(timeout)
                    .build();
                for h in &request.headers {
                    builder = builder.header(&h.name, &h.value);
                }
                builder.call()
            }
            HttpMethod::Post | HttpMethod::Put => {
                let mut builder = if request.method == HttpMethod::Post {
                    self.agent.post(&request.url)
                } else {
                    self.agent.put(&request.url)
                }
                .config()
                .timeout_global(timeout)
                .build();
                for h in &request.headers {
                    builder = builder.header(&h.name, &h.value);
                }
                builder.send(&request.body[..])
            }
        };
        match result {
            Ok(mut response) => {
                let status = response.status().as_u16();
                match response
                    .body_mut()
                    .with_config()
                    .limit(16 * 1024 * 1024)
                    .read_to_vec()
                {
                    Ok(body) => HttpResult::Response(HttpResponse { status, body }),
                    Err(e) => failed(&e),
                }
            }
            Err(e) => failed(&e),
        }
    }

    /// The outbox, as the worker sees it.
    pub fn outbox(&mut self) -> Result<Vec<OutboxItem>, ShellError> {
        self.send(&Event::OpenOutbox)?;
        match self.view()?.screen {
            Screen::Outbox { items, .. } => Ok(items),
            other => Err(ShellError::App(format!(
                "the outbox did not open: {other:?}"
            ))),
        }
    }

    /// Keep sending (with the core's backoff) until nothing waits to be sent or uploaded, or
    /// `deadline` passes. Returns the outbox.
    pub fn sync_until_sent(&mut self, deadline: Duration) -> Result<Vec<OutboxItem>, ShellError> {
        let until = Instant::now() + deadline;
        self.send(&Event::Tick)?;
        loop {
            let items = self.outbox()?;
            let pending = items.iter().any(|i| {
                matches!(i.state, DeliveryState::Waiting | DeliveryState::Sending)
                    || i.uploads_pending > 0
            });
            if !pending || Instant::now() >= until {
                return Ok(items);
            }
            let wait = self.view()?.wake_in_ms.unwrap_or(200).clamp(10, 2_000);
            std::thread::sleep(Duration::from_millis(wait));
            self.send(&Event::Tick)?;
        }
    }

    /// Withdraw a report (`Event::WithdrawReport`): one not sent yet is deleted and never sent;
    /// for a sent one the withdrawal is posted in the round that follows. Returns where the
    /// withdrawal stands, or `None` when the report was deleted.
    pub fn withdraw(&mut self, report_id: &str) -> Result<Option<String>, ShellError> {
        self.send(&Event::WithdrawReport {
            report_id: report_id.into(),
        })?;
        self.send(&Event::OpenReport {
            report_id: report_id.into(),
        })?;
        match self.view()?.screen {
            Screen::Report(report) => Ok(Some(report.withdrawal.unwrap_or_default())),
            _ => Ok(None),
        }
    }

    /// Unlock with `pin`; fails with the lock screen's message.
    pub fn unlock(&mut self, pin: &str) -> Result<(), ShellError> {
        self.send(&Event::Unlock { pin: pin.into() })?;
        let view = self.view()?;
        match view.screen {
            Screen::Unlock {
                error: Some(e),
                attempts_text,
                ..
            } => Err(ShellError::App(format!("{e} {attempts_text}"))),
            Screen::Welcome { .. } => Err(ShellError::App(
                "there is no vault here: run `init` first".into(),
            )),
            _ => Ok(()),
        }
    }

    /// First run: set the PIN, return the recovery code to write down.
    pub fn init(&mut self, pin: &str, duress_pin: Option<&str>) -> Result<String, ShellError> {
        self.send(&Event::StartSetup)?;
        self.send(&Event::SubmitNewPin {
            pin: pin.into(),
            confirm: pin.into(),
            duress_pin: duress_pin.map(str::to_string),
        })?;
        match self.view()?.screen {
            Screen::ShowRecoveryCode { code, .. } => {
                self.send(&Event::RecoveryCodeWritten)?;
                Ok(code)
            }
            Screen::SetPin { error: Some(e), .. } => Err(ShellError::App(e)),
            other => Err(ShellError::App(format!("cannot set up here: {other:?}"))),
        }
    }

    /// A new phone: set the PIN, type the recovery code, find the reports.
    pub fn recover(&mut self, pin: &str, code: &str) -> Result<Vec<OutboxItem>, ShellError> {
        self.send(&Event::StartRecovery)?;
        self.send(&Event::SubmitNewPin {
            pin: pin.into(),
            confirm: pin.into(),
            duress_pin: None,
        })?;
        self.send(&Event::SubmitRecoveryCode { code: code.into() })?;
        if let Screen::EnterRecoveryCode { error: Some(e), .. } = self.view()?.screen {
            return Err(ShellError::App(e));
        }
        let until = Instant::now() + Duration::from_secs(30);
        while matches!(self.view()?.screen, Screen::Recovering { .. }) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(200));
            self.send(&Event::Tick)?;
        }
        self.outbox()
    }

    /// Compose and queue a report from a [`ReportFile`], through the same events a worker's
    /// taps make. Returns the field problems if the core refuses it.
    pub fn compose(&mut self, file: &ReportFile, base: &Path) -> Result<(), ShellError> {
        self.compose_via(file, base, None)
    }

    /// [`Shell::compose`] for a shell that is not the app: `channel` (`"sms"`) goes into the
    /// report (`Report::channel`, `Event::SetChannel`) so that desks can count channels.
    pub fn compose_via(
        &mut self,
        file: &ReportFile,
        base: &Path,
        channel: Option<&str>,
    ) -> Result<(), ShellError> {
        self.send(&Event::NewReport)?;
        if let Some(channel) = channel {
            self.send(&Event::SetChannel {
                channel: channel.into(),
            })?;
        }
        for (at, event) in file.labelled_form_events() {
            self.send(&event)?;
            // A number the form could not read is refused at once, as on the phone's screen
            // (the next tap would clear the message).
            if let Screen::Compose(c) = self.view()?.screen
                && let Some(e) = c
                    .all_errors()
                    .into_iter()
                    .find(|e| !e.field.contains('[') && e.code.ends_with("not_a_number"))
            {
                return Err(ShellError::Field {
                    at,
                    field: e.field.clone(),
                    code: e.code.clone(),
                    message: e.message.clone(),
                });
            }
        }
        for path in &file.evidence {
            let full = base.join(path);
            // The core reads the file itself, a piece at a time (it never holds it whole);
            // a missing file is told here with the system's reason.
            let full = full.canonicalize().map_err(|error| ShellError::Read {
                path: full.display().to_string(),
                error,
            })?;
            let path = full.to_str().ok_or_else(|| {
                ShellError::Usage(format!("{}: the path is not UTF-8", full.display()))
            })?;
            self.send(&Event::AddEvidenceFile { path: path.into() })?;
            if let Screen::Compose(c) = self.view()?.screen
                && let Some(e) = c.errors.iter().find(|e| e.field == "evidence")
            {
                return Err(ShellError::App(format!(
                    "{}: {}",
                    full.display(),
                    e.message
                )));
            }
        }
        self.send(&file.consent_event())?;
        self.send(&Event::Review)?;
        match self.view()?.screen {
            Screen::Review(_) => {}
            Screen::Compose(c) => {
                let problems: Vec<String> = c
                    .all_errors()
                    .into_iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect();
                return Err(ShellError::App(format!(
                    "the report has problems:\n{}",
                    problems.join("\n")
                )));
            }
            other => return Err(ShellError::App(format!("no review: {other:?}"))),
        }
        if file.escrow {
            self.choose_escrow()?;
        }
        self.send(&Event::SendReport)?;
        Ok(())
    }

    /// Back on the consent step (the review fetched the directory), answer its escrow question
    /// with "wait", then review again; an error when the question is not offered.
    fn choose_escrow(&mut self) -> Result<(), ShellError> {
        self.send(&Event::GoToStep {
            step: Step::Consent,
        })?;
        let (offered, help) = match self.view()?.screen {
            Screen::Compose(c) => (
                c.options.iter().any(|g| {
                    g.id == FieldId::Escrow && g.choices.iter().any(|choice| choice.code == "wait")
                }),
                c.help,
            ),
            _ => (false, String::new()),
        };
        if !offered {
            // The consent step's help says why when the union needs an invite (18.12).
            return Err(ShellError::App(format!(
                "\"escrow\": the app offers to wait for others only for a report that names its \
                 recruiter, that the union may read, without evidence, when the directory routes \
                 it to a union (and, at a union that takes invites, once an invite is kept). The \
                 app says: {help}"
            )));
        }
        self.send(&Event::Pick {
            field: FieldId::Escrow,
            code: "wait".into(),
        })?;
        self.send(&Event::Review)?;
        match self.view()?.screen {
            Screen::Review(_) => Ok(()),
            other => Err(ShellError::App(format!("no review: {other:?}"))),
        }
    }
}

fn failed(e: &ureq::Error) -> HttpResult {
    let kind = match e {
        ureq::Error::Timeout(_) => HttpFailureKind::Timeout,
        ureq::Error::Io(_) | ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => {
            HttpFailureKind::Connection
        }
        _ => HttpFailureKind::Other,
    };
    HttpResult::Failed(HttpFailure {
        kind,
        message: e.to_string(),
    })
}

/// Mailbox tokens are secrets: keep them out of logs.
fn strip_token(url: &str) -> String {
    match url.find("/v1/mailbox/") {
        Some(i) => format!("{}/v1/mailbox/…", &url[..i]),
        None => url.to_string(),
    }
}

/// A report to compose, as JSON: the words of the app's forms (codes are the wire names,
/// e.g. `sub_agent`, `retention_of_identity_documents`, sector letters).
#[derive(Debug, Clone, Deserialize)]
pub struct ReportFile {
    #[serde(default)]
    pub fees: Vec<FeeLine>,
    /// Cuts from the worker's pay.
    #[serde(default)]
    pub deductions: Vec<DeductionLine>,
    /// Loans taken to get the job.
    #[serde(default)]
    pub loans: Vec<LoanLine>,
    /// The job, pay and employer promised against the job found (the pay found is
    /// `monthly_wage`, the employer found `employer`).
    pub job: Option<JobLine>,
    #[serde(default)]
    pub indicators: Vec<String>,
    pub recruiter: Option<PartyLine>,
    pub employer: Option<PartyLine>,
    pub destination_country: String,
    pub origin_country: Option<String>,
    pub sector: Option<String>,
    pub monthly_wage: Option<MoneyLine>,
    pub contract_substituted: Option<bool>,
    pub story: Option<String>,
    pub language: Option<String>,
    /// Photo files, relative to the report file.
    #[serde(default)]
    pub evidence: Vec<String>,
    pub consent: ConsentLine,
    /// Wait until others report this recruiter (reporting escrow, `PROTOCOL.md` 18.10): the
    /// answer to the consent step's question, which the app offers only for a report that names
    /// its recruiter, that the union may read, without evidence, routed to a union.
    #[serde(default)]
    pub escrow: bool,
}

impl ReportFile {
    /// The compose screens' events for every field of the file but evidence and consent, in
    /// the order a worker fills them in: the taps a shell sends after `NewReport`.
    pub fn form_events(&self) -> Vec<Event> {
        self.labelled_form_events()
            .into_iter()
            .map(|(_, event)| event)
            .collect()
    }

    /// [`ReportFile::form_events`], each with the part of the file it comes from (`fees[0]`,
    /// `loans[1]`, `job`, ...).
    pub fn labelled_form_events(&self) -> Vec<(String, Event)> {
        let mut events = Vec::new();
        for (i, fee) in self.fees.iter().enumerate() {
            let event = Event::AddFee {
                amount: fee.amount.clone(),
                currency: fee.currency.clone(),
                payee: fee.payee.clone(),
                stage: fee.stage.clone(),
                category: fee.category.clone(),
                paid_on: fee.paid_on.clone().unwrap_or_default(),
                receipt: fee.receipt,
            };
            events.push((format!("fees[{i}]"), event));
        }
        for (i, cut) in self.deductions.iter().enumerate() {
            let event = Event::AddDeduction {
                amount: cut.amount.clone(),
                currency: cut.currency.clone(),
                reason: cut.reason.clone(),
                monthly: cut.monthly,
            };
            events.push((format!("deductions[{i}]"), event));
        }
        for (i, loan) in self.loans.iter().enumerate() {
            let event = Event::AddLoan {
                amount: loan.amount.clone(),
                currency: loan.currency.clone(),
                lender: loan.lender.clone(),
                interest: loan.interest_percent_per_month.clone().unwrap_or_default(),
            };
            events.push((format!("loans[{i}]"), event));
        }
        for (i, indicator) in self.indicators.iter().enumerate() {
            let event = Event::SetIndicator {
                indicator: indicator.clone(),
                present: true,
            };
            events.push((format!("indicators[{i}]"), event));
        }
        for (at, party) in [("recruiter", &self.recruiter), ("employer", &self.employer)] {
            let Some(p) = party else { continue };
            let (name, licence_number, country) = (
                p.name.clone(),
                p.licence_number.clone().unwrap_or_default(),
                p.country.clone().unwrap_or_default(),
            );
            let event = if at == "recruiter" {
                Event::SetRecruiter {
                    name,
                    licence_number,
                    country,
                }
            } else {
                Event::SetEmployer {
                    name,
                    licence_number,
                    country,
                }
            };
            events.push((at.to_string(), event));
        }
        let place = Event::SetPlace {
            destination_country: self.destination_country.clone(),
            origin_country: self.origin_country.clone().unwrap_or_default(),
            sector: self.sector.clone().unwrap_or_default(),
        };
        events.push(("destination_country".into(), place));
        if let Some(job) = &self.job {
            let promised = job.promised_wage.as_ref();
            let event = Event::SetJob {
                promised_title: job.promised_title.clone().unwrap_or_default(),
                promised_wage: promised.map(|m| m.amount.clone()).unwrap_or_default(),
                promised_currency: promised.map(|m| m.currency.clone()).unwrap_or_default(),
                actual_title: job.actual_title.clone().unwrap_or_default(),
                promised_employer: job.promised_employer.clone().unwrap_or_default(),
            };
            events.push(("job".into(), event));
        }
        if let Some(wage) = &self.monthly_wage {
            let event = Event::SetWage {
                amount: wage.amount.clone(),
                currency: wage.currency.clone(),
                contract_substituted: self.contract_substituted,
            };
            events.push(("monthly_wage".into(), event));
        }
        let story = Event::SetStory {
            text: self.story.clone().unwrap_or_default(),
            language: self.language.clone().unwrap_or_default(),
        };
        events.push(("story".into(), story));
        events
    }

    /// The consent the worker gives, as the last compose event.
    pub fn consent_event(&self) -> Event {
        let c = self.consent;
        Event::SetConsent {
            union: c.union,
            inspectorate: c.inspectorate,
            ngo: c.ngo,
            contact_wanted: c.contact_wanted,
        }
    }
}

/// A cut from the worker's pay, as the app's "pay cuts" form takes it.
#[derive(Debug, Clone, Deserialize)]
pub struct DeductionLine {
    pub amount: String,
    pub currency: String,
    /// `recruitment_fee_repayment`, `loan_repayment`, `accommodation`, `food`, ...
    pub reason: String,
    #[serde(default)]
    pub monthly: bool,
}

/// A loan taken to get the job, as the app's loan form takes it.
#[derive(Debug, Clone, Deserialize)]
pub struct LoanLine {
    pub amount: String,
    pub currency: String,
    /// `recruiter`, `employer`, `moneylender`, `bank`, `cooperative`, `family_or_friend`,
    /// `other`.
    pub lender: String,
    /// Percent per month as the worker types it ("3", "2.5").
    pub interest_percent_per_month: Option<String>,
}

/// The job promised before departure, against the job found.
#[derive(Debug, Clone, Deserialize)]
pub struct JobLine {
    pub promised_title: Option<String>,
    pub promised_wage: Option<MoneyLine>,
    pub actual_title: Option<String>,
    /// The employer promised; the employer found is the file's `employer`.
    pub promised_employer: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FeeLine {
    pub amount: String,
    pub currency: String,
    pub payee: String,
    pub stage: String,
    pub category: String,
    pub paid_on: Option<String>,
    pub receipt: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PartyLine {
    pub name: String,
    pub licence_number: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MoneyLine {
    pub amount: String,
    pub currency: String,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct ConsentLine {
    pub union: bool,
    #[serde(default)]
    pub inspectorate: bool,
    #[serde(default)]
    pub ngo: bool,
    #[serde(default)]
    pub contact_wanted: bool,
}

pub fn read_report_file(path: &Path) -> Result<ReportFile, ShellError> {
    let text = std::fs::read_to_string(path).map_err(|error| ShellError::Read {
        path: path.display().to_string(),
        error,
    })?;
    serde_json::from_str(&text).map_err(|e| ShellError::ReportFile(e.to_string()))
}

/// One line per report: id, state, detail.
pub fn format_outbox(items: &[OutboxItem]) -> String {
    let mut out = String::new();
    for item in items {
        let id = if item.report_id.is_empty() {
            "-".to_string()
        } else {
            item.report_id.clone()
        };
        out.push_str(&format!("{id}  {}  {}", item.title, item.state_text));
        if item.replies > 0 {
            out.push_str(&format!("  ({} replies)", item.replies));
        }
        if let Some(d) = &item.detail {
            out.push_str(&format!("\n    {d}"));
        }
        out.push('\n');
    }
    out
}
