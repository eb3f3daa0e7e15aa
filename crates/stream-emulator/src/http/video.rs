//! The video object and `GET /accounts/{account_id}/stream/{uid}`.
//!
//! The object carries the field set of real replies: `duration` and `input` are -1 while
//! unknown, `status.pctComplete` is a string, and `thumbnail`, `preview` and `playback` appear
//! only once the video is ready. Those three URLs point at the emulator, which serves only the
//! thumbnail (the others return 404). `liveInput` appears only on live recordings.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::envelope::{success, ApiError};
use super::wire::api_time;
use super::Shared;
use crate::model::VideoState;
use crate::store::Video;

/// Returns one video.
pub async fn get_video(
    State(shared): State<Arc<Shared>>,
    Path((_account_id, uid)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let video = shared
        .store()
        .get(&uid)
        .cloned()
        .ok_or_else(|| ApiError::video_not_found(&uid))?;

    Ok(success(video_json(&video, &shared.origin)))
}

/// Renders the API's video object.
pub fn video_json(video: &Video, origin: &str) -> Value {
    let ready = video.state == VideoState::Ready;
    let (width, height) = video
        .dimensions
        .map_or((-1, -1), |(w, h)| (i64::from(w), i64::from(h)));
    let duration = match video.duration {
        Some(seconds) if ready => json!(seconds),
        _ => json!(-1),
    };

    let mut object = json!({
        "uid": video.uid,
        "creator": video.creator,
        "meta": meta_json(video),
        "created": api_time(video.created),
        "modified": api_time(video.modified),
        "uploaded": api_time(video.created),
        "duration": duration,
        "size": video.media.len(),
        "input": { "width": width, "height": height },
        "readyToStream": ready,
        "readyToStreamAt": video.ready_at.map(api_time),
        "status": status_json(video.state),
        "requireSignedURLs": video.require_signed_urls,
        "allowedOrigins": [],
        "thumbnailTimestampPct": 0,
        "scheduledDeletion": null,
        "uploadExpiry": null,
        "maxSizeBytes": null,
        "maxDurationSeconds": null,
        "watermark": null,
    });

    if let Some(live_input) = &video.live_input {
        object["liveInput"] = json!(live_input);
    }
    if ready {
        let base = format!("{origin}/{}", video.uid);
        object["thumbnail"] = json!(format!("{base}/thumbnails/thumbnail.jpg"));
        object["preview"] = json!(format!("{base}/watch"));
        object["playback"] = json!({
            "hls": format!("{base}/manifest/video.m3u8"),
            "dash": format!("{base}/manifest/video.mpd"),
        });
    }
    object
}

fn meta_json(video: &Video) -> Value {
    let mut meta = Map::new();
    if let Some(name) = &video.name {
        meta.insert("name".to_owned(), json!(name));
    }
    if let Some(filename) = &video.filename {
        meta.insert("filename".to_owned(), json!(filename));
        meta.insert("filetype".to_owned(), json!("video/mp4"));
    }
    Value::Object(meta)
}

fn status_json(state: VideoState) -> Value {
    let (percent, error_code, error_text) = match state {
        VideoState::Ready => ("100.000000", "", ""),
        VideoState::InProgress | VideoState::LiveInProgress => ("50.000000", "", ""),
        VideoState::Error => (
            "0.000000",
            "ERR_UNKNOWN",
            "The emulator marked this video as failed.",
        ),
        VideoState::PendingUpload | VideoState::Downloading | VideoState::Queued => {
            ("0.000000", "", "")
        }
    };
    json!({
        "state": state.as_str(),
        "pctComplete": percent,
        "errorReasonCode": error_code,
        "errorReasonText": error_text,
    })
}
