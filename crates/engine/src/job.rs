//! One download job: one video, one download type, from the API call to the library row.
//!
//! Steps:
//! 1. fetch the video, which must be `readyToStream`;
//! 2. enable the download with `POST /downloads/{type}`;
//! 3. poll `GET /downloads` with a growing interval until it is `ready` (`error` is terminal);
//! 4. wait for a transfer slot and transfer into a `.part`, which is then verified;
//! 5. rename the file into the library and insert the catalog row;
//! 6. save the video's ready captions next to the file (when [`EngineOptions::captions`] is
//!    set). A caption failure is logged and never fails the job, whose file is in the library
//!    by then.
//!
//! [`EngineOptions::captions`]: crate::EngineOptions::captions
//!
//! Progress is published as a [`JobSnapshot`] on every change and saved to the catalog's `jobs`
//! table at each phase change and every few seconds during a transfer, not on every chunk.
//! Transient API errors (network, 5xx, 429) are retried with exponential backoff a bounded
//! number of times, waiting the server's `Retry-After` on 429. A transfer that fails on the
//! network is resumed from its `.part`, also a bounded number of times, with a fresh URL.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use offstream_stream::{
    Caption, Download, DownloadStatus, DownloadType, Downloads, StreamClient, Video, VideoState,
};
use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};
use ts_rs::TS;

use crate::budget::ApiBudget;
use crate::captions::{self, TakenCaptionNames};
use crate::catalog::{CaptionFile, JobUpdate, LibraryItem, NewItem};
use crate::error::{EngineError, ErrorInfo};
use crate::manager::Shared;
use crate::names::PART_SUFFIX;
use crate::poll::{self, PollSchedule, PollSettings};
use crate::signer::{self, SignedUrl, TokenSigner, TokenTarget};
use crate::slots::{TransferSlot, TransferSlots};
use crate::transfer::{self, TransferEvent, TransferRequest, Validators, VerifiedPart};

/// Refusals of fresh tokens in a row, with no bytes gained between them, before the job gives up.
const MAX_TOKEN_REFUSALS: u32 = 2;

/// The origin of a job's file.
struct Source {
    /// The download URL from the API; for a private video, the token replaces its uid.
    url: String,
    private: bool,
    expected_duration: Option<f64>,
}

/// Identifier of a job: its row id in the catalog's `jobs` table.
pub type JobId = i64;

/// The phase of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum JobPhase {
    /// Waiting for a job slot, or for a transfer slot after preparing.
    Queued,
    /// Stream is preparing the file (`preparePercent` rises).
    Preparing,
    /// Bytes are being downloaded (`bytesDone` of `bytesTotal`).
    Transferring,
    /// The file is on disk and being checked.
    Verifying,
    /// The file is in the library (`itemId`).
    Done,
    /// The job stopped on an error (`error`); a partial file may be kept for a resume.
    Failed,
    /// The job was cancelled; a partial file is kept for a resume.
    Cancelled,
    /// The job is stopped, by the user or by a full disk (`notice`), and resumes from its
    /// partial file. It has no transfer or job slot.
    Paused,
}

impl JobPhase {
    /// Returns the wire name, as stored in the catalog.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Preparing => "preparing",
            Self::Transferring => "transferring",
            Self::Verifying => "verifying",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Paused => "paused",
        }
    }

    /// Returns true for `done`, `failed` and `cancelled`.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Done | Self::Failed | Self::Cancelled)
    }

    /// Returns true for the phases in which a job runs or waits for a slot: `queued`,
    /// `preparing`, `transferring` and `verifying`. A restart resumes jobs stored in them.
    pub fn is_active(self) -> bool {
        !self.is_terminal() && self != Self::Paused
    }
}

impl FromStr for JobPhase {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        [
            Self::Queued,
            Self::Preparing,
            Self::Transferring,
            Self::Verifying,
            Self::Done,
            Self::Failed,
            Self::Cancelled,
            Self::Paused,
        ]
        .into_iter()
        .find(|phase| phase.as_str() == text)
        .ok_or_else(|| format!("unknown job phase '{text}'"))
    }
}

/// A condition of a job that the UI shows next to its phase. The job keeps its phase and
/// continues until the condition clears, except a full disk, which pauses it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[ts(export)]
pub enum JobNotice {
    /// The library volume is full (or a file size limit was reached). The job is paused, its
    /// partial file is kept, and it resumes once enough space is free.
    DiskFull {
        /// Bytes still to download, when the file size is known.
        #[ts(type = "number | null")]
        needed_bytes: Option<u64>,
    },
    /// Stream's preparation progress has not moved for a while.
    Stalled {
        /// The progress that stopped moving, 0 to 100.
        percent: Option<f64>,
        /// Seconds since the progress last moved.
        #[ts(type = "number")]
        since_secs: u64,
    },
    /// Stream rate-limited the account; every API call waits.
    RateLimited {
        /// Seconds until API calls continue.
        #[ts(type = "number")]
        retry_after_secs: u64,
    },
}

impl JobNotice {
    /// Returns an English sentence for the notice, for the CLI and logs.
    pub fn message(&self) -> String {
        match self {
            Self::DiskFull {
                needed_bytes: Some(bytes),
            } => format!(
                "the disk is full: {} more is needed. The partial file is kept and the download resumes once space is free",
                crate::error::format_bytes(*bytes)
            ),
            Self::DiskFull { needed_bytes: None } => "the disk is full. The partial file is kept and the download resumes once space is free".to_owned(),
            Self::Stalled {
                percent: Some(percent),
                since_secs,
            } => format!("Stream's preparation has stayed at {percent:.0} % for {since_secs} s"),
            Self::Stalled {
                percent: None,
                since_secs,
            } => format!("Stream's preparation has not progressed for {since_secs} s"),
            Self::RateLimited { retry_after_secs } => format!(
                "Stream rate-limited this account; API calls continue in {retry_after_secs} s"
            ),
        }
    }
}

