//! Exercises the media server over real HTTP on 127.0.0.1 with real files in a temp folder:
//! media files, thumbnails and caption files.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use offstream_media_server::{CaptionSource, ContentType, Error, MediaFile, MediaServer, Resource};
use reqwest::header::{
    ACCEPT_RANGES, ACCESS_CONTROL_ALLOW_ORIGIN, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_RANGE,
    CONTENT_TYPE, ORIGIN, RANGE,
};
use reqwest::StatusCode;
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Length of the default test file: larger than one 64 KiB read so streaming spans chunks.
const FILE_LEN: usize = 300_000;

struct Fixture {
    server: MediaServer,
    client: reqwest::Client,
    dir: TempDir,
    bytes: Vec<u8>,
}

impl Fixture {
    /// Starts a server with file id 1 registered as video/mp4.
    fn new() -> Self {
        let server = MediaServer::start().expect("start media server");
        let dir = tempfile::tempdir().expect("temp dir");
        let bytes = sample_bytes(FILE_LEN);
        let path = write_file(&dir, "video.mp4", &bytes);
        server
            .register(1, path, ContentType::VideoMp4)
            .expect("register file");
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("build client");
        Self {
            server,
            client,
            dir,
            bytes,
        }
    }

    async fn get(&self, url: &str, range: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(url);
        if let Some(range) = range {
            request = request.header(RANGE, range);
        }
        request.send().await.expect("send request")
    }
}

/// Returns bytes that differ at every offset within 251 bytes, so a wrong range shows up.
fn sample_bytes(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i % 251) as u8 ^ (i / 251) as u8)
        .collect()
}

fn write_file(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    let mut file = std::fs::File::create(&path).expect("create file");
    file.write_all(bytes).expect("write file");
    path
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> &str {
    response
        .headers()
        .get(&name)
        .unwrap_or_else(|| panic!("missing header {name}"))
        .to_str()
        .expect("header is ASCII")
}

/// Sends a request line exactly as written (reqwest would normalise `..`) and returns the
/// status code.
async fn raw_status(server: &MediaServer, method: &str, target: &str) -> u16 {
    let mut stream = TcpStream::connect(server.local_addr())
        .await
        .expect("connect");
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        server.local_addr()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let text = String::from_utf8_lossy(&response);
    let status_line = text.lines().next().expect("status line");
    status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"))
}

#[tokio::test]
async fn get_returns_whole_file() {
    let fixture = Fixture::new();
    let response = fixture.get(&fixture.server.url_for(1), None).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, CONTENT_TYPE), "video/mp4");
    assert_eq!(header(&response, ACCEPT_RANGES), "bytes");
    assert_eq!(header(&response, CACHE_CONTROL), "no-store");
    assert_eq!(header(&response, CONTENT_LENGTH), FILE_LEN.to_string());
    let body = response.bytes().await.expect("body");
    assert_eq!(body.len(), FILE_LEN);
    assert!(body == fixture.bytes, "body differs from the file");
}

#[tokio::test]
async fn get_audio_content_type() {
    let fixture = Fixture::new();
    let path = write_file(&fixture.dir, "audio.m4a", b"m4a bytes");
    fixture
        .server
        .register(2, path, ContentType::AudioMp4)
        .expect("register");

    let response = fixture.get(&fixture.server.url_for(2), None).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, CONTENT_TYPE), "audio/mp4");
    assert_eq!(response.bytes().await.expect("body").as_ref(), b"m4a bytes");
}

#[tokio::test]
async fn range_closed_returns_slice() {
    let fixture = Fixture::new();
    let response = fixture
        .get(&fixture.server.url_for(1), Some("bytes=100-199999"))
        .await;

    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        header(&response, CONTENT_RANGE),
        format!("bytes 100-199999/{FILE_LEN}")
    );
    assert_eq!(header(&response, CONTENT_LENGTH), "199900");
    let body = response.bytes().await.expect("body");
    assert!(body == fixture.bytes[100..200_000], "slice differs");
}

#[tokio::test]
async fn range_open_returns_tail() {
    let fixture = Fixture::new();
    let start = FILE_LEN - 70_000;
    let response = fixture
        .get(&fixture.server.url_for(1), Some(&format!("bytes={start}-")))
        .await;

    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        header(&response, CONTENT_RANGE),
        format!("bytes {start}-{}/{FILE_LEN}", FILE_LEN - 1)
    );
    let body = response.bytes().await.expect("body");
    assert!(body == fixture.bytes[start..], "tail differs");
}

