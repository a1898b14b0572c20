//! Reporting escrow at the desk (`PROTOCOL.md` 18): the sealed OPRF seed, released groups with
//! their members (one transaction per group, together with its cases), the unreleased total.

use sqlx::Row;

use super::cases::insert_case;
use super::{Store, Stored, now};
use crate::cases::NewCase;
use crate::error::Result;

/// One submission of a released group as the desk stores it.
#[derive(Debug, Clone)]
pub struct EscrowMember {
    /// The escrow id, hex.
    pub escrow_id: String,
    /// The device's pseudonym in the group, hex.
    pub source: String,
    /// The submission's bytes: kept, so that a part of the group released later opens with
    /// the shares stored before, and a member that did not open can be examined.
    pub escrow: Vec<u8>,
    /// Opened: the case it becomes, and the mailbox token hash (hex) its escrowed report
    /// carried. Not opened: the error code.
    pub outcome: std::result::Result<(NewCase, String), String>,
}

/// An opened escrowed case whose reply channel the relay has not registered yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingReplyChannel {
    /// The escrow id, hex.
    pub escrow_id: String,
    /// The report id, hex.
    pub report_id: String,
    /// The mailbox token hash, hex.
    pub mailbox_token_hash: String,
}

/// The `reply_channel` of a member the relay registered.
pub const REPLY_CHANNEL_REGISTERED: &str = "registered";

/// A released group as the desk stores it.
#[derive(Debug, Clone)]
pub struct EscrowGroupRow {
    pub tag: String,
    pub threshold: u8,
    pub epoch: u32,
}

/// Where a case sits in its escrow group: for the case page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscrowPlacement {
    pub tag: String,
    pub threshold: u8,
    /// Submissions of the group held at this desk (opened or not).
    pub reports: u64,
    /// Distinct sources (devices) among them.
    pub sources: u64,
    /// The other cases of the group, by id.
    pub other_cases: Vec<i64>,
    /// Whether the worker can be answered: the relay registered the report's mailbox (or it
    /// also came through the inbox).
    pub reply_channel: bool,
}

