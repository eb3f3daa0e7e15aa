//! Download bodies on the delivery host: byte counting, an optional rate limit, and an optional
//! cut when the token that authorised the request expires mid-body.
//!
//! Both controls are read before every chunk, so a test can change them while a body is being
//! sent. A cut ends the body stream with an error, which makes hyper drop the connection, so the
//! client receives fewer bytes than `Content-Length` announced.
//!
//! A [`BodyFault`] from an injected delivery fault can also slow one body down, or end it after
//! a number of bytes with a reset, a clean close or silence.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};
use tokio::time::Instant;

use super::{Counters, Shared};

/// Largest chunk handed to the connection.
const MAX_CHUNK: usize = 64 * 1024;

/// Number of chunks per second a throttled body is cut into, so the rate stays smooth and
/// controls are checked often.
const CHUNKS_PER_SECOND: u64 = 20;

/// Maximum time a silenced body keeps its connection open.
const SILENCE_LIMIT: Duration = Duration::from_secs(120);

/// Pause before a body ends early. hyper drops a connection whose body fails or ends short
/// without flushing its buffer, and a reset also discards data still unsent or unread, so the
/// pause lets the bytes before the fault reach the client.
const FLUSH_PAUSE: Duration = Duration::from_millis(200);

/// A fault for one body; the byte counts are relative to the start of the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyFault {
    None,
    /// Sends at this rate in bytes per second, overriding the global rate.
    Trickle(u64),
    /// Sends this many bytes, then resets the connection.
    ResetAfter(u64),
    /// Sends this many bytes, then nothing until the client leaves or the emulator stops.
    SilenceAfter(u64),
    /// Sends this many bytes, then ends the body cleanly.
    CloseAfter(u64),
}

impl BodyFault {
    /// Returns the number of bytes after which the body ends, if it ends early.
    fn stop_after(self) -> Option<u64> {
        match self {
            BodyFault::ResetAfter(bytes)
            | BodyFault::SilenceAfter(bytes)
            | BodyFault::CloseAfter(bytes) => Some(bytes),
            BodyFault::None | BodyFault::Trickle(_) => None,
        }
    }
}

/// Test controls for download bodies.
#[derive(Debug, Default)]
pub(crate) struct TransferControls {
    /// Bytes per second; 0 means unlimited.
    rate: AtomicU64,
    cut_on_token_expiry: AtomicBool,
}

impl TransferControls {
    /// Sets the rate limit in bytes per second; `None` or `Some(0)` removes it.
    pub fn set_rate(&self, bytes_per_second: Option<u64>) {
        self.rate
            .store(bytes_per_second.unwrap_or(0), Ordering::Relaxed);
    }

    /// Returns the rate limit, if any.
    pub fn rate(&self) -> Option<u64> {
        Some(self.rate.load(Ordering::Relaxed)).filter(|rate| *rate > 0)
    }

    /// Turns the cut on token expiry on or off.
    pub fn set_cut_on_token_expiry(&self, enabled: bool) {
        self.cut_on_token_expiry.store(enabled, Ordering::Relaxed);
    }

    /// Returns whether bodies are cut when their token expires.
    pub fn cut_on_token_expiry(&self) -> bool {
        self.cut_on_token_expiry.load(Ordering::Relaxed)
    }
}

/// State of one body being sent.
struct Sender {
    shared: Arc<Shared>,
    source: BoxStream<'static, io::Result<Bytes>>,
    /// Bytes read from `source` and not sent yet.
    pending: Bytes,
    /// `exp` of the token that authorised the request, in Unix seconds.
    token_exp: Option<i64>,
    uid: String,
    /// Rate, start and bytes sent of the current throttling period; a rate change starts a new one.
    throttle: Option<(u64, Instant, u64)>,
    fault: BodyFault,
    peer: SocketAddr,
    /// Body bytes handed out so far.
    sent: u64,
    done: bool,
}

/// The destination of a body and the fault it carries.
pub(crate) struct BodyTarget {
    pub uid: String,
    pub peer: SocketAddr,
    pub fault: BodyFault,
}

/// Wraps a media stream into a response body that applies the transfer controls.
pub(crate) fn body(
    shared: Arc<Shared>,
    source: BoxStream<'static, io::Result<Bytes>>,
    token_exp: Option<i64>,
    target: BodyTarget,
) -> Body {
    let sender = Sender {
        shared,
        source,
        pending: Bytes::new(),
        token_exp,
        uid: target.uid,
        throttle: None,
        fault: target.fault,
        peer: target.peer,
        sent: 0,
        done: false,
    };
    Body::from_stream(stream::unfold(sender, |mut sender| async move {
        let item = sender.next_chunk().await?;
        Some((item, sender))
    }))
}

