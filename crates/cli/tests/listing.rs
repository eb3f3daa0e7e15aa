//! `videos`, `library` and `status` against the emulator, plus `--help` and `--version`.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{clean_command, run, Harness};
use stream_emulator::{EmulatorConfig, Seed, VideoSpec};

#[tokio::test]
async fn videos_json_pages_past_limit() {
    let harness = Harness::with_config(EmulatorConfig {
        seed: Seed::Empty,
        synthetic_videos: 1005,
        prepare_time: Duration::from_millis(200),
        ..EmulatorConfig::default()
    })
    .await;

    let result = run(harness.command(&["videos", "--json"])).await;

    assert_eq!(result.code, Some(0), "stderr: {}", result.stderr);
    let json = result.json();
    let listed: Vec<&str> = json
        .as_array()
        .expect("one JSON array")
        .iter()
        .map(|video| video["uid"].as_str().expect("uid is a string"))
        .collect();
    let expected: HashSet<String> = harness
        .emulator
        .videos()
        .into_iter()
        .map(|video| video.uid)
        .collect();
    let listed_set: HashSet<String> = listed.iter().map(|uid| (*uid).to_owned()).collect();
    assert_eq!(listed.len(), 1005, "no video is listed twice or missed");
    assert_eq!(listed_set, expected);
}

#[tokio::test]
async fn videos_json_has_names() {
    let harness = Harness::start().await;
    let uid = harness
        .emulator
        .add_video(VideoSpec::named("Quarterly review"));

    let result = run(harness.command(&["videos", "--json"])).await;

    assert_eq!(result.code, Some(0), "stderr: {}", result.stderr);
    let json = result.json();
    assert_eq!(json[0]["uid"], uid.as_str());
    assert_eq!(json[0]["name"], "Quarterly review");
    assert_eq!(json[0]["offline"], serde_json::json!([]));
}

#[tokio::test]
async fn videos_search_filters() {
    let harness = Harness::start().await;
    let wanted = harness
        .emulator
        .add_video(VideoSpec::named("Launch keynote"));
    harness.emulator.add_video(VideoSpec::named("Team lunch"));

    let result = run(harness.command(&["videos", "--search", "keynote", "--json"])).await;

    assert_eq!(result.code, Some(0), "stderr: {}", result.stderr);
    let json = result.json();
    let uids: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|video| video["uid"].as_str().unwrap())
        .collect();
    assert_eq!(uids, [wanted.as_str()]);
}

#[tokio::test]
async fn videos_table_shows_columns() {
    let harness = Harness::start().await;
    let uid = harness.emulator.add_video(VideoSpec {
        require_signed_urls: true,
        ..VideoSpec::named("Board meeting")
    });

    let result = run(harness.command(&["videos"])).await;

    assert_eq!(result.code, Some(0), "stderr: {}", result.stderr);
    let lines = result.stdout_lines();
    assert!(lines[0].starts_with("UID"), "header: {}", lines[0]);
    for column in ["NAME", "DURATION", "SIZE", "CREATED", "STATUS", "PRIVATE"] {
        assert!(lines[0].contains(column), "missing column {column}");
    }
    assert!(lines[1].starts_with(&uid), "row: {}", lines[1]);
    assert!(lines[1].contains("Board meeting"), "row: {}", lines[1]);
    assert!(lines[1].contains("ready"), "row: {}", lines[1]);
    assert!(lines[1].contains("yes"), "row: {}", lines[1]);
    assert!(result.stderr.is_empty(), "stderr: {}", result.stderr);
}

#[tokio::test]
async fn library_empty_prints_empty_array() {
    let harness = Harness::start().await;

    let result = run(harness.command_without_credentials(&["library", "--json"])).await;

    assert_eq!(result.code, Some(0), "stderr: {}", result.stderr);
    assert_eq!(result.json(), serde_json::json!([]));
}

#[tokio::test]
async fn status_names_environment() {
    let harness = Harness::start().await;

    let result = run(harness.command(&["status"])).await;

    assert_eq!(result.code, Some(0), "stderr: {}", result.stderr);
    assert!(result.stdout.contains("environment"), "{}", result.stdout);
    assert!(
        result.stdout.contains(&harness.emulator.api_base()),
        "{}",
        result.stdout
    );
    assert!(
        result
            .stdout
            .contains(&harness.library_dir().display().to_string()),
        "{}",
        result.stdout
    );
    assert!(
        !result.stdout.contains(harness.emulator.api_token()),
        "the token is never printed"
    );
}

#[tokio::test]
async fn version_prints_package_version() {
    let result = run(clean_command(&["--version"])).await;

    assert_eq!(result.code, Some(0));
    assert_eq!(
        result.stdout.trim(),
        format!("offstream {}", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test]
async fn help_lists_exit_statuses() {
    let result = run(clean_command(&["--help"])).await;

    assert_eq!(result.code, Some(0));
    assert!(result.stdout.contains("Exit status"), "{}", result.stdout);
    assert!(result.stdout.contains("130"), "{}", result.stdout);
}

#[tokio::test]
async fn unknown_flag_is_usage_error() {
    let result = run(clean_command(&["videos", "--colour"])).await;

    assert_eq!(result.code, Some(2));
}

#[tokio::test]
async fn verbose_logs_hide_token() {
    let harness = Harness::start().await;
    let uid = harness.emulator.add_video(VideoSpec::named("Weekly sync"));

    let result = run(harness.command(&["videos", "--verbose"])).await;

    assert_eq!(result.code, Some(0), "stderr: {}", result.stderr);
    assert!(result.stderr.contains("DEBUG"), "{}", result.stderr);
    assert!(
        result.stderr.contains("calling the Stream API"),
        "{}",
        result.stderr
    );
    assert!(
        !result.stderr.contains(harness.emulator.api_token()),
        "the token is never logged"
    );
    assert!(
        result.stdout_lines()[1].starts_with(&uid),
        "{}",
        result.stdout
    );
}
