//! What the layer reads from a request: host, path, scheme, method, `Sec-GPC`.
//!
//! The request is handed to the inner service, so the facts the response side needs are kept in a
//! [`RequestFacts`] made of cheap clones (`Method`, `Uri` and `HeaderValue` share their bytes)
//! rather than new strings; the host is normalised when it is read.
//!
//! # Which host
//!
//! The request is for the host its target names: the URI's authority when it has one (HTTP/1.1
//! absolute-form `GET http://app.test/x`, HTTP/2 `:authority`), else the `Host` header. RFC 9112
//! §3.2.2 says a server MUST ignore a received `Host` when the target is absolute-form, and RFC
//! 9113 §8.3.1 makes an HTTP/2 `host` that differs from `:authority` malformed. So that the
//! service behind the layer cannot serve another host than the one judged, whatever it reads,
//! [`align_host_header`] replaces a `Host` header that names another host than the authority
//! with the authority's. Forwarding headers count only when trusted; they then win over both.
//!
//! The host is read by the core's normaliser ([`origin`], whose docs hold its contract), the one
//! `eval` and the proxy use too; the forwarding headers by the core's [`forwarded`] parser.

use std::borrow::Cow;
use std::ops::Range;

use cookie_warden_core::forwarded;
use cookie_warden_core::origin::{self, HostSpan};
use cookie_warden_core::request::{ConsentCookie, RequestContext, RequestUrl};
use http::header::{FORWARDED, HOST};
use http::{HeaderName, HeaderValue, Method, Request, Uri};

/// `X-Forwarded-Host`, not among `http`'s constants.
static X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
/// `X-Forwarded-Proto`, not among `http`'s constants.
static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
/// `Sec-GPC`: Global Privacy Control.
static SEC_GPC: HeaderName = HeaderName::from_static("sec-gpc");

/// How the layer learns the request's origin.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Origin {
    /// Read `Forwarded`, `X-Forwarded-Host` and `X-Forwarded-Proto`.
    pub(crate) trust_forwarded: bool,
    /// The service is reached over https whatever the request says.
    pub(crate) https: bool,
}

/// Where the request's host comes from.
#[derive(Debug, Clone)]
enum HostSource {
    /// The URI's authority (absolute-form requests, HTTP/2 `:authority`).
    Uri,
    /// A header value, or the part of it in the range (a `Forwarded` parameter).
    Header(HeaderValue, Range<usize>),
    /// Nothing names the host.
    None,
}

/// The facts about one request that decisions and events depend on.
#[derive(Debug, Clone)]
pub(crate) struct RequestFacts {
    method: Method,
    uri: Uri,
    host: HostSource,
    /// The normalised host, once [`RequestFacts::resolve_host`] has run: it is needed only when
    /// something is judged, so a response without cookies never pays for it.
    normal_host: Option<NormalHost>,
    /// The origin is one a browser accepts `Secure` cookies from.
    pub(crate) secure: bool,
    /// The request carried `Sec-GPC: 1` (read only when the policy has `[consent]`, the only
    /// place it matters).
    pub(crate) gpc: bool,
}

/// A normalised host: a range of the raw host's bytes, or (rarely) a lowercased copy of them.
#[derive(Debug, Clone)]
enum NormalHost {
    /// The part of the raw host that is the host (already lowercase).
    Range(Range<usize>),
    /// The host lowercased, when the request wrote it with upper case.
    Lowered(Box<str>),
}

impl NormalHost {
    /// The host of `raw`, as the core's normaliser reads it.
    fn of(raw: &[u8]) -> Self {
        let span: HostSpan = origin::locate_host(raw);
        if span.needs_lowercase() {
            NormalHost::Lowered(span.host(raw).into_owned().into_boxed_str())
        } else {
            NormalHost::Range(span.range())
        }
    }
}

