//! Loading the policy file: the standard figment (the TOML file, then `COOKIE_WARDEN_`
//! environment overrides with `__` between keys), checked and compiled by the core.
//!
//! `COOKIE_WARDEN_ENFORCEMENT__MODE=report-only` overrides `[enforcement] mode`. Every
//! `COOKIE_WARDEN_` variable is a policy override except the tools' own ([`TOOL_VARIABLES`]:
//! `COOKIE_WARDEN_LOG`, and `COOKIE_WARDEN_BIN` / `COOKIE_WARDEN_CHROMIUM` of the tests), and is
//! checked like the file: a misspelt `COOKIE_WARDEN_ENFORCMENT__MODE` or a stray
//! `COOKIE_WARDEN_NOPE` is an error naming that variable (unknown keys are errors).
//!
//! Overrides are merged with `merge`, never `admerge`: a value from the environment replaces the
//! file's, so a list (hosts, scopes, domains) never widens by accident.

use std::fmt;
use std::path::{Path, PathBuf};

use cookie_warden_core::policy::load::{ENV_PREFIX, ENV_SPLIT};
use cookie_warden_core::policy::{Loaded, PolicyErrors, from_figment};
use figment::Figment;
use figment::providers::{Env, Format, Toml};

/// Why a policy did not load.
#[derive(Debug)]
pub(crate) enum PolicyFileError {
    /// The file is missing or cannot be read.
    Unreadable { path: PathBuf, reason: String },
    /// The policy is invalid: every error, each with its source, key path and reason.
    Invalid(PolicyErrors),
}

impl fmt::Display for PolicyFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyFileError::Unreadable { path, reason } => {
                write!(f, "cannot read policy file {}: {reason}", path.display())
            }
            PolicyFileError::Invalid(errors) => errors.fmt(f),
        }
    }
}

impl std::error::Error for PolicyFileError {}

/// `COOKIE_WARDEN_` variables that are not policy overrides (lowercase, as figment sees them).
pub(crate) const TOOL_VARIABLES: [&str; 3] = ["log", "bin", "chromium"];

/// The environment overrides: every `COOKIE_WARDEN_` variable but [`TOOL_VARIABLES`].
pub(crate) fn env_overrides() -> Env {
    Env::prefixed(ENV_PREFIX)
        .split(ENV_SPLIT)
        .filter(|key| !TOOL_VARIABLES.iter().any(|tool| key == *tool))
}

/// The standard figment for a policy file: the file, then the environment overrides.
pub(crate) fn figment(path: &Path) -> Figment {
    Figment::new()
        .merge(Toml::file_exact(path))
        .merge(env_overrides())
}

/// Loads, checks and compiles the policy at `path` (plus environment overrides).
pub(crate) fn load(path: &Path) -> Result<Loaded, PolicyFileError> {
    let unreadable = |reason: String| PolicyFileError::Unreadable {
        path: path.to_owned(),
        reason,
    };
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => return Err(unreadable("it is a directory".to_owned())),
        Ok(_) => {}
        Err(err) => return Err(unreadable(err.to_string().to_lowercase())),
    }
    // Open it once here, so an unreadable file gets a plain message rather than figment's.
    std::fs::File::open(path).map_err(|err| unreadable(err.to_string().to_lowercase()))?;
    from_figment(&figment(path)).map_err(PolicyFileError::Invalid)
}
