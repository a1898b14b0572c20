//! The view model: everything a screen shows, with every string already in the worker's
//! language, and the text direction.

use facet::Facet;
use serde::{Deserialize, Serialize};
use workvoice_proto::api::MailboxStatus;
use workvoice_proto::directory::{OrgKind, UntrustedReason, VerifiedDirectory};
use workvoice_proto::iso;
use workvoice_proto::keys::OrgId;
use workvoice_proto::report::{
    CostCategory, DeductionReason, Indicator, LenderKind, Money, PayeeRole, RecruitmentStage,
    Report, Sector, VisaType,
};
use workvoice_proto::routing::{ReportKind, RoutingError, route};

use super::draft::{Step, problem_key, problem_max, problems};
use super::form::{ActionId, CurrentValues, FieldId, InputKind, ListId};
use super::records::{Failure, OutboxRecord, Phase, Transient, Withdrawal};
use super::{Lifecycle, LockedPage, Model, Page, Phone, Session};
use crate::i18n::{self, K};

#[derive(Facet, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ViewModel {
    /// BCP 47 code of the language of every string here.
    pub language: String,
    pub direction: TextDirection,
    pub title: String,
    pub screen: Screen,
    pub notice: Option<Notice>,
    /// Waiting for the phone (PIN check, saving): show progress, ignore taps.
    pub busy: bool,
    /// Send [`super::Event::Tick`] after this many milliseconds (retries, mailbox checks).
    pub wake_in_ms: Option<u64>,
}

#[derive(Facet, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub enum TextDirection {
    Ltr,
    Rtl,
}

#[derive(Facet, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
}

/// One choice of a picker, or one toggle.
#[derive(Facet, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    pub code: String,
    pub label: String,
    pub selected: bool,
}

/// A labelled piece of information.
#[derive(Facet, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub label: String,
    pub value: String,
}

/// A text input. The shell sends what is typed as [`super::Event::Input`] with its `id`, and
/// shows `value`, which the core keeps.
#[derive(Facet, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub id: FieldId,
    pub label: String,
    pub value: String,
    pub kind: InputKind,
    /// What is wrong with it, shown next to it.
    pub errors: Vec<FieldMessage>,
}

/// Choices: a picker (one at a time), or toggles when `multiple`. A tap sends
/// [`super::Event::Pick`] with the group's `id` and the choice's `code`.
#[derive(Facet, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct OptionGroup {
    pub id: FieldId,
    pub label: String,
    pub choices: Vec<Choice>,
    pub multiple: bool,
    pub errors: Vec<FieldMessage>,
}

/// Something already added (a payment, a photo) that [`super::Event::RemoveItem`] removes.
#[derive(Facet, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ListItem {
    pub list: ListId,
    pub index: u32,
    pub text: String,
}

/// A button of the form: [`super::Event::Act`] with its `id`.
#[derive(Facet, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Action {
    pub id: ActionId,
    pub label: String,
}

/// One step of the compose flow, for a step bar: [`super::Event::GoToStep`] with it.
#[derive(Facet, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct StepChoice {
    pub step: Step,
    pub label: String,
    pub selected: bool,
}

/// What is wrong with one field, in words.
#[derive(Facet, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct FieldMessage {
    /// Path of the field, e.g. `fees[0].amount.currency`, or a form input such as `fee.amount`.
    pub field: String,
    /// Stable code, e.g. `invalid_currency`.
    pub code: String,
    pub message: String,
}

// One screen is built per render and crosses the FFI serialized; boxing the settings' fields
// would change the shells' generated types for no gain.
#[allow(clippy::large_enum_variant)]
#[derive(Facet, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[repr(C)]
pub enum Screen {
    Loading {
        text: String,
    },
    Welcome {
        intro: String,
        choose_language: String,
        languages: Vec<Choice>,
        start: String,
        recover: String,
    },
    SetPin {
        intro: String,
        pin_label: String,
        confirm_label: String,
        duress_label: String,
        duress_help: String,
        submit: String,
        error: Option<String>,
        recovering: bool,
    },
    ShowRecoveryCode {
        intro: String,
        code: String,
        done: String,
    },
    EnterRecoveryCode {
        intro: String,
        code_label: String,
        submit: String,
        error: Option<String>,
    },
    Recovering {
        text: String,
        checked: u32,
        found: u32,
        retry: String,
    },
    Unlock {
        pin_label: String,
        submit: String,
        attempts_left: u32,
        attempts_text: String,
        error: Option<String>,
    },
    Home {
        new_report: String,
        outbox: String,
        outbox_summary: String,
        settings: String,
        lock: String,
        has_draft: bool,
    },
    Compose(ComposeView),
    Review(ReviewView),
    Outbox {
        items: Vec<OutboxItem>,
        empty: String,
        check_mailbox: String,
    },
    Report(ReportView),
    Settings {
        language_label: String,
        languages: Vec<Choice>,
        /// "Lock the app after": the idle times to choose from (`SetAutoLock`, code in seconds).
        auto_lock_label: String,
        auto_lock: Vec<Choice>,
        /// The consent setting for sent evidence: `delete` (the default) or `keep`.
        evidence_label: String,
        evidence_help: String,
        evidence_choices: Vec<Choice>,
        /// The setting for when no OHTTP relay answers (`SetSendDirectly`): `wait` (the
        /// default) or `direct`.
        route_label: String,
        route_help: String,
        route_choices: Vec<Choice>,
        /// The worker's own OHTTP relay (`SetOhttpRelay` with the text typed): its current
        /// value, and the message for a refused one.
        ohttp_relay_label: String,
        ohttp_relay_help: String,
        ohttp_relay: String,
        ohttp_relay_error: Option<String>,
        ohttp_relay_save: String,
        /// The escrow invite (`SetEscrowInvite` with the code typed; empty forgets it): the
        /// code kept is shown masked ("Code kept: WV-•••••-…"), never whole, and the input
        /// starts empty; the message for a refused one.
        escrow_invite_label: String,
        escrow_invite_help: String,
        escrow_invite_kept: Option<String>,
        escrow_invite_error: Option<String>,
        escrow_invite_save: String,
        wipe: String,
        wipe_warning: String,
        confirm_wipe: bool,
        confirm: String,
        cancel: String,
    },
    Broken {
        text: String,
    },
}

#[derive(Facet, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ComposeView {
    pub step: Step,
    pub help: String,
    pub counter: String,
    pub step_number: u32,
    pub step_count: u32,
    pub steps: Vec<StepChoice>,
    pub fields: Vec<Field>,
    pub options: Vec<OptionGroup>,
    pub items: Vec<ListItem>,
    /// The step's problems that belong to no input shown (an added payment that is wrong):
    /// shown above the inputs.
    pub errors: Vec<FieldMessage>,
    pub actions: Vec<Action>,
    pub next: String,
    pub back: String,
    pub discard: String,
}

impl ComposeView {
    /// Every problem the step shows: next to its inputs and above them.
    pub fn all_errors(&self) -> Vec<&FieldMessage> {
        self.errors
            .iter()
            .chain(self.fields.iter().flat_map(|f| &f.errors))
            .chain(self.options.iter().flat_map(|g| &g.errors))
            .collect()
    }
}

