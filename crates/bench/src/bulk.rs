//! API calls per video when one `offstream download` enables and downloads many small videos
//! under the real service's rate limit (1,200 requests per 5 minutes, then a 5-minute
//! lock-out).
//!
//! The uids come from the emulator directly, so listing costs no API call. The counts are the
//! emulator's, so they include every retry and every rejected call.

use std::time::Duration;

use stream_emulator::{ApiEndpointCounts, EmulatorConfig, RateLimit, Seed};

use crate::child::run_async;
use crate::setup;
use crate::tools::Tools;
use crate::workdir::{remove, WorkDir};

/// Results of the bulk run.
#[derive(Debug, Clone)]
pub struct Bulk {
    pub videos: u32,
    pub prepare_time: Duration,
    /// Files the CLI printed as saved in the library.
    pub saved: usize,
    pub wall: Duration,
    /// Exit status of the CLI as text, such as `exit status: 0`.
    pub status: String,
    pub timed_out: bool,
    pub api_requests: u64,
    pub rate_limited: u64,
    pub by_endpoint: ApiEndpointCounts,
    pub delivery_requests: u64,
    pub max_rss: u64,
    /// The last lines of the CLI's standard error when it failed.
    pub error_tail: Option<String>,
}

impl Bulk {
    /// Returns the mean API calls per requested video.
    pub fn calls_per_video(&self) -> f64 {
        self.api_requests as f64 / f64::from(self.videos.max(1))
    }

    /// Returns the mean API calls per saved video, which differs from
    /// [`Self::calls_per_video`] when the run failed or timed out.
    pub fn calls_per_saved_video(&self) -> f64 {
        self.api_requests as f64 / self.saved.max(1) as f64
    }
}

/// Runs `offstream download` with `videos` uids against a rate-limited emulator.
///
/// # Errors
/// Returns a message when the emulator or the CLI cannot start. A failed or timed-out CLI is
/// a result, not an error, because its partial counts still belong on the page.
pub async fn run(
    tools: &Tools,
    work: &WorkDir,
    videos: u32,
    prepare_time: Duration,
    timeout: Duration,
) -> Result<Bulk, String> {
    let emulator = setup::start_emulator(EmulatorConfig {
        seed: Seed::Empty,
        synthetic_videos: videos as usize,
        prepare_time,
        rate_limit: Some(RateLimit::default()),
        ..EmulatorConfig::default()
    })
    .await?;
    let uids: Vec<String> = emulator
        .videos()
        .into_iter()
        .map(|video| video.uid)
        .collect();

    eprintln!(
        "bulk: downloading {} videos under the rate limit (timeout {} s)",
        uids.len(),
        timeout.as_secs()
    );
    let profile = work.fresh("bulk")?;
    let command = setup::offstream_command(tools, &emulator, &profile, &uids);
    let child = run_async("offstream download", command, timeout, work.path()).await?;
    let counters = emulator.counters();
    remove(&profile)?;
    emulator.shutdown().await;

    let failed = child.timed_out || !child.status.success();
    let result = Bulk {
        videos,
        prepare_time,
        saved: child
            .stdout
            .lines()
            .filter(|line| !line.trim().is_empty())
            .count(),
        wall: child.wall,
        status: child.status.to_string(),
        timed_out: child.timed_out,
        api_requests: counters.api_requests,
        rate_limited: counters.rate_limited,
        by_endpoint: counters.api_by_endpoint,
        delivery_requests: counters.delivery_requests,
        max_rss: child.max_rss,
        error_tail: failed.then(|| child.stderr_tail()),
    };
    print_breakdown(&result);
    Ok(result)
}

/// Returns the per-endpoint counts as (label, count) rows.
pub fn endpoint_rows(counts: &ApiEndpointCounts) -> Vec<(&'static str, u64)> {
    vec![
        ("GET /stream (list)", counts.list),
        ("GET /stream/{uid}", counts.video),
        ("GET /stream/{uid}/downloads", counts.downloads_get),
        ("POST /stream/{uid}/downloads", counts.downloads_create),
        ("DELETE /stream/{uid}/downloads", counts.downloads_delete),
        ("POST /stream/{uid}/token", counts.token),
        ("/stream/keys", counts.keys),
        ("other", counts.other),
    ]
}

fn print_breakdown(bulk: &Bulk) {
    eprintln!(
        "bulk: {} of {} saved in {:.0} s ({}{}), {} API calls ({:.2} per video), {} answered 429",
        bulk.saved,
        bulk.videos,
        bulk.wall.as_secs_f64(),
        bulk.status,
        if bulk.timed_out { ", timed out" } else { "" },
        bulk.api_requests,
        bulk.calls_per_video(),
        bulk.rate_limited
    );
    for (label, count) in endpoint_rows(&bulk.by_endpoint) {
        eprintln!("  {label:<32} {count:>6}");
    }
    if let Some(tail) = &bulk.error_tail {
        eprintln!("  last output of the CLI:\n{tail}");
    }
}
