//! Oblivious HTTP across processes (`PROTOCOL.md` 14.8): phones (`workvoice-cli` over the real
//! core) → a proxy that connects from the phones' own address (127.0.0.7) → a partner's
//! `workvoice-ohttp-relay` → the relay's gateway (`workvoice-relay serve`) → the union's desk,
//! and the replies back. The relay's signed directory lists the OHTTP relay, and the core
//! encapsulates every request to the relay; only the first directory fetch, before any gateway
//! key is known, goes directly.
//!
//! On the way: the OHTTP relay is killed while the phones send and started again; the operator
//! rotates the gateway key (`workvoice-relay ohttp rotate`) and the phones' next requests use
//! the new one; with every OHTTP relay gone, a phone whose worker chose to wait sends nothing
//! and says so, and sends directly once she chooses that. Then every report is delivered exactly
//! once and every reply comes back ([`deliver_and_answer`]), every request the OHTTP relay
//! carried has one size, and neither the relay's logs and files nor the OHTTP relay's log hold
//! the phones' address, and the OHTTP relay's log holds none of the reports' text.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use workvoice_proto::oblivious::{ENCAPSULATION_OVERHEAD, PADDED_SIZES};
use workvoice_tests::binaries::{OHTTP_RELAY, binary};
use workvoice_tests::phone::{ReportSpec, parse_outbox};
use workvoice_tests::process::Spawned;
use workvoice_tests::proxy::{FaultKind, FaultPlan, FaultProxy};
use workvoice_tests::world::{Backend, World};

use crate::{deliver_and_answer, finish_all, seed, send_all, serial, workers_with_reports};

/// Where the phones are on the network: only the OHTTP relay may see it.
const PHONES_ADDRESS: &str = "127.0.0.7";
/// What a phone that waits for a private route says (English): the notice, and the detail of
/// each report that waits.
const WAITING: &str = "The private route is not answering";

struct OhttpRelay {
    process: Spawned,
    port: u16,
}

