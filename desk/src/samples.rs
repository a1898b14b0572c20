//! Realistic sample reports for demos, tests and benchmarks: workers from Nepal, Bangladesh,
//! Indonesia, the Philippines, Guatemala and Pakistan, each writing in their own language
//! (Urdu is written right to left). Deterministic: the same index gives the same report.

use workvoice_proto::keys::{HpkePublicKey, ReportId};
use workvoice_proto::report::{
    Collateral, CostCategory, DeductionReason, Indicator, JobComparison, JobTerms, LenderKind,
    Loan, Money, NamedParty, PayeeRole, REPORT_SCHEMA_VERSION, RecruitmentFee, RecruitmentStage,
    Report, Sector, WageDeduction,
};
use workvoice_proto::routing::Consent;

/// How many distinct templates [`sample_report`] cycles through.
pub const TEMPLATES: usize = 6;

fn money(amount_minor: u64, currency: &str) -> Money {
    Money {
        amount_minor,
        currency: currency.into(),
    }
}

fn fee(
    amount: Money,
    paid_on: &str,
    payee: PayeeRole,
    stage: RecruitmentStage,
    category: CostCategory,
    receipt: Option<bool>,
) -> RecruitmentFee {
    RecruitmentFee {
        amount,
        paid_on: Some(paid_on.into()),
        payee,
        stage,
        category,
        receipt,
    }
}

fn party(name: &str, licence: Option<&str>, country: &str) -> Option<NamedParty> {
    Some(NamedParty {
        name: name.into(),
        licence_number: licence.map(Into::into),
        country: Some(country.into()),
    })
}

fn terms(title: &str, wage: Money, hours: u16) -> JobTerms {
    JobTerms {
        title: Some(title.into()),
        monthly_wage: Some(wage),
        hours_per_week: Some(hours),
        employer: None,
    }
}

