//! Injected delivery faults, preparation faults and the delivery request log over real HTTP.

mod common;

use std::time::{Duration, Instant};

use common::{error_code, start, Api};
use reqwest::header::{self, HeaderMap};
use reqwest::{Method, StatusCode};
use stream_emulator::{
    DeliveryFault, DownloadScript, DownloadType, EmulatorConfig, MediaFile, RunningEmulator, Seed,
    VideoSpec,
};

/// Starts an emulator whose downloads are ready at once, with one ready video.
async fn ready_video() -> (RunningEmulator, String, Vec<u8>) {
    let emulator = start(EmulatorConfig {
        seed: Seed::Empty,
        prepare_time: Duration::ZERO,
        ..EmulatorConfig::default()
    })
    .await;
    let spec = VideoSpec::default();
    let bytes = sample_file(0);
    let uid = emulator.add_video(spec);
    let (status, _) = Api::new(&emulator)
        .json(Method::POST, &format!("/{uid}/downloads"))
        .await;
    assert_eq!(status, StatusCode::OK);
    (emulator, uid, bytes)
}

/// Returns the bytes of the MP4 of sample `index`.
fn sample_file(index: usize) -> Vec<u8> {
    let name = stream_emulator::samples::all()[index].file;
    let path = format!("{}/../../samples/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("failed to read {path}: {error}"))
}

fn mp4_url(emulator: &RunningEmulator, uid: &str) -> String {
    format!("{}/{uid}/downloads/default.mp4", emulator.delivery_base())
}

/// A response read to its end or to a body error.
struct Fetched {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
    /// The body error, if reading stopped with one.
    error: Option<reqwest::Error>,
}

async fn get(url: &str, headers: &[(header::HeaderName, &str)]) -> Fetched {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let mut request = client.get(url);
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    let mut response = request.send().await.expect("headers arrive");
    let status = response.status();
    let headers = response.headers().clone();
    let mut body = Vec::new();
    let error = loop {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => break None,
            Err(error) => break Some(error),
        }
    };
    Fetched {
        status,
        headers,
        body,
        error,
    }
}

fn header_text<'a>(headers: &'a HeaderMap, name: &header::HeaderName) -> &'a str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("response has no {name} header"))
        .to_str()
        .unwrap()
}

/// Returns whether an error chain contains an I/O error of kind `ConnectionReset`.
fn is_connection_reset(error: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::ConnectionReset {
                return true;
            }
        }
        source = current.source();
    }
    false
}

#[tokio::test]
async fn reset_at_sends_prefix_then_resets() {
    let (emulator, uid, bytes) = ready_video().await;
    emulator
        .inject_delivery_fault(DeliveryFault::ResetAt(5000))
        .unwrap();

    let fetched = get(&mp4_url(&emulator, &uid), &[]).await;

    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.body, &bytes[..5000]);
    let error = fetched.error.expect("the body ends with an error");
    assert!(is_connection_reset(&error), "not a reset: {error:?}");
    assert_eq!(emulator.reset_count(), 1);
}

