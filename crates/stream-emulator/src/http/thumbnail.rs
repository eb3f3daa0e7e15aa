//! The delivery host's still thumbnail: `/{id}/thumbnails/thumbnail.jpg`, where `id` is a video
//! uid or a signed token in its place.
//!
//! Access follows the download routes: a uid-only URL of a private video gets 401, and a
//! rejected token gets the same 401/403/404 pages, except that a thumbnail token needs no
//! `downloadable` claim. A video in state `error` gets 424 and one still processing gets 404,
//! because Stream lists a thumbnail URL only once encoding is done. The query parameters
//! `height` and `width` must be positive integers when present, but every size gets the same
//! stored picture. `time` and `fit` are ignored. Animated `thumbnail.gif` is not emulated (404).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use super::delivery::{rejection_page, resolve_delivery_id, DeliveryKind, ErrorPage, TokenContext};
use super::{Counters, Shared};
use crate::model::VideoState;
use crate::token::looks_like_token;

/// The only still-thumbnail file name the delivery host serves.
const THUMBNAIL_FILE: &str = "thumbnail.jpg";

/// Largest `height` or `width` accepted, in pixels.
const MAX_DIMENSION: u32 = 4096;

/// Serves a video's thumbnail.
pub async fn serve_thumbnail(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((id, file)): Path<(String, String)>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    Counters::add(&shared.counters.delivery_requests, 1);
    Counters::add(&shared.counters.thumbnail_requests, 1);
    if looks_like_token(&id) {
        shared.secrets.record(&id);
    }

    let pairs = query.map(|Query(pairs)| pairs).unwrap_or_default();
    match respond(&shared, &id, &file, peer, &pairs) {
        Ok(response) => response,
        Err(page) => page.into_response(),
    }
}

fn respond(
    shared: &Shared,
    id: &str,
    file: &str,
    peer: SocketAddr,
    query: &[(String, String)],
) -> Result<Response, ErrorPage> {
    if file != THUMBNAIL_FILE {
        return Err(ErrorPage::new(
            StatusCode::NOT_FOUND,
            "No such file: the emulator serves only thumbnails/thumbnail.jpg.",
        ));
    }
    check_dimensions(query)?;

    let keys = |kid: &str| shared.keys().lookup(kid);
    let context = TokenContext {
        keys: &keys,
        now: shared.clock.unix_now(),
        peer: peer.ip(),
    };
    let store = shared.store();
    let grant = resolve_delivery_id(&store, id, &context, DeliveryKind::Thumbnail)
        .map_err(rejection_page)?;
    let video = store
        .get(&grant.uid)
        .expect("resolve_delivery_id returned an existing uid");

    match video.state {
        VideoState::Ready => {}
        VideoState::Error => {
            return Err(ErrorPage::new(
                StatusCode::FAILED_DEPENDENCY,
                "The video failed to process, so it has no thumbnail.",
            ));
        }
        _ => {
            return Err(ErrorPage::new(
                StatusCode::NOT_FOUND,
                "The thumbnail is not ready: the video is still processing.",
            ));
        }
    }
    let body = video.thumbnail.clone();
    drop(store);

    tracing::debug!(uid = grant.uid, bytes = body.len(), "thumbnail request");
    Ok(picture_response(body))
}

/// Rejects a `height` or `width` that is not a whole number from 1 to [`MAX_DIMENSION`].
fn check_dimensions(query: &[(String, String)]) -> Result<(), ErrorPage> {
    for (name, value) in query {
        if name != "height" && name != "width" {
            continue;
        }
        let valid = value
            .parse::<u32>()
            .is_ok_and(|pixels| (1..=MAX_DIMENSION).contains(&pixels));
        if !valid {
            return Err(ErrorPage::new(
                StatusCode::BAD_REQUEST,
                format!("Invalid {name}: use a whole number of pixels from 1 to {MAX_DIMENSION}."),
            ));
        }
    }
    Ok(())
}

fn picture_response(body: Bytes) -> Response {
    let content_type = sniff_content_type(&body);
    let length = body.len().to_string();
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from_str(&length).expect("a number is a valid header value"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

/// Returns the `Content-Type` that the stored bytes call for.
fn sniff_content_type(body: &[u8]) -> &'static str {
    let start = String::from_utf8_lossy(&body[..body.len().min(64)]).to_ascii_lowercase();
    if body.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if body.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if body.len() >= 12 && &body[..4] == b"RIFF" && &body[8..12] == b"WEBP" {
        "image/webp"
    } else if start.trim_start().starts_with("<!doctype html") || start.contains("<html") {
        "text/html; charset=utf-8"
    } else {
        "application/octet-stream"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_table() {
        let cases: [(&[u8], &str); 5] = [
            (&[0xFF, 0xD8, 0xFF, 0xE0], "image/jpeg"),
            (b"\x89PNG\r\n\x1a\n....", "image/png"),
            (b"RIFF\0\0\0\0WEBPVP8 ", "image/webp"),
            (b"  <!DOCTYPE html><html>", "text/html; charset=utf-8"),
            (b"plain", "application/octet-stream"),
        ];

        for (body, expected) in cases {
            assert_eq!(sniff_content_type(body), expected, "{body:?}");
        }
    }

    #[test]
    fn dimensions_reject_bad_values() {
        for value in ["0", "-1", "abc", "99999", ""] {
            let query = vec![("height".to_owned(), value.to_owned())];
            assert!(check_dimensions(&query).is_err(), "{value:?}");
        }
    }

    #[test]
    fn dimensions_accept_height_270() {
        let query = vec![
            ("height".to_owned(), "270".to_owned()),
            ("time".to_owned(), "1s".to_owned()),
        ];

        assert!(check_dimensions(&query).is_ok());
    }
}
