//! Reads and writes RSA private keys as JSON Web Keys (RFC 7517, members from RFC 7518 §6.3).
//!
//! Stream's keys API returns a JWK with `kty: "RSA"`, `alg: "RS256"`, `use: "sig"`, the key id
//! in `kid`, and all of `n, e, d, p, q, dp, dq, qi`. Reading needs only `n`, `e` and `d` (the
//! primes are recovered when both are absent). Member values never appear in error messages:
//! malformed JSON is reported by line and column only.

use rsa::pkcs1::der::Decode;
use rsa::pkcs1::{EncodeRsaPrivateKey, RsaPrivateKeyRef};
use rsa::{BoxedUint, PrivateKey};
use serde_json::{Map, Value};

use crate::base64url::{decode_lenient, encode_url_safe};
use crate::error::{excerpt, KeyError};
use crate::key::check_modulus_size;

/// A private key read from a JWK, with the JWK's `kid` when it has one.
pub(crate) struct ParsedJwk {
    pub(crate) kid: Option<String>,
    pub(crate) key: PrivateKey,
}

/// Parses JWK JSON text, or a JWK Set that contains exactly one key.
///
/// # Errors
///
/// [`KeyError::NotRsa`], [`KeyError::WrongAlgorithm`], [`KeyError::PublicJwk`],
/// [`KeyError::KeyTooShort`], [`KeyError::InvalidKey`] and [`KeyError::InvalidJwk`].
pub(crate) fn parse(text: &str) -> Result<ParsedJwk, KeyError> {
    let value: Value = serde_json::from_str(text).map_err(|error| {
        invalid(format!(
            "the JSON is malformed at line {} column {}",
            error.line(),
            error.column()
        ))
    })?;
    let object = single_key(&value)?;

    let kty = string_member(object, "kty")?.ok_or_else(|| invalid("it has no kty member"))?;
    if kty != "RSA" {
        return Err(KeyError::NotRsa {
            kind: format!("a JWK of kty {}", excerpt(kty)),
        });
    }
    if let Some(alg) = string_member(object, "alg")? {
        if alg != "RS256" {
            return Err(KeyError::WrongAlgorithm { alg: excerpt(alg) });
        }
    }

    if !object.contains_key("d") {
        return Err(KeyError::PublicJwk);
    }
    let n = number_member(object, "n")?.ok_or_else(|| invalid("it has no modulus n"))?;
    let e = number_member(object, "e")?.ok_or_else(|| invalid("it has no public exponent e"))?;
    let d = number_member(object, "d")?.ok_or(KeyError::PublicJwk)?;
    check_modulus_size(&n)?;

    let primes = match (number_member(object, "p")?, number_member(object, "q")?) {
        (Some(p), Some(q)) => vec![p, q],
        (None, None) => Vec::new(),
        _ => return Err(invalid("it has only one of the primes p and q")),
    };

    let key = build_key(&n, &e, &d, &primes)?;
    let kid = string_member(object, "kid")?.map(str::to_owned);
    Ok(ParsedJwk { kid, key })
}

/// Writes the key as a JWK in the shape Stream's keys API uses. The result contains the
/// private key.
///
/// # Errors
///
/// [`KeyError::Generate`] when the key cannot be encoded, such as a key with more than two primes.
pub(crate) fn to_json(id: &str, key: &PrivateKey) -> Result<String, KeyError> {
    let der = key.to_pkcs1_der().map_err(|error| KeyError::Generate {
        reason: format!("PKCS#1 encoding failed: {error}"),
    })?;
    let parts = RsaPrivateKeyRef::from_der(der.as_bytes()).map_err(|error| KeyError::Generate {
        reason: format!("PKCS#1 decoding failed: {error}"),
    })?;

    let member = |bytes: &[u8]| Value::String(encode_url_safe(trim_leading_zeros(bytes)));
    let mut object = Map::new();
    object.insert("kty".into(), "RSA".into());
    object.insert("use".into(), "sig".into());
    object.insert("alg".into(), "RS256".into());
    object.insert("kid".into(), id.into());
    object.insert("n".into(), member(parts.modulus.as_bytes()));
    object.insert("e".into(), member(parts.public_exponent.as_bytes()));
    object.insert("d".into(), member(parts.private_exponent.as_bytes()));
    object.insert("p".into(), member(parts.prime1.as_bytes()));
    object.insert("q".into(), member(parts.prime2.as_bytes()));
    object.insert("dp".into(), member(parts.exponent1.as_bytes()));
    object.insert("dq".into(), member(parts.exponent2.as_bytes()));
    object.insert("qi".into(), member(parts.coefficient.as_bytes()));

    Ok(Value::Object(object).to_string())
}

/// Returns the one key object: the JWK itself, or the only member of a JWK Set's `keys`.
fn single_key(value: &Value) -> Result<&Map<String, Value>, KeyError> {
    let object = value
        .as_object()
        .ok_or_else(|| invalid("it is not a JSON object"))?;

    match object.get("keys") {
        None => Ok(object),
        Some(Value::Array(keys)) if keys.len() == 1 => keys[0]
            .as_object()
            .ok_or_else(|| invalid("the only entry of its keys list is not a JSON object")),
        Some(Value::Array(keys)) => Err(invalid(format!(
            "it is a JWK Set with {} keys; paste the one signing key",
            keys.len()
        ))),
        Some(_) => Err(invalid("its keys member is not a list")),
    }
}

