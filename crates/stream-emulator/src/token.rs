//! Signed tokens (RS256 JWTs): minting them for the token endpoint and checking them on the
//! delivery host, independently of any client-side signing code.
//!
//! Minted tokens look like the real service's samples: header `{"alg":"RS256","kid":...}` and
//! payload `{"sub","kid","exp","nbf"}` with `exp` and `nbf` as JSON strings of Unix seconds.
//! The checks accept `exp`/`nbf` as numbers or numeric strings. A delivery request runs them in
//! this order, and the first failure decides: [`SignedToken::parse`] (shape, RS256 only),
//! [`SignedToken::verify_signature`] (`kid` known, not revoked, signature valid), then the
//! caller's `sub` lookup, [`SignedToken::check_validity`] (zero leeway),
//! [`SignedToken::check_downloadable`] and [`SignedToken::check_access`]. Rejection reasons
//! never contain the token.

use std::net::IpAddr;

use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde_json::{json, Map, Value};

use crate::access::{self, AccessRule, RuleAction};
use crate::keys::KeyLookup;

/// Maximum lifetime the token endpoint grants: `exp` at most 24 hours after issuing.
pub(crate) const MAX_LIFETIME_SECS: i64 = 24 * 3600;

/// Lifetime of a token when the request sets no `exp`.
pub(crate) const DEFAULT_LIFETIME_SECS: i64 = 3600;

/// How far `nbf` lies before the issuing time when the request sets none.
pub(crate) const DEFAULT_NBF_BACKDATE_SECS: i64 = 3600;

/// Claims of a token the emulator mints.
#[derive(Debug, Clone)]
pub(crate) struct MintClaims {
    pub sub: String,
    pub kid: String,
    pub exp: i64,
    pub nbf: i64,
    pub downloadable: bool,
    pub access_rules: Option<Vec<AccessRule>>,
}

/// Signs `claims` with `key` and returns the compact JWT.
///
/// # Errors
/// Returns a message when the key cannot sign, e.g. a `pem` that is not an RSA private key.
pub(crate) fn mint(claims: &MintClaims, key: &EncodingKey) -> Result<String, String> {
    let header = json!({ "alg": "RS256", "kid": claims.kid });
    let mut payload = json!({
        "sub": claims.sub,
        "kid": claims.kid,
        "exp": claims.exp.to_string(),
        "nbf": claims.nbf.to_string(),
    });
    if claims.downloadable {
        payload["downloadable"] = json!(true);
    }
    if let Some(rules) = &claims.access_rules {
        payload["accessRules"] = json!(rules);
    }

    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    );
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), key, Algorithm::RS256)
        .map_err(|error| format!("signing failed: {error}"))?;
    Ok(format!("{message}.{signature}"))
}

/// Returns whether a delivery id segment is a token rather than a uid (uids have no dots).
pub(crate) fn looks_like_token(id: &str) -> bool {
    id.contains('.')
}

/// Reason a token was not accepted.
///
/// The real service documents only "401/403". The emulator uses 401 for invalid or expired
/// credentials, 403 for valid credentials that do not grant this request, and 404 for a `sub`
/// that names no video.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenRejection {
    Malformed,
    Algorithm,
    UnknownKey,
    RevokedKey,
    Signature,
    UnknownVideo,
    TimeClaim,
    MissingExp,
    NotYetValid,
    Expired,
    NotDownloadable,
    InvalidAccessRules,
    Blocked,
}

impl TokenRejection {
    /// Returns the HTTP status of the delivery error page.
    pub fn status(self) -> StatusCode {
        match self {
            TokenRejection::UnknownVideo => StatusCode::NOT_FOUND,
            TokenRejection::NotDownloadable | TokenRejection::Blocked => StatusCode::FORBIDDEN,
            _ => StatusCode::UNAUTHORIZED,
        }
    }