impl RequestFacts {
    /// Reads what the layer needs from `req`; `Sec-GPC` only when `read_gpc`.
    pub(crate) fn from_request<B>(req: &Request<B>, config: Origin, read_gpc: bool) -> Self {
        let headers = req.headers();
        let uri = req.uri();

        let forwarded = if config.trust_forwarded {
            headers
                .get(FORWARDED)
                .map(|value| (value, forwarded::first_element(value.as_bytes())))
        } else {
            None
        };
        let forwarded_param = |name: &str| {
            let (value, hop) = forwarded.as_ref()?;
            forwarded::param(value.as_bytes(), hop.clone(), name).map(|range| ((*value).clone(), range))
        };
        let first_item = |name: &HeaderName| {
            // The flag before the lookup: an untrusted header is not even looked up.
            if !config.trust_forwarded {
                return None;
            }
            let value = headers.get(name)?;
            forwarded::first_list_item(value.as_bytes()).map(|range| (value.clone(), range))
        };

        let host = if let Some((value, range)) = forwarded_param("host") {
            HostSource::Header(value, range)
        } else if let Some((value, range)) = first_item(&X_FORWARDED_HOST) {
            HostSource::Header(value, range)
        } else if uri.authority().is_some() {
            HostSource::Uri
        } else if let Some(value) = headers.get(HOST) {
            HostSource::Header(value.clone(), 0..value.len())
        } else {
            HostSource::None
        };

        let forwarded_proto = forwarded_param("proto").or_else(|| first_item(&X_FORWARDED_PROTO));
        let secure_scheme = match &forwarded_proto {
            Some((value, range)) => origin::is_secure_scheme(&value.as_bytes()[range.clone()]),
            None => uri
                .scheme_str()
                .is_some_and(|s| origin::is_secure_scheme(s.as_bytes())),
        };

        let gpc = read_gpc
            && headers
                .get_all(&SEC_GPC)
                .iter()
                .any(|v| v.as_bytes().trim_ascii() == b"1");

        let mut facts = Self {
            method: req.method().clone(),
            uri: uri.clone(),
            host,
            normal_host: None,
            secure: config.https || secure_scheme,
            gpc,
        };
        if !facts.secure {
            // Only a request not already known to be secure needs its host now.
            facts.resolve_host();
            facts.secure = origin::is_loopback(&facts.host());
        }
        facts
    }

    /// The host as the request wrote it, before normalisation.
    fn raw_host(&self) -> &[u8] {
        match &self.host {
            HostSource::Uri => self.uri.authority().map_or(&[][..], |a| a.as_str().as_bytes()),
            HostSource::Header(value, range) => &value.as_bytes()[range.clone()],
            HostSource::None => &[],
        }
    }

    /// Normalises the host once, so that [`RequestFacts::host`] is a lookup from then on.
    pub(crate) fn resolve_host(&mut self) {
        if self.normal_host.is_none() {
            self.normal_host = Some(NormalHost::of(self.raw_host()));
        }
    }

    /// The request's host: lowercase, without port and without a trailing dot; empty when the
    /// request names none (or names it in bytes that are not a host). Borrowed once
    /// [`RequestFacts::resolve_host`] has run; normalised anew (allocating on upper case) before.
    pub(crate) fn host(&self) -> Cow<'_, str> {
        let raw = self.raw_host();
        match &self.normal_host {
            Some(NormalHost::Lowered(host)) => Cow::Borrowed(host),
            Some(NormalHost::Range(range)) => Cow::Borrowed(ascii_str(&raw[range.clone()])),
            None => origin::normalize_host(raw),
        }
    }

    /// The request's path, without query; `/` when the request target has none (`OPTIONS *`).
    pub(crate) fn path(&self) -> &str {
        let path = self.uri.path();
        if path.starts_with('/') { path } else { "/" }
    }

    /// The request's method.
    pub(crate) fn method(&self) -> &str {
        self.method.as_str()
    }

    /// The core's view of the request; `host` is [`RequestFacts::host`].
    pub(crate) fn context<'a>(
        &'a self,
        host: &'a str,
        consent_cookie: Option<&'a [u8]>,
    ) -> RequestContext<'a> {
        RequestContext {
            url: RequestUrl {
                secure: self.secure,
                host,
                path: self.path(),
            },
            method: self.method(),
            gpc: self.gpc,
            consent_cookie: consent_cookie.map(ConsentCookie),
        }
    }
}

