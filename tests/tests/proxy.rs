//! End-to-end tests of `cookie-warden proxy`: the real binary between a real upstream and a real
//! client, all on 127.0.0.1 with OS-chosen ports. Every wait is bounded.

use std::time::Duration;

use bytes::Bytes;
use cookie_warden_tests::http_client::{self, Reply, cookie_name};
use cookie_warden_tests::upstream::{self, Body, full};
use cookie_warden_tests::{Running, TempDir, json_lines};
use futures_util::{SinkExt, StreamExt};
use http::{Request, Response, StatusCode, Version, header};
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use nix::sys::signal::Signal;

/// Every cookie value the upstream sends carries this, so that tests can prove no value leaks.
const SENTINEL: &str = "SENTINEL7f3a";

/// The host every test request is judged as.
const HOST: &str = "app.test";

/// How long to wait for a log line.
const LOG_WAIT: Duration = Duration::from_secs(20);

fn policy(unlisted: &str, sid_listed: bool) -> String {
    let sid = if sid_listed {
        "[[cookie]]\nname = \"sid\"\nscopes = [\"app\"]\nlifetime = \"session\"\n"
    } else {
        ""
    };
    format!(
        "version = 1\n\n[enforcement]\nunlisted = \"{unlisted}\"\nnoncompliant = \"fix\"\n\n\
[[scope]]\nid = \"app\"\nhosts = [\"{HOST}\"]\npaths = [\"/\"]\n\n{sid}\n\
[[cookie]]\nname = \"pref\"\nscopes = [\"app\"]\nlifetime = \"1h\"\nhttp_only = false\n"
    )
}

/// What the upstream sets on `/cookies`: one allowed, one to fix, one unlisted.
fn cookie_headers() -> [String; 3] {
    [
        format!("sid={SENTINEL}-sid; Path=/; Secure; HttpOnly; SameSite=Lax"),
        format!("pref={SENTINEL}-pref; Path=/; Max-Age=2592000"),
        format!("_ga={SENTINEL}-ga; Path=/"),
    ]
}

/// The test upstream: `/cookies`, `/big` (50 MB streamed), `/upload` (counts the body), `/slow`
/// (answers after 3 s), `/echo-headers`.
async fn handle(request: Request<Incoming>) -> Response<Body> {
    match request.uri().path() {
        "/cookies" => {
            let mut response = Response::new(full("cookies\n"));
            for value in cookie_headers() {
                response
                    .headers_mut()
                    .append(header::SET_COOKIE, value.parse().unwrap());
            }
            response
        }
        "/big" => Response::new(big_body(BIG_CHUNKS)),
        "/upload" => {
            let mut body = request.into_body();
            let mut total: u64 = 0;
            while let Some(frame) = body.frame().await {
                if let Ok(data) = frame.expect("upload frame").into_data() {
                    total += data.len() as u64;
                }
            }
            Response::new(full(total.to_string()))
        }
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            Response::new(full("slow\n"))
        }
        "/reset-mid-body" => {
            // One chunk (sent with the head), then the upstream fails mid-body (its connection is cut).
            let stream = futures_util::stream::unfold(0u8, |step| async move {
                match step {
                    0 => Some((Ok(Frame::data(Bytes::from_static(b"first chunk\n"))), 1)),
                    1 => {
                        tokio::time::sleep(Duration::from_millis(300)).await;
                        Some((
                            Err::<Frame<Bytes>, upstream::BoxError>("upstream fails mid-body".into()),
                            2,
                        ))
                    }
                    _ => None,
                }
            });
            Response::new(BodyExt::boxed(StreamBody::new(stream)))
        }
        "/echo-headers" => {
            let mut lines = String::new();
            for (name, value) in request.headers() {
                lines.push_str(&format!("{name}: {}\n", value.to_str().unwrap_or("?")));
            }
            Response::new(full(lines))
        }
        _ => {
            let mut response = Response::new(full("not found\n"));
            *response.status_mut() = StatusCode::NOT_FOUND;
            response
        }
    }
}

const CHUNK: usize = 64 * 1024;
/// 800 chunks of 64 KiB: 50 MiB.
const BIG_CHUNKS: usize = 800;

