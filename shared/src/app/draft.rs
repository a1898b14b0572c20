//! Composing a report step by step, and what is wrong with it, field by field.

use std::ops::ControlFlow;

use crux_core::Command;
use crux_core::render::render;
use workvoice_proto::attachment::{AttachmentSealer, seal_attachment};
use workvoice_proto::iso;
use workvoice_proto::keys::{AttachmentId, HpkePublicKey, ReportId};
use workvoice_proto::recovery::withdrawal_hash;
use workvoice_proto::report::{
    CostCategory, DeductionReason, FieldError, FieldProblem, Indicator, LenderKind, Loan,
    MAX_ATTACHMENTS, Money, NamedParty, PayeeRole, REPORT_SCHEMA_VERSION, RecruitmentFee,
    RecruitmentStage, Report, Sector, VisaType, WageDeduction,
};
use workvoice_proto::routing::Consent;

use facet::Facet;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::form::{ActionId, FieldId, ListId};
use super::records::{
    ATTACHMENT_CHUNK_BYTES, Draft, IntakeRecord, NS_ATTACHMENTS, NS_DRAFT, OutboxRecord,
    attachment_chunk_key, attachment_deletes, attachment_puts,
};
use super::{
    Cmd, Event, FileReadOperation, FileReadOutput, Internal, Msg, Page, Phone, Session,
    VaultOperation, VaultOutput, VaultWrite, vault,
};
use crate::evidence::{EvidenceError, MAX_ATTACHMENT_BYTES, MetadataStripper, strip_metadata};
use crate::i18n::K;

/// The steps of writing a report, in order.
#[derive(
    Facet, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash,
)]
#[repr(C)]
pub enum Step {
    Money,
    WhatHappened,
    People,
    Place,
    Wage,
    Story,
    Evidence,
    Consent,
}

impl Step {
    pub const ALL: [Step; 8] = [
        Step::Money,
        Step::WhatHappened,
        Step::People,
        Step::Place,
        Step::Wage,
        Step::Story,
        Step::Evidence,
        Step::Consent,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Step::Money => "money",
            Step::WhatHappened => "what_happened",
            Step::People => "people",
            Step::Place => "place",
            Step::Wage => "wage",
            Step::Story => "story",
            Step::Evidence => "evidence",
            Step::Consent => "consent",
        }
    }

    pub fn from_code(code: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn title(self) -> K {
        match self {
            Step::Money => K::StepMoney,
            Step::WhatHappened => K::StepWhatHappened,
            Step::People => K::StepPeople,
            Step::Place => K::StepPlace,
            Step::Wage => K::StepWage,
            Step::Story => K::StepStory,
            Step::Evidence => K::StepEvidence,
            Step::Consent => K::StepConsent,
        }
    }

    fn index(self) -> usize {
        Step::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    /// The step where a field of the report is entered.
    pub fn of_field(field: &str) -> Step {
        let head = field.split(['.', '[']).next().unwrap_or("");
        match head {
            "fees" | "loans" | "deductions" | "fee" | "loan" | "deduction" => Step::Money,
            "indicators" => Step::WhatHappened,
            "recruiter" | "employer" => Step::People,
            "destination_country" | "origin_country" | "sector" => Step::Place,
            "monthly_wage" | "job" | "wage" => Step::Wage,
            "attachments" | "evidence" => Step::Evidence,
            "consent" => Step::Consent,
            _ => Step::Story,
        }
    }
}

/// The message for one problem of one field.
pub fn problem_key(problem: &FieldProblem) -> K {
    match problem {
        FieldProblem::Required => K::ProblemRequired,
        FieldProblem::TooLong { .. } => K::ProblemTooLong,
        FieldProblem::TooMany { .. } => K::ProblemTooMany,
        FieldProblem::InvalidCountry => K::ProblemInvalidCountry,
        FieldProblem::InvalidCurrency => K::ProblemInvalidCurrency,
        FieldProblem::InvalidDate => K::ProblemInvalidDate,
        FieldProblem::AmountTooLarge => K::ProblemAmountTooLarge,
        FieldProblem::InvalidLanguage => K::ProblemInvalidLanguage,
        FieldProblem::NoRecipientConsented => K::ProblemNoRecipientConsented,
        FieldProblem::UnknownValue => K::ProblemUnknownValue,
        FieldProblem::InvalidMediaType => K::ProblemInvalidMediaType,
        FieldProblem::Duplicate => K::ProblemDuplicate,
    }
}

/// The `{max}` of a problem, if it has one.
pub fn problem_max(problem: &FieldProblem) -> Option<usize> {
    match problem {
        FieldProblem::TooLong { max } | FieldProblem::TooMany { max } => Some(*max),
        _ => None,
    }
}

pub fn new_report(report_id: ReportId, language: &str) -> Report {
    Report {
        schema: REPORT_SCHEMA_VERSION,
        report_id,
        language: language.to_string(),
        written_on: None,
        fees: Vec::new(),
        loans: Vec::new(),
        deductions: Vec::new(),
        job: Default::default(),
        indicators: Vec::new(),
        recruiter: None,
        employer: None,
        origin_country: None,
        destination_country: String::new(),
        sector: None,
        monthly_wage: None,
        free_text: String::new(),
        attachments: Vec::new(),
        consent: Consent {
            union: true,
            inspectorate: false,
            ngo: false,
            contact_wanted: false,
        },
        // Set when the report is queued: the key of its number on this device.
        reply_key: HpkePublicKey([0; 32]),
        withdrawal_hash: None,
        channel: None,
    }
}

/// Parse an amount typed by the worker ("15000", "1,500.50") into minor units of `currency`.
pub fn parse_amount(text: &str, currency: &str) -> Option<u64> {
    parse_decimal(
        text,
        u32::from(iso::currency_exponent(currency).unwrap_or(2)),
    )
}

/// Parse a monthly interest typed in percent ("3", "2.5", "3%") into basis points (1% = 100).
pub fn parse_interest(text: &str) -> Option<u32> {
    let text = text.trim();
    let text = text.strip_suffix('%').unwrap_or(text);
    u32::try_from(parse_decimal(text, 2)?).ok()
}

/// Parse a whole number of hundredths, thousandths, ... (`exponent` decimals at most).
fn parse_decimal(text: &str, exponent: u32) -> Option<u64> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | ' ' | '_' | '\''))
        .collect();
    if cleaned.is_empty() {
        return None;
    }
    let (whole, fraction) = match cleaned.split_once('.') {
        Some((w, f)) => (w, f),
        None => (cleaned.as_str(), ""),
    };
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || !digits(fraction) || fraction.len() > exponent as usize {
        return None;
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut frac: u64 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().ok()?
    };
    for _ in fraction.len()..exponent as usize {
        frac = frac.checked_mul(10)?;
    }
    whole
        .checked_mul(10u64.checked_pow(exponent)?)?
        .checked_add(frac)
}

