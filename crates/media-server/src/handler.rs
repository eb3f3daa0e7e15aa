//! Handles one HTTP request: checks the secret and the resource, then streams the file or a
//! range of it.
//!
//! Every rejection (wrong secret, unknown resource, other methods, malformed paths) is the same
//! empty 404, so a probe learns nothing. Only a registered file that changed on disk gets a 410.
//!
//! Responses carry `Access-Control-Allow-Origin` for the webview's own origins only. The
//! player needs it for caption tracks: a `<track>` from another origin loads only in CORS mode
//! (a `crossorigin` attribute on the `<video>`), which then applies to the video too.

use std::io::{self, SeekFrom};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use futures_util::StreamExt;
use tokio::fs::File;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;
use tokio_util::sync::CancellationToken;

use crate::library::{ContentType, Library, Registered};
use crate::range::RangeRequest;
use crate::resource::Resource;
use crate::secret::UrlSecret;

/// The origins a Tauri 2 webview loads the app from: `tauri://localhost` on Linux and macOS,
/// `http://tauri.localhost` on Windows (`https://` when the app opts into it).
const APP_ORIGINS: &[&str] = &[
    "tauri://localhost",
    "http://tauri.localhost",
    "https://tauri.localhost",
];

/// How long the webview may keep a thumbnail. A cached thumbnail never changes while its URL
/// (which contains the per-launch secret) is valid, and a list of thousands of rows re-renders
/// them while scrolling.
const THUMBNAIL_CACHE_CONTROL: &str = "private, max-age=3600";

/// Size of each read from disk, so memory per response stays bounded whatever the file size.
const CHUNK_BYTES: usize = 64 * 1024;

/// State shared by every request.
#[derive(Debug)]
pub(crate) struct ServerState {
    pub(crate) secret: UrlSecret,
    pub(crate) media: Arc<Library>,
    pub(crate) thumbnails: Arc<Library>,
    pub(crate) captions: Arc<Library>,
    /// Cancelled on shutdown; ends response bodies that are still streaming.
    pub(crate) shutdown: CancellationToken,
}

/// Handles every request that reaches the server.
pub(crate) async fn handle(
    State(state): State<Arc<ServerState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return not_found();
    }
    let Some(resource) = parse_path(uri.path(), &state.secret) else {
        tracing::debug!("rejected a request for an unknown media URL");
        return not_found();
    };
    let Some(entry) = state.table(&resource).get(&resource) else {
        tracing::debug!(%resource, "rejected a request for an unregistered resource");
        return not_found();
    };

    let (file, len) = match open_unchanged(&resource, &entry).await {
        Ok(opened) => opened,
        Err(response) => return response,
    };

    let range_header = headers
        .get(header::RANGE)
        .and_then(|value| value.to_str().ok());
    let (status, start, length, content_range) = match RangeRequest::resolve(range_header, len) {
        RangeRequest::Full => (StatusCode::OK, 0, len, None),
        RangeRequest::Partial { start, end } => {
            let content_range = format!("bytes {start}-{end}/{len}");
            (
                StatusCode::PARTIAL_CONTENT,
                start,
                end - start + 1,
                Some(content_range),
            )
        }
        RangeRequest::Unsatisfiable => return range_not_satisfiable(len),
    };

    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        match stream_from(&resource, file, start, length, &state.shutdown).await {
            Ok(body) => body,
            Err(response) => return response,
        }
    };
    tracing::debug!(
        %resource,
        status = status.as_u16(),
        start,
        length,
        "serving media"
    );
    let mut response = respond(status, &entry, length, content_range, body);
    allow_app_origin(response.headers_mut(), &headers);
    response
}

impl ServerState {
    /// Returns the table of registrations of `resource`'s kind.
    fn table(&self, resource: &Resource) -> &Library {
        match resource {
            Resource::Media(_) => &self.media,
            Resource::Thumbnail(_) => &self.thumbnails,
            Resource::Caption { .. } => &self.captions,
        }
    }
}

/// Returns the resource from `/<secret>/<kind>/...`, or None for any other path.
fn parse_path(path: &str, secret: &UrlSecret) -> Option<Resource> {
    let rest = path.strip_prefix('/')?;
    let segments: Vec<&str> = rest.split('/').collect();
    let (candidate, resource_segments) = segments.split_first()?;
    if !secret.matches(candidate) {
        return None;
    }
    Resource::parse(resource_segments)
}

/// Opens the registered file, checks it still matches its registration and returns its length.
async fn open_unchanged(resource: &Resource, entry: &Registered) -> Result<(File, u64), Response> {
    let file = match File::open(&entry.path).await {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            tracing::warn!(%resource, "registered file is missing");
            return Err(not_found());
        }
        Err(error) => {
            tracing::warn!(%resource, %error, "failed to open registered file");
            return Err(not_found());
        }
    };

    let metadata = match file.metadata().await {
        Ok(metadata) => metadata,
        Err(error) => {
            tracing::warn!(%resource, %error, "failed to read the metadata of a registered file");
            return Err(not_found());
        }
    };
    if !entry.is_unchanged(&metadata) {
        tracing::warn!(%resource, "registered file changed after registration");
        return Err(empty_response(StatusCode::GONE));
    }

    Ok((file, metadata.len()))
}

