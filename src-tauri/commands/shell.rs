//! The shell: menu actions and close requests for the page, the user's choice in a close
//! request, quitting, and opening the library and log folders.

use offstream_ipc::{CloseChoice, ShellEvent};
use tauri::ipc::Channel;
use tauri::{AppHandle, State};

use super::CommandResult;
use crate::shell::{close, folders, Shell};

/// Sends menu actions and close requests on `channel` from now on. The latest call wins, so a
/// reloaded page calls it again.
#[tauri::command]
pub fn watch_shell_events(shell: State<'_, Shell>, channel: Channel<ShellEvent>) {
    shell.subscribe(channel);
}

/// Carries out the user's choice in a close request.
#[tauri::command]
pub fn close_choice(app: AppHandle, choice: CloseChoice) {
    close::apply_choice(&app, choice);
}

/// Quits like the Quit menu item: at once when nothing runs, else after asking the page with
/// a close request.
#[tauri::command]
pub fn request_quit(app: AppHandle) {
    close::quit(&app);
}

/// Opens the folder of the log files in the file manager.
#[tauri::command]
pub fn open_log_folder(app: AppHandle) -> CommandResult<()> {
    folders::open_log_folder(&app)
}

/// Opens the library folder in the file manager.
#[tauri::command]
pub fn open_library_folder(app: AppHandle) -> CommandResult<()> {
    folders::open_library_folder(&app)
}
