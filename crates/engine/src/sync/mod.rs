//! Keeps a mirror of each account's video list in the catalog.
//!
//! [`sync_account`] lists the account and writes what it found with
//! `Catalog::apply_sync`, in one transaction. Two modes:
//! - Full walks the whole list (past 1,000 videos, ties of `created` at page boundaries,
//!   uploads that arrive during the walk) and detects new, renamed, changed and deleted videos.
//! - Quick requests only the videos created after the newest one in the mirror, with the
//!   account's video count. When the mirror's count plus the new videos differs from it (a video was
//!   deleted), it falls back to a full walk. Renames need a full walk, because the list API
//!   has no filter on `modified`.
//!
//! A walk that had to step past part of a tie group larger than a page marks nothing removed,
//! because the videos it skipped would look deleted.
//!
//! The first sync of an account is always full and marks nothing as new. Every request takes a
//! token of the account's [`ApiBudget`]. A failed request ends the sync before anything is
//! written, so the mirror stays as the last sync left it.
//!
//! Modules: `walk` (the requests), `diff` (what each row becomes), `types` (the values the UI
//! receives).

pub(crate) mod diff;
mod types;
mod walk;

use std::sync::Arc;
use std::time::Instant;

use offstream_stream::list::MAX_PAGE_SIZE;
use offstream_stream::{StreamClient, Video};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tracing::info;

use crate::budget::ApiBudget;
use crate::catalog::Catalog;
use crate::error::EngineError;
use walk::{Listing, Pager};

pub use types::{MirroredVideo, SyncMode, SyncSummary, VideoChange};

/// The facts of a sync besides its listing, written with it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SyncRecord {
    /// The mode that ran, `Full` after a quick sync fell back.
    pub mode: SyncMode,
    /// The listing is the whole account, so rows it lacks are marked removed.
    pub removals: bool,
    pub api_calls: u32,
    /// When the sync started, for `elapsed_ms`.
    pub started: Instant,
}

/// The state of the mirror that a quick sync starts from.
#[derive(Debug, Clone, Default)]
pub(crate) struct MirrorBaseline {
    /// True once a full sync of the account has completed.
    pub synced_fully: bool,
    /// Uid and `created` of every video not marked removed.
    pub active: Vec<(String, String)>,
}

/// Syncs the mirror of the client's account in pages of 1,000 videos and returns what changed.
/// `on_progress` receives the number of videos listed so far after every request.
///
/// # Errors
/// [`EngineError::Stream`] when a list request fails (a 429 also blocks `budget` for the
/// server's wait), [`EngineError::Catalog`] when the catalog cannot be read or written. On an
/// error the mirror is unchanged.
pub async fn sync_account(
    client: &StreamClient,
    catalog: &Arc<Catalog>,
    budget: &ApiBudget,
    mode: SyncMode,
    on_progress: impl FnMut(usize) + Send,
) -> Result<SyncSummary, EngineError> {
    sync_account_paged(client, catalog, budget, mode, MAX_PAGE_SIZE, on_progress).await
}

/// Syncs like [`sync_account`] with pages of `page_size` videos (1 to 1,000), for tests and
/// benchmarks of the paging.
///
/// # Errors
/// As [`sync_account`].
pub async fn sync_account_paged(
    client: &StreamClient,
    catalog: &Arc<Catalog>,
    budget: &ApiBudget,
    mode: SyncMode,
    page_size: u32,
    mut on_progress: impl FnMut(usize) + Send,
) -> Result<SyncSummary, EngineError> {
    let started = Instant::now();
    let account_id = client.account_id().to_owned();
    let mut pager = Pager::new(client, budget, page_size);

    if mode == SyncMode::Quick {
        let baseline = {
            let catalog = Arc::clone(catalog);
            let account_id = account_id.clone();
            blocking(move || catalog.mirror_baseline(&account_id)).await?
        };
        if let Some(listing) = quick_listing(&mut pager, baseline, &mut on_progress).await? {
            let record = SyncRecord {
                mode: SyncMode::Quick,
                removals: false,
                api_calls: pager.calls(),
                started,
            };
            return apply(catalog, account_id, listing.videos, record).await;
        }
    }

    let listing = pager.walk_all(&mut on_progress).await?;
    if !listing.complete {
        info!(
            account_id,
            "the walk may have missed videos of an oversized tie group, so no video is marked removed"
        );
    }
    let record = SyncRecord {
        mode: SyncMode::Full,
        removals: listing.complete,
        api_calls: pager.calls(),
        started,
    };
    apply(catalog, account_id, listing.videos, record).await
}

