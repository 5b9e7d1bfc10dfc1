//! The public cookie declaration, served by the proxy itself at the policy's
//! `[declaration] path` (e.g. `/cookies`), rendered from the live policy, so that the page and
//! the behaviour cannot drift apart, a reload included.
//!
//! [`DeclarationPage`] answers `GET`/`HEAD` of exactly that path and passes every other request to
//! the service it wraps. The language is `?lang=sv|en`, else the first of `sv`/`en` in
//! `Accept-Language`, else English.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use cookie_warden_core::declaration::{Lang, render_html};
use http::{HeaderValue, Method, Request, Response, header};
use http_body_util::{Either, Full};
use pin_project_lite::pin_project;
use tower_cookie_warden::PolicyHandle;

/// Serves the declaration page in front of `inner`.
#[derive(Debug, Clone)]
pub struct DeclarationPage<S> {
    inner: S,
    policy: PolicyHandle,
}

impl<S> DeclarationPage<S> {
    /// Serves the declaration of the policy behind `policy` in front of `inner`.
    pub fn new(inner: S, policy: PolicyHandle) -> Self {
        Self { inner, policy }
    }
}

impl<S, B, RB> tower::Service<Request<B>> for DeclarationPage<S>
where
    S: tower::Service<Request<B>, Response = Response<RB>>,
{
    type Response = Response<Either<RB, Full<Bytes>>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        if let Some(page) = self.page(&request) {
            return ResponseFuture {
                kind: Kind::Page { response: Some(page) },
            };
        }
        ResponseFuture {
            kind: Kind::Inner {
                future: self.inner.call(request),
            },
        }
    }
}

impl<S> DeclarationPage<S> {
    /// The page, when the request asks for it.
    fn page<B>(&self, request: &Request<B>) -> Option<Response<Full<Bytes>>> {
        if !matches!(*request.method(), Method::GET | Method::HEAD) {
            return None;
        }
        let policy = self.policy.load();
        let path = policy.source().declaration.as_ref()?.path.as_deref()?;
        if request.uri().path() != path {
            return None;
        }
        let lang = language(request);
        let html = render_html(&policy, lang);
        let mut response = Response::new(Full::new(Bytes::from(html)));
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.as_str()));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(header::VARY, HeaderValue::from_static("accept-language"));
        Some(response)
    }
}

/// `?lang=`, else `Accept-Language` (the first of `sv`/`en`, in the client's order), else English.
fn language<B>(request: &Request<B>) -> Lang {
    let from_query = request.uri().query().and_then(|query| {
        query.split('&').find_map(|pair| match pair.split_once('=') {
            Some(("lang", value)) => parse_lang(value),
            _ => None,
        })
    });
    let from_header = || {
        request
            .headers()
            .get_all(header::ACCEPT_LANGUAGE)
            .iter()
            .find_map(|value| {
                value.to_str().ok()?.split(',').find_map(|item| {
                    let tag = item.split(';').next()?.trim();
                    parse_lang(tag.split('-').next()?)
                })
            })
    };
    from_query.or_else(from_header).unwrap_or(Lang::En)
}

fn parse_lang(code: &str) -> Option<Lang> {
    Lang::ALL
        .into_iter()
        .find(|lang| lang.as_str().eq_ignore_ascii_case(code))
}

pin_project! {
    /// The response future of [`DeclarationPage`].
    pub struct ResponseFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F> {
        Inner { #[pin] future: F },
        Page { response: Option<Response<Full<Bytes>>> },
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, RB, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<RB>, E>>,
{
    type Output = Result<Response<Either<RB, Full<Bytes>>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Inner { future } => future.poll(cx).map(|result| result.map(|r| r.map(Either::Left))),
            KindProj::Page { response } => {
                let response = response
                    .take()
                    .expect("a ResponseFuture is not polled after it completed");
                Poll::Ready(Ok(response.map(Either::Right)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(uri: &str, accept: Option<&str>) -> Request<()> {
        let mut builder = Request::get(uri);
        if let Some(accept) = accept {
            builder = builder.header(header::ACCEPT_LANGUAGE, accept);
        }
        builder.body(()).unwrap()
    }

    #[test]
    fn the_language_comes_from_the_query_then_the_header() {
        assert_eq!(language(&request("/cookies?lang=sv", Some("en"))), Lang::Sv);
        assert_eq!(
            language(&request("/cookies", Some("de-DE, sv-SE;q=0.8, en;q=0.5"))),
            Lang::Sv
        );
        assert_eq!(language(&request("/cookies", Some("fr"))), Lang::En);
        assert_eq!(language(&request("/cookies?lang=xx", None)), Lang::En);
    }
}
