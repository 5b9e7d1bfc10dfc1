//! The response side: order, count, fix, strip, block, report-only, trailers, streaming, the
//! `Date` header, and a policy swapped while requests are in flight.

mod common;

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use common::*;
use cookie_warden_core::decision::Verdict;
use http::header::{CONTENT_TYPE, DATE, SET_COOKIE};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use http_body::Frame;
use http_body_util::{BodyExt, Full};
use tokio::sync::{mpsc, oneshot};
use tower::{Layer, ServiceExt, service_fn};
use tower_cookie_warden::{CookieWarden, CookieWardenLayer, PolicyHandle};

const HTTPS: &str = "https://www.example/";

async fn run(policy: cookie_warden_core::policy::CompiledPolicy, cookies: &[&str]) -> Response<String> {
    let service = CookieWarden::new(
        upstream(cookies.iter().map(|c| (*c).to_owned()).collect()),
        policy,
    );
    let response = service.oneshot(request(HTTPS, &[])).await.unwrap();
    let (parts, body) = response.into_parts();
    Response::from_parts(parts, body_text(body).await)
}

#[tokio::test]
async fn allowed_headers_leave_byte_for_byte_in_order_and_marked_sensitive() {
    let cookies = [
        "keep_a=SENTINEL-a; Secure; HttpOnly; SameSite=Strict",
        "rogue=SENTINEL-r1; Path=/",
        SID_OK,
        "other_rogue=SENTINEL-r2",
        "keep_b=SENTINEL-b;Secure;HttpOnly;SameSite=Lax;Path=/x",
    ];
    let response = run(policy(POLICY), &cookies).await;
    // `keep_b` is allowed but outside the proven subset (no space after `;`): it leaves in
    // canonical form, in its place.
    assert_eq!(
        set_cookies(response.headers()),
        [
            cookies[0],
            cookies[2],
            "keep_b=SENTINEL-b; Path=/x; Secure; HttpOnly; SameSite=Lax"
        ]
    );
    assert!(
        response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .all(HeaderValue::is_sensitive)
    );
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body(), "upstream body");
}

#[tokio::test]
async fn all_allowed_headers_stay_as_they_are() {
    let cookies = [SID_OK, "keep_x=SENTINEL-x; Secure; HttpOnly; SameSite=Lax"];
    let response = run(policy(POLICY), &cookies).await;
    assert_eq!(set_cookies(response.headers()), cookies);
    assert!(
        response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .all(HeaderValue::is_sensitive)
    );
}

#[tokio::test]
async fn fifty_headers_each_judged_in_order() {
    let mut cookies = Vec::new();
    let mut expected = Vec::new();
    for i in 0..50 {
        match i % 5 {
            0 => cookies.push(format!("rogue_{i}=SENTINEL-{i}; Secure; HttpOnly")),
            1 => {
                cookies.push(format!("keep_{i}=SENTINEL-{i}"));
                expected.push(format!("keep_{i}=SENTINEL-{i}; Secure; HttpOnly; SameSite=Lax"));
            }
            _ => {
                let header = format!("keep_{i}=SENTINEL-{i}; Secure; HttpOnly; SameSite=Strict");
                expected.push(header.clone());
                cookies.push(header);
            }
        }
    }
    let refs: Vec<&str> = cookies.iter().map(String::as_str).collect();
    let response = run(policy(POLICY), &refs).await;
    assert_eq!(set_cookies(response.headers()), expected);
    assert_eq!(response.headers().get_all(SET_COOKIE).iter().count(), 40);
}

#[tokio::test]
async fn a_noncompliant_cookie_is_replaced_by_its_canonical_header() {
    let response = run(
        policy(POLICY),
        &["theme=SENTINEL-dark; path=/; samesite=strict; max-age=60"],
    )
    .await;
    assert_eq!(
        set_cookies(response.headers()),
        ["theme=SENTINEL-dark; Path=/; Secure; SameSite=Strict"]
    );
}

