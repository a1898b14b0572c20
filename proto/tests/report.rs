//! The report schema: validation with typed errors, and compatibility across versions.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use workvoice_proto::ErrorCode;
use workvoice_proto::keys::{HpkePublicKey, ReportId};
use workvoice_proto::report::{
    Channel, FieldProblem, Indicator, Money, NamedParty, PayeeRole, Report, ReportError,
    is_valid_date,
};
use workvoice_proto::routing::ReportKind;
use workvoice_proto::vectors::Fixture;

fn report() -> Report {
    Fixture::new().report(ReportId([1; 16]), HpkePublicKey([2; 32]))
}

fn problems(r: &Report) -> Vec<(String, &'static str)> {
    r.validate()
        .unwrap_err()
        .into_iter()
        .map(|e| (e.field, e.problem.code()))
        .collect()
}

#[test]
fn the_fixture_report_is_valid_and_round_trips() {
    let r = report();
    r.validate().unwrap();
    assert_eq!(Report::decode(&r.encode()).unwrap(), r);
    let tags = r.routing_tags();
    assert_eq!(tags.destination_country, "QA");
    assert!(tags.kinds.contains(&ReportKind::recruitment_fees()));
    assert!(tags.kinds.contains(&ReportKind::forced_labour()));
    assert!(tags.kinds.contains(&ReportKind::wage_theft()));
    assert!(tags.kinds.contains(&ReportKind::contract_substitution()));
    assert_eq!(r.total_fees_in("NPR"), 15_000_000);
}

#[test]
fn every_rule_gives_its_own_typed_problem() {
    type Edit = fn(&mut Report);
    let cases: Vec<(Edit, &str, &str)> = vec![
        (
            |r| r.language = "Nepali".into(),
            "language",
            "invalid_language",
        ),
        (
            |r| r.written_on = Some("2026-13-01".into()),
            "written_on",
            "invalid_date",
        ),
        (
            |r| r.fees[0].amount.currency = "XYZ".into(),
            "fees[0].amount.currency",
            "invalid_currency",
        ),
        (
            |r| r.fees[0].amount.amount_minor = u64::MAX,
            "fees[0].amount.amount_minor",
            "amount_too_large",
        ),
        (
            |r| r.fees[0].paid_on = Some("March".into()),
            "fees[0].paid_on",
            "invalid_date",
        ),
        (
            |r| r.fees[0].payee = PayeeRole::Unknown,
            "fees[0].payee",
            "unknown_value",
        ),
        (|r| r.fees = vec![r.fees[0].clone(); 51], "fees", "too_many"),
        (|r| r.indicators.push(Indicator::Deception), "", ""),
        (
            |r| r.indicators.push(Indicator::WithholdingOfWages),
            "indicators[2]",
            "duplicate",
        ),
        (
            |r| {
                r.recruiter = Some(NamedParty {
                    name: " ".into(),
                    licence_number: None,
                    country: None,
                })
            },
            "recruiter.name",
            "required",
        ),
        (
            |r| r.employer.as_mut().unwrap().name = "x".repeat(201),
            "employer.name",
            "too_long",
        ),
        (
            |r| r.employer.as_mut().unwrap().country = Some("UK".into()),
            "employer.country",
            "invalid_country",
        ),
        (
            |r| r.origin_country = Some("np".into()),
            "origin_country",
            "invalid_country",
        ),
        (
            |r| r.destination_country = "".into(),
            "destination_country",
            "invalid_country",
        ),
        (
            |r| {
                r.monthly_wage = Some(Money {
                    amount_minor: 1,
                    currency: "usd".into(),
                })
            },
            "monthly_wage.currency",
            "invalid_currency",
        ),
        (
            |r| r.free_text = "अ".repeat(20_001),
            "free_text",
            "too_long",
        ),
        (
            |r| r.job.actual.title = Some("t".repeat(300)),
            "job.actual.title",
            "too_long",
        ),
        (
            |r| {
                r.consent.union = false;
                r.consent.inspectorate = false;
            },
            "consent",
            "no_recipient_consented",
        ),
    ];
    for (edit, field, code) in cases {
        let mut r = report();
        edit(&mut r);
        if field.is_empty() {
            r.validate().unwrap();
            continue;
        }
        assert_eq!(problems(&r), vec![(field.to_string(), code)], "{field}");
        // decode of the invalid report returns the same problems, typed.
        match Report::decode(&r.encode()) {
            Err(ReportError::Invalid(list)) => assert_eq!(list[0].field, field),
            other => panic!("{field}: {other:?}"),
        }
    }
}

