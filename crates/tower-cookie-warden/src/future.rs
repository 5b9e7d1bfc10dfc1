//! [`ResponseFuture`]: waits for the inner service, then enforces the policy on its response.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::Response;
use http_body::Body;
use pin_project_lite::pin_project;

use crate::ResponseBody;
use crate::response_cookies::Pending;

pin_project! {
    /// The response future of [`CookieWarden`](crate::CookieWarden).
    ///
    /// There is no early response: the request side only edits the request's `Cookie` headers,
    /// so every request reaches the inner service, and a block replaces the response it returns.
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        pending: Option<Pending>,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: F, pending: Pending) -> Self {
        Self {
            inner,
            pending: Some(pending),
        }
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Body,
{
    type Output = Result<Response<ResponseBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = ready!(this.inner.poll(cx))?;
        let pending = this
            .pending
            .take()
            .expect("a ResponseFuture is not polled again after it completed");
        Poll::Ready(Ok(pending.enforce(response)))
    }
}
