//! A deadline for a new client connection to show which protocol it speaks.
//!
//! hyper-util's auto server reads a connection's first bytes to tell HTTP/2 (its 24-byte
//! preface) from HTTP/1 before either protocol's own timers start, and waits for them without a
//! time limit. A client that connects and sends nothing, or stops inside the HTTP/2 preface, would
//! hold its connection and file descriptor for ever (a slowloris). [`PrefaceDeadline`] fails the
//! connection's reads with [`io::ErrorKind::TimedOut`] when its first bytes have not settled the
//! protocol by the deadline; once they have (the first byte that leaves the preface, or the
//! whole preface), it steps aside, and HTTP/1's header-read timeout or HTTP/2's keep-alive takes
//! over.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// The HTTP/2 connection preface (RFC 9113 §3.4).
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The message of the read error when the deadline passes.
pub(crate) const TIMED_OUT: &str = "no request started within the client idle timeout";

pin_project! {
    /// An I/O stream whose reads fail with `TimedOut` when its first bytes have not told HTTP/1
    /// from HTTP/2 within the deadline. Writes pass through untouched.
    #[derive(Debug)]
    pub(crate) struct PrefaceDeadline<I> {
        #[pin]
        io: I,
        // `None` once the protocol is known.
        deadline: Option<Pin<Box<Sleep>>>,
        // How many bytes of the HTTP/2 preface were seen so far.
        matched: usize,
    }
}

impl<I> PrefaceDeadline<I> {
    /// Wraps `io`; the deadline starts now.
    pub(crate) fn new(io: I, limit: Duration) -> Self {
        Self {
            io,
            deadline: Some(Box::pin(tokio::time::sleep(limit))),
            matched: 0,
        }
    }
}

/// Whether the protocol is known after `read` (bytes following `matched` preface bytes), and the
/// new count of matched preface bytes.
fn settle(matched: usize, read: &[u8]) -> (bool, usize) {
    if read.is_empty() {
        // End of stream: nothing more to wait for.
        return (true, matched);
    }
    let mut matched = matched;
    for &byte in read {
        if H2_PREFACE.get(matched) != Some(&byte) {
            return (true, matched);
        }
        matched += 1;
        if matched == H2_PREFACE.len() {
            return (true, matched);
        }
    }
    (false, matched)
}

impl<I: AsyncRead> AsyncRead for PrefaceDeadline<I> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.project();
        let Some(deadline) = this.deadline.as_mut() else {
            return this.io.poll_read(cx, buf);
        };
        let before = buf.filled().len();
        match this.io.poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let (known, matched) = settle(*this.matched, &buf.filled()[before..]);
                *this.matched = matched;
                if known {
                    *this.deadline = None;
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => match deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, TIMED_OUT))),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl<I: AsyncWrite> AsyncWrite for PrefaceDeadline<I> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.project().io.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().io.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().io.poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().io.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[test]
    fn the_protocol_is_known_at_the_first_byte_off_the_preface_or_at_its_end() {
        assert_eq!(settle(0, b"GET / HTTP/1.1"), (true, 0));
        assert_eq!(settle(0, b"PRI * HTTP/2.0\r\n"), (false, 16));
        assert_eq!(settle(16, b"\r\nSM\r\n\r\n"), (true, 24));
        assert_eq!(settle(3, b"X"), (true, 3));
        assert_eq!(settle(5, b""), (true, 5));
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_peer_times_out() {
        let (client, server) = tokio::io::duplex(64);
        let mut server = PrefaceDeadline::new(server, Duration::from_secs(1));
        let mut buf = [0u8; 8];
        let error = server.read(&mut buf).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        drop(client);
    }

    #[tokio::test(start_paused = true)]
    async fn a_peer_inside_the_preface_times_out() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut server = PrefaceDeadline::new(server, Duration::from_secs(1));
        client.write_all(b"PRI * HTTP").await.unwrap();
        let mut buf = [0u8; 64];
        assert_eq!(server.read(&mut buf).await.unwrap(), 10);
        let error = server.read(&mut buf).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test(start_paused = true)]
    async fn once_the_protocol_is_known_reads_wait_as_long_as_they_like() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut server = PrefaceDeadline::new(server, Duration::from_secs(1));
        client.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        let mut buf = [0u8; 64];
        assert_eq!(server.read(&mut buf).await.unwrap(), 16);
        let writer = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(10)).await;
            client.write_all(b"Host: x\r\n").await.unwrap();
            client
        });
        assert_eq!(server.read(&mut buf).await.unwrap(), 9);
        drop(writer.await.unwrap());
    }
}
