//! The upstream connections: HTTP/1.1 keep-alive connections to the one upstream, kept in a
//! small pool (no keying: there is one upstream), or one shared HTTP/2 connection when an
//! `https://` upstream chooses `h2` by ALPN (see [`crate::upstream_tls`]).
//!
//! Each connection is a `hyper::client::conn::http1` (or `http2`) connection driven by a task of
//! its own; the pool keeps the idle HTTP/1.1 ones' senders, newest first, and the live HTTP/2
//! sender, which every request shares (a request that needs HTTP/1.1, an upgrade, makes an
//! HTTP/1.1-only connection). A sender goes back to the pool when its
//! response body has ended (see [`UpstreamBody`]); a response body dropped before its end closes
//! the connection, and so does an exchange dropped before its response head (a client that left,
//! a head timeout). Idle connections are closed after the idle timeout. A request that finds a
//! reused connection closed before it was written is sent again on a new one.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::client::conn::http1::{Builder, SendRequest};
use hyper::client::conn::http2;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::multiplex;
use super::trailers::TrailersWithout;
use crate::timeouts::{BoxError, IdleTimeoutBody};
use crate::upstream_tls::UpstreamTls;

/// The request body sent upstream.
pub type RequestBody = IdleTimeoutBody<TrailersWithout<Incoming>>;

/// What a request body sent upstream must be.
pub trait SendBody: Body<Data = Bytes, Error: Into<BoxError>> + Send + Unpin + 'static {}

impl<B: Body<Data = Bytes, Error: Into<BoxError>> + Send + Unpin + 'static> SendBody for B {}

/// Why an exchange with the upstream failed before a response head.
#[derive(Debug)]
pub(crate) enum ExchangeError {
    /// No TCP connection (refused, unreachable, timed out: `io::ErrorKind::TimedOut`; a TLS
    /// handshake that did not finish within the connect timeout counts here too).
    Connect(std::io::Error),
    /// The TLS handshake with an `https://` upstream failed (untrusted or mismatched
    /// certificate, no common protocol).
    Tls(std::io::Error),
    /// The connection failed while sending the request or reading the response head.
    Http(hyper::Error),
}

impl std::fmt::Display for ExchangeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExchangeError::Connect(error) => write!(f, "tcp connect error: {error}"),
            ExchangeError::Tls(error) => write!(f, "tls handshake with the upstream failed: {error}"),
            ExchangeError::Http(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for ExchangeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ExchangeError::Connect(error) | ExchangeError::Tls(error) => Some(error),
            ExchangeError::Http(error) => Some(error),
        }
    }
}

/// The pool, of connections that send request bodies of type `B`. Cheap to clone.
#[derive(Debug)]
pub(crate) struct Pool<B = RequestBody> {
    shared: Arc<Shared<B>>,
}

impl<B> Clone for Pool<B> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

#[derive(Debug)]
struct Shared<B> {
    /// Idle senders, the most recently used last.
    idle: Mutex<Vec<Idle<B>>>,
    /// The shared HTTP/2 connection, once an upstream chose `h2`.
    multiplexed: Mutex<Option<http2::SendRequest<B>>>,
    /// `host:port` to connect to.
    target: String,
    /// TLS for an `https://` upstream.
    tls: Option<Arc<UpstreamTls>>,
    connect_timeout: Duration,
    idle_timeout: Duration,
    /// Whether the task closing idle connections runs.
    reaping: AtomicBool,
    builder: Builder,
    http2: http2::Builder<TokioExecutor>,
}

/// A connection ready for a request.
enum Sender<B> {
    Http1(SendRequest<B>),
    Http2(http2::SendRequest<B>),
}

#[derive(Debug)]
struct Idle<B> {
    sender: SendRequest<B>,
    since: Instant,
}

impl<B: SendBody> Pool<B> {
    /// A pool of plain HTTP/1.1 connections to `target` (`host:port`).
    #[cfg(test)]
    pub(crate) fn new(target: String, connect_timeout: Duration, idle_timeout: Duration) -> Self {
        Self::with_tls(target, None, connect_timeout, idle_timeout)
    }

    /// A pool of connections to `target` (`host:port`), over TLS when `tls` is given.
    pub(crate) fn with_tls(
        target: String,
        tls: Option<Arc<UpstreamTls>>,
        connect_timeout: Duration,
        idle_timeout: Duration,
    ) -> Self {
        let mut http2 = http2::Builder::new(TokioExecutor::new());
        // Pings find a dead upstream connection before a request does.
        http2
            .timer(TokioTimer::new())
            .keep_alive_interval(idle_timeout / 2)
            .keep_alive_timeout(connect_timeout);
        Self {
            shared: Arc::new(Shared {
                idle: Mutex::new(Vec::new()),
                multiplexed: Mutex::new(None),
                target,
                tls,
                connect_timeout,
                idle_timeout,
                reaping: AtomicBool::new(false),
                builder: Builder::new(),
                http2,
            }),
        }
    }

