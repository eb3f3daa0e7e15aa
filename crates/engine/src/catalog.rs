//! The offline catalog: a SQLite file (`catalog.sqlite3`) in the app data folder.
//!
//! Two tables: `items`, one row per verified file in the library (unique per uid and download
//! type), and `jobs`, one row per download attempt with its phase, partial file and error.
//! The schema is versioned with `PRAGMA user_version` and migrated forward on open, one
//! transaction per step, so a file of any earlier version opens. The connection runs in WAL
//! mode with `synchronous=NORMAL`, foreign keys on and a busy timeout, so a CLI and the app can
//! share the file. In WAL mode a crash or power cut loses at most the last commits, never the
//! database; [`Catalog::integrity_check`] confirms it.
//!
//! The `jobs` table is the download queue: a job row in an active phase or `paused` survives a
//! restart and is resumed by [`crate::JobManager::resume_unfinished`].
//!
//! The catalog stores no URL and no secret: download URLs can hold a signed token, so they live
//! only in memory while a job runs.
//!
//! The API is synchronous behind a `Mutex`. Each call is one short statement on an indexed
//! table (milliseconds), so async code may call it directly. Listing a very large library is
//! the exception and belongs in `tokio::task::spawn_blocking`.

mod backups;
mod mirror;
mod totals;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use offstream_stream::DownloadType;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tracing::{debug, info};
use ts_rs::TS;

use crate::error::{EngineError, ErrorInfo};
use crate::job::{JobId, JobNotice, JobPhase};

/// File name of the catalog inside the app data folder.
pub const CATALOG_FILE_NAME: &str = "catalog.sqlite3";

/// How long a statement waits for a lock held by another process before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Schema migrations; entry `i` moves `user_version` from `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    r"
CREATE TABLE items (
    id            INTEGER PRIMARY KEY,
    uid           TEXT NOT NULL,
    download_type TEXT NOT NULL CHECK (download_type IN ('default', 'audio')),
    title         TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    path          TEXT NOT NULL UNIQUE,
    bytes         INTEGER NOT NULL CHECK (bytes >= 0),
    sha256        TEXT NOT NULL,
    video_created TEXT,
    duration      REAL,
    creator       TEXT,
    added_at      TEXT NOT NULL,
    UNIQUE (uid, download_type)
);
CREATE INDEX items_title ON items (title);

CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY,
    uid           TEXT NOT NULL,
    download_type TEXT NOT NULL CHECK (download_type IN ('default', 'audio')),
    title         TEXT,
    state         TEXT NOT NULL,
    part_path     TEXT,
    bytes_done    INTEGER NOT NULL DEFAULT 0,
    bytes_total   INTEGER,
    error_code    TEXT,
    error_message TEXT,
    item_id       INTEGER REFERENCES items (id) ON DELETE SET NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX jobs_uid_type ON jobs (uid, download_type);
",
    r"
ALTER TABLE jobs ADD COLUMN notice TEXT;
CREATE INDEX jobs_state ON jobs (state);
",
    // Version 3: the mirror of each account's video list, the sync bookkeeping, bulk backups,
    // and the caption files stored next to a library item.
    r"
CREATE TABLE videos (
    account_id          TEXT NOT NULL,
    uid                 TEXT NOT NULL,
    name                TEXT NOT NULL,
    creator             TEXT,
    created             TEXT NOT NULL,
    modified            TEXT,
    duration            REAL,
    size                INTEGER,
    state               TEXT NOT NULL,
    ready_to_stream     INTEGER NOT NULL,
    require_signed_urls INTEGER NOT NULL,
    live_input          TEXT,
    video_json          TEXT NOT NULL,
    first_seen          TEXT NOT NULL,
    last_seen           TEXT NOT NULL,
    change              TEXT CHECK (change IN ('new', 'renamed', 'removed')),
    previous_name       TEXT,
    removed_at          TEXT,
    PRIMARY KEY (account_id, uid)
) WITHOUT ROWID;
CREATE INDEX videos_created ON videos (account_id, created);

CREATE TABLE sync_state (
    account_id     TEXT PRIMARY KEY,
    last_sync      TEXT NOT NULL,
    last_full_sync TEXT,
    summary        TEXT NOT NULL
);

CREATE TABLE backups (
    id              INTEGER PRIMARY KEY,
    account_id      TEXT NOT NULL,
    download_type   TEXT NOT NULL CHECK (download_type IN ('default', 'audio')),
    selection       TEXT NOT NULL,
    restore_account INTEGER NOT NULL,
    state           TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    finished_at     TEXT
);

CREATE TABLE backup_items (
    backup_id        INTEGER NOT NULL REFERENCES backups (id) ON DELETE CASCADE,
    uid              TEXT NOT NULL,
    title            TEXT NOT NULL,
    outcome          TEXT NOT NULL,
    reason           TEXT,
    job_id           INTEGER REFERENCES jobs (id) ON DELETE SET NULL,
    enabled_before   INTEGER,
    download_deleted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (backup_id, uid)
);

ALTER TABLE items ADD COLUMN captions TEXT;
",
];

