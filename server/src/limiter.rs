//! A token bucket shared by all anonymous callers. It keys on nothing about the caller (no
//! address is kept, even in memory); proof-of-work prices each submission, the bucket caps the
//! total rate.

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
