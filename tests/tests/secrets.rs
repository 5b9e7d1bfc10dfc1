//! No cookie value ever leaves cookie-warden except in the headers it forwards.
//!
//! One test runs a whole suite's worth of traffic with a random sentinel (`SENTINEL-<random>`) in
//! every cookie value: response `Set-Cookie` headers of every kind (allowed, fixed, stripped,
//! blocked, malformed, oversize, ambiguous, consent-missing), request `Cookie` headers under
//! `report` and `strip` (pairs hidden behind commas, and 300 unlisted pairs in one header for the
//! aggregated request event), consent cookies, upstream failures (502, 504) and blocked responses,
//! through proxies logging JSON and text at `trace` level for cookie-warden's targets, with the
//! metrics endpoint on; then the HAR tools (`audit` table and JSON, `discover`, `check`) and
//! `render`. It captures every log line, metrics page, error body, CLI output and rendered page,
//! and proves the sentinel appears in none of them.
//!
//! The exception, by design: `cookie-warden parse` and `cookie-warden eval` print what a browser
//! reads and what would leave, values included (they are tools to inspect headers you hand them);
//! the test asserts that they do, so that the exception stays deliberate.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use cookie_warden_tests::http_client::{self, Reply};
use cookie_warden_tests::upstream::{self, Body, full};
use cookie_warden_tests::{Running, TempDir, binary};
use http::{Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;

const HOST: &str = "app.test";

/// A sentinel no test data holds by chance.
fn sentinel() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("SENTINEL-{:x}{:x}", nanos, std::process::id())
}

fn policy(unlisted: &str, request_cookies: &str) -> String {
    format!(
        r#"version = 1

[enforcement]
mode = "enforce"
unlisted = "{unlisted}"
noncompliant = "fix"
malformed = "strip"
request_cookies = "{request_cookies}"

[[scope]]
id = "app"
hosts = ["{HOST}"]
paths = ["/"]

[consent]
cookie = "consent"
honor_gpc = true
purge = true

[declaration]
path = "/cookies"

[[cookie]]
name = "consent"
lifetime = "1h"
http_only = false

[[cookie]]
name = "sid"
lifetime = "session"

[[cookie]]
name = "pref"
lifetime = "1h"
http_only = false

[[cookie]]
name = "stats"
lifetime = "1h"
category = "statistics"

[[cookie]]
name = "__Host-id"
lifetime = "session"
"#
    )
}

/// Every kind of `Set-Cookie` header, each value carrying the sentinel.
fn set_cookies(s: &str) -> Vec<String> {
    vec![
        format!("sid={s}-allowed; Secure; HttpOnly; SameSite=Lax"),
        format!("pref={s}-fixed; Max-Age=999999"),
        format!("tracker={s}-unlisted; Secure; HttpOnly"),
        format!("__Host-id={s}-prefix; Secure; Path=/admin"),
        format!("sid={s}-{}; Secure", "o".repeat(4100)),
        format!("sid={s}-ambiguous; Max-Age=0; Max-Age=abc; Secure; HttpOnly; SameSite=Lax"),
        format!("stats={s}-consent; Max-Age=60; Secure; HttpOnly; SameSite=Lax"),
        format!("sid={s}-samesite; SameSite=None"),
        format!("pref={s}-deletion; Max-Age=0"),
        format!(
            "sid={s}-bigattr; Secure; HttpOnly; SameSite=Lax; Path=/{}",
            "p".repeat(1100)
        ),
    ]
}

/// The upstream: `/set` answers with every kind of header, `/slow` answers after 3 s.
fn upstream_handler(
    s: String,
) -> impl Fn(Request<Incoming>) -> std::pin::Pin<Box<dyn Future<Output = Response<Body>> + Send>>
+ Clone
+ Send
+ Sync
+ 'static {
    move |request: Request<Incoming>| {
        let s = s.clone();
        Box::pin(async move {
            if request.uri().path() == "/slow" {
                tokio::time::sleep(Duration::from_secs(3)).await;
            }
            let mut response = Response::new(full("page\n"));
            for value in set_cookies(&s) {
                response
                    .headers_mut()
                    .append(header::SET_COOKIE, value.parse().unwrap());
            }
            response
        })
    }
}

async fn send(proxy: &Running, path: &str, cookie: Option<&str>, gpc: bool, http2: bool) -> Reply {
    let mut request = Request::get(proxy.url(path));
    if !http2 {
        // Over HTTP/2 the URL's authority is `:authority`; a `host` naming another host would be
        // malformed (RFC 9113 §8.3.1) and refused.
        request = request.header(header::HOST, HOST);
    }
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    if gpc {
        request = request.header("sec-gpc", "1");
    }
    http_client::send(request.body(Full::new(Bytes::new())).unwrap(), http2).await
}

/// Everything the proxies and tools said, to be searched for the sentinel.
#[derive(Default)]
struct Captured(Vec<(String, String)>);

impl Captured {
    fn add(&mut self, what: impl Into<String>, text: impl Into<String>) {
        self.0.push((what.into(), text.into()));
    }

