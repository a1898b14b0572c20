//! `docs/OPERATING.md` cannot rot: every block marked `sh` in it runs, in order, in one bash
//! shell, against a throwaway directory, with the real binaries: install, root key ceremony,
//! enrolment, rules, serving (with a certificate from ACME, then from files), the desk, a first
//! report from the real phone core pulled by the real desk, backups and a restore drill, an
//! upgrade, key and token rotation, monitoring, and two relay processes on one PostgreSQL
//! database behind one address, one of them killed.
//!
//! What the test changes, and nothing else (the guide's introduction says the same): the
//! guide's system paths get the throwaway directory in front, `https://relay.example.org` and
//! the relay's ports become free local ports (`localhost`), the PostgreSQL URL becomes a fresh
//! database, and `sudo`, `apt`, `systemctl`, `journalctl` and `chown` are small shell
//! functions (`PRELUDE`) that do what the package, the units and the system would; HAProxy is
//! the relay tests' TCP balancer (`workvoice-test-balancer`), reading the guide's
//! `haproxy.cfg`. Let's Encrypt is Pebble, its test CA, started by the prelude. The relay
//! serves TLS from certificate files made for the run by a test CA, which `curl`, the desk and
//! the phone shell trust through `CURL_CA_BUNDLE` and `WORKVOICE_CA_FILE` (with Pebble's root;
//! their built-in roots would refuse both). The phone shell runs with `--fast-kdf` (a debug
//! build's Argon2id would take minutes).
//!
//! Blocks marked `sh acme` need Pebble (`WORKVOICE_PEBBLE`, from `scripts/pebble-up`), blocks
//! marked `sh postgres` a PostgreSQL server (`WORKVOICE_TEST_PG_URL`, from
//! `scripts/postgres-up`). Under `CI=true` a missing one fails the test; elsewhere its blocks
//! are skipped with a loud message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use workvoice_relay::storage::Storage;
use workvoice_tests::binaries::{RELAY, binary};
use workvoice_tests::postgres::{FreshDatabase, PG_URL_VAR};

const PRELUDE: &str = r##"set -euo pipefail
export PATH="@BIN@:$PATH"
unset WORKVOICE_CONFIG WORKVOICE_DATA_DIR WORKVOICE_DATABASE_URL DATABASE_URL \
  WORKVOICE_ROOT_PUBLIC_KEY WORKVOICE_LISTEN WORKVOICE_DESK_DIR WORKVOICE_ACME_DIRECTORY_URL \
  WORKVOICE_ACME_CA_FILE
export WORKVOICE_DESK_PASSPHRASE='a long passphrase for the test desk'
export WORKVOICE_DESK_USER_PASSWORD='a long password for amina in the test'
R='@ROOT@'
# The test CA that issued the relay's certificate (fullchain.pem, privkey.pem here), and
# Pebble's root when Pebble runs (ca.pem).
export CURL_CA_BUNDLE="$R/ca.pem" WORKVOICE_CA_FILE="$R/ca.pem"
mkdir -p "$R/etc/systemd/system" "$R/usr/lib/systemd/system" "$R/var/lib" "$R/var/backups" \
  "$R/var/tmp" "$R/root"