#[tokio::test]
async fn noncompliant_strip_removes_instead_of_fixing() {
    let response = run(
        policy_with("noncompliant = \"strip\""),
        &["theme=SENTINEL-dark", SID_OK],
    )
    .await;
    assert_eq!(set_cookies(response.headers()), [SID_OK]);
}

#[tokio::test]
async fn unlisted_cookies_are_stripped() {
    let response = run(policy(POLICY), &["_ga=SENTINEL-ga; Max-Age=63072000"]).await;
    assert!(set_cookies(response.headers()).is_empty());
    assert_eq!(response.body(), "upstream body");
}

#[tokio::test]
async fn a_block_replaces_the_whole_response() {
    let policy = policy_with("unlisted = \"block\"\nblock_status = 503");
    let service = CookieWarden::new(
        service_fn(|_req: Request<Full<Bytes>>| async {
            let mut response = response_with(&[SID_OK, "rogue=SENTINEL-rogue"], "SENTINEL-upstream-body");
            response
                .headers_mut()
                .insert("x-upstream", HeaderValue::from_static("yes"));
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
            Ok::<_, Infallible>(response)
        }),
        policy,
    );
    let response = service.oneshot(request(HTTPS, &[])).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(!response.headers().contains_key(SET_COOKIE));
    assert!(!response.headers().contains_key("x-upstream"));
    assert_eq!(response.headers()[CONTENT_TYPE], "text/plain; charset=utf-8");
    let body = body_text(response.into_body()).await;
    assert!(!body.is_empty() && body.len() < 100, "a short body: {body:?}");
    assert!(!body.contains("SENTINEL"), "the body names no value: {body:?}");
}

#[tokio::test]
async fn report_only_changes_nothing() {
    let policy = policy_with("mode = \"report-only\"\nunlisted = \"block\"");
    let cookies: &[&str] = &["rogue=SENTINEL-1", "theme=SENTINEL-2", SID_OK];
    let service = CookieWarden::new(
        service_fn(move |_req: Request<Full<Bytes>>| async move {
            let mut response = response_with(cookies, "upstream body");
            response
                .headers_mut()
                .append("set-cookie2", HeaderValue::from_static("legacy=1"));
            Ok::<_, Infallible>(response)
        }),
        policy,
    );
    let response = service.oneshot(request(HTTPS, &[])).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(set_cookies(response.headers()), cookies);
    assert_eq!(response.headers()["set-cookie2"], "legacy=1");
    assert_eq!(body_text(response.into_body()).await, "upstream body");
}

#[tokio::test]
async fn set_cookie2_is_removed() {
    let service = CookieWarden::new(
        service_fn(|_req: Request<Full<Bytes>>| async {
            let mut response = response_with(&[SID_OK], "");
            response
                .headers_mut()
                .append("set-cookie2", HeaderValue::from_static("a=1; Version=1"));
            response
                .headers_mut()
                .append("set-cookie2", HeaderValue::from_static("b=1; Version=1"));
            Ok::<_, Infallible>(response)
        }),
        policy(POLICY),
    );
    let response = service.oneshot(request(HTTPS, &[])).await.unwrap();
    assert!(!response.headers().contains_key("set-cookie2"));
    assert_eq!(set_cookies(response.headers()), [SID_OK]);
}

