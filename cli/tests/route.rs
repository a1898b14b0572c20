//! `workvoice-cli route`: the worker's settings for the way to the relay. A bad value is a clear
//! error that changes nothing; a good one is taken.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/offline.rs"]
mod offline;
use offline::{cli, text};

#[test]
fn bad_route_settings_are_refused_with_their_reason_and_good_ones_are_kept() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("phone");
    assert!(cli(&data, &["init"]).status.success());

    let bad = cli(&data, &["route", "--unreachable", "sometimes"]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(
        text(&bad).contains("--unreachable takes wait or direct"),
        "{}",
        text(&bad)
    );

    let none = cli(&data, &["route"]);
    assert_eq!(none.status.code(), Some(2), "{}", text(&none));
    assert!(
        text(&none).contains("route takes --unreachable"),
        "{}",
        text(&none)
    );

    let plain = cli(&data, &["route", "--via", "http://ohttp.example/"]);
    assert_eq!(plain.status.code(), Some(1), "{}", text(&plain));
    assert!(text(&plain).contains("https://"), "{}", text(&plain));

    let good = cli(
        &data,
        &[
            "route",
            "--via",
            "https://ohttp.example/",
            "--unreachable",
            "direct",
        ],
    );
    assert!(good.status.success(), "{}", text(&good));
    let said = text(&good);
    assert!(
        said.contains("Own OHTTP relay: \"https://ohttp.example/\""),
        "{said}"
    );
    assert!(
        said.contains("When no OHTTP relay answers: send directly."),
        "{said}"
    );
}