/// `workvoice-ohttp-relay` forwarding to `gateway`, on a port of its own; its log in `dir`.
fn start_ohttp_relay(dir: &Path, gateway: &str, n: usize) -> OhttpRelay {
    let log = dir.join(format!("ohttp-relay-{n}.log"));
    let mut command = Command::new(binary(OHTTP_RELAY));
    command.env_clear().args([
        "--gateway",
        gateway,
        "--listen",
        "127.0.0.1:0",
        // All the phones share one address here.
        "--rate-per-second",
        "1000",
        "--burst",
        "1000",
    ]);
    let mut process = Spawned::start(&format!("OHTTP relay #{n}"), &mut command, &log).unwrap();
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let output = process.output();
        let port = output
            .lines()
            .filter(|l| l.contains("OHTTP relay listening"))
            .flat_map(str::split_whitespace)
            .find_map(|w| w.strip_prefix("address="))
            .and_then(|a| a.rsplit(':').next()?.parse::<u16>().ok());
        if let Some(port) = port {
            return OhttpRelay { process, port };
        }
        assert!(
            process.is_running() && Instant::now() < until,
            "the OHTTP relay did not say where it listens:\n{output}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The gateway key ids the relay's served directory lists, current first.
fn listed_key_ids(world: &World) -> Vec<u8> {
    let url = format!("{}/v1/directory", world.relay_url().unwrap());
    let served = world
        .runtime
        .block_on(async { world.http.get(url).send().await?.bytes().await })
        .unwrap();
    let verified = workvoice_proto::directory::verify_directory(
        &served,
        &world.fixture.root.public_key(),
        workvoice_relay::domain::unix_now(),
        0,
    )
    .unwrap();
    verified
        .listing
        .oblivious
        .map(|o| {
            o.key_configs
                .iter()
                .map(|c| {
                    workvoice_proto::oblivious::GatewayKeyConfig::parse(c)
                        .unwrap()
                        .key_id
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Every byte of every file under `dir`.
fn files_hold(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_hold(&path, needle));
        } else if std::fs::read(&path)
            .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
        {
            found.push(path.display().to_string());
        }
    }
    found
}

#[test]
fn phones_reach_the_relay_through_an_ohttp_relay_and_their_address_stays_there() {
    let _one_at_a_time = serial();
    let started = Instant::now();
    let seed = seed("oblivious http");
    let network = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    // The phones' side of the OHTTP relay: its address is in the directory before the relay
    // starts; it follows the OHTTP relay across restarts.
    let ohttp_proxy = FaultProxy::start(network.handle(), 1, FaultPlan::None).unwrap();
    ohttp_proxy.set_source(PHONES_ADDRESS.parse().unwrap());
    let world = World::with_relay_env(
        Backend::Sqlite,
        FaultPlan::Offline,
        vec![
            (
                "WORKVOICE_OHTTP_RELAYS".into(),
                format!("{}/", ohttp_proxy.url()),
            ),
            ("WORKVOICE_MAINTENANCE_INTERVAL_SECS".into(), "1".into()),
            ("WORKVOICE_LOG_LEVEL".into(), "trace".into()),
        ],
    )
    .unwrap();
    world
        .phone_proxy
        .set_source(PHONES_ADDRESS.parse().unwrap());
    let gateway = format!("{}/v1/ohttp", world.relay_url().unwrap());
    let logs = world.path().join("ohttp-logs");
    std::fs::create_dir_all(&logs).unwrap();
    let mut ohttp = start_ohttp_relay(&logs, &gateway, 1);
    ohttp_proxy.set_upstream(ohttp.port);
    let first_keys = listed_key_ids(&world);
    assert_eq!(first_keys.len(), 1, "one gateway key at first");

    // Written offline; sent through the OHTTP relay, each request 100–400 ms on the way, and
    // the OHTTP relay killed while they go.
    let mut workers = workers_with_reports(&world, 3, 3);
    let total = 9;
    world.phone_proxy.set_plan(FaultPlan::None);
    ohttp_proxy.set_plan(FaultPlan::Random {
        seed,
        percent: 100,
        kinds: vec![FaultKind::Delay],
        max_delay: Duration::from_millis(400),
        only: None,
        budget: 10_000,
        hit_first: None,
    });
    let mut sends = send_all(&mut workers, 120);
    let before = world.wait_for_union_inbox(2, Duration::from_secs(60));
    let still_sending = sends
        .iter_mut()
        .map(|s| usize::from(s.is_running()))
        .sum::<usize>();
    ohttp.process.kill9();
    assert!(before >= 2, "reports arrived before the kill ({before})");
    assert!(
        before < total && still_sending > 0,
        "the kill came while phones were sending ({before} of {total} in)"
    );
    let unreachable_before = ohttp_proxy.stats().upstream_unreachable;
    std::thread::sleep(Duration::from_millis(1_500));
    ohttp = start_ohttp_relay(&logs, &gateway, 2);
    ohttp_proxy.set_upstream(ohttp.port);
    finish_all(&mut sends, &workers, Duration::from_secs(150));
    assert!(
        ohttp_proxy.stats().upstream_unreachable > unreachable_before,
        "phones knocked on the dead OHTTP relay"
    );
    ohttp_proxy.set_plan(FaultPlan::None);

    // The operator rotates the gateway key; the relay lists both; each phone's next report
    // fetches the directory under the old key and is sent under the new one.
    let said = world.relay_config.admin(&["ohttp", "rotate"]).unwrap();
    let until = Instant::now() + Duration::from_secs(30);
    let rotated = loop {
        let ids = listed_key_ids(&world);
        if ids.len() == 2 {
            break ids;
        }
        assert!(
            Instant::now() < until,
            "no directory lists the new key: {said}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(rotated[1], first_keys[0], "the old key is still listed");
    let (old_key, new_key) = (first_keys[0], rotated[0]);
    assert_ne!(old_key, new_key);
    let mark = ohttp_proxy.stats().bodies.len();
    for (p, worker) in workers.iter_mut().enumerate() {
        let spec = ReportSpec::new(&world.tag, p, 3, false);
        worker.phone.report(&spec).unwrap();
        worker.reports.push(spec);
        let outbox = worker.phone.send(60).unwrap();
        assert!(outbox.iter().all(|l| l.state.accepted()), "{outbox:?}");
    }
    let bodies = ohttp_proxy.stats().bodies;
    let key_ids = |seen: &[workvoice_tests::proxy::SeenBody]| -> BTreeSet<Option<u8>> {
        seen.iter().map(|b| b.first).collect()
    };
    assert_eq!(
        key_ids(&bodies[..mark]),
        BTreeSet::from([Some(old_key)]),
        "before the rotation every request is under the first key"
    );
    let after = key_ids(&bodies[mark..]);
    assert!(
        after.contains(&Some(new_key)),
        "the phones picked up the new key: {after:?}"
    );
    assert_eq!(
        bodies.last().and_then(|b| b.first),
        Some(new_key),
        "the last request is under the new key"
    );

    // Until now the relay saw the phones directly only when they knew no gateway key yet.
    let direct: BTreeSet<String> = world.phone_proxy.stats().requests.keys().cloned().collect();
    assert_eq!(
        direct,
        BTreeSet::from(["GET /v1/directory".to_string()]),
        "only the first directory fetch goes directly"
    );

    // Every OHTTP relay gone: a phone that waits sends nothing and tells its worker; once she
    // chooses to send directly, it does.
    ohttp.process.kill9();
    let spec = ReportSpec::new(&world.tag, 0, 4, false);
    workers[0].phone.report(&spec).unwrap();
    workers[0].reports.push(spec);
    let waiting = workers[0].phone.send_output(4).unwrap();
    assert!(waiting.contains(WAITING), "{waiting}");
    assert!(
        parse_outbox(&waiting).iter().any(|l| !l.state.accepted()),
        "{waiting}"
    );
    assert_eq!(
        world
            .phone_proxy
            .stats()
            .request_count("POST /v1/submissions"),
        0,
        "nothing went directly while the worker waits"
    );
    let said = workers[0].phone.route("direct").unwrap();
    assert!(said.contains("send directly"), "{said}");
    let outbox = workers[0].phone.send(60).unwrap();
    assert!(outbox.iter().all(|l| l.state.accepted()), "{outbox:?}");
    assert_eq!(
        world
            .phone_proxy
            .stats()
            .request_count("POST /v1/submissions"),
        1,
        "the report went directly once she chose it"
    );

    // A new OHTTP relay; replies and statuses come back through it.
    ohttp = start_ohttp_relay(&logs, &gateway, 3);
    ohttp_proxy.set_upstream(ohttp.port);
    let delivery = deliver_and_answer(&world, &workers);
    assert_eq!(delivery.reports, total + 3 + 1);

    // What the OHTTP relay carried: directory fetches, submissions, mailbox polls, all one
    // size (the smallest padded size and the encapsulation).
    let stats = ohttp_proxy.stats();
    let sizes: BTreeSet<usize> = stats.bodies.iter().map(|b| b.len).collect();
    assert_eq!(
        sizes,
        BTreeSet::from([PADDED_SIZES[0] + ENCAPSULATION_OVERHEAD]),
        "every request the OHTTP relay carried has one size"
    );
    let kinds: BTreeSet<&String> = stats.requests.keys().collect();
    assert_eq!(kinds.len(), 1, "only POST / at the OHTTP relay: {kinds:?}");
    assert!(
        stats.bodies.len() > delivery.reports * 2,
        "the phones' polls went through it too ({} requests)",
        stats.bodies.len()
    );

    // Nobody but the OHTTP relay saw the phones' address; it saw none of their words.
    let relay_logs = world.relay_config.log_dir.clone();
    let relay_log: String = std::fs::read_dir(&relay_logs)
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect();
    assert!(
        relay_log.contains("/v1/ohttp"),
        "the relay logs its requests"
    );
    assert_eq!(
        files_hold(&relay_logs, PHONES_ADDRESS.as_bytes()),
        Vec::<String>::new()
    );
    assert_eq!(
        files_hold(&world.relay_config.data_dir, PHONES_ADDRESS.as_bytes()),
        Vec::<String>::new()
    );
    let ohttp_log: String = (1..=3)
        .map(|n| std::fs::read_to_string(logs.join(format!("ohttp-relay-{n}.log"))).unwrap())
        .collect();
    assert!(ohttp_log.contains("forwarded"), "{ohttp_log}");
    assert!(!ohttp_log.contains(PHONES_ADDRESS), "{ohttp_log}");
    assert!(!ohttp_log.contains(&world.tag), "{ohttp_log}");
    eprintln!(
        "e2e[oblivious http]: {} reports, {} requests through the OHTTP relay (each {} bytes), \
         keys {old_key} → {new_key}, {:.1} s",
        delivery.reports,
        stats.bodies.len(),
        PADDED_SIZES[0] + ENCAPSULATION_OVERHEAD,
        started.elapsed().as_secs_f64()
    );
    drop(ohttp);
}
