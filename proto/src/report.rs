//! The report a worker writes: what she paid, what was done to her, where, and who may read it.
//!
//! Field names follow the ILO general principles and operational guidelines for fair
//! recruitment and definition of recruitment fees and related costs (2019), the ILO indicators
//! of forced labour, ISO 3166-1, ISO 4217 and ISIC Rev. 4.
//!
//! Compatibility: decoding ignores fields it does not know, and every enumeration has an
//! `Unknown` variant that absorbs values added by newer versions, so a newer phone and an older
//! desk (and the reverse) keep working. Validation is separate from decoding and returns every
//! problem with the path of the field it concerns.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::ErrorCode;
use crate::iso;
use crate::keys::{AttachmentId, Digest, HpkePublicKey, ReportId};
use crate::routing::{Consent, ReportKind, RoutingTags};

/// The schema version this crate writes. Readers accept any version and ignore what they do
/// not know; a version only ever adds optional fields and enumeration values.
pub const REPORT_SCHEMA_VERSION: u16 = 1;

pub const MAX_FREE_TEXT_CHARS: usize = 20_000;
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_FEES: usize = 50;
pub const MAX_LOANS: usize = 20;
pub const MAX_DEDUCTIONS: usize = 50;
pub const MAX_ATTACHMENTS: usize = 10;
/// Amounts above this (in minor units) are refused as input mistakes.
pub const MAX_AMOUNT_MINOR: u64 = 1_000_000_000_000_000;
/// Largest encoded report accepted by [`Report::decode`].
pub const MAX_REPORT_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub schema: u16,
    pub report_id: ReportId,
    /// BCP 47 language tag of the language the worker wrote in, e.g. `ne`, `bn`, `my`, `tl`.
    pub language: String,
    /// The day the report was written (`YYYY-MM-DD`), if the worker's phone knew it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_on: Option<String>,
    #[serde(default)]
    pub fees: Vec<RecruitmentFee>,
    #[serde(default)]
    pub loans: Vec<Loan>,
    #[serde(default)]
    pub deductions: Vec<WageDeduction>,
    #[serde(default)]
    pub job: JobComparison,
    #[serde(default)]
    pub indicators: Vec<Indicator>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recruiter: Option<NamedParty>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employer: Option<NamedParty>,
    /// ISO 3166-1 alpha-2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_country: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub destination_country: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector: Option<Sector>,
    /// What the worker actually earns per month, for recruitment cost ÷ monthly earnings
    /// (SDG indicator 10.7.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_wage: Option<Money>,
    #[serde(default)]
    pub free_text: String,
    #[serde(default)]
    pub attachments: Vec<AttachmentRef>,
    pub consent: Consent,
    /// The report's reply key: organisations seal replies and status notes to it.
    pub reply_key: HpkePublicKey,
    /// The commitment to the report's withdrawal secret ([`crate::recovery::withdrawal_hash`]):
    /// a withdrawal request that reveals its preimage comes from the worker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal_hash: Option<Digest>,
    /// How the report reached the first hop that sealed it. Absent: the app (reports written
    /// before the field existed, and the app's own). `sms`: `workvoice-sms` sealed it from an
    /// SMS dialogue. An optional member of schema 1; an unknown value reads as `Unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
}

/// The channel a report came through (`Report::channel`), so that desks can count channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    App,
    Sms,
    #[serde(other)]
    Unknown,
}

impl Channel {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::App => "app",
            Channel::Sms => "sms",
            Channel::Unknown => "unknown",
        }
    }

    /// The channel of a report: absent is the app.
    pub fn of(report: &Report) -> Channel {
        report.channel.unwrap_or(Channel::App)
    }
}

/// An amount of money in minor units of an ISO 4217 currency (paisa, sen, centavos...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub amount_minor: u64,
    pub currency: String,
}

