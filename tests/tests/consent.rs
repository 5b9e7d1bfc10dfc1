//! End-to-end tests of consent: the real binary with `config/fora-consent.toml` between a real
//! upstream and a real client, all on 127.0.0.1 with OS-chosen ports; and `demo --policy consent`,
//! whose "accept" and "decline" links set the consent cookie. Every wait is bounded.

use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use cookie_warden_tests::http_client::{self, Reply};
use cookie_warden_tests::upstream::{self, Body, full};
use cookie_warden_tests::{Running, binary, workspace_file};
use http::{Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;

/// Every cookie value the upstream sends or the client holds carries this, so that tests can
/// prove no value leaks into logs.
const SENTINEL: &str = "SENTINEL5c1e";

/// The e-services host of `config/fora-consent.toml` (scope `e-services`, where the Application
/// Insights statistics cookies live).
const ESERVICES: &str = "etjanster.fora.se";

/// How long to wait for a log line.
const LOG_WAIT: Duration = Duration::from_secs(20);

/// The consent cookie granting statistics, as the banner writes it (percent-encoded comma).
const GRANTED: &str = "cookie_consent=necessary%2Cstatistics";

/// The upstream: every page sets the e-services' statistics cookies and one functional cookie
/// (which needs no consent in this policy), and answers with the names of the cookies it
/// received, one per line (never values).
async fn handle(request: Request<Incoming>) -> Response<Body> {
    let received: Vec<String> = request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("").split(';'))
        .filter_map(|pair| pair.split('=').next())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .collect();
    let mut response = Response::new(full(received.join("\n")));
    for value in [
        format!("ai_session={SENTINEL}-s; Path=/; Max-Age=1800; Secure; SameSite=Lax"),
        format!("ai_user={SENTINEL}-u; Path=/; Max-Age=31536000; Secure; SameSite=Lax"),
        format!("i18next={SENTINEL}-i; Path=/; Secure; SameSite=Lax"),
    ] {
        response
            .headers_mut()
            .append(header::SET_COOKIE, value.parse().unwrap());
    }
    response
}

/// The proxy with `config/fora-consent.toml` in front of [`handle`]; `request_cookies = "strip"`
/// from the environment, so that the upstream's answer shows the request side too.
async fn start_proxy() -> Running {
    let upstream = upstream::serve(handle).await;
    let config = workspace_file("config/fora-consent.toml");
    Running::start(
        &[
            "proxy",
            "--config",
            config.to_str().unwrap(),
            "--upstream",
            &format!("http://{upstream}"),
            "--listen",
            "127.0.0.1:0",
            "--assume-https",
            "--log-format",
            "json",
        ],
        &[("COOKIE_WARDEN_ENFORCEMENT__REQUEST_COOKIES", "strip")],
    )
}

/// `GET path` on the e-services host with the given `Cookie` header and `Sec-GPC`.
async fn visit(proxy: &Running, path: &str, cookie: &str, gpc: bool) -> Reply {
    let mut request = Request::get(proxy.url(path)).header(header::HOST, ESERVICES);
    if !cookie.is_empty() {
        request = request.header(header::COOKIE, cookie);
    }
    if gpc {
        request = request.header("sec-gpc", "1");
    }
    http_client::send(request.body(Full::new(Bytes::new())).unwrap(), false).await
}

/// The cookie names the upstream received.
fn received(reply: &Reply) -> Vec<String> {
    reply.text().lines().map(str::to_owned).collect()
}

/// The `Set-Cookie` values that set (not expire) a cookie.
fn stored(reply: &Reply) -> Vec<String> {
    reply
        .set_cookies()
        .into_iter()
        .filter(|c| !c.contains("Max-Age=0"))
        .map(|c| http_client::cookie_name(&c).to_owned())
        .collect()
}

