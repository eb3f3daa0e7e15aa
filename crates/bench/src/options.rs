//! Command-line options of `offstream-bench` and the settings they resolve to.
//!
//! Every size option has a full default and a `--quick` default. An option given on the
//! command line wins over both.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use crate::units::{parse_size, GIB, MIB};

/// Measures the offstream CLI against curl and dd on the local Stream emulator and writes a
/// Markdown results page.
///
/// An option given twice takes its last value, so a wrapper script can set defaults that its
/// caller overrides.
#[derive(Debug, Parser)]
#[command(name = "offstream-bench", version, about, args_override_self = true)]
pub struct Args {
    /// Size of the download in the throughput comparison, in bytes or with a KiB, MiB or GiB
    /// suffix [default: 2GiB, quick: 32MiB].
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub size: Option<u64>,

    /// Runs per tool in the throughput comparison; the page shows the median [default: 3,
    /// quick: 1].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub runs: Option<u32>,

    /// Download sizes for the peak-memory measurement, comma-separated [default:
    /// 64MiB,512MiB,2GiB, quick: 8MiB,16MiB,32MiB].
    #[arg(long, value_name = "SIZES", value_delimiter = ',', value_parser = parse_size)]
    pub memory_sizes: Option<Vec<u64>>,

    /// Synthetic videos in the bulk enable-and-download run [default: 1000, quick: 100].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub videos: Option<u32>,

    /// Seconds the emulator takes to prepare each download in the bulk run.
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    pub prepare_seconds: f64,

    /// Seconds after which the bulk run's CLI is killed; the page then shows partial counts.
    #[arg(long, value_name = "SECONDS", default_value_t = 1800)]
    pub bulk_timeout: u64,

    /// Size of the download that the connection resets interrupt [default: 512MiB, quick:
    /// 32MiB].
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub resume_size: Option<u64>,

    /// Connection resets injected into that download, at evenly spread offsets.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub resets: u32,

    /// Synthetic videos in the emulated account of the sync run [default: 10000, quick: 1000].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub sync_videos: Option<u32>,

    /// Full syncs, each into a fresh catalog and followed by a quick sync. The page shows the
    /// medians [default: 5, quick: 3].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub sync_runs: Option<u32>,

    /// Uses small sizes, one run and 100 videos, for a smoke run of a few minutes.
    #[arg(long)]
    pub quick: bool,

    /// Scenarios to run, comma-separated.
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        default_value = "throughput,memory,bulk,resume,sync"
    )]
    pub scenarios: Vec<Scenario>,

    /// The offstream CLI binary [default: `offstream` in the folder of this program].
    #[arg(long, value_name = "PATH")]
    pub offstream: Option<PathBuf>,

    /// Folder for a temporary folder that contains the downloaded files. The temporary folder
    /// is removed at the end, also after an error or Ctrl-C [default: the system temporary folder].
    #[arg(long, value_name = "DIR")]
    pub work_dir: Option<PathBuf>,

    /// Adds this paragraph to the top of the page, such as where the offstream binary came from.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,

    /// Writes the results page (Markdown) to this file; without it the page goes to stdout.
    #[arg(long, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

/// One measurement of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// One large download: offstream, curl and dd.
    Throughput,
    /// Peak resident memory of the CLI at several sizes.
    Memory,
    /// API calls per video in a bulk enable-and-download under the rate limit.
    Bulk,
    /// Bytes downloaded again after injected connection resets.
    Resume,
    /// Time of a full sync of the account's video list into a fresh catalog, and of the quick
    /// sync after it.
    Sync,
}

/// The resolved settings of one benchmark run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub size: u64,
    pub runs: u32,
    pub memory_sizes: Vec<u64>,
    pub videos: u32,
    pub prepare_time: Duration,
    pub bulk_timeout: Duration,
    pub resume_size: u64,
    pub resets: u32,
    pub sync_videos: u32,
    pub sync_runs: u32,
    pub quick: bool,
    pub scenarios: Vec<Scenario>,
}

