//! A local emulator of Cloudflare Stream for tests and the desktop demo mode.
//!
//! One HTTP server on 127.0.0.1 plays two hosts:
//! - the v4 API under `/client/v4/accounts/{account_id}/stream...`: video list with cursor
//!   bounds, one video, the downloads endpoints, signing keys and signed tokens, all in the v4
//!   JSON envelope with the authentication errors of the real service;
//! - the delivery host at the root: `/{id}/downloads/default.mp4` and `/{id}/downloads/audio.m4a`
//!   with real MP4/M4A bytes, byte ranges, `ETag` and HTML error pages, and
//!   `/{id}/thumbnails/thumbnail.jpg` with a real JPEG, where `id` is a uid or a signed RS256
//!   token that the emulator verifies itself.
//!
//! The API also lists caption tracks and returns their WebVTT text ([`Caption`]), marks live
//! recordings (`liveInput`) and refuses downloads of those of 4 hours or more.
//! [`hostile_titles`] lists titles that are dangerous as file names;
//! [`EmulatorConfig::hostile_titles`] seeds one video per title.
//!
//! Main types: [`EmulatorConfig`] (credentials, seed, wire-format variants, clock offset),
//! [`Emulator::start`] and the [`RunningEmulator`] handle. The handle changes the library while
//! the server runs ([`VideoSpec`], [`RunningEmulator::script_download_error`]) and moves the
//! clock ([`RunningEmulator::set_clock_offset`]). It also throttles or cuts download bodies,
//! queues one-shot faults ([`DeliveryFault`], [`ApiFault`]), counts traffic
//! ([`TrafficCounters`]) and lists the secrets the emulator handed out
//! ([`RunningEmulator::issued_secrets`]). [`EmulatorConfig::rate_limit`] turns on an API rate
//! limit like the real service's ([`RateLimit`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), stream_emulator::Error> {
//! use stream_emulator::{Emulator, EmulatorConfig, VideoSpec};
//!
//! let emulator = Emulator::start(EmulatorConfig::default()).await?;
//! let uid = emulator.add_video(VideoSpec::named("Quarterly review"));
//! println!("{} has {uid}", emulator.api_base());
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Invariants: every uid and signing key id is 32 lowercase hex characters. Token checks and
//! `Date` headers use the emulator clock; stored timestamps keep real time. No log line or
//! error page contains a signed token or key material. `created` values have microsecond
//! precision, so a value read from a list reply and sent back as a bound compares exactly. A
//! download's state is derived from the time since it was created, so it advances without any
//! background task.

mod access;
mod clock;
mod config;
mod error;
mod faults;
mod hostile;
mod http;
mod keys;
mod media;
mod model;
pub mod mp4;
mod rate_limit;
pub mod samples;
mod secrets;
mod seed;
mod server;
mod store;
mod token;

pub use clock::MAX_CLOCK_OFFSET_SECS;
pub use config::{
    Bounds, EmulatorConfig, Seed, DEMO_ACCOUNT_ID, DEMO_API_TOKEN, REAL_PAGE_LIMIT_MAX,
};
pub use error::Error;
pub use faults::{ApiFault, DeliveryFault, DeliveryRecord};
pub use hostile::hostile_titles;
pub use media::MediaFile;
pub use model::{
    Caption, CaptionStatus, DownloadScript, DownloadStatus, DownloadType, VideoSpec, VideoState,
    VideoSummary,
};
pub use mp4::Mp4Info;
pub use rate_limit::RateLimit;
pub use server::{ApiEndpointCounts, Emulator, RunningEmulator, TrafficCounters};
pub use store::LIVE_DOWNLOAD_MAX_SECONDS;
