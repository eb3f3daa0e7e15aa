//! [`ApiBudget`]: one request budget for every Stream API call of one account.
//!
//! Cloudflare allows 1,200 API requests per 5 minutes per user, counted across the dashboard,
//! every token and every program, and responds to a burst above that with HTTP 429 and a lock-out
//! of all calls for the next 5 minutes. So every job of a [`crate::JobManager`] (and the app's
//! own list calls) takes a token from one shared bucket before each call.
//!
//! Invariants:
//! - Calls through one budget never exceed `burst + requests` in any `window`. The defaults
//!   (30 + 900 per 5 minutes) stay below Cloudflare's 1,200 and leave room for the dashboard.
//! - After [`ApiBudget::block_until`] no call starts before that instant, in any job.
//! - Waiters are served first come, first served, and a cancelled [`ApiBudget::acquire`] uses
//!   no token.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

/// Wait after a 429 that carried neither `Retry-After` nor a `Ratelimit` reset.
pub const DEFAULT_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);

/// Maximum wait honoured after a 429. Cloudflare's lock-out lasts 5 minutes.
pub const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(300);

/// Rate and burst of an [`ApiBudget`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetConfig {
    /// Requests allowed per `window` on average.
    pub requests: u32,
    /// Length of the window that `requests` refers to.
    pub window: Duration,
    /// Requests that may start at once after a quiet period.
    pub burst: u32,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        Self {
            requests: 900,
            window: Duration::from_secs(300),
            burst: 30,
        }
    }
}

impl BudgetConfig {
    /// Checks that the budget can admit requests at all.
    ///
    /// # Errors
    /// Returns a message naming the invalid value.
    pub fn validate(&self) -> Result<(), String> {
        if self.requests == 0 || self.burst == 0 || self.window.is_zero() {
            return Err(format!(
                "the API budget needs requests, burst and window above zero (got {} requests per {} s, burst {})",
                self.requests,
                self.window.as_secs_f64(),
                self.burst
            ));
        }
        Ok(())
    }

    /// Returns the time one token takes to refill.
    fn refill_interval(&self) -> Duration {
        self.window / self.requests
    }
}

/// A token bucket shared by every API call of one account, with a lock-out after a 429.
///
/// Use one per account: the limit applies to the account's user, not to one job.
#[derive(Debug)]
pub struct ApiBudget {
    config: BudgetConfig,
    state: Mutex<BucketState>,
    /// Queue of waiters: `tokio::sync::Mutex` wakes them in request order.
    turnstile: tokio::sync::Mutex<()>,
}

#[derive(Debug)]
struct BucketState {
    tokens: f64,
    refilled_at: Instant,
    blocked_until: Option<Instant>,
}

impl ApiBudget {
    /// Creates a full bucket.
    ///
    /// # Panics
    /// When `config` fails [`BudgetConfig::validate`]; [`crate::JobManager::new`] validates first.
    pub fn new(config: BudgetConfig) -> Self {
        assert!(config.validate().is_ok(), "invalid API budget {config:?}");
        Self {
            config,
            state: Mutex::new(BucketState {
                tokens: f64::from(config.burst),
                refilled_at: Instant::now(),
                blocked_until: None,
            }),
            turnstile: tokio::sync::Mutex::new(()),
        }
    }

    /// Returns the rate and burst.
    pub fn config(&self) -> BudgetConfig {
        self.config
    }

    /// Waits until one more API request may start, and takes its token.
    ///
    /// Cancel it by dropping the future, for example in `tokio::select!` with a job's
    /// cancellation token: a dropped wait takes no token and leaves the queue.
    pub async fn acquire(&self) {
        let _turn = self.turnstile.lock().await;
        loop {
            let wait_until = {
                let mut state = self.lock_state();
                let now = Instant::now();
                self.refill(&mut state, now);
                match state.blocked_until {
                    Some(until) if until > now => until,
                    _ if state.tokens >= 1.0 => {
                        state.tokens -= 1.0;
                        return;
                    }
                    _ => {
                        let missing = 1.0 - state.tokens;
                        now + self.config.refill_interval().mul_f64(missing)
                    }
                }
            };
            // A 429 seen meanwhile only moves the instant later, which the next round reads.
            tokio::time::sleep_until(wait_until).await;
        }
    }

    /// Stops every API call through this budget until `until`. An earlier instant than a
    /// block already in place changes nothing.
    pub fn block_until(&self, until: Instant) {
        let mut state = self.lock_state();
        if state.blocked_until.is_none_or(|current| current < until) {
            state.blocked_until = Some(until);
        }
        // The lock-out also means the server counted more than this bucket did, so the calls
        // after it start from an empty bucket rather than a burst.
        state.tokens = 0.0;
        state.refilled_at = until;
    }

    /// Records a 429 and blocks the budget for the server's wait: `retry_after` when the
    /// response gave one (capped at [`MAX_RATE_LIMIT_WAIT`]), else [`DEFAULT_RATE_LIMIT_WAIT`].
    /// Returns the wait applied.
    pub fn record_rate_limit(&self, retry_after: Option<Duration>) -> Duration {
        let wait = retry_after
            .unwrap_or(DEFAULT_RATE_LIMIT_WAIT)
            .min(MAX_RATE_LIMIT_WAIT);
        self.block_until(Instant::now() + wait);
        wait
    }

