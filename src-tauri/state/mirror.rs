//! The mirror of the account's video list: the cached list the videos view opens on, syncs,
//! and the marks of what a sync changed.
//!
//! The cached list comes from the catalog alone, with no network call, so the window shows
//! the account at once and a sync refreshes it in the background. Only one sync runs at a
//! time; a second request waits for the first and then runs.

use std::collections::HashMap;
use std::sync::Arc;

use offstream_engine::sync::{self, SyncMode, SyncSummary};
use offstream_engine::Catalog;
use offstream_ipc::{ErrorPayload, SyncEvent, VideoList, VideoRow};
use offstream_stream::{DownloadType, Video};
use tauri::ipc::Channel;

use super::AppState;
use crate::error::{engine_error, join_error};
use crate::state::thumbnails;

impl AppState {
    /// Returns the account's videos from the mirror, newest first, with their offline types,
    /// change marks and thumbnail URLs.
    ///
    /// # Errors
    /// `no_credentials` without an account, and the catalog's error.
    pub async fn cached_videos(&self) -> Result<VideoList, ErrorPayload> {
        let account = self.require_account()?;
        let catalog = Arc::clone(self.catalog());
        let media = Arc::clone(&self.media);
        let cache = Arc::clone(&self.thumbnails);
        let syncing = self.is_syncing();

        // TODO: send the first screen of rows before the rest. 10,000 rows take about 240 ms
        // here in a release build, which is most of the 300 ms budget from window open.
        tauri::async_runtime::spawn_blocking(move || {
            let started = std::time::Instant::now();
            let mirrored = catalog
                .mirrored_videos(&account.account_id)
                .map_err(engine_error)?;
            let last_sync = catalog
                .last_sync(&account.account_id)
                .map_err(engine_error)?;
            let mut offline = offline_types(&catalog)?;
            let urls = thumbnails::register_cached(
                &media,
                &cache,
                mirrored.iter().map(|mirrored| mirrored.video.uid.as_str()),
            );

            let videos = mirrored
                .iter()
                .map(|mirrored| {
                    let uid = &mirrored.video.uid;
                    let thumbnail_url = urls.get(uid).cloned();
                    VideoRow::from_mirror(
                        mirrored,
                        offline.remove(uid).unwrap_or_default(),
                        thumbnail_url,
                    )
                })
                .collect::<Vec<_>>();
            tracing::debug!(
                videos = videos.len(),
                thumbnails = urls.len(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "built the cached video list"
            );
            Ok(VideoList {
                videos,
                last_sync,
                syncing,
            })
        })
        .await
        .map_err(join_error)?
    }

    /// Syncs the mirror with the account, sends progress on `on_event`, and then downloads
    /// missing thumbnails in the background.
    ///
    /// # Errors
    /// `no_credentials` without an account, and the engine's error when a list request or
    /// the catalog fails; the mirror then stays as it was.
    pub async fn sync_videos(
        &self,
        mode: SyncMode,
        on_event: Channel<SyncEvent>,
    ) -> Result<SyncSummary, ErrorPayload> {
        let account = self.require_account()?;
        let running = self.sync_lock.lock().await;

        let progress_channel = on_event.clone();
        let summary = sync::sync_account(
            &account.client,
            self.catalog(),
            account.jobs.api_budget(),
            mode,
            move |listed| {
                let listed = u32::try_from(listed).unwrap_or(u32::MAX);
                // The page may be gone (reloaded); the sync goes on without it.
                let _ = progress_channel.send(SyncEvent::Progress { listed });
            },
        )
        .await
        .map_err(engine_error)?;
        drop(running);

        self.start_thumbnail_fetch(&account, on_event);
        Ok(summary)
    }

    /// Clears the marks of new, renamed and removed videos; returns how many were cleared.
    ///
    /// # Errors
    /// `no_credentials` without an account, and the catalog's error.
    pub fn acknowledge_changes(&self) -> Result<u32, ErrorPayload> {
        let account = self.require_account()?;
        self.catalog()
            .acknowledge_changes(&account.account_id)
            .map_err(engine_error)
    }

    /// Returns the mirror's copy of a video that is still on Stream, so a download can skip
    /// its own `GET /stream/{uid}`.
    pub fn mirrored_video(&self, account_id: &str, uid: &str) -> Option<Video> {
        match self.catalog().mirrored_video(account_id, uid) {
            Ok(Some(mirrored)) if mirrored.removed_at.is_none() => Some(mirrored.video),
            Ok(_) => None,
            Err(error) => {
                tracing::warn!(uid, code = error.code(), %error, "cannot read the mirror");
                None
            }
        }
    }

    /// Returns true while a sync runs.
    pub fn is_syncing(&self) -> bool {
        self.sync_lock.try_lock().is_err()
    }
}

/// Returns, per uid, the download types already in the library.
pub(super) fn offline_types(
    catalog: &Catalog,
) -> Result<HashMap<String, Vec<DownloadType>>, ErrorPayload> {
    let mut map: HashMap<String, Vec<DownloadType>> = HashMap::new();
    for item in catalog.items().map_err(engine_error)? {
        map.entry(item.uid).or_default().push(item.download_type);
    }
    Ok(map)
}
