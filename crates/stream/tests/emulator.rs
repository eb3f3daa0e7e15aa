//! The client against the Stream emulator over real HTTP on 127.0.0.1.

use std::collections::HashSet;
use std::time::Duration;

use offstream_stream::list::ListQuery;
use offstream_stream::{ApiToken, ClientConfig, DownloadStatus, DownloadType, Error, StreamClient};
use stream_emulator::{Bounds, Emulator, EmulatorConfig, RunningEmulator, Seed, VideoSpec};
use time::OffsetDateTime;

fn client_for(emulator: &RunningEmulator) -> StreamClient {
    client_with_token(emulator, emulator.api_token())
}

fn client_with_token(emulator: &RunningEmulator, token: &str) -> StreamClient {
    let config = ClientConfig::new(emulator.account_id(), ApiToken::new(token))
        .with_api_base(emulator.api_base());
    StreamClient::new(config).unwrap()
}

async fn empty_emulator(bounds: Bounds) -> RunningEmulator {
    let config = EmulatorConfig {
        seed: Seed::Empty,
        list_bounds: bounds,
        prepare_time: Duration::from_millis(300),
        ..EmulatorConfig::default()
    };
    Emulator::start(config).await.unwrap()
}

/// Adds `count` videos one second apart, except that the videos at the positions in `ties`
/// (counted from the newest) all share the creation time of the first of them.
fn seed_with_ties(
    emulator: &RunningEmulator,
    count: usize,
    ties: std::ops::Range<usize>,
) -> HashSet<String> {
    let newest = OffsetDateTime::parse(
        "2025-06-01T12:00:00.000000Z",
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let mut uids = HashSet::new();
    for position in 0..count {
        let step = if ties.contains(&position) {
            ties.start
        } else {
            position
        };
        let spec = VideoSpec {
            name: Some(format!("video {position:05}")),
            created: Some(newest - time::Duration::seconds(step as i64)),
            ..VideoSpec::default()
        };
        uids.insert(emulator.add_video(spec));
    }
    uids
}

fn uid_set(videos: &[offstream_stream::Video]) -> HashSet<String> {
    videos.iter().map(|v| v.uid.clone()).collect()
}

#[tokio::test]
async fn list_all_keeps_ties_exclusive_bounds() {
    let emulator = empty_emulator(Bounds::Exclusive).await;
    let expected = seed_with_ties(&emulator, 25, 8..13);
    let videos = client_for(&emulator)
        .list_all_matching(&ListQuery::default(), 10, |_| {})
        .await
        .unwrap();
    assert_eq!(videos.len(), 25, "no video lost or repeated");
    assert_eq!(uid_set(&videos), expected);
}

#[tokio::test]
async fn list_all_keeps_ties_inclusive_bounds() {
    let emulator = empty_emulator(Bounds::Inclusive).await;
    let expected = seed_with_ties(&emulator, 25, 8..13);
    let videos = client_for(&emulator)
        .list_all_matching(&ListQuery::default(), 10, |_| {})
        .await
        .unwrap();
    assert_eq!(videos.len(), 25);
    assert_eq!(uid_set(&videos), expected);
}

#[tokio::test]
async fn list_all_walks_past_thousand() {
    let emulator = empty_emulator(Bounds::Exclusive).await;
    let expected = seed_with_ties(&emulator, 2500, 997..1004);
    let mut pages = 0;
    let videos = client_for(&emulator)
        .list_all(None, |_| pages += 1)
        .await
        .unwrap();
    assert_eq!(videos.len(), 2500);
    assert_eq!(uid_set(&videos), expected);
    assert!(pages <= 6, "the walk took {pages} requests");
}

#[tokio::test]
async fn list_all_is_newest_first() {
    let emulator = empty_emulator(Bounds::Exclusive).await;
    seed_with_ties(&emulator, 30, 0..0);
    let videos = client_for(&emulator)
        .list_all_matching(&ListQuery::default(), 7, |_| {})
        .await
        .unwrap();
    let created: Vec<&str> = videos.iter().map(|v| v.created.as_str()).collect();
    let mut sorted = created.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(created, sorted);
}

#[tokio::test]
async fn list_all_picks_up_new_upload() {
    let emulator = empty_emulator(Bounds::Exclusive).await;
    let mut expected = seed_with_ties(&emulator, 30, 0..0);
    let mut added = None;
    let videos = client_for(&emulator)
        .list_all_matching(&ListQuery::default(), 10, |count| {
            if count == 10 && added.is_none() {
                added = Some(emulator.add_video(VideoSpec::named("uploaded during the walk")));
            }
        })
        .await
        .unwrap();
    expected.insert(added.unwrap());
    assert_eq!(uid_set(&videos), expected);
    assert_eq!(videos.len(), 31);
}

#[tokio::test]
async fn list_all_stops_on_huge_tie_group() {
    let emulator = empty_emulator(Bounds::Inclusive).await;
    seed_with_ties(&emulator, 30, 5..20);
    let videos = client_for(&emulator)
        .list_all_matching(&ListQuery::default(), 10, |_| {})
        .await
        .unwrap();
    let unique = uid_set(&videos);
    assert_eq!(unique.len(), videos.len(), "no video is repeated");
    assert!(
        videos.len() >= 15,
        "videos outside the tie group are all found"
    );
}

#[tokio::test]
async fn list_all_filters_by_search() {
    let emulator = empty_emulator(Bounds::Exclusive).await;
    emulator.add_video(VideoSpec::named("Quarterly review"));
    emulator.add_video(VideoSpec::named("Team offsite"));
    let videos = client_for(&emulator)
        .list_all(Some("quarterly"), |_| {})
        .await
        .unwrap();
    assert_eq!(videos.len(), 1);
    assert_eq!(videos[0].name(), Some("Quarterly review"));
}

#[tokio::test]
async fn list_page_reads_string_counters() {
    let config = EmulatorConfig {
        numbers_as_strings: true,
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::start(config).await.unwrap();
    let query = ListQuery {
        limit: Some(1),
        include_counts: true,
        ..ListQuery::default()
    };
    let page = client_for(&emulator).list_page(&query).await.unwrap();
    assert_eq!(page.videos.len(), 1);
    assert_eq!(page.total, Some(3));
    assert_eq!(page.range, Some(2));
}

#[tokio::test]
async fn download_becomes_ready() {
    let emulator = empty_emulator(Bounds::Exclusive).await;
    let uid = emulator.add_video(VideoSpec::named("clip"));
    let client = client_for(&emulator);

    let created = client
        .create_download(&uid, DownloadType::Default)
        .await
        .unwrap();
    assert_eq!(created.status, DownloadStatus::Inprogress);
    let url = created.url.clone().unwrap();
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "url points at the emulator: {url}"
    );
    assert!(url.ends_with("/downloads/default.mp4"));

    let mut status = created.status;
    for _ in 0..50 {
        if status == DownloadStatus::Ready {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        let downloads = client.downloads(&uid).await.unwrap();
        status = downloads.default.unwrap().status;
    }
    assert_eq!(status, DownloadStatus::Ready);
}

#[tokio::test]
async fn audio_download_is_keyed() {
    let emulator = empty_emulator(Bounds::Exclusive).await;
    let uid = emulator.add_video(VideoSpec::named("clip"));
    let client = client_for(&emulator);
    let audio = client
        .create_download(&uid, DownloadType::Audio)
        .await
        .unwrap();
    assert!(audio.url.unwrap().ends_with("/downloads/audio.m4a"));
    let downloads = client.downloads(&uid).await.unwrap();
    assert!(downloads.audio.is_some());
    assert!(downloads.default.is_none());
}

#[tokio::test]
async fn flat_create_shape_is_default() {
    let config = EmulatorConfig {
        flat_download_create: true,
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::start(config).await.unwrap();
    let uid = emulator.videos()[0].uid.clone();
    let downloads = client_for(&emulator).create_downloads(&uid).await.unwrap();
    assert!(downloads.default.is_some());
}

#[tokio::test]
async fn delete_download_removes_it() {
    let emulator = empty_emulator(Bounds::Exclusive).await;
    let uid = emulator.add_video(VideoSpec::named("clip"));
    let client = client_for(&emulator);
    client
        .create_download(&uid, DownloadType::Default)
        .await
        .unwrap();
    client
        .delete_download(&uid, Some(DownloadType::Default))
        .await
        .unwrap();
    assert!(client.downloads(&uid).await.unwrap().default.is_none());
}

#[tokio::test]
async fn wrong_token_is_auth_error() {
    let emulator = empty_emulator(Bounds::Exclusive).await;
    let error = client_with_token(&emulator, "wrongtoken0000000000000000000000000000000")
        .list_page(&ListQuery::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Auth { status: 403, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("Stream Read"));
    assert!(!error.to_string().contains("wrongtoken"));
}

#[tokio::test]
async fn malformed_token_is_auth_error() {
    let emulator = empty_emulator(Bounds::Exclusive).await;
    let error = client_with_token(&emulator, "not a token")
        .list_page(&ListQuery::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Auth { status: 400, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn unknown_video_is_not_found() {
    let emulator = empty_emulator(Bounds::Exclusive).await;
    let uid = "0123456789abcdef0123456789abcdef";
    let error = client_for(&emulator).video(uid).await.unwrap_err();
    assert!(matches!(error, Error::NotFound { .. }));
    assert!(error.to_string().contains(uid));
}

#[tokio::test]
async fn unknown_account_is_auth_error() {
    let emulator = empty_emulator(Bounds::Exclusive).await;
    let config = ClientConfig::new(
        "ffffffffffffffffffffffffffffffff",
        ApiToken::new(emulator.api_token()),
    )
    .with_api_base(emulator.api_base());
    let error = StreamClient::new(config)
        .unwrap()
        .list_page(&ListQuery::default())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Auth { .. }), "{error:?}");
}

#[tokio::test]
async fn closed_port_is_network_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let config = ClientConfig::new("acc", ApiToken::new("token"))
        .with_api_base(format!("http://127.0.0.1:{port}/client/v4"));
    let error = StreamClient::new(config)
        .unwrap()
        .list_page(&ListQuery::default())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Network { .. }), "{error:?}");
    assert!(error.to_string().starts_with("cannot reach 127.0.0.1"));
}

/// Serves one fixed response on every path, for failures the emulator does not produce.
async fn fixed_server(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}/client/v4")
}

#[tokio::test]
async fn rate_limit_reports_wait() {
    use axum::http::StatusCode;
    let router = axum::Router::new().fallback(|| async {
        (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "7")],
            r#"{"result":null,"success":false,"errors":[{"code":971,"message":"Please wait"}],"messages":[]}"#,
        )
    });
    let base = fixed_server(router).await;
    let config = ClientConfig::new("acc", ApiToken::new("token")).with_api_base(base);
    let error = StreamClient::new(config)
        .unwrap()
        .list_page(&ListQuery::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(7)),
        "{error:?}"
    );
}

#[tokio::test]
async fn stalled_body_times_out() {
    use axum::body::Body;
    let router = axum::Router::new().fallback(|| async {
        let first = futures_util::stream::once(async {
            Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"{\"result\":"))
        });
        let stall = futures_util::stream::pending();
        Body::from_stream(futures_util::StreamExt::chain(first, stall))
    });
    let base = fixed_server(router).await;
    let mut config = ClientConfig::new("acc", ApiToken::new("token")).with_api_base(base);
    config.read_timeout = Duration::from_millis(300);
    let started = std::time::Instant::now();
    let error = StreamClient::new(config)
        .unwrap()
        .list_page(&ListQuery::default())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Network { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}