impl Settings {
    /// Resolves the options: a given option, else the quick or full default.
    ///
    /// # Errors
    /// Returns a message naming an invalid value and the accepted range.
    pub fn from_args(args: &Args) -> Result<Self, String> {
        let quick = args.quick;
        if !args.prepare_seconds.is_finite() || !(0.0..=600.0).contains(&args.prepare_seconds) {
            return Err(format!(
                "invalid --prepare-seconds value {}: use a number of seconds from 0 to 600",
                args.prepare_seconds
            ));
        }
        if args.resets == 0 {
            return Err("invalid --resets value 0: use at least 1".to_owned());
        }

        let mut scenarios = args.scenarios.clone();
        scenarios.dedup();
        Ok(Self {
            size: args.size.unwrap_or(if quick { 32 * MIB } else { 2 * GIB }),
            runs: args.runs.unwrap_or(if quick { 1 } else { 3 }),
            memory_sizes: args.memory_sizes.clone().unwrap_or_else(|| {
                if quick {
                    vec![8 * MIB, 16 * MIB, 32 * MIB]
                } else {
                    vec![64 * MIB, 512 * MIB, 2 * GIB]
                }
            }),
            videos: args.videos.unwrap_or(if quick { 100 } else { 1000 }),
            prepare_time: Duration::from_secs_f64(args.prepare_seconds),
            bulk_timeout: Duration::from_secs(args.bulk_timeout),
            resume_size: args
                .resume_size
                .unwrap_or(if quick { 32 * MIB } else { 512 * MIB }),
            resets: args.resets,
            sync_videos: args
                .sync_videos
                .unwrap_or(if quick { 1000 } else { 10_000 }),
            sync_runs: args.sync_runs.unwrap_or(if quick { 3 } else { 5 }),
            quick,
            scenarios,
        })
    }

    /// Returns true when `scenario` was selected.
    pub fn runs_scenario(&self, scenario: Scenario) -> bool {
        self.scenarios.contains(&scenario)
    }

    /// Returns the largest file that one scenario keeps on disk at a time.
    pub fn largest_file(&self) -> u64 {
        let mut largest = 0;
        if self.runs_scenario(Scenario::Throughput) {
            largest = largest.max(self.size);
        }
        if self.runs_scenario(Scenario::Memory) {
            largest = largest.max(self.memory_sizes.iter().copied().max().unwrap_or(0));
        }
        if self.runs_scenario(Scenario::Resume) {
            largest = largest.max(self.resume_size);
        }
        largest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_quick_defaults() {
        let args = Args::try_parse_from(["offstream-bench", "--quick"]).unwrap();
        let settings = Settings::from_args(&args).unwrap();
        assert_eq!(settings.size, 32 * MIB);
        assert_eq!(settings.videos, 100);
    }

    #[test]
    fn settings_flag_beats_quick() {
        let args = Args::try_parse_from(["offstream-bench", "--quick", "--size", "1MiB"]).unwrap();
        let settings = Settings::from_args(&args).unwrap();
        assert_eq!(settings.size, MIB);
    }

    #[test]
    fn settings_full_defaults() {
        let args = Args::try_parse_from(["offstream-bench"]).unwrap();
        let settings = Settings::from_args(&args).unwrap();
        assert_eq!(settings.memory_sizes, [64 * MIB, 512 * MIB, 2 * GIB]);
        assert_eq!(settings.runs, 3);
    }

    #[test]
    fn settings_sync_defaults() {
        let args = Args::try_parse_from(["offstream-bench"]).unwrap();
        let settings = Settings::from_args(&args).unwrap();
        assert_eq!(settings.sync_videos, 10_000);
        assert_eq!(settings.sync_runs, 5);
        assert!(settings.runs_scenario(Scenario::Sync));
    }

    #[test]
    fn scenarios_parse_list() {
        let args = Args::try_parse_from(["offstream-bench", "--scenarios", "bulk,resume"]).unwrap();
        assert_eq!(args.scenarios, [Scenario::Bulk, Scenario::Resume]);
    }
}
