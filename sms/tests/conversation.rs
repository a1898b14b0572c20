//! Scripted conversations through each gateway format against a simulated gateway and a real
//! relay: English and Indonesian through the Android app's webhook, Nepali through Jasmin.
//! Each becomes a sealed report that the union opens with every field as typed; consent
//! decides whether the inspectorate gets it too; a union's answer comes back by SMS in her
//! language; no number is left in clear under the data directory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;

use support::{Kind, World, default_limits};
use workvoice_core::i18n::{K, tr};
use workvoice_proto::api::{PostReply, StatusChange, WorkerStatus};
use workvoice_proto::reply::{ReplyBody, seal_reply};
use workvoice_proto::report::{Channel, Indicator, Sector};
use workvoice_proto::status::{StatusBody, seal_status};
use workvoice_proto::vectors::DeterministicRng;
use workvoice_sms::service::now_secs;

/// Say each line in turn; check the last answer to each contains `expect` (when given).
fn converse(world: &mut World, number: &str, script: &[(&str, Option<&str>)]) {
    for (said, expect) in script {
        let (status, body, answers) = world.deliver(number, said);
        assert!(
            status == 204 || (status == 200 && body == "ACK/Jasmin"),
            "{said}: {status} {body}"
        );
        assert!(!answers.is_empty(), "no answer to {said:?}");
        if let Some(expect) = expect {
            assert!(
                answers.iter().any(|a| a.contains(expect)),
                "after {said:?} expected {expect:?} in {answers:#?}"
            );
        }
    }
}

/// Every file under `dir`, read as bytes, must not hold `needle` (nor its digits alone).
fn assert_absent(dir: &Path, needle: &str) {
    let digits: String = needle.chars().filter(char::is_ascii_digit).collect();
    let mut stack = vec![dir.to_path_buf()];
    let mut files = 0;
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            files += 1;
            let bytes = std::fs::read(&path).unwrap();
            for n in [needle, digits.as_str()] {
                assert!(
                    !bytes.windows(n.len()).any(|w| w == n.as_bytes()),
                    "{} holds {n}",
                    path.display()
                );
            }
        }
    }
    assert!(files >= 3, "only {files} files under {}", dir.display());
}

/// POST `body` as JSON to the relay's organisation API as the union; the status.
fn post_as_union(world: &World, path: &str, body: &impl serde::Serialize) -> u16 {
    world
        .agent
        .post(&world.relay.url(path))
        .header(
            "authorization",
            &format!("Bearer {}", world.relay.union.token),
        )
        .header("content-type", "application/json")
        .send(&serde_json::to_vec(body).unwrap()[..])
        .unwrap()
        .status()
        .as_u16()
}

#[test]
fn english_by_the_android_gateway_reaches_union_and_inspectorate() {
    let mut world = World::start(Kind::Android, default_limits());
    let number = "+9779841234567";
    let en = |k| tr("en", k);
    converse(
        &mut world,
        number,
        &[
            ("Hello", Some("2 नेपाली")),
            ("1", Some("Which country")),
            ("1", Some("What work")),
            ("1", Some("How much")),
            ("150000 npr", Some("Who recruited")),
            ("Gulf Star Manpower", Some("7 passport taken")),
            ("1 4 7", Some("inspectorate")),
            ("1", Some("answers by SMS")),
            ("2", Some("Gulf Star Manpower")),
            ("1", Some(&en(K::SmsSent))),
        ],
    );
    let union = world.inbox(&world.relay.union);
    assert_eq!(union.len(), 1);
    let report = world.open(&world.relay.union, &union[0]);
    assert_eq!(report.destination_country, "QA");
    assert_eq!(report.channel, Some(Channel::Sms));
    assert_eq!(report.sector, Some(Sector::Construction));
    assert_eq!(report.language, "en");
    assert_eq!(report.fees.len(), 1);
    assert_eq!(report.fees[0].amount.amount_minor, 15_000_000);
    assert_eq!(report.fees[0].amount.currency, "NPR");
    assert_eq!(
        report.recruiter.as_ref().unwrap().name,
        "Gulf Star Manpower"
    );
    let mut indicators = report.indicators.clone();
    indicators.sort();
    let mut wanted = vec![Indicator::ALL[0], Indicator::ALL[3], Indicator::ALL[6]];
    wanted.sort();
    assert_eq!(indicators, wanted);
    assert!(report.consent.union && report.consent.inspectorate);
    assert!(!report.consent.contact_wanted);
    // Consent given: the inspectorate has the same report.
    let inspectorate = world.inbox(&world.relay.inspectorate);
    assert_eq!(inspectorate.len(), 1);
    assert_eq!(inspectorate[0].report_id, union[0].report_id);
    // No answers asked for: nothing kept for her number.
    assert!(
        world
            .engine
            .lock()
            .unwrap()
            .store
            .contacts()
            .unwrap()
            .is_empty()
    );
    drop(world.engine.lock().unwrap());
    assert_absent(&world.data_dir, number);
}

