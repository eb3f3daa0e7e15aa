//! The axum application: the v4 API under `/client/v4` and the delivery host at the root.
//!
//! One server plays both hosts so a test needs a single port. Handlers share [`Shared`]: the
//! store behind a `std::sync::Mutex` (held only for short, non-async sections, so tests can
//! mutate the library while requests are served) and lock-free counters.

mod auth;
mod delivery;
mod downloads;
mod envelope;
mod list;
mod range;
mod video;
mod wire;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::{Request, State};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use crate::config::EmulatorConfig;
use crate::store::Store;

/// State shared by all handlers and by [`crate::RunningEmulator`].
pub(crate) struct Shared {
    pub config: EmulatorConfig,
    /// `http://127.0.0.1:PORT`, the origin of every URL the emulator hands out.
    pub origin: String,
    pub counters: Counters,
    store: Mutex<Store>,
}

impl Shared {
    pub fn new(config: EmulatorConfig, origin: String, store: Store) -> Self {
        Self {
            config,
            origin,
            counters: Counters::default(),
            store: Mutex::new(store),
        }
    }

    /// Locks the store. A panic in another holder leaves the data usable, so poisoning is ignored.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Request and traffic counters for test assertions.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub api_requests: AtomicU64,
    pub delivery_requests: AtomicU64,
    pub delivered_bytes: AtomicU64,
}

impl Counters {
    pub fn add(counter: &AtomicU64, amount: u64) {
        counter.fetch_add(amount, Ordering::Relaxed);
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
        .route_layer(from_fn_with_state(Arc::clone(&shared), auth::require_auth))
        .method_not_allowed_fallback(envelope::method_not_allowed)
        .fallback(envelope::no_route)
        .layer(from_fn_with_state(Arc::clone(&shared), count_api_request));

    Router::new()
        .nest("/client/v4", api)
        .route("/{id}/downloads/{file}", get(delivery::serve_download))
        .fallback(delivery::not_found)
        .with_state(shared)
}

async fn count_api_request(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    Counters::add(&shared.counters.api_requests, 1);
    next.run(request).await
}
