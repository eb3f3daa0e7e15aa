//! The main window's size, position and maximized state, kept in `window-state.json` in the
//! data folder, so `OFFSTREAM_DATA_DIR` gives each test profile its own.
//!
//! This is a small module of its own rather than tauri-plugin-window-state (2.5), because that
//! plugin saves only when a window closes or the app exits, so a killed process loses the
//! last move. It also keeps its placement rules out of reach of unit tests. Here a save follows
//! [`SAVE_DELAY`] after the last move or resize, and another one comes when the window closes.
//!
//! The window starts hidden (`visible: false` in tauri.conf.json) and is shown after
//! [`WindowStateSaver::restore`], so it never jumps from the default place to the saved one.
//! All values are physical pixels, like the monitor geometry they are checked against.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, PhysicalPosition, PhysicalSize, Runtime, WebviewWindow};
use tokio::sync::Notify;

/// Name of the file in the data folder.
pub const FILE_NAME: &str = "window-state.json";

/// Quiet time after the last move or resize before the state is written, so a drag writes
/// once and not for every pixel.
const SAVE_DELAY: Duration = Duration::from_millis(500);

/// Height of the band along a window's top edge that must stay on a monitor, because that is
/// where the title bar is grabbed to move the window.
const TITLE_BAND: u32 = 32;

/// Width of that band that must be on one monitor for the window to count as reachable.
const MIN_VISIBLE_WIDTH: u32 = 64;

/// A saved window: the geometry of its normal (not maximized) state, and whether it was
/// maximized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedWindow {
    /// Outer left edge.
    pub x: i32,
    /// Outer top edge.
    pub y: i32,
    /// Inner width.
    pub width: u32,
    /// Inner height.
    pub height: u32,
    pub maximized: bool,
}

/// A rectangle on the virtual screen that spans every monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

impl Rect {
    /// Returns the area this rectangle and `other` share, as (width, height).
    fn overlap(&self, other: &Rect) -> (u64, u64) {
        let left = i64::from(self.x).max(i64::from(other.x));
        let top = i64::from(self.y).max(i64::from(other.y));
        let right = (i64::from(self.x) + i64::from(self.width))
            .min(i64::from(other.x) + i64::from(other.width));
        let bottom = (i64::from(self.y) + i64::from(self.height))
            .min(i64::from(other.y) + i64::from(other.height));
        let width = u64::try_from(right - left).unwrap_or(0);
        let height = u64::try_from(bottom - top).unwrap_or(0);
        (width, height)
    }
}

/// Position and size with which the window opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// The outer top-left corner, or `None` to leave the position to the OS.
    pub position: Option<(i32, i32)>,
    pub width: u32,
    pub height: u32,
    pub maximized: bool,
}

/// Decides where a saved window opens, given the usable area of each connected monitor.
///
/// - A window whose title band lies on a monitor keeps its position.
/// - A window off every monitor (one unplugged since) is centred on `primary`, or on the
///   first monitor when none is primary.
/// - A window larger than its monitor is shrunk to fit it.
/// - Without any monitor information the size is kept and the OS chooses the position.
pub fn place(saved: &SavedWindow, monitors: &[Rect], primary: Option<Rect>) -> Placement {
    let window = Rect {
        x: saved.x,
        y: saved.y,
        width: saved.width,
        height: saved.height,
    };

    let Some(fallback) = primary.or_else(|| monitors.first().copied()) else {
        return Placement {
            position: None,
            width: saved.width,
            height: saved.height,
            maximized: saved.maximized,
        };
    };

    let title_band = Rect {
        height: TITLE_BAND.min(window.height),
        ..window
    };
    let needed_width = u64::from(MIN_VISIBLE_WIDTH.min(window.width));
    let needed_height = u64::from(title_band.height.div_ceil(2));
    let reachable = monitors.iter().any(|monitor| {
        let (width, height) = title_band.overlap(monitor);
        width >= needed_width && height >= needed_height
    });

    if reachable {
        // The monitor that shows most of the window is the one it belongs to.
        let home = monitors
            .iter()
            .max_by_key(|monitor| {
                let (width, height) = window.overlap(monitor);
                width * height
            })
            .copied()
            .unwrap_or(fallback);
        return Placement {
            position: Some((saved.x, saved.y)),
            width: saved.width.min(home.width),
            height: saved.height.min(home.height),
            maximized: saved.maximized,
        };
    }

    let width = saved.width.min(fallback.width);
    let height = saved.height.min(fallback.height);
    let x = i64::from(fallback.x) + i64::from((fallback.width - width) / 2);
    let y = i64::from(fallback.y) + i64::from((fallback.height - height) / 2);
    Placement {
        position: Some((clamp_i32(x), clamp_i32(y))),
        width,
        height,
        maximized: saved.maximized,
    }
}

