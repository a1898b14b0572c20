//! The worker's app as a crux [`App`]: a pure state machine. Events come in, the model changes,
//! and effects go out (render, HTTP, vault, time, randomness). Nothing here does I/O.
//!
//! **Architecture Invariant:** this module does no I/O and reads no clock; sealing, routing and
//! key checks happen here, at send time, against the newest directory verified under the root
//! key pinned in [`AppConfig::root_public_key`].

pub mod courier;
pub mod draft;
pub mod effects;
pub mod escrow;
pub mod form;
pub mod oblivious;
pub mod records;
pub mod rng;
pub mod sync;
pub mod tokens;
pub mod view;

use std::collections::BTreeMap;

use crux_core::render::{RenderOperation, render};
use crux_core::{App, Command, Request};
use facet::Facet;
use serde::{Deserialize, Serialize};
use workvoice_proto::directory::VerifiedDirectory;
use workvoice_proto::keys::{ReportId, SigningPublicKey};
use workvoice_proto::recovery::RecoveryCode;

pub use draft::Step;
pub use effects::*;
pub use form::{ActionId, FieldId, InputKind, ListId};
use records::{
    AUTO_LOCK_CHOICES, DEFAULT_AUTO_LOCK_SECONDS, DeviceRecord, Draft, NS_DEVICE, NS_DIRECTORY,
    NS_DRAFT, NS_OUTBOX, OutboxRecord,
};
use rng::SeededRng;
pub use view::*;

use crate::i18n::{self, K};

/// Hex of the Ed25519 root public key that certifies organisation keys and the relay's key,
/// fixed when the core is built: set `WORKVOICE_ROOT_PUBLIC_KEY` at build time.
///
/// Without the variable, only the `fixture-root` feature (tests and local development) puts
/// the public test fixture's root here; otherwise there is no built-in root and the shell must
/// pass [`AppConfig::root_public_key`]. A release-profile build (no debug assertions) without
/// the variable and without the feature does not compile: the fixture root's private key is
/// public, so a core that trusted it could be fed any organisation key.
pub const ROOT_PUBLIC_KEY_HEX: Option<&str> = match option_env!("WORKVOICE_ROOT_PUBLIC_KEY") {
    Some(key) => Some(key),
    None => FIXTURE_ROOT_PUBLIC_KEY_HEX,
};

#[cfg(feature = "fixture-root")]
const FIXTURE_ROOT_PUBLIC_KEY_HEX: Option<&str> =
    Some("4afa863e7a50312814e32fb5693fd2b3f626df4fb65d4854f900456fe5673abd");
#[cfg(not(feature = "fixture-root"))]
const FIXTURE_ROOT_PUBLIC_KEY_HEX: Option<&str> = None;

const _: () = assert!(
    match ROOT_PUBLIC_KEY_HEX {
        Some(hex) => is_hex_key(hex),
        None => true,
    },
    "WORKVOICE_ROOT_PUBLIC_KEY must be 64 hex digits (an Ed25519 public key)"
);

const fn is_hex_key(hex: &str) -> bool {
    let bytes = hex.as_bytes();
    if bytes.len() != 64 {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_hexdigit() {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(not(any(debug_assertions, feature = "fixture-root")))]
const _: () = assert!(
    option_env!("WORKVOICE_ROOT_PUBLIC_KEY").is_some(),
    "a release build of workvoice-core needs WORKVOICE_ROOT_PUBLIC_KEY (hex of the deployment's \
     root public key; see README.md, \"Build the phone apps\")"
);

/// The built-in root key, if one was built in ([`ROOT_PUBLIC_KEY_HEX`]) and it is well formed.
pub fn built_in_root_key() -> Option<SigningPublicKey> {
    ROOT_PUBLIC_KEY_HEX.and_then(SigningPublicKey::from_hex)
}

/// Settings of one app instance, given by the shell when the core starts.
#[derive(Facet, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct AppConfig {
    /// Base URL of the relay, e.g. `https://relay.example.org`.
    pub relay_url: String,
    /// Hex of the root public key; `None` uses the built-in one. Tests set it.
    pub root_public_key: Option<String>,
    /// The phone's language (BCP 47), used until the worker chooses one.
    pub system_language: String,
    /// First delay of the send/upload retry backoff, in milliseconds.
    pub retry_base_ms: u64,
    /// Longest delay of the retry backoff.
    pub retry_cap_ms: u64,
    /// Mailbox polling interval when something new arrived.
    pub mailbox_poll_base_ms: u64,
    /// Longest interval between mailbox polls.
    pub mailbox_poll_cap_ms: u64,
    /// Timeout of each HTTP request.
    pub http_timeout_ms: u64,
    /// Bytes per evidence upload request.
    pub upload_chunk_bytes: u32,
    /// An OHTTP relay (`https://` URL) to try before those the signed directory lists
    /// (`PROTOCOL.md` 14.8): a deployment's own, or one the worker was given. `None`: only the
    /// listed ones.
    pub ohttp_relay: Option<String>,
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            relay_url: String::new(),
            root_public_key: None,
            system_language: "en".into(),
            retry_base_ms: 5_000,
            retry_cap_ms: 15 * 60_000,
            mailbox_poll_base_ms: 60_000,
            mailbox_poll_cap_ms: 6 * 3_600_000,
            http_timeout_ms: 30_000,
            upload_chunk_bytes: 256 * 1024,
            ohttp_relay: None,
        }
    }
}

