//! No key material or token text in `Debug`, `Display` or error messages, checked against the
//! actual secrets of a generated key.

mod common;

use std::time::Duration;

use common::{jwk_private_exponent, key, now_unix, pem_body, standard_base64, KEY_ID, UID};
use offstream_signing::{peek_claims, token_times, SignedToken, SigningKey, TokenClaims};

/// Returns 16-character pieces of every secret spelling of the shared key.
fn secret_pieces() -> Vec<String> {
    let mut pieces = Vec::new();
    for secret in [
        pem_body(key()),
        jwk_private_exponent(key()),
        standard_base64(&key().to_pkcs1_pem()),
    ] {
        let chars: Vec<char> = secret.chars().collect();
        pieces.extend(
            chars
                .chunks_exact(16)
                .map(|chunk| chunk.iter().collect::<String>()),
        );
    }
    pieces
}

fn assert_no_secret(context: &str, text: &str) {
    let pieces = secret_pieces();
    assert!(pieces.len() > 100, "the secret pieces must not be empty");
    for piece in &pieces {
        assert!(
            !text.contains(piece.as_str()),
            "{context} contains key material: {text}"
        );
    }
}

#[test]
fn signing_key_debug_redacted() {
    assert_no_secret("Debug", &format!("{:?}", key()));
}

#[test]
fn signing_key_debug_shows_id() {
    assert!(format!("{:?}", key()).contains(KEY_ID));
}

#[test]
fn signing_key_display_redacted() {
    assert_no_secret("Display", &format!("{}", key()));
}

#[test]
fn stored_key_debug_redacted() {
    let stored = key().to_stored();
    assert_no_secret("Debug", &format!("{stored:?}"));
}

#[test]
fn stored_key_display_redacted() {
    let stored = key().to_stored();
    assert_no_secret("Display", &format!("{stored}"));
}

#[test]
fn stored_key_expose_has_secret() {
    // The check above must be able to fail: the exposed text does contain the key.
    let stored = key().to_stored();
    let exposed = stored.expose().replace("\\n", "");
    assert!(exposed.contains(&pem_body(key())[..64]));
}

#[test]
fn signed_token_debug_redacted() {
    let claims = TokenClaims::download(
        UID,
        KEY_ID,
        token_times(now_unix(), Duration::from_secs(3600)),
    );
    let token = key().sign(&claims).unwrap();
    let signature = token.expose().rsplit('.').next().unwrap().to_owned();
    let debug = format!("{token:?}");
    assert!(!debug.contains(&signature), "{debug}");
    assert!(!debug.contains(token.expose()), "{debug}");
}

#[test]
fn signed_token_display_redacted() {
    let claims = TokenClaims::download(
        UID,
        KEY_ID,
        token_times(now_unix(), Duration::from_secs(3600)),
    );
    let token = key().sign(&claims).unwrap();
    let signature = token.expose().rsplit('.').next().unwrap().to_owned();
    assert!(!format!("{token}").contains(&signature));
}

#[test]
fn api_token_debug_redacted() {
    let claims = TokenClaims::download(
        UID,
        KEY_ID,
        token_times(now_unix(), Duration::from_secs(3600)),
    );
    let text = key().sign(&claims).unwrap().expose().to_owned();
    let token = SignedToken::from_api(text.clone());
    assert!(!format!("{token:?}").contains(&text));
}

#[test]
fn key_errors_hide_material() {
    let pem = key().to_pkcs1_pem();
    let jwk = key().to_jwk_json();
    let mut wrong_d: serde_json::Value = serde_json::from_str(&jwk).unwrap();
    wrong_d["d"] = serde_json::Value::String("AQAB".to_owned());
    let body_start = pem.find('\n').unwrap() + 1;
    let base64_pem = standard_base64(&pem);
    let truncated = format!(
        "{}\n-----END RSA PRIVATE KEY-----",
        &pem[..body_start + 640]
    );

    // (case, id given, material) that all fail while carrying the real key somewhere.
    let cases: Vec<(&str, Option<&str>, String)> = vec![
        ("PEM pasted as id", Some(&pem), pem.clone()),
        ("JWK pasted as id", Some(&jwk), jwk.clone()),
        ("base64 PEM pasted as id", Some(&base64_pem), pem.clone()),
        (
            "kid mismatch",
            Some("ffffffffffffffffffffffffffffffff"),
            jwk.clone(),
        ),
        ("truncated PEM", Some(KEY_ID), truncated),
        ("JWK with wrong d", None, wrong_d.to_string()),
        ("JWK cut short", None, jwk[..jwk.len() - 40].to_owned()),
        ("PEM without id", None, pem.clone()),
    ];

    for (case, id, material) in &cases {
        let error = SigningKey::parse(*id, material).expect_err(case);
        assert_no_secret(case, &error.to_string());
        assert_no_secret(case, &format!("{error:?}"));
    }
}

#[test]
fn stored_error_hides_material() {
    let stored = key().to_stored();
    let damaged = stored.expose().replace("-----END", "-----FIN");
    let error = SigningKey::from_stored(&damaged).unwrap_err();
    assert_no_secret("from_stored", &error.to_string());
}

#[test]
fn token_error_hides_token() {
    let claims = TokenClaims::download(
        UID,
        KEY_ID,
        token_times(now_unix(), Duration::from_secs(3600)),
    );
    let text = key().sign(&claims).unwrap().expose().to_owned();
    let damaged = format!("{text}.extra");
    let error = peek_claims(&damaged).unwrap_err();
    assert!(!error.to_string().contains(&text[..20]), "{error}");
}
