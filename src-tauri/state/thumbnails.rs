//! Thumbnails of the mirror's videos: registering the cached ones with the media server, and
//! downloading the missing ones in the background after a sync.
//!
//! A fetch runs after each sync and stops when the next sync starts one, when the account
//! changes or when the app exits. When it found new thumbnails it sends
//! [`SyncEvent::ThumbnailsReady`] on the sync's channel, so the videos view reloads the
//! cached list to show them.

use std::collections::HashMap;

use offstream_engine::ThumbnailCache;
use offstream_ipc::SyncEvent;
use offstream_media_server::MediaServer;
use tauri::ipc::Channel;
use tokio_util::sync::CancellationToken;

use super::{lock, Account, AppState};

/// Thumbnails downloaded at the same time; each is a few kilobytes from the delivery host.
const FETCH_CONCURRENCY: usize = 4;

impl AppState {
    /// Starts downloading the thumbnails the cache lacks for the account's mirror, replacing
    /// a fetch that still runs.
    pub(super) fn start_thumbnail_fetch(&self, account: &Account, on_event: Channel<SyncEvent>) {
        let cancel = CancellationToken::new();
        if let Some(previous) = lock(&self.thumbnail_fetch).replace(cancel.clone()) {
            previous.cancel();
        }

        let catalog = std::sync::Arc::clone(self.catalog());
        let cache = std::sync::Arc::clone(&self.thumbnails);
        let media = std::sync::Arc::clone(&self.media);
        let account_id = account.account_id.clone();
        let client = account.client.clone();
        let signer = account.jobs.signer();
        // The fetch runs on the blocking pool: reading the mirror and registering files are
        // blocking work, and the engine's `fetch_missing` future is not `Send`, so it cannot
        // be spawned as a task.
        // NOTE: `block_on` keeps one blocking-pool thread busy for the length of the fetch.
        tauri::async_runtime::spawn_blocking(move || {
            let videos = match catalog.mirrored_videos(&account_id) {
                Ok(mirrored) => mirrored
                    .into_iter()
                    .filter(|mirrored| mirrored.removed_at.is_none())
                    .map(|mirrored| mirrored.video)
                    .collect::<Vec<_>>(),
                Err(error) => {
                    tracing::warn!(code = error.code(), %error, "cannot read the mirror for thumbnails");
                    return;
                }
            };

            let report = tauri::async_runtime::block_on(cache.fetch_missing(
                &client,
                &signer,
                &videos,
                FETCH_CONCURRENCY,
                &cancel,
            ));
            tracing::info!(
                fetched = report.fetched,
                failed = report.failed,
                cancelled = cancel.is_cancelled(),
                "thumbnail fetch ended"
            );
            if report.fetched == 0 || cancel.is_cancelled() {
                return;
            }

            let uids = videos.iter().map(|video| video.uid.as_str());
            register_cached(&media, &cache, uids);
            let fetched = u32::try_from(report.fetched).unwrap_or(u32::MAX);
            let _ = on_event.send(SyncEvent::ThumbnailsReady { fetched });
        });
    }

    /// Stops the background thumbnail download, if one runs.
    pub(super) fn cancel_thumbnail_fetch(&self) {
        if let Some(cancel) = lock(&self.thumbnail_fetch).take() {
            cancel.cancel();
        }
    }
}

/// Registers the cached thumbnails of `uids` with the media server and returns the URL of
/// each one registered. Registrations of other uids stay, so the videos view and the library
/// can both show theirs. Reads each file's metadata, so it belongs on a blocking thread for a
/// large account.
pub(super) fn register_cached<'a>(
    media: &MediaServer,
    cache: &ThumbnailCache,
    uids: impl Iterator<Item = &'a str>,
) -> HashMap<String, String> {
    let mut urls = HashMap::new();
    let mut failures = 0_usize;
    for uid in uids {
        let Some(path) = cache.cached(uid) else {
            continue;
        };
        match media.register_thumbnail(uid, path) {
            Ok(()) => {
                if let Some(url) = media.thumbnail_url(uid) {
                    urls.insert(uid.to_owned(), url);
                }
            }
            Err(error) => {
                failures += 1;
                if failures == 1 {
                    tracing::warn!(%error, "a cached thumbnail cannot be served");
                }
            }
        }
    }
    if failures > 1 {
        tracing::warn!(count = failures, "cached thumbnails cannot be served");
    }
    urls
}