/// A body of `chunks` × 64 KiB, produced one chunk at a time.
fn big_body(chunks: usize) -> Body {
    let chunk = Bytes::from(vec![b'x'; CHUNK]);
    let stream = futures_util::stream::iter(
        (0..chunks).map(move |_| Ok::<_, upstream::BoxError>(Frame::data(chunk.clone()))),
    );
    BodyExt::boxed(StreamBody::new(stream))
}

struct Setup {
    proxy: Running,
    _dir: TempDir,
    policy_path: std::path::PathBuf,
}

async fn start(policy_text: &str, extra: &[&str]) -> Setup {
    let upstream = upstream::serve(handle).await;
    start_with_upstream(policy_text, &format!("http://{upstream}"), extra)
}

fn start_with_upstream(policy_text: &str, upstream_url: &str, extra: &[&str]) -> Setup {
    let dir = TempDir::new();
    let policy_path = dir.write("policy.toml", policy_text);
    let mut args = vec![
        "proxy",
        "--config",
        policy_path.to_str().unwrap(),
        "--upstream",
        upstream_url,
        "--listen",
        "127.0.0.1:0",
        "--assume-https",
        "--log-format",
        "json",
    ];
    args.extend_from_slice(extra);
    let proxy = Running::start(&args, &[]);
    Setup {
        proxy,
        _dir: dir,
        policy_path,
    }
}

