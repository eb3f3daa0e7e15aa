//! Tests of the download queue against the Stream emulator on 127.0.0.1: pause and resume,
//! cancel with and without the partial file, and the transfer limit. The restart after a
//! killed process and a full disk are tested in `process.rs`. Transfers are throttled with the emulator's
//! delivery rate so that a pause lands mid-transfer.

mod support;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use offstream_engine::{Catalog, EngineError, JobManager, JobPhase, JobSnapshot};
use offstream_stream::DownloadType;
use stream_emulator::{Emulator, EmulatorConfig, MediaFile, RunningEmulator, Seed, VideoSpec};
use tokio::sync::broadcast::Receiver;

use support::{fast_options, sha256_hex, Setup};

/// Maximum time one step of a test may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// Delivery rate while a test needs a transfer in flight: the 556 kB sample takes about 4 s.
const SLOW_RATE: u64 = 150_000;

async fn emulator() -> RunningEmulator {
    let config = EmulatorConfig {
        seed: Seed::Empty,
        prepare_time: Duration::from_millis(200),
        ..EmulatorConfig::default()
    };
    Emulator::start(config).await.expect("emulator starts")
}

/// Returns the 556 kB sample video, large enough to pause mid-transfer.
fn large_video() -> Bytes {
    Bytes::from(std::fs::read(support::samples_dir().join("fractal-dive.mp4")).unwrap())
}

fn add_large(emulator: &RunningEmulator, name: &str) -> String {
    emulator.add_video(VideoSpec {
        name: Some(name.to_owned()),
        media: MediaFile::from_bytes(large_video()),
        ..VideoSpec::default()
    })
}

fn client(emulator: &RunningEmulator) -> offstream_stream::StreamClient {
    support::client(
        &emulator.api_base(),
        emulator.account_id(),
        emulator.api_token(),
    )
}

/// Waits until a snapshot of job `id` satisfies `done`.
async fn wait_for(
    events: &mut Receiver<JobSnapshot>,
    id: i64,
    done: impl Fn(&JobSnapshot) -> bool,
) -> JobSnapshot {
    tokio::time::timeout(STEP_TIMEOUT, async {
        loop {
            let snapshot = events.recv().await.expect("event stream open");
            if snapshot.id == id && done(&snapshot) {
                return snapshot;
            }
        }
    })
    .await
    .expect("the snapshot arrives in time")
}

/// Waits until a snapshot of each job in `ids` satisfied `done`, in any order.
async fn wait_for_all(
    events: &mut Receiver<JobSnapshot>,
    ids: &[i64],
    done: impl Fn(&JobSnapshot) -> bool,
) {
    let mut pending: std::collections::HashSet<i64> = ids.iter().copied().collect();
    tokio::time::timeout(STEP_TIMEOUT, async {
        while !pending.is_empty() {
            let snapshot = events.recv().await.expect("event stream open");
            if done(&snapshot) {
                pending.remove(&snapshot.id);
            }
        }
    })
    .await
    .expect("the snapshots arrive in time");
}

async fn wait_done(
    manager: &JobManager,
    id: i64,
) -> Result<offstream_engine::LibraryItem, EngineError> {
    tokio::time::timeout(STEP_TIMEOUT, manager.wait(id))
        .await
        .expect("the job ends in time")
}

fn transferred_at_least(bytes: u64) -> impl Fn(&JobSnapshot) -> bool {
    move |s| s.phase == JobPhase::Transferring && s.bytes_done >= bytes
}

fn is_paused(s: &JobSnapshot) -> bool {
    s.phase == JobPhase::Paused
}

#[tokio::test]
async fn pause_keeps_part_and_resumes_identical() {
    let emulator = emulator().await;
    emulator.set_delivery_rate(Some(SLOW_RATE));
    let uid = add_large(&emulator, "Long talk");
    let setup = Setup::new(client(&emulator), fast_options());
    let source = large_video();
    let mut events = setup.manager.subscribe();

    let id = setup.manager.start(&uid, DownloadType::Default).unwrap();
    wait_for(&mut events, id, transferred_at_least(100_000)).await;
    setup.manager.pause(id).unwrap();
    let paused = wait_for(&mut events, id, is_paused).await;

    let row = setup.catalog.job(id).unwrap().unwrap();
    let part = row.part_path.clone().expect("the partial file is recorded");
    let on_disk = std::fs::read(&part).unwrap();
    assert_eq!(row.state, JobPhase::Paused);
    assert!(!on_disk.is_empty(), "the partial file has bytes");
    assert!(
        on_disk.len() < source.len(),
        "the pause came before the end"
    );
    assert_eq!(&on_disk[..], &source[..on_disk.len()]);
    assert_eq!(paused.bytes_done, on_disk.len() as u64);
    assert_eq!(paused.notice, None);

    // A paused job stays paused: nothing is delivered while it waits.
    let delivered_at_pause = emulator.delivered_bytes();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(setup.manager.snapshot(id).unwrap().phase, JobPhase::Paused);
    let delivered_paused = emulator.delivered_bytes();

    emulator.set_delivery_rate(None);
    setup.manager.resume(id).unwrap();
    let item = wait_done(&setup.manager, id).await.unwrap();

    assert!(
        delivered_paused - delivered_at_pause < 20_000,
        "the transfer stopped on pause"
    );
    assert_eq!(std::fs::read(&item.path).unwrap(), source.as_ref());
    assert_eq!(item.sha256, sha256_hex(&source));
    let resent = emulator.delivered_bytes() - delivered_paused;
    assert!(
        resent <= (source.len() - on_disk.len()) as u64 + 64 * 1024 + 16_384,
        "the resume continued the partial file, resent {resent} bytes"
    );
    assert_eq!(
        setup.catalog.job(id).unwrap().unwrap().state,
        JobPhase::Done
    );
}

