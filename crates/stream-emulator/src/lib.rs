//! A local emulator of Cloudflare Stream for tests and the desktop demo mode.
//!
//! One HTTP server on 127.0.0.1 plays two hosts:
//! - the v4 API under `/client/v4/accounts/{account_id}/stream...`: video list with cursor
//!   bounds, one video, and the downloads endpoints, all in the v4 JSON envelope with the
//!   authentication errors of the real service;
//! - the delivery host at the root: `/{uid}/downloads/default.mp4` and `/{uid}/downloads/audio.m4a`
//!   with real MP4/M4A bytes, byte ranges, `ETag` and HTML error pages.
//!
//! Main types: [`EmulatorConfig`] (credentials, seed, wire-format variants), [`Emulator::start`]
//! and the [`RunningEmulator`] handle, which changes the library while the server runs
//! ([`VideoSpec`], [`RunningEmulator::script_download_error`]) and counts requests.
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
//! Invariants: every uid is 32 lowercase hex characters. `created` values have microsecond
//! precision, so a value read from a list reply and sent back as a bound compares exactly. A
//! download's state is derived from the time since it was created, so it advances without any
//! background task.

mod config;
mod error;
mod http;
mod media;
mod model;
pub mod mp4;
pub mod samples;
mod seed;
mod server;
mod store;

pub use config::{
    Bounds, EmulatorConfig, Seed, DEMO_ACCOUNT_ID, DEMO_API_TOKEN, REAL_PAGE_LIMIT_MAX,
};
pub use error::Error;
pub use media::MediaFile;
pub use model::{
    DownloadScript, DownloadStatus, DownloadType, VideoSpec, VideoState, VideoSummary,
};
pub use mp4::Mp4Info;
pub use server::{Emulator, RunningEmulator};
