//! Accepted connections that a delivery fault can end with a TCP reset instead of a FIN.
//!
//! hyper closes a connection cleanly when a response body fails, so a reset needs the socket
//! itself: [`ResettableListener`] wraps every accepted stream in [`ResettableStream`] and
//! registers a flag under the peer address in [`ConnectionRegistry`]. A handler sets the flag
//! for its peer, then fails the body. When hyper drops the stream, the wrapper sets
//! `SO_LINGER` to 0 first, so closing sends RST.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Reset flags of the open connections, by peer address.
#[derive(Debug, Default)]
pub(crate) struct ConnectionRegistry {
    flags: Mutex<HashMap<SocketAddr, Arc<AtomicBool>>>,
}

impl ConnectionRegistry {
    fn register(&self, peer: SocketAddr) -> Arc<AtomicBool> {
        let flag = Arc::new(AtomicBool::new(false));
        self.lock().insert(peer, Arc::clone(&flag));
        flag
    }

    fn unregister(&self, peer: SocketAddr) {
        self.lock().remove(&peer);
    }

    /// Makes the connection from `peer` close with RST; returns false when it is not open.
    pub fn mark_reset(&self, peer: SocketAddr) -> bool {
        match self.lock().get(&peer) {
            Some(flag) => {
                flag.store(true, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SocketAddr, Arc<AtomicBool>>> {
        self.flags.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A TCP listener whose connections can be reset through a [`ConnectionRegistry`].
pub(crate) struct ResettableListener {
    listener: TcpListener,
    registry: Arc<ConnectionRegistry>,
}

impl ResettableListener {
    pub fn new(listener: TcpListener, registry: Arc<ConnectionRegistry>) -> Self {
        Self { listener, registry }
    }
}

impl axum::serve::Listener for ResettableListener {
    type Io = ResettableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, peer) = axum::serve::Listener::accept(&mut self.listener).await;
        let reset = self.registry.register(peer);
        let io = ResettableStream {
            stream,
            peer,
            reset,
            registry: Arc::clone(&self.registry),
        };
        (io, peer)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.listener.local_addr()
    }
}

/// A TCP stream that closes with RST when its flag is set.
pub(crate) struct ResettableStream {
    stream: TcpStream,
    peer: SocketAddr,
    reset: Arc<AtomicBool>,
    registry: Arc<ConnectionRegistry>,
}

impl Drop for ResettableStream {
    fn drop(&mut self) {
        self.registry.unregister(self.peer);
        if self.reset.load(Ordering::Relaxed) {
            // With a zero linger time, close() discards unsent data and sends RST at once, so
            // it never blocks the thread.
            if let Err(error) = self.stream.set_zero_linger() {
                tracing::warn!(peer = %self.peer, %error, "failed to set SO_LINGER 0; the connection closes with FIN");
            }
        }
    }
}

impl AsyncRead for ResettableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResettableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // A FIN before the RST would let the client see a clean end first.
        if self.reset.load(Ordering::Relaxed) {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
