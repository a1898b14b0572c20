//! What `workvoice-sms` keeps between messages, in one SQLite file, nothing readable:
//!
//! - `dialogues`: one row per open conversation, keyed by a keyed hash (HMAC-SHA256) of the
//!   number, the answers sealed (XChaCha20-Poly1305, the row key as associated data), with an
//!   expiry. Erased when she sends, stops, deletes, or it expires.
//! - `contacts`: for a report whose sender asked for answers, her number sealed, her language,
//!   and how many statuses and answers were already texted to her.
//! - `seen`: keyed hashes of gateway event ids, to refuse replays.
//! - `traffic`: per keyed number, messages in the current hour (rate limit), and the reports
//!   sent this hour (the proof-of-work budget, under the key `""`).
//!
//! Every query is parameterised; nothing she types is ever part of an SQL string.

use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use rusqlite::{Connection, OptionalExtension, params};
use zeroize::Zeroizing;

use crate::dialogue::Dialogue;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("a sealed record does not open")]
    Seal,
    #[error("randomness failed")]
    Rng,
    #[error("a record does not decode: {0}")]
    Decode(String),
}

/// The keys of a store: one to name numbers, one to seal records.
pub struct Keys {
    name: hmac::Key,
    seal: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(..)")
    }
}

impl Keys {
    /// Both keys from one 32-byte secret (HMAC-SHA256 with distinct labels).
    pub fn from_secret(secret: &[u8]) -> Keys {
        let master = hmac::Key::new(hmac::HMAC_SHA256, secret);
        let derive = |label: &[u8]| {
            let mut out = Zeroizing::new([0u8; 32]);
            out.copy_from_slice(hmac::sign(&master, label).as_ref());
            out
        };
        let name = derive(b"workvoice-sms number names v1");
        Keys {
            name: hmac::Key::new(hmac::HMAC_SHA256, name.as_ref()),
            seal: derive(b"workvoice-sms record seal v1"),
        }
    }

    /// The keyed hash that stands for a phone number (or any identifier).
    pub fn name(&self, value: &str) -> String {
        hex::encode(hmac::sign(&self.name, value.trim().as_bytes()).as_ref())
    }

    fn seal(&self, aad: &str, plaintext: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut nonce = [0u8; 24];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| StoreError::Rng)?;
        let cipher = XChaCha20Poly1305::new_from_slice(self.seal.as_slice())
            .map_err(|_| StoreError::Seal)?;
        let sealed = cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Seal)?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    fn open(&self, aad: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        if sealed.len() < 24 {
            return Err(StoreError::Seal);
        }
        let (nonce, body) = sealed.split_at(24);
        let nonce: [u8; 24] = nonce.try_into().map_err(|_| StoreError::Seal)?;
        let cipher = XChaCha20Poly1305::new_from_slice(self.seal.as_slice())
            .map_err(|_| StoreError::Seal)?;
        cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: body,
                    aad: aad.as_bytes(),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| StoreError::Seal)
    }
}

/// One report whose sender asked for answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub report_id: String,
    pub language: String,
    pub statuses_sent: usize,
    pub answers_sent: usize,
}

