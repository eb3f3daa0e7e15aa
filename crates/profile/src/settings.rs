//! `settings.json`: the user's choices that are not secret.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ProfileError;

const FILE_NAME: &str = "settings.json";

/// Choices saved in the data folder. Unknown keys from newer versions are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// The library folder the user picked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub library_dir: Option<PathBuf>,
    /// The API base URL the user set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_base: Option<String>,
    /// True when the user allowed the API's token endpoint for private videos while no signing
    /// key is stored. Cloudflare recommends that endpoint only for low volumes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub token_api_fallback: bool,
    /// Access rules put into every token for a private video (`accessRules` of the token),
    /// such as allowing only this network's address.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub token_access_rules: Vec<offstream_signing::AccessRule>,
    /// Downloads that transfer at the same time; the engine's default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_transfers: Option<u32>,
}

impl Settings {
    /// Loads the settings of a data folder; a missing file means defaults.
    ///
    /// # Errors
    /// [`ProfileError::Io`] when the file cannot be read, and [`ProfileError::InvalidSettings`]
    /// when it is not valid JSON.
    pub fn load(data_dir: &Path) -> Result<Self, ProfileError> {
        let path = data_dir.join(FILE_NAME);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => return Err(ProfileError::Io { path, source }),
        };
        serde_json::from_str(&text).map_err(|e| ProfileError::InvalidSettings {
            path,
            detail: e.to_string(),
        })
    }

    /// Saves the settings atomically: a temporary file is written and renamed over the old one,
    /// so a crash never leaves half a file.
    ///
    /// # Errors
    /// [`ProfileError::Io`] naming the file that could not be written.
    pub fn save(&self, data_dir: &Path) -> Result<(), ProfileError> {
        let io_error = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ProfileError::Io { path, source }
        };
        std::fs::create_dir_all(data_dir).map_err(io_error(data_dir))?;

        let path = data_dir.join(FILE_NAME);
        let temp = data_dir.join(format!("{FILE_NAME}.tmp"));
        let json = serde_json::to_string_pretty(self).expect("settings always serialize");
        std::fs::write(&temp, json).map_err(io_error(&temp))?;
        std::fs::rename(&temp, &path).map_err(io_error(&path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_means_defaults() {
        let temp = tempfile::tempdir().unwrap();
        assert_eq!(Settings::load(temp.path()).unwrap(), Settings::default());
    }

    #[test]
    fn save_then_load_round_trips() {
        let temp = tempfile::tempdir().unwrap();
        let settings = Settings {
            library_dir: Some(temp.path().join("x")),
            api_base: None,
            token_api_fallback: true,
            ..Settings::default()
        };
        settings.save(temp.path()).unwrap();
        assert_eq!(Settings::load(temp.path()).unwrap(), settings);
    }

    #[test]
    fn invalid_json_names_file() {
        let temp = tempfile::tempdir().unwrap();
        std::fs::write(temp.path().join(FILE_NAME), "{not json").unwrap();
        let error = Settings::load(temp.path()).unwrap_err();
        assert!(error.to_string().contains("settings.json"));
    }
}
