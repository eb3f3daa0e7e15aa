//! `sync` and `backup` end to end: the real binary against the emulator, real files, a real
//! catalog.

mod common;

use std::path::Path;

use common::{run, sha256_hex, Harness};
use stream_emulator::{DownloadType, VideoSpec, VideoState};

/// A title that breaks naive CSV writers: a comma, quotes and a line break.
const HOSTILE_TITLE: &str = "Budget, \"final\" cut\nsecond line";

/// Adds a ready copy of the first sample named `name` and returns its uid.
fn add_named(harness: &Harness, name: &str) -> String {
    harness.emulator.add_video(VideoSpec::named(name))
}

/// Adds a video in `state` named `name` and returns its uid.
fn add_in_state(harness: &Harness, name: &str, state: VideoState) -> String {
    harness.emulator.add_video(VideoSpec {
        state,
        ..VideoSpec::named(name)
    })
}

/// Returns the number of files in the library folder, not counting partial files.
fn library_files(harness: &Harness) -> usize {
    common::files_under(&harness.library_dir())
        .iter()
        .filter(|path| !path.to_string_lossy().ends_with(".part"))
        .count()
}

#[tokio::test]
async fn sync_prints_summary() {
    let harness = Harness::start().await;
    add_named(&harness, "First");
    add_named(&harness, "Second");

    let first = run(harness.command(&["sync"])).await;
    assert_eq!(first.code, Some(0), "stderr: {}", first.stderr);
    assert!(
        first.stdout.starts_with("Synced 2 videos (full sync): "),
        "{}",
        first.stdout
    );

    add_named(&harness, "Third");
    let second = run(harness.command(&["sync"])).await;
    assert_eq!(second.code, Some(0), "stderr: {}", second.stderr);
    assert!(
        second
            .stdout
            .starts_with("Synced 3 videos (quick sync): 1 new,"),
        "{}",
        second.stdout
    );

    let full = run(harness.command(&["sync", "--full"])).await;
    assert!(
        full.stdout.starts_with("Synced 3 videos (full sync):"),
        "{}",
        full.stdout
    );
}

#[tokio::test]
async fn backup_dry_run_prints_estimate() {
    let harness = Harness::start().await;
    add_named(&harness, "Keynote 2024");
    add_named(&harness, "Keynote rehearsal");
    add_named(&harness, "Standup");
    let broken = add_in_state(&harness, "Keynote broken", VideoState::Error);

    let result = run(harness.command(&["backup", "--search", "keynote", "--dry-run"])).await;

    assert_eq!(result.code, Some(0), "stderr: {}", result.stderr);
    let lines = result.stdout_lines();
    assert_eq!(lines[0], "Selected 3 videos for an MP4 backup.");
    assert!(
        lines[1].starts_with("To download: 2 videos, "),
        "{}",
        lines[1]
    );
    assert!(lines[1].ends_with(" billed minutes."), "{}", lines[1]);
    assert_eq!(lines[2], "Skipped: 0 videos already in the library.");
    assert_eq!(lines[3], "Unavailable: 1 video:");
    assert!(
        lines[4].starts_with(&format!(
            "  {broken}  Keynote broken: Stream failed to process it"
        )),
        "{}",
        lines[4]
    );
    assert_eq!(harness.emulator.api_by_endpoint().downloads_create, 0);
    assert_eq!(library_files(&harness), 0);
}

#[tokio::test]
async fn backup_without_yes_needs_terminal() {
    let harness = Harness::start().await;
    add_named(&harness, "Clip");

    let result = run(harness.command(&["backup", "--all"])).await;

    assert_eq!(result.code, Some(2), "stderr: {}", result.stderr);
    assert!(result.stderr.contains("--yes"), "{}", result.stderr);
    assert!(
        result.stdout.starts_with("Selected 1 video"),
        "the estimate comes first: {}",
        result.stdout
    );
    assert_eq!(harness.emulator.api_by_endpoint().downloads_create, 0);
    assert_eq!(harness.emulator.api_by_endpoint().downloads_get, 0);
}

#[tokio::test]
async fn backup_rejects_manifest_extension() {
    let harness = Harness::start().await;
    add_named(&harness, "Clip");
    let manifest = harness.dir.path().join("manifest.txt");

    let result = run(harness.command(&[
        "backup",
        "--all",
        "--yes",
        "--manifest",
        manifest.to_str().unwrap(),
    ]))
    .await;

    assert_eq!(result.code, Some(2), "stderr: {}", result.stderr);
    assert!(result.stderr.contains(".json or .csv"), "{}", result.stderr);
    assert_eq!(
        harness.emulator.request_count(),
        0,
        "nothing starts before the check"
    );
}

