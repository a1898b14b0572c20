//! Evidence attachments: each file is sealed on its own with XChaCha20-Poly1305 under a random
//! key that travels inside the (enveloped) report, so a 10 MiB photo costs no per-recipient
//! framing and can be uploaded in chunks. Byte layout: `PROTOCOL.md`, "Attachment".

use chacha20poly1305::aead::{Aead, AeadInOut, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::{Zeroize, Zeroizing};

use crate::codec::Reader;
use crate::keys::{AttachmentId, Digest, ReportId, sha256};
use crate::report::AttachmentRef;
use crate::{ErrorCode, SecureRng, padding};

pub const MAGIC: &[u8; 4] = b"WVAT";
pub const VERSION: u8 = 1;
pub const HEADER_LEN: usize = 4 + 1 + 16 + 16 + 24;
/// Largest plaintext attachment.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    #[error("attachment is {size} bytes, more than the {max} allowed")]
    TooLarge { size: usize, max: usize },
    #[error("the sealed attachment is malformed")]
    Malformed,
    #[error("the sealed attachment does not match its manifest entry")]
    Mismatch,
    #[error("the attachment failed authentication")]
    DecryptFailed,
}

impl ErrorCode for AttachmentError {
    fn code(&self) -> &'static str {
        match self {
            AttachmentError::TooLarge { .. } => "attachment_too_large",
            AttachmentError::Malformed => "attachment_malformed",
            AttachmentError::Mismatch => "attachment_mismatch",
            AttachmentError::DecryptFailed => "attachment_decrypt_failed",
        }
    }
}

/// Seal one (already metadata-stripped) file for a report. Returns the manifest entry to put
/// in the report and the sealed bytes to upload.
pub fn seal_attachment(
    plaintext: &[u8],
    media_type: &str,
    report_id: ReportId,
    rng: &mut impl SecureRng,
) -> Result<(AttachmentRef, Vec<u8>), AttachmentError> {
    if plaintext.len() > MAX_ATTACHMENT_BYTES {
        return Err(AttachmentError::TooLarge {
            size: plaintext.len(),
            max: MAX_ATTACHMENT_BYTES,
        });
    }
    let id = AttachmentId::random(rng);
    let mut key = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(key.as_mut());
    let mut nonce = [0u8; 24];
    rng.fill_bytes(&mut nonce);
    let mut out = Vec::with_capacity(sealed_len(plaintext.len()));
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    out.extend_from_slice(report_id.as_bytes());
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(&nonce);
    // The padded file is written straight into the output and encrypted there: one buffer the
    // size of the sealed file, no second copy of the plaintext (a photo can be 10 MiB).
    let header = <[u8; HEADER_LEN]>::try_from(&out[..]).map_err(|_| AttachmentError::Malformed)?;
    padding::pad_into(plaintext, &mut out).ok_or(AttachmentError::Malformed)?;
    let tag = XChaCha20Poly1305::new(&(*key).into())
        .encrypt_inout_detached(
            &XNonce::from(nonce),
            &header,
            out[HEADER_LEN..].as_mut().into(),
        )
        .map_err(|_| {
            out.zeroize();
            AttachmentError::Malformed
        });
    let tag = tag?;
    out.extend_from_slice(&tag);
    let entry = AttachmentRef {
        id,
        media_type: media_type.to_string(),
        size: plaintext.len() as u64,
        sealed_size: out.len() as u64,
        sealed_sha256: sha256(&[&out]),
        key: *key,
    };
    Ok((entry, out))
}

/// The sealed size of a plaintext of `len` bytes.
pub fn sealed_len(len: usize) -> usize {
    HEADER_LEN + padding::padded_len(len) + 16
}

/// Check a sealed attachment against its manifest entry and decrypt it.
pub fn open_attachment(
    sealed: &[u8],
    report_id: ReportId,
    entry: &AttachmentRef,
) -> Result<Vec<u8>, AttachmentError> {
    if sealed.len() as u64 != entry.sealed_size || sha256(&[sealed]) != entry.sealed_sha256 {
        return Err(AttachmentError::Mismatch);
    }
    let mut r = Reader::new(sealed);
    let header_ok = r.take(4).ok() == Some(&MAGIC[..])
        && r.u8().ok() == Some(VERSION)
        && r.array::<16>().ok() == Some(*report_id.as_bytes())
        && r.array::<16>().ok() == Some(*entry.id.as_bytes());
    let nonce = r.array::<24>().map_err(|_| AttachmentError::Malformed)?;
    if !header_ok {
        return Err(AttachmentError::Mismatch);
    }
    let padded = Zeroizing::new(
        XChaCha20Poly1305::new(&entry.key.into())
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &sealed[HEADER_LEN..],
                    aad: &sealed[..HEADER_LEN],
                },
            )
            .map_err(|_| AttachmentError::DecryptFailed)?,
    );
    let plain = padding::unpad(&padded).map_err(|_| AttachmentError::Malformed)?;
    if plain.len() as u64 != entry.size {
        return Err(AttachmentError::Mismatch);
    }
    Ok(plain.to_vec())
}

/// SHA-256 of sealed bytes, as the manifest and the relay's upload check use it.
pub fn sealed_digest(sealed: &[u8]) -> Digest {
    sha256(&[sealed])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::vectors::DeterministicRng;

    #[test]
    fn sealing_in_place_gives_the_one_shot_layout_and_opens() {
        let plain: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let report_id = ReportId([9; 16]);
        let (entry, sealed) = seal_attachment(
            &plain,
            "image/jpeg",
            report_id,
            &mut DeterministicRng::new("attachment"),
        )
        .unwrap();
        assert_eq!(sealed.len(), sealed_len(plain.len()));
        assert_eq!(entry.sealed_size, sealed.len() as u64);
        // The bytes a one-shot encryption of the padded file gives, as PROTOCOL.md lays out.
        let nonce: [u8; 24] = sealed[HEADER_LEN - 24..HEADER_LEN].try_into().unwrap();
        let one_shot = XChaCha20Poly1305::new(&entry.key.into())
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &padding::pad(&plain).unwrap(),
                    aad: &sealed[..HEADER_LEN],
                },
            )
            .unwrap();
        assert_eq!(&sealed[HEADER_LEN..], &one_shot[..]);
        assert_eq!(open_attachment(&sealed, report_id, &entry).unwrap(), plain);
    }
}
