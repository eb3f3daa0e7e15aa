//! One test per delivery and API fault kind, run through a `JobManager` against the Stream
//! emulator on 127.0.0.1 with real files and a real SQLite catalog.
//!
//! Every download that can succeed must end byte-identical to the source. Every fault that
//! cannot succeed must leave no library file and no error page in a `.part`. The client's read
//! timeout is short ([`READ_TIMEOUT`]), so a silent connection fails within a second and the
//! engine resumes it.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use offstream_engine::catalog::JobUpdate;
use offstream_engine::transfer::RESUME_OVERLAP;
use offstream_engine::{EngineError, EngineOptions, JobNotice, JobPhase, JobSnapshot};
use offstream_stream::{ApiToken, ClientConfig, DownloadType, StreamClient};
use rand::{Rng, SeedableRng};
use stream_emulator::{
    DeliveryFault, DeliveryRecord, DownloadScript, Emulator, EmulatorConfig, MediaFile, RateLimit,
    RunningEmulator, Seed, VideoSpec,
};

use support::{sha256_hex, Setup};

/// Maximum time one job may take in this suite.
const JOB_TIMEOUT: Duration = Duration::from_secs(20);

/// Idle read timeout of the client, so a silent connection fails fast. It stays below one
/// second because a one-byte-per-second trickle must time out.
const READ_TIMEOUT: Duration = Duration::from_millis(700);

/// Seed of the random reset offsets, fixed so a failure can be replayed.
const RESET_SEED: u64 = 0x0ff5_7ea3;

/// Returns the larger sample (about 550 KB), so faults can land at many offsets.
fn source() -> Bytes {
    Bytes::from(std::fs::read(support::samples_dir().join("fractal-dive.mp4")).expect("sample"))
}

async fn emulator_with(rate_limit: Option<RateLimit>) -> RunningEmulator {
    let config = EmulatorConfig {
        seed: Seed::Empty,
        prepare_time: Duration::from_millis(200),
        rate_limit,
        ..EmulatorConfig::default()
    };
    Emulator::start(config).await.expect("emulator starts")
}

async fn emulator() -> RunningEmulator {
    emulator_with(None).await
}

fn add_video(emulator: &RunningEmulator, bytes: Bytes) -> String {
    emulator.add_video(VideoSpec {
        name: Some("Fault drill".to_owned()),
        media: MediaFile::from_bytes(bytes),
        ..VideoSpec::default()
    })
}

fn client(emulator: &RunningEmulator) -> StreamClient {
    let mut config = ClientConfig::new(emulator.account_id(), ApiToken::new(emulator.api_token()))
        .with_api_base(emulator.api_base());
    config.connect_timeout = Duration::from_secs(2);
    config.read_timeout = READ_TIMEOUT;
    StreamClient::new(config).expect("valid client config")
}

/// Fast engine options that resume a failed transfer up to `transfer_retries` times.
fn options(transfer_retries: u32) -> EngineOptions {
    EngineOptions {
        transfer_retries,
        ..support::fast_options()
    }
}

fn setup(emulator: &RunningEmulator, options: EngineOptions) -> Setup {
    Setup::new(client(emulator), options)
}

fn inject(emulator: &RunningEmulator, fault: DeliveryFault) {
    emulator
        .inject_delivery_fault(fault)
        .expect("the fault is valid");
}

async fn wait(setup: &Setup, id: i64) -> Result<offstream_engine::LibraryItem, EngineError> {
    tokio::time::timeout(JOB_TIMEOUT, setup.manager.wait(id))
        .await
        .expect("the job ends in time")
}

/// Starts one default download of `uid` and waits for its end.
async fn download(setup: &Setup, uid: &str) -> Result<offstream_engine::LibraryItem, EngineError> {
    let id = setup.manager.start(uid, DownloadType::Default).unwrap();
    wait(setup, id).await
}

/// Returns the `GET` requests for download files, oldest first.
fn gets(emulator: &RunningEmulator) -> Vec<DeliveryRecord> {
    emulator
        .delivery_requests()
        .into_iter()
        .filter(|record| record.method == "GET")
        .collect()
}

