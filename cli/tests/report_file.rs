//! The report file format: the example in the repository reads, and every field becomes the
//! compose event a worker's tap would send.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use workvoice_cli::{ReportFile, Shell, ShellConfig, ShellError, read_report_file};
use workvoice_core::app::{Event, Screen};

#[test]
fn the_example_report_file_becomes_the_compose_events() {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    let file = read_report_file(&dir.join("example-report.json")).unwrap();
    let events = file.form_events();
    let count = |pred: fn(&Event) -> bool| events.iter().filter(|e| pred(e)).count();
    assert_eq!(count(|e| matches!(e, Event::AddFee { .. })), 2);
    assert_eq!(count(|e| matches!(e, Event::AddDeduction { .. })), 1);
    assert!(events.contains(&Event::AddLoan {
        amount: "150000".into(),
        currency: "NPR".into(),
        lender: "moneylender".into(),
        interest: "3".into(),
    }));
    assert!(events.contains(&Event::SetJob {
        promised_title: "Electrician".into(),
        promised_wage: "1800".into(),
        promised_currency: "QAR".into(),
        actual_title: "Labourer".into(),
    }));
    assert_eq!(count(|e| matches!(e, Event::SetIndicator { .. })), 2);
    assert_eq!(count(|e| matches!(e, Event::SetRecruiter { .. })), 1);
    assert_eq!(count(|e| matches!(e, Event::SetEmployer { .. })), 1);
    assert!(events.contains(&Event::SetPlace {
        destination_country: "QA".into(),
        origin_country: "NP".into(),
        sector: "F".into(),
    }));
    assert!(events.iter().any(|e| matches!(
        e,
        Event::SetWage {
            contract_substituted: Some(true),
            ..
        }
    )));
    assert!(matches!(
        file.consent_event(),
        Event::SetConsent {
            union: true,
            inspectorate: false,
            contact_wanted: true,
            ..
        }
    ));
}

fn example() -> serde_json::Value {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(dir.join("example-report.json")).unwrap())
        .unwrap()
}

/// A phone set up offline (no relay is reached before a report is reviewed).
fn phone(dir: &std::path::Path) -> Shell {
    let mut shell = Shell::start(&ShellConfig {
        data_dir: dir.display().to_string(),
        relay_url: "http://127.0.0.1:9".into(),
        root_public_key: None,
        language: "en".into(),
        fast_kdf: true,
        quick_retries: true,
    })
    .unwrap();
    shell.init("482916", None).unwrap();
    shell
}

#[test]
fn a_loan_or_a_promised_wage_the_form_cannot_read_is_refused_on_its_field() {
    let dir = tempfile::tempdir().unwrap();
    let mut shell = phone(dir.path());
    for (path, value, at, field, code) in [
        (
            "/loans/0/interest_percent_per_month",
            "three",
            "loans[0]",
            "loan.interest",
            "interest_not_a_number",
        ),
        (
            "/loans/0/amount",
            "a lot",
            "loans[0]",
            "loan.amount",
            "amount_not_a_number",
        ),
        (
            "/job/promised_wage/amount",
            "1800 riyal",
            "job",
            "job.promised.wage",
            "amount_not_a_number",
        ),
    ] {
        let mut json = example();
        *json.pointer_mut(path).unwrap() = value.into();
        let file: ReportFile = serde_json::from_value(json).unwrap();
        match shell.compose(&file, dir.path()) {
            Err(ShellError::Field {
                at: a,
                field: f,
                code: c,
                message,
            }) => {
                assert_eq!((a.as_str(), f.as_str(), c.as_str()), (at, field, code));
                assert!(message.contains("numbers only"), "{message}");
            }
            other => panic!("{path}: {other:?}"),
        }
        // Nothing was queued; the draft is dropped before the next try.
        shell.send(&Event::DiscardDraft).unwrap();
        assert!(matches!(shell.view().unwrap().screen, Screen::Home { .. }));
    }
}
