//! Persistence through sqlx on SQLite (default) or PostgreSQL, one type for both.
//!
//! Every statement is written once in SQL that both engines accept (`$n` placeholders,
//! `ON CONFLICT`, `RETURNING`) and runs through sqlx's `Any` driver. On SQLite, writes go
//! through a pool of exactly one connection (WAL, `synchronous = FULL`: every commit is
//! fsynced to the WAL before it returns, so an answer given after a commit survives a power
//! cut), so write transactions never race for the lock; reads use their own pool. On
//! PostgreSQL both are the same pool, and [`Storage::connect`] refuses a server whose
//! `synchronous_commit` would let a commit return before its WAL record is flushed.
//!
//! **Invariant:** an organisation's inbox sequence number is allocated inside the delivering
//! transaction by `UPDATE organisations … RETURNING`, which holds the row lock until commit, so
//! cursor order equals commit order and a reader paging with `after = seq` never skips an entry.
//!
//! [`Storage`] is one type whose methods are split by aggregate, one `impl Storage` block a
//! file: here connecting, migrating, settings and inspection; `organisation.rs`,
//! `directory.rs`, `submission.rs` (submissions and the inbox), `withdrawal.rs`, `mailbox.rs`,
//! `attachment.rs`, `retention.rs`, `escrow.rs` and `export.rs`; the group commit behind
//! [`Storage::store_submission`] in `group.rs`, the migration checks in `schema.rs`.

mod attachment;
mod directory;
mod escrow;
mod export;
mod group;
mod mailbox;
mod organisation;
mod retention;
mod schema;
pub mod sql;
mod submission;
mod token;
mod withdrawal;

pub use attachment::{AttachmentRow, ChunkOutcome};
pub use directory::StoredDirectory;
pub use escrow::{
    EscrowOutcome, EscrowReportOutcome, EscrowReportRegistration, EscrowWithdrawal, NewEscrow,
    OprfAnswerOutcome, OprfQueueOutcome, QueuedOprf, QueuedOprfState, ReleasedGroup,
};
pub use export::{CopyCounts, ExportHeader};
pub use group::{GroupCommitStats, MAX_BATCH, MAX_BATCH_BYTES};
pub use mailbox::{InsertOutcome, MailboxRef, MailboxRow};
pub use organisation::OrgRecord;
pub use retention::{PurgeCounts, Retention};
pub use schema::{ColumnKind, MIGRATIONS_TABLE, MigrationName, SchemaStatus, known_migrations};
pub use submission::{AckOutcome, InboxRow, NewAttachment, NewSubmission, StoreOutcome};
pub use token::{InviteHash, IssueOutcome, SpendOutcome, TokenSpend};
pub use withdrawal::{MAX_WITHDRAWAL_SECRETS, WithdrawalOutcome};

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{Any, AnyPool, Row, SqlSafeStr};
use workvoice_proto::keys::{ct_eq, sha256};

/// Which engine a [`Storage`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL (expected sqlite: or postgres://)")]
    UnsupportedUrl,
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("the submission writer has stopped (the relay is shutting down)")]
    WriterStopped,
    #[error(
        "PostgreSQL has {0}: a commit could be answered before it is on stable storage; the \
         relay needs synchronous_commit = on (for its database or role) and fsync = on"
    )]
    NotDurable(String),
    #[error(
        "the database was upgraded by a newer relay: migration {applied} is applied, and this \
         relay (workvoice-relay {version}) knows migrations up to {known}. Downgrades are \
         refused: run the newer release again, or restore a backup taken before the upgrade",
        version = env!("CARGO_PKG_VERSION")
    )]
    Downgrade { applied: String, known: String },
    #[error(
        "migration {0} was changed after it was applied to this database; this binary was \
         built from altered sources and will not run on it"
    )]
    MigrationChanged(String),
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// The relay's database.
#[derive(Debug, Clone)]
pub struct Storage {
    writer: AnyPool,
    reader: AnyPool,
    backend: Backend,
    submissions: group::GroupCommit,
    /// Deleted content may still be in WAL frames: the next retention pass checkpoints.
    scrub_pending: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// Submission writers on PostgreSQL (SQLite has one writer connection, so one writer).
const POSTGRES_SUBMISSION_WRITERS: usize = 2;

/// The first eight bytes of a secret's hash, as an index key. The full hash is then compared
/// in constant time, so the database index never decides equality of a secret.
pub fn lookup_key(hash: &[u8; 32]) -> i64 {
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash[..8]);
    i64::from_be_bytes(first)
}

