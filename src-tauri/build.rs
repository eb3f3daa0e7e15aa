//! Build script of the desktop app: generates Tauri's context and its permission ACL.
//!
//! The app's sources live under `src-tauri/` while tauri.conf.json sits at the package root, so
//! the capability files are pointed at explicitly. Listing the app commands in an app manifest
//! puts each of them under the ACL: a command works only where a capability grants it.

use tauri_build::{AppManifest, Attributes};

/// Keep in step with `offstream_ipc::COMMANDS`; a test in the app compares the two lists.
const COMMANDS: &[&str] = &[
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

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    let attributes = Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(AppManifest::new().commands(COMMANDS));
    tauri_build::try_build(attributes).expect("failed to generate the Tauri build context");
}