/// `cart` lives at most one hour. Its Expires is 30 minutes after the response's `Date` (in 2030):
/// allowed when measured against `Date`, far too long when measured against today's clock.
#[tokio::test]
async fn expiry_is_measured_against_the_date_header() {
    let cart = "cart=SENTINEL-cart; Expires=Tue, 01 Jan 2030 00:30:00 GMT; Secure; HttpOnly; SameSite=Lax";
    let run_with_date = |date: Option<&'static str>| {
        let service = CookieWarden::new(
            service_fn(move |_req: Request<Full<Bytes>>| async move {
                let mut response = response_with(&[cart], "");
                if let Some(date) = date {
                    response
                        .headers_mut()
                        .insert(DATE, HeaderValue::from_static(date));
                }
                Ok::<_, Infallible>(response)
            }),
            policy(POLICY),
        );
        async move {
            service
                .oneshot(request("https://shop.example/", &[]))
                .await
                .unwrap()
        }
    };
    let with_date = run_with_date(Some("Tue, 01 Jan 2030 00:00:00 GMT")).await;
    assert_eq!(set_cookies(with_date.headers()), [cart]);

    for date in [None, Some("not a date")] {
        let response = run_with_date(date).await;
        assert_eq!(
            set_cookies(response.headers()),
            ["cart=SENTINEL-cart; Max-Age=3600; Secure; HttpOnly; SameSite=Lax"],
            "date {date:?}"
        );
    }
}

/// Class 3 of issue 14: a `Date` that browsers read leniently (`UTC`, a year ago here) is not the
/// time; the clock is, and the Expires leaves as a `Max-Age` against it, so that no reader's
/// lifetime depends on that `Date`.
#[tokio::test]
async fn a_lenient_date_turns_expires_into_max_age_against_the_clock() {
    let clock = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let expires = cookie_warden_core::set_cookie::ImfFixdate(clock + 600);
    let cart: &'static str = Box::leak(
        format!("cart=SENTINEL-cart; Expires={expires}; Secure; HttpOnly; SameSite=Lax").into_boxed_str(),
    );
    let date = cookie_warden_core::set_cookie::ImfFixdate(clock - 365 * 86_400)
        .to_string()
        .replace(" GMT", " UTC");
    let date = HeaderValue::from_str(&date).unwrap();
    let service = CookieWarden::new(
        service_fn(move |_req: Request<Full<Bytes>>| {
            let date = date.clone();
            async move {
                let mut response = response_with(&[cart], "");
                response.headers_mut().insert(DATE, date);
                Ok::<_, Infallible>(response)
            }
        }),
        policy(POLICY),
    );
    let response = service
        .oneshot(request("https://shop.example/", &[]))
        .await
        .unwrap();
    let leaving = set_cookies(response.headers());
    assert_eq!(leaving.len(), 1);
    let rest = leaving[0]
        .strip_prefix("cart=SENTINEL-cart; Max-Age=")
        .unwrap_or_else(|| panic!("{leaving:?}"));
    let (seconds, attributes) = rest.split_once(';').unwrap();
    let seconds: i64 = seconds.parse().unwrap();
    assert!((590..=600).contains(&seconds), "{seconds}");
    assert_eq!(attributes, " Secure; HttpOnly; SameSite=Lax");
}

#[tokio::test]
async fn bodies_stream_frame_by_frame_and_trailers_lose_their_cookies() {
    let (frames, receiver) = mpsc::channel(1);
    let receiver = Arc::new(Mutex::new(Some(receiver)));
    let service = CookieWarden::new(
        service_fn(move |_req: Request<Full<Bytes>>| {
            let body = ChannelBody(receiver.lock().unwrap().take().expect("one request"));
            let mut response = Response::new(body);
            response
                .headers_mut()
                .append(SET_COOKIE, HeaderValue::from_static(SID_OK));
            async move { Ok::<_, Infallible>(response) }
        }),
        policy(POLICY),
    );
    let response = service.oneshot(request(HTTPS, &[])).await.unwrap();
    assert_eq!(set_cookies(response.headers()), [SID_OK]);
    let mut body = response.into_body();

    // Each frame comes out before the next one goes in: nothing is buffered.
    for chunk in ["first chunk", "second chunk", ""] {
        frames
            .send(Frame::data(Bytes::from_static(chunk.as_bytes())))
            .await
            .unwrap();
        let frame = body.frame().await.unwrap().unwrap();
        assert_eq!(frame.into_data().unwrap(), chunk.as_bytes());
    }
    let mut trailers = HeaderMap::new();
    trailers.append(SET_COOKIE, HeaderValue::from_static("late=SENTINEL-late"));
    trailers.append(SET_COOKIE, HeaderValue::from_static(SID_OK));
    trailers.append("grpc-status", HeaderValue::from_static("0"));
    frames.send(Frame::trailers(trailers)).await.unwrap();
    drop(frames);
    let trailers = body.frame().await.unwrap().unwrap().into_trailers().unwrap();
    assert!(!trailers.contains_key(SET_COOKIE));
    assert_eq!(trailers["grpc-status"], "0");
    assert!(body.frame().await.is_none());
}

