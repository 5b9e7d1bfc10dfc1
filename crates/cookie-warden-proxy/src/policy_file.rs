//! Loading the policy file: the standard figment (the TOML file, then the `COOKIE_WARDEN_`
//! environment overrides of [`with_env_overrides`]), checked and compiled by the core.
//!
//! `COOKIE_WARDEN_ENFORCEMENT__MODE=report-only` overrides `[enforcement] mode`, and
//! `COOKIE_WARDEN_POLICY__VERSION` a top-level key. Only a variable whose name holds `__` after
//! the prefix is an override, so the variables Kubernetes injects for a Service named
//! `cookie-warden` (`COOKIE_WARDEN_SERVICE_HOST`, `COOKIE_WARDEN_PORT_8080_TCP`, …) and the tools'
//! own (`COOKIE_WARDEN_LOG`, `COOKIE_WARDEN_BIN`) are left alone. An override is checked like the
//! file: a misspelt `COOKIE_WARDEN_ENFORCMENT__MODE` is an error naming that variable.

use std::fmt;
use std::path::{Path, PathBuf};

use cookie_warden_core::policy::load::with_env_overrides;
use cookie_warden_core::policy::{Loaded, PolicyErrors, from_figment};
use figment::Figment;
use figment::providers::{Format, Toml};

/// Why a policy did not load.
#[derive(Debug)]
pub enum PolicyFileError {
    /// The file is missing or cannot be read.
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why it cannot be read.
        reason: String,
    },
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

/// The environment overrides alone, as a provider to merge after a policy's text.
pub fn env_overrides() -> Figment {
    with_env_overrides(Figment::new())
}

/// The standard figment for a policy file: the file, then the environment overrides.
pub fn figment(path: &Path) -> Figment {
    with_env_overrides(Figment::new().merge(Toml::file_exact(path)))
}

/// Loads, checks and compiles the policy at `path` (plus environment overrides).
pub fn load(path: &Path) -> Result<Loaded, PolicyFileError> {
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