#[tokio::test]
async fn reset_offset_is_file_position() {
    let (emulator, uid, bytes) = ready_video().await;
    emulator
        .inject_delivery_fault(DeliveryFault::ResetAt(9000))
        .unwrap();

    let fetched = get(&mp4_url(&emulator, &uid), &[(header::RANGE, "bytes=4000-")]).await;

    assert_eq!(fetched.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(fetched.body, &bytes[4000..9000]);
    assert!(fetched.error.is_some());
}

#[tokio::test]
async fn close_at_ends_cleanly_short() {
    let (emulator, uid, bytes) = ready_video().await;
    emulator
        .inject_delivery_fault(DeliveryFault::CloseAt(7000))
        .unwrap();

    let fetched = get(&mp4_url(&emulator, &uid), &[]).await;

    assert_eq!(fetched.body, &bytes[..7000]);
    let error = fetched.error.expect("a short body is a body error");
    assert!(
        !is_connection_reset(&error),
        "closed with a reset: {error:?}"
    );
    assert_eq!(emulator.reset_count(), 0);
}

#[tokio::test]
async fn silence_at_keeps_connection_quiet() {
    let (emulator, uid, bytes) = ready_video().await;
    emulator
        .inject_delivery_fault(DeliveryFault::SilenceAt(3000))
        .unwrap();
    let mut response = reqwest::get(mp4_url(&emulator, &uid)).await.unwrap();
    let mut body = Vec::new();

    let timed_out = loop {
        match tokio::time::timeout(Duration::from_millis(700), response.chunk()).await {
            Ok(Ok(Some(chunk))) => body.extend_from_slice(&chunk),
            Ok(other) => panic!("body ended while it should be silent: {other:?}"),
            Err(_) => break true,
        }
    };

    assert!(timed_out);
    assert_eq!(body, &bytes[..3000]);
}

#[tokio::test]
async fn headers_then_silence_sends_no_body() {
    let (emulator, uid, _) = ready_video().await;
    emulator
        .inject_delivery_fault(DeliveryFault::HeadersThenSilence)
        .unwrap();

    let mut response = reqwest::get(mp4_url(&emulator, &uid)).await.unwrap();
    let first = tokio::time::timeout(Duration::from_millis(700), response.chunk()).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert!(first.is_err(), "a chunk arrived: {first:?}");
}

#[tokio::test]
async fn silence_ends_on_shutdown() {
    let (emulator, uid, _) = ready_video().await;
    emulator
        .inject_delivery_fault(DeliveryFault::HeadersThenSilence)
        .unwrap();
    let mut response = reqwest::get(mp4_url(&emulator, &uid)).await.unwrap();

    let started = Instant::now();
    emulator.shutdown().await;
    let ended = tokio::time::timeout(Duration::from_secs(10), response.chunk()).await;

    assert!(ended.is_ok(), "the silenced body outlived the emulator");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn trickle_slows_whole_body() {
    let (emulator, uid, bytes) = ready_video().await;
    let rate = bytes.len() as u64 * 2;
    emulator
        .inject_delivery_fault(DeliveryFault::Trickle {
            bytes_per_second: rate,
        })
        .unwrap();

    let started = Instant::now();
    let fetched = get(&mp4_url(&emulator, &uid), &[]).await;

    assert_eq!(fetched.body, bytes);
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn ignore_range_sends_full_200() {
    let (emulator, uid, bytes) = ready_video().await;
    emulator
        .inject_delivery_fault(DeliveryFault::IgnoreRange)
        .unwrap();

    let fetched = get(&mp4_url(&emulator, &uid), &[(header::RANGE, "bytes=100-")]).await;

    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.body, bytes);
    assert!(fetched.headers.get(header::CONTENT_RANGE).is_none());
}

#[tokio::test]
async fn wrong_content_range_starts_at_zero() {
    let (emulator, uid, bytes) = ready_video().await;
    emulator
        .inject_delivery_fault(DeliveryFault::WrongContentRange)
        .unwrap();

    let fetched = get(
        &mp4_url(&emulator, &uid),
        &[(header::RANGE, "bytes=1000-1999")],
    )
    .await;

    assert_eq!(fetched.status, StatusCode::PARTIAL_CONTENT);
    let expected = format!("bytes 0-999/{}", bytes.len());
    assert_eq!(
        header_text(&fetched.headers, &header::CONTENT_RANGE),
        expected
    );
    assert_eq!(fetched.body, &bytes[..1000]);
}

#[tokio::test]
async fn status_fault_html_with_retry_after() {
    let (emulator, uid, _) = ready_video().await;
    emulator
        .inject_delivery_fault(DeliveryFault::Status {
            status: 503,
            retry_after: Some(7),
            html: true,
        })
        .unwrap();

    let fetched = get(&mp4_url(&emulator, &uid), &[]).await;

    assert_eq!(fetched.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header_text(&fetched.headers, &header::RETRY_AFTER), "7");
    assert!(header_text(&fetched.headers, &header::CONTENT_TYPE).starts_with("text/html"));
}

#[tokio::test]
async fn status_fault_json_429() {
    let (emulator, uid, _) = ready_video().await;
    emulator
        .inject_delivery_fault(DeliveryFault::Status {
            status: 429,
            retry_after: None,
            html: false,
        })
        .unwrap();

    let fetched = get(&mp4_url(&emulator, &uid), &[]).await;
    let body: serde_json::Value = serde_json::from_slice(&fetched.body).unwrap();

    assert_eq!(fetched.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(fetched.headers.get(header::RETRY_AFTER).is_none());
    assert_eq!(error_code(&body), 971);
}

#[tokio::test]
async fn html_ok_is_captive_portal() {
    let (emulator, uid, _) = ready_video().await;
    emulator
        .inject_delivery_fault(DeliveryFault::HtmlOk)
        .unwrap();

    let fetched = get(&mp4_url(&emulator, &uid), &[]).await;

    assert_eq!(fetched.status, StatusCode::OK);
    assert!(header_text(&fetched.headers, &header::CONTENT_TYPE).starts_with("text/html"));
    assert!(fetched.body.starts_with(b"<!DOCTYPE html>"));
}

#[tokio::test]
async fn faults_apply_in_order_once() {
    let (emulator, uid, bytes) = ready_video().await;
    emulator
        .inject_delivery_fault(DeliveryFault::CloseAt(10))
        .unwrap();
    emulator
        .inject_delivery_fault(DeliveryFault::HtmlOk)
        .unwrap();
    let url = mp4_url(&emulator, &uid);

    let first = get(&url, &[]).await;
    let second = get(&url, &[]).await;
    let third = get(&url, &[]).await;

    assert_eq!(first.body.len(), 10);
    assert!(header_text(&second.headers, &header::CONTENT_TYPE).starts_with("text/html"));
    assert_eq!(third.body, bytes);
    assert_eq!(emulator.pending_faults(), (0, 0));
    assert_eq!(emulator.counters().delivery_faults, 2);
}

#[tokio::test]
async fn head_does_not_take_fault() {
    let (emulator, uid, bytes) = ready_video().await;
    emulator
        .inject_delivery_fault(DeliveryFault::CloseAt(10))
        .unwrap();
    let url = mp4_url(&emulator, &uid);

    let head = reqwest::Client::new().head(&url).send().await.unwrap();
    let pending = emulator.pending_faults();

    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(pending, (1, 0));
    assert_eq!(get(&url, &[]).await.body, &bytes[..10]);
}

#[tokio::test]
async fn uid_filter_skips_other_videos() {
    let (emulator, uid, bytes) = ready_video().await;
    let other = emulator.add_video(VideoSpec::default());
    Api::new(&emulator)
        .json(Method::POST, &format!("/{other}/downloads"))
        .await;
    emulator
        .inject_delivery_fault_for(&uid, DeliveryFault::CloseAt(10))
        .unwrap();

    let other_body = get(&mp4_url(&emulator, &other), &[]).await.body;
    let target_body = get(&mp4_url(&emulator, &uid), &[]).await.body;

    assert_eq!(other_body, bytes);
    assert_eq!(target_body.len(), 10);
}

#[tokio::test]
async fn change_etag_keeps_bytes() {
    let (emulator, uid, bytes) = ready_video().await;
    let url = mp4_url(&emulator, &uid);
    let before = get(&url, &[]).await;
    let old_etag = header_text(&before.headers, &header::ETAG).to_owned();
    emulator
        .inject_delivery_fault(DeliveryFault::ChangeEtag)
        .unwrap();

    let after = get(&url, &[]).await;
    let resumed = get(
        &url,
        &[(header::RANGE, "bytes=100-"), (header::IF_RANGE, &old_etag)],
    )
    .await;

    assert_eq!(after.body, bytes);
    assert_ne!(header_text(&after.headers, &header::ETAG), old_etag);
    assert_eq!(
        resumed.status,
        StatusCode::OK,
        "If-Range with the old ETag must send 200"
    );
    assert_eq!(resumed.body, bytes);
}

#[tokio::test]
async fn replace_content_changes_validators() {
    let (emulator, uid, bytes) = ready_video().await;
    let url = mp4_url(&emulator, &uid);
    let before = get(&url, &[]).await;
    let old_modified = header_text(&before.headers, &header::LAST_MODIFIED).to_owned();
    let new_bytes = sample_file(1);
    assert_ne!(new_bytes, bytes);
    emulator
        .inject_delivery_fault(DeliveryFault::ReplaceContent(MediaFile::from_bytes(
            new_bytes.clone(),
        )))
        .unwrap();

    let after = get(&url, &[]).await;
    let resumed = get(
        &url,
        &[
            (header::RANGE, "bytes=100-"),
            (header::IF_RANGE, &old_modified),
        ],
    )
    .await;

    assert_eq!(after.body, new_bytes);
    assert_ne!(
        header_text(&after.headers, &header::ETAG),
        header_text(&before.headers, &header::ETAG)
    );
    assert_ne!(
        header_text(&after.headers, &header::LAST_MODIFIED),
        old_modified
    );
    assert_eq!(resumed.status, StatusCode::OK);
    assert_eq!(resumed.body, new_bytes);
}

#[tokio::test]
async fn delivery_requests_log_ranges() {
    let (emulator, uid, _) = ready_video().await;
    let url = mp4_url(&emulator, &uid);

    get(&url, &[]).await;
    get(&url, &[(header::RANGE, "bytes=10-")]).await;
    let log = emulator.delivery_requests();

    assert_eq!(log.len(), 2);
    assert_eq!(log[0].range, None);
    assert_eq!(log[1].range.as_deref(), Some("bytes=10-"));
    assert_eq!(log[1].status, 206);
    assert_eq!(log[1].uid, uid);
    assert_eq!(log[1].kind, DownloadType::Default);
}

#[tokio::test]
async fn invalid_fault_rejected() {
    let (emulator, _, _) = ready_video().await;

    let result = emulator.inject_delivery_fault(DeliveryFault::Status {
        status: 302,
        retry_after: None,
        html: true,
    });

    assert!(result.is_err());
}

#[tokio::test]
async fn stall_script_freezes_percent() {
    let emulator = start(EmulatorConfig {
        seed: Seed::Empty,
        prepare_time: Duration::from_millis(200),
        ..EmulatorConfig::default()
    })
    .await;
    let api = Api::new(&emulator);
    let uid = emulator.add_video(VideoSpec::default());
    emulator.script_download(
        &uid,
        DownloadType::Default,
        DownloadScript::Stall { at_percent: 37.0 },
    );
    api.json(Method::POST, &format!("/{uid}/downloads")).await;

    tokio::time::sleep(Duration::from_millis(500)).await;
    let first = api.get_result(&format!("/{uid}/downloads")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = api.get_result(&format!("/{uid}/downloads")).await;

    assert_eq!(first["default"]["status"], "inprogress");
    assert_eq!(first["default"]["percentComplete"], 37.0);
    assert_eq!(second["default"], first["default"]);
}
