//! [`CookieWarden`]: the service.

use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use http_body::Body;
use tower_service::Service;

use crate::context::{self, RequestFacts};
use crate::layer::Shared;
use crate::response_cookies::Pending;
use crate::{CookieWardenLayer, PolicyHandle, ResponseBody, ResponseFuture, request_cookies};

/// Enforces a cookie policy on the responses of the service it wraps, and on the `Cookie` headers
/// of the requests it passes on; see the [crate docs](crate).
///
/// Cheap to clone when `S` is: the configuration lives behind one `Arc`.
#[derive(Clone, Debug)]
pub struct CookieWarden<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> CookieWarden<S> {
    /// Wraps `inner` with the default options (see [`CookieWardenLayer`] for the others).
    pub fn new(inner: S, policy: impl Into<PolicyHandle>) -> Self {
        Self::from_shared(inner, Arc::new(Shared::new(policy.into())))
    }

    pub(crate) fn from_shared(inner: S, shared: Arc<Shared>) -> Self {
        Self { inner, shared }
    }

    /// A [`CookieWardenLayer`] enforcing `policy`: the same as [`CookieWardenLayer::new`].
    pub fn layer(policy: impl Into<PolicyHandle>) -> CookieWardenLayer {
        CookieWardenLayer::new(policy)
    }

    /// The handle of the policy this service enforces.
    pub fn policy(&self) -> &PolicyHandle {
        &self.shared.policy
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Consumes `self`, returning the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for CookieWarden<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Body,
    ResBody::Data: From<&'static [u8]>,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        // One snapshot of the policy serves the whole exchange, however often it is swapped.
        let policy = self.shared.policy.load();
        // `Sec-GPC` only matters to a policy with `[consent]`.
        let read_gpc = policy.consent().is_some();
        context::align_host_header(&mut req);
        let mut facts = RequestFacts::from_request(&req, self.shared.origin, read_gpc);
        let request_side = request_cookies::apply(&policy, &mut facts, &self.shared, req.headers_mut());
        let pending = Pending::new(policy, facts, request_side, Arc::clone(&self.shared));
        ResponseFuture::new(self.inner.call(req), pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use cookie_warden_core::policy::load;

    #[test]
    fn the_inner_service_is_reachable_and_the_policy_shared() {
        let policy = load::from_toml_str("t.toml", "version = 1").unwrap().policy;
        let layer = CookieWarden::<()>::layer(policy);
        let mut service = tower_layer::Layer::layer(&layer, 7_u8);
        assert_eq!(*service.get_ref(), 7);
        *service.get_mut() = 8;
        let clone = service.clone();
        assert!(Arc::ptr_eq(&service.policy().load(), &layer.policy().load()));
        layer
            .policy()
            .store(load::from_toml_str("t2.toml", "version = 1").unwrap().policy);
        assert!(
            Arc::ptr_eq(&clone.policy().load(), &layer.policy().load()),
            "one handle for all"
        );
        assert_eq!(service.into_inner(), 8);
    }
}
