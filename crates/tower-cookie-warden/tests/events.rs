//! Events captured as JSON: their fields, their levels, and that no cookie value ever appears in
//! them or in a response body.

mod common;

use std::io;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use common::*;
use http::Request;
use http_body_util::Full;
use serde_json::Value;
use tower::ServiceExt;
use tower_cookie_warden::CookieWarden;

/// Every value used below contains this; none may appear in events or bodies.
const SENTINEL: &str = "SENTINEL";

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl io::Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Installs a JSON subscriber for this thread; events land in the buffer while the guard lives.
fn capture_events() -> (Buffer, tracing::subscriber::DefaultGuard) {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    (buffer, tracing::subscriber::set_default(subscriber))
}

/// Runs one exchange with a JSON subscriber installed; returns the captured output and the body.
async fn capture(toml: &str, req: Request<Full<Bytes>>, cookies: &[&str]) -> (String, String, u16) {
    let (buffer, _guard) = capture_events();

    let service = CookieWarden::new(
        upstream(cookies.iter().map(|c| (*c).to_owned()).collect()),
        policy(toml),
    );
    let response = service.oneshot(req).await.unwrap();
    let status = response.status().as_u16();
    let body = body_text(response.into_body()).await;
    let output = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    (output, body, status)
}

fn events(output: &str) -> Vec<Value> {
    output
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|event| event["message"] == "cookie policy violation")
        .collect()
}

fn by_name<'a>(events: &'a [Value], name: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["cookie.name"] == name)
        .unwrap_or_else(|| panic!("no event for {name}: {events:?}"))
}

#[tokio::test(flavor = "current_thread")]
async fn one_event_per_violating_cookie_with_every_field_and_no_value() {
    let req = request(
        "https://www.example/account?q=SENTINEL-query",
        &[
            ("cookie", "sid=SENTINEL-req-sid; tracker=SENTINEL-req-tracker"),
            ("user-agent", "test"),
        ],
    );
    let cookies = [
        SID_OK,
        "theme=SENTINEL-theme",
        "_ga=SENTINEL-ga; Max-Age=63072000",
        "keep_x=SENTINEL-keep; Secure; HttpOnly; SameSite=Lax",
    ];
    let (output, body, status) = capture(POLICY, req, &cookies).await;
    assert_eq!(status, 200);
    assert!(
        !output.contains(SENTINEL),
        "captured events hold a value:\n{output}"
    );
    assert!(!body.contains(SENTINEL));

    let events = events(&output);
    assert_eq!(
        events.len(),
        3,
        "theme, _ga, and the request's tracker: {events:#?}"
    );
    for event in &events {
        assert_eq!(event["target"], "cookie_warden");
        assert_eq!(event["http.request.method"], "GET");
        assert_eq!(event["url.path"], "/account");
        assert_eq!(event["server.address"], "www.example");
        assert_eq!(event["enforced"], true);
        assert!(
            event.get("scope").is_none(),
            "www.example is in no scope: {event}"
        );
        assert!(
            event.get("consent.cookie").is_none(),
            "the policy has no [consent]: {event}"
        );
        assert!(event.get("error").is_none(), "{event}");
    }

    let theme = by_name(&events, "theme");
    assert_eq!(theme["level"], "INFO");
    assert_eq!(theme["action"], "fixed");
    assert_eq!(theme["cookie.rule"], "theme");
    assert_eq!(theme["cookie.category"], "necessary");
    assert_eq!(theme["cookie.source"], "response");
    assert_eq!(theme["http.response.status_code"], 200);
    let kinds = theme["violation"].as_str().unwrap();
    assert!(kinds.split(',').any(|k| k == "missing_secure"), "{kinds}");
    assert!(kinds.split(',').any(|k| k == "weak_same_site"), "{kinds}");

    let ga = by_name(&events, "_ga");
    assert_eq!(ga["level"], "WARN");
    assert_eq!(ga["action"], "stripped");
    assert_eq!(ga["violation"], "unlisted");
    assert!(ga.get("cookie.rule").is_none());

    let tracker = by_name(&events, "tracker");
    assert_eq!(tracker["cookie.source"], "request");
    assert_eq!(tracker["action"], "stripped");
    assert!(tracker.get("http.response.status_code").is_none());
}

