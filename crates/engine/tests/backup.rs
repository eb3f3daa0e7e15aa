//! Bulk backups end to end against the Stream emulator: sync, estimate, the downloads, the
//! restore step and the manifest, with real HTTP on 127.0.0.1, real files and a real catalog.

mod support;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use offstream_engine::backup::{
    self, backup_progress, estimate_backup, restore_account, resume_backup, start_backup,
    write_manifest, BackupEstimate, BackupHandle, BackupOptions, BackupOutcome, BackupProgress,
    BackupReason, BackupSelection, BackupState, ManifestFormat, NewBackupItem, RestoreReport,
};
use offstream_engine::sync::{sync_account, SyncMode};
use offstream_engine::{BudgetConfig, Catalog, EngineOptions, JobManager};
use offstream_stream::DownloadType;
use stream_emulator::{
    DeliveryFault, Emulator, EmulatorConfig, MediaFile, RunningEmulator, Seed, VideoSpec,
    VideoState,
};
use time::OffsetDateTime;

use support::{fast_options, sample_audio, sample_video, sha256_hex, Setup};

/// Maximum time one backup may take in this suite.
const BACKUP_TIMEOUT: Duration = Duration::from_secs(120);

/// Index of the 5-hour live recording in the 50-video account.
const LIVE_INDEX: usize = 14;

/// A title that breaks naive CSV writers: a comma, quotes and a line break.
const HOSTILE_TITLE: &str = "Budget, \"final\" cut\nsecond line";

/// Titles of the 50-video account; the rest are named `Clip NN`.
const SPECIAL_TITLES: [(usize, &str); 5] = [
    (7, HOSTILE_TITLE),
    (8, "../../etc/passwd"),
    (9, "CON"),
    (10, "日本語のタイトル 🎬"),
    (11, " padded title "),
];

async fn emulator() -> RunningEmulator {
    let config = EmulatorConfig {
        seed: Seed::Empty,
        prepare_time: Duration::from_millis(100),
        ..EmulatorConfig::default()
    };
    Emulator::start(config).await.expect("emulator starts")
}

fn setup_for(emulator: &RunningEmulator) -> Setup {
    let client = support::client(
        &emulator.api_base(),
        emulator.account_id(),
        emulator.api_token(),
    );
    Setup::new(client, backup_options())
}

/// Returns fast options with an API budget large enough not to pace the suite. At the
/// default 3 requests per second a 50-video backup takes over a minute.
fn backup_options() -> EngineOptions {
    EngineOptions {
        api_budget: BudgetConfig {
            requests: 100_000,
            window: Duration::from_secs(300),
            burst: 1_000,
        },
        ..fast_options()
    }
}

/// Adds a copy of the first sample, created `minute` minutes after a fixed time.
fn add_video(emulator: &RunningEmulator, title: &str, minute: i64, state: VideoState) -> String {
    emulator.add_video(video_spec(title, minute, state))
}

/// Returns the spec of a copy of the first sample, created `minute` minutes after
/// 2024-05-01T00:00:00Z.
fn video_spec(title: &str, minute: i64, state: VideoState) -> VideoSpec {
    let base = OffsetDateTime::from_unix_timestamp(1_714_521_600).unwrap();
    VideoSpec {
        name: Some(title.to_owned()),
        creator: Some(
            if minute % 2 == 0 {
                "studio-north"
            } else {
                "maria.keller"
            }
            .to_owned(),
        ),
        created: Some(base + time::Duration::minutes(minute)),
        media: MediaFile::from_bytes(sample_video()),
        audio: Some(MediaFile::from_bytes(sample_audio())),
        state,
        ..VideoSpec::default()
    }
}

async fn sync(setup: &Setup) {
    sync_account(
        &setup.manager.client(),
        &setup.catalog,
        setup.manager.api_budget(),
        SyncMode::Full,
        |_| {},
    )
    .await
    .expect("sync succeeds");
}

fn estimate_all(setup: &Setup, account: &str) -> BackupEstimate {
    estimate_backup(
        &setup.catalog,
        account,
        &BackupSelection::default(),
        DownloadType::Default,
    )
    .expect("estimate succeeds")
}

async fn wait(handle: &BackupHandle) -> BackupProgress {
    tokio::time::timeout(BACKUP_TIMEOUT, handle.wait())
        .await
        .expect("the backup ends in time")
}

