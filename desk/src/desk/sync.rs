//! Sync: pull the inbox page by page, open each entry with the keyring, store it with its
//! cursor, acknowledge only what is stored with its evidence.

use workvoice_proto::ErrorCode;
use workvoice_proto::api::InboxEntry;
use workvoice_proto::envelope::{self, EnvelopeError};
use workvoice_proto::keys::{HpkePrivateKey, OrgId, ReportId};
use workvoice_proto::report::Report;
use workvoice_proto::routing::disclosure_digest;

use crate::cases::NewCase;
use crate::error::{DeskError, Result};
use crate::store::{self, Stored, Undecryptable};

use super::Desk;
use super::evidence::Evidence;

#[derive(Debug, Clone, Copy)]
pub struct SyncOptions {
    pub page_size: u32,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self { page_size: 200 }
    }
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub directory_version: Option<u64>,
    pub pages: u32,
    pub entries: u64,
    pub stored: u64,
    pub already_stored: u64,
    pub undecryptable: u64,
    pub acknowledged: u64,
    /// Acknowledgements withheld because a key-monitoring alarm is active.
    pub acks_withheld: bool,
    /// Codes of the alarms active after the directory check.
    pub alarms: Vec<String>,
    /// Cases the worker withdrew, checked against the report's withdrawal hash.
    pub withdrawn: u64,
    /// Withdrawals that failed the check (`withdrawal_not_committed`, `withdrawal_unauthenticated`).
    pub withdrawals_refused: u64,
    /// Released escrow groups opened and stored in this sync (`PROTOCOL.md` 18.8).
    pub escrow_groups: u64,
    /// Released escrow groups refused whole (not stored, not acknowledged).
    pub escrow_groups_refused: u64,
    /// Escrowed reports stored as new cases.
    pub escrow_opened: u64,
    /// Members of opened groups whose share or report did not open (kept aside).
    pub escrow_unopenable: u64,
    pub escrow_groups_acknowledged: u64,
    /// Reply channels of escrowed cases registered at the relay in this sync, and refused by
    /// it (the case keeps the code and stays without one) (`PROTOCOL.md` 18.11).
    pub escrow_reply_channels: u64,
    pub escrow_reply_channels_refused: u64,
    /// The relay's total of unreleased escrow submissions for this organisation.
    pub escrow_pending: Option<u64>,
    /// Queued OPRF requests evaluated, and refused (budget spent or invalid), for the
    /// organisation's step (`PROTOCOL.md` 18.3).
    pub escrow_oprf_answered: u64,
    pub escrow_oprf_refused: u64,
}

/// Told about each stored page (the CLI shows a progress bar).
pub trait SyncProgress: Send + Sync {
    fn page_stored(&self, entries: u64, total_stored: u64);
}

impl SyncProgress for () {
    fn page_stored(&self, _: u64, _: u64) {}
}

/// The code kept for an entry whose content did not open under its disclosed tags and consent.
pub const DISCLOSURE_MISMATCH: &str = "disclosure_mismatch";

/// The desk's checks of a withdrawal (`PROTOCOL.md` 13.5, steps 2 and 3): the stable code of
/// the first that fails.
pub fn withdrawal_check(
    secret_hex: &str,
    committed: Option<&workvoice_proto::keys::Digest>,
) -> std::result::Result<(), &'static str> {
    let committed = committed.ok_or("withdrawal_not_committed")?;
    let mut secret = [0u8; 32];
    if hex::decode_to_slice(secret_hex, &mut secret).is_err()
        || !workvoice_proto::recovery::withdrawal_matches(&secret, committed)
    {
        return Err("withdrawal_unauthenticated");
    }
    Ok(())
}

/// Open one inbox entry with whichever key of the keyring it was sealed to.
pub fn open_entry(
    entry: &InboxEntry,
    org_id: OrgId,
    keyring: &[(u32, HpkePrivateKey)],
) -> std::result::Result<NewCase, &'static str> {
    let digest = disclosure_digest(&entry.tags, &entry.consent);
    let mut last = EnvelopeError::KeyUnsealFailed;
    for (version, key) in keyring {
        match envelope::open(&entry.envelope, org_id, key, &digest) {
            Ok(opened) => {
                if opened.report_id != entry.report_id {
                    return Err("report_id_mismatch");
                }
                let report = Report::decode_unvalidated(&opened.plaintext)
                    .map_err(|_| "report_malformed")?;
                if report.report_id != entry.report_id {
                    return Err("report_id_mismatch");
                }
                return Ok(NewCase::from_opened(
                    entry,
                    opened.plaintext,
                    report,
                    *version,
                ));
            }
            Err(EnvelopeError::KeyUnsealFailed) => last = EnvelopeError::KeyUnsealFailed,
            // This key unsealed the content key and its commitment held, so the keys are
            // right: the content does not open under the tags and consent the relay delivered
            // with it (PROTOCOL.md 7.4 step 5). The relay altered them, or the envelope.
            Err(EnvelopeError::DecryptFailed) => return Err(DISCLOSURE_MISMATCH),
            Err(e) => return Err(e.code()),
        }
    }
    Err(last.code())
}