/// What the worker does, as the shell reports it.
#[derive(Facet, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[repr(C)]
pub enum Event {
    // First run.
    ChooseLanguage {
        language: String,
    },
    StartSetup,
    StartRecovery,
    SubmitNewPin {
        pin: String,
        confirm: String,
        duress_pin: Option<String>,
    },
    RecoveryCodeWritten,
    SubmitRecoveryCode {
        code: String,
    },
    // Lock screen.
    Unlock {
        pin: String,
    },
    Lock,
    /// The app left the screen (Android `onStop`, iOS `scenePhase` background): it locks at
    /// once. Not a tap: it does not count as activity.
    Background,
    /// The worker is typing in a field (the shell sends it at most every few seconds while she
    /// types; the text itself goes with the step's event): the idle clock starts again.
    Typing,
    // Navigation.
    GoHome,
    OpenOutbox,
    OpenSettings,
    OpenReport {
        report_id: String,
    },
    // Composing.
    NewReport,
    GoToStep {
        step: Step,
    },
    NextStep,
    PreviousStep,
    AddFee {
        amount: String,
        currency: String,
        payee: String,
        stage: String,
        category: String,
        paid_on: String,
        receipt: Option<bool>,
    },
    RemoveFee {
        index: u32,
    },
    AddDeduction {
        amount: String,
        currency: String,
        reason: String,
        monthly: bool,
    },
    RemoveDeduction {
        index: u32,
    },
    /// A loan taken to get the job. `interest` is percent per month as typed ("3", "2.5"),
    /// empty when not known.
    AddLoan {
        amount: String,
        currency: String,
        lender: String,
        interest: String,
    },
    RemoveLoan {
        index: u32,
    },
    /// The job, pay and employer promised before departure, and the job found (the pay found
    /// is [`Event::SetWage`], the employer found [`Event::SetEmployer`]). Empty texts clear a
    /// field.
    SetJob {
        promised_title: String,
        promised_wage: String,
        promised_currency: String,
        actual_title: String,
        promised_employer: String,
    },
    SetIndicator {
        indicator: String,
        present: bool,
    },
    SetRecruiter {
        name: String,
        licence_number: String,
        country: String,
    },
    SetEmployer {
        name: String,
        licence_number: String,
        country: String,
    },
    SetPlace {
        destination_country: String,
        origin_country: String,
        sector: String,
    },
    SetWage {
        amount: String,
        currency: String,
        contract_substituted: Option<bool>,
    },
    SetStory {
        text: String,
        language: String,
    },
    AddEvidence {
        bytes: Vec<u8>,
    },
    RemoveEvidence {
        index: u32,
    },
    SetConsent {
        union: bool,
        inspectorate: bool,
        ngo: bool,
        contact_wanted: bool,
    },
    Review,
    SendReport,
    DiscardDraft,
    // Outbox and mailbox.
    Tick,
    RetryReport {
        report_id: String,
    },
    /// Take a report back: a report not sent yet is deleted and never sent; for one that was
    /// sent, the organisations are asked to withdraw it.
    WithdrawReport {
        report_id: String,
    },
    CheckMailbox,
    // Settings.
    SetLanguage {
        language: String,
    },
    /// Lock after this many seconds without a tap: one of the choices the settings show.
    SetAutoLock {
        seconds: u32,
    },
    AskWipe,
    CancelWipe,
    ConfirmWipe,
    DismissNotice,
    // Added after the events above so that their bincode indices stay as shells know them.
    /// Add the file at `path` as evidence, read in bounded pieces by the host: the core strips
    /// it and seals it as it reads, and never holds it whole.
    AddEvidenceFile {
        path: String,
    },
    /// The worker's consent setting for evidence sent and acknowledged: `true` keeps the sealed
    /// evidence on the phone until she removes the report; `false` (the default) deletes it
    /// once the relay has it all and every recipient acknowledged.
    SetKeepSentEvidence {
        keep: bool,
    },
    /// What the worker typed in a text input of the compose form (the whole text, on each
    /// change). The core keeps it and shows it back; the report takes it when she leaves the
    /// step. Counts as activity for the idle lock.
    Input {
        field: FieldId,
        value: String,
    },
    /// A tap on a choice of the compose form: picks it, or toggles it in a `multiple` group.
    Pick {
        field: FieldId,
        code: String,
    },
    /// A button of the compose form.
    Act {
        action: ActionId,
    },
    /// Remove an added payment, deduction, loan or photo.
    RemoveItem {
        list: ListId,
        index: u32,
    },
    /// The channel the draft is taken through (`Report::channel`): `sms` from the SMS channel
    /// (`workvoice-sms`), sent after `NewReport`. The app never sends it (absent means the
    /// app); an unknown name clears it.
    SetChannel {
        channel: String,
    },
    /// The visa she travelled or works on (`JobComparison::visa_type`), by its wire name;
    /// empty clears it.
    SetVisa {
        visa_type: String,
    },
    /// The worker's setting for when no OHTTP relay answers (`PROTOCOL.md` 14.8): `false`
    /// (the default) waits and tells her; `true` sends directly to the relay.
    SetSendDirectly {
        send_directly: bool,
    },
    /// An OHTTP relay of the worker's own (an `https://` address), tried before all others;
    /// empty forgets it. Anything else is refused with a message next to the field.
    SetOhttpRelay {
        url: String,
    },
    /// The escrow invite code a union gave the worker (`PROTOCOL.md` 18.12), as she typed it;
    /// empty forgets it. A code that does not read is refused with a message next to the
    /// field, and nothing is stored.
    SetEscrowInvite {
        code: String,
    },
}

/// Everything `update` receives: the shell's events, the start, and the answers to effects.
#[derive(Debug)]
pub enum Msg {
    Start(AppConfig),
    Ui(Event),
    Internal(Internal),
}

impl From<Event> for Msg {
    fn from(event: Event) -> Self {
        Msg::Ui(event)
    }
}

/// Answers to the app's own effects. Never built by the shell.
///
/// Each is dispatched once, in `internal_msg`: the answers about the lifecycle (vault status,
/// creation, unlock, load, lock, wipe), the clock and entropy are handled here; each engine's
/// answers are one variant holding that engine's own message type ([`sync::SyncStep`],
/// [`draft::DraftStep`], [`courier::CourierStep`]), handled by its `update` only in the
/// lifecycle state it runs in.
#[derive(Debug)]
pub enum Internal {
    Entropy(RandomOutput),
    VaultStatus(VaultOutput),
    VaultCreated(VaultOutput),
    VaultUnlocked(VaultOutput),
    Loaded(VaultOutput),
    DeviceSaved(VaultOutput),
    Saved(VaultOutput),
    Locked(VaultOutput),
    Wiped(VaultOutput),
    /// The time of a tap: the idle clock starts again.
    Activity(TimeOutput),
    /// The time of a Tick while unlocked: lock if idle too long, else a sync round.
    TickClock(TimeOutput),
    CourierLoaded(VaultOutput),
    /// The courier, while locked; answers of an earlier `session` are dropped.
    Courier {
        session: u64,
        step: courier::CourierStep,
    },
    /// The sync engine, while unlocked.
    Sync(sync::SyncStep),
    /// An answer from the relay, with what it says about the way it went (`oblivious.rs`):
    /// noted, then `then` is handled.
    Routed {
        outcome: oblivious::Outcome,
        then: Box<Internal>,
        /// The request again, if the answer was an OHTTP relay's failure.
        retry: Option<oblivious::Retry>,
    },
    /// Composing (queueing a report, evidence intake), while unlocked.
    Draft(draft::DraftStep),
}

