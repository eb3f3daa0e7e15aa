//! Test helpers: engine setup against the Stream emulator, and a small fault server for
//! delivery misbehaviour that the emulator does not offer.
//!
//! The fault server plays a minimal Stream API (one ready video whose download is ready at
//! once) plus a delivery route whose behaviour a test switches with [`Fault`]. Its download URL
//! carries a fake signed token, so tests can check that the token never leaks. Everything
//! listens on 127.0.0.1 only.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use futures_util::stream::{self, StreamExt};
use offstream_engine::{Catalog, EngineOptions, JobManager};
use offstream_stream::{ApiToken, ClientConfig, StreamClient};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;

/// Account id the fault server expects.
pub const FAULT_ACCOUNT: &str = "faultaccount0000000000000000000a";

/// Token the fault server accepts.
pub const FAULT_TOKEN: &str = "faultApiToken000000000000000000000000000";

/// Uid of the fault server's one video.
pub const FAULT_UID: &str = "0123456789abcdef0123456789abcdef";

/// The fake signed token in the fault server's download URL.
pub const URL_SECRET: &str = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2VuLXRoYXQtbXVzdC1ub3QtbGVhaw.c2ln";

/// Engine options that make the suite fast: short polls and backoffs, a progress event per
/// chunk and a catalog save per event.
pub fn fast_options() -> EngineOptions {
    EngineOptions {
        poll_initial: Duration::from_millis(20),
        poll_factor: 1.5,
        poll_max: Duration::from_millis(100),
        api_retries: 2,
        transfer_retries: 0,
        retry_base_delay: Duration::from_millis(10),
        retry_max_delay: Duration::from_millis(50),
        progress_interval: Duration::ZERO,
        persist_interval: Duration::ZERO,
        ..EngineOptions::default()
    }
}

/// Builds a client for an API base, with short timeouts.
pub fn client(api_base: &str, account: &str, token: &str) -> StreamClient {
    let mut config = ClientConfig::new(account, ApiToken::new(token)).with_api_base(api_base);
    config.connect_timeout = Duration::from_secs(2);
    config.read_timeout = Duration::from_secs(5);
    StreamClient::new(config).expect("valid client config")
}

/// A manager with its catalog and library in temporary folders.
pub struct Setup {
    pub dir: tempfile::TempDir,
    pub manager: JobManager,
    pub catalog: Arc<Catalog>,
}

impl Setup {
    /// Creates a manager with `options` for a client.
    pub fn new(client: StreamClient, options: EngineOptions) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let catalog = Arc::new(Catalog::open(&dir.path().join("data")).expect("catalog"));
        let manager = JobManager::new(
            client,
            Arc::clone(&catalog),
            dir.path().join("library"),
            options,
        )
        .expect("manager");
        Self {
            dir,
            manager,
            catalog,
        }
    }

    /// Returns the names of the entries in the library folder, sorted.
    pub fn library_names(&self) -> Vec<String> {
        list_names(self.manager.library_dir())
    }
}

/// Returns the names of the entries in a folder, sorted.
pub fn list_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read library folder")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Returns the SHA-256 of bytes as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Returns the bytes of the first sample video.
pub fn sample_video() -> Bytes {
    Bytes::from(std::fs::read(samples_dir().join("aurora-bars.mp4")).expect("sample mp4"))
}

/// Returns the bytes of the first sample's audio.
pub fn sample_audio() -> Bytes {
    Bytes::from(std::fs::read(samples_dir().join("aurora-bars.m4a")).expect("sample m4a"))
}

pub fn samples_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples")
}

/// How the fault server's delivery route behaves.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Serves the file correctly, honouring `Range: bytes=N-` with 206 and 416.
    None,
    /// Always responds 200 with the whole file, as a server that ignores `Range`.
    IgnoreRange,
    /// Responds to a range request with a 206 that starts at byte 0.
    WrongRangeStart,
    /// Responds 200 with an HTML page labelled `text/html`.
    HtmlPage,
    /// Responds 200 with an HTML page labelled `video/mp4`.
    HtmlAsVideo,
    /// Announces the whole file, sends `n` bytes, then stops sending without closing.
    StallAfter(usize),
    /// Announces the whole file, sends `n` bytes, then drops the connection.
    CutAfter(usize),
    /// Like `CutAfter` for the first delivery request, then like `None`.
    CutOnceAfter(usize),
    /// Serves only the first `n` bytes with a matching `Content-Length`: a broken MP4.
    Truncated(usize),
    /// Responds to every delivery request with this status and an HTML page.
    Status(u16),
}

