//! Helpers shared by the integration tests: an in-process emulator, a temporary profile, and
//! runs of the real `offstream` binary against both.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use offstream_stream::{ApiToken, ClientConfig, StreamClient};
use stream_emulator::{Emulator, EmulatorConfig, MediaFile, RunningEmulator, Seed, VideoSpec};
use tempfile::TempDir;

/// The binary under test.
pub const BINARY: &str = env!("CARGO_BIN_EXE_offstream");

/// Title of the sample video the download tests use, as in `samples/samples.json`.
pub const SAMPLE_TITLE: &str = "Café Übersee – Morgenprobe";

/// Title of the private sample (`requireSignedURLs: true` in `samples/samples.json`).
pub const PRIVATE_TITLE: &str = "Why Fractals? A Mandelbrot Dive";

/// Returns the path of a file in the repository's `samples/` folder.
pub fn sample_path(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../samples")
        .join(file)
}

/// An emulator plus a temporary data folder and library folder.
pub struct Harness {
    pub emulator: RunningEmulator,
    pub dir: TempDir,
}

impl Harness {
    /// Starts an emulator with no videos and a short download preparation.
    pub async fn start() -> Self {
        Self::with_config(EmulatorConfig {
            seed: Seed::Empty,
            prepare_time: Duration::from_millis(200),
            ..EmulatorConfig::default()
        })
        .await
    }

    /// Starts an emulator with `config`.
    pub async fn with_config(config: EmulatorConfig) -> Self {
        let emulator = Emulator::start(config).await.expect("emulator starts");
        let dir = tempfile::tempdir().expect("temporary folder");
        Self { emulator, dir }
    }

    /// Adds the `harbor-pattern` sample, read from `samples/`, and returns its uid.
    pub fn add_sample(&self) -> String {
        self.emulator.add_video(VideoSpec {
            name: Some(SAMPLE_TITLE.to_owned()),
            media: MediaFile::from_path(sample_path("harbor-pattern.mp4")).expect("sample MP4"),
            audio: Some(
                MediaFile::from_path(sample_path("harbor-pattern.m4a")).expect("sample M4A"),
            ),
            ..VideoSpec::default()
        })
    }

    /// Adds the private `fractal-dive` sample, read from `samples/`, and returns its uid. Its
    /// downloads are served only to a signed token.
    pub fn add_private_sample(&self) -> String {
        self.emulator.add_video(VideoSpec {
            name: Some(PRIVATE_TITLE.to_owned()),
            media: MediaFile::from_path(sample_path("fractal-dive.mp4")).expect("sample MP4"),
            audio: Some(MediaFile::from_path(sample_path("fractal-dive.m4a")).expect("sample M4A")),
            require_signed_urls: true,
            ..VideoSpec::default()
        })
    }

