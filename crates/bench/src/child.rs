//! Runs a child process to the end and reads its wall time and peak resident memory.
//!
//! The child is reaped with `wait4`, which returns the resource usage of that one process, so
//! its peak resident set (`ru_maxrss`) is never mixed with earlier children. The pid of the
//! running child is kept in [`CURRENT_CHILD`], so a Ctrl-C handler can stop it before the work
//! folder is removed.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

/// Pid of the child being waited for, or 0.
pub static CURRENT_CHILD: AtomicI32 = AtomicI32::new(0);

/// Pause between two checks for the child's exit; it bounds the error of the wall time.
const POLL_INTERVAL: Duration = Duration::from_millis(2);

/// The outcome of one child process.
#[derive(Debug)]
pub struct ChildRun {
    /// Exit status; a killed child has a signal instead of a code.
    pub status: ExitStatus,
    /// Time from spawning to reaping.
    pub wall: Duration,
    /// Peak resident set size in bytes.
    pub max_rss: u64,
    /// True when the child was killed because it outlived its timeout.
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
}

impl ChildRun {
    /// Returns the last lines of standard error, for an error message.
    pub fn stderr_tail(&self) -> String {
        let lines: Vec<&str> = self.stderr.lines().collect();
        let start = lines.len().saturating_sub(5);
        lines[start..].join("\n")
    }
}

/// Runs `command` with standard input closed, capturing its output in unnamed files in
/// `scratch`, and kills it with SIGKILL once `timeout` has passed.
///
/// # Errors
/// Returns the error of creating the capture files, spawning the child or waiting for it.
pub fn run(mut command: Command, timeout: Duration, scratch: &Path) -> io::Result<ChildRun> {
    let mut stdout_file = tempfile::tempfile_in(scratch)?;
    let mut stderr_file = tempfile::tempfile_in(scratch)?;
    command
        .stdin(Stdio::null())
        .stdout(stdout_file.try_clone()?)
        .stderr(stderr_file.try_clone()?);

    let started = Instant::now();
    let child = command.spawn()?;
    let pid = libc::pid_t::try_from(child.id())
        .map_err(|_| io::Error::other(format!("pid {} does not fit pid_t", child.id())))?;
    CURRENT_CHILD.store(pid, Ordering::SeqCst);
    let reaped = wait_with_usage(pid, started, timeout);
    CURRENT_CHILD.store(0, Ordering::SeqCst);
    // `child` was reaped by wait4 above; dropping a `Child` neither waits nor kills.
    drop(child);
    let (raw_status, usage, wall, timed_out) = reaped?;

    Ok(ChildRun {
        status: ExitStatus::from_raw(raw_status),
        wall,
        max_rss: max_rss_bytes(&usage),
        timed_out,
        stdout: read_capture(&mut stdout_file)?,
        stderr: read_capture(&mut stderr_file)?,
    })
}

/// Runs [`run`] on the blocking pool, so the in-process emulator keeps serving meanwhile.
///
/// # Errors
/// Returns a message naming `what` and the error of [`run`].
pub async fn run_async(
    what: &str,
    command: Command,
    timeout: Duration,
    scratch: &Path,
) -> Result<ChildRun, String> {
    let scratch = scratch.to_owned();
    tokio::task::spawn_blocking(move || run(command, timeout, &scratch))
        .await
        .map_err(|error| format!("the thread that waits for {what} failed: {error}"))?
        .map_err(|error| format!("cannot run {what}: {error}"))
}

/// Returns `run` when the child exited with status 0.
///
/// # Errors
/// Returns a message naming `what`, its exit status and the end of its standard error.
pub fn require_success(what: &str, run: ChildRun) -> Result<ChildRun, String> {
    if run.timed_out {
        return Err(format!(
            "{what} timed out after {:.0} s and was killed; last output: {}",
            run.wall.as_secs_f64(),
            run.stderr_tail()
        ));
    }
    if !run.status.success() {
        return Err(format!(
            "{what} failed with {}; last output: {}",
            run.status,
            run.stderr_tail()
        ));
    }
    Ok(run)
}

/// Waits for `pid` with `wait4`, polling so the timeout can kill it.
fn wait_with_usage(
    pid: libc::pid_t,
    started: Instant,
    timeout: Duration,
) -> io::Result<(i32, libc::rusage, Duration, bool)> {
    let mut timed_out = false;
    loop {
        let mut status: libc::c_int = 0;
        // SAFETY: rusage is plain old data, so all zero bytes is a valid value.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: both pointers refer to live locals of the right types.
        let result = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };

        if result == pid {
            return Ok((status, usage, started.elapsed(), timed_out));
        }
        if result == -1 {
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(error);
        }

        if !timed_out && started.elapsed() > timeout {
            timed_out = true;
            // SAFETY: kill has no memory effects; the pid is our unreaped child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// Returns `ru_maxrss` in bytes: Linux reports KiB, macOS bytes.
fn max_rss_bytes(usage: &libc::rusage) -> u64 {
    let value = u64::try_from(usage.ru_maxrss).unwrap_or(0);
    if cfg!(target_os = "macos") {
        value
    } else {
        value * 1024
    }
}

fn read_capture(file: &mut File) -> io::Result<String> {
    file.seek(SeekFrom::Start(0))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_reports_exit_code() {
        let scratch = tempfile::tempdir().unwrap();
        let mut command = Command::new("sh");
        command.args(["-c", "echo out; echo err >&2; exit 3"]);

        let run = run(command, Duration::from_secs(10), scratch.path()).unwrap();

        assert_eq!(run.status.code(), Some(3));
        assert_eq!(run.stdout, "out\n");
        assert_eq!(run.stderr, "err\n");
        assert!(run.max_rss > 0);
    }

    #[test]
    fn run_kills_after_timeout() {
        let scratch = tempfile::tempdir().unwrap();
        let mut command = Command::new("sleep");
        command.arg("30");

        let run = run(command, Duration::from_millis(100), scratch.path()).unwrap();

        assert!(run.timed_out);
        assert_eq!(run.status.signal(), Some(libc::SIGKILL));
    }
}
