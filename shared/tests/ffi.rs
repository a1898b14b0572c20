//! The bytes-level interface the shells call: bincode in and out, typed errors, no panics.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use workvoice_core::app::{AppConfig, Event, HttpFailure, HttpFailureKind, HttpResult, Screen};
use workvoice_core::host::{HostConfig, ShellEffect};
use workvoice_core::{CoreFfi, CoreFfiError, decode_requests, decode_view, encode_value};
use workvoice_proto::vectors::Fixture;

fn core(dir: &std::path::Path) -> CoreFfi {
    core_with_secret(dir, Vec::new())
}

fn core_with_secret(dir: &std::path::Path, platform_secret: Vec<u8>) -> CoreFfi {
    let config = HostConfig {
        // Inside the temporary folder, so the host's intake folder beside it goes with it.
        data_dir: dir.join("phone").display().to_string(),
        app: AppConfig {
            relay_url: "http://127.0.0.1:9".into(),
            root_public_key: Some(Fixture::new().root.public_key().to_hex()),
            ..AppConfig::default()
        },
        insecure_fast_kdf: true,
        max_pin_attempts: 3,
        platform_secret,
    };
    CoreFfi::new(encode_value(&config).unwrap()).unwrap()
}

#[test]
fn start_update_resolve_view_over_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let core = core(dir.path());
    assert_eq!(core.view().unwrap_err(), CoreFfiError::NotStarted);
    let requests = decode_requests(&core.start().unwrap()).unwrap();
    // Only render goes to the shell: vault, time and randomness were resolved in Rust.
    assert!(
        requests
            .iter()
            .all(|r| matches!(r.effect, ShellEffect::Render(_)))
    );
    let view = decode_view(&core.view().unwrap()).unwrap();
    assert!(matches!(view.screen, Screen::Welcome { .. }));

    core.update(encode_value(&Event::StartSetup).unwrap())
        .unwrap();
    let pin = Event::SubmitNewPin {
        pin: "2468".into(),
        confirm: "2468".into(),
        duress_pin: None,
    };
    core.update(encode_value(&pin).unwrap()).unwrap();
    let view = decode_view(&core.view().unwrap()).unwrap();
    assert!(matches!(view.screen, Screen::ShowRecoveryCode { .. }));
    core.update(encode_value(&Event::RecoveryCodeWritten).unwrap())
        .unwrap();

    // Checking the mailbox with nothing sent asks for nothing; a Tick neither.
    let requests =
        decode_requests(&core.update(encode_value(&Event::Tick).unwrap()).unwrap()).unwrap();
    assert!(
        requests
            .iter()
            .all(|r| matches!(r.effect, ShellEffect::Render(_)))
    );
}

#[test]
fn http_requests_are_resolved_by_id_and_bad_input_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let core = core(dir.path());
    core.start().unwrap();
    for event in [
        Event::StartSetup,
        Event::SubmitNewPin {
            pin: "2468".into(),
            confirm: "2468".into(),
            duress_pin: None,
        },
        Event::RecoveryCodeWritten,
        Event::NewReport,
        Event::SetPlace {
            destination_country: "QA".into(),
            origin_country: String::new(),
            sector: "F".into(),
        },
    ] {
        core.update(encode_value(&event).unwrap()).unwrap();
    }
    // The review asks the shell for the directory.
    let requests =
        decode_requests(&core.update(encode_value(&Event::Review).unwrap()).unwrap()).unwrap();
    let http = requests
        .iter()
        .find_map(|r| match &r.effect {
            ShellEffect::Http(h) => Some((r.id, h.clone())),
            _ => None,
        })
        .expect("a directory request");
    assert!(http.1.url.ends_with("/v1/directory"));
    assert!(http.0 > 0);

    let garbage = core.update(vec![0xFF; 3]).unwrap_err();
    assert!(
        matches!(garbage, CoreFfiError::Decode { .. }),
        "{garbage:?}"
    );
    let unknown = core
        .resolve(
            9999,
            encode_value(&HttpResult::Failed(HttpFailure {
                kind: HttpFailureKind::Timeout,
                message: String::new(),
            }))
            .unwrap(),
        )
        .unwrap_err();
    assert_eq!(unknown, CoreFfiError::UnknownRequest { id: 9999 });
    let bad_output = core.resolve(http.0, vec![9, 9, 9]).unwrap_err();
    assert!(matches!(bad_output, CoreFfiError::Decode { .. }));
    let offline = HttpResult::Failed(HttpFailure {
        kind: HttpFailureKind::Connection,
        message: "offline".into(),
    });
    core.resolve(http.0, encode_value(&offline).unwrap())
        .unwrap();
    // Answered once: a second answer is refused, not a panic.
    assert_eq!(
        core.resolve(http.0, encode_value(&offline).unwrap())
            .unwrap_err(),
        CoreFfiError::UnknownRequest { id: http.0 }
    );
    let view = decode_view(&core.view().unwrap()).unwrap();
    assert!(matches!(view.screen, Screen::Review(_)));
}

