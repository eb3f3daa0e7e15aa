//! The emulator's in-memory library: videos, their downloads and scripted faults.
//!
//! Invariants: every video in `videos` has exactly one `(created, uid)` entry in `order`, so
//! listing is a walk over a sorted set. `created` values carry whole microseconds, like the
//! real API's timestamps, so a value echoed back as a list bound compares equal. Download
//! progress is not stored but derived from the time since creation, so no timer task is needed.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use bytes::Bytes;

use crate::config::Bounds;
use crate::media::MediaFile;
use crate::model::{
    Caption, DownloadScript, DownloadStatus, DownloadType, VideoState, VideoSummary,
};

/// Duration from which a live recording gets no downloads: 4 hours, in seconds. The real
/// service prepares MP4 downloads only for live recordings shorter than that.
pub const LIVE_DOWNLOAD_MAX_SECONDS: f64 = 4.0 * 3600.0;

/// A video with everything the API and the delivery host need.
#[derive(Debug, Clone)]
pub(crate) struct Video {
    pub uid: String,
    pub name: Option<String>,
    pub filename: Option<String>,
    pub creator: Option<String>,
    pub created: OffsetDateTime,
    pub modified: OffsetDateTime,
    pub ready_at: Option<OffsetDateTime>,
    pub state: VideoState,
    pub duration: Option<f64>,
    pub dimensions: Option<(u32, u32)>,
    pub require_signed_urls: bool,
    pub media: MediaFile,
    pub audio: Option<MediaFile>,
    pub thumbnail: Bytes,
    pub captions: Vec<Caption>,
    pub live_input: Option<String>,
    pub downloads: BTreeMap<DownloadType, Download>,
}

impl Video {
    /// Returns the media delivered for a download type.
    pub fn media_for(&self, kind: DownloadType) -> Option<&MediaFile> {
        match kind {
            DownloadType::Default => Some(&self.media),
            DownloadType::Audio => self.audio.as_ref(),
        }
    }

    /// Returns true for a live recording of [`LIVE_DOWNLOAD_MAX_SECONDS`] or more.
    pub fn is_long_live_recording(&self) -> bool {
        self.live_input.is_some()
            && self
                .duration
                .is_some_and(|seconds| seconds >= LIVE_DOWNLOAD_MAX_SECONDS)
    }

    /// Returns the caption track for a language tag, compared without regard to ASCII case
    /// because BCP 47 tags are case-insensitive.
    pub fn caption(&self, language: &str) -> Option<&Caption> {
        self.captions
            .iter()
            .find(|caption| caption.language.eq_ignore_ascii_case(language))
    }

    pub fn summary(&self) -> VideoSummary {
        VideoSummary {
            uid: self.uid.clone(),
            name: self.name.clone(),
            created: self.created,
            state: self.state,
        }
    }
}

/// One created download; its progress is a function of the time since `started`.
#[derive(Debug, Clone)]
pub(crate) struct Download {
    started: Instant,
    started_at: OffsetDateTime,
    script: Option<DownloadScript>,
}

/// Download state at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Progress {
    pub status: DownloadStatus,
    /// 0–100, rounded to one decimal place.
    pub percent: f64,
}

impl Download {
    fn new(script: Option<DownloadScript>) -> Self {
        Self {
            started: Instant::now(),
            started_at: now_micros(),
            script,
        }
    }

    /// Computes the state at `now` for a preparation time of `prepare`.
    pub fn progress(&self, now: Instant, prepare: Duration) -> Progress {
        let elapsed = now.saturating_duration_since(self.started);
        let raw = if prepare.is_zero() {
            100.0
        } else {
            (elapsed.as_secs_f64() / prepare.as_secs_f64() * 100.0).min(100.0)
        };
        let rounded = |percent: f64| (percent * 10.0).floor() / 10.0;

        match &self.script {
            Some(DownloadScript::Fail { at_percent, .. }) if raw >= *at_percent => Progress {
                status: DownloadStatus::Error,
                percent: rounded(*at_percent),
            },
            Some(DownloadScript::Stall { at_percent }) => Progress {
                status: DownloadStatus::InProgress,
                percent: rounded(raw.min(*at_percent)),
            },
            _ if raw >= 100.0 => Progress {
                status: DownloadStatus::Ready,
                percent: 100.0,
            },
            _ => Progress {
                status: DownloadStatus::InProgress,
                percent: rounded(raw),
            },
        }
    }