#[tokio::test]
async fn a_request_keeps_the_policy_it_started_with() {
    let handle = PolicyHandle::new(policy(POLICY));
    let layer = CookieWardenLayer::new(handle.clone());
    let (started_tx, mut started_rx) = mpsc::unbounded_channel::<oneshot::Sender<()>>();
    let service = layer.layer(service_fn(move |_req: Request<Full<Bytes>>| {
        let started = started_tx.clone();
        async move {
            // Tell the test we are in flight, then wait until it lets us answer.
            let (go_tx, go_rx) = oneshot::channel();
            started.send(go_tx).unwrap();
            go_rx.await.unwrap();
            Ok::<_, Infallible>(response_with(&[SID_OK], ""))
        }
    }));

    let in_flight = tokio::spawn(service.clone().oneshot(request(HTTPS, &[])));
    let go = started_rx.recv().await.unwrap();
    // While the first request waits upstream, a policy that lists nothing replaces the old one.
    handle.store(common::policy("version = 1"));
    let after = tokio::spawn(service.oneshot(request(HTTPS, &[])));
    let go_after = started_rx.recv().await.unwrap();
    go.send(()).unwrap();
    go_after.send(()).unwrap();

    let first = in_flight.await.unwrap().unwrap();
    assert_eq!(
        set_cookies(first.headers()),
        [SID_OK],
        "judged by the policy it started with"
    );
    let second = after.await.unwrap().unwrap();
    assert!(
        set_cookies(second.headers()).is_empty(),
        "judged by the new policy"
    );
}

#[tokio::test]
async fn on_decision_sees_every_header_in_order_allowed_ones_included() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let layer = CookieWardenLayer::new(policy(POLICY)).on_decision(move |decision| {
        record.lock().unwrap().push((
            String::from_utf8_lossy(decision.name).into_owned(),
            decision.verdict,
        ));
    });
    let service = layer.layer(upstream(vec![
        SID_OK.to_owned(),
        "rogue=SENTINEL-r".to_owned(),
        "theme=SENTINEL-t".to_owned(),
    ]));
    service.oneshot(request(HTTPS, &[])).await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            ("sid".to_owned(), Verdict::Allow),
            ("rogue".to_owned(), Verdict::Strip),
            ("theme".to_owned(), Verdict::Fix)
        ]
    );
}

#[tokio::test]
async fn headers_that_are_not_utf8_are_judged_as_bytes() {
    // `sid` with a Latin-1 value passes byte for byte; an unlisted name with a Latin-1 byte goes.
    let allowed: &[u8] = b"sid=caf\xe9; Path=/; Secure; HttpOnly; SameSite=Lax";
    let service = CookieWarden::new(
        service_fn(move |_req: Request<Full<Bytes>>| async move {
            let mut response = response_with(&[], "");
            response
                .headers_mut()
                .append(SET_COOKIE, HeaderValue::from_bytes(b"caf\xe9=SENTINEL").unwrap());
            response
                .headers_mut()
                .append(SET_COOKIE, HeaderValue::from_bytes(allowed).unwrap());
            Ok::<_, Infallible>(response)
        }),
        policy(POLICY),
    );
    let response = service.oneshot(request(HTTPS, &[])).await.unwrap();
    let left: Vec<&[u8]> = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(HeaderValue::as_bytes)
        .collect();
    assert_eq!(left, [allowed]);
}
