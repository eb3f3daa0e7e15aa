//! Bytes downloaded again when the connection drops during one download.
//!
//! The emulator resets the connection (`ECONNRESET`) at evenly spread file offsets, one fault
//! per request, so each resumed request runs to the next offset. Everything the delivery host
//! sent beyond the file's size was downloaded twice. When the CLI gives up after its own retry
//! limit, the same command runs again with the same profile and resumes the partial file. The
//! page counts those re-runs.

use std::path::Path;
use std::time::Duration;

use stream_emulator::{DeliveryFault, EmulatorConfig, Seed};

use crate::child::run_async;
use crate::setup::{self, check_file_size};
use crate::throughput::transfer_timeout;
use crate::tools::Tools;
use crate::units::format_size;
use crate::workdir::{remove, WorkDir};

/// Results of the resume run.
#[derive(Debug, Clone)]
pub struct Resume {
    pub size: u64,
    pub resets_injected: u32,
    /// Resets the emulator performed.
    pub resets_seen: u64,
    /// Extra runs of `offstream download` after one gave up.
    pub reruns: u32,
    pub delivery_requests: u64,
    /// Body bytes the delivery host sent, including those lost to resets.
    pub delivered_bytes: u64,
    /// Injected faults no request took, because the download finished without them.
    pub faults_left: usize,
    /// Wall time of all runs together.
    pub wall: Duration,
    /// The last error line of each run that gave up.
    pub gave_up_with: Vec<String>,
}

impl Resume {
    /// Returns the bytes sent beyond the file's size.
    pub fn redownloaded(&self) -> u64 {
        self.delivered_bytes.saturating_sub(self.size)
    }

    /// Returns [`Self::redownloaded`] as a percentage of the file size.
    pub fn redownloaded_percent(&self) -> f64 {
        self.redownloaded() as f64 * 100.0 / self.size as f64
    }
}

/// Returns the CLI's `error:` line, or else the last line of its standard error.
fn error_line(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    lines
        .iter()
        .find(|line| line.starts_with("error:"))
        .or(lines.last())
        .map(|line| line.trim().to_owned())
        .unwrap_or_default()
}

/// Returns `count` reset offsets that split `size` into `count + 1` equal parts.
pub fn reset_offsets(size: u64, count: u32) -> Vec<u64> {
    let parts = u128::from(count) + 1;
    (1..=u128::from(count))
        .map(|part| u64::try_from(u128::from(size) * part / parts).unwrap_or(size))
        .collect()
}

/// Downloads a padded video of `size` bytes while `resets` connection resets are queued.
///
/// # Errors
/// Returns a message when the emulator fails, the CLI still fails after `resets + 1` re-runs,
/// or the final file has the wrong size.
pub async fn run(tools: &Tools, work: &WorkDir, size: u64, resets: u32) -> Result<Resume, String> {
    let emulator = setup::start_emulator(EmulatorConfig {
        seed: Seed::Empty,
        prepare_time: Duration::ZERO,
        ..EmulatorConfig::default()
    })
    .await?;
    let uid = setup::add_padded_video(&emulator, size)?;
    for offset in reset_offsets(size, resets) {
        emulator
            .inject_delivery_fault(DeliveryFault::ResetAt(offset))
            .map_err(|error| format!("cannot queue a reset at offset {offset}: {error}"))?;
    }

    eprintln!(
        "resume: {} download with {resets} connection resets",
        format_size(size)
    );
    let profile = work.fresh("resume")?;
    let mut wall = Duration::ZERO;
    let mut reruns = 0;
    let mut gave_up_with = Vec::new();
    let saved_path = loop {
        let command =
            setup::offstream_command(tools, &emulator, &profile, std::slice::from_ref(&uid));
        let child = run_async(
            "offstream download",
            command,
            transfer_timeout(size),
            work.path(),
        )
        .await?;
        wall += child.wall;
        if child.status.success() && !child.timed_out {
            break child
                .stdout
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned();
        }

        let tail = child.stderr_tail();
        eprintln!("  offstream download gave up ({}): {tail}", child.status);
        gave_up_with.push(error_line(&child.stderr));
        if reruns > resets {
            return Err(format!(
                "offstream download still failed after {reruns} re-runs; last output: {tail}"
            ));
        }
        reruns += 1;
    };
    check_file_size("offstream", Path::new(&saved_path), size)?;

    let counters = emulator.counters();
    let (faults_left, _) = emulator.pending_faults();
    remove(&profile)?;
    emulator.shutdown().await;

    let result = Resume {
        size,
        resets_injected: resets,
        resets_seen: counters.resets,
        reruns,
        delivery_requests: counters.delivery_requests,
        delivered_bytes: counters.delivery_bytes,
        faults_left,
        wall,
        gave_up_with,
    };
    eprintln!(
        "resume: {} resets, {} delivery requests, {} bytes sent for a {size}-byte file: {} bytes ({:.3} %) again, {} re-runs",
        result.resets_seen,
        result.delivery_requests,
        result.delivered_bytes,
        result.redownloaded(),
        result.redownloaded_percent(),
        result.reruns
    );
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_offsets_spread_evenly() {
        assert_eq!(
            reset_offsets(110, 10),
            [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
        );
    }

    #[test]
    fn error_line_prefers_error() {
        let stderr = " WARN retrying\nerror: abc: interrupted\nnote: kept\n";
        assert_eq!(error_line(stderr), "error: abc: interrupted");
    }

    #[test]
    fn reset_offsets_stay_inside_file() {
        let offsets = reset_offsets(512 * 1024 * 1024, 10);
        assert!(offsets.iter().all(|offset| *offset < 512 * 1024 * 1024));
    }
}
