//! Responses the proxy makes itself when the upstream fails: `502 Bad Gateway` when the upstream
//! refuses, resets or answers with something that is not HTTP, `504 Gateway Timeout` when it is too
//! slow, and `408 Request Timeout` when the client stalls mid-upload. Each comes with a short plain
//! body, an event (target `cookie_warden::proxy`) and a count in
//! `cookie_warden_upstream_errors_total{kind}`. None of them carries a header value.

use std::error::Error as StdError;
use std::io;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;

use super::forward::pool::ExchangeError;
use super::timeouts::BodyIdleTimeout;

/// What went wrong on the way to or from the upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UpstreamFailure {
    /// The upstream refused the TCP connection (or it could not be made at all).
    Refused,
    /// The TCP connection was not established in time.
    ConnectTimeout,
    /// The response head did not arrive in time.
    HeadTimeout,
    /// The client paused its request body for longer than the body idle timeout.
    ClientBodyTimeout,
    /// The upstream reset or closed the connection, or sent something that is not HTTP.
    Broken,
}

impl UpstreamFailure {
    /// Classifies an error of the upstream exchange.
    pub(crate) fn classify(error: &ExchangeError) -> Self {
        match error {
            ExchangeError::Connect(io) if io.kind() == io::ErrorKind::TimedOut => {
                UpstreamFailure::ConnectTimeout
            }
            ExchangeError::Connect(_) => UpstreamFailure::Refused,
            ExchangeError::Http(http) if chain(http).any(|e| e.is::<BodyIdleTimeout>()) => {
                UpstreamFailure::ClientBodyTimeout
            }
            ExchangeError::Http(_) => UpstreamFailure::Broken,
        }
    }

    /// The snake_case name used in events and metrics.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            UpstreamFailure::Refused => "refused",
            UpstreamFailure::ConnectTimeout => "connect_timeout",
            UpstreamFailure::HeadTimeout => "head_timeout",
            UpstreamFailure::ClientBodyTimeout => "client_body_timeout",
            UpstreamFailure::Broken => "broken",
        }
    }

    /// The status the client gets.
    pub(crate) fn status(self) -> StatusCode {
        match self {
            UpstreamFailure::Refused | UpstreamFailure::Broken => StatusCode::BAD_GATEWAY,
            UpstreamFailure::ConnectTimeout | UpstreamFailure::HeadTimeout => StatusCode::GATEWAY_TIMEOUT,
            UpstreamFailure::ClientBodyTimeout => StatusCode::REQUEST_TIMEOUT,
        }
    }

    /// The short plain body the client gets.
    fn body(self) -> &'static str {
        match self {
            UpstreamFailure::Refused => "502 Bad Gateway: the upstream refused the connection\n",
            UpstreamFailure::Broken => {
                "502 Bad Gateway: the upstream closed the connection or sent no valid response\n"
            }
            UpstreamFailure::ConnectTimeout => {
                "504 Gateway Timeout: the upstream did not accept a connection in time\n"
            }
            UpstreamFailure::HeadTimeout => "504 Gateway Timeout: the upstream did not answer in time\n",
            UpstreamFailure::ClientBodyTimeout => "408 Request Timeout: the request body stalled\n",
        }
    }

    /// The response for this failure, with a short plain body and `Connection: close` semantics
    /// left to the server.
    pub(crate) fn response(self) -> Response<Full<Bytes>> {
        let mut response = Response::new(Full::new(Bytes::from_static(self.body().as_bytes())));
        *response.status_mut() = self.status();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        response
    }

    /// Emits the event and counts the failure. `error` is the client's error message (it names
    /// addresses and causes, never a header value).
    pub(crate) fn report(self, method: &str, path: &str, error: &dyn StdError) {
        metrics::counter!("cookie_warden_upstream_errors_total", "kind" => self.as_str()).increment(1);
        tracing::warn!(
            target: "cookie_warden::proxy",
            error = %Chain(error),
            upstream.error = self.as_str(),
            http.request.method = method,
            url.path = path,
            http.response.status_code = self.status().as_u16(),
            "upstream failure"
        );
    }
}

/// Every error in a source chain, outermost first.
fn chain<'a>(error: &'a (dyn StdError + 'static)) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    let mut next = Some(error);
    std::iter::from_fn(move || {
        let current = next?;
        next = current.source();
        Some(current)
    })
}

/// Displays an error and its causes as `outer: inner: innermost`.
struct Chain<'a>(&'a dyn StdError);

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_failure() {
        assert_eq!(
            UpstreamFailure::Refused.response().status(),
            StatusCode::BAD_GATEWAY
        );
        assert_eq!(
            UpstreamFailure::Broken.response().status(),
            StatusCode::BAD_GATEWAY
        );
        assert_eq!(
            UpstreamFailure::HeadTimeout.response().status(),
            StatusCode::GATEWAY_TIMEOUT
        );
        assert_eq!(
            UpstreamFailure::ConnectTimeout.response().status(),
            StatusCode::GATEWAY_TIMEOUT
        );
        assert_eq!(
            UpstreamFailure::ClientBodyTimeout.response().status(),
            StatusCode::REQUEST_TIMEOUT
        );
    }
}
