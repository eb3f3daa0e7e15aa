//! End-to-end tests of the engine: real HTTP on 127.0.0.1 (the Stream emulator, or a small
//! fault server for delivery faults the emulator lacks), real temporary folders and real
//! SQLite files.

mod support;

use std::time::Duration;

use offstream_engine::transfer::{self, TransferRequest};
use offstream_engine::{EngineError, JobPhase, JobSnapshot};
use offstream_stream::DownloadType;
use stream_emulator::{
    Emulator, EmulatorConfig, MediaFile, RunningEmulator, Seed, VideoSpec, VideoState,
};
use tokio_util::sync::CancellationToken;

use support::{
    fast_options, list_names, sample_audio, sample_video, sha256_hex, Fault, FaultServer, Setup,
    URL_SECRET,
};

/// Maximum time one job may take in this suite.
const JOB_TIMEOUT: Duration = Duration::from_secs(30);

async fn emulator() -> RunningEmulator {
    let config = EmulatorConfig {
        seed: Seed::Empty,
        prepare_time: Duration::from_millis(300),
        ..EmulatorConfig::default()
    };
    Emulator::start(config).await.expect("emulator starts")
}

fn add_sample(emulator: &RunningEmulator, name: Option<&str>) -> String {
    emulator.add_video(VideoSpec {
        name: name.map(str::to_owned),
        media: MediaFile::from_bytes(sample_video()),
        audio: Some(MediaFile::from_bytes(sample_audio())),
        ..VideoSpec::default()
    })
}

fn emulator_setup(emulator: &RunningEmulator) -> Setup {
    let client = support::client(
        &emulator.api_base(),
        emulator.account_id(),
        emulator.api_token(),
    );
    Setup::new(client, fast_options())
}

async fn wait(setup: &Setup, id: i64) -> Result<offstream_engine::LibraryItem, EngineError> {
    tokio::time::timeout(JOB_TIMEOUT, setup.manager.wait(id))
        .await
        .expect("the job ends in time")
}

