//! The native menu and its shortcuts.
//!
//! Items that act on the page (refresh, search, the views, settings) go to the UI as
//! [`ShellEvent::Menu`]. Opening the library and log folders and quitting run here. The UI also
//! handles the same shortcuts inside the page, for a window whose menu bar does not receive
//! them. macOS gets its usual app menu (About, Settings, Quit), an Edit menu so that copy and
//! paste work in text fields, and a Window menu.

use offstream_ipc::{MenuAction, ShellEvent};
use tauri::menu::{
    AboutMetadata, Menu, MenuEvent, MenuItem, MenuItemBuilder, PredefinedMenuItem, Submenu,
    SubmenuBuilder,
};
use tauri::{AppHandle, Manager, Runtime};

use super::{close, folders, Shell};

/// One of the app's own menu items: its id, label and accelerator.
struct Item {
    id: &'static str,
    label: &'static str,
    accelerator: &'static str,
}

const REFRESH: Item = Item {
    id: "refresh",
    label: "Refresh",
    accelerator: "CmdOrCtrl+R",
};
const SEARCH: Item = Item {
    id: "search",
    label: "Search",
    accelerator: "CmdOrCtrl+F",
};
const OPEN_LIBRARY: Item = Item {
    id: "open-library-folder",
    label: "Open library folder",
    accelerator: "CmdOrCtrl+Shift+O",
};
const SETTINGS: Item = Item {
    id: "settings",
    label: "Settings…",
    accelerator: "CmdOrCtrl+,",
};
const QUIT: Item = Item {
    id: "quit",
    label: "Quit",
    accelerator: "CmdOrCtrl+Q",
};
const VIDEOS: Item = Item {
    id: "videos",
    label: "Videos",
    accelerator: "CmdOrCtrl+1",
};
const LIBRARY: Item = Item {
    id: "library",
    label: "Library",
    accelerator: "CmdOrCtrl+2",
};
const BACKUPS: Item = Item {
    id: "backups",
    label: "Backups",
    accelerator: "CmdOrCtrl+3",
};
const OPEN_LOGS: Item = Item {
    id: "open-log-folder",
    label: "Open log folder",
    accelerator: "",
};

/// Every item of the app's own, for the tests.
#[cfg(test)]
const ITEMS: [&Item; 9] = [
    &REFRESH,
    &SEARCH,
    &OPEN_LIBRARY,
    &SETTINGS,
    &QUIT,
    &VIDEOS,
    &LIBRARY,
    &BACKUPS,
    &OPEN_LOGS,
];

/// Action of a menu item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuCommand {
    /// Sent to the UI.
    Page(MenuAction),
    OpenLibraryFolder,
    OpenLogFolder,
    Quit,
}

/// Returns the command of an item id, or `None` for the predefined items (About, Copy, …),
/// which the OS handles.
pub fn command_for(id: &str) -> Option<MenuCommand> {
    let command = match id {
        id if id == REFRESH.id => MenuCommand::Page(MenuAction::Refresh),
        id if id == SEARCH.id => MenuCommand::Page(MenuAction::Search),
        id if id == SETTINGS.id => MenuCommand::Page(MenuAction::Settings),
        id if id == VIDEOS.id => MenuCommand::Page(MenuAction::Videos),
        id if id == LIBRARY.id => MenuCommand::Page(MenuAction::Library),
        id if id == BACKUPS.id => MenuCommand::Page(MenuAction::Backups),
        id if id == OPEN_LIBRARY.id => MenuCommand::OpenLibraryFolder,
        id if id == OPEN_LOGS.id => MenuCommand::OpenLogFolder,
        id if id == QUIT.id => MenuCommand::Quit,
        _ => return None,
    };
    Some(command)
}

/// Carries out a menu choice.
pub fn on_event<R: Runtime>(app: &AppHandle<R>, event: MenuEvent) {
    let Some(command) = command_for(event.id().as_ref()) else {
        return;
    };
    match command {
        MenuCommand::Page(action) => {
            let sent = app
                .try_state::<Shell>()
                .is_some_and(|shell| shell.send(ShellEvent::Menu { action }));
            if !sent {
                tracing::debug!(?action, "no page listens for menu actions yet");
            }
        }
        MenuCommand::OpenLibraryFolder => report(folders::open_library_folder(app)),
        MenuCommand::OpenLogFolder => report(folders::open_log_folder(app)),
        MenuCommand::Quit => close::quit(app),
    }
}

/// Logs the failure of a folder opened from the menu, which has no page to show it in.
fn report(result: Result<(), offstream_ipc::ErrorPayload>) {
    if let Err(error) = result {
        tracing::warn!(code = %error.code, message = %error.message, "a menu item failed");
    }
}

/// Builds the menu bar.
pub fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Menu<R>> {
    let view = SubmenuBuilder::new(app, "&View")
        .item(&item(app, &VIDEOS)?)
        .item(&item(app, &LIBRARY)?)
        .item(&item(app, &BACKUPS)?)
        .build()?;
    platform_menu(app, view)
}

