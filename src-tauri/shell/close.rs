//! Closing the window or quitting while downloads or a backup run.
//!
//! With work running, the close is held back and the page shows a question when it receives
//! [`ShellEvent::CloseRequested`]. The user's choice arrives in `close_choice`:
//! - keep in background: the window hides, a notification reports it, and the app quits once
//!   no job and no backup is active;
//! - stop and quit: the app exits at once. Jobs are not paused first: their catalog rows stay
//!   queued, preparing or transferring, so the next start resumes them from their partial
//!   files. Pausing them would make them wait for the user, because paused jobs stay paused
//!   at the next start;
//! - cancel: nothing happens.
//!
//! With no work running, or no UI subscribed to ask, closing and quitting exit at once.

use std::time::{Duration, Instant};

use offstream_engine::backup::{BackupOutcome, BackupProgress, BackupState};
use offstream_engine::JobSnapshot;
use offstream_ipc::{CloseChoice, ShellEvent};
use tauri::{AppHandle, Manager, Runtime};

use super::Shell;
use crate::notify::plan::Notice;
use crate::state::AppState;

/// Number of checks whether the window has left the screen after `hide`.
const HIDE_CHECKS: u32 = 40;

/// Pause between those checks, so they span 2 s in all.
const HIDE_CHECK_INTERVAL: Duration = Duration::from_millis(50);

/// Pause between two checks of whether background work has finished.
const BACKGROUND_POLL: Duration = Duration::from_millis(500);

/// How long the app must stay idle in the background before it quits: longer than the
/// notifier's merge window, so the "downloads finished" notification is sent first, and long
/// enough to bridge the moment between two videos of a backup.
const BACKGROUND_IDLE_GRACE: Duration =
    Duration::from_millis(crate::notify::MERGE_WINDOW.as_millis() as u64 + 1_500);

/// The work that a close would interrupt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Activity {
    /// Jobs that are queued, preparing, transferring or verifying.
    pub active_jobs: u32,
    /// True when a bulk backup is running (not paused and not finished).
    pub backup_running: bool,
}

impl Activity {
    /// Returns true when nothing would be interrupted.
    pub fn is_idle(&self) -> bool {
        self.active_jobs == 0 && !self.backup_running
    }

    /// Counts the active jobs in `jobs` and the running backups in `backups`.
    pub fn of(jobs: &[JobSnapshot], backups: &[BackupProgress]) -> Self {
        let active = jobs.iter().filter(|job| job.phase.is_active()).count();
        Self {
            active_jobs: u32::try_from(active).unwrap_or(u32::MAX),
            backup_running: backups.iter().any(backup_is_running),
        }
    }
}

/// Returns true for a backup that still downloads or restores. A backup whose started videos
/// are all paused counts as paused, like the jobs it is made of.
fn backup_is_running(progress: &BackupProgress) -> bool {
    let has = |outcome| progress.items.iter().any(|item| item.outcome == outcome);
    match progress.state {
        BackupState::Restoring => true,
        BackupState::Running => {
            has(BackupOutcome::Running)
                || (has(BackupOutcome::Queued) && !has(BackupOutcome::Paused))
        }
        BackupState::Done | BackupState::Cancelled => false,
    }
}

/// Outcome of a close request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseDecision {
    /// Close the window and exit.
    Exit,
    /// Hold the close back and send this question to the UI.
    Ask(ShellEvent),
}

/// Decides a close request. Without a subscribed page no question can be shown, so the app
/// exits as with "stop and quit", and the next start resumes the jobs.
pub fn decide_close(activity: Activity, ui_subscribed: bool) -> CloseDecision {
    if activity.is_idle() || !ui_subscribed {
        return CloseDecision::Exit;
    }
    CloseDecision::Ask(ShellEvent::CloseRequested {
        active_jobs: activity.active_jobs,
        backup_running: activity.backup_running,
    })
}

/// Action taken on the user's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChoiceAction {
    /// Hide the window, notify, and exit once idle.
    HideUntilIdle,
    /// Exit now, leaving the jobs in the catalog as they are.
    ExitNow,
    /// Keep the window open.
    Stay,
}

