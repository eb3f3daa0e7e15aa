//! When a token becomes valid and when it expires.
//!
//! All times are Unix seconds on the *server's* clock: the caller adds the skew it measured from
//! the API's `Date` header before calling [`token_times`]. Stream rejects an `exp` more than
//! 24 hours ahead, and a PC clock that runs fast would otherwise put `nbf` in the server's
//! future, so `nbf` is back-dated and the lifetime stays well under a day.
//!
//! NOTE: Stream does not document whether it measures the 24 hours from its own clock or from
//! `nbf`, so [`MAX_LIFETIME`] plus [`NBF_BACKDATE`] stays under 24 hours, which is safe either way.

use std::time::Duration;

/// How far `nbf` lies before the server's current time, to absorb clock error that the skew
/// correction missed.
pub const NBF_BACKDATE: Duration = Duration::from_secs(15 * 60);

/// Minimum token lifetime that [`token_times`] and [`lifetime_for`] give.
pub const MIN_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// Maximum token lifetime that [`token_times`] and [`lifetime_for`] give: 24 hours minus
/// 45 minutes. The margin covers the 15-minute [`NBF_BACKDATE`] and 30 minutes of clock error.
pub const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600 - 45 * 60);

/// Maximum span from `nbf` to `exp` that a signed token may have: Stream's 24-hour limit.
pub(crate) const MAX_TOKEN_SPAN_SECONDS: i64 = 24 * 3600;

/// Times above this are taken as milliseconds: 10^11 seconds is in the year 5138, while
/// 10^11 milliseconds is in 1973.
pub(crate) const MILLISECONDS_THRESHOLD: i64 = 100_000_000_000;

/// Transfer rate that [`lifetime_for`] assumes, in bytes per second: 256 KiB/s, about 2 Mbit/s,
/// a slow home or mobile link.
const ASSUMED_BYTES_PER_SECOND: u64 = 256 * 1024;

/// Time that [`lifetime_for`] adds to the transfer time, for queueing and retries.
const TRANSFER_MARGIN: Duration = Duration::from_secs(15 * 60);

/// Lifetime that [`lifetime_for`] gives when the size is unknown.
const UNKNOWN_SIZE_LIFETIME: Duration = Duration::from_secs(6 * 3600);

/// The validity window of one token, in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenTimes {
    /// Start of validity.
    pub nbf: i64,
    /// Expiry.
    pub exp: i64,
}

/// Plans the times of one token from the server's current time.
///
/// Returns `nbf = server_now - NBF_BACKDATE` and `exp = server_now + lifetime`, with `lifetime`
/// clamped to [`MIN_LIFETIME`]..=[`MAX_LIFETIME`]. The input must be seconds;
/// [`SigningKey::sign`](crate::SigningKey::sign) rejects times that look like milliseconds.
pub fn token_times(server_now_unix: i64, lifetime: Duration) -> TokenTimes {
    let lifetime = lifetime.clamp(MIN_LIFETIME, MAX_LIFETIME);

    TokenTimes {
        nbf: server_now_unix.saturating_sub(seconds(NBF_BACKDATE)),
        exp: server_now_unix.saturating_add(seconds(lifetime)),
    }
}

/// Returns a lifetime long enough to transfer `expected_bytes` at 256 KiB/s plus a 15-minute
/// margin, or 6 hours when the size is unknown, always within [`MIN_LIFETIME`]..=[`MAX_LIFETIME`].
///
/// A transfer that outlasts its token needs a fresh token and a resume from the bytes already
/// on disk; the lifetime only makes that rare.
pub fn lifetime_for(expected_bytes: Option<u64>) -> Duration {
    let lifetime = match expected_bytes {
        Some(bytes) => {
            let transfer = Duration::from_secs(bytes.div_ceil(ASSUMED_BYTES_PER_SECOND));
            transfer.saturating_add(TRANSFER_MARGIN)
        }
        None => UNKNOWN_SIZE_LIFETIME,
    };
    lifetime.clamp(MIN_LIFETIME, MAX_LIFETIME)
}