    fn add_bytes(&mut self, what: impl Into<String>, bytes: &[u8]) {
        self.add(what, String::from_utf8_lossy(bytes).into_owned());
    }

    fn assert_clean(&self, sentinel: &str) {
        assert!(self.0.len() > 20, "too little captured: {}", self.0.len());
        for (what, text) in &self.0 {
            assert!(
                !text.contains(sentinel),
                "{what} holds a cookie value: {}",
                excerpt(text, sentinel)
            );
            // A part of it would do too (a value cut short, or its hex or percent-encoded form).
            assert!(
                !text.contains(&sentinel[..16]),
                "{what} holds part of a cookie value"
            );
        }
    }
}

fn excerpt(text: &str, needle: &str) -> String {
    let at = text.find(needle).unwrap_or(0);
    text.chars()
        .skip(text[..at].chars().count().saturating_sub(200))
        .take(400)
        .collect()
}

fn start_proxy(policy_path: &str, upstream: &str, log_format: &str, extra: &[&str]) -> Running {
    let mut args = vec![
        "proxy",
        "--config",
        policy_path,
        "--upstream",
        upstream,
        "--listen",
        "127.0.0.1:0",
        "--assume-https",
        "--log-format",
        log_format,
        "--metrics-listen",
        "127.0.0.1:0",
        "--upstream-timeout",
        "1s",
        "--no-watch",
    ];
    args.extend_from_slice(extra);
    Running::start(
        &args,
        &[("RUST_LOG", "trace,hyper=info,h2=info,hyper_util=info,tower=info")],
    )
}

/// Runs the binary with `args` and `stdin`; returns (exit code, stdout, stderr).
fn cli(args: &[&str], stdin: &[u8]) -> (Option<i32>, Vec<u8>, Vec<u8>) {
    let mut child = Command::new(binary())
        .args(args)
        .env("RUST_LOG", "trace")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cookie-warden runs");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.code(), out.stdout, out.stderr)
}

