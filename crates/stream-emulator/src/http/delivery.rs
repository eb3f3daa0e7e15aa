//! The delivery host: `/{id}/downloads/default.mp4` and `/{id}/downloads/audio.m4a`, where `id`
//! is a video uid or a signed token (an RS256 JWT) in its place.
//!
//! Failures return small HTML pages, as a CDN does, never the JSON envelope:
//! 404 while a download does not exist or is not ready, 401 for uid-only URLs of videos that
//! require signed URLs, 401/403/404 for rejected tokens (see [`crate::token`] for the order of
//! checks), 424 for videos whose processing failed. A page never repeats the token. A ready
//! download is served with `Content-Length`, a strong `ETag`, `Last-Modified`,
//! `Accept-Ranges: bytes`, single-range support (206/416) and `If-Range`. `HEAD` sends the same
//! headers without a body. Bodies go through [`super::transfer`] (rate limit, cut on expiry).
//! A `GET` that would send a body first takes the next queued delivery fault, which
//! [`super::delivery_faults`] turns into a changed response.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;

use super::delivery_faults;
use super::range::{self, RangeOutcome};
use super::transfer::{self, BodyFault, BodyTarget};
use super::wire::http_date;
use super::{Counters, Shared};
use crate::faults::{DeliveryFault, DeliveryRecord};
use crate::keys::KeyLookup;
use crate::media::MediaFile;
use crate::model::{DownloadStatus, DownloadType, VideoState};
use crate::store::Store;
use crate::token::{looks_like_token, SignedToken, TokenRejection};

/// Longest `?filename=` stem the real service accepts.
const FILENAME_MAX_LEN: usize = 120;

/// Reason a delivery id did not resolve to a video that may be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeliveryRejection {
    UnknownId,
    SignedUrlRequired,
    Token(TokenRejection),
}

/// A delivery id that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Grant {
    pub uid: String,
    /// `exp` of the token the request carried, in Unix seconds; `None` for a uid-only URL.
    pub token_exp: Option<i64>,
}

/// Inputs of the token checks besides the store.
pub(crate) struct TokenContext<'a> {
    /// Looks up a signing key by `kid`.
    pub keys: &'a dyn Fn(&str) -> KeyLookup,
    /// The emulator clock in Unix seconds.
    pub now: i64,
    pub peer: IpAddr,
}

/// Kind of file a delivery request is for, which decides whether a token needs
/// `downloadable: true`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeliveryKind {
    /// `downloads/default.mp4` or `downloads/audio.m4a`: the token needs `downloadable`.
    Download,
    /// `thumbnails/thumbnail.jpg`: any valid token for the video will do.
    Thumbnail,
}

/// Maps the id segment of a delivery URL to the uid of a video that may be served.
///
/// A uid is served unless its video requires signed URLs. A token (any id with a dot) goes
/// through these checks in order: RS256 only, `kid` known and not revoked, signature, `sub`
/// names a video, and `nbf`/`exp` against the emulator clock with no leeway. Then come
/// `downloadable: true` (download paths only) and `accessRules`. Tokens are accepted for
/// public videos too.
pub(crate) fn resolve_delivery_id(
    store: &Store,
    id: &str,
    context: &TokenContext<'_>,
    kind: DeliveryKind,
) -> Result<Grant, DeliveryRejection> {
    if !looks_like_token(id) {
        let video = store.get(id).ok_or(DeliveryRejection::UnknownId)?;
        if video.require_signed_urls {
            return Err(DeliveryRejection::SignedUrlRequired);
        }
        return Ok(Grant {
            uid: video.uid.clone(),
            token_exp: None,
        });
    }

    let token = SignedToken::parse(id).map_err(DeliveryRejection::Token)?;
    token
        .verify_signature(context.keys)
        .map_err(DeliveryRejection::Token)?;
    let video = token
        .subject()
        .and_then(|sub| store.get(sub))
        .ok_or(DeliveryRejection::Token(TokenRejection::UnknownVideo))?;
    token
        .check_validity(context.now)
        .and_then(|()| match kind {
            DeliveryKind::Download => token.check_downloadable(),
            DeliveryKind::Thumbnail => Ok(()),
        })
        .and_then(|()| token.check_access(context.peer))
        .map_err(DeliveryRejection::Token)?;

    Ok(Grant {
        uid: video.uid.clone(),
        token_exp: token.expires_at(),
    })
}

