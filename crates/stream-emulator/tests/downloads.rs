//! Downloads endpoints and the delivery host over real HTTP.

mod common;

use std::time::Duration;

use common::{error_code, start, start_empty, Api};
use reqwest::header::{self, HeaderMap};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use stream_emulator::{
    samples, DownloadScript, DownloadType, EmulatorConfig, RunningEmulator, Seed, VideoSpec,
    VideoState,
};

/// Polls GET /downloads until `kind` leaves `inprogress`; returns the observed percentages.
async fn wait_until_settled(api: &Api, uid: &str, kind: &str) -> (String, Vec<f64>) {
    let mut percents = Vec::new();
    for _ in 0..200 {
        let result = api.get_result(&format!("/{uid}/downloads")).await;
        let entry = &result[kind];
        percents.push(entry["percentComplete"].as_f64().unwrap());
        let status = entry["status"].as_str().unwrap().to_owned();
        if status != "inprogress" {
            return (status, percents);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("download {kind} of {uid} never settled: {percents:?}");
}

/// Adds a ready sample video and creates its download of `kind`, waiting until ready.
async fn ready_download(emulator: &RunningEmulator, api: &Api, kind: &str) -> String {
    let uid = emulator.add_video(VideoSpec::named("delivery test"));
    let (status, body) = api
        .json(Method::POST, &format!("/{uid}/downloads/{kind}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (settled, _) = wait_until_settled(api, &uid, kind).await;
    assert_eq!(settled, "ready");
    uid
}

async fn fetch(
    url: &str,
    headers: &[(header::HeaderName, &str)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut request = reqwest::Client::new().get(url);
    for (name, value) in headers {
        request = request.header(name.clone(), *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> &str {
    headers
        .get(&name)
        .unwrap_or_else(|| panic!("missing {name}"))
        .to_str()
        .unwrap()
}

fn sample_mp4() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../samples/aurora-bars.mp4"
    ))
    .unwrap()
}

fn sample_m4a() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../samples/aurora-bars.m4a"
    ))
    .unwrap()
}

fn mp4_url(emulator: &RunningEmulator, uid: &str) -> String {
    format!("{}/{uid}/downloads/default.mp4", emulator.delivery_base())
}

#[tokio::test]
async fn create_returns_keyed_inprogress() {
    let emulator = start(EmulatorConfig {
        seed: Seed::Empty,
        prepare_time: Duration::from_secs(60),
        ..EmulatorConfig::default()
    })
    .await;
    let api = Api::new(&emulator);
    let uid = emulator.add_video(VideoSpec::default());

    let (status, body) = api.json(Method::POST, &format!("/{uid}/downloads")).await;

    assert_eq!(status, StatusCode::OK);
    let entry = &body["result"]["default"];
    assert_eq!(entry["status"], "inprogress");
    assert_eq!(entry["url"], mp4_url(&emulator, &uid));
    assert!(entry["percentComplete"].as_f64().unwrap() < 100.0);
}

#[tokio::test]
async fn percent_rises_then_ready() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    let uid = emulator.add_video(VideoSpec::default());
    api.json(Method::POST, &format!("/{uid}/downloads")).await;

    let (status, percents) = wait_until_settled(&api, &uid, "default").await;

    assert_eq!(status, "ready");
    assert!(
        percents.windows(2).all(|pair| pair[0] <= pair[1]),
        "{percents:?}"
    );
    assert!(
        percents.iter().any(|p| *p > 0.0 && *p < 100.0),
        "{percents:?}"
    );
    assert_eq!(percents.last(), Some(&100.0));
}

#[tokio::test]
async fn repost_does_not_restart() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    let uid = ready_download(&emulator, &api, "default").await;

    let (_, body) = api.json(Method::POST, &format!("/{uid}/downloads")).await;

    assert_eq!(body["result"]["default"]["status"], "ready");
    assert_eq!(body["result"]["default"]["percentComplete"], 100.0);
}

#[tokio::test]
async fn list_shows_only_created_types() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    let uid = emulator.add_video(VideoSpec::default());

    let before = api.get_result(&format!("/{uid}/downloads")).await;
    api.json(Method::POST, &format!("/{uid}/downloads/audio"))
        .await;
    let after = api.get_result(&format!("/{uid}/downloads")).await;

    assert_eq!(before, serde_json::json!({}));
    let keys: Vec<&String> = after.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["audio"]);
    assert!(after["audio"]["url"]
        .as_str()
        .unwrap()
        .ends_with("/downloads/audio.m4a"));
}

