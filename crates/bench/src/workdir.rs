//! The temporary folder that contains every downloaded file, and its removal.
//!
//! The folder is a [`tempfile::TempDir`], so it is removed when the program ends normally, on
//! an error and on a panic. [`remove_on_interrupt`] covers Ctrl-C and SIGTERM: it kills the
//! running child and removes the folder before exiting.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use tempfile::TempDir;

use crate::child::CURRENT_CHILD;
use crate::units::{mib, GIB};

/// Space kept free beyond the largest file, for the catalog, logs and other programs.
const SPARE_SPACE: u64 = GIB;

/// A temporary folder for the downloads of one benchmark run.
pub struct WorkDir {
    dir: TempDir,
}

impl WorkDir {
    /// Creates the folder inside `parent` after checking that `parent` has room for a file of
    /// `largest_file` bytes.
    ///
    /// # Errors
    /// Returns a message when the folder cannot be created or the disk is too full.
    pub fn create(parent: &Path, largest_file: u64) -> Result<Self, String> {
        let free = free_space(parent).map_err(|error| {
            format!(
                "cannot read the free space of {}: {error}; pass an existing folder with --work-dir",
                parent.display()
            )
        })?;
        let needed = largest_file + SPARE_SPACE;
        if free < needed {
            return Err(format!(
                "{} has {} free, but the benchmark needs {} (its largest file plus 1 GiB); \
                 pass smaller sizes or a --work-dir on another disk",
                parent.display(),
                format_size_rounded(free),
                format_size_rounded(needed)
            ));
        }

        let dir = tempfile::Builder::new()
            .prefix("offstream-bench-")
            .tempdir_in(parent)
            .map_err(|error| {
                format!(
                    "cannot create a temporary folder in {}: {error}",
                    parent.display()
                )
            })?;
        Ok(Self { dir })
    }

    /// Returns the folder's path.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Returns an empty folder `name` inside the work folder, removing an earlier one.
    ///
    /// # Errors
    /// Returns a message with the error of removing or creating it.
    pub fn fresh(&self, name: &str) -> Result<PathBuf, String> {
        let path = self.dir.path().join(name);
        remove(&path)?;
        std::fs::create_dir(&path)
            .map_err(|error| format!("cannot create {}: {error}", path.display()))?;
        Ok(path)
    }
}

/// Removes a file or folder; a missing one is fine.
///
/// # Errors
/// Returns a message with any other removal error.
pub fn remove(path: &Path) -> Result<(), String> {
    let result = if path.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
    match result {
        Err(error) if error.kind() != io::ErrorKind::NotFound => {
            Err(format!("cannot remove {}: {error}", path.display()))
        }
        _ => Ok(()),
    }
}

/// Returns the bytes available to an unprivileged user on the file system of `path`.
///
/// # Errors
/// Returns the `statvfs` error.
pub fn free_space(path: &Path) -> io::Result<u64> {
    let c_path = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))?;
    // SAFETY: statvfs is plain old data, so all zero bytes is a valid value.
    let mut stats: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: c_path is NUL-terminated and stats is a live local of the right type.
    if unsafe { libc::statvfs(c_path.as_ptr(), &mut stats) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // The field widths differ between platforms, hence the conversions.
    #[allow(clippy::useless_conversion)]
    let bytes = u64::from(stats.f_bavail) * u64::from(stats.f_frsize);
    Ok(bytes)
}

fn format_size_rounded(bytes: u64) -> String {
    let gib = bytes as f64 / GIB as f64;
    if gib >= 1.0 {
        format!("{gib:.1} GiB")
    } else {
        format!("{:.0} MiB", mib(bytes))
    }
}

/// Starts a task that, on Ctrl-C or SIGTERM, kills the running child, removes `path` and
/// exits with status 130.
///
/// # Errors
/// Returns the error of installing the signal handlers.
pub fn remove_on_interrupt(path: PathBuf) -> io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};

    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    tokio::spawn(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }

        let pid = CURRENT_CHILD.load(Ordering::SeqCst);
        if pid > 0 {
            // SAFETY: kill has no memory effects. The pid is our child, not yet reaped.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            // Give the kernel a moment to close the child's files before they are removed.
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        if let Err(error) = std::fs::remove_dir_all(&path) {
            eprintln!(
                "offstream-bench: interrupted, and removing {} failed: {error}; remove it by hand",
                path.display()
            );
        } else {
            eprintln!(
                "offstream-bench: interrupted; removed {} and its files",
                path.display()
            );
        }
        std::process::exit(130);
    });
    Ok(())
}
