//! The emulator's clock: real UTC time shifted by an offset that tests change at run time.
//!
//! Token checks (`exp`, `nbf`, the 24-hour limit of the token endpoint) and every `Date`
//! header use this clock, so a test can play a server whose clock runs ahead of or behind
//! the client's. Stored timestamps such as `created` keep real time.

use std::sync::atomic::{AtomicI64, Ordering};

use time::{Duration, OffsetDateTime};

/// Largest offset accepted, in seconds (about 100 years), so shifted times stay representable.
pub const MAX_CLOCK_OFFSET_SECS: i64 = 100 * 365 * 24 * 3600;

/// Real time plus an offset in seconds.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    offset_secs: AtomicI64,
}

impl Clock {
    /// Creates a clock with `offset_secs`, clamped to [`MAX_CLOCK_OFFSET_SECS`].
    pub fn new(offset_secs: i64) -> Self {
        let clock = Self::default();
        clock.set_offset(offset_secs);
        clock
    }

    /// Changes the offset, clamped to [`MAX_CLOCK_OFFSET_SECS`]; returns the value stored.
    pub fn set_offset(&self, offset_secs: i64) -> i64 {
        let clamped = offset_secs.clamp(-MAX_CLOCK_OFFSET_SECS, MAX_CLOCK_OFFSET_SECS);
        self.offset_secs.store(clamped, Ordering::Relaxed);
        clamped
    }

    /// Returns the current offset in seconds.
    pub fn offset(&self) -> i64 {
        self.offset_secs.load(Ordering::Relaxed)
    }

    /// Returns the emulator's current time.
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + Duration::seconds(self.offset())
    }

    /// Returns the emulator's current time in whole Unix seconds.
    pub fn unix_now(&self) -> i64 {
        self.now().unix_timestamp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_shifts_unix_time() {
        let clock = Clock::new(600);

        let shifted = clock.unix_now() - OffsetDateTime::now_utc().unix_timestamp();

        assert!((599..=601).contains(&shifted), "{shifted}");
    }

    #[test]
    fn offset_is_clamped() {
        let clock = Clock::new(i64::MIN);

        assert_eq!(clock.offset(), -MAX_CLOCK_OFFSET_SECS);
    }
}
