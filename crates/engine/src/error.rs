//! The one error type of the engine, with a stable code for UIs and exit statuses.
//!
//! [`EngineError`] wraps the Stream client's [`offstream_stream::Error`] and adds the failures of
//! the download itself: a body that is not an MP4, a file that fails verification, a disk error,
//! a cancelled job. It is `Clone` (sources sit behind `Arc`) so that every waiter on a job gets
//! the same error. Messages name the video or file and what to do next. They never contain a
//! download URL, because a signed URL carries a token, nor any other secret.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Everything that can make a download or a catalog operation fail.
#[derive(Debug, Clone, thiserror::Error)]
pub enum EngineError {
    /// A Stream API call failed (authentication, not found, rate limited, network, ...).
    #[error(transparent)]
    Stream(Arc<offstream_stream::Error>),

    /// The video exists but Stream cannot offer a download of it yet.
    #[error("video '{uid}' is not ready to download: {detail}")]
    NotReady { uid: String, detail: String },

    /// The delivery host sent something that is not an MP4 or M4A file.
    #[error(
        "the download of video '{uid}' was rejected: {reason}. Nothing was saved; try again later"
    )]
    NotMp4 { uid: String, reason: String },

    /// A downloaded file failed verification before entering the library.
    #[error("file {} failed verification: {reason}", .path.display())]
    Verify { path: PathBuf, reason: String },

    /// Reading or writing a local file or folder failed.
    #[error("disk error on {}: {source}. Check free space and permissions of the library folder, then retry", .path.display())]
    Disk {
        path: PathBuf,
        #[source]
        source: Arc<io::Error>,
    },

    /// The volume of the library folder is full, or the file outgrew a size limit (ENOSPC,
    /// EDQUOT or EFBIG). The job pauses and keeps its partial file.
    #[error("the disk holding {} is full{}. The partial file is kept: free up space and the download resumes", .path.display(), needed_text(*.needed_bytes))]
    DiskFull {
        path: PathBuf,
        /// Bytes still to download (`Content-Length` minus the bytes on disk), when known.
        needed_bytes: Option<u64>,
        #[source]
        source: Option<Arc<io::Error>>,
    },

    /// The job was cancelled; a partial file is kept for a later resume.
    #[error("the download was cancelled")]
    Cancelled,

    /// Stream reported that preparing the download failed.
    #[error("Stream could not prepare the {download_type} download of video '{uid}': {reason}. Start the download again: Offstream then deletes and re-creates it on Stream")]
    DownloadFailed {
        uid: String,
        download_type: offstream_stream::DownloadType,
        reason: String,
    },

    /// A video requires signed URLs and no way to sign tokens is set up.
    #[error("video '{uid}' is private (it requires signed URLs), so its download needs a signed token: add or create a signing key (`offstream keys add` or `offstream keys create`, or Settings in the app), or allow the token endpoint")]
    SigningKeyNeeded { uid: String },

    /// The stored signing key cannot sign; the text names the problem, never the key.
    #[error(
        "the signing key cannot be used: {0}. Remove it and add the key again, or create a new one"
    )]
    SigningKey(String),

    /// The account no longer lists the signing key, so Cloudflare rejects its tokens.
    #[error("signing key {key_id} was revoked or deleted on Cloudflare, so its tokens are refused. Remove it and add or create a new key. Any partial file is kept for a resume")]
    SigningKeyRevoked { key_id: String },

    /// The delivery host kept refusing fresh tokens, or the token endpoint returned an unusable one.
    #[error("the signed token for video '{uid}' was refused: {detail}. Any partial file is kept for a resume")]
    TokenRejected { uid: String, detail: String },

    /// Tokens are refused and this computer's clock is far from Cloudflare's.
    #[error("this computer's clock is {} Cloudflare's, and the signed token for video '{uid}' was refused. Set the clock (turn on automatic time), then retry. Any partial file is kept for a resume", skew_text(*.skew_secs))]
    ClockSkew { uid: String, skew_secs: i64 },

    #[error("the delivery host responded with HTTP {status} to the download request of video '{uid}'{}", delivery_hint(*.status))]
    Delivery { uid: String, status: u16 },

    /// The transfer of a download body failed on the network; the partial file is kept.
    #[error("the download of video '{uid}' was interrupted: {detail}. The partial file is kept; retry to resume")]
    Network { uid: String, detail: String },

    /// The delivery host broke the HTTP contract (for example a malformed `Content-Range`).
    #[error("invalid response from the delivery host for video '{uid}': {detail}")]
    InvalidResponse { uid: String, detail: String },

    /// The SQLite catalog failed.
    #[error("catalog error: {detail}")]
    Catalog {
        detail: String,
        #[source]
        source: Option<Arc<rusqlite::Error>>,
    },

    /// No job with this id is known to this engine.
    #[error("no download job with id {0}; list the jobs to see the valid ids")]
    UnknownJob(i64),

    /// A setting or argument passed to the engine is unusable.
    #[error("invalid setting: {0}")]
    Config(String),

    /// A job task stopped without a result, which is a bug in the engine.
    #[error("internal error: {0}")]
    Internal(String),
}

