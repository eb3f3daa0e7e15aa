//! Public types that describe videos and downloads to and from the emulator's library API.

use std::fmt;
use std::str::FromStr;

use bytes::Bytes;
use time::OffsetDateTime;

use crate::media::MediaFile;
use crate::samples;

/// Processing state of a video (`status.state` on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VideoState {
    /// `pendingupload`: created, no bytes received yet.
    PendingUpload,
    /// `downloading`: Stream is fetching the video from a URL.
    Downloading,
    /// `queued`: waiting for encoding.
    Queued,
    /// `inprogress`: encoding.
    InProgress,
    /// `ready`: playable; only ready videos accept download requests.
    Ready,
    /// `error`: processing failed, so delivery URLs return 424.
    Error,
    /// `live-inprogress`: a live recording still running.
    LiveInProgress,
}

impl VideoState {
    /// Every state, in the order the API documentation lists them.
    pub const ALL: [VideoState; 7] = [
        VideoState::PendingUpload,
        VideoState::Downloading,
        VideoState::Queued,
        VideoState::InProgress,
        VideoState::Ready,
        VideoState::Error,
        VideoState::LiveInProgress,
    ];

    /// Returns the wire name, e.g. `"inprogress"`.
    pub fn as_str(self) -> &'static str {
        match self {
            VideoState::PendingUpload => "pendingupload",
            VideoState::Downloading => "downloading",
            VideoState::Queued => "queued",
            VideoState::InProgress => "inprogress",
            VideoState::Ready => "ready",
            VideoState::Error => "error",
            VideoState::LiveInProgress => "live-inprogress",
        }
    }
}

impl FromStr for VideoState {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        VideoState::ALL
            .into_iter()
            .find(|state| state.as_str() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = VideoState::ALL.iter().map(|s| s.as_str()).collect();
                format!("invalid status {text:?}: use one of {}", names.join(", "))
            })
    }
}

impl fmt::Display for VideoState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Kind of download: the MP4 (`default`) or the M4A audio (`audio`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DownloadType {
    /// `default`: the MP4, delivered at `/{uid}/downloads/default.mp4`.
    Default,
    /// `audio`: the M4A, delivered at `/{uid}/downloads/audio.m4a`.
    Audio,
}

impl DownloadType {
    /// Returns the wire name used as the path segment and the result key.
    pub fn as_str(self) -> &'static str {
        match self {
            DownloadType::Default => "default",
            DownloadType::Audio => "audio",
        }
    }

    /// Returns the file name on the delivery host.
    pub fn file_name(self) -> &'static str {
        match self {
            DownloadType::Default => "default.mp4",
            DownloadType::Audio => "audio.m4a",
        }
    }

    /// Returns the extension that `?filename=` appends.
    pub fn extension(self) -> &'static str {
        match self {
            DownloadType::Default => "mp4",
            DownloadType::Audio => "m4a",
        }
    }

    /// Returns the `Content-Type` of the delivered file.
    pub fn content_type(self) -> &'static str {
        match self {
            DownloadType::Default => "video/mp4",
            DownloadType::Audio => "audio/mp4",
        }
    }

    /// Parses a wire name (`default` or `audio`).
    pub fn from_wire(text: &str) -> Option<Self> {
        match text {
            "default" => Some(DownloadType::Default),
            "audio" => Some(DownloadType::Audio),
            _ => None,
        }
    }

    /// Parses a delivery file name (`default.mp4` or `audio.m4a`).
    pub fn from_file_name(text: &str) -> Option<Self> {
        [DownloadType::Default, DownloadType::Audio]
            .into_iter()
            .find(|kind| kind.file_name() == text)
    }
}

impl fmt::Display for DownloadType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// State of a created download (`status` on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DownloadStatus {
    /// `inprogress`: being prepared, so the delivery URL returns 404.
    InProgress,
    /// `ready`: the delivery URL serves the file.
    Ready,
    /// `error`: preparation failed, so the delivery URL returns 404.
    Error,
}

impl DownloadStatus {
    /// Returns the wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            DownloadStatus::InProgress => "inprogress",
            DownloadStatus::Ready => "ready",
            DownloadStatus::Error => "error",
        }
    }
}

