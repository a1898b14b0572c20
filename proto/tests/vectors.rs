//! Every file under `proto/vectors/{valid,invalid}` passes, each says what it should, and
//! regenerating the vectors reproduces the committed files exactly.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use workvoice_proto::vectors::{Expect, Vector, check, generate};

fn dir() -> PathBuf {
    // At run time (cargo sets it for tests): a build reused from another checkout of the
    // workspace would otherwise carry that checkout's path.
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
        .join("vectors")
}

fn load(sub: &str) -> BTreeMap<String, Vector> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir().join(sub)).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).unwrap();
            let v: Vector = serde_json::from_str(&text).unwrap();
            out.insert(path.file_stem().unwrap().to_string_lossy().into_owned(), v);
        }
    }
    out
}

fn expect_of(v: &Vector) -> &Expect {
    v.expect()
}

#[test]
fn every_vector_passes() {
    let valid = load("valid");
    let invalid = load("invalid");
    assert!(
        valid.len() >= 15 && invalid.len() >= 20,
        "{} valid, {} invalid",
        valid.len(),
        invalid.len()
    );
    for (name, v) in valid.iter().chain(invalid.iter()) {
        check(v).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    for (name, v) in &valid {
        assert!(
            matches!(expect_of(v), Expect::Ok { .. }),
            "{name} is under valid/ but expects an error"
        );
    }
    for (name, v) in &invalid {
        assert!(
            matches!(expect_of(v), Expect::Error { .. }),
            "{name} is under invalid/ but expects success"
        );
    }
}

/// The invalid vectors fail for the reason their name gives, not for any reason.
#[test]
fn invalid_vectors_fail_for_the_intended_reason() {
    let invalid = load("invalid");
    let expected = [
        ("pow-insufficient", "pow_insufficient"),
        ("pow-difficulty-too-high", "pow_difficulty_too_high"),
        ("envelope-not-a-recipient", "envelope_not_a_recipient"),
        ("envelope-wrong-key", "envelope_key_unseal_failed"),
        ("envelope-flipped-tag", "envelope_decrypt_failed"),
        ("envelope-flipped-commitment", "envelope_key_unseal_failed"),
        ("envelope-consent-altered", "envelope_decrypt_failed"),
        ("envelope-truncated", "envelope_truncated"),
        (
            "envelope-unsupported-version",
            "envelope_unsupported_version",
        ),
        ("envelope-bad-magic", "envelope_bad_magic"),
        ("envelope-swapped-header", "envelope_decrypt_failed"),
        ("reply-wrong-sender", "reply_unauthenticated"),
        ("reply-tampered-header", "reply_unauthenticated"),
        ("directory-rollback", "directory_rollback"),
        ("directory-expired", "directory_expired"),
        ("directory-tampered", "directory_bad_signature"),
        ("directory-oblivious-other-suite", "directory_inconsistent"),
        (
            "directory-escrow-threshold-out-of-range",
            "directory_inconsistent",
        ),
        (
            "directory-relay-not-certified",
            "directory_relay_certificate_invalid",
        ),
        ("routing-no-match", "no_recipient"),
        ("routing-invalid-country", "invalid_country"),
        ("recovery-typo", "recovery_checksum"),
        ("recovery-short", "recovery_wrong_length"),
        ("report-not-json", "report_malformed"),
        ("report-channel-not-a-string", "report_malformed"),
        ("attachment-last-segment-dropped", "attachment_mismatch"),
        ("attachment-segments-swapped", "attachment_decrypt_failed"),
        ("attachment-header-altered", "attachment_mismatch"),
        ("submission-binary-version-2", "binary_unsupported_version"),
        ("submission-binary-empty", "binary_truncated"),
        ("submission-binary-cut-in-header", "binary_truncated"),
        (
            "submission-binary-envelope-length-past-end",
            "binary_truncated",
        ),
        ("submission-binary-trailing-byte", "binary_trailing_bytes"),
        (
            "submission-binary-attachment-count-past-end",
            "binary_truncated",
        ),
        (
            "submission-binary-reserved-consent-bit",
            "binary_reserved_bits",
        ),
        ("submission-binary-country-not-utf8", "binary_invalid_text"),
    ];
    for (name, code) in expected {
        let v = invalid
            .get(name)
            .unwrap_or_else(|| panic!("missing invalid vector {name}"));
        assert_eq!(
            expect_of(v),
            &Expect::Error { error: code.into() },
            "{name}"
        );
    }
    let fields = expect_of(&invalid["report-invalid-fields"]);
    let Expect::Error { error } = fields else {
        panic!()
    };
    for f in [
        "destination_country=invalid_country",
        "fees[0].amount.currency=invalid_currency",
        "written_on=invalid_date",
    ] {
        assert!(error.contains(f), "{error}");
    }
    let Expect::Error { error } = expect_of(&invalid["report-unknown-enum-value"]) else {
        panic!()
    };
    assert_eq!(error, "report_invalid:fees[0].payee=unknown_value");
}

/// The channel of a report (PROTOCOL.md 4.6): absent reads as the app, `sms` as SMS, a newer
/// channel as `unknown` in a report that stays valid, in every report vector.
#[test]
fn report_vectors_say_the_channel() {
    let valid = load("valid");
    let mut seen = BTreeMap::new();
    for (name, v) in valid
        .iter()
        .filter(|(_, v)| matches!(v, Vector::Report { .. }))
    {
        let Expect::Ok { ok } = expect_of(v) else {
            panic!("{name}")
        };
        seen.insert(name.as_str(), ok["channel"].as_str().unwrap_or("missing"));
    }
    assert_eq!(seen["report-channel-sms"], "sms");
    assert_eq!(seen["report-channel-newer"], "unknown");
    assert_eq!(seen["report-valid"], "app");
    let others: Vec<_> = seen
        .iter()
        .filter(|(name, _)| !name.starts_with("report-channel-"))
        .collect();
    assert!(others.len() >= 3, "{seen:?}");
    assert!(others.iter().all(|(_, c)| **c == "app"), "{seen:?}");
}

/// Broken chains of trust verify at directory level but mark the key untrusted.
#[test]
fn trust_vectors_mark_the_broken_key() {
    let valid = load("valid");
    let cases = [
        ("directory-uncertified-org-key", "certificate_bad_signature"),
        ("directory-expired-org-certificate", "certificate_expired"),
        ("directory-revoked-org-key", "certificate_revoked"),
        (
            "directory-certificate-kind-mismatch",
            "certificate_mismatch",
        ),
    ];
    for (name, status) in cases {
        let Expect::Ok { ok } = expect_of(&valid[name]) else {
            panic!("{name}")
        };
        let statuses: Vec<&str> = ok["trust"]
            .as_object()
            .unwrap()
            .values()
            .filter_map(|v| v.as_str())
            .collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == status).count(),
            1,
            "{name}: {statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == "certified").count(),
            2,
            "{name}: {statuses:?}"
        );
    }
    let Expect::Ok { ok } = expect_of(&valid["routing-no-inspectorate-without-consent"]) else {
        panic!()
    };
    assert_eq!(ok["recipients"].as_array().unwrap().len(), 1);
    assert_eq!(ok["withheld"][0]["kind"], "inspectorate");
    let Expect::Ok { ok } = expect_of(&valid["envelope-inspectorate"]) else {
        panic!()
    };
    let Expect::Ok { ok: union } = expect_of(&valid["envelope-union"]) else {
        panic!()
    };
    assert_eq!(
        ok["plaintext"], union["plaintext"],
        "both recipients read the same plaintext"
    );
}

