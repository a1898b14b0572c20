//! The real `workvoice-relay` binary: `serve` as a child process on 127.0.0.1 port 0, killed
//! with SIGKILL and restarted on the same database, and its admin commands.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use workvoice_relay::configuration::Settings;

use crate::binaries::{RELAY, binary};
use crate::process::{Finished, run, tail, wait_until};

/// How every relay process of one test world is configured.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// The relay's data directory: its directory key, and the SQLite file unless
    /// `database_url` is set.
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    /// Hex of the root public key certificates must verify under.
    pub root_public_key: String,
    pub pow_difficulty: u8,
    /// Where the relays' logs go (one file per start).
    pub log_dir: PathBuf,
    /// More settings (`WORKVOICE_…` variables), set after the ones above.
    pub extra_env: Vec<(String, String)>,
}

impl RelayConfig {
    /// The same configuration as the library's settings (to seed the database in process).
    pub fn settings(&self) -> Settings {
        Settings {
            listen: "127.0.0.1:0".into(),
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            root_public_key: Some(self.root_public_key.clone()),
            pow_difficulty: self.pow_difficulty,
            anonymous_rate_per_second: 0,
            ..Settings::default()
        }
    }

    fn command(&self) -> Command {
        let mut c = Command::new(binary(RELAY));
        c.env_remove("DATABASE_URL")
            .env_remove("WORKVOICE_DATABASE_URL")
            .env_remove("WORKVOICE_CONFIG")
            .env_remove("WORKVOICE_RELAY_KEY_FILE")
            .env("WORKVOICE_DATA_DIR", &self.data_dir)
            .env("WORKVOICE_LISTEN", "127.0.0.1:0")
            .env("WORKVOICE_ROOT_PUBLIC_KEY", &self.root_public_key)
            .env("WORKVOICE_POW_DIFFICULTY", self.pow_difficulty.to_string())
            .env("WORKVOICE_ANONYMOUS_RATE_PER_SECOND", "0")
            .env("WORKVOICE_MAX_CONNECTIONS", "8")
            .env("WORKVOICE_LOG_LEVEL", "warn");
        if let Some(url) = &self.database_url {
            c.env("DATABASE_URL", url);
        }
        for (name, value) in &self.extra_env {
            c.env(name, value);
        }
        c
    }

    /// Run an operator command (`org certificate …`, `directory publish`…); its stdout.
    pub fn admin(&self, args: &[&str]) -> Result<String, String> {
        let finished: Finished = run(self.command().args(args), Duration::from_secs(60))?;
        if finished.status.success() {
            Ok(finished.stdout)
        } else {
            Err(format!(
                "workvoice-relay {} failed: {}{}",
                args.join(" "),
                finished.stdout,
                finished.stderr
            ))
        }
    }

    /// Start `workvoice-relay serve`; returns once it printed the address it listens on.
    pub fn start(&self) -> Result<RelayProcess, String> {
        std::fs::create_dir_all(&self.log_dir).map_err(|e| e.to_string())?;
        let n = std::fs::read_dir(&self.log_dir)
            .map(|d| d.count())
            .unwrap_or(0);
        let log = self.log_dir.join(format!("relay-{n}.log"));
        let err = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let mut child = self
            .command()
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(err))
            .spawn()
            .map_err(|e| format!("cannot start the relay: {e}"))?;
        let stdout = child.stdout.take().ok_or("no relay stdout")?;
        let stdout_log = self.log_dir.join(format!("relay-{n}.stdout.log"));
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            // The line that says where it listens (log lines come before it when the log level
            // sends them to stdout too).
            let _ = tx.send(
                lines
                    .by_ref()
                    .find(|l| l.as_ref().map_or(true, |l| l.contains("listening on "))),
            );
            // Keep draining so the relay never blocks on a full pipe; what it says goes beside
            // its log.
            let mut out = std::fs::File::create(stdout_log).ok();
            for line in lines.map_while(Result::ok) {
                if let Some(file) = out.as_mut() {
                    let _ = writeln!(file, "{line}");
                }
            }
        });
        let line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Some(Ok(line))) => line,
            other => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "the relay did not say where it listens ({other:?}):\n{}",
                    tail(&std::fs::read_to_string(&log).unwrap_or_default(), 30)
                ));
            }
        };
        let url = line.rsplit(' ').next().unwrap_or("").to_string();
        let port = url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse::<u16>().ok())
            .filter(|_| url.starts_with("http://127.0.0.1:"))
            .ok_or_else(|| format!("unexpected first line from the relay: {line}"))?;
        Ok(RelayProcess {
            child,
            url,
            port,
            log,
        })
    }
}

/// A running `workvoice-relay serve`. Dropping it kills it.
#[derive(Debug)]
pub struct RelayProcess {
    child: Child,
    /// `http://127.0.0.1:<port>`
    pub url: String,
    pub port: u16,
    pub log: PathBuf,
}

impl RelayProcess {
    /// `kill -9`: no shutdown, no flushing, connections cut.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM-free stop for the end of a test: kill and reap.
    pub fn stop(self) {
        self.kill9();
    }

    /// Whether the process is still alive (it should never exit by itself).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn log_path(&self) -> &Path {
        &self.log
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = wait_until(&mut self.child, Duration::from_secs(10));
        if std::thread::panicking() {
            eprintln!(
                "--- relay log {} (last lines) ---\n{}",
                self.log.display(),
                tail(&self.log_text(), 40)
            );
        }
    }
}
