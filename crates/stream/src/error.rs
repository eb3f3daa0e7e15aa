//! The one error type of the client, with variants a caller can act on.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One entry of the envelope's `errors` or `messages` array.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ApiMessage {
    #[serde(default)]
    pub code: i64,
    #[serde(default)]
    pub message: String,
    /// Nested causes; the API uses this for header errors (6003 → 6111).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_chain: Vec<ApiMessage>,
}

impl ApiMessage {
    fn describe(messages: &[ApiMessage]) -> String {
        let parts: Vec<String> = messages
            .iter()
            .map(|m| {
                let mut text = format!("{} (code {})", m.message, m.code);
                if !m.error_chain.is_empty() {
                    text.push_str(": ");
                    text.push_str(&Self::describe(&m.error_chain));
                }
                text
            })
            .collect();
        parts.join("; ")
    }

    fn any_code(messages: &[ApiMessage], code: i64) -> bool {
        messages
            .iter()
            .any(|m| m.code == code || Self::any_code(&m.error_chain, code))
    }
}

/// Everything that can go wrong when talking to Stream.
///
/// Messages name the failing request or value and what to do next. They never include the API
/// token, and response excerpts are cut short.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The token was rejected, lacks a permission, or does not belong to the account
    /// (HTTP 403 with code 10000, or HTTP 400 for a malformed auth header).
    #[error("authentication failed: {detail}. Check the account id and create an API token with the Stream Read permission (browse) and Stream Write (enable downloads)")]
    Auth { status: u16, detail: String },

    /// The account, video or download does not exist.
    #[error("{what} not found")]
    NotFound { what: String },

    /// Too many requests. `retry_after` is the server's wait when it sent one.
    #[error("rate limited by Cloudflare{}; the account's API budget is 1,200 requests per 5 minutes", match .retry_after { Some(d) => format!(", retry in {} s", d.as_secs()), None => String::new() })]
    RateLimited { retry_after: Option<Duration> },

    /// The video or its download is not ready yet; try again later.
    #[error("{what} is not ready yet: {detail}")]
    NotReady { what: String, detail: String },

    /// The service returned a 5xx status.
    #[error("Cloudflare returned a server error (HTTP {status}) for {request}; try again later")]
    Server { status: u16, request: String },

    /// The request never got an answer: DNS, connection, TLS or a timeout.
    #[error("cannot reach {host}: {detail}. Check the network connection and the API base URL")]
    Network { host: String, detail: String },

    /// The service responded, but not in the documented format.
    #[error(
        "invalid response from {request} (HTTP {status}): {detail}; body starts with: {excerpt:?}"
    )]
    InvalidResponse {
        request: String,
        status: u16,
        detail: String,
        excerpt: String,
    },

    /// Any other 4xx response, with the API's own messages.
    #[error("{request} failed (HTTP {status}): {}", ApiMessage::describe(.errors))]
    Api {
        request: String,
        status: u16,
        errors: Vec<ApiMessage>,
    },

    /// A setting passed to the client is unusable.
    #[error("invalid setting: {0}")]
    Config(String),
}

impl Error {
    /// Returns true for errors that may go away by trying again later (network, 5xx, 429, not ready).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Network { .. }
                | Self::Server { .. }
                | Self::RateLimited { .. }
                | Self::NotReady { .. }
        )
    }

    /// Returns a stable machine-readable code for UIs and exit statuses.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Auth { .. } => "auth",
            Self::NotFound { .. } => "not_found",
            Self::RateLimited { .. } => "rate_limited",
            Self::NotReady { .. } => "not_ready",
            Self::Server { .. } => "server",
            Self::Network { .. } => "network",
            Self::InvalidResponse { .. } => "invalid_response",
            Self::Api { .. } => "api",
            Self::Config(_) => "config",
        }
    }

    /// Classifies an unsuccessful API response.
    pub(crate) fn from_api_failure(
        request: &str,
        status: u16,
        errors: Vec<ApiMessage>,
        retry_after: Option<Duration>,
        what: &str,
    ) -> Self {
        let detail = if errors.is_empty() {
            format!("HTTP {status}")
        } else {
            ApiMessage::describe(&errors)
        };
        match status {
            401 | 403 => Self::Auth { status, detail },
            400 if ApiMessage::any_code(&errors, 6003)
                || ApiMessage::any_code(&errors, 1001)
                || ApiMessage::any_code(&errors, 6111) =>
            {
                Self::Auth { status, detail }
            }
            _ if ApiMessage::any_code(&errors, 10000) => Self::Auth { status, detail },
            404 => Self::NotFound {
                what: what.to_owned(),
            },
            429 => Self::RateLimited { retry_after },
            s if s >= 500 => Self::Server {
                status,
                request: request.to_owned(),
            },
            _ if looks_not_ready(&errors) => Self::NotReady {
                what: what.to_owned(),
                detail,
            },
            _ => Self::Api {
                request: request.to_owned(),
                status,
                errors,
            },
        }
    }
}

