//! Throughput of one large download: `offstream download` against `curl -o` of the same
//! delivery URL and `dd` of an equal file on the same disk.
//!
//! The tools take turns within each run, so a slow spell of the machine hits all of them.
//! Each file is removed before the next tool starts, so at most one large file exists at a
//! time.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use stream_emulator::{EmulatorConfig, Seed};

use crate::child::{require_success, run_async};
use crate::setup::{self, check_file_size};
use crate::tools::Tools;
use crate::units::{format_size, median, mib_per_second, MIB};
use crate::workdir::{remove, WorkDir};

/// Options of curl before the output file and the URL: fail on HTTP errors, print only errors.
pub const CURL_ARGS: &[&str] = &["--fail", "--silent", "--show-error", "--output"];

/// Wall times and peak memory of one tool's runs.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    pub walls: Vec<Duration>,
    pub max_rss: Vec<u64>,
}

impl Samples {
    fn push(&mut self, wall: Duration, max_rss: u64) {
        self.walls.push(wall);
        self.max_rss.push(max_rss);
    }

    /// Returns the throughput of each run in MiB/s.
    pub fn rates(&self, size: u64) -> Vec<f64> {
        self.walls
            .iter()
            .map(|wall| mib_per_second(size, *wall))
            .collect()
    }

    /// Returns the median throughput in MiB/s (0 without runs).
    pub fn median_rate(&self, size: u64) -> f64 {
        median(&self.rates(size)).unwrap_or(0.0)
    }

    /// Returns the median wall time in seconds (0 without runs).
    pub fn median_seconds(&self) -> f64 {
        let seconds: Vec<f64> = self.walls.iter().map(Duration::as_secs_f64).collect();
        median(&seconds).unwrap_or(0.0)
    }

    /// Returns the largest peak resident memory of the runs in bytes.
    pub fn peak_rss(&self) -> u64 {
        self.max_rss.iter().copied().max().unwrap_or(0)
    }
}

/// Results of the throughput comparison.
#[derive(Debug, Clone)]
pub struct Throughput {
    pub size: u64,
    pub runs: u32,
    pub offstream: Samples,
    pub curl: Samples,
    /// curl's time plus `sync FILE`, comparable with offstream, which flushes its file to disk
    /// before moving it into the library.
    pub curl_synced: Samples,
    pub dd: Samples,
}

/// Returns the dd arguments that write `size` zero bytes to `file` and flush them to disk.
pub fn dd_args(file: &str, size: u64) -> Vec<String> {
    vec![
        "if=/dev/zero".to_owned(),
        format!("of={file}"),
        "bs=1M".to_owned(),
        format!("count={size}"),
        "iflag=count_bytes".to_owned(),
        "conv=fsync".to_owned(),
        "status=none".to_owned(),
    ]
}

/// Returns a generous timeout for moving `size` bytes: 10 minutes plus 10 MiB/s.
pub fn transfer_timeout(size: u64) -> Duration {
    Duration::from_secs(600 + size / (10 * MIB))
}

/// Runs the comparison.
///
/// # Errors
/// Returns a message when the emulator fails to start or a tool fails or writes a wrong file.
pub async fn run(
    tools: &Tools,
    work: &WorkDir,
    size: u64,
    runs: u32,
) -> Result<Throughput, String> {
    let emulator = setup::start_emulator(EmulatorConfig {
        seed: Seed::Empty,
        prepare_time: Duration::ZERO,
        ..EmulatorConfig::default()
    })
    .await?;
    let uid = setup::add_padded_video(&emulator, size)?;
    setup::create_download(&emulator, &uid).await?;
    let url = setup::delivery_url(&emulator, &uid);

    let mut result = Throughput {
        size,
        runs,
        offstream: Samples::default(),
        curl: Samples::default(),
        curl_synced: Samples::default(),
        dd: Samples::default(),
    };
    let timeout = transfer_timeout(size);
    for run in 1..=runs {
        eprintln!("throughput run {run} of {runs} ({})", format_size(size));

        let profile = work.fresh("offstream")?;
        let command =
            setup::offstream_command(tools, &emulator, &profile, std::slice::from_ref(&uid));
        let child = run_async("offstream download", command, timeout, work.path()).await?;
        let child = require_success("offstream download", child)?;
        let path = child
            .stdout
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        check_file_size("offstream", Path::new(&path), size)?;
        result.offstream.push(child.wall, child.max_rss);
        remove(&profile)?;

        let file = work.path().join("curl.mp4");
        let mut command = Command::new(&tools.curl);
        command.args(CURL_ARGS).arg(&file).arg(&url);
        let child = require_success(
            "curl",
            run_async("curl", command, timeout, work.path()).await?,
        )?;
        check_file_size("curl", &file, size)?;
        let mut sync = Command::new(&tools.sync);
        sync.arg(&file);
        let synced = require_success("sync", run_async("sync", sync, timeout, work.path()).await?)?;
        result.curl.push(child.wall, child.max_rss);
        result
            .curl_synced
            .push(child.wall + synced.wall, child.max_rss);
        remove(&file)?;

        let file = work.path().join("dd.bin");
        let mut command = Command::new(&tools.dd);
        command.args(dd_args(&file.to_string_lossy(), size));
        let child = require_success("dd", run_async("dd", command, timeout, work.path()).await?)?;
        check_file_size("dd", &file, size)?;
        result.dd.push(child.wall, child.max_rss);
        remove(&file)?;

        eprintln!(
            "  offstream {:.0} MiB/s, curl {:.0} MiB/s (with sync {:.0}), dd {:.0} MiB/s",
            mib_per_second(size, result.offstream.walls[run as usize - 1]),
            mib_per_second(size, result.curl.walls[run as usize - 1]),
            mib_per_second(size, result.curl_synced.walls[run as usize - 1]),
            mib_per_second(size, result.dd.walls[run as usize - 1]),
        );
    }

    emulator.shutdown().await;
    Ok(result)
}
