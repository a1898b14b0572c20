//! Identifiers and key types.

use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::SecureRng;
use crate::codec::hex_id;
use crate::hpke_suite;

hex_id!(
    /// A report's identifier, chosen at random by the phone; also the submission id, so that
    /// every retry of one report carries the same id.
    ReportId,
    16
);
hex_id!(
    /// An organisation's identifier, 16 random bytes assigned when it is registered.
    OrgId,
    16
);
hex_id!(
    /// An evidence attachment's identifier, random, unique within its report.
    AttachmentId,
    16
);
hex_id!(
    /// An X25519 public key used with HPKE (an organisation's key or a report's reply key).
    HpkePublicKey,
    32
);
hex_id!(
    /// An Ed25519 public key (the root key or a relay's directory key).
    SigningPublicKey,
    32
);
hex_id!(
    /// A SHA-256 digest.
    Digest,
    32
);

/// An X25519 private key for HPKE, held with its public key (derived once, when the key is
/// made or loaded, because every open needs it for the KEM context). Zeroized when dropped.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct HpkePrivateKey {
    secret: [u8; 32],
    public: [u8; 32],
}

impl core::fmt::Debug for HpkePrivateKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("HpkePrivateKey(..)")
    }
}

impl HpkePrivateKey {
    /// Any 32 bytes are an X25519 private key (clamped when used).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let public = hpke_suite::public_key_of(&bytes);
        Self {
            secret: bytes,
            public,
        }
    }

    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.secret)
    }

    /// A fresh key pair from the given generator (RFC 9180 DeriveKeyPair over 32 random bytes).
    pub fn generate(rng: &mut impl SecureRng) -> Self {
        let mut ikm = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(ikm.as_mut());
        Self::derive(ikm.as_ref())
    }

    /// RFC 9180 DeriveKeyPair for DHKEM(X25519, HKDF-SHA256).
    pub fn derive(ikm: &[u8]) -> Self {
        let (secret, public) = hpke_suite::derive_key_pair(ikm);
        Self {
            secret: *secret,
            public,
        }
    }

    pub fn public_key(&self) -> HpkePublicKey {
        HpkePublicKey(self.public)
    }
}

/// An Ed25519 signing key held as its 32-byte seed. Zeroized when dropped.
pub struct SigningKey {
    seed: Zeroizing<[u8; 32]>,
    pair: Ed25519KeyPair,
}

impl core::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SigningKey(public {})", self.public_key())
    }
}

/// Bytes that are not a usable Ed25519 seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a valid Ed25519 key")]
pub struct BadSigningKey;

impl SigningKey {
    pub fn from_seed(seed: [u8; 32]) -> Result<Self, BadSigningKey> {
        let pair = Ed25519KeyPair::from_seed_unchecked(&seed).map_err(|_| BadSigningKey)?;
        Ok(Self {
            seed: Zeroizing::new(seed),
            pair,
        })
    }

    pub fn generate(rng: &mut impl SecureRng) -> Self {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        match Self::from_seed(seed) {
            Ok(key) => key,
            // Every 32-byte string is a valid Ed25519 seed.
            Err(_) => unreachable!("every 32-byte seed is a valid Ed25519 key"),
        }
    }

    pub fn seed(&self) -> &[u8; 32] {
        &self.seed
    }

    pub fn public_key(&self) -> SigningPublicKey {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.pair.public_key().as_ref());
        SigningPublicKey(out)
    }

    /// Sign `context || message`. Contexts separate the domains that one key signs in.
    pub fn sign(&self, context: &[u8], message: &[u8]) -> [u8; 64] {
        let mut buf = Vec::with_capacity(context.len() + message.len());
        buf.extend_from_slice(context);
        buf.extend_from_slice(message);
        let mut out = [0u8; 64];
        out.copy_from_slice(self.pair.sign(&buf).as_ref());
        out
    }
}

impl SigningPublicKey {
    /// Verify an Ed25519 signature over `context || message`.
    pub fn verify(&self, context: &[u8], message: &[u8], signature: &[u8]) -> bool {
        let mut buf = Vec::with_capacity(context.len() + message.len());
        buf.extend_from_slice(context);
        buf.extend_from_slice(message);
        UnparsedPublicKey::new(&ED25519, &self.0)
            .verify(&buf, signature)
            .is_ok()
    }
}

/// SHA-256 of `parts` concatenated.
pub fn sha256(parts: &[&[u8]]) -> Digest {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for part in parts {
        ctx.update(part);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    Digest(out)
}

/// Constant-time equality of two byte strings (the length is not secret).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
