//! The demo's site areas: one per `[[scope]]` of the policy, reachable on one loopback address.
//!
//! A policy's scopes name real hosts (`www.fora.se`, …) that a visitor of `http://127.0.0.1:8080`
//! does not send. The demo maps a path prefix to each area instead: `/{scope id}/rest` is judged
//! and served as `https://{scope host}{scope path}/rest`. [`AreaRouting`] rewrites the request's
//! `Host` and path before the policy layer sees it, so the layer and the upstream see the request
//! the real site would get; everything outside the prefixes (the home page, `/echo`, …) passes
//! unchanged and belongs to no scope. This is demo-only: `cookie-warden proxy` never rewrites.

use std::sync::Arc;
use std::task::{Context, Poll};

use cookie_warden_core::policy::CompiledPolicy;
use http::uri::PathAndQuery;
use http::{HeaderValue, Request, Uri, header};

/// One site area of the demo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Area {
    /// The scope's id; also the demo's path prefix (`/{id}/`).
    pub(crate) id: String,
    /// The scope's title (English, else Swedish, else the id).
    pub(crate) title: String,
    /// The host the area is judged and served as.
    pub(crate) host: String,
    /// The scope's first path prefix, without a trailing `/` (empty for the root).
    pub(crate) base_path: String,
}

impl Area {
    /// The demo's path for this area: `/{id}/`.
    pub(crate) fn demo_path(&self) -> String {
        format!("/{}/", self.id)
    }
}

/// One area per scope, in the policy's order.
pub(crate) fn areas(policy: &CompiledPolicy) -> Vec<Area> {
    policy
        .source()
        .scopes
        .iter()
        .map(|scope| {
            let host = scope.hosts.first().map_or("localhost", String::as_str);
            let host = host
                .strip_prefix("*.")
                .map_or_else(|| host.to_owned(), |apex| format!("demo.{apex}"));
            let title = scope
                .title
                .as_ref()
                .and_then(|t| t.get("en").or_else(|| t.get("sv")).cloned());
            let base_path = scope
                .paths
                .first()
                .map_or("", |p| p.trim_end_matches('/'))
                .to_owned();
            Area {
                id: scope.id.clone(),
                title: title.unwrap_or_else(|| scope.id.clone()),
                host,
                base_path,
            }
        })
        .collect()
}

/// Rewrites `/{area}/rest` to the area's host and path; passes everything else unchanged.
#[derive(Debug, Clone)]
pub(crate) struct AreaRouting<S> {
    inner: S,
    areas: Arc<[Area]>,
}

impl<S> AreaRouting<S> {
    /// Routes to `inner` with the given areas.
    pub(crate) fn new(inner: S, areas: Arc<[Area]>) -> Self {
        Self { inner, areas }
    }
}

impl<S, B> tower::Service<Request<B>> for AreaRouting<S>
where
    S: tower::Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        if let Some((area, uri)) = route(&self.areas, request.uri())
            && let Ok(host) = HeaderValue::from_str(&area.host)
        {
            request.headers_mut().insert(header::HOST, host);
            *request.uri_mut() = uri;
        }
        self.inner.call(request)
    }
}

/// The area a demo path belongs to, and the origin-form URI it stands for.
fn route<'a>(areas: &'a [Area], uri: &Uri) -> Option<(&'a Area, Uri)> {
    let path = uri.path();
    let rest_of = |area: &Area| {
        let rest = path.strip_prefix('/')?.strip_prefix(area.id.as_str())?;
        (rest.is_empty() || rest.starts_with('/')).then_some(rest)
    };
    let (area, rest) = areas
        .iter()
        .find_map(|area| rest_of(area).map(|rest| (area, rest)))?;
    let rest = if rest.is_empty() { "/" } else { rest };
    let mut target = format!("{}{rest}", area.base_path);
    if let Some(query) = uri.query() {
        target.push('?');
        target.push_str(query);
    }
    let path_and_query = PathAndQuery::try_from(target).ok()?;
    Some((area, Uri::from(path_and_query)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Area> {
        vec![
            Area {
                id: "public".into(),
                title: "P".into(),
                host: "www.example.se".into(),
                base_path: String::new(),
            },
            Area {
                id: "login".into(),
                title: "L".into(),
                host: "login.example.se".into(),
                base_path: "/sign-in".into(),
            },
        ]
    }

    #[test]
    fn area_paths_map_to_the_scope_host_and_path() {
        let areas = sample();
        let (area, uri) = route(&areas, &"/login/x?y=1".parse().unwrap()).unwrap();
        assert_eq!(area.id, "login");
        assert_eq!(uri, "/sign-in/x?y=1");
        let (area, uri) = route(&areas, &"/public".parse().unwrap()).unwrap();
        assert_eq!((area.id.as_str(), uri.path()), ("public", "/"));
    }

    #[test]
    fn other_paths_pass_unchanged() {
        let areas = sample();
        assert!(route(&areas, &"/".parse().unwrap()).is_none());
        assert!(route(&areas, &"/publicity".parse().unwrap()).is_none());
        assert!(route(&areas, &"/echo".parse().unwrap()).is_none());
    }
}
