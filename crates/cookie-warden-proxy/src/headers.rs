//! Header hygiene between client and upstream: hop-by-hop headers (RFC 9110 §7.6.1) never cross
//! the proxy, and the upstream learns who asked through `X-Forwarded-*` or `Forwarded` (RFC 7239).

use std::net::{IpAddr, SocketAddr};

use bytes::Bytes;

use http::Version;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};

use crate::ip_text::IpText;

/// Headers that describe one connection, not the message, and so never cross the proxy.
/// (`Trailer` is not one: it announces the message's trailer fields, RFC 9110 §6.6.2.)
const HOP_BY_HOP: [HeaderName; 9] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
    HeaderName::from_static("http2-settings"),
];

/// The index of `name` in [`HOP_BY_HOP`]: one comparison by length and bytes, no hashing.
fn hop_by_hop_index(name: &HeaderName) -> Option<usize> {
    Some(match name.as_str() {
        "connection" => 0,
        "keep-alive" => 1,
        "proxy-connection" => 2,
        "proxy-authenticate" => 3,
        "proxy-authorization" => 4,
        "te" => 5,
        "transfer-encoding" => 6,
        "upgrade" => 7,
        "http2-settings" => 8,
        _ => return None,
    })
}

/// Removes the hop-by-hop headers, and every header that a `Connection` header names.
///
/// One pass over the names finds which are present; only those are removed (a map lookup each),
/// so a message without any costs no lookup at all.
pub(crate) fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let mut present = 0u16;
    for name in headers.keys() {
        if let Some(index) = hop_by_hop_index(name) {
            present |= 1 << index;
        }
    }
    if present == 0 {
        return;
    }
    if present & 1 != 0 {
        // Names listed in `Connection` are hop-by-hop too. The values are copied out first (a
        // reference count each; a list only for a second `Connection` field), and each token is
        // removed by `&str`, which allocates no `HeaderName` (a token that is no valid name
        // matches nothing).
        let mut values = headers.get_all(header::CONNECTION).iter();
        let first = values.next().cloned();
        let more: Vec<HeaderValue> = values.cloned().collect();
        for value in first.iter().chain(&more) {
            for token in tokens(value) {
                if let Ok(name) = std::str::from_utf8(token) {
                    headers.remove(name);
                }
            }
        }
    }
    for (index, name) in HOP_BY_HOP.iter().enumerate() {
        if present & (1 << index) != 0 {
            headers.remove(name);
        }
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardedStyle {
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

/// `X-Forwarded-For`: the client addresses, one per hop.
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
/// `X-Forwarded-Proto`: `http` or `https`, as the client connected.
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
/// `X-Forwarded-Host`: the `Host` the client sent.
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

impl ForwardedStyle {
    /// Adds the forwarding headers for one request. `host` is the `Host` the client sent; with
    /// `trust_incoming`, an `X-Forwarded-Proto`/`-Host` set by a proxy in front is kept.
    ///
    /// Each appended list header is built in one buffer that becomes its value: one allocation.
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
                append_element(
                    headers,
                    X_FORWARDED_FOR,
                    &[IpText::of(client.peer.ip()).as_bytes()],
                );
                if !(trust_incoming && headers.contains_key(X_FORWARDED_PROTO)) {
                    headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static(proto));
                }
                if !(trust_incoming && headers.contains_key(X_FORWARDED_HOST)) {
                    match host {
                        Some(host) => {
                            headers.insert(X_FORWARDED_HOST, host.clone());
                        }
                        None => {
                            headers.remove(X_FORWARDED_HOST);
                        }
                    }
                }
            }
            ForwardedStyle::Forwarded => {
                let ip = client.peer.ip();
                let text = IpText::of(ip);
                // An IPv6 node is quoted and bracketed (RFC 7239 §6).
                let (open, close): (&[u8], &[u8]) = match ip {
                    IpAddr::V4(_) => (b"for=", b""),
                    IpAddr::V6(_) => (b"for=\"[", b"]\""),
                };
                // A host that would need escaping inside the quotes is left out (an empty one is
                // written, as `host=""`).
                let host = host
                    .and_then(|h| h.to_str().ok())
                    .filter(|h| !h.contains(['"', '\\']))
                    .map(str::as_bytes);
                let (host_open, host, host_close): (&[u8], &[u8], &[u8]) = match host {
                    Some(host) => (b";host=\"", host, b"\""),
                    None => (b"", b"", b""),
                };
                append_element(
                    headers,
                    header::FORWARDED,
                    &[
                        open,
                        text.as_bytes(),
                        close,
                        b";proto=",
                        proto.as_bytes(),
                        host_open,
                        host,
                        host_close,
                    ],
                );
            }
        }
    }
}