fn ranges(emulator: &RunningEmulator) -> Vec<Option<String>> {
    gets(emulator)
        .into_iter()
        .map(|record| record.range)
        .collect()
}

fn statuses(emulator: &RunningEmulator) -> Vec<u16> {
    gets(emulator)
        .into_iter()
        .map(|record| record.status)
        .collect()
}

/// Returns the `Range` header a resume of a `.part` of `length` bytes sends.
fn resume_range(length: u64) -> Option<String> {
    Some(format!("bytes={}-", length.saturating_sub(RESUME_OVERLAP)))
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

/// Returns the byte range of the payload of the top-level `mdat` box of an MP4.
fn mdat_range(file: &[u8]) -> std::ops::Range<usize> {
    let mut at = 0;
    while at + 8 <= file.len() {
        let size = u32::from_be_bytes(file[at..at + 4].try_into().unwrap()) as usize;
        assert!(size >= 8, "the sample uses 32-bit box sizes");
        if &file[at + 4..at + 8] == b"mdat" {
            return at + 8..at + size;
        }
        at += size;
    }
    panic!("the sample has no mdat box");
}

/// Returns the names of the library entries that end in `.part`.
fn part_names(setup: &Setup) -> Vec<String> {
    setup
        .library_names()
        .into_iter()
        .filter(|name| name.ends_with(".part"))
        .collect()
}

/// Runs a download that stops cleanly at `offset` and fails, so a `.part` of `offset` bytes
/// stays behind. Returns its path.
async fn leave_part(
    setup: &Setup,
    emulator: &RunningEmulator,
    uid: &str,
    offset: u64,
) -> std::path::PathBuf {
    inject(emulator, DeliveryFault::CloseAt(offset));
    let id = setup.manager.start(uid, DownloadType::Default).unwrap();
    let error = wait(setup, id).await.unwrap_err();
    assert!(error.is_transient(), "{error}");
    setup
        .catalog
        .job(id)
        .unwrap()
        .unwrap()
        .part_path
        .expect("the partial file is recorded")
}

#[tokio::test]
async fn reset_at_random_offsets_resumes() {
    let emulator = emulator().await;
    let source = source();
    let uid = add_video(&emulator, source.clone());
    let mut rng = rand::rngs::StdRng::seed_from_u64(RESET_SEED);
    let len = source.len() as u64;
    let mut offsets: Vec<u64> = (0..4)
        .map(|_| rng.random_range(len / 10..len * 9 / 10))
        .collect();
    offsets.sort_unstable();
    for offset in &offsets {
        inject(&emulator, DeliveryFault::ResetAt(*offset));
    }
    let setup = setup(&emulator, options(offsets.len() as u32 + 1));

    let item = download(&setup, &uid).await.unwrap();

    assert_eq!(std::fs::read(&item.path).unwrap(), source.as_ref());
    assert_eq!(item.sha256, sha256_hex(&source));
    assert_eq!(emulator.reset_count(), offsets.len() as u64);
    let mut expected = vec![None];
    expected.extend(offsets.iter().map(|offset| resume_range(*offset)));
    assert_eq!(ranges(&emulator), expected, "offsets {offsets:?}");
    let limit = len + offsets.len() as u64 * RESUME_OVERLAP;
    assert!(
        emulator.delivered_bytes() <= limit,
        "{} bytes delivered, at most {limit} expected",
        emulator.delivered_bytes()
    );
    assert!(part_names(&setup).is_empty(), "{:?}", setup.library_names());
}

#[tokio::test]
async fn resets_with_progress_never_exhaust_retries() {
    let emulator = emulator().await;
    let source = source();
    let uid = add_video(&emulator, source.clone());
    let len = source.len() as u64;
    let offsets: Vec<u64> = (1..=8).map(|step| len * step / 10).collect();
    for offset in &offsets {
        inject(&emulator, DeliveryFault::ResetAt(*offset));
    }
    // One retry only: each reset comes after new bytes, so the count starts again each time.
    let setup = setup(&emulator, options(1));

    let item = download(&setup, &uid).await.unwrap();

    assert_eq!(std::fs::read(&item.path).unwrap(), source.as_ref());
    assert_eq!(emulator.reset_count(), offsets.len() as u64);
}

#[tokio::test]
async fn resets_without_progress_give_up() {
    let emulator = emulator().await;
    let source = source();
    let uid = add_video(&emulator, source.clone());
    let offset = source.len() as u64 / 2;
    // The first reset leaves half the file; every resume then breaks at the same byte.
    for _ in 0..4 {
        inject(&emulator, DeliveryFault::ResetAt(offset));
    }
    let setup = setup(&emulator, options(2));

    let error = download(&setup, &uid).await.unwrap_err();

    assert_eq!(error.code(), "network", "{error}");
    // The first cut gained bytes, so two resumes follow it; both end at the same byte.
    assert_eq!(emulator.reset_count(), 3);
    assert_eq!(
        emulator.pending_faults().0,
        1,
        "the job gave up before the fourth cut"
    );
    let parts = part_names(&setup);
    assert_eq!(parts.len(), 1, "the partial file is kept: {parts:?}");
}

#[tokio::test]
async fn headers_then_silence_times_out_and_resumes() {
    let emulator = emulator().await;
    let source = source();
    let uid = add_video(&emulator, source.clone());
    let half = source.len() as u64 / 2;
    inject(&emulator, DeliveryFault::HeadersThenSilence);
    inject(&emulator, DeliveryFault::SilenceAt(half));
    let setup = setup(&emulator, options(2));

    let started = Instant::now();
    let item = download(&setup, &uid).await.unwrap();
    let elapsed = started.elapsed();

    assert_eq!(std::fs::read(&item.path).unwrap(), source.as_ref());
    assert_eq!(ranges(&emulator), vec![None, None, resume_range(half)]);
    assert!(
        elapsed >= READ_TIMEOUT * 2,
        "two idle timeouts passed: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_secs(8),
        "the silent connections were abandoned quickly: {elapsed:?}"
    );
}

#[tokio::test]
async fn slow_trickle_completes_in_one_request() {
    let emulator = emulator().await;
    let source = support::sample_video();
    let uid = add_video(&emulator, source.clone());
    // About one second for the 100 KB sample, in chunks every 50 ms: slow, but never idle.
    inject(
        &emulator,
        DeliveryFault::Trickle {
            bytes_per_second: 100_000,
        },
    );
    let setup = setup(&emulator, options(0));

    let item = download(&setup, &uid).await.unwrap();

    assert_eq!(std::fs::read(&item.path).unwrap(), source.as_ref());
    assert_eq!(ranges(&emulator), vec![None]);
}

#[tokio::test]
async fn stalling_trickle_times_out_and_resumes() {
    let emulator = emulator().await;
    let source = source();
    let uid = add_video(&emulator, source.clone());
    let offset = source.len() as u64 / 3;
    inject(&emulator, DeliveryFault::CloseAt(offset));
    // One byte per second: each byte comes later than the read timeout allows.
    inject(
        &emulator,
        DeliveryFault::Trickle {
            bytes_per_second: 1,
        },
    );
    let setup = setup(&emulator, options(2));

    let item = download(&setup, &uid).await.unwrap();

    assert_eq!(std::fs::read(&item.path).unwrap(), source.as_ref());
    assert_eq!(
        ranges(&emulator),
        vec![None, resume_range(offset), resume_range(offset)],
        "the trickle cost no bytes of the part"
    );
    assert_eq!(statuses(&emulator), vec![200, 206, 206]);
    assert!(part_names(&setup).is_empty(), "{:?}", setup.library_names());
}

#[tokio::test]
async fn early_close_resumes_from_part() {
    let emulator = emulator().await;
    let source = source();
    let uid = add_video(&emulator, source.clone());
    let offset = 200_000;
    inject(&emulator, DeliveryFault::CloseAt(offset));
    let setup = setup(&emulator, options(1));

    let item = download(&setup, &uid).await.unwrap();

    assert_eq!(std::fs::read(&item.path).unwrap(), source.as_ref());
    assert_eq!(ranges(&emulator), vec![None, resume_range(offset)]);
    assert_eq!(
        emulator.delivered_bytes(),
        source.len() as u64 + RESUME_OVERLAP
    );
}

#[tokio::test]
async fn ignored_range_restarts_without_appending() {
    let emulator = emulator().await;
    let source = source();
    let uid = add_video(&emulator, source.clone());
    let setup = setup(&emulator, options(0));
    let offset = 300_000;
    leave_part(&setup, &emulator, &uid, offset).await;
    inject(&emulator, DeliveryFault::IgnoreRange);

    let item = download(&setup, &uid).await.unwrap();

    assert_eq!(std::fs::read(&item.path).unwrap(), source.as_ref());
    assert_eq!(item.bytes, source.len() as u64);
    assert_eq!(ranges(&emulator), vec![None, resume_range(offset)]);
    assert_eq!(statuses(&emulator), vec![200, 200]);
    assert_eq!(
        emulator.delivered_bytes(),
        offset + source.len() as u64,
        "the second request carried the whole body, which became the file"
    );
    assert!(part_names(&setup).is_empty(), "{:?}", setup.library_names());
}

#[tokio::test]
async fn wrong_content_range_restarts() {
    let emulator = emulator().await;
    let source = source();
    let uid = add_video(&emulator, source.clone());
    let setup = setup(&emulator, options(0));
    let offset = 250_000;
    leave_part(&setup, &emulator, &uid, offset).await;
    inject(&emulator, DeliveryFault::WrongContentRange);

    let item = download(&setup, &uid).await.unwrap();

    assert_eq!(std::fs::read(&item.path).unwrap(), source.as_ref());
    assert_eq!(ranges(&emulator), vec![None, resume_range(offset), None]);
    assert_eq!(statuses(&emulator), vec![200, 206, 200]);
}

#[tokio::test]
async fn range_not_satisfiable_completes_part() {
    let emulator = emulator().await;
    let source = source();
    let uid = add_video(&emulator, source.clone());
    let setup = setup(&emulator, options(0));
    // An earlier run wrote every byte, then stopped before verifying.
    let part_path = setup.manager.library_dir().join("Fault drill.mp4.part");
    std::fs::write(&part_path, &source).unwrap();
    let earlier = setup
        .catalog
        .insert_job(&uid, DownloadType::Default)
        .unwrap();
    let update = JobUpdate {
        state: JobPhase::Failed,
        title: Some("Fault drill".to_owned()),
        part_path: Some(part_path.clone()),
        bytes_done: source.len() as u64,
        bytes_total: Some(source.len() as u64),
        error: None,
        item_id: None,
        notice: None,
    };
    setup.catalog.update_job(earlier, &update).unwrap();
    inject(
        &emulator,
        DeliveryFault::Status {
            status: 416,
            retry_after: None,
            html: false,
        },
    );

    let item = download(&setup, &uid).await.unwrap();

    assert_eq!(std::fs::read(&item.path).unwrap(), source.as_ref());
    assert_eq!(item.sha256, sha256_hex(&source));
    assert_eq!(statuses(&emulator), vec![416]);
    assert_eq!(ranges(&emulator), vec![resume_range(source.len() as u64)]);
    assert!(!part_path.exists());
}

/// Returns delivery faults whose response is a web page instead of the video.
fn html_faults() -> Vec<DeliveryFault> {
    vec![
        DeliveryFault::HtmlOk,
        DeliveryFault::Status {
            status: 403,
            retry_after: None,
            html: true,
        },
        DeliveryFault::Status {
            status: 410,
            retry_after: None,
            html: true,
        },
    ]
}

#[tokio::test]
async fn html_pages_are_never_saved() {
    for fault in html_faults() {
        let emulator = emulator().await;
        let uid = add_video(&emulator, source());
        inject(&emulator, fault.clone());
        let setup = setup(&emulator, options(0));

        let result = download(&setup, &uid).await;

        assert!(result.is_err(), "{fault:?}");
        assert_eq!(gets(&emulator).len(), 1, "{fault:?}");
        assert!(
            setup.library_names().is_empty(),
            "{fault:?}: {:?}",
            setup.library_names()
        );
        assert!(setup.catalog.items().unwrap().is_empty(), "{fault:?}");
    }
}

#[tokio::test]
async fn html_pages_keep_existing_part() {
    for fault in html_faults() {
        let emulator = emulator().await;
        let source = source();
        let uid = add_video(&emulator, source.clone());
        let setup = setup(&emulator, options(0));
        let offset = 150_000;
        let part = leave_part(&setup, &emulator, &uid, offset).await;
        inject(&emulator, fault.clone());

        let result = download(&setup, &uid).await;

        assert!(result.is_err(), "{fault:?}");
        assert_eq!(
            std::fs::read(&part).unwrap(),
            &source[..offset as usize],
            "{fault:?}"
        );
        assert_eq!(part_names(&setup).len(), 1, "{fault:?}");
        assert!(setup.catalog.items().unwrap().is_empty(), "{fault:?}");
    }
}

// Two workers, so the watcher notes arrivals while the job runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_back_off_then_succeed() {
    let emulator = Arc::new(emulator().await);
    let source = source();
    let uid = add_video(&emulator, source.clone());
    for html in [true, false] {
        inject(
            &emulator,
            DeliveryFault::Status {
                status: 503,
                retry_after: None,
                html,
            },
        );
    }
    let base = Duration::from_millis(200);
    let setup = setup(
        &emulator,
        EngineOptions {
            retry_base_delay: base,
            retry_max_delay: Duration::from_secs(2),
            ..options(2)
        },
    );
    // Notes when each delivery request arrived, to measure the pauses between them.
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let watcher = {
        let emulator = Arc::clone(&emulator);
        let arrivals = Arc::clone(&arrivals);
        tokio::spawn(async move {
            loop {
                let count = emulator.delivery_count() as usize;
                {
                    let mut seen = arrivals.lock().unwrap();
                    while seen.len() < count {
                        seen.push(Instant::now());
                    }
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };

    let item = download(&setup, &uid).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    watcher.abort();

    assert_eq!(std::fs::read(&item.path).unwrap(), source.as_ref());
    assert_eq!(statuses(&emulator), vec![503, 503, 200]);
    let arrivals = arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 3);
    // The backoff doubles per retry, with at most 20 % jitter either way.
    let first_pause = arrivals[1] - arrivals[0];
    let second_pause = arrivals[2] - arrivals[1];
    assert!(first_pause >= base.mul_f64(0.8), "{first_pause:?}");
    assert!(second_pause >= base.mul_f64(1.6), "{second_pause:?}");
    assert!(
        second_pause > first_pause,
        "{first_pause:?} then {second_pause:?}"
    );
}

/// Runs three downloads under an API rate limit of a few requests per second and returns the
/// manager's snapshots and samples of the emulator's `(api_requests, rate_limited)` counters.
async fn run_rate_limited(
    retry_after_header: bool,
) -> (Vec<JobSnapshot>, Vec<(Instant, u64, u64)>) {
    let lockout = Duration::from_secs(1);
    let limit = RateLimit {
        requests: 6,
        window: Duration::from_secs(1),
        lockout,
        retry_after_header,
        ..RateLimit::default()
    };
    let emulator = Arc::new(emulator_with(Some(limit)).await);
    let source = support::sample_video();
    let uids: Vec<String> = (0..3)
        .map(|_| add_video(&emulator, source.clone()))
        .collect();
    let setup = setup(
        &emulator,
        EngineOptions {
            api_retries: 5,
            ..options(0)
        },
    );
    let seen = record_snapshots(&setup);
    let samples = Arc::new(Mutex::new(Vec::new()));
    let sampler = {
        let emulator = Arc::clone(&emulator);
        let samples = Arc::clone(&samples);
        tokio::spawn(async move {
            loop {
                let counters = emulator.counters();
                samples.lock().unwrap().push((
                    Instant::now(),
                    counters.api_requests,
                    counters.rate_limited,
                ));
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };

    let ids: Vec<i64> = uids
        .iter()
        .map(|uid| setup.manager.start(uid, DownloadType::Default).unwrap())
        .collect();
    for id in &ids {
        let item = wait(&setup, *id).await.unwrap();
        assert_eq!(item.sha256, sha256_hex(&source));
    }
    sampler.abort();

    let snapshots = seen.lock().unwrap().clone();
    let samples = samples.lock().unwrap().clone();
    (snapshots, samples)
}

/// Returns the API requests counted between 150 ms and 850 ms after the first 429 was seen,
/// a span inside the one-second lockout that leaves room for requests already in flight.
fn requests_during_first_lockout(samples: &[(Instant, u64, u64)]) -> u64 {
    let first = samples
        .iter()
        .find(|(_, _, limited)| *limited > 0)
        .expect("the rate limit was reached");
    let count_at = |offset: Duration| {
        samples
            .iter()
            .take_while(|(at, _, _)| *at <= first.0 + offset)
            .last()
            .map(|(_, requests, _)| *requests)
            .unwrap()
    };
    count_at(Duration::from_millis(850)) - count_at(Duration::from_millis(150))
}

fn showed_rate_limited(snapshots: &[JobSnapshot]) -> bool {
    snapshots
        .iter()
        .any(|snapshot| matches!(snapshot.notice, Some(JobNotice::RateLimited { .. })))
}

// Two workers, so the sampler runs while jobs do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_429_with_retry_after_waits() {
    let (snapshots, samples) = run_rate_limited(true).await;

    assert_eq!(requests_during_first_lockout(&samples), 0);
    assert!(showed_rate_limited(&snapshots));
}

// Two workers, so the sampler runs while jobs do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_429_without_retry_after_waits() {
    let (snapshots, samples) = run_rate_limited(false).await;

    assert_eq!(requests_during_first_lockout(&samples), 0);
    assert!(showed_rate_limited(&snapshots));
}

#[tokio::test]
async fn download_error_is_terminal() {
    let emulator = emulator().await;
    let uid = add_video(&emulator, source());
    emulator.script_download(
        &uid,
        stream_emulator::DownloadType::Default,
        DownloadScript::Fail {
            at_percent: 80.0,
            reason: "encoder crashed".to_owned(),
        },
    );
    let setup = setup(&emulator, options(3));

    let id = setup.manager.start(&uid, DownloadType::Default).unwrap();
    let error = wait(&setup, id).await.unwrap_err();
    let polls = emulator.api_by_endpoint().downloads_get;
    tokio::time::sleep(Duration::from_millis(300)).await;

    assert_eq!(error.code(), "download_error");
    assert!(!error.is_transient());
    assert!(
        error.to_string().contains("status 'error' at 80 %"),
        "{error}"
    );
    assert!(
        error.to_string().contains("starting the download again"),
        "{error}"
    );
    assert!(error.to_string().contains(&uid), "{error}");
    assert_eq!(
        emulator.api_by_endpoint().downloads_get,
        polls,
        "polling stopped"
    );
    assert_eq!(emulator.delivery_count(), 0);
    let job = setup.catalog.job(id).unwrap().unwrap();
    assert_eq!(job.state, JobPhase::Failed);
    assert_eq!(job.error.unwrap().code, "download_error");
    assert!(
        setup.library_names().is_empty(),
        "{:?}",
        setup.library_names()
    );
}

#[tokio::test]
async fn errored_download_retry_recreates() {
    let emulator = emulator().await;
    let source = source();
    let uid = add_video(&emulator, source.clone());
    emulator.script_download_error(&uid, stream_emulator::DownloadType::Default, "encoder");
    let setup = setup(&emulator, options(0));
    let first = download(&setup, &uid).await.unwrap_err();
    assert_eq!(first.code(), "download_error");
    let before = emulator.api_by_endpoint();

    let item = download(&setup, &uid).await.unwrap();

    let after = emulator.api_by_endpoint();
    assert_eq!(std::fs::read(&item.path).unwrap(), source.as_ref());
    assert_eq!(after.downloads_delete - before.downloads_delete, 1);
    assert_eq!(
        after.downloads_create - before.downloads_create,
        2,
        "one POST found the error, one created the download again"
    );
}

#[tokio::test]
async fn stalled_percent_notice_then_fails() {
    let emulator = emulator().await;
    let uid = add_video(&emulator, source());
    emulator.script_download(
        &uid,
        stream_emulator::DownloadType::Default,
        DownloadScript::Stall { at_percent: 62.0 },
    );
    let timeout = Duration::from_millis(1500);
    let setup = setup(
        &emulator,
        EngineOptions {
            stall_notice_after: Duration::from_millis(400),
            prepare_stall_timeout: timeout,
            ..options(0)
        },
    );
    let seen = record_snapshots(&setup);

    let started = Instant::now();
    let error = download(&setup, &uid).await.unwrap_err();
    let elapsed = started.elapsed();
    let polls = emulator.api_by_endpoint().downloads_get;
    tokio::time::sleep(Duration::from_millis(300)).await;

    assert_eq!(error.code(), "download_error");
    assert!(error.to_string().contains("stayed at 62 %"), "{error}");
    let notice_percent = seen
        .lock()
        .unwrap()
        .iter()
        .find_map(|snapshot| match snapshot.notice {
            Some(JobNotice::Stalled { percent, .. }) => Some(percent),
            _ => None,
        });
    assert_eq!(notice_percent, Some(Some(62.0)));
    assert!(elapsed >= timeout, "{elapsed:?}");
    assert!(elapsed < timeout * 4, "{elapsed:?}");
    assert_eq!(
        emulator.api_by_endpoint().downloads_get,
        polls,
        "polling stopped"
    );
}

#[tokio::test]
async fn changed_etag_same_bytes_resumes() {
    let emulator = emulator().await;
    let source = source();
    let uid = add_video(&emulator, source.clone());
    let setup = setup(&emulator, options(0));
    let offset = 350_000;
    leave_part(&setup, &emulator, &uid, offset).await;
    inject(&emulator, DeliveryFault::ChangeEtag);

    let item = download(&setup, &uid).await.unwrap();

    assert_eq!(std::fs::read(&item.path).unwrap(), source.as_ref());
    assert_eq!(ranges(&emulator), vec![None, resume_range(offset)]);
    assert_eq!(statuses(&emulator), vec![200, 206]);
    assert_eq!(
        emulator.delivered_bytes(),
        source.len() as u64 + RESUME_OVERLAP,
        "only the overlap was delivered twice"
    );
}

#[tokio::test]
async fn changed_content_restarts_from_zero() {
    let emulator = emulator().await;
    let original = source();
    let uid = add_video(&emulator, original.clone());
    let setup = setup(&emulator, options(0));
    // A re-encode of the same length and duration: every byte of the media data differs.
    let mdat = mdat_range(&original);
    let mut changed = original.to_vec();
    for byte in &mut changed[mdat.clone()] {
        *byte ^= 0x5A;
    }
    let changed = Bytes::from(changed);
    let offset = (mdat.start + mdat.end) as u64 / 2;
    assert!(
        offset - RESUME_OVERLAP > mdat.start as u64,
        "the overlap lies in mdat"
    );
    leave_part(&setup, &emulator, &uid, offset).await;
    inject(
        &emulator,
        DeliveryFault::ReplaceContent(MediaFile::from_bytes(changed.clone())),
    );

    let item = download(&setup, &uid).await.unwrap();

    assert_eq!(std::fs::read(&item.path).unwrap(), changed.as_ref());
    assert_eq!(item.sha256, sha256_hex(&changed));
    assert_eq!(ranges(&emulator), vec![None, resume_range(offset), None]);
}

#[tokio::test]
async fn replaced_longer_content_restarts() {
    let emulator = emulator().await;
    let original = source();
    let uid = add_video(&emulator, original.clone());
    let setup = setup(&emulator, options(0));
    let offset = 200_000;
    leave_part(&setup, &emulator, &uid, offset).await;
    // The same video followed by a `free` box: a new length and ETag, the same duration.
    let padding: u32 = 40_000;
    let longer_len = original.len() as u64 + u64::from(padding);
    let longer = MediaFile::padded(MediaFile::from_bytes(original.clone()), longer_len).unwrap();
    let mut expected = original.to_vec();
    expected.extend_from_slice(&padding.to_be_bytes());
    expected.extend_from_slice(b"free");
    expected.resize(longer_len as usize, 0);
    inject(&emulator, DeliveryFault::ReplaceContent(longer));

    let item = download(&setup, &uid).await.unwrap();

    assert_eq!(item.bytes, longer_len);
    assert_eq!(std::fs::read(&item.path).unwrap(), expected);
    assert_eq!(ranges(&emulator), vec![None, resume_range(offset), None]);
}