/// One verified file in the library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct LibraryItem {
    /// Catalog id.
    #[ts(type = "number")]
    pub id: i64,
    /// Stream video uid.
    pub uid: String,
    /// The file of the video this item is (MP4 or M4A).
    pub download_type: DownloadType,
    /// The video's original title (`meta.name`, or the uid when it has none).
    pub title: String,
    /// File name in the library folder.
    pub file_name: String,
    /// Absolute path of the file.
    #[ts(type = "string")]
    pub path: PathBuf,
    /// File size in bytes.
    #[ts(type = "number")]
    pub bytes: u64,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
    /// Upload time of the video (RFC 3339, as Stream sent it).
    pub video_created: Option<String>,
    /// Duration in seconds, from the file when it states one, else from Stream.
    pub duration: Option<f64>,
    /// Stream's creator id of the video.
    pub creator: Option<String>,
    /// When the file entered the library (RFC 3339, UTC).
    pub added_at: String,
    /// Caption files stored next to the media file, empty when the video has none or they
    /// were not fetched.
    pub captions: Vec<CaptionFile>,
}

/// A WebVTT caption file stored next to a library item's media file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CaptionFile {
    /// BCP 47 language tag, as used in the file name (only letters, digits and `-`).
    pub language: String,
    /// Name of the track to show in a player, such as `日本語`.
    pub label: String,
    /// File name in the item's folder: `<media stem>.<language>.vtt`.
    pub file_name: String,
}

/// The values of a new library item, with the meaning of the [`LibraryItem`] fields of the same
/// name. The catalog assigns `id` and `added_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewItem {
    pub uid: String,
    pub download_type: DownloadType,
    pub title: String,
    pub file_name: String,
    pub path: PathBuf,
    pub bytes: u64,
    pub sha256: String,
    pub video_created: Option<String>,
    pub duration: Option<f64>,
    pub creator: Option<String>,
}

/// One row of the `jobs` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct JobRecord {
    /// Job id.
    #[ts(type = "number")]
    pub id: JobId,
    /// Stream video uid.
    pub uid: String,
    /// The file of the video being downloaded (MP4 or M4A).
    pub download_type: DownloadType,
    /// The video's title once known.
    pub title: Option<String>,
    /// Last persisted phase.
    pub state: JobPhase,
    /// Partial file kept for a resume, if any.
    #[ts(type = "string | null")]
    pub part_path: Option<PathBuf>,
    /// Bytes in the partial file at the last save.
    #[ts(type = "number")]
    pub bytes_done: u64,
    /// Size of the whole file once the delivery host stated it.
    #[ts(type = "number | null")]
    pub bytes_total: Option<u64>,
    /// The reason the job failed.
    pub error: Option<ErrorInfo>,
    /// The library item the job produced.
    #[ts(type = "number | null")]
    pub item_id: Option<i64>,
    /// The condition last shown with the phase, such as a full disk.
    pub notice: Option<JobNotice>,
    /// Creation time (RFC 3339, UTC).
    pub created_at: String,
    /// Last update time (RFC 3339, UTC).
    pub updated_at: String,
}

/// The mutable fields of a job row, written together, with the meaning of the [`JobRecord`]
/// fields of the same name.
#[derive(Debug, Clone, PartialEq)]
pub struct JobUpdate {
    pub state: JobPhase,
    pub title: Option<String>,
    pub part_path: Option<PathBuf>,
    pub bytes_done: u64,
    pub bytes_total: Option<u64>,
    pub error: Option<ErrorInfo>,
    pub item_id: Option<i64>,
    pub notice: Option<JobNotice>,
}

/// A partial file left by an earlier job, which a new job of the same video can resume.
#[derive(Debug, Clone, PartialEq)]
pub struct ResumePoint {
    /// The job that owns the partial file.
    pub job_id: JobId,
    /// The partial file.
    pub part_path: PathBuf,
    /// Size of the whole file, when the earlier job learned it.
    pub bytes_total: Option<u64>,
}

/// The lock on a catalog's job queue, released when dropped (or when the process ends).
#[derive(Debug)]
pub struct QueueLock {
    _file: std::fs::File,
}

/// The catalog database.
#[derive(Debug)]
pub struct Catalog {
    connection: Mutex<Connection>,
    path: PathBuf,
}

impl Catalog {
    /// Opens (or creates) `catalog.sqlite3` in `data_dir`, creating the folder if needed.
    ///
    /// # Errors
    /// [`EngineError::Disk`] when the folder cannot be created, [`EngineError::Catalog`] when
    /// the file cannot be opened or migrated, or was written by a newer version.
    pub fn open(data_dir: &Path) -> Result<Self, EngineError> {
        std::fs::create_dir_all(data_dir).map_err(|e| EngineError::disk(data_dir, e))?;
        Self::open_file(&data_dir.join(CATALOG_FILE_NAME))
    }

    /// Opens (or creates) the catalog at an explicit file path.
    ///
    /// # Errors
    /// As [`Catalog::open`].
    pub fn open_file(path: &Path) -> Result<Self, EngineError> {
        let connection = Connection::open(path).map_err(|e| catalog_error(path, e))?;
        configure(&connection).map_err(|e| catalog_error(path, e))?;
        migrate(&connection, path)?;
        debug!(path = %path.display(), "catalog opened");
        Ok(Self {
            connection: Mutex::new(connection),
            path: path.to_owned(),
        })
    }