    /// Sends `request` on an idle connection, or on a new one; returns the response head and,
    /// for an HTTP/1.1 connection, the connection, to go back to the pool with the response body
    /// (an HTTP/2 connection is shared and never checked out). With `http1_only` (an upgrade)
    /// the request goes on an HTTP/1.1 connection.
    pub(crate) async fn send(
        &self,
        mut request: Request<B>,
        http1_only: bool,
    ) -> Result<(Response<Incoming>, Option<SendRequest<B>>), ExchangeError> {
        loop {
            let (sender, reused) = match self.checkout(http1_only).await {
                Some(sender) => (sender, true),
                // Boxed: a new connection (TCP, TLS handshake, HTTP/2 preface) is rare, and its
                // future is large; inline, every request's future would carry (and copy) it.
                None => (Box::pin(self.connect(http1_only)).await?, false),
            };
            match sender {
                Sender::Http1(mut sender) => match sender.try_send_request(request).await {
                    Ok(response) => return Ok((response, Some(sender))),
                    Err(mut error) => match error.take_message() {
                        // The reused connection closed before the request was written: a new one.
                        Some(unsent) if reused => request = unsent,
                        _ => return Err(ExchangeError::Http(error.into_error())),
                    },
                },
                Sender::Http2(mut sender) => {
                    match sender.try_send_request(multiplex::to_http2(request)).await {
                        Ok(response) => return Ok((response, None)),
                        Err(mut error) => match error.take_message() {
                            // The shared connection closed before the request was sent: a new
                            // one, which may speak HTTP/1.1.
                            Some(unsent) if reused => request = multiplex::to_http1(unsent),
                            _ => return Err(ExchangeError::Http(error.into_error())),
                        },
                    }
                }
            }
        }
    }

    /// The shared HTTP/2 connection (unless `http1_only`), else the most recently used idle
    /// HTTP/1.1 connection that is still open and not idle for too long.
    async fn checkout(&self, http1_only: bool) -> Option<Sender<B>> {
        if !http1_only && let Some(sender) = self.multiplexed().await {
            return Some(Sender::Http2(sender));
        }
        self.idle_http1().await.map(Sender::Http1)
    }

    /// The shared HTTP/2 connection when it is open.
    async fn multiplexed(&self) -> Option<http2::SendRequest<B>> {
        let mut sender = {
            let mut shared = self
                .shared
                .multiplexed
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            match &*shared {
                Some(sender) if !sender.is_closed() => sender.clone(),
                Some(_) => {
                    *shared = None;
                    return None;
                }
                None => return None,
            }
        };
        sender.ready().await.ok()?;
        Some(sender)
    }

    /// The most recently used idle HTTP/1.1 connection that is still open and not idle for too
    /// long.
    async fn idle_http1(&self) -> Option<SendRequest<B>> {
        loop {
            let mut idle = {
                let mut list = self.shared.idle.lock().unwrap_or_else(PoisonError::into_inner);
                list.pop()?
            };
            if idle.sender.is_closed() || idle.since.elapsed() >= self.shared.idle_timeout {
                continue;
            }
            if idle.sender.ready().await.is_ok() {
                return Some(idle.sender);
            }
        }
    }

    /// A new connection: TCP, then TLS for an `https://` upstream (the connect timeout bounds
    /// both), then HTTP/2 when the upstream chose `h2`, else HTTP/1.1.
    async fn connect(&self, http1_only: bool) -> Result<Sender<B>, ExchangeError> {
        let shared = &self.shared;
        let timed_out = || {
            ExchangeError::Connect(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "connection timed out",
            ))
        };
        let deadline = tokio::time::Instant::now() + shared.connect_timeout;
        let stream = match tokio::time::timeout_at(deadline, TcpStream::connect(&*shared.target)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(error)) => return Err(ExchangeError::Connect(error)),
            Err(_) => return Err(timed_out()),
        };
        let _ = stream.set_nodelay(true);
        if !shared.reaping.swap(true, Ordering::Relaxed) {
            tokio::spawn(reap(Arc::downgrade(shared)));
        }
        let Some(tls) = &shared.tls else {
            return self.handshake_http1(stream).await.map(Sender::Http1);
        };
        let negotiated = match tokio::time::timeout_at(deadline, tls.connect(stream, http1_only)).await {
            Ok(Ok(negotiated)) => negotiated,
            Ok(Err(error)) => return Err(ExchangeError::Tls(error)),
            Err(_) => return Err(timed_out()),
        };
        if !negotiated.http2 {
            return self.handshake_http1(negotiated.stream).await.map(Sender::Http1);
        }
        let (sender, connection) = shared
            .http2
            .handshake(TokioIo::new(negotiated.stream))
            .await
            .map_err(ExchangeError::Http)?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(target: "cookie_warden::proxy", error = %error, "upstream connection failed");
            }
        });
        let mut multiplexed = shared.multiplexed.lock().unwrap_or_else(PoisonError::into_inner);
        if multiplexed.as_ref().is_none_or(http2::SendRequest::is_closed) {
            *multiplexed = Some(sender.clone());
        }
        Ok(Sender::Http2(sender))
    }

    /// An HTTP/1.1 connection over `io`, driven by a task of its own.
    async fn handshake_http1<I>(&self, io: I) -> Result<SendRequest<B>, ExchangeError>
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (sender, connection) = self
            .shared
            .builder
            .handshake(TokioIo::new(io))
            .await
            .map_err(ExchangeError::Http)?;
        tokio::spawn(async move {
            if let Err(error) = connection.with_upgrades().await {
                tracing::debug!(target: "cookie_warden::proxy", error = %error, "upstream connection failed");
            }
        });
        Ok(sender)
    }

    /// Puts a connection whose exchange ended back, once it can take the next request.
    fn release(&self, mut sender: SendRequest<B>) {
        if sender.is_ready() {
            self.put(sender);
        } else if !sender.is_closed()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            // The connection task has not seen the end of the exchange yet.
            let pool = self.clone();
            runtime.spawn(async move {
                if sender.ready().await.is_ok() {
                    pool.put(sender);
                }
            });
        }
    }

    fn put(&self, sender: SendRequest<B>) {
        let idle = Idle {
            sender,
            since: Instant::now(),
        };
        self.shared
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(idle);
    }
}