/// Waits until a snapshot of job `id` satisfies `done`.
async fn wait_for_snapshot(
    events: &mut tokio::sync::broadcast::Receiver<JobSnapshot>,
    id: i64,
    done: impl Fn(&JobSnapshot) -> bool,
) -> JobSnapshot {
    tokio::time::timeout(JOB_TIMEOUT, async {
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

#[tokio::test]
async fn download_matches_source_bytes() {
    let emulator = emulator().await;
    let uid = add_sample(&emulator, Some("Quarterly review: Q1/Q2"));
    let setup = emulator_setup(&emulator);
    let source = sample_video();

    let id = setup.manager.start(&uid, DownloadType::Default).unwrap();
    let item = wait(&setup, id).await.unwrap();

    assert_eq!(std::fs::read(&item.path).unwrap(), source.as_ref());
    assert_eq!(item.sha256, sha256_hex(&source));
    assert_eq!(item.bytes, source.len() as u64);
    assert_eq!(item.file_name, "Quarterly review_ Q1_Q2.mp4");
    assert_eq!(item.title, "Quarterly review: Q1/Q2");
    assert!(item.duration.unwrap() > 1.0);
    assert_eq!(setup.library_names(), vec![item.file_name.clone()]);

    let row = setup.catalog.item(item.id).unwrap().unwrap();
    assert_eq!(row.sha256, sha256_hex(&source));
    assert_eq!(row.path, item.path);

    let job = setup.catalog.job(id).unwrap().unwrap();
    assert_eq!(job.state, JobPhase::Done);
    assert_eq!(job.item_id, Some(item.id));
    assert_eq!(job.part_path, None);

    let snapshot = setup.manager.snapshot(id).unwrap();
    assert_eq!(snapshot.phase, JobPhase::Done);
    assert_eq!(snapshot.item_id, Some(item.id));
}

#[tokio::test]
async fn download_reports_phases_in_order() {
    let emulator = emulator().await;
    let uid = add_sample(&emulator, Some("Phases"));
    let setup = emulator_setup(&emulator);
    let mut events = setup.manager.subscribe();

    let id = setup.manager.start(&uid, DownloadType::Default).unwrap();
    wait(&setup, id).await.unwrap();

    let mut phases = Vec::new();
    let mut percents = Vec::new();
    while let Ok(snapshot) = events.try_recv() {
        if phases.last() != Some(&snapshot.phase) {
            phases.push(snapshot.phase);
        }
        percents.extend(snapshot.prepare_percent);
    }
    assert_eq!(
        phases,
        vec![
            JobPhase::Queued,
            JobPhase::Preparing,
            JobPhase::Transferring,
            JobPhase::Verifying,
            JobPhase::Done
        ]
    );
    assert!(!percents.is_empty(), "preparation progress was reported");
}

#[tokio::test]
async fn audio_download_matches_source() {
    let emulator = emulator().await;
    let uid = add_sample(&emulator, Some("Podcast episode.mp4"));
    let setup = emulator_setup(&emulator);
    let source = sample_audio();

    let id = setup.manager.start(&uid, DownloadType::Audio).unwrap();
    let item = wait(&setup, id).await.unwrap();

    assert_eq!(std::fs::read(&item.path).unwrap(), source.as_ref());
    assert_eq!(item.sha256, sha256_hex(&source));
    assert_eq!(item.file_name, "Podcast episode.m4a");
    assert_eq!(item.download_type, DownloadType::Audio);
}

#[tokio::test]
async fn resume_continues_half_part() {
    let emulator = emulator().await;
    let uid = add_sample(&emulator, Some("Resumed"));
    let setup = emulator_setup(&emulator);
    let source = sample_video();
    let half = source.len() / 2;

    // An earlier run left half the file and its size in the jobs table.
    let part_path = setup.manager.library_dir().join("Resumed.mp4.part");
    std::fs::write(&part_path, &source[..half]).unwrap();
    let earlier = setup
        .catalog
        .insert_job(&uid, DownloadType::Default)
        .unwrap();
    let update = offstream_engine::catalog::JobUpdate {
        state: JobPhase::Failed,
        title: Some("Resumed".to_owned()),
        part_path: Some(part_path.clone()),
        bytes_done: half as u64,
        bytes_total: Some(source.len() as u64),
        error: None,
        item_id: None,
        notice: None,
    };
    setup.catalog.update_job(earlier, &update).unwrap();

    let id = setup.manager.start(&uid, DownloadType::Default).unwrap();
    let item = wait(&setup, id).await.unwrap();

    assert_eq!(std::fs::read(&item.path).unwrap(), source.as_ref());
    assert_eq!(item.sha256, sha256_hex(&source));
    assert_eq!(item.file_name, "Resumed.mp4");
    // A resume requests the overlap before the end of the part again, to compare it.
    let overlap = (half as u64).min(transfer::RESUME_OVERLAP);
    assert!(
        emulator.delivered_bytes() <= (source.len() - half) as u64 + overlap,
        "only the missing half and the overlap were delivered, got {} bytes",
        emulator.delivered_bytes()
    );
    assert_eq!(setup.catalog.job(earlier).unwrap().unwrap().part_path, None);
}

#[tokio::test]
async fn second_start_returns_running_job() {
    let emulator = emulator().await;
    let uid = add_sample(&emulator, Some("Twice"));
    let setup = emulator_setup(&emulator);

    let first = setup.manager.start(&uid, DownloadType::Default).unwrap();
    let second = setup.manager.start(&uid, DownloadType::Default).unwrap();
    assert_eq!(first, second);

    wait(&setup, first).await.unwrap();
    assert_eq!(setup.library_names(), vec!["Twice.mp4".to_owned()]);
}

#[tokio::test]
async fn downloaded_file_is_not_fetched_again() {
    let emulator = emulator().await;
    let uid = add_sample(&emulator, Some("Once"));
    let setup = emulator_setup(&emulator);
    let first = setup.manager.start(&uid, DownloadType::Default).unwrap();
    let item = wait(&setup, first).await.unwrap();
    let deliveries = emulator.delivery_count();

    let again = setup.manager.start(&uid, DownloadType::Default).unwrap();
    let same = wait(&setup, again).await.unwrap();

    assert_ne!(first, again);
    assert_eq!(same.id, item.id);
    assert_eq!(emulator.delivery_count(), deliveries);
}

#[tokio::test]
async fn same_titles_get_unique_names() {
    let emulator = emulator().await;
    let first_uid = add_sample(&emulator, Some("Talk"));
    let second_uid = add_sample(&emulator, Some("talk.mp4"));
    let setup = emulator_setup(&emulator);

    let first = setup
        .manager
        .start(&first_uid, DownloadType::Default)
        .unwrap();
    let second = setup
        .manager
        .start(&second_uid, DownloadType::Default)
        .unwrap();
    let mut names = vec![
        wait(&setup, first).await.unwrap().file_name,
        wait(&setup, second).await.unwrap().file_name,
    ];
    names.sort();

    let possible = [
        vec!["Talk (2).mp4".to_owned(), "talk.mp4".to_owned()],
        vec!["Talk.mp4".to_owned(), "talk (2).mp4".to_owned()],
    ];
    assert!(possible.contains(&names), "{names:?}");
    assert_eq!(setup.library_names().len(), 2);
}

#[tokio::test]
async fn untitled_video_uses_uid() {
    let emulator = emulator().await;
    let uid = add_sample(&emulator, None);
    let setup = emulator_setup(&emulator);

    let id = setup.manager.start(&uid, DownloadType::Default).unwrap();
    let item = wait(&setup, id).await.unwrap();

    assert_eq!(item.file_name, format!("{uid}.mp4"));
    assert_eq!(item.title, uid);
}

#[tokio::test]
async fn delete_item_removes_file_and_row() {
    let emulator = emulator().await;
    let uid = add_sample(&emulator, Some("Delete me"));
    let setup = emulator_setup(&emulator);
    let id = setup.manager.start(&uid, DownloadType::Default).unwrap();
    let item = wait(&setup, id).await.unwrap();

    assert!(setup.manager.delete_item(item.id).unwrap());

    assert!(!item.path.exists());
    assert_eq!(setup.catalog.item(item.id).unwrap(), None);
    assert!(setup.library_names().is_empty());
}

#[tokio::test]
async fn download_error_fails_with_reason() {
    let emulator = emulator().await;
    let uid = add_sample(&emulator, Some("Broken"));
    emulator.script_download_error(
        &uid,
        stream_emulator::DownloadType::Default,
        "encoder crashed",
    );
    let setup = emulator_setup(&emulator);

    let id = setup.manager.start(&uid, DownloadType::Default).unwrap();
    let error = wait(&setup, id).await.unwrap_err();

    assert_eq!(error.code(), "download_error");
    assert!(error.to_string().contains("status 'error'"), "{error}");
    assert!(setup.library_names().is_empty());
    let job = setup.catalog.job(id).unwrap().unwrap();
    assert_eq!(job.state, JobPhase::Failed);
    assert_eq!(job.error.unwrap().code, "download_error");
}

#[tokio::test]
async fn processing_video_is_not_ready() {
    let emulator = emulator().await;
    let uid = emulator.add_video(VideoSpec {
        state: VideoState::InProgress,
        ..VideoSpec::named("Still encoding")
    });
    let setup = emulator_setup(&emulator);

    let id = setup.manager.start(&uid, DownloadType::Default).unwrap();
    let error = wait(&setup, id).await.unwrap_err();

    assert_eq!(error.code(), "not_ready");
    assert!(error.to_string().contains(&uid), "{error}");
}

#[tokio::test]
async fn unknown_uid_is_not_found() {
    let emulator = emulator().await;
    let setup = emulator_setup(&emulator);

    let id = setup
        .manager
        .start("ffffffffffffffffffffffffffffffff", DownloadType::Default)
        .unwrap();
    let error = wait(&setup, id).await.unwrap_err();

    assert_eq!(error.code(), "not_found");
    assert_eq!(setup.manager.snapshot(id).unwrap().phase, JobPhase::Failed);
}

#[tokio::test]
async fn bad_token_is_auth() {
    let emulator = emulator().await;
    let uid = add_sample(&emulator, Some("Private"));
    let client = support::client(
        &emulator.api_base(),
        emulator.account_id(),
        "wrongToken0000000000000000000000000000000",
    );
    let setup = Setup::new(client, fast_options());

    let id = setup.manager.start(&uid, DownloadType::Default).unwrap();
    let error = wait(&setup, id).await.unwrap_err();

    assert_eq!(error.code(), "auth");
    assert!(!error.is_transient());
}

#[tokio::test]
async fn swapped_client_is_used() {
    let emulator = emulator().await;
    let uid = add_sample(&emulator, Some("Swapped"));
    let bad = support::client(
        &emulator.api_base(),
        emulator.account_id(),
        "wrongToken0000000000000000000000000000000",
    );
    let setup = Setup::new(bad, fast_options());
    let good = support::client(
        &emulator.api_base(),
        emulator.account_id(),
        emulator.api_token(),
    );

    setup.manager.set_client(good);
    let id = setup.manager.start(&uid, DownloadType::Default).unwrap();

    assert!(wait(&setup, id).await.is_ok());
}

#[tokio::test]
async fn api_down_is_network_error() {
    let emulator = emulator().await;
    let uid = add_sample(&emulator, Some("Offline"));
    let setup = emulator_setup(&emulator);
    emulator.shutdown().await;

    let id = setup.manager.start(&uid, DownloadType::Default).unwrap();
    let error = wait(&setup, id).await.unwrap_err();

    assert_eq!(error.code(), "network");
    assert!(error.is_transient());
    let job = setup.catalog.job(id).unwrap().unwrap();
    assert_eq!(job.error.unwrap().code, "network");
}

#[tokio::test]
async fn delivery_cut_keeps_part_and_resumes() {
    let server = FaultServer::start(sample_video(), "video/mp4", None).await;
    let setup = Setup::new(server.client(), fast_options());
    let source = server.body();
    let cut = 40_000;
    server.set_fault(Fault::CutAfter(cut));

    let first = setup
        .manager
        .start(support::FAULT_UID, DownloadType::Default)
        .unwrap();
    let error = wait(&setup, first).await.unwrap_err();

    assert_eq!(error.code(), "network");
    assert!(error.is_transient());
    let job = setup.catalog.job(first).unwrap().unwrap();
    let part = job.part_path.expect("the partial file is recorded");
    assert_eq!(std::fs::read(&part).unwrap(), &source[..cut]);
    assert_eq!(job.bytes_total, Some(source.len() as u64));

    server.set_fault(Fault::None);
    let second = setup
        .manager
        .start(support::FAULT_UID, DownloadType::Default)
        .unwrap();
    let item = wait(&setup, second).await.unwrap();

    assert_eq!(std::fs::read(&item.path).unwrap(), source.as_ref());
    assert_eq!(item.sha256, sha256_hex(&source));
    assert_eq!(server.ranges().last().unwrap().as_deref(), Some("bytes=0-"));
    assert!(!part.exists());
}

#[tokio::test]
async fn transfer_retry_resumes_within_job() {
    let server = FaultServer::start(sample_video(), "video/mp4", None).await;
    let options = offstream_engine::EngineOptions {
        transfer_retries: 2,
        ..fast_options()
    };
    let setup = Setup::new(server.client(), options);
    server.set_fault(Fault::CutOnceAfter(20_480));

    let id = setup
        .manager
        .start(support::FAULT_UID, DownloadType::Default)
        .unwrap();
    let item = wait(&setup, id).await.unwrap();

    assert_eq!(item.sha256, sha256_hex(&server.body()));
    assert_eq!(server.ranges(), vec![None, Some("bytes=0-".to_owned())]);
}

#[tokio::test]
async fn ignored_range_restarts_cleanly() {
    let server = FaultServer::start(sample_video(), "video/mp4", None).await;
    let setup = Setup::new(server.client(), fast_options());
    let source = server.body();
    server.set_fault(Fault::CutAfter(30_000));
    let first = setup
        .manager
        .start(support::FAULT_UID, DownloadType::Default)
        .unwrap();
    wait(&setup, first).await.unwrap_err();

    server.set_fault(Fault::IgnoreRange);
    let second = setup
        .manager
        .start(support::FAULT_UID, DownloadType::Default)
        .unwrap();
    let item = wait(&setup, second).await.unwrap();

    assert_eq!(std::fs::read(&item.path).unwrap(), source.as_ref());
    assert_eq!(item.bytes, source.len() as u64);
    assert_eq!(item.sha256, sha256_hex(&source));
    assert_eq!(server.ranges().last().unwrap().as_deref(), Some("bytes=0-"));
}

#[tokio::test]
async fn wrong_range_start_restarts_cleanly() {
    let server = FaultServer::start(sample_video(), "video/mp4", None).await;
    let setup = Setup::new(server.client(), fast_options());
    let source = server.body();
    server.set_fault(Fault::CutAfter(80_000));
    let first = setup
        .manager
        .start(support::FAULT_UID, DownloadType::Default)
        .unwrap();
    wait(&setup, first).await.unwrap_err();

    server.set_fault(Fault::WrongRangeStart);
    let second = setup
        .manager
        .start(support::FAULT_UID, DownloadType::Default)
        .unwrap();
    let item = wait(&setup, second).await.unwrap();

    assert_eq!(item.sha256, sha256_hex(&source));
    assert_eq!(
        server.ranges()[1..],
        [
            Some(format!("bytes={}-", 80_000 - transfer::RESUME_OVERLAP)),
            None
        ]
    );
}

#[tokio::test]
async fn complete_part_is_verified_on_resume() {
    let server = FaultServer::start(sample_video(), "video/mp4", None).await;
    let source = server.body();
    let dir = tempfile::tempdir().unwrap();
    let part = dir.path().join("done.mp4.part");
    std::fs::write(&part, &source).unwrap();
    let cancel = CancellationToken::new();
    let http = reqwest::Client::new();
    let url = server.download_url();

    let request = TransferRequest {
        http: &http,
        url: &url,
        uid: support::FAULT_UID,
        job_id: 1,
        part_path: &part,
        expected_total: Some(source.len() as u64),
        expected_duration: None,
        progress_interval: Duration::ZERO,
        cancel: &cancel,
        clock: None,
        known_validators: None,
    };
    let verified = transfer::download(&request, |_| {}).await.unwrap();

    assert_eq!(verified.sha256, sha256_hex(&source));
    let overlap_start = source.len() as u64 - transfer::RESUME_OVERLAP;
    assert_eq!(
        server.ranges(),
        vec![Some(format!("bytes={overlap_start}-"))]
    );
}

#[tokio::test]
async fn html_page_is_rejected() {
    for fault in [Fault::HtmlPage, Fault::HtmlAsVideo] {
        let server = FaultServer::start(sample_video(), "video/mp4", None).await;
        let setup = Setup::new(server.client(), fast_options());
        server.set_fault(fault.clone());

        let id = setup
            .manager
            .start(support::FAULT_UID, DownloadType::Default)
            .unwrap();
        let error = wait(&setup, id).await.unwrap_err();

        assert_eq!(error.code(), "not_mp4", "{fault:?}");
        assert!(
            setup.library_names().is_empty(),
            "{fault:?}: {:?}",
            setup.library_names()
        );
        assert!(setup.catalog.items().unwrap().is_empty(), "{fault:?}");
    }
}

#[tokio::test]
async fn html_page_keeps_existing_part() {
    let server = FaultServer::start(sample_video(), "video/mp4", None).await;
    let setup = Setup::new(server.client(), fast_options());
    let source = server.body();
    server.set_fault(Fault::CutAfter(30_000));
    let first = setup
        .manager
        .start(support::FAULT_UID, DownloadType::Default)
        .unwrap();
    wait(&setup, first).await.unwrap_err();
    let part = setup
        .catalog
        .job(first)
        .unwrap()
        .unwrap()
        .part_path
        .unwrap();

    server.set_fault(Fault::HtmlAsVideo);
    let second = setup
        .manager
        .start(support::FAULT_UID, DownloadType::Default)
        .unwrap();
    wait(&setup, second).await.unwrap_err();

    assert_eq!(std::fs::read(&part).unwrap(), &source[..30_000]);
}

#[tokio::test]
async fn truncated_mp4_fails_verification() {
    let server = FaultServer::start(sample_video(), "video/mp4", None).await;
    let setup = Setup::new(server.client(), fast_options());
    server.set_fault(Fault::Truncated(60_000));

    let id = setup
        .manager
        .start(support::FAULT_UID, DownloadType::Default)
        .unwrap();
    let error = wait(&setup, id).await.unwrap_err();

    assert_eq!(error.code(), "verify_failed");
    assert!(error.to_string().contains(".mp4.part"), "{error}");
    assert!(
        setup.library_names().is_empty(),
        "{:?}",
        setup.library_names()
    );
}

#[tokio::test]
async fn duration_mismatch_fails_verification() {
    let server = FaultServer::start(sample_video(), "video/mp4", Some(600.0)).await;
    let setup = Setup::new(server.client(), fast_options());

    let id = setup
        .manager
        .start(support::FAULT_UID, DownloadType::Default)
        .unwrap();
    let error = wait(&setup, id).await.unwrap_err();

    assert_eq!(error.code(), "verify_failed");
    assert!(error.to_string().contains("600.00 s"), "{error}");
}

#[tokio::test]
async fn delivery_error_status_is_reported() {
    let server = FaultServer::start(sample_video(), "video/mp4", None).await;
    let setup = Setup::new(server.client(), fast_options());
    server.set_fault(Fault::Status(403));

    let id = setup
        .manager
        .start(support::FAULT_UID, DownloadType::Default)
        .unwrap();
    let error = wait(&setup, id).await.unwrap_err();

    assert_eq!(error.code(), "auth");
    assert!(error.to_string().contains("403"), "{error}");
}

#[tokio::test]
async fn cancel_keeps_part_for_resume() {
    let server = FaultServer::start(sample_video(), "video/mp4", None).await;
    let setup = Setup::new(server.client(), fast_options());
    let source = server.body();
    let stall = 16_384;
    server.set_fault(Fault::StallAfter(stall));
    let mut events = setup.manager.subscribe();

    let id = setup
        .manager
        .start(support::FAULT_UID, DownloadType::Default)
        .unwrap();
    wait_for_snapshot(&mut events, id, |s| s.bytes_done >= stall as u64).await;
    setup.manager.cancel(id, false).unwrap();
    let error = wait(&setup, id).await.unwrap_err();

    assert!(matches!(error, EngineError::Cancelled), "{error}");
    assert_eq!(
        setup.manager.snapshot(id).unwrap().phase,
        JobPhase::Cancelled
    );
    let job = setup.catalog.job(id).unwrap().unwrap();
    assert_eq!(job.state, JobPhase::Cancelled);
    let part = job.part_path.expect("the partial file is recorded");
    assert_eq!(std::fs::read(&part).unwrap(), &source[..stall]);

    server.set_fault(Fault::None);
    let resumed = setup
        .manager
        .start(support::FAULT_UID, DownloadType::Default)
        .unwrap();
    let item = wait(&setup, resumed).await.unwrap();
    assert_eq!(item.sha256, sha256_hex(&source));
    assert_eq!(server.ranges().last().unwrap().as_deref(), Some("bytes=0-"));
}

#[tokio::test]
async fn discard_deletes_part_and_row() {
    let server = FaultServer::start(sample_video(), "video/mp4", None).await;
    let setup = Setup::new(server.client(), fast_options());
    server.set_fault(Fault::CutAfter(20_000));
    let id = setup
        .manager
        .start(support::FAULT_UID, DownloadType::Default)
        .unwrap();
    wait(&setup, id).await.unwrap_err();
    let part = setup.catalog.job(id).unwrap().unwrap().part_path.unwrap();

    setup.manager.discard(id).unwrap();

    assert!(!part.exists());
    assert_eq!(setup.catalog.job(id).unwrap(), None);
    assert!(setup.manager.snapshot(id).is_none());
}

#[tokio::test]
async fn delivery_has_no_credentials_and_no_leak() {
    let server = FaultServer::start(sample_video(), "video/mp4", None).await;
    let setup = Setup::new(server.client(), fast_options());
    server.set_fault(Fault::CutAfter(20_000));
    let failed = setup
        .manager
        .start(support::FAULT_UID, DownloadType::Default)
        .unwrap();
    let error = wait(&setup, failed).await.unwrap_err();
    server.set_fault(Fault::None);
    let done = setup
        .manager
        .start(support::FAULT_UID, DownloadType::Default)
        .unwrap();
    wait(&setup, done).await.unwrap();

    assert!(!server.authorization_seen());
    assert!(!error.to_string().contains(URL_SECRET), "{error}");
    let database = std::fs::read(setup.catalog.path()).unwrap();
    let wal = std::fs::read(setup.catalog.path().with_extension("sqlite3-wal")).unwrap_or_default();
    for bytes in [database, wal] {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(URL_SECRET));
        assert!(!text.contains(support::FAULT_TOKEN));
        assert!(!text.contains("/media/"));
    }
}

#[tokio::test]
async fn transfer_slots_limit_concurrency() {
    let emulator = emulator().await;
    let uids: Vec<String> = (0..4)
        .map(|n| add_sample(&emulator, Some(&format!("Clip {n}"))))
        .collect();
    let client = support::client(
        &emulator.api_base(),
        emulator.account_id(),
        emulator.api_token(),
    );
    let options = offstream_engine::EngineOptions {
        max_concurrent_transfers: 1,
        ..fast_options()
    };
    let setup = Setup::new(client, options);
    let mut events = setup.manager.subscribe();

    let ids: Vec<i64> = uids
        .iter()
        .map(|uid| setup.manager.start(uid, DownloadType::Default).unwrap())
        .collect();
    for id in &ids {
        wait(&setup, *id).await.unwrap();
    }

    let mut transferring = std::collections::HashSet::new();
    let mut max_parallel = 0;
    while let Ok(snapshot) = events.try_recv() {
        if snapshot.phase == JobPhase::Transferring {
            transferring.insert(snapshot.id);
        } else {
            transferring.remove(&snapshot.id);
        }
        max_parallel = max_parallel.max(transferring.len());
    }
    assert_eq!(max_parallel, 1);
    assert_eq!(list_names(setup.manager.library_dir()).len(), 4);
}

#[tokio::test]
async fn listed_video_skips_video_fetch() {
    let emulator = emulator().await;
    let uid = add_sample(&emulator, Some("From the list"));
    let setup = emulator_setup(&emulator);
    let listed = setup.manager.client().video(&uid).await.unwrap();
    let before = emulator.api_by_endpoint();

    let id = setup
        .manager
        .start_with_video(&listed, DownloadType::Default)
        .unwrap();
    let item = wait(&setup, id).await.unwrap();

    let after = emulator.api_by_endpoint();
    assert_eq!(after.video, before.video, "no GET /stream/{{uid}}");
    assert_eq!(item.title, "From the list");
    assert_eq!(std::fs::read(&item.path).unwrap(), sample_video());
}
