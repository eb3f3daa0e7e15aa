//! The layer in front of every API route: counts requests per endpoint kind, answers injected
//! [`ApiFault`]s and applies the rate limit.
//!
//! Order: the endpoint count comes first, so every request is counted. An injected fault comes
//! next and does not use up the rate-limit budget. The rate limit answers 429 with the v4
//! envelope, a `Retry-After` header unless configured off, and the `Ratelimit` header
//! (`"default";r=REMAINING;t=SECONDS`) on every reply, like the real service since September
//! 2025.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::delivery::ErrorPage;
use super::envelope::{ApiError, INJECTED_FAULT_CODE};
use super::{Counters, Shared};
use crate::faults::ApiFault;
use crate::rate_limit::{Decision, RATE_LIMITED_CODE};

/// Kind of API endpoint, for the per-endpoint counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApiEndpoint {
    List,
    Video,
    DownloadsGet,
    DownloadsCreate,
    DownloadsDelete,
    Token,
    Keys,
    Captions,
    Other,
}

impl ApiEndpoint {
    /// Number of variants, the length of the counter array.
    pub const COUNT: usize = 9;

    /// Classifies a request by method and path (with or without the `/client/v4` prefix).
    pub fn classify(method: &Method, path: &str) -> Self {
        let path = path.strip_prefix("/client/v4").unwrap_or(path);
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let rest = match segments.as_slice() {
            ["accounts", _, "stream", rest @ ..] => rest,
            _ => return ApiEndpoint::Other,
        };

        match rest {
            [] => ApiEndpoint::List,
            ["keys", ..] => ApiEndpoint::Keys,
            [_uid] => ApiEndpoint::Video,
            [_uid, "token"] => ApiEndpoint::Token,
            [_uid, "captions", ..] => ApiEndpoint::Captions,
            [_uid, "downloads", ..] => match *method {
                Method::POST => ApiEndpoint::DownloadsCreate,
                Method::DELETE => ApiEndpoint::DownloadsDelete,
                _ => ApiEndpoint::DownloadsGet,
            },
            _ => ApiEndpoint::Other,
        }
    }
}

/// Counts, fault-injects and rate-limits one API request.
pub async fn guard(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let endpoint = ApiEndpoint::classify(request.method(), request.uri().path());
    Counters::add(&shared.counters.endpoints[endpoint as usize], 1);

    if let Some(fault) = shared.faults.take_api() {
        tracing::info!(
            ?fault,
            path = request.uri().path(),
            "answering an API request with an injected fault"
        );
        return fault_response(&shared, &fault);
    }

    let Some(limiter) = &shared.rate_limiter else {
        return next.run(request).await;
    };
    match limiter.check(Instant::now()) {
        Decision::Allowed {
            remaining,
            reset_secs,
        } => {
            let mut response = next.run(request).await;
            let limit = limiter.limit();
            set_header(
                &mut response,
                "ratelimit",
                &format!("\"default\";r={remaining};t={reset_secs}"),
            );
            set_header(
                &mut response,
                "ratelimit-policy",
                &format!(
                    "\"default\";q={};w={}",
                    limit.requests,
                    limit.window.as_secs()
                ),
            );
            response
        }
        Decision::Limited { retry_after_secs } => {
            Counters::add(&shared.counters.rate_limited, 1);
            let limit = limiter.limit();
            tracing::info!(retry_after_secs, "API request rate-limited");
            let message = format!(
                "More than {} requests per {} seconds reached. Please wait and consider \
                 throttling your request speed",
                limit.requests,
                limit.window.as_secs()
            );
            let mut response =
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, limit.error_code, message)
                    .into_response();
            set_header(
                &mut response,
                "ratelimit",
                &format!("\"default\";r=0;t={retry_after_secs}"),
            );
            if limit.retry_after_header {
                set_header(
                    &mut response,
                    header::RETRY_AFTER.as_str(),
                    &retry_after_secs.to_string(),
                );
            }
            response
        }
    }
}

/// Renders an injected API fault.
fn fault_response(shared: &Shared, fault: &ApiFault) -> Response {
    let ApiFault::Status {
        status,
        retry_after,
        html,
    } = fault;
    let status = StatusCode::from_u16(*status).expect("validated as 400..=599 when queued");
    if status == StatusCode::TOO_MANY_REQUESTS {
        Counters::add(&shared.counters.rate_limited, 1);
    }

    let mut response = if *html {
        ErrorPage::new(
            status,
            "The server could not answer this request (injected fault).",
        )
        .into_response()
    } else if status == StatusCode::TOO_MANY_REQUESTS {
        ApiError::new(
            status,
            RATE_LIMITED_CODE,
            "Please wait and consider throttling your request speed",
        )
        .into_response()
    } else {
        ApiError::new(status, INJECTED_FAULT_CODE, "Injected fault").into_response()
    };
    if let Some(seconds) = retry_after {
        set_header(
            &mut response,
            header::RETRY_AFTER.as_str(),
            &seconds.to_string(),
        );
    }
    response
}

fn set_header(response: &mut Response, name: &'static str, value: &str) {
    let value = HeaderValue::from_str(value).expect("header values built here are visible ASCII");
    response.headers_mut().insert(name, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_table() {
        let base = "/client/v4/accounts/acc/stream";
        let cases = [
            (Method::GET, base.to_owned(), ApiEndpoint::List),
            (Method::GET, format!("{base}/abc"), ApiEndpoint::Video),
            (
                Method::GET,
                format!("{base}/abc/downloads"),
                ApiEndpoint::DownloadsGet,
            ),
            (
                Method::POST,
                format!("{base}/abc/downloads"),
                ApiEndpoint::DownloadsCreate,
            ),
            (
                Method::POST,
                format!("{base}/abc/downloads/audio"),
                ApiEndpoint::DownloadsCreate,
            ),
            (
                Method::DELETE,
                format!("{base}/abc/downloads"),
                ApiEndpoint::DownloadsDelete,
            ),
            (
                Method::POST,
                format!("{base}/abc/token"),
                ApiEndpoint::Token,
            ),
            (Method::GET, format!("{base}/keys"), ApiEndpoint::Keys),
            (Method::DELETE, format!("{base}/keys/k1"), ApiEndpoint::Keys),
            (
                Method::GET,
                "/accounts/acc/stream/abc".to_owned(),
                ApiEndpoint::Video,
            ),
            (
                Method::GET,
                "/client/v4/user".to_owned(),
                ApiEndpoint::Other,
            ),
        ];

        for (method, path, expected) in cases {
            assert_eq!(
                ApiEndpoint::classify(&method, &path),
                expected,
                "{method} {path}"
            );
        }
    }
}
