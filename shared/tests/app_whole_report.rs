//! The whole report from the phone: loans and the job (title, pay, employer) promised against
//! the job found go from the compose screens into the sealed report, checked field by field on
//! the way; and the two languages of the South Asian corridors, Urdu (right to left) and Hindi.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Phone, config};
use workvoice_core::app::*;
use workvoice_core::i18n::{self, K};
use workvoice_proto::envelope::open;
use workvoice_proto::report::{JobTerms, LenderKind, Loan, Money, Report};
use workvoice_proto::routing::disclosure_digest;
use workvoice_proto::vectors::Fixture;

fn compose_view(phone: &Phone) -> ComposeView {
    match phone.screen() {
        Screen::Compose(c) => c,
        other => panic!("not composing: {other:?}"),
    }
}

fn has_error(phone: &Phone, field: &str, code: &str) -> bool {
    compose_view(phone)
        .errors
        .iter()
        .any(|e| e.field == field && e.code == code && !e.message.is_empty())
}

fn add_loan(phone: &mut Phone, amount: &str, lender: &str, interest: &str) {
    phone.send(Event::AddLoan {
        amount: amount.into(),
        currency: "pkr".into(),
        lender: lender.into(),
        interest: interest.into(),
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

fn money(amount_minor: u64, currency: &str) -> Money {
    Money {
        amount_minor,
        currency: currency.into(),
    }
}

#[test]
fn loan_and_job_inputs_are_checked_field_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.onboard();
    phone.send(Event::NewReport);
    let view = compose_view(&phone);
    let names: Vec<&str> = view.fields.iter().map(|f| f.name.as_str()).collect();
    assert!(names.contains(&"loan.amount") && names.contains(&"loan.interest"));
    assert!(
        view.options
            .iter()
            .any(|o| o.name == "loan.lender" && o.choices.iter().any(|c| c.code == "moneylender"))
    );
    assert!(view.actions.iter().any(|a| a.code == "add_loan"));

    // Typed errors next to the inputs; nothing is added.
    add_loan(&mut phone, "a lot", "moneylender", "3");
    assert!(has_error(&phone, "loan.amount", "amount_not_a_number"));
    add_loan(&mut phone, "450000", "moneylender", "three");
    assert!(has_error(&phone, "loan.interest", "interest_not_a_number"));
    assert!(compose_view(&phone).items.is_empty());

    // A lender the app does not know is added, then refused by the report's own rule.
    add_loan(&mut phone, "450000", "loan shark", "");
    phone.send(Event::NextStep);
    assert_eq!(compose_view(&phone).step, "money");
    assert!(has_error(&phone, "loans[0].lender", "unknown_value"));
    phone.send(Event::RemoveLoan { index: 0 });
    add_loan(&mut phone, "450,000", "moneylender", "2.5%");
    let items = compose_view(&phone).items;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].group, "loans");
    assert_eq!(
        items[0].text,
        "450,000.00 PKR · A moneylender · 2.5% interest a month"
    );
    phone.send(Event::NextStep);
    assert_eq!(compose_view(&phone).step, "what_happened");

    phone.send(Event::GoToStep {
        step: "wage".into(),
    });
    let names: Vec<String> = compose_view(&phone)
        .fields
        .into_iter()
        .map(|f| f.name)
        .collect();
    for name in [
        "job.promised.title",
        "job.promised.wage",
        "job.promised.currency",
        "job.promised.employer",
        "job.actual.title",
        "wage.amount",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
    }
    // A promised wage that is not a number keeps the worker on the step with its message,
    // also when the shell sends the step's other inputs after it, as it does on leaving.
    set_job(&mut phone, "Electrician", "lots");
    phone.send(Event::SetWage {
        amount: "1000".into(),
        currency: "SAR".into(),
        contract_substituted: None,
    });
    phone.send(Event::NextStep);
    assert_eq!(compose_view(&phone).step, "wage");
    assert!(has_error(
        &phone,
        "job.promised.wage",
        "amount_not_a_number"
    ));
    phone.send(Event::NextStep);
    assert!(has_error(
        &phone,
        "job.promised.wage",
        "amount_not_a_number"
    ));
    // A title that is too long is the report's own rule, on its field.
    set_job(&mut phone, &"x".repeat(201), "1800");
    phone.send(Event::NextStep);
    assert_eq!(compose_view(&phone).step, "wage");
    assert!(has_error(&phone, "job.promised.title", "too_long"));
    // So is a promised employer's name.
    phone.send(Event::SetJob {
        promised_title: "Electrician".into(),
        promised_wage: "1800".into(),
        promised_currency: "sar".into(),
        actual_title: "Labourer".into(),
        promised_employer: "y".repeat(201),
    });
    phone.send(Event::NextStep);
    assert_eq!(compose_view(&phone).step, "wage");
    assert!(has_error(&phone, "job.promised.employer", "too_long"));
    set_job(&mut phone, "Electrician", "1800");
    // A wrong currency of the pay found is said once, on the wage.
    phone.send(Event::SetWage {
        amount: "1000".into(),
        currency: "QQQ".into(),
        contract_substituted: None,
    });
    phone.send(Event::NextStep);
    let wage_errors: Vec<String> = compose_view(&phone)
        .errors
        .into_iter()
        .map(|e| e.field)
        .collect();
    assert_eq!(wage_errors, ["monthly_wage.currency"]);
    phone.send(Event::SetWage {
        amount: "1000".into(),
        currency: "SAR".into(),
        contract_substituted: None,
    });
    let view = compose_view(&phone);
    let value = |name: &str| {
        view.fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.clone())
            .unwrap()
    };
    assert_eq!(value("job.promised.title"), "Electrician");
    assert_eq!(value("job.promised.wage"), "1,800.00");
    assert_eq!(value("job.promised.currency"), "SAR");
    assert_eq!(value("job.promised.employer"), "Riyadh Facilities Co.");
    assert_eq!(value("job.actual.title"), "Labourer");
    phone.send(Event::NextStep);
    assert_eq!(compose_view(&phone).step, "story");
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
        let steps: Vec<String> = views
            .iter()
            .filter_map(|v| match &v.screen {
                Screen::Compose(c) => Some(c.step.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(steps.len(), 8, "{language}: every step was shown");
        // The strings are the language's own, not English.
        let compose = views
            .iter()
            .find_map(|v| match &v.screen {
                Screen::Compose(c) if c.step == "money" => Some(c.clone()),
                _ => None,
            })
            .unwrap();
        let loan = compose
            .fields
            .iter()
            .find(|f| f.name == "loan.amount")
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
