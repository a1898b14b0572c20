//! Anonymous escrow tokens per invite (`PROTOCOL.md` 18.12): the invite hashes organisations
//! register, what each invite hash was issued per epoch and purpose (the SHA-256 of each token
//! request answered, never the invite), and the tokens spent (key id and nonce, with the
//! request each paid for). Issuance and spends go with their epoch
//! ([`Storage::purge_escrow`](super::Storage::purge_escrow)).

use sqlx::{Any, Row};
use workvoice_proto::keys::{OrgId, ct_eq};
use workvoice_proto::token::TokenPurpose;

use super::{Result, Storage, i};

/// `SHA-256(b"workvoice/v1/escrow/invite\0" || invite)`: all the relay keeps of an invite.
pub type InviteHash = [u8; 32];

/// A verified token, spent with the request it pays for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSpend {
    /// `token_key_id` of the key it verified under.
    pub key_id: [u8; 32],
    pub nonce: [u8; 32],
    /// The epoch of that key (the current or the previous one).
    pub epoch: u32,
    pub purpose: TokenPurpose,
    /// What it pays for: the escrow id of a submission (16 bytes), `SHA-256(blinded)` of an
    /// OPRF request (32 bytes).
    pub binding: Vec<u8>,
}

/// What the spend check inside a storing transaction found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpendOutcome {
    /// Never spent: recorded with the request (if the transaction commits).
    Fresh,
    /// Spent before with the same binding: the request is a retry; `request_id` is the queued
    /// OPRF request stored with the spend, if any.
    Retry { request_id: Option<[u8; 16]> },
    /// Spent before with another binding.
    Spent,
}

/// What a token issuance call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueOutcome {
    /// Recorded (or every request was answered before): answer them all.
    Issued,
    /// The invite hash is not registered for the organisation.
    UnknownInvite,
    /// The new requests and those issued before exceed the budget: nothing recorded.
    BudgetSpent,
}

fn purpose_number(p: TokenPurpose) -> i64 {
    i64::from(p.as_byte())
}

