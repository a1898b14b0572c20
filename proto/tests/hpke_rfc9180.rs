//! The HPKE layer against RFC 9180's own test vectors for the suite Workvoice uses.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::rand_core::{TryCryptoRng, TryRng};
use hpke::{Deserializable, Kem, OpModeR, OpModeS, Serializable};
use serde::Deserialize;
use workvoice_proto::keys::HpkePrivateKey;

#[derive(Deserialize)]
struct Vector {
    mode: u8,
    kem_id: u16,
    kdf_id: u16,
    aead_id: u16,
    info: String,
    #[serde(rename = "ikmE")]
    ikm_e: String,
    #[serde(rename = "pkEm")]
    pk_em: String,
    #[serde(rename = "skEm")]
    sk_em: String,
    #[serde(rename = "ikmR")]
    ikm_r: String,
    #[serde(rename = "pkRm")]
    pk_rm: String,
    #[serde(rename = "skRm")]
    sk_rm: String,
    enc: String,
    encryptions: Vec<Encryption>,
}

#[derive(Deserialize)]
struct Encryption {
    aad: String,
    pt: String,
    ct: String,
}

/// Hands out fixed bytes: the RFC's ephemeral input keying material.
struct FixedRng(Vec<u8>);

impl TryRng for FixedRng {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        unimplemented!("only fill_bytes is used")
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        unimplemented!("only fill_bytes is used")
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        assert!(
            dst.len() <= self.0.len(),
            "asked for more bytes than the vector has"
        );
        let rest = self.0.split_off(dst.len());
        dst.copy_from_slice(&self.0);
        self.0 = rest;
        Ok(())
    }
}
impl TryCryptoRng for FixedRng {}

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

/// RFC 9180 section 7.1.2: the appendix prints X25519 private keys as DeriveKeyPair's expand
/// step yields them; serialisation clamps them (RFC 7748). Both name the same scalar.
fn clamped(sk: &[u8]) -> Vec<u8> {
    let mut out = sk.to_vec();
    out[0] &= 248;
    out[31] &= 127;
    out[31] |= 64;
    out
}

fn load() -> Vector {
    let text = include_str!("../vectors/rfc9180/base-x25519-sha256-chacha20poly1305.json");
    serde_json::from_str(text).unwrap()
}

#[test]
fn vector_is_for_our_suite() {
    let v = load();
    assert_eq!((v.mode, v.kem_id, v.kdf_id, v.aead_id), (0, 0x20, 1, 3));
}

#[test]
fn derive_key_pair_matches_rfc() {
    let v = load();
    let (sk_e, pk_e) = X25519HkdfSha256::derive_keypair(&h(&v.ikm_e));
    assert_eq!(clamped(&sk_e.to_bytes()), clamped(&h(&v.sk_em)));
    assert_eq!(pk_e.to_bytes().to_vec(), h(&v.pk_em));
    // Through the project's own key type too.
    let ours = HpkePrivateKey::derive(&h(&v.ikm_r));
    assert_eq!(clamped(ours.to_bytes().as_ref()), clamped(&h(&v.sk_rm)));
    assert_eq!(ours.public_key().0.to_vec(), h(&v.pk_rm));
}

#[test]
fn sender_produces_rfc_ciphertexts() {
    let v = load();
    let pk_r = <X25519HkdfSha256 as Kem>::PublicKey::from_bytes(&h(&v.pk_rm)).unwrap();
    let mut rng = FixedRng(h(&v.ikm_e));
    let (enc, mut ctx) = hpke::setup_sender_with_rng::<
        ChaCha20Poly1305,
        HkdfSha256,
        X25519HkdfSha256,
    >(&OpModeS::Base, &pk_r, &h(&v.info), &mut rng)
    .unwrap();
    assert_eq!(enc.to_bytes().to_vec(), h(&v.enc));
    for e in &v.encryptions {
        assert_eq!(ctx.seal(&h(&e.pt), &h(&e.aad)).unwrap(), h(&e.ct));
    }
}

#[test]
fn receiver_opens_rfc_ciphertexts_and_rejects_altered_ones() {
    let v = load();
    let sk_r = <X25519HkdfSha256 as Kem>::PrivateKey::from_bytes(&h(&v.sk_rm)).unwrap();
    let enc = <X25519HkdfSha256 as Kem>::EncappedKey::from_bytes(&h(&v.enc)).unwrap();
    let mut ctx = hpke::setup_receiver::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(
        &OpModeR::Base,
        &sk_r,
        &enc,
        &h(&v.info),
    )
    .unwrap();
    for e in &v.encryptions {
        assert_eq!(ctx.open(&h(&e.ct), &h(&e.aad)).unwrap(), h(&e.pt));
    }
    // The single-shot open used by the envelope agrees with sequence number 0.
    let first = &v.encryptions[0];
    let pt = hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(
        &OpModeR::Base,
        &sk_r,
        &enc,
        &h(&v.info),
        &h(&first.ct),
        &h(&first.aad),
    )
    .unwrap();
    assert_eq!(pt, h(&first.pt));
    let mut altered = h(&first.ct);
    altered[0] ^= 1;
    assert!(
        hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(
            &OpModeR::Base,
            &sk_r,
            &enc,
            &h(&v.info),
            &altered,
            &h(&first.aad),
        )
        .is_err()
    );
}