fn uid_set<'a>(uids: impl IntoIterator<Item = &'a String>) -> BTreeSet<String> {
    uids.into_iter().cloned().collect()
}

fn has_download(emulator: &RunningEmulator, uid: &str) -> bool {
    emulator
        .download_status(uid, stream_emulator::DownloadType::Default)
        .is_some()
}

/// The 50-video account of the main test, with the uids of each kind of video.
struct Account {
    uids: Vec<String>,
    failed: String,
    processing: String,
    live: String,
    offline: Vec<String>,
    enabled_before: Vec<String>,
}

/// Builds the account: a processing error, a video still processing, a live recording of 5
/// hours, three videos already in the library and four whose MP4 download the owner had
/// enabled.
async fn fifty_videos(emulator: &RunningEmulator, setup: &Setup) -> Account {
    let titles: HashMap<usize, &str> = SPECIAL_TITLES.into_iter().collect();
    let uids: Vec<String> = (0..50)
        .map(|index| {
            let title = titles
                .get(&index)
                .map_or_else(|| format!("Clip {index:02}"), |title| (*title).to_owned());
            let state = match index {
                0 => VideoState::Error,
                1 => VideoState::InProgress,
                _ => VideoState::Ready,
            };
            let mut spec = video_spec(&title, index as i64, state);
            if index == LIVE_INDEX {
                spec.live_input = Some("0123456789abcdef0123456789abcdef".to_owned());
                spec.duration = Some(5.0 * 3600.0);
            }
            emulator.add_video(spec)
        })
        .collect();

    let offline: Vec<String> = uids[2..5].to_vec();
    for uid in &offline {
        let job = setup.manager.start(uid, DownloadType::Default).unwrap();
        tokio::time::timeout(BACKUP_TIMEOUT, setup.manager.wait(job))
            .await
            .expect("the download ends in time")
            .expect("the download succeeds");
    }
    let enabled_before: Vec<String> = [5, 6, 12, 13].iter().map(|i| uids[*i].clone()).collect();
    for uid in &enabled_before {
        setup
            .manager
            .client()
            .create_download(uid, DownloadType::Default)
            .await
            .unwrap();
    }

    Account {
        failed: uids[0].clone(),
        processing: uids[1].clone(),
        live: uids[LIVE_INDEX].clone(),
        uids,
        offline,
        enabled_before,
    }
}

