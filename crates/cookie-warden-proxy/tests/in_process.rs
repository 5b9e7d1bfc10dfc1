//! The library in-process: `Proxy::bind` on 127.0.0.1:0, `serve` with a shutdown future, a tiny
//! upstream on loopback; an allowed cookie passes byte for byte, an unlisted one is stripped, the
//! layer's hooks see every decision, and shutdown drains a request in flight.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use cookie_warden_core::policy::load::from_toml_str;
use cookie_warden_proxy::forward::Upstream;
use cookie_warden_proxy::{Proxy, ProxyConfig};
use http::{Request, Response, header};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tower_cookie_warden::{CookieWardenLayer, PolicyHandle};

const POLICY: &str = r#"
version = 1

[[cookie]]
name = "session_id"
category = "necessary"
lifetime = "session"
purpose = { en = "Keeps you signed in." }
"#;

const ALLOWED: &str = "session_id=s3cr3t; Path=/; Secure; HttpOnly; SameSite=Lax";
const UNLISTED: &str = "tracker=t0k3n; Path=/";

/// An upstream on 127.0.0.1:0 that sets both cookies; `/slow` answers after 300 ms.
async fn upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|request: Request<Incoming>| async move {
                    if request.uri().path() == "/slow" {
                        tokio::time::sleep(Duration::from_millis(300)).await;
                    }
                    let response = Response::builder()
                        .header(header::SET_COOKIE, ALLOWED)
                        .header(header::SET_COOKIE, UNLISTED)
                        .body(Full::new(Bytes::from_static(b"hello")))
                        .unwrap();
                    Ok::<_, Infallible>(response)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    address
}

/// One GET through `proxy` on a new connection: status, Set-Cookie values, body.
async fn get(proxy: SocketAddr, path: &str) -> (u16, Vec<String>, Bytes) {
    let stream = TcpStream::connect(proxy).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let request = Request::get(path)
        .header(header::HOST, "www.example.test")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status().as_u16();
    let cookies = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .collect();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, cookies, body)
}

/// A bound proxy in front of a fresh upstream, with a decision counter on the layer's hook.
async fn proxy() -> (Proxy, Arc<AtomicUsize>) {
    let upstream = upstream().await;
    let mut config = ProxyConfig::new(Upstream::parse(&format!("http://{upstream}")).unwrap());
    config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    config.assume_https = true;
    config.timeouts.shutdown = Duration::from_secs(5);
    let policy = from_toml_str("inline.toml", POLICY).unwrap().policy;
    let decisions = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&decisions);
    let layer = CookieWardenLayer::new(PolicyHandle::new(policy)).on_decision(move |_| {
        counted.fetch_add(1, Ordering::Relaxed);
    });
    let proxy = Proxy::bind(config, layer).await.unwrap();
    (proxy, decisions)
}

#[tokio::test]
async fn an_allowed_cookie_passes_and_an_unlisted_one_is_stripped() {
    let (proxy, decisions) = proxy().await;
    let address = proxy.local_addr();
    assert_ne!(address.port(), 0, "bind returns the port the OS picked");
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = tokio::spawn(proxy.serve(async {
        let _ = stopped.await;
    }));

    let (status, cookies, body) = get(address, "/").await;
    assert_eq!(status, 200);
    assert_eq!(
        cookies,
        vec![ALLOWED.to_owned()],
        "allowed passes byte for byte, unlisted is stripped"
    );
    assert_eq!(&body[..], b"hello");
    assert_eq!(
        decisions.load(Ordering::Relaxed),
        2,
        "the hook saw both Set-Cookie decisions"
    );

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), serving)
        .await
        .expect("serve returns after the shutdown future resolves")
        .unwrap();
    assert!(
        TcpStream::connect(address).await.is_err(),
        "no new connections after shutdown"
    );
}

#[tokio::test]
async fn shutdown_drains_a_request_in_flight() {
    let (proxy, _) = proxy().await;
    let address = proxy.local_addr();
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = tokio::spawn(proxy.serve(async {
        let _ = stopped.await;
    }));

    let in_flight = tokio::spawn(get(address, "/slow"));
    // Let the request reach the upstream, then ask for shutdown while it waits there.
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();

    let (status, cookies, body) = in_flight.await.unwrap();
    assert_eq!(status, 200, "the request in flight finished");
    assert_eq!(cookies, vec![ALLOWED.to_owned()]);
    assert_eq!(&body[..], b"hello");
    tokio::time::timeout(Duration::from_secs(5), serving)
        .await
        .expect("serve returns once drained")
        .unwrap();
}

#[tokio::test]
async fn an_https_upstream_without_upstream_tls_is_refused() {
    let mut config = ProxyConfig::new(Upstream::parse("https://127.0.0.1:9").unwrap());
    config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let policy = from_toml_str("inline.toml", POLICY).unwrap().policy;
    let Err(error) = Proxy::bind(config, CookieWardenLayer::new(PolicyHandle::new(policy))).await else {
        panic!("an https:// upstream without TLS was accepted (it would be served over plain HTTP)");
    };
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("upstream_tls"), "{error}");
}
