//! `stream-emulator`: runs the Cloudflare Stream emulator until Ctrl-C.
//!
//! The first line on stdout is the API base URL, flushed at once, so scripts and tests can read
//! it to find the port. Everything else (account id, token hint, logs) goes to stderr.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use stream_emulator::{
    Bounds, Emulator, EmulatorConfig, MediaFile, Seed, VideoSpec, DEMO_ACCOUNT_ID, DEMO_API_TOKEN,
    MAX_CLOCK_OFFSET_SECS,
};
use tracing_subscriber::EnvFilter;

/// Local Cloudflare Stream emulator: the v4 API and the delivery host on 127.0.0.1.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// TCP port on 127.0.0.1; 0 picks a free port.
    #[arg(long, default_value_t = 0)]
    port: u16,

    /// Account id expected in API paths.
    #[arg(long, default_value = DEMO_ACCOUNT_ID)]
    account_id: String,

    /// API token expected as "Authorization: Bearer TOKEN" [default: the public demo token].
    #[arg(long, env = "STREAM_EMULATOR_API_TOKEN", hide_env_values = true)]
    api_token: Option<String>,

    /// Folder whose *.mp4 files become the videos (a sibling STEM.m4a is the audio)
    /// [default: the three embedded sample videos].
    #[arg(long, value_name = "DIR")]
    media_dir: Option<PathBuf>,

    /// Number of synthetic videos to add, sharing the sample bytes.
    #[arg(long, value_name = "N", default_value_t = 0)]
    videos: usize,

    /// Add one video per title that is dangerous as a file name (CON, a/b\c, .., control
    /// characters, 250 CJK characters, duplicates differing only in case or normalization).
    #[arg(long)]
    hostile_titles: bool,

    /// Seconds a download takes to become ready after it is requested.
    #[arg(long, value_name = "SECONDS", default_value_t = 3.0)]
    prepare_seconds: f64,

    /// Compare list bounds inclusively (before/end: <=, after/start: >=) [default: exclusive].
    #[arg(long)]
    inclusive_bounds: bool,

    /// Seconds added to real time for the emulator clock, which judges signed tokens and sets
    /// the Date header; negative puts it behind (e.g. --clock-offset=-600).
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 0,
        allow_negative_numbers = true
    )]
    clock_offset: i64,

    /// Limit download bodies to this many bytes per second [default: unlimited].
    #[arg(long, value_name = "BYTES")]
    delivery_rate: Option<u64>,

    /// Drop a download's connection when the exp of the token in its URL passes mid-body.
    #[arg(long)]
    cut_on_token_expiry: bool,

    /// Add one public video whose MP4 is the first sample padded to BYTES bytes with a `free`
    /// box, generated on the fly (for benchmarks with large files).
    #[arg(long, value_name = "BYTES")]
    padded_video: Option<u64>,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();

    let args = Args::parse();
    let (delivery_rate, cut_on_token_expiry) = (args.delivery_rate, args.cut_on_token_expiry);
    let padded_video = match args.padded_video.map(padded_spec).transpose() {
        Ok(spec) => spec,
        Err(message) => {
            eprintln!("stream-emulator: {message}");
            return ExitCode::from(2);
        }
    };
    let config = match config_from_args(args) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("stream-emulator: {message}");
            return ExitCode::from(2);
        }
    };

    let emulator = match Emulator::start(config).await {
        Ok(emulator) => emulator,
        Err(error) => {
            eprintln!("stream-emulator: {error}");
            return ExitCode::FAILURE;
        }
    };
    if delivery_rate.is_some() {
        emulator.set_delivery_rate(delivery_rate);
    }
    if cut_on_token_expiry {
        emulator.set_cut_on_token_expiry(true);
    }
    if let Some(spec) = padded_video {
        let uid = emulator.add_video(spec);
        eprintln!("padded video: {uid}");
    }

    // The handler is installed before the first line goes out, because a script that reads
    // that line may send SIGINT at once, and before installation SIGINT kills the process.
    let interrupted = interrupt_signal();

    let mut stdout = std::io::stdout();
    if writeln!(stdout, "{}", emulator.api_base())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        eprintln!("stream-emulator: failed to write the API base URL to stdout");
        return ExitCode::FAILURE;
    }
    eprintln!("account id: {}", emulator.account_id());
    eprintln!("API token: {}", token_hint(emulator.api_token()));
    eprintln!("press Ctrl-C to stop");

    interrupted.await;
    emulator.shutdown().await;
    ExitCode::SUCCESS
}

/// Installs the Ctrl-C handler now and returns a future that completes on Ctrl-C.
#[cfg(unix)]
fn interrupt_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{signal, SignalKind};
    let installed = signal(SignalKind::interrupt());
    async move {
        match installed {
            Ok(mut interrupt) => {
                interrupt.recv().await;
            }
            Err(error) => {
                eprintln!("stream-emulator: failed to wait for Ctrl-C: {error}; stopping");
            }
        }
    }
}

/// Installs the Ctrl-C handler now and returns a future that completes on Ctrl-C.
#[cfg(windows)]
fn interrupt_signal() -> impl std::future::Future<Output = ()> {
    let installed = tokio::signal::windows::ctrl_c();
    async move {
        match installed {
            Ok(mut interrupt) => {
                interrupt.recv().await;
            }
            Err(error) => {
                eprintln!("stream-emulator: failed to wait for Ctrl-C: {error}; stopping");
            }
        }
    }
}

fn config_from_args(args: Args) -> Result<EmulatorConfig, String> {
    if !args.prepare_seconds.is_finite() || !(0.0..=86_400.0).contains(&args.prepare_seconds) {
        return Err(format!(
            "invalid --prepare-seconds value {}: use a number of seconds from 0 to 86400",
            args.prepare_seconds
        ));
    }

    if args.clock_offset.unsigned_abs() > MAX_CLOCK_OFFSET_SECS.unsigned_abs() {
        return Err(format!(
            "invalid --clock-offset value {}: use -{MAX_CLOCK_OFFSET_SECS} to {MAX_CLOCK_OFFSET_SECS} seconds",
            args.clock_offset
        ));
    }

    Ok(EmulatorConfig {
        account_id: args.account_id,
        api_token: args.api_token.unwrap_or_else(|| DEMO_API_TOKEN.to_owned()),
        port: args.port,
        seed: args.media_dir.map_or(Seed::Samples, Seed::Folder),
        synthetic_videos: args.videos,
        hostile_titles: args.hostile_titles,
        prepare_time: Duration::from_secs_f64(args.prepare_seconds),
        list_bounds: if args.inclusive_bounds {
            Bounds::Inclusive
        } else {
            Bounds::Exclusive
        },
        clock_offset_secs: args.clock_offset,
        ..EmulatorConfig::default()
    })
}

/// Builds the `--padded-video` spec from the first sample.
fn padded_spec(total_len: u64) -> Result<VideoSpec, String> {
    let sample = &stream_emulator::samples::all()[0];
    let media = MediaFile::padded(sample.video.clone(), total_len)
        .map_err(|error| format!("invalid --padded-video value {total_len}: {error}"))?;
    Ok(VideoSpec {
        name: Some(format!("Padded video ({total_len} bytes)")),
        filename: Some(format!("padded-{total_len}.mp4")),
        media,
        ..VideoSpec::default()
    })
}

/// Shows the public demo token in full and any other token only as a redacted hint.
fn token_hint(token: &str) -> String {
    if token == DEMO_API_TOKEN {
        format!("{token} (the public demo token)")
    } else {
        "the value given with --api-token (not shown)".to_owned()
    }
}
