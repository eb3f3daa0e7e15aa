//! Captions, thumbnails and hostile titles end to end against the Stream emulator: real HTTP
//! on 127.0.0.1, real temporary folders and real SQLite files.

mod support;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use offstream_engine::names::{fold, MAX_NAME_BYTES, PART_SUFFIX};
use offstream_engine::{
    EngineError, EngineOptions, LibraryItem, ThumbnailCache, ThumbnailReport, TokenSigner,
};
use offstream_signing::SigningKey;
use offstream_stream::{DownloadType, StreamClient, Video};
use stream_emulator::{
    hostile_titles, samples, Caption, CaptionStatus, Emulator, EmulatorConfig, RunningEmulator,
    Seed, VideoSpec,
};
use tokio_util::sync::CancellationToken;

use support::{fast_options, Setup};

/// Maximum time one job may take in this suite.
const JOB_TIMEOUT: Duration = Duration::from_secs(60);

const ENGLISH: &str = "WEBVTT\n\n00:00.000 --> 00:02.000\nWelcome to the first lecture.\n";
const JAPANESE: &str = "WEBVTT\n\n00:00.000 --> 00:02.000\n第1回の講義へようこそ。\n";

async fn emulator() -> RunningEmulator {
    let config = EmulatorConfig {
        seed: Seed::Empty,
        prepare_time: Duration::from_millis(100),
        ..EmulatorConfig::default()
    };
    Emulator::start(config).await.expect("emulator starts")
}

fn client(emulator: &RunningEmulator) -> StreamClient {
    support::client(
        &emulator.api_base(),
        emulator.account_id(),
        emulator.api_token(),
    )
}

fn setup_with(emulator: &RunningEmulator, options: EngineOptions) -> Setup {
    Setup::new(client(emulator), options)
}

fn bilingual() -> Vec<Caption> {
    vec![
        Caption::ready("en", "English", ENGLISH),
        Caption::ready("ja", "日本語", JAPANESE),
    ]
}

fn add_lecture(emulator: &RunningEmulator, captions: Vec<Caption>) -> String {
    emulator.add_video(VideoSpec {
        captions,
        ..VideoSpec::named("Lecture 1")
    })
}

async fn download(setup: &Setup, uid: &str, download_type: DownloadType) -> LibraryItem {
    let id = setup.manager.start(uid, download_type).unwrap();
    wait(setup, id).await.expect("the job ends done")
}

async fn wait(setup: &Setup, id: i64) -> Result<LibraryItem, EngineError> {
    tokio::time::timeout(JOB_TIMEOUT, setup.manager.wait(id))
        .await
        .expect("the job ends in time")
}

fn folder_of(item: &LibraryItem) -> std::path::PathBuf {
    item.path.parent().unwrap().to_path_buf()
}

fn read_caption(item: &LibraryItem, language: &str) -> String {
    let caption = item
        .captions
        .iter()
        .find(|caption| caption.language == language)
        .unwrap_or_else(|| panic!("no {language} caption in {:?}", item.captions));
    std::fs::read_to_string(folder_of(item).join(&caption.file_name)).unwrap()
}

#[tokio::test]
async fn captions_saved_next_to_mp4() {
    let emulator = emulator().await;
    let uid = add_lecture(&emulator, bilingual());
    let setup = setup_with(&emulator, fast_options());

    let item = download(&setup, &uid, DownloadType::Default).await;

    let names: Vec<&str> = item.captions.iter().map(|c| c.file_name.as_str()).collect();
    assert_eq!(item.file_name, "Lecture 1.mp4");
    assert_eq!(names, ["Lecture 1.en.vtt", "Lecture 1.ja.vtt"]);
    assert_eq!(read_caption(&item, "en"), ENGLISH);
    assert_eq!(read_caption(&item, "ja"), JAPANESE);
    assert_eq!(item.captions[1].label, "日本語");
}

#[tokio::test]
async fn captions_stored_in_catalog() {
    let emulator = emulator().await;
    let uid = add_lecture(&emulator, bilingual());
    let setup = setup_with(&emulator, fast_options());

    let item = download(&setup, &uid, DownloadType::Default).await;
    let stored = setup.catalog.item(item.id).unwrap().unwrap();

    assert_eq!(stored.captions, item.captions);
    assert_eq!(stored.captions.len(), 2);
}

