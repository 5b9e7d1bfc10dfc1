//! The request side (`request_cookies`, consent, purge) and the request's origin (forwarding
//! headers, https).

mod common;

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use common::*;
use cookie_warden_core::policy::CompiledPolicy;
use http::{Request, Response};
use http_body_util::Full;
use tower::{Layer, ServiceExt, service_fn};
use tower_cookie_warden::{CookieSource, CookieWardenLayer};

const CONSENT_POLICY: &str = r#"
version = 1

[enforcement]
request_cookies = "strip"

[consent]
cookie = "consent"
format = "list"
honor_gpc = true
purge = true

[[cookie]]
name = "consent"
lifetime = "12 months"
http_only = false

[[cookie]]
name = "sid"
lifetime = "session"

[[cookie]]
name = "_pk_id*"
category = "statistics"
lifetime = "12 months"
http_only = false
"#;

/// What the inner service saw of each request, and the layer's response headers.
struct Seen {
    cookies: Vec<String>,
    response: Response<String>,
    reports: Vec<(CookieSource, String, String, &'static str)>,
}

async fn exchange(layer: CookieWardenLayer, req: Request<Full<Bytes>>, set_cookies: &[&str]) -> Seen {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let reports = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&reports);
    let layer = layer.on_violation(move |report| {
        recorded.lock().unwrap().push((
            report.source,
            String::from_utf8_lossy(report.cookie_name).into_owned(),
            report.violations.to_owned(),
            report.action,
        ));
    });
    let inner_seen = Arc::clone(&seen);
    let cookies: Vec<String> = set_cookies.iter().map(|c| (*c).to_owned()).collect();
    let service = layer.layer(service_fn(move |req: Request<Full<Bytes>>| {
        inner_seen.lock().unwrap().extend(cookie_headers(req.headers()));
        let refs: Vec<&str> = cookies.iter().map(String::as_str).collect();
        let response = response_with(&refs, "");
        async move { Ok::<_, Infallible>(response) }
    }));
    let response = service.oneshot(req).await.unwrap();
    let (parts, body) = response.into_parts();
    let response = Response::from_parts(parts, body_text(body).await);
    let cookies = seen.lock().unwrap().clone();
    let reports = reports.lock().unwrap().clone();
    Seen {
        cookies,
        response,
        reports,
    }
}

fn layer(policy: CompiledPolicy) -> CookieWardenLayer {
    CookieWardenLayer::new(policy)
}

#[tokio::test]
async fn strip_removes_unlisted_cookies_from_every_cookie_header() {
    let req = request(
        "https://www.example/",
        &[
            ("cookie", "sid=SENTINEL-1;rogue=SENTINEL-2; keep_a=SENTINEL-3"),
            ("cookie", "rogue2=SENTINEL-4"),
            ("cookie", "theme=SENTINEL-5;  keep_b=SENTINEL-6"),
        ],
    );
    let seen = exchange(layer(policy(POLICY)), req, &[]).await;
    assert_eq!(
        seen.cookies,
        [
            "sid=SENTINEL-1; keep_a=SENTINEL-3",
            "theme=SENTINEL-5;  keep_b=SENTINEL-6"
        ]
    );
    let stripped: Vec<_> = seen
        .reports
        .iter()
        .map(|(source, name, kinds, action)| (*source, name.as_str(), kinds.as_str(), *action))
        .collect();
    assert_eq!(
        stripped,
        [
            (CookieSource::Request, "rogue", "unlisted", "stripped"),
            (CookieSource::Request, "rogue2", "unlisted", "stripped")
        ]
    );
}

#[tokio::test]
async fn report_traces_but_passes_every_cookie() {
    let req = request(
        "https://www.example/",
        &[("cookie", "sid=SENTINEL-1; rogue=SENTINEL-2")],
    );
    let seen = exchange(
        layer(policy(&POLICY.replace(
            "request_cookies = \"strip\"",
            "request_cookies = \"report\"",
        ))),
        req,
        &[],
    )
    .await;
    assert_eq!(seen.cookies, ["sid=SENTINEL-1; rogue=SENTINEL-2"]);
    assert_eq!(seen.reports.len(), 1);
    assert_eq!(seen.reports[0].1, "rogue");
    assert_eq!(seen.reports[0].3, "reported");
}

