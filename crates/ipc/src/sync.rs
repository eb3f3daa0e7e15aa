//! Progress of a sync of the account's video list, and the thumbnails it fetches afterwards.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A message on the channel of `sync_videos`, tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[ts(export)]
pub enum SyncEvent {
    /// Videos listed so far by this sync.
    Progress { listed: u32 },
    /// Sent after the sync returned, once the thumbnails missing from the cache were
    /// downloaded in the background: reload the cached list to show them.
    ThumbnailsReady { fetched: u32 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_tagged() {
        let json = serde_json::to_value(SyncEvent::Progress { listed: 7 }).unwrap();
        assert_eq!(json, serde_json::json!({"kind": "progress", "listed": 7}));
    }

    #[test]
    fn thumbnails_ready_is_tagged() {
        let json = serde_json::to_value(SyncEvent::ThumbnailsReady { fetched: 3 }).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "thumbnailsReady", "fetched": 3})
        );
    }
}
