//! Exports of selected cases for inspectorates and researchers: the desk's own CSV and JSON,
//! and a variant named after the Human Trafficking Case Data Standard (HTCDS) fields where they
//! overlap (mapping in `docs/HTCDS.md`). Free text and contact fields are left out unless the
//! caller asks for them; an export for an inspectorate or an NGO holds only the cases whose
//! worker consented to that kind of organisation; CSV cells are guarded against formulas.

use serde::{Deserialize, Serialize};
use workvoice_proto::report::{Channel, Indicator, Money, Report, Sector};

use crate::cases::CaseStatus;
use crate::desk::Desk;
use crate::error::{DeskError, Result};
use crate::labels;
use crate::store::{CaseFilter, CaseRecord};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
    HtcdsCsv,
    HtcdsJson,
}

impl ExportFormat {
    pub fn parse(text: &str) -> Option<ExportFormat> {
        match text {
            "csv" => Some(ExportFormat::Csv),
            "json" => Some(ExportFormat::Json),
            "htcds_csv" => Some(ExportFormat::HtcdsCsv),
            "htcds_json" => Some(ExportFormat::HtcdsJson),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv | ExportFormat::HtcdsCsv => "text/csv; charset=utf-8",
            ExportFormat::Json | ExportFormat::HtcdsJson => "application/json",
        }
    }

    pub fn file_suffix(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
            ExportFormat::HtcdsCsv => "htcds.csv",
            ExportFormat::HtcdsJson => "htcds.json",
        }
    }
}

/// Who an export is for. The worker's consent decides which cases reach someone outside the
/// organisation: an export for an inspectorate holds only the cases whose worker allowed a
/// referral to the inspectorate, and likewise for an NGO.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ExportAudience {
    /// The organisation's own records: every matching case.
    #[default]
    Internal,
    /// A labour inspectorate: only cases whose worker consented to the inspectorate.
    Inspectorate,
    /// Another NGO: only cases whose worker consented to NGOs.
    Ngo,
    /// Researchers: every matching case, structured facts only (no free text, no contact).
    Research,
}

impl ExportAudience {
    pub fn parse(text: &str) -> Option<ExportAudience> {
        match text {
            "internal" => Some(ExportAudience::Internal),
            "inspectorate" => Some(ExportAudience::Inspectorate),
            "ngo" => Some(ExportAudience::Ngo),
            "research" => Some(ExportAudience::Research),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ExportAudience::Internal => "internal",
            ExportAudience::Inspectorate => "inspectorate",
            ExportAudience::Ngo => "ngo",
            ExportAudience::Research => "research",
        }
    }

    /// Whether a case with these consents may go to this audience.
    pub fn admits(self, case: &CaseRecord) -> bool {
        match self {
            ExportAudience::Internal | ExportAudience::Research => true,
            ExportAudience::Inspectorate => case.may_refer_inspectorate,
            ExportAudience::Ngo => case.may_refer_ngo,
        }
    }
}

/// What to include beyond the structured facts, and for whom.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportOptions {
    pub include_free_text: bool,
    pub include_contact: bool,
    pub audience: ExportAudience,
}

