//! Every screen and every validation rule of the app, driven through `update` and checked in
//! the effects and the view model.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{PIN, Phone, Seen, config};
use crux_core::App;
use workvoice_core::app::draft::problem_key;
use workvoice_core::app::*;
use workvoice_core::host::{Host, HostConfig};
use workvoice_core::i18n::{self, K};
use workvoice_proto::recovery::RecoveryCode;
use workvoice_proto::report::FieldProblem;
use workvoice_proto::vectors::Fixture;

fn compose_view(phone: &Phone) -> ComposeView {
    match phone.screen() {
        Screen::Compose(c) => c,
        other => panic!("not composing: {other:?}"),
    }
}

fn errors(phone: &Phone) -> Vec<(String, String)> {
    compose_view(phone)
        .all_errors()
        .into_iter()
        .map(|e| (e.field.clone(), e.code.clone()))
        .collect()
}

fn has_error(phone: &Phone, field: &str, code: &str) -> bool {
    errors(phone).iter().any(|(f, c)| f == field && c == code)
}

#[test]
fn built_in_root_key_is_well_formed() {
    let key = built_in_root_key().expect("the built-in root key parses");
    if option_env!("WORKVOICE_ROOT_PUBLIC_KEY").is_none() {
        // The documented default is the test fixture's root.
        assert_eq!(key, Fixture::new().root.public_key());
    }
}

#[test]
fn pin_rules_are_checked_before_the_vault_is_touched() {
    let app = Workvoice;
    let mut model = Model::default();
    // A first run: the vault says it holds nothing, and the worker starts the setup.
    let _ = app.update(Msg::Start(AppConfig::default()), &mut model);
    let _ = app.update(
        Msg::Internal(Internal::VaultStatus(VaultOutput::Status {
            initialised: false,
            attempts_left: 10,
        })),
        &mut model,
    );
    let _ = app.update(Event::StartSetup.into(), &mut model);
    assert!(matches!(app.view(&model).screen, Screen::SetPin { .. }));
    for (pin, confirm, duress, expected) in [
        ("12", "12", None, "The PIN must be 4 to 12 digits."),
        ("12ab", "12ab", None, "The PIN must be 4 to 12 digits."),
        (
            "1234567890123",
            "1234567890123",
            None,
            "The PIN must be 4 to 12 digits.",
        ),
        ("482916", "482961", None, "The two PINs are not the same."),
        (
            "482916",
            "482916",
            Some("99"),
            "The emergency PIN must also be 4 to 12 digits.",
        ),
        (
            "482916",
            "482916",
            Some("482916"),
            "The emergency PIN must be different from your PIN.",
        ),
    ]
    .into_iter()
    .chain(
        [
            "0000", "1111", "999999", "1234", "123456", "4321", "9876", "0123", "1212", "121212",
            "2580", "1990", "2007", "1503", "0315", "150390", "15031990",
        ]
        .map(|pin| {
            (
                pin,
                pin,
                None,
                "This PIN is too easy to guess, like 1234, 0000, a year or a birthday. Please \
                 choose another one.",
            )
        }),
    ) {
        let mut cmd = app.update(
            Event::SubmitNewPin {
                pin: pin.into(),
                confirm: confirm.into(),
                duress_pin: duress.map(str::to_string),
            }
            .into(),
            &mut model,
        );
        // Only a render: no vault effect for an invalid PIN.
        assert!(matches!(cmd.expect_one_effect(), Effect::Render(_)));
        match app.view(&model).screen {
            Screen::SetPin { error, .. } => assert_eq!(error.as_deref(), Some(expected)),
            other => panic!("{other:?}"),
        }
    }
    let mut cmd = app.update(
        Event::SubmitNewPin {
            pin: "482916".into(),
            confirm: "482916".into(),
            duress_pin: Some(String::new()),
        }
        .into(),
        &mut model,
    );
    let effects: Vec<Effect> = cmd.effects().collect();
    assert!(effects.iter().any(|e| matches!(e,
        Effect::Vault(r) if matches!(&r.operation, VaultOperation::Create { duress_pin: None, .. }))));
    assert!(app.view(&model).busy);
}

