//! One-shot faults that tests queue for the delivery host and the API, and the per-file
//! overrides that some delivery faults leave behind.
//!
//! Main types: [`DeliveryFault`] and [`ApiFault`] (public), [`FaultState`] (the queues behind
//! [`crate::RunningEmulator::inject_delivery_fault`] and
//! [`crate::RunningEmulator::inject_api_fault`]) and [`DeliveryRecord`], one logged delivery
//! request. Invariants: queued faults apply in the order they were queued, each to exactly one
//! request. A delivery fault is taken only by a `GET` that would otherwise serve a body, so
//! `HEAD` requests and 404s for unready downloads never use one up.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use time::OffsetDateTime;

use crate::error::Error;
use crate::media::MediaFile;
use crate::model::DownloadType;

/// A fault for one download request on the delivery host.
///
/// Offsets are positions in the file, not in the response body: `ResetAt(5000)` on a request
/// for `bytes=4000-` sends 1000 body bytes. An offset at or before the start of the body cuts
/// it before the first byte. An offset at or beyond its end leaves the body whole.
#[derive(Debug, Clone)]
pub enum DeliveryFault {
    /// Sends the headers and the body up to the offset, then resets the TCP connection
    /// (`SO_LINGER` 0), so the client reads an error such as `ECONNRESET`.
    ResetAt(u64),
    /// Sends the headers and the body up to the offset, then nothing while the connection stays
    /// open, until the client disconnects, the emulator stops or 120 seconds pass.
    ///
    /// NOTE: noticing a disconnect is left to hyper and is untested. The end on shutdown is tested.
    SilenceAt(u64),
    /// Sends the headers, then nothing, as [`DeliveryFault::SilenceAt`] does.
    HeadersThenSilence,
    /// Sends the whole body at this rate in bytes per second.
    Trickle {
        /// Rate in bytes per second; must be at least 1.
        bytes_per_second: u64,
    },
    /// Ends the body cleanly at the offset, before `Content-Length` is reached, so the
    /// connection closes with a FIN instead of a reset.
    CloseAt(u64),
    /// Responds to a `Range` request with 200 and the whole file, as servers that ignore ranges do.
    /// A request without `Range` is served normally.
    IgnoreRange,
    /// Responds to a `Range` request with 206 whose `Content-Range` starts elsewhere and the bytes
    /// from that start: byte 0 when the request starts later, otherwise the middle of the
    /// requested range. A request without a satisfiable range is served normally.
    WrongContentRange,
    /// Responds with this status and an error body instead of the file.
    Status {
        /// HTTP status, 400 to 599.
        status: u16,
        /// `Retry-After` in seconds, if any.
        retry_after: Option<u64>,
        /// An HTML page as a CDN sends (`true`) or the API's JSON envelope (`false`).
        html: bool,
    },
    /// Responds with 200, `Content-Type: text/html` and an HTML page, as a captive portal does.
    HtmlOk,
    /// Serves the same bytes under a new `ETag` from this request on, as CDN edges whose
    /// validators differ do. `Last-Modified` stays the same.
    ChangeEtag,
    /// Replaces the file's bytes from this request on, with a new `ETag`, length and
    /// `Last-Modified`, so a resumed download must restart.
    ReplaceContent(MediaFile),
}

impl DeliveryFault {
    /// Checks the values a fault carries.
    ///
    /// # Errors
    /// Returns [`Error::InvalidFault`] for a status outside 400..=599 or a zero trickle rate.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        match self {
            DeliveryFault::Status { status, .. } => validate_error_status(*status),
            DeliveryFault::Trickle {
                bytes_per_second: 0,
            } => Err(Error::InvalidFault(
                "trickle rate 0 bytes per second: use at least 1, or HeadersThenSilence for no bytes"
                    .to_owned(),
            )),
            _ => Ok(()),
        }
    }
}

/// A fault for one API request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiFault {
    /// Responds to the next API request with this status instead of running it.
    Status {
        /// HTTP status, 400 to 599. A 429 carries error code 971, like the real rate limit.
        status: u16,
        /// `Retry-After` in seconds, if any.
        retry_after: Option<u64>,
        /// An HTML page, as an edge proxy sends for 502 or 503 (`true`), or the JSON envelope.
        html: bool,
    },
}

impl ApiFault {
    fn validate(&self) -> Result<(), Error> {
        match self {
            ApiFault::Status { status, .. } => validate_error_status(*status),
        }
    }
}

fn validate_error_status(status: u16) -> Result<(), Error> {
    if (400..=599).contains(&status) {
        return Ok(());
    }
    Err(Error::InvalidFault(format!(
        "status {status} is not an error status: use 400 to 599"
    )))
}

