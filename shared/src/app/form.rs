//! The compose form as a shell sees it: a typed id for every input, list and button, the text
//! the worker typed that the report has not taken yet, and the report events built from it.
//!
//! A shell draws each [`super::view::Field`] and [`super::view::OptionGroup`] of the
//! [`super::view::ComposeView`] and sends [`super::Event::Input`], [`super::Event::Pick`],
//! [`super::Event::Act`] and [`super::Event::RemoveItem`] with the ids it was given. It never
//! names a field: which input goes to which part of the report, and the form's rules (the
//! deduction takes the amount typed above it, what an "add" button empties), live here.

use std::collections::BTreeMap;

use facet::Facet;
use serde::{Deserialize, Serialize};

use super::Event;
use super::draft::Step;

/// Every input of the compose form: a text input or a group of choices.
#[derive(
    Facet, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash,
)]
#[repr(C)]
pub enum FieldId {
    FeeAmount,
    FeeCurrency,
    FeePaidOn,
    FeePayee,
    FeeStage,
    FeeCategory,
    FeeReceipt,
    DeductionReason,
    LoanAmount,
    LoanCurrency,
    LoanInterest,
    LoanLender,
    Indicators,
    RecruiterName,
    RecruiterLicenceNumber,
    RecruiterCountry,
    EmployerName,
    EmployerLicenceNumber,
    EmployerCountry,
    DestinationCountry,
    OriginCountry,
    Sector,
    PromisedTitle,
    PromisedWage,
    PromisedCurrency,
    PromisedEmployer,
    ActualTitle,
    WageAmount,
    WageCurrency,
    ContractSubstituted,
    VisaType,
    StoryText,
    StoryLanguage,
    Consent,
    /// Send now, or wait until others report this recruiter (`PROTOCOL.md` 18.10): offered on
    /// the consent step when the report can be escrowed (`escrow::offered`).
    Escrow,
}

/// How a text input is typed: which keyboard, one line or several, corrections or not.
#[derive(Facet, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub enum InputKind {
    /// Words: a name, a job title. One line, corrections on.
    Text,
    /// A decimal number: an amount, a rate.
    Number,
    /// A code typed as letters: a currency, a country, a language. No corrections.
    Code,
    /// A date, `YYYY-MM-DD` or `YYYY-MM`.
    Date,
    /// The worker's own words: several lines.
    LongText,
}

/// The buttons of the form. [`ActionId::PickEvidence`] is the one the shell answers itself:
/// it opens the platform's photo picker and sends [`super::Event::AddEvidenceFile`] (see the
/// shell contract in `ARCHITECTURE.md`); the core ignores it.
#[derive(Facet, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub enum ActionId {
    AddFee,
    AddDeduction,
    AddLoan,
    PickEvidence,
}

/// The lists of things already added, whose items can be removed by index.
#[derive(Facet, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub enum ListId {
    Fees,
    Deductions,
    Loans,
    Evidence,
}

/// Where each input's problems are reported: the report's field paths (and the form's own
/// message paths) that belong to it. A path belongs to the longest prefix that matches whole.
const PATHS: &[(&str, FieldId)] = &[
    ("fee.amount", FieldId::FeeAmount),
    ("deduction.amount", FieldId::FeeAmount),
    ("loan.amount", FieldId::LoanAmount),
    ("loan.interest", FieldId::LoanInterest),
    ("indicators", FieldId::Indicators),
    ("recruiter.name", FieldId::RecruiterName),
    ("recruiter.licence_number", FieldId::RecruiterLicenceNumber),
    ("recruiter.country", FieldId::RecruiterCountry),
    ("employer.name", FieldId::EmployerName),
    ("employer.licence_number", FieldId::EmployerLicenceNumber),
    ("employer.country", FieldId::EmployerCountry),
    ("destination_country", FieldId::DestinationCountry),
    ("origin_country", FieldId::OriginCountry),
    ("sector", FieldId::Sector),
    ("job.promised.title", FieldId::PromisedTitle),
    ("job.promised.wage", FieldId::PromisedWage),
    ("job.promised.monthly_wage", FieldId::PromisedWage),
    (
        "job.promised.monthly_wage.currency",
        FieldId::PromisedCurrency,
    ),
    ("job.promised.employer", FieldId::PromisedEmployer),
    ("job.actual.title", FieldId::ActualTitle),
    ("job.contract_substituted", FieldId::ContractSubstituted),
    ("job.visa_type", FieldId::VisaType),
    ("monthly_wage", FieldId::WageAmount),
    ("monthly_wage.currency", FieldId::WageCurrency),
    ("free_text", FieldId::StoryText),
    ("language", FieldId::StoryLanguage),
    ("consent", FieldId::Consent),
];

