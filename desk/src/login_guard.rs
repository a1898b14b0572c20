//! Sign-in delays per user name and client, so that caseworker passwords cannot be guessed at
//! the speed of Argon2id, and so that nobody can lock a caseworker out.
//!
//! A *client* is either a browser this user signed in with before (it holds a random
//! known-browser cookie the desk issued then, stored as its SHA-256 with the user's id), or any
//! other browser: all browsers the desk does not know share one record per user name. After
//! [`FREE_FAILURES`] failed sign-ins of a (user name, client) pair, each further attempt of
//! that pair must wait [`delay_after`] the number of failures since the last one: 5 seconds,
//! doubling with each failure, at most [`MAX_DELAY_SECS`]. An attempt that comes too early is
//! refused without checking the password, whether or not the user exists. A successful sign-in
//! clears the record of its own pair; failures are forgotten [`FORGET_AFTER_SECS`] after the
//! last one. The records are kept in the (sealed) database, so a restart does not clear them.
//!
//! A stranger's wrong passwords therefore delay only the stranger's pair (or the shared record
//! of unknown browsers): the caseworker's own browser keeps its own record, and her correct
//! password there is never refused because of someone else.

use crate::error::Result;
use crate::store::Store;

/// Failed sign-ins of a (user name, client) pair before any delay.
pub const FREE_FAILURES: u32 = 3;
/// The delay after the first failure beyond [`FREE_FAILURES`].
pub const FIRST_DELAY_SECS: u64 = 5;
/// The longest delay.
pub const MAX_DELAY_SECS: u64 = 15 * 60;
/// Failures older than this, counted from the last one, are forgotten.
pub const FORGET_AFTER_SECS: u64 = 24 * 3600;
/// Beyond this many records, records whose delay has certainly passed are dropped, oldest
/// first; records still delaying are never dropped, so a flood of made-up names cannot lift a
/// delay.
pub const MAX_TRACKED: u64 = 10_000;

/// The delay a (user name, client) pair must wait after its `failures`-th failure.
pub fn delay_after(failures: u32) -> u64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let doublings = (failures - FREE_FAILURES).min(20);
    (FIRST_DELAY_SECS << doublings).min(MAX_DELAY_SECS)
}

/// Who is signing in, as far as the limit is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Client {
    /// A browser this user signed in with before: the SHA-256 of its known-browser cookie.
    Known(String),
    /// Any browser the desk does not know for this user.
    Unknown,
}

impl Client {
    fn key(&self) -> &str {
        match self {
            Client::Known(hash) => hash,
            Client::Unknown => "",
        }
    }
}

/// An attempt refused because it came too early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    pub retry_after_secs: u64,
}

impl Wait {
    /// "5 seconds", "1 minute", "15 minutes" (minutes rounded up from a minute on).
    pub fn describe(&self) -> String {
        let s = self.retry_after_secs.max(1);
        if s < 60 {
            format!("{s} second{}", if s == 1 { "" } else { "s" })
        } else {
            let m = s.div_ceil(60);
            format!("{m} minute{}", if m == 1 { "" } else { "s" })
        }
    }
}

/// The sign-in delays of one desk, kept in its database.
#[derive(Debug, Clone)]
pub struct LoginGuard {
    store: Store,
}

fn normalise(username: &str) -> String {
    username.trim().to_lowercase()
}

impl LoginGuard {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Whether `client` may try to sign in as `username` at `now` (unix seconds).
    pub async fn check(
        &self,
        username: &str,
        client: &Client,
        now: u64,
    ) -> Result<std::result::Result<(), Wait>> {
        let record = self
            .store
            .sign_in_failures(&normalise(username), client.key())
            .await?;
        Ok(match record {
            Some((failures, last)) if last + FORGET_AFTER_SECS > now => {
                let until = last + delay_after(failures);
                if until > now {
                    Err(Wait {
                        retry_after_secs: until - now,
                    })
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        })
    }

    /// Record a failed sign-in; returns the wait it imposes on the pair's next attempt, if any.
    pub async fn failed(&self, username: &str, client: &Client, now: u64) -> Result<Option<Wait>> {
        let failures = self
            .store
            .record_sign_in_failure(
                &normalise(username),
                client.key(),
                now,
                FORGET_AFTER_SECS,
                MAX_TRACKED,
                MAX_DELAY_SECS,
            )
            .await?;
        let delay = delay_after(failures);
        Ok((delay > 0).then_some(Wait {
            retry_after_secs: delay,
        }))
    }

    /// Forget the failures of `username` from every client (the operator's `user
    /// clear-delays`); returns how many records there were.
    pub async fn clear(&self, username: &str) -> Result<u64> {
        self.store
            .clear_all_sign_in_failures(&normalise(username))
            .await
    }

    /// Forget the failures of this pair after a successful sign-in.
    pub async fn succeeded(&self, username: &str, client: &Client) -> Result<()> {
        self.store
            .clear_sign_in_failures(&normalise(username), client.key())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_starts_after_the_free_failures_doubles_and_is_capped() {
        for f in 0..FREE_FAILURES {
            assert_eq!(delay_after(f), 0);
        }
        assert_eq!(delay_after(FREE_FAILURES), 5);
        assert_eq!(delay_after(FREE_FAILURES + 1), 10);
        assert_eq!(delay_after(FREE_FAILURES + 2), 20);
        assert_eq!(delay_after(FREE_FAILURES + 7), 640);
        assert_eq!(delay_after(FREE_FAILURES + 8), MAX_DELAY_SECS);
        assert_eq!(delay_after(u32::MAX), MAX_DELAY_SECS);
    }

    #[test]
    fn waits_are_described_in_seconds_then_minutes() {
        let w = |s| Wait {
            retry_after_secs: s,
        };
        assert_eq!(w(1).describe(), "1 second");
        assert_eq!(w(5).describe(), "5 seconds");
        assert_eq!(w(60).describe(), "1 minute");
        assert_eq!(w(61).describe(), "2 minutes");
        assert_eq!(w(900).describe(), "15 minutes");
    }
}
