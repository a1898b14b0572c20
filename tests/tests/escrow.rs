//! Reporting escrow across processes (`PROTOCOL.md` 18): the relay (`workvoice-relay serve`),
//! the union's desk (`workvoice-desk sync`, the binary), and phones (played over HTTP: the
//! phone core's side is not built) that escrow reports through the chained OPRF, the relay's
//! step queued for the desk's, which a first `workvoice-desk sync` answers.
//!
//! Three phones escrow about recruiter X and two about recruiter Y: after a second
//! `workvoice-desk sync` X's three are three linked cases at the desk, Y's two stay sealed,
//! and neither the relay's files nor the desk's hold Y's text or name.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use workvoice_desk::{Desk, Passphrase};
use workvoice_proto::api::{
    ChainedOprfQueued, ChainedOprfRequest, ChainedOprfState, ChainedOprfStatus, EscrowAccepted,
    EscrowState, EscrowSubmissionRequest,
};
use workvoice_proto::directory::{VerifiedDirectory, verify_directory};
use workvoice_proto::escrow::{
    EscrowParams, EscrowSecrets, EscrowedReport, OprfRequest, ParsedEscrow, canonical_recruiter,
    oprf_pow_id, seal_escrow,
};
use workvoice_proto::keys::{HpkePrivateKey, ReportId};
use workvoice_proto::pow::solve_pow;
use workvoice_proto::report::{JobComparison, NamedParty, REPORT_SCHEMA_VERSION, Report};
use workvoice_proto::routing::{Consent, disclosure_digest};
use workvoice_proto::system_rng::SystemRng;
use workvoice_tests::desk::DESK_PASSPHRASE;
use workvoice_tests::proxy::FaultPlan;
use workvoice_tests::world::{Backend, World};

const X: &str = "Himal Overseas Pvt. Ltd.";
const Y: &str = "Gulf Star Manpower";

fn report(recruiter: &str, text: &str, rng: &mut SystemRng) -> Report {
    Report {
        schema: REPORT_SCHEMA_VERSION,
        report_id: ReportId::random(rng),
        language: "en".into(),
        written_on: None,
        fees: vec![],
        loans: vec![],
        deductions: vec![],
        job: JobComparison::default(),
        indicators: vec![],
        recruiter: Some(NamedParty {
            name: recruiter.into(),
            licence_number: None,
            country: None,
        }),
        employer: None,
        origin_country: Some("NP".into()),
        destination_country: "QA".into(),
        sector: None,
        monthly_wage: None,
        free_text: text.into(),
        attachments: vec![],
        consent: Consent {
            union: true,
            inspectorate: false,
            ngo: false,
            contact_wanted: false,
        },
        reply_key: HpkePrivateKey::generate(rng).public_key(),
        withdrawal_hash: None,
        channel: None,
    }
}

async fn post<T: serde::Serialize>(world: &World, path: &str, body: &T) -> Vec<u8> {
    let response = world
        .http
        .post(format!("{}{path}", world.relay_url().unwrap()))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).unwrap())
        .send()
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.bytes().await.unwrap().to_vec();
    assert!(
        status.is_success(),
        "POST {path}: {status} {}",
        String::from_utf8_lossy(&bytes)
    );
    bytes
}

/// A phone's first step: its blinded recruiter, queued at the relay for the union's step.
async fn queue_oprf(
    world: &World,
    dir: &VerifiedDirectory,
    recruiter: &str,
) -> (OprfRequest, ChainedOprfQueued) {
    let mut rng = SystemRng::new();
    let request =
        OprfRequest::blind(&canonical_recruiter(recruiter, None).unwrap(), &mut rng).unwrap();
    let blinded = request.blinded_element().to_vec();
    let body = ChainedOprfRequest {
        organisation: world.union.id.to_hex(),
        pow_nonce: solve_pow(&oprf_pow_id(&blinded), dir.listing.pow_difficulty).unwrap(),
        blinded,
    };
    let queued = serde_json::from_slice(&post(world, "/v1/escrow/oprf/org", &body).await).unwrap();
    (request, queued)
}

