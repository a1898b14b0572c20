//! The `workvoice-sms` binary in its own process, as an organisation runs it: a conversation
//! through the Android gateway's signed webhook reaches the relay; afterwards no number used
//! appears in any file under its data directory or in anything it printed, and its data
//! directory is `0700` with `0600` files, under `umask 022`.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(unix)]

mod support;

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{GATEWAY_PASSWORD, GATEWAY_USER, Kind, SIGNING_KEY, Webhooks, start_gateway};
use workvoice_relay::testing::{TestRelay, TestRelayOptions};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn walk(dir: &Path, out: &mut Vec<(std::path::PathBuf, bool, u32)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let meta = std::fs::metadata(&path).unwrap();
        out.push((
            path.clone(),
            meta.is_dir(),
            meta.permissions().mode() & 0o777,
        ));
        if meta.is_dir() {
            walk(&path, out);
        }
    }
}

#[test]
fn the_binary_seals_a_conversation_and_keeps_no_number_in_clear() {
    let relay = TestRelay::start(TestRelayOptions::default()).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (gateway_url, sent) = start_gateway(runtime.handle()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let data_dir = home.path().join("sms");
    let port = free_port();
    let mut child = Command::new("sh")
        .args(["-c", "umask 022 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_workvoice-sms"))
        .arg("--data-dir")
        .arg(&data_dir)
        .args(["--relay", &relay.base_url])
        .args(["--root-key", &relay.fixture.root.public_key().to_hex()])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--gateway", "android", "--gateway-url", &gateway_url])
        .args(["--poll-secs", "3600", "--fast-kdf"])
        .env(
            "WORKVOICE_SMS_WEBHOOK_SECRET",
            std::str::from_utf8(SIGNING_KEY).unwrap(),
        )
        .env("WORKVOICE_SMS_GATEWAY_USER", GATEWAY_USER)
        .env("WORKVOICE_SMS_GATEWAY_PASSWORD", GATEWAY_PASSWORD)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let webhooks = Webhooks::new(Kind::Android, &format!("http://127.0.0.1:{port}"));
    let number = "+9779841112233";
    let say = |i: usize, text: &str| {
        webhooks
            .deliver(number, text, &format!("e{i}"))
            .map(|(status, _)| status)
    };
    // Wait for it to listen.
    let until = Instant::now() + Duration::from_secs(60);
    while say(0, "hello").is_err() {
        assert!(Instant::now() < until, "workvoice-sms did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let script = [
        "1",
        "1",
        "1",
        "300000 NPR",
        "Himal Overseas 1234/067",
        "2 3",
        "1",
        "1",
        "1",
    ];
    for (i, text) in script.iter().enumerate() {
        assert_eq!(say(i + 1, text).unwrap(), 204, "{text}");
    }
    let texts: Vec<String> = sent
        .lock()
        .unwrap()
        .iter()
        .map(|(_, t, _)| t.clone())
        .collect();
    assert!(
        texts.last().unwrap().starts_with("Sent, sealed"),
        "{texts:#?}"
    );
    let mut response = agent
        .get(&relay.url("/v1/org/inbox?limit=10"))
        .header("authorization", &format!("Bearer {}", relay.union.token))
        .call()
        .unwrap();
    let page: workvoice_proto::api::InboxPage =
        serde_json::from_slice(&response.body_mut().read_to_vec().unwrap()).unwrap();
    assert_eq!(page.entries.len(), 1);

    stop(&mut child);
    let mut printed = Vec::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut printed)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_end(&mut printed)
        .unwrap();

    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let mut found = Vec::new();
    walk(home.path(), &mut found);
    assert!(found.len() >= 4, "{found:?}");
    for (path, is_dir, mode) in &found {
        let wanted = if *is_dir { 0o700 } else { 0o600 };
        assert_eq!(*mode, wanted, "{} has mode {mode:o}", path.display());
        if !is_dir {
            let bytes = std::fs::read(path).unwrap();
            for needle in [number, digits.as_str()] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "{} holds the number",
                    path.display()
                );
            }
        }
    }
    let printed = String::from_utf8_lossy(&printed);
    assert!(!printed.contains(&digits), "printed: {printed}");
    assert!(!printed.contains("Himal"), "printed: {printed}");
    runtime.shutdown_background();
}

/// Stop the child we started (by its own handle) and wait for it.
fn stop(child: &mut std::process::Child) {
    let _ = child.kill();
    let _ = child.wait();
}
