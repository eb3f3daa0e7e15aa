//! Emulator settings: credentials, port, seed data and the wire-format variants to emulate.
//!
//! [`EmulatorConfig::default`] describes the demo account: the embedded samples, the fixed
//! [`DEMO_ACCOUNT_ID`] and [`DEMO_API_TOKEN`], an ephemeral port, a 3-second download
//! preparation and a clock without offset. `Debug` output never shows the API token.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::clock::MAX_CLOCK_OFFSET_SECS;
use crate::error::Error;
use crate::rate_limit::RateLimit;

/// Account id of the demo account (32 lowercase hex characters, like real account ids).
pub const DEMO_ACCOUNT_ID: &str = "4f666673747265616d44656d6f303031";

/// API token of the demo account. It is public and grants access to the emulator only.
pub const DEMO_API_TOKEN: &str = "offstreamDemoApiToken0000000000000000000";

/// Largest `limit` the real list endpoint accepts.
pub const REAL_PAGE_LIMIT_MAX: usize = 1000;

/// Videos the emulator holds when it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seed {
    /// The three sample videos compiled into the crate.
    Samples,
    /// One video per `*.mp4` file in the folder (see the crate docs for the rules).
    Folder(PathBuf),
    /// No videos, apart from `synthetic_videos`.
    Empty,
}

/// Comparison between `created` and the list bounds `before`/`end` and `after`/`start`.
///
/// Cloudflare does not document whether the bounds are inclusive, so clients must cope with
/// both; tests run the emulator in each mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Bounds {
    /// `created < before` and `created > after`.
    #[default]
    Exclusive,
    /// `created <= before` and `created >= after`.
    Inclusive,
}

/// Settings for [`crate::Emulator::start`].
#[derive(Clone)]
pub struct EmulatorConfig {
    /// Account id expected in `/accounts/{account_id}/...` paths.
    pub account_id: String,
    /// Token expected in `Authorization: Bearer <token>`; must be an RFC 6750 `b64token`.
    pub api_token: String,
    /// TCP port on 127.0.0.1; 0 picks a free port.
    pub port: u16,
    /// Initial videos.
    pub seed: Seed,
    /// Extra synthetic videos added after the seed; they share the sample bytes, so 10,000 is cheap.
    pub synthetic_videos: usize,
    /// Adds one video per [`crate::hostile_titles`] entry after the synthetic ones: titles that
    /// are reserved, illegal, invisible, too long or duplicated as file names.
    pub hostile_titles: bool,
    /// Time from creating a download to `ready`; `percentComplete` rises linearly over it.
    pub prepare_time: Duration,
    /// Whether list bounds are exclusive or inclusive.
    pub list_bounds: Bounds,
    /// Sends the list's `total` and `range` as numeric strings (`"123"`), as an old SDK declared them.
    pub numbers_as_strings: bool,
    /// Makes `POST .../downloads` return the flat `{status, url, percentComplete}` shape that one
    /// generated API reference showed, instead of the documented keyed shape.
    pub flat_download_create: bool,
    /// Largest accepted list `limit`, also the default page size (the real service uses 1000).
    pub page_limit_max: usize,
    /// Seconds added to real time to get the emulator's clock, which judges token `exp` and
    /// `nbf` and fills the `Date` header. Negative values put the clock behind. Change it at run
    /// time with [`crate::RunningEmulator::set_clock_offset`].
    pub clock_offset_secs: i64,
    /// API rate limit; `None` (the default) lets every request through. Delivery requests
    /// never count against it.
    pub rate_limit: Option<RateLimit>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            account_id: DEMO_ACCOUNT_ID.to_owned(),
            api_token: DEMO_API_TOKEN.to_owned(),
            port: 0,
            seed: Seed::Samples,
            synthetic_videos: 0,
            hostile_titles: false,
            prepare_time: Duration::from_secs(3),
            list_bounds: Bounds::Exclusive,
            numbers_as_strings: false,
            flat_download_create: false,
            page_limit_max: REAL_PAGE_LIMIT_MAX,
            clock_offset_secs: 0,
            rate_limit: None,
        }
    }
}