/// Sets the list header `name` to its values joined with `, ` and then this hop's element (the
/// concatenation of `element`'s parts). Values that are not all visible ASCII are dropped, not
/// joined; a result that is no valid header value removes the header.
fn append_element(headers: &mut HeaderMap, name: HeaderName, element: &[&[u8]]) {
    let previous = headers.get_all(&name);
    let visible = previous.iter().all(|value| value.to_str().is_ok());
    let joined: usize = if visible {
        previous.iter().map(|value| value.len() + 2).sum()
    } else {
        0
    };
    // Exactly as long as the value: the boxed slice below needs no reallocation.
    let mut out = Vec::with_capacity(joined + element.iter().map(|part| part.len()).sum::<usize>());
    if visible {
        for value in previous {
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b", ");
        }
    }
    for part in element {
        out.extend_from_slice(part);
    }
    // A boxed slice becomes `Bytes` without a second allocation (a `Vec` with spare room would not).
    match HeaderValue::from_maybe_shared(Bytes::from(out.into_boxed_slice())) {
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
    fn every_hop_by_hop_header_goes_and_nothing_else() {
        let mut headers = HeaderMap::new();
        for name in &HOP_BY_HOP {
            headers.append(name, HeaderValue::from_static("x"));
        }
        headers.append(
            header::CONNECTION,
            HeaderValue::from_static("X-Named , ,Bad Token, close"),
        );
        headers.append("x-named", HeaderValue::from_static("1"));
        headers.append("close", HeaderValue::from_static("1"));
        headers.append(header::HOST, HeaderValue::from_static("a"));
        headers.append(header::SET_COOKIE, HeaderValue::from_static("a=1"));
        strip_hop_by_hop(&mut headers);
        let left: Vec<_> = headers.keys().map(HeaderName::as_str).collect();
        assert_eq!(left, ["host", "set-cookie"]);

        let mut plain = HeaderMap::new();
        plain.append(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
        plain.append(header::SET_COOKIE, HeaderValue::from_static("a=1"));
        plain.append(header::SET_COOKIE, HeaderValue::from_static("b=2"));
        let before = plain.clone();
        strip_hop_by_hop(&mut plain);
        assert_eq!(plain, before);
    }

    #[test]
    fn a_list_header_with_invisible_bytes_is_replaced_not_joined() {
        let mut headers = HeaderMap::new();
        headers.append("x-forwarded-for", HeaderValue::from_static("203.0.113.1"));
        headers.append("x-forwarded-for", HeaderValue::from_bytes(b"\xff").unwrap());
        ForwardedStyle::XForwarded.apply(&mut headers, client(), None, false);
        assert_eq!(headers["x-forwarded-for"], "192.0.2.7");
        assert!(!headers.contains_key("x-forwarded-host"));

        let mut headers = HeaderMap::new();
        headers.append(header::FORWARDED, HeaderValue::from_static("for=a"));
        headers.append(header::FORWARDED, HeaderValue::from_static(""));
        let host = HeaderValue::from_static("bad\"host");
        ForwardedStyle::Forwarded.apply(&mut headers, client(), Some(&host), false);
        assert_eq!(headers.get_all(header::FORWARDED).iter().count(), 1);
        assert_eq!(headers["forwarded"], "for=a, , for=192.0.2.7;proto=http");
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

    #[test]
    fn forwarded_element_for_ipv4_joins_earlier_hops_and_leaves_out_a_quoting_host() {
        let mut headers = HeaderMap::new();
        headers.append(header::FORWARDED, HeaderValue::from_static("for=203.0.113.1"));
        let host = HeaderValue::from_static("evil\"host");
        ForwardedStyle::Forwarded.apply(&mut headers, client(), Some(&host), false);
        assert_eq!(headers["forwarded"], "for=203.0.113.1, for=192.0.2.7;proto=http");
        let mut headers = HeaderMap::new();
        ForwardedStyle::Forwarded.apply(&mut headers, client(), None, false);
        assert_eq!(headers["forwarded"], "for=192.0.2.7;proto=http");
        let mut headers = HeaderMap::new();
        let empty = HeaderValue::from_static("");
        ForwardedStyle::Forwarded.apply(&mut headers, client(), Some(&empty), false);
        assert_eq!(headers["forwarded"], "for=192.0.2.7;proto=http;host=\"\"");
    }
}
