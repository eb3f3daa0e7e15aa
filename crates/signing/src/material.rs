//! Recognises the form of key material as a user pastes it: PEM text, JWK JSON, or base64 of
//! either (the keys API returns `pem` and `jwk` base64-encoded).
//!
//! Only the outer form is decided here. [`crate::pem`] and [`crate::jwk`] read the contents.

use crate::base64url::decode_pasted;
use crate::error::KeyError;
use crate::token::looks_like_token;

/// Key material in a text form that a parser can read.
#[derive(PartialEq, Eq)]
pub(crate) enum Form {
    /// Text that contains a `-----BEGIN` line.
    Pem(String),
    /// Text that starts with `{`.
    Jwk(String),
}

/// Decides the form of pasted material, decoding one layer of base64 when needed.
///
/// Surrounding white space and one pair of surrounding double quotes are dropped, since values
/// copied out of a JSON response often keep their quotes.
pub(crate) fn classify(material: &str) -> Result<Form, KeyError> {
    let text = unquote(material);
    if text.is_empty() {
        return Err(KeyError::Empty);
    }

    if let Some(form) = classify_text(text) {
        return Ok(form);
    }

    // A JWT is base64url too, but its dots make it fail as base64; name the real mistake.
    if looks_like_token(text) {
        return Err(KeyError::TokenNotKey);
    }

    let bytes = decode_pasted(text).ok_or(KeyError::Unrecognized)?;
    let decoded = String::from_utf8(bytes).map_err(|_| KeyError::DecodedUnrecognized)?;
    classify_text(unquote(&decoded)).ok_or(KeyError::DecodedUnrecognized)
}

fn classify_text(text: &str) -> Option<Form> {
    if text.contains("-----BEGIN") {
        Some(Form::Pem(text.to_owned()))
    } else if text.starts_with('{') {
        Some(Form::Jwk(text.to_owned()))
    } else {
        None
    }
}

fn unquote(text: &str) -> &str {
    let trimmed = text.trim();
    trimmed
        .strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
        .map_or(trimmed, str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM_TEXT: &str = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----";

    #[test]
    fn classify_pem_text() {
        assert!(matches!(classify(PEM_TEXT), Ok(Form::Pem(_))));
    }

    #[test]
    fn classify_jwk_text() {
        assert!(matches!(classify(" {\"kty\":\"RSA\"}\n"), Ok(Form::Jwk(_))));
    }

    #[test]
    fn classify_base64_pem() {
        let encoded = "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ==";
        assert!(matches!(classify(encoded), Ok(Form::Pem(_))));
    }

    #[test]
    fn classify_quoted_base64_jwk() {
        // base64 of {"kty":"RSA"}
        assert!(matches!(
            classify("\"eyJrdHkiOiJSU0EifQ==\""),
            Ok(Form::Jwk(_))
        ));
    }

    #[test]
    fn classify_empty() {
        assert_eq!(classify(" \n\t").err(), Some(KeyError::Empty));
    }

    #[test]
    fn classify_empty_quotes() {
        assert_eq!(classify("\"\"").err(), Some(KeyError::Empty));
    }

    #[test]
    fn classify_prose() {
        assert_eq!(
            classify("my key, please").err(),
            Some(KeyError::Unrecognized)
        );
    }

    #[test]
    fn classify_base64_of_prose() {
        // base64 of "hello world"
        assert_eq!(
            classify("aGVsbG8gd29ybGQ=").err(),
            Some(KeyError::DecodedUnrecognized)
        );
    }

    #[test]
    fn classify_base64_of_binary() {
        assert_eq!(classify("/w==").err(), Some(KeyError::DecodedUnrecognized));
    }
}
