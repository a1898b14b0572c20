//! Bad input, each with its documented answer, and nothing half-made reaching the relay:
//! garbage, out-of-range numbers, overlong free text, an unknown language, messages out of
//! order, replayed and unsigned webhooks, a flood from one number, too many open dialogues,
//! the proof-of-work budget spent, and STOP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{Kind, World, android_body, default_limits};
use workvoice_core::i18n::{K, tr, trf};
use workvoice_sms::dialogue::{MAX_RECRUITER_CHARS, language_menu};
use workvoice_sms::service::{Limits, now_secs};

fn en(k: K) -> String {
    tr("en", k)
}

/// Walk a dialogue in English up to the recruiter question.
fn to_recruiter(world: &mut World, number: &str) {
    for said in ["hi", "1", "1", "1", "1000 USD"] {
        world.deliver(number, said);
    }
}

#[test]
fn wrong_answers_get_a_hint_and_the_question_again() {
    let mut world = World::start(Kind::Android, default_limits());
    let n = "+9779800000001";
    // A first message that is not a language's number gets the menu.
    let (_, _, a) = world.deliver(n, "1 4 7");
    assert_eq!(a, vec![language_menu()]);
    // An unknown language: the same.
    let (_, _, a) = world.deliver(n, "Français");
    assert_eq!(a, vec![en(K::SmsLanguageUnknown), language_menu()]);
    let (_, _, a) = world.deliver(n, "10");
    assert_eq!(a[0], en(K::SmsLanguageUnknown));
    // "hi" is a greeting, not Hindi's code; a language by its own name works.
    let (_, _, a) = world.deliver(n, "hi");
    assert_eq!(a, vec![en(K::SmsLanguageUnknown), language_menu()]);
    let (_, _, a) = world.deliver(n, "english");
    assert_eq!(a[0], en(K::SmsIntro));
    assert!(a[1].starts_with(&en(K::SmsAskCountry)));
    // Garbage and out of range at a menu.
    for bad in ["Qatar", "0", "2", "-1", "1.5", "१"] {
        let (_, _, a) = world.deliver(n, bad);
        assert_eq!(a[0], en(K::SmsHintNumber), "{bad}");
        assert!(a[1].starts_with(&en(K::SmsAskCountry)), "{bad}");
    }
    world.deliver(n, "1");
    world.deliver(n, "1");
    // A fee that is not an amount and an ISO currency.
    for bad in [
        "lots",
        "1000",
        "1000 XYZ",
        "USD",
        "-5 USD",
        "1000000000000 USD",
        "1 2 USD",
    ] {
        let (_, _, a) = world.deliver(n, bad);
        assert_eq!(a, vec![en(K::SmsHintFee), en(K::SmsAskFee)], "{bad}");
    }
    world.deliver(n, "1000 USD");
    // Overlong free text.
    let long = "x".repeat(MAX_RECRUITER_CHARS + 1);
    let (_, _, a) = world.deliver(n, &long);
    let hint = trf(
        "en",
        K::SmsHintText,
        &[("max", MAX_RECRUITER_CHARS.to_string())],
    );
    assert_eq!(a, vec![hint, en(K::SmsAskRecruiter)]);
    world.deliver(n, "Agency; DROP TABLE dialogues; --");
    // Problems out of range or not numbers.
    for bad in ["12", "1 4 99", "one", "1-4", "0 1"] {
        let (_, _, a) = world.deliver(n, bad);
        assert_eq!(a[0], en(K::SmsHintNumbers), "{bad}");
        assert!(a[1].starts_with(&en(K::SmsAskProblems)), "{bad}");
    }
    world.deliver(n, "2");
    // Yes/no and confirm take only 1 or 2.
    let (_, _, a) = world.deliver(n, "yes");
    assert_eq!(a, vec![en(K::SmsHintNumber), en(K::SmsAskInspectorate)]);
    world.deliver(n, "2");
    world.deliver(n, "2");
    let (_, _, a) = world.deliver(n, "3");
    assert_eq!(a[0], en(K::SmsHintNumber));
    assert!(
        a.iter()
            .any(|t| t.contains("Agency; DROP TABLE dialogues; --")),
        "{a:?}"
    );
    // Nothing was submitted along the way.
    assert!(world.inbox(&world.relay.union).is_empty());
    // HELP at any step, then the same question.
    let (_, _, a) = world.deliver(n, "help");
    assert!(a[0].contains("STOP") && a[0].contains("DELETE"), "{a:?}");
    // STOP forgets the dialogue; nothing is sent; the next message starts again.
    let (_, _, a) = world.deliver(n, "STOP");
    assert_eq!(a, vec![en(K::SmsStopped)]);
    let (_, _, a) = world.deliver(n, "1");
    assert_eq!(a[0], en(K::SmsIntro), "1 is taken as the language again");
    assert!(world.inbox(&world.relay.union).is_empty());
}

#[test]
fn help_stop_and_delete_work_in_every_language() {
    let mut world = World::start(Kind::Jasmin, default_limits());
    for (i, (language, _)) in workvoice_core::i18n::LANGUAGES.iter().enumerate() {
        let n = format!("+88017000000{i:02}");
        let (_, _, a) = world.deliver(&n, &tr(language, K::SmsWordHelp));
        assert!(
            a[0].starts_with(
                &trf(language, K::SmsHelp, &[])
                    .chars()
                    .take(5)
                    .collect::<String>()
            ),
            "{language}: {a:?}"
        );
        let (_, _, a) = world.deliver(&n, &tr(language, K::SmsWordStop));
        assert_eq!(a, vec![tr(language, K::SmsStopped)], "{language}");
        let (_, _, a) = world.deliver(&n, &tr(language, K::SmsWordDelete));
        assert_eq!(a, vec![tr(language, K::SmsDeleted)], "{language}");
    }
}

