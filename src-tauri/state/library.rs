//! The library folder: where files go, what the UI may read, and what the player may stream.

use std::collections::HashMap;
use std::path::PathBuf;

use offstream_engine::LibraryItem;
use offstream_ipc::ErrorPayload;
use offstream_media_server::{ContentType, MediaFile};
use offstream_stream::DownloadType;
use tauri_plugin_fs::FsExt;

use super::AppState;
use crate::error::engine_error;

impl AppState {
    /// Saves a new library folder and moves the job manager to it.
    ///
    /// # Errors
    /// `busy` while downloads run, `invalid_input` for a relative path, and folder errors.
    pub fn set_library_dir(&self, path: PathBuf) -> Result<(), ErrorPayload> {
        if !path.is_absolute() {
            return Err(ErrorPayload::new(
                "invalid_input",
                format!(
                    "The library folder must be an absolute path, not {:?}.",
                    path.display().to_string()
                ),
            ));
        }
        if self.has_active_jobs() {
            return Err(ErrorPayload::new(
                "busy",
                "Downloads are running. Wait for them to finish or cancel them, then change the library folder.",
            ));
        }
        std::fs::create_dir_all(&path).map_err(|e| {
            ErrorPayload::new(
                "disk",
                format!(
                    "Cannot create the library folder {}: {e}. Choose a writable folder.",
                    path.display()
                ),
            )
        })?;

        let mut settings = self.load_settings()?;
        settings.library_dir = Some(path);
        self.store_settings(&settings)?;
        self.reload_profile()?;
        self.allow_library_reads();
        self.rebuild_account(true)
    }

    /// Returns the library items with their media URLs registered on the media server.
    ///
    /// # Errors
    /// The catalog's error.
    pub fn library_items(&self) -> Result<Vec<LibraryItem>, ErrorPayload> {
        let items = self.catalog.items().map_err(engine_error)?;
        let files = items.iter().map(|item| MediaFile {
            id: item.id,
            path: item.path.clone(),
            content_type: content_type(item.download_type),
        });
        for error in self.media.replace_all(files) {
            tracing::warn!(%error, "a library file cannot be served to the player");
        }
        Ok(items)
    }

    /// Returns, per uid, the download types already in the library.
    ///
    /// # Errors
    /// The catalog's error.
    pub fn offline_types(&self) -> Result<HashMap<String, Vec<DownloadType>>, ErrorPayload> {
        let mut map: HashMap<String, Vec<DownloadType>> = HashMap::new();
        for item in self.catalog.items().map_err(engine_error)? {
            map.entry(item.uid).or_default().push(item.download_type);
        }
        Ok(map)
    }

    fn has_active_jobs(&self) -> bool {
        self.account().is_some_and(|account| {
            account
                .jobs
                .snapshots()
                .iter()
                .any(|job| !job.phase.is_terminal())
        })
    }

    /// Lets the UI's fs plugin read (never write) inside the library folder, so it can show
    /// files removed outside the app as missing.
    pub(super) fn allow_library_reads(&self) {
        let dir = self.profile().library_dir;
        // TODO: drop the previous folder from the scope after a change. The fs scope offers only
        // a permanent `forbid`, which would block switching back to that folder in this run.
        if let Err(error) = self.app.fs_scope().allow_directory(&dir, true) {
            tracing::warn!(%error, "cannot allow the UI to read the library folder");
        }
    }
}

fn content_type(download_type: DownloadType) -> ContentType {
    match download_type {
        DownloadType::Default => ContentType::VideoMp4,
        DownloadType::Audio => ContentType::AudioMp4,
    }
}
