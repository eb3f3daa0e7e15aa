//! The videos view: one row per video, and the cached list the view opens on.

use offstream_engine::sync::{MirroredVideo, SyncSummary, VideoChange};
use offstream_stream::{DownloadType, Video};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A video as the videos view shows it: the API's fields the UI needs, already unpacked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VideoRow {
    pub uid: String,
    /// `meta.name`, or the uid when the video has no name.
    pub name: String,
    pub creator: Option<String>,
    /// Upload time, RFC 3339.
    pub created: String,
    /// Seconds; `null` while unknown.
    pub duration_seconds: Option<f64>,
    /// Bytes of the uploaded original.
    #[ts(type = "number | null")]
    pub size_bytes: Option<u64>,
    /// Processing state as the API names it (`ready`, `inprogress`, `error`, ...).
    pub state: String,
    pub ready_to_stream: bool,
    /// True when playback and downloads need a signed token.
    pub require_signed_urls: bool,
    /// Download types already in the offline library.
    pub offline: Vec<DownloadType>,
    /// The change the latest sync saw, until the user acknowledges it.
    pub change: Option<VideoChange>,
    /// The name before the last rename.
    pub previous_name: Option<String>,
    /// True when the last sync no longer found the video on Stream. The mirror keeps such a
    /// row while a copy of it is offline.
    pub removed: bool,
    /// True for the recording of a live input.
    pub live_input: bool,
    /// Loopback URL of the cached thumbnail (valid for this launch only), or `null` while
    /// none is cached.
    pub thumbnail_url: Option<String>,
}

impl VideoRow {
    /// Builds a row from an API video and the types of it that are already offline.
    pub fn new(video: &Video, offline: Vec<DownloadType>) -> Self {
        Self {
            uid: video.uid.clone(),
            name: video.display_name().to_owned(),
            creator: video.creator.clone(),
            created: video.created.clone(),
            duration_seconds: video.duration,
            size_bytes: video.size,
            state: video.status.state.as_str().to_owned(),
            ready_to_stream: video.ready_to_stream,
            require_signed_urls: video.require_signed_urls,
            offline,
            change: None,
            previous_name: None,
            removed: false,
            live_input: video.live_input.is_some(),
            thumbnail_url: None,
        }
    }

    /// Builds a row from a video of the mirror, with its offline types and the URL of its
    /// cached thumbnail.
    pub fn from_mirror(
        mirrored: &MirroredVideo,
        offline: Vec<DownloadType>,
        thumbnail_url: Option<String>,
    ) -> Self {
        Self {
            change: mirrored.change,
            previous_name: mirrored.previous_name.clone(),
            removed: mirrored.removed_at.is_some(),
            thumbnail_url,
            ..Self::new(&mirrored.video, offline)
        }
    }
}

/// The videos view's list from the mirror, shown at once when the window opens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VideoList {
    /// Newest first; removed videos are included and marked.
    pub videos: Vec<VideoRow>,
    /// The last sync of the account, or `null` when it was never synced.
    pub last_sync: Option<SyncSummary>,
    /// True while a sync of the account runs.
    pub syncing: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mirrored(json: &str) -> MirroredVideo {
        MirroredVideo {
            video: serde_json::from_str(json).unwrap(),
            change: Some(VideoChange::Renamed),
            previous_name: Some("Old".into()),
            first_seen: "2024-01-01T00:00:00Z".into(),
            removed_at: None,
        }
    }

    #[test]
    fn row_uses_uid_without_name() {
        let video: Video = serde_json::from_str(r#"{"uid":"abc","meta":{}}"#).unwrap();
        let row = VideoRow::new(&video, vec![]);
        assert_eq!(row.name, "abc");
    }

    #[test]
    fn row_serializes_camel_case() {
        let video: Video = serde_json::from_str(
            r#"{"uid":"abc","meta":{"name":"Intro"},"requireSignedURLs":true}"#,
        )
        .unwrap();
        let json =
            serde_json::to_value(VideoRow::new(&video, vec![DownloadType::Default])).unwrap();
        assert_eq!(json["requireSignedUrls"], true);
        assert_eq!(json["offline"], serde_json::json!(["default"]));
    }

    #[test]
    fn row_marks_live_recording() {
        let video: Video = serde_json::from_str(r#"{"uid":"abc","liveInput":"li1"}"#).unwrap();
        assert!(VideoRow::new(&video, vec![]).live_input);
    }

    #[test]
    fn mirror_row_keeps_change() {
        let row = VideoRow::from_mirror(&mirrored(r#"{"uid":"abc"}"#), vec![], None);
        let json = serde_json::to_value(row).unwrap();
        assert_eq!(json["change"], "renamed");
        assert_eq!(json["previousName"], "Old");
        assert_eq!(json["removed"], false);
    }

    #[test]
    fn mirror_row_marks_removed() {
        let mut video = mirrored(r#"{"uid":"abc"}"#);
        video.removed_at = Some("2024-02-01T00:00:00Z".into());
        let row = VideoRow::from_mirror(&video, vec![], None);
        assert!(row.removed);
    }

    #[test]
    fn mirror_row_carries_thumbnail_url() {
        let url = "http://127.0.0.1:1/s/thumbnails/abc".to_owned();
        let row = VideoRow::from_mirror(&mirrored(r#"{"uid":"abc"}"#), vec![], Some(url.clone()));
        assert_eq!(row.thumbnail_url, Some(url));
    }
}