/// The state of one job as the UI shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct JobSnapshot {
    /// Job id.
    #[ts(type = "number")]
    pub id: JobId,
    /// Stream video uid.
    pub uid: String,
    /// The video's title once fetched.
    pub title: Option<String>,
    /// The file of the video being downloaded (MP4 or M4A).
    pub download_type: DownloadType,
    /// Current phase.
    pub phase: JobPhase,
    /// Stream's preparation progress, 0 to 100, while preparing.
    pub prepare_percent: Option<f64>,
    /// Bytes on disk.
    #[ts(type = "number")]
    pub bytes_done: u64,
    /// Size of the whole file, once the delivery host stated it.
    #[ts(type = "number | null")]
    pub bytes_total: Option<u64>,
    /// The reason the job failed or was cancelled.
    pub error: Option<ErrorInfo>,
    /// The library item, once done.
    #[ts(type = "number | null")]
    pub item_id: Option<i64>,
    /// A condition to show with the phase, such as a full disk.
    pub notice: Option<JobNotice>,
}

impl JobSnapshot {
    /// Returns the snapshot of a job that was just created.
    pub fn queued(id: JobId, uid: &str, download_type: DownloadType) -> Self {
        Self {
            id,
            uid: uid.to_owned(),
            title: None,
            download_type,
            phase: JobPhase::Queued,
            prepare_percent: None,
            bytes_done: 0,
            bytes_total: None,
            error: None,
            item_id: None,
            notice: None,
        }
    }
}

/// Runs a job to its end and publishes its final snapshot.
/// A user request to stop a running job. Recording it fires the job's cancellation token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopRequest {
    /// Stop and wait in `paused`, keeping the partial file.
    Pause,
    /// Stop for good; delete the partial file when `remove_partial` is set.
    Cancel { remove_partial: bool },
}

/// The stop switch of one running job.
#[derive(Debug, Default)]
pub(crate) struct Control {
    pub(crate) token: CancellationToken,
    request: std::sync::Mutex<Option<StopRequest>>,
}

impl Control {
    /// Records `request` and fires the token. A cancel replaces a pause; a pause never
    /// replaces a cancel.
    pub(crate) fn stop(&self, request: StopRequest) {
        let mut current = self
            .request
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !matches!(*current, Some(StopRequest::Cancel { .. })) {
            *current = Some(request);
        }
        drop(current);
        self.token.cancel();
    }

