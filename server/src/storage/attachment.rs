//! Attachments: their declared size and hash, the chunks appended to them, and their bytes
//! once complete.

use sqlx::any::AnyRow;
use sqlx::{Any, Row};
use workvoice_proto::keys::{ReportId, ct_eq};

use super::{Result, Storage, i, u};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRow {
    pub id: String,
    pub size: u64,
    pub sha256: Vec<u8>,
    pub received: u64,
    pub complete: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkOutcome {
    Progress { received: u64, complete: bool },
    OffsetMismatch { received: u64 },
    TooLarge,
    DigestMismatch,
    NotFound,
}

impl Storage {
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
