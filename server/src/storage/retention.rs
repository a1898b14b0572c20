//! Retention: what the relay deletes and when, and scrubbing deleted content from the WAL.

use sqlx::{Any, Row};

use super::{Backend, Result, Storage, i, sql};

/// How much the retention pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeCounts {
    /// Reports whose ciphertext, attachments and inbox rows were deleted.
    pub reports: u64,
    /// Submission records (tags, consent, answer, hour) deleted after their retention period.
    pub records: u64,
    pub mailboxes: u64,
}

/// How long the relay keeps what (see [`Storage::purge`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Ciphertext stays this long after every recipient acknowledged.
    pub grace_secs: u64,
    /// A submission record stays this long after it was received (and at least until its
    /// ciphertext is purged).
    pub record_max_age_secs: u64,
    /// A mailbox, its entries and its report's routing rows go at this age.
    pub mailbox_max_age_secs: u64,
}

impl Storage {
    /// The retention pass at `now`:
    /// - the ciphertext, attachments and inbox rows of reports that every recipient
    ///   acknowledged at least `grace_secs` ago are deleted; for each organisation that held
    ///   such a report a routing row (report id, organisation) stays while the report's
    ///   mailbox lives, so it can still reply and set statuses;
    /// - submission records (tags, consent, answer, hour) whose ciphertext is gone and that
    ///   are older than `record_max_age_secs` are deleted (until then a late retry is answered
    ///   identically);
    /// - mailboxes older than `mailbox_max_age_secs` go with their entries and routing rows.
    ///
    /// When anything was deleted on SQLite, the WAL is checkpointed into the database and
    /// truncated: with `secure_delete` the freed pages hold zeros, and no WAL frame keeps the
    /// old content ([`Storage::scrub`]); a checkpoint that a reader blocked is tried again at
    /// every pass until it completes.
    pub async fn purge(&self, now: u64, retention: &Retention) -> Result<PurgeCounts> {
        let mut counts = PurgeCounts::default();
        let ack_cutoff = now.saturating_sub(retention.grace_secs);
        let done = sqlx::query::<Any>(
            "SELECT s.id FROM submissions s WHERE s.envelope IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM inbox i WHERE i.report_id = s.id \
                 AND (i.acknowledged_hour IS NULL OR i.acknowledged_hour > $1))",
        )
        .bind(i(ack_cutoff))
        .fetch_all(&self.reader)
        .await?;
        for row in done {
            let id: String = row.try_get("id")?;
            let mut tx = self.writer.begin().await?;
            // Re-check inside the transaction: an acknowledgement or referral may have raced.
            let pending = sqlx::query::<Any>(
                "SELECT 1 FROM inbox WHERE report_id = $1 \
                 AND (acknowledged_hour IS NULL OR acknowledged_hour > $2)",
            )
            .bind(id.clone())
            .bind(i(ack_cutoff))
            .fetch_optional(&mut *tx)
            .await?;
            if pending.is_some() {
                tx.rollback().await?;
                continue;
            }
            for statement in [
                sql::KEEP_REPORT_ROUTES,
                "UPDATE submissions SET envelope = NULL WHERE id = $1",
                "DELETE FROM inbox WHERE report_id = $1",
                "DELETE FROM attachment_chunks WHERE report_id = $1",
                "DELETE FROM attachments WHERE report_id = $1",
            ] {
                sqlx::query::<Any>(statement)
                    .bind(id.clone())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            counts.reports += 1;
        }
        let record_cutoff = hour_floor(now.saturating_sub(retention.record_max_age_secs));
        let records = sqlx::query::<Any>(
            "DELETE FROM submissions WHERE envelope IS NULL AND received_hour < $1 \
             AND NOT EXISTS (SELECT 1 FROM inbox i WHERE i.report_id = submissions.id)",
        )
        .bind(i(record_cutoff))
        .execute(&self.writer)
        .await?;
        counts.records = records.rows_affected();
        let mailbox_cutoff = now.saturating_sub(retention.mailbox_max_age_secs);
        let mut tx = self.writer.begin().await?;
        for statement in [
            "DELETE FROM mailbox_entries WHERE token_hash IN \
             (SELECT token_hash FROM mailboxes WHERE created_hour < $1)",
            "DELETE FROM report_routes WHERE report_id IN \
             (SELECT report_id FROM mailboxes WHERE created_hour < $1)",
            "DELETE FROM withdrawals WHERE report_id IN \
             (SELECT report_id FROM mailboxes WHERE created_hour < $1)",
            "DELETE FROM escrow_reports WHERE report_id IN \
             (SELECT report_id FROM mailboxes WHERE created_hour < $1)",
        ] {
            sqlx::query::<Any>(statement)
                .bind(i(mailbox_cutoff))
                .execute(&mut *tx)
                .await?;
        }
        let gone = sqlx::query::<Any>("DELETE FROM mailboxes WHERE created_hour < $1")
            .bind(i(mailbox_cutoff))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        counts.mailboxes = gone.rows_affected();
        use std::sync::atomic::Ordering;
        if counts != PurgeCounts::default() {
            self.scrub_pending.store(true, Ordering::SeqCst);
        }
        if self.scrub_pending.load(Ordering::SeqCst) && self.scrub().await? {
            self.scrub_pending.store(false, Ordering::SeqCst);
        }
        Ok(counts)
    }

    /// On SQLite, copy every WAL frame into the database and truncate the WAL to zero bytes,
    /// so content deleted (and, with `secure_delete`, zeroed) in the database is not kept in
    /// older WAL frames. Returns whether the checkpoint completed; a reader in the middle of a
    /// read can stop it, and the next retention pass tries again. A no-op on PostgreSQL.
    pub async fn scrub(&self) -> Result<bool> {
        if self.backend != Backend::Sqlite {
            return Ok(true);
        }
        let row = sqlx::query::<Any>("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&self.writer)
            .await?;
        let busy: i64 = row.try_get(0)?;
        if busy != 0 {
            tracing::warn!("the WAL checkpoint after retention was blocked by a reader");
        }
        Ok(busy == 0)
    }
}

fn hour_floor(t: u64) -> u64 {
    t - t % 3600
}
