//! The v4 API over real HTTP: envelope, authentication, one video and the video list.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::{encode_time, error_code, start, start_empty, Api};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use stream_emulator::{samples, Bounds, EmulatorConfig, Seed, VideoSpec, VideoState};
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;
use time::OffsetDateTime;

async fn get_without_token(url: &str, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

fn assert_failure_envelope(body: &Value) {
    assert_eq!(body["success"], false, "{body}");
    assert!(body["result"].is_null(), "{body}");
    assert!(!body["errors"].as_array().unwrap().is_empty(), "{body}");
    assert!(body["messages"].is_array(), "{body}");
}

/// Adds videos created at `base + offsets[i]` seconds and returns their uids in that order.
fn add_at(
    emulator: &stream_emulator::RunningEmulator,
    base: OffsetDateTime,
    offsets: &[i64],
) -> Vec<String> {
    offsets
        .iter()
        .map(|offset| {
            emulator.add_video(VideoSpec {
                created: Some(base + time::Duration::seconds(*offset)),
                ..VideoSpec::named(format!("clip at {offset}"))
            })
        })
        .collect()
}

#[tokio::test]
async fn envelope_success_shape() {
    let emulator = start(EmulatorConfig::default()).await;
    let api = Api::new(&emulator);

    let (status, body) = api.json(Method::GET, "").await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["success"], true);
    assert_eq!(body["errors"], serde_json::json!([]));
    assert_eq!(body["messages"], serde_json::json!([]));
    assert_eq!(
        body["result"].as_array().unwrap().len(),
        samples::all().len()
    );
}

#[tokio::test]
async fn auth_missing_header() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);

    let (status, body) = get_without_token(&api.account_path, &[]).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_failure_envelope(&body);
    assert_eq!(error_code(&body), 1001);
    assert_eq!(
        body["errors"][0]["message"],
        "Missing \"Authorization\" header"
    );
}

#[tokio::test]
async fn auth_malformed_authorization() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);

    for value in [
        "Basic abc",
        "Bearer two words",
        "Bearer",
        "token-without-scheme",
    ] {
        let (status, body) =
            get_without_token(&api.account_path, &[("Authorization", value)]).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{value}");
        assert_failure_envelope(&body);
        assert_eq!(error_code(&body), 6003, "{value}");
        assert_eq!(body["errors"][0]["error_chain"][0]["code"], 6111, "{value}");
    }
}

#[tokio::test]
async fn auth_wrong_token() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);

    let (status, body) = get_without_token(
        &api.account_path,
        &[("Authorization", "Bearer wrongToken123")],
    )
    .await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_failure_envelope(&body);
    assert_eq!(error_code(&body), 10000);
    assert_eq!(body["errors"][0]["message"], "Authentication error");
}

#[tokio::test]
async fn auth_wrong_account() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    let url = format!(
        "{}/accounts/0123456789abcdef0123456789abcdef/stream",
        api.base
    );
    let bearer = format!("Bearer {}", emulator.api_token());

    let (status, body) = get_without_token(&url, &[("Authorization", &bearer)]).await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), 10000);
}

#[tokio::test]
async fn auth_legacy_pair() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    let key = "0123456789abcdef0123456789abcdef01234";

    let (valid_status, valid_body) = get_without_token(
        &api.account_path,
        &[("X-Auth-Email", "user@example.com"), ("X-Auth-Key", key)],
    )
    .await;
    let (bad_key_status, bad_key_body) = get_without_token(
        &api.account_path,
        &[
            ("X-Auth-Email", "user@example.com"),
            ("X-Auth-Key", "short"),
        ],
    )
    .await;
    let (bad_email_status, bad_email_body) =
        get_without_token(&api.account_path, &[("X-Auth-Key", key)]).await;

    assert_eq!(valid_status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&valid_body), 10000);
    assert_eq!(bad_key_status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_key_body["errors"][0]["error_chain"][0]["code"], 6103);
    assert_eq!(bad_email_status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_email_body["errors"][0]["error_chain"][0]["code"], 6102);
}

#[tokio::test]
async fn unknown_route_7003() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);

    let (status, body) = get_without_token(&format!("{}/zones", api.base), &[]).await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_failure_envelope(&body);
    assert_eq!(error_code(&body), 7003);
}