/// The effects of the app. Render, Http and Platform go to the shell; the rest are resolved in
/// Rust.
#[derive(Debug)]
pub enum Effect {
    Render(Request<RenderOperation>),
    Http(Request<HttpRequest>),
    Vault(Request<VaultOperation>),
    Time(Request<TimeOperation>),
    Random(Request<RandomOperation>),
    File(Request<FileReadOperation>),
    Platform(Request<PlatformOperation>),
}

impl crux_core::Effect for Effect {}

macro_rules! effect_from {
    ($($variant:ident($op:ty)),*) => {$(
        impl From<Request<$op>> for Effect {
            fn from(request: Request<$op>) -> Self {
                Effect::$variant(request)
            }
        }
    )*};
}
effect_from!(
    Render(RenderOperation),
    Http(HttpRequest),
    Vault(VaultOperation),
    Time(TimeOperation),
    Random(RandomOperation),
    File(FileReadOperation),
    Platform(PlatformOperation)
);

pub type Cmd = Command<Effect, Msg>;

/// The screen of a closed vault, with the state that belongs to it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LockedPage {
    /// Waiting for the vault's status, or for a wipe.
    #[default]
    Loading,
    Welcome,
    SetPin {
        recovering: bool,
        error: Option<K>,
    },
    Unlock {
        attempts_left: u32,
        error: Option<u32>,
    },
    /// The vault could not be opened or read: a storage failure.
    Broken,
}

/// The screen of an open vault, with the state that belongs to it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Page {
    /// Waiting for the vault to give what it holds.
    #[default]
    Loading,
    ShowRecoveryCode,
    EnterRecoveryCode {
        error: Option<K>,
    },
    Recovering,
    Home,
    Compose {
        step: draft::Step,
    },
    Review,
    Outbox,
    Report {
        report_id: ReportId,
    },
    Settings {
        confirm_wipe: bool,
    },
}

/// A message shown above the screen until dismissed or replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeState {
    pub key: K,
    pub error: bool,
    pub args: Vec<(&'static str, String)>,
}

/// The recovery walk over mailboxes `n = 0, 1, 2, ...` on a new phone. Kept in the device
/// record while it runs, so that a lock (the app going to the background) does not end it: it
/// goes on after the unlock.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RecoveryScan {
    pub next_index: u32,
    pub consecutive_unknown: u32,
    pub found: Vec<u32>,
    #[serde(skip)]
    pub failed: bool,
}

/// Consecutive unknown mailboxes after which recovery stops looking.
pub const RECOVERY_GAP: u32 = 5;

/// The state of the sync engine within one round.
#[derive(Debug, Default)]
pub struct SyncState {
    pub running: bool,
    /// Round counter, to fetch the directory at most once per round.
    pub round: u64,
    /// The round in which a directory fetch was last tried.
    pub directory_tried_round: Option<u64>,
    /// The round in which a directory was last fetched and verified.
    pub directory_ok_round: Option<u64>,
    /// The current report must be sealed again (stale directory, new mailbox number).
    pub reseal: bool,
    pub current: Option<ReportId>,
    /// Stale-directory re-seals of the current report in this round.
    pub reseals: u8,
    /// The stored chunk of the sealed attachment being uploaded: id, offset of the chunk in
    /// the sealed file, and its bytes.
    pub upload: Option<(ReportId, workvoice_proto::keys::AttachmentId, u64, Vec<u8>)>,
    /// A round was asked for while one was running.
    pub again: bool,
    /// A proof-of-work being solved, one slice per step (`sync::solve_step`).
    pub solving: Option<sync::Solving>,
    /// A proof-of-work of the escrow flow being solved, one slice per step
    /// (`escrow::solve_step`).
    pub escrow_solving: Option<escrow::Solving>,
    /// The round in which escrow token keys were fetched again after `escrow_stale_epoch`
    /// (`tokens.rs`): once per round.
    pub token_keys_round: Option<u64>,
    /// The round in which posting a withdrawal last failed: not tried again in that round.
    pub withdrawal_failed_round: Option<u64>,
    /// The round in which copying evidence into the courier store failed: not tried again in
    /// that round.
    pub copy_failed_round: Option<u64>,
}

/// The app's state: what every lifecycle state shares ([`Phone`]) and the lifecycle itself.
///
/// Everything the vault gave (device record, recovery code, outbox, draft, directory) and
/// everything made from it lives in the [`Session`] of [`Lifecycle::Unlocked`]; locking
/// replaces the lifecycle, so none of it can outlive the lock. Nothing outside the `app`
/// module reads the model: shells see the [`ViewModel`].
#[derive(Debug, Default)]
pub struct Model {
    phone: Phone,
    lifecycle: Lifecycle,
}

/// The settings field of the worker's own OHTTP relay, as `Session::form_error` names it.
pub(crate) const OHTTP_RELAY_FIELD: &str = "settings.ohttp_relay";
/// The settings field of the escrow invite, as `Session::form_error` names it.
pub(crate) const ESCROW_INVITE_FIELD: &str = "settings.escrow_invite";

/// What the app holds whether the vault is open or not.
#[derive(Debug, Default)]
pub(crate) struct Phone {
    pub(crate) config: AppConfig,
    pub(crate) root_key: Option<SigningPublicKey>,
    pub(crate) language: String,
    pub(crate) notice: Option<NoticeState>,
    pub(crate) busy: bool,
    pub(crate) rng: SeededRng,
    /// The latest host time the app was told.
    pub(crate) now_ms: u64,
    /// What a locked phone keeps to go on delivering.
    pub(crate) courier: courier::CourierState,
    /// The way to the relay: directly or through an OHTTP relay (`oblivious.rs`).
    pub(crate) transport: oblivious::TransportState,
}

