//! The phone process killed (SIGKILL) while it sends, restarted on the same data directory:
//! first at the worst moment (the relay stored a report and answered, the answer had not
//! reached the phone), then at seeded random moments; it resumes and nothing is lost or
//! doubled.

use std::time::{Duration, Instant};

use workvoice_tests::proxy::{Fault, FaultKind, FaultPlan};
use workvoice_tests::world::{Backend, World};

use crate::{deliver_and_answer, finish_all, seed, serial, workers_with_reports};

fn phone_killed_mid_send(backend: Backend) {
    let _one_at_a_time = serial();
    let started = Instant::now();
    let scenario = format!("phone kill -9, {}", backend.label());
    let seed = seed(&scenario);
    let world = World::new(backend, FaultPlan::Offline).unwrap();
    let mut workers = workers_with_reports(&world, 1, 4);
    let total = 4;

    // 1. The relay stores the first submission and answers; the answer is held in the
    //    network, and the phone is killed before it arrives.
    world
        .phone_proxy
        .set_plan(FaultPlan::Script(std::sync::Arc::new(|request| {
            if request.is_submission() && request.n == 1 {
                Fault::Hold(Duration::from_secs(20))
            } else {
                Fault::Pass
            }
        })));
    let mut send = workers[0].phone.spawn_send(60).unwrap();
    let until = Instant::now() + Duration::from_secs(60);
    while world.phone_proxy.stats().holding == 0 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(world.phone_proxy.stats().holding, 1, "an answer is held");
    send.kill9();
    let stored = world.inbox_counts(&world.union).unwrap();
    assert_eq!(stored.len(), 1, "the relay stored the held submission");
    let held_id = stored.keys().next().cloned().unwrap();
    world.phone_proxy.set_plan(FaultPlan::Offline);
    let outbox = workers[0].phone.outbox().unwrap();
    let held = outbox
        .iter()
        .find(|l| l.report_id == held_id)
        .unwrap_or_else(|| {
            panic!("the phone knows report {held_id} (sealed before sending): {outbox:?}")
        });
    assert!(
        !held.state.accepted(),
        "the phone never heard the relay's answer: {held:?}"
    );

    // 2. Killed again at random moments while the network delays, holds and cuts answers.
    let mut rng = seed;
    let mut kills = Vec::new();
    for round in 0..3u64 {
        world.phone_proxy.set_plan(FaultPlan::Random {
            seed: seed.wrapping_add(round),
            percent: 60,
            kinds: vec![FaultKind::Hold, FaultKind::Truncate, FaultKind::Delay],
            max_delay: Duration::from_millis(1_500),
            only: Some("/v1/submissions".into()),
            budget: 20,
            hit_first: None,
        });
        rng = rng
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let after = Duration::from_millis(150 + (rng >> 33) % 1_200);
        let mut send = workers[0].phone.spawn_send(60).unwrap();
        std::thread::sleep(after);
        let running = send.is_running();
        send.kill9();
        kills.push((after.as_millis(), running));
    }
    assert!(
        kills.iter().any(|(_, running)| *running),
        "at least one kill hit a running send: {kills:?}"
    );

    // 3. Restarted once more, with the network back: it resumes and finishes.
    world.phone_proxy.set_plan(FaultPlan::None);
    let mut last = vec![workers[0].phone.spawn_send(60).unwrap()];
    finish_all(&mut last, &workers, Duration::from_secs(90));
    let counts = world.inbox_counts(&world.union).unwrap();
    assert_eq!(counts.len(), total, "{counts:?}");
    assert_eq!(counts[&held_id], 1, "the held report was not stored twice");

    let delivery = deliver_and_answer(&world, &workers);
    assert_eq!(delivery.reports, total);
    eprintln!(
        "e2e[{scenario}]: killed while the relay's answer was held, then at {kills:?} (ms, running); \
         {} submissions posted; {:.1} s",
        world
            .phone_proxy
            .stats()
            .request_count("POST /v1/submissions"),
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn phone_killed_mid_send_resumes_on_the_same_data_sqlite() {
    phone_killed_mid_send(Backend::Sqlite);
}
