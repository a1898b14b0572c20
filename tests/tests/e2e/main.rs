//! End to end across real processes: phones (`workvoice-cli` over the real core and vault) →
//! a fault-injecting proxy → the relay (`workvoice-relay serve`, SQLite or PostgreSQL) → the
//! union's desk (`workvoice-desk` binary; replies and statuses through its library) → back to
//! the phones' mailboxes. Each scenario injects faults (network, `kill -9` of the relay, of a
//! phone, a PostgreSQL restart) and then proves the same things with [`deliver_and_answer`]:
//! every report is in each recipient's inbox exactly once and opens to exactly what its phone
//! wrote, and every reply the relay acknowledged is in the phone's mailbox view.
//!
//! The scenarios run one at a time ([`serial`]): the machine may have two cores, and each
//! scenario runs a dozen processes. THREATS.md ("End-to-end and fault injection") lists them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod faults;
mod oblivious;
mod phone_kill;
mod postgres_restart;
mod relay_kill;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use workvoice_desk::cases::CaseStatus;
use workvoice_desk::{Desk, Passphrase};
use workvoice_tests::desk::DESK_PASSPHRASE;
use workvoice_tests::phone::{OutboxLine, Phone, ReportSpec};
use workvoice_tests::process::Spawned;
use workvoice_tests::world::World;

static SERIAL: Mutex<()> = Mutex::new(());

