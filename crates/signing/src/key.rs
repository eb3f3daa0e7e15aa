//! The signing key: parsing every form Stream hands out, storing it, and signing tokens.
//!
//! A [`SigningKey`] always contains a key id of 32 lowercase hexadecimal characters and an RSA
//! private key of at least 2048 bits, because every constructor checks both. `Debug` and
//! `Display` show the id only. The `rsa` crate wipes the key's numbers on drop.
//!
//! NOTE: the intermediate buffers that parsing and exporting pass through (decoded base64, DER,
//! PEM text) are ordinary `Vec`s and `String`s, so they are freed without being wiped.

use std::fmt;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::der::Decode;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey, LineEnding, RsaPrivateKeyRef};
use rsa::pkcs8::EncodePublicKey;
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::PrivateKey;
use serde::{Deserialize, Serialize};

use crate::claims::{TokenClaims, WireClaims};
use crate::error::{excerpt, KeyError, SignError};
use crate::material::{self, Form};
use crate::token::SignedToken;
use crate::{jwk, pem};

/// Smallest RSA modulus accepted, in bits.
pub const MIN_KEY_BITS: usize = 2048;

/// Size of the keys that [`SigningKey::generate`] makes, in bits.
const GENERATED_KEY_BITS: usize = 2048;

/// Length of a Stream signing key id: 32 hexadecimal characters.
const KEY_ID_LEN: usize = 32;

/// An RSA signing key from Stream: its id and private key. `Debug` and `Display` redact the key.
#[derive(Clone)]
pub struct SigningKey {
    id: String,
    private_key: PrivateKey,
    encoding_key: EncodingKey,
}

impl SigningKey {
    /// Parses key material as the user pastes it.
    ///
    /// `material` may be PEM text (PKCS#1 `BEGIN RSA PRIVATE KEY` or PKCS#8 `BEGIN PRIVATE
    /// KEY`), base64 of such PEM text (the keys API's `pem` value), JWK JSON text, or base64 of
    /// JWK JSON (the keys API's `jwk` value). Base64 may use the standard or the URL-safe
    /// alphabet, with or without padding and with line breaks. Surrounding white space and
    /// quotes are ignored.
    ///
    /// `id` may be `None` or empty when the material is a JWK with a `kid`. Ids are compared
    /// and stored in lowercase.
    ///
    /// # Errors
    ///
    /// A [`KeyError`] naming what is wrong with the material or the id. No error contains key
    /// material.
    pub fn parse(id: Option<&str>, material: &str) -> Result<SigningKey, KeyError> {
        let given_id = id.map(str::trim).filter(|id| !id.is_empty());

        match material::classify(material)? {
            Form::Pem(text) => {
                let der = pem::private_key_der(&text)?;
                let private_key = private_key_from_pkcs1(&der)?;
                let id = normalise_id(given_id.ok_or(KeyError::MissingId)?)?;
                Self::new(id, private_key)
            }
            Form::Jwk(text) => {
                let parsed = jwk::parse(&text)?;
                let id = resolve_jwk_id(given_id, parsed.kid.as_deref())?;
                Self::new(id, parsed.key)
            }
        }
    }

    /// Makes a fresh 2048-bit key with the given id, from the operating system's random source.
    ///
    /// Stream itself creates the keys that users have; this is for tests and tools. The prime
    /// search makes it far slower than parsing, so tests should share one generated key.
    ///
    /// # Errors
    ///
    /// [`KeyError::InvalidId`] when `id` is not 32 hexadecimal characters, and
    /// [`KeyError::Generate`] when the random source or the `rsa` crate fails.
    pub fn generate(id: &str) -> Result<SigningKey, KeyError> {
        let id = normalise_id(id.trim())?;
        let private_key =
            PrivateKey::new(&mut getrandom::SysRng, GENERATED_KEY_BITS).map_err(|error| {
                KeyError::Generate {
                    reason: error.to_string(),
                }
            })?;
        Self::new(id, private_key)
    }

