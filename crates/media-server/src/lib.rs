//! Loopback HTTP server that lets the desktop webview play library files.
//!
//! WebKitGTK hands `<video>` URLs to GStreamer, which has no source element for `asset://` or
//! other custom schemes, so the app serves media over plain HTTP on the loopback interface.
//!
//! [`MediaServer`] binds `127.0.0.1` on a port the OS picks and serves three kinds of file:
//! - library files by catalog id at `http://127.0.0.1:PORT/<secret>/media/<id>`;
//! - cached thumbnails by video uid at `.../<secret>/thumbnails/<uid>` (`image/jpeg`);
//! - caption files by catalog id and language tag at `.../<secret>/captions/<id>/<language>`
//!   (`text/vtt; charset=utf-8`).
//!
//! It keeps these invariants:
//! - The listener is bound to 127.0.0.1 only, never to a public interface.
//! - A path from the request is never used as a file path. Only resources registered through
//!   [`MediaServer::register`], [`MediaServer::replace_all`],
//!   [`MediaServer::register_thumbnail`], [`MediaServer::replace_thumbnails`] or
//!   [`MediaServer::replace_captions`] are served.
//! - The URL carries a per-launch random secret (256 bits), compared in constant time, so other
//!   local programs and web pages cannot guess media URLs.
//! - Every rejected request gets the same empty 404, so a caller learns nothing about why.
//! - Files are streamed in bounded chunks with HTTP Range support.
//! - A file that was deleted or changed since it was registered gets a 404 or 410, so a player
//!   never receives a mix of old and new bytes.
//! - Logs carry the port, media ids and uids, never the secret or a full URL.
//! - Only the webview's own origins get `Access-Control-Allow-Origin`.

mod error;
mod handler;
mod library;
mod range;
mod resource;
mod secret;
mod server;

pub use error::{Error, Result};
pub use library::{CaptionSource, ContentType, MediaFile};
pub use resource::Resource;
pub use server::MediaServer;
