//! Streams one download body into `NAME.part`, resuming when it safely can, and verifies it.
//!
//! Invariants:
//! - Memory stays flat: chunks go through a bounded queue to a writer thread that hashes and
//!   writes them as they arrive (on a resume, after hashing the existing prefix), so hashing
//!   and disk writes overlap with receiving.
//! - Nothing is written before the first bytes proved to be an `ftyp` box, so an error page is
//!   never saved, and an existing `.part` is never truncated for one.
//! - A resume requests the last bytes of the `.part` again (an overlap of up to
//!   [`RESUME_OVERLAP`]). It extends the `.part` only by a `206` whose `Content-Range` starts at
//!   the overlap and whose total equals the size recorded when the download began. The overlap
//!   must also equal the bytes on disk. Validators (`ETag`, `Last-Modified`) are recorded and
//!   logged but never decide alone, because CDN nodes and tokenised URLs change them for
//!   identical bytes. A different overlap means the file changed, so the download starts over.
//!   A `200` truncates the `.part` and starts over from the new body; it never appends a full
//!   body to a partial one. A `416` for a complete `.part` sends it to verification.
//! - Cancellation, a network error, a full disk or a body that ends early keep the `.part` for
//!   a later resume. A body whose size is known is not written when the volume lacks room for
//!   it ([`EngineError::DiskFull`]). A complete file that fails verification is deleted,
//!   because resuming it would only fail again.
//! - The request carries no `Authorization` header, and no log line or error contains the URL,
//!   which can contain a signed token. Logs name the uid and the job id.
//!
//! [`download`] ends with a verified `.part`; [`commit`] renames it into the library.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, LAST_MODIFIED, RANGE};
use reqwest::{Response, StatusCode};
use sha2::{Digest, Sha256};
use tokio::fs::{File, OpenOptions};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use offstream_stream::ServerClock;

use crate::disk_writer::DiskWriter;
use crate::error::EngineError;
use crate::job::JobId;
use crate::names::PART_SUFFIX;
use crate::space;
use crate::verify::{self, Mp4Info, SNIFF_LEN};

/// Size of the reads that hash an existing `.part` prefix.
const HASH_CHUNK_BYTES: usize = 1024 * 1024;

/// Bytes before the end of a `.part` that a resume requests again, to prove by comparison
/// that the server still serves the same file. A shorter `.part` is requested whole.
pub const RESUME_OVERLAP: u64 = 64 * 1024;

/// The source URL and target file of one transfer.
#[derive(Debug)]
pub struct TransferRequest<'a> {
    /// Client for the delivery host; it must send no API credentials.
    pub http: &'a reqwest::Client,
    /// The download URL. It may hold a signed token: never log it.
    pub url: &'a str,
    /// Video uid, for logs and errors.
    pub uid: &'a str,
    /// Job id, for logs.
    pub job_id: JobId,
    /// The `.part` file, which may already hold a prefix.
    pub part_path: &'a Path,
    /// Size of the whole file as an earlier attempt learned it; a resume needs it.
    pub expected_total: Option<u64>,
    /// Duration Stream reported, checked against the file's.
    pub expected_duration: Option<f64>,
    /// Minimum time between two progress events.
    pub progress_interval: Duration,
    /// Stops the transfer promptly; the `.part` is kept.
    pub cancel: &'a CancellationToken,
    /// Learns the server's time from each response's `Date` header, so a token refused for
    /// its times is re-signed with corrected ones.
    pub clock: Option<&'a ServerClock>,
    /// Validators of an earlier response for this file, logged when a resume receives others.
    pub known_validators: Option<&'a Validators>,
}

/// The `ETag` and `Last-Modified` headers of a delivery response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// `ETag`, without a weak `W/` prefix, so weak and strong forms of one tag compare equal.
    pub etag: Option<String>,
    /// `Last-Modified`, as sent.
    pub last_modified: Option<String>,
}

