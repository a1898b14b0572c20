//! What the channel keeps between messages: sealed at rest, erased after its time-to-live, and
//! a report that cannot reach the relay is withdrawn, not left to go out later.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::time::Duration;

use support::{Kind, World, default_limits};
use workvoice_core::i18n::{K, tr};
use workvoice_sms::dialogue::language_menu;
use workvoice_sms::service::{Limits, now_secs};

fn files_holding(dir: &Path, needle: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read(&path)
                .unwrap()
                .windows(needle.len())
                .any(|w| w == needle.as_bytes())
            {
                out.push(path.display().to_string());
            }
        }
    }
    out
}

#[test]
fn an_open_dialogue_is_sealed_at_rest() {
    let mut world = World::start(Kind::Android, default_limits());
    let n = "+9779800000031";
    for said in ["hi", "1", "1", "1", "777777 NPR", "Kathmandu Secret Agency"] {
        world.deliver(n, said);
    }
    // The answers so far are in the store, sealed: neither the recruiter nor the amount nor
    // the number is readable in any file.
    let store = world.engine.lock().unwrap();
    let key = store.store.keys().name(n);
    let open = store.store.dialogue(&key, now_secs()).unwrap().unwrap();
    assert_eq!(open.recruiter.as_deref(), Some("Kathmandu Secret Agency"));
    drop(store);
    for needle in ["Kathmandu Secret Agency", "777777", n, "9779800000031"] {
        assert_eq!(
            files_holding(&world.data_dir, needle),
            Vec::<String>::new(),
            "{needle}"
        );
    }
}

#[test]
fn a_dialogue_is_forgotten_after_its_time_to_live() {
    let limits = Limits {
        dialogue_ttl_secs: 600,
        ..default_limits()
    };
    let world = World::start(Kind::Android, limits);
    let n = "+9779800000032";
    let mut engine = world.engine.lock().unwrap();
    let t0 = now_secs();
    engine.handle(n, "hi", t0).unwrap();
    engine.handle(n, "1", t0 + 10).unwrap();
    let key = engine.store.keys().name(n);
    assert!(engine.store.dialogue(&key, t0 + 20).unwrap().is_some());
    // Within its time-to-live it goes on; past it, it is gone and she starts again.
    engine.handle(n, "1", t0 + 600).unwrap();
    assert!(engine.store.dialogue(&key, t0 + 1199).unwrap().is_some());
    assert!(engine.store.dialogue(&key, t0 + 1200).unwrap().is_none());
    engine.handle(n, "hello again", t0 + 1300).unwrap();
    assert_eq!(engine.store.open_dialogues(t0 + 1300).unwrap(), 1);
    drop(engine);
    assert_eq!(world.texts_to(n).last().unwrap(), &language_menu());
}

#[test]
fn a_report_the_relay_does_not_take_is_withdrawn_and_she_is_told() {
    let limits = Limits {
        submit_timeout: Duration::from_secs(3),
        ..default_limits()
    };
    let mut world = World::start(Kind::Android, limits);
    let n = "+9779800000033";
    for said in ["hi", "1", "1", "1", "0", "0", "0", "2", "2"] {
        world.deliver(n, said);
    }
    world.stop_relay();
    let (status, _, answers) = world.deliver(n, "1");
    assert_eq!(status, 204);
    assert_eq!(answers, vec![tr("en", K::SmsNotSent)]);
    // Nothing waits in the core's outbox to go out later without her knowing, and the
    // dialogue is gone.
    let mut engine = world.engine.lock().unwrap();
    assert!(engine.shell.outbox().unwrap().is_empty());
    let key = engine.store.keys().name(n);
    assert!(engine.store.dialogue(&key, now_secs()).unwrap().is_none());
}

#[test]
fn the_corridors_follow_a_newly_published_directory() {
    let world = World::start(Kind::Android, default_limits());
    let mut rules = world.relay.listing.rules.clone();
    assert!(
        !rules
            .iter()
            .any(|r| r.destination_countries.contains(&"MY".to_string()))
    );
    rules.push(workvoice_proto::routing::RoutingRule {
        id: "my-households".into(),
        destination_countries: vec!["MY".into()],
        sectors: vec![workvoice_proto::report::Sector::Households],
        kinds: vec![],
        deliver_to: vec![world.relay.union.id],
        stop: false,
    });
    world.publish_rules(rules);
    let mut engine = world.engine.lock().unwrap();
    assert!(engine.refresh_corridors().unwrap());
    assert!(
        !engine.refresh_corridors().unwrap(),
        "unchanged the second time"
    );
    let n = "+6281200000041";
    let t = now_secs();
    engine.handle(n, "hi", t).unwrap();
    engine.handle(n, "1", t).unwrap();
    drop(engine);
    let texts = world.texts_to(n);
    let country_menu = texts.last().unwrap();
    assert!(
        country_menu.contains("1 MY") && country_menu.contains("2 QA"),
        "{country_menu}"
    );
}
