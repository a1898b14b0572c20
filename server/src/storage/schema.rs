//! The database's schema against the migrations this binary carries: which are pending
//! (`migrate --check`), a database written by a newer relay (refused: no downgrades), and the
//! tables and columns a backup copies.

use sqlx::migrate::Migrator;
use sqlx::{Any, AssertSqlSafe, Row};

use super::{Backend, Result, Storage, StorageError, migrations};

/// The table sqlx records applied migrations in.
pub const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// A migration by number and name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MigrationName {
    pub version: i64,
    pub description: String,
}

impl std::fmt::Display for MigrationName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04} {}", self.version, self.description)
    }
}

/// Applied and pending migrations of a database this binary can run on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaStatus {
    pub applied: Vec<MigrationName>,
    pub pending: Vec<MigrationName>,
}

/// How a value of a column is carried in a backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnKind {
    Int,
    Text,
    Blob,
}

impl ColumnKind {
    fn of(declared: &str) -> Option<ColumnKind> {
        match declared.to_ascii_lowercase().as_str() {
            "bigint" | "integer" | "int" => Some(ColumnKind::Int),
            "text" => Some(ColumnKind::Text),
            "blob" | "bytea" => Some(ColumnKind::Blob),
            _ => None,
        }
    }
}

/// The migrations this binary carries for `backend`, by number and name.
pub fn known_migrations(backend: Backend) -> Vec<MigrationName> {
    migrations(backend)
        .iter()
        .map(|m| MigrationName {
            version: m.version,
            description: m.description.to_string(),
        })
        .collect()
}

/// `"table"` with any `"` doubled.
pub(super) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Storage {
    /// Every table of the relay's schema, sqlx's migration table included, by name.
    pub async fn table_names(&self) -> Result<Vec<String>> {
        let statement = match self.backend {
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
            }
            Backend::Postgres => {
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
                 ORDER BY table_name"
            }
        };
        let rows = sqlx::query::<Any>(statement)
            .fetch_all(&self.writer)
            .await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0).map_err(StorageError::from))
            .collect()
    }

    /// The columns of `table` in order, with how each is carried in a backup.
    pub(super) async fn columns_of<'e, E>(
        &self,
        executor: E,
        table: &str,
    ) -> Result<Vec<(String, ColumnKind)>>
    where
        E: sqlx::Executor<'e, Database = Any>,
    {
        let statement = match self.backend {
            Backend::Sqlite => "SELECT name, type FROM pragma_table_info($1) ORDER BY cid",
            Backend::Postgres => {
                "SELECT column_name::text, data_type::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 \
                 ORDER BY ordinal_position"
            }
        };
        let rows = sqlx::query::<Any>(statement)
            .bind(table.to_string())
            .fetch_all(executor)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let name: String = row.try_get(0)?;
            let declared: String = row.try_get(1)?;
            let kind = ColumnKind::of(&declared).ok_or_else(|| {
                StorageError::Corrupt(format!(
                    "column {table}.{name} has type {declared}, which backups do not know"
                ))
            })?;
            out.push((name, kind));
        }
        Ok(out)
    }

    /// The migrations recorded as applied, with their checksums.
    async fn applied_migrations(&self) -> Result<Vec<(MigrationName, Vec<u8>)>> {
        if !self
            .table_names()
            .await?
            .iter()
            .any(|t| t == MIGRATIONS_TABLE)
        {
            return Ok(Vec::new());
        }
        let rows = sqlx::query::<Any>(
            "SELECT version, description, checksum FROM _sqlx_migrations \
             WHERE success ORDER BY version",
        )
        .fetch_all(&self.writer)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    MigrationName {
                        version: r.try_get(0)?,
                        description: r.try_get(1)?,
                    },
                    r.try_get(2)?,
                ))
            })
            .collect()
    }

    /// What [`Storage::migrate`] would do, without doing it. Refuses a database that has a
    /// migration this binary lacks (written by a newer relay) or one whose text changed since
    /// it was applied.
    pub async fn schema_status(&self) -> Result<SchemaStatus> {
        let known = migrations(self.backend);
        let applied = self.applied_migrations().await?;
        for (name, checksum) in &applied {
            match known.iter().find(|m| m.version == name.version) {
                None => {
                    return Err(StorageError::Downgrade {
                        applied: name.to_string(),
                        known: known_migrations(self.backend)
                            .last()
                            .map_or_else(|| "none".into(), ToString::to_string),
                    });
                }
                Some(m) if *m.checksum != checksum[..] => {
                    return Err(StorageError::MigrationChanged(name.to_string()));
                }
                Some(_) => {}
            }
        }
        let pending = known_migrations(self.backend)
            .into_iter()
            .filter(|k| !applied.iter().any(|(a, _)| a.version == k.version))
            .collect();
        Ok(SchemaStatus {
            applied: applied.into_iter().map(|(name, _)| name).collect(),
            pending,
        })
    }

    /// Apply the migrations numbered up to `version` only (restoring a backup made at that
    /// schema, before its data goes in and the later migrations run over it).
    pub async fn migrate_to(&self, version: i64) -> Result<()> {
        let all = migrations(self.backend);
        let mut migrator = Migrator::DEFAULT;
        migrator.migrations = std::borrow::Cow::Owned(
            all.iter()
                .filter(|m| m.version <= version)
                .cloned()
                .collect(),
        );
        migrator.run(&self.writer).await?;
        Ok(())
    }

    /// Rows in every table but the migration table.
    pub async fn data_rows(&self) -> Result<u64> {
        let mut total = 0u64;
        for table in self.table_names().await? {
            if table == MIGRATIONS_TABLE {
                continue;
            }
            let row = sqlx::query::<Any>(AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM {}",
                quoted(&table)
            )))
            .fetch_one(&self.writer)
            .await?;
            total += super::u(row.try_get(0)?);
        }
        Ok(total)
    }

    /// Drop every table, the migration table included, in one transaction.
    pub async fn drop_all_tables(&self) -> Result<()> {
        let tables = self.table_names().await?;
        let mut tx = self.writer.begin().await?;
        for table in tables {
            let statement = match self.backend {
                Backend::Sqlite => format!("DROP TABLE {}", quoted(&table)),
                Backend::Postgres => format!("DROP TABLE {} CASCADE", quoted(&table)),
            };
            sqlx::query::<Any>(AssertSqlSafe(statement))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