    /// Returns the path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Takes the advisory lock that lets one process at a time resume this catalog's
    /// unfinished jobs, so the app and `offstream resume` never run the same job twice. Returns
    /// `None` when another process holds it. The lock lasts as long as the returned value.
    ///
    /// # Errors
    /// [`EngineError::Disk`] when the lock file cannot be created or locked.
    pub fn try_lock_queue(&self) -> Result<Option<QueueLock>, EngineError> {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".queue-lock");
        let path = PathBuf::from(name);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| EngineError::disk(&path, e))?;
        let taken = fs4::fs_std::FileExt::try_lock_exclusive(&file)
            .map_err(|e| EngineError::disk(&path, e))?;
        Ok(taken.then_some(QueueLock { _file: file }))
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-done statement behind (SQLite rolls
        // back an unfinished transaction), so a poisoned lock is safe to reuse.
        self.connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Inserts a library item and returns it with its id.
    ///
    /// # Errors
    /// [`EngineError::Catalog`], for example when the uid and download type already have an item.
    pub fn insert_item(&self, item: &NewItem) -> Result<LibraryItem, EngineError> {
        let added_at = now();
        let path = path_text(&item.path)?;
        let connection = self.lock();
        connection.execute(
            "INSERT INTO items (uid, download_type, title, file_name, path, bytes, sha256,
                                video_created, duration, creator, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                item.uid,
                item.download_type.as_str(),
                item.title,
                item.file_name,
                path,
                to_i64(item.bytes),
                item.sha256,
                item.video_created,
                item.duration,
                item.creator,
                added_at,
            ],
        )?;
        let id = connection.last_insert_rowid();
        info!(item_id = id, uid = %item.uid, download_type = %item.download_type, "library item added");
        Ok(LibraryItem {
            id,
            uid: item.uid.clone(),
            download_type: item.download_type,
            title: item.title.clone(),
            file_name: item.file_name.clone(),
            path: item.path.clone(),
            bytes: item.bytes,
            sha256: item.sha256.clone(),
            video_created: item.video_created.clone(),
            duration: item.duration,
            creator: item.creator.clone(),
            added_at,
            captions: Vec::new(),
        })
    }

    /// Records the caption files of an item. An empty list stores `NULL`.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the statement fails, [`EngineError::Internal`] when the
    /// list cannot be encoded.
    pub fn set_item_captions(&self, id: i64, captions: &[CaptionFile]) -> Result<(), EngineError> {
        let json = if captions.is_empty() {
            None
        } else {
            let text = serde_json::to_string(captions).map_err(|error| {
                EngineError::Internal(format!("the caption list cannot be stored: {error}"))
            })?;
            Some(text)
        };
        self.lock().execute(
            "UPDATE items SET captions = ?2 WHERE id = ?1",
            params![id, json],
        )?;
        Ok(())
    }

    /// Returns the file names of every item's caption files, for choosing unique names.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the query fails.
    pub fn caption_file_names(&self) -> Result<Vec<String>, EngineError> {
        let connection = self.lock();
        let mut statement =
            connection.prepare("SELECT captions FROM items WHERE captions IS NOT NULL")?;
        let lists = statement
            .query_map([], |row| row.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(lists
            .iter()
            .flat_map(|text| captions_from_json(text))
            .map(|caption| caption.file_name)
            .collect())
    }

    /// Returns one item by id.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the query fails.
    pub fn item(&self, id: i64) -> Result<Option<LibraryItem>, EngineError> {
        let connection = self.lock();
        let item = connection
            .query_row(
                &format!("SELECT {ITEM_COLUMNS} FROM items WHERE id = ?1"),
                [id],
                item_from_row,
            )
            .optional()?;
        Ok(item)
    }

    /// Returns the item of one video and download type.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the query fails.
    pub fn item_for(
        &self,
        uid: &str,
        download_type: DownloadType,
    ) -> Result<Option<LibraryItem>, EngineError> {
        let connection = self.lock();
        let item = connection
            .query_row(
                &format!("SELECT {ITEM_COLUMNS} FROM items WHERE uid = ?1 AND download_type = ?2"),
                params![uid, download_type.as_str()],
                item_from_row,
            )
            .optional()?;
        Ok(item)
    }

    /// Returns every item, newest first.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the query fails.
    pub fn items(&self) -> Result<Vec<LibraryItem>, EngineError> {
        let connection = self.lock();
        let mut statement = connection.prepare(&format!(
            "SELECT {ITEM_COLUMNS} FROM items ORDER BY id DESC"
        ))?;
        let items = statement
            .query_map([], item_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(items)
    }

    /// Returns the items whose title, file name or uid contains `text` (ASCII case-insensitive),
    /// newest first.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the query fails.
    pub fn search_items(&self, text: &str) -> Result<Vec<LibraryItem>, EngineError> {
        let pattern = format!("%{}%", escape_like(text.trim()));
        let connection = self.lock();
        let mut statement = connection.prepare(&format!(
            "SELECT {ITEM_COLUMNS} FROM items
             WHERE title LIKE ?1 ESCAPE '\\' OR file_name LIKE ?1 ESCAPE '\\' OR uid LIKE ?1 ESCAPE '\\'
             ORDER BY id DESC"
        ))?;
        let items = statement
            .query_map([pattern], item_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(items)
    }

    /// Returns the file names of every item, for choosing unique names.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the query fails.
    pub fn file_names(&self) -> Result<Vec<String>, EngineError> {
        let connection = self.lock();
        let mut statement = connection.prepare("SELECT file_name FROM items")?;
        let names = statement
            .query_map([], |row| row.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(names)
    }

    /// Deletes an item: first its file (a file that is already gone is fine), then its
    /// caption files, then its row. Returns false when no item has this id.
    ///
    /// # Errors
    /// [`EngineError::Disk`] when the media file exists but cannot be removed (the row is
    /// kept, so the catalog still lists the file), or [`EngineError::Catalog`]. A caption file
    /// that cannot be removed is logged and left, because the row must go with the media file.
    pub fn delete_item(&self, id: i64) -> Result<bool, EngineError> {
        let Some(item) = self.item(id)? else {
            return Ok(false);
        };

        match std::fs::remove_file(&item.path) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                debug!(item_id = id, "the file of the item was already gone");
            }
            Err(error) => return Err(EngineError::disk(&item.path, error)),
        }
        crate::captions::remove_files(&item);

        self.forget_item(id)?;
        info!(item_id = id, uid = %item.uid, "library item deleted");
        Ok(true)
    }

    /// Deletes an item's row but leaves the file alone, for rows whose file has disappeared.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the statement fails.
    pub fn forget_item(&self, id: i64) -> Result<(), EngineError> {
        self.lock()
            .execute("DELETE FROM items WHERE id = ?1", [id])?;
        Ok(())
    }

    /// Inserts a job row in the `queued` state and returns its id.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the statement fails.
    pub fn insert_job(&self, uid: &str, download_type: DownloadType) -> Result<JobId, EngineError> {
        let created = now();
        let connection = self.lock();
        connection.execute(
            "INSERT INTO jobs (uid, download_type, state, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?4)",
            params![
                uid,
                download_type.as_str(),
                JobPhase::Queued.as_str(),
                created
            ],
        )?;
        Ok(connection.last_insert_rowid())
    }

    /// Writes the mutable fields of a job row.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the statement fails or the path is not valid UTF-8.
    pub fn update_job(&self, id: JobId, update: &JobUpdate) -> Result<(), EngineError> {
        let part_path = update.part_path.as_deref().map(path_text).transpose()?;
        let (error_code, error_message) = match &update.error {
            Some(error) => (Some(error.code.as_str()), Some(error.message.as_str())),
            None => (None, None),
        };
        let notice = update
            .notice
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|error| {
                EngineError::Internal(format!("the job notice cannot be stored: {error}"))
            })?;
        self.lock().execute(
            "UPDATE jobs SET state = ?2, title = ?3, part_path = ?4, bytes_done = ?5,
                             bytes_total = ?6, error_code = ?7, error_message = ?8, item_id = ?9,
                             updated_at = ?10, notice = ?11
             WHERE id = ?1",
            params![
                id,
                update.state.as_str(),
                update.title,
                part_path,
                to_i64(update.bytes_done),
                update.bytes_total.map(to_i64),
                error_code,
                error_message,
                update.item_id,
                now(),
                notice,
            ],
        )?;
        Ok(())
    }

    /// Returns one job row.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the query fails.
    pub fn job(&self, id: JobId) -> Result<Option<JobRecord>, EngineError> {
        let connection = self.lock();
        let job = connection
            .query_row(
                &format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1"),
                [id],
                job_from_row,
            )
            .optional()?;
        Ok(job)
    }

    /// Returns the job rows a restart resumes: those in an active phase (`queued`, `preparing`,
    /// `transferring`, `verifying`) or `paused`, oldest first, so the queue keeps its order.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the query fails.
    pub fn unfinished_jobs(&self) -> Result<Vec<JobRecord>, EngineError> {
        let connection = self.lock();
        let mut statement = connection.prepare(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs
             WHERE state IN ('queued', 'preparing', 'transferring', 'verifying', 'paused')
             ORDER BY id"
        ))?;
        let jobs = statement
            .query_map([], job_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(jobs)
    }

    /// Returns every job row, newest first.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the query fails.
    pub fn jobs(&self) -> Result<Vec<JobRecord>, EngineError> {
        let connection = self.lock();
        let mut statement =
            connection.prepare(&format!("SELECT {JOB_COLUMNS} FROM jobs ORDER BY id DESC"))?;
        let jobs = statement
            .query_map([], job_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(jobs)
    }

    /// Deletes a job row.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the statement fails.
    pub fn delete_job(&self, id: JobId) -> Result<(), EngineError> {
        self.lock()
            .execute("DELETE FROM jobs WHERE id = ?1", [id])?;
        Ok(())
    }

    /// Returns the newest unfinished job of this video and type, other than `except`, that
    /// still owns a partial file.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the query fails.
    pub fn resume_point(
        &self,
        uid: &str,
        download_type: DownloadType,
        except: JobId,
    ) -> Result<Option<ResumePoint>, EngineError> {
        let connection = self.lock();
        let point = connection
            .query_row(
                "SELECT id, part_path, bytes_total FROM jobs
                 WHERE uid = ?1 AND download_type = ?2 AND id <> ?3
                   AND part_path IS NOT NULL AND state <> ?4
                 ORDER BY id DESC LIMIT 1",
                params![uid, download_type.as_str(), except, JobPhase::Done.as_str()],
                |row| {
                    Ok(ResumePoint {
                        job_id: row.get(0)?,
                        part_path: PathBuf::from(row.get::<_, String>(1)?),
                        bytes_total: row.get::<_, Option<i64>>(2)?.map(to_u64),
                    })
                },
            )
            .optional()?;
        Ok(point)
    }

    /// Clears the partial file of a job row, when another job takes it over.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the statement fails.
    pub fn release_part(&self, id: JobId) -> Result<(), EngineError> {
        self.lock().execute(
            "UPDATE jobs SET part_path = NULL, updated_at = ?2 WHERE id = ?1",
            params![id, now()],
        )?;
        Ok(())
    }

    /// Runs `PRAGMA integrity_check` over the whole database.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] naming the problems SQLite found, or when the check cannot run.
    pub fn integrity_check(&self) -> Result<(), EngineError> {
        let connection = self.lock();
        let mut statement = connection.prepare("PRAGMA integrity_check")?;
        let rows = statement
            .query_map([], |row| row.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        if rows.len() == 1 && rows[0] == "ok" {
            return Ok(());
        }
        Err(EngineError::Catalog {
            detail: format!(
                "{} is damaged ({}): restore it from a backup, or move it away so Offstream creates a new one",
                self.path.display(),
                rows.join("; ")
            ),
            source: None,
        })
    }
}

const ITEM_COLUMNS: &str = "id, uid, download_type, title, file_name, path, bytes, sha256, \
                            video_created, duration, creator, added_at, captions";

const JOB_COLUMNS: &str = "id, uid, download_type, title, state, part_path, bytes_done, \
                           bytes_total, error_code, error_message, item_id, created_at, updated_at, \
                           notice";

fn item_from_row(row: &Row<'_>) -> rusqlite::Result<LibraryItem> {
    Ok(LibraryItem {
        id: row.get(0)?,
        uid: row.get(1)?,
        download_type: parse_column(row, 2)?,
        title: row.get(3)?,
        file_name: row.get(4)?,
        path: PathBuf::from(row.get::<_, String>(5)?),
        bytes: to_u64(row.get(6)?),
        sha256: row.get(7)?,
        video_created: row.get(8)?,
        duration: row.get(9)?,
        creator: row.get(10)?,
        added_at: row.get(11)?,
        captions: row
            .get::<_, Option<String>>(12)?
            .map(|text| captions_from_json(&text))
            .unwrap_or_default(),
    })
}

/// Reads the JSON caption list of an item. A list this version cannot read counts as no
/// captions, because they only accompany the media file.
fn captions_from_json(text: &str) -> Vec<CaptionFile> {
    serde_json::from_str(text).unwrap_or_else(|error| {
        debug!(%error, "ignoring an unreadable caption list");
        Vec::new()
    })
}

fn job_from_row(row: &Row<'_>) -> rusqlite::Result<JobRecord> {
    let error_code: Option<String> = row.get(8)?;
    let error_message: Option<String> = row.get(9)?;
    Ok(JobRecord {
        id: row.get(0)?,
        uid: row.get(1)?,
        download_type: parse_column(row, 2)?,
        title: row.get(3)?,
        state: parse_column(row, 4)?,
        part_path: row.get::<_, Option<String>>(5)?.map(PathBuf::from),
        bytes_done: to_u64(row.get(6)?),
        bytes_total: row.get::<_, Option<i64>>(7)?.map(to_u64),
        error: error_code.map(|code| ErrorInfo {
            code,
            message: error_message.unwrap_or_default(),
        }),
        item_id: row.get(10)?,
        notice: notice_from_column(row, 13)?,
        created_at: row.get(11)?,
        updated_at: row.get(12)?,
    })
}

/// Reads the JSON notice column. A notice this version does not know reads as none, because
/// it only decorates the phase.
fn notice_from_column(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<JobNotice>> {
    let text: Option<String> = row.get(index)?;
    Ok(text.and_then(|text| serde_json::from_str(&text).ok()))
}

/// Reads a text column through `FromStr`, reporting a bad value as a conversion error.
fn parse_column<T>(row: &Row<'_>, index: usize) -> rusqlite::Result<T>
where
    T: FromStr<Err = String>,
{
    let text: String = row.get(index)?;
    text.parse().map_err(|message: String| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            message.into(),
        )
    })
}

fn configure(connection: &Connection) -> rusqlite::Result<()> {
    connection.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String =
        connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        debug!(
            mode,
            "the file system does not support WAL; SQLite keeps its own journal mode"
        );
    }
    connection.pragma_update(None, "foreign_keys", true)?;
    // NORMAL in WAL mode syncs at each checkpoint: a power cut may lose the last commits but
    // never damages the file.
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(())
}

fn migrate(connection: &Connection, path: &Path) -> Result<(), EngineError> {
    let version: i64 = connection
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|e| catalog_error(path, e))?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(EngineError::Catalog {
            detail: format!(
                "{} has schema version {version}, but this version of Offstream knows only up to {known}: update Offstream",
                path.display()
            ),
            source: None,
        });
    }

    for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let target = index as i64 + 1;
        let apply = || -> rusqlite::Result<()> {
            let transaction = connection.unchecked_transaction()?;
            transaction.execute_batch(sql)?;
            transaction.pragma_update(None, "user_version", target)?;
            transaction.commit()
        };
        apply().map_err(|e| catalog_error(path, e))?;
        info!(path = %path.display(), version = target, "catalog schema migrated");
    }
    Ok(())
}

