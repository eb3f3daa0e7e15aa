//! Signed tokens: the redacting wrapper, and reading claims without verifying the signature.
//!
//! A token replaces the video uid in a delivery URL, so anyone with it can fetch the video
//! until it expires. [`SignedToken`] therefore prints a redaction, and no [`TokenError`]
//! contains token text.
//!
//! [`peek_claims`] trusts nothing and verifies nothing. It exists to check what the token
//! endpoint returned (downloadable, right `sub`, sane expiry) before a download relies on it.

use std::fmt;

use serde_json::{Map, Value};

use crate::base64url::decode_url_safe;
use crate::error::TokenError;
use crate::times::MILLISECONDS_THRESHOLD;

/// A signed token. `Debug` and `Display` redact it; [`expose`](Self::expose) returns the text
/// for building the delivery URL only.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedToken {
    text: String,
    expires_at: Option<i64>,
}

impl SignedToken {
    /// Wraps a token that the token endpoint returned, trimming surrounding white space and
    /// reading its `exp` without verifying the signature.
    pub fn from_api(text: String) -> SignedToken {
        let text = text.trim().to_owned();
        let expires_at = peek_claims(&text).ok().and_then(|claims| claims.exp);
        SignedToken { text, expires_at }
    }

    pub(crate) fn signed(text: String, exp: i64) -> SignedToken {
        SignedToken {
            text,
            expires_at: Some(exp),
        }
    }

    /// Returns the token text, for the one place that puts it into a delivery URL path.
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// Returns the token's `exp` in Unix seconds, or `None` when it has none or it is unreadable.
    pub fn expires_at(&self) -> Option<i64> {
        self.expires_at
    }
}

impl fmt::Debug for SignedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedToken")
            .field("text", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl fmt::Display for SignedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The claims of a token as read by [`peek_claims`]. Every claim is optional because Stream's
/// own sample tokens omit some, such as `sub`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeekedClaims {
    /// The video uid.
    pub sub: Option<String>,
    /// The signing key id.
    pub kid: Option<String>,
    /// Expiry, Unix seconds.
    pub exp: Option<i64>,
    /// Start of validity, Unix seconds.
    pub nbf: Option<i64>,
    /// True when the token allows MP4 and M4A downloads; absent means false.
    pub downloadable: bool,
}

/// Reads a token's claims WITHOUT verifying the signature.
///
/// `exp` and `nbf` may be JSON numbers or numeric strings, since Stream's own tokens use
/// strings. `downloadable` may be a boolean or the string `"true"` or `"false"`.
///
/// # Errors
///
/// [`TokenError::NotAToken`] when the text does not have three dot-separated parts,
/// [`TokenError::InvalidEncoding`] or [`TokenError::InvalidJson`] for a part that does not
/// decode, [`TokenError::InvalidClaim`] for a claim of the wrong type, and
/// [`TokenError::Milliseconds`] for an `exp` or `nbf` above 10^11.
pub fn peek_claims(token: &str) -> Result<PeekedClaims, TokenError> {
    let (header, payload) = split_token(token).ok_or(TokenError::NotAToken)?;
    decode_object(header, "header")?;
    let payload = decode_object(payload, "payload")?;

    Ok(PeekedClaims {
        sub: string_claim(&payload, "sub")?,
        kid: string_claim(&payload, "kid")?,
        exp: time_claim(&payload, "exp")?,
        nbf: time_claim(&payload, "nbf")?,
        downloadable: bool_claim(&payload, "downloadable")?,
    })
}

/// Returns true when `text` has the shape of a JWT: three non-empty base64url parts separated
/// by dots, whose first part decodes to a JSON object with an `alg` member.
///
/// Used to tell a user who pasted a token where a video uid or a key belongs.
pub fn looks_like_token(text: &str) -> bool {
    let text = text.trim();
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() != 3 {
        return false;
    }
    let base64url_part = |part: &&str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if !parts.iter().all(base64url_part) {
        return false;
    }

    decode_object(parts[0], "header").is_ok_and(|header| header.contains_key("alg"))
}

/// Returns the header and payload parts of a three-part token.
fn split_token(token: &str) -> Option<(&str, &str)> {
    let mut parts = token.trim().split('.');
    let header = parts.next().filter(|part| !part.is_empty())?;
    let payload = parts.next().filter(|part| !part.is_empty())?;
    let _signature = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    Some((header, payload))
}

