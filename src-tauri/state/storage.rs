//! The storage overview: what the library takes and what its volume has left.

use std::sync::Arc;

use offstream_engine::space;
use offstream_ipc::{ErrorPayload, StorageOverview};

use super::AppState;
use crate::error::{engine_error, join_error};

impl AppState {
    /// Returns the library's size from the catalog, the free and total space of its volume,
    /// and the size of the thumbnail cache.
    ///
    /// # Errors
    /// The catalog's error. A volume whose space cannot be read gives `null` sizes instead.
    pub async fn storage_overview(&self) -> Result<StorageOverview, ErrorPayload> {
        let library_dir = self.profile().library_dir;
        let catalog = Arc::clone(self.catalog());
        let cache = Arc::clone(&self.thumbnails);

        tauri::async_runtime::spawn_blocking(move || {
            let totals = catalog.library_totals().map_err(engine_error)?;
            let free_bytes = space::available_space(&library_dir)
                .inspect_err(|error| tracing::debug!(%error, "cannot read the free space of the library volume"))
                .ok();
            let volume_bytes = fs4::total_space(&library_dir)
                .inspect_err(|error| tracing::debug!(%error, "cannot read the size of the library volume"))
                .ok();
            Ok(StorageOverview {
                library_dir: library_dir.display().to_string(),
                library_bytes: totals.bytes,
                item_count: totals.items,
                free_bytes,
                volume_bytes,
                thumbnail_bytes: cache.bytes_used(),
            })
        })
        .await
        .map_err(join_error)?
    }
}
