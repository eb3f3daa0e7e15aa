//! Thumbnails, captions, live recordings, hostile titles and large seeds over real HTTP.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::signing::{create_key, fetch, sign, start_instant, unix_now};
use common::{error_code, start, start_empty, Api};
use reqwest::header;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use stream_emulator::{
    hostile_titles, samples, Caption, CaptionStatus, EmulatorConfig, RunningEmulator, Seed,
    VideoSpec, VideoState, LIVE_DOWNLOAD_MAX_SECONDS,
};

/// Returns the thumbnail URL with `id` (a uid or a token) as the id segment.
fn thumbnail_url(emulator: &RunningEmulator, id: &str) -> String {
    format!(
        "{}/{id}/thumbnails/thumbnail.jpg?height=270",
        emulator.delivery_base()
    )
}

/// Sends an authenticated GET and returns the status, `Content-Type` and body text.
async fn get_text(api: &Api, suffix: &str) -> (StatusCode, String, String) {
    let response = api.send(Method::GET, suffix).await;
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

fn content_type(headers: &header::HeaderMap) -> &str {
    headers[header::CONTENT_TYPE].to_str().unwrap()
}

fn english_and_japanese() -> Vec<Caption> {
    vec![
        Caption::ready(
            "en",
            "English",
            "WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n",
        ),
        Caption::ready(
            "ja",
            "日本語",
            "WEBVTT\n\n00:00.000 --> 00:01.000\nこんにちは\n",
        ),
    ]
}

#[tokio::test]
async fn thumbnail_public_is_jpeg() {
    let emulator = start_empty().await;
    let uid = emulator.add_video(VideoSpec::named("clip"));
    let api = Api::new(&emulator);
    let listed = api.get_result(&format!("/{uid}")).await;

    let url = listed["thumbnail"].as_str().unwrap().to_owned();
    let (status, headers, body) = fetch(&format!("{url}?height=270"), &[]).await;

    assert_eq!(
        url,
        format!(
            "{}/{uid}/thumbnails/thumbnail.jpg",
            emulator.delivery_base()
        )
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type(&headers), "image/jpeg");
    assert_eq!(body, samples::all()[0].thumbnail.to_vec());
    assert_eq!(emulator.counters().thumbnail_requests, 1);
}

#[tokio::test]
async fn thumbnail_private_uid_is_401() {
    let emulator = start_empty().await;
    let uid = emulator.add_video(VideoSpec {
        require_signed_urls: true,
        ..VideoSpec::named("private")
    });

    let (status, headers, _) = fetch(&thumbnail_url(&emulator, &uid), &[]).await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(content_type(&headers).starts_with("text/html"));
}

#[tokio::test]
async fn thumbnail_private_token_without_downloadable() {
    let emulator = start_instant().await;
    let api = Api::new(&emulator);
    let key = create_key(&api).await;
    let uid = emulator.add_video(VideoSpec {
        require_signed_urls: true,
        ..VideoSpec::named("private")
    });
    let claims = json!({"sub": uid, "exp": unix_now() + 600, "nbf": unix_now() - 600});
    let token = sign(&key.pem, &key.id, &claims);

    let (status, headers, body) = fetch(&thumbnail_url(&emulator, &token), &[]).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type(&headers), "image/jpeg");
    assert!(body.starts_with(&[0xFF, 0xD8, 0xFF]));
}

#[tokio::test]
async fn thumbnail_expired_token_is_401() {
    let emulator = start_instant().await;
    let api = Api::new(&emulator);
    let key = create_key(&api).await;
    let uid = emulator.add_video(VideoSpec {
        require_signed_urls: true,
        ..VideoSpec::named("private")
    });
    let claims = json!({"sub": uid, "exp": unix_now() - 60, "nbf": unix_now() - 600});
    let token = sign(&key.pem, &key.id, &claims);

    let (status, _, body) = fetch(&thumbnail_url(&emulator, &token), &[]).await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!String::from_utf8(body).unwrap().contains(&token));
}

