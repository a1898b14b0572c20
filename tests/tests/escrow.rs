//! Reporting escrow across processes (`PROTOCOL.md` 18): the relay (`workvoice-relay serve`),
//! the union's desk (`workvoice-desk sync`, the binary), and five phones (`workvoice-cli`, the
//! real phone core and its vault) whose workers choose to wait until others report the
//! recruiter (`"escrow": true`). Each phone's first round queues its blinded recruiter at the
//! relay for the union's step, which a first `workvoice-desk sync` answers; the phones' next
//! round polls the answer and submits the escrow.
//!
//! Three phones escrow about recruiter X and two about recruiter Y: after a second
//! `workvoice-desk sync` X's three are three linked cases at the desk, Y's two stay sealed,
//! and neither the relay's files nor the desk's hold Y's text or name. A second report about Y
//! from one of Y's phones opens nothing (one phone counts once); a third phone's report about Y
//! opens Y's three together.
//!
//! At a union that takes invites (PROTOCOL.md 18.12, switched on with `workvoice-relay org
//! escrow --invites on`, codes drawn with `workvoice-desk escrow-invites create`), a phone
//! without an invite is not offered escrow; phones with their own invites pay each step with a
//! token and open a group as before; one invite pays for `k - 1` escrowed reports a week, the
//! next is refused and the worker told; a revoked invite is refused; the relay keeps no code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use workvoice_desk::{Desk, Passphrase};
use workvoice_tests::desk::DESK_PASSPHRASE;
use workvoice_tests::phone::{Phone, PhoneState, ReportSpec};
use workvoice_tests::proxy::FaultPlan;
use workvoice_tests::world::{Backend, World};

const X: &str = "Himal Overseas Pvt. Ltd.";
const Y: &str = "Gulf Star Manpower";
const Z: &str = "Zenith Placement Services";