    /// Returns the wall-clock time the download became (or becomes) ready.
    pub fn ready_since(&self, prepare: Duration) -> OffsetDateTime {
        self.started_at + prepare
    }

    /// Returns the scripted failure reason, if any.
    pub fn failure_reason(&self) -> Option<&str> {
        match &self.script {
            Some(DownloadScript::Fail { reason, .. }) => Some(reason),
            _ => None,
        }
    }
}

/// Reason a download could not be created.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CreateDownloadError {
    VideoNotFound,
    VideoNotReady(VideoState),
    NoAudio,
    /// A live recording of [`LIVE_DOWNLOAD_MAX_SECONDS`] or more, with its duration in seconds.
    LiveRecordingTooLong(f64),
}

/// Filters, bounds and page size of one list request.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListQuery {
    pub ascending: bool,
    pub before: Option<OffsetDateTime>,
    pub after: Option<OffsetDateTime>,
    pub limit: usize,
    /// Lowercased `search` text.
    pub search: Option<String>,
    pub creator: Option<String>,
    pub status: Option<VideoState>,
    pub video_name: Option<String>,
}

impl ListQuery {
    fn matches_filters(&self, video: &Video) -> bool {
        if let Some(search) = &self.search {
            let name = video.name.as_deref().unwrap_or_default().to_lowercase();
            if !name.contains(search.as_str()) {
                return false;
            }
        }
        if self.creator.is_some() && video.creator != self.creator {
            return false;
        }
        if self.status.is_some_and(|status| status != video.state) {
            return false;
        }
        if self.video_name.is_some() && video.name != self.video_name {
            return false;
        }
        true
    }

    fn within_bounds(&self, created: OffsetDateTime, bounds: Bounds) -> bool {
        let before_ok = self.before.is_none_or(|before| match bounds {
            Bounds::Exclusive => created < before,
            Bounds::Inclusive => created <= before,
        });
        let after_ok = self.after.is_none_or(|after| match bounds {
            Bounds::Exclusive => created > after,
            Bounds::Inclusive => created >= after,
        });
        before_ok && after_ok
    }
}

/// One page of a list request.
#[derive(Debug, Clone)]
pub(crate) struct ListPage {
    pub videos: Vec<Video>,
    /// Videos matching the filters, ignoring the `before`/`after` bounds.
    pub total: usize,
    /// Videos matching the filters and bounds that did not fit on this page.
    pub remaining: usize,
}

/// All videos, ordered by `(created, uid)`.
#[derive(Debug, Default)]
pub(crate) struct Store {
    videos: HashMap<String, Video>,
    order: BTreeSet<(OffsetDateTime, String)>,
    pending_scripts: HashMap<(String, DownloadType), DownloadScript>,
}

impl Store {
    pub fn insert(&mut self, video: Video) {
        if let Some(old) = self.videos.get(&video.uid) {
            self.order.remove(&(old.created, old.uid.clone()));
        }
        self.order.insert((video.created, video.uid.clone()));
        self.videos.insert(video.uid.clone(), video);
    }

    pub fn remove(&mut self, uid: &str) -> bool {
        let Some(video) = self.videos.remove(uid) else {
            return false;
        };
        self.order.remove(&(video.created, video.uid));
        self.pending_scripts
            .retain(|(script_uid, _), _| script_uid != uid);
        true
    }

    pub fn get(&self, uid: &str) -> Option<&Video> {
        self.videos.get(uid)
    }

    pub fn len(&self) -> usize {
        self.videos.len()
    }

    /// Returns summaries of all videos, newest first.
    pub fn summaries(&self) -> Vec<VideoSummary> {
        self.order
            .iter()
            .rev()
            .map(|(_, uid)| self.videos[uid].summary())
            .collect()
    }

    /// Sets `meta.name` (`None` removes it) and bumps `modified`, as an edit through the API
    /// would; returns false for an unknown uid.
    pub fn rename(&mut self, uid: &str, name: Option<String>) -> bool {
        let Some(video) = self.videos.get_mut(uid) else {
            return false;
        };
        video.name = name;
        video.modified = now_micros();
        true
    }

    /// Replaces the caption tracks. Returns false for an unknown uid.
    pub fn set_captions(&mut self, uid: &str, captions: Vec<Caption>) -> bool {
        let Some(video) = self.videos.get_mut(uid) else {
            return false;
        };
        video.captions = captions;
        true
    }