#[tokio::test(flavor = "current_thread")]
async fn levels_come_from_the_events_table_and_report_only_says_so() {
    let toml = POLICY.replace(
        "[enforcement]\n",
        "[events]\nreported = \"error\"\n\n[enforcement]\nmode = \"report-only\"\nunlisted = \"block\"\n",
    );
    let req = request("https://shop.example/", &[]);
    let (output, body, status) = capture(&toml, req, &["_ga=SENTINEL-ga"]).await;
    assert_eq!(status, 200, "report-only does not block");
    assert_eq!(body, "upstream body");
    assert!(!output.contains(SENTINEL));
    let events = events(&output);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["level"], "ERROR");
    assert_eq!(events[0]["action"], "reported");
    assert_eq!(events[0]["enforced"], false);
    assert_eq!(events[0]["scope"], "shop");
}

#[tokio::test(flavor = "current_thread")]
async fn a_blocked_response_and_its_event_name_no_value() {
    let toml = POLICY.replace("[enforcement]\n", "[enforcement]\nunlisted = \"block\"\n");
    let req = request("https://www.example/", &[]);
    let (output, body, status) = capture(&toml, req, &[SID_OK, "_ga=SENTINEL-ga"]).await;
    assert_eq!(status, 500);
    assert!(!output.contains(SENTINEL));
    assert!(!body.contains(SENTINEL));
    let events = events(&output);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["action"], "blocked");
    assert_eq!(events[0]["level"], "WARN");
}

#[tokio::test(flavor = "current_thread")]
async fn consent_state_is_in_the_event() {
    let toml = r#"
version = 1
[consent]
cookie = "consent"
honor_gpc = true

[[cookie]]
name = "_pk_id*"
category = "statistics"
lifetime = "12 months"
http_only = false
"#;
    let req = request(
        "https://www.example/",
        &[("cookie", "consent=statistics"), ("sec-gpc", "1")],
    );
    let (output, _, _) = capture(
        toml,
        req,
        &["_pk_id.1=SENTINEL-pk; Max-Age=3600; Secure; SameSite=Lax"],
    )
    .await;
    assert!(!output.contains(SENTINEL));
    let events = events(&output);
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0]["violation"], "consent_missing");
    assert_eq!(events[0]["cookie.category"], "statistics");
    assert_eq!(events[0]["consent.gpc"], true);
    assert_eq!(events[0]["consent.cookie"], "read");
    assert_eq!(events[0]["consent.granted"], "", "Sec-GPC withdrew statistics");
}

#[tokio::test(flavor = "current_thread")]
async fn thousands_of_request_cookies_make_one_event_per_reason_and_action() {
    // 6,788 unlisted pairs in a 60 kB header, two cookies hiding pairs, one allowed: one event for
    // the unlisted ones, one for the cookies that hid pairs (the hidden ones are never named).
    let mut pairs: Vec<String> = (0..6_788).map(|i| format!("t{i}=SENTINEL-{i}")).collect();
    pairs.push("sid=SENTINEL-a,h1=SENTINEL-b".to_owned());
    pairs.push("theme=SENTINEL-c, h2=SENTINEL-d".to_owned());
    pairs.push("keep_x=SENTINEL-e".to_owned());
    let header = pairs.join("; ");
    assert!(header.len() > 60_000, "{}", header.len());
    let req = request("https://www.example/p", &[("cookie", &header)]);
    let (output, _, status) = capture(POLICY, req, &[SID_OK]).await;
    assert_eq!(status, 200);
    assert!(!output.contains(SENTINEL), "captured events hold a value");
    let events = events(&output);
    assert_eq!(events.len(), 2, "{events:#?}");
    let unlisted = &events[0];
    assert_eq!(unlisted["violation"], "unlisted");
    assert_eq!(unlisted["action"], "stripped");
    assert_eq!(unlisted["level"], "WARN");
    assert_eq!(unlisted["cookie.source"], "request");
    assert_eq!(unlisted["cookie.count"], 6_788);
    assert_eq!(unlisted["cookie.name"], "t0");
    assert_eq!(unlisted["cookie.names"], "t0,t1,t2,t3,t4,t5,t6,t7");
    assert!(unlisted.get("cookie.rule").is_none());
    assert_eq!(unlisted["server.address"], "www.example");
    assert_eq!(unlisted["url.path"], "/p");
    let hiding = &events[1];
    assert_eq!(hiding["violation"], "hidden_pair");
    assert_eq!(hiding["cookie.count"], 2);
    assert_eq!(hiding["cookie.names"], "sid,theme");
    assert!(hiding.get("cookie.rule").is_none(), "two rules: no one rule");
}

