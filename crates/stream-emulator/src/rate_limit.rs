//! The API rate limit: a budget of requests per sliding window, then a lock-out.
//!
//! The real service allows 1,200 API requests per 5 minutes per user and, once that is
//! exceeded, rejects every call with 429 for the next 5 minutes. [`RateLimiter`] keeps the
//! times of the requests it let through in the current window, so the budget slides instead of
//! resetting at fixed instants. The emulator has a single API token, so there is one budget.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Error code of the real service's rate-limit reply.
pub(crate) const RATE_LIMITED_CODE: u32 = 971;

/// Settings of the API rate limit in [`crate::EmulatorConfig::rate_limit`].
///
/// `RateLimit::default()` has the real service's values: 1,200 requests per 5 minutes, then a
/// 5-minute lock-out, with a `Retry-After` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window; must be at least 1.
    pub requests: u32,
    /// Length of the sliding window; must not be zero.
    pub window: Duration,
    /// Time after the request that exceeded the budget during which every API call gets 429.
    pub lockout: Duration,
    /// Sends `Retry-After` (whole seconds) on 429 replies; the real service has sent it only
    /// since September 2025, so clients must cope without it.
    pub retry_after_header: bool,
    /// Error code in the 429 envelope. The real service sends 971; code 10100 with the message
    /// "More than 1200 requests per 300 seconds reached" has also been reported.
    pub error_code: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            requests: 1200,
            window: Duration::from_secs(300),
            lockout: Duration::from_secs(300),
            retry_after_header: true,
            error_code: RATE_LIMITED_CODE,
        }
    }
}

/// Result of one request against the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Let through; `remaining` requests are left and the oldest one leaves the window in
    /// `reset_secs` seconds.
    Allowed { remaining: u32, reset_secs: u64 },
    /// Rejected with 429; capacity returns in `retry_after_secs` seconds.
    Limited { retry_after_secs: u64 },
}

#[derive(Debug, Default)]
struct Window {
    /// Times of the requests let through that are still inside the window, oldest first.
    accepted: VecDeque<Instant>,
    locked_until: Option<Instant>,
}

/// The sliding-window counter behind [`RateLimit`].
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: RateLimit,
    window: Mutex<Window>,
}

impl RateLimiter {
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            window: Mutex::new(Window::default()),
        }
    }

    pub fn limit(&self) -> &RateLimit {
        &self.limit
    }

    /// Counts one request at `now` and decides whether it may run.
    pub fn check(&self, now: Instant) -> Decision {
        let mut window = self.window.lock().unwrap_or_else(PoisonError::into_inner);

        if let Some(until) = window.locked_until {
            if now < until {
                return Decision::Limited {
                    retry_after_secs: ceil_secs(until - now),
                };
            }
            window.locked_until = None;
            window.accepted.clear();
        }

        while window
            .accepted
            .front()
            .is_some_and(|first| now.saturating_duration_since(*first) >= self.limit.window)
        {
            window.accepted.pop_front();
        }

        if window.accepted.len() >= self.limit.requests as usize {
            window.locked_until = Some(now + self.limit.lockout);
            return Decision::Limited {
                retry_after_secs: ceil_secs(self.limit.lockout),
            };
        }

        window.accepted.push_back(now);
        let oldest = *window.accepted.front().expect("a request was just pushed");
        let remaining = self.limit.requests - window.accepted.len() as u32;
        let reset = (oldest + self.limit.window).saturating_duration_since(now);
        Decision::Allowed {
            remaining,
            reset_secs: ceil_secs(reset),
        }
    }
}

/// Rounds up to whole seconds, so a client that waits that long finds capacity.
fn ceil_secs(duration: Duration) -> u64 {
    let secs = duration.as_secs();
    if duration.subsec_nanos() > 0 {
        secs + 1
    } else {
        secs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(requests: u32, window_secs: u64, lockout_secs: u64) -> RateLimiter {
        RateLimiter::new(RateLimit {
            requests,
            window: Duration::from_secs(window_secs),
            lockout: Duration::from_secs(lockout_secs),
            ..RateLimit::default()
        })
    }

    #[test]
    fn check_counts_down_remaining() {
        let limiter = limiter(3, 10, 30);
        let start = Instant::now();

        let first = limiter.check(start);
        let second = limiter.check(start + Duration::from_secs(1));

        assert_eq!(
            first,
            Decision::Allowed {
                remaining: 2,
                reset_secs: 10
            }
        );
        assert_eq!(
            second,
            Decision::Allowed {
                remaining: 1,
                reset_secs: 9
            }
        );
    }

    #[test]
    fn check_locks_out_after_budget() {
        let limiter = limiter(2, 10, 30);
        let start = Instant::now();
        limiter.check(start);
        limiter.check(start);

        let over = limiter.check(start + Duration::from_secs(1));
        let during = limiter.check(start + Duration::from_secs(20));
        let after = limiter.check(start + Duration::from_secs(32));

        assert_eq!(
            over,
            Decision::Limited {
                retry_after_secs: 30
            }
        );
        assert_eq!(
            during,
            Decision::Limited {
                retry_after_secs: 11
            }
        );
        assert!(matches!(after, Decision::Allowed { remaining: 1, .. }));
    }

    #[test]
    fn check_window_slides() {
        let limiter = limiter(2, 10, 30);
        let start = Instant::now();
        limiter.check(start);
        limiter.check(start + Duration::from_secs(5));

        let later = limiter.check(start + Duration::from_secs(10));

        assert_eq!(
            later,
            Decision::Allowed {
                remaining: 0,
                reset_secs: 5
            }
        );
    }
}