impl Desk {
    /// When the last sync finished (unix seconds), if ever.
    pub async fn last_sync_at(&self) -> Result<Option<u64>> {
        self.inner.store.last_sync_at().await
    }

    /// How many inbox entries did not open (kept, never acknowledged).
    pub async fn undecryptable_count(&self) -> Result<u64> {
        self.inner.store.undecryptable_count().await
    }

    /// Of the entries that did not open, how many came with a disclosure (tags, consent) that
    /// does not match what the phone sealed.
    pub async fn disclosure_mismatch_count(&self) -> Result<u64> {
        self.inner
            .store
            .undecryptable_count_for(DISCLOSURE_MISMATCH)
            .await
    }

    /// Pull the inbox: check the directory first, then store each page with its cursor in one
    /// transaction, and acknowledge only committed cases, only while no alarm is active.
    pub async fn sync(
        &self,
        options: SyncOptions,
        progress: &dyn SyncProgress,
    ) -> Result<SyncReport> {
        let _guard = self.inner.sync_lock.lock().await;
        let (row, org_id, root) = self.enrolled().await?;
        let client = self.client(&row)?;
        let store = &self.inner.store;
        let mut report = SyncReport {
            directory_version: self.monitor_directory(&client, &row, org_id, &root).await?,
            ..SyncReport::default()
        };
        let alarms = store.active_alarms().await?;
        report.alarms = alarms.iter().map(|a| a.code.clone()).collect();
        let ack_allowed = alarms.is_empty();
        report.acks_withheld = !ack_allowed;
        if ack_allowed {
            report.acknowledged += self.acknowledge_pending(&client).await?;
        }
        let mut cursor = store.cursor().await?;
        let page_size = options.page_size.clamp(1, 1000);
        loop {
            let page = client.inbox(cursor.as_deref(), page_size).await?;
            report.pages += 1;
            let count = page.entries.len() as u64;
            report.entries += count;
            let keyring = self.keyring();
            let entries = page.entries;
            let (cases, failed, entries) = tokio::task::spawn_blocking(move || {
                let mut cases = Vec::new();
                let mut failed = Vec::new();
                for entry in &entries {
                    match open_entry(entry, org_id, &keyring) {
                        Ok(case) => cases.push(case),
                        Err(code) => {
                            tracing::warn!(
                                report_id = %entry.report_id,
                                code,
                                "an inbox entry could not be opened"
                            );
                            failed.push(Undecryptable {
                                report_id: entry.report_id.to_hex(),
                                entry_seq: entry.seq,
                                received_at: entry.received_at_hour,
                                error: code.to_string(),
                                envelope: entry.envelope.clone(),
                                disclosed_tags: crate::cases::json(&entry.tags),
                                disclosed_consent: crate::cases::json(&entry.consent),
                                referred_by: entry.referred_by.map(|o| o.to_hex()),
                            })
                        }
                    }
                }
                (cases, failed, entries)
            })
            .await
            .map_err(|e| DeskError::InvalidInput(format!("decryption task failed: {e}")))?;
            let next = page.next_cursor.clone();
            // The last page carries no cursor; remember its last entry's position (the relay's
            // cursors are inbox sequence numbers) so the next sync does not re-read it.
            let position = next
                .clone()
                .or_else(|| entries.last().map(|e| e.seq.to_string()));
            let outcomes = store
                .store_page(&cases, &failed, position.as_deref())
                .await?;
            for outcome in &outcomes {
                match outcome {
                    Stored::New => report.stored += 1,
                    Stored::AlreadyStored => report.already_stored += 1,
                }
            }
            report.undecryptable += failed.len() as u64;
            progress.page_stored(count, report.stored);
            if ack_allowed {
                report.acknowledged += self.acknowledge_pending(&client).await?;
                // Re-delivered entries the relay still thinks unacknowledged.
                for (case, outcome) in cases.iter().zip(&outcomes) {
                    let entry = entries
                        .iter()
                        .find(|e| e.report_id == case.report.report_id);
                    if *outcome == Stored::AlreadyStored && entry.is_some_and(|e| !e.acknowledged) {
                        let Some(case_id) = store
                            .case_id_by_report(&case.report.report_id.to_hex())
                            .await?
                        else {
                            continue;
                        };
                        if self.keep_evidence(&client, case_id).await? == Evidence::Pending {
                            continue;
                        }
                        client.acknowledge(&case.report.report_id).await?;
                        report.acknowledged += 1;
                    }
                }
            }
            match next {
                Some(c) if count > 0 => cursor = Some(c),
                _ => break,
            }
        }
        self.apply_withdrawals(&client, &mut report).await?;
        self.sync_escrow(&client, org_id, ack_allowed, &mut report)
            .await?;
        store.set_last_sync_at(store::now()).await?;
        Ok(report)
    }