#[tokio::test]
async fn wrong_method_is_json_405() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);

    let (status, body) = api.json(Method::PUT, "").await;

    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_failure_envelope(&body);
}

#[tokio::test]
async fn video_unknown_uid_404() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);

    let (status, body) = api
        .json(Method::GET, "/0123456789abcdef0123456789abcdef")
        .await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_failure_envelope(&body);
    assert_eq!(error_code(&body), 10005);
}

#[tokio::test]
async fn video_ready_fields() {
    let emulator = start(EmulatorConfig::default()).await;
    let api = Api::new(&emulator);
    let sample = &samples::all()[0];
    let uid = emulator
        .videos()
        .into_iter()
        .find(|video| video.name.as_deref() == Some(sample.title.as_str()))
        .unwrap()
        .uid;

    let video = api.get_result(&format!("/{uid}")).await;

    assert_eq!(video["uid"], uid);
    assert_eq!(video["meta"]["name"], sample.title);
    assert_eq!(video["meta"]["filename"], sample.file);
    assert_eq!(video["creator"], serde_json::json!(sample.creator));
    assert_eq!(video["readyToStream"], true);
    assert_eq!(video["status"]["state"], "ready");
    assert_eq!(video["status"]["pctComplete"], "100.000000");
    assert_eq!(video["status"]["errorReasonCode"], "");
    assert_eq!(video["duration"].as_f64(), Some(10.0));
    assert_eq!(video["size"].as_u64(), Some(sample.video.len()));
    assert_eq!(video["input"]["width"], 640);
    assert_eq!(video["input"]["height"], 360);
    assert_eq!(video["requireSignedURLs"], false);
    assert_eq!(video["allowedOrigins"], serde_json::json!([]));
    assert!(video["scheduledDeletion"].is_null());
    let hls = video["playback"]["hls"].as_str().unwrap();
    assert_eq!(
        hls,
        format!("{}/{uid}/manifest/video.m3u8", emulator.delivery_base())
    );
}

#[tokio::test]
async fn video_created_has_microseconds() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    let uid = emulator.add_video(VideoSpec {
        created: Some(datetime!(2024-01-01 00:00:00.123456789 UTC)),
        ..VideoSpec::default()
    });

    let video = api.get_result(&format!("/{uid}")).await;

    assert_eq!(video["created"], "2024-01-01T00:00:00.123456Z");
}

#[tokio::test]
async fn video_not_ready_fields() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    let uid = emulator.add_video(VideoSpec {
        state: VideoState::InProgress,
        ..VideoSpec::default()
    });

    let video = api.get_result(&format!("/{uid}")).await;

    assert_eq!(video["readyToStream"], false);
    assert_eq!(video["duration"], -1);
    assert!(video["readyToStreamAt"].is_null());
    assert!(video.get("thumbnail").is_none());
    assert!(video["meta"].get("name").is_none());
}

#[tokio::test]
async fn list_newest_first_and_asc() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    let uids = add_at(&emulator, datetime!(2024-01-01 00:00 UTC), &[0, 60, 120]);

    let descending = api.list_uids("").await;
    let ascending = api.list_uids("asc=true").await;

    assert_eq!(
        descending,
        [uids[2].clone(), uids[1].clone(), uids[0].clone()]
    );
    assert_eq!(ascending, uids);
}

#[tokio::test]
async fn list_bounds_exclusive() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    let uids = add_at(&emulator, datetime!(2024-01-01 00:00 UTC), &[0, 60, 120]);
    let before = encode_time("2024-01-01T00:02:00.000000Z");
    let after = encode_time("2024-01-01T00:00:00Z");

    let by_before = api.list_uids(&format!("before={before}")).await;
    let by_end = api.list_uids(&format!("end={before}")).await;
    let by_after = api.list_uids(&format!("after={after}&asc=true")).await;
    let by_start = api.list_uids(&format!("start={after}&asc=true")).await;

    assert_eq!(by_before, [uids[1].clone(), uids[0].clone()]);
    assert_eq!(by_end, by_before);
    assert_eq!(by_after, [uids[1].clone(), uids[2].clone()]);
    assert_eq!(by_start, by_after);
}

