//! Private videos (`requireSignedURLs`) end to end against the emulator, which checks tokens as
//! the real service does: RS256 signatures against the keys it issued, `sub`, `exp`/`nbf` by
//! its own clock, and `downloadable` on download paths.

mod support;

use std::sync::Arc;
use std::time::Duration;

use offstream_engine::{EngineError, JobPhase, JobSnapshot, TokenSigner};
use offstream_signing::SigningKey;
use offstream_stream::{DownloadType, StreamClient};
use stream_emulator::{Emulator, EmulatorConfig, MediaFile, RunningEmulator, Seed, VideoSpec};

use support::{fast_options, sha256_hex, Setup};

/// Maximum time one job may take in this suite.
const JOB_TIMEOUT: Duration = Duration::from_secs(60);

/// Returns the larger sample, so a throttled transfer lasts long enough to change things midway.
fn large_sample() -> Vec<u8> {
    std::fs::read(support::samples_dir().join("fractal-dive.mp4")).expect("sample mp4")
}

fn audio_sample() -> Vec<u8> {
    std::fs::read(support::samples_dir().join("fractal-dive.m4a")).expect("sample m4a")
}

async fn emulator() -> RunningEmulator {
    let config = EmulatorConfig {
        seed: Seed::Empty,
        prepare_time: Duration::from_millis(200),
        ..EmulatorConfig::default()
    };
    Emulator::start(config).await.expect("emulator starts")
}

fn add_private(emulator: &RunningEmulator) -> String {
    emulator.add_video(VideoSpec {
        name: Some("Members only".to_owned()),
        media: MediaFile::from_bytes(bytes::Bytes::from(large_sample())),
        audio: Some(MediaFile::from_bytes(bytes::Bytes::from(audio_sample()))),
        require_signed_urls: true,
        ..VideoSpec::default()
    })
}

fn client(emulator: &RunningEmulator) -> StreamClient {
    support::client(
        &emulator.api_base(),
        emulator.account_id(),
        emulator.api_token(),
    )
}

/// Creates a key on the emulator's account, as `offstream keys create` does.
async fn account_key(client: &StreamClient) -> Arc<SigningKey> {
    let created = client.create_signing_key().await.expect("key created");
    let key = SigningKey::parse(Some(&created.id), created.pem.expose()).expect("key parses");
    Arc::new(key)
}

fn setup_with(emulator: &RunningEmulator, signer: TokenSigner, retries: u32) -> Setup {
    let options = offstream_engine::EngineOptions {
        transfer_retries: retries,
        ..fast_options()
    };
    let setup = Setup::new(client(emulator), options);
    setup.manager.set_signer(signer);
    setup
}

async fn wait(setup: &Setup, id: i64) -> Result<offstream_engine::LibraryItem, EngineError> {
    tokio::time::timeout(JOB_TIMEOUT, setup.manager.wait(id))
        .await
        .expect("the job ends in time")
}

async fn wait_for_bytes(
    events: &mut tokio::sync::broadcast::Receiver<JobSnapshot>,
    id: i64,
    at_least: u64,
) {
    tokio::time::timeout(JOB_TIMEOUT, async {
        loop {
            let snapshot = events.recv().await.expect("event stream open");
            if snapshot.id == id
                && snapshot.phase == JobPhase::Transferring
                && snapshot.bytes_done >= at_least
            {
                return;
            }
        }
    })
    .await
    .expect("the transfer gets going in time");
}

#[tokio::test]
async fn key_signed_download_matches_source() {
    let emulator = emulator().await;
    let uid = add_private(&emulator);
    let key = account_key(&client(&emulator)).await;
    let setup = setup_with(&emulator, TokenSigner::Key(key), 0);

    let id = setup.manager.start(&uid, DownloadType::Default).unwrap();
    let item = wait(&setup, id).await.unwrap();

    assert_eq!(item.sha256, sha256_hex(&large_sample()));
    assert_eq!(std::fs::read(&item.path).unwrap(), large_sample());
}

#[tokio::test]
async fn token_api_audio_matches_source() {
    let emulator = emulator().await;
    let uid = add_private(&emulator);
    let setup = setup_with(&emulator, TokenSigner::TokenApi, 0);

    let id = setup.manager.start(&uid, DownloadType::Audio).unwrap();
    let item = wait(&setup, id).await.unwrap();

    assert_eq!(std::fs::read(&item.path).unwrap(), audio_sample());
    assert!(emulator.counters().token_requests >= 1);
}

