//! Limits that no stranger can turn against workers: a token bucket per class of anonymous
//! endpoint (directory, submissions, mailbox, uploads) caps each class's total rate; in front
//! of it a bucket per client ([`ClientLimiter`], keyed in memory only) stops one client from
//! spending a class's budget; [`BodyBudget`] bounds request-body bytes in flight.
//! Proof-of-work prices each submission.

use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl RateLimiter {
    /// `per_second == 0` admits everything.
    pub fn new(per_second: u32, burst: u32) -> Self {
        let burst = f64::from(burst.max(1));
        RateLimiter {
            per_second: f64::from(per_second),
            burst,
            state: Mutex::new((burst, Instant::now())),
        }
    }

    /// Take one token, or say how long until one is available.
    pub fn try_acquire(&self) -> Result<(), Duration> {
        self.try_acquire_at(Instant::now())
    }

    pub fn try_acquire_at(&self, now: Instant) -> Result<(), Duration> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let Ok(mut state) = self.state.lock() else {
            return Ok(());
        };
        let (tokens, last) = *state;
        let elapsed = now.saturating_duration_since(last).as_secs_f64();
        let tokens = (tokens + elapsed * self.per_second).min(self.burst);
        if tokens >= 1.0 {
            *state = (tokens - 1.0, now);
            Ok(())
        } else {
            *state = (tokens, now);
            Err(Duration::from_secs_f64((1.0 - tokens) / self.per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_the_burst_then_the_rate() {
        let limiter = RateLimiter::new(10, 3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.try_acquire_at(t0).is_ok());
        }
        let wait = limiter.try_acquire_at(t0).unwrap_err();
        assert!(wait > Duration::from_millis(50) && wait <= Duration::from_millis(100));
        assert!(
            limiter
                .try_acquire_at(t0 + Duration::from_millis(100))
                .is_ok()
        );
        assert!(
            limiter
                .try_acquire_at(t0 + Duration::from_millis(100))
                .is_err()
        );
    }

    #[test]
    fn zero_rate_means_unlimited() {
        let limiter = RateLimiter::new(0, 0);
        for _ in 0..1000 {
            assert!(limiter.try_acquire().is_ok());
        }
    }
}

/// Per-client token buckets, keyed by a hash of the client's address under a key drawn at
/// random when the process starts. Only the hash is kept, in memory only: it is never stored,
/// logged or put in metrics, and it means nothing to another process. An IPv6 client is keyed
/// by its /64 (one host can hold a whole /64). Idle clients are forgotten when the table fills.
#[derive(Debug)]
pub struct ClientLimiter {
    per_second: f64,
    burst: f64,
    max_clients: usize,
    hasher: std::hash::RandomState,
    buckets: Mutex<std::collections::HashMap<u64, (f64, Instant)>>,
}

/// Default bound on the clients remembered at once (about 40 bytes each).
pub const MAX_CLIENTS: usize = 100_000;

impl ClientLimiter {
    /// `per_second == 0` admits everything.
    pub fn new(per_second: u32, burst: u32, max_clients: usize) -> Self {
        ClientLimiter {
            per_second: f64::from(per_second),
            burst: f64::from(burst.max(1)),
            max_clients: max_clients.max(1),
            hasher: std::hash::RandomState::new(),
            buckets: Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// `per_hour` requests an hour after a burst of `burst`; `per_hour == 0` admits everything.
    pub fn per_hour(per_hour: u32, burst: u32, max_clients: usize) -> Self {
        ClientLimiter {
            per_second: f64::from(per_hour) / 3600.0,
            ..ClientLimiter::new(0, burst, max_clients)
        }
    }

    fn key(&self, address: std::net::IpAddr) -> u64 {
        use std::hash::BuildHasher;
        match address {
            std::net::IpAddr::V4(v4) => self.hasher.hash_one(v4.octets()),
            std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => self.hasher.hash_one(v4.octets()),
                None => self.hasher.hash_one(&v6.octets()[..8]),
            },
        }
    }

    pub fn try_acquire(&self, address: std::net::IpAddr) -> Result<(), Duration> {
        self.try_acquire_at(address, Instant::now())
    }

    pub fn try_acquire_at(&self, address: std::net::IpAddr, now: Instant) -> Result<(), Duration> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let key = self.key(address);
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        if buckets.len() >= self.max_clients && !buckets.contains_key(&key) {
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, (tokens, last)| {
                *tokens + now.saturating_duration_since(*last).as_secs_f64() * rate < burst
            });
            if buckets.len() >= self.max_clients {
                buckets.clear();
            }
        }
        let (tokens, last) = buckets.get(&key).copied().unwrap_or((self.burst, now));
        let elapsed = now.saturating_duration_since(last).as_secs_f64();
        let tokens = (tokens + elapsed * self.per_second).min(self.burst);
        if tokens >= 1.0 {
            buckets.insert(key, (tokens - 1.0, now));
            Ok(())
        } else {
            buckets.insert(key, (tokens, now));
            Err(Duration::from_secs_f64((1.0 - tokens) / self.per_second))
        }
    }

    /// How many clients are remembered now.
    pub fn clients(&self) -> usize {
        self.buckets.lock().map_or(0, |b| b.len())
    }
}

/// A global bound on request-body bytes in flight, in KiB. A request with a body reserves its
/// declared length (or the largest body any endpoint accepts) before the body is read, and
/// holds it until answered; when the budget is spent it is refused at once, unread.
#[derive(Debug, Clone)]
pub struct BodyBudget {
    kib: std::sync::Arc<tokio::sync::Semaphore>,
    total_kib: u32,
}

impl BodyBudget {
    /// `max_bytes == 0` means no bound.
    pub fn new(max_bytes: u64) -> Self {
        let total_kib = u32::try_from(max_bytes.div_ceil(1024)).unwrap_or(u32::MAX >> 3);
        BodyBudget {
            kib: std::sync::Arc::new(tokio::sync::Semaphore::new(total_kib as usize)),
            total_kib,
        }
    }

    /// Reserve `bytes`; `None` when the budget does not have them now.
    pub fn try_reserve(&self, bytes: u64) -> Option<Option<tokio::sync::OwnedSemaphorePermit>> {
        if self.total_kib == 0 || bytes == 0 {
            return Some(None);
        }
        let kib = u32::try_from(bytes.div_ceil(1024))
            .unwrap_or(u32::MAX)
            .min(self.total_kib);
        self.kib.clone().try_acquire_many_owned(kib).ok().map(Some)
    }
}

#[cfg(test)]
mod fairness_tests {
    use std::net::IpAddr;

    use super::*;

    #[test]
    fn each_client_has_its_own_bucket() {
        let limiter = ClientLimiter::new(1, 2, 100);
        let t0 = Instant::now();
        let flooder: IpAddr = "192.0.2.1".parse().unwrap();
        let honest: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(limiter.try_acquire_at(flooder, t0).is_ok());
        assert!(limiter.try_acquire_at(flooder, t0).is_ok());
        assert!(limiter.try_acquire_at(flooder, t0).is_err());
        assert!(limiter.try_acquire_at(honest, t0).is_ok());
        // One IPv6 host is one client across its /64.
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert!(limiter.try_acquire_at(a, t0).is_ok());
        assert!(limiter.try_acquire_at(b, t0).is_ok());
        assert!(limiter.try_acquire_at(a, t0).is_err());
    }

    #[test]
    fn the_client_table_is_bounded() {
        let limiter = ClientLimiter::new(1, 1, 50);
        let t0 = Instant::now();
        for n in 0..1000u32 {
            let ip = IpAddr::from(n.to_be_bytes());
            let _ = limiter.try_acquire_at(ip, t0);
        }
        assert!(limiter.clients() <= 50);
    }

    #[test]
    fn bodies_beyond_the_budget_are_refused_until_one_finishes() {
        let budget = BodyBudget::new(4 * 1024 * 1024);
        let a = budget.try_reserve(2 * 1024 * 1024).unwrap();
        let b = budget.try_reserve(2 * 1024 * 1024).unwrap();
        assert!(budget.try_reserve(1).is_none());
        drop(a);
        assert!(budget.try_reserve(1024).is_some());
        drop(b);
        assert!(BodyBudget::new(0).try_reserve(u64::MAX).is_some());
    }
}
