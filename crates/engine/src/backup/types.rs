//! The values of a bulk backup: what to back up, the estimate shown before it starts, and its
//! progress.

use offstream_stream::DownloadType;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::ErrorInfo;
use crate::job::JobId;

/// Id of a backup in the catalog's `backups` table.
pub type BackupId = i64;

/// The videos of the mirror a backup takes. A video must match every filter that is set, and
/// no filter at all selects the whole account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BackupSelection {
    /// Exactly these videos.
    pub uids: Option<Vec<String>>,
    /// Videos whose name contains this text, ignoring case.
    pub search: Option<String>,
    /// Videos created on or after this time (RFC 3339, or a date `YYYY-MM-DD` meaning its
    /// start in UTC).
    pub since: Option<String>,
    /// Videos created before this time (RFC 3339, or a date `YYYY-MM-DD`: before its end).
    pub until: Option<String>,
    /// Videos of this creator id.
    pub creator: Option<String>,
}

/// The reason a backup does not download a selected video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum BackupReason {
    /// A verified file of this type is already in the library.
    AlreadyOffline,
    /// A live recording of 4 hours or more: Stream offers no MP4 for it.
    LiveRecordingTooLong,
    /// Stream failed to process the video.
    ProcessingFailed,
    /// Stream is still processing the video.
    NotReady,
    /// The last sync no longer found the video on Stream.
    RemovedFromStream,
}

/// One selected video in an estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BackupCandidate {
    pub uid: String,
    /// The video's name (or uid when it has none).
    pub title: String,
    /// Upload time (RFC 3339).
    pub created: String,
    /// Seconds; `null` while unknown.
    pub duration: Option<f64>,
    /// Bytes of the uploaded original, as Stream reports it.
    #[ts(type = "number | null")]
    pub size: Option<u64>,
    /// The reason it is not downloaded; `null` when it is.
    pub reason: Option<BackupReason>,
    /// Stream's own words for a processing error, when it gave some.
    pub detail: Option<String>,
}

/// The plan of a backup, computed from the mirror before anything is enabled on Stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BackupEstimate {
    pub download_type: DownloadType,
    pub selection: BackupSelection,
    /// Videos the selection matched.
    pub selected: u32,
    /// Videos the backup downloads.
    pub to_download: Vec<BackupCandidate>,
    /// Videos already verified offline.
    pub skipped: Vec<BackupCandidate>,
    /// Videos that cannot be downloaded, with the reason.
    pub unavailable: Vec<BackupCandidate>,
    /// Sum of the original sizes of `to_download`; the MP4s Stream makes differ from these.
    #[ts(type = "number")]
    pub total_bytes: u64,
    /// Minutes delivered that Cloudflare bills: the sum of the durations of `to_download`.
    pub billed_minutes: f64,
    /// Videos in `to_download` whose duration is unknown, so the minutes are a lower bound.
    pub unknown_durations: u32,
}

/// Choices made when a backup starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BackupOptions {
    /// Delete the downloads the backup enabled on Stream once it ends, so the account looks as
    /// it did. Downloads that existed before the backup are left alone.
    pub restore_account: bool,
}

/// The stage of a backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum BackupState {
    Running,
    /// Deleting the downloads the backup enabled.
    Restoring,
    /// Every video ended (done, failed, skipped or unavailable).
    Done,
    Cancelled,
}

/// The state of one video of a backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum BackupOutcome {
    Queued,
    Running,
    Paused,
    Done,
    Failed,
    Skipped,
    Unavailable,
    Cancelled,
}

/// One video of a backup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BackupItemStatus {
    pub uid: String,
    pub title: String,
    pub outcome: BackupOutcome,
    /// The download job, once started.
    #[ts(type = "number | null")]
    pub job_id: Option<JobId>,
    /// The reason it was skipped or is unavailable.
    pub reason: Option<BackupReason>,
    /// The error that ended its job.
    pub error: Option<ErrorInfo>,
    /// True once the restore step deleted the download the backup had enabled.
    pub download_deleted: bool,
}

/// A backup's progress: the counts and every video's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BackupProgress {
    #[ts(type = "number")]
    pub id: BackupId,
    pub state: BackupState,
    pub download_type: DownloadType,
    pub restore_account: bool,
    /// Videos in the backup (every selected one, including skipped and unavailable).
    pub total: u32,
    pub done: u32,
    pub failed: u32,
    pub skipped: u32,
    pub unavailable: u32,
    /// Queued, running or paused.
    pub active: u32,
    /// Downloads deleted again by the restore step.
    pub restored: u32,
    pub items: Vec<BackupItemStatus>,
}

/// The format of an exported manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum ManifestFormat {
    Json,
    Csv,
}

/// The result of the restore step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RestoreReport {
    /// Downloads deleted because the backup had enabled them.
    pub deleted: u32,
    /// Downloads left because they existed before the backup.
    pub kept: u32,
    /// Downloads that could not be deleted (the reason is in the log and the item's error).
    pub failed: u32,
}
