//! Routing table tests: consent, several matching organisations, no match, rule order.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cloned_ref_to_slice_refs
)]

use workvoice_proto::ErrorCode;
use workvoice_proto::directory::OrgKind;
use workvoice_proto::report::Sector;
use workvoice_proto::routing::{
    Consent, ReportKind, RoutingError, RoutingRule, RoutingTags, route,
};
use workvoice_proto::vectors::Fixture;

fn tags(country: &str, sector: Option<Sector>, kinds: &[ReportKind]) -> RoutingTags {
    RoutingTags {
        destination_country: country.into(),
        sector,
        kinds: kinds.iter().cloned().collect(),
    }
}

const ALL: Consent = Consent {
    union: true,
    inspectorate: true,
    ngo: true,
    contact_wanted: false,
};
const UNION_ONLY: Consent = Consent {
    union: true,
    inspectorate: false,
    ngo: false,
    contact_wanted: false,
};

#[test]
fn table() {
    let f = Fixture::new();
    let listing = f.listing(1);
    let fees = ReportKind::recruitment_fees();
    let forced = ReportKind::forced_labour();
    let (u, i, n) = (f.union_id, f.inspectorate_id, f.ngo_id);
    // (tags, consent, expected recipients in order, expected withheld)
    let cases = [
        (
            tags("QA", Some(Sector::Construction), &[fees.clone()]),
            ALL,
            vec![u, i],
            vec![],
        ),
        (
            tags("QA", Some(Sector::Construction), &[fees.clone()]),
            UNION_ONLY,
            vec![u],
            vec![i],
        ),
        (
            tags("QA", Some(Sector::Households), &[fees.clone()]),
            ALL,
            vec![u],
            vec![],
        ),
        (tags("QA", None, &[fees.clone()]), ALL, vec![u], vec![]),
        (
            tags("QA", Some(Sector::Construction), &[forced.clone()]),
            ALL,
            vec![u, i, n],
            vec![],
        ),
        (
            tags("QA", Some(Sector::Construction), &[forced.clone()]),
            UNION_ONLY,
            vec![u],
            vec![i, n],
        ),
        (tags("MY", None, &[forced.clone()]), ALL, vec![n], vec![]),
        (
            tags(
                "QA",
                Some(Sector::Construction),
                &[fees.clone(), ReportKind("from_the_future".into())],
            ),
            ALL,
            vec![u, i],
            vec![],
        ),
    ];
    for (t, consent, recipients, withheld) in cases {
        let r = route(&t, &consent, &listing).unwrap();
        let got: Vec<_> = r.recipients.iter().map(|x| x.org_id).collect();
        let got_withheld: Vec<_> = r.withheld.iter().map(|x| x.org_id).collect();
        assert_eq!(got, recipients, "{t:?} {consent:?}");
        assert_eq!(got_withheld, withheld, "{t:?} {consent:?}");
        for rec in &r.recipients {
            assert!(consent.allows(rec.kind), "consent must win: {rec:?}");
            assert!(!rec.reason.is_empty() && !rec.rule_id.is_empty());
        }
    }
}

#[test]
fn no_inspectorate_without_consent_whatever_the_rules() {
    let f = Fixture::new();
    let mut listing = f.listing(1);
    // A rule that sends everything to the inspectorate only.
    listing.rules.insert(
        0,
        RoutingRule {
            id: "inspectorate-first".into(),
            destination_countries: vec![],
            sectors: vec![],
            kinds: vec![],
            deliver_to: vec![f.inspectorate_id],
            stop: true,
        },
    );
    let t = tags(
        "QA",
        Some(Sector::Construction),
        &[ReportKind::recruitment_fees()],
    );
    let err = route(&t, &UNION_ONLY, &listing).unwrap_err();
    assert_eq!(err, RoutingError::NoRecipient { withheld: 1 });
    assert_eq!(err.code(), "no_recipient");
    let ok = route(&t, &ALL, &listing).unwrap();
    assert_eq!(ok.recipients.len(), 1);
    assert_eq!(ok.recipients[0].kind, OrgKind::Inspectorate);
}

#[test]
fn no_match_is_a_clear_error_not_an_empty_send() {
    let f = Fixture::new();
    let t = tags("MY", None, &[ReportKind::recruitment_fees()]);
    let err = route(&t, &ALL, &f.listing(1)).unwrap_err();
    assert_eq!(err, RoutingError::NoRecipient { withheld: 0 });
}

#[test]
fn rule_order_decides_reason_and_stop_ends_evaluation() {
    let f = Fixture::new();
    let mut listing = f.listing(1);
    let t = tags(
        "QA",
        Some(Sector::Construction),
        &[ReportKind::forced_labour()],
    );
    // First matching rule that names the union is "qa-construction".
    let r = route(&t, &ALL, &listing).unwrap();
    assert_eq!(r.recipients[0].rule_id, "qa-construction");
    // Put "qa-all" first: the union's reason changes, the inspectorate still comes from the
    // construction rule, after the union.
    listing.rules.swap(0, 1);
    let r = route(&t, &ALL, &listing).unwrap();
    assert_eq!(r.recipients[0].rule_id, "qa-all");
    assert_eq!(r.recipients[1].rule_id, "qa-construction");
    // With stop on the first rule, later rules are not evaluated: the NGO is not chosen.
    listing.rules[0].stop = true;
    let r = route(&t, &ALL, &listing).unwrap();
    assert_eq!(
        r.recipients.iter().map(|x| x.org_id).collect::<Vec<_>>(),
        vec![f.union_id]
    );
}

#[test]
fn invalid_tags_and_inconsistent_directories_are_refused() {
    let f = Fixture::new();
    let listing = f.listing(1);
    let bad_country = tags("Qatar", None, &[ReportKind::other()]);
    assert_eq!(
        route(&bad_country, &ALL, &listing).unwrap_err().code(),
        "invalid_country"
    );
    let no_kind = tags("QA", None, &[]);
    assert_eq!(
        route(&no_kind, &ALL, &listing).unwrap_err().code(),
        "invalid_kind_count"
    );
    let bad_kind = tags("QA", None, &[ReportKind("DROP TABLE".into())]);
    assert_eq!(
        route(&bad_kind, &ALL, &listing).unwrap_err().code(),
        "invalid_kind"
    );
    let unknown_sector = tags("QA", Some(Sector::Unknown), &[ReportKind::other()]);
    assert_eq!(
        route(&unknown_sector, &ALL, &listing).unwrap_err().code(),
        "unknown_sector"
    );
    let mut broken = listing.clone();
    broken.rules[0]
        .deliver_to
        .push(workvoice_proto::keys::OrgId([0xee; 16]));
    let t = tags("QA", Some(Sector::Construction), &[ReportKind::other()]);
    assert_eq!(
        route(&t, &ALL, &broken).unwrap_err().code(),
        "directory_inconsistent"
    );
    assert!(broken.check().is_err());
}

#[test]
fn tags_round_trip_as_letters_and_unknown_letters_are_refused() {
    let t = tags("QA", Some(Sector::Households), &[ReportKind::wage_theft()]);
    let json = serde_json::to_string(&t).unwrap();
    assert!(json.contains("\"sector\":\"T\""), "{json}");
    assert_eq!(serde_json::from_str::<RoutingTags>(&json).unwrap(), t);
    let future: RoutingTags = serde_json::from_str(
        r#"{"destination_country":"QA","sector":"V","kinds":["other"],"new_field":1}"#,
    )
    .unwrap();
    assert_eq!(future.sector, Some(Sector::Unknown));
    assert_eq!(future.validate().unwrap_err().code(), "unknown_sector");
}