impl ExportOptions {
    /// Why these options may not be used together, if they may not: a research export holds
    /// structured facts only.
    pub fn problem(&self) -> Option<&'static str> {
        (self.audience == ExportAudience::Research
            && (self.include_free_text || self.include_contact))
            .then_some(
                "An export for researchers holds no free text and no contact fields. Untick them.",
            )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportMoney {
    pub amount_minor: u64,
    pub currency: String,
    /// Decimal in major units, e.g. `150000.00`.
    pub amount: String,
}

impl From<&Money> for ExportMoney {
    fn from(m: &Money) -> Self {
        ExportMoney {
            amount_minor: m.amount_minor,
            currency: m.currency.clone(),
            amount: labels::amount(m.amount_minor, &m.currency).replace(',', ""),
        }
    }
}

impl ExportMoney {
    fn text(&self) -> String {
        format!("{} {}", self.currency, self.amount)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportFee {
    pub amount: ExportMoney,
    pub paid_on: Option<String>,
    pub payee: String,
    pub stage: String,
    pub category: String,
    pub receipt: Option<bool>,
}

/// One case in the desk's own export format (JSON; CSV flattens it into [`CsvCase`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportCase {
    pub case_id: i64,
    pub report_id: String,
    pub received_on: String,
    pub status: String,
    pub worker_status: String,
    pub referred_by: Option<String>,
    /// How the report came: `app`, `sms`, or `unknown` (a channel newer than this desk).
    pub channel: String,
    pub language: String,
    pub written_on: Option<String>,
    pub origin_country: Option<String>,
    pub destination_country: String,
    /// ISIC section letter.
    pub sector: Option<String>,
    pub recruiter_name: Option<String>,
    pub recruiter_licence: Option<String>,
    pub recruiter_country: Option<String>,
    pub employer_name: Option<String>,
    pub employer_licence: Option<String>,
    pub employer_country: Option<String>,
    /// ILO forced-labour indicators (wire names).
    pub indicators: Vec<String>,
    pub fees: Vec<ExportFee>,
    /// Total of the fees per currency; never converted.
    pub fee_totals: Vec<ExportMoney>,
    pub loans_count: u32,
    pub deductions_count: u32,
    pub monthly_wage: Option<ExportMoney>,
    pub promised_job: Option<String>,
    pub promised_wage: Option<ExportMoney>,
    pub promised_hours_per_week: Option<u16>,
    pub actual_job: Option<String>,
    pub actual_wage: Option<ExportMoney>,
    pub actual_hours_per_week: Option<u16>,
    pub written_contract: Option<bool>,
    pub contract_in_own_language: Option<bool>,
    pub contract_substituted: Option<bool>,
    pub consent_union: bool,
    pub consent_inspectorate: bool,
    pub consent_ngo: bool,
    pub attachments: u32,
    /// Fields that failed validation, as `field:code`.
    pub problems: Vec<String>,
    /// Only when asked for.
    pub free_text: Option<String>,
    /// Only when asked for.
    pub contact_wanted: Option<bool>,
}

impl ExportCase {
    pub fn new(case: &CaseRecord, report: &Report, options: ExportOptions) -> ExportCase {
        let mut totals: std::collections::BTreeMap<String, u64> = Default::default();
        for fee in &report.fees {
            let t = totals.entry(fee.amount.currency.clone()).or_default();
            *t = t.saturating_add(fee.amount.amount_minor);
        }
        let party = |p: &Option<workvoice_proto::report::NamedParty>| {
            (
                p.as_ref().map(|p| p.name.clone()),
                p.as_ref().and_then(|p| p.licence_number.clone()),
                p.as_ref().and_then(|p| p.country.clone()),
            )
        };
        let (recruiter_name, recruiter_licence, recruiter_country) = party(&report.recruiter);
        let (employer_name, employer_licence, employer_country) = party(&report.employer);
        ExportCase {
            case_id: case.summary.id,
            report_id: case.summary.report_id.clone(),
            received_on: labels::date(case.summary.received_at),
            status: case.summary.status.as_str().to_string(),
            worker_status: case.worker_status.clone(),
            referred_by: case.summary.referred_by.clone(),
            channel: Channel::of(report).as_str().to_string(),
            language: report.language.clone(),
            written_on: report.written_on.clone(),
            origin_country: report.origin_country.clone(),
            destination_country: report.destination_country.clone(),
            sector: report.sector.map(|s| s.letter().to_string()),
            recruiter_name,
            recruiter_licence,
            recruiter_country,
            employer_name,
            employer_licence,
            employer_country,
            indicators: report
                .indicators
                .iter()
                .map(|i| i.as_str().to_string())
                .collect(),
            fees: report
                .fees
                .iter()
                .map(|f| ExportFee {
                    amount: (&f.amount).into(),
                    paid_on: f.paid_on.clone(),
                    payee: enum_name(&f.payee),
                    stage: enum_name(&f.stage),
                    category: enum_name(&f.category),
                    receipt: f.receipt,
                })
                .collect(),
            fee_totals: totals
                .into_iter()
                .map(|(currency, amount_minor)| {
                    (&Money {
                        amount_minor,
                        currency,
                    })
                        .into()
                })
                .collect(),
            loans_count: report.loans.len() as u32,
            deductions_count: report.deductions.len() as u32,
            monthly_wage: report.monthly_wage.as_ref().map(Into::into),
            promised_job: report.job.promised.title.clone(),
            promised_wage: report.job.promised.monthly_wage.as_ref().map(Into::into),
            promised_hours_per_week: report.job.promised.hours_per_week,
            actual_job: report.job.actual.title.clone(),
            actual_wage: report.job.actual.monthly_wage.as_ref().map(Into::into),
            actual_hours_per_week: report.job.actual.hours_per_week,
            written_contract: report.job.written_contract,
            contract_in_own_language: report.job.contract_in_own_language,
            contract_substituted: report.job.contract_substituted,
            consent_union: report.consent.union,
            consent_inspectorate: case.may_refer_inspectorate,
            consent_ngo: case.may_refer_ngo,
            attachments: report.attachments.len() as u32,
            problems: case
                .problems
                .iter()
                .map(|p| format!("{}:{}", p.field, p.code))
                .collect(),
            free_text: options.include_free_text.then(|| report.free_text.clone()),
            contact_wanted: options.include_contact.then_some(case.contact_wanted),
        }
    }
}

/// The wire name of a serde enum value (`sub_agent`).
fn enum_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "unknown".into(),
    }
}

