//! Handles one HTTP request: checks the secret and id, then streams the file or a range of it.
//!
//! Every rejection (wrong secret, unknown id, other methods, malformed paths) is the same empty
//! 404, so a probe learns nothing. Only a registered file that changed on disk gets a 410.

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

use crate::library::{Library, Registered};
use crate::range::RangeRequest;
use crate::secret::UrlSecret;

/// Size of each read from disk, so memory per response stays bounded whatever the file size.
const CHUNK_BYTES: usize = 64 * 1024;

/// State shared by every request.
#[derive(Debug)]
pub(crate) struct ServerState {
    pub(crate) secret: UrlSecret,
    pub(crate) library: Arc<Library>,
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
    let Some(id) = parse_media_path(uri.path(), &state.secret) else {
        tracing::debug!("rejected a request for an unknown media URL");
        return not_found();
    };
    let Some(entry) = state.library.get(id) else {
        tracing::debug!(
            media_id = id,
            "rejected a request for an unregistered media id"
        );
        return not_found();
    };

    let (file, len) = match open_unchanged(id, &entry).await {
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
        match stream_from(id, file, start, length, &state.shutdown).await {
            Ok(body) => body,
            Err(response) => return response,
        }
    };
    tracing::debug!(
        media_id = id,
        status = status.as_u16(),
        start,
        length,
        "serving media"
    );
    respond(status, &entry, length, content_range, body)
}

/// Returns the id from `/<secret>/media/<id>`, or None for any other path.
///
/// The id must be in the exact form `url_for` writes, so percent-encoded, `+`-prefixed or
/// zero-padded variants are rejected rather than normalised.
fn parse_media_path(path: &str, secret: &UrlSecret) -> Option<i64> {
    let rest = path.strip_prefix('/')?;
    let mut segments = rest.split('/');
    let (Some(candidate), Some("media"), Some(id_text), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return None;
    };
    if !secret.matches(candidate) {
        return None;
    }

    let id: i64 = id_text.parse().ok()?;
    (id.to_string() == id_text).then_some(id)
}

/// Opens the registered file, checks it still matches its registration and returns its length.
async fn open_unchanged(id: i64, entry: &Registered) -> Result<(File, u64), Response> {
    let file = match File::open(&entry.path).await {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            tracing::warn!(media_id = id, "registered media file is missing");
            return Err(not_found());
        }
        Err(error) => {
            tracing::warn!(media_id = id, %error, "failed to open registered media file");
            return Err(not_found());
        }
    };

    let metadata = match file.metadata().await {
        Ok(metadata) => metadata,
        Err(error) => {
            tracing::warn!(media_id = id, %error, "failed to read media file metadata");
            return Err(not_found());
        }
    };
    if !entry.is_unchanged(&metadata) {
        tracing::warn!(media_id = id, "media file changed after registration");
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
    id: i64,
    mut file: File,
    start: u64,
    length: u64,
    shutdown: &CancellationToken,
) -> Result<Body, Response> {
    if start > 0 {
        if let Err(error) = file.seek(SeekFrom::Start(start)).await {
            tracing::warn!(media_id = id, %error, "failed to seek in media file");
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

    fn path_for(secret: &UrlSecret, id: &str) -> String {
        format!("/{}/media/{id}", secret.as_str())
    }

    #[test]
    fn parse_accepts_canonical_path() {
        let secret = UrlSecret::generate();
        assert_eq!(
            parse_media_path(&path_for(&secret, "42"), &secret),
            Some(42)
        );
    }

    #[test]
    fn parse_accepts_negative_id() {
        let secret = UrlSecret::generate();
        assert_eq!(
            parse_media_path(&path_for(&secret, "-3"), &secret),
            Some(-3)
        );
    }

    #[test]
    fn parse_rejects_wrong_secret() {
        let secret = UrlSecret::generate();
        let other = UrlSecret::generate();
        assert_eq!(parse_media_path(&path_for(&other, "42"), &secret), None);
    }

    #[test]
    fn parse_rejects_non_canonical_ids() {
        let secret = UrlSecret::generate();
        for id in ["042", "+42", "42.mp4", "", "%34%32", "..", "4 2"] {
            assert_eq!(
                parse_media_path(&path_for(&secret, id), &secret),
                None,
                "id {id:?}"
            );
        }
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
            format!("{}/media/42", secret.as_str()),
        ];
        for path in &cases {
            assert_eq!(parse_media_path(path, &secret), None, "path {path:?}");
        }
    }
}
