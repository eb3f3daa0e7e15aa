//! The resources the client returns: videos and their downloads.
//!
//! Every field is optional on the wire, so the types default generously and keep unknown
//! fields out of the way. Times stay RFC 3339 strings as sent: they are only compared with
//! each other and echoed back as list cursors, and re-formatting one could shift a cursor.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};
use ts_rs::TS;

use crate::lenient;

/// One video of the account, as `GET /stream` and `GET /stream/{uid}` return it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Video {
    /// The video id.
    pub uid: String,

    /// The free-form `meta` object; `meta.name` is the display name by convention.
    #[serde(default)]
    #[ts(type = "Record<string, unknown>")]
    pub meta: serde_json::Map<String, serde_json::Value>,

    /// The user-defined creator id.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub creator: Option<String>,

    /// Upload time (RFC 3339); the list endpoint pages by this value.
    #[serde(default)]
    pub created: String,

    /// Last modification time (RFC 3339).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub modified: Option<String>,

    /// Duration in seconds; `None` while unknown (the API sends -1).
    #[serde(default, deserialize_with = "lenient::opt_duration")]
    pub duration: Option<f64>,

    /// Size of the uploaded original in bytes.
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    #[ts(type = "number | null")]
    pub size: Option<u64>,

    /// True once at least one quality level can be played.
    #[serde(default, deserialize_with = "lenient::bool_or_false")]
    pub ready_to_stream: bool,

    /// True when playback and downloads need a signed token in place of the uid.
    #[serde(
        default,
        rename = "requireSignedURLs",
        deserialize_with = "lenient::bool_or_false"
    )]
    pub require_signed_urls: bool,

    /// Processing state.
    #[serde(default)]
    pub status: VideoStatus,

    /// Thumbnail URL, absent until encoding completes.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub thumbnail: Option<String>,

    /// Id of the live input that recorded this video, for live recordings.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub live_input: Option<String>,
}

impl Video {
    /// Returns `meta.name` when it is a non-empty string.
    pub fn name(&self) -> Option<&str> {
        self.meta
            .get("name")
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    /// Returns the name to show: `meta.name`, or the uid when the video has none.
    pub fn display_name(&self) -> &str {
        self.name().unwrap_or(&self.uid)
    }
}

/// The `status` object of a video.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VideoStatus {
    /// Processing state.
    #[serde(default)]
    pub state: VideoState,

    /// Percent of processing done. The API sends it as a string such as `"39.000000"`.
    #[serde(default, deserialize_with = "lenient::opt_f64")]
    pub pct_complete: Option<f64>,

    /// Error code such as `ERR_NON_VIDEO`; `None` unless the state is `error`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub error_reason_code: Option<String>,

    /// Human-readable error reason.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub error_reason_text: Option<String>,
}

/// Processing state of a video. States added to the API later are kept as [`VideoState::Other`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum VideoState {
    // The wire name has no hyphen, unlike `live-inprogress`.
    #[serde(rename = "pendingupload")]
    PendingUpload,
    Downloading,
    Queued,
    Inprogress,
    Ready,
    Error,
    LiveInprogress,
    #[default]
    Unknown,
    #[serde(untagged)]
    Other(String),
}

impl VideoState {
    /// Returns the wire name of the state.
    pub fn as_str(&self) -> &str {
        match self {
            Self::PendingUpload => "pendingupload",
            Self::Downloading => "downloading",
            Self::Queued => "queued",
            Self::Inprogress => "inprogress",
            Self::Ready => "ready",
            Self::Error => "error",
            Self::LiveInprogress => "live-inprogress",
            Self::Unknown => "unknown",
            Self::Other(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for VideoState {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let text = Option::<String>::deserialize(de)?.unwrap_or_default();
        Ok(match text.as_str() {
            "pendingupload" => Self::PendingUpload,
            "downloading" => Self::Downloading,
            "queued" => Self::Queued,
            "inprogress" => Self::Inprogress,
            "ready" => Self::Ready,
            "error" => Self::Error,
            "live-inprogress" => Self::LiveInprogress,
            "" => Self::Unknown,
            _ => Self::Other(text),
        })
    }
}

/// The kind of file a download produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum DownloadType {
    /// The MP4 video (`downloads/default.mp4`).
    Default,
    /// The M4A audio track (`downloads/audio.m4a`).
    Audio,
}

impl DownloadType {
    /// Returns the path segment and result key the API uses for this type.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Audio => "audio",
        }
    }

    /// Returns the file extension of the downloaded file, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Default => "mp4",
            Self::Audio => "m4a",
        }
    }
}

impl fmt::Display for DownloadType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DownloadType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "default" | "video" | "mp4" => Ok(Self::Default),
            "audio" | "m4a" => Ok(Self::Audio),
            other => Err(format!(
                "unknown download type '{other}': use 'default' (MP4 video) or 'audio' (M4A)"
            )),
        }
    }
}

/// Generation state of one download.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum DownloadStatus {
    Inprogress,
    Ready,
    Error,
    #[serde(untagged)]
    Other(String),
}

impl<'de> Deserialize<'de> for DownloadStatus {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let text = Option::<String>::deserialize(de)?.unwrap_or_default();
        Ok(match text.as_str() {
            "inprogress" => Self::Inprogress,
            "ready" => Self::Ready,
            "error" => Self::Error,
            _ => Self::Other(text),
        })
    }
}

/// One download of a video: its state and the URL its file will be served from.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Download {
    pub status: DownloadStatus,

    /// Where the file is served once `status` is ready. It is returned as soon as the download
    /// is created, but returns an error page until then.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub url: Option<String>,

    /// Generation progress, 0 to 100.
    #[serde(default, deserialize_with = "lenient::opt_f64")]
    pub percent_complete: Option<f64>,
}

