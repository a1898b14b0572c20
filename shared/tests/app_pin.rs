//! The PIN through the app: the lock screen counts down, the limit wipes, the duress PIN opens
//! an empty-looking app and destroys the real data.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{DURESS, PIN, Phone, config};
use workvoice_core::app::*;
use workvoice_core::vault::{Vault, VaultStatus};
use workvoice_proto::vectors::Fixture;

fn attempts(phone: &Phone) -> (u32, Option<String>) {
    match phone.screen() {
        Screen::Unlock {
            attempts_left,
            error,
            attempts_text,
            ..
        } => {
            assert_eq!(attempts_text, format!("{attempts_left} tries left."));
            (attempts_left, error)
        }
        other => panic!("not the lock screen: {other:?}"),
    }
}

#[test]
fn brute_force_stops_at_the_limit_and_wipes() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let served = fixture.publish(&fixture.listing(5));
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    phone.queue_report((true, false, false), &served);
    phone.send(Event::Lock);
    assert_eq!(attempts(&phone), (5, None));
    drop(phone);

    let mut phone = Phone::start(dir.path(), config(&fixture));
    assert_eq!(attempts(&phone), (5, None));
    for left in (1..5).rev() {
        phone.send(Event::Unlock {
            pin: "000000".into(),
        });
        assert_eq!(attempts(&phone), (left, Some("Wrong PIN.".into())));
    }
    // The fifth wrong PIN wipes: the app looks freshly installed.
    phone.send(Event::Unlock {
        pin: "000000".into(),
    });
    assert!(matches!(phone.screen(), Screen::Welcome { .. }));
    assert_eq!(
        Vault::status(dir.path()).unwrap(),
        VaultStatus::NotInitialised
    );
    // The right PIN no longer opens anything.
    let phone = Phone::start(dir.path(), config(&fixture));
    assert!(matches!(phone.screen(), Screen::Welcome { .. }));
}

#[test]
fn a_correct_pin_resets_the_count() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    drop(phone);
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.send(Event::Unlock {
        pin: "000000".into(),
    });
    assert_eq!(attempts(&phone).0, 4);
    phone.send(Event::Unlock { pin: PIN.into() });
    assert!(matches!(phone.screen(), Screen::Home { .. }));
    drop(phone);
    let phone = Phone::start(dir.path(), config(&fixture));
    assert_eq!(attempts(&phone).0, 5);
}

#[test]
fn the_duress_pin_opens_an_empty_app_and_destroys_the_reports() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let served = fixture.publish(&fixture.listing(5));
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    phone.queue_report((true, false, false), &served);
    phone.send(Event::NewReport);
    phone.send(Event::GoHome);
    assert_eq!(phone.outbox().len(), 2, "a report and a draft");
    drop(phone);

    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.send(Event::Unlock { pin: DURESS.into() });
    // It opens like a normal app with nothing in it: no recovery code screen, no notice.
    match phone.screen() {
        Screen::Home {
            has_draft,
            outbox_summary,
            ..
        } => {
            assert!(!has_draft);
            assert_eq!(outbox_summary, "0 reports, 0 answers");
        }
        other => panic!("{other:?}"),
    }
    assert!(phone.view().notice.is_none());
    assert!(phone.outbox().is_empty());
    assert!(phone.no_http(), "nothing to send");
    drop(phone);

    // The real PIN is not refused as a wrong one (that would give the duress away): it opens
    // the same empty app, as does the duress PIN from now on.
    for pin in [PIN, DURESS] {
        let mut phone = Phone::start(dir.path(), config(&fixture));
        assert_eq!(
            attempts(&phone).0,
            5,
            "the lock screen shows the full count"
        );
        phone.send(Event::Unlock { pin: pin.into() });
        assert!(matches!(phone.screen(), Screen::Home { .. }), "{pin}");
        assert!(phone.view().notice.is_none());
        assert!(phone.outbox().is_empty());
    }
}