#[tokio::test(flavor = "current_thread")]
async fn a_request_event_names_each_name_once_and_its_shared_rule() {
    let req = request(
        "https://www.example/",
        &[("cookie", "cart=SENTINEL-1; cart=SENTINEL-2; cart=SENTINEL-3")],
    );
    // `cart` is allowed in the `shop` scope only; www.example is in none.
    let (output, _, _) = capture(POLICY, req, &[]).await;
    assert!(!output.contains(SENTINEL));
    let events = events(&output);
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0]["violation"], "out_of_scope");
    assert_eq!(events[0]["cookie.count"], 3);
    assert_eq!(events[0]["cookie.names"], "cart");
    assert_eq!(events[0]["cookie.rule"], "cart");
}

#[tokio::test(flavor = "current_thread")]
async fn a_pair_hiding_others_is_reported_by_its_own_name_and_nothing_of_its_value() {
    // `sid`'s value is `SENTINELtok,cart=SENTINELxyz`: a comma-splitting parser reads a `cart`
    // in it (out of scope on www.example). The pair is stripped and reported as `sid`,
    // `hidden_pair`, with `sid`'s rule: neither `cart` (its name, its rule) nor anything else of
    // the value reaches the event, the hook, or the labels the binary's metrics make of it.
    const VALUE_PARTS: [&str; 4] = ["SENTINEL", "tok", "cart", "xyz"];
    let (buffer, _guard) = capture_events();
    let reports = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&reports);
    let layer = tower_cookie_warden::CookieWardenLayer::new(policy(POLICY)).on_violation(move |report| {
        // Every field, and the labels `cookie_warden_violations_total` would carry (with
        // `rule_label = true`): violation kinds, action, scope, source, rule.
        let mut labels: Vec<String> = report.violations.split(',').map(str::to_owned).collect();
        labels.extend([report.action.to_owned(), report.source.as_str().to_owned()]);
        labels.extend(report.scope.map(str::to_owned));
        labels.extend(report.rule.map(str::to_owned));
        recorded.lock().unwrap().push((
            String::from_utf8_lossy(report.cookie_name).into_owned(),
            labels,
            format!("{report:?}"),
        ));
    });
    let service = tower::Layer::layer(&layer, upstream(Vec::new()));
    let req = request(
        "https://www.example/",
        &[("cookie", "sid=SENTINELtok,cart=SENTINELxyz; theme=dark")],
    );
    let response = service.oneshot(req).await.unwrap();
    assert_eq!(response.status(), 200);
    let output = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();

    let reports = reports.lock().unwrap().clone();
    assert_eq!(reports.len(), 1, "{reports:#?}");
    let (name, labels, debug) = &reports[0];
    assert_eq!(name, "sid");
    assert_eq!(labels, &["hidden_pair", "stripped", "request", "sid"]);
    let events = events(&output);
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0]["cookie.name"], "sid");
    assert_eq!(events[0]["cookie.names"], "sid");
    assert_eq!(events[0]["cookie.rule"], "sid");
    assert_eq!(events[0]["violation"], "hidden_pair");
    assert_eq!(events[0]["cookie.count"], 1);
    for part in VALUE_PARTS {
        assert!(!output.contains(part), "{part:?} in the events: {output}");
        assert!(!debug.contains(part), "{part:?} in the hook's report: {debug}");
        assert!(
            !labels.iter().any(|l| l.contains(part)),
            "{part:?} in a label: {labels:?}"
        );
    }
}
