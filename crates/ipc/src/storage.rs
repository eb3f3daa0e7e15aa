//! The storage overview of the library screen.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Space the library uses and space left on its volume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct StorageOverview {
    /// Absolute path of the library folder.
    pub library_dir: String,
    /// Sum of the sizes of the library's files, as the catalog records them.
    #[ts(type = "number")]
    pub library_bytes: u64,
    /// Files in the library.
    pub item_count: u32,
    /// Bytes available to this user on the library's volume, or `null` when the system does
    /// not report it.
    #[ts(type = "number | null")]
    pub free_bytes: Option<u64>,
    /// Size of the library's volume, or `null` when the system does not report it.
    #[ts(type = "number | null")]
    pub volume_bytes: Option<u64>,
    /// Bytes of the cached thumbnails in the app data folder.
    #[ts(type = "number")]
    pub thumbnail_bytes: u64,
}