#[tokio::test]
async fn thumbnail_unready_video_is_404() {
    let emulator = start_empty().await;
    let uid = emulator.add_video(VideoSpec {
        state: VideoState::InProgress,
        ..VideoSpec::named("encoding")
    });

    let (status, _, _) = fetch(&thumbnail_url(&emulator, &uid), &[]).await;

    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn thumbnail_errored_video_is_424() {
    let emulator = start_empty().await;
    let uid = emulator.add_video(VideoSpec {
        state: VideoState::Error,
        ..VideoSpec::named("broken")
    });

    let (status, _, _) = fetch(&thumbnail_url(&emulator, &uid), &[]).await;

    assert_eq!(status, StatusCode::FAILED_DEPENDENCY);
}

#[tokio::test]
async fn thumbnail_rejects_bad_height() {
    let emulator = start_empty().await;
    let uid = emulator.add_video(VideoSpec::named("clip"));
    let url = format!(
        "{}/{uid}/thumbnails/thumbnail.jpg?height=tall",
        emulator.delivery_base()
    );

    let (status, _, _) = fetch(&url, &[]).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn thumbnail_gif_is_404() {
    let emulator = start_empty().await;
    let uid = emulator.add_video(VideoSpec::named("clip"));
    let url = format!(
        "{}/{uid}/thumbnails/thumbnail.gif",
        emulator.delivery_base()
    );

    let (status, _, _) = fetch(&url, &[]).await;

    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn thumbnail_html_bytes_sniffed() {
    let emulator = start_empty().await;
    let page = "<!DOCTYPE html><html><body>Sign in to continue</body></html>";
    let uid = emulator.add_video(VideoSpec {
        thumbnail: bytes::Bytes::from_static(page.as_bytes()),
        ..VideoSpec::named("portal")
    });

    let (status, headers, body) = fetch(&thumbnail_url(&emulator, &uid), &[]).await;

    assert_eq!(status, StatusCode::OK);
    assert!(content_type(&headers).starts_with("text/html"));
    assert_eq!(body, page.as_bytes());
}

#[tokio::test]
async fn thumbnail_not_an_api_request() {
    let emulator = start_empty().await;
    let uid = emulator.add_video(VideoSpec::named("clip"));

    fetch(&thumbnail_url(&emulator, &uid), &[]).await;

    assert_eq!(emulator.request_count(), 0);
    assert_eq!(emulator.delivery_count(), 1);
}

#[tokio::test]
async fn captions_list_shape() {
    let emulator = start_empty().await;
    let mut captions = english_and_japanese();
    captions.push(Caption {
        generated: true,
        status: CaptionStatus::InProgress,
        ..Caption::ready("de", "Deutsch (automatisch)", "")
    });
    let uid = emulator.add_video(VideoSpec {
        captions,
        ..VideoSpec::named("talk")
    });
    let api = Api::new(&emulator);

    let result = api.get_result(&format!("/{uid}/captions")).await;

    assert_eq!(
        result,
        json!([
            {"language": "en", "label": "English", "generated": false, "status": "ready"},
            {"language": "ja", "label": "日本語", "generated": false, "status": "ready"},
            {"language": "de", "label": "Deutsch (automatisch)", "generated": true,
             "status": "inprogress"},
        ])
    );
}

#[tokio::test]
async fn captions_empty_list() {
    let emulator = start_empty().await;
    let uid = emulator.add_video(VideoSpec::named("silent"));
    let api = Api::new(&emulator);

    let result = api.get_result(&format!("/{uid}/captions")).await;

    assert_eq!(result, json!([]));
}

#[tokio::test]
async fn captions_unknown_video_404() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);

    let (status, body) = api
        .json(Method::GET, "/0123456789abcdef0123456789abcdef/captions")
        .await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), 10005);
}

#[tokio::test]
async fn caption_one_track() {
    let emulator = start_empty().await;
    let uid = emulator.add_video(VideoSpec {
        captions: english_and_japanese(),
        ..VideoSpec::named("talk")
    });
    let api = Api::new(&emulator);

    let result = api.get_result(&format!("/{uid}/captions/ja")).await;

    assert_eq!(result["label"], "日本語");
    assert_eq!(result["status"], "ready");
}

#[tokio::test]
async fn caption_vtt_is_raw_text() {
    let emulator = start_empty().await;
    let captions = english_and_japanese();
    let expected = captions[1].vtt.clone();
    let uid = emulator.add_video(VideoSpec {
        captions,
        ..VideoSpec::named("talk")
    });
    let api = Api::new(&emulator);

    let (status, content_type, body) = get_text(&api, &format!("/{uid}/captions/ja/vtt")).await;

    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/vtt"), "{content_type}");
    assert_eq!(body, expected);
}

