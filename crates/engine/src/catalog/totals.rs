//! Totals of the library for the storage overview: how many files and how many bytes.
//!
//! The sums come from the `items` table, so they count verified files as recorded when they
//! entered the library. Partial downloads and caption sidecar files are not included.

use super::{to_u64, Catalog};
use crate::error::EngineError;

/// The number of library files and the sum of their sizes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LibraryTotals {
    /// Items in the library.
    pub items: u32,
    /// Sum of the items' sizes in bytes.
    pub bytes: u64,
}

impl Catalog {
    /// Returns the number of library items and the sum of their sizes.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the query fails.
    pub fn library_totals(&self) -> Result<LibraryTotals, EngineError> {
        let connection = self.lock();
        let (items, bytes): (i64, i64) = connection.query_row(
            "SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM items",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        Ok(LibraryTotals {
            items: u32::try_from(items).unwrap_or(u32::MAX),
            bytes: to_u64(bytes),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use offstream_stream::DownloadType;

    use super::*;
    use crate::catalog::NewItem;

    fn item(uid: &str, download_type: DownloadType, bytes: u64) -> NewItem {
        NewItem {
            uid: uid.to_owned(),
            download_type,
            title: uid.to_owned(),
            file_name: format!("{uid}.{}", download_type.extension()),
            path: PathBuf::from(format!("/library/{uid}.{}", download_type.extension())),
            bytes,
            sha256: "0".repeat(64),
            video_created: None,
            duration: None,
            creator: None,
        }
    }

    #[test]
    fn totals_of_empty_library() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(dir.path()).unwrap();
        assert_eq!(catalog.library_totals().unwrap(), LibraryTotals::default());
    }

    #[test]
    fn totals_sum_every_item() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(dir.path()).unwrap();
        catalog
            .insert_item(&item("a", DownloadType::Default, 1_000))
            .unwrap();
        catalog
            .insert_item(&item("a", DownloadType::Audio, 250))
            .unwrap();
        catalog
            .insert_item(&item("b", DownloadType::Default, 5_000_000_000))
            .unwrap();

        let totals = catalog.library_totals().unwrap();

        assert_eq!(totals.items, 3);
        assert_eq!(totals.bytes, 5_000_001_250);
    }

    #[test]
    fn totals_drop_deleted_item() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(dir.path()).unwrap();
        let kept = catalog
            .insert_item(&item("a", DownloadType::Default, 10))
            .unwrap();
        let gone = catalog
            .insert_item(&item("b", DownloadType::Default, 20))
            .unwrap();
        catalog.forget_item(gone.id).unwrap();

        let totals = catalog.library_totals().unwrap();

        assert_eq!(totals.items, 1);
        assert_eq!(totals.bytes, kept.bytes);
    }
}
