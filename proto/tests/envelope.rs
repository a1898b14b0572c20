//! Properties of the sealed envelope.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use workvoice_proto::ErrorCode;
use workvoice_proto::envelope::{self, EnvelopeError, EnvelopeHeader, framing_len};
use workvoice_proto::keys::{HpkePrivateKey, OrgId, ReportId};
use workvoice_proto::padding::{is_padded_len, padded_len, padme};
use workvoice_proto::vectors::DeterministicRng;

struct Org {
    id: OrgId,
    key: HpkePrivateKey,
}

fn orgs(n: usize, rng: &mut DeterministicRng) -> Vec<Org> {
    (0..n)
        .map(|_| Org {
            id: OrgId::random(rng),
            key: HpkePrivateKey::generate(rng),
        })
        .collect()
}

fn seal_to(plain: &[u8], recipients: &[Org], rng: &mut DeterministicRng) -> (ReportId, Vec<u8>) {
    let id = ReportId::random(rng);
    let list: Vec<_> = recipients
        .iter()
        .map(|o| (o.id, o.key.public_key()))
        .collect();
    (
        id,
        envelope::seal(plain, id, &list, &[9u8; 32], rng).unwrap(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Every recipient opens the same plaintext; a non-recipient cannot.
    #[test]
    fn round_trip_for_every_recipient(
        n in 1usize..=10,
        len in 0usize..=256 * 1024,
        seed in any::<u64>(),
    ) {
        let mut rng = DeterministicRng::new(&format!("round-trip {seed}"));
        let plain: Vec<u8> = (0..len).map(|i| (i as u64 ^ seed) as u8).collect();
        let recipients = orgs(n, &mut rng);
        let (id, sealed) = seal_to(&plain, &recipients, &mut rng);
        for org in &recipients {
            let opened = envelope::open(&sealed, org.id, &org.key, &[9u8; 32]).unwrap();
            prop_assert_eq!(&opened.plaintext, &plain);
            prop_assert_eq!(opened.report_id, id);
        }
        let outsider = orgs(1, &mut rng).remove(0);
        prop_assert_eq!(
            envelope::open(&sealed, outsider.id, &outsider.key, &[9u8; 32]),
            Err(EnvelopeError::NotARecipient)
        );
        // An outsider claiming a recipient's id still lacks its key.
        prop_assert_eq!(
            envelope::open(&sealed, recipients[0].id, &outsider.key, &[9u8; 32]),
            Err(EnvelopeError::KeyUnsealFailed)
        );
        // The padded content only takes PADMÉ sizes, and framing is what PROTOCOL.md says.
        let header = EnvelopeHeader::parse(&sealed).unwrap();
        prop_assert!(is_padded_len(header.ciphertext_len - 16));
        prop_assert_eq!(header.ciphertext_len - 16, padded_len(len));
        prop_assert_eq!(sealed.len(), framing_len(n) + padded_len(len));
    }

    /// Flipping any single byte anywhere is rejected with a typed error.
    #[test]
    fn any_flipped_byte_is_rejected(
        n in 1usize..=4,
        len in 0usize..=4096,
        position in any::<prop::sample::Index>(),
        bit in 0u8..8,
        seed in any::<u64>(),
    ) {
        let mut rng = DeterministicRng::new(&format!("flip {seed}"));
        let recipients = orgs(n, &mut rng);
        let (_, sealed) = seal_to(&vec![0x5a; len], &recipients, &mut rng);
        let mut flipped = sealed.clone();
        let i = position.index(flipped.len());
        flipped[i] ^= 1 << bit;
        for org in &recipients {
            let result = envelope::open(&flipped, org.id, &org.key, &[9u8; 32]);
            prop_assert!(result.is_err(), "flip at {} opened for a recipient", i);
        }
    }

    /// Random bytes never panic the parser or the opener.
    #[test]
    fn hostile_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let key = HpkePrivateKey::from_bytes([1; 32]);
        let _ = EnvelopeHeader::parse(&bytes);
        let _ = envelope::open(&bytes, OrgId([0; 16]), &key, &[0; 32]);
        let mut framed = b"WVEN\x01".to_vec();
        framed.extend_from_slice(&bytes);
        let _ = envelope::open(&framed, OrgId([0; 16]), &key, &[0; 32]);
    }

    /// Padded lengths only take the documented sizes.
    #[test]
    fn padded_lengths_are_padme(len in 0usize..=1 << 20) {
        let p = padded_len(len);
        prop_assert!(p >= len + 4 && p >= 256);
        prop_assert_eq!(padme(p), p);
        prop_assert!(is_padded_len(p));
    }
}

#[test]
fn every_single_byte_flip_of_a_small_envelope_is_rejected() {
    let mut rng = DeterministicRng::new("exhaustive flips");
    let recipients = orgs(2, &mut rng);
    let (_, sealed) = seal_to(b"passport kept by employer", &recipients, &mut rng);
    for i in 0..sealed.len() {
        let mut flipped = sealed.clone();
        flipped[i] ^= 0x01;
        for org in &recipients {
            let err = envelope::open(&flipped, org.id, &org.key, &[9u8; 32]).unwrap_err();
            assert!(err.code().starts_with("envelope_"), "byte {i}: {err:?}");
        }
    }
}

#[test]
fn header_swapped_between_envelopes_is_rejected() {
    let mut rng = DeterministicRng::new("swap");
    let recipients = orgs(2, &mut rng);
    let (_, a) = seal_to(&[1u8; 300], &recipients, &mut rng);
    let (_, b) = seal_to(&[2u8; 300], &recipients, &mut rng);
    let ha = EnvelopeHeader::parse(&a).unwrap();
    let hb = EnvelopeHeader::parse(&b).unwrap();
    // Same sizes, so the spliced envelope is structurally valid.
    assert_eq!(ha.header_len, hb.header_len);
    let mut spliced = a[..ha.header_len].to_vec();
    spliced.extend_from_slice(&b[hb.header_len..]);
    for org in &recipients {
        assert_eq!(
            envelope::open(&spliced, org.id, &org.key, &[9u8; 32]),
            Err(EnvelopeError::DecryptFailed)
        );
    }
    // Swapping only one recipient's row between envelopes breaks the key commitment or the
    // associated data.
    let mut row_swapped = a.clone();
    let row = envelope::PREFIX_LEN..envelope::PREFIX_LEN + envelope::RECIPIENT_ENTRY_LEN;
    row_swapped[row.clone()].copy_from_slice(&b[row]);
    let err = envelope::open(
        &row_swapped,
        recipients[0].id,
        &recipients[0].key,
        &[9u8; 32],
    )
    .unwrap_err();
    assert!(matches!(
        err,
        EnvelopeError::KeyUnsealFailed | EnvelopeError::CommitmentMismatch
    ));
}

#[test]
fn altered_disclosure_is_rejected() {
    let mut rng = DeterministicRng::new("disclosure");
    let recipients = orgs(1, &mut rng);
    let (_, sealed) = seal_to(b"report", &recipients, &mut rng);
    assert_eq!(
        envelope::open(&sealed, recipients[0].id, &recipients[0].key, &[8u8; 32]),
        Err(EnvelopeError::DecryptFailed)
    );
}

#[test]
fn structural_errors_are_specific() {
    let mut rng = DeterministicRng::new("structure");
    let recipients = orgs(1, &mut rng);
    let (_, sealed) = seal_to(b"x", &recipients, &mut rng);
    assert_eq!(
        EnvelopeHeader::parse(&sealed[..10]),
        Err(EnvelopeError::Truncated)
    );
    assert_eq!(
        EnvelopeHeader::parse(&sealed[..sealed.len() - 1]),
        Err(EnvelopeError::LengthMismatch)
    );
    let mut zero = sealed.clone();
    zero[53] = 0;
    assert_eq!(
        EnvelopeHeader::parse(&zero),
        Err(EnvelopeError::RecipientCount)
    );
    let mut many = sealed.clone();
    many[53] = 17;
    assert_eq!(
        EnvelopeHeader::parse(&many),
        Err(EnvelopeError::RecipientCount)
    );
    let mut longer = sealed.clone();
    longer.push(0);
    assert_eq!(
        EnvelopeHeader::parse(&longer),
        Err(EnvelopeError::LengthMismatch)
    );
    // A hostile length field cannot make the parser allocate: it is compared with the input.
    let mut huge = sealed.clone();
    let at = envelope::PREFIX_LEN + envelope::RECIPIENT_ENTRY_LEN + envelope::NONCE_LEN;
    huge[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
    assert_eq!(EnvelopeHeader::parse(&huge), Err(EnvelopeError::TooLarge));
    let dup = [(recipients[0].id, recipients[0].key.public_key()); 2];
    assert_eq!(
        envelope::seal(b"x", ReportId([0; 16]), &dup, &[0; 32], &mut rng),
        Err(EnvelopeError::DuplicateRecipient(recipients[0].id))
    );
    assert_eq!(
        envelope::seal(b"x", ReportId([0; 16]), &[], &[0; 32], &mut rng),
        Err(EnvelopeError::RecipientCount)
    );
    // A recipient key of low order (here the identity) would give an all-zero shared secret:
    // refused, with nothing returned.
    let weak = [(
        recipients[0].id,
        workvoice_proto::keys::HpkePublicKey([0; 32]),
    )];
    let refused = envelope::seal(b"x", ReportId([0; 16]), &weak, &[0; 32], &mut rng);
    assert_eq!(refused, Err(EnvelopeError::InvalidRecipientKey));
    assert_eq!(
        refused.unwrap_err().code(),
        "envelope_invalid_recipient_key"
    );
}

#[test]
fn framing_meets_the_budget() {
    // Target: under 120 bytes + 96 bytes per recipient before padding.
    for n in 1..=16 {
        assert!(
            framing_len(n) <= 120 + 96 * n,
            "{n} recipients: {}",
            framing_len(n)
        );
    }
    assert_eq!(
        envelope::MAX_CIPHERTEXT_LEN,
        padded_len(workvoice_proto::report::MAX_REPORT_BYTES) + 16
    );
}
