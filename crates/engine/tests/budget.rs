//! Tests of the shared API budget, the polling schedule and the resume overlap check, against
//! the Stream emulator and a small delivery server on 127.0.0.1.

mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use offstream_engine::job::JobNotice;
use offstream_engine::transfer::{self, TransferRequest, RESUME_OVERLAP};
use offstream_engine::{EngineError, EngineOptions, JobSnapshot};
use offstream_stream::DownloadType;
use stream_emulator::{
    ApiFault, DownloadScript, Emulator, EmulatorConfig, MediaFile, RunningEmulator, Seed, VideoSpec,
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use support::{fast_options, sample_audio, sample_video, sha256_hex, Setup};

/// Maximum time one job may take in this suite.
const JOB_TIMEOUT: Duration = Duration::from_secs(30);

async fn emulator(prepare_time: Duration) -> RunningEmulator {
    let config = EmulatorConfig {
        seed: Seed::Empty,
        prepare_time,
        ..EmulatorConfig::default()
    };
    Emulator::start(config).await.expect("emulator starts")
}

fn add_sample(emulator: &RunningEmulator) -> String {
    emulator.add_video(VideoSpec {
        name: Some("Budget".to_owned()),
        media: MediaFile::from_bytes(sample_video()),
        audio: Some(MediaFile::from_bytes(sample_audio())),
        ..VideoSpec::default()
    })
}

fn setup(emulator: &RunningEmulator, options: EngineOptions) -> Setup {
    let client = support::client(
        &emulator.api_base(),
        emulator.account_id(),
        emulator.api_token(),
    );
    Setup::new(client, options)
}

async fn wait(setup: &Setup, id: i64) -> Result<offstream_engine::LibraryItem, EngineError> {
    tokio::time::timeout(JOB_TIMEOUT, setup.manager.wait(id))
        .await
        .expect("the job ends in time")
}

/// Records every snapshot that the manager broadcasts from now on.
fn record_snapshots(setup: &Setup) -> Arc<Mutex<Vec<JobSnapshot>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut events = setup.manager.subscribe();
    let sink = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok(snapshot) = events.recv().await {
            sink.lock().unwrap().push(snapshot);
        }
    });
    seen
}

#[tokio::test]
async fn rate_limit_pauses_every_job() {
    let emulator = emulator(Duration::from_millis(300)).await;
    let uids: Vec<String> = (0..3).map(|_| add_sample(&emulator)).collect();
    let setup = setup(&emulator, fast_options());
    let seen = record_snapshots(&setup);
    emulator
        .inject_api_fault(ApiFault::Status {
            status: 429,
            retry_after: Some(2),
            html: false,
        })
        .unwrap();

    let started = Instant::now();
    let ids: Vec<i64> = uids
        .iter()
        .map(|uid| setup.manager.start(uid, DownloadType::Default).unwrap())
        .collect();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let early = emulator.counters().api_requests;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let late = emulator.counters().api_requests;
    for id in &ids {
        wait(&setup, *id).await.unwrap();
    }

    assert_eq!(early, late, "no API request during the 429 wait");
    assert!(started.elapsed() >= Duration::from_secs(2));
    let waited = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|snapshot| matches!(snapshot.notice, Some(JobNotice::RateLimited { .. })))
        .count();
    assert!(waited >= 1, "a job showed the rate-limited notice");
    let cleared = ids
        .iter()
        .all(|id| setup.manager.snapshot(*id).unwrap().notice.is_none());
    assert!(cleared, "the notice is cleared once calls continue");
}

#[tokio::test]
async fn ready_download_costs_few_calls() {
    let emulator = emulator(Duration::from_secs(1)).await;
    let uid = add_sample(&emulator);
    let options = EngineOptions {
        poll_initial: Duration::from_millis(100),
        ..fast_options()
    };
    let setup = setup(&emulator, options);

    let id = setup.manager.start(&uid, DownloadType::Default).unwrap();
    wait(&setup, id).await.unwrap();

    // The video, the POST, and at most two polls: one to measure the rate, one at the
    // predicted end. The caption list after the commit is counted apart, since it is not part
    // of getting the file.
    let calls = emulator.counters().api_requests;
    let caption_calls = emulator.api_by_endpoint().captions;
    assert_eq!(caption_calls, 1, "caption list requests");
    assert!(
        calls - caption_calls <= 4,
        "{calls} API calls for one download, {caption_calls} of them for captions"
    );
}

#[tokio::test]
async fn stalled_download_shows_notice_then_fails() {
    let emulator = emulator(Duration::from_millis(300)).await;
    let uid = add_sample(&emulator);
    emulator.script_download(
        &uid,
        stream_emulator::DownloadType::Default,
        DownloadScript::Stall { at_percent: 37.0 },
    );
    let options = EngineOptions {
        stall_notice_after: Duration::from_millis(300),
        prepare_stall_timeout: Duration::from_millis(1200),
        ..fast_options()
    };
    let setup = setup(&emulator, options);
    let seen = record_snapshots(&setup);

    let id = setup.manager.start(&uid, DownloadType::Default).unwrap();
    let error = wait(&setup, id).await.unwrap_err();

    assert_eq!(error.code(), "download_error");
    assert!(error.to_string().contains("stayed at 37 %"), "{error}");
    let stalled = seen
        .lock()
        .unwrap()
        .iter()
        .find_map(|snapshot| match snapshot.notice {
            Some(JobNotice::Stalled { percent, .. }) => Some(percent),
            _ => None,
        });
    assert_eq!(stalled, Some(Some(37.0)));
    assert!(setup.manager.snapshot(id).unwrap().notice.is_none());
}