/// Read a wire code (`sub_agent`, `origin`...) into a proto enumeration; unknown codes become
/// its `Unknown` value, which validation reports.
pub fn code<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(text.trim().to_string())).ok()
}

fn country(text: &str) -> String {
    text.trim().to_ascii_uppercase()
}

fn party(name: String, licence: String, country_text: String) -> Option<NamedParty> {
    if name.trim().is_empty() && licence.trim().is_empty() && country_text.trim().is_empty() {
        return None;
    }
    Some(NamedParty {
        name: name.trim().to_string(),
        licence_number: Some(licence.trim().to_string()).filter(|l| !l.is_empty()),
        country: Some(country(&country_text)).filter(|c| !c.is_empty()),
    })
}

/// The problems of the current draft, with the step each belongs to.
pub fn problems(report: &Report) -> Vec<FieldError> {
    report.validate().err().unwrap_or_default()
}

fn save_draft(session: &Session) -> Cmd {
    match &session.draft {
        Some(draft) => vault(
            VaultOperation::Write {
                ops: vec![draft.write()],
                flush: true,
            },
            Internal::Saved,
        ),
        None => Command::done(),
    }
}

fn open_step(session: &mut Session, step: Step) -> Cmd {
    session.page = Page::Compose { step };
    session.form_error = None;
    session.form.clear();
    Command::all([save_draft(session), render()])
}

