//! Signed tokens checked the way a verifier checks them: the signature with jsonwebtoken and the
//! public key, and the header and claims as raw JSON.

mod common;

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::{key, now_unix, KEY_ID, UID};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use offstream_signing::{
    lifetime_for, peek_claims, token_times, AccessAction, AccessRule, PeekedClaims, SignedToken,
    SigningKey, TokenClaims, MAX_LIFETIME,
};
use serde_json::{json, Value};

const HOUR: Duration = Duration::from_secs(3600);

fn download_claims() -> TokenClaims {
    TokenClaims::download(UID, KEY_ID, token_times(now_unix(), HOUR))
}

/// Returns the header and the claims of a token as JSON, read without verification.
fn raw_parts(token: &SignedToken) -> (Value, Value) {
    let parts: Vec<&str> = token.expose().split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT has three parts");
    let decode = |part: &str| -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
    };
    (decode(parts[0]), decode(parts[1]))
}

fn validation() -> Validation {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.leeway = 0;
    validation.validate_nbf = true;
    validation.sub = Some(UID.to_owned());
    validation.set_required_spec_claims(&["exp", "nbf", "sub"]);
    validation
}

fn decoding_key() -> DecodingKey {
    DecodingKey::from_rsa_pem(key().public_key_pem().as_bytes()).unwrap()
}

#[test]
fn signature_verifies() {
    let token = key().sign(&download_claims()).unwrap();
    let decoded = jsonwebtoken::decode::<Value>(token.expose(), &decoding_key(), &validation());
    assert!(decoded.is_ok(), "{decoded:?}");
}

#[test]
fn signature_verifies_with_jwk() {
    let token = key().sign(&download_claims()).unwrap();
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_str(&key().to_jwk_json()).unwrap();
    let decoding_key = DecodingKey::from_jwk(&jwk).unwrap();
    let decoded = jsonwebtoken::decode::<Value>(token.expose(), &decoding_key, &validation());
    assert!(decoded.is_ok(), "{decoded:?}");
}

#[test]
fn tampered_token_rejected() {
    let token = key().sign(&download_claims()).unwrap();
    let parts: Vec<&str> = token.expose().split('.').collect();
    let forged_claims = json!({"sub": UID, "kid": KEY_ID, "exp": now_unix() + 3600, "nbf": now_unix() - 60, "downloadable": true, "extra": 1});
    let forged_payload = URL_SAFE_NO_PAD.encode(forged_claims.to_string());
    let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    let decoded = jsonwebtoken::decode::<Value>(&forged, &decoding_key(), &validation());
    assert!(decoded.is_err());
}

#[test]
fn other_key_rejected() {
    let other = SigningKey::generate("ffffffffffffffffffffffffffffffff").unwrap();
    let mut claims = download_claims();
    claims.kid = other.id().to_owned();
    let token = other.sign(&claims).unwrap();
    let decoded = jsonwebtoken::decode::<Value>(token.expose(), &decoding_key(), &validation());
    assert!(decoded.is_err());
}

#[test]
fn header_exact() {
    let token = key().sign(&download_claims()).unwrap();
    let (header, _) = raw_parts(&token);
    assert_eq!(header, json!({"alg": "RS256", "kid": KEY_ID}));
}

#[test]
fn download_claims_exact() {
    let claims = download_claims();
    let token = key().sign(&claims).unwrap();
    let (_, payload) = raw_parts(&token);
    assert_eq!(
        payload,
        json!({"sub": UID, "kid": KEY_ID, "exp": claims.exp, "nbf": claims.nbf, "downloadable": true})
    );
}

#[test]
fn times_are_integers() {
    let token = key().sign(&download_claims()).unwrap();
    let (_, payload) = raw_parts(&token);
    assert!(payload["exp"].is_i64(), "exp {}", payload["exp"]);
    assert!(payload["nbf"].is_i64(), "nbf {}", payload["nbf"]);
}

#[test]
fn times_are_seconds() {
    let now = now_unix();
    let token = key().sign(&download_claims()).unwrap();
    let (_, payload) = raw_parts(&token);
    let exp = payload["exp"].as_i64().unwrap();
    let nbf = payload["nbf"].as_i64().unwrap();
    assert!(nbf < now, "nbf {nbf} is back-dated before {now}");
    assert!(exp > now, "exp {exp} is after {now}");
    assert!(
        exp - now <= 24 * 3600,
        "exp {exp} is within a day of {now} in seconds"
    );
}

#[test]
fn downloadable_absent_when_false() {
    let mut claims = download_claims();
    claims.downloadable = false;
    let (_, payload) = raw_parts(&key().sign(&claims).unwrap());
    assert!(payload.get("downloadable").is_none(), "{payload}");
}

#[test]
fn access_rules_absent_when_empty() {
    let (_, payload) = raw_parts(&key().sign(&download_claims()).unwrap());
    assert!(payload.get("accessRules").is_none(), "{payload}");
}

