//! `workvoice-cli` against a relay address where nothing listens: for the commands that change
//! the phone's settings and need no relay.

use std::path::Path;
use std::process::{Command, Output};

pub fn cli(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_workvoice-cli"))
        .arg("--data-dir")
        .arg(data)
        .args(["--relay", "http://127.0.0.1:9", "--fast-kdf"])
        .args(args)
        .args(["--pin", "482916"])
        .output()
        .unwrap()
}

/// What the command printed, standard output then standard error.
pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
