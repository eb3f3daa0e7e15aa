//! A thread that hashes and writes one download body, so the network task only hands over
//! chunks and SHA-256 and disk writes overlap with receiving.
//!
//! Invariants:
//! - Chunks are hashed and written in the order they were sent.
//! - The first write error stops all later writes. The next [`DiskWriter::flush`] or
//!   [`DiskWriter::finish`] returns it, and [`DiskWriter::has_failed`] lets the sender stop
//!   early, so a full disk is noticed while the body still arrives.
//! - Dropping a writer without finishing it stops the thread after its current write and waits
//!   for it, so no late write can land in a `.part` that a new attempt already took over.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot};

/// Chunks that may wait for the thread; with reqwest's chunk sizes this bounds the memory
/// in flight to a few MiB at most.
const QUEUE_CHUNKS: usize = 8;

/// Buffer in front of the file, so the disk gets large writes.
const WRITE_BUFFER_BYTES: usize = 256 * 1024;

/// Bytes after which written data is handed to the disk in the background, so the final
/// `fsync` finds little left to write instead of the whole file.
const WRITEBACK_STEP_BYTES: u64 = 16 * 1024 * 1024;

enum Command {
    Data(Bytes),
    Flush(oneshot::Sender<io::Result<()>>),
}

/// The write result and the final hash, returned by the thread when the writer finishes.
struct Finished {
    result: io::Result<()>,
    hasher: Sha256,
}

/// The sending side of one writing thread.
pub(crate) struct DiskWriter {
    sender: Option<mpsc::Sender<Command>>,
    failed: Arc<AtomicBool>,
    abort: Arc<AtomicBool>,
    thread: Option<JoinHandle<Finished>>,
}

impl DiskWriter {
    /// Starts a thread that appends to `file` at its current position and continues `hasher`.
    ///
    /// # Errors
    /// The operating system's error when the thread cannot be started.
    pub(crate) fn start(file: File, hasher: Sha256) -> io::Result<Self> {
        let (sender, receiver) = mpsc::channel(QUEUE_CHUNKS);
        let failed = Arc::new(AtomicBool::new(false));
        let abort = Arc::new(AtomicBool::new(false));
        let thread = std::thread::Builder::new()
            .name("offstream-writer".to_owned())
            .spawn({
                let failed = Arc::clone(&failed);
                let abort = Arc::clone(&abort);
                move || run(file, hasher, receiver, &failed, &abort)
            })?;
        Ok(Self {
            sender: Some(sender),
            failed,
            abort,
            thread: Some(thread),
        })
    }

    /// Returns true once a write failed; the error comes from the next flush.
    pub(crate) fn has_failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }

    /// Queues a chunk, waiting while the queue is full.
    ///
    /// # Errors
    /// An error when the thread is gone; the cause comes from [`DiskWriter::flush`].
    pub(crate) async fn send(&self, chunk: Bytes) -> io::Result<()> {
        let sender = self.sender.as_ref().ok_or_else(gone)?;
        sender.send(Command::Data(chunk)).await.map_err(|_| gone())
    }

    /// Writes every queued chunk to the file and returns the first write error, if any.
    ///
    /// # Errors
    /// The first write or flush error.
    pub(crate) async fn flush(&self) -> io::Result<()> {
        let sender = self.sender.as_ref().ok_or_else(gone)?;
        let (reply, answer) = oneshot::channel();
        sender
            .send(Command::Flush(reply))
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    /// Writes every queued chunk, syncs the file to disk and returns the hash of all bytes.
    ///
    /// # Errors
    /// The first write, flush or sync error.
    pub(crate) async fn finish(mut self) -> io::Result<Sha256> {
        drop(self.sender.take());
        let thread = self.thread.take().ok_or_else(gone)?;
        let finished = tokio::task::spawn_blocking(move || thread.join())
            .await
            .map_err(|_| gone())?
            .map_err(|_| gone())?;
        finished.result.map(|()| finished.hasher)
    }
}

