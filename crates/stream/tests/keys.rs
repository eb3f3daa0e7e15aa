//! Signing keys, the token endpoint and the server clock against the emulator.

use std::time::Duration;

use offstream_stream::{ApiToken, ClientConfig, Error, StreamClient, TokenOptions};
use stream_emulator::{Emulator, EmulatorConfig, RunningEmulator, Seed, VideoSpec};

fn client_for(emulator: &RunningEmulator) -> StreamClient {
    let config = ClientConfig::new(emulator.account_id(), ApiToken::new(emulator.api_token()))
        .with_api_base(emulator.api_base());
    StreamClient::new(config).unwrap()
}

async fn emulator_with_offset(offset_secs: i64) -> RunningEmulator {
    let config = EmulatorConfig {
        seed: Seed::Empty,
        prepare_time: Duration::from_millis(100),
        clock_offset_secs: offset_secs,
        ..EmulatorConfig::default()
    };
    Emulator::start(config).await.unwrap()
}

#[tokio::test]
async fn created_key_is_listed_until_revoked() {
    let emulator = emulator_with_offset(0).await;
    let client = client_for(&emulator);

    let created = client.create_signing_key().await.unwrap();
    let listed = client.signing_keys().await.unwrap();
    assert!(listed.iter().any(|key| key.id == created.id));
    assert!(!created.pem.expose().is_empty());

    client.revoke_signing_key(&created.id).await.unwrap();
    let listed = client.signing_keys().await.unwrap();
    assert!(listed.iter().all(|key| key.id != created.id));
}

#[tokio::test]
async fn revoking_unknown_key_is_not_found() {
    let emulator = emulator_with_offset(0).await;
    let error = client_for(&emulator)
        .revoke_signing_key("0123456789abcdef0123456789abcdef")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotFound { .. }), "{error:?}");
}

#[tokio::test]
async fn revoke_rejects_path_characters() {
    let emulator = emulator_with_offset(0).await;
    let error = client_for(&emulator)
        .revoke_signing_key("../videos")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error:?}");
}

#[tokio::test]
async fn token_endpoint_returns_downloadable_token() {
    let emulator = emulator_with_offset(0).await;
    let uid = emulator.add_video(VideoSpec {
        require_signed_urls: true,
        ..VideoSpec::default()
    });
    let options = TokenOptions {
        downloadable: true,
        ..TokenOptions::default()
    };

    let token = client_for(&emulator)
        .create_token(&uid, &options)
        .await
        .unwrap();
    let claims = offstream_signing::peek_claims(token.expose()).unwrap();

    assert!(claims.downloadable);
    assert_eq!(claims.sub.as_deref(), Some(uid.as_str()));
    assert!(!format!("{token:?}").contains(token.expose()));
}

#[tokio::test]
async fn token_for_unknown_video_is_not_found() {
    let emulator = emulator_with_offset(0).await;
    let error = client_for(&emulator)
        .create_token("0123456789abcdef0123456789abcdef", &TokenOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotFound { .. }), "{error:?}");
}

#[tokio::test]
async fn server_clock_follows_date_header() {
    for offset in [-600_i64, 0, 7200] {
        let emulator = emulator_with_offset(offset).await;
        let client = client_for(&emulator);
        assert_eq!(client.server_clock().skew_secs(), None);

        client.signing_keys().await.unwrap();
        let skew = client
            .server_clock()
            .skew_secs()
            .expect("a Date header was seen");

        assert!(
            (skew - offset).abs() <= 2,
            "offset {offset}, measured {skew}"
        );
        assert_eq!(client.server_clock().is_skew_large(), offset.abs() > 120);
    }
}
