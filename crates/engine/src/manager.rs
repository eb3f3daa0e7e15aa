//! [`JobManager`]: starts, tracks, cancels and awaits download jobs; shared by the app and CLI.
//! Pausing, resuming and the restart of unfinished jobs live in [`crate::queue`].
//!
//! Invariants:
//! - At most one unfinished job per video and download type: a second `start` returns the id
//!   of the running one, and resumes it when it is paused.
//! - At most `max_concurrent_transfers` bodies are downloaded at once (changeable with
//!   [`JobManager::set_max_transfers`]) and at most `max_active_jobs` jobs talk to the API at
//!   once; the others wait in `queued`.
//! - Unique file names are chosen and their `.part` created under one lock, so two jobs never
//!   pick the same name.
//! - Every snapshot change is broadcast; a receiver that falls behind (a reloaded UI) calls
//!   [`JobManager::snapshots`] and subscribes again.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use offstream_signing::AccessRule;
use offstream_stream::{DownloadType, StreamClient, Video};
use tokio::runtime::Handle;
use tokio::sync::{broadcast, watch, Semaphore};
use tracing::{info, warn};

use crate::budget::{ApiBudget, BudgetConfig};
use crate::catalog::{Catalog, LibraryItem};
use crate::error::EngineError;
use crate::job::{part_name, Control, JobId, JobSnapshot, StopRequest};
use crate::names::{self, TakenNames};
use crate::signer::TokenSigner;
use crate::slots::TransferSlots;

/// Settings of a [`JobManager`]. [`EngineOptions::default`] suits the real service.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Downloads whose bodies transfer at the same time. Default 2.
    pub max_concurrent_transfers: usize,
    /// Jobs that prepare or transfer at the same time; the rest wait in `queued`. Default 8.
    pub max_active_jobs: usize,
    /// First pause between two polls of `GET /downloads`. Default 1 s.
    pub poll_initial: Duration,
    /// Factor by which the poll pause grows. Default 1.5.
    pub poll_factor: f64,
    /// Maximum poll pause. Default 10 s.
    pub poll_max: Duration,
    /// Maximum pause before the poll at which a preparation is predicted to be complete.
    /// Default 2 min.
    pub poll_prediction_max: Duration,
    /// A preparation whose percentage does not move for this long shows the `stalled`
    /// notice. Default 60 s.
    pub stall_notice_after: Duration,
    /// A preparation whose percentage does not move for this long fails. Default 15 min.
    pub prepare_stall_timeout: Duration,
    /// Rate and burst of the API budget that every job of this manager shares. Default 900
    /// requests per 5 minutes with a burst of 30, below Cloudflare's 1,200 per 5 minutes.
    pub api_budget: BudgetConfig,
    /// Retries of one API call after transient errors. Default 5.
    pub api_retries: u32,
    /// Resumes of a transfer after transient errors in a row that gained no bytes; a failure
    /// after progress starts the count again. Default 3.
    pub transfer_retries: u32,
    /// First backoff pause; it doubles per retry. Default 1 s.
    pub retry_base_delay: Duration,
    /// Maximum backoff pause. A 429's `Retry-After` may be longer. Default 30 s.
    pub retry_max_delay: Duration,
    /// Minimum time between two transfer progress snapshots. Default 200 ms.
    pub progress_interval: Duration,
    /// Minimum time between two saves of transfer progress to the catalog. Default 5 s.
    pub persist_interval: Duration,
    /// Snapshots a subscriber can fall behind before it misses some. Default 1,024.
    pub event_capacity: usize,
    /// Access rules put into every token for a private video. Default none.
    pub token_access_rules: Vec<AccessRule>,
    /// Pause between two free-space checks of a job paused by a full disk. The job resumes
    /// once the volume has room for the rest of its file. Default 30 s.
    pub disk_recheck_interval: Duration,
    /// Whether a finished job also saves the video's ready captions as WebVTT files next to
    /// the media file: one API call for the list and one per language. Default true.
    pub captions: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            max_concurrent_transfers: 2,
            max_active_jobs: 8,
            poll_initial: Duration::from_secs(1),
            poll_factor: 1.5,
            poll_max: Duration::from_secs(10),
            poll_prediction_max: Duration::from_secs(120),
            stall_notice_after: Duration::from_secs(60),
            prepare_stall_timeout: Duration::from_secs(15 * 60),
            api_budget: BudgetConfig::default(),
            api_retries: 5,
            transfer_retries: 3,
            retry_base_delay: Duration::from_secs(1),
            retry_max_delay: Duration::from_secs(30),
            progress_interval: Duration::from_millis(200),
            persist_interval: Duration::from_secs(5),
            event_capacity: 1024,
            token_access_rules: Vec::new(),
            disk_recheck_interval: Duration::from_secs(30),
            captions: true,
        }
    }
}