#[tokio::test]
async fn backup_of_fifty_videos_end_to_end() {
    let emulator = emulator().await;
    let setup = setup_for(&emulator);
    let account = fifty_videos(&emulator, &setup).await;
    sync(&setup).await;

    // The estimate reads only the catalog.
    let requests_before = emulator.request_count();
    let estimate = estimate_all(&setup, emulator.account_id());
    assert_eq!(emulator.request_count(), requests_before, "no API call");

    let media = MediaFile::from_bytes(sample_video());
    let seconds = media.probe().unwrap().duration_seconds.unwrap();
    assert_eq!(estimate.selected, 50);
    assert_eq!(estimate.to_download.len(), 44);
    assert_eq!(estimate.total_bytes, 44 * media.len());
    let expected_minutes = 44.0 * seconds / 60.0;
    assert!(
        (estimate.billed_minutes - expected_minutes).abs() < 1e-6,
        "{} billed minutes, expected {expected_minutes}",
        estimate.billed_minutes
    );
    assert_eq!(estimate.unknown_durations, 0);
    assert_eq!(
        uid_set(estimate.skipped.iter().map(|c| &c.uid)),
        uid_set(&account.offline)
    );
    let unavailable: HashMap<&str, Option<BackupReason>> = estimate
        .unavailable
        .iter()
        .map(|c| (c.uid.as_str(), c.reason))
        .collect();
    assert_eq!(unavailable.len(), 3);
    assert_eq!(
        unavailable[account.failed.as_str()],
        Some(BackupReason::ProcessingFailed)
    );
    assert_eq!(
        unavailable[account.processing.as_str()],
        Some(BackupReason::NotReady)
    );
    assert_eq!(
        unavailable[account.live.as_str()],
        Some(BackupReason::LiveRecordingTooLong)
    );

    // The backup downloads exactly the videos of `to_download`.
    let to_download = uid_set(estimate.to_download.iter().map(|c| &c.uid));
    let endpoints_before = emulator.api_by_endpoint();
    let deliveries_before = emulator.delivery_requests().len();
    let options = BackupOptions {
        restore_account: true,
    };
    let handle = start_backup(&setup.manager, emulator.account_id(), &estimate, &options)
        .await
        .unwrap();
    let progress = wait(&handle).await;

    assert_eq!(progress.state, BackupState::Done);
    assert_eq!(progress.total, 50);
    assert_eq!(progress.done, 44, "{:?}", progress.items);
    assert_eq!(progress.failed, 0);
    assert_eq!(progress.skipped, 3);
    assert_eq!(progress.unavailable, 3);
    assert_eq!(progress.active, 0);
    let endpoints = emulator.api_by_endpoint();
    assert_eq!(
        endpoints.downloads_create - endpoints_before.downloads_create,
        44
    );
    assert_eq!(
        endpoints.video, endpoints_before.video,
        "the jobs use the mirror's videos"
    );
    let delivered: BTreeSet<String> = emulator.delivery_requests()[deliveries_before..]
        .iter()
        .map(|record| record.uid.clone())
        .collect();
    assert_eq!(delivered, to_download);
    for uid in &to_download {
        let item = setup.catalog.item_for(uid, DownloadType::Default).unwrap();
        assert!(
            item.is_some_and(|item| item.path.is_file()),
            "{uid} is offline"
        );
    }

    // The restore step deleted only the downloads the backup enabled.
    let enabled_before = uid_set(&account.enabled_before);
    assert_eq!(progress.restored, 40);
    for uid in &account.uids {
        let expected = enabled_before.contains(uid) || account.offline.contains(uid);
        assert_eq!(has_download(&emulator, uid), expected, "download of {uid}");
    }
    let expected_report = RestoreReport {
        deleted: 40,
        kept: 4,
        failed: 0,
    };
    assert_eq!(handle.restore_outcome(), Some(Ok(expected_report)));
    let again = restore_account(&setup.manager, handle.id()).await.unwrap();
    assert_eq!(again.deleted, 40);
    assert_eq!(again.kept, 4);
    assert_eq!(again.failed, 0);
    assert_eq!(
        emulator.api_by_endpoint().downloads_delete,
        endpoints.downloads_delete,
        "a second restore deletes nothing"
    );

    // A manager of a later run rebuilds the same progress from the catalog.
    let later = JobManager::new(
        setup.manager.client(),
        Arc::clone(&setup.catalog),
        setup.manager.library_dir(),
        backup_options(),
    )
    .unwrap();
    let rebuilt = backup_progress(&later, handle.id()).unwrap();
    assert_eq!(rebuilt.done, 44);
    assert_eq!(rebuilt.restored, 40);
    assert_eq!(rebuilt.state, BackupState::Done);

    check_manifests(&setup, handle.id(), &to_download, &account);
}

