//! Header hygiene between client and upstream: hop-by-hop headers (RFC 9110 §7.6.1) never cross
//! the proxy, and the upstream learns who asked through `X-Forwarded-*` or `Forwarded` (RFC 7239).

use std::net::{IpAddr, SocketAddr};

use clap::ValueEnum;
use http::Version;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};

/// Headers that describe one connection, not the message, and so never cross the proxy.
const HOP_BY_HOP: [&str; 10] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "http2-settings",
];

/// Removes the hop-by-hop headers, and every header that a `Connection` header names.
pub(crate) fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Names listed in `Connection` are hop-by-hop too. Collect them before `Connection` goes; the
    // list is almost always empty or a single token, so this rarely allocates.
    let mut named: Vec<HeaderName> = Vec::new();
    for value in headers.get_all(header::CONNECTION) {
        for token in tokens(value) {
            if let Ok(name) = HeaderName::from_bytes(token) {
                named.push(name);
            }
        }
    }
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

/// Appends this hop to `Via` (RFC 9110 §7.6.3: a gateway sends it on each request it forwards),
/// with the protocol version the request arrived in.
pub(crate) fn append_via(headers: &mut HeaderMap, version: Version) {
    let hop = match version {
        Version::HTTP_09 => "0.9 cookie-warden",
        Version::HTTP_10 => "1.0 cookie-warden",
        Version::HTTP_2 => "2 cookie-warden",
        Version::HTTP_3 => "3 cookie-warden",
        _ => "1.1 cookie-warden",
    };
    headers.append(header::VIA, HeaderValue::from_static(hop));
}

/// Joins several `Cookie` fields into one, separated by `; ` (RFC 9113 §8.2.3): HTTP/2 clients may
/// split the header, but an HTTP/1.1 request carries one (RFC 6265 §5.4).
pub(crate) fn join_cookie_headers(headers: &mut HeaderMap) {
    let mut values = headers.get_all(header::COOKIE).iter();
    if values.next().is_none() || values.next().is_none() {
        return;
    }
    let mut joined: Vec<u8> = Vec::new();
    for value in headers.get_all(header::COOKIE) {
        if !joined.is_empty() {
            joined.extend_from_slice(b"; ");
        }
        joined.extend_from_slice(value.as_bytes());
    }
    match HeaderValue::from_bytes(&joined) {
        Ok(value) => {
            headers.insert(header::COOKIE, value);
        }
        Err(_) => {
            headers.remove(header::COOKIE);
        }
    }
}

/// Whether a comma-separated header such as `Connection` holds `token` (case-insensitive).
pub(crate) fn has_token(headers: &HeaderMap, name: HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .any(|value| tokens(value).any(|t| t.eq_ignore_ascii_case(token.as_bytes())))
}

/// The comma-separated tokens of a header value, trimmed, empty ones skipped.
fn tokens(value: &HeaderValue) -> impl Iterator<Item = &[u8]> {
    value
        .as_bytes()
        .split(|&b| b == b',')
        .map(<[u8]>::trim_ascii)
        .filter(|t| !t.is_empty())
}

/// How the upstream is told about the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ForwardedStyle {
    /// `X-Forwarded-For` (appended to), `X-Forwarded-Proto`, `X-Forwarded-Host`.
    XForwarded,
    /// One RFC 7239 `Forwarded` element (`for=…;proto=…;host=…`) appended.
    Forwarded,
    /// Neither: the upstream learns nothing about the client.
    None,
}

/// What the proxy knows about the client connection a request came on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClientInfo {
    /// The client's address.
    pub(crate) peer: SocketAddr,
    /// The request arrived over TLS.
    pub(crate) tls: bool,
}

impl ForwardedStyle {
    /// Adds the forwarding headers for one request. `host` is the `Host` the client sent; with
    /// `trust_incoming`, an `X-Forwarded-Proto`/`-Host` set by a proxy in front is kept.
    pub(crate) fn apply(
        self,
        headers: &mut HeaderMap,
        client: ClientInfo,
        host: Option<&HeaderValue>,
        trust_incoming: bool,
    ) {
        let proto = if client.tls { "https" } else { "http" };
        match self {
            ForwardedStyle::None => {}
            ForwardedStyle::XForwarded => {
                let ip = client.peer.ip().to_string();
                let forwarded_for = match joined(headers, "x-forwarded-for") {
                    Some(previous) => format!("{previous}, {ip}"),
                    None => ip,
                };
                replace(headers, "x-forwarded-for", &forwarded_for);
                if !(trust_incoming && headers.contains_key("x-forwarded-proto")) {
                    headers.insert("x-forwarded-proto", HeaderValue::from_static(proto));
                }
                if !(trust_incoming && headers.contains_key("x-forwarded-host")) {
                    match host {
                        Some(host) => {
                            headers.insert("x-forwarded-host", host.clone());
                        }
                        None => {
                            headers.remove("x-forwarded-host");
                        }
                    }
                }
            }
            ForwardedStyle::Forwarded => {
                let mut element = match client.peer.ip() {
                    IpAddr::V4(ip) => format!("for={ip}"),
                    IpAddr::V6(ip) => format!("for=\"[{ip}]\""),
                };
                element.push_str(";proto=");
                element.push_str(proto);
                if let Some(host) = host
                    .and_then(|h| h.to_str().ok())
                    .filter(|h| !h.contains(['"', '\\']))
                {
                    element.push_str(";host=\"");
                    element.push_str(host);
                    element.push('"');
                }
                let value = match joined(headers, "forwarded") {
                    Some(previous) => format!("{previous}, {element}"),
                    None => element,
                };
                replace(headers, "forwarded", &value);
            }
        }
    }
}

