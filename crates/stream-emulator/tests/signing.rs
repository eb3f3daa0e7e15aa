//! Signing keys, the token endpoint and signed delivery URLs over real HTTP.

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::signing::{
    create_key, delivery_url, download_claims, fetch, jwt_part, private_video, sample_m4a,
    sample_mp4, sign, start_instant, unix_now,
};
use common::{error_code, Api};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::header;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use stream_emulator::VideoSpec;

/// Asserts an HTML error page with `status` that mentions `reason` and does not echo `token`.
async fn assert_rejected(url: &str, token: &str, status: StatusCode, reason: &str) {
    let (actual, headers, body) = fetch(url, &[]).await;
    let text = String::from_utf8(body).unwrap();

    assert_eq!(actual, status, "{reason}: {text}");
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{reason}"
    );
    assert!(text.contains(reason), "expected {reason:?} in {text}");
    assert!(!text.contains(token), "page echoes the token: {text}");
}

#[tokio::test]
async fn keys_create_returns_material() {
    let emulator = start_instant().await;
    let api = Api::new(&emulator);

    let key = create_key(&api).await;

    assert_eq!(key.id.len(), 32);
    assert!(key.id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(key.pem.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
    assert!(key
        .pem
        .trim_end()
        .ends_with("-----END RSA PRIVATE KEY-----"));
    assert_eq!(key.jwk["kid"], key.id);
    assert_eq!(key.jwk["kty"], "RSA");
    assert_eq!(key.jwk["alg"], "RS256");
    assert_eq!(key.jwk["use"], "sig");
    for field in ["n", "e", "d", "p", "q", "dp", "dq", "qi"] {
        let value = key.jwk[field].as_str().unwrap_or_default();
        assert!(
            URL_SAFE_NO_PAD
                .decode(value)
                .is_ok_and(|bytes| !bytes.is_empty()),
            "{field}"
        );
    }
    let modulus = URL_SAFE_NO_PAD
        .decode(key.jwk["n"].as_str().unwrap())
        .unwrap();
    assert_eq!(modulus.len() * 8, 2048);
    assert!(time::OffsetDateTime::parse(
        &key.created,
        &time::format_description::well_known::Rfc3339
    )
    .is_ok());
}

#[tokio::test]
async fn keys_list_then_revoke() {
    let emulator = start_instant().await;
    let api = Api::new(&emulator);
    let key = create_key(&api).await;

    let listed = api.get_result("/keys").await;
    let (revoke_status, revoked) = api.json(Method::DELETE, &format!("/keys/{}", key.id)).await;
    let after = api.get_result("/keys").await;
    let (again_status, again) = api.json(Method::DELETE, &format!("/keys/{}", key.id)).await;

    assert_eq!(
        listed,
        json!([{ "id": key.id, "created": key.created }]),
        "listing carries no key material"
    );
    assert_eq!(revoke_status, StatusCode::OK);
    assert_eq!(revoked["result"], "Revoked");
    assert_eq!(after, json!([]));
    assert_eq!(again_status, StatusCode::NOT_FOUND);
    assert_eq!(again["success"], false);
    assert_eq!(error_code(&again), 10014);
}

#[tokio::test]
async fn keys_unknown_delete_404() {
    let emulator = start_instant().await;
    let api = Api::new(&emulator);

    let (status, body) = api
        .json(Method::DELETE, "/keys/0123456789abcdef0123456789abcdef")
        .await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["result"].is_null());
    assert_eq!(error_code(&body), 10014);
}

#[tokio::test]
async fn keys_reject_non_object_body() {
    let emulator = start_instant().await;
    let api = Api::new(&emulator);

    let (status, body) = api.json_with_body(Method::POST, "/keys", &json!([1])).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), 10011);
}