/// A recruitment fee or related cost (ILO 2019 definition).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecruitmentFee {
    pub amount: Money,
    /// `YYYY-MM-DD` or `YYYY-MM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_on: Option<String>,
    pub payee: PayeeRole,
    pub stage: RecruitmentStage,
    pub category: CostCategory,
    /// Whether a receipt was given; `None` when the worker does not remember.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayeeRole {
    SubAgent,
    RecruitmentAgency,
    Broker,
    Employer,
    GovernmentOfficial,
    MedicalClinic,
    TrainingCentre,
    Other,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecruitmentStage {
    Origin,
    Transit,
    Destination,
    #[serde(other)]
    Unknown,
}

/// Categories of recruitment fees and related costs (ILO 2019, section "related costs").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CostCategory {
    RecruitmentServiceFee,
    Medical,
    Insurance,
    SkillsTest,
    Training,
    Equipment,
    Travel,
    Lodging,
    Documentation,
    Other,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loan {
    pub lender: LenderKind,
    pub principal: Money,
    /// Interest per month in basis points (1% = 100), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interest_bp_per_month: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collateral: Option<Collateral>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LenderKind {
    Recruiter,
    Employer,
    Moneylender,
    Bank,
    Cooperative,
    FamilyOrFriend,
    Other,
    #[serde(other)]
    Unknown,
}

/// The visa the worker travelled or works on: a visit or student visa for work, or none, is
/// what unions most often find behind forced labour cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisaType {
    Work,
    DomesticWorker,
    Visit,
    Student,
    NoVisa,
    Other,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Collateral {
    None,
    LandOrHouse,
    IdentityDocuments,
    FamilyGuarantor,
    GoldOrValuables,
    Other,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WageDeduction {
    pub amount: Money,
    pub reason: DeductionReason,
    #[serde(default)]
    pub recurring_monthly: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeductionReason {
    RecruitmentFeeRepayment,
    LoanRepayment,
    Accommodation,
    Food,
    Transport,
    Equipment,
    Fines,
    Other,
    #[serde(other)]
    Unknown,
}

/// The job promised before departure against the job found (contract substitution).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobComparison {
    #[serde(default)]
    pub promised: JobTerms,
    #[serde(default)]
    pub actual: JobTerms,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_contract: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_in_own_language: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_substituted: Option<bool>,
    /// The visa she entered or works on (added in schema 1 as an optional member; older
    /// readers ignore it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visa_type: Option<VisaType>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobTerms {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_wage: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours_per_week: Option<u16>,
    /// The employer as the worker names it: the one promised, or the one she worked for
    /// (added in schema 1 as an optional member; older readers ignore it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employer: Option<String>,
}

/// The 11 ILO indicators of forced labour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    AbuseOfVulnerability,
    Deception,
    RestrictionOfMovement,
    Isolation,
    PhysicalAndSexualViolence,
    IntimidationAndThreats,
    RetentionOfIdentityDocuments,
    WithholdingOfWages,
    DebtBondage,
    AbusiveWorkingAndLivingConditions,
    ExcessiveOvertime,
    #[serde(other)]
    Unknown,
}

impl Indicator {
    pub const ALL: [Indicator; 11] = [
        Indicator::AbuseOfVulnerability,
        Indicator::Deception,
        Indicator::RestrictionOfMovement,
        Indicator::Isolation,
        Indicator::PhysicalAndSexualViolence,
        Indicator::IntimidationAndThreats,
        Indicator::RetentionOfIdentityDocuments,
        Indicator::WithholdingOfWages,
        Indicator::DebtBondage,
        Indicator::AbusiveWorkingAndLivingConditions,
        Indicator::ExcessiveOvertime,
    ];

