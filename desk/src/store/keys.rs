//! The vault (passphrase parameters), the keyring (every key version, sealed) and the
//! enrolment with a relay.

use sqlx::Row;

use super::{Store, now};
use crate::error::Result;

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

impl Store {
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
}

pub(super) async fn insert_key(tx: &mut sqlx::SqliteConnection, key: &KeyRow) -> Result<()> {
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
