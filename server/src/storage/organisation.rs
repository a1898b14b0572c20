//! Organisations: their public profile, certificate and the hash of their access token.

use sqlx::any::AnyRow;
use sqlx::{Any, Row};
use workvoice_proto::keys::OrgId;

use super::{Result, Storage, StorageError, i, lookup_key, sql};

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

impl Storage {
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
        let statement = "SELECT id, token_hash FROM organisations WHERE token_lookup = $1";
        match self.row_by_token(statement, token_hash).await? {
            Some(row) => Ok(OrgId::from_hex(&row.try_get::<String, _>("id")?)),
            None => Ok(None),
        }
    }
}
