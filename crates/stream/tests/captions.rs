//! Caption tracks and their WebVTT text, against the Stream emulator over real HTTP.

use std::time::Duration;

use offstream_stream::{ApiToken, CaptionStatus, ClientConfig, Error, StreamClient};
use stream_emulator::{
    ApiFault, Caption, CaptionStatus as EmulatorStatus, Emulator, EmulatorConfig, RunningEmulator,
    Seed, VideoSpec,
};

const ENGLISH: &str = "WEBVTT\n\n00:00.000 --> 00:01.500\nWelcome back.\n";
const JAPANESE: &str = "WEBVTT\n\n00:00.000 --> 00:01.500\nおかえりなさい。\n";

async fn emulator() -> RunningEmulator {
    let config = EmulatorConfig {
        seed: Seed::Empty,
        prepare_time: Duration::from_millis(100),
        ..EmulatorConfig::default()
    };
    Emulator::start(config).await.unwrap()
}

fn client_for(emulator: &RunningEmulator) -> StreamClient {
    let config = ClientConfig::new(emulator.account_id(), ApiToken::new(emulator.api_token()))
        .with_api_base(emulator.api_base());
    StreamClient::new(config).unwrap()
}

fn add_with_captions(emulator: &RunningEmulator, captions: Vec<Caption>) -> String {
    emulator.add_video(VideoSpec {
        captions,
        ..VideoSpec::named("Lecture 1")
    })
}

fn bilingual() -> Vec<Caption> {
    vec![
        Caption::ready("en", "English", ENGLISH),
        Caption::ready("ja", "日本語", JAPANESE),
    ]
}

#[tokio::test]
async fn captions_lists_tracks() {
    let emulator = emulator().await;
    let mut tracks = bilingual();
    tracks.push(Caption {
        generated: true,
        status: EmulatorStatus::Error,
        ..Caption::ready("de", "Deutsch (automatisch)", "")
    });
    let uid = add_with_captions(&emulator, tracks);
    let client = client_for(&emulator);

    let captions = client.captions(&uid).await.unwrap();

    let languages: Vec<&str> = captions.iter().map(|c| c.language.as_str()).collect();
    assert_eq!(languages, ["en", "ja", "de"]);
    assert_eq!(captions[1].label.as_deref(), Some("日本語"));
    assert_eq!(captions[0].status, CaptionStatus::Ready);
    assert_eq!(captions[2].status, CaptionStatus::Error);
    assert!(captions[2].generated);
}

#[tokio::test]
async fn captions_empty_for_video_without() {
    let emulator = emulator().await;
    let uid = add_with_captions(&emulator, Vec::new());
    let client = client_for(&emulator);

    let captions = client.captions(&uid).await.unwrap();

    assert!(captions.is_empty());
}

#[tokio::test]
async fn captions_unknown_video_not_found() {
    let emulator = emulator().await;
    let client = client_for(&emulator);

    let error = client
        .captions("0123456789abcdef0123456789abcdef")
        .await
        .unwrap_err();

    assert!(matches!(error, Error::NotFound { .. }), "{error:?}");
}

#[tokio::test]
async fn caption_vtt_returns_text() {
    let emulator = emulator().await;
    let uid = add_with_captions(&emulator, bilingual());
    let client = client_for(&emulator);

    let text = client.caption_vtt(&uid, "ja").await.unwrap();

    assert_eq!(text, JAPANESE);
}

#[tokio::test]
async fn caption_vtt_keeps_bom() {
    let emulator = emulator().await;
    let body = format!("\u{FEFF}{ENGLISH}");
    let uid = add_with_captions(
        &emulator,
        vec![Caption::ready("en", "English", body.clone())],
    );
    let client = client_for(&emulator);

    let text = client.caption_vtt(&uid, "en").await.unwrap();

    assert_eq!(text, body);
}

#[tokio::test]
async fn caption_vtt_rejects_html() {
    let emulator = emulator().await;
    let page = "<!DOCTYPE html><html><body>Sign in</body></html>";
    let uid = add_with_captions(&emulator, vec![Caption::ready("en", "English", page)]);
    let client = client_for(&emulator);

    let error = client.caption_vtt(&uid, "en").await.unwrap_err();

    assert!(matches!(error, Error::InvalidResponse { .. }), "{error:?}");
    assert!(error.to_string().contains("WEBVTT"), "{error}");
}