/// Looks the spend up in the storing transaction `tx` and, when it is fresh, records it with
/// `request_id` (the queued OPRF request it pays for, if any). A concurrent spend of the same
/// token makes the insert fail with a unique violation, which the caller retries.
pub(super) async fn spend_in(
    tx: &mut sqlx::Transaction<'static, Any>,
    spend: &TokenSpend,
    request_id: Option<[u8; 16]>,
) -> Result<SpendOutcome> {
    let row = sqlx::query::<Any>(
        "SELECT binding, request_id FROM escrow_token_spends \
         WHERE token_key_id = $1 AND nonce = $2",
    )
    .bind(spend.key_id.to_vec())
    .bind(spend.nonce.to_vec())
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(row) = row {
        let binding: Vec<u8> = row.try_get("binding")?;
        if !ct_eq(&binding, &spend.binding) {
            return Ok(SpendOutcome::Spent);
        }
        let stored: Option<Vec<u8>> = row.try_get("request_id")?;
        let request_id = match stored {
            Some(v) => Some(<[u8; 16]>::try_from(v.as_slice()).map_err(|_| {
                super::StorageError::Corrupt(
                    "a spent token's request id has the wrong length".into(),
                )
            })?),
            None => None,
        };
        return Ok(SpendOutcome::Retry { request_id });
    }
    sqlx::query::<Any>(
        "INSERT INTO escrow_token_spends (token_key_id, nonce, epoch, purpose, binding, request_id) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(spend.key_id.to_vec())
    .bind(spend.nonce.to_vec())
    .bind(i64::from(spend.epoch))
    .bind(purpose_number(spend.purpose))
    .bind(spend.binding.clone())
    .bind(request_id.map(|r| r.to_vec()))
    .execute(&mut **tx)
    .await?;
    Ok(SpendOutcome::Fresh)
}

impl Storage {
    /// Registers `hashes` for `org`, in one transaction; a hash stored already (for `org` or
    /// another organisation) stays as it is. Returns how many were added.
    pub async fn add_escrow_invites(
        &self,
        org: &OrgId,
        hashes: &[InviteHash],
        hour: u64,
    ) -> Result<u64> {
        let mut tx = self.writer.begin().await?;
        let mut added = 0;
        for hash in hashes {
            let done = sqlx::query::<Any>(
                "INSERT INTO escrow_invites (invite_hash, org_id, created_hour) \
                 VALUES ($1, $2, $3) ON CONFLICT (invite_hash) DO NOTHING",
            )
            .bind(hash.to_vec())
            .bind(org.to_hex())
            .bind(i(hour))
            .execute(&mut *tx)
            .await?;
            added += done.rows_affected();
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Deletes `org`'s rows for `hashes`, in one transaction. Returns how many went.
    pub async fn revoke_escrow_invites(&self, org: &OrgId, hashes: &[InviteHash]) -> Result<u64> {
        let mut tx = self.writer.begin().await?;
        let mut gone = 0;
        for hash in hashes {
            let done = sqlx::query::<Any>(
                "DELETE FROM escrow_invites WHERE invite_hash = $1 AND org_id = $2",
            )
            .bind(hash.to_vec())
            .bind(org.to_hex())
            .execute(&mut *tx)
            .await?;
            gone += done.rows_affected();
        }
        tx.commit().await?;
        Ok(gone)
    }

    /// Records the issuance of the requests with SHA-256 `digests` to the invite `invite` of
    /// `org`, for `epoch` and `purpose`, in one transaction: refused when the invite is not
    /// `org`'s, or when the requests not issued before, added to those that were, exceed
    /// `budget` (then nothing is recorded). A request issued before is not counted again.
    pub async fn record_token_issuance(
        &self,
        org: &OrgId,
        invite: &InviteHash,
        epoch: u32,
        purpose: TokenPurpose,
        digests: &[[u8; 32]],
        budget: u32,
    ) -> Result<IssueOutcome> {
        let mut tx = self.writer.begin().await?;
        // Locks the invite's row until commit (PostgreSQL; SQLite has one writer), so two
        // concurrent calls for one invite count one after the other.
        let held = sqlx::query::<Any>(
            "UPDATE escrow_invites SET created_hour = created_hour \
             WHERE invite_hash = $1 AND org_id = $2",
        )
        .bind(invite.to_vec())
        .bind(org.to_hex())
        .execute(&mut *tx)
        .await?;
        if held.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(IssueOutcome::UnknownInvite);
        }
        let rows = sqlx::query::<Any>(
            "SELECT request_digest FROM escrow_token_issuance \
             WHERE invite_hash = $1 AND epoch = $2 AND purpose = $3",
        )
        .bind(invite.to_vec())
        .bind(i64::from(epoch))
        .bind(purpose_number(purpose))
        .fetch_all(&mut *tx)
        .await?;
        let mut issued: Vec<Vec<u8>> = Vec::with_capacity(rows.len());
        for row in rows {
            issued.push(row.try_get("request_digest")?);
        }
        let mut fresh: Vec<[u8; 32]> = Vec::new();
        for digest in digests {
            if !issued.iter().any(|d| d.as_slice() == digest) && !fresh.contains(digest) {
                fresh.push(*digest);
            }
        }
        if issued.len() + fresh.len() > budget as usize {
            tx.rollback().await?;
            return Ok(IssueOutcome::BudgetSpent);
        }
        for digest in &fresh {
            sqlx::query::<Any>(
                "INSERT INTO escrow_token_issuance (invite_hash, epoch, purpose, request_digest) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(invite.to_vec())
            .bind(i64::from(epoch))
            .bind(purpose_number(purpose))
            .bind(digest.to_vec())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(IssueOutcome::Issued)
    }

    /// Retention of tokens: issuance records and spends of epochs before `oldest_live_epoch`.
    pub(super) async fn purge_tokens(&self, oldest_live_epoch: u32) -> Result<u64> {
        let mut gone = 0;
        for statement in [
            "DELETE FROM escrow_token_issuance WHERE epoch < $1",
            "DELETE FROM escrow_token_spends WHERE epoch < $1",
        ] {
            let done = sqlx::query::<Any>(statement)
                .bind(i64::from(oldest_live_epoch))
                .execute(&self.writer)
                .await?;
            gone += done.rows_affected();
        }
        Ok(gone)
    }
}
