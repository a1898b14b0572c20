//! The report file format: the example in the repository reads, and every field becomes the
//! compose event a worker's tap would send.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use workvoice_cli::read_report_file;
use workvoice_core::app::Event;

#[test]
fn the_example_report_file_becomes_the_compose_events() {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    let file = read_report_file(&dir.join("example-report.json")).unwrap();
    let events = file.form_events();
    let count = |pred: fn(&Event) -> bool| events.iter().filter(|e| pred(e)).count();
    assert_eq!(count(|e| matches!(e, Event::AddFee { .. })), 2);
    assert_eq!(count(|e| matches!(e, Event::AddDeduction { .. })), 1);
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
