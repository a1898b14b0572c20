//! Plain-English labels for every enumeration of the report, money with the currency's minor
//! units, countries, languages and dates. The web UI, the exports and the charts all use these,
//! so a caseworker never sees a wire name such as `retention_of_identity_documents`.

pub mod iso_names;

use workvoice_proto::api::WorkerStatus;
use workvoice_proto::directory::OrgKind;
use workvoice_proto::iso::currency_exponent;
use workvoice_proto::report::{
    Collateral, CostCategory, DeductionReason, Indicator, LenderKind, Money, PayeeRole,
    RecruitmentStage, Sector, VisaType,
};

pub fn indicator(i: Indicator) -> &'static str {
    match i {
        Indicator::AbuseOfVulnerability => "Abuse of vulnerability",
        Indicator::Deception => "Deception",
        Indicator::RestrictionOfMovement => "Restriction of movement",
        Indicator::Isolation => "Isolation",
        Indicator::PhysicalAndSexualViolence => "Physical and sexual violence",
        Indicator::IntimidationAndThreats => "Intimidation and threats",
        Indicator::RetentionOfIdentityDocuments => "Retention of identity documents",
        Indicator::WithholdingOfWages => "Withholding of wages",
        Indicator::DebtBondage => "Debt bondage",
        Indicator::AbusiveWorkingAndLivingConditions => "Abusive working and living conditions",
        Indicator::ExcessiveOvertime => "Excessive overtime",
        Indicator::Unknown => "An indicator this version does not know",
    }
}

pub fn indicator_from_str(s: &str) -> Option<Indicator> {
    Indicator::ALL.iter().copied().find(|i| i.as_str() == s)
}

pub fn payee(p: PayeeRole) -> &'static str {
    match p {
        PayeeRole::SubAgent => "Sub-agent",
        PayeeRole::RecruitmentAgency => "Recruitment agency",
        PayeeRole::Broker => "Broker",
        PayeeRole::Employer => "Employer",
        PayeeRole::GovernmentOfficial => "Government official",
        PayeeRole::MedicalClinic => "Medical clinic",
        PayeeRole::TrainingCentre => "Training centre",
        PayeeRole::Other => "Other",
        PayeeRole::Unknown => "Not known to this version",
    }
}

pub fn stage(s: RecruitmentStage) -> &'static str {
    match s {
        RecruitmentStage::Origin => "In the country of origin",
        RecruitmentStage::Transit => "In transit",
        RecruitmentStage::Destination => "In the destination country",
        RecruitmentStage::Unknown => "Not known to this version",
    }
}

pub fn cost_category(c: CostCategory) -> &'static str {
    match c {
        CostCategory::RecruitmentServiceFee => "Recruitment service fee",
        CostCategory::Medical => "Medical costs",
        CostCategory::Insurance => "Insurance",
        CostCategory::SkillsTest => "Skills or qualification test",
        CostCategory::Training => "Training",
        CostCategory::Equipment => "Equipment",
        CostCategory::Travel => "Travel",
        CostCategory::Lodging => "Lodging",
        CostCategory::Documentation => "Documents (passport, visa, permits)",
        CostCategory::Other => "Other cost",
        CostCategory::Unknown => "Not known to this version",
    }
}

pub fn lender(l: LenderKind) -> &'static str {
    match l {
        LenderKind::Recruiter => "The recruiter",
        LenderKind::Employer => "The employer",
        LenderKind::Moneylender => "A moneylender",
        LenderKind::Bank => "A bank",
        LenderKind::Cooperative => "A cooperative",
        LenderKind::FamilyOrFriend => "Family or friends",
        LenderKind::Other => "Other lender",
        LenderKind::Unknown => "Not known to this version",
    }
}

pub fn collateral(c: Collateral) -> &'static str {
    match c {
        Collateral::None => "No collateral",
        Collateral::LandOrHouse => "Land or house",
        Collateral::IdentityDocuments => "Identity documents",
        Collateral::FamilyGuarantor => "A family member as guarantor",
        Collateral::GoldOrValuables => "Gold or valuables",
        Collateral::Other => "Other collateral",
        Collateral::Unknown => "Not known to this version",
    }
}

