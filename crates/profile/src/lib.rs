//! Where Offstream keeps things, resolved the same way by the desktop app and the CLI.
//!
//! A [`Profile`] names four places and one URL:
//! - the data folder (catalog database, `settings.json`, window state),
//! - the library folder (the verified offline files),
//! - the log folder (the desktop app's rotating log files),
//! - the API base URL.
//!
//! Each comes from an environment variable when it is set (`OFFSTREAM_DATA_DIR`,
//! `OFFSTREAM_LIBRARY_DIR`, `OFFSTREAM_API_BASE`), else from `settings.json` in the data folder,
//! else from the platform default. The environment wins so that tests and scripts can run on an
//! isolated profile without touching the user's own. `settings.json` never contains a secret:
//! credentials live only in the OS keychain.

mod settings;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use settings::Settings;

/// The production API base URL.
pub const DEFAULT_API_BASE: &str = "https://api.cloudflare.com/client/v4";

/// Environment variable that fixes the data folder.
pub const ENV_DATA_DIR: &str = "OFFSTREAM_DATA_DIR";
/// Environment variable that fixes the library folder.
pub const ENV_LIBRARY_DIR: &str = "OFFSTREAM_LIBRARY_DIR";
/// Environment variable that fixes the API base URL.
pub const ENV_API_BASE: &str = "OFFSTREAM_API_BASE";

/// The folder name under the platform's data folder, equal to the app's bundle identifier.
const APP_FOLDER: &str = "dev.offstream.app";

/// Errors while resolving or saving a profile.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error(
        "cannot find a home or data folder for this user; set {ENV_DATA_DIR} to a writable folder"
    )]
    NoDataDir,

    #[error("cannot create or write {path}: {source}. Check that the folder is writable, or choose another one")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{path} is not valid settings JSON ({detail}); fix or delete the file")]
    InvalidSettings { path: PathBuf, detail: String },

    #[error("{value:?} is not a usable {what}: {hint}")]
    InvalidValue {
        what: &'static str,
        value: String,
        hint: &'static str,
    },
}

/// A read-only view of the environment, so tests can resolve profiles without mutating the
/// process environment.
pub trait Environment {
    /// Returns the variable's value when it is set and not empty.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Environment for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
}

impl Environment for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned().filter(|v| !v.trim().is_empty())
    }
}

/// Whether a value came from the environment (read-only in the UI) or from settings/defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Environment,
    Settings,
    Default,
}

/// The resolved places of one profile.
#[derive(Debug, Clone)]
pub struct Profile {
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
    pub library_dir: PathBuf,
    pub library_dir_origin: Origin,
    pub api_base: String,
    pub api_base_origin: Origin,
}

impl Profile {
    /// Resolves the user's profile from the process environment, settings and defaults.
    ///
    /// # Errors
    /// [`ProfileError::NoDataDir`] when no data folder can be found, and the errors of
    /// [`Settings::load`].
    pub fn resolve() -> Result<Self, ProfileError> {
        Self::resolve_with(&ProcessEnv, None)
    }

    /// Resolves a profile. `demo` names a sub-profile (such as `"demo"`) whose data and library
    /// live in their own folder under the data folder, apart from the user's real library.
    ///
    /// # Errors
    /// As [`Profile::resolve`].
    pub fn resolve_with(env: &dyn Environment, demo: Option<&str>) -> Result<Self, ProfileError> {
        let data_dir = data_dir_with(env, demo)?;
        let log_dir = log_dir_with(env, demo)?;
        let settings = Settings::load(&data_dir)?;

        let (library_dir, library_dir_origin) = if let Some(dir) = env.var(ENV_LIBRARY_DIR) {
            (PathBuf::from(dir), Origin::Environment)
        } else if let Some(dir) = settings.library_dir.clone() {
            (dir, Origin::Settings)
        } else if demo.is_some() {
            (data_dir.join("library"), Origin::Default)
        } else {
            (default_library_dir(&data_dir), Origin::Default)
        };

        let (api_base, api_base_origin) = if let Some(base) = env.var(ENV_API_BASE) {
            (base, Origin::Environment)
        } else if let Some(base) = settings.api_base.clone() {
            (base, Origin::Settings)
        } else {
            (DEFAULT_API_BASE.to_owned(), Origin::Default)
        };

        Ok(Self {
            data_dir,
            log_dir,
            library_dir,
            library_dir_origin,
            api_base: api_base.trim().trim_end_matches('/').to_owned(),
            api_base_origin,
        })
    }

    /// Returns the catalog database path.
    pub fn catalog_path(&self) -> PathBuf {
        self.data_dir.join("catalog.sqlite3")
    }

    /// Creates the data and library folders when they are missing.
    ///
    /// # Errors
    /// [`ProfileError::Io`] naming the folder that could not be created.
    pub fn create_dirs(&self) -> Result<(), ProfileError> {
        for dir in [&self.data_dir, &self.library_dir] {
            std::fs::create_dir_all(dir).map_err(|source| ProfileError::Io {
                path: dir.clone(),
                source,
            })?;
        }
        Ok(())
    }
}

