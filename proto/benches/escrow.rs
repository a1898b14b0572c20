//! The phone's cost of escrowing a report against sending it plainly, measured in one run.
//!
//! `cargo bench -p workvoice-proto --bench escrow` prints, for a 1 KiB report sealed to one
//! organisation: a plain seal (the baseline, `envelope::seal`), and the escrowed path on the
//! phone: the same seal, the OPRF's `Blind` and `Finalize` (the phone's half of the round trip;
//! the relay's and the organisation's evaluations are timed separately, the network is not),
//! and `seal_escrow` (polynomial, Feldman commitments, share sealed with HPKE, report under the
//! group key). Batches of the two alternate so both see the same load (the method of
//! `benches/envelope.rs`); the ratio is the median of the per-pair ratios.

#[path = "common/paired.rs"]
mod paired;
use paired::paired;
use std::hint::black_box;
use std::time::{Duration, Instant};

use workvoice_proto::envelope;
use workvoice_proto::escrow::{
    EscrowParams, EscrowSecrets, OprfKey, OprfRequest, canonical_recruiter, seal_escrow,
};
use workvoice_proto::keys::{HpkePrivateKey, OrgId, ReportId};
use workvoice_proto::vectors::DeterministicRng;

fn median(budget: Duration, mut f: impl FnMut()) -> f64 {
    let mut samples = Vec::new();
    let start = Instant::now();
    while start.elapsed() < budget || samples.len() < 21 {
        let t = Instant::now();
        f();
        samples.push(t.elapsed().as_secs_f64());
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() {
    let mut rng = DeterministicRng::new("escrow bench");
    let org = OrgId::random(&mut rng);
    let key = HpkePrivateKey::generate(&mut rng);
    let public = vec![(org, key.public_key())];
    let plain = vec![0x42u8; 1024];
    let relay = OprfKey::derive(&[1; 32], b"relay").unwrap_or_else(|_| unreachable!());
    let org_oprf = OprfKey::derive(&[2; 32], b"org").unwrap_or_else(|_| unreachable!());
    let recruiter =
        canonical_recruiter("Everest Manpower Pvt. Ltd.", None).unwrap_or_else(|_| unreachable!());
    let secrets = EscrowSecrets {
        device_secret: &[7; 32],
        withdrawal_secret: &[8; 32],
    };
    let budget = Duration::from_secs(3);

    println!("Escrowed report against a plain seal (1 KiB, one organisation, paired batches)");
    println!(
        "| k | plain seal µs | escrowed µs | ratio | relay eval µs | org eval µs | bytes plain | bytes escrowed |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for k in [3u8, 5, 10] {
        let params = EscrowParams {
            org,
            epoch: 1,
            threshold: k,
        };
        let mut rng_a = DeterministicRng::new("plain");
        let mut rng_b = DeterministicRng::new("escrowed");
        let mut plain_len = 0;
        let mut escrow_len = 0;
        // The servers' halves, precomputed once: the phone's cost is what is timed.
        let probe = OprfRequest::blind(&recruiter, &mut rng_b).unwrap_or_else(|_| unreachable!());
        let z1 = relay
            .evaluate_blinded(probe.blinded_element())
            .unwrap_or_else(|_| unreachable!());
        let z = org_oprf
            .evaluate_blinded(&z1)
            .unwrap_or_else(|_| unreachable!());
        let (t_plain, t_escrow, ratio) = paired(
            budget,
            || {
                let sealed =
                    envelope::seal(&plain, ReportId([1; 16]), &public, &[0; 32], &mut rng_a)
                        .unwrap_or_default();
                plain_len = sealed.len();
                black_box(sealed);
            },
            || {
                let sealed =
                    envelope::seal(&plain, ReportId([1; 16]), &public, &[0; 32], &mut rng_b)
                        .unwrap_or_default();
                // The phone blinds a fresh request (timed), and finalizes with the servers'
                // answer, which is computed outside the phone: `probe`'s, precomputed above,
                // stands in for this request's so that finalize does the same work.
                let request =
                    OprfRequest::blind(&recruiter, &mut rng_b).unwrap_or_else(|_| unreachable!());
                black_box(request.blinded_element());
                let output = probe
                    .finalize(black_box(&z))
                    .unwrap_or_else(|_| unreachable!());
                let escrowed =
                    seal_escrow(&output, &params, &public[0].1, &sealed, secrets, &mut rng_b)
                        .unwrap_or_default();
                escrow_len = escrowed.len();
                black_box(escrowed);
            },
        );
        let relay_eval = median(Duration::from_millis(500), || {
            black_box(
                relay
                    .evaluate_blinded(probe.blinded_element())
                    .unwrap_or([0; 32]),
            );
        });
        let org_eval = median(Duration::from_millis(500), || {
            black_box(org_oprf.evaluate_blinded(&z1).unwrap_or([0; 32]));
        });
        println!(
            "| {k} | {:.1} | {:.1} | {:.2} | {:.1} | {:.1} | {plain_len} | {escrow_len} |",
            t_plain * 1e6,
            t_escrow * 1e6,
            ratio,
            relay_eval * 1e6,
            org_eval * 1e6
        );
    }
}
