//! The signing keys endpoints under `/accounts/{account_id}/stream/keys`.
//!
//! `POST` generates a 2048-bit RSA key and returns `{id, pem, jwk, created}`, the only time the
//! private key is shown. `GET` lists `[{id, created}]` without key material.
//! `DELETE .../keys/{key_id}` revokes a key, which also invalidates every token it signed, and
//! returns the string `"Revoked"`. An unknown or already revoked id gets 404. At most 1,000
//! keys may be active.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::envelope::{
    success, ApiError, INTERNAL_ERROR_CODE, SIGNING_KEY_LIMIT_CODE, SIGNING_KEY_NOT_FOUND_CODE,
};
use super::wire::api_time;
use super::Shared;
use crate::keys::{generate_key, NewKey, MAX_ACTIVE_KEYS};
use crate::seed::new_uid;
use crate::store::now_micros;

/// Creates a signing key.
pub async fn create_key(
    State(shared): State<Arc<Shared>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    check_empty_object(&body)?;
    if shared.keys().active_count() >= MAX_ACTIVE_KEYS {
        return Err(limit_reached());
    }

    let key = generate(new_uid()).await?;
    shared
        .keys()
        .insert(&key.id, key.created, key.public.clone())
        .map_err(|_| limit_reached())?;
    for secret in key.secrets() {
        shared.secrets.record(secret);
    }

    tracing::info!(key_id = key.id, "signing key created");
    Ok(success(json!({
        "id": key.id,
        "pem": key.pem_base64,
        "jwk": key.jwk_base64,
        "created": api_time(key.created),
    })))
}

/// Lists the active signing keys, oldest first.
pub async fn list_keys(State(shared): State<Arc<Shared>>) -> Response {
    let keys: Vec<Value> = shared
        .keys()
        .list()
        .into_iter()
        .map(|(id, created)| json!({ "id": id, "created": api_time(created) }))
        .collect();
    success(Value::Array(keys))
}

/// Revokes a signing key.
pub async fn revoke_key(
    State(shared): State<Arc<Shared>>,
    Path((_account_id, key_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    if !shared.keys().revoke(&key_id) {
        tracing::debug!(key_id, "revocation of an unknown signing key rejected");
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            SIGNING_KEY_NOT_FOUND_CODE,
            format!("Signing key not found: no active key with id {key_id:?} in this account"),
        ));
    }

    tracing::info!(key_id, "signing key revoked");
    Ok(success(json!("Revoked")))
}

/// Generates a key with `id` on a blocking thread, because RSA generation takes tens of
/// milliseconds.
pub(super) async fn generate(id: String) -> Result<NewKey, ApiError> {
    let generated = tokio::task::spawn_blocking(move || generate_key(id, now_micros()))
        .await
        .map_err(|error| error.to_string())
        .and_then(|result| result);
    generated.map_err(|message| {
        tracing::error!(error = message, "signing key generation failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            INTERNAL_ERROR_CODE,
            format!("Signing key generation failed: {message}"),
        )
    })
}

/// Accepts an empty body or a JSON object, as the documented `{}`.
fn check_empty_object(body: &[u8]) -> Result<(), ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(_)) => Ok(()),
        _ => Err(ApiError::invalid_parameter(
            "invalid request body: send no body or the JSON object {}",
        )),
    }
}

fn limit_reached() -> ApiError {
    tracing::debug!(
        max = MAX_ACTIVE_KEYS,
        "signing key creation rejected: key limit reached"
    );
    ApiError::new(
        StatusCode::BAD_REQUEST,
        SIGNING_KEY_LIMIT_CODE,
        format!(
            "Signing key limit reached: an account holds at most {MAX_ACTIVE_KEYS} keys; \
             revoke unused keys with DELETE .../stream/keys/{{key_id}}"
        ),
    )
}
