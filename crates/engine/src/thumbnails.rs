//! The offline thumbnail cache: one still picture per video in `<data dir>/thumbnails/<uid>.jpg`.
//!
//! [`ThumbnailCache::fetch_missing`] downloads the thumbnails the cache lacks from the
//! delivery host, a few at a time (at most [`MAX_CONCURRENCY`]), and stops on cancellation.
//! These requests go to the delivery host, not the API, so they take nothing from the
//! [`crate::ApiBudget`]. A video that requires signed URLs gets a token in place of its uid,
//! signed locally with the account's signing key and timed by the server clock, like a job's
//! download token but without `downloadable`. A picture is saved only when the response is a
//! 200 whose body starts like a JPEG, PNG or WebP file, so an error page or a captive portal's
//! sign-in page is never cached. Files are written to a `.part` and renamed, so the cache never
//! contains half a picture under a final name.
//!
//! Main types: [`ThumbnailCache`] and [`ThumbnailReport`].
//!
//! Every file is named `<uid>.jpg`, whatever the image format, so the cache can be looked up by
//! uid alone; image decoders read the format from the bytes.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use offstream_signing::{token_times, TokenClaims};
use offstream_stream::{StreamClient, Video};
use reqwest::header::CONTENT_TYPE;
use reqwest::StatusCode;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::names::PART_SUFFIX;
use crate::signer::{replace_uid, TokenSigner};

/// Name of the cache folder inside the data folder.
pub const THUMBNAIL_DIR_NAME: &str = "thumbnails";

/// Most thumbnails fetched at the same time, whatever the caller asks for, so the delivery
/// host is never hammered.
pub const MAX_CONCURRENCY: usize = 8;

/// Height requested from the delivery host, in pixels; about the size a list row shows at 2x.
const THUMBNAIL_HEIGHT: u32 = 270;

/// Largest picture accepted, in bytes. A 270-pixel still is tens of kilobytes; anything near
/// this size is not a thumbnail.
const MAX_THUMBNAIL_BYTES: u64 = 2 * 1024 * 1024;

/// Maximum time one thumbnail request may take, body included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Lifetime of a thumbnail token. The signing crate raises it to its 15-minute minimum; a
/// thumbnail needs only seconds.
const TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// Extension of every cached file.
const FILE_EXTENSION: &str = "jpg";

/// Outcome counts of one [`ThumbnailCache::fetch_missing`] call, in videos.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThumbnailReport {
    /// Thumbnails downloaded and saved.
    pub fetched: usize,
    /// Videos whose thumbnail was already cached; nothing was requested for them.
    pub cached: usize,
    /// Videos left out: no thumbnail yet (still processing), a uid unusable as a file name, or
    /// a private video without a local signing key.
    pub skipped: usize,
    /// Requests that failed: network errors, error statuses, bodies that are not a picture, or
    /// a file that could not be written.
    pub failed: usize,
}

/// The thumbnail cache folder of one data folder.
#[derive(Debug, Clone)]
pub struct ThumbnailCache {
    dir: PathBuf,
}

/// Reason one thumbnail was not saved.
#[derive(Debug)]
enum FetchFailure {
    Skipped(&'static str),
    Failed(String),
}

/// One thumbnail to fetch: the video, its thumbnail URL and its path in the cache.
struct Planned<'a> {
    video: &'a Video,
    url: &'a str,
    path: PathBuf,
}

impl ThumbnailCache {
    /// Creates a cache in `data_dir/thumbnails`; the folder is created on the first fetch.
    pub fn new(data_dir: impl AsRef<Path>) -> Self {
        Self {
            dir: data_dir.as_ref().join(THUMBNAIL_DIR_NAME),
        }
    }

    /// Returns the cache folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Returns the path of a video's cached thumbnail, when it exists.
    pub fn cached(&self, uid: &str) -> Option<PathBuf> {
        self.path_for(uid).filter(|path| path.is_file())
    }

