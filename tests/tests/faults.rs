//! Faults through the real `cookie-warden proxy` binary: upstreams that refuse, reset, stall or
//! lie, and clients that stall or vanish. Each test checks the status or clean close the client
//! sees, the event in the proxy's JSON log, that the proxy keeps serving others, that its file
//! descriptors and memory come back to where they were, and that no `Set-Cookie` the policy strips
//! ever reaches a client: every faulty upstream head carries a rogue, unlisted cookie.
//!
//! The faulty upstream is written on raw TCP so that each fault is exactly what a broken server
//! does on the wire (a TCP reset, a head that is not HTTP, a body shorter than its
//! `Content-Length`). Everything binds 127.0.0.1 with OS-chosen ports, and every wait is bounded.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cookie_warden_tests::http_client::cookie_name;
use cookie_warden_tests::{Running, TempDir};
use http::{HeaderMap, Request, StatusCode, header};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The host every request is judged as.
const HOST: &str = "app.test";

/// The value of every cookie the upstream sets (never expected in a log line).
const SENTINEL: &str = "SENTINEL5c1e";

/// The cookie the policy allows.
const ALLOWED: &str = "sid";

/// The cookie the policy does not list: `unlisted = "strip"` removes it from every response.
const ROGUE: &str = "_rogue";

/// How long to wait for a log line, a close, or a settled resource count.
const WAIT: Duration = Duration::from_secs(20);

/// How long one client exchange may take before the test calls it a hang.
const EXCHANGE_LIMIT: Duration = Duration::from_secs(20);

/// How many times each fault is repeated, so that a leak per fault would show.
const ROUNDS: usize = 12;

/// Growth of the proxy's resident memory tolerated over a test (allocator noise, lazily grown
/// buffers); a leak of a connection's buffers per fault would exceed it.
const RSS_TOLERANCE_KIB: u64 = 12 * 1024;

/// Extra file descriptors tolerated after settling (none are expected; one covers a pooled
/// keep-alive upstream connection).
const FD_TOLERANCE: usize = 1;

fn policy() -> String {
    format!(
        "version = 1\n\n[enforcement]\nunlisted = \"strip\"\nnoncompliant = \"fix\"\n\n\
[[scope]]\nid = \"app\"\nhosts = [\"{HOST}\"]\npaths = [\"/\"]\n\n\
[[cookie]]\nname = \"{ALLOWED}\"\nscopes = [\"app\"]\nlifetime = \"session\"\n"
    )
}

/// The Set-Cookie lines every upstream head carries: the allowed cookie and the rogue one.
fn cookie_lines() -> String {
    format!(
        "Set-Cookie: {ALLOWED}={SENTINEL}; Path=/; Secure; HttpOnly; SameSite=Lax\r\n\
Set-Cookie: {ROGUE}={SENTINEL}; Path=/\r\n"
    )
}

// ---------------------------------------------------------------------------------------------
// The faulty upstream
// ---------------------------------------------------------------------------------------------

/// A raw HTTP/1.1 upstream; the request path picks the behaviour:
///
/// - `/ok`: a complete `200` with both cookies, then `Connection: close`;
/// - `/keep-alive`: a complete `200` that keeps the connection open for the next request;
/// - `/keep-alive-then-drop`: a complete keep-alive `200`, after which the next request on the
///   same connection is read and the connection closed without an answer;
/// - `/keep-alive-then-close`: a complete keep-alive `200`, then the connection closes 20 ms later;
/// - `/reset-mid-body` (`Content-Length`) and `/reset-mid-chunk` (chunked): the head and part of
///   the body, then a TCP reset;
/// - `/early-hints`: a `103` carrying the rogue cookie, then `/ok`'s answer;
/// - `/trailers`: `/ok`'s answer chunked, with the rogue cookie again in its trailers;
/// - `/stall-head`: reads the request and says nothing for 10 s;
/// - `/stall-mid-body`: the head and part of the body, then nothing for 10 s;
/// - `/malformed/N`: the N-th malformed response of [`MALFORMED`];
/// - `/malformed-body/N`: a valid head, then the N-th broken body of [`MALFORMED_BODIES`];
/// - `/big`: a 32 MiB chunked body, for clients that leave mid-response.
struct FaultyUpstream {
    address: SocketAddr,
    accept: JoinHandle<()>,
}

