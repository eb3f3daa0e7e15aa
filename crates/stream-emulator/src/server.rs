//! Starting, controlling and stopping an emulator instance.
//!
//! [`RunningEmulator`] is the handle tests hold: it changes the library while the server keeps
//! serving requests, reads counters, and stops the server on [`RunningEmulator::shutdown`] or on drop.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::EmulatorConfig;
use crate::error::Error;
use crate::http::{self, Shared};
use crate::model::{
    DownloadScript, DownloadStatus, DownloadType, VideoSpec, VideoState, VideoSummary,
};
use crate::seed;
use crate::store::Store;

/// How long [`RunningEmulator::shutdown`] waits for open connections before aborting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Entry point: `Emulator::start(config)`.
#[derive(Debug)]
pub struct Emulator;

impl Emulator {
    /// Seeds the library, binds 127.0.0.1 and starts serving on the current Tokio runtime.
    ///
    /// # Errors
    /// Returns [`Error::InvalidConfig`] for unusable settings, [`Error::Seed`] when the seed
    /// folder cannot be used and [`Error::Bind`] when the port cannot be opened.
    pub async fn start(config: EmulatorConfig) -> Result<RunningEmulator, Error> {
        config.validate()?;

        let seed_config = config.clone();
        let videos = tokio::task::spawn_blocking(move || seed::initial_videos(&seed_config))
            .await
            .expect("seeding does not panic")?;
        let mut store = Store::default();
        for video in videos {
            store.insert(video);
        }

        let requested = SocketAddr::from((Ipv4Addr::LOCALHOST, config.port));
        let bind_error = |source| Error::Bind {
            addr: requested,
            source,
        };
        let listener = TcpListener::bind(requested).await.map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;

        let video_count = store.len();
        let shared = Arc::new(Shared::new(config, format!("http://{addr}"), store));
        let app = http::router(Arc::clone(&shared));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(error) = serving.await {
                tracing::error!(%error, "Stream emulator server failed");
            }
        });

        tracing::info!(
            %addr,
            account_id = shared.config.account_id,
            videos = video_count,
            "Stream emulator started"
        );
        Ok(RunningEmulator {
            addr,
            shared,
            stop: Some(stop),
            task: Some(task),
        })
    }
}

/// A started emulator. Dropping it stops the server; prefer [`RunningEmulator::shutdown`] in
/// async code, which also waits for the server task to end.
pub struct RunningEmulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RunningEmulator {
    /// Returns the API base URL, e.g. `http://127.0.0.1:PORT/client/v4`.
    pub fn api_base(&self) -> String {
        format!("{}/client/v4", self.shared.origin)
    }

    /// Returns the delivery host origin, e.g. `http://127.0.0.1:PORT`.
    pub fn delivery_base(&self) -> String {
        self.shared.origin.clone()
    }

    /// Returns the listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Returns the account id expected in API paths.
    pub fn account_id(&self) -> &str {
        &self.shared.config.account_id
    }

    /// Returns the API token expected in `Authorization: Bearer`.
    pub fn api_token(&self) -> &str {
        &self.shared.config.api_token
    }

    /// Adds a video while the server runs and returns its new uid.
    pub fn add_video(&self, spec: VideoSpec) -> String {
        let video = seed::video_from_spec(spec);
        let uid = video.uid.clone();
        self.shared.store().insert(video);
        tracing::debug!(uid, "video added");
        uid
    }

    /// Removes a video and its downloads; returns false for an unknown uid.
    pub fn remove_video(&self, uid: &str) -> bool {
        self.shared.store().remove(uid)
    }

    /// Changes a video's processing state, e.g. `inprogress` to `ready`; returns false for an
    /// unknown uid.
    pub fn set_video_state(&self, uid: &str, state: VideoState) -> bool {
        self.shared.store().set_state(uid, state)
    }

    /// Returns every video, newest first.
    pub fn videos(&self) -> Vec<VideoSummary> {
        self.shared.store().summaries()
    }

    /// Makes the download of `kind` end in `error` when it would become ready; returns false
    /// for an unknown uid. See [`DownloadScript`] for when a script applies.
    pub fn script_download_error(&self, uid: &str, kind: DownloadType, reason: &str) -> bool {
        let script = DownloadScript::Fail {
            at_percent: 100.0,
            reason: reason.to_owned(),
        };
        self.script_download(uid, kind, script)
    }

    /// Attaches a fault to a download; returns false for an unknown uid.
    pub fn script_download(&self, uid: &str, kind: DownloadType, script: DownloadScript) -> bool {
        tracing::info!(uid, download_type = %kind, ?script, "download fault scripted");
        self.shared.store().script_download(uid, kind, script)
    }

    /// Returns the current status and percentage of a download, or `None` if it does not exist.
    pub fn download_status(&self, uid: &str, kind: DownloadType) -> Option<(DownloadStatus, f64)> {
        let store = self.shared.store();
        let download = store.get(uid)?.downloads.get(&kind)?;
        let progress = download.progress(Instant::now(), self.shared.config.prepare_time);
        Some((progress.status, progress.percent))
    }

    /// Returns the number of requests to the API (`/client/v4/...`), including rejected ones.
    pub fn request_count(&self) -> u64 {
        self.shared.counters.api_requests.load(Ordering::Relaxed)
    }

    /// Returns the number of requests to the delivery host.
    pub fn delivery_count(&self) -> u64 {
        self.shared
            .counters
            .delivery_requests
            .load(Ordering::Relaxed)
    }

    /// Returns the body bytes handed to the network by the delivery host so far.
    pub fn delivered_bytes(&self) -> u64 {
        self.shared.counters.delivered_bytes.load(Ordering::Relaxed)
    }

    /// Stops accepting connections and waits up to 2 seconds for open ones to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
            {
                tracing::warn!(
                    "Stream emulator connections still open after the grace period; aborting them"
                );
                task.abort();
            }
        }
        tracing::info!(addr = %self.addr, "Stream emulator stopped");
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl std::fmt::Debug for RunningEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningEmulator")
            .field("addr", &self.addr)
            .field("account_id", &self.shared.config.account_id)
            .finish_non_exhaustive()
    }
}
