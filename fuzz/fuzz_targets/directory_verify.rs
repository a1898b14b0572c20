//! The signed directory as the phone downloads it: hostile bytes into
//! `SignedDirectory::from_json` and `verify_directory` under the fixture root key at the
//! fixture time.
//!
//! Signatures stop a mutated directory at the door, so an input that decodes as a bare
//! `Listing` is also signed with the fixture relay key and verified: the fuzzer then reaches
//! the checks after the signature (format, expiry, revocations, each certificate's trust) and
//! routing against a hostile listing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use workvoice_fuzz::world;
use workvoice_proto::directory::{
    DirectoryError, KeyTrust, Listing, SignedDirectory, verify_directory,
};
use workvoice_proto::routing::{MAX_RECIPIENTS, route};

fuzz_target!(|data: &[u8]| {
    let w = world();
    let now = w.fixture.now;
    if let Ok(signed) = SignedDirectory::from_json(data) {
        let again = SignedDirectory::from_json(&signed.to_json());
        assert_eq!(
            again.as_ref(),
            Ok(&signed),
            "a directory survives re-encoding"
        );
    }
    match verify_directory(data, &w.root_public_key, now, 0) {
        Ok(verified) => check_verified(&verified.listing, &verified.trust),
        Err(DirectoryError::Rollback { offered, seen }) => {
            panic!("rollback below 0: {offered} < {seen}")
        }
        Err(_) => {}
    }

    let Ok(listing) = serde_json::from_slice::<Listing>(data) else {
        return;
    };
    let checked = listing.check();
    if let Ok(r) = route(&w.tags, &w.consent, &listing) {
        assert!(!r.recipients.is_empty() && r.recipients.len() <= MAX_RECIPIENTS);
        for recipient in &r.recipients {
            let org = listing
                .organisation(&recipient.org_id)
                .expect("routed to a listed organisation");
            assert!(
                w.consent.allows(org.kind),
                "routed against the worker's consent"
            );
        }
    }
    let served = SignedDirectory::publish(
        &listing,
        &w.fixture.relay,
        w.fixture.relay_certificate.clone(),
    )
    .to_json();
    match verify_directory(&served, &w.root_public_key, now, 0) {
        Ok(verified) => {
            assert!(checked.is_ok(), "a listing that fails its checks verified");
            assert_eq!(verified.listing, listing);
            check_verified(&verified.listing, &verified.trust);
        }
        Err(
            DirectoryError::TooLarge
            | DirectoryError::UnsupportedFormat(_)
            | DirectoryError::Inconsistent(_)
            | DirectoryError::Expired
            | DirectoryError::NotYetValid
            | DirectoryError::RevocationsInvalid,
        ) => {}
        Err(e) => panic!("a listing signed by the certified relay failed with {e:?}"),
    }
});

fn check_verified(
    listing: &Listing,
    trust: &std::collections::BTreeMap<workvoice_proto::keys::OrgId, KeyTrust>,
) {
    assert!(listing.check().is_ok());
    for org in &listing.organisations {
        assert!(trust.contains_key(&org.id));
    }
}
