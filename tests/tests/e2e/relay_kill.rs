//! `kill -9` of the relay while four phones are sending, then a restart on the same database
//! (SQLite file or PostgreSQL database): the phones retry through the outage and everything
//! arrives exactly once.

use std::time::{Duration, Instant};

use workvoice_tests::proxy::{FaultKind, FaultPlan};
use workvoice_tests::world::{Backend, World};

use crate::{deliver_and_answer, finish_all, seed, send_all, serial, workers_with_reports};

fn relay_killed_under_load(backend: Backend) {
    let _one_at_a_time = serial();
    let started = Instant::now();
    let scenario = format!("relay kill -9, {}", backend.label());
    let seed = seed(&scenario);
    let mut world = World::new(backend, FaultPlan::Offline).unwrap();
    let mut workers = workers_with_reports(&world, 4, 3);
    let total = 12;

    // Every submission waits 100–400 ms in the network, so the load spreads over time.
    world.phone_proxy.set_plan(FaultPlan::Random {
        seed,
        percent: 100,
        kinds: vec![FaultKind::Delay],
        max_delay: Duration::from_millis(400),
        only: Some("/v1/submissions".into()),
        budget: 1_000,
        hit_first: None,
    });
    let mut sends = send_all(&mut workers, 120);
    let before = world.wait_for_union_inbox(3, Duration::from_secs(60));
    let still_sending = sends
        .iter_mut()
        .map(|s| usize::from(s.is_running()))
        .sum::<usize>();
    world.kill_relay();
    assert!(before >= 3, "reports arrived before the kill ({before})");
    assert!(
        before < total && still_sending > 0,
        "the kill came while phones were sending ({before} of {total} in, {still_sending} phones busy)"
    );

    // The relay is gone for a while: the phones' requests fail and back off.
    let unreachable_before = world.phone_proxy.stats().upstream_unreachable;
    std::thread::sleep(Duration::from_millis(1_500));
    world.start_relay().unwrap();
    finish_all(&mut sends, &workers, Duration::from_secs(150));
    let stats = world.phone_proxy.stats();
    assert!(
        stats.upstream_unreachable > unreachable_before,
        "phones knocked on the dead relay: {stats:?}"
    );

    let delivery = deliver_and_answer(&world, &workers);
    assert_eq!(delivery.reports, total);
    eprintln!(
        "e2e[{scenario}]: killed with {before} of {total} in and {still_sending} phones sending; \
         {} connections to the dead relay; {} submissions posted; {:.1} s",
        stats.upstream_unreachable - unreachable_before,
        stats.request_count("POST /v1/submissions"),
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn relay_killed_under_load_restarts_on_the_same_database_sqlite() {
    relay_killed_under_load(Backend::Sqlite);
}

#[test]
fn relay_killed_under_load_restarts_on_the_same_database_postgres() {
    relay_killed_under_load(Backend::Postgres);
}
