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