#[tokio::test]
async fn keys_need_api_token() {
    let emulator = start_instant().await;
    let url = format!(
        "{}/accounts/{}/stream/keys",
        emulator.api_base(),
        emulator.account_id()
    );

    let response = reqwest::Client::new()
        .post(url)
        .bearer_auth("wrongtoken0000000000000000000000000000000")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn revoked_key_stops_tokens() {
    let emulator = start_instant().await;
    let api = Api::new(&emulator);
    let uid = private_video(&emulator, &api).await;
    let key = create_key(&api).await;
    let token = sign(&key.pem, &key.id, &download_claims(&uid));
    let url = delivery_url(&emulator, &token, "default.mp4");

    let (before, _, _) = fetch(&url, &[]).await;
    api.json(Method::DELETE, &format!("/keys/{}", key.id)).await;

    assert_eq!(before, StatusCode::OK);
    assert_rejected(&url, &token, StatusCode::UNAUTHORIZED, "revoked").await;
}

#[tokio::test]
async fn self_signed_token_serves_private() {
    let emulator = start_instant().await;
    let api = Api::new(&emulator);
    let uid = private_video(&emulator, &api).await;
    let key = create_key(&api).await;
    let token = sign(&key.pem, &key.id, &download_claims(&uid));
    let expected = sample_mp4();

    let (full_status, _, full) = fetch(&delivery_url(&emulator, &token, "default.mp4"), &[]).await;
    let (part_status, part_headers, part) = fetch(
        &delivery_url(&emulator, &token, "default.mp4"),
        &[(header::RANGE, "bytes=1000-1999")],
    )
    .await;
    let (audio_status, _, audio) = fetch(&delivery_url(&emulator, &token, "audio.m4a"), &[]).await;

    assert_eq!(full_status, StatusCode::OK);
    assert_eq!(full, expected);
    assert_eq!(part_status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part, &expected[1000..2000]);
    assert_eq!(
        part_headers[header::CONTENT_RANGE],
        format!("bytes 1000-1999/{}", expected.len()).as_str()
    );
    assert_eq!(audio_status, StatusCode::OK);
    assert_eq!(audio, sample_m4a());
}

#[tokio::test]
async fn token_accepted_for_public_video() {
    let emulator = start_instant().await;
    let api = Api::new(&emulator);
    let uid = emulator.add_video(VideoSpec::default());
    api.json(Method::POST, &format!("/{uid}/downloads")).await;
    let key = create_key(&api).await;
    let token = sign(&key.pem, &key.id, &download_claims(&uid));

    let (status, _, body) = fetch(&delivery_url(&emulator, &token, "default.mp4"), &[]).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, sample_mp4());
}

