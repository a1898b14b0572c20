//! Sync state (inbox cursor, directory pins, last sync) and storing inbox pages with their
//! cursor in one transaction; acknowledgements of committed rows.

use super::{Store, cases::insert_case, now};
use crate::cases::NewCase;
use crate::error::Result;
use workvoice_proto::directory::DirectoryPins;

/// An inbox entry whose envelope did not open.
#[derive(Debug, Clone)]
pub struct Undecryptable {
    pub report_id: String,
    pub entry_seq: u64,
    pub received_at: u64,
    pub error: String,
    pub envelope: Vec<u8>,
    pub disclosed_tags: String,
    pub disclosed_consent: String,
    pub referred_by: Option<String>,
}

/// What storing one page did to each entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    New,
    AlreadyStored,
}

impl Store {
    pub async fn cursor(&self) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT cursor FROM sync_state WHERE id = 1")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Forget the inbox position (the next sync re-reads everything; stored cases are no-ops).
    pub async fn reset_cursor(&self) -> Result<()> {
        sqlx::query("UPDATE sync_state SET cursor = NULL WHERE id = 1")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn directory_version(&self) -> Result<u64> {
        let v: i64 = sqlx::query_scalar("SELECT directory_version FROM sync_state WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(v as u64)
    }

    /// What this desk remembers of the directories it verified: the highest listing version
    /// and the highest revocation-list serial (`PROTOCOL.md` 10.4).
    pub async fn directory_pins(&self) -> Result<DirectoryPins> {
        let (version, serial): (i64, i64) = sqlx::query_as(
            "SELECT directory_version, revocation_serial FROM sync_state WHERE id = 1",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(DirectoryPins {
            min_version: version as u64,
            min_revocation_serial: serial as u64,
        })
    }

    /// Raise the pins to `pins` (never lowers either).
    pub async fn raise_directory_pins(&self, pins: &DirectoryPins) -> Result<()> {
        sqlx::query(
            "UPDATE sync_state SET directory_version = max(directory_version, ?), \
             revocation_serial = max(revocation_serial, ?) WHERE id = 1",
        )
        .bind(pins.min_version as i64)
        .bind(pins.min_revocation_serial as i64)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn last_sync_at(&self) -> Result<Option<u64>> {
        let v: Option<i64> = sqlx::query_scalar("SELECT last_sync_at FROM sync_state WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(v.map(|v| v as u64))
    }

    pub async fn set_last_sync_at(&self, at: u64) -> Result<()> {
        sqlx::query("UPDATE sync_state SET last_sync_at = ? WHERE id = 1")
            .bind(at as i64)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Store one inbox page and the cursor after it in a single transaction.
    pub async fn store_page(
        &self,
        cases: &[NewCase],
        undecryptable: &[Undecryptable],
        next_cursor: Option<&str>,
    ) -> Result<Vec<Stored>> {
        let mut tx = self.pool.begin().await?;
        let at = now() as i64;
        let mut outcomes = Vec::with_capacity(cases.len());
        for case in cases {
            outcomes.push(insert_case(&mut tx, case, at).await?);
        }
        for u in undecryptable {
            sqlx::query(
                "INSERT INTO undecryptable (report_id, inbox_seq, received_at, error, envelope, \
                 disclosed_tags, disclosed_consent, referred_by, stored_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (report_id) DO NOTHING",
            )
            .bind(&u.report_id)
            .bind(u.entry_seq as i64)
            .bind(u.received_at as i64)
            .bind(&u.error)
            .bind(&u.envelope)
            .bind(&u.disclosed_tags)
            .bind(&u.disclosed_consent)
            .bind(&u.referred_by)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(cursor) = next_cursor {
            sqlx::query("UPDATE sync_state SET cursor = ? WHERE id = 1")
                .bind(cursor)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(outcomes)
    }

    /// Report ids of stored cases the relay has not yet been told about.
    pub async fn unacknowledged(&self) -> Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT report_id FROM cases WHERE acked_at IS NULL ORDER BY id")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    pub async fn mark_acknowledged(&self, report_id: &str) -> Result<()> {
        sqlx::query("UPDATE cases SET acked_at = ? WHERE report_id = ? AND acked_at IS NULL")
            .bind(now() as i64)
            .bind(report_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
