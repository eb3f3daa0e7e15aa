//! Download progress on standard error, from the engine's job snapshots.
//!
//! The two phases stay apart, because they measure different things: "preparing" is Stream's
//! own percentage while it builds the MP4, "downloading" counts bytes on disk.
//!
//! On a terminal all running jobs share one status line, redrawn on every snapshot. Otherwise
//! each job prints a plain line when its phase changes and when its percentage passes 25, 50
//! and 75, so a log file gets a handful of lines per download instead of thousands.

use std::collections::{BTreeMap, HashMap};

use offstream_engine::{JobId, JobManager, JobNotice, JobPhase, JobSnapshot};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::format;
use crate::terminal;

/// Progress display style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One status line redrawn in place.
    StatusLine,
    /// A few plain lines per job.
    Lines,
    /// Nothing.
    Quiet,
}

impl Mode {
    /// Picks the mode for this process: quiet when asked, else by whether standard error is a
    /// terminal.
    pub fn detect(quiet: bool) -> Self {
        if quiet {
            Self::Quiet
        } else if terminal::stderr_is_terminal() {
            Self::StatusLine
        } else {
            Self::Lines
        }
    }
}

/// The progress of every job of one `download` command.
pub struct Progress {
    mode: Mode,
    total: usize,
    active: BTreeMap<JobId, JobSnapshot>,
    finished: usize,
    /// The last phase and quarter printed per job, in `Lines` mode.
    printed: HashMap<JobId, (JobPhase, u8)>,
}

impl Progress {
    /// Creates the view for `total` downloads.
    pub fn new(mode: Mode, total: usize) -> Self {
        Self {
            mode,
            total,
            active: BTreeMap::new(),
            finished: 0,
            printed: HashMap::new(),
        }
    }

    /// Records a snapshot and shows what changed.
    pub fn update(&mut self, snapshot: JobSnapshot) {
        if self.mode == Mode::Quiet {
            return;
        }
        if snapshot.phase.is_terminal() {
            if self.active.remove(&snapshot.id).is_some() {
                self.finished += 1;
            }
        } else {
            if self.mode == Mode::Lines {
                self.print_milestone(&snapshot);
            }
            self.active.insert(snapshot.id, snapshot);
        }
        if self.mode == Mode::StatusLine {
            terminal::show_status(&self.status_line());
        }
    }

    fn print_milestone(&mut self, snapshot: &JobSnapshot) {
        let key = (snapshot.phase, quarter(snapshot));
        let last = self.printed.get(&snapshot.id);
        if last == Some(&key) {
            return;
        }
        // Every job starts queued for an instant; only a wait after that is worth a line.
        if last.is_none() && snapshot.phase == JobPhase::Queued {
            return;
        }
        self.printed.insert(snapshot.id, key);
        terminal::print_note(&format!("{}: {}", snapshot.uid, describe(snapshot)));
    }

    /// Returns the status line: `[finished/total] title: state | title: state`.
    fn status_line(&self) -> String {
        let jobs: Vec<String> = self
            .active
            .values()
            .map(|snapshot| format!("{}: {}", label(snapshot), describe(snapshot)))
            .collect();
        let mut line = String::new();
        if self.total > 1 {
            line.push_str(&format!("[{}/{}] ", self.finished, self.total));
        }
        line.push_str(&jobs.join(" | "));
        line
    }
}

/// Follows the snapshots of `jobs` until the returned task is aborted.
pub fn follow(jobs: &JobManager, mut progress: Progress) -> JoinHandle<()> {
    let mut receiver = jobs.subscribe();
    let jobs = jobs.clone();
    tokio::spawn(async move {
        loop {
            match receiver.recv().await {
                Ok(snapshot) => progress.update(snapshot),
                // Fell behind: the current snapshots replace the missed ones.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    for snapshot in jobs.snapshots() {
                        progress.update(snapshot);
                    }
                }
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    })
}

/// Returns the phase of a job in words, with its numbers and any notice.
pub fn describe(snapshot: &JobSnapshot) -> String {
    let phase = describe_phase(snapshot);
    match &snapshot.notice {
        Some(JobNotice::Stalled { since_secs, .. }) => {
            format!("{phase}, stalled on Cloudflare for {since_secs} s")
        }
        Some(JobNotice::RateLimited { retry_after_secs }) => {
            format!("{phase}, waiting {retry_after_secs} s for the API rate limit")
        }
        Some(JobNotice::DiskFull { needed_bytes }) => match needed_bytes {
            Some(needed) => format!(
                "{phase}: the disk is full ({} more needed); resumes when space is free",
                format::bytes(*needed)
            ),
            None => format!("{phase}: the disk is full; resumes when space is free"),
        },
        None => phase,
    }
}

