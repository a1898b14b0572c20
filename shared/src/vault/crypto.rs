//! Key material of the vault: the device key, the keys derived from it, and the PIN-derived
//! key-encryption key.

use argon2::{Algorithm, Argon2, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ring::hkdf;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use super::record::{
    self, NONCE_LEN, RecordError, RecordPlaintext, STORED_KEY_LEN, TAG_LEN, associated_data,
};
use super::{KdfParams, PlatformSecret, VaultError};

/// Length of every symmetric key in the vault.
pub(crate) const KEY_LEN: usize = 32;

const RECORD_KDF_SALT: &[u8] = b"workvoice/vault/record-keys/v1";
const KEK_KDF_SALT: &[u8] = b"workvoice/vault/kek/v1";
const HANDOVER_KDF_SALT: &[u8] = b"workvoice/vault/handover/v1";

/// A 32-byte secret that is wiped from memory when dropped.
pub(crate) type SecretKey = Zeroizing<[u8; KEY_LEN]>;

pub(crate) fn random_bytes<const N: usize>(rng: &SystemRandom) -> Result<[u8; N], VaultError> {
    let mut bytes = [0u8; N];
    rng.fill(&mut bytes).map_err(|_| VaultError::Random)?;
    Ok(bytes)
}

pub(crate) fn random_key(rng: &SystemRandom) -> Result<SecretKey, VaultError> {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    rng.fill(key.as_mut_slice())
        .map_err(|_| VaultError::Random)?;
    Ok(key)
}

fn expand(prk: &hkdf::Prk, info: &[u8]) -> Result<SecretKey, VaultError> {
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    prk.expand(&[info], hkdf::HKDF_SHA256)
        .and_then(|okm| okm.fill(out.as_mut_slice()))
        .map_err(|_| VaultError::Crypto)?;
    Ok(out)
}

/// The keys an unlocked vault works with, all derived from the device key.
pub(crate) struct RecordKeys {
    namespace_mac: SecretKey,
    key_mac: SecretKey,
    cipher: XChaCha20Poly1305,
}

impl RecordKeys {
    pub(crate) fn derive(device_key: &[u8; KEY_LEN]) -> Result<Self, VaultError> {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, RECORD_KDF_SALT).extract(device_key);
        let namespace_mac = expand(&prk, b"namespace-mac")?;
        let key_mac = expand(&prk, b"key-mac")?;
        let value_key = expand(&prk, b"value-aead")?;
        let cipher = XChaCha20Poly1305::new_from_slice(value_key.as_slice())
            .map_err(|_| VaultError::Crypto)?;
        Ok(RecordKeys {
            namespace_mac,
            key_mac,
            cipher,
        })
    }

    /// The prefix shared by the stored keys of every record in `namespace`.
    pub(crate) fn namespace_tag(&self, namespace: &str) -> [u8; TAG_LEN] {
        let mac = hmac::Key::new(hmac::HMAC_SHA256, self.namespace_mac.as_slice());
        truncate(hmac::sign(&mac, namespace.as_bytes()).as_ref())
    }

    pub(crate) fn stored_key(&self, namespace: &str, key: &str) -> [u8; STORED_KEY_LEN] {
        let mac = hmac::Key::new(hmac::HMAC_SHA256, self.key_mac.as_slice());
        let mut context = hmac::Context::with_key(&mac);
        // The namespace is length-prefixed so that ("ab", "c") and ("a", "bc") differ.
        context.update(&(namespace.len() as u64).to_be_bytes());
        context.update(namespace.as_bytes());
        context.update(key.as_bytes());
        let key_tag: [u8; TAG_LEN] = truncate(context.sign().as_ref());
        let mut stored = [0u8; STORED_KEY_LEN];
        stored[..TAG_LEN].copy_from_slice(&self.namespace_tag(namespace));
        stored[TAG_LEN..].copy_from_slice(&key_tag);
        stored
    }

    pub(crate) fn seal(
        &self,
        rng: &SystemRandom,
        stored_key: &[u8; STORED_KEY_LEN],
        key: &str,
        value: &[u8],
    ) -> Result<Vec<u8>, VaultError> {
        let plaintext =
            Zeroizing::new(record::encode_plaintext(key, value).ok_or(VaultError::KeyTooLong)?);
        let nonce: [u8; NONCE_LEN] = random_bytes(rng)?;
        let aad = associated_data(stored_key);
        let ciphertext = self
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError::Crypto)?;
        Ok(record::encode_sealed(&nonce, &ciphertext))
    }

    /// Decrypts a stored value; returns its logical key and value.
    pub(crate) fn open(
        &self,
        stored_key: &[u8],
        sealed: &[u8],
    ) -> Result<(String, Vec<u8>), RecordError> {
        let stored_key: &[u8; STORED_KEY_LEN] = stored_key
            .try_into()
            .map_err(|_| RecordError::StoredKeyLength)?;
        let parts = record::decode_record(sealed)?;
        let aad = associated_data(stored_key);
        let plaintext = Zeroizing::new(
            self.cipher
                .decrypt(
                    &XNonce::from(*parts.nonce),
                    Payload {
                        msg: parts.ciphertext,
                        aad: &aad,
                    },
                )
                .map_err(|_| RecordError::Authentication)?,
        );
        let RecordPlaintext { key, value } = record::decode_plaintext(&plaintext)?;
        Ok((key.to_owned(), value.to_vec()))
    }
}