fn join<T: AsRef<str>>(items: &[T]) -> String {
    items
        .iter()
        .map(|s| s.as_ref())
        .collect::<Vec<_>>()
        .join("; ")
}

/// One CSV row of the desk's own format: lists joined with `; `, money as `NPR 150000.00`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvCase {
    pub case_id: i64,
    pub report_id: String,
    pub received_on: String,
    pub status: String,
    pub worker_status: String,
    pub referred_by: Option<String>,
    pub channel: String,
    pub language: String,
    pub written_on: Option<String>,
    pub origin_country: Option<String>,
    pub destination_country: String,
    pub sector: Option<String>,
    pub recruiter_name: Option<String>,
    pub recruiter_licence: Option<String>,
    pub recruiter_country: Option<String>,
    pub employer_name: Option<String>,
    pub employer_licence: Option<String>,
    pub employer_country: Option<String>,
    pub indicators: String,
    pub fees_count: u32,
    pub fee_totals: String,
    pub loans_count: u32,
    pub deductions_count: u32,
    pub monthly_wage: Option<String>,
    pub promised_job: Option<String>,
    pub promised_wage: Option<String>,
    pub promised_hours_per_week: Option<u16>,
    pub actual_job: Option<String>,
    pub actual_wage: Option<String>,
    pub actual_hours_per_week: Option<u16>,
    pub written_contract: Option<bool>,
    pub contract_in_own_language: Option<bool>,
    pub contract_substituted: Option<bool>,
    pub consent_union: bool,
    pub consent_inspectorate: bool,
    pub consent_ngo: bool,
    pub attachments: u32,
    pub problems: String,
    pub free_text: Option<String>,
    pub contact_wanted: Option<bool>,
}