pub(crate) fn compose(event: Event, phone: &mut Phone, session: &mut Session) -> Cmd {
    if let Event::NewReport = event {
        if session.draft.is_none() {
            let id = ReportId(phone.rng.bytes());
            session.draft = Some(Draft {
                report: new_report(id, &phone.language),
                escrow: false,
            });
            session.checked_steps.clear();
        }
        return open_step(session, Step::Money);
    }
    let step = match session.page {
        Page::Compose { step } => Some(step),
        _ => None,
    };
    if session.draft.is_none() {
        return render();
    }
    let event = match form_event(event, phone, session) {
        ControlFlow::Continue(event) => event,
        ControlFlow::Break(cmd) => return cmd,
    };
    // Leaving the step: the report takes what was typed on it first.
    if let (
        Event::NextStep | Event::PreviousStep | Event::GoToStep { .. } | Event::Review,
        Some(step),
    ) = (&event, step)
    {
        commit_form(phone, session, step);
    }
    if session.page == Page::Review && event == Event::PreviousStep {
        return open_step(session, Step::Consent);
    }
    let Some(draft) = session.draft.as_mut() else {
        return render();
    };
    let report = &mut draft.report;
    // A value the step's inputs hold but the report could not take (a wage that is not a
    // number) keeps its message, and the worker on the step, until it is typed again or she
    // leaves the step another way, as a problem of the report does. Other form messages are
    // about one tap and go with the next.
    if !session
        .form_error
        .as_ref()
        .is_some_and(|(f, _)| holds_step(f))
    {
        session.form_error = None;
    }
    match event {
        Event::GoToStep { step } => open_step(session, step),
        Event::NextStep => {
            let Some(step) = step else { return render() };
            session.checked_steps.insert(step);
            if session
                .form_error
                .as_ref()
                .is_some_and(|(f, _)| Step::of_field(f) == step)
            {
                return render();
            }
            let blocking = problems(report)
                .iter()
                .any(|e| Step::of_field(&e.field) == step);
            if blocking {
                return render();
            }
            match Step::ALL.get(step.index() + 1) {
                Some(next) => open_step(session, *next),
                None => review(phone, session),
            }
        }
        Event::PreviousStep => match step.and_then(|s| s.index().checked_sub(1)) {
            Some(i) => open_step(session, Step::ALL[i]),
            None => go_home(session),
        },
        Event::AddFee {
            amount,
            currency,
            payee,
            stage,
            category,
            paid_on,
            receipt,
        } => {
            let currency = currency.trim().to_ascii_uppercase();
            let Some(amount_minor) = parse_amount(&amount, &currency) else {
                session.form_error = Some(("fee.amount".into(), K::AmountNotANumber));
                return render();
            };
            report.fees.push(RecruitmentFee {
                amount: Money {
                    amount_minor,
                    currency,
                },
                paid_on: Some(paid_on.trim().to_string()).filter(|d| !d.is_empty()),
                payee: code(&payee).unwrap_or(PayeeRole::Unknown),
                stage: code(&stage).unwrap_or(RecruitmentStage::Unknown),
                category: code(&category).unwrap_or(CostCategory::Unknown),
                receipt,
            });
            session.checked_steps.insert(Step::Money);
            Command::all([save_draft(session), render()])
        }
        Event::RemoveFee { index } => {
            if (index as usize) < report.fees.len() {
                report.fees.remove(index as usize);
            }
            Command::all([save_draft(session), render()])
        }
        Event::AddDeduction {
            amount,
            currency,
            reason,
            monthly,
        } => {
            let currency = currency.trim().to_ascii_uppercase();
            let Some(amount_minor) = parse_amount(&amount, &currency) else {
                session.form_error = Some(("deduction.amount".into(), K::AmountNotANumber));
                return render();
            };
            report.deductions.push(WageDeduction {
                amount: Money {
                    amount_minor,
                    currency,
                },
                reason: code(&reason).unwrap_or(DeductionReason::Unknown),
                recurring_monthly: monthly,
            });
            session.checked_steps.insert(Step::Money);
            Command::all([save_draft(session), render()])
        }
        Event::RemoveDeduction { index } => {
            if (index as usize) < report.deductions.len() {
                report.deductions.remove(index as usize);
            }
            Command::all([save_draft(session), render()])
        }
        Event::AddLoan {
            amount,
            currency,
            lender,
            interest,
        } => {
            let currency = currency.trim().to_ascii_uppercase();
            let Some(amount_minor) = parse_amount(&amount, &currency) else {
                session.form_error = Some(("loan.amount".into(), K::AmountNotANumber));
                return render();
            };
            let interest_bp_per_month = if interest.trim().is_empty() {
                None
            } else {
                let Some(bp) = parse_interest(&interest) else {
                    session.form_error = Some(("loan.interest".into(), K::InterestNotANumber));
                    return render();
                };
                Some(bp)
            };
            report.loans.push(Loan {
                lender: code(&lender).unwrap_or(LenderKind::Unknown),
                principal: Money {
                    amount_minor,
                    currency,
                },
                interest_bp_per_month,
                collateral: None,
            });
            session.checked_steps.insert(Step::Money);
            Command::all([save_draft(session), render()])
        }
        Event::RemoveLoan { index } => {
            if (index as usize) < report.loans.len() {
                report.loans.remove(index as usize);
            }
            Command::all([save_draft(session), render()])
        }
        Event::SetJob {
            promised_title,
            promised_wage,
            promised_currency,
            actual_title,
            promised_employer,
        } => {
            clear_form_error(&mut session.form_error, "job.");
            let text = |t: &str| Some(t.trim().to_string()).filter(|t| !t.is_empty());
            report.job.promised.title = text(&promised_title);
            report.job.actual.title = text(&actual_title);
            report.job.promised.employer = text(&promised_employer);
            if promised_wage.trim().is_empty() {
                report.job.promised.monthly_wage = None;
                return render();
            }
            let currency = promised_currency.trim().to_ascii_uppercase();
            let Some(amount_minor) = parse_amount(&promised_wage, &currency) else {
                session.form_error = Some(("job.promised.wage".into(), K::AmountNotANumber));
                return render();
            };
            report.job.promised.monthly_wage = Some(Money {
                amount_minor,
                currency,
            });
            render()
        }
        Event::SetIndicator { indicator, present } => {
            let indicator: Indicator = code(&indicator).unwrap_or(Indicator::Unknown);
            report.indicators.retain(|i| *i != indicator);
            if present {
                report.indicators.push(indicator);
                report.indicators.sort();
            }
            render()
        }
        Event::SetRecruiter {
            name,
            licence_number,
            country,
        } => {
            report.recruiter = party(name, licence_number, country);
            render()
        }
        Event::SetEmployer {
            name,
            licence_number,
            country,
        } => {
            report.employer = party(name, licence_number, country);
            render()
        }
        Event::SetPlace {
            destination_country,
            origin_country,
            sector,
        } => {
            report.destination_country = country(&destination_country);
            report.origin_country = Some(country(&origin_country)).filter(|c| !c.is_empty());
            let sector = sector.trim();
            report.sector = if sector.is_empty() {
                None
            } else {
                let mut chars = sector.chars();
                Some(match (chars.next(), chars.next()) {
                    (Some(c), None) => {
                        Sector::from_letter(c.to_ascii_uppercase()).unwrap_or(Sector::Unknown)
                    }
                    _ => Sector::Unknown,
                })
            };
            render()
        }
        Event::SetWage {
            amount,
            currency,
            contract_substituted,
        } => {
            let currency = currency.trim().to_ascii_uppercase();
            clear_form_error(&mut session.form_error, "monthly_wage.");
            report.job.contract_substituted = contract_substituted;
            if amount.trim().is_empty() {
                report.monthly_wage = None;
                return render();
            }
            let Some(amount_minor) = parse_amount(&amount, &currency) else {
                session.form_error = Some(("monthly_wage.amount".into(), K::AmountNotANumber));
                return render();
            };
            report.monthly_wage = Some(Money {
                amount_minor,
                currency,
            });
            render()
        }
        Event::SetStory { text, language } => {
            report.free_text = text;
            if !language.trim().is_empty() {
                report.language = language.trim().to_string();
            }
            render()
        }
        Event::SetVisa { visa_type } => {
            report.job.visa_type = Some(visa_type.trim())
                .filter(|v| !v.is_empty())
                .map(|v| code(v).unwrap_or(VisaType::Unknown));
            render()
        }
        Event::SetChannel { channel } => {
            report.channel = match channel.as_str() {
                "sms" => Some(workvoice_proto::report::Channel::Sms),
                "app" => Some(workvoice_proto::report::Channel::App),
                _ => None,
            };
            render()
        }
        Event::AddEvidence { bytes } => add_evidence(phone, session, &bytes),
        Event::AddEvidenceFile { path } => start_intake(phone, session, path),
        Event::RemoveEvidence { index } => {
            let index = index as usize;
            if index >= report.attachments.len() {
                return render();
            }
            let removed = report.attachments.remove(index);
            let mut ops = attachment_deletes(&report.report_id, &removed.id, removed.sealed_size);
            ops.push(draft.write());
            Command::all([
                vault(VaultOperation::Write { ops, flush: true }, Internal::Saved),
                render(),
            ])
        }
        Event::SetConsent {
            union,
            inspectorate,
            ngo,
            contact_wanted,
        } => {
            report.consent = Consent {
                union,
                inspectorate,
                ngo,
                contact_wanted,
            };
            render()
        }
        Event::Review => review(phone, session),
        Event::SendReport => send(phone, session),
        Event::DiscardDraft => {
            let Some(draft) = session.draft.take() else {
                return render();
            };
            let mut ops: Vec<VaultWrite> = draft
                .report
                .attachments
                .iter()
                .flat_map(|a| attachment_deletes(&draft.report.report_id, &a.id, a.sealed_size))
                .collect();
            ops.push(VaultWrite::Delete {
                ns: NS_DRAFT.into(),
                key: super::records::DRAFT_KEY.into(),
            });
            session.checked_steps.clear();
            session.form.clear();
            session.page = Page::Home;
            Command::all([
                vault(VaultOperation::Write { ops, flush: true }, Internal::Saved),
                render(),
            ])
        }
        _ => render(),
    }
}