#[tokio::test]
async fn captions_cost_one_call_each() {
    let emulator = emulator().await;
    let uid = add_lecture(&emulator, bilingual());
    let setup = setup_with(&emulator, fast_options());

    download(&setup, &uid, DownloadType::Default).await;

    // One list call and one call per language.
    assert_eq!(emulator.api_by_endpoint().captions, 3);
}

#[tokio::test]
async fn captions_skip_unready_tracks() {
    let emulator = emulator().await;
    let mut captions = bilingual();
    captions[1].status = CaptionStatus::InProgress;
    captions.push(Caption {
        status: CaptionStatus::Error,
        generated: true,
        ..Caption::ready("de", "Deutsch (automatisch)", "WEBVTT\n")
    });
    let uid = add_lecture(&emulator, captions);
    let setup = setup_with(&emulator, fast_options());

    let item = download(&setup, &uid, DownloadType::Default).await;

    let languages: Vec<&str> = item.captions.iter().map(|c| c.language.as_str()).collect();
    assert_eq!(languages, ["en"]);
    assert_eq!(emulator.api_by_endpoint().captions, 2);
}

#[tokio::test]
async fn caption_failure_leaves_job_done() {
    let emulator = emulator().await;
    let captions = vec![
        Caption::ready("en", "English", ENGLISH),
        Caption::ready("ja", "日本語", "<!DOCTYPE html><html>Sign in</html>"),
    ];
    let uid = add_lecture(&emulator, captions);
    let setup = setup_with(&emulator, fast_options());

    let id = setup.manager.start(&uid, DownloadType::Default).unwrap();
    let item = wait(&setup, id).await.expect("the job ends done");

    let snapshot = setup.manager.snapshot(id).unwrap();
    assert_eq!(snapshot.phase, offstream_engine::JobPhase::Done);
    assert!(item.path.is_file());
    let languages: Vec<&str> = item.captions.iter().map(|c| c.language.as_str()).collect();
    assert_eq!(languages, ["en"]);
    let names = setup.library_names();
    assert!(!names.iter().any(|name| name.contains(".ja.")), "{names:?}");
}

#[tokio::test]
async fn caption_list_failure_leaves_job_done() {
    let emulator = emulator().await;
    let uid = add_lecture(&emulator, bilingual());
    let setup = setup_with(&emulator, fast_options());
    let mut events = setup.manager.subscribe();

    let id = setup.manager.start(&uid, DownloadType::Default).unwrap();
    // Remove the video once its file is being verified: the caption list then gets 404.
    tokio::time::timeout(JOB_TIMEOUT, async {
        loop {
            let snapshot = events.recv().await.unwrap();
            if snapshot.id == id && snapshot.phase == offstream_engine::JobPhase::Verifying {
                emulator.remove_video(&uid);
                return;
            }
        }
    })
    .await
    .expect("the job reaches verifying");
    let item = wait(&setup, id).await.expect("the job ends done");

    assert!(item.path.is_file());
    assert!(item.captions.is_empty());
    assert_eq!(setup.library_names(), ["Lecture 1.mp4"]);
}

#[tokio::test]
async fn captions_off_by_option() {
    let emulator = emulator().await;
    let uid = add_lecture(&emulator, bilingual());
    let options = EngineOptions {
        captions: false,
        ..fast_options()
    };
    let setup = setup_with(&emulator, options);

    let item = download(&setup, &uid, DownloadType::Default).await;

    assert!(item.captions.is_empty());
    assert_eq!(emulator.api_by_endpoint().captions, 0);
    assert_eq!(setup.library_names(), ["Lecture 1.mp4"]);
}

#[tokio::test]
async fn audio_job_fetches_captions() {
    let emulator = emulator().await;
    let uid = add_lecture(&emulator, bilingual());
    let setup = setup_with(&emulator, fast_options());

    let item = download(&setup, &uid, DownloadType::Audio).await;

    assert_eq!(item.file_name, "Lecture 1.m4a");
    assert_eq!(read_caption(&item, "ja"), JAPANESE);
}