#[test]
fn replayed_unsigned_and_forged_webhooks_do_nothing() {
    let mut world = World::start(Kind::Android, default_limits());
    let n = "+9779800000002";
    let (status, _, a) = world.deliver_event(n, "hi", "event-1");
    assert_eq!(status, 204);
    assert_eq!(a.len(), 1);
    // The same event again (a retry or a replay): acknowledged, not answered.
    let (status, _, a) = world.deliver_event(n, "hi", "event-1");
    assert_eq!(status, 204);
    assert!(a.is_empty());
    let body = android_body("event-2", n, "1");
    let (status, text) = world.post_android(&body, None, None);
    assert_eq!(status, 401);
    let error: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(error["error"], "unsigned");
    assert!(error["message"].is_string());
    let ts = now_secs().to_string();
    let (status, text) = world.post_android(&body, Some(&"0".repeat(64)), Some(&ts));
    assert_eq!(status, 401);
    assert!(text.contains("bad_signature"));
    let (status, text) = world.post_android("not json", Some("00"), Some(&ts));
    assert_eq!(status, 401, "{text}");
    assert!(
        world.texts_to(n).len() == 1,
        "nothing answered to refused webhooks"
    );
    let _ = &mut world;
}

#[test]
fn jasmin_without_the_secret_is_refused_and_is_acknowledged_with_it() {
    let mut world = World::start(Kind::Jasmin, default_limits());
    let n = "+9779800000003";
    let form = [("id", "x1"), ("from", n), ("to", "1"), ("content", "hi")];
    let (status, text) = world.post_jasmin(&form, None);
    assert_eq!(status, 401);
    assert!(text.contains("bad_secret"));
    let (status, _) = world.post_jasmin(&form, Some("wrong"));
    assert_eq!(status, 401);
    assert!(world.texts_to(n).is_empty());
    let (status, body, a) = world.deliver(n, "hi");
    assert_eq!((status, body.as_str()), (200, "ACK/Jasmin"));
    assert_eq!(a.len(), 1);
}

#[test]
fn a_flood_from_one_number_gets_one_warning_then_silence() {
    let limits = Limits {
        messages_per_hour: 5,
        ..default_limits()
    };
    let mut world = World::start(Kind::Android, limits);
    let n = "+9779800000004";
    for i in 0..5 {
        let (_, _, a) = world.deliver(n, "garbage");
        assert!(!a.is_empty(), "message {i}");
    }
    let (status, _, a) = world.deliver(n, "garbage");
    assert_eq!(status, 204);
    assert_eq!(a, vec![en(K::SmsSlowDown)]);
    for _ in 0..20 {
        let (status, _, a) = world.deliver(n, "1");
        assert_eq!(status, 204);
        assert!(a.is_empty());
    }
    // Another number is not affected.
    let (_, _, a) = world.deliver("+9779800000005", "hi");
    assert_eq!(a, vec![language_menu()]);
}

#[test]
fn open_dialogues_are_capped() {
    let limits = Limits {
        max_open_dialogues: 2,
        ..default_limits()
    };
    let mut world = World::start(Kind::Android, limits);
    world.deliver("+9779800000011", "hi");
    world.deliver("+9779800000012", "hi");
    let (_, _, a) = world.deliver("+9779800000013", "hi");
    assert_eq!(a, vec![en(K::SmsBusy)]);
    // Those already talking go on.
    let (_, _, a) = world.deliver("+9779800000011", "1");
    assert_eq!(a[0], en(K::SmsIntro));
}

#[test]
fn the_proof_of_work_budget_stops_sealing_and_nothing_reaches_the_relay() {
    let limits = Limits {
        reports_per_hour: 0,
        ..default_limits()
    };
    let mut world = World::start(Kind::Android, limits);
    let n = "+9779800000021";
    to_recruiter(&mut world, n);
    for said in ["0", "0", "2", "2"] {
        world.deliver(n, said);
    }
    let (_, _, a) = world.deliver(n, "1");
    assert_eq!(a, vec![en(K::SmsBusy)]);
    assert!(world.inbox(&world.relay.union).is_empty());
    assert!(
        world
            .engine
            .lock()
            .unwrap()
            .shell
            .outbox()
            .unwrap()
            .is_empty()
    );
    // The dialogue is gone: the next message starts again.
    let (_, _, a) = world.deliver(n, "hi");
    assert_eq!(a, vec![language_menu()]);
}

#[test]
fn a_forgotten_event_id_is_taken_again() {
    let world = World::start(Kind::Android, default_limits());
    let engine = world.engine.lock().unwrap();
    assert!(
        engine
            .store
            .first_sight("event-9", now_secs() + 60)
            .unwrap()
    );
    assert!(
        !engine
            .store
            .first_sight("event-9", now_secs() + 60)
            .unwrap()
    );
    engine.store.forget_sight("event-9").unwrap();
    assert!(
        engine
            .store
            .first_sight("event-9", now_secs() + 60)
            .unwrap()
    );
}