/// A valid binary submission body is the encoding of the request it reads as, byte for byte,
/// and that request's JSON body has the same request hash (`PROTOCOL.md` 14.9).
#[test]
fn binary_submission_vectors_encode_back_and_hash_as_their_json() {
    use workvoice_proto::api::SubmissionRequest;
    use workvoice_proto::keys::sha256;

    let valid = load("valid");
    let mut seen = 0;
    for (name, v) in &valid {
        let Vector::SubmissionBody { body, expect, .. } = v else {
            continue;
        };
        let Expect::Ok { ok } = expect else {
            panic!("{name}")
        };
        let request: SubmissionRequest = serde_json::from_value(ok["request"].clone()).unwrap();
        assert_eq!(hex::encode(request.to_binary().unwrap()), *body, "{name}");
        let json = serde_json::to_vec(&request).unwrap();
        let from_json: SubmissionRequest = serde_json::from_slice(&json).unwrap();
        assert_eq!(
            hex::encode(sha256(&[&from_json.canonical_bytes().unwrap()]).0),
            ok["request_hash"].as_str().unwrap(),
            "{name}"
        );
        assert!(body.len() / 2 < json.len(), "{name}: binary is smaller");
        seen += 1;
    }
    assert_eq!(seen, 2);
}

#[test]
fn regenerating_reproduces_the_committed_files() {
    let valid = load("valid");
    let invalid = load("invalid");
    let generated = generate();
    assert_eq!(
        generated.len(),
        valid.len() + invalid.len(),
        "run the generator: cargo run -p workvoice-proto --example gen-vectors"
    );
    for (is_valid, name, v) in generated {
        let committed = if is_valid {
            valid.get(&name)
        } else {
            invalid.get(&name)
        };
        assert_eq!(
            committed,
            Some(&v),
            "{name} differs: run cargo run -p workvoice-proto --example gen-vectors"
        );
    }
}
