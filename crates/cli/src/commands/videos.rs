//! `offstream videos`: every video of the account, as a table or one JSON array.
//!
//! The list walks past Stream's 1,000-videos-per-request limit (`StreamClient::list_all`).
//! Rows are `VideoRow`s, the same type the desktop app's video view uses, so the JSON has the
//! same camelCase fields as the app's IPC contract.

use std::collections::HashMap;

use offstream_ipc::VideoRow;
use offstream_stream::DownloadType;

use super::{json_text, output_result};
use crate::context::Context;
use crate::exit::CliError;
use crate::format::{self, Table};
use crate::terminal;

/// Widest name shown in the table; `--json` has the full name.
const NAME_COLUMNS: usize = 48;

/// Lists the videos and prints them.
///
/// # Errors
/// Missing or rejected credentials, and the API errors of the list calls.
pub async fn run(
    context: &Context,
    search: Option<String>,
    json: bool,
    quiet: bool,
) -> Result<(), CliError> {
    let account = context.account().await?;

    let show_progress = !quiet;
    let videos = account
        .client
        .list_all(search.as_deref(), |found| {
            if show_progress {
                terminal::show_status(&format!("listing videos: {found} found"));
            }
        })
        .await
        .map_err(|error| account.explain(error))?;
    terminal::clear_status();
    tracing::debug!(count = videos.len(), "listed videos");

    let offline = offline_types(context);
    let rows: Vec<VideoRow> = videos
        .iter()
        .map(|video| VideoRow::new(video, offline.get(&video.uid).cloned().unwrap_or_default()))
        .collect();

    if json {
        return output_result(terminal::print_out(&json_text(&rows)?));
    }
    if rows.is_empty() {
        terminal::print_note(match search {
            Some(_) => "No video matches the search.",
            None => "The account has no videos.",
        });
        return Ok(());
    }
    output_result(terminal::print_out(&table(&rows).render()))
}

/// Returns the download types in the library per uid. The list works without the catalog, so
/// a catalog that cannot be opened only costs the OFFLINE column.
fn offline_types(context: &Context) -> HashMap<String, Vec<DownloadType>> {
    let items = context
        .open_catalog()
        .and_then(|catalog| catalog.items().map_err(CliError::from));
    let mut map: HashMap<String, Vec<DownloadType>> = HashMap::new();
    match items {
        Ok(items) => {
            for item in items {
                map.entry(item.uid).or_default().push(item.download_type);
            }
        }
        Err(error) => {
            tracing::warn!(
                error = error.message().unwrap_or_default(),
                "cannot read the catalog; the OFFLINE column stays empty"
            );
        }
    }
    map
}

fn table(rows: &[VideoRow]) -> Table {
    let mut table = Table::new(vec![
        "UID", "NAME", "DURATION", "SIZE", "CREATED", "STATUS", "PRIVATE", "OFFLINE",
    ])
    .limit(1, NAME_COLUMNS);
    for row in rows {
        let offline: Vec<&str> = row.offline.iter().map(|t| t.extension()).collect();
        table.push(vec![
            row.uid.clone(),
            row.name.clone(),
            format::duration(row.duration_seconds),
            row.size_bytes.map_or_else(|| "-".to_owned(), format::bytes),
            format::time(&row.created),
            row.state.clone(),
            if row.require_signed_urls { "yes" } else { "no" }.to_owned(),
            offline.join(","),
        ]);
    }
    table
}

#[cfg(test)]
mod tests {
    use offstream_stream::Video;

    use super::*;

    #[test]
    fn table_shows_video_fields() {
        let video: Video = serde_json::from_str(
            r#"{"uid":"abc","meta":{"name":"Intro"},"created":"2024-01-02T03:04:05Z",
                "duration":65,"size":2048,"requireSignedURLs":true,"status":{"state":"ready"}}"#,
        )
        .unwrap();
        let rendered = table(&[VideoRow::new(&video, vec![DownloadType::Audio])]).render();
        let row = rendered.lines().nth(1).unwrap();
        let cells: Vec<&str> = row
            .split("  ")
            .map(str::trim)
            .filter(|cell| !cell.is_empty())
            .collect();
        assert_eq!(
            cells,
            [
                "abc",
                "Intro",
                "1:05",
                "2.0 KiB",
                "2024-01-02 03:04",
                "ready",
                "yes",
                "m4a"
            ]
        );
    }
}
