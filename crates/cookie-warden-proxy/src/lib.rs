//! The cookie-warden reverse proxy: [`tower_cookie_warden::CookieWardenLayer`] in front of a
//! forwarding service.
//!
//! [`ProxyConfig`] says how to serve (plain data, with the defaults of `cookie-warden proxy`);
//! [`Proxy::bind`] binds the listener and returns the bound address, [`Proxy::serve`] serves
//! until a shutdown future resolves and then drains in-flight requests. Metrics and logs see
//! decisions through the layer's `on_decision`/`on_violation` hooks. Process-wide things stay
//! with the program: signal handlers ([`reload::start`] is the opt-in SIGHUP and file-watch
//! reloader), a metrics recorder, logging.
//!
//! ```no_run
//! use cookie_warden_proxy::{Proxy, ProxyConfig, forward::Upstream, policy_file};
//! use tower_cookie_warden::{CookieWardenLayer, PolicyHandle};
//!
//! # async fn run() -> anyhow::Result<()> {
//! let loaded = policy_file::load("config/fora.toml".as_ref())?;
//! let mut config = ProxyConfig::new(Upstream::parse("http://127.0.0.1:3000").map_err(anyhow::Error::msg)?);
//! config.listen = "127.0.0.1:0".parse()?;
//! let layer = CookieWardenLayer::new(PolicyHandle::new(loaded.policy));
//! let proxy = Proxy::bind(config, layer).await?;
//! println!("listening on http://{}", proxy.local_addr());
//! proxy.serve(async { let _ = tokio::signal::ctrl_c().await; }).await;
//! # Ok(())
//! # }
//! ```
//!
//! ```text
//! client ──► server (HTTP/1.1, h2c, TLS) ──► CookieWarden (policy) ──► Forward ──► upstream
//! ```
//!
//! - [`ProxyConfig`] (`config`): every option and its default; [`Proxy`] (`proxy`): bind and serve;
//! - [`server`]: the listener, connection limits and graceful shutdown;
//! - `authority`: the host a request is for (absolute-form, `:authority` vs `host`);
//! - [`forward`]: the forwarding service (pooled client, hop-by-hop headers, `X-Forwarded-*`);
//! - [`headers`]: hop-by-hop and forwarding headers; `upgrade`: WebSocket pass-through;
//! - `errors`: `502`/`504` responses; [`timeouts`]: every time limit; [`limits`]: open files;
//! - `preface`: a deadline for a new connection's first bytes (silent clients);
//! - [`tls`]: the optional TLS listener, its pair reloaded by [`cert_reload`]; [`reload`]: SIGHUP
//!   and file-change policy reload (both started by `reload_trigger`); [`upstream_tls`]: TLS (and
//!   HTTP/2 by ALPN) to an `https://` upstream;
//! - [`declaration`]: the public cookie declaration page at the policy's `[declaration] path`;
//! - [`policy_file`]: loading the policy file with its environment overrides;
//! - [`status`]: readiness and the policy in force, for the admin endpoints;
//! - [`trace_context`]: W3C `traceparent`/`tracestate` in and out (the `otlp` feature).

mod authority;
pub mod cert_reload;
mod config;
pub mod declaration;
mod errors;
pub mod forward;
pub mod headers;
mod ip_text;
pub mod limits;
pub mod policy_file;
mod preface;
mod proxy;
pub mod reload;
mod reload_trigger;
pub mod server;
pub mod status;
pub mod timeouts;
pub mod tls;
pub mod trace_context;
mod upgrade;
pub mod upstream_tls;

pub use config::{DEFAULT_MAX_HEAD_BYTES, ProxyConfig};
pub use proxy::{Proxy, ProxyService};