impl Validators {
    /// Reads the validators of a response.
    fn of(response: &Response) -> Self {
        let etag = header_text(response, ETAG.as_str()).map(|value| {
            let value = value.trim();
            value.strip_prefix("W/").unwrap_or(value).to_owned()
        });
        Self {
            etag,
            last_modified: header_text(response, LAST_MODIFIED.as_str())
                .map(|value| value.trim().to_owned()),
        }
    }

    /// Returns true when both responses carry a validator of the same kind and it differs.
    fn differs_from(&self, other: &Self) -> bool {
        let differs =
            |a: &Option<String>, b: &Option<String>| matches!((a, b), (Some(a), Some(b)) if a != b);
        differs(&self.etag, &other.etag) || differs(&self.last_modified, &other.last_modified)
    }
}

/// Progress of a transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferEvent {
    /// The delivery host responded with a file; these are its validators. Sent once per
    /// successful response, before `Started`.
    Responded { validators: Validators },
    /// The delivery host responded; `offset` bytes were already on disk.
    Started { offset: u64, total: Option<u64> },
    /// Bytes on disk so far. Sent when a chunk arrives at least one progress interval after
    /// the previous event, and once at the end.
    Progress { done: u64, total: Option<u64> },
    /// The body is on disk and the file is being verified.
    Verifying,
}

/// A complete, verified `.part` file.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedPart {
    /// The `.part` file.
    pub part_path: PathBuf,
    /// File size in bytes.
    pub bytes: u64,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
    /// The facts the box walk read.
    pub mp4: Mp4Info,
}

/// The next step, decided from the response status and headers.
enum Plan {
    /// Write the body from byte 0 (a fresh download or a restart).
    Fresh {
        response: Response,
        total: Option<u64>,
    },
    /// Compare the first `overlap` bytes of the body with the end of the `.part`, then append
    /// the rest to the existing `offset` bytes.
    Append {
        response: Response,
        offset: u64,
        overlap: u64,
        total: u64,
    },
    /// The `.part` already contains the whole file.
    Complete,
    /// The response to a range request cannot be trusted, so request the whole file again.
    RestartWithoutRange,
}

/// Downloads `request.url` into `request.part_path` and verifies the result.
///
/// # Errors
/// [`EngineError::Cancelled`], [`EngineError::Network`] (transient, `.part` kept),
/// [`EngineError::Delivery`] for an error status, [`EngineError::NotMp4`] when the body is not
/// an MP4 (nothing written), [`EngineError::InvalidResponse`], [`EngineError::Verify`] (the
/// `.part` is deleted) or [`EngineError::Disk`].
pub async fn download(
    request: &TransferRequest<'_>,
    mut on_event: impl FnMut(TransferEvent),
) -> Result<VerifiedPart, EngineError> {
    let mut resume_from = resumable_length(request).await?;
    let mut restarted = false;

    let written = loop {
        let response = send(request, resume_from.map(range_start)).await?;
        if response.status().is_success() {
            let validators = Validators::of(&response);
            if resume_from.is_some()
                && request
                    .known_validators
                    .is_some_and(|known| known.differs_from(&validators))
            {
                info!(
                    uid = request.uid,
                    job_id = request.job_id,
                    "the file's validators changed since the download began; comparing the overlap decides"
                );
            }
            on_event(TransferEvent::Responded { validators });
        }
        let plan = classify(request, response, resume_from)?;
        match plan {
            Plan::RestartWithoutRange if !restarted => {
                warn!(
                    uid = request.uid,
                    job_id = request.job_id,
                    "the range response cannot be trusted; downloading the whole file again"
                );
                restarted = true;
                resume_from = None;
            }
            Plan::RestartWithoutRange => {
                return Err(EngineError::InvalidResponse {
                    uid: request.uid.to_owned(),
                    detail: "it sent partial content for a request without Range".to_owned(),
                })
            }
            Plan::Complete => {
                info!(
                    uid = request.uid,
                    job_id = request.job_id,
                    "the partial file is already complete"
                );
                let offset = resume_from.unwrap_or_default();
                on_event(TransferEvent::Started {
                    offset,
                    total: Some(offset),
                });
                let hasher = hash_prefix(request, offset).await?;
                break Written {
                    bytes: offset,
                    hasher,
                };
            }
            Plan::Fresh { response, total } => {
                if resume_from.is_some() {
                    info!(
                        uid = request.uid,
                        job_id = request.job_id,
                        "the server sent the whole file; starting over"
                    );
                }
                break write_fresh(request, response, total, &mut on_event).await?;
            }
            Plan::Append {
                response,
                offset,
                overlap,
                total,
            } => {
                let resume = Resume {
                    offset,
                    overlap,
                    total,
                };
                match write_append(request, response, resume, &mut on_event).await? {
                    Some(written) => break written,
                    None if !restarted => {
                        warn!(
                            uid = request.uid,
                            job_id = request.job_id,
                            offset,
                            "the bytes before the resume point differ from the partial file, so the file changed; downloading it again"
                        );
                        restarted = true;
                        resume_from = None;
                    }
                    None => {
                        return Err(EngineError::InvalidResponse {
                            uid: request.uid.to_owned(),
                            detail: "it served different bytes for the same range twice".to_owned(),
                        })
                    }
                }
            }
        }
    };

    on_event(TransferEvent::Verifying);
    finish(request, written).await
}

