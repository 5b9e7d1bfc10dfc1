//! The pure core of cookie-warden.
//!
//! This crate decides; it does no I/O, runs no async code and reads no clock (the time comes in as
//! an argument). It holds:
//!
//! - [`policy`]: the policy file's model, its validation and the compiled policy that matches names
//!   and scopes;
//! - [`action`]: what was done about a violating cookie (`fixed`, `stripped`, …), as events,
//!   metrics and reports name it;
//! - [`decision`]: verdicts, violation kinds and the [`decision::Decision`] for one `Set-Cookie`;
//! - [`decide`]: the [`decide::Judge`] that decides each `Set-Cookie` and request cookie;
//! - [`consent`], [`cookie_header`], [`http_date`]: the visitor's consent, the request `Cookie`
//!   header, the response `Date`;
//! - [`html`]: the HTML escaper of the declaration page, for other pages too;
//! - [`request`]: what the core needs to know about the request a response answers;
//! - [`origin`], [`forwarded`]: the request's host and secure origin, read one way for the CLI, the
//!   layer and the proxy (the host normaliser's contract is in [`origin`]).
//!
//! No type in this crate prints a cookie's value in its `Debug` or `Display` output, and no error
//! message carries one.

pub mod action;
mod civil;
pub mod consent;
pub mod cookie_header;
pub mod decide;
pub mod decision;
pub mod declaration;
pub mod forwarded;
pub mod html;
pub mod http_date;
pub mod origin;
pub mod policy;
pub mod request;
pub mod set_cookie;