#[tokio::test]
async fn range_suffix_returns_last_bytes() {
    let fixture = Fixture::new();
    let response = fixture
        .get(&fixture.server.url_for(1), Some("bytes=-500"))
        .await;

    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        header(&response, CONTENT_RANGE),
        format!("bytes {}-{}/{FILE_LEN}", FILE_LEN - 500, FILE_LEN - 1)
    );
    assert_eq!(header(&response, CONTENT_LENGTH), "500");
    let body = response.bytes().await.expect("body");
    assert!(body == fixture.bytes[FILE_LEN - 500..], "suffix differs");
}

#[tokio::test]
async fn range_past_end_is_416() {
    let fixture = Fixture::new();
    let response = fixture
        .get(
            &fixture.server.url_for(1),
            Some(&format!("bytes={FILE_LEN}-")),
        )
        .await;

    assert_eq!(response.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        header(&response, CONTENT_RANGE),
        format!("bytes */{FILE_LEN}")
    );
}

#[tokio::test]
async fn range_multi_is_whole_file() {
    let fixture = Fixture::new();
    let response = fixture
        .get(&fixture.server.url_for(1), Some("bytes=0-1,10-20"))
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.expect("body").len(), FILE_LEN);
}

#[tokio::test]
async fn head_sends_headers_only() {
    let fixture = Fixture::new();
    let response = fixture
        .client
        .head(fixture.server.url_for(1))
        .send()
        .await
        .expect("send");

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, CONTENT_LENGTH), FILE_LEN.to_string());
    assert_eq!(header(&response, CONTENT_TYPE), "video/mp4");
    assert_eq!(header(&response, ACCEPT_RANGES), "bytes");
    assert!(response.bytes().await.expect("body").is_empty());
}

#[tokio::test]
async fn head_with_range_is_206() {
    let fixture = Fixture::new();
    let response = fixture
        .client
        .head(fixture.server.url_for(1))
        .header(RANGE, "bytes=0-9")
        .send()
        .await
        .expect("send");

    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(header(&response, CONTENT_LENGTH), "10");
}

#[tokio::test]
async fn wrong_secret_is_404() {
    let fixture = Fixture::new();
    let url = format!("{}/{}/media/1", fixture.server.origin(), "0".repeat(64));
    let response = fixture.get(&url, None).await;

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.bytes().await.expect("body").is_empty());
}