    /// The stable snake_case name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Indicator::AbuseOfVulnerability => "abuse_of_vulnerability",
            Indicator::Deception => "deception",
            Indicator::RestrictionOfMovement => "restriction_of_movement",
            Indicator::Isolation => "isolation",
            Indicator::PhysicalAndSexualViolence => "physical_and_sexual_violence",
            Indicator::IntimidationAndThreats => "intimidation_and_threats",
            Indicator::RetentionOfIdentityDocuments => "retention_of_identity_documents",
            Indicator::WithholdingOfWages => "withholding_of_wages",
            Indicator::DebtBondage => "debt_bondage",
            Indicator::AbusiveWorkingAndLivingConditions => "abusive_working_and_living_conditions",
            Indicator::ExcessiveOvertime => "excessive_overtime",
            Indicator::Unknown => "unknown",
        }
    }
}

/// ISIC Rev. 4 sections, written on the wire as their letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Sector {
    #[serde(rename = "A")]
    Agriculture,
    #[serde(rename = "B")]
    Mining,
    #[serde(rename = "C")]
    Manufacturing,
    #[serde(rename = "D")]
    Electricity,
    #[serde(rename = "E")]
    WaterAndWaste,
    #[serde(rename = "F")]
    Construction,
    #[serde(rename = "G")]
    WholesaleAndRetail,
    #[serde(rename = "H")]
    TransportAndStorage,
    #[serde(rename = "I")]
    AccommodationAndFood,
    #[serde(rename = "J")]
    InformationAndCommunication,
    #[serde(rename = "K")]
    FinanceAndInsurance,
    #[serde(rename = "L")]
    RealEstate,
    #[serde(rename = "M")]
    ProfessionalAndScientific,
    #[serde(rename = "N")]
    AdministrativeAndSupport,
    #[serde(rename = "O")]
    PublicAdministration,
    #[serde(rename = "P")]
    Education,
    #[serde(rename = "Q")]
    HealthAndSocialWork,
    #[serde(rename = "R")]
    ArtsAndRecreation,
    #[serde(rename = "S")]
    OtherServices,
    #[serde(rename = "T")]
    Households,
    #[serde(rename = "U")]
    Extraterritorial,
    #[serde(other)]
    Unknown,
}

impl Sector {
    pub const ALL: [Sector; 21] = [
        Sector::Agriculture,
        Sector::Mining,
        Sector::Manufacturing,
        Sector::Electricity,
        Sector::WaterAndWaste,
        Sector::Construction,
        Sector::WholesaleAndRetail,
        Sector::TransportAndStorage,
        Sector::AccommodationAndFood,
        Sector::InformationAndCommunication,
        Sector::FinanceAndInsurance,
        Sector::RealEstate,
        Sector::ProfessionalAndScientific,
        Sector::AdministrativeAndSupport,
        Sector::PublicAdministration,
        Sector::Education,
        Sector::HealthAndSocialWork,
        Sector::ArtsAndRecreation,
        Sector::OtherServices,
        Sector::Households,
        Sector::Extraterritorial,
    ];

    /// The ISIC section letter, or `?` for a value this version does not know.
    pub fn letter(self) -> char {
        match Sector::ALL.iter().position(|s| *s == self) {
            Some(i) => (b'A' + i as u8) as char,
            None => '?',
        }
    }

    pub fn from_letter(letter: char) -> Option<Sector> {
        let i = (letter as u32).checked_sub('A' as u32)? as usize;
        Sector::ALL.get(i).copied()
    }
}

/// A recruiter or employer as the worker names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedParty {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence_number: Option<String>,
    /// ISO 3166-1 alpha-2 of where the party operates, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// An evidence file sealed separately (see [`crate::attachment`]) and uploaded in chunks; the
