//! `docs/OPERATING.md` cannot rot: every block marked `sh` in it runs, in order, in one bash
//! shell, against a throwaway directory, with the real binaries: install, root key ceremony,
//! enrolment, rules, serving, the desk, a first report from the real phone core pulled by the
//! real desk, backups and a restore drill, an upgrade, key and token rotation, monitoring.
//!
//! What the test changes, and nothing else (the guide's introduction says the same): the
//! guide's system paths get the throwaway directory in front, `https://relay.example.org` and
//! the relay's ports become free local ports, and `sudo`, `apt`, `systemctl`, `journalctl` and
//! `chown` are small shell functions (`PRELUDE`) that do what the package, the unit and the
//! system would. The relay serves TLS from certificate files made for the run by a test CA,
//! which `curl`, the desk and the phone shell trust through `CURL_CA_BUNDLE` and
//! `WORKVOICE_CA_FILE` (their built-in roots would refuse it). The phone shell runs with
//! `--fast-kdf` (a debug build's Argon2id would take minutes).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use workvoice_tests::binaries::{RELAY, binary};

const PRELUDE: &str = r##"set -euo pipefail
export PATH="@BIN@:$PATH"
unset WORKVOICE_CONFIG WORKVOICE_DATA_DIR WORKVOICE_DATABASE_URL DATABASE_URL \
  WORKVOICE_ROOT_PUBLIC_KEY WORKVOICE_LISTEN WORKVOICE_DESK_DIR
export WORKVOICE_DESK_PASSPHRASE='a long passphrase for the test desk'
export WORKVOICE_DESK_USER_PASSWORD='a long password for amina in the test'
R='@ROOT@'
# The test CA that issued the relay's certificate (fullchain.pem, privkey.pem here).
export CURL_CA_BUNDLE="$R/ca.pem" WORKVOICE_CA_FILE="$R/ca.pem"
mkdir -p "$R/etc/systemd/system" "$R/var/lib" "$R/var/backups" "$R/var/tmp" "$R/root"
# sudo: run the command as the current user.
sudo() {
  while [ $# -gt 0 ]; do case "$1" in -u|-g) shift 2 ;; -*) shift ;; *) break ;; esac; done
  "$@"
}
# No workvoice user in the test.
chown() { :; }
workvoice-cli() { command workvoice-cli --fast-kdf --quick-retries "$@"; }
# apt install ./workvoice-relay_*.deb: the files the package installs (postinst), the
# configuration file kept when it exists (a conffile).
apt() {
  [ "$1" = install ] || return 0
  mkdir -p "$R/etc/workvoice"
  mkdir -p -m 0700 "$R/var/lib/workvoice"
  if [ ! -f "$R/etc/workvoice/relay.toml" ]; then
    sed -e "s#\"/var/lib/workvoice\"#\"$R/var/lib/workvoice\"#" \
      -e "s#127.0.0.1:8080#127.0.0.1:@PORT@#" '@REPO@/server/debian/relay.toml' \
      > "$R/etc/workvoice/relay.toml"
  fi
  echo "(test) the package's files are in place"
}
relay_start() {
  workvoice-relay --config "$R/etc/workvoice/relay.toml" serve >> "$R/relay.log" 2>&1 &
  echo $! > "$R/relay.pid"
  for _ in $(seq 1 300); do
    if curl -fsS "http://127.0.0.1:@PORT@/readyz" > /dev/null 2>&1 \
      || curl -fsS "https://127.0.0.1:@TLSPORT@/readyz" > /dev/null 2>&1; then
      return 0
    fi
    kill -0 "$(cat "$R/relay.pid")" 2> /dev/null || break
    sleep 0.1
  done
  cat "$R/relay.log" >&2
  return 1
}
relay_stop() {
  if [ -f "$R/relay.pid" ]; then
    kill "$(cat "$R/relay.pid")" 2> /dev/null || true
    while kill -0 "$(cat "$R/relay.pid")" 2> /dev/null; do sleep 0.1; done
    rm -f "$R/relay.pid"
  fi
}
trap relay_stop EXIT
# systemctl: the relay's unit starts `serve` as the package's unit does; enabling a timer runs
# its service's ExecStart and ExecStartPost once.
systemctl() {
  local verb="$1"
  local unit="${!#}"
  case "$verb $unit" in
    "enable workvoice-relay" | "start workvoice-relay") relay_start ;;
    "restart workvoice-relay") relay_stop; relay_start ;;
    "stop workvoice-relay") relay_stop ;;
    "enable "*.timer | "start "*.timer)
      local run
      local service="$R/etc/systemd/system/${unit%.timer}.service"
      run=$(sed -n 's/^ExecStart=//p' "$service" | sed 's/%%/%/g')
      eval "$run"
      run=$(sed -n 's/^ExecStartPost=//p' "$service" | sed 's/%%/%/g')
      eval "$run"
      ;;
    *) : ;;
  esac
}
journalctl() { cat "$R/relay.log"; }
"##;

