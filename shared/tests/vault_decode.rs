//! The decoders of stored bytes return typed errors on any input and never panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use workvoice_core::vault::{
    METADATA_LEN, MetadataError, RecordError, decode_metadata, decode_plaintext, decode_record,
};

#[test]
fn known_bad_inputs() {
    assert_eq!(decode_record(&[]), Err(RecordError::Truncated));
    assert_eq!(
        decode_record(&[9; 100]),
        Err(RecordError::UnknownVersion(9))
    );
    assert_eq!(
        decode_plaintext(&[0xff, 0xff, 1]),
        Err(RecordError::Truncated)
    );
    assert_eq!(decode_metadata(&[]), Err(MetadataError::Length(0)));
    assert_eq!(
        decode_metadata(&[1; METADATA_LEN]),
        Err(MetadataError::Checksum)
    );
    assert_eq!(
        decode_metadata(&[7; METADATA_LEN]),
        Err(MetadataError::UnknownVersion(7))
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn record_decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(record) = decode_record(&bytes) {
            prop_assert_eq!(record.version, 1);
            prop_assert_eq!(1 + record.nonce.len() + record.ciphertext.len(), bytes.len());
        }
        if let Ok(plaintext) = decode_plaintext(&bytes) {
            prop_assert_eq!(2 + plaintext.key.len() + plaintext.value.len(), bytes.len());
        }
    }

    #[test]
    fn metadata_decoding_never_panics(
        bytes in proptest::collection::vec(any::<u8>(), METADATA_LEN - 2..METADATA_LEN + 2),
    ) {
        let _ = decode_metadata(&bytes);
    }
}