    /// Returns the bytes the cached thumbnails take on disk; 0 when the folder is missing or
    /// unreadable. Reads the metadata of every file, so a large cache belongs on a blocking
    /// thread.
    pub fn bytes_used(&self) -> u64 {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return 0;
        };
        entries
            .filter_map(Result::ok)
            .filter(|entry| has_extension(&entry.path(), FILE_EXTENSION))
            .filter_map(|entry| entry.metadata().ok())
            .filter(|metadata| metadata.is_file())
            .map(|metadata| metadata.len())
            .sum()
    }

    /// Downloads the thumbnails of `videos` that the cache lacks, `concurrency` at a time
    /// (clamped to 1..=[`MAX_CONCURRENCY`]), until done or `cancel` fires. Tokens for private
    /// videos are signed with `signer` and timed by the server clock of `client`. The requests
    /// go through the plain HTTP client of `client`, which sends no API credentials.
    ///
    /// Failures are counted in the report and logged, never returned: a missing thumbnail only
    /// shows a placeholder.
    pub async fn fetch_missing(
        &self,
        client: &StreamClient,
        signer: &TokenSigner,
        videos: &[Video],
        concurrency: usize,
        cancel: &CancellationToken,
    ) -> ThumbnailReport {
        let mut report = ThumbnailReport::default();
        let planned = self.plan(videos, &mut report);
        if planned.is_empty() {
            return report;
        }
        if let Err(error) = self.prepare_dir() {
            warn!(path = %self.dir.display(), error = %error, "cannot create the thumbnail folder");
            report.failed += planned.len();
            return report;
        }

        let concurrency = concurrency.clamp(1, MAX_CONCURRENCY);
        let results = stream::iter(planned)
            .map(|planned| fetch_one(client, signer, planned))
            .buffer_unordered(concurrency)
            .take_until(cancel.cancelled());
        let mut results = std::pin::pin!(results);
        let mut first_failure: Option<String> = None;
        while let Some(result) = results.next().await {
            match result {
                Ok(()) => report.fetched += 1,
                Err(FetchFailure::Skipped(reason)) => {
                    debug!(reason, "thumbnail skipped");
                    report.skipped += 1;
                }
                Err(FetchFailure::Failed(reason)) => {
                    report.failed += 1;
                    first_failure.get_or_insert(reason);
                }
            }
        }

        // One line for all failures, because a broken network fails every request alike.
        if let Some(reason) = first_failure {
            warn!(failed = report.failed, first = %reason, "some thumbnails could not be downloaded");
        }
        info!(
            fetched = report.fetched,
            cached = report.cached,
            skipped = report.skipped,
            failed = report.failed,
            cancelled = cancel.is_cancelled(),
            "thumbnail fetch finished"
        );
        report
    }

    /// Returns `<dir>/<uid>.jpg`, or `None` for a uid that is not a plain file name part.
    fn path_for(&self, uid: &str) -> Option<PathBuf> {
        is_safe_uid(uid).then(|| self.dir.join(format!("{uid}.{FILE_EXTENSION}")))
    }

    /// Sorts the videos into cached, skipped and to fetch.
    fn plan<'a>(&self, videos: &'a [Video], report: &mut ThumbnailReport) -> Vec<Planned<'a>> {
        let mut planned = Vec::new();
        for video in videos {
            let Some(path) = self.path_for(&video.uid) else {
                report.skipped += 1;
                continue;
            };
            if path.is_file() {
                report.cached += 1;
                continue;
            }
            let Some(url) = video.thumbnail.as_deref().filter(|url| !url.is_empty()) else {
                report.skipped += 1;
                continue;
            };
            planned.push(Planned { video, url, path });
        }
        planned
    }

    /// Creates the folder and removes `.part` files that an interrupted fetch left.
    fn prepare_dir(&self) -> io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        for entry in std::fs::read_dir(&self.dir)? {
            let path = entry?.path();
            if has_extension(&path, PART_SUFFIX.trim_start_matches('.')) {
                if let Err(error) = std::fs::remove_file(&path) {
                    debug!(error = %error, "could not remove a stale partial thumbnail");
                }
            }
        }
        Ok(())
    }
}