/// The form's own events ([`Event::Input`], [`Event::Pick`], [`Event::Act`],
/// [`Event::RemoveItem`]): kept in the form (`Break`, with what to do), or turned into the
/// report event they stand for (`Continue`), which [`compose`] then handles as if the shell had
/// sent it.
fn form_event(event: Event, phone: &mut Phone, session: &mut Session) -> ControlFlow<Cmd, Event> {
    let Some(report) = session.draft.as_ref().map(|d| &d.report) else {
        return ControlFlow::Break(render());
    };
    match event {
        Event::Input { field, value } => {
            if session
                .form_error
                .as_ref()
                .is_some_and(|(f, _)| FieldId::of_path(f) == Some(field))
            {
                session.form_error = None;
            }
            session.form.set(field, value);
            ControlFlow::Break(render())
        }
        Event::Pick { field, code } => match field {
            FieldId::Indicators => {
                let present = !report.indicators.iter().any(|i| i.as_str() == code);
                ControlFlow::Continue(Event::SetIndicator {
                    indicator: code,
                    present,
                })
            }
            FieldId::Consent => {
                let mut c = report.consent;
                match code.as_str() {
                    "union" => c.union = !c.union,
                    "inspectorate" => c.inspectorate = !c.inspectorate,
                    "ngo" => c.ngo = !c.ngo,
                    "contact_wanted" => c.contact_wanted = !c.contact_wanted,
                    _ => return ControlFlow::Break(render()),
                }
                ControlFlow::Continue(Event::SetConsent {
                    union: c.union,
                    inspectorate: c.inspectorate,
                    ngo: c.ngo,
                    contact_wanted: c.contact_wanted,
                })
            }
            // Send now, or wait until others report this recruiter (PROTOCOL.md 18.10): on the
            // draft at once, like the consent.
            FieldId::Escrow => {
                let wait = match code.as_str() {
                    "now" => false,
                    "wait" => true,
                    _ => return ControlFlow::Break(render()),
                };
                if let Some(draft) = session.draft.as_mut() {
                    draft.escrow = wait;
                }
                ControlFlow::Break(Command::all([save_draft(session), render()]))
            }
            _ => {
                session.form.set(field, code);
                ControlFlow::Break(render())
            }
        },
        Event::Act { action } => match session.form.add_event(action) {
            Some(add) => {
                let cmd = compose(add, phone, session);
                if session.form_error.is_none() {
                    session.form.clear_adds();
                }
                ControlFlow::Break(cmd)
            }
            // The shell's own button (the photo picker): nothing for the core to do.
            None if action == ActionId::PickEvidence => ControlFlow::Break(Command::done()),
            None => ControlFlow::Break(render()),
        },
        Event::RemoveItem { list, index } => ControlFlow::Continue(match list {
            ListId::Fees => Event::RemoveFee { index },
            ListId::Deductions => Event::RemoveDeduction { index },
            ListId::Loans => Event::RemoveLoan { index },
            ListId::Evidence => Event::RemoveEvidence { index },
        }),
        other => ControlFlow::Continue(other),
    }
}