/// report carries the key that opens it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentRef {
    pub id: AttachmentId,
    /// `image/jpeg` or `image/png`.
    pub media_type: String,
    /// Plaintext size in bytes.
    pub size: u64,
    /// Size of the sealed attachment as uploaded.
    pub sealed_size: u64,
    /// SHA-256 of the sealed attachment.
    pub sealed_sha256: Digest,
    /// The attachment's content key.
    #[serde(with = "crate::codec::hex_array")]
    pub key: [u8; 32],
}

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Path of the field, e.g. `fees[0].amount.currency`.
    pub field: String,
    pub problem: FieldProblem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum FieldProblem {
    Required,
    TooLong { max: usize },
    TooMany { max: usize },
    InvalidCountry,
    InvalidCurrency,
    InvalidDate,
    AmountTooLarge,
    InvalidLanguage,
    NoRecipientConsented,
    UnknownValue,
    InvalidMediaType,
    Duplicate,
}

impl ErrorCode for FieldProblem {
    fn code(&self) -> &'static str {
        match self {
            FieldProblem::Required => "required",
            FieldProblem::TooLong { .. } => "too_long",
            FieldProblem::TooMany { .. } => "too_many",
            FieldProblem::InvalidCountry => "invalid_country",
            FieldProblem::InvalidCurrency => "invalid_currency",
            FieldProblem::InvalidDate => "invalid_date",
            FieldProblem::AmountTooLarge => "amount_too_large",
            FieldProblem::InvalidLanguage => "invalid_language",
            FieldProblem::NoRecipientConsented => "no_recipient_consented",
            FieldProblem::UnknownValue => "unknown_value",
            FieldProblem::InvalidMediaType => "invalid_media_type",
            FieldProblem::Duplicate => "duplicate",
        }
    }
}

/// Why bytes are not a usable report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("report is {size} bytes, more than the {max} allowed")]
    TooLarge { size: usize, max: usize },
    #[error("report is not valid JSON for the schema: {0}")]
    Malformed(String),
    #[error("report has {} invalid field(s), first {}", .0.len(), .0.first().map(|e| e.field.as_str()).unwrap_or(""))]
    Invalid(Vec<FieldError>),
}

impl ErrorCode for ReportError {
    fn code(&self) -> &'static str {
        match self {
            ReportError::TooLarge { .. } => "report_too_large",
            ReportError::Malformed(_) => "report_malformed",
            ReportError::Invalid(_) => "report_invalid",
        }
    }
}

struct Problems(Vec<FieldError>);

impl Problems {
    fn push(&mut self, field: impl Into<String>, problem: FieldProblem) {
        self.0.push(FieldError {
            field: field.into(),
            problem,
        });
    }

    fn text(&mut self, field: &str, value: &str, max: usize, required: bool) {
        if required && value.trim().is_empty() {
            self.push(field, FieldProblem::Required);
        } else if value.chars().count() > max {
            self.push(field, FieldProblem::TooLong { max });
        }
    }

    fn country(&mut self, field: &str, code: &str) {
        if !iso::is_country(code) {
            self.push(field, FieldProblem::InvalidCountry);
        }
    }

    fn money(&mut self, field: &str, money: &Money) {
        if iso::currency_exponent(&money.currency).is_none() {
            self.push(format!("{field}.currency"), FieldProblem::InvalidCurrency);
        }
        if money.amount_minor > MAX_AMOUNT_MINOR {
            self.push(
                format!("{field}.amount_minor"),
                FieldProblem::AmountTooLarge,
            );
        }
    }

    fn date(&mut self, field: &str, date: &str, allow_month: bool) {
        if !is_valid_date(date, allow_month) {
            self.push(field, FieldProblem::InvalidDate);
        }
    }

    fn known<T: PartialEq>(&mut self, field: &str, value: T, unknown: T) {
        if value == unknown {
            self.push(field, FieldProblem::UnknownValue);
        }
    }

    fn count(&mut self, field: &str, len: usize, max: usize) {
        if len > max {
            self.push(field, FieldProblem::TooMany { max });
        }
    }
}

