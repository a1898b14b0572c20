//! A sealed evidence attachment as the desk downloads it from the relay: hostile bytes into
//! `open_attachment`, with a manifest entry that matches the input's size, digest and ids so
//! that the checks behind them are reached.
//!
//! Every input is also sealed as an attachment, opened, compared, and opened again with one
//! bit flipped, which must fail.
#![no_main]

use libfuzzer_sys::fuzz_target;
use workvoice_proto::attachment::{
    AttachmentError, HEADER_LEN, MAX_ATTACHMENT_BYTES, open_attachment, seal_attachment,
    sealed_digest, sealed_len,
};
use workvoice_proto::keys::{AttachmentId, ReportId};
use workvoice_proto::report::AttachmentRef;
use workvoice_proto::vectors::DeterministicRng;

fuzz_target!(|data: &[u8]| {
    let report_id = ReportId(
        data.get(5..21)
            .and_then(|s| s.try_into().ok())
            .unwrap_or([0; 16]),
    );
    let id = AttachmentId(
        data.get(21..37)
            .and_then(|s| s.try_into().ok())
            .unwrap_or([0; 16]),
    );
    let entry = AttachmentRef {
        id,
        media_type: "image/png".into(),
        size: data.len().saturating_sub(HEADER_LEN + 16 + 4) as u64,
        sealed_size: data.len() as u64,
        sealed_sha256: sealed_digest(data),
        key: [0x42; 32],
    };
    match open_attachment(data, report_id, &entry) {
        Ok(plain) => assert_eq!(plain.len() as u64, entry.size),
        Err(AttachmentError::TooLarge { .. }) => panic!("opening never reports TooLarge"),
        Err(_) => {}
    }

    if data.len() > MAX_ATTACHMENT_BYTES {
        return;
    }
    let mut rng = DeterministicRng::new("fuzz attachment");
    let report_id = ReportId([0x5a; 16]);
    let (entry, sealed) = seal_attachment(data, "image/jpeg", report_id, &mut rng)
        .expect("an attachment within the limit seals");
    assert_eq!(sealed.len(), sealed_len(data.len()));
    assert_eq!(entry.sealed_size, sealed.len() as u64);
    assert_eq!(entry.sealed_sha256, sealed_digest(&sealed));
    let opened = open_attachment(&sealed, report_id, &entry).expect("a fresh attachment opens");
    assert_eq!(opened, data);
    let position = data.iter().fold(0usize, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(usize::from(*b))
    }) % sealed.len();
    let mut tampered = sealed;
    tampered[position] ^= 1 << (data.len() % 8);
    // With the manifest updated to the tampered bytes, only the header checks and the AEAD
    // stand between the relay and the desk.
    let forged = AttachmentRef {
        sealed_sha256: sealed_digest(&tampered),
        ..entry.clone()
    };
    assert!(open_attachment(&tampered, report_id, &entry).is_err());
    assert!(open_attachment(&tampered, report_id, &forged).is_err());
});
