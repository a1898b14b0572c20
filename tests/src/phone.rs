//! A worker's phone: the real `workvoice-cli` binary (the real core and its vault) in a data
//! directory of its own, talking to the relay through a [`crate::proxy::FaultProxy`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::json;
use workvoice_proto::report::{JobTerms, LenderKind, Loan, Money, Report};

use crate::binaries::{PHONE, binary};
use crate::process::{Spawned, run};

pub const PIN: &str = "482916";
/// The employer the worker was promised, and the one she found (contract substitution).
pub const PROMISED_EMPLOYER: &str = "Qatar Electrical Contracting W.L.L.";
pub const EMPLOYER_FOUND: &str = "Doha Build Co. W.L.L.";

/// What one report says, as the phone's worker typed it; [`ReportSpec::matches`] checks an
/// opened report against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSpec {
    /// Unique in the test: "<world tag> phone <p> report <n>".
    pub story: String,
    pub recruiter: String,
    /// Whole rupees.
    pub fee_npr: u64,
    /// Whole rupees borrowed from a moneylender at 2.5% a month.
    pub loan_npr: u64,
    /// Consent to the inspectorate as well (construction in Qatar routes there too).
    pub inspectorate: bool,
    /// Wait until others report this recruiter (reporting escrow, `"escrow": true`).
    pub escrow: bool,
}

impl ReportSpec {
    pub fn new(tag: &str, phone: usize, n: usize, inspectorate: bool) -> ReportSpec {
        ReportSpec {
            story: format!("{tag} phone {phone} report {n}: the agency kept my passport."),
            recruiter: format!("Agency {phone}-{n} Manpower"),
            fee_npr: 50_000 + (phone as u64) * 1_000 + n as u64,
            loan_npr: 40_000 + (phone as u64) * 1_000 + n as u64,
            inspectorate,
            escrow: false,
        }
    }

    /// The report file the CLI reads (`report --from`).
    pub fn file_json(&self) -> serde_json::Value {
        json!({
            "fees": [{
                "amount": self.fee_npr.to_string(), "currency": "NPR",
                "payee": "recruitment_agency", "stage": "origin",
                "category": "recruitment_service_fee", "paid_on": "2026-03", "receipt": false
            }],
            "indicators": ["retention_of_identity_documents"],
            "loans": [{
                "amount": self.loan_npr.to_string(), "currency": "NPR",
                "lender": "moneylender", "interest_percent_per_month": "2.5"
            }],
            "job": {
                "promised_title": "Electrician",
                "promised_wage": {"amount": "1800", "currency": "QAR"},
                "actual_title": "Labourer",
                "promised_employer": PROMISED_EMPLOYER
            },
            "employer": {"name": EMPLOYER_FOUND, "country": "QA"},
            "monthly_wage": {"amount": "1000", "currency": "QAR"},
            "contract_substituted": true,
            "recruiter": {"name": self.recruiter, "country": "NP"},
            "destination_country": "QA",
            "origin_country": "NP",
            "sector": "F",
            "story": self.story,
            "language": "en",
            "evidence": [],
            "consent": {
                "union": true, "inspectorate": self.inspectorate, "ngo": false,
                "contact_wanted": true
            },
            "escrow": self.escrow
        })
    }