#[tokio::test]
async fn caption_language_ignores_case() {
    let emulator = start_empty().await;
    let uid = emulator.add_video(VideoSpec {
        captions: vec![Caption::ready("pt-BR", "Português", "WEBVTT\n")],
        ..VideoSpec::named("talk")
    });
    let api = Api::new(&emulator);

    let (status, _, body) = get_text(&api, &format!("/{uid}/captions/pt-br/vtt")).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "WEBVTT\n");
}

#[tokio::test]
async fn caption_unknown_language_404() {
    let emulator = start_empty().await;
    let uid = emulator.add_video(VideoSpec {
        captions: english_and_japanese(),
        ..VideoSpec::named("talk")
    });
    let api = Api::new(&emulator);

    let (status, body) = api
        .json(Method::GET, &format!("/{uid}/captions/fr/vtt"))
        .await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["success"], false);
    assert_eq!(error_code(&body), 10019);
}

#[tokio::test]
async fn caption_in_progress_has_no_file() {
    let emulator = start_empty().await;
    let caption = Caption {
        status: CaptionStatus::InProgress,
        generated: true,
        ..Caption::ready("en", "English (auto-generated)", "WEBVTT\n")
    };
    let uid = emulator.add_video(VideoSpec {
        captions: vec![caption],
        ..VideoSpec::named("talk")
    });
    let api = Api::new(&emulator);

    let (status, body) = api
        .json(Method::GET, &format!("/{uid}/captions/en/vtt"))
        .await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("inprogress"), "{message}");
}