    /// Returns the key id: 32 lowercase hexadecimal characters.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Returns the modulus size in bits.
    pub fn bits(&self) -> usize {
        self.private_key.n().bit_width() as usize
    }

    /// Serialises the key for the keychain as JSON `{"id": .., "pem": <PKCS#1 PEM text>}`.
    /// The result is secret.
    pub fn to_stored(&self) -> StoredKey {
        let stored = StoredForm {
            id: self.id.clone(),
            pem: self.to_pkcs1_pem(),
        };
        let text = serde_json::to_string(&stored).expect("two strings always serialise to JSON");
        StoredKey(text)
    }

    /// Reads a key that [`to_stored`](Self::to_stored) wrote.
    ///
    /// # Errors
    ///
    /// [`KeyError::InvalidStored`] when the text is not that JSON or its key does not parse.
    pub fn from_stored(text: &str) -> Result<SigningKey, KeyError> {
        let stored: StoredForm = serde_json::from_str(text).map_err(|error| {
            let reason = if error.is_data() {
                "the JSON lacks a string id or pem".to_owned()
            } else {
                format!(
                    "the JSON is malformed at line {} column {}",
                    error.line(),
                    error.column()
                )
            };
            KeyError::InvalidStored { reason }
        })?;

        Self::parse(Some(&stored.id), &stored.pem).map_err(|error| KeyError::InvalidStored {
            reason: format!("its key fails to parse with the error {}", error.code()),
        })
    }

    /// Returns the private key as PKCS#1 PEM text (`BEGIN RSA PRIVATE KEY`, LF line ends).
    /// The result is secret: use it only to store the key or to test [`parse`](Self::parse).
    pub fn to_pkcs1_pem(&self) -> String {
        self.private_key
            .to_pkcs1_pem(LineEnding::LF)
            .map(|pem| pem.to_string())
            .expect("SigningKey::new already encoded this key as PKCS#1")
    }

    /// Returns the private key as JWK JSON in the shape of the keys API's `jwk` value, with
    /// `kid` set to the id. The result is secret: use it only to test [`parse`](Self::parse).
    pub fn to_jwk_json(&self) -> String {
        jwk::to_json(&self.id, &self.private_key)
            .expect("SigningKey::new already encoded this key as PKCS#1")
    }

    /// Returns the public key as SPKI PEM text (`BEGIN PUBLIC KEY`), which a verifier such as a
    /// test server needs. The result is not secret.
    pub fn public_key_pem(&self) -> String {
        self.private_key
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .expect("an RSA public key always encodes as SPKI")
    }

    /// Signs an RS256 JWT with header `{"alg":"RS256","kid":<id>}` and claims `sub`, `kid`,
    /// `exp`, `nbf`, plus `downloadable` when true and `accessRules` when not empty.
    ///
    /// The `kid` claim is written as this key's id; `claims.kid` must match it, ignoring case.
    ///
    /// # Errors
    ///
    /// A [`SignError`] when Stream would reject the claims. The cases are a `sub` that is not
    /// uid-shaped, a `kid` of another key, and times in milliseconds. Also rejected are an `exp`
    /// not after `nbf`, more than 24 hours from `nbf` to `exp`, and an invalid access rule.
    pub fn sign(&self, claims: &TokenClaims) -> Result<SignedToken, SignError> {
        claims.check(&self.id)?;

        let mut header = Header::new(Algorithm::RS256);
        header.typ = None;
        header.kid = Some(self.id.clone());

        let wire = WireClaims::new(claims, &self.id);
        let token = jsonwebtoken::encode(&header, &wire, &self.encoding_key).map_err(|error| {
            SignError::Encode {
                reason: error.to_string(),
            }
        })?;

        tracing::debug!(
            key_id = %self.id,
            uid = %claims.sub,
            nbf = claims.nbf,
            exp = claims.exp,
            downloadable = claims.downloadable,
            access_rules = claims.access_rules.len(),
            "signed a token"
        );
        Ok(SignedToken::signed(token, claims.exp))
    }