/// Where the app is in its life, with the screens of each state: the vault is closed (first
/// run, the lock screen, a wipe, a broken store) or open, with what was read from it.
#[derive(Debug)]
pub(crate) enum Lifecycle {
    Locked(LockedPage),
    Unlocked(Box<Session>),
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle::Locked(LockedPage::Loading)
    }
}

/// What exists only while the vault is open. Dropped whole at the lock.
#[derive(Debug, Default)]
pub(crate) struct Session {
    /// Which screen of the open vault is showing.
    pub(crate) page: Page,
    pub(crate) device: Option<DeviceRecord>,
    pub(crate) recovery: Option<RecoveryCode>,
    pub(crate) directory: Option<VerifiedDirectory>,
    pub(crate) draft: Option<Draft>,
    /// Steps the worker tried to leave: their problems are shown.
    pub(crate) checked_steps: std::collections::BTreeSet<draft::Step>,
    pub(crate) form_error: Option<(String, K)>,
    pub(crate) outbox: BTreeMap<ReportId, OutboxRecord>,
    /// A report being queued, until its write is durable.
    pub(crate) pending: Option<OutboxRecord>,
    pub(crate) sync: SyncState,
    pub(crate) scan: Option<RecoveryScan>,
    /// Host time of the worker's last tap; the idle lock counts from it.
    pub(crate) last_activity_ms: u64,
    /// The evidence file being read, stripped and sealed.
    pub(crate) intake: Option<draft::Intake>,
    /// What was typed on the compose step and not yet taken by the report.
    pub(crate) form: form::FormInputs,
}

/// A message that needs the open vault arrived while it was closed: it is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NotUnlocked;

impl Model {
    /// Whether the vault is open.
    pub fn is_unlocked(&self) -> bool {
        matches!(self.lifecycle, Lifecycle::Unlocked(_))
    }

    /// The parts of the model, for a handler that needs the open vault.
    fn unlocked(&mut self) -> Result<(&mut Phone, &mut Session), NotUnlocked> {
        match &mut self.lifecycle {
            Lifecycle::Unlocked(session) => Ok((&mut self.phone, session)),
            Lifecycle::Locked(_) => Err(NotUnlocked),
        }
    }

    /// Closing the vault: the session and everything in it are gone; `page` shows.
    fn close_session(&mut self, page: LockedPage) {
        self.lifecycle = Lifecycle::Locked(page);
    }

    /// A new session: the vault just opened.
    fn open_session(&mut self, session: Session) {
        self.lifecycle = Lifecycle::Unlocked(Box::new(session));
    }
}

impl Phone {
    pub fn lang(&self) -> &str {
        &self.language
    }

    fn notice(&mut self, key: K, error: bool) {
        self.notice = Some(NoticeState {
            key,
            error,
            args: Vec::new(),
        });
    }

    fn relay(&self, path: &str) -> String {
        format!("{}{}", self.config.relay_url.trim_end_matches('/'), path)
    }
}

impl Session {
    /// A session opened at `now_ms` on `page`: the idle clock starts then.
    fn opened_at(now_ms: u64, page: Page) -> Self {
        Self {
            page,
            last_activity_ms: now_ms,
            ..Self::default()
        }
    }

    /// The idle time after which the app locks itself.
    pub fn auto_lock_ms(&self) -> u64 {
        let seconds = self
            .device
            .as_ref()
            .map_or(DEFAULT_AUTO_LOCK_SECONDS, |d| d.auto_lock_seconds);
        u64::from(seconds) * 1000
    }
}

#[derive(Debug, Default)]
pub struct Workvoice;

impl App for Workvoice {
    type Event = Msg;
    type Model = Model;
    type ViewModel = ViewModel;
    type Effect = Effect;

    fn update(&self, msg: Msg, model: &mut Model) -> Cmd {
        match msg {
            Msg::Start(config) => start(config, model),
            Msg::Ui(event) => ui(event, model),
            Msg::Internal(internal) => internal_msg(internal, model),
        }
    }

    fn view(&self, model: &Model) -> ViewModel {
        view::view(model)
    }
}

fn vault(op: VaultOperation, then: impl FnOnce(VaultOutput) -> Internal + Send + 'static) -> Cmd {
    Command::request_from_shell(op).then_send(move |out| Msg::Internal(then(out)))
}

fn start(config: AppConfig, model: &mut Model) -> Cmd {
    let phone = &mut model.phone;
    phone.root_key = match &config.root_public_key {
        Some(hex) => SigningPublicKey::from_hex(hex),
        None => built_in_root_key(),
    };
    phone.language = i18n::supported_or_default(&config.system_language).to_string();
    phone.config = config;
    model.close_session(LockedPage::Loading);
    Command::all([
        Command::request_from_shell(RandomOperation { len: 32 })
            .then_send(|out| Msg::Internal(Internal::Entropy(out))),
        vault(VaultOperation::Status, Internal::VaultStatus),
        render(),
    ])
}

fn ui(event: Event, model: &mut Model) -> Cmd {
    if matches!(event, Event::Tick | Event::Background) {
        return ui_event(event, model);
    }
    if event == Event::Typing {
        return if model.is_unlocked() {
            activity()
        } else {
            Command::done()
        };
    }
    // While the core is busy (checking a PIN, saving, reading a photo) a tap does nothing,
    // whatever the shell draws: only locking and dismissing a notice go through.
    if model.phone.busy && !matches!(event, Event::Lock | Event::DismissNotice) {
        return Command::done();
    }
    model.phone.notice = None;
    if !model.is_unlocked() {
        return ui_event(event, model);
    }
    // A tap: the idle clock starts again, at the host's time.
    Command::all([activity(), ui_event(event, model)])
}

/// Ask for the time of the worker's latest action (a tap, an unlock).
fn activity() -> Cmd {
    Command::request_from_shell(TimeOperation).then_send(|t| Msg::Internal(Internal::Activity(t)))
}

/// The worker's events: those that close the vault first, then those of each lifecycle state.
fn ui_event(event: Event, model: &mut Model) -> Cmd {
    match event {
        Event::Lock | Event::Background if model.is_unlocked() => return lock_now(model),
        Event::ConfirmWipe
            if matches!(&model.lifecycle, Lifecycle::Unlocked(session)
                if session.page == (Page::Settings { confirm_wipe: true })) =>
        {
            return wipe(model);
        }
        _ => {}
    }
    let Model { phone, lifecycle } = model;
    match lifecycle {
        Lifecycle::Unlocked(session) => unlocked_event(event, phone, session),
        Lifecycle::Locked(page) => locked_event(event, phone, page),
    }
}