fn describe_phase(snapshot: &JobSnapshot) -> String {
    match snapshot.phase {
        JobPhase::Queued => "queued".to_owned(),
        JobPhase::Preparing => match snapshot.prepare_percent {
            Some(percent) => format!("preparing on Cloudflare {percent:.0}%"),
            None => "preparing on Cloudflare".to_owned(),
        },
        JobPhase::Transferring => match snapshot.bytes_total.filter(|total| *total > 0) {
            Some(total) => format!(
                "downloading {} of {} ({:.0}%)",
                format::bytes(snapshot.bytes_done),
                format::bytes(total),
                snapshot.bytes_done as f64 * 100.0 / total as f64
            ),
            // The size arrives with the response headers, a moment after the phase starts.
            None if snapshot.bytes_done == 0 => "downloading".to_owned(),
            None => format!("downloading {}", format::bytes(snapshot.bytes_done)),
        },
        JobPhase::Verifying => "verifying".to_owned(),
        JobPhase::Done => "done".to_owned(),
        JobPhase::Failed => "failed".to_owned(),
        JobPhase::Cancelled => "cancelled".to_owned(),
        JobPhase::Paused => "paused".to_owned(),
    }
}

/// Returns the title once known, else the uid, cut to 40 columns.
fn label(snapshot: &JobSnapshot) -> String {
    let text = snapshot.title.as_deref().unwrap_or(&snapshot.uid);
    terminal::fit_width(&terminal::one_line(text), 40)
}

/// Returns which quarter (0 to 3) of its current phase a job has passed; 0 for phases
/// without a percentage.
fn quarter(snapshot: &JobSnapshot) -> u8 {
    let percent = match snapshot.phase {
        JobPhase::Preparing => snapshot.prepare_percent.unwrap_or(0.0),
        JobPhase::Transferring => match snapshot.bytes_total.filter(|total| *total > 0) {
            Some(total) => snapshot.bytes_done as f64 * 100.0 / total as f64,
            None => 0.0,
        },
        _ => 0.0,
    };
    (percent / 25.0).clamp(0.0, 3.0) as u8
}

#[cfg(test)]
mod tests {
    use offstream_stream::DownloadType;

    use super::*;

    fn snapshot(phase: JobPhase) -> JobSnapshot {
        JobSnapshot {
            phase,
            ..JobSnapshot::queued(1, "abc", DownloadType::Default)
        }
    }

    #[test]
    fn describe_preparing_shows_percent() {
        let mut s = snapshot(JobPhase::Preparing);
        s.prepare_percent = Some(42.4);
        assert_eq!(describe(&s), "preparing on Cloudflare 42%");
    }

    #[test]
    fn describe_transfer_shows_bytes() {
        let mut s = snapshot(JobPhase::Transferring);
        s.bytes_done = 1024 * 1024;
        s.bytes_total = Some(4 * 1024 * 1024);
        assert_eq!(describe(&s), "downloading 1.0 MiB of 4.0 MiB (25%)");
    }

    #[test]
    fn describe_transfer_without_total() {
        let mut s = snapshot(JobPhase::Transferring);
        s.bytes_done = 2048;
        assert_eq!(describe(&s), "downloading 2.0 KiB");
    }

    #[test]
    fn describe_transfer_before_headers() {
        assert_eq!(describe(&snapshot(JobPhase::Transferring)), "downloading");
    }

    #[test]
    fn lines_skip_first_queued() {
        let mut progress = Progress::new(Mode::Lines, 1);
        progress.print_milestone(&snapshot(JobPhase::Queued));
        assert!(progress.printed.is_empty());
    }

    #[test]
    fn quarter_follows_bytes() {
        let mut s = snapshot(JobPhase::Transferring);
        s.bytes_total = Some(100);
        s.bytes_done = 49;
        assert_eq!(quarter(&s), 1);
        s.bytes_done = 100;
        assert_eq!(quarter(&s), 3);
    }

    #[test]
    fn status_line_counts_finished() {
        let mut progress = Progress::new(Mode::Quiet, 2);
        progress.mode = Mode::Lines;
        progress.active.insert(1, snapshot(JobPhase::Verifying));
        progress.finished = 1;
        assert_eq!(progress.status_line(), "[1/2] abc: verifying");
    }

    #[test]
    fn label_prefers_title() {
        let mut s = snapshot(JobPhase::Queued);
        s.title = Some("Quarterly\nreview".into());
        assert_eq!(label(&s), "Quarterly review");
    }
}
