//! The sealed envelope: one report, encrypted once, readable by exactly the organisations it
//! names.
//!
//! A random 32-byte content key seals the padded report with XChaCha20-Poly1305; the content
//! key is sealed to each recipient with HPKE (RFC 9180 base mode, DHKEM(X25519, HKDF-SHA256),
//! HKDF-SHA256, ChaCha20-Poly1305). The header (format version, report id, key commitment,
//! recipient table) is associated data of the content encryption, and the key commitment makes
//! every recipient provably decrypt the same plaintext. Byte layout: `PROTOCOL.md`, "Envelope".

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{Tag, XChaCha20Poly1305, XNonce};
use ring::hmac;
use zeroize::{Zeroize, Zeroizing};

use crate::codec::{ReadError, Reader};
use crate::hpke_suite;
use crate::keys::{HpkePrivateKey, HpkePublicKey, OrgId, ReportId, ct_eq};
use crate::padding::{self, is_padded_len};
use crate::report::MAX_REPORT_BYTES;
use crate::routing::MAX_RECIPIENTS;
use crate::{ErrorCode, SecureRng};

pub const MAGIC: &[u8; 4] = b"WVEN";
pub const VERSION: u8 = 1;
pub const TAG_LEN: usize = 16;
pub const NONCE_LEN: usize = 24;
/// org id (16) + HPKE encapsulated key (32) + sealed content key (32 + 16).
pub const RECIPIENT_ENTRY_LEN: usize = 16 + 32 + 48;
/// Bytes before the recipient table: magic, version, report id, commitment, count.
pub const PREFIX_LEN: usize = 4 + 1 + 16 + 32 + 1;
/// Framing that does not depend on the number of recipients: prefix, nonce, length, tag.
pub const FIXED_OVERHEAD: usize = PREFIX_LEN + NONCE_LEN + 4 + TAG_LEN;
/// The largest ciphertext an envelope may carry: a maximal report, padded, plus its tag.
pub const MAX_CIPHERTEXT_LEN: usize = padding_len_of_max() + TAG_LEN;

const fn padding_len_of_max() -> usize {
    // padme(MAX_REPORT_BYTES + 4) for MAX_REPORT_BYTES = 1 MiB: exponent 20, 5 bits kept.
    // Checked against padding::padded_len in the tests.
    1_081_344
}

pub(crate) const CONTENT_KEY_INFO: &[u8] = b"workvoice/v1/content-key";
const COMMITMENT_LABEL: &[u8] = b"workvoice/v1/key-commitment";

/// Why an envelope could not be sealed, parsed or opened. Every variant has a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("the envelope ends before its structure does")]
    Truncated,
    #[error("not a Workvoice envelope")]
    BadMagic,
    #[error("envelope format version {0} is not supported")]
    UnsupportedVersion(u8),
    #[error("an envelope names between 1 and {MAX_RECIPIENTS} recipients")]
    RecipientCount,
    #[error("organisation {0} appears twice among the recipients")]
    DuplicateRecipient(OrgId),
    #[error("the ciphertext length does not match the envelope")]
    LengthMismatch,
    #[error("the content is larger than an envelope may carry")]
    TooLarge,
    #[error("this organisation is not a recipient of the envelope")]
    NotARecipient,
    #[error("the recipient key is not a usable X25519 key")]
    InvalidRecipientKey,
    #[error("the content key could not be unsealed for this recipient")]
    KeyUnsealFailed,
    #[error("the content key does not match the envelope's key commitment")]
    CommitmentMismatch,
    #[error("the content failed authentication")]
    DecryptFailed,
    #[error("the decrypted content is not correctly padded")]
    BadPadding,
}

impl ErrorCode for EnvelopeError {
    fn code(&self) -> &'static str {
        match self {
            EnvelopeError::Truncated => "envelope_truncated",
            EnvelopeError::BadMagic => "envelope_bad_magic",
            EnvelopeError::UnsupportedVersion(_) => "envelope_unsupported_version",
            EnvelopeError::RecipientCount => "envelope_recipient_count",
            EnvelopeError::DuplicateRecipient(_) => "envelope_duplicate_recipient",
            EnvelopeError::LengthMismatch => "envelope_length_mismatch",
            EnvelopeError::TooLarge => "envelope_too_large",
            EnvelopeError::NotARecipient => "envelope_not_a_recipient",
            EnvelopeError::InvalidRecipientKey => "envelope_invalid_recipient_key",
            EnvelopeError::KeyUnsealFailed => "envelope_key_unseal_failed",
            EnvelopeError::CommitmentMismatch => "envelope_commitment_mismatch",
            EnvelopeError::DecryptFailed => "envelope_decrypt_failed",
            EnvelopeError::BadPadding => "envelope_bad_padding",
        }
    }
}

impl From<ReadError> for EnvelopeError {
    fn from(_: ReadError) -> Self {
        EnvelopeError::Truncated
    }
}

