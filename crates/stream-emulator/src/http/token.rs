//! `POST /accounts/{account_id}/stream/{uid}/token`: signed tokens for one video.
//!
//! The body is optional: `{id?, pem?, exp?, nbf?, downloadable?, accessRules?}`, other fields
//! (such as `flags`) are ignored. Without `id` and `pem` the emulator signs with its internal
//! key. Defaults follow the API reference: `exp` one hour after issuing, `nbf` one hour before,
//! `downloadable` false. An `exp` more than 24 hours ahead of the emulator clock gets 400,
//! which also catches milliseconds sent as seconds. An `exp` in the past is accepted (an
//! emulator choice), so tests can mint expired tokens.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use jsonwebtoken::EncodingKey;
use serde_json::{json, Map, Value};

use super::envelope::{success, ApiError};
use super::keys::generate;
use super::{Counters, Shared};
use crate::access::{self, AccessRule};
use crate::seed::new_uid;
use crate::token::{
    mint, MintClaims, DEFAULT_LIFETIME_SECS, DEFAULT_NBF_BACKDATE_SECS, MAX_LIFETIME_SECS,
};

/// The emulator's own signing key: never listed, never handed out.
pub(crate) struct InternalKey {
    pub id: String,
    signer: EncodingKey,
}

/// Fields of a token request; `None` means absent or `null`.
#[derive(Default)]
struct TokenRequest {
    id: Option<String>,
    pem: Option<String>,
    exp: Option<i64>,
    nbf: Option<i64>,
    downloadable: bool,
    access_rules: Option<Vec<AccessRule>>,
}

/// Issues a signed token for a video.
pub async fn create_token(
    State(shared): State<Arc<Shared>>,
    Path((_account_id, uid)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    Counters::add(&shared.counters.token_requests, 1);

    let issued = issue(&shared, &uid, &body).await;
    if let Err(error) = &issued {
        tracing::debug!(uid, status = %error.status(), "token request rejected");
    }
    issued
}

async fn issue(shared: &Shared, uid: &str, body: &[u8]) -> Result<Response, ApiError> {
    if shared.store().get(uid).is_none() {
        return Err(ApiError::video_not_found(uid));
    }
    let request = parse_request(body)?;

    let now = shared.clock.unix_now();
    let exp = request.exp.unwrap_or(now + DEFAULT_LIFETIME_SECS);
    if exp.saturating_sub(now) > MAX_LIFETIME_SECS {
        return Err(ApiError::invalid_parameter(format!(
            "invalid exp {exp}: it is more than 24 hours after the server time {now}; \
             use Unix seconds (not milliseconds) at most {}",
            now + MAX_LIFETIME_SECS
        )));
    }

    let (kid, signer) = match (request.id, request.pem) {
        (Some(id), Some(pem)) => (id, caller_key(shared, &pem)?),
        (None, None) => {
            let internal = internal_key(shared).await?;
            (internal.id.clone(), internal.signer.clone())
        }
        _ => {
            return Err(ApiError::invalid_parameter(
                "id and pem must be sent together: send both for your own signing key, \
                 or neither to use the service's key",
            ));
        }
    };

    let claims = MintClaims {
        sub: uid.to_owned(),
        kid,
        exp,
        nbf: request.nbf.unwrap_or(now - DEFAULT_NBF_BACKDATE_SECS),
        downloadable: request.downloadable,
        access_rules: request.access_rules,
    };
    let token = mint(&claims, &signer).map_err(|message| {
        ApiError::invalid_parameter(format!(
            "invalid pem: the key could not sign ({message}); send the base64 of an RSA private key PEM"
        ))
    })?;
    shared.secrets.record(&token);

    tracing::info!(
        uid,
        key_id = claims.kid,
        downloadable = claims.downloadable,
        "token issued"
    );
    Ok(success(json!({ "token": token })))
}

/// Returns the internal key, generating it on first use.
async fn internal_key(shared: &Shared) -> Result<&InternalKey, ApiError> {
    shared
        .internal_key
        .get_or_try_init(|| async {
            let key = generate(new_uid()).await?;
            shared
                .keys()
                .insert_internal(&key.id, key.created, key.public.clone());
            tracing::debug!(key_id = key.id, "internal signing key generated");
            Ok(InternalKey {
                signer: EncodingKey::from_rsa_der(&key.der),
                id: key.id,
            })
        })
        .await
}

/// Decodes a caller's `pem` (base64 of a PEM block) into a signing key.
fn caller_key(shared: &Shared, pem_base64: &str) -> Result<EncodingKey, ApiError> {
    shared.secrets.record(pem_base64);

    let compact: String = pem_base64
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let pem = STANDARD.decode(compact).map_err(|_| {
        ApiError::invalid_parameter(
            "invalid pem: it is not base64; send the base64 of the PEM block that POST .../stream/keys returned",
        )
    })?;
    shared.secrets.record(&String::from_utf8_lossy(&pem));

    EncodingKey::from_rsa_pem(&pem).map_err(|_| {
        ApiError::invalid_parameter(
            "invalid pem: the decoded text is not an RSA private key PEM block",
        )
    })
}

fn parse_request(body: &[u8]) -> Result<TokenRequest, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(TokenRequest::default());
    }
    let fields = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(fields)) => fields,
        _ => {
            return Err(ApiError::invalid_parameter(
                "invalid request body: send no body or a JSON object",
            ));
        }
    };

    let access_rules = match present(&fields, "accessRules") {
        None => None,
        Some(value) => Some(parse_access_rules(value)?),
    };
    Ok(TokenRequest {
        id: string_field(&fields, "id")?,
        pem: string_field(&fields, "pem")?,
        exp: seconds_field(&fields, "exp")?,
        nbf: seconds_field(&fields, "nbf")?,
        downloadable: match present(&fields, "downloadable") {
            None => false,
            Some(Value::Bool(value)) => *value,
            Some(_) => {
                return Err(ApiError::invalid_parameter(
                    "invalid downloadable: use true or false",
                ));
            }
        },
        access_rules,
    })
}

