//! Starting, addressing and stopping the loopback server.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use tokio::runtime::Handle;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use crate::handler::{handle, ServerState};
use crate::library::{ContentType, Library, MediaFile};
use crate::secret::UrlSecret;

/// How long [`MediaServer::shutdown`] waits for open connections before it stops waiting.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running loopback media server and its table of servable files.
///
/// Dropping the handle stops the listener too; [`MediaServer::shutdown`] also waits for it.
pub struct MediaServer {
    local_addr: SocketAddr,
    state: Arc<ServerState>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl MediaServer {
    /// Starts the server on the current tokio runtime, bound to `127.0.0.1` on a port the OS
    /// picks, with a new random URL secret.
    ///
    /// # Errors
    ///
    /// Returns [`Error::NoRuntime`] when called outside a tokio runtime and [`Error::Bind`]
    /// when the loopback port cannot be opened.
    pub fn start() -> Result<Self> {
        let runtime = Handle::try_current().map_err(|_| Error::NoRuntime)?;
        Self::start_on(&runtime)
    }

    /// Starts the server on the given tokio runtime, for callers such as a Tauri setup hook
    /// that are not running inside the runtime themselves.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Bind`] when the loopback port cannot be opened.
    pub fn start_on(runtime: &Handle) -> Result<Self> {
        // Binding with std keeps this function synchronous; tokio adopts the socket below.
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(|source| Error::Bind { source })?;
        listener
            .set_nonblocking(true)
            .map_err(|source| Error::Bind { source })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| Error::Bind { source })?;
        let listener = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(listener).map_err(|source| Error::Bind { source })?
        };

        let state = Arc::new(ServerState {
            secret: UrlSecret::generate(),
            library: Arc::new(Library::default()),
            shutdown: CancellationToken::new(),
        });
        let router = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&state));
        let stop = state.shutdown.clone();
        let port = local_addr.port();

        let task = runtime.spawn(async move {
            let server =
                axum::serve(listener, router).with_graceful_shutdown(stop.cancelled_owned());
            if let Err(error) = server.await {
                tracing::error!(port, %error, "media server failed");
            }
            tracing::info!(port, "media server stopped");
        });
        tracing::info!(port, "media server listening on 127.0.0.1");

        Ok(Self {
            local_addr,
            state,
            task: Mutex::new(Some(task)),
        })
    }

    /// Returns the address the server listens on (always 127.0.0.1).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Returns `http://127.0.0.1:PORT`, the origin to allow in the webview's CSP `media-src`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// Returns the URL that serves catalog id `id`. The URL works only while `id` is
    /// registered and contains the secret, so treat it like a password: don't log it.
    pub fn url_for(&self, id: i64) -> String {
        format!(
            "{}/{}/media/{id}",
            self.origin(),
            self.state.secret.as_str()
        )
    }

    /// Registers `path` under catalog id `id`, replacing an earlier registration of `id`.
    ///
    /// Reads the file's metadata synchronously (one `stat`). The server stores the length and
    /// modification time, and rejects the file with 410 if either changes later.
    ///
    /// # Errors
    ///
    /// Returns [`Error::FileNotFound`], [`Error::NotAFile`] or [`Error::Io`] when `path` is
    /// not a readable regular file; the previous registration of `id`, if any, is kept.
    pub fn register(&self, id: i64, path: PathBuf, content_type: ContentType) -> Result<()> {
        self.state.library.register(id, path, content_type)
    }

    /// Stops serving `id`; returns whether it was registered.
    pub fn unregister(&self, id: i64) -> bool {
        self.state.library.unregister(id)
    }

    /// Replaces all registrations with `files` in one step and returns one error for each
    /// file that could not be registered (those ids are not served).
    ///
    /// Reads each file's metadata synchronously; async callers with thousands of files should
    /// call this from `spawn_blocking`.
    pub fn replace_all(&self, files: impl IntoIterator<Item = MediaFile>) -> Vec<Error> {
        self.state.library.replace_all(files)
    }

    /// Returns whether `id` is registered.
    pub fn is_registered(&self, id: i64) -> bool {
        self.state.library.contains(id)
    }

    /// Stops accepting connections, ends bodies that are still streaming, and waits up to five
    /// seconds for the server task to finish. Calling it again does nothing.
    pub async fn shutdown(&self) {
        self.state.shutdown.cancel();

        let task = self
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(mut task) = task else {
            return;
        };
        // NOTE: a connection whose client stopped reading can outlive this wait, because axum
        // runs each connection as its own task. Such a connection ends when the client disconnects.
        if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
            .await
            .is_err()
        {
            tracing::warn!(
                port = self.local_addr.port(),
                "media server did not stop in time"
            );
            task.abort();
        }
    }
}

impl Drop for MediaServer {
    fn drop(&mut self) {
        self.state.shutdown.cancel();
    }
}

impl fmt::Debug for MediaServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaServer")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}
