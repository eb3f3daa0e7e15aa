//! The download queue of a [`JobManager`]: pausing, resuming and cancelling jobs, the restart
//! of jobs an earlier run left unfinished, and the automatic resume of jobs paused by a full
//! disk.
//!
//! A job runs as one task at a time. Pausing stops its task, which frees its job and transfer
//! slots, writes `paused` to its catalog row and keeps its `.part`. Resuming spawns a new task
//! for the same job id, which takes over that `.part`. A job's [`JobManager::wait`] result is
//! set only when the job ends for good, so a waiter waits through pauses.
//!
//! Invariants:
//! - At most one task per job: a task is spawned only while the entry has no [`Control`], and
//!   the entry's `control` is set under the jobs lock before the task starts.
//! - The catalog row stores `queued` before a resumed task starts, so a crash while it waits for
//!   a slot still resumes it on the next start.

use std::sync::Arc;

use tokio::runtime::Handle;
use tracing::{debug, info, warn};

use crate::catalog::{JobRecord, JobUpdate};
use crate::error::EngineError;
use crate::job::{self, Control, JobExit, JobId, JobNotice, JobPhase, JobSnapshot, StopRequest};
use crate::manager::{current_runtime, JobEntry, JobManager, Shared};
use crate::space::{self, FREE_SPACE_RESERVE};

impl JobManager {
    /// Pauses a job: its task stops, its transfer slot is freed, and its `.part` and catalog
    /// row are kept. A queued job leaves the queue. Pausing a paused or finished job does
    /// nothing.
    ///
    /// The phase becomes `paused` once the task has stopped, which a snapshot announces.
    ///
    /// # Errors
    /// [`EngineError::UnknownJob`] when no job has this id.
    pub fn pause(&self, id: JobId) -> Result<(), EngineError> {
        let mut jobs = self.shared.jobs();
        let entry = jobs.get_mut(&id).ok_or(EngineError::UnknownJob(id))?;
        entry.resume_after_stop = false;
        if let Some(control) = &entry.control {
            control.stop(StopRequest::Pause);
            info!(job_id = id, "job pause requested");
        }
        Ok(())
    }

    /// Pauses every running or queued job and returns their ids.
    pub fn pause_all(&self) -> Vec<JobId> {
        let mut jobs = self.shared.jobs();
        let mut paused: Vec<JobId> = Vec::new();
        for (id, entry) in jobs.iter_mut() {
            entry.resume_after_stop = false;
            let Some(control) = &entry.control else {
                continue;
            };
            if matches!(control.request(), Some(StopRequest::Cancel { .. })) {
                continue;
            }
            control.stop(StopRequest::Pause);
            paused.push(*id);
        }
        paused.sort_unstable();
        info!(count = paused.len(), "all jobs pause requested");
        paused
    }

    /// Resumes a paused job from its `.part`: it waits in `queued` for its slots like a new
    /// job. A job of an earlier run that only the catalog lists is taken over. Resuming a
    /// running or finished job does nothing.
    ///
    /// Must be called inside a Tokio runtime.
    ///
    /// # Errors
    /// [`EngineError::UnknownJob`] when neither this manager nor the catalog has the job,
    /// [`EngineError::Config`] outside a Tokio runtime, [`EngineError::Catalog`] when the job
    /// row cannot be read or written.
    pub fn resume(&self, id: JobId) -> Result<(), EngineError> {
        let runtime = current_runtime("resume")?;
        self.resume_with(&runtime, id)
    }

    /// Resumes every paused job and returns their ids.
    ///
    /// # Errors
    /// As [`JobManager::resume`]; jobs before the failing one stay resumed.
    pub fn resume_all(&self) -> Result<Vec<JobId>, EngineError> {
        let runtime = current_runtime("resume_all")?;
        let mut paused: Vec<JobId> = self
            .shared
            .jobs()
            .iter()
            .filter(|(_, entry)| {
                entry.snapshot.phase == JobPhase::Paused
                    || entry
                        .control
                        .as_ref()
                        .is_some_and(|control| control.request() == Some(StopRequest::Pause))
            })
            .map(|(id, _)| *id)
            .collect();
        paused.sort_unstable();
        for id in &paused {
            self.resume_with(&runtime, *id)?;
        }
        Ok(paused)
    }

