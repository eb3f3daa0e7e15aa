//! The library folder: where files go, what the UI may read, and what the player may stream.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use offstream_engine::LibraryItem;
use offstream_ipc::{CaptionTrack, ErrorPayload, LibraryEntry};
use offstream_media_server::{CaptionSource, ContentType, MediaFile};
use offstream_stream::DownloadType;
use tauri_plugin_fs::FsExt;

use super::AppState;
use crate::error::{engine_error, join_error};
use crate::state::{mirror, thumbnails};

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

    /// Returns the library entries, each with the loopback URLs of its file, thumbnail and
    /// caption files, all registered on the media server.
    ///
    /// # Errors
    /// The catalog's error.
    pub async fn library_entries(&self) -> Result<Vec<LibraryEntry>, ErrorPayload> {
        let catalog = Arc::clone(self.catalog());
        let media = Arc::clone(&self.media);
        let cache = Arc::clone(&self.thumbnails);

        tauri::async_runtime::spawn_blocking(move || {
            let items = catalog.items().map_err(engine_error)?;
            register_files(&media, &items);
            let thumbnail_urls = thumbnails::register_cached(
                &media,
                &cache,
                items.iter().map(|item| item.uid.as_str()),
            );

            Ok(items
                .into_iter()
                .map(|item| {
                    let media_url = media.url_for(item.id);
                    let thumbnail_url = thumbnail_urls.get(&item.uid).cloned();
                    let captions = caption_tracks(&media, &item);
                    LibraryEntry::new(item, media_url, thumbnail_url, captions)
                })
                .collect())
        })
        .await
        .map_err(join_error)?
    }

    /// Returns, per uid, the download types already in the library.
    ///
    /// # Errors
    /// The catalog's error.
    pub fn offline_types(&self) -> Result<HashMap<String, Vec<DownloadType>>, ErrorPayload> {
        mirror::offline_types(self.catalog())
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

/// Registers every item's file and caption files with the media server, replacing the
/// previous registrations.
fn register_files(media: &offstream_media_server::MediaServer, items: &[LibraryItem]) {
    let files = items.iter().map(|item| MediaFile {
        id: item.id,
        path: item.path.clone(),
        content_type: content_type(item.download_type),
    });
    for error in media.replace_all(files) {
        tracing::warn!(%error, "a library file cannot be served to the player");
    }

    let captions = items.iter().flat_map(|item| {
        let folder = item.path.parent().map(PathBuf::from).unwrap_or_default();
        item.captions.iter().map(move |caption| CaptionSource {
            id: item.id,
            language: caption.language.clone(),
            path: folder.join(&caption.file_name),
        })
    });
    for error in media.replace_captions(captions) {
        tracing::warn!(%error, "a caption file cannot be served to the player");
    }
}

/// Returns the item's caption files that the media server serves, as player tracks.
fn caption_tracks(
    media: &offstream_media_server::MediaServer,
    item: &LibraryItem,
) -> Vec<CaptionTrack> {
    item.captions
        .iter()
        .filter(|caption| media.is_caption_registered(item.id, &caption.language))
        .filter_map(|caption| {
            let url = media.caption_url(item.id, &caption.language)?;
            Some(CaptionTrack {
                language: caption.language.clone(),
                label: caption.label.clone(),
                url,
            })
        })
        .collect()
}

fn content_type(download_type: DownloadType) -> ContentType {
    match download_type {
        DownloadType::Default => ContentType::VideoMp4,
        DownloadType::Audio => ContentType::AudioMp4,
    }
}
