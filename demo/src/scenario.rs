//! The demo's workers and what they report: six migrant workers, six languages, the fees they
//! paid, the pay cuts that repay their debts, the ILO indicators of forced labour that fit their
//! story, and whom they allow to read it. Each is typed into a phone core as a worker would.

use workvoice_cli::{
    ConsentLine, DeductionLine, FeeLine, JobLine, LoanLine, MoneyLine, PartyLine, ReportFile,
};

/// One worker of the demo and the report she sends.
#[derive(Debug, Clone)]
pub struct DemoWorker {
    /// A short name for the phone's data directory.
    pub phone: &'static str,
    /// Who she is, for the console.
    pub who: &'static str,
    /// The language of the phone's screens.
    pub app_language: &'static str,
    pub report: ReportFile,
}

impl DemoWorker {
    /// Whether she allows a labour inspectorate to read her report.
    pub fn consents_to_inspectorate(&self) -> bool {
        self.report.consent.inspectorate
    }
}

fn fee(
    amount: &str,
    currency: &str,
    payee: &str,
    stage: &str,
    category: &str,
    paid_on: &str,
    receipt: Option<bool>,
) -> FeeLine {
    FeeLine {
        amount: amount.into(),
        currency: currency.into(),
        payee: payee.into(),
        stage: stage.into(),
        category: category.into(),
        paid_on: Some(paid_on.into()),
        receipt,
    }
}

fn party(name: &str, licence: Option<&str>, country: &str) -> Option<PartyLine> {
    Some(PartyLine {
        name: name.into(),
        licence_number: licence.map(Into::into),
        country: Some(country.into()),
    })
}

fn wage(amount: &str, currency: &str) -> Option<MoneyLine> {
    Some(MoneyLine {
        amount: amount.into(),
        currency: currency.into(),
    })
}

fn deduction(amount: &str, currency: &str, reason: &str) -> DeductionLine {
    DeductionLine {
        amount: amount.into(),
        currency: currency.into(),
        reason: reason.into(),
        monthly: true,
    }
}

