//! A log file that rotates by size, for the desktop app's logs.
//!
//! `<stem>.log` grows until the next line would take it past [`RotationPolicy::max_bytes`].
//! Then it becomes `<stem>.1.log`, each older file moves up one number, and the file past
//! [`RotationPolicy::keep`] is deleted. Writes append, so the file continues across restarts.
//!
//! The writer expects what a logging library hands over: one or more whole lines per write.
//! A rotation happens only where a line ends, so a line never spans two files, even when a
//! caller writes it in pieces. One mutex serializes the writes of every thread.
//!
//! The crate has no dependency on Tauri or on a logging library: [`RotatingFile`] is a plain
//! [`std::io::Write`], and `&RotatingFile` is one too, so a shared reference can serve as the
//! writer of `tracing-subscriber`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Default size at which the current file is rotated: 5 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 5 * 1024 * 1024;

/// Default number of older files kept next to the current one.
pub const DEFAULT_KEEP: usize = 4;

/// Naming and rotation settings of a [`RotatingFile`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationPolicy {
    /// File name without the `.log` extension, such as `offstream`.
    pub stem: String,
    /// Size in bytes that the current file does not grow past, unless one write alone is
    /// larger.
    pub max_bytes: u64,
    /// Older files kept: `<stem>.1.log` (the newest) up to `<stem>.<keep>.log`.
    pub keep: usize,
}

impl RotationPolicy {
    /// Returns a policy with [`DEFAULT_MAX_BYTES`] and [`DEFAULT_KEEP`].
    pub fn new(stem: impl Into<String>) -> Self {
        Self {
            stem: stem.into(),
            max_bytes: DEFAULT_MAX_BYTES,
            keep: DEFAULT_KEEP,
        }
    }

    /// Returns the name of the file being written.
    pub fn current_name(&self) -> String {
        format!("{}.log", self.stem)
    }

    /// Returns the name of the `index`-th older file, 1 being the newest.
    pub fn older_name(&self, index: usize) -> String {
        format!("{}.{index}.log", self.stem)
    }

    fn validate(&self) -> io::Result<()> {
        let invalid_stem = self.stem.is_empty()
            || self.stem.contains(['/', '\\', ':'])
            || self.stem == "."
            || self.stem == "..";
        if invalid_stem {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "the log file name {:?} is invalid: use a plain file name without a folder, such as \"offstream\"",
                    self.stem
                ),
            ));
        }
        if self.max_bytes == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the maximum log file size is 0 bytes: set at least 1",
            ));
        }
        Ok(())
    }
}

/// A log file in one folder, rotated by size. See the crate documentation.
#[derive(Debug)]
pub struct RotatingFile {
    dir: PathBuf,
    policy: RotationPolicy,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    file: File,
    /// Bytes in the current file.
    size: u64,
    /// True when the current file is empty or its last byte ends a line.
    at_line_start: bool,
    /// After a failed rotation: the size at which the next attempt is made, so a folder that
    /// refuses renames does not cost an attempt per line.
    retry_at: Option<u64>,
}

impl RotatingFile {
    /// Creates `dir` when it is missing and opens `<stem>.log` in it for appending. A last line
    /// that an earlier process left without its line end (it was killed mid-write) is ended
    /// first, so the next line starts on a line of its own.
    ///
    /// # Errors
    /// [`io::ErrorKind::InvalidInput`] for a policy with an empty or path-like stem or a zero
    /// size, and the I/O error of creating the folder or opening the file.
    pub fn open(dir: impl Into<PathBuf>, policy: RotationPolicy) -> io::Result<Self> {
        policy.validate()?;
        let dir = dir.into();
        fs::create_dir_all(&dir)?;
        let state = open_current(&dir.join(policy.current_name()))?;
        Ok(Self {
            dir,
            policy,
            state: Mutex::new(state),
        })
    }

    /// Returns the folder the files are in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Returns the path of the file being written.
    pub fn current_path(&self) -> PathBuf {
        self.dir.join(self.policy.current_name())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_locked(&self, state: &mut State, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }

        let would_exceed = state.size + buf.len() as u64 > self.policy.max_bytes;
        let retry_due = state.retry_at.is_none_or(|at| state.size >= at);
        if would_exceed && state.size > 0 && state.at_line_start && retry_due {
            if let Err(error) = self.rotate(state) {
                // The logging library cannot report a failure of its own writer, so this goes to
                // standard error. Writing continues into the current file.
                eprintln!(
                    "cannot rotate the log file {}: {error}; it keeps growing until the next attempt",
                    self.current_path().display()
                );
                state.retry_at = Some(state.size + self.policy.max_bytes);
            }
        }

        state.file.write_all(buf)?;
        state.size += buf.len() as u64;
        state.at_line_start = buf.last() == Some(&b'\n');
        Ok(buf.len())
    }

