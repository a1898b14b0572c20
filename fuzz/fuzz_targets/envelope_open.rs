//! The sealed envelope as a desk receives it from the relay: hostile bytes into
//! `EnvelopeHeader::parse` and `envelope::open` under every fixture organisation's key.
//!
//! Inputs that do not start with the envelope magic are also used as a plaintext: sealed to
//! the union, opened, compared, and opened again with one bit flipped, so the fuzzer reaches
//! padding and unpadding with well-formed crypto as well.
#![no_main]

use libfuzzer_sys::fuzz_target;
use workvoice_fuzz::world;
use workvoice_proto::envelope::{self, EnvelopeError, EnvelopeHeader, MAGIC};
use workvoice_proto::keys::ReportId;
use workvoice_proto::report::MAX_REPORT_BYTES;
use workvoice_proto::vectors::DeterministicRng;

fuzz_target!(|data: &[u8]| {
    let w = world();
    let header = EnvelopeHeader::parse(data);
    if let Ok(h) = &header {
        assert_eq!(h.header_len + h.ciphertext_len, data.len());
        assert!(!h.recipients.is_empty());
    }
    for (org_id, key, _) in &w.orgs {
        match envelope::open(data, *org_id, key, &w.disclosure_digest) {
            Ok(opened) => {
                let h = header.as_ref().expect("an envelope that opens parses");
                assert_eq!(opened.report_id, h.report_id);
                assert!(opened.recipients.contains(org_id));
                assert!(opened.plaintext.len() < h.ciphertext_len);
            }
            Err(e) => {
                if let Err(parse_error) = &header {
                    assert_eq!(&e, parse_error, "open reports the parse error first");
                } else {
                    assert!(
                        !matches!(e, EnvelopeError::Truncated | EnvelopeError::BadMagic),
                        "a parsed header cannot be truncated: {e:?}"
                    );
                }
            }
        }
    }

    if data.starts_with(MAGIC) || data.len() > MAX_REPORT_BYTES {
        return;
    }
    // One recipient keeps the X25519 work per input low; the recipient table is covered above.
    let mut rng = DeterministicRng::new("fuzz envelope");
    let report_id = ReportId([0x5a; 16]);
    let (union_id, union_key, union_public) = &w.orgs[0];
    let recipients = [(*union_id, *union_public)];
    let sealed = envelope::seal(data, report_id, &recipients, &w.disclosure_digest, &mut rng)
        .expect("a plaintext within the limit seals");
    let opened = envelope::open(&sealed, *union_id, union_key, &w.disclosure_digest)
        .expect("a fresh envelope opens for its recipient");
    assert_eq!(opened.plaintext, data);
    assert_eq!(opened.report_id, report_id);
    assert_eq!(opened.recipients, vec![*union_id]);
    // One flipped bit anywhere, chosen by the input, must make the envelope fail to open.
    let position = data.iter().fold(0usize, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(usize::from(*b))
    }) % sealed.len();
    let mut tampered = sealed;
    tampered[position] ^= 1 << (data.len() % 8);
    if let Ok(opened) = envelope::open(&tampered, *union_id, union_key, &w.disclosure_digest) {
        panic!("a tampered envelope opened (bit at byte {position}): {opened:?}");
    }
});
