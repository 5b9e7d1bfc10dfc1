//! [`Proxy`]: bind the listener, then serve until a shutdown future resolves.
//!
//! ```text
//! Proxy::bind(config, layer) ─► local_addr() ─► serve(shutdown) ─► drained
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use hyper::body::Incoming;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::Layer;
use tower_cookie_warden::{CookieWarden, CookieWardenLayer};

use crate::config::ProxyConfig;
use crate::declaration::DeclarationPage;
use crate::forward::Forward;
use crate::server::{self, ServerLimits};
use crate::timeouts::BoxError;

/// The service a [`Proxy`] serves: the declaration page, then the cookie policy, then the
/// forwarder.
pub type ProxyService = DeclarationPage<CookieWarden<Forward>>;

/// A bound proxy, ready to serve. `S` is the service it serves: [`ProxyService`], or what
/// [`Proxy::map_service`] made of it.
pub struct Proxy<S = ProxyService> {
    listener: TcpListener,
    local_addr: SocketAddr,
    tls: Option<TlsAcceptor>,
    limits: ServerLimits,
    service: S,
}

impl<S> std::fmt::Debug for Proxy<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("local_addr", &self.local_addr)
            .field("tls", &self.tls.is_some())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Proxy {
    /// Binds `config.listen` and builds the service: `layer` (its policy, and any
    /// `on_decision`/`on_violation` hooks: that is how metrics and logs see decisions) around
    /// the forwarder, with the declaration page of the same policy in front. The layer's
    /// forwarding-header trust and https judgement are set from `config`.
    ///
    /// # Errors
    /// When the address cannot be bound, or (`InvalidInput`) when an `https://` upstream comes
    /// without [`ProxyConfig::upstream_tls`] or an `http://` one with it.
    pub async fn bind(config: ProxyConfig, layer: CookieWardenLayer) -> std::io::Result<Self> {
        // The upstream's scheme and `upstream_tls` are two settings that must agree, or the proxy
        // would speak plain HTTP to an https:// upstream (or TLS to an http:// one).
        if config.upstream.is_https() != config.upstream_tls.is_some() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                if config.upstream.is_https() {
                    "an https:// upstream needs ProxyConfig::upstream_tls"
                } else {
                    "ProxyConfig::upstream_tls is set, but the upstream is http://"
                },
            ));
        }
        let layer = layer
            .trust_forwarded_headers(config.trust_forwarded)
            .served_over_https(config.https());
        let policy = layer.policy().clone();
        let service = DeclarationPage::new(layer.layer(Forward::new(config.forward_options())), policy);
        let (listener, local_addr) = server::bind(config.listen).await?;
        Ok(Self {
            listener,
            local_addr,
            limits: config.server_limits(),
            tls: config.tls,
            service,
        })
    }
}

impl<S> Proxy<S> {
    /// The address the listener is bound to (the port the OS picked for port 0).
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Wraps the service in another (routing, extra middleware) before serving.
    #[must_use]
    pub fn map_service<T>(self, wrap: impl FnOnce(S) -> T) -> Proxy<T> {
        Proxy {
            listener: self.listener,
            local_addr: self.local_addr,
            tls: self.tls,
            limits: self.limits,
            service: wrap(self.service),
        }
    }

    /// Serves until `shutdown` resolves, then stops accepting and lets in-flight requests
    /// finish for at most the configured shutdown timeout.
    pub async fn serve<B>(self, shutdown: impl Future<Output = ()>)
    where
        S: tower::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
            + Clone
            + Send
            + 'static,
        S::Future: Send + 'static,
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        server::serve(self.listener, self.tls, self.service, self.limits, shutdown).await;
    }
}