    /// Shifts the older files up one number, moves the current file to number 1 and opens a
    /// new current file.
    fn rotate(&self, state: &mut State) -> io::Result<()> {
        let current = self.current_path();
        if self.policy.keep == 0 {
            remove_if_present(&current)?;
        } else {
            remove_if_present(&self.dir.join(self.policy.older_name(self.policy.keep)))?;
            for index in (1..self.policy.keep).rev() {
                let from = self.dir.join(self.policy.older_name(index));
                let to = self.dir.join(self.policy.older_name(index + 1));
                rename_if_present(&from, &to)?;
            }
            // The open handle follows the file to its new name on Unix, and Rust opens files on
            // Windows with delete sharing, so the rename works there while the file is open.
            fs::rename(&current, self.dir.join(self.policy.older_name(1)))?;
        }
        *state = open_current(&current)?;
        Ok(())
    }
}

impl Write for &RotatingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut state = self.lock();
        self.write_locked(&mut state, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.lock().file.flush()
    }
}

impl Write for RotatingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        (&*self).flush()
    }
}

/// Opens `path` for appending and ends a cut-off last line.
fn open_current(path: &Path) -> io::Result<State> {
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)?;
    let mut size = file.metadata()?.len();

    if size > 0 {
        let mut last = [0_u8; 1];
        file.seek(SeekFrom::End(-1))?;
        file.read_exact(&mut last)?;
        if last[0] != b'\n' {
            file.write_all(b"\n")?;
            size += 1;
        }
    }

    Ok(State {
        file,
        size,
        at_line_start: true,
        retry_at: None,
    })
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

