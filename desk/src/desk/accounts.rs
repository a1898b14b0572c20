//! Caseworker accounts and their sessions, as the web pages use them.

use workvoice_proto::system_rng::SystemRng;

use crate::error::{DeskError, Result};
use crate::secrets::hash_password;

use crate::store::{SessionRow, UserRow};

use super::Desk;

pub const MAX_USERNAME_CHARS: usize = 64;

pub const MIN_PASSWORD_CHARS: usize = 10;

pub const MAX_PASSWORD_CHARS: usize = 256;

pub fn validate_username(username: &str) -> Result<()> {
    let ok = !username.is_empty()
        && username.chars().count() <= MAX_USERNAME_CHARS
        && username
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(DeskError::InvalidInput(format!(
            "the user name must have 1 to {MAX_USERNAME_CHARS} letters, digits or . _ - @"
        )))
    }
}

impl Desk {
    /// The caseworker called `username`, if any.
    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRow>> {
        self.inner.store.user_by_name(username).await
    }

    /// Every caseworker, `(id, user name)`.
    pub async fn users(&self) -> Result<Vec<(i64, String)>> {
        self.inner.store.users().await
    }

    /// Whether `user_id` signed in before with the browser whose cookie hashes to `id_hash`.
    pub async fn is_known_client(&self, id_hash: &str, user_id: i64) -> Result<bool> {
        self.inner.store.is_known_client(id_hash, user_id).await
    }

    /// Remember a browser `user_id` signed in with (by the hash of its cookie).
    pub async fn add_known_client(&self, id_hash: &str, user_id: i64) -> Result<()> {
        self.inner.store.add_known_client(id_hash, user_id).await
    }

    /// The unexpired session whose cookie hashes to `id_hash`.
    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRow>> {
        self.inner.store.session(id_hash).await
    }

    pub async fn create_session(
        &self,
        id_hash: &str,
        user_id: Option<i64>,
        csrf_token: &str,
        expires_at: u64,
    ) -> Result<()> {
        self.inner
            .store
            .create_session(id_hash, user_id, csrf_token, expires_at)
            .await
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        self.inner.store.delete_session(id_hash).await
    }

    /// Create a caseworker account.
    pub async fn add_user(&self, username: &str, password: &str) -> Result<i64> {
        validate_username(username)?;
        let chars = password.chars().count();
        if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
            return Err(DeskError::InvalidInput(format!(
                "the password must have {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"
            )));
        }
        let hash = hash_password(password, &mut SystemRng::new())?;
        self.inner.store.add_user(username, &hash).await
    }
}