#[tokio::test]
async fn missing_secret_is_404() {
    let fixture = Fixture::new();
    let url = format!("{}/media/1", fixture.server.origin());
    assert_eq!(
        fixture.get(&url, None).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn unknown_id_is_404() {
    let fixture = Fixture::new();
    let response = fixture.get(&fixture.server.url_for(99), None).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unregistered_id_is_404() {
    let fixture = Fixture::new();
    assert!(fixture.server.unregister(1));

    let response = fixture.get(&fixture.server.url_for(1), None).await;

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn replace_all_swaps_registrations() {
    let fixture = Fixture::new();
    let path = write_file(&fixture.dir, "other.mp4", b"other");
    let failures = fixture.server.replace_all([
        MediaFile {
            id: 5,
            path,
            content_type: ContentType::VideoMp4,
        },
        MediaFile {
            id: 6,
            path: fixture.dir.path().join("absent.mp4"),
            content_type: ContentType::VideoMp4,
        },
    ]);

    assert_eq!(failures.len(), 1);
    assert!(matches!(
        failures[0],
        Error::FileNotFound {
            resource: Resource::Media(6),
            ..
        }
    ));
    let old = fixture.get(&fixture.server.url_for(1), None).await;
    assert_eq!(old.status(), StatusCode::NOT_FOUND);
    let new = fixture.get(&fixture.server.url_for(5), None).await;
    assert_eq!(new.status(), StatusCode::OK);
    assert_eq!(new.bytes().await.expect("body").as_ref(), b"other");
}

#[tokio::test]
async fn traversal_paths_are_404() {
    let fixture = Fixture::new();
    let url = fixture.server.url_for(1);
    let good_path = url.strip_prefix(&fixture.server.origin()).expect("path");
    let secret_prefix = good_path.strip_suffix("/media/1").expect("prefix");
    let targets = [
        format!("{secret_prefix}/media/../../../../etc/passwd"),
        format!("{secret_prefix}/media/..%2f..%2fetc%2fpasswd"),
        format!("{secret_prefix}/media/%2e%2e/1"),
        format!("{secret_prefix}/media/1/../1"),
        format!("{secret_prefix}/../{}", &secret_prefix[1..]),
        format!("{secret_prefix}/media/1/"),
        format!("{secret_prefix}/media/01"),
        "/../../etc/passwd".to_owned(),
        "/etc/passwd".to_owned(),
        "/".to_owned(),
    ];

    for target in &targets {
        let status = raw_status(&fixture.server, "GET", target).await;
        assert_eq!(status, 404, "target {target}");
    }
}

#[tokio::test]
async fn query_string_is_ignored() {
    let fixture = Fixture::new();
    let url = format!("{}?path=/etc/passwd", fixture.server.url_for(1));
    let response = fixture.get(&url, None).await;

    assert_eq!(response.status(), StatusCode::OK);
    let body = response.bytes().await.expect("body");
    assert!(
        body == fixture.bytes,
        "body differs from the registered file"
    );
}

#[tokio::test]
async fn other_methods_are_404() {
    let fixture = Fixture::new();
    let url = fixture.server.url_for(1);
    let path = url.strip_prefix(&fixture.server.origin()).expect("path");

    for method in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"] {
        let status = raw_status(&fixture.server, method, path).await;
        assert_eq!(status, 404, "method {method}");
    }
}

#[tokio::test]
async fn deleted_file_is_404() {
    let fixture = Fixture::new();
    std::fs::remove_file(fixture.dir.path().join("video.mp4")).expect("delete");

    let response = fixture.get(&fixture.server.url_for(1), None).await;

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn changed_file_is_410() {
    let fixture = Fixture::new();
    write_file(&fixture.dir, "video.mp4", b"a different, shorter file");

    let response = fixture.get(&fixture.server.url_for(1), None).await;

    assert_eq!(response.status(), StatusCode::GONE);
}

#[tokio::test]
async fn reregistered_file_is_served() {
    let fixture = Fixture::new();
    let path = write_file(&fixture.dir, "video.mp4", b"new content");
    fixture
        .server
        .register(1, path, ContentType::VideoMp4)
        .expect("register");

    let response = fixture.get(&fixture.server.url_for(1), None).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.bytes().await.expect("body").as_ref(),
        b"new content"
    );
}

#[tokio::test]
async fn empty_file_get_and_range() {
    let fixture = Fixture::new();
    let path = write_file(&fixture.dir, "empty.mp4", b"");
    fixture
        .server
        .register(3, path, ContentType::VideoMp4)
        .expect("register");

    let full = fixture.get(&fixture.server.url_for(3), None).await;
    assert_eq!(full.status(), StatusCode::OK);
    assert_eq!(header(&full, CONTENT_LENGTH), "0");
    let ranged = fixture
        .get(&fixture.server.url_for(3), Some("bytes=0-"))
        .await;
    assert_eq!(ranged.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(header(&ranged, CONTENT_RANGE), "bytes */0");
}

#[tokio::test]
async fn server_binds_loopback_only() {
    let fixture = Fixture::new();
    let addr = fixture.server.local_addr();

    assert_eq!(addr.ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));
    assert_ne!(addr.port(), 0);
    assert_eq!(
        fixture.server.origin(),
        format!("http://127.0.0.1:{}", addr.port())
    );
}

#[tokio::test]
async fn url_contains_long_secret() {
    let fixture = Fixture::new();
    let url = fixture.server.url_for(7);
    let path = url.strip_prefix(&fixture.server.origin()).expect("path");
    let secret = path
        .strip_prefix('/')
        .and_then(|rest| rest.strip_suffix("/media/7"))
        .expect("secret segment");

    assert_eq!(secret.len(), 64);
    assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()));
}

#[tokio::test]
async fn debug_hides_secret() {
    let fixture = Fixture::new();
    let url = fixture.server.url_for(1);
    let secret = url.rsplit('/').nth(2).expect("secret segment");

    assert!(!format!("{:?}", fixture.server).contains(secret));
}

#[tokio::test]
async fn shutdown_closes_listener() {
    let fixture = Fixture::new();
    let addr = fixture.server.local_addr();

    fixture.server.shutdown().await;

    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_open_stream() {
    let fixture = Fixture::new();
    let big = vec![7u8; 64 * 1024 * 1024];
    let path = write_file(&fixture.dir, "big.mp4", &big);
    fixture
        .server
        .register(4, path, ContentType::VideoMp4)
        .expect("register");
    let response = fixture.get(&fixture.server.url_for(4), None).await;
    assert_eq!(response.status(), StatusCode::OK);

    // The client has not read the body yet; shutdown must still finish within its grace time.
    let started = std::time::Instant::now();
    fixture.server.shutdown().await;

    assert!(started.elapsed() < std::time::Duration::from_secs(6));
    let body = response.bytes().await;
    let received = body.map(|bytes| bytes.len()).unwrap_or(0);
    assert!(
        received < big.len(),
        "the body was not cut short by shutdown"
    );
}

#[test]
fn server_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<MediaServer>();
}

#[test]
fn start_outside_runtime_fails() {
    let result = MediaServer::start();
    assert!(matches!(result, Err(Error::NoRuntime)));
}

#[test]
fn start_on_handle_serves() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let server = MediaServer::start_on(runtime.handle()).expect("start");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_file(&dir, "a.mp4", b"abc");
    server
        .register(1, path, ContentType::VideoMp4)
        .expect("register");

    let status = runtime.block_on(async {
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client")
            .get(server.url_for(1))
            .send()
            .await
            .expect("send")
            .status()
    });

    assert_eq!(status, StatusCode::OK);
}