/// Maps the user's choice to the action taken.
pub fn action_for(choice: CloseChoice) -> ChoiceAction {
    match choice {
        CloseChoice::KeepInBackground => ChoiceAction::HideUntilIdle,
        CloseChoice::StopAndQuit => ChoiceAction::ExitNow,
        CloseChoice::Cancel => ChoiceAction::Stay,
    }
}

/// One step of the background watch: returns when the idle stretch began (`None` while work
/// runs) and whether the app should quit now.
fn background_step(
    idle: bool,
    idle_since: Option<Instant>,
    now: Instant,
) -> (Option<Instant>, bool) {
    if !idle {
        return (None, false);
    }
    let since = idle_since.unwrap_or(now);
    (
        Some(since),
        now.duration_since(since) >= BACKGROUND_IDLE_GRACE,
    )
}

/// Returns the work that closing would interrupt now.
pub fn current_activity<R: Runtime>(app: &AppHandle<R>) -> Activity {
    match app.try_state::<AppState>() {
        Some(state) => Activity::of(&state.job_snapshots(), &state.unfinished_backups()),
        None => Activity::default(),
    }
}

/// Handles a close of the main window or a quit request. Returns true when the app may exit
/// now. False means the page shows the question and sends the choice through `close_choice`.
pub fn allow_exit<R: Runtime>(app: &AppHandle<R>) -> bool {
    let Some(shell) = app.try_state::<Shell>() else {
        return true;
    };
    shell.save_window_state(app);

    let activity = current_activity(app);
    match decide_close(activity, shell.has_subscriber()) {
        CloseDecision::Exit => {
            if !activity.is_idle() {
                tracing::info!(
                    active_jobs = activity.active_jobs,
                    backup_running = activity.backup_running,
                    "closing with work running and no window to ask; the next start resumes it"
                );
            }
            true
        }
        CloseDecision::Ask(event) => {
            if shell.send(event) {
                false
            } else {
                tracing::info!("the window could not be asked whether to keep downloading; quitting, and the next start resumes the downloads");
                true
            }
        }
    }
}

/// Quits the app from the menu or `request_quit`, unless the UI is asked first.
pub fn quit<R: Runtime>(app: &AppHandle<R>) {
    if allow_exit(app) {
        app.exit(0);
    }
}

/// Carries out the user's choice in the close question.
pub fn apply_choice<R: Runtime>(app: &AppHandle<R>, choice: CloseChoice) {
    match action_for(choice) {
        ChoiceAction::Stay => tracing::debug!("the close was cancelled"),
        ChoiceAction::ExitNow => {
            tracing::info!("stopping the downloads and quitting; the next start resumes them");
            app.exit(0);
        }
        ChoiceAction::HideUntilIdle => keep_in_background(app),
    }
}

fn keep_in_background<R: Runtime>(app: &AppHandle<R>) {
    let Some(shell) = app.try_state::<Shell>() else {
        return;
    };
    let window = app.get_webview_window(super::MAIN_WINDOW);
    if let Some(window) = &window {
        if let Err(error) = window.hide() {
            tracing::warn!(%error, "cannot hide the window");
        }
    }
    if let Some(state) = app.try_state::<AppState>() {
        state.notifier().notify(Notice {
            title: "Downloading in the background".to_owned(),
            body: "Offstream keeps downloading in the background; open it again to see progress."
                .to_owned(),
        });
    }

    // A second "keep" while the watch runs must not start another one.
    let first_keep = shell.enter_background();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let window_visible = match window {
            Some(window) => wait_until_hidden(&window).await,
            None => None,
        };
        let activity = current_activity(&app);
        tracing::info!(
            active_jobs = activity.active_jobs,
            backup_running = activity.backup_running,
            ?window_visible,
            "the window is hidden; quitting once the downloads are done"
        );
        if first_keep {
            watch_background(app).await;
        }
    });
}