async fn get(proxy: &Running, path: &str) -> Reply {
    http_client::get(&proxy.url(path), HOST).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn strips_unlisted_fixes_noncompliant_and_keeps_allowed_cookies() {
    let setup = start(&policy("strip", true), &[]).await;
    let reply = get(&setup.proxy, "/cookies").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text(), "cookies\n");
    assert_eq!(
        reply.set_cookie_names(),
        ["sid", "pref"],
        "{:?}",
        reply.set_cookies()
    );
    // Allowed: passes byte for byte.
    assert_eq!(reply.set_cookie("sid").unwrap(), cookie_headers()[0]);
    // Fixed: 1 hour at most, Secure and SameSite added.
    let pref = reply.set_cookie("pref").unwrap();
    assert!(pref.starts_with(&format!("pref={SENTINEL}-pref")), "{pref}");
    assert!(pref.contains("Max-Age=3600"), "{pref}");
    assert!(pref.contains("Secure"), "{pref}");
    assert!(pref.contains("SameSite=Lax"), "{pref}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn json_log_lines_carry_the_design_fields_and_no_cookie_value() {
    let setup = start(&policy("strip", true), &[]).await;
    get(&setup.proxy, "/cookies").await;
    let line = setup
        .proxy
        .wait_for_log("cookie policy violation", 0, LOG_WAIT)
        .expect("a violation event");
    assert!(!line.contains(SENTINEL), "{line}");
    let events = json_lines(&setup.proxy.stderr());
    let violations: Vec<_> = events
        .iter()
        .filter(|event| event["message"] == "cookie policy violation")
        .collect();
    let stripped = violations
        .iter()
        .find(|event| event["cookie.name"] == "_ga")
        .unwrap_or_else(|| panic!("an event for _ga in {violations:?}"));
    assert_eq!(stripped["target"], "cookie_warden");
    assert_eq!(stripped["level"], "WARN");
    assert_eq!(stripped["violation"], "unlisted");
    assert_eq!(stripped["action"], "stripped");
    assert_eq!(stripped["enforced"], true);
    assert_eq!(stripped["scope"], "app");
    assert_eq!(stripped["http.request.method"], "GET");
    assert_eq!(stripped["url.path"], "/cookies");
    assert_eq!(stripped["server.address"], HOST);
    assert_eq!(stripped["http.response.status_code"], 200);
    let fixed = violations
        .iter()
        .find(|event| event["cookie.name"] == "pref")
        .expect("an event for pref");
    assert_eq!(fixed["action"], "fixed");
    assert_eq!(fixed["cookie.rule"], "pref");
    assert!(
        fixed["violation"].as_str().unwrap().contains("lifetime_exceeded"),
        "{fixed}"
    );
    for line in setup.proxy.stderr().iter().chain(setup.proxy.stdout().iter()) {
        assert!(!line.contains(SENTINEL), "a cookie value leaked: {line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn blocks_the_whole_response_when_the_policy_says_block() {
    let setup = start(&policy("block", true), &[]).await;
    let reply = get(&setup.proxy, "/cookies").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(reply.set_cookies().is_empty(), "{:?}", reply.set_cookies());
    assert!(
        !reply.text().contains("cookies"),
        "the upstream body leaked: {}",
        reply.text()
    );
    assert!(!reply.text().contains(SENTINEL));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forwards_headers_per_rfc_and_removes_hop_by_hop_ones() {
    let setup = start(&policy("strip", true), &[]).await;
    let request = Request::get(setup.proxy.url("/echo-headers"))
        .header(header::HOST, HOST)
        .header(header::CONNECTION, "keep-alive, x-drop-me")
        .header("x-drop-me", "1")
        .header("keep-alive", "timeout=5")
        .header("x-kept", "1")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let seen = http_client::send(request, false).await.text();
    assert!(seen.contains(&format!("host: {HOST}\n")), "{seen}");
    assert!(seen.contains("x-forwarded-for: 127.0.0.1\n"), "{seen}");
    assert!(seen.contains("x-forwarded-proto: http\n"), "{seen}");
    assert!(seen.contains(&format!("x-forwarded-host: {HOST}\n")), "{seen}");
    assert!(seen.contains("x-kept: 1\n"), "{seen}");
    assert!(seen.contains("via: 1.1 cookie-warden\n"), "{seen}");
    assert!(!seen.contains("x-drop-me"), "{seen}");
    assert!(!seen.contains("keep-alive"), "{seen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn streams_50_mb_both_ways_with_flat_memory() {
    let setup = start(&policy("strip", true), &[]).await;
    // Warm up: pools, buffers and the allocator's first arenas.
    let warm = get(&setup.proxy, "/cookies").await;
    assert_eq!(warm.status, StatusCode::OK);
    let before_kib = setup.proxy.memory_kib("VmRSS");

    // Download, read frame by frame.
    let client: hyper_util::client::legacy::Client<_, Full<Bytes>> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
    let request = Request::get(setup.proxy.url("/big"))
        .header(header::HOST, HOST)
        .body(Full::new(Bytes::new()))
        .unwrap();
    let download = async {
        let response = client.request(request).await.expect("download response");
        assert_eq!(response.status(), StatusCode::OK);
        let mut body = response.into_body();
        let mut total = 0usize;
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.expect("download frame").into_data() {
                total += data.len();
            }
        }
        total
    };
    let total = tokio::time::timeout(Duration::from_secs(120), download)
        .await
        .expect("download in time");
    assert_eq!(total, CHUNK * BIG_CHUNKS);

    // Upload, produced one chunk at a time.
    let upload_client: hyper_util::client::legacy::Client<_, Body> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
    let request = Request::post(setup.proxy.url("/upload"))
        .header(header::HOST, HOST)
        .body(big_body(BIG_CHUNKS))
        .unwrap();
    let upload = async {
        let response = upload_client.request(request).await.expect("upload response");
        let body = response
            .into_body()
            .collect()
            .await
            .expect("upload reply")
            .to_bytes();
        String::from_utf8_lossy(&body).into_owned()
    };
    let counted = tokio::time::timeout(Duration::from_secs(120), upload)
        .await
        .expect("upload in time");
    assert_eq!(counted, (CHUNK * BIG_CHUNKS).to_string());

    let peak_kib = setup.proxy.memory_kib("VmHWM");
    let after_kib = setup.proxy.memory_kib("VmRSS");
    let growth_kib = peak_kib.saturating_sub(before_kib);
    println!("proxy memory: VmRSS before {before_kib} KiB, after {after_kib} KiB, peak {peak_kib} KiB");
    // Buffering either body whole would add 50 MiB at least.
    assert!(
        growth_kib < 16 * 1024,
        "proxy memory grew by {growth_kib} KiB while streaming 2 × 50 MiB"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn websocket_echo_passes_through_with_the_policy_applied_to_the_101() {
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::handshake::server::{Request as WsRequest, Response as WsResponse};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream_address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                #[expect(
                    clippy::result_large_err,
                    reason = "tungstenite's callback returns its own error response"
                )]
                let add_cookies = |_request: &WsRequest, mut response: WsResponse| {
                    for value in cookie_headers() {
                        response
                            .headers_mut()
                            .append(header::SET_COOKIE, value.parse().unwrap());
                    }
                    Ok(response)
                };
                let Ok(mut socket) = tokio_tungstenite::accept_hdr_async(stream, add_cookies).await else {
                    return;
                };
                while let Some(Ok(message)) = socket.next().await {
                    if message.is_text() || message.is_binary() {
                        let _ = socket.send(message).await;
                    }
                }
            });
        }
    });
    let setup = start_with_upstream(&policy("strip", true), &format!("http://{upstream_address}"), &[]);

    let mut request = format!("ws://{}/ws", setup.proxy.address)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(header::HOST, HOST.parse().unwrap());
    let stream = tokio::net::TcpStream::connect(setup.proxy.address).await.unwrap();
    let (mut socket, response) = tokio::time::timeout(
        Duration::from_secs(20),
        tokio_tungstenite::client_async(request, stream),
    )
    .await
    .expect("handshake in time")
    .expect("websocket handshake through the proxy");
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    let names: Vec<&str> = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| cookie_name(v.to_str().unwrap()))
        .collect();
    assert_eq!(names, ["sid", "pref"], "the policy applies to the 101 head");

    for text in ["hello", "through cookie-warden"] {
        socket.send(Message::text(text)).await.unwrap();
        let echoed = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("echo in time")
            .expect("a message")
            .expect("a valid message");
        assert_eq!(echoed.into_text().unwrap().as_str(), text);
    }
    socket.close(None).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn http2_prior_knowledge_clients_are_served() {
    let setup = start(&policy("strip", true), &["--trust-forwarded"]).await;
    let request = Request::get(setup.proxy.url("/cookies"))
        .header("x-forwarded-host", HOST)
        .body(Full::new(Bytes::new()))
        .unwrap();
    let reply = http_client::send(request, true).await;
    assert_eq!(reply.version, Version::HTTP_2);
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.set_cookie_names(),
        ["sid", "pref"],
        "{:?}",
        reply.set_cookies()
    );

    // HTTP/2 clients may split Cookie into several fields; the HTTP/1.1 upstream gets one.
    let request = Request::get(setup.proxy.url("/echo-headers"))
        .header("x-forwarded-host", HOST)
        .header(header::COOKIE, "sid=1")
        .header(header::COOKIE, "pref=2")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let seen = http_client::send(request, true).await.text();
    assert!(seen.contains("cookie: sid=1; pref=2\n"), "{seen}");
    assert_eq!(seen.matches("cookie:").count(), 1, "{seen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refused_upstream_is_a_502_with_an_event() {
    let refused = upstream::refused_address();
    let setup = start_with_upstream(&policy("strip", true), &format!("http://{refused}"), &[]);
    let reply = get(&setup.proxy, "/anything").await;
    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    assert!(reply.text().starts_with("502 Bad Gateway"), "{}", reply.text());
    let line = setup
        .proxy
        .wait_for_log("upstream failure", 0, LOG_WAIT)
        .expect("an upstream failure event");
    let event: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(event["upstream.error"], "refused");
    assert_eq!(event["http.response.status_code"], 502);
    // The proxy keeps serving.
    assert_eq!(get(&setup.proxy, "/again").await.status, StatusCode::BAD_GATEWAY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slow_upstream_is_a_504_with_an_event() {
    let setup = start(&policy("strip", true), &["--upstream-timeout", "300ms"]).await;
    let reply = get(&setup.proxy, "/slow").await;
    assert_eq!(reply.status, StatusCode::GATEWAY_TIMEOUT);
    assert!(
        reply.text().starts_with("504 Gateway Timeout"),
        "{}",
        reply.text()
    );
    let line = setup
        .proxy
        .wait_for_log("upstream failure", 0, LOG_WAIT)
        .expect("an upstream failure event");
    assert!(line.contains("head_timeout"), "{line}");
    assert_eq!(get(&setup.proxy, "/cookies").await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sighup_reloads_a_changed_policy_and_a_broken_one_keeps_the_running_policy() {
    let setup = start(&policy("strip", true), &["--no-watch"]).await;
    assert_eq!(
        get(&setup.proxy, "/cookies").await.set_cookie_names(),
        ["sid", "pref"]
    );

    // A changed policy: sid is no longer listed.
    std::fs::write(&setup.policy_path, policy("strip", false)).unwrap();
    let seen = setup.proxy.stderr().len();
    setup.proxy.signal(Signal::SIGHUP);
    setup
        .proxy
        .wait_for_log("policy reloaded", seen, LOG_WAIT)
        .expect("the policy reloads");
    assert_eq!(get(&setup.proxy, "/cookies").await.set_cookie_names(), ["pref"]);

    // A broken policy (two errors): both are logged, and the running policy stays.
    std::fs::write(
        &setup.policy_path,
        "version = 1\n[enforcement]\nmode = \"sometimes\"\ncolour = \"blue\"\n",
    )
    .unwrap();
    let seen = setup.proxy.stderr().len();
    setup.proxy.signal(Signal::SIGHUP);
    setup
        .proxy
        .wait_for_log("keeping the running policy", seen, LOG_WAIT)
        .expect("the reload is refused");
    let errors: Vec<String> = setup
        .proxy
        .stderr()
        .into_iter()
        .skip(seen)
        .filter(|line| line.contains("\"invalid policy\""))
        .collect();
    assert!(errors.iter().any(|line| line.contains("mode")), "{errors:?}");
    assert!(errors.iter().any(|line| line.contains("colour")), "{errors:?}");
    assert_eq!(get(&setup.proxy, "/cookies").await.set_cookie_names(), ["pref"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_changed_policy_file_is_reloaded_without_a_signal() {
    let setup = start(&policy("strip", true), &[]).await;
    assert_eq!(
        get(&setup.proxy, "/cookies").await.set_cookie_names(),
        ["sid", "pref"]
    );
    let seen = setup.proxy.stderr().len();
    // Replace the file by rename, as editors and config maps do.
    let staged = setup.policy_path.with_extension("new");
    std::fs::write(&staged, policy("strip", false)).unwrap();
    std::fs::rename(&staged, &setup.policy_path).unwrap();
    let line = setup
        .proxy
        .wait_for_log("policy reloaded", seen, LOG_WAIT)
        .expect("the change is seen");
    assert!(line.contains("file_change"), "{line}");
    assert_eq!(get(&setup.proxy, "/cookies").await.set_cookie_names(), ["pref"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn graceful_shutdown_lets_the_request_in_flight_finish() {
    let mut setup = start(&policy("strip", true), &["--shutdown-timeout", "20s"]).await;
    let url = setup.proxy.url("/slow");
    let in_flight = tokio::spawn(async move { http_client::get(&url, HOST).await });
    // Let the request reach the upstream (which answers after 3 s), then ask the proxy to stop.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let seen = setup.proxy.stderr().len();
    setup.proxy.signal(Signal::SIGTERM);
    setup
        .proxy
        .wait_for_log("shutting down", seen, LOG_WAIT)
        .expect("the proxy stops accepting");
    assert!(
        tokio::net::TcpStream::connect(setup.proxy.address).await.is_err(),
        "no new connections after the shutdown signal"
    );
    let reply = tokio::time::timeout(Duration::from_secs(20), in_flight)
        .await
        .expect("in time")
        .unwrap();
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text(), "slow\n");
    let status = setup
        .proxy
        .wait_exit(Duration::from_secs(20))
        .expect("the proxy exits");
    assert!(status.success(), "{status}");
    assert!(
        setup
            .proxy
            .wait_for_log("shutdown complete", seen, LOG_WAIT)
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_metrics_endpoint_counts_without_values() {
    let setup = start(&policy("strip", true), &["--metrics-listen", "127.0.0.1:0"]).await;
    get(&setup.proxy, "/cookies").await;
    get(&setup.proxy, "/cookies").await;
    let metrics_address = setup
        .proxy
        .printed("metrics on ")
        .expect("the metrics address is printed");
    let metrics = http_client::get(&format!("http://{metrics_address}/metrics"), "metrics")
        .await
        .text();
    let line = |prefix: &str, parts: &[&str]| {
        metrics
            .lines()
            .find(|line| line.starts_with(prefix) && parts.iter().all(|part| line.contains(part)))
            .unwrap_or_else(|| panic!("no {prefix} {parts:?} in\n{metrics}"))
            .to_owned()
    };
    let stripped = line(
        "cookie_warden_violations_total{",
        &[
            "violation=\"unlisted\"",
            "action=\"stripped\"",
            "scope=\"app\"",
            "source=\"response\"",
        ],
    );
    assert!(stripped.ends_with(" 2"), "{stripped}");
    let fixed = line(
        "cookie_warden_violations_total{",
        &["violation=\"lifetime_exceeded\"", "action=\"fixed\""],
    );
    assert!(fixed.ends_with(" 2"), "{fixed}");
    assert!(line("cookie_warden_set_cookie_total{", &["verdict=\"allow\""]).ends_with(" 2"));
    assert!(line("cookie_warden_set_cookie_total{", &["verdict=\"strip\""]).ends_with(" 2"));
    assert!(line("cookie_warden_set_cookie_total{", &["verdict=\"fix\""]).ends_with(" 2"));
    assert!(line("cookie_warden_requests_total{", &["status=\"2xx\""]).ends_with(" 2"));
    assert!(!metrics.contains(SENTINEL));
    assert!(
        !metrics.contains("rule="),
        "rule labels only when the policy asks"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tls_on_the_listener_serves_https_and_judges_requests_as_secure() {
    use std::sync::Arc;

    use rustls::pki_types::ServerName;

    let certified = rcgen::generate_simple_self_signed(vec![HOST.to_owned()]).expect("a test certificate");
    let dir = TempDir::new();
    let cert = dir.write("cert.pem", &certified.cert.pem());
    let key = dir.write("key.pem", &certified.signing_key.serialize_pem());
    let upstream = upstream::serve(handle).await;
    let policy_path = dir.write("policy.toml", &policy("strip", true));
    let proxy = Running::start(
        &[
            "proxy",
            "--config",
            policy_path.to_str().unwrap(),
            "--upstream",
            &format!("http://{upstream}"),
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        proxy.stdout()[0].starts_with("listening on https://"),
        "{:?}",
        proxy.stdout()
    );

    let mut roots = rustls::RootCertStore::empty();
    roots.add(certified.cert.der().clone()).unwrap();
    let config =
        rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let exchange = async {
        let tcp = tokio::net::TcpStream::connect(proxy.address).await.unwrap();
        let tls = connector
            .connect(ServerName::try_from(HOST).unwrap(), tcp)
            .await
            .expect("tls handshake");
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
                .await
                .unwrap();
        tokio::spawn(connection);
        let mut replies = Vec::new();
        for path in ["/cookies", "/echo-headers"] {
            let request = Request::get(path)
                .header(header::HOST, HOST)
                .body(Full::new(Bytes::new()))
                .unwrap();
            sender
                .ready()
                .await
                .expect("the connection is ready for the next request");
            let response = sender.send_request(request).await.unwrap();
            let headers = response.headers().clone();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            replies.push((headers, String::from_utf8_lossy(&body).into_owned()));
        }
        replies
    };
    let replies = tokio::time::timeout(Duration::from_secs(30), exchange)
        .await
        .expect("in time");
    let names: Vec<&str> = replies[0]
        .0
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| cookie_name(v.to_str().unwrap()))
        .collect();
    assert_eq!(names, ["sid", "pref"], "Secure cookies are kept over TLS");
    assert!(
        replies[1].1.contains("x-forwarded-proto: https\n"),
        "{}",
        replies[1].1
    );
}

/// Sends raw bytes on a new connection and returns what the proxy answers before it closes
/// (bounded).
async fn raw_exchange(proxy: &Running, request: &[u8], pause_after: Duration) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(proxy.address).await.unwrap();
        stream.write_all(request).await.unwrap();
        tokio::time::sleep(pause_after).await;
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        String::from_utf8_lossy(&answer).into_owned()
    };
    tokio::time::timeout(Duration::from_secs(30), exchange)
        .await
        .expect("the proxy answers in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_oversized_request_head_is_refused() {
    let setup = start(&policy("strip", true), &["--max-header-bytes", "16384"]).await;
    let request = format!(
        "GET /cookies HTTP/1.1\r\nHost: {HOST}\r\nX-Padding: {}\r\nConnection: close\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let answer = raw_exchange(&setup.proxy, request.as_bytes(), Duration::ZERO).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    assert_eq!(
        get(&setup.proxy, "/cookies").await.status,
        StatusCode::OK,
        "the proxy keeps serving"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_that_stalls_mid_upload_gets_a_408() {
    let setup = start(&policy("strip", true), &["--body-idle-timeout", "300ms"]).await;
    let request =
        format!("POST /upload HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 1000\r\n\r\nonly a little");
    let answer = raw_exchange(&setup.proxy, request.as_bytes(), Duration::ZERO).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let line = setup
        .proxy
        .wait_for_log("body failed mid-stream", 0, LOG_WAIT)
        .expect("a body event");
    assert!(
        line.contains("\"body\":\"request\"") && line.contains("\"kind\":\"timeout\""),
        "{line}"
    );
    assert_eq!(
        get(&setup.proxy, "/cookies").await.status,
        StatusCode::OK,
        "the proxy keeps serving"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_upstream_failing_mid_body_cuts_the_response_with_an_event() {
    let setup = start(&policy("strip", true), &[]).await;
    let request = format!("GET /reset-mid-body HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n");
    let answer = raw_exchange(&setup.proxy, request.as_bytes(), Duration::ZERO).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("first chunk"), "{answer}");
    assert!(
        !answer.ends_with("0\r\n\r\n"),
        "a cut body must not look complete: {answer}"
    );
    let line = setup
        .proxy
        .wait_for_log("body failed mid-stream", 0, LOG_WAIT)
        .expect("a body event");
    assert!(line.contains("\"body\":\"response\""), "{line}");
    assert_eq!(
        get(&setup.proxy, "/cookies").await.status,
        StatusCode::OK,
        "the proxy keeps serving"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rfc_7239_forwarded_and_a_replaced_upstream_host() {
    let setup = start(
        &policy("strip", true),
        &["--forwarded", "forwarded", "--upstream-host", "internal.example"],
    )
    .await;
    let seen = get(&setup.proxy, "/echo-headers").await.text();
    assert!(seen.contains("host: internal.example\n"), "{seen}");
    assert!(
        seen.contains(&format!("forwarded: for=127.0.0.1;proto=http;host=\"{HOST}\"\n")),
        "{seen}"
    );
    assert!(!seen.contains("x-forwarded"), "{seen}");
    // The policy still judges the request by the host the client asked for.
    assert_eq!(
        get(&setup.proxy, "/cookies").await.set_cookie_names(),
        ["sid", "pref"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn metrics_carry_the_rule_only_when_the_policy_asks() {
    let with_rule = format!("{}\n[metrics]\nrule_label = true\n", policy("strip", true));
    let setup = start(&with_rule, &["--metrics-listen", "127.0.0.1:0"]).await;
    get(&setup.proxy, "/cookies").await;
    let metrics_address = setup
        .proxy
        .printed("metrics on ")
        .expect("the metrics address is printed");
    let metrics = http_client::get(&format!("http://{metrics_address}/metrics"), "metrics")
        .await
        .text();
    let fixed = metrics
        .lines()
        .find(|line| line.starts_with("cookie_warden_violations_total{") && line.contains("action=\"fixed\""))
        .unwrap_or_else(|| panic!("a fixed violation in\n{metrics}"));
    assert!(fixed.contains("rule=\"pref\""), "{fixed}");
    // An unlisted cookie has no rule, and its name is never a label.
    let stripped = metrics
        .lines()
        .find(|line| {
            line.starts_with("cookie_warden_violations_total{") && line.contains("action=\"stripped\"")
        })
        .unwrap_or_else(|| panic!("a stripped violation in\n{metrics}"));
    assert!(
        !stripped.contains("rule=") && !stripped.contains("_ga"),
        "{stripped}"
    );
    assert!(!metrics.contains(SENTINEL));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn graceful_shutdown_is_bounded_by_the_shutdown_timeout() {
    let mut setup = start(&policy("strip", true), &["--shutdown-timeout", "300ms"]).await;
    let url = setup.proxy.url("/slow");
    // The upstream answers after 3 s: longer than the proxy may wait once told to stop.
    let in_flight = tokio::spawn(async move {
        let client: hyper_util::client::legacy::Client<_, Full<Bytes>> =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
        let request = Request::get(url)
            .header(header::HOST, HOST)
            .body(Full::new(Bytes::new()))
            .unwrap();
        client.request(request).await.map(|response| response.status())
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let seen = setup.proxy.stderr().len();
    setup.proxy.signal(Signal::SIGTERM);
    let status = setup
        .proxy
        .wait_exit(Duration::from_secs(20))
        .expect("the proxy exits without waiting for the upstream");
    assert!(status.success(), "{status}");
    assert!(
        setup
            .proxy
            .wait_for_log("shutdown timed out", seen, LOG_WAIT)
            .is_some(),
        "{:?}",
        setup.proxy.stderr()
    );
    let outcome = tokio::time::timeout(Duration::from_secs(20), in_flight)
        .await
        .expect("in time")
        .unwrap();
    assert!(
        outcome.is_err(),
        "the cut request fails instead of hanging: {outcome:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thousands_of_request_cookies_write_one_event_and_count_each_in_the_metrics() {
    let strip = policy("strip", true).replace(
        "noncompliant = \"fix\"",
        "noncompliant = \"fix\"\nrequest_cookies = \"strip\"",
    );
    let setup = start(&strip, &["--metrics-listen", "127.0.0.1:0"]).await;
    // 6,790 unlisted pairs in a 60 kB Cookie header, and one allowed.
    let mut pairs: Vec<String> = (0..6_790).map(|i| format!("t{i}=1")).collect();
    pairs.push(format!("sid={SENTINEL}"));
    let cookie = pairs.join("; ");
    assert!(cookie.len() > 60_000 && cookie.len() < 65_000, "{}", cookie.len());
    let request = Request::get(setup.proxy.url("/echo-headers"))
        .header(header::HOST, HOST)
        .header(header::COOKIE, &cookie)
        .body(Full::new(Bytes::new()))
        .unwrap();
    let seen = http_client::send(request, false).await;
    assert_eq!(seen.status, StatusCode::OK, "{}", seen.text());
    assert!(
        seen.text().contains(&format!("cookie: sid={SENTINEL}\n")),
        "{}",
        seen.text()
    );

    let metrics_address = setup
        .proxy
        .printed("metrics on ")
        .expect("the metrics address is printed");
    let metrics = http_client::get(&format!("http://{metrics_address}/metrics"), "metrics")
        .await
        .text();
    let unlisted = metrics
        .lines()
        .find(|line| {
            line.starts_with("cookie_warden_violations_total{")
                && line.contains("violation=\"unlisted\"")
                && line.contains("source=\"request\"")
        })
        .unwrap_or_else(|| panic!("no request violations in\n{metrics}"));
    assert!(unlisted.contains("action=\"stripped\""), "{unlisted}");
    assert!(unlisted.ends_with(" 6790"), "{unlisted}");

    let violation = |e: &serde_json::Value| e["message"] == "cookie policy violation";
    let events: Vec<_> = setup
        .proxy
        .wait_for_event(violation, 0, LOG_WAIT)
        .into_iter()
        .filter(violation)
        .collect();
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0]["cookie.count"], 6_790);
    assert_eq!(events[0]["cookie.names"], "t0,t1,t2,t3,t4,t5,t6,t7");
    assert_eq!(events[0]["level"], "WARN");
}
