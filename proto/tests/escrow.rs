//! Reporting escrow: canonical recruiters, the chained OPRF, threshold opening and tampering.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use workvoice_proto::ErrorCode;
use workvoice_proto::escrow::{
    self, EscrowError, EscrowParams, EscrowSecrets, OpenedShare, OprfKey, OprfRequest,
    ParsedEscrow, canonical_recruiter, escrow_tag, expected_report_key, interpolate_unchecked,
    open_escrowed_report, open_share, oprf_output_for_tests, recover_group_key, seal_escrow,
};
use workvoice_proto::keys::{HpkePrivateKey, OrgId};
use workvoice_proto::vectors::DeterministicRng;

fn params(org: OrgId) -> EscrowParams {
    EscrowParams {
        org,
        epoch: 7,
        threshold: 3,
    }
}

#[test]
fn a_licence_number_wins_and_is_normalised() {
    let a = canonical_recruiter("Everest Manpower", Some("12/345-067")).unwrap();
    let b = canonical_recruiter("someone else", Some(" 12345067 ")).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.as_str(), "licence:12345067");
    let lower = canonical_recruiter("", Some("ab-12")).unwrap();
    assert_eq!(lower.as_str(), "licence:AB12");
}

#[test]
fn a_name_is_lowercased_and_loses_punctuation_and_legal_forms() {
    let a = canonical_recruiter("Everest Manpower Pvt. Ltd.", None).unwrap();
    let b = canonical_recruiter("  everest   MANPOWER ", Some(" - ")).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.as_str(), "name:everest manpower");
    let nepali = canonical_recruiter("सगरमाथा म्यानपावर", None).unwrap();
    assert!(nepali.as_str().starts_with("name:"));
    assert_ne!(
        canonical_recruiter("Everest Manpower", None).unwrap(),
        canonical_recruiter("Everest Overseas", None).unwrap()
    );
}

#[test]
fn an_empty_or_too_long_recruiter_is_refused_with_its_reason() {
    let err = canonical_recruiter(" Pvt. Ltd. ", None).unwrap_err();
    assert_eq!(err, EscrowError::EmptyRecruiter);
    assert_eq!(err.code(), "escrow_empty_recruiter");
    let long = "x".repeat(300);
    assert_eq!(
        canonical_recruiter(&long, None).unwrap_err(),
        EscrowError::RecruiterTooLong
    );
}

/// The phone's OPRF through the relay's key and then the organisation's: two phones naming
/// the same recruiter agree, and one key alone (or another recruiter) gives another output.
#[test]
fn the_chained_oprf_agrees_across_phones_and_needs_both_keys() {
    let mut rng = DeterministicRng::new("escrow chain");
    let relay = OprfKey::derive(&[1; 32], b"relay epoch 7").unwrap();
    let org = OprfKey::derive(&[2; 32], b"org epoch 7").unwrap();
    let x = canonical_recruiter("Everest Manpower", Some("12345067")).unwrap();
    let y = canonical_recruiter("Himal Overseas", None).unwrap();

    let chain = |recruiter, keys: &[&OprfKey], rng: &mut DeterministicRng| {
        let request = OprfRequest::blind(recruiter, rng).unwrap();
        let mut element = *request.blinded_element();
        for key in keys {
            element = key.evaluate_blinded(&element).unwrap();
        }
        *request.finalize(&element).unwrap().as_bytes()
    };
    let first = chain(&x, &[&relay, &org], &mut rng);
    let second = chain(&x, &[&relay, &org], &mut rng);
    assert_eq!(first, second, "two blinds of one recruiter give one output");
    assert_eq!(
        first,
        chain(&x, &[&org, &relay], &mut rng),
        "order does not matter"
    );
    assert_ne!(
        first,
        chain(&x, &[&relay], &mut rng),
        "the relay alone gets another value"
    );
    assert_ne!(
        first,
        chain(&x, &[&org], &mut rng),
        "the organisation alone too"
    );
    assert_ne!(first, chain(&y, &[&relay, &org], &mut rng));
    let next_epoch = OprfKey::derive(&[3; 32], b"relay epoch 8").unwrap();
    assert_ne!(
        first,
        chain(&x, &[&next_epoch, &org], &mut rng),
        "epochs do not pool"
    );

    // What the relay sees are uniformly blinded elements: two asks about one recruiter differ.
    let a = OprfRequest::blind(&x, &mut rng).unwrap();
    let b = OprfRequest::blind(&x, &mut rng).unwrap();
    assert_ne!(a.blinded_element(), b.blinded_element());
    assert_eq!(
        relay.evaluate_blinded(&[0xff; 32]).unwrap_err(),
        EscrowError::InvalidElement
    );
}