impl From<&ExportCase> for CsvCase {
    fn from(c: &ExportCase) -> Self {
        CsvCase {
            case_id: c.case_id,
            report_id: c.report_id.clone(),
            received_on: c.received_on.clone(),
            status: c.status.clone(),
            worker_status: c.worker_status.clone(),
            referred_by: c.referred_by.clone(),
            channel: c.channel.clone(),
            language: c.language.clone(),
            written_on: c.written_on.clone(),
            origin_country: c.origin_country.clone(),
            destination_country: c.destination_country.clone(),
            sector: c.sector.clone(),
            recruiter_name: c.recruiter_name.clone(),
            recruiter_licence: c.recruiter_licence.clone(),
            recruiter_country: c.recruiter_country.clone(),
            employer_name: c.employer_name.clone(),
            employer_licence: c.employer_licence.clone(),
            employer_country: c.employer_country.clone(),
            indicators: join(&c.indicators),
            fees_count: c.fees.len() as u32,
            fee_totals: join(
                &c.fee_totals
                    .iter()
                    .map(ExportMoney::text)
                    .collect::<Vec<_>>(),
            ),
            loans_count: c.loans_count,
            deductions_count: c.deductions_count,
            monthly_wage: c.monthly_wage.as_ref().map(ExportMoney::text),
            promised_job: c.promised_job.clone(),
            promised_wage: c.promised_wage.as_ref().map(ExportMoney::text),
            promised_hours_per_week: c.promised_hours_per_week,
            actual_job: c.actual_job.clone(),
            actual_wage: c.actual_wage.as_ref().map(ExportMoney::text),
            actual_hours_per_week: c.actual_hours_per_week,
            written_contract: c.written_contract,
            contract_in_own_language: c.contract_in_own_language,
            contract_substituted: c.contract_substituted,
            consent_union: c.consent_union,
            consent_inspectorate: c.consent_inspectorate,
            consent_ngo: c.consent_ngo,
            attachments: c.attachments,
            problems: join(&c.problems),
            free_text: c.free_text.clone(),
            contact_wanted: c.contact_wanted,
        }
    }
}

/// One case under HTCDS field names (`cas_`, `vic_`, `per_`, `hte_`), plus Workvoice fields
/// (`wv_`) the standard has no place for. `docs/HTCDS.md` documents each mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HtcdsCase {
    #[serde(rename = "cas_Status")]
    pub cas_status: String,
    #[serde(rename = "cas_ReferringOrganisation")]
    pub cas_referring_organisation: Option<String>,
    #[serde(rename = "cas_IncomingReferralDate")]
    pub cas_incoming_referral_date: Option<String>,
    #[serde(rename = "cas_ReferredOrganisation")]
    pub cas_referred_organisation: Option<String>,
    #[serde(rename = "cas_OutgoingReferralDate")]
    pub cas_outgoing_referral_date: Option<String>,
    #[serde(rename = "vic_AgreementToManagePersonalData")]
    pub vic_agreement_to_manage_personal_data: bool,
    #[serde(rename = "vic_MethodsOfControl")]
    pub vic_methods_of_control: String,
    #[serde(rename = "vic_TypeOfLabourExploitation")]
    pub vic_type_of_labour_exploitation: Option<String>,
    #[serde(rename = "vic_LabourIndustry")]
    pub vic_labour_industry: Option<String>,
    #[serde(rename = "per_Recruiter_RoleInProcess")]
    pub per_recruiter_role: Option<String>,
    #[serde(rename = "per_Recruiter_Organisation")]
    pub per_recruiter_organisation: Option<String>,
    #[serde(rename = "per_Employer_RoleInProcess")]
    pub per_employer_role: Option<String>,
    #[serde(rename = "per_Employer_Organisation")]
    pub per_employer_organisation: Option<String>,
    #[serde(rename = "hte_Recruitment_Country")]
    pub hte_recruitment_country: Option<String>,
    #[serde(rename = "hte_Recruitment_Date")]
    pub hte_recruitment_date: Option<String>,
    #[serde(rename = "hte_Exploitation_Country")]
    pub hte_exploitation_country: String,
    #[serde(rename = "hte_Exploitation_Description")]
    pub hte_exploitation_description: Option<String>,
    #[serde(rename = "wv_ReportId")]
    pub wv_report_id: String,
    #[serde(rename = "wv_ReceivedOn")]
    pub wv_received_on: String,
    #[serde(rename = "wv_Channel")]
    pub wv_channel: String,
    #[serde(rename = "wv_IloIndicators")]
    pub wv_ilo_indicators: String,
    #[serde(rename = "wv_RecruitmentFeeTotals")]
    pub wv_recruitment_fee_totals: String,
    #[serde(rename = "wv_MonthlyWage")]
    pub wv_monthly_wage: Option<String>,
    #[serde(rename = "wv_ContractSubstituted")]
    pub wv_contract_substituted: Option<bool>,
    #[serde(rename = "wv_ContactWanted")]
    pub wv_contact_wanted: Option<bool>,
}

