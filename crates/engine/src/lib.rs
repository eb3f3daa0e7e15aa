//! Download engine and offline catalog of Offstream: the core that the desktop app and the CLI
//! drive.
//!
//! A job requests that Stream prepare the MP4 (or M4A) of one video, polls until it is ready,
//! streams it into a `.part` file, verifies it and renames it into the library folder, then
//! records it in the SQLite catalog.
//!
//! Main types:
//! - [`JobManager`]: starts, pauses, resumes, cancels and awaits jobs, resumes unfinished jobs
//!   after a restart, and broadcasts [`JobSnapshot`]s.
//! - [`Catalog`]: the `catalog.sqlite3` file with [`LibraryItem`]s and job rows.
//! - [`ApiBudget`]: the rate limit that every API call of one account shares.
//! - [`EngineError`]: one error type with a stable [`EngineError::code`].
//! - [`TokenSigner`]: how tokens for private videos (those that require signed URLs) are made;
//!   a refused or expiring token is replaced and the transfer resumes from its `.part`.
//!
//! Invariants:
//! - A file appears in the library folder under its final name only after it was verified:
//!   right status and content type, `ftyp` first bytes, byte count equal to `Content-Length`,
//!   a complete box structure with `moov`, and a duration close to Stream's.
//! - No error page is ever saved as a video: the first bytes are checked before anything is
//!   written.
//! - Partial downloads are kept on pause, cancel (unless its removal was requested), a full disk
//!   and network errors, and resumed only when the server proves with `206` and `Content-Range` that the bytes continue the same file.
//! - Every library file has a catalog row and every row was verified; deleting an item deletes
//!   the file first, then the row.
//! - Download URLs (which may hold signed tokens) and API tokens never reach logs, error
//!   messages or the catalog.
//! - File names are portable across Windows, macOS and Linux and unique in the folder
//!   regardless of case and Unicode normalization.
//!
//! Modules: [`names`] (file names), [`verify`] (MP4 checks), [`catalog`] (SQLite),
//! [`transfer`] (one body to disk), [`signer`] (tokens and signed URLs), [`job`] (one video end
//! to end), [`manager`] (many jobs), [`budget`] (the shared API rate limit), `poll` (when to
//! poll a download that Stream prepares), `captions` (caption files next to a media file),
//! [`thumbnails`] (the offline thumbnail cache).

pub mod backup;
pub mod budget;
mod captions;
pub mod catalog;
mod disk_writer;
pub mod error;
pub mod job;
pub mod manager;
pub mod names;
mod poll;
pub mod queue;
pub mod signer;
mod slots;
pub mod space;
pub mod sync;
pub mod thumbnails;
pub mod transfer;
pub mod verify;

pub use budget::{ApiBudget, BudgetConfig};
pub use catalog::{CaptionFile, Catalog, JobRecord, LibraryItem};
pub use error::{EngineError, ErrorInfo};
pub use job::{JobId, JobNotice, JobPhase, JobSnapshot};
pub use manager::{EngineOptions, JobManager};
pub use signer::TokenSigner;
pub use thumbnails::{ThumbnailCache, ThumbnailReport};