    pub fn set_state(&mut self, uid: &str, state: VideoState) -> bool {
        let Some(video) = self.videos.get_mut(uid) else {
            return false;
        };
        let now = now_micros();
        video.state = state;
        video.modified = now;
        if state == VideoState::Ready && video.ready_at.is_none() {
            video.ready_at = Some(now);
        }
        true
    }

    /// Selects one page of videos; see [`ListPage`] for what the counts mean.
    pub fn list(&self, query: &ListQuery, bounds: Bounds) -> ListPage {
        let keys: Box<dyn Iterator<Item = &(OffsetDateTime, String)>> = if query.ascending {
            Box::new(self.order.iter())
        } else {
            Box::new(self.order.iter().rev())
        };

        let mut videos = Vec::new();
        let mut total = 0;
        let mut in_bounds = 0;
        for (created, uid) in keys {
            let video = &self.videos[uid];
            if !query.matches_filters(video) {
                continue;
            }
            total += 1;
            if !query.within_bounds(*created, bounds) {
                continue;
            }
            in_bounds += 1;
            if videos.len() < query.limit {
                videos.push(video.clone());
            }
        }

        ListPage {
            remaining: in_bounds - videos.len(),
            videos,
            total,
        }
    }

    /// Creates a download, or leaves an existing one untouched (a repeated POST does not
    /// restart preparation).
    pub fn create_download(
        &mut self,
        uid: &str,
        kind: DownloadType,
    ) -> Result<(), CreateDownloadError> {
        let video = self
            .videos
            .get_mut(uid)
            .ok_or(CreateDownloadError::VideoNotFound)?;
        if video.state != VideoState::Ready {
            return Err(CreateDownloadError::VideoNotReady(video.state));
        }
        if video.is_long_live_recording() {
            let seconds = video.duration.unwrap_or_default();
            return Err(CreateDownloadError::LiveRecordingTooLong(seconds));
        }
        if video.media_for(kind).is_none() {
            return Err(CreateDownloadError::NoAudio);
        }

        if let Entry::Vacant(slot) = video.downloads.entry(kind) {
            let script = self.pending_scripts.remove(&(uid.to_owned(), kind));
            slot.insert(Download::new(script));
        }
        Ok(())
    }

    /// Deletes a download; returns `None` for an unknown video and `Some(existed)` otherwise.
    pub fn delete_download(&mut self, uid: &str, kind: DownloadType) -> Option<bool> {
        let video = self.videos.get_mut(uid)?;
        Some(video.downloads.remove(&kind).is_some())
    }

    /// Attaches a fault to the current download of that type, or to the next one created.
    pub fn script_download(
        &mut self,
        uid: &str,
        kind: DownloadType,
        script: DownloadScript,
    ) -> bool {
        let Some(video) = self.videos.get_mut(uid) else {
            return false;
        };
        match video.downloads.get_mut(&kind) {
            Some(download) => download.script = Some(script),
            None => {
                self.pending_scripts.insert((uid.to_owned(), kind), script);
            }
        }
        true
    }
}

/// Returns the current UTC time truncated to whole microseconds.
pub(crate) fn now_micros() -> OffsetDateTime {
    truncate_to_micros(OffsetDateTime::now_utc())
}