/// HTCDS `vic_MethodsOfControl` values for an ILO indicator (`Other` where none fits).
pub fn htcds_method_of_control(i: Indicator) -> &'static [&'static str] {
    match i {
        Indicator::DebtBondage => &["DebtBondage"],
        Indicator::WithholdingOfWages => &["TakesEarnings"],
        Indicator::IntimidationAndThreats => &["Threats"],
        Indicator::PhysicalAndSexualViolence => &["PhysicalAbuse", "SexualAbuse"],
        Indicator::Deception => &["FalsePromises"],
        Indicator::RestrictionOfMovement => &["RestrictsMovement"],
        Indicator::ExcessiveOvertime => &["ExcessiveWorkingHours"],
        Indicator::RetentionOfIdentityDocuments => &["WithholdsDocuments"],
        Indicator::Isolation
        | Indicator::AbuseOfVulnerability
        | Indicator::AbusiveWorkingAndLivingConditions
        | Indicator::Unknown => &["Other"],
    }
}

/// HTCDS `vic_TypeOfLabourExploitation` for an ISIC section.
pub fn htcds_labour_type(s: Sector) -> &'static str {
    match s {
        Sector::Agriculture => "Agriculture",
        Sector::Mining => "MiningOrDrilling",
        Sector::Manufacturing => "Manufacturing",
        Sector::Construction => "Construction",
        Sector::TransportAndStorage => "Transportation",
        Sector::AccommodationAndFood => "Hospitality",
        Sector::Households => "DomesticWork",
        _ => "Other",
    }
}

/// HTCDS `vic_LabourIndustry` value names (ISIC v4 sections).
pub fn htcds_labour_industry(s: Sector) -> Option<&'static str> {
    Some(match s {
        Sector::Agriculture => "A_AgricultureForestryAndFishing",
        Sector::Mining => "B_MiningAndQuarrying",
        Sector::Manufacturing => "C_Manufacturing",
        Sector::Electricity => "D_ElectricityGasSteamAndAirConditioningSupply",
        Sector::WaterAndWaste => "E_WaterSupplySewerageWasteManagement",
        Sector::Construction => "F_Construction",
        Sector::WholesaleAndRetail => "G_WholesaleAndRetailTradeRepairOfMotorVehicles",
        Sector::TransportAndStorage => "H_TransportationAndStorage",
        Sector::AccommodationAndFood => "I_AccommodationAndFoodServiceActivities",
        Sector::InformationAndCommunication => "J_InformationAndCommunication",
        Sector::FinanceAndInsurance => "K_FinancialAndInsuranceActivities",
        Sector::RealEstate => "L_RealEstateActivities",
        Sector::ProfessionalAndScientific => "M_ProfessionalScientificAndTechnicalActivities",
        Sector::AdministrativeAndSupport => "N_AdministrativeAndSupportServiceActivities",
        Sector::PublicAdministration => "O_PublicAdministrationAndDefence",
        Sector::Education => "P_Education",
        Sector::HealthAndSocialWork => "Q_HumanHealthAndSocialWorkActivities",
        Sector::ArtsAndRecreation => "R_ArtsEntertainmentAndRecreation",
        Sector::OtherServices => "S_OtherServiceActivities",
        Sector::Households => "T_ActivitiesOfHouseholdsAsEmployers",
        Sector::Extraterritorial => "U_ActivitiesOfExtraterritorialOrganizations",
        Sector::Unknown => return None,
    })
}

/// HTCDS `cas_Status` for an internal status.
pub fn htcds_status(s: CaseStatus) -> &'static str {
    match s {
        CaseStatus::New | CaseStatus::Triage | CaseStatus::Investigating => "Active",
        CaseStatus::WaitingForWorker => "FollowUp",
        CaseStatus::Referred => "ClosedReferred",
        CaseStatus::Resolved | CaseStatus::Closed => "Closed",
    }
}

/// Outgoing referrals recorded in a case's history: (names, first date).
pub type Referrals = (Vec<String>, Option<u64>);

