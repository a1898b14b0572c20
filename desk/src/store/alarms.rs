//! Key-monitoring alarms: raised by the directory check, cleared by an operator.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{Store, now};
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alarm {
    pub id: i64,
    pub code: String,
    pub detail: String,
    pub raised_at: u64,
    pub last_seen_at: u64,
}

impl Store {
    pub async fn active_alarms(&self) -> Result<Vec<Alarm>> {
        let rows = sqlx::query(
            "SELECT id, code, detail, raised_at, last_seen_at FROM alarms \
             WHERE cleared_at IS NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Alarm {
                    id: r.try_get(0)?,
                    code: r.try_get(1)?,
                    detail: r.try_get(2)?,
                    raised_at: r.try_get::<i64, _>(3)? as u64,
                    last_seen_at: r.try_get::<i64, _>(4)? as u64,
                })
            })
            .collect()
    }

    /// Record an alarm, or note that an identical active one was seen again.
    pub async fn raise_alarm(&self, code: &str, detail: &str) -> Result<()> {
        let at = now() as i64;
        let updated = sqlx::query(
            "UPDATE alarms SET last_seen_at = ? WHERE cleared_at IS NULL AND code = ? AND detail = ?",
        )
        .bind(at)
        .bind(code)
        .bind(detail)
        .execute(&self.pool)
        .await?;
        if updated.rows_affected() == 0 {
            sqlx::query(
                "INSERT INTO alarms (code, detail, raised_at, last_seen_at) VALUES (?, ?, ?, ?)",
            )
            .bind(code)
            .bind(detail)
            .bind(at)
            .bind(at)
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    /// Clear every active alarm after review; returns how many were cleared.
    pub async fn clear_alarms(&self, by: &str, note: &str) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE alarms SET cleared_at = ?, cleared_by = ?, review_note = ? \
             WHERE cleared_at IS NULL",
        )
        .bind(now() as i64)
        .bind(by)
        .bind(note)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}