/// An event while the vault is closed: first run, the lock screen.
fn locked_event(event: Event, phone: &mut Phone, page: &mut LockedPage) -> Cmd {
    match event {
        Event::ChooseLanguage { language } | Event::SetLanguage { language } => {
            set_language(phone, None, &language)
        }
        Event::StartSetup if *page == LockedPage::Welcome => {
            *page = LockedPage::SetPin {
                recovering: false,
                error: None,
            };
            render()
        }
        Event::StartRecovery if *page == LockedPage::Welcome => {
            *page = LockedPage::SetPin {
                recovering: true,
                error: None,
            };
            render()
        }
        Event::SubmitNewPin {
            pin,
            confirm,
            duress_pin,
        } => submit_new_pin(phone, page, pin, confirm, duress_pin),
        Event::Unlock { pin } => {
            if !matches!(page, LockedPage::Unlock { .. }) {
                return Command::done();
            }
            phone.busy = true;
            Command::all([
                vault(VaultOperation::Unlock { pin }, Internal::VaultUnlocked),
                render(),
            ])
        }
        // Locked, the courier goes on delivering.
        Event::Background | Event::Tick => courier::start_round(phone),
        _ => render(),
    }
}

/// An event while the vault is open.
fn unlocked_event(event: Event, phone: &mut Phone, session: &mut Session) -> Cmd {
    match event {
        Event::ChooseLanguage { language } | Event::SetLanguage { language } => {
            set_language(phone, Some(session), &language)
        }
        Event::SubmitNewPin { .. } | Event::Unlock { .. } => Command::done(),
        Event::RecoveryCodeWritten if session.page == Page::ShowRecoveryCode => {
            if let Some(device) = &mut session.device {
                device.recovery_code_confirmed = true;
            }
            session.page = Page::Home;
            Command::all([save_device(session), render()])
        }
        Event::SubmitRecoveryCode { code } => sync::submit_recovery_code(phone, session, &code),
        Event::GoHome => go(session, Page::Home),
        Event::OpenOutbox => go(session, Page::Outbox),
        Event::OpenSettings => go(
            session,
            Page::Settings {
                confirm_wipe: false,
            },
        ),
        Event::OpenReport { report_id } => {
            match ReportId::from_hex(&report_id).filter(|id| session.outbox.contains_key(id)) {
                Some(report_id) => go(session, Page::Report { report_id }),
                None => render(),
            }
        }
        Event::NewReport
        | Event::GoToStep { .. }
        | Event::NextStep
        | Event::PreviousStep
        | Event::AddFee { .. }
        | Event::RemoveFee { .. }
        | Event::AddDeduction { .. }
        | Event::RemoveDeduction { .. }
        | Event::AddLoan { .. }
        | Event::RemoveLoan { .. }
        | Event::SetJob { .. }
        | Event::SetIndicator { .. }
        | Event::SetRecruiter { .. }
        | Event::SetEmployer { .. }
        | Event::SetPlace { .. }
        | Event::SetWage { .. }
        | Event::SetStory { .. }
        | Event::SetChannel { .. }
        | Event::SetVisa { .. }
        | Event::AddEvidence { .. }
        | Event::AddEvidenceFile { .. }
        | Event::RemoveEvidence { .. }
        | Event::SetConsent { .. }
        | Event::Review
        | Event::SendReport
        | Event::DiscardDraft
        | Event::Input { .. }
        | Event::Pick { .. }
        | Event::Act { .. }
        | Event::RemoveItem { .. } => draft::compose(event, phone, session),
        Event::Tick => Command::request_from_shell(TimeOperation)
            .then_send(|t| Msg::Internal(Internal::TickClock(t))),
        Event::SetAutoLock { seconds } => {
            match &mut session.device {
                Some(device) if AUTO_LOCK_CHOICES.contains(&seconds) => {
                    device.auto_lock_seconds = seconds;
                }
                _ => return render(),
            }
            Command::all([save_device(session), render()])
        }
        Event::RetryReport { report_id } => sync::retry_report(phone, session, &report_id),
        Event::WithdrawReport { report_id } => sync::withdraw_report(phone, session, &report_id),
        Event::CheckMailbox => {
            // An escrowed report still held has no mailbox yet.
            for record in session.outbox.values_mut() {
                if !escrow::waiting(record) {
                    record.mailbox_next_at_ms = 0;
                }
            }
            sync::start_round(phone, session)
        }
        Event::AskWipe => {
            if let Page::Settings { confirm_wipe } = &mut session.page {
                *confirm_wipe = true;
            }
            render()
        }
        Event::CancelWipe => {
            if let Page::Settings { confirm_wipe } = &mut session.page {
                *confirm_wipe = false;
            }
            render()
        }
        Event::SetKeepSentEvidence { keep } => set_keep_sent_evidence(phone, session, keep),
        Event::SetOhttpRelay { url } => {
            let url = url.trim();
            let relay = (!url.is_empty()).then(|| url.to_string());
            if relay
                .as_deref()
                .is_some_and(|u| !workvoice_proto::oblivious::relay_url_allowed(u))
            {
                session.form_error = Some((OHTTP_RELAY_FIELD.into(), K::SettingsOhttpRelayInvalid));
                return render();
            }
            session.form_error = None;
            let Some(device) = &mut session.device else {
                return render();
            };
            device.own_ohttp_relay = relay.clone();
            Command::all([
                save_device(session),
                oblivious::set_own_relay(phone, relay),
                render(),
            ])
        }
        Event::SetEscrowInvite { code } => {
            let code = code.trim();
            let invite = if code.is_empty() {
                None
            } else {
                match workvoice_proto::token::Invite::parse(code) {
                    Ok(invite) => Some(invite),
                    Err(_) => {
                        session.form_error =
                            Some((ESCROW_INVITE_FIELD.into(), K::SettingsEscrowInviteInvalid));
                        return render();
                    }
                }
            };
            session.form_error = None;
            let Some(device) = &mut session.device else {
                return render();
            };
            // Kept as the printed code, whatever spelling she typed.
            device.escrow_invite = invite.map(|i| i.code());
            Command::all([save_device(session), render()])
        }
        Event::SetSendDirectly { send_directly } => {
            let Some(device) = &mut session.device else {
                return render();
            };
            device.send_directly = send_directly;
            Command::all([
                save_device(session),
                oblivious::set_send_directly(phone, send_directly),
                render(),
            ])
        }
        _ => render(),
    }
}

