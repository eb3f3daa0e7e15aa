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
use crate::library::{CaptionSource, ContentType, Library, MediaFile};
use crate::resource::Resource;
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
            media: Arc::new(Library::default()),
            thumbnails: Arc::new(Library::default()),
            captions: Arc::new(Library::default()),
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
        self.url_of(&Resource::Media(id))
            .expect("a media id always forms a URL path")
    }

    /// Returns the URL that serves the thumbnail of video `uid`, or `None` when the uid has
    /// characters other than ASCII letters, digits, `-` and `_`. Like [`MediaServer::url_for`],
    /// it contains the secret.
    pub fn thumbnail_url(&self, uid: &str) -> Option<String> {
        self.url_of(&Resource::Thumbnail(uid.to_owned()))
    }

    /// Returns the URL that serves the `language` captions of catalog id `id`, or `None` when
    /// the tag has characters other than ASCII letters, digits and `-`. Like
    /// [`MediaServer::url_for`], it contains the secret.
    pub fn caption_url(&self, id: i64, language: &str) -> Option<String> {
        self.url_of(&Resource::Caption {
            id,
            language: language.to_owned(),
        })
    }

    fn url_of(&self, resource: &Resource) -> Option<String> {
        let path = resource.path()?;
        Some(format!(
            "{}/{}/{path}",
            self.origin(),
            self.state.secret.as_str()
        ))
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
        self.state
            .media
            .register(Resource::Media(id), path, content_type)
    }

    /// Stops serving `id` and its captions; returns whether `id` was registered.
    pub fn unregister(&self, id: i64) -> bool {
        self.state.captions.unregister_where(
            |resource| matches!(resource, Resource::Caption { id: of, .. } if *of == id),
        );
        self.state.media.unregister(&Resource::Media(id))
    }

    /// Replaces all media registrations with `files` in one step and returns one error for
    /// each file that could not be registered (those ids are not served). Thumbnails and
    /// captions keep their registrations.
    ///
    /// Reads each file's metadata synchronously; async callers with thousands of files should
    /// call this from `spawn_blocking`.
    pub fn replace_all(&self, files: impl IntoIterator<Item = MediaFile>) -> Vec<Error> {
        self.state.media.replace_all(
            files
                .into_iter()
                .map(|file| (Resource::Media(file.id), file.path, file.content_type)),
        )
    }

    /// Returns whether `id` is registered.
    pub fn is_registered(&self, id: i64) -> bool {
        self.state.media.contains(&Resource::Media(id))
    }

    /// Returns whether the `language` captions of `id` are registered.
    pub fn is_caption_registered(&self, id: i64, language: &str) -> bool {
        self.state.captions.contains(&Resource::Caption {
            id,
            language: language.to_owned(),
        })
    }

    /// Registers the JPEG at `path` as the thumbnail of video `uid`, replacing an earlier one.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidName`] for a uid that cannot form a URL, and the errors of
    /// [`MediaServer::register`].
    pub fn register_thumbnail(&self, uid: &str, path: PathBuf) -> Result<()> {
        self.state.thumbnails.register(
            Resource::Thumbnail(uid.to_owned()),
            path,
            ContentType::ImageJpeg,
        )
    }

    /// Replaces all thumbnail registrations with `(uid, path)` pairs in one step and returns
    /// one error for each that could not be registered. Reads each file's metadata
    /// synchronously, like [`MediaServer::replace_all`].
    pub fn replace_thumbnails(
        &self,
        thumbnails: impl IntoIterator<Item = (String, PathBuf)>,
    ) -> Vec<Error> {
        self.state.thumbnails.replace_all(
            thumbnails
                .into_iter()
                .map(|(uid, path)| (Resource::Thumbnail(uid), path, ContentType::ImageJpeg)),
        )
    }

    /// Replaces all caption registrations with `captions` in one step and returns one error
    /// for each file that could not be registered. Reads each file's metadata synchronously,
    /// like [`MediaServer::replace_all`].
    pub fn replace_captions(
        &self,
        captions: impl IntoIterator<Item = CaptionSource>,
    ) -> Vec<Error> {
        self.state
            .captions
            .replace_all(captions.into_iter().map(|caption| {
                (
                    Resource::Caption {
                        id: caption.id,
                        language: caption.language,
                    },
                    caption.path,
                    ContentType::TextVtt,
                )
            }))
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
