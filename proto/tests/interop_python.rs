//! Cross-implementation check: the independent Python implementation of `PROTOCOL.md`
//! (`proto/interop/`) seals a report, an attachment and a reply for the fixture's keys, and the
//! Rust reference opens them and checks everything a relay and a desk would.
//!
//! Needs `python3` with the packages `scripts/python-deps` installs; without them this test fails
//! (it never skips).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

use workvoice_proto::api::{PostReply, SubmissionRequest};
use workvoice_proto::attachment::open_attachment;
use workvoice_proto::codec::from_base64;
use workvoice_proto::directory::verify_directory;
use workvoice_proto::envelope::{self, EnvelopeHeader};
use workvoice_proto::keys::OrgId;
use workvoice_proto::pow::verify_pow;
use workvoice_proto::recovery::{RecoveryCode, mailbox_token_hash};
use workvoice_proto::reply::open_reply;
use workvoice_proto::report::Report;
use workvoice_proto::routing::{Consent, disclosure_digest, route};
use workvoice_proto::vectors::{Fixture, Vector};

const HINT: &str = "run scripts/python-deps to install python3's packages for the interop tests";

fn proto_dir() -> PathBuf {
    // At run time (cargo sets it for tests): a build reused from another checkout of the
    // workspace would otherwise carry that checkout's path.
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
}

fn python_output() -> serde_json::Value {
    let script = proto_dir().join("interop").join("seal_for_rust.py");
    let out = Command::new("python3")
        .arg(&script)
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 {}: {e}; {HINT}", script.display()));
    assert!(
        out.status.success(),
        "python3 {} failed ({}):\n{}\n{HINT}",
        script.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("seal_for_rust.py prints one JSON object")
}

fn directory_vector() -> (String, u64) {
    let text = std::fs::read_to_string(proto_dir().join("vectors/valid/directory-valid.json"))
        .expect("the directory vector");
    match serde_json::from_str::<Vector>(&text).unwrap() {
        Vector::Directory { directory, now, .. } => (directory, now),
        other => panic!("not a directory vector: {other:?}"),
    }
}

#[test]
fn rust_opens_what_python_sealed() {
    let out = python_output();
    let f = Fixture::new();
    let submission: SubmissionRequest =
        serde_json::from_value(out["submission"].clone()).expect("a SubmissionRequest body");

    // What the relay checks: directory, routing, proof-of-work, envelope structure.
    let (served, now) = directory_vector();
    let dir = verify_directory(served.as_bytes(), &f.root.public_key(), now, 0).unwrap();
    assert_eq!(submission.directory_version, dir.listing.version);
    let routed = route(&submission.tags, &submission.consent, &dir.listing).unwrap();
    let header = EnvelopeHeader::parse(&submission.envelope).unwrap();
    assert_eq!(header.report_id, submission.submission_id);
    assert_eq!(
        header
            .recipient_ids()
            .collect::<std::collections::BTreeSet<_>>(),
        routed.recipient_set()
    );
    assert_eq!(routed.recipients.len(), 3, "union, inspectorate and NGO");
    verify_pow(
        &submission.submission_id,
        submission.pow_nonce,
        dir.listing.pow_difficulty,
    )
    .unwrap();

    // What each desk does: open, decode, validate, compare with the disclosure.
    let digest = disclosure_digest(&submission.tags, &submission.consent);
    let expected_json = out["report_json"].as_str().unwrap();
    let mut report = None;
    for (id, key) in [
        (f.union_id, &f.union_key),
        (f.inspectorate_id, &f.inspectorate_key),
        (f.ngo_id, &f.ngo_key),
    ] {
        let opened = envelope::open(&submission.envelope, id, key, &digest).unwrap();
        assert_eq!(opened.plaintext, expected_json.as_bytes());
        let decoded = Report::decode(&opened.plaintext).unwrap();
        assert_eq!(decoded.report_id, submission.submission_id);
        assert_eq!(decoded.routing_tags(), submission.tags);
        assert_eq!(decoded.consent, submission.consent);
        report = Some(decoded);
    }
    let report = report.unwrap();
    assert_eq!(report.language, "bn");
    assert!(report.free_text.contains('\n') && report.free_text.contains('"'));
    let altered = Consent {
        ngo: false,
        ..submission.consent
    };
    assert_eq!(
        envelope::open(
            &submission.envelope,
            f.union_id,
            &f.union_key,
            &disclosure_digest(&submission.tags, &altered)
        )
        .unwrap_err()
        .to_string(),
        "the content failed authentication"
    );

    // The attachment, against the manifest entry inside the report and the declaration.
    let entry = &report.attachments[0];
    let sealed = from_base64(out["attachment"]["sealed"].as_str().unwrap()).unwrap();
    let declared = &submission.attachments[0];
    assert_eq!(
        (declared.id, declared.size, declared.sha256),
        (entry.id, entry.sealed_size, entry.sealed_sha256)
    );
    assert_eq!(
        sealed[4],
        workvoice_proto::attachment::VERSION,
        "the segmented layout"
    );
    assert!(entry.size > 2 * workvoice_proto::attachment::SEGMENT_BYTES as u64);
    let photo = open_attachment(&sealed, report.report_id, entry).unwrap();
    assert_eq!(
        hex::encode(photo),
        out["attachment"]["plaintext"].as_str().unwrap()
    );

    // The mailbox and the reply: the worker's recovery code derives both.
    let code = RecoveryCode::parse(out["reply"]["recovery_code"].as_str().unwrap()).unwrap();
    let index = u32::try_from(out["reply"]["index"].as_u64().unwrap()).unwrap();
    let secrets = code.report_secrets(index);
    assert_eq!(
        mailbox_token_hash(&secrets.mailbox_token),
        submission.mailbox_token_hash
    );
    assert_eq!(secrets.reply_key.public_key(), report.reply_key);
    let post: PostReply = serde_json::from_value(out["reply"].clone()).unwrap();
    let (reply_header, body) =
        open_reply(&post.sealed, &secrets.reply_key, &f.union_key.public_key()).unwrap();
    assert_eq!(reply_header.report_id, report.report_id);
    assert_eq!(
        reply_header.org_id,
        OrgId::from_hex(out["reply"]["org_id"].as_str().unwrap()).unwrap()
    );
    assert_eq!(reply_header.org_id, f.union_id);
    assert_eq!(body.text, out["reply"]["text"].as_str().unwrap());
    assert_eq!(body.written_on.as_deref(), Some("2026-11-28"));
    assert!(open_reply(&post.sealed, &secrets.reply_key, &f.ngo_key.public_key()).is_err());
}
