//! The Cloudflare v4 JSON envelope and the API's error replies.
//!
//! Every JSON reply has `result`, `success`, `errors` and `messages`; a failure has
//! `result: null`, `success: false` and at least one `{code, message}` error.
//!
//! Error codes 1001, 6003 (with chain codes 6102, 6103, 6111), 7003 and 10000 are the values
//! observed from the real API. The real codes for the other failures are not documented, so
//! the emulator uses its own: see the `*_CODE` constants marked "emulator choice".

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// `Missing "Authorization" header` (observed).
pub const MISSING_AUTH_CODE: u32 = 1001;
/// `Invalid request headers`, the parent of the chain codes below (observed).
pub const INVALID_HEADERS_CODE: u32 = 6003;
/// Chain code: invalid `X-Auth-Email` (observed).
pub const INVALID_EMAIL_HEADER_CODE: u32 = 6102;
/// Chain code: invalid `X-Auth-Key` (observed).
pub const INVALID_KEY_HEADER_CODE: u32 = 6103;
/// Chain code: invalid `Authorization` (observed).
pub const INVALID_AUTHORIZATION_CODE: u32 = 6111;
/// `No route for the URI` (the spec's sample error).
pub const NO_ROUTE_CODE: u32 = 7003;
/// Emulator choice: wrong HTTP method on a known path.
pub const METHOD_NOT_ALLOWED_CODE: u32 = 7001;
/// `Authentication error`: wrong token or wrong account (observed).
pub const AUTHENTICATION_CODE: u32 = 10000;
/// Emulator choice: unknown video uid (real code undocumented).
pub const VIDEO_NOT_FOUND_CODE: u32 = 10005;
/// Emulator choice: a query or path parameter has an invalid value.
pub const INVALID_PARAMETER_CODE: u32 = 10011;
/// Emulator choice: download requested for a video that is not `readyToStream`.
pub const VIDEO_NOT_READY_CODE: u32 = 10012;
/// Emulator choice: audio download requested for a video without an audio track.
pub const NO_AUDIO_CODE: u32 = 10013;
/// Emulator choice: unknown or already revoked signing key id.
pub const SIGNING_KEY_NOT_FOUND_CODE: u32 = 10014;
/// Emulator choice: the account already has the maximum number of signing keys.
pub const SIGNING_KEY_LIMIT_CODE: u32 = 10015;
/// Emulator choice: the emulator itself failed (e.g. key generation).
pub const INTERNAL_ERROR_CODE: u32 = 10016;
/// Emulator choice: an error status injected with `inject_api_fault` or a delivery fault.
pub const INJECTED_FAULT_CODE: u32 = 10017;
/// Emulator choice: a download requested for a live recording of 4 hours or more.
pub const LIVE_RECORDING_TOO_LONG_CODE: u32 = 10018;
/// Emulator choice: no caption in that language, or none ready yet.
pub const CAPTION_NOT_FOUND_CODE: u32 = 10019;

/// A failed API call, rendered as a v4 failure envelope.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    code: u32,
    message: String,
    chain: Option<(u32, String)>,
}

impl ApiError {
    /// Builds an error with one `{code, message}` item.
    pub fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            chain: None,
        }
    }

    /// Builds the 400 `Invalid request headers` error with one `error_chain` item.
    pub fn invalid_headers(chain_code: u32, chain_message: &str) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: INVALID_HEADERS_CODE,
            message: "Invalid request headers".to_owned(),
            chain: Some((chain_code, chain_message.to_owned())),
        }
    }

    /// Builds the 403 `Authentication error`.
    pub fn authentication() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            AUTHENTICATION_CODE,
            "Authentication error",
        )
    }

    /// Builds a 400 error for a bad parameter value.
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, INVALID_PARAMETER_CODE, message)
    }

    /// Builds the 404 error for an unknown video uid.
    pub fn video_not_found(uid: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            VIDEO_NOT_FOUND_CODE,
            format!("Video not found: no video with uid {uid:?} in this account"),
        )
    }

    /// Returns the HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some((code, message)) = self.chain {
            error["error_chain"] = json!([{ "code": code, "message": message }]);
        }
        let body = json!({
            "result": null,
            "success": false,
            "errors": [error],
            "messages": [],
        });
        (self.status, Json(body)).into_response()
    }
}

/// Wraps `result` in a success envelope.
pub fn success(result: Value) -> Response {
    Json(success_body(result)).into_response()
}

/// Returns the success envelope as a JSON object, for replies that add top-level fields.
pub fn success_body(result: Value) -> Value {
    json!({
        "result": result,
        "success": true,
        "errors": [],
        "messages": [],
    })
}

/// Returns the 7003 error for paths under `/client/v4` that match no route.
pub async fn no_route() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, NO_ROUTE_CODE, "No route for the URI")
}

/// Returns the 405 error for a known path called with an unsupported method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        METHOD_NOT_ALLOWED_CODE,
        "Method not allowed for this route",
    )
}
