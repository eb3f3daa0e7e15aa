//! [`PollSchedule`]: when to poll `GET /downloads` next while Stream prepares a download.
//!
//! Stream sends no event when a download becomes ready, so a job polls. Each poll costs one
//! request of the account's API budget, so the schedule spends few:
//! - While `percentComplete` does not move, the pause grows by `factor` up to `max`.
//! - Once it moves, the rate seen so far predicts when it reaches 100 %, and the next poll
//!   waits until then (a little after, within `initial..=prediction_max`). A download that
//!   rises steadily is therefore seen ready by the second or third poll.
//! - Every pause gets random jitter, so many jobs started together spread their polls out.
//!   A backoff pause varies by ±20 %. A predicted pause only lengthens, by 10 % to 30 %,
//!   because polling before the predicted instant usually costs one more request.
//!
//! The schedule also measures how long the percentage has not moved, for the stall notice and
//! the stall timeout of the job.

use std::time::Duration;

use tokio::time::Instant;

/// Share of a pause that jitter may add or remove.
const JITTER: f64 = 0.2;

/// Share added to a predicted pause before jitter, so the poll lands after 100 %.
const PREDICTION_MARGIN: f64 = 0.1;

/// Pauses of a [`PollSchedule`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PollSettings {
    /// First backoff pause, and the shortest predicted one.
    pub initial: Duration,
    /// Growth of the backoff pause per poll without progress.
    pub factor: f64,
    /// Maximum backoff pause.
    pub max: Duration,
    /// Maximum pause that a prediction may request.
    pub prediction_max: Duration,
}

/// A percentage and the instant it was first seen.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Sighting {
    at: Instant,
    percent: f64,
}

/// The polling state of one download.
#[derive(Debug, Clone)]
pub(crate) struct PollSchedule {
    settings: PollSettings,
    backoff: Duration,
    /// The percentage before its latest change, with the instant it was first seen.
    previous: Option<Sighting>,
    /// The latest percentage, with the instant it was first seen.
    current: Option<Sighting>,
    /// Whether the latest observation changed the percentage.
    moved: bool,
    last_change: Instant,
}

impl PollSchedule {
    /// Starts a schedule at `now`, before any percentage was seen.
    pub fn new(settings: PollSettings, now: Instant) -> Self {
        Self {
            settings,
            backoff: settings.initial,
            previous: None,
            current: None,
            moved: false,
            last_change: now,
        }
    }

    /// Records the percentage of one response and returns true when it changed.
    ///
    /// A percentage that falls (the download was re-created) starts the rate measurement
    /// over. A missing percentage counts as no change.
    pub fn observe(&mut self, now: Instant, percent: Option<f64>) -> bool {
        let Some(percent) = percent.filter(|value| value.is_finite()) else {
            self.moved = false;
            return false;
        };
        let sighting = Sighting { at: now, percent };

        self.moved = match self.current {
            None => true,
            Some(current) if percent > current.percent => {
                self.previous = Some(current);
                true
            }
            Some(current) if percent < current.percent => {
                self.previous = None;
                true
            }
            Some(_) => false,
        };
        if self.moved {
            self.current = Some(sighting);
            self.last_change = now;
        }
        self.moved
    }

    /// Returns the latest percentage seen.
    pub fn percent(&self) -> Option<f64> {
        self.current.map(|sighting| sighting.percent)
    }

    /// Returns how long the percentage has not changed (since the schedule started when it
    /// never did).
    pub fn unchanged_for(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.last_change)
    }

    /// Returns the pause before the next poll. `unit` is a random sample in `0.0..1.0` that
    /// sets the jitter.
    pub fn next_delay(&mut self, now: Instant, unit: f64) -> Duration {
        let unit = unit.clamp(0.0, 1.0);
        if self.moved {
            if let Some(predicted) = self.predicted_wait(now) {
                let stretched = predicted.mul_f64(1.0 + PREDICTION_MARGIN + JITTER * unit);
                return stretched.clamp(self.settings.initial, self.settings.prediction_max);
            }
        }

        let delay = self.backoff.mul_f64(1.0 + JITTER * (2.0 * unit - 1.0));
        self.backoff = self
            .backoff
            .mul_f64(self.settings.factor)
            .min(self.settings.max);
        delay
    }

    /// Returns the time until 100 % at the rate from the previous to the current sighting.
    fn predicted_wait(&self, now: Instant) -> Option<Duration> {
        let (previous, current) = (self.previous?, self.current?);
        let elapsed = current
            .at
            .checked_duration_since(previous.at)?
            .as_secs_f64();
        let gained = current.percent - previous.percent;
        if elapsed <= 0.0 || gained <= 0.0 {
            return None;
        }

        let remaining_secs = (100.0 - current.percent).max(0.0) * elapsed / gained;
        let ready_at = current.at + Duration::try_from_secs_f64(remaining_secs).ok()?;
        Some(ready_at.saturating_duration_since(now))
    }
}