/// The report takes what was typed on `step` (see [`super::form::FormInputs::commit_events`]).
fn commit_form(phone: &mut Phone, session: &mut Session, step: Step) {
    let Some(report) = session.draft.as_ref().map(|d| &d.report) else {
        return;
    };
    let events = session
        .form
        .commit_events(step, &super::view::current_values(report));
    for event in events {
        // Each answers with a render, which the leaving event sends anyway.
        let _ = compose(event, phone, session);
    }
}

/// Forgets the form message about the inputs under `prefix`, which were just typed again.
fn clear_form_error(form_error: &mut Option<(String, K)>, prefix: &str) {
    if form_error
        .as_ref()
        .is_some_and(|(f, _)| f.starts_with(prefix))
    {
        *form_error = None;
    }
}

/// Whether a form message is about a value the step holds (see [`compose`]).
fn holds_step(field: &str) -> bool {
    field.starts_with("monthly_wage.") || field.starts_with("job.")
}

fn go_home(session: &mut Session) -> Cmd {
    session.page = Page::Home;
    session.form_error = None;
    session.form.clear();
    Command::all([save_draft(session), render()])
}

fn add_evidence(phone: &mut Phone, session: &mut Session, bytes: &[u8]) -> Cmd {
    let Some(draft) = session.draft.as_mut() else {
        return render();
    };
    let report = &mut draft.report;
    if report.attachments.len() >= MAX_ATTACHMENTS {
        session.form_error = Some(("evidence".into(), K::EvidenceTooMany));
        return render();
    }
    let stripped = match strip_metadata(bytes) {
        Ok(s) => s,
        Err(e) => {
            let key = match e {
                EvidenceError::TooLarge { .. } => K::EvidenceTooLarge,
                EvidenceError::UnsupportedType => K::EvidenceUnsupported,
                _ => K::EvidenceDamaged,
            };
            session.form_error = Some(("evidence".into(), key));
            return render();
        }
    };
    let sealed = seal_attachment(
        &stripped.bytes,
        stripped.media_type.mime(),
        report.report_id,
        &mut phone.rng,
    );
    // Each copy of a photo is megabytes: hold no more of them at once than needed.
    drop(stripped);
    let (entry, sealed) = match sealed {
        Ok(s) => s,
        Err(_) => {
            session.form_error = Some(("evidence".into(), K::EvidenceTooLarge));
            return render();
        }
    };
    let mut ops = attachment_puts(&report.report_id, &entry.id, &sealed);
    drop(sealed);
    report.attachments.push(entry);
    ops.push(draft.write());
    Command::all([
        draft_vault(VaultOperation::Write { ops, flush: true }, |out| {
            DraftStep::EvidenceSaved { out }
        }),
        render(),
    ])
}

