//! Media payloads that the delivery host serves: shared in-memory bytes or a file on disk.
//!
//! A [`MediaFile`] is cheap to clone (one `Arc`), so thousands of synthetic videos can share the
//! bytes of one sample. File-backed media is never loaded whole: ranges are read with a seek and
//! bounded chunked reads. The strong `ETag` is a SHA-256 of the content, computed on first use
//! and cached for the life of the value.
//!
//! Padded media ([`MediaFile::padded`]) is a real MP4 followed by one `free` box that brings it
//! to a chosen length. The padding is generated on the fly, so a 2 GiB file costs no memory and
//! its `ETag` is derived from the base's hash and the length instead of hashing the zeros.

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

/// Zeros for the payload of a padding `free` box.
static ZEROS: [u8; CHUNK_LEN] = [0; CHUNK_LEN];

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
    /// `base`, then a `free` box whose header is `header` and whose payload is zeros.
    Padded {
        base: MediaFile,
        header: Bytes,
    },
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

    /// Returns `base` followed by a top-level `free` box, `total_len` bytes in all, so the
    /// result stays a valid MP4 that readers walk past the padding. The padding is generated
    /// on the fly and ranges work on it, so `total_len` may be many gigabytes.
    ///
    /// A padding of more than `u32::MAX` bytes uses a 64-bit box size.
    ///
    /// # Errors
    /// Returns `InvalidInput` when `total_len` is shorter than the base or leaves 1 to 7 bytes
    /// of padding (a box header needs 8), and `InvalidData` when the base is not an MP4.
    pub fn padded(base: MediaFile, total_len: u64) -> io::Result<Self> {
        let base_len = base.len();
        let padding = total_len.checked_sub(base_len).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("padded length {total_len} is shorter than the base MP4 ({base_len} bytes): use at least {base_len}"),
            )
        })?;
        base.probe()?;
        if padding == 0 {
            return Ok(base);
        }
        if padding < 8 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "padded length {total_len} leaves {padding} bytes of padding: use the base length {base_len} or at least {} (a box header needs 8 bytes)",
                    base_len + 8
                ),
            ));
        }

        let header = match u32::try_from(padding) {
            Ok(size) => [&size.to_be_bytes()[..], b"free"].concat(),
            // Size 1 means the 64-bit size follows the type.
            Err(_) => [&1u32.to_be_bytes()[..], b"free", &padding.to_be_bytes()].concat(),
        };
        Ok(Self::new(
            Source::Padded {
                base,
                header: Bytes::from(header),
            },
            total_len,
        ))
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
            Source::Memory(_) | Source::Padded { .. } => None,
            Source::Disk(path) => Some(path),
        }
    }

    /// Parses the MP4 header for duration and picture size; padded media reports its base's.
    ///
    /// # Errors
    /// Returns `InvalidData` for data that is not an MP4, and I/O errors from reading the file.
    pub fn probe(&self) -> io::Result<Mp4Info> {
        match &self.inner.source {
            Source::Memory(bytes) => mp4::parse(&mut Cursor::new(bytes.as_ref())),
            Source::Disk(path) => mp4::parse(&mut std::fs::File::open(path)?),
            Source::Padded { base, .. } => base.probe(),
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
            Source::Padded { base, header } => {
                read_padded_range(base, header.clone(), start, end).await
            }
        }
    }
}

/// Streams `start..end` of a padded file: the part of the base, of the box header and of the
/// zeros that the range covers.
async fn read_padded_range(
    base: &MediaFile,
    header: Bytes,
    start: u64,
    end: u64,
) -> io::Result<BoxStream<'static, io::Result<Bytes>>> {
    let base_len = base.len();
    let header_end = base_len + header.len() as u64;

    let base_part = if start < base_len {
        // Boxed because a padded base would make this future recursive.
        Box::pin(base.read_range(start, end.min(base_len))).await?
    } else {
        stream::empty().boxed()
    };

    let header_part = if start < header_end && end > base_len {
        let from = (start.max(base_len) - base_len) as usize;
        let to = (end.min(header_end) - base_len) as usize;
        Some(Ok(header.slice(from..to)))
    } else {
        None
    };

    let zeros_start = start.max(header_end);
    let zeros = (zeros_start..end.max(zeros_start))
        .step_by(CHUNK_LEN)
        .map(move |offset| {
            let len = (end - offset).min(CHUNK_LEN as u64) as usize;
            Ok(Bytes::from_static(&ZEROS[..len]))
        });

    Ok(base_part
        .chain(stream::iter(header_part))
        .chain(stream::iter(zeros))
        .boxed())
}

