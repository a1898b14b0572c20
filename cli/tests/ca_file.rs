//! `WORKVOICE_CA_FILE` names the CA certificates the phone shell trusts for the relay's TLS
//! certificate (instead of the built-in web roots). A file it cannot use stops the shell with a
//! clear error naming the file, before anything is stored; a good one is accepted. That the
//! shell then reaches a relay whose certificate that CA issued is shown by the operating
//! guide's test (`tests/tests/operating_guide.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

fn init_with_ca_file(ca_file: &Path, data: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_workvoice-cli"))
        .env("WORKVOICE_CA_FILE", ca_file)
        .arg("--data-dir")
        .arg(data)
        // Nothing listens there: setting up needs no relay.
        .args(["--relay", "https://127.0.0.1:9", "--fast-kdf"])
        .args(["init", "--pin", "482916"])
        .output()
        .unwrap()
}

fn refused(ca_file: &Path, data: &Path, reason: &str) {
    let output = init_with_ca_file(ca_file, data);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "accepted {}", ca_file.display());
    let expected = format!(
        "the CA file {} (WORKVOICE_CA_FILE) cannot be used: ",
        ca_file.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(stderr.contains(reason), "{stderr}");
    assert!(
        !data.exists(),
        "the refused shell created {}",
        data.display()
    );
}

#[test]
fn a_missing_unreadable_or_non_pem_ca_file_is_refused_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("phone");
    refused(&dir.path().join("no-such.pem"), &data, "No such file");
    refused(dir.path(), &data, "Is a directory");
    let text = dir.path().join("text.pem");
    std::fs::write(&text, "not a certificate\n").unwrap();
    refused(&text, &data, "holds no PEM certificate");
    let key_only = dir.path().join("key.pem");
    let key = rcgen::KeyPair::generate().unwrap();
    std::fs::write(&key_only, key.serialize_pem()).unwrap();
    refused(&key_only, &data, "holds no PEM certificate");
    let broken = dir.path().join("broken.pem");
    std::fs::write(
        &broken,
        "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    refused(&broken, &data, "is not valid PEM");
}

#[test]
fn a_pem_ca_file_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = params.self_signed(&key).unwrap();
    let file = dir.path().join("ca.pem");
    std::fs::write(&file, ca.pem()).unwrap();
    let output = init_with_ca_file(&file, &dir.path().join("phone"));
    assert!(output.status.success(), "{output:?}");
}
