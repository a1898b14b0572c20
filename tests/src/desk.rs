//! The union's desk: the real `workvoice-desk` binary (`init`, `enrol`, `sync`) over a data
//! directory of its own. (Replies and statuses go through the desk library in the tests.)

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::binaries::{DESK, binary};
use crate::process::run;

/// The desk's passphrase in these tests.
pub const DESK_PASSPHRASE: &str = "the union keeps this passphrase offline";

/// What `workvoice-desk sync` reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncSummary {
    pub entries: u64,
    pub stored: u64,
    pub already_stored: u64,
    pub undecryptable: u64,
    pub acknowledged: u64,
}

/// Parse "Synced: 3 entries in 1 pages; 3 new cases, 0 already stored, 0 could not be opened;
/// 3 acknowledged."
pub fn parse_sync(text: &str) -> Option<SyncSummary> {
    let line = text.lines().find(|l| l.starts_with("Synced: "))?;
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    match numbers.as_slice() {
        [
            entries,
            _pages,
            stored,
            already,
            undecryptable,
            acknowledged,
        ] => Some(SyncSummary {
            entries: *entries,
            stored: *stored,
            already_stored: *already,
            undecryptable: *undecryptable,
            acknowledged: *acknowledged,
        }),
        _ => None,
    }
}

#[derive(Debug)]
pub struct DeskProcess {
    pub dir: PathBuf,
    passphrase_file: PathBuf,
}

impl DeskProcess {
    /// A desk directory under `parent` (not created yet: `init` does it).
    pub fn new(parent: &Path) -> Result<DeskProcess, String> {
        let passphrase_file = parent.join("desk-passphrase");
        std::fs::write(&passphrase_file, format!("{DESK_PASSPHRASE}\n"))
            .map_err(|e| e.to_string())?;
        Ok(DeskProcess {
            dir: parent.join("desk"),
            passphrase_file,
        })
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(binary(DESK));
        c.env_remove("WORKVOICE_DESK_PASSPHRASE")
            .env_remove("WORKVOICE_DESK_API_TOKEN")
            .env("RUST_LOG", "warn")
            .arg("--dir")
            .arg(&self.dir)
            .arg("--passphrase-file")
            .arg(&self.passphrase_file)
            .args(args);
        c
    }

    fn run(&self, args: &[&str]) -> Result<String, String> {
        let out = run(&mut self.command(args), Duration::from_secs(120))?;
        if out.status.success() {
            Ok(out.stdout)
        } else {
            Err(format!(
                "workvoice-desk {} failed ({}):\n{}{}",
                args.join(" "),
                out.status,
                out.stdout,
                out.stderr
            ))
        }
    }

    /// `init`: returns the organisation's new public key (hex).
    pub fn init(&self, org_name: &str) -> Result<String, String> {
        let out = self.run(&["init", "--org-name", org_name])?;
        out.lines()
            .find(|l| l.starts_with("Organisation public key"))
            .and_then(|l| l.rsplit(' ').next())
            .map(str::to_string)
            .ok_or_else(|| format!("no public key in {out:?}"))
    }

    /// `enrol` with the relay URL, the organisation id, its API token (through a file), the
    /// root key and the root's certificate file.
    pub fn enrol(
        &self,
        relay_url: &str,
        org_id: &str,
        token: &str,
        root_key: &str,
        certificate: &Path,
    ) -> Result<String, String> {
        let token_file = self.passphrase_file.with_file_name("desk-api-token");
        std::fs::write(&token_file, token).map_err(|e| e.to_string())?;
        let token_path = token_file.display().to_string();
        let cert = certificate.display().to_string();
        self.run(&[
            "enrol",
            "--relay",
            relay_url,
            "--org-id",
            org_id,
            "--token-file",
            &token_path,
            "--root-key",
            root_key,
            "--certificate",
            &cert,
        ])
    }

    /// `sync`, returning what it printed.
    pub fn sync_text(&self) -> Result<String, String> {
        self.run(&["sync", "--page-size", "50"])
    }

    /// `sync`: pull, open, store and acknowledge.
    pub fn sync(&self) -> Result<SyncSummary, String> {
        let out = self.run(&["sync", "--page-size", "50"])?;
        parse_sync(&out).ok_or_else(|| format!("unexpected sync output {out:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_summaries_parse() {
        assert_eq!(
            parse_sync(
                "Synced: 12 entries in 3 pages; 10 new cases, 2 already stored, 0 could not be opened; 10 acknowledged.\n"
            ),
            Some(SyncSummary {
                entries: 12,
                stored: 10,
                already_stored: 2,
                undecryptable: 0,
                acknowledged: 10
            })
        );
        assert_eq!(parse_sync("nothing"), None);
    }
}