impl FieldId {
    /// The input that answers for a problem at `path` (`recruiter.name`,
    /// `monthly_wage.amount_minor`, `indicators[2]`), if the form has one.
    pub fn of_path(path: &str) -> Option<FieldId> {
        PATHS
            .iter()
            .filter(|(prefix, _)| {
                path.strip_prefix(prefix)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
            })
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, id)| *id)
    }

    /// Inputs of the "add" part of the money step: emptied after a payment, deduction or
    /// loan is added, never written to the report on their own.
    fn adds(self) -> bool {
        matches!(
            self,
            FieldId::FeeAmount
                | FieldId::FeeCurrency
                | FieldId::FeePaidOn
                | FieldId::FeePayee
                | FieldId::FeeStage
                | FieldId::FeeCategory
                | FieldId::FeeReceipt
                | FieldId::DeductionReason
                | FieldId::LoanAmount
                | FieldId::LoanCurrency
                | FieldId::LoanInterest
                | FieldId::LoanLender
        )
    }

    /// Groups whose choices are toggled one by one and go to the report at once.
    pub fn is_toggles(self) -> bool {
        matches!(
            self,
            FieldId::Indicators | FieldId::Consent | FieldId::Escrow
        )
    }
}

/// What the worker typed or picked on this step that the report has not taken yet. Kept in
/// memory only, and forgotten on lock and when she changes step.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormInputs {
    values: BTreeMap<FieldId, String>,
}

impl FormInputs {
    pub fn get(&self, id: FieldId) -> Option<&str> {
        self.values.get(&id).map(String::as_str)
    }

    /// What the input shows: what was typed, or else what the report holds.
    pub fn shown(&self, id: FieldId, in_report: &str) -> String {
        self.get(id).unwrap_or(in_report).to_string()
    }

    pub fn set(&mut self, id: FieldId, value: String) {
        self.values.insert(id, value);
    }

    pub fn clear(&mut self) {
        self.values.clear();
    }

    pub fn clear_adds(&mut self) {
        self.values.retain(|id, _| !id.adds());
    }

    fn text(&self, id: FieldId) -> String {
        self.get(id).unwrap_or_default().to_string()
    }

    fn yes_no(&self, id: FieldId) -> Option<bool> {
        match self.get(id) {
            Some("yes") => Some(true),
            Some("no") => Some(false),
            _ => None,
        }
    }

    /// The event an "add" button stands for, built from the inputs above it. A deduction
    /// takes the amount and currency typed for the payment: the form has one amount.
    pub fn add_event(&self, action: ActionId) -> Option<Event> {
        Some(match action {
            ActionId::AddFee => Event::AddFee {
                amount: self.text(FieldId::FeeAmount),
                currency: self.text(FieldId::FeeCurrency),
                payee: self.text(FieldId::FeePayee),
                stage: self.text(FieldId::FeeStage),
                category: self.text(FieldId::FeeCategory),
                paid_on: self.text(FieldId::FeePaidOn),
                receipt: self.yes_no(FieldId::FeeReceipt),
            },
            ActionId::AddDeduction => Event::AddDeduction {
                amount: self.text(FieldId::FeeAmount),
                currency: self.text(FieldId::FeeCurrency),
                reason: self.text(FieldId::DeductionReason),
                monthly: false,
            },
            ActionId::AddLoan => Event::AddLoan {
                amount: self.text(FieldId::LoanAmount),
                currency: self.text(FieldId::LoanCurrency),
                lender: self.text(FieldId::LoanLender),
                interest: self.text(FieldId::LoanInterest),
            },
            ActionId::PickEvidence => return None,
        })
    }

