//! The whole report from the phone: loans and the job (title, pay, employer) promised against
//! the job found go from the compose screens into the sealed report, checked field by field on
//! the way; and the two languages of the South Asian corridors, Urdu (right to left) and Hindi.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Phone, config};
use workvoice_core::app::*;
use workvoice_core::i18n::{self, K};
use workvoice_proto::envelope::open;
use workvoice_proto::report::{JobTerms, LenderKind, Loan, Money, Report, VisaType};
use workvoice_proto::routing::disclosure_digest;
use workvoice_proto::vectors::Fixture;

fn compose_view(phone: &Phone) -> ComposeView {
    match phone.screen() {
        Screen::Compose(c) => c,
        other => panic!("not composing: {other:?}"),
    }
}

/// Whether the step shows the problem `code` next to input `id` (or, for `None`, above the
/// inputs, on the report path `path`).
fn has_error(phone: &Phone, id: Option<FieldId>, path: &str, code: &str) -> bool {
    let view = compose_view(phone);
    let found = |errors: &[FieldMessage]| {
        errors
            .iter()
            .any(|e| e.field == path && e.code == code && !e.message.is_empty())
    };
    match id {
        Some(id) => {
            view.fields.iter().any(|f| f.id == id && found(&f.errors))
                || view.options.iter().any(|g| g.id == id && found(&g.errors))
        }
        None => found(&view.errors),
    }
}

/// What a shell sends: the text typed in each input, by the id the view gave it.
fn type_in(phone: &mut Phone, inputs: &[(FieldId, &str)]) {
    for (field, value) in inputs {
        phone.send(Event::Input {
            field: *field,
            value: (*value).into(),
        });
    }
}

fn add_loan(phone: &mut Phone, amount: &str, lender: &str, interest: &str) {
    type_in(
        phone,
        &[
            (FieldId::LoanAmount, amount),
            (FieldId::LoanCurrency, "pkr"),
            (FieldId::LoanInterest, interest),
        ],
    );
    phone.send(Event::Pick {
        field: FieldId::LoanLender,
        code: lender.into(),
    });
    phone.send(Event::Act {
        action: ActionId::AddLoan,
    });
}

fn set_job(phone: &mut Phone, promised_title: &str, promised_wage: &str) {
    phone.send(Event::SetJob {
        promised_title: promised_title.into(),
        promised_wage: promised_wage.into(),
        promised_currency: "sar".into(),
        actual_title: "Labourer".into(),
        promised_employer: " Riyadh Facilities Co. ".into(),
    });
}

fn type_job(phone: &mut Phone, promised_title: &str, promised_wage: &str) {
    type_in(
        phone,
        &[
            (FieldId::PromisedTitle, promised_title),
            (FieldId::PromisedWage, promised_wage),
            (FieldId::PromisedCurrency, "sar"),
            (FieldId::ActualTitle, "Labourer"),
            (FieldId::PromisedEmployer, " Riyadh Facilities Co. "),
        ],
    );
}

fn type_wage(phone: &mut Phone, amount: &str, currency: &str) {
    type_in(
        phone,
        &[
            (FieldId::WageAmount, amount),
            (FieldId::WageCurrency, currency),
        ],
    );
}

fn money(amount_minor: u64, currency: &str) -> Money {
    Money {
        amount_minor,
        currency: currency.into(),
    }
}

