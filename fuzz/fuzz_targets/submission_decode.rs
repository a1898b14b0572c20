//! A submission as the relay receives it from an anonymous phone: hostile bytes into the JSON
//! decoding of `SubmissionRequest` and into its binary body (`PROTOCOL.md` 14.9, what phones
//! send), and the pure checks the relay runs on it (routing tags,
//! envelope structure, routing against the fixture listing, proof-of-work); and the same
//! bytes as a report, as a desk decodes one after opening an envelope (`Report::decode`,
//! `validate`, `routing_tags`).
#![no_main]

use std::collections::BTreeSet;

use libfuzzer_sys::fuzz_target;
use workvoice_fuzz::world;
use workvoice_proto::api::SubmissionRequest;
use workvoice_proto::envelope::EnvelopeHeader;
use workvoice_proto::keys::OrgId;
use workvoice_proto::pow::verify_pow;
use workvoice_proto::report::{Report, ReportError};
use workvoice_proto::routing::route;

fuzz_target!(|data: &[u8]| {
    submission(data);
    binary(data);
    report(data);
});

/// The binary body: what decodes re-encodes to a body that decodes to the same request, in
/// either encoding (a retry in the other encoding is the same submission).
fn binary(data: &[u8]) {
    let Ok(request) = SubmissionRequest::from_binary(data) else {
        return;
    };
    let encoded = request
        .to_binary()
        .expect("a decoded binary body re-encodes");
    assert_eq!(
        SubmissionRequest::from_binary(&encoded).as_ref(),
        Ok(&request),
        "re-encoding the binary body changed it"
    );
    let json = serde_json::to_vec(&request).expect("a decoded request encodes as JSON");
    assert_eq!(
        serde_json::from_slice::<SubmissionRequest>(&json)
            .ok()
            .as_ref(),
        Some(&request),
        "the binary body's request is not the same in JSON"
    );
}

fn submission(data: &[u8]) {
    let w = world();
    let Ok(request) = serde_json::from_slice::<SubmissionRequest>(data) else {
        return;
    };
    // The relay hashes the canonical re-encoding to answer retries; it must decode back.
    let canonical = serde_json::to_vec(&request).expect("a decoded request re-encodes");
    let again: SubmissionRequest =
        serde_json::from_slice(&canonical).expect("a canonical request decodes");
    assert_eq!(again, request);

    let listing = &w.listing;
    let pow = verify_pow(
        &request.submission_id,
        request.pow_nonce,
        listing.pow_difficulty,
    );
    let header = EnvelopeHeader::parse(&request.envelope);
    let tags = request.tags.validate();
    let routed = route(&request.tags, &request.consent, listing);
    if let (Err(_), Ok(_)) = (&tags, &routed) {
        panic!("route accepted tags that validate refuses");
    }
    if let (Ok(()), Ok(header), Ok(_), Ok(routed)) = (pow, &header, &tags, &routed) {
        let sealed_to: BTreeSet<OrgId> = header.recipient_ids().collect();
        if routed.recipient_set() == sealed_to {
            for id in &sealed_to {
                let org = listing
                    .organisation(id)
                    .expect("a routed recipient is listed");
                assert!(
                    request.consent.allows(org.kind),
                    "accepted against the consent"
                );
            }
        }
    }
}

fn report(data: &[u8]) {
    let unvalidated = Report::decode_unvalidated(data);
    match Report::decode(data) {
        Ok(report) => {
            assert_eq!(unvalidated.as_ref(), Ok(&report));
            assert!(report.validate().is_ok());
            let tags = report.routing_tags();
            assert!(
                tags.validate().is_ok(),
                "a valid report discloses invalid tags: {tags:?}"
            );
            let encoded = report.encode();
            assert_eq!(
                Report::decode(&encoded).as_ref(),
                Ok(&report),
                "re-encoding changed it"
            );
        }
        Err(ReportError::Invalid(fields)) => {
            assert!(!fields.is_empty());
            let report = unvalidated.expect("an invalid report decodes unvalidated");
            let _ = report.routing_tags();
        }
        Err(e) => assert_eq!(unvalidated.err(), Some(e)),
    }
}