#[tokio::test]
async fn create_on_unready_video_400() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    let uid = emulator.add_video(VideoSpec {
        state: VideoState::InProgress,
        ..VideoSpec::default()
    });

    let (status, body) = api.json(Method::POST, &format!("/{uid}/downloads")).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["success"], false);
    assert_eq!(error_code(&body), 10012);
}

#[tokio::test]
async fn create_audio_without_audio_400() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    let uid = emulator.add_video(VideoSpec {
        audio: None,
        ..VideoSpec::default()
    });

    let (status, body) = api
        .json(Method::POST, &format!("/{uid}/downloads/audio"))
        .await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), 10013);
}

#[tokio::test]
async fn create_invalid_type_400() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    let uid = emulator.add_video(VideoSpec::default());

    let (status, body) = api
        .json(Method::POST, &format!("/{uid}/downloads/hd"))
        .await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["success"], false);
}

#[tokio::test]
async fn create_unknown_video_404() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);

    let (status, body) = api
        .json(Method::POST, "/0123456789abcdef0123456789abcdef/downloads")
        .await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), 10005);
}

#[tokio::test]
async fn delete_returns_ok_and_removes() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    let uid = emulator.add_video(VideoSpec::default());
    api.json(Method::POST, &format!("/{uid}/downloads")).await;
    api.json(Method::POST, &format!("/{uid}/downloads/audio"))
        .await;

    let (default_status, default_body) =
        api.json(Method::DELETE, &format!("/{uid}/downloads")).await;
    let (audio_status, audio_body) = api
        .json(Method::DELETE, &format!("/{uid}/downloads/audio"))
        .await;
    let remaining = api.get_result(&format!("/{uid}/downloads")).await;

    assert_eq!(default_status, StatusCode::OK);
    assert_eq!(default_body["result"], "ok");
    assert_eq!(audio_status, StatusCode::OK);
    assert_eq!(audio_body["result"], "ok");
    assert_eq!(remaining, serde_json::json!({}));
}

#[tokio::test]
async fn flat_create_shape() {
    let emulator = start(EmulatorConfig {
        seed: Seed::Empty,
        flat_download_create: true,
        ..EmulatorConfig::default()
    })
    .await;
    let api = Api::new(&emulator);
    let uid = emulator.add_video(VideoSpec::default());

    let (_, flat) = api.json(Method::POST, &format!("/{uid}/downloads")).await;
    let listed = api.get_result(&format!("/{uid}/downloads")).await;

    assert_eq!(flat["result"]["status"], "inprogress");
    assert_eq!(flat["result"]["url"], mp4_url(&emulator, &uid));
    assert_eq!(listed["default"]["status"], "inprogress");
}

#[tokio::test]
async fn scripted_error_ends_in_error() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    let uid = emulator.add_video(VideoSpec::default());
    emulator.script_download_error(&uid, DownloadType::Default, "encoder crashed");
    api.json(Method::POST, &format!("/{uid}/downloads")).await;

    let (status, _) = wait_until_settled(&api, &uid, "default").await;
    let (delivery_status, headers, body) = fetch(&mp4_url(&emulator, &uid), &[]).await;

    assert_eq!(status, "error");
    assert_eq!(delivery_status, StatusCode::NOT_FOUND);
    assert!(header_text(&headers, header::CONTENT_TYPE).starts_with("text/html"));
    assert!(String::from_utf8(body).unwrap().contains("encoder crashed"));
}

#[tokio::test]
async fn retry_after_scripted_error_succeeds() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    let uid = emulator.add_video(VideoSpec::default());
    emulator.script_download(
        &uid,
        DownloadType::Default,
        DownloadScript::Fail {
            at_percent: 40.0,
            reason: "transient".to_owned(),
        },
    );
    api.json(Method::POST, &format!("/{uid}/downloads")).await;
    let (first, first_percents) = wait_until_settled(&api, &uid, "default").await;

    api.json(Method::DELETE, &format!("/{uid}/downloads")).await;
    api.json(Method::POST, &format!("/{uid}/downloads")).await;
    let (second, _) = wait_until_settled(&api, &uid, "default").await;

    assert_eq!(first, "error");
    assert_eq!(first_percents.last(), Some(&40.0));
    assert_eq!(second, "ready");
}