    fn new(id: String, private_key: PrivateKey) -> Result<SigningKey, KeyError> {
        let der = private_key
            .to_pkcs1_der()
            .map_err(|error| KeyError::Generate {
                reason: format!("PKCS#1 encoding failed: {error}"),
            })?;
        let encoding_key = EncodingKey::from_rsa_der(der.as_bytes());

        Ok(SigningKey {
            id,
            private_key,
            encoding_key,
        })
    }
}

impl PartialEq for SigningKey {
    /// Compares the ids, the public keys and the private exponents, not in constant time. The
    /// order of the primes is ignored, because a key recovered from `n`, `e` and `d` alone may
    /// list them the other way round.
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.private_key.as_public_key() == other.private_key.as_public_key()
            && self.private_key.d() == other.private_key.d()
    }
}

impl Eq for SigningKey {}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("id", &self.id)
            .field("private_key", &"<redacted>")
            .finish()
    }
}

impl fmt::Display for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "signing key {}", self.id)
    }
}

/// A serialised [`SigningKey`] for the keychain. It contains the private key, so `Debug` and
/// `Display` print a redaction; [`expose`](Self::expose) returns the text.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKey(String);

impl StoredKey {
    /// Returns the JSON text, for the one place that writes it to the keychain.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoredKey(<redacted>)")
    }
}

impl fmt::Display for StoredKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The JSON layout of a [`StoredKey`].
#[derive(Serialize, Deserialize)]
struct StoredForm {
    id: String,
    pem: String,
}

/// Returns the id in lowercase when it is 32 hexadecimal characters.
fn normalise_id(id: &str) -> Result<String, KeyError> {
    if id.len() == KEY_ID_LEN && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(id.to_ascii_lowercase())
    } else {
        Err(KeyError::InvalidId { id: excerpt(id) })
    }
}

/// Chooses the id of a JWK key from the id given and the JWK's `kid`, which must agree.
fn resolve_jwk_id(id: Option<&str>, kid: Option<&str>) -> Result<String, KeyError> {
    let kid = kid.map(str::trim).filter(|kid| !kid.is_empty());

    match (id, kid) {
        (Some(id), Some(kid)) => {
            let normalised = normalise_id(id)?;
            if !normalised.eq_ignore_ascii_case(kid) {
                return Err(KeyError::KidMismatch {
                    id: excerpt(id),
                    kid: excerpt(kid),
                });
            }
            Ok(normalised)
        }
        (Some(id), None) | (None, Some(id)) => normalise_id(id),
        (None, None) => Err(KeyError::MissingId),
    }
}

/// Rejects a modulus, given as big-endian bytes, shorter than [`MIN_KEY_BITS`].
pub(crate) fn check_modulus_size(modulus: &[u8]) -> Result<(), KeyError> {
    let bits = bit_length(modulus);
    if bits < MIN_KEY_BITS {
        return Err(KeyError::KeyTooShort { bits });
    }
    Ok(())
}

fn bit_length(big_endian: &[u8]) -> usize {
    let Some(first) = big_endian.iter().position(|&b| b != 0) else {
        return 0;
    };
    let leading_byte_bits = 8 - big_endian[first].leading_zeros() as usize;
    (big_endian.len() - first - 1) * 8 + leading_byte_bits
}

