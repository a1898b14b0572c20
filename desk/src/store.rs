//! The desk's SQLite database (sqlx, numbered migrations in `desk/migrations/`).
//!
//! **Invariant:** a page of the inbox is stored in one transaction together with the new
//! cursor, so the cursor never moves past a case that is not durably stored; acknowledgements
//! are sent only for rows whose transaction committed (`synchronous = FULL`).

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Row, SqlitePool};

use crate::cases::{
    CaseProblem, CaseStatus, NewCase, json, normalise_licence, normalise_party_name,
};
use crate::error::{DeskError, Result};
use crate::secrets::DatabaseKey;
use workvoice_proto::directory::DirectoryPins;

/// The numbered migrations in `desk/migrations/`, embedded in the binary.
fn migrator() -> sqlx::migrate::Migrator {
    use sqlx::SqlSafeStr;
    use sqlx::migrate::{Migration, MigrationType, Migrator};
    Migrator::with_migrations(vec![
        Migration::new(
            1,
            "desk".into(),
            MigrationType::Simple,
            include_str!("../migrations/0001_desk.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            2,
            "attachments".into(),
            MigrationType::Simple,
            include_str!("../migrations/0002_attachments.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            3,
            "sign in".into(),
            MigrationType::Simple,
            include_str!("../migrations/0003_sign_in.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            4,
            "directory pins".into(),
            MigrationType::Simple,
            include_str!("../migrations/0004_directory_pins.sql").into_sql_str(),
            false,
        ),
    ])
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

#[derive(Debug, Clone)]
pub struct VaultRow {
    pub salt: Vec<u8>,
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    pub check_value: Vec<u8>,
    pub org_name: String,
}

#[derive(Debug, Clone)]
pub struct KeyRow {
    pub version: u32,
    pub public_key: String,
    pub sealed_private_key: Vec<u8>,
    pub created_at: u64,
}

#[derive(Debug, Clone)]
pub struct EnrolmentRow {
    pub relay_url: String,
    pub org_id: String,
    pub sealed_api_token: Vec<u8>,
    pub root_public_key: String,
    pub certificate_body: String,
    pub certificate_signature: String,
    pub enrolled_at: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alarm {
    pub id: i64,
    pub code: String,
    pub detail: String,
    pub raised_at: u64,
    pub last_seen_at: u64,
}

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

/// Filters of the case list and the exports. `None` means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFilter {
    pub status: Option<CaseStatus>,
    pub destination: Option<String>,
    pub sector: Option<String>,
    pub indicator: Option<String>,
    pub recruiter: Option<String>,
    /// Unix seconds, inclusive.
    pub received_from: Option<u64>,
    /// Unix seconds, exclusive.
    pub received_until: Option<u64>,
    pub text: Option<String>,
}

/// One row of the case list.
#[derive(Debug, Clone)]
pub struct CaseSummary {
    pub id: i64,
    pub report_id: String,
    pub received_at: u64,
    pub status: CaseStatus,
    pub destination_country: String,
    pub origin_country: Option<String>,
    pub sector: Option<String>,
    pub recruiter_name: Option<String>,
    pub language: String,
    pub referred_by: Option<String>,
    pub assignee: Option<String>,
    pub indicators: Vec<String>,
    pub has_problems: bool,
}

/// A stored case with everything the case page shows.
#[derive(Debug, Clone)]
pub struct CaseRecord {
    pub summary: CaseSummary,
    pub inbox_seq: u64,
    pub plaintext: Vec<u8>,
    pub disclosed_tags: String,
    pub disclosed_consent: String,
    pub problems: Vec<CaseProblem>,
    pub worker_status: String,
    pub assignee_id: Option<i64>,
    pub may_refer_inspectorate: bool,
    pub may_refer_ngo: bool,
    pub contact_wanted: bool,
    pub recruiter_norm: Option<String>,
    pub recruiter_licence: Option<String>,
    pub employer_norm: Option<String>,
    pub employer_licence: Option<String>,
    pub acked_at: Option<u64>,
    pub opened_with_key: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseEvent {
    pub at: u64,
    pub actor: Option<String>,
    pub kind: String,
    pub detail: serde_json::Value,
}

/// A case that names the same recruiter or employer.
#[derive(Debug, Clone)]
pub struct LinkedCase {
    pub id: i64,
    pub report_id: String,
    pub received_at: u64,
    pub reason: String,
}

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

/// An attachment as the desk keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredAttachment {
    Kept {
        media_type: String,
        bytes: Vec<u8>,
    },
    /// It can never be had; `problem` is the error code.
    Unavailable {
        problem: String,
    },
}

/// What storing one page did to each entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    New,
    AlreadyStored,
}

fn summary_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<CaseSummary> {
    let indicators: Option<String> = row.try_get(12)?;
    let problems: String = row.try_get(11)?;
    Ok(CaseSummary {
        id: row.try_get(0)?,
        report_id: row.try_get(1)?,
        received_at: row.try_get::<i64, _>(2)? as u64,
        status: CaseStatus::parse(&row.try_get::<String, _>(3)?).unwrap_or(CaseStatus::New),
        destination_country: row.try_get(4)?,
        origin_country: row.try_get(5)?,
        sector: row.try_get(6)?,
        recruiter_name: row.try_get(7)?,
        language: row.try_get(8)?,
        referred_by: row.try_get(9)?,
        assignee: row.try_get(10)?,
        indicators: indicators
            .map(|s| s.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        has_problems: problems != "[]",
    })
}

impl Store {
    /// Open (or, with `create`, create) the sealed database: every page of the file, its WAL
    /// and its journal is encrypted and authenticated by SQLCipher under `key`. A new file is
    /// created 0600 before SQLite touches it, so its WAL and shared-memory files are 0600 too.
    pub async fn open(path: &Path, create: bool, key: &DatabaseKey) -> Result<Store> {
        if create {
            crate::at_rest::create_private_file(path)?;
        }
        // sqlx would log each connection's `PRAGMA key = …` at debug level: never log
        // statements of this database.
        let options = SqliteConnectOptions::new()
            .filename(path)
            .pragma("key", key.pragma_value())
            .create_if_missing(false)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .disable_statement_logging();
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        migrator().run(&pool).await?;
        Ok(Store { pool })
    }

    /// Open a plain store written before the database was sealed, as it is (no migration), to
    /// read its vault and export it sealed.
    pub(crate) async fn open_plain(path: &Path) -> Result<Store> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(false)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .disable_statement_logging();
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        Ok(Store { pool })
    }

    /// Copy this (plain) store into a new sealed database at `to` (SQLCipher's
    /// `sqlcipher_export`), in one transaction on one connection.
    pub(crate) async fn export_sealed(&self, to: &Path, key: &DatabaseKey) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        let to = to.to_str().ok_or_else(|| {
            DeskError::InvalidInput("the data directory's path is not UTF-8".into())
        })?;
        let raw = key.raw_key_text();
        sqlx::query("ATTACH DATABASE ? AS sealed KEY ?")
            .bind(to)
            .bind(raw.as_str())
            .execute(&mut *conn)
            .await?;
        let exported = sqlx::query("SELECT sqlcipher_export('sealed')")
            .execute(&mut *conn)
            .await;
        sqlx::query("DETACH DATABASE sealed")
            .execute(&mut *conn)
            .await?;
        exported?;
        Ok(())
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    // ---- vault, keyring, enrolment ----

    pub async fn vault(&self) -> Result<Option<VaultRow>> {
        let row = sqlx::query(
            "SELECT salt, memory_kib, iterations, parallelism, check_value, org_name FROM vault",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(VaultRow {
                salt: r.try_get(0)?,
                memory_kib: r.try_get::<i64, _>(1)? as u32,
                iterations: r.try_get::<i64, _>(2)? as u32,
                parallelism: r.try_get::<i64, _>(3)? as u32,
                check_value: r.try_get(4)?,
                org_name: r.try_get(5)?,
            })
        })
        .transpose()
    }

    pub async fn create_vault(&self, vault: &VaultRow, first_key: &KeyRow) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO vault (id, salt, memory_kib, iterations, parallelism, check_value, \
             org_name, created_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&vault.salt)
        .bind(vault.memory_kib as i64)
        .bind(vault.iterations as i64)
        .bind(vault.parallelism as i64)
        .bind(&vault.check_value)
        .bind(&vault.org_name)
        .bind(now() as i64)
        .execute(&mut *tx)
        .await?;
        insert_key(&mut tx, first_key).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn add_key(&self, key: &KeyRow) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        insert_key(&mut tx, key).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn keys(&self) -> Result<Vec<KeyRow>> {
        let rows = sqlx::query(
            "SELECT version, public_key, sealed_private_key, created_at FROM keyring \
             ORDER BY version DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(KeyRow {
                    version: r.try_get::<i64, _>(0)? as u32,
                    public_key: r.try_get(1)?,
                    sealed_private_key: r.try_get(2)?,
                    created_at: r.try_get::<i64, _>(3)? as u64,
                })
            })
            .collect()
    }

    pub async fn enrolment(&self) -> Result<Option<EnrolmentRow>> {
        let row = sqlx::query(
            "SELECT relay_url, org_id, sealed_api_token, root_public_key, certificate_body, \
             certificate_signature, enrolled_at FROM enrolment",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(EnrolmentRow {
                relay_url: r.try_get(0)?,
                org_id: r.try_get(1)?,
                sealed_api_token: r.try_get(2)?,
                root_public_key: r.try_get(3)?,
                certificate_body: r.try_get(4)?,
                certificate_signature: r.try_get(5)?,
                enrolled_at: r.try_get::<i64, _>(6)? as u64,
            })
        })
        .transpose()
    }

    pub async fn set_enrolment(&self, e: &EnrolmentRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO enrolment (id, relay_url, org_id, sealed_api_token, root_public_key, \
             certificate_body, certificate_signature, enrolled_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET relay_url = excluded.relay_url, \
             org_id = excluded.org_id, sealed_api_token = excluded.sealed_api_token, \
             root_public_key = excluded.root_public_key, \
             certificate_body = excluded.certificate_body, \
             certificate_signature = excluded.certificate_signature, \
             enrolled_at = excluded.enrolled_at",
        )
        .bind(&e.relay_url)
        .bind(&e.org_id)
        .bind(&e.sealed_api_token)
        .bind(&e.root_public_key)
        .bind(&e.certificate_body)
        .bind(&e.certificate_signature)
        .bind(e.enrolled_at as i64)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    // ---- sync state ----

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

    // ---- evidence ----

    /// The kept attachment of a case, if it was downloaded (or found impossible to download).
    pub async fn attachment(
        &self,
        case_id: i64,
        attachment_id: &str,
    ) -> Result<Option<StoredAttachment>> {
        let row = sqlx::query(
            "SELECT media_type, content, problem FROM attachments \
             WHERE case_id = ? AND attachment_id = ?",
        )
        .bind(case_id)
        .bind(attachment_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let media_type: String = r.try_get(0)?;
            let content: Option<Vec<u8>> = r.try_get(1)?;
            let problem: Option<String> = r.try_get(2)?;
            Ok(match (content, problem) {
                (Some(bytes), _) => StoredAttachment::Kept { media_type, bytes },
                (None, problem) => StoredAttachment::Unavailable {
                    problem: problem.unwrap_or_default(),
                },
            })
        })
        .transpose()
    }

    /// What the desk holds of each attachment of a case, without reading the files:
    /// attachment id → `None` when kept, `Some(problem)` when it can never be had.
    pub async fn attachment_states(
        &self,
        case_id: i64,
    ) -> Result<std::collections::HashMap<String, Option<String>>> {
        let rows = sqlx::query(
            "SELECT attachment_id, CASE WHEN content IS NULL THEN problem END \
             FROM attachments WHERE case_id = ?",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    /// Keep an attachment's opened bytes (or why it can never be had). A kept file is never
    /// replaced by a problem.
    pub async fn keep_attachment(
        &self,
        case_id: i64,
        attachment_id: &str,
        media_type: &str,
        outcome: std::result::Result<&[u8], &str>,
    ) -> Result<()> {
        let (content, problem) = match outcome {
            Ok(bytes) => (Some(bytes), None),
            Err(problem) => (None, Some(problem)),
        };
        sqlx::query(
            "INSERT INTO attachments (case_id, attachment_id, media_type, content, problem, \
             stored_at) VALUES (?, ?, ?, ?, ?, ?) \
             ON CONFLICT (case_id, attachment_id) DO UPDATE SET content = excluded.content, \
             problem = excluded.problem, stored_at = excluded.stored_at \
             WHERE attachments.content IS NULL",
        )
        .bind(case_id)
        .bind(attachment_id)
        .bind(media_type)
        .bind(content)
        .bind(problem)
        .bind(now() as i64)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn undecryptable_count(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM undecryptable")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    // ---- alarms ----

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

    // ---- users and sessions ----

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

    // ---- cases ----

    pub async fn case_count(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM cases")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    pub async fn list_cases(
        &self,
        filter: &CaseFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<CaseSummary>> {
        let sql = concat!(
            "SELECT c.id, c.report_id, c.received_at, c.status, c.destination_country, ",
            "c.origin_country, c.sector, c.recruiter_name, c.language, c.referred_by, u.username, ",
            "c.problems, (SELECT group_concat(indicator, ',') FROM case_indicators i ",
            "WHERE i.case_id = c.id) FROM cases c LEFT JOIN users u ON u.id = c.assignee_id ",
            "WHERE (?1 IS NULL OR c.status = ?1) ",
            "AND (?2 IS NULL OR c.destination_country = ?2) ",
            "AND (?3 IS NULL OR c.sector = ?3) ",
            "AND (?4 IS NULL OR EXISTS (SELECT 1 FROM case_indicators x ",
            "WHERE x.case_id = c.id AND x.indicator = ?4)) ",
            "AND (?5 IS NULL OR instr(c.recruiter_norm, ?5) > 0 OR c.recruiter_licence = ?6) ",
            "AND (?7 IS NULL OR c.received_at >= ?7) ",
            "AND (?8 IS NULL OR c.received_at < ?8) ",
            "AND (?9 IS NULL OR instr(c.search_text, ?9) > 0) ",
            "ORDER BY c.received_at DESC, c.id DESC LIMIT ?10 OFFSET ?11"
        );
        let rows = bind_filter(sqlx::query(sql), filter)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(summary_from_row).collect()
    }

    pub async fn count_cases(&self, filter: &CaseFilter) -> Result<u64> {
        let sql = concat!(
            "SELECT count(*) FROM cases c ",
            "WHERE (?1 IS NULL OR c.status = ?1) ",
            "AND (?2 IS NULL OR c.destination_country = ?2) ",
            "AND (?3 IS NULL OR c.sector = ?3) ",
            "AND (?4 IS NULL OR EXISTS (SELECT 1 FROM case_indicators x ",
            "WHERE x.case_id = c.id AND x.indicator = ?4)) ",
            "AND (?5 IS NULL OR instr(c.recruiter_norm, ?5) > 0 OR c.recruiter_licence = ?6) ",
            "AND (?7 IS NULL OR c.received_at >= ?7) ",
            "AND (?8 IS NULL OR c.received_at < ?8) ",
            "AND (?9 IS NULL OR instr(c.search_text, ?9) > 0)"
        );
        let n: i64 = bind_filter(sqlx::query(sql), filter)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(n as u64)
    }

    /// Ids of every case that passes the filter (newest first), for exports.
    pub async fn filtered_case_ids(&self, filter: &CaseFilter) -> Result<Vec<i64>> {
        Ok(self
            .list_cases(filter, -1, 0)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect())
    }

    /// Destination countries and sectors present, for the filter drop-downs.
    pub async fn facets(&self) -> Result<(Vec<String>, Vec<String>)> {
        let dest: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT destination_country FROM cases ORDER BY 1")
                .fetch_all(&self.pool)
                .await?;
        let sectors: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT sector FROM cases WHERE sector IS NOT NULL ORDER BY 1",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok((dest, sectors))
    }

    pub async fn case(&self, id: i64) -> Result<CaseRecord> {
        let sql = concat!(
            "SELECT c.id, c.report_id, c.received_at, c.status, c.destination_country, ",
            "c.origin_country, c.sector, c.recruiter_name, c.language, c.referred_by, u.username, ",
            "c.problems, (SELECT group_concat(indicator, ',') FROM case_indicators i ",
            "WHERE i.case_id = c.id), ",
            "c.inbox_seq, c.plaintext, c.disclosed_tags, c.disclosed_consent, c.worker_status, ",
            "c.assignee_id, c.may_refer_inspectorate, c.may_refer_ngo, c.contact_wanted, ",
            "c.recruiter_norm, c.recruiter_licence, c.employer_norm, c.employer_licence, ",
            "c.acked_at, c.opened_with_key ",
            "FROM cases c LEFT JOIN users u ON u.id = c.assignee_id WHERE c.id = ?"
        );
        let row = sqlx::query(sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(DeskError::CaseNotFound)?;
        let problems: String = row.try_get(11)?;
        Ok(CaseRecord {
            summary: summary_from_row(&row)?,
            inbox_seq: row.try_get::<i64, _>(13)? as u64,
            plaintext: row.try_get(14)?,
            disclosed_tags: row.try_get(15)?,
            disclosed_consent: row.try_get(16)?,
            problems: serde_json::from_str(&problems).unwrap_or_default(),
            worker_status: row.try_get(17)?,
            assignee_id: row.try_get(18)?,
            may_refer_inspectorate: row.try_get::<i64, _>(19)? != 0,
            may_refer_ngo: row.try_get::<i64, _>(20)? != 0,
            contact_wanted: row.try_get::<i64, _>(21)? != 0,
            recruiter_norm: row.try_get(22)?,
            recruiter_licence: row.try_get(23)?,
            employer_norm: row.try_get(24)?,
            employer_licence: row.try_get(25)?,
            acked_at: row.try_get::<Option<i64>, _>(26)?.map(|v| v as u64),
            opened_with_key: row.try_get::<i64, _>(27)? as u32,
        })
    }

    pub async fn case_id_by_report(&self, report_id: &str) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM cases WHERE report_id = ?")
                .bind(report_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn events(&self, case_id: i64) -> Result<Vec<CaseEvent>> {
        let rows = sqlx::query(
            "SELECT at, actor, kind, detail FROM case_events WHERE case_id = ? ORDER BY id",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let detail: String = r.try_get(3)?;
                Ok(CaseEvent {
                    at: r.try_get::<i64, _>(0)? as u64,
                    actor: r.try_get(1)?,
                    kind: r.try_get(2)?,
                    detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
                })
            })
            .collect()
    }

    pub async fn add_event(
        &self,
        case_id: i64,
        actor: &str,
        kind: &str,
        detail: serde_json::Value,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO case_events (case_id, at, actor, kind, detail) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(case_id)
        .bind(now() as i64)
        .bind(actor)
        .bind(kind)
        .bind(detail.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn set_status(&self, case_id: i64, status: CaseStatus, actor: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE cases SET status = ?, worker_status = ? WHERE id = ?")
            .bind(status.as_str())
            .bind(status.worker_status().as_str())
            .bind(case_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO case_events (case_id, at, actor, kind, detail) VALUES (?, ?, ?, 'status', ?)",
        )
        .bind(case_id)
        .bind(now() as i64)
        .bind(actor)
        .bind(
            serde_json::json!({
                "status": status.as_str(),
                "worker_status": status.worker_status().as_str(),
            })
            .to_string(),
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn assign(
        &self,
        case_id: i64,
        user: Option<(i64, String)>,
        actor: &str,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE cases SET assignee_id = ? WHERE id = ?")
            .bind(user.as_ref().map(|u| u.0))
            .bind(case_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO case_events (case_id, at, actor, kind, detail) \
             VALUES (?, ?, ?, 'assignment', ?)",
        )
        .bind(case_id)
        .bind(now() as i64)
        .bind(actor)
        .bind(serde_json::json!({ "assignee": user.map(|u| u.1) }).to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Cases naming the same recruiter or employer (normalised name or licence number).
    pub async fn linked_cases(&self, case: &CaseRecord) -> Result<Vec<LinkedCase>> {
        let sql = concat!(
            "SELECT id, report_id, received_at, ",
            "CASE WHEN ?2 IS NOT NULL AND recruiter_licence = ?2 THEN 'recruiter_licence' ",
            "WHEN ?1 IS NOT NULL AND recruiter_norm = ?1 THEN 'recruiter_name' ",
            "WHEN ?4 IS NOT NULL AND employer_licence = ?4 THEN 'employer_licence' ",
            "ELSE 'employer_name' END ",
            "FROM cases WHERE id != ?5 AND (",
            "(?1 IS NOT NULL AND recruiter_norm = ?1) OR (?2 IS NOT NULL AND recruiter_licence = ?2) ",
            "OR (?3 IS NOT NULL AND employer_norm = ?3) OR (?4 IS NOT NULL AND employer_licence = ?4)) ",
            "ORDER BY received_at DESC LIMIT 50"
        );
        let rows = sqlx::query(sql)
            .bind(&case.recruiter_norm)
            .bind(&case.recruiter_licence)
            .bind(&case.employer_norm)
            .bind(&case.employer_licence)
            .bind(case.summary.id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(LinkedCase {
                    id: r.try_get(0)?,
                    report_id: r.try_get(1)?,
                    received_at: r.try_get::<i64, _>(2)? as u64,
                    reason: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// Every row the dashboard aggregates, in one pass.
    pub async fn insight_rows(&self) -> Result<Vec<InsightRow>> {
        let rows = sqlx::query(concat!(
            "SELECT c.id, c.received_at, c.origin_country, c.destination_country, ",
            "c.recruiter_name, c.recruiter_norm, c.wage_minor, c.wage_currency, ",
            "(SELECT group_concat(indicator, ',') FROM case_indicators i WHERE i.case_id = c.id), ",
            "(SELECT group_concat(currency || ':' || total_minor, ',') FROM case_fees f ",
            "WHERE f.case_id = c.id) FROM cases c"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let indicators: Option<String> = r.try_get(8)?;
                let fees: Option<String> = r.try_get(9)?;
                let wage_minor: Option<i64> = r.try_get(6)?;
                let wage_currency: Option<String> = r.try_get(7)?;
                Ok(InsightRow {
                    received_at: r.try_get::<i64, _>(1)? as u64,
                    origin: r.try_get(2)?,
                    destination: r.try_get(3)?,
                    recruiter_name: r.try_get(4)?,
                    recruiter_norm: r.try_get(5)?,
                    wage: wage_minor.zip(wage_currency).map(|(a, c)| (a as u64, c)),
                    indicators: indicators
                        .map(|s| s.split(',').map(str::to_string).collect())
                        .unwrap_or_default(),
                    fees: fees
                        .map(|s| {
                            s.split(',')
                                .filter_map(|p| {
                                    let (c, a) = p.split_once(':')?;
                                    Some((c.to_string(), u64::from_str(a).ok()?))
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                })
            })
            .collect()
    }
}

/// The facts of one case the dashboard aggregates.
#[derive(Debug, Clone)]
pub struct InsightRow {
    pub received_at: u64,
    pub origin: Option<String>,
    pub destination: String,
    pub recruiter_name: Option<String>,
    pub recruiter_norm: Option<String>,
    pub wage: Option<(u64, String)>,
    pub indicators: Vec<String>,
    /// Total fees per currency.
    pub fees: Vec<(String, u64)>,
}

type SqliteQuery<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

fn bind_filter<'q>(query: SqliteQuery<'q>, f: &CaseFilter) -> SqliteQuery<'q> {
    let recruiter = f
        .recruiter
        .as_deref()
        .map(normalise_party_name)
        .filter(|s| !s.is_empty());
    let licence = f
        .recruiter
        .as_deref()
        .map(normalise_licence)
        .filter(|s| !s.is_empty());
    let text = f
        .text
        .as_deref()
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty());
    // A recruiter filter whose name normalises to nothing still filters by licence.
    let recruiter_key = recruiter.or_else(|| licence.as_ref().map(|_| "\u{0}".to_string()));
    query
        .bind(f.status.map(|s| s.as_str()))
        .bind(f.destination.clone())
        .bind(f.sector.clone())
        .bind(f.indicator.clone())
        .bind(recruiter_key)
        .bind(licence)
        .bind(f.received_from.map(|v| v as i64))
        .bind(f.received_until.map(|v| v as i64))
        .bind(text)
}

async fn insert_key(tx: &mut sqlx::SqliteConnection, key: &KeyRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO keyring (version, public_key, sealed_private_key, created_at) \
         VALUES (?, ?, ?, ?)",
    )
    .bind(key.version as i64)
    .bind(&key.public_key)
    .bind(&key.sealed_private_key)
    .bind(key.created_at as i64)
    .execute(tx)
    .await?;
    Ok(())
}

async fn insert_case(tx: &mut sqlx::SqliteConnection, case: &NewCase, at: i64) -> Result<Stored> {
    let r = &case.report;
    let party = |p: &Option<workvoice_proto::report::NamedParty>| {
        p.as_ref().map(|p| {
            (
                p.name.clone(),
                normalise_party_name(&p.name),
                p.licence_number
                    .as_deref()
                    .map(normalise_licence)
                    .filter(|l| !l.is_empty()),
            )
        })
    };
    let recruiter = party(&r.recruiter);
    let employer = party(&r.employer);
    let wage = r
        .monthly_wage
        .as_ref()
        .or(r.job.actual.monthly_wage.as_ref());
    let result = sqlx::query(concat!(
        "INSERT INTO cases (report_id, inbox_seq, received_at, stored_at, referred_by, ",
        "disclosed_tags, disclosed_consent, plaintext, opened_with_key, problems, ",
        "destination_country, origin_country, sector, language, recruiter_name, recruiter_norm, ",
        "recruiter_licence, employer_name, employer_norm, employer_licence, ",
        "may_refer_inspectorate, may_refer_ngo, contact_wanted, wage_minor, wage_currency, ",
        "search_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ",
        "?, ?, ?) ON CONFLICT (report_id) DO NOTHING"
    ))
    .bind(r.report_id.to_hex())
    .bind(case.entry_seq as i64)
    .bind(case.received_at as i64)
    .bind(at)
    .bind(&case.referred_by)
    .bind(&case.disclosed_tags)
    .bind(&case.disclosed_consent)
    .bind(&case.plaintext)
    .bind(case.opened_with_key as i64)
    .bind(json(&case.problems))
    .bind(&r.destination_country)
    .bind(&r.origin_country)
    .bind(r.sector.map(|s| s.letter().to_string()))
    .bind(&r.language)
    .bind(recruiter.as_ref().map(|p| p.0.clone()))
    .bind(recruiter.as_ref().map(|p| p.1.clone()))
    .bind(recruiter.as_ref().and_then(|p| p.2.clone()))
    .bind(employer.as_ref().map(|p| p.0.clone()))
    .bind(employer.as_ref().map(|p| p.1.clone()))
    .bind(employer.as_ref().and_then(|p| p.2.clone()))
    .bind(case.consent.inspectorate)
    .bind(case.consent.ngo)
    .bind(case.consent.contact_wanted)
    .bind(wage.map(|w| w.amount_minor as i64))
    .bind(wage.map(|w| w.currency.clone()))
    .bind(case.search_text())
    .execute(&mut *tx)
    .await?;
    if result.rows_affected() == 0 {
        return Ok(Stored::AlreadyStored);
    }
    let case_id = result.last_insert_rowid();
    for indicator in &r.indicators {
        sqlx::query(
            "INSERT INTO case_indicators (case_id, indicator) VALUES (?, ?) \
             ON CONFLICT DO NOTHING",
        )
        .bind(case_id)
        .bind(indicator.as_str())
        .execute(&mut *tx)
        .await?;
    }
    let mut totals: std::collections::BTreeMap<&str, u64> = Default::default();
    for fee in &r.fees {
        let t = totals.entry(fee.amount.currency.as_str()).or_default();
        *t = t.saturating_add(fee.amount.amount_minor);
    }
    for (currency, total) in totals {
        sqlx::query("INSERT INTO case_fees (case_id, currency, total_minor) VALUES (?, ?, ?)")
            .bind(case_id)
            .bind(currency)
            .bind(total.min(i64::MAX as u64) as i64)
            .execute(&mut *tx)
            .await?;
    }
    let detail = serde_json::json!({
        "inbox_seq": case.entry_seq,
        "referred_by": case.referred_by,
        "problems": case.problems.len(),
    });
    sqlx::query(
        "INSERT INTO case_events (case_id, at, actor, kind, detail) VALUES (?, ?, NULL, 'received', ?)",
    )
    .bind(case_id)
    .bind(at)
    .bind(detail.to_string())
    .execute(&mut *tx)
    .await?;
    Ok(Stored::New)
}