#[tokio::test]
async fn uid_only_private_is_401() {
    let emulator = start_instant().await;
    let api = Api::new(&emulator);
    let uid = private_video(&emulator, &api).await;

    let (status, _, _) = fetch(&delivery_url(&emulator, &uid, "default.mp4"), &[]).await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn delivery_rejections_table() {
    let emulator = start_instant().await;
    let api = Api::new(&emulator);
    let uid = private_video(&emulator, &api).await;
    let key = create_key(&api).await;
    let other = create_key(&api).await;
    let now = unix_now();
    let with = |changes: Value| {
        let mut claims = download_claims(&uid);
        for (name, value) in changes.as_object().unwrap() {
            claims[name] = value.clone();
        }
        claims
    };
    let mut hs256 = Header::new(Algorithm::HS256);
    hs256.kid = Some(key.id.clone());
    let hs256_token = jsonwebtoken::encode(
        &hs256,
        &download_claims(&uid),
        &EncodingKey::from_secret(b"shared secret").unwrap(),
    )
    .unwrap();
    let no_downloadable = {
        let mut claims = download_claims(&uid);
        claims.as_object_mut().unwrap().remove("downloadable");
        claims
    };

    let cases: Vec<(&str, String, StatusCode, &str)> = vec![
        (
            "malformed",
            "not-a.jwt".to_owned(),
            StatusCode::UNAUTHORIZED,
            "malformed",
        ),
        ("not RS256", hs256_token, StatusCode::UNAUTHORIZED, "RS256"),
        (
            "unknown kid",
            sign(
                &key.pem,
                "0123456789abcdef0123456789abcdef",
                &download_claims(&uid),
            ),
            StatusCode::UNAUTHORIZED,
            "unknown",
        ),
        (
            "signed by another key",
            sign(&other.pem, &key.id, &download_claims(&uid)),
            StatusCode::UNAUTHORIZED,
            "signature",
        ),
        (
            "unknown sub",
            sign(
                &key.pem,
                &key.id,
                &with(json!({"sub": "ffffffffffffffffffffffffffffffff"})),
            ),
            StatusCode::NOT_FOUND,
            "names no video",
        ),
        (
            "nbf ahead",
            sign(&key.pem, &key.id, &with(json!({"nbf": now + 120}))),
            StatusCode::UNAUTHORIZED,
            "not valid yet",
        ),
        (
            "exp past",
            sign(&key.pem, &key.id, &with(json!({"exp": now - 1}))),
            StatusCode::UNAUTHORIZED,
            "expired",
        ),
        (
            "exp not numeric",
            sign(&key.pem, &key.id, &with(json!({"exp": "tomorrow"}))),
            StatusCode::UNAUTHORIZED,
            "not a number",
        ),
        (
            "no downloadable",
            sign(&key.pem, &key.id, &no_downloadable),
            StatusCode::FORBIDDEN,
            "downloadable",
        ),
        (
            "blocked by ip rule",
            sign(
                &key.pem,
                &key.id,
                &with(json!({"accessRules": [
                    {"type": "ip.src", "action": "block", "ip": ["127.0.0.0/8"]},
                    {"type": "any", "action": "allow"}
                ]})),
            ),
            StatusCode::FORBIDDEN,
            "access rule",
        ),
        (
            "invalid rules",
            sign(
                &key.pem,
                &key.id,
                &with(json!({"accessRules": [{"type": "ip.src", "action": "deny"}]})),
            ),
            StatusCode::UNAUTHORIZED,
            "accessRules",
        ),
    ];

    for (case, token, status, reason) in cases {
        let url = delivery_url(&emulator, &token, "default.mp4");
        let (actual, _, body) = fetch(&url, &[]).await;
        let text = String::from_utf8(body).unwrap();
        assert_eq!(actual, status, "{case}: {text}");
        assert!(text.contains(reason), "{case}: {text}");
        assert!(!text.contains(&token), "{case} echoes the token");
    }
}

#[tokio::test]
async fn delivery_accepts_variants() {
    let emulator = start_instant().await;
    let api = Api::new(&emulator);
    let uid = private_video(&emulator, &api).await;
    let key = create_key(&api).await;
    let now = unix_now();
    let cases = [
        (
            "string times",
            json!({"sub": uid, "exp": (now + 60).to_string(), "nbf": (now - 60).to_string(), "downloadable": true}),
        ),
        (
            "no nbf",
            json!({"sub": uid, "exp": now + 60, "downloadable": true}),
        ),
        (
            "allow rule before block",
            json!({"sub": uid, "exp": now + 60, "downloadable": true, "accessRules": [
                {"type": "ip.src", "action": "allow", "ip": ["127.0.0.1"]},
                {"type": "any", "action": "block"}
            ]}),
        ),
        (
            "country rule never matches loopback",
            json!({"sub": uid, "exp": now + 60, "downloadable": true, "accessRules": [
                {"type": "ip.geoip.country", "action": "block", "country": ["US"]}
            ]}),
        ),
    ];

    for (case, claims) in cases {
        let token = sign(&key.pem, &key.id, &claims);
        let (status, _, body) = fetch(&delivery_url(&emulator, &token, "default.mp4"), &[]).await;
        assert_eq!(status, StatusCode::OK, "{case}");
        assert_eq!(body.len(), sample_mp4().len(), "{case}");
    }
}

#[tokio::test]
async fn rejection_page_hides_token() {
    let emulator = start_instant().await;
    let api = Api::new(&emulator);
    let uid = private_video(&emulator, &api).await;
    let key = create_key(&api).await;
    let mut claims = download_claims(&uid);
    claims["exp"] = json!(unix_now() - 10);
    let token = sign(&key.pem, &key.id, &claims);

    assert_rejected(
        &delivery_url(&emulator, &token, "audio.m4a"),
        &token,
        StatusCode::UNAUTHORIZED,
        "expired",
    )
    .await;
}

#[tokio::test]
async fn token_endpoint_defaults() {
    let emulator = start_instant().await;
    let api = Api::new(&emulator);
    let uid = private_video(&emulator, &api).await;
    let issued_at = unix_now();

    let (status, body) = api.json(Method::POST, &format!("/{uid}/token")).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["success"], true);
    let token = body["result"]["token"].as_str().unwrap();
    let header = jwt_part(token, 0);
    let payload = jwt_part(token, 1);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["kid"], payload["kid"]);
    assert_eq!(header["kid"].as_str().map(str::len), Some(32));
    assert_eq!(payload["sub"], uid);
    let exp: i64 = payload["exp"]
        .as_str()
        .expect("exp is a string")
        .parse()
        .unwrap();
    let nbf: i64 = payload["nbf"]
        .as_str()
        .expect("nbf is a string")
        .parse()
        .unwrap();
    assert!((exp - (issued_at + 3600)).abs() <= 2, "exp {exp}");
    assert!((nbf - (issued_at - 3600)).abs() <= 2, "nbf {nbf}");
    assert!(payload.get("downloadable").is_none(), "{payload}");
}