impl Sender {
    /// Returns the next chunk, an error that drops the connection, or `None` at the end.
    async fn next_chunk(&mut self) -> Option<io::Result<Bytes>> {
        if self.done {
            return None;
        }
        if let Some(limit) = self.fault.stop_after() {
            if self.sent >= limit {
                self.done = true;
                return self.end_by_fault().await;
            }
        }
        if self.pending.is_empty() {
            match self.source.next().await {
                None => return None,
                Some(Err(error)) => {
                    self.done = true;
                    tracing::error!(uid = self.uid, %error, "failed to read media mid-body");
                    return Some(Err(error));
                }
                Some(Ok(bytes)) => self.pending = bytes,
            }
        }

        let rate = match self.fault {
            BodyFault::Trickle(rate) => Some(rate),
            _ => self.shared.transfer.rate(),
        };
        let mut len = match rate {
            Some(rate) => self.wait_for_rate(rate).await,
            None => {
                self.throttle = None;
                self.pending.len().min(MAX_CHUNK)
            }
        };

        // Checked after the throttle's wait, so no chunk leaves after the token has expired.
        if let Some(error) = self.cut_if_expired() {
            self.done = true;
            return Some(Err(error));
        }

        if let Some(limit) = self.fault.stop_after() {
            len = len.min(usize::try_from(limit - self.sent).unwrap_or(usize::MAX));
        }
        let chunk = self.pending.split_to(len);
        self.sent += chunk.len() as u64;
        Counters::add(&self.shared.counters.delivered_bytes, chunk.len() as u64);
        Some(Ok(chunk))
    }

    /// Ends the body as its fault specifies, once the allowed bytes are sent.
    async fn end_by_fault(&mut self) -> Option<io::Result<Bytes>> {
        match self.fault {
            BodyFault::ResetAfter(_) => {
                tokio::time::sleep(FLUSH_PAUSE).await;
                self.shared.connections.mark_reset(self.peer);
                Counters::add(&self.shared.counters.resets, 1);
                tracing::info!(
                    uid = self.uid,
                    sent = self.sent,
                    "resetting the connection (injected fault)"
                );
                Some(Err(io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    "injected reset",
                )))
            }
            BodyFault::SilenceAfter(_) => {
                tracing::info!(
                    uid = self.uid,
                    sent = self.sent,
                    "body silenced (injected fault)"
                );
                let mut stopping = self.shared.stopping.subscribe();
                tokio::select! {
                    () = tokio::time::sleep(SILENCE_LIMIT) => {}
                    _ = stopping.wait_for(|stopping| *stopping) => {}
                }
                tracing::info!(
                    uid = self.uid,
                    "silenced body ended; dropping the connection"
                );
                Some(Err(io::Error::other("silence ended")))
            }
            BodyFault::CloseAfter(_) => {
                tokio::time::sleep(FLUSH_PAUSE).await;
                tracing::info!(
                    uid = self.uid,
                    sent = self.sent,
                    "body ended early (injected fault)"
                );
                None
            }
            BodyFault::None | BodyFault::Trickle(_) => None,
        }
    }

    /// Returns the error that cuts the body when the cut is on and the token has expired by
    /// the emulator clock.
    fn cut_if_expired(&self) -> Option<io::Error> {
        let exp = self.token_exp?;
        if !self.shared.transfer.cut_on_token_expiry() || self.shared.clock.unix_now() < exp {
            return None;
        }
        tracing::info!(
            uid = self.uid,
            "token expired mid-body; dropping the connection"
        );
        Some(io::Error::other(
            "the signed token expired during the transfer",
        ))
    }

    /// Sleeps until the next chunk fits the rate and returns its length.
    async fn wait_for_rate(&mut self, rate: u64) -> usize {
        let chunk_len = (rate / CHUNKS_PER_SECOND).clamp(1, MAX_CHUNK as u64) as usize;
        let len = self.pending.len().min(chunk_len);

        let (period_rate, start, sent) = match self.throttle {
            Some(period) if period.0 == rate => period,
            _ => (rate, Instant::now(), 0),
        };
        let sent_after = sent + len as u64;
        let due = start + Duration::from_secs_f64(sent_after as f64 / period_rate as f64);
        tokio::time::sleep_until(due).await;

        self.throttle = Some((period_rate, start, sent_after));
        len
    }
}
