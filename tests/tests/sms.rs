//! The SMS channel across processes: the relay (`workvoice-relay serve`), two `workvoice-sms`
//! processes, one behind each gateway format (the Android app's signed webhook, Jasmin's form
//! with its URL secret) with a simulated gateway that speaks their documented send APIs, and
//! the union's desk (`workvoice-desk serve`) driven over its web UI as a caseworker drives it.
//!
//! Scripted conversations in English, Nepali and Indonesian each become a case at the union's
//! desk whose exported fields are what the worker typed, with channel `sms`; the worker's
//! consent decides whether the inspectorate's inbox gets the report too; the dashboard counts
//! the cases by channel; and a reply a caseworker writes at the desk reaches the worker as an
//! SMS in her language, through the gateway she wrote from.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use workvoice_core::i18n::{K, tr};
use workvoice_desk::export::ExportCase;
use workvoice_proto::iso::currency_exponent;
use workvoice_proto::report::{Channel, Indicator};
use workvoice_tests::desk::DeskWeb;
use workvoice_tests::proxy::FaultPlan;
use workvoice_tests::sms::{Kind, SmsProcess, start_gateway};
use workvoice_tests::world::{Backend, World};

const CASEWORKER: &str = "amina";
const PASSWORD: &str = "caseworker password for the sms test";