    /// Whether `report` is exactly what was written (every field the file sets).
    pub fn matches(&self, report: &Report) -> Result<(), String> {
        let fee = report.fees.first();
        let qar = |whole: u64| {
            Some(Money {
                amount_minor: whole * 100,
                currency: "QAR".into(),
            })
        };
        let checks = [
            (
                "loans",
                report.loans
                    == [Loan {
                        lender: LenderKind::Moneylender,
                        principal: Money {
                            amount_minor: self.loan_npr * 100,
                            currency: "NPR".into(),
                        },
                        interest_bp_per_month: Some(250),
                        collateral: None,
                    }],
            ),
            (
                "job promised",
                report.job.promised
                    == JobTerms {
                        title: Some("Electrician".into()),
                        monthly_wage: qar(1_800),
                        hours_per_week: None,
                        employer: Some(PROMISED_EMPLOYER.into()),
                    },
            ),
            (
                "job found",
                report.job.actual
                    == JobTerms {
                        title: Some("Labourer".into()),
                        monthly_wage: qar(1_000),
                        hours_per_week: None,
                        employer: Some(EMPLOYER_FOUND.into()),
                    },
            ),
            ("monthly wage", report.monthly_wage == qar(1_000)),
            (
                "contract substituted",
                report.job.contract_substituted == Some(true),
            ),
            ("story", report.free_text == self.story),
            (
                "recruiter",
                report.recruiter.as_ref().map(|r| r.name.as_str()) == Some(&self.recruiter),
            ),
            (
                "employer",
                report.employer.as_ref().map(|e| e.name.as_str()) == Some(EMPLOYER_FOUND),
            ),
            ("fees", report.fees.len() == 1),
            (
                "fee amount",
                fee.is_some_and(|f| {
                    f.amount.amount_minor == self.fee_npr * 100 && f.amount.currency == "NPR"
                }),
            ),
            (
                "fee paid on",
                fee.is_some_and(|f| f.paid_on.as_deref() == Some("2026-03")),
            ),
            ("indicators", report.indicators.len() == 1),
            ("destination", report.destination_country == "QA"),
            ("origin", report.origin_country.as_deref() == Some("NP")),
            ("language", report.language == "en"),
            (
                "consent",
                report.consent.union
                    && report.consent.inspectorate == self.inspectorate
                    && !report.consent.ngo
                    && report.consent.contact_wanted,
            ),
        ];
        match checks.iter().find(|(_, ok)| !ok) {
            None => Ok(()),
            Some((field, _)) => Err(format!(
                "{field} differs from what the phone wrote: wrote {self:?}, opened {report:?}"
            )),
        }
    }
}

/// Where a report stands on the phone, from the outbox's words (English).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneState {
    Draft,
    Waiting,
    Sending,
    Sent,
    Delivered,
    Acknowledged,
    Replied,
    Failed,
    /// An escrowed report the relay holds: "Waiting for others (k needed)".
    WaitingForOthers(u8),
    /// An escrowed report whose group opened: "Opened with others".
    OpenedWithOthers,
}

impl PhoneState {
    fn parse(text: &str) -> Option<PhoneState> {
        Some(match text {
            "Not finished" => PhoneState::Draft,
            "Waiting for signal" => PhoneState::Waiting,
            "Sending" => PhoneState::Sending,
            "Sent" => PhoneState::Sent,
            "Delivered" => PhoneState::Delivered,
            "Read by the group" => PhoneState::Acknowledged,
            "Answered" => PhoneState::Replied,
            "Not sent" => PhoneState::Failed,
            "Opened with others" => PhoneState::OpenedWithOthers,
            other => PhoneState::WaitingForOthers(
                other
                    .strip_prefix("Waiting for others (")?
                    .strip_suffix(" needed)")?
                    .parse()
                    .ok()?,
            ),
        })
    }

    /// The relay accepted it (and maybe more).
    pub fn accepted(self) -> bool {
        matches!(
            self,
            PhoneState::Sent
                | PhoneState::Delivered
                | PhoneState::Acknowledged
                | PhoneState::Replied
                | PhoneState::WaitingForOthers(_)
                | PhoneState::OpenedWithOthers
        )
    }
}

/// One line of the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxLine {
    /// Hex report id (empty for a draft).
    pub report_id: String,
    pub title: String,
    pub state: PhoneState,
    pub replies: u32,
    pub detail: Option<String>,
}

