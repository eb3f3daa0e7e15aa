//! Bulk backups: starting them from the mirror, following them to their end, their progress,
//! the restore step and the manifest export.
//!
//! Every backup this run starts (or takes up again after a restart) keeps its handle in the
//! registry, so progress comes from memory while it runs and pause, resume and cancel reach
//! its task. A task per backup waits for its end and reports it to the notifier, which raises
//! one notification per backup however many videos it holds.

use std::path::PathBuf;
use std::sync::Arc;

use offstream_engine::backup::{
    self, BackupEstimate, BackupHandle, BackupId, BackupOptions, BackupProgress, BackupSelection,
    ManifestFormat, RestoreReport,
};
use offstream_engine::JobSnapshot;
use offstream_ipc::ErrorPayload;
use offstream_stream::DownloadType;

use super::{lock, Account, AppState, BackupRegistry};
use crate::error::{engine_error, join_error};
use crate::notify::{BackupLookup, Notifier};

impl AppState {
    /// Computes from the mirror what a backup of `selection` would do.
    ///
    /// # Errors
    /// `no_credentials` without an account, and the engine's error for an invalid selection
    /// or an unreadable catalog.
    pub async fn estimate_backup(
        &self,
        selection: BackupSelection,
        download_type: DownloadType,
    ) -> Result<BackupEstimate, ErrorPayload> {
        let account = self.require_account()?;
        let catalog = Arc::clone(self.catalog());
        tauri::async_runtime::spawn_blocking(move || {
            backup::estimate_backup(&catalog, &account.account_id, &selection, download_type)
        })
        .await
        .map_err(join_error)?
        .map_err(engine_error)
    }

    /// Estimates `selection` again from the mirror and starts a backup of it.
    ///
    /// # Errors
    /// The errors of [`AppState::estimate_backup`], and the engine's when the backup cannot be
    /// recorded.
    pub async fn start_backup(
        &self,
        selection: BackupSelection,
        download_type: DownloadType,
        options: BackupOptions,
    ) -> Result<BackupProgress, ErrorPayload> {
        let account = self.require_account()?;
        let estimate = self.estimate_backup(selection, download_type).await?;
        let handle = backup::start_backup(&account.jobs, &account.account_id, &estimate, &options)
            .await
            .map_err(engine_error)?;
        let progress = handle.progress();
        self.track_backup(handle);
        Ok(progress)
    }

    /// Returns the progress of a backup of this run, or of an earlier one from the catalog.
    ///
    /// # Errors
    /// `no_credentials` without an account, and the engine's error for an unknown id.
    pub fn backup_progress(&self, id: BackupId) -> Result<BackupProgress, ErrorPayload> {
        if let Some(handle) = self.backup_handle(id) {
            return Ok(handle.progress());
        }
        let account = self.require_account()?;
        backup::backup_progress(&account.jobs, id).map_err(engine_error)
    }

    /// Returns the progress of every backup of the account, newest first.
    ///
    /// # Errors
    /// `no_credentials` without an account, and the engine's error when the catalog cannot
    /// be read.
    pub fn list_backups(&self) -> Result<Vec<BackupProgress>, ErrorPayload> {
        let account = self.require_account()?;
        let records = self
            .catalog()
            .backups(&account.account_id)
            .map_err(engine_error)?;
        records
            .iter()
            .map(|record| self.backup_progress(record.id))
            .collect()
    }

    /// Cancels a running backup. Finished files stay in the library.
    ///
    /// # Errors
    /// `not_found` when no backup of this run has the id.
    pub fn cancel_backup(&self, id: BackupId) -> Result<(), ErrorPayload> {
        let handle = self.backup_handle(id).ok_or_else(|| {
            ErrorPayload::new(
                "not_found",
                format!("Backup {id} is not running in this window, so there is nothing to cancel; refresh the backups list."),
            )
        })?;
        handle.cancel();
        Ok(())
    }

    /// Deletes the downloads on Stream that a backup enabled.
    ///
    /// # Errors
    /// `no_credentials` without an account, and the engine's error when the backup did not
    /// record the downloads it found, still runs, or Stream fails.
    pub async fn restore_account(&self, id: BackupId) -> Result<RestoreReport, ErrorPayload> {
        let account = self.require_account()?;
        backup::restore_account(&account.jobs, id)
            .await
            .map_err(engine_error)
    }