/// Renames a verified `.part` to `final_path` and makes the rename durable.
///
/// # Errors
/// [`EngineError::Disk`] when `final_path` already exists or the rename fails.
pub fn commit(part_path: &Path, final_path: &Path) -> Result<(), EngineError> {
    if final_path.symlink_metadata().is_ok() {
        return Err(EngineError::disk(
            final_path,
            std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "a file with this name appeared in the library folder",
            ),
        ));
    }
    std::fs::rename(part_path, final_path).map_err(|e| EngineError::disk(final_path, e))?;
    sync_parent(final_path);
    Ok(())
}

/// Returns the path a `.part` file is renamed to.
pub fn final_path_of(part_path: &Path) -> PathBuf {
    let text = part_path.as_os_str().to_string_lossy();
    PathBuf::from(text.strip_suffix(PART_SUFFIX).unwrap_or(&text).to_owned())
}

/// Makes a rename survive a power cut: on Unix the directory entry must be synced too.
fn sync_parent(path: &Path) {
    #[cfg(unix)]
    if let Some(parent) = path.parent() {
        if let Err(error) = std::fs::File::open(parent).and_then(|dir| dir.sync_all()) {
            warn!(error = %error, "could not sync the library folder after a rename");
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Returns the length of the `.part` when a resume is possible, or `None` to start over.
async fn resumable_length(request: &TransferRequest<'_>) -> Result<Option<u64>, EngineError> {
    let length = match tokio::fs::metadata(request.part_path).await {
        Ok(metadata) => metadata.len(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(EngineError::disk(request.part_path, error)),
    };
    if length == 0 {
        return Ok(None);
    }

    let Some(total) = request.expected_total else {
        debug!(
            uid = request.uid,
            job_id = request.job_id,
            "the size of the partial download is unknown; starting over"
        );
        return Ok(None);
    };
    if length > total || (length as usize) < SNIFF_LEN {
        return Ok(None);
    }

    let mut leading = [0u8; SNIFF_LEN];
    let mut file = File::open(request.part_path)
        .await
        .map_err(|e| EngineError::disk(request.part_path, e))?;
    file.read_exact(&mut leading)
        .await
        .map_err(|e| EngineError::disk(request.part_path, e))?;
    if verify::check_leading_bytes(&leading).is_err() {
        warn!(
            uid = request.uid,
            job_id = request.job_id,
            "the partial file is not an MP4; starting over"
        );
        return Ok(None);
    }
    Ok(Some(length))
}

/// Returns the first byte a resume of a `.part` of `length` bytes requests: the overlap
/// before its end.
fn range_start(length: u64) -> u64 {
    length - length.min(RESUME_OVERLAP)
}

/// Sends the GET, with `Range: bytes=START-` when `range_start` is set.
///
/// It sends no `If-Range`, because a changed validator would turn the response into a full
/// `200` even when the bytes are the same. The overlap comparison catches a changed file.
async fn send(
    request: &TransferRequest<'_>,
    range_start: Option<u64>,
) -> Result<Response, EngineError> {
    let mut builder = request.http.get(request.url);
    if let Some(start) = range_start {
        builder = builder.header(RANGE, format!("bytes={start}-"));
    }
    tokio::select! {
        biased;
        () = request.cancel.cancelled() => Err(EngineError::Cancelled),
        result = builder.send() => {
            let response = result.map_err(|e| network_error(request.uid, e))?;
            if let Some(clock) = request.clock {
                clock.observe(response.headers());
            }
            Ok(response)
        }
    }
}

/// Decides what to do with a response: see the module invariants.
fn classify(
    request: &TransferRequest<'_>,
    response: Response,
    resume_from: Option<u64>,
) -> Result<Plan, EngineError> {
    let status = response.status();
    let uid = request.uid;

    if status == StatusCode::RANGE_NOT_SATISFIABLE {
        let Some(offset) = resume_from else {
            return Err(EngineError::Delivery {
                uid: uid.to_owned(),
                status: status.as_u16(),
            });
        };
        let stated_total = header_text(&response, CONTENT_RANGE.as_str())
            .and_then(|value| parse_unsatisfied_range(&value));
        let complete = request.expected_total == Some(offset)
            && stated_total.is_none_or(|total| total == offset);
        return Ok(if complete {
            Plan::Complete
        } else {
            Plan::RestartWithoutRange
        });
    }

    if !status.is_success() {
        return Err(EngineError::Delivery {
            uid: uid.to_owned(),
            status: status.as_u16(),
        });
    }
    verify::check_content_type(header_text(&response, CONTENT_TYPE.as_str()).as_deref()).map_err(
        |reason| EngineError::NotMp4 {
            uid: uid.to_owned(),
            reason,
        },
    )?;
    let content_length = header_text(&response, CONTENT_LENGTH.as_str())
        .and_then(|value| value.trim().parse::<u64>().ok());

    if status == StatusCode::PARTIAL_CONTENT {
        return Ok(classify_partial(
            request,
            response,
            resume_from,
            content_length,
        ));
    }
    if status != StatusCode::OK {
        return Err(EngineError::NotMp4 {
            uid: uid.to_owned(),
            reason: format!("the delivery host responded with HTTP {status} and no file"),
        });
    }
    Ok(Plan::Fresh {
        response,
        total: content_length,
    })
}

fn classify_partial(
    request: &TransferRequest<'_>,
    response: Response,
    resume_from: Option<u64>,
    content_length: Option<u64>,
) -> Plan {
    let Some(range) = header_text(&response, CONTENT_RANGE.as_str())
        .and_then(|value| parse_content_range(&value))
    else {
        return Plan::RestartWithoutRange;
    };
    let length_matches = content_length.is_none_or(|length| length == range.len());
    let whole_file = range.start == 0 && range.end + 1 == range.total;

    match resume_from {
        Some(offset)
            if range.start == range_start(offset)
                && range.end + 1 == range.total
                && request.expected_total == Some(range.total)
                && length_matches =>
        {
            Plan::Append {
                response,
                offset,
                overlap: offset - range.start,
                total: range.total,
            }
        }
        None if whole_file && length_matches => Plan::Fresh {
            response,
            total: Some(range.total),
        },
        _ => Plan::RestartWithoutRange,
    }
}

/// A parsed `Content-Range: bytes START-END/TOTAL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ContentRange {
    start: u64,
    end: u64,
    total: u64,
}

impl ContentRange {
    fn len(self) -> u64 {
        self.end - self.start + 1
    }
}

fn parse_content_range(value: &str) -> Option<ContentRange> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (span, total) = rest.split_once('/')?;
    let (start, end) = span.split_once('-')?;
    let range = ContentRange {
        start: start.trim().parse().ok()?,
        end: end.trim().parse().ok()?,
        total: total.trim().parse().ok()?,
    };
    (range.start <= range.end && range.end < range.total).then_some(range)
}

/// Parses the total of `Content-Range: bytes */TOTAL`, sent with a 416.
fn parse_unsatisfied_range(value: &str) -> Option<u64> {
    value.trim().strip_prefix("bytes */")?.trim().parse().ok()
}

fn header_text(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// Bytes on disk and their running hash.
struct Written {
    bytes: u64,
    hasher: Sha256,
}

/// Writes a whole body from byte 0, truncating the `.part` only once the first bytes passed.
async fn write_fresh(
    request: &TransferRequest<'_>,
    response: Response,
    total: Option<u64>,
    on_event: &mut impl FnMut(TransferEvent),
) -> Result<Written, EngineError> {
    let mut body = response.bytes_stream();
    let mut leading = Vec::with_capacity(SNIFF_LEN);
    while leading.len() < SNIFF_LEN {
        match next_chunk(request, &mut body).await? {
            Some(chunk) => leading.extend_from_slice(&chunk),
            None => break,
        }
    }
    verify::check_leading_bytes(&leading).map_err(|reason| EngineError::NotMp4 {
        uid: request.uid.to_owned(),
        reason,
    })?;
    check_room(request, total).await?;

    let file = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(request.part_path)
        .await
        .map_err(|e| EngineError::disk(request.part_path, e))?;
    on_event(TransferEvent::Started { offset: 0, total });

    let mut sink = Sink::new(request, file, Sha256::new(), 0, total).await?;
    sink.write(bytes::Bytes::from(leading)).await?;
    sink.drain(&mut body, on_event).await?;
    sink.close(on_event).await
}

/// The position at which a `206` body continues the `.part`.
#[derive(Debug, Clone, Copy)]
struct Resume {
    /// Bytes on disk.
    offset: u64,
    /// Bytes at the start of the body that repeat the end of the `.part`.
    overlap: u64,
    /// Size of the whole file.
    total: u64,
}

/// Checks that the first `overlap` bytes of a `206` body equal the end of the `.part`, then
/// appends the rest of the body, hashing the prefix first. Returns `None`, with the `.part`
/// untouched, when the overlap differs: the server now serves other content.
async fn write_append(
    request: &TransferRequest<'_>,
    response: Response,
    resume: Resume,
    on_event: &mut impl FnMut(TransferEvent),
) -> Result<Option<Written>, EngineError> {
    let Resume {
        offset,
        overlap,
        total,
    } = resume;
    let mut body = response.bytes_stream();
    let (received, rest) = read_overlap(request, &mut body, overlap).await?;
    let stored = read_tail(request.part_path, offset - overlap, overlap).await?;
    if received != stored {
        return Ok(None);
    }

    info!(
        uid = request.uid,
        job_id = request.job_id,
        offset,
        overlap,
        total,
        "the overlap matches the partial file; resuming the download"
    );
    check_room(request, Some(total)).await?;
    on_event(TransferEvent::Started {
        offset,
        total: Some(total),
    });
    let hasher = hash_prefix(request, offset).await?;

    let mut file = OpenOptions::new()
        .write(true)
        .open(request.part_path)
        .await
        .map_err(|e| EngineError::disk(request.part_path, e))?;
    file.set_len(offset)
        .await
        .map_err(|e| EngineError::disk(request.part_path, e))?;
    file.seek(std::io::SeekFrom::Start(offset))
        .await
        .map_err(|e| EngineError::disk(request.part_path, e))?;

    let mut sink = Sink::new(request, file, hasher, offset, Some(total)).await?;
    if !rest.is_empty() {
        sink.write(rest).await?;
    }
    sink.drain(&mut body, on_event).await?;
    sink.close(on_event).await.map(Some)
}

/// Reads the first `overlap` bytes of a body, and returns them with the rest of the chunk
/// that completed them.
///
/// # Errors
/// [`EngineError::Network`] when the body ends within the overlap.
async fn read_overlap<S>(
    request: &TransferRequest<'_>,
    body: &mut S,
    overlap: u64,
) -> Result<(Vec<u8>, bytes::Bytes), EngineError>
where
    S: futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin,
{
    let wanted = usize::try_from(overlap).unwrap_or(usize::MAX);
    let mut received = Vec::with_capacity(wanted);
    while received.len() < wanted {
        let Some(chunk) = next_chunk(request, body).await? else {
            return Err(EngineError::Network {
                uid: request.uid.to_owned(),
                detail: format!(
                    "the body ended after {} of the {overlap} bytes that overlap the partial file",
                    received.len()
                ),
            });
        };
        let needed = wanted - received.len();
        if chunk.len() > needed {
            received.extend_from_slice(&chunk[..needed]);
            return Ok((received, chunk.slice(needed..)));
        }
        received.extend_from_slice(&chunk);
    }
    Ok((received, bytes::Bytes::new()))
}

/// Reads `len` bytes of the file at `path` from `start`.
async fn read_tail(path: &Path, start: u64, len: u64) -> Result<Vec<u8>, EngineError> {
    let mut file = File::open(path)
        .await
        .map_err(|e| EngineError::disk(path, e))?;
    file.seek(std::io::SeekFrom::Start(start))
        .await
        .map_err(|e| EngineError::disk(path, e))?;
    let mut tail = vec![0u8; usize::try_from(len).unwrap_or(usize::MAX)];
    file.read_exact(&mut tail)
        .await
        .map_err(|e| EngineError::disk(path, e))?;
    Ok(tail)
}

/// Fails with [`EngineError::DiskFull`] before anything is written when the volume cannot hold
/// the rest of a file of `total` bytes. The bytes already in the `.part` count as room, because
/// a fresh download overwrites them and a resume keeps them.
async fn check_room(request: &TransferRequest<'_>, total: Option<u64>) -> Result<(), EngineError> {
    let Some(total) = total else {
        return Ok(());
    };
    let on_disk = tokio::fs::metadata(request.part_path)
        .await
        .map_or(0, |metadata| metadata.len());
    space::ensure_room(request.part_path, total.saturating_sub(on_disk))
}

/// Hashes the first `len` bytes of the `.part`, checking for cancellation between reads.
async fn hash_prefix(request: &TransferRequest<'_>, len: u64) -> Result<Sha256, EngineError> {
    let path = request.part_path;
    let mut file = File::open(path)
        .await
        .map_err(|e| EngineError::disk(path, e))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; HASH_CHUNK_BYTES];
    let mut remaining = len;

    while remaining > 0 {
        if request.cancel.is_cancelled() {
            return Err(EngineError::Cancelled);
        }
        let want = remaining.min(HASH_CHUNK_BYTES as u64) as usize;
        let read = file
            .read(&mut buffer[..want])
            .await
            .map_err(|e| EngineError::disk(path, e))?;
        if read == 0 {
            return Err(EngineError::disk(
                path,
                std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the partial file shrank while it was being read",
                ),
            ));
        }
        hasher.update(&buffer[..read]);
        remaining -= read as u64;
    }
    Ok(hasher)
}

/// Reads the next body chunk, or stops on cancellation.
async fn next_chunk<S>(
    request: &TransferRequest<'_>,
    body: &mut S,
) -> Result<Option<bytes::Bytes>, EngineError>
where
    S: futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin,
{
    tokio::select! {
        biased;
        () = request.cancel.cancelled() => Err(EngineError::Cancelled),
        next = body.next() => match next {
            None => Ok(None),
            Some(Ok(chunk)) => Ok(Some(chunk)),
            Some(Err(error)) => Err(network_error(request.uid, error)),
        },
    }
}

/// The `.part` being written through a [`DiskWriter`] thread, with its count and progress
/// throttle.
struct Sink<'r, 'a> {
    request: &'r TransferRequest<'a>,
    writer: DiskWriter,
    done: u64,
    total: Option<u64>,
    last_event: Instant,
}

impl<'r, 'a> Sink<'r, 'a> {
    /// Starts the writer thread on `file`, positioned where the body continues.
    async fn new(
        request: &'r TransferRequest<'a>,
        file: File,
        hasher: Sha256,
        done: u64,
        total: Option<u64>,
    ) -> Result<Self, EngineError> {
        let file = file.into_std().await;
        let writer =
            DiskWriter::start(file, hasher).map_err(|e| EngineError::disk(request.part_path, e))?;
        Ok(Self {
            request,
            writer,
            done,
            total,
            last_event: Instant::now(),
        })
    }

    async fn write(&mut self, chunk: bytes::Bytes) -> Result<(), EngineError> {
        if let Some(total) = self.total {
            if self.done + chunk.len() as u64 > total {
                self.flush().await?;
                return Err(EngineError::InvalidResponse {
                    uid: self.request.uid.to_owned(),
                    detail: format!("the body is longer than the {total} bytes it announced"),
                });
            }
        }
        // A failed write (a full disk) surfaces now, not after the whole body arrived.
        if self.writer.has_failed() {
            self.flush().await?;
        }
        let len = chunk.len() as u64;
        if self.writer.send(chunk).await.is_err() {
            self.flush().await?;
        }
        self.done += len;
        Ok(())
    }

    /// Writes every remaining chunk. On any error the bytes so far are flushed to the `.part`,
    /// so a later resume starts from them.
    async fn drain<S>(
        &mut self,
        body: &mut S,
        on_event: &mut impl FnMut(TransferEvent),
    ) -> Result<(), EngineError>
    where
        S: futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin,
    {
        loop {
            let chunk = match next_chunk(self.request, body).await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => return Ok(()),
                Err(error) => {
                    self.flush().await?;
                    info!(
                        uid = self.request.uid,
                        job_id = self.request.job_id,
                        bytes = self.done,
                        code = error.code(),
                        "transfer stopped; the partial file is kept"
                    );
                    return Err(error);
                }
            };
            self.write(chunk).await?;

            if self.last_event.elapsed() >= self.request.progress_interval {
                self.last_event = Instant::now();
                on_event(TransferEvent::Progress {
                    done: self.done,
                    total: self.total,
                });
            }
        }
    }

    async fn flush(&mut self) -> Result<(), EngineError> {
        self.writer
            .flush()
            .await
            .map_err(|e| EngineError::disk(self.request.part_path, e))
    }

    /// Writes and syncs the file, then checks that the body had the announced length.
    async fn close(self, on_event: &mut impl FnMut(TransferEvent)) -> Result<Written, EngineError> {
        let hasher = self
            .writer
            .finish()
            .await
            .map_err(|e| EngineError::disk(self.request.part_path, e))?;
        on_event(TransferEvent::Progress {
            done: self.done,
            total: self.total,
        });

        if let Some(total) = self.total {
            if self.done < total {
                return Err(EngineError::Network {
                    uid: self.request.uid.to_owned(),
                    detail: format!("the body ended after {} of {total} bytes", self.done),
                });
            }
        }
        Ok(Written {
            bytes: self.done,
            hasher,
        })
    }
}