    /// Returns the recorded request.
    pub(crate) fn request(&self) -> Option<StopRequest> {
        *self
            .request
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The outcome of one job task.
#[derive(Debug)]
pub(crate) enum JobExit {
    /// The job ended for good with a file or an error.
    Finished(Box<Result<LibraryItem, EngineError>>),
    /// The job is paused and can be resumed; `disk_full` is set when a full disk paused it.
    Paused { disk_full: bool },
}

/// Runs a job until it ends or pauses, and publishes its last snapshot. `part_path` is the
/// partial file the job row already owns, when it resumes.
pub(crate) async fn run(
    shared: Arc<Shared>,
    snapshot: JobSnapshot,
    part_path: Option<PathBuf>,
    control: Arc<Control>,
) -> JobExit {
    let mut job = Job {
        reporter: Reporter {
            shared,
            snapshot,
            part_path,
            last_persist: Instant::now(),
        },
        cancel: control.token.clone(),
    };
    info!(job_id = job.id(), uid = %job.reporter.snapshot.uid, download_type = %job.reporter.snapshot.download_type, "job started");

    let result = job.execute().await;
    match result {
        Err(EngineError::Cancelled) if control.request() == Some(StopRequest::Pause) => {
            job.reporter.pause(None);
            JobExit::Paused { disk_full: false }
        }
        Err(EngineError::DiskFull {
            path, needed_bytes, ..
        }) => {
            let needed_bytes = job.reporter.bytes_needed().or(needed_bytes);
            warn!(job_id = job.id(), path = %path.display(), needed_bytes, "the disk is full; pausing the job and keeping its partial file");
            job.reporter
                .pause(Some(JobNotice::DiskFull { needed_bytes }));
            JobExit::Paused { disk_full: true }
        }
        result => {
            let remove_partial = matches!(
                control.request(),
                Some(StopRequest::Cancel {
                    remove_partial: true
                })
            );
            if remove_partial && matches!(result, Err(EngineError::Cancelled)) {
                job.reporter.remove_part();
            }
            job.reporter.finish(&result);
            JobExit::Finished(Box::new(result))
        }
    }
}

/// Publishes and persists the snapshot of one job.
struct Reporter {
    shared: Arc<Shared>,
    snapshot: JobSnapshot,
    part_path: Option<PathBuf>,
    last_persist: Instant,
}

impl Reporter {
    fn publish(&self) {
        self.shared.publish(&self.snapshot);
    }

    fn persist(&mut self) {
        self.last_persist = Instant::now();
        let update = JobUpdate {
            state: self.snapshot.phase,
            title: self.snapshot.title.clone(),
            part_path: self.part_path.clone(),
            bytes_done: self.snapshot.bytes_done,
            bytes_total: self.snapshot.bytes_total,
            error: self.snapshot.error.clone(),
            item_id: self.snapshot.item_id,
            notice: self.snapshot.notice.clone(),
        };
        if let Err(error) = self.shared.catalog.update_job(self.snapshot.id, &update) {
            warn!(job_id = self.snapshot.id, error = %error, "could not save the job state");
        }
    }

    /// Sets or clears the notice, then saves and publishes the change.
    fn set_notice(&mut self, notice: Option<JobNotice>) {
        if self.snapshot.notice != notice {
            self.snapshot.notice = notice;
            self.persist();
            self.publish();
        }
    }

    /// Returns the bytes still missing from the partial file: the total size minus the
    /// bytes on disk, when the size is known. The bytes on disk may be fewer than the last
    /// progress event counted, because a failed write loses its buffer.
    fn bytes_needed(&self) -> Option<u64> {
        let total = self.snapshot.bytes_total?;
        let on_disk = self
            .part_path
            .as_deref()
            .and_then(|path| std::fs::metadata(path).ok())
            .map_or(0, |metadata| metadata.len());
        Some(total.saturating_sub(on_disk))
    }

    /// Moves the job to `paused` with `notice`, keeping its partial file and row.
    fn pause(&mut self, notice: Option<JobNotice>) {
        if let Some(path) = self.part_path.as_deref() {
            if let Ok(metadata) = std::fs::metadata(path) {
                self.snapshot.bytes_done = metadata.len();
            }
        }
        self.snapshot.phase = JobPhase::Paused;
        self.snapshot.error = None;
        self.snapshot.notice = notice;
        info!(
            job_id = self.snapshot.id,
            bytes_done = self.snapshot.bytes_done,
            "job paused"
        );
        self.persist();
        self.publish();
    }

    /// Deletes the partial file, for a cancel that asked for it.
    fn remove_part(&mut self) {
        let Some(path) = self.part_path.take() else {
            return;
        };
        match std::fs::remove_file(&path) {
            Ok(()) => info!(job_id = self.snapshot.id, "partial file deleted"),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                warn!(job_id = self.snapshot.id, error = %error, "could not delete the partial file");
                self.part_path = Some(path);
            }
        }
    }

    fn set_phase(&mut self, phase: JobPhase) {
        if self.snapshot.phase != phase {
            debug!(
                job_id = self.snapshot.id,
                phase = phase.as_str(),
                "job phase changed"
            );
            self.snapshot.phase = phase;
            self.persist();
            self.publish();
        }
    }

    fn on_transfer_event(&mut self, event: TransferEvent) {
        match event {
            TransferEvent::Started { offset, total } => {
                self.snapshot.bytes_done = offset;
                self.snapshot.bytes_total = total;
                // The total must be on disk before bytes are, because a resume needs it.
                self.persist();
            }
            TransferEvent::Progress { done, total } => {
                self.snapshot.bytes_done = done;
                self.snapshot.bytes_total = total;
                if self.last_persist.elapsed() >= self.shared.options.persist_interval {
                    self.persist();
                }
            }
            TransferEvent::Verifying => {
                self.set_phase(JobPhase::Verifying);
                return;
            }
            // The transfer loop keeps the validators; they change nothing the UI shows.
            TransferEvent::Responded { .. } => return,
        }
        self.publish();
    }

    /// Forgets a `.part` that is gone, and deletes one that is empty, because it has nothing
    /// to resume. An error page rejected before the first write leaves such a file.
    fn drop_useless_part(&mut self) {
        let Some(path) = self.part_path.as_deref() else {
            return;
        };
        match std::fs::metadata(path) {
            Ok(metadata) if metadata.len() > 0 => return,
            Ok(_) => {
                if let Err(error) = std::fs::remove_file(path) {
                    warn!(job_id = self.snapshot.id, error = %error, "could not delete an empty partial file");
                    return;
                }
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(_) => return,
        }
        self.part_path = None;
    }

    fn finish(&mut self, result: &Result<LibraryItem, EngineError>) {
        let id = self.snapshot.id;
        self.snapshot.notice = None;
        match result {
            Ok(item) => {
                self.snapshot.item_id = Some(item.id);
                self.snapshot.error = None;
                self.snapshot.bytes_done = item.bytes;
                self.snapshot.bytes_total = Some(item.bytes);
                self.part_path = None;
                self.snapshot.phase = JobPhase::Done;
                info!(job_id = id, item_id = item.id, "job done");
            }
            Err(error) => {
                self.snapshot.error = Some(error.info());
                self.snapshot.phase = if matches!(error, EngineError::Cancelled) {
                    JobPhase::Cancelled
                } else {
                    JobPhase::Failed
                };
                self.drop_useless_part();
                info!(job_id = id, code = error.code(), error = %error, "job ended without a file");
            }
        }
        self.persist();
        self.publish();
    }
}

struct Job {
    reporter: Reporter,
    cancel: CancellationToken,
}

impl Job {
    fn id(&self) -> JobId {
        self.reporter.snapshot.id
    }

    fn uid(&self) -> &str {
        &self.reporter.snapshot.uid
    }

    fn download_type(&self) -> DownloadType {
        self.reporter.snapshot.download_type
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.reporter.shared
    }

    async fn execute(&mut self) -> Result<LibraryItem, EngineError> {
        if let Some(item) = self.existing_item()? {
            return Ok(item);
        }

        let shared = Arc::clone(self.shared());
        let _job_slot = self.acquire(&shared.job_slots).await?;
        self.reporter.set_phase(JobPhase::Preparing);

        let uid = self.uid().to_owned();
        let video = match shared.take_prefetched(self.id()) {
            Some(video) => video,
            None => {
                self.call_api(|client| {
                    let uid = uid.clone();
                    async move { client.video(&uid).await }
                })
                .await?
            }
        };
        self.reporter.snapshot.title = Some(video.display_name().to_owned());
        self.reporter.publish();
        check_downloadable(&video)?;
        if video.require_signed_urls && matches!(shared.signer(), TokenSigner::None) {
            // Fail before enabling anything on Stream, so the account is left as it was.
            return Err(EngineError::SigningKeyNeeded { uid });
        }

        let created = self.enable_download(&uid).await?;
        let url = self.wait_until_ready(created).await?;

        let transfer_slot = self.acquire_transfer_slot(&shared.transfer_slots).await?;
        let (part_path, expected_total) = self.claim_part(&video)?;
        self.reporter.part_path = Some(part_path.clone());
        self.reporter.snapshot.bytes_total = expected_total;
        self.reporter.set_phase(JobPhase::Transferring);

        let source = Source {
            url,
            private: video.require_signed_urls,
            expected_duration: video.duration,
        };
        let verified = self
            .transfer_with_retries(source, &part_path, expected_total)
            .await?;
        drop(transfer_slot);

        let item = self.commit(&verified, &video)?;
        Ok(self.attach_captions(item).await)
    }

    /// Returns the library item when this file is already downloaded. A row whose file has
    /// disappeared is dropped, so the file is downloaded again.
    fn existing_item(&self) -> Result<Option<LibraryItem>, EngineError> {
        let catalog = &self.shared().catalog;
        let Some(item) = catalog.item_for(self.uid(), self.download_type())? else {
            return Ok(None);
        };
        if item.path.is_file() {
            info!(
                job_id = self.id(),
                item_id = item.id,
                "the file is already in the library"
            );
            return Ok(Some(item));
        }
        warn!(
            job_id = self.id(),
            item_id = item.id,
            "the library file is missing; downloading it again"
        );
        // The captions of the vanished file would otherwise hold the names its successor needs.
        captions::remove_files(&item);
        catalog.forget_item(item.id)?;
        Ok(None)
    }

    /// Saves the video's ready captions as WebVTT files next to the committed media file and
    /// records them in the catalog: one API call for the list and one per language, through
    /// the API budget. Every failure is logged and leaves the item without that caption; a
    /// cancel stops the fetch and keeps the captions saved so far.
    async fn attach_captions(&mut self, mut item: LibraryItem) -> LibraryItem {
        if !self.shared().options.captions {
            return item;
        }
        let uid = item.uid.clone();

        let listed = self
            .call_api(|client| {
                let uid = uid.clone();
                async move { client.captions(&uid).await }
            })
            .await;
        let ready: Vec<Caption> = match listed {
            Ok(listed) => listed.into_iter().filter(Caption::is_ready).collect(),
            Err(error) => {
                warn!(job_id = self.id(), uid = %uid, code = error.code(), error = %error, "could not list the captions; the file is kept without them");
                return item;
            }
        };
        if ready.is_empty() {
            debug!(job_id = self.id(), uid = %uid, "the video has no ready captions");
            return item;
        }

        let mut files = Vec::with_capacity(ready.len());
        for caption in &ready {
            let language = caption.language.clone();
            let fetched = self
                .call_api(|client| {
                    let (uid, language) = (uid.clone(), language.clone());
                    async move { client.caption_vtt(&uid, &language).await }
                })
                .await;
            let saved = fetched.and_then(|text| self.save_caption(&item, caption, &text));
            match saved {
                Ok(file) => files.push(file),
                Err(EngineError::Cancelled) => {
                    info!(job_id = self.id(), uid = %uid, "caption fetch stopped; the file is kept with the captions saved so far");
                    break;
                }
                Err(error) => {
                    warn!(job_id = self.id(), uid = %uid, language = %caption.language, code = error.code(), error = %error, "could not save a caption; the file is kept without it");
                }
            }
        }
        if files.is_empty() {
            return item;
        }

        let stored = item.clone();
        match self.shared().catalog.set_item_captions(item.id, &files) {
            Ok(()) => {
                info!(
                    job_id = self.id(),
                    item_id = item.id,
                    count = files.len(),
                    "captions saved"
                );
                item.captions = files;
            }
            Err(error) => {
                warn!(job_id = self.id(), item_id = item.id, code = error.code(), error = %error, "could not record the captions; deleting their files");
                captions::remove_files(&LibraryItem {
                    captions: files,
                    ..stored
                });
            }
        }
        item
    }

    /// Writes one caption under a free name next to the item's media file. The name is chosen
    /// and the file written under the manager's name lock, so two jobs never pick one name.
    fn save_caption(
        &self,
        item: &LibraryItem,
        caption: &Caption,
        text: &str,
    ) -> Result<CaptionFile, EngineError> {
        if text.len() > captions::MAX_CAPTION_BYTES {
            return Err(EngineError::InvalidResponse {
                uid: item.uid.clone(),
                detail: format!(
                    "the '{}' caption file has {} bytes, more than the 10 MiB Stream accepts",
                    caption.language,
                    text.len()
                ),
            });
        }
        let shared = self.shared();
        let folder = item.path.parent().unwrap_or(shared.library_dir.as_path());
        let language = captions::sanitize_language(&caption.language);

        let _names = shared.lock_names();
        let listed = shared.catalog.caption_file_names()?;
        let taken = TakenCaptionNames::collect(folder, &listed)
            .map_err(|error| EngineError::disk(folder, error))?;
        let file_name = captions::free_name(&item.file_name, &language, &taken).ok_or_else(|| {
            EngineError::Internal(format!(
                "every caption file name for '{}' in '{language}' is taken: tidy the library folder",
                item.file_name
            ))
        })?;
        captions::write_atomically(folder, &file_name, text)
            .map_err(|error| EngineError::disk(folder.join(&file_name), error))?;

        debug!(job_id = self.id(), item_id = item.id, language = %language, "caption file written");
        Ok(CaptionFile {
            language,
            label: caption.display_label().to_owned(),
            file_name,
        })
    }

    /// Waits for a slot, showing `queued` while the slot is taken.
    async fn acquire<'s>(
        &mut self,
        slots: &'s Semaphore,
    ) -> Result<SemaphorePermit<'s>, EngineError> {
        if let Ok(permit) = slots.try_acquire() {
            return Ok(permit);
        }
        self.reporter.set_phase(JobPhase::Queued);
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => Err(EngineError::Cancelled),
            permit = slots.acquire() => permit.map_err(|_| EngineError::Internal("the job slots were closed".to_owned())),
        }
    }

    /// Waits for a transfer slot, showing `queued` while none is free.
    async fn acquire_transfer_slot<'s>(
        &mut self,
        slots: &'s TransferSlots,
    ) -> Result<TransferSlot<'s>, EngineError> {
        if let Some(slot) = slots.try_acquire() {
            return Ok(slot);
        }
        self.reporter.set_phase(JobPhase::Queued);
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => Err(EngineError::Cancelled),
            slot = slots.acquire() => Ok(slot),
        }
    }

    /// Calls the API, retrying transient failures with backoff up to `api_retries` times.
    ///
    /// Every attempt first takes a token from the manager's [`ApiBudget`]. A 429 blocks that
    /// budget, so every job of the account waits for the server's `Retry-After` (or its
    /// `Ratelimit` reset, or 60 s) before its next call. `call` gets the current client, so a
    /// client swapped between retries takes effect.
    async fn call_api<T, F, Fut>(&mut self, call: F) -> Result<T, EngineError>
    where
        F: Fn(StreamClient) -> Fut,
        Fut: Future<Output = Result<T, offstream_stream::Error>>,
    {
        let budget = Arc::clone(&self.shared().api_budget);
        let (retries, base_delay, max_delay) = {
            let options = &self.shared().options;
            (
                options.api_retries,
                options.retry_base_delay,
                options.retry_max_delay,
            )
        };
        let mut attempt = 0;
        loop {
            self.take_budget(&budget).await?;
            let client = self.shared().client();
            let result = tokio::select! {
                biased;
                () = self.cancel.cancelled() => return Err(EngineError::Cancelled),
                result = call(client) => result,
            };

            let error = match result {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            let rate_limit_wait = match &error {
                offstream_stream::Error::RateLimited { retry_after } => {
                    Some(budget.record_rate_limit(*retry_after))
                }
                _ => None,
            };
            let error = EngineError::from(error);
            if !error.is_transient() || attempt >= retries {
                return Err(error);
            }

            if let Some(wait) = rate_limit_wait {
                warn!(
                    job_id = self.id(),
                    uid = self.uid(),
                    attempt = attempt + 1,
                    wait_secs = wait.as_secs(),
                    "Stream API rate limit reached; every API call of this account waits"
                );
            } else {
                let wait = retry_delay(base_delay, max_delay, attempt, poll::jitter_unit());
                warn!(
                    job_id = self.id(),
                    uid = self.uid(),
                    attempt = attempt + 1,
                    code = error.code(),
                    wait_ms = wait.as_millis() as u64,
                    "Stream API call failed; retrying"
                );
                self.sleep(wait).await?;
            }
            attempt += 1;
        }
    }

    /// Waits for a token of the API budget, showing the `rateLimited` notice while a 429
    /// blocks the budget.
    async fn take_budget(&mut self, budget: &ApiBudget) -> Result<(), EngineError> {
        if let Some(wait) = budget.blocked_for() {
            self.show_notice(Some(JobNotice::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            }));
        }
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => return Err(EngineError::Cancelled),
            () = budget.acquire() => {}
        }
        if matches!(
            self.reporter.snapshot.notice,
            Some(JobNotice::RateLimited { .. })
        ) {
            self.show_notice(None);
        }
        Ok(())
    }

    /// Sets or clears the notice of the snapshot, and saves and publishes a change.
    fn show_notice(&mut self, notice: Option<JobNotice>) {
        self.reporter.set_notice(notice);
    }

    async fn fetch_downloads(&mut self, uid: &str) -> Result<Downloads, EngineError> {
        self.call_api(|client| {
            let uid = uid.to_owned();
            async move { client.downloads(&uid).await }
        })
        .await
    }

    async fn sleep(&self, duration: Duration) -> Result<(), EngineError> {
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => Err(EngineError::Cancelled),
            () = tokio::time::sleep(duration) => Ok(()),
        }
    }

    /// Polls `GET /downloads` until the download is ready, and returns its URL.
    ///
    /// [`PollSchedule`] spaces the polls: a growing pause while the percentage does not move,
    /// else a wait until it is predicted to reach 100 %. A percentage that does not move for
    /// `stall_notice_after` shows the `stalled` notice, and for `prepare_stall_timeout` fails
    /// the job, so polling always ends.
    async fn wait_until_ready(&mut self, created: Download) -> Result<String, EngineError> {
        let options = self.shared().options.clone();
        let uid = self.uid().to_owned();
        let download_type = self.download_type();
        let settings = PollSettings {
            initial: options.poll_initial,
            factor: options.poll_factor,
            max: options.poll_max,
            prediction_max: options.poll_prediction_max,
        };
        let mut schedule = PollSchedule::new(settings, tokio::time::Instant::now());
        let mut current = created;
        let mut url = current.url.clone();

        loop {
            match &current.status {
                DownloadStatus::Ready => {
                    self.clear_stall_notice();
                    return url.ok_or_else(|| EngineError::InvalidResponse {
                        uid: uid.clone(),
                        detail: "Stream reports the download ready but gives no URL".to_owned(),
                    });
                }
                DownloadStatus::Error => {
                    self.clear_stall_notice();
                    return Err(download_error(&uid, download_type, &current));
                }
                DownloadStatus::Inprogress => {}
                DownloadStatus::Other(status) => {
                    debug!(job_id = self.id(), status = %status, "unknown download status; treating it as in progress");
                }
            }

            let now = tokio::time::Instant::now();
            let unchanged_for = if schedule.observe(now, current.percent_complete) {
                self.reporter.snapshot.prepare_percent = schedule.percent();
                self.reporter.publish();
                self.clear_stall_notice();
                Duration::ZERO
            } else {
                schedule.unchanged_for(now)
            };
            if unchanged_for >= options.prepare_stall_timeout {
                self.clear_stall_notice();
                return Err(EngineError::DownloadFailed {
                    uid,
                    download_type,
                    reason: format!(
                        "its progress stayed at {:.0} % for {} s",
                        schedule.percent().unwrap_or(0.0),
                        options.prepare_stall_timeout.as_secs()
                    ),
                });
            }
            let notice_due = unchanged_for >= options.stall_notice_after;
            if notice_due {
                self.show_notice(Some(JobNotice::Stalled {
                    percent: schedule.percent(),
                    since_secs: unchanged_for.as_secs(),
                }));
            }

            // Poll again no later than the next stall threshold, so the notice and the
            // failure come on time even after a long predicted pause.
            let next_threshold = if notice_due {
                options.prepare_stall_timeout
            } else {
                options.stall_notice_after
            };
            let delay = schedule
                .next_delay(now, poll::jitter_unit())
                .min(next_threshold.saturating_sub(unchanged_for))
                .max(Duration::from_millis(1));
            debug!(
                job_id = self.id(),
                delay_ms = delay.as_millis() as u64,
                "polling the download again after a pause"
            );
            self.sleep(delay).await?;

            let downloads = self.fetch_downloads(&uid).await?;
            current = downloads.get(download_type).cloned().ok_or_else(|| {
                EngineError::DownloadFailed {
                    uid: uid.clone(),
                    download_type,
                    reason: "the download disappeared from Stream while it was being prepared (was it deleted?)".to_owned(),
                }
            })?;
            if current.url.is_some() {
                url.clone_from(&current.url);
            }
        }
    }

    /// Enables the download with `POST /downloads/{type}`. When Stream returns a download
    /// that already ended in `error` (an earlier attempt failed), deletes it and enables it
    /// again once, because enabling an existing download only returns its state.
    async fn enable_download(&mut self, uid: &str) -> Result<Download, EngineError> {
        let download_type = self.download_type();
        let created = self.create_download(uid).await?;
        if created.status != DownloadStatus::Error {
            return Ok(created);
        }

        info!(
            job_id = self.id(),
            uid,
            download_type = %download_type,
            "the download ended in error on Stream earlier; deleting it and enabling it again"
        );
        self.call_api(|client| {
            let uid = uid.to_owned();
            async move { client.delete_download(&uid, Some(download_type)).await }
        })
        .await?;
        self.create_download(uid).await
    }

    async fn create_download(&mut self, uid: &str) -> Result<Download, EngineError> {
        let download_type = self.download_type();
        self.call_api(|client| {
            let uid = uid.to_owned();
            async move { client.create_download(&uid, download_type).await }
        })
        .await
    }

    fn clear_stall_notice(&mut self) {
        if matches!(
            self.reporter.snapshot.notice,
            Some(JobNotice::Stalled { .. })
        ) {
            self.show_notice(None);
        }
    }

    /// Returns the `.part` to write: the one this job owns from before a pause or restart,
    /// else the one an earlier job of this video left in the library folder, else a new empty
    /// one under a fresh unique name.
    fn claim_part(&self, video: &Video) -> Result<(PathBuf, Option<u64>), EngineError> {
        let shared = self.shared();
        if let Some(own) = &self.reporter.part_path {
            let in_library = own.parent() == Some(shared.library_dir.as_path());
            if in_library && own.is_file() {
                info!(job_id = self.id(), "resuming the partial file of this job");
                return Ok((own.clone(), self.reporter.snapshot.bytes_total));
            }
        }
        if let Some(point) =
            shared
                .catalog
                .resume_point(self.uid(), self.download_type(), self.id())?
        {
            shared.catalog.release_part(point.job_id)?;
            let in_library = point.part_path.parent() == Some(shared.library_dir.as_path());
            if in_library && point.part_path.is_file() {
                info!(
                    job_id = self.id(),
                    from_job = point.job_id,
                    "taking over the partial file of an earlier job"
                );
                return Ok((point.part_path, point.bytes_total));
            }
        }

        let _names = shared.lock_names();
        shared
            .create_part(video.name(), self.uid(), self.download_type())
            .map(|part| (part, None))
    }

    /// Transfers the file, resuming its `.part` after transient failures. For a private video
    /// every request carries a token: a fresh one when the last is near expiry or was refused,
    /// because a token may expire during a long transfer. A refused token never costs the
    /// partial file.
    async fn transfer_with_retries(
        &mut self,
        mut source: Source,
        part_path: &Path,
        expected_total: Option<u64>,
    ) -> Result<VerifiedPart, EngineError> {
        let options = self.shared().options.clone();
        let uid = self.uid().to_owned();
        let mut expected_total = expected_total;
        let mut attempt = 0;
        let mut signed: Option<SignedUrl> = None;
        let mut refusals = 0;
        // TODO: keep the validators in the catalog too, so a resume by a later job can log a
        // change; within one job they live here. The overlap check protects both cases.
        let mut validators: Option<Validators> = None;

        loop {
            let client = self.shared().client();
            if source.private {
                let stale = signed
                    .as_ref()
                    .is_none_or(|url| url.is_near_expiry(client.server_clock().now_unix()));
                if stale {
                    signed = Some(self.sign(&client, &source.url, expected_total).await?);
                }
            }
            let url = signed
                .as_ref()
                .map_or(source.url.as_str(), SignedUrl::expose);
            let bytes_before = self.reporter.snapshot.bytes_done;
            let part_before = part_len(part_path);

            let http = client.http_client().clone();
            let request = TransferRequest {
                http: &http,
                url,
                uid: &uid,
                job_id: self.reporter.snapshot.id,
                part_path,
                expected_total,
                expected_duration: source.expected_duration,
                progress_interval: options.progress_interval,
                cancel: &self.cancel,
                clock: Some(client.server_clock()),
                known_validators: validators.as_ref(),
            };
            let reporter = &mut self.reporter;
            let mut first_seen = None;
            let result = transfer::download(&request, |event| {
                if let TransferEvent::Responded { validators: seen } = &event {
                    first_seen.get_or_insert_with(|| seen.clone());
                }
                reporter.on_transfer_event(event);
            })
            .await;
            if validators.is_none() {
                validators = first_seen;
            }

            let error = match result {
                Ok(verified) => return Ok(verified),
                Err(error) => error,
            };
            expected_total = self.reporter.snapshot.bytes_total;
            // A failure after progress starts a new count: a long transfer over a poor network
            // may drop many times, and only failures in a row without new bytes mean it is
            // hopeless.
            let part_after = part_len(part_path);
            if self.reporter.snapshot.bytes_done > bytes_before || part_after > part_before {
                refusals = 0;
                attempt = 0;
            }

            if source.private && error.is_auth_refusal() {
                refusals += 1;
                // Info, not warn: a refused token is routine after an expiry and is retried at once.
                info!(job_id = self.id(), uid = %uid, refusals, "the delivery host refused the signed token; signing a fresh one");
                if refusals > MAX_TOKEN_REFUSALS {
                    return Err(self.diagnose_refusal(&client).await);
                }
                // A fresh token at once: the refusal's `Date` header has already corrected the
                // server clock, so an expired token or a skewed clock is fixed by re-signing.
                signed = None;
                continue;
            }
            if !error.is_transient() || attempt >= options.transfer_retries {
                return Err(error);
            }

            let wait = retry_delay(
                options.retry_base_delay,
                options.retry_max_delay,
                attempt,
                poll::jitter_unit(),
            );
            warn!(job_id = self.id(), uid = %uid, attempt = attempt + 1, code = error.code(), wait_ms = wait.as_millis() as u64, "transfer failed; resuming after a pause");
            self.sleep(wait).await?;
            attempt += 1;

            // A fresh URL, because the failure may be an expired or moved one.
            let download_type = self.download_type();
            let downloads = self.fetch_downloads(&uid).await?;
            if let Some(fresh) = downloads.get(download_type).and_then(|d| d.url.clone()) {
                if fresh != source.url {
                    signed = None;
                }
                source.url = fresh;
            }
        }
    }

    /// Makes the signed download URL of this job's video.
    async fn sign(
        &self,
        client: &StreamClient,
        url: &str,
        expected_bytes: Option<u64>,
    ) -> Result<SignedUrl, EngineError> {
        let signer = self.shared().signer();
        let target = TokenTarget {
            uid: self.uid(),
            url,
            expected_bytes,
            access_rules: &self.shared().options.token_access_rules,
        };
        let signed = tokio::select! {
            biased;
            () = self.cancel.cancelled() => return Err(EngineError::Cancelled),
            signed = signer::signed_url(&signer, client, &target) => signed?,
        };
        debug!(job_id = self.id(), signer = ?signer, "signed a token for the download");
        let clock = client.server_clock();
        if clock.is_skew_large() {
            // The token times were corrected, but a clock this far off breaks other software too.
            warn!(
                job_id = self.id(),
                skew_secs = clock.skew_secs().unwrap_or_default(),
                "this computer's clock differs from Cloudflare's; tokens use Cloudflare's time"
            );
        }
        Ok(signed)
    }

    /// Names the likely cause after fresh tokens were refused several times: a revoked key,
    /// a clock too far off, or else the token itself.
    async fn diagnose_refusal(&mut self, client: &StreamClient) -> EngineError {
        let uid = self.uid().to_owned();
        if let TokenSigner::Key(key) = self.shared().signer() {
            let listed = self
                .call_api(|client| async move { client.signing_keys().await })
                .await;
            if let Ok(keys) = listed {
                if !keys.iter().any(|listed| listed.id == key.id()) {
                    return EngineError::SigningKeyRevoked {
                        key_id: key.id().to_owned(),
                    };
                }
            }
        }
        let clock = client.server_clock();
        if clock.is_skew_large() {
            return EngineError::ClockSkew {
                uid,
                skew_secs: clock.skew_secs().unwrap_or_default(),
            };
        }
        EngineError::TokenRejected {
            uid,
            detail: "the delivery host refused fresh tokens several times; check that the signing key belongs to this account".to_owned(),
        }
    }

    /// Renames the verified `.part` into the library and inserts the catalog row. When the
    /// insert fails the file is renamed back, so the library has no file without a row.
    fn commit(
        &mut self,
        verified: &VerifiedPart,
        video: &Video,
    ) -> Result<LibraryItem, EngineError> {
        let shared = Arc::clone(self.shared());
        let _names = shared.lock_names();

        let mut final_path = transfer::final_path_of(&verified.part_path);
        if final_path.symlink_metadata().is_ok() {
            let name = shared.free_name(video.name(), self.uid(), self.download_type())?;
            warn!(
                job_id = self.id(),
                "the file name was taken meanwhile; using a new one"
            );
            final_path = shared.library_dir.join(name);
        }
        transfer::commit(&verified.part_path, &final_path)?;

        let file_name = final_path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let new_item = NewItem {
            uid: self.uid().to_owned(),
            download_type: self.download_type(),
            title: video.display_name().to_owned(),
            file_name,
            path: final_path.clone(),
            bytes: verified.bytes,
            sha256: verified.sha256.clone(),
            video_created: Some(video.created.clone()).filter(|created| !created.is_empty()),
            duration: verified.mp4.duration.or(video.duration),
            creator: video.creator.clone(),
        };

        match shared.catalog.insert_item(&new_item) {
            Ok(item) => {
                self.reporter.part_path = None;
                Ok(item)
            }
            Err(error) => {
                if let Err(undo) = std::fs::rename(&final_path, &verified.part_path) {
                    warn!(job_id = self.id(), error = %undo, "could not move the file back after the catalog failed");
                    self.reporter.part_path = None;
                }
                Err(error)
            }
        }
    }
}