impl Drop for DiskWriter {
    fn drop(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        self.abort.store(true, Ordering::Release);
        drop(self.sender.take());
        // A short wait, at most one buffered write: a later attempt must not race this thread.
        let _ = thread.join();
    }
}

fn gone() -> io::Error {
    io::Error::other("the file writer thread stopped")
}

fn run(
    file: File,
    mut hasher: Sha256,
    mut receiver: mpsc::Receiver<Command>,
    failed: &AtomicBool,
    abort: &AtomicBool,
) -> Finished {
    let mut writeback = Writeback::at(&file);
    let mut writer = BufWriter::with_capacity(WRITE_BUFFER_BYTES, file);
    let mut error: Option<io::Error> = None;

    while let Some(command) = receiver.blocking_recv() {
        if abort.load(Ordering::Acquire) {
            break;
        }
        match command {
            Command::Data(chunk) => {
                if error.is_some() {
                    continue;
                }
                hasher.update(&chunk);
                let written = writer
                    .write_all(&chunk)
                    .and_then(|()| writeback.advance(&mut writer, chunk.len() as u64));
                if let Err(write_error) = written {
                    failed.store(true, Ordering::Release);
                    error = Some(write_error);
                }
            }
            Command::Flush(reply) => {
                let result = match error.take() {
                    Some(stored) => {
                        // Later flushes still fail, but with a plain message.
                        error = Some(io::Error::new(stored.kind(), stored.to_string()));
                        Err(stored)
                    }
                    None => writer.flush(),
                };
                if result.is_err() {
                    failed.store(true, Ordering::Release);
                }
                let _ = reply.send(result);
            }
        }
    }

    if abort.load(Ordering::Acquire) {
        // The job gave up on this attempt: keep what is on disk, write nothing more.
        let _ = writer.flush();
        return Finished {
            result: Err(io::Error::other("the write was abandoned")),
            hasher,
        };
    }
    let result = match error {
        Some(stored) => Err(stored),
        None => writer.flush().and_then(|()| writer.get_ref().sync_all()),
    };
    Finished { result, hasher }
}

/// The early write-back of finished stretches of the file while the download continues.
///
/// Without it the kernel keeps up to its dirty-page limit in memory, and the final `fsync`
/// writes all of it at once. The download then waits for most of the file to reach the disk
/// after its last byte arrived.
struct Writeback {
    /// File offset up to which write-back was started.
    started: u64,
    /// File offset of the end of the data handed to the buffer.
    end: u64,
}

impl Writeback {
    fn at(file: &File) -> Self {
        // `stream_position` needs `&mut`; a cloned handle shares the offset.
        let end = file
            .try_clone()
            .and_then(|mut handle| std::io::Seek::stream_position(&mut handle))
            .unwrap_or(0);
        Self { started: end, end }
    }

    /// Counts `len` more bytes and, every [`WRITEBACK_STEP_BYTES`], flushes the buffer and
    /// starts write-back of the stretch since the last step.
    fn advance(&mut self, writer: &mut BufWriter<File>, len: u64) -> io::Result<()> {
        self.end += len;
        if self.end - self.started < WRITEBACK_STEP_BYTES {
            return Ok(());
        }
        writer.flush()?;
        start_writeback(writer.get_ref(), self.started, self.end - self.started);
        self.started = self.end;
        Ok(())
    }
}

/// Asks the kernel to start writing a range to disk without waiting for it.
#[cfg(target_os = "linux")]
fn start_writeback(file: &File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;

    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
        return;
    };
    // SAFETY: the descriptor is open for the lifetime of `file`, and sync_file_range only
    // reads its arguments. A failure only loses the head start: the final fsync still writes
    // everything, so the result is ignored.
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE);
    }
}