/// One row of the recipient table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientEntry {
    pub org_id: OrgId,
    pub encapped_key: [u8; 32],
    pub sealed_key: [u8; 48],
}

/// An envelope's structure, parsed without any key: what the relay checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeHeader {
    pub report_id: ReportId,
    pub commitment: [u8; 32],
    pub recipients: Vec<RecipientEntry>,
    pub nonce: [u8; NONCE_LEN],
    /// Length of the ciphertext including its tag.
    pub ciphertext_len: usize,
    /// Length of the header: the ciphertext starts here.
    pub header_len: usize,
}

impl EnvelopeHeader {
    /// Parse and check an envelope's structure. Never panics; allocates at most the recipient
    /// table, whose size is bounded by [`MAX_RECIPIENTS`].
    pub fn parse(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        let mut r = Reader::new(bytes);
        if r.take(4)? != MAGIC {
            return Err(EnvelopeError::BadMagic);
        }
        let version = r.u8()?;
        if version != VERSION {
            return Err(EnvelopeError::UnsupportedVersion(version));
        }
        let report_id = ReportId(r.array()?);
        let commitment = r.array()?;
        let count = r.u8()? as usize;
        if count == 0 || count > MAX_RECIPIENTS {
            return Err(EnvelopeError::RecipientCount);
        }
        let mut recipients: Vec<RecipientEntry> = Vec::with_capacity(count);
        for _ in 0..count {
            let entry = RecipientEntry {
                org_id: OrgId(r.array()?),
                encapped_key: r.array()?,
                sealed_key: r.array()?,
            };
            if recipients.iter().any(|e| e.org_id == entry.org_id) {
                return Err(EnvelopeError::DuplicateRecipient(entry.org_id));
            }
            recipients.push(entry);
        }
        let nonce = r.array()?;
        let ciphertext_len = r.u32()? as usize;
        let header_len = r.position();
        if ciphertext_len > MAX_CIPHERTEXT_LEN {
            return Err(EnvelopeError::TooLarge);
        }
        if ciphertext_len != r.remaining()
            || ciphertext_len < TAG_LEN
            || !is_padded_len(ciphertext_len - TAG_LEN)
        {
            return Err(EnvelopeError::LengthMismatch);
        }
        Ok(Self {
            report_id,
            commitment,
            recipients,
            nonce,
            ciphertext_len,
            header_len,
        })
    }

    pub fn recipient_ids(&self) -> impl Iterator<Item = OrgId> + '_ {
        self.recipients.iter().map(|e| e.org_id)
    }
}

/// The associated data of each recipient's HPKE seal: the envelope prefix and every recipient
/// id in table order.
fn recipient_aad(prefix: &[u8], ids: impl Iterator<Item = OrgId>) -> Vec<u8> {
    let mut aad = prefix.to_vec();
    for id in ids {
        aad.extend_from_slice(id.as_bytes());
    }
    aad
}

fn content_key_info(report_id: &ReportId, org_id: &OrgId) -> Vec<u8> {
    [CONTENT_KEY_INFO, report_id.as_bytes(), org_id.as_bytes()].concat()
}