/// Closes connections idle for longer than the idle timeout, until the pool is gone.
async fn reap<B>(shared: Weak<Shared<B>>) {
    let Some(period) = shared.upgrade().map(|shared| shared.idle_timeout) else {
        return;
    };
    loop {
        tokio::time::sleep(period / 2).await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let expired: Vec<Idle<B>> = {
            let mut idle = shared.idle.lock().unwrap_or_else(PoisonError::into_inner);
            let (keep, expired) = std::mem::take(&mut *idle)
                .into_iter()
                .partition(|entry| !entry.sender.is_closed() && entry.since.elapsed() < period);
            *idle = keep;
            expired
        };
        let mut multiplexed = shared.multiplexed.lock().unwrap_or_else(PoisonError::into_inner);
        if multiplexed.as_ref().is_some_and(http2::SendRequest::is_closed) {
            *multiplexed = None;
        }
        drop(multiplexed);
        // Dropping a sender ends its connection task, which closes the connection.
        drop(expired);
    }
}

/// The upstream's response body; its connection goes back to the pool when it ends, and is
/// closed when the body is dropped before its end.
#[derive(Debug)]
pub struct UpstreamBody<B: SendBody = RequestBody> {
    inner: Incoming,
    connection: Option<(SendRequest<B>, Pool<B>)>,
}

impl<B: SendBody> UpstreamBody<B> {
    /// `inner`, returning `connection` to `pool` at its end (`None`: never, e.g. upgraded).
    pub(crate) fn new(inner: Incoming, connection: Option<(SendRequest<B>, Pool<B>)>) -> Self {
        Self { inner, connection }
    }

    fn release(&mut self) {
        if let Some((sender, pool)) = self.connection.take() {
            pool.release(sender);
        }
    }
}

impl<B: SendBody> Body for UpstreamBody<B> {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => this.release(),
            Poll::Ready(Some(Err(_))) => this.connection = None,
            Poll::Ready(Some(Ok(_))) | Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<B: SendBody> Drop for UpstreamBody<B> {
    fn drop(&mut self) {
        if self.inner.is_end_stream() {
            self.release();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::sync::atomic::AtomicUsize;

    use http_body_util::{BodyExt, Full};
    use tokio::net::TcpListener;

    use super::*;

    /// An upstream answering `ok` to everything; counts the connections it accepted.
    async fn upstream() -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&accepted);
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                counted.fetch_add(1, Ordering::SeqCst);
                let service = hyper::service::service_fn(|_request| async {
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service),
                );
            }
        });
        (address, accepted)
    }

    fn request() -> Request<Full<Bytes>> {
        Request::get("/")
            .header(http::header::HOST, "upstream")
            .body(Full::default())
            .unwrap()
    }

    #[tokio::test]
    async fn a_connection_goes_back_to_the_pool_once_its_body_ended_and_is_reused() {
        let (address, accepted) = upstream().await;
        let pool = Pool::new(address, Duration::from_secs(10), Duration::from_secs(60));
        for _ in 0..5 {
            let (response, sender) = pool.send(request(), false).await.unwrap();
            let body = UpstreamBody::new(response.into_body(), sender.map(|s| (s, pool.clone())));
            assert_eq!(body.collect().await.unwrap().to_bytes(), "ok");
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_body_dropped_before_its_end_does_not_go_back() {
        let (address, accepted) = upstream().await;
        let pool = Pool::new(address, Duration::from_secs(10), Duration::from_secs(60));
        let (response, sender) = pool.send(request(), false).await.unwrap();
        drop(UpstreamBody::new(
            response.into_body(),
            sender.map(|s| (s, pool.clone())),
        ));
        let (response, sender) = pool.send(request(), false).await.unwrap();
        let body = UpstreamBody::new(response.into_body(), sender.map(|s| (s, pool.clone())));
        assert_eq!(body.collect().await.unwrap().to_bytes(), "ok");
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_connect_error() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        drop(listener);
        let pool = Pool::new(address, Duration::from_secs(10), Duration::from_secs(60));
        let error = pool.send(request(), false).await.unwrap_err();
        assert!(matches!(error, ExchangeError::Connect(_)), "{error}");
    }
}
