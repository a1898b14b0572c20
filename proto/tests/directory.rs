//! The signed directory and its chain of trust.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use workvoice_proto::ErrorCode;
use workvoice_proto::directory::{
    KeyTrust, ORG_CERT_CONTEXT, OrgCertificate, OrgKind, RevokedKey, Signed, SignedDirectory,
    UntrustedReason, verify_directory,
};
use workvoice_proto::keys::{HpkePrivateKey, SigningKey};
use workvoice_proto::vectors::{DeterministicRng, Fixture};

#[test]
fn valid_directory_verifies_and_certifies_every_key() {
    let f = Fixture::new();
    let served = f.publish(&f.listing(3));
    let v = verify_directory(&served, &f.root.public_key(), f.now, 3).unwrap();
    assert_eq!(v.listing.version, 3);
    assert_eq!(v.relay_key, f.relay.public_key());
    assert_eq!(v.certified_key(&f.union_id), Ok(f.union_key.public_key()));
    assert_eq!(
        v.certified_key(&f.inspectorate_id),
        Ok(f.inspectorate_key.public_key())
    );
    assert!(
        v.trust
            .values()
            .all(|t| matches!(t, KeyTrust::Certified { .. }))
    );
}

#[test]
fn tampering_expiry_and_rollback_are_rejected() {
    let f = Fixture::new();
    let listing = f.listing(3);
    let root = f.root.public_key();
    let served = f.publish(&listing);

    // Any change to the signed listing bytes.
    let mut doc: SignedDirectory = serde_json::from_slice(&served).unwrap();
    let mut body = workvoice_proto::codec::from_base64(&doc.listing.body).unwrap();
    let at = body.iter().position(|b| *b == b'8').unwrap(); // pow_difficulty 8
    body[at] = b'0';
    doc.listing.body = workvoice_proto::codec::to_base64(&body);
    let err = verify_directory(&doc.to_json(), &root, f.now, 0).unwrap_err();
    assert_eq!(err.code(), "directory_bad_signature");

    // Expired, and issued too far in the future.
    let err = verify_directory(&served, &root, listing.expires_at, 0).unwrap_err();
    assert_eq!(err.code(), "directory_expired");
    let err = verify_directory(&served, &root, listing.issued_at - 3600, 0).unwrap_err();
    assert_eq!(err.code(), "directory_not_yet_valid");

    // Rollback to an older version than already seen.
    let err = verify_directory(&served, &root, f.now, 4).unwrap_err();
    assert_eq!(err.code(), "directory_rollback");

    // Another root.
    let mut rng = DeterministicRng::new("other root");
    let other = SigningKey::generate(&mut rng);
    let err = verify_directory(&served, &other.public_key(), f.now, 0).unwrap_err();
    assert_eq!(err.code(), "directory_relay_certificate_invalid");

    // Garbage.
    assert_eq!(
        verify_directory(b"{", &root, f.now, 0).unwrap_err().code(),
        "directory_malformed"
    );
    let huge = vec![b' '; 5 * 1024 * 1024];
    assert_eq!(
        verify_directory(&huge, &root, f.now, 0).unwrap_err().code(),
        "directory_too_large"
    );
}

#[test]
fn relay_cannot_swap_in_its_own_key_for_a_union() {
    let f = Fixture::new();
    let mut listing = f.listing(4);
    let mut rng = DeterministicRng::new("relay key");
    let relay_owned = HpkePrivateKey::generate(&mut rng);
    // The relay signs a certificate with its own (online) key: not the root.
    listing.organisations[0].certificate = Signed::sign(
        &OrgCertificate {
            org_id: f.union_id,
            kind: OrgKind::Union,
            hpke_public_key: relay_owned.public_key(),
            key_version: 2,
            valid_from: 0,
            valid_until: u64::MAX,
        },
        ORG_CERT_CONTEXT,
        &f.relay,
    );
    let v = verify_directory(&f.publish(&listing), &f.root.public_key(), f.now, 0).unwrap();
    assert_eq!(
        v.certified_key(&f.union_id),
        Err(UntrustedReason::BadSignature)
    );
    // The other organisations stay usable.
    assert!(v.certified_key(&f.inspectorate_id).is_ok());
}

#[test]
fn expired_revoked_and_mismatched_certificates_are_untrusted() {
    let f = Fixture::new();
    let root = f.root.public_key();
    let mut listing = f.listing(1);
    listing.organisations[1].certificate = Signed::sign(
        &OrgCertificate {
            org_id: f.inspectorate_id,
            kind: OrgKind::Inspectorate,
            hpke_public_key: f.inspectorate_key.public_key(),
            key_version: 1,
            valid_from: f.now - 100,
            valid_until: f.now - 1,
        },
        ORG_CERT_CONTEXT,
        &f.root,
    );
    listing.revocations = Some(f.revocations(vec![RevokedKey {
        org_id: f.ngo_id,
        key_version: 1,
        hpke_public_key: f.ngo_key.public_key(),
    }]));
    listing.organisations[0].certificate = f.certificate(
        f.inspectorate_id,
        OrgKind::Inspectorate,
        &f.inspectorate_key,
    );
    let v = verify_directory(&f.publish(&listing), &root, f.now, 0).unwrap();
    assert_eq!(v.certified_key(&f.union_id), Err(UntrustedReason::Mismatch));
    assert_eq!(
        v.certified_key(&f.inspectorate_id),
        Err(UntrustedReason::Expired)
    );
    assert_eq!(v.certified_key(&f.ngo_id), Err(UntrustedReason::Revoked));

    // A revocation list not signed by the root fails the whole directory.
    let mut forged = f.listing(1);
    forged.revocations = Some(Signed::sign(
        &workvoice_proto::directory::RevocationList {
            serial: 1,
            issued_at: 0,
            revoked: vec![],
            relay_keys: Vec::new(),
        },
        workvoice_proto::directory::REVOCATION_CONTEXT,
        &f.relay,
    ));
    let err = verify_directory(&f.publish(&forged), &root, f.now, 0).unwrap_err();
    assert_eq!(err.code(), "directory_revocations_invalid");
}

#[test]
fn relay_certificate_validity_is_enforced() {
    let f = Fixture::new();
    let listing = f.listing(1);
    let served = f.publish(&listing);
    let relay_cert: workvoice_proto::directory::RelayCertificate =
        SignedDirectory::from_json(&served)
            .unwrap()
            .relay_certificate
            .peek()
            .unwrap();
    let err = verify_directory(&served, &f.root.public_key(), relay_cert.valid_until, 0);
    assert_eq!(
        err.unwrap_err().code(),
        "directory_relay_certificate_expired"
    );
}
