//! The restore step of a backup: deleting the downloads the backup enabled on Stream, so the
//! account looks as it did before. Each MP4 download stays on Stream until deleted, and an
//! account owner may not want thousands of them left behind.
//!
//! Only downloads Offstream created are deleted:
//! - those of videos whose job ran in this backup and for which Stream had no download of that
//!   type before the job started (`enabled_before` is false);
//! - those of videos this backup skipped as already offline, when a finished earlier backup
//!   enabled the download and has not deleted it (it was cancelled). The earlier backup's item
//!   is marked as deleted too.
//!
//! A download that existed before is never touched, and neither is one whose earlier state is
//! unknown. Running it again deletes nothing twice.

use std::collections::HashSet;

use futures_util::stream::{self, StreamExt};
use tracing::{info, warn};

use super::api;
use super::run::{backup_progress, unknown_backup};
use super::types::{BackupId, BackupOutcome, RestoreReport};
use crate::error::EngineError;
use crate::manager::JobManager;

/// Deletes that run at the same time; the API budget spaces them further.
const DELETE_CONCURRENCY: usize = 4;

/// A download to delete, for this backup and for the earlier backups that enabled it.
struct Delete {
    uid: String,
    earlier: Vec<BackupId>,
}

/// Deletes the downloads a backup enabled and returns what happened to each download of its
/// videos. Downloads that already existed count as kept; a 404 counts as deleted, because the
/// download is gone either way. The report covers the whole backup, so a second call returns
/// the same numbers without deleting anything again.
///
/// # Errors
/// [`EngineError::Config`] for an unknown id, for a backup started without restore-account
/// (it never recorded which downloads existed before), and for a backup whose videos are
/// still downloading; [`EngineError::Catalog`] when the catalog cannot be read.
pub async fn restore_account(
    manager: &JobManager,
    id: BackupId,
) -> Result<RestoreReport, EngineError> {
    let catalog = manager.catalog();
    let record = catalog.backup(id)?.ok_or_else(|| unknown_backup(id))?;
    if !record.restore_account {
        return Err(EngineError::Config(format!(
            "backup {id} was started without restore-account, so it did not record which downloads existed before it; nothing can be deleted safely"
        )));
    }
    let progress = backup_progress(manager, id)?;
    if progress.active > 0 {
        return Err(EngineError::Config(format!(
            "backup {id} still has {} videos queued, downloading or paused: wait for them to end or cancel the backup, then restore",
            progress.active
        )));
    }

    // Another job of the same download (a new backup, a single download) still needs it.
    let in_use: HashSet<String> = manager
        .snapshots()
        .into_iter()
        .filter(|snapshot| {
            !snapshot.phase.is_terminal() && snapshot.download_type == record.download_type
        })
        .map(|snapshot| snapshot.uid)
        .collect();

    let mut report = RestoreReport::default();
    let mut to_delete: Vec<Delete> = Vec::new();
    for (item, status) in catalog.backup_items(id)?.into_iter().zip(&progress.items) {
        let ran = item.job_id.is_some()
            || matches!(status.outcome, BackupOutcome::Done | BackupOutcome::Failed);
        if status.outcome == BackupOutcome::Skipped {
            // An earlier backup downloaded this video and left its download on Stream, because
            // it was cancelled. This restore step deletes the download for that backup.
            let owing = catalog.backups_owing_delete(
                &record.account_id,
                record.download_type,
                &item.uid,
                id,
            )?;
            if item.download_deleted {
                report.deleted += 1;
            } else if owing.is_empty() {
                continue;
            } else if in_use.contains(&item.uid) {
                warn!(backup_id = id, uid = %item.uid, "another download job of this video is running; run the restore again once it ends");
                report.failed += 1;
            } else {
                to_delete.push(Delete {
                    uid: item.uid,
                    earlier: owing,
                });
            }
            continue;
        }
        if !ran {
            continue;
        }
        match item.enabled_before {
            Some(true) => report.kept += 1,
            None => {
                warn!(backup_id = id, uid = %item.uid, "not known whether the download existed before the backup; leaving it on Stream");
                report.failed += 1;
            }
            Some(false) if item.download_deleted => report.deleted += 1,
            Some(false) if in_use.contains(&item.uid) => {
                warn!(backup_id = id, uid = %item.uid, "another download job of this video is running; run the restore again once it ends");
                report.failed += 1;
            }
            Some(false) => to_delete.push(Delete {
                uid: item.uid,
                earlier: Vec::new(),
            }),
        }
    }

    let download_type = record.download_type;
    let mut deletes = stream::iter(to_delete)
        .map(|delete| async move {
            let result = api::delete_download(manager, &delete.uid, download_type).await;
            (delete, result)
        })
        .buffer_unordered(DELETE_CONCURRENCY);
    while let Some((delete, result)) = deletes.next().await {
        match result {
            Ok(()) | Err(offstream_stream::Error::NotFound { .. }) => {
                catalog.set_backup_item_download_deleted(id, &delete.uid)?;
                for earlier in &delete.earlier {
                    catalog.set_backup_item_download_deleted(*earlier, &delete.uid)?;
                }
                report.deleted += 1;
            }
            Err(error) => {
                warn!(backup_id = id, uid = %delete.uid, code = error.code(), error = %error, "could not delete the download the backup enabled");
                report.failed += 1;
            }
        }
    }

    info!(
        backup_id = id,
        deleted = report.deleted,
        kept = report.kept,
        failed = report.failed,
        "restore step finished"
    );
    Ok(report)
}