impl HtcdsCase {
    pub fn new(
        case: &CaseRecord,
        report: &Report,
        referrals: &Referrals,
        referred_by_name: Option<String>,
        options: ExportOptions,
    ) -> HtcdsCase {
        let base = ExportCase::new(case, report, options);
        let mut methods: Vec<&str> = Vec::new();
        for i in &report.indicators {
            for m in htcds_method_of_control(*i) {
                if !methods.contains(m) {
                    methods.push(m);
                }
            }
        }
        let recruitment_date = report.fees.iter().filter_map(|f| f.paid_on.clone()).min();
        HtcdsCase {
            cas_status: htcds_status(case.summary.status).into(),
            cas_referring_organisation: referred_by_name.or(case.summary.referred_by.clone()),
            cas_incoming_referral_date: case
                .summary
                .referred_by
                .as_ref()
                .map(|_| labels::date(case.summary.received_at)),
            cas_referred_organisation: (!referrals.0.is_empty()).then(|| join(&referrals.0)),
            cas_outgoing_referral_date: referrals.1.map(labels::date),
            vic_agreement_to_manage_personal_data: true,
            vic_methods_of_control: methods.join(";"),
            vic_type_of_labour_exploitation: report.sector.map(|s| htcds_labour_type(s).into()),
            vic_labour_industry: report
                .sector
                .and_then(htcds_labour_industry)
                .map(Into::into),
            per_recruiter_role: report
                .recruiter
                .as_ref()
                .map(|_| "RecruiterOrIntermediary".into()),
            per_recruiter_organisation: report.recruiter.as_ref().map(|p| p.name.clone()),
            per_employer_role: report.employer.as_ref().map(|_| "Exploiter".into()),
            per_employer_organisation: report.employer.as_ref().map(|p| p.name.clone()),
            hte_recruitment_country: report.origin_country.clone(),
            hte_recruitment_date: recruitment_date,
            hte_exploitation_country: report.destination_country.clone(),
            hte_exploitation_description: base.free_text.clone(),
            wv_report_id: base.report_id.clone(),
            wv_received_on: base.received_on.clone(),
            wv_channel: base.channel.clone(),
            wv_ilo_indicators: join(&base.indicators),
            wv_recruitment_fee_totals: join(
                &base
                    .fee_totals
                    .iter()
                    .map(ExportMoney::text)
                    .collect::<Vec<_>>(),
            ),
            wv_monthly_wage: base.monthly_wage.as_ref().map(ExportMoney::text),
            wv_contract_substituted: report.job.contract_substituted,
            wv_contact_wanted: base.contact_wanted,
        }
    }
}

/// Every filtered case that the audience may receive, exported. A research export with free
/// text or contact fields is refused (`DeskError::InvalidInput`).
pub async fn export_cases(
    desk: &Desk,
    filter: &CaseFilter,
    format: ExportFormat,
    options: ExportOptions,
) -> Result<Vec<u8>> {
    if let Some(problem) = options.problem() {
        return Err(DeskError::InvalidInput(problem.into()));
    }
    let ids = desk.filtered_case_ids(filter).await?;
    let names = desk
        .cached_directory()
        .map(|d| {
            d.listing
                .organisations
                .iter()
                .map(|o| (o.id.to_hex(), o.name("en").to_string()))
                .collect::<std::collections::HashMap<_, _>>()
        })
        .unwrap_or_default();
    let mut own = Vec::with_capacity(ids.len());
    let mut htcds = Vec::new();
    for id in ids {
        let case = desk.case(id).await?;
        if !options.audience.admits(&case) {
            continue;
        }
        let report = Desk::report_of(&case)?;
        match format {
            ExportFormat::Csv | ExportFormat::Json => {
                own.push(ExportCase::new(&case, &report, options))
            }
            ExportFormat::HtcdsCsv | ExportFormat::HtcdsJson => {
                let events = desk.events(id).await?;
                let mut names_out = Vec::new();
                let mut first = None;
                for e in events.iter().filter(|e| e.kind == "referral") {
                    if let Some(n) = e.detail.get("name").and_then(|v| v.as_str()) {
                        names_out.push(n.to_string());
                    }
                    first = first.or(Some(e.at));
                }
                let by = case
                    .summary
                    .referred_by
                    .as_ref()
                    .and_then(|id| names.get(id).cloned());
                htcds.push(HtcdsCase::new(
                    &case,
                    &report,
                    &(names_out, first),
                    by,
                    options,
                ));
            }
        }
    }
    let bytes = match format {
        ExportFormat::Json => serde_json::to_vec_pretty(&own).map_err(io_err)?,
        ExportFormat::HtcdsJson => serde_json::to_vec_pretty(&htcds).map_err(io_err)?,
        ExportFormat::Csv => {
            let rows: Vec<CsvCase> = own.iter().map(CsvCase::from).collect();
            write_csv(&rows)?
        }
        ExportFormat::HtcdsCsv => write_csv(&htcds)?,
    };
    Ok(bytes)
}