#[tokio::test]
async fn list_bounds_inclusive() {
    let emulator = start(EmulatorConfig {
        seed: Seed::Empty,
        list_bounds: Bounds::Inclusive,
        ..EmulatorConfig::default()
    })
    .await;
    let api = Api::new(&emulator);
    let uids = add_at(&emulator, datetime!(2024-01-01 00:00 UTC), &[0, 60, 120]);
    let middle = encode_time("2024-01-01T00:01:00.000000Z");

    let by_before = api.list_uids(&format!("before={middle}")).await;
    let by_after = api.list_uids(&format!("after={middle}&asc=true")).await;

    assert_eq!(by_before, [uids[1].clone(), uids[0].clone()]);
    assert_eq!(by_after, [uids[1].clone(), uids[2].clone()]);
}

#[tokio::test]
async fn list_bound_with_offset_timezone() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    let uids = add_at(&emulator, datetime!(2024-01-01 00:00 UTC), &[0, 60]);

    let listed = api
        .list_uids(&format!(
            "before={}",
            encode_time("2024-01-01T02:00:30+02:00")
        ))
        .await;

    assert_eq!(listed, [uids[0].clone()]);
}

#[tokio::test]
async fn list_limit_range_total() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    add_at(&emulator, datetime!(2024-01-01 00:00 UTC), &[0, 1, 2, 3, 4]);

    let (_, with_counts) = api.json(Method::GET, "?limit=2&include_counts=true").await;
    let (_, without_counts) = api.json(Method::GET, "?limit=2").await;

    assert_eq!(with_counts["result"].as_array().unwrap().len(), 2);
    assert_eq!(with_counts["range"], 3);
    assert_eq!(with_counts["total"], 5);
    assert_eq!(without_counts["range"], 3);
    assert!(without_counts.get("total").is_none());
}

#[tokio::test]
async fn list_total_ignores_bounds() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    add_at(&emulator, datetime!(2024-01-01 00:00 UTC), &[0, 1, 2, 3, 4]);
    let before = encode_time("2024-01-01T00:00:02Z");

    let (_, body) = api
        .json(
            Method::GET,
            &format!("?before={before}&limit=1&include_counts=true"),
        )
        .await;

    assert_eq!(body["result"].as_array().unwrap().len(), 1);
    assert_eq!(body["range"], 1);
    assert_eq!(body["total"], 5);
}

#[tokio::test]
async fn list_numbers_as_strings() {
    let emulator = start(EmulatorConfig {
        seed: Seed::Empty,
        numbers_as_strings: true,
        ..EmulatorConfig::default()
    })
    .await;
    let api = Api::new(&emulator);
    add_at(&emulator, datetime!(2024-01-01 00:00 UTC), &[0, 1, 2]);

    let (_, body) = api.json(Method::GET, "?limit=1&include_counts=true").await;

    assert_eq!(body["range"], "2");
    assert_eq!(body["total"], "3");
}

#[tokio::test]
async fn list_invalid_parameters_400() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);

    for query in [
        "limit=0",
        "limit=1001",
        "limit=abc",
        "before=yesterday",
        "asc=maybe",
        "status=done",
    ] {
        let (status, body) = api.json(Method::GET, &format!("?{query}")).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_failure_envelope(&body);
    }
}