impl EngineOptions {
    fn validate(&self) -> Result<(), EngineError> {
        if self.max_concurrent_transfers == 0 || self.max_active_jobs == 0 {
            return Err(EngineError::Config(
                "max_concurrent_transfers and max_active_jobs must be at least 1".to_owned(),
            ));
        }
        if !(self.poll_factor >= 1.0 && self.poll_factor.is_finite()) {
            return Err(EngineError::Config(format!(
                "poll_factor {} must be a finite number of at least 1",
                self.poll_factor
            )));
        }
        offstream_signing::validate_rules(&self.token_access_rules)
            .map_err(|error| EngineError::Config(format!("token access rules: {error}")))?;
        self.api_budget.validate().map_err(EngineError::Config)?;
        if self.poll_initial.is_zero()
            || self.event_capacity == 0
            || self.disk_recheck_interval.is_zero()
        {
            return Err(EngineError::Config(
                "poll_initial, event_capacity and disk_recheck_interval must be above zero"
                    .to_owned(),
            ));
        }
        Ok(())
    }
}

/// State shared by the manager and its job tasks.
pub(crate) struct Shared {
    client: RwLock<StreamClient>,
    signer: RwLock<TokenSigner>,
    pub(crate) catalog: Arc<Catalog>,
    pub(crate) library_dir: PathBuf,
    pub(crate) options: EngineOptions,
    pub(crate) transfer_slots: TransferSlots,
    pub(crate) job_slots: Semaphore,
    pub(crate) api_budget: Arc<ApiBudget>,
    names: Mutex<()>,
    jobs: Mutex<HashMap<JobId, JobEntry>>,
    /// Videos a caller already fetched (from a list), so the job skips `GET /stream/{uid}`.
    /// Each is taken once; a resumed job fetches the video again, which may have changed.
    prefetched: Mutex<HashMap<JobId, Video>>,
    /// The catalog's queue lock, taken by the first `resume_unfinished` and held for the
    /// manager's lifetime.
    pub(crate) queue_lock: Mutex<Option<crate::catalog::QueueLock>>,
    events: broadcast::Sender<JobSnapshot>,
}

type JobResult = Option<Result<LibraryItem, EngineError>>;

/// One job known to this manager.
pub(crate) struct JobEntry {
    pub(crate) snapshot: JobSnapshot,
    /// The stop switch of the running task; `None` while paused or ended.
    pub(crate) control: Option<Arc<Control>>,
    /// The final result, set once when the job ends; a pause does not set it.
    pub(crate) result: watch::Sender<JobResult>,
    /// Set by a resume that arrived while a pause was still stopping the task.
    pub(crate) resume_after_stop: bool,
}

impl JobEntry {
    /// Returns an entry without a running task.
    pub(crate) fn idle(snapshot: JobSnapshot) -> Self {
        Self {
            snapshot,
            control: None,
            result: watch::Sender::new(None),
            resume_after_stop: false,
        }
    }
}