#[tokio::test]
async fn video_and_audio_captions_distinct() {
    let emulator = emulator().await;
    let uid = add_lecture(&emulator, bilingual());
    let setup = setup_with(&emulator, fast_options());

    let video = download(&setup, &uid, DownloadType::Default).await;
    let audio = download(&setup, &uid, DownloadType::Audio).await;

    let video_names: Vec<&str> = video
        .captions
        .iter()
        .map(|c| c.file_name.as_str())
        .collect();
    let audio_names: Vec<&str> = audio
        .captions
        .iter()
        .map(|c| c.file_name.as_str())
        .collect();
    assert_eq!(video_names, ["Lecture 1.en.vtt", "Lecture 1.ja.vtt"]);
    assert_eq!(
        audio_names,
        ["Lecture 1.m4a.en.vtt", "Lecture 1.m4a.ja.vtt"]
    );
    assert_eq!(read_caption(&video, "en"), ENGLISH);
    assert_eq!(read_caption(&audio, "en"), ENGLISH);
}

#[tokio::test]
async fn caption_language_sanitized() {
    let emulator = emulator().await;
    let captions = vec![Caption::ready("en_US", "English (US)", ENGLISH)];
    let uid = add_lecture(&emulator, captions);
    let setup = setup_with(&emulator, fast_options());

    let item = download(&setup, &uid, DownloadType::Default).await;

    assert_eq!(item.captions[0].language, "en-US");
    assert_eq!(item.captions[0].file_name, "Lecture 1.en-US.vtt");
}

#[tokio::test]
async fn delete_item_deletes_captions() {
    let emulator = emulator().await;
    let uid = add_lecture(&emulator, bilingual());
    let setup = setup_with(&emulator, fast_options());
    let item = download(&setup, &uid, DownloadType::Default).await;

    let deleted = setup.manager.delete_item(item.id).unwrap();

    assert!(deleted);
    assert!(
        setup.library_names().is_empty(),
        "{:?}",
        setup.library_names()
    );
}

#[tokio::test]
async fn missing_file_redownload_keeps_caption_names() {
    let emulator = emulator().await;
    let uid = add_lecture(&emulator, bilingual());
    let setup = setup_with(&emulator, fast_options());
    let first = download(&setup, &uid, DownloadType::Default).await;
    std::fs::remove_file(&first.path).unwrap();

    let second = download(&setup, &uid, DownloadType::Default).await;

    let names: Vec<&str> = second
        .captions
        .iter()
        .map(|c| c.file_name.as_str())
        .collect();
    assert_eq!(names, ["Lecture 1.en.vtt", "Lecture 1.ja.vtt"]);
    assert_eq!(
        setup.library_names(),
        ["Lecture 1.en.vtt", "Lecture 1.ja.vtt", "Lecture 1.mp4"]
    );
}

/// Creates a signing key on the emulator's account, as `offstream keys create` does.
async fn account_key(client: &StreamClient) -> TokenSigner {
    let created = client.create_signing_key().await.expect("key created");
    let key = SigningKey::parse(Some(&created.id), created.pem.expose()).expect("key parses");
    TokenSigner::Key(Arc::new(key))
}

async fn videos(client: &StreamClient, uids: &[&str]) -> Vec<Video> {
    let mut videos = Vec::new();
    for uid in uids {
        videos.push(client.video(uid).await.unwrap());
    }
    videos
}

async fn fetch(
    cache: &ThumbnailCache,
    client: &StreamClient,
    signer: &TokenSigner,
    videos: &[Video],
) -> ThumbnailReport {
    let cancel = CancellationToken::new();
    tokio::time::timeout(
        JOB_TIMEOUT,
        cache.fetch_missing(client, signer, videos, 4, &cancel),
    )
    .await
    .expect("the fetch ends in time")
}

fn private_spec(name: &str) -> VideoSpec {
    VideoSpec {
        require_signed_urls: true,
        ..VideoSpec::named(name)
    }
}

#[tokio::test]
async fn thumbnails_cached_public_and_private() {
    let emulator = emulator().await;
    let public = emulator.add_video(VideoSpec::named("public"));
    let private = emulator.add_video(private_spec("private"));
    let client = client(&emulator);
    let signer = account_key(&client).await;
    let listed = videos(&client, &[&public, &private]).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = ThumbnailCache::new(dir.path());

    let report = fetch(&cache, &client, &signer, &listed).await;

    assert_eq!(report.fetched, 2, "{report:?}");
    assert_eq!(report.failed, 0, "{report:?}");
    let expected = samples::all()[0].thumbnail.to_vec();
    for uid in [&public, &private] {
        let path = cache.cached(uid).expect("thumbnail cached");
        assert_eq!(
            path,
            dir.path().join("thumbnails").join(format!("{uid}.jpg"))
        );
        assert_eq!(std::fs::read(path).unwrap(), expected);
    }
    assert_eq!(cache.bytes_used(), 2 * expected.len() as u64);
}

