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

mod escrow;
mod export;
mod group;
mod schema;
pub mod sql;

pub use escrow::{EscrowOutcome, EscrowWithdrawal, NewEscrow, ReleasedGroup};
pub use export::{CopyCounts, ExportHeader};
pub use group::{GroupCommitStats, MAX_BATCH, MAX_BATCH_BYTES};
pub use schema::{ColumnKind, MIGRATIONS_TABLE, MigrationName, SchemaStatus, known_migrations};

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{Any, AnyPool, Row, SqlSafeStr};
use workvoice_proto::api::Withdrawal;
use workvoice_proto::keys::{OrgId, ReportId, ct_eq, sha256};

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
    let files: [(i64, &'static str, &'static str); 4] = match backend {
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

/// An organisation as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRecord {
    pub id: OrgId,
    pub kind: String,
    /// JSON of [`crate::domain::OrgProfile`].
    pub profile: String,
    /// JSON of the root-signed certificate, once set.
    pub certificate: Option<String>,
}

/// A published directory as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDirectory {
    pub version: u64,
    pub issued_at: u64,
    pub expires_at: u64,
    pub listing: String,
    pub served: String,
}

/// A submission to store and deliver in one transaction.
#[derive(Debug, Clone)]
pub struct NewSubmission {
    pub id: ReportId,
    pub request_hash: [u8; 32],
    pub response: String,
    pub directory_version: u64,
    pub tags: String,
    pub consent: String,
    pub received_hour: u64,
    pub envelope: Vec<u8>,
    pub mailbox_hash: [u8; 32],
    /// Sorted and without duplicates.
    pub recipients: Vec<OrgId>,
    pub attachments: Vec<NewAttachment>,
}

#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub id: String,
    pub size: u64,
    pub sha256: [u8; 32],
}

