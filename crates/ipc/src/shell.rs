//! Messages between the desktop shell (menu, window, single instance) and the front end.
//!
//! The native menu and the window's close button belong to the Rust side. The actions they start
//! (refresh, search, settings) and the question shown while jobs run belong to the UI, which
//! subscribes once with `watch_shell_events` and replies to a close request with `close_choice`.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// An action that the native menu or a global shortcut sends to the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum MenuAction {
    /// Sync the video list with the account.
    Refresh,
    /// Move the focus to the search field of the current view.
    Search,
    /// Show the settings view.
    Settings,
    /// Show the videos view.
    Videos,
    /// Show the library view.
    Library,
    /// Show the backups view.
    Backups,
}

/// A message on the channel of `watch_shell_events`, tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[ts(export)]
pub enum ShellEvent {
    /// A menu item or its shortcut was chosen.
    Menu { action: MenuAction },
    /// The user closed the window or chose Quit while downloads or a backup are running: ask
    /// whether to keep downloading in the background or stop, then call `close_choice`.
    // The enum's `rename_all` renames only the variant tags, so the fields need their own.
    #[serde(rename_all = "camelCase")]
    CloseRequested {
        /// Download jobs that are queued, preparing, transferring or verifying.
        active_jobs: u32,
        /// True when a bulk backup is running.
        backup_running: bool,
    },
}

/// The user's reply to [`ShellEvent::CloseRequested`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum CloseChoice {
    /// Hide the window and keep downloading; the app quits once the work is done, and
    /// launching it again shows the window.
    KeepInBackground,
    /// Quit now. Jobs are not paused, so the next start resumes them from their partial files.
    StopAndQuit,
    /// Keep the window open.
    Cancel,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn menu_event_is_tagged() {
        let json = serde_json::to_value(ShellEvent::Menu {
            action: MenuAction::Refresh,
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "menu", "action": "refresh"})
        );
    }

    #[test]
    fn close_request_is_camel_case() {
        let json = serde_json::to_value(ShellEvent::CloseRequested {
            active_jobs: 2,
            backup_running: true,
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "closeRequested", "activeJobs": 2, "backupRunning": true})
        );
    }

    #[test]
    fn close_choice_reads_camel_case() {
        let choice: CloseChoice = serde_json::from_str("\"keepInBackground\"").unwrap();
        assert_eq!(choice, CloseChoice::KeepInBackground);
    }
}