/// The worker's consent setting for sent evidence. Choosing to delete again deletes, at once,
/// the evidence of every report that qualifies (uploaded whole, acknowledged by all).
fn set_keep_sent_evidence(phone: &mut Phone, session: &mut Session, keep: bool) -> Cmd {
    let Some(device) = &mut session.device else {
        return render();
    };
    device.keep_sent_evidence = keep;
    let mut commands = vec![save_device(session), render()];
    if !keep {
        let ids: Vec<ReportId> = session.outbox.keys().copied().collect();
        for id in ids {
            commands.push(sync::persist_releasing_evidence(phone, session, &id));
        }
    }
    Command::all(commands)
}

fn go(session: &mut Session, page: Page) -> Cmd {
    session.page = page;
    session.form_error = None;
    render()
}

/// The worker's language; kept in the device record when the vault is open.
fn set_language(phone: &mut Phone, session: Option<&mut Session>, language: &str) -> Cmd {
    if !i18n::is_supported(language) {
        phone.notice(K::LanguageNotAvailable, true);
        return render();
    }
    phone.language = language.to_string();
    match session {
        Some(session) => match &mut session.device {
            Some(device) => {
                device.language = language.to_string();
                Command::all([save_device(session), render()])
            }
            None => render(),
        },
        None => render(),
    }
}

/// A PIN is 4 to 12 digits.
pub fn pin_problem(pin: &str) -> Option<K> {
    if !(4..=12).contains(&pin.chars().count()) || !pin.chars().all(|c| c.is_ascii_digit()) {
        Some(K::PinRule)
    } else {
        None
    }
}

/// PINs that people pick most often, which whoever holds the phone tries first: one digit
/// repeated, a run up or down (`1234`, `9876`), a repeated pair (`1212`), a keypad column or
/// a well-known choice, a year from 1940 to 2039, or a day and month (`DDMM`, `MMDD`,
/// `DDMMYY`). The attempt limit allows ten guesses; these cover a large share of real PINs.
pub fn is_common_pin(pin: &str) -> bool {
    let digits: Vec<u8> = pin.bytes().map(|b| b.wrapping_sub(b'0')).collect();
    if digits.len() < 4 || digits.iter().any(|d| *d > 9) {
        return false;
    }
    let number = |range: std::ops::Range<usize>| {
        digits[range]
            .iter()
            .fold(0u32, |n, d| n * 10 + u32::from(*d))
    };
    let steps: Vec<i8> = digits.windows(2).map(|w| w[1] as i8 - w[0] as i8).collect();
    let same = steps.iter().all(|s| *s == 0);
    let run = steps.iter().all(|s| *s == 1) || steps.iter().all(|s| *s == -1);
    let pairs = digits.len().is_multiple_of(2) && digits.chunks(2).all(|c| c == &digits[..2]);
    const WELL_KNOWN: [&str; 12] = [
        "2580",
        "0852",
        "1004",
        "2000",
        "6969",
        "1122",
        "1313",
        "1010",
        "2001",
        "0007",
        "112233",
        "147258369",
    ];
    let well_known = WELL_KNOWN.contains(&pin);
    let is_day_month = |day: u32, month: u32| (1..=12).contains(&month) && (1..=31).contains(&day);
    let year = digits.len() == 4 && (1940..=2039).contains(&number(0..4));
    let date = match digits.len() {
        4 => is_day_month(number(0..2), number(2..4)) || is_day_month(number(2..4), number(0..2)),
        6 => is_day_month(number(0..2), number(2..4)),
        8 => is_day_month(number(0..2), number(2..4)) && (1940..=2039).contains(&number(4..8)),
        _ => false,
    };
    same || run || pairs || well_known || year || date
}

fn submit_new_pin(
    phone: &mut Phone,
    page: &mut LockedPage,
    pin: String,
    confirm: String,
    duress_pin: Option<String>,
) -> Cmd {
    let LockedPage::SetPin { recovering, .. } = *page else {
        return Command::done();
    };
    let duress_pin = duress_pin.filter(|d| !d.is_empty());
    let error = pin_problem(&pin)
        .or_else(|| is_common_pin(&pin).then_some(K::PinCommon))
        .or_else(|| (pin != confirm).then_some(K::PinMismatch))
        .or_else(|| {
            duress_pin
                .as_deref()
                .and_then(pin_problem)
                .map(|_| K::DuressPinRule)
        })
        .or_else(|| (duress_pin.as_deref() == Some(pin.as_str())).then_some(K::DuressSameAsPin));
    if let Some(error) = error {
        *page = LockedPage::SetPin {
            recovering,
            error: Some(error),
        };
        return render();
    }
    phone.busy = true;
    Command::all([
        vault(
            VaultOperation::Create { pin, duress_pin },
            Internal::VaultCreated,
        ),
        render(),
    ])
}

/// Lock now: the courier gets what it may keep, the session and everything in it are dropped,
/// the vault closes, and delivery goes on without the PIN.
fn lock_now(model: &mut Model) -> Cmd {
    let Ok((phone, session)) = model.unlocked() else {
        return Command::done();
    };
    // Reports not yet sealed are sealed now, when the directory allows, so that they too go
    // out while locked; stored before the vault closes.
    let sealed = sync::seal_for_courier(phone, session);
    let sealed = if sealed.is_empty() {
        Command::done()
    } else {
        vault(
            VaultOperation::Write {
                ops: sealed,
                flush: true,
            },
            Internal::Saved,
        )
    };
    let hand_over = courier::rebuild(phone, session);
    // An evidence file being read when the app locks is dropped (its stored chunks go at the
    // next unlock); a copy the shell made for it is deleted now.
    let released = match session.intake.as_ref() {
        Some(intake) => draft::release_evidence(intake.path().to_string()),
        None => Command::done(),
    };
    model.close_session(LockedPage::Unlock {
        attempts_left: 0,
        error: None,
    });
    let phone = &mut model.phone;
    courier::new_session(phone);
    Command::all([
        sealed,
        hand_over,
        released,
        vault(VaultOperation::Lock, Internal::Locked),
        render(),
        courier::start_round(phone),
    ])
}