/// Other systems have no portable way to start write-back early; the final `fsync` does all.
#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &File, _offset: u64, _len: u64) {}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file() -> (tempfile::TempDir, std::path::PathBuf, File) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("body.part");
        let file = File::create(&path).unwrap();
        (dir, path, file)
    }

    #[tokio::test]
    async fn chunks_land_in_order_with_hash() {
        let (_dir, path, file) = temp_file();
        let writer = DiskWriter::start(file, Sha256::new()).unwrap();
        for chunk in [&b"abc"[..], b"def", b"ghi"] {
            writer.send(Bytes::copy_from_slice(chunk)).await.unwrap();
        }
        let hasher = writer.finish().await.unwrap();

        assert_eq!(std::fs::read(&path).unwrap(), b"abcdefghi");
        assert_eq!(hasher.finalize(), Sha256::digest(b"abcdefghi"));
    }

    #[tokio::test]
    async fn long_body_passes_writeback_steps() {
        let (_dir, path, file) = temp_file();
        let writer = DiskWriter::start(file, Sha256::new()).unwrap();
        let chunk: Vec<u8> = (0..=255u8).cycle().take(1024 * 1024).collect();
        let steps = 2 * (WRITEBACK_STEP_BYTES as usize) / chunk.len() + 3;
        for _ in 0..steps {
            writer.send(Bytes::from(chunk.clone())).await.unwrap();
        }
        let hasher = writer.finish().await.unwrap();

        let written = std::fs::read(&path).unwrap();
        assert_eq!(written.len(), steps * chunk.len());
        assert_eq!(hasher.finalize(), Sha256::digest(&written));
        assert!(written
            .chunks(chunk.len())
            .all(|part| part == chunk.as_slice()));
    }

    #[tokio::test]
    async fn writeback_starts_at_file_position() {
        let (_dir, path, mut file) = temp_file();
        std::io::Write::write_all(&mut file, b"existing-").unwrap();
        let writer = DiskWriter::start(file, Sha256::new()).unwrap();
        writer.send(Bytes::from_static(b"appended")).await.unwrap();
        writer.finish().await.unwrap();

        assert_eq!(std::fs::read(&path).unwrap(), b"existing-appended");
    }

    #[tokio::test]
    async fn flush_makes_bytes_visible() {
        let (_dir, path, file) = temp_file();
        let writer = DiskWriter::start(file, Sha256::new()).unwrap();
        writer.send(Bytes::from_static(b"prefix")).await.unwrap();
        writer.flush().await.unwrap();

        assert_eq!(std::fs::read(&path).unwrap(), b"prefix");
        drop(writer);
    }

    #[tokio::test]
    async fn hash_continues_given_state() {
        let (_dir, _path, file) = temp_file();
        let mut prefix = Sha256::new();
        prefix.update(b"head-");
        let writer = DiskWriter::start(file, prefix).unwrap();
        writer.send(Bytes::from_static(b"tail")).await.unwrap();

        let hasher = writer.finish().await.unwrap();
        assert_eq!(hasher.finalize(), Sha256::digest(b"head-tail"));
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn write_error_reported_by_flush() {
        // Writes to /dev/full fail with ENOSPC, a real full-disk error.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let writer = DiskWriter::start(file, Sha256::new()).unwrap();
        writer
            .send(Bytes::from(vec![0u8; 2 * WRITE_BUFFER_BYTES]))
            .await
            .unwrap();

        let error = writer.flush().await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::StorageFull);
        assert!(writer.has_failed());
    }

    #[tokio::test]
    async fn drop_stops_the_thread() {
        let (_dir, path, file) = temp_file();
        let writer = DiskWriter::start(file, Sha256::new()).unwrap();
        writer.send(Bytes::from_static(b"kept")).await.unwrap();
        writer.flush().await.unwrap();
        drop(writer);

        // The thread has ended, so the file can be taken over at once.
        assert_eq!(std::fs::read(&path).unwrap(), b"kept");
    }
}