    /// Returns a short, HTML-safe reason that does not contain the token.
    pub fn reason(self) -> &'static str {
        match self {
            TokenRejection::Malformed => "The signed token is malformed.",
            TokenRejection::Algorithm => "The signed token is not signed with RS256.",
            TokenRejection::UnknownKey => "The signing key (kid) of the token is unknown.",
            TokenRejection::RevokedKey => "The signing key (kid) of the token has been revoked.",
            TokenRejection::Signature => "The signature of the token is invalid.",
            TokenRejection::UnknownVideo => "The token's sub names no video in this account.",
            TokenRejection::TimeClaim => "The token's exp or nbf is not a number of seconds.",
            TokenRejection::MissingExp => "The token has no exp claim.",
            TokenRejection::NotYetValid => "The token is not valid yet: nbf is in the future.",
            TokenRejection::Expired => "The token has expired: exp has passed.",
            TokenRejection::NotDownloadable => {
                "The token does not allow downloads: sign it with downloadable set to true."
            }
            TokenRejection::InvalidAccessRules => "The token's accessRules are invalid.",
            TokenRejection::Blocked => "An access rule of the token blocks this request.",
        }
    }

    /// Returns a stable name for logs.
    pub fn name(self) -> &'static str {
        match self {
            TokenRejection::Malformed => "malformed",
            TokenRejection::Algorithm => "algorithm",
            TokenRejection::UnknownKey => "unknown_key",
            TokenRejection::RevokedKey => "revoked_key",
            TokenRejection::Signature => "signature",
            TokenRejection::UnknownVideo => "unknown_video",
            TokenRejection::TimeClaim => "time_claim",
            TokenRejection::MissingExp => "missing_exp",
            TokenRejection::NotYetValid => "not_yet_valid",
            TokenRejection::Expired => "expired",
            TokenRejection::NotDownloadable => "not_downloadable",
            TokenRejection::InvalidAccessRules => "invalid_access_rules",
            TokenRejection::Blocked => "blocked",
        }
    }
}

/// A token split into its parts, with header and payload decoded but nothing verified yet.
#[derive(Debug, Clone)]
pub(crate) struct SignedToken {
    kid: Option<String>,
    claims: Map<String, Value>,
    /// `header.payload`, the signed message.
    message: String,
    signature: String,
}

impl SignedToken {
    /// Splits and decodes a compact JWT and checks that its algorithm is RS256.
    ///
    /// # Errors
    /// [`TokenRejection::Malformed`] for anything that is not three base64url parts with JSON
    /// objects in the first two, [`TokenRejection::Algorithm`] for another `alg`.
    pub fn parse(token: &str) -> Result<Self, TokenRejection> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenRejection::Malformed);
        };
        let header = decode_object(header)?;
        let claims = decode_object(payload)?;

        if header.get("alg").and_then(Value::as_str) != Some("RS256") {
            return Err(TokenRejection::Algorithm);
        }
        // The header names the key; the payload's copy is a fallback for hand-made tokens.
        let kid = [header.get("kid"), claims.get("kid")]
            .into_iter()
            .flatten()
            .find_map(Value::as_str)
            .map(str::to_owned);

        let message_len = token.len() - signature.len() - 1;
        Ok(Self {
            kid,
            claims,
            message: token[..message_len].to_owned(),
            signature: signature.to_owned(),
        })
    }

    /// Returns the `kid` the token names, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Checks that the `kid` is a known, unrevoked key and that the signature verifies with it.
    ///
    /// # Errors
    /// [`TokenRejection::UnknownKey`], [`TokenRejection::RevokedKey`] or
    /// [`TokenRejection::Signature`].
    pub fn verify_signature(
        &self,
        lookup: impl FnOnce(&str) -> KeyLookup,
    ) -> Result<(), TokenRejection> {
        let kid = self.kid().ok_or(TokenRejection::UnknownKey)?;
        let public = match lookup(kid) {
            KeyLookup::Active(public) => public,
            KeyLookup::Revoked => return Err(TokenRejection::RevokedKey),
            KeyLookup::Unknown => return Err(TokenRejection::UnknownKey),
        };

        let key = DecodingKey::from_rsa_raw_components(&public.n, &public.e);
        let valid = jsonwebtoken::crypto::verify(
            &self.signature,
            self.message.as_bytes(),
            &key,
            Algorithm::RS256,
        )
        .unwrap_or(false);
        if valid {
            Ok(())
        } else {
            Err(TokenRejection::Signature)
        }
    }

    /// Returns the `sub` claim (the video uid), if it is a string.
    pub fn subject(&self) -> Option<&str> {
        self.claims.get("sub").and_then(Value::as_str)
    }

    /// Returns `exp` in Unix seconds when it is present and numeric.
    pub fn expires_at(&self) -> Option<i64> {
        self.time_claim("exp").ok().flatten()
    }

    /// Checks `nbf <= now < exp` with no leeway, `now` being the emulator clock in Unix seconds.
    ///
    /// # Errors
    /// [`TokenRejection::TimeClaim`], [`TokenRejection::MissingExp`],
    /// [`TokenRejection::NotYetValid`] or [`TokenRejection::Expired`].
    pub fn check_validity(&self, now: i64) -> Result<(), TokenRejection> {
        let nbf = self.time_claim("nbf")?;
        let exp = self.time_claim("exp")?.ok_or(TokenRejection::MissingExp)?;

        if nbf.is_some_and(|nbf| now < nbf) {
            return Err(TokenRejection::NotYetValid);
        }
        if now >= exp {
            return Err(TokenRejection::Expired);
        }
        Ok(())
    }

    /// Checks `downloadable: true`, which download paths require.
    ///
    /// # Errors
    /// [`TokenRejection::NotDownloadable`].
    pub fn check_downloadable(&self) -> Result<(), TokenRejection> {
        if self.claims.get("downloadable") == Some(&Value::Bool(true)) {
            Ok(())
        } else {
            Err(TokenRejection::NotDownloadable)
        }
    }

    /// Evaluates `accessRules` against the peer address; no rules or no match allows.
    ///
    /// # Errors
    /// [`TokenRejection::InvalidAccessRules`] when the rules do not parse or validate,
    /// [`TokenRejection::Blocked`] when the first matching rule blocks.
    pub fn check_access(&self, peer: IpAddr) -> Result<(), TokenRejection> {
        let Some(rules) = self.claims.get("accessRules") else {
            return Ok(());
        };
        let rules: Vec<AccessRule> = serde_json::from_value(rules.clone())
            .map_err(|_| TokenRejection::InvalidAccessRules)?;
        access::validate(&rules).map_err(|_| TokenRejection::InvalidAccessRules)?;

        match access::evaluate(&rules, peer) {
            Some(RuleAction::Block) => Err(TokenRejection::Blocked),
            Some(RuleAction::Allow) | None => Ok(()),
        }
    }

    /// Reads a time claim given as a JSON number or a numeric string; fractions are dropped.
    fn time_claim(&self, name: &str) -> Result<Option<i64>, TokenRejection> {
        let seconds = match self.claims.get(name) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Number(number)) => number.as_i64().or_else(|| {
                number
                    .as_f64()
                    .filter(|value| value.is_finite())
                    .map(|value| value.floor() as i64)
            }),
            Some(Value::String(text)) => {
                let text = text.trim();
                text.parse::<i64>().ok().or_else(|| {
                    text.parse::<f64>()
                        .ok()
                        .filter(|value| value.is_finite())
                        .map(|value| value.floor() as i64)
                })
            }
            Some(_) => None,
        };
        seconds.map(Some).ok_or(TokenRejection::TimeClaim)
    }
}

