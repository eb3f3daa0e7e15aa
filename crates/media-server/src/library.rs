//! The tables of files the server may serve, keyed by [`Resource`].
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
use crate::resource::Resource;

/// The media type sent in `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentType {
    /// An MP4 video download (`video/mp4`).
    VideoMp4,
    /// An M4A audio download (`audio/mp4`).
    AudioMp4,
    /// A JPEG thumbnail (`image/jpeg`).
    ImageJpeg,
    /// A WebVTT caption file (`text/vtt; charset=utf-8`; WebVTT is always UTF-8).
    TextVtt,
}

impl ContentType {
    /// Returns the MIME type for the `Content-Type` header.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VideoMp4 => "video/mp4",
            Self::AudioMp4 => "audio/mp4",
            Self::ImageJpeg => "image/jpeg",
            Self::TextVtt => "text/vtt; charset=utf-8",
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

/// A caption file to serve for a library item, as passed to
/// [`MediaServer::replace_captions`](crate::MediaServer::replace_captions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptionSource {
    /// The catalog id of the item the captions belong to.
    pub id: i64,
    /// The BCP 47 language tag that appears in the URL: ASCII letters, digits and `-` only.
    pub language: String,
    /// The WebVTT file on disk.
    pub path: PathBuf,
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
    fn snapshot(resource: &Resource, path: PathBuf, content_type: ContentType) -> Result<Self> {
        if resource.path().is_none() {
            return Err(Error::InvalidName {
                resource: resource.clone(),
            });
        }
        let metadata = match std::fs::metadata(&path) {
            Ok(metadata) => metadata,
            Err(source) if source.kind() == io::ErrorKind::NotFound => {
                return Err(Error::FileNotFound {
                    resource: resource.clone(),
                    path,
                });
            }
            Err(source) => {
                return Err(Error::Io {
                    resource: resource.clone(),
                    path,
                    source,
                })
            }
        };
        if !metadata.is_file() {
            return Err(Error::NotAFile {
                resource: resource.clone(),
                path,
            });
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

/// One resource → file table shared by the server handle and the request handler. The
/// server keeps one table per kind of resource, so replacing all media files leaves the
/// thumbnails alone.
#[derive(Debug, Default)]
pub(crate) struct Library {
    entries: RwLock<HashMap<Resource, Registered>>,
}

impl Library {
    /// Adds or replaces the file for `resource`.
    pub(crate) fn register(
        &self,
        resource: Resource,
        path: PathBuf,
        content_type: ContentType,
    ) -> Result<()> {
        let entry = Registered::snapshot(&resource, path, content_type)?;
        self.write().insert(resource, entry);
        Ok(())
    }

    /// Removes `resource`, returning whether it was registered.
    pub(crate) fn unregister(&self, resource: &Resource) -> bool {
        self.write().remove(resource).is_some()
    }

    /// Removes every resource for which `remove` returns true.
    pub(crate) fn unregister_where(&self, remove: impl Fn(&Resource) -> bool) {
        self.write().retain(|resource, _| !remove(resource));
    }

    /// Replaces the whole table and returns the files that could not be registered.
    pub(crate) fn replace_all(
        &self,
        files: impl IntoIterator<Item = (Resource, PathBuf, ContentType)>,
    ) -> Vec<Error> {
        let mut entries = HashMap::new();
        let mut failures = Vec::new();
        for (resource, path, content_type) in files {
            match Registered::snapshot(&resource, path, content_type) {
                Ok(entry) => {
                    entries.insert(resource, entry);
                }
                Err(error) => failures.push(error),
            }
        }

        // A single swap, so a request reads either the old table or the new one, never a partial one.
        *self.write() = entries;
        failures
    }

    /// Returns a copy of the entry for `resource`.
    pub(crate) fn get(&self, resource: &Resource) -> Option<Registered> {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(resource)
            .cloned()
    }

    /// Returns whether `resource` is registered.
    pub(crate) fn contains(&self, resource: &Resource) -> bool {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(resource)
    }

    // The table stays consistent even if a writer panicked, because every write is a single
    // insert, remove, retain or swap, so a poisoned lock is safe to use.
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<Resource, Registered>> {
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
        let result = library.register(
            Resource::Media(1),
            dir.path().join("gone.mp4"),
            ContentType::VideoMp4,
        );
        assert!(matches!(
            result,
            Err(Error::FileNotFound {
                resource: Resource::Media(1),
                ..
            })
        ));
    }

    #[test]
    fn register_directory_fails() {
        let library = Library::default();
        let dir = tempfile::tempdir().unwrap();
        let result = library.register(
            Resource::Media(2),
            dir.path().to_owned(),
            ContentType::VideoMp4,
        );
        assert!(matches!(
            result,
            Err(Error::NotAFile {
                resource: Resource::Media(2),
                ..
            })
        ));
    }

    #[test]
    fn register_unsafe_uid_fails() {
        let library = Library::default();
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("a.jpg");
        std::fs::write(&good, b"jpeg").unwrap();
        let result = library.register(
            Resource::Thumbnail("../a".into()),
            good,
            ContentType::ImageJpeg,
        );
        assert!(matches!(result, Err(Error::InvalidName { .. })));
    }

    #[test]
    fn replace_all_keeps_good_files() {
        let library = Library::default();
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("a.mp4");
        std::fs::write(&good, b"abc").unwrap();
        library
            .register(Resource::Media(9), good.clone(), ContentType::VideoMp4)
            .unwrap();

        let failures = library.replace_all([
            (Resource::Media(1), good, ContentType::AudioMp4),
            (
                Resource::Media(2),
                dir.path().join("b.mp4"),
                ContentType::VideoMp4,
            ),
        ]);

        assert_eq!(failures.len(), 1);
        assert!(library.contains(&Resource::Media(1)));
        assert!(!library.contains(&Resource::Media(2)));
        assert!(!library.contains(&Resource::Media(9)));
    }
}