#[test]
fn first_run_language_pin_and_recovery_code() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let mut phone = Phone::start(dir.path(), config(&fixture));
    match phone.screen() {
        Screen::Welcome { languages, .. } => {
            let codes: Vec<_> = languages.iter().map(|c| c.code.as_str()).collect();
            assert_eq!(
                codes,
                ["en", "ne", "bn", "id", "tl", "my", "es", "hi", "ur"]
            );
            assert!(languages[0].selected);
        }
        other => panic!("{other:?}"),
    }
    phone.send(Event::ChooseLanguage {
        language: "ne".into(),
    });
    let view = phone.view();
    assert_eq!(view.language, "ne");
    assert_eq!(view.direction, TextDirection::Ltr);
    assert_eq!(view.title, i18n::tr("ne", K::WelcomeTitle));
    phone.send(Event::ChooseLanguage {
        language: "xx".into(),
    });
    assert_eq!(phone.view().language, "ne");
    assert!(phone.view().notice.unwrap().error);
    phone.send(Event::ChooseLanguage {
        language: "en".into(),
    });
    phone.send(Event::StartSetup);
    assert!(matches!(
        phone.screen(),
        Screen::SetPin {
            recovering: false,
            ..
        }
    ));
    phone.send(Event::SubmitNewPin {
        pin: PIN.into(),
        confirm: PIN.into(),
        duress_pin: None,
    });
    let code = match phone.screen() {
        Screen::ShowRecoveryCode { code, intro, .. } => {
            assert!(intro.contains("paper"));
            code
        }
        other => panic!("{other:?}"),
    };
    RecoveryCode::parse(&code).expect("the code shown is a valid recovery code");
    phone.send(Event::RecoveryCodeWritten);
    assert!(matches!(
        phone.screen(),
        Screen::Home {
            has_draft: false,
            ..
        }
    ));

    // After a restart: the lock screen, then the same device state.
    drop(phone);
    let mut phone = Phone::start(dir.path(), config(&fixture));
    match phone.screen() {
        Screen::Unlock {
            attempts_left,
            error,
            ..
        } => {
            assert_eq!(attempts_left, 5);
            assert_eq!(error, None);
        }
        other => panic!("{other:?}"),
    }
    phone.send(Event::Unlock { pin: PIN.into() });
    assert!(matches!(phone.screen(), Screen::Home { .. }));
}

#[test]
fn every_step_of_composing_has_its_screen() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    phone.send(Event::NewReport);
    let expected = [
        (Step::Money, Some(FieldId::FeePayee)),
        (Step::WhatHappened, Some(FieldId::Indicators)),
        (Step::People, None),
        (Step::Place, Some(FieldId::Sector)),
        (Step::Wage, Some(FieldId::ContractSubstituted)),
        (Step::Story, None),
        (Step::Evidence, None),
        (Step::Consent, Some(FieldId::Consent)),
    ];
    for (number, (step, option)) in expected.iter().enumerate() {
        let view = compose_view(&phone);
        assert_eq!(view.step, *step);
        assert_eq!(view.step_number as usize, number + 1);
        assert_eq!(view.step_count, 8);
        assert_eq!(view.counter, format!("Step {} of 8", number + 1));
        assert!(!view.help.is_empty());
        if let Some(option) = option {
            assert!(view.options.iter().any(|o| o.id == *option), "{step:?}");
        }
        if *step == Step::WhatHappened {
            let choices = &view.options[0].choices;
            assert_eq!(choices.len(), 11, "the 11 ILO indicators");
            assert!(choices.iter().any(|c| c.label.contains("passport")));
        }
        if *step == Step::Place {
            // Nothing entered yet: leaving the step shows what is missing.
            phone.send(Event::NextStep);
            assert!(has_error(&phone, "destination_country", "invalid_country"));
            assert_eq!(compose_view(&phone).step, Step::Place);
            phone.send(Event::SetPlace {
                destination_country: "QA".into(),
                origin_country: String::new(),
                sector: String::new(),
            });
            assert!(errors(&phone).is_empty());
        }
        phone.send(Event::NextStep);
    }
    // After the last step comes the review.
    assert!(matches!(phone.screen(), Screen::Review(_)));
    phone.send(Event::GoToStep { step: Step::Wage });
    assert_eq!(compose_view(&phone).step, Step::Wage);
    phone.send(Event::PreviousStep);
    assert_eq!(compose_view(&phone).step, Step::Place);
    // The draft is saved (flushed) with every step.
    assert!(phone.seen.iter().any(|s| matches!(s,
        Seen::VaultWrite { keys, flush: true } if keys == &["put draft/current".to_string()])));
    phone.send(Event::GoHome);
    assert!(matches!(
        phone.screen(),
        Screen::Home {
            has_draft: true,
            ..
        }
    ));
    phone.send(Event::NewReport);
    assert_eq!(compose_view(&phone).step, Step::Money);
    phone.send(Event::DiscardDraft);
    assert!(matches!(
        phone.screen(),
        Screen::Home {
            has_draft: false,
            ..
        }
    ));
}

