//! The API rate limit, injected API faults and the per-endpoint counters over real HTTP.

mod common;

use std::time::Duration;

use common::{error_code, start, start_empty, Api};
use reqwest::header::{self, HeaderMap};
use reqwest::{Method, StatusCode};
use stream_emulator::{ApiFault, EmulatorConfig, RateLimit, RunningEmulator, Seed, VideoSpec};

async fn limited(requests: u32, lockout: Duration, retry_after_header: bool) -> RunningEmulator {
    start(EmulatorConfig {
        seed: Seed::Empty,
        rate_limit: Some(RateLimit {
            requests,
            window: Duration::from_secs(60),
            lockout,
            retry_after_header,
            ..RateLimit::default()
        }),
        ..EmulatorConfig::default()
    })
    .await
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|value| value.to_str().unwrap())
}

#[tokio::test]
async fn rate_limit_429_after_budget() {
    let emulator = limited(3, Duration::from_secs(60), true).await;
    let api = Api::new(&emulator);
    for _ in 0..3 {
        assert_eq!(api.send(Method::GET, "").await.status(), StatusCode::OK);
    }

    let response = api.send(Method::GET, "").await;
    let headers = response.headers().clone();
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap();

    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_code(&body), 971);
    assert_eq!(body["success"], false);
    assert_eq!(header_text(&headers, "retry-after"), Some("60"));
    assert_eq!(
        header_text(&headers, "ratelimit"),
        Some("\"default\";r=0;t=60")
    );
    assert_eq!(emulator.rate_limited_count(), 1);
}

#[tokio::test]
async fn rate_limit_headers_count_down() {
    let emulator = limited(5, Duration::from_secs(60), true).await;
    let api = Api::new(&emulator);

    let first = api.send(Method::GET, "").await;
    let second = api.send(Method::GET, "").await;

    assert_eq!(
        header_text(first.headers(), "ratelimit"),
        Some("\"default\";r=4;t=60")
    );
    assert!(header_text(second.headers(), "ratelimit")
        .unwrap()
        .starts_with("\"default\";r=3;"));
    assert_eq!(
        header_text(first.headers(), "ratelimit-policy"),
        Some("\"default\";q=5;w=60")
    );
}

#[tokio::test]
async fn rate_limit_lockout_then_recovers() {
    let emulator = limited(2, Duration::from_millis(600), true).await;
    let api = Api::new(&emulator);
    api.send(Method::GET, "").await;
    api.send(Method::GET, "").await;

    let over = api.send(Method::GET, "").await.status();
    let during = api.send(Method::GET, "").await.status();
    tokio::time::sleep(Duration::from_millis(700)).await;
    let after = api.send(Method::GET, "").await.status();

    assert_eq!(over, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(during, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(after, StatusCode::OK);
    assert_eq!(emulator.counters().rate_limited, 2);
}

#[tokio::test]
async fn rate_limit_without_retry_after() {
    let emulator = limited(1, Duration::from_secs(60), false).await;
    let api = Api::new(&emulator);
    api.send(Method::GET, "").await;

    let response = api.send(Method::GET, "").await;

    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().get(header::RETRY_AFTER).is_none());
    assert!(response.headers().get("ratelimit").is_some());
}

#[tokio::test]
async fn rate_limit_ignores_delivery() {
    let emulator = limited(1, Duration::from_secs(60), true).await;
    let uid = emulator.add_video(VideoSpec::default());
    let url = format!("{}/{uid}/downloads/default.mp4", emulator.delivery_base());
    for _ in 0..3 {
        reqwest::get(&url).await.unwrap();
    }

    let status = Api::new(&emulator).send(Method::GET, "").await.status();

    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn no_rate_limit_by_default() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);

    let response = api.send(Method::GET, "").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get("ratelimit").is_none());
}

#[tokio::test]
async fn api_fault_answers_next_call_once() {
    let emulator = start_empty().await;
    let api = Api::new(&emulator);
    emulator
        .inject_api_fault(ApiFault::Status {
            status: 502,
            retry_after: None,
            html: true,
        })
        .unwrap();
    emulator
        .inject_api_fault(ApiFault::Status {
            status: 429,
            retry_after: Some(3),
            html: false,
        })
        .unwrap();

    let first = api.send(Method::GET, "").await;
    let first_type = header_text(first.headers(), "content-type")
        .unwrap()
        .to_owned();
    let second = api.send(Method::GET, "").await;
    let second_retry = header_text(second.headers(), "retry-after").map(str::to_owned);
    let second_body: serde_json::Value = second.json().await.unwrap();
    let third = api.send(Method::GET, "").await.status();

    assert_eq!(first.status(), StatusCode::BAD_GATEWAY);
    assert!(first_type.starts_with("text/html"));
    assert_eq!(error_code(&second_body), 971);
    assert_eq!(second_retry.as_deref(), Some("3"));
    assert_eq!(third, StatusCode::OK);
    assert_eq!(emulator.rate_limited_count(), 1);
}

#[tokio::test]
async fn endpoint_counters_by_kind() {
    let emulator = start(EmulatorConfig {
        seed: Seed::Empty,
        prepare_time: Duration::ZERO,
        ..EmulatorConfig::default()
    })
    .await;
    let api = Api::new(&emulator);
    let uid = emulator.add_video(VideoSpec::default());

    api.send(Method::GET, "").await;
    api.send(Method::GET, &format!("/{uid}")).await;
    api.send(Method::POST, &format!("/{uid}/downloads")).await;
    api.send(Method::GET, &format!("/{uid}/downloads")).await;
    api.send(Method::GET, &format!("/{uid}/downloads")).await;
    api.send(Method::DELETE, &format!("/{uid}/downloads")).await;
    api.send(Method::GET, "/keys").await;
    let counts = emulator.counters().api_by_endpoint;

    assert_eq!(counts.list, 1);
    assert_eq!(counts.video, 1);
    assert_eq!(counts.downloads_create, 1);
    assert_eq!(counts.downloads_get, 2);
    assert_eq!(counts.downloads_delete, 1);
    assert_eq!(counts.keys, 1);
    assert_eq!(counts.token, 0);
    assert_eq!(emulator.request_count(), 7);
}