fn decode_object(part: &str) -> Result<Map<String, Value>, TokenRejection> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenRejection::Malformed)?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(TokenRejection::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use time::OffsetDateTime;

    use super::*;
    use crate::keys::{generate_key, KeyRing, NewKey};

    /// Returns one key shared by the module's tests, because generation costs tens of milliseconds.
    fn key() -> &'static NewKey {
        static KEY: OnceLock<NewKey> = OnceLock::new();
        KEY.get_or_init(|| generate_key("ab".repeat(16), OffsetDateTime::now_utc()).unwrap())
    }

    fn ring() -> KeyRing {
        let mut ring = KeyRing::default();
        let key = key();
        ring.insert(&key.id, key.created, key.public.clone())
            .unwrap();
        ring
    }

    fn claims(exp: i64, nbf: i64) -> MintClaims {
        MintClaims {
            sub: "0123456789abcdef0123456789abcdef".to_owned(),
            kid: key().id.clone(),
            exp,
            nbf,
            downloadable: true,
            access_rules: None,
        }
    }

    fn minted(claims: &MintClaims) -> String {
        mint(claims, &EncodingKey::from_rsa_der(&key().der)).unwrap()
    }

    /// Builds a token from raw JSON parts, signed with the module key.
    fn hand_made(header: Value, payload: Value) -> String {
        let message = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(payload.to_string())
        );
        let key = EncodingKey::from_rsa_der(&key().der);
        let signature =
            jsonwebtoken::crypto::sign(message.as_bytes(), &key, Algorithm::RS256).unwrap();
        format!("{message}.{signature}")
    }

    #[test]
    fn mint_then_verify() {
        let token = minted(&claims(2_000, 1_000));
        let parsed = SignedToken::parse(&token).unwrap();

        assert_eq!(parsed.verify_signature(|kid| ring().lookup(kid)), Ok(()));
        assert_eq!(parsed.check_validity(1_500), Ok(()));
        assert_eq!(parsed.check_downloadable(), Ok(()));
        assert_eq!(parsed.subject(), Some("0123456789abcdef0123456789abcdef"));
    }

    #[test]
    fn mint_writes_times_as_strings() {
        let token = minted(&claims(2_000, 1_000));
        let payload = token.split('.').nth(1).unwrap();
        let payload: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();

        assert_eq!(payload["exp"], "2000");
        assert_eq!(payload["nbf"], "1000");
        assert_eq!(payload["kid"], key().id);
    }

    #[test]
    fn validity_has_zero_leeway() {
        let parsed = SignedToken::parse(&minted(&claims(2_000, 1_000))).unwrap();

        assert_eq!(parsed.check_validity(999), Err(TokenRejection::NotYetValid));
        assert_eq!(parsed.check_validity(1_000), Ok(()));
        assert_eq!(parsed.check_validity(1_999), Ok(()));
        assert_eq!(parsed.check_validity(2_000), Err(TokenRejection::Expired));
    }

    #[test]
    fn numeric_time_claims_accepted() {
        let token = hand_made(
            json!({"alg": "RS256", "kid": key().id}),
            json!({"sub": "x", "exp": 2_000, "nbf": 1_000.5}),
        );
        let parsed = SignedToken::parse(&token).unwrap();

        assert_eq!(parsed.check_validity(1_500), Ok(()));
        assert_eq!(parsed.expires_at(), Some(2_000));
    }

    #[test]
    fn bad_time_claims_rejected() {
        let text_exp = hand_made(
            json!({"alg": "RS256", "kid": key().id}),
            json!({"exp": "soon"}),
        );
        let no_exp = hand_made(json!({"alg": "RS256", "kid": key().id}), json!({}));

        let text_exp = SignedToken::parse(&text_exp).unwrap();
        let no_exp = SignedToken::parse(&no_exp).unwrap();

        assert_eq!(text_exp.check_validity(0), Err(TokenRejection::TimeClaim));
        assert_eq!(no_exp.check_validity(0), Err(TokenRejection::MissingExp));
    }

    #[test]
    fn parse_rejects_other_algorithms() {
        let token = hand_made(json!({"alg": "HS256", "kid": key().id}), json!({}));

        assert_eq!(
            SignedToken::parse(&token).unwrap_err(),
            TokenRejection::Algorithm
        );
    }

    #[test]
    fn parse_rejects_malformed() {
        for token in [
            "a.b",
            "a.b.c.d",
            "!!!.e30.x",
            "e30.bm90IGpzb24.x",
            "W10.e30.x",
        ] {
            assert_eq!(
                SignedToken::parse(token).unwrap_err(),
                TokenRejection::Malformed,
                "{token}"
            );
        }
    }

    #[test]
    fn tampered_payload_fails_signature() {
        let token = minted(&claims(2_000, 1_000));
        let mut parts: Vec<&str> = token.split('.').collect();
        let other = URL_SAFE_NO_PAD.encode(json!({"sub": "other", "exp": "9"}).to_string());
        parts[1] = &other;

        let parsed = SignedToken::parse(&parts.join(".")).unwrap();

        assert_eq!(
            parsed.verify_signature(|kid| ring().lookup(kid)),
            Err(TokenRejection::Signature)
        );
    }

    #[test]
    fn unknown_and_revoked_keys() {
        let parsed = SignedToken::parse(&minted(&claims(2_000, 1_000))).unwrap();
        let mut revoked = ring();
        revoked.revoke(&key().id);

        assert_eq!(
            parsed.verify_signature(|kid| KeyRing::default().lookup(kid)),
            Err(TokenRejection::UnknownKey)
        );
        assert_eq!(
            parsed.verify_signature(|kid| revoked.lookup(kid)),
            Err(TokenRejection::RevokedKey)
        );
    }

    #[test]
    fn downloadable_must_be_true() {
        let mut plain = claims(2_000, 1_000);
        plain.downloadable = false;
        let parsed = SignedToken::parse(&minted(&plain)).unwrap();

        assert_eq!(
            parsed.check_downloadable(),
            Err(TokenRejection::NotDownloadable)
        );
    }

    #[test]
    fn access_rules_block_and_invalid() {
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        let blocked = hand_made(
            json!({"alg": "RS256", "kid": key().id}),
            json!({"accessRules": [{"type": "ip.src", "action": "block", "ip": ["127.0.0.0/8"]}]}),
        );
        let invalid = hand_made(
            json!({"alg": "RS256", "kid": key().id}),
            json!({"accessRules": [{"type": "ip.src", "action": "maybe"}]}),
        );

        let blocked = SignedToken::parse(&blocked).unwrap();
        let invalid = SignedToken::parse(&invalid).unwrap();

        assert_eq!(blocked.check_access(peer), Err(TokenRejection::Blocked));
        assert_eq!(
            invalid.check_access(peer),
            Err(TokenRejection::InvalidAccessRules)
        );
    }

    #[test]
    fn looks_like_token_cases() {
        assert!(looks_like_token("a.b.c"));
        assert!(!looks_like_token("0123456789abcdef0123456789abcdef"));
    }
}
