//! The policy: the file's model, its validation, and the compiled form used to decide.
//!
//! - [`model`]: the file as written (serde types, `deny_unknown_fields`);
//! - [`load`]: TOML text (or, with the `figment` feature, a figment) → every error with its
//!   source and key path, or a
//!   [`CompiledPolicy`] plus lint warnings;
//! - [`compile`]: what is checked, what is linted;
//! - [`duration`]: `30m`, `1h`, `400d`, `12 months`;
//! - [`name`]: exact names, globs and templates; the `__Host-`/`__Secure-` prefixes;
//! - [`CompiledPolicy`]: scopes and names, matched without allocating.

pub mod compile;
mod compiled;
pub mod duration;
pub mod error;
pub mod load;
mod matcher;
pub mod model;
pub mod name;
mod scopes;
mod tree;

pub use compiled::{CompiledConsent, CompiledPolicy, CompiledRule, EnforcementSettings, Lifetime, NameMatch};
pub use error::{Diagnostic, KeyPath, Lint, PolicyErrors, Source};
#[cfg(feature = "figment")]
pub use load::from_figment;
pub use load::{Loaded, from_toml_str};
pub use scopes::ScopeId;
