//! Parser-differential attacks through the real proxy binary: an upstream (a raw TCP server, so
//! that it can send bytes no HTTP library would) answers with crafted `Set-Cookie` headers; each
//! test asserts exactly which headers reach the client, byte for byte, and that every header that
//! arrives is read by the core parser as the policy intended: accepted by a browser, unambiguous,
//! and allowed as it stands (`decide` says `allow`) under the same policy.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use cookie_warden_core::decision::Verdict;
use cookie_warden_core::policy::CompiledPolicy;
use cookie_warden_core::policy::load::from_toml_str;
use cookie_warden_core::request::{RequestContext, RequestUrl};
use cookie_warden_core::set_cookie::parse;
use cookie_warden_tests::http_client::{self, Reply};
use cookie_warden_tests::{Running, TempDir};
use http::{StatusCode, header};

/// The host every request is judged as (the proxy runs with `--assume-https`).
const HOST: &str = "app.test";

/// The policy under attack: four cookies on one scope, everything else stripped, fixes allowed.
const POLICY: &str = r#"
version = 1

[enforcement]
mode = "enforce"
unlisted = "strip"
noncompliant = "fix"
malformed = "strip"
deletions = "allow"

[[scope]]
id = "app"
hosts = ["app.test"]
paths = ["/"]

[[cookie]]
name = "sid"
lifetime = "session"

[[cookie]]
name = "pref"
lifetime = "1h"
http_only = false

[[cookie]]
name = "__Host-id"
lifetime = "session"

[[cookie]]
name = "__Secure-tok"
lifetime = "1d"
"#;

/// How many connections the raw upstream serves before it stops.
const UPSTREAM_CONNECTIONS: usize = 16;
/// How long the raw upstream waits for connections at most, when its test never ends it (the
/// proxy binary may be built first, which takes minutes on a loaded machine).
const UPSTREAM_LIFETIME: Duration = Duration::from_secs(900);

/// A raw HTTP/1.1 upstream on 127.0.0.1 that answers every request with `200 OK`, the given
/// `Set-Cookie` header values written verbatim, and `Connection: close`. Bounded in connections
/// and time; it stops when `stop` is set.
fn raw_upstream(set_cookies: &[&[u8]], stop: Arc<AtomicBool>) -> SocketAddr {
    let mut head =
        b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 3\r\nconnection: close\r\n".to_vec();
    for value in set_cookies {
        head.extend_from_slice(b"set-cookie: ");
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\nok\n");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the raw upstream");
    let address = listener.local_addr().expect("raw upstream address");
    listener.set_nonblocking(true).expect("non-blocking listener");
    std::thread::spawn(move || {
        let deadline = Instant::now() + UPSTREAM_LIFETIME;
        let mut served = 0;
        while served < UPSTREAM_CONNECTIONS && Instant::now() < deadline && !stop.load(Ordering::Relaxed) {
            let Ok((mut stream, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            };
            served += 1;
            let _ = stream.set_nonblocking(false);
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 1 << 20 {
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buffer[..n]),
                }
            }
            let _ = stream.write_all(&head);
            let _ = stream.flush();
        }
    });
    address
}

/// A proxy in front of a raw upstream that sends `set_cookies`.
struct Attack {
    proxy: Running,
    _dir: TempDir,
    stop: Arc<AtomicBool>,
}

impl Drop for Attack {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Attack {
    fn start(set_cookies: &[&[u8]]) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let upstream = raw_upstream(set_cookies, Arc::clone(&stop));
        let dir = TempDir::new();
        let policy = dir.write("policy.toml", POLICY);
        let upstream = format!("http://{upstream}");
        let proxy = Running::start(
            &[
                "proxy",
                "--config",
                policy.to_str().unwrap(),
                "--upstream",
                &upstream,
                "--listen",
                "127.0.0.1:0",
                "--assume-https",
                "--log-format",
                "json",
                "--no-watch",
            ],
            &[],
        );
        Self {
            proxy,
            _dir: dir,
            stop,
        }
    }

    async fn get(&self) -> Reply {
        http_client::get(&self.proxy.url("/page"), HOST).await
    }
}

