//! The emulator clock (`Date` headers, token times) and the transfer controls (rate limit, cut
//! on token expiry, byte counters) over real HTTP.

mod common;

use std::time::{Duration, Instant};

use common::signing::{
    create_key, delivery_url, download_claims, fetch, private_video, sample_mp4, sign,
    start_instant, unix_now, ApiKey,
};
use common::{date_header_unix, start, Api};
use reqwest::header;
use reqwest::{Method, StatusCode};
use serde_json::json;
use stream_emulator::{EmulatorConfig, RunningEmulator, Seed, VideoSpec};

/// Asserts that `actual` lies within 5 seconds of `expected`.
fn assert_near(actual: i64, expected: i64, label: &str) {
    assert!(
        (actual - expected).abs() <= 5,
        "{label}: {actual} is not within 5 s of {expected}"
    );
}

/// Outcome of reading a body chunk by chunk.
struct Streamed {
    bytes: Vec<u8>,
    content_length: u64,
    cut: bool,
}

/// GETs `url` and reads the body chunk by chunk, calling `after_first` once at least
/// `trigger_at` bytes have arrived.
async fn stream_body(url: &str, trigger_at: usize, after_first: impl FnOnce()) -> Streamed {
    let mut response = reqwest::Client::new().get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_length = response.content_length().unwrap();
    let mut bytes = Vec::new();
    let mut trigger = Some(after_first);

    let cut = loop {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            Ok(None) => break false,
            Err(_) => break true,
        }
        if bytes.len() >= trigger_at {
            if let Some(trigger) = trigger.take() {
                trigger();
            }
        }
    };
    Streamed {
        bytes,
        content_length,
        cut,
    }
}

/// A private video with ready downloads and a signing key.
struct Private {
    uid: String,
    key: ApiKey,
}

impl Private {
    async fn new(emulator: &RunningEmulator) -> Self {
        let api = Api::new(emulator);
        let uid = private_video(emulator, &api).await;
        let key = create_key(&api).await;
        Self { uid, key }
    }

    /// Returns the MP4 URL with a downloadable token that expires at `exp` (Unix seconds).
    fn url(&self, emulator: &RunningEmulator, exp: i64) -> String {
        let mut claims = download_claims(&self.uid);
        claims["exp"] = json!(exp);
        let token = sign(&self.key.pem, &self.key.id, &claims);
        delivery_url(emulator, &token, "default.mp4")
    }
}

async fn signed_private_url(emulator: &RunningEmulator, exp: i64) -> String {
    Private::new(emulator).await.url(emulator, exp)
}

#[tokio::test]
async fn date_header_follows_offset() {
    let emulator = start(EmulatorConfig {
        seed: Seed::Empty,
        clock_offset_secs: -600,
        ..EmulatorConfig::default()
    })
    .await;
    let api = Api::new(&emulator);

    let behind = api.send(Method::GET, "").await;
    emulator.set_clock_offset(600);
    let ahead = api.send(Method::GET, "").await;
    let unauthenticated = reqwest::Client::new()
        .get(format!("{}/accounts/x/stream", emulator.api_base()))
        .send()
        .await
        .unwrap();
    let (missing, missing_headers, _) =
        fetch(&format!("{}/nothing/here", emulator.delivery_base()), &[]).await;

    let now = unix_now();
    assert_near(
        date_header_unix(behind.headers()),
        now - 600,
        "API Date at -600",
    );
    assert_near(
        date_header_unix(ahead.headers()),
        now + 600,
        "API Date at +600",
    );
    assert_eq!(unauthenticated.status(), StatusCode::BAD_REQUEST);
    assert_near(
        date_header_unix(unauthenticated.headers()),
        now + 600,
        "API error Date",
    );
    assert_eq!(missing, StatusCode::NOT_FOUND);
    assert_near(
        date_header_unix(&missing_headers),
        now + 600,
        "delivery 404 Date",
    );
    assert_eq!(emulator.clock_offset(), 600);
    assert_near(emulator.now().unix_timestamp(), now + 600, "now()");
}

#[tokio::test]
async fn delivery_date_follows_offset() {
    let emulator = start_instant().await;
    let url = signed_private_url(&emulator, unix_now() + 3600).await;
    emulator.set_clock_offset(-600);

    let (status, headers, _) = fetch(&url, &[]).await;

    assert_eq!(status, StatusCode::OK);
    assert_near(
        date_header_unix(&headers),
        unix_now() - 600,
        "delivery Date",
    );
}

#[tokio::test]
async fn clock_ahead_reaches_nbf() {
    let emulator = start_instant().await;
    let private = Private::new(&emulator).await;
    let mut claims = download_claims(&private.uid);
    claims["nbf"] = json!(unix_now() + 300);
    let token = sign(&private.key.pem, &private.key.id, &claims);
    let url = delivery_url(&emulator, &token, "default.mp4");

    let (early, _, _) = fetch(&url, &[]).await;
    emulator.set_clock_offset(600);
    let (later, _, _) = fetch(&url, &[]).await;

    assert_eq!(early, StatusCode::UNAUTHORIZED);
    assert_eq!(later, StatusCode::OK);
}

#[tokio::test]
async fn clock_behind_accepts_old_exp() {
    let emulator = start_instant().await;
    let url = signed_private_url(&emulator, unix_now() - 300).await;

    let (now_status, _, _) = fetch(&url, &[]).await;
    emulator.set_clock_offset(-600);
    let (behind_status, _, _) = fetch(&url, &[]).await;

    assert_eq!(now_status, StatusCode::UNAUTHORIZED);
    assert_eq!(behind_status, StatusCode::OK);
}