/// Describes a download that Stream reports in status `error`. The API gives no reason
/// field, so the message names the status and the last percentage.
fn download_error(uid: &str, download_type: DownloadType, download: &Download) -> EngineError {
    let reason = match download.percent_complete {
        Some(percent) => format!("Stream reported status 'error' at {percent:.0} %"),
        None => "Stream reported status 'error'".to_owned(),
    };
    EngineError::DownloadFailed {
        uid: uid.to_owned(),
        download_type,
        reason: format!(
            "{reason}; starting the download again deletes it on Stream and prepares it anew"
        ),
    }
}

/// Rejects videos whose download cannot work, before anything is enabled on Stream.
fn check_downloadable(video: &Video) -> Result<(), EngineError> {
    if video.status.state == VideoState::Error {
        let reason = video
            .status
            .error_reason_text
            .as_deref()
            .or(video.status.error_reason_code.as_deref())
            .unwrap_or("no reason given");
        return Err(EngineError::NotReady {
            uid: video.uid.clone(),
            detail: format!(
                "Stream failed to process it ({reason}), so it has nothing to download"
            ),
        });
    }
    if !video.ready_to_stream {
        return Err(EngineError::NotReady {
            uid: video.uid.clone(),
            detail: format!(
                "Stream is still processing it (state '{}'); retry once it is ready",
                video.status.state.as_str()
            ),
        });
    }
    Ok(())
}

