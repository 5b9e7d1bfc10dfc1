//! The reverse proxy: [`CookieWardenLayer`] in front of a forwarding service.
//!
//! ```text
//! client ──► server (HTTP/1.1, h2c, TLS) ──► CookieWarden (policy) ──► Forward ──► upstream
//! ```
//!
//! - [`server`]: the listener, connection limits and graceful shutdown;
//! - [`authority`]: the host a request is for (absolute-form, `:authority` vs `host`);
//! - [`forward`]: the forwarding service (pooled client, hop-by-hop headers, `X-Forwarded-*`);
//! - [`headers`]: hop-by-hop and forwarding headers; [`upgrade`]: WebSocket pass-through;
//! - [`errors`]: `502`/`504` responses; [`timeouts`]: every time limit; [`limits`]: open files;
//! - [`preface`]: a deadline for a new connection's first bytes (silent clients);
//! - [`tls`]: the optional TLS listener; [`reload`]: SIGHUP and file-change reload;
//! - [`declaration`]: the public cookie declaration page at the policy's `[declaration] path`;
//! - [`trace_context`]: W3C `traceparent`/`tracestate` in and out (the `otlp` feature).

pub(crate) mod authority;
pub(crate) mod declaration;
pub(crate) mod errors;
pub(crate) mod forward;
pub(crate) mod headers;
pub(crate) mod limits;
pub(crate) mod preface;
pub(crate) mod reload;
pub(crate) mod server;
pub(crate) mod timeouts;
pub(crate) mod tls;
pub(crate) mod trace_context;
pub(crate) mod upgrade;

use std::net::SocketAddr;

use anyhow::{Context, Result};
use tokio::signal::unix::{SignalKind, signal};
use tokio_rustls::TlsAcceptor;
use tower_cookie_warden::{CookieWardenLayer, PolicyHandle};

use crate::cli::{ServeArgs, TelemetryArgs};
pub(crate) use headers::ForwardedStyle;
use server::ServerLimits;
use timeouts::Timeouts;

/// How to serve, checked once from the command line (shared by `proxy` and `demo`).
pub(crate) struct Serve {
    /// Where to listen.
    pub(crate) listen: SocketAddr,
    /// TLS on the listener.
    pub(crate) tls: Option<TlsAcceptor>,
    /// Judge every request as made over https.
    pub(crate) https: bool,
    /// Trust forwarding headers from the client.
    pub(crate) trust_forwarded: bool,
    /// How the upstream learns about the client.
    pub(crate) forwarded: ForwardedStyle,
    /// Every time limit.
    pub(crate) timeouts: Timeouts,
    /// Client-side limits.
    pub(crate) limits: ServerLimits,
}

impl std::fmt::Debug for Serve {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Serve")
            .field("listen", &self.listen)
            .field("tls", &self.tls.is_some())
            .field("https", &self.https)
            .field("trust_forwarded", &self.trust_forwarded)
            .field("forwarded", &self.forwarded)
            .field("timeouts", &self.timeouts)
            .field("limits", &self.limits)
            .finish()
    }
}

impl Serve {
    /// Checks the serving arguments (loads the TLS files).
    ///
    /// # Errors
    /// When the TLS files cannot be used.
    pub(crate) fn from_args(args: &ServeArgs) -> Result<Self> {
        let tls = match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => Some(tls::acceptor(cert, key)?),
            _ => None,
        };
        let timeouts = Timeouts {
            connect: args.connect_timeout,
            upstream_head: args.upstream_timeout,
            body_idle: args.body_idle_timeout,
            client_idle: args.client_idle_timeout,
            shutdown: args.shutdown_timeout,
        };
        Ok(Self {
            listen: args.listen,
            https: args.assume_https || tls.is_some(),
            tls,
            trust_forwarded: args.trust_forwarded,
            forwarded: args.forwarded,
            timeouts,
            limits: ServerLimits {
                client_idle: timeouts.client_idle,
                max_head_bytes: args.max_header_bytes as usize,
                shutdown: timeouts.shutdown,
            },
        })
    }

    /// `http` or `https`, for the address printed at start.
    pub(crate) fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }
}

/// The cookie policy layer as the proxy configures it: forwarding headers and https as the
/// command line says, and every decision and violation counted in the metrics.
pub(crate) fn policy_layer(handle: &PolicyHandle, serve: &Serve) -> CookieWardenLayer {
    let counted = handle.clone();
    CookieWardenLayer::new(handle.clone())
        .trust_forwarded_headers(serve.trust_forwarded)
        .served_over_https(serve.https)
        .on_decision(crate::metrics::record_decision)
        .on_violation(move |report| crate::metrics::record_violation(report, &counted))
}

/// Starts the metrics endpoint when asked for; prints and returns its address.
///
/// # Errors
/// When the recorder cannot be installed or the address cannot be bound.
pub(crate) async fn start_metrics(telemetry: &TelemetryArgs) -> Result<Option<SocketAddr>> {
    let Some(address) = telemetry.metrics_listen else {
        return Ok(None);
    };
    let handle = crate::metrics::install()?;
    let (listener, bound) = server::bind(address)
        .await
        .with_context(|| format!("cannot listen for metrics on {address}"))?;
    tokio::spawn(crate::metrics::serve(listener, handle));
    println!("metrics on http://{bound}/metrics");
    tracing::info!(target: "cookie_warden::proxy", address = %bound, "serving metrics");
    Ok(Some(bound))
}

/// Resolves on SIGTERM or Ctrl-C (SIGINT).
pub(crate) async fn shutdown_signal() {
    let mut terminate = match signal(SignalKind::terminate()) {
        Ok(terminate) => terminate,
        Err(error) => {
            tracing::error!(target: "cookie_warden::proxy", error = %error, "cannot install the SIGTERM handler");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    let signal = tokio::select! {
        _ = terminate.recv() => "SIGTERM",
        _ = tokio::signal::ctrl_c() => "SIGINT",
    };
    tracing::info!(target: "cookie_warden::proxy", signal, "shutdown requested");
}
