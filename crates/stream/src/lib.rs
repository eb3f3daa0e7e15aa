//! Typed async client for the Cloudflare Stream API: videos and their MP4/M4A downloads.
//!
//! The client speaks the v4 wire format (`{result, success, errors, messages}`) and maps every
//! failure onto one [`Error`] type whose variants a caller can act on: re-enter credentials,
//! wait and retry, or give up. It is deliberately lenient about response shapes, because the
//! documented schema and the live service disagree in places (numbers sent as strings, the
//! downloads result keyed by type or flat, `duration` of -1, `null` for unset fields).
//!
//! Main types:
//! - [`StreamClient`]: one account, one API token, one base URL.
//! - [`Video`], [`Downloads`], [`Download`]: the parsed resources.
//! - [`list::ListQuery`] and [`StreamClient::list_all`]: walks accounts past the 1,000-video page
//!   limit by creation time, without losing or repeating videos that share a `created` value.
//!
//! - [`StreamClient::create_signing_key`], [`StreamClient::create_token`]: signing keys and
//!   API-signed tokens for videos that require signed URLs.
//! - [`StreamClient::captions`], [`StreamClient::caption_vtt`]: caption tracks ([`Caption`])
//!   and their WebVTT text.
//! - [`ServerClock`]: the server's time, estimated from each response's `Date` header, so
//!   tokens are valid even when the local clock is off.
//!
//! Secrets: the API token lives in [`ApiToken`], key material and tokens in [`SecretText`];
//! their `Debug` and `Display` print a redaction, and no error message ever includes them.

mod captions;
mod client;
mod clock;
mod error;
mod keys;
mod lenient;
pub mod list;
mod token;
mod types;

pub use captions::{is_webvtt, Caption, CaptionStatus};
pub use client::{ClientConfig, StreamClient, DEFAULT_API_BASE};
pub use clock::{local_now_unix, ServerClock, LARGE_SKEW_SECS};
pub use error::{ApiMessage, Error};
pub use keys::{CreatedSigningKey, SecretText, SigningKeySummary, TokenOptions};
pub use token::ApiToken;
pub use types::{
    Download, DownloadStatus, DownloadType, Downloads, Video, VideoState, VideoStatus,
};
