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

use std::borrow::Cow;
use std::ops::Range;

use cookie_warden_core::request::{ConsentCookie, RequestContext, RequestUrl};
use http::header::{FORWARDED, HOST};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri};

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

impl RequestFacts {
    /// Reads what the layer needs from `req`; `Sec-GPC` only when `read_gpc`.
    pub(crate) fn from_request<B>(req: &Request<B>, origin: Origin, read_gpc: bool) -> Self {
        let headers = req.headers();
        let uri = req.uri();

        let forwarded = if origin.trust_forwarded {
            first_forwarded_element(headers)
        } else {
            None
        };
        let forwarded_param = |name: &str| forwarded.as_ref().and_then(|(v, r)| forwarded_param(v, r, name));

        let host = if let Some((value, range)) = forwarded_param("host") {
            HostSource::Header(value, range)
        } else if let Some((value, range)) = origin
            .trust_forwarded
            .then(|| first_list_item(headers, &X_FORWARDED_HOST))
            .flatten()
        {
            HostSource::Header(value, range)
        } else if uri.authority().is_some() {
            HostSource::Uri
        } else if let Some(value) = headers.get(HOST) {
            HostSource::Header(value.clone(), 0..value.len())
        } else {
            HostSource::None
        };

        let forwarded_proto = forwarded_param("proto").or_else(|| {
            origin
                .trust_forwarded
                .then(|| first_list_item(headers, &X_FORWARDED_PROTO))
                .flatten()
        });
        let https_scheme = |s: &[u8]| s.eq_ignore_ascii_case(b"https") || s.eq_ignore_ascii_case(b"wss");
        let secure_scheme = match &forwarded_proto {
            Some((value, range)) => https_scheme(&value.as_bytes()[range.clone()]),
            None => uri.scheme_str().is_some_and(|s| https_scheme(s.as_bytes())),
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
            secure: origin.https || secure_scheme,
            gpc,
        };
        if !facts.secure {
            // Only a request not already known to be secure needs its host now.
            facts.resolve_host();
            facts.secure = is_loopback(&facts.host());
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
            self.normal_host = Some(normalize_host(self.raw_host()));
        }
    }

    /// The request's host: lowercase, without port and without a trailing dot; empty when the
    /// request names none (or names it in bytes that are not a host). Borrowed once
    /// [`RequestFacts::resolve_host`] has run; normalised anew (allocating on upper case) before.
    pub(crate) fn host(&self) -> Cow<'_, str> {
        let raw = self.raw_host();
        let normal = match &self.normal_host {
            Some(NormalHost::Lowered(host)) => return Cow::Borrowed(host),
            Some(NormalHost::Range(range)) => return Cow::Borrowed(ascii_str(&raw[range.clone()])),
            None => normalize_host(raw),
        };
        match normal {
            NormalHost::Range(range) => Cow::Borrowed(ascii_str(&raw[range])),
            NormalHost::Lowered(host) => Cow::Owned(host.into_string()),
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
    let text = authority.as_str();
    let host = text.rfind('@').map_or(text, |at| &text[at + 1..]);
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

/// Visible ASCII bytes as a `str` (what [`normalize_host`] leaves always is).
fn ascii_str(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// Lowercases, drops userinfo (`user@host`), the port and one trailing dot. Anything that is not
/// visible ASCII yields an empty host: it matches no scope, so the strictest rules apply.
///
/// One pass over the bytes finds the last `@`, the last `:` after it and any upper case.
fn normalize_host(raw: &[u8]) -> NormalHost {
    // The common case: a lowercase name with nothing to drop.
    if raw.last() != Some(&b'.') && raw.iter().all(|&b| PLAIN_HOST_BYTE[usize::from(b)]) {
        return NormalHost::Range(0..raw.len());
    }
    normalize_any_host(raw)
}

/// [`normalize_host`] for any bytes, without its fast path.
fn normalize_any_host(raw: &[u8]) -> NormalHost {
    let mut start = 0;
    let mut end = raw.len();
    while start < end && raw[start].is_ascii_whitespace() {
        start += 1;
    }
    while end > start && raw[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    let mut host_start = start;
    let mut colon = None;
    let mut upper = false;
    for (i, &b) in raw.iter().enumerate().take(end).skip(start) {
        match b {
            b'@' => {
                host_start = i + 1;
                colon = None;
                upper = false;
            }
            b':' => colon = Some(i),
            b'A'..=b'Z' => upper = true,
            b'!'..=b'~' => {}
            _ => return NormalHost::Range(0..0),
        }
    }
    let start = host_start;
    if raw.get(start) == Some(&b'[') {
        // An IPv6 literal keeps its brackets; a port may follow them.
        if let Some(close) = raw[start..end].iter().position(|&b| b == b']') {
            end = start + close + 1;
        }
    } else if let Some(colon) = colon
        && raw[colon + 1..end].iter().all(u8::is_ascii_digit)
    {
        end = colon;
    }
    if end > start && raw[end - 1] == b'.' {
        end -= 1;
    }
    if upper {
        NormalHost::Lowered(ascii_str(&raw[start..end]).to_ascii_lowercase().into_boxed_str())
    } else {
        NormalHost::Range(start..end)
    }
}

/// Visible ASCII that needs no normalising: not upper case, not `@`, `:`, `[` or `]`.
static PLAIN_HOST_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = b'!';
    while b <= b'~' {
        table[b as usize] = !matches!(b, b'A'..=b'Z' | b'@' | b':' | b'[' | b']');
        b += 1;
    }
    table
};

/// Browsers treat loopback origins as secure: `Secure` cookies set over plain http there stick.
fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The first comma-separated item of the first `name` header, trimmed.
fn first_list_item(headers: &HeaderMap, name: &HeaderName) -> Option<(HeaderValue, Range<usize>)> {
    let value = headers.get(name)?;
    let bytes = value.as_bytes();
    let end = bytes.iter().position(|&b| b == b',').unwrap_or(bytes.len());
    let range = trim_range(bytes, 0..end);
    (!range.is_empty()).then(|| (value.clone(), range))
}

/// The first element of the first `Forwarded` header (RFC 7239 §4): the hop nearest the client.
fn first_forwarded_element(headers: &HeaderMap) -> Option<(HeaderValue, Range<usize>)> {
    let value = headers.get(FORWARDED)?;
    let bytes = value.as_bytes();
    let mut quoted = false;
    let mut end = bytes.len();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                end = i;
                break;
            }
            _ => {}
        }
        i += 1;
    }
    Some((value.clone(), 0..end))
}

