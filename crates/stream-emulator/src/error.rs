//! The error type for starting the emulator and for injecting faults.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Failures of [`crate::Emulator::start`] and of the fault injection calls.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration value is unusable; the message names it and the accepted form.
    #[error("invalid emulator configuration: {0}")]
    InvalidConfig(String),

    /// A fault passed to an `inject_*` call carries an unusable value; the message names it.
    #[error("invalid fault: {0}")]
    InvalidFault(String),

    /// The listening socket could not be opened.
    #[error("failed to listen on {addr}: {source}; pick another --port or use 0 for a free one")]
    Bind {
        /// Address that was requested.
        addr: SocketAddr,
        /// Error from the operating system.
        source: io::Error,
    },

    /// A seed file or folder could not be read or is not an MP4.
    #[error("failed to seed from {path}: {source}")]
    Seed {
        /// File or folder that failed.
        path: PathBuf,
        /// Underlying error.
        source: io::Error,
    },
}
