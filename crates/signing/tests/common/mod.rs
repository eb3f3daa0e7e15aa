//! Helpers shared by the integration tests: one generated key per test binary, and encoders
//! for the forms in which users paste keys.

#![allow(dead_code)]

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use offstream_signing::SigningKey;

/// Key id of the shared test key.
pub const KEY_ID: &str = "0123456789abcdef0123456789abcdef";

/// A video uid.
pub const UID: &str = "ea95132c15732412d22c1476fa83f27a";

/// Returns the key shared by all tests of this binary, because RSA key generation is slow.
pub fn key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate(KEY_ID).expect("key generation"))
}

/// Returns the base64 body of the key's PKCS#1 PEM, the secret that no output may contain.
pub fn pem_body(key: &SigningKey) -> String {
    key.to_pkcs1_pem()
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect()
}

/// Returns the JWK's private exponent `d`, another spelling of the secret.
pub fn jwk_private_exponent(key: &SigningKey) -> String {
    let jwk: serde_json::Value = serde_json::from_str(&key.to_jwk_json()).unwrap();
    jwk["d"].as_str().unwrap().to_owned()
}

/// Encodes text as standard base64 with padding, as the keys API does.
pub fn standard_base64(text: &str) -> String {
    STANDARD.encode(text)
}

/// Encodes text as URL-safe base64 without padding.
pub fn url_safe_base64(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(text)
}

/// Breaks text into lines of `width` characters.
pub fn wrap(text: &str, width: usize) -> String {
    text.as_bytes()
        .chunks(width)
        .map(|chunk| std::str::from_utf8(chunk).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Returns the current Unix time in seconds.
pub fn now_unix() -> i64 {
    let elapsed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(elapsed.as_secs()).unwrap()
}