#[tokio::test]
async fn list_limit_max_configurable() {
    let emulator = start(EmulatorConfig {
        seed: Seed::Empty,
        page_limit_max: 2,
        ..EmulatorConfig::default()
    })
    .await;
    let api = Api::new(&emulator);
    add_at(&emulator, datetime!(2024-01-01 00:00 UTC), &[0, 1, 2]);

    let (default_status, default_body) = api.json(Method::GET, "").await;
    let (over_status, _) = api.json(Method::GET, "?limit=3").await;

    assert_eq!(default_status, StatusCode::OK);
    assert_eq!(default_body["result"].as_array().unwrap().len(), 2);
    assert_eq!(over_status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn list_search_case_insensitive() {
    let emulator = start(EmulatorConfig::default()).await;
    let api = Api::new(&emulator);
    let cafe = emulator
        .videos()
        .into_iter()
        .find(|video| {
            video
                .name
                .as_deref()
                .is_some_and(|name| name.starts_with("Café"))
        })
        .unwrap()
        .uid;

    let found = api.list_uids("search=CAF%C3%89%20%C3%BCBERSEE").await;
    let none = api.list_uids("search=no-such-title").await;

    assert_eq!(found, [cafe]);
    assert!(none.is_empty());
}

#[tokio::test]
async fn list_filters_creator_and_status() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    let by_ana = emulator.add_video(VideoSpec {
        creator: Some("ana".to_owned()),
        ..VideoSpec::default()
    });
    let queued = emulator.add_video(VideoSpec {
        state: VideoState::Queued,
        ..VideoSpec::default()
    });

    let creator = api.list_uids("creator=ana").await;
    let status = api.list_uids("status=queued").await;

    assert_eq!(creator, [by_ana]);
    assert_eq!(status, [queued]);
}

#[tokio::test]
async fn list_cursor_walk_sees_all() {
    let emulator = start(EmulatorConfig {
        seed: Seed::Empty,
        synthetic_videos: 25,
        ..EmulatorConfig::default()
    })
    .await;
    let api = Api::new(&emulator);

    let mut seen = Vec::new();
    let mut query = "limit=10".to_owned();
    for _ in 0..10 {
        let (_, body) = api.json(Method::GET, &format!("?{query}")).await;
        let page = body["result"].as_array().unwrap().clone();
        seen.extend(common::uids(&body["result"]));
        if body["range"] == 0 {
            break;
        }
        let last = page.last().unwrap()["created"].as_str().unwrap().to_owned();
        query = format!("limit=10&before={}", encode_time(&last));
    }

    let expected: HashSet<String> = emulator.videos().into_iter().map(|v| v.uid).collect();
    assert_eq!(seen.len(), 25);
    assert_eq!(seen.into_iter().collect::<HashSet<_>>(), expected);
}

#[tokio::test]
async fn synthetic_ten_thousand_fast() {
    let started = Instant::now();
    let emulator = start(EmulatorConfig {
        seed: Seed::Empty,
        synthetic_videos: 10_000,
        ..EmulatorConfig::default()
    })
    .await;
    let api = Api::new(&emulator);

    let (_, body) = api.json(Method::GET, "?include_counts=true").await;

    assert_eq!(body["result"].as_array().unwrap().len(), 1000);
    assert_eq!(body["range"], 9000);
    assert_eq!(body["total"], 10_000);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn synthetic_created_spread_newest_first() {
    let emulator = start(EmulatorConfig {
        seed: Seed::Empty,
        synthetic_videos: 50,
        ..EmulatorConfig::default()
    })
    .await;
    let api = Api::new(&emulator);

    let result = api.get_result("").await;

    let times: Vec<OffsetDateTime> = result
        .as_array()
        .unwrap()
        .iter()
        .map(|video| OffsetDateTime::parse(video["created"].as_str().unwrap(), &Rfc3339).unwrap())
        .collect();
    assert!(times.windows(2).all(|pair| pair[0] > pair[1]));
}

#[tokio::test]
async fn add_and_remove_while_serving() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);

    let uid = emulator.add_video(VideoSpec::named("late arrival"));
    let after_add = api.list_uids("").await;
    let removed = emulator.remove_video(&uid);
    let after_remove = api.list_uids("").await;

    assert_eq!(after_add, [uid]);
    assert!(removed);
    assert!(after_remove.is_empty());
}

#[tokio::test]
async fn request_count_counts_api_calls() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);

    api.json(Method::GET, "").await;
    get_without_token(&api.account_path, &[]).await;

    assert_eq!(emulator.request_count(), 2);
}

#[tokio::test]
async fn start_rejects_invalid_token() {
    let result = stream_emulator::Emulator::start(EmulatorConfig {
        api_token: "has space".to_owned(),
        ..EmulatorConfig::default()
    })
    .await;

    assert!(matches!(
        result,
        Err(stream_emulator::Error::InvalidConfig(_))
    ));
}