#[tokio::test]
async fn delivery_404_html_before_ready() {
    let emulator = start(EmulatorConfig {
        seed: Seed::Empty,
        prepare_time: Duration::from_secs(60),
        ..EmulatorConfig::default()
    })
    .await;
    let api = Api::new(&emulator);
    let uid = emulator.add_video(VideoSpec::default());

    let (not_created, not_created_headers, _) = fetch(&mp4_url(&emulator, &uid), &[]).await;
    api.json(Method::POST, &format!("/{uid}/downloads")).await;
    let (not_ready, not_ready_headers, body) = fetch(&mp4_url(&emulator, &uid), &[]).await;

    assert_eq!(not_created, StatusCode::NOT_FOUND);
    assert!(header_text(&not_created_headers, header::CONTENT_TYPE).starts_with("text/html"));
    assert_eq!(not_ready, StatusCode::NOT_FOUND);
    assert!(header_text(&not_ready_headers, header::CONTENT_TYPE).starts_with("text/html"));
    assert!(body.starts_with(b"<!DOCTYPE html>"));
}

#[tokio::test]
async fn delivery_unknown_uid_404_html() {
    let emulator = start_empty().await;

    let (status, headers, _) =
        fetch(&mp4_url(&emulator, "0123456789abcdef0123456789abcdef"), &[]).await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(header_text(&headers, header::CONTENT_TYPE).starts_with("text/html"));
}

#[tokio::test]
async fn delivery_full_file_headers() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    let uid = ready_download(&emulator, &api, "default").await;
    let expected = sample_mp4();

    let (status, headers, body) = fetch(&mp4_url(&emulator, &uid), &[]).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, expected);
    assert_eq!(header_text(&headers, header::CONTENT_TYPE), "video/mp4");
    assert_eq!(
        header_text(&headers, header::CONTENT_LENGTH),
        expected.len().to_string()
    );
    assert_eq!(header_text(&headers, header::ACCEPT_RANGES), "bytes");
    let etag = header_text(&headers, header::ETAG);
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() > 10,
        "{etag}"
    );
    assert!(header_text(&headers, header::LAST_MODIFIED).ends_with(" GMT"));
    assert_eq!(emulator.delivered_bytes(), expected.len() as u64);
}

#[tokio::test]
async fn delivery_audio_m4a() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    let uid = ready_download(&emulator, &api, "audio").await;
    let url = format!("{}/{uid}/downloads/audio.m4a", emulator.delivery_base());

    let (status, headers, body) = fetch(&url, &[]).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_text(&headers, header::CONTENT_TYPE), "audio/mp4");
    assert_eq!(body, sample_m4a());
}

#[tokio::test]
async fn delivery_ranges_206() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    let uid = ready_download(&emulator, &api, "default").await;
    let expected = sample_mp4();
    let len = expected.len();
    let past_end = format!("bytes=10-{}", len + 50);
    let cases = [
        ("bytes=0-99", 0, 100),
        ("bytes=1000-", 1000, len),
        ("bytes=-500", len - 500, len),
        (past_end.as_str(), 10, len),
    ];

    for (range, start, end) in cases {
        let (status, headers, body) =
            fetch(&mp4_url(&emulator, &uid), &[(header::RANGE, range)]).await;

        assert_eq!(status, StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(
            header_text(&headers, header::CONTENT_RANGE),
            format!("bytes {start}-{}/{len}", end - 1),
            "{range}"
        );
        assert_eq!(
            header_text(&headers, header::CONTENT_LENGTH),
            (end - start).to_string(),
            "{range}"
        );
        assert_eq!(body, &expected[start..end], "{range}");
    }
}

#[tokio::test]
async fn delivery_unsatisfiable_416() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    let uid = ready_download(&emulator, &api, "default").await;
    let len = samples::all()[0].video.len();

    let (status, headers, _) = fetch(
        &mp4_url(&emulator, &uid),
        &[(header::RANGE, &format!("bytes={len}-"))],
    )
    .await;

    assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        header_text(&headers, header::CONTENT_RANGE),
        format!("bytes */{len}")
    );
}

#[tokio::test]
async fn delivery_if_range_mismatch_sends_full() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    let uid = ready_download(&emulator, &api, "default").await;
    let (_, first_headers, _) = fetch(&mp4_url(&emulator, &uid), &[]).await;
    let etag = header_text(&first_headers, header::ETAG).to_owned();

    let (matching, _, _) = fetch(
        &mp4_url(&emulator, &uid),
        &[(header::RANGE, "bytes=0-9"), (header::IF_RANGE, &etag)],
    )
    .await;
    let (stale, _, body) = fetch(
        &mp4_url(&emulator, &uid),
        &[
            (header::RANGE, "bytes=0-9"),
            (header::IF_RANGE, "\"stale\""),
        ],
    )
    .await;

    assert_eq!(matching, StatusCode::PARTIAL_CONTENT);
    assert_eq!(stale, StatusCode::OK);
    assert_eq!(body.len(), sample_mp4().len());
}

