//! The sentences `offstream backup` prints: the estimate, the confirmation question, the
//! restore step's result and the summary.
//!
//! Titles are free text from Stream, so they are put on one line and cut to a fixed width.

use offstream_engine::backup::{
    BackupCandidate, BackupEstimate, BackupProgress, BackupState, RestoreReport,
};
use offstream_stream::DownloadType;

use crate::format;
use crate::terminal;

/// Widest title shown in the list of unavailable videos.
const TITLE_COLUMNS: usize = 48;

/// Returns the estimate as lines ending in `\n`.
pub fn estimate(estimate: &BackupEstimate) -> String {
    if estimate.selected == 0 {
        return "No video matches the selection. Run `offstream videos` to see the account's videos.\n"
            .to_owned();
    }

    let kind = match estimate.download_type {
        DownloadType::Default => "MP4",
        DownloadType::Audio => "M4A audio",
    };
    let mut text = format!(
        "Selected {} for an {kind} backup.\n",
        videos(estimate.selected)
    );
    text.push_str(&format!(
        "To download: {}, {}, {} billed minutes.\n",
        videos(count(&estimate.to_download)),
        format::bytes(estimate.total_bytes),
        minutes(estimate.billed_minutes)
    ));
    text.push_str(&format!(
        "Skipped: {} already in the library.\n",
        videos(count(&estimate.skipped))
    ));
    if estimate.unavailable.is_empty() {
        text.push_str("Unavailable: none.\n");
    } else {
        text.push_str(&format!(
            "Unavailable: {}:\n",
            videos(count(&estimate.unavailable))
        ));
        for candidate in &estimate.unavailable {
            text.push_str(&format!("  {}\n", unavailable_line(candidate)));
        }
    }

    if estimate.unknown_durations > 0 {
        text.push_str(&format!(
            "The duration of {} is unknown, so the billed minutes are a lower bound.\n",
            videos(estimate.unknown_durations)
        ));
    }
    if !estimate.to_download.is_empty() {
        text.push_str(
            "Sizes are those of the uploaded originals; the files Stream prepares differ.\n",
        );
    }
    text
}

/// Returns the confirmation question, without the `[y/N]`.
pub fn question(estimate: &BackupEstimate) -> String {
    format!(
        "Download {} ({}, {} billed minutes) into the library?",
        videos(count(&estimate.to_download)),
        format::bytes(estimate.total_bytes),
        minutes(estimate.billed_minutes)
    )
}

/// Returns the restore step's result as one sentence.
pub fn restore(report: &RestoreReport) -> String {
    let mut text = format!(
        "Restore step: deleted {} that the backup enabled on Stream, kept {} that existed before",
        downloads(report.deleted),
        downloads(report.kept)
    );
    if report.failed > 0 {
        text.push_str(&format!(
            "; {} could not be deleted (run with --verbose for the reasons)",
            downloads(report.failed)
        ));
    }
    text.push('.');
    text
}

/// Returns the note printed after a cancelled backup.
pub fn cancelled(restore_account: bool) -> String {
    let mut text =
        "Backup cancelled. Partial files are kept; run the same command again to resume."
            .to_owned();
    if restore_account {
        text.push_str(" The downloads this backup enabled stay on Stream until that run's restore step deletes them.");
    }
    text
}

/// Returns the summary line, ending in `\n`.
pub fn summary(progress: &BackupProgress) -> String {
    let state = match progress.state {
        BackupState::Done => "done",
        BackupState::Cancelled => "cancelled",
        BackupState::Running => "running",
        BackupState::Restoring => "restoring",
    };
    let ended = progress.done + progress.failed + progress.skipped + progress.unavailable;
    let cancelled = progress.total.saturating_sub(ended + progress.active);
    let mut text = format!(
        "Backup {} {state}: {} downloaded, {} already offline, {} unavailable, {} failed",
        progress.id, progress.done, progress.skipped, progress.unavailable, progress.failed
    );
    if cancelled > 0 {
        text.push_str(&format!(", {cancelled} cancelled"));
    }
    text.push_str(".\n");
    text
}

