//! Opening the library and log folders in the system file manager, from the menu or a button.

use std::path::Path;

use offstream_ipc::ErrorPayload;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_opener::OpenerExt;

use crate::state::AppState;

/// Opens the library folder, creating it when it is missing.
///
/// # Errors
/// `disk` when the folder cannot be created, `open_failed` when no file manager opens it.
pub fn open_library_folder<R: Runtime>(app: &AppHandle<R>) -> Result<(), ErrorPayload> {
    let dir = require_state(app)?.profile().library_dir;
    open_folder(app, &dir, "library folder")
}

/// Opens the folder of the log files, creating it when it is missing.
///
/// # Errors
/// As [`open_library_folder`].
pub fn open_log_folder<R: Runtime>(app: &AppHandle<R>) -> Result<(), ErrorPayload> {
    let dir = require_state(app)?.profile().log_dir;
    open_folder(app, &dir, "log folder")
}

fn require_state<R: Runtime>(
    app: &AppHandle<R>,
) -> Result<tauri::State<'_, AppState>, ErrorPayload> {
    app.try_state::<AppState>().ok_or_else(|| {
        ErrorPayload::new(
            "starting",
            "Offstream is still starting; try again in a moment.",
        )
    })
}

fn open_folder<R: Runtime>(
    app: &AppHandle<R>,
    dir: &Path,
    folder_kind: &str,
) -> Result<(), ErrorPayload> {
    std::fs::create_dir_all(dir).map_err(|error| {
        ErrorPayload::new(
            "disk",
            format!(
                "Cannot create the {folder_kind} {}: {error}. Check that its parent folder exists and is writable.",
                dir.display()
            ),
        )
    })?;
    let path = dir.to_str().ok_or_else(|| {
        ErrorPayload::new(
            "open_failed",
            format!(
                "The {folder_kind} {} is not a valid UTF-8 path, so the file manager cannot be asked to open it; open it by hand.",
                dir.display()
            ),
        )
    })?;
    app.opener()
        .open_path(path, None::<&str>)
        .map_err(|error| {
            ErrorPayload::new(
                "open_failed",
                format!(
                "Cannot open the {folder_kind} {} in the file manager: {error}. Open the folder by hand.",
                dir.display()
            ),
            )
        })?;
    tracing::info!(folder = folder_kind, "opened a folder in the file manager");
    Ok(())
}
