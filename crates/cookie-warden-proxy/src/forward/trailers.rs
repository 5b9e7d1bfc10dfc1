//! Trailers cross the proxy (HTTP/1.1 chunked trailers and HTTP/2 trailers), without cookies.
//!
//! A trailer is a header field that arrives after the body, where the cookie policy cannot judge
//! it before the response head has left. So cookie fields never cross in a trailer, in either
//! mode of the policy: `Set-Cookie` and `Set-Cookie2` are removed from the upstream's response
//! trailers (and from the `Trailer` field that announces them), and `Cookie` from the client's
//! request trailers. Browsers ignore cookies in trailers; other clients and servers may not.
//!
//! hyper sends HTTP/1.1 trailers only when the `Trailer` field announces them and, towards a
//! client, when the request said `TE: trailers`; the forwarding service passes both on.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

/// The cookie fields of a response: never forwarded in a trailer.
pub(crate) static RESPONSE_COOKIES: [HeaderName; 2] =
    [header::SET_COOKIE, HeaderName::from_static("set-cookie2")];

/// The cookie field of a request: never forwarded in a trailer.
pub(crate) static REQUEST_COOKIES: [HeaderName; 1] = [header::COOKIE];

pin_project! {
    /// A body whose trailers lose the fields `removed`; data frames pass unchanged.
    #[derive(Debug)]
    pub struct TrailersWithout<B> {
        #[pin]
        inner: B,
        removed: &'static [HeaderName],
    }
}

impl<B> TrailersWithout<B> {
    /// `inner`, its trailers without `removed`.
    pub(crate) fn new(inner: B, removed: &'static [HeaderName]) -> Self {
        Self { inner, removed }
    }
}

impl<B: Body<Data = Bytes>> Body for TrailersWithout<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = self.project();
        let removed = *this.removed;
        this.inner.poll_frame(cx).map(|frame| {
            frame.map(|frame| {
                frame.map(|frame| match frame.into_trailers() {
                    Ok(mut trailers) => {
                        remove_fields(&mut trailers, removed);
                        Frame::trailers(trailers)
                    }
                    Err(frame) => frame,
                })
            })
        })
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Removes every field named in `removed` from a trailer map; says how many went (never what).
fn remove_fields(trailers: &mut HeaderMap, removed: &[HeaderName]) {
    let mut count = 0;
    for name in removed {
        if let header::Entry::Occupied(entry) = trailers.entry(name) {
            count += entry.remove_entry_mult().1.count();
        }
    }
    if count > 0 {
        metrics::counter!("cookie_warden_trailer_cookies_removed_total").increment(count as u64);
        tracing::debug!(target: "cookie_warden::proxy", count, "cookie fields removed from trailers");
    }
}

/// Drops the names in `removed` from the `Trailer` field's lists (the field goes when no name
/// is left). A `Trailer` field that names none of them is not touched.
pub(crate) fn announce_without(headers: &mut HeaderMap, removed: &[HeaderName]) {
    let names_removed = |value: &HeaderValue| {
        value
            .as_bytes()
            .split(|&b| b == b',')
            .any(|name| is_removed(name, removed))
    };
    if !headers.get_all(header::TRAILER).iter().any(names_removed) {
        return;
    }
    let kept: Vec<HeaderValue> = headers
        .get_all(header::TRAILER)
        .iter()
        .flat_map(|value| value.as_bytes().split(|&b| b == b','))
        .map(|name| name.trim_ascii())
        .filter(|name| !name.is_empty() && !is_removed(name, removed))
        .filter_map(|name| HeaderValue::from_bytes(name).ok())
        .collect();
    headers.remove(header::TRAILER);
    for value in kept {
        headers.append(header::TRAILER, value);
    }
}

fn is_removed(name: &[u8], removed: &[HeaderName]) -> bool {
    let name = name.trim_ascii();
    removed
        .iter()
        .any(|removed| removed.as_str().as_bytes().eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::convert::Infallible;

    use http_body_util::BodyExt;

    use super::*;

    /// A body of the given frames.
    struct Frames(VecDeque<Frame<Bytes>>);

    impl Body for Frames {
        type Data = Bytes;
        type Error = Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            Poll::Ready(self.0.pop_front().map(Ok))
        }
    }

    #[tokio::test]
    async fn cookie_trailers_go_and_the_rest_stays() {
        let mut trailers = HeaderMap::new();
        trailers.append(header::SET_COOKIE, HeaderValue::from_static("late=SENTINEL"));
        trailers.append(header::SET_COOKIE, HeaderValue::from_static("b=2"));
        trailers.append("Set-Cookie2", HeaderValue::from_static("c=3"));
        trailers.append("grpc-status", HeaderValue::from_static("0"));
        let frames = Frames(
            [
                Frame::data(Bytes::from_static(b"body")),
                Frame::trailers(trailers),
            ]
            .into(),
        );
        let body = TrailersWithout::new(frames, &RESPONSE_COOKIES);
        let collected = body.collect().await.unwrap();
        let trailers = collected.trailers().unwrap().clone();
        assert_eq!(collected.to_bytes(), "body");
        assert_eq!(trailers.len(), 1, "{trailers:?}");
        assert_eq!(trailers["grpc-status"], "0");
    }

    #[tokio::test]
    async fn request_trailers_lose_their_cookie() {
        let mut trailers = HeaderMap::new();
        trailers.append(header::COOKIE, HeaderValue::from_static("sid=SENTINEL"));
        trailers.append("x-checksum", HeaderValue::from_static("abc"));
        let body = TrailersWithout::new(Frames([Frame::trailers(trailers)].into()), &REQUEST_COOKIES);
        let trailers = body.collect().await.unwrap().trailers().unwrap().clone();
        assert!(!trailers.contains_key(header::COOKIE));
        assert_eq!(trailers["x-checksum"], "abc");
    }

    #[test]
    fn the_trailer_field_no_longer_announces_cookies() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::TRAILER,
            HeaderValue::from_static("grpc-status, Set-Cookie"),
        );
        headers.append(header::TRAILER, HeaderValue::from_static("set-cookie2"));
        announce_without(&mut headers, &RESPONSE_COOKIES);
        let left: Vec<_> = headers.get_all(header::TRAILER).iter().collect();
        assert_eq!(left, ["grpc-status"]);

        let mut only = HeaderMap::new();
        only.append(header::TRAILER, HeaderValue::from_static("set-cookie"));
        announce_without(&mut only, &RESPONSE_COOKIES);
        assert!(only.is_empty());

        let mut untouched = HeaderMap::new();
        untouched.append(header::TRAILER, HeaderValue::from_static("x-a,x-b"));
        let before = untouched.clone();
        announce_without(&mut untouched, &RESPONSE_COOKIES);
        assert_eq!(untouched, before);
    }
}