#[tokio::test]
async fn token_endpoint_default_not_downloadable() {
    let emulator = start_instant().await;
    let api = Api::new(&emulator);
    let uid = private_video(&emulator, &api).await;
    let (_, body) = api.json(Method::POST, &format!("/{uid}/token")).await;
    let token = body["result"]["token"].as_str().unwrap().to_owned();

    assert_rejected(
        &delivery_url(&emulator, &token, "default.mp4"),
        &token,
        StatusCode::FORBIDDEN,
        "downloadable",
    )
    .await;
}

#[tokio::test]
async fn token_endpoint_downloadable_serves() {
    let emulator = start_instant().await;
    let api = Api::new(&emulator);
    let uid = private_video(&emulator, &api).await;

    let (status, body) = api
        .json_with_body(
            Method::POST,
            &format!("/{uid}/token"),
            &json!({"downloadable": true, "exp": unix_now() + 600}),
        )
        .await;
    let token = body["result"]["token"].as_str().unwrap();
    let (delivered, _, bytes) = fetch(&delivery_url(&emulator, token, "default.mp4"), &[]).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(jwt_part(token, 1)["downloadable"], true);
    assert_eq!(delivered, StatusCode::OK);
    assert_eq!(bytes, sample_mp4());
}

#[tokio::test]
async fn token_endpoint_own_key() {
    let emulator = start_instant().await;
    let api = Api::new(&emulator);
    let uid = private_video(&emulator, &api).await;
    let key = create_key(&api).await;

    let (status, body) = api
        .json_with_body(
            Method::POST,
            &format!("/{uid}/token"),
            &json!({"id": key.id, "pem": key.pem_base64, "downloadable": true}),
        )
        .await;
    let token = body["result"]["token"].as_str().unwrap();
    let (delivered, _, _) = fetch(&delivery_url(&emulator, token, "default.mp4"), &[]).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(jwt_part(token, 0)["kid"], key.id);
    assert_eq!(delivered, StatusCode::OK);
}