#[derive(Facet, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RecipientView {
    pub org_id: String,
    pub name: String,
    pub kind: String,
    pub reason: String,
    /// Why the phone will refuse to seal to it, if its key is not trusted.
    pub problem: Option<String>,
}

#[derive(Facet, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ReviewView {
    pub intro: String,
    /// Exactly what the relay will see (the routing tags and the consent).
    pub disclosed: Vec<Line>,
    pub recipients_title: String,
    pub recipients: Vec<RecipientView>,
    pub withheld_title: String,
    pub withheld: Vec<RecipientView>,
    pub note: Option<String>,
    pub summary: Vec<String>,
    pub send: String,
    pub edit: String,
    pub can_send: bool,
}

#[derive(Facet, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub enum DeliveryState {
    Draft,
    Waiting,
    Sending,
    Sent,
    Delivered,
    Acknowledged,
    Replied,
    Failed,
}

#[derive(Facet, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct OutboxItem {
    /// Hex report id; empty for the unfinished draft.
    pub report_id: String,
    pub title: String,
    pub state: DeliveryState,
    pub state_text: String,
    pub detail: Option<String>,
    pub replies: u32,
    /// Evidence files still to upload.
    pub uploads_pending: u32,
    pub retry: Option<String>,
}

#[derive(Facet, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct MessageView {
    pub from: String,
    pub text: String,
    pub language: String,
    /// Unix seconds, rounded to the hour.
    pub at_hour: u64,
}

#[derive(Facet, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ReportView {
    pub item: OutboxItem,
    pub statuses_title: String,
    pub statuses: Vec<String>,
    pub messages_title: String,
    pub messages: Vec<MessageView>,
    pub empty: String,
    pub rejected: Option<String>,
    /// The label of the withdraw button (`Event::WithdrawReport`), when the report can still
    /// be withdrawn: deleted if it was never sent, otherwise asked back from the organisations.
    pub withdraw: Option<String>,
    /// Where a withdrawal the worker asked for stands.
    pub withdrawal: Option<String>,
}

pub(crate) fn view(model: &Model) -> ViewModel {
    let phone = &model.phone;
    let lang = phone.lang().to_string();
    let (title, screen) = match &model.lifecycle {
        Lifecycle::Locked(page) => locked_screen(&lang, page),
        Lifecycle::Unlocked(session) => open_screen(phone, session),
    };
    ViewModel {
        direction: if i18n::is_rtl(&lang) {
            TextDirection::Rtl
        } else {
            TextDirection::Ltr
        },
        title,
        screen,
        notice: phone.notice.as_ref().map(|n| Notice {
            text: i18n::trf(&lang, n.key, &n.args),
            error: n.error,
        }),
        busy: phone.busy,
        wake_in_ms: wake_in(model),
        language: lang,
    }
}

/// Choices of one group, each given as (code, label, selected): those that are not a wire
/// name (settings, consent flags).
fn flag_choices<const N: usize>(lang: &str, items: [(&str, K, bool); N]) -> Vec<Choice> {
    items
        .into_iter()
        .map(|(code, key, selected)| Choice {
            code: code.into(),
            label: i18n::tr(lang, key),
            selected,
        })
        .collect()
}

/// The title and screen of a page shown while the vault is closed.
fn locked_screen(lang: &str, page: &LockedPage) -> (String, Screen) {
    let t = |k: K| i18n::tr(lang, k);
    match page {
        LockedPage::Loading => (
            t(K::AppName),
            Screen::Loading {
                text: t(K::Loading),
            },
        ),
        LockedPage::Broken => (t(K::AppName), Screen::Broken { text: t(K::Broken) }),
        LockedPage::Welcome => (
            t(K::WelcomeTitle),
            Screen::Welcome {
                intro: t(K::WelcomeIntro),
                choose_language: t(K::WelcomeChooseLanguage),
                languages: languages(lang),
                start: t(K::WelcomeStart),
                recover: t(K::WelcomeRecover),
            },
        ),
        LockedPage::SetPin { recovering, error } => (
            t(K::PinTitle),
            Screen::SetPin {
                intro: t(K::PinIntro),
                pin_label: t(K::PinLabel),
                confirm_label: t(K::PinConfirmLabel),
                duress_label: t(K::DuressLabel),
                duress_help: t(K::DuressHelp),
                submit: t(K::PinSubmit),
                error: error.map(t),
                recovering: *recovering,
            },
        ),
        LockedPage::Unlock {
            attempts_left,
            error,
        } => (
            t(K::UnlockTitle),
            Screen::Unlock {
                pin_label: t(K::PinLabel),
                submit: t(K::UnlockSubmit),
                attempts_left: *attempts_left,
                attempts_text: i18n::trf(
                    lang,
                    K::UnlockAttemptsLeft,
                    &[("count", attempts_left.to_string())],
                ),
                error: error.map(|_| t(K::UnlockWrongPin)),
            },
        ),
    }
}

