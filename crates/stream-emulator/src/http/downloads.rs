//! The downloads endpoints under `/accounts/{account_id}/stream/{uid}/downloads`.
//!
//! `GET` returns an object keyed by download type with only the created types present. `POST`
//! on the bare path creates `default` (the documented backwards-compatible behaviour); `POST`
//! on `/{download_type}` creates `default` or `audio`. Both return the created type's entry,
//! keyed, unless `flat_download_create` makes the bare `POST` return the flat entry. `DELETE`
//! returns the string `"ok"`, also when no such download existed (an emulator choice). A
//! `POST` for a live recording of 4 hours or more gets 400 with code 10018, for either type.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::envelope::{
    success, ApiError, LIVE_RECORDING_TOO_LONG_CODE, NO_AUDIO_CODE, VIDEO_NOT_READY_CODE,
};
use super::Shared;
use crate::model::DownloadType;
use crate::store::{CreateDownloadError, Video};

/// Returns every created download of a video.
pub async fn list_downloads(
    State(shared): State<Arc<Shared>>,
    Path((_account_id, uid)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let store = shared.store();
    let video = store
        .get(&uid)
        .ok_or_else(|| ApiError::video_not_found(&uid))?;

    let mut result = Map::new();
    for kind in video.downloads.keys() {
        result.insert(kind.as_str().to_owned(), entry_json(&shared, video, *kind));
    }
    Ok(success(Value::Object(result)))
}

/// Creates the `default` download (bare path).
pub async fn create_default_download(
    State(shared): State<Arc<Shared>>,
    Path((_account_id, uid)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let entry = create(&shared, &uid, DownloadType::Default)?;
    if shared.config.flat_download_create {
        return Ok(success(entry));
    }
    Ok(success(keyed(DownloadType::Default, entry)))
}

/// Creates a download of the type named in the path.
pub async fn create_typed_download(
    State(shared): State<Arc<Shared>>,
    Path((_account_id, uid, download_type)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let kind = parse_download_type(&download_type)?;
    let entry = create(&shared, &uid, kind)?;
    Ok(success(keyed(kind, entry)))
}

/// Deletes the `default` download (bare path).
pub async fn delete_default_download(
    State(shared): State<Arc<Shared>>,
    Path((_account_id, uid)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    delete(&shared, &uid, DownloadType::Default)
}

/// Deletes a download of the type named in the path.
pub async fn delete_typed_download(
    State(shared): State<Arc<Shared>>,
    Path((_account_id, uid, download_type)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let kind = parse_download_type(&download_type)?;
    delete(&shared, &uid, kind)
}

fn parse_download_type(text: &str) -> Result<DownloadType, ApiError> {
    DownloadType::from_wire(text).ok_or_else(|| {
        ApiError::invalid_parameter(format!(
            "invalid download type {text:?}: use default or audio"
        ))
    })
}

fn create(shared: &Shared, uid: &str, kind: DownloadType) -> Result<Value, ApiError> {
    let mut store = shared.store();

    let created = store
        .create_download(uid, kind)
        .map_err(|error| match error {
            CreateDownloadError::VideoNotFound => ApiError::video_not_found(uid),
            CreateDownloadError::VideoNotReady(state) => ApiError::new(
                StatusCode::BAD_REQUEST,
                VIDEO_NOT_READY_CODE,
                format!(
                    "Video {uid} is not ready to stream (state {state}); \
                 downloads can be created once readyToStream is true"
                ),
            ),
            CreateDownloadError::NoAudio => ApiError::new(
                StatusCode::BAD_REQUEST,
                NO_AUDIO_CODE,
                format!("Video {uid} has no audio track, so it has no audio download"),
            ),
            CreateDownloadError::LiveRecordingTooLong(seconds) => ApiError::new(
                StatusCode::BAD_REQUEST,
                LIVE_RECORDING_TOO_LONG_CODE,
                format!(
                    "Video {uid} is a live recording of {:.1} hours; downloads are available \
                     only for live recordings shorter than 4 hours",
                    seconds / 3600.0
                ),
            ),
        });
    if let Err(error) = &created {
        tracing::debug!(uid, download_type = %kind, status = %error.status(), "download not created");
    }
    created?;

    let video = store
        .get(uid)
        .expect("create_download succeeded, so the video exists");
    tracing::info!(uid, download_type = %kind, "download requested");
    Ok(entry_json(shared, video, kind))
}

fn delete(shared: &Shared, uid: &str, kind: DownloadType) -> Result<Response, ApiError> {
    let existed = shared
        .store()
        .delete_download(uid, kind)
        .ok_or_else(|| ApiError::video_not_found(uid))?;

    tracing::info!(uid, download_type = %kind, existed, "download deleted");
    Ok(success(json!("ok")))
}

fn keyed(kind: DownloadType, entry: Value) -> Value {
    let mut result = Map::new();
    result.insert(kind.as_str().to_owned(), entry);
    Value::Object(result)
}

/// Renders `{status, url, percentComplete}` for a download that exists.
fn entry_json(shared: &Shared, video: &Video, kind: DownloadType) -> Value {
    let download = &video.downloads[&kind];
    let progress = download.progress(Instant::now(), shared.config.prepare_time);
    json!({
        "status": progress.status.as_str(),
        "url": format!("{}/{}/downloads/{}", shared.origin, video.uid, kind.file_name()),
        "percentComplete": progress.percent,
    })
}
