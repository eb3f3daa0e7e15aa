//! The axum application: the v4 API under `/client/v4` and the delivery host at the root.
//!
//! One server plays both hosts so a test needs a single port. Handlers share [`Shared`]: the
//! store and the key ring, the clock, the transfer controls, the secret log and lock-free
//! counters. The store and the key ring sit behind `std::sync::Mutex`es held only for short,
//! non-async sections, so tests can change them while requests are served. When both are
//! needed, the store is locked first. Every response, errors included, carries a `Date` header
//! from the emulator clock.
//!
//! API requests pass through [`api_guard`] (injected API faults, the rate limit, counts per
//! endpoint) before authentication; delivery requests never count against the rate limit.

mod api_guard;
mod auth;
mod captions;
mod connection;
mod delivery;
mod delivery_faults;
mod downloads;
mod envelope;
mod keys;
mod list;
mod range;
mod thumbnail;
mod token;
mod transfer;
mod video;
mod wire;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::Router;

use crate::clock::Clock;
use crate::config::EmulatorConfig;
use crate::faults::FaultState;
use crate::keys::KeyRing;
use crate::rate_limit::RateLimiter;
use crate::secrets::SecretLog;
use crate::store::Store;

pub(crate) use api_guard::ApiEndpoint;
pub(crate) use connection::{ConnectionRegistry, ResettableListener};
pub(crate) use token::InternalKey;
pub(crate) use transfer::TransferControls;

/// State shared by all handlers and by [`crate::RunningEmulator`].
pub(crate) struct Shared {
    pub config: EmulatorConfig,
    /// `http://127.0.0.1:PORT`, the origin of every URL the emulator hands out.
    pub origin: String,
    pub counters: Counters,
    pub clock: Clock,
    pub transfer: TransferControls,
    pub secrets: SecretLog,
    /// Key the token endpoint signs with when the request brings no `pem`; generated on first
    /// use because RSA key generation takes tens of milliseconds.
    pub internal_key: tokio::sync::OnceCell<InternalKey>,
    pub faults: FaultState,
    /// `None` when the configuration has no rate limit.
    pub rate_limiter: Option<RateLimiter>,
    pub connections: Arc<ConnectionRegistry>,
    /// Turns true when the emulator stops, which ends silenced bodies.
    pub stopping: tokio::sync::watch::Sender<bool>,
    store: Mutex<Store>,
    keys: Mutex<KeyRing>,
}

impl Shared {
    pub fn new(config: EmulatorConfig, origin: String, store: Store) -> Self {
        let secrets = SecretLog::default();
        secrets.record(&config.api_token);
        Self {
            clock: Clock::new(config.clock_offset_secs),
            rate_limiter: config.rate_limit.map(RateLimiter::new),
            config,
            origin,
            counters: Counters::default(),
            transfer: TransferControls::default(),
            secrets,
            internal_key: tokio::sync::OnceCell::new(),
            faults: FaultState::default(),
            connections: Arc::default(),
            stopping: tokio::sync::watch::Sender::new(false),
            store: Mutex::new(store),
            keys: Mutex::new(KeyRing::default()),
        }
    }

    /// Locks the store. A panic in another holder leaves the data usable, so poisoning is ignored.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Locks the key ring; poisoning is ignored as for the store.
    pub fn keys(&self) -> MutexGuard<'_, KeyRing> {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Request and traffic counters for test assertions.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub api_requests: AtomicU64,
    pub delivery_requests: AtomicU64,
    /// Requests for a thumbnail; they count as delivery requests too.
    pub thumbnail_requests: AtomicU64,
    pub delivered_bytes: AtomicU64,
    pub token_requests: AtomicU64,
    /// API replies with status 429, from the rate limit or an injected fault.
    pub rate_limited: AtomicU64,
    /// Connections reset by a delivery fault.
    pub resets: AtomicU64,
    /// Delivery faults taken from the queue.
    pub delivery_faults: AtomicU64,
    /// API requests per [`ApiEndpoint`], indexed by its discriminant.
    pub endpoints: [AtomicU64; ApiEndpoint::COUNT],
}

impl Counters {
    pub fn add(counter: &AtomicU64, amount: u64) {
        counter.fetch_add(amount, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// Builds the router for both hosts.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/accounts/{account_id}/stream", get(list::list_videos))
        .route("/accounts/{account_id}/stream/{uid}", get(video::get_video))
        .route(
            "/accounts/{account_id}/stream/{uid}/downloads",
            get(downloads::list_downloads)
                .post(downloads::create_default_download)
                .delete(downloads::delete_default_download),
        )
        .route(
            "/accounts/{account_id}/stream/{uid}/downloads/{download_type}",
            post(downloads::create_typed_download).delete(downloads::delete_typed_download),
        )
        .route(
            "/accounts/{account_id}/stream/{uid}/token",
            post(token::create_token),
        )
        .route(
            "/accounts/{account_id}/stream/{uid}/captions",
            get(captions::list_captions),
        )
        .route(
            "/accounts/{account_id}/stream/{uid}/captions/{language}",
            get(captions::get_caption),
        )
        .route(
            "/accounts/{account_id}/stream/{uid}/captions/{language}/vtt",
            get(captions::get_caption_vtt),
        )
        .route(
            "/accounts/{account_id}/stream/keys",
            get(keys::list_keys).post(keys::create_key),
        )
        .route(
            "/accounts/{account_id}/stream/keys/{key_id}",
            delete(keys::revoke_key),
        )
        .route_layer(from_fn_with_state(Arc::clone(&shared), auth::require_auth))
        .method_not_allowed_fallback(envelope::method_not_allowed)
        .fallback(envelope::no_route)
        .layer(from_fn_with_state(Arc::clone(&shared), api_guard::guard))
        .layer(from_fn_with_state(Arc::clone(&shared), count_api_request));

    Router::new()
        .nest("/client/v4", api)
        .route("/{id}/downloads/{file}", get(delivery::serve_download))
        .route("/{id}/thumbnails/{file}", get(thumbnail::serve_thumbnail))
        .fallback(delivery::not_found)
        .layer(from_fn_with_state(Arc::clone(&shared), add_date_header))
        .with_state(shared)
}

/// Sets `Date` from the emulator clock; hyper adds a real-time `Date` only when none is set.
async fn add_date_header(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let date = wire::http_date(shared.clock.now());
    let value = HeaderValue::from_str(&date).expect("an IMF-fixdate is a valid header value");
    response.headers_mut().insert(header::DATE, value);
    response
}

async fn count_api_request(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    Counters::add(&shared.counters.api_requests, 1);
    next.run(request).await
}