pub fn deduction_reason(d: DeductionReason) -> &'static str {
    match d {
        DeductionReason::RecruitmentFeeRepayment => "Repaying recruitment fees",
        DeductionReason::LoanRepayment => "Repaying a loan",
        DeductionReason::Accommodation => "Accommodation",
        DeductionReason::Food => "Food",
        DeductionReason::Transport => "Transport",
        DeductionReason::Equipment => "Equipment",
        DeductionReason::Fines => "Fines",
        DeductionReason::Other => "Other",
        DeductionReason::Unknown => "Not known to this version",
    }
}

/// ISIC Rev. 4 section titles.
pub fn sector(s: Sector) -> &'static str {
    match s {
        Sector::Agriculture => "Agriculture, forestry and fishing",
        Sector::Mining => "Mining and quarrying",
        Sector::Manufacturing => "Manufacturing",
        Sector::Electricity => "Electricity, gas, steam and air conditioning",
        Sector::WaterAndWaste => "Water supply, sewerage and waste",
        Sector::Construction => "Construction",
        Sector::WholesaleAndRetail => "Wholesale and retail trade",
        Sector::TransportAndStorage => "Transport and storage",
        Sector::AccommodationAndFood => "Accommodation and food services",
        Sector::InformationAndCommunication => "Information and communication",
        Sector::FinanceAndInsurance => "Finance and insurance",
        Sector::RealEstate => "Real estate",
        Sector::ProfessionalAndScientific => "Professional, scientific and technical",
        Sector::AdministrativeAndSupport => "Administrative and support services",
        Sector::PublicAdministration => "Public administration and defence",
        Sector::Education => "Education",
        Sector::HealthAndSocialWork => "Health and social work",
        Sector::ArtsAndRecreation => "Arts, entertainment and recreation",
        Sector::OtherServices => "Other services",
        Sector::Households => "Domestic work (households as employers)",
        Sector::Extraterritorial => "Extraterritorial organisations",
        Sector::Unknown => "A sector this version does not know",
    }
}

pub fn worker_status(s: WorkerStatus) -> &'static str {
    match s {
        WorkerStatus::Received => "Received",
        WorkerStatus::InReview => "In review",
        WorkerStatus::Referred => "Referred",
        WorkerStatus::Resolved => "Resolved",
        WorkerStatus::Closed => "Closed",
        WorkerStatus::Unknown => "Unknown",
    }
}

pub fn org_kind(k: OrgKind) -> &'static str {
    match k {
        OrgKind::Union => "Trade union",
        OrgKind::Inspectorate => "Labour inspectorate",
        OrgKind::Ngo => "NGO",
        OrgKind::Unknown => "Organisation of an unknown kind",
    }
}

pub fn report_kind(kind: &str) -> String {
    match kind {
        "recruitment_fees" => "Recruitment fees".into(),
        "forced_labour" => "Forced labour".into(),
        "wage_theft" => "Wage theft".into(),
        "contract_substitution" => "Contract substitution".into(),
        "other" => "Other".into(),
        other => format!("Other ({other})"),
    }
}

/// The visa the worker travelled or works on; "Not given" when she did not say.
pub fn visa(value: Option<VisaType>) -> &'static str {
    match value {
        Some(VisaType::Work) => "Work visa",
        Some(VisaType::DomesticWorker) => "Domestic worker visa",
        Some(VisaType::Visit) => "Visit or tourist visa",
        Some(VisaType::Student) => "Student visa",
        Some(VisaType::NoVisa) => "No visa",
        Some(VisaType::Other) => "Another visa",
        Some(VisaType::Unknown) => "A visa this desk does not know",
        None => "Not given",
    }
}

pub fn yes_no(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "Yes",
        Some(false) => "No",
        None => "Not known",
    }
}

/// "Qatar" for `QA`; the code itself when it is not an ISO 3166-1 code.
pub fn country_name(code: &str) -> &str {
    iso_names::COUNTRY_NAMES
        .binary_search_by(|(c, _)| (*c).cmp(code))
        .map(|i| iso_names::COUNTRY_NAMES[i].1)
        .unwrap_or(code)
}

/// "Qatar (QA)".
pub fn country(code: &str) -> String {
    let name = country_name(code);
    if name == code {
        code.to_string()
    } else {
        format!("{name} ({code})")
    }
}

