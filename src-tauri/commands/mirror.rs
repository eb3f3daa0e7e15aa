//! The mirror of the account's video list: the cached list, syncs and change marks.

use offstream_engine::sync::{SyncMode, SyncSummary};
use offstream_ipc::{SyncEvent, VideoList};
use tauri::ipc::Channel;
use tauri::State;

use super::CommandResult;
use crate::state::AppState;

/// Returns the account's videos from the mirror, with no network call.
#[tauri::command]
pub async fn cached_videos(state: State<'_, AppState>) -> CommandResult<VideoList> {
    state.cached_videos().await
}

/// Syncs the mirror with the account (`quick` reads only new uploads, `full` the whole list),
/// sends progress on `on_event` and returns what changed. Missing thumbnails follow in the
/// background, announced on the same channel.
#[tauri::command]
pub async fn sync_videos(
    state: State<'_, AppState>,
    mode: SyncMode,
    on_event: Channel<SyncEvent>,
) -> CommandResult<SyncSummary> {
    state.sync_videos(mode, on_event).await
}

/// Clears the new, renamed and removed marks and returns how many were cleared.
#[tauri::command]
pub fn acknowledge_changes(state: State<'_, AppState>) -> CommandResult<u32> {
    state.acknowledge_changes()
}
