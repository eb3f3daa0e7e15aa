//! Starting, controlling and stopping an emulator instance.
//!
//! [`RunningEmulator`] is the handle tests hold: it changes the library while the server keeps
//! serving requests, moves the emulator clock, throttles or cuts download bodies, reads
//! counters and the secret log, queues delivery and API faults, and stops the server on
//! [`RunningEmulator::shutdown`] or on drop.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::EmulatorConfig;
use crate::error::Error;
use crate::faults::{ApiFault, DeliveryFault, DeliveryRecord};
use crate::http::{self, ApiEndpoint, Counters, ResettableListener, Shared};
use crate::model::{
    Caption, DownloadScript, DownloadStatus, DownloadType, VideoSpec, VideoState, VideoSummary,
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
        let listener = ResettableListener::new(listener, Arc::clone(&shared.connections));
        // `tap_io` adds nothing but makes axum provide the peer address for this listener type.
        let listener = axum::serve::ListenerExt::tap_io(listener, |_| {});
        // The peer address is needed for the `ip.src` access rules of signed tokens and for
        // resetting a connection.
        let app =
            http::router(Arc::clone(&shared)).into_make_service_with_connect_info::<SocketAddr>();
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

/// A snapshot of the traffic counters of [`RunningEmulator`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrafficCounters {
    /// Requests to the API (`/client/v4/...`), including rejected ones.
    pub api_requests: u64,
    /// Requests to the delivery host.
    pub delivery_requests: u64,
    /// Requests for a thumbnail on the delivery host (also counted in `delivery_requests`).
    pub thumbnail_requests: u64,
    /// Download body bytes handed to the network; a cut or aborted body counts only what left.
    pub delivery_bytes: u64,
    /// Calls of the token endpoint that passed authentication, including rejected ones.
    pub token_requests: u64,
    /// API replies with status 429, from the rate limit or an injected fault.
    pub rate_limited: u64,
    /// Connections reset by [`DeliveryFault::ResetAt`].
    pub resets: u64,
    /// Delivery faults taken from the queue by a request.
    pub delivery_faults: u64,
    /// API requests per endpoint kind.
    pub api_by_endpoint: ApiEndpointCounts,
}