    /// Restarts the jobs an earlier run left unfinished, as the catalog lists them, and
    /// returns the ids of the restarted jobs in queue order. Jobs stored as `queued`,
    /// `preparing`, `transferring` or `verifying` start again and resume their `.part`.
    /// `paused` jobs come back paused, and a job paused by a full disk is resumed once space
    /// is free. Failed, cancelled and done jobs stay as they are. Jobs this manager already
    /// knows are skipped, so a second call does nothing.
    ///
    /// Call it once at startup. Only one process at a time resumes a catalog: the first call
    /// takes the catalog's queue lock for the manager's lifetime, and in another process that
    /// finds it taken the call resumes nothing. Must be called inside a Tokio runtime.
    ///
    /// # Errors
    /// [`EngineError::Config`] outside a Tokio runtime, [`EngineError::Disk`] when the lock
    /// file cannot be used, [`EngineError::Catalog`] when the catalog cannot be read or a job
    /// row cannot be written; jobs before the failing one stay restarted.
    pub fn resume_unfinished(&self) -> Result<Vec<JobId>, EngineError> {
        let runtime = current_runtime("resume_unfinished")?;
        let mut held = self
            .shared
            .queue_lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if held.is_none() {
            // Another process (the app, or `offstream resume`) resumes this catalog's jobs;
            // running them here too would download each twice.
            let Some(lock) = self.shared.catalog.try_lock_queue()? else {
                info!("another process resumes this catalog's unfinished jobs; leaving them to it");
                return Ok(Vec::new());
            };
            *held = Some(lock);
        }
        drop(held);
        let mut resumed = Vec::new();

        for record in self.shared.catalog.unfinished_jobs()? {
            if !self.adopt(&record) {
                continue;
            }
            if record.state == JobPhase::Paused {
                if matches!(record.notice, Some(JobNotice::DiskFull { .. })) {
                    watch_free_space(&self.shared, &runtime, record.id);
                }
                continue;
            }
            launch(&self.shared, &runtime, record.id)?;
            resumed.push(record.id);
        }
        info!(count = resumed.len(), "unfinished jobs resumed");
        Ok(resumed)
    }

    /// Sets how many downloads transfer at the same time (at least 1). Running transfers
    /// continue; a lower limit takes effect as they finish.
    ///
    /// # Errors
    /// [`EngineError::Config`] for 0.
    pub fn set_max_transfers(&self, max: usize) -> Result<(), EngineError> {
        if max == 0 {
            return Err(EngineError::Config(
                "the number of simultaneous transfers must be at least 1".to_owned(),
            ));
        }
        self.shared.transfer_slots.set_max(max);
        info!(max, "simultaneous transfer limit changed");
        Ok(())
    }

    /// Returns how many downloads may transfer at the same time.
    pub fn max_transfers(&self) -> usize {
        self.shared.transfer_slots.max()
    }

    /// Resumes one job using `runtime` for its task.
    pub(crate) fn resume_with(&self, runtime: &Handle, id: JobId) -> Result<(), EngineError> {
        let mut jobs = self.shared.jobs();
        let Some(entry) = jobs.get_mut(&id) else {
            drop(jobs);
            return self.resume_from_catalog(runtime, id);
        };
        if let Some(control) = &entry.control {
            // The task is still stopping after a pause: start again once it has.
            if control.request() == Some(StopRequest::Pause) {
                entry.resume_after_stop = true;
            }
            return Ok(());
        }
        if entry.snapshot.phase != JobPhase::Paused {
            return Ok(());
        }
        drop(jobs);
        launch(&self.shared, runtime, id)
    }

    /// Takes over a job that only the catalog lists, when it is paused or unfinished.
    fn resume_from_catalog(&self, runtime: &Handle, id: JobId) -> Result<(), EngineError> {
        let record = self
            .shared
            .catalog
            .job(id)?
            .ok_or(EngineError::UnknownJob(id))?;
        if record.state.is_terminal() || !self.adopt(&record) {
            return Ok(());
        }
        launch(&self.shared, runtime, id)
    }

