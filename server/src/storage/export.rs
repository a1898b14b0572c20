//! A logical copy of the whole database as JSON lines, read in one snapshot while the relay
//! keeps writing, and loaded back in one transaction. The backup command encrypts the lines
//! (`crate::backup`); nothing here touches the disk.
//!
//! Why a logical copy rather than `VACUUM INTO` or `pg_dump`: a file copy would first exist in
//! plaintext on the server's disk before it could be encrypted, and `pg_dump` is a separate
//! program of a matching major version. A logical copy streams straight into the encryption,
//! is the same format on both engines (so it also moves a relay from SQLite to PostgreSQL),
//! and is restored at the schema it was taken at, then migrated forward.
//!
//! Consistency: on SQLite the copy is one read transaction (WAL mode: one snapshot, writers go
//! on); on PostgreSQL one `REPEATABLE READ, READ ONLY` transaction (one snapshot for every
//! statement). Every commit answered before the copy began is in it.
//!
//! The lines: a header object (format, engine, applied migrations and the caller's extra
//! fields), then per table `{"table": name, "columns": [[name, kind], ...]}`, its rows as JSON
//! arrays (integers as numbers, text as strings, bytes as base64 strings, NULL as null) and
//! `{"end": name, "rows": n}`, and last `{"done": total_rows}`.

use std::io::{BufRead, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures_util::TryStreamExt;
use serde_json::{Map, Value, json};
use sqlx::{Any, AssertSqlSafe, Row};

use super::schema::{ColumnKind, MIGRATIONS_TABLE, MigrationName, quoted};
use super::{Backend, Result, Storage, StorageError};

/// The `format` field of a backup's header.
pub const FORMAT: &str = "workvoice-relay-backup";
/// The version of these lines.
pub const FORMAT_VERSION: u64 = 1;

/// The first line of a copy.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ExportHeader {
    pub format: String,
    pub format_version: u64,
    /// The engine it was taken from: `sqlite` or `postgres`.
    pub backend: String,
    /// The migrations applied to the database copied.
    pub migrations: Vec<MigrationName>,
    /// The caller's own fields (the backup command adds the relay version, the time, the
    /// relay key).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn io(e: std::io::Error) -> StorageError {
    StorageError::Corrupt(format!("cannot write the copy: {e}"))
}

fn bad(text: impl Into<String>) -> StorageError {
    StorageError::Corrupt(format!("the backup is not a valid copy: {}", text.into()))
}

fn write_line(out: &mut (dyn Write + Send), value: &Value) -> Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(|e| io(e.into()))?;
    out.write_all(b"\n").map_err(io)
}

/// Rows and tables copied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CopyCounts {
    pub tables: u64,
    pub rows: u64,
}

