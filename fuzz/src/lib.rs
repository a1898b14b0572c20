//! What every fuzz target shares: the keys, listing and disclosure of the vector fixture world,
//! built once per process, so that the seeds taken from `proto/vectors/` open under them and
//! the fuzzer starts inside the crypto path rather than at its door.

use std::sync::OnceLock;

use workvoice_proto::directory::Listing;
use workvoice_proto::keys::{HpkePrivateKey, HpkePublicKey, OrgId, ReportId, SigningPublicKey};
use workvoice_proto::recovery::RecoveryCode;
use workvoice_proto::routing::{Consent, RoutingTags, disclosure_digest};
use workvoice_proto::vectors::Fixture;

/// The directory version the fixture listing carries in the vectors.
pub const LISTING_VERSION: u64 = 5;

/// The fixture world, as the vectors use it.
#[derive(Debug)]
pub struct World {
    pub fixture: Fixture,
    pub root_public_key: SigningPublicKey,
    pub listing: Listing,
    /// Every organisation of the fixture (union, inspectorate, NGO) with its key pair; public
    /// keys are computed once, as each costs an X25519 multiplication.
    pub orgs: Vec<(OrgId, HpkePrivateKey, HpkePublicKey)>,
    /// Tags and consent of the fixture report, which the envelope vectors are sealed under.
    pub tags: RoutingTags,
    pub consent: Consent,
    pub disclosure_digest: [u8; 32],
    /// The reply key of report 0 of recovery secret `[0x42; 16]`: the reply vectors' key.
    pub reply_key: HpkePrivateKey,
    pub reply_public_key: HpkePublicKey,
}

pub fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let fixture = Fixture::new();
        let reply_key = RecoveryCode::from_secret([0x42; 16])
            .report_secrets(0)
            .reply_key;
        let report = fixture.report(ReportId([0; 16]), reply_key.public_key());
        let tags = report.routing_tags();
        let consent = report.consent;
        World {
            root_public_key: fixture.root.public_key(),
            listing: fixture.listing(LISTING_VERSION),
            orgs: vec![
                (
                    fixture.union_id,
                    fixture.union_key.clone(),
                    fixture.union_key.public_key(),
                ),
                (
                    fixture.inspectorate_id,
                    fixture.inspectorate_key.clone(),
                    fixture.inspectorate_key.public_key(),
                ),
                (
                    fixture.ngo_id,
                    fixture.ngo_key.clone(),
                    fixture.ngo_key.public_key(),
                ),
            ],
            disclosure_digest: disclosure_digest(&tags, &consent),
            tags,
            consent,
            reply_public_key: reply_key.public_key(),
            reply_key,
            fixture,
        }
    })
}
