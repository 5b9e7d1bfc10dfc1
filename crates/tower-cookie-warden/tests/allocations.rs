//! The common path allocates nothing: a response without cookies, or with allowed cookies only,
//! passes through the layer without a single heap allocation.
//!
//! The counting allocator sees every thread of the process, so this test runs without libtest's
//! harness (`harness = false`: a plain `main`, one thread): under the harness the main thread's own
//! allocations, right after it spawned the test's thread, could fall into the counted window (about
//! one run in fifty).

use std::alloc::System;
use std::cell::RefCell;
use std::convert::Infallible;
use std::future::{Future, ready};
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use cookie_warden_core::policy::load;
use http::header::{HOST, SET_COOKIE};
use http::{HeaderValue, Request, Response};
use http_body_util::Empty;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use tower::{Layer, Service, service_fn};
use tower_cookie_warden::CookieWardenLayer;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const POLICY: &str = r#"
version = 1

[[cookie]]
name = "sid"
lifetime = "session"

[[cookie]]
name = "saplb_*"
lifetime = "session"
"#;

const ALLOWED: [&str; 3] = [
    "sid=SENTINEL-1; Path=/; Secure; HttpOnly; SameSite=Lax",
    "saplb_a=SENTINEL-2; Path=/; Secure; HttpOnly; SameSite=Strict",
    "saplb_b=SENTINEL-3; Secure; HttpOnly; SameSite=Lax",
];

type Reply = Response<Empty<Bytes>>;

fn request() -> Request<Empty<Bytes>> {
    let mut request = Request::builder()
        .uri("/account/settings")
        .body(Empty::new())
        .unwrap();
    request
        .headers_mut()
        .insert(HOST, HeaderValue::from_static("www.example.com"));
    // A server's URIs share its read buffer: cloning them only counts a reference. A URI parsed
    // from a `&str` here is promoted to shared storage on its first clone, so clone it once now.
    let _ = request.uri().clone();
    request
}

fn response(cookies: &[&'static str]) -> Reply {
    let mut response = Response::new(Empty::new());
    for cookie in cookies {
        response
            .headers_mut()
            .append(SET_COOKIE, HeaderValue::from_static(cookie));
    }
    response
}

/// Allocations made by one exchange through `service`, the request and response built before.
fn allocations<S>(service: &mut S, cookies: &[&'static str], slot: &Rc<RefCell<Option<Reply>>>) -> usize
where
    S: Service<Request<Empty<Bytes>>, Error = Infallible>,
{
    let request = request();
    *slot.borrow_mut() = Some(response(cookies));
    let region = Region::new(GLOBAL);
    let mut future = pin!(service.call(request));
    let Poll::Ready(Ok(response)) = future.as_mut().poll(&mut Context::from_waker(Waker::noop())) else {
        panic!("the upstream answers at once")
    };
    let allocated = region.change().allocations;
    drop(response);
    allocated
}

fn main() {
    the_common_path_allocates_nothing();
    println!("test the_common_path_allocates_nothing ... ok");
}

fn the_common_path_allocates_nothing() {
    let slot: Rc<RefCell<Option<Reply>>> = Rc::default();
    let upstream_slot = Rc::clone(&slot);
    let upstream = service_fn(move |_req: Request<Empty<Bytes>>| {
        ready(Ok::<_, Infallible>(
            upstream_slot.borrow_mut().take().expect("a prepared response"),
        ))
    });
    let policy = load::from_toml_str("alloc.toml", POLICY).unwrap().policy;
    let mut service = CookieWardenLayer::new(policy)
        .served_over_https(true)
        .layer(upstream);

    // The first exchange may set up per-thread state (arc-swap's debt list); not counted.
    allocations(&mut service, &ALLOWED, &slot);

    assert_eq!(
        allocations(&mut service, &[], &slot),
        0,
        "a response without cookies"
    );
    assert_eq!(
        allocations(&mut service, &ALLOWED, &slot),
        0,
        "a response with allowed cookies only"
    );
    assert!(
        allocations(&mut service, &["rogue=SENTINEL-4"], &slot) > 0,
        "the counter counts"
    );
}