/// Store data for one delivery request, copied out so the lock is released.
pub(super) struct Servable {
    pub uid: String,
    pub token_exp: Option<i64>,
    pub kind: DownloadType,
    pub media: MediaFile,
    pub last_modified: OffsetDateTime,
    /// Number of `ChangeEtag` faults applied to this file.
    pub etag_generation: u32,
}

impl Servable {
    /// Returns the strong `ETag`: the content hash, with a suffix once `ChangeEtag` applied.
    async fn etag(&self) -> std::io::Result<String> {
        let tag = self.media.etag().await?;
        if self.etag_generation == 0 {
            return Ok(tag);
        }
        let hash = tag.trim_matches('"');
        Ok(format!("\"{hash}-{}\"", self.etag_generation))
    }
}

/// A refused delivery request, sent as a small HTML page as a CDN would.
#[derive(Debug)]
pub(super) struct ErrorPage {
    pub status: StatusCode,
    /// HTML-safe explanation.
    detail: String,
    content_range: Option<String>,
}

impl ErrorPage {
    /// Builds a page; `detail` must already be HTML-safe.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
            content_range: None,
        }
    }

    fn unreadable() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The file could not be read.",
        )
    }
}

impl IntoResponse for ErrorPage {
    fn into_response(self) -> Response {
        let code = self.status.as_u16();
        let title = self.status.canonical_reason().unwrap_or("Error");
        let body = format!(
            "<!DOCTYPE html>\n<html><head><title>{code} {title}</title></head>\
             <body><h1>{code} {title}</h1><p>{}</p></body></html>\n",
            self.detail
        );
        let mut response = (self.status, body).into_response();
        insert(
            &mut response,
            header::CONTENT_TYPE,
            "text/html; charset=utf-8",
        );
        if let Some(content_range) = &self.content_range {
            insert(&mut response, header::CONTENT_RANGE, content_range);
        }
        response
    }
}

/// Serves a download file.
pub async fn serve_download(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((id, file)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    Counters::add(&shared.counters.delivery_requests, 1);
    if looks_like_token(&id) {
        shared.secrets.record(&id);
    }

    let filename = query
        .ok()
        .and_then(|Query(pairs)| pairs.into_iter().find(|(key, _)| key == "filename"))
        .map(|(_, value)| value);
    let request = DeliveryRequest {
        id: &id,
        peer,
        file: &file,
        method: &method,
        headers: &headers,
        filename: filename.as_deref(),
    };
    match respond(&shared, request).await {
        Ok(response) => response,
        Err(page) => page.into_response(),
    }
}

/// Returns the 404 page for any other path on the delivery host.
pub async fn not_found(State(shared): State<Arc<Shared>>) -> Response {
    Counters::add(&shared.counters.delivery_requests, 1);
    ErrorPage::new(StatusCode::NOT_FOUND, "No such file.").into_response()
}

struct DeliveryRequest<'a> {
    id: &'a str,
    peer: SocketAddr,
    file: &'a str,
    method: &'a Method,
    headers: &'a HeaderMap,
    filename: Option<&'a str>,
}

async fn respond(
    shared: &Arc<Shared>,
    request: DeliveryRequest<'_>,
) -> Result<Response, ErrorPage> {
    let kind = DownloadType::from_file_name(request.file)
        .ok_or_else(|| ErrorPage::new(StatusCode::NOT_FOUND, "No such file."))?;
    let mut servable = look_up(shared, request.id, request.peer.ip(), kind)?;

    // Only a GET that would send a body takes a fault, so HEAD probes and polls of unready
    // downloads leave the queue alone.
    let fault = if *request.method == Method::GET {
        shared.faults.take_delivery(&servable.uid)
    } else {
        None
    };
    if let Some(fault) = &fault {
        Counters::add(&shared.counters.delivery_faults, 1);
        tracing::info!(uid = servable.uid, download_type = %kind, ?fault, "applying an injected delivery fault");
        delivery_faults::apply_persistent(shared, &servable, fault);
    }
    delivery_faults::apply_overrides(shared, &mut servable);

    let result = serve(shared, &request, &servable, fault).await;
    let status = match &result {
        Ok(response) => response.status(),
        Err(page) => page.status,
    };
    shared.faults.record(DeliveryRecord {
        uid: servable.uid.clone(),
        kind,
        method: request.method.to_string(),
        range: header_text(request.headers, header::RANGE),
        if_range: header_text(request.headers, header::IF_RANGE),
        status: status.as_u16(),
    });
    result
}