/// The title and screen of a page shown while the vault is open.
fn open_screen(phone: &Phone, session: &Session) -> (String, Screen) {
    let lang = phone.lang().to_string();
    let t = |k: K| i18n::tr(&lang, k);
    match &session.page {
        Page::ShowRecoveryCode => (
            t(K::RecoveryCodeTitle),
            Screen::ShowRecoveryCode {
                intro: t(K::RecoveryCodeIntro),
                code: session
                    .recovery
                    .as_ref()
                    .map(|c| c.to_text())
                    .unwrap_or_default(),
                done: t(K::RecoveryCodeDone),
            },
        ),
        Page::EnterRecoveryCode { error } => (
            t(K::RecoveryEnterTitle),
            Screen::EnterRecoveryCode {
                intro: t(K::RecoveryEnterIntro),
                code_label: t(K::RecoveryCodeLabel),
                submit: t(K::RecoverySubmit),
                error: error.map(t),
            },
        ),
        Page::Recovering => {
            let (checked, found) = session
                .scan
                .as_ref()
                .map_or((0, 0), |s| (s.next_index, s.found.len() as u32));
            (
                t(K::RecoveringTitle),
                Screen::Recovering {
                    text: i18n::trf(
                        &lang,
                        K::RecoveringText,
                        &[
                            ("checked", checked.to_string()),
                            ("found", found.to_string()),
                        ],
                    ),
                    checked,
                    found,
                    retry: t(K::RecoveryRetry),
                },
            )
        }
        Page::Home => {
            let replies: usize = session.outbox.values().map(|r| r.replies.len()).sum();
            (
                t(K::HomeTitle),
                Screen::Home {
                    new_report: if session.draft.is_some() {
                        t(K::HomeContinueDraft)
                    } else {
                        t(K::HomeNewReport)
                    },
                    outbox: t(K::HomeOutbox),
                    outbox_summary: i18n::trf(
                        &lang,
                        K::HomeOutboxSummary,
                        &[
                            ("count", session.outbox.len().to_string()),
                            ("replies", replies.to_string()),
                        ],
                    ),
                    settings: t(K::HomeSettings),
                    lock: t(K::HomeLock),
                    has_draft: session.draft.is_some(),
                },
            )
        }
        Page::Compose { step } => (
            t(step.title()),
            Screen::Compose(compose(phone, session, *step)),
        ),
        Page::Review => (t(K::ReviewTitle), Screen::Review(review(phone, session))),
        Page::Outbox => (
            t(K::OutboxTitle),
            Screen::Outbox {
                items: outbox_items(phone, session),
                empty: t(K::OutboxEmpty),
                check_mailbox: t(K::OutboxCheck),
            },
        ),
        Page::Report { report_id } => match session.outbox.get(report_id) {
            Some(record) => (
                t(K::ReportTitle),
                Screen::Report(report_view(phone, session, record)),
            ),
            None => (
                t(K::OutboxTitle),
                Screen::Outbox {
                    items: outbox_items(phone, session),
                    empty: t(K::OutboxEmpty),
                    check_mailbox: t(K::OutboxCheck),
                },
            ),
        },
        Page::Settings { confirm_wipe } => (
            t(K::SettingsTitle),
            Screen::Settings {
                language_label: t(K::SettingsLanguage),
                languages: languages(&lang),
                auto_lock_label: t(K::SettingsAutoLock),
                auto_lock: auto_lock_choices(session, &lang),
                evidence_label: t(K::SettingsEvidence),
                evidence_help: t(K::SettingsEvidenceHelp),
                evidence_choices: {
                    let keep = session
                        .device
                        .as_ref()
                        .is_some_and(|d| d.keep_sent_evidence);
                    flag_choices(
                        &lang,
                        [
                            ("delete", K::SettingsEvidenceDelete, !keep),
                            ("keep", K::SettingsEvidenceKeep, keep),
                        ],
                    )
                },
                route_label: t(K::SettingsRoute),
                route_help: t(K::SettingsRouteHelp),
                route_choices: {
                    let direct = session.device.as_ref().is_some_and(|d| d.send_directly);
                    flag_choices(
                        &lang,
                        [
                            ("wait", K::SettingsRouteWait, !direct),
                            ("direct", K::SettingsRouteDirect, direct),
                        ],
                    )
                },
                ohttp_relay_label: t(K::SettingsOhttpRelay),
                ohttp_relay_help: t(K::SettingsOhttpRelayHelp),
                ohttp_relay: session
                    .device
                    .as_ref()
                    .and_then(|d| d.own_ohttp_relay.clone())
                    .unwrap_or_default(),
                ohttp_relay_error: session
                    .form_error
                    .as_ref()
                    .filter(|(field, _)| field == super::OHTTP_RELAY_FIELD)
                    .map(|(_, key)| t(*key)),
                ohttp_relay_save: t(K::SettingsOhttpRelaySave),
                escrow_invite_label: t(K::SettingsEscrowInvite),
                escrow_invite_help: t(K::SettingsEscrowInviteHelp),
                escrow_invite_kept: session.device.as_ref().and_then(|d| d.escrow_invite()).map(
                    |invite| {
                        i18n::trf(
                            &lang,
                            K::SettingsEscrowInviteKept,
                            &[("code", masked_invite(&invite.code()))],
                        )
                    },
                ),
                escrow_invite_error: session
                    .form_error
                    .as_ref()
                    .filter(|(field, _)| field == super::ESCROW_INVITE_FIELD)
                    .map(|(_, key)| t(*key)),
                escrow_invite_save: t(K::SettingsEscrowInviteSave),
                wipe: t(K::SettingsWipe),
                wipe_warning: t(K::SettingsWipeWarning),
                confirm_wipe: *confirm_wipe,
                confirm: t(K::SettingsWipeConfirm),
                cancel: t(K::SettingsWipeCancel),
            },
        ),
        Page::Loading => (
            t(K::AppName),
            Screen::Loading {
                text: t(K::Loading),
            },
        ),
    }
}

