//! The recovery code a worker can write down, and what derives from it.
//!
//! A code is 128 random bits. For the report numbered `n` on this device, HKDF-SHA256 derives
//! the report's mailbox token and its reply key, so a worker who lost her phone can type the
//! code into a new one and read the replies to every report she sent: the new phone walks
//! `n = 0, 1, 2, ...` and asks the relay for each mailbox. Layout: `PROTOCOL.md`, "Recovery".

use ring::hkdf;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::keys::{Digest, HpkePrivateKey, sha256};
use crate::{ErrorCode, SecureRng};

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const SALT: &[u8] = b"workvoice/v1/recovery";
const MAILBOX_LABEL: &[u8] = b"workvoice/v1/mailbox\0";
const WITHDRAWAL_LABEL: &[u8] = b"workvoice/v1/withdrawal\0";
/// Characters in a written code, without separators.
pub const CODE_CHARS: usize = 28;

/// The secret behind a recovery code. Zeroized when dropped.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct RecoveryCode([u8; 16]);

impl core::fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("RecoveryCode(..)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RecoveryError {
    #[error("a recovery code has {CODE_CHARS} letters and digits")]
    WrongLength,
    #[error("the code contains a character that is not used in recovery codes")]
    BadCharacter,
    #[error("the code has a typing mistake (checksum does not match)")]
    Checksum,
}

impl ErrorCode for RecoveryError {
    fn code(&self) -> &'static str {
        match self {
            RecoveryError::WrongLength => "recovery_wrong_length",
            RecoveryError::BadCharacter => "recovery_bad_character",
            RecoveryError::Checksum => "recovery_checksum",
        }
    }
}

/// What one report's secrets are.
#[derive(Debug)]
pub struct ReportSecrets {
    /// Sent to the relay only as `SHA-256("workvoice/v1/mailbox\0" || token)` at submission, and
    /// in the mailbox URL when polling.
    pub mailbox_token: Zeroizing<[u8; 32]>,
    pub reply_key: HpkePrivateKey,
    /// Revealed only to withdraw the report; the report carries its [`withdrawal_hash`].
    pub withdrawal_secret: Zeroizing<[u8; 32]>,
}

impl RecoveryCode {
    pub fn generate(rng: &mut impl SecureRng) -> Self {
        let mut secret = [0u8; 16];
        rng.fill_bytes(&mut secret);
        Self(secret)
    }

    pub fn from_secret(secret: [u8; 16]) -> Self {
        Self(secret)
    }

    pub fn secret(&self) -> &[u8; 16] {
        &self.0
    }

    /// The written form: Crockford base32 of the secret and one checksum byte, in groups of
    /// four, e.g. `7K3M-...`.
    pub fn to_text(&self) -> String {
        let mut bytes = [0u8; 17];
        bytes[..16].copy_from_slice(&self.0);
        bytes[16] = sha256(&[&self.0]).0[0];
        let mut acc: u32 = 0;
        let mut nbits = 0;
        let mut chars = Vec::with_capacity(CODE_CHARS);
        for b in bytes {
            acc = (acc << 8) | u32::from(b);
            nbits += 8;
            while nbits >= 5 {
                nbits -= 5;
                chars.push(ALPHABET[((acc >> nbits) & 31) as usize]);
            }
        }
        chars.push(ALPHABET[((acc << (5 - nbits)) & 31) as usize]);
        let mut out = String::with_capacity(CODE_CHARS + 6);
        for (i, c) in chars.iter().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push('-');
            }
            out.push(*c as char);
        }
        out
    }

    /// Read a written code. Separators and case are ignored; `O` reads as `0`, `I` and `L` as
    /// `1`, as in Crockford's alphabet.
    pub fn parse(text: &str) -> Result<Self, RecoveryError> {
        let mut values = Vec::with_capacity(CODE_CHARS);
        for c in text.chars() {
            if c == '-' || c.is_whitespace() {
                continue;
            }
            let c = match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            };
            let v = ALPHABET
                .iter()
                .position(|a| *a as char == c)
                .ok_or(RecoveryError::BadCharacter)?;
            values.push(v as u32);
            if values.len() > CODE_CHARS {
                return Err(RecoveryError::WrongLength);
            }
        }
        if values.len() != CODE_CHARS {
            return Err(RecoveryError::WrongLength);
        }
        let mut bytes = Vec::with_capacity(18);
        let mut acc: u32 = 0;
        let mut nbits = 0;
        for v in values {
            acc = (acc << 5) | v;
            nbits += 5;
            if nbits >= 8 {
                nbits -= 8;
                bytes.push(((acc >> nbits) & 0xff) as u8);
            }
        }
        let mut secret = [0u8; 16];
        secret.copy_from_slice(&bytes[..16]);
        if bytes[16] != sha256(&[&secret]).0[0] || acc & ((1 << nbits) - 1) != 0 {
            return Err(RecoveryError::Checksum);
        }
        Ok(Self(secret))
    }

    /// The secrets of report number `index` on this device.
    pub fn report_secrets(&self, index: u32) -> ReportSecrets {
        let salt = hkdf::Salt::new(hkdf::HKDF_SHA256, SALT);
        let prk = salt.extract(&self.0);
        let info = [b"report".as_slice(), &index.to_be_bytes()].concat();
        let mut okm = Zeroizing::new([0u8; 64]);
        let fill = prk
            .expand(&[&info], Okm64)
            .and_then(|o| o.fill(okm.as_mut()));
        if fill.is_err() {
            unreachable!("64 bytes is within HKDF-SHA256's output limit");
        }
        let mut token = Zeroizing::new([0u8; 32]);
        token.copy_from_slice(&okm[..32]);
        let withdraw_info = [b"withdraw".as_slice(), &index.to_be_bytes()].concat();
        let mut withdrawal_secret = Zeroizing::new([0u8; 32]);
        let fill = prk
            .expand(&[&withdraw_info], Okm32)
            .and_then(|o| o.fill(withdrawal_secret.as_mut()));
        if fill.is_err() {
            unreachable!("32 bytes is within HKDF-SHA256's output limit");
        }
        ReportSecrets {
            mailbox_token: token,
            reply_key: HpkePrivateKey::derive(&okm[32..]),
            withdrawal_secret,
        }
    }
}

struct Okm64;

struct Okm32;

impl hkdf::KeyType for Okm32 {
    fn len(&self) -> usize {
        32
    }
}

impl hkdf::KeyType for Okm64 {
    fn len(&self) -> usize {
        64
    }
}

/// What the relay stores of a mailbox token.
pub fn mailbox_token_hash(token: &[u8; 32]) -> Digest {
    sha256(&[MAILBOX_LABEL, token])
}

/// `SHA-256("workvoice/v1/withdrawal\0" || withdrawal_secret)`: what a report carries so that
/// only the holder of the secret can withdraw it (`PROTOCOL.md` 13.5).
pub fn withdrawal_hash(withdrawal_secret: &[u8; 32]) -> Digest {
    sha256(&[WITHDRAWAL_LABEL, withdrawal_secret])
}

/// Whether `secret` is the preimage of `hash` (constant time).
pub fn withdrawal_matches(secret: &[u8; 32], hash: &Digest) -> bool {
    crate::keys::ct_eq(&withdrawal_hash(secret).0, &hash.0)
}

/// The URL form of a mailbox token: unpadded base64url.
pub fn mailbox_token_text(token: &[u8; 32]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token)
}

/// Read the URL form of a mailbox token.
pub fn parse_mailbox_token(text: &str) -> Option<[u8; 32]> {
    use base64::Engine;
    if text.len() != 43 {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()?;
    bytes.try_into().ok()
}