fn migrations(backend: Backend) -> Migrator {
    let files: [(i64, &'static str, &'static str); 7] = match backend {
        Backend::Sqlite => [
            (
                1,
                "initial",
                include_str!("../../migrations/sqlite/0001_initial.sql"),
            ),
            (
                2,
                "report routes",
                include_str!("../../migrations/sqlite/0002_report_routes.sql"),
            ),
            (
                3,
                "withdrawals",
                include_str!("../../migrations/sqlite/0003_withdrawals.sql"),
            ),
            (
                4,
                "escrow",
                include_str!("../../migrations/sqlite/0004_escrow.sql"),
            ),
            (
                5,
                "escrow oprf",
                include_str!("../../migrations/sqlite/0005_escrow_oprf.sql"),
            ),
            (
                6,
                "escrow reports",
                include_str!("../../migrations/sqlite/0006_escrow_reports.sql"),
            ),
            (
                7,
                "escrow tokens",
                include_str!("../../migrations/sqlite/0007_escrow_tokens.sql"),
            ),
        ],
        Backend::Postgres => [
            (
                1,
                "initial",
                include_str!("../../migrations/postgres/0001_initial.sql"),
            ),
            (
                2,
                "report routes",
                include_str!("../../migrations/postgres/0002_report_routes.sql"),
            ),
            (
                3,
                "withdrawals",
                include_str!("../../migrations/postgres/0003_withdrawals.sql"),
            ),
            (
                4,
                "escrow",
                include_str!("../../migrations/postgres/0004_escrow.sql"),
            ),
            (
                5,
                "escrow oprf",
                include_str!("../../migrations/postgres/0005_escrow_oprf.sql"),
            ),
            (
                6,
                "escrow reports",
                include_str!("../../migrations/postgres/0006_escrow_reports.sql"),
            ),
            (
                7,
                "escrow tokens",
                include_str!("../../migrations/postgres/0007_escrow_tokens.sql"),
            ),
        ],
    };
    let mut migrator = Migrator::DEFAULT;
    migrator.migrations = Cow::Owned(
        files
            .into_iter()
            .map(|(version, name, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(name),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    );
    migrator
}

fn u(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn i(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Storage {
    /// Connect to `url` (`sqlite://path?mode=rwc` or `postgres://…`).
    pub async fn connect(url: &str, max_connections: u32) -> Result<Storage> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url).ok_or(StorageError::UnsupportedUrl)?;
        match backend {
            Backend::Sqlite => {
                let options = || {
                    AnyPoolOptions::new()
                        .acquire_timeout(Duration::from_secs(30))
                        .after_connect(|conn, _| {
                            Box::pin(async move {
                                sqlx::query::<Any>("PRAGMA journal_mode = WAL")
                                    .execute(&mut *conn)
                                    .await?;
                                sqlx::query::<Any>("PRAGMA synchronous = FULL")
                                    .execute(&mut *conn)
                                    .await?;
                                sqlx::query::<Any>("PRAGMA busy_timeout = 10000")
                                    .execute(&mut *conn)
                                    .await?;
                                // Deleted content is overwritten with zeros in the file.
                                sqlx::query::<Any>("PRAGMA secure_delete = ON")
                                    .execute(&mut *conn)
                                    .await?;
                                Ok(())
                            })
                        })
                };
                // A local file does not go stale: no ping before every write transaction.
                let writer = options()
                    .max_connections(1)
                    .test_before_acquire(false)
                    .connect(url)
                    .await?;
                let reader = options()
                    .max_connections(max_connections.max(2))
                    .connect(url)
                    .await?;
                Ok(Storage {
                    submissions: group::GroupCommit::start(writer.clone(), 1, true),
                    writer,
                    reader,
                    backend,
                    scrub_pending: Default::default(),
                })
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(max_connections.max(2))
                    .acquire_timeout(Duration::from_secs(30))
                    .connect(url)
                    .await?;
                check_synchronous_commit(&pool).await?;
                let writers = POSTGRES_SUBMISSION_WRITERS.min(max_connections.max(2) as usize / 2);
                Ok(Storage {
                    submissions: group::GroupCommit::start(pool.clone(), writers, false),
                    writer: pool.clone(),
                    reader: pool,
                    backend,
                    scrub_pending: Default::default(),
                })
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Apply the numbered migrations of this backend.
    /// Refuses a database that a newer relay migrated (see [`Storage::schema_status`]).
    pub async fn migrate(&self) -> Result<()> {
        self.schema_status().await?;
        migrations(self.backend).run(&self.writer).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }

    /// The database's size in bytes (SQLite: pages in the file; PostgreSQL: the database).
    pub async fn size_bytes(&self) -> Result<u64> {
        let statement = match self.backend {
            Backend::Sqlite => {
                "SELECT c.page_count * s.page_size FROM pragma_page_count() c, pragma_page_size() s"
            }
            Backend::Postgres => "SELECT pg_database_size(current_database())",
        };
        let row = sqlx::query::<Any>(statement)
            .fetch_one(&self.reader)
            .await?;
        Ok(u(row.try_get(0)?))
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query::<Any>("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    pub async fn setting(&self, name: &str) -> Result<Option<String>> {
        let row = sqlx::query::<Any>("SELECT value FROM relay_settings WHERE name = $1")
            .bind(name.to_string())
            .fetch_optional(&self.reader)
            .await?;
        Ok(match row {
            Some(row) => Some(row.try_get("value")?),
            None => None,
        })
    }

    pub async fn set_setting(&self, name: &str, value: &str) -> Result<()> {
        sqlx::query::<Any>(
            "INSERT INTO relay_settings (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name.to_string())
        .bind(value.to_string())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// The row `statement` finds under `lookup_key(token_hash)` whose `token_hash` column
    /// equals `token_hash`, compared in constant time against every candidate (the last
    /// match wins), so the database index never decides equality of a secret.
    async fn row_by_token(
        &self,
        statement: &'static str,
        token_hash: &[u8; 32],
    ) -> Result<Option<AnyRow>> {
        let rows = sqlx::query::<Any>(statement)
            .bind(lookup_key(token_hash))
            .fetch_all(&self.reader)
            .await?;
        let mut found = None;
        for row in rows {
            let stored: Vec<u8> = row.try_get("token_hash")?;
            if ct_eq(&stored, token_hash) {
                found = Some(row);
            }
        }
        Ok(found)
    }

    /// Row count of every table.
    pub async fn table_counts(&self) -> Result<BTreeMap<&'static str, i64>> {
        let mut out = BTreeMap::new();
        for (table, statement) in sql::COUNT_TABLES {
            let row = sqlx::query::<Any>(*statement)
                .fetch_one(&self.reader)
                .await?;
            out.insert(*table, row.try_get::<i64, _>(0)?);
        }
        Ok(out)
    }

    /// A digest of every row of every table, to show that a refused request changed nothing.
    pub async fn content_digest(&self) -> Result<String> {
        let mut text = String::new();
        for (table, statement) in sql::DUMP_TABLES {
            let rows = sqlx::query::<Any>(*statement)
                .fetch_all(&self.reader)
                .await?;
            text.push_str(table);
            text.push('\n');
            for row in rows {
                for n in 0..row.len() {
                    let cell = if let Ok(v) = row.try_get::<Option<i64>, _>(n) {
                        format!("{v:?}")
                    } else if let Ok(v) = row.try_get::<Option<String>, _>(n) {
                        format!("{v:?}")
                    } else if let Ok(v) = row.try_get::<Option<Vec<u8>>, _>(n) {
                        format!("{:?}", v.map(hex::encode))
                    } else {
                        "?".to_string()
                    };
                    text.push_str(&cell);
                    text.push('|');
                }
                text.push('\n');
            }
        }
        Ok(hex::encode(sha256(&[text.as_bytes()]).0))
    }
}

/// Refuse a PostgreSQL server that may answer a commit before its WAL record is flushed to
/// the server's own disk. `on`, `remote_write`, `remote_apply` and `local` all wait for that
/// local flush (they differ only in what they wait for on standbys); `off` does not. A server
/// with `fsync = off` flushes nothing, whatever `synchronous_commit` says.
async fn check_synchronous_commit(pool: &AnyPool) -> Result<()> {
    let row = sqlx::query::<Any>("SHOW synchronous_commit")
        .fetch_one(pool)
        .await?;
    let value: String = row.try_get(0)?;
    if !matches!(
        value.as_str(),
        "on" | "remote_apply" | "remote_write" | "local"
    ) {
        return Err(StorageError::NotDurable(format!(
            "synchronous_commit = {value}"
        )));
    }
    let row = sqlx::query::<Any>("SHOW fsync").fetch_one(pool).await?;
    let fsync: String = row.try_get(0)?;
    if fsync != "on" {
        return Err(StorageError::NotDurable(format!("fsync = {fsync}")));
    }
    Ok(())
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => db.is_unique_violation(),
        _ => false,
    }
}
