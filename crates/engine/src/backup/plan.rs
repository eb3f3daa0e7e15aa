//! The estimate of a bulk backup, computed from the catalog's mirror of the account's video
//! list and from the library, without any API call.
//!
//! Each selected video lands in exactly one list of the [`BackupEstimate`]:
//! - `skipped`: a library item of the same uid and download type whose file exists with the
//!   catalogued size. This comes first, because the video is safe offline whatever its state
//!   on Stream.
//! - `unavailable`: gone from Stream at the last sync, processing failed, still processing, or a
//!   live recording of 4 hours or more (Stream offers no MP4 for those).
//! - `to_download`: everything else.

use std::collections::HashSet;

use offstream_stream::{DownloadType, Video, VideoState};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime};
use tracing::debug;

use super::types::{BackupCandidate, BackupEstimate, BackupReason, BackupSelection};
use crate::catalog::{Catalog, LibraryItem};
use crate::error::EngineError;

/// Length from which a live recording gets no MP4 download: 4 hours, in seconds. Stream
/// offers MP4 downloads only for live recordings shorter than that.
pub const LIVE_RECORDING_MAX_SECS: f64 = 4.0 * 3600.0;

/// Number of unknown uids a selection error names before it only counts the rest.
const UNKNOWN_UIDS_SHOWN: usize = 5;

/// Computes what backing up `selection` would do: the matching videos of the mirror, which of
/// them are downloaded, skipped or unavailable, their total size and the billed minutes.
///
/// Reads only the catalog: run a sync first for a current picture.
///
/// # Errors
/// [`EngineError::Config`] for a `since` or `until` value that is not a date, for `since`
/// after `until`, or for selected uids that the mirror does not contain;
/// [`EngineError::Catalog`] when the catalog cannot be read.
pub fn estimate_backup(
    catalog: &Catalog,
    account_id: &str,
    selection: &BackupSelection,
    download_type: DownloadType,
) -> Result<BackupEstimate, EngineError> {
    let filter = Filter::parse(selection)?;
    let mirrored = catalog.mirrored_videos(account_id)?;
    if let Some(wanted) = &filter.uids {
        check_known(wanted, mirrored.iter().map(|mirrored| &mirrored.video))?;
    }
    let offline = offline_items(catalog, download_type)?;

    let mut estimate = BackupEstimate {
        download_type,
        selection: selection.clone(),
        selected: 0,
        to_download: Vec::new(),
        skipped: Vec::new(),
        unavailable: Vec::new(),
        total_bytes: 0,
        billed_minutes: 0.0,
        unknown_durations: 0,
    };
    for mirrored in &mirrored {
        let video = &mirrored.video;
        if !filter.matches(video) {
            continue;
        }
        estimate.selected += 1;

        let removed = mirrored.removed_at.is_some();
        if offline.contains(video.uid.as_str()) {
            let candidate = candidate(video, Some(BackupReason::AlreadyOffline), None);
            estimate.skipped.push(candidate);
        } else if let Some((reason, detail)) = unavailable_reason(video, removed) {
            estimate
                .unavailable
                .push(candidate(video, Some(reason), detail));
        } else {
            estimate.total_bytes += video.size.unwrap_or(0);
            match video.duration {
                Some(seconds) => estimate.billed_minutes += seconds / 60.0,
                None => estimate.unknown_durations += 1,
            }
            estimate.to_download.push(candidate(video, None, None));
        }
    }

    debug!(
        account_id,
        selected = estimate.selected,
        to_download = estimate.to_download.len(),
        skipped = estimate.skipped.len(),
        unavailable = estimate.unavailable.len(),
        "backup estimated"
    );
    Ok(estimate)
}

/// Checks a selection's dates without reading the catalog, so a caller can reject bad input
/// before it syncs or calls the API.
///
/// # Errors
/// As [`estimate_backup`] for the `since` and `until` values.
pub fn check_selection(selection: &BackupSelection) -> Result<(), EngineError> {
    Filter::parse(selection).map(|_| ())
}

