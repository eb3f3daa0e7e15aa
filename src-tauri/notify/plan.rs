//! Decides which OS notifications job and backup events raise, and merges bursts into one.
//!
//! Rules:
//! - A job outside a backup raises "finished" or "failed" once. Events that arrive within one
//!   merge window become a single notification ("3 downloads finished, 1 failed").
//! - A job inside a running backup raises nothing for finishing or failing: the backup raises
//!   one notification when it ends.
//! - A job that needs attention (full disk, missing signing key) raises one notification per
//!   kind and merge window. Inside a backup it raises one per kind for the whole backup.
//! - Repeated snapshots of the same state (progress ticks, a re-sent snapshot) raise nothing.
//!
//! The planner is plain data, so the rules are tested without a window or a notification
//! server. Titles are user data: they are stripped of control characters, shortened and, on
//! Linux, where notification servers may render markup in the body, escaped.

use std::collections::{BTreeSet, HashMap, HashSet};

use offstream_engine::backup::{BackupId, BackupProgress, BackupState};
use offstream_engine::{JobId, JobNotice, JobPhase, JobSnapshot};

/// Characters of a video title kept in a notification.
const MAX_TITLE_CHARS: usize = 80;

/// Titles listed by name in a merged notification before "and N more".
const MAX_LISTED_TITLES: usize = 3;

/// Error codes of a job that waits for the user to set up token signing.
const SIGNING_CODES: &[&str] = &[
    "signing_key_needed",
    "signing_key_revoked",
    "signing_key_invalid",
];

/// One OS notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
}

/// A condition the user has to act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Attention {
    DiskFull,
    SigningKey,
}

/// The meaning of a job snapshot for notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
enum JobEvent {
    Finished,
    Failed(String),
    NeedsAttention(Attention),
}

/// Collects events and turns them into notices.
#[derive(Debug, Default)]
pub struct Planner {
    /// The last event seen per job, so a repeated snapshot of the same state is ignored.
    last_event: HashMap<JobId, Option<JobEvent>>,
    finished: Vec<String>,
    failed: Vec<(String, String)>,
    attention: BTreeSet<Attention>,
    /// Attention kinds already raised for a backup.
    backup_attention: HashSet<(BackupId, Attention)>,
}

impl Planner {
    /// Records a job snapshot; `backup` is the running backup the job belongs to. Returns
    /// true when a notice is now waiting for [`Planner::flush`].
    pub fn record_job(&mut self, snapshot: &JobSnapshot, backup: Option<BackupId>) -> bool {
        let event = classify(snapshot);
        let previous = self.last_event.insert(snapshot.id, event.clone());
        let Some(event) = event else {
            return false;
        };
        if previous == Some(Some(event.clone())) {
            return false;
        }

        let title = snapshot
            .title
            .clone()
            .unwrap_or_else(|| snapshot.uid.clone());
        match (event, backup) {
            (JobEvent::NeedsAttention(kind), Some(id)) => {
                if !self.backup_attention.insert((id, kind)) {
                    return false;
                }
                self.attention.insert(kind);
            }
            (JobEvent::NeedsAttention(kind), None) => {
                self.attention.insert(kind);
            }
            (_, Some(_)) => return false,
            (JobEvent::Finished, None) => self.finished.push(title),
            (JobEvent::Failed(message), None) => self.failed.push((title, message)),
        }
        true
    }

    /// Returns true when a notice waits for [`Planner::flush`].
    #[cfg(test)]
    fn has_pending(&self) -> bool {
        !self.finished.is_empty() || !self.failed.is_empty() || !self.attention.is_empty()
    }

    /// Returns the notices of everything recorded since the last flush, merged.
    pub fn flush(&mut self) -> Vec<Notice> {
        let mut notices = Vec::new();
        if let Some(notice) = jobs_notice(&self.finished, &self.failed) {
            notices.push(notice);
        }
        notices.extend(self.attention.iter().map(|kind| attention_notice(*kind)));

        self.finished.clear();
        self.failed.clear();
        self.attention.clear();
        notices
    }
}

/// Returns the notice for a backup that ended, or `None` while it still runs.
pub fn backup_notice(progress: &BackupProgress) -> Option<Notice> {
    match progress.state {
        BackupState::Running | BackupState::Restoring => None,
        BackupState::Cancelled => Some(Notice {
            title: "Backup cancelled".to_owned(),
            body: format!(
                "{} of {} videos were downloaded before it stopped.",
                progress.done, progress.total
            ),
        }),
        BackupState::Done => {
            let mut parts = vec![format!("{} downloaded", progress.done)];
            if progress.failed > 0 {
                parts.push(format!("{} failed", progress.failed));
            }
            if progress.skipped > 0 {
                parts.push(format!("{} already offline", progress.skipped));
            }
            if progress.unavailable > 0 {
                parts.push(format!("{} unavailable", progress.unavailable));
            }
            let mut body = format!("{}.", parts.join(", "));
            if progress.restore_account {
                body.push_str(&format!(
                    " {} downloads were deleted from Stream again.",
                    progress.restored
                ));
            }
            let title = if progress.failed > 0 {
                "Backup finished with failures"
            } else {
                "Backup finished"
            };
            Some(Notice {
                title: title.to_owned(),
                body,
            })
        }
    }
}

