//! `hpke_suite` against the `hpke` crate, both ways and in both modes Workvoice uses: whatever
//! one seals the other opens, byte for byte the same plaintext, and the same ciphertext for the
//! same ephemeral randomness.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256 as Kem;
use hpke::{Deserializable, OpModeR, OpModeS, Serializable};
use proptest::prelude::*;
use workvoice_proto::hpke_suite;
use workvoice_proto::keys::{HpkePrivateKey, HpkePublicKey};
use workvoice_proto::vectors::DeterministicRng;

fn their_sk(key: &HpkePrivateKey) -> <Kem as hpke::Kem>::PrivateKey {
    <Kem as hpke::Kem>::PrivateKey::from_bytes(key.to_bytes().as_ref()).unwrap()
}

fn their_pk(key: &HpkePublicKey) -> <Kem as hpke::Kem>::PublicKey {
    <Kem as hpke::Kem>::PublicKey::from_bytes(key.as_bytes()).unwrap()
}

fn keys(seed: &str) -> (HpkePrivateKey, HpkePrivateKey) {
    let mut rng = DeterministicRng::new(seed);
    (
        HpkePrivateKey::generate(&mut rng),
        HpkePrivateKey::generate(&mut rng),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn ours_and_theirs_agree(
        seed in "[a-z]{1,12}",
        auth in any::<bool>(),
        info in proptest::collection::vec(any::<u8>(), 0..64),
        aad in proptest::collection::vec(any::<u8>(), 0..64),
        pt in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let (recipient, sender) = keys(&seed);
        let sender_arg = auth.then_some(&sender);
        let mode_s = if auth {
            OpModeS::Auth((their_sk(&sender), their_pk(&sender.public_key())))
        } else {
            OpModeS::Base
        };
        let mode_r = if auth {
            OpModeR::Auth(their_pk(&sender.public_key()))
        } else {
            OpModeR::Base
        };

        // Same randomness: the same encapsulated key and ciphertext from both.
        let (enc, ct) = hpke_suite::seal(
            &recipient.public_key(), sender_arg, &info, &aad, &pt,
            &mut DeterministicRng::new(&format!("eph {seed}")),
        ).unwrap();
        let (their_enc, their_ct) =
            hpke::single_shot_seal_with_rng::<ChaCha20Poly1305, HkdfSha256, Kem>(
                &mode_s, &their_pk(&recipient.public_key()), &info, &pt, &aad,
                &mut DeterministicRng::new(&format!("eph {seed}")),
            ).unwrap();
        prop_assert_eq!(enc.to_vec(), their_enc.to_bytes().to_vec());
        prop_assert_eq!(&ct, &their_ct);

        // Ours opens theirs, theirs opens ours.
        let their_enc_bytes: [u8; 32] = their_enc.to_bytes().as_slice().try_into().unwrap();
        let opened = hpke_suite::open(
            &their_enc_bytes, &recipient, auth.then(|| sender.public_key()).as_ref(),
            &info, &aad, &their_ct,
        ).unwrap();
        prop_assert_eq!(opened.to_vec(), pt.clone());
        let theirs = hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
            &mode_r, &their_sk(&recipient),
            &<Kem as hpke::Kem>::EncappedKey::from_bytes(&enc).unwrap(),
            &info, &ct, &aad,
        ).unwrap();
        prop_assert_eq!(theirs, pt);

        // The wrong mode, or auth mode with another sender, does not open.
        let (_, stranger) = keys(&format!("{seed}!"));
        let wrong_sender = if auth { Some(stranger.public_key()) } else { Some(sender.public_key()) };
        prop_assert_eq!(
            hpke_suite::open(&enc, &recipient, wrong_sender.as_ref(), &info, &aad, &ct).err(),
            Some(hpke_suite::HpkeError::OpenFailed)
        );
    }
}
