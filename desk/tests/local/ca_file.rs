//! `WORKVOICE_CA_FILE`: the CA certificates the desk trusts for the relay's TLS certificate
//! (instead of the platform's roots). A file it cannot use is refused with a clear, typed
//! error naming the file; a good one gives its certificates. That the desk then reaches a
//! relay whose certificate that CA issued is shown by the operating guide's test
//! (`tests/tests/operating_guide.rs`).

use std::path::Path;

use workvoice_desk::DeskError;
use workvoice_desk::relay::trust_roots;

fn refused(path: &Path, reason: &str) {
    let err = trust_roots(path).unwrap_err();
    assert!(matches!(err, DeskError::CaFile { .. }), "{err:?}");
    assert_eq!(err.code(), "ca_file_unusable");
    let message = err.to_string();
    let expected = format!(
        "the CA file {} (WORKVOICE_CA_FILE) cannot be used: ",
        path.display()
    );
    assert!(message.starts_with(&expected), "{message}");
    assert!(message.contains(reason), "{message}");
}

fn ca_pem() -> String {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.self_signed(&key).unwrap().pem()
}

#[test]
fn a_missing_unreadable_or_non_pem_ca_file_is_refused_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    refused(&dir.path().join("no-such.pem"), "No such file");
    refused(dir.path(), "Is a directory");
    let text = dir.path().join("text.pem");
    std::fs::write(&text, "not a certificate\n").unwrap();
    refused(&text, "holds no PEM certificate");
    let key_only = dir.path().join("key.pem");
    std::fs::write(
        &key_only,
        rcgen::KeyPair::generate().unwrap().serialize_pem(),
    )
    .unwrap();
    refused(&key_only, "holds no PEM certificate");
}

#[test]
fn a_pem_bundle_gives_each_of_its_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ca.pem");
    std::fs::write(&file, format!("{}{}", ca_pem(), ca_pem())).unwrap();
    assert_eq!(trust_roots(&file).unwrap().len(), 2);
}
