//! One running instance per profile: a second launch hands its arguments to the first, which
//! shows its window, and then exits with status 0.
//!
//! tauri-plugin-single-instance detects the first instance. On Linux it owns the D-Bus name
//! `<id>.SingleInstance` on the session bus, where `<id>` comes from [`instance_id`]. So two
//! isolated profiles (parallel end-to-end tests, or the demo next to the real app) run side by
//! side. On Windows (a named mutex) and macOS (a socket) the plugin keys the lock on the bundle
//! identifier alone, so there every profile shares one instance.

use std::path::Path;

use offstream_profile::{Environment, ENV_DATA_DIR};
use tauri::{AppHandle, Manager, Runtime};

use super::Shell;

/// The bundle identifier, which tauri.conf.json also sets.
const BUNDLE_ID: &str = "dev.offstream.app";

/// Returns the plugin, which must be registered before every other plugin so a second launch
/// exits before the others start.
pub fn plugin<R: Runtime>(id: String) -> tauri::plugin::TauriPlugin<R> {
    tauri_plugin_single_instance::Builder::new()
        .dbus_id(id)
        .callback(|app, _args, _cwd| focus_running(app))
        .build()
}

/// Returns the lock id of a profile: the bundle identifier for the user's default profile, and
/// the identifier plus a hash of the data folder when `OFFSTREAM_DATA_DIR` or demo mode selects
/// another one.
pub fn instance_id(env: &dyn Environment, demo: bool, data_dir: &Path) -> String {
    if env.var(ENV_DATA_DIR).is_none() && !demo {
        return BUNDLE_ID.to_owned();
    }
    // A relative OFFSTREAM_DATA_DIR names the same folder as its absolute form.
    let absolute = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_owned());
    // A D-Bus name element must not start with a digit, hence the letter before the hex.
    format!(
        "{BUNDLE_ID}.p{:016x}",
        fnv1a(absolute.as_os_str().as_encoded_bytes())
    )
}

/// Shows, restores and focuses the main window of the running instance, and ends the
/// "quit once the downloads are done" mode of a window hidden for background downloads.
fn focus_running<R: Runtime>(app: &AppHandle<R>) {
    if let Some(shell) = app.try_state::<Shell>() {
        shell.leave_background();
    }
    match app.get_webview_window(super::MAIN_WINDOW) {
        Some(window) => {
            let shown = window
                .show()
                .and_then(|()| window.unminimize())
                .and_then(|()| window.set_focus());
            if let Err(error) = shown {
                tracing::warn!(%error, "a second launch could not bring the window forward");
            }
        }
        None => tracing::warn!("a second launch found no main window to focus"),
    }
    tracing::info!("a second launch focused the running window");
}

/// Returns the 64-bit FNV-1a hash of `bytes`. Unlike `std`'s hasher it is the same in every
/// build, so two builds of the app agree on the lock of a profile.
fn fnv1a(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(PRIME)
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn default_profile_uses_bundle_id() {
        let id = instance_id(&env(&[]), false, Path::new("/home/a/.local/share/x"));
        assert_eq!(id, "dev.offstream.app");
    }

    #[test]
    fn isolated_profiles_differ() {
        let first = instance_id(
            &env(&[(ENV_DATA_DIR, "/tmp/a")]),
            false,
            Path::new("/tmp/a"),
        );
        let second = instance_id(
            &env(&[(ENV_DATA_DIR, "/tmp/b")]),
            false,
            Path::new("/tmp/b"),
        );
        assert_ne!(first, second);
        assert!(first.starts_with("dev.offstream.app.p"), "{first}");
    }

    #[test]
    fn demo_differs_from_default() {
        let demo = instance_id(&env(&[]), true, Path::new("/home/a/.local/share/x/demo"));
        assert_ne!(demo, "dev.offstream.app");
    }

    #[test]
    fn id_is_stable() {
        let vars = env(&[(ENV_DATA_DIR, "/tmp/a")]);
        let id = instance_id(&vars, false, Path::new("/tmp/a"));
        assert_eq!(id, instance_id(&vars, false, Path::new("/tmp/a")));
        // FNV-1a of "/tmp/a", computed once; a change would split one profile into two locks.
        assert_eq!(id, format!("dev.offstream.app.p{:016x}", fnv1a(b"/tmp/a")));
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn id_is_valid_dbus_name() {
        let id = instance_id(
            &env(&[(ENV_DATA_DIR, "/tmp/ä b")]),
            true,
            Path::new("/tmp/ä b/demo"),
        );
        for element in format!("{id}.SingleInstance").split('.') {
            assert!(!element.is_empty(), "{id}");
            assert!(!element.starts_with(|c: char| c.is_ascii_digit()), "{id}");
            assert!(
                element
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
                "{id}"
            );
        }
        assert!(id.len() < 255 - ".SingleInstance".len());
    }
}
