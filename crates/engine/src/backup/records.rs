//! The rows of the catalog's `backups` and `backup_items` tables, and the text each enum is
//! stored as.

use std::str::FromStr;

use offstream_stream::DownloadType;

use super::types::{BackupId, BackupOutcome, BackupReason, BackupSelection, BackupState};
use crate::job::JobId;

/// One row of the `backups` table.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupRecord {
    pub id: BackupId,
    pub account_id: String,
    pub download_type: DownloadType,
    /// The selection the estimate was made from.
    pub selection: BackupSelection,
    /// Whether the downloads the backup enabled are deleted again once it ends.
    pub restore_account: bool,
    pub state: BackupState,
    /// When the backup was recorded (RFC 3339, UTC).
    pub created_at: String,
    /// When it became `done` or `cancelled` (RFC 3339, UTC).
    pub finished_at: Option<String>,
}

/// One row of the `backup_items` table: one selected video of a backup.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupItemRecord {
    pub uid: String,
    pub title: String,
    /// The last outcome saved; a running job's live phase may be further along.
    pub outcome: BackupOutcome,
    pub reason: Option<BackupReason>,
    /// The download job, once started. Discarding the job row clears it.
    pub job_id: Option<JobId>,
    /// Whether Stream had this download before the backup; `None` when it was not checked
    /// (restore-account off, the check failed, or the video was not downloaded).
    pub enabled_before: Option<bool>,
    /// True once a restore step deleted the download that Offstream had enabled: this
    /// backup's, or a later one's that skipped the video as already offline.
    pub download_deleted: bool,
}

/// A video to record in a new backup.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBackupItem {
    pub uid: String,
    pub title: String,
    pub outcome: BackupOutcome,
    pub reason: Option<BackupReason>,
}

impl BackupState {
    /// Returns the value stored in the `backups.state` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Restoring => "restoring",
            Self::Done => "done",
            Self::Cancelled => "cancelled",
        }
    }

    /// Returns true for `done` and `cancelled`.
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Done | Self::Cancelled)
    }
}

impl FromStr for BackupState {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        [Self::Running, Self::Restoring, Self::Done, Self::Cancelled]
            .into_iter()
            .find(|state| state.as_str() == text)
            .ok_or_else(|| format!("unknown backup state '{text}'"))
    }
}

impl BackupOutcome {
    /// Returns the value stored in the `backup_items.outcome` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
            Self::Unavailable => "unavailable",
            Self::Cancelled => "cancelled",
        }
    }

    /// Returns true for the outcomes of a video whose download has not ended: `queued`,
    /// `running` and `paused`.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Queued | Self::Running | Self::Paused)
    }
}

impl FromStr for BackupOutcome {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        [
            Self::Queued,
            Self::Running,
            Self::Paused,
            Self::Done,
            Self::Failed,
            Self::Skipped,
            Self::Unavailable,
            Self::Cancelled,
        ]
        .into_iter()
        .find(|outcome| outcome.as_str() == text)
        .ok_or_else(|| format!("unknown backup outcome '{text}'"))
    }
}

impl BackupReason {
    /// Returns the value stored in the `backup_items.reason` column, which is also the JSON
    /// name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AlreadyOffline => "alreadyOffline",
            Self::LiveRecordingTooLong => "liveRecordingTooLong",
            Self::ProcessingFailed => "processingFailed",
            Self::NotReady => "notReady",
            Self::RemovedFromStream => "removedFromStream",
        }
    }

    /// Returns a short English phrase for the reason, for the CLI and logs.
    pub fn describe(self) -> &'static str {
        match self {
            Self::AlreadyOffline => "already in the library",
            Self::LiveRecordingTooLong => {
                "a live recording of 4 hours or more, for which Stream offers no MP4"
            }
            Self::ProcessingFailed => "Stream failed to process it",
            Self::NotReady => "Stream is still processing it",
            Self::RemovedFromStream => "no longer on Stream (the last sync did not find it)",
        }
    }
}

impl FromStr for BackupReason {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        [
            Self::AlreadyOffline,
            Self::LiveRecordingTooLong,
            Self::ProcessingFailed,
            Self::NotReady,
            Self::RemovedFromStream,
        ]
        .into_iter()
        .find(|reason| reason.as_str() == text)
        .ok_or_else(|| format!("unknown backup reason '{text}'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_text_matches_json() {
        for reason in [
            BackupReason::AlreadyOffline,
            BackupReason::LiveRecordingTooLong,
            BackupReason::ProcessingFailed,
            BackupReason::NotReady,
            BackupReason::RemovedFromStream,
        ] {
            let json = serde_json::to_value(reason).unwrap();
            assert_eq!(json.as_str(), Some(reason.as_str()), "{reason:?}");
            assert_eq!(reason.as_str().parse::<BackupReason>(), Ok(reason));
        }
    }

    #[test]
    fn outcome_text_round_trips() {
        for outcome in [
            BackupOutcome::Queued,
            BackupOutcome::Running,
            BackupOutcome::Paused,
            BackupOutcome::Done,
            BackupOutcome::Failed,
            BackupOutcome::Skipped,
            BackupOutcome::Unavailable,
            BackupOutcome::Cancelled,
        ] {
            let json = serde_json::to_value(outcome).unwrap();
            assert_eq!(json.as_str(), Some(outcome.as_str()), "{outcome:?}");
            assert_eq!(outcome.as_str().parse::<BackupOutcome>(), Ok(outcome));
        }
    }

    #[test]
    fn state_text_round_trips() {
        for state in [
            BackupState::Running,
            BackupState::Restoring,
            BackupState::Done,
            BackupState::Cancelled,
        ] {
            assert_eq!(state.as_str().parse::<BackupState>(), Ok(state));
        }
    }

    #[test]
    fn unknown_outcome_is_rejected() {
        assert!("exploded".parse::<BackupOutcome>().is_err());
    }
}
