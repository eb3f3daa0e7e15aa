//! One row of the videos view.

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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