/// Every value of a list header joined with `, ` (`None` when absent or not visible ASCII).
fn joined(headers: &HeaderMap, name: &str) -> Option<String> {
    let mut out: Option<String> = None;
    for value in headers.get_all(name) {
        let text = value.to_str().ok()?;
        match &mut out {
            Some(out) => {
                out.push_str(", ");
                out.push_str(text);
            }
            None => out = Some(text.to_owned()),
        }
    }
    out
}

/// Sets a header to one value built from visible ASCII (IP addresses, `Host` values).
fn replace(headers: &mut HeaderMap, name: &'static str, value: &str) {
    match HeaderValue::from_str(value) {
        Ok(value) => {
            headers.insert(name, value);
        }
        Err(_) => {
            headers.remove(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> ClientInfo {
        ClientInfo {
            peer: "192.0.2.7:5000".parse().unwrap(),
            tls: false,
        }
    }

    #[test]
    fn strips_hop_by_hop_and_connection_named_headers() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, X-Secret"),
        );
        headers.append(header::CONNECTION, HeaderValue::from_static("x-other"));
        headers.append("keep-alive", HeaderValue::from_static("timeout=5"));
        headers.append("x-secret", HeaderValue::from_static("1"));
        headers.append("x-other", HeaderValue::from_static("1"));
        headers.append(header::TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
        headers.append(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.append(header::SET_COOKIE, HeaderValue::from_static("a=1"));
        headers.append(header::SET_COOKIE, HeaderValue::from_static("b=2"));
        strip_hop_by_hop(&mut headers);
        assert_eq!(headers.len(), 2, "{headers:?}");
        assert_eq!(headers.get_all(header::SET_COOKIE).iter().count(), 2);
    }

    #[test]
    fn split_cookie_fields_are_joined_into_one() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1"));
        headers.append(header::COOKIE, HeaderValue::from_static("b=2; c=3"));
        join_cookie_headers(&mut headers);
        let values: Vec<_> = headers.get_all(header::COOKIE).iter().collect();
        assert_eq!(values, ["a=1; b=2; c=3"]);

        let mut single = HeaderMap::new();
        single.append(header::COOKIE, HeaderValue::from_static("a=1"));
        join_cookie_headers(&mut single);
        assert_eq!(single[header::COOKIE], "a=1");
    }

    #[test]
    fn via_names_the_version_the_request_came_in() {
        let mut headers = HeaderMap::new();
        headers.append(header::VIA, HeaderValue::from_static("1.1 edge"));
        append_via(&mut headers, Version::HTTP_2);
        let hops: Vec<_> = headers.get_all(header::VIA).iter().collect();
        assert_eq!(hops, ["1.1 edge", "2 cookie-warden"]);
    }

    #[test]
    fn finds_tokens_case_insensitively() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        assert!(has_token(&headers, header::CONNECTION, "upgrade"));
        assert!(!has_token(&headers, header::CONNECTION, "close"));
    }

    #[test]
    fn appends_to_x_forwarded_for_and_sets_proto_and_host() {
        let mut headers = HeaderMap::new();
        headers.append("x-forwarded-for", HeaderValue::from_static("203.0.113.1"));
        headers.append("x-forwarded-proto", HeaderValue::from_static("https"));
        let host = HeaderValue::from_static("www.example.com");
        ForwardedStyle::XForwarded.apply(&mut headers, client(), Some(&host), false);
        assert_eq!(headers["x-forwarded-for"], "203.0.113.1, 192.0.2.7");
        assert_eq!(headers["x-forwarded-proto"], "http");
        assert_eq!(headers["x-forwarded-host"], "www.example.com");
    }

    #[test]
    fn trusted_incoming_proto_is_kept() {
        let mut headers = HeaderMap::new();
        headers.append("x-forwarded-proto", HeaderValue::from_static("https"));
        ForwardedStyle::XForwarded.apply(&mut headers, client(), None, true);
        assert_eq!(headers["x-forwarded-proto"], "https");
    }

    #[test]
    fn forwarded_element_quotes_ipv6_and_host() {
        let mut headers = HeaderMap::new();
        let client = ClientInfo {
            peer: "[::1]:4000".parse().unwrap(),
            tls: true,
        };
        let host = HeaderValue::from_static("example.com:8443");
        ForwardedStyle::Forwarded.apply(&mut headers, client, Some(&host), false);
        assert_eq!(
            headers["forwarded"],
            "for=\"[::1]\";proto=https;host=\"example.com:8443\""
        );
    }
}