/// What one worker types at each step of the dialogue, and what the union's desk must show.
struct Conversation {
    kind: Kind,
    number: &'static str,
    language: &'static str,
    greeting: &'static str,
    /// Her choice in the language menu (the menu is also answered in her language).
    language_choice: &'static str,
    /// What the language menu shows (in another language than hers).
    menu_shows: &'static str,
    /// `0` skips the sector; `1` is construction.
    sector_choice: &'static str,
    sector: Option<&'static str>,
    fee_typed: &'static str,
    fee: (u64, &'static str),
    recruiter: &'static str,
    problems_typed: &'static str,
    indicators: Vec<Indicator>,
    inspectorate: bool,
    answers: bool,
}

impl Conversation {
    /// Each line she sends and what the answer to it must contain: the next question in her
    /// language, the summary (which names the recruiter), then "sent".
    fn script(&self) -> Vec<(&'static str, Option<String>)> {
        let next = |k| Some(tr(self.language, k));
        let yes_no = |yes| if yes { "1" } else { "2" };
        vec![
            (self.greeting, Some(self.menu_shows.to_string())),
            (self.language_choice, next(K::SmsAskCountry)),
            ("1", next(K::SmsAskSector)),
            (self.sector_choice, next(K::SmsAskFee)),
            (self.fee_typed, next(K::SmsAskRecruiter)),
            (self.recruiter, next(K::SmsAskProblems)),
            (self.problems_typed, next(K::SmsAskInspectorate)),
            (yes_no(self.inspectorate), next(K::SmsAskAnswers)),
            (yes_no(self.answers), Some(self.recruiter.to_string())),
            ("1", next(K::SmsSent)),
        ]
    }
}

/// English and Indonesian through the Android app's webhook, Nepali through Jasmin.
fn conversations() -> Vec<Conversation> {
    vec![
        Conversation {
            kind: Kind::Android,
            number: "+9779841200001",
            language: "en",
            greeting: "Hello",
            language_choice: "1",
            menu_shows: "2 नेपाली",
            sector_choice: "1",
            sector: Some("F"),
            fee_typed: "150000 npr",
            fee: (150_000, "NPR"),
            recruiter: "Gulf Star Manpower",
            problems_typed: "1 4 7",
            indicators: vec![Indicator::ALL[0], Indicator::ALL[3], Indicator::ALL[6]],
            inspectorate: true,
            answers: false,
        },
        Conversation {
            kind: Kind::Jasmin,
            number: "+9779807600002",
            language: "ne",
            greeting: "नमस्ते",
            language_choice: "2",
            menu_shows: "1 English",
            sector_choice: "0",
            sector: None,
            fee_typed: "NPR 200000",
            fee: (200_000, "NPR"),
            recruiter: "राम मेनपावर",
            problems_typed: "8,9",
            indicators: vec![Indicator::WithholdingOfWages, Indicator::DebtBondage],
            inspectorate: false,
            answers: true,
        },
        Conversation {
            kind: Kind::Android,
            number: "+6281234500003",
            language: "id",
            greeting: "halo",
            language_choice: "4",
            menu_shows: "1 English",
            sector_choice: "1",
            sector: Some("F"),
            fee_typed: "25000000 IDR",
            fee: (25_000_000, "IDR"),
            recruiter: "PT Maju Jaya",
            problems_typed: "0",
            indicators: vec![],
            inspectorate: true,
            answers: true,
        },
    ]
}

/// The case of `c` as the desk exported it: every field what she typed.
fn assert_case_is_what_was_typed(case: &ExportCase, c: &Conversation) {
    let who = c.language;
    assert_eq!(case.channel, Channel::Sms.as_str(), "{who}");
    assert_eq!(case.language, c.language, "{who}");
    assert_eq!(case.destination_country, "QA", "{who}");
    assert_eq!(case.sector.as_deref(), c.sector, "{who}");
    assert_eq!(case.recruiter_name.as_deref(), Some(c.recruiter), "{who}");
    let (major, currency) = c.fee;
    let minor = major * 10u64.pow(u32::from(currency_exponent(currency).unwrap()));
    assert_eq!(case.fees.len(), 1, "{who}");
    assert_eq!(
        (
            case.fees[0].amount.amount_minor,
            case.fees[0].amount.currency.as_str()
        ),
        (minor, currency),
        "{who}"
    );
    let mut indicators = case.indicators.clone();
    indicators.sort();
    let mut typed: Vec<String> = c.indicators.iter().map(|i| i.as_str().into()).collect();
    typed.sort();
    assert_eq!(indicators, typed, "{who}");
    assert!(case.consent_union, "{who}");
    assert_eq!(case.consent_inspectorate, c.inspectorate, "{who}");
    assert_eq!(case.contact_wanted, Some(c.answers), "{who}");
    assert!(case.problems.is_empty(), "{who}: {:?}", case.problems);
}

#[test]
fn sms_conversations_through_both_gateways_become_cases_at_the_union_desk_and_replies_come_back() {
    let world = World::new(Backend::Sqlite, FaultPlan::None).unwrap();
    let gateway = start_gateway(world.runtime.handle()).unwrap();
    let relay = world.phone_proxy.url();
    let root = world.relay_config.root_public_key.clone();
    let start = |kind| {
        SmsProcess::start(
            kind,
            world.path(),
            &relay,
            &root,
            (&gateway.0, &gateway.1),
            1,
        )
        .unwrap()
    };
    let android = start(Kind::Android);
    let jasmin = start(Kind::Jasmin);
    let channel = |kind| match kind {
        Kind::Android => &android,
        Kind::Jasmin => &jasmin,
    };

    let conversations = conversations();
    for c in &conversations {
        channel(c.kind)
            .converse(c.number, &c.script())
            .unwrap_or_else(|e| panic!("{}: {e}", c.language));
    }
    // Nepali goes out as UCS-2 through Jasmin (coding 8).
    let sent_to_nepali: Vec<_> = gateway
        .1
        .lock()
        .unwrap()
        .iter()
        .filter(|(to, _, _)| to == conversations[1].number)
        .map(|(_, _, coding)| coding.clone())
        .collect();
    assert!(sent_to_nepali.iter().all(|c| c.as_deref() == Some("8")));

    // A caseworker signs in, syncs, and exports every case as JSON: all through the web UI.
    world.desk.add_user(CASEWORKER, PASSWORD).unwrap();
    let desk = world
        .desk
        .serve(&world.path().join("desk-serve.log"))
        .unwrap();
    let mut web = DeskWeb::sign_in(&desk.url, CASEWORKER, PASSWORD).unwrap();
    web.submit("/sync", &[]).unwrap();
    let export = web
        .post(
            "/export",
            &[
                ("format", "json"),
                ("audience", "internal"),
                ("include_free_text", "yes"),
                ("include_contact", "yes"),
            ],
        )
        .unwrap();
    assert_eq!(export.status, 200, "{}", export.body);
    let cases: Vec<ExportCase> = serde_json::from_str(&export.body).unwrap();
    assert_eq!(cases.len(), conversations.len(), "{cases:#?}");
    for c in &conversations {
        let case = cases
            .iter()
            .find(|case| case.recruiter_name.as_deref() == Some(c.recruiter))
            .unwrap_or_else(|| panic!("no case for {}", c.recruiter));
        assert_case_is_what_was_typed(case, c);
        let digits: String = c.number.chars().filter(char::is_ascii_digit).collect();
        assert!(!export.body.contains(&digits), "the desk knows a number");
    }

    // Consent decides whether the inspectorate got the report as well.
    let inspectorate = world.inspectorate_reports().unwrap();
    for c in &conversations {
        let case = cases
            .iter()
            .find(|case| case.recruiter_name.as_deref() == Some(c.recruiter))
            .unwrap();
        assert_eq!(
            inspectorate.contains_key(&case.report_id),
            c.inspectorate,
            "{}",
            c.language
        );
    }
    assert_eq!(inspectorate.len(), 2);

    // The dashboard counts the cases by channel.
    let dashboard = web.get("/dashboard").unwrap();
    assert_eq!(dashboard.status, 200);
    for row in [
        "<th scope=\"row\">SMS</th><td>3 cases</td>",
        "<th scope=\"row\">Workvoice app</th><td>0 cases</td>",
    ] {
        assert!(dashboard.body.contains(row), "no {row} in the dashboard");
    }

    // A reply written at the desk reaches each worker who asked for answers, by SMS, in her
    // language, through the gateway she wrote from.
    for c in conversations.iter().filter(|c| c.answers) {
        let case = cases
            .iter()
            .find(|case| case.recruiter_name.as_deref() == Some(c.recruiter))
            .unwrap();
        let text = format!("{} — union desk {}", c.recruiter, c.language);
        web.submit(
            &format!("/cases/{}/replies", case.case_id),
            &[("text", &text), ("language", c.language)],
        )
        .unwrap();
        let prefix = tr(c.language, K::SmsAnswer);
        let prefix = prefix.split('{').next().unwrap().to_string();
        channel(c.kind)
            .wait_for_text(c.number, Duration::from_secs(60), |t| {
                t.starts_with(&prefix) && t.ends_with(&text)
            })
            .unwrap_or_else(|e| panic!("{}: {e}", c.language));
    }
    drop(desk);
}
