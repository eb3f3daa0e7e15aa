//! The Offstream desktop shell: windows, plugins, managed state and the IPC commands.
//!
//! Everything that does real work lives in the Tauri-free crates under `crates/`: the Stream
//! client, the download engine and catalog, credentials, the profile and the loopback media
//! server. This crate wires them to the webview and keeps each `#[tauri::command]` a thin
//! adapter that converts arguments, calls a crate, and maps errors to an
//! [`offstream_ipc::ErrorPayload`].
//!
//! Start-up order: parse the launch options and start logging (standard error and the rotating
//! file in the log folder). The single-instance plugin then hands a second launch over to the
//! running app. In `setup` the app resolves the profile (or starts the embedded emulator in demo
//! mode), opens the catalog, starts the media server and the notification task, and loads
//! credentials. Last, it restores the window's saved size and position and shows the window.
//! Nothing secret is logged along the way.

mod commands;
mod demo;
mod error;
mod launch;
mod logging;
mod notify;
mod shell;
mod state;

use offstream_profile::ProcessEnv;
use tauri::Manager;

use crate::launch::LaunchOptions;
use crate::state::AppState;

/// The name of the demo profile, a sub-folder of the data and log folders.
const DEMO_PROFILE: &str = "demo";

/// Runs the desktop app until its last window closes or the user quits.
pub fn run() {
    let options = LaunchOptions::from_env_and_args();
    let profile_name = options.demo.then_some(DEMO_PROFILE);
    let log_dir = offstream_profile::log_dir_with(&ProcessEnv, profile_name);
    logging::init(
        options.verbose,
        log_dir.as_deref().map_err(ToString::to_string),
    );

    // Without a data folder the app cannot start; `AppState::start` reports that in setup.
    let instance_id = offstream_profile::data_dir_with(&ProcessEnv, profile_name)
        .map(|dir| shell::single_instance::instance_id(&ProcessEnv, options.demo, &dir))
        .unwrap_or_else(|_| "dev.offstream.app".to_owned());

    let app = tauri::Builder::default()
        // First, so that a second launch exits before any other plugin starts.
        .plugin(shell::single_instance::plugin(instance_id))
        .plugin(tauri_plugin_fs::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_drag::init())
        .plugin(tauri_plugin_notification::init())
        .menu(shell::menu::build)
        .on_menu_event(shell::menu::on_event)
        .on_window_event(shell::on_window_event)
        .setup(move |app| {
            logging::log_start(options.demo);
            let state = tauri::async_runtime::block_on(AppState::start(app.handle(), &options))?;
            let data_dir = state.profile().data_dir;
            app.manage(state);
            shell::setup(app.handle(), &data_dir);
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
            tracing::info!("Offstream stopped");
        }
    });
}
