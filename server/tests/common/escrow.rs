//! A phone's escrow as the relay's escrow tests play it: the relay's OPRF step, an
//! organisation OPRF key standing in for the desk's, the sealed submission with its
//! proof-of-work (PROTOCOL.md 18.3 to 18.6).

use workvoice_proto::api::{EscrowSubmissionRequest, OprfEvaluation, OprfEvaluationRequest};
use workvoice_proto::escrow::{
    CanonicalRecruiter, EscrowParams, EscrowSecrets, OprfKey, OprfRequest, ParsedEscrow,
    canonical_recruiter, oprf_pow_id, seal_escrow,
};
use workvoice_proto::keys::ReportId;
use workvoice_proto::pow::solve_pow;
use workvoice_proto::vectors::DeterministicRng;
use workvoice_relay::testing::TestRelay;

use super::{json, post_json};

/// One device: its escrow device secret and a withdrawal secret.
pub struct Phone {
    pub device: [u8; 32],
    pub withdrawal: [u8; 32],
}

/// The `i`-th test device.
pub fn phone(i: u8) -> Phone {
    Phone {
        device: [i + 1; 32],
        withdrawal: [i + 101; 32],
    }
}

pub fn phones(n: u8) -> Vec<Phone> {
    (0..n).map(phone).collect()
}

/// A blinded recruiter with its proof-of-work, for `POST /v1/escrow/oprf`.
pub fn request_for(
    relay: &TestRelay,
    recruiter: &CanonicalRecruiter,
    rng: &mut DeterministicRng,
) -> (OprfRequest, OprfEvaluationRequest) {
    let request = OprfRequest::blind(recruiter, rng).unwrap();
    let blinded = request.blinded_element().to_vec();
    let pow_nonce = solve_pow(&oprf_pow_id(&blinded), relay.listing.pow_difficulty).unwrap();
    (request, OprfEvaluationRequest { blinded, pow_nonce })
}

/// `phone`'s escrow of `text` about `recruiter` to the union, with `k = 3`: its escrow id and
/// the request to post.
pub async fn escrow(
    relay: &TestRelay,
    c: &reqwest::Client,
    phone: &Phone,
    recruiter: &str,
    text: &str,
    rng: &mut DeterministicRng,
) -> (Vec<u8>, EscrowSubmissionRequest) {
    let recruiter = canonical_recruiter(recruiter, None).unwrap();
    let (blind, body) = request_for(relay, &recruiter, rng);
    let answer: OprfEvaluation =
        json(post_json(c, &relay.url("/v1/escrow/oprf"), &body, None).await).await;
    let org_oprf = OprfKey::derive(&[9; 32], b"the union's escrow OPRF key").unwrap();
    let output = blind
        .finalize(&org_oprf.evaluate_blinded(&answer.evaluated).unwrap())
        .unwrap();
    let params = EscrowParams {
        org: relay.union.id,
        epoch: answer.epoch,
        threshold: 3,
    };
    let sealed = seal_escrow(
        &output,
        &params,
        &relay.union.key.public_key(),
        text.as_bytes(),
        EscrowSecrets {
            device_secret: &phone.device,
            withdrawal_secret: &phone.withdrawal,
        },
        rng,
    )
    .unwrap();
    let header = ParsedEscrow::parse(&sealed).unwrap().header;
    let pow_nonce = solve_pow(&ReportId(header.escrow_id), relay.listing.pow_difficulty).unwrap();
    (
        header.escrow_id.to_vec(),
        EscrowSubmissionRequest {
            escrow: sealed,
            pow_nonce,
        },
    )
}