/// Registers a thumbnail for uid `abc123` and captions "en" for id 1, and returns their bytes.
fn register_extras(fixture: &Fixture) -> (Vec<u8>, Vec<u8>) {
    let jpeg = b"\xff\xd8\xff\xe0 a thumbnail".to_vec();
    let vtt = "WEBVTT\n\n00:00.000 --> 00:01.000\nHéllo\n"
        .as_bytes()
        .to_vec();
    let jpeg_path = write_file(&fixture.dir, "abc123.jpg", &jpeg);
    let vtt_path = write_file(&fixture.dir, "video.en.vtt", &vtt);
    fixture
        .server
        .register_thumbnail("abc123", jpeg_path)
        .expect("register thumbnail");
    let failures = fixture.server.replace_captions([CaptionSource {
        id: 1,
        language: "en".into(),
        path: vtt_path,
    }]);
    assert!(failures.is_empty(), "captions registered: {failures:?}");
    (jpeg, vtt)
}

#[tokio::test]
async fn thumbnail_served_as_jpeg() {
    let fixture = Fixture::new();
    let (jpeg, _) = register_extras(&fixture);
    let url = fixture.server.thumbnail_url("abc123").expect("url");

    let response = fixture.get(&url, None).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, CONTENT_TYPE), "image/jpeg");
    assert_eq!(response.bytes().await.expect("body").as_ref(), jpeg);
}

#[tokio::test]
async fn thumbnail_may_be_cached() {
    let fixture = Fixture::new();
    register_extras(&fixture);
    let url = fixture.server.thumbnail_url("abc123").expect("url");

    let response = fixture.get(&url, None).await;

    assert_eq!(header(&response, CACHE_CONTROL), "private, max-age=3600");
}

#[tokio::test]
async fn caption_served_as_vtt() {
    let fixture = Fixture::new();
    let (_, vtt) = register_extras(&fixture);
    let url = fixture.server.caption_url(1, "en").expect("url");

    let response = fixture.get(&url, None).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, CONTENT_TYPE), "text/vtt; charset=utf-8");
    assert_eq!(header(&response, CACHE_CONTROL), "no-store");
    assert_eq!(response.bytes().await.expect("body").as_ref(), vtt);
}