    /// Returns how long the current 429 block still lasts, or `None` when calls may proceed.
    pub fn blocked_for(&self) -> Option<Duration> {
        let state = self.lock_state();
        let until = state.blocked_until?;
        let left = until.saturating_duration_since(Instant::now());
        (!left.is_zero()).then_some(left)
    }

    fn refill(&self, state: &mut BucketState, now: Instant) {
        if now <= state.refilled_at {
            return;
        }
        let elapsed = now - state.refilled_at;
        let gained = elapsed.as_secs_f64() / self.config.refill_interval().as_secs_f64();
        state.tokens = (state.tokens + gained).min(f64::from(self.config.burst));
        state.refilled_at = now;
    }

    fn lock_state(&self) -> MutexGuard<'_, BucketState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn small_budget() -> ApiBudget {
        ApiBudget::new(BudgetConfig {
            requests: 10,
            window: Duration::from_secs(10),
            burst: 3,
        })
    }

    /// Returns the largest number of instants inside any window of length `window`.
    fn max_in_window(instants: &[Instant], window: Duration) -> usize {
        let mut max = 0;
        let mut start = 0;
        for end in 0..instants.len() {
            while instants[end] - instants[start] >= window {
                start += 1;
            }
            max = max.max(end - start + 1);
        }
        max
    }

    #[tokio::test(start_paused = true)]
    async fn budget_rate_stays_below_limit() {
        let budget = Arc::new(ApiBudget::new(BudgetConfig::default()));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let budget = Arc::clone(&budget);
            tasks.push(tokio::spawn(async move {
                let mut instants = Vec::new();
                for _ in 0..400 {
                    budget.acquire().await;
                    instants.push(Instant::now());
                }
                instants
            }));
        }
        let mut instants = Vec::new();
        for task in tasks {
            instants.extend(task.await.unwrap());
        }
        instants.sort();

        let window = Duration::from_secs(300);
        let busiest = max_in_window(&instants, window);
        assert!(busiest <= 930, "{busiest} requests in 5 minutes");
        assert!(busiest >= 900, "the budget is used, got {busiest}");
        assert_eq!(instants.len(), 3200);
    }

    #[tokio::test(start_paused = true)]
    async fn budget_allows_burst_at_once() {
        let budget = small_budget();
        let start = Instant::now();
        for _ in 0..3 {
            budget.acquire().await;
        }
        assert_eq!(Instant::now(), start);
        budget.acquire().await;
        assert_eq!(Instant::now() - start, Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn block_stops_every_caller() {
        let budget = Arc::new(small_budget());
        let start = Instant::now();
        let wait = budget.record_rate_limit(Some(Duration::from_secs(42)));
        assert_eq!(wait, Duration::from_secs(42));
        assert_eq!(budget.blocked_for(), Some(Duration::from_secs(42)));

        let mut tasks = Vec::new();
        for _ in 0..4 {
            let budget = Arc::clone(&budget);
            tasks.push(tokio::spawn(async move {
                budget.acquire().await;
                Instant::now()
            }));
        }
        for task in tasks {
            let started = task.await.unwrap();
            assert!(started - start >= Duration::from_secs(42));
        }
        assert_eq!(budget.blocked_for(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn block_without_hint_waits_default() {
        let budget = small_budget();
        let start = Instant::now();
        budget.record_rate_limit(None);
        budget.acquire().await;
        assert!(Instant::now() - start >= DEFAULT_RATE_LIMIT_WAIT);
    }

    #[tokio::test(start_paused = true)]
    async fn block_caps_long_retry_after() {
        let budget = small_budget();
        let wait = budget.record_rate_limit(Some(Duration::from_secs(3600)));
        assert_eq!(wait, MAX_RATE_LIMIT_WAIT);
    }

    #[tokio::test(start_paused = true)]
    async fn earlier_block_keeps_later_one() {
        let budget = small_budget();
        budget.record_rate_limit(Some(Duration::from_secs(30)));
        budget.record_rate_limit(Some(Duration::from_secs(5)));
        assert_eq!(budget.blocked_for(), Some(Duration::from_secs(30)));
    }

    #[tokio::test(start_paused = true)]
    async fn cancelled_acquire_takes_no_token() {
        let budget = ApiBudget::new(BudgetConfig {
            requests: 1,
            window: Duration::from_secs(1),
            burst: 1,
        });
        let start = Instant::now();
        budget.acquire().await;

        let cancelled = tokio::time::timeout(Duration::from_millis(500), budget.acquire()).await;
        assert!(cancelled.is_err());

        budget.acquire().await;
        assert_eq!(Instant::now() - start, Duration::from_secs(1));
    }

    #[test]
    fn config_rejects_zero_requests() {
        let config = BudgetConfig {
            requests: 0,
            ..BudgetConfig::default()
        };
        assert!(config.validate().unwrap_err().contains("0 requests"));
    }
}