/// `YYYY-MM-DD`, or `YYYY-MM` when `allow_month`, with a real calendar date.
pub fn is_valid_date(text: &str, allow_month: bool) -> bool {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let s = b.get(r)?;
        if s.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(s).ok()?.parse().ok()
        } else {
            None
        }
    };
    let (Some(year), Some(month)) = (digits(0..4), digits(5..7)) else {
        return false;
    };
    if b.get(4) != Some(&b'-') || !(1900..=2200).contains(&year) || !(1..=12).contains(&month) {
        return false;
    }
    match b.len() {
        7 => allow_month,
        10 => {
            let Some(day) = digits(8..10) else {
                return false;
            };
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            let days = match month {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            b[7] == b'-' && (1..=days).contains(&day)
        }
        _ => false,
    }
}

/// A BCP 47 tag in the simple form `ll` or `lll` with optional `-subtag`s.
pub fn is_valid_language(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or("");
    (2..=3).contains(&primary.len())
        && primary.bytes().all(|c| c.is_ascii_lowercase())
        && tag.len() <= 35
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_alphanumeric()))
}

impl Report {
    /// Decode a report from its JSON bytes and validate it.
    pub fn decode(bytes: &[u8]) -> Result<Report, ReportError> {
        let report = Self::decode_unvalidated(bytes)?;
        report.validate().map_err(ReportError::Invalid)?;
        Ok(report)
    }

    /// Decode without validating: for a reader that must show what it received even when a
    /// field is out of range (a desk displaying an older phone's report, say).
    pub fn decode_unvalidated(bytes: &[u8]) -> Result<Report, ReportError> {
        if bytes.len() > MAX_REPORT_BYTES {
            return Err(ReportError::TooLarge {
                size: bytes.len(),
                max: MAX_REPORT_BYTES,
            });
        }
        serde_json::from_slice(bytes).map_err(|e| ReportError::Malformed(e.to_string()))
    }

    /// The canonical encoding: compact JSON, UTF-8.
    pub fn encode(&self) -> Vec<u8> {
        match serde_json::to_vec(self) {
            Ok(bytes) => bytes,
            // Serialising plain structs with string keys cannot fail.
            Err(_) => unreachable!("report serialisation cannot fail"),
        }
    }