fn rename_if_present(from: &Path, to: &Path) -> io::Result<()> {
    match fs::rename(from, to) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(max_bytes: u64, keep: usize) -> RotationPolicy {
        RotationPolicy {
            stem: "app".to_owned(),
            max_bytes,
            keep,
        }
    }

    fn read(dir: &Path, name: &str) -> String {
        fs::read_to_string(dir.join(name)).unwrap()
    }

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn open_creates_missing_folder() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("a").join("logs");
        let log = RotatingFile::open(&dir, policy(100, 2)).unwrap();
        assert_eq!(log.current_path(), dir.join("app.log"));
        assert!(dir.join("app.log").is_file());
    }

    #[test]
    fn appends_across_reopen() {
        let temp = tempfile::tempdir().unwrap();
        let mut first = RotatingFile::open(temp.path(), policy(100, 2)).unwrap();
        first.write_all(b"one\n").unwrap();
        drop(first);

        let mut second = RotatingFile::open(temp.path(), policy(100, 2)).unwrap();
        second.write_all(b"two\n").unwrap();
        assert_eq!(read(temp.path(), "app.log"), "one\ntwo\n");
    }

    #[test]
    fn rotates_before_limit_is_passed() {
        let temp = tempfile::tempdir().unwrap();
        let mut log = RotatingFile::open(temp.path(), policy(20, 2)).unwrap();
        for index in 0..5 {
            // Each line is 10 bytes, so two fit in one file.
            log.write_all(format!("line {index:03}\n").as_bytes())
                .unwrap();
        }

        assert_eq!(names_in(temp.path()), ["app.1.log", "app.2.log", "app.log"]);
        assert_eq!(read(temp.path(), "app.2.log"), "line 000\nline 001\n");
        assert_eq!(read(temp.path(), "app.1.log"), "line 002\nline 003\n");
        assert_eq!(read(temp.path(), "app.log"), "line 004\n");
    }

    #[test]
    fn oldest_file_is_deleted() {
        let temp = tempfile::tempdir().unwrap();
        let mut log = RotatingFile::open(temp.path(), policy(10, 2)).unwrap();
        for index in 0..6 {
            log.write_all(format!("line {index:03}\n").as_bytes())
                .unwrap();
        }

        assert_eq!(names_in(temp.path()), ["app.1.log", "app.2.log", "app.log"]);
        assert_eq!(read(temp.path(), "app.2.log"), "line 003\n");
        assert_eq!(read(temp.path(), "app.1.log"), "line 004\n");
        assert_eq!(read(temp.path(), "app.log"), "line 005\n");
    }

    #[test]
    fn keep_zero_discards_old_lines() {
        let temp = tempfile::tempdir().unwrap();
        let mut log = RotatingFile::open(temp.path(), policy(10, 0)).unwrap();
        log.write_all(b"line 000\n").unwrap();
        log.write_all(b"line 001\n").unwrap();

        assert_eq!(names_in(temp.path()), ["app.log"]);
        assert_eq!(read(temp.path(), "app.log"), "line 001\n");
    }

    #[test]
    fn line_written_in_pieces_stays_whole() {
        let temp = tempfile::tempdir().unwrap();
        let mut log = RotatingFile::open(temp.path(), policy(12, 2)).unwrap();
        log.write_all(b"first\n").unwrap();
        // This line passes the limit in its second piece; the rotation waits for its end.
        log.write_all(b"sec").unwrap();
        log.write_all(b"ond line\n").unwrap();
        log.write_all(b"third\n").unwrap();

        assert_eq!(read(temp.path(), "app.1.log"), "first\nsecond line\n");
        assert_eq!(read(temp.path(), "app.log"), "third\n");
    }

    #[test]
    fn oversized_line_gets_own_file() {
        let temp = tempfile::tempdir().unwrap();
        let mut log = RotatingFile::open(temp.path(), policy(8, 2)).unwrap();
        log.write_all(b"short\n").unwrap();
        log.write_all(b"a line longer than the limit\n").unwrap();
        log.write_all(b"next\n").unwrap();

        assert_eq!(read(temp.path(), "app.2.log"), "short\n");
        assert_eq!(
            read(temp.path(), "app.1.log"),
            "a line longer than the limit\n"
        );
        assert_eq!(read(temp.path(), "app.log"), "next\n");
    }

    #[test]
    fn size_counts_existing_file() {
        let temp = tempfile::tempdir().unwrap();
        fs::write(temp.path().join("app.log"), "earlier run\n").unwrap();

        let mut log = RotatingFile::open(temp.path(), policy(16, 2)).unwrap();
        log.write_all(b"this run\n").unwrap();

        assert_eq!(read(temp.path(), "app.1.log"), "earlier run\n");
        assert_eq!(read(temp.path(), "app.log"), "this run\n");
    }

    #[test]
    fn cut_off_line_is_ended() {
        let temp = tempfile::tempdir().unwrap();
        fs::write(temp.path().join("app.log"), "killed mid-li").unwrap();

        let mut log = RotatingFile::open(temp.path(), policy(100, 2)).unwrap();
        log.write_all(b"next start\n").unwrap();

        assert_eq!(read(temp.path(), "app.log"), "killed mid-li\nnext start\n");
    }

    #[test]
    fn threads_never_interleave_lines() {
        const THREADS: usize = 4;
        const LINES: usize = 200;
        let temp = tempfile::tempdir().unwrap();
        // Room for every line across the kept files, so none is deleted.
        let log = RotatingFile::open(temp.path(), policy(2_000, 100)).unwrap();

        std::thread::scope(|scope| {
            for thread in 0..THREADS {
                let log = &log;
                scope.spawn(move || {
                    let mut writer = log;
                    for index in 0..LINES {
                        let line = format!("thread {thread} line {index:04} {}\n", "x".repeat(40));
                        writer.write_all(line.as_bytes()).unwrap();
                    }
                });
            }
        });

        let mut lines = Vec::new();
        for name in names_in(temp.path()) {
            let text = read(temp.path(), &name);
            assert!(text.ends_with('\n'), "{name} ends with a whole line");
            assert!(text.len() <= 2_000, "{name} has {} bytes", text.len());
            lines.extend(text.lines().map(str::to_owned));
        }
        assert_eq!(lines.len(), THREADS * LINES);
        for line in &lines {
            assert!(line.starts_with("thread "), "garbled line {line:?}");
            assert!(line.ends_with(&"x".repeat(40)), "garbled line {line:?}");
        }
    }

    #[test]
    fn path_like_stem_is_rejected() {
        let temp = tempfile::tempdir().unwrap();
        let error = RotatingFile::open(temp.path(), RotationPolicy::new("../elsewhere/offstream"))
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert!(
            error.to_string().contains("../elsewhere/offstream"),
            "{error}"
        );
    }

    #[test]
    fn zero_size_is_rejected() {
        let temp = tempfile::tempdir().unwrap();
        let error = RotatingFile::open(temp.path(), policy(0, 2)).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn default_policy_names() {
        let policy = RotationPolicy::new("offstream");
        assert_eq!(policy.current_name(), "offstream.log");
        assert_eq!(policy.older_name(1), "offstream.1.log");
        assert_eq!(policy.max_bytes, 5 * 1024 * 1024);
        assert_eq!(policy.keep, 4);
    }
}