/// Parse the outbox as `send`, `outbox` and `mailbox` print it.
pub fn parse_outbox(text: &str) -> Vec<OutboxLine> {
    let mut lines: Vec<OutboxLine> = Vec::new();
    for raw in text.lines() {
        if let Some(detail) = raw.strip_prefix("    ") {
            if let Some(last) = lines.last_mut() {
                last.detail = Some(detail.to_string());
            }
            continue;
        }
        let parts: Vec<&str> = raw.split("  ").collect();
        let [id, title, state, rest @ ..] = parts.as_slice() else {
            continue;
        };
        let is_id = *id == "-" || (id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()));
        let Some(state) = PhoneState::parse(state).filter(|_| is_id) else {
            continue;
        };
        let replies = rest
            .first()
            .and_then(|r| r.strip_prefix('(')?.split(' ').next()?.parse().ok())
            .unwrap_or(0);
        lines.push(OutboxLine {
            report_id: if *id == "-" {
                String::new()
            } else {
                id.to_string()
            },
            title: title.to_string(),
            state,
            replies,
            detail: None,
        });
    }
    lines
}

/// What `mailbox` showed for each report (by report id): status lines and messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailboxView {
    pub outbox: Vec<OutboxLine>,
    /// "<organisation>: <status>" per report id.
    pub statuses: BTreeMap<String, Vec<String>>,
    /// "<organisation>: <text>" per report id.
    pub messages: BTreeMap<String, Vec<String>>,
}

pub fn parse_mailbox(text: &str) -> MailboxView {
    let outbox = parse_outbox(text);
    let by_title: BTreeMap<&str, &str> = outbox
        .iter()
        .map(|l| (l.title.as_str(), l.report_id.as_str()))
        .collect();
    let mut view = MailboxView::default();
    for line in text.lines() {
        if line.starts_with("    ") {
            continue;
        }
        // "Report 2 — Building Workers Union: text" or "Report 2: Building Workers Union: status"
        if let Some((title, rest)) = line.split_once(" — ") {
            if let Some(id) = by_title.get(title) {
                view.messages
                    .entry(id.to_string())
                    .or_default()
                    .push(rest.to_string());
            }
        } else if let Some((title, rest)) = line.split_once(": ")
            && let Some(id) = by_title.get(title)
        {
            view.statuses
                .entry(id.to_string())
                .or_default()
                .push(rest.to_string());
        }
    }
    view.outbox = outbox;
    view
}

/// One phone: its data directory (vault), and the relay address it was given.
#[derive(Debug)]
pub struct Phone {
    pub name: String,
    pub relay_url: String,
    root_public_key: String,
    dir: tempfile::TempDir,
    spawned: usize,
}

impl Phone {
    pub fn new(name: &str, relay_url: &str, root_public_key: &str) -> Result<Phone, String> {
        Ok(Phone {
            name: name.to_string(),
            relay_url: relay_url.to_string(),
            root_public_key: root_public_key.to_string(),
            dir: tempfile::Builder::new()
                .prefix("wv-e2e-phone-")
                .tempdir()
                .map_err(|e| e.to_string())?,
            spawned: 0,
        })
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("vault")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(binary(PHONE));
        c.arg("--data-dir")
            .arg(self.data_dir())
            .args(["--relay", &self.relay_url])
            .args(["--root-key", &self.root_public_key])
            .args(["--language", "en", "--fast-kdf", "--quick-retries"])
            .args(args)
            .args(["--pin", PIN]);
        c
    }

    fn run(&self, args: &[&str], limit: Duration) -> Result<String, String> {
        let out = run(&mut self.command(args), limit)?;
        if out.status.success() {
            Ok(out.stdout)
        } else {
            Err(format!(
                "{}: workvoice-cli {} failed ({}):\n{}{}",
                self.name,
                args.join(" "),
                out.status,
                out.stdout,
                out.stderr
            ))
        }
    }

    /// First run: set the PIN; returns the recovery code.
    pub fn init(&self) -> Result<String, String> {
        let out = self.run(&["init"], Duration::from_secs(60))?;
        out.lines()
            .nth(1)
            .map(|l| l.trim().to_string())
            .filter(|c| !c.is_empty())
            .ok_or_else(|| format!("no recovery code in {out:?}"))
    }