    /// Writes the manifest of a backup to `path` and returns its number of rows.
    ///
    /// # Errors
    /// `invalid_input` for a relative path, and the engine's error for an unknown backup or a
    /// file that cannot be written.
    pub async fn export_manifest(
        &self,
        id: BackupId,
        format: ManifestFormat,
        path: PathBuf,
    ) -> Result<u32, ErrorPayload> {
        if !path.is_absolute() {
            return Err(ErrorPayload::new(
                "invalid_input",
                format!(
                    "The manifest path must be absolute, not {:?}: choose the file in the save dialog.",
                    path.display().to_string()
                ),
            ));
        }
        let catalog = Arc::clone(self.catalog());
        tauri::async_runtime::spawn_blocking(move || {
            backup::write_manifest(&catalog, id, &path, format)
        })
        .await
        .map_err(join_error)?
        .map_err(engine_error)
    }

    /// Returns the progress of every backup of this run that has not finished.
    pub fn unfinished_backups(&self) -> Vec<BackupProgress> {
        self.running_backups()
            .iter()
            .map(BackupHandle::progress)
            .collect()
    }

    /// Pauses every running backup, so none starts new jobs while all downloads are paused.
    pub fn pause_backups(&self) {
        for handle in self.running_backups() {
            handle.pause();
        }
    }

    /// Resumes every running backup that was paused.
    ///
    /// # Errors
    /// The engine's error when a job cannot be resumed.
    pub fn resume_backups(&self) -> Result<(), ErrorPayload> {
        for handle in self.running_backups() {
            handle.resume().map_err(engine_error)?;
        }
        Ok(())
    }

    /// Takes up, in the background, the backups an earlier run left unfinished. Call it after
    /// the job manager resumed their jobs.
    pub(super) fn resume_unfinished_backups(&self, account: Arc<Account>) {
        let registry = Arc::clone(&self.backups);
        let notifier = self.notifier.clone();
        tauri::async_runtime::spawn(async move {
            resume_unfinished(&account, &registry, &notifier).await;
        });
    }

    /// Keeps a backup's handle and reports its end to the notifier.
    fn track_backup(&self, handle: BackupHandle) {
        track(&self.backups, &self.notifier, handle);
    }

    fn backup_handle(&self, id: BackupId) -> Option<BackupHandle> {
        lock(&self.backups).get(&id).cloned()
    }

    fn running_backups(&self) -> Vec<BackupHandle> {
        lock(&self.backups)
            .values()
            .filter(|handle| !handle.progress().state.is_finished())
            .cloned()
            .collect()
    }
}

/// Takes up the account's unfinished backups and tracks them.
// TODO: when another process (`offstream resume`) has the catalog's queue lock, its jobs are left
// to it, but these backups are still taken up here and could start their videos that never
// started in both processes.
async fn resume_unfinished(account: &Account, registry: &BackupRegistry, notifier: &Notifier) {
    let records = match account.jobs.catalog().backups(&account.account_id) {
        Ok(records) => records,
        Err(error) => {
            tracing::warn!(code = error.code(), %error, "cannot read the unfinished backups");
            return;
        }
    };
    for record in records.iter().filter(|record| !record.state.is_finished()) {
        match backup::resume_backup(&account.jobs, record.id).await {
            Ok(handle) => track(registry, notifier, handle),
            Err(error) => {
                tracing::warn!(backup_id = record.id, code = error.code(), %error, "cannot take up an unfinished backup");
            }
        }
    }
}

/// Keeps a backup's handle in the registry and reports its end to the notifier.
fn track(registry: &BackupRegistry, notifier: &Notifier, handle: BackupHandle) {
    lock(registry).insert(handle.id(), handle.clone());
    let notifier = notifier.clone();
    tauri::async_runtime::spawn(async move {
        let progress = handle.wait().await;
        tracing::info!(
            backup_id = progress.id,
            state = ?progress.state,
            done = progress.done,
            failed = progress.failed,
            "backup ended"
        );
        notifier.backup_ended(progress);
    });
}

/// Returns the lookup the notifier uses to tell backup jobs from single downloads. A job is
/// part of a backup when the backup recorded its id. While the backup runs, a job of the same
/// video and type is too, because a job can end before the backup records its id.
pub(super) fn lookup(registry: BackupRegistry) -> BackupLookup {
    Arc::new(move |snapshot: &JobSnapshot| {
        let handles: Vec<BackupHandle> = lock(&registry).values().cloned().collect();
        handles.iter().find_map(|handle| {
            let progress = handle.progress();
            let running = !progress.state.is_finished();
            let same_type = progress.download_type == snapshot.download_type;
            progress
                .items
                .iter()
                .any(|item| {
                    item.job_id == Some(snapshot.id)
                        || (running && same_type && item.uid == snapshot.uid)
                })
                .then_some(progress.id)
        })
    })
}
