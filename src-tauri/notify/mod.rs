//! OS notifications when downloads and backups finish or need attention.
//!
//! A task follows every job snapshot and every backup that ends, passes them to
//! [`plan::Planner`] to choose the notices, and sends those through tauri-plugin-notification.
//! Job events are collected for [`MERGE_WINDOW`] before anything is sent, so a burst of
//! downloads raises one notification. The UI takes no part and has no notification permission.
//!
//! On Linux the plugin sends over D-Bus and ignores failures, and a send to a bus without a
//! notification server can take a worker thread for the bus's activation timeout. So one
//! blocking call at start checks whether a server replies. Without one, notices are only
//! logged at debug level.
//!
//! Other parts of the shell can raise a notice of their own through [`Notifier::notify`], such
//! as the one shown when the window hides and downloads continue in the background.

pub mod plan;

use std::sync::Arc;
use std::time::Duration;

use offstream_engine::backup::{BackupId, BackupProgress};
use offstream_engine::JobSnapshot;
use tauri::async_runtime::JoinHandle;
use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt;
use tokio::sync::{broadcast, mpsc};

use plan::{Notice, Planner};

/// How long job events are collected before they are sent as one notification.
pub const MERGE_WINDOW: Duration = Duration::from_secs(2);

/// How long a send waits for the server check. The check normally takes milliseconds, but a bus
/// that tries to start a broken server replies only after its activation timeout.
const SERVER_CHECK_WAIT: Duration = Duration::from_secs(3);

/// Returns the id of the running backup a job belongs to, if any.
pub type BackupLookup = Arc<dyn Fn(&JobSnapshot) -> Option<BackupId> + Send + Sync>;

/// The handle that reports backups to the notification task.
#[derive(Clone)]
pub struct Notifier {
    backups: mpsc::UnboundedSender<BackupProgress>,
    notices: mpsc::UnboundedSender<Notice>,
}

impl Notifier {
    /// Starts the notification task: it follows `jobs` and the backups reported through
    /// [`Notifier::backup_ended`] until the app exits.
    pub fn start(
        app: AppHandle,
        jobs: broadcast::Receiver<JobSnapshot>,
        in_backup: BackupLookup,
    ) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        let (notice_sender, notice_receiver) = mpsc::unbounded_channel();
        let server = tauri::async_runtime::spawn_blocking(server_available);
        let inputs = Inputs {
            jobs,
            backups: receiver,
            notices: notice_receiver,
        };
        tauri::async_runtime::spawn(run(app, inputs, in_backup, server));
        Self {
            backups: sender,
            notices: notice_sender,
        }
    }

    /// Raises `notice` as it is, without waiting for the merge window.
    pub fn notify(&self, notice: Notice) {
        if self.notices.send(notice).is_err() {
            tracing::debug!("the notification task has stopped");
        }
    }

    /// Reports a backup that ended (done or cancelled).
    pub fn backup_ended(&self, progress: BackupProgress) {
        if self.backups.send(progress).is_err() {
            tracing::debug!("the notification task has stopped");
        }
    }
}

/// Inputs of the notification task.
struct Inputs {
    jobs: broadcast::Receiver<JobSnapshot>,
    backups: mpsc::UnboundedReceiver<BackupProgress>,
    notices: mpsc::UnboundedReceiver<Notice>,
}

async fn run(app: AppHandle, inputs: Inputs, in_backup: BackupLookup, server: JoinHandle<bool>) {
    let Inputs {
        mut jobs,
        mut backups,
        mut notices,
    } = inputs;
    let mut sender = Sender {
        app,
        server: Some(server),
        available: false,
    };
    let mut planner = Planner::default();
    let mut deadline: Option<tokio::time::Instant> = None;

    loop {
        let flush_at = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            received = jobs.recv() => match received {
                Ok(snapshot) => {
                    let backup = if is_notable(&snapshot) { in_backup(&snapshot) } else { None };
                    if planner.record_job(&snapshot, backup) && deadline.is_none() {
                        deadline = Some(tokio::time::Instant::now() + MERGE_WINDOW);
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "the notification task fell behind on job events");
                }
                Err(broadcast::error::RecvError::Closed) => break,
            },
            Some(progress) = backups.recv() => {
                if let Some(notice) = plan::backup_notice(&progress) {
                    sender.send(notice).await;
                }
            }
            Some(notice) = notices.recv() => sender.send(notice).await,
            () = flush_at => {
                deadline = None;
                for notice in planner.flush() {
                    sender.send(notice).await;
                }
            }
        }
    }
}

/// Returns true for the phases the planner may turn into a notice, so the backup lookup runs
/// only for those and not for every progress tick.
fn is_notable(snapshot: &JobSnapshot) -> bool {
    use offstream_engine::JobPhase;
    matches!(
        snapshot.phase,
        JobPhase::Done | JobPhase::Failed | JobPhase::Paused
    )
}

/// Sends notices once the check has shown whether a notification server replies.
struct Sender {
    app: AppHandle,
    /// The server check while it runs.
    server: Option<JoinHandle<bool>>,
    available: bool,
}

impl Sender {
    async fn send(&mut self, notice: Notice) {
        if let Some(check) = self.server.as_mut() {
            match tokio::time::timeout(SERVER_CHECK_WAIT, check).await {
                Ok(result) => {
                    self.available = result.unwrap_or(false);
                    self.server = None;
                }
                Err(_) => {
                    tracing::debug!(title = %notice.title, "the notification server check still runs, so the notice is only logged");
                    return;
                }
            }
        }
        if !self.available {
            tracing::debug!(title = %notice.title, "no notification server, so the notice is only logged");
            return;
        }
        let shown = self
            .app
            .notification()
            .builder()
            .title(&notice.title)
            .body(&notice.body)
            .show();
        if let Err(error) = shown {
            tracing::debug!(%error, title = %notice.title, "the notification could not be shown");
        }
    }
}

/// Returns whether a notification server replies on the session bus. Blocks for up to the
/// bus's service activation timeout, so it runs on the blocking pool.
#[cfg(target_os = "linux")]
fn server_available() -> bool {
    match notify_rust::get_server_information() {
        Ok(info) => {
            tracing::debug!(server = %info.name, "notification server found");
            true
        }
        Err(error) => {
            tracing::debug!(%error, "no notification server replies on the session bus");
            false
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn server_available() -> bool {
    true
}
