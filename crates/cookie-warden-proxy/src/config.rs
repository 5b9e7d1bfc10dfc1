//! [`ProxyConfig`]: how the proxy listens, forwards and limits, as plain data (no command-line
//! parsing here: the `cookie-warden` binary maps its arguments onto it).

use std::net::SocketAddr;
use std::time::Duration;

use http::HeaderValue;
use tokio_rustls::TlsAcceptor;

use crate::forward::{ForwardOptions, Upstream};
use crate::headers::ForwardedStyle;
use crate::server::ServerLimits;
use crate::timeouts::Timeouts;

/// The largest request head accepted by default, in bytes (64 KiB).
pub const DEFAULT_MAX_HEAD_BYTES: usize = 65_536;

/// How the proxy serves one upstream. Build it with [`ProxyConfig::new`] and set the public
/// fields; every field has the default of `cookie-warden proxy`.
///
/// ```
/// use cookie_warden_proxy::ProxyConfig;
/// use cookie_warden_proxy::forward::Upstream;
///
/// let mut config = ProxyConfig::new(Upstream::parse("http://127.0.0.1:3000").unwrap());
/// config.listen = "127.0.0.1:0".parse().unwrap();
/// config.assume_https = true;
/// assert!(config.https());
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct ProxyConfig {
    /// Where to listen; port 0 picks a free port ([`crate::Proxy::local_addr`] says which).
    /// Default `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// The upstream every request is forwarded to.
    pub upstream: Upstream,
    /// The `Host` sent upstream instead of the client's. Default: none (the client's).
    pub upstream_host: Option<HeaderValue>,
    /// TLS on the listener (see [`crate::tls::acceptor`]). Default: none (plain HTTP/1.1 and h2c).
    pub tls: Option<TlsAcceptor>,
    /// Judge every request as made over https, because a TLS terminator in front serves the
    /// site over https. Implied by [`ProxyConfig::tls`]. Default `false`.
    pub assume_https: bool,
    /// Trust `Forwarded` / `X-Forwarded-Host` / `X-Forwarded-Proto` from the client: only
    /// behind a proxy that sets them on every request. Default `false`.
    pub trust_forwarded: bool,
    /// How the upstream learns about the client. Default [`ForwardedStyle::XForwarded`].
    pub forwarded: ForwardedStyle,
    /// Every time limit. Default: [`ProxyConfig::DEFAULT_TIMEOUTS`].
    pub timeouts: Timeouts,
    /// The largest request head accepted, in bytes (HTTP/1 read buffer, HTTP/2 header list).
    /// Default [`DEFAULT_MAX_HEAD_BYTES`].
    pub max_head_bytes: usize,
}

impl ProxyConfig {
    /// The default time limits: connect 5 s, upstream response head 60 s, body idle 60 s,
    /// client idle 30 s, shutdown drain 30 s.
    pub const DEFAULT_TIMEOUTS: Timeouts = Timeouts {
        connect: Duration::from_secs(5),
        upstream_head: Duration::from_secs(60),
        body_idle: Duration::from_secs(60),
        client_idle: Duration::from_secs(30),
        shutdown: Duration::from_secs(30),
    };

    /// A configuration forwarding to `upstream`, every other field at its default.
    #[must_use]
    pub fn new(upstream: Upstream) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            upstream,
            upstream_host: None,
            tls: None,
            assume_https: false,
            trust_forwarded: false,
            forwarded: ForwardedStyle::XForwarded,
            timeouts: Self::DEFAULT_TIMEOUTS,
            max_head_bytes: DEFAULT_MAX_HEAD_BYTES,
        }
    }

    /// Whether requests are judged as made over https: TLS on the listener, or
    /// [`ProxyConfig::assume_https`].
    #[must_use]
    pub fn https(&self) -> bool {
        self.assume_https || self.tls.is_some()
    }

    /// `http` or `https`: the scheme clients use to reach the listener.
    #[must_use]
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }

    /// The client-side limits of the serve loop.
    #[must_use]
    pub fn server_limits(&self) -> ServerLimits {
        ServerLimits {
            client_idle: self.timeouts.client_idle,
            max_head_bytes: self.max_head_bytes,
            shutdown: self.timeouts.shutdown,
        }
    }

    /// The options of the forwarding service.
    #[must_use]
    pub fn forward_options(&self) -> ForwardOptions {
        ForwardOptions {
            upstream: self.upstream.clone(),
            upstream_host: self.upstream_host.clone(),
            forwarded: self.forwarded,
            trust_forwarded: self.trust_forwarded,
            timeouts: self.timeouts,
        }
    }
}

impl std::fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyConfig")
            .field("listen", &self.listen)
            .field("upstream", &self.upstream.display())
            .field("upstream_host", &self.upstream_host)
            .field("tls", &self.tls.is_some())
            .field("assume_https", &self.assume_https)
            .field("trust_forwarded", &self.trust_forwarded)
            .field("forwarded", &self.forwarded)
            .field("timeouts", &self.timeouts)
            .field("max_head_bytes", &self.max_head_bytes)
            .finish()
    }
}
