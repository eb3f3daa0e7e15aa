//! The gap between this computer's clock and Cloudflare's, read from the `Date` header.
//!
//! Signed tokens carry `nbf` and `exp` judged by the server's clock, so a computer whose clock is
//! minutes off would make tokens that are not yet valid or already expired. Every API response
//! carries a `Date` header; [`ServerClock`] keeps the latest offset it implies, and the signer
//! builds token times from [`ServerClock::now_unix`] instead of the local clock.
//!
//! The header has one-second resolution and the response spent some time in flight, so the
//! estimate is good to a second or two, which the back-dated `nbf` absorbs.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, DATE};
use time::macros::format_description;
use time::PrimitiveDateTime;

/// Offsets beyond this many seconds deserve a warning: the user should fix the clock.
pub const LARGE_SKEW_SECS: i64 = 120;

/// The latest measured offset of the server clock from the local clock, shared by the clones
/// of one client.
#[derive(Debug, Clone, Default)]
pub struct ServerClock {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    known: AtomicBool,
    skew_secs: AtomicI64,
}

impl ServerClock {
    /// Records the offset that a response's `Date` header implies; ignores a missing or
    /// malformed header.
    pub fn observe(&self, headers: &HeaderMap) {
        let Some(server) = headers
            .get(DATE)
            .and_then(|value| value.to_str().ok())
            .and_then(parse_http_date)
        else {
            return;
        };
        self.record(server - local_now_unix());
    }

    /// Sets the offset directly, in seconds (server minus local).
    pub fn record(&self, skew_secs: i64) {
        self.inner.skew_secs.store(skew_secs, Ordering::Relaxed);
        self.inner.known.store(true, Ordering::Relaxed);
    }

    /// Returns the server clock minus the local clock in seconds, once a response carried a `Date` header.
    pub fn skew_secs(&self) -> Option<i64> {
        self.inner
            .known
            .load(Ordering::Relaxed)
            .then(|| self.inner.skew_secs.load(Ordering::Relaxed))
    }

    /// Returns the server's current time in Unix seconds: the local clock corrected by the
    /// last measured offset, or the local clock alone before any response.
    pub fn now_unix(&self) -> i64 {
        local_now_unix() + self.skew_secs().unwrap_or(0)
    }

    /// Returns true when the measured offset is large enough to warn about.
    pub fn is_skew_large(&self) -> bool {
        self.skew_secs()
            .is_some_and(|skew| skew.abs() > LARGE_SKEW_SECS)
    }
}

/// Returns the local clock in Unix seconds; a clock set before 1970 counts as negative.
pub fn local_now_unix() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Parses an IMF-fixdate such as `Sun, 06 Nov 1994 08:49:37 GMT` into Unix seconds.
fn parse_http_date(text: &str) -> Option<i64> {
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let parsed = PrimitiveDateTime::parse(text.trim(), format).ok()?;
    Some(parsed.assume_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers_with_date(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(DATE, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn http_date_parses() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
    }

    #[test]
    fn http_date_rejects_other_forms() {
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("784111777"), None);
    }

    #[test]
    fn skew_unknown_before_response() {
        assert_eq!(ServerClock::default().skew_secs(), None);
    }

    #[test]
    fn observe_measures_a_slow_local_clock() {
        let clock = ServerClock::default();
        let ahead = time::OffsetDateTime::now_utc() + time::Duration::minutes(10);
        let format = format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        );
        clock.observe(&headers_with_date(&ahead.format(format).unwrap()));

        let skew = clock.skew_secs().unwrap();
        assert!((598..=601).contains(&skew), "skew {skew}");
        assert!(clock.is_skew_large());
    }

    #[test]
    fn observe_ignores_bad_header() {
        let clock = ServerClock::default();
        clock.observe(&headers_with_date("yesterday"));
        assert_eq!(clock.skew_secs(), None);
    }

    #[test]
    fn now_follows_the_server() {
        let clock = ServerClock::default();
        clock.record(-3600);
        let gap = local_now_unix() - clock.now_unix();
        assert!((3599..=3601).contains(&gap), "gap {gap}");
    }

    #[test]
    fn clones_share_the_measurement() {
        let clock = ServerClock::default();
        let clone = clock.clone();
        clock.record(5);
        assert_eq!(clone.skew_secs(), Some(5));
        assert!(!clone.is_skew_large());
    }
}