/// Returns why a video cannot be downloaded, with Stream's own words for a processing error.
fn unavailable_reason(video: &Video, removed: bool) -> Option<(BackupReason, Option<String>)> {
    if removed {
        return Some((BackupReason::RemovedFromStream, None));
    }
    if video.status.state == VideoState::Error {
        let detail = video
            .status
            .error_reason_text
            .clone()
            .or_else(|| video.status.error_reason_code.clone());
        return Some((BackupReason::ProcessingFailed, detail));
    }
    if !video.ready_to_stream {
        return Some((BackupReason::NotReady, None));
    }
    let too_long = video
        .duration
        .is_some_and(|seconds| seconds >= LIVE_RECORDING_MAX_SECS);
    if video.live_input.is_some() && too_long {
        return Some((BackupReason::LiveRecordingTooLong, None));
    }
    None
}

fn candidate(
    video: &Video,
    reason: Option<BackupReason>,
    detail: Option<String>,
) -> BackupCandidate {
    BackupCandidate {
        uid: video.uid.clone(),
        title: video.display_name().to_owned(),
        created: video.created.clone(),
        duration: video.duration,
        size: video.size,
        reason,
        detail,
    }
}

/// Returns the uids whose file of `download_type` is in the library: the item's file exists
/// and has the catalogued size. A file that shrank or vanished is downloaded again.
fn offline_items(
    catalog: &Catalog,
    download_type: DownloadType,
) -> Result<HashSet<String>, EngineError> {
    let items = catalog.items()?;
    let offline = items
        .into_iter()
        .filter(|item| item.download_type == download_type && file_is_intact(item))
        .map(|item| item.uid)
        .collect();
    Ok(offline)
}

fn file_is_intact(item: &LibraryItem) -> bool {
    std::fs::metadata(&item.path)
        .is_ok_and(|metadata| metadata.is_file() && metadata.len() == item.bytes)
}

/// Fails when a selected uid is not in the mirror, naming the first few.
fn check_known<'a>(
    wanted: &HashSet<String>,
    mirrored: impl Iterator<Item = &'a Video>,
) -> Result<(), EngineError> {
    let known: HashSet<&str> = mirrored.map(|video| video.uid.as_str()).collect();
    let mut unknown: Vec<&str> = wanted
        .iter()
        .map(String::as_str)
        .filter(|uid| !known.contains(uid))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    unknown.sort_unstable();

    let shown: Vec<String> = unknown
        .iter()
        .take(UNKNOWN_UIDS_SHOWN)
        .map(|uid| format!("'{uid}'"))
        .collect();
    let more = match unknown.len().saturating_sub(UNKNOWN_UIDS_SHOWN) {
        0 => String::new(),
        rest => format!(" and {rest} more"),
    };
    Err(EngineError::Config(format!(
        "the selected videos {}{more} are not in the synced video list of this account: sync the list, then select again",
        shown.join(", ")
    )))
}

/// A parsed [`BackupSelection`].
#[derive(Debug, Default)]
struct Filter {
    uids: Option<HashSet<String>>,
    /// Lowercased search text.
    search: Option<String>,
    /// Inclusive lower bound of `created`.
    since: Option<OffsetDateTime>,
    /// Exclusive upper bound of `created`.
    until: Option<OffsetDateTime>,
    creator: Option<String>,
}