pub struct Store {
    db: Connection,
    keys: Keys,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store(..)")
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS dialogues (
    number_key TEXT PRIMARY KEY,
    sealed BLOB NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS contacts (
    report_id TEXT PRIMARY KEY,
    number_key TEXT NOT NULL,
    sealed_number BLOB NOT NULL,
    language TEXT NOT NULL,
    statuses_sent INTEGER NOT NULL DEFAULT 0,
    answers_sent INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS seen (
    event_key TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS traffic (
    number_key TEXT PRIMARY KEY,
    hour INTEGER NOT NULL,
    count INTEGER NOT NULL
);
";

impl Store {
    pub fn open(path: &Path, keys: Keys) -> Result<Store, StoreError> {
        let db = Connection::open(path)?;
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "synchronous", "FULL")?;
        db.pragma_update(None, "secure_delete", "ON")?;
        db.execute_batch(SCHEMA)?;
        Ok(Store { db, keys })
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// Drop expired dialogues and replay marks.
    pub fn purge(&self, now: u64) -> Result<(), StoreError> {
        self.db.execute(
            "DELETE FROM dialogues WHERE expires_at <= ?1",
            params![sql_time(now)],
        )?;
        self.db.execute(
            "DELETE FROM seen WHERE expires_at <= ?1",
            params![sql_time(now)],
        )?;
        Ok(())
    }

    pub fn dialogue(&self, number_key: &str, now: u64) -> Result<Option<Dialogue>, StoreError> {
        let row: Option<Vec<u8>> = self
            .db
            .query_row(
                "SELECT sealed FROM dialogues WHERE number_key = ?1 AND expires_at > ?2",
                params![number_key, sql_time(now)],
                |r| r.get(0),
            )
            .optional()?;
        match row {
            None => Ok(None),
            Some(sealed) => {
                let plain = self.keys.open(number_key, &sealed)?;
                serde_json::from_slice(&plain)
                    .map(Some)
                    .map_err(|e| StoreError::Decode(e.to_string()))
            }
        }
    }

    pub fn save_dialogue(
        &self,
        number_key: &str,
        dialogue: &Dialogue,
        expires_at: u64,
    ) -> Result<(), StoreError> {
        let plain = Zeroizing::new(
            serde_json::to_vec(dialogue).map_err(|e| StoreError::Decode(e.to_string()))?,
        );
        let sealed = self.keys.seal(number_key, &plain)?;
        self.db.execute(
            "INSERT INTO dialogues (number_key, sealed, expires_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (number_key) DO UPDATE SET sealed = excluded.sealed,
             expires_at = excluded.expires_at",
            params![number_key, sealed, sql_time(expires_at)],
        )?;
        Ok(())
    }

    pub fn forget_dialogue(&self, number_key: &str) -> Result<(), StoreError> {
        self.db.execute(
            "DELETE FROM dialogues WHERE number_key = ?1",
            params![number_key],
        )?;
        Ok(())
    }

    /// `DELETE`: the dialogue, every kept number and the traffic count of this number.
    pub fn forget_number(&self, number_key: &str) -> Result<(), StoreError> {
        self.forget_dialogue(number_key)?;
        self.db.execute(
            "DELETE FROM contacts WHERE number_key = ?1",
            params![number_key],
        )?;
        Ok(())
    }

    pub fn open_dialogues(&self, now: u64) -> Result<u64, StoreError> {
        Ok(self
            .db
            .query_row(
                "SELECT COUNT(*) FROM dialogues WHERE expires_at > ?1",
                params![sql_time(now)],
                |r| r.get::<_, i64>(0),
            )?
            .try_into()
            .unwrap_or(0))
    }

    /// Record a gateway event id; `false` when it was seen before (a replay).
    pub fn first_sight(&self, event_id: &str, expires_at: u64) -> Result<bool, StoreError> {
        let key = self.keys.name(&format!("event:{event_id}"));
        let inserted = self.db.execute(
            "INSERT INTO seen (event_key, expires_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![key, sql_time(expires_at)],
        )?;
        Ok(inserted == 1)
    }

    /// Forget a gateway event id (its handling failed: the gateway's retry must be taken).
    pub fn forget_sight(&self, event_id: &str) -> Result<(), StoreError> {
        let key = self.keys.name(&format!("event:{event_id}"));
        self.db
            .execute("DELETE FROM seen WHERE event_key = ?1", params![key])?;
        Ok(())
    }

    /// Count one more message (or report) for `key` in `hour`; returns the count so far.
    pub fn count(&self, key: &str, hour: u64) -> Result<u64, StoreError> {
        self.db.execute(
            "INSERT INTO traffic (number_key, hour, count) VALUES (?1, ?2, 1)
             ON CONFLICT (number_key) DO UPDATE SET
             count = CASE WHEN traffic.hour = excluded.hour THEN traffic.count + 1 ELSE 1 END,
             hour = excluded.hour",
            params![key, sql_time(hour)],
        )?;
        Ok(self
            .db
            .query_row(
                "SELECT count FROM traffic WHERE number_key = ?1",
                params![key],
                |r| r.get::<_, i64>(0),
            )?
            .try_into()
            .unwrap_or(0))
    }

    pub fn keep_contact(
        &self,
        report_id: &str,
        number: &str,
        language: &str,
    ) -> Result<(), StoreError> {
        let sealed = self.keys.seal(report_id, number.as_bytes())?;
        self.db.execute(
            "INSERT INTO contacts (report_id, number_key, sealed_number, language)
             VALUES (?1, ?2, ?3, ?4)",
            params![report_id, self.keys.name(number), sealed, language],
        )?;
        Ok(())
    }

    pub fn contacts(&self) -> Result<Vec<Contact>, StoreError> {
        let mut statement = self.db.prepare(
            "SELECT report_id, language, statuses_sent, answers_sent FROM contacts
             ORDER BY report_id",
        )?;
        let rows = statement.query_map([], |r| {
            Ok(Contact {
                report_id: r.get(0)?,
                language: r.get(1)?,
                statuses_sent: r.get::<_, i64>(2)?.try_into().unwrap_or(0),
                answers_sent: r.get::<_, i64>(3)?.try_into().unwrap_or(0),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The number kept for `report_id`, opened.
    pub fn contact_number(&self, report_id: &str) -> Result<Option<String>, StoreError> {
        let sealed: Option<Vec<u8>> = self
            .db
            .query_row(
                "SELECT sealed_number FROM contacts WHERE report_id = ?1",
                params![report_id],
                |r| r.get(0),
            )
            .optional()?;
        match sealed {
            None => Ok(None),
            Some(s) => {
                let plain = self.keys.open(report_id, &s)?;
                String::from_utf8(plain.to_vec())
                    .map(Some)
                    .map_err(|e| StoreError::Decode(e.to_string()))
            }
        }
    }

    pub fn mark_sent(
        &self,
        report_id: &str,
        statuses: usize,
        answers: usize,
    ) -> Result<(), StoreError> {
        self.db.execute(
            "UPDATE contacts SET statuses_sent = ?2, answers_sent = ?3 WHERE report_id = ?1",
            params![report_id, statuses as i64, answers as i64],
        )?;
        Ok(())
    }
}

/// Times and counts are stored as SQLite integers (i64).
fn sql_time(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
