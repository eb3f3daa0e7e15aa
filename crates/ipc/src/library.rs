//! One row of the library view.

use offstream_engine::LibraryItem;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// An offline item plus the loopback URL the player loads it from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct LibraryEntry {
    #[serde(flatten)]
    pub item: LibraryItem,
    /// `http://127.0.0.1:PORT/<per-launch secret>/media/<id>`: valid for this launch only.
    pub media_url: String,
}