#[tokio::test]
async fn thumbnails_take_no_api_calls() {
    let emulator = emulator().await;
    let public = emulator.add_video(VideoSpec::named("public"));
    let private = emulator.add_video(private_spec("private"));
    let client = client(&emulator);
    let signer = account_key(&client).await;
    let listed = videos(&client, &[&public, &private]).await;
    let dir = tempfile::tempdir().unwrap();
    let before = emulator.request_count();

    fetch(&ThumbnailCache::new(dir.path()), &client, &signer, &listed).await;

    assert_eq!(emulator.request_count(), before);
    assert_eq!(emulator.counters().thumbnail_requests, 2);
}

#[tokio::test]
async fn thumbnail_private_without_key_skipped() {
    let emulator = emulator().await;
    let private = emulator.add_video(private_spec("private"));
    let client = client(&emulator);
    let listed = videos(&client, &[&private]).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = ThumbnailCache::new(dir.path());

    let report = fetch(&cache, &client, &TokenSigner::None, &listed).await;

    assert_eq!(report.skipped, 1, "{report:?}");
    assert_eq!(report.failed, 0, "{report:?}");
    assert_eq!(cache.cached(&private), None);
    assert_eq!(emulator.counters().thumbnail_requests, 0);
}

#[tokio::test]
async fn thumbnail_html_answer_not_saved() {
    let emulator = emulator().await;
    let page = "<!DOCTYPE html><html><body>Sign in to the hotel network</body></html>";
    let uid = emulator.add_video(VideoSpec {
        thumbnail: bytes::Bytes::from_static(page.as_bytes()),
        ..VideoSpec::named("portal")
    });
    let client = client(&emulator);
    let listed = videos(&client, &[&uid]).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = ThumbnailCache::new(dir.path());

    let report = fetch(&cache, &client, &TokenSigner::None, &listed).await;

    assert_eq!(report.failed, 1, "{report:?}");
    assert_eq!(cache.cached(&uid), None);
    assert!(support::list_names(cache.dir()).is_empty());
}

#[tokio::test]
async fn thumbnail_non_picture_not_saved() {
    let emulator = emulator().await;
    let uid = emulator.add_video(VideoSpec {
        thumbnail: bytes::Bytes::from_static(b"not a picture at all"),
        ..VideoSpec::named("garbage")
    });
    let client = client(&emulator);
    let listed = videos(&client, &[&uid]).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = ThumbnailCache::new(dir.path());

    let report = fetch(&cache, &client, &TokenSigner::None, &listed).await;

    assert_eq!(report.failed, 1, "{report:?}");
    assert_eq!(cache.cached(&uid), None);
}

#[tokio::test]
async fn thumbnail_error_page_not_saved() {
    let emulator = emulator().await;
    let uid = emulator.add_video(private_spec("private"));
    let client = client(&emulator);
    // Treated as public, the uid-only URL gets the delivery host's 401 page.
    let mut listed = videos(&client, &[&uid]).await;
    listed[0].require_signed_urls = false;
    let dir = tempfile::tempdir().unwrap();
    let cache = ThumbnailCache::new(dir.path());

    let report = fetch(&cache, &client, &TokenSigner::None, &listed).await;

    assert_eq!(report.failed, 1, "{report:?}");
    assert_eq!(cache.cached(&uid), None);
}

#[tokio::test]
async fn thumbnails_second_run_fetches_nothing() {
    let emulator = emulator().await;
    let uids: Vec<String> = (0..5)
        .map(|n| emulator.add_video(VideoSpec::named(format!("clip {n}"))))
        .collect();
    let client = client(&emulator);
    let uid_refs: Vec<&str> = uids.iter().map(String::as_str).collect();
    let listed = videos(&client, &uid_refs).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = ThumbnailCache::new(dir.path());
    let first = fetch(&cache, &client, &TokenSigner::None, &listed).await;
    let requests = emulator.counters().thumbnail_requests;

    let second = fetch(&cache, &client, &TokenSigner::None, &listed).await;

    assert_eq!(first.fetched, 5, "{first:?}");
    assert_eq!(second.fetched, 0, "{second:?}");
    assert_eq!(second.cached, 5, "{second:?}");
    assert_eq!(emulator.counters().thumbnail_requests, requests);
}

