//! [`CookieWardenLayer`]: the layer and its options.

use std::fmt;
use std::sync::Arc;

use tower_layer::Layer;

use crate::context::Origin;
use cookie_warden_core::decision::Decision;

use crate::events::{DecisionHook, Hook, ViolationReport};
use crate::{CookieWarden, PolicyHandle};

/// Everything a [`CookieWarden`] service shares with its clones and its layer: one `Arc`.
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) policy: PolicyHandle,
    pub(crate) origin: Origin,
    pub(crate) on_violation: Option<Hook>,
    pub(crate) on_decision: Option<DecisionHook>,
}

impl Shared {
    pub(crate) fn new(policy: PolicyHandle) -> Self {
        Self {
            policy,
            origin: Origin::default(),
            on_violation: None,
            on_decision: None,
        }
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("policy", &self.policy)
            .field("trust_forwarded_headers", &self.origin.trust_forwarded)
            .field("served_over_https", &self.origin.https)
            .field(
                "on_violation",
                &self.on_violation.as_ref().map(|_| "Fn(&ViolationReport)"),
            )
            .finish()
    }
}

/// Enforces a cookie policy on the services it wraps; see the [crate docs](crate).
///
/// Cheap to clone: its configuration lives behind one `Arc`.
#[derive(Clone, Debug)]
pub struct CookieWardenLayer {
    shared: Arc<Shared>,
}

impl CookieWardenLayer {
    /// A layer enforcing the policy behind `policy` (a [`PolicyHandle`], or a
    /// [`CompiledPolicy`](cookie_warden_core::policy::CompiledPolicy) that becomes one).
    ///
    /// By default forwarding headers are not trusted and the scheme comes from the request URI.
    pub fn new(policy: impl Into<PolicyHandle>) -> Self {
        Self {
            shared: Arc::new(Shared::new(policy.into())),
        }
    }

    /// Read the request's host and scheme from `Forwarded` (RFC 7239: `host=`, `proto=` of the
    /// first element) and `X-Forwarded-Host` / `X-Forwarded-Proto` (first value), in that order.
    ///
    /// Turn this on only behind a proxy that sets (or removes) those headers on every request:
    /// otherwise a client chooses the host and scheme its cookies are judged against.
    #[must_use]
    pub fn trust_forwarded_headers(mut self, trust: bool) -> Self {
        Arc::make_mut(&mut self.shared).origin.trust_forwarded = trust;
        self
    }

    /// Judge every request as one made over https (a TLS terminator in front of the service).
    ///
    /// Without it, a request is secure when its URI (or a trusted forwarding header) says `https`,
    /// or when its host is a loopback one (`localhost`, `127.0.0.1`, `[::1]`), which browsers treat
    /// as secure. Over plain http a browser ignores `Secure` cookies, so the policy strips them as
    /// malformed.
    #[must_use]
    pub fn served_over_https(mut self, https: bool) -> Self {
        Arc::make_mut(&mut self.shared).origin.https = https;
        self
    }

    /// Calls `hook` once for each violating cookie, after its event is emitted and before the
    /// response leaves. The report holds no cookie value (see [`ViolationReport`]).
    ///
    /// The hook runs on the request's task: keep it short (count, or send to a channel).
    #[must_use]
    pub fn on_violation<F>(mut self, hook: F) -> Self
    where
        F: Fn(&ViolationReport<'_>) + Send + Sync + 'static,
    {
        Arc::make_mut(&mut self.shared).on_violation = Some(Arc::new(hook));
        self
    }

    /// Calls `hook` with the decision on every `Set-Cookie` header the layer judges, allowed ones
    /// included, in order (report-only mode too: see [`Decision::enforced`]). For counting
    /// verdicts; violations are better observed through [`on_violation`](Self::on_violation),
    /// which also sees request cookies and headers that could not be judged.
    ///
    /// [`Decision::rewritten`] holds the header that leaves, cookie value included: a hook must
    /// not log or export it.
    #[must_use]
    pub fn on_decision<F>(mut self, hook: F) -> Self
    where
        F: Fn(&Decision<'_, '_>) + Send + Sync + 'static,
    {
        Arc::make_mut(&mut self.shared).on_decision = Some(Arc::new(hook));
        self
    }

    /// The handle of the policy this layer enforces; storing a new policy in it swaps the policy
    /// of every service made by this layer.
    pub fn policy(&self) -> &PolicyHandle {
        &self.shared.policy
    }
}

impl<S> Layer<S> for CookieWardenLayer {
    type Service = CookieWarden<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CookieWarden::from_shared(inner, Arc::clone(&self.shared))
    }
}
