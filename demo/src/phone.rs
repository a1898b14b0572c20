//! A worker's phone: the real phone core (`workvoice-core`) in its own encrypted vault, driven
//! through the same bytes-level FFI object the Android and iOS apps use (by way of the
//! `workvoice-cli` shell), with the taps a worker makes to compose, review and send a report.

use std::path::Path;
use std::time::Duration;

use workvoice_cli::{Shell, ShellConfig};
use workvoice_core::app::{DeliveryState, Event, Screen};

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

/// The taps of the compose screens, then review and send.
fn compose(shell: &mut Shell, worker: &DemoWorker) -> Result<(), String> {
    let file = &worker.report;
    let mut tap = |event: Event| shell.send(&event).map_err(|e| e.to_string());
    tap(Event::NewReport)?;
    for fee in &file.fees {
        tap(Event::AddFee {
            amount: fee.amount.clone(),
            currency: fee.currency.clone(),
            payee: fee.payee.clone(),
            stage: fee.stage.clone(),
            category: fee.category.clone(),
            paid_on: fee.paid_on.clone().unwrap_or_default(),
            receipt: fee.receipt,
        })?;
    }
    for cut in &worker.deductions {
        tap(Event::AddDeduction {
            amount: cut.amount.clone(),
            currency: cut.currency.clone(),
            reason: cut.reason.clone(),
            monthly: cut.monthly,
        })?;
    }
    for indicator in &file.indicators {
        tap(Event::SetIndicator {
            indicator: indicator.clone(),
            present: true,
        })?;
    }
    if let Some(p) = &file.recruiter {
        tap(Event::SetRecruiter {
            name: p.name.clone(),
            licence_number: p.licence_number.clone().unwrap_or_default(),
            country: p.country.clone().unwrap_or_default(),
        })?;
    }
    if let Some(p) = &file.employer {
        tap(Event::SetEmployer {
            name: p.name.clone(),
            licence_number: p.licence_number.clone().unwrap_or_default(),
            country: p.country.clone().unwrap_or_default(),
        })?;
    }
    tap(Event::SetPlace {
        destination_country: file.destination_country.clone(),
        origin_country: file.origin_country.clone().unwrap_or_default(),
        sector: file.sector.clone().unwrap_or_default(),
    })?;
    if let Some(wage) = &file.monthly_wage {
        tap(Event::SetWage {
            amount: wage.amount.clone(),
            currency: wage.currency.clone(),
            contract_substituted: file.contract_substituted,
        })?;
    }
    tap(Event::SetStory {
        text: file.story.clone().unwrap_or_default(),
        language: file.language.clone().unwrap_or_default(),
    })?;
    let c = file.consent;
    tap(Event::SetConsent {
        union: c.union,
        inspectorate: c.inspectorate,
        ngo: c.ngo,
        contact_wanted: c.contact_wanted,
    })?;
    tap(Event::Review)?;
    match shell.view().map_err(|e| e.to_string())?.screen {
        Screen::Review(_) => {}
        Screen::Compose(c) => {
            let problems: Vec<String> = c
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect();
            return Err(format!(
                "the app refused the report: {}",
                problems.join("; ")
            ));
        }
        other => return Err(format!("the app did not show the review: {other:?}")),
    }
    shell.send(&Event::SendReport).map_err(|e| e.to_string())?;
    Ok(())
}