/// Then, once the desk has answered: one phone (device `device`) polls the answer and escrows
/// a report about `recruiter` for the union, k = 3.
async fn escrow(
    world: &World,
    dir: &VerifiedDirectory,
    device: u8,
    (request, queued): (OprfRequest, ChainedOprfQueued),
    recruiter: &str,
    text: &str,
) -> EscrowState {
    let mut rng = SystemRng::new();
    let difficulty = dir.listing.pow_difficulty;
    let polled = world
        .http
        .get(format!(
            "{}/v1/escrow/oprf/org/{}",
            world.relay_url().unwrap(),
            queued.request
        ))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let state: ChainedOprfState = serde_json::from_slice(&polled).unwrap();
    assert_eq!(state.state, ChainedOprfStatus::Answered);
    let output = request.finalize(&state.evaluated.unwrap()).unwrap();

    let report = report(recruiter, text, &mut rng);
    let union = world.union.id;
    let union_key = dir.certified_key(&union).unwrap();
    let (tags, consent) = (report.routing_tags(), report.consent);
    let envelope = workvoice_proto::envelope::seal(
        &report.encode(),
        report.report_id,
        &[(union, union_key)],
        &disclosure_digest(&tags, &consent),
        &mut rng,
    )
    .unwrap();
    let escrowed = EscrowedReport {
        tags,
        consent,
        mailbox_token_hash: workvoice_proto::recovery::mailbox_token_hash(&[device; 32]),
        envelope,
    };
    let submission = seal_escrow(
        &output,
        &EscrowParams {
            org: union,
            epoch: queued.epoch,
            threshold: 3,
        },
        &union_key,
        &escrowed.to_bytes(),
        EscrowSecrets {
            device_secret: &[device; 32],
            withdrawal_secret: &[device.wrapping_add(100); 32],
        },
        &mut rng,
    )
    .unwrap();
    let escrow_id = ParsedEscrow::parse(&submission).unwrap().header.escrow_id;
    let body = EscrowSubmissionRequest {
        escrow: submission,
        pow_nonce: solve_pow(&ReportId(escrow_id), difficulty).unwrap(),
    };
    let accepted: EscrowAccepted =
        serde_json::from_slice(&post(world, "/v1/escrow", &body).await).unwrap();
    accepted.state
}

/// Every byte of every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else if path.is_file() {
            out.extend(std::fs::read(&path).unwrap());
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn escrowed_reports_open_at_the_desk_only_as_a_full_group() {
    let world = World::new(Backend::Sqlite, FaultPlan::None).unwrap();
    let desk_dir = world.desk_dir();
    let passphrase = Passphrase::new(DESK_PASSPHRASE);
    let prepared = world.runtime.block_on(async {
        let bytes = world
            .http
            .get(format!("{}/v1/directory", world.relay_url().unwrap()))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let dir = verify_directory(&bytes, &world.fixture.root.public_key(), now, 0).unwrap();
        let mut queued = Vec::new();
        for recruiter in [X, X, X, Y, Y] {
            queued.push(queue_oprf(&world, &dir, recruiter).await);
        }
        (dir, queued)
    });
    // The desk's binary answers the organisation's step.
    let printed = world.desk.sync_text().unwrap();
    assert!(
        printed.contains("Escrow: answered 5 recruiter lookups, refused 0"),
        "{printed}"
    );
    world.runtime.block_on(async {
        let (dir, queued) = prepared;
        for (i, queued) in queued.into_iter().enumerate() {
            let device = u8::try_from(i).unwrap() + 1;
            let state = if i < 3 {
                escrow(&world, &dir, device, queued, X, &format!("X-E2E-{i}")).await
            } else {
                escrow(
                    &world,
                    &dir,
                    device,
                    queued,
                    Y,
                    &format!("Y-E2E-SECRET-{i}"),
                )
                .await
            };
            let expected = if i == 2 {
                EscrowState::Released
            } else {
                EscrowState::Waiting
            };
            assert_eq!(state, expected, "escrow {i}");
        }
    });

    let printed = world.desk.sync_text().unwrap();
    assert!(
        printed.contains("Escrow: 1 released groups opened (3 new cases, 0 reports that did not open), 0 refused."),
        "{printed}"
    );
    assert!(
        printed.contains("Escrow: 3 reply channels registered at the relay, 0 refused"),
        "{printed}"
    );
    assert!(
        printed.contains("Escrow: 2 reports wait at the relay for others"),
        "{printed}"
    );

    // Neither the relay's files nor the desk's hold Y's report or its recruiter's name.
    for dir in [world.relay_config.data_dir.as_path(), desk_dir.as_path()] {
        let bytes = files_under(dir);
        assert!(!bytes.is_empty(), "{}", dir.display());
        assert!(!contains(&bytes, b"Y-E2E-SECRET"), "{}", dir.display());
        assert!(!contains(&bytes, Y.as_bytes()), "{}", dir.display());
    }

    world.runtime.block_on(async {
        let desk = Desk::open(&desk_dir, &passphrase).await.unwrap();
        let ids = desk
            .filtered_case_ids(&workvoice_desk::store::CaseFilter::default())
            .await
            .unwrap();
        let mut texts = Vec::new();
        for id in &ids {
            let case = desk.case(*id).await.unwrap();
            let report = Desk::report_of(&case).unwrap();
            assert_eq!(report.recruiter.as_ref().unwrap().name, X);
            texts.push(report.free_text);
        }
        texts.sort();
        assert_eq!(texts, ["X-E2E-0", "X-E2E-1", "X-E2E-2"]);
        assert_eq!(desk.escrow_pending().await.unwrap(), Some(2));
        for id in &ids {
            let g = desk.escrow_placement(*id).await.unwrap().unwrap();
            assert_eq!((g.reports, g.sources, g.threshold), (3, 3, 3));
            assert_eq!(g.other_cases.len(), 2);
        }
    });
}
