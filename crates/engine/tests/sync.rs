//! Tests of the account mirror: full and quick syncs against the Stream emulator over HTTP on
//! 127.0.0.1, into a real catalog file in a temporary folder.

mod support;

use std::collections::HashSet;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use offstream_engine::sync::{
    sync_account, sync_account_paged, MirroredVideo, SyncMode, SyncSummary, VideoChange,
};
use offstream_engine::{ApiBudget, BudgetConfig, Catalog, EngineError};
use offstream_stream::StreamClient;
use stream_emulator::{
    ApiFault, Bounds, Emulator, EmulatorConfig, RunningEmulator, Seed, VideoSpec,
};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Positions (from the newest) of a tie group at the newest `created`, where a quick sync
/// starts its cursor.
const NEWEST_THREE_TIED: Range<usize> = 0..3;

/// Account id of the second emulator, which differs from the default demo account.
const OTHER_ACCOUNT: &str = "0123456789abcdef0123456789abcdef";

async fn emulator(bounds: Bounds) -> RunningEmulator {
    emulator_for(bounds, EmulatorConfig::default().account_id).await
}

async fn emulator_for(bounds: Bounds, account_id: String) -> RunningEmulator {
    let config = EmulatorConfig {
        account_id,
        seed: Seed::Empty,
        list_bounds: bounds,
        ..EmulatorConfig::default()
    };
    Emulator::start(config).await.expect("emulator starts")
}

/// Adds `count` videos one second apart, newest first, except that the videos at the
/// positions in each of `ties` (counted from the newest) share the time of the first of them.
fn seed_with_ties(emulator: &RunningEmulator, count: usize, ties: &[Range<usize>]) {
    let newest = OffsetDateTime::parse("2025-06-01T12:00:00.000000Z", &Rfc3339).unwrap();
    for position in 0..count {
        let step = ties
            .iter()
            .find(|group| group.contains(&position))
            .map_or(position, |group| group.start);
        emulator.add_video(VideoSpec {
            name: Some(format!("video {position:05}")),
            created: Some(newest - time::Duration::seconds(step as i64)),
            ..VideoSpec::default()
        });
    }
}

fn client_for(emulator: &RunningEmulator) -> StreamClient {
    support::client(
        &emulator.api_base(),
        emulator.account_id(),
        emulator.api_token(),
    )
}

/// A catalog in a temporary folder and an API budget, as the app keeps them per account.
struct Mirror {
    _dir: tempfile::TempDir,
    catalog: Arc<Catalog>,
    budget: ApiBudget,
}

impl Mirror {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let catalog = Arc::new(Catalog::open(dir.path()).expect("catalog"));
        Self {
            _dir: dir,
            catalog,
            budget: ApiBudget::new(BudgetConfig::default()),
        }
    }

    async fn sync(&self, emulator: &RunningEmulator, mode: SyncMode) -> SyncSummary {
        sync_account(
            &client_for(emulator),
            &self.catalog,
            &self.budget,
            mode,
            |_| {},
        )
        .await
        .expect("sync succeeds")
    }

    async fn sync_paged(
        &self,
        emulator: &RunningEmulator,
        mode: SyncMode,
        page_size: u32,
    ) -> SyncSummary {
        sync_account_paged(
            &client_for(emulator),
            &self.catalog,
            &self.budget,
            mode,
            page_size,
            |_| {},
        )
        .await
        .expect("sync succeeds")
    }

    fn videos(&self, emulator: &RunningEmulator) -> Vec<MirroredVideo> {
        self.catalog
            .mirrored_videos(emulator.account_id())
            .expect("mirror reads")
    }

    fn video(&self, emulator: &RunningEmulator, uid: &str) -> MirroredVideo {
        self.catalog
            .mirrored_video(emulator.account_id(), uid)
            .expect("mirror reads")
            .expect("the video is mirrored")
    }
}

fn emulator_uids(emulator: &RunningEmulator) -> HashSet<String> {
    emulator
        .videos()
        .into_iter()
        .map(|video| video.uid)
        .collect()
}

fn mirror_uids(videos: &[MirroredVideo]) -> HashSet<String> {
    videos.iter().map(|m| m.video.uid.clone()).collect()
}

fn list_requests(emulator: &RunningEmulator) -> u64 {
    emulator.api_by_endpoint().list
}

async fn full_sync_is_exact(bounds: Bounds) {
    let emulator = emulator(bounds).await;
    seed_with_ties(&emulator, 2500, &[997..1004, 1998..2003]);
    let mirror = Mirror::new();

    let summary = mirror.sync_paged(&emulator, SyncMode::Full, 1000).await;

    let videos = mirror.videos(&emulator);
    assert_eq!(videos.len(), 2500, "no video lost or repeated");
    assert_eq!(mirror_uids(&videos), emulator_uids(&emulator));
    assert_eq!(summary.total, 2500);
    assert_eq!(summary.added, 2500);
    assert_eq!(summary.mode, SyncMode::Full);
    assert_eq!(u64::from(summary.api_calls), list_requests(&emulator));
}