/// One scenario at a time in this binary (a failed one does not block the others).
pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// The seed of the random fault plans: `WORKVOICE_E2E_SEED`, else the clock (printed, so a
/// failing run can be replayed).
pub fn seed(scenario: &str) -> u64 {
    let seed = std::env::var("WORKVOICE_E2E_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    eprintln!("e2e[{scenario}]: fault seed {seed} (WORKVOICE_E2E_SEED={seed} to replay)");
    seed
}

/// A phone and the reports its worker wrote.
#[derive(Debug)]
pub struct Worker {
    pub phone: Phone,
    pub reports: Vec<ReportSpec>,
}

/// `count` phones, each with `per_phone` reports written while there is no signal (the
/// world's phone proxy must be offline); odd-numbered reports also consent to the
/// inspectorate.
pub fn workers_with_reports(world: &World, count: usize, per_phone: usize) -> Vec<Worker> {
    let mut workers = Vec::new();
    for p in 0..count {
        let phone = world.phone(&format!("phone {p}")).unwrap();
        let mut reports = Vec::new();
        for n in 0..per_phone {
            let spec = ReportSpec::new(&world.tag, p, n, n % 2 == 1);
            let outbox = phone.report(&spec).unwrap();
            assert!(
                outbox.iter().all(|l| !l.state.accepted()),
                "nothing can be sent while offline: {outbox:?}"
            );
            reports.push(spec);
        }
        workers.push(Worker { phone, reports });
    }
    workers
}

/// Start `send` on every phone at once.
pub fn send_all(workers: &mut [Worker], secs: u64) -> Vec<Spawned> {
    workers
        .iter_mut()
        .map(|w| w.phone.spawn_send(secs).unwrap())
        .collect()
}

/// Wait for every `send` to end by itself; each phone's final outbox must show every report
/// accepted by the relay.
pub fn finish_all(sends: &mut [Spawned], workers: &[Worker], limit: Duration) {
    for (send, worker) in sends.iter_mut().zip(workers) {
        let (status, output) = send.finish(limit).unwrap();
        assert!(status.success(), "{}: {status}\n{output}", send.name);
        let outbox = workvoice_tests::phone::parse_outbox(&output);
        assert_eq!(
            outbox.len(),
            worker.reports.len(),
            "{}: {output}",
            send.name
        );
        assert!(
            outbox.iter().all(|l| l.state.accepted()),
            "{}: not everything was accepted:\n{output}",
            send.name
        );
    }
}

/// What [`deliver_and_answer`] measured.
#[derive(Debug, Default)]
pub struct Delivery {
    pub reports: usize,
    pub union_entries: usize,
    pub inspectorate_entries: usize,
    pub replies_acknowledged: usize,
    pub desk_stored: u64,
}

fn phone_outbox(worker: &Worker) -> Vec<OutboxLine> {
    let outbox = worker.phone.outbox().unwrap();
    assert_eq!(outbox.len(), worker.reports.len(), "{outbox:?}");
    assert!(
        outbox.iter().all(|l| l.state.accepted()),
        "{}: {outbox:?}",
        worker.phone.name
    );
    outbox
}

/// The end of every scenario:
/// 1. every report is in the union's inbox exactly once, and in the inspectorate's exactly
///    once when the worker consented (organisation API, counted per report id);
/// 2. the union's desk (binary) syncs: each report is one case in its database, opening to
///    exactly what the phone wrote (its report ids are the ones the phone lists); the
///    inspectorate opens its copies with its key to the same;
/// 3. the desk replies to every case and sets it to "investigating" (library, through the
///    relay); every reply the relay acknowledged is in the phone's mailbox view, under the
///    right report, once, with the status.
pub fn deliver_and_answer(world: &World, workers: &[Worker]) -> Delivery {
    let started = Instant::now();
    let mut by_story: BTreeMap<String, (usize, ReportSpec)> = BTreeMap::new();
    for (p, w) in workers.iter().enumerate() {
        for spec in &w.reports {
            assert!(
                by_story
                    .insert(spec.story.clone(), (p, spec.clone()))
                    .is_none()
            );
        }
    }
    let total = by_story.len();
    let phone_ids: Vec<BTreeSet<String>> = workers
        .iter()
        .map(|w| phone_outbox(w).into_iter().map(|l| l.report_id).collect())
        .collect();
    let all_ids: BTreeSet<String> = phone_ids.iter().flatten().cloned().collect();
    assert_eq!(all_ids.len(), total, "every report has its own id");

    // 1. Exactly once in each recipient's inbox.
    let union_counts = world.inbox_counts(&world.union).unwrap();
    assert_eq!(
        union_counts.keys().cloned().collect::<BTreeSet<_>>(),
        all_ids,
        "the union's inbox holds exactly the phones' reports"
    );
    assert!(
        union_counts.values().all(|c| *c == 1),
        "a report is in the union's inbox more than once: {union_counts:?}"
    );
    let inspectorate = world.inspectorate_reports().unwrap();
    assert!(
        inspectorate.values().all(|r| r.len() == 1),
        "a report is in the inspectorate's inbox more than once"
    );
    let mut inspectorate_stories = BTreeSet::new();
    for (id, reports) in &inspectorate {
        let report = &reports[0];
        let (p, spec) = by_story.get(&report.free_text).unwrap_or_else(|| {
            panic!("the inspectorate holds a report no phone wrote: {report:?}")
        });
        spec.matches(report).unwrap();
        assert!(
            spec.inspectorate,
            "sent to the inspectorate without consent"
        );
        assert!(
            phone_ids[*p].contains(id),
            "report id {id} is not phone {p}'s"
        );
        inspectorate_stories.insert(report.free_text.clone());
    }
    let consented: BTreeSet<String> = by_story
        .values()
        .filter(|(_, s)| s.inspectorate)
        .map(|(_, s)| s.story.clone())
        .collect();
    assert_eq!(inspectorate_stories, consented);

    // 2. The desk: sync (binary), then every case opens to what the phone wrote.
    let first = world.desk.sync().unwrap();
    assert_eq!(first.undecryptable, 0, "{first:?}");
    assert_eq!(
        first.stored + first.already_stored,
        total as u64,
        "{first:?}"
    );
    let again = world.desk.sync().unwrap();
    assert_eq!(
        again.stored, 0,
        "a second sync stores nothing new: {again:?}"
    );
    let desk = world
        .runtime
        .block_on(Desk::open(
            &world.desk_dir(),
            &Passphrase::new(DESK_PASSPHRASE),
        ))
        .unwrap();
    assert_eq!(
        world.runtime.block_on(desk.store().case_count()).unwrap(),
        total as u64,
        "one case per report in the desk's database"
    );
    let mut cases = Vec::new();
    for (p, ids) in phone_ids.iter().enumerate() {
        for id in ids {
            let case_id = world
                .runtime
                .block_on(desk.store().case_id_by_report(id))
                .unwrap()
                .unwrap_or_else(|| panic!("no case for report {id}"));
            let case = world.runtime.block_on(desk.store().case(case_id)).unwrap();
            let report = Desk::report_of(&case).unwrap();
            let (owner, spec) = by_story
                .get(&report.free_text)
                .unwrap_or_else(|| panic!("case {case_id} holds a report no phone wrote"));
            assert_eq!(*owner, p, "report {id} opens to another phone's report");
            spec.matches(&report).unwrap();
            assert_eq!(report.report_id.to_hex(), *id);
            cases.push((p, id.clone(), case_id));
        }
    }
    let union_after = world.org_inbox(&world.union).unwrap();
    assert!(
        union_after.iter().all(|e| e.acknowledged),
        "the desk acknowledged every case it stored"
    );

    // 3. Replies and statuses back to the phones.
    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    for (p, id, case_id) in &cases {
        let text = format!(
            "Phone {p}, about report {}: we will call the agency.",
            &id[..8]
        );
        world
            .runtime
            .block_on(desk.set_status(*case_id, CaseStatus::Investigating, "amina"))
            .unwrap();
        match world
            .runtime
            .block_on(desk.reply(*case_id, &text, "en", "amina"))
        {
            Ok(()) => {
                expected.insert(id.clone(), text);
            }
            Err(e) => panic!("the relay did not take the reply to {id}: {e}"),
        }
    }
    world.runtime.block_on(desk.store().close());
    drop(desk);
    for (p, worker) in workers.iter().enumerate() {
        // The phone polls like a phone does; a fault on a poll means it looks again.
        let mut view = worker.phone.mailbox().unwrap();
        for _ in 0..8 {
            let complete = phone_ids[p].iter().all(|id| {
                view.messages.get(id).is_some_and(|m| !m.is_empty())
                    && view.statuses.get(id).is_some_and(|s| {
                        s.iter()
                            .any(|l| l == "Building Workers Union: is looking into it")
                    })
            });
            if complete {
                break;
            }
            std::thread::sleep(Duration::from_millis(300));
            view = worker.phone.mailbox().unwrap();
        }
        for id in &phone_ids[p] {
            let messages = view.messages.get(id).cloned().unwrap_or_default();
            assert_eq!(
                messages,
                vec![format!("Building Workers Union: {}", expected[id])],
                "{}: the reply to {id} in the mailbox view",
                worker.phone.name
            );
            let statuses = view.statuses.get(id).cloned().unwrap_or_default();
            assert!(
                statuses
                    .iter()
                    .any(|s| s == "Building Workers Union: is looking into it"),
                "{}: statuses of {id}: {statuses:?}",
                worker.phone.name
            );
            let line = view.outbox.iter().find(|l| l.report_id == *id).unwrap();
            assert_eq!(line.replies, 1, "{line:?}");
        }
    }
    let delivery = Delivery {
        reports: total,
        union_entries: union_counts.values().sum(),
        inspectorate_entries: inspectorate.values().map(Vec::len).sum(),
        replies_acknowledged: expected.len(),
        desk_stored: first.stored,
    };
    eprintln!(
        "e2e[{}]: delivered and answered in {:.1} s: {delivery:?}",
        world.tag,
        started.elapsed().as_secs_f64()
    );
    delivery
}
