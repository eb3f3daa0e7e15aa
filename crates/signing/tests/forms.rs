//! Every form in which a user may paste a signing key, and every way the paste can be wrong.

mod common;

use common::{key, standard_base64, url_safe_base64, wrap, KEY_ID};
use offstream_signing::{KeyError, SigningKey};
use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey, LineEnding};
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey};
use rsa::PrivateKey;
use serde_json::Value;

/// Returns the shared key as an `rsa` key, to write forms this crate does not export.
fn rsa_key() -> PrivateKey {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    PrivateKey::from_pkcs1_pem(&key().to_pkcs1_pem()).unwrap()
}

fn pkcs8_pem() -> String {
    rsa_key().to_pkcs8_pem(LineEnding::LF).unwrap().to_string()
}

fn jwk_value() -> Value {
    serde_json::from_str(&key().to_jwk_json()).unwrap()
}

fn jwk_without(members: &[&str]) -> String {
    let mut jwk = jwk_value();
    for member in members {
        jwk.as_object_mut().unwrap().remove(*member);
    }
    jwk.to_string()
}

fn jwk_with(member: &str, value: &str) -> String {
    let mut jwk = jwk_value();
    jwk[member] = Value::String(value.to_owned());
    jwk.to_string()
}

#[test]
fn accepted_forms_round_trip() {
    let pkcs1 = key().to_pkcs1_pem();
    let jwk = key().to_jwk_json();
    let pkcs8 = pkcs8_pem();
    let key_set = format!("{{\"keys\": [{jwk}]}}");
    let upper_id = KEY_ID.to_ascii_uppercase();

    // (form, id given, material)
    let cases: Vec<(&str, Option<&str>, String)> = vec![
        ("PKCS#1 PEM", Some(KEY_ID), pkcs1.clone()),
        (
            "PKCS#1 PEM, CRLF",
            Some(KEY_ID),
            pkcs1.replace('\n', "\r\n"),
        ),
        (
            "PKCS#1 PEM, padded",
            Some(KEY_ID),
            format!("\n\n  {pkcs1}  \n\t"),
        ),
        (
            "PKCS#1 PEM, JSON escapes",
            Some(KEY_ID),
            pkcs1.replace('\n', "\\n"),
        ),
        ("PKCS#1 PEM, uppercase id", Some(&upper_id), pkcs1.clone()),
        (
            "PKCS#1 PEM, padded id",
            Some(" 0123456789abcdef0123456789abcdef\n"),
            pkcs1.clone(),
        ),
        ("PKCS#8 PEM", Some(KEY_ID), pkcs8.clone()),
        (
            "base64 of PKCS#1 PEM",
            Some(KEY_ID),
            standard_base64(&pkcs1),
        ),
        (
            "base64 of PKCS#1 PEM, quoted",
            Some(KEY_ID),
            format!("\"{}\"", standard_base64(&pkcs1)),
        ),
        (
            "base64 of PKCS#1 PEM, wrapped",
            Some(KEY_ID),
            wrap(&standard_base64(&pkcs1), 76),
        ),
        (
            "base64 of PKCS#1 PEM, CRLF wrapped",
            Some(KEY_ID),
            wrap(&standard_base64(&pkcs1), 64).replace('\n', "\r\n"),
        ),
        (
            "base64 of PKCS#1 PEM, no padding",
            Some(KEY_ID),
            standard_base64(&pkcs1).trim_end_matches('=').to_owned(),
        ),
        (
            "URL-safe base64 of PKCS#1 PEM",
            Some(KEY_ID),
            url_safe_base64(&pkcs1),
        ),
        (
            "base64 of PKCS#8 PEM",
            Some(KEY_ID),
            standard_base64(&pkcs8),
        ),
        ("JWK, kid only", None, jwk.clone()),
        ("JWK, empty id", Some(""), jwk.clone()),
        ("JWK, matching id", Some(KEY_ID), jwk.clone()),
        ("JWK, uppercase id", Some(&upper_id), jwk.clone()),
        (
            "JWK, pretty",
            None,
            serde_json::to_string_pretty(&jwk_value()).unwrap(),
        ),
        ("JWK, no kid", Some(KEY_ID), jwk_without(&["kid"])),
        ("JWK, no alg or use", None, jwk_without(&["alg", "use"])),
        (
            "JWK, only n e d",
            None,
            jwk_without(&["p", "q", "dp", "dq", "qi"]),
        ),
        ("JWK Set of one key", None, key_set),
        ("base64 of JWK", None, standard_base64(&jwk)),
        (
            "base64 of JWK, no padding",
            None,
            standard_base64(&jwk).trim_end_matches('=').to_owned(),
        ),
        ("URL-safe base64 of JWK", None, url_safe_base64(&jwk)),
        (
            "URL-safe base64 of JWK, padded",
            None,
            base64_url_padded(&jwk),
        ),
        (
            "base64 of JWK, wrapped",
            None,
            wrap(&standard_base64(&jwk), 60),
        ),
    ];

    for (form, id, material) in &cases {
        let parsed =
            SigningKey::parse(*id, material).unwrap_or_else(|error| panic!("{form}: {error}"));
        assert_eq!(&parsed, key(), "{form}");
    }
}