/// Returns the wait before retry number `attempt + 1`: `base * 2^attempt` capped at `max`,
/// with ±20 % jitter set by `unit` (a random sample in `0.0..1.0`), so that jobs that failed
/// together do not retry together.
fn retry_delay(base: Duration, max: Duration, attempt: u32, unit: f64) -> Duration {
    let delay = base.saturating_mul(2u32.saturating_pow(attempt)).min(max);
    delay.mul_f64(0.8 + 0.4 * unit.clamp(0.0, 1.0))
}

/// Returns the size of a `.part`, or 0 when it cannot be read.
fn part_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |metadata| metadata.len())
}

/// Returns the `.part` name of a final file name.
pub(crate) fn part_name(file_name: &str) -> String {
    format!("{file_name}{PART_SUFFIX}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn video(json: &str) -> Video {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn phase_round_trips() {
        for phase in [
            JobPhase::Queued,
            JobPhase::Preparing,
            JobPhase::Transferring,
            JobPhase::Verifying,
            JobPhase::Done,
            JobPhase::Failed,
            JobPhase::Cancelled,
            JobPhase::Paused,
        ] {
            assert_eq!(phase.as_str().parse::<JobPhase>(), Ok(phase));
        }
    }

    #[test]
    fn phase_serializes_lowercase() {
        let json = serde_json::to_string(&JobPhase::Transferring).unwrap();
        assert_eq!(json, "\"transferring\"");
    }

    #[test]
    fn notice_serializes_camel_case_tag() {
        let notice = JobNotice::DiskFull {
            needed_bytes: Some(10),
        };
        let json = serde_json::to_value(&notice).unwrap();
        assert_eq!(json["kind"], "diskFull");
        assert_eq!(json["neededBytes"], 10);
    }

    #[test]
    fn disk_full_notice_message_names_need() {
        let notice = JobNotice::DiskFull {
            needed_bytes: Some(2048),
        };
        let message = notice.message();
        assert!(message.contains("2.0 KiB more is needed"), "{message}");
        assert!(message.contains("partial file is kept"), "{message}");
    }

    #[test]
    fn snapshot_serializes_camel_case() {
        let snapshot = JobSnapshot::queued(7, "abc", DownloadType::Audio);
        let json = serde_json::to_value(&snapshot).unwrap();
        assert_eq!(json["downloadType"], "audio");
        assert_eq!(json["bytesDone"], 0);
        assert_eq!(json["phase"], "queued");
        assert!(json["preparePercent"].is_null());
    }

    #[test]
    fn retry_delay_doubles_to_cap() {
        let base = Duration::from_secs(1);
        let max = Duration::from_secs(5);
        assert_eq!(retry_delay(base, max, 0, 0.5), Duration::from_secs(1));
        assert_eq!(retry_delay(base, max, 2, 0.5), Duration::from_secs(4));
        assert_eq!(retry_delay(base, max, 3, 0.5), Duration::from_secs(5));
        assert_eq!(retry_delay(base, max, 40, 0.5), Duration::from_secs(5));
    }

    #[test]
    fn retry_delay_jitter_is_bounded() {
        let base = Duration::from_secs(10);
        let max = Duration::from_secs(60);
        assert_eq!(retry_delay(base, max, 0, 0.0), Duration::from_secs(8));
        assert_eq!(retry_delay(base, max, 0, 1.0), Duration::from_secs(12));
    }

    #[test]
    fn downloadable_rejects_processing_video() {
        let v = video(r#"{"uid":"a","readyToStream":false,"status":{"state":"inprogress"}}"#);
        let error = check_downloadable(&v).unwrap_err();
        assert_eq!(error.code(), "not_ready");
        assert!(error.to_string().contains("inprogress"), "{error}");
    }

    #[test]
    fn downloadable_rejects_errored_video() {
        let v = video(
            r#"{"uid":"a","readyToStream":false,"status":{"state":"error","errorReasonCode":"ERR_NON_VIDEO"}}"#,
        );
        let error = check_downloadable(&v).unwrap_err();
        assert!(error.to_string().contains("ERR_NON_VIDEO"), "{error}");
    }

    #[test]
    fn downloadable_accepts_signed_video() {
        let v = video(r#"{"uid":"a","readyToStream":true,"requireSignedURLs":true}"#);
        assert!(check_downloadable(&v).is_ok());
    }

    #[test]
    fn downloadable_accepts_ready_video() {
        let v = video(r#"{"uid":"a","readyToStream":true,"status":{"state":"ready"}}"#);
        assert!(check_downloadable(&v).is_ok());
    }
}
