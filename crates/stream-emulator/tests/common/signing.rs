//! Helpers for signed-URL tests: signing keys from the API, tokens signed by the test itself
//! with `jsonwebtoken`, private videos with ready downloads, and delivery requests.

use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::header::{HeaderMap, HeaderName};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use stream_emulator::{EmulatorConfig, RunningEmulator, Seed, VideoSpec};

use super::{start, Api};

/// A key as `POST .../stream/keys` returned it, with the encodings decoded.
pub struct ApiKey {
    pub id: String,
    pub created: String,
    pub pem_base64: String,
    pub pem: String,
    pub jwk_base64: String,
    /// The decoded JWK JSON text.
    pub jwk_text: String,
    pub jwk: Value,
}

/// Starts an emulator with no videos whose downloads are ready at once.
pub async fn start_instant() -> RunningEmulator {
    start(EmulatorConfig {
        seed: Seed::Empty,
        prepare_time: Duration::ZERO,
        ..EmulatorConfig::default()
    })
    .await
}

/// Creates a signing key through the API.
pub async fn create_key(api: &Api) -> ApiKey {
    let (status, body) = api.json(Method::POST, "/keys").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let result = &body["result"];
    let text = |name: &str| result[name].as_str().unwrap().to_owned();
    let pem_base64 = text("pem");
    let jwk_base64 = text("jwk");
    let jwk_text = String::from_utf8(STANDARD.decode(&jwk_base64).unwrap()).unwrap();

    ApiKey {
        id: text("id"),
        created: text("created"),
        pem: String::from_utf8(STANDARD.decode(&pem_base64).unwrap()).unwrap(),
        jwk: serde_json::from_str(&jwk_text).unwrap(),
        jwk_text,
        pem_base64,
        jwk_base64,
    }
}

/// Signs `claims` with RS256 and the key's PEM, naming `kid` in the header.
pub fn sign(pem: &str, kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    let key = EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

/// Returns real time in Unix seconds.
pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Returns download claims for `uid` valid from an hour ago to an hour ahead (real time).
pub fn download_claims(uid: &str) -> Value {
    json!({
        "sub": uid,
        "exp": unix_now() + 3600,
        "nbf": unix_now() - 3600,
        "downloadable": true,
    })
}

/// Adds a private video and creates its MP4 and M4A downloads; returns its uid.
pub async fn private_video(emulator: &RunningEmulator, api: &Api) -> String {
    let uid = emulator.add_video(VideoSpec {
        require_signed_urls: true,
        ..VideoSpec::named("private clip")
    });
    for kind in ["default", "audio"] {
        let (status, body) = api
            .json(Method::POST, &format!("/{uid}/downloads/{kind}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    uid
}

/// Returns the delivery URL of `file` (`default.mp4` or `audio.m4a`) with `id` as the id segment.
pub fn delivery_url(emulator: &RunningEmulator, id: &str, file: &str) -> String {
    format!("{}/{id}/downloads/{file}", emulator.delivery_base())
}

/// Sends a GET and returns the status, headers and whole body.
pub async fn fetch(url: &str, headers: &[(HeaderName, &str)]) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut request = reqwest::Client::new().get(url);
    for (name, value) in headers {
        request = request.header(name.clone(), *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

/// Decodes part `index` (0 = header, 1 = payload) of a compact JWT.
pub fn jwt_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// Returns the bytes of the first sample's MP4, which [`VideoSpec::default`] serves.
pub fn sample_mp4() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../samples/aurora-bars.mp4"
    ))
    .unwrap()
}

/// Returns the bytes of the first sample's M4A.
pub fn sample_m4a() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../samples/aurora-bars.m4a"
    ))
    .unwrap()
}