fn decode_object(part: &str, name: &'static str) -> Result<Map<String, Value>, TokenError> {
    let bytes = decode_url_safe(part).ok_or(TokenError::InvalidEncoding { part: name })?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(TokenError::InvalidJson { part: name }),
    }
}

fn string_claim(
    payload: &Map<String, Value>,
    claim: &'static str,
) -> Result<Option<String>, TokenError> {
    match payload.get(claim) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(TokenError::InvalidClaim {
            claim,
            expected: "a string",
        }),
    }
}

fn bool_claim(payload: &Map<String, Value>, claim: &'static str) -> Result<bool, TokenError> {
    match payload.get(claim) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(value)) => Ok(*value),
        Some(Value::String(text)) if text == "true" => Ok(true),
        Some(Value::String(text)) if text == "false" => Ok(false),
        Some(_) => Err(TokenError::InvalidClaim {
            claim,
            expected: "true or false",
        }),
    }
}

/// Reads a Unix time given as a JSON number or a numeric string, rejecting milliseconds.
fn time_claim(
    payload: &Map<String, Value>,
    claim: &'static str,
) -> Result<Option<i64>, TokenError> {
    let invalid = TokenError::InvalidClaim {
        claim,
        expected: "a whole number or a numeric string",
    };

    let value = match payload.get(claim) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(number)) => number.as_i64().or_else(|| whole_float(number.as_f64()?)),
        Some(Value::String(text)) => text.trim().parse::<i64>().ok(),
        Some(_) => None,
    }
    .ok_or(invalid)?;

    if value > MILLISECONDS_THRESHOLD {
        return Err(TokenError::Milliseconds { claim, value });
    }
    Ok(Some(value))
}