/// Answers to composing's effects ([`Internal::Draft`]); handled only while unlocked.
#[derive(Debug)]
pub enum DraftStep {
    /// A report was written to the outbox (or the write failed).
    ReportQueued {
        report_id: ReportId,
        out: VaultOutput,
    },
    /// Evidence held in memory was stripped, sealed and stored.
    EvidenceSaved { out: VaultOutput },
    /// A piece of the evidence file being added.
    EvidenceRead(FileReadOutput),
    /// Sealed chunks of the evidence file being added were stored.
    EvidenceChunksSaved(VaultOutput),
    /// The host was told the core is done with an evidence file.
    EvidenceReleased,
}

/// Composing's answers, while unlocked.
pub(crate) fn update(step: DraftStep, phone: &mut Phone, session: &mut Session) -> Cmd {
    match step {
        DraftStep::ReportQueued { report_id, out } => queued(phone, session, report_id, out),
        DraftStep::EvidenceSaved { out } => match out {
            VaultOutput::Failed(f) => super::storage_failed(phone, &f),
            _ => Command::done(),
        },
        DraftStep::EvidenceRead(out) => evidence_read(phone, session, out),
        DraftStep::EvidenceChunksSaved(out) => evidence_chunks_saved(phone, session, out),
        DraftStep::EvidenceReleased => Command::done(),
    }
}

fn draft_msg(step: DraftStep) -> Msg {
    Msg::Internal(Internal::Draft(step))
}

/// A vault operation whose answer goes to composing.
fn draft_vault(
    op: VaultOperation,
    then: impl FnOnce(VaultOutput) -> DraftStep + Send + 'static,
) -> Cmd {
    Command::request_from_shell(op).then_send(move |out| draft_msg(then(out)))
}

/// Bytes asked of the host per read of an evidence file.
pub const EVIDENCE_READ_BYTES: u32 = 64 * 1024;

/// An evidence file on its way into the vault: read a piece at a time, stripped and sealed as
/// it comes, and stored as sealed chunk records of [`ATTACHMENT_CHUNK_BYTES`]. Holds at most
/// one read, one stripper unit and about one chunk record of sealed bytes.
#[derive(Debug)]
pub struct Intake {
    path: String,
    report_id: ReportId,
    attachment_id: AttachmentId,
    offset: u64,
    file_size: u64,
    stripper: MetadataStripper,
    sealer: AttachmentSealer,
    /// Sealed bytes not yet stored: less than one chunk record between reads.
    sealed: Vec<u8>,
    /// Chunk records stored so far.
    chunks: u64,
}

impl Intake {
    /// The file being read.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    fn record(&self) -> IntakeRecord {
        IntakeRecord {
            report_id: self.report_id,
            attachment_id: self.attachment_id,
            chunks: self.chunks,
        }
    }

    /// Puts for every whole chunk record in `sealed` (and the partial last one when `all`).
    fn chunk_puts(&mut self, all: bool) -> Vec<VaultWrite> {
        let mut puts = Vec::new();
        while self.sealed.len() >= ATTACHMENT_CHUNK_BYTES || (all && !self.sealed.is_empty()) {
            // Copied out at its exact size; `sealed` keeps its one buffer.
            let len = ATTACHMENT_CHUNK_BYTES.min(self.sealed.len());
            let chunk = self.sealed[..len].to_vec();
            self.sealed.drain(..len);
            puts.push(VaultWrite::Put {
                ns: NS_ATTACHMENTS.into(),
                key: attachment_chunk_key(&self.report_id, &self.attachment_id, self.chunks),
                value: chunk,
            });
            self.chunks += 1;
        }
        puts
    }
}

fn read_evidence(intake: &Intake) -> Cmd {
    Command::request_from_shell(FileReadOperation {
        path: intake.path.clone(),
        offset: intake.offset,
        len: EVIDENCE_READ_BYTES,
    })
    .then_send(|out| draft_msg(DraftStep::EvidenceRead(out)))
}

