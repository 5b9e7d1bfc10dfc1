//! Time limits: how long the proxy waits for an upstream connection, an upstream response head,
//! the next body chunk in either direction, an idle client, and in-flight requests at shutdown.
//!
//! [`IdleTimeoutBody`] bounds the pause between two frames of a streamed body, so a stalled peer
//! (an upstream that stops mid-body, a client that stops mid-upload) ends its exchange instead of
//! holding a connection for ever.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};

/// Every time limit of the proxy, checked once from the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing a TCP connection to the upstream.
    pub connect: Duration,
    /// From sending the request to receiving the upstream's response head.
    pub upstream_head: Duration,
    /// The longest pause between two frames of a request or response body.
    pub body_idle: Duration,
    /// An HTTP/1 client connection with no complete request head in this time is closed (this
    /// covers both idle keep-alive connections and clients that send the head slowly).
    pub client_idle: Duration,
    /// How long in-flight requests may run on after a shutdown signal.
    pub shutdown: Duration,
}

/// The error a body yields when its peer paused for longer than the body idle timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BodyIdleTimeout(pub(crate) Duration);

impl fmt::Display for BodyIdleTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no body data for {} ms", self.0.as_millis())
    }
}

impl std::error::Error for BodyIdleTimeout {}

pin_project! {
    /// A body that fails with [`BodyIdleTimeout`] when the inner body keeps the reader waiting
    /// for longer than the idle timeout. Only time spent waiting on the inner body counts (a slow
    /// reader is not the peer's fault); the timer is re-armed on the first poll after each frame
    /// and allocates nothing per frame. The timer is made the first time the inner body keeps
    /// the reader waiting: a body that never does (an empty one, one already received) costs
    /// none.
    pub struct IdleTimeoutBody<B> {
        #[pin]
        inner: B,
        sleep: Option<Pin<Box<Sleep>>>,
        idle: Duration,
        armed: bool,
        side: BodySide,
    }
}

/// Which body an [`IdleTimeoutBody`] wraps, for its failure event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodySide {
    /// The client's request body, on its way to the upstream.
    Request,
    /// The upstream's response body, on its way to the client.
    Response,
}

impl BodySide {
    fn as_str(self) -> &'static str {
        match self {
            BodySide::Request => "request",
            BodySide::Response => "response",
        }
    }
}

impl<B> IdleTimeoutBody<B> {
    /// Wraps `inner` so that it may pause for at most `idle` between frames.
    pub(crate) fn new(inner: B, idle: Duration, side: BodySide) -> Self {
        Self {
            inner,
            sleep: None,
            idle,
            armed: false,
            side,
        }
    }
}

/// Emits the event and counts a body that failed mid-stream (its peer reset, closed early or
/// stalled); the exchange ends there, and hyper closes the connection or resets the stream.
fn report_body_failure(side: BodySide, kind: &'static str, error: &dyn std::error::Error) {
    metrics::counter!("cookie_warden_body_errors_total", "side" => side.as_str(), "kind" => kind)
        .increment(1);
    tracing::warn!(target: "cookie_warden::proxy", error = %error, body = side.as_str(), kind, "body failed mid-stream");
}

impl<B: fmt::Debug> fmt::Debug for IdleTimeoutBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdleTimeoutBody")
            .field("inner", &self.inner)
            .field("idle", &self.idle)
            .finish()
    }
}

/// The error of an [`IdleTimeoutBody`]: the inner body's error or the timeout.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<B> Body for IdleTimeoutBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        if let Poll::Ready(frame) = this.inner.poll_frame(cx) {
            *this.armed = false;
            let side = *this.side;
            return Poll::Ready(frame.map(|result| {
                result.map_err(|error| {
                    let error: BoxError = error.into();
                    report_body_failure(side, "broken", &*error);
                    error
                })
            }));
        }
        let sleep = match this.sleep {
            Some(sleep) => {
                if !*this.armed {
                    sleep.as_mut().reset(Instant::now() + *this.idle);
                }
                sleep
            }
            None => this.sleep.insert(Box::pin(tokio::time::sleep(*this.idle))),
        };
        *this.armed = true;
        ready!(sleep.as_mut().poll(cx));
        let error = BodyIdleTimeout(*this.idle);
        report_body_failure(*this.side, "timeout", &error);
        Poll::Ready(Some(Err(Box::new(error))))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_stalled_body_times_out() {
        use http_body_util::BodyExt;
        let (mut tx, body) = http_body_util::channel::Channel::<Bytes, BoxError>::new(1);
        let mut body = IdleTimeoutBody::new(body, Duration::from_secs(1), BodySide::Response);
        tx.send_data(Bytes::from_static(b"first")).await.unwrap();
        let first = body.frame().await.unwrap().unwrap();
        assert_eq!(first.into_data().unwrap(), "first");
        // A slow reader is not a stalled peer: time before the next poll does not count.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let sender = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            tx.send_data(Bytes::from_static(b"second")).await.unwrap();
            tx
        });
        let second = body.frame().await.unwrap().unwrap();
        assert_eq!(second.into_data().unwrap(), "second");
        let tx = sender.await.unwrap();
        let err = body.frame().await.unwrap().unwrap_err();
        assert!(err.is::<BodyIdleTimeout>(), "{err}");
        drop(tx);
    }
}
