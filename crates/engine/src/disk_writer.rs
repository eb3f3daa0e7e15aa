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
                if let Err(write_error) = writer.write_all(&chunk) {
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
