//! PostgreSQL restarted twice while four phones send (a clean `fast` restart, then an
//! `immediate` one that recovers from the write-ahead log), in a throwaway cluster this test
//! creates on a free port and removes, so the shared cluster's other databases never see it.
//! The relay process stays up: requests fail during the outage, phones retry, everything
//! arrives exactly once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use workvoice_tests::postgres::ThrowawayCluster;
use workvoice_tests::proxy::{FaultKind, FaultPlan};
use workvoice_tests::world::{Backend, World, http_client};

use crate::{deliver_and_answer, finish_all, seed, send_all, serial, workers_with_reports};

/// Asks the relay for the union's inbox every 20 ms while PostgreSQL restarts, and counts the
/// answers that were errors.
struct Probe {
    stop: Arc<AtomicBool>,
    failures: Arc<AtomicUsize>,
    successes: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Probe {
    fn start(world: &World) -> Probe {
        let stop = Arc::new(AtomicBool::new(false));
        let failures = Arc::new(AtomicUsize::new(0));
        let successes = Arc::new(AtomicUsize::new(0));
        let url = format!("{}/v1/org/inbox?limit=1", world.relay_url().unwrap());
        let token = world.union.token.clone();
        let (s, f, ok) = (stop.clone(), failures.clone(), successes.clone());
        let client = http_client();
        let task = world.runtime.spawn(async move {
            while !s.load(Ordering::Relaxed) {
                let answer = client
                    .get(&url)
                    .bearer_auth(&token)
                    .timeout(Duration::from_secs(2))
                    .send()
                    .await;
                match answer {
                    Ok(r) if r.status().is_success() => ok.fetch_add(1, Ordering::Relaxed),
                    _ => f.fetch_add(1, Ordering::Relaxed),
                };
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        Probe {
            stop,
            failures,
            successes,
            task,
        }
    }

    fn stop(self, world: &World) -> (usize, usize) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = world.runtime.block_on(self.task);
        (
            self.failures.load(Ordering::Relaxed),
            self.successes.load(Ordering::Relaxed),
        )
    }
}

#[test]
fn postgres_restarted_under_load_in_a_throwaway_cluster() {
    let _one_at_a_time = serial();
    let started = Instant::now();
    let scenario = "postgres restart";
    let seed = seed(scenario);
    let cluster = ThrowawayCluster::start().unwrap();
    eprintln!(
        "e2e[{scenario}]: throwaway cluster on port {} ready in {:.1} s",
        cluster.port,
        started.elapsed().as_secs_f64()
    );
    let mut world = World::new(
        Backend::PostgresUrl(cluster.url.clone()),
        FaultPlan::Offline,
    )
    .unwrap();
    let mut workers = workers_with_reports(&world, 4, 3);
    let total = 12;
    world.phone_proxy.set_plan(FaultPlan::Random {
        seed,
        percent: 100,
        kinds: vec![FaultKind::Delay],
        max_delay: Duration::from_millis(400),
        only: Some("/v1/submissions".into()),
        budget: 1_000,
        hit_first: None,
    });
    let mut sends = send_all(&mut workers, 150);
    let probe = Probe::start(&world);

    let before_fast = world.wait_for_union_inbox(2, Duration::from_secs(60));
    let busy_fast = sends
        .iter_mut()
        .map(|s| usize::from(s.is_running()))
        .sum::<usize>();
    let fast = cluster.restart("fast").unwrap();
    let before_immediate = world.wait_for_union_inbox(before_fast + 3, Duration::from_secs(60));
    let busy_immediate = sends
        .iter_mut()
        .map(|s| usize::from(s.is_running()))
        .sum::<usize>();
    let immediate = cluster.restart("immediate").unwrap();
    assert!(
        before_fast < total && busy_fast > 0,
        "the first restart came under load ({before_fast} of {total} in)"
    );

    finish_all(&mut sends, &workers, Duration::from_secs(180));
    let (failures, successes) = probe.stop(&world);
    assert!(
        world.relay.as_mut().unwrap().is_running(),
        "the relay process rode out both restarts"
    );
    assert!(successes > 0, "the probe reached the relay");

    let delivery = deliver_and_answer(&world, &workers);
    assert_eq!(delivery.reports, total);
    eprintln!(
        "e2e[{scenario}]: fast restart with {before_fast} of {total} in ({busy_fast} phones busy), \
         down {:.2} s; immediate restart with {before_immediate} in ({busy_immediate} busy), down \
         {:.2} s; relay answered {failures} probe requests with errors and {successes} normally; \
         {} submissions posted; {:.1} s",
        fast.as_secs_f64(),
        immediate.as_secs_f64(),
        world
            .phone_proxy
            .stats()
            .request_count("POST /v1/submissions"),
        started.elapsed().as_secs_f64()
    );
    drop(world);
    drop(cluster);
}