impl Inner {
    fn sha256(&self) -> io::Result<[u8; 32]> {
        let mut hasher = Sha256::new();
        match &self.source {
            // The padding is all zeros, so the base's hash and the length identify the content.
            Source::Padded { base, .. } => {
                hasher.update(base.inner.sha256()?);
                hasher.update(self.len.to_be_bytes());
            }
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
            Source::Padded { base, .. } => debug.field("padded", base),
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

    fn tiny_mp4() -> Vec<u8> {
        let mut mvhd = vec![0u8; 100];
        mvhd[12..16].copy_from_slice(&1000u32.to_be_bytes());
        mvhd[16..20].copy_from_slice(&2000u32.to_be_bytes());
        let mvhd_box = [&108u32.to_be_bytes()[..], b"mvhd", &mvhd].concat();
        let moov = [&116u32.to_be_bytes()[..], b"moov", &mvhd_box].concat();
        [&16u32.to_be_bytes()[..], b"ftypisom\0\0\x02\0", &moov].concat()
    }

    #[tokio::test]
    async fn padded_small_has_free_box() {
        let base = tiny_mp4();
        let media = MediaFile::padded(MediaFile::from_bytes(base.clone()), 1000).unwrap();

        let got = collect(&media, 0, 1000).await;

        assert_eq!(got.len(), 1000);
        assert_eq!(&got[..base.len()], &base[..]);
        let padding = (1000 - base.len()) as u32;
        assert_eq!(
            &got[base.len()..base.len() + 8],
            &[&padding.to_be_bytes()[..], b"free"].concat()[..]
        );
        assert!(got[base.len() + 8..].iter().all(|byte| *byte == 0));
        assert_eq!(
            mp4::parse(&mut Cursor::new(&got)).unwrap().duration_seconds,
            Some(2.0)
        );
    }

    #[tokio::test]
    async fn padded_huge_uses_64bit_size() {
        let base = tiny_mp4();
        let total = 5u64 << 30;
        let media = MediaFile::padded(MediaFile::from_bytes(base.clone()), total).unwrap();
        let at = base.len() as u64;

        let header = collect(&media, at - 2, at + 20).await;
        let tail = collect(&media, total - 3, total).await;

        let padding = total - at;
        let expected = [
            &base[base.len() - 2..],
            &1u32.to_be_bytes()[..],
            b"free",
            &padding.to_be_bytes(),
            &[0u8; 4],
        ]
        .concat();
        assert_eq!(header, expected);
        assert_eq!(tail, vec![0u8; 3]);
    }

    #[test]
    fn padded_rejects_short_padding() {
        let base = tiny_mp4();
        let len = base.len() as u64;

        let error = MediaFile::padded(MediaFile::from_bytes(base), len + 3).unwrap_err();

        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    }

    #[tokio::test]
    async fn padded_etag_differs_by_length() {
        let base = MediaFile::from_bytes(tiny_mp4());

        let short = MediaFile::padded(base.clone(), 1000)
            .unwrap()
            .etag()
            .await
            .unwrap();
        let long = MediaFile::padded(base, 2000).unwrap().etag().await.unwrap();

        assert_ne!(short, long);
    }

    #[test]
    fn from_path_rejects_directory() {
        let dir = tempfile::tempdir().unwrap();

        let error = MediaFile::from_path(dir.path()).unwrap_err();

        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    }
}