fn unavailable_line(candidate: &BackupCandidate) -> String {
    let title = terminal::fit_width(&terminal::one_line(&candidate.title), TITLE_COLUMNS);
    let reason = candidate
        .reason
        .map_or("cannot be downloaded", |reason| reason.describe());
    match &candidate.detail {
        Some(detail) => format!(
            "{}  {title}: {reason} ({})",
            candidate.uid,
            terminal::one_line(detail)
        ),
        None => format!("{}  {title}: {reason}", candidate.uid),
    }
}

fn count(candidates: &[BackupCandidate]) -> u32 {
    u32::try_from(candidates.len()).unwrap_or(u32::MAX)
}

fn videos(count: u32) -> String {
    if count == 1 {
        "1 video".to_owned()
    } else {
        format!("{count} videos")
    }
}

fn downloads(count: u32) -> String {
    if count == 1 {
        "1 download".to_owned()
    } else {
        format!("{count} downloads")
    }
}

fn minutes(value: f64) -> String {
    format!("{value:.1}")
}

#[cfg(test)]
mod tests {
    use offstream_engine::backup::{BackupReason, BackupSelection};

    use super::*;

    fn candidate(uid: &str, reason: Option<BackupReason>) -> BackupCandidate {
        BackupCandidate {
            uid: uid.to_owned(),
            title: "Two\nlines".to_owned(),
            created: "2024-05-01T00:00:00Z".to_owned(),
            duration: Some(90.0),
            size: Some(2048),
            reason,
            detail: None,
        }
    }

    fn sample() -> BackupEstimate {
        let mut failed = candidate("c", Some(BackupReason::ProcessingFailed));
        failed.detail = Some("ERR_NON_VIDEO".to_owned());
        BackupEstimate {
            download_type: DownloadType::Default,
            selection: BackupSelection::default(),
            selected: 4,
            to_download: vec![candidate("a", None)],
            skipped: vec![candidate("b", Some(BackupReason::AlreadyOffline))],
            unavailable: vec![failed, candidate("d", Some(BackupReason::NotReady))],
            total_bytes: 2048,
            billed_minutes: 1.5,
            unknown_durations: 1,
        }
    }

    #[test]
    fn estimate_lists_counts_and_reasons() {
        let text = estimate(&sample());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Selected 4 videos for an MP4 backup.");
        assert_eq!(
            lines[1],
            "To download: 1 video, 2.0 KiB, 1.5 billed minutes."
        );
        assert_eq!(lines[2], "Skipped: 1 video already in the library.");
        assert_eq!(lines[3], "Unavailable: 2 videos:");
        assert_eq!(
            lines[4],
            "  c  Two lines: Stream failed to process it (ERR_NON_VIDEO)"
        );
        assert_eq!(lines[5], "  d  Two lines: Stream is still processing it");
        assert!(lines[6].contains("lower bound"), "{}", lines[6]);
    }

    #[test]
    fn estimate_of_nothing_says_so() {
        let mut empty = sample();
        empty.selected = 0;
        assert!(estimate(&empty).starts_with("No video matches"));
    }

    #[test]
    fn restore_mentions_failures_only_when_any() {
        let clean = RestoreReport {
            deleted: 2,
            kept: 1,
            failed: 0,
        };
        assert_eq!(
            restore(&clean),
            "Restore step: deleted 2 downloads that the backup enabled on Stream, kept 1 download that existed before."
        );
        let failing = RestoreReport { failed: 1, ..clean };
        assert!(restore(&failing).contains("1 download could not be deleted"));
    }

    #[test]
    fn summary_counts_cancelled() {
        let progress = BackupProgress {
            id: 7,
            state: BackupState::Cancelled,
            download_type: DownloadType::Default,
            restore_account: false,
            total: 10,
            done: 3,
            failed: 1,
            skipped: 2,
            unavailable: 1,
            active: 0,
            restored: 0,
            items: Vec::new(),
        };
        assert_eq!(
            summary(&progress),
            "Backup 7 cancelled: 3 downloaded, 2 already offline, 1 unavailable, 1 failed, 3 cancelled.\n"
        );
    }
}
