//! The listener: accepts connections (plain or TLS), serves HTTP/1.1 (with upgrades) and HTTP/2
//! (prior knowledge, and ALPN `h2` over TLS) with hyper-util's auto server, and shuts down
//! gracefully: on the shutdown signal it stops accepting, lets in-flight requests finish for at
//! most the shutdown timeout, then returns. An HTTP/2 request whose `host` header differs from
//! its `:authority` is refused with `400` before the service sees it (see `authority.rs`).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body::Body;
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;
use tracing::Instrument;

use super::authority;
use super::headers::ClientInfo;
use super::preface::PrefaceDeadline;
use super::timeouts::BoxError;
use super::trace_context;

/// Limits of the client side.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// An HTTP/1 connection without a complete request head for this long is closed; also the
    /// HTTP/2 keep-alive ping timeout and the TLS handshake limit.
    pub client_idle: Duration,
    /// The largest request head accepted (HTTP/1 read buffer, HTTP/2 header list).
    pub max_head_bytes: usize,
    /// How long in-flight requests may run on after the shutdown signal.
    pub shutdown: Duration,
}

/// Serves `service` on `listener` until `shutdown` resolves, then drains in-flight requests for
/// at most `limits.shutdown`.
pub async fn serve<S, B>(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    service: S,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()>,
) where
    S: tower::Service<Request<Incoming>, Response = Response<B>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.client_idle)
        .max_buf_size(limits.max_head_bytes.max(8192));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(limits.max_head_bytes).unwrap_or(u32::MAX))
        .keep_alive_interval(limits.client_idle)
        .keep_alive_timeout(limits.client_idle);

    let counters = Arc::new(StatusCounters::default());
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    crate::status::listener_accepting();
    loop {
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::error!(target: "cookie_warden::proxy", error = %error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let info = ClientInfo {
            peer,
            tls: tls.is_some(),
        };
        let watcher = graceful.watcher();
        let builder = builder.clone();
        let service = service.clone();
        let tls = tls.clone();
        let counters = Arc::clone(&counters);
        tokio::spawn(async move {
            let connection = Connection {
                info,
                watcher,
                counters,
                client_idle: limits.client_idle,
            };
            match tls {
                None => connection.serve(&builder, stream, service).await,
                Some(acceptor) => {
                    match tokio::time::timeout(limits.client_idle, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => connection.serve(&builder, stream, service).await,
                        Ok(Err(error)) => {
                            tracing::debug!(target: "cookie_warden::proxy", error = %error, client.address = %peer, "tls handshake failed");
                        }
                        Err(_) => {
                            tracing::debug!(target: "cookie_warden::proxy", peer = %peer, "tls handshake timed out");
                        }
                    }
                }
            }
        });
    }
    drop(listener);
    crate::status::shutting_down();

    let open = graceful.count();
    tracing::info!(target: "cookie_warden::proxy", connections = open, "shutting down: no new connections, draining");
    match tokio::time::timeout(limits.shutdown, graceful.shutdown()).await {
        Ok(()) => tracing::info!(target: "cookie_warden::proxy", "shutdown complete"),
        Err(_) => tracing::warn!(
            target: "cookie_warden::proxy",
            timeout_ms = u64::try_from(limits.shutdown.as_millis()).unwrap_or(u64::MAX),
            "shutdown timed out: closing the remaining connections"
        ),
    }
}

/// The request counter of each status class, registered on its first increment (so `/metrics`
/// shows the classes that occurred) and kept: an increment is then one atomic add (nothing at
/// all without a metrics recorder), not a label lookup. The request duration histogram beside
/// them, registered when the serve loop starts (after the binary installed its recorder).
#[derive(Debug)]
struct StatusCounters([OnceLock<metrics::Counter>; 5], metrics::Histogram);

impl Default for StatusCounters {
    fn default() -> Self {
        Self(
            Default::default(),
            metrics::histogram!("cookie_warden_request_duration_seconds"),
        )
    }
}

impl StatusCounters {
    /// Records one request's duration (up to its response head).
    fn record_duration(&self, elapsed: Duration) {
        self.1.record(elapsed.as_secs_f64());
    }

