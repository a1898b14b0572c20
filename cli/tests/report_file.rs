//! The report file format: the example in the repository reads, and every field becomes the
//! compose event a worker's tap would send.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

#[path = "support/jpeg.rs"]
mod jpeg;

use jpeg::jpeg_with_gps;
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
        promised_employer: "Qatar Electrical Contracting W.L.L.".into(),
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

/// An offline phone's configuration (no relay is reached before a report is reviewed).
fn offline(dir: &std::path::Path) -> ShellConfig {
    ShellConfig {
        data_dir: dir.display().to_string(),
        relay_url: "http://127.0.0.1:9".into(),
        root_public_key: None,
        language: "en".into(),
        fast_kdf: true,
        quick_retries: true,
        ohttp_relay: None,
    }
}

/// A phone set up offline.
fn phone(dir: &std::path::Path) -> Shell {
    let mut shell = Shell::start(&offline(dir)).unwrap();
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

/// `"escrow": true` answers the consent step's question; offline there is no verified
/// directory to say the union can take it, so the question is not offered and `report` stops
/// with that reason, queueing nothing.
#[test]
fn escrow_without_a_verified_directory_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut shell = phone(dir.path());
    let mut json = example();
    json["escrow"] = true.into();
    json["evidence"] = serde_json::json!([]);
    let file: ReportFile = serde_json::from_value(json).unwrap();
    assert!(file.escrow);
    match shell.compose(&file, dir.path()) {
        Err(ShellError::App(message)) => {
            assert!(message.contains("wait for others"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert!(
        shell
            .outbox()
            .unwrap()
            .iter()
            .all(|i| i.report_id.is_empty()),
        "nothing was queued"
    );
}

/// The shell contract for picked evidence: a shell copies the picked file into the intake
/// directory beside the data directory and hands the core the copy's path. The core reads it
/// a piece at a time and the host deletes the copy as soon as the core is done with it, taken
/// or refused, and any copy a killed app left; a file elsewhere is only read.
#[test]
fn an_evidence_copy_in_the_intake_directory_is_deleted_once_read_and_other_files_are_left() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("phone");
    let mut shell = phone(&data_dir);
    let intake = workvoice_core::host::evidence_intake_dir(&data_dir);
    let mode = std::fs::metadata(&intake).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "the intake directory is private");

    let copy = intake.join("picked-1.jpg");
    let elsewhere = dir.path().join("receipt.jpg");
    std::fs::write(&copy, jpeg_with_gps()).unwrap();
    std::fs::write(&elsewhere, jpeg_with_gps()).unwrap();
    let mut json = example();
    json["evidence"] =
        serde_json::json!([copy.display().to_string(), elsewhere.display().to_string()]);
    let file: ReportFile = serde_json::from_value(json).unwrap();
    shell.compose(&file, dir.path()).unwrap();
    assert!(!copy.exists(), "the copy is deleted once the core has it");
    assert!(
        elsewhere.exists(),
        "a file outside the intake directory is left alone"
    );

    // A copy the core refuses (not a photo) is deleted too.
    let refused = intake.join("picked-2.jpg");
    std::fs::write(&refused, b"not a photo at all").unwrap();
    let mut json = example();
    json["evidence"] = serde_json::json!([refused.display().to_string()]);
    let file: ReportFile = serde_json::from_value(json).unwrap();
    assert!(matches!(
        shell.compose(&file, dir.path()),
        Err(ShellError::App(_))
    ));
    assert!(!refused.exists(), "a refused copy is deleted");
    shell.send(&Event::DiscardDraft).unwrap();
    drop(shell);

    // A copy left by an app killed while it read it is gone when the app starts again.
    let left = intake.join("picked-3.jpg");
    std::fs::write(&left, jpeg_with_gps()).unwrap();
    let _shell = Shell::start(&offline(&data_dir)).unwrap();
    assert!(!left.exists(), "a leftover copy is deleted at start");
}