fn truncate(mac: &[u8]) -> [u8; TAG_LEN] {
    let mut tag = [0u8; TAG_LEN];
    for (out, byte) in tag.iter_mut().zip(mac) {
        *out = *byte;
    }
    tag
}

/// Key-encryption key = HKDF-SHA256(Argon2id(PIN, salt) || platform secret).
///
/// Without the platform secret, whoever copies the vault files can try every PIN offline at the
/// speed of Argon2id: a 6-digit PIN falls in hours. With a secret that stays inside the
/// Android Keystore or iOS Keychain, the files alone are useless and every guess needs the
/// phone itself, where the attempt counter applies.
pub(crate) fn derive_kek(
    pin: &str,
    salt: &[u8],
    params: &KdfParams,
    platform_secret: Option<&PlatformSecret>,
) -> Result<SecretKey, VaultError> {
    let argon_params = argon2::Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(KEY_LEN),
    )
    .map_err(|_| VaultError::InvalidKdfParams)?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
    let mut ikm = Zeroizing::new([0u8; 2 * KEY_LEN]);
    argon
        .hash_password_into(pin.as_bytes(), salt, &mut ikm[..KEY_LEN])
        .map_err(|_| VaultError::InvalidKdfParams)?;
    if let Some(secret) = platform_secret {
        ikm[KEY_LEN..].copy_from_slice(secret.as_bytes());
    }
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, KEK_KDF_SALT).extract(ikm.as_slice());
    expand(&prk, b"key-encryption-key")
}

/// The handover key of a PIN slot: `HKDF-SHA256(key-encryption key)`, one-way, so knowing it
/// opens nothing sealed under the key-encryption key itself.
///
/// The duress slot carries the real slot's handover key. After a duress reset the real slot
/// holds the new (empty) vault's device key wrapped under it, so the real PIN opens the empty
/// vault as it would after an ordinary unlock, instead of being refused as a wrong PIN.
pub(crate) fn handover_key(kek: &[u8; KEY_LEN]) -> Result<SecretKey, VaultError> {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, HANDOVER_KDF_SALT).extract(kek);
    expand(&prk, b"handover-key")
}

/// Seals `plaintext` under a key-encryption key.
pub(crate) fn wrap(
    kek: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, VaultError> {
    let cipher = XChaCha20Poly1305::new_from_slice(kek).map_err(|_| VaultError::Crypto)?;
    cipher
        .encrypt(
            &XNonce::from(*nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| VaultError::Crypto)
}

/// Opens a wrapped value; `None` when the key-encryption key is wrong.
pub(crate) fn unwrap(
    kek: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    ciphertext: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    let cipher = XChaCha20Poly1305::new_from_slice(kek).ok()?;
    cipher
        .decrypt(
            &XNonce::from(*nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .ok()
        .map(Zeroizing::new)
}