/// Returns a float as `i64` when it has no fraction and fits, as in `1760000000.0`.
fn whole_float(value: f64) -> Option<i64> {
    // Bounds of ±2^63; casting beyond them would saturate silently.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    let whole = value.is_finite() && value.fract() == 0.0 && value.abs() < LIMIT;
    whole.then_some(value as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base64url::encode_url_safe;

    fn token(header: &str, payload: &str) -> String {
        format!(
            "{}.{}.c2lnbmF0dXJl",
            encode_url_safe(header.as_bytes()),
            encode_url_safe(payload.as_bytes())
        )
    }

    const HEADER: &str = r#"{"alg":"RS256","kid":"0123456789abcdef0123456789abcdef"}"#;

    #[test]
    fn peek_string_times() {
        // Stream's own tokens carry exp and nbf as strings.
        let text = token(
            HEADER,
            r#"{"sub":"abc","kid":"k","exp":"1760003600","nbf":"1759996400"}"#,
        );
        let claims = peek_claims(&text).unwrap();
        assert_eq!(claims.exp, Some(1_760_003_600));
        assert_eq!(claims.nbf, Some(1_759_996_400));
    }

    #[test]
    fn peek_number_times() {
        let text = token(HEADER, r#"{"exp":1760003600,"nbf":1759996400.0}"#);
        let claims = peek_claims(&text).unwrap();
        assert_eq!(claims.exp, Some(1_760_003_600));
        assert_eq!(claims.nbf, Some(1_759_996_400));
    }

    #[test]
    fn peek_all_claims() {
        let payload = r#"{"sub":"ea95132c15732412d22c1476fa83f27a","kid":"k1","exp":2,"nbf":1,"downloadable":true}"#;
        let claims = peek_claims(&token(HEADER, payload)).unwrap();
        assert_eq!(
            claims,
            PeekedClaims {
                sub: Some("ea95132c15732412d22c1476fa83f27a".to_owned()),
                kid: Some("k1".to_owned()),
                exp: Some(2),
                nbf: Some(1),
                downloadable: true,
            }
        );
    }

    #[test]
    fn peek_absent_claims() {
        let claims = peek_claims(&token(HEADER, "{}")).unwrap();
        assert_eq!(
            claims,
            PeekedClaims {
                sub: None,
                kid: None,
                exp: None,
                nbf: None,
                downloadable: false,
            }
        );
    }

    #[test]
    fn peek_string_downloadable() {
        let claims = peek_claims(&token(HEADER, r#"{"downloadable":"true"}"#)).unwrap();
        assert!(claims.downloadable);
    }

    #[test]
    fn peek_milliseconds_number() {
        let text = token(HEADER, r#"{"exp":1760003600000}"#);
        assert_eq!(
            peek_claims(&text),
            Err(TokenError::Milliseconds {
                claim: "exp",
                value: 1_760_003_600_000
            })
        );
    }

    #[test]
    fn peek_milliseconds_string() {
        let text = token(HEADER, r#"{"nbf":"1759996400000"}"#);
        assert_eq!(peek_claims(&text).unwrap_err().code(), "milliseconds");
    }

    #[test]
    fn peek_milliseconds_message_names_claim() {
        let text = token(HEADER, r#"{"exp":1760003600000}"#);
        let message = peek_claims(&text).unwrap_err().to_string();
        assert!(message.contains("exp"), "{message}");
        assert!(message.contains("milliseconds"), "{message}");
    }

    #[test]
    fn peek_threshold_is_seconds() {
        let text = token(HEADER, r#"{"exp":100000000000}"#);
        assert_eq!(
            peek_claims(&text).unwrap().exp,
            Some(MILLISECONDS_THRESHOLD)
        );
    }

    #[test]
    fn peek_bad_time_types() {
        for exp in [r#""soon""#, "1.5", "true", "[1]", r#""1e9""#] {
            let text = token(HEADER, &format!(r#"{{"exp":{exp}}}"#));
            assert_eq!(
                peek_claims(&text).unwrap_err().code(),
                "invalid_claim",
                "exp {exp}"
            );
        }
    }

    #[test]
    fn peek_bad_sub_type() {
        let text = token(HEADER, r#"{"sub":5}"#);
        assert_eq!(peek_claims(&text).unwrap_err().code(), "invalid_claim");
    }

    #[test]
    fn peek_not_three_parts() {
        for text in ["", "abc", "a.b", "a.b.c.d", ".b.c", "a..c"] {
            assert_eq!(
                peek_claims(text),
                Err(TokenError::NotAToken),
                "text {text:?}"
            );
        }
    }

    #[test]
    fn peek_bad_base64() {
        let text = format!("{}.@@@.sig", encode_url_safe(HEADER.as_bytes()));
        assert_eq!(
            peek_claims(&text),
            Err(TokenError::InvalidEncoding { part: "payload" })
        );
    }

    #[test]
    fn peek_payload_not_object() {
        let text = token(HEADER, "[1,2]");
        assert_eq!(
            peek_claims(&text),
            Err(TokenError::InvalidJson { part: "payload" })
        );
    }

    #[test]
    fn peek_error_hides_token() {
        let text = token(HEADER, r#"{"exp":"soon"}"#);
        let message = peek_claims(&text).unwrap_err().to_string();
        assert!(!message.contains(&text[..10]), "{message}");
    }

    #[test]
    fn looks_like_token_cases() {
        let jwt = token(HEADER, "{}");
        let padded = format!("  {jwt}\n");
        let no_alg = token(r#"{"kid":"x"}"#, "{}");
        let cases = [
            (jwt.as_str(), true),
            (padded.as_str(), true),
            ("ea95132c15732412d22c1476fa83f27a", false),
            (
                "https://customer-x.cloudflarestream.com/abc/downloads/default.mp4",
                false,
            ),
            (no_alg.as_str(), false),
            ("a.b.c", false),
            ("eyJhbGciOiJSUzI1NiJ9..sig", false),
            ("", false),
            ("...", false),
            ("eyJhbGciOiJSUzI1NiJ9.e30.c2ln.x", false),
        ];
        for (text, expected) in cases {
            assert_eq!(looks_like_token(text), expected, "text {text:?}");
        }
    }

    #[test]
    fn from_api_reads_exp() {
        let text = token(HEADER, r#"{"exp":"1760003600"}"#);
        assert_eq!(
            SignedToken::from_api(text).expires_at(),
            Some(1_760_003_600)
        );
    }

    #[test]
    fn from_api_trims() {
        let text = token(HEADER, "{}");
        assert_eq!(SignedToken::from_api(format!(" {text}\n")).expose(), text);
    }

    #[test]
    fn from_api_unreadable_exp() {
        assert_eq!(SignedToken::from_api("junk".to_owned()).expires_at(), None);
    }

    #[test]
    fn debug_and_display_redact() {
        let text = token(HEADER, r#"{"exp":5}"#);
        let signed = SignedToken::from_api(text.clone());
        assert!(!format!("{signed:?}").contains(&text[..20]));
        assert!(!format!("{signed}").contains(&text[..20]));
    }
}
