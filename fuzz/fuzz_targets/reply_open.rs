//! A sealed reply as the phone fetches it from its mailbox: hostile bytes into
//! `ReplyHeader::parse` and `open_reply` with the vectors' reply key, checked against the
//! public key of the fixture organisation the header names.
//!
//! Inputs that do not start with the reply magic are also used as the text of a reply that the
//! union seals and the phone opens, so the fuzzer reaches the body decoding with valid crypto.
#![no_main]

use libfuzzer_sys::fuzz_target;
use workvoice_fuzz::world;
use workvoice_proto::keys::ReportId;
use workvoice_proto::reply::{
    MAGIC, MAX_SEALED_REPLY_LEN, ReplyBody, ReplyError, ReplyHeader, open_reply, seal_reply,
};
use workvoice_proto::vectors::DeterministicRng;

fuzz_target!(|data: &[u8]| {
    let w = world();
    let header = ReplyHeader::parse(data);
    if let Ok(h) = &header {
        assert!(data.len() <= MAX_SEALED_REPLY_LEN);
        assert_eq!(
            h.ciphertext_len,
            data.len() - workvoice_proto::reply::HEADER_LEN
        );
    }
    // The phone checks a reply against the certified key of the organisation its header names;
    // an unknown id is checked against the union's key so that the crypto path is reached.
    let org_key = match &header {
        Ok(h) => w
            .orgs
            .iter()
            .find(|(id, ..)| *id == h.org_id)
            .unwrap_or(&w.orgs[0]),
        Err(_) => &w.orgs[0],
    };
    match open_reply(data, &w.reply_key, &org_key.2) {
        Ok((h, _body)) => assert_eq!(Ok(h), header),
        Err(e) => {
            if let Err(parse_error) = &header {
                assert_eq!(&e, parse_error, "open reports the parse error first");
            }
        }
    }

    if data.starts_with(MAGIC) {
        return;
    }
    let text = String::from_utf8_lossy(data).into_owned();
    let body = ReplyBody {
        text,
        language: "en".into(),
        written_on: None,
    };
    let (union_id, union_key, union_public) = &w.orgs[0];
    let mut rng = DeterministicRng::new("fuzz reply");
    let report_id = ReportId([0x5a; 16]);
    match seal_reply(
        &body,
        report_id,
        *union_id,
        union_key,
        &w.reply_public_key,
        &mut rng,
    ) {
        Ok(sealed) => {
            let (h, opened) = open_reply(&sealed, &w.reply_key, union_public)
                .expect("a reply the union sealed opens");
            assert_eq!(opened, body);
            assert_eq!(h.report_id, report_id);
            assert_eq!(h.org_id, *union_id);
        }
        Err(e) => assert!(
            matches!(e, ReplyError::InvalidText | ReplyError::TooLarge),
            "sealing failed with {e:?}"
        ),
    }
});