fn catalog_error(path: &Path, error: rusqlite::Error) -> EngineError {
    EngineError::Catalog {
        detail: format!("{}: {error}", path.display()),
        source: Some(std::sync::Arc::new(error)),
    }
}

fn path_text(path: &Path) -> Result<&str, EngineError> {
    path.to_str().ok_or_else(|| {
        EngineError::Config(format!(
            "the path {} is not valid UTF-8; choose a library folder whose path has only Unicode characters",
            path.display()
        ))
    })
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Converts a byte count for SQLite, whose integers are signed 64-bit.
fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open() -> (tempfile::TempDir, Catalog) {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(dir.path()).unwrap();
        (dir, catalog)
    }

    fn new_item(dir: &Path, uid: &str, file_name: &str) -> NewItem {
        NewItem {
            uid: uid.to_owned(),
            download_type: DownloadType::Default,
            title: format!("Title of {uid}"),
            file_name: file_name.to_owned(),
            path: dir.join(file_name),
            bytes: 1234,
            sha256: "ab".repeat(32),
            video_created: Some("2024-01-01T00:00:00.000000Z".to_owned()),
            duration: Some(12.5),
            creator: None,
        }
    }

    #[test]
    fn open_sets_pragmas() {
        let (_dir, catalog) = open();
        let connection = catalog.lock();
        let mode: String = connection
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        let foreign_keys: i64 = connection
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        let version: i64 = connection
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        let synchronous: i64 = connection
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(synchronous, 1, "synchronous=NORMAL");
        assert_eq!(foreign_keys, 1);
        assert_eq!(version, MIGRATIONS.len() as i64);
    }

    #[test]
    fn open_twice_keeps_rows() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(dir.path()).unwrap();
        catalog
            .insert_item(&new_item(dir.path(), "u1", "a.mp4"))
            .unwrap();
        drop(catalog);
        let reopened = Catalog::open(dir.path()).unwrap();
        assert_eq!(reopened.items().unwrap().len(), 1);
    }

    #[test]
    fn open_rejects_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CATALOG_FILE_NAME);
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        let error = Catalog::open(dir.path()).unwrap_err();
        assert!(error.to_string().contains("update Offstream"), "{error}");
    }

    #[test]
    fn item_round_trips() {
        let (dir, catalog) = open();
        let inserted = catalog
            .insert_item(&new_item(dir.path(), "u1", "a.mp4"))
            .unwrap();
        let loaded = catalog.item(inserted.id).unwrap().unwrap();
        assert_eq!(loaded, inserted);
        let by_uid = catalog.item_for("u1", DownloadType::Default).unwrap();
        assert_eq!(by_uid, Some(inserted));
    }

    #[test]
    fn item_unique_per_uid_and_type() {
        let (dir, catalog) = open();
        catalog
            .insert_item(&new_item(dir.path(), "u1", "a.mp4"))
            .unwrap();
        let second = catalog.insert_item(&new_item(dir.path(), "u1", "b.mp4"));
        assert_eq!(second.unwrap_err().code(), "catalog");

        let mut audio = new_item(dir.path(), "u1", "a.m4a");
        audio.download_type = DownloadType::Audio;
        assert!(catalog.insert_item(&audio).is_ok());
    }

    #[test]
    fn search_matches_title_case_insensitively() {
        let (dir, catalog) = open();
        let mut item = new_item(dir.path(), "u1", "a.mp4");
        item.title = "Quarterly Review 100%".to_owned();
        catalog.insert_item(&item).unwrap();
        catalog
            .insert_item(&new_item(dir.path(), "u2", "b.mp4"))
            .unwrap();
        assert_eq!(catalog.search_items("quarterly").unwrap().len(), 1);
        assert_eq!(catalog.search_items("100%").unwrap().len(), 1);
        assert_eq!(catalog.search_items("0%%").unwrap().len(), 0);
    }

    #[test]
    fn delete_item_removes_file_then_row() {
        let (dir, catalog) = open();
        let item = catalog
            .insert_item(&new_item(dir.path(), "u1", "a.mp4"))
            .unwrap();
        std::fs::write(&item.path, b"video").unwrap();
        assert!(catalog.delete_item(item.id).unwrap());
        assert!(!item.path.exists());
        assert_eq!(catalog.item(item.id).unwrap(), None);
    }

    #[test]
    fn delete_item_accepts_missing_file() {
        let (dir, catalog) = open();
        let item = catalog
            .insert_item(&new_item(dir.path(), "u1", "gone.mp4"))
            .unwrap();
        assert!(catalog.delete_item(item.id).unwrap());
        assert_eq!(catalog.items().unwrap().len(), 0);
    }

    fn caption(language: &str, file_name: &str) -> CaptionFile {
        CaptionFile {
            language: language.to_owned(),
            label: format!("Label {language}"),
            file_name: file_name.to_owned(),
        }
    }

    #[test]
    fn captions_round_trip() {
        let (dir, catalog) = open();
        let item = catalog
            .insert_item(&new_item(dir.path(), "u1", "a.mp4"))
            .unwrap();
        let captions = vec![caption("en", "a.en.vtt"), caption("ja", "a.ja.vtt")];

        catalog.set_item_captions(item.id, &captions).unwrap();

        assert!(item.captions.is_empty());
        assert_eq!(catalog.item(item.id).unwrap().unwrap().captions, captions);
        assert_eq!(
            catalog.caption_file_names().unwrap(),
            ["a.en.vtt", "a.ja.vtt"]
        );
    }

    #[test]
    fn empty_captions_store_null() {
        let (dir, catalog) = open();
        let item = catalog
            .insert_item(&new_item(dir.path(), "u1", "a.mp4"))
            .unwrap();
        catalog
            .set_item_captions(item.id, &[caption("en", "a.en.vtt")])
            .unwrap();

        catalog.set_item_captions(item.id, &[]).unwrap();

        let stored: Option<String> = catalog
            .lock()
            .query_row("SELECT captions FROM items WHERE id = ?1", [item.id], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(stored, None);
    }

    #[test]
    fn unreadable_captions_read_as_none() {
        let (dir, catalog) = open();
        let item = catalog
            .insert_item(&new_item(dir.path(), "u1", "a.mp4"))
            .unwrap();
        catalog
            .lock()
            .execute(
                "UPDATE items SET captions = '{not json' WHERE id = ?1",
                [item.id],
            )
            .unwrap();

        assert!(catalog.item(item.id).unwrap().unwrap().captions.is_empty());
    }

    #[test]
    fn delete_item_removes_caption_files() {
        let (dir, catalog) = open();
        let item = catalog
            .insert_item(&new_item(dir.path(), "u1", "a.mp4"))
            .unwrap();
        std::fs::write(&item.path, b"video").unwrap();
        std::fs::write(dir.path().join("a.en.vtt"), b"WEBVTT\n").unwrap();
        catalog
            .set_item_captions(
                item.id,
                &[caption("en", "a.en.vtt"), caption("ja", "a.ja.vtt")],
            )
            .unwrap();

        assert!(catalog.delete_item(item.id).unwrap());

        assert!(!dir.path().join("a.en.vtt").exists());
        assert_eq!(catalog.item(item.id).unwrap(), None);
    }

    #[test]
    fn delete_item_keeps_caption_outside_folder() {
        let (dir, catalog) = open();
        let library = dir.path().join("library");
        std::fs::create_dir_all(&library).unwrap();
        let item = catalog
            .insert_item(&new_item(&library, "u1", "a.mp4"))
            .unwrap();
        let outside = dir.path().join("keep.vtt");
        std::fs::write(&outside, b"WEBVTT\n").unwrap();
        catalog
            .set_item_captions(item.id, &[caption("en", "../keep.vtt")])
            .unwrap();

        catalog.delete_item(item.id).unwrap();

        assert!(outside.exists());
    }

    #[test]
    fn delete_unknown_item_is_false() {
        let (_dir, catalog) = open();
        assert!(!catalog.delete_item(42).unwrap());
    }

    #[test]
    fn job_update_round_trips() {
        let (dir, catalog) = open();
        let id = catalog.insert_job("u1", DownloadType::Audio).unwrap();
        let update = JobUpdate {
            state: JobPhase::Failed,
            title: Some("Talk".to_owned()),
            part_path: Some(dir.path().join("Talk.m4a.part")),
            bytes_done: 10,
            bytes_total: Some(100),
            error: Some(ErrorInfo {
                code: "network".to_owned(),
                message: "connection reset".to_owned(),
            }),
            item_id: None,
            notice: None,
        };
        catalog.update_job(id, &update).unwrap();
        let job = catalog.job(id).unwrap().unwrap();
        assert_eq!(job.state, JobPhase::Failed);
        assert_eq!(job.part_path, update.part_path);
        assert_eq!(job.bytes_total, Some(100));
        assert_eq!(job.error, update.error);
        assert_eq!(job.download_type, DownloadType::Audio);
    }

    #[test]
    fn resume_point_finds_latest_part() {
        let (dir, catalog) = open();
        let old = catalog.insert_job("u1", DownloadType::Default).unwrap();
        let update = JobUpdate {
            state: JobPhase::Cancelled,
            title: None,
            part_path: Some(dir.path().join("a.mp4.part")),
            bytes_done: 5,
            bytes_total: Some(50),
            error: None,
            item_id: None,
            notice: None,
        };
        catalog.update_job(old, &update).unwrap();
        let current = catalog.insert_job("u1", DownloadType::Default).unwrap();

        let point = catalog
            .resume_point("u1", DownloadType::Default, current)
            .unwrap()
            .unwrap();
        assert_eq!(point.job_id, old);
        assert_eq!(point.bytes_total, Some(50));
        assert_eq!(
            catalog
                .resume_point("u1", DownloadType::Audio, current)
                .unwrap(),
            None
        );

        catalog.release_part(old).unwrap();
        assert_eq!(
            catalog
                .resume_point("u1", DownloadType::Default, current)
                .unwrap(),
            None
        );
    }

    fn update_with_state(state: JobPhase) -> JobUpdate {
        JobUpdate {
            state,
            title: None,
            part_path: None,
            bytes_done: 0,
            bytes_total: None,
            error: None,
            item_id: None,
            notice: None,
        }
    }

    #[test]
    fn unfinished_jobs_lists_active_and_paused() {
        let (_dir, catalog) = open();
        let mut expected = Vec::new();
        for state in [
            JobPhase::Queued,
            JobPhase::Transferring,
            JobPhase::Paused,
            JobPhase::Done,
            JobPhase::Failed,
            JobPhase::Cancelled,
        ] {
            let id = catalog.insert_job("u1", DownloadType::Default).unwrap();
            catalog.update_job(id, &update_with_state(state)).unwrap();
            if state.is_active() || state == JobPhase::Paused {
                expected.push(id);
            }
        }
        let ids: Vec<JobId> = catalog
            .unfinished_jobs()
            .unwrap()
            .iter()
            .map(|job| job.id)
            .collect();
        assert_eq!(ids, expected);
    }

    #[test]
    fn notice_round_trips() {
        let (_dir, catalog) = open();
        let id = catalog.insert_job("u1", DownloadType::Default).unwrap();
        let mut update = update_with_state(JobPhase::Paused);
        update.notice = Some(JobNotice::DiskFull {
            needed_bytes: Some(4096),
        });
        catalog.update_job(id, &update).unwrap();
        assert_eq!(catalog.job(id).unwrap().unwrap().notice, update.notice);
    }

    #[test]
    fn unknown_notice_reads_as_none() {
        let (_dir, catalog) = open();
        let id = catalog.insert_job("u1", DownloadType::Default).unwrap();
        catalog
            .lock()
            .execute(
                r#"UPDATE jobs SET notice = '{"kind":"fromTheFuture"}' WHERE id = ?1"#,
                [id],
            )
            .unwrap();
        assert_eq!(catalog.job(id).unwrap().unwrap().notice, None);
    }

    #[test]
    fn open_migrates_version_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CATALOG_FILE_NAME);
        {
            // A catalog as the first release wrote it: schema 1 with a running job.
            let old = Connection::open(&path).unwrap();
            old.execute_batch(MIGRATIONS[0]).unwrap();
            old.pragma_update(None, "user_version", 1).unwrap();
            old.execute(
                "INSERT INTO jobs (uid, download_type, state, part_path, bytes_done, bytes_total,
                                   created_at, updated_at)
                 VALUES ('u1', 'default', 'transferring', '/lib/a.mp4.part', 10, 100, 't', 't')",
                [],
            )
            .unwrap();
        }

        let catalog = Catalog::open(dir.path()).unwrap();
        let version: i64 = catalog
            .lock()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        let jobs = catalog.unfinished_jobs().unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].state, JobPhase::Transferring);
        assert_eq!(jobs[0].bytes_total, Some(100));
        assert_eq!(jobs[0].notice, None);
        assert!(catalog.integrity_check().is_ok());
    }

    #[test]
    fn integrity_check_passes_new_file() {
        let (_dir, catalog) = open();
        assert!(catalog.integrity_check().is_ok());
    }

    #[test]
    fn integrity_check_finds_damage() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(dir.path()).unwrap();
        for n in 0..200 {
            catalog
                .insert_item(&new_item(dir.path(), &format!("u{n}"), &format!("{n}.mp4")))
                .unwrap();
        }
        // Point the title index at another column: its entries stop matching the table,
        // which `integrity_check` reports while ordinary queries still run.
        {
            let connection = catalog.lock();
            connection
                .pragma_update(None, "writable_schema", true)
                .unwrap();
            connection
                .execute(
                    "UPDATE sqlite_master SET sql = 'CREATE INDEX items_title ON items (file_name)'
                     WHERE name = 'items_title'",
                    [],
                )
                .unwrap();
            connection
                .pragma_update(None, "writable_schema", false)
                .unwrap();
        }
        drop(catalog);

        let reopened = Catalog::open(dir.path()).unwrap();
        let error = reopened.integrity_check().unwrap_err();
        assert_eq!(error.code(), "catalog");
        assert!(error.to_string().contains("damaged"), "{error}");
    }

    #[test]
    fn deleting_item_clears_job_link() {
        let (dir, catalog) = open();
        let item = catalog
            .insert_item(&new_item(dir.path(), "u1", "a.mp4"))
            .unwrap();
        let id = catalog.insert_job("u1", DownloadType::Default).unwrap();
        let update = JobUpdate {
            state: JobPhase::Done,
            title: None,
            part_path: None,
            bytes_done: 1234,
            bytes_total: Some(1234),
            error: None,
            item_id: Some(item.id),
            notice: None,
        };
        catalog.update_job(id, &update).unwrap();
        catalog.delete_item(item.id).unwrap();
        assert_eq!(catalog.job(id).unwrap().unwrap().item_id, None);
    }

    #[test]
    fn schema_has_no_url_column() {
        let (_dir, catalog) = open();
        let connection = catalog.lock();
        let sql: Vec<String> = connection
            .prepare("SELECT sql FROM sqlite_master WHERE type = 'table'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        // `require_signed_urls` names a flag of the video, not a stored URL.
        let sql = sql
            .join("\n")
            .to_lowercase()
            .replace("require_signed_urls", "");
        assert!(!sql.contains("url"), "{sql}");
    }
}