fn base64_url_padded(text: &str) -> String {
    use base64::engine::general_purpose::URL_SAFE;
    use base64::Engine;
    URL_SAFE.encode(text)
}

#[test]
fn parsed_key_has_lowercase_id() {
    let parsed =
        SigningKey::parse(Some(&KEY_ID.to_ascii_uppercase()), &key().to_pkcs1_pem()).unwrap();
    assert_eq!(parsed.id(), KEY_ID);
}

#[test]
fn exported_forms_are_distinct() {
    // Guards the round-trip test: it must not compare one form with itself.
    assert_ne!(
        standard_base64(&key().to_pkcs1_pem()),
        url_safe_base64(&key().to_pkcs1_pem())
    );
}

#[test]
fn jwk_matches_stream_shape() {
    let jwk = jwk_value();
    let members: Vec<&str> = jwk
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec![
        "alg", "d", "dp", "dq", "e", "kid", "kty", "n", "p", "q", "qi", "use",
    ];
    expected.sort_unstable();
    let mut members = members;
    members.sort_unstable();
    assert_eq!(members, expected);
}

#[test]
fn jwk_fixed_members() {
    let jwk = jwk_value();
    assert_eq!(jwk["kty"], "RSA");
    assert_eq!(jwk["alg"], "RS256");
    assert_eq!(jwk["use"], "sig");
    assert_eq!(jwk["kid"], KEY_ID);
    assert_eq!(jwk["e"], "AQAB");
}

#[test]
fn jwk_members_unpadded_base64url() {
    let jwk = jwk_value();
    for member in ["n", "e", "d", "p", "q", "dp", "dq", "qi"] {
        let text = jwk[member].as_str().unwrap();
        let clean = text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        assert!(clean, "member {member}");
    }
}

