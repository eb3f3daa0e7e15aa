//! Running a bulk backup: recording it, starting one download job per video, following the
//! jobs to their end, and the restore step.
//!
//! A backup runs as one task with two parts:
//! - the starter walks the videos to download in estimate order. With restore-account on, it
//!   first reads which downloads each video already has (`GET /downloads`, a few at a
//!   time) and stores the result as `enabled_before`, then starts the video's job with the
//!   mirror's copy of the video, so the job skips its own `GET /stream/{uid}`;
//! - the tracker follows the manager's snapshots, maps each job phase to a
//!   [`BackupOutcome`] and saves every change of outcome to the catalog. It sends a new
//!   [`BackupProgress`] to the handles at most every 250 ms. Once a second it also rereads
//!   every job, so missed snapshots (a receiver that fell behind) cannot leave the backup
//!   waiting.
//!
//! When the starter is through and every job has ended, the restore step runs if it was
//! requested and the backup was not cancelled, and the backup becomes `done`. A cancelled
//! backup keeps its partial files and the downloads it enabled, so a new backup of the same
//! videos resumes them. That backup's restore step also deletes those downloads, because the
//! catalog records which downloads an earlier backup enabled.
//!
//! Invariants:
//! - `enabled_before` is saved before the video's job starts, so a crash in between cannot
//!   make the restore step delete a download the account had before.
//! - Starting a job and cancelling the backup take the same lock, so no job starts after a
//!   cancel.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use offstream_stream::{DownloadType, Video};
use tokio::sync::{broadcast, watch, Notify};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::api;
use super::restore::restore_account;
use super::types::{
    BackupEstimate, BackupId, BackupItemStatus, BackupOptions, BackupOutcome, BackupProgress,
    BackupState, RestoreReport,
};
use super::NewBackupItem;
use crate::error::{EngineError, ErrorInfo};
use crate::job::{JobId, JobPhase, JobSnapshot};
use crate::manager::JobManager;

/// Videos whose existing downloads are checked at the same time before their jobs start.
const CHECK_CONCURRENCY: usize = 4;

/// How often the tracker rereads every job, in case it missed snapshots.
const RECONCILE_INTERVAL: Duration = Duration::from_secs(1);

/// Minimum time between two progress updates sent to the handles. Each update copies every
/// item, so a backup of thousands of videos sends a few per second, not one per change.
const PUBLISH_INTERVAL: Duration = Duration::from_millis(250);

/// Records a backup of the estimate's videos and starts it. Returns at once with a handle;
/// the downloads, the restore step and the final state follow in a background task.
///
/// Skipped and unavailable videos are recorded with their reason and never touched. The jobs
/// get the mirror's copy of each video; a video missing from the mirror is fetched by its job.
///
/// # Errors
/// [`EngineError::Catalog`] when the backup cannot be recorded.
pub async fn start_backup(
    manager: &JobManager,
    account_id: &str,
    estimate: &BackupEstimate,
    options: &BackupOptions,
) -> Result<BackupHandle, EngineError> {
    let catalog = manager.catalog();
    let items = new_items(estimate);
    let id = catalog.insert_backup(
        account_id,
        estimate.download_type,
        &estimate.selection,
        options.restore_account,
        &items,
    )?;
    info!(
        backup_id = id,
        account_id,
        to_download = estimate.to_download.len(),
        skipped = estimate.skipped.len(),
        unavailable = estimate.unavailable.len(),
        restore_account = options.restore_account,
        "backup started"
    );

    let statuses: Vec<BackupItemStatus> = items
        .iter()
        .map(|item| BackupItemStatus {
            uid: item.uid.clone(),
            title: item.title.clone(),
            outcome: item.outcome,
            job_id: None,
            reason: item.reason,
            error: None,
            download_deleted: false,
        })
        .collect();
    let pending: Vec<Pending> = statuses
        .iter()
        .enumerate()
        .filter(|(_, status)| status.outcome == BackupOutcome::Queued)
        .map(|(index, _)| Pending {
            index,
            enabled_before: None,
        })
        .collect();

    let run = Run::new(
        manager,
        id,
        account_id,
        estimate.download_type,
        options.restore_account,
        statuses,
    );
    Ok(launch(run, pending, HashMap::new()))
}

