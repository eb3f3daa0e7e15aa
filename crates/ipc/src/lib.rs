//! The desktop app's IPC contract: the command names and every type that crosses between the
//! Rust side and the web front end.
//!
//! Nothing here depends on Tauri, so the contract compiles and tests on its own, and ts-rs turns
//! each type into TypeScript under `ui/src/bindings/` when `cargo test -p offstream-ipc` runs.
//! The front end imports only those generated files, so the two sides cannot drift apart.
//! Types owned by the core crates (`Video`, `DownloadType`, `LibraryItem`, `JobSnapshot`, the
//! sync and backup types) are exported by those crates in the same way.

mod error;
mod library;
mod shell;
mod signing;
mod status;
mod storage;
mod sync;
mod video;

pub use error::ErrorPayload;
pub use library::{CaptionTrack, LibraryEntry};
pub use shell::{CloseChoice, MenuAction, ShellEvent};
pub use signing::{SigningKeyInput, SigningKeySource, SigningMode, SigningStatus};
pub use status::{AppStatus, CredentialSource};
pub use storage::StorageOverview;
pub use sync::SyncEvent;
pub use video::{VideoList, VideoRow};

/// Every command the app registers. `build.rs` puts each under the capability ACL, and a test
/// checks that the app's handler list and this list agree.
pub const COMMANDS: &[&str] = &[
    "app_status",
    "save_credentials",
    "forget_credentials",
    "set_api_base",
    "set_library_dir",
    "list_videos",
    "start_download",
    "cancel_download",
    "pause_download",
    "resume_download",
    "pause_all_downloads",
    "resume_all_downloads",
    "set_max_transfers",
    "watch_jobs",
    "list_library",
    "delete_library_item",
    "reveal_library_item",
    "add_signing_key",
    "create_signing_key",
    "remove_signing_key",
    "set_token_api_fallback",
    "cached_videos",
    "sync_videos",
    "acknowledge_changes",
    "estimate_backup",
    "start_backup",
    "backup_progress",
    "list_backups",
    "cancel_backup",
    "restore_account",
    "export_manifest",
    "storage_overview",
    "watch_shell_events",
    "close_choice",
    "request_quit",
    "open_log_folder",
    "open_library_folder",
];
