//! Protocol upgrades (WebSocket and the like) passed through.
//!
//! The proxy forwards an HTTP/1.1 upgrade request with its `Connection: upgrade` and `Upgrade`
//! headers. When the upstream answers `101 Switching Protocols`, the `101` head goes back through
//! the cookie policy like any other response head, and once the client's side has switched too
//! the two connections are joined byte for byte. If the policy replaces the `101` (a blocked
//! response), the client never switches and the upstream connection is dropped.
//!
//! `Upgrade: h2c` is not passed on: cookie-warden speaks HTTP/2 to clients itself (prior
//! knowledge) and HTTP/1.1 to the upstream.

use std::time::Duration;

use http::{HeaderMap, Request, Version, header};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;

use super::headers::has_token;

/// Whether the request asks to switch protocols (and to one that the proxy passes through).
pub(crate) fn requested<B>(request: &Request<B>) -> bool {
    request.version() == Version::HTTP_11 && is_upgrade(request.headers())
}

fn is_upgrade(headers: &HeaderMap) -> bool {
    has_token(headers, header::CONNECTION, "upgrade")
        && headers
            .get(header::UPGRADE)
            .is_some_and(|protocol| !protocol.as_bytes().eq_ignore_ascii_case(b"h2c"))
}

/// Joins the client's and the upstream's upgraded connections once both have switched, in a task
/// of its own. `switch_within` bounds the wait for the client's side (it never switches when the
/// policy replaced the `101`).
pub(crate) fn tunnel(client: OnUpgrade, upstream: OnUpgrade, switch_within: Duration) {
    tokio::spawn(async move {
        let joined = tokio::time::timeout(switch_within, async { tokio::try_join!(client, upstream) }).await;
        let (client, upstream) = match joined {
            Ok(Ok(both)) => both,
            Ok(Err(error)) => {
                tracing::debug!(target: "cookie_warden::proxy", error = %error, "upgrade abandoned");
                return;
            }
            Err(_) => {
                tracing::debug!(target: "cookie_warden::proxy", "upgrade abandoned: the client did not switch");
                return;
            }
        };
        metrics::counter!("cookie_warden_upgrades_total").increment(1);
        let mut client = TokioIo::new(client);
        let mut upstream = TokioIo::new(upstream);
        match tokio::io::copy_bidirectional(&mut client, &mut upstream).await {
            Ok((to_upstream, to_client)) => tracing::debug!(
                target: "cookie_warden::proxy",
                to_upstream_bytes = to_upstream,
                to_client_bytes = to_client,
                "upgraded connection closed"
            ),
            Err(error) => {
                tracing::debug!(target: "cookie_warden::proxy", error = %error, "upgraded connection failed");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(connection: &str, upgrade: &str) -> Request<()> {
        Request::builder()
            .header(header::CONNECTION, connection)
            .header(header::UPGRADE, upgrade)
            .body(())
            .unwrap()
    }

    #[test]
    fn websocket_is_an_upgrade_and_h2c_is_not() {
        assert!(requested(&request("keep-alive, Upgrade", "websocket")));
        assert!(!requested(&request("Upgrade, HTTP2-Settings", "h2c")));
        assert!(!requested(&request("keep-alive", "websocket")));
    }
}
