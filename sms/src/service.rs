//! The running channel: webhooks in, the dialogue, sealing through the phone core, SMS out.
//!
//! One [`Engine`] holds the store, the phone core (driven through `workvoice_cli::Shell`, the
//! same code path as the command-line phone: compose, route under the verified directory,
//! seal, pay the proof-of-work, submit, poll the mailbox) and the gateway's send API. Every
//! message is handled under one lock, in a blocking task: an organisation's SMS traffic is
//! small, and one order of events keeps the store simple.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use workvoice_cli::{Shell, ShellError};
use workvoice_core::app::{Event, Screen};
use workvoice_core::i18n::{K, tr, trf};

use crate::dialogue::{Action, Corridors};
use crate::gateway::{InboundError, JASMIN_ACK, Outbound, android_inbound, jasmin_inbound};
use crate::segments;
use crate::store::{Store, StoreError};

/// Limits, all per configuration.
#[derive(Debug, Clone)]
pub struct Limits {
    /// A dialogue left this long without an answer is erased.
    pub dialogue_ttl_secs: u64,
    /// Messages one number may send in an hour; above, one warning, then silence.
    pub messages_per_hour: u64,
    /// Open dialogues at once; a new number beyond this is told to come back later.
    pub max_open_dialogues: u64,
    /// Reports sealed (and proof-of-work paid) per hour, across all numbers.
    pub reports_per_hour: u64,
    /// How long a confirmed report may take to reach the relay before she is told it failed.
    pub submit_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            dialogue_ttl_secs: 24 * 3600,
            messages_per_hour: 40,
            max_open_dialogues: 500,
            reports_per_hour: 30,
            submit_timeout: Duration::from_secs(60),
        }
    }
}

/// The inbound side of the gateway.
#[derive(Clone)]
pub enum InboundAuth {
    /// The Android app's webhook signing key.
    Android { signing_key: Vec<u8> },
    /// The secret in the URL Jasmin is configured to call.
    Jasmin { secret: Vec<u8> },
}

impl std::fmt::Debug for InboundAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            InboundAuth::Android { .. } => "Android(..)",
            InboundAuth::Jasmin { .. } => "Jasmin(..)",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("phone core: {0}")]
    Shell(#[from] ShellError),
}

