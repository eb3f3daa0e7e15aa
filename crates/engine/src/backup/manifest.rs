//! The manifest of a backup: one row per video of the backup whose file is in the library,
//! with what a migration or an audit needs (uid, title, creator, upload time, duration, path,
//! size and SHA-256), as JSON or CSV.
//!
//! The values come from the library items, so the title is the original one (not the file
//! name) and the SHA-256 is the one computed while the file was verified. Skipped videos
//! (already offline) are listed too; failed, unavailable and cancelled ones are not.
//!
//! The CSV follows RFC 4180: a header line, CRLF line ends, and fields that contain a comma,
//! a double quote, a line break or edge spaces wrapped in double quotes with inner quotes
//! doubled, so any title survives. It is UTF-8 without a byte order mark. Titles are written
//! as they are, so a spreadsheet may read a title that starts with `=` as a formula.
//!
//! The file is written to a temporary file in the same folder, flushed to disk and renamed
//! over the target, so a reader never sees half a manifest.

use std::io::Write;
use std::path::{Path, PathBuf};

use offstream_stream::DownloadType;
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tracing::{info, warn};

use super::run::unknown_backup;
use super::types::{BackupId, ManifestFormat};
use crate::catalog::{Catalog, LibraryItem};
use crate::error::EngineError;

/// The CSV header, in column order.
const CSV_HEADER: [&str; 8] = [
    "uid", "title", "creator", "created", "duration", "path", "bytes", "sha256",
];

/// Writes the manifest of a backup to `path` and returns the number of videos in it.
///
/// # Errors
/// [`EngineError::Config`] for an unknown id or a path without a file name,
/// [`EngineError::Disk`] when the file cannot be written (an existing file is left as it
/// was), [`EngineError::Catalog`] when the catalog cannot be read.
pub fn write_manifest(
    catalog: &Catalog,
    id: BackupId,
    path: &Path,
    format: ManifestFormat,
) -> Result<u32, EngineError> {
    let record = catalog.backup(id)?.ok_or_else(|| unknown_backup(id))?;
    let rows = manifest_rows(catalog, id, record.download_type)?;

    let text = match format {
        ManifestFormat::Json => json_text(&record.account_id, record.download_type, &rows)?,
        ManifestFormat::Csv => csv_text(&rows),
    };
    write_atomically(path, text.as_bytes())?;

    let count = u32::try_from(rows.len()).unwrap_or(u32::MAX);
    info!(backup_id = id, count, path = %path.display(), "backup manifest written");
    Ok(count)
}

/// Returns the library items of the backup's videos, in backup order. An item whose file has
/// disappeared is left out, because its SHA-256 would describe nothing.
fn manifest_rows(
    catalog: &Catalog,
    id: BackupId,
    download_type: DownloadType,
) -> Result<Vec<LibraryItem>, EngineError> {
    let mut rows = Vec::new();
    for item in catalog.backup_items(id)? {
        let Some(library_item) = catalog.item_for(&item.uid, download_type)? else {
            continue;
        };
        if !library_item.path.is_file() {
            warn!(backup_id = id, uid = %item.uid, "the library file is missing; leaving it out of the manifest");
            continue;
        }
        rows.push(library_item);
    }
    Ok(rows)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonManifest<'a> {
    generated_at: String,
    account_id: &'a str,
    download_type: DownloadType,
    videos: Vec<JsonVideo<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonVideo<'a> {
    uid: &'a str,
    title: &'a str,
    creator: Option<&'a str>,
    created: Option<&'a str>,
    duration: Option<f64>,
    path: &'a Path,
    bytes: u64,
    sha256: &'a str,
}

fn json_text(
    account_id: &str,
    download_type: DownloadType,
    rows: &[LibraryItem],
) -> Result<String, EngineError> {
    let manifest = JsonManifest {
        generated_at: OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .map_err(|error| EngineError::Internal(format!("cannot format the time: {error}")))?,
        account_id,
        download_type,
        videos: rows
            .iter()
            .map(|item| JsonVideo {
                uid: &item.uid,
                title: &item.title,
                creator: item.creator.as_deref(),
                created: item.video_created.as_deref(),
                duration: item.duration,
                path: &item.path,
                bytes: item.bytes,
                sha256: &item.sha256,
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&manifest).map_err(|error| {
        EngineError::Internal(format!("the manifest cannot be serialized: {error}"))
    })?;
    text.push('\n');
    Ok(text)
}

fn csv_text(rows: &[LibraryItem]) -> String {
    let mut text = String::new();
    push_csv_line(&mut text, CSV_HEADER.iter().map(|name| (*name).to_owned()));
    for item in rows {
        let fields = [
            item.uid.clone(),
            item.title.clone(),
            item.creator.clone().unwrap_or_default(),
            item.video_created.clone().unwrap_or_default(),
            item.duration
                .map(|seconds| seconds.to_string())
                .unwrap_or_default(),
            item.path.display().to_string(),
            item.bytes.to_string(),
            item.sha256.clone(),
        ];
        push_csv_line(&mut text, fields.into_iter());
    }
    text
}

fn push_csv_line(text: &mut String, fields: impl Iterator<Item = String>) {
    for (index, field) in fields.enumerate() {
        if index > 0 {
            text.push(',');
        }
        text.push_str(&csv_field(&field));
    }
    text.push_str("\r\n");
}

/// Quotes a field when RFC 4180 requires it, and also when it starts or ends with a space,
/// which some readers would trim.
fn csv_field(value: &str) -> String {
    let needs_quotes = value.contains([',', '"', '\r', '\n'])
        || value.starts_with(char::is_whitespace)
        || value.ends_with(char::is_whitespace);
    if !needs_quotes {
        return value.to_owned();
    }
    format!("\"{}\"", value.replace('"', "\"\""))
}

/// Writes `bytes` to a temporary file next to `path`, flushes it and renames it over `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), EngineError> {
    let Some(name) = path.file_name() else {
        return Err(EngineError::Config(format!(
            "the manifest path '{}' names no file: give a file name ending in .json or .csv",
            path.display()
        )));
    };
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(name);
    temporary_name.push(format!(".{}.tmp", std::process::id()));
    let temporary = folder.join(temporary_name);

    let written = std::fs::File::create(&temporary).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(EngineError::disk(&temporary, error));
    }
    if let Err(error) = std::fs::rename(&temporary, path) {
        let _ = std::fs::remove_file(&temporary);
        return Err(EngineError::disk(path, error));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_field_quotes_only_when_needed() {
        let cases = [
            ("plain title", "plain title"),
            ("a, b", "\"a, b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("two\nlines", "\"two\nlines\""),
            (" padded", "\" padded\""),
            ("", ""),
            ("日本語", "日本語"),
        ];
        for (value, expected) in cases {
            assert_eq!(csv_field(value), expected, "{value:?}");
        }
    }

    #[test]
    fn atomic_write_replaces_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("manifest.json");
        std::fs::write(&path, "old").unwrap();

        write_atomically(&path, b"new").unwrap();

        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file is left");
    }

    #[test]
    fn atomic_write_reports_missing_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing-folder").join("manifest.csv");
        let error = write_atomically(&path, b"new").unwrap_err();
        assert_eq!(error.code(), "disk");
    }
}