    /// Every problem with this report, or `Ok` when it may be sent.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut p = Problems(Vec::new());
        if !is_valid_language(&self.language) {
            p.push("language", FieldProblem::InvalidLanguage);
        }
        if let Some(d) = &self.written_on {
            p.date("written_on", d, false);
        }
        p.count("fees", self.fees.len(), MAX_FEES);
        for (i, fee) in self.fees.iter().enumerate().take(MAX_FEES) {
            let f = format!("fees[{i}]");
            p.money(&format!("{f}.amount"), &fee.amount);
            if let Some(d) = &fee.paid_on {
                p.date(&format!("{f}.paid_on"), d, true);
            }
            p.known(&format!("{f}.payee"), fee.payee, PayeeRole::Unknown);
            p.known(&format!("{f}.stage"), fee.stage, RecruitmentStage::Unknown);
            p.known(
                &format!("{f}.category"),
                fee.category,
                CostCategory::Unknown,
            );
        }
        p.count("loans", self.loans.len(), MAX_LOANS);
        for (i, loan) in self.loans.iter().enumerate().take(MAX_LOANS) {
            let f = format!("loans[{i}]");
            p.money(&format!("{f}.principal"), &loan.principal);
            p.known(&format!("{f}.lender"), loan.lender, LenderKind::Unknown);
            if let Some(c) = loan.collateral {
                p.known(&format!("{f}.collateral"), c, Collateral::Unknown);
            }
        }
        p.count("deductions", self.deductions.len(), MAX_DEDUCTIONS);
        for (i, d) in self.deductions.iter().enumerate().take(MAX_DEDUCTIONS) {
            let f = format!("deductions[{i}]");
            p.money(&format!("{f}.amount"), &d.amount);
            p.known(&format!("{f}.reason"), d.reason, DeductionReason::Unknown);
        }
        for (name, terms) in [
            ("job.promised", &self.job.promised),
            ("job.actual", &self.job.actual),
        ] {
            if let Some(t) = &terms.title {
                p.text(&format!("{name}.title"), t, MAX_NAME_CHARS, false);
            }
            if let Some(m) = &terms.monthly_wage {
                p.money(&format!("{name}.monthly_wage"), m);
            }
            if let Some(e) = &terms.employer {
                p.text(&format!("{name}.employer"), e, MAX_NAME_CHARS, false);
            }
        }
        if let Some(v) = self.job.visa_type {
            p.known("job.visa_type", v, VisaType::Unknown);
        }
        let mut seen = BTreeSet::new();
        for (i, ind) in self.indicators.iter().enumerate() {
            p.known(&format!("indicators[{i}]"), *ind, Indicator::Unknown);
            if !seen.insert(*ind) {
                p.push(format!("indicators[{i}]"), FieldProblem::Duplicate);
            }
        }
        for (name, party) in [("recruiter", &self.recruiter), ("employer", &self.employer)] {
            if let Some(party) = party {
                p.text(&format!("{name}.name"), &party.name, MAX_NAME_CHARS, true);
                if let Some(l) = &party.licence_number {
                    p.text(&format!("{name}.licence_number"), l, MAX_NAME_CHARS, false);
                }
                if let Some(c) = &party.country {
                    p.country(&format!("{name}.country"), c);
                }
            }
        }
        if let Some(c) = &self.origin_country {
            p.country("origin_country", c);
        }
        p.country("destination_country", &self.destination_country);
        if let Some(s) = self.sector {
            p.known("sector", s, Sector::Unknown);
        }
        if let Some(m) = &self.monthly_wage {
            p.money("monthly_wage", m);
        }
        p.text("free_text", &self.free_text, MAX_FREE_TEXT_CHARS, false);
        p.count("attachments", self.attachments.len(), MAX_ATTACHMENTS);
        let mut ids = BTreeSet::new();
        for (i, a) in self.attachments.iter().enumerate().take(MAX_ATTACHMENTS) {
            if !matches!(a.media_type.as_str(), "image/jpeg" | "image/png") {
                p.push(
                    format!("attachments[{i}].media_type"),
                    FieldProblem::InvalidMediaType,
                );
            }
            if !ids.insert(a.id) {
                p.push(format!("attachments[{i}].id"), FieldProblem::Duplicate);
            }
        }
        if !(self.consent.union || self.consent.inspectorate || self.consent.ngo) {
            p.push("consent", FieldProblem::NoRecipientConsented);
        }
        if p.0.is_empty() { Ok(()) } else { Err(p.0) }
    }

    /// What the report discloses to the relay for routing: shown to the worker before sending.
    pub fn routing_tags(&self) -> RoutingTags {
        let mut kinds = BTreeSet::new();
        if !self.fees.is_empty() || !self.loans.is_empty() {
            kinds.insert(ReportKind::recruitment_fees());
        }
        if self.indicators.iter().any(|i| *i != Indicator::Unknown) {
            kinds.insert(ReportKind::forced_labour());
        }
        if !self.deductions.is_empty() || self.indicators.contains(&Indicator::WithholdingOfWages) {
            kinds.insert(ReportKind::wage_theft());
        }
        if self.job.contract_substituted == Some(true) {
            kinds.insert(ReportKind::contract_substitution());
        }
        if kinds.is_empty() {
            kinds.insert(ReportKind::other());
        }
        RoutingTags {
            destination_country: self.destination_country.clone(),
            sector: self.sector,
            kinds,
        }
    }

    /// Total recruitment fees and related costs in one currency, in minor units.
    pub fn total_fees_in(&self, currency: &str) -> u64 {
        self.fees
            .iter()
            .filter(|f| f.amount.currency == currency)
            .fold(0u64, |acc, f| acc.saturating_add(f.amount.amount_minor))
    }
}