#[tokio::test]
async fn delivery_head_has_length_no_body() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    let uid = ready_download(&emulator, &api, "default").await;

    let response = reqwest::Client::new()
        .head(mp4_url(&emulator, &uid))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.unwrap();

    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        header_text(&headers, header::CONTENT_LENGTH),
        sample_mp4().len().to_string()
    );
    assert!(headers.contains_key(header::ETAG));
    assert!(body.is_empty());
}

#[tokio::test]
async fn delivery_filename_disposition() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    let uid = ready_download(&emulator, &api, "default").await;
    let url = mp4_url(&emulator, &uid);

    let (status, headers, _) = fetch(&format!("{url}?filename=Team_Review-2024"), &[]).await;
    let (invalid, invalid_headers, _) = fetch(&format!("{url}?filename=a%20b"), &[]).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        header_text(&headers, header::CONTENT_DISPOSITION),
        "attachment; filename=\"Team_Review-2024.mp4\""
    );
    assert_eq!(invalid, StatusCode::BAD_REQUEST);
    assert!(header_text(&invalid_headers, header::CONTENT_TYPE).starts_with("text/html"));
}

#[tokio::test]
async fn delivery_signed_video_401() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    let uid = emulator.add_video(VideoSpec {
        require_signed_urls: true,
        ..VideoSpec::default()
    });
    let (created, _) = api.json(Method::POST, &format!("/{uid}/downloads")).await;
    tokio::time::sleep(Duration::from_millis(350)).await;

    let (status, headers, _) = fetch(&mp4_url(&emulator, &uid), &[]).await;

    assert_eq!(created, StatusCode::OK);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(header_text(&headers, header::CONTENT_TYPE).starts_with("text/html"));
}

#[tokio::test]
async fn delivery_errored_video_424() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    let uid = ready_download(&emulator, &api, "default").await;
    emulator.set_video_state(&uid, VideoState::Error);

    let (status, _, _) = fetch(&mp4_url(&emulator, &uid), &[]).await;

    assert_eq!(status, StatusCode::FAILED_DEPENDENCY);
}

#[tokio::test]
async fn download_status_accessor() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    let uid = emulator.add_video(VideoSpec::default());

    let before = emulator.download_status(&uid, DownloadType::Default);
    api.json(Method::POST, &format!("/{uid}/downloads")).await;
    let after = emulator.download_status(&uid, DownloadType::Default);

    assert_eq!(before, None);
    assert!(after.is_some());
}

#[tokio::test]
async fn file_backed_seed_serves_ranges() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Holiday clip.mp4"), sample_mp4()).unwrap();
    std::fs::write(dir.path().join("Holiday clip.m4a"), sample_m4a()).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a video").unwrap();
    let emulator = start(EmulatorConfig {
        seed: Seed::Folder(dir.path().to_owned()),
        prepare_time: Duration::ZERO,
        ..EmulatorConfig::default()
    })
    .await;
    let api = Api::new(&emulator);
    let list = api.get_result("").await;
    let video: &Value = &list[0];
    let uid = video["uid"].as_str().unwrap().to_owned();
    api.json(Method::POST, &format!("/{uid}/downloads")).await;
    api.json(Method::POST, &format!("/{uid}/downloads/audio"))
        .await;
    let expected = sample_mp4();

    let (full_status, _, full) = fetch(&mp4_url(&emulator, &uid), &[]).await;
    let (part_status, _, part) = fetch(
        &mp4_url(&emulator, &uid),
        &[(header::RANGE, "bytes=70000-80000")],
    )
    .await;
    let audio_url = format!("{}/{uid}/downloads/audio.m4a", emulator.delivery_base());
    let (audio_status, _, audio) = fetch(&audio_url, &[]).await;

    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(video["meta"]["name"], "Holiday clip");
    assert_eq!(video["duration"].as_f64(), Some(10.0));
    assert_eq!(full_status, StatusCode::OK);
    assert_eq!(full, expected);
    assert_eq!(part_status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part, &expected[70_000..=80_000]);
    assert_eq!(audio_status, StatusCode::OK);
    assert_eq!(audio, sample_m4a());
}
