//! Peak resident memory of `offstream download` at several file sizes.
//!
//! A download that streams to disk should need the same memory for 64 MiB as for 2 GiB, so the
//! figures are compared with each other as well as with the target.

use std::path::Path;
use std::time::Duration;

use stream_emulator::{EmulatorConfig, Seed};

use crate::child::{require_success, run_async};
use crate::setup::{self, check_file_size};
use crate::throughput::transfer_timeout;
use crate::tools::Tools;
use crate::units::{format_size, mib};
use crate::workdir::{remove, WorkDir};

/// One download's size, peak resident memory and wall time.
#[derive(Debug, Clone, Copy)]
pub struct MemoryPoint {
    pub size: u64,
    pub max_rss: u64,
    pub wall: Duration,
}

/// Downloads one padded video per size with a fresh profile each time.
///
/// # Errors
/// Returns a message when the emulator fails to start or a download fails.
pub async fn run(tools: &Tools, work: &WorkDir, sizes: &[u64]) -> Result<Vec<MemoryPoint>, String> {
    let emulator = setup::start_emulator(EmulatorConfig {
        seed: Seed::Empty,
        prepare_time: Duration::ZERO,
        ..EmulatorConfig::default()
    })
    .await?;

    let mut points = Vec::new();
    for &size in sizes {
        let uid = setup::add_padded_video(&emulator, size)?;
        let profile = work.fresh("memory")?;
        let command = setup::offstream_command(tools, &emulator, &profile, &[uid]);
        let child = run_async(
            "offstream download",
            command,
            transfer_timeout(size),
            work.path(),
        )
        .await?;
        let child = require_success("offstream download", child)?;
        let path = child
            .stdout
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        check_file_size("offstream", Path::new(&path), size)?;
        remove(&profile)?;

        eprintln!(
            "memory: {} download, peak resident memory {:.1} MiB",
            format_size(size),
            mib(child.max_rss)
        );
        points.push(MemoryPoint {
            size,
            max_rss: child.max_rss,
            wall: child.wall,
        });
    }

    emulator.shutdown().await;
    Ok(points)
}