/// Returns the data folder: `OFFSTREAM_DATA_DIR` when set, else the platform's data folder
/// plus the bundle identifier, with `demo` appended as a sub-folder. Settings cannot move it, so
/// it is known before `settings.json` is read.
///
/// # Errors
/// [`ProfileError::NoDataDir`] when the environment does not set it and the platform has no
/// data folder for this user.
pub fn data_dir_with(env: &dyn Environment, demo: Option<&str>) -> Result<PathBuf, ProfileError> {
    let base = match env.var(ENV_DATA_DIR) {
        Some(dir) => PathBuf::from(dir),
        None => dirs::data_dir()
            .ok_or(ProfileError::NoDataDir)?
            .join(APP_FOLDER),
    };
    Ok(match demo {
        Some(name) => base.join(name),
        None => base,
    })
}

/// Returns the folder of the desktop app's log files. With `OFFSTREAM_DATA_DIR` set it is
/// `logs` in the data folder, so a test profile keeps its logs to itself. Otherwise it is the
/// folder the OS keeps application logs in, as Tauri's `app_log_dir` names it:
/// - Linux: `$XDG_DATA_HOME/dev.offstream.app/logs` (`~/.local/share/…` by default),
/// - macOS: `~/Library/Logs/dev.offstream.app`,
/// - Windows: `%LOCALAPPDATA%\dev.offstream.app\logs`.
///
/// A `demo` profile gets its own sub-folder there too.
///
/// # Errors
/// [`ProfileError::NoDataDir`] when the platform has no such folder for this user.
pub fn log_dir_with(env: &dyn Environment, demo: Option<&str>) -> Result<PathBuf, ProfileError> {
    if env.var(ENV_DATA_DIR).is_some() {
        return Ok(data_dir_with(env, demo)?.join("logs"));
    }
    platform_log_dir(demo).ok_or(ProfileError::NoDataDir)
}

#[cfg(target_os = "macos")]
fn platform_log_dir(demo: Option<&str>) -> Option<PathBuf> {
    let app = dirs::home_dir()?
        .join("Library")
        .join("Logs")
        .join(APP_FOLDER);
    Some(match demo {
        Some(name) => app.join(name),
        None => app,
    })
}

#[cfg(not(target_os = "macos"))]
fn platform_log_dir(demo: Option<&str>) -> Option<PathBuf> {
    let app = dirs::data_local_dir()?.join(APP_FOLDER);
    let profile = match demo {
        Some(name) => app.join(name),
        None => app,
    };
    Some(profile.join("logs"))
}

/// Returns `<Videos>/Offstream`, falling back to `<home>/Videos/Offstream`, then to a folder in
/// the data folder on systems without either.
fn default_library_dir(data_dir: &Path) -> PathBuf {
    if let Some(videos) = dirs::video_dir() {
        return videos.join("Offstream");
    }
    if let Some(home) = dirs::home_dir() {
        return home.join("Videos").join("Offstream");
    }
    data_dir.join("library")
}