/// Checks both manifest formats of the finished 50-video backup.
fn check_manifests(
    setup: &Setup,
    id: backup::BackupId,
    to_download: &BTreeSet<String>,
    account: &Account,
) {
    let folder = setup.dir.path().join("exports");
    std::fs::create_dir_all(&folder).unwrap();
    let expected_uids: BTreeSet<String> = to_download
        .iter()
        .chain(&account.offline)
        .cloned()
        .collect();

    let json_path = folder.join("manifest.json");
    let count = write_manifest(&setup.catalog, id, &json_path, ManifestFormat::Json).unwrap();
    assert_eq!(count, 47);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert!(json["generatedAt"].is_string());
    assert_eq!(json["downloadType"], "default");
    let videos = json["videos"].as_array().unwrap();
    let json_uids: BTreeSet<String> = videos
        .iter()
        .map(|video| video["uid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(json_uids, expected_uids);
    for video in videos {
        let bytes = std::fs::read(video["path"].as_str().unwrap()).unwrap();
        assert_eq!(video["sha256"].as_str().unwrap(), sha256_hex(&bytes));
        assert_eq!(video["bytes"].as_u64().unwrap(), bytes.len() as u64);
    }

    let csv_path = folder.join("manifest.csv");
    let count = write_manifest(&setup.catalog, id, &csv_path, ManifestFormat::Csv).unwrap();
    assert_eq!(count, 47);
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        ["uid", "title", "creator", "created", "duration", "path", "bytes", "sha256"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 47);
    let by_uid: HashMap<&str, &csv::StringRecord> = rows.iter().map(|row| (&row[0], row)).collect();
    for (index, title) in SPECIAL_TITLES {
        let row = by_uid[account.uids[index].as_str()];
        // The library keeps the name as `Video::display_name` gives it: trimmed.
        assert_eq!(&row[1], title.trim(), "title of video {index}");
    }
    for row in &rows {
        let bytes = std::fs::read(&row[5]).unwrap();
        assert_eq!(&row[7], sha256_hex(&bytes), "SHA-256 of {}", &row[5]);
    }
    assert_eq!(
        std::fs::read_dir(&folder).unwrap().count(),
        2,
        "no temporary file is left"
    );
}

#[tokio::test]
async fn cancelled_backup_is_restored_later() {
    let emulator = emulator().await;
    let setup = setup_for(&emulator);
    let fast = add_video(&emulator, "Fast", 0, VideoState::Ready);
    let slow: Vec<String> = (1..4)
        .map(|index| {
            add_video(
                &emulator,
                &format!("Slow {index}"),
                index,
                VideoState::Ready,
            )
        })
        .collect();
    sync(&setup).await;
    // About 10 s per file, so these are still transferring when the backup is cancelled.
    for uid in &slow {
        let trickle = DeliveryFault::Trickle {
            bytes_per_second: 10_000,
        };
        emulator.inject_delivery_fault_for(uid, trickle).unwrap();
    }
    setup.manager.set_max_transfers(4).unwrap();
    let options = BackupOptions {
        restore_account: true,
    };

    let first_estimate = estimate_all(&setup, emulator.account_id());
    let first = start_backup(
        &setup.manager,
        emulator.account_id(),
        &first_estimate,
        &options,
    )
    .await
    .unwrap();
    let mut updates = first.subscribe();
    tokio::time::timeout(
        BACKUP_TIMEOUT,
        updates.wait_for(|progress| {
            let done = |uid: &str| {
                progress
                    .items
                    .iter()
                    .any(|i| i.uid == uid && i.outcome == BackupOutcome::Done)
            };
            done(&fast)
        }),
    )
    .await
    .expect("the fast download ends")
    .unwrap();
    // Every slow video is transferring, so the second backup resumes a partial file.
    tokio::time::timeout(BACKUP_TIMEOUT, async {
        while emulator.pending_faults().0 > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("every slow transfer starts");
    first.cancel();
    let cancelled = wait(&first).await;

    assert_eq!(cancelled.state, BackupState::Cancelled);
    assert_eq!(cancelled.done, 1);
    assert_eq!(cancelled.restored, 0);
    assert!(
        first.restore_outcome().is_none(),
        "no restore after a cancel"
    );
    for uid in slow.iter().chain([&fast]) {
        assert!(
            has_download(&emulator, uid),
            "the cancelled backup leaves the download of {uid} for a resume"
        );
    }

    // A new backup resumes the slow videos and skips the fast one. It finds their downloads
    // and reads from the catalog that Offstream made them, so its restore step deletes all.
    let second_estimate = estimate_all(&setup, emulator.account_id());
    assert_eq!(
        uid_set(second_estimate.to_download.iter().map(|c| &c.uid)),
        uid_set(&slow)
    );
    let second = start_backup(
        &setup.manager,
        emulator.account_id(),
        &second_estimate,
        &options,
    )
    .await
    .unwrap();
    let finished = wait(&second).await;

    assert_eq!(finished.state, BackupState::Done);
    assert_eq!(finished.done, 3);
    assert_eq!(finished.skipped, 1);
    assert_eq!(finished.restored, 4);
    for uid in slow.iter().chain([&fast]) {
        assert!(
            !has_download(&emulator, uid),
            "download of {uid} is deleted"
        );
        let item = setup.catalog.item_for(uid, DownloadType::Default).unwrap();
        assert!(item.is_some(), "{uid} is offline");
    }

    // The second backup marked the fast video's download as deleted for the first one. The
    // first backup's own restore finds the slow videos' downloads already gone (404).
    let rebuilt = backup_progress(&setup.manager, first.id()).unwrap();
    assert_eq!(rebuilt.restored, 1);
    let deletes = emulator.api_by_endpoint().downloads_delete;
    let report = restore_account(&setup.manager, first.id()).await.unwrap();
    assert_eq!(report.deleted, 4);
    assert_eq!(report.kept, 0);
    assert_eq!(report.failed, 0);
    assert_eq!(emulator.api_by_endpoint().downloads_delete - deletes, 3);
}

#[tokio::test]
async fn paused_backup_resumes_to_done() {
    let emulator = emulator().await;
    let setup = setup_for(&emulator);
    for index in 0..3 {
        add_video(
            &emulator,
            &format!("Paused {index}"),
            index,
            VideoState::Ready,
        );
    }
    sync(&setup).await;
    emulator.set_delivery_rate(Some(50_000));
    let estimate = estimate_all(&setup, emulator.account_id());

    let handle = start_backup(
        &setup.manager,
        emulator.account_id(),
        &estimate,
        &BackupOptions::default(),
    )
    .await
    .unwrap();
    let mut updates = handle.subscribe();
    tokio::time::timeout(
        BACKUP_TIMEOUT,
        updates.wait_for(|progress| progress.items.iter().all(|i| i.job_id.is_some())),
    )
    .await
    .expect("every download starts")
    .unwrap();
    handle.pause();
    let paused = tokio::time::timeout(
        BACKUP_TIMEOUT,
        updates.wait_for(|progress| {
            progress
                .items
                .iter()
                .all(|i| i.outcome == BackupOutcome::Paused)
        }),
    )
    .await
    .expect("every download pauses")
    .unwrap()
    .clone();
    assert_eq!(paused.active, 3);
    assert_eq!(paused.state, BackupState::Running);

    emulator.set_delivery_rate(None);
    handle.resume().unwrap();
    let progress = wait(&handle).await;
    assert_eq!(progress.state, BackupState::Done);
    assert_eq!(progress.done, 3);
}

#[tokio::test]
async fn interrupted_backup_is_taken_up() {
    let emulator = emulator().await;
    let setup = setup_for(&emulator);
    let uids: Vec<String> = (0..2)
        .map(|index| {
            add_video(
                &emulator,
                &format!("Later {index}"),
                index,
                VideoState::Ready,
            )
        })
        .collect();
    sync(&setup).await;

    // An earlier run recorded the backup, then stopped before any job started.
    let items: Vec<NewBackupItem> = uids
        .iter()
        .map(|uid| NewBackupItem {
            uid: uid.clone(),
            title: uid.clone(),
            outcome: BackupOutcome::Queued,
            reason: None,
        })
        .collect();
    let id = setup
        .catalog
        .insert_backup(
            emulator.account_id(),
            DownloadType::Default,
            &BackupSelection::default(),
            false,
            &items,
        )
        .unwrap();

    let handle = resume_backup(&setup.manager, id).await.unwrap();
    let progress = wait(&handle).await;

    assert_eq!(progress.state, BackupState::Done);
    assert_eq!(progress.done, 2);
    let record = setup.catalog.backup(id).unwrap().unwrap();
    assert_eq!(record.state, BackupState::Done);
    assert!(record.finished_at.is_some());
}

#[tokio::test]
async fn restore_refuses_backup_without_record() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator().await;
    let catalog = Arc::new(Catalog::open(dir.path()).unwrap());
    let manager = JobManager::new(
        support::client(
            &emulator.api_base(),
            emulator.account_id(),
            emulator.api_token(),
        ),
        Arc::clone(&catalog),
        dir.path().join("library"),
        fast_options(),
    )
    .unwrap();
    let id = catalog
        .insert_backup(
            emulator.account_id(),
            DownloadType::Default,
            &BackupSelection::default(),
            false,
            &[],
        )
        .unwrap();

    let error = restore_account(&manager, id).await.unwrap_err();
    assert_eq!(error.code(), "config");
    assert!(
        error.to_string().contains("without restore-account"),
        "{error}"
    );
    let unknown = restore_account(&manager, id + 1).await.unwrap_err();
    assert!(
        unknown.to_string().contains("no backup with id"),
        "{unknown}"
    );
}

#[tokio::test]
async fn manifest_rejects_path_without_name() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(dir.path()).unwrap();
    let id = catalog
        .insert_backup(
            "acct",
            DownloadType::Default,
            &BackupSelection::default(),
            false,
            &[],
        )
        .unwrap();
    let error = write_manifest(&catalog, id, Path::new("/"), ManifestFormat::Json).unwrap_err();
    assert_eq!(error.code(), "config");
}
