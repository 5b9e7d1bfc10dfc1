//! The servers of cookie-warden's load bench (`bench/run.sh`, described in `bench/README.md`).
//!
//! Every server here answers with the same bytes, so a run against one compares with a run against another:
//!
//! - `GET /set-cookies` answers with the four `Set-Cookie` headers of [`responses::SET_COOKIES`]: for a
//!   request to `www.fora.se` (scope `public` of `config/fora.toml`) two are allowed, one is fixed and one
//!   is stripped (not `/cookies`: there `cookie-warden proxy` serves the policy's declaration page);
//! - any other path (the bench uses `/plain`) answers with no `Set-Cookie` at all.
//!
//! Both answer with the small body [`responses::BODY`].

pub mod app;
pub mod args;
pub mod listen;
pub mod responses;
pub mod runtime;