fn start_intake(phone: &mut Phone, session: &mut Session, path: String) -> Cmd {
    let Some(draft) = session.draft.as_ref() else {
        return render();
    };
    if session.intake.is_some() {
        return render();
    }
    if draft.report.attachments.len() >= MAX_ATTACHMENTS {
        session.form_error = Some(("evidence".into(), K::EvidenceTooMany));
        return render();
    }
    let report_id = draft.report.report_id;
    let (sealer, header) = AttachmentSealer::new(report_id, &mut phone.rng);
    // Room for one chunk record and one read's worth of sealed segments, allocated once.
    let mut sealed = Vec::with_capacity(ATTACHMENT_CHUNK_BYTES + 2 * EVIDENCE_READ_BYTES as usize);
    sealed.extend_from_slice(&header);
    let intake = Intake {
        path,
        report_id,
        attachment_id: sealer.id(),
        offset: 0,
        file_size: 0,
        stripper: MetadataStripper::new(),
        sealer,
        sealed,
        chunks: 0,
    };
    let read = read_evidence(&intake);
    session.intake = Some(intake);
    phone.busy = true;
    Command::all([read, render()])
}

/// The core is done with the evidence file at `path`: a read of length 0, which tells the
/// host to delete the file when it is a copy the shell made for the core (in the evidence
/// intake directory beside the data directory; `crate::host::evidence_intake_dir`).
pub fn release_evidence(path: String) -> Cmd {
    Command::request_from_shell(FileReadOperation {
        path,
        offset: 0,
        len: 0,
    })
    .then_send(|_| draft_msg(DraftStep::EvidenceReleased))
}

/// Stop adding the file: what was stored of it is deleted, and the worker is told why.
fn abandon_intake(phone: &mut Phone, session: &mut Session, key: K) -> Cmd {
    phone.busy = false;
    session.form_error = Some(("evidence".into(), key));
    let Some(intake) = session.intake.take() else {
        return render();
    };
    Command::all([
        release_evidence(intake.path.clone()),
        vault(
            VaultOperation::Write {
                ops: intake.record().deletes(),
                flush: true,
            },
            Internal::Saved,
        ),
        render(),
    ])
}

fn evidence_problem(e: &EvidenceError) -> K {
    match e {
        EvidenceError::TooLarge { .. } => K::EvidenceTooLarge,
        EvidenceError::UnsupportedType => K::EvidenceUnsupported,
        _ => K::EvidenceDamaged,
    }
}

/// A piece of the file arrived: strip it, seal it, store whole chunk records, read on.
fn evidence_read(phone: &mut Phone, session: &mut Session, out: FileReadOutput) -> Cmd {
    let Some(intake) = session.intake.as_mut() else {
        return Command::done();
    };
    let FileReadOutput::Read { bytes, file_size } = out else {
        return abandon_intake(phone, session, K::EvidenceDamaged);
    };
    if intake.offset == 0 {
        intake.file_size = file_size;
    }
    if file_size > MAX_ATTACHMENT_BYTES as u64 {
        return abandon_intake(phone, session, K::EvidenceTooLarge);
    }
    if file_size != intake.file_size {
        // The file changed while it was read.
        return abandon_intake(phone, session, K::EvidenceDamaged);
    }
    let mut stripped = Vec::with_capacity(bytes.len());
    if let Err(e) = intake.stripper.push(&bytes, &mut stripped) {
        return abandon_intake(phone, session, evidence_problem(&e));
    }
    intake.offset += bytes.len() as u64;
    if intake.sealer.push(&stripped, &mut intake.sealed).is_err() {
        return abandon_intake(phone, session, K::EvidenceTooLarge);
    }
    let at_end = bytes.is_empty() || intake.offset >= intake.file_size || intake.stripper.is_done();
    drop((bytes, stripped));
    if at_end {
        return finish_intake(phone, session);
    }
    let mut ops = intake.chunk_puts(false);
    if ops.is_empty() {
        return read_evidence(intake);
    }
    // The intake record names what is stored, so that a kill before the end leaves nothing
    // that the next unlock does not delete.
    ops.push(intake.record().write());
    draft_vault(
        VaultOperation::Write { ops, flush: false },
        DraftStep::EvidenceChunksSaved,
    )
}

/// Chunks are stored: read the next piece.
fn evidence_chunks_saved(phone: &mut Phone, session: &mut Session, out: VaultOutput) -> Cmd {
    if let VaultOutput::Failed(_) = out {
        return abandon_intake(phone, session, K::StorageFailed);
    }
    match &session.intake {
        Some(intake) => read_evidence(intake),
        None => Command::done(),
    }
}

