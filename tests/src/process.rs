//! Child processes with deadlines: every wait is bounded, and a child still running when its
//! handle is dropped (a failing test) is killed, so no test leaves processes behind.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// What a finished command printed.
#[derive(Debug, Clone)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    /// The standard output, or a panic with everything the command printed.
    pub fn ok(self, what: &str) -> String {
        assert!(
            self.status.success(),
            "{what} failed ({}):\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self.stdout
    }
}

/// Run `command` to the end, at most `limit`; killed and reported as an error past it.
pub fn run(command: &mut Command, limit: Duration) -> Result<Finished, String> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {command:?}: {e}"))?;
    let readers = [
        child.stdout.take().map(|mut s| {
            std::thread::spawn(move || {
                let mut out = Vec::new();
                let _ = s.read_to_end(&mut out);
                out
            })
        }),
        child.stderr.take().map(|mut s| {
            std::thread::spawn(move || {
                let mut out = Vec::new();
                let _ = s.read_to_end(&mut out);
                out
            })
        }),
    ];
    let status = wait_until(&mut child, limit);
    let [stdout, stderr] = readers.map(|r| {
        r.and_then(|h| h.join().ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    });
    match status {
        Some(status) => Ok(Finished {
            status,
            stdout,
            stderr,
        }),
        None => Err(format!(
            "{command:?} did not finish within {limit:?}; killed.\nstdout:\n{stdout}\nstderr:\n{stderr}"
        )),
    }
}

/// Wait for `child` at most `limit`; kill it (SIGKILL) and return `None` past it.
pub fn wait_until(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let until = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < until => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

/// A long-running child whose output goes to a log file. Dropping it kills it (SIGKILL).
#[derive(Debug)]
pub struct Spawned {
    pub name: String,
    child: Child,
    pub log: PathBuf,
}

impl Spawned {
    /// Start `command` with stdout and stderr appended to `log`.
    pub fn start(name: &str, command: &mut Command, log: &Path) -> Result<Spawned, String> {
        let file = File::options()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| format!("cannot open {}: {e}", log.display()))?;
        let err = file
            .try_clone()
            .map_err(|e| format!("cannot open {}: {e}", log.display()))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::from(file))
            .stderr(Stdio::from(err))
            .spawn()
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        Ok(Spawned {
            name: name.to_string(),
            child,
            log: log.to_path_buf(),
        })
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGKILL, then reap.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Wait for the process to end by itself, at most `limit` (then it is killed). Returns the
    /// exit status and what it wrote to its log.
    pub fn finish(&mut self, limit: Duration) -> Result<(ExitStatus, String), String> {
        let status = wait_until(&mut self.child, limit);
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        match status {
            Some(s) => Ok((s, log)),
            None => Err(format!(
                "{} did not finish within {limit:?}; killed. Its output:\n{}",
                self.name,
                tail(&log, 60)
            )),
        }
    }

    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Wait (at most `limit`) for the first line of its output that starts with `prefix`;
    /// returns that line. An error, with its output, if it exits or stays silent.
    pub fn wait_for_line(&mut self, prefix: &str, limit: Duration) -> Result<String, String> {
        let until = Instant::now() + limit;
        loop {
            if let Some(line) = self.output().lines().find(|l| l.starts_with(prefix)) {
                return Ok(line.to_string());
            }
            if !self.is_running() || Instant::now() >= until {
                return Err(format!(
                    "{} did not print {prefix:?}. Its output:\n{}",
                    self.name,
                    tail(&self.output(), 40)
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if self.is_running() {
            self.kill9();
            if std::thread::panicking() {
                eprintln!(
                    "--- {} (killed; last lines) ---\n{}",
                    self.name,
                    tail(&self.output(), 40)
                );
            }
        }
    }
}

/// The last `lines` lines of `text`.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A free TCP port on 127.0.0.1 (for servers that cannot take port 0, such as PostgreSQL).
pub fn free_port() -> Result<u16, String> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}