/// Verifies a complete `.part`, deleting it when it is not a usable file.
async fn finish(
    request: &TransferRequest<'_>,
    written: Written,
) -> Result<VerifiedPart, EngineError> {
    let path = request.part_path.to_owned();
    let inspected = tokio::task::spawn_blocking({
        let path = path.clone();
        move || verify::inspect_file(&path)
    })
    .await
    .map_err(|e| EngineError::Verify {
        path: path.clone(),
        reason: format!("the verification task failed: {e}"),
    })?;

    let checked = inspected.and_then(|mp4| {
        if mp4.len != written.bytes {
            return Err(EngineError::Verify {
                path: path.clone(),
                reason: format!(
                    "the file has {} bytes but {} were written",
                    mp4.len, written.bytes
                ),
            });
        }
        verify::check_duration(mp4.duration, request.expected_duration).map_err(|reason| {
            EngineError::Verify {
                path: path.clone(),
                reason,
            }
        })?;
        Ok(mp4)
    });

    match checked {
        Ok(mp4) => Ok(VerifiedPart {
            part_path: path,
            bytes: written.bytes,
            sha256: hex::encode(written.hasher.finalize()),
            mp4,
        }),
        Err(error) => {
            if matches!(error, EngineError::Verify { .. }) {
                warn!(uid = request.uid, job_id = request.job_id, error = %error, "deleting a downloaded file that failed verification");
                if let Err(remove_error) = tokio::fs::remove_file(&path).await {
                    warn!(uid = request.uid, job_id = request.job_id, error = %remove_error, "could not delete the file that failed verification");
                }
            }
            Err(error)
        }
    }
}