    /// Adds a job row of an earlier run as an idle entry and publishes it. Returns false, and
    /// adds nothing, when the job is known already or another unfinished job of this manager
    /// downloads the same video and type.
    fn adopt(&self, record: &JobRecord) -> bool {
        let mut jobs = self.shared.jobs();
        if jobs.contains_key(&record.id) {
            return false;
        }
        let duplicate = jobs.values().any(|entry| {
            entry.snapshot.uid == record.uid
                && entry.snapshot.download_type == record.download_type
                && !entry.snapshot.phase.is_terminal()
        });
        if duplicate {
            warn!(
                job_id = record.id,
                uid = %record.uid,
                "another job downloads the same file; leaving this unfinished job as it is"
            );
            return false;
        }

        let phase = if record.state == JobPhase::Paused {
            JobPhase::Paused
        } else {
            JobPhase::Queued
        };
        let snapshot = snapshot_of(record, phase);
        jobs.insert(record.id, JobEntry::idle(snapshot.clone()));
        drop(jobs);
        self.shared.publish(&snapshot);
        true
    }
}

/// Returns the snapshot of a job row. The notice is kept only for a paused job, because an
/// active job shows its notices again when their conditions hold.
fn snapshot_of(record: &JobRecord, phase: JobPhase) -> JobSnapshot {
    let mut snapshot = JobSnapshot::queued(record.id, &record.uid, record.download_type);
    snapshot.title.clone_from(&record.title);
    snapshot.phase = phase;
    snapshot.bytes_done = record.bytes_done;
    snapshot.bytes_total = record.bytes_total;
    if phase == JobPhase::Paused {
        snapshot.notice.clone_from(&record.notice);
    }
    snapshot
}

/// Spawns the task of a job that has an idle entry, in `queued`, taking over the `.part` its
/// row owns. Does nothing when the job already has a task.
pub(crate) fn launch(shared: &Arc<Shared>, runtime: &Handle, id: JobId) -> Result<(), EngineError> {
    let part_path = shared.catalog.job(id)?.and_then(|record| record.part_path);
    let control = Arc::new(Control::default());
    let snapshot = {
        let mut jobs = shared.jobs();
        let entry = jobs.get_mut(&id).ok_or(EngineError::UnknownJob(id))?;
        if entry.control.is_some() {
            return Ok(());
        }
        entry.control = Some(Arc::clone(&control));
        entry.resume_after_stop = false;
        entry.snapshot.phase = JobPhase::Queued;
        entry.snapshot.error = None;
        entry.snapshot.notice = None;
        entry.snapshot.prepare_percent = None;
        entry.snapshot.clone()
    };

    let update = JobUpdate {
        state: JobPhase::Queued,
        title: snapshot.title.clone(),
        part_path: part_path.clone(),
        bytes_done: snapshot.bytes_done,
        bytes_total: snapshot.bytes_total,
        error: None,
        item_id: None,
        notice: None,
    };
    if let Err(error) = shared.catalog.update_job(id, &update) {
        if let Some(entry) = shared.jobs().get_mut(&id) {
            entry.control = None;
        }
        return Err(error);
    }
    shared.publish(&snapshot);

    let task_shared = Arc::clone(shared);
    let task_runtime = runtime.clone();
    runtime.spawn(async move {
        let exit = job::run(Arc::clone(&task_shared), snapshot, part_path, control).await;
        job_exited(&task_shared, &task_runtime, id, exit);
    });
    Ok(())
}

/// Records how a job task ended: sets the final result, or after a pause starts the task
/// again (a resume arrived meanwhile) or watches the free space (a full disk paused it).
fn job_exited(shared: &Arc<Shared>, runtime: &Handle, id: JobId, exit: JobExit) {
    let mut jobs = shared.jobs();
    let Some(entry) = jobs.get_mut(&id) else {
        return;
    };
    entry.control = None;
    match exit {
        JobExit::Finished(result) => {
            entry.result.send_replace(Some(*result));
        }
        JobExit::Paused { disk_full } => {
            let resume = std::mem::take(&mut entry.resume_after_stop);
            drop(jobs);
            if resume {
                if let Err(error) = launch(shared, runtime, id) {
                    warn!(job_id = id, error = %error, "could not resume the job after its pause");
                }
            } else if disk_full {
                watch_free_space(shared, runtime, id);
            }
        }
    }
}

