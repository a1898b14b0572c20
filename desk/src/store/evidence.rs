//! Evidence kept at the desk: each attachment of a case, and entries that did not open.

use sqlx::Row;

use super::{Store, now};
use crate::error::Result;

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

impl Store {
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

    pub async fn undecryptable_count_for(&self, error: &str) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM undecryptable WHERE error = ?")
            .bind(error)
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    pub async fn undecryptable_count(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM undecryptable")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }
}
