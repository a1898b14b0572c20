//! Withdrawals (`PROTOCOL.md` 13.5): a worker's withdrawal of a report, stored for every
//! organisation that holds it until that organisation acknowledges it.

use sqlx::{Any, Row};
use workvoice_proto::api::Withdrawal;
use workvoice_proto::keys::{OrgId, ReportId};

use super::{Result, Storage, StorageError, i, is_unique_violation};

/// How many distinct withdrawal secrets the relay keeps for one report (`PROTOCOL.md` 13.5).
pub const MAX_WITHDRAWAL_SECRETS: usize = 4;

/// What storing a withdrawal did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithdrawalOutcome {
    Created,
    Duplicate,
    UnknownReport,
    TooMany,
}

impl Storage {
    /// Store a worker's withdrawal of `report` for every organisation that holds it, once per
    /// secret, at most [`MAX_WITHDRAWAL_SECRETS`] distinct secrets per report.
    pub async fn add_withdrawal(
        &self,
        report: &ReportId,
        secret: &[u8; 32],
        hour: u64,
    ) -> Result<WithdrawalOutcome> {
        let mut tx = self.writer.begin().await?;
        let holders = sqlx::query::<Any>(
            "SELECT org_id FROM inbox WHERE report_id = $1 \
             UNION SELECT org_id FROM report_routes WHERE report_id = $1",
        )
        .bind(report.to_hex())
        .fetch_all(&mut *tx)
        .await?;
        if holders.is_empty() {
            tx.rollback().await?;
            return Ok(WithdrawalOutcome::UnknownReport);
        }
        let stored =
            sqlx::query::<Any>("SELECT DISTINCT secret FROM withdrawals WHERE report_id = $1")
                .bind(report.to_hex())
                .fetch_all(&mut *tx)
                .await?;
        let mut secrets = Vec::with_capacity(stored.len());
        for row in stored {
            secrets.push(row.try_get::<Vec<u8>, _>("secret")?);
        }
        if secrets.iter().any(|s| s.as_slice() == secret.as_slice()) {
            tx.rollback().await?;
            return Ok(WithdrawalOutcome::Duplicate);
        }
        if secrets.len() >= MAX_WITHDRAWAL_SECRETS {
            tx.rollback().await?;
            return Ok(WithdrawalOutcome::TooMany);
        }
        for row in holders {
            let org: String = row.try_get("org_id")?;
            let inserted = sqlx::query::<Any>(
                "INSERT INTO withdrawals (org_id, report_id, secret, at_hour) VALUES ($1, $2, $3, $4)",
            )
            .bind(org)
            .bind(report.to_hex())
            .bind(secret.to_vec())
            .bind(i(hour))
            .execute(&mut *tx)
            .await;
            match inserted {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => {
                    // A concurrent post of the same secret won.
                    tx.rollback().await?;
                    return Ok(WithdrawalOutcome::Duplicate);
                }
                Err(e) => return Err(e.into()),
            }
        }
        tx.commit().await?;
        Ok(WithdrawalOutcome::Created)
    }

    /// `org`'s withdrawals not acknowledged yet, in report id order.
    pub async fn pending_withdrawals(&self, org: &OrgId, limit: u32) -> Result<Vec<Withdrawal>> {
        let rows = sqlx::query::<Any>(
            "SELECT report_id, secret, at_hour FROM withdrawals \
             WHERE org_id = $1 AND acknowledged = 0 ORDER BY report_id, secret LIMIT $2",
        )
        .bind(org.to_hex())
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let report: String = row.try_get("report_id")?;
            let secret: Vec<u8> = row.try_get("secret")?;
            let at_hour: i64 = row.try_get("at_hour")?;
            out.push(Withdrawal {
                report_id: ReportId::from_hex(&report).ok_or_else(|| {
                    StorageError::Corrupt(format!("withdrawal report id {report}"))
                })?,
                secret: hex::encode(secret),
                at_hour: u64::try_from(at_hour).unwrap_or(0),
            });
        }
        Ok(out)
    }

    /// Mark `org`'s withdrawals of `report` acknowledged. `false` when it has none.
    pub async fn acknowledge_withdrawal(&self, org: &OrgId, report: &ReportId) -> Result<bool> {
        let done = sqlx::query::<Any>(
            "UPDATE withdrawals SET acknowledged = 1 WHERE org_id = $1 AND report_id = $2",
        )
        .bind(org.to_hex())
        .bind(report.to_hex())
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}
