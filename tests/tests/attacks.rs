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
use cookie_warden_tests::{Running, TempDir, json_lines};
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
            // Path=/admin (the last) lies inside the rule's `/`: allowed as sent.
            b"sid=3; Path=/; Path=/admin; Secure; HttpOnly; SameSite=Lax",
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
    // deletion (passes). `+60`: the draft ignores it, Chromium reads 60; the canonical form says 3600.
    assert_exactly(
        &attack,
        &reply,
        &[
            b"pref=1; Max-Age=3600; Secure; SameSite=Lax",
            b"pref=2; Max-Age=-1; Secure; SameSite=Lax",
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
    let events = json_lines(&attack.proxy.stderr());
    assert!(
        events
            .iter()
            .any(|e| e["cookie.name"] == "sid" && e["violation"] == "oversize"),
        "an oversize event: {events:?}"
    );
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
            b"pref=\x80; Max-Age=60; Secure; SameSite=Lax; Path=/\xe2\x80",
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
    // prefix requirements. `__host-id` without a Path (the draft drops it, Chromium stores it at
    // `/`) leaves with `Path=/`, which both read alike; `__HOST-id` with a Domain and
    // `__SECURE-tok` without Secure are dropped by browsers and stripped.
    assert_exactly(
        &attack,
        &reply,
        &[
            b"__host-id=1; Path=/; Secure; HttpOnly; SameSite=Lax",
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
    // `;`: the second sets `sid="a` with an unknown attribute `b"` (ignored), allowed as sent.
    assert_exactly(
        &attack,
        &reply,
        &[
            b"sid=\"a;b\"; Secure; HttpOnly; SameSite=Lax",
            b"sid=\"quoted\"; $Path=/; Secure; HttpOnly; SameSite=Lax",
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