fn compiled() -> CompiledPolicy {
    from_toml_str("attacks.toml", POLICY)
        .expect("the attack policy loads")
        .policy
}

/// The `Set-Cookie` values that reached the client, as bytes, in order.
fn received(reply: &Reply) -> Vec<Vec<u8>> {
    reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.as_bytes().to_vec())
        .collect()
}

/// Asserts that exactly `expected` reached the client, and that each is read by the core parser as
/// the policy intended: accepted, unambiguous, and allowed as it stands.
fn assert_exactly(attack: &Attack, reply: &Reply, expected: &[&[u8]]) {
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}{:#?}",
        reply.text(),
        attack.proxy.stderr()
    );
    let got = received(reply);
    let shown = |list: &[Vec<u8>]| {
        list.iter()
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        got,
        expected.iter().map(|v| v.to_vec()).collect::<Vec<_>>(),
        "received {:?}",
        shown(&got)
    );
    let policy = compiled();
    let url = RequestUrl {
        secure: true,
        host: HOST,
        path: "/page",
    };
    let request = RequestContext {
        url,
        method: "GET",
        gpc: false,
        consent_cookie: None,
    };
    let judge = policy.judge(&request);
    for header in &got {
        let cookie = parse(header, &url);
        let text = String::from_utf8_lossy(header);
        assert_eq!(cookie.rejection, None, "a browser drops {text}");
        assert!(cookie.ambiguities.is_empty(), "browsers read {text} differently");
        let decision = judge.decide(header, 1_700_000_000);
        assert_eq!(
            decision.verdict,
            Verdict::Allow,
            "{text} is not allowed as it stands: {}",
            decision.violation_list()
        );
    }
}

