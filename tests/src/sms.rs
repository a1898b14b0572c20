//! The real `workvoice-sms` binary in its own process, next to the simulated SMS gateway of
//! `workvoice_sms::testing` (which speaks the documented send APIs and records what it is asked
//! to send), and the webhooks that gateway calls to deliver a worker's SMS.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use workvoice_sms::testing::{GATEWAY_PASSWORD, GATEWAY_USER};
pub use workvoice_sms::testing::{Kind, Sent, Webhooks, start_gateway, texts_to};

use crate::binaries::{SMS, binary};
use crate::process::Spawned;

/// A running `workvoice-sms` for one gateway format. Killed when dropped.
#[derive(Debug)]
pub struct SmsProcess {
    pub process: Spawned,
    pub webhooks: Webhooks,
    pub data_dir: PathBuf,
    /// The simulated gateway's record of what this process sent.
    pub sent: Sent,
    events: std::cell::Cell<u64>,
}

impl SmsProcess {
    /// Start `workvoice-sms --gateway <kind>` on 127.0.0.1 port 0 under `dir`, sealing for the
    /// relay at `relay_url` under `root_key`, sending through the gateway at `gateway_url`, and
    /// polling the mailboxes of workers who asked for answers every `poll_secs`.
    pub fn start(
        kind: Kind,
        dir: &Path,
        relay_url: &str,
        root_key: &str,
        (gateway_url, sent): (&str, &Sent),
        poll_secs: u64,
    ) -> Result<SmsProcess, String> {
        let data_dir = dir.join(format!("sms-{}", kind.flag()));
        let secret = std::str::from_utf8(kind.webhook_secret()).map_err(|e| e.to_string())?;
        let mut command = Command::new(binary(SMS));
        command
            .arg("--data-dir")
            .arg(&data_dir)
            .args(["--relay", relay_url, "--root-key", root_key])
            .args(["--listen", "127.0.0.1:0", "--gateway", kind.flag()])
            .args(["--gateway-url", gateway_url])
            .args(["--poll-secs", &poll_secs.to_string(), "--fast-kdf"])
            .env("WORKVOICE_SMS_WEBHOOK_SECRET", secret)
            .env("WORKVOICE_SMS_GATEWAY_USER", GATEWAY_USER)
            .env("WORKVOICE_SMS_GATEWAY_PASSWORD", GATEWAY_PASSWORD);
        let mut process = Spawned::start(
            &format!("workvoice-sms ({})", kind.flag()),
            &mut command,
            &dir.join(format!("sms-{}.log", kind.flag())),
        )?;
        let line = process.wait_for_line("workvoice-sms listening on ", Duration::from_secs(60))?;
        let address = line.rsplit(' ').next().unwrap_or_default();
        Ok(SmsProcess {
            process,
            webhooks: Webhooks::new(kind, &format!("http://{address}")),
            data_dir,
            sent: sent.clone(),
            events: std::cell::Cell::new(0),
        })
    }

    /// The gateway delivers `text` from `number`; the texts sent back to her.
    pub fn say(&self, number: &str, text: &str) -> Result<Vec<String>, String> {
        let before = texts_to(&self.sent, number).len();
        self.events.set(self.events.get() + 1);
        let id = format!("{}-{}", self.webhooks.kind.flag(), self.events.get());
        let (status, body) = self.webhooks.deliver(number, text, &id)?;
        if !Webhooks::accepted(status, &body) {
            return Err(format!("{text:?} was refused: {status} {body}"));
        }
        Ok(texts_to(&self.sent, number)[before..].to_vec())
    }

    /// Say each line in turn; each answer must contain what is expected of it (when anything
    /// is).
    pub fn converse(&self, number: &str, script: &[(&str, Option<String>)]) -> Result<(), String> {
        for (said, expect) in script {
            let answers = self.say(number, said)?;
            match expect {
                None if answers.is_empty() => return Err(format!("no answer to {said:?}")),
                Some(expect) if !answers.iter().any(|a| a.contains(expect.as_str())) => {
                    return Err(format!(
                        "after {said:?} expected {expect:?} in {answers:#?}"
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Wait (bounded) until a text sent to `number` satisfies `wanted`; returns it.
    pub fn wait_for_text(
        &self,
        number: &str,
        limit: Duration,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<String, String> {
        let until = Instant::now() + limit;
        loop {
            let texts = texts_to(&self.sent, number);
            if let Some(t) = texts.iter().find(|t| wanted(t)) {
                return Ok(t.clone());
            }
            if Instant::now() >= until {
                return Err(format!(
                    "no such text to the worker within {limit:?}; sent: {texts:#?}"
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