fn private_key_from_pkcs1(der: &[u8]) -> Result<PrivateKey, KeyError> {
    let parts = RsaPrivateKeyRef::from_der(der).map_err(|error| KeyError::InvalidPem {
        reason: format!("the PKCS#1 structure is malformed: {error}"),
    })?;
    check_modulus_size(parts.modulus.as_bytes())?;

    PrivateKey::from_pkcs1_der(der).map_err(|error| KeyError::InvalidKey {
        reason: error.to_string(),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::OnceLock;

    pub(crate) const TEST_KEY_ID: &str = "0123456789abcdef0123456789abcdef";

    /// Returns one key per test binary, because RSA key generation is slow.
    pub(crate) fn test_key() -> &'static SigningKey {
        static KEY: OnceLock<SigningKey> = OnceLock::new();
        KEY.get_or_init(|| SigningKey::generate(TEST_KEY_ID).expect("key generation"))
    }

    #[test]
    fn id_lowercased() {
        assert_eq!(
            normalise_id("0123456789ABCDEF0123456789ABCDEF").unwrap(),
            TEST_KEY_ID
        );
    }

    #[test]
    fn id_too_short() {
        assert_eq!(normalise_id("abc").unwrap_err().code(), "invalid_id");
    }

    #[test]
    fn id_not_hex() {
        let id = "0123456789abcdef0123456789abcdeg";
        assert_eq!(normalise_id(id).unwrap_err().code(), "invalid_id");
    }

    #[test]
    fn jwk_id_from_kid() {
        assert_eq!(
            resolve_jwk_id(None, Some(TEST_KEY_ID)).unwrap(),
            TEST_KEY_ID
        );
    }

    #[test]
    fn jwk_id_case_insensitive() {
        let upper = TEST_KEY_ID.to_ascii_uppercase();
        assert_eq!(
            resolve_jwk_id(Some(&upper), Some(TEST_KEY_ID)).unwrap(),
            TEST_KEY_ID
        );
    }

    #[test]
    fn jwk_id_mismatch() {
        let other = "ffffffffffffffffffffffffffffffff";
        let error = resolve_jwk_id(Some(other), Some(TEST_KEY_ID)).unwrap_err();
        assert_eq!(error.code(), "kid_mismatch");
    }

    #[test]
    fn jwk_id_missing() {
        assert_eq!(
            resolve_jwk_id(None, Some(" ")).unwrap_err(),
            KeyError::MissingId
        );
    }

    #[test]
    fn bit_length_cases() {
        let cases: &[(&[u8], usize)] = &[
            (&[], 0),
            (&[0, 0], 0),
            (&[1], 1),
            (&[0x80], 8),
            (&[0, 0x01, 0x00], 9),
            (&[0xff; 256], 2048),
        ];
        for (bytes, bits) in cases {
            assert_eq!(bit_length(bytes), *bits, "bytes {bytes:02x?}");
        }
    }

    #[test]
    fn generated_key_size() {
        assert_eq!(test_key().bits(), 2048);
    }

    #[test]
    fn generate_rejects_bad_id() {
        assert_eq!(
            SigningKey::generate("nope").unwrap_err().code(),
            "invalid_id"
        );
    }

    #[test]
    fn stored_round_trip() {
        let stored = test_key().to_stored();
        assert_eq!(
            &SigningKey::from_stored(stored.expose()).unwrap(),
            test_key()
        );
    }

    #[test]
    fn stored_shape() {
        let stored: serde_json::Value =
            serde_json::from_str(test_key().to_stored().expose()).unwrap();
        assert_eq!(stored["id"], TEST_KEY_ID);
        assert!(stored["pem"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    }

    #[test]
    fn stored_malformed_json() {
        let error = SigningKey::from_stored("{\"id\": ").unwrap_err();
        assert_eq!(error.code(), "invalid_stored");
    }

    #[test]
    fn stored_wrong_types() {
        let error = SigningKey::from_stored("{\"id\": 1, \"pem\": 2}").unwrap_err();
        assert_eq!(error.code(), "invalid_stored");
    }

    #[test]
    fn stored_bad_pem() {
        let text = format!("{{\"id\": \"{TEST_KEY_ID}\", \"pem\": \"nonsense\"}}");
        let error = SigningKey::from_stored(&text).unwrap_err();
        assert_eq!(error.code(), "invalid_stored");
    }
}