/// Takes up a backup that an earlier run of the program left unfinished: follows its jobs
/// again, starts the videos whose jobs never started, and finishes it (restore step included)
/// once every job has ended. A finished backup gets a handle whose progress is final.
///
/// Call [`JobManager::resume_unfinished`] first, so the backup's unfinished jobs run again,
/// and call this once per backup, because every handle it returns drives the backup itself.
///
/// # Errors
/// [`EngineError::Config`] for an unknown id, [`EngineError::Catalog`] when the catalog
/// cannot be read.
pub async fn resume_backup(
    manager: &JobManager,
    id: BackupId,
) -> Result<BackupHandle, EngineError> {
    let record = manager
        .catalog()
        .backup(id)?
        .ok_or_else(|| unknown_backup(id))?;
    let progress = backup_progress(manager, id)?;
    let records = manager.catalog().backup_items(id)?;

    let mut pending = Vec::new();
    let mut jobs = HashMap::new();
    for (index, (status, item)) in progress.items.iter().zip(&records).enumerate() {
        match status.job_id {
            Some(job) => {
                jobs.insert(job, index);
            }
            None if status.outcome == BackupOutcome::Queued => pending.push(Pending {
                index,
                enabled_before: item.enabled_before,
            }),
            None => {}
        }
    }

    let run = Run::new(
        manager,
        id,
        &record.account_id,
        record.download_type,
        record.restore_account,
        progress.items,
    );
    if record.state.is_finished() {
        run.lock().state = record.state;
        run.publish(&mut run.lock());
        return Ok(BackupHandle { run });
    }
    info!(
        backup_id = id,
        pending = pending.len(),
        jobs = jobs.len(),
        "backup resumed"
    );
    Ok(launch(run, pending, jobs))
}

/// Returns the progress of a backup from the catalog and the manager's live job snapshots, so
/// it also works for a backup started by an earlier run of the program.
///
/// # Errors
/// [`EngineError::Config`] for an unknown id, [`EngineError::Catalog`] when the catalog
/// cannot be read.
pub fn backup_progress(manager: &JobManager, id: BackupId) -> Result<BackupProgress, EngineError> {
    let catalog = manager.catalog();
    let record = catalog.backup(id)?.ok_or_else(|| unknown_backup(id))?;

    let mut items = Vec::new();
    for item in catalog.backup_items(id)? {
        let mut status = BackupItemStatus {
            uid: item.uid,
            title: item.title,
            outcome: item.outcome,
            job_id: item.job_id,
            reason: item.reason,
            error: None,
            download_deleted: item.download_deleted,
        };
        if let Some(job) = item.job_id {
            if let Some((phase, error)) = job_state(manager, job)? {
                status.outcome = outcome_of(phase);
                status.error = error;
            }
        }
        items.push(status);
    }
    Ok(summarize(
        id,
        record.state,
        record.download_type,
        record.restore_account,
        items,
    ))
}

/// A running (or finished) backup. Cloning is cheap and every clone controls the same backup.
#[derive(Clone)]
pub struct BackupHandle {
    run: Arc<Run>,
}

impl std::fmt::Debug for BackupHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupHandle")
            .field("id", &self.run.id)
            .finish_non_exhaustive()
    }
}

impl BackupHandle {
    /// Returns the backup's id in the catalog.
    pub fn id(&self) -> BackupId {
        self.run.id
    }

    /// Returns the current progress.
    pub fn progress(&self) -> BackupProgress {
        self.run.progress.borrow().clone()
    }

    /// Returns a receiver of every new progress, for a UI.
    pub fn subscribe(&self) -> watch::Receiver<BackupProgress> {
        self.run.progress.subscribe()
    }

    /// Waits until the backup is `done` (after the restore step, when requested) or
    /// `cancelled`, and returns its final progress.
    pub async fn wait(&self) -> BackupProgress {
        let mut receiver = self.run.progress.subscribe();
        let finished = receiver
            .wait_for(|progress| progress.state.is_finished())
            .await
            .map(|progress| progress.clone());
        // The sender lives in `self.run`, so the channel cannot close while this waits.
        finished.unwrap_or_else(|_| self.progress())
    }

    /// Returns what the restore step did: `None` until it has run (or when it was not
    /// requested), else its report or the error that stopped it.
    pub fn restore_outcome(&self) -> Option<Result<RestoreReport, ErrorInfo>> {
        self.run.lock().restore.clone()
    }

