//! The desk's SQLite database (sqlx, numbered migrations in `desk/migrations/`).
//!
//! **Invariant:** a page of the inbox is stored in one transaction together with the new
//! cursor, so the cursor never moves past a case that is not durably stored; acknowledgements
//! are sent only for rows whose transaction committed (`synchronous = FULL`).
//!
//! One file per aggregate: `keys.rs` (vault, keyring, enrolment), `sync.rs` (cursor,
//! directory pins, inbox pages, acknowledgements), `evidence.rs` (attachments, undecryptable
//! entries), `alarms.rs`, `users.rs` (caseworkers, sessions, sign-in delays), `cases.rs` and
//! `insight.rs` (the dashboard's rows), `escrow.rs` (the OPRF seed, released escrow groups and
//! their members, the unreleased total).

use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, SqlitePool};

use crate::error::{DeskError, Result};
use crate::secrets::DatabaseKey;

mod alarms;
mod cases;
mod escrow;
mod evidence;
mod insight;
mod keys;
mod sync;
mod users;

pub use alarms::Alarm;
pub use cases::{CaseEvent, CaseFilter, CaseRecord, CaseSummary, LinkedCase};
pub use escrow::{
    EscrowGroupRow, EscrowMember, EscrowPlacement, PendingReplyChannel, REPLY_CHANNEL_REGISTERED,
};
pub use evidence::StoredAttachment;
pub use insight::InsightRow;
pub use keys::{EnrolmentRow, KeyRow, VaultRow};
pub use sync::{Stored, Undecryptable};
pub use users::{SessionRow, UserRow};

/// The numbered migrations in `desk/migrations/`, embedded in the binary.
fn migrator() -> sqlx::migrate::Migrator {
    use sqlx::SqlSafeStr;
    use sqlx::migrate::{Migration, MigrationType, Migrator};
    Migrator::with_migrations(vec![
        Migration::new(
            1,
            "desk".into(),
            MigrationType::Simple,
            include_str!("../../migrations/0001_desk.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            2,
            "attachments".into(),
            MigrationType::Simple,
            include_str!("../../migrations/0002_attachments.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            3,
            "sign in".into(),
            MigrationType::Simple,
            include_str!("../../migrations/0003_sign_in.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            4,
            "directory pins".into(),
            MigrationType::Simple,
            include_str!("../../migrations/0004_directory_pins.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            5,
            "escrow".into(),
            MigrationType::Simple,
            include_str!("../../migrations/0005_escrow.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            6,
            "channel".into(),
            MigrationType::Simple,
            include_str!("../../migrations/0006_channel.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            7,
            "escrow oprf budget".into(),
            MigrationType::Simple,
            include_str!("../../migrations/0007_escrow_oprf_budget.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            8,
            "escrow reply channel".into(),
            MigrationType::Simple,
            include_str!("../../migrations/0008_escrow_reply_channel.sql").into_sql_str(),
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
}