impl Store {
    /// The sealed OPRF seed, if one was made.
    pub async fn escrow_oprf_seed(&self) -> Result<Option<Vec<u8>>> {
        Ok(
            sqlx::query_scalar("SELECT sealed_seed FROM escrow_oprf WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Store `sealed` as the OPRF seed unless one exists; returns the stored one.
    pub async fn set_escrow_oprf_seed_once(&self, sealed: &[u8]) -> Result<Vec<u8>> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO escrow_oprf (id, sealed_seed, created_at) VALUES (1, ?, ?) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(sealed)
        .bind(now() as i64)
        .execute(&mut *tx)
        .await?;
        let stored: Vec<u8> =
            sqlx::query_scalar("SELECT sealed_seed FROM escrow_oprf WHERE id = 1")
                .fetch_one(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// Store a released group's members in one transaction: each opened one as a case (marked
    /// acknowledged: the relay is told per group), each one that did not open with its error
    /// and bytes. Members stored before are skipped. Returns the outcome of each opened one.
    pub async fn store_escrow_group(
        &self,
        group: &EscrowGroupRow,
        members: &[EscrowMember],
    ) -> Result<Vec<Stored>> {
        let mut tx = self.pool.begin().await?;
        let at = now() as i64;
        sqlx::query(
            "INSERT INTO escrow_groups (tag, threshold, epoch, opened_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (tag) DO UPDATE SET acked_at = NULL",
        )
        .bind(&group.tag)
        .bind(i64::from(group.threshold))
        .bind(i64::from(group.epoch))
        .bind(at)
        .execute(&mut *tx)
        .await?;
        let mut outcomes = Vec::new();
        for member in members {
            let known: Option<String> =
                sqlx::query_scalar("SELECT escrow_id FROM escrow_members WHERE escrow_id = ?")
                    .bind(&member.escrow_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if known.is_some() {
                if member.outcome.is_ok() {
                    outcomes.push(Stored::AlreadyStored);
                }
                continue;
            }
            let (case_id, error, mailbox_hash) = match &member.outcome {
                Ok((case, mailbox_hash)) => {
                    let stored = insert_case(&mut tx, case, at).await?;
                    outcomes.push(stored);
                    let id: i64 = sqlx::query_scalar("SELECT id FROM cases WHERE report_id = ?")
                        .bind(case.report.report_id.to_hex())
                        .fetch_one(&mut *tx)
                        .await?;
                    sqlx::query("UPDATE cases SET acked_at = ? WHERE id = ? AND acked_at IS NULL")
                        .bind(at)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    (Some(id), None, Some(mailbox_hash.clone()))
                }
                Err(code) => (None, Some(code.clone()), None),
            };
            sqlx::query(
                "INSERT INTO escrow_members \
                 (escrow_id, tag, source, case_id, error, escrow, mailbox_token_hash) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&member.escrow_id)
            .bind(&group.tag)
            .bind(&member.source)
            .bind(case_id)
            .bind(error)
            .bind(&member.escrow)
            .bind(mailbox_hash)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(outcomes)
    }

    /// The stored submissions of a group (their shares join a part released later).
    pub async fn escrow_submissions(&self, tag: &str) -> Result<Vec<Vec<u8>>> {
        Ok(
            sqlx::query_scalar(
                "SELECT escrow FROM escrow_members WHERE tag = ? ORDER BY escrow_id",
            )
            .bind(tag)
            .fetch_all(&self.pool)
            .await?,
        )
    }

    /// Tags of stored groups the relay has not been told about.
    pub async fn unacknowledged_escrow_groups(&self) -> Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT tag FROM escrow_groups WHERE acked_at IS NULL ORDER BY tag")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    pub async fn mark_escrow_group_acknowledged(&self, tag: &str) -> Result<()> {
        sqlx::query("UPDATE escrow_groups SET acked_at = ? WHERE tag = ?")
            .bind(now() as i64)
            .bind(tag)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The group a case was opened in, if any, with its counts and the other cases.
    pub async fn escrow_placement(&self, case_id: i64) -> Result<Option<EscrowPlacement>> {
        let Some(row) = sqlx::query(
            "SELECT g.tag, g.threshold FROM escrow_members m JOIN escrow_groups g ON g.tag = m.tag \
             WHERE m.case_id = ?",
        )
        .bind(case_id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let tag: String = row.try_get("tag")?;
        let threshold: i64 = row.try_get("threshold")?;
        let counts = sqlx::query(
            "SELECT COUNT(*) AS reports, COUNT(DISTINCT source) AS sources \
             FROM escrow_members WHERE tag = ?",
        )
        .bind(&tag)
        .fetch_one(&self.pool)
        .await?;
        let reports: i64 = counts.try_get("reports")?;
        let sources: i64 = counts.try_get("sources")?;
        let other_cases: Vec<i64> = sqlx::query_scalar(
            "SELECT case_id FROM escrow_members WHERE tag = ? AND case_id IS NOT NULL \
             AND case_id != ? ORDER BY case_id",
        )
        .bind(&tag)
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?;
        let reply_channel = !self.lacks_reply_channel(case_id).await?;
        Ok(Some(EscrowPlacement {
            tag,
            threshold: u8::try_from(threshold).unwrap_or(u8::MAX),
            reports: reports as u64,
            sources: sources as u64,
            other_cases,
            reply_channel,
        }))
    }

    /// Opened escrowed cases whose reply channel is not registered at the relay yet (nor
    /// refused by it), in escrow id order.
    pub async fn pending_reply_channels(&self) -> Result<Vec<PendingReplyChannel>> {
        let rows = sqlx::query(
            "SELECT m.escrow_id, c.report_id, m.mailbox_token_hash FROM escrow_members m \
             JOIN cases c ON c.id = m.case_id \
             WHERE m.mailbox_token_hash IS NOT NULL AND m.reply_channel IS NULL \
             ORDER BY m.escrow_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(PendingReplyChannel {
                    escrow_id: row.try_get("escrow_id")?,
                    report_id: row.try_get("report_id")?,
                    mailbox_token_hash: row.try_get("mailbox_token_hash")?,
                })
            })
            .collect()
    }

    /// Record what the relay said to a registration: [`REPLY_CHANNEL_REGISTERED`] or its code.
    pub async fn set_reply_channel(&self, escrow_id: &str, state: &str) -> Result<()> {
        sqlx::query("UPDATE escrow_members SET reply_channel = ? WHERE escrow_id = ?")
            .bind(state)
            .bind(escrow_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Whether a case came only from an escrow group (not also through the inbox) and has no
    /// reply channel registered at the relay: no mailbox there, so statuses stay at the desk
    /// and replies are refused.
    pub async fn lacks_reply_channel(&self, case_id: i64) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM cases c WHERE c.id = ? AND c.inbox_seq = 0 \
             AND EXISTS (SELECT 1 FROM escrow_members m WHERE m.case_id = c.id) \
             AND NOT EXISTS (SELECT 1 FROM escrow_members m \
                             WHERE m.case_id = c.id AND m.reply_channel = 'registered')",
        )
        .bind(case_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// Whether a case came only from an escrow group (not also through the inbox): the relay
    /// holds no consent for it, so it cannot be referred.
    pub async fn is_escrowed(&self, case_id: i64) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM cases c WHERE c.id = ? AND c.inbox_seq = 0 \
             AND EXISTS (SELECT 1 FROM escrow_members m WHERE m.case_id = c.id)",
        )
        .bind(case_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// Escrow submissions of released groups that did not open here.
    pub async fn unopened_escrow_count(&self) -> Result<u64> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM escrow_members WHERE case_id IS NULL")
                .fetch_one(&self.pool)
                .await?;
        Ok(n as u64)
    }

    /// The relay's total of unreleased escrow submissions at the last sync.
    pub async fn escrow_pending(&self) -> Result<Option<u64>> {
        let n: Option<i64> =
            sqlx::query_scalar("SELECT escrow_pending FROM sync_state WHERE id = 1")
                .fetch_one(&self.pool)
                .await?;
        Ok(n.map(|n| n as u64))
    }

    pub async fn set_escrow_pending(&self, total: u64) -> Result<()> {
        sqlx::query("UPDATE sync_state SET escrow_pending = ? WHERE id = 1")
            .bind(total as i64)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// How many queued OPRF requests may be answered per escrow epoch.
    pub async fn escrow_oprf_budget(&self) -> Result<u32> {
        let n: i64 = sqlx::query_scalar("SELECT per_epoch FROM escrow_oprf_budget WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(u32::try_from(n).unwrap_or(0))
    }

    pub async fn set_escrow_oprf_budget(&self, per_epoch: u32) -> Result<()> {
        sqlx::query("UPDATE escrow_oprf_budget SET per_epoch = ? WHERE id = 1")
            .bind(i64::from(per_epoch))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// How many requests of `epoch` were answered.
    pub async fn escrow_oprf_spent(&self, epoch: u32) -> Result<u32> {
        let n: Option<i64> =
            sqlx::query_scalar("SELECT answered FROM escrow_oprf_spent WHERE epoch = ?")
                .bind(i64::from(epoch))
                .fetch_optional(&self.pool)
                .await?;
        Ok(n.map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)))
    }

    /// Count `answered` more requests against each epoch, in one transaction.
    pub async fn add_escrow_oprf_spent(&self, answered: &[(u32, u32)]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for (epoch, n) in answered {
            sqlx::query(
                "INSERT INTO escrow_oprf_spent (epoch, answered) VALUES (?, ?) \
                 ON CONFLICT (epoch) DO UPDATE SET answered = answered + excluded.answered",
            )
            .bind(i64::from(*epoch))
            .bind(i64::from(*n))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
