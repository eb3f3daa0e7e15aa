//! The storage overview of the library screen.

use offstream_ipc::StorageOverview;
use tauri::State;

use super::CommandResult;
use crate::state::AppState;

/// Returns the space the library uses and the space left on its volume.
#[tauri::command]
pub async fn storage_overview(state: State<'_, AppState>) -> CommandResult<StorageOverview> {
    state.storage_overview().await
}