/// Sample report number `index` (templates cycle; amounts and dates vary with the index).
pub fn sample_report(index: usize, report_id: ReportId, reply_key: HpkePublicKey) -> Report {
    let v = (index / TEMPLATES) as u64;
    let bump = |base: u64| base + (v % 7) * base / 20;
    let day = format!("2026-{:02}-{:02}", 1 + (index % 10), 1 + (index % 27));
    let month = format!("2025-{:02}", 1 + (index % 12));
    let mut r = Report {
        schema: REPORT_SCHEMA_VERSION,
        report_id,
        language: "en".into(),
        written_on: Some(day),
        fees: vec![],
        loans: vec![],
        deductions: vec![],
        job: JobComparison::default(),
        indicators: vec![],
        recruiter: None,
        employer: None,
        origin_country: None,
        destination_country: "QA".into(),
        sector: None,
        monthly_wage: None,
        free_text: String::new(),
        attachments: vec![],
        consent: Consent {
            union: true,
            inspectorate: false,
            ngo: false,
            contact_wanted: true,
        },
        reply_key,
        withdrawal_hash: None,
        channel: None,
    };
    match index % TEMPLATES {
        0 => {
            r.language = "ne".into();
            r.origin_country = Some("NP".into());
            r.destination_country = "QA".into();
            r.sector = Some(Sector::Construction);
            r.fees = vec![
                fee(
                    money(bump(15_000_000), "NPR"),
                    &month,
                    PayeeRole::SubAgent,
                    RecruitmentStage::Origin,
                    CostCategory::RecruitmentServiceFee,
                    Some(false),
                ),
                fee(
                    money(3_500_000, "NPR"),
                    &month,
                    PayeeRole::MedicalClinic,
                    RecruitmentStage::Origin,
                    CostCategory::Medical,
                    Some(true),
                ),
                fee(
                    money(bump(300_000), "QAR"),
                    &month,
                    PayeeRole::Employer,
                    RecruitmentStage::Destination,
                    CostCategory::Documentation,
                    Some(false),
                ),
            ];
            r.job = JobComparison {
                promised: JobTerms {
                    employer: Some("Qatar Electrical Contracting W.L.L.".into()),
                    ..terms("Electrician", money(180_000, "QAR"), 48)
                },
                actual: terms("Labourer", money(100_000, "QAR"), 72),
                written_contract: Some(true),
                contract_in_own_language: Some(false),
                contract_substituted: Some(true),
                visa_type: None,
            };
            r.monthly_wage = Some(money(100_000, "QAR"));
            r.indicators = vec![
                Indicator::RetentionOfIdentityDocuments,
                Indicator::WithholdingOfWages,
                Indicator::Deception,
            ];
            r.recruiter = party("Sagarmatha Manpower Pvt. Ltd.", Some("1234/067/068"), "NP");
            r.employer = party("Doha Build Co. W.L.L.", None, "QA");
            r.free_text = "कम्पनीले राहदानी राखेको छ। तीन महिनादेखि तलब पाएको छैन। एजेन्टले बिजुली मिस्त्रीको काम भनेको थियो, तर यहाँ मजदुरको काम गराउँछन्।".into();
            r.consent.inspectorate = true;
        }
        1 => {
            r.language = "bn".into();
            r.origin_country = Some("BD".into());
            r.destination_country = "MY".into();
            r.sector = Some(Sector::Manufacturing);
            r.fees = vec![fee(
                money(bump(45_000_000), "BDT"),
                &month,
                PayeeRole::Broker,
                RecruitmentStage::Origin,
                CostCategory::RecruitmentServiceFee,
                Some(false),
            )];
            r.loans = vec![Loan {
                lender: LenderKind::Moneylender,
                principal: money(30_000_000, "BDT"),
                interest_bp_per_month: Some(500),
                collateral: Some(Collateral::LandOrHouse),
            }];
            r.job = JobComparison {
                promised: terms("Machine operator", money(180_000, "MYR"), 48),
                actual: terms("Packer", money(150_000, "MYR"), 84),
                written_contract: Some(false),
                contract_in_own_language: None,
                contract_substituted: None,
                visa_type: None,
            };
            r.monthly_wage = Some(money(150_000, "MYR"));
            r.indicators = vec![
                Indicator::DebtBondage,
                Indicator::Deception,
                Indicator::ExcessiveOvertime,
            ];
            r.recruiter = party("Dhaka Overseas Recruiting Agency", Some("RL-0987"), "BD");
            r.employer = party("Klang Valley Gloves Sdn. Bhd.", None, "MY");
            r.free_text = "দালালকে সাড়ে চার লাখ টাকা দিয়েছি। এখানে দিনে চৌদ্দ ঘণ্টা কাজ করতে হয়, ছুটি নেই। ঋণ শোধ না হওয়া পর্যন্ত দেশে ফিরতে পারব না।".into();
            r.consent.ngo = true;
        }
        2 => {
            r.language = "id".into();
            r.origin_country = Some("ID".into());
            r.destination_country = "MY".into();
            r.sector = Some(Sector::Agriculture);
            r.fees = vec![
                fee(
                    money(bump(2_500_000_000), "IDR"),
                    &month,
                    PayeeRole::RecruitmentAgency,
                    RecruitmentStage::Origin,
                    CostCategory::RecruitmentServiceFee,
                    Some(true),
                ),
                fee(
                    money(bump(240_000), "MYR"),
                    &month,
                    PayeeRole::Employer,
                    RecruitmentStage::Destination,
                    CostCategory::Lodging,
                    Some(false),
                ),
            ];
            r.deductions = vec![WageDeduction {
                amount: money(30_000, "MYR"),
                reason: DeductionReason::RecruitmentFeeRepayment,
                recurring_monthly: true,
            }];
            r.monthly_wage = Some(money(120_000, "MYR"));
            r.indicators = vec![
                Indicator::RetentionOfIdentityDocuments,
                Indicator::RestrictionOfMovement,
                Indicator::Isolation,
            ];
            r.recruiter = party("PT Sumber Rejeki Tenaga Kerja", Some("KEP-123/2019"), "ID");
            r.employer = party("Ladang Sawit Sejahtera", None, "MY");
            r.free_text = "Paspor saya ditahan oleh majikan. Kami tidak boleh keluar dari perkebunan, dan gaji dipotong setiap bulan untuk membayar biaya agen.".into();
            r.consent.inspectorate = true;
        }
        3 => {
            r.language = "tl".into();
            r.origin_country = Some("PH".into());
            r.destination_country = "SA".into();
            r.sector = Some(Sector::Households);
            r.fees = vec![
                fee(
                    money(bump(5_000_000), "PHP"),
                    &month,
                    PayeeRole::TrainingCentre,
                    RecruitmentStage::Origin,
                    CostCategory::Training,
                    Some(true),
                ),
                fee(
                    money(3_000_000, "PHP"),
                    &month,
                    PayeeRole::RecruitmentAgency,
                    RecruitmentStage::Origin,
                    CostCategory::RecruitmentServiceFee,
                    Some(false),
                ),
            ];
            r.job = JobComparison {
                promised: terms("Caregiver", money(200_000, "SAR"), 48),
                actual: terms("Domestic worker", money(150_000, "SAR"), 105),
                written_contract: Some(true),
                contract_in_own_language: Some(true),
                contract_substituted: Some(true),
                visa_type: None,
            };
            r.monthly_wage = Some(money(150_000, "SAR"));
            r.indicators = vec![
                Indicator::ExcessiveOvertime,
                Indicator::AbusiveWorkingAndLivingConditions,
                Indicator::IntimidationAndThreats,
                Indicator::RetentionOfIdentityDocuments,
            ];
            r.recruiter = party(
                "Bagong Pag-asa Manpower Services",
                Some("POEA-045-LB-031820"),
                "PH",
            );
            r.free_text = "Kinuha ng amo ang aking pasaporte. Nagtatrabaho ako ng labing-anim na oras bawat araw at hindi ako pinapayagang lumabas ng bahay.".into();
            r.consent.contact_wanted = false;
        }
        4 => {
            r.language = "es".into();
            r.origin_country = Some("GT".into());
            r.destination_country = "US".into();
            r.sector = Some(Sector::Agriculture);
            r.fees = vec![fee(
                money(bump(350_000), "USD"),
                &month,
                PayeeRole::RecruitmentAgency,
                RecruitmentStage::Origin,
                CostCategory::Travel,
                Some(false),
            )];
            r.job = JobComparison {
                promised: terms("Trabajador agrícola", money(240_000, "USD"), 40),
                actual: terms(
                    "Trabajador agrícola (pago por caja)",
                    money(160_000, "USD"),
                    60,
                ),
                written_contract: Some(true),
                contract_in_own_language: Some(false),
                contract_substituted: Some(false),
                visa_type: None,
            };
            r.monthly_wage = Some(money(160_000, "USD"));
            r.indicators = vec![Indicator::Deception, Indicator::DebtBondage];
            r.recruiter = party("Agencia Laboral del Norte S.A.", None, "GT");
            r.employer = party("Valley Fresh Farms LLC", None, "US");
            r.free_text = "El reclutador me cobró 3,500 dólares por la visa y el transporte. El contrato decía 15 dólares por hora pero nos pagan por caja y no alcanza para pagar la deuda.".into();
            r.consent.inspectorate = true;
            r.consent.ngo = true;
        }
        _ => {
            r.language = "ur".into();
            r.origin_country = Some("PK".into());
            r.destination_country = "QA".into();
            r.sector = Some(Sector::Construction);
            r.fees = vec![fee(
                money(bump(80_000_000), "PKR"),
                &month,
                PayeeRole::SubAgent,
                RecruitmentStage::Origin,
                CostCategory::RecruitmentServiceFee,
                None,
            )];
            r.monthly_wage = Some(money(110_000, "QAR"));
            r.indicators = vec![
                Indicator::RetentionOfIdentityDocuments,
                Indicator::WithholdingOfWages,
            ];
            r.recruiter = party("SAGARMATHA MANPOWER PVT LTD", None, "NP");
            r.employer = party("Doha Build Co.", None, "QA");
            r.free_text = "ایجنٹ نے ویزا کے لیے آٹھ لاکھ روپے لیے۔ کمپنی نے ہمارا پاسپورٹ رکھ لیا ہے اور تین ماہ سے تنخواہ نہیں ملی۔".into();
        }
    }
    r
}