    /// Counts one response with `status`.
    fn count(&self, status: http::StatusCode) {
        const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];
        let class = usize::from(status.as_u16() / 100).clamp(1, 5) - 1;
        self.0[class]
            .get_or_init(|| metrics::counter!("cookie_warden_requests_total", "status" => CLASSES[class]))
            .increment(1);
    }
}

/// One accepted client connection, before its protocol is served.
struct Connection {
    info: ClientInfo,
    watcher: hyper_util::server::graceful::Watcher,
    counters: Arc<StatusCounters>,
    client_idle: Duration,
}

impl Connection {
    /// Serves the connection; the service sees [`ClientInfo`] in each request's extensions.
    async fn serve<I, S, B>(self, builder: &auto::Builder<TokioExecutor>, io: I, service: S)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
        S: tower::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
            + Clone
            + Send
            + 'static,
        S::Future: Send + 'static,
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let Connection {
            info,
            watcher,
            counters,
            client_idle,
        } = self;
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            let span = trace_context::request_span(request.method(), request.uri().path(), request.headers());
            request.extensions_mut().insert(info);
            let service = service.clone();
            let counters = Arc::clone(&counters);
            let started = std::time::Instant::now();
            async move {
                if authority::conflicting_authority(&request) {
                    // Malformed (RFC 9113 §8.3.1): neither judged nor forwarded.
                    tracing::debug!(target: "cookie_warden::proxy", peer = %info.peer, "host header differs from :authority");
                    let response = authority_conflict();
                    counters.count(response.status());
                    return Ok::<_, Infallible>(response);
                }
                let response = service.oneshot(request).await?.map(Either::Left);
                counters.count(response.status());
                // Only an exported span has a status to record: without `otlp`, no span lookup.
                #[cfg(feature = "otlp")]
                trace_context::record_response(&tracing::Span::current(), response.status());
                counters.record_duration(started.elapsed());
                Ok::<_, Infallible>(response)
            }
            .instrument(span)
        });
        // The auto server waits for the first bytes without a limit: bound that wait too.
        let io = PrefaceDeadline::new(io, client_idle);
        let connection = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
        if let Err(error) = watcher.watch(connection).await {
            let kind = client_failure(&*error);
            metrics::counter!("cookie_warden_client_errors_total", "kind" => kind).increment(1);
            tracing::info!(
                target: "cookie_warden::proxy",
                error = %error,
                client.error = kind,
                client.address = %info.peer,
                "client connection failed"
            );
        }
    }
}

/// The answer to an HTTP/2 request whose `host` header names another host than its `:authority`.
fn authority_conflict<B>() -> Response<Either<B, Full<Bytes>>> {
    let body = Full::new(Bytes::from_static(
        b"400 Bad Request: the host header differs from :authority\n",
    ));
    let mut response = Response::new(Either::Right(body));
    *response.status_mut() = StatusCode::BAD_REQUEST;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// Why a client connection failed, for its event: `header_timeout` (no complete request head in
/// time: idle, slow or silent clients), `closed` (the client reset or closed the connection while
/// a response was on its way), `bad_request` (not HTTP) or `other`.
fn client_failure(error: &(dyn std::error::Error + 'static)) -> &'static str {
    let mut next = Some(error);
    while let Some(current) = next {
        if let Some(hyper_error) = current.downcast_ref::<hyper::Error>() {
            if hyper_error.is_timeout() {
                return "header_timeout";
            }
            if hyper_error.is_parse() || hyper_error.is_parse_too_large() {
                return "bad_request";
            }
            if hyper_error.is_incomplete_message() || hyper_error.is_canceled() {
                return "closed";
            }
        }
        if let Some(io_error) = current.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind;
            match io_error.kind() {
                ErrorKind::TimedOut => return "header_timeout",
                ErrorKind::BrokenPipe
                | ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::UnexpectedEof => return "closed",
                _ => {}
            }
        }
        next = current.source();
    }
    "other"
}

/// Binds a listener and says where: returns the actual address (port 0 picks a free one).
///
/// # Errors
/// When the address cannot be bound.
pub async fn bind(address: SocketAddr) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(address).await?;
    let bound = listener.local_addr()?;
    Ok((listener, bound))
}