#[test]
fn every_validation_rule_shows_a_message_on_its_field() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    phone.compose_report((true, false, false));
    phone.send(Event::GoToStep { step: Step::Money });
    // Amount typed with letters: refused at once, nothing added.
    phone.send(Event::AddFee {
        amount: "12abc".into(),
        currency: "NPR".into(),
        payee: "broker".into(),
        stage: "origin".into(),
        category: "medical".into(),
        paid_on: String::new(),
        receipt: None,
    });
    assert!(has_error(&phone, "fee.amount", "amount_not_a_number"));
    assert_eq!(compose_view(&phone).items.len(), 1);
    let fee = |amount: &str, currency: &str, payee: &str, paid_on: &str| Event::AddFee {
        amount: amount.into(),
        currency: currency.into(),
        payee: payee.into(),
        stage: "origin".into(),
        category: "medical".into(),
        paid_on: paid_on.into(),
        receipt: None,
    };
    phone.send(fee("100", "RUPEES", "broker", ""));
    phone.send(fee("100", "NPR", "broker", "2026-13"));
    phone.send(fee("20000000000000000", "NPR", "broker", ""));
    phone.send(fee("100", "NPR", "crypto_broker", ""));
    phone.send(Event::NextStep);
    for (field, code) in [
        ("fees[1].amount.currency", "invalid_currency"),
        ("fees[2].paid_on", "invalid_date"),
        ("fees[3].amount.amount_minor", "amount_too_large"),
        ("fees[4].payee", "unknown_value"),
    ] {
        assert!(
            has_error(&phone, field, code),
            "{field} {code}: {:?}",
            errors(&phone)
        );
    }
    let messages: Vec<String> = compose_view(&phone)
        .all_errors()
        .into_iter()
        .map(|e| e.message.clone())
        .collect();
    assert!(messages.contains(
        &"This is not a currency code. Use three letters, for example NPR or QAR.".to_string()
    ));
    assert_eq!(
        compose_view(&phone).step,
        Step::Money,
        "blocked on its problems"
    );
    for index in (1..5).rev() {
        phone.send(Event::RemoveFee { index });
    }
    for _ in 0..51 {
        phone.send(fee("1", "NPR", "broker", ""));
    }
    phone.send(Event::NextStep);
    assert!(has_error(&phone, "fees", "too_many"));
    assert!(
        compose_view(&phone)
            .all_errors()
            .into_iter()
            .any(|e| e.message == "Too many: at most 50.")
    );
    for _ in 0..51 {
        phone.send(Event::RemoveFee { index: 1 });
    }
    phone.send(Event::NextStep);
    assert_eq!(compose_view(&phone).step, Step::WhatHappened);

    phone.send(Event::SetIndicator {
        indicator: "levitation".into(),
        present: true,
    });
    phone.send(Event::NextStep);
    assert!(
        errors(&phone)
            .iter()
            .any(|(f, c)| f.starts_with("indicators[") && c == "unknown_value")
    );
    phone.send(Event::SetIndicator {
        indicator: "levitation".into(),
        present: false,
    });
    phone.send(Event::NextStep);
    assert_eq!(compose_view(&phone).step, Step::People);

    phone.send(Event::SetRecruiter {
        name: String::new(),
        licence_number: "77".into(),
        country: "ZZ".into(),
    });
    phone.send(Event::SetEmployer {
        name: "x".repeat(201),
        licence_number: String::new(),
        country: String::new(),
    });
    phone.send(Event::NextStep);
    assert!(has_error(&phone, "recruiter.name", "required"));
    assert!(has_error(&phone, "recruiter.country", "invalid_country"));
    assert!(has_error(&phone, "employer.name", "too_long"));
    assert!(
        compose_view(&phone)
            .all_errors()
            .into_iter()
            .any(|e| e.message == "This is too long: at most 200 letters.")
    );
    phone.send(Event::SetRecruiter {
        name: "Agent".into(),
        licence_number: String::new(),
        country: "NP".into(),
    });
    phone.send(Event::SetEmployer {
        name: String::new(),
        licence_number: String::new(),
        country: String::new(),
    });
    phone.send(Event::NextStep);
    assert_eq!(compose_view(&phone).step, Step::Place);

    phone.send(Event::SetPlace {
        destination_country: "XQ".into(),
        origin_country: "Nepal".into(),
        sector: "Z".into(),
    });
    phone.send(Event::NextStep);
    assert!(has_error(&phone, "destination_country", "invalid_country"));
    assert!(has_error(&phone, "origin_country", "invalid_country"));
    assert!(has_error(&phone, "sector", "unknown_value"));
    phone.send(Event::SetPlace {
        destination_country: "QA".into(),
        origin_country: "NP".into(),
        sector: "F".into(),
    });
    phone.send(Event::NextStep);
    assert_eq!(compose_view(&phone).step, Step::Wage);

    phone.send(Event::SetWage {
        amount: "ten".into(),
        currency: "QAR".into(),
        contract_substituted: None,
    });
    assert!(has_error(
        &phone,
        "monthly_wage.amount",
        "amount_not_a_number"
    ));
    phone.send(Event::SetWage {
        amount: "1000".into(),
        currency: "QQQ".into(),
        contract_substituted: None,
    });
    phone.send(Event::NextStep);
    assert!(has_error(
        &phone,
        "monthly_wage.currency",
        "invalid_currency"
    ));
    phone.send(Event::SetWage {
        amount: "1000".into(),
        currency: "QAR".into(),
        contract_substituted: Some(false),
    });
    phone.send(Event::NextStep);
    assert_eq!(compose_view(&phone).step, Step::Story);

    phone.send(Event::SetStory {
        text: "x".repeat(20_001),
        language: "Nepali!".into(),
    });
    phone.send(Event::NextStep);
    assert!(has_error(&phone, "free_text", "too_long"));
    assert!(has_error(&phone, "language", "invalid_language"));
    phone.send(Event::SetStory {
        text: "ok".into(),
        language: "ne".into(),
    });
    phone.send(Event::NextStep);
    assert_eq!(compose_view(&phone).step, Step::Evidence);
    phone.send(Event::AddEvidence {
        bytes: b"%PDF-1.4 not a photo".to_vec(),
    });
    assert!(has_error(&phone, "evidence", "unsupported"));
    phone.send(Event::NextStep);

    phone.send(Event::SetConsent {
        union: false,
        inspectorate: false,
        ngo: false,
        contact_wanted: true,
    });
    phone.send(Event::NextStep);
    assert!(has_error(&phone, "consent", "no_recipient_consented"));
    // Review with a problem anywhere goes back to that step.
    phone.send(Event::GoToStep { step: Step::Money });
    phone.send(Event::Review);
    assert_eq!(compose_view(&phone).step, Step::Consent);
}