/// The downloads of one video, by type. A type is present only once it was created.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Downloads {
    pub default: Option<Download>,
    pub audio: Option<Download>,
}

impl Downloads {
    /// Returns the download of the given type, if it was created.
    pub fn get(&self, download_type: DownloadType) -> Option<&Download> {
        match download_type {
            DownloadType::Default => self.default.as_ref(),
            DownloadType::Audio => self.audio.as_ref(),
        }
    }
}

impl<'de> Deserialize<'de> for Downloads {
    /// Accepts the documented keyed shape (`{"default": {...}, "audio": {...}}`) and the flat
    /// shape that one generation of the schema described (`{"status", "url", "percentComplete"}`),
    /// which stands for the default download.
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let value = Option::<serde_json::Value>::deserialize(de)?.unwrap_or_default();
        let serde_json::Value::Object(map) = value else {
            return Ok(Self::default());
        };

        if map.contains_key("status") {
            let flat: Download = serde_json::from_value(serde_json::Value::Object(map))
                .map_err(serde::de::Error::custom)?;
            return Ok(Self {
                default: Some(flat),
                audio: None,
            });
        }

        let mut keyed: BTreeMap<String, serde_json::Value> = map.into_iter().collect();
        let mut take = |key: &str| -> Result<Option<Download>, D::Error> {
            match keyed.remove(key) {
                Some(serde_json::Value::Null) | None => Ok(None),
                Some(v) => serde_json::from_value(v)
                    .map(Some)
                    .map_err(serde::de::Error::custom),
            }
        };
        Ok(Self {
            default: take("default")?,
            audio: take("audio")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn video_state_round_trips() {
        for wire in [
            "pendingupload",
            "downloading",
            "queued",
            "inprogress",
            "ready",
            "error",
            "live-inprogress",
            "somethingnew",
        ] {
            let state: VideoState = serde_json::from_value(serde_json::json!(wire)).unwrap();
            assert_eq!(state.as_str(), wire);
            assert_eq!(
                serde_json::to_value(&state).unwrap(),
                serde_json::json!(wire)
            );
        }
    }

    #[test]
    fn video_parses_full_payload() {
        let json = r#"{"uid":"abc","creator":null,"meta":{"name":"clip.mp4"},
            "created":"2024-01-01T00:00:00.000000Z","duration":12.5,"size":1048576,
            "readyToStream":true,"status":{"state":"ready","pctComplete":"100.000000",
            "errorReasonCode":"","errorReasonText":""},"requireSignedURLs":false,
            "newField":{"x":1}}"#;
        let video: Video = serde_json::from_str(json).unwrap();
        assert_eq!(video.name(), Some("clip.mp4"));
        assert_eq!(video.duration, Some(12.5));
        assert_eq!(video.size, Some(1_048_576));
        assert_eq!(video.status.state, VideoState::Ready);
        assert_eq!(video.status.pct_complete, Some(100.0));
        assert_eq!(video.status.error_reason_code, None);
    }

    #[test]
    fn video_maps_unknown_duration() {
        let video: Video = serde_json::from_str(r#"{"uid":"a","duration":-1}"#).unwrap();
        assert_eq!(video.duration, None);
    }

    #[test]
    fn video_accepts_nulls() {
        let json = r#"{"uid":"a","meta":{},"duration":null,"size":null,"readyToStream":null,
            "requireSignedURLs":null,"status":{"state":null,"pctComplete":null}}"#;
        let video: Video = serde_json::from_str(json).unwrap();
        assert_eq!(video.display_name(), "a");
        assert!(!video.ready_to_stream);
        assert_eq!(video.status.state, VideoState::Unknown);
    }

    #[test]
    fn video_keeps_new_state() {
        let video: Video =
            serde_json::from_str(r#"{"uid":"a","status":{"state":"archived"}}"#).unwrap();
        assert_eq!(video.status.state, VideoState::Other("archived".into()));
    }

    #[test]
    fn downloads_parse_keyed_shape() {
        let json = r#"{"default":{"status":"inprogress","url":"http://x/a/downloads/default.mp4",
            "percentComplete":75.0},"audio":{"status":"ready","percentComplete":"100"}}"#;
        let downloads: Downloads = serde_json::from_str(json).unwrap();
        let default = downloads.get(DownloadType::Default).unwrap();
        assert_eq!(default.status, DownloadStatus::Inprogress);
        assert_eq!(default.percent_complete, Some(75.0));
        let audio = downloads.get(DownloadType::Audio).unwrap();
        assert_eq!(audio.status, DownloadStatus::Ready);
        assert_eq!(audio.percent_complete, Some(100.0));
    }

    #[test]
    fn downloads_parse_flat_shape() {
        let json =
            r#"{"status":"ready","url":"http://x/a/downloads/default.mp4","percentComplete":100}"#;
        let downloads: Downloads = serde_json::from_str(json).unwrap();
        assert_eq!(downloads.default.unwrap().status, DownloadStatus::Ready);
        assert!(downloads.audio.is_none());
    }

    #[test]
    fn downloads_parse_empty_result() {
        let downloads: Downloads = serde_json::from_str("{}").unwrap();
        assert_eq!(downloads, Downloads::default());
    }

    #[test]
    fn download_type_parses_aliases() {
        assert_eq!("audio".parse::<DownloadType>(), Ok(DownloadType::Audio));
        assert_eq!("default".parse::<DownloadType>(), Ok(DownloadType::Default));
        assert!("hls".parse::<DownloadType>().is_err());
    }
}
