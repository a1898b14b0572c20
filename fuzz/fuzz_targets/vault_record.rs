//! The vault's stored formats as the phone reads them back from flash that someone else may
//! have written: a sealed record, a decrypted record plaintext and the metadata file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use workvoice_core::vault::record::{AEAD_TAG_LEN, NONCE_LEN, RECORD_VERSION};
use workvoice_core::vault::{
    METADATA_LEN, MetadataError, decode_metadata, decode_plaintext, decode_record,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(record) = decode_record(data) {
        assert_eq!(record.version, RECORD_VERSION);
        assert!(record.ciphertext.len() >= AEAD_TAG_LEN);
        assert_eq!(1 + NONCE_LEN + record.ciphertext.len(), data.len());
        assert_eq!(&data[1..1 + NONCE_LEN], record.nonce);
    }
    if let Ok(plain) = decode_plaintext(data) {
        assert_eq!(2 + plain.key.len() + plain.value.len(), data.len());
        assert_eq!(
            usize::from(u16::from_be_bytes([data[0], data[1]])),
            plain.key.len()
        );
    }
    match decode_metadata(data) {
        Ok(meta) => {
            assert_eq!(data.len(), METADATA_LEN);
            assert!(meta.attempts_left() <= 1000);
        }
        Err(MetadataError::Length(len)) => assert_ne!(len, METADATA_LEN),
        Err(_) => assert_eq!(data.len(), METADATA_LEN),
    }
});