#[test]
fn access_rules_on_wire() {
    let mut claims = download_claims();
    claims.access_rules = vec![
        AccessRule::ips(AccessAction::Allow, ["192.0.2.0/24"]),
        AccessRule::countries(AccessAction::Block, ["US"]),
        AccessRule::any(AccessAction::Block),
    ];
    let (_, payload) = raw_parts(&key().sign(&claims).unwrap());
    assert_eq!(
        payload["accessRules"],
        json!([
            {"type": "ip.src", "action": "allow", "ip": ["192.0.2.0/24"]},
            {"type": "ip.geoip.country", "action": "block", "country": ["US"]},
            {"type": "any", "action": "block"}
        ])
    );
}

#[test]
fn kid_claim_uses_key_case() {
    let mut claims = download_claims();
    claims.kid = KEY_ID.to_ascii_uppercase();
    let (_, payload) = raw_parts(&key().sign(&claims).unwrap());
    assert_eq!(payload["kid"], KEY_ID);
}

#[test]
fn no_typ_header() {
    let (header, _) = raw_parts(&key().sign(&download_claims()).unwrap());
    assert!(header.get("typ").is_none(), "{header}");
}

#[test]
fn signed_token_expires_at_exp() {
    let claims = download_claims();
    let token = key().sign(&claims).unwrap();
    assert_eq!(token.expires_at(), Some(claims.exp));
}

#[test]
fn peek_reads_signed_claims() {
    let claims = download_claims();
    let token = key().sign(&claims).unwrap();
    assert_eq!(
        peek_claims(token.expose()).unwrap(),
        PeekedClaims {
            sub: Some(UID.to_owned()),
            kid: Some(KEY_ID.to_owned()),
            exp: Some(claims.exp),
            nbf: Some(claims.nbf),
            downloadable: true,
        }
    );
}

#[test]
fn signed_token_looks_like_token() {
    let token = key().sign(&download_claims()).unwrap();
    assert!(offstream_signing::looks_like_token(token.expose()));
}

#[test]
fn milliseconds_rejected() {
    let now_millis = now_unix() * 1000;
    let claims = TokenClaims::download(UID, KEY_ID, token_times(now_millis, HOUR));
    let error = key().sign(&claims).unwrap_err();
    assert_eq!(error.code(), "milliseconds");
}

#[test]
fn milliseconds_message_names_unit() {
    let now_millis = now_unix() * 1000;
    let claims = TokenClaims::download(UID, KEY_ID, token_times(now_millis, HOUR));
    let message = key().sign(&claims).unwrap_err().to_string();
    assert!(message.contains("milliseconds"), "{message}");
}

#[test]
fn other_kid_rejected() {
    let claims = TokenClaims::download(
        UID,
        "ffffffffffffffffffffffffffffffff",
        token_times(now_unix(), HOUR),
    );
    assert_eq!(key().sign(&claims).unwrap_err().code(), "kid_mismatch");
}

#[test]
fn token_as_sub_rejected() {
    let token = key().sign(&download_claims()).unwrap();
    let claims = TokenClaims::download(token.expose(), KEY_ID, token_times(now_unix(), HOUR));
    let error = key().sign(&claims).unwrap_err();
    assert_eq!(error.code(), "invalid_sub");
    assert!(!error.to_string().contains(token.expose()), "{error}");
}

#[test]
fn too_many_rules_rejected() {
    let mut claims = download_claims();
    claims.access_rules = vec![AccessRule::any(AccessAction::Allow); 6];
    assert_eq!(
        key().sign(&claims).unwrap_err().code(),
        "invalid_access_rule"
    );
}

#[test]
fn longest_lifetime_verifies() {
    // A token with the maximum lifetime that the helpers plan must pass a strict verifier.
    let now = now_unix();
    let claims = TokenClaims::download(UID, KEY_ID, token_times(now, lifetime_for(Some(u64::MAX))));
    let token = key().sign(&claims).unwrap();
    assert_eq!(
        claims.exp - now,
        i64::try_from(MAX_LIFETIME.as_secs()).unwrap()
    );
    let decoded = jsonwebtoken::decode::<Value>(token.expose(), &decoding_key(), &validation());
    assert!(decoded.is_ok(), "{decoded:?}");
}

#[test]
fn fast_clock_token_verifies() {
    // Planned from a clock ten minutes fast, the token is still valid for a verifier on the
    // true clock, because nbf is back-dated by 15 minutes.
    let claims = TokenClaims::download(UID, KEY_ID, token_times(now_unix() + 600, HOUR));
    let token = key().sign(&claims).unwrap();
    let decoded = jsonwebtoken::decode::<Value>(token.expose(), &decoding_key(), &validation());
    assert!(decoded.is_ok(), "{decoded:?}");
}
