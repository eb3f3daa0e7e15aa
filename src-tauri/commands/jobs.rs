//! Download jobs: start, cancel, and progress over a channel.

use offstream_engine::JobSnapshot;
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
    account
        .jobs
        .start(&uid, download_type)
        .map_err(engine_error)
}

/// Cancels a job; its partial file stays for a later resume.
#[tauri::command]
pub fn cancel_download(state: State<'_, AppState>, job_id: i64) -> CommandResult<()> {
    let account = state.require_account()?;
    account.jobs.cancel(job_id).map_err(engine_error)
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
