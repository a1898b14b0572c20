//! The organisation's step of the chained escrow OPRF (`PROTOCOL.md` 18.3), at the desk: its
//! key is kept sealed like the desk's other keys, survives a restart, rotates with the epoch,
//! and neither the relay's step nor the desk's alone gives the phone's output.

use workvoice_desk::{Desk, Passphrase};
use workvoice_proto::escrow::{OprfRequest, canonical_recruiter, relay_epoch_key};
use workvoice_proto::vectors::DeterministicRng;

use crate::common::{PASSPHRASE, fresh_desk};

/// The phone's OPRF output for `recruiter` through a relay key and the desk, in `epoch`.
async fn output(desk: &Desk, recruiter: &str, epoch: u32, rng: &mut DeterministicRng) -> [u8; 64] {
    let relay = relay_epoch_key(&[3; 32], epoch).unwrap();
    let request = OprfRequest::blind(&canonical_recruiter(recruiter, None).unwrap(), rng).unwrap();
    let relay_step = relay.evaluate_blinded(request.blinded_element()).unwrap();
    let org_step = desk.evaluate_escrow_oprf(epoch, &relay_step).await.unwrap();
    *request.finalize(&org_step).unwrap().as_bytes()
}

#[tokio::test]
async fn the_desk_evaluates_its_oprf_step_with_a_kept_per_epoch_key() {
    let (dir, desk) = fresh_desk().await;
    let mut rng = DeterministicRng::new("desk escrow oprf");
    let first = output(&desk, "Himal Overseas", 7, &mut rng).await;
    // Another blind, the same recruiter and epoch: the same output.
    assert_eq!(output(&desk, "Himal Overseas", 7, &mut rng).await, first);
    assert_ne!(
        output(&desk, "Gulf Star Manpower", 7, &mut rng).await,
        first
    );
    assert_ne!(
        output(&desk, "Himal Overseas", 8, &mut rng).await,
        first,
        "the key rotates with the epoch"
    );

    // Without the desk's step the phone gets something else.
    let request = OprfRequest::blind(
        &canonical_recruiter("Himal Overseas", None).unwrap(),
        &mut rng,
    )
    .unwrap();
    let relay_only = relay_epoch_key(&[3; 32], 7)
        .unwrap()
        .evaluate_blinded(request.blinded_element())
        .unwrap();
    assert_ne!(*request.finalize(&relay_only).unwrap().as_bytes(), first);

    // The key is kept: after a restart the desk evaluates alike.
    drop(desk);
    let desk = Desk::open(dir.path(), &Passphrase::new(PASSPHRASE))
        .await
        .unwrap();
    assert_eq!(output(&desk, "Himal Overseas", 7, &mut rng).await, first);

    // A desk of another organisation has another key.
    let (_other_dir, other) = fresh_desk().await;
    assert_ne!(output(&other, "Himal Overseas", 7, &mut rng).await, first);
}

#[tokio::test]
async fn a_bad_element_gets_a_specific_error() {
    let (_dir, desk) = fresh_desk().await;
    for bad in [vec![0xff; 32], vec![1; 31], vec![]] {
        let err = desk.evaluate_escrow_oprf(1, &bad).await.unwrap_err();
        assert_eq!(err.code(), "escrow_invalid_element", "{bad:?}: {err}");
    }
}

/// `n` escrow submissions about one recruiter to `org` (threshold `k`), each from its own
/// device, with the report's text `text-{i}`; and the tag.
fn submissions(
    org: workvoice_proto::keys::OrgId,
    key: &workvoice_proto::keys::HpkePrivateKey,
    output: [u8; 64],
    k: u8,
    n: u8,
    rng: &mut DeterministicRng,
) -> (String, Vec<Vec<u8>>) {
    use workvoice_proto::escrow::{
        EscrowParams, EscrowSecrets, EscrowedReport, ParsedEscrow, oprf_output_for_tests,
        seal_escrow,
    };
    let output = oprf_output_for_tests(output);
    let mut out = Vec::new();
    let mut tag = String::new();
    for i in 0..n {
        let (mut report, _) = crate::common::sample(0, rng);
        report.free_text = format!("text-{i}");
        let (tags, consent) = (report.routing_tags(), report.consent);
        let envelope = workvoice_proto::envelope::seal(
            &report.encode(),
            report.report_id,
            &[(org, key.public_key())],
            &workvoice_proto::routing::disclosure_digest(&tags, &consent),
            rng,
        )
        .unwrap();
        let escrowed = EscrowedReport {
            tags,
            consent,
            mailbox_token_hash: workvoice_proto::recovery::mailbox_token_hash(&[9; 32]),
            envelope,
        };
        let sealed = seal_escrow(
            &output,
            &EscrowParams {
                org,
                epoch: 1,
                threshold: k,
            },
            &key.public_key(),
            &escrowed.to_bytes(),
            EscrowSecrets {
                device_secret: &[i + 1; 32],
                withdrawal_secret: &[i + 50; 32],
            },
            rng,
        )
        .unwrap();
        tag = hex::encode(ParsedEscrow::parse(&sealed).unwrap().header.tag);
        out.push(sealed);
    }
    (tag, out)
}

