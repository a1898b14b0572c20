//! Replies to the worker, recovery codes and proof-of-work.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use workvoice_proto::ErrorCode;
use workvoice_proto::keys::{HpkePrivateKey, OrgId, ReportId};
use workvoice_proto::pow::{leading_zero_bits, pow_hash, solve_pow, solve_pow_slice, verify_pow};
use workvoice_proto::recovery::{
    RecoveryCode, mailbox_token_hash, mailbox_token_text, parse_mailbox_token,
};
use workvoice_proto::reply::{ReplyBody, ReplyHeader, open_reply, seal_reply};
use workvoice_proto::vectors::DeterministicRng;

fn body() -> ReplyBody {
    ReplyBody {
        text: "तपाईंको उजुरी प्राप्त भयो।".into(),
        language: "ne".into(),
        written_on: None,
    }
}

#[test]
fn reply_opens_only_with_the_reply_key_and_only_from_its_sender() {
    let mut rng = DeterministicRng::new("reply");
    let org = HpkePrivateKey::generate(&mut rng);
    let impostor = HpkePrivateKey::generate(&mut rng);
    let reply_key = HpkePrivateKey::generate(&mut rng);
    let (report, org_id) = (ReportId([1; 16]), OrgId([2; 16]));
    let sealed = seal_reply(
        &body(),
        report,
        org_id,
        &org,
        &reply_key.public_key(),
        &mut rng,
    )
    .unwrap();
    let (header, opened) = open_reply(&sealed, &reply_key, &org.public_key()).unwrap();
    assert_eq!(opened, body());
    assert_eq!((header.report_id, header.org_id), (report, org_id));

    // From an impostor holding another key, claiming the organisation's id.
    let forged = seal_reply(
        &body(),
        report,
        org_id,
        &impostor,
        &reply_key.public_key(),
        &mut rng,
    )
    .unwrap();
    assert_eq!(
        open_reply(&forged, &reply_key, &org.public_key())
            .unwrap_err()
            .code(),
        "reply_unauthenticated"
    );
    // Someone else's reply key.
    let other = HpkePrivateKey::generate(&mut rng);
    assert!(open_reply(&sealed, &other, &org.public_key()).is_err());
    // Every byte matters.
    for i in 0..sealed.len() {
        let mut flipped = sealed.clone();
        flipped[i] ^= 4;
        assert!(
            open_reply(&flipped, &reply_key, &org.public_key()).is_err(),
            "byte {i}"
        );
    }
    assert_eq!(
        ReplyHeader::parse(&sealed[..20]).unwrap_err().code(),
        "reply_truncated"
    );
    let empty = ReplyBody {
        text: " ".into(),
        ..body()
    };
    assert_eq!(
        seal_reply(
            &empty,
            report,
            org_id,
            &org,
            &reply_key.public_key(),
            &mut rng
        )
        .unwrap_err()
        .code(),
        "reply_invalid_text"
    );
}

#[test]
fn recovery_code_round_trips_and_catches_typos() {
    let mut rng = DeterministicRng::new("recovery");
    for _ in 0..200 {
        let code = RecoveryCode::generate(&mut rng);
        let text = code.to_text();
        assert_eq!(text.len(), 28 + 6);
        assert_eq!(RecoveryCode::parse(&text).unwrap(), code);
        assert_eq!(
            RecoveryCode::parse(&text.to_lowercase().replace('-', " ")).unwrap(),
            code
        );
    }
    let code = RecoveryCode::from_secret([9; 16]);
    let text = code.to_text();
    let mut typos = 0;
    let alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    for (i, c) in text.char_indices().filter(|(_, c)| *c != '-') {
        for r in alphabet.chars().filter(|r| *r != c) {
            let mut t = text.clone();
            t.replace_range(i..i + 1, &r.to_string());
            if RecoveryCode::parse(&t).is_err() {
                typos += 1;
            }
        }
    }
    let total = 28 * 31;
    // One checksum byte catches all but about 1/256 of single-character mistakes.
    assert!(typos * 100 >= total * 98, "{typos} of {total} caught");
    assert_eq!(
        RecoveryCode::parse("ABC").unwrap_err().code(),
        "recovery_wrong_length"
    );
    assert_eq!(
        RecoveryCode::parse(&format!("U{}", &text[1..]))
            .unwrap_err()
            .code(),
        "recovery_bad_character"
    );
}

#[test]
fn recovery_derives_the_same_secrets_on_a_new_phone() {
    let code = RecoveryCode::from_secret([3; 16]);
    let again = RecoveryCode::parse(&code.to_text()).unwrap();
    for i in [0u32, 1, 41] {
        let (a, b) = (code.report_secrets(i), again.report_secrets(i));
        assert_eq!(*a.mailbox_token, *b.mailbox_token);
        assert_eq!(a.reply_key.public_key(), b.reply_key.public_key());
    }
    assert_ne!(
        *code.report_secrets(0).mailbox_token,
        *code.report_secrets(1).mailbox_token
    );
    let token = code.report_secrets(0).mailbox_token;
    assert_eq!(
        parse_mailbox_token(&mailbox_token_text(&token)),
        Some(*token)
    );
    assert_eq!(parse_mailbox_token("short"), None);
    assert_ne!(mailbox_token_hash(&token).0, *token);
}

#[test]
fn proof_of_work_meets_its_difficulty() {
    for d in [0u8, 1, 8, 14] {
        let id = ReportId([d; 16]);
        let nonce = solve_pow(&id, d).unwrap();
        assert!(verify_pow(&id, nonce, d).is_ok());
        assert!(leading_zero_bits(&pow_hash(&id, nonce)) >= u32::from(d));
    }
    let id = ReportId([5; 16]);
    let nonce = solve_pow(&id, 14).unwrap();
    // The same nonce does not carry over to another submission id.
    let other = ReportId([6; 16]);
    let err = (0..64)
        .map(|i| verify_pow(&other, nonce + i, 14))
        .find(Result::is_err);
    assert_eq!(err.unwrap().unwrap_err().code(), "pow_insufficient");
    assert_eq!(
        verify_pow(&id, nonce, 33).unwrap_err().code(),
        "pow_difficulty_too_high"
    );
}

#[test]
fn solving_in_slices_finds_the_same_nonce() {
    for d in [0u8, 4, 10, 14] {
        let id = ReportId([d ^ 0x5a; 16]);
        let whole = solve_pow(&id, d).unwrap();
        let mut start = 0u64;
        let sliced = loop {
            if let Some(nonce) = solve_pow_slice(&id, d, start, 1000).unwrap() {
                break nonce;
            }
            start += 1000;
        };
        assert_eq!(sliced, whole, "difficulty {d}");
        // A slice that ends just before the nonce does not find it.
        if whole > 0 {
            assert_eq!(solve_pow_slice(&id, d, 0, whole as u32).unwrap(), None);
        }
    }
    assert_eq!(
        solve_pow_slice(&ReportId([1; 16]), 33, 0, 10)
            .unwrap_err()
            .code(),
        "pow_difficulty_too_high"
    );
}

proptest! {
    #[test]
    fn recovery_parse_never_panics(s in ".{0,64}") {
        let _ = RecoveryCode::parse(&s);
    }

    #[test]
    fn reply_parse_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = ReplyHeader::parse(&bytes);
        let key = HpkePrivateKey::from_bytes([7; 32]);
        let _ = open_reply(&bytes, &key, &key.public_key());
    }
}