impl FaultyUpstream {
    async fn start() -> Self {
        Self::bind("127.0.0.1:0".parse().unwrap()).await
    }

    async fn bind(address: SocketAddr) -> Self {
        let listener = TcpListener::bind(address).await.expect("bind the upstream");
        let address = listener.local_addr().unwrap();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(serve_raw(stream));
            }
        });
        Self { address, accept }
    }

    /// Stops listening: new connections are refused.
    async fn stop(self) -> SocketAddr {
        self.accept.abort();
        let _ = self.accept.await;
        self.address
    }
}

/// Malformed response heads; the proxy must answer each with a `502`.
const MALFORMED: &[&str] = &[
    "NOT HTTP AT ALL\r\n\r\n",
    "HTTP/1.1 abc Bad Status\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello",
    "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
    "HTTP/1.1 200 OK\r\nBad Header Name: x\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nNo-Colon-Here\r\n\r\n",
    "HTTP/1.1 200 OK\r\n",
];

/// Valid heads (with both cookies) followed by a body whose framing is broken; the head may
/// already be on its way, so the client must see a cut response, never a complete one.
const MALFORMED_BODIES: &[&str] = &[
    "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nzz\r\n",
    "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nnot-hex\r\n",
    "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX",
];

/// Reads one request head (bounded); `None` when the peer closed or sent nothing usable.
async fn read_head(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<String> {
    let read = async {
        loop {
            if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
                buffer.drain(..end + 4);
                return Some(head);
            }
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
            if buffer.len() > 64 * 1024 {
                return None;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .ok()
        .flatten()
}

fn ok_head(length: usize, keep_alive: bool) -> String {
    let connection = if keep_alive { "" } else { "Connection: close\r\n" };
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n{}{connection}Content-Length: {length}\r\n\r\n",
        cookie_lines()
    )
}

async fn serve_raw(mut stream: TcpStream) {
    let mut buffer = Vec::new();
    let mut drop_next = false;
    while let Some(head) = read_head(&mut stream, &mut buffer).await {
        if drop_next {
            // Read the request, then close without a word.
            return;
        }
        let path = head.split(' ').nth(1).unwrap_or("/").to_owned();
        let body = b"ok\n";
        match path.as_str() {
            "/ok" => {
                let _ = stream.write_all(ok_head(body.len(), false).as_bytes()).await;
                let _ = stream.write_all(body).await;
                return;
            }
            "/keep-alive" => {
                let _ = stream.write_all(ok_head(body.len(), true).as_bytes()).await;
                let _ = stream.write_all(body).await;
            }
            "/keep-alive-then-drop" => {
                let _ = stream.write_all(ok_head(body.len(), true).as_bytes()).await;
                let _ = stream.write_all(body).await;
                drop_next = true;
            }
            "/keep-alive-then-close" => {
                let _ = stream.write_all(ok_head(body.len(), true).as_bytes()).await;
                let _ = stream.write_all(body).await;
                tokio::time::sleep(Duration::from_millis(20)).await;
                return;
            }
            "/reset-mid-body" => {
                let _ = stream.write_all(ok_head(1000, true).as_bytes()).await;
                let _ = stream.write_all(&[b'x'; 100]).await;
                tokio::time::sleep(Duration::from_millis(50)).await;
                reset(stream);
                return;
            }
            "/reset-mid-chunk" => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\n{}Transfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n20\r\nonly part",
                    cookie_lines()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                tokio::time::sleep(Duration::from_millis(50)).await;
                reset(stream);
                return;
            }
            "/early-hints" => {
                // An informational response carrying the rogue cookie, then the real one.
                let hints =
                    format!("HTTP/1.1 103 Early Hints\r\nSet-Cookie: {ROGUE}={SENTINEL}; Path=/\r\n\r\n");
                let _ = stream.write_all(hints.as_bytes()).await;
                let _ = stream.write_all(ok_head(body.len(), false).as_bytes()).await;
                let _ = stream.write_all(body).await;
                return;
            }
            "/trailers" => {
                // The rogue cookie in the trailer section of a chunked body.
                let response = format!(
                    "HTTP/1.1 200 OK\r\n{}Transfer-Encoding: chunked\r\nTrailer: X-Checksum, Set-Cookie\r\nConnection: close\r\n\r\n\
3\r\nok\n\r\n0\r\nX-Checksum: c0ffee\r\nSet-Cookie: {ROGUE}={SENTINEL}; Path=/\r\n\r\n",
                    cookie_lines()
                );
                let _ = stream.write_all(response.as_bytes()).await;
                return;
            }
            "/stall-head" => {
                tokio::time::sleep(Duration::from_secs(10)).await;
                return;
            }
            "/stall-mid-body" => {
                let _ = stream.write_all(ok_head(1000, true).as_bytes()).await;
                let _ = stream.write_all(&[b'x'; 100]).await;
                tokio::time::sleep(Duration::from_secs(10)).await;
                return;
            }
            "/big" => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\n{}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
                    cookie_lines()
                );
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("10000\r\n{}\r\n", "y".repeat(0x10000));
                for _ in 0..512 {
                    if stream.write_all(chunk.as_bytes()).await.is_err() {
                        return;
                    }
                }
                let _ = stream.write_all(b"0\r\n\r\n").await;
                return;
            }
            other => {
                if let Some(n) = other.strip_prefix("/malformed-body/") {
                    let rest = MALFORMED_BODIES[n.parse::<usize>().unwrap()];
                    let response = format!("HTTP/1.1 200 OK\r\n{}{rest}", cookie_lines());
                    let _ = stream.write_all(response.as_bytes()).await;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    return;
                }
                if let Some(n) = other.strip_prefix("/malformed/") {
                    let response = MALFORMED[n.parse::<usize>().unwrap()];
                    let _ = stream.write_all(response.as_bytes()).await;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    return;
                }
                let _ = stream
                    .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .await;
                return;
            }
        }
    }
}