/// Returns a random sample in `0.0..1.0` for [`PollSchedule::next_delay`].
pub(crate) fn jitter_unit() -> f64 {
    rand::random::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> PollSettings {
        PollSettings {
            initial: Duration::from_secs(1),
            factor: 1.5,
            max: Duration::from_secs(10),
            prediction_max: Duration::from_secs(120),
        }
    }

    fn secs(value: f64) -> Duration {
        Duration::from_secs_f64(value)
    }

    /// Asserts that two pauses are equal to the millisecond, because they come from floats.
    #[track_caller]
    fn assert_near(actual: Duration, expected: Duration) {
        let difference = actual.abs_diff(expected);
        assert!(
            difference < Duration::from_millis(1),
            "{actual:?} is not {expected:?}"
        );
    }

    #[test]
    fn backoff_grows_to_cap() {
        let start = Instant::now();
        let mut schedule = PollSchedule::new(settings(), start);
        let delays: Vec<Duration> = (0..8).map(|_| schedule.next_delay(start, 0.5)).collect();
        assert_near(delays[0], secs(1.0));
        assert_near(delays[1], secs(1.5));
        assert_near(delays[2], secs(2.25));
        assert_near(delays[7], secs(10.0));
    }

    #[test]
    fn backoff_jitter_stays_within_bounds() {
        let start = Instant::now();
        let low = PollSchedule::new(settings(), start).next_delay(start, 0.0);
        let high = PollSchedule::new(settings(), start).next_delay(start, 1.0);
        assert_near(low, secs(0.8));
        assert_near(high, secs(1.2));
    }

    #[test]
    fn prediction_waits_until_complete() {
        let start = Instant::now();
        let mut schedule = PollSchedule::new(settings(), start);
        schedule.observe(start, Some(0.0));
        schedule.next_delay(start, 0.0);

        // 10 % after 2 s: 100 % comes 18 s later, plus the 10 % margin.
        let now = start + secs(2.0);
        assert!(schedule.observe(now, Some(10.0)));
        let delay = schedule.next_delay(now, 0.0);
        assert_near(delay, secs(19.8));
    }

    #[test]
    fn prediction_jitter_only_lengthens() {
        let start = Instant::now();
        let mut schedule = PollSchedule::new(settings(), start);
        schedule.observe(start, Some(0.0));
        let now = start + secs(2.0);
        schedule.observe(now, Some(10.0));
        assert_near(schedule.next_delay(now, 1.0), secs(18.0 * 1.3));
    }

    #[test]
    fn prediction_is_bounded() {
        let start = Instant::now();
        let mut schedule = PollSchedule::new(settings(), start);
        schedule.observe(start, Some(0.0));
        let now = start + secs(60.0);
        schedule.observe(now, Some(1.0));
        assert_near(schedule.next_delay(now, 0.0), secs(120.0));
    }

    #[test]
    fn prediction_near_end_waits_initial() {
        let start = Instant::now();
        let mut schedule = PollSchedule::new(settings(), start);
        schedule.observe(start, Some(0.0));
        let now = start + secs(10.0);
        schedule.observe(now, Some(99.9));
        assert_near(schedule.next_delay(now, 0.0), secs(1.0));
    }

    #[test]
    fn still_percent_backs_off() {
        let start = Instant::now();
        let mut schedule = PollSchedule::new(settings(), start);
        schedule.observe(start, Some(0.0));
        schedule.next_delay(start, 0.5);
        let now = start + secs(1.0);
        assert!(!schedule.observe(now, Some(0.0)));
        assert_near(schedule.next_delay(now, 0.5), secs(1.5));
    }

    #[test]
    fn unchanged_time_resets_on_move() {
        let start = Instant::now();
        let mut schedule = PollSchedule::new(settings(), start);
        schedule.observe(start, Some(37.0));
        schedule.observe(start + secs(50.0), Some(37.0));
        assert_near(schedule.unchanged_for(start + secs(61.0)), secs(61.0));

        schedule.observe(start + secs(70.0), Some(38.0));
        assert_near(schedule.unchanged_for(start + secs(71.0)), secs(1.0));
    }

    #[test]
    fn falling_percent_restarts_rate() {
        let start = Instant::now();
        let mut schedule = PollSchedule::new(settings(), start);
        schedule.observe(start, Some(50.0));
        assert!(schedule.observe(start + secs(1.0), Some(0.0)));
        assert_eq!(schedule.percent(), Some(0.0));
        assert_near(schedule.next_delay(start + secs(1.0), 0.5), secs(1.0));
    }

    #[test]
    fn missing_percent_is_no_change() {
        let start = Instant::now();
        let mut schedule = PollSchedule::new(settings(), start);
        assert!(!schedule.observe(start, None));
        assert_eq!(schedule.percent(), None);
    }
}