/// Waits until the windowing system reports `window` as hidden, which happens a moment after
/// `hide` returns, and returns the last visibility read (`None` when it cannot be read).
async fn wait_until_hidden<R: Runtime>(window: &tauri::WebviewWindow<R>) -> Option<bool> {
    let mut visible = window.is_visible().ok();
    for _ in 0..HIDE_CHECKS {
        if visible != Some(true) {
            break;
        }
        tokio::time::sleep(HIDE_CHECK_INTERVAL).await;
        visible = window.is_visible().ok();
    }
    visible
}

/// Quits once the app has been idle for [`BACKGROUND_IDLE_GRACE`], unless a second launch
/// showed the window again.
async fn watch_background<R: Runtime>(app: AppHandle<R>) {
    let mut idle_since = None;
    loop {
        tokio::time::sleep(BACKGROUND_POLL).await;
        let in_background = app
            .try_state::<Shell>()
            .is_some_and(|shell| shell.in_background());
        if !in_background {
            return;
        }
        let (since, quit) =
            background_step(current_activity(&app).is_idle(), idle_since, Instant::now());
        idle_since = since;
        if quit {
            tracing::info!("the background downloads are done; quitting");
            app.exit(0);
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use offstream_engine::backup::BackupItemStatus;
    use offstream_engine::JobPhase;
    use offstream_stream::DownloadType;

    use super::*;

    fn busy(active_jobs: u32, backup_running: bool) -> Activity {
        Activity {
            active_jobs,
            backup_running,
        }
    }

    #[test]
    fn idle_close_exits() {
        assert_eq!(decide_close(busy(0, false), true), CloseDecision::Exit);
    }

    #[test]
    fn active_jobs_ask() {
        assert_eq!(
            decide_close(busy(2, false), true),
            CloseDecision::Ask(ShellEvent::CloseRequested {
                active_jobs: 2,
                backup_running: false
            })
        );
    }

    #[test]
    fn running_backup_asks() {
        assert_eq!(
            decide_close(busy(0, true), true),
            CloseDecision::Ask(ShellEvent::CloseRequested {
                active_jobs: 0,
                backup_running: true
            })
        );
    }

    #[test]
    fn no_subscriber_exits() {
        assert_eq!(decide_close(busy(3, true), false), CloseDecision::Exit);
    }

    #[test]
    fn choices_map_to_actions() {
        assert_eq!(
            action_for(CloseChoice::KeepInBackground),
            ChoiceAction::HideUntilIdle
        );
        assert_eq!(action_for(CloseChoice::StopAndQuit), ChoiceAction::ExitNow);
        assert_eq!(action_for(CloseChoice::Cancel), ChoiceAction::Stay);
    }

    fn job(id: i64, phase: JobPhase) -> JobSnapshot {
        JobSnapshot {
            phase,
            ..JobSnapshot::queued(id, &format!("uid{id}"), DownloadType::Default)
        }
    }

    #[test]
    fn activity_counts_active_phases() {
        let jobs = [
            job(1, JobPhase::Queued),
            job(2, JobPhase::Preparing),
            job(3, JobPhase::Transferring),
            job(4, JobPhase::Verifying),
            job(5, JobPhase::Paused),
            job(6, JobPhase::Done),
            job(7, JobPhase::Failed),
            job(8, JobPhase::Cancelled),
        ];
        assert_eq!(Activity::of(&jobs, &[]), busy(4, false));
    }

    #[test]
    fn paused_jobs_are_idle() {
        let jobs = [job(1, JobPhase::Paused), job(2, JobPhase::Done)];
        assert!(Activity::of(&jobs, &[]).is_idle());
    }

    fn backup(state: BackupState, outcomes: &[BackupOutcome]) -> BackupProgress {
        let items: Vec<BackupItemStatus> = outcomes
            .iter()
            .enumerate()
            .map(|(index, outcome)| BackupItemStatus {
                uid: format!("uid{index}"),
                title: format!("Video {index}"),
                outcome: *outcome,
                job_id: None,
                reason: None,
                error: None,
                download_deleted: false,
            })
            .collect();
        BackupProgress {
            id: 1,
            state,
            download_type: DownloadType::Default,
            restore_account: false,
            total: u32::try_from(items.len()).unwrap(),
            done: 0,
            failed: 0,
            skipped: 0,
            unavailable: 0,
            active: 0,
            restored: 0,
            items,
        }
    }

    #[test]
    fn backup_with_running_video_runs() {
        use BackupOutcome::*;
        let progress = backup(BackupState::Running, &[Done, Running, Queued]);
        assert!(Activity::of(&[], &[progress]).backup_running);
    }

    #[test]
    fn backup_between_videos_runs() {
        use BackupOutcome::*;
        let progress = backup(BackupState::Running, &[Done, Queued]);
        assert!(Activity::of(&[], &[progress]).backup_running);
    }

    #[test]
    fn paused_backup_is_idle() {
        use BackupOutcome::*;
        let progress = backup(BackupState::Running, &[Done, Paused, Queued]);
        assert!(!Activity::of(&[], &[progress]).backup_running);
    }

    #[test]
    fn restoring_backup_runs() {
        use BackupOutcome::*;
        let progress = backup(BackupState::Restoring, &[Done, Done]);
        assert!(Activity::of(&[], &[progress]).backup_running);
    }

    #[test]
    fn finished_backup_is_idle() {
        use BackupOutcome::*;
        let done = backup(BackupState::Done, &[Done]);
        let cancelled = backup(BackupState::Cancelled, &[Queued]);
        assert!(!Activity::of(&[], &[done, cancelled]).backup_running);
    }

    #[test]
    fn background_quits_after_grace() {
        let start = Instant::now();
        let (since, quit) = background_step(true, None, start);
        assert_eq!(since, Some(start));
        assert!(!quit);

        let (since, quit) = background_step(true, since, start + BACKGROUND_IDLE_GRACE);
        assert_eq!(since, Some(start));
        assert!(quit);
    }

    #[test]
    fn background_work_restarts_grace() {
        let start = Instant::now();
        let (since, _) = background_step(true, None, start);
        let (since, quit) = background_step(false, since, start + Duration::from_secs(1));
        assert_eq!(since, None);
        assert!(!quit);

        let later = start + BACKGROUND_IDLE_GRACE;
        let (since, quit) = background_step(true, since, later);
        assert_eq!(since, Some(later));
        assert!(!quit, "the grace starts again after the work");
    }

    #[test]
    fn grace_outlasts_notification_merge() {
        assert!(BACKGROUND_IDLE_GRACE > crate::notify::MERGE_WINDOW);
    }

    /// "Stop and quit" exits without pausing the jobs. This runs the real engine against the
    /// emulator on 127.0.0.1 to show why. A job interrupted by the exit comes back at the next
    /// start on its own and finishes from its partial file. A job the user paused stays paused,
    /// so pausing every job before the exit would leave them all waiting for the user.
    mod restart {
        use std::path::Path;
        use std::sync::Arc;

        use offstream_engine::{Catalog, EngineOptions, JobManager, JobPhase, JobSnapshot};
        use offstream_stream::{ApiToken, ClientConfig, DownloadType, StreamClient};
        use stream_emulator::{Emulator, EmulatorConfig, RunningEmulator};
        use tokio::runtime::Runtime;
        use tokio::sync::broadcast::Receiver;

        use super::super::*;

        /// Maximum time one step may take.
        const STEP_TIMEOUT: Duration = Duration::from_secs(60);

        fn runtime() -> Runtime {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap()
        }

        fn manager(emulator: &RunningEmulator, data: &Path, library: &Path) -> JobManager {
            let config =
                ClientConfig::new(emulator.account_id(), ApiToken::new(emulator.api_token()))
                    .with_api_base(emulator.api_base());
            let client = StreamClient::new(config).unwrap();
            let catalog = Arc::new(Catalog::open(data).unwrap());
            JobManager::new(client, catalog, library, EngineOptions::default()).unwrap()
        }

        fn uid_of(emulator: &RunningEmulator, name_start: &str) -> String {
            emulator
                .videos()
                .into_iter()
                .find(|video| {
                    video
                        .name
                        .as_deref()
                        .is_some_and(|n| n.starts_with(name_start))
                })
                .unwrap_or_else(|| panic!("the emulator has a sample named {name_start}…"))
                .uid
        }

        async fn wait_for(
            events: &mut Receiver<JobSnapshot>,
            id: i64,
            phase_name: &str,
            done: impl Fn(&JobSnapshot) -> bool,
        ) {
            let waited = tokio::time::timeout(STEP_TIMEOUT, async {
                loop {
                    let snapshot = events.recv().await.expect("the job events stay open");
                    if snapshot.id == id && done(&snapshot) {
                        return;
                    }
                }
            })
            .await;
            assert!(
                waited.is_ok(),
                "job {id} did not reach {phase_name} in time"
            );
        }

        #[test]
        fn stop_and_quit_keeps_jobs_resumable() {
            let server = runtime();
            let emulator = server
                .block_on(Emulator::start(EmulatorConfig {
                    prepare_time: Duration::from_millis(200),
                    ..EmulatorConfig::default()
                }))
                .unwrap();
            // Slow enough that both files are still transferring when the app quits.
            emulator.set_delivery_rate(Some(20_000));
            let large = uid_of(&emulator, "Café Übersee");
            let small = uid_of(&emulator, "Aurora Bars");
            let temp = tempfile::tempdir().unwrap();
            let data = temp.path().join("data");
            let library = temp.path().join("library");

            // The first run starts both downloads and the user pauses one of them.
            let first = runtime();
            let (interrupted, paused) = first.block_on(async {
                let jobs = manager(&emulator, &data, &library);
                jobs.resume_unfinished().unwrap();
                let mut events = jobs.subscribe();
                let interrupted = jobs.start(&large, DownloadType::Default).unwrap();
                let paused = jobs.start(&small, DownloadType::Default).unwrap();
                for id in [interrupted, paused] {
                    wait_for(&mut events, id, "transferring", |job| {
                        job.phase == JobPhase::Transferring && job.bytes_done > 0
                    })
                    .await;
                }
                jobs.pause(paused).unwrap();
                wait_for(&mut events, paused, "paused", |job| {
                    job.phase == JobPhase::Paused
                })
                .await;

                let activity = Activity::of(&jobs.snapshots(), &[]);
                assert_eq!(activity.active_jobs, 1, "only the unpaused job is active");
                assert!(matches!(
                    decide_close(activity, true),
                    CloseDecision::Ask(_)
                ));
                assert_eq!(action_for(CloseChoice::StopAndQuit), ChoiceAction::ExitNow);
                (interrupted, paused)
            });
            // The exit: every task stops where it is, as when the process ends.
            first.shutdown_timeout(Duration::from_secs(5));

            let stored = Catalog::open(&data).unwrap();
            let interrupted_row = stored.job(interrupted).unwrap().unwrap();
            assert!(
                interrupted_row.state.is_active(),
                "the interrupted job is stored as {:?}",
                interrupted_row.state
            );
            assert_eq!(stored.job(paused).unwrap().unwrap().state, JobPhase::Paused);
            drop(stored);

            // The next start resumes the interrupted job, and only that one.
            emulator.set_delivery_rate(None);
            let second = runtime();
            second.block_on(async {
                let jobs = manager(&emulator, &data, &library);
                let resumed = jobs.resume_unfinished().unwrap();
                assert_eq!(resumed, vec![interrupted]);
                assert_eq!(jobs.snapshot(paused).unwrap().phase, JobPhase::Paused);

                let item = tokio::time::timeout(STEP_TIMEOUT, jobs.wait(interrupted))
                    .await
                    .expect("the resumed job ends in time")
                    .expect("the resumed job succeeds");
                let sample = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("samples")
                    .join("harbor-pattern.mp4");
                assert!(
                    std::fs::read(&item.path).unwrap() == std::fs::read(sample).unwrap(),
                    "{} has the sample's bytes",
                    item.path.display()
                );
            });
            second.shutdown_timeout(Duration::from_secs(5));
            server.block_on(emulator.shutdown());
        }
    }
}