/// The worker confirmed the wipe: the session goes, then the vault and the courier.
fn wipe(model: &mut Model) -> Cmd {
    model.close_session(LockedPage::Loading);
    model.phone.courier = courier::CourierState::default();
    Command::all([vault(VaultOperation::Wipe, Internal::Wiped), render()])
}

/// Whether the worker has not tapped for longer than the idle time.
fn idle_too_long(phone: &Phone, session: &Session) -> bool {
    phone.now_ms
        >= session
            .last_activity_ms
            .saturating_add(session.auto_lock_ms())
}

fn save_device(session: &Session) -> Cmd {
    match &session.device {
        Some(device) => vault(
            VaultOperation::Write {
                ops: vec![device.write()],
                flush: true,
            },
            Internal::DeviceSaved,
        ),
        None => Command::done(),
    }
}

fn storage_failed(phone: &mut Phone, failure: &VaultFailure) -> Cmd {
    let _ = failure;
    phone.busy = false;
    phone.notice(K::StorageFailed, true);
    render()
}

/// Every answer to the app's own effects, dispatched here once. Answers that need the open
/// vault are dropped when it is closed ([`NotUnlocked`]); the courier's are dropped when it is
/// open.
fn internal_msg(msg: Internal, model: &mut Model) -> Cmd {
    match msg {
        Internal::Entropy(RandomOutput(bytes)) => {
            model.phone.rng.reseed(&bytes);
            Command::done()
        }
        Internal::VaultStatus(out) => match &mut model.lifecycle {
            Lifecycle::Unlocked(_) => Command::done(),
            Lifecycle::Locked(page) => vault_status(&model.phone, page, out),
        },
        Internal::Activity(t) => {
            model.phone.now_ms = model.phone.now_ms.max(t.unix_ms);
            if let Ok((_, session)) = model.unlocked() {
                session.last_activity_ms = session.last_activity_ms.max(t.unix_ms);
            }
            Command::done()
        }
        Internal::TickClock(t) => {
            model.phone.now_ms = model.phone.now_ms.max(t.unix_ms);
            let Ok((phone, session)) = model.unlocked() else {
                return Command::done();
            };
            if idle_too_long(phone, session) {
                lock_now(model)
            } else {
                sync::start_round(phone, session)
            }
        }
        Internal::CourierLoaded(out) => match model.unlocked() {
            Ok(_) => Command::done(),
            Err(NotUnlocked) => courier::loaded(&mut model.phone, out),
        },
        Internal::Courier { session, step } => match model.unlocked() {
            Ok(_) => Command::done(),
            Err(NotUnlocked) => courier::update(&mut model.phone, session, step),
        },
        Internal::VaultCreated(_) | Internal::VaultUnlocked(_) if model.is_unlocked() => {
            Command::done()
        }
        Internal::VaultCreated(out) => vault_created(model, out),
        Internal::VaultUnlocked(out) => vault_unlocked(model, out),
        Internal::Loaded(out) => match model.unlocked() {
            Ok((phone, session)) => loaded(phone, session, out),
            Err(NotUnlocked) => Command::done(),
        },
        Internal::DeviceSaved(out) | Internal::Saved(out) => match out {
            VaultOutput::Failed(f) => storage_failed(&mut model.phone, &f),
            _ => Command::done(),
        },
        Internal::Draft(step) => match model.unlocked() {
            Ok((phone, session)) => draft::update(step, phone, session),
            Err(NotUnlocked) => Command::done(),
        },
        // Show the lock screen with the real count of attempts left.
        Internal::Locked(_) => vault(VaultOperation::Status, Internal::VaultStatus),
        Internal::Wiped(_) => {
            model.close_session(LockedPage::Welcome);
            let phone = &mut model.phone;
            phone.courier = courier::CourierState::default();
            phone.transport = oblivious::TransportState::default();
            phone.busy = false;
            Command::all([
                Command::notify_shell(PlatformOperation::ForgetPlatformSecret).into(),
                render(),
            ])
        }
        Internal::Sync(step) => match model.unlocked() {
            Ok((phone, session)) => sync::update(step, phone, session),
            Err(NotUnlocked) => Command::done(),
        },
        Internal::Routed {
            outcome,
            then,
            retry,
        } => {
            // An engine that no longer runs (the app locked or unlocked since) wants no retry.
            let live = match then.as_ref() {
                Internal::Sync(_) => model.is_unlocked(),
                Internal::Courier { session, .. } => {
                    !model.is_unlocked() && *session == model.phone.courier.session
                }
                _ => true,
            };
            match oblivious::answered(&mut model.phone, outcome, retry.filter(|_| live)) {
                Ok(again) => again,
                Err(()) => internal_msg(*then, model),
            }
        }
    }
}

/// The vault's status, at start and after a lock: the first-run or the lock screen.
fn vault_status(phone: &Phone, page: &mut LockedPage, out: VaultOutput) -> Cmd {
    let initialised = matches!(
        out,
        VaultOutput::Status {
            initialised: true,
            ..
        }
    );
    *page = match out {
        VaultOutput::Status {
            initialised: true,
            attempts_left,
        } => LockedPage::Unlock {
            attempts_left,
            error: None,
        },
        VaultOutput::Status { .. } => LockedPage::Welcome,
        _ => LockedPage::Broken,
    };
    // At start, locked: what the courier holds goes on its way without the PIN.
    if initialised && phone.courier.entries.is_empty() && !phone.courier.running {
        Command::all([render(), courier::load()])
    } else {
        render()
    }
}