/// Builds the response for a download that may be served, applying a one-shot fault.
async fn serve(
    shared: &Arc<Shared>,
    request: &DeliveryRequest<'_>,
    servable: &Servable,
    fault: Option<DeliveryFault>,
) -> Result<Response, ErrorPage> {
    let kind = servable.kind;
    let disposition = request
        .filename
        .map(|name| content_disposition(name, kind))
        .transpose()
        .map_err(|message| ErrorPage::new(StatusCode::BAD_REQUEST, message))?;

    if let Some(response) = fault
        .as_ref()
        .and_then(delivery_faults::replacement_response)
    {
        return Ok(response);
    }

    let etag = servable.etag().await.map_err(|error| {
        tracing::error!(uid = servable.uid, %error, "failed to read media for the ETag");
        ErrorPage::unreadable()
    })?;

    let len = servable.media.len();
    let last_modified = http_date(servable.last_modified);
    let range_header = request
        .headers
        .get(header::RANGE)
        .and_then(|value| value.to_str().ok())
        .filter(|_| if_range_allows(request.headers, &etag, &last_modified));
    let outcome =
        delivery_faults::adjust_range(fault.as_ref(), range::evaluate(range_header, len), len);
    tracing::debug!(uid = servable.uid, download_type = %kind, ?outcome, "delivery request");

    let (status, start, end) = match outcome {
        RangeOutcome::Full => (StatusCode::OK, 0, len),
        RangeOutcome::Partial { start, end } => (StatusCode::PARTIAL_CONTENT, start, end),
        RangeOutcome::Unsatisfiable => {
            let mut page = ErrorPage::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "The requested range is outside the file.",
            );
            page.content_range = Some(format!("bytes */{len}"));
            return Err(page);
        }
    };

    let body = if *request.method == Method::HEAD {
        Body::empty()
    } else {
        let body_fault = delivery_faults::body_fault(fault.as_ref(), start, end);
        body_stream(shared, servable, start, end, request.peer, body_fault).await?
    };

    let mut response = (status, body).into_response();
    insert(&mut response, header::CONTENT_TYPE, kind.content_type());
    insert(
        &mut response,
        header::CONTENT_LENGTH,
        &(end - start).to_string(),
    );
    insert(&mut response, header::ACCEPT_RANGES, "bytes");
    insert(&mut response, header::ETAG, &etag);
    insert(&mut response, header::LAST_MODIFIED, &last_modified);
    if status == StatusCode::PARTIAL_CONTENT {
        let content_range = format!("bytes {start}-{}/{len}", end - 1);
        insert(&mut response, header::CONTENT_RANGE, &content_range);
    }
    if let Some(disposition) = disposition {
        insert(&mut response, header::CONTENT_DISPOSITION, &disposition);
    }
    Ok(response)
}

/// Streams `start..end` of the media through the transfer controls.
async fn body_stream(
    shared: &Arc<Shared>,
    servable: &Servable,
    start: u64,
    end: u64,
    peer: SocketAddr,
    fault: BodyFault,
) -> Result<Body, ErrorPage> {
    let stream = servable.media.read_range(start, end).await.map_err(|error| {
        tracing::error!(uid = servable.uid, download_type = %servable.kind, %error, "failed to open media");
        ErrorPage::unreadable()
    })?;

    let target = BodyTarget {
        uid: servable.uid.clone(),
        peer,
        fault,
    };
    Ok(transfer::body(
        Arc::clone(shared),
        stream,
        servable.token_exp,
        target,
    ))
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
}