/// What became of a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreOutcome {
    Stored,
    /// The id was stored before: its request hash and answer.
    Existing {
        request_hash: Vec<u8>,
        response: String,
    },
    /// Another report already uses this mailbox token.
    MailboxInUse,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxRow {
    pub seq: u64,
    pub report_id: String,
    pub referred_by: Option<String>,
    pub acknowledged: bool,
    pub envelope: Vec<u8>,
    pub received_hour: u64,
    pub tags: String,
    pub consent: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRow {
    pub id: String,
    pub size: u64,
    pub sha256: Vec<u8>,
    pub received: u64,
    pub complete: bool,
}

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
pub enum AckOutcome {
    Acknowledged,
    AlreadyAcknowledged,
    NotFound,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkOutcome {
    Progress { received: u64, complete: bool },
    OffsetMismatch { received: u64 },
    TooLarge,
    DigestMismatch,
    NotFound,
}

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

    // ----- organisations -----

    pub async fn insert_organisation(
        &self,
        id: &OrgId,
        kind: &str,
        profile: &str,
        token_hash: &[u8; 32],
        now: u64,
    ) -> Result<bool> {
        let done = sqlx::query::<Any>(sql::INSERT_ORGANISATION)
            .bind(id.to_hex())
            .bind(kind.to_string())
            .bind(profile.to_string())
            .bind(lookup_key(token_hash))
            .bind(token_hash.to_vec())
            .bind(i(now))
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn update_organisation_profile(&self, id: &OrgId, profile: &str) -> Result<bool> {
        let done = sqlx::query::<Any>("UPDATE organisations SET profile = $1 WHERE id = $2")
            .bind(profile.to_string())
            .bind(id.to_hex())
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn set_organisation_certificate(
        &self,
        id: &OrgId,
        certificate: &str,
    ) -> Result<bool> {
        let done = sqlx::query::<Any>("UPDATE organisations SET certificate = $1 WHERE id = $2")
            .bind(certificate.to_string())
            .bind(id.to_hex())
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn set_organisation_token(&self, id: &OrgId, token_hash: &[u8; 32]) -> Result<bool> {
        let done = sqlx::query::<Any>(
            "UPDATE organisations SET token_lookup = $1, token_hash = $2 WHERE id = $3",
        )
        .bind(lookup_key(token_hash))
        .bind(token_hash.to_vec())
        .bind(id.to_hex())
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    fn org_from_row(row: &AnyRow) -> Result<OrgRecord> {
        let id: String = row.try_get("id")?;
        Ok(OrgRecord {
            id: OrgId::from_hex(&id)
                .ok_or_else(|| StorageError::Corrupt(format!("org id {id}")))?,
            kind: row.try_get("kind")?,
            profile: row.try_get("profile")?,
            certificate: row.try_get("certificate")?,
        })
    }

    pub async fn organisations(&self) -> Result<Vec<OrgRecord>> {
        let rows = sqlx::query::<Any>(
            "SELECT id, kind, profile, certificate FROM organisations ORDER BY created_at, id",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(Self::org_from_row).collect()
    }

    pub async fn organisation(&self, id: &OrgId) -> Result<Option<OrgRecord>> {
        let row = sqlx::query::<Any>(
            "SELECT id, kind, profile, certificate FROM organisations WHERE id = $1",
        )
        .bind(id.to_hex())
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(Self::org_from_row).transpose()
    }

    /// The organisation whose API token hashes to `token_hash`, compared in constant time.
    pub async fn organisation_by_token(&self, token_hash: &[u8; 32]) -> Result<Option<OrgId>> {
        let rows =
            sqlx::query::<Any>("SELECT id, token_hash FROM organisations WHERE token_lookup = $1")
                .bind(lookup_key(token_hash))
                .fetch_all(&self.reader)
                .await?;
        let mut found = None;
        for row in rows {
            let stored: Vec<u8> = row.try_get("token_hash")?;
            if ct_eq(&stored, token_hash) {
                let id: String = row.try_get("id")?;
                found = OrgId::from_hex(&id);
            }
        }
        Ok(found)
    }

    // ----- settings -----

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

    // ----- directories -----

    pub async fn latest_directory_version(&self) -> Result<Option<u64>> {
        let row = sqlx::query::<Any>("SELECT MAX(version) AS v FROM directories")
            .fetch_one(&self.reader)
            .await?;
        let v: Option<i64> = row.try_get("v")?;
        Ok(v.map(u))
    }

    pub async fn latest_directory(&self) -> Result<Option<StoredDirectory>> {
        let row = sqlx::query::<Any>(
            "SELECT version, issued_at, expires_at, listing, served FROM directories \
             ORDER BY version DESC LIMIT 1",
        )
        .fetch_optional(&self.reader)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(StoredDirectory {
            version: u(row.try_get("version")?),
            issued_at: u(row.try_get("issued_at")?),
            expires_at: u(row.try_get("expires_at")?),
            listing: row.try_get("listing")?,
            served: row.try_get("served")?,
        }))
    }

    /// Store a newly published directory; `false` when that version exists already.
    pub async fn insert_directory(&self, d: &StoredDirectory) -> Result<bool> {
        let done = sqlx::query::<Any>(
            "INSERT INTO directories (version, issued_at, expires_at, listing, served) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (version) DO NOTHING",
        )
        .bind(i(d.version))
        .bind(i(d.issued_at))
        .bind(i(d.expires_at))
        .bind(d.listing.clone())
        .bind(d.served.clone())
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    // ----- submissions -----

    pub async fn submission_answer(&self, id: &ReportId) -> Result<Option<(Vec<u8>, String)>> {
        let row = sqlx::query::<Any>(sql::SUBMISSION_ANSWER)
            .bind(id.to_hex())
            .fetch_optional(&self.reader)
            .await?;
        Ok(match row {
            Some(row) => Some((row.try_get("request_hash")?, row.try_get("response")?)),
            None => None,
        })
    }

    /// Store the ciphertext once, create the mailbox with a `delivered` entry per recipient and
    /// put the report in every recipient's inbox, all in one transaction — shared with the
    /// submissions queued at the same time (group commit, see `group.rs`). Returns once that
    /// transaction has committed.
    pub async fn store_submission(&self, s: NewSubmission) -> Result<StoreOutcome> {
        self.submissions.store(s).await
    }

    /// How submissions were grouped into transactions so far (this process).
    pub fn group_commit_stats(&self) -> GroupCommitStats {
        self.submissions.counters.snapshot()
    }

    // ----- inbox -----

    pub async fn inbox_page(&self, org: &OrgId, after: u64, limit: u32) -> Result<Vec<InboxRow>> {
        let rows = sqlx::query::<Any>(
            "SELECT i.seq, i.report_id, i.referred_by, i.acknowledged_hour, \
                    COALESCE(i.envelope, s.envelope) AS envelope, s.received_hour, s.tags, s.consent \
             FROM inbox i JOIN submissions s ON s.id = i.report_id \
             WHERE i.org_id = $1 AND i.seq > $2 ORDER BY i.seq LIMIT $3",
        )
        .bind(org.to_hex())
        .bind(i(after))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                let acked: Option<i64> = row.try_get("acknowledged_hour")?;
                let envelope: Option<Vec<u8>> = row.try_get("envelope")?;
                Ok(InboxRow {
                    seq: u(row.try_get("seq")?),
                    report_id: row.try_get("report_id")?,
                    referred_by: row.try_get("referred_by")?,
                    acknowledged: acked.is_some(),
                    envelope: envelope.unwrap_or_default(),
                    received_hour: u(row.try_get("received_hour")?),
                    tags: row.try_get("tags")?,
                    consent: row.try_get("consent")?,
                })
            })
            .collect()
    }

    /// Whether `org` has `report` in its inbox.
    pub async fn in_inbox(&self, org: &OrgId, report: &ReportId) -> Result<bool> {
        let row = sqlx::query::<Any>("SELECT seq FROM inbox WHERE org_id = $1 AND report_id = $2")
            .bind(org.to_hex())
            .bind(report.to_hex())
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.is_some())
    }

    /// Whether `org` may still write to `report`'s mailbox: the report is in its inbox, or was
    /// and its ciphertext has been purged (a routing row remains while the mailbox lives).
    pub async fn holds_report(&self, org: &OrgId, report: &ReportId) -> Result<bool> {
        let row = sqlx::query::<Any>(sql::HOLDS_REPORT)
            .bind(org.to_hex())
            .bind(report.to_hex())
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.is_some())
    }

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

    /// The tags and consent a report was submitted with.
    pub async fn report_disclosure(&self, report: &ReportId) -> Result<Option<(String, String)>> {
        let row = sqlx::query::<Any>("SELECT tags, consent FROM submissions WHERE id = $1")
            .bind(report.to_hex())
            .fetch_optional(&self.reader)
            .await?;
        Ok(match row {
            Some(row) => Some((row.try_get("tags")?, row.try_get("consent")?)),
            None => None,
        })
    }

    pub async fn attachments_of(&self, report: &str) -> Result<Vec<AttachmentRow>> {
        let rows = sqlx::query::<Any>(
            "SELECT id, size, sha256, received, complete FROM attachments \
             WHERE report_id = $1 ORDER BY id",
        )
        .bind(report.to_string())
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(attachment_from_row).collect()
    }

    /// Mark `report` acknowledged by `org` and tell the worker's mailbox, once.
    pub async fn acknowledge(
        &self,
        org: &OrgId,
        report: &ReportId,
        hour: u64,
    ) -> Result<AckOutcome> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query::<Any>(
            "UPDATE inbox SET acknowledged_hour = $1 \
             WHERE org_id = $2 AND report_id = $3 AND acknowledged_hour IS NULL",
        )
        .bind(i(hour))
        .bind(org.to_hex())
        .bind(report.to_hex())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let exists =
                sqlx::query::<Any>("SELECT seq FROM inbox WHERE org_id = $1 AND report_id = $2")
                    .bind(org.to_hex())
                    .bind(report.to_hex())
                    .fetch_optional(&mut *tx)
                    .await?;
            tx.rollback().await?;
            return Ok(if exists.is_some() {
                AckOutcome::AlreadyAcknowledged
            } else {
                AckOutcome::NotFound
            });
        }
        add_mailbox_entry(
            &mut tx,
            report,
            org,
            hour,
            MailboxItemRow::Status {
                status: "acknowledged",
                sealed: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(AckOutcome::Acknowledged)
    }

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
        let added = add_mailbox_entry(
            &mut tx,
            report,
            org,
            hour,
            MailboxItemRow::Status { status, sealed },
        )
        .await;
        finish_message_insert(tx, added).await
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
        let mut tx = self.writer.begin().await?;
        if !holds_report_tx(&mut tx, org, report).await? {
            tx.rollback().await?;
            return Ok(InsertOutcome::NotFound);
        }
        if let Some(outcome) = stored_message(&mut tx, message_id, sealed).await? {
            tx.rollback().await?;
            return Ok(outcome);
        }
        let added = add_mailbox_entry(
            &mut tx,
            report,
            org,
            hour,
            MailboxItemRow::Reply { message_id, sealed },
        )
        .await;
        finish_message_insert(tx, added).await
    }

    /// Deliver a re-sealed envelope to `to`'s inbox, marked as referred by `from`.
    pub async fn refer(
        &self,
        from: &OrgId,
        report: &ReportId,
        to: &OrgId,
        envelope: &[u8],
        hour: u64,
    ) -> Result<InsertOutcome> {
        let mut tx = self.writer.begin().await?;
        if !in_inbox_tx(&mut tx, from, report).await? {
            tx.rollback().await?;
            return Ok(InsertOutcome::NotFound);
        }
        let existing = sqlx::query::<Any>(
            "SELECT envelope, referred_by FROM inbox WHERE org_id = $1 AND report_id = $2",
        )
        .bind(to.to_hex())
        .bind(report.to_hex())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = existing {
            let stored: Option<Vec<u8>> = row.try_get("envelope")?;
            let by: Option<String> = row.try_get("referred_by")?;
            tx.rollback().await?;
            return Ok(
                if stored.as_deref() == Some(envelope) && by.as_deref() == Some(&from.to_hex()) {
                    InsertOutcome::Duplicate
                } else {
                    InsertOutcome::Conflict
                },
            );
        }
        let row = sqlx::query::<Any>(sql::NEXT_INBOX_SEQ)
            .bind(to.to_hex())
            .fetch_one(&mut *tx)
            .await?;
        let seq: i64 = row.try_get(0)?;
        sqlx::query::<Any>(
            "INSERT INTO inbox (org_id, seq, report_id, referred_by, envelope, delivered_hour) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(to.to_hex())
        .bind(seq)
        .bind(report.to_hex())
        .bind(from.to_hex())
        .bind(envelope.to_vec())
        .bind(i(hour))
        .execute(&mut *tx)
        .await?;
        add_mailbox_entry(
            &mut tx,
            report,
            to,
            hour,
            MailboxItemRow::Status {
                status: "delivered",
                sealed: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(InsertOutcome::Created)
    }

    // ----- mailboxes -----

    /// The mailbox whose token hashes to `token_hash`, compared in constant time.
    pub async fn mailbox(&self, token_hash: &[u8; 32]) -> Result<Option<MailboxRef>> {
        let rows =
            sqlx::query::<Any>("SELECT token_hash, report_id FROM mailboxes WHERE lookup = $1")
                .bind(lookup_key(token_hash))
                .fetch_all(&self.reader)
                .await?;
        let mut found = None;
        for row in rows {
            let stored: Vec<u8> = row.try_get("token_hash")?;
            if ct_eq(&stored, token_hash) {
                found = Some(MailboxRef {
                    token_hash: stored,
                    report_id: row.try_get("report_id")?,
                });
            }
        }
        Ok(found)
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

    // ----- attachments -----

    pub async fn attachment(&self, report: &ReportId, id: &str) -> Result<Option<AttachmentRow>> {
        let row = sqlx::query::<Any>(
            "SELECT id, size, sha256, received, complete FROM attachments \
             WHERE report_id = $1 AND id = $2",
        )
        .bind(report.to_hex())
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(attachment_from_row).transpose()
    }

    /// Append one chunk at `offset`. On the chunk that completes the declared size, the whole
    /// attachment's SHA-256 is checked; on mismatch every stored chunk is dropped.
    pub async fn append_chunk(
        &self,
        report: &ReportId,
        id: &str,
        offset: u64,
        bytes: &[u8],
    ) -> Result<ChunkOutcome> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query::<Any>(
            "SELECT id, size, sha256, received, complete FROM attachments \
             WHERE report_id = $1 AND id = $2",
        )
        .bind(report.to_hex())
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(att) = row.as_ref().map(attachment_from_row).transpose()? else {
            tx.rollback().await?;
            return Ok(ChunkOutcome::NotFound);
        };
        if att.complete || offset != att.received {
            tx.rollback().await?;
            if att.complete && offset == att.size && bytes.is_empty() {
                return Ok(ChunkOutcome::Progress {
                    received: att.size,
                    complete: true,
                });
            }
            return Ok(ChunkOutcome::OffsetMismatch {
                received: att.received,
            });
        }
        let end = offset + bytes.len() as u64;
        if end > att.size {
            tx.rollback().await?;
            return Ok(ChunkOutcome::TooLarge);
        }
        if bytes.is_empty() {
            tx.rollback().await?;
            return Ok(ChunkOutcome::Progress {
                received: att.received,
                complete: false,
            });
        }
        let moved = sqlx::query::<Any>(
            "UPDATE attachments SET received = $1 \
             WHERE report_id = $2 AND id = $3 AND received = $4 AND complete = 0",
        )
        .bind(i(end))
        .bind(report.to_hex())
        .bind(id.to_string())
        .bind(i(offset))
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() == 0 {
            tx.rollback().await?;
            let now = self.attachment(report, id).await?;
            return Ok(ChunkOutcome::OffsetMismatch {
                received: now.map_or(0, |a| a.received),
            });
        }
        sqlx::query::<Any>(
            "INSERT INTO attachment_chunks (report_id, attachment_id, start_offset, bytes) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(report.to_hex())
        .bind(id.to_string())
        .bind(i(offset))
        .bind(bytes.to_vec())
        .execute(&mut *tx)
        .await?;
        if end < att.size {
            tx.commit().await?;
            return Ok(ChunkOutcome::Progress {
                received: end,
                complete: false,
            });
        }
        let chunks = sqlx::query::<Any>(
            "SELECT bytes FROM attachment_chunks WHERE report_id = $1 AND attachment_id = $2 \
             ORDER BY start_offset",
        )
        .bind(report.to_hex())
        .bind(id.to_string())
        .fetch_all(&mut *tx)
        .await?;
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        let mut total = 0u64;
        for chunk in &chunks {
            let b: Vec<u8> = chunk.try_get("bytes")?;
            total += b.len() as u64;
            ctx.update(&b);
        }
        let digest = ctx.finish();
        if total != att.size || !ct_eq(digest.as_ref(), &att.sha256) {
            sqlx::query::<Any>(
                "DELETE FROM attachment_chunks WHERE report_id = $1 AND attachment_id = $2",
            )
            .bind(report.to_hex())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
            sqlx::query::<Any>(
                "UPDATE attachments SET received = 0 WHERE report_id = $1 AND id = $2",
            )
            .bind(report.to_hex())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Ok(ChunkOutcome::DigestMismatch);
        }
        sqlx::query::<Any>("UPDATE attachments SET complete = 1 WHERE report_id = $1 AND id = $2")
            .bind(report.to_hex())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(ChunkOutcome::Progress {
            received: end,
            complete: true,
        })
    }

    /// The stored bytes of a complete attachment.
    pub async fn attachment_bytes(&self, report: &ReportId, id: &str) -> Result<Vec<u8>> {
        let chunks = sqlx::query::<Any>(
            "SELECT bytes FROM attachment_chunks WHERE report_id = $1 AND attachment_id = $2 \
             ORDER BY start_offset",
        )
        .bind(report.to_hex())
        .bind(id.to_string())
        .fetch_all(&self.reader)
        .await?;
        let mut out = Vec::new();
        for chunk in &chunks {
            let b: Vec<u8> = chunk.try_get("bytes")?;
            out.extend_from_slice(&b);
        }
        Ok(out)
    }

    // ----- retention -----

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

    // ----- inspection (tests, benchmarks, operators) -----

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

fn attachment_from_row(row: &AnyRow) -> Result<AttachmentRow> {
    let complete: i64 = row.try_get("complete")?;
    Ok(AttachmentRow {
        id: row.try_get("id")?,
        size: u(row.try_get("size")?),
        sha256: row.try_get("sha256")?,
        received: u(row.try_get("received")?),
        complete: complete != 0,
    })
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

fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => db.is_unique_violation(),
        _ => false,
    }
}

enum MailboxItemRow<'a> {
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

fn hour_floor(t: u64) -> u64 {
    t - t % 3600
}

async fn in_inbox_tx(
    tx: &mut sqlx::Transaction<'static, Any>,
    org: &OrgId,
    report: &ReportId,
) -> Result<bool> {
    let row = sqlx::query::<Any>("SELECT seq FROM inbox WHERE org_id = $1 AND report_id = $2")
        .bind(org.to_hex())
        .bind(report.to_hex())
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.is_some())
}

/// Append to a report's mailbox (if it still has one), allocating the next mailbox sequence
/// number under the mailbox row's lock.
async fn add_mailbox_entry(
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