fn classify(snapshot: &JobSnapshot) -> Option<JobEvent> {
    match snapshot.phase {
        JobPhase::Done => Some(JobEvent::Finished),
        JobPhase::Failed => {
            let error = snapshot.error.as_ref();
            if error.is_some_and(|e| SIGNING_CODES.contains(&e.code.as_str())) {
                return Some(JobEvent::NeedsAttention(Attention::SigningKey));
            }
            Some(JobEvent::Failed(
                error.map(|e| e.message.clone()).unwrap_or_default(),
            ))
        }
        JobPhase::Paused if matches!(snapshot.notice, Some(JobNotice::DiskFull { .. })) => {
            Some(JobEvent::NeedsAttention(Attention::DiskFull))
        }
        _ => None,
    }
}

fn jobs_notice(finished: &[String], failed: &[(String, String)]) -> Option<Notice> {
    let notice = match (finished, failed) {
        ([], []) => return None,
        ([title], []) => Notice {
            title: "Download finished".to_owned(),
            body: format!("{} is in your offline library.", quote(title)),
        },
        (titles, []) => Notice {
            title: format!("{} downloads finished", titles.len()),
            body: format!("{} are in your offline library.", list_titles(titles)),
        },
        ([], [(title, message)]) => Notice {
            title: "Download failed".to_owned(),
            body: format!("{}: {}", quote(title), clean(message, 200)),
        },
        ([], failures) => Notice {
            title: format!("{} downloads failed", failures.len()),
            body: "Open Offstream to see why and to retry them.".to_owned(),
        },
        (titles, failures) => Notice {
            title: format!(
                "{} downloads finished, {} failed",
                titles.len(),
                failures.len()
            ),
            body: "Open Offstream to see why and to retry the failed ones.".to_owned(),
        },
    };
    Some(notice)
}

fn attention_notice(kind: Attention) -> Notice {
    match kind {
        Attention::DiskFull => Notice {
            title: "Downloads paused: the disk is full".to_owned(),
            body:
                "Free space on the library's disk; the paused downloads resume once there is room."
                    .to_owned(),
        },
        Attention::SigningKey => Notice {
            title: "A private video needs a signing key".to_owned(),
            body: "Add or create a signing key in Offstream's settings, then retry the download."
                .to_owned(),
        },
    }
}

fn list_titles(titles: &[String]) -> String {
    let named: Vec<String> = titles
        .iter()
        .take(MAX_LISTED_TITLES)
        .map(|title| quote(title))
        .collect();
    let rest = titles.len().saturating_sub(MAX_LISTED_TITLES);
    if rest == 0 {
        named.join(", ")
    } else {
        format!("{} and {rest} more", named.join(", "))
    }
}

/// Returns a title in quotes, cleaned for a notification body.
fn quote(title: &str) -> String {
    format!("\u{201c}{}\u{201d}", clean(title, MAX_TITLE_CHARS))
}