#[tokio::test]
async fn full_sync_exact_exclusive_bounds() {
    full_sync_is_exact(Bounds::Exclusive).await;
}

#[tokio::test]
async fn full_sync_exact_inclusive_bounds() {
    full_sync_is_exact(Bounds::Inclusive).await;
}

#[tokio::test]
async fn full_sync_counts_each_page() {
    let emulator = emulator(Bounds::Exclusive).await;
    seed_with_ties(&emulator, 2500, &[]);
    let mirror = Mirror::new();

    let summary = mirror.sync(&emulator, SyncMode::Full).await;

    // Three pages of 1,000 and one request for uploads during the walk.
    assert_eq!(summary.api_calls, 4);
    assert_eq!(list_requests(&emulator), 4);
}

#[tokio::test]
async fn full_sync_first_has_no_marks() {
    let emulator = emulator(Bounds::Exclusive).await;
    seed_with_ties(&emulator, 20, &[]);
    let mirror = Mirror::new();

    mirror.sync(&emulator, SyncMode::Full).await;

    let marked = mirror
        .videos(&emulator)
        .into_iter()
        .filter(|m| m.change.is_some())
        .count();
    assert_eq!(marked, 0);
}

#[tokio::test]
async fn full_sync_includes_upload_mid_walk() {
    let emulator = emulator(Bounds::Exclusive).await;
    seed_with_ties(&emulator, 30, &[]);
    let mirror = Mirror::new();
    let mut uploaded = None;

    let summary = sync_account_paged(
        &client_for(&emulator),
        &mirror.catalog,
        &mirror.budget,
        SyncMode::Full,
        10,
        |listed| {
            if uploaded.is_none() && listed >= 10 {
                uploaded = Some(emulator.add_video(VideoSpec::named("uploaded during the walk")));
            }
        },
    )
    .await
    .expect("sync succeeds");

    let uploaded = uploaded.expect("the progress callback ran");
    let videos = mirror.videos(&emulator);
    assert_eq!(summary.total, 31);
    assert!(mirror_uids(&videos).contains(&uploaded));
    assert_eq!(mirror_uids(&videos), emulator_uids(&emulator));
}

#[tokio::test]
async fn full_sync_reports_progress() {
    let emulator = emulator(Bounds::Exclusive).await;
    seed_with_ties(&emulator, 25, &[]);
    let mirror = Mirror::new();
    let mut reports = Vec::new();

    sync_account_paged(
        &client_for(&emulator),
        &mirror.catalog,
        &mirror.budget,
        SyncMode::Full,
        10,
        |listed| reports.push(listed),
    )
    .await
    .expect("sync succeeds");

    assert_eq!(reports.first(), Some(&10));
    assert_eq!(reports.last(), Some(&25));
    assert!(reports.windows(2).all(|pair| pair[0] <= pair[1]));
}

#[tokio::test]
async fn later_sync_marks_changes() {
    let emulator = emulator(Bounds::Exclusive).await;
    seed_with_ties(&emulator, 20, &[]);
    let mirror = Mirror::new();
    mirror.sync(&emulator, SyncMode::Full).await;

    let uids: Vec<String> = emulator.videos().into_iter().map(|v| v.uid).collect();
    let renamed = uids[3].clone();
    let deleted = uids[7].clone();
    let old_name = mirror
        .video(&emulator, &renamed)
        .video
        .display_name()
        .to_owned();
    assert!(emulator.rename_video(&renamed, Some("Renamed on Stream")));
    assert!(emulator.remove_video(&deleted));
    let added = emulator.add_video(VideoSpec::named("Brand new"));

    let summary = mirror.sync(&emulator, SyncMode::Full).await;

    assert_eq!(summary.added, 1);
    assert_eq!(summary.renamed, 1);
    assert_eq!(summary.removed, 1);
    assert_eq!(summary.changed, 0);
    assert_eq!(summary.total, 20);

    let new_video = mirror.video(&emulator, &added);
    assert_eq!(new_video.change, Some(VideoChange::New));

    let renamed_video = mirror.video(&emulator, &renamed);
    assert_eq!(renamed_video.change, Some(VideoChange::Renamed));
    assert_eq!(
        renamed_video.previous_name.as_deref(),
        Some(old_name.as_str())
    );
    assert_eq!(renamed_video.video.display_name(), "Renamed on Stream");

    let deleted_video = mirror.video(&emulator, &deleted);
    assert_eq!(deleted_video.change, Some(VideoChange::Removed));
    assert!(deleted_video.removed_at.is_some());

    let unmarked = mirror
        .videos(&emulator)
        .into_iter()
        .filter(|m| m.change.is_none())
        .count();
    assert_eq!(unmarked, 18);
}