    /// Returns a Stream client with the emulator's credentials, for test set-up that a user
    /// would do in the dashboard (creating or revoking keys, requesting tokens).
    pub fn client(&self) -> StreamClient {
        let config = ClientConfig::new(
            self.emulator.account_id(),
            ApiToken::new(self.emulator.api_token()),
        )
        .with_api_base(self.emulator.api_base());
        StreamClient::new(config).expect("client for the emulator")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn library_dir(&self) -> PathBuf {
        self.dir.path().join("library")
    }

    /// Returns a command for the binary with this profile and no credentials.
    pub fn command_without_credentials(&self, args: &[&str]) -> Command {
        let mut command = clean_command(args);
        command
            .env("OFFSTREAM_API_BASE", self.emulator.api_base())
            .env("OFFSTREAM_DATA_DIR", self.data_dir())
            .env("OFFSTREAM_LIBRARY_DIR", self.library_dir());
        command
    }

    /// Returns a command for the binary with this profile and the emulator's credentials.
    pub fn command(&self, args: &[&str]) -> Command {
        self.command_with_token(args, self.emulator.api_token())
    }

    /// Returns a command with the emulator's account id and the given API token.
    pub fn command_with_token(&self, args: &[&str], token: &str) -> Command {
        let mut command = self.command_without_credentials(args);
        command
            .env("CLOUDFLARE_ACCOUNT_ID", self.emulator.account_id())
            .env("CLOUDFLARE_API_TOKEN", token);
        command
    }
}

/// Returns true when the keychain tests should run, and prints a skip line otherwise.
///
/// They run only when `OFFSTREAM_KEYCHAIN_TESTS=1`, which `scripts/with-keyring.sh` sets after
/// it starts a private D-Bus session with an unlocked gnome-keyring.
pub fn keychain_tests_enabled(test: &str) -> bool {
    if std::env::var("OFFSTREAM_KEYCHAIN_TESTS").as_deref() == Ok("1") {
        return true;
    }
    // Written to stderr directly because the test harness swallows the output of passing tests.
    let _ = writeln!(
        std::io::stderr(),
        "skipped {test}: set OFFSTREAM_KEYCHAIN_TESTS=1 or run under scripts/with-keyring.sh"
    );
    false
}

/// Sets a keychain service name that only `name` (a test, or one "machine" of a test) uses,
/// so tests never touch the user's entries or each other's.
pub fn with_service(mut command: Command, name: &str) -> Command {
    command.env(
        "OFFSTREAM_KEYCHAIN_SERVICE",
        format!("dev.offstream.test.cli.{}.{name}", std::process::id()),
    );
    command
}

/// Returns every file under `dir`, recursively; an absent folder has none.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.expect("a readable folder entry").path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Returns a command for the binary without any variable that could change its behaviour,
/// so the machine's own credentials, folders or keychain never take part.
pub fn clean_command(args: &[&str]) -> Command {
    let mut command = Command::new(BINARY);
    command.args(args);
    for name in [
        "CLOUDFLARE_ACCOUNT_ID",
        "CLOUDFLARE_API_TOKEN",
        "OFFSTREAM_API_BASE",
        "OFFSTREAM_DATA_DIR",
        "OFFSTREAM_LIBRARY_DIR",
        "RUST_LOG",
    ] {
        command.env_remove(name);
    }
    // A keychain service no real entry uses, unless a test picks its own.
    command.env(
        "OFFSTREAM_KEYCHAIN_SERVICE",
        format!("dev.offstream.test.cli.{}.unused", std::process::id()),
    );
    command
}

/// The result of one run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from_output(output: Output) -> Self {
        Self {
            code: output.status.code(),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
    }

    /// Returns the non-empty lines of standard error.
    pub fn stderr_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|line| !line.trim().is_empty())
            .collect()
    }

    /// Returns the lines of standard output.
    pub fn stdout_lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    /// Parses standard output as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("stdout is not JSON ({error}): {}", self.stdout))
    }
}

/// Runs a command with empty standard input, off the async runtime so the in-process emulator
/// keeps serving.
pub async fn run(command: Command) -> Run {
    run_with_stdin(command, "").await
}

/// Runs a command with `input` on standard input.
pub async fn run_with_stdin(mut command: Command, input: &str) -> Run {
    let input = input.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let mut stdin = child.stdin.take().expect("stdin is piped");
        stdin
            .write_all(input.as_bytes())
            .expect("stdin accepts input");
        drop(stdin);
        Run::from_output(child.wait_with_output().expect("the binary ends"))
    })
    .await
    .expect("the runner thread ends")
}

/// Returns `Some(true)` when ffprobe reads the file without errors, `Some(false)` when it
/// reports one, and `None` (after printing a note) when ffprobe is not installed.
pub fn ffprobe_accepts(path: &Path) -> Option<bool> {
    let output = Command::new("ffprobe")
        .args(["-v", "error"])
        .arg(path)
        .output();
    match output {
        Ok(output) => Some(output.status.success() && output.stderr.is_empty()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let _ = writeln!(
                std::io::stderr(),
                "note: ffprobe is not installed; skipped the playability check of {}",
                path.display()
            );
            None
        }
        Err(error) => panic!("cannot run ffprobe: {error}"),
    }
}

/// Returns the lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