impl Shared {
    /// Returns the current client; cloning shares its connection pool.
    pub(crate) fn client(&self) -> StreamClient {
        self.client
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Returns how tokens for private videos are made right now.
    pub(crate) fn signer(&self) -> TokenSigner {
        self.signer
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Takes the video a caller handed to [`JobManager::start_with_video`] for this job.
    pub(crate) fn take_prefetched(&self, id: JobId) -> Option<Video> {
        self.prefetched
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&id)
    }

    pub(crate) fn jobs(&self) -> MutexGuard<'_, HashMap<JobId, JobEntry>> {
        self.jobs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stores a snapshot and broadcasts it.
    pub(crate) fn publish(&self, snapshot: &JobSnapshot) {
        if let Some(entry) = self.jobs().get_mut(&snapshot.id) {
            entry.snapshot = snapshot.clone();
        }
        // `send` fails only when no receiver is subscribed, which is normal.
        let _ = self.events.send(snapshot.clone());
    }

    /// Takes the lock under which file names are chosen and files renamed into the library.
    pub(crate) fn lock_names(&self) -> MutexGuard<'_, ()> {
        self.names
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Returns a file name that no file, `.part` file or catalog item uses. The caller must hold
    /// [`Shared::lock_names`].
    pub(crate) fn free_name(
        &self,
        title: Option<&str>,
        uid: &str,
        download_type: DownloadType,
    ) -> Result<String, EngineError> {
        let mut taken = TakenNames::from_folder(&self.library_dir)
            .map_err(|e| EngineError::disk(&self.library_dir, e))?;
        for name in self.catalog.file_names()? {
            taken.insert(&name);
        }
        names::unique_name(title, uid, download_type.extension(), &taken).map_err(|reason| {
            EngineError::disk(
                &self.library_dir,
                io::Error::new(io::ErrorKind::AlreadyExists, reason),
            )
        })
    }

    /// Creates an empty `.part` under a free name and returns its path. The caller must
    /// hold [`Shared::lock_names`].
    pub(crate) fn create_part(
        &self,
        title: Option<&str>,
        uid: &str,
        download_type: DownloadType,
    ) -> Result<PathBuf, EngineError> {
        const ATTEMPTS: usize = 8;
        let mut last_error = None;
        for _ in 0..ATTEMPTS {
            let name = self.free_name(title, uid, download_type)?;
            let part = self.library_dir.join(part_name(&name));
            match OpenOptions::new().write(true).create_new(true).open(&part) {
                Ok(_) => return Ok(part),
                // Another program created it since the folder was read: choose again.
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                    last_error = Some(EngineError::disk(&part, error));
                }
                Err(error) => return Err(EngineError::disk(&part, error)),
            }
        }
        Err(last_error.unwrap_or_else(|| EngineError::Internal("no name was tried".to_owned())))
    }
}

/// Runs download jobs against one Stream account, one catalog and one library folder.
///
/// Cloning is cheap and every clone controls the same jobs.
#[derive(Clone)]
pub struct JobManager {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for JobManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobManager")
            .field("library_dir", &self.shared.library_dir)
            .field("catalog", &self.shared.catalog.path())
            .finish_non_exhaustive()
    }
}

impl JobManager {
    /// Creates a manager, creating the library folder when it does not exist.
    ///
    /// Jobs left unfinished by an earlier run stay in the catalog until
    /// [`JobManager::resume_unfinished`] picks them up.
    ///
    /// # Errors
    /// [`EngineError::Config`] for unusable options or a library path that is not UTF-8,
    /// [`EngineError::Disk`] when the folder cannot be created.
    pub fn new(
        client: StreamClient,
        catalog: Arc<Catalog>,
        library_dir: impl Into<PathBuf>,
        options: EngineOptions,
    ) -> Result<Self, EngineError> {
        options.validate()?;
        let library_dir = prepare_library_dir(library_dir.into())?;
        let (events, _) = broadcast::channel(options.event_capacity);

        let shared = Shared {
            client: RwLock::new(client),
            signer: RwLock::new(TokenSigner::None),
            catalog,
            transfer_slots: TransferSlots::new(options.max_concurrent_transfers),
            job_slots: Semaphore::new(options.max_active_jobs),
            api_budget: Arc::new(ApiBudget::new(options.api_budget)),
            library_dir,
            options,
            names: Mutex::new(()),
            jobs: Mutex::new(HashMap::new()),
            prefetched: Mutex::new(HashMap::new()),
            queue_lock: Mutex::new(None),
            events,
        };
        Ok(Self {
            shared: Arc::new(shared),
        })
    }

    /// Sets how tokens for private videos are made. Running jobs use it for their next token.
    pub fn set_signer(&self, signer: TokenSigner) {
        *self
            .shared
            .signer
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = signer;
    }

    /// Returns how tokens for private videos are made.
    pub fn signer(&self) -> TokenSigner {
        self.shared.signer()
    }

    /// Replaces the Stream client, for example after the user entered new credentials.
    /// Running jobs use the new client from their next API call on.
    pub fn set_client(&self, client: StreamClient) {
        *self
            .shared
            .client
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = client;
    }

    /// Returns the current Stream client.
    pub fn client(&self) -> StreamClient {
        self.shared.client()
    }

    /// Returns the API budget that every job of this manager shares. Other API calls for the
    /// same account (the video list) should take from it too: call
    /// [`ApiBudget::acquire`] before each request and [`ApiBudget::record_rate_limit`] after a
    /// 429.
    pub fn api_budget(&self) -> &Arc<ApiBudget> {
        &self.shared.api_budget
    }