#[tokio::test]
async fn pass_leaves_the_cookie_header_alone() {
    let policy = policy(&POLICY.replace("request_cookies = \"strip\"", "request_cookies = \"pass\""));
    let req = request("https://www.example/", &[("cookie", "rogue=SENTINEL-2")]);
    let seen = exchange(layer(policy), req, &[]).await;
    assert_eq!(seen.cookies, ["rogue=SENTINEL-2"]);
    assert!(seen.reports.is_empty());
}

#[tokio::test]
async fn report_only_mode_never_strips_request_cookies() {
    let req = request("https://www.example/", &[("cookie", "rogue=SENTINEL-2")]);
    let seen = exchange(layer(policy_with("mode = \"report-only\"")), req, &[]).await;
    assert_eq!(seen.cookies, ["rogue=SENTINEL-2"]);
    assert_eq!(seen.reports.len(), 1);
    assert_eq!(seen.reports[0].3, "reported");
}

#[tokio::test]
async fn an_emptied_cookie_header_is_removed() {
    let req = request(
        "https://www.example/",
        &[("cookie", "rogue=SENTINEL-2; x=SENTINEL-3")],
    );
    let seen = exchange(layer(policy(POLICY)), req, &[]).await;
    assert!(seen.cookies.is_empty());
}

#[tokio::test]
async fn cookies_of_categories_without_consent_do_not_reach_the_app() {
    let cases = [
        ("consent=necessary; sid=S1; _pk_id.1=SENTINEL-pk", None, false),
        ("sid=S1; _pk_id.1=SENTINEL-pk", None, false),
        (
            "consent=necessary%2Cstatistics; sid=S1; _pk_id.1=SENTINEL-pk",
            None,
            true,
        ),
        (
            "consent=necessary%2Cstatistics; sid=S1; _pk_id.1=SENTINEL-pk",
            Some("1"),
            false,
        ),
    ];
    for (cookie, gpc, statistics_pass) in cases {
        let mut headers = vec![("cookie", cookie)];
        if let Some(gpc) = gpc {
            headers.push(("sec-gpc", gpc));
        }
        let seen = exchange(
            layer(policy(CONSENT_POLICY)),
            request("https://www.example/", &headers),
            &[],
        )
        .await;
        let joined = seen.cookies.join("; ");
        assert_eq!(
            joined.contains("_pk_id.1=SENTINEL-pk"),
            statistics_pass,
            "{cookie} gpc={gpc:?}"
        );
        assert!(joined.contains("sid=S1"), "{cookie}");
    }
}

#[tokio::test]
async fn purge_expires_withdrawn_cookies_the_browser_still_sends() {
    let req = request(
        "https://www.example/",
        &[("cookie", "consent=necessary; _pk_id.1=SENTINEL-pk; sid=S1")],
    );
    let seen = exchange(layer(policy(CONSENT_POLICY)), req, &[]).await;
    let set = set_cookies(seen.response.headers());
    assert_eq!(set.len(), 1, "{set:?}");
    assert!(
        set[0].starts_with("_pk_id.1=;") || set[0].starts_with("_pk_id.1=; "),
        "{set:?}"
    );
    assert!(set[0].contains("Max-Age=0"), "{set:?}");
    assert!(!set[0].contains("SENTINEL"));

    let granted = request(
        "https://www.example/",
        &[("cookie", "consent=statistics; _pk_id.1=SENTINEL-pk")],
    );
    let seen = exchange(layer(policy(CONSENT_POLICY)), granted, &[]).await;
    assert!(set_cookies(seen.response.headers()).is_empty());
}

const CART: &str = "cart=SENTINEL-cart; Max-Age=3600; Secure; HttpOnly; SameSite=Lax";

fn forwarded_request() -> Request<Full<Bytes>> {
    request(
        "/basket",
        &[
            ("host", "10.0.0.7:8080"),
            ("x-forwarded-host", "shop.example"),
            ("x-forwarded-proto", "https"),
        ],
    )
}

#[tokio::test]
async fn forwarded_headers_count_only_when_trusted() {
    // `cart` is allowed only on shop.example, and it is Secure: both come from the forwarding
    // headers.
    let untrusted = exchange(layer(policy(POLICY)), forwarded_request(), &[CART]).await;
    assert!(set_cookies(untrusted.response.headers()).is_empty());
    let trusted = exchange(
        layer(policy(POLICY)).trust_forwarded_headers(true),
        forwarded_request(),
        &[CART],
    )
    .await;
    assert_eq!(set_cookies(trusted.response.headers()), [CART]);
}