#[tokio::test]
async fn thumbnails_skip_unready_video() {
    let emulator = emulator().await;
    let uid = emulator.add_video(VideoSpec {
        state: stream_emulator::VideoState::InProgress,
        ..VideoSpec::named("encoding")
    });
    let client = client(&emulator);
    let listed = videos(&client, &[&uid]).await;
    let dir = tempfile::tempdir().unwrap();

    let report = fetch(
        &ThumbnailCache::new(dir.path()),
        &client,
        &TokenSigner::None,
        &listed,
    )
    .await;

    assert_eq!(report.skipped, 1, "{report:?}");
    assert_eq!(emulator.counters().thumbnail_requests, 0);
}

#[tokio::test]
async fn thumbnails_cancelled_fetch_nothing() {
    let emulator = emulator().await;
    let uid = emulator.add_video(VideoSpec::named("clip"));
    let client = client(&emulator);
    let listed = videos(&client, &[&uid]).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = ThumbnailCache::new(dir.path());
    let cancel = CancellationToken::new();
    cancel.cancel();

    let report = cache
        .fetch_missing(&client, &TokenSigner::None, &listed, 4, &cancel)
        .await;

    assert_eq!(report.fetched, 0, "{report:?}");
    assert_eq!(cache.cached(&uid), None);
}