/// Checks an API base URL typed by a user and returns it without a trailing slash.
///
/// # Errors
/// [`ProfileError::InvalidValue`] when it is not an absolute http(s) URL.
pub fn normalize_api_base(value: &str) -> Result<String, ProfileError> {
    let trimmed = value.trim().trim_end_matches('/');
    let invalid = |hint| ProfileError::InvalidValue {
        what: "API base URL",
        value: value.to_owned(),
        hint,
    };
    let (scheme, rest) = trimmed.split_once("://").ok_or_else(|| {
        invalid("use an absolute URL such as https://api.cloudflare.com/client/v4")
    })?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || trimmed.contains(char::is_whitespace) {
        return Err(invalid(
            "use an absolute URL such as https://api.cloudflare.com/client/v4",
        ));
    }

    // Plain http would send the API token unencrypted, so it is allowed only on this machine.
    let host_name = host.rsplit_once(':').map_or(host, |(name, _port)| name);
    let loopback = matches!(host_name, "localhost" | "[::1]") || host_name.starts_with("127.");
    match scheme {
        "https" => Ok(trimmed.to_owned()),
        "http" if loopback => Ok(trimmed.to_owned()),
        "http" => Err(invalid(
            "use https://; plain http:// is accepted only for 127.0.0.1 or localhost, such as a local emulator",
        )),
        _ => Err(invalid(
            "use an absolute URL such as https://api.cloudflare.com/client/v4",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn environment_overrides_everything() {
        let temp = tempfile::tempdir().unwrap();
        let data = temp.path().join("data");
        let library = temp.path().join("lib");
        let vars = env(&[
            (ENV_DATA_DIR, data.to_str().unwrap()),
            (ENV_LIBRARY_DIR, library.to_str().unwrap()),
            (ENV_API_BASE, "http://127.0.0.1:9/client/v4/"),
        ]);
        let profile = Profile::resolve_with(&vars, None).unwrap();
        assert_eq!(profile.data_dir, data);
        assert_eq!(profile.library_dir, library);
        assert_eq!(profile.library_dir_origin, Origin::Environment);
        assert_eq!(profile.api_base, "http://127.0.0.1:9/client/v4");
        assert_eq!(profile.api_base_origin, Origin::Environment);
    }

    #[test]
    fn settings_used_without_environment() {
        let temp = tempfile::tempdir().unwrap();
        let settings = Settings {
            library_dir: Some(temp.path().join("chosen")),
            api_base: Some("http://127.0.0.1:1/client/v4".into()),
            ..Settings::default()
        };
        settings.save(temp.path()).unwrap();
        let vars = env(&[(ENV_DATA_DIR, temp.path().to_str().unwrap())]);
        let profile = Profile::resolve_with(&vars, None).unwrap();
        assert_eq!(profile.library_dir, temp.path().join("chosen"));
        assert_eq!(profile.library_dir_origin, Origin::Settings);
        assert_eq!(profile.api_base_origin, Origin::Settings);
    }

    #[test]
    fn default_api_base_is_production() {
        let temp = tempfile::tempdir().unwrap();
        let vars = env(&[(ENV_DATA_DIR, temp.path().to_str().unwrap())]);
        let profile = Profile::resolve_with(&vars, None).unwrap();
        assert_eq!(profile.api_base, DEFAULT_API_BASE);
        assert_eq!(profile.api_base_origin, Origin::Default);
    }

    #[test]
    fn demo_profile_is_separate() {
        let temp = tempfile::tempdir().unwrap();
        let vars = env(&[(ENV_DATA_DIR, temp.path().to_str().unwrap())]);
        let profile = Profile::resolve_with(&vars, Some("demo")).unwrap();
        assert_eq!(profile.data_dir, temp.path().join("demo"));
        assert_eq!(
            profile.library_dir,
            temp.path().join("demo").join("library")
        );
    }

    #[test]
    fn log_dir_follows_data_dir_env() {
        let temp = tempfile::tempdir().unwrap();
        let vars = env(&[(ENV_DATA_DIR, temp.path().to_str().unwrap())]);
        let profile = Profile::resolve_with(&vars, None).unwrap();
        assert_eq!(profile.log_dir, temp.path().join("logs"));
        let demo = Profile::resolve_with(&vars, Some("demo")).unwrap();
        assert_eq!(demo.log_dir, temp.path().join("demo").join("logs"));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn default_log_dir_is_xdg_data() {
        let none = env(&[]);
        let local = dirs::data_local_dir().unwrap();
        assert_eq!(
            log_dir_with(&none, None).unwrap(),
            local.join("dev.offstream.app").join("logs")
        );
        assert_eq!(
            log_dir_with(&none, Some("demo")).unwrap(),
            local.join("dev.offstream.app").join("demo").join("logs")
        );
    }

    #[cfg(target_os = "macos")]
    #[test]
    fn default_log_dir_is_library_logs() {
        let home = dirs::home_dir().unwrap();
        assert_eq!(
            log_dir_with(&env(&[]), None).unwrap(),
            home.join("Library/Logs/dev.offstream.app")
        );
    }

    #[cfg(target_os = "windows")]
    #[test]
    fn default_log_dir_is_local_app_data() {
        let local = dirs::data_local_dir().unwrap();
        assert_eq!(
            log_dir_with(&env(&[]), None).unwrap(),
            local.join("dev.offstream.app").join("logs")
        );
    }

    #[test]
    fn data_dir_known_without_settings() {
        let temp = tempfile::tempdir().unwrap();
        let data = temp.path().join("never-created");
        let vars = env(&[(ENV_DATA_DIR, data.to_str().unwrap())]);
        assert_eq!(data_dir_with(&vars, None).unwrap(), data);
        assert_eq!(
            data_dir_with(&vars, Some("demo")).unwrap(),
            data.join("demo")
        );
        assert!(!data.exists(), "resolving does not create the folder");
    }

    #[test]
    fn api_base_rejects_remote_http() {
        assert!(normalize_api_base("http://api.cloudflare.com/client/v4").is_err());
        assert!(normalize_api_base("http://127.0.0.1:8080/client/v4").is_ok());
        assert!(normalize_api_base("http://localhost/client/v4").is_ok());
    }

    #[test]
    fn api_base_rejects_relative() {
        assert!(normalize_api_base("api.cloudflare.com").is_err());
        assert!(normalize_api_base("https://").is_err());
        assert_eq!(
            normalize_api_base(" https://api.cloudflare.com/client/v4/ ").unwrap(),
            DEFAULT_API_BASE
        );
    }
}