/// Downloads and saves one thumbnail. A private video whose token is refused gets one fresh
/// token, because the refusal's `Date` header has corrected the server clock by then.
async fn fetch_one(
    client: &StreamClient,
    signer: &TokenSigner,
    planned: Planned<'_>,
) -> Result<(), FetchFailure> {
    let uid = planned.video.uid.as_str();
    let private = planned.video.require_signed_urls;
    if private && !matches!(signer, TokenSigner::Key(_)) {
        // NOTE: the token endpoint would cost an API call per thumbnail, which the thumbnail
        // cache must not take from the API budget, so only a local signing key serves here.
        return Err(FetchFailure::Skipped(
            "private video without a local signing key",
        ));
    }
    let base = thumbnail_url(planned.url).ok_or(FetchFailure::Failed(format!(
        "video {uid}: the thumbnail URL is not a usable https URL"
    )))?;

    let attempts = if private { 2 } else { 1 };
    let mut last = FetchFailure::Failed(format!("video {uid}: no request was made"));
    for _ in 0..attempts {
        let url = if private {
            signed(client, signer, &base, uid)?
        } else {
            base.clone()
        };
        match download(client, &url, uid).await {
            Ok(bytes) => return save(&planned.path, &bytes, uid),
            Err(DownloadFailure::Auth(failure)) => last = failure,
            Err(DownloadFailure::Other(failure)) => return Err(failure),
        }
    }
    Err(last)
}

/// A failed thumbnail request. Only an authorization failure is worth a new token.
enum DownloadFailure {
    Auth(FetchFailure),
    Other(FetchFailure),
}

/// Fetches a thumbnail URL and returns a body that is a picture.
async fn download(client: &StreamClient, url: &str, uid: &str) -> Result<Vec<u8>, DownloadFailure> {
    let failed = |reason: String| {
        DownloadFailure::Other(FetchFailure::Failed(format!("video {uid}: {reason}")))
    };

    let response = client
        .http_client()
        .get(url)
        .timeout(REQUEST_TIMEOUT)
        .send()
        .await
        // The URL is dropped from the message, because it may hold a signed token.
        .map_err(|error| failed(error.without_url().to_string()))?;
    client.server_clock().observe(response.headers());

    let status = response.status();
    if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        return Err(DownloadFailure::Auth(FetchFailure::Failed(format!(
            "video {uid}: the delivery host refused the thumbnail token (HTTP {status})"
        ))));
    }
    if status != StatusCode::OK {
        return Err(failed(format!("the delivery host returned HTTP {status}")));
    }
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("text/") {
        return Err(failed(format!(
            "the answer is {content_type}, not a picture"
        )));
    }
    if response
        .content_length()
        .is_some_and(|len| len > MAX_THUMBNAIL_BYTES)
    {
        return Err(failed("the picture is larger than 2 MiB".to_owned()));
    }

    let body = read_capped(response).await.map_err(failed)?;
    if !is_picture(&body) {
        return Err(failed(
            "the body is not a JPEG, PNG or WebP picture".to_owned(),
        ));
    }
    Ok(body)
}

/// Reads a body of at most [`MAX_THUMBNAIL_BYTES`].
async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| error.without_url().to_string())?
    {
        body.extend_from_slice(&chunk);
        if body.len() as u64 > MAX_THUMBNAIL_BYTES {
            return Err("the picture is larger than 2 MiB".to_owned());
        }
    }
    Ok(body)
}

/// Writes the picture through a `.part` file renamed into place.
fn save(path: &Path, bytes: &[u8], uid: &str) -> Result<(), FetchFailure> {
    let mut part = path.as_os_str().to_owned();
    part.push(PART_SUFFIX);
    let part = PathBuf::from(part);

    let written = std::fs::write(&part, bytes).and_then(|()| std::fs::rename(&part, path));
    if let Err(error) = written {
        let _ = std::fs::remove_file(&part);
        return Err(FetchFailure::Failed(format!(
            "video {uid}: cannot write {}: {error}",
            path.display()
        )));
    }
    debug!(uid, bytes = bytes.len(), "thumbnail saved");
    Ok(())
}

/// Returns the thumbnail URL with `height` set, or `None` for a URL that is not https (plain
/// http is accepted only for loopback hosts, such as the emulator).
fn thumbnail_url(url: &str) -> Option<String> {
    let mut parsed = url::Url::parse(url).ok()?;
    let loopback = match parsed.host()? {
        url::Host::Domain(domain) => domain == "localhost",
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    };
    let secure = parsed.scheme() == "https" || (parsed.scheme() == "http" && loopback);
    if !secure {
        return None;
    }

    let kept: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(name, _)| name != "height" && name != "width")
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    parsed
        .query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("height", &THUMBNAIL_HEIGHT.to_string());
    Some(parsed.into())
}

