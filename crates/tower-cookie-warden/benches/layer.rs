//! What the layer costs per exchange: the common response without cookies, responses with
//! allowed, fixed and stripped cookies, and request-side stripping, against the bare upstream.
//!
//! Run with `cargo bench -p tower-cookie-warden --bench layer`.

use std::convert::Infallible;
use std::future::{Future, Ready, ready};
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use cookie_warden_core::policy::{CompiledPolicy, load};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use http::header::{COOKIE, HOST, SET_COOKIE};
use http::{HeaderValue, Request, Response};
use http_body_util::Empty;
use tower::{Layer, Service, service_fn};
use tower_cookie_warden::CookieWardenLayer;

const POLICY: &str = r#"
version = 1
[enforcement]
request_cookies = "strip"

[[cookie]]
name = "sid"
lifetime = "session"

[[cookie]]
name = "theme"
lifetime = "1h"
http_only = false

[[cookie]]
name = "saplb_*"
lifetime = "session"
"#;

const ALLOWED: [&str; 5] = [
    "sid=0123456789abcdef; Path=/; Secure; HttpOnly; SameSite=Lax",
    "saplb_a=x; Path=/; Secure; HttpOnly; SameSite=Strict",
    "saplb_b=y; Path=/; Secure; HttpOnly; SameSite=Lax",
    "theme=dark; Max-Age=600; Secure; SameSite=Lax",
    "saplb_c=z; Secure; HttpOnly; SameSite=Lax",
];

const MIXED: [&str; 5] = [
    "sid=0123456789abcdef; Path=/; Secure; HttpOnly; SameSite=Lax",
    "_ga=GA1.2.3; Max-Age=63072000; Path=/",
    "theme=dark",
    "saplb_b=y; Path=/; Secure; HttpOnly; SameSite=Lax",
    "tracker=1",
];

fn policy() -> CompiledPolicy {
    load::from_toml_str("bench.toml", POLICY)
        .expect("the bench policy loads")
        .policy
}

type Reply = Response<Empty<Bytes>>;

fn upstream(
    cookies: &'static [&'static str],
) -> impl Service<
    Request<Empty<Bytes>>,
    Response = Reply,
    Error = Infallible,
    Future = Ready<Result<Reply, Infallible>>,
> + Clone {
    service_fn(move |_req: Request<Empty<Bytes>>| {
        let mut response = Response::new(Empty::new());
        for cookie in cookies {
            response
                .headers_mut()
                .append(SET_COOKIE, HeaderValue::from_static(cookie));
        }
        ready(Ok(response))
    })
}

fn request(cookie: Option<&'static str>) -> Request<Empty<Bytes>> {
    let mut request = Request::builder()
        .uri("/account/settings")
        .body(Empty::new())
        .expect("a valid request");
    request
        .headers_mut()
        .insert(HOST, HeaderValue::from_static("www.example.com"));
    if let Some(cookie) = cookie {
        request
            .headers_mut()
            .insert(COOKIE, HeaderValue::from_static(cookie));
    }
    request
}

/// Calls the service once; every future here is ready on its first poll.
fn exchange<S, B>(service: &mut S, request: Request<Empty<Bytes>>) -> Response<B>
where
    S: Service<Request<Empty<Bytes>>, Response = Response<B>, Error = Infallible>,
{
    let mut future = pin!(service.call(request));
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(Ok(response)) => response,
        Poll::Pending => unreachable!("the upstream answers at once"),
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("exchange");
    let cases: [(&str, &'static [&'static str], Option<&'static str>); 4] = [
        ("no_set_cookie", &[], None),
        ("five_allowed", &ALLOWED, None),
        ("five_mixed", &MIXED, None),
        (
            "request_strip_10_cookies",
            &[],
            Some("sid=1; a=2; b=3; saplb_x=4; c=5; d=6; theme=7; e=8; f=9; g=10"),
        ),
    ];
    for (name, cookies, cookie_header) in cases {
        let mut bare = upstream(cookies);
        group.bench_function(format!("{name}/upstream_only"), |b| {
            b.iter_batched(
                || request(cookie_header),
                |req| black_box(exchange(&mut bare, req)),
                BatchSize::SmallInput,
            );
        });
        let mut warden = CookieWardenLayer::new(policy()).layer(upstream(cookies));
        group.bench_function(format!("{name}/with_layer"), |b| {
            b.iter_batched(
                || request(cookie_header),
                |req| black_box(exchange(&mut warden, req)),
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