    /// Returns the catalog.
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.shared.catalog
    }

    /// Returns the absolute path of the library folder.
    pub fn library_dir(&self) -> &Path {
        &self.shared.library_dir
    }

    /// Starts downloading one file of a video and returns the job id. When a job for the same
    /// uid and type is still running, returns its id instead. When the file is already in the
    /// library, the job ends at once as `done`.
    ///
    /// Must be called inside a Tokio runtime.
    ///
    /// # Errors
    /// [`EngineError::Config`] outside a Tokio runtime, [`EngineError::Catalog`] when the job
    /// row cannot be written.
    pub fn start(&self, uid: &str, download_type: DownloadType) -> Result<JobId, EngineError> {
        let runtime = current_runtime("start")?;
        let uid = uid.trim();

        let mut jobs = self.shared.jobs();
        let unfinished = jobs.values().find(|entry| {
            entry.snapshot.uid == uid
                && entry.snapshot.download_type == download_type
                && !entry.snapshot.phase.is_terminal()
        });
        if let Some(entry) = unfinished {
            let id = entry.snapshot.id;
            drop(jobs);
            self.resume_with(&runtime, id)?;
            return Ok(id);
        }

        let id = self.shared.catalog.insert_job(uid, download_type)?;
        jobs.insert(
            id,
            JobEntry::idle(JobSnapshot::queued(id, uid, download_type)),
        );
        drop(jobs);
        crate::queue::launch(&self.shared, &runtime, id)?;
        Ok(id)
    }

    /// Starts a job as [`JobManager::start`] does, for a video the caller already has (from a
    /// list), so the job skips fetching it: one API call less per video in a bulk download.
    ///
    /// # Errors
    /// As [`JobManager::start`].
    pub fn start_with_video(
        &self,
        video: &Video,
        download_type: DownloadType,
    ) -> Result<JobId, EngineError> {
        // Held across `start`, so the job task cannot look for the video before it is stored.
        let mut prefetched = self
            .shared
            .prefetched
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let id = self.start(&video.uid, download_type)?;
        prefetched.insert(id, video.clone());
        Ok(id)
    }

    /// Stops a job for good. Its `.part` is kept for a later start of the same video unless
    /// `remove_partial` is set; [`JobManager::discard`] deletes it later. Cancelling a paused
    /// job ends it at once; cancelling a finished job does nothing.
    ///
    /// # Errors
    /// [`EngineError::UnknownJob`] when no job has this id, or for a paused job
    /// [`EngineError::Catalog`] when its row cannot be written.
    pub fn cancel(&self, id: JobId, remove_partial: bool) -> Result<(), EngineError> {
        let mut jobs = self.shared.jobs();
        let entry = jobs.get_mut(&id).ok_or(EngineError::UnknownJob(id))?;
        entry.resume_after_stop = false;
        if let Some(control) = &entry.control {
            control.stop(StopRequest::Cancel { remove_partial });
            info!(job_id = id, remove_partial, "job cancellation requested");
            return Ok(());
        }
        if entry.snapshot.phase != crate::JobPhase::Paused {
            return Ok(());
        }
        drop(jobs);
        crate::queue::cancel_paused(&self.shared, id, remove_partial)
    }

    /// Returns the snapshot of one job of this manager.
    pub fn snapshot(&self, id: JobId) -> Option<JobSnapshot> {
        self.shared
            .jobs()
            .get(&id)
            .map(|entry| entry.snapshot.clone())
    }

    /// Returns the snapshots of every job started by this manager, oldest first.
    pub fn snapshots(&self) -> Vec<JobSnapshot> {
        let mut snapshots: Vec<JobSnapshot> = self
            .shared
            .jobs()
            .values()
            .map(|entry| entry.snapshot.clone())
            .collect();
        snapshots.sort_by_key(|snapshot| snapshot.id);
        snapshots
    }

    /// Returns a receiver of every snapshot change from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<JobSnapshot> {
        self.shared.events.subscribe()
    }

    /// Waits until a job ends and returns its library item. A paused job has not ended, so
    /// this waits through the pause until it is resumed and ends, or is cancelled.
    ///
    /// # Errors
    /// The error that ended the job, or [`EngineError::UnknownJob`].
    pub async fn wait(&self, id: JobId) -> Result<LibraryItem, EngineError> {
        let mut result = {
            let jobs = self.shared.jobs();
            jobs.get(&id)
                .ok_or(EngineError::UnknownJob(id))?
                .result
                .subscribe()
        };
        let outcome = result
            .wait_for(Option::is_some)
            .await
            .map_err(|_| EngineError::Internal(format!("job {id} stopped without a result")))?;
        outcome
            .clone()
            .unwrap_or_else(|| Err(EngineError::Internal(format!("job {id} has no result"))))
    }

    /// Deletes the `.part` and the catalog row of a paused job or of one that ended without a
    /// file, for jobs of this manager and of earlier runs.
    ///
    /// # Errors
    /// [`EngineError::Config`] when the job is still running, [`EngineError::UnknownJob`],
    /// [`EngineError::Disk`] when the `.part` cannot be deleted, or [`EngineError::Catalog`].
    pub fn discard(&self, id: JobId) -> Result<(), EngineError> {
        if let Some(snapshot) = self.snapshot(id) {
            if snapshot.phase.is_active() {
                return Err(EngineError::Config(format!(
                    "job {id} is still running: pause or cancel it before discarding it"
                )));
            }
        }
        let record = self
            .shared
            .catalog
            .job(id)?
            .ok_or(EngineError::UnknownJob(id))?;

        if let Some(part) = &record.part_path {
            match std::fs::remove_file(part) {
                Ok(()) => info!(job_id = id, "partial file deleted"),
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(error) => return Err(EngineError::disk(part, error)),
            }
        }
        self.shared.catalog.delete_job(id)?;
        self.shared.jobs().remove(&id);
        Ok(())
    }

    /// Deletes a library item: its file and caption files, then its catalog row. Returns false
    /// for an unknown id.
    ///
    /// # Errors
    /// As [`Catalog::delete_item`].
    pub fn delete_item(&self, item_id: i64) -> Result<bool, EngineError> {
        let _names = self.shared.lock_names();
        self.shared.catalog.delete_item(item_id)
    }
}