#[test]
fn every_field_problem_has_a_message_in_every_language() {
    let problems = [
        FieldProblem::Required,
        FieldProblem::TooLong { max: 200 },
        FieldProblem::TooMany { max: 50 },
        FieldProblem::InvalidCountry,
        FieldProblem::InvalidCurrency,
        FieldProblem::InvalidDate,
        FieldProblem::AmountTooLarge,
        FieldProblem::InvalidLanguage,
        FieldProblem::NoRecipientConsented,
        FieldProblem::UnknownValue,
        FieldProblem::InvalidMediaType,
        FieldProblem::Duplicate,
    ];
    for (language, _) in i18n::LANGUAGES {
        let texts: std::collections::BTreeSet<String> = problems
            .iter()
            .map(|p| i18n::tr(language, problem_key(p)))
            .collect();
        assert_eq!(
            texts.len(),
            problems.len(),
            "{language}: one distinct message per problem"
        );
        assert!(texts.iter().all(|t| !t.trim().is_empty()));
    }
}

#[test]
fn review_shows_what_is_disclosed_and_who_gets_it_and_who_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    phone.compose_report((true, false, false));
    phone.send(Event::Review);
    match phone.screen() {
        Screen::Review(review) => {
            assert_eq!(
                review.note.as_deref(),
                Some(i18n::tr("en", K::ReviewNoDirectory).as_str())
            );
            assert!(review.recipients.is_empty());
        }
        other => panic!("{other:?}"),
    }
    // Entering the review fetches the directory.
    phone.serve_directory(&fixture.publish(&fixture.listing(5)));
    let review = match phone.screen() {
        Screen::Review(review) => review,
        other => panic!("{other:?}"),
    };
    let disclosed: Vec<(String, String)> = review
        .disclosed
        .iter()
        .map(|l| (l.label.clone(), l.value.clone()))
        .collect();
    assert_eq!(disclosed[0], ("Country of work".into(), "QA".into()));
    assert_eq!(
        disclosed[1],
        ("Kind of work".into(), "Construction (F)".into())
    );
    assert!(disclosed[2].1.contains("fees for getting the job"));
    assert!(disclosed[2].1.contains("forced work"));
    assert!(disclosed[2].1.contains("a different job than promised"));
    assert_eq!(
        disclosed[3],
        ("Who may read it".into(), "workers' union".into())
    );
    assert_eq!(review.recipients.len(), 1);
    assert_eq!(review.recipients[0].name, "Building Workers Union");
    assert_eq!(
        review.recipients[0].reason,
        "Because it is about QA, Construction"
    );
    assert_eq!(review.recipients[0].problem, None);
    let withheld: Vec<&str> = review.withheld.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(withheld, ["Labour Inspectorate", "Migrant Rights Centre"]);
    assert_eq!(
        review.withheld[0].reason,
        "You did not agree to share with a labour inspection office."
    );
    assert!(review.can_send);

    // With consent for the inspectorate, it becomes a recipient.
    phone.send(Event::GoToStep {
        step: Step::Consent,
    });
    phone.send(Event::SetConsent {
        union: true,
        inspectorate: true,
        ngo: false,
        contact_wanted: false,
    });
    phone.send(Event::Review);
    phone.serve_directory(&fixture.publish(&fixture.listing(5)));
    match phone.screen() {
        Screen::Review(review) => {
            let names: Vec<&str> = review.recipients.iter().map(|r| r.name.as_str()).collect();
            assert_eq!(names, ["Building Workers Union", "Labour Inspectorate"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_report_is_shown_saved_only_after_the_flushed_write() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    phone.compose_report((true, true, false));
    phone.send(Event::Review);
    phone.serve_directory(&fixture.publish(&fixture.listing(5)));
    let before = phone.seen.len();

    // Hold the flushed write back to see that the notice waits for it.
    phone.hold_next(|e| matches!(e, Effect::Vault(r) if matches!(&r.operation, VaultOperation::Write { flush: true, .. })));
    phone.send(Event::SendReport);
    let held = phone.held_vault();
    let write = held.first().expect("a flushed vault write");
    assert!(phone.view().notice.is_none(), "not yet reported saved");
    assert!(phone.view().busy);
    match write {
        VaultOperation::Write { ops, flush } => {
            assert!(flush);
            let keys: Vec<String> = ops.iter().map(|o| format!("{o:?}")).collect();
            assert!(keys[0].starts_with("Put(outbox/"));
            assert!(keys[1].starts_with("Put(device/state"));
            assert_eq!(keys[2], "Delete(draft/current)");
        }
        other => panic!("{other:?}"),
    }
    phone.release_held();
    let view = phone.view();
    assert_eq!(view.notice.unwrap().text, i18n::tr("en", K::ReportSaved));
    match view.screen {
        Screen::Outbox { items, .. } => {
            assert_eq!(items.len(), 1);
            assert_eq!(items[0].state, DeliveryState::Waiting);
            assert_eq!(items[0].state_text, "Waiting for signal");
        }
        other => panic!("{other:?}"),
    }
    assert!(phone.seen.len() > before);
}

#[test]
fn settings_change_language_and_wipe_everything() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    phone.send(Event::OpenSettings);
    match phone.screen() {
        Screen::Settings {
            languages,
            confirm_wipe,
            ..
        } => {
            assert_eq!(languages.len(), 9);
            assert!(!confirm_wipe);
        }
        other => panic!("{other:?}"),
    }
    phone.send(Event::SetLanguage {
        language: "es".into(),
    });
    assert_eq!(phone.view().language, "es");
    assert_eq!(phone.view().title, i18n::tr("es", K::SettingsTitle));
    // The choice is kept in the vault.
    drop(phone);
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.send(Event::Unlock { pin: PIN.into() });
    assert_eq!(phone.view().language, "es");
    phone.send(Event::OpenSettings);
    phone.send(Event::ConfirmWipe);
    assert!(
        workvoice_core::vault::Vault::status(dir.path()).unwrap()
            != workvoice_core::vault::VaultStatus::NotInitialised,
        "wipe needs confirmation"
    );
    let forget = Seen::Platform(PlatformOperation::ForgetPlatformSecret);
    assert!(!phone.seen.contains(&forget));
    phone.send(Event::AskWipe);
    phone.send(Event::ConfirmWipe);
    assert!(matches!(phone.screen(), Screen::Welcome { .. }));
    // The shell is told to forget the platform secret, once, after the vault is gone.
    assert_eq!(phone.seen.iter().filter(|s| **s == forget).count(), 1);
    assert_eq!(
        workvoice_core::vault::Vault::status(dir.path()).unwrap(),
        workvoice_core::vault::VaultStatus::NotInitialised
    );
}

#[test]
fn the_lock_screen_and_locking_forget_everything_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    phone.compose_report((true, false, false));
    phone.send(Event::Lock);
    assert!(matches!(phone.screen(), Screen::Unlock { .. }));
    phone.send(Event::NewReport);
    assert!(
        matches!(phone.screen(), Screen::Unlock { .. }),
        "nothing opens while locked"
    );
    phone.send(Event::Unlock { pin: PIN.into() });
    assert!(matches!(
        phone.screen(),
        Screen::Home {
            has_draft: true,
            ..
        }
    ));
}

#[test]
fn pins_that_are_not_common_are_accepted() {
    for pin in [
        "482916", "204851", "135790", "7391", "9043", "58301", "3322114", "660271",
    ] {
        assert!(!is_common_pin(pin), "{pin} is not a common PIN");
    }
    for pin in [
        "5555", "3456", "87654321", "4545", "1940", "2039", "3112", "1231", "311299",
    ] {
        assert!(is_common_pin(pin), "{pin} is a common PIN");
    }
}

#[test]
fn the_host_draws_randomness_from_the_entropy_it_is_given() {
    let fixture = Fixture::new();
    let codes: Vec<String> = (0..2)
        .map(|_| {
            let dir = tempfile::tempdir().unwrap();
            Phone::start(dir.path(), config(&fixture)).onboard()
        })
        .collect();
    // Both phones drew the same bytes from the test's entropy, so the same recovery code.
    assert_eq!(codes[0], codes[1]);

    // On the system generator (what the shells get), the code is another.
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("phone");
    let (host, _) = Host::start(HostConfig {
        data_dir: data_dir.display().to_string(),
        app: config(&fixture),
        insecure_fast_kdf: true,
        max_pin_attempts: 0,
        platform_secret: Vec::new(),
    })
    .unwrap();
    host.update(Event::StartSetup);
    host.update(Event::SubmitNewPin {
        pin: PIN.into(),
        confirm: PIN.into(),
        duress_pin: None,
    });
    let Screen::ShowRecoveryCode { code, .. } = host.view().screen else {
        panic!("no recovery code shown");
    };
    assert_ne!(code, codes[0]);
}