/// Ends a paused job as cancelled, deleting its `.part` when `remove_partial` is set.
pub(crate) fn cancel_paused(
    shared: &Arc<Shared>,
    id: JobId,
    remove_partial: bool,
) -> Result<(), EngineError> {
    let error = EngineError::Cancelled;
    let snapshot = {
        let mut jobs = shared.jobs();
        let entry = jobs.get_mut(&id).ok_or(EngineError::UnknownJob(id))?;
        if entry.control.is_some() || entry.snapshot.phase != JobPhase::Paused {
            return Ok(());
        }
        // Set under the lock, so a concurrent resume sees a finished job.
        entry.snapshot.phase = JobPhase::Cancelled;
        entry.snapshot.error = Some(error.info());
        entry.snapshot.notice = None;
        entry.snapshot.clone()
    };

    let mut part_path = shared.catalog.job(id)?.and_then(|record| record.part_path);
    if remove_partial {
        if let Some(path) = part_path.take() {
            match std::fs::remove_file(&path) {
                Ok(()) => info!(job_id = id, "partial file deleted"),
                Err(remove) if remove.kind() == std::io::ErrorKind::NotFound => {}
                Err(remove) => {
                    warn!(job_id = id, error = %remove, "could not delete the partial file");
                    part_path = Some(path);
                }
            }
        }
    }
    let update = JobUpdate {
        state: JobPhase::Cancelled,
        title: snapshot.title.clone(),
        part_path,
        bytes_done: snapshot.bytes_done,
        bytes_total: snapshot.bytes_total,
        error: snapshot.error.clone(),
        item_id: None,
        notice: None,
    };
    shared.catalog.update_job(id, &update)?;
    shared.publish(&snapshot);
    if let Some(entry) = shared.jobs().get(&id) {
        entry.result.send_replace(Some(Err(error)));
    }
    info!(job_id = id, remove_partial, "paused job cancelled");
    Ok(())
}

/// Checks the free space of the library volume every `disk_recheck_interval` and resumes the
/// job once the rest of its file fits. Stops when the job is no longer paused by a full disk
/// or the manager is gone.
fn watch_free_space(shared: &Arc<Shared>, runtime: &Handle, id: JobId) {
    let manager = Arc::downgrade(shared);
    let interval = shared.options.disk_recheck_interval;
    let task_runtime = runtime.clone();
    runtime.spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            let Some(shared) = manager.upgrade() else {
                return;
            };
            let Some(needed) = disk_full_need(&shared, id) else {
                return;
            };
            let available = match space::available_space(&shared.library_dir) {
                Ok(available) => available,
                Err(error) => {
                    debug!(job_id = id, error = %error, "could not read the free space");
                    continue;
                }
            };
            if available < needed.unwrap_or(0).saturating_add(FREE_SPACE_RESERVE) {
                debug!(job_id = id, available, "still too little free space");
                continue;
            }

            info!(
                job_id = id,
                available, "space is free again; resuming the job"
            );
            let manager = JobManager {
                shared: Arc::clone(&shared),
            };
            if let Err(error) = manager.resume_with(&task_runtime, id) {
                warn!(job_id = id, error = %error, "could not resume the job after space was freed");
            }
            return;
        }
    });
}

/// Returns the bytes a job paused by a full disk still needs (`Some(None)` when unknown), or
/// `None` when the job is no longer paused by a full disk.
fn disk_full_need(shared: &Shared, id: JobId) -> Option<Option<u64>> {
    let jobs = shared.jobs();
    let entry = jobs.get(&id)?;
    if entry.control.is_some() || entry.snapshot.phase != JobPhase::Paused {
        return None;
    }
    match &entry.snapshot.notice {
        Some(JobNotice::DiskFull { needed_bytes }) => Some(*needed_bytes),
        _ => None,
    }
}