#[tokio::test]
async fn pause_queued_job_leaves_queue() {
    let emulator = emulator().await;
    emulator.set_delivery_rate(Some(SLOW_RATE));
    let first = add_large(&emulator, "First");
    let second = add_large(&emulator, "Second");
    let options = offstream_engine::EngineOptions {
        max_concurrent_transfers: 1,
        ..fast_options()
    };
    let setup = Setup::new(client(&emulator), options);
    let mut events = setup.manager.subscribe();

    let running = setup.manager.start(&first, DownloadType::Default).unwrap();
    wait_for(&mut events, running, transferred_at_least(10_000)).await;
    let queued = setup.manager.start(&second, DownloadType::Default).unwrap();
    wait_for(&mut events, queued, |s| {
        s.phase == JobPhase::Queued && s.title.is_some()
    })
    .await;
    setup.manager.pause(queued).unwrap();
    wait_for(&mut events, queued, is_paused).await;

    emulator.set_delivery_rate(None);
    wait_done(&setup.manager, running).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    assert_eq!(
        setup.manager.snapshot(queued).unwrap().phase,
        JobPhase::Paused
    );
    assert_eq!(
        setup.catalog.job(queued).unwrap().unwrap().state,
        JobPhase::Paused
    );
}

#[tokio::test]
async fn pause_all_then_resume_all() {
    let emulator = emulator().await;
    emulator.set_delivery_rate(Some(SLOW_RATE));
    let uids = [add_large(&emulator, "One"), add_large(&emulator, "Two")];
    let setup = Setup::new(client(&emulator), fast_options());
    let source = large_video();
    let mut events = setup.manager.subscribe();

    let ids: Vec<i64> = uids
        .iter()
        .map(|uid| setup.manager.start(uid, DownloadType::Default).unwrap())
        .collect();
    wait_for_all(&mut events, &ids, transferred_at_least(20_000)).await;
    let paused = setup.manager.pause_all();
    wait_for_all(&mut events, &ids, is_paused).await;

    emulator.set_delivery_rate(None);
    let resumed = setup.manager.resume_all().unwrap();
    let mut hashes = Vec::new();
    for id in &ids {
        hashes.push(wait_done(&setup.manager, *id).await.unwrap().sha256);
    }

    assert_eq!(paused, ids);
    assert_eq!(resumed, ids);
    assert_eq!(hashes, vec![sha256_hex(&source); 2]);
}

#[tokio::test]
async fn cancel_keeps_partial_by_default() {
    let emulator = emulator().await;
    emulator.set_delivery_rate(Some(SLOW_RATE));
    let uid = add_large(&emulator, "Kept");
    let setup = Setup::new(client(&emulator), fast_options());
    let mut events = setup.manager.subscribe();

    let id = setup.manager.start(&uid, DownloadType::Default).unwrap();
    wait_for(&mut events, id, transferred_at_least(20_000)).await;
    setup.manager.cancel(id, false).unwrap();
    let error = wait_done(&setup.manager, id).await.unwrap_err();

    let row = setup.catalog.job(id).unwrap().unwrap();
    assert!(matches!(error, EngineError::Cancelled), "{error}");
    assert_eq!(row.state, JobPhase::Cancelled);
    let part = row.part_path.expect("the partial file is recorded");
    assert!(part.is_file());
}