#[tokio::test]
async fn caption_vtt_hides_signed_url() {
    let emulator = emulator().await;
    let url = "https://customer-abc.cloudflarestream.com/eyJhbGciOiJSUzI1NiIsImtpZCI6ImFiYyJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl/thumbnails/thumbnail.jpg";
    let page = format!("<html>Moved to {url}</html>");
    let uid = add_with_captions(&emulator, vec![Caption::ready("en", "English", page)]);
    let client = client_for(&emulator);

    let error = client.caption_vtt(&uid, "en").await.unwrap_err();

    let text = format!("{error} {error:?}");
    assert!(
        !text.contains("eyJhbGciOiJSUzI1NiIsImtpZCI6ImFiYyJ9"),
        "{text}"
    );
}

#[tokio::test]
async fn caption_vtt_unknown_language_not_found() {
    let emulator = emulator().await;
    let uid = add_with_captions(&emulator, bilingual());
    let client = client_for(&emulator);

    let error = client.caption_vtt(&uid, "fr").await.unwrap_err();

    assert!(matches!(error, Error::NotFound { .. }), "{error:?}");
    assert!(error.to_string().contains("'fr'"), "{error}");
}

#[tokio::test]
async fn caption_vtt_rejects_path_language() {
    let emulator = emulator().await;
    let uid = add_with_captions(&emulator, bilingual());
    let client = client_for(&emulator);

    let error = client.caption_vtt(&uid, "../en").await.unwrap_err();

    assert!(matches!(error, Error::Config(_)), "{error:?}");
    assert_eq!(emulator.request_count(), 0);
}

#[tokio::test]
async fn caption_vtt_rate_limit_is_typed() {
    let emulator = emulator().await;
    let uid = add_with_captions(&emulator, bilingual());
    let client = client_for(&emulator);
    emulator
        .inject_api_fault(ApiFault::Status {
            status: 429,
            retry_after: Some(7),
            html: false,
        })
        .unwrap();

    let error = client.caption_vtt(&uid, "en").await.unwrap_err();

    assert!(
        matches!(error, Error::RateLimited { retry_after: Some(wait) } if wait.as_secs() == 7),
        "{error:?}"
    );
}

#[tokio::test]
async fn caption_vtt_server_error_is_transient() {
    let emulator = emulator().await;
    let uid = add_with_captions(&emulator, bilingual());
    let client = client_for(&emulator);
    emulator
        .inject_api_fault(ApiFault::Status {
            status: 502,
            retry_after: None,
            html: true,
        })
        .unwrap();

    let error = client.caption_vtt(&uid, "en").await.unwrap_err();

    assert!(
        matches!(error, Error::Server { status: 502, .. }),
        "{error:?}"
    );
    assert!(error.is_transient());
}

#[tokio::test]
async fn caption_vtt_wrong_token_is_auth() {
    let emulator = emulator().await;
    let uid = add_with_captions(&emulator, bilingual());
    let config = ClientConfig::new(emulator.account_id(), ApiToken::new("wrongToken0000000000"))
        .with_api_base(emulator.api_base());
    let client = StreamClient::new(config).unwrap();

    let error = client.caption_vtt(&uid, "en").await.unwrap_err();

    assert!(matches!(error, Error::Auth { .. }), "{error:?}");
    assert!(!error.to_string().contains("wrongToken"), "{error}");
}

#[tokio::test]
async fn live_input_parses() {
    let emulator = emulator().await;
    let uid = emulator.add_video(VideoSpec {
        live_input: Some("f256e6ea9341d51eea64c9454659e576".to_owned()),
        ..VideoSpec::named("Webinar")
    });
    let client = client_for(&emulator);

    let video = client.video(&uid).await.unwrap();

    assert_eq!(
        video.live_input.as_deref(),
        Some("f256e6ea9341d51eea64c9454659e576")
    );
}

#[tokio::test]
async fn long_live_recording_download_refused() {
    let emulator = emulator().await;
    let uid = emulator.add_video(VideoSpec {
        live_input: Some("f256e6ea9341d51eea64c9454659e576".to_owned()),
        duration: Some(5.0 * 3600.0),
        ..VideoSpec::named("All-day stream")
    });
    let client = client_for(&emulator);

    let error = client
        .create_download(&uid, offstream_stream::DownloadType::Default)
        .await
        .unwrap_err();

    assert!(matches!(error, Error::Api { status: 400, .. }), "{error:?}");
    assert!(!error.is_transient());
    assert!(error.to_string().contains("4 hours"), "{error}");
}
