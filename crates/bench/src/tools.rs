//! The programs the benchmark runs: the release-built `offstream`, `curl`, `dd` and `sync`.
//!
//! [`Tools::find`] checks each one by running it with `--version`, so a missing or broken
//! tool stops the benchmark before any download starts.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Paths and version lines of the programs under test.
#[derive(Debug, Clone)]
pub struct Tools {
    pub offstream: PathBuf,
    pub curl: PathBuf,
    pub dd: PathBuf,
    pub sync: PathBuf,
    pub offstream_version: String,
    pub curl_version: String,
    pub dd_version: String,
}

impl Tools {
    /// Finds the tools: `offstream` at `offstream` or next to this program, the rest on `PATH`.
    ///
    /// # Errors
    /// Returns a message naming the first missing or broken tool and how to provide it.
    pub fn find(offstream: Option<PathBuf>) -> Result<Self, String> {
        let offstream = match offstream {
            Some(path) => path,
            None => default_offstream()?,
        };
        if !offstream.is_file() {
            return Err(format!(
                "the offstream CLI was not found at {}: run `cargo build --release -p offstream-cli` \
                 or pass its path with --offstream",
                offstream.display()
            ));
        }
        let curl = on_path("curl", "install curl (Debian: apt-get install curl)")?;
        let dd = on_path("dd", "install GNU coreutils")?;
        let sync = on_path("sync", "install GNU coreutils")?;

        Ok(Self {
            offstream_version: version_line(&offstream)?,
            curl_version: version_line(&curl)?,
            dd_version: version_line(&dd)?,
            offstream,
            curl,
            dd,
            sync,
        })
    }
}

/// Returns `offstream` in the folder of the running program, where cargo puts both binaries.
fn default_offstream() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|error| {
        format!("cannot find the path of this program ({error}); pass --offstream")
    })?;
    let dir = exe.parent().unwrap_or(Path::new("."));
    Ok(dir.join(format!("offstream{}", std::env::consts::EXE_SUFFIX)))
}

/// Returns the first executable file `name` in a folder of `PATH`.
fn on_path(name: &str, remedy: &str) -> Result<PathBuf, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            format!("{name} was not found on PATH, and the benchmark needs it: {remedy}")
        })
}

/// Runs `program --version` and returns the first line of its output.
fn version_line(program: &Path) -> Result<String, String> {
    let output = Command::new(program)
        .arg("--version")
        .output()
        .map_err(|error| format!("cannot run {}: {error}", program.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} --version failed with {}; check that the program works",
            program.display(),
            output.status
        ));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    Ok(text.lines().next().unwrap_or_default().trim().to_owned())
}
