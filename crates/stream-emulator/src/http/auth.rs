//! API authentication, checked before every Stream route handler runs.
//!
//! Order of checks, mirroring the replies seen from the real API:
//! 1. no `Authorization` and no `X-Auth-*` header: 400, code 1001;
//! 2. a malformed header value: 400, code 6003 with an `error_chain` naming the header;
//! 3. a well-formed but unknown token, or any legacy `X-Auth-Email` + `X-Auth-Key` pair (the
//!    emulator has no global API keys): 403, code 10000;
//! 4. the right token with another account id in the path: 403, code 10000.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::envelope::{
    ApiError, INVALID_AUTHORIZATION_CODE, INVALID_EMAIL_HEADER_CODE, INVALID_KEY_HEADER_CODE,
    MISSING_AUTH_CODE,
};
use super::Shared;
use crate::config::is_b64token;

/// Rejects requests without valid credentials for the account in the path.
pub async fn require_auth(
    State(shared): State<Arc<Shared>>,
    Path(params): Path<HashMap<String, String>>,
    request: Request,
    next: Next,
) -> Response {
    let account_id = params
        .get("account_id")
        .map(String::as_str)
        .unwrap_or_default();

    match check(request.headers(), account_id, &shared) {
        Ok(()) => next.run(request).await,
        Err(error) => {
            tracing::debug!(status = %error.status(), path = request.uri().path(), "API request rejected by authentication");
            error.into_response()
        }
    }
}

fn check(headers: &HeaderMap, account_id: &str, shared: &Shared) -> Result<(), ApiError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(bearer_token)
            .filter(|token| is_b64token(token))
            .ok_or_else(|| {
                ApiError::invalid_headers(
                    INVALID_AUTHORIZATION_CODE,
                    "Invalid format for Authorization header",
                )
            })?;
        if token != shared.config.api_token {
            return Err(ApiError::authentication());
        }
    } else if headers.contains_key("x-auth-email") || headers.contains_key("x-auth-key") {
        check_legacy_headers(headers)?;
        return Err(ApiError::authentication());
    } else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            MISSING_AUTH_CODE,
            "Missing \"Authorization\" header",
        ));
    }

    if account_id != shared.config.account_id {
        return Err(ApiError::authentication());
    }
    Ok(())
}

/// Returns the token of a `Bearer` credential; the scheme name is case-insensitive (RFC 7235).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Checks the shape of the legacy pair: an e-mail address and a 37–45 character hex global key.
fn check_legacy_headers(headers: &HeaderMap) -> Result<(), ApiError> {
    let email = headers.get("x-auth-email").and_then(|v| v.to_str().ok());
    if !email.is_some_and(|email| email.contains('@')) {
        return Err(ApiError::invalid_headers(
            INVALID_EMAIL_HEADER_CODE,
            "Invalid format for X-Auth-Email header",
        ));
    }

    let key = headers.get("x-auth-key").and_then(|v| v.to_str().ok());
    let key_ok = key.is_some_and(|key| {
        (37..=45).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_hexdigit())
    });
    if !key_ok {
        return Err(ApiError::invalid_headers(
            INVALID_KEY_HEADER_CODE,
            "Invalid format for X-Auth-Key header",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_token_cases() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearerabc"), None);
    }
}
