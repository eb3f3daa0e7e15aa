//! The Offstream desktop shell: windows, plugins, managed state and the IPC commands.
//!
//! Everything that does real work lives in the Tauri-free crates under `crates/`: the Stream
//! client, the download engine and catalog, credentials, the profile and the loopback media
//! server. This crate wires them to the webview and keeps each `#[tauri::command]` a thin
//! adapter that converts arguments, calls a crate, and maps errors to an
//! [`offstream_ipc::ErrorPayload`].
//!
//! Start-up order: parse the launch options, start logging, resolve the profile (or start the
//! embedded emulator in demo mode), open the catalog, start the media server and the
//! notification task, load credentials, then show the window. Nothing secret is logged along
//! the way.

mod commands;
mod demo;
mod error;
mod launch;
mod logging;
mod notify;
mod state;

use tauri::Manager;

use crate::launch::LaunchOptions;
use crate::state::AppState;

/// Runs the desktop app until its last window closes.
pub fn run() {
    let options = LaunchOptions::from_env_and_args();
    logging::init(options.verbose);

    let app = tauri::Builder::default()
        .plugin(tauri_plugin_fs::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_drag::init())
        .plugin(tauri_plugin_notification::init())
        .setup(move |app| {
            let state = tauri::async_runtime::block_on(AppState::start(app.handle(), &options))?;
            app.manage(state);
            Ok(())
        })
        .invoke_handler(commands::handler())
        .build(tauri::generate_context!())
        .expect("failed to build the Offstream window");

    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            if let Some(state) = handle.try_state::<AppState>() {
                tauri::async_runtime::block_on(state.shutdown());
            }
        }
    });
}