fn har(s: &str) -> String {
    let headers: Vec<serde_json::Value> = set_cookies(s)
        .into_iter()
        .map(|v| serde_json::json!({"name": "Set-Cookie", "value": v}))
        .collect();
    let entry = |url: &str| {
        serde_json::json!({
            "startedDateTime": "2024-01-01T00:00:00Z", "time": 1,
            "request": {"method": "GET", "url": url, "httpVersion": "HTTP/1.1",
                "cookies": [{"name": "sid", "value": format!("{s}-request")}],
                "headers": [{"name": "Cookie", "value": format!("sid={s}-request; tracker={s}-request")}],
                "queryString": [], "headersSize": -1, "bodySize": 0},
            "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
                "cookies": [{"name": "sid", "value": format!("{s}-har")}],
                "headers": headers, "content": {"size": 0, "mimeType": "text/plain"},
                "redirectURL": "", "headersSize": -1, "bodySize": 0},
            "cache": {}, "timings": {"send": 0, "wait": 0, "receive": 0}
        })
    };
    serde_json::json!({"log": {"version": "1.2", "creator": {"name": "t", "version": "1"},
        "entries": [entry("https://app.test/"), entry("http://app.test/page"), entry("https://other.test/")]}})
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_cookie_value_reaches_a_log_metric_error_cli_output_or_page() {
    let s = sentinel();
    let dir = TempDir::new();
    let strip_policy = dir.write("strip.toml", &policy("strip", "report"));
    let block_policy = dir.write("block.toml", &policy("block", "strip"));
    let upstream = format!("http://{}", upstream::serve(upstream_handler(s.clone())).await);
    let refused = format!("http://{}", upstream::refused_address());

    let mut captured = Captured::default();
    let proxies = [
        (
            "json strip/report",
            start_proxy(strip_policy.to_str().unwrap(), &upstream, "json", &[]),
        ),
        (
            "text block/strip",
            start_proxy(block_policy.to_str().unwrap(), &upstream, "text", &[]),
        ),
        (
            "json refused",
            start_proxy(strip_policy.to_str().unwrap(), &refused, "json", &[]),
        ),
    ];
    // Pairs hidden behind commas, and enough unlisted pairs for an aggregated request event.
    let many = (0..300)
        .map(|i| format!("t{i}={s}-{i}"))
        .collect::<Vec<_>>()
        .join("; ");
    let cookie_headers = [
        format!("sid={s}-r1; tracker={s}-r2; consent=necessary,statistics,{s}"),
        format!("consent={s}; stats={s}-r3"),
        format!("{s}-nameless; __Host-id={s}-r4"),
        format!("sid={s}-c1,tracker={s}-c2; pref=\"{s}-c3, t2={s}-c4\", {s}-c5"),
        many,
    ];
    for (name, proxy) in &proxies {
        for path in ["/set", "/slow", "/cookies"] {
            for (i, cookie) in cookie_headers.iter().enumerate() {
                for http2 in [false, true] {
                    let reply = send(proxy, path, Some(cookie), i == 1, http2).await;
                    if name.starts_with("json strip") && path == "/set" {
                        // The sentinel does flow: the allowed cookie reaches the client with it.
                        let allowed = format!("sid={s}-allowed; Secure; HttpOnly; SameSite=Lax");
                        assert!(
                            reply.set_cookies().contains(&allowed),
                            "{:?}",
                            reply.set_cookies()
                        );
                    }
                    let what = format!("{name} {path} body ({})", reply.status);
                    captured.add_bytes(what, &reply.body);
                    // Headers other than Set-Cookie (which carry values by purpose).
                    for (header_name, value) in &reply.headers {
                        if header_name != header::SET_COOKIE {
                            captured
                                .add_bytes(format!("{name} {path} header {header_name}"), value.as_bytes());
                        }
                    }
                    if path == "/cookies" {
                        // The declaration page, served by the proxy itself.
                        assert_eq!(reply.status, StatusCode::OK);
                    } else if name.contains("refused") {
                        assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
                    } else if path == "/slow" {
                        assert_eq!(reply.status, StatusCode::GATEWAY_TIMEOUT);
                    } else if name.contains("block") && path == "/set" {
                        assert!(
                            reply.status.is_server_error(),
                            "a blocked response: {}",
                            reply.status
                        );
                    }
                }
            }
        }
        let metrics = proxy.printed("metrics on ").expect("a metrics address");
        let page = http_client::get(&format!("http://{metrics}/metrics"), &metrics.to_string()).await;
        assert!(page.text().contains("cookie_warden_"), "{}", page.text());
        captured.add(format!("{name} metrics"), page.text());
    }
    // Give the proxies a moment to write their last events, then collect all output.
    for (name, proxy) in &proxies {
        proxy.wait_for_log("upstream failure", 0, Duration::from_secs(10));
        captured.add(format!("{name} stderr"), proxy.stderr().join("\n"));
        captured.add(format!("{name} stdout"), proxy.stdout().join("\n"));
    }
    let json_events = proxies[0].1.stderr().len();
    assert!(json_events > 10, "the JSON proxy logged only {json_events} lines");
    assert!(
        proxies[0]
            .1
            .stderr()
            .iter()
            .any(|l| l.contains("cookie policy violation"))
    );
    assert!(
        proxies[1]
            .1
            .stderr()
            .iter()
            .any(|l| l.contains("cookie policy violation"))
    );
    // The aggregated request events were written (and are searched below like every line).
    let aggregated =
        |l: &String| l.contains("\"cookie.count\":300") && l.contains("\"cookie.names\":\"t0,t1,");
    assert!(
        proxies[0].1.stderr().iter().any(aggregated),
        "an aggregated request event"
    );
    assert!(
        proxies[0]
            .1
            .stderr()
            .iter()
            .any(|l| l.contains("\"violation\":\"hidden_pair\"")),
        "a hidden_pair event"
    );

    // The HAR tools, `check` and `render`.
    let har_path = dir.write("traffic.har", &har(&s));
    let (har_path, strip_path) = (har_path.to_str().unwrap(), strip_policy.to_str().unwrap());
    for args in [
        vec!["audit", "--config", strip_path, har_path],
        vec!["audit", "--config", strip_path, "--format", "json", har_path],
        vec!["discover", har_path],
        vec!["check", "--config", strip_path],
        vec!["render", "--config", strip_path],
        vec!["render", "--config", strip_path, "--format", "md", "--lang", "sv"],
        vec!["render", "--config", strip_path, "--format", "json"],
    ] {
        let (code, stdout, stderr) = cli(&args, b"");
        assert!(
            matches!(code, Some(0 | 1)),
            "{args:?}: {}",
            String::from_utf8_lossy(&stderr)
        );
        captured.add_bytes(format!("{args:?} stdout"), &stdout);
        captured.add_bytes(format!("{args:?} stderr"), &stderr);
    }
    captured.assert_clean(&s);

    // The documented exception: parse and eval print values, which is what they are for.
    let input = set_cookies(&s).join("\n");
    let (code, stdout, stderr) = cli(&["parse", "--url", "https://app.test/"], input.as_bytes());
    assert_eq!(code, Some(0), "{}", String::from_utf8_lossy(&stderr));
    assert!(
        String::from_utf8_lossy(&stdout).contains(&s),
        "parse prints values by design"
    );
    assert!(
        !String::from_utf8_lossy(&stderr).contains(&s),
        "but never on stderr"
    );
    let (code, stdout, stderr) = cli(
        &["eval", "--config", strip_path, "--url", "https://app.test/"],
        input.as_bytes(),
    );
    assert_eq!(code, Some(0), "{}", String::from_utf8_lossy(&stderr));
    assert!(
        String::from_utf8_lossy(&stdout).contains(&s),
        "eval prints the fixed headers by design"
    );
    assert!(
        !String::from_utf8_lossy(&stderr).contains(&s),
        "but never on stderr"
    );
}