/// The compose form as a shell drives it: only the ids the view gives, and `Input`, `Pick`,
/// `Act`, `RemoveItem`; the core keeps what is typed, builds the report's events from it, and
/// puts each problem next to its input.
#[test]
fn loan_and_job_inputs_are_checked_field_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    phone.send(Event::NewReport);
    let view = compose_view(&phone);
    let ids: Vec<FieldId> = view.fields.iter().map(|f| f.id).collect();
    assert!(ids.contains(&FieldId::LoanAmount) && ids.contains(&FieldId::LoanInterest));
    assert!(view.fields.iter().all(|f| f.value.is_empty()));
    assert!(view.options.iter().any(|o| o.id == FieldId::LoanLender
        && !o.multiple
        && o.choices.iter().any(|c| c.code == "moneylender")));
    assert!(view.actions.iter().any(|a| a.id == ActionId::AddLoan));

    // What is typed is kept by the core and shown back.
    type_in(&mut phone, &[(FieldId::LoanAmount, "a lot")]);
    let shown = compose_view(&phone);
    let amount = shown
        .fields
        .iter()
        .find(|f| f.id == FieldId::LoanAmount)
        .unwrap();
    assert_eq!(amount.value, "a lot");

    // Typed errors next to the inputs; nothing is added, and the inputs keep what was typed.
    add_loan(&mut phone, "a lot", "moneylender", "3");
    assert!(has_error(
        &phone,
        Some(FieldId::LoanAmount),
        "loan.amount",
        "amount_not_a_number"
    ));
    add_loan(&mut phone, "450000", "moneylender", "three");
    assert!(has_error(
        &phone,
        Some(FieldId::LoanInterest),
        "loan.interest",
        "interest_not_a_number"
    ));
    assert!(compose_view(&phone).items.is_empty());
    // Typing it again takes the message away.
    type_in(&mut phone, &[(FieldId::LoanInterest, "3")]);
    assert!(!has_error(
        &phone,
        Some(FieldId::LoanInterest),
        "loan.interest",
        "interest_not_a_number"
    ));

    // A lender the app does not know is added, then refused by the report's own rule, above
    // the inputs: an added loan has no input of its own.
    add_loan(&mut phone, "450000", "loan shark", "");
    phone.send(Event::NextStep);
    assert_eq!(compose_view(&phone).step, Step::Money);
    assert!(has_error(&phone, None, "loans[0].lender", "unknown_value"));
    phone.send(Event::RemoveItem {
        list: ListId::Loans,
        index: 0,
    });
    add_loan(&mut phone, "450,000", "moneylender", "2.5%");
    let view = compose_view(&phone);
    assert_eq!(view.items.len(), 1);
    assert_eq!(view.items[0].list, ListId::Loans);
    assert_eq!(
        view.items[0].text,
        "450,000.00 PKR · A moneylender · 2.5% interest a month"
    );
    // The loan's inputs are emptied once it is added.
    assert!(
        view.fields
            .iter()
            .filter(|f| matches!(f.id, FieldId::LoanAmount | FieldId::LoanCurrency))
            .all(|f| f.value.is_empty())
    );
    assert!(
        view.options
            .iter()
            .find(|o| o.id == FieldId::LoanLender)
            .unwrap()
            .choices
            .iter()
            .all(|c| !c.selected)
    );

    // A deduction takes the amount typed for the payment above it.
    type_in(
        &mut phone,
        &[(FieldId::FeeAmount, "300"), (FieldId::FeeCurrency, "sar")],
    );
    phone.send(Event::Pick {
        field: FieldId::DeductionReason,
        code: "accommodation".into(),
    });
    phone.send(Event::Act {
        action: ActionId::AddDeduction,
    });
    let view = compose_view(&phone);
    assert!(
        view.items
            .iter()
            .any(|i| i.list == ListId::Deductions && i.text.starts_with("300.00 SAR"))
    );
    phone.send(Event::NextStep);
    assert_eq!(compose_view(&phone).step, Step::WhatHappened);

    phone.send(Event::GoToStep { step: Step::Wage });
    let ids: Vec<FieldId> = compose_view(&phone).fields.iter().map(|f| f.id).collect();
    for id in [
        FieldId::PromisedTitle,
        FieldId::PromisedWage,
        FieldId::PromisedCurrency,
        FieldId::PromisedEmployer,
        FieldId::ActualTitle,
        FieldId::WageAmount,
    ] {
        assert!(ids.contains(&id), "{id:?} in {ids:?}");
    }
    // A promised wage that is not a number keeps the worker on the step with its message,
    // next to the promised wage, and what she typed stays in the inputs.
    type_job(&mut phone, "Electrician", "lots");
    type_wage(&mut phone, "1000", "SAR");
    phone.send(Event::NextStep);
    assert_eq!(compose_view(&phone).step, Step::Wage);
    assert!(has_error(
        &phone,
        Some(FieldId::PromisedWage),
        "job.promised.wage",
        "amount_not_a_number"
    ));
    phone.send(Event::NextStep);
    assert!(has_error(
        &phone,
        Some(FieldId::PromisedWage),
        "job.promised.wage",
        "amount_not_a_number"
    ));
    // A title that is too long is the report's own rule, on its field.
    type_job(&mut phone, &"x".repeat(201), "1800");
    phone.send(Event::NextStep);
    assert_eq!(compose_view(&phone).step, Step::Wage);
    assert!(has_error(
        &phone,
        Some(FieldId::PromisedTitle),
        "job.promised.title",
        "too_long"
    ));
    // So is a promised employer's name.
    type_in(&mut phone, &[(FieldId::PromisedEmployer, &"y".repeat(201))]);
    phone.send(Event::NextStep);
    assert_eq!(compose_view(&phone).step, Step::Wage);
    assert!(has_error(
        &phone,
        Some(FieldId::PromisedEmployer),
        "job.promised.employer",
        "too_long"
    ));
    type_job(&mut phone, "Electrician", "1800");
    // A wrong currency of the pay found is said once, on the wage's currency.
    type_wage(&mut phone, "1000", "QQQ");
    phone.send(Event::NextStep);
    let view = compose_view(&phone);
    let errors: Vec<(FieldId, String)> = view
        .fields
        .iter()
        .flat_map(|f| f.errors.iter().map(|e| (f.id, e.field.clone())))
        .collect();
    assert_eq!(
        errors,
        [(FieldId::WageCurrency, "monthly_wage.currency".to_string())]
    );
    assert!(view.errors.is_empty());
    type_wage(&mut phone, "1000", "SAR");
    // The visa, a field added with edits in proto/ and shared/src/app/ only (and the
    // translations): the shell draws it as any other picker.
    let visa = compose_view(&phone)
        .options
        .into_iter()
        .find(|o| o.id == FieldId::VisaType)
        .expect("the job step asks for the visa");
    assert!(!visa.multiple && visa.choices.iter().any(|c| c.code == "visit"));
    phone.send(Event::Pick {
        field: FieldId::VisaType,
        code: "visit".into(),
    });
    phone.send(Event::NextStep);
    assert_eq!(compose_view(&phone).step, Step::Story);
    // Back on the step, the inputs show what the report took.
    phone.send(Event::PreviousStep);
    let view = compose_view(&phone);
    let value = |id: FieldId| {
        view.fields
            .iter()
            .find(|f| f.id == id)
            .map(|f| f.value.clone())
            .unwrap()
    };
    assert_eq!(value(FieldId::PromisedTitle), "Electrician");
    assert_eq!(value(FieldId::PromisedWage), "1,800.00");
    assert_eq!(value(FieldId::PromisedCurrency), "SAR");
    assert_eq!(value(FieldId::ActualTitle), "Labourer");
    assert_eq!(value(FieldId::PromisedEmployer), "Riyadh Facilities Co.");
    let visa = view
        .options
        .iter()
        .find(|o| o.id == FieldId::VisaType)
        .unwrap();
    let chosen: Vec<&str> = visa
        .choices
        .iter()
        .filter(|c| c.selected)
        .map(|c| c.code.as_str())
        .collect();
    assert_eq!(chosen, ["visit"]);
    assert_eq!(value(FieldId::WageAmount), "1,000.00");
}