/// The whole file was read: seal the last segments and store them with the draft that names
/// the attachment, in one durable write.
fn finish_intake(phone: &mut Phone, session: &mut Session) -> Cmd {
    let Some(intake) = session.intake.as_mut() else {
        return Command::done();
    };
    let media_type = match intake.stripper.clone().finish() {
        Ok(media_type) => media_type,
        Err(e) => return abandon_intake(phone, session, evidence_problem(&e)),
    };
    let (sealer, _) = AttachmentSealer::new(intake.report_id, &mut phone.rng);
    let sealer = std::mem::replace(&mut intake.sealer, sealer);
    let Ok(entry) = sealer.finish(media_type.mime(), &mut intake.sealed) else {
        return abandon_intake(phone, session, K::EvidenceTooLarge);
    };
    let mut ops = intake.chunk_puts(true);
    let report_id = intake.report_id;
    let Some(draft) = session
        .draft
        .as_mut()
        .filter(|d| d.report.report_id == report_id)
    else {
        // The draft was discarded while the file was read.
        return abandon_intake(phone, session, K::EvidenceDamaged);
    };
    ops.push(IntakeRecord::delete());
    draft.report.attachments.push(entry);
    ops.push(draft.write());
    let path = std::mem::take(&mut intake.path);
    session.intake = None;
    phone.busy = false;
    Command::all([
        release_evidence(path),
        draft_vault(VaultOperation::Write { ops, flush: true }, |out| {
            DraftStep::EvidenceSaved { out }
        }),
        render(),
    ])
}

fn review(phone: &mut Phone, session: &mut Session) -> Cmd {
    session.form.clear();
    let Some(draft) = &session.draft else {
        return render();
    };
    let problems = problems(&draft.report);
    if let Some(first) = problems.first() {
        session.checked_steps.extend(Step::ALL);
        session.page = Page::Compose {
            step: Step::of_field(&first.field),
        };
        return render();
    }
    session.page = Page::Review;
    Command::all([
        save_draft(session),
        render(),
        super::sync::start_round(phone, session),
    ])
}

/// Queue the reviewed report: it is saved (and flushed) before the worker is told so, and is
/// sealed only when sent, against the newest verified directory.
fn send(phone: &mut Phone, session: &mut Session) -> Cmd {
    if session.page != Page::Review {
        return render();
    }
    let (Some(draft), Some(device), Some(code)) =
        (&session.draft, &mut session.device, &session.recovery)
    else {
        return render();
    };
    if !problems(&draft.report).is_empty() {
        return review(phone, session);
    }
    let index = device.next_report_index;
    device.next_report_index += 1;
    let mut report = draft.report.clone();
    let secrets = code.report_secrets(index);
    report.reply_key = secrets.reply_key.public_key();
    report.withdrawal_hash = Some(withdrawal_hash(&secrets.withdrawal_secret));
    // The pay found, beside the pay promised (entered once, as the monthly wage; copied here
    // so that a wrong currency is reported once, on the wage, while composing).
    report.job.actual.monthly_wage = report.monthly_wage.clone();
    // Likewise the employer found, beside the employer promised.
    report.job.actual.employer = report.employer.as_ref().map(|e| e.name.clone());
    let order = session
        .outbox
        .values()
        .map(|r| r.order + 1)
        .max()
        .unwrap_or(0);
    // Escrowed only when the question is still offered for the report as it stands.
    let escrow = draft.escrow
        && super::escrow::offered(
            session.directory.as_ref(),
            &report,
            device.escrow_invite().is_some(),
        )
        .is_some();
    let mut record = OutboxRecord::new(report, index, order, phone.config.mailbox_poll_base_ms);
    if escrow {
        record.escrow = Some(super::records::EscrowRecord::default());
    }
    let report_id = record.report_id;
    let ops = vec![
        record.write(),
        device.write(),
        VaultWrite::Delete {
            ns: NS_DRAFT.into(),
            key: super::records::DRAFT_KEY.into(),
        },
    ];
    session.pending = Some(record);
    phone.busy = true;
    Command::all([
        Command::request_from_shell(VaultOperation::Write { ops, flush: true })
            .then_send(move |out| draft_msg(DraftStep::ReportQueued { report_id, out })),
        render(),
    ])
}

/// The outbox record is durable: only now is the worker told the report is saved.
fn queued(phone: &mut Phone, session: &mut Session, report_id: ReportId, out: VaultOutput) -> Cmd {
    phone.busy = false;
    if let VaultOutput::Failed(_) = out {
        if let (Some(device), Some(_)) = (&mut session.device, session.pending.take()) {
            device.next_report_index = device.next_report_index.saturating_sub(1);
        }
        phone.notice(K::StorageFailed, true);
        return render();
    }
    let Some(record) = session.pending.take().filter(|r| r.report_id == report_id) else {
        return render();
    };
    session.draft = None;
    session.outbox.insert(report_id, record);
    session.checked_steps.clear();
    session.page = Page::Outbox;
    phone.notice(K::ReportSaved, false);
    Command::all([render(), super::sync::start_round(phone, session)])
}