fn looks_not_ready(errors: &[ApiMessage]) -> bool {
    errors.iter().any(|e| {
        let text = e.message.to_ascii_lowercase();
        text.contains("not ready")
            || text.contains("still processing")
            || text.contains("not yet ready")
    })
}

/// Cuts a response body to a short excerpt that is safe to show. Long runs of URL-safe characters
/// are masked because a body may echo a signed token.
pub(crate) fn excerpt(body: &[u8]) -> String {
    const MAX_CHARS: usize = 120;
    let text = String::from_utf8_lossy(body);
    let short: String = text.chars().take(MAX_CHARS).collect();
    mask_long_tokens(&short)
}

fn mask_long_tokens(text: &str) -> String {
    const MIN_SECRET_LEN: usize = 32;
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= MIN_SECRET_LEN {
            out.push_str("<redacted>");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for ch in text.chars() {
        // Base64's `+`, `/` and `=` join a run too, so base64 key material is masked whole.
        if ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.' | '+' | '/' | '=') {
            run.push(ch);
        } else {
            flush(&mut run, &mut out);
            out.push(ch);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(code: i64, text: &str) -> ApiMessage {
        ApiMessage {
            code,
            message: text.into(),
            error_chain: vec![],
        }
    }

    #[test]
    fn forbidden_maps_to_auth() {
        let err = Error::from_api_failure(
            "GET /x",
            403,
            vec![message(10000, "Authentication error")],
            None,
            "video",
        );
        assert!(matches!(err, Error::Auth { status: 403, .. }));
        assert!(err.to_string().contains("Stream Read"));
    }

    #[test]
    fn header_error_maps_to_auth() {
        let mut outer = message(6003, "Invalid request headers");
        outer
            .error_chain
            .push(message(6111, "Invalid format for Authorization header"));
        let err = Error::from_api_failure("GET /x", 400, vec![outer], None, "video");
        assert!(matches!(err, Error::Auth { status: 400, .. }));
        assert!(err.to_string().contains("6111"));
    }

    #[test]
    fn too_many_requests_keeps_wait() {
        let wait = Some(Duration::from_secs(30));
        let err = Error::from_api_failure("GET /x", 429, vec![], wait, "video");
        assert!(matches!(err, Error::RateLimited { retry_after: Some(d) } if d.as_secs() == 30));
    }

    #[test]
    fn not_found_names_subject() {
        let err = Error::from_api_failure("GET /x", 404, vec![], None, "video 'abc'");
        assert_eq!(err.to_string(), "video 'abc' not found");
    }

    #[test]
    fn server_error_is_transient() {
        let err = Error::from_api_failure("GET /x", 503, vec![], None, "video");
        assert!(err.is_transient());
    }

    #[test]
    fn excerpt_masks_token_like_runs() {
        let body = b"<html>token eyJhbGciOiJSUzI1NiIsImtpZCI6ImFiYyJ9.eyJzdWIiOiJ4In0 here</html>";
        let text = excerpt(body);
        assert!(!text.contains("eyJhbGciOiJSUzI1NiIsImtpZCI6ImFiYyJ9"));
        assert!(text.contains("<redacted>"));
    }

    #[test]
    fn excerpt_is_short() {
        let body = vec![b'a'; 5000];
        assert!(excerpt(&body).len() < 200);
    }
}