fn io_err(e: impl std::fmt::Display) -> DeskError {
    DeskError::Io(std::io::Error::other(e.to_string()))
}

/// Write rows as CSV with every cell that a spreadsheet would run as a formula guarded.
///
/// Worker-supplied text (recruiter and employer names, job titles, free text) goes into these
/// files; a cell beginning with `=`, `+`, `-`, `@` is a formula in common spreadsheets, and
/// some spreadsheets skip leading whitespace and invisible characters, or read fullwidth signs
/// as their ASCII twins, before they decide. So a cell whose first character is any of those
/// ([`starts_like_a_formula`]), and, to keep the transformation reversible, one that begins with
/// `'`, is written with a leading `'`, which spreadsheets show as text. [`read_csv`] removes it
/// again.
fn write_csv<T: Serialize>(rows: &[T]) -> Result<Vec<u8>> {
    let mut plain = csv::Writer::from_writer(Vec::new());
    for row in rows {
        plain.serialize(row).map_err(io_err)?;
    }
    let plain = plain.into_inner().map_err(io_err)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(plain.as_slice());
    let mut out = csv::Writer::from_writer(Vec::new());
    for record in reader.records() {
        let record = record.map_err(io_err)?;
        out.write_record(record.iter().map(|cell| guard_cell(cell).into_owned()))
            .map_err(io_err)?;
    }
    out.into_inner().map_err(io_err)
}

/// Whether a cell beginning with `c` must be guarded: a formula sign in ASCII, fullwidth or
/// small form (and the minus sign), any whitespace (space, tab, newline, carriage return,
/// no-break and ideographic spaces…), an invisible format character (zero-width space, joiners,
/// word joiner, byte-order mark, Mongolian vowel separator), or the guard `'` itself.
pub fn starts_like_a_formula(c: char) -> bool {
    matches!(
        c,
        '=' | '+'
            | '-'
            | '@'
            | '\''
            | '\u{FF1D}' // ＝
            | '\u{FF0B}' // ＋
            | '\u{FF0D}' // －
            | '\u{FF20}' // ＠
            | '\u{FE66}' // ﹦
            | '\u{FE62}' // ﹢
            | '\u{FE63}' // ﹣
            | '\u{FE6B}' // ﹫
            | '\u{2212}' // −
            | '\u{200B}'
            | '\u{200C}'
            | '\u{200D}'
            | '\u{2060}'
            | '\u{FEFF}'
            | '\u{180E}'
    ) || c.is_whitespace()
}

/// A CSV cell as written: text that a spreadsheet would take for a formula gets a leading `'`.
pub fn guard_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.chars().next().is_some_and(starts_like_a_formula) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// The reverse of [`guard_cell`].
pub fn unguard_cell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.chars().next().is_some_and(starts_like_a_formula) => rest,
        _ => cell,
    }
}

/// Parse a CSV export back (tests and importers), removing the formula guard of [`write_csv`].
pub fn read_csv<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<Vec<T>> {
    let mut reader = csv::Reader::from_reader(bytes);
    let headers = reader.headers().map_err(io_err)?.clone();
    reader
        .records()
        .map(|record| {
            let record = record.map_err(io_err)?;
            let plain: csv::StringRecord = record.iter().map(unguard_cell).collect();
            plain.deserialize(Some(&headers)).map_err(io_err)
        })
        .collect()
}