const DEVICES: [[u8; 32]; 8] = [
    [0; 32], [1; 32], [2; 32], [3; 32], [4; 32], [5; 32], [6; 32], [7; 32],
];

/// Device `i`'s secrets (its withdrawal secret is its device secret, for brevity).
fn secrets(i: u8) -> EscrowSecrets<'static> {
    let d = &DEVICES[usize::from(i)];
    EscrowSecrets {
        device_secret: d,
        withdrawal_secret: d,
    }
}

struct World {
    org: OrgId,
    key: HpkePrivateKey,
}

fn world(rng: &mut DeterministicRng) -> World {
    World {
        org: OrgId::random(rng),
        key: HpkePrivateKey::generate(rng),
    }
}

fn escrow_n(
    w: &World,
    output: [u8; 64],
    n: usize,
    rng: &mut DeterministicRng,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    let output = oprf_output_for_tests(output);
    (0..n)
        .map(|i| {
            let text = format!("envelope of report {i}").into_bytes();
            let sealed = seal_escrow(
                &output,
                &params(w.org),
                &w.key.public_key(),
                &text,
                secrets(i as u8),
                rng,
            )
            .unwrap();
            (text, sealed)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// For k = 3: no two shares give the key (their interpolation is another value and
    /// recovery refuses), and every three of five do, opening every report of the group.
    #[test]
    fn two_shares_never_give_the_key_three_always_do(
        output in proptest::array::uniform32(any::<u8>()),
        seed in any::<u64>(),
        pick in proptest::sample::subsequence((0..5usize).collect::<Vec<_>>(), 3),
    ) {
        let mut rng = DeterministicRng::new(&format!("escrow {seed}"));
        let w = world(&mut rng);
        let mut wide = [0u8; 64];
        wide[..32].copy_from_slice(&output);
        let reports = escrow_n(&w, wide, 5, &mut rng);
        let expected = expected_report_key(&oprf_output_for_tests(wide), &params(w.org)).unwrap();
        let shares: Vec<OpenedShare> =
            reports.iter().map(|(_, s)| open_share(s, &w.key).unwrap()).collect();
        let tag = escrow_tag(&oprf_output_for_tests(wide), &params(w.org)).unwrap();
        prop_assert!(shares.iter().all(|s| s.tag == tag));

        for i in 0..5 {
            for j in (i + 1)..5 {
                let two = [shares[i].clone(), shares[j].clone()];
                prop_assert_eq!(recover_group_key(&two).unwrap_err(), EscrowError::NotEnoughShares);
                prop_assert_ne!(interpolate_unchecked(&two).unwrap(), expected);
                // Two shares plus a repeat of one of them are still two.
                let repeated = [shares[i].clone(), shares[j].clone(), shares[i].clone()];
                prop_assert_eq!(
                    recover_group_key(&repeated).unwrap_err(),
                    EscrowError::NotEnoughShares
                );
            }
        }
        let three: Vec<OpenedShare> = pick.iter().map(|&i| shares[i].clone()).collect();
        let key = recover_group_key(&three).unwrap();
        prop_assert_eq!(key.report_key_bytes(), expected);
        for (text, sealed) in &reports {
            let opened = open_escrowed_report(sealed, &key).unwrap();
            prop_assert_eq!(opened.as_slice(), text.as_slice());
        }
    }
}

#[test]
fn a_tampered_share_is_detected() {
    let mut rng = DeterministicRng::new("escrow tamper");
    let w = world(&mut rng);
    let reports = escrow_n(&w, [5; 64], 3, &mut rng);
    let shares: Vec<OpenedShare> = reports
        .iter()
        .map(|(_, s)| open_share(s, &w.key).unwrap())
        .collect();

    // A share whose value was changed fails the Feldman check, alone and in a group.
    let bad = shares[2].with_y_plus_one();
    assert_eq!(bad.check().unwrap_err(), EscrowError::TamperedShare);
    let group = [shares[0].clone(), shares[1].clone(), bad];
    assert_eq!(
        recover_group_key(&group).unwrap_err(),
        EscrowError::TamperedShare
    );

    // A flipped byte anywhere in the sealed share or its header fails to open.
    let (_, sealed) = &reports[0];
    for at in [
        0usize,
        10,
        40,
        60,
        escrow::HEADER_LEN + 3,
        escrow::HEADER_LEN + 100,
    ] {
        let mut copy = sealed.clone();
        copy[at] ^= 1;
        let err = open_share(&copy, &w.key).unwrap_err();
        assert!(
            matches!(
                err,
                EscrowError::ShareUnopenable
                    | EscrowError::BadMagic
                    | EscrowError::UnsupportedVersion(_)
                    | EscrowError::InvalidThreshold
            ),
            "byte {at}: {err:?}"
        );
    }

    // A share from a peer that derived another polynomial (a forged commitment set) carries
    // another tag; in this group it is refused rather than used.
    let other = escrow_n(&w, [6; 64], 1, &mut rng);
    let foreign = open_share(&other[0].1, &w.key).unwrap();
    let mixed = [shares[0].clone(), shares[1].clone(), foreign];
    assert_eq!(
        recover_group_key(&mixed).unwrap_err(),
        EscrowError::MixedGroups
    );

    // Another organisation's key opens no share.
    let stranger = HpkePrivateKey::generate(&mut rng);
    assert_eq!(
        open_share(sealed, &stranger).unwrap_err(),
        EscrowError::ShareUnopenable
    );
}

#[test]
fn the_relay_parses_the_clear_header_and_refuses_malformed_submissions() {
    let mut rng = DeterministicRng::new("escrow parse");
    let w = world(&mut rng);
    let reports = escrow_n(&w, [9; 64], 2, &mut rng);
    let (_, sealed) = &reports[0];
    let parsed = ParsedEscrow::parse(sealed).unwrap();
    assert_eq!(parsed.header.params, params(w.org));
    let other = ParsedEscrow::parse(&reports[1].1).unwrap();
    assert_eq!(
        parsed.header.tag, other.header.tag,
        "one recruiter, one tag"
    );
    assert_ne!(parsed.header.escrow_id, other.header.escrow_id);
    // Two devices, two sources in the group; the same device in another group, another source.
    assert_ne!(parsed.header.source, other.header.source);
    assert_eq!(
        parsed.header.source,
        escrow::escrow_source(&DEVICES[0], &parsed.header.tag)
    );
    assert_ne!(
        parsed.header.source,
        escrow::escrow_source(&DEVICES[0], &[0xee; 32])
    );
    assert_eq!(
        parsed.header.withdrawal_hash,
        escrow::escrow_withdrawal_hash(&DEVICES[0])
    );

    assert_eq!(
        ParsedEscrow::parse(&sealed[..escrow::HEADER_LEN + 10]).unwrap_err(),
        EscrowError::Truncated
    );
    let mut magic = sealed.clone();
    magic[0] = b'X';
    assert_eq!(
        ParsedEscrow::parse(&magic).unwrap_err(),
        EscrowError::BadMagic
    );
    let mut version = sealed.clone();
    version[4] = 9;
    assert_eq!(
        ParsedEscrow::parse(&version).unwrap_err(),
        EscrowError::UnsupportedVersion(9)
    );
    for k in [0u8, 1, 17] {
        let mut threshold = sealed.clone();
        threshold[4 + 1 + 16 + 16 + 4] = k;
        assert_eq!(
            ParsedEscrow::parse(&threshold).unwrap_err(),
            EscrowError::InvalidThreshold
        );
    }
    let bad_params = EscrowParams {
        threshold: 1,
        ..params(w.org)
    };
    assert_eq!(
        seal_escrow(
            &oprf_output_for_tests([1; 64]),
            &bad_params,
            &w.key.public_key(),
            b"x",
            secrets(0),
            &mut rng
        )
        .unwrap_err(),
        EscrowError::InvalidThreshold
    );
}

#[test]
fn the_whole_path_from_recruiter_name_to_opened_group() {
    let mut rng = DeterministicRng::new("escrow path");
    let w = world(&mut rng);
    let relay = OprfKey::derive(&[1; 32], b"relay").unwrap();
    let org_oprf = OprfKey::derive(&[2; 32], b"org").unwrap();
    let names = [
        ("Everest Manpower Pvt. Ltd.", None),
        ("everest manpower", None),
        ("EVEREST  MANPOWER", Some("")),
    ];
    let mut sealed = Vec::new();
    for (i, (name, licence)) in names.into_iter().enumerate() {
        let recruiter = canonical_recruiter(name, licence).unwrap();
        let request = OprfRequest::blind(&recruiter, &mut rng).unwrap();
        let e1 = relay.evaluate_blinded(request.blinded_element()).unwrap();
        let e2 = org_oprf.evaluate_blinded(&e1).unwrap();
        let output = request.finalize(&e2).unwrap();
        let text = format!("report {i}");
        sealed.push(
            seal_escrow(
                &output,
                &params(w.org),
                &w.key.public_key(),
                text.as_bytes(),
                secrets(i as u8),
                &mut rng,
            )
            .unwrap(),
        );
    }
    let shares: Vec<OpenedShare> = sealed
        .iter()
        .map(|s| open_share(s, &w.key).unwrap())
        .collect();
    let key = recover_group_key(&shares).unwrap();
    for (i, s) in sealed.iter().enumerate() {
        assert_eq!(
            open_escrowed_report(s, &key).unwrap().as_slice(),
            format!("report {i}").as_bytes()
        );
    }
}

/// The escrowed plaintext carries the envelope with the tags and consent it was sealed under
/// (never shown to the relay); after release the organisation opens the envelope with their
/// disclosure digest, as any inbox entry.
#[test]
fn a_released_report_opens_as_an_ordinary_envelope() {
    use workvoice_proto::envelope;
    use workvoice_proto::escrow::EscrowedReport;
    use workvoice_proto::keys::{Digest, ReportId};
    use workvoice_proto::routing::{Consent, ReportKind, RoutingTags, disclosure_digest};

    let mut rng = DeterministicRng::new("escrow envelope");
    let w = world(&mut rng);
    let tags = RoutingTags {
        destination_country: "MY".into(),
        sector: None,
        kinds: [ReportKind::recruitment_fees()].into_iter().collect(),
    };
    let consent = Consent {
        union: true,
        inspectorate: false,
        ngo: false,
        contact_wanted: true,
    };
    let digest = disclosure_digest(&tags, &consent);
    let output = oprf_output_for_tests([3; 64]);
    let mut sealed = Vec::new();
    for i in 0..3u8 {
        let id = ReportId([i; 16]);
        let plain = format!("{{\"report\": {i}}}").into_bytes();
        let env = envelope::seal(
            &plain,
            id,
            &[(w.org, w.key.public_key())],
            &digest,
            &mut rng,
        )
        .unwrap();
        let escrowed = EscrowedReport {
            tags: tags.clone(),
            consent,
            mailbox_token_hash: Digest([i; 32]),
            envelope: env,
        };
        sealed.push(
            seal_escrow(
                &output,
                &params(w.org),
                &w.key.public_key(),
                &escrowed.to_bytes(),
                secrets(i),
                &mut rng,
            )
            .unwrap(),
        );
    }
    let shares: Vec<OpenedShare> = sealed
        .iter()
        .map(|s| open_share(s, &w.key).unwrap())
        .collect();
    let key = recover_group_key(&shares).unwrap();
    for (i, s) in sealed.iter().enumerate() {
        let escrowed = EscrowedReport::from_bytes(&open_escrowed_report(s, &key).unwrap()).unwrap();
        assert_eq!(escrowed.mailbox_token_hash, Digest([i as u8; 32]));
        let opened = envelope::open(
            &escrowed.envelope,
            w.org,
            &w.key,
            &disclosure_digest(&escrowed.tags, &escrowed.consent),
        )
        .unwrap();
        assert_eq!(
            opened.plaintext,
            format!("{{\"report\": {i}}}").into_bytes()
        );
    }
    assert_eq!(
        EscrowedReport::from_bytes(b"not json").unwrap_err(),
        EscrowError::ReportUnopenable
    );
}
