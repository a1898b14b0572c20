//! Secrets at rest: a master key derived from the operator's passphrase with Argon2id seals the
//! organisation's private keys and the relay API token with XChaCha20-Poly1305. Each sealed
//! value is bound to a label (associated data), so one cannot be swapped for another.
//! Also: caseworker password hashing (Argon2id, self-describing string).

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use workvoice_proto::keys::ct_eq;
use workvoice_proto::rand_core::Rng;
use zeroize::Zeroizing;

use crate::error::{DeskError, Result};

pub const MIN_PASSPHRASE_CHARS: usize = 8;
const NONCE_LEN: usize = 24;
/// The label of the value sealed at `init` whose opening proves the passphrase right.
const CHECK_LABEL: &str = "workvoice-desk/v1/passphrase-check";
const CHECK_VALUE: &[u8] = b"workvoice desk";

/// A passphrase, zeroized when dropped.
#[derive(Clone)]
pub struct Passphrase(Zeroizing<String>);

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(..)")
    }
}

impl Passphrase {
    pub fn new(text: impl Into<String>) -> Self {
        Self(Zeroizing::new(text.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A passphrase as read from a file or a prompt: one trailing newline is not part of it.
    pub fn from_line(text: String) -> Self {
        let text = Zeroizing::new(text);
        let trimmed = text.strip_suffix('\n').unwrap_or(&text);
        let trimmed = trimmed.strip_suffix('\r').unwrap_or(trimmed);
        Self::new(trimmed.to_string())
    }

    pub fn check_strength(&self) -> Result<()> {
        if self.0.trim().chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(DeskError::WeakPassphrase {
                min: MIN_PASSPHRASE_CHARS,
            });
        }
        Ok(())
    }
}

/// Argon2id costs, stored next to the salt so they can be raised later; the same type and
/// numbers as the phone's vault.
pub use workvoice_proto::kdf::KdfParams;

fn argon2(params: &KdfParams) -> Result<Argon2<'static>> {
    let params = Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(32),
    )
    .map_err(|_| DeskError::CorruptSecret)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// The key that seals every secret of the desk. Zeroized when dropped.
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    pub fn derive(passphrase: &Passphrase, salt: &[u8], params: KdfParams) -> Result<Self> {
        let mut key = Zeroizing::new([0u8; 32]);
        argon2(&params)?
            .hash_password_into(passphrase.as_str().as_bytes(), salt, key.as_mut())
            .map_err(|_| DeskError::CorruptSecret)?;
        Ok(Self(key))
    }

    /// `nonce || ciphertext` of `plaintext`, bound to `label`.
    pub fn seal(&self, label: &str, plaintext: &[u8], rng: &mut impl Rng) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let cipher = XChaCha20Poly1305::new(&(*self.0).into());
        let ciphertext = match cipher.encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: plaintext,
                aad: label.as_bytes(),
            },
        ) {
            Ok(ct) => ct,
            // Encryption only fails for inputs larger than 256 GiB.
            Err(_) => unreachable!("XChaCha20-Poly1305 encryption of a small secret"),
        };
        [&nonce[..], &ciphertext].concat()
    }

    /// Open a value sealed under `label`; a failure means a wrong key or tampering.
    pub fn open(&self, label: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err(DeskError::CorruptSecret);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let mut n = [0u8; NONCE_LEN];
        n.copy_from_slice(nonce);
        XChaCha20Poly1305::new(&(*self.0).into())
            .decrypt(
                &XNonce::from(n),
                Payload {
                    msg: ciphertext,
                    aad: label.as_bytes(),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| DeskError::CorruptSecret)
    }

    /// The value stored at `init` that lets [`MasterKey::verify`] tell a wrong passphrase
    /// from corrupt secrets.
    pub fn check_value(&self, rng: &mut impl Rng) -> Vec<u8> {
        self.seal(CHECK_LABEL, CHECK_VALUE, rng)
    }

    pub fn verify(&self, check_value: &[u8]) -> Result<()> {
        match self.open(CHECK_LABEL, check_value) {
            Ok(v) if ct_eq(&v, CHECK_VALUE) => Ok(()),
            _ => Err(DeskError::WrongPassphrase),
        }
    }

    /// The raw key of the SQLCipher database, derived from the master key with HKDF-SHA256
    /// under its own label, so the database key never doubles as the key of a sealed secret.
    pub fn database_key(&self) -> DatabaseKey {
        let mut key = Zeroizing::new([0u8; 32]);
        let prk = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, &[]).extract(self.0.as_ref());
        let filled = prk
            .expand(&[DATABASE_KEY_LABEL], ring::hkdf::HKDF_SHA256)
            .and_then(|okm| okm.fill(key.as_mut()));
        // HKDF-SHA256 fails only for outputs longer than 255 blocks; 32 bytes is one.
        if filled.is_err() {
            unreachable!("HKDF-SHA256 expansion to 32 bytes");
        }
        DatabaseKey(key)
    }
}

