//! What this process reports about itself on the admin endpoints (`/readyz`, and the
//! `cookie_warden_policy_*` metrics): whether it is ready, and which policy it enforces since
//! when.
//!
//! The proxy's serve loop marks the listener accepting when it starts and shutting down when the
//! shutdown signal stops it; `proxy` and `demo` record the policy they load at start, and the
//! reloader every reload, good or bad. Ready means: a policy is loaded, the listener accepts, and
//! no shutdown has begun.
//!
//! The policy's digest is the SHA-256 of the policy file's bytes as loaded, in lowercase hex
//! (what `sha256sum` prints for the file), so it can be compared with the file in Git or in a
//! config map. Environment overrides are not part of it: they are fixed for the life of the
//! process and visible in its unit or pod spec; the `mode` label shows their most common use.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{PoisonError, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use cookie_warden_core::policy::CompiledPolicy;
use cookie_warden_core::policy::model::Mode;
use sha2::{Digest, Sha256};

/// The listener's state: not yet serving, accepting, or shutting down.
static LISTENER: AtomicU8 = AtomicU8::new(NOT_SERVING);
const NOT_SERVING: u8 = 0;
const ACCEPTING: u8 = 1;
const SHUTTING_DOWN: u8 = 2;

/// The policy in force and the last reload's outcome; `None` until a policy is loaded.
static POLICY: RwLock<Option<PolicyStatus>> = RwLock::new(None);

/// The policy in force and how the last reload went.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyStatus {
    /// SHA-256 of the policy file's bytes, lowercase hex.
    pub digest: String,
    /// `enforce` or `report-only` (after environment overrides).
    pub mode: &'static str,
    /// Whether the last load (at start, or the last reload) succeeded.
    pub last_reload_successful: bool,
    /// When that load ran, in seconds since the Unix epoch.
    pub last_reload_timestamp: f64,
}

/// The SHA-256 of `bytes` in lowercase hex: a policy file's digest.
pub fn digest(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let hash = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in hash {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// `enforce` or `report-only`.
pub fn mode_name(policy: &CompiledPolicy) -> &'static str {
    match policy.mode() {
        Mode::Enforce => "enforce",
        Mode::ReportOnly => "report-only",
    }
}

/// Records a policy that loaded (at start or on reload) from a file with `digest`.
pub fn policy_loaded(digest: String, policy: &CompiledPolicy) {
    let status = PolicyStatus {
        digest,
        mode: mode_name(policy),
        last_reload_successful: true,
        last_reload_timestamp: now(),
    };
    *POLICY.write().unwrap_or_else(PoisonError::into_inner) = Some(status);
}

/// Records a reload that failed: the running policy (and its digest) stays.
pub fn reload_failed() {
    if let Some(status) = POLICY.write().unwrap_or_else(PoisonError::into_inner).as_mut() {
        status.last_reload_successful = false;
        status.last_reload_timestamp = now();
    }
}

/// The policy in force, if one is loaded.
pub fn policy() -> Option<PolicyStatus> {
    POLICY.read().unwrap_or_else(PoisonError::into_inner).clone()
}

/// The proxy's listener accepts connections (its serve loop runs).
pub(crate) fn listener_accepting() {
    // A shutdown already begun is never undone.
    let _ = LISTENER.compare_exchange(NOT_SERVING, ACCEPTING, Ordering::AcqRel, Ordering::Acquire);
}

/// The shutdown signal came: the listener is closed and in-flight requests drain.
pub(crate) fn shutting_down() {
    LISTENER.store(SHUTTING_DOWN, Ordering::Release);
}

/// Why the process is not ready, or `None` when it is.
pub fn not_ready_because() -> Option<&'static str> {
    match LISTENER.load(Ordering::Acquire) {
        SHUTTING_DOWN => Some("shutting down"),
        NOT_SERVING => Some("the listener is not accepting yet"),
        _ if policy().is_none() => Some("no policy loaded"),
        _ => None,
    }
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |since| since.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_sha256_in_lowercase_hex() {
        // The SHA-256 test vector of FIPS 180-2 for "abc".
        assert_eq!(
            digest(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