/// Describes a transport error without its URL.
fn network_error(uid: &str, error: reqwest::Error) -> EngineError {
    let detail = if error.is_timeout() {
        "the server stopped sending data (timed out)".to_owned()
    } else if error.is_connect() {
        "the connection to the delivery host failed".to_owned()
    } else {
        let error = error.without_url();
        let mut text = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    };
    EngineError::Network {
        uid: uid.to_owned(),
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_parses() {
        assert_eq!(
            parse_content_range("bytes 100-199/200"),
            Some(ContentRange {
                start: 100,
                end: 199,
                total: 200
            })
        );
    }

    #[test]
    fn content_range_rejects_bad_values() {
        for value in [
            "bytes 100-99/200",
            "bytes 0-200/200",
            "bytes */200",
            "items 0-1/2",
            "bytes 0-1/*",
            "",
        ] {
            assert_eq!(parse_content_range(value), None, "{value}");
        }
    }

    #[test]
    fn unsatisfied_range_parses_total() {
        assert_eq!(parse_unsatisfied_range("bytes */4096"), Some(4096));
        assert_eq!(parse_unsatisfied_range("bytes 0-1/2"), None);
    }

    #[test]
    fn final_path_strips_part() {
        assert_eq!(
            final_path_of(Path::new("/lib/a.mp4.part")),
            PathBuf::from("/lib/a.mp4")
        );
    }

    #[test]
    fn commit_renames_part() {
        let dir = tempfile::tempdir().unwrap();
        let part = dir.path().join("a.mp4.part");
        std::fs::write(&part, b"data").unwrap();
        commit(&part, &dir.path().join("a.mp4")).unwrap();
        assert!(!part.exists());
        assert_eq!(std::fs::read(dir.path().join("a.mp4")).unwrap(), b"data");
    }

    #[test]
    fn commit_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let part = dir.path().join("a.mp4.part");
        std::fs::write(&part, b"new").unwrap();
        std::fs::write(dir.path().join("a.mp4"), b"old").unwrap();
        let error = commit(&part, &dir.path().join("a.mp4")).unwrap_err();
        assert_eq!(error.code(), "disk");
        assert_eq!(std::fs::read(dir.path().join("a.mp4")).unwrap(), b"old");
        assert!(part.exists());
    }
}
