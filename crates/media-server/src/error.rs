//! Errors from starting the server and registering files.

use std::io;
use std::path::PathBuf;

use crate::resource::Resource;

/// Returns `T` or the media server's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Failures a caller of the media server can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server was started outside a tokio runtime.
    #[error(
        "no tokio runtime is running: call MediaServer::start from inside a tokio runtime, \
         or pass a runtime handle to MediaServer::start_on"
    )]
    NoRuntime,

    /// The loopback listener could not be opened.
    #[error("failed to bind the media server to 127.0.0.1: {source}")]
    Bind {
        /// The error from the operating system.
        source: io::Error,
    },

    /// A file to register does not exist.
    #[error(
        "the {resource} was not found at {}; check that the folder is still there",
        path.display()
    )]
    FileNotFound {
        /// The resource the file was registered for.
        resource: Resource,
        /// The path that was checked.
        path: PathBuf,
    },

    /// A path to register is a directory or another non-regular file.
    #[error("the path {} for the {resource} is not a regular file", path.display())]
    NotAFile {
        /// The resource the file was registered for.
        resource: Resource,
        /// The path that was checked.
        path: PathBuf,
    },

    /// Reading the metadata of a file to register failed.
    #[error("failed to read the {resource} at {}: {source}", path.display())]
    Io {
        /// The resource the file was registered for.
        resource: Resource,
        /// The path that was checked.
        path: PathBuf,
        /// The error from the operating system.
        source: io::Error,
    },

    /// A uid or language tag to register contains characters a URL path segment cannot carry
    /// unescaped (only ASCII letters, digits, `-`, and `_` in uids, are allowed).
    #[error("the {resource} cannot be served: its name has characters other than ASCII letters, digits, '-' and '_'")]
    InvalidName {
        /// The rejected registration.
        resource: Resource,
    },
}
