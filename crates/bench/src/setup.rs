//! Shared set-up: the in-process emulator, padded videos, and `offstream` commands that point
//! at the emulator with a throw-away profile.

use std::path::{Path, PathBuf};
use std::process::Command;

use stream_emulator::{samples, Emulator, EmulatorConfig, MediaFile, RunningEmulator, VideoSpec};

use crate::tools::Tools;

/// Keychain service name that no real entry uses, so the CLI never reads the user's keys.
const KEYCHAIN_SERVICE: &str = "dev.offstream.bench.unused";

/// Arguments of `offstream` before the uids.
pub const OFFSTREAM_ARGS: &[&str] = &["download", "--quiet"];

/// Starts the emulator.
///
/// # Errors
/// Returns the emulator's start error as a message.
pub async fn start_emulator(config: EmulatorConfig) -> Result<RunningEmulator, String> {
    Emulator::start(config)
        .await
        .map_err(|error| format!("the emulator failed to start: {error}"))
}

/// Adds a public video whose MP4 is the first sample padded to `size` bytes and returns its uid.
///
/// # Errors
/// Returns a message when `size` is below the sample's own length.
pub fn add_padded_video(emulator: &RunningEmulator, size: u64) -> Result<String, String> {
    let base = samples::all()[0].video.clone();
    let media = MediaFile::padded(base, size)
        .map_err(|error| format!("cannot pad the sample to {size} bytes: {error}"))?;
    Ok(emulator.add_video(VideoSpec {
        name: Some(format!("Padded video ({size} bytes)")),
        filename: Some(format!("padded-{size}.mp4")),
        media,
        ..VideoSpec::default()
    }))
}

/// Asks the emulator to prepare the MP4 of `uid` with `POST .../downloads`, as a user would
/// before handing the URL to curl.
///
/// # Errors
/// Returns a message with the HTTP status or transport error.
pub async fn create_download(emulator: &RunningEmulator, uid: &str) -> Result<(), String> {
    let url = format!(
        "{}/accounts/{}/stream/{uid}/downloads",
        emulator.api_base(),
        emulator.account_id()
    );
    let response = reqwest::Client::new()
        .post(&url)
        .bearer_auth(emulator.api_token())
        .send()
        .await
        .map_err(|error| format!("POST {url} failed: {error}"))?;
    if !response.status().is_success() {
        return Err(format!(
            "POST {url} returned {}; the emulator did not create the download",
            response.status()
        ));
    }
    Ok(())
}

/// Returns the delivery URL of the MP4 of `uid`.
pub fn delivery_url(emulator: &RunningEmulator, uid: &str) -> String {
    format!("{}/{uid}/downloads/default.mp4", emulator.delivery_base())
}

/// Returns `offstream download --quiet UID...` with the emulator's credentials and a profile
/// (catalog and library) inside `profile_dir`.
pub fn offstream_command(
    tools: &Tools,
    emulator: &RunningEmulator,
    profile_dir: &Path,
    uids: &[String],
) -> Command {
    let mut command = Command::new(&tools.offstream);
    command.args(OFFSTREAM_ARGS).args(uids);
    command.env_remove("RUST_LOG");
    command
        .env("OFFSTREAM_API_BASE", emulator.api_base())
        .env("OFFSTREAM_DATA_DIR", data_dir(profile_dir))
        .env("OFFSTREAM_LIBRARY_DIR", library_dir(profile_dir))
        .env("CLOUDFLARE_ACCOUNT_ID", emulator.account_id())
        .env("CLOUDFLARE_API_TOKEN", emulator.api_token())
        .env("OFFSTREAM_KEYCHAIN_SERVICE", KEYCHAIN_SERVICE);
    command
}

/// Returns the catalog folder of a profile.
pub fn data_dir(profile_dir: &Path) -> PathBuf {
    profile_dir.join("data")
}

/// Returns the library folder of a profile.
pub fn library_dir(profile_dir: &Path) -> PathBuf {
    profile_dir.join("library")
}

/// Checks that `path` is a file of exactly `size` bytes.
///
/// # Errors
/// Returns a message naming the tool, the path and both sizes.
pub fn check_file_size(tool: &str, path: &Path, size: u64) -> Result<(), String> {
    let actual = std::fs::metadata(path)
        .map_err(|error| format!("{tool} left no file at {}: {error}", path.display()))?
        .len();
    if actual != size {
        return Err(format!(
            "{tool} wrote {actual} bytes to {}, expected {size}",
            path.display()
        ));
    }
    Ok(())
}
