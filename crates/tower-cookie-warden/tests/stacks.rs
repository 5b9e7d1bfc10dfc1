//! The layer in the stacks users build: axum `Router::layer` and `route_layer`, tower's
//! `ServiceBuilder`, and a bare hyper server on 127.0.0.1.

mod common;

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::response::AppendHeaders;
use axum::routing::get;
use bytes::Bytes;
use common::*;
use http::header::SET_COOKIE;
use http::{Request, StatusCode};
use http_body_util::Full;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tower::{ServiceBuilder, ServiceExt};
use tower_cookie_warden::CookieWardenLayer;

const ROGUE: &str = "rogue=SENTINEL-rogue; Max-Age=99999999";

async fn cookie_page() -> impl axum::response::IntoResponse {
    (AppendHeaders([(SET_COOKIE, SID_OK), (SET_COOKIE, ROGUE)]), "page")
}

fn axum_request(path: &str) -> Request<Body> {
    Request::builder()
        .uri(format!("https://www.example{path}"))
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn axum_router_layer() {
    let app = Router::new()
        .route("/", get(cookie_page))
        .layer(CookieWardenLayer::new(policy(POLICY)));
    let response = app.oneshot(axum_request("/")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(set_cookies(response.headers()), [SID_OK]);
    assert_eq!(body_text(response.into_body()).await, "page");
}

#[tokio::test]
async fn axum_route_layer_covers_matched_routes_only() {
    let app = Router::new()
        .route("/guarded", get(cookie_page))
        .route_layer(CookieWardenLayer::new(policy(POLICY)))
        .route("/open", get(cookie_page));
    let guarded = app.clone().oneshot(axum_request("/guarded")).await.unwrap();
    assert_eq!(set_cookies(guarded.headers()), [SID_OK]);
    let open = app.oneshot(axum_request("/open")).await.unwrap();
    assert_eq!(set_cookies(open.headers()), [SID_OK, ROGUE]);
}

#[tokio::test]
async fn service_builder() {
    let service = ServiceBuilder::new()
        .layer(CookieWardenLayer::new(policy(POLICY)))
        .service(upstream(vec![ROGUE.to_owned(), SID_OK.to_owned()]));
    let response = service
        .oneshot(request("https://www.example/", &[]))
        .await
        .unwrap();
    assert_eq!(set_cookies(response.headers()), [SID_OK]);
}

#[tokio::test]
async fn bare_hyper_server_on_loopback() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let service = ServiceBuilder::new()
        .layer(CookieWardenLayer::new(policy(POLICY)))
        .service_fn(|_req: Request<hyper::body::Incoming>| async {
            Ok::<_, Infallible>(response_with(&[ROGUE, SID_OK, "theme=SENTINEL-t"], "from hyper"))
        });
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let hyper_service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
            service.clone().oneshot(req)
        });
        hyper::server::conn::http1::Builder::new()
            .serve_connection(hyper_util::rt::TokioIo::new(stream), hyper_service)
            .await
            .unwrap();
    });

    let exchange = async {
        let mut stream = TcpStream::connect(address).await.unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        String::from_utf8(raw).unwrap()
    };
    let raw = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .expect("the server answers in time");
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap();

    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let set: Vec<&str> = head
        .lines()
        .filter_map(|line| line.split_once(": "))
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, value)| value)
        .collect();
    // 127.0.0.1 is a secure origin for browsers; `theme` is fixed, `rogue` stripped.
    assert_eq!(set, [SID_OK, "theme=SENTINEL-t; Secure; SameSite=Lax"]);
    assert_eq!(body, "from hyper");
}

/// The upstream body type of the helpers is `Full<Bytes>`; axum's is `Body`: both go through.
#[test]
fn body_types_are_accepted() {
    fn accepts<B: http_body::Body<Data = Bytes>>() {}
    accepts::<tower_cookie_warden::ResponseBody<Full<Bytes>>>();
    accepts::<tower_cookie_warden::ResponseBody<Body>>();
}