/// One request for a download file that reached a servable download, for test assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// Uid of the video (also when the URL carried a signed token).
    pub uid: String,
    /// The requested file.
    pub kind: DownloadType,
    /// `GET` or `HEAD`.
    pub method: String,
    /// The `Range` header as sent, if any.
    pub range: Option<String>,
    /// The `If-Range` header as sent, if any.
    pub if_range: Option<String>,
    /// Status of the response.
    pub status: u16,
}

/// Changes that [`DeliveryFault::ChangeEtag`] and [`DeliveryFault::ReplaceContent`] made to
/// one file.
#[derive(Debug, Clone, Default)]
pub(crate) struct FileOverride {
    /// Replacement bytes, if any.
    pub media: Option<MediaFile>,
    /// Number of `ChangeEtag` faults applied; 0 keeps the content hash as the `ETag`.
    pub etag_generation: u32,
    /// `Last-Modified` of the replacement bytes.
    pub last_modified: Option<OffsetDateTime>,
}

#[derive(Debug)]
struct QueuedDeliveryFault {
    uid: Option<String>,
    fault: DeliveryFault,
}

#[derive(Debug, Default)]
struct Inner {
    delivery: VecDeque<QueuedDeliveryFault>,
    api: VecDeque<ApiFault>,
    overrides: HashMap<(String, DownloadType), FileOverride>,
    log: Vec<DeliveryRecord>,
}

/// Queued faults, file overrides and the delivery request log, behind one short-held mutex.
#[derive(Debug, Default)]
pub(crate) struct FaultState {
    inner: Mutex<Inner>,
}

impl FaultState {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a delivery fault for any video (`uid` `None`) or for one video.
    ///
    /// # Errors
    /// Returns [`Error::InvalidFault`] when the fault carries an unusable value.
    pub fn push_delivery(&self, uid: Option<String>, fault: DeliveryFault) -> Result<(), Error> {
        fault.validate()?;
        self.lock()
            .delivery
            .push_back(QueuedDeliveryFault { uid, fault });
        Ok(())
    }

    /// Removes and returns the first queued fault that applies to `uid`.
    pub fn take_delivery(&self, uid: &str) -> Option<DeliveryFault> {
        let mut inner = self.lock();
        let index = inner
            .delivery
            .iter()
            .position(|queued| queued.uid.as_deref().is_none_or(|only| only == uid))?;
        inner.delivery.remove(index).map(|queued| queued.fault)
    }

    /// Queues an API fault.
    ///
    /// # Errors
    /// Returns [`Error::InvalidFault`] when the fault carries an unusable value.
    pub fn push_api(&self, fault: ApiFault) -> Result<(), Error> {
        fault.validate()?;
        self.lock().api.push_back(fault);
        Ok(())
    }

    /// Removes and returns the next API fault.
    pub fn take_api(&self) -> Option<ApiFault> {
        self.lock().api.pop_front()
    }

    /// Returns the number of faults still queued for the delivery host and the API.
    pub fn pending(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.delivery.len(), inner.api.len())
    }

    /// Returns the overrides of one file, if any fault changed it.
    pub fn file_override(&self, uid: &str, kind: DownloadType) -> Option<FileOverride> {
        self.lock().overrides.get(&(uid.to_owned(), kind)).cloned()
    }

    /// Changes the overrides of one file and returns the new value.
    pub fn update_override(
        &self,
        uid: &str,
        kind: DownloadType,
        change: impl FnOnce(&mut FileOverride),
    ) -> FileOverride {
        let mut inner = self.lock();
        let entry = inner.overrides.entry((uid.to_owned(), kind)).or_default();
        change(entry);
        entry.clone()
    }

    /// Appends one request to the delivery log.
    pub fn record(&self, record: DeliveryRecord) {
        self.lock().log.push(record);
    }

    /// Returns the delivery log, oldest first.
    pub fn records(&self) -> Vec<DeliveryRecord> {
        self.lock().log.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_delivery_skips_other_uids() {
        let state = FaultState::default();
        state
            .push_delivery(Some("a".to_owned()), DeliveryFault::CloseAt(1))
            .unwrap();
        state.push_delivery(None, DeliveryFault::HtmlOk).unwrap();

        let for_b = state.take_delivery("b");
        let for_a = state.take_delivery("a");

        assert!(matches!(for_b, Some(DeliveryFault::HtmlOk)));
        assert!(matches!(for_a, Some(DeliveryFault::CloseAt(1))));
        assert!(state.take_delivery("a").is_none());
    }

    #[test]
    fn validate_rejects_success_status() {
        let fault = DeliveryFault::Status {
            status: 200,
            retry_after: None,
            html: true,
        };

        assert!(fault.validate().is_err());
    }

    #[test]
    fn validate_rejects_zero_trickle() {
        let fault = DeliveryFault::Trickle {
            bytes_per_second: 0,
        };

        assert!(fault.validate().is_err());
    }
}
