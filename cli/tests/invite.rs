//! `workvoice-cli invite`: the escrow invite a union gave the worker (`PROTOCOL.md` 18.12). A
//! code that does not read is refused with its reason and nothing is kept; a good one is kept
//! (shown masked) until it is forgotten.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/offline.rs"]
mod offline;
use offline::{cli, text};

use workvoice_proto::token::Invite;
use workvoice_proto::vectors::DeterministicRng;

#[test]
fn a_bad_invite_is_refused_with_its_reason_and_a_good_one_is_kept() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("phone");
    assert!(cli(&data, &["init"]).status.success());
    let code = Invite::random(&mut DeterministicRng::new("cli invite")).code();
    let groups: Vec<&str> = code.split('-').collect();

    let bad = cli(&data, &["invite", "--code", "WV-12345-NOPE"]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(text(&bad).contains("invalid_invite"), "{}", text(&bad));
    assert!(text(&bad).contains("not an invite code"), "{}", text(&bad));

    let none = cli(&data, &["invite"]);
    assert_eq!(none.status.code(), Some(2), "{}", text(&none));
    assert!(
        text(&none).contains("--code is required"),
        "{}",
        text(&none)
    );

    // Typed in lower case with spaces: read, kept, shown masked.
    let typed = code.to_lowercase().replace('-', " ");
    let good = cli(&data, &["invite", "--code", &typed]);
    assert!(good.status.success(), "{}", text(&good));
    let masked = format!("WV-•••••-•••••-•••••-•••••-{}-{}", groups[5], groups[6]);
    assert!(text(&good).contains(&masked), "{}", text(&good));
    assert!(!text(&good).contains(&code), "{}", text(&good));

    // "" forgets it.
    let forget = cli(&data, &["invite", "--code", ""]);
    assert!(forget.status.success(), "{}", text(&forget));
    assert!(text(&forget).contains("forgotten"), "{}", text(&forget));
}
