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