/// A report about `recruiter` whose worker chooses to wait for others.
fn escrowed(world: &World, phone: usize, n: usize, recruiter: &str, story: &str) -> ReportSpec {
    let mut spec = ReportSpec::new(&world.tag, phone, n, false);
    spec.recruiter = recruiter.into();
    spec.story = story.into();
    spec.escrow = true;
    spec
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

/// The desk's cases as (recruiter, text), sorted, each checked to be one of a released group
/// of three from three sources linked to the other two; and the unreleased total.
fn desk_cases(
    world: &World,
    desk_dir: &Path,
    passphrase: &Passphrase,
) -> (Vec<(String, String)>, Option<u64>) {
    world.runtime.block_on(async {
        let desk = Desk::open(desk_dir, passphrase).await.unwrap();
        let ids = desk
            .filtered_case_ids(&workvoice_desk::store::CaseFilter::default())
            .await
            .unwrap();
        let mut opened = Vec::new();
        for id in &ids {
            let case = desk.case(*id).await.unwrap();
            let report = Desk::report_of(&case).unwrap();
            let g = desk.escrow_placement(*id).await.unwrap().unwrap();
            assert_eq!((g.reports, g.sources, g.threshold), (3, 3, 3));
            assert_eq!(g.other_cases.len(), 2);
            opened.push((report.recruiter.unwrap().name, report.free_text));
        }
        opened.sort();
        (opened, desk.escrow_pending().await.unwrap())
    })
}

/// The desk answers every phone's recruiter lookup; each phone then polls, seals and submits
/// (the third, about X, opens X's group: phones 0 to 2 report X); the desk's next sync opens
/// the group. Returns what that sync printed.
fn answer_submit_and_open(world: &World, phones: &[Phone]) -> String {
    let printed = world.desk.sync_text().unwrap();
    let lookups = format!(
        "Escrow: answered {} recruiter lookups, refused 0",
        phones.len()
    );
    assert!(printed.contains(&lookups), "{printed}");
    for (i, phone) in phones.iter().enumerate() {
        let lines = phone.send(60).unwrap();
        let line = lines.iter().find(|l| !l.report_id.is_empty()).unwrap();
        let expected = if i == 2 {
            PhoneState::OpenedWithOthers
        } else {
            PhoneState::WaitingForOthers(3)
        };
        assert_eq!(line.state, expected, "phone {i}: {lines:?}");
    }
    let printed = world.desk.sync_text().unwrap();
    assert!(
        printed.contains("Escrow: 1 released groups opened (3 new cases, 0 reports that did not open), 0 refused."),
        "{printed}"
    );
    printed
}

#[test]
fn escrowed_reports_open_at_the_desk_only_as_a_full_group() {
    let world = World::new(Backend::Sqlite, FaultPlan::None).unwrap();
    let desk_dir = world.desk_dir();
    let passphrase = Passphrase::new(DESK_PASSPHRASE);

    // Five workers write their report and choose to wait: each phone queues its OPRF request
    // and is told it waits for the union's answer.
    let mut phones = Vec::new();
    for (i, recruiter) in [X, X, X, Y, Y].into_iter().enumerate() {
        let phone = world.phone(&format!("escrow phone {i}")).unwrap();
        let mut spec = ReportSpec::new(&world.tag, i, 0, false);
        spec.recruiter = recruiter.into();
        spec.story = if i < 3 {
            format!("X-E2E-{i}")
        } else {
            format!("Y-E2E-SECRET-{i}")
        };
        spec.escrow = true;
        let lines = phone.report(&spec).unwrap();
        let line = lines.iter().find(|l| !l.report_id.is_empty()).unwrap();
        assert_eq!(line.state, PhoneState::Waiting, "phone {i}: {lines:?}");
        assert!(
            line.detail
                .as_deref()
                .is_some_and(|d| d.contains("the union's office has to answer first")),
            "phone {i}: {lines:?}"
        );
        phones.push(phone);
    }

    // The desk answers the organisation's step; each phone polls its answer, seals and
    // submits: X's third opens the group, which the desk's next sync opens.
    let printed = answer_submit_and_open(&world, &phones);
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

    let (opened, pending) = desk_cases(&world, &desk_dir, &passphrase);
    let texts: Vec<&str> = opened.iter().map(|(_, text)| text.as_str()).collect();
    assert_eq!(texts, ["X-E2E-0", "X-E2E-1", "X-E2E-2"]);
    assert!(opened.iter().all(|(recruiter, _)| recruiter == X));
    assert_eq!(pending, Some(2));

    // A fourth report about Y, from phone 3 again: one phone counts once, so it opens nothing
    // and the worker is told she can send it now.
    let again = {
        let mut spec = ReportSpec::new(&world.tag, 3, 1, false);
        spec.recruiter = Y.into();
        spec.story = "Y-E2E-SECRET-3-again".into();
        spec.escrow = true;
        phones[3].report(&spec).unwrap();
        world.desk.sync_text().unwrap();
        let lines = phones[3].send(30).unwrap();
        lines.into_iter().find(|l| {
            l.detail
                .as_deref()
                .is_some_and(|d| d.contains("one phone counts once"))
        })
    };
    let again = again.expect("the second report about Y is told it counts once");
    assert_eq!(again.state, PhoneState::Failed, "{again:?}");
    let printed = world.desk.sync_text().unwrap();
    assert!(!printed.contains("released groups opened"), "{printed}");
    assert!(
        printed.contains("Escrow: 2 reports wait at the relay for others"),
        "{printed}"
    );
    for dir in [world.relay_config.data_dir.as_path(), desk_dir.as_path()] {
        assert!(
            !contains(&files_under(dir), b"Y-E2E-SECRET"),
            "{}",
            dir.display()
        );
    }

    // A third worker reports Y: Y's three open together, as a second group.
    let sixth = world.phone("escrow phone 5").unwrap();
    let mut spec = ReportSpec::new(&world.tag, 5, 0, false);
    spec.recruiter = Y.into();
    spec.story = "Y-E2E-SECRET-5".into();
    spec.escrow = true;
    sixth.report(&spec).unwrap();
    world.desk.sync_text().unwrap();
    let lines = sixth.send(60).unwrap();
    let line = lines.iter().find(|l| !l.report_id.is_empty()).unwrap();
    assert_eq!(line.state, PhoneState::OpenedWithOthers, "{lines:?}");
    let printed = world.desk.sync_text().unwrap();
    assert!(
        printed.contains("Escrow: 1 released groups opened (3 new cases, 0 reports that did not open), 0 refused."),
        "{printed}"
    );
    let (opened, pending) = desk_cases(&world, &desk_dir, &passphrase);
    let y_texts: Vec<&str> = opened
        .iter()
        .filter(|(recruiter, _)| recruiter == Y)
        .map(|(_, text)| text.as_str())
        .collect();
    assert_eq!(
        y_texts,
        ["Y-E2E-SECRET-3", "Y-E2E-SECRET-4", "Y-E2E-SECRET-5"]
    );
    assert_eq!(opened.len(), 6);
    assert_eq!(pending, Some(0));
}

#[test]
fn at_a_union_that_takes_invites_each_step_is_paid_from_the_workers_invite() {
    let world = World::new(Backend::Sqlite, FaultPlan::None).unwrap();
    let union = world.union.id.to_hex();
    let set = world
        .relay_config
        .admin(&["org", "escrow", &union, "--invites", "on"])
        .unwrap();
    assert!(set.contains("invites on"), "{set}");
    world.relay_config.admin(&["directory", "publish"]).unwrap();
    let codes = world.desk.escrow_invites(4).unwrap();

    // A worker without an invite is not offered escrow, and is told to ask her union.
    let stranger = world.phone("no invite").unwrap();
    let refused = stranger
        .report(&escrowed(&world, 9, 0, X, "NO-INVITE"))
        .unwrap_err();
    assert!(refused.contains("Ask your union for one"), "{refused}");

    // Three workers, each with her own invite, escrow about X; each step costs a token.
    let mut phones = Vec::new();
    for (i, code) in codes.iter().take(3).enumerate() {
        let phone = world.phone(&format!("invited phone {i}")).unwrap();
        let kept = phone.invite(code).unwrap();
        assert!(kept.contains("Escrow invite."), "{kept}");
        let lines = phone
            .report(&escrowed(&world, i, 0, X, &format!("X-INVITED-{i}")))
            .unwrap();
        let line = lines.iter().find(|l| !l.report_id.is_empty()).unwrap();
        assert_eq!(line.state, PhoneState::Waiting, "phone {i}: {lines:?}");
        phones.push(phone);
    }
    answer_submit_and_open(&world, &phones);

    // One invite pays for k - 1 = 2 escrowed reports a week: phone 0's second (about Y) waits,
    // its third (about Z) is refused and the worker told she can send it now.
    let before: Vec<String> = phones[0]
        .outbox()
        .unwrap()
        .into_iter()
        .map(|l| l.report_id)
        .collect();
    phones[0]
        .report(&escrowed(&world, 0, 1, Y, "Y-INVITED-0"))
        .unwrap();
    let with_y: Vec<String> = phones[0]
        .outbox()
        .unwrap()
        .into_iter()
        .map(|l| l.report_id)
        .collect();
    let y_id = with_y
        .iter()
        .find(|id| !before.contains(id))
        .unwrap()
        .clone();
    phones[0]
        .report(&escrowed(&world, 0, 2, Z, "Z-INVITED-0"))
        .unwrap();
    world.desk.sync_text().unwrap();
    let lines = phones[0].send(60).unwrap();
    let y = lines.iter().find(|l| l.report_id == y_id).unwrap();
    assert_eq!(y.state, PhoneState::WaitingForOthers(3), "{lines:?}");
    let z = lines
        .iter()
        .find(|l| !l.report_id.is_empty() && !with_y.contains(&l.report_id))
        .unwrap();
    assert_eq!(z.state, PhoneState::Failed, "{lines:?}");
    assert!(
        z.detail.as_deref().is_some_and(
            |d| d.contains("cannot be used for more reports that wait for others this week")
        ),
        "{lines:?}"
    );

    // A revoked invite is refused, and the worker is told.
    let revoked = world.desk.revoke_escrow_invite(&codes[3]).unwrap();
    assert!(revoked.contains("1 of 1 invites revoked"), "{revoked}");
    let late = world.phone("revoked invite").unwrap();
    late.invite(&codes[3]).unwrap();
    let lines = late
        .report(&escrowed(&world, 3, 0, Y, "Y-REVOKED"))
        .unwrap();
    let line = lines.iter().find(|l| !l.report_id.is_empty()).unwrap();
    assert_eq!(line.state, PhoneState::Failed, "{lines:?}");
    assert!(
        line.detail
            .as_deref()
            .is_some_and(|d| d.contains("does not know your invite code")),
        "{lines:?}"
    );

    // The relay keeps no invite code, in any form a worker could type or the phone sends.
    let bytes = files_under(world.relay_config.data_dir.as_path());
    for code in &codes {
        let invite = workvoice_proto::token::Invite::parse(code).unwrap();
        assert!(!contains(&bytes, code.as_bytes()), "{code}");
        assert!(!contains(&bytes, invite.to_hex().as_bytes()), "{code}");
        assert!(!contains(&bytes, invite.as_bytes()), "{code}");
    }
}