/// The typed text lives in the core's memory only: nothing of it is in the locked view, and it
/// is not in the report after unlock.
#[test]
fn typed_text_is_forgotten_on_lock() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    phone.send(Event::NewReport);
    phone.send(Event::GoToStep { step: Step::Story });
    type_in(
        &mut phone,
        &[(
            FieldId::StoryText,
            "They kept my passport in the office safe",
        )],
    );
    phone.send(Event::Background);
    let locked = format!("{:?}", phone.view());
    assert!(!locked.contains("office safe"), "{locked}");
    phone.send(Event::Unlock {
        pin: common::PIN.into(),
    });
    assert!(matches!(phone.screen(), Screen::Home { .. }));
    phone.send(Event::NewReport);
    phone.send(Event::GoToStep { step: Step::Story });
    let view = compose_view(&phone);
    assert!(view.fields.iter().all(|f| !f.value.contains("office safe")));
}

#[test]
fn a_loan_and_the_promised_job_reach_the_union_field_for_field() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let served = fixture.publish(&fixture.listing(5));
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    phone.compose_report((true, false, false));
    add_loan(&mut phone, "450000", "moneylender", "2.5");
    add_loan(&mut phone, "20000.50", "family_or_friend", "");
    set_job(&mut phone, "Electrician", "1800");
    phone.send(Event::SetWage {
        amount: "1000".into(),
        currency: "SAR".into(),
        contract_substituted: Some(true),
    });
    phone.send(Event::SetVisa {
        visa_type: "visit".into(),
    });
    phone.send(Event::SetEmployer {
        name: "Al Habtoor Contracting".into(),
        licence_number: String::new(),
        country: "SA".into(),
    });
    phone.send(Event::Review);
    phone.serve_directory(&served);
    assert!(matches!(phone.screen(), Screen::Review(_)));
    phone.send(Event::SendReport);
    phone.serve_directory(&served);
    let (_, submission) = phone.take_submission();
    let opened = open(
        &submission.envelope,
        fixture.union_id,
        &fixture.union_key,
        &disclosure_digest(&submission.tags, &submission.consent),
    )
    .unwrap();
    let report = Report::decode(&opened.plaintext).unwrap();
    assert_eq!(
        report.loans,
        vec![
            Loan {
                lender: LenderKind::Moneylender,
                principal: money(45_000_000, "PKR"),
                interest_bp_per_month: Some(250),
                collateral: None,
            },
            Loan {
                lender: LenderKind::FamilyOrFriend,
                principal: money(2_000_050, "PKR"),
                interest_bp_per_month: None,
                collateral: None,
            },
        ]
    );
    assert_eq!(
        report.job.promised,
        JobTerms {
            title: Some("Electrician".into()),
            monthly_wage: Some(money(180_000, "SAR")),
            hours_per_week: None,
            employer: Some("Riyadh Facilities Co.".into()),
        }
    );
    assert_eq!(
        report.job.actual,
        JobTerms {
            title: Some("Labourer".into()),
            monthly_wage: Some(money(100_000, "SAR")),
            hours_per_week: None,
            employer: Some("Al Habtoor Contracting".into()),
        }
    );
    assert_eq!(report.monthly_wage, Some(money(100_000, "SAR")));
    assert_eq!(report.job.contract_substituted, Some(true));
    assert_eq!(report.job.visa_type, Some(VisaType::Visit));
    assert!(
        submission
            .tags
            .kinds
            .iter()
            .any(|k| k.as_str() == "recruitment_fees")
    );
}