#[tokio::test]
async fn backup_rejects_bad_date() {
    let harness = Harness::start().await;

    let result = run(harness.command(&["backup", "--since", "31/05/2024", "--dry-run"])).await;

    assert_eq!(result.code, Some(2), "stderr: {}", result.stderr);
    assert!(
        result.stderr.contains("since value '31/05/2024'"),
        "{}",
        result.stderr
    );
    assert_eq!(harness.emulator.request_count(), 0);
}

#[tokio::test]
async fn backup_requires_selection() {
    let harness = Harness::start().await;

    let result = run(harness.command(&["backup", "--yes"])).await;

    assert_eq!(result.code, Some(2), "stderr: {}", result.stderr);
    assert!(result.stderr.contains("--all"), "{}", result.stderr);
}

#[tokio::test]
async fn backup_downloads_restores_and_writes_manifest() {
    let harness = Harness::start().await;
    let uids = [
        harness.add_sample(),
        add_named(&harness, HOSTILE_TITLE),
        add_named(&harness, "Plain"),
    ];
    let owned = add_named(&harness, "Owner's download");
    harness
        .client()
        .create_download(&owned, offstream_stream::DownloadType::Default)
        .await
        .unwrap();
    let manifest = harness.dir.path().join("manifest.csv");

    let result = run(harness.command(&[
        "backup",
        "--all",
        "--yes",
        "--restore-account",
        "--manifest",
        manifest.to_str().unwrap(),
    ]))
    .await;

    assert_eq!(result.code, Some(0), "stderr: {}", result.stderr);
    assert!(
        result
            .stdout
            .contains("Backup 1 done: 4 downloaded, 0 already offline, 0 unavailable, 0 failed."),
        "{}",
        result.stdout
    );
    assert!(
        result.stderr.contains(
            "Restore step: deleted 3 downloads that the backup enabled on Stream, kept 1 download that existed before."
        ),
        "{}",
        result.stderr
    );
    for uid in &uids {
        assert_eq!(
            harness.emulator.download_status(uid, DownloadType::Default),
            None,
            "the download of {uid} is deleted"
        );
    }
    assert!(harness
        .emulator
        .download_status(&owned, DownloadType::Default)
        .is_some());
    assert_eq!(library_files(&harness), 4);

    let text = std::fs::read_to_string(&manifest).unwrap();
    let rows = parse_csv(&text);
    assert_eq!(
        rows[0],
        ["uid", "title", "creator", "created", "duration", "path", "bytes", "sha256"]
    );
    assert_eq!(rows.len(), 5, "{text}");
    let hostile = rows.iter().find(|row| row[0] == uids[1]).unwrap();
    assert_eq!(hostile[1], HOSTILE_TITLE);
    for row in &rows[1..] {
        let bytes = std::fs::read(Path::new(&row[5])).unwrap();
        assert_eq!(row[7], sha256_hex(&bytes), "SHA-256 of {}", row[5]);
    }

    // A second run skips every video and deletes nothing more.
    let again = run(harness.command(&["backup", "--all", "--yes", "--restore-account"])).await;
    assert_eq!(again.code, Some(0), "stderr: {}", again.stderr);
    assert!(
        again
            .stdout
            .contains("Skipped: 4 videos already in the library."),
        "{}",
        again.stdout
    );
}

#[tokio::test]
async fn backup_failure_sets_exit_status() {
    let harness = Harness::start().await;
    let good = add_named(&harness, "Good");
    let bad = add_named(&harness, "Bad");
    harness
        .emulator
        .script_download_error(&bad, DownloadType::Default, "encoder crashed");

    let result = run(harness.command(&["backup", "--all", "--yes"])).await;

    assert_eq!(result.code, Some(1), "stderr: {}", result.stderr);
    assert!(
        result
            .stderr_lines()
            .iter()
            .any(|line| line.starts_with(&format!("error: {bad}: "))),
        "{}",
        result.stderr
    );
    assert!(
        result.stdout.contains("1 downloaded") && result.stdout.contains("1 failed"),
        "{}",
        result.stdout
    );
    assert!(harness
        .emulator
        .download_status(&good, DownloadType::Default)
        .is_some());
}

/// Parses the CSV with an independent RFC 4180 reader, header row included.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|record| record.unwrap().iter().map(str::to_owned).collect())
        .collect()
}