#[tokio::test]
async fn missing_signer_fails_before_enabling() {
    let emulator = emulator().await;
    let uid = add_private(&emulator);
    let setup = setup_with(&emulator, TokenSigner::None, 0);

    let id = setup.manager.start(&uid, DownloadType::Default).unwrap();
    let error = wait(&setup, id).await.unwrap_err();

    assert_eq!(error.code(), "signing_key_needed");
    assert!(error.to_string().contains("offstream keys"), "{error}");
    let enabled = emulator.download_status(&uid, stream_emulator::DownloadType::Default);
    assert!(enabled.is_none(), "nothing was enabled on the account");
    assert!(setup.library_names().is_empty());
}

#[tokio::test]
async fn skewed_clocks_still_sign_valid_tokens() {
    // Ten minutes fit inside the token margins; two hours work only because token times follow
    // the server clock measured from the `Date` header.
    for offset in [-600, 600, -7200, 7200] {
        let emulator = emulator().await;
        emulator.set_clock_offset(offset);
        let uid = add_private(&emulator);
        let key = account_key(&client(&emulator)).await;
        let setup = setup_with(&emulator, TokenSigner::Key(key), 0);

        let id = setup.manager.start(&uid, DownloadType::Default).unwrap();
        let item = wait(&setup, id).await;

        assert!(item.is_ok(), "offset {offset}: {:?}", item.err());
    }
}

#[tokio::test]
async fn token_expiry_mid_transfer_resumes() {
    let emulator = emulator().await;
    let uid = add_private(&emulator);
    let source = large_sample();
    let key = account_key(&client(&emulator)).await;
    let setup = setup_with(&emulator, TokenSigner::Key(key), 3);
    let mut events = setup.manager.subscribe();

    // Slow enough that the token can expire midway; the emulator then drops the connection.
    emulator.set_delivery_rate(Some(200_000));
    emulator.set_cut_on_token_expiry(true);
    let id = setup.manager.start(&uid, DownloadType::Default).unwrap();
    wait_for_bytes(&mut events, id, 100_000).await;

    // A day passes on the server's clock: every token signed so far has expired.
    emulator.set_clock_offset(25 * 3600);
    emulator.set_delivery_rate(None);
    let item = wait(&setup, id).await.unwrap();

    assert_eq!(std::fs::read(&item.path).unwrap(), source);
    let sent = emulator.counters().delivery_bytes;
    let resent = sent.saturating_sub(source.len() as u64);
    assert!(
        resent <= 64 * 1024,
        "{resent} bytes sent twice of {}",
        source.len()
    );
}

#[tokio::test]
async fn revoked_key_fails_and_keeps_part() {
    let emulator = emulator().await;
    let uid = add_private(&emulator);
    let api = client(&emulator);
    let key = account_key(&api).await;
    let key_id = key.id().to_owned();
    let setup = setup_with(&emulator, TokenSigner::Key(key), 3);
    let mut events = setup.manager.subscribe();

    emulator.set_delivery_rate(Some(200_000));
    emulator.set_cut_on_token_expiry(true);
    let id = setup.manager.start(&uid, DownloadType::Default).unwrap();
    wait_for_bytes(&mut events, id, 100_000).await;

    // The key is revoked and the running token expires, so every fresh token is refused.
    api.revoke_signing_key(&key_id).await.unwrap();
    emulator.set_clock_offset(25 * 3600);
    let error = wait(&setup, id).await.unwrap_err();

    assert_eq!(error.code(), "signing_key_revoked", "{error}");
    assert!(error.to_string().contains(&key_id));
    let job = setup.catalog.job(id).unwrap().unwrap();
    let part = job.part_path.expect("the partial file is kept");
    let kept = std::fs::read(&part).unwrap();
    assert!(kept.len() >= 100_000, "{} bytes kept", kept.len());
    assert_eq!(kept, large_sample()[..kept.len()]);
}

#[tokio::test]
async fn errors_never_hold_a_secret() {
    let emulator = emulator().await;
    let uid = add_private(&emulator);
    let api = client(&emulator);
    let key = account_key(&api).await;
    let key_id = key.id().to_owned();
    api.revoke_signing_key(&key_id).await.unwrap();
    let setup = setup_with(&emulator, TokenSigner::Key(key), 1);

    let id = setup.manager.start(&uid, DownloadType::Default).unwrap();
    let error = wait(&setup, id).await.unwrap_err();
    let stored = setup.catalog.job(id).unwrap().unwrap();
    let shown = format!("{error} {error:?} {:?}", stored);

    for secret in emulator.issued_secrets() {
        assert!(!shown.contains(&secret), "a secret leaked into the error");
    }
}