/// Checks the video and its download under the store lock.
fn look_up(
    shared: &Shared,
    id: &str,
    peer: IpAddr,
    kind: DownloadType,
) -> Result<Servable, ErrorPage> {
    let keys = |kid: &str| shared.keys().lookup(kid);
    let context = TokenContext {
        keys: &keys,
        now: shared.clock.unix_now(),
        peer,
    };
    let store = shared.store();

    let grant = resolve_delivery_id(&store, id, &context, DeliveryKind::Download)
        .map_err(rejection_page)?;
    let uid = grant.uid;
    let video = store
        .get(&uid)
        .expect("resolve_delivery_id returned an existing uid");

    if video.state == VideoState::Error {
        return Err(ErrorPage::new(
            StatusCode::FAILED_DEPENDENCY,
            "The video failed to process, so it cannot be delivered.",
        ));
    }
    let download = video.downloads.get(&kind).ok_or_else(|| {
        ErrorPage::new(StatusCode::NOT_FOUND, "This download has not been created.")
    })?;
    let progress = download.progress(Instant::now(), shared.config.prepare_time);
    match progress.status {
        DownloadStatus::Ready => {}
        DownloadStatus::InProgress => {
            return Err(ErrorPage::new(
                StatusCode::NOT_FOUND,
                "This download is not ready yet.",
            ));
        }
        DownloadStatus::Error => {
            let reason = download.failure_reason().unwrap_or("unknown reason");
            let detail = format!("This download failed: {}", escape_html(reason));
            return Err(ErrorPage::new(StatusCode::NOT_FOUND, detail));
        }
    }

    let media = video
        .media_for(kind)
        .expect("a download exists only for media the video has")
        .clone();
    Ok(Servable {
        uid,
        token_exp: grant.token_exp,
        kind,
        media,
        last_modified: download.ready_since(shared.config.prepare_time),
        etag_generation: 0,
    })
}

/// Renders a rejected delivery id; token rejections are logged by name, never with the token.
pub(super) fn rejection_page(rejection: DeliveryRejection) -> ErrorPage {
    match rejection {
        DeliveryRejection::UnknownId => ErrorPage::new(StatusCode::NOT_FOUND, "No such video."),
        DeliveryRejection::SignedUrlRequired => ErrorPage::new(
            StatusCode::UNAUTHORIZED,
            "This video requires a signed URL: put a signed token in place of the video id.",
        ),
        DeliveryRejection::Token(reason) => {
            tracing::debug!(reason = reason.name(), "signed token rejected");
            ErrorPage::new(reason.status(), reason.reason())
        }
    }
}

/// Returns whether a `Range` header may be honoured under the request's `If-Range` condition.
fn if_range_allows(headers: &HeaderMap, etag: &str, last_modified: &str) -> bool {
    let Some(condition) = headers.get(header::IF_RANGE).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let condition = condition.trim();
    if condition.starts_with('"') || condition.starts_with("W/") {
        // If-Range needs a strong comparison, so a weak tag never matches.
        condition == etag
    } else {
        condition == last_modified
    }
}

/// Builds `Content-Disposition` for `?filename=`: the docs allow up to 120 characters from
/// `a-z A-Z 0-9 - _` and append the extension. A name that already ends in the extension (the
/// docs' own example does this) keeps a single extension.
fn content_disposition(name: &str, kind: DownloadType) -> Result<String, String> {
    let suffix = format!(".{}", kind.extension());
    let stem = name.strip_suffix(&suffix).unwrap_or(name);

    let valid = !stem.is_empty()
        && stem.len() <= FILENAME_MAX_LEN
        && stem
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        return Err(format!(
            "Invalid filename parameter: use 1 to {FILENAME_MAX_LEN} characters from a-z, A-Z, 0-9, - and _."
        ));
    }
    Ok(format!("attachment; filename=\"{stem}{suffix}\""))
}

fn insert(response: &mut Response, name: header::HeaderName, value: &str) {
    let value = HeaderValue::from_str(value).expect("header values built here are visible ASCII");
    response.headers_mut().insert(name, value);
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposition_appends_extension() {
        let value = content_disposition("My_Video-1", DownloadType::Default).unwrap();

        assert_eq!(value, "attachment; filename=\"My_Video-1.mp4\"");
    }

    #[test]
    fn disposition_keeps_single_extension() {
        let value = content_disposition("MY_VIDEO.m4a", DownloadType::Audio).unwrap();

        assert_eq!(value, "attachment; filename=\"MY_VIDEO.m4a\"");
    }

    #[test]
    fn disposition_rejects_invalid_names() {
        let too_long = "a".repeat(121);
        for name in ["", "a b", "a/b", "café", "x.mov", too_long.as_str()] {
            assert!(
                content_disposition(name, DownloadType::Default).is_err(),
                "{name:?}"
            );
        }
    }

    #[test]
    fn escape_html_cases() {
        assert_eq!(
            escape_html("<a href=\"x\">&</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }
}
