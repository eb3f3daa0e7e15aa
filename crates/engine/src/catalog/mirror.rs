//! The mirror of each account's video list (table `videos`) and its sync bookkeeping (table
//! `sync_state`).
//!
//! A row contains the whole API video as JSON (`video_json`), so the app can show the list and
//! start a download without a request per video, plus the columns that the list, the diff and
//! the backup estimate read. [`Catalog::apply_sync`] writes everything one sync found in one
//! immediate transaction: it reads the mirror, compares it with the listing
//! ([`crate::sync::diff`]), upserts the listed videos, marks the missing ones removed and
//! stores the summary. So the mirror and `sync_state` always describe the same sync, and two
//! processes that sync the same account run one after the other.
//!
//! A removed video keeps its row while the library contains a file of it. Otherwise the row goes
//! once the user has acknowledged the mark.

use std::collections::HashMap;

use offstream_stream::{Video, VideoState};
use rusqlite::{params, OptionalExtension, Row, TransactionBehavior};
use tracing::warn;

use super::{now, to_i64, to_u64, Catalog};
use crate::error::EngineError;
use crate::sync::diff::{self, MirrorRow, Scope, TrackedFields};
use crate::sync::{MirrorBaseline, MirroredVideo, SyncMode, SyncRecord, SyncSummary, VideoChange};

/// Deletes the removed rows whose mark the user has seen and of which the library has no
/// file. Parameter 1 is the account id.
const PRUNE_REMOVED: &str = "DELETE FROM videos
     WHERE account_id = ?1 AND removed_at IS NOT NULL AND change IS NULL
       AND uid NOT IN (SELECT uid FROM items)";

impl Catalog {
    /// Returns the mirror of an account's video list, newest first. Videos gone from Stream
    /// are included, with `removed_at` set.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the query fails.
    pub fn mirrored_videos(&self, account_id: &str) -> Result<Vec<MirroredVideo>, EngineError> {
        let connection = self.lock();
        let mut statement = connection.prepare(&format!(
            "SELECT {MIRROR_COLUMNS} FROM videos WHERE account_id = ?1
             ORDER BY created DESC, uid"
        ))?;
        let rows = statement
            .query_map([account_id], mirrored_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows.into_iter().flatten().collect())
    }

    /// Returns one video of the mirror, also when it is gone from Stream.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the query fails.
    pub fn mirrored_video(
        &self,
        account_id: &str,
        uid: &str,
    ) -> Result<Option<MirroredVideo>, EngineError> {
        let connection = self.lock();
        let video = connection
            .query_row(
                &format!("SELECT {MIRROR_COLUMNS} FROM videos WHERE account_id = ?1 AND uid = ?2"),
                params![account_id, uid],
                mirrored_from_row,
            )
            .optional()?;
        Ok(video.flatten())
    }

    /// Returns the summary of the account's last sync, or `None` before the first one.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the query fails.
    pub fn last_sync(&self, account_id: &str) -> Result<Option<SyncSummary>, EngineError> {
        let text: Option<String> = self
            .lock()
            .query_row(
                "SELECT summary FROM sync_state WHERE account_id = ?1",
                [account_id],
                |row| row.get(0),
            )
            .optional()?;
        let Some(text) = text else {
            return Ok(None);
        };

        match serde_json::from_str(&text) {
            Ok(summary) => Ok(Some(summary)),
            Err(error) => {
                // The summary is only informational, and the next sync rewrites it.
                warn!(account_id, %error, "the stored sync summary cannot be read");
                Ok(None)
            }
        }
    }

    /// Clears the marks of an account's mirror once the user has seen them, and drops the
    /// rows of removed videos of which the library has no file. Returns the number of marks
    /// cleared.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when a statement fails. Nothing changes then.
    pub fn acknowledge_changes(&self, account_id: &str) -> Result<u32, EngineError> {
        let mut connection = self.lock();
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let cleared = transaction.execute(
            "UPDATE videos SET change = NULL, previous_name = NULL
             WHERE account_id = ?1 AND change IS NOT NULL",
            [account_id],
        )?;
        transaction.execute(PRUNE_REMOVED, [account_id])?;
        transaction.commit()?;
        Ok(u32::try_from(cleared).unwrap_or(u32::MAX))
    }