    /// Check each withdrawal waiting at the relay against the report it names (`PROTOCOL.md`
    /// 13.5), mark the case withdrawn or record the refusal, then acknowledge it. A withdrawal
    /// of a case not stored yet waits for a later sync.
    async fn apply_withdrawals(
        &self,
        client: &crate::relay::RelayClient,
        report: &mut SyncReport,
    ) -> Result<()> {
        let store = &self.inner.store;
        for withdrawal in client.withdrawals().await?.entries {
            let Some(case_id) = store
                .case_id_by_report(&withdrawal.report_id.to_hex())
                .await?
            else {
                continue;
            };
            let case = store.case(case_id).await?;
            let stored = Self::report_of(&case)?;
            match withdrawal_check(&withdrawal.secret, stored.withdrawal_hash.as_ref()) {
                Ok(()) => {
                    let events = store.events(case_id).await?;
                    if !events.iter().any(|e| e.kind == "withdrawn") {
                        store
                            .add_event(
                                case_id,
                                "worker",
                                "withdrawn",
                                serde_json::json!({ "at_hour": withdrawal.at_hour }),
                            )
                            .await?;
                        report.withdrawn += 1;
                    }
                }
                Err(code) => {
                    tracing::warn!(case_id, code, "a withdrawal did not match its report");
                    store
                        .add_event(
                            case_id,
                            "relay",
                            "withdrawal_refused",
                            serde_json::json!({ "code": code }),
                        )
                        .await?;
                    report.withdrawals_refused += 1;
                }
            }
            client.acknowledge_withdrawal(&withdrawal.report_id).await?;
        }
        Ok(())
    }

    /// Open inbox entries obtained some other way (a file, a test) as organisation `org_id`
    /// and store them, exactly as a sync would but without a relay and without acknowledging.
    pub async fn open_and_store(
        &self,
        org_id: OrgId,
        entries: &[InboxEntry],
    ) -> Result<(Vec<Stored>, u64)> {
        let keyring = self.keyring();
        let mut cases = Vec::new();
        let mut failed = Vec::new();
        for entry in entries {
            match open_entry(entry, org_id, &keyring) {
                Ok(case) => cases.push(case),
                Err(code) => failed.push(Undecryptable {
                    report_id: entry.report_id.to_hex(),
                    entry_seq: entry.seq,
                    received_at: entry.received_at_hour,
                    error: code.to_string(),
                    envelope: entry.envelope.clone(),
                    disclosed_tags: crate::cases::json(&entry.tags),
                    disclosed_consent: crate::cases::json(&entry.consent),
                    referred_by: entry.referred_by.map(|o| o.to_hex()),
                }),
            }
        }
        let stored = self.inner.store.store_page(&cases, &failed, None).await?;
        Ok((stored, failed.len() as u64))
    }

    /// Acknowledge the stored cases the relay has not heard about, each only once its evidence
    /// is kept at the desk.
    pub(super) async fn acknowledge_pending(
        &self,
        client: &crate::relay::RelayClient,
    ) -> Result<u64> {
        let mut done = 0;
        for report_id in self.inner.store.unacknowledged().await? {
            let Some(id) = ReportId::from_hex(&report_id) else {
                continue;
            };
            let Some(case_id) = self.inner.store.case_id_by_report(&report_id).await? else {
                continue;
            };
            if self.keep_evidence(client, case_id).await? == Evidence::Pending {
                continue;
            }
            client.acknowledge(&id).await?;
            self.inner.store.mark_acknowledged(&report_id).await?;
            done += 1;
        }
        Ok(done)
    }
}
