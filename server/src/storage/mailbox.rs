//! Mailboxes: what a worker reads with their mailbox token (delivery, statuses, sealed
//! replies), each entry numbered under the mailbox row's lock.

use sqlx::{Any, Row};
use workvoice_proto::keys::{OrgId, ReportId};

use super::{Result, Storage, StorageError, i, is_unique_violation, sql, u};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxRow {
    pub seq: u64,
    pub org_id: String,
    pub at_hour: u64,
    pub kind: String,
    pub status: Option<String>,
    pub sealed: Option<Vec<u8>>,
}

/// The report behind a mailbox token, found by hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxRef {
    pub token_hash: Vec<u8>,
    pub report_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    Created,
    /// The same item was stored before.
    Duplicate,
    /// Another item is stored under the same id.
    Conflict,
    /// The caller has no such report in its inbox.
    NotFound,
}

impl Storage {
    /// Put a worker-visible status in the report's mailbox, if `org` holds the report. A
    /// sealed status (`sealed` = its message id and bytes) is stored once per message id.
    pub async fn add_status(
        &self,
        org: &OrgId,
        report: &ReportId,
        status: &str,
        sealed: Option<(&str, &[u8])>,
        hour: u64,
    ) -> Result<InsertOutcome> {
        let item = MailboxItemRow::Status { status, sealed };
        self.add_item(org, report, sealed, item, hour).await
    }

    /// Put a sealed reply in the report's mailbox, once per message id.
    pub async fn add_reply(
        &self,
        org: &OrgId,
        report: &ReportId,
        message_id: &str,
        sealed: &[u8],
        hour: u64,
    ) -> Result<InsertOutcome> {
        let item = MailboxItemRow::Reply { message_id, sealed };
        self.add_item(org, report, Some((message_id, sealed)), item, hour)
            .await
    }

    /// Add `item` to the report's mailbox if `org` holds the report; a sealed item (its
    /// message id and bytes) is stored once per message id.
    async fn add_item(
        &self,
        org: &OrgId,
        report: &ReportId,
        sealed: Option<(&str, &[u8])>,
        item: MailboxItemRow<'_>,
        hour: u64,
    ) -> Result<InsertOutcome> {
        let mut tx = self.writer.begin().await?;
        if !holds_report_tx(&mut tx, org, report).await? {
            tx.rollback().await?;
            return Ok(InsertOutcome::NotFound);
        }
        if let Some((message_id, bytes)) = sealed
            && let Some(outcome) = stored_message(&mut tx, message_id, bytes).await?
        {
            tx.rollback().await?;
            return Ok(outcome);
        }
        let added = add_mailbox_entry(&mut tx, report, org, hour, item).await;
        finish_message_insert(tx, added).await
    }

    /// The mailbox whose token hashes to `token_hash`, compared in constant time.
    pub async fn mailbox(&self, token_hash: &[u8; 32]) -> Result<Option<MailboxRef>> {
        let statement = "SELECT token_hash, report_id FROM mailboxes WHERE lookup = $1";
        match self.row_by_token(statement, token_hash).await? {
            Some(row) => Ok(Some(MailboxRef {
                token_hash: row.try_get("token_hash")?,
                report_id: row.try_get("report_id")?,
            })),
            None => Ok(None),
        }
    }

    pub async fn mailbox_entries(
        &self,
        mailbox: &MailboxRef,
        after: u64,
        limit: u32,
    ) -> Result<Vec<MailboxRow>> {
        let rows = sqlx::query::<Any>(
            "SELECT seq, org_id, at_hour, kind, status, sealed FROM mailbox_entries \
             WHERE token_hash = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(mailbox.token_hash.clone())
        .bind(i(after))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(MailboxRow {
                    seq: u(row.try_get("seq")?),
                    org_id: row.try_get("org_id")?,
                    at_hour: u(row.try_get("at_hour")?),
                    kind: row.try_get("kind")?,
                    status: row.try_get("status")?,
                    sealed: row.try_get("sealed")?,
                })
            })
            .collect()
    }
}

