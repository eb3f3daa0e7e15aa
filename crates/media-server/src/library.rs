//! The table of files the server may serve, keyed by catalog id.
//!
//! Each entry keeps the file's length and modification time from registration, so a file that
//! is replaced or truncated later is detected instead of served as a mix of old and new bytes.

use std::collections::HashMap;
use std::fs::Metadata;
use std::io;
use std::path::PathBuf;
use std::sync::{PoisonError, RwLock};
use std::time::SystemTime;

use crate::error::{Error, Result};

/// The media type sent in `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentType {
    /// An MP4 video download (`video/mp4`).
    VideoMp4,
    /// An M4A audio download (`audio/mp4`).
    AudioMp4,
}

impl ContentType {
    /// Returns the MIME type for the `Content-Type` header.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VideoMp4 => "video/mp4",
            Self::AudioMp4 => "audio/mp4",
        }
    }
}

/// A file to serve under a catalog id, as passed to
/// [`MediaServer::replace_all`](crate::MediaServer::replace_all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    /// The catalog id that appears in the URL.
    pub id: i64,
    /// The file on disk.
    pub path: PathBuf,
    /// The media type to announce.
    pub content_type: ContentType,
}

/// A registered file with the metadata it had at registration.
#[derive(Debug, Clone)]
pub(crate) struct Registered {
    pub(crate) path: PathBuf,
    pub(crate) content_type: ContentType,
    len: u64,
    modified: Option<SystemTime>,
}

impl Registered {
    /// Reads the metadata of `path` and checks that it is a regular file.
    fn snapshot(id: i64, path: PathBuf, content_type: ContentType) -> Result<Self> {
        let metadata = match std::fs::metadata(&path) {
            Ok(metadata) => metadata,
            Err(source) if source.kind() == io::ErrorKind::NotFound => {
                return Err(Error::FileNotFound { id, path });
            }
            Err(source) => return Err(Error::Io { id, path, source }),
        };
        if !metadata.is_file() {
            return Err(Error::NotAFile { id, path });
        }

        Ok(Self {
            path,
            content_type,
            len: metadata.len(),
            modified: metadata.modified().ok(),
        })
    }

    /// Returns true when an opened file still looks like the one that was registered.
    pub(crate) fn is_unchanged(&self, metadata: &Metadata) -> bool {
        metadata.is_file()
            && metadata.len() == self.len
            && metadata.modified().ok() == self.modified
    }
}

/// The id → file table shared by the server handle and the request handler.
#[derive(Debug, Default)]
pub(crate) struct Library {
    entries: RwLock<HashMap<i64, Registered>>,
}

impl Library {
    /// Adds or replaces the file for `id`.
    pub(crate) fn register(&self, id: i64, path: PathBuf, content_type: ContentType) -> Result<()> {
        let entry = Registered::snapshot(id, path, content_type)?;
        self.write().insert(id, entry);
        Ok(())
    }

    /// Removes `id`, returning whether it was registered.
    pub(crate) fn unregister(&self, id: i64) -> bool {
        self.write().remove(&id).is_some()
    }

    /// Replaces the whole table and returns the files that could not be registered.
    pub(crate) fn replace_all(&self, files: impl IntoIterator<Item = MediaFile>) -> Vec<Error> {
        let mut entries = HashMap::new();
        let mut failures = Vec::new();
        for file in files {
            match Registered::snapshot(file.id, file.path, file.content_type) {
                Ok(entry) => {
                    entries.insert(file.id, entry);
                }
                Err(error) => failures.push(error),
            }
        }

        // A single swap, so a request reads either the old table or the new one, never a partial one.
        *self.write() = entries;
        failures
    }

    /// Returns a copy of the entry for `id`.
    pub(crate) fn get(&self, id: i64) -> Option<Registered> {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .cloned()
    }

    /// Returns whether `id` is registered.
    pub(crate) fn contains(&self, id: i64) -> bool {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(&id)
    }

    // The table stays consistent even if a writer panicked, because every write is a single
    // insert, remove or swap, so a poisoned lock is safe to use.
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<i64, Registered>> {
        self.entries.write().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_missing_file_fails() {
        let library = Library::default();
        let dir = tempfile::tempdir().unwrap();
        let result = library.register(1, dir.path().join("gone.mp4"), ContentType::VideoMp4);
        assert!(matches!(result, Err(Error::FileNotFound { id: 1, .. })));
    }

    #[test]
    fn register_directory_fails() {
        let library = Library::default();
        let dir = tempfile::tempdir().unwrap();
        let result = library.register(2, dir.path().to_owned(), ContentType::VideoMp4);
        assert!(matches!(result, Err(Error::NotAFile { id: 2, .. })));
    }

    #[test]
    fn replace_all_keeps_good_files() {
        let library = Library::default();
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("a.mp4");
        std::fs::write(&good, b"abc").unwrap();
        library
            .register(9, good.clone(), ContentType::VideoMp4)
            .unwrap();

        let failures = library.replace_all([
            MediaFile {
                id: 1,
                path: good,
                content_type: ContentType::AudioMp4,
            },
            MediaFile {
                id: 2,
                path: dir.path().join("b.mp4"),
                content_type: ContentType::VideoMp4,
            },
        ]);

        assert_eq!(failures.len(), 1);
        assert!(library.contains(1));
        assert!(!library.contains(2));
        assert!(!library.contains(9));
    }
}
