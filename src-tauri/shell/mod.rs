//! The desktop shell's manners: one instance at a time, a window that remembers its place,
//! the native menu, and what closing does while downloads run. docs/desktop.md describes each
//! one and the test that covers it.
//!
//! [`Shell`] is managed state of its own, apart from [`crate::state::AppState`], so the menu
//! and window handlers work before the account and the catalog are ready.

pub mod close;
pub mod folders;
pub mod menu;
pub mod single_instance;
pub mod window_state;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use offstream_ipc::ShellEvent;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime, WindowEvent};

use window_state::WindowStateSaver;

/// The label of the app's only window, as tauri.conf.json names it.
pub const MAIN_WINDOW: &str = "main";

/// State of the shell: the UI's event channel, the background mode and the window state.
pub struct Shell {
    /// The channel of the latest `watch_shell_events` call. A reloaded page subscribes again
    /// and replaces the channel of the old page.
    subscriber: Mutex<Option<Channel<ShellEvent>>>,
    /// Set while the window is hidden for background downloads; the app quits once idle.
    background: AtomicBool,
    window_state: Arc<WindowStateSaver>,
}

impl Shell {
    fn new(window_state: Arc<WindowStateSaver>) -> Self {
        Self {
            subscriber: Mutex::new(None),
            background: AtomicBool::new(false),
            window_state,
        }
    }

    /// Makes `channel` the receiver of menu actions and close requests.
    pub fn subscribe(&self, channel: Channel<ShellEvent>) {
        *self
            .subscriber
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(channel);
    }

    /// Returns true when a page has subscribed.
    pub fn has_subscriber(&self) -> bool {
        self.subscriber
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    /// Sends `event` to the subscribed page. Returns false when no page subscribed or the send
    /// failed; a failed channel is dropped.
    pub fn send(&self, event: ShellEvent) -> bool {
        let mut subscriber = self
            .subscriber
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let Some(channel) = subscriber.as_ref() else {
            return false;
        };
        match channel.send(event) {
            Ok(()) => true,
            Err(error) => {
                tracing::debug!(%error, "the page's shell channel is gone");
                *subscriber = None;
                false
            }
        }
    }

    /// Enters the background mode and returns true when it was not on already.
    pub fn enter_background(&self) -> bool {
        !self.background.swap(true, Ordering::SeqCst)
    }

    /// Leaves the background mode, so the app no longer quits when its work is done.
    pub fn leave_background(&self) {
        if self.background.swap(false, Ordering::SeqCst) {
            tracing::info!("the window is shown again; the app keeps running after the downloads");
        }
    }

    /// Returns true while the window is hidden for background downloads.
    pub fn in_background(&self) -> bool {
        self.background.load(Ordering::SeqCst)
    }

    /// Saves the main window's geometry now.
    pub fn save_window_state<R: Runtime>(&self, app: &AppHandle<R>) {
        if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
            self.window_state.save_now(&window);
        }
    }
}

/// Manages the shell state, restores the main window's saved geometry from `data_dir`, and
/// shows the window, which starts hidden so that it does not jump.
pub fn setup<R: Runtime>(app: &AppHandle<R>, data_dir: &Path) {
    let saver = WindowStateSaver::new(data_dir);
    app.manage(Shell::new(Arc::clone(&saver)));

    let Some(window) = app.get_webview_window(MAIN_WINDOW) else {
        tracing::error!("the main window is missing; check the windows in tauri.conf.json");
        return;
    };
    saver.restore(&window);
    saver.spawn_save_task(app);
    if let Err(error) = window.show().and_then(|()| window.set_focus()) {
        tracing::warn!(%error, "cannot show the main window");
    }
}

/// Handles the main window's events: a move or resize schedules a save of its geometry, and
/// a close may be held back while downloads run.
pub fn on_window_event<R: Runtime>(window: &tauri::Window<R>, event: &WindowEvent) {
    if window.label() != MAIN_WINDOW {
        return;
    }
    let app = window.app_handle();
    match event {
        WindowEvent::Moved(_) | WindowEvent::Resized(_) => {
            if let Some(shell) = app.try_state::<Shell>() {
                shell.window_state.schedule();
            }
        }
        WindowEvent::CloseRequested { api, .. } => {
            // TODO: a page that subscribed but never sends a choice (a broken UI) keeps the
            // window open, and Quit from the menu is held back too.
            let may_exit = close::allow_exit(app);
            if !may_exit {
                api.prevent_close();
            }
        }
        _ => {}
    }
}
