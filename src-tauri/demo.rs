//! Demo mode: an embedded Stream emulator seeded with the sample videos.
//!
//! The demo account lives in its own profile (`<data dir>/demo`), so trying the app never
//! mixes sample videos into a real library, and its credentials are the emulator's own, never
//! written to the keychain.
//!
//! Besides the samples, the demo contains a five-hour live recording, which Stream cannot turn
//! into an MP4, so the backup estimate shows an unavailable video. Two environment variables
//! grow the demo account for end-to-end tests and benchmarks; they are read only in demo mode:
//! - `OFFSTREAM_DEMO_VIDEOS=N` adds N synthetic videos that share the sample bytes;
//! - `OFFSTREAM_DEMO_HOSTILE_TITLES=1` adds one video per title that is dangerous as a file
//!   name (device names, path separators, control characters, near-duplicates).

use std::time::Duration;

use stream_emulator::{Emulator, EmulatorConfig, RunningEmulator, VideoSpec};

/// How long the emulator takes to prepare a download, so the preparing phase is visible.
const DEMO_PREPARE_TIME: Duration = Duration::from_secs(4);

/// Largest `OFFSTREAM_DEMO_VIDEOS` accepted; the emulator keeps every video in memory.
const MAX_EXTRA_VIDEOS: usize = 100_000;

/// Length of the demo's live recording: past the four hours up to which Stream makes MP4s.
const LIVE_RECORDING_SECONDS: f64 = 5.0 * 3600.0;

/// The demo account's extra videos, from the environment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct DemoSeed {
    videos: usize,
    hostile_titles: bool,
}

impl DemoSeed {
    /// Reads `OFFSTREAM_DEMO_VIDEOS` and `OFFSTREAM_DEMO_HOSTILE_TITLES`.
    ///
    /// # Errors
    /// A message naming the variable and the accepted values when one is invalid.
    fn from_env() -> Result<Self, String> {
        Self::parse(
            std::env::var("OFFSTREAM_DEMO_VIDEOS").ok().as_deref(),
            std::env::var("OFFSTREAM_DEMO_HOSTILE_TITLES")
                .ok()
                .as_deref(),
        )
    }

    fn parse(videos: Option<&str>, hostile_titles: Option<&str>) -> Result<Self, String> {
        let videos = match videos.map(str::trim) {
            None | Some("") => 0,
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|count| *count <= MAX_EXTRA_VIDEOS)
                .ok_or_else(|| {
                    format!("OFFSTREAM_DEMO_VIDEOS is {text:?}; set a whole number from 0 to {MAX_EXTRA_VIDEOS}")
                })?,
        };
        let hostile_titles = match hostile_titles.map(str::trim) {
            None | Some("") | Some("0") | Some("false") => false,
            Some("1") | Some("true") => true,
            Some(text) => {
                return Err(format!(
                    "OFFSTREAM_DEMO_HOSTILE_TITLES is {text:?}; set 1 or 0"
                ))
            }
        };
        Ok(Self {
            videos,
            hostile_titles,
        })
    }
}

/// Starts the embedded emulator on 127.0.0.1.
///
/// # Errors
/// Returns a message naming an invalid demo variable, or the emulator's error when its port
/// cannot be opened.
pub async fn start() -> Result<RunningEmulator, String> {
    let seed = DemoSeed::from_env()?;
    let config = EmulatorConfig {
        prepare_time: DEMO_PREPARE_TIME,
        synthetic_videos: seed.videos,
        hostile_titles: seed.hostile_titles,
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::start(config)
        .await
        .map_err(|error| error.to_string())?;
    emulator.add_video(VideoSpec {
        duration: Some(LIVE_RECORDING_SECONDS),
        live_input: Some("demo-live-input".to_owned()),
        ..VideoSpec::named("Annual meeting (live recording)")
    });
    tracing::info!(
        api_base = %emulator.api_base(),
        extra_videos = seed.videos,
        hostile_titles = seed.hostile_titles,
        "started the demo emulator"
    );
    Ok(emulator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_defaults_to_samples_only() {
        assert_eq!(DemoSeed::parse(None, None), Ok(DemoSeed::default()));
    }

    #[test]
    fn seed_reads_video_count() {
        let seed = DemoSeed::parse(Some("46"), Some("1")).unwrap();
        assert_eq!(seed.videos, 46);
        assert!(seed.hostile_titles);
    }

    #[test]
    fn seed_rejects_bad_count() {
        let error = DemoSeed::parse(Some("many"), None).unwrap_err();
        assert!(error.contains("OFFSTREAM_DEMO_VIDEOS"), "{error}");
    }

    #[test]
    fn seed_rejects_bad_flag() {
        let error = DemoSeed::parse(None, Some("yes")).unwrap_err();
        assert!(error.contains("OFFSTREAM_DEMO_HOSTILE_TITLES"), "{error}");
    }
}