    /// Cancels the backup: its jobs stop and keep their partial files, and videos not started
    /// yet are not started. The restore step does not run; [`restore_account`] can run it
    /// later. Cancelling a finished backup does nothing.
    pub fn cancel(&self) {
        let mut state = self.run.lock();
        if state.cancelled || state.state.is_finished() {
            return;
        }
        state.cancelled = true;
        self.run.cancel.cancel();
        for job in state.jobs.keys() {
            // Only an unknown id fails, and a job of an earlier run may be unknown here.
            let _ = self.run.manager.cancel(*job, false);
        }
        info!(backup_id = self.run.id, "backup cancellation requested");
        drop(state);
        self.run.wake.notify_one();
    }

    /// Pauses the backup: its jobs pause, keeping their partial files, and no new job starts
    /// until [`BackupHandle::resume`]. [`JobManager::pause_all`] pauses only jobs that have
    /// started, so a backup still starting jobs should be paused here.
    pub fn pause(&self) {
        self.run.paused.send_replace(true);
        let state = self.run.lock();
        for job in state.jobs.keys() {
            let _ = self.run.manager.pause(*job);
        }
        info!(backup_id = self.run.id, "backup paused");
    }

    /// Resumes a paused backup: its paused jobs continue and new jobs start again.
    ///
    /// # Errors
    /// [`EngineError::Config`] outside a Tokio runtime, [`EngineError::Catalog`] when a job
    /// row cannot be written; jobs before the failing one stay resumed.
    pub fn resume(&self) -> Result<(), EngineError> {
        self.run.paused.send_replace(false);
        let jobs: Vec<JobId> = self.run.lock().jobs.keys().copied().collect();
        for job in jobs {
            let paused = self
                .run
                .manager
                .snapshot(job)
                .is_some_and(|snapshot| snapshot.phase == JobPhase::Paused);
            if paused {
                self.run.manager.resume(job)?;
            }
        }
        info!(backup_id = self.run.id, "backup resumed by the user");
        Ok(())
    }
}

/// A video whose job has not started yet.
struct Pending {
    /// Index into the backup's items.
    index: usize,
    /// Known from an earlier run, so it is not checked again.
    enabled_before: Option<bool>,
}

/// The state of one backup, shared by its handles and its task.
struct Run {
    id: BackupId,
    account_id: String,
    manager: JobManager,
    download_type: DownloadType,
    restore_account: bool,
    state: Mutex<RunState>,
    progress: watch::Sender<BackupProgress>,
    cancel: CancellationToken,
    paused: watch::Sender<bool>,
    /// Wakes the tracker when the starter is through or the backup is cancelled.
    wake: Notify,
}

struct RunState {
    state: BackupState,
    items: Vec<BackupItemStatus>,
    /// Item index of each started job.
    jobs: HashMap<JobId, usize>,
    /// True until the starter has handled every pending video.
    starting: bool,
    /// True when the items changed since the progress was last sent.
    dirty: bool,
    cancelled: bool,
    /// The result of the restore step, once it ran.
    restore: Option<Result<RestoreReport, ErrorInfo>>,
}