/// Returns the URL with a fresh token in place of the uid.
fn signed(
    client: &StreamClient,
    signer: &TokenSigner,
    url: &str,
    uid: &str,
) -> Result<String, FetchFailure> {
    let TokenSigner::Key(key) = signer else {
        return Err(FetchFailure::Skipped(
            "private video without a local signing key",
        ));
    };
    let times = token_times(client.server_clock().now_unix(), TOKEN_LIFETIME);
    let claims = TokenClaims {
        sub: uid.to_owned(),
        kid: key.id().to_owned(),
        exp: times.exp,
        nbf: times.nbf,
        downloadable: false,
        access_rules: Vec::new(),
    };
    let token = key.sign(&claims).map_err(|error| {
        FetchFailure::Failed(format!("video {uid}: cannot sign a token: {error}"))
    })?;
    replace_uid(url, uid, token.expose()).ok_or_else(|| {
        FetchFailure::Failed(format!(
            "video {uid}: the thumbnail URL has no path segment with the uid to put the token in"
        ))
    })
}

/// Returns true when the bytes start like a JPEG, PNG or WebP file.
fn is_picture(bytes: &[u8]) -> bool {
    let jpeg = bytes.starts_with(&[0xFF, 0xD8, 0xFF]);
    let png = bytes.starts_with(b"\x89PNG\r\n\x1a\n");
    let webp = bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP";
    jpeg || png || webp
}

/// Returns true for a uid that can name a file: 1 to 64 ASCII letters, digits, `-` or `_`.
fn is_safe_uid(uid: &str) -> bool {
    (1..=64).contains(&uid.len())
        && uid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn has_extension(path: &Path, extension: &str) -> bool {
    path.extension()
        .is_some_and(|found| found.eq_ignore_ascii_case(extension))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picture_signatures() {
        let cases: [(&[u8], bool); 6] = [
            (&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0], true),
            (b"\x89PNG\r\n\x1a\n\0\0", true),
            (b"RIFF\0\0\0\0WEBPVP8 ", true),
            (b"<!DOCTYPE html>", false),
            (b"RIFF\0\0\0\0WAVE", false),
            (b"", false),
        ];

        for (bytes, expected) in cases {
            assert_eq!(is_picture(bytes), expected, "{bytes:?}");
        }
    }

    #[test]
    fn url_gets_height() {
        let url = thumbnail_url("https://customer-x.cloudflarestream.com/abc/thumbnails/thumbnail.jpg?time=2s&height=640").unwrap();

        assert_eq!(
            url,
            "https://customer-x.cloudflarestream.com/abc/thumbnails/thumbnail.jpg?time=2s&height=270"
        );
    }

    #[test]
    fn url_rejects_plain_http_remote() {
        assert_eq!(
            thumbnail_url("http://example.com/abc/thumbnails/thumbnail.jpg"),
            None
        );
        assert_eq!(thumbnail_url("file:///etc/passwd"), None);
    }

    #[test]
    fn url_accepts_loopback_http() {
        let url = thumbnail_url("http://127.0.0.1:8080/abc/thumbnails/thumbnail.jpg").unwrap();

        assert!(url.ends_with("thumbnail.jpg?height=270"), "{url}");
    }

    #[test]
    fn safe_uid_cases() {
        assert!(is_safe_uid("0123456789abcdef0123456789abcdef"));
        assert!(!is_safe_uid("../x"));
        assert!(!is_safe_uid(""));
        assert!(!is_safe_uid("a.b"));
    }

    #[test]
    fn bytes_used_counts_pictures_only() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ThumbnailCache::new(dir.path());
        std::fs::create_dir_all(cache.dir()).unwrap();
        std::fs::write(cache.dir().join("a.jpg"), [0u8; 100]).unwrap();
        std::fs::write(cache.dir().join("b.jpg.part"), [0u8; 50]).unwrap();

        assert_eq!(cache.bytes_used(), 100);
    }

    #[test]
    fn bytes_used_without_folder_is_zero() {
        let dir = tempfile::tempdir().unwrap();

        assert_eq!(ThumbnailCache::new(dir.path()).bytes_used(), 0);
    }

    #[test]
    fn cached_rejects_unsafe_uid() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ThumbnailCache::new(dir.path());
        std::fs::create_dir_all(dir.path().join("x")).unwrap();
        std::fs::write(dir.path().join("x.jpg"), b"jpg").unwrap();

        assert_eq!(cache.cached("../x"), None);
    }
}