#[tokio::test]
async fn cancel_removes_partial_on_request() {
    let emulator = emulator().await;
    emulator.set_delivery_rate(Some(SLOW_RATE));
    let uid = add_large(&emulator, "Removed");
    let setup = Setup::new(client(&emulator), fast_options());
    let mut events = setup.manager.subscribe();

    let id = setup.manager.start(&uid, DownloadType::Default).unwrap();
    wait_for(&mut events, id, transferred_at_least(20_000)).await;
    setup.manager.cancel(id, true).unwrap();
    let error = wait_done(&setup.manager, id).await.unwrap_err();

    let row = setup.catalog.job(id).unwrap().unwrap();
    assert!(matches!(error, EngineError::Cancelled), "{error}");
    assert_eq!(row.state, JobPhase::Cancelled);
    assert_eq!(row.part_path, None);
    assert!(
        setup.library_names().is_empty(),
        "{:?}",
        setup.library_names()
    );
}

#[tokio::test]
async fn cancel_paused_job_removes_partial() {
    let emulator = emulator().await;
    emulator.set_delivery_rate(Some(SLOW_RATE));
    let uid = add_large(&emulator, "Paused then removed");
    let setup = Setup::new(client(&emulator), fast_options());
    let mut events = setup.manager.subscribe();

    let id = setup.manager.start(&uid, DownloadType::Default).unwrap();
    wait_for(&mut events, id, transferred_at_least(20_000)).await;
    setup.manager.pause(id).unwrap();
    wait_for(&mut events, id, is_paused).await;
    let part = setup.catalog.job(id).unwrap().unwrap().part_path.unwrap();
    setup.manager.cancel(id, true).unwrap();
    let error = wait_done(&setup.manager, id).await.unwrap_err();

    assert!(matches!(error, EngineError::Cancelled), "{error}");
    assert!(!part.exists());
    assert_eq!(setup.catalog.job(id).unwrap().unwrap().part_path, None);
    assert_eq!(
        setup.manager.snapshot(id).unwrap().phase,
        JobPhase::Cancelled
    );
}

#[tokio::test]
async fn set_max_transfers_rejects_zero() {
    let emulator = emulator().await;
    let setup = Setup::new(client(&emulator), fast_options());
    assert_eq!(setup.manager.max_transfers(), 2);
    assert_eq!(
        setup.manager.set_max_transfers(0).unwrap_err().code(),
        "config"
    );
    setup.manager.set_max_transfers(3).unwrap();
    assert_eq!(setup.manager.max_transfers(), 3);
}

#[tokio::test]
async fn raised_transfer_limit_starts_queued_job() {
    let emulator = emulator().await;
    emulator.set_delivery_rate(Some(SLOW_RATE));
    let first = add_large(&emulator, "Running");
    let second = add_large(&emulator, "Waiting");
    let options = offstream_engine::EngineOptions {
        max_concurrent_transfers: 1,
        ..fast_options()
    };
    let setup = Setup::new(client(&emulator), options);
    let mut events = setup.manager.subscribe();

    let running = setup.manager.start(&first, DownloadType::Default).unwrap();
    wait_for(&mut events, running, transferred_at_least(10_000)).await;
    let waiting = setup.manager.start(&second, DownloadType::Default).unwrap();
    wait_for(&mut events, waiting, |s| {
        s.phase == JobPhase::Queued && s.title.is_some()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = setup.manager.snapshot(waiting).unwrap().phase;

    setup.manager.set_max_transfers(2).unwrap();
    let started = wait_for(&mut events, waiting, |s| s.phase == JobPhase::Transferring).await;
    let first_state = setup.manager.snapshot(running).unwrap().phase;

    assert_eq!(before, JobPhase::Queued);
    assert_eq!(started.phase, JobPhase::Transferring);
    assert_eq!(first_state, JobPhase::Transferring, "both transfer at once");
    emulator.set_delivery_rate(None);
}

#[tokio::test]
async fn one_manager_resumes_a_catalog() {
    let emulator = emulator().await;
    let uid = add_large(&emulator, "Left unfinished");
    let dir = tempfile::tempdir().unwrap();
    let catalog = Arc::new(Catalog::open(&dir.path().join("data")).unwrap());
    let library = dir.path().join("library");
    // A job row as a killed run leaves it: queued, never finished.
    let id = catalog.insert_job(&uid, DownloadType::Default).unwrap();
    let manager = |catalog: &Arc<Catalog>| {
        JobManager::new(
            client(&emulator),
            Arc::clone(catalog),
            &library,
            support::fast_options(),
        )
        .unwrap()
    };
    let first = manager(&catalog);
    let second = manager(&catalog);

    assert_eq!(first.resume_unfinished().unwrap(), vec![id]);
    assert!(
        second.resume_unfinished().unwrap().is_empty(),
        "the second manager leaves the job to the first"
    );
    wait_done(&first, id).await.unwrap();

    // The lock goes with its manager, so a later process can resume again.
    drop(first);
    let third = manager(&catalog);
    assert!(
        third.resume_unfinished().unwrap().is_empty(),
        "nothing is left to resume"
    );
    assert!(
        catalog.try_lock_queue().unwrap().is_none(),
        "the third manager holds the lock"
    );
}