struct FaultState {
    origin: String,
    body: Bytes,
    content_type: &'static str,
    duration: Option<f64>,
    fault: Mutex<Fault>,
    ranges: Mutex<Vec<Option<String>>>,
    authorization_seen: Mutex<bool>,
}

/// A running fault server.
pub struct FaultServer {
    state: Arc<FaultState>,
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl FaultServer {
    /// Starts a server that delivers `body` as its one video's file.
    pub async fn start(body: Bytes, content_type: &'static str, duration: Option<f64>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(FaultState {
            origin: format!("http://{addr}"),
            body,
            content_type,
            duration,
            fault: Mutex::new(Fault::None),
            ranges: Mutex::new(Vec::new()),
            authorization_seen: Mutex::new(false),
        });

        let api = "/client/v4/accounts/{account}/stream/{uid}";
        let router = Router::new()
            .route(api, get(video))
            .route(&format!("{api}/downloads"), get(downloads))
            .route(&format!("{api}/downloads/{{kind}}"), post(downloads))
            .route("/media/{uid}/{file}", get(deliver))
            .with_state(Arc::clone(&state));
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.expect("fault server");
        });
        Self { state, addr, task }
    }

    /// Returns the API base URL.
    pub fn api_base(&self) -> String {
        format!("http://{}/client/v4", self.addr)
    }

    /// Returns a client for this server.
    pub fn client(&self) -> StreamClient {
        client(&self.api_base(), FAULT_ACCOUNT, FAULT_TOKEN)
    }

    /// Returns the delivery URL, with its fake signed token.
    pub fn download_url(&self) -> String {
        download_url(&self.state)
    }

    /// Switches the delivery behaviour.
    pub fn set_fault(&self, fault: Fault) {
        *self.state.fault.lock().unwrap() = fault;
    }

    /// Returns the `Range` header of every delivery request so far.
    pub fn ranges(&self) -> Vec<Option<String>> {
        self.state.ranges.lock().unwrap().clone()
    }

    /// Returns true when a delivery request carried an `Authorization` header.
    pub fn authorization_seen(&self) -> bool {
        *self.state.authorization_seen.lock().unwrap()
    }

    /// Returns the bytes it delivers.
    pub fn body(&self) -> Bytes {
        self.state.body.clone()
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn download_url(state: &FaultState) -> String {
    format!(
        "{}/media/{FAULT_UID}/default.mp4?token={URL_SECRET}",
        state.origin
    )
}

fn authorized(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        == Some(&format!("Bearer {FAULT_TOKEN}"))
}

fn envelope(result: serde_json::Value) -> Response {
    Json(json!({"result": result, "success": true, "errors": [], "messages": []})).into_response()
}

fn auth_failure() -> Response {
    let body = json!({"result": null, "success": false,
        "errors": [{"code": 10000, "message": "Authentication error"}], "messages": []});
    (StatusCode::FORBIDDEN, Json(body)).into_response()
}

async fn video(
    State(state): State<Arc<FaultState>>,
    UrlPath((_account, uid)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&headers) {
        return auth_failure();
    }
    envelope(json!({
        "uid": uid,
        "meta": {"name": "Fault: clip.mp4"},
        "created": "2024-01-01T00:00:00.000000Z",
        "duration": state.duration.unwrap_or(-1.0),
        "readyToStream": true,
        "status": {"state": "ready", "pctComplete": "100.000000"},
        "requireSignedURLs": false
    }))
}

async fn downloads(State(state): State<Arc<FaultState>>, headers: HeaderMap) -> Response {
    if !authorized(&headers) {
        return auth_failure();
    }
    envelope(json!({
        "default": {"status": "ready", "url": download_url(&state), "percentComplete": 100.0}
    }))
}

async fn deliver(State(state): State<Arc<FaultState>>, headers: HeaderMap) -> Response {
    let range = headers
        .get(header::RANGE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let first_request = {
        let mut ranges = state.ranges.lock().unwrap();
        ranges.push(range.clone());
        ranges.len() == 1
    };
    if headers.contains_key(header::AUTHORIZATION) {
        *state.authorization_seen.lock().unwrap() = true;
    }

    let fault = state.fault.lock().unwrap().clone();
    let body = state.body.clone();
    let total = body.len();
    let offset = range
        .as_deref()
        .and_then(|value| value.strip_prefix("bytes="))
        .and_then(|value| value.strip_suffix('-'))
        .and_then(|value| value.parse::<usize>().ok());

    match fault {
        Fault::None => serve(&state, body, offset),
        Fault::CutOnceAfter(_) if !first_request => serve(&state, body, offset),
        Fault::IgnoreRange => serve(&state, body, None),
        Fault::WrongRangeStart if offset.is_some() => {
            let mut response = media_response(&state, StatusCode::PARTIAL_CONTENT, body);
            insert(
                &mut response,
                header::CONTENT_RANGE,
                &format!("bytes 0-{}/{total}", total - 1),
            );
            response
        }
        Fault::WrongRangeStart => serve(&state, body, None),
        Fault::HtmlPage => html(StatusCode::OK, "text/html; charset=utf-8"),
        Fault::HtmlAsVideo => html(StatusCode::OK, state.content_type),
        Fault::Status(status) => html(
            StatusCode::from_u16(status).expect("valid status"),
            "text/html",
        ),
        Fault::Truncated(n) => media_response(&state, StatusCode::OK, body.slice(..n)),
        Fault::StallAfter(n) => {
            let chunks = chunked(body.slice(..n));
            let stalled = stream::iter(chunks).chain(stream::pending());
            streaming_response(&state, total, Body::from_stream(stalled))
        }
        Fault::CutAfter(n) | Fault::CutOnceAfter(n) => {
            let chunks = chunked(body.slice(..n));
            let cut = stream::iter(chunks).chain(stream::once(async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                Err(std::io::Error::other(
                    "connection dropped by the fault server",
                ))
            }));
            streaming_response(&state, total, Body::from_stream(cut))
        }
    }
}

/// Serves the file from `offset`: 200 without one, 206 or 416 with one.
fn serve(state: &FaultState, body: Bytes, offset: Option<usize>) -> Response {
    let total = body.len();
    match offset {
        None => media_response(state, StatusCode::OK, body),
        Some(start) if start >= total => {
            let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            insert(
                &mut response,
                header::CONTENT_RANGE,
                &format!("bytes */{total}"),
            );
            response
        }
        Some(start) => {
            let mut response =
                media_response(state, StatusCode::PARTIAL_CONTENT, body.slice(start..));
            insert(
                &mut response,
                header::CONTENT_RANGE,
                &format!("bytes {start}-{}/{total}", total - 1),
            );
            response
        }
    }
}

fn media_response(state: &FaultState, status: StatusCode, body: Bytes) -> Response {
    let mut response = (status, body).into_response();
    insert(&mut response, header::CONTENT_TYPE, state.content_type);
    response
}

fn streaming_response(state: &FaultState, total: usize, body: Body) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    insert(&mut response, header::CONTENT_TYPE, state.content_type);
    insert(&mut response, header::CONTENT_LENGTH, &total.to_string());
    response
}

fn chunked(bytes: Bytes) -> Vec<Result<Bytes, std::io::Error>> {
    (0..bytes.len())
        .step_by(4096)
        .map(|start| Ok(bytes.slice(start..(start + 4096).min(bytes.len()))))
        .collect()
}

fn html(status: StatusCode, content_type: &str) -> Response {
    let page = "<!DOCTYPE html><html><body><h1>Not here</h1></body></html>";
    let mut response = (status, page).into_response();
    insert(&mut response, header::CONTENT_TYPE, content_type);
    response
}

fn insert(response: &mut Response, name: header::HeaderName, value: &str) {
    response
        .headers_mut()
        .insert(name, value.parse().expect("valid header value"));
}
