//! The live policy handle: the policy a layer enforces, swappable at run time.

use std::fmt;
use std::sync::Arc;

use arc_swap::ArcSwap;
use cookie_warden_core::policy::CompiledPolicy;

/// A shared, atomically swappable [`CompiledPolicy`].
///
/// Cloning a handle is cheap (one reference count); every clone sees the same policy. A layer
/// reads its policy through a handle, so a hot reload is one [`PolicyHandle::store`]: each request
/// takes one snapshot when it arrives and uses it until its response has been judged, so a reload
/// never half-applies a request, and requests already in flight finish under the policy they
/// started with.
///
/// ```
/// use cookie_warden_core::policy::load;
/// use tower_cookie_warden::PolicyHandle;
///
/// let v1 = load::from_toml_str("v1.toml", "version = 1").unwrap().policy;
/// let handle = PolicyHandle::new(v1);
/// let before = handle.load();
///
/// let v2 = load::from_toml_str("v2.toml", "version = 1\n[enforcement]\nmode = \"report-only\"").unwrap().policy;
/// handle.store(v2);
/// assert!(!std::sync::Arc::ptr_eq(&before, &handle.load()));
/// ```
#[derive(Clone)]
pub struct PolicyHandle {
    current: Arc<ArcSwap<CompiledPolicy>>,
}

impl PolicyHandle {
    /// A handle holding `policy`.
    pub fn new(policy: CompiledPolicy) -> Self {
        Self {
            current: Arc::new(ArcSwap::from_pointee(policy)),
        }
    }

    /// A snapshot of the current policy. It stays valid (and unchanged) however often the handle
    /// is swapped afterwards.
    pub fn load(&self) -> Arc<CompiledPolicy> {
        self.current.load_full()
    }

    /// Replaces the policy for every request that arrives from now on; returns the previous one.
    pub fn store(&self, policy: CompiledPolicy) -> Arc<CompiledPolicy> {
        self.current.swap(Arc::new(policy))
    }
}

impl From<CompiledPolicy> for PolicyHandle {
    fn from(policy: CompiledPolicy) -> Self {
        Self::new(policy)
    }
}

impl fmt::Debug for PolicyHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PolicyHandle").finish_non_exhaustive()
    }
}
