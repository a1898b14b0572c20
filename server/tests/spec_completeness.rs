//! `proto/PROTOCOL.md` 14.6 and 14.7 list every route the relay serves and every error code it
//! can answer. This reads the relay's sources for the codes it builds errors with and the routes
//! it mounts, and fails on any that the specification does not list (in backticks, in those
//! sections), and on any proto error code that the specification does not define.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

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

/// The string literal that follows `needle` (after optional whitespace and an optional
/// `StatusCode::X,`), for each occurrence.
fn literals_after(text: &str, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(needle) {
        rest = &rest[i + needle.len()..];
        let mut tail = rest.trim_start();
        if let Some(after) = tail.strip_prefix("StatusCode::") {
            let comma = after.find(',').unwrap_or(0);
            tail = after[comma + 1..].trim_start();
        }
        if let Some(quoted) = tail.strip_prefix('"') {
            let end = quoted.find('"').unwrap();
            let code = &quoted[..end];
            if !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                found.push(code.to_string());
            }
        }
    }
    found
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

    let mut codes = BTreeSet::new();
    let mut mounted = BTreeSet::new();
    for (_, text) in rust_files(&root.join("server/src")) {
        for needle in [
            "ApiFailure::new(",
            "ApiFailure::bad_request(",
            "ApiFailure::unprocessable(",
            "ApiFailure::not_found(",
            "ApiFailure::conflict(",
            "ApiFailure::unavailable(",
            "Self::new(",
            // `json_errors`: `StatusCode::X => ("code", "message")`.
            "=> (",
        ] {
            codes.extend(literals_after(&text, needle));
        }
        for part in text.split(".route(").skip(1) {
            if let Some(quoted) = part.trim_start().strip_prefix('"') {
                mounted.insert(quoted[..quoted.find('"').unwrap()].to_string());
            }
        }
    }
    assert!(
        codes.len() >= 30 && mounted.len() >= 14,
        "the scan found too little: {codes:?} {mounted:?}"
    );
    let unlisted_codes: Vec<&String> = codes
        .iter()
        .filter(|c| !api.contains(&format!("`{c}`")))
        .collect();
    assert!(
        unlisted_codes.is_empty(),
        "codes the relay answers that PROTOCOL.md 14.6/14.7 does not list: {unlisted_codes:?}"
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