#[tokio::test]
async fn token_endpoint_rejects_bad_requests() {
    let emulator = start_instant().await;
    let api = Api::new(&emulator);
    let uid = emulator.add_video(VideoSpec::default());
    let now = unix_now();
    let cases = [
        ("exp beyond 24 h", json!({"exp": now + 24 * 3600 + 60})),
        ("exp in milliseconds", json!({"exp": (now + 600) * 1000})),
        ("exp as text", json!({"exp": "soon"})),
        (
            "id without pem",
            json!({"id": "0123456789abcdef0123456789abcdef"}),
        ),
        (
            "pem not base64",
            json!({"id": "a", "pem": "-----BEGIN RSA PRIVATE KEY-----"}),
        ),
        (
            "six rules",
            json!({"accessRules": vec![json!({"type": "any", "action": "allow"}); 6]}),
        ),
    ];

    for (case, request) in cases {
        let (status, body) = api
            .json_with_body(Method::POST, &format!("/{uid}/token"), &request)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{case}: {body}");
        assert_eq!(body["success"], false, "{case}");
        assert_eq!(error_code(&body), 10011, "{case}");
    }
}

#[tokio::test]
async fn token_endpoint_exp_at_limit() {
    let emulator = start_instant().await;
    let api = Api::new(&emulator);
    let uid = emulator.add_video(VideoSpec::default());

    let (status, body) = api
        .json_with_body(
            Method::POST,
            &format!("/{uid}/token"),
            &json!({"exp": unix_now() + 24 * 3600 - 5}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn token_endpoint_extreme_exp() {
    let emulator = start_instant().await;
    let api = Api::new(&emulator);
    let uid = emulator.add_video(VideoSpec::default());
    let path = format!("/{uid}/token");

    let (past, _) = api
        .json_with_body(Method::POST, &path, &json!({"exp": i64::MIN}))
        .await;
    let (future, _) = api
        .json_with_body(Method::POST, &path, &json!({"exp": i64::MAX}))
        .await;

    assert_eq!(past, StatusCode::OK);
    assert_eq!(future, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn token_endpoint_unknown_video() {
    let emulator = start_instant().await;
    let api = Api::new(&emulator);

    let (status, body) = api
        .json(Method::POST, "/ffffffffffffffffffffffffffffffff/token")
        .await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), 10005);
}

#[tokio::test]
async fn token_endpoint_counted() {
    let emulator = start_instant().await;
    let api = Api::new(&emulator);
    let uid = emulator.add_video(VideoSpec::default());

    api.json(Method::POST, &format!("/{uid}/token")).await;
    api.json(Method::POST, &format!("/{uid}/token")).await;

    assert_eq!(emulator.counters().token_requests, 2);
}

#[tokio::test]
async fn issued_secrets_cover_handouts() {
    let emulator = start_instant().await;
    let api = Api::new(&emulator);
    let uid = private_video(&emulator, &api).await;
    let key = create_key(&api).await;
    let (_, issued) = api.json(Method::POST, &format!("/{uid}/token")).await;
    let issued = issued["result"]["token"].as_str().unwrap().to_owned();
    let presented = sign(&key.pem, &key.id, &download_claims(&uid));
    fetch(&delivery_url(&emulator, &presented, "default.mp4"), &[]).await;

    let secrets = emulator.issued_secrets();

    let expected = [
        ("API token", emulator.api_token().to_owned()),
        ("pem base64", key.pem_base64.clone()),
        ("pem text", key.pem.clone()),
        ("jwk base64", key.jwk_base64.clone()),
        ("jwk text", key.jwk_text.clone()),
        ("jwk d", key.jwk["d"].as_str().unwrap().to_owned()),
        ("issued token", issued),
        ("presented token", presented),
    ];
    for (name, secret) in expected {
        assert!(secrets.contains(&secret), "{name} missing");
    }
    assert!(!secrets.contains(&uid), "a uid is not a secret");
}
