//! Submissions and the inbox: storing a report once for all its recipients (through the
//! group commit in `group.rs`), each organisation's inbox pages, acknowledgements and
//! referrals to another organisation.

use sqlx::{Any, Row};
use workvoice_proto::keys::{OrgId, ReportId};

use super::mailbox::{MailboxItemRow, add_mailbox_entry};
use super::{GroupCommitStats, InsertOutcome, Result, Storage, i, sql, u};

/// A submission to store and deliver in one transaction.
#[derive(Debug, Clone)]
pub struct NewSubmission {
    pub id: ReportId,
    pub request_hash: [u8; 32],
    pub response: String,
    pub directory_version: u64,
    pub tags: String,
    pub consent: String,
    pub received_hour: u64,
    pub envelope: Vec<u8>,
    pub mailbox_hash: [u8; 32],
    /// Sorted and without duplicates.
    pub recipients: Vec<OrgId>,
    pub attachments: Vec<NewAttachment>,
}

#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub id: String,
    pub size: u64,
    pub sha256: [u8; 32],
}

/// What became of a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreOutcome {
    Stored,
    /// The id was stored before: its request hash and answer.
    Existing {
        request_hash: Vec<u8>,
        response: String,
    },
    /// Another report already uses this mailbox token.
    MailboxInUse,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxRow {
    pub seq: u64,
    pub report_id: String,
    pub referred_by: Option<String>,
    pub acknowledged: bool,
    pub envelope: Vec<u8>,
    pub received_hour: u64,
    pub tags: String,
    pub consent: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckOutcome {
    Acknowledged,
    AlreadyAcknowledged,
    NotFound,
}

impl Storage {
    pub async fn submission_answer(&self, id: &ReportId) -> Result<Option<(Vec<u8>, String)>> {
        let row = sqlx::query::<Any>(sql::SUBMISSION_ANSWER)
            .bind(id.to_hex())
            .fetch_optional(&self.reader)
            .await?;
        Ok(match row {
            Some(row) => Some((row.try_get("request_hash")?, row.try_get("response")?)),
            None => None,
        })
    }

    /// Store the ciphertext once, create the mailbox with a `delivered` entry per recipient and
    /// put the report in every recipient's inbox, all in one transaction — shared with the
    /// submissions queued at the same time (group commit, see `group.rs`). Returns once that
    /// transaction has committed.
    pub async fn store_submission(&self, s: NewSubmission) -> Result<StoreOutcome> {
        self.submissions.store(s).await
    }

    /// How submissions were grouped into transactions so far (this process).
    pub fn group_commit_stats(&self) -> GroupCommitStats {
        self.submissions.counters.snapshot()
    }

    pub async fn inbox_page(&self, org: &OrgId, after: u64, limit: u32) -> Result<Vec<InboxRow>> {
        let rows = sqlx::query::<Any>(
            "SELECT i.seq, i.report_id, i.referred_by, i.acknowledged_hour, \
                    COALESCE(i.envelope, s.envelope) AS envelope, s.received_hour, s.tags, s.consent \
             FROM inbox i JOIN submissions s ON s.id = i.report_id \
             WHERE i.org_id = $1 AND i.seq > $2 ORDER BY i.seq LIMIT $3",
        )
        .bind(org.to_hex())
        .bind(i(after))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                let acked: Option<i64> = row.try_get("acknowledged_hour")?;
                let envelope: Option<Vec<u8>> = row.try_get("envelope")?;
                Ok(InboxRow {
                    seq: u(row.try_get("seq")?),
                    report_id: row.try_get("report_id")?,
                    referred_by: row.try_get("referred_by")?,
                    acknowledged: acked.is_some(),
                    envelope: envelope.unwrap_or_default(),
                    received_hour: u(row.try_get("received_hour")?),
                    tags: row.try_get("tags")?,
                    consent: row.try_get("consent")?,
                })
            })
            .collect()
    }

    /// Whether `org` has `report` in its inbox.
    pub async fn in_inbox(&self, org: &OrgId, report: &ReportId) -> Result<bool> {
        let row = sqlx::query::<Any>("SELECT seq FROM inbox WHERE org_id = $1 AND report_id = $2")
            .bind(org.to_hex())
            .bind(report.to_hex())
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.is_some())
    }

    /// Whether `org` may still write to `report`'s mailbox: the report is in its inbox, or was
    /// and its ciphertext has been purged (a routing row remains while the mailbox lives).
    pub async fn holds_report(&self, org: &OrgId, report: &ReportId) -> Result<bool> {
        let row = sqlx::query::<Any>(sql::HOLDS_REPORT)
            .bind(org.to_hex())
            .bind(report.to_hex())
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.is_some())
    }

    /// The tags and consent a report was submitted with.
    pub async fn report_disclosure(&self, report: &ReportId) -> Result<Option<(String, String)>> {
        let row = sqlx::query::<Any>("SELECT tags, consent FROM submissions WHERE id = $1")
            .bind(report.to_hex())
            .fetch_optional(&self.reader)
            .await?;
        Ok(match row {
            Some(row) => Some((row.try_get("tags")?, row.try_get("consent")?)),
            None => None,
        })
    }

    /// Mark `report` acknowledged by `org` and tell the worker's mailbox, once.
    pub async fn acknowledge(
        &self,
        org: &OrgId,
        report: &ReportId,
        hour: u64,
    ) -> Result<AckOutcome> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query::<Any>(
            "UPDATE inbox SET acknowledged_hour = $1 \
             WHERE org_id = $2 AND report_id = $3 AND acknowledged_hour IS NULL",
        )
        .bind(i(hour))
        .bind(org.to_hex())
        .bind(report.to_hex())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let exists =
                sqlx::query::<Any>("SELECT seq FROM inbox WHERE org_id = $1 AND report_id = $2")
                    .bind(org.to_hex())
                    .bind(report.to_hex())
                    .fetch_optional(&mut *tx)
                    .await?;
            tx.rollback().await?;
            return Ok(if exists.is_some() {
                AckOutcome::AlreadyAcknowledged
            } else {
                AckOutcome::NotFound
            });
        }
        add_mailbox_entry(
            &mut tx,
            report,
            org,
            hour,
            MailboxItemRow::Status {
                status: "acknowledged",
                sealed: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(AckOutcome::Acknowledged)
    }

    /// Deliver a re-sealed envelope to `to`'s inbox, marked as referred by `from`.
    pub async fn refer(
        &self,
        from: &OrgId,
        report: &ReportId,
        to: &OrgId,
        envelope: &[u8],
        hour: u64,
    ) -> Result<InsertOutcome> {
        let mut tx = self.writer.begin().await?;
        if !in_inbox_tx(&mut tx, from, report).await? {
            tx.rollback().await?;
            return Ok(InsertOutcome::NotFound);
        }
        let existing = sqlx::query::<Any>(
            "SELECT envelope, referred_by FROM inbox WHERE org_id = $1 AND report_id = $2",
        )
        .bind(to.to_hex())
        .bind(report.to_hex())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = existing {
            let stored: Option<Vec<u8>> = row.try_get("envelope")?;
            let by: Option<String> = row.try_get("referred_by")?;
            tx.rollback().await?;
            return Ok(
                if stored.as_deref() == Some(envelope) && by.as_deref() == Some(&from.to_hex()) {
                    InsertOutcome::Duplicate
                } else {
                    InsertOutcome::Conflict
                },
            );
        }
        let row = sqlx::query::<Any>(sql::NEXT_INBOX_SEQ)
            .bind(to.to_hex())
            .fetch_one(&mut *tx)
            .await?;
        let seq: i64 = row.try_get(0)?;
        sqlx::query::<Any>(
            "INSERT INTO inbox (org_id, seq, report_id, referred_by, envelope, delivered_hour) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(to.to_hex())
        .bind(seq)
        .bind(report.to_hex())
        .bind(from.to_hex())
        .bind(envelope.to_vec())
        .bind(i(hour))
        .execute(&mut *tx)
        .await?;
        add_mailbox_entry(
            &mut tx,
            report,
            to,
            hour,
            MailboxItemRow::Status {
                status: "delivered",
                sealed: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(InsertOutcome::Created)
    }
}

async fn in_inbox_tx(
    tx: &mut sqlx::Transaction<'static, Any>,
    org: &OrgId,
    report: &ReportId,
) -> Result<bool> {
    let row = sqlx::query::<Any>("SELECT seq FROM inbox WHERE org_id = $1 AND report_id = $2")
        .bind(org.to_hex())
        .bind(report.to_hex())
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.is_some())
}
