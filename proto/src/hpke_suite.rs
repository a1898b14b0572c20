//! HPKE (RFC 9180) for the one suite Workvoice uses: DHKEM(X25519, HKDF-SHA256) (KEM 0x0020),
//! HKDF-SHA256 (KDF 0x0001), ChaCha20-Poly1305 (AEAD 0x0003).
//!
//! Two modes are used, both single-shot: base mode seals each recipient's copy of an envelope's
//! content key, auth mode seals an organisation's reply to a report's reply key. The
//! implementation follows RFC 9180 sections 4 (DHKEM), 5.1 (key schedule) and 7.1.3
//! (DeriveKeyPair for X25519) line by line; every Diffie-Hellman operation and every public key
//! is computed exactly once:
//!
//! - the ephemeral key's public half is derived once (not once to generate and again to
//!   encapsulate);
//! - the recipient's public key for the KEM context is taken from [`HpkePrivateKey`], which
//!   derives it once when the key is loaded, instead of at every open.
//!
//! It is checked against RFC 9180's test vectors (`proto/vectors/rfc9180`, test
//! `tests/hpke_rfc9180.rs`) and, both ways and in both modes, against the `hpke` crate
//! (`tests/hpke_interop.rs`). Why it exists instead of calling that crate: `ARCHITECTURE.md`,
//! "HPKE in the proto crate".

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use ring::hmac;
use subtle::ConstantTimeEq;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use crate::SecureRng;
use crate::keys::{HpkePrivateKey, HpkePublicKey};

/// `"KEM" || I2OSP(kem_id, 2)`.
const KEM_SUITE_ID: &[u8] = b"KEM\x00\x20";
/// `"HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2) || I2OSP(aead_id, 2)`.
const HPKE_SUITE_ID: &[u8] = b"HPKE\x00\x20\x00\x01\x00\x03";
const VERSION_LABEL: &[u8] = b"HPKE-v1";

/// Length of the encapsulated key (the ephemeral X25519 public key).
pub const ENC_LEN: usize = 32;
/// Length of the AEAD tag added to every sealed plaintext.
pub const TAG_LEN: usize = 16;

/// The two RFC 9180 modes Workvoice uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `mode_base` (0x00): anyone may seal to the recipient.
    Base,
    /// `mode_auth` (0x02): the seal also proves possession of the sender's private key.
    Auth,
}

impl Mode {
    /// Auth mode when a sender key takes part, base mode otherwise.
    fn with_sender(sender: bool) -> Mode {
        if sender { Mode::Auth } else { Mode::Base }
    }

    fn byte(self) -> u8 {
        match self {
            Mode::Base => 0x00,
            Mode::Auth => 0x02,
        }
    }
}

/// Why an HPKE operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HpkeError {
    /// RFC 9180 section 7.1.4: a Diffie-Hellman result of all zeros (a low-order public key)
    /// must abort the operation.
    #[error("a public key of low order gave an all-zero Diffie-Hellman result")]
    LowOrderKey,
    /// The ciphertext, its associated data, the info string or the keys do not match.
    #[error("the ciphertext does not authenticate under this key")]
    OpenFailed,
    /// ChaCha20-Poly1305 cannot seal a message this long (256 GiB).
    #[error("the message is too long to seal")]
    MessageTooLong,
}

/// `LabeledExtract(salt, label, ikm) = HKDF-Extract(salt, "HPKE-v1" || suite_id || label || ikm)`.
fn labeled_extract(suite_id: &[u8], salt: &[u8], label: &[u8], ikm: &[u8]) -> Zeroizing<[u8; 32]> {
    // HKDF-Extract is HMAC keyed with the salt; an empty salt and RFC 5869's default salt of
    // 32 zero bytes give the same HMAC key once padded to the block size.
    let mut ctx = hmac::Context::with_key(&hmac::Key::new(hmac::HMAC_SHA256, salt));
    ctx.update(VERSION_LABEL);
    ctx.update(suite_id);
    ctx.update(label);
    ctx.update(ikm);
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(ctx.sign().as_ref());
    out
}

/// `LabeledExpand(prk, label, info, L)` for `L <= 32`, where HKDF-Expand is a single block:
/// `HMAC(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info || 0x01)`, truncated.
/// `info` is given in pieces so that callers need not concatenate.
fn labeled_expand<const L: usize>(
    prk: &[u8; 32],
    suite_id: &[u8],
    label: &[u8],
    info: &[&[u8]],
) -> Zeroizing<[u8; L]> {
    labeled_expand_with(
        &hmac::Key::new(hmac::HMAC_SHA256, prk),
        suite_id,
        label,
        info,
    )
}