/// Drops the connection with a TCP reset (`SO_LINGER` 0) instead of a FIN.
fn reset(stream: TcpStream) {
    stream.set_zero_linger().expect("SO_LINGER 0");
    drop(stream);
}

// ---------------------------------------------------------------------------------------------
// The proxy and its resources
// ---------------------------------------------------------------------------------------------

struct Setup {
    proxy: Running,
    _dir: TempDir,
    /// The upstream (taken by tests that stop it).
    upstream: Option<FaultyUpstream>,
    /// The proxy's resources once warmed up, before the fault.
    before: Resources,
}

/// A faulty upstream and the proxy in front of it (with `extra` arguments), warmed up, with the
/// baseline of its resources taken.
async fn start(extra: &[&str]) -> Setup {
    let upstream = FaultyUpstream::start().await;
    let (proxy, dir) = start_proxy(upstream.address, extra);
    let before = baseline(&proxy).await;
    Setup {
        proxy,
        _dir: dir,
        upstream: Some(upstream),
        before,
    }
}

/// After the fault: a normal request is served under the policy, the proxy's descriptors and
/// memory settle back, and no log line carries a cookie value.
async fn assert_recovered(setup: &Setup, fault: &str) {
    assert_still_serving(&setup.proxy).await;
    assert_resources_settle(&setup.proxy, setup.before, fault).await;
    assert_no_value_logged(&setup.proxy);
}

fn start_proxy(upstream: SocketAddr, extra: &[&str]) -> (Running, TempDir) {
    let dir = TempDir::new();
    let policy_path = dir.write("policy.toml", &policy());
    let upstream_url = format!("http://{upstream}");
    let mut args = vec![
        "proxy",
        "--config",
        policy_path.to_str().unwrap(),
        "--upstream",
        &upstream_url,
        "--listen",
        "127.0.0.1:0",
        "--assume-https",
        "--no-watch",
        "--log-format",
        "json",
    ];
    args.extend_from_slice(extra);
    (Running::start(&args, &[]), dir)
}

/// The number of open file descriptors of a process.
fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("/proc/<pid>/fd")
        .count()
}

/// What each open file descriptor of a process is (`socket:[…]`, `anon_inode:[eventpoll]`, …).
fn fd_targets(pid: u32) -> Vec<String> {
    let mut targets: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("/proc/<pid>/fd")
        .filter_map(Result::ok)
        .map(|entry| {
            let target = std::fs::read_link(entry.path()).map(|t| t.display().to_string());
            format!(
                "{} -> {}",
                entry.file_name().to_string_lossy(),
                target.unwrap_or_default()
            )
        })
        .collect();
    targets.sort();
    targets
}

/// File descriptors and resident memory of the proxy at one moment.
#[derive(Debug, Clone, Copy)]
struct Resources {
    fds: usize,
    rss_kib: u64,
}

