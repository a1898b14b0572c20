//! The gateway formats, on the recorded sample payloads (`tests/fixtures/`, written from each
//! gateway's documentation): parsed, signatures and secrets checked in both directions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;

use workvoice_sms::gateway::{
    InboundError, MAX_SKEW_SECS, android_inbound, android_signature, constant_time_eq,
    jasmin_inbound,
};

const ANDROID: &str = include_str!("fixtures/android-sms-received.json");
const JASMIN_MO: &str = include_str!("fixtures/jasmin-mo.form");
const KEY: &[u8] = b"signing key from the app";
const NOW: u64 = 1_765_000_000;

#[test]
fn the_documented_android_webhook_is_read_when_signed() {
    let ts = NOW.to_string();
    let sig = android_signature(KEY, ANDROID.as_bytes(), &ts);
    let inbound = android_inbound(KEY, Some(&sig), Some(&ts), ANDROID.as_bytes(), NOW).unwrap();
    assert_eq!(inbound.event_id, "Ey6ECgOkVVFjz3CL48B8C");
    assert_eq!(inbound.from, "6505551212");
    assert_eq!(inbound.text, "Android is always a sweet treat!");
    // Debug never shows the number or the text.
    let shown = format!("{inbound:?}");
    assert!(!shown.contains("6505551212") && !shown.contains("sweet"));
}

#[test]
fn the_signature_is_hmac_sha256_of_body_then_timestamp_in_hex() {
    // Independently: HMAC-SHA256(key, body || timestamp), as the documentation's examples do.
    let ts = "1719046000";
    let mut message = ANDROID.as_bytes().to_vec();
    message.extend_from_slice(ts.as_bytes());
    let tag = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, KEY),
        &message,
    );
    assert_eq!(
        android_signature(KEY, ANDROID.as_bytes(), ts),
        hex::encode(tag.as_ref())
    );
}

#[test]
fn unsigned_forged_altered_and_stale_android_webhooks_are_refused() {
    let ts = NOW.to_string();
    let sig = android_signature(KEY, ANDROID.as_bytes(), &ts);
    let body = ANDROID.as_bytes();
    assert_eq!(
        android_inbound(KEY, None, Some(&ts), body, NOW),
        Err(InboundError::Unsigned)
    );
    assert_eq!(
        android_inbound(KEY, Some(&sig), None, body, NOW),
        Err(InboundError::Unsigned)
    );
    let forged = android_signature(b"another key", body, &ts);
    assert_eq!(
        android_inbound(KEY, Some(&forged), Some(&ts), body, NOW),
        Err(InboundError::BadSignature)
    );
    assert_eq!(
        android_inbound(KEY, Some("zz-not-hex"), Some(&ts), body, NOW),
        Err(InboundError::BadSignature)
    );
    let altered = ANDROID.replace("6505551212", "6505551213");
    assert_eq!(
        android_inbound(KEY, Some(&sig), Some(&ts), altered.as_bytes(), NOW),
        Err(InboundError::BadSignature)
    );
    // The timestamp is signed: moving it breaks the signature; an old signed one is stale.
    let later = (NOW + 1).to_string();
    assert_eq!(
        android_inbound(KEY, Some(&sig), Some(&later), body, NOW),
        Err(InboundError::BadSignature)
    );
    let old = (NOW - MAX_SKEW_SECS - 1).to_string();
    let old_sig = android_signature(KEY, body, &old);
    assert_eq!(
        android_inbound(KEY, Some(&old_sig), Some(&old), body, NOW),
        Err(InboundError::Stale)
    );
    let edge = (NOW - MAX_SKEW_SECS).to_string();
    let edge_sig = android_signature(KEY, body, &edge);
    assert!(android_inbound(KEY, Some(&edge_sig), Some(&edge), body, NOW).is_ok());
}

#[test]
fn other_android_events_are_told_apart() {
    let sent = ANDROID.replace("sms:received", "sms:sent");
    let ts = NOW.to_string();
    let sig = android_signature(KEY, sent.as_bytes(), &ts);
    assert_eq!(
        android_inbound(KEY, Some(&sig), Some(&ts), sent.as_bytes(), NOW),
        Err(InboundError::OtherEvent("sms:sent".into()))
    );
}

#[test]
fn the_documented_jasmin_mo_is_read_with_the_secret_only() {
    let params: HashMap<String, String> = support::form_pairs(JASMIN_MO.as_bytes());
    let inbound = jasmin_inbound(b"url secret", Some("url secret"), &params).unwrap();
    assert_eq!(inbound.event_id, "16fd2706-8baf-433b-82eb-8c7fada847da");
    assert_eq!(inbound.from, "+21620203060");
    assert_eq!(inbound.text, "Hello world !");
    assert_eq!(
        jasmin_inbound(b"url secret", None, &params),
        Err(InboundError::BadSecret)
    );
    assert_eq!(
        jasmin_inbound(b"url secret", Some("url secreT"), &params),
        Err(InboundError::BadSecret)
    );
    let mut missing = params.clone();
    missing.remove("content");
    assert!(matches!(
        jasmin_inbound(b"url secret", Some("url secret"), &missing),
        Err(InboundError::Malformed(_))
    ));
}

#[test]
fn secrets_compare_equal_only_when_equal() {
    assert!(constant_time_eq(b"abc", b"abc"));
    assert!(!constant_time_eq(b"abc", b"abd"));
    assert!(!constant_time_eq(b"abc", b"abcd"));
    assert!(!constant_time_eq(b"", b"a"));
}