/// [`labeled_expand`] with the HMAC key already set up, for several expansions of one `prk`.
fn labeled_expand_with<const L: usize>(
    prk: &hmac::Key,
    suite_id: &[u8],
    label: &[u8],
    info: &[&[u8]],
) -> Zeroizing<[u8; L]> {
    const { assert!(L <= 32, "one HKDF-SHA256 block") };
    let mut ctx = hmac::Context::with_key(prk);
    ctx.update(&(L as u16).to_be_bytes());
    ctx.update(VERSION_LABEL);
    ctx.update(suite_id);
    ctx.update(label);
    for piece in info {
        ctx.update(piece);
    }
    ctx.update(&[1]);
    let mut out = Zeroizing::new([0u8; L]);
    out.copy_from_slice(&ctx.sign().as_ref()[..L]);
    out
}

/// RFC 7748 clamping, as RFC 9180 requires of serialised X25519 private keys.
fn clamp(mut scalar: [u8; 32]) -> [u8; 32] {
    scalar[0] &= 248;
    scalar[31] &= 127;
    scalar[31] |= 64;
    scalar
}

/// RFC 9180 section 7.1.3, DeriveKeyPair for X25519: the clamped private key and its public key.
pub fn derive_key_pair(ikm: &[u8]) -> (Zeroizing<[u8; 32]>, [u8; 32]) {
    let dkp_prk = labeled_extract(KEM_SUITE_ID, b"", b"dkp_prk", ikm);
    let sk = labeled_expand::<32>(&dkp_prk, KEM_SUITE_ID, b"sk", &[]);
    let sk = Zeroizing::new(clamp(*sk));
    let pk = public_key_of(&sk);
    (sk, pk)
}

/// The X25519 public key of a private key (a fixed-base multiplication).
pub fn public_key_of(sk: &[u8; 32]) -> [u8; 32] {
    PublicKey::from(&StaticSecret::from(*sk)).to_bytes()
}

/// `DH(sk, pk)`, refusing the all-zero result in constant time.
fn dh(sk: &[u8; 32], pk: &[u8; 32]) -> Result<Zeroizing<[u8; 32]>, HpkeError> {
    let shared = Zeroizing::new(
        StaticSecret::from(*sk)
            .diffie_hellman(&PublicKey::from(*pk))
            .to_bytes(),
    );
    if bool::from(shared.ct_eq(&[0u8; 32])) {
        return Err(HpkeError::LowOrderKey);
    }
    Ok(shared)
}

/// `dh_e || dh_s`, the DH input of AuthEncap and AuthDecap.
fn both(dh_e: &[u8; 32], dh_s: &[u8; 32]) -> Zeroizing<[u8; 64]> {
    let mut both = Zeroizing::new([0u8; 64]);
    both[..32].copy_from_slice(dh_e);
    both[32..].copy_from_slice(dh_s);
    both
}

/// `ExtractAndExpand(dh, kem_context)` of DHKEM.
fn extract_and_expand(dh: &[u8], kem_context: &[&[u8]]) -> Zeroizing<[u8; 32]> {
    let eae_prk = labeled_extract(KEM_SUITE_ID, b"", b"eae_prk", dh);
    labeled_expand::<32>(&eae_prk, KEM_SUITE_ID, b"shared_secret", kem_context)
}

/// `Encap(pkR)` (no sender) or `AuthEncap(pkR, skS)` (with the sender's key), the ephemeral
/// key pair being `DeriveKeyPair(ikm_e)`. Returns `(enc, shared_secret)`.
pub fn encap(
    recipient: &HpkePublicKey,
    sender: Option<&HpkePrivateKey>,
    ikm_e: &[u8],
) -> Result<([u8; ENC_LEN], Zeroizing<[u8; 32]>), HpkeError> {
    let (sk_e, enc) = derive_key_pair(ikm_e);
    let pk_r = recipient.as_bytes();
    let dh_e = dh(&sk_e, pk_r)?;
    let shared_secret = match sender {
        None => extract_and_expand(dh_e.as_ref(), &[&enc, pk_r]),
        Some(sender) => {
            let dh_s = dh(&sender.to_bytes(), pk_r)?;
            extract_and_expand(
                both(&dh_e, &dh_s).as_ref(),
                &[&enc, pk_r, sender.public_key().as_bytes()],
            )
        }
    };
    Ok((enc, shared_secret))
}

