//! Key handling: the passphrase protects the keys, rotation keeps old envelopes readable.

use crate::common::*;
use workvoice_desk::{Desk, DeskError, Enrolment, Passphrase};
use workvoice_proto::directory::OrgKind;
use workvoice_proto::keys::OrgId;
use workvoice_proto::vectors::DeterministicRng;
use workvoice_proto::vectors::Fixture;

#[tokio::test]
async fn wrong_passphrase_is_refused_with_a_typed_error() {
    let (dir, desk) = fresh_desk().await;
    let public = desk.keys()[0].public_key;
    drop(desk);
    let err = Desk::open(dir.path(), &Passphrase::new("not the passphrase at all"))
        .await
        .unwrap_err();
    assert!(matches!(err, DeskError::WrongPassphrase), "{err:?}");
    assert_eq!(err.code(), "wrong_passphrase");
    let desk = Desk::open(dir.path(), &Passphrase::new(PASSPHRASE))
        .await
        .unwrap();
    assert_eq!(desk.keys()[0].public_key, public, "the same key comes back");
}

#[tokio::test]
async fn secrets_are_sealed_at_rest_and_enrolment_is_checked() {
    let (dir, desk) = fresh_desk().await;
    let desk = desk.with_clock(fixture_clock());
    let f = Fixture::new();
    let key = desk.keys()[0].public_key;
    let own_cert = certificate_for(&f, f.union_id, key);
    let token = "wv-api-token-3f9c2a7d41b8e6050c1d9a8b7e6f5a4c";
    let enrolment = |certificate, org_id| Enrolment {
        relay_url: "http://127.0.0.1:9".into(),
        org_id,
        api_token: token.into(),
        root_public_key: f.root.public_key(),
        certificate,
    };
    // A certificate for another organisation, or for a key this desk does not hold, is refused.
    let err = desk
        .enrol(enrolment(own_cert.clone(), f.ngo_id))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_enrolment");
    let union_cert = f.certificate(f.union_id, OrgKind::Union, &f.union_key);
    let err = desk
        .enrol(enrolment(union_cert, f.union_id))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("does not hold"), "{err}");
    desk.enrol(enrolment(own_cert, f.union_id)).await.unwrap();
    assert_eq!(desk.org_id().await.unwrap(), f.union_id);
    desk.store().close().await;
    drop(desk);
    let mut bytes = std::fs::read(dir.path().join("desk.sqlite")).unwrap();
    bytes.extend(std::fs::read(dir.path().join("desk.sqlite-wal")).unwrap_or_default());
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(!contains(token.as_bytes()), "the API token is sealed");
    assert!(
        !contains(key.to_hex().as_bytes()),
        "even the public key is not in the clear: the whole database is sealed"
    );
    // The token is sealed twice: under its label inside the sealed database.
    let desk = Desk::open(dir.path(), &Passphrase::new(PASSPHRASE))
        .await
        .unwrap();
    let row = desk.store().enrolment().await.unwrap().unwrap();
    let sealed = &row.sealed_api_token;
    assert!(!sealed.windows(token.len()).any(|w| w == token.as_bytes()));
    desk.store().close().await;
    drop(desk);

    // Weak passphrases are refused at init.
    let other = tempfile::tempdir().unwrap();
    let err = Desk::init(other.path(), &Passphrase::new("short"), Default::default())
        .await
        .unwrap_err();
    assert!(matches!(err, DeskError::WeakPassphrase { .. }));
}

#[tokio::test]
async fn rotated_keys_still_open_old_envelopes_and_cases() {
    let (dir, desk) = fresh_desk().await;
    let org = OrgId([7; 16]);
    let mut rng = DeterministicRng::new("rotation");
    let v1 = desk.keys()[0].clone();
    let (old_report, _) = sample(0, &mut rng);
    let (new_report, _) = sample(1, &mut rng);
    let old_entry = entry_for(1, &old_report, org, v1.public_key, &mut rng);
    let v2 = desk.rotate_key().await.unwrap();
    assert_eq!(v2.version, 2);
    assert_ne!(v2.public_key, v1.public_key);
    let new_entry = entry_for(2, &new_report, org, v2.public_key, &mut rng);
    drop(desk);

    // After reopening, both versions are in the keyring and both envelopes open.
    let desk = Desk::open(dir.path(), &Passphrase::new(PASSPHRASE))
        .await
        .unwrap();
    let versions: Vec<u32> = desk.keys().iter().map(|k| k.version).collect();
    assert_eq!(versions, vec![2, 1]);
    let (stored, failed) = desk
        .open_and_store(org, &[old_entry, new_entry])
        .await
        .unwrap();
    assert_eq!((stored.len(), failed), (2, 0));
    for (report, version) in [(&old_report, 1), (&new_report, 2)] {
        let id = desk
            .store()
            .case_id_by_report(&report.report_id.to_hex())
            .await
            .unwrap()
            .unwrap();
        let case = desk.store().case(id).await.unwrap();
        assert_eq!(case.opened_with_key, version);
        assert_eq!(&Desk::report_of(&case).unwrap(), report);
    }

    // An envelope sealed to a key the desk never had is kept aside, not stored as a case.
    let stranger = workvoice_proto::keys::HpkePrivateKey::generate(&mut rng);
    let (r3, _) = sample(2, &mut rng);
    let foreign = entry_for(3, &r3, org, stranger.public_key(), &mut rng);
    let (stored, failed) = desk.open_and_store(org, &[foreign]).await.unwrap();
    assert_eq!((stored.len(), failed), (0, 1));
    assert_eq!(desk.store().undecryptable_count().await.unwrap(), 1);
    assert_eq!(desk.store().case_count().await.unwrap(), 2);
}

#[tokio::test]
async fn a_tampered_disclosure_does_not_open_and_a_redelivery_is_a_no_op() {
    let (_dir, desk) = fresh_desk().await;
    let org = OrgId([9; 16]);
    let mut rng = DeterministicRng::new("tamper");
    let key = desk.keys()[0].public_key;
    let (report, _) = sample(0, &mut rng);
    let entry = entry_for(1, &report, org, key, &mut rng);
    let mut tampered = entry.clone();
    tampered.consent.inspectorate = !tampered.consent.inspectorate;
    let (stored, failed) = desk.open_and_store(org, &[tampered]).await.unwrap();
    assert_eq!(
        (stored.len(), failed),
        (0, 1),
        "a relay cannot alter the disclosed consent"
    );
    // The desk says what happened: not its keys, the disclosure.
    assert_eq!(desk.disclosure_mismatch_count().await.unwrap(), 1);
    let home = crate::common::logged_in(&desk).await.get("/").await.body;
    assert!(home.contains("id=\"disclosure-mismatch\""), "{home}");
    assert!(
        home.contains("do not match what the worker's phone sealed"),
        "{home}"
    );
    assert!(
        !home.contains("could not be opened with this desk's keys"),
        "{home}"
    );
    let (first, _) = desk
        .open_and_store(org, std::slice::from_ref(&entry))
        .await
        .unwrap();
    let (again, _) = desk.open_and_store(org, &[entry]).await.unwrap();
    assert_eq!(first, vec![workvoice_desk::store::Stored::New]);
    assert_eq!(again, vec![workvoice_desk::store::Stored::AlreadyStored]);
    assert_eq!(desk.store().case_count().await.unwrap(), 1);
}