# Every process the stand-ins start, stopped when the guide ends.
stop_all() {
  local f
  for f in "$R"/*.pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2> /dev/null
  done
  wait 2> /dev/null || true
}
trap stop_all EXIT
# Let's Encrypt: Pebble on local ports, its listener's certificate from the test CA; it
# validates TLS-ALPN-01 on the relay's TLS port, as Let's Encrypt would on 443.
if [ -n '@PEBBLE@' ]; then
  cat > "$R/pebble.json" << END
{"pebble": {"listenAddress": "127.0.0.1:@ACMEPORT@",
  "managementListenAddress": "127.0.0.1:@ACMEMANAGEMENT@",
  "certificate": "$R/fullchain.pem", "privateKey": "$R/privkey.pem",
  "httpPort": @ACMEHTTP@, "tlsPort": @TLSPORT@, "ocspResponderURL": "",
  "externalAccountBindingRequired": false, "retryAfter": {"authz": 1, "order": 1},
  "keyAlgorithm": "ecdsa",
  "profiles": {"default": {"description": "the guide's test", "validityPeriod": 7776000}}}}
END
  PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 GODEBUG=netdns=go \
    '@PEBBLE@' -config "$R/pebble.json" > "$R/pebble.log" 2>&1 &
  echo $! > "$R/pebble.pid"
  for _ in $(seq 1 600); do
    curl -fsS --cacert "$R/test-ca.pem" "https://127.0.0.1:@ACMEMANAGEMENT@/roots/0" \
      > "$R/pebble-root.pem" 2> /dev/null && break
    sleep 0.1
  done
  [ -s "$R/pebble-root.pem" ] || { cat "$R/pebble.log" >&2; exit 1; }
  cat "$R/test-ca.pem" "$R/pebble-root.pem" > "$R/ca.pem"
  export WORKVOICE_ACME_DIRECTORY_URL="https://127.0.0.1:@ACMEPORT@/dir"
  export WORKVOICE_ACME_CA_FILE="$R/test-ca.pem"
fi
# sudo: run the command as the current user.
sudo() {
  while [ $# -gt 0 ]; do case "$1" in -u|-g) shift 2 ;; -*) shift ;; *) break ;; esac; done
  "$@"
}
# No workvoice user in the test.
chown() { :; }
workvoice-cli() { command workvoice-cli --fast-kdf --quick-retries "$@"; }
# apt install ./workvoice-relay_*.deb: the files the package installs (postinst), the
# configuration file kept when it exists (a conffile). apt install haproxy: its directory.
apt() {
  [ "$1" = install ] || return 0
  if [ "$2" = haproxy ]; then
    mkdir -p "$R/etc/haproxy"
    echo "(test) the test's balancer stands in for haproxy"
    return 0
  fi
  mkdir -p "$R/etc/workvoice"
  mkdir -p -m 0700 "$R/var/lib/workvoice"
  if [ ! -f "$R/etc/workvoice/relay.toml" ]; then
    sed -e "s#\"/var/lib/workvoice\"#\"$R/var/lib/workvoice\"#" \
      -e "s#127.0.0.1:8080#127.0.0.1:@PORT@#" '@REPO@/server/debian/relay.toml' \
      > "$R/etc/workvoice/relay.toml"
  fi
  sed -e "s#/usr/bin/workvoice-relay#@BIN@/workvoice-relay#" \
    -e "s#/etc/workvoice#$R/etc/workvoice#" '@REPO@/server/debian/workvoice-relay.service' \
    > "$R/usr/lib/systemd/system/workvoice-relay.service"
  echo "(test) the package's files are in place"
}
unit_file() {
  local f
  for f in "$R/etc/systemd/system/$1.service" "$R/usr/lib/systemd/system/$1.service"; do
    if [ -f "$f" ]; then
      echo "$f"
      return 0
    fi
  done
  echo "(test) no unit $1" >&2
  return 1
}
# Wait until the process of unit $1 answers /readyz on address $2 (HTTP, or HTTPS with any
# certificate: the unit is started, whether its certificate verifies is the guide's business).
wait_ready() {
  for _ in $(seq 1 600); do
    if curl -fsS "http://$2/readyz" > /dev/null 2>&1 \
      || curl -kfsS "https://localhost:${2##*:}/readyz" > /dev/null 2>&1; then
      return 0
    fi
    kill -0 "$(cat "$R/$1.pid")" 2> /dev/null || break
    sleep 0.1
  done
  cat "$R/$1.log" >&2
  return 1
}
# A relay unit: its ExecStart with its Environment, in the background; it listens where its
# Environment's WORKVOICE_LISTEN says, else where relay.toml does.
unit_start() {
  local unit="$1" file env run listen
  file=$(unit_file "$unit")
  if [ -f "$R/$unit.pid" ] && kill -0 "$(cat "$R/$unit.pid")" 2> /dev/null; then
    return 0
  fi
  env=$(sed -n 's/^Environment=//p' "$file")
  run=$(sed -n 's/^ExecStart=//p' "$file")
  # shellcheck disable=SC2086
  (if [ -n "$env" ]; then export $env; fi; exec $run) >> "$R/$unit.log" 2>&1 &
  echo $! > "$R/$unit.pid"
  listen=$(sed -n 's/^Environment=.*WORKVOICE_LISTEN=\([^ ]*\).*/\1/p' "$file")
  [ -n "$listen" ] || listen=$(sed -n 's/^listen = "\(.*\)"$/\1/p' "$R/etc/workvoice/relay.toml")
  wait_ready "$unit" "$listen"
}
unit_stop() {
  local pidfile="$R/$1.pid" signal="${2:-TERM}"
  if [ -f "$pidfile" ]; then
    kill -s "$signal" "$(cat "$pidfile")" 2> /dev/null || true
    while kill -0 "$(cat "$pidfile")" 2> /dev/null; do sleep 0.1; done
    rm -f "$pidfile"
  fi
}
# HAProxy: the test's TCP balancer on the configuration's `bind` address, with its `crt`
# file, in front of its `server` addresses.
haproxy_start() {
  local cfg="$R/etc/haproxy/haproxy.cfg" listen pem backends
  listen=$(awk '$1 == "bind" {print $2}' "$cfg")
  pem=$(awk '$1 == "bind" {for (i = 2; i < NF; i++) if ($i == "crt") print $(i + 1)}' "$cfg")
  backends=$(awk '$1 == "server" {print $3}' "$cfg")
  # shellcheck disable=SC2086
  workvoice-test-balancer --listen "$listen" --pem "$pem" $backends >> "$R/haproxy.log" 2>&1 &
  echo $! > "$R/haproxy.pid"
  wait_ready haproxy "$listen"
}
# systemctl: a relay unit starts as its unit file says; enabling a timer runs its service's
# ExecStart and ExecStartPost once; haproxy is the balancer above.
systemctl() {
  local verb="$1"
  local unit="${!#}"
  unit="${unit%.service}"
  case "$verb $unit" in
    "enable "*.timer | "start "*.timer)
      local run
      local service="$R/etc/systemd/system/${unit%.timer}.service"
      run=$(sed -n 's/^ExecStart=//p' "$service" | sed 's/%%/%/g')
      eval "$run"
      run=$(sed -n 's/^ExecStartPost=//p' "$service" | sed 's/%%/%/g')
      eval "$run"
      ;;
    "enable haproxy" | "start haproxy" | "restart haproxy") unit_stop haproxy; haproxy_start ;;
    "enable workvoice-relay"* | "start workvoice-relay"*) unit_start "$unit" ;;
    "restart workvoice-relay"*) unit_stop "$unit"; unit_start "$unit" ;;
    "stop workvoice-relay"*) unit_stop "$unit" ;;
    "kill workvoice-relay"*)
      local signal=TERM arg
      for arg in "$@"; do
        case "$arg" in --signal=*) signal="${arg#--signal=}" ;; esac
      done
      unit_stop "$unit" "${signal#SIG}"
      ;;
    *) : ;;
  esac
}
journalctl() { cat "$R/workvoice-relay.log"; }
"##;

