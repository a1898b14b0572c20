//! The workspace's real binaries, built once per test process.
//!
//! Integration tests only get `CARGO_BIN_EXE_*` for their own package, so the first call runs
//! `cargo build --bins -p workvoice-cli -p workvoice-relay -p workvoice-desk -p workvoice-sms
//! -p workvoice-tests`
//! (the `cargo` that runs the tests, `$CARGO`) into the target
//! directory the test itself was built in (same profile), under a [`OnceLock`]. When the
//! binaries are fresh (as after `cargo test --workspace`), that is a no-op of a second or two.
//! `WORKVOICE_E2E_BIN_DIR` skips the build and takes the binaries from that directory.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

/// The phone: the command-line shell over the real core.
pub const PHONE: &str = "workvoice-cli";
/// The relay (`serve` and the operator's admin commands).
pub const RELAY: &str = "workvoice-relay";
/// The offline root key tool.
pub const ROOT: &str = "workvoice-root";
/// The organisation's desk.
pub const DESK: &str = "workvoice-desk";
/// The SMS channel an organisation runs next to its desk.
pub const SMS: &str = "workvoice-sms";
/// The OHTTP relay a partner organisation runs in front of the relay.
pub const OHTTP_RELAY: &str = "workvoice-ohttp-relay";

/// Overrides the build: a directory that holds the six binaries.
pub const BIN_DIR_VAR: &str = "WORKVOICE_E2E_BIN_DIR";

static BIN_DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();

/// The path of one of the binaries above; builds them on first use. Panics with cargo's
/// output when the build fails.
pub fn binary(name: &str) -> PathBuf {
    match BIN_DIR.get_or_init(locate_or_build) {
        Ok(dir) => dir.join(name),
        Err(e) => panic!("{e}"),
    }
}

fn locate_or_build() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os(BIN_DIR_VAR) {
        let dir = PathBuf::from(dir);
        for name in [PHONE, RELAY, ROOT, DESK, SMS, OHTTP_RELAY] {
            if !dir.join(name).exists() {
                return Err(format!("{BIN_DIR_VAR}={} has no {name}", dir.display()));
            }
        }
        return Ok(dir);
    }
    let exe = std::env::current_exe().map_err(|e| format!("no current executable: {e}"))?;
    // <target-dir>/<profile-dir>/deps/<test binary>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| format!("unexpected test binary location {}", exe.display()))?;
    let target_dir = profile_dir
        .parent()
        .ok_or_else(|| format!("unexpected test binary location {}", exe.display()))?;
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => "dev".to_string(),
        Some(other) => other.to_string(),
        None => return Err(format!("no profile directory above {}", exe.display())),
    };
    // At run time (cargo sets it for tests): a build reused from another checkout of the
    // workspace would otherwise carry that checkout's path.
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    let workspace = manifest_dir
        .parent()
        .ok_or("the tests crate has no parent directory")?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let started = Instant::now();
    let output = Command::new(&cargo)
        .current_dir(workspace)
        .args(["build", "--quiet", "--bins", "--profile", &profile])
        .args([
            "-p",
            "workvoice-cli",
            "-p",
            "workvoice-relay",
            "-p",
            "workvoice-desk",
            "-p",
            "workvoice-sms",
        ])
        // With this package too, the libraries get the features the tests were built with
        // (the relay's `testing`), so they are not compiled a second time.
        .args(["-p", "workvoice-tests"])
        .arg("--target-dir")
        .arg(target_dir)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", Path::new(&cargo).display()))?;
    if !output.status.success() {
        return Err(format!(
            "building the binaries failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    eprintln!(
        "e2e: binaries ready in {} ({:.1} s)",
        profile_dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(profile_dir.to_path_buf())
}