pub struct Engine {
    pub store: Store,
    pub shell: Shell,
    pub corridors: Corridors,
    pub outbound: Outbound,
    pub limits: Limits,
    agent: ureq::Agent,
    /// Texts the gateway refused to send (count only).
    pub send_failures: u64,
    /// Where the directory is fetched and the root key it must verify under, to refresh the
    /// corridors.
    directory_source: Option<(String, String)>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Engine {
    pub fn new(
        store: Store,
        shell: Shell,
        corridors: Corridors,
        outbound: Outbound,
        limits: Limits,
    ) -> Engine {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            .build()
            .into();
        Engine {
            store,
            shell,
            corridors,
            outbound,
            limits,
            agent,
            send_failures: 0,
            directory_source: None,
        }
    }

    /// Refresh the corridors from the relay's directory (`relay_url`), verified under
    /// `root_public_key`, from now on (see [`Engine::refresh_corridors`]).
    pub fn with_directory_source(mut self, relay_url: &str, root_public_key: &str) -> Engine {
        self.directory_source = Some((relay_url.to_string(), root_public_key.to_string()));
        self
    }

    /// Fetch and verify the directory again and take its corridors. A directory that cannot be
    /// fetched or does not verify leaves the corridors as they were. Returns whether they
    /// changed.
    pub fn refresh_corridors(&mut self) -> Result<bool, crate::startup::StartError> {
        let Some((relay_url, root)) = &self.directory_source else {
            return Ok(false);
        };
        let corridors = crate::startup::fetch_corridors(relay_url, root)?;
        let changed = corridors != self.corridors;
        self.corridors = corridors;
        Ok(changed)
    }

    fn send(&mut self, to: &str, texts: &[String]) {
        for text in texts {
            for piece in segments::split(text, 2) {
                if self.outbound.send(&self.agent, to, &piece).is_err() {
                    self.send_failures += 1;
                }
            }
        }
    }

    /// Handle one inbound SMS (already authenticated, not a replay): answer her, and seal and
    /// submit the report when she confirms.
    pub fn handle(&mut self, from: &str, text: &str, now: u64) -> Result<(), EngineError> {
        self.store.purge(now)?;
        let key = self.store.keys().name(from);
        let hour = now / 3600;
        let count = self.store.count(&key, hour)?;
        let existing = self.store.dialogue(&key, now)?;
        let language = existing
            .as_ref()
            .and_then(|d| d.language.clone())
            .unwrap_or_else(|| "en".into());
        if count > self.limits.messages_per_hour {
            if count == self.limits.messages_per_hour + 1 {
                self.send(from, &[tr(&language, K::SmsSlowDown)]);
            }
            return Ok(());
        }
        if existing.is_none() && self.store.open_dialogues(now)? >= self.limits.max_open_dialogues {
            self.send(from, &[tr("en", K::SmsBusy)]);
            return Ok(());
        }
        // A new conversation starts at the language menu: a first message that is not a
        // language's number gets the menu (the keywords work everywhere).
        let first_contact = existing.is_none();
        let mut dialogue = existing.unwrap_or_default();
        let mut outcome = dialogue.answer(text, &self.corridors);
        if first_contact
            && dialogue.language.is_none()
            && outcome.replies.first() == Some(&tr("en", K::SmsLanguageUnknown))
        {
            // A greeting needs no hint: just the menu.
            outcome.replies = dialogue.question(&self.corridors);
        }
        let language = dialogue.language.clone().unwrap_or_else(|| "en".into());
        match outcome.action {
            Action::Continue => {
                self.store
                    .save_dialogue(&key, &dialogue, now + self.limits.dialogue_ttl_secs)?;
                self.send(from, &outcome.replies);
            }
            Action::Stop => {
                self.store.forget_dialogue(&key)?;
                self.send(from, &outcome.replies);
            }
            Action::Delete => {
                self.store.forget_number(&key)?;
                self.send(from, &outcome.replies);
            }
            Action::Submit(file) => {
                // The dialogue is erased whatever happens next: she is told whether it left.
                self.store.forget_dialogue(&key)?;
                let budget = self.store.count("", hour)?;
                if budget > self.limits.reports_per_hour {
                    self.send(from, &[tr(&language, K::SmsBusy)]);
                    return Ok(());
                }
                match self.submit(&file) {
                    Ok(report_id) => {
                        if dialogue.answers {
                            self.store.keep_contact(&report_id, from, &language)?;
                        }
                        self.send(from, &[tr(&language, K::SmsSent)]);
                    }
                    Err(_) => self.send(from, &[tr(&language, K::SmsNotSent)]),
                }
            }
        }
        Ok(())
    }

    fn report_ids(&mut self) -> Result<BTreeSet<String>, EngineError> {
        Ok(self
            .shell
            .outbox()?
            .into_iter()
            .map(|i| i.report_id)
            .filter(|id| !id.is_empty())
            .collect())
    }

    /// Compose, seal and submit through the phone core; the report's id once the relay took
    /// it. A report that did not leave in time is withdrawn (deleted unsent), so that nothing
    /// half-made is sent later without her knowing.
    fn submit(&mut self, file: &workvoice_cli::ReportFile) -> Result<String, EngineError> {
        let before = self.report_ids()?;
        self.shell
            .compose_via(file, std::path::Path::new("."), Some("sms"))?;
        let items = self.shell.sync_until_sent(self.limits.submit_timeout)?;
        let new: Vec<_> = items
            .into_iter()
            .filter(|i| !i.report_id.is_empty() && !before.contains(&i.report_id))
            .collect();
        let [item] = new.as_slice() else {
            return Err(ShellError::App("the report was not made".into()).into());
        };
        use workvoice_core::app::DeliveryState;
        if matches!(item.state, DeliveryState::Waiting | DeliveryState::Sending) {
            let _ = self.shell.withdraw(&item.report_id);
            return Err(ShellError::App("the relay did not take the report".into()).into());
        }
        Ok(item.report_id.clone())
    }

    /// Check the mailboxes (like a phone) and text every new status and answer to the
    /// numbers kept, each in her language. Returns how many texts were sent.
    pub fn poll_answers(&mut self) -> Result<usize, EngineError> {
        let contacts = self.store.contacts()?;
        if contacts.is_empty() {
            return Ok(0);
        }
        self.shell.send(&Event::CheckMailbox)?;
        let mut sent = 0;
        for contact in contacts {
            self.shell.send(&Event::SetLanguage {
                language: contact.language.clone(),
            })?;
            self.shell.send(&Event::OpenReport {
                report_id: contact.report_id.clone(),
            })?;
            let Screen::Report(report) = self.shell.view()?.screen else {
                continue;
            };
            let mut texts = Vec::new();
            for status in report.statuses.iter().skip(contact.statuses_sent) {
                texts.push(trf(
                    &contact.language,
                    K::SmsStatus,
                    &[("update", status.clone())],
                ));
            }
            for message in report.messages.iter().skip(contact.answers_sent) {
                texts.push(trf(
                    &contact.language,
                    K::SmsAnswer,
                    &[
                        ("org", message.from.clone()),
                        ("text", message.text.clone()),
                    ],
                ));
            }
            if texts.is_empty() {
                continue;
            }
            if let Some(number) = self.store.contact_number(&contact.report_id)? {
                self.send(&number, &texts);
                sent += texts.len();
            }
            self.store.mark_sent(
                &contact.report_id,
                report.statuses.len(),
                report.messages.len(),
            )?;
        }
        Ok(sent)
    }
}

#[derive(Clone)]
pub struct AppState {
    pub engine: Arc<Mutex<Engine>>,
    pub auth: InboundAuth,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "error": code, "message": message })),
    )
        .into_response()
}