#[tokio::test]
async fn token_endpoint_uses_clock() {
    let emulator = start_instant().await;
    let api = Api::new(&emulator);
    let uid = emulator.add_video(VideoSpec::default());
    let near_limit = json!({"exp": unix_now() + 24 * 3600 - 60});

    emulator.set_clock_offset(600);
    let (_, ahead) = api.json(Method::POST, &format!("/{uid}/token")).await;
    emulator.set_clock_offset(-600);
    let (behind_status, _) = api
        .json_with_body(Method::POST, &format!("/{uid}/token"), &near_limit)
        .await;

    let token = ahead["result"]["token"].as_str().unwrap();
    let exp: i64 = common::signing::jwt_part(token, 1)["exp"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_near(exp, unix_now() + 600 + 3600, "default exp at +600");
    assert_eq!(behind_status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn rate_limit_slows_body() {
    let emulator = start_instant().await;
    let uid = emulator.add_video(VideoSpec::default());
    Api::new(&emulator)
        .json(Method::POST, &format!("/{uid}/downloads"))
        .await;
    let url = delivery_url(&emulator, &uid, "default.mp4");
    emulator.set_delivery_rate(Some(160_000));

    let started = Instant::now();
    let (status, _, body) = fetch(&url, &[(header::RANGE, "bytes=0-79999")]).await;
    let elapsed = started.elapsed();

    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(body, &sample_mp4()[..80_000]);
    assert!(elapsed >= Duration::from_millis(450), "{elapsed:?}");
}

#[tokio::test]
async fn expiry_cuts_then_resume() {
    let emulator = start_instant().await;
    let expected = sample_mp4();
    let private = Private::new(&emulator).await;
    // The body needs about 8 s at this rate, and the token expires within 3 to 4 s, which
    // leaves a loaded machine seconds to send the first request.
    let url = private.url(&emulator, unix_now() + 4);
    emulator.set_delivery_rate(Some(12_000));
    emulator.set_cut_on_token_expiry(true);

    let first = stream_body(&url, usize::MAX, || {}).await;
    let sent_before_resume = emulator.counters().delivery_bytes;
    emulator.set_delivery_rate(None);
    let fresh = private.url(&emulator, unix_now() + 3600);
    let offset = first.bytes.len();
    let (status, _, rest) = fetch(&fresh, &[(header::RANGE, &format!("bytes={offset}-"))]).await;
    let resent = emulator.counters().delivery_bytes - sent_before_resume;

    assert!(first.cut, "the body ended without an error");
    assert_eq!(first.content_length, expected.len() as u64);
    assert!(offset > 0, "nothing arrived before the cut");
    assert!(offset < expected.len(), "the whole body arrived");
    assert_eq!(first.bytes, &expected[..offset]);
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!([first.bytes, rest].concat(), expected);
    assert_eq!(resent, (expected.len() - offset) as u64);
    assert!(
        sent_before_resume <= offset as u64 + 4_000,
        "sent {sent_before_resume}, received {offset}"
    );
}

#[tokio::test]
async fn clock_jump_cuts_body() {
    let emulator = start_instant().await;
    let url = signed_private_url(&emulator, unix_now() + 3600).await;
    emulator.set_delivery_rate(Some(100_000));
    emulator.set_cut_on_token_expiry(true);

    let streamed = stream_body(&url, 20_000, || emulator.set_clock_offset(7200)).await;

    assert!(streamed.cut);
    assert!(streamed.bytes.len() < sample_mp4().len());
}

#[tokio::test]
async fn cut_is_off_by_default() {
    let emulator = start_instant().await;
    let url = signed_private_url(&emulator, unix_now() + 3600).await;
    emulator.set_delivery_rate(Some(200_000));

    let streamed = stream_body(&url, 20_000, || emulator.set_clock_offset(7200)).await;

    assert!(!streamed.cut);
    assert_eq!(streamed.bytes, sample_mp4());
}

#[tokio::test]
async fn uid_url_never_cut() {
    let emulator = start_instant().await;
    let uid = emulator.add_video(VideoSpec::default());
    Api::new(&emulator)
        .json(Method::POST, &format!("/{uid}/downloads"))
        .await;
    emulator.set_delivery_rate(Some(400_000));
    emulator.set_cut_on_token_expiry(true);
    let url = delivery_url(&emulator, &uid, "default.mp4");

    let streamed = stream_body(&url, 20_000, || emulator.set_clock_offset(7200)).await;

    assert!(!streamed.cut);
    assert_eq!(streamed.bytes.len() as u64, streamed.content_length);
}

#[tokio::test]
async fn delivery_bytes_count_range() {
    let emulator = start_instant().await;
    let url = signed_private_url(&emulator, unix_now() + 3600).await;
    let before = emulator.counters();

    let (status, _, body) = fetch(&url, &[(header::RANGE, "bytes=-1000")]).await;
    let after = emulator.counters();

    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(body.len(), 1000);
    assert_eq!(after.delivery_bytes - before.delivery_bytes, 1000);
    assert_eq!(after.delivery_requests - before.delivery_requests, 1);
    assert_eq!(emulator.delivered_bytes(), after.delivery_bytes);
}
