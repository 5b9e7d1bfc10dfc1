//! The command line's side of the reverse proxy (shared by `proxy` and `demo`): the serving
//! arguments as a [`ProxyConfig`] of the `cookie-warden-proxy` library, the policy layer with
//! the metrics hooks, the metrics endpoint, and the shutdown signals. Everything that serves is
//! in the library.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use cookie_warden_proxy::forward::Upstream;
use cookie_warden_proxy::{ProxyConfig, server, tls};
use tokio::signal::unix::{SignalKind, signal};
use tower_cookie_warden::{CookieWardenLayer, PolicyHandle};

use crate::cli::{ServeArgs, TelemetryArgs};

/// The proxy's configuration from the serving arguments (loads the TLS files), forwarding to
/// `upstream`.
///
/// # Errors
/// When the TLS files cannot be used.
pub(crate) fn config(args: &ServeArgs, upstream: Upstream) -> Result<ProxyConfig> {
    let mut config = ProxyConfig::new(upstream);
    config.listen = args.listen;
    config.tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(tls::acceptor(cert, key)?),
        _ => None,
    };
    config.assume_https = args.assume_https;
    config.trust_forwarded = args.trust_forwarded;
    config.forwarded = args.forwarded.into();
    config.timeouts.connect = args.connect_timeout;
    config.timeouts.upstream_head = args.upstream_timeout;
    config.timeouts.body_idle = args.body_idle_timeout;
    config.timeouts.client_idle = args.client_idle_timeout;
    config.timeouts.shutdown = args.shutdown_timeout;
    config.max_head_bytes = args.max_header_bytes as usize;
    Ok(config)
}

/// The cookie policy layer with every decision and violation counted in the metrics (the
/// library sets its forwarding-header trust and https judgement from the [`ProxyConfig`]).
pub(crate) fn policy_layer(handle: &PolicyHandle) -> CookieWardenLayer {
    let counted = handle.clone();
    CookieWardenLayer::new(handle.clone())
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