#[tokio::test]
async fn unknown_thumbnail_is_404() {
    let fixture = Fixture::new();
    register_extras(&fixture);
    let url = fixture.server.thumbnail_url("other").expect("url");

    assert_eq!(
        fixture.get(&url, None).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn caption_of_other_language_is_404() {
    let fixture = Fixture::new();
    register_extras(&fixture);
    let url = fixture.server.caption_url(1, "fr").expect("url");

    assert_eq!(
        fixture.get(&url, None).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn thumbnail_with_wrong_secret_is_404() {
    let fixture = Fixture::new();
    register_extras(&fixture);
    let url = format!(
        "{}/{}/thumbnails/abc123",
        fixture.server.origin(),
        "0".repeat(64)
    );

    assert_eq!(
        fixture.get(&url, None).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn extra_traversal_paths_are_404() {
    let fixture = Fixture::new();
    register_extras(&fixture);
    let url = fixture.server.thumbnail_url("abc123").expect("url");
    let good_path = url.strip_prefix(&fixture.server.origin()).expect("path");
    let secret_prefix = good_path
        .strip_suffix("/thumbnails/abc123")
        .expect("prefix");
    let targets = [
        format!("{secret_prefix}/thumbnails/../media/1"),
        format!("{secret_prefix}/thumbnails/..%2fabc123"),
        format!("{secret_prefix}/thumbnails/abc123.jpg"),
        format!("{secret_prefix}/thumbnails/abc123/"),
        format!("{secret_prefix}/captions/1/en/../en"),
        format!("{secret_prefix}/captions/1/../../etc/passwd"),
        format!("{secret_prefix}/captions/01/en"),
        format!("{secret_prefix}/captions/1/en.vtt"),
    ];

    for target in &targets {
        let status = raw_status(&fixture.server, "GET", target).await;
        assert_eq!(status, 404, "target {target}");
    }
}

#[tokio::test]
async fn thumbnail_url_rejects_unsafe_uid() {
    let fixture = Fixture::new();
    assert_eq!(fixture.server.thumbnail_url("../x"), None);
}

#[tokio::test]
async fn register_thumbnail_rejects_unsafe_uid() {
    let fixture = Fixture::new();
    let path = write_file(&fixture.dir, "x.jpg", b"jpeg");

    let result = fixture.server.register_thumbnail("a/b", path);

    assert!(matches!(result, Err(Error::InvalidName { .. })));
}

#[tokio::test]
async fn unregister_drops_captions() {
    let fixture = Fixture::new();
    register_extras(&fixture);
    let url = fixture.server.caption_url(1, "en").expect("url");

    assert!(fixture.server.unregister(1));

    assert_eq!(
        fixture.get(&url, None).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn replace_all_keeps_thumbnails() {
    let fixture = Fixture::new();
    register_extras(&fixture);

    let failures = fixture.server.replace_all([]);

    assert!(failures.is_empty());
    let url = fixture.server.thumbnail_url("abc123").expect("url");
    assert_eq!(fixture.get(&url, None).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn replace_thumbnails_swaps_registrations() {
    let fixture = Fixture::new();
    register_extras(&fixture);
    let path = write_file(&fixture.dir, "def456.jpg", b"other jpeg");

    let failures = fixture.server.replace_thumbnails([
        ("def456".to_owned(), path),
        ("gone".to_owned(), fixture.dir.path().join("gone.jpg")),
    ]);

    assert_eq!(failures.len(), 1);
    let old = fixture.server.thumbnail_url("abc123").expect("url");
    assert_eq!(
        fixture.get(&old, None).await.status(),
        StatusCode::NOT_FOUND
    );
    let new = fixture.server.thumbnail_url("def456").expect("url");
    assert_eq!(fixture.get(&new, None).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn app_origin_gets_cors_header() {
    let fixture = Fixture::new();
    register_extras(&fixture);
    let url = fixture.server.caption_url(1, "en").expect("url");

    let response = fixture
        .client
        .get(&url)
        .header(ORIGIN, "tauri://localhost")
        .send()
        .await
        .expect("send");

    assert_eq!(
        header(&response, ACCESS_CONTROL_ALLOW_ORIGIN),
        "tauri://localhost"
    );
}

#[tokio::test]
async fn other_origin_gets_no_cors_header() {
    let fixture = Fixture::new();
    let response = fixture
        .client
        .get(fixture.server.url_for(1))
        .header(ORIGIN, "https://example.com")
        .send()
        .await
        .expect("send");

    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .headers()
        .get(ACCESS_CONTROL_ALLOW_ORIGIN)
        .is_none());
}