/// A delivery host that responds to every thumbnail request after 100 ms and records how many
/// requests were open at once.
struct SlowHost {
    origin: String,
    max_open: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SlowHost {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn slow_host() -> SlowHost {
    let open = Arc::new(AtomicUsize::new(0));
    let max_open = Arc::new(AtomicUsize::new(0));
    let (open_in, max_in) = (Arc::clone(&open), Arc::clone(&max_open));
    let router = axum::Router::new().route(
        "/{uid}/thumbnails/thumbnail.jpg",
        axum::routing::get(move || {
            let (open, max_open) = (Arc::clone(&open_in), Arc::clone(&max_in));
            async move {
                let now_open = open.fetch_add(1, Ordering::SeqCst) + 1;
                max_open.fetch_max(now_open, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
                open.fetch_sub(1, Ordering::SeqCst);
                let picture = samples::all()[0].thumbnail.clone();
                ([(axum::http::header::CONTENT_TYPE, "image/jpeg")], picture)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    SlowHost {
        origin,
        max_open,
        task,
    }
}

/// Returns ready public videos whose thumbnails live on `origin`.
fn videos_on(origin: &str, count: usize) -> Vec<Video> {
    (0..count)
        .map(|n| {
            let uid = format!("{n:032x}");
            serde_json::from_value(serde_json::json!({
                "uid": uid,
                "readyToStream": true,
                "status": {"state": "ready"},
                "thumbnail": format!("{origin}/{uid}/thumbnails/thumbnail.jpg"),
            }))
            .unwrap()
        })
        .collect()
}

#[tokio::test]
async fn thumbnails_concurrency_bounded() {
    let host = slow_host().await;
    let emulator = emulator().await;
    let client = client(&emulator);
    let listed = videos_on(&host.origin, 12);
    let dir = tempfile::tempdir().unwrap();
    let cache = ThumbnailCache::new(dir.path());
    let cancel = CancellationToken::new();

    let report = cache
        .fetch_missing(&client, &TokenSigner::None, &listed, 4, &cancel)
        .await;

    assert_eq!(report.fetched, 12, "{report:?}");
    let max_open = host.max_open.load(Ordering::SeqCst);
    assert!(max_open <= 4, "{max_open} requests at once");
    assert!(max_open >= 2, "requests ran one at a time");
}

#[tokio::test]
async fn thumbnails_concurrency_capped() {
    let host = slow_host().await;
    let emulator = emulator().await;
    let client = client(&emulator);
    let listed = videos_on(&host.origin, 20);
    let dir = tempfile::tempdir().unwrap();
    let cancel = CancellationToken::new();

    ThumbnailCache::new(dir.path())
        .fetch_missing(&client, &TokenSigner::None, &listed, 1000, &cancel)
        .await;

    let max_open = host.max_open.load(Ordering::SeqCst);
    assert!(
        max_open <= offstream_engine::thumbnails::MAX_CONCURRENCY,
        "{max_open}"
    );
}

#[tokio::test]
async fn thumbnails_cancel_midway_stops() {
    let host = slow_host().await;
    let emulator = emulator().await;
    let client = client(&emulator);
    let listed = videos_on(&host.origin, 40);
    let dir = tempfile::tempdir().unwrap();
    let cache = ThumbnailCache::new(dir.path());
    let cancel = CancellationToken::new();
    let stopper = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(250)).await;
        stopper.cancel();
    });

    let report = cache
        .fetch_missing(&client, &TokenSigner::None, &listed, 2, &cancel)
        .await;

    assert!(report.fetched < 40, "{report:?}");
    let saved = support::list_names(cache.dir());
    assert_eq!(saved.len(), report.fetched, "{saved:?}");
    assert!(saved.iter().all(|name| name.ends_with(".jpg")), "{saved:?}");
}

/// Checks that a file name is valid on Windows, macOS and Linux.
fn assert_portable(name: &str) {
    assert!(
        name.len() + PART_SUFFIX.len() <= MAX_NAME_BYTES,
        "{name:?} is too long"
    );
    assert!(
        !name.chars().any(|c| c.is_control()),
        "{name:?} has a control character"
    );
    assert!(
        !name.contains(['<', '>', ':', '"', '/', '\\', '|', '?', '*']),
        "{name:?} has a forbidden character"
    );
    assert!(
        !name.ends_with(['.', ' ']),
        "{name:?} ends with a dot or space"
    );
    assert!(!name.starts_with('.'), "{name:?} is hidden");
    let device = name
        .split('.')
        .next()
        .unwrap()
        .trim_end()
        .to_ascii_uppercase();
    let reserved = ["CON", "PRN", "AUX", "NUL", "COM1", "LPT9"];
    assert!(
        !reserved.contains(&device.as_str()),
        "{name:?} is a device name"
    );
}

#[tokio::test]
async fn hostile_titles_distinct_files() {
    let emulator = Emulator::start(EmulatorConfig {
        seed: Seed::Empty,
        hostile_titles: true,
        prepare_time: Duration::from_millis(50),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    for video in emulator.videos() {
        emulator.set_captions(&video.uid, vec![Caption::ready("en", "English", ENGLISH)]);
    }
    // A budget far above the real one, so 41 jobs do not wait for API tokens.
    let options = EngineOptions {
        max_concurrent_transfers: 4,
        api_budget: offstream_engine::BudgetConfig {
            requests: 100_000,
            window: Duration::from_secs(300),
            burst: 1_000,
        },
        ..fast_options()
    };
    let setup = setup_with(&emulator, options);
    let listed = setup
        .manager
        .client()
        .list_all(None, |_| {})
        .await
        .expect("list");
    assert_eq!(listed.len(), hostile_titles().len());

    let ids: Vec<(i64, &Video)> = listed
        .iter()
        .map(|video| {
            let id = setup
                .manager
                .start_with_video(video, DownloadType::Default)
                .unwrap();
            (id, video)
        })
        .collect();
    let mut items = Vec::new();
    for (id, video) in ids {
        let item = wait(&setup, id).await.expect("the job ends done");
        items.push((item, video));
    }

    let mut folded = HashSet::new();
    for (item, video) in &items {
        assert!(item.path.is_file(), "{:?} is missing", item.file_name);
        assert_eq!(item.title, video.display_name(), "title of {}", video.uid);
        assert_portable(&item.file_name);
        assert!(
            folded.insert(fold(&item.file_name)),
            "{:?} is a duplicate",
            item.file_name
        );
        assert_eq!(item.captions.len(), 1, "captions of {:?}", item.file_name);
        let caption = &item.captions[0].file_name;
        assert_portable(caption);
        assert!(folded.insert(fold(caption)), "{caption:?} is a duplicate");
        assert_eq!(
            std::fs::read_to_string(folder_of(item).join(caption)).unwrap(),
            ENGLISH
        );
    }
    let on_disk = setup.library_names();
    assert_eq!(on_disk.len(), 2 * items.len(), "{on_disk:?}");
}
