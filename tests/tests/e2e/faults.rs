//! Phones → relay → desk → phones through a network that drops, resets, delays, truncates and
//! holds connections (seeded random, bounded), on SQLite and on PostgreSQL.

use std::time::{Duration, Instant};

use workvoice_tests::proxy::{FaultKind, FaultPlan};
use workvoice_tests::world::{Backend, World};

use crate::{deliver_and_answer, finish_all, seed, send_all, serial, workers_with_reports};

fn reports_cross_a_faulty_network(backend: Backend) {
    let _one_at_a_time = serial();
    let started = Instant::now();
    let scenario = format!("network faults, {}", backend.label());
    let seed = seed(&scenario);
    let world = World::new(backend, FaultPlan::Offline).unwrap();
    // Three workers write two reports each with no signal.
    let mut workers = workers_with_reports(&world, 3, 2);
    let offline = world.phone_proxy.stats();
    assert!(offline.fault_count(FaultKind::Drop) > 0, "the phones tried");
    assert_eq!(
        world.inbox_counts(&world.union).unwrap().len(),
        0,
        "nothing arrived while offline"
    );

    // Signal comes back, badly: about half the connections fail one way or another. Delays
    // and holds last up to 2.5 s, beyond the phones' 2 s timeout. The first submission is
    // always hit, so that the scenario does not depend on where the draws land (they may all
    // land on directory fetches and mailbox polls when the machine is slow).
    world.phone_proxy.set_plan(FaultPlan::Random {
        seed,
        percent: 50,
        kinds: vec![
            FaultKind::Drop,
            FaultKind::Reset,
            FaultKind::Delay,
            FaultKind::Truncate,
            FaultKind::Hold,
        ],
        max_delay: Duration::from_millis(2_500),
        only: None,
        budget: 60,
        hit_first: Some("POST /v1/submissions".into()),
    });
    let mut sends = send_all(&mut workers, 120);
    finish_all(&mut sends, &workers, Duration::from_secs(150));
    let stats = world.phone_proxy.stats();
    for kind in [
        FaultKind::Drop,
        FaultKind::Reset,
        FaultKind::Delay,
        FaultKind::Truncate,
        FaultKind::Hold,
    ] {
        assert!(
            stats.fault_count(kind) > 0,
            "{kind:?} was injected: {:?}",
            stats.faults
        );
    }
    let submission_faults: usize = stats
        .faults_by_request
        .iter()
        .filter(|((key, _), _)| key == "POST /v1/submissions")
        .map(|(_, n)| n)
        .sum();
    assert!(
        submission_faults > 0,
        "submissions were hit: {:?}",
        stats.faults_by_request
    );
    // A submission cut off before its answer reached the phone (dropped, reset or truncated) is
    // sent again; a delayed or held one is answered late and is not. Which kinds land on the
    // six submissions depends on the seed.
    let cut_off_submissions: usize = stats
        .faults_by_request
        .iter()
        .filter(|((key, kind), _)| {
            key == "POST /v1/submissions"
                && matches!(
                    kind,
                    FaultKind::Drop | FaultKind::Reset | FaultKind::Truncate
                )
        })
        .map(|(_, n)| n)
        .sum();
    assert!(
        stats.request_count("POST /v1/submissions") >= 6 + cut_off_submissions.min(1),
        "faults forced resubmissions: {:?}, cut off {cut_off_submissions}",
        stats.requests
    );

    let delivery = deliver_and_answer(&world, &workers);
    assert_eq!(delivery.reports, 6);
    assert_eq!(delivery.inspectorate_entries, 3);
    eprintln!(
        "e2e[{scenario}]: {} connections, faults {:?}, {} submissions posted for 6 reports; {:.1} s",
        stats.connections,
        stats.faults,
        stats.request_count("POST /v1/submissions"),
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn reports_cross_a_faulty_network_to_the_desk_and_back_sqlite() {
    reports_cross_a_faulty_network(Backend::Sqlite);
}

#[test]
fn reports_cross_a_faulty_network_to_the_desk_and_back_postgres() {
    reports_cross_a_faulty_network(Backend::Postgres);
}