fn refused(e: &InboundError) -> Response {
    match e {
        InboundError::Unsigned | InboundError::BadSignature | InboundError::BadSecret => {
            error(StatusCode::UNAUTHORIZED, e.code(), &e.to_string())
        }
        InboundError::Stale => error(StatusCode::UNAUTHORIZED, e.code(), &e.to_string()),
        InboundError::Malformed(_) => error(StatusCode::BAD_REQUEST, e.code(), &e.to_string()),
        InboundError::OtherEvent(_) => StatusCode::NO_CONTENT.into_response(),
    }
}

/// Why an inbound SMS could not be handled (no detail of it: it would name her).
#[derive(Debug, Clone, Copy)]
enum Failure {
    Storage,
    Internal,
}

impl Failure {
    fn response(self) -> Response {
        match self {
            Failure::Storage => error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "storage",
                "the message could not be stored",
            ),
            Failure::Internal => error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the message could not be handled",
            ),
        }
    }
}

/// Process an authenticated inbound SMS once: a replayed event id is acknowledged and dropped.
async fn process(state: &AppState, inbound: crate::gateway::Inbound) -> Result<(), Response> {
    let engine = state.engine.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let mut engine = engine.lock().map_err(|_| Failure::Internal)?;
        let now = now_secs();
        let first = engine
            .store
            .first_sight(&inbound.event_id, now + REPLAY_WINDOW_SECS)
            .map_err(|_| Failure::Storage)?;
        if !first {
            return Ok(());
        }
        engine
            .handle(&inbound.from, &inbound.text, now)
            .map_err(|_| {
                // Not handled: the gateway retries on a 5xx, and the retry must not be taken
                // for a replay.
                let _ = engine.store.forget_sight(&inbound.event_id);
                Failure::Internal
            })
    })
    .await;
    match outcome {
        Ok(Ok(())) => Ok(()),
        Ok(Err(f)) => Err(f.response()),
        Err(_) => Err(Failure::Internal.response()),
    }
}

/// How long a gateway event id is remembered to refuse its replay (the Android app retries
/// for about two days by default).
pub const REPLAY_WINDOW_SECS: u64 = 7 * 24 * 3600;

async fn android_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let InboundAuth::Android { signing_key } = &state.auth else {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            "this gateway is not configured",
        );
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let inbound = match android_inbound(
        signing_key,
        header("x-signature"),
        header("x-timestamp"),
        &body,
        now_secs(),
    ) {
        Ok(i) => i,
        Err(e) => return refused(&e),
    };
    match process(&state, inbound).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => r,
    }
}

async fn jasmin_webhook(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let InboundAuth::Jasmin { secret } = &state.auth else {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            "this gateway is not configured",
        );
    };
    // Jasmin throws by GET (parameters in the query) or POST (a form body).
    let mut params: HashMap<String, String> = match serde_urlencoded_form(&body) {
        Some(p) => p,
        None => {
            return error(
                StatusCode::BAD_REQUEST,
                "malformed",
                "the form does not parse",
            );
        }
    };
    for (k, v) in &query {
        if k != "secret" {
            params.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let inbound = match jasmin_inbound(secret, query.get("secret").map(String::as_str), &params) {
        Ok(i) => i,
        Err(e) => return refused(&e),
    };
    match process(&state, inbound).await {
        Ok(()) => (StatusCode::OK, JASMIN_ACK).into_response(),
        Err(r) => r,
    }
}

fn serde_urlencoded_form(body: &[u8]) -> Option<HashMap<String, String>> {
    if body.is_empty() {
        return Some(HashMap::new());
    }
    let pairs: Vec<(String, String)> = axum::extract::Query::<Vec<(String, String)>>::try_from_uri(
        &format!("/?{}", std::str::from_utf8(body).ok()?)
            .parse()
            .ok()?,
    )
    .ok()?
    .0;
    Some(pairs.into_iter().collect())
}

/// The HTTP routes: `POST /webhooks/android` and `GET|POST /webhooks/jasmin`.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/webhooks/android", post(android_webhook))
        .route("/webhooks/jasmin", post(jasmin_webhook).get(jasmin_webhook))
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .with_state(state)
}
