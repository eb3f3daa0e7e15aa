//! Media payloads that the delivery host serves: shared in-memory bytes or a file on disk.
//!
//! A [`MediaFile`] is cheap to clone (one `Arc`), so thousands of synthetic videos can share the
//! bytes of one sample. File-backed media is never loaded whole: ranges are read with a seek and
//! bounded chunked reads. The strong `ETag` is a SHA-256 of the content, computed on first use
//! and cached for the life of the value.

use std::fmt;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::sync::OnceCell;
use tokio_util::io::ReaderStream;

use crate::mp4::{self, Mp4Info};

/// Size of the chunks a response body is cut into.
const CHUNK_LEN: usize = 64 * 1024;

/// The bytes of one video or audio file, in memory or on disk.
#[derive(Clone)]
pub struct MediaFile {
    inner: Arc<Inner>,
}

struct Inner {
    source: Source,
    len: u64,
    etag: OnceCell<String>,
    info: OnceLock<Option<Mp4Info>>,
}

enum Source {
    Memory(Bytes),
    Disk(PathBuf),
}

impl MediaFile {
    /// Wraps bytes held in memory; `Bytes::from_static` data is shared without copying.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        Self::new(Source::Memory(bytes.clone()), bytes.len() as u64)
    }

    /// Refers to a file on disk and records its current length.
    ///
    /// The file is read again on every request, so it must not change while the emulator runs.
    ///
    /// # Errors
    /// Returns the I/O error from reading the file's metadata, or `InvalidInput` when the path
    /// is not a regular file.
    pub fn from_path(path: impl Into<PathBuf>) -> io::Result<Self> {
        let path = path.into();
        let metadata = std::fs::metadata(&path)?;
        if !metadata.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} is not a regular file", path.display()),
            ));
        }
        Ok(Self::new(Source::Disk(path), metadata.len()))
    }

    fn new(source: Source, len: u64) -> Self {
        Self {
            inner: Arc::new(Inner {
                source,
                len,
                etag: OnceCell::new(),
                info: OnceLock::new(),
            }),
        }
    }

    /// Returns the length in bytes.
    pub fn len(&self) -> u64 {
        self.inner.len
    }

    /// Returns true for zero-length media.
    pub fn is_empty(&self) -> bool {
        self.inner.len == 0
    }

    /// Returns the file path for disk-backed media.
    pub fn path(&self) -> Option<&Path> {
        match &self.inner.source {
            Source::Memory(_) => None,
            Source::Disk(path) => Some(path),
        }
    }

    /// Parses the MP4 header for duration and picture size.
    ///
    /// # Errors
    /// Returns `InvalidData` for data that is not an MP4, and I/O errors from reading the file.
    pub fn probe(&self) -> io::Result<Mp4Info> {
        match &self.inner.source {
            Source::Memory(bytes) => mp4::parse(&mut Cursor::new(bytes.as_ref())),
            Source::Disk(path) => mp4::parse(&mut std::fs::File::open(path)?),
        }
    }

    /// Returns the MP4 header facts, parsed once per value.
    ///
    /// Returns `None` when the data is not an MP4. That is logged as a warning, because the
    /// video then reports an unknown duration.
    pub(crate) fn cached_info(&self) -> Option<Mp4Info> {
        *self.inner.info.get_or_init(|| match self.probe() {
            Ok(info) => Some(info),
            Err(error) => {
                tracing::warn!(media = ?self, %error, "media is not a readable MP4; duration unknown");
                None
            }
        })
    }

    /// Returns the strong entity tag (quoted SHA-256 prefix), hashing the content on first call.
    ///
    /// # Errors
    /// Returns the I/O error from reading disk-backed media.
    pub(crate) async fn etag(&self) -> io::Result<String> {
        let inner = Arc::clone(&self.inner);
        let tag = self
            .inner
            .etag
            .get_or_try_init(|| async move {
                let digest = tokio::task::spawn_blocking(move || inner.sha256())
                    .await
                    .map_err(io::Error::other)??;
                Ok::<_, io::Error>(format!("\"{}\"", &hex::encode(digest)[..32]))
            })
            .await?;
        Ok(tag.clone())
    }

    /// Returns a stream of the bytes in `start..end`, in chunks of at most 64 KiB.
    ///
    /// # Errors
    /// Returns the I/O error from opening or seeking disk-backed media.
    pub(crate) async fn read_range(
        &self,
        start: u64,
        end: u64,
    ) -> io::Result<BoxStream<'static, io::Result<Bytes>>> {
        debug_assert!(start <= end && end <= self.len());

        match &self.inner.source {
            Source::Memory(bytes) => {
                let slice = bytes.slice(start as usize..end as usize);
                let chunks: Vec<io::Result<Bytes>> = (0..slice.len())
                    .step_by(CHUNK_LEN)
                    .map(|offset| Ok(slice.slice(offset..(offset + CHUNK_LEN).min(slice.len()))))
                    .collect();
                Ok(stream::iter(chunks).boxed())
            }
            Source::Disk(path) => {
                let mut file = tokio::fs::File::open(path).await?;
                file.seek(SeekFrom::Start(start)).await?;
                let limited = file.take(end - start);
                Ok(ReaderStream::with_capacity(limited, CHUNK_LEN).boxed())
            }
        }
    }
}

impl Inner {
    fn sha256(&self) -> io::Result<[u8; 32]> {
        let mut hasher = Sha256::new();
        match &self.source {
            Source::Memory(bytes) => hasher.update(bytes),
            Source::Disk(path) => {
                let mut file = std::fs::File::open(path)?;
                file.seek(SeekFrom::Start(0))?;
                let mut buffer = vec![0u8; CHUNK_LEN];
                loop {
                    let read = file.read(&mut buffer)?;
                    if read == 0 {
                        break;
                    }
                    hasher.update(&buffer[..read]);
                }
            }
        }
        Ok(hasher.finalize().into())
    }
}

impl fmt::Debug for MediaFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("MediaFile");
        match &self.inner.source {
            Source::Memory(_) => debug.field("source", &"memory"),
            Source::Disk(path) => debug.field("source", path),
        };
        debug.field("len", &self.inner.len).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn collect(media: &MediaFile, start: u64, end: u64) -> Vec<u8> {
        let mut body = media.read_range(start, end).await.unwrap();
        let mut out = Vec::new();
        while let Some(chunk) = body.next().await {
            out.extend_from_slice(&chunk.unwrap());
        }
        out
    }

    #[tokio::test]
    async fn read_range_memory_slice() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let media = MediaFile::from_bytes(data.clone());

        let got = collect(&media, 70_000, 150_001).await;

        assert_eq!(got, &data[70_000..150_001]);
    }

    #[tokio::test]
    async fn read_range_disk_slice() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clip.mp4");
        std::fs::write(&path, &data).unwrap();
        let media = MediaFile::from_path(&path).unwrap();

        let got = collect(&media, 1, 131_073).await;

        assert_eq!(got, &data[1..131_073]);
    }

    #[tokio::test]
    async fn etag_same_for_same_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clip.mp4");
        std::fs::write(&path, b"same bytes").unwrap();

        let from_disk = MediaFile::from_path(&path).unwrap().etag().await.unwrap();
        let from_memory = MediaFile::from_bytes(&b"same bytes"[..])
            .etag()
            .await
            .unwrap();

        assert_eq!(from_disk, from_memory);
    }

    #[test]
    fn from_path_rejects_directory() {
        let dir = tempfile::tempdir().unwrap();

        let error = MediaFile::from_path(dir.path()).unwrap_err();

        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    }
}
