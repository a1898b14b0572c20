//! `proto/PROTOCOL.md` 14.6 and 14.7 list every route the relay serves and every error code it
//! can answer. The relay's codes are `proto::api::RelayErrorCode`; this fails when that enum and
//! the table of 14.7 differ (a code or its status), when the relay mounts a route 14.6 does not
//! list, and when a proto error code (the checks a submission runs) is not defined in the
//! specification.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use workvoice_proto::api::RelayErrorCode;

fn workspace() -> PathBuf {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest.parent().unwrap().to_path_buf()
}

fn rust_files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path, text));
        }
    }
    out
}

/// The text of PROTOCOL.md from `start` to the next `## ` heading.
fn section<'a>(doc: &'a str, start: &str) -> &'a str {
    let from = doc
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in PROTOCOL.md"));
    let rest = &doc[from..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    &rest[..end]
}

#[test]
fn every_code_the_relay_answers_and_every_route_it_serves_is_specified() {
    let root = workspace();
    let doc = std::fs::read_to_string(root.join("proto/PROTOCOL.md")).unwrap();
    let api = section(&doc, "### 14.6 Routes");

    // The relay builds its errors from `RelayErrorCode` (or a proto error's own code), so the
    // enum is the list of codes it can answer: it and the table of 14.7 must be the same, code
    // for code and status for status.
    let table = section(&doc, "### 14.7 Every error code");
    let specified: BTreeSet<(u16, String)> = table
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let status = cells.get(1)?.parse::<u16>().ok()?;
            let code = cells.get(2)?.strip_prefix('`')?.strip_suffix('`')?;
            Some((status, code.to_string()))
        })
        .collect();
    let answered: BTreeSet<(u16, String)> = RelayErrorCode::ALL
        .iter()
        .map(|c| (c.status(), c.as_str().to_string()))
        .collect();
    assert!(
        specified.len() >= 40,
        "the table scan found too little: {specified:?}"
    );
    let unspecified: Vec<_> = answered.difference(&specified).collect();
    assert!(
        unspecified.is_empty(),
        "codes (with status) the relay answers that PROTOCOL.md 14.7 does not list: {unspecified:?}"
    );
    let unanswered: Vec<_> = specified.difference(&answered).collect();
    assert!(
        unanswered.is_empty(),
        "codes PROTOCOL.md 14.7 lists that RelayErrorCode lacks: {unanswered:?}"
    );
    for code in RelayErrorCode::ALL {
        let json = serde_json::to_string(&code).unwrap();
        assert_eq!(
            json,
            format!("\"{}\"", code.as_str()),
            "the wire form of {code:?}"
        );
        assert_eq!(RelayErrorCode::parse(code.as_str()), Some(code));
    }

    // `ApiFailure`'s code is private to `error.rs`, whose constructors take a `RelayErrorCode`
    // or a proto error, so no other code can reach the wire.
    let mut mounted = BTreeSet::new();
    for (_, text) in rust_files(&root.join("server/src")) {
        for part in text.split(".route(").skip(1) {
            if let Some(quoted) = part.trim_start().strip_prefix('"') {
                mounted.insert(quoted[..quoted.find('"').unwrap()].to_string());
            }
        }
    }
    assert!(
        mounted.len() >= 14,
        "the scan found too little: {mounted:?}"
    );
    let unlisted_routes: Vec<&String> = mounted
        .iter()
        .filter(|r| !api.contains(&format!(" {r}`")))
        .collect();
    assert!(
        unlisted_routes.is_empty(),
        "routes the relay serves that PROTOCOL.md 14.6 does not list: {unlisted_routes:?}"
    );

    // Every stable code of the proto crate (the checks a submission runs) is defined somewhere
    // in the specification.
    let mut proto_codes = BTreeSet::new();
    for (path, text) in rust_files(&root.join("proto/src")) {
        if path.ends_with("vectors.rs") {
            continue;
        }
        for body in text.split("fn code(").skip(1) {
            let body = &body[..body.find("\n    }\n").unwrap_or(body.len())];
            for piece in body.split('"').skip(1).step_by(2) {
                if !piece.is_empty() && piece.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                    proto_codes.insert(piece.to_string());
                }
            }
        }
    }
    assert!(proto_codes.len() >= 40, "{proto_codes:?}");
    let undefined: Vec<&String> = proto_codes
        .iter()
        .filter(|c| !doc.contains(&format!("`{c}`")))
        .collect();
    assert!(
        undefined.is_empty(),
        "proto error codes PROTOCOL.md does not define: {undefined:?}"
    );
}