fn delivery_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => ": the URL or its token was refused; retry to sign a fresh one",
        404 | 410 => ": the file is not there; retry to fetch a fresh download URL",
        429 => ": too many requests; wait a few minutes and retry",
        s if s >= 500 => ": the server failed; retry later",
        _ => "",
    }
}

/// Describes how much space a download still needs, for a message.
fn needed_text(needed_bytes: Option<u64>) -> String {
    match needed_bytes {
        Some(bytes) => format!(" ({} more is needed)", format_bytes(bytes)),
        None => String::new(),
    }
}

/// Formats a byte count with a binary unit (KiB, MiB, GiB), one decimal above bytes.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Says how far and which way the local clock is off, for a message.
fn skew_text(skew_secs: i64) -> String {
    let minutes = (skew_secs.unsigned_abs() + 30) / 60;
    let amount = if minutes == 0 {
        format!("{} s", skew_secs.unsigned_abs())
    } else {
        format!("{minutes} min")
    };
    // A positive skew means the server is ahead, so this computer is behind.
    if skew_secs >= 0 {
        format!("{amount} behind")
    } else {
        format!("{amount} ahead of")
    }
}

impl From<offstream_stream::Error> for EngineError {
    fn from(error: offstream_stream::Error) -> Self {
        Self::Stream(Arc::new(error))
    }
}

impl From<rusqlite::Error> for EngineError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Catalog {
            detail: error.to_string(),
            source: Some(Arc::new(error)),
        }
    }
}

impl EngineError {
    /// Builds a [`EngineError::Disk`] for `path`, or a [`EngineError::DiskFull`] when the
    /// error is ENOSPC, EDQUOT or EFBIG (bytes needed unknown).
    pub fn disk(path: impl Into<PathBuf>, source: io::Error) -> Self {
        if is_disk_full(&source) {
            return Self::DiskFull {
                path: path.into(),
                needed_bytes: None,
                source: Some(Arc::new(source)),
            };
        }
        Self::Disk {
            path: path.into(),
            source: Arc::new(source),
        }
    }

    /// Returns a stable machine-readable code: `auth`, `not_found`, `rate_limited`, `network`,
    /// `server`, `invalid_response`, `not_ready`, `not_mp4`, `verify_failed`, `disk`,
    /// `disk_full`, `cancelled`, `download_error`, `signing_key_needed`, `signing_key_invalid`,
    /// `signing_key_revoked`, `token_rejected`, `clock_skew`, `catalog`, `unknown_job`,
    /// `config`, `internal` or `api`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Stream(error) => error.code(),
            Self::NotReady { .. } => "not_ready",
            Self::NotMp4 { .. } => "not_mp4",
            Self::Verify { .. } => "verify_failed",
            Self::Disk { .. } => "disk",
            Self::DiskFull { .. } => "disk_full",
            Self::Cancelled => "cancelled",
            Self::DownloadFailed { .. } => "download_error",
            Self::SigningKeyNeeded { .. } => "signing_key_needed",
            Self::SigningKey(_) => "signing_key_invalid",
            Self::SigningKeyRevoked { .. } => "signing_key_revoked",
            Self::TokenRejected { .. } => "token_rejected",
            Self::ClockSkew { .. } => "clock_skew",
            Self::Delivery { status, .. } => match status {
                401 | 403 => "auth",
                404 | 410 => "not_found",
                429 => "rate_limited",
                s if *s >= 500 => "server",
                _ => "invalid_response",
            },
            Self::Network { .. } => "network",
            Self::InvalidResponse { .. } => "invalid_response",
            Self::Catalog { .. } => "catalog",
            Self::UnknownJob(_) => "unknown_job",
            Self::Config(_) => "config",
            Self::Internal(_) => "internal",
        }
    }

    /// Returns true for errors that may go away by trying again later: network failures,
    /// server errors, rate limits and delivery responses of 404/408/429/5xx.
    ///
    /// [`EngineError::NotReady`] is not transient here: a video that is still processing takes
    /// minutes to hours, so the job fails and the user retries later.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Stream(error) => {
                error.is_transient() && !matches!(**error, offstream_stream::Error::NotReady { .. })
            }
            Self::Network { .. } => true,
            Self::Delivery { status, .. } => matches!(status, 404 | 408 | 429) || *status >= 500,
            _ => false,
        }
    }

    /// Returns true for a 401 or 403 from the delivery host: a refused URL or token.
    pub fn is_auth_refusal(&self) -> bool {
        matches!(
            self,
            Self::Delivery {
                status: 401 | 403,
                ..
            }
        )
    }

    /// Returns the `{code, message}` pair that the UI and the catalog store.
    pub fn info(&self) -> ErrorInfo {
        ErrorInfo {
            code: self.code().to_owned(),
            message: self.to_string(),
        }
    }
}