#[tokio::test]
async fn caption_vtt_needs_auth() {
    let emulator = start_empty().await;
    let uid = emulator.add_video(VideoSpec {
        captions: english_and_japanese(),
        ..VideoSpec::named("talk")
    });
    let api = Api::new(&emulator);
    let url = format!("{}/{uid}/captions/en/vtt", api.account_path);

    let response = reqwest::Client::new().get(url).send().await.unwrap();

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn captions_counted_per_endpoint() {
    let emulator = start_empty().await;
    let uid = emulator.add_video(VideoSpec {
        captions: english_and_japanese(),
        ..VideoSpec::named("talk")
    });
    let api = Api::new(&emulator);

    api.get_result(&format!("/{uid}/captions")).await;
    get_text(&api, &format!("/{uid}/captions/en/vtt")).await;

    assert_eq!(emulator.api_by_endpoint().captions, 2);
    assert_eq!(emulator.api_by_endpoint().other, 0);
}

#[tokio::test]
async fn set_captions_replaces_tracks() {
    let emulator = start_empty().await;
    let uid = emulator.add_video(VideoSpec::named("talk"));
    let api = Api::new(&emulator);

    let changed = emulator.set_captions(&uid, english_and_japanese());
    let result = api.get_result(&format!("/{uid}/captions")).await;

    assert!(changed);
    assert_eq!(result.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn sample_seed_has_captions() {
    let emulator = start(EmulatorConfig::default()).await;
    let api = Api::new(&emulator);
    let videos = api.get_result("").await;
    let aurora = videos
        .as_array()
        .unwrap()
        .iter()
        .find(|video| video["meta"]["filename"] == "aurora-bars.mp4")
        .unwrap()["uid"]
        .as_str()
        .unwrap()
        .to_owned();

    let result = api.get_result(&format!("/{aurora}/captions")).await;
    let (_, _, japanese) = get_text(&api, &format!("/{aurora}/captions/ja/vtt")).await;

    let languages: Vec<&str> = result
        .as_array()
        .unwrap()
        .iter()
        .map(|track| track["language"].as_str().unwrap())
        .collect();
    assert_eq!(languages, ["en", "ja"]);
    assert!(japanese.starts_with("WEBVTT"));
    assert!(japanese.contains("カラーバー"), "{japanese}");
}

#[tokio::test]
async fn live_input_field() {
    let emulator = start_empty().await;
    let live = emulator.add_video(VideoSpec {
        live_input: Some("f256e6ea9341d51eea64c9454659e576".to_owned()),
        ..VideoSpec::named("stream recording")
    });
    let upload = emulator.add_video(VideoSpec::named("upload"));
    let api = Api::new(&emulator);

    let live_json = api.get_result(&format!("/{live}")).await;
    let upload_json = api.get_result(&format!("/{upload}")).await;

    assert_eq!(live_json["liveInput"], "f256e6ea9341d51eea64c9454659e576");
    assert!(upload_json.get("liveInput").is_none(), "{upload_json}");
}

fn live_recording(emulator: &RunningEmulator, seconds: f64) -> String {
    emulator.add_video(VideoSpec {
        live_input: Some("f256e6ea9341d51eea64c9454659e576".to_owned()),
        duration: Some(seconds),
        ..VideoSpec::named("webinar recording")
    })
}

#[tokio::test]
async fn live_long_recording_refuses_downloads() {
    let emulator = start_empty().await;
    let uid = live_recording(&emulator, LIVE_DOWNLOAD_MAX_SECONDS);
    let api = Api::new(&emulator);

    for suffix in ["downloads", "downloads/default", "downloads/audio"] {
        let (status, body) = api.json(Method::POST, &format!("/{uid}/{suffix}")).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{suffix}: {body}");
        assert_eq!(error_code(&body), 10018, "{suffix}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("4 hours"), "{message}");
    }
    assert!(emulator
        .download_status(&uid, stream_emulator::DownloadType::Default)
        .is_none());
}

#[tokio::test]
async fn live_short_recording_downloads() {
    let emulator = start_empty().await;
    let uid = live_recording(&emulator, LIVE_DOWNLOAD_MAX_SECONDS - 1.0);
    let api = Api::new(&emulator);

    let (status, body) = api.json(Method::POST, &format!("/{uid}/downloads")).await;

    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn long_upload_downloads() {
    let emulator = start_empty().await;
    let uid = emulator.add_video(VideoSpec {
        duration: Some(LIVE_DOWNLOAD_MAX_SECONDS * 2.0),
        ..VideoSpec::named("long upload")
    });
    let api = Api::new(&emulator);

    let (status, body) = api.json(Method::POST, &format!("/{uid}/downloads")).await;

    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn hostile_seed_names_round_trip() {
    let emulator = start(EmulatorConfig {
        seed: Seed::Empty,
        hostile_titles: true,
        ..EmulatorConfig::default()
    })
    .await;
    let api = Api::new(&emulator);

    let result = api.get_result("?asc=true").await;

    let names: Vec<String> = result
        .as_array()
        .unwrap()
        .iter()
        .map(|video| video["meta"]["name"].as_str().unwrap().to_owned())
        .collect();
    let mut expected = hostile_titles();
    // Listed oldest first; the seed creates them one minute apart, the first one newest.
    expected.reverse();
    assert_eq!(names, expected);
}

#[tokio::test]
async fn hostile_seed_uids_distinct() {
    let emulator = start(EmulatorConfig {
        seed: Seed::Empty,
        hostile_titles: true,
        ..EmulatorConfig::default()
    })
    .await;

    let uids: HashSet<String> = emulator.videos().into_iter().map(|v| v.uid).collect();

    assert_eq!(uids.len(), hostile_titles().len());
}

#[tokio::test]
async fn seed_ten_thousand_fast() {
    let started = Instant::now();
    let emulator = start(EmulatorConfig {
        synthetic_videos: 10_000,
        ..EmulatorConfig::default()
    })
    .await;
    let elapsed = started.elapsed();
    let api = Api::new(&emulator);

    let (status, body) = api.json(Method::GET, "?include_counts=true&limit=1").await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["total"], json!(10_000 + samples::all().len()));
    // The limit holds for debug builds on a 2-core machine, where seeding took about 60 ms.
    assert!(elapsed < Duration::from_secs(1), "seeding took {elapsed:?}");
}

#[tokio::test]
async fn list_page_of_thousand_fast() {
    let emulator = start(EmulatorConfig {
        synthetic_videos: 10_000,
        seed: Seed::Empty,
        ..EmulatorConfig::default()
    })
    .await;
    let api = Api::new(&emulator);

    let started = Instant::now();
    let page: Value = api.get_result("?limit=1000").await;
    let elapsed = started.elapsed();

    assert_eq!(page.as_array().unwrap().len(), 1000);
    assert!(
        elapsed < Duration::from_secs(1),
        "one page took {elapsed:?}"
    );
}