/// An invite code with all but its last group of five and the last character hidden
/// (`WV-•••••-•••••-•••••-•••••-ABCDE-F`): enough to tell two codes apart, not to use one.
pub fn masked_invite(code: &str) -> String {
    let groups: Vec<&str> = code.split('-').collect();
    let keep = groups.len().saturating_sub(2);
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            if i == 0 || i >= keep {
                (*g).to_string()
            } else {
                "•".repeat(g.chars().count())
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// When the shell should next send a Tick, if anything is scheduled.
///
/// Unlocked, that includes the moment the idle lock is due; locked, the courier's next send or
/// poll.
fn wake_in(model: &Model) -> Option<u64> {
    let phone = &model.phone;
    let Lifecycle::Unlocked(session) = &model.lifecycle else {
        return super::courier::wake_at(phone).map(|at| at.saturating_sub(phone.now_ms));
    };
    let idle_lock_at = session
        .last_activity_ms
        .max(phone.now_ms)
        .saturating_add(session.auto_lock_ms());
    if session.sync.solving.is_some() || session.sync.escrow_solving.is_some() {
        // A proof-of-work is being solved in slices: the next slice at once.
        return Some(0);
    }
    if session.sync.running {
        return Some(idle_lock_at.saturating_sub(phone.now_ms));
    }
    session
        .outbox
        .values()
        .filter_map(|r| match r.phase {
            Phase::Waiting | Phase::Sending => Some(r.next_attempt_at_ms),
            Phase::Failed if r.to_send() => Some(r.next_attempt_at_ms),
            Phase::Accepted if r.uploads_pending() => {
                Some(r.next_attempt_at_ms.min(r.mailbox_next_at_ms))
            }
            Phase::Accepted => Some(r.mailbox_next_at_ms),
            Phase::Failed => None,
        })
        .chain([idle_lock_at])
        .min()
        .map(|at| at.saturating_sub(phone.now_ms))
}

fn auto_lock_choices(session: &Session, lang: &str) -> Vec<Choice> {
    let current = session.auto_lock_ms() / 1000;
    super::records::AUTO_LOCK_CHOICES
        .iter()
        .map(|seconds| {
            let label = if seconds % 60 == 0 {
                i18n::trf(
                    lang,
                    K::SettingsAutoLockMinutes,
                    &[("count", (seconds / 60).to_string())],
                )
            } else {
                i18n::trf(
                    lang,
                    K::SettingsAutoLockSeconds,
                    &[("count", seconds.to_string())],
                )
            };
            Choice {
                code: seconds.to_string(),
                label,
                selected: u64::from(*seconds) == current,
            }
        })
        .collect()
}

fn languages(current: &str) -> Vec<Choice> {
    i18n::LANGUAGES
        .iter()
        .map(|(code, name)| Choice {
            code: (*code).into(),
            label: (*name).into(),
            selected: *code == current,
        })
        .collect()
}

pub fn indicator_key(indicator: Indicator) -> K {
    match indicator {
        Indicator::AbuseOfVulnerability => K::IndAbuseOfVulnerability,
        Indicator::Deception => K::IndDeception,
        Indicator::RestrictionOfMovement => K::IndRestrictionOfMovement,
        Indicator::Isolation => K::IndIsolation,
        Indicator::PhysicalAndSexualViolence => K::IndPhysicalAndSexualViolence,
        Indicator::IntimidationAndThreats => K::IndIntimidationAndThreats,
        Indicator::RetentionOfIdentityDocuments => K::IndRetentionOfIdentityDocuments,
        Indicator::WithholdingOfWages => K::IndWithholdingOfWages,
        Indicator::DebtBondage => K::IndDebtBondage,
        Indicator::AbusiveWorkingAndLivingConditions => K::IndAbusiveConditions,
        Indicator::ExcessiveOvertime | Indicator::Unknown => K::IndExcessiveOvertime,
    }
}

const PAYEES: [(PayeeRole, K); 8] = [
    (PayeeRole::SubAgent, K::PayeeSubAgent),
    (PayeeRole::RecruitmentAgency, K::PayeeRecruitmentAgency),
    (PayeeRole::Broker, K::PayeeBroker),
    (PayeeRole::Employer, K::PayeeEmployer),
    (PayeeRole::GovernmentOfficial, K::PayeeGovernmentOfficial),
    (PayeeRole::MedicalClinic, K::PayeeMedicalClinic),
    (PayeeRole::TrainingCentre, K::PayeeTrainingCentre),
    (PayeeRole::Other, K::PayeeOther),
];
const STAGES: [(RecruitmentStage, K); 3] = [
    (RecruitmentStage::Origin, K::StageOrigin),
    (RecruitmentStage::Transit, K::StageTransit),
    (RecruitmentStage::Destination, K::StageDestination),
];
const COSTS: [(CostCategory, K); 10] = [
    (
        CostCategory::RecruitmentServiceFee,
        K::CostRecruitmentServiceFee,
    ),
    (CostCategory::Medical, K::CostMedical),
    (CostCategory::Insurance, K::CostInsurance),
    (CostCategory::SkillsTest, K::CostSkillsTest),
    (CostCategory::Training, K::CostTraining),
    (CostCategory::Equipment, K::CostEquipment),
    (CostCategory::Travel, K::CostTravel),
    (CostCategory::Lodging, K::CostLodging),
    (CostCategory::Documentation, K::CostDocumentation),
    (CostCategory::Other, K::CostOther),
];
const DEDUCTIONS: [(DeductionReason, K); 8] = [
    (
        DeductionReason::RecruitmentFeeRepayment,
        K::DeductRecruitmentFee,
    ),
    (DeductionReason::LoanRepayment, K::DeductLoan),
    (DeductionReason::Accommodation, K::DeductAccommodation),
    (DeductionReason::Food, K::DeductFood),
    (DeductionReason::Transport, K::DeductTransport),
    (DeductionReason::Equipment, K::DeductEquipment),
    (DeductionReason::Fines, K::DeductFines),
    (DeductionReason::Other, K::DeductOther),
];

const VISAS: [(VisaType, K); 6] = [
    (VisaType::Work, K::VisaWork),
    (VisaType::DomesticWorker, K::VisaDomesticWorker),
    (VisaType::Visit, K::VisaVisit),
    (VisaType::Student, K::VisaStudent),
    (VisaType::NoVisa, K::VisaNoVisa),
    (VisaType::Other, K::VisaOther),
];

const LENDERS: [(LenderKind, K); 7] = [
    (LenderKind::Recruiter, K::LenderRecruiter),
    (LenderKind::Employer, K::LenderEmployer),
    (LenderKind::Moneylender, K::LenderMoneylender),
    (LenderKind::Bank, K::LenderBank),
    (LenderKind::Cooperative, K::LenderCooperative),
    (LenderKind::FamilyOrFriend, K::LenderFamilyOrFriend),
    (LenderKind::Other, K::LenderOther),
];

/// `250` basis points as `2.5`.
pub fn format_percent(basis_points: u32) -> String {
    let text = format!("{}.{:02}", basis_points / 100, basis_points % 100);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

pub fn sector_key(sector: Sector) -> K {
    const KEYS: [K; 21] = [
        K::SectorA,
        K::SectorB,
        K::SectorC,
        K::SectorD,
        K::SectorE,
        K::SectorF,
        K::SectorG,
        K::SectorH,
        K::SectorI,
        K::SectorJ,
        K::SectorK,
        K::SectorL,
        K::SectorM,
        K::SectorN,
        K::SectorO,
        K::SectorP,
        K::SectorQ,
        K::SectorR,
        K::SectorS,
        K::SectorT,
        K::SectorU,
    ];
    Sector::ALL
        .iter()
        .position(|s| *s == sector)
        .map_or(K::CostOther, |i| KEYS[i])
}

fn wire<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn choices<T: Serialize + PartialEq + Copy>(
    lang: &str,
    all: &[(T, K)],
    selected: Option<T>,
) -> Vec<Choice> {
    all.iter()
        .map(|(value, key)| Choice {
            code: wire(value),
            label: i18n::tr(lang, *key),
            selected: selected == Some(*value),
        })
        .collect()
}

fn label_of<T: PartialEq>(lang: &str, all: &[(T, K)], value: &T) -> String {
    all.iter()
        .find(|(v, _)| v == value)
        .map(|(_, k)| i18n::tr(lang, *k))
        .unwrap_or_default()
}

/// `150000` minor units of `NPR` as `1,500.00 NPR`.
pub fn format_money(money: &Money) -> String {
    format!("{} {}", format_amount(money), money.currency)
}

/// `150000` minor units of `NPR` as `1,500.00`, as the worker types it.
pub fn format_amount(money: &Money) -> String {
    let exponent = u32::from(iso::currency_exponent(&money.currency).unwrap_or(2));
    let divisor = 10u64.pow(exponent);
    let whole = money.amount_minor / divisor;
    let fraction = money.amount_minor % divisor;
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if exponent > 0 {
        format!("{grouped}.{fraction:0width$}", width = exponent as usize)
    } else {
        grouped
    }
}

pub(crate) fn field_messages(
    phone: &Phone,
    session: &Session,
    report: &Report,
    only: Option<Step>,
) -> Vec<FieldMessage> {
    let lang = phone.lang();
    let mut out: Vec<FieldMessage> = problems(report)
        .into_iter()
        .filter(|e| {
            let step = Step::of_field(&e.field);
            session.checked_steps.contains(&step) && only.is_none_or(|s| s == step)
        })
        .map(|e| FieldMessage {
            code: workvoice_proto::ErrorCode::code(&e.problem).into(),
            message: i18n::trf(
                lang,
                problem_key(&e.problem),
                &problem_max(&e.problem)
                    .map(|m| vec![("max", m.to_string())])
                    .unwrap_or_default(),
            ),
            field: e.field,
        })
        .collect();
    if let Some((field, key)) = &session.form_error {
        out.push(FieldMessage {
            field: field.clone(),
            code: key.key().rsplit('.').next().unwrap_or_default().into(),
            message: i18n::tr(lang, *key),
        });
    }
    out
}

fn yes_no(lang: &str, value: Option<bool>) -> Vec<Choice> {
    [
        ("yes", K::Yes, Some(true)),
        ("no", K::No, Some(false)),
        ("dont_know", K::DontKnow, None),
    ]
    .into_iter()
    .map(|(code, key, v)| Choice {
        code: code.into(),
        label: i18n::tr(lang, key),
        selected: v == value,
    })
    .collect()
}

/// What the report holds for each input of the form, as the input shows it.
pub fn current_values(report: &Report) -> CurrentValues {
    use FieldId::*;
    let mut values = std::collections::BTreeMap::new();
    for (party, [name, licence, country]) in [
        (
            &report.recruiter,
            [RecruiterName, RecruiterLicenceNumber, RecruiterCountry],
        ),
        (
            &report.employer,
            [EmployerName, EmployerLicenceNumber, EmployerCountry],
        ),
    ] {
        if let Some(p) = party {
            values.insert(name, p.name.clone());
            values.insert(licence, p.licence_number.clone().unwrap_or_default());
            values.insert(country, p.country.clone().unwrap_or_default());
        }
    }
    values.insert(DestinationCountry, report.destination_country.clone());
    values.insert(
        OriginCountry,
        report.origin_country.clone().unwrap_or_default(),
    );
    values.insert(
        Sector,
        report
            .sector
            .map(|s| s.letter().to_string())
            .unwrap_or_default(),
    );
    let job = &report.job;
    values.insert(
        PromisedTitle,
        job.promised.title.clone().unwrap_or_default(),
    );
    let promised = job.promised.monthly_wage.as_ref();
    values.insert(
        PromisedWage,
        promised.map(format_amount).unwrap_or_default(),
    );
    values.insert(
        PromisedCurrency,
        promised.map(|m| m.currency.clone()).unwrap_or_default(),
    );
    values.insert(
        PromisedEmployer,
        job.promised.employer.clone().unwrap_or_default(),
    );
    values.insert(ActualTitle, job.actual.title.clone().unwrap_or_default());
    let wage = report.monthly_wage.as_ref();
    values.insert(WageAmount, wage.map(format_amount).unwrap_or_default());
    values.insert(
        WageCurrency,
        wage.map(|m| m.currency.clone()).unwrap_or_default(),
    );
    values.insert(
        ContractSubstituted,
        yes_no_code(job.contract_substituted).into(),
    );
    values.insert(
        VisaType,
        job.visa_type.map(|v| wire(&v)).unwrap_or_default(),
    );
    values.insert(StoryText, report.free_text.clone());
    values.insert(StoryLanguage, report.language.clone());
    CurrentValues(values)
}

fn yes_no_code(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "yes",
        Some(false) => "no",
        None => "dont_know",
    }
}

/// Marks the choice whose code is `value` as the one selected, when something is.
fn select(mut choices: Vec<Choice>, value: &str) -> Vec<Choice> {
    if !value.is_empty() {
        for c in &mut choices {
            c.selected = c.code == value;
        }
    }
    choices
}

fn compose(phone: &Phone, session: &Session, step: Step) -> ComposeView {
    let lang = phone.lang();
    let t = |k: K| i18n::tr(lang, k);
    let empty = super::draft::new_report(workvoice_proto::keys::ReportId([0; 16]), lang);
    let report = session.draft.as_ref().map_or(&empty, |d| &d.report);
    let current = current_values(report);
    let shown = |id: FieldId| session.form.shown(id, current.get(id));
    let text = |id: FieldId, key: K, kind: InputKind| Field {
        id,
        label: t(key),
        value: shown(id),
        kind,
        errors: Vec::new(),
    };
    let pick = |id: FieldId, key: K, choices: Vec<Choice>| OptionGroup {
        id,
        label: t(key),
        choices: select(choices, &shown(id)),
        multiple: false,
        errors: Vec::new(),
    };
    let action = |id: ActionId, key: K| Action { id, label: t(key) };
    let mut fields = Vec::new();
    let mut options = Vec::new();
    let mut items = Vec::new();
    let mut actions = Vec::new();
    let mut escrow_help = None;
    let help = match step {
        Step::Money => {
            fields.push(text(FieldId::FeeAmount, K::FieldAmount, InputKind::Number));
            fields.push(text(
                FieldId::FeeCurrency,
                K::FieldCurrency,
                InputKind::Code,
            ));
            fields.push(text(FieldId::FeePaidOn, K::FieldPaidOn, InputKind::Date));
            options.push(pick(
                FieldId::FeePayee,
                K::FieldPayee,
                choices(lang, &PAYEES, None),
            ));
            options.push(pick(
                FieldId::FeeStage,
                K::FieldStage,
                choices(lang, &STAGES, None),
            ));
            options.push(pick(
                FieldId::FeeCategory,
                K::FieldCategory,
                choices(lang, &COSTS, None),
            ));
            options.push(pick(
                FieldId::FeeReceipt,
                K::FieldReceipt,
                yes_no(lang, None),
            ));
            options.push(pick(
                FieldId::DeductionReason,
                K::FieldDeductionReason,
                choices(lang, &DEDUCTIONS, None),
            ));
            fields.push(text(
                FieldId::LoanAmount,
                K::FieldLoanAmount,
                InputKind::Number,
            ));
            fields.push(text(
                FieldId::LoanCurrency,
                K::FieldLoanCurrency,
                InputKind::Code,
            ));
            fields.push(text(
                FieldId::LoanInterest,
                K::FieldLoanInterest,
                InputKind::Number,
            ));
            options.push(pick(
                FieldId::LoanLender,
                K::FieldLender,
                choices(lang, &LENDERS, None),
            ));
            actions.push(action(ActionId::AddFee, K::FieldAddFee));
            actions.push(action(ActionId::AddDeduction, K::FieldAddDeduction));
            actions.push(action(ActionId::AddLoan, K::FieldAddLoan));
            for (i, fee) in report.fees.iter().enumerate() {
                items.push(ListItem {
                    list: ListId::Fees,
                    index: i as u32,
                    text: format!(
                        "{} · {} · {} · {}",
                        format_money(&fee.amount),
                        label_of(lang, &PAYEES, &fee.payee),
                        label_of(lang, &STAGES, &fee.stage),
                        label_of(lang, &COSTS, &fee.category)
                    ),
                });
            }
            for (i, d) in report.deductions.iter().enumerate() {
                items.push(ListItem {
                    list: ListId::Deductions,
                    index: i as u32,
                    text: format!(
                        "{} · {}",
                        format_money(&d.amount),
                        label_of(lang, &DEDUCTIONS, &d.reason)
                    ),
                });
            }
            for (i, loan) in report.loans.iter().enumerate() {
                let mut text = format!(
                    "{} · {}",
                    format_money(&loan.principal),
                    label_of(lang, &LENDERS, &loan.lender)
                );
                if let Some(bp) = loan.interest_bp_per_month {
                    text.push_str(" · ");
                    text.push_str(&i18n::trf(
                        lang,
                        K::LoanInterestText,
                        &[("percent", format_percent(bp))],
                    ));
                }
                items.push(ListItem {
                    list: ListId::Loans,
                    index: i as u32,
                    text,
                });
            }
            K::StepMoneyHelp
        }
        Step::WhatHappened => {
            options.push(OptionGroup {
                id: FieldId::Indicators,
                label: t(K::StepWhatHappened),
                choices: Indicator::ALL
                    .iter()
                    .map(|i| Choice {
                        code: i.as_str().into(),
                        label: t(indicator_key(*i)),
                        selected: report.indicators.contains(i),
                    })
                    .collect(),
                multiple: true,
                errors: Vec::new(),
            });
            K::StepWhatHappenedHelp
        }
        Step::People => {
            fields.push(text(
                FieldId::RecruiterName,
                K::FieldRecruiterName,
                InputKind::Text,
            ));
            fields.push(text(
                FieldId::RecruiterLicenceNumber,
                K::FieldLicence,
                InputKind::Code,
            ));
            fields.push(text(
                FieldId::RecruiterCountry,
                K::FieldPartyCountry,
                InputKind::Code,
            ));
            fields.push(text(
                FieldId::EmployerName,
                K::FieldEmployerName,
                InputKind::Text,
            ));
            fields.push(text(
                FieldId::EmployerLicenceNumber,
                K::FieldLicence,
                InputKind::Code,
            ));
            fields.push(text(
                FieldId::EmployerCountry,
                K::FieldPartyCountry,
                InputKind::Code,
            ));
            K::StepPeopleHelp
        }
        Step::Place => {
            fields.push(text(
                FieldId::DestinationCountry,
                K::FieldDestination,
                InputKind::Code,
            ));
            fields.push(text(
                FieldId::OriginCountry,
                K::FieldOrigin,
                InputKind::Code,
            ));
            options.push(pick(
                FieldId::Sector,
                K::FieldSector,
                Sector::ALL
                    .iter()
                    .map(|s| Choice {
                        code: s.letter().to_string(),
                        label: t(sector_key(*s)),
                        selected: false,
                    })
                    .collect(),
            ));
            K::StepPlaceHelp
        }
        Step::Wage => {
            fields.push(text(
                FieldId::PromisedTitle,
                K::FieldPromisedJob,
                InputKind::Text,
            ));
            fields.push(text(
                FieldId::PromisedWage,
                K::FieldPromisedWage,
                InputKind::Number,
            ));
            fields.push(text(
                FieldId::PromisedCurrency,
                K::FieldPromisedCurrency,
                InputKind::Code,
            ));
            fields.push(text(
                FieldId::PromisedEmployer,
                K::FieldPromisedEmployer,
                InputKind::Text,
            ));
            fields.push(text(
                FieldId::ActualTitle,
                K::FieldActualJob,
                InputKind::Text,
            ));
            fields.push(text(FieldId::WageAmount, K::FieldWage, InputKind::Number));
            fields.push(text(
                FieldId::WageCurrency,
                K::FieldCurrency,
                InputKind::Code,
            ));
            options.push(pick(
                FieldId::ContractSubstituted,
                K::FieldContractChanged,
                yes_no(lang, None),
            ));
            options.push(pick(
                FieldId::VisaType,
                K::FieldVisaType,
                choices(lang, &VISAS, None),
            ));
            K::StepWageHelp
        }
        Step::Story => {
            fields.push(text(FieldId::StoryText, K::FieldStory, InputKind::LongText));
            fields.push(text(
                FieldId::StoryLanguage,
                K::FieldStoryLanguage,
                InputKind::Code,
            ));
            K::StepStoryHelp
        }
        Step::Evidence => {
            actions.push(action(ActionId::PickEvidence, K::FieldEvidenceAdd));
            for (i, a) in report.attachments.iter().enumerate() {
                items.push(ListItem {
                    list: ListId::Evidence,
                    index: i as u32,
                    text: i18n::trf(
                        lang,
                        K::FieldEvidenceItem,
                        &[
                            ("number", (i + 1).to_string()),
                            ("size", a.size.div_ceil(1024).to_string()),
                        ],
                    ),
                });
            }
            K::StepEvidenceHelp
        }
        Step::Consent => {
            let c = report.consent;
            options.push(OptionGroup {
                id: FieldId::Consent,
                label: t(K::StepConsent),
                choices: flag_choices(
                    lang,
                    [
                        ("union", K::ConsentUnion, c.union),
                        ("inspectorate", K::ConsentInspectorate, c.inspectorate),
                        ("ngo", K::ConsentNgo, c.ngo),
                        ("contact_wanted", K::ConsentContact, c.contact_wanted),
                    ],
                ),
                multiple: true,
                errors: Vec::new(),
            });
            // Send now, or wait until others report this recruiter (PROTOCOL.md 18.10).
            let offer = super::escrow::offer(
                session.directory.as_ref(),
                report,
                super::escrow::invite_kept(session),
            );
            if offer == Some(super::escrow::Offer::NeedsInvite) {
                // The union takes escrow only with an invite (PROTOCOL.md 18.12): no question.
                escrow_help = Some(t(K::EscrowNeedsInvite));
            }
            if let Some(super::escrow::Offer::Question(k)) = offer {
                let wait = session.draft.as_ref().is_some_and(|d| d.escrow);
                options.push(OptionGroup {
                    id: FieldId::Escrow,
                    label: t(K::EscrowQuestion),
                    choices: flag_choices(
                        lang,
                        [("now", K::EscrowNow, !wait), ("wait", K::EscrowWait, wait)],
                    ),
                    multiple: false,
                    errors: Vec::new(),
                });
                escrow_help = Some(i18n::trf(lang, K::EscrowHelp, &[("count", k.to_string())]));
            }
            K::StepConsentHelp
        }
    };
    // Each problem goes next to its input; the rest above them.
    let mut errors = Vec::new();
    for message in field_messages(phone, session, report, Some(step)) {
        let id = FieldId::of_path(&message.field);
        if let Some(f) = fields.iter_mut().find(|f| Some(f.id) == id) {
            f.errors.push(message);
        } else if let Some(g) = options.iter_mut().find(|g| Some(g.id) == id) {
            g.errors.push(message);
        } else {
            errors.push(message);
        }
    }
    let number = Step::ALL.iter().position(|s| *s == step).unwrap_or(0) as u32 + 1;
    ComposeView {
        step,
        help: match escrow_help {
            Some(more) => format!("{} {more}", t(help)),
            None => t(help),
        },
        counter: i18n::trf(
            lang,
            K::StepCounter,
            &[
                ("number", number.to_string()),
                ("count", Step::ALL.len().to_string()),
            ],
        ),
        step_number: number,
        step_count: Step::ALL.len() as u32,
        steps: Step::ALL
            .iter()
            .map(|s| StepChoice {
                step: *s,
                label: t(s.title()),
                selected: *s == step,
            })
            .collect(),
        fields,
        options,
        items,
        errors,
        actions,
        next: if number as usize == Step::ALL.len() {
            t(K::ComposeReview)
        } else {
            t(K::Next)
        },
        back: t(K::Back),
        discard: t(K::ComposeDiscard),
    }
}

pub fn kind_key(kind: &ReportKind) -> K {
    match kind.as_str() {
        "recruitment_fees" => K::KindRecruitmentFees,
        "forced_labour" => K::KindForcedLabour,
        "wage_theft" => K::KindWageTheft,
        "contract_substitution" => K::KindContractSubstitution,
        _ => K::KindOther,
    }
}

pub fn org_kind_key(kind: OrgKind) -> K {
    match kind {
        OrgKind::Union => K::OrgUnion,
        OrgKind::Inspectorate => K::OrgInspectorate,
        OrgKind::Ngo | OrgKind::Unknown => K::OrgNgo,
    }
}

pub fn untrusted_key(reason: &str) -> K {
    match reason {
        "certificate_mismatch" => K::UntrustedMismatch,
        "certificate_not_yet_valid" => K::UntrustedNotYetValid,
        "certificate_expired" => K::UntrustedExpired,
        "certificate_revoked" => K::UntrustedRevoked,
        _ => K::UntrustedBadSignature,
    }
}

fn org_name(lang: &str, directory: Option<&VerifiedDirectory>, id: &OrgId) -> String {
    directory
        .and_then(|d| d.listing.organisation(id))
        .map(|o| o.name(lang).to_string())
        .unwrap_or_else(|| id.to_hex()[..8].to_string())
}

fn review(phone: &Phone, session: &Session) -> ReviewView {
    let lang = phone.lang();
    let t = |k: K| i18n::tr(lang, k);
    let empty = super::draft::new_report(workvoice_proto::keys::ReportId([0; 16]), lang);
    let report = session.draft.as_ref().map_or(&empty, |d| &d.report);
    let tags = report.routing_tags();
    let consent = report.consent;
    let mut disclosed = vec![Line {
        label: t(K::ReviewDestination),
        value: tags.destination_country.clone(),
    }];
    if let Some(sector) = tags.sector {
        disclosed.push(Line {
            label: t(K::ReviewSector),
            value: format!("{} ({})", t(sector_key(sector)), sector.letter()),
        });
    }
    disclosed.push(Line {
        label: t(K::ReviewKinds),
        value: tags
            .kinds
            .iter()
            .map(|k| t(kind_key(k)))
            .collect::<Vec<_>>()
            .join(", "),
    });
    let mut allowed = Vec::new();
    if consent.union {
        allowed.push(t(K::OrgUnion));
    }
    if consent.inspectorate {
        allowed.push(t(K::OrgInspectorate));
    }
    if consent.ngo {
        allowed.push(t(K::OrgNgo));
    }
    disclosed.push(Line {
        label: t(K::ReviewConsent),
        value: allowed.join(", "),
    });
    let mut recipients = Vec::new();
    let mut withheld = Vec::new();
    let mut note = None;
    let mut can_send = true;
    match &session.directory {
        None => note = Some(t(K::ReviewNoDirectory)),
        Some(directory) => {
            match route(&tags, &consent, &directory.listing) {
                Ok(routed) => {
                    for r in &routed.recipients {
                        let rule = directory.listing.rules.iter().find(|x| x.id == r.rule_id);
                        let mut what = Vec::new();
                        if let Some(rule) = rule {
                            if !rule.destination_countries.is_empty() {
                                what.push(rule.destination_countries.join(", "));
                            }
                            what.extend(rule.sectors.iter().map(|s| t(sector_key(*s))));
                            what.extend(rule.kinds.iter().map(|k| t(kind_key(k))));
                        }
                        let reason = if what.is_empty() {
                            t(K::ReviewReasonAll)
                        } else {
                            i18n::trf(lang, K::ReviewReason, &[("what", what.join(", "))])
                        };
                        let problem = directory.certified_key(&r.org_id).err().map(
                            |reason: UntrustedReason| {
                                i18n::trf(
                                    lang,
                                    K::ReviewUntrusted,
                                    &[
                                        ("org", org_name(lang, Some(directory), &r.org_id)),
                                        ("reason", t(untrusted_key(reason.code()))),
                                    ],
                                )
                            },
                        );
                        recipients.push(RecipientView {
                            org_id: r.org_id.to_hex(),
                            name: org_name(lang, Some(directory), &r.org_id),
                            kind: t(org_kind_key(r.kind)),
                            reason,
                            problem,
                        });
                    }
                    for w in &routed.withheld {
                        withheld.push(RecipientView {
                            org_id: w.org_id.to_hex(),
                            name: org_name(lang, Some(directory), &w.org_id),
                            kind: t(org_kind_key(w.kind)),
                            reason: i18n::trf(
                                lang,
                                K::ReviewWithheldReason,
                                &[("kind", t(org_kind_key(w.kind)))],
                            ),
                            problem: None,
                        });
                    }
                }
                Err(RoutingError::NoRecipient { .. }) | Err(_) => {
                    note = Some(t(K::ReviewNoRecipient));
                    can_send = false;
                }
            }
        }
    }
    ReviewView {
        intro: t(K::ReviewIntro),
        disclosed,
        recipients_title: t(K::ReviewRecipients),
        recipients,
        withheld_title: t(K::ReviewWithheld),
        withheld,
        note,
        summary: vec![
            i18n::trf(
                lang,
                K::ReviewSummaryFees,
                &[("count", report.fees.len().to_string())],
            ),
            i18n::trf(
                lang,
                K::ReviewSummaryIndicators,
                &[("count", report.indicators.len().to_string())],
            ),
            i18n::trf(
                lang,
                K::ReviewSummaryPhotos,
                &[("count", report.attachments.len().to_string())],
            ),
        ],
        send: if phone.busy {
            t(K::ReviewSaving)
        } else {
            t(K::ReviewSend)
        },
        edit: t(K::ReviewEdit),
        can_send: can_send && problems(report).is_empty(),
    }
}

pub fn delivery_state(record: &OutboxRecord) -> DeliveryState {
    match record.phase {
        Phase::Waiting => DeliveryState::Waiting,
        Phase::Sending => DeliveryState::Sending,
        Phase::Failed => DeliveryState::Failed,
        Phase::Accepted => {
            if !record.replies.is_empty() {
                DeliveryState::Replied
            } else if record
                .statuses
                .iter()
                .any(|s| s.status != MailboxStatus::Delivered)
            {
                DeliveryState::Acknowledged
            } else if !record.statuses.is_empty() {
                DeliveryState::Delivered
            } else {
                DeliveryState::Sent
            }
        }
    }
}

fn state_key(state: DeliveryState) -> K {
    match state {
        DeliveryState::Draft => K::StateDraft,
        DeliveryState::Waiting => K::StateWaiting,
        DeliveryState::Sending => K::StateSending,
        DeliveryState::Sent => K::StateSent,
        DeliveryState::Delivered => K::StateDelivered,
        DeliveryState::Acknowledged => K::StateAcknowledged,
        DeliveryState::Replied => K::StateReplied,
        DeliveryState::Failed => K::StateFailed,
    }
}

fn outbox_item(phone: &Phone, record: &OutboxRecord) -> OutboxItem {
    let lang = phone.lang();
    let t = |k: K| i18n::tr(lang, k);
    let state = delivery_state(record);
    let number = (record.order + 1).to_string();
    let detail = match (&record.failure, &record.transient) {
        (
            Some(Failure::UntrustedKey {
                org_name, reason, ..
            }),
            _,
        ) => Some(i18n::trf(
            lang,
            K::FailedUntrusted,
            &[
                ("org", org_name.clone()),
                ("reason", t(untrusted_key(reason))),
            ],
        )),
        (Some(Failure::NoRecipient), _) => Some(t(K::FailedNoRecipient)),
        (Some(Failure::EscrowRefused), _) => Some(t(K::EscrowRefused)),
        (Some(Failure::EscrowDuplicate), _) => Some(t(K::EscrowDuplicate)),
        (Some(Failure::TokenBudgetSpent), _) => Some(t(K::EscrowBudgetSpent)),
        (Some(Failure::UnknownInvite), _) => Some(t(K::EscrowUnknownInvite)),
        (Some(Failure::Refused { error }), _) => Some(i18n::trf(
            lang,
            K::FailedRefused,
            &[("code", error.clone())],
        )),
        (None, Some(_)) if record.phase == Phase::Accepted && !record.uploads_pending() => None,
        (None, Some(Transient::NoSignal)) => Some(t(K::TransientNoSignal)),
        (None, Some(Transient::PrivateRoute)) => Some(t(K::PrivateRouteWaiting)),
        (None, Some(Transient::RelayBusy { .. })) => Some(t(K::TransientBusy)),
        (None, Some(Transient::Directory { error })) => Some(i18n::trf(
            lang,
            K::TransientDirectory,
            &[("code", error.clone())],
        )),
        (None, Some(Transient::PowTooHard { .. })) => Some(t(K::TransientPowTooHard)),
        (None, Some(Transient::Token { .. })) => Some(t(K::TransientToken)),
        (None, None) if record.uploads_pending() && record.phase == Phase::Accepted => {
            Some(i18n::trf(
                lang,
                K::UploadingPhotos,
                &[
                    (
                        "done",
                        record
                            .uploads
                            .iter()
                            .filter(|u| u.complete)
                            .count()
                            .to_string(),
                    ),
                    ("count", record.uploads.len().to_string()),
                ],
            ))
        }
        (None, None) => match &record.escrow {
            Some(e) if record.phase != Phase::Accepted && e.request.is_some() => {
                Some(t(K::EscrowPreparing))
            }
            _ => None,
        },
    };
    let left_out = record.left_out.iter().map(|note| {
        i18n::trf(
            lang,
            K::PartialLeftOut,
            &[
                ("org", note.org_name.clone()),
                ("reason", t(untrusted_key(&note.reason))),
            ],
        )
    });
    let detail = if record.failure.is_none() {
        let lines: Vec<String> = detail.into_iter().chain(left_out).collect();
        (!lines.is_empty()).then(|| lines.join("\n"))
    } else {
        detail
    };
    OutboxItem {
        report_id: record.report_id.to_hex(),
        title: if record.report.is_some() {
            i18n::trf(lang, K::OutboxItemTitle, &[("number", number)])
        } else {
            i18n::trf(
                lang,
                K::OutboxRecovered,
                &[("number", (record.index + 1).to_string())],
            )
        },
        state,
        state_text: match (&record.escrow, record.phase) {
            // Never a count of others (PROTOCOL.md 18.10): only how many are needed.
            (Some(e), Phase::Accepted) if e.waiting() => i18n::trf(
                lang,
                K::EscrowWaiting,
                &[(
                    "count",
                    e.threshold
                        .unwrap_or(workvoice_proto::escrow::DEFAULT_THRESHOLD)
                        .to_string(),
                )],
            ),
            (Some(_), Phase::Accepted) if record.statuses.is_empty() => t(K::EscrowReleased),
            _ => t(state_key(state)),
        },
        detail,
        replies: record.replies.len() as u32,
        uploads_pending: if record.phase == Phase::Accepted {
            record.uploads.iter().filter(|u| !u.complete).count() as u32
        } else {
            0
        },
        retry: (state == DeliveryState::Failed).then(|| {
            if record.failure.as_ref().is_some_and(Failure::can_send_now) {
                t(K::EscrowNow)
            } else {
                t(K::Retry)
            }
        }),
    }
}

fn outbox_items(phone: &Phone, session: &Session) -> Vec<OutboxItem> {
    let mut records: Vec<&OutboxRecord> = session.outbox.values().collect();
    records.sort_by_key(|r| std::cmp::Reverse(r.order));
    let mut items = Vec::new();
    if session.draft.is_some() {
        let lang = phone.lang();
        items.push(OutboxItem {
            report_id: String::new(),
            title: i18n::tr(lang, K::HomeContinueDraft),
            state: DeliveryState::Draft,
            state_text: i18n::tr(lang, K::StateDraft),
            detail: None,
            replies: 0,
            uploads_pending: 0,
            retry: None,
        });
    }
    items.extend(records.into_iter().map(|r| outbox_item(phone, r)));
    items
}

pub fn status_key(status: MailboxStatus) -> K {
    match status {
        MailboxStatus::Delivered => K::StatusDelivered,
        MailboxStatus::Acknowledged => K::StatusAcknowledged,
        MailboxStatus::Received => K::StatusReceived,
        MailboxStatus::InReview => K::StatusInReview,
        MailboxStatus::Referred => K::StatusReferred,
        MailboxStatus::Resolved => K::StatusResolved,
        MailboxStatus::Closed => K::StatusClosed,
        MailboxStatus::Unknown => K::StatusUnknown,
    }
}

/// Statuses oldest first: a sealed one by the time the organisation set it (so one a relay
/// served late does not read as the newest), the relay's delivery statuses by their hour.
fn statuses_in_order(record: &OutboxRecord) -> Vec<&super::records::StatusNote> {
    let mut notes: Vec<_> = record.statuses.iter().collect();
    notes.sort_by_key(|s| s.set_at.unwrap_or(s.at_hour));
    notes
}

fn report_view(phone: &Phone, session: &Session, record: &OutboxRecord) -> ReportView {
    let lang = phone.lang();
    let t = |k: K| i18n::tr(lang, k);
    let directory = session.directory.as_ref();
    ReportView {
        item: outbox_item(phone, record),
        statuses_title: t(K::ReportStatuses),
        statuses: statuses_in_order(record)
            .into_iter()
            .map(|s| {
                i18n::trf(
                    lang,
                    K::ReportStatusLine,
                    &[
                        ("org", org_name(lang, directory, &s.org_id)),
                        ("status", t(status_key(s.status))),
                    ],
                )
            })
            .collect(),
        messages_title: t(K::ReportMessages),
        messages: record
            .replies
            .iter()
            .map(|r| MessageView {
                from: org_name(lang, directory, &r.org_id),
                text: r.text.clone(),
                language: r.language.clone(),
                at_hour: r.at_hour,
            })
            .collect(),
        empty: t(K::ReportNoMessages),
        rejected: (record.rejected_replies > 0).then(|| {
            i18n::trf(
                lang,
                K::ReportRejected,
                &[("count", record.rejected_replies.to_string())],
            )
        }),
        withdraw: match (record.phase, record.withdrawal) {
            (Phase::Waiting | Phase::Failed, _) => Some(t(K::ReportWithdrawQueued)),
            (Phase::Sending | Phase::Accepted, None) => Some(t(K::ReportWithdrawSent)),
            (_, Some(_)) => None,
        },
        withdrawal: record.withdrawal.map(|w| match w {
            Withdrawal::Requested => t(K::ReportWithdrawalRequested),
            Withdrawal::Sent if super::escrow::waiting(record) => t(K::EscrowWithdrawn),
            Withdrawal::Sent => t(K::ReportWithdrawalSent),
        }),
    }
}
