//! Bulk backups: the estimate, start, progress, cancel, the restore step and the manifest.

use std::path::PathBuf;

use offstream_engine::backup::{
    BackupEstimate, BackupId, BackupOptions, BackupProgress, BackupSelection, ManifestFormat,
    RestoreReport,
};
use offstream_stream::DownloadType;
use tauri::State;

use super::CommandResult;
use crate::state::AppState;

/// Computes from the mirror what a backup of `selection` would download, skip and cost.
#[tauri::command]
pub async fn estimate_backup(
    state: State<'_, AppState>,
    selection: BackupSelection,
    download_type: DownloadType,
) -> CommandResult<BackupEstimate> {
    state.estimate_backup(selection, download_type).await
}

/// Estimates `selection` again from the mirror and starts a backup of it.
#[tauri::command]
pub async fn start_backup(
    state: State<'_, AppState>,
    selection: BackupSelection,
    download_type: DownloadType,
    options: BackupOptions,
) -> CommandResult<BackupProgress> {
    state.start_backup(selection, download_type, options).await
}

/// Returns the counts and per-video states of one backup.
#[tauri::command]
pub fn backup_progress(state: State<'_, AppState>, id: BackupId) -> CommandResult<BackupProgress> {
    state.backup_progress(id)
}

/// Lists every backup of the account, newest first.
#[tauri::command]
pub fn list_backups(state: State<'_, AppState>) -> CommandResult<Vec<BackupProgress>> {
    state.list_backups()
}

/// Cancels the videos of a backup that have not finished; finished files stay.
#[tauri::command]
pub fn cancel_backup(state: State<'_, AppState>, id: BackupId) -> CommandResult<()> {
    state.cancel_backup(id)
}

/// Deletes the downloads on Stream that the backup enabled and that did not exist before it.
#[tauri::command]
pub async fn restore_account(
    state: State<'_, AppState>,
    id: BackupId,
) -> CommandResult<RestoreReport> {
    state.restore_account(id).await
}

/// Writes the manifest of a backup to `path` (absolute, from the save dialog) and returns the
/// number of rows.
#[tauri::command]
pub async fn export_manifest(
    state: State<'_, AppState>,
    id: BackupId,
    format: ManifestFormat,
    path: String,
) -> CommandResult<u32> {
    state.export_manifest(id, format, PathBuf::from(path)).await
}