/// Returns whole seconds as `i64`; every duration here is far below `i64::MAX` seconds.
fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_760_000_000;
    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn times_backdate_nbf() {
        assert_eq!(token_times(NOW, HOUR).nbf, NOW - 15 * 60);
    }

    #[test]
    fn times_exp_after_lifetime() {
        assert_eq!(token_times(NOW, HOUR).exp, NOW + 3600);
    }

    #[test]
    fn times_clamp_short_lifetime() {
        assert_eq!(token_times(NOW, Duration::ZERO).exp, NOW + 15 * 60);
    }

    #[test]
    fn times_clamp_long_lifetime() {
        let times = token_times(NOW, Duration::from_secs(7 * 24 * 3600));
        assert_eq!(times.exp, NOW + seconds(MAX_LIFETIME));
    }

    #[test]
    fn times_span_under_day() {
        let times = token_times(NOW, Duration::MAX);
        assert!(times.exp - times.nbf < MAX_TOKEN_SPAN_SECONDS);
    }

    #[test]
    fn times_follow_server_clock() {
        // The server is ten minutes ahead of and then ten minutes behind a local clock at NOW;
        // the window must follow the server's time, not the local one.
        for server_now in [NOW + 600, NOW - 600] {
            let times = token_times(server_now, HOUR);
            assert_eq!(times.nbf, server_now - 15 * 60, "server_now {server_now}");
            assert_eq!(times.exp, server_now + 3600, "server_now {server_now}");
        }
    }

    #[test]
    fn times_far_future_clock() {
        // A server clock in 2100 still gives seconds-sized values and a sane window.
        let server_now = 4_102_444_800;
        let times = token_times(server_now, HOUR);
        assert!(times.exp < MILLISECONDS_THRESHOLD);
        assert_eq!(times.exp - times.nbf, 3600 + 15 * 60);
    }

    #[test]
    fn times_saturate_at_extremes() {
        assert_eq!(token_times(i64::MAX, HOUR).exp, i64::MAX);
        assert_eq!(token_times(i64::MIN, HOUR).nbf, i64::MIN);
    }

    #[test]
    fn lifetime_one_byte() {
        assert_eq!(lifetime_for(Some(1)), Duration::from_secs(1 + 900));
    }

    #[test]
    fn lifetime_zero_bytes() {
        assert_eq!(lifetime_for(Some(0)), MIN_LIFETIME);
    }

    #[test]
    fn lifetime_grows_with_size() {
        // 1 GiB at 256 KiB/s is 4096 s, plus the 900 s margin.
        assert_eq!(lifetime_for(Some(1 << 30)), Duration::from_secs(4096 + 900));
    }

    #[test]
    fn lifetime_huge_file_is_maximum() {
        assert_eq!(lifetime_for(Some(100 << 30)), MAX_LIFETIME);
    }

    #[test]
    fn lifetime_max_u64() {
        assert_eq!(lifetime_for(Some(u64::MAX)), MAX_LIFETIME);
    }

    #[test]
    fn lifetime_unknown_size() {
        assert_eq!(lifetime_for(None), Duration::from_secs(6 * 3600));
    }

    #[test]
    fn lifetime_always_in_bounds() {
        let sizes = [
            None,
            Some(0),
            Some(1),
            Some(1 << 20),
            Some(1 << 30),
            Some(30 << 30),
            Some(u64::MAX),
        ];
        for size in sizes {
            let lifetime = lifetime_for(size);
            assert!(lifetime >= MIN_LIFETIME, "size {size:?}");
            assert!(lifetime <= MAX_LIFETIME, "size {size:?}");
        }
    }

    #[test]
    fn max_lifetime_plus_backdate_under_day() {
        assert!(seconds(MAX_LIFETIME) + seconds(NBF_BACKDATE) < MAX_TOKEN_SPAN_SECONDS);
    }
}
