//! Caseworkers, their sessions, the sign-in delays (`login_guard.rs`) and known browsers.

use sqlx::Row;

use super::{Store, now};
use crate::error::{DeskError, Result};

#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
}

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub csrf_token: String,
    pub expires_at: u64,
}

impl Store {
    pub async fn add_user(&self, username: &str, password_hash: &str) -> Result<i64> {
        let result = sqlx::query(
            "INSERT INTO users (username, password_hash, created_at) VALUES (?, ?, ?) \
             ON CONFLICT (username) DO NOTHING",
        )
        .bind(username)
        .bind(password_hash)
        .bind(now() as i64)
        .execute(&self.pool)
        .await?;
        if result.rows_affected() == 0 {
            return Err(DeskError::UserExists);
        }
        Ok(result.last_insert_rowid())
    }

    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRow>> {
        let row = sqlx::query("SELECT id, username, password_hash FROM users WHERE username = ?")
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(UserRow {
                id: r.try_get(0)?,
                username: r.try_get(1)?,
                password_hash: r.try_get(2)?,
            })
        })
        .transpose()
    }

    // ---- sign-in delays (`login_guard.rs`) ----

    /// `(failures, last failure at)` of a (user name, client) pair.
    pub async fn sign_in_failures(
        &self,
        username: &str,
        client: &str,
    ) -> Result<Option<(u32, u64)>> {
        let row = sqlx::query(
            "SELECT failures, last_failure_at FROM sign_in_failures \
             WHERE username = ? AND client = ?",
        )
        .bind(username)
        .bind(client)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok((
                r.try_get::<i64, _>(0)?.clamp(0, u32::MAX as i64) as u32,
                r.try_get::<i64, _>(1)?.max(0) as u64,
            ))
        })
        .transpose()
    }

    /// Count one more failure of a pair (its count starts again when the last failure is older
    /// than `forget_after`), drop records older than `forget_after`, and beyond `max_records`
    /// drop the oldest records whose last failure is more than `max_delay` ago (so none that
    /// still delays). Returns the pair's failure count.
    pub async fn record_sign_in_failure(
        &self,
        username: &str,
        client: &str,
        now: u64,
        forget_after: u64,
        max_records: u64,
        max_delay: u64,
    ) -> Result<u32> {
        let mut tx = self.pool.begin().await?;
        let forgotten = now.saturating_sub(forget_after) as i64;
        sqlx::query("DELETE FROM sign_in_failures WHERE last_failure_at < ?")
            .bind(forgotten)
            .execute(&mut *tx)
            .await?;
        let failures: i64 = sqlx::query_scalar(
            "INSERT INTO sign_in_failures (username, client, failures, last_failure_at) \
             VALUES (?, ?, 1, ?) ON CONFLICT (username, client) DO UPDATE SET \
             failures = failures + 1, last_failure_at = excluded.last_failure_at \
             RETURNING failures",
        )
        .bind(username)
        .bind(client)
        .bind(now as i64)
        .fetch_one(&mut *tx)
        .await?;
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM sign_in_failures")
            .fetch_one(&mut *tx)
            .await?;
        if count as u64 > max_records {
            sqlx::query(
                "DELETE FROM sign_in_failures WHERE rowid IN (SELECT rowid FROM \
                 sign_in_failures WHERE last_failure_at < ? ORDER BY last_failure_at LIMIT ?)",
            )
            .bind(now.saturating_sub(max_delay) as i64)
            .bind(count - max_records as i64)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(failures.clamp(0, u32::MAX as i64) as u32)
    }

    pub async fn clear_sign_in_failures(&self, username: &str, client: &str) -> Result<()> {
        sqlx::query("DELETE FROM sign_in_failures WHERE username = ? AND client = ?")
            .bind(username)
            .bind(client)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn clear_all_sign_in_failures(&self, username: &str) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sign_in_failures WHERE username = ?")
            .bind(username)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Remember a browser `user_id` signed in with, by the hash of its cookie.
    pub async fn add_known_client(&self, id_hash: &str, user_id: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO known_clients (id_hash, user_id, created_at) VALUES (?, ?, ?) \
             ON CONFLICT (id_hash) DO NOTHING",
        )
        .bind(id_hash)
        .bind(user_id)
        .bind(now() as i64)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Whether the browser with this cookie hash signed in as `user_id` before.
    pub async fn is_known_client(&self, id_hash: &str, user_id: i64) -> Result<bool> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM known_clients WHERE id_hash = ? AND user_id = ?")
                .bind(id_hash)
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    pub async fn users(&self) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query("SELECT id, username FROM users ORDER BY username")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    pub async fn create_session(
        &self,
        id_hash: &str,
        user_id: Option<i64>,
        csrf_token: &str,
        expires_at: u64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(now() as i64)
        .bind(expires_at as i64)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRow>> {
        let row = sqlx::query(
            "SELECT s.user_id, u.username, s.csrf_token, s.expires_at FROM sessions s \
             LEFT JOIN users u ON u.id = s.user_id WHERE s.id_hash = ? AND s.expires_at > ?",
        )
        .bind(id_hash)
        .bind(now() as i64)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(SessionRow {
                user_id: r.try_get(0)?,
                username: r.try_get(1)?,
                csrf_token: r.try_get(2)?,
                expires_at: r.try_get::<i64, _>(3)? as u64,
            })
        })
        .transpose()
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = ? OR expires_at <= ?")
            .bind(id_hash)
            .bind(now() as i64)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