/// Returns true for the write errors that mean "no room": ENOSPC (`StorageFull`), EDQUOT
/// (`QuotaExceeded`) and EFBIG (`FileTooLarge`, also raised by a process file size limit).
pub fn is_disk_full(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded | io::ErrorKind::FileTooLarge
    )
}

/// A failure as the UI receives it: a stable code to branch on and a message to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ErrorInfo {
    /// Stable code such as `network` or `not_mp4`; see [`EngineError::code`].
    pub code: String,
    /// Human-readable message without secrets.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_error_keeps_code() {
        let error: EngineError = offstream_stream::Error::NotFound {
            what: "video 'abc'".into(),
        }
        .into();
        assert_eq!(error.code(), "not_found");
    }

    #[test]
    fn stream_not_ready_is_not_transient() {
        let error: EngineError = offstream_stream::Error::NotReady {
            what: "video 'abc'".into(),
            detail: "processing".into(),
        }
        .into();
        assert!(!error.is_transient());
    }

    #[test]
    fn stream_network_is_transient() {
        let error: EngineError = offstream_stream::Error::Network {
            host: "127.0.0.1".into(),
            detail: "refused".into(),
        }
        .into();
        assert!(error.is_transient());
        assert_eq!(error.code(), "network");
    }

    #[test]
    fn delivery_codes_follow_status() {
        let cases = [
            (403, "auth", false),
            (404, "not_found", true),
            (429, "rate_limited", true),
            (503, "server", true),
            (400, "invalid_response", false),
        ];
        for (status, code, transient) in cases {
            let error = EngineError::Delivery {
                uid: "abc".into(),
                status,
            };
            assert_eq!(error.code(), code, "status {status}");
            assert_eq!(error.is_transient(), transient, "status {status}");
        }
    }

    #[test]
    fn disk_message_names_path() {
        let error = EngineError::disk(
            "/library/a.mp4.part",
            io::Error::new(io::ErrorKind::PermissionDenied, "denied"),
        );
        assert!(error.to_string().contains("/library/a.mp4.part"));
        assert_eq!(error.code(), "disk");
    }

    #[test]
    fn disk_full_kinds_map_to_disk_full() {
        let kinds = [
            io::ErrorKind::StorageFull,
            io::ErrorKind::QuotaExceeded,
            io::ErrorKind::FileTooLarge,
        ];
        for kind in kinds {
            let error = EngineError::disk("/library/a.mp4.part", io::Error::from(kind));
            assert_eq!(error.code(), "disk_full", "{kind:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn disk_full_from_raw_enospc() {
        // ENOSPC is 28 on Linux and macOS; the OS error must map like the portable kind.
        let error = EngineError::disk("/library/a.part", io::Error::from_raw_os_error(28));
        assert_eq!(error.code(), "disk_full");
    }

    #[test]
    fn disk_full_message_names_need() {
        let error = EngineError::DiskFull {
            path: "/library/a.mp4.part".into(),
            needed_bytes: Some(3 * 1024 * 1024 / 2),
            source: None,
        };
        let text = error.to_string();
        assert!(text.contains("is full"), "{text}");
        assert!(text.contains("1.5 MiB more is needed"), "{text}");
        assert!(text.contains("partial file is kept"), "{text}");
    }

    #[test]
    fn format_bytes_picks_unit() {
        assert_eq!(format_bytes(512), "512 bytes");
        assert_eq!(format_bytes(2048), "2.0 KiB");
        assert_eq!(format_bytes(5 * 1024 * 1024 * 1024), "5.0 GiB");
    }

    #[test]
    fn info_carries_code_and_message() {
        let info = EngineError::Cancelled.info();
        assert_eq!(info.code, "cancelled");
        assert_eq!(info.message, "the download was cancelled");
    }
}
