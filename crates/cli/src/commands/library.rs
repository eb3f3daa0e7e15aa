//! `offstream library`: the verified files of the offline library, as a table or JSON.
//!
//! It reads only the catalog and the file system, so it works offline and without
//! credentials. A file deleted outside Offstream still has its row; the output marks it.

use std::path::Path;

use offstream_engine::LibraryItem;
use offstream_stream::DownloadType;
use serde::Serialize;

use super::{json_text, output_result};
use crate::context::Context;
use crate::exit::CliError;
use crate::format::{self, Table};
use crate::terminal;

/// Widest name shown in the table; `--json` has the full name.
const NAME_COLUMNS: usize = 40;

/// One library item in the `--json` output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LibraryRow<'a> {
    /// Catalog id.
    id: i64,
    uid: &'a str,
    /// The video's original title (`meta.name`, or the uid when it has none).
    name: &'a str,
    /// `default` (MP4 video) or `audio` (M4A).
    #[serde(rename = "type")]
    download_type: DownloadType,
    file_name: &'a str,
    /// Absolute path of the file.
    path: &'a Path,
    bytes: u64,
    /// SHA-256 of the file as verified, lowercase hex.
    sha256: &'a str,
    /// Seconds.
    duration: Option<f64>,
    /// Upload time of the video on Stream (RFC 3339).
    created: Option<&'a str>,
    creator: Option<&'a str>,
    /// When the file entered the library (RFC 3339, UTC).
    added_at: &'a str,
    /// False when the file was deleted or moved outside Offstream.
    file_exists: bool,
}

impl<'a> LibraryRow<'a> {
    fn new(item: &'a LibraryItem) -> Self {
        Self {
            id: item.id,
            uid: &item.uid,
            name: &item.title,
            download_type: item.download_type,
            file_name: &item.file_name,
            path: &item.path,
            bytes: item.bytes,
            sha256: &item.sha256,
            duration: item.duration,
            created: item.video_created.as_deref(),
            creator: item.creator.as_deref(),
            added_at: &item.added_at,
            file_exists: item.path.is_file(),
        }
    }
}

/// Prints the library.
///
/// # Errors
/// A disk or catalog error when the catalog cannot be opened or read.
pub async fn run(context: &Context, json: bool) -> Result<(), CliError> {
    let catalog = context.open_catalog()?;
    // Listing a large library is the one slow catalog call.
    let items = tokio::task::spawn_blocking(move || catalog.items())
        .await
        .map_err(|error| {
            CliError::new(
                crate::exit::ExitClass::General,
                format!("the catalog worker failed: {error}"),
            )
        })??;
    let rows: Vec<LibraryRow> = items.iter().map(LibraryRow::new).collect();

    if json {
        return output_result(terminal::print_out(&json_text(&rows)?));
    }
    if rows.is_empty() {
        terminal::print_note(&format!(
            "The library is empty. Download videos with `offstream download UID`; files go to {}",
            context.profile.library_dir.display()
        ));
        return Ok(());
    }
    output_result(terminal::print_out(&table(&rows).render()))
}

fn table(rows: &[LibraryRow]) -> Table {
    let mut table = Table::new(vec![
        "UID", "TYPE", "DURATION", "SIZE", "ADDED", "NAME", "PATH",
    ])
    .limit(5, NAME_COLUMNS);
    for row in rows {
        let path = if row.file_exists {
            row.path.display().to_string()
        } else {
            format!("{} (missing)", row.path.display())
        };
        table.push(vec![
            row.uid.to_owned(),
            row.download_type.extension().to_owned(),
            format::duration(row.duration),
            format::bytes(row.bytes),
            format::time(row.added_at),
            row.name.to_owned(),
            path,
        ]);
    }
    table
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn item(path: PathBuf) -> LibraryItem {
        LibraryItem {
            id: 7,
            uid: "abc".into(),
            download_type: DownloadType::Audio,
            title: "Intro: part 1".into(),
            file_name: "Intro part 1.m4a".into(),
            path,
            bytes: 10,
            sha256: "00ff".into(),
            video_created: Some("2024-01-01T00:00:00Z".into()),
            duration: Some(3.0),
            creator: None,
            added_at: "2024-02-01T00:00:00Z".into(),
            captions: Vec::new(),
        }
    }

    #[test]
    fn row_json_has_documented_fields() {
        let item = item(PathBuf::from("/nowhere/Intro part 1.m4a"));
        let json = serde_json::to_value(LibraryRow::new(&item)).unwrap();
        assert_eq!(json["name"], "Intro: part 1");
        assert_eq!(json["type"], "audio");
        assert_eq!(json["path"], "/nowhere/Intro part 1.m4a");
        assert_eq!(json["sha256"], "00ff");
        assert_eq!(json["created"], "2024-01-01T00:00:00Z");
        assert_eq!(json["addedAt"], "2024-02-01T00:00:00Z");
    }

    #[test]
    fn row_marks_missing_file() {
        let item = item(PathBuf::from("/nowhere/Intro part 1.m4a"));
        let row = LibraryRow::new(&item);
        assert!(!row.file_exists);
        assert!(table(&[row]).render().contains("(missing)"));
    }
}