impl Resources {
    fn of(proxy: &Running) -> Self {
        Self {
            fds: fd_count(proxy.pid()),
            rss_kib: proxy.memory_kib("VmRSS"),
        }
    }
}

/// Waits (bounded) for the proxy's descriptors to come back to `before` (plus the tolerance),
/// then checks its memory.
async fn assert_resources_settle(proxy: &Running, before: Resources, fault: &str) {
    let deadline = Instant::now() + WAIT;
    let mut now = Resources::of(proxy);
    while now.fds > before.fds + FD_TOLERANCE && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        now = Resources::of(proxy);
    }
    println!(
        "{fault}: fds {} -> {}, VmRSS {} KiB -> {} KiB",
        before.fds, now.fds, before.rss_kib, now.rss_kib
    );
    if now.fds != before.fds {
        println!("{fault}: open now: {:?}", fd_targets(proxy.pid()));
    }
    assert!(
        now.fds <= before.fds + FD_TOLERANCE,
        "{fault}: file descriptors grew from {} to {}",
        before.fds,
        now.fds
    );
    assert!(
        now.rss_kib <= before.rss_kib + RSS_TOLERANCE_KIB,
        "{fault}: VmRSS grew from {} KiB to {} KiB",
        before.rss_kib,
        now.rss_kib
    );
}

/// Waits (bounded) for a JSON event with `message` whose fields include every `(key, value)`,
/// looking at lines after the first `skip`.
fn wait_for_event(proxy: &Running, skip: usize, message: &str, fields: &[(&str, &str)]) -> serde_json::Value {
    let wanted = |event: &serde_json::Value| {
        event["message"] == message
            && fields
                .iter()
                .all(|(key, value)| event[*key].as_str() == Some(*value))
    };
    proxy
        .wait_for_event(wanted, skip, WAIT)
        .into_iter()
        .find(|event| wanted(event))
        .unwrap_or_else(|| {
            panic!(
                "no `{message}` event with {fields:?} in:\n{}",
                proxy.stderr().get(skip..).unwrap_or_default().join("\n")
            )
        })
}

/// No log line carries a cookie value.
fn assert_no_value_logged(proxy: &Running) {
    for line in proxy.stderr() {
        assert!(!line.contains(SENTINEL), "a cookie value in a log line: {line}");
    }
}

// ---------------------------------------------------------------------------------------------
// Clients
// ---------------------------------------------------------------------------------------------

/// What a client saw: the head, and the body or why it ended early.
#[derive(Debug)]
struct Seen {
    status: StatusCode,
    headers: HeaderMap,
    body: Result<Bytes, String>,
    /// The trailers, if any came.
    trailers: Option<HeaderMap>,
}

impl Seen {
    fn text(&self) -> String {
        self.body
            .as_ref()
            .map(|body| String::from_utf8_lossy(body).into_owned())
            .unwrap_or_default()
    }
}

/// No stripped cookie in a response head: every `Set-Cookie` names the allowed cookie.
fn assert_no_rogue_cookie(headers: &HeaderMap, context: &str) {
    for value in headers.get_all(header::SET_COOKIE) {
        let value = String::from_utf8_lossy(value.as_bytes());
        assert_eq!(
            cookie_name(&value),
            ALLOWED,
            "{context}: a cookie the policy strips reached the client"
        );
    }
}

/// One `GET` on a fresh connection, over HTTP/1.1 or HTTP/2 (prior knowledge); `Err` when no
/// response head arrives. Bounded by [`EXCHANGE_LIMIT`] (a hang fails the test).
async fn fetch(address: SocketAddr, path: &str, http2: bool) -> Result<Seen, String> {
    let exchange = async {
        let stream = TcpStream::connect(address).await.map_err(|e| e.to_string())?;
        let io = TokioIo::new(stream);
        let request = Request::get(format!("http://{HOST}{path}"))
            .header(header::HOST, HOST)
            .body(Empty::<Bytes>::new())
            .unwrap();
        let response = if http2 {
            let (mut sender, connection) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
                .await
                .map_err(|e| e.to_string())?;
            tokio::spawn(connection);
            sender.send_request(request).await
        } else {
            let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
                .await
                .map_err(|e| e.to_string())?;
            tokio::spawn(connection);
            sender.send_request(request).await
        }
        .map_err(|e| e.to_string())?;
        let (parts, body) = response.into_parts();
        let (body, trailers) = match body.collect().await {
            Ok(collected) => {
                let trailers = collected.trailers().cloned();
                (Ok(collected.to_bytes()), trailers)
            }
            Err(error) => (Err(format!("{error:?}")), None),
        };
        Ok(Seen {
            status: parts.status,
            headers: parts.headers,
            body,
            trailers,
        })
    };
    tokio::time::timeout(EXCHANGE_LIMIT, exchange)
        .await
        .unwrap_or_else(|_| panic!("GET {path} hung for {EXCHANGE_LIMIT:?}"))
}