/// HMAC-SHA256(content key, "workvoice/v1/key-commitment" || report id).
pub fn key_commitment(content_key: &[u8; 32], report_id: &ReportId) -> [u8; 32] {
    let key = hmac::Key::new(hmac::HMAC_SHA256, content_key);
    let tag = hmac::sign(&key, &[COMMITMENT_LABEL, report_id.as_bytes()].concat());
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

fn content_aad(header: &[u8], disclosure_digest: &[u8; 32]) -> Vec<u8> {
    [header, disclosure_digest].concat()
}

/// Seal `plaintext` (an encoded report) to `recipients`.
///
/// `disclosure_digest` is [`crate::routing::disclosure_digest`] of the tags and consent the
/// submission discloses; recipients need the same digest to open.
pub fn seal(
    plaintext: &[u8],
    report_id: ReportId,
    recipients: &[(OrgId, HpkePublicKey)],
    disclosure_digest: &[u8; 32],
    rng: &mut impl SecureRng,
) -> Result<Vec<u8>, EnvelopeError> {
    if recipients.is_empty() || recipients.len() > MAX_RECIPIENTS {
        return Err(EnvelopeError::RecipientCount);
    }
    for (i, (id, _)) in recipients.iter().enumerate() {
        if recipients[..i].iter().any(|(other, _)| other == id) {
            return Err(EnvelopeError::DuplicateRecipient(*id));
        }
    }
    if plaintext.len() > MAX_REPORT_BYTES {
        return Err(EnvelopeError::TooLarge);
    }

    let mut content_key = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(content_key.as_mut());
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill_bytes(&mut nonce);
    let commitment = key_commitment(&content_key, &report_id);

    let padded_len = padding::padded_len(plaintext.len());
    let mut out =
        Vec::with_capacity(FIXED_OVERHEAD + RECIPIENT_ENTRY_LEN * recipients.len() + padded_len);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    out.extend_from_slice(report_id.as_bytes());
    out.extend_from_slice(&commitment);
    out.push(recipients.len() as u8);
    let aad = recipient_aad(&out, recipients.iter().map(|(id, _)| *id));

    for (org_id, public_key) in recipients {
        let (encapped, sealed) = hpke_suite::seal(
            public_key,
            None,
            &content_key_info(&report_id, org_id),
            &aad,
            content_key.as_ref(),
            rng,
        )
        .map_err(|_| EnvelopeError::InvalidRecipientKey)?;
        out.extend_from_slice(org_id.as_bytes());
        out.extend_from_slice(&encapped);
        out.extend_from_slice(&sealed);
    }
    out.extend_from_slice(&nonce);
    let ct_len = padded_len + TAG_LEN;
    out.extend_from_slice(&(ct_len as u32).to_be_bytes());
    let header_len = out.len();
    let aad = content_aad(&out, disclosure_digest);

    // The padded report is written straight into the envelope and encrypted there, so that no
    // second copy of the plaintext is left behind.
    padding::pad_into(plaintext, &mut out).ok_or(EnvelopeError::TooLarge)?;
    let cipher = XChaCha20Poly1305::new(&(*content_key).into());
    match cipher.encrypt_inout_detached(
        &XNonce::from(nonce),
        &aad,
        out[header_len..].as_mut().into(),
    ) {
        Ok(tag) => {
            out.extend_from_slice(&tag);
            Ok(out)
        }
        Err(_) => {
            out.zeroize();
            Err(EnvelopeError::TooLarge)
        }
    }
}

/// Open an envelope as organisation `org_id` holding `private_key`. Returns the plaintext
/// (the encoded report) after checking structure, key commitment, authentication and padding.
pub fn open(
    envelope: &[u8],
    org_id: OrgId,
    private_key: &HpkePrivateKey,
    disclosure_digest: &[u8; 32],
) -> Result<Opened, EnvelopeError> {
    let header = EnvelopeHeader::parse(envelope)?;
    let entry = header
        .recipients
        .iter()
        .find(|e| e.org_id == org_id)
        .ok_or(EnvelopeError::NotARecipient)?;
    let aad = recipient_aad(&envelope[..PREFIX_LEN], header.recipient_ids());
    let key_bytes = hpke_suite::open(
        &entry.encapped_key,
        private_key,
        None,
        &content_key_info(&header.report_id, &org_id),
        &aad,
        &entry.sealed_key,
    )
    .map_err(|_| EnvelopeError::KeyUnsealFailed)?;
    let mut content_key = Zeroizing::new([0u8; 32]);
    if key_bytes.len() != 32 {
        return Err(EnvelopeError::KeyUnsealFailed);
    }
    content_key.copy_from_slice(&key_bytes);
    if !ct_eq(
        &key_commitment(&content_key, &header.report_id),
        &header.commitment,
    ) {
        return Err(EnvelopeError::CommitmentMismatch);
    }
    let ciphertext = &envelope[header.header_len..];
    let Some(body_len) = ciphertext.len().checked_sub(TAG_LEN) else {
        return Err(EnvelopeError::DecryptFailed);
    };
    let (body, tag) = ciphertext.split_at(body_len);
    let tag = Tag::try_from(tag).map_err(|_| EnvelopeError::DecryptFailed)?;
    // Decrypted in place in the buffer that becomes the returned plaintext.
    let mut plaintext = body.to_vec();
    let cipher = XChaCha20Poly1305::new(&(*content_key).into());
    cipher
        .decrypt_inout_detached(
            &XNonce::from(header.nonce),
            &content_aad(&envelope[..header.header_len], disclosure_digest),
            plaintext.as_mut_slice().into(),
            &tag,
        )
        .map_err(|_| EnvelopeError::DecryptFailed)?;
    let len = match padding::unpad(&plaintext) {
        Ok(plain) => plain.len(),
        Err(_) => {
            plaintext.zeroize();
            return Err(EnvelopeError::BadPadding);
        }
    };
    plaintext.copy_within(4..4 + len, 0);
    // Bytes `len..len + 4` now repeat the end of the plaintext; after them, `unpad` checked
    // that everything is zero.
    let end = (len + 4).min(plaintext.len());
    plaintext[len..end].zeroize();
    plaintext.truncate(len);
    Ok(Opened {
        report_id: header.report_id,
        recipients: header.recipient_ids().collect(),
        plaintext,
    })
}

/// What a recipient learns from an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub report_id: ReportId,
    pub recipients: Vec<OrgId>,
    pub plaintext: Vec<u8>,
}

/// Framing bytes of an envelope for `recipients` recipients: everything but the padded content.
pub const fn framing_len(recipients: usize) -> usize {
    FIXED_OVERHEAD + RECIPIENT_ENTRY_LEN * recipients
}