/// Returns the runtime of the caller, which `what` needs for spawning job tasks.
pub(crate) fn current_runtime(what: &str) -> Result<Handle, EngineError> {
    Handle::try_current().map_err(|_| {
        EngineError::Config(format!(
            "JobManager::{what} must be called inside a Tokio runtime"
        ))
    })
}

fn prepare_library_dir(dir: PathBuf) -> Result<PathBuf, EngineError> {
    std::fs::create_dir_all(&dir).map_err(|e| EngineError::disk(&dir, e))?;
    let absolute = std::path::absolute(&dir).map_err(|e| EngineError::disk(&dir, e))?;
    if absolute.to_str().is_none() {
        return Err(EngineError::Config(format!(
            "the library folder {} is not a valid UTF-8 path; choose a folder whose path has only Unicode characters",
            absolute.display()
        )));
    }
    if !absolute.is_dir() {
        warn!(path = %absolute.display(), "the library path is not a folder");
        return Err(EngineError::disk(
            &absolute,
            io::Error::new(io::ErrorKind::NotADirectory, "not a folder"),
        ));
    }
    Ok(absolute)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_reject_zero_transfers() {
        let options = EngineOptions {
            max_concurrent_transfers: 0,
            ..EngineOptions::default()
        };
        assert_eq!(options.validate().unwrap_err().code(), "config");
    }

    #[test]
    fn options_reject_shrinking_poll() {
        let options = EngineOptions {
            poll_factor: 0.5,
            ..EngineOptions::default()
        };
        assert!(options.validate().is_err());
    }

    #[test]
    fn options_reject_zero_recheck() {
        let options = EngineOptions {
            disk_recheck_interval: Duration::ZERO,
            ..EngineOptions::default()
        };
        assert_eq!(options.validate().unwrap_err().code(), "config");
    }

    #[test]
    fn default_options_are_valid() {
        assert!(EngineOptions::default().validate().is_ok());
    }

    #[test]
    fn library_dir_is_created_absolute() {
        let dir = tempfile::tempdir().unwrap();
        let library = prepare_library_dir(dir.path().join("a/b")).unwrap();
        assert!(library.is_absolute());
        assert!(library.is_dir());
    }

    #[test]
    fn library_dir_rejects_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        assert_eq!(prepare_library_dir(file).unwrap_err().code(), "disk");
    }
}
