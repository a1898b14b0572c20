//! The two binaries end to end: create the root key, certify the relay, enrol an organisation,
//! set rules, publish, serve, rotate its token, revoke its key — as an operator would.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::*;
use reqwest::StatusCode;
use workvoice_proto::ErrorCode;
use workvoice_proto::directory::{
    DirectoryPins, KeyTrust, UntrustedReason, verify_directory, verify_directory_pinned,
};
use workvoice_proto::keys::{HpkePrivateKey, OrgId};
use workvoice_proto::vectors::DeterministicRng;
use workvoice_relay::domain::unix_now;

const ROOT: &str = env!("CARGO_BIN_EXE_workvoice-root");
const RELAY: &str = env!("CARGO_BIN_EXE_workvoice-relay");

fn run(bin: &str, dir: &Path, root_pub: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .current_dir(dir)
        .env("WORKVOICE_DATA_DIR", dir.join("data"))
        .env_remove("DATABASE_URL")
        .env_remove("WORKVOICE_DATABASE_URL")
        .env_remove("WORKVOICE_ROOT_KEY");
    match root_pub {
        Some(k) => cmd.env("WORKVOICE_ROOT_PUBLIC_KEY", k),
        None => cmd.env_remove("WORKVOICE_ROOT_PUBLIC_KEY"),
    };
    cmd.output().unwrap()
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn refused(out: Output) -> String {
    assert!(
        !out.status.success(),
        "unexpectedly succeeded: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr).unwrap()
}

fn field(text: &str, name: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        .trim()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_enrols_an_organisation_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // Root key: created 0600, never overwritten.
    let root_pub = ok(run(ROOT, d, None, &["init", "--out", "root.key"]))
        .trim()
        .to_string();
    assert_eq!(root_pub.len(), 64);
    assert_eq!(
        std::fs::metadata(d.join("root.key"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    assert!(
        refused(run(ROOT, d, None, &["init", "--out", "root.key"]))
            .contains("refusing to overwrite")
    );
    assert_eq!(
        ok(run(ROOT, d, None, &["public-key", "--key", "root.key"])).trim(),
        root_pub
    );
    let r = Some(root_pub.as_str());

    // The relay key, certified by the root.
    let relay_pub = ok(run(RELAY, d, r, &["key", "show"])).trim().to_string();
    assert_eq!(
        std::fs::metadata(d.join("data/relay.key"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    assert_eq!(
        ok(run(RELAY, d, r, &["key", "show"])).trim(),
        relay_pub,
        "the key is kept"
    );
    let relay_cert = ok(run(
        ROOT,
        d,
        None,
        &[
            "certify-relay",
            "--key",
            "root.key",
            "--relay-key",
            &relay_pub,
            "--name",
            "relay.test",
            "--valid-days",
            "30",
        ],
    ));
    std::fs::write(d.join("relay-cert.json"), relay_cert).unwrap();
    // Without the root public key configured, certificates cannot be checked.
    assert!(
        refused(run(
            RELAY,
            d,
            None,
            &["relay-certificate", "set", "relay-cert.json"]
        ))
        .contains("root_public_key")
    );
    ok(run(
        RELAY,
        d,
        r,
        &["relay-certificate", "set", "relay-cert.json"],
    ));

    // An escrow threshold out of range is refused, by name, and registers nothing.
    for k in ["1", "17"] {
        let said = refused(run(
            RELAY,
            d,
            r,
            &[
                "org",
                "add",
                "--kind",
                "union",
                "--name-en",
                "Refused Union",
                "--escrow-threshold",
                k,
            ],
        ));
        assert!(said.contains("escrow threshold"), "{said}");
    }
    assert!(!ok(run(RELAY, d, r, &["org", "list"])).contains("Refused Union"));
    // An organisation: registered, then its key certified by the root.
    let added = ok(run(
        RELAY,
        d,
        r,
        &[
            "org",
            "add",
            "--kind",
            "union",
            "--name-en",
            "Building Workers Union",
            "--name",
            "ne=निर्माण मजदुर संघ",
            "--countries",
            "QA,NP",
            "--sectors",
            "F",
            "--languages",
            "en,ne",
            "--escrow-threshold",
            "5",
        ],
    ));
    let org_id = field(&added, "org_id");
    let token = field(&added, "api_token");
    assert_eq!(token.len(), 43);
    // Its escrow settings change later: a bad threshold or nothing to change is refused by
    // name, and invites are switched on without touching the threshold.
    let said = refused(run(
        RELAY,
        d,
        r,
        &["org", "escrow", &org_id, "--threshold", "1"],
    ));
    assert!(said.contains("escrow threshold of 1"), "{said}");
    let said = refused(run(RELAY, d, r, &["org", "escrow", &org_id]));
    assert!(said.contains("--invites on|off"), "{said}");
    let said = refused(run(
        RELAY,
        d,
        r,
        &["org", "escrow", &org_id, "--invites", "yes"],
    ));
    assert!(said.contains("invites"), "{said}");
    let set = ok(run(
        RELAY,
        d,
        r,
        &["org", "escrow", &org_id, "--invites", "on"],
    ));
    assert!(set.contains("threshold 5, invites on"), "{set}");
    let key = HpkePrivateKey::generate(&mut DeterministicRng::new("cli org key"));
    let key_hex = key.public_key().to_hex();
    let cert = ok(run(
        ROOT,
        d,
        None,
        &[
            "certify-org",
            "--key",
            "root.key",
            "--org-id",
            &org_id,
            "--kind",
            "union",
            "--public-key",
            &key_hex,
            "--key-version",
            "1",
            "--valid-days",
            "30",
        ],
    ));
    std::fs::write(d.join("org-cert.json"), &cert).unwrap();
    let wrong_kind = ok(run(
        ROOT,
        d,
        None,
        &[
            "certify-org",
            "--key",
            "root.key",
            "--org-id",
            &org_id,
            "--kind",
            "ngo",
            "--public-key",
            &key_hex,
            "--key-version",
            "1",
            "--valid-days",
            "30",
        ],
    ));
    std::fs::write(d.join("wrong-kind.json"), wrong_kind).unwrap();
    assert!(
        refused(run(
            RELAY,
            d,
            r,
            &["org", "certificate", &org_id, "wrong-kind.json"]
        ))
        .contains("kind")
    );
    ok(run(ROOT, d, None, &["init", "--out", "other-root.key"]));
    let forged = ok(run(
        ROOT,
        d,
        None,
        &[
            "certify-org",
            "--key",
            "other-root.key",
            "--org-id",
            &org_id,
            "--kind",
            "union",
            "--public-key",
            &key_hex,
            "--key-version",
            "1",
            "--valid-days",
            "30",
        ],
    ));
    std::fs::write(d.join("forged.json"), forged).unwrap();
    assert!(
        refused(run(
            RELAY,
            d,
            r,
            &["org", "certificate", &org_id, "forged.json"]
        ))
        .contains("does not verify")
    );
    ok(run(
        RELAY,
        d,
        r,
        &["org", "certificate", &org_id, "org-cert.json"],
    ));
    let listed = ok(run(RELAY, d, r, &["org", "list"]));
    assert!(
        listed.contains(&org_id) && listed.contains("key v1"),
        "{listed}"
    );

    // Rules naming an unknown organisation are refused; good ones are kept.
    let bad_rules = format!(r#"[{{"id":"x","deliver_to":["{}"]}}]"#, OrgId([9; 16]));
    std::fs::write(d.join("bad-rules.json"), bad_rules).unwrap();
    assert!(
        refused(run(RELAY, d, r, &["rules", "set", "bad-rules.json"]))
            .contains("unknown organisation")
    );
    let rules =
        format!(r#"[{{"id":"qa-all","destination_countries":["QA"],"deliver_to":["{org_id}"]}}]"#);
    std::fs::write(d.join("rules.json"), rules).unwrap();
    ok(run(RELAY, d, r, &["rules", "set", "rules.json"]));
    assert!(ok(run(RELAY, d, r, &["directory", "publish"])).contains("version 1 published"));

    // Serve it, configured by a TOML file, and check what a phone would.
    let config = format!(
        "listen = \"127.0.0.1:0\"\nlog_json = true\ndata_dir = \"{}\"\nroot_public_key = \"{root_pub}\"\n",
        d.join("data").display()
    );
    std::fs::write(d.join("relay.toml"), config).unwrap();
    let mut child = Command::new(RELAY)
        .args(["--config", "relay.toml", "serve"])
        .current_dir(d)
        .env_remove("WORKVOICE_DATA_DIR")
        .env_remove("WORKVOICE_ROOT_PUBLIC_KEY")
        .env_remove("WORKVOICE_LISTEN")
        .env_remove("WORKVOICE_LOG_JSON")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first.rsplit(' ').next().unwrap().to_string();
    let log = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>());
    let c = client();
    let served = get(&c, &format!("{url}/v1/directory"), None)
        .await
        .bytes()
        .await
        .unwrap();
    let root_key = workvoice_proto::keys::SigningPublicKey::from_hex(&root_pub).unwrap();
    let v = verify_directory(&served, &root_key, unix_now(), 0).unwrap();
    let id = OrgId::from_hex(&org_id).unwrap();
    assert_eq!(v.certified_key(&id).unwrap(), key.public_key());
    assert_eq!(v.listing.pow_difficulty, 16);
    assert_eq!(v.listing.expires_at - v.listing.issued_at, 7 * 24 * 3600);
    assert_eq!(
        v.listing.organisation(&id).unwrap().name("ne"),
        "निर्माण मजदुर संघ"
    );
    assert_eq!(
        v.listing.organisation(&id).unwrap().escrow_threshold,
        Some(5)
    );
    assert!(v.listing.organisation(&id).unwrap().escrow_invites);
    assert_eq!(
        get(&c, &format!("{url}/v1/org/inbox"), Some(&token))
            .await
            .status(),
        StatusCode::OK
    );

    // Rotating the token takes effect at once; the old one stops working.
    let rotated = field(
        &ok(run(RELAY, d, r, &["org", "rotate-token", &org_id])),
        "api_token",
    );
    assert_eq!(
        get(&c, &format!("{url}/v1/org/inbox"), Some(&token))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&c, &format!("{url}/v1/org/inbox"), Some(&rotated))
            .await
            .status(),
        StatusCode::OK
    );

    // Revoking the key: the next directory marks it revoked.
    let revocations = ok(run(
        ROOT,
        d,
        None,
        &[
            "revoke",
            "--key",
            "root.key",
            "--org-id",
            &org_id,
            "--key-version",
            "1",
            "--public-key",
            &key_hex,
        ],
    ));
    std::fs::write(d.join("revocations.json"), &revocations).unwrap();
    ok(run(
        RELAY,
        d,
        r,
        &["revocations", "set", "revocations.json"],
    ));
    assert!(
        refused(run(
            RELAY,
            d,
            r,
            &["revocations", "set", "revocations.json"]
        ))
        .contains("serial")
    );
    let next = ok(run(
        ROOT,
        d,
        None,
        &[
            "revoke",
            "--key",
            "root.key",
            "--org-id",
            &org_id,
            "--key-version",
            "2",
            "--public-key",
            &key_hex,
            "--list",
            "revocations.json",
        ],
    ));
    let signed: workvoice_proto::directory::Signed = serde_json::from_str(&next).unwrap();
    let list: workvoice_proto::directory::RevocationList = signed.peek().unwrap();
    assert_eq!((list.serial, list.revoked.len()), (2, 2));
    assert!(ok(run(RELAY, d, r, &["directory", "publish"])).contains("version 2 published"));
    // The running relay serves it within its re-check interval (1 s by default).
    let published = std::time::Instant::now();
    let v = loop {
        let served = get(&c, &format!("{url}/v1/directory"), None)
            .await
            .bytes()
            .await
            .unwrap();
        let v = verify_directory(&served, &root_key, unix_now(), 0).unwrap();
        if v.listing.version == 2 {
            break v;
        }
        assert!(
            published.elapsed() < std::time::Duration::from_secs(3),
            "version 2 not served"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(
        v.trust[&id],
        KeyTrust::Untrusted {
            reason: UntrustedReason::Revoked
        }
    );

    // The relay key is stolen: the root revokes it in list 3 (which keeps list 2's entries).
    // Once a phone or desk has seen list 3, a directory the key signs is refused; before
    // that, a listing without list 3 is refused too, because list 2 was seen.
    std::fs::write(d.join("revocations-2.json"), &next).unwrap();
    let relay_revoked = ok(run(
        ROOT,
        d,
        None,
        &[
            "revoke-relay",
            "--key",
            "root.key",
            "--relay-key",
            &relay_pub,
            "--list",
            "revocations-2.json",
        ],
    ));
    let signed: workvoice_proto::directory::Signed = serde_json::from_str(&relay_revoked).unwrap();
    let list: workvoice_proto::directory::RevocationList = signed.peek().unwrap();
    assert_eq!((list.serial, list.revoked.len()), (3, 2));
    assert_eq!(list.relay_keys.len(), 1);
    std::fs::write(d.join("revocations-3.json"), &relay_revoked).unwrap();
    ok(run(
        RELAY,
        d,
        r,
        &["revocations", "set", "revocations-3.json"],
    ));
    assert!(ok(run(RELAY, d, r, &["directory", "publish"])).contains("version 3 published"));
    let published = std::time::Instant::now();
    let refusal = loop {
        let served = get(&c, &format!("{url}/v1/directory"), None)
            .await
            .bytes()
            .await
            .unwrap();
        let pins = DirectoryPins {
            min_version: v.listing.version,
            min_revocation_serial: v.revocation_serial,
        };
        match verify_directory_pinned(&served, &root_key, unix_now(), &pins) {
            Err(e) => break e,
            Ok(same) if same.listing.version == 2 => {}
            Ok(other) => panic!("version {} accepted", other.listing.version),
        }
        assert!(
            published.elapsed() < std::time::Duration::from_secs(3),
            "version 3 not served"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(refusal.code(), "directory_relay_key_revoked");

    // SIGTERM: graceful stop, exit 0. The JSON log names routes, never the token or paths.
    let mailbox_path = "/v1/mailbox/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB";
    assert_eq!(
        get(&c, &format!("{url}{mailbox_path}"), None)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(child.wait().unwrap().success());
    let log = log.join().unwrap().join("\n");
    assert!(log.contains("\"route\":\"/v1/mailbox/{token}\""), "{log}");
    assert!(
        !log.contains("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB"),
        "a mailbox token was logged"
    );
    assert!(
        !log.contains(&rotated) && !log.contains(&token),
        "an API token was logged"
    );
    assert!(
        !log.contains("127.0.0.1:")
            || log
                .lines()
                .all(|l| !l.contains("\"request\"") || !l.contains("127.0.0.1"))
    );
}

/// With no configuration at all, `serve` keeps a SQLite file under ./data and says where it
/// listens; not ready until a directory is published.
#[tokio::test]
async fn serve_without_configuration_uses_sqlite_under_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(RELAY);
    cmd.arg("serve")
        .current_dir(dir.path())
        .stdout(Stdio::piped());
    for (k, _) in std::env::vars() {
        if k.starts_with("WORKVOICE_") || k == "DATABASE_URL" {
            cmd.env_remove(k);
        }
    }
    // Only the port is overridden (8080 may be taken on a shared machine).
    cmd.env("WORKVOICE_LISTEN", "127.0.0.1:0");
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(
        first.starts_with("workvoice-relay listening on http://127.0.0.1:"),
        "{first}"
    );
    let url = first.rsplit(' ').next().unwrap().to_string();
    std::thread::spawn(move || for _ in lines.by_ref() {});
    assert!(dir.path().join("data/relay.db").exists());
    assert_eq!(
        std::fs::metadata(dir.path().join("data/relay.key"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    let c = client();
    assert_eq!(
        get(&c, &format!("{url}/healthz"), None).await.status(),
        StatusCode::OK
    );
    expect_error(
        get(&c, &format!("{url}/readyz"), None).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "directory_unavailable",
    )
    .await;
    expect_error(
        get(&c, &format!("{url}/v1/directory"), None).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "directory_unavailable",
    )
    .await;
    child.kill().unwrap();
    child.wait().unwrap();
}

/// A proof-of-work difficulty no phone would solve is refused before anything starts or is
/// published, with the reason.
#[test]
fn a_difficulty_phones_refuse_stops_serve_and_publish() {
    let dir = tempfile::tempdir().unwrap();
    let too_hard = (workvoice_proto::pow::MAX_ACCEPTED_POW_DIFFICULTY + 1).to_string();
    for args in [&["serve"][..], &["directory", "publish"][..]] {
        let mut cmd = Command::new(RELAY);
        cmd.args(args)
            .current_dir(dir.path())
            .env("WORKVOICE_DATA_DIR", dir.path().join("data"))
            .env("WORKVOICE_LISTEN", "127.0.0.1:0")
            .env("WORKVOICE_POW_DIFFICULTY", &too_hard)
            .env_remove("DATABASE_URL")
            .env_remove("WORKVOICE_DATABASE_URL");
        let said = refused(cmd.output().unwrap());
        assert!(said.contains("the most a phone solves"), "{args:?}: {said}");
        assert!(
            !dir.path().join("data").join("relay.db").exists(),
            "{args:?}"
        );
    }
}
