//! Exports: CSV and JSON (own format and HTCDS names) parse back to exactly what was exported,
//! and free text and contact fields appear only when asked for.

use crate::common::*;
use workvoice_desk::Desk;
use workvoice_desk::export::{
    CsvCase, ExportCase, ExportFormat, ExportOptions, HtcdsCase, export_cases, read_csv,
};
use workvoice_desk::store::CaseFilter;
use workvoice_proto::keys::OrgId;

async fn expected(desk: &Desk, filter: &CaseFilter, options: ExportOptions) -> Vec<ExportCase> {
    let mut out = Vec::new();
    for id in desk.store().filtered_case_ids(filter).await.unwrap() {
        let case = desk.store().case(id).await.unwrap();
        out.push(ExportCase::new(
            &case,
            &Desk::report_of(&case).unwrap(),
            options,
        ));
    }
    out
}

#[tokio::test]
async fn csv_and_json_round_trip() {
    let (_dir, desk) = fresh_desk().await;
    let reports = seed_local(&desk, OrgId([3; 16]), 12).await;
    let filter = CaseFilter::default();
    for options in [
        ExportOptions::default(),
        ExportOptions {
            include_free_text: true,
            include_contact: true,
        },
    ] {
        let want = expected(&desk, &filter, options).await;
        assert_eq!(want.len(), 12);

        let json = export_cases(&desk, &filter, ExportFormat::Json, options)
            .await
            .unwrap();
        let back: Vec<ExportCase> = serde_json::from_slice(&json).unwrap();
        assert_eq!(back, want);

        let csv = export_cases(&desk, &filter, ExportFormat::Csv, options)
            .await
            .unwrap();
        let back: Vec<CsvCase> = read_csv(&csv).unwrap();
        let want_csv: Vec<CsvCase> = want.iter().map(CsvCase::from).collect();
        assert_eq!(back, want_csv);

        let text = String::from_utf8(csv).unwrap();
        let nepali = &reports[0].free_text;
        assert_eq!(text.contains(nepali.as_str()), options.include_free_text);
        assert!(
            text.lines().next().unwrap().contains("free_text"),
            "the column is always named"
        );
        assert_eq!(
            back.iter().all(|c| c.contact_wanted.is_some()),
            options.include_contact
        );
        assert_eq!(
            back.iter().all(|c| c.free_text.is_some()),
            options.include_free_text
        );
    }
    // The fee totals are per currency, in major units with the currency's exponent.
    let all = expected(&desk, &filter, ExportOptions::default()).await;
    let nepali = all
        .iter()
        .find(|c| c.report_id == reports[0].report_id.to_hex())
        .unwrap();
    let npr = nepali
        .fee_totals
        .iter()
        .find(|m| m.currency == "NPR")
        .unwrap();
    assert_eq!(npr.amount, "185000.00");
    assert_eq!(npr.amount_minor, 18_500_000);
}

#[tokio::test]
async fn htcds_exports_use_the_standards_names_and_round_trip() {
    let (_dir, desk) = fresh_desk().await;
    seed_local(&desk, OrgId([4; 16]), 6).await;
    let filter = CaseFilter {
        destination: Some("QA".into()),
        ..CaseFilter::default()
    };
    let options = ExportOptions::default();
    let json = export_cases(&desk, &filter, ExportFormat::HtcdsJson, options)
        .await
        .unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&json).unwrap();
    assert_eq!(rows.len(), 2, "only the cases in Qatar");
    let first = rows[0].as_object().unwrap();
    for field in [
        "cas_Status",
        "vic_MethodsOfControl",
        "vic_TypeOfLabourExploitation",
        "vic_LabourIndustry",
        "hte_Exploitation_Country",
        "per_Recruiter_Organisation",
    ] {
        assert!(first.contains_key(field), "missing {field}");
    }
    assert_eq!(first["hte_Exploitation_Country"], "QA");
    assert_eq!(first["vic_LabourIndustry"], "F_Construction");
    assert!(
        first["hte_Exploitation_Description"].is_null(),
        "no free text unless asked"
    );
    let typed: Vec<HtcdsCase> = serde_json::from_slice(&json).unwrap();
    let csv = export_cases(&desk, &filter, ExportFormat::HtcdsCsv, options)
        .await
        .unwrap();
    let back: Vec<HtcdsCase> = read_csv(&csv).unwrap();
    assert_eq!(back, typed);
    let header = String::from_utf8(csv).unwrap();
    assert!(header.starts_with("cas_Status,"));
    let methods: Vec<&str> = typed
        .iter()
        .map(|c| c.vic_methods_of_control.as_str())
        .collect();
    assert!(
        methods.iter().any(|m| m.contains("WithholdsDocuments")),
        "{methods:?}"
    );
}