/// A normal request after a fault: `200`, the body complete, the rogue cookie stripped.
async fn assert_still_serving(proxy: &Running) {
    let seen = fetch(proxy.address, "/ok", false)
        .await
        .expect("a normal request after the fault gets an answer");
    assert_eq!(seen.status, StatusCode::OK, "{seen:?}");
    assert_eq!(seen.text(), "ok\n");
    let names: Vec<String> = seen
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| cookie_name(v.to_str().unwrap()).to_owned())
        .collect();
    assert_eq!(names, [ALLOWED], "the policy still applies");
}

/// Raw bytes on a new connection; what the proxy answered before it closed, and whether it
/// closed within `limit` (bounded).
async fn raw_exchange(address: SocketAddr, request: &[u8], limit: Duration) -> (String, bool) {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(limit, async {
        let mut chunk = [0u8; 8192];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await
    .is_ok();
    (String::from_utf8_lossy(&answer).into_owned(), closed)
}

/// Warms the proxy up (first-use allocations, one round of the fault), then takes the baseline.
async fn baseline(proxy: &Running) -> Resources {
    for _ in 0..3 {
        assert_still_serving(proxy).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    Resources::of(proxy)
}

// ---------------------------------------------------------------------------------------------
// Upstream faults
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn upstream_refusing_connections_gets_a_502_and_the_proxy_recovers() {
    let mut setup = start(&[]).await;
    let address = setup.upstream.take().unwrap().stop().await;
    let proxy = &setup.proxy;

    let seen_lines = proxy.stderr().len();
    for _ in 0..ROUNDS {
        let seen = fetch(proxy.address, "/ok", false).await.expect("an answer");
        assert_eq!(seen.status, StatusCode::BAD_GATEWAY, "{seen:?}");
        assert!(seen.text().starts_with("502 Bad Gateway"), "{}", seen.text());
        assert_no_rogue_cookie(&seen.headers, "refused");
    }
    let event = wait_for_event(
        proxy,
        seen_lines,
        "upstream failure",
        &[("upstream.error", "refused")],
    );
    assert_eq!(event["http.response.status_code"], 502);

    // The upstream comes back on the same address: the proxy serves again.
    let _upstream = FaultyUpstream::bind(address).await;
    assert_recovered(&setup, "refused").await;
}

/// Both framings: a body shorter than its `Content-Length`, and a chunked body cut mid-chunk.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn upstream_resetting_mid_body_is_a_clean_abort_never_a_complete_body() {
    let setup = start(&[]).await;
    let proxy = &setup.proxy;

    let seen_lines = proxy.stderr().len();
    for round in 0..ROUNDS {
        let path = if round % 2 == 0 {
            "/reset-mid-body"
        } else {
            "/reset-mid-chunk"
        };
        let http2 = round % 4 >= 2;
        let seen = fetch(proxy.address, path, http2).await.expect("the head arrives");
        assert_eq!(
            seen.status,
            StatusCode::OK,
            "{path}: the head was sent before the reset"
        );
        assert_no_rogue_cookie(&seen.headers, path);
        assert!(
            seen.body.is_err(),
            "{path} (http2: {http2}): a cut body must end in an error, not look complete: {:?}",
            seen.body
        );
    }
    let event = wait_for_event(
        proxy,
        seen_lines,
        "body failed mid-stream",
        &[("body", "response"), ("kind", "broken")],
    );
    assert_eq!(event["level"], "WARN");

    assert_recovered(&setup, "reset mid-body").await;
}

/// The raw bytes a HTTP/1.1 client gets from a reset mid-body: a short body, then the close.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn upstream_resetting_mid_body_closes_the_client_connection_short_of_its_length() {
    let setup = start(&[]).await;
    let proxy = &setup.proxy;

    let request = format!("GET /reset-mid-body HTTP/1.1\r\nHost: {HOST}\r\n\r\n");
    let (answer, closed) = raw_exchange(proxy.address, request.as_bytes(), WAIT).await;
    assert!(
        closed,
        "the proxy closes the connection instead of waiting for ever"
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(!answer.contains(ROGUE), "{answer}");
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let length = head.lines().find_map(|line| {
        line.to_ascii_lowercase()
            .strip_prefix("content-length: ")
            .map(str::to_owned)
    });
    match length {
        Some(length) => assert!(
            body.len() < length.trim().parse::<usize>().unwrap(),
            "{} of {length} bytes: the close shows the body is short",
            body.len()
        ),
        None => assert!(
            !body.ends_with("0\r\n\r\n"),
            "no last chunk after a reset: {body:?}"
        ),
    }
    assert_still_serving(proxy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn upstream_stalling_before_the_head_gets_a_504_after_the_head_timeout() {
    let setup = start(&["--upstream-timeout", "300ms"]).await;
    let proxy = &setup.proxy;

    let seen_lines = proxy.stderr().len();
    // The stalls run at the same time as normal requests: those are served meanwhile.
    let stalls: Vec<_> = (0..ROUNDS)
        .map(|round| tokio::spawn(fetch(proxy.address, "/stall-head", round % 2 == 1)))
        .collect();
    assert_still_serving(proxy).await;
    for stall in stalls {
        let seen = stall.await.unwrap().expect("an answer");
        assert_eq!(seen.status, StatusCode::GATEWAY_TIMEOUT, "{seen:?}");
        assert!(seen.text().starts_with("504 Gateway Timeout"), "{}", seen.text());
        assert_no_rogue_cookie(&seen.headers, "stall-head");
    }
    let event = wait_for_event(
        proxy,
        seen_lines,
        "upstream failure",
        &[("upstream.error", "head_timeout")],
    );
    assert_eq!(event["http.response.status_code"], 504);

    assert_recovered(&setup, "stall before head").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn upstream_stalling_mid_body_is_cut_after_the_body_idle_timeout() {
    let setup = start(&["--body-idle-timeout", "300ms"]).await;
    let proxy = &setup.proxy;

    let seen_lines = proxy.stderr().len();
    let stalls: Vec<_> = (0..ROUNDS)
        .map(|round| tokio::spawn(fetch(proxy.address, "/stall-mid-body", round % 2 == 1)))
        .collect();
    assert_still_serving(proxy).await;
    for stall in stalls {
        let seen = stall.await.unwrap().expect("the head arrives");
        assert_eq!(seen.status, StatusCode::OK);
        assert_no_rogue_cookie(&seen.headers, "stall-mid-body");
        assert!(
            seen.body.is_err(),
            "a stalled body must end in an error: {:?}",
            seen.body
        );
    }
    wait_for_event(
        proxy,
        seen_lines,
        "body failed mid-stream",
        &[("body", "response"), ("kind", "timeout")],
    );

    assert_recovered(&setup, "stall mid-body").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn upstream_sending_a_malformed_response_gets_a_502() {
    let setup = start(&["--upstream-timeout", "5s"]).await;
    let proxy = &setup.proxy;

    for round in 0..2 {
        for (n, malformed) in MALFORMED.iter().enumerate() {
            let seen_lines = proxy.stderr().len();
            let seen = fetch(proxy.address, &format!("/malformed/{n}"), round == 1)
                .await
                .expect("an answer");
            assert_eq!(seen.status, StatusCode::BAD_GATEWAY, "{malformed:?}: {seen:?}");
            assert!(
                seen.text().starts_with("502 Bad Gateway"),
                "{malformed:?}: {}",
                seen.text()
            );
            assert_no_rogue_cookie(&seen.headers, malformed);
            wait_for_event(
                proxy,
                seen_lines,
                "upstream failure",
                &[("upstream.error", "broken")],
            );
        }
    }

    for round in 0..2 {
        for (n, malformed) in MALFORMED_BODIES.iter().enumerate() {
            let seen_lines = proxy.stderr().len();
            match fetch(proxy.address, &format!("/malformed-body/{n}"), round == 1).await {
                // Cut before the head was written: the connection closes (HTTP/1.1) or the
                // stream is reset (HTTP/2); no response is presented at all.
                Err(cut) => println!("{malformed:?} (http2: {}): no response: {cut}", round == 1),
                Ok(seen) => {
                    assert_no_rogue_cookie(&seen.headers, malformed);
                    assert!(
                        seen.body.is_err(),
                        "{malformed:?}: a broken body must not look complete: {seen:?}"
                    );
                }
            }
            wait_for_event(
                proxy,
                seen_lines,
                "body failed mid-stream",
                &[("body", "response")],
            );
        }
    }

    assert_recovered(&setup, "malformed response").await;
}

/// The upstream closes pooled keep-alive connections: right after answering (the pool must not
/// hand out a dead connection, or must retry), and on the next request without answering it (a
/// `502`, never a hang).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn upstream_closing_keep_alive_connections_early_never_hangs() {
    let setup = start(&["--upstream-timeout", "10s"]).await;
    let proxy = &setup.proxy;

    // Closed 20 ms after each answer: by the next request the pool knows, or retries.
    for _ in 0..ROUNDS {
        let seen = fetch(proxy.address, "/keep-alive-then-close", false)
            .await
            .expect("an answer");
        assert_eq!(seen.status, StatusCode::OK, "{seen:?}");
        assert_no_rogue_cookie(&seen.headers, "keep-alive-then-close");
        tokio::time::sleep(Duration::from_millis(100)).await;
        let seen = fetch(proxy.address, "/keep-alive", false)
            .await
            .expect("an answer");
        assert_eq!(seen.status, StatusCode::OK, "{seen:?}");
        assert_no_rogue_cookie(&seen.headers, "keep-alive");
    }

    // Closed on the next request, which was already written: 200 after a retry, or a 502.
    let seen_lines = proxy.stderr().len();
    let mut failed = 0;
    for _ in 0..ROUNDS {
        let seen = fetch(proxy.address, "/keep-alive-then-drop", false)
            .await
            .expect("an answer");
        assert_eq!(seen.status, StatusCode::OK, "{seen:?}");
        let next = fetch(proxy.address, "/keep-alive", false)
            .await
            .expect("an answer");
        assert!(
            next.status == StatusCode::OK || next.status == StatusCode::BAD_GATEWAY,
            "{next:?}"
        );
        assert_no_rogue_cookie(&next.headers, "after a dropped keep-alive connection");
        if next.status == StatusCode::BAD_GATEWAY {
            failed += 1;
        }
    }
    println!("requests on a dropped keep-alive connection: {failed} of {ROUNDS} got a 502");
    if failed > 0 {
        wait_for_event(
            proxy,
            seen_lines,
            "upstream failure",
            &[("upstream.error", "broken")],
        );
    }

    assert_recovered(&setup, "keep-alive closed early").await;
}

// ---------------------------------------------------------------------------------------------
// Client faults
// ---------------------------------------------------------------------------------------------

/// Slowloris: clients that open connections and send their request head a byte at a time, or not
/// at all, or stop inside the HTTP/2 preface. The header-read timeout closes each of them, and
/// other clients are served meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn clients_stalling_mid_request_are_closed_while_others_are_served() {
    let setup = start(&["--client-idle-timeout", "500ms"]).await;
    let proxy = &setup.proxy;
    let seen_lines = proxy.stderr().len();

    let address = proxy.address;
    let loris: Vec<JoinHandle<(&'static str, bool)>> = (0..32)
        .map(|n| {
            tokio::spawn(async move {
                let (kind, start): (&'static str, &[u8]) = match n % 4 {
                    0 => ("drips the head", b"GET /ok HTTP/1.1\r\nHost: app.test\r\n"),
                    1 => ("sends nothing", b""),
                    2 => ("stops inside the http/2 preface", b"PRI * HTTP/2.0\r\n"),
                    _ => (
                        "sends the http/2 preface and nothing else",
                        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
                    ),
                };
                let mut stream = TcpStream::connect(address).await.unwrap();
                stream.write_all(start).await.unwrap();
                // Drip one byte of a header every 100 ms, never finishing the head.
                let drip = async {
                    // Longer than WAIT: only the proxy ends this early.
                    for _ in 0..400 {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        if n % 4 == 0 && stream.write_all(b"X").await.is_err() {
                            return;
                        }
                        let mut probe = [0u8; 1024];
                        let read =
                            tokio::time::timeout(Duration::from_millis(1), stream.read(&mut probe)).await;
                        // Closed by the proxy (end of stream or reset).
                        if let Ok(Ok(0) | Err(_)) = read {
                            return;
                        }
                    }
                };
                let closed = tokio::time::timeout(WAIT, drip).await.is_ok();
                (kind, closed)
            })
        })
        .collect();

    // Served meanwhile.
    for _ in 0..5 {
        assert_still_serving(proxy).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for slow in loris {
        let (kind, closed) = slow.await.unwrap();
        assert!(closed, "a client that {kind} was not closed in {WAIT:?}");
    }
    wait_for_event(
        proxy,
        seen_lines,
        "client connection failed",
        &[("client.error", "header_timeout")],
    );

    assert_recovered(&setup, "slowloris").await;
}

/// Clients that read the head and a little of a large body, then vanish: the proxy stops reading
/// the upstream, and closes both connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn clients_disconnecting_mid_response_release_both_connections() {
    let setup = start(&[]).await;
    let proxy = &setup.proxy;
    let seen_lines = proxy.stderr().len();

    for round in 0..ROUNDS {
        let mut stream = TcpStream::connect(proxy.address).await.unwrap();
        let request = format!("GET /big HTTP/1.1\r\nHost: {HOST}\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut received = Vec::new();
        let read = async {
            let mut chunk = [0u8; 16 * 1024];
            while received.len() < 256 * 1024 {
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => received.extend_from_slice(&chunk[..n]),
                }
            }
        };
        tokio::time::timeout(EXCHANGE_LIMIT, read)
            .await
            .expect("the body flows");
        let head = String::from_utf8_lossy(&received[..received.len().min(4096)]).into_owned();
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(!head.contains(ROGUE), "{head}");
        if round % 2 == 0 {
            reset(stream);
        } else {
            drop(stream);
        }
    }
    wait_for_event(
        proxy,
        seen_lines,
        "client connection failed",
        &[("client.error", "closed")],
    );

    assert_recovered(&setup, "client gone mid-response").await;
}

/// Clients that give up while the upstream has not answered yet: the proxy drops the upstream
/// request (its connection is closed, not pooled half-used) and serves the next client normally.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn clients_leaving_before_the_head_release_the_upstream_connection() {
    let setup = start(&["--upstream-timeout", "30s"]).await;
    let proxy = &setup.proxy;

    for round in 0..ROUNDS {
        let mut stream = TcpStream::connect(proxy.address).await.unwrap();
        let request = format!("GET /stall-head HTTP/1.1\r\nHost: {HOST}\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        if round % 2 == 0 {
            reset(stream);
        } else {
            drop(stream);
        }
    }

    // The upstream still holds its ends for 10 s: only the proxy's side is released.
    assert_recovered(&setup, "client gone before the head").await;
}

/// The rogue cookie outside the final head: in a `103 Early Hints` and in the trailers of a
/// chunked body (asked for with `TE: trailers`). Neither reaches the client.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rogue_cookies_in_informational_responses_and_trailers_never_reach_the_client() {
    let setup = start(&[]).await;
    let proxy = &setup.proxy;

    for path in ["/early-hints", "/trailers"] {
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: {HOST}\r\nTE: trailers\r\nConnection: close\r\n\r\n");
        let (answer, closed) = raw_exchange(proxy.address, request.as_bytes(), WAIT).await;
        assert!(closed, "{path}: the exchange ends");
        assert!(answer.contains("ok\n"), "{path}: {answer}");
        assert!(
            !answer.contains(ROGUE),
            "{path}: a stripped cookie reached the client: {answer}"
        );
        for http2 in [false, true] {
            let seen = fetch(proxy.address, path, http2).await.expect("an answer");
            assert_eq!(seen.status, StatusCode::OK, "{path}: {seen:?}");
            assert_no_rogue_cookie(&seen.headers, path);
            if let Some(trailers) = &seen.trailers {
                assert_no_rogue_cookie(trailers, "trailers");
            }
            if path == "/trailers" && http2 {
                // HTTP/2 carries trailers unasked: the others pass, the cookie does not.
                let trailers = seen.trailers.as_ref().expect("trailers over HTTP/2");
                assert_eq!(trailers["x-checksum"], "c0ffee", "{trailers:?}");
            }
        }
    }
    assert_recovered(&setup, "rogue cookies outside the head").await;
}
