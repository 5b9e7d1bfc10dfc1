//! The response body: the upstream's, streamed frame by frame, or the short body of a blocked
//! response.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::HeaderMap;
use http::header::SET_COOKIE;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

use crate::SET_COOKIE2;

/// The body of a blocked response. It names no cookie and no value.
pub(crate) const BLOCKED_BODY: &[u8] = b"response blocked by cookie policy\n";

pin_project! {
    /// The body of a response that passed through [`CookieWarden`](crate::CookieWarden).
    ///
    /// Upstream bodies stream unchanged, frame by frame; only `Set-Cookie` and `Set-Cookie2`
    /// fields are removed from trailers (browsers ignore cookies in trailers, other clients may
    /// not). A blocked response carries a short plain-text body instead.
    pub struct ResponseBody<B> {
        #[pin]
        kind: Kind<B>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<B> {
        Upstream {
            #[pin]
            inner: B,
            strip_trailers: bool,
        },
        Blocked {
            message: Option<&'static [u8]>,
        },
    }
}

impl<B> ResponseBody<B> {
    pub(crate) fn upstream(inner: B, strip_trailers: bool) -> Self {
        Self {
            kind: Kind::Upstream {
                inner,
                strip_trailers,
            },
        }
    }

    pub(crate) fn blocked() -> Self {
        Self {
            kind: Kind::Blocked {
                message: Some(BLOCKED_BODY),
            },
        }
    }
}

impl<B> std::fmt::Debug for ResponseBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.kind {
            Kind::Upstream { .. } => "upstream",
            Kind::Blocked { .. } => "blocked",
        };
        f.debug_struct("ResponseBody").field("kind", &kind).finish()
    }
}

impl<B> Body for ResponseBody<B>
where
    B: Body,
    B::Data: From<&'static [u8]>,
{
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        match self.project().kind.project() {
            KindProj::Upstream {
                inner,
                strip_trailers,
            } => {
                let frame = ready!(inner.poll_frame(cx));
                if !*strip_trailers {
                    return Poll::Ready(frame);
                }
                Poll::Ready(frame.map(|frame| {
                    frame.map(|frame| match frame.into_trailers() {
                        Ok(mut trailers) => {
                            remove_cookie_fields(&mut trailers);
                            Frame::trailers(trailers)
                        }
                        Err(frame) => frame,
                    })
                }))
            }
            KindProj::Blocked { message } => {
                Poll::Ready(message.take().map(|m| Ok(Frame::data(B::Data::from(m)))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Upstream { inner, .. } => inner.is_end_stream(),
            Kind::Blocked { message } => message.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Upstream { inner, .. } => inner.size_hint(),
            Kind::Blocked { message } => SizeHint::with_exact(message.map_or(0, |m| m.len() as u64)),
        }
    }
}

/// Removes every `Set-Cookie` and `Set-Cookie2` field from a trailer map.
fn remove_cookie_fields(trailers: &mut HeaderMap) {
    let count = trailers.get_all(SET_COOKIE).iter().count() + trailers.get_all(&SET_COOKIE2).iter().count();
    if count > 0 {
        // `remove` drops every value of the name, not only the first.
        trailers.remove(SET_COOKIE);
        trailers.remove(&SET_COOKIE2);
        tracing::debug!(target: "cookie_warden", count, "set-cookie trailers removed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use bytes::Bytes;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn trailers_lose_their_cookies_and_data_frames_pass_unchanged() {
        let mut trailers = HeaderMap::new();
        trailers.append(SET_COOKIE, "a=1".parse().unwrap());
        trailers.append(SET_COOKIE, "b=2".parse().unwrap());
        trailers.append(&SET_COOKIE2, "c=3".parse().unwrap());
        trailers.append("grpc-status", "0".parse().unwrap());
        let frames = Frames(
            [
                Frame::data(Bytes::from_static(b"one")),
                Frame::data(Bytes::from_static(b"two")),
                Frame::trailers(trailers),
            ]
            .into(),
        );
        let body = ResponseBody::upstream(frames, true);
        let mut body = std::pin::pin!(body);
        let mut seen = Vec::new();
        while let Some(frame) = body.frame().await {
            seen.push(frame.unwrap());
        }
        assert_eq!(seen.len(), 3);
        assert_eq!(seen[0].data_ref().unwrap().as_ref(), b"one");
        assert_eq!(seen[1].data_ref().unwrap().as_ref(), b"two");
        let t = seen[2].trailers_ref().unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t["grpc-status"], "0");
    }

    #[tokio::test]
    async fn report_only_leaves_trailers_alone() {
        let mut trailers = HeaderMap::new();
        trailers.append(SET_COOKIE, "a=1".parse().unwrap());
        let body = ResponseBody::upstream(Frames([Frame::trailers(trailers)].into()), false);
        let collected = body.collect().await.unwrap();
        assert_eq!(
            collected.trailers().unwrap().get_all(SET_COOKIE).iter().count(),
            1
        );
    }

    #[tokio::test]
    async fn blocked_body_is_short_plain_and_exact() {
        let body: ResponseBody<http_body_util::Empty<Bytes>> = ResponseBody::blocked();
        assert_eq!(body.size_hint().exact(), Some(BLOCKED_BODY.len() as u64));
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(bytes.as_ref(), BLOCKED_BODY);
    }

    /// A body that yields the given frames, one per poll.
    struct Frames(std::collections::VecDeque<Frame<Bytes>>);

    impl Body for Frames {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            Poll::Ready(self.0.pop_front().map(Ok))
        }
    }
}