#[test]
fn a_config_that_does_not_decode_is_refused() {
    assert!(matches!(
        CoreFfi::new(vec![1, 2, 3]),
        Err(CoreFfiError::Decode { .. })
    ));
}

fn unlock_screen(core: &CoreFfi) -> (u32, Option<String>) {
    match decode_view(&core.view().unwrap()).unwrap().screen {
        Screen::Unlock {
            attempts_left,
            error,
            ..
        } => (attempts_left, error),
        other => panic!("not the lock screen: {other:?}"),
    }
}

#[test]
fn a_platform_secret_of_the_wrong_length_is_a_typed_error() {
    for len in [1usize, 16, 31, 33, 64] {
        let dir = tempfile::tempdir().unwrap();
        let core = core_with_secret(dir.path(), vec![7; len]);
        match core.start() {
            Err(CoreFfiError::InvalidConfig { message }) => {
                assert!(message.contains(&len.to_string()), "{message}")
            }
            other => panic!("{len} bytes: {other:?}"),
        }
        // Nothing was created on disk.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}

#[test]
fn the_vault_opens_only_with_the_platform_secret_it_was_made_with() {
    let dir = tempfile::tempdir().unwrap();
    let secret = vec![0x5a; 32];
    let core = core_with_secret(dir.path(), secret.clone());
    core.start().unwrap();
    core.update(encode_value(&Event::StartSetup).unwrap())
        .unwrap();
    let pin = Event::SubmitNewPin {
        pin: "2468".into(),
        confirm: "2468".into(),
        duress_pin: None,
    };
    core.update(encode_value(&pin).unwrap()).unwrap();
    core.update(encode_value(&Event::RecoveryCodeWritten).unwrap())
        .unwrap();
    drop(core);

    // The right PIN with another secret, or with none (vault files copied off the phone),
    // is a wrong PIN and costs an attempt.
    for (other, left) in [(vec![0xa5; 32], 2), (Vec::new(), 1)] {
        let core = core_with_secret(dir.path(), other);
        core.start().unwrap();
        assert_eq!(unlock_screen(&core).1, None);
        let unlock = Event::Unlock { pin: "2468".into() };
        core.update(encode_value(&unlock).unwrap()).unwrap();
        let (attempts_left, error) = unlock_screen(&core);
        assert_eq!(attempts_left, left);
        assert!(error.is_some());
    }

    let core = core_with_secret(dir.path(), secret);
    core.start().unwrap();
    let unlock = Event::Unlock { pin: "2468".into() };
    core.update(encode_value(&unlock).unwrap()).unwrap();
    let view = decode_view(&core.view().unwrap()).unwrap();
    assert!(
        matches!(view.screen, Screen::Home { .. }),
        "{:?}",
        view.screen
    );
}

#[test]
fn the_default_config_a_shell_starts_from_is_the_cores() {
    let bytes = workvoice_core::default_app_config().unwrap();
    let decoded: AppConfig = {
        use crux_core::bridge::FfiFormat;
        crux_core::bridge::BincodeFfiFormat::deserialize(&bytes).unwrap()
    };
    assert_eq!(decoded, AppConfig::default());
    assert!(decoded.relay_url.is_empty() && decoded.retry_base_ms > 0);
}