    /// The report events that take what was typed on `step`, given what the report holds
    /// (`current`, the same events built from the report): one per part of the report whose
    /// inputs were touched, so an untouched part is not rewritten.
    pub fn commit_events(&self, step: Step, current: &CurrentValues) -> Vec<Event> {
        let touched = |ids: &[FieldId]| ids.iter().any(|id| self.values.contains_key(id));
        let v = |id: FieldId| self.shown(id, current.get(id));
        let mut out = Vec::new();
        match step {
            Step::People => {
                use FieldId::*;
                if touched(&[RecruiterName, RecruiterLicenceNumber, RecruiterCountry]) {
                    out.push(Event::SetRecruiter {
                        name: v(RecruiterName),
                        licence_number: v(RecruiterLicenceNumber),
                        country: v(RecruiterCountry),
                    });
                }
                if touched(&[EmployerName, EmployerLicenceNumber, EmployerCountry]) {
                    out.push(Event::SetEmployer {
                        name: v(EmployerName),
                        licence_number: v(EmployerLicenceNumber),
                        country: v(EmployerCountry),
                    });
                }
            }
            Step::Place => {
                use FieldId::*;
                if touched(&[DestinationCountry, OriginCountry, Sector]) {
                    out.push(Event::SetPlace {
                        destination_country: v(DestinationCountry),
                        origin_country: v(OriginCountry),
                        sector: v(Sector),
                    });
                }
            }
            Step::Wage => {
                use FieldId::*;
                if touched(&[
                    PromisedTitle,
                    PromisedWage,
                    PromisedCurrency,
                    PromisedEmployer,
                    ActualTitle,
                ]) {
                    out.push(Event::SetJob {
                        promised_title: v(PromisedTitle),
                        promised_wage: v(PromisedWage),
                        promised_currency: v(PromisedCurrency),
                        actual_title: v(ActualTitle),
                        promised_employer: v(PromisedEmployer),
                    });
                }
                if touched(&[VisaType]) {
                    out.push(Event::SetVisa {
                        visa_type: v(VisaType),
                    });
                }
                if touched(&[WageAmount, WageCurrency, ContractSubstituted]) {
                    out.push(Event::SetWage {
                        amount: v(WageAmount),
                        currency: v(WageCurrency),
                        contract_substituted: match v(ContractSubstituted).as_str() {
                            "yes" => Some(true),
                            "no" => Some(false),
                            _ => None,
                        },
                    });
                }
            }
            Step::Story => {
                if touched(&[FieldId::StoryText, FieldId::StoryLanguage]) {
                    out.push(Event::SetStory {
                        text: v(FieldId::StoryText),
                        language: v(FieldId::StoryLanguage),
                    });
                }
            }
            Step::Money | Step::WhatHappened | Step::Evidence | Step::Consent => {}
        }
        out
    }
}

/// What the report holds for each input, as the input would show it.
#[derive(Debug, Clone, Default)]
pub struct CurrentValues(pub BTreeMap<FieldId, String>);

impl CurrentValues {
    pub fn get(&self, id: FieldId) -> &str {
        self.0.get(&id).map_or("", String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_paths_land_on_their_input() {
        assert_eq!(
            FieldId::of_path("recruiter.name"),
            Some(FieldId::RecruiterName)
        );
        assert_eq!(
            FieldId::of_path("monthly_wage.amount_minor"),
            Some(FieldId::WageAmount)
        );
        assert_eq!(
            FieldId::of_path("monthly_wage.currency"),
            Some(FieldId::WageCurrency)
        );
        assert_eq!(
            FieldId::of_path("job.promised.monthly_wage.currency"),
            Some(FieldId::PromisedCurrency)
        );
        assert_eq!(FieldId::of_path("indicators[3]"), Some(FieldId::Indicators));
        assert_eq!(
            FieldId::of_path("deduction.amount"),
            Some(FieldId::FeeAmount)
        );
        // A prefix matches whole words only, and added items have no input of their own.
        assert_eq!(FieldId::of_path("languages"), None);
        assert_eq!(FieldId::of_path("fees[0].amount.currency"), None);
    }

    #[test]
    fn a_deduction_takes_the_amount_typed_for_the_payment() {
        let mut form = FormInputs::default();
        form.set(FieldId::FeeAmount, "1500".into());
        form.set(FieldId::FeeCurrency, "qar".into());
        form.set(FieldId::DeductionReason, "accommodation".into());
        assert_eq!(
            form.add_event(ActionId::AddDeduction),
            Some(Event::AddDeduction {
                amount: "1500".into(),
                currency: "qar".into(),
                reason: "accommodation".into(),
                monthly: false,
            })
        );
        form.set(FieldId::RecruiterName, "Kept".into());
        form.clear_adds();
        assert_eq!(form.get(FieldId::FeeAmount), None);
        assert_eq!(form.get(FieldId::RecruiterName), Some("Kept"));
    }

    #[test]
    fn only_touched_parts_are_committed_with_the_rest_from_the_report() {
        let mut form = FormInputs::default();
        form.set(FieldId::RecruiterCountry, "np".into());
        let mut current = CurrentValues::default();
        current.0.insert(FieldId::RecruiterName, "Agency".into());
        current.0.insert(FieldId::EmployerName, "Builder".into());
        assert_eq!(
            form.commit_events(Step::People, &current),
            vec![Event::SetRecruiter {
                name: "Agency".into(),
                licence_number: String::new(),
                country: "np".into(),
            }]
        );
        assert!(form.commit_events(Step::Place, &current).is_empty());
    }
}