/// Every screen from the welcome screen through the compose steps, in `language`.
fn every_screen(language: &str) -> Vec<ViewModel> {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let mut phone = Phone::start(dir.path(), config(&fixture));
    let mut views = vec![phone.view()];
    phone.send(Event::ChooseLanguage {
        language: language.into(),
    });
    views.push(phone.view());
    phone.onboard();
    views.push(phone.view());
    phone.send(Event::NewReport);
    for _ in 0..8 {
        views.push(phone.view());
        phone.send(Event::NextStep);
    }
    for event in [Event::OpenOutbox, Event::OpenSettings] {
        phone.send(event);
        views.push(phone.view());
    }
    views
}

#[test]
fn urdu_is_laid_out_right_to_left_and_hindi_left_to_right() {
    let names: Vec<&str> = i18n::LANGUAGES.iter().map(|(code, _)| *code).collect();
    assert!(names.contains(&"ur") && names.contains(&"hi"));
    assert!(i18n::is_rtl("ur") && i18n::is_rtl("ur-PK") && !i18n::is_rtl("hi"));
    for (language, direction) in [("ur", TextDirection::Rtl), ("hi", TextDirection::Ltr)] {
        let views = every_screen(language);
        // The welcome screen is in the phone's language (English) before the choice.
        assert_eq!(views[0].direction, TextDirection::Ltr);
        for view in &views[1..] {
            assert_eq!(view.language, language, "{view:?}");
            assert_eq!(view.direction, direction, "{view:?}");
        }
        let steps: Vec<Step> = views
            .iter()
            .filter_map(|v| match &v.screen {
                Screen::Compose(c) => Some(c.step),
                _ => None,
            })
            .collect();
        assert_eq!(steps.len(), 8, "{language}: every step was shown");
        // The strings are the language's own, not English.
        let compose = views
            .iter()
            .find_map(|v| match &v.screen {
                Screen::Compose(c) if c.step == Step::Money => Some(c.clone()),
                _ => None,
            })
            .unwrap();
        let loan = compose
            .fields
            .iter()
            .find(|f| f.id == FieldId::LoanAmount)
            .unwrap();
        assert_eq!(loan.label, i18n::tr(language, K::FieldLoanAmount));
        assert_ne!(loan.label, K::FieldLoanAmount.english());
    }
    // Urdu text is in the Arabic script, Hindi in Devanagari.
    let script = |text: String, range: std::ops::RangeInclusive<char>| {
        text.chars().any(|c| range.contains(&c))
    };
    assert!(script(
        i18n::tr("ur", K::StepMoney),
        '\u{0600}'..='\u{06FF}'
    ));
    assert!(script(
        i18n::tr("hi", K::StepMoney),
        '\u{0900}'..='\u{097F}'
    ));
}