/// Lists the videos newer than the mirror. Returns `None` when a full walk is needed: before
/// the first full sync, for an empty mirror, or when the account's count does not match.
async fn quick_listing(
    pager: &mut Pager<'_>,
    baseline: MirrorBaseline,
    on_progress: &mut (impl FnMut(usize) + Send),
) -> Result<Option<Listing>, EngineError> {
    if !baseline.synced_fully {
        info!("no full sync of this account yet, so the quick sync walks the whole list");
        return Ok(None);
    }
    let Some(newest) = newest_created(&baseline.active) else {
        info!("the mirror has no video to start from, so the quick sync walks the whole list");
        return Ok(None);
    };

    let mirrored = baseline.active.len();
    let known = baseline.active.into_iter().map(|(uid, _)| uid);
    let listing = pager.walk_newer(newest, known, on_progress).await?;

    // NOTE: a deletion and an upload whose `created` is not newer than the mirror's newest
    // video cancel out in this count, so only the next full sync finds that deletion.
    let expected = (mirrored + listing.videos.len()) as u64;
    match listing.account_total {
        Some(total) if total == expected => Ok(Some(listing)),
        total => {
            info!(
                mirrored,
                new = listing.videos.len(),
                account_total = total,
                "the account's count does not match the mirror, so the quick sync walks the whole list"
            );
            Ok(None)
        }
    }
}

/// Returns the latest `created` among `(uid, created)` pairs. A value that is not RFC 3339 is
/// skipped: the list API never sent one the walk accepted.
fn newest_created(active: &[(String, String)]) -> Option<OffsetDateTime> {
    active
        .iter()
        .filter_map(|(_, created)| OffsetDateTime::parse(created, &Rfc3339).ok())
        .max()
}

/// Writes the listing on a blocking thread, because 10,000 rows take tens of milliseconds.
async fn apply(
    catalog: &Arc<Catalog>,
    account_id: String,
    videos: Vec<Video>,
    record: SyncRecord,
) -> Result<SyncSummary, EngineError> {
    let catalog = Arc::clone(catalog);
    let summary = blocking(move || {
        let summary = catalog.apply_sync(&account_id, &videos, &record)?;
        info!(
            account_id,
            mode = ?summary.mode,
            total = summary.total,
            added = summary.added,
            renamed = summary.renamed,
            changed = summary.changed,
            removed = summary.removed,
            api_calls = summary.api_calls,
            elapsed_ms = summary.elapsed_ms,
            "account synced"
        );
        Ok(summary)
    })
    .await?;
    Ok(summary)
}

/// Runs catalog work on tokio's blocking pool.
async fn blocking<T, F>(work: F) -> Result<T, EngineError>
where
    F: FnOnce() -> Result<T, EngineError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work).await.map_err(|error| {
        EngineError::Internal(format!("the catalog task of a sync failed: {error}"))
    })?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_created_compares_times() {
        let active = vec![
            ("a".to_owned(), "2024-01-01T10:00:00.000000Z".to_owned()),
            ("b".to_owned(), "2024-01-01T12:00:00+01:00".to_owned()),
            ("c".to_owned(), "2024-01-01T10:30:00Z".to_owned()),
            ("d".to_owned(), "not a time".to_owned()),
        ];
        let newest = newest_created(&active).unwrap();
        // 12:00 at +01:00 is 11:00 UTC, later than 10:30 UTC.
        assert_eq!(newest.unix_timestamp(), 1_704_106_800);
    }

    #[test]
    fn newest_created_of_nothing_is_none() {
        assert_eq!(newest_created(&[]), None);
    }
}