/// "Nepali" for `ne` or `ne-NP`.
pub fn language(tag: &str) -> String {
    let primary = tag.split('-').next().unwrap_or(tag);
    match iso_names::LANGUAGE_NAMES.binary_search_by(|(c, _)| (*c).cmp(primary)) {
        Ok(i) => format!("{} ({tag})", iso_names::LANGUAGE_NAMES[i].1),
        Err(_) => tag.to_string(),
    }
}

/// An amount in minor units as a decimal with thousands separators, without the currency:
/// `150000.00` for 15 000 000 paisa. Unknown currencies are shown in minor units.
pub fn amount(amount_minor: u64, currency: &str) -> String {
    let exponent = currency_exponent(currency).unwrap_or(0) as u32;
    let divisor = 10u64.pow(exponent);
    let whole = group_thousands(amount_minor / divisor);
    if exponent == 0 {
        whole
    } else {
        format!(
            "{whole}.{:0width$}",
            amount_minor % divisor,
            width = exponent as usize
        )
    }
}

/// `NPR 150,000.00`.
pub fn money(m: &Money) -> String {
    if currency_exponent(&m.currency).is_none() {
        return format!(
            "{} minor units of {:?} (not an ISO 4217 currency)",
            group_thousands(m.amount_minor),
            m.currency
        );
    }
    format!("{} {}", m.currency, amount(m.amount_minor, &m.currency))
}

/// An amount in minor units as a floating-point number of major units (for charts only).
pub fn major_units(amount_minor: u64, currency: &str) -> f64 {
    let exponent = currency_exponent(currency).unwrap_or(0) as i32;
    amount_minor as f64 / 10f64.powi(exponent)
}

pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) to days since 1970-01-01.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` of a unix time.
pub fn date(unix: u64) -> String {
    let (y, m, d) = civil_from_days((unix / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DD HH:00 UTC` of a unix time.
pub fn date_hour(unix: u64) -> String {
    format!("{} {:02}:00 UTC", date(unix), (unix % 86_400) / 3600)
}

/// Unix seconds of the start of a `YYYY-MM-DD` day, if it is a real date.
pub fn parse_date(text: &str) -> Option<u64> {
    if !workvoice_proto::report::is_valid_date(text, false) {
        return None;
    }
    let y: i64 = text.get(0..4)?.parse().ok()?;
    let m: u32 = text.get(5..7)?.parse().ok()?;
    let d: u32 = text.get(8..10)?.parse().ok()?;
    u64::try_from(days_from_civil(y, m, d) * 86_400).ok()
}

/// Unix seconds of the Monday 00:00 UTC that starts the week of `unix`.
pub fn week_start(unix: u64) -> u64 {
    let days = unix / 86_400;
    // 1970-01-01 was a Thursday: Monday-based weekday is (days + 3) % 7.
    (days - (days + 3) % 7) * 86_400
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_uses_minor_units() {
        let m = |a, c: &str| {
            money(&Money {
                amount_minor: a,
                currency: c.into(),
            })
        };
        assert_eq!(m(15_000_000, "NPR"), "NPR 150,000.00");
        assert_eq!(m(500_000, "JPY"), "JPY 500,000");
        assert_eq!(m(1_234_567, "KWD"), "KWD 1,234.567");
        assert_eq!(m(5, "USD"), "USD 0.05");
        assert!(m(5, "XYZ").contains("not an ISO 4217"));
    }

    #[test]
    fn dates_round_trip() {
        assert_eq!(date(1_795_824_000), "2026-11-28");
        assert_eq!(parse_date("2026-11-28"), Some(1_795_824_000));
        assert_eq!(parse_date("2026-02-30"), None);
        for days in [-1000i64, 0, 59, 60, 365, 20_000, 30_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        // 2026-11-28 is a Saturday; its week starts on Monday 2026-11-23.
        assert_eq!(date(week_start(1_795_824_000)), "2026-11-23");
    }

    #[test]
    fn every_enum_has_a_label() {
        assert!(Indicator::ALL.iter().all(|i| !indicator(*i).is_empty()));
        assert!(Sector::ALL.iter().all(|s| !sector(*s).is_empty()));
        assert_eq!(country("QA"), "Qatar (QA)");
        assert_eq!(country("XX"), "XX");
        assert_eq!(language("ne"), "Nepali (ne)");
        assert_eq!(
            indicator_from_str("debt_bondage"),
            Some(Indicator::DebtBondage)
        );
    }
}