fn clamp_i32(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(if value < 0 { i32::MIN } else { i32::MAX })
}

/// Parses the saved state. A zero size counts as invalid, because no window can have it.
fn parse(text: &str) -> Result<SavedWindow, String> {
    let saved: SavedWindow = serde_json::from_str(text).map_err(|error| error.to_string())?;
    if saved.width == 0 || saved.height == 0 {
        return Err(format!(
            "the size {}×{} is empty",
            saved.width, saved.height
        ));
    }
    Ok(saved)
}

/// Loads, restores and saves the main window's state.
pub struct WindowStateSaver {
    path: PathBuf,
    /// The last normal geometry seen, kept while the window is maximized so that leaving the
    /// maximized state after a restart returns to it.
    last: Mutex<Option<SavedWindow>>,
    /// Woken by every move or resize; the save task writes once they stop for [`SAVE_DELAY`].
    changed: Notify,
}

impl WindowStateSaver {
    /// Returns a saver for `window-state.json` in `data_dir`.
    pub fn new(data_dir: &Path) -> Arc<Self> {
        Arc::new(Self {
            path: data_dir.join(FILE_NAME),
            last: Mutex::new(None),
            changed: Notify::new(),
        })
    }

    /// Reads the saved state; a missing file gives `None`, and a corrupt one is logged and
    /// ignored, so the window opens at its default size.
    fn load(&self) -> Option<SavedWindow> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
            Err(error) => {
                tracing::warn!(%error, file = FILE_NAME, "cannot read the saved window state; using the default size");
                return None;
            }
        };
        match parse(&text) {
            Ok(saved) => Some(saved),
            Err(error) => {
                tracing::warn!(%error, file = FILE_NAME, "the saved window state is invalid and was ignored; the window opens at its default size");
                None
            }
        }
    }

    /// Applies the saved state to `window`, which should still be hidden.
    pub fn restore<R: Runtime>(&self, window: &WebviewWindow<R>) {
        let Some(saved) = self.load() else {
            return;
        };
        *self.lock() = Some(saved);

        let monitors: Vec<Rect> = window
            .available_monitors()
            .unwrap_or_default()
            .iter()
            .map(usable_area)
            .collect();
        let primary = window
            .primary_monitor()
            .ok()
            .flatten()
            .as_ref()
            .map(usable_area);
        let placement = place(&saved, &monitors, primary);
        if placement.position != Some((saved.x, saved.y)) {
            tracing::info!(
                monitors = monitors.len(),
                "the saved window position is off every monitor; moving the window onto the primary monitor"
            );
        }

        if let Err(error) = apply(window, &placement) {
            tracing::warn!(%error, "cannot restore the window's size and position");
        }
    }

    /// Notes a move or resize; the save task writes the state once they stop.
    pub fn schedule(&self) {
        self.changed.notify_one();
    }

    /// Starts the task that saves [`SAVE_DELAY`] after the last move or resize.
    pub fn spawn_save_task<R: Runtime>(self: &Arc<Self>, app: &AppHandle<R>) {
        let saver = Arc::clone(self);
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            loop {
                saver.changed.notified().await;
                // Each further change restarts the wait.
                while tokio::time::timeout(SAVE_DELAY, saver.changed.notified())
                    .await
                    .is_ok()
                {}
                if let Some(window) = app.get_webview_window(super::MAIN_WINDOW) {
                    saver.save_now(&window);
                }
            }
        });
    }

    /// Writes the window's current state. A minimized window keeps the state saved before,
    /// because its position is meaningless (Windows reports -32000).
    pub fn save_now<R: Runtime>(&self, window: &WebviewWindow<R>) {
        if window.is_minimized().unwrap_or(false) {
            return;
        }
        let Some(saved) = self.capture(window) else {
            return;
        };
        if let Err(error) = self.write(&saved) {
            tracing::warn!(%error, file = FILE_NAME, "cannot save the window state");
        }
    }

    fn capture<R: Runtime>(&self, window: &WebviewWindow<R>) -> Option<SavedWindow> {
        let maximized = window.is_maximized().ok()?;
        let mut last = self.lock();
        if maximized {
            if let Some(normal) = *last {
                return Some(SavedWindow {
                    maximized: true,
                    ..normal
                });
            }
        }
        let position = window.outer_position().ok()?;
        let size = window.inner_size().ok()?;
        let saved = SavedWindow {
            x: position.x,
            y: position.y,
            width: size.width,
            height: size.height,
            maximized,
        };
        if !maximized {
            *last = Some(saved);
        }
        Some(saved)
    }

    /// Writes through a temporary file and a rename, so a crash never leaves half a file.
    fn write(&self, saved: &SavedWindow) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(saved)?;
        let temporary = self.path.with_extension("json.tmp");
        std::fs::write(&temporary, text)?;
        std::fs::rename(&temporary, &self.path)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<SavedWindow>> {
        self.last.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Returns the part of a monitor that windows may use, without panels and docks. Some X11
/// set-ups without a window manager report an empty work area, so the whole monitor is used
/// then.
fn usable_area(monitor: &tauri::Monitor) -> Rect {
    let area = monitor.work_area();
    if area.size.width > 0 && area.size.height > 0 {
        return Rect {
            x: area.position.x,
            y: area.position.y,
            width: area.size.width,
            height: area.size.height,
        };
    }
    Rect {
        x: monitor.position().x,
        y: monitor.position().y,
        width: monitor.size().width,
        height: monitor.size().height,
    }
}

fn apply<R: Runtime>(window: &WebviewWindow<R>, placement: &Placement) -> tauri::Result<()> {
    window.set_size(PhysicalSize::new(placement.width, placement.height))?;
    if let Some((x, y)) = placement.position {
        window.set_position(PhysicalPosition::new(x, y))?;
    }
    if placement.maximized {
        window.maximize()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRIMARY: Rect = Rect {
        x: 0,
        y: 0,
        width: 1920,
        height: 1080,
    };

    /// A second monitor to the right of the primary one.
    const RIGHT: Rect = Rect {
        x: 1920,
        y: 0,
        width: 1280,
        height: 1024,
    };

    fn saved(x: i32, y: i32, width: u32, height: u32) -> SavedWindow {
        SavedWindow {
            x,
            y,
            width,
            height,
            maximized: false,
        }
    }

    #[test]
    fn visible_window_stays() {
        let placement = place(&saved(100, 80, 1200, 800), &[PRIMARY, RIGHT], Some(PRIMARY));
        assert_eq!(placement.position, Some((100, 80)));
        assert_eq!((placement.width, placement.height), (1200, 800));
    }

    #[test]
    fn window_on_second_monitor_stays() {
        let placement = place(
            &saved(2000, 50, 1000, 700),
            &[PRIMARY, RIGHT],
            Some(PRIMARY),
        );
        assert_eq!(placement.position, Some((2000, 50)));
        assert_eq!((placement.width, placement.height), (1000, 700));
    }

    #[test]
    fn unplugged_monitor_moves_to_primary() {
        // Saved on the right monitor, which is no longer connected.
        let placement = place(&saved(2000, 50, 1000, 700), &[PRIMARY], Some(PRIMARY));
        assert_eq!(placement.position, Some((460, 190)));
        assert_eq!((placement.width, placement.height), (1000, 700));
    }

    #[test]
    fn title_bar_above_screen_moves() {
        // Only the lower part shows; the title bar cannot be grabbed.
        let placement = place(&saved(100, -400, 800, 600), &[PRIMARY], Some(PRIMARY));
        assert_eq!(placement.position, Some((560, 240)));
    }

    #[test]
    fn sliver_on_screen_moves() {
        // 20 px of the title band show at the right edge of the primary monitor.
        let placement = place(&saved(1900, 100, 800, 600), &[PRIMARY], Some(PRIMARY));
        assert_eq!(placement.position, Some((560, 240)));
    }

    #[test]
    fn partly_visible_window_stays() {
        // Half the window hangs off the left edge, but 400 px of its title band show.
        let placement = place(&saved(-400, 100, 800, 600), &[PRIMARY], Some(PRIMARY));
        assert_eq!(placement.position, Some((-400, 100)));
    }

    #[test]
    fn oversized_window_shrinks() {
        let placement = place(&saved(0, 0, 2500, 1400), &[PRIMARY], Some(PRIMARY));
        assert_eq!(placement.position, Some((0, 0)));
        assert_eq!((placement.width, placement.height), (1920, 1080));
    }

    #[test]
    fn oversized_window_off_screen_fits_primary() {
        let small = Rect {
            x: 0,
            y: 0,
            width: 1024,
            height: 768,
        };
        let placement = place(&saved(5000, 5000, 1600, 1000), &[small], Some(small));
        assert_eq!(placement.position, Some((0, 0)));
        assert_eq!((placement.width, placement.height), (1024, 768));
    }

    #[test]
    fn shrinks_to_its_own_monitor() {
        // Mostly on the smaller right monitor, so that one limits the size.
        let placement = place(
            &saved(1950, 0, 1800, 1000),
            &[PRIMARY, RIGHT],
            Some(PRIMARY),
        );
        assert_eq!(placement.position, Some((1950, 0)));
        assert_eq!((placement.width, placement.height), (1280, 1000));
    }

    #[test]
    fn no_primary_uses_first_monitor() {
        let placement = place(&saved(-5000, 0, 800, 600), &[RIGHT], None);
        assert_eq!(placement.position, Some((2160, 212)));
    }

    #[test]
    fn no_monitors_leaves_position_to_os() {
        let placement = place(&saved(100, 100, 800, 600), &[], None);
        assert_eq!(placement.position, None);
        assert_eq!((placement.width, placement.height), (800, 600));
    }

    #[test]
    fn maximized_flag_is_kept() {
        let maximized = SavedWindow {
            maximized: true,
            ..saved(100, 100, 800, 600)
        };
        assert!(place(&maximized, &[PRIMARY], Some(PRIMARY)).maximized);
        assert!(place(&maximized, &[], None).maximized);
    }

    #[test]
    fn parse_reads_saved_file() {
        let saved = parse(r#"{"x":-10,"y":20,"width":800,"height":600,"maximized":true}"#).unwrap();
        assert_eq!(
            saved,
            SavedWindow {
                x: -10,
                y: 20,
                width: 800,
                height: 600,
                maximized: true
            }
        );
    }

    #[test]
    fn parse_rejects_corrupt_file() {
        assert!(parse("{\"x\":1,").is_err());
        assert!(parse("[]").is_err());
        assert!(parse(r#"{"x":0,"y":0,"width":-5,"height":600,"maximized":false}"#).is_err());
    }

    #[test]
    fn parse_rejects_empty_size() {
        let error = parse(r#"{"x":0,"y":0,"width":0,"height":600,"maximized":false}"#).unwrap_err();
        assert!(error.contains("0×600"), "{error}");
    }

    #[test]
    fn saver_round_trips_through_file() {
        let temp = tempfile::tempdir().unwrap();
        let saver = WindowStateSaver::new(temp.path());
        let state = saved(30, 40, 900, 700);
        saver.write(&state).unwrap();
        assert_eq!(saver.load(), Some(state));
        assert!(!temp.path().join("window-state.json.tmp").exists());
    }

    #[test]
    fn saver_ignores_corrupt_file() {
        let temp = tempfile::tempdir().unwrap();
        std::fs::write(temp.path().join(FILE_NAME), "not json").unwrap();
        assert_eq!(WindowStateSaver::new(temp.path()).load(), None);
    }
}
