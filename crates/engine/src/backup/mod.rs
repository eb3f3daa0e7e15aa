//! Bulk backups: many videos of the mirror taken offline as one job.
//!
//! Steps, each its own module:
//! - [`estimate_backup`] (`plan`): which videos a selection matches, which are downloaded,
//!   skipped (already offline) or unavailable, the total size and the billed minutes. It
//!   reads only the catalog's mirror and library, never the API.
//! - [`start_backup`] (`run`): records the backup and its videos in the catalog, starts one
//!   download job per video on the [`crate::JobManager`] and returns a [`BackupHandle`] that
//!   follows them. [`backup_progress`] rebuilds the progress of any recorded backup, and
//!   [`resume_backup`] takes up one that a restart interrupted.
//! - [`restore_account`] (`restore`): deletes the downloads the backup enabled on Stream.
//! - [`write_manifest`] (`manifest`): the JSON or CSV list of the backup's files.
//!
//! Every API call a backup makes itself (reading existing downloads, deleting them) takes a
//! token from the manager's [`crate::ApiBudget`].

mod api;
mod manifest;
mod plan;
mod records;
mod restore;
mod run;
mod types;

pub use manifest::write_manifest;
pub use plan::{check_selection, estimate_backup, LIVE_RECORDING_MAX_SECS};
pub use records::{BackupItemRecord, BackupRecord, NewBackupItem};
pub use restore::restore_account;
pub use run::{backup_progress, resume_backup, start_backup, BackupHandle};
pub use types::{
    BackupCandidate, BackupEstimate, BackupId, BackupItemStatus, BackupOptions, BackupOutcome,
    BackupProgress, BackupReason, BackupSelection, BackupState, ManifestFormat, RestoreReport,
};