/// A scripted fault for one download, applied to the current download of that type or, if none
/// exists, to the next one created. A DELETE and a new POST start a clean download.
#[derive(Debug, Clone, PartialEq)]
pub enum DownloadScript {
    /// Rises to `at_percent`, then ends in `error`. The reason appears in logs and on the
    /// delivery error page; the API has no field for it.
    Fail {
        /// Percentage (0–100) at which the download fails.
        at_percent: f64,
        /// Human-readable cause.
        reason: String,
    },
    /// Rises to `at_percent` and stays `inprogress` for ever.
    Stall {
        /// Percentage (0–100) at which progress stops.
        at_percent: f64,
    },
}

/// State of a caption track (`status` on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaptionStatus {
    /// `ready`: the WebVTT file can be fetched.
    Ready,
    /// `inprogress`: Stream is still generating it.
    InProgress,
    /// `error`: generation failed.
    Error,
}

impl CaptionStatus {
    /// Returns the wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            CaptionStatus::Ready => "ready",
            CaptionStatus::InProgress => "inprogress",
            CaptionStatus::Error => "error",
        }
    }
}

/// A caption track of a video: the fields `GET .../captions` lists and the WebVTT text that
/// `GET .../captions/{language}/vtt` returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caption {
    /// BCP 47 language tag, such as `en` or `pt-BR`. A video has one track per language.
    pub language: String,
    /// Name shown in players, in the track's own language, such as `日本語`.
    pub label: String,
    /// True for captions Stream generated with speech recognition.
    pub generated: bool,
    /// Generation state.
    pub status: CaptionStatus,
    /// The body of the `vtt` endpoint, served as is, so a test can serve text that is not
    /// WebVTT.
    pub vtt: String,
}

impl Caption {
    /// Returns a ready, uploaded (not generated) track.
    pub fn ready(
        language: impl Into<String>,
        label: impl Into<String>,
        vtt: impl Into<String>,
    ) -> Self {
        Self {
            language: language.into(),
            label: label.into(),
            generated: false,
            status: CaptionStatus::Ready,
            vtt: vtt.into(),
        }
    }
}

/// Description of a video to add with [`crate::RunningEmulator::add_video`].
///
/// `VideoSpec::default()` is a ready, public copy of the first sample with its audio and
/// thumbnail, created now, without a name, captions or live input. Set the fields that matter
/// to the test.
#[derive(Debug, Clone)]
pub struct VideoSpec {
    /// `meta.name`; `None` leaves it out, as for uploads that never set one.
    pub name: Option<String>,
    /// `meta.filename`; `None` leaves it out.
    pub filename: Option<String>,
    /// `creator`; `None` sends `null`.
    pub creator: Option<String>,
    /// Creation time; `None` means now. Stored with microsecond precision, like the real API.
    pub created: Option<OffsetDateTime>,
    /// The MP4 delivered as the `default` download.
    pub media: MediaFile,
    /// The M4A delivered as the `audio` download; `None` makes audio downloads fail with 400.
    pub audio: Option<MediaFile>,
    /// Duration in seconds; `None` reads it from the MP4 header.
    pub duration: Option<f64>,
    /// Processing state.
    pub state: VideoState,
    /// `requireSignedURLs`: uid-only delivery URLs return 401, so only signed tokens fetch it.
    pub require_signed_urls: bool,
    /// The bytes served as `thumbnails/thumbnail.jpg`. The `Content-Type` is sniffed from
    /// them (JPEG, PNG, WebP, else HTML or `application/octet-stream`), so a test can serve an
    /// error page in place of a picture.
    pub thumbnail: Bytes,
    /// Caption tracks, listed in this order.
    pub captions: Vec<Caption>,
    /// `liveInput`: the id of the live input that recorded the video. A live recording of
    /// [`crate::LIVE_DOWNLOAD_MAX_SECONDS`] or more gets no downloads.
    pub live_input: Option<String>,
}

impl Default for VideoSpec {
    fn default() -> Self {
        let sample = &samples::all()[0];
        Self {
            name: None,
            filename: None,
            creator: None,
            created: None,
            media: sample.video.clone(),
            audio: Some(sample.audio.clone()),
            duration: None,
            state: VideoState::Ready,
            require_signed_urls: false,
            thumbnail: sample.thumbnail.clone(),
            captions: Vec::new(),
            live_input: None,
        }
    }
}

impl VideoSpec {
    /// Returns the default spec with `meta.name` set.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            ..Self::default()
        }
    }
}

/// A video as stored in the emulator, for test assertions.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoSummary {
    /// 32 lowercase hex characters.
    pub uid: String,
    /// `meta.name`, if set.
    pub name: Option<String>,
    /// Creation time (microsecond precision).
    pub created: OffsetDateTime,
    /// Processing state.
    pub state: VideoState,
}
