//! Behaviours that writing `PROTOCOL.md` showed to be missing or ambiguous, pinned down.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use workvoice_proto::ErrorCode;
use workvoice_proto::keys::{HpkePrivateKey, OrgId, ReportId};
use workvoice_proto::reply::{
    HEADER_LEN, MAX_SEALED_REPLY_LEN, ReplyBody, ReplyError, open_reply, seal_reply,
};
use workvoice_proto::vectors::DeterministicRng;

/// `seal_reply` used to produce replies over `MAX_SEALED_REPLY_LEN` (the language tag is not
/// bounded), which `open_reply` then refused: a sealer must refuse what no reader accepts.
#[test]
fn seal_reply_refuses_what_open_reply_would_refuse() {
    let mut rng = DeterministicRng::new("reply limits");
    let org = HpkePrivateKey::generate(&mut rng);
    let reply_key = HpkePrivateKey::generate(&mut rng);
    let (report, org_id) = (ReportId([1; 16]), OrgId([2; 16]));
    let seal = |language: String, rng: &mut DeterministicRng| {
        seal_reply(
            &ReplyBody {
                text: "received".into(),
                language,
                written_on: None,
            },
            report,
            org_id,
            &org,
            &reply_key.public_key(),
            rng,
        )
    };
    let err = seal("x".repeat(70_000), &mut rng).unwrap_err();
    assert_eq!(err, ReplyError::TooLarge);
    assert_eq!(err.code(), "reply_too_large");

    // The largest body that fits is sealed, and it opens.
    let overhead = r#"{"text":"received","language":""}"#.len() + 4;
    let padded_max = MAX_SEALED_REPLY_LEN - HEADER_LEN - 16;
    let sealed = seal("x".repeat(padded_max - overhead), &mut rng).unwrap();
    assert_eq!(sealed.len(), MAX_SEALED_REPLY_LEN);
    assert!(open_reply(&sealed, &reply_key, &org.public_key()).is_ok());
    let err = seal("x".repeat(padded_max - overhead + 1), &mut rng).unwrap_err();
    assert_eq!(err, ReplyError::TooLarge);
}

/// PROTOCOL.md section 1.3 as the reference reads it: the rules another implementation follows.
#[test]
fn json_rules_of_section_1_3_hold_in_the_reference() {
    use workvoice_proto::report::Report;
    use workvoice_proto::vectors::Vector;

    // At run time (cargo sets it for tests), not the path of the checkout that built this.
    let path = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(
            || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")),
            std::path::PathBuf::from,
        )
        .join("vectors/valid/report-valid.json");
    let Vector::Report { json, .. } =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    else {
        panic!("not a report vector")
    };
    let code = |text: String| {
        Report::decode(text.as_bytes())
            .map(|_| ())
            .map_err(|e| e.code())
    };
    assert_eq!(code(json.clone()), Ok(()));
    let malformed = [
        json.replace(r#""schema":1"#, r#""schema":-0"#),
        json.replace(r#""schema":1"#, r#""schema":1.0"#),
        json.replace(r#""schema":1"#, r#""schema":1e0"#),
        json.replace(r#""schema":1"#, r#""schema":70000"#),
        json.replace(r#""schema":1"#, r#""schema":1,"schema":1"#),
        json.replace(r#""fees":["#, r#""loans":null,"fees":["#),
        json.replace(r#""free_text":""#, r#""free_text":"\ud800"#),
        format!("\u{feff}{json}"),
        format!("{json} x"),
    ];
    for text in malformed {
        assert_ne!(text, json, "every edit applies");
        assert_eq!(code(text.clone()), Err("report_malformed"), "{text}");
    }
    // Unknown members are ignored, optional members may be null, upper-case hex is read.
    let lenient = [
        json.replace(
            r#""schema":1"#,
            r#""schema":1,"added_later":{"x":[1.5,null]}"#,
        ),
        json.replace(r#""written_on":"2026-11-20""#, r#""written_on":null"#),
        json.replace(
            r#""schema":1,"report_id":"1a6e"#,
            r#""schema":1,"report_id":"1A6E"#,
        ),
    ];
    for text in lenient {
        assert_ne!(text, json, "every edit applies");
        assert_eq!(code(text.clone()), Ok(()), "{text}");
    }
}