/// Builds a body that reads `length` bytes from `start` in bounded chunks and ends early on
/// shutdown.
///
/// If the file shrinks while streaming, the body ends short of `Content-Length` and hyper
/// closes the connection, so the client sees a failed transfer rather than wrong data.
async fn stream_from(
    resource: &Resource,
    mut file: File,
    start: u64,
    length: u64,
    shutdown: &CancellationToken,
) -> Result<Body, Response> {
    if start > 0 {
        if let Err(error) = file.seek(SeekFrom::Start(start)).await {
            tracing::warn!(%resource, %error, "failed to seek in a registered file");
            return Err(not_found());
        }
    }

    let stream = ReaderStream::with_capacity(file.take(length), CHUNK_BYTES)
        .take_until(shutdown.clone().cancelled_owned());
    Ok(Body::from_stream(stream))
}

/// Builds a 200 or 206 response with the headers players rely on.
fn respond(
    status: StatusCode,
    entry: &Registered,
    content_length: u64,
    content_range: Option<String>,
    body: Body,
) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;

    let headers = response.headers_mut();
    add_common_headers(headers);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(entry.content_type.as_str()),
    );
    if entry.content_type == ContentType::ImageJpeg {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(THUMBNAIL_CACHE_CONTROL),
        );
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(content_length));
    if let Some(content_range) = content_range {
        if let Ok(value) = HeaderValue::from_str(&content_range) {
            headers.insert(header::CONTENT_RANGE, value);
        }
    }
    response
}

/// Builds the 416 response, which tells the client the real length.
fn range_not_satisfiable(len: u64) -> Response {
    let mut response = empty_response(StatusCode::RANGE_NOT_SATISFIABLE);
    let headers = response.headers_mut();
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(value) = HeaderValue::from_str(&format!("bytes */{len}")) {
        headers.insert(header::CONTENT_RANGE, value);
    }
    response
}

/// Builds the uniform rejection.
fn not_found() -> Response {
    empty_response(StatusCode::NOT_FOUND)
}

fn empty_response(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(0u64));
    response
}

/// Lets the webview read the response in CORS mode when the request comes from the app's own
/// origin. Other origins get no CORS header, so a web page in a browser cannot read the bytes
/// even when it learns a URL.
fn allow_app_origin(headers: &mut HeaderMap, request: &HeaderMap) {
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    let Some(origin) = request.get(header::ORIGIN) else {
        return;
    };
    if APP_ORIGINS
        .iter()
        .any(|allowed| origin.as_bytes() == allowed.as_bytes())
    {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    }
}

fn add_common_headers(headers: &mut HeaderMap) {
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_for(secret: &UrlSecret, rest: &str) -> String {
        format!("/{}/{rest}", secret.as_str())
    }

    #[test]
    fn parse_accepts_media_path() {
        let secret = UrlSecret::generate();
        assert_eq!(
            parse_path(&path_for(&secret, "media/42"), &secret),
            Some(Resource::Media(42))
        );
    }

    #[test]
    fn parse_accepts_caption_path() {
        let secret = UrlSecret::generate();
        assert_eq!(
            parse_path(&path_for(&secret, "captions/4/en"), &secret),
            Some(Resource::Caption {
                id: 4,
                language: "en".into()
            })
        );
    }

    #[test]
    fn parse_rejects_wrong_secret() {
        let secret = UrlSecret::generate();
        let other = UrlSecret::generate();
        assert_eq!(parse_path(&path_for(&other, "media/42"), &secret), None);
    }

    #[test]
    fn parse_rejects_extra_segments() {
        let secret = UrlSecret::generate();
        let cases = [
            format!("/{}/media/42/", secret.as_str()),
            format!("/{}/media/42/..", secret.as_str()),
            format!("//{}/media/42", secret.as_str()),
            format!("/{}/media/../media/42", secret.as_str()),
            format!("/{}/other/42", secret.as_str()),
            format!("/{}/thumbnails/abc/", secret.as_str()),
            format!("/{}/captions/1/en/x", secret.as_str()),
            format!("{}/media/42", secret.as_str()),
        ];
        for path in &cases {
            assert_eq!(parse_path(path, &secret), None, "path {path:?}");
        }
    }

    #[test]
    fn cors_echoes_app_origin() {
        let mut request = HeaderMap::new();
        request.insert(
            header::ORIGIN,
            HeaderValue::from_static("tauri://localhost"),
        );
        let mut headers = HeaderMap::new();
        allow_app_origin(&mut headers, &request);
        assert_eq!(
            headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).unwrap(),
            "tauri://localhost"
        );
    }

    #[test]
    fn cors_ignores_other_origin() {
        let mut request = HeaderMap::new();
        request.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://example.com"),
        );
        let mut headers = HeaderMap::new();
        allow_app_origin(&mut headers, &request);
        assert!(headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
    }
}
