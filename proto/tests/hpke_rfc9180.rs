//! The HPKE layer (`workvoice_proto::hpke_suite`) against RFC 9180's own test vectors for the
//! suite Workvoice uses (Appendix A.2.1, copied into `vectors/rfc9180`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde::Deserialize;
use workvoice_proto::hpke_suite::{self, Context, HpkeError, Mode};
use workvoice_proto::keys::{HpkePrivateKey, HpkePublicKey};

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
    shared_secret: String,
    key: String,
    base_nonce: String,
    encryptions: Vec<Encryption>,
}

#[derive(Deserialize)]
struct Encryption {
    sequence_number: u64,
    aad: String,
    pt: String,
    ct: String,
}

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn h32(s: &str) -> [u8; 32] {
    h(s).try_into().unwrap()
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

fn recipient(v: &Vector) -> HpkePrivateKey {
    HpkePrivateKey::from_bytes(h32(&v.sk_rm))
}

#[test]
fn vector_is_for_our_suite() {
    let v = load();
    assert_eq!((v.mode, v.kem_id, v.kdf_id, v.aead_id), (0, 0x20, 1, 3));
    assert!(v.encryptions.len() > 1);
}

#[test]
fn derive_key_pair_matches_rfc() {
    let v = load();
    let (sk_e, pk_e) = hpke_suite::derive_key_pair(&h(&v.ikm_e));
    assert_eq!(sk_e.to_vec(), clamped(&h(&v.sk_em)));
    assert_eq!(pk_e.to_vec(), h(&v.pk_em));
    // Through the project's own key type too, and a key loaded from the RFC's bytes has the
    // RFC's public key.
    let ours = HpkePrivateKey::derive(&h(&v.ikm_r));
    assert_eq!(ours.to_bytes().to_vec(), clamped(&h(&v.sk_rm)));
    assert_eq!(ours.public_key().0.to_vec(), h(&v.pk_rm));
    assert_eq!(recipient(&v).public_key().0.to_vec(), h(&v.pk_rm));
}

#[test]
fn encap_and_key_schedule_match_rfc() {
    let v = load();
    let (enc, shared_secret) =
        hpke_suite::encap(&HpkePublicKey(h32(&v.pk_rm)), None, &h(&v.ikm_e)).unwrap();
    assert_eq!(enc.to_vec(), h(&v.enc));
    assert_eq!(shared_secret.to_vec(), h(&v.shared_secret));
    let ctx = Context::new(Mode::Base, &shared_secret, &h(&v.info));
    assert_eq!(ctx.key().to_vec(), h(&v.key));
    assert_eq!(ctx.base_nonce().to_vec(), h(&v.base_nonce));
}

#[test]
fn sender_produces_rfc_ciphertexts() {
    let v = load();
    let (_, shared_secret) =
        hpke_suite::encap(&HpkePublicKey(h32(&v.pk_rm)), None, &h(&v.ikm_e)).unwrap();
    let ctx = Context::new(Mode::Base, &shared_secret, &h(&v.info));
    for e in &v.encryptions {
        assert_eq!(
            ctx.seal(e.sequence_number, &h(&e.aad), &h(&e.pt)).unwrap(),
            h(&e.ct),
            "sequence number {}",
            e.sequence_number
        );
    }
}

#[test]
fn receiver_opens_rfc_ciphertexts_and_rejects_altered_ones() {
    let v = load();
    let enc = h32(&v.enc);
    let shared_secret = hpke_suite::decap(&enc, &recipient(&v), None).unwrap();
    assert_eq!(shared_secret.to_vec(), h(&v.shared_secret));
    let ctx = Context::new(Mode::Base, &shared_secret, &h(&v.info));
    for e in &v.encryptions {
        assert_eq!(
            ctx.open(e.sequence_number, &h(&e.aad), &h(&e.ct))
                .unwrap()
                .to_vec(),
            h(&e.pt)
        );
    }
    // The single-shot open used by the envelope is sequence number 0.
    let first = v
        .encryptions
        .iter()
        .find(|e| e.sequence_number == 0)
        .unwrap();
    let open = |enc: &[u8; 32], info: &[u8], aad: &[u8], ct: &[u8]| {
        hpke_suite::open(enc, &recipient(&v), None, info, aad, ct)
    };
    let (info, aad, ct) = (h(&v.info), h(&first.aad), h(&first.ct));
    assert_eq!(open(&enc, &info, &aad, &ct).unwrap().to_vec(), h(&first.pt));
    // Any change to the ciphertext, the associated data, the info or the encapsulated key, or
    // the wrong sequence number, fails.
    for i in [0, ct.len() / 2, ct.len() - 1] {
        let mut altered = ct.clone();
        altered[i] ^= 1;
        assert_eq!(
            open(&enc, &info, &aad, &altered),
            Err(HpkeError::OpenFailed)
        );
    }
    assert_eq!(
        open(&enc, &info, b"other aad", &ct),
        Err(HpkeError::OpenFailed)
    );
    assert_eq!(
        open(&enc, b"other info", &aad, &ct),
        Err(HpkeError::OpenFailed)
    );
    let mut other_enc = enc;
    other_enc[5] ^= 1;
    assert_eq!(
        open(&other_enc, &info, &aad, &ct),
        Err(HpkeError::OpenFailed)
    );
    let ctx = Context::new(Mode::Base, &shared_secret, &info);
    assert_eq!(ctx.open(1, &aad, &ct), Err(HpkeError::OpenFailed));
    // The same secret in auth mode is a different context.
    let auth = Context::new(Mode::Auth, &shared_secret, &info);
    assert_eq!(auth.open(0, &aad, &ct), Err(HpkeError::OpenFailed));
}

/// RFC 9180 section 7.1.4: an all-zero DH result must abort. The identity (all zeros) and the
/// other low-order points of Curve25519 give one.
#[test]
fn low_order_public_keys_are_refused() {
    let v = load();
    let mut low_order = vec![[0u8; 32], [0u8; 32]];
    low_order[1][0] = 1;
    for point in low_order {
        assert_eq!(
            hpke_suite::encap(&HpkePublicKey(point), None, &h(&v.ikm_e)).err(),
            Some(HpkeError::LowOrderKey)
        );
        assert_eq!(
            hpke_suite::decap(&point, &recipient(&v), None).err(),
            Some(HpkeError::LowOrderKey)
        );
    }
}