const DATABASE_KEY_LABEL: &[u8] = b"workvoice-desk/v1/database-key";

/// The key every page of the desk's database is sealed with (SQLCipher raw key, no second
/// key derivation: Argon2id already stretched the passphrase). Zeroized when dropped.
pub struct DatabaseKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for DatabaseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DatabaseKey(..)")
    }
}

impl DatabaseKey {
    /// SQLCipher's text form of a raw key: `x'<64 hex digits>'` (the value of `ATTACH … KEY`).
    pub(crate) fn raw_key_text(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("x'{}'", hex::encode(self.0.as_ref())))
    }

    /// The value of SQLCipher's `PRAGMA key` for this raw key: `"x'<64 hex digits>'"`.
    pub(crate) fn pragma_value(&self) -> String {
        format!("\"{}\"", self.raw_key_text().as_str())
    }
}

/// A caseworker password hash: `argon2id$m,t,p$<salt hex>$<hash hex>`.
pub fn hash_password(password: &str, rng: &mut impl Rng) -> Result<String> {
    let params = KdfParams::OWASP_MINIMUM;
    let mut salt = [0u8; 16];
    rng.fill_bytes(&mut salt);
    let mut out = Zeroizing::new([0u8; 32]);
    argon2(&params)?
        .hash_password_into(password.as_bytes(), &salt, out.as_mut())
        .map_err(|_| DeskError::InvalidInput("password".into()))?;
    Ok(format!(
        "argon2id${},{},{}${}${}",
        params.memory_kib,
        params.iterations,
        params.parallelism,
        hex::encode(salt),
        hex::encode(out.as_ref())
    ))
}

/// Whether `password` matches `stored` (constant-time comparison of the hashes).
pub fn verify_password(password: &str, stored: &str) -> bool {
    let mut parts = stored.split('$');
    let (Some("argon2id"), Some(costs), Some(salt), Some(hash), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    let costs: Vec<u32> = costs.split(',').filter_map(|c| c.parse().ok()).collect();
    let [memory_kib, iterations, parallelism] = costs[..] else {
        return false;
    };
    let (Ok(salt), Ok(expected)) = (hex::decode(salt), hex::decode(hash)) else {
        return false;
    };
    let params = KdfParams {
        memory_kib,
        iterations,
        parallelism,
    };
    let Ok(argon) = argon2(&params) else {
        return false;
    };
    let mut out = Zeroizing::new(vec![0u8; expected.len().clamp(16, 64)]);
    if argon
        .hash_password_into(password.as_bytes(), &salt, &mut out)
        .is_err()
    {
        return false;
    }
    ct_eq(&out, &expected)
}

#[cfg(test)]
mod tests {
    use workvoice_proto::system_rng::SystemRng;

    use super::*;

    const FAST: KdfParams = KdfParams {
        memory_kib: 256,
        iterations: 1,
        parallelism: 1,
    };

    #[test]
    fn wrong_passphrase_is_told_apart() {
        let mut rng = SystemRng::new();
        let key = MasterKey::derive(&Passphrase::new("correct horse"), b"salt-salt-salt-1", FAST)
            .unwrap();
        let check = key.check_value(&mut rng);
        key.verify(&check).unwrap();
        let other =
            MasterKey::derive(&Passphrase::new("wrong horse"), b"salt-salt-salt-1", FAST).unwrap();
        assert!(matches!(
            other.verify(&check),
            Err(DeskError::WrongPassphrase)
        ));
        let sealed = key.seal("a", b"secret", &mut rng);
        assert_eq!(&key.open("a", &sealed).unwrap()[..], b"secret");
        assert!(key.open("b", &sealed).is_err(), "label is bound");
    }

    #[test]
    fn password_hashes_verify() {
        let mut rng = SystemRng::new();
        let stored = hash_password("hunter2hunter2", &mut rng).unwrap();
        assert!(verify_password("hunter2hunter2", &stored));
        assert!(!verify_password("hunter2hunter3", &stored));
        assert!(!verify_password("hunter2hunter2", "argon2id$1,1,1$zz$zz"));
    }

    #[test]
    fn passphrase_lines_lose_their_newline() {
        assert_eq!(
            Passphrase::from_line("abc def\n".into()).as_str(),
            "abc def"
        );
        assert!(Passphrase::new("short").check_strength().is_err());
    }
}