    /// Returns what a quick sync of the account starts from.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when a query fails.
    pub(crate) fn mirror_baseline(&self, account_id: &str) -> Result<MirrorBaseline, EngineError> {
        let connection = self.lock();
        let synced_fully = connection
            .query_row(
                "SELECT last_full_sync IS NOT NULL FROM sync_state WHERE account_id = ?1",
                [account_id],
                |row| row.get::<_, bool>(0),
            )
            .optional()?
            .unwrap_or(false);
        let mut statement = connection.prepare(
            "SELECT uid, created FROM videos WHERE account_id = ?1 AND removed_at IS NULL",
        )?;
        let active = statement
            .query_map([account_id], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(MirrorBaseline {
            synced_fully,
            active,
        })
    }

    /// Writes what one sync found, in one transaction: compares `listed` (each uid once) with
    /// the mirror, upserts every listed video with its mark, marks missing rows removed when
    /// `record.removals` is set, and stores the summary, which it returns.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when a statement fails. Nothing changes then.
    pub(crate) fn apply_sync(
        &self,
        account_id: &str,
        listed: &[Video],
        record: &SyncRecord,
    ) -> Result<SyncSummary, EngineError> {
        let mut connection = self.lock();
        let cache_kib: i64 = connection.pragma_query_value(None, "cache_size", |row| row.get(0))?;
        connection.pragma_update(None, "cache_size", -SYNC_CACHE_KIB)?;
        let result = write_sync(&mut connection, account_id, listed, record);
        // Shrinking the cache frees the pages above the limit, so the memory is returned.
        let restored = connection.pragma_update(None, "cache_size", cache_kib);
        let summary = result?;
        restored?;
        Ok(summary)
    }
}

/// Runs the transaction of [`Catalog::apply_sync`].
fn write_sync(
    connection: &mut rusqlite::Connection,
    account_id: &str,
    listed: &[Video],
    record: &SyncRecord,
) -> Result<SyncSummary, EngineError> {
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;

    let first_sync: bool = transaction.query_row(
        "SELECT COUNT(*) = 0 FROM sync_state WHERE account_id = ?1",
        [account_id],
        |row| row.get(0),
    )?;
    let mirror = read_mirror_rows(&transaction, account_id)?;
    let scope = Scope {
        removals: record.removals,
        mark_new: !first_sync,
    };
    let plan = diff::plan(&mirror, listed, scope);

    let seen_at = now();
    {
        let mut insert = transaction.prepare(INSERT_VIDEO)?;
        let mut update = transaction.prepare(UPDATE_VIDEO)?;
        for row in &plan.upserts {
            let statement = if mirror.contains_key(&row.video.uid) {
                &mut update
            } else {
                &mut insert
            };
            statement.execute(params![
                account_id,
                row.video.uid,
                row.video.display_name(),
                row.video.creator,
                row.video.created,
                row.video.modified,
                row.video.duration,
                row.video.size.map(to_i64),
                row.video.status.state.as_str(),
                row.video.ready_to_stream,
                row.video.require_signed_urls,
                row.video.live_input,
                video_json(row.video)?,
                seen_at,
                row.change.map(VideoChange::as_str),
                row.previous_name,
            ])?;
        }

        let mut remove = transaction.prepare(
            "UPDATE videos SET change = 'removed', previous_name = NULL, removed_at = ?3
             WHERE account_id = ?1 AND uid = ?2",
        )?;
        for uid in &plan.removed {
            remove.execute(params![account_id, uid, seen_at])?;
        }
    }
    transaction.execute(PRUNE_REMOVED, [account_id])?;

    let total: i64 = transaction.query_row(
        "SELECT COUNT(*) FROM videos WHERE account_id = ?1 AND removed_at IS NULL",
        [account_id],
        |row| row.get(0),
    )?;
    let summary = SyncSummary {
        mode: record.mode,
        total: u32::try_from(total).unwrap_or(u32::MAX),
        added: plan.counts.added,
        renamed: plan.counts.renamed,
        changed: plan.counts.changed,
        removed: plan.counts.removed,
        api_calls: record.api_calls,
        elapsed_ms: u32::try_from(record.started.elapsed().as_millis()).unwrap_or(u32::MAX),
        finished_at: now(),
    };
    let summary_json = serde_json::to_string(&summary).map_err(|error| {
        EngineError::Internal(format!("the sync summary cannot be stored: {error}"))
    })?;
    transaction.execute(
        "INSERT INTO sync_state (account_id, last_sync, last_full_sync, summary)
         VALUES (?1, ?2, CASE WHEN ?3 THEN ?2 END, ?4)
         ON CONFLICT (account_id) DO UPDATE SET
             last_sync = excluded.last_sync,
             last_full_sync = COALESCE(excluded.last_full_sync, sync_state.last_full_sync),
             summary = excluded.summary",
        params![
            account_id,
            summary.finished_at,
            record.mode == SyncMode::Full,
            summary_json
        ],
    )?;

    transaction.commit()?;
    Ok(summary)
}

/// Inserts a video the mirror lacks, with the parameters of [`UPDATE_VIDEO`].
const INSERT_VIDEO: &str = "INSERT INTO videos (
         account_id, uid, name, creator, created, modified, duration, size, state,
         ready_to_stream, require_signed_urls, live_input, video_json, first_seen, last_seen,
         change, previous_name, removed_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, ?15, ?16, NULL)";