#[test]
fn newer_and_older_versions_decode() {
    let r = report();
    let mut json: serde_json::Value = serde_json::from_slice(&r.encode()).unwrap();
    json["schema"] = 7.into();
    json["a_field_added_later"] = serde_json::json!({"x": [1, 2]});
    json["indicators"] = serde_json::json!(["deception", "new_indicator_2031"]);
    json["fees"][0]["category"] = "digital_platform_fee".into();
    let decoded = Report::decode_unvalidated(json.to_string().as_bytes()).unwrap();
    assert_eq!(
        decoded.indicators,
        vec![Indicator::Deception, Indicator::Unknown]
    );
    assert_eq!(decoded.schema, 7);
    // An older phone omits everything optional: still a report.
    let minimal = serde_json::json!({
        "schema": 1, "report_id": r.report_id, "language": "bn",
        "destination_country": "MY",
        "consent": {"union": true, "inspectorate": false},
        "reply_key": r.reply_key,
    });
    let decoded = Report::decode(minimal.to_string().as_bytes()).unwrap();
    assert!(decoded.fees.is_empty());
    assert_eq!(decoded.routing_tags().kinds, [ReportKind::other()].into());
}

#[test]
fn the_channel_is_optional_absent_means_the_app_and_an_unknown_one_still_decodes() {
    let r = report();
    // The app writes no channel: the encoding has no member for it.
    assert_eq!(r.channel, None);
    assert!(!String::from_utf8(r.encode()).unwrap().contains("channel"));
    assert_eq!(Channel::of(&r), Channel::App);
    // The SMS channel's report says so, and round-trips.
    let mut sms = r.clone();
    sms.channel = Some(Channel::Sms);
    let encoded = sms.encode();
    assert!(
        String::from_utf8(encoded.clone())
            .unwrap()
            .contains("\"channel\":\"sms\"")
    );
    let decoded = Report::decode(&encoded).unwrap();
    assert_eq!(Channel::of(&decoded), Channel::Sms);
    // A channel added later is read, as unknown, and the report stays valid.
    let mut json: serde_json::Value = serde_json::from_slice(&encoded).unwrap();
    json["channel"] = "voice_line".into();
    let decoded = Report::decode(json.to_string().as_bytes()).unwrap();
    assert_eq!(decoded.channel, Some(Channel::Unknown));
}

#[test]
fn malformed_and_oversized_input_are_typed_errors() {
    assert_eq!(
        Report::decode(b"not json").unwrap_err().code(),
        "report_malformed"
    );
    assert_eq!(
        Report::decode(b"{}").unwrap_err().code(),
        "report_malformed"
    );
    let big = vec![b' '; 2 * 1024 * 1024];
    assert_eq!(Report::decode(&big).unwrap_err().code(), "report_too_large");
    assert!(matches!(
        report().validate().map(|_| FieldProblem::Required),
        Ok(FieldProblem::Required)
    ));
}

#[test]
fn dates() {
    for ok in ["2024-02-29", "2026-11-28", "2000-02-29"] {
        assert!(is_valid_date(ok, false), "{ok}");
    }
    for bad in [
        "2023-02-29",
        "1900-02-29",
        "2026-04-31",
        "2026-1-01",
        "26-01-01",
        "2026-01-01T00",
    ] {
        assert!(!is_valid_date(bad, false), "{bad}");
    }
    assert!(is_valid_date("2026-03", true) && !is_valid_date("2026-03", false));
}

proptest! {
    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        let _ = Report::decode(&bytes);
    }

    #[test]
    fn validating_arbitrary_strings_never_panics(country in ".{0,4}", currency in ".{0,4}", date in ".{0,12}", lang in ".{0,12}") {
        let mut r = report();
        r.destination_country = country;
        r.fees[0].amount.currency = currency;
        r.written_on = Some(date);
        r.language = lang;
        let _ = r.validate();
    }
}