fn string_member<'a>(
    object: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, KeyError> {
    match object.get(name) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.as_str())),
        Some(_) => Err(invalid(format!("its {name} member is not a string"))),
    }
}

/// Decodes a base64url big-endian integer member, such as `n` or `d`.
fn number_member(object: &Map<String, Value>, name: &str) -> Result<Option<Vec<u8>>, KeyError> {
    let Some(text) = string_member(object, name)? else {
        return Ok(None);
    };

    let bytes = decode_lenient(text)
        .ok_or_else(|| invalid(format!("its {name} member is not base64url")))?;
    Ok(Some(trim_leading_zeros(&bytes).to_vec()))
}

/// Builds the key with every number at the modulus width, as the `rsa` crate's own PKCS#1
/// decoder does, so that private operations do not depend on the size of secret numbers.
fn build_key(n: &[u8], e: &[u8], d: &[u8], primes: &[Vec<u8>]) -> Result<PrivateKey, KeyError> {
    let modulus_bits = bit_width_of(n);
    let too_long = || invalid("a private number is longer than the modulus n");

    let n = BoxedUint::from_be_slice(n, modulus_bits).map_err(|_| too_long())?;
    let e = BoxedUint::from_be_slice(e, bit_width_of(e))
        .map_err(|_| invalid("the public exponent e is malformed"))?;
    let d = BoxedUint::from_be_slice(d, modulus_bits).map_err(|_| too_long())?;
    let primes = primes
        .iter()
        .map(|prime| BoxedUint::from_be_slice(prime, modulus_bits).map_err(|_| too_long()))
        .collect::<Result<Vec<_>, _>>()?;

    PrivateKey::from_components(n, e, d, primes).map_err(|error| KeyError::InvalidKey {
        reason: error.to_string(),
    })
}

fn bit_width_of(bytes: &[u8]) -> u32 {
    // Saturates for absurd input (over 512 MiB), which from_be_slice then rejects.
    u32::try_from(bytes.len().max(1) * 8).unwrap_or(u32::MAX)
}

fn trim_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

fn invalid(reason: impl Into<String>) -> KeyError {
    KeyError::InvalidJwk {
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_json_position_only() {
        let error = parse("{\"kty\": \"RSA\", \"d\": \"c2VjcmV0\"")
            .err()
            .unwrap();
        assert_eq!(error.code(), "invalid_jwk");
        assert!(!error.to_string().contains("c2VjcmV0"));
    }

    #[test]
    fn not_an_object() {
        let error = parse("[1, 2]").err().unwrap();
        assert_eq!(error.code(), "invalid_jwk");
    }

    #[test]
    fn missing_kty() {
        let error = parse("{\"n\": \"AQAB\"}").err().unwrap();
        assert_eq!(error.code(), "invalid_jwk");
    }

    #[test]
    fn ec_kty() {
        let error = parse("{\"kty\": \"EC\", \"d\": \"AQAB\"}").err().unwrap();
        assert_eq!(
            error,
            KeyError::NotRsa {
                kind: "a JWK of kty \"EC\"".to_owned()
            }
        );
    }

    #[test]
    fn ps256_alg() {
        let error = parse("{\"kty\": \"RSA\", \"alg\": \"PS256\", \"d\": \"AQAB\"}")
            .err()
            .unwrap();
        assert_eq!(
            error,
            KeyError::WrongAlgorithm {
                alg: "\"PS256\"".to_owned()
            }
        );
    }

    #[test]
    fn public_only() {
        let error = parse("{\"kty\": \"RSA\", \"n\": \"AQAB\", \"e\": \"AQAB\"}")
            .err()
            .unwrap();
        assert_eq!(error, KeyError::PublicJwk);
    }

    #[test]
    fn member_not_string() {
        let error = parse("{\"kty\": \"RSA\", \"n\": 5, \"e\": \"AQAB\", \"d\": \"AQAB\"}")
            .err()
            .unwrap();
        assert_eq!(error.code(), "invalid_jwk");
    }

    #[test]
    fn member_not_base64() {
        let error = parse("{\"kty\": \"RSA\", \"n\": \"@@\", \"e\": \"AQAB\", \"d\": \"AQAB\"}")
            .err()
            .unwrap();
        assert_eq!(error.code(), "invalid_jwk");
    }

    #[test]
    fn set_with_two_keys() {
        let error = parse("{\"keys\": [{}, {}]}").err().unwrap();
        assert_eq!(error.code(), "invalid_jwk");
    }

    #[test]
    fn short_modulus() {
        // 128 bytes of 0xff: a 1024-bit modulus.
        let n = encode_url_safe(&[0xff; 128]);
        let text =
            format!("{{\"kty\": \"RSA\", \"n\": \"{n}\", \"e\": \"AQAB\", \"d\": \"AQAB\"}}");
        assert_eq!(
            parse(&text).err(),
            Some(KeyError::KeyTooShort { bits: 1024 })
        );
    }

    #[test]
    fn trims_leading_zeros() {
        assert_eq!(trim_leading_zeros(&[0, 0, 1, 0]), [1, 0]);
    }
}