impl Run {
    fn new(
        manager: &JobManager,
        id: BackupId,
        account_id: &str,
        download_type: DownloadType,
        restore_account: bool,
        items: Vec<BackupItemStatus>,
    ) -> Arc<Self> {
        let progress = summarize(
            id,
            BackupState::Running,
            download_type,
            restore_account,
            items.clone(),
        );
        Arc::new(Self {
            id,
            account_id: account_id.to_owned(),
            manager: manager.clone(),
            download_type,
            restore_account,
            state: Mutex::new(RunState {
                state: BackupState::Running,
                items,
                jobs: HashMap::new(),
                starting: true,
                dirty: false,
                cancelled: false,
                restore: None,
            }),
            progress: watch::Sender::new(progress),
            cancel: CancellationToken::new(),
            paused: watch::Sender::new(false),
            wake: Notify::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, RunState> {
        // Every update of the state is complete before the lock is released, so a poisoned
        // lock holds a consistent state.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sends the progress of `state` to every handle.
    fn publish(&self, state: &mut RunState) {
        state.dirty = false;
        self.progress.send_replace(summarize(
            self.id,
            state.state,
            self.download_type,
            self.restore_account,
            state.items.clone(),
        ));
    }

    /// Moves one item to the outcome of its job's phase, saving a changed outcome.
    fn update_item(
        &self,
        state: &mut RunState,
        index: usize,
        phase: JobPhase,
        error: Option<ErrorInfo>,
    ) {
        let outcome = outcome_of(phase);
        let item = &mut state.items[index];
        if item.outcome == outcome && item.error == error {
            return;
        }
        if item.outcome != outcome {
            if let Err(save_error) = self
                .manager
                .catalog()
                .set_backup_item_outcome(self.id, &item.uid, outcome)
            {
                warn!(backup_id = self.id, uid = %item.uid, error = %save_error, "could not save the outcome of a backup video");
            }
        }
        item.outcome = outcome;
        item.error = error;
        state.dirty = true;
    }

    /// Sends the progress when it changed since it was last sent.
    fn publish_if_changed(&self) {
        let mut state = self.lock();
        if state.dirty {
            self.publish(&mut state);
        }
    }

    /// Applies one job snapshot, when the job belongs to this backup.
    fn apply(&self, snapshot: &JobSnapshot) {
        let mut state = self.lock();
        let Some(&index) = state.jobs.get(&snapshot.id) else {
            return;
        };
        self.update_item(&mut state, index, snapshot.phase, snapshot.error.clone());
    }

    /// Rereads the state of every job of the backup that has not ended.
    fn reconcile(&self) {
        let mut state = self.lock();
        let open: Vec<(JobId, usize)> = state
            .jobs
            .iter()
            .filter(|(_, index)| state.items[**index].outcome.is_active())
            .map(|(job, index)| (*job, *index))
            .collect();
        for (job, index) in open {
            match job_state(&self.manager, job) {
                Ok(Some((phase, error))) => {
                    self.update_item(&mut state, index, phase, error);
                }
                Ok(None) => {}
                Err(error) => {
                    warn!(backup_id = self.id, job_id = job, error = %error, "could not read a job of the backup");
                }
            }
        }
    }

    /// Returns true once no job can start any more and every item has ended.
    fn all_ended(&self) -> bool {
        let state = self.lock();
        !state.starting && state.items.iter().all(|item| !item.outcome.is_active())
    }

    /// Asks Stream whether the video already has the backup's download, for the restore step.
    /// Returns `None` when the check fails, so the restore step leaves the download.
    async fn check_enabled_before(&self, uid: &str) -> Option<bool> {
        let downloads = match api::downloads(&self.manager, uid).await {
            Ok(downloads) => downloads,
            // The video is gone, so it has no download; its job fails with the same 404.
            Err(offstream_stream::Error::NotFound { .. }) => return Some(false),
            Err(error) => {
                warn!(backup_id = self.id, uid, code = error.code(), error = %error, "could not check whether the video had this download before the backup; the restore step will leave it on Stream");
                return None;
            }
        };
        if downloads.get(self.download_type).is_none() {
            return Some(false);
        }

        // A download that an earlier, unrestored backup enabled was not there before Offstream.
        let earlier = self.manager.catalog().download_enabled_by_backup(
            &self.account_id,
            self.download_type,
            uid,
            self.id,
        );
        match earlier {
            Ok(true) => Some(false),
            Ok(false) => Some(true),
            Err(error) => {
                warn!(backup_id = self.id, uid, error = %error, "could not read earlier backups; keeping the existing download");
                Some(true)
            }
        }
    }

    /// Starts the job of one video, unless the backup was cancelled meanwhile.
    fn start_one(&self, pending: &Pending, enabled_before: Option<bool>, video: Option<&Video>) {
        let catalog = self.manager.catalog();
        let mut state = self.lock();
        if state.cancelled {
            return;
        }
        let uid = state.items[pending.index].uid.clone();

        if let Some(enabled) = enabled_before {
            if let Err(error) = catalog.set_backup_item_enabled_before(self.id, &uid, enabled) {
                // Without the record the restore step would leave the download, so the job
                // may still run.
                warn!(backup_id = self.id, uid = %uid, error = %error, "could not save whether the download existed before");
            }
        }

        let started = match video {
            Some(video) => self.manager.start_with_video(video, self.download_type),
            None => self.manager.start(&uid, self.download_type),
        };
        match started {
            Ok(job) => {
                state.jobs.insert(job, pending.index);
                state.items[pending.index].job_id = Some(job);
                state.dirty = true;
                if let Err(error) =
                    catalog.set_backup_item_job(self.id, &uid, job, BackupOutcome::Queued)
                {
                    warn!(backup_id = self.id, uid = %uid, job_id = job, error = %error, "could not save the job of a backup video");
                }
                // A file already in the library ends its job before this lock is released.
                if let Some(snapshot) = self.manager.snapshot(job) {
                    self.update_item(&mut state, pending.index, snapshot.phase, snapshot.error);
                }
            }
            Err(error) => {
                warn!(backup_id = self.id, uid = %uid, error = %error, "could not start the download of a backup video");
                self.update_item(
                    &mut state,
                    pending.index,
                    JobPhase::Failed,
                    Some(error.info()),
                );
            }
        }
    }

    /// Ends the starting phase. After a cancel, the videos never started become `cancelled`.
    fn finish_starting(&self) {
        let mut state = self.lock();
        state.starting = false;
        if state.cancelled {
            let unstarted: Vec<usize> = (0..state.items.len())
                .filter(|index| {
                    state.items[*index].job_id.is_none()
                        && state.items[*index].outcome == BackupOutcome::Queued
                })
                .collect();
            for index in unstarted {
                self.update_item(&mut state, index, JobPhase::Cancelled, None);
            }
        }
        self.publish(&mut state);
        drop(state);
        self.wake.notify_one();
    }

    /// Sets and saves the state of the backup.
    fn set_state(&self, new_state: BackupState) {
        if let Err(error) = self.manager.catalog().set_backup_state(self.id, new_state) {
            warn!(backup_id = self.id, error = %error, "could not save the state of the backup");
        }
        let mut state = self.lock();
        state.state = new_state;
        self.publish(&mut state);
    }

    /// Waits until the backup is not paused; returns false when it was cancelled meanwhile.
    async fn wait_unpaused(&self) -> bool {
        let mut paused = self.paused.subscribe();
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => false,
            result = paused.wait_for(|paused| !*paused) => result.is_ok(),
        }
    }
}

/// Spawns the task of a backup and returns its handle.
fn launch(run: Arc<Run>, pending: Vec<Pending>, jobs: HashMap<JobId, usize>) -> BackupHandle {
    // Subscribed before any job starts, so no snapshot of the backup's jobs is missed.
    let events = run.manager.subscribe();
    run.lock().jobs = jobs;
    let task_run = Arc::clone(&run);
    tokio::spawn(async move { drive(task_run, pending, events).await });
    BackupHandle { run }
}

async fn drive(run: Arc<Run>, pending: Vec<Pending>, events: broadcast::Receiver<JobSnapshot>) {
    tokio::join!(start_jobs(&run, pending), track(&run, events));

    let cancelled = run.lock().cancelled;
    if cancelled {
        run.set_state(BackupState::Cancelled);
        info!(backup_id = run.id, "backup cancelled");
        return;
    }
    if run.restore_account {
        run.set_state(BackupState::Restoring);
        // `restore_account` logs its counts itself.
        let outcome = restore_account(&run.manager, run.id)
            .await
            .map_err(|error| {
                warn!(backup_id = run.id, error = %error, "the restore step failed");
                error.info()
            });
        run.lock().restore = Some(outcome);
        reload_deleted_marks(&run);
    }
    run.set_state(BackupState::Done);
    info!(backup_id = run.id, "backup done");
}

/// Starts the job of every pending video, checking its existing downloads first when the
/// restore step needs them.
async fn start_jobs(run: &Run, pending: Vec<Pending>) {
    let videos = mirror_videos(run);
    let checks = stream::iter(pending)
        .map(|pending| async move {
            let enabled_before = match pending.enabled_before {
                Some(known) => Some(known),
                None if run.restore_account => {
                    let uid = run.lock().items[pending.index].uid.clone();
                    tokio::select! {
                        biased;
                        () = run.cancel.cancelled() => None,
                        enabled = run.check_enabled_before(&uid) => enabled,
                    }
                }
                None => None,
            };
            (pending, enabled_before)
        })
        .buffered(CHECK_CONCURRENCY);
    tokio::pin!(checks);

    loop {
        let next = tokio::select! {
            biased;
            () = run.cancel.cancelled() => None,
            next = checks.next() => next,
        };
        let Some((pending, enabled_before)) = next else {
            break;
        };
        if !run.wait_unpaused().await {
            break;
        }
        let uid = run.lock().items[pending.index].uid.clone();
        run.start_one(&pending, enabled_before, videos.get(&uid));
    }
    run.finish_starting();
}

/// Returns the mirror's copy of each video of the backup, so its job skips fetching it. A
/// video missing from the mirror is fetched by its job.
fn mirror_videos(run: &Run) -> HashMap<String, Video> {
    let wanted: std::collections::HashSet<String> = run
        .lock()
        .items
        .iter()
        .filter(|item| item.outcome == BackupOutcome::Queued)
        .map(|item| item.uid.clone())
        .collect();
    match run.manager.catalog().mirrored_videos(&run.account_id) {
        Ok(mirrored) => mirrored
            .into_iter()
            .filter(|mirrored| wanted.contains(&mirrored.video.uid))
            .map(|mirrored| (mirrored.video.uid.clone(), mirrored.video))
            .collect(),
        Err(error) => {
            warn!(backup_id = run.id, error = %error, "could not read the mirror; each job fetches its video");
            HashMap::new()
        }
    }
}

/// Follows the job snapshots until every item has ended.
async fn track(run: &Run, mut events: broadcast::Receiver<JobSnapshot>) {
    let mut reconcile = tokio::time::interval(RECONCILE_INTERVAL);
    reconcile.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut publish = tokio::time::interval(PUBLISH_INTERVAL);
    publish.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        if run.all_ended() {
            return;
        }
        tokio::select! {
            _ = publish.tick() => run.publish_if_changed(),
            event = events.recv() => match event {
                Ok(snapshot) => run.apply(&snapshot),
                Err(broadcast::error::RecvError::Lagged(_)) => run.reconcile(),
                // The manager that sends lives in `run`, so the channel stays open.
                Err(broadcast::error::RecvError::Closed) => run.reconcile(),
            },
            () = run.wake.notified() => run.reconcile(),
            _ = reconcile.tick() => run.reconcile(),
        }
    }
}

/// Copies the restore step's `download_deleted` marks from the catalog into the progress.
fn reload_deleted_marks(run: &Run) {
    let records = match run.manager.catalog().backup_items(run.id) {
        Ok(records) => records,
        Err(error) => {
            warn!(backup_id = run.id, error = %error, "could not read the restore marks");
            return;
        }
    };
    let mut state = run.lock();
    for (item, record) in state.items.iter_mut().zip(records) {
        item.download_deleted = record.download_deleted;
    }
    run.publish(&mut state);
}

/// Returns the items to record for an estimate: its videos to download (queued), then the
/// skipped and the unavailable ones with their reason. A uid listed twice is recorded once.
fn new_items(estimate: &BackupEstimate) -> Vec<NewBackupItem> {
    let mut seen = std::collections::HashSet::new();
    let lists = [
        (&estimate.to_download, BackupOutcome::Queued),
        (&estimate.skipped, BackupOutcome::Skipped),
        (&estimate.unavailable, BackupOutcome::Unavailable),
    ];
    let mut items = Vec::new();
    for (candidates, outcome) in lists {
        for candidate in candidates {
            if !seen.insert(candidate.uid.clone()) {
                continue;
            }
            items.push(NewBackupItem {
                uid: candidate.uid.clone(),
                title: candidate.title.clone(),
                outcome,
                reason: candidate.reason,
            });
        }
    }
    items
}

/// Returns the phase and error of a job: the live snapshot when this manager runs it, else
/// the catalog's row, else `None` (the row was discarded).
fn job_state(
    manager: &JobManager,
    job: JobId,
) -> Result<Option<(JobPhase, Option<ErrorInfo>)>, EngineError> {
    if let Some(snapshot) = manager.snapshot(job) {
        return Ok(Some((snapshot.phase, snapshot.error)));
    }
    let record = manager.catalog().job(job)?;
    Ok(record.map(|record| (record.state, record.error)))
}

/// Returns the backup outcome of a job phase.
pub(super) fn outcome_of(phase: JobPhase) -> BackupOutcome {
    match phase {
        JobPhase::Queued => BackupOutcome::Queued,
        JobPhase::Preparing | JobPhase::Transferring | JobPhase::Verifying => {
            BackupOutcome::Running
        }
        JobPhase::Paused => BackupOutcome::Paused,
        JobPhase::Done => BackupOutcome::Done,
        JobPhase::Failed => BackupOutcome::Failed,
        JobPhase::Cancelled => BackupOutcome::Cancelled,
    }
}

/// Builds a progress with its counts.
fn summarize(
    id: BackupId,
    state: BackupState,
    download_type: DownloadType,
    restore_account: bool,
    items: Vec<BackupItemStatus>,
) -> BackupProgress {
    let count = |wanted: &dyn Fn(&BackupItemStatus) -> bool| -> u32 {
        let matching = items.iter().filter(|item| wanted(item)).count();
        u32::try_from(matching).unwrap_or(u32::MAX)
    };
    BackupProgress {
        id,
        state,
        download_type,
        restore_account,
        total: count(&|_| true),
        done: count(&|item| item.outcome == BackupOutcome::Done),
        failed: count(&|item| item.outcome == BackupOutcome::Failed),
        skipped: count(&|item| item.outcome == BackupOutcome::Skipped),
        unavailable: count(&|item| item.outcome == BackupOutcome::Unavailable),
        active: count(&|item| item.outcome.is_active()),
        restored: count(&|item| item.download_deleted),
        items,
    }
}

pub(super) fn unknown_backup(id: BackupId) -> EngineError {
    EngineError::Config(format!(
        "no backup with id {id}; list the backups to see the valid ids"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::types::{BackupCandidate, BackupReason, BackupSelection};

    fn candidate(uid: &str, reason: Option<BackupReason>) -> BackupCandidate {
        BackupCandidate {
            uid: uid.to_owned(),
            title: uid.to_uppercase(),
            created: "2024-01-01T00:00:00Z".to_owned(),
            duration: Some(60.0),
            size: Some(10),
            reason,
            detail: None,
        }
    }

    #[test]
    fn new_items_keep_lists_in_order() {
        let estimate = BackupEstimate {
            download_type: DownloadType::Default,
            selection: BackupSelection::default(),
            selected: 4,
            to_download: vec![candidate("a", None), candidate("a", None)],
            skipped: vec![candidate("b", Some(BackupReason::AlreadyOffline))],
            unavailable: vec![candidate("c", Some(BackupReason::NotReady))],
            total_bytes: 20,
            billed_minutes: 2.0,
            unknown_durations: 0,
        };
        let items = new_items(&estimate);
        let summary: Vec<(&str, BackupOutcome)> = items
            .iter()
            .map(|item| (item.uid.as_str(), item.outcome))
            .collect();
        assert_eq!(
            summary,
            [
                ("a", BackupOutcome::Queued),
                ("b", BackupOutcome::Skipped),
                ("c", BackupOutcome::Unavailable)
            ]
        );
        assert_eq!(items[2].reason, Some(BackupReason::NotReady));
    }

    #[test]
    fn outcome_follows_phase() {
        let cases = [
            (JobPhase::Queued, BackupOutcome::Queued),
            (JobPhase::Preparing, BackupOutcome::Running),
            (JobPhase::Transferring, BackupOutcome::Running),
            (JobPhase::Verifying, BackupOutcome::Running),
            (JobPhase::Paused, BackupOutcome::Paused),
            (JobPhase::Done, BackupOutcome::Done),
            (JobPhase::Failed, BackupOutcome::Failed),
            (JobPhase::Cancelled, BackupOutcome::Cancelled),
        ];
        for (phase, outcome) in cases {
            assert_eq!(outcome_of(phase), outcome, "{phase:?}");
        }
    }

    #[test]
    fn summarize_counts_outcomes() {
        let item = |outcome, deleted| BackupItemStatus {
            uid: "u".to_owned(),
            title: "t".to_owned(),
            outcome,
            job_id: None,
            reason: None,
            error: None,
            download_deleted: deleted,
        };
        let items = vec![
            item(BackupOutcome::Done, true),
            item(BackupOutcome::Done, false),
            item(BackupOutcome::Failed, false),
            item(BackupOutcome::Skipped, false),
            item(BackupOutcome::Unavailable, false),
            item(BackupOutcome::Queued, false),
            item(BackupOutcome::Paused, false),
            item(BackupOutcome::Cancelled, false),
        ];
        let progress = summarize(1, BackupState::Running, DownloadType::Default, true, items);
        assert_eq!(progress.total, 8);
        assert_eq!(progress.done, 2);
        assert_eq!(progress.failed, 1);
        assert_eq!(progress.skipped, 1);
        assert_eq!(progress.unavailable, 1);
        assert_eq!(progress.active, 2);
        assert_eq!(progress.restored, 1);
    }
}