/// Drops control and bidirectional-override characters, shortens to `max_chars` and, on
/// Linux, escapes the characters of the markup that notification servers may render.
fn clean(text: &str, max_chars: usize) -> String {
    let visible: String = text
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .collect();
    let mut shortened: String = visible.chars().take(max_chars).collect();
    if visible.chars().count() > max_chars {
        shortened.push('\u{2026}');
    }
    if cfg!(target_os = "linux") {
        escape_markup(&shortened)
    } else {
        shortened
    }
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

fn escape_markup(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use offstream_engine::ErrorInfo;
    use offstream_stream::DownloadType;

    use super::*;

    fn snapshot(id: JobId, title: &str, phase: JobPhase) -> JobSnapshot {
        let mut snapshot = JobSnapshot::queued(id, &format!("uid{id}"), DownloadType::Default);
        snapshot.title = Some(title.to_owned());
        snapshot.phase = phase;
        snapshot
    }

    fn failed(id: JobId, code: &str) -> JobSnapshot {
        let mut snapshot = snapshot(id, "Clip", JobPhase::Failed);
        snapshot.error = Some(ErrorInfo {
            code: code.to_owned(),
            message: "the server failed; retry later".to_owned(),
        });
        snapshot
    }

    fn disk_full(id: JobId) -> JobSnapshot {
        let mut snapshot = snapshot(id, "Clip", JobPhase::Paused);
        snapshot.notice = Some(JobNotice::DiskFull {
            needed_bytes: Some(10),
        });
        snapshot
    }

    fn progress(state: BackupState) -> BackupProgress {
        BackupProgress {
            id: 1,
            state,
            download_type: DownloadType::Default,
            restore_account: true,
            total: 50,
            done: 45,
            failed: 0,
            skipped: 4,
            unavailable: 1,
            active: 0,
            restored: 40,
            items: Vec::new(),
        }
    }

    #[test]
    fn one_finished_job_names_title() {
        let mut planner = Planner::default();
        planner.record_job(&snapshot(1, "Intro", JobPhase::Done), None);
        let notices = planner.flush();
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].title, "Download finished");
        assert!(notices[0].body.contains("Intro"), "{:?}", notices[0]);
    }

    #[test]
    fn burst_becomes_one_notice() {
        let mut planner = Planner::default();
        for id in 0..10 {
            planner.record_job(&snapshot(id, "Clip", JobPhase::Done), None);
        }
        planner.record_job(&failed(99, "server"), None);
        let notices = planner.flush();
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].title, "10 downloads finished, 1 failed");
    }

    #[test]
    fn many_finished_lists_three_titles() {
        let mut planner = Planner::default();
        for id in 0..5 {
            planner.record_job(&snapshot(id, &format!("T{id}"), JobPhase::Done), None);
        }
        let notices = planner.flush();
        assert!(notices[0].body.contains("and 2 more"), "{:?}", notices[0]);
    }

    #[test]
    fn repeated_snapshot_ignored() {
        let mut planner = Planner::default();
        assert!(planner.record_job(&snapshot(1, "Intro", JobPhase::Done), None));
        planner.flush();
        assert!(!planner.record_job(&snapshot(1, "Intro", JobPhase::Done), None));
        assert!(planner.flush().is_empty());
    }

    #[test]
    fn progress_snapshot_ignored() {
        let mut planner = Planner::default();
        assert!(!planner.record_job(&snapshot(1, "Intro", JobPhase::Transferring), None));
        assert!(!planner.has_pending());
    }

    #[test]
    fn backup_jobs_raise_nothing() {
        let mut planner = Planner::default();
        for id in 0..50 {
            planner.record_job(&snapshot(id, "Clip", JobPhase::Done), Some(7));
        }
        planner.record_job(&failed(60, "server"), Some(7));
        assert!(planner.flush().is_empty());
    }

    #[test]
    fn backup_disk_full_raised_once() {
        let mut planner = Planner::default();
        assert!(planner.record_job(&disk_full(1), Some(7)));
        assert_eq!(planner.flush().len(), 1);
        assert!(!planner.record_job(&disk_full(2), Some(7)));
        assert!(planner.flush().is_empty());
    }

    #[test]
    fn disk_full_again_after_resume() {
        let mut planner = Planner::default();
        planner.record_job(&disk_full(1), None);
        planner.flush();
        planner.record_job(&snapshot(1, "Clip", JobPhase::Transferring), None);
        assert!(planner.record_job(&disk_full(1), None));
    }

    #[test]
    fn signing_failure_needs_attention() {
        let mut planner = Planner::default();
        planner.record_job(&failed(1, "signing_key_needed"), None);
        let notices = planner.flush();
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].title, "A private video needs a signing key");
    }

    #[test]
    fn attention_kinds_merge_per_window() {
        let mut planner = Planner::default();
        planner.record_job(&disk_full(1), None);
        planner.record_job(&disk_full(2), None);
        planner.record_job(&failed(3, "signing_key_needed"), None);
        assert_eq!(planner.flush().len(), 2);
    }

    #[test]
    fn backup_done_counts_outcomes() {
        let notice = backup_notice(&progress(BackupState::Done)).unwrap();
        assert_eq!(notice.title, "Backup finished");
        assert_eq!(
            notice.body,
            "45 downloaded, 4 already offline, 1 unavailable. 40 downloads were deleted from Stream again."
        );
    }

    #[test]
    fn running_backup_has_no_notice() {
        assert_eq!(backup_notice(&progress(BackupState::Running)), None);
    }

    #[test]
    fn cancelled_backup_notice() {
        let notice = backup_notice(&progress(BackupState::Cancelled)).unwrap();
        assert_eq!(notice.title, "Backup cancelled");
    }

    #[test]
    fn hostile_title_cleaned() {
        let cleaned = clean("<b>x</b>\u{202e}gpj.exe\n&", 80);
        assert!(!cleaned.contains('\u{202e}'));
        assert!(!cleaned.contains('\n'));
        if cfg!(target_os = "linux") {
            assert_eq!(cleaned, "&lt;b&gt;x&lt;/b&gt;gpj.exe&amp;");
        }
    }

    #[test]
    fn long_title_shortened() {
        let cleaned = clean(&"a".repeat(200), 80);
        assert_eq!(cleaned.chars().count(), 81);
    }
}