/// A vault was made (first run or recovery): a session opens.
fn vault_created(model: &mut Model, out: VaultOutput) -> Cmd {
    match out {
        VaultOutput::Opened if !model.phone.rng.is_seeded() => {
            let failure = VaultFailure::Storage("no entropy".into());
            storage_failed(&mut model.phone, &failure)
        }
        VaultOutput::Opened => {
            model.phone.busy = false;
            let recovering = matches!(
                model.lifecycle,
                Lifecycle::Locked(LockedPage::SetPin {
                    recovering: true,
                    ..
                })
            );
            let page = if recovering {
                Page::EnterRecoveryCode { error: None }
            } else {
                Page::ShowRecoveryCode
            };
            model.open_session(Session::opened_at(model.phone.now_ms, page));
            let Ok((phone, session)) = model.unlocked() else {
                return Command::done();
            };
            let started = activity();
            if recovering {
                Command::all([started, render()])
            } else {
                let code = RecoveryCode::generate(&mut phone.rng);
                session.device = Some(DeviceRecord::new(&code, &phone.language, false));
                session.recovery = Some(code);
                Command::all([started, save_device(session), render()])
            }
        }
        VaultOutput::Failed(f) => storage_failed(&mut model.phone, &f),
        _ => render(),
    }
}

/// The answer to a PIN: a session opens and reads the vault, or the lock screen says why not.
fn vault_unlocked(model: &mut Model, out: VaultOutput) -> Cmd {
    model.phone.busy = false;
    match out {
        VaultOutput::Opened => {
            model.open_session(Session::opened_at(model.phone.now_ms, Page::Loading));
            courier::new_session(&mut model.phone);
            Command::all([
                activity(),
                vault(
                    VaultOperation::Load {
                        namespaces: vec![
                            NS_DEVICE.into(),
                            NS_DRAFT.into(),
                            NS_OUTBOX.into(),
                            NS_DIRECTORY.into(),
                        ],
                    },
                    Internal::Loaded,
                ),
                render(),
            ])
        }
        VaultOutput::Failed(VaultFailure::WrongPin { attempts_left }) => {
            model.close_session(LockedPage::Unlock {
                attempts_left,
                error: Some(attempts_left),
            });
            render()
        }
        VaultOutput::Failed(VaultFailure::Wiped | VaultFailure::NotInitialised) => {
            // Looks exactly like a fresh install; the courier went with the vault.
            model.phone.courier = courier::CourierState::default();
            model.close_session(LockedPage::Welcome);
            render()
        }
        VaultOutput::Failed(f) => storage_failed(&mut model.phone, &f),
        _ => render(),
    }
}

fn loaded(phone: &mut Phone, session: &mut Session, out: VaultOutput) -> Cmd {
    let VaultOutput::Entries(namespaces) = out else {
        if let VaultOutput::Failed(f) = out {
            return storage_failed(phone, &f);
        }
        return render();
    };
    let empty = Vec::new();
    let ns = |i: usize| namespaces.get(i).unwrap_or(&empty);
    let device = ns(0)
        .iter()
        .find(|(k, _)| k == records::DEVICE_KEY)
        .and_then(|(_, v)| serde_json::from_slice::<DeviceRecord>(v).ok());
    let mut commands = Vec::new();
    match device {
        Some(device) => {
            phone.language = device.language.clone();
            session.recovery = device.recovery_code();
            let confirmed = device.recovery_code_confirmed;
            session.scan = device.recovery_scan.clone();
            session.device = Some(device);
            session.page = if session.scan.is_some() && session.recovery.is_some() {
                Page::Recovering
            } else if confirmed {
                Page::Home
            } else if session.recovery.is_some() {
                Page::ShowRecoveryCode
            } else {
                Page::EnterRecoveryCode { error: None }
            };
        }
        None => {
            // An empty vault: after the duress PIN, or a recovery that never got its code. It
            // opens as a fresh, empty app; nothing says a vault was destroyed.
            let code = RecoveryCode::generate(&mut phone.rng);
            session.device = Some(DeviceRecord::new(&code, &phone.language, true));
            session.recovery = Some(code);
            session.page = Page::Home;
            commands.push(save_device(session));
        }
    }
    session.draft = ns(1)
        .iter()
        .find(|(k, _)| k == records::DRAFT_KEY)
        .and_then(|(_, v)| serde_json::from_slice(v).ok());
    // An evidence file cut off while it was stored: its chunks are deleted.
    if let Some(intake) = ns(1)
        .iter()
        .find(|(k, _)| k == records::INTAKE_KEY)
        .and_then(|(_, v)| serde_json::from_slice::<records::IntakeRecord>(v).ok())
    {
        commands.push(vault(
            VaultOperation::Write {
                ops: intake.deletes(),
                flush: true,
            },
            Internal::Saved,
        ));
    }
    session.outbox = ns(2)
        .iter()
        .filter_map(|(_, v)| serde_json::from_slice::<OutboxRecord>(v).ok())
        .map(|r| (r.report_id, r))
        .collect();
    // Anything that was being sent when the app was killed is retried now, under the same
    // submission id and with the same sealed bytes.
    for record in session.outbox.values_mut() {
        record.next_attempt_at_ms = 0;
    }

    if let (Some((_, raw)), Some(root)) = (
        ns(3).iter().find(|(k, _)| k == records::DIRECTORY_KEY),
        phone.root_key,
    ) {
        // Kept for the review screen while offline; checked again (and refreshed) before
        // anything is sealed.
        let pins = session
            .device
            .as_ref()
            .map(DeviceRecord::directory_pins)
            .unwrap_or_default();
        let now = session
            .device
            .as_ref()
            .map_or(0, |d| d.directory_checked_at);
        session.directory =
            workvoice_proto::directory::verify_directory_pinned(raw, &root, now, &pins).ok();
    }
    // The way to the relay follows the vault: the worker's setting, the stored directory's
    // gateway (the courier store's copy may be older, or missing after a crash).
    if let Some(device) = &session.device {
        commands.push(oblivious::set_send_directly(phone, device.send_directly));
        commands.push(oblivious::set_own_relay(
            phone,
            device.own_ohttp_relay.clone(),
        ));
    }
    if let Some(directory) = &session.directory {
        commands.push(oblivious::remember(
            phone,
            directory.listing.oblivious.clone(),
        ));
    }
    // What the courier did while locked (sent, polled) becomes the outbox's; replies that
    // arrived open now, under the stored directory when it still verifies.
    let taken_over = courier::take_over(phone, session);
    if !taken_over.is_empty() {
        commands.push(vault(
            VaultOperation::Write {
                ops: taken_over,
                flush: true,
            },
            Internal::Saved,
        ));
    }
    commands.push(courier::rebuild(phone, session));
    commands.push(render());
    commands.push(sync::start_round(phone, session));
    Command::all(commands)
}
