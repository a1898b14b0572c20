//! The union's desk: the real `workvoice-desk` binary (`init`, `enrol`, `sync`, `user add`,
//! `serve`) over a data directory of its own, and [`DeskWeb`], a caseworker's browser session
//! on the web UI `serve` answers (sign-in, CSRF tokens, the session cookie).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::binaries::{DESK, binary};
use crate::process::{Spawned, run};

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
        self.finish(&mut self.command(args), args)
    }

    fn finish(&self, command: &mut Command, args: &[&str]) -> Result<String, String> {
        let out = run(command, Duration::from_secs(120))?;
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

    /// `user add`: a caseworker account.
    pub fn add_user(&self, username: &str, password: &str) -> Result<String, String> {
        let args = ["user", "add", username];
        self.finish(
            self.command(&args)
                .env("WORKVOICE_DESK_USER_PASSWORD", password),
            &args,
        )
    }

    /// `serve` on 127.0.0.1 port 0 without background syncs (a caseworker syncs from the web
    /// UI), its output in `log`; returns once it printed its address. Killed when dropped.
    pub fn serve(&self, log: &Path) -> Result<DeskServer, String> {
        let mut process = Spawned::start(
            "workvoice-desk serve",
            &mut self.command(&["serve", "--listen", "127.0.0.1:0", "--sync-every", "0"]),
            log,
        )?;
        let line = process.wait_for_line("Workvoice desk at ", Duration::from_secs(60))?;
        let url = line.rsplit(' ').next().unwrap_or_default().to_string();
        Ok(DeskServer { process, url })
    }

    /// `sync`, returning what it printed.
    pub fn sync_text(&self) -> Result<String, String> {
        self.run(&["sync", "--page-size", "50"])
    }

    /// `escrow-invites create N`: the codes it printed, registered at the relay.
    pub fn escrow_invites(&self, n: usize) -> Result<Vec<String>, String> {
        let out = self.run(&["escrow-invites", "create", &n.to_string()])?;
        let codes: Vec<String> = out
            .lines()
            .filter(|l| l.starts_with("WV-"))
            .map(str::to_string)
            .collect();
        if codes.len() == n {
            Ok(codes)
        } else {
            Err(format!("expected {n} invite codes in {out:?}"))
        }
    }

    /// `escrow-invites revoke CODE`: what it printed.
    pub fn revoke_escrow_invite(&self, code: &str) -> Result<String, String> {
        self.run(&["escrow-invites", "revoke", code])
    }

    /// `sync`: pull, open, store and acknowledge.
    pub fn sync(&self) -> Result<SyncSummary, String> {
        let out = self.run(&["sync", "--page-size", "50"])?;
        parse_sync(&out).ok_or_else(|| format!("unexpected sync output {out:?}"))
    }
}

/// A running `workvoice-desk serve`.
#[derive(Debug)]
pub struct DeskServer {
    pub process: Spawned,
    /// `http://127.0.0.1:<port>`
    pub url: String,
}

/// A caseworker signed in to the desk's web UI: keeps the session cookie and the CSRF token
/// of the last page, follows no redirect (a `303` answers every form that worked).
#[derive(Debug)]
pub struct DeskWeb {
    base: String,
    agent: ureq::Agent,
    session: Option<String>,
    csrf: String,
}

/// What a page answered: the status, the `Location` of a redirect, the body.
#[derive(Debug, Clone)]
pub struct WebPage {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

const SESSION_COOKIE: &str = "wvdesk_session";

impl DeskWeb {
    /// Open the sign-in form and sign in.
    pub fn sign_in(base: &str, username: &str, password: &str) -> Result<DeskWeb, String> {
        let mut web = DeskWeb {
            base: base.to_string(),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .timeout_global(Some(Duration::from_secs(60)))
                .build()
                .into(),
            session: None,
            csrf: String::new(),
        };
        expect_status("/login", web.get("/login")?, 200)?;
        let signed_in = web.post("/login", &[("username", username), ("password", password)])?;
        expect_status("/login", signed_in, 303)?;
        expect_status("/", web.get("/")?, 200)?;
        Ok(web)
    }

    pub fn get(&mut self, path: &str) -> Result<WebPage, String> {
        let mut request = self.agent.get(&format!("{}{path}", self.base));
        if let Some(id) = &self.session {
            request = request.header("cookie", &format!("{SESSION_COOKIE}={id}"));
        }
        let response = request.call().map_err(|e| format!("GET {path}: {e}"))?;
        Ok(self.take(response))
    }

    /// POST a form with the CSRF token of the last page.
    pub fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Result<WebPage, String> {
        let csrf = self.csrf.clone();
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf", &csrf));
        let mut request = self.agent.post(&format!("{}{path}", self.base));
        if let Some(id) = &self.session {
            request = request.header("cookie", &format!("{SESSION_COOKIE}={id}"));
        }
        let response = request
            .send_form(form)
            .map_err(|e| format!("POST {path}: {e}"))?;
        Ok(self.take(response))
    }

    /// POST a form that must succeed (`303`); the page it answered.
    pub fn submit(&mut self, path: &str, fields: &[(&str, &str)]) -> Result<WebPage, String> {
        expect_status(path, self.post(path, fields)?, 303)
    }

    fn take(&mut self, mut response: ureq::http::Response<ureq::Body>) -> WebPage {
        for set in response.headers().get_all("set-cookie") {
            let pair = set.to_str().unwrap_or("").split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=')
                && name == SESSION_COOKIE
            {
                self.session = (!value.is_empty()).then(|| value.to_string());
            }
        }
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let status = response.status().as_u16();
        let body = response.body_mut().read_to_string().unwrap_or_default();
        if let Some(token) = csrf_of(&body) {
            self.csrf = token;
        }
        WebPage {
            status,
            location,
            body,
        }
    }
}

fn expect_status(path: &str, page: WebPage, status: u16) -> Result<WebPage, String> {
    if page.status == status {
        Ok(page)
    } else {
        Err(format!(
            "{path}: {} instead of {status}:\n{}",
            page.status, page.body
        ))
    }
}

/// The CSRF token a page's forms carry.
pub fn csrf_of(html: &str) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    html.get(start..start + 64).map(str::to_string)
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