#[tokio::test]
async fn later_sync_counts_state_change() {
    let emulator = emulator(Bounds::Exclusive).await;
    seed_with_ties(&emulator, 5, &[]);
    let mirror = Mirror::new();
    mirror.sync(&emulator, SyncMode::Full).await;

    let uid = emulator.videos()[0].uid.clone();
    assert!(emulator.set_video_state(&uid, stream_emulator::VideoState::Error));
    let summary = mirror.sync(&emulator, SyncMode::Full).await;

    assert_eq!(summary.changed, 1);
    assert_eq!(summary.renamed, 0);
    assert_eq!(mirror.video(&emulator, &uid).change, None);
}

#[tokio::test]
async fn acknowledge_clears_marks() {
    let emulator = emulator(Bounds::Exclusive).await;
    seed_with_ties(&emulator, 10, &[]);
    let mirror = Mirror::new();
    mirror.sync(&emulator, SyncMode::Full).await;

    let uids: Vec<String> = emulator.videos().into_iter().map(|v| v.uid).collect();
    emulator.rename_video(&uids[0], Some("Another name"));
    emulator.remove_video(&uids[1]);
    emulator.add_video(VideoSpec::named("Added later"));
    mirror.sync(&emulator, SyncMode::Full).await;

    let cleared = mirror
        .catalog
        .acknowledge_changes(emulator.account_id())
        .unwrap();

    let videos = mirror.videos(&emulator);
    assert_eq!(cleared, 3);
    assert!(videos.iter().all(|m| m.change.is_none()));
    assert!(videos.iter().all(|m| m.previous_name.is_none()));
    // The removed video had no file in the library, so its row is gone.
    assert_eq!(mirror_uids(&videos), emulator_uids(&emulator));
    assert_eq!(
        mirror
            .catalog
            .acknowledge_changes(emulator.account_id())
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn quick_sync_fetches_only_new() {
    let emulator = emulator(Bounds::Exclusive).await;
    seed_with_ties(&emulator, 1500, &[]);
    let mirror = Mirror::new();
    mirror.sync(&emulator, SyncMode::Full).await;

    let first = emulator.add_video(VideoSpec::named("New one"));
    let second = emulator.add_video(VideoSpec::named("New two"));
    let before = list_requests(&emulator);
    let summary = mirror.sync(&emulator, SyncMode::Quick).await;

    assert_eq!(list_requests(&emulator) - before, 1);
    assert_eq!(summary.api_calls, 1);
    assert_eq!(summary.mode, SyncMode::Quick);
    assert_eq!(summary.added, 2);
    assert_eq!(summary.total, 1502);
    assert_eq!(
        mirror.video(&emulator, &first).change,
        Some(VideoChange::New)
    );
    assert_eq!(
        mirror.video(&emulator, &second).change,
        Some(VideoChange::New)
    );
    assert_eq!(
        mirror_uids(&mirror.videos(&emulator)),
        emulator_uids(&emulator)
    );
}

#[tokio::test]
async fn quick_sync_without_changes_is_one_request() {
    let emulator = emulator(Bounds::Inclusive).await;
    seed_with_ties(&emulator, 30, &[NEWEST_THREE_TIED]);
    let mirror = Mirror::new();
    mirror.sync(&emulator, SyncMode::Full).await;

    let before = list_requests(&emulator);
    let summary = mirror.sync(&emulator, SyncMode::Quick).await;

    assert_eq!(list_requests(&emulator) - before, 1);
    assert_eq!(summary.mode, SyncMode::Quick);
    assert_eq!(summary.added, 0);
    assert_eq!(summary.total, 30);
}

#[tokio::test]
async fn quick_sync_pages_many_new_videos() {
    let emulator = emulator(Bounds::Exclusive).await;
    seed_with_ties(&emulator, 10, &[]);
    let mirror = Mirror::new();
    mirror.sync(&emulator, SyncMode::Full).await;
    for n in 0..25 {
        emulator.add_video(VideoSpec::named(format!("batch {n}")));
    }

    let summary = mirror.sync_paged(&emulator, SyncMode::Quick, 10).await;

    assert_eq!(summary.mode, SyncMode::Quick);
    assert_eq!(summary.added, 25);
    assert_eq!(
        mirror_uids(&mirror.videos(&emulator)),
        emulator_uids(&emulator)
    );
}

#[tokio::test]
async fn quick_sync_falls_back_after_deletion() {
    let emulator = emulator(Bounds::Exclusive).await;
    seed_with_ties(&emulator, 50, &[]);
    let mirror = Mirror::new();
    mirror.sync(&emulator, SyncMode::Full).await;

    let deleted = emulator.videos()[10].uid.clone();
    emulator.remove_video(&deleted);
    let before = list_requests(&emulator);
    let summary = mirror.sync(&emulator, SyncMode::Quick).await;

    assert_eq!(summary.mode, SyncMode::Full);
    assert_eq!(summary.removed, 1);
    assert_eq!(summary.total, 49);
    // The quick request, then a full walk: one page and one request for newer uploads.
    assert_eq!(summary.api_calls, 3);
    assert_eq!(list_requests(&emulator) - before, 3);
    assert_eq!(
        mirror.video(&emulator, &deleted).change,
        Some(VideoChange::Removed)
    );
}

#[tokio::test]
async fn quick_sync_first_time_is_full() {
    let emulator = emulator(Bounds::Exclusive).await;
    seed_with_ties(&emulator, 12, &[]);
    let mirror = Mirror::new();

    let summary = mirror.sync(&emulator, SyncMode::Quick).await;

    assert_eq!(summary.mode, SyncMode::Full);
    assert_eq!(summary.total, 12);
    assert_eq!(
        mirror.catalog.last_sync(emulator.account_id()).unwrap(),
        Some(summary)
    );
}

#[tokio::test]
async fn second_account_mirror_is_separate() {
    let first = emulator(Bounds::Exclusive).await;
    let second = emulator_for(Bounds::Exclusive, OTHER_ACCOUNT.to_owned()).await;
    seed_with_ties(&first, 15, &[]);
    seed_with_ties(&second, 7, &[]);
    let mirror = Mirror::new();

    mirror.sync(&first, SyncMode::Full).await;
    mirror.sync(&second, SyncMode::Full).await;
    first.remove_video(&first.videos()[0].uid);
    let again = mirror.sync(&first, SyncMode::Full).await;

    assert_eq!(again.removed, 1);
    assert_eq!(mirror_uids(&mirror.videos(&first)).len(), 15);
    assert_eq!(mirror_uids(&mirror.videos(&second)), emulator_uids(&second));
    assert!(mirror.videos(&second).iter().all(|m| m.change.is_none()));
    let second_summary = mirror.catalog.last_sync(OTHER_ACCOUNT).unwrap().unwrap();
    assert_eq!(second_summary.total, 7);
}

#[tokio::test]
async fn rate_limited_sync_blocks_budget() {
    let emulator = emulator(Bounds::Exclusive).await;
    seed_with_ties(&emulator, 5, &[]);
    let mirror = Mirror::new();
    emulator
        .inject_api_fault(ApiFault::Status {
            status: 429,
            retry_after: Some(120),
            html: false,
        })
        .unwrap();

    let error = sync_account(
        &client_for(&emulator),
        &mirror.catalog,
        &mirror.budget,
        SyncMode::Full,
        |_| {},
    )
    .await
    .unwrap_err();

    assert_eq!(error.code(), "rate_limited");
    let blocked = mirror.budget.blocked_for().expect("the budget is blocked");
    assert!(
        blocked > Duration::from_secs(100),
        "blocked for {blocked:?}"
    );
    assert_eq!(
        mirror.catalog.last_sync(emulator.account_id()).unwrap(),
        None
    );
    assert!(mirror.videos(&emulator).is_empty());
}

#[tokio::test]
async fn failed_walk_leaves_mirror() {
    let emulator = emulator(Bounds::Exclusive).await;
    seed_with_ties(&emulator, 30, &[]);
    let mirror = Mirror::new();
    mirror.sync(&emulator, SyncMode::Full).await;
    emulator.remove_video(&emulator.videos()[0].uid);

    // The first page succeeds, the second fails.
    let client = client_for(&emulator);
    let result = sync_account_paged(
        &client,
        &mirror.catalog,
        &mirror.budget,
        SyncMode::Full,
        10,
        |listed| {
            if listed == 10 {
                emulator
                    .inject_api_fault(ApiFault::Status {
                        status: 502,
                        retry_after: None,
                        html: true,
                    })
                    .unwrap();
            }
        },
    )
    .await;

    let error: EngineError = result.unwrap_err();
    assert_eq!(error.code(), "server");
    assert_eq!(mirror.videos(&emulator).len(), 30);
    assert!(mirror.videos(&emulator).iter().all(|m| m.change.is_none()));
}

#[test]
fn sync_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let _guard = runtime.enter();
    let mirror = Mirror::new();
    let client = support::client("http://127.0.0.1:9/client/v4", OTHER_ACCOUNT, "token");
    let future = sync_account(
        &client,
        &mirror.catalog,
        &mirror.budget,
        SyncMode::Quick,
        |_| {},
    );
    assert_send(&future);
}
