//! One row of the library view.
//!
//! The entry lists the fields of [`LibraryItem`] one by one instead of flattening it. The
//! item's `captions` (file names next to the media file) and the entry's `captions` (loopback
//! URLs for the player) share a name, so flattening would put two `captions` keys in one JSON
//! object.

use offstream_engine::LibraryItem;
use offstream_stream::DownloadType;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// An offline item plus the loopback URLs the player loads it, its thumbnail and its
/// captions from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct LibraryEntry {
    /// Catalog id.
    #[ts(type = "number")]
    pub id: i64,
    /// Stream video uid.
    pub uid: String,
    /// The file of the video this item is (MP4 or M4A).
    pub download_type: DownloadType,
    /// The video's original title (`meta.name`, or the uid when it has none).
    pub title: String,
    /// File name in the library folder.
    pub file_name: String,
    /// Absolute path of the file.
    pub path: String,
    /// File size in bytes.
    #[ts(type = "number")]
    pub bytes: u64,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
    /// Upload time of the video (RFC 3339, as Stream sent it).
    pub video_created: Option<String>,
    /// Duration in seconds, from the file when it states one, else from Stream.
    pub duration: Option<f64>,
    /// Stream's creator id of the video.
    pub creator: Option<String>,
    /// When the file entered the library (RFC 3339, UTC).
    pub added_at: String,
    /// `http://127.0.0.1:PORT/<per-launch secret>/media/<id>`: valid for this launch only.
    pub media_url: String,
    /// Loopback URL of the cached thumbnail, or `null` while none is cached.
    pub thumbnail_url: Option<String>,
    /// The caption files stored with the item, as tracks for the player.
    pub captions: Vec<CaptionTrack>,
}

impl LibraryEntry {
    /// Builds an entry from a catalog item and the loopback URLs registered for it.
    pub fn new(
        item: LibraryItem,
        media_url: String,
        thumbnail_url: Option<String>,
        captions: Vec<CaptionTrack>,
    ) -> Self {
        Self {
            id: item.id,
            uid: item.uid,
            download_type: item.download_type,
            title: item.title,
            file_name: item.file_name,
            path: item.path.display().to_string(),
            bytes: item.bytes,
            sha256: item.sha256,
            video_created: item.video_created,
            duration: item.duration,
            creator: item.creator,
            added_at: item.added_at,
            media_url,
            thumbnail_url,
            captions,
        }
    }
}

/// A caption file of a library item as a `<track>` of the player.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CaptionTrack {
    /// BCP 47 language tag, such as `en` or `pt-BR`.
    pub language: String,
    /// The label Stream gives the track, such as "English (auto-generated)".
    pub label: String,
    /// Loopback URL of the WebVTT file, valid for this launch only.
    pub url: String,
}