/// `Decap(enc, skR)` (no sender) or `AuthDecap(enc, skR, pkS)`. Returns the shared secret.
pub fn decap(
    enc: &[u8; ENC_LEN],
    recipient: &HpkePrivateKey,
    sender: Option<&HpkePublicKey>,
) -> Result<Zeroizing<[u8; 32]>, HpkeError> {
    let sk_r = recipient.to_bytes();
    let pk_r = recipient.public_key();
    let dh_e = dh(&sk_r, enc)?;
    Ok(match sender {
        None => extract_and_expand(dh_e.as_ref(), &[enc, pk_r.as_bytes()]),
        Some(pk_s) => {
            let dh_s = dh(&sk_r, pk_s.as_bytes())?;
            extract_and_expand(
                both(&dh_e, &dh_s).as_ref(),
                &[enc, pk_r.as_bytes(), pk_s.as_bytes()],
            )
        }
    })
}

/// The AEAD key and base nonce of an HPKE context (RFC 9180 section 5.1, no PSK).
pub struct Context {
    key: Zeroizing<[u8; 32]>,
    base_nonce: [u8; 12],
}

impl core::fmt::Debug for Context {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("hpke_suite::Context(..)")
    }
}

impl Context {
    /// `KeySchedule<ROLE>(mode, shared_secret, info, psk = "", psk_id = "")`.
    pub fn new(mode: Mode, shared_secret: &[u8; 32], info: &[u8]) -> Self {
        // No PSK: `psk_id_hash` is the same for every context.
        static PSK_ID_HASH: std::sync::OnceLock<[u8; 32]> = std::sync::OnceLock::new();
        let psk_id_hash =
            PSK_ID_HASH.get_or_init(|| *labeled_extract(HPKE_SUITE_ID, b"", b"psk_id_hash", b""));
        let info_hash = labeled_extract(HPKE_SUITE_ID, b"", b"info_hash", info);
        let ks_context: [&[u8]; 3] = [&[mode.byte()], psk_id_hash, info_hash.as_ref()];
        let secret = labeled_extract(HPKE_SUITE_ID, shared_secret, b"secret", b"");
        let secret = hmac::Key::new(hmac::HMAC_SHA256, secret.as_ref());
        let key = labeled_expand_with::<32>(&secret, HPKE_SUITE_ID, b"key", &ks_context);
        let base_nonce =
            *labeled_expand_with::<12>(&secret, HPKE_SUITE_ID, b"base_nonce", &ks_context);
        Self { key, base_nonce }
    }

    /// The AEAD key (for test vectors).
    pub fn key(&self) -> &[u8; 32] {
        &self.key
    }

    /// The base nonce (for test vectors).
    pub fn base_nonce(&self) -> &[u8; 12] {
        &self.base_nonce
    }

    /// `base_nonce XOR I2OSP(seq, 12)`.
    fn nonce(&self, seq: u64) -> Nonce {
        let mut nonce = self.base_nonce;
        for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
            *n ^= s;
        }
        Nonce::from(nonce)
    }

    /// Seal the `seq`-th message of this context.
    pub fn seal(&self, seq: u64, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, HpkeError> {
        let cipher = ChaCha20Poly1305::new(&(*self.key).into());
        cipher
            .encrypt(
                &self.nonce(seq),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| HpkeError::MessageTooLong)
    }

    /// Open the `seq`-th message of this context.
    pub fn open(
        &self,
        seq: u64,
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, HpkeError> {
        let cipher = ChaCha20Poly1305::new(&(*self.key).into());
        cipher
            .decrypt(
                &self.nonce(seq),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| HpkeError::OpenFailed)
    }
}

/// Single-shot seal (RFC 9180 section 6.1): a fresh ephemeral key from `rng`, base mode when
/// `sender` is `None`, auth mode otherwise. Returns `(enc, ciphertext)`.
pub fn seal(
    recipient: &HpkePublicKey,
    sender: Option<&HpkePrivateKey>,
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    rng: &mut impl SecureRng,
) -> Result<([u8; ENC_LEN], Vec<u8>), HpkeError> {
    let mut ikm_e = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(ikm_e.as_mut());
    let (enc, shared_secret) = encap(recipient, sender, ikm_e.as_ref())?;
    let mode = Mode::with_sender(sender.is_some());
    let ciphertext = Context::new(mode, &shared_secret, info).seal(0, aad, plaintext)?;
    Ok((enc, ciphertext))
}

/// Single-shot open (RFC 9180 section 6.1), base mode when `sender` is `None`, auth mode
/// otherwise.
pub fn open(
    enc: &[u8; ENC_LEN],
    recipient: &HpkePrivateKey,
    sender: Option<&HpkePublicKey>,
    info: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, HpkeError> {
    let shared_secret = decap(enc, recipient, sender)?;
    let mode = Mode::with_sender(sender.is_some());
    Context::new(mode, &shared_secret, info).open(0, aad, ciphertext)
}