/// API requests per endpoint kind, including rejected and rate-limited ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ApiEndpointCounts {
    /// `GET .../stream` (the video list).
    pub list: u64,
    /// `GET .../stream/{uid}` (and any other method on that path).
    pub video: u64,
    /// `GET .../stream/{uid}/downloads`.
    pub downloads_get: u64,
    /// `POST .../stream/{uid}/downloads` and `.../downloads/{type}`.
    pub downloads_create: u64,
    /// `DELETE .../stream/{uid}/downloads` and `.../downloads/{type}`.
    pub downloads_delete: u64,
    /// `POST .../stream/{uid}/token`.
    pub token: u64,
    /// Everything under `.../stream/keys`.
    pub keys: u64,
    /// Everything under `.../stream/{uid}/captions`.
    pub captions: u64,
    /// Paths that match none of the above.
    pub other: u64,
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

    /// Renames a video (`meta.name`; `None` removes the name); returns false for an unknown uid.
    pub fn rename_video(&self, uid: &str, name: Option<&str>) -> bool {
        self.shared.store().rename(uid, name.map(str::to_owned))
    }

    /// Replaces a video's caption tracks. Returns false for an unknown uid.
    pub fn set_captions(&self, uid: &str, captions: Vec<Caption>) -> bool {
        self.shared.store().set_captions(uid, captions)
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

    /// Returns all traffic counters at once.
    pub fn counters(&self) -> TrafficCounters {
        let counters = &self.shared.counters;
        TrafficCounters {
            api_requests: counters.api_requests.load(Ordering::Relaxed),
            delivery_requests: counters.delivery_requests.load(Ordering::Relaxed),
            thumbnail_requests: Counters::get(&counters.thumbnail_requests),
            delivery_bytes: counters.delivered_bytes.load(Ordering::Relaxed),
            token_requests: counters.token_requests.load(Ordering::Relaxed),
            rate_limited: Counters::get(&counters.rate_limited),
            resets: Counters::get(&counters.resets),
            delivery_faults: Counters::get(&counters.delivery_faults),
            api_by_endpoint: self.api_by_endpoint(),
        }
    }

    /// Returns the API requests per endpoint kind.
    pub fn api_by_endpoint(&self) -> ApiEndpointCounts {
        let count = |endpoint: ApiEndpoint| {
            Counters::get(&self.shared.counters.endpoints[endpoint as usize])
        };
        ApiEndpointCounts {
            list: count(ApiEndpoint::List),
            video: count(ApiEndpoint::Video),
            downloads_get: count(ApiEndpoint::DownloadsGet),
            downloads_create: count(ApiEndpoint::DownloadsCreate),
            downloads_delete: count(ApiEndpoint::DownloadsDelete),
            token: count(ApiEndpoint::Token),
            keys: count(ApiEndpoint::Keys),
            captions: count(ApiEndpoint::Captions),
            other: count(ApiEndpoint::Other),
        }
    }

    /// Returns the number of connections reset by [`DeliveryFault::ResetAt`].
    pub fn reset_count(&self) -> u64 {
        Counters::get(&self.shared.counters.resets)
    }

    /// Returns the number of API replies with status 429 (rate limit or injected fault).
    pub fn rate_limited_count(&self) -> u64 {
        Counters::get(&self.shared.counters.rate_limited)
    }

    /// Queues a fault for the next `GET` of any download file that would send a body.
    ///
    /// Faults apply in the order they were queued, one per request. `HEAD` requests and
    /// requests answered 404 (download missing or not ready) do not take a fault.
    ///
    /// # Errors
    /// Returns [`Error::InvalidFault`] for a status outside 400..=599 or a zero trickle rate.
    pub fn inject_delivery_fault(&self, fault: DeliveryFault) -> Result<(), Error> {
        tracing::info!(?fault, "delivery fault queued");
        self.shared.faults.push_delivery(None, fault)
    }

    /// Queues a fault for the next download `GET` of the video `uid` only; requests for other
    /// videos pass it by.
    ///
    /// # Errors
    /// Returns [`Error::InvalidFault`] as [`RunningEmulator::inject_delivery_fault`] does.
    pub fn inject_delivery_fault_for(&self, uid: &str, fault: DeliveryFault) -> Result<(), Error> {
        tracing::info!(uid, ?fault, "delivery fault queued");
        self.shared
            .faults
            .push_delivery(Some(uid.to_owned()), fault)
    }

    /// Queues a fault that answers the next API request, before authentication and the rate
    /// limit, which it does not count against.
    ///
    /// # Errors
    /// Returns [`Error::InvalidFault`] for a status outside 400..=599.
    pub fn inject_api_fault(&self, fault: ApiFault) -> Result<(), Error> {
        tracing::info!(?fault, "API fault queued");
        self.shared.faults.push_api(fault)
    }

    /// Returns the number of queued faults no request has taken yet: `(delivery, api)`.
    pub fn pending_faults(&self) -> (usize, usize) {
        self.shared.faults.pending()
    }

    /// Returns every request for a download file that reached a ready download, oldest first,
    /// with its `Range` and `If-Range` headers and response status.
    pub fn delivery_requests(&self) -> Vec<DeliveryRecord> {
        self.shared.faults.records()
    }

    /// Moves the emulator clock to real time plus `offset_secs` (negative: behind). Token
    /// `exp`/`nbf` checks, the token endpoint's defaults and limits, and every `Date` header
    /// follow it from the next request on. Values beyond about 100 years are clamped.
    pub fn set_clock_offset(&self, offset_secs: i64) {
        let stored = self.shared.clock.set_offset(offset_secs);
        tracing::info!(offset_secs = stored, "emulator clock offset changed");
    }

    /// Returns the current clock offset in seconds.
    pub fn clock_offset(&self) -> i64 {
        self.shared.clock.offset()
    }

    /// Returns the emulator clock's current time (real time plus the offset).
    pub fn now(&self) -> OffsetDateTime {
        self.shared.clock.now()
    }

    /// Limits download bodies to `bytes_per_second`, including bodies already being sent;
    /// `None` or `Some(0)` removes the limit. Throttled bodies go out in chunks of about a
    /// twentieth of the rate, so the controls are checked at least 20 times per second.
    pub fn set_delivery_rate(&self, bytes_per_second: Option<u64>) {
        self.shared.transfer.set_rate(bytes_per_second);
        tracing::info!(?bytes_per_second, "delivery rate changed");
    }

    /// Turns on or off (the default) cutting a download body when the `exp` of the token in
    /// its URL passes by the emulator clock. The check runs before every chunk; a cut drops
    /// the connection, so the client sees a body shorter than `Content-Length`. Uid-only URLs
    /// are never cut. Whether the real service re-checks `exp` during a transfer is undocumented.
    pub fn set_cut_on_token_expiry(&self, enabled: bool) {
        self.shared.transfer.set_cut_on_token_expiry(enabled);
        tracing::info!(enabled, "cut on token expiry changed");
    }

    /// Returns every secret the emulator handed out or received, in first-seen order, so tests
    /// can grep files and logs for them.
    ///
    /// The list contains the API token and each signing key's `pem` and `jwk`, both as base64
    /// and as decoded text, plus the JWK's base64url `d`. It also contains each `pem` sent to
    /// the token endpoint (base64 and decoded), each token that endpoint issued, and each
    /// token presented on the delivery host.
    pub fn issued_secrets(&self) -> Vec<String> {
        self.shared.secrets.all()
    }

    /// Stops accepting connections and waits up to 2 seconds for open ones to finish.
    pub async fn shutdown(mut self) {
        self.shared.stopping.send_replace(true);
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
        self.shared.stopping.send_replace(true);
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
