//! The IPC commands. Each one converts its arguments, calls into a crate and maps errors to an
//! [`offstream_ipc::ErrorPayload`]; none contains logic of its own.

mod account;
mod backup;
mod jobs;
mod library;
mod mirror;
mod shell;
mod signing;
mod storage;
mod videos;

use offstream_ipc::ErrorPayload;

/// The result every command returns.
pub type CommandResult<T> = Result<T, ErrorPayload>;

/// Returns the handler with every command of [`offstream_ipc::COMMANDS`].
pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        account::app_status,
        account::save_credentials,
        account::forget_credentials,
        account::set_api_base,
        account::set_library_dir,
        videos::list_videos,
        jobs::start_download,
        jobs::cancel_download,
        jobs::pause_download,
        jobs::resume_download,
        jobs::pause_all_downloads,
        jobs::resume_all_downloads,
        jobs::set_max_transfers,
        jobs::watch_jobs,
        library::list_library,
        library::delete_library_item,
        library::reveal_library_item,
        signing::add_signing_key,
        signing::create_signing_key,
        signing::remove_signing_key,
        signing::set_token_api_fallback,
        mirror::cached_videos,
        mirror::sync_videos,
        mirror::acknowledge_changes,
        backup::estimate_backup,
        backup::start_backup,
        backup::backup_progress,
        backup::list_backups,
        backup::cancel_backup,
        backup::restore_account,
        backup::export_manifest,
        storage::storage_overview,
        shell::watch_shell_events,
        shell::close_choice,
        shell::request_quit,
        shell::open_log_folder,
        shell::open_library_folder,
    ]
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// Returns the comma-separated names between `open` and the next `]`, each without its
    /// module path and quotes.
    fn listed_names(source: &str, open: &str) -> BTreeSet<String> {
        let start = source.find(open).expect("the list opens") + open.len();
        let end = start + source[start..].find(']').expect("the list closes");
        source[start..end]
            .split(',')
            .map(|entry| {
                entry
                    .trim()
                    .rsplit("::")
                    .next()
                    .unwrap()
                    .trim_matches('"')
                    .to_owned()
            })
            .filter(|name| !name.is_empty())
            .collect()
    }

    fn contract() -> BTreeSet<String> {
        offstream_ipc::COMMANDS
            .iter()
            .map(|c| c.to_string())
            .collect()
    }

    /// The handler list and the ACL list in build.rs are written out by hand, because neither
    /// the macro nor the build script can read the constant. These tests keep both equal to it.
    #[test]
    fn handler_matches_contract() {
        let handler = listed_names(include_str!("mod.rs"), "generate_handler![");
        assert_eq!(handler, contract());
    }

    #[test]
    fn acl_matches_contract() {
        let acl = listed_names(include_str!("../build.rs"), "const COMMANDS: &[&str] = &[");
        assert_eq!(acl, contract());
    }

    #[test]
    fn main_window_granted_each_command() {
        let capability: serde_json::Value =
            serde_json::from_str(include_str!("../capabilities/main.json")).unwrap();
        let granted: BTreeSet<String> = capability["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
            .map(|name| name.replace('-', "_"))
            .collect();
        assert_eq!(granted, contract());
    }

    /// The window may use only these plugin permissions: drag-out, the folder picker, the
    /// save dialog for manifests, and two read-only fs calls. No core window, path or event
    /// API, no notification permission (the Rust side raises them), and no write, remove or
    /// remote-URL grant may slip in: the UI needs only `invoke` and `Channel`.
    #[test]
    fn main_window_plugin_grants_are_minimal() {
        let capability: serde_json::Value =
            serde_json::from_str(include_str!("../capabilities/main.json")).unwrap();
        let plugin_grants: BTreeSet<&str> = capability["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.as_str())
            .filter(|p| !p.starts_with("allow-"))
            .collect();
        let expected: BTreeSet<&str> = [
            "drag:default",
            "dialog:allow-open",
            "dialog:allow-save",
            "fs:allow-exists",
            "fs:allow-stat",
        ]
        .into_iter()
        .collect();
        assert_eq!(plugin_grants, expected);
        assert!(capability.get("remote").is_none(), "no remote URLs");
        assert_eq!(capability["windows"], serde_json::json!(["main"]));
    }
}