impl Storage {
    /// Write every table of the database, from one snapshot, to `out`.
    pub async fn export(
        &self,
        out: &mut (dyn Write + Send),
        extra: Map<String, Value>,
    ) -> Result<CopyCounts> {
        let mut tx = self.reader.begin().await?;
        match self.backend {
            Backend::Postgres => {
                sqlx::query::<Any>("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(&mut *tx)
                    .await?;
            }
            Backend::Sqlite => {
                // The first read takes the snapshot every later read of the transaction sees.
                sqlx::query::<Any>("SELECT COUNT(*) FROM sqlite_master")
                    .fetch_one(&mut *tx)
                    .await?;
            }
        }
        let applied = sqlx::query::<Any>(
            "SELECT version, description FROM _sqlx_migrations WHERE success ORDER BY version",
        )
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| {
            Ok(MigrationName {
                version: r.try_get(0)?,
                description: r.try_get(1)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let header = ExportHeader {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            backend: self.backend.name().into(),
            migrations: applied,
            extra,
        };
        write_line(
            out,
            &serde_json::to_value(&header).map_err(|e| io(e.into()))?,
        )?;
        let mut counts = CopyCounts::default();
        let tables = self.table_names().await?;
        for table in tables.iter().filter(|t| *t != MIGRATIONS_TABLE) {
            let columns = self.columns_of(&mut *tx, table).await?;
            write_line(out, &json!({ "table": table, "columns": columns }))?;
            let names: Vec<String> = columns.iter().map(|(n, _)| quoted(n)).collect();
            let statement = format!("SELECT {} FROM {}", names.join(", "), quoted(table));
            let mut rows = sqlx::query::<Any>(AssertSqlSafe(statement)).fetch(&mut *tx);
            let mut n = 0u64;
            while let Some(row) = rows.try_next().await? {
                let mut cells = Vec::with_capacity(columns.len());
                for (i, (_, kind)) in columns.iter().enumerate() {
                    let cell = match kind {
                        ColumnKind::Int => row.try_get::<Option<i64>, _>(i)?.map(Value::from),
                        ColumnKind::Text => row.try_get::<Option<String>, _>(i)?.map(Value::from),
                        ColumnKind::Blob => row
                            .try_get::<Option<Vec<u8>>, _>(i)?
                            .map(|b| Value::from(STANDARD.encode(b))),
                    };
                    cells.push(cell.unwrap_or(Value::Null));
                }
                write_line(out, &Value::Array(cells))?;
                n += 1;
            }
            drop(rows);
            write_line(out, &json!({ "end": table, "rows": n }))?;
            counts.tables += 1;
            counts.rows += n;
        }
        write_line(out, &json!({ "done": counts.rows }))?;
        tx.commit().await?;
        Ok(counts)
    }

    /// Read a copy's header line.
    pub fn read_export_header(input: &mut (dyn BufRead + Send)) -> Result<ExportHeader> {
        let line = next_line(input)?.ok_or_else(|| bad("it is empty"))?;
        let header: ExportHeader =
            serde_json::from_str(&line).map_err(|e| bad(format!("header: {e}")))?;
        if header.format != FORMAT {
            return Err(bad(format!("format {:?}", header.format)));
        }
        if header.format_version != FORMAT_VERSION {
            return Err(bad(format!(
                "format version {} (this relay reads {FORMAT_VERSION})",
                header.format_version
            )));
        }
        Ok(header)
    }

    /// Load the tables of a copy (after its header) into this database, whose tables must
    /// exist (migrated to the copy's schema) and be empty. One transaction: it commits only
    /// after the last line was read and `input` ended, so a truncated or altered copy leaves
    /// nothing behind.
    pub async fn import(&self, input: &mut (dyn BufRead + Send)) -> Result<CopyCounts> {
        let mut tx = self.writer.begin().await?;
        let mut counts = CopyCounts::default();
        // The table being loaded: name, columns, its INSERT statement, rows so far.
        let mut current: Option<Loading> = None;
        loop {
            let line = next_line(input)?.ok_or_else(|| bad("it ends before its last line"))?;
            let value: Value = serde_json::from_str(&line).map_err(|e| bad(e.to_string()))?;
            match value {
                Value::Array(cells) => {
                    let Some((table, columns, statement, n)) = current.as_mut() else {
                        return Err(bad("a row outside a table"));
                    };
                    if cells.len() != columns.len() {
                        return Err(bad(format!("a row of {table} has {} cells", cells.len())));
                    }
                    let mut query = sqlx::query::<Any>(AssertSqlSafe(statement.clone()));
                    for (cell, (column, kind)) in cells.into_iter().zip(columns.iter()) {
                        let wrong = || bad(format!("{table}.{column} holds a wrong value"));
                        query = match (kind, cell) {
                            (ColumnKind::Int, Value::Null) => query.bind(None::<i64>),
                            (ColumnKind::Text, Value::Null) => query.bind(None::<String>),
                            (ColumnKind::Blob, Value::Null) => query.bind(None::<Vec<u8>>),
                            (ColumnKind::Int, Value::Number(v)) => {
                                query.bind(Some(v.as_i64().ok_or_else(wrong)?))
                            }
                            (ColumnKind::Text, Value::String(v)) => query.bind(Some(v)),
                            (ColumnKind::Blob, Value::String(v)) => {
                                query.bind(Some(STANDARD.decode(v).map_err(|_| wrong())?))
                            }
                            _ => return Err(wrong()),
                        };
                    }
                    query.execute(&mut *tx).await?;
                    *n += 1;
                }
                Value::Object(record) => {
                    if let Some(table) = record.get("table").and_then(Value::as_str) {
                        if current.is_some() {
                            return Err(bad("a table inside a table"));
                        }
                        let columns: Vec<(String, ColumnKind)> = serde_json::from_value(
                            record.get("columns").cloned().unwrap_or(Value::Null),
                        )
                        .map_err(|e| bad(format!("columns of {table}: {e}")))?;
                        let here = self.columns_of(&mut *tx, table).await?;
                        if here != columns {
                            return Err(bad(format!(
                                "table {table} has other columns here than in the copy"
                            )));
                        }
                        let names: Vec<String> = columns.iter().map(|(n, _)| quoted(n)).collect();
                        let params: Vec<String> =
                            (1..=columns.len()).map(|i| format!("${i}")).collect();
                        let statement = format!(
                            "INSERT INTO {} ({}) VALUES ({})",
                            quoted(table),
                            names.join(", "),
                            params.join(", ")
                        );
                        current = Some((table.to_string(), columns, statement, 0));
                    } else if let Some(table) = record.get("end").and_then(Value::as_str) {
                        let Some((name, _, _, n)) = current.take() else {
                            return Err(bad("a table ends that never began"));
                        };
                        let expected = record.get("rows").and_then(Value::as_u64);
                        if name != table || expected != Some(n) {
                            return Err(bad(format!("table {name}: {n} rows, not {expected:?}")));
                        }
                        counts.tables += 1;
                        counts.rows += n;
                    } else if let Some(total) = record.get("done") {
                        if current.is_some() || total.as_u64() != Some(counts.rows) {
                            return Err(bad("the row count at the end does not match"));
                        }
                        break;
                    } else {
                        return Err(bad("an unknown record"));
                    }
                }
                _ => return Err(bad("an unknown line")),
            }
        }
        if next_line(input)?.is_some() {
            return Err(bad("lines follow its last line"));
        }
        tx.commit().await?;
        Ok(counts)
    }
}

type Loading = (String, Vec<(String, ColumnKind)>, String, u64);

fn next_line(input: &mut (dyn BufRead + Send)) -> Result<Option<String>> {
    let mut line = String::new();
    let n = input
        .read_line(&mut line)
        .map_err(|e| StorageError::Corrupt(format!("cannot read the backup: {e}")))?;
    Ok((n > 0).then_some(line))
}
