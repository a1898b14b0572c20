//! A limit on failed sign-ins per user name, so that caseworker passwords cannot be guessed at
//! the speed of Argon2id.
//!
//! After [`MAX_FAILURES`] failed sign-ins for one user name within [`WINDOW_SECS`], that name is
//! refused for [`LOCKOUT_SECS`] without checking the password, whether or not such a user
//! exists (so the refusal does not tell which names are real). A successful sign-in clears the
//! name's record. The records live in memory: a restart of the desk clears them, which only the
//! operator can do.

use std::collections::HashMap;
use std::sync::Mutex;

/// Failed sign-ins allowed per user name within [`WINDOW_SECS`].
pub const MAX_FAILURES: u32 = 5;
/// How far back failures count.
pub const WINDOW_SECS: u64 = 15 * 60;
/// How long a user name is refused after too many failures.
pub const LOCKOUT_SECS: u64 = 15 * 60;
/// At most this many user names are tracked; beyond it, records without an active lock are
/// dropped first, oldest first, so that a flood of made-up names cannot lift a lock.
const MAX_TRACKED: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    first_at: u64,
    locked_until: Option<u64>,
}

/// The failed sign-ins of the last [`WINDOW_SECS`], per user name.
#[derive(Debug, Default)]
pub struct LoginGuard {
    failures: Mutex<HashMap<String, Failures>>,
}

/// A user name refused because of earlier failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locked {
    /// Seconds until sign-ins for the name are accepted again.
    pub retry_after_secs: u64,
}

impl Locked {
    /// Whole minutes to wait, rounded up.
    pub fn minutes(&self) -> u64 {
        self.retry_after_secs.div_ceil(60).max(1)
    }
}

impl LoginGuard {
    pub fn new() -> Self {
        Self::default()
    }

    fn key(username: &str) -> String {
        username.trim().to_lowercase()
    }

    /// Whether `username` may try to sign in at `now` (unix seconds).
    pub fn check(&self, username: &str, now: u64) -> Result<(), Locked> {
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(&Self::key(username)).and_then(|f| f.locked_until) {
            Some(until) if until > now => Err(Locked {
                retry_after_secs: until - now,
            }),
            _ => Ok(()),
        }
    }

    /// Record a failed sign-in. Returns the lock it caused, if this failure was one too many.
    pub fn failed(&self, username: &str, now: u64) -> Option<Locked> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_TRACKED {
            map.retain(|_, f| {
                f.first_at + WINDOW_SECS > now || f.locked_until.is_some_and(|u| u > now)
            });
            while map.len() >= MAX_TRACKED {
                let oldest = map
                    .iter()
                    .min_by_key(|(_, f)| (f.locked_until.is_some_and(|u| u > now), f.first_at))
                    .map(|(k, _)| k.clone());
                match oldest {
                    Some(k) => map.remove(&k),
                    None => break,
                };
            }
        }
        let entry = map.entry(Self::key(username)).or_insert(Failures {
            count: 0,
            first_at: now,
            locked_until: None,
        });
        let expired_lock = entry.locked_until.is_some_and(|u| u <= now);
        if expired_lock || entry.first_at + WINDOW_SECS <= now {
            *entry = Failures {
                count: 0,
                first_at: now,
                locked_until: None,
            };
        }
        entry.count += 1;
        if entry.count >= MAX_FAILURES {
            let until = now + LOCKOUT_SECS;
            entry.locked_until = Some(until);
            return Some(Locked {
                retry_after_secs: LOCKOUT_SECS,
            });
        }
        None
    }

    /// Forget the failures of `username` after a successful sign-in.
    pub fn succeeded(&self, username: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&Self::key(username));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fifth_failure_locks_the_name_for_the_lockout_period_only() {
        let guard = LoginGuard::new();
        for i in 0..MAX_FAILURES - 1 {
            assert_eq!(guard.failed("amina", 1000 + u64::from(i)), None);
            assert_eq!(guard.check("amina", 1000 + u64::from(i)), Ok(()));
        }
        let lock = guard.failed("amina", 1010).unwrap();
        assert_eq!(lock.retry_after_secs, LOCKOUT_SECS);
        assert_eq!(lock.minutes(), 15);
        // The same name in another case or with spaces is the same name.
        assert!(guard.check(" Amina ", 1011).is_err());
        assert_eq!(
            guard
                .check("amina", 1010 + LOCKOUT_SECS - 61)
                .unwrap_err()
                .minutes(),
            2
        );
        // Other names are not affected.
        assert_eq!(guard.check("bo", 1011), Ok(()));
        // After the lockout the name may try again, and one more failure does not re-lock it.
        assert_eq!(guard.check("amina", 1010 + LOCKOUT_SECS), Ok(()));
        assert_eq!(guard.failed("amina", 1010 + LOCKOUT_SECS), None);
        assert_eq!(guard.check("amina", 1011 + LOCKOUT_SECS), Ok(()));
    }

    #[test]
    fn failures_older_than_the_window_do_not_count_and_success_clears() {
        let guard = LoginGuard::new();
        for i in 0..MAX_FAILURES - 1 {
            guard.failed("amina", u64::from(i));
        }
        // The window has passed: the count starts again.
        assert_eq!(guard.failed("amina", WINDOW_SECS + 10), None);
        for i in 0..MAX_FAILURES - 2 {
            assert_eq!(guard.failed("amina", WINDOW_SECS + 11 + u64::from(i)), None);
        }
        guard.succeeded("amina");
        for i in 0..MAX_FAILURES - 1 {
            assert_eq!(guard.failed("amina", WINDOW_SECS + 20 + u64::from(i)), None);
        }
        assert!(guard.failed("amina", WINDOW_SECS + 30).is_some());
    }

    #[test]
    fn the_table_stays_bounded_and_keeps_recent_locks() {
        let guard = LoginGuard::new();
        for _ in 0..MAX_FAILURES {
            guard.failed("target", 5_000);
        }
        for i in 0..(MAX_TRACKED as u64 + 50) {
            guard.failed(&format!("noise{i}"), 5_001 + i / 1000);
        }
        let len = guard.failures.lock().unwrap().len();
        assert!(len <= MAX_TRACKED, "{len}");
        assert!(len >= MAX_TRACKED - 1);
        // The target's record is the oldest, but it holds an active lock: the flood of made-up
        // names did not lift it.
        assert!(guard.check("target", 5_100).is_err());
    }
}