#[test]
fn pkcs1_export_starts_with_label() {
    assert!(key()
        .to_pkcs1_pem()
        .starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
}

#[test]
fn public_key_pem_is_public() {
    assert!(key()
        .public_key_pem()
        .starts_with("-----BEGIN PUBLIC KEY-----\n"));
}

/// Returns the PEM of a fresh 1024-bit key, which is too short.
fn short_key_pem() -> String {
    let short = PrivateKey::new(&mut getrandom::SysRng, 1024).unwrap();
    short.to_pkcs1_pem(LineEnding::LF).unwrap().to_string()
}

#[test]
fn rejected_inputs() {
    let pkcs1 = key().to_pkcs1_pem();
    let public_spki = rsa_key()
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let public_pkcs1 = rsa_key()
        .to_public_key()
        .to_pkcs1_pem(LineEnding::LF)
        .unwrap();
    let certificate =
        "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n";
    let encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0w\n-----END ENCRYPTED PRIVATE KEY-----\n";
    let ec_label = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIA==\n-----END EC PRIVATE KEY-----\n";
    let truncated = {
        let body_start = pkcs1.find('\n').unwrap() + 1;
        format!(
            "{}{}",
            &pkcs1[..body_start + 200],
            "\n-----END RSA PRIVATE KEY-----\n"
        )
    };
    let token = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    let other_id = "ffffffffffffffffffffffffffffffff";
    let short_pem = short_key_pem();
    let short_jwk = {
        // The first 168 characters of n are 126 whole bytes: a 1008-bit modulus.
        let jwk = jwk_value();
        let n = jwk["n"].as_str().unwrap();
        jwk_with("n", &n[..168])
    };
    let wrong_d = jwk_with("d", "AQAB");

    // (case, id given, material, expected code)
    let cases: Vec<(&str, Option<&str>, String, &str)> = vec![
        ("empty", Some(KEY_ID), String::new(), "empty_material"),
        (
            "white space",
            Some(KEY_ID),
            " \n\t ".to_owned(),
            "empty_material",
        ),
        (
            "prose",
            Some(KEY_ID),
            "my signing key".to_owned(),
            "unrecognized_format",
        ),
        (
            "base64 of prose",
            Some(KEY_ID),
            standard_base64("hello world"),
            "decoded_unrecognized",
        ),
        (
            "base64 of binary",
            Some(KEY_ID),
            "AAECAwQFBgf/".to_owned(),
            "decoded_unrecognized",
        ),
        (
            "key id as material",
            Some(KEY_ID),
            KEY_ID.to_owned(),
            "decoded_unrecognized",
        ),
        (
            "signed token",
            Some(KEY_ID),
            token.to_owned(),
            "token_not_key",
        ),
        (
            "SPKI public key",
            Some(KEY_ID),
            public_spki.clone(),
            "not_private_key",
        ),
        (
            "PKCS#1 public key",
            Some(KEY_ID),
            public_pkcs1.clone(),
            "not_private_key",
        ),
        (
            "base64 of public key",
            Some(KEY_ID),
            standard_base64(&public_spki),
            "not_private_key",
        ),
        (
            "certificate",
            Some(KEY_ID),
            certificate.to_owned(),
            "not_private_key",
        ),
        (
            "encrypted PKCS#8",
            Some(KEY_ID),
            encrypted.to_owned(),
            "encrypted_key",
        ),
        (
            "EC label",
            Some(KEY_ID),
            ec_label.to_owned(),
            "unsupported_pem",
        ),
        ("truncated PEM", Some(KEY_ID), truncated, "invalid_pem"),
        (
            "PEM without end",
            Some(KEY_ID),
            pkcs1.replace("-----END RSA PRIVATE KEY-----", ""),
            "invalid_pem",
        ),
        (
            "public JWK",
            None,
            jwk_without(&["d", "p", "q", "dp", "dq", "qi"]),
            "public_jwk",
        ),
        ("EC JWK", None, jwk_with("kty", "EC"), "not_rsa"),
        (
            "PS256 JWK",
            None,
            jwk_with("alg", "PS256"),
            "wrong_algorithm",
        ),
        (
            "JWK with one prime",
            None,
            jwk_without(&["q"]),
            "invalid_jwk",
        ),
        ("JWK with wrong d", None, wrong_d, "invalid_key"),
        (
            "JWK kid differs",
            Some(other_id),
            key().to_jwk_json(),
            "kid_mismatch",
        ),
        ("PEM without id", None, pkcs1.clone(), "missing_id"),
        ("PEM with empty id", Some("  "), pkcs1.clone(), "missing_id"),
        (
            "JWK without kid or id",
            None,
            jwk_without(&["kid"]),
            "missing_id",
        ),
        (
            "id of 31 characters",
            Some(&KEY_ID[1..]),
            pkcs1.clone(),
            "invalid_id",
        ),
        (
            "id not hex",
            Some("0123456789abcdef0123456789abcdeX"),
            pkcs1.clone(),
            "invalid_id",
        ),
        (
            "JWK kid not hex",
            None,
            jwk_with("kid", "my-key"),
            "invalid_id",
        ),
        ("1024-bit PEM", Some(KEY_ID), short_pem, "key_too_short"),
        ("1024-bit JWK", None, short_jwk, "key_too_short"),
    ];

    for (case, id, material, code) in &cases {
        let error = SigningKey::parse(*id, material).expect_err(case);
        assert_eq!(error.code(), *code, "{case}: {error}");
    }
}

#[test]
fn short_key_reports_bits() {
    let error = SigningKey::parse(Some(KEY_ID), &short_key_pem()).unwrap_err();
    assert_eq!(error, KeyError::KeyTooShort { bits: 1024 });
}

#[test]
fn invalid_id_echoes_short_id() {
    let error = SigningKey::parse(Some("abc"), &key().to_pkcs1_pem()).unwrap_err();
    assert_eq!(
        error,
        KeyError::InvalidId {
            id: "\"abc\"".to_owned()
        }
    );
}

#[test]
fn pasted_pem_as_id_not_echoed() {
    let pem = key().to_pkcs1_pem();
    let error = SigningKey::parse(Some(&pem), &pem).unwrap_err();
    assert_eq!(error.code(), "invalid_id");
    assert!(!error.to_string().contains("PRIVATE"), "{error}");
}

#[test]
fn recovered_primes_sign_alike() {
    // A JWK with only n, e and d makes the rsa crate recover p and q, in either order.
    let claims = offstream_signing::TokenClaims::download(
        common::UID,
        KEY_ID,
        offstream_signing::token_times(common::now_unix(), std::time::Duration::from_secs(3600)),
    );
    let recovered = SigningKey::parse(None, &jwk_without(&["p", "q", "dp", "dq", "qi"])).unwrap();
    assert_eq!(
        recovered.sign(&claims).unwrap().expose(),
        key().sign(&claims).unwrap().expose()
    );
}

#[test]
fn pem_and_jwk_sign_alike() {
    // RS256 (PKCS#1 v1.5) is deterministic, so equal keys give equal tokens.
    let claims = offstream_signing::TokenClaims::download(
        common::UID,
        KEY_ID,
        offstream_signing::token_times(common::now_unix(), std::time::Duration::from_secs(3600)),
    );
    let from_jwk = SigningKey::parse(None, &standard_base64(&key().to_jwk_json())).unwrap();
    let from_pem =
        SigningKey::parse(Some(KEY_ID), &standard_base64(&key().to_pkcs1_pem())).unwrap();
    assert_eq!(
        from_jwk.sign(&claims).unwrap().expose(),
        from_pem.sign(&claims).unwrap().expose()
    );
}
