//! Download jobs: start, pause, resume, cancel, the transfer limit, and progress over a channel.

use offstream_engine::JobSnapshot;
use offstream_ipc::AppStatus;
use offstream_stream::DownloadType;
use tauri::ipc::Channel;
use tauri::State;
use tokio::sync::broadcast::error::RecvError;

use super::CommandResult;
use crate::error::engine_error;
use crate::state::AppState;

/// Starts taking one file of a video offline and returns the job id.
#[tauri::command]
pub async fn start_download(
    state: State<'_, AppState>,
    uid: String,
    download_type: DownloadType,
) -> CommandResult<i64> {
    let account = state.require_account()?;
    // A video from the mirror (or else from the last server-side search) saves the job one
    // API call.
    let known = state
        .mirrored_video(&account.account_id, &uid)
        .or_else(|| state.listed_video(&uid));
    let started = match known {
        Some(video) => account.jobs.start_with_video(&video, download_type),
        None => account.jobs.start(&uid, download_type),
    };
    started.map_err(engine_error)
}

/// Cancels a job. Its partial file stays for a later resume unless `remove_partial` is set.
#[tauri::command]
pub fn cancel_download(
    state: State<'_, AppState>,
    job_id: i64,
    remove_partial: Option<bool>,
) -> CommandResult<()> {
    let account = state.require_account()?;
    account
        .jobs
        .cancel(job_id, remove_partial.unwrap_or(false))
        .map_err(engine_error)
}

/// Pauses a job; it keeps its partial file and frees its transfer slot.
#[tauri::command]
pub fn pause_download(state: State<'_, AppState>, job_id: i64) -> CommandResult<()> {
    let account = state.require_account()?;
    account.jobs.pause(job_id).map_err(engine_error)
}

/// Resumes a paused job from its partial file.
#[tauri::command]
pub async fn resume_download(state: State<'_, AppState>, job_id: i64) -> CommandResult<()> {
    let account = state.require_account()?;
    account.jobs.resume(job_id).map_err(engine_error)
}

/// Pauses every queued or running job, and every running backup, so none starts new jobs.
#[tauri::command]
pub fn pause_all_downloads(state: State<'_, AppState>) -> CommandResult<()> {
    let account = state.require_account()?;
    state.pause_backups();
    account.jobs.pause_all();
    Ok(())
}

/// Resumes every paused job and every paused backup.
#[tauri::command]
pub async fn resume_all_downloads(state: State<'_, AppState>) -> CommandResult<()> {
    let account = state.require_account()?;
    state.resume_backups()?;
    account.jobs.resume_all().map(|_| ()).map_err(engine_error)
}

/// Sets how many downloads transfer at the same time (1 to 8) and saves it.
#[tauri::command]
pub fn set_max_transfers(state: State<'_, AppState>, count: u32) -> CommandResult<AppStatus> {
    state.set_max_transfers(count)?;
    Ok(state.status())
}

/// Returns the current jobs and then sends every change on `on_event`.
///
/// Job state lives here, not in the page, so a reloaded UI calls this again and continues
/// where it left off. The forwarding task ends when the channel is gone.
#[tauri::command]
pub fn watch_jobs(state: State<'_, AppState>, on_event: Channel<JobSnapshot>) -> Vec<JobSnapshot> {
    let mut receiver = state.subscribe_jobs();
    tauri::async_runtime::spawn(async move {
        loop {
            match receiver.recv().await {
                Ok(snapshot) => {
                    if on_event.send(snapshot).is_err() {
                        break;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "the UI fell behind on job events")
                }
                Err(RecvError::Closed) => break,
            }
        }
    });
    state
        .account()
        .map(|account| account.jobs.snapshots())
        .unwrap_or_default()
}