/// One fenced `sh` block of the guide: what follows `sh` on its fence line (what it needs:
/// empty, `acme` or `postgres`), and its text.
struct Block {
    needs: String,
    text: String,
}

/// The `sh` blocks of a Markdown text, in order.
fn sh_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    for line in text.lines() {
        let line = line.trim_end();
        match current.as_mut() {
            None => {
                if let Some(needs) = line.strip_prefix("```sh")
                    && (needs.is_empty() || needs.starts_with(' '))
                {
                    current = Some(Block {
                        needs: needs.trim().to_string(),
                        text: String::new(),
                    });
                }
            }
            Some(_) if line == "```" => blocks.extend(current.take()),
            Some(block) => {
                block.text.push_str(line);
                block.text.push('\n');
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

/// `N` distinct ports that are free now, below the system's ephemeral range: the guide's
/// configuration names its ports, so the relay cannot take port 0, and a port in the ephemeral
/// range could be handed to another process's outgoing connection or `bind(0)` between this
/// choice and the relay's bind; below it, only a process choosing the same way could.
fn free_ports<const N: usize>() -> [u16; N] {
    use std::hash::{BuildHasher, RandomState};
    let range =
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap_or_default();
    let low: u16 = range
        .split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(32768);
    let (first, span) = (10_000u16, low.saturating_sub(10_000).max(1000));
    let random = RandomState::new();
    let mut held: Vec<TcpListener> = Vec::new();
    let mut attempt = 0u64;
    while held.len() < N {
        attempt += 1;
        assert!(attempt < 10_000, "no free ports below {low}");
        let port = first + (random.hash_one(attempt) % u64::from(span)) as u16;
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)) {
            held.push(listener);
        }
    }
    std::array::from_fn(|n| held[n].local_addr().unwrap().port())
}

/// A test CA (`test-ca.pem`, and `ca.pem` until Pebble's root joins it) and a certificate it
/// issued for 127.0.0.1 and localhost (`fullchain.pem`, `privkey.pem`), written into `dir`.
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
    std::fs::write(dir.join("test-ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(
        dir.join("fullchain.pem"),
        format!("{}{}", leaf.pem(), ca.pem()),
    )
    .unwrap();
    std::fs::write(dir.join("privkey.pem"), leaf_key.serialize_pem()).unwrap();
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// What the blocks marked `needs` require, from `variable`: under CI its absence fails the
/// test; elsewhere those blocks are skipped, loudly.
fn required(
    variable: &str,
    needs: &str,
    script: &str,
    usable: impl Fn(&str) -> bool,
) -> Option<String> {
    match std::env::var(variable) {
        Ok(value) if usable(&value) => Some(value),
        found => {
            let message = format!(
                "the guide's `sh {needs}` blocks need {variable}: run `{script}` and export \
                 what it prints as {variable} (`scripts/test` does); {variable} is {found:?}"
            );
            assert!(!in_ci(), "{message}");
            // Past the test harness's capture of a passing test's output: seen in every run.
            let _ = writeln!(
                std::io::stderr(),
                "\n!!!!!!!! SKIPPED the guide's `sh {needs}` blocks: {message} !!!!!!!!\n"
            );
            None
        }
    }
}

#[test]
fn the_operating_guide_runs_from_a_fresh_server_to_the_first_report() {
    let repo: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .into();
    let guide = std::fs::read_to_string(repo.join("docs/OPERATING.md")).unwrap();
    let blocks = sh_blocks(&guide);
    assert!(blocks.len() >= 25, "only {} sh blocks", blocks.len());
    for block in &blocks {
        assert!(
            ["", "acme", "postgres"].contains(&block.needs.as_str()),
            "an sh block needs {:?}, which the test does not know",
            block.needs
        );
    }
    let pebble = required("WORKVOICE_PEBBLE", "acme", "scripts/pebble-up", |p| {
        Path::new(p).is_file()
    });
    let pg_admin = required(PG_URL_VAR, "postgres", "scripts/postgres-up", |u| {
        !u.trim().is_empty()
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let database = pg_admin.as_ref().map(|admin| {
        runtime
            .block_on(FreshDatabase::create(admin, "guide"))
            .unwrap()
    });
    let chosen: Vec<String> = blocks
        .iter()
        .filter(|b| match b.needs.as_str() {
            "acme" => pebble.is_some(),
            "postgres" => database.is_some(),
            _ => true,
        })
        .map(|b| b.text.clone())
        .collect();

    let bin = binary(RELAY).parent().unwrap().to_path_buf();
    let dir = tempfile::Builder::new()
        .prefix("wv-guide-")
        .tempdir()
        .unwrap();
    let root = dir.path().display().to_string();
    let [
        port,
        metrics,
        tls,
        port2,
        metrics2,
        acme,
        acme_management,
        acme_http,
    ] = free_ports();
    test_certificates(dir.path());
    let under_root = |p: &str| format!("{root}{p}");
    let script = rewrite(
        &chosen.concat(),
        &[
            (
                "https://relay.example.org",
                format!("https://localhost:{tls}"),
            ),
            (
                "acme_domains = [\"relay.example.org\"]",
                "acme_domains = [\"localhost\"]".into(),
            ),
            ("[::]:443", format!("127.0.0.1:{tls}")),
            ("bind :443 ", format!("bind 127.0.0.1:{tls} ")),
            ("127.0.0.1:8080", format!("127.0.0.1:{port}")),
            ("127.0.0.1:8081", format!("127.0.0.1:{port2}")),
            ("127.0.0.1:9464", format!("127.0.0.1:{metrics}")),
            ("127.0.0.1:9465", format!("127.0.0.1:{metrics2}")),
            (
                "postgres://workvoice:DB-PASSWORD@db.example.org/workvoice",
                database.as_ref().map(|d| d.url.clone()).unwrap_or_default(),
            ),
            (
                "/usr/bin/workvoice-relay",
                bin.join("workvoice-relay").display().to_string(),
            ),
            ("/etc/workvoice", under_root("/etc/workvoice")),
            ("/etc/haproxy", under_root("/etc/haproxy")),
            ("/etc/systemd/system", under_root("/etc/systemd/system")),
            (
                "/usr/lib/systemd/system",
                under_root("/usr/lib/systemd/system"),
            ),
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
        .replace("@ACMEPORT@", &acme.to_string())
        .replace("@ACMEMANAGEMENT@", &acme_management.to_string())
        .replace("@ACMEHTTP@", &acme_http.to_string())
        .replace("@PEBBLE@", pebble.as_deref().unwrap_or(""))
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
    let logs = || {
        let mut all = String::new();
        for name in ["workvoice-relay", "workvoice-relay-2", "haproxy", "pebble"] {
            if let Ok(text) = std::fs::read_to_string(dir.path().join(format!("{name}.log"))) {
                all.push_str(&format!("--- {name} log\n{text}\n"));
            }
        }
        all
    };
    assert!(
        out.status.success(),
        "the guide failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}\n{}",
        out.status,
        logs()
    );
    let mut expected = vec![
        "up to date",
        "Enrolled with",
        "1 new cases",
        "backup written to",
        "restored",
        "Building Workers Union",
        "Certificate installed for key version 2",
    ];
    if database.is_some() {
        expected.push("2 new cases");
    }
    for expected in expected {
        assert!(
            stdout.contains(expected),
            "the guide's output lacks {expected:?}:\n{stdout}"
        );
    }
    if pebble.is_some() {
        let log = std::fs::read_to_string(dir.path().join("workvoice-relay.log")).unwrap();
        assert!(
            log.contains("answered a TLS-ALPN-01 validation"),
            "the relay did not answer Pebble's challenge:\n{log}"
        );
    }
    if let Some(database) = &database {
        // Section 7's report (moved with the backup) and the two of section 12, one sent
        // before a relay process was killed: each stored once and in the union's inbox once.
        let counts = runtime.block_on(async {
            let storage = Storage::connect(&database.url, 2).await.unwrap();
            let counts = storage.table_counts().await.unwrap();
            storage.close().await;
            counts
        });
        assert_eq!(counts["submissions"], 3, "{counts:?}");
        assert_eq!(counts["inbox"], 3, "{counts:?}");
    }
}