/// Returns a field unless it is absent or `null`.
fn present<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    fields.get(name).filter(|value| !value.is_null())
}

fn string_field(fields: &Map<String, Value>, name: &str) -> Result<Option<String>, ApiError> {
    match present(fields, name) {
        None => Ok(None),
        Some(Value::String(text)) if !text.is_empty() => Ok(Some(text.clone())),
        Some(_) => Err(ApiError::invalid_parameter(format!(
            "invalid {name}: use a non-empty string"
        ))),
    }
}

fn seconds_field(fields: &Map<String, Value>, name: &str) -> Result<Option<i64>, ApiError> {
    match present(fields, name) {
        None => Ok(None),
        Some(value) => value.as_i64().map(Some).ok_or_else(|| {
            ApiError::invalid_parameter(format!(
                "invalid {name} {value}: use an integer number of Unix seconds"
            ))
        }),
    }
}

fn parse_access_rules(value: &Value) -> Result<Vec<AccessRule>, ApiError> {
    let rules: Vec<AccessRule> = serde_json::from_value(value.clone()).map_err(|_| {
        ApiError::invalid_parameter(
            "invalid accessRules: send an array of {type, action, country?, ip?} where type is \
             any, ip.src or ip.geoip.country and action is allow or block",
        )
    })?;
    access::validate(&rules)
        .map_err(|message| ApiError::invalid_parameter(format!("invalid {message}")))?;
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_empty_body_defaults() {
        let request = parse_request(b"").unwrap();

        assert!(request.id.is_none());
        assert!(request.exp.is_none());
        assert!(!request.downloadable);
    }

    #[test]
    fn parse_reads_fields() {
        let body = br#"{"exp": 20, "nbf": 10, "downloadable": true, "flags": {"original": true},
            "accessRules": [{"type": "any", "action": "allow"}]}"#;

        let request = parse_request(body).unwrap();

        assert_eq!(request.exp, Some(20));
        assert_eq!(request.nbf, Some(10));
        assert!(request.downloadable);
        assert_eq!(request.access_rules.map(|rules| rules.len()), Some(1));
    }

    #[test]
    fn parse_rejects_bad_values() {
        let bodies: [&[u8]; 6] = [
            b"[]",
            b"not json",
            br#"{"exp": "20"}"#,
            br#"{"exp": 1.5}"#,
            br#"{"downloadable": "yes"}"#,
            br#"{"accessRules": [{"type": "everything", "action": "allow"}]}"#,
        ];

        for body in bodies {
            assert!(
                parse_request(body).is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