/// The `Set-Cookie` values that expire a cookie (`Max-Age=0`).
fn expired(reply: &Reply) -> Vec<String> {
    reply
        .set_cookies()
        .into_iter()
        .filter(|c| c.contains("Max-Age=0"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn statistics_cookies_wait_for_consent_and_gpc_withdraws_and_purges_them() {
    let proxy = start_proxy().await;
    let held = format!("ai_user={SENTINEL}-held; i18next={SENTINEL}-i");

    // No consent cookie: the statistics cookies are stripped both ways; the one the browser
    // still holds is expired (purge), the functional one passes.
    let none = visit(&proxy, "/app/page", &held, false).await;
    assert_eq!(none.status, StatusCode::OK);
    assert_eq!(stored(&none), ["i18next"], "{:?}", none.set_cookies());
    assert_eq!(received(&none), ["i18next"]);
    let purged = expired(&none);
    assert!(!purged.is_empty(), "{:?}", none.set_cookies());
    for deletion in &purged {
        assert!(deletion.starts_with("ai_user=; Path=/"), "{deletion}");
        assert!(deletion.contains("; Secure"), "{deletion}");
    }
    // The rule has no Path: the deletion covers `/` and the request's default path.
    assert!(
        purged.iter().any(|d| d.starts_with("ai_user=; Path=/;")),
        "{purged:?}"
    );
    assert!(
        purged.iter().any(|d| d.starts_with("ai_user=; Path=/app;")),
        "{purged:?}"
    );

    // Consent granted: they pass both ways, nothing is expired.
    let granted = visit(&proxy, "/app/page", &format!("{GRANTED}; {held}"), false).await;
    assert_eq!(
        stored(&granted),
        ["ai_session", "ai_user", "i18next"],
        "{:?}",
        granted.set_cookies()
    );
    assert_eq!(received(&granted), ["cookie_consent", "ai_user", "i18next"]);
    assert!(expired(&granted).is_empty(), "{:?}", granted.set_cookies());

    // The same consent with Sec-GPC: 1: withdrawn again, and purged.
    let gpc = visit(&proxy, "/", &format!("{GRANTED}; {held}"), true).await;
    assert_eq!(stored(&gpc), ["i18next"], "{:?}", gpc.set_cookies());
    assert_eq!(received(&gpc), ["cookie_consent", "i18next"]);
    assert_eq!(
        expired(&gpc),
        ["ai_user=; Path=/; Max-Age=0; Secure; SameSite=Lax"]
    );

    // The events name the category and the consent state (GPC applied), never a value.
    // Events of one request are written one line at a time: wait for the very event asserted on,
    // not merely the first line that mentions GPC.
    let is_gpc_event = |e: &serde_json::Value| {
        e["message"] == "cookie policy violation"
            && e["cookie.name"] == "ai_session"
            && e["consent.gpc"] == true
    };
    let events = proxy.wait_for_event(is_gpc_event, 0, LOG_WAIT);
    let gpc_event = events
        .iter()
        .find(|e| is_gpc_event(e))
        .unwrap_or_else(|| panic!("a GPC event for ai_session in {events:?}"));
    assert_eq!(gpc_event["violation"], "consent_missing");
    assert_eq!(gpc_event["action"], "stripped");
    assert_eq!(gpc_event["cookie.category"], "statistics");
    assert_eq!(gpc_event["consent.cookie"], "read");
    assert_eq!(gpc_event["scope"], "e-services");
    let absent = events
        .iter()
        .find(|e| e["cookie.name"] == "ai_user" && e["consent.cookie"] == "absent")
        .unwrap_or_else(|| panic!("an event for ai_user without consent in {events:?}"));
    assert_eq!(absent["cookie.category"], "statistics");
    for line in proxy.stderr().iter().chain(proxy.stdout().iter()) {
        assert!(!line.contains(SENTINEL), "a cookie value leaked: {line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_malformed_or_refusing_consent_cookie_grants_nothing() {
    let proxy = start_proxy().await;
    for cookie in [
        "cookie_consent=necessary",
        "cookie_consent=",
        "cookie_consent=statistics%2",
        "cookie_consent={\"statistics\":true}",
        "cookie_consent=yes",
        // Another cookie's value naming the category grants nothing.
        "consent=statistics",
    ] {
        let reply = visit(&proxy, "/", cookie, false).await;
        assert_eq!(stored(&reply), ["i18next"], "{cookie}: {:?}", reply.set_cookies());
    }
    // Names are percent-decoded, trimmed and compared case-insensitively.
    let reply = visit(&proxy, "/", "cookie_consent=%20Statistics%20", false).await;
    assert_eq!(stored(&reply), ["ai_session", "ai_user", "i18next"]);
}

#[test]
fn fora_consent_loads_without_a_warning() {
    let config = workspace_file("config/fora-consent.toml");
    let output = Command::new(binary())
        .args(["check", "--config", config.to_str().unwrap()])
        .output()
        .expect("cookie-warden check runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("consent cookie `cookie_consent`, 0 warnings"),
        "{stdout}{stderr}"
    );
    assert!(!stderr.contains("warning"), "{stderr}");
}

/// `GET path` on the demo with an optional `Cookie` header.
async fn demo_get(demo: &Running, path: &str, cookie: Option<&str>) -> Reply {
    let mut request = Request::get(demo.url(path));
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    http_client::send(request.body(Full::new(Bytes::new())).unwrap(), false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_consent_demo_links_set_the_consent_cookie() {
    let demo = Running::start(&["demo", "--policy", "consent", "--listen", "127.0.0.1:0"], &[]);
    let home = demo_get(&demo, "/", None).await;
    let page = home.text();
    assert!(page.contains("href=\"/consent/accept\""), "{page}");
    assert!(page.contains("href=\"/consent/decline\""), "{page}");
    assert!(
        page.contains("<code>ai_session</code>, <code>ai_user</code>"),
        "{page}"
    );

    let accept = demo_get(&demo, "/consent/accept", None).await;
    assert_eq!(accept.status, StatusCode::SEE_OTHER);
    let set = accept
        .set_cookie("cookie_consent")
        .expect("the consent cookie is set");
    let pair = set.split(';').next().unwrap().to_owned();
    assert_eq!(pair, "cookie_consent=necessary%2Cstatistics%2Cmarketing");
    let decline = demo_get(&demo, "/consent/decline", None).await;
    let declined = decline
        .set_cookie("cookie_consent")
        .expect("the consent cookie is set");
    assert!(declined.starts_with("cookie_consent=necessary;"), "{declined}");

    // The e-services page sets its statistics cookies only once accepted; after declining, the
    // ones the browser holds are expired.
    let before = demo_get(&demo, "/e-services/", None).await;
    assert!(
        !before.set_cookie_names().iter().any(|n| n.starts_with("ai_")),
        "{:?}",
        before.set_cookies()
    );
    let after = demo_get(&demo, "/e-services/", Some(&pair)).await;
    for name in ["ai_session", "ai_user"] {
        assert!(
            after.set_cookie(name).is_some(),
            "{name}: {:?}",
            after.set_cookies()
        );
    }
    let withdrawn = demo_get(
        &demo,
        "/e-services/",
        Some("cookie_consent=necessary; ai_session=demo; ai_user=demo"),
    )
    .await;
    for name in ["ai_session", "ai_user"] {
        let deletion = withdrawn.set_cookie(name).unwrap_or_default();
        assert!(
            deletion.contains("Max-Age=0"),
            "{name}: {:?}",
            withdrawn.set_cookies()
        );
    }
    // The public area's page never overwrites the visitor's choice.
    let public = demo_get(&demo, "/public/", Some(&pair)).await;
    assert!(
        public.set_cookie("cookie_consent").is_none(),
        "{:?}",
        public.set_cookies()
    );
    assert!(
        public.set_cookie("_pk_testcookie").is_some(),
        "{:?}",
        public.set_cookies()
    );
}