fn consent(inspectorate: bool, contact_wanted: bool) -> ConsentLine {
    ConsentLine {
        union: true,
        inspectorate,
        ngo: false,
        contact_wanted,
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

/// Destinations the demo inspectorate covers (every consenting worker here works in one).
pub const INSPECTORATE_COUNTRIES: [&str; 4] = ["AE", "MY", "QA", "SA"];

/// The six workers, in the order their reports are sent.
pub fn workers() -> Vec<DemoWorker> {
    vec![
        DemoWorker {
            phone: "nepal-qatar-construction",
            who: "Nepali electrician on a Doha building site",
            app_language: "ne",
            report: ReportFile {
                fees: vec![
                    fee(
                        "150000",
                        "NPR",
                        "sub_agent",
                        "origin",
                        "recruitment_service_fee",
                        "2025-11",
                        Some(false),
                    ),
                    fee(
                        "12000",
                        "NPR",
                        "medical_clinic",
                        "origin",
                        "medical",
                        "2025-11",
                        Some(true),
                    ),
                    fee(
                        "8500",
                        "NPR",
                        "training_centre",
                        "origin",
                        "training",
                        "2025-12",
                        Some(true),
                    ),
                    fee(
                        "300",
                        "QAR",
                        "employer",
                        "destination",
                        "documentation",
                        "2026-01",
                        Some(false),
                    ),
                ],
                indicators: strings(&[
                    "retention_of_identity_documents",
                    "withholding_of_wages",
                    "deception",
                ]),
                recruiter: party("Sagarmatha Manpower Pvt. Ltd.", Some("1234/067/068"), "NP"),
                employer: party("Doha Build Co. W.L.L.", None, "QA"),
                destination_country: "QA".into(),
                origin_country: Some("NP".into()),
                sector: Some("F".into()),
                monthly_wage: wage("1000", "QAR"),
                contract_substituted: Some(true),
                story: Some(
                    "कम्पनीले राहदानी राखेको छ। तीन महिनादेखि तलब पाएको छैन। एजेन्टले बिजुली \
                     मिस्त्रीको काम भनेको थियो, तर यहाँ मजदुरको काम गराउँछन्। म्यानपावरलाई डेढ \
                     लाख रुपैयाँ तिर्न गाउँको साहुबाट ऋण लिएँ।"
                        .into(),
                ),
                language: Some("ne".into()),
                evidence: vec![],
                deductions: vec![],
                loans: vec![LoanLine {
                    amount: "150000".into(),
                    currency: "NPR".into(),
                    lender: "moneylender".into(),
                    interest_percent_per_month: Some("3".into()),
                }],
                job: Some(JobLine {
                    promised_title: Some("Electrician".into()),
                    promised_wage: wage("1800", "QAR"),
                    actual_title: Some("Labourer".into()),
                    promised_employer: Some("Qatar Electrical Contracting W.L.L.".into()),
                }),
                consent: consent(true, true),
                escrow: false,
            },
        },
        DemoWorker {
            phone: "indonesia-malaysia-domestic",
            who: "Indonesian domestic worker in a household near Kuala Lumpur",
            app_language: "id",
            report: ReportFile {
                fees: vec![
                    fee(
                        "25000000",
                        "IDR",
                        "recruitment_agency",
                        "origin",
                        "recruitment_service_fee",
                        "2025-08",
                        Some(true),
                    ),
                    fee(
                        "3500000",
                        "IDR",
                        "training_centre",
                        "origin",
                        "training",
                        "2025-08",
                        Some(true),
                    ),
                ],
                indicators: strings(&[
                    "retention_of_identity_documents",
                    "restriction_of_movement",
                    "isolation",
                    "excessive_overtime",
                ]),
                recruiter: party("PT Sumber Rejeki Tenaga Kerja", Some("KEP-123/2019"), "ID"),
                employer: party("Household employer, Petaling Jaya", None, "MY"),
                destination_country: "MY".into(),
                origin_country: Some("ID".into()),
                sector: Some("T".into()),
                monthly_wage: wage("1200", "MYR"),
                contract_substituted: None,
                story: Some(
                    "Paspor saya ditahan oleh majikan. Saya bekerja dari jam lima pagi sampai \
                     tengah malam, tanpa hari libur, dan tidak boleh keluar rumah. Gaji saya \
                     dipotong setiap bulan untuk membayar biaya agen."
                        .into(),
                ),
                language: Some("id".into()),
                evidence: vec![],
                deductions: vec![deduction("300", "MYR", "recruitment_fee_repayment")],
                loans: vec![],
                job: None,
                consent: consent(false, true),
                escrow: false,
            },
        },
        DemoWorker {
            phone: "philippines-saudi-caregiver",
            who: "Filipina caregiver turned housemaid in Riyadh",
            app_language: "tl",
            report: ReportFile {
                fees: vec![
                    fee(
                        "50000",
                        "PHP",
                        "training_centre",
                        "origin",
                        "training",
                        "2025-05",
                        Some(true),
                    ),
                    fee(
                        "30000",
                        "PHP",
                        "recruitment_agency",
                        "origin",
                        "recruitment_service_fee",
                        "2025-06",
                        Some(false),
                    ),
                ],
                indicators: strings(&[
                    "excessive_overtime",
                    "abusive_working_and_living_conditions",
                    "intimidation_and_threats",
                    "retention_of_identity_documents",
                ]),
                recruiter: party(
                    "Bagong Pag-asa Manpower Services",
                    Some("POEA-045-LB-031820"),
                    "PH",
                ),
                employer: None,
                destination_country: "SA".into(),
                origin_country: Some("PH".into()),
                sector: Some("T".into()),
                monthly_wage: wage("1500", "SAR"),
                contract_substituted: Some(true),
                story: Some(
                    "Kinuha ng amo ang aking pasaporte. Nagtatrabaho ako ng labing-anim na oras \
                     bawat araw at hindi ako pinapayagang lumabas ng bahay. Sinisigawan at \
                     pinagbabantaan ako kapag nagpapahinga ako."
                        .into(),
                ),
                language: Some("tl".into()),
                evidence: vec![],
                deductions: vec![],
                loans: vec![],
                job: None,
                consent: consent(false, false),
                escrow: false,
            },
        },
        DemoWorker {
            phone: "bangladesh-malaysia-gloves",
            who: "Bangladeshi machine operator in a glove factory in Klang",
            app_language: "bn",
            report: ReportFile {
                fees: vec![
                    fee(
                        "450000",
                        "BDT",
                        "broker",
                        "origin",
                        "recruitment_service_fee",
                        "2025-06",
                        Some(false),
                    ),
                    fee(
                        "25000",
                        "BDT",
                        "medical_clinic",
                        "origin",
                        "medical",
                        "2025-06",
                        Some(true),
                    ),
                ],
                indicators: strings(&["debt_bondage", "deception", "excessive_overtime"]),
                recruiter: party("Dhaka Overseas Recruiting Agency", Some("RL-0987"), "BD"),
                employer: party("Klang Valley Gloves Sdn. Bhd.", None, "MY"),
                destination_country: "MY".into(),
                origin_country: Some("BD".into()),
                sector: Some("C".into()),
                monthly_wage: wage("1500", "MYR"),
                contract_substituted: Some(true),
                story: Some(
                    "দালালকে সাড়ে চার লাখ টাকা দিয়েছি। টাকা জোগাড় করতে জমি বন্ধক রেখে মহাজনের \
                     কাছ থেকে ঋণ নিয়েছি। এখানে দিনে চৌদ্দ ঘণ্টা কাজ করতে হয়, ছুটি নেই। ঋণ শোধ \
                     না হওয়া পর্যন্ত দেশে ফিরতে পারব না।"
                        .into(),
                ),
                language: Some("bn".into()),
                evidence: vec![],
                deductions: vec![
                    deduction("200", "MYR", "loan_repayment"),
                    deduction("150", "MYR", "accommodation"),
                ],
                loans: vec![],
                job: None,
                consent: consent(true, true),
                escrow: false,
            },
        },
        DemoWorker {
            phone: "india-uae-cleaning",
            who: "Indian cleaner with a facilities company in Dubai",
            app_language: "en",
            report: ReportFile {
                fees: vec![
                    fee(
                        "120000",
                        "INR",
                        "sub_agent",
                        "origin",
                        "recruitment_service_fee",
                        "2025-09",
                        Some(false),
                    ),
                    fee(
                        "6000",
                        "INR",
                        "medical_clinic",
                        "origin",
                        "medical",
                        "2025-09",
                        Some(true),
                    ),
                    fee(
                        "750",
                        "AED",
                        "employer",
                        "destination",
                        "documentation",
                        "2025-10",
                        Some(false),
                    ),
                ],
                indicators: strings(&[
                    "withholding_of_wages",
                    "retention_of_identity_documents",
                    "abusive_working_and_living_conditions",
                ]),
                recruiter: party(
                    "Shree Balaji Placement Services",
                    Some("B-0712/MUM/PER/1000+/5/8841/2019"),
                    "IN",
                ),
                employer: party("Al Noor Facilities Management LLC", None, "AE"),
                destination_country: "AE".into(),
                origin_country: Some("IN".into()),
                sector: Some("N".into()),
                monthly_wage: wage("1100", "AED"),
                contract_substituted: None,
                story: Some(
                    "एजेंट ने वीज़ा और नौकरी के लिए एक लाख बीस हज़ार रुपये लिए। कंपनी ने पासपोर्ट \
                     रख लिया है और दो महीने से तनख़्वाह नहीं मिली। कैंप के एक कमरे में बारह लोग \
                     रहते हैं।"
                        .into(),
                ),
                language: Some("hi".into()),
                evidence: vec![],
                deductions: vec![deduction("250", "AED", "accommodation")],
                loans: vec![],
                job: None,
                consent: consent(true, false),
                escrow: false,
            },
        },
        DemoWorker {
            phone: "kenya-saudi-domestic",
            who: "Kenyan domestic worker in Jeddah",
            app_language: "en",
            report: ReportFile {
                fees: vec![
                    fee(
                        "45000",
                        "KES",
                        "recruitment_agency",
                        "origin",
                        "recruitment_service_fee",
                        "2025-07",
                        Some(false),
                    ),
                    fee(
                        "15000",
                        "KES",
                        "medical_clinic",
                        "origin",
                        "medical",
                        "2025-07",
                        Some(true),
                    ),
                ],
                indicators: strings(&[
                    "retention_of_identity_documents",
                    "isolation",
                    "withholding_of_wages",
                    "excessive_overtime",
                ]),
                recruiter: party("Horizon Jobs Kenya Ltd", None, "KE"),
                employer: None,
                destination_country: "SA".into(),
                origin_country: Some("KE".into()),
                sector: Some("T".into()),
                monthly_wage: wage("900", "SAR"),
                contract_substituted: None,
                story: Some(
                    "The agency in Nairobi said the job was free, but I paid 60,000 shillings for \
                     the medical and the agency fee. My employer took my passport and my phone. I \
                     work from six in the morning until after midnight and I have not been paid \
                     for four months."
                        .into(),
                ),
                language: Some("en".into()),
                evidence: vec![],
                deductions: vec![],
                loans: vec![],
                job: None,
                consent: consent(false, true),
                escrow: false,
            },
        },
    ]
}