#[tokio::test]
async fn the_forwarded_header_is_read_too() {
    let req = request(
        "/",
        &[
            ("host", "internal"),
            (
                "forwarded",
                "for=192.0.2.1;host=shop.example;proto=https, for=10.0.0.1",
            ),
        ],
    );
    let trusted = exchange(layer(policy(POLICY)).trust_forwarded_headers(true), req, &[CART]).await;
    assert_eq!(set_cookies(trusted.response.headers()), [CART]);
}

#[tokio::test]
async fn served_over_https_makes_secure_cookies_stick_over_plain_http() {
    let plain = || request("/", &[("host", "shop.example")]);
    let insecure = exchange(layer(policy(POLICY)), plain(), &[CART]).await;
    assert!(
        set_cookies(insecure.response.headers()).is_empty(),
        "a browser drops Secure cookies over http"
    );
    let https = exchange(layer(policy(POLICY)).served_over_https(true), plain(), &[CART]).await;
    assert_eq!(set_cookies(https.response.headers()), [CART]);
}

#[tokio::test]
async fn a_cookie_hiding_an_unlisted_pair_behind_a_comma_is_stripped_whole() {
    // A framework that splits on `,` reads `tracker` as a cookie of its own: it must not reach it.
    let req = request(
        "https://www.example/",
        &[
            ("cookie", "sid=SENTINEL-1,tracker=SENTINEL-2; theme=SENTINEL-3"),
            ("cookie", "sid=SENTINEL-5, keep_a=SENTINEL-6 ,\t_ga=SENTINEL-7"),
            (
                "cookie",
                "keep_b=\"SENTINEL-8,x=SENTINEL-9\"; keep_c=SENTINEL-10,keep_d=SENTINEL-11",
            ),
        ],
    );
    let seen = exchange(layer(policy(POLICY)), req, &[]).await;
    assert_eq!(
        seen.cookies,
        ["theme=SENTINEL-3", "keep_c=SENTINEL-10,keep_d=SENTINEL-11"]
    );
    let reports: Vec<_> = seen
        .reports
        .iter()
        .map(|(source, name, kinds, action)| (*source, name.as_str(), kinds.as_str(), *action))
        .collect();
    let request = CookieSource::Request;
    // Each stripped pair once, under its own name: what follows its comma is part of its value.
    assert_eq!(
        reports,
        [
            (request, "sid", "hidden_pair", "stripped"),
            (request, "sid", "hidden_pair", "stripped"),
            (request, "keep_b", "hidden_pair", "stripped"),
        ]
    );
}

#[tokio::test]
async fn report_names_the_pair_hiding_others_but_passes_it() {
    let req = request(
        "https://www.example/",
        &[("cookie", "sid=SENTINEL-1,tracker=SENTINEL-2")],
    );
    let seen = exchange(
        layer(policy(&POLICY.replace(
            "request_cookies = \"strip\"",
            "request_cookies = \"report\"",
        ))),
        req,
        &[],
    )
    .await;
    assert_eq!(seen.cookies, ["sid=SENTINEL-1,tracker=SENTINEL-2"]);
    let names: Vec<_> = seen
        .reports
        .iter()
        .map(|r| (r.1.as_str(), r.2.as_str(), r.3))
        .collect();
    assert_eq!(names, [("sid", "hidden_pair", "reported")]);
}

#[tokio::test]
async fn a_consent_list_with_commas_still_passes_and_grants() {
    let req = request(
        "https://www.example/",
        &[(
            "cookie",
            "consent=necessary,statistics; _pk_id.1=SENTINEL-pk; sid=S1",
        )],
    );
    let seen = exchange(layer(policy(CONSENT_POLICY)), req, &[]).await;
    assert_eq!(
        seen.cookies,
        ["consent=necessary,statistics; _pk_id.1=SENTINEL-pk; sid=S1"]
    );
    assert!(seen.reports.is_empty(), "{:?}", seen.reports);
    assert!(set_cookies(seen.response.headers()).is_empty(), "nothing purged");
}

#[tokio::test]
async fn the_hook_hears_of_every_one_of_thousands_of_cookies() {
    let header: Vec<String> = (0..6_790).map(|i| format!("t{i}=SENTINEL")).collect();
    let header = header.join("; ");
    let req = request(
        "https://www.example/",
        &[("cookie", &header), ("cookie", "sid=S1")],
    );
    let seen = exchange(layer(policy(POLICY)), req, &[]).await;
    assert_eq!(seen.cookies, ["sid=S1"]);
    assert_eq!(seen.reports.len(), 6_790);
    assert!(
        seen.reports
            .iter()
            .all(|r| r.2 == "unlisted" && r.3 == "stripped")
    );
}
