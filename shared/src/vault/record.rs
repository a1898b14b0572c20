//! The byte layout of one sealed vault record, and its panic-free decoder.
//!
//! ```text
//! stored key   = HMAC-SHA256(k_ns, namespace)[..16] || HMAC-SHA256(k_key, len16(ns) || ns || key)[..16]
//! stored value = version (1 byte, = 1) || nonce (24 bytes) || XChaCha20-Poly1305 ciphertext || tag (16)
//! plaintext    = key length (u16, big-endian) || logical key (UTF-8) || value
//! associated data = version || stored key
//! ```
//!
//! The logical key travels inside the ciphertext so that listing a namespace can return it; the
//! stored key is bound as associated data so that a value cannot be moved to another key.

/// Format version of [`SealedRecord`].
pub const RECORD_VERSION: u8 = 1;
/// Length of a stored key: namespace tag followed by key tag.
pub const STORED_KEY_LEN: usize = 2 * TAG_LEN;
/// Length of each half of a stored key.
pub const TAG_LEN: usize = 16;
/// XChaCha20-Poly1305 nonce length.
pub const NONCE_LEN: usize = 24;
/// Poly1305 tag length.
pub const AEAD_TAG_LEN: usize = 16;
/// Longest logical key, in bytes.
pub const MAX_LOGICAL_KEY_LEN: usize = u16::MAX as usize;

const HEADER_LEN: usize = 1 + NONCE_LEN;

/// Why stored bytes are not a valid record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// Shorter than the fixed parts of the layout.
    #[error("record is truncated")]
    Truncated,
    /// Written by a format this build does not know.
    #[error("unknown record version {0}")]
    UnknownVersion(u8),
    /// The logical key is not UTF-8.
    #[error("record key is not UTF-8")]
    KeyNotUtf8,
    /// The stored key does not have the length every stored key has.
    #[error("stored key has the wrong length")]
    StoredKeyLength,
    /// Authentication failed: the bytes were altered, moved to another key, or sealed under
    /// another device key.
    #[error("record failed authentication")]
    Authentication,
    /// The record decrypted, but carries another logical key than the one asked for.
    #[error("record belongs to another key")]
    KeyMismatch,
}

/// The parts of a sealed record, borrowed from the stored bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealedRecord<'a> {
    /// Format version.
    pub version: u8,
    /// AEAD nonce.
    pub nonce: &'a [u8; NONCE_LEN],
    /// Ciphertext followed by the 16-byte tag.
    pub ciphertext: &'a [u8],
}

/// The decrypted contents of a record, borrowed from the plaintext.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordPlaintext<'a> {
    /// The logical key the caller stored the value under.
    pub key: &'a str,
    /// The caller's value.
    pub value: &'a [u8],
}

/// Splits stored value bytes into version, nonce and ciphertext without decrypting.
///
/// Never panics and never allocates: this is the entry point for fuzzing the stored format.
pub fn decode_record(bytes: &[u8]) -> Result<SealedRecord<'_>, RecordError> {
    let (&version, rest) = bytes.split_first().ok_or(RecordError::Truncated)?;
    if version != RECORD_VERSION {
        return Err(RecordError::UnknownVersion(version));
    }
    let (nonce, ciphertext) = rest
        .split_first_chunk::<NONCE_LEN>()
        .ok_or(RecordError::Truncated)?;
    if ciphertext.len() < AEAD_TAG_LEN {
        return Err(RecordError::Truncated);
    }
    Ok(SealedRecord {
        version,
        nonce,
        ciphertext,
    })
}

/// Splits decrypted record bytes into logical key and value.
///
/// Never panics and never allocates.
pub fn decode_plaintext(bytes: &[u8]) -> Result<RecordPlaintext<'_>, RecordError> {
    let (length, rest) = bytes
        .split_first_chunk::<2>()
        .ok_or(RecordError::Truncated)?;
    let length = usize::from(u16::from_be_bytes(*length));
    if rest.len() < length {
        return Err(RecordError::Truncated);
    }
    let (key, value) = rest.split_at(length);
    let key = std::str::from_utf8(key).map_err(|_| RecordError::KeyNotUtf8)?;
    Ok(RecordPlaintext { key, value })
}

/// Encodes the plaintext of a record; `None` when the key is longer than
/// [`MAX_LOGICAL_KEY_LEN`].
pub(crate) fn encode_plaintext(key: &str, value: &[u8]) -> Option<Vec<u8>> {
    let length = u16::try_from(key.len()).ok()?;
    let mut plaintext = Vec::with_capacity(2 + key.len() + value.len());
    plaintext.extend_from_slice(&length.to_be_bytes());
    plaintext.extend_from_slice(key.as_bytes());
    plaintext.extend_from_slice(value);
    Some(plaintext)
}

/// Associated data of a record stored under `stored_key`.
pub(crate) fn associated_data(stored_key: &[u8; STORED_KEY_LEN]) -> [u8; 1 + STORED_KEY_LEN] {
    let mut aad = [0u8; 1 + STORED_KEY_LEN];
    aad[0] = RECORD_VERSION;
    aad[1..].copy_from_slice(stored_key);
    aad
}

/// Assembles stored value bytes from a nonce and the AEAD output.
pub(crate) fn encode_sealed(nonce: &[u8; NONCE_LEN], ciphertext: &[u8]) -> Vec<u8> {
    let mut sealed = Vec::with_capacity(HEADER_LEN + ciphertext.len());
    sealed.push(RECORD_VERSION);
    sealed.extend_from_slice(nonce);
    sealed.extend_from_slice(ciphertext);
    sealed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plaintext_round_trips() {
        let encoded = encode_plaintext("report-1", b"value").unwrap();
        let decoded = decode_plaintext(&encoded).unwrap();
        assert_eq!(decoded.key, "report-1");
        assert_eq!(decoded.value, b"value");
    }

    #[test]
    fn short_inputs_are_typed_errors() {
        assert_eq!(decode_record(&[]), Err(RecordError::Truncated));
        assert_eq!(decode_record(&[2; 64]), Err(RecordError::UnknownVersion(2)));
        assert_eq!(decode_record(&[1; 40]), Err(RecordError::Truncated));
        assert!(decode_record(&[1; 41]).is_ok());
        assert_eq!(decode_plaintext(&[0]), Err(RecordError::Truncated));
        assert_eq!(decode_plaintext(&[0, 3, b'a']), Err(RecordError::Truncated));
        assert_eq!(
            decode_plaintext(&[0, 1, 0xff]),
            Err(RecordError::KeyNotUtf8)
        );
    }

    #[test]
    fn overlong_key_is_refused() {
        let key = "k".repeat(MAX_LOGICAL_KEY_LEN + 1);
        assert!(encode_plaintext(&key, b"").is_none());
    }
}
