//! The offline library: list, delete, reveal.

use offstream_ipc::{ErrorPayload, LibraryEntry};
use tauri::State;
use tauri_plugin_opener::OpenerExt;

use super::CommandResult;
use crate::error::engine_error;
use crate::state::AppState;

/// Lists the offline items, each with the loopback URLs the player loads the file, its
/// thumbnail and its caption tracks from.
#[tauri::command]
pub async fn list_library(state: State<'_, AppState>) -> CommandResult<Vec<LibraryEntry>> {
    state.library_entries().await
}

/// Deletes an item's file, then its catalog entry. The UI requests confirmation first.
#[tauri::command]
pub fn delete_library_item(state: State<'_, AppState>, id: i64) -> CommandResult<()> {
    let deleted = match state.account() {
        Some(account) => account.jobs.delete_item(id),
        None => state.catalog().delete_item(id),
    }
    .map_err(engine_error)?;
    state.media.unregister(id);
    if deleted {
        Ok(())
    } else {
        Err(ErrorPayload::new(
            "not_found",
            format!("Library item {id} does not exist; refresh the library."),
        ))
    }
}

/// Shows an item's file in the system file manager.
#[tauri::command]
pub fn reveal_library_item(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    id: i64,
) -> CommandResult<()> {
    let item = state
        .catalog()
        .item(id)
        .map_err(engine_error)?
        .ok_or_else(|| {
            ErrorPayload::new(
                "not_found",
                format!("Library item {id} does not exist; refresh the library."),
            )
        })?;
    if !item.path.exists() {
        return Err(ErrorPayload::new(
            "missing_file",
            format!(
                "{} was removed outside Offstream; delete the entry or download it again.",
                item.path.display()
            ),
        ));
    }
    app.opener().reveal_item_in_dir(&item.path).map_err(|e| {
        ErrorPayload::new(
            "reveal_failed",
            format!("Cannot open the file manager: {e}"),
        )
    })
}
