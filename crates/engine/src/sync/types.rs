//! The values a sync produces and the mirror hands out.

use offstream_stream::Video;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// How much of the account a sync reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum SyncMode {
    /// Reads only videos created after the newest one in the mirror, plus the account's total.
    /// When the total does not add up (a video was deleted), it falls back to a full walk.
    /// Renames are not visible to it: the list API has no filter on `modified`.
    Quick,
    /// Walks the whole list, so it finds new, renamed, changed and deleted videos.
    Full,
}

/// The result of one sync, kept in the catalog as the account's last sync.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SyncSummary {
    /// The mode that ran, which is `full` when a quick sync had to fall back.
    pub mode: SyncMode,
    /// Videos in the mirror after the sync, not counting removed ones.
    pub total: u32,
    /// Videos seen for the first time.
    pub added: u32,
    /// Videos whose name changed.
    pub renamed: u32,
    /// Videos with other changes (state, duration, size, privacy).
    pub changed: u32,
    /// Videos no longer on Stream.
    pub removed: u32,
    /// API requests the sync made.
    pub api_calls: u32,
    /// Wall time of the sync in milliseconds.
    pub elapsed_ms: u32,
    /// When the sync finished (RFC 3339, UTC).
    pub finished_at: String,
}

/// A change a sync saw, shown as a mark in the videos list until the user has seen it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum VideoChange {
    New,
    Renamed,
    Removed,
}

impl VideoChange {
    /// Returns the value stored in the catalog's `videos.change` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Renamed => "renamed",
            Self::Removed => "removed",
        }
    }

    /// Parses the catalog's `videos.change` column.
    pub fn from_column(text: &str) -> Option<Self> {
        match text {
            "new" => Some(Self::New),
            "renamed" => Some(Self::Renamed),
            "removed" => Some(Self::Removed),
            _ => None,
        }
    }
}

/// One video of the mirror: the API's video as the last sync saw it, and what changed.
#[derive(Debug, Clone, PartialEq)]
pub struct MirroredVideo {
    pub video: Video,
    /// The mark of the latest sync that changed this video, until acknowledged.
    pub change: Option<VideoChange>,
    /// The name before the last rename.
    pub previous_name: Option<String>,
    /// When a sync first saw the video (RFC 3339, UTC).
    pub first_seen: String,
    /// When a sync found the video gone from Stream (RFC 3339, UTC).
    pub removed_at: Option<String>,
}