/// The value of parameter `name` in a `Forwarded` element, unquoted; `None` when absent or empty.
fn forwarded_param(
    value: &HeaderValue,
    element: &Range<usize>,
    name: &str,
) -> Option<(HeaderValue, Range<usize>)> {
    let bytes = value.as_bytes();
    let mut start = element.start;
    while start < element.end {
        // Each pair ends at a `;` outside quotes.
        let mut quoted = false;
        let mut end = start;
        while end < element.end {
            match bytes[end] {
                b'"' => quoted = !quoted,
                b';' if !quoted => break,
                _ => {}
            }
            end += 1;
        }
        let pair = trim_range(bytes, start..end);
        if let Some(eq) = bytes[pair.clone()].iter().position(|&b| b == b'=') {
            let key = &bytes[pair.start..pair.start + eq];
            if key.trim_ascii().eq_ignore_ascii_case(name.as_bytes()) {
                let mut val = trim_range(bytes, pair.start + eq + 1..pair.end);
                if val.len() >= 2 && bytes[val.start] == b'"' && bytes[val.end - 1] == b'"' {
                    val = val.start + 1..val.end - 1;
                }
                return (!val.is_empty()).then(|| (value.clone(), val));
            }
        }
        start = end + 1;
    }
    None
}

fn trim_range(bytes: &[u8], mut range: Range<usize>) -> Range<usize> {
    while range.start < range.end && bytes[range.start].is_ascii_whitespace() {
        range.start += 1;
    }
    while range.end > range.start && bytes[range.end - 1].is_ascii_whitespace() {
        range.end -= 1;
    }
    range
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

    /// The fast path for plain hosts gives what the full normalisation gives, on every host it
    /// takes: all short strings over a mix of plain and special bytes, and some real hosts.
    #[test]
    fn the_plain_host_fast_path_agrees_with_the_full_normalisation() {
        let alphabet = b"a.-0_~!:@[]A ";
        let mut hosts: Vec<Vec<u8>> = vec![Vec::new()];
        for length in 1..=4 {
            let mut index = vec![0usize; length];
            loop {
                hosts.push(index.iter().map(|&i| alphabet[i]).collect());
                let Some(digit) = index.iter().rposition(|&i| i + 1 < alphabet.len()) else {
                    break;
                };
                index[digit] += 1;
                index[digit + 1..].fill(0);
            }
        }
        hosts.extend(
            [
                "www.fora.se",
                "app.localhost",
                "127.0.0.1",
                "xn--fr-via.se",
                "a.b.c.d.e.f",
                "x!y",
            ]
            .map(|host| host.as_bytes().to_vec()),
        );
        let mut fast = 0;
        for raw in &hosts {
            let text = |host: &NormalHost| match host {
                NormalHost::Range(range) => String::from_utf8(raw[range.clone()].to_vec()).unwrap(),
                NormalHost::Lowered(host) => host.to_string(),
            };
            let quick = normalize_host(raw);
            let full = normalize_any_host(raw);
            assert_eq!(text(&quick), text(&full), "{:?}", String::from_utf8_lossy(raw));
            if raw.last() != Some(&b'.') && raw.iter().all(|&b| PLAIN_HOST_BYTE[usize::from(b)]) {
                fast += 1;
            }
        }
        assert!(fast > 1000, "the fast path was taken only {fast} times");
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
