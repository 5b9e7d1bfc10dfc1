//! A tower layer that enforces a site's cookie policy on every `Set-Cookie` header.
//!
//! [`CookieWardenLayer`] wraps any tower service that answers `http` requests (an axum `Router`, a
//! hyper service, a proxy) and applies a
//! [`CompiledPolicy`](cookie_warden_core::policy::CompiledPolicy) from
//! [`cookie_warden_core`] to what passes through:
//!
//! - **Responses.** Every `Set-Cookie` header is judged, in order. An allowed one passes byte for
//!   byte; a fixable one leaves as its canonical rewrite; a forbidden one is removed; a `block`
//!   verdict replaces the whole response with `block_status`, a short plain-text body and no
//!   cookie at all. The headers that leave keep their order and are marked sensitive (HTTP/2 and
//!   HTTP/3 never index them). `Set-Cookie` fields in trailers and obsolete `Set-Cookie2` headers
//!   are removed. Expiry is measured against the response's `Date` header, or the clock when it has
//!   none. In `report-only` mode nothing is changed.
//! - **Requests.** With `request_cookies = "report"` unlisted cookies in the request's `Cookie`
//!   headers are traced; with `"strip"` they (and cookies of categories the visitor withdrew
//!   consent from) are removed before the inner service sees them, the rest re-joined exactly.
//!   A cookie whose value a comma-splitting server parser reads as further pairs
//!   (`sid=1,tracker=2`) is judged with those pairs, and removed whole when one is not allowed;
//!   a value that lists words (`necessary,statistics`) hides no pair.
//! - **Events.** Each violating `Set-Cookie` emits one `tracing` event (target `cookie_warden`,
//!   message `cookie policy violation`, level from the policy's `[events]`); the request's
//!   violating cookies emit one event per reason and action, however many there are. Each
//!   violating cookie calls the optional [`on_violation`](CookieWardenLayer::on_violation) hook.
//!   Neither ever carries a cookie's value.
//! - **Reloads.** The policy is read through a [`PolicyHandle`]; storing a new policy swaps it
//!   atomically, and each request keeps the snapshot it started with.
//! - **Fail closed.** A header the core cannot judge is removed, with an event saying why.
//!
//! # Example
//!
//! ```
//! use std::convert::Infallible;
//!
//! use cookie_warden_core::policy::load;
//! use http::header::SET_COOKIE;
//! use http::{Request, Response};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//! use tower_cookie_warden::CookieWardenLayer;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let policy = load::from_toml_str(
//!     "policy.toml",
//!     r#"
//!     version = 1
//!     [[cookie]]
//!     name = "sid"
//!     lifetime = "session"
//!
//!     [[cookie]]
//!     name = "theme"
//!     lifetime = "session"
//!     http_only = false
//!     "#,
//! )
//! .unwrap()
//! .policy;
//!
//! let app = service_fn(|_request: Request<String>| async {
//!     let response = Response::builder()
//!         .header(SET_COOKIE, "sid=abc123; Path=/; Secure; HttpOnly; SameSite=Lax") // allowed
//!         .header(SET_COOKIE, "tracker=xyz; Max-Age=31536000") // unlisted: removed
//!         .header(SET_COOKIE, "theme=dark") // listed, attributes missing: fixed
//!         .body(String::from("hello"))
//!         .unwrap();
//!     Ok::<_, Infallible>(response)
//! });
//!
//! let service = ServiceBuilder::new().layer(CookieWardenLayer::new(policy)).service(app);
//! let request = Request::builder().uri("https://example.com/").body(String::new()).unwrap();
//! let response = service.oneshot(request).await.unwrap();
//!
//! let cookies: Vec<_> = response.headers().get_all(SET_COOKIE).iter().collect();
//! assert_eq!(
//!     cookies,
//!     ["sid=abc123; Path=/; Secure; HttpOnly; SameSite=Lax", "theme=dark; Secure; SameSite=Lax"]
//! );
//! # }
//! ```
//!
//! # Events
//!
//! Target [`TARGET`] (`cookie_warden`), message [`MESSAGE`] (`cookie policy violation`), at the
//! level the policy's `[events]` table gives the action (by default INFO for `fixed`, WARN for the
//! others).
//!
//! - **Response**: one event per violating `Set-Cookie` header.
//! - **Request**: one event per request, reason and action (so at most eight per request), however
//!   many cookies the `Cookie` header holds: a client chooses that number, and a 60 kB header of
//!   thousands of unlisted cookies must not write thousands of lines. The event says how many
//!   cookies it covers (`cookie.count`) and names the first [`REQUEST_EVENT_NAMES`] (8) distinct
//!   ones (`cookie.names`). The hook still hears of each cookie, so counts built on it are exact.
//!
//! Fields:
//!
//! | field | value |
//! |---|---|
//! | `cookie.name` | the cookie's name as a browser reads it (never its value); request events: the first name of `cookie.names` |
//! | `cookie.names` | request events only: the first 8 distinct names, comma-separated, in the order of the `Cookie` header |
//! | `cookie.count` | request events only: how many cookies (pairs of the `Cookie` header; a pair hiding others behind a comma counts once, under its own name) the event covers |
//! | `cookie.rule` | the matching rule's name as written in the policy (absent: no rule, or, in a request event, cookies of different rules) |
//! | `cookie.category` | the rule's category (absent as for `cookie.rule`) |
//! | `cookie.source` | `response` (a `Set-Cookie`) or `request` (a cookie of the `Cookie` header) |
//! | `violation` | the violation kinds, comma-separated (request cookies, one kind: `unlisted`, `out_of_scope`, `consent_withdrawn`, or `hidden_pair` for an allowed cookie whose value a comma-splitting parser reads as further pairs, one of them not allowed; a header the core failed on: `internal_error`) |
//! | `action` | `fixed`, `stripped`, `blocked`, or `reported` (nothing changed) |
//! | `enforced` | `false` when nothing was changed |
//! | `scope` | the request's scope id (absent: no scope) |
//! | `consent.cookie`, `consent.granted`, `consent.gpc` | with `[consent]`: how the consent cookie was read, the granted categories, whether `Sec-GPC` withdrew consent |
//! | `error` | why a header was stripped although the core could not judge or fix it |
//! | `http.request.method`, `url.path`, `server.address` | the request's method, path (no query) and host |
//! | `http.response.status_code` | the upstream's status (response cookies only) |
//!
//! [`CookieWardenLayer::on_violation`] receives the same facts as a [`ViolationReport`];
//! [`CookieWardenLayer::on_decision`] sees every decision on a `Set-Cookie`, allowed ones included.
//!
//! # Where it goes in a stack
//!
//! Put the layer **inside** `tower_http::trace::TraceLayer` (added after it in a `ServiceBuilder`,
//! or before it with axum's `Router::layer`, which wraps outermost last): the trace span is then
//! open while the layer runs, so violation events carry the request's span, and the response the
//! trace layer logs is the one that actually leaves. Put it **outside** anything that sets
//! cookies (session layers, the application), so nothing adds a cookie after it has judged them.
//! Compression and other body layers may go on either side: the layer passes bodies through
//! frame by frame.
//!
//! # The request's origin
//!
//! Cookies are judged against the request's host, path and scheme. The host comes from the URI's
//! authority (HTTP/1.1 absolute-form `GET http://app.test/x`, HTTP/2 `:authority`), else the `Host`
//! header, lowercased, without port: RFC 9112 §3.2.2 says a server ignores a received `Host` when
//! the target is absolute-form. A `Host` header that names another host than the authority is
//! replaced with the authority's before the inner service sees the request, so that the service,
//! whether it reads the URI or `Host` (as axum-extra's `Host` extractor does), serves the host that
//! was judged. (An HTTP/2 `host` that differs from `:authority` is malformed, RFC 9113 §8.3.1; a
//! server in front may refuse it, as `cookie-warden proxy` does with `400`.) Behind a reverse proxy, tell the
//! layer to [trust forwarding headers](CookieWardenLayer::trust_forwarded_headers) or that it is
//! [served over https](CookieWardenLayer::served_over_https); by default neither is assumed.
//! Trusted forwarding headers (`Forwarded`'s `host`, else `X-Forwarded-Host`) then win over the
//! authority and `Host`; untrusted ones are ignored, so a service that reads them itself (as
//! axum-extra's `Host` extractor does, unconditionally) must only run behind a proxy that sets
//! them, with the layer told to trust them.

mod body;
mod context;
mod events;
mod future;
mod handle;
mod layer;
mod request_cookies;
mod response_cookies;
mod service;

pub use body::ResponseBody;
pub use events::{CookieSource, MESSAGE, REQUEST_EVENT_NAMES, TARGET, ViolationReport};
pub use future::ResponseFuture;
pub use handle::PolicyHandle;
pub use layer::CookieWardenLayer;
pub use service::CookieWarden;

/// `Set-Cookie2` (RFC 2965, obsolete): removed from responses.
static SET_COOKIE2: http::HeaderName = http::HeaderName::from_static("set-cookie2");
