//! Published directories: each version's listing and the document served to phones.

use sqlx::{Any, Row};

use super::{Result, Storage, i, u};

/// A published directory as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDirectory {
    pub version: u64,
    pub issued_at: u64,
    pub expires_at: u64,
    pub listing: String,
    pub served: String,
}

impl Storage {
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
}