impl Filter {
    fn parse(selection: &BackupSelection) -> Result<Self, EngineError> {
        let since = non_blank(selection.since.as_deref())
            .map(|value| parse_bound("since", value, Bound::Start))
            .transpose()?;
        let until = non_blank(selection.until.as_deref())
            .map(|value| parse_bound("until", value, Bound::End))
            .transpose()?;
        if let (Some(since), Some(until)) = (since, until) {
            if since >= until {
                return Err(EngineError::Config(format!(
                    "the since value '{}' is not before the until value '{}': swap them or widen the range",
                    selection.since.as_deref().unwrap_or_default().trim(),
                    selection.until.as_deref().unwrap_or_default().trim()
                )));
            }
        }

        Ok(Self {
            uids: selection.uids.as_ref().map(|uids| {
                uids.iter()
                    .map(|uid| uid.trim().to_owned())
                    .filter(|uid| !uid.is_empty())
                    .collect()
            }),
            search: non_blank(selection.search.as_deref()).map(str::to_lowercase),
            since,
            until,
            creator: non_blank(selection.creator.as_deref()).map(str::to_owned),
        })
    }

    fn matches(&self, video: &Video) -> bool {
        if let Some(uids) = &self.uids {
            if !uids.contains(&video.uid) {
                return false;
            }
        }
        if let Some(search) = &self.search {
            if !video.display_name().to_lowercase().contains(search) {
                return false;
            }
        }
        if let Some(creator) = &self.creator {
            if video.creator.as_deref() != Some(creator.as_str()) {
                return false;
            }
        }
        if self.since.is_none() && self.until.is_none() {
            return true;
        }

        let Ok(created) = OffsetDateTime::parse(&video.created, &Rfc3339) else {
            debug!(uid = %video.uid, created = %video.created, "the creation time does not parse; the date filter leaves the video out");
            return false;
        };
        self.since.is_none_or(|since| created >= since)
            && self.until.is_none_or(|until| created < until)
    }
}

/// Which end of a range a value bounds, which decides what a bare date means.
#[derive(Debug, Clone, Copy)]
enum Bound {
    /// A date means its start (00:00 UTC).
    Start,
    /// A date means its end: the bound is the start of the next day, exclusive.
    End,
}

/// Parses an RFC 3339 time, or a date `YYYY-MM-DD` taken in UTC.
fn parse_bound(name: &str, value: &str, bound: Bound) -> Result<OffsetDateTime, EngineError> {
    let value = value.trim();
    if let Ok(time) = OffsetDateTime::parse(value, &Rfc3339) {
        return Ok(time);
    }
    let date = Date::parse(value, format_description!("[year]-[month]-[day]")).map_err(|_| {
        EngineError::Config(format!(
            "the {name} value '{value}' is not a valid date: use a date such as 2024-05-31 or an RFC 3339 time such as 2024-05-31T12:00:00Z"
        ))
    })?;
    let start = date.midnight().assume_utc();
    Ok(match bound {
        Bound::Start => start,
        Bound::End => start + Duration::days(1),
    })
}

fn non_blank(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|value| !value.is_empty())
}

/// Seeds the mirror for unit tests through a second connection to the catalog file, as the
/// sync would fill it.
#[cfg(test)]
pub(crate) mod seed {
    use offstream_stream::{Video, VideoStatus};
    use rusqlite::{params, Connection};

    use crate::catalog::Catalog;

    /// Returns a ready video with a name, a creator, a duration and a size.
    pub fn video(uid: &str, name: &str, created: &str) -> Video {
        let mut meta = serde_json::Map::new();
        meta.insert("name".to_owned(), name.into());
        Video {
            uid: uid.to_owned(),
            meta,
            creator: Some("creator-1".to_owned()),
            created: created.to_owned(),
            modified: None,
            duration: Some(120.0),
            size: Some(1000),
            ready_to_stream: true,
            require_signed_urls: false,
            status: VideoStatus {
                state: offstream_stream::VideoState::Ready,
                ..VideoStatus::default()
            },
            thumbnail: None,
            live_input: None,
        }
    }