fn repeat(byte: u8, n: usize) -> String {
    String::from_utf8(vec![byte; n]).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comma_joined_cookies_stay_one_cookie() {
    let attack = Attack::start(&[
        b"sid=a, pref=b",
        b"sid=1; Secure; HttpOnly; SameSite=Lax, _ga=2; Path=/",
        b"_ga=1, sid=2; Secure; HttpOnly; SameSite=Lax",
    ]);
    let reply = attack.get().await;
    // The browser reads one cookie named `sid` whose value holds the comma; `pref` and `_ga` are
    // never cookies of their own. The first lacks every attribute (fixed); in the second the comma
    // makes SameSite `Lax, _ga=2`, which is no SameSite at all (fixed to Lax); the third is `_ga`.
    assert_exactly(
        &attack,
        &reply,
        &[
            b"sid=a, pref=b; Secure; HttpOnly; SameSite=Lax",
            b"sid=1; Path=/; Secure; HttpOnly; SameSite=Lax",
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_attributes_are_read_as_the_last_one() {
    let attack = Attack::start(&[
        b"sid=1; Secure; HttpOnly; SameSite=Lax; SameSite=None",
        b"pref=1; Max-Age=60; Max-Age=7200; Secure; SameSite=Lax",
        b"pref=2; Expires=Wed, 01 Jan 2020 00:00:00 GMT; Expires=Wed, 01 Jan 2220 00:00:00 GMT; Secure; SameSite=Lax",
        b"sid=2; Domain=evil.test; Domain=app.test; Secure; HttpOnly; SameSite=Lax",
        b"sid=3; Path=/; Path=/admin; Secure; HttpOnly; SameSite=Lax",
    ]);
    let reply = attack.get().await;
    assert_exactly(
        &attack,
        &reply,
        &[
            b"sid=1; Secure; HttpOnly; SameSite=Lax",
            b"pref=1; Max-Age=3600; Secure; SameSite=Lax",
            b"pref=2; Max-Age=3600; Secure; SameSite=Lax",
            b"sid=2; Secure; HttpOnly; SameSite=Lax",
            // Path=/admin (the last) lies inside the rule's `/`: allowed, but two Paths lie outside
            // the proven subset, so it leaves canonical with the one Path browsers apply.
            b"sid=3; Path=/admin; Secure; HttpOnly; SameSite=Lax",
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_age_minus_sign_alone_is_no_max_age() {
    let attack = Attack::start(&[
        b"pref=1; Max-Age=-; Secure; SameSite=Lax",
        b"pref=2; Max-Age=-1; Secure; SameSite=Lax",
        b"pref=3; Max-Age=+60; Secure; SameSite=Lax",
    ]);
    let reply = attack.get().await;
    // `-` is no number: a session cookie, which a 1h rule fixes to the allowed maximum. `-1` is a
    // deletion: it leaves as the canonical deletion (empty value, `Max-Age=0`). `+60`: the draft ignores it, Chromium reads 60; the canonical form says 3600.
    assert_exactly(
        &attack,
        &reply,
        &[
            b"pref=1; Max-Age=3600; Secure; SameSite=Lax",
            b"pref=; Max-Age=0; Secure; SameSite=Lax",
            b"pref=3; Max-Age=3600; Secure; SameSite=Lax",
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attribute_values_over_1024_bytes_are_left_out() {
    let long_path = format!(
        "sid=1; Path=/{}; Secure; HttpOnly; SameSite=Lax",
        repeat(b'p', 1100)
    );
    let long_domain = format!(
        "sid=2; Domain={}.app.test; Secure; HttpOnly; SameSite=Lax",
        repeat(b'd', 1100)
    );
    let long_unknown = format!("sid=3; Secure; HttpOnly; SameSite=Lax; X={}", repeat(b'x', 1100));
    let attack = Attack::start(&[
        long_path.as_bytes(),
        long_domain.as_bytes(),
        long_unknown.as_bytes(),
    ]);
    let reply = attack.get().await;
    assert_exactly(
        &attack,
        &reply,
        &[
            b"sid=1; Secure; HttpOnly; SameSite=Lax",
            b"sid=2; Secure; HttpOnly; SameSite=Lax",
            b"sid=3; Secure; HttpOnly; SameSite=Lax",
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn name_and_value_over_4096_bytes_are_stripped() {
    let over = format!("sid={}; Secure; HttpOnly; SameSite=Lax", repeat(b'v', 4094));
    let at_limit = format!("sid={}; Secure; HttpOnly; SameSite=Lax", repeat(b'v', 4093));
    let attack = Attack::start(&[over.as_bytes(), at_limit.as_bytes()]);
    let reply = attack.get().await;
    // 3 + 4094 = 4097 bytes of name and value: a browser drops it, so does the proxy.
    assert_exactly(&attack, &reply, &[at_limit.as_bytes()]);
    let oversize = |e: &serde_json::Value| e["cookie.name"] == "sid" && e["violation"] == "oversize";
    let events = attack.proxy.wait_for_event(oversize, 0, Duration::from_secs(20));
    assert!(events.iter().any(oversize), "an oversize event: {events:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_bytes_fail_closed_and_non_utf8_bytes_are_judged_as_bytes() {
    let attack = Attack::start(&[
        b"sid=\xff\xfe; Secure; HttpOnly; SameSite=Lax",
        b"\xc3\xa9t\xc3\xa9=1; Secure; HttpOnly; SameSite=Lax",
        b"pref=\x80; Max-Age=60; Secure; SameSite=Lax; Path=/\xe2\x80",
    ]);
    let reply = attack.get().await;
    assert_exactly(
        &attack,
        &reply,
        &[
            b"sid=\xff\xfe; Secure; HttpOnly; SameSite=Lax",
            // Bytes outside the proven subset (a non-ASCII Path): canonical, attributes in order.
            b"pref=\x80; Path=/\xe2\x80; Max-Age=60; Secure; SameSite=Lax",
        ],
    );
    for control in [
        &b"sid=a\x01b; Secure; HttpOnly; SameSite=Lax"[..],
        b"sid=1\x7f; Secure; HttpOnly; SameSite=Lax",
        b"sid=1; Secure\x00; HttpOnly",
    ] {
        let attack = Attack::start(&[control, b"pref=ok; Max-Age=60; Secure; SameSite=Lax"]);
        let reply = attack.get().await;
        // hyper refuses a response head with a control byte in a header value: the whole
        // response fails closed as 502 with an event, no header of it passes.
        assert_eq!(
            reply.status,
            StatusCode::BAD_GATEWAY,
            "{:?}",
            String::from_utf8_lossy(control)
        );
        assert!(received(&reply).is_empty());
        assert!(
            attack
                .proxy
                .wait_for_log("upstream failure", 0, Duration::from_secs(20))
                .is_some()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unicode_whitespace_around_names_makes_other_names() {
    let attack = Attack::start(&[
        "\u{a0}sid=1; Secure; HttpOnly; SameSite=Lax".as_bytes(),
        "sid\u{3000}=2; Secure; HttpOnly; SameSite=Lax".as_bytes(),
        "\u{2003}pref=3; Max-Age=60; Secure; SameSite=Lax".as_bytes(),
        "\u{feff}sid=4; Secure; HttpOnly; SameSite=Lax".as_bytes(),
        b" sid=5; Secure; HttpOnly; SameSite=Lax",
    ]);
    let reply = attack.get().await;
    // Browsers trim only SP and HTAB: a name with NBSP, U+3000, U+2003 or a BOM around it is
    // another name, which no rule lists. (The leading SP is HTTP whitespace: gone before judging.)
    assert_exactly(&attack, &reply, &[b"sid=5; Secure; HttpOnly; SameSite=Lax"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_prefix_case_variants_are_held_to_the_prefix_rules() {
    let attack = Attack::start(&[
        b"__host-id=1; Secure; HttpOnly; SameSite=Lax",
        b"__HOST-id=2; Secure; HttpOnly; SameSite=Lax; Path=/; Domain=app.test",
        b"__Host-id=3; Secure; HttpOnly; SameSite=Lax; Path=/",
        b"__HoSt-id=4; Secure; HttpOnly; SameSite=Lax; Path=/",
        b"__SECURE-tok=5; HttpOnly; SameSite=Lax; Max-Age=60",
        b"__Secure-tok=6; Secure; HttpOnly; SameSite=Lax; Max-Age=60",
    ]);
    let reply = attack.get().await;
    // Browsers check the prefixes case-insensitively, and so does the policy's name matching: the
    // rule `__Host-id` covers `__host-id` and `__HoSt-id`, which browsers hold to the same
    // prefix requirements. `__host-id` without a Path attribute (draft-22 §5.7 and Chromium 156
    // drop it), `__HOST-id` with a Domain and `__SECURE-tok` without Secure are dropped by browsers
    // and stripped.
    assert_exactly(
        &attack,
        &reply,
        &[
            b"__Host-id=3; Secure; HttpOnly; SameSite=Lax; Path=/",
            b"__HoSt-id=4; Secure; HttpOnly; SameSite=Lax; Path=/",
            b"__Secure-tok=6; Secure; HttpOnly; SameSite=Lax; Max-Age=60",
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nameless_cookies_carrying_a_prefix_are_stripped() {
    let attack = Attack::start(&[
        b"=__Host-id=1; Secure; Path=/",
        b"__Secure-tok; Secure",
        b"=__Secure-tok=2; Secure; HttpOnly; SameSite=Lax",
        b"=sid=3; Secure; HttpOnly; SameSite=Lax",
    ]);
    let reply = attack.get().await;
    // Each is a nameless cookie (a browser would send `__Host-id=1`, shadowing the real one); the
    // prefixed ones are rejected by the draft, and no rule lists the empty name.
    assert_exactly(&attack, &reply, &[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_attributes_and_quoted_values_are_plain_bytes() {
    let attack = Attack::start(&[
        b"$Version=1; sid=\"abc\"; Secure; HttpOnly; SameSite=Lax",
        b"sid=\"a;b\"; Secure; HttpOnly; SameSite=Lax",
        b"sid=\"quoted\"; $Path=/; Secure; HttpOnly; SameSite=Lax",
    ]);
    let reply = attack.get().await;
    // `$Version` is a cookie name (unlisted); quotes are part of the value and do not protect a
    // `;`: the second sets `sid="a` with an unknown attribute `b"` (ignored); both lie outside the
    // proven subset (an unbalanced quote, unknown attributes) and leave canonical, without them.
    assert_exactly(
        &attack,
        &reply,
        &[
            b"sid=\"a; Secure; HttpOnly; SameSite=Lax",
            b"sid=\"quoted\"; Secure; HttpOnly; SameSite=Lax",
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_set_cookie_headers_are_each_judged_in_order() {
    let mut sent: Vec<Vec<u8>> = Vec::new();
    let mut expected: Vec<Vec<u8>> = Vec::new();
    for i in 0..60 {
        match i % 3 {
            0 => {
                let header = format!("sid={i}; Secure; HttpOnly; SameSite=Lax").into_bytes();
                expected.push(header.clone());
                sent.push(header);
            }
            1 => {
                sent.push(format!("pref={i}; Max-Age=86400").into_bytes());
                expected.push(format!("pref={i}; Max-Age=3600; Secure; SameSite=Lax").into_bytes());
            }
            _ => sent.push(format!("tracker{i}={i}; Secure; HttpOnly; SameSite=Lax").into_bytes()),
        }
    }
    let attack = Attack::start(&sent.iter().map(Vec::as_slice).collect::<Vec<_>>());
    let reply = attack.get().await;
    assert_exactly(
        &attack,
        &reply,
        &expected.iter().map(Vec::as_slice).collect::<Vec<_>>(),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_set_cookie_headers_fail_closed_in_bounded_time_and_memory() {
    let headers: Vec<Vec<u8>> = (0..10_000)
        .map(|i| format!("sid={i}; Secure; HttpOnly; SameSite=Lax").into_bytes())
        .collect();
    let attack = Attack::start(&headers.iter().map(Vec::as_slice).collect::<Vec<_>>());
    let before = attack.proxy.memory_kib("VmRSS");
    // Bounded in time: the client gives up after `http_client::REQUEST_TIMEOUT`.
    let reply = attack.get().await;
    // Too many headers for one response head (hyper's limit): nothing of it is passed unjudged;
    // the client gets 502 and the proxy logs an upstream failure.
    assert_eq!(reply.status, StatusCode::BAD_GATEWAY, "{}", reply.text());
    assert!(received(&reply).is_empty());
    let event = attack
        .proxy
        .wait_for_log("upstream failure", 0, Duration::from_secs(20))
        .expect("an upstream failure event");
    assert!(event.contains("broken"), "{event}");
    let after = attack.proxy.memory_kib("VmHWM");
    assert!(
        after < before + 64 * 1024,
        "memory grew from {before} KiB to a peak of {after} KiB"
    );
    // And the proxy keeps serving: the next answer of the same upstream fails the same way.
    assert_eq!(attack.get().await.status, StatusCode::BAD_GATEWAY);
}

/// The request-side policy: [`POLICY`] stripping request cookies no rule allows, with a second
/// scope `other.test` where only `pref` is allowed (and `sid` is not).
fn request_policy() -> String {
    POLICY
        .replace(
            "deletions = \"allow\"",
            "deletions = \"allow\"\nrequest_cookies = \"strip\"",
        )
        .replace(
            "[[scope]]\nid = \"app\"\nhosts = [\"app.test\"]",
            "[[scope]]\nid = \"other\"\nhosts = [\"other.test\"]\npaths = [\"/\"]\n\n[[scope]]\nid = \"app\"\nhosts = [\"app.test\"]",
        )
        .replace(
            "name = \"sid\"\nlifetime = \"session\"",
            "name = \"sid\"\nscopes = [\"app\"]\nlifetime = \"session\"",
        )
}

/// A proxy (`--assume-https`) in front of an upstream that echoes what it received: `host`,
/// `x-forwarded-host`, `forwarded` and `cookie`, one `name: value` line each; and sets
/// `sid=1` (allowed on app.test only) with every attribute the policy asks for. It counts the
/// requests it answers.
struct Echo {
    proxy: Running,
    _dir: TempDir,
    seen: Arc<std::sync::atomic::AtomicUsize>,
}

impl Echo {
    async fn start(extra: &[&str]) -> Self {
        use cookie_warden_tests::upstream::{self, full};
        let seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = Arc::clone(&seen);
        let upstream = upstream::serve(move |request: http::Request<hyper::body::Incoming>| {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut lines = String::new();
            for name in ["host", "x-forwarded-host", "forwarded", "cookie"] {
                for value in request.headers().get_all(name) {
                    lines.push_str(&format!(
                        "{name}: {}\n",
                        String::from_utf8_lossy(value.as_bytes())
                    ));
                }
            }
            async move {
                let mut response = http::Response::new(full(lines));
                response.headers_mut().append(
                    header::SET_COOKIE,
                    http::HeaderValue::from_static("sid=1; Secure; HttpOnly; SameSite=Lax"),
                );
                response
            }
        })
        .await;
        let dir = TempDir::new();
        let policy = dir.write("policy.toml", &request_policy());
        let upstream = format!("http://{upstream}");
        let mut args = vec![
            "proxy",
            "--config",
            policy.to_str().unwrap(),
            "--upstream",
            &upstream,
            "--listen",
            "127.0.0.1:0",
            "--assume-https",
            "--log-format",
            "json",
            "--no-watch",
        ];
        args.extend_from_slice(extra);
        let proxy = Running::start(&args, &[]);
        Self {
            proxy,
            _dir: dir,
            seen,
        }
    }

    /// Sends raw HTTP/1.1 bytes on a new connection and returns the whole answer (bounded).
    async fn raw(&self, request: &str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let exchange = async {
            let mut stream = tokio::net::TcpStream::connect(self.proxy.address).await.unwrap();
            stream.write_all(request.as_bytes()).await.unwrap();
            let mut answer = Vec::new();
            let _ = stream.read_to_end(&mut answer).await;
            String::from_utf8_lossy(&answer).into_owned()
        };
        tokio::time::timeout(Duration::from_secs(30), exchange)
            .await
            .expect("the proxy answers in time")
    }

    /// Sends `request` over HTTP/2 with prior knowledge, with its URI's authority as
    /// `:authority` and its headers as they are (a `host` included), to the proxy's address.
    async fn h2(&self, request: http::Request<http_body_util::Full<bytes::Bytes>>) -> Reply {
        use http_body_util::BodyExt;
        use hyper_util::rt::{TokioExecutor, TokioIo};
        let exchange = async {
            let stream = tokio::net::TcpStream::connect(self.proxy.address).await.unwrap();
            let (mut sender, connection) =
                hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
                    .await
                    .expect("an h2c handshake");
            tokio::spawn(connection);
            let response = sender.send_request(request).await.expect("an h2 response");
            let (parts, body) = response.into_parts();
            let body = body.collect().await.expect("a body").to_bytes();
            Reply {
                status: parts.status,
                version: parts.version,
                headers: parts.headers,
                body,
            }
        };
        tokio::time::timeout(Duration::from_secs(30), exchange)
            .await
            .expect("the proxy answers in time")
    }
}

fn h2_get(uri: &str, headers: &[(&str, &str)]) -> http::Request<http_body_util::Full<bytes::Bytes>> {
    let mut builder = http::Request::get(uri).version(http::Version::HTTP_2);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap()
}

/// The `cookie` lines the echo upstream saw.
fn cookies_seen(body: &str) -> Vec<&str> {
    body.lines().filter_map(|l| l.strip_prefix("cookie: ")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_cookies_hidden_behind_commas_never_reach_the_upstream() {
    let echo = Echo::start(&[]).await;
    // HTTP/1.1: one Cookie header.
    let answer = echo
        .raw(
            "GET /x HTTP/1.1\r\nHost: app.test\r\nCookie: sid=1,tracker=2; pref=3; \
             __Host-id=\"4, _ga=5\"; cookie_list=necessary,statistics\r\nConnection: close\r\n\r\n",
        )
        .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // `cookie_list` is unlisted in its own name, so it goes too; `pref=3` is the only survivor.
    assert_eq!(cookies_seen(&answer), ["pref=3"], "{answer}");

    // HTTP/2: cookie crumbs, each judged (and joined into one header for the HTTP/1.1 upstream).
    let reply = echo
        .h2(h2_get(
            "http://app.test/x",
            &[
                ("cookie", "sid=5,tracker=6"),
                ("cookie", "pref=7, pref=8"),
                ("cookie", "sid=9"),
            ],
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        cookies_seen(&reply.text()),
        ["pref=7, pref=8; sid=9"],
        "{}",
        reply.text()
    );

    // Each stripped pair is named by its own name: `tracker` and `_ga` are parts of the values of
    // `sid` and `__Host-id`, reported as `hidden_pair` and never named.
    // The HTTP/2 request's events, the last ones written.
    let events = echo.proxy.wait_for_event(
        |e| e["violation"] == "hidden_pair" && e["cookie.names"] == "sid,__Host-id",
        0,
        Duration::from_secs(20),
    );
    let request_events: Vec<_> = events
        .iter()
        .filter(|e| e["message"] == "cookie policy violation" && e["cookie.source"] == "request")
        .collect();
    assert!(
        request_events
            .iter()
            .any(|e| e["violation"] == "hidden_pair" && e["cookie.names"] == "sid,__Host-id"),
        "{request_events:#?}"
    );
    assert!(
        request_events
            .iter()
            .any(|e| e["violation"] == "unlisted" && e["cookie.names"] == "cookie_list"),
        "{request_events:#?}"
    );
    assert!(
        request_events
            .iter()
            .any(|e| e["violation"] == "hidden_pair" && e["cookie.names"] == "sid" && e["cookie.count"] == 1),
        "the HTTP/2 crumb: {request_events:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_absolute_form_target_names_the_host_judged_and_forwarded() {
    // `sid` is allowed on app.test only. Judged as app.test, served as app.test: the upstream
    // must not see other.test in any header.
    let echo = Echo::start(&[]).await;
    let answer = echo
        .raw(
            "GET http://app.test/x HTTP/1.1\r\nHost: other.test\r\nX-Forwarded-Host: other.test\r\n\
             Cookie: sid=1\r\nConnection: close\r\n\r\n",
        )
        .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains("\r\nhost: app.test\n") || answer.contains("\nhost: app.test\n"),
        "{answer}"
    );
    assert!(answer.contains("x-forwarded-host: app.test\n"), "{answer}");
    assert!(!answer.contains("other.test"), "{answer}");
    assert_eq!(cookies_seen(&answer), ["sid=1"], "sid is allowed on app.test");
    assert!(
        answer.to_ascii_lowercase().contains("set-cookie: sid=1;"),
        "{answer}"
    );

    // The other way round: judged as other.test, where `sid` is not allowed, in both directions.
    let answer = echo
        .raw(
            "GET http://other.test/x HTTP/1.1\r\nHost: app.test\r\nCookie: sid=1; pref=2\r\n\
             Connection: close\r\n\r\n",
        )
        .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("host: other.test\n"), "{answer}");
    assert!(!answer.contains("app.test"), "{answer}");
    assert_eq!(cookies_seen(&answer), ["pref=2"], "{answer}");
    assert!(!answer.to_ascii_lowercase().contains("set-cookie"), "{answer}");

    // `--forwarded forwarded` carries the target's host too; `--upstream-host` still replaces Host.
    let echo = Echo::start(&["--forwarded", "forwarded", "--upstream-host", "internal.test"]).await;
    let answer = echo
        .raw("GET http://app.test/x HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n")
        .await;
    assert!(answer.contains("host: internal.test\n"), "{answer}");
    assert!(answer.contains(";host=\"app.test\"\n"), "{answer}");
    assert!(!answer.contains("other.test"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http2_host_that_contradicts_the_authority_is_refused_unforwarded() {
    let echo = Echo::start(&[]).await;
    let reply = echo
        .h2(h2_get(
            "http://app.test/x",
            &[("host", "other.test"), ("cookie", "sid=1")],
        ))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
    assert!(reply.set_cookies().is_empty());
    assert_eq!(echo.seen.load(Ordering::SeqCst), 0, "the upstream never saw it");

    // A host that agrees (case, default port) is no conflict; none at all is the usual case.
    for headers in [&[("host", "APP.test")][..], &[("host", "app.test:80")], &[]] {
        let reply = echo.h2(h2_get("http://app.test/x", headers)).await;
        assert_eq!(reply.status, StatusCode::OK, "{headers:?}: {}", reply.text());
        assert!(reply.text().contains("host: app.test"), "{}", reply.text());
        assert_eq!(reply.set_cookie_names(), ["sid"]);
    }
    assert_eq!(echo.seen.load(Ordering::SeqCst), 3);
}