/// Replaces the `Host` header of a request whose URI has an authority with that authority (without
/// userinfo) when it names another host, so that the service behind the layer sees the host that
/// was judged (see the module docs). A request without an authority, or whose `Host` already
/// agrees (compared case-insensitively), is left alone: one check on the common path.
pub(crate) fn align_host_header<B>(req: &mut Request<B>) {
    let Some(authority) = req.uri().authority() else {
        return;
    };
    let host = origin::strip_userinfo(authority.as_str());
    let agrees = {
        let mut values = req.headers().get_all(HOST).iter();
        match (values.next(), values.next()) {
            (None, _) => true,
            (Some(value), None) => value.as_bytes().eq_ignore_ascii_case(host.as_bytes()),
            (Some(_), Some(_)) => false,
        }
    };
    if agrees {
        return;
    }
    match HeaderValue::from_str(host) {
        Ok(value) => {
            req.headers_mut().insert(HOST, value);
        }
        Err(_) => {
            req.headers_mut().remove(HOST);
        }
    }
}

/// Visible ASCII bytes as a `str` (what the core's normaliser leaves always is).
fn ascii_str(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(
        origin: Origin,
        build: impl FnOnce(http::request::Builder) -> http::request::Builder,
    ) -> RequestFacts {
        let req = build(Request::builder()).body(()).unwrap();
        RequestFacts::from_request(&req, origin, true)
    }

    const TRUST: Origin = Origin {
        trust_forwarded: true,
        https: false,
    };
    const PLAIN: Origin = Origin {
        trust_forwarded: false,
        https: false,
    };

    #[test]
    fn host_comes_from_the_authority_before_the_host_header() {
        let f = facts(PLAIN, |b| {
            b.uri("https://WWW.Fora.SE:8443/a/b?q=1")
                .header("host", "other.example")
        });
        assert_eq!(f.host(), "www.fora.se");
        assert_eq!(f.path(), "/a/b");
        assert!(f.secure);
    }

    #[test]
    fn a_host_header_that_contradicts_the_authority_is_replaced_by_it() {
        let aligned = |uri: &str, hosts: &[&str]| {
            let mut builder = Request::builder().uri(uri);
            for host in hosts {
                builder = builder.header("host", *host);
            }
            let mut req = builder.body(()).unwrap();
            align_host_header(&mut req);
            let facts = RequestFacts::from_request(&req, PLAIN, false);
            let hosts: Vec<String> = req
                .headers()
                .get_all(HOST)
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .collect();
            (hosts, facts.host().into_owned())
        };
        assert_eq!(
            aligned("http://app.test/x", &["other.test"]),
            (vec!["app.test".to_owned()], "app.test".to_owned())
        );
        assert_eq!(
            aligned("http://u@App.Test:81/x", &["app.test", "other.test"]),
            (vec!["App.Test:81".to_owned()], "app.test".to_owned())
        );
        assert_eq!(
            aligned("http://APP.test/x", &["app.TEST"]),
            (vec!["app.TEST".to_owned()], "app.test".to_owned()),
            "an agreeing Host stays as sent"
        );
        assert_eq!(aligned("http://app.test/x", &[]), (vec![], "app.test".to_owned()));
        assert_eq!(
            aligned("/x", &["other.test"]),
            (vec!["other.test".to_owned()], "other.test".to_owned()),
            "origin-form: Host names the host"
        );
    }

    #[test]
    fn host_header_is_lowercased_and_loses_its_port_and_trailing_dot() {
        let f = facts(PLAIN, |b| b.uri("/x").header("host", "Fora.SE.:8080"));
        assert_eq!(f.host(), "fora.se");
        assert!(!f.secure, "plain http to a public host is not secure");
    }

    #[test]
    fn ipv6_literals_keep_their_brackets() {
        let f = facts(PLAIN, |b| b.uri("/").header("host", "[::1]:3000"));
        assert_eq!(f.host(), "[::1]");
        assert!(f.secure, "loopback counts as a secure origin, as in browsers");
    }

    #[test]
    fn loopback_hosts_are_secure_origins() {
        for host in ["localhost:80", "app.localhost", "127.0.0.1:9", "127.1.2.3"] {
            assert!(facts(PLAIN, |b| b.uri("/").header("host", host)).secure, "{host}");
        }
        assert!(!facts(PLAIN, |b| b.uri("/").header("host", "localhost.example")).secure);
    }

    #[test]
    fn forwarded_headers_are_ignored_unless_trusted() {
        let build = |b: http::request::Builder| {
            b.uri("/p")
                .header("host", "internal:8080")
                .header("x-forwarded-host", "www.fora.se")
                .header("x-forwarded-proto", "https")
        };
        let untrusted = facts(PLAIN, build);
        assert_eq!(untrusted.host(), "internal");
        assert!(!untrusted.secure);
        let trusted = facts(TRUST, build);
        assert_eq!(trusted.host(), "www.fora.se");
        assert!(trusted.secure);
    }

    #[test]
    fn x_forwarded_values_use_the_first_hop() {
        let f = facts(TRUST, |b| {
            b.uri("/")
                .header("x-forwarded-host", " A.example , b.example")
                .header("x-forwarded-proto", "http, https")
        });
        assert_eq!(f.host(), "a.example");
        assert!(!f.secure);
    }

    #[test]
    fn forwarded_wins_over_x_forwarded_and_is_unquoted() {
        let f = facts(TRUST, |b| {
            b.uri("/")
                .header("forwarded", r#"for="[2001:db8::1]:4711";Proto=HTTPS;host="Fora.se:443", for=10.0.0.1;host=evil.example"#)
                .header("x-forwarded-host", "x.example")
        });
        assert_eq!(f.host(), "fora.se");
        assert!(f.secure);
    }

    #[test]
    fn forwarded_without_host_falls_back() {
        let f = facts(TRUST, |b| {
            b.uri("/")
                .header("host", "h.example")
                .header("forwarded", "for=1.2.3.4;proto=https")
        });
        assert_eq!(f.host(), "h.example");
        assert!(f.secure);
    }

    #[test]
    fn served_over_https_overrides_the_scheme() {
        let f = facts(
            Origin {
                trust_forwarded: false,
                https: true,
            },
            |b| b.uri("/").header("host", "fora.se"),
        );
        assert!(f.secure);
    }

    #[test]
    fn the_host_is_normalised_once_and_read_the_same_before_and_after() {
        for (raw, host) in [
            ("WWW.Fora.SE.:8443", "www.fora.se"),
            ("user@fora.se:80", "fora.se"),
            ("[::1]:3000", "[::1]"),
            (" fora.se ", "fora.se"),
            ("fora.se:https", "fora.se:https"),
            ("Us:Er@fora.se", "fora.se"),
            ("us@fora.se:HTTP", "fora.se:http"),
            ("[::FFFF]:1", "[::ffff]"),
            ("fora.se.", "fora.se"),
            ("a:b@[::1]", "[::1]"),
            ("", ""),
        ] {
            let https = Origin {
                trust_forwarded: false,
                https: true,
            };
            let mut f = facts(https, |b| b.uri("/").header("host", raw));
            assert!(f.normal_host.is_none(), "{raw}: not needed yet");
            assert_eq!(f.host(), host, "{raw}");
            f.resolve_host();
            assert!(matches!(f.host(), Cow::Borrowed(_)), "{raw}");
            assert_eq!(f.host(), host, "{raw}");
        }
    }

    #[test]
    fn garbage_hosts_are_empty() {
        assert_eq!(facts(PLAIN, |b| b.uri("/").header("host", "a b")).host(), "");
        assert_eq!(facts(PLAIN, |b| b.uri("/")).host(), "");
    }

    #[test]
    fn sec_gpc_is_read() {
        assert!(facts(PLAIN, |b| b.uri("/").header("sec-gpc", "1")).gpc);
        assert!(!facts(PLAIN, |b| b.uri("/").header("sec-gpc", "0")).gpc);
        assert!(!facts(PLAIN, |b| b.uri("/")).gpc);
    }
}