/// Updates the row of a listed video. `first_seen` keeps its first value, and a listed video
/// is never marked removed. A plain UPDATE, because an upsert first tries the insert.
const UPDATE_VIDEO: &str = "UPDATE videos SET
         name = ?3, creator = ?4, created = ?5, modified = ?6, duration = ?7, size = ?8,
         state = ?9, ready_to_stream = ?10, require_signed_urls = ?11, live_input = ?12,
         video_json = ?13, last_seen = ?14, change = ?15, previous_name = ?16, removed_at = NULL
     WHERE account_id = ?1 AND uid = ?2";

/// Page cache for the sync transaction, in KiB (SQLite's negative `cache_size`). The default
/// 2 MiB spills dirty pages to the WAL in the middle of a 10,000-row transaction, and a larger
/// cache keeps them in memory until the commit.
const SYNC_CACHE_KIB: i64 = 64 * 1024;

const MIRROR_COLUMNS: &str = "uid, video_json, change, previous_name, first_seen, removed_at";

/// Reads a mirror row. A row whose JSON no longer parses reads as `None` and is logged: the
/// next full sync rewrites it.
fn mirrored_from_row(row: &Row<'_>) -> rusqlite::Result<Option<MirroredVideo>> {
    let uid: String = row.get(0)?;
    let json: String = row.get(1)?;
    let video: Video = match serde_json::from_str(&json) {
        Ok(video) => video,
        Err(error) => {
            warn!(uid, %error, "a mirrored video is invalid JSON and is left out until a full sync rewrites it");
            return Ok(None);
        }
    };
    let change: Option<String> = row.get(2)?;
    Ok(Some(MirroredVideo {
        video,
        change: change.as_deref().and_then(VideoChange::from_column),
        previous_name: row.get(3)?,
        first_seen: row.get(4)?,
        removed_at: row.get(5)?,
    }))
}

/// Reads the rows of one account that the diff compares, by uid.
fn read_mirror_rows(
    connection: &rusqlite::Connection,
    account_id: &str,
) -> Result<HashMap<String, MirrorRow>, EngineError> {
    let mut statement = connection.prepare(
        "SELECT uid, name, creator, duration, size, state, ready_to_stream, require_signed_urls,
                live_input, change, previous_name, removed_at IS NOT NULL
         FROM videos WHERE account_id = ?1",
    )?;
    let rows = statement
        .query_map([account_id], |row| {
            let change: Option<String> = row.get(9)?;
            let mirror_row = MirrorRow {
                name: row.get(1)?,
                fields: TrackedFields {
                    creator: row.get(2)?,
                    duration: row.get(3)?,
                    size: row.get::<_, Option<i64>>(4)?.map(to_u64),
                    state: row.get(5)?,
                    ready_to_stream: row.get(6)?,
                    require_signed_urls: row.get(7)?,
                    live_input: row.get(8)?,
                },
                change: change.as_deref().and_then(VideoChange::from_column),
                previous_name: row.get(10)?,
                removed: row.get(11)?,
            };
            Ok((row.get::<_, String>(0)?, mirror_row))
        })?
        .collect::<Result<HashMap<_, _>, _>>()?;
    Ok(rows)
}