#[cfg(not(target_os = "macos"))]
fn platform_menu<R: Runtime>(app: &AppHandle<R>, view: Submenu<R>) -> tauri::Result<Menu<R>> {
    let file = SubmenuBuilder::new(app, "&File")
        .item(&item(app, &REFRESH)?)
        .item(&item(app, &SEARCH)?)
        .separator()
        .item(&item(app, &OPEN_LIBRARY)?)
        .item(&item(app, &SETTINGS)?)
        .separator()
        .item(&item(app, &QUIT)?)
        .build()?;
    let help = SubmenuBuilder::new(app, "&Help")
        .item(&item(app, &OPEN_LOGS)?)
        .separator()
        .item(&about(app)?)
        .build()?;
    Menu::with_items(app, &[&file, &view, &help])
}

#[cfg(target_os = "macos")]
fn platform_menu<R: Runtime>(app: &AppHandle<R>, view: Submenu<R>) -> tauri::Result<Menu<R>> {
    let quit = MenuItemBuilder::with_id(QUIT.id, "Quit Offstream")
        .accelerator(QUIT.accelerator)
        .build(app)?;
    let app_menu = SubmenuBuilder::new(app, "Offstream")
        .item(&about(app)?)
        .separator()
        .item(&item(app, &SETTINGS)?)
        .separator()
        .services()
        .separator()
        .hide()
        .hide_others()
        .show_all()
        .separator()
        .item(&quit)
        .build()?;
    let file = SubmenuBuilder::new(app, "File")
        .item(&item(app, &REFRESH)?)
        .item(&item(app, &SEARCH)?)
        .separator()
        .item(&item(app, &OPEN_LIBRARY)?)
        .build()?;
    let edit = SubmenuBuilder::new(app, "Edit")
        .undo()
        .redo()
        .separator()
        .cut()
        .copy()
        .paste()
        .select_all()
        .build()?;
    let window = SubmenuBuilder::new(app, "Window")
        .minimize()
        .maximize()
        .separator()
        .close_window()
        .build()?;
    let help = SubmenuBuilder::new(app, "Help")
        .item(&item(app, &OPEN_LOGS)?)
        .build()?;
    Menu::with_items(app, &[&app_menu, &file, &edit, &view, &window, &help])
}

fn item<R: Runtime>(app: &AppHandle<R>, item: &Item) -> tauri::Result<MenuItem<R>> {
    let builder = MenuItemBuilder::with_id(item.id, item.label);
    let builder = if item.accelerator.is_empty() {
        builder
    } else {
        builder.accelerator(item.accelerator)
    };
    builder.build(app)
}

fn about<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<PredefinedMenuItem<R>> {
    let package = app.package_info();
    let metadata = AboutMetadata {
        name: Some(package.name.clone()),
        version: Some(package.version.to_string()),
        comments: Some(package.description.to_owned()),
        license: Some("MIT".to_owned()),
        ..AboutMetadata::default()
    };
    PredefinedMenuItem::about(app, Some("About Offstream"), Some(metadata))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_item_has_command() {
        for item in ITEMS {
            assert!(command_for(item.id).is_some(), "{} has no command", item.id);
        }
    }

    #[test]
    fn ids_and_shortcuts_are_unique() {
        let ids: HashSet<&str> = ITEMS.iter().map(|item| item.id).collect();
        assert_eq!(ids.len(), ITEMS.len());
        let shortcuts: Vec<&str> = ITEMS
            .iter()
            .map(|item| item.accelerator)
            .filter(|accelerator| !accelerator.is_empty())
            .collect();
        let unique: HashSet<&&str> = shortcuts.iter().collect();
        assert_eq!(unique.len(), shortcuts.len(), "{shortcuts:?}");
    }

    #[test]
    fn page_actions_cover_contract() {
        let actions: HashSet<String> = ITEMS
            .iter()
            .filter_map(|item| match command_for(item.id) {
                Some(MenuCommand::Page(action)) => Some(format!("{action:?}")),
                _ => None,
            })
            .collect();
        let expected: HashSet<String> = [
            MenuAction::Refresh,
            MenuAction::Search,
            MenuAction::Settings,
            MenuAction::Videos,
            MenuAction::Library,
            MenuAction::Backups,
        ]
        .iter()
        .map(|action| format!("{action:?}"))
        .collect();
        assert_eq!(actions, expected);
    }

    #[test]
    fn shortcuts_match_documented_keys() {
        let keys: Vec<(&str, &str)> = ITEMS
            .iter()
            .map(|item| (item.id, item.accelerator))
            .collect();
        assert!(keys.contains(&("refresh", "CmdOrCtrl+R")));
        assert!(keys.contains(&("search", "CmdOrCtrl+F")));
        assert!(keys.contains(&("open-library-folder", "CmdOrCtrl+Shift+O")));
        assert!(keys.contains(&("settings", "CmdOrCtrl+,")));
        assert!(keys.contains(&("quit", "CmdOrCtrl+Q")));
        assert!(keys.contains(&("videos", "CmdOrCtrl+1")));
        assert!(keys.contains(&("library", "CmdOrCtrl+2")));
        assert!(keys.contains(&("backups", "CmdOrCtrl+3")));
    }

    #[test]
    fn predefined_ids_have_no_command() {
        assert_eq!(command_for("about"), None);
        assert_eq!(command_for(""), None);
    }
}
