//! Time of a full sync of a synthetic account into a fresh catalog, and of the quick sync that
//! follows it, measured in this process through the engine's `sync_account`.
//!
//! Each run opens a new catalog file in the work folder and a new API budget. The budget's
//! burst (30 requests) covers a run's requests, so no run waits for a budget token and the
//! figures show the list requests, the JSON parsing and the catalog transaction. A reference
//! row times `StreamClient::list_all` alone, without a catalog, to show the share of the
//! catalog write.

use std::sync::Arc;
use std::time::{Duration, Instant};

use offstream_engine::sync::{sync_account, SyncMode, SyncSummary};
use offstream_engine::{ApiBudget, BudgetConfig, Catalog};
use offstream_stream::{ApiToken, ClientConfig, StreamClient};
use stream_emulator::{EmulatorConfig, RunningEmulator, Seed};

use crate::setup;
use crate::units::median;
use crate::workdir::{remove, WorkDir};

/// One run: a full sync into a fresh catalog, then a quick sync and a read of the mirror.
#[derive(Debug, Clone)]
pub struct SyncRun {
    pub full: Duration,
    pub full_summary: SyncSummary,
    pub quick: Duration,
    pub quick_summary: SyncSummary,
    /// Time of `Catalog::mirrored_videos` right after the syncs, as the app reads the list.
    pub read_mirror: Duration,
}

/// Results of the sync scenario.
#[derive(Debug, Clone)]
pub struct SyncBench {
    pub videos: u32,
    pub runs: Vec<SyncRun>,
    /// Times of `StreamClient::list_all` over the same account, without a catalog.
    pub list_only: Vec<Duration>,
}

impl SyncBench {
    /// Returns the median time of the full syncs.
    pub fn median_full(&self) -> Duration {
        median_of(self.runs.iter().map(|run| run.full))
    }

    /// Returns the median time of the quick syncs.
    pub fn median_quick(&self) -> Duration {
        median_of(self.runs.iter().map(|run| run.quick))
    }

    /// Returns the median time of reading the mirror.
    pub fn median_read(&self) -> Duration {
        median_of(self.runs.iter().map(|run| run.read_mirror))
    }

    /// Returns the median time of the list-only walks.
    pub fn median_list_only(&self) -> Duration {
        median_of(self.list_only.iter().copied())
    }

    /// Returns the requests of a full sync, which every run repeats.
    pub fn full_calls(&self) -> u32 {
        self.runs
            .first()
            .map_or(0, |run| run.full_summary.api_calls)
    }

    /// Returns the requests of a quick sync.
    pub fn quick_calls(&self) -> u32 {
        self.runs
            .first()
            .map_or(0, |run| run.quick_summary.api_calls)
    }
}

/// Runs `runs` full and quick syncs of an emulated account of `videos` synthetic videos.
///
/// # Errors
/// Returns a message when the emulator, a catalog or a sync fails, or when a sync does not
/// mirror every video.
pub async fn run(work: &WorkDir, videos: u32, runs: u32) -> Result<SyncBench, String> {
    let emulator = setup::start_emulator(EmulatorConfig {
        seed: Seed::Empty,
        synthetic_videos: videos as usize,
        ..EmulatorConfig::default()
    })
    .await?;
    let client = client_for(&emulator)?;
    eprintln!("sync: {runs} full and quick syncs of {videos} videos");

    let mut results = Vec::new();
    for index in 1..=runs {
        let folder = work.fresh(&format!("sync-{index}"))?;
        let result = one_run(&client, &folder, videos).await;
        remove(&folder)?;
        let result = result?;
        eprintln!(
            "sync: run {index}: full {:.0} ms ({} requests), quick {:.1} ms ({} requests), read {:.1} ms",
            millis(result.full),
            result.full_summary.api_calls,
            millis(result.quick),
            result.quick_summary.api_calls,
            millis(result.read_mirror)
        );
        results.push(result);
    }

    let mut list_only = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let listed = client
            .list_all(None, |_| {})
            .await
            .map_err(|error| format!("the list-only walk failed: {error}"))?;
        list_only.push(started.elapsed());
        check_count("the list-only walk", listed.len(), videos)?;
    }
    emulator.shutdown().await;

    Ok(SyncBench {
        videos,
        runs: results,
        list_only,
    })
}

async fn one_run(
    client: &StreamClient,
    folder: &std::path::Path,
    videos: u32,
) -> Result<SyncRun, String> {
    let catalog =
        Arc::new(Catalog::open(folder).map_err(|error| format!("cannot open a catalog: {error}"))?);
    let budget = ApiBudget::new(BudgetConfig::default());

    let started = Instant::now();
    let full_summary = sync_account(client, &catalog, &budget, SyncMode::Full, |_| {})
        .await
        .map_err(|error| format!("the full sync failed: {error}"))?;
    let full = started.elapsed();
    check_count("the full sync", full_summary.total as usize, videos)?;

    let started = Instant::now();
    let quick_summary = sync_account(client, &catalog, &budget, SyncMode::Quick, |_| {})
        .await
        .map_err(|error| format!("the quick sync failed: {error}"))?;
    let quick = started.elapsed();
    if quick_summary.mode != SyncMode::Quick {
        return Err("the quick sync fell back to a full walk on an unchanged account".to_owned());
    }

    let started = Instant::now();
    let mirrored = catalog
        .mirrored_videos(client.account_id())
        .map_err(|error| format!("cannot read the mirror: {error}"))?;
    let read_mirror = started.elapsed();
    check_count("the mirror", mirrored.len(), videos)?;

    Ok(SyncRun {
        full,
        full_summary,
        quick,
        quick_summary,
        read_mirror,
    })
}

fn client_for(emulator: &RunningEmulator) -> Result<StreamClient, String> {
    let config = ClientConfig::new(emulator.account_id(), ApiToken::new(emulator.api_token()))
        .with_api_base(emulator.api_base());
    StreamClient::new(config).map_err(|error| format!("cannot create the API client: {error}"))
}

fn check_count(what: &str, found: usize, videos: u32) -> Result<(), String> {
    if found != videos as usize {
        return Err(format!(
            "{what} holds {found} videos, expected {videos}: the sync is incomplete"
        ));
    }
    Ok(())
}

fn median_of(durations: impl Iterator<Item = Duration>) -> Duration {
    let seconds: Vec<f64> = durations.map(|d| d.as_secs_f64()).collect();
    Duration::from_secs_f64(median(&seconds).unwrap_or(0.0))
}

/// Returns a duration in milliseconds.
pub fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