    /// Compose and queue a report (the core may try to send it at once).
    pub fn report(&self, spec: &ReportSpec) -> Result<Vec<OutboxLine>, String> {
        let path = self.dir.path().join(format!(
            "report-{}.json",
            std::fs::read_dir(self.dir.path()).map_or(0, |d| d.count())
        ));
        std::fs::write(&path, spec.file_json().to_string()).map_err(|e| e.to_string())?;
        let file = path.display().to_string();
        Ok(parse_outbox(&self.run(
            &["report", "--from", &file],
            Duration::from_secs(60),
        )?))
    }

    /// `send`: retry with the core's backoff until everything is accepted or `secs` pass.
    pub fn send(&self, secs: u64) -> Result<Vec<OutboxLine>, String> {
        let timeout = secs.to_string();
        Ok(parse_outbox(&self.run(
            &["send", "--timeout", &timeout],
            Duration::from_secs(secs + 30),
        )?))
    }

    /// `send` in the background (to be killed, or waited for with [`Spawned::finish`]).
    pub fn spawn_send(&mut self, secs: u64) -> Result<Spawned, String> {
        self.spawned += 1;
        let log = self.dir.path().join(format!("send-{}.log", self.spawned));
        let timeout = secs.to_string();
        Spawned::start(
            &format!("{} send #{}", self.name, self.spawned),
            &mut self.command(&["send", "--timeout", &timeout]),
            &log,
        )
    }

    /// `send`, its whole output: a notice on the first line when there is one, then the
    /// outbox.
    pub fn send_output(&self, secs: u64) -> Result<String, String> {
        let timeout = secs.to_string();
        self.run(
            &["send", "--timeout", &timeout],
            Duration::from_secs(secs + 30),
        )
    }

    /// `route --unreachable wait|direct`: the worker's setting for when no OHTTP relay
    /// answers.
    pub fn route(&self, unreachable: &str) -> Result<String, String> {
        self.run(
            &["route", "--unreachable", unreachable],
            Duration::from_secs(60),
        )
    }

    /// `invite --code CODE`: the escrow invite the worker's union handed her (PROTOCOL.md
    /// 18.12).
    pub fn invite(&self, code: &str) -> Result<String, String> {
        self.run(&["invite", "--code", code], Duration::from_secs(60))
    }

    pub fn outbox(&self) -> Result<Vec<OutboxLine>, String> {
        Ok(parse_outbox(
            &self.run(&["outbox"], Duration::from_secs(60))?,
        ))
    }

    /// `mailbox`: poll every report's mailbox once and show news and answers.
    pub fn mailbox(&self) -> Result<MailboxView, String> {
        Ok(parse_mailbox(
            &self.run(&["mailbox"], Duration::from_secs(90))?,
        ))
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbox_and_mailbox_output_parse() {
        let id = "00112233445566778899aabbccddeeff";
        let other = "ffeeddccbbaa99887766554433221100";
        let text = format!(
            "{id}  Report 2  Answered  (1 replies)\n{other}  Report 1  Waiting for signal\n    \
             No connection yet. Trying again soon.\n\
             Report 2: Building Workers Union: is looking into it\n\
             Report 2 — Building Workers Union: We got it: thanks\n"
        );
        let view = parse_mailbox(&text);
        assert_eq!(view.outbox.len(), 2);
        assert_eq!(view.outbox[0].state, PhoneState::Replied);
        assert_eq!(view.outbox[0].replies, 1);
        assert_eq!(view.outbox[1].state, PhoneState::Waiting);
        assert_eq!(
            view.outbox[1].detail.as_deref(),
            Some("No connection yet. Trying again soon.")
        );
        assert_eq!(
            view.statuses[id],
            vec!["Building Workers Union: is looking into it".to_string()]
        );
        assert_eq!(
            view.messages[id],
            vec!["Building Workers Union: We got it: thanks".to_string()]
        );
        assert!(!view.statuses.contains_key(other));
    }
}
