//! A worker without a smartphone reports by SMS: a scripted conversation with `workvoice-sms`
//! (the organisation's SMS channel), shown in the terminal instead of going through an SMS
//! gateway. Her answers are sealed at this first hop by the phone core, like the phones' reports.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use workvoice_sms::gateway::Outbound;
use workvoice_sms::service::{InboundAuth, Limits, now_secs};
use workvoice_sms::startup::{Config, open_engine};

use crate::phone::SentReport;

pub const SMS_WHO: &str = "Nepali worker without a smartphone, by SMS";
pub const SMS_RECRUITER: &str = "Everest Overseas Pvt. Ltd.";
/// Her number, as the gateway would give it (never printed or stored in clear).
const SMS_NUMBER: &str = "+9779800012345";

/// What she texts, in order: a greeting, Nepali, Qatar, "other" work, the fee, the recruiter,
/// passport taken and pay held back, no inspectorate, no answers, send.
pub const SMS_SCRIPT: [&str; 10] = [
    "Namaste",
    "2",
    "3",
    "0",
    "250000 NPR",
    SMS_RECRUITER,
    "7 8",
    "2",
    "2",
    "1",
];

#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    #[error("the SMS channel failed: {0}")]
    Failed(String),
}

/// The conversation as the terminal shows it, and the report it sent.
#[derive(Debug, Clone)]
pub struct SmsConversation {
    pub transcript: String,
    pub report: SentReport,
}

/// Start `workvoice-sms` in `data_dir` against the relay and run the scripted conversation.
/// Blocking (the phone core's HTTP client is).
pub fn converse(
    data_dir: &Path,
    relay_url: &str,
    root_public_key: &str,
) -> Result<SmsConversation, SmsError> {
    let failed = |e: &dyn std::fmt::Display| SmsError::Failed(e.to_string());
    let texts = Arc::new(Mutex::new(Vec::new()));
    let config = Config {
        data_dir: data_dir.to_path_buf(),
        relay_url: relay_url.to_string(),
        root_public_key: root_public_key.to_string(),
        outbound: Outbound::Transcript(texts.clone()),
        // Not used: the script is handed to the engine directly, as a verified webhook would.
        inbound: InboundAuth::Android {
            signing_key: Vec::new(),
        },
        limits: Limits {
            submit_timeout: Duration::from_secs(60),
            ..Limits::default()
        },
        fast_kdf: true,
    };
    let mut engine = open_engine(&config).map_err(|e| failed(&e))?;
    let mut transcript = String::new();
    for said in SMS_SCRIPT {
        transcript.push_str(&format!("      worker > {said}\n"));
        let before = texts.lock().map_err(|e| failed(&e))?.len();
        engine
            .handle(SMS_NUMBER, said, now_secs())
            .map_err(|e| failed(&e))?;
        let sent = texts.lock().map_err(|e| failed(&e))?;
        for (_, text) in &sent[before..] {
            let text = text.replace('\n', "\n               ");
            transcript.push_str(&format!("      sms    < {text}\n"));
        }
    }
    let items = engine.shell.outbox().map_err(|e| failed(&e))?;
    let [item] = items.as_slice() else {
        return Err(SmsError::Failed(format!(
            "{} reports in the channel's outbox",
            items.len()
        )));
    };
    Ok(SmsConversation {
        transcript,
        report: SentReport {
            who: SMS_WHO.into(),
            report_id: item.report_id.clone(),
            state: item.state,
            state_text: item.state_text.clone(),
        },
    })
}