/// Drops sub-microsecond digits and converts to UTC, matching the wire precision.
pub(crate) fn truncate_to_micros(time: OffsetDateTime) -> OffsetDateTime {
    let utc = time.to_offset(time::UtcOffset::UTC);
    let nanos = utc.nanosecond();
    utc.replace_nanosecond(nanos - nanos % 1000)
        .expect("a truncated nanosecond value stays in range")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn video(uid: &str, name: &str, created: OffsetDateTime) -> Video {
        Video {
            uid: uid.to_owned(),
            name: Some(name.to_owned()),
            filename: None,
            creator: None,
            created,
            modified: created,
            ready_at: Some(created),
            state: VideoState::Ready,
            duration: Some(1.0),
            dimensions: None,
            require_signed_urls: false,
            media: MediaFile::from_bytes(&b"x"[..]),
            audio: None,
            thumbnail: Bytes::new(),
            captions: Vec::new(),
            live_input: None,
            downloads: BTreeMap::new(),
        }
    }

    fn store_of_three() -> Store {
        let mut store = Store::default();
        store.insert(video("a", "Alpha", datetime!(2024-01-01 00:00 UTC)));
        store.insert(video("b", "Beta", datetime!(2024-01-02 00:00 UTC)));
        store.insert(video("c", "Gamma", datetime!(2024-01-03 00:00 UTC)));
        store
    }

    fn uids(page: &ListPage) -> Vec<&str> {
        page.videos.iter().map(|v| v.uid.as_str()).collect()
    }

    #[test]
    fn progress_rises_then_ready() {
        let download = Download::new(None);
        let prepare = Duration::from_secs(10);

        let early = download.progress(download.started + Duration::from_secs(3), prepare);
        let late = download.progress(download.started + Duration::from_secs(11), prepare);

        assert_eq!(
            early,
            Progress {
                status: DownloadStatus::InProgress,
                percent: 30.0
            }
        );
        assert_eq!(
            late,
            Progress {
                status: DownloadStatus::Ready,
                percent: 100.0
            }
        );
    }

    #[test]
    fn progress_fail_script_errors_at_percent() {
        let script = DownloadScript::Fail {
            at_percent: 80.0,
            reason: "disk full".to_owned(),
        };
        let download = Download::new(Some(script));

        let progress = download.progress(
            download.started + Duration::from_secs(9),
            Duration::from_secs(10),
        );

        assert_eq!(
            progress,
            Progress {
                status: DownloadStatus::Error,
                percent: 80.0
            }
        );
    }

    #[test]
    fn progress_stall_script_never_ready() {
        let download = Download::new(Some(DownloadScript::Stall { at_percent: 37.0 }));

        let progress = download.progress(
            download.started + Duration::from_secs(60),
            Duration::from_secs(1),
        );

        assert_eq!(
            progress,
            Progress {
                status: DownloadStatus::InProgress,
                percent: 37.0
            }
        );
    }

    #[test]
    fn list_default_newest_first() {
        let store = store_of_three();
        let query = ListQuery {
            limit: 10,
            ..ListQuery::default()
        };

        let page = store.list(&query, Bounds::Exclusive);

        assert_eq!(uids(&page), ["c", "b", "a"]);
    }

    #[test]
    fn list_bounds_exclusive_and_inclusive() {
        let store = store_of_three();
        let query = ListQuery {
            limit: 10,
            before: Some(datetime!(2024-01-03 00:00 UTC)),
            after: Some(datetime!(2024-01-01 00:00 UTC)),
            ..ListQuery::default()
        };

        let exclusive = store.list(&query, Bounds::Exclusive);
        let inclusive = store.list(&query, Bounds::Inclusive);

        assert_eq!(uids(&exclusive), ["b"]);
        assert_eq!(uids(&inclusive), ["c", "b", "a"]);
    }

    #[test]
    fn list_counts_remaining_and_total() {
        let store = store_of_three();
        let query = ListQuery {
            limit: 1,
            before: Some(datetime!(2024-01-03 00:00 UTC)),
            ..ListQuery::default()
        };

        let page = store.list(&query, Bounds::Exclusive);

        assert_eq!(uids(&page), ["b"]);
        assert_eq!(page.remaining, 1);
        assert_eq!(page.total, 3);
    }

    #[test]
    fn create_download_twice_keeps_first() {
        let mut store = store_of_three();
        store.create_download("a", DownloadType::Default).unwrap();
        let first = store.get("a").unwrap().downloads[&DownloadType::Default].started;

        store.create_download("a", DownloadType::Default).unwrap();

        let second = store.get("a").unwrap().downloads[&DownloadType::Default].started;
        assert_eq!(first, second);
    }

    #[test]
    fn create_audio_download_without_audio() {
        let mut store = store_of_three();

        let result = store.create_download("a", DownloadType::Audio);

        assert_eq!(result, Err(CreateDownloadError::NoAudio));
    }

    #[test]
    fn pending_script_applies_to_next_download_once() {
        let mut store = store_of_three();
        let script = DownloadScript::Stall { at_percent: 5.0 };
        store.script_download("a", DownloadType::Default, script);

        store.create_download("a", DownloadType::Default).unwrap();
        let scripted = store.get("a").unwrap().downloads[&DownloadType::Default]
            .script
            .is_some();
        store.delete_download("a", DownloadType::Default);
        store.create_download("a", DownloadType::Default).unwrap();
        let retried = store.get("a").unwrap().downloads[&DownloadType::Default]
            .script
            .is_some();

        assert!(scripted);
        assert!(!retried);
    }

    #[test]
    fn truncate_drops_nanoseconds() {
        let time = datetime!(2024-01-01 00:00:00.123456789 UTC);

        assert_eq!(
            truncate_to_micros(time),
            datetime!(2024-01-01 00:00:00.123456 UTC)
        );
    }
}
