//! The cookie-warden reverse proxy: [`tower_cookie_warden::CookieWardenLayer`] in front of a
//! forwarding service.
//!
//! ```text
//! client ──► server (HTTP/1.1, h2c, TLS) ──► CookieWarden (policy) ──► Forward ──► upstream
//! ```
//!
//! - [`server`]: the listener, connection limits and graceful shutdown;
//! - `authority`: the host a request is for (absolute-form, `:authority` vs `host`);
//! - [`forward`]: the forwarding service (pooled client, hop-by-hop headers, `X-Forwarded-*`);
//! - [`headers`]: hop-by-hop and forwarding headers; `upgrade`: WebSocket pass-through;
//! - `errors`: `502`/`504` responses; [`timeouts`]: every time limit; [`limits`]: open files;
//! - `preface`: a deadline for a new connection's first bytes (silent clients);
//! - [`tls`]: the optional TLS listener; [`reload`]: SIGHUP and file-change reload;
//! - [`declaration`]: the public cookie declaration page at the policy's `[declaration] path`;
//! - [`policy_file`]: loading the policy file with its environment overrides;
//! - [`status`]: readiness and the policy in force, for the admin endpoints.

mod authority;
pub mod declaration;
mod errors;
pub mod forward;
pub mod headers;
pub mod limits;
pub mod policy_file;
mod preface;
pub mod reload;
pub mod server;
pub mod status;
pub mod timeouts;
pub mod tls;
mod upgrade;