/// The `sh` blocks of a Markdown text, in order.
fn sh_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match current.as_mut() {
            None if line.trim_end() == "```sh" => current = Some(String::new()),
            None => {}
            Some(_) if line.trim_end() == "```" => blocks.extend(current.take()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    assert!(current.is_none(), "an sh block is not closed");
    blocks
}

/// Replace each `(from, to)` once, never inside what an earlier replacement put in.
fn rewrite(text: &str, pairs: &[(&str, String)]) -> String {
    let mut out = text.to_string();
    for (n, (from, _)) in pairs.iter().enumerate() {
        out = out.replace(from, &format!("\u{1}{n}\u{1}"));
    }
    for (n, (_, to)) in pairs.iter().enumerate() {
        out = out.replace(&format!("\u{1}{n}\u{1}"), to);
    }
    out
}

/// Three distinct free ports (all held while the others are chosen).
fn free_ports() -> [u16; 3] {
    let held: Vec<_> = (0..3)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    [0, 1, 2].map(|n| held[n].local_addr().unwrap().port())
}

/// A test CA (`ca.pem`) and a certificate it issued for 127.0.0.1 and localhost
/// (`fullchain.pem`, `privkey.pem`), written into `dir`.
fn test_certificates(dir: &Path) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "Workvoice guide test CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca = params.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca, &ca_key)
        .unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(
        dir.join("fullchain.pem"),
        format!("{}{}", leaf.pem(), ca.pem()),
    )
    .unwrap();
    std::fs::write(dir.join("privkey.pem"), leaf_key.serialize_pem()).unwrap();
}

#[test]
fn the_operating_guide_runs_from_a_fresh_server_to_the_first_report() {
    let repo: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .into();
    let guide = std::fs::read_to_string(repo.join("docs/OPERATING.md")).unwrap();
    let blocks = sh_blocks(&guide);
    assert!(blocks.len() >= 20, "only {} sh blocks", blocks.len());
    let bin = binary(RELAY).parent().unwrap().to_path_buf();
    let dir = tempfile::Builder::new()
        .prefix("wv-guide-")
        .tempdir()
        .unwrap();
    let root = dir.path().display().to_string();
    let [port, metrics, tls] = free_ports();
    test_certificates(dir.path());
    let under_root = |p: &str| format!("{root}{p}");
    let script = rewrite(
        &blocks.concat(),
        &[
            (
                "https://relay.example.org",
                format!("https://127.0.0.1:{tls}"),
            ),
            ("[::]:443", format!("127.0.0.1:{tls}")),
            ("127.0.0.1:8080", format!("127.0.0.1:{port}")),
            ("127.0.0.1:9464", format!("127.0.0.1:{metrics}")),
            (
                "/usr/bin/workvoice-relay",
                bin.join("workvoice-relay").display().to_string(),
            ),
            ("/etc/workvoice", under_root("/etc/workvoice")),
            ("/etc/systemd/system", under_root("/etc/systemd/system")),
            ("/var/lib/", under_root("/var/lib/")),
            ("/var/backups/", under_root("/var/backups/")),
            ("/var/tmp/", under_root("/var/tmp/")),
            ("/media/usb", under_root("/media/usb")),
            ("/root/", under_root("/root/")),
        ],
    );
    let prelude = PRELUDE
        .replace("@BIN@", &bin.display().to_string())
        .replace("@ROOT@", &root)
        .replace("@PORT@", &port.to_string())
        .replace("@TLSPORT@", &tls.to_string())
        .replace("@REPO@", &repo.display().to_string());
    let file = dir.path().join("guide.sh");
    std::fs::write(&file, format!("{prelude}\n{script}")).unwrap();
    let out = Command::new("bash")
        .arg(&file)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the guide failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}\n--- relay log\n{}",
        out.status,
        std::fs::read_to_string(dir.path().join("relay.log")).unwrap_or_default()
    );
    for expected in [
        "up to date",
        "Enrolled with",
        "1 new cases",
        "backup written to",
        "restored",
        "Building Workers Union",
        "Certificate installed for key version 2",
    ] {
        assert!(
            stdout.contains(expected),
            "the guide's output lacks {expected:?}:\n{stdout}"
        );
    }
}
