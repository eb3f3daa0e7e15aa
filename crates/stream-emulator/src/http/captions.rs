//! The captions endpoints under `/accounts/{account_id}/stream/{uid}/captions`.
//!
//! `GET .../captions` lists `[{language, label, generated, status}]`, in-progress and failed
//! tracks included. `GET .../captions/{language}` returns one such object. `GET
//! .../captions/{language}/vtt` returns the WebVTT text itself as `text/vtt`, outside the JSON
//! envelope; its failures are envelopes like every other API error. Language tags compare
//! without regard to ASCII case.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::envelope::{success, ApiError, CAPTION_NOT_FOUND_CODE};
use super::Shared;
use crate::model::{Caption, CaptionStatus};
use crate::store::Store;

/// Lists a video's caption tracks.
pub async fn list_captions(
    State(shared): State<Arc<Shared>>,
    Path((_account_id, uid)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let store = shared.store();
    let video = store
        .get(&uid)
        .ok_or_else(|| ApiError::video_not_found(&uid))?;

    let tracks: Vec<Value> = video.captions.iter().map(caption_json).collect();
    Ok(success(Value::Array(tracks)))
}

/// Returns one caption track's fields.
pub async fn get_caption(
    State(shared): State<Arc<Shared>>,
    Path((_account_id, uid, language)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let store = shared.store();
    let caption = find_caption(&store, &uid, &language)?;

    Ok(success(caption_json(caption)))
}

/// Returns the WebVTT text of a ready caption track.
pub async fn get_caption_vtt(
    State(shared): State<Arc<Shared>>,
    Path((_account_id, uid, language)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let store = shared.store();
    let caption = find_caption(&store, &uid, &language)?;
    if caption.status != CaptionStatus::Ready {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            CAPTION_NOT_FOUND_CODE,
            format!(
                "Caption {:?} of video {uid} has status {}, so it has no WebVTT file yet",
                caption.language,
                caption.status.as_str()
            ),
        ));
    }
    let body = caption.vtt.clone();
    drop(store);

    tracing::debug!(uid, language, bytes = body.len(), "caption file requested");
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/vtt; charset=utf-8"),
    );
    Ok(response)
}

/// Returns the caption track of `uid` in `language`, or the API error for a missing video or
/// track.
fn find_caption<'s>(store: &'s Store, uid: &str, language: &str) -> Result<&'s Caption, ApiError> {
    let video = store
        .get(uid)
        .ok_or_else(|| ApiError::video_not_found(uid))?;
    video
        .caption(language)
        .ok_or_else(|| caption_not_found(uid, language))
}

fn caption_json(caption: &Caption) -> Value {
    json!({
        "language": caption.language,
        "label": caption.label,
        "generated": caption.generated,
        "status": caption.status.as_str(),
    })
}

fn caption_not_found(uid: &str, language: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        CAPTION_NOT_FOUND_CODE,
        format!("Caption not found: video {uid} has no caption in language {language:?}"),
    )
}