/// Serializes a video for `video_json`, with `status.state` in its wire spelling.
fn video_json(video: &Video) -> Result<String, EngineError> {
    let failed = |error: serde_json::Error| {
        EngineError::Internal(format!("video '{}' cannot be stored: {error}", video.uid))
    };
    // `VideoState`'s Serialize writes `pending-upload`, which its Deserialize reads back as an
    // unknown state, so that one state is rewritten in the spelling the API uses.
    if video.status.state != VideoState::PendingUpload {
        return serde_json::to_string(video).map_err(failed);
    }
    let mut value = serde_json::to_value(video).map_err(failed)?;
    if let Some(status) = value.get_mut("status").and_then(|s| s.as_object_mut()) {
        status.insert(
            "state".to_owned(),
            serde_json::Value::String(video.status.state.as_str().to_owned()),
        );
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use offstream_stream::DownloadType;

    use super::*;
    use crate::catalog::NewItem;

    const ACCOUNT: &str = "account-a";

    fn open() -> (tempfile::TempDir, Catalog) {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(dir.path()).unwrap();
        (dir, catalog)
    }

    fn video(uid: &str, name: &str, created: &str) -> Video {
        serde_json::from_value(serde_json::json!({
            "uid": uid,
            "meta": {"name": name},
            "created": created,
            "duration": 30.0,
            "size": 2048,
            "readyToStream": true,
            "status": {"state": "ready"},
        }))
        .unwrap()
    }

    fn record(mode: SyncMode) -> SyncRecord {
        SyncRecord {
            mode,
            removals: mode == SyncMode::Full,
            api_calls: 1,
            started: Instant::now(),
        }
    }

    fn three_videos() -> Vec<Video> {
        vec![
            video("c", "Third", "2024-01-03T00:00:00.000000Z"),
            video("b", "Second", "2024-01-02T00:00:00.000000Z"),
            video("a", "First", "2024-01-01T00:00:00.000000Z"),
        ]
    }

    fn uids(videos: &[MirroredVideo]) -> Vec<&str> {
        videos.iter().map(|m| m.video.uid.as_str()).collect()
    }

    #[test]
    fn mirror_lists_newest_first() {
        let (_dir, catalog) = open();
        let mut listed = three_videos();
        listed.reverse();
        catalog
            .apply_sync(ACCOUNT, &listed, &record(SyncMode::Full))
            .unwrap();
        let mirrored = catalog.mirrored_videos(ACCOUNT).unwrap();
        assert_eq!(uids(&mirrored), ["c", "b", "a"]);
    }

    #[test]
    fn mirror_round_trips_video() {
        let (_dir, catalog) = open();
        let mut listed = three_videos();
        listed[0].status.state = VideoState::PendingUpload;
        listed[0].creator = Some("creator-1".to_owned());
        catalog
            .apply_sync(ACCOUNT, &listed, &record(SyncMode::Full))
            .unwrap();
        let stored = catalog.mirrored_video(ACCOUNT, "c").unwrap().unwrap();
        assert_eq!(stored.video, listed[0]);
        assert_eq!(stored.change, None);
    }

    #[test]
    fn mirror_unknown_uid_is_none() {
        let (_dir, catalog) = open();
        assert_eq!(catalog.mirrored_video(ACCOUNT, "x").unwrap(), None);
    }

    #[test]
    fn last_sync_round_trips_summary() {
        let (_dir, catalog) = open();
        assert_eq!(catalog.last_sync(ACCOUNT).unwrap(), None);
        let summary = catalog
            .apply_sync(ACCOUNT, &three_videos(), &record(SyncMode::Full))
            .unwrap();
        assert_eq!(summary.total, 3);
        assert_eq!(summary.added, 3);
        assert_eq!(catalog.last_sync(ACCOUNT).unwrap(), Some(summary));
    }

    #[test]
    fn baseline_needs_full_sync() {
        let (_dir, catalog) = open();
        assert!(!catalog.mirror_baseline(ACCOUNT).unwrap().synced_fully);
        catalog
            .apply_sync(ACCOUNT, &three_videos(), &record(SyncMode::Full))
            .unwrap();
        let baseline = catalog.mirror_baseline(ACCOUNT).unwrap();
        assert!(baseline.synced_fully);
        assert_eq!(baseline.active.len(), 3);
    }

    #[test]
    fn acknowledge_drops_removed_row() {
        let (_dir, catalog) = open();
        let listed = three_videos();
        catalog
            .apply_sync(ACCOUNT, &listed, &record(SyncMode::Full))
            .unwrap();
        let summary = catalog
            .apply_sync(ACCOUNT, &listed[..2], &record(SyncMode::Full))
            .unwrap();
        assert_eq!(summary.removed, 1);
        assert_eq!(summary.total, 2);

        let gone = catalog.mirrored_video(ACCOUNT, "a").unwrap().unwrap();
        assert_eq!(gone.change, Some(VideoChange::Removed));
        assert!(gone.removed_at.is_some());

        assert_eq!(catalog.acknowledge_changes(ACCOUNT).unwrap(), 1);
        assert_eq!(catalog.mirrored_video(ACCOUNT, "a").unwrap(), None);
    }

    #[test]
    fn acknowledge_keeps_removed_row_with_file() {
        let (dir, catalog) = open();
        let listed = three_videos();
        catalog
            .apply_sync(ACCOUNT, &listed, &record(SyncMode::Full))
            .unwrap();
        catalog
            .insert_item(&NewItem {
                uid: "a".to_owned(),
                download_type: DownloadType::Default,
                title: "First".to_owned(),
                file_name: "First.mp4".to_owned(),
                path: dir.path().join("First.mp4"),
                bytes: 10,
                sha256: "00".repeat(32),
                video_created: None,
                duration: None,
                creator: None,
            })
            .unwrap();
        catalog
            .apply_sync(ACCOUNT, &listed[..2], &record(SyncMode::Full))
            .unwrap();

        catalog.acknowledge_changes(ACCOUNT).unwrap();
        let kept = catalog.mirrored_video(ACCOUNT, "a").unwrap().unwrap();
        assert_eq!(kept.change, None);
        assert!(kept.removed_at.is_some());
    }

    #[test]
    fn quick_apply_keeps_last_full_sync() {
        let (_dir, catalog) = open();
        catalog
            .apply_sync(ACCOUNT, &three_videos(), &record(SyncMode::Full))
            .unwrap();
        let newer = [video("d", "Fourth", "2024-01-04T00:00:00.000000Z")];
        let summary = catalog
            .apply_sync(ACCOUNT, &newer, &record(SyncMode::Quick))
            .unwrap();
        assert_eq!(summary.mode, SyncMode::Quick);
        assert_eq!(summary.total, 4);
        assert_eq!(summary.removed, 0);
        assert!(catalog.mirror_baseline(ACCOUNT).unwrap().synced_fully);
        let added = catalog.mirrored_video(ACCOUNT, "d").unwrap().unwrap();
        assert_eq!(added.change, Some(VideoChange::New));
    }

    #[test]
    fn accounts_are_separate() {
        let (_dir, catalog) = open();
        catalog
            .apply_sync(ACCOUNT, &three_videos(), &record(SyncMode::Full))
            .unwrap();
        catalog
            .apply_sync("account-b", &[], &record(SyncMode::Full))
            .unwrap();
        assert_eq!(catalog.mirrored_videos(ACCOUNT).unwrap().len(), 3);
        assert_eq!(catalog.mirrored_videos("account-b").unwrap().len(), 0);
    }

    #[test]
    fn apply_writes_ten_thousand_rows_fast() {
        let (_dir, catalog) = open();
        let listed: Vec<Video> = (0..10_000)
            .map(|n| {
                video(
                    &format!("{n:032x}"),
                    &format!("Video {n}"),
                    &format!(
                        "2024-01-01T00:00:{:02}.{:06}Z",
                        n / 1_000_000,
                        n % 1_000_000
                    ),
                )
            })
            .collect();
        let started = Instant::now();
        catalog
            .apply_sync(ACCOUNT, &listed, &record(SyncMode::Full))
            .unwrap();
        let first = started.elapsed();
        let started = Instant::now();
        catalog
            .apply_sync(ACCOUNT, &listed, &record(SyncMode::Full))
            .unwrap();
        let second = started.elapsed();
        assert_eq!(catalog.mirrored_videos(ACCOUNT).unwrap().len(), 10_000);
        // Debug builds are several times slower than release, so this bound is loose; the
        // benchmark measures the release build.
        assert!(first.as_millis() < 2_000, "first write took {first:?}");
        assert!(second.as_millis() < 2_000, "second write took {second:?}");
    }
}