    /// Inserts videos into the mirror of `account`, optionally marked as removed.
    pub fn insert(catalog: &Catalog, account: &str, videos: &[(Video, bool)]) {
        let connection = Connection::open(catalog.path()).unwrap();
        for (video, removed) in videos {
            let removed_at = removed.then_some("2024-06-01T00:00:00Z");
            connection
                .execute(
                    "INSERT INTO videos (account_id, uid, name, creator, created, modified,
                        duration, size, state, ready_to_stream, require_signed_urls, live_input,
                        video_json, first_seen, last_seen, change, removed_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,
                        '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', ?14, ?15)",
                    params![
                        account,
                        video.uid,
                        video.display_name(),
                        video.creator,
                        video.created,
                        video.modified,
                        video.duration,
                        video.size.map(|size| size as i64),
                        video.status.state.as_str(),
                        video.ready_to_stream,
                        video.require_signed_urls,
                        video.live_input,
                        serde_json::to_string(video).unwrap(),
                        removed.then_some("removed"),
                        removed_at,
                    ],
                )
                .unwrap();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use offstream_stream::VideoState;

    use super::seed::{insert, video};
    use super::*;
    use crate::catalog::NewItem;

    const ACCOUNT: &str = "acct";

    fn open() -> (tempfile::TempDir, Catalog) {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(dir.path()).unwrap();
        (dir, catalog)
    }

    fn estimate(catalog: &Catalog, selection: &BackupSelection) -> BackupEstimate {
        estimate_backup(catalog, ACCOUNT, selection, DownloadType::Default).unwrap()
    }

    fn uids(candidates: &[BackupCandidate]) -> Vec<&str> {
        candidates.iter().map(|c| c.uid.as_str()).collect()
    }

    fn add_offline(catalog: &Catalog, dir: &Path, uid: &str, bytes: u64, file_len: Option<usize>) {
        let path = dir.join(format!("{uid}.mp4"));
        if let Some(len) = file_len {
            std::fs::write(&path, vec![0u8; len]).unwrap();
        }
        catalog
            .insert_item(&NewItem {
                uid: uid.to_owned(),
                download_type: DownloadType::Default,
                title: uid.to_owned(),
                file_name: format!("{uid}.mp4"),
                path,
                bytes,
                sha256: "00".repeat(32),
                video_created: None,
                duration: None,
                creator: None,
            })
            .unwrap();
    }

    #[test]
    fn estimate_sums_sizes_and_minutes() {
        let (_dir, catalog) = open();
        let mut unknown = video("c", "Unknown length", "2024-03-01T00:00:00Z");
        unknown.duration = None;
        insert(
            &catalog,
            ACCOUNT,
            &[
                (video("a", "A", "2024-01-01T00:00:00Z"), false),
                (video("b", "B", "2024-02-01T00:00:00Z"), false),
                (unknown, false),
            ],
        );

        let estimate = estimate(&catalog, &BackupSelection::default());
        assert_eq!(estimate.selected, 3);
        assert_eq!(estimate.to_download.len(), 3);
        assert_eq!(estimate.total_bytes, 3000);
        assert!(
            (estimate.billed_minutes - 4.0).abs() < 1e-9,
            "{}",
            estimate.billed_minutes
        );
        assert_eq!(estimate.unknown_durations, 1);
    }

    #[test]
    fn estimate_classifies_unavailable() {
        let (_dir, catalog) = open();
        let mut failed = video("err", "Broken", "2024-01-01T00:00:00Z");
        failed.status.state = VideoState::Error;
        failed.status.error_reason_code = Some("ERR_NON_VIDEO".to_owned());
        failed.status.error_reason_text = Some("The file is not a video".to_owned());
        failed.ready_to_stream = false;
        let mut processing = video("busy", "Busy", "2024-01-02T00:00:00Z");
        processing.status.state = VideoState::Inprogress;
        processing.ready_to_stream = false;
        let mut long_live = video("live", "Long live", "2024-01-03T00:00:00Z");
        long_live.live_input = Some("input-1".to_owned());
        long_live.duration = Some(LIVE_RECORDING_MAX_SECS);
        let mut short_live = video("short", "Short live", "2024-01-04T00:00:00Z");
        short_live.live_input = Some("input-1".to_owned());
        short_live.duration = Some(LIVE_RECORDING_MAX_SECS - 1.0);
        insert(
            &catalog,
            ACCOUNT,
            &[
                (failed, false),
                (processing, false),
                (long_live, false),
                (short_live, false),
                (video("gone", "Gone", "2024-01-05T00:00:00Z"), true),
            ],
        );

        let estimate = estimate(&catalog, &BackupSelection::default());
        let reasons: HashMap<&str, (Option<BackupReason>, Option<&str>)> = estimate
            .unavailable
            .iter()
            .map(|c| (c.uid.as_str(), (c.reason, c.detail.as_deref())))
            .collect();
        assert_eq!(
            reasons["err"],
            (
                Some(BackupReason::ProcessingFailed),
                Some("The file is not a video")
            )
        );
        assert_eq!(reasons["busy"], (Some(BackupReason::NotReady), None));
        assert_eq!(
            reasons["live"],
            (Some(BackupReason::LiveRecordingTooLong), None)
        );
        assert_eq!(
            reasons["gone"],
            (Some(BackupReason::RemovedFromStream), None)
        );
        assert_eq!(uids(&estimate.to_download), ["short"]);
        assert_eq!(estimate.selected, 5);
    }

    #[test]
    fn estimate_skips_intact_library_files() {
        let (dir, catalog) = open();
        insert(
            &catalog,
            ACCOUNT,
            &[
                (video("kept", "Kept", "2024-01-01T00:00:00Z"), false),
                (video("short", "Shrunk", "2024-01-02T00:00:00Z"), false),
                (video("lost", "Lost", "2024-01-03T00:00:00Z"), false),
                (video("gone", "Gone but kept", "2024-01-04T00:00:00Z"), true),
            ],
        );
        add_offline(&catalog, dir.path(), "kept", 10, Some(10));
        add_offline(&catalog, dir.path(), "short", 10, Some(5));
        add_offline(&catalog, dir.path(), "lost", 10, None);
        add_offline(&catalog, dir.path(), "gone", 10, Some(10));

        let estimate = estimate(&catalog, &BackupSelection::default());
        assert_eq!(uids(&estimate.skipped), ["gone", "kept"]);
        assert_eq!(
            estimate.skipped[0].reason,
            Some(BackupReason::AlreadyOffline)
        );
        assert_eq!(uids(&estimate.to_download), ["lost", "short"]);
    }

    #[test]
    fn estimate_skip_depends_on_type() {
        let (dir, catalog) = open();
        insert(
            &catalog,
            ACCOUNT,
            &[(video("a", "A", "2024-01-01T00:00:00Z"), false)],
        );
        add_offline(&catalog, dir.path(), "a", 10, Some(10));

        let audio = estimate_backup(
            &catalog,
            ACCOUNT,
            &BackupSelection::default(),
            DownloadType::Audio,
        )
        .unwrap();
        assert_eq!(uids(&audio.to_download), ["a"]);
    }

    #[test]
    fn selection_filters_combine() {
        let (_dir, catalog) = open();
        let mut other_creator = video("d", "Keynote draft", "2024-05-10T00:00:00Z");
        other_creator.creator = Some("creator-2".to_owned());
        insert(
            &catalog,
            ACCOUNT,
            &[
                (video("a", "KEYNOTE 2024", "2024-05-01T00:00:00Z"), false),
                (
                    video("b", "Keynote rehearsal", "2024-05-31T23:59:59.999999Z"),
                    false,
                ),
                (video("c", "keynote late", "2024-06-01T00:00:00Z"), false),
                (other_creator, false),
                (video("e", "Standup", "2024-05-15T00:00:00Z"), false),
            ],
        );

        let selection = BackupSelection {
            search: Some("keyNote".to_owned()),
            since: Some("2024-05-01".to_owned()),
            until: Some("2024-05-31".to_owned()),
            creator: Some("creator-1".to_owned()),
            uids: None,
        };
        assert_eq!(
            uids(&estimate(&catalog, &selection).to_download),
            ["b", "a"]
        );
    }

    #[test]
    fn selection_accepts_rfc3339_bounds() {
        let (_dir, catalog) = open();
        insert(
            &catalog,
            ACCOUNT,
            &[
                (video("a", "A", "2024-05-01T11:59:59Z"), false),
                (video("b", "B", "2024-05-01T12:00:00Z"), false),
                (video("c", "C", "2024-05-01T14:00:00Z"), false),
            ],
        );
        let selection = BackupSelection {
            since: Some("2024-05-01T14:00:00+02:00".to_owned()),
            until: Some("2024-05-01T14:00:00Z".to_owned()),
            ..BackupSelection::default()
        };
        assert_eq!(uids(&estimate(&catalog, &selection).to_download), ["b"]);
    }

    #[test]
    fn selection_by_uids_is_exact() {
        let (_dir, catalog) = open();
        insert(
            &catalog,
            ACCOUNT,
            &[
                (video("a", "A", "2024-01-01T00:00:00Z"), false),
                (video("b", "B", "2024-01-02T00:00:00Z"), false),
            ],
        );
        let selection = BackupSelection {
            uids: Some(vec!["a".to_owned(), " a ".to_owned()]),
            ..BackupSelection::default()
        };
        let estimate = estimate(&catalog, &selection);
        assert_eq!(uids(&estimate.to_download), ["a"]);
        assert_eq!(estimate.selected, 1);
    }

    #[test]
    fn selection_names_unknown_uid() {
        let (_dir, catalog) = open();
        insert(
            &catalog,
            ACCOUNT,
            &[(video("a", "A", "2024-01-01T00:00:00Z"), false)],
        );
        let selection = BackupSelection {
            uids: Some(vec!["a".to_owned(), "zzz".to_owned()]),
            ..BackupSelection::default()
        };
        let error =
            estimate_backup(&catalog, ACCOUNT, &selection, DownloadType::Default).unwrap_err();
        assert_eq!(error.code(), "config");
        assert!(error.to_string().contains("'zzz'"), "{error}");
    }

    #[test]
    fn selection_rejects_bad_date() {
        let selection = BackupSelection {
            since: Some("31/05/2024".to_owned()),
            ..BackupSelection::default()
        };
        let error = check_selection(&selection).unwrap_err();
        assert_eq!(error.code(), "config");
        assert!(
            error.to_string().contains("since value '31/05/2024'"),
            "{error}"
        );
    }

    #[test]
    fn selection_rejects_reversed_range() {
        let selection = BackupSelection {
            since: Some("2024-06-01".to_owned()),
            until: Some("2024-05-01".to_owned()),
            ..BackupSelection::default()
        };
        let error = check_selection(&selection).unwrap_err();
        assert!(error.to_string().contains("not before"), "{error}");
    }

    #[test]
    fn blank_filters_select_everything() {
        let (_dir, catalog) = open();
        insert(
            &catalog,
            ACCOUNT,
            &[(video("a", "A", "2024-01-01T00:00:00Z"), false)],
        );
        let selection = BackupSelection {
            search: Some("  ".to_owned()),
            since: Some(String::new()),
            ..BackupSelection::default()
        };
        assert_eq!(estimate(&catalog, &selection).selected, 1);
    }

    #[test]
    fn estimate_ignores_other_accounts() {
        let (_dir, catalog) = open();
        insert(
            &catalog,
            "other",
            &[(video("a", "A", "2024-01-01T00:00:00Z"), false)],
        );
        assert_eq!(estimate(&catalog, &BackupSelection::default()).selected, 0);
    }
}