fn group(tag: &str, escrows: &[Vec<u8>]) -> workvoice_proto::api::EscrowGroup {
    use base64::Engine;
    workvoice_proto::api::EscrowGroup {
        tag: tag.to_string(),
        sources: escrows.len() as u64,
        escrows: escrows
            .iter()
            .map(|e| base64::engine::general_purpose::STANDARD.encode(e))
            .collect(),
    }
}

fn free_texts(opened: &workvoice_desk::desk::OpenedGroup) -> Vec<Result<String, String>> {
    opened
        .members
        .iter()
        .map(|m| m.outcome.clone().map(|(c, _)| c.report.free_text))
        .collect()
}

/// The desk's opening of a released group (`PROTOCOL.md` 18.11) without a relay: the group
/// opens from `k` shares, a part released later opens with the shares kept from before, a
/// member whose report was altered is kept aside with its code while the others open, and a
/// group that cannot give its key, mixes tags, or has a threshold below the desk's is refused.
#[test]
fn a_released_group_opens_and_a_bad_one_is_refused_with_its_code() {
    use workvoice_desk::desk::open_escrow_group;
    use workvoice_proto::keys::{HpkePrivateKey, OrgId};
    let mut rng = DeterministicRng::new("desk escrow groups");
    let org = OrgId([4; 16]);
    let key = HpkePrivateKey::generate(&mut rng);
    let keyring = vec![(1, key.clone())];
    let (tag, subs) = submissions(org, &key, [1; 64], 3, 4, &mut rng);

    let opened = open_escrow_group(&group(&tag, &subs[..3]), &[], org, &keyring, 3, 0).unwrap();
    assert_eq!(
        free_texts(&opened),
        vec![
            Ok("text-0".into()),
            Ok("text-1".into()),
            Ok("text-2".into())
        ]
    );
    assert_eq!((opened.row.threshold, opened.row.epoch), (3, 1));
    // The fourth, released later, alone: opens only with the three kept before.
    let late = group(&tag, &subs[3..]);
    assert_eq!(
        open_escrow_group(&late, &[], org, &keyring, 3, 0).unwrap_err(),
        "escrow_not_enough_shares"
    );
    let opened = open_escrow_group(&late, &subs[..3], org, &keyring, 3, 0).unwrap();
    assert_eq!(free_texts(&opened), vec![Ok("text-3".into())]);

    // A report altered in its last byte: kept aside, the others open.
    let mut altered = subs[..3].to_vec();
    *altered[1].last_mut().unwrap() ^= 1;
    let opened = open_escrow_group(&group(&tag, &altered), &[], org, &keyring, 3, 0).unwrap();
    assert_eq!(
        free_texts(&opened),
        vec![
            Ok("text-0".into()),
            Err("escrow_report_unopenable".into()),
            Ok("text-2".into())
        ]
    );

    // Two shares of three: refused. Another organisation's key: no share opens.
    assert_eq!(
        open_escrow_group(&group(&tag, &subs[..2]), &[], org, &keyring, 3, 0).unwrap_err(),
        "escrow_not_enough_shares"
    );
    let stranger = vec![(1, HpkePrivateKey::generate(&mut rng))];
    assert_eq!(
        open_escrow_group(&group(&tag, &subs[..3]), &[], org, &stranger, 3, 0).unwrap_err(),
        "escrow_not_enough_shares"
    );
    // A submission of another recruiter's group slipped in.
    let (_, other) = submissions(org, &key, [2; 64], 3, 1, &mut rng);
    let mixed = [subs[0].clone(), subs[1].clone(), other[0].clone()];
    assert_eq!(
        open_escrow_group(&group(&tag, &mixed), &[], org, &keyring, 3, 0).unwrap_err(),
        "escrow_mixed_groups"
    );
    // Escrowed with k = 2 where the desk's own threshold is 3.
    let (low_tag, low) = submissions(org, &key, [3; 64], 2, 2, &mut rng);
    assert_eq!(
        open_escrow_group(&group(&low_tag, &low), &[], org, &keyring, 3, 0).unwrap_err(),
        "escrow_threshold_below_own"
    );
    // Not base64.
    let mut bad = group(&tag, &subs[..3]);
    bad.escrows[0] = "not base64!".into();
    assert_eq!(
        open_escrow_group(&bad, &[], org, &keyring, 3, 0).unwrap_err(),
        "escrow_malformed"
    );
}