#[tokio::test]
async fn errored_download_is_recreated_on_retry() {
    let emulator = emulator(Duration::from_millis(200)).await;
    let uid = add_sample(&emulator);
    emulator.script_download_error(&uid, stream_emulator::DownloadType::Default, "encoder");
    let setup = setup(&emulator, fast_options());

    let first = setup.manager.start(&uid, DownloadType::Default).unwrap();
    let error = wait(&setup, first).await.unwrap_err();
    assert_eq!(error.code(), "download_error");

    let second = setup.manager.start(&uid, DownloadType::Default).unwrap();
    let item = wait(&setup, second).await.unwrap();
    assert_eq!(item.sha256, sha256_hex(&sample_video()));
}

/// A delivery server whose file can be swapped and whose `ETag` changes on every request,
/// as tokenised URLs and different CDN nodes do.
struct SwapServer {
    addr: SocketAddr,
    state: Arc<SwapState>,
    task: tokio::task::JoinHandle<()>,
}

struct SwapState {
    body: Mutex<Bytes>,
    requests: AtomicUsize,
    delivered: AtomicU64,
    ranges: Mutex<Vec<Option<String>>>,
}

impl SwapServer {
    async fn start(body: Bytes) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(SwapState {
            body: Mutex::new(body),
            requests: AtomicUsize::new(0),
            delivered: AtomicU64::new(0),
            ranges: Mutex::new(Vec::new()),
        });
        let router = Router::new()
            .route("/file.mp4", get(swap_deliver))
            .with_state(Arc::clone(&state));
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Self { addr, state, task }
    }

    fn url(&self) -> String {
        format!("http://{}/file.mp4", self.addr)
    }
}

impl Drop for SwapServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn swap_deliver(State(state): State<Arc<SwapState>>, headers: HeaderMap) -> Response {
    let number = state.requests.fetch_add(1, Ordering::SeqCst);
    let range = headers
        .get(header::RANGE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    state.ranges.lock().unwrap().push(range.clone());
    let body = state.body.lock().unwrap().clone();
    let total = body.len();
    let start = range
        .as_deref()
        .and_then(|value| value.strip_prefix("bytes="))
        .and_then(|value| value.strip_suffix('-'))
        .and_then(|value| value.parse::<usize>().ok());

    let (status, slice) = match start {
        Some(start) => (StatusCode::PARTIAL_CONTENT, body.slice(start..)),
        None => (StatusCode::OK, body),
    };
    state
        .delivered
        .fetch_add(slice.len() as u64, Ordering::SeqCst);
    let mut response = (status, slice).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, "video/mp4".parse().unwrap());
    headers.insert(header::ETAG, format!("\"tag-{number}\"").parse().unwrap());
    if let Some(start) = start {
        let value = format!("bytes {start}-{}/{total}", total - 1);
        headers.insert(header::CONTENT_RANGE, value.parse().unwrap());
    }
    response
}

/// Returns the byte range of the top-level `mdat` box of an MP4.
fn mdat_range(file: &[u8]) -> std::ops::Range<usize> {
    let mut at = 0;
    while at + 8 <= file.len() {
        let size = u32::from_be_bytes(file[at..at + 4].try_into().unwrap()) as usize;
        if &file[at + 4..at + 8] == b"mdat" {
            return at + 8..at + size;
        }
        at += size;
    }
    panic!("the sample has no mdat box");
}

async fn resume_part(server: &SwapServer, part: &std::path::Path, total: usize) -> String {
    let cancel = CancellationToken::new();
    let http = reqwest::Client::new();
    let url = server.url();
    let request = TransferRequest {
        http: &http,
        url: &url,
        uid: "swapvideo",
        job_id: 1,
        part_path: part,
        expected_total: Some(total as u64),
        expected_duration: None,
        progress_interval: Duration::ZERO,
        cancel: &cancel,
        clock: None,
        known_validators: None,
    };
    transfer::download(&request, |_| {}).await.unwrap().sha256
}

#[tokio::test]
async fn changed_etag_same_bytes_appends() {
    let source = sample_video();
    let server = SwapServer::start(source.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let part = dir.path().join("swap.mp4.part");
    let part_len = source.len() - 10_000;
    std::fs::write(&part, &source[..part_len]).unwrap();

    let sha256 = resume_part(&server, &part, source.len()).await;

    assert_eq!(sha256, sha256_hex(&source));
    let overlap_start = part_len - RESUME_OVERLAP as usize;
    assert_eq!(
        *server.state.ranges.lock().unwrap(),
        vec![Some(format!("bytes={overlap_start}-"))]
    );
    assert_eq!(
        server.state.delivered.load(Ordering::SeqCst),
        (source.len() - overlap_start) as u64
    );
}

#[tokio::test]
async fn changed_content_restarts_from_zero() {
    let original = sample_video();
    let mdat = mdat_range(&original);
    let part_len = mdat.end - 1_000;
    assert!(
        part_len - RESUME_OVERLAP as usize > mdat.start,
        "the overlap lies in mdat"
    );
    let mut changed = original.to_vec();
    changed[part_len - 10] ^= 0xFF;
    let changed = Bytes::from(changed);

    let server = SwapServer::start(changed.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let part = dir.path().join("swap.mp4.part");
    std::fs::write(&part, &original[..part_len]).unwrap();

    let sha256 = resume_part(&server, &part, original.len()).await;

    assert_eq!(sha256, sha256_hex(&changed));
    assert_eq!(std::fs::read(&part).unwrap(), changed.as_ref());
    let overlap_start = part_len - RESUME_OVERLAP as usize;
    assert_eq!(
        *server.state.ranges.lock().unwrap(),
        vec![Some(format!("bytes={overlap_start}-")), None]
    );
}
