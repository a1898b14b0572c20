//! A worker's phone: the real phone core (`workvoice-core`) in its own encrypted vault, driven
//! through the same bytes-level FFI object the Android and iOS apps use (by way of the
//! `workvoice-cli` shell), with the taps a worker makes to compose, review and send a report.

use std::path::Path;
use std::time::Duration;

use workvoice_cli::{Shell, ShellConfig};
use workvoice_core::app::DeliveryState;

use crate::scenario::DemoWorker;

/// The demo phones' PIN.
pub const DEMO_PIN: &str = "482916";

#[derive(Debug, thiserror::Error)]
pub enum PhoneError {
    #[error("the phone of the {who} failed: {message}")]
    Failed { who: String, message: String },
    #[error("the {who} could not send her report (state {state:?}: {detail})")]
    NotSent {
        who: String,
        state: DeliveryState,
        detail: String,
    },
}

/// What the phone showed once the report went out.
#[derive(Debug, Clone)]
pub struct SentReport {
    pub who: String,
    pub report_id: String,
    pub state: DeliveryState,
    /// The state as the phone shows it, in the worker's language.
    pub state_text: String,
}

/// Set up a phone in `data_dir`, type `worker`'s report and send it to the relay at
/// `relay_url`, trusting only `root_public_key`. Blocking (the shell's HTTP client is).
pub fn write_and_send(
    worker: &DemoWorker,
    data_dir: &Path,
    relay_url: &str,
    root_public_key: &str,
) -> Result<SentReport, PhoneError> {
    let failed = |message: String| PhoneError::Failed {
        who: worker.who.to_string(),
        message,
    };
    let mut shell = Shell::start(&ShellConfig {
        data_dir: data_dir.display().to_string(),
        relay_url: relay_url.to_string(),
        root_public_key: Some(root_public_key.to_string()),
        language: worker.app_language.to_string(),
        // Cheap PIN hashing keeps the demo quick; a real phone uses the full Argon2id cost.
        fast_kdf: true,
        quick_retries: true,
        ohttp_relay: None,
    })
    .map_err(|e| failed(e.to_string()))?;
    shell
        .init(DEMO_PIN, None)
        .map_err(|e| failed(e.to_string()))?;
    compose(&mut shell, worker).map_err(failed)?;
    let items = shell
        .sync_until_sent(Duration::from_secs(60))
        .map_err(|e| failed(e.to_string()))?;
    let item = match items.as_slice() {
        [item] => item,
        other => {
            return Err(failed(format!(
                "the outbox holds {} reports, not one",
                other.len()
            )));
        }
    };
    match item.state {
        DeliveryState::Sent | DeliveryState::Delivered | DeliveryState::Acknowledged => {
            Ok(SentReport {
                who: worker.who.to_string(),
                report_id: item.report_id.clone(),
                state: item.state,
                state_text: item.state_text.clone(),
            })
        }
        state => Err(PhoneError::NotSent {
            who: worker.who.to_string(),
            state,
            detail: item
                .detail
                .clone()
                .unwrap_or_else(|| item.state_text.clone()),
        }),
    }
}

/// The taps of the compose screens (the report file's events), then review and send.
fn compose(shell: &mut Shell, worker: &DemoWorker) -> Result<(), String> {
    shell
        .compose(&worker.report, Path::new("."))
        .map_err(|e| e.to_string())
}