#[test]
fn nepali_by_jasmin_without_consent_stays_with_the_union() {
    let mut world = World::start(Kind::Jasmin, default_limits());
    let number = "+9779807654321";
    let ne = |k| tr("ne", k);
    converse(
        &mut world,
        number,
        &[
            ("नमस्ते", Some("1 English")),
            ("2", Some(&ne(K::SmsAskCountry))),
            ("1", Some(&ne(K::SmsAskSector))),
            ("0", Some(&ne(K::SmsAskFee))),
            ("NPR 200000", Some(&ne(K::SmsAskRecruiter))),
            ("राम मेनपावर", Some(&ne(K::SmsAskProblems))),
            ("8,9", Some(&ne(K::SmsAskInspectorate))),
            ("2", Some(&ne(K::SmsAskAnswers))),
            ("2", Some("राम मेनपावर")),
            ("1", Some(&ne(K::SmsSent))),
        ],
    );
    // Nepali goes out as UCS-2 (Jasmin coding 8).
    let codings: Vec<_> = world
        .sent
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, t, _)| t == &ne(K::SmsSent))
        .map(|(_, _, c)| c.clone())
        .collect();
    assert_eq!(codings, vec![Some("8".to_string())]);
    let union = world.inbox(&world.relay.union);
    assert_eq!(union.len(), 1);
    let report = world.open(&world.relay.union, &union[0]);
    assert_eq!(report.language, "ne");
    assert_eq!(report.channel, Some(Channel::Sms));
    assert_eq!(report.sector, None);
    assert_eq!(report.fees[0].amount.amount_minor, 20_000_000);
    assert_eq!(report.recruiter.as_ref().unwrap().name, "राम मेनपावर");
    let mut indicators = report.indicators.clone();
    indicators.sort();
    assert_eq!(
        indicators,
        vec![Indicator::WithholdingOfWages, Indicator::DebtBondage]
    );
    assert!(!report.consent.inspectorate);
    // No consent: the inspectorate has nothing.
    assert!(world.inbox(&world.relay.inspectorate).is_empty());
    assert_absent(&world.data_dir, number);
}

#[test]
fn indonesian_by_android_gets_the_unions_answer_by_sms() {
    let mut world = World::start(Kind::Android, default_limits());
    let number = "+6281234567890";
    let id = |k| tr("id", k);
    converse(
        &mut world,
        number,
        &[
            ("halo", None),
            ("4", Some(&id(K::SmsAskCountry))),
            ("1", Some(&id(K::SmsAskSector))),
            ("1", Some(&id(K::SmsAskFee))),
            ("25000000 IDR", Some(&id(K::SmsAskRecruiter))),
            ("PT Maju Jaya", Some(&id(K::SmsAskProblems))),
            ("0", Some(&id(K::SmsAskInspectorate))),
            ("2", Some(&id(K::SmsAskAnswers))),
            ("1", Some("PT Maju Jaya")),
            ("1", Some(&id(K::SmsSent))),
        ],
    );
    let union = world.inbox(&world.relay.union);
    assert_eq!(union.len(), 1);
    let entry = &union[0];
    let report = world.open(&world.relay.union, entry);
    assert_eq!(report.language, "id");
    assert_eq!(report.fees[0].amount.currency, "IDR");
    assert!(report.indicators.is_empty());
    assert!(report.consent.contact_wanted);
    assert_eq!(
        world.engine.lock().unwrap().store.contacts().unwrap().len(),
        1
    );

    // The union answers; the channel polls the mailbox like a phone and texts it to her.
    let sealed = seal_reply(
        &ReplyBody {
            text: "Kami akan menghubungi agen itu.".into(),
            language: "id".into(),
            written_on: None,
        },
        entry.report_id,
        world.relay.union.id,
        &world.relay.union.key,
        &report.reply_key,
        &mut DeterministicRng::new("union reply"),
    )
    .unwrap();
    let status = post_as_union(
        &world,
        &format!("/v1/org/reports/{}/replies", entry.report_id),
        &PostReply { sealed },
    );
    assert!(status == 200 || status == 201, "{status}");
    let before = world.texts_to(number).len();
    assert!(world.poll_answers() >= 1);
    let texts = world.texts_to(number)[before..].to_vec();
    let prefix = tr("id", K::SmsAnswer);
    let prefix = prefix.split('{').next().unwrap();
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with(prefix) && t.ends_with("Kami akan menghubungi agen itu.")),
        "{texts:#?}"
    );
    // Polling again sends nothing twice.
    assert_eq!(world.poll_answers(), 0);

    // The union marks the case "in review": the status is texted to her in Indonesian.
    let sealed_status = seal_status(
        &StatusBody {
            status: WorkerStatus::InReview,
            set_at: now_secs(),
        },
        entry.report_id,
        world.relay.union.id,
        &world.relay.union.key,
        &report.reply_key,
        &mut DeterministicRng::new("union status"),
    )
    .unwrap();
    let change = StatusChange {
        status: WorkerStatus::InReview,
        sealed: Some(sealed_status),
    };
    let status = post_as_union(
        &world,
        &format!("/v1/org/reports/{}/status", entry.report_id),
        &change,
    );
    assert!((200..300).contains(&status), "{status}");
    let before = world.texts_to(number).len();
    assert!(world.poll_answers() >= 1);
    let texts = world.texts_to(number)[before..].to_vec();
    let in_review = tr("id", K::StatusInReview);
    let status_prefix = tr("id", K::SmsStatus);
    let status_prefix = status_prefix.split('{').next().unwrap();
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with(status_prefix) && t.contains(&in_review)),
        "{texts:#?}"
    );
    // Her number is kept only sealed.
    assert_absent(&world.data_dir, number);

    // DELETE forgets the number: no more answers can reach her.
    let (_, _, answers) = world.deliver(number, "HAPUS");
    assert_eq!(answers, vec![tr("id", K::SmsDeleted)]);
    assert!(
        world
            .engine
            .lock()
            .unwrap()
            .store
            .contacts()
            .unwrap()
            .is_empty()
    );
}