/// What an earlier entry under `message_id` makes of storing `sealed` again: `None` when
/// there is none.
async fn stored_message(
    tx: &mut sqlx::Transaction<'static, Any>,
    message_id: &str,
    sealed: &[u8],
) -> Result<Option<InsertOutcome>> {
    let existing = sqlx::query::<Any>("SELECT sealed FROM mailbox_entries WHERE message_id = $1")
        .bind(message_id.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = existing else {
        return Ok(None);
    };
    let stored: Option<Vec<u8>> = row.try_get("sealed")?;
    Ok(Some(if stored.as_deref() == Some(sealed) {
        InsertOutcome::Duplicate
    } else {
        InsertOutcome::Conflict
    }))
}

async fn finish_message_insert(
    tx: sqlx::Transaction<'static, Any>,
    added: Result<()>,
) -> Result<InsertOutcome> {
    match added {
        Ok(()) => {
            tx.commit().await?;
            Ok(InsertOutcome::Created)
        }
        Err(StorageError::Database(e)) if is_unique_violation(&e) => {
            // A concurrent post of the same message id won.
            tx.rollback().await?;
            Ok(InsertOutcome::Duplicate)
        }
        Err(e) => Err(e),
    }
}

pub(super) enum MailboxItemRow<'a> {
    Status {
        status: &'a str,
        /// A sealed status: its message id and bytes.
        sealed: Option<(&'a str, &'a [u8])>,
    },
    Reply {
        message_id: &'a str,
        sealed: &'a [u8],
    },
}

async fn holds_report_tx(
    tx: &mut sqlx::Transaction<'static, Any>,
    org: &OrgId,
    report: &ReportId,
) -> Result<bool> {
    let row = sqlx::query::<Any>(sql::HOLDS_REPORT)
        .bind(org.to_hex())
        .bind(report.to_hex())
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.is_some())
}

/// Append to a report's mailbox (if it still has one), allocating the next mailbox sequence
/// number under the mailbox row's lock.
pub(super) async fn add_mailbox_entry(
    tx: &mut sqlx::Transaction<'static, Any>,
    report: &ReportId,
    org: &OrgId,
    hour: u64,
    item: MailboxItemRow<'_>,
) -> Result<()> {
    let row = sqlx::query::<Any>(sql::NEXT_MAILBOX_SEQ)
        .bind(report.to_hex())
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = row else {
        // The mailbox expired; nobody is listening any more.
        return Ok(());
    };
    let token_hash: Vec<u8> = row.try_get("token_hash")?;
    let seq: i64 = row.try_get("next_seq")?;
    match item {
        MailboxItemRow::Status {
            status,
            sealed: None,
        } => {
            sqlx::query::<Any>(sql::INSERT_MAILBOX_STATUS)
                .bind(token_hash)
                .bind(seq)
                .bind(org.to_hex())
                .bind(i(hour))
                .bind(status.to_string())
                .execute(&mut **tx)
                .await?;
        }
        MailboxItemRow::Status {
            status,
            sealed: Some((message_id, sealed)),
        } => {
            sqlx::query::<Any>(
                "INSERT INTO mailbox_entries \
                 (token_hash, seq, org_id, at_hour, kind, status, sealed, message_id) \
                 VALUES ($1, $2, $3, $4, 'status', $5, $6, $7)",
            )
            .bind(token_hash)
            .bind(seq)
            .bind(org.to_hex())
            .bind(i(hour))
            .bind(status.to_string())
            .bind(sealed.to_vec())
            .bind(message_id.to_string())
            .execute(&mut **tx)
            .await?;
        }
        MailboxItemRow::Reply { message_id, sealed } => {
            sqlx::query::<Any>(
                "INSERT INTO mailbox_entries (token_hash, seq, org_id, at_hour, kind, sealed, message_id) \
                 VALUES ($1, $2, $3, $4, 'reply', $5, $6)",
            )
            .bind(token_hash)
            .bind(seq)
            .bind(org.to_hex())
            .bind(i(hour))
            .bind(sealed.to_vec())
            .bind(message_id.to_string())
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}