impl EmulatorConfig {
    /// Checks the values that would make the emulator unusable.
    ///
    /// # Errors
    /// Returns [`Error::InvalidConfig`] naming the field and the accepted form.
    pub fn validate(&self) -> Result<(), Error> {
        if self.account_id.is_empty()
            || self.account_id.len() > 64
            || !self.account_id.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(Error::InvalidConfig(format!(
                "account id {:?} is invalid: use 1 to 64 ASCII letters or digits \
                 (real account ids are 32 lowercase hex characters)",
                self.account_id
            )));
        }
        if !is_b64token(&self.api_token) {
            return Err(Error::InvalidConfig(
                "API token is invalid: use letters, digits and - . _ ~ + / (optionally ending \
                 in =), as in an RFC 6750 bearer token"
                    .to_owned(),
            ));
        }
        if self.page_limit_max == 0 {
            return Err(Error::InvalidConfig(
                "page_limit_max is 0: use at least 1 (the real service allows 1000)".to_owned(),
            ));
        }
        if self.clock_offset_secs.unsigned_abs() > MAX_CLOCK_OFFSET_SECS.unsigned_abs() {
            return Err(Error::InvalidConfig(format!(
                "clock offset {} s is out of range: use -{MAX_CLOCK_OFFSET_SECS} to {MAX_CLOCK_OFFSET_SECS} seconds",
                self.clock_offset_secs
            )));
        }
        if let Some(limit) = &self.rate_limit {
            if limit.requests == 0 || limit.window.is_zero() {
                return Err(Error::InvalidConfig(format!(
                    "rate limit of {} requests per {:?} is unusable: use at least 1 request \
                     and a window longer than zero (the real service allows 1200 per 300 s)",
                    limit.requests, limit.window
                )));
            }
        }
        Ok(())
    }
}

impl fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("account_id", &self.account_id)
            .field("api_token", &"[redacted]")
            .field("port", &self.port)
            .field("seed", &self.seed)
            .field("synthetic_videos", &self.synthetic_videos)
            .field("hostile_titles", &self.hostile_titles)
            .field("prepare_time", &self.prepare_time)
            .field("list_bounds", &self.list_bounds)
            .field("numbers_as_strings", &self.numbers_as_strings)
            .field("flat_download_create", &self.flat_download_create)
            .field("page_limit_max", &self.page_limit_max)
            .field("clock_offset_secs", &self.clock_offset_secs)
            .field("rate_limit", &self.rate_limit)
            .finish()
    }
}

/// Returns true for an RFC 6750 `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
pub(crate) fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_is_valid() {
        assert!(EmulatorConfig::default().validate().is_ok());
    }

    #[test]
    fn validate_rejects_token_with_space() {
        let config = EmulatorConfig {
            api_token: "two words".to_owned(),
            ..EmulatorConfig::default()
        };

        assert!(config.validate().is_err());
    }

    #[test]
    fn validate_rejects_account_with_slash() {
        let config = EmulatorConfig {
            account_id: "a/b".to_owned(),
            ..EmulatorConfig::default()
        };

        assert!(config.validate().is_err());
    }

    #[test]
    fn validate_rejects_huge_clock_offset() {
        let config = EmulatorConfig {
            clock_offset_secs: i64::MIN,
            ..EmulatorConfig::default()
        };

        assert!(config.validate().is_err());
    }

    #[test]
    fn validate_rejects_zero_rate_limit() {
        let config = EmulatorConfig {
            rate_limit: Some(RateLimit {
                requests: 0,
                ..RateLimit::default()
            }),
            ..EmulatorConfig::default()
        };

        assert!(config.validate().is_err());
    }

    #[test]
    fn debug_redacts_token() {
        let text = format!("{:?}", EmulatorConfig::default());

        assert!(!text.contains(DEMO_API_TOKEN));
    }

    #[test]
    fn b64token_cases() {
        assert!(is_b64token("abc123"));
        assert!(is_b64token("cfut_abc-def.ghi~+/=="));
        assert!(!is_b64token("=="));
        assert!(!is_b64token(""));
        assert!(!is_b64token("a b"));
        assert!(!is_b64token("a=b"));
    }
}
