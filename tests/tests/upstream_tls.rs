//! End-to-end tests of TLS around the proxy: `https://` upstreams (a private CA, a wrong CA, an
//! SNI override, HTTP/2 by ALPN), the listener's certificate reloaded (SIGHUP, a kubelet-style
//! symlink swap, a broken pair), and HTTP/1.1 trailers in both directions without cookies. The
//! real binary, with upstreams and clients on 127.0.0.1 (OS-chosen ports); every wait is bounded.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use cookie_warden_tests::http_client::cookie_name;
use cookie_warden_tests::upstream::{self, Body, full};
use cookie_warden_tests::{Running, TempDir, json_lines};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, Version, header};
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use nix::sys::signal::Signal;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, SerialNumber};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

/// Every cookie value carries this, so that tests can prove no value leaks.
const SENTINEL: &str = "SENTINEL9c1e";

/// The host every test request is judged as.
const HOST: &str = "app.test";

/// How long to wait for a log line or a request.
const WAIT: Duration = Duration::from_secs(20);

/// `sid` is listed, anything else is stripped.
fn policy(mode: &str) -> String {
    format!(
        "version = 1\n\n[enforcement]\nmode = \"{mode}\"\nunlisted = \"strip\"\nnoncompliant = \"fix\"\n\n\
[[scope]]\nid = \"app\"\nhosts = [\"{HOST}\"]\npaths = [\"/\"]\n\n\
[[cookie]]\nname = \"sid\"\nscopes = [\"app\"]\nlifetime = \"session\"\n"
    )
}

// ---------------------------------------------------------------------------------------------
// Certificates
// ---------------------------------------------------------------------------------------------

/// A private certificate authority.
struct Authority {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

impl Authority {
    fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        let key = KeyPair::generate().unwrap();
        let pem = params.self_signed(&key).unwrap().pem();
        Self {
            issuer: Issuer::new(params, key),
            pem,
        }
    }

    /// A leaf certificate for `names` (DNS names or IP addresses) with `serial`.
    fn leaf(&self, names: &[&str], serial: u64) -> Leaf {
        let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.serial_number = Some(SerialNumber::from(serial));
        let key = KeyPair::generate().unwrap();
        let certificate = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            der: certificate.der().clone(),
            pem: certificate.pem(),
            key_pem: key.serialize_pem(),
            key_der: key.serialize_der(),
        }
    }
}

/// A certificate and its key.
struct Leaf {
    der: CertificateDer<'static>,
    pem: String,
    key_pem: String,
    key_der: Vec<u8>,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

// ---------------------------------------------------------------------------------------------
// A TLS upstream
// ---------------------------------------------------------------------------------------------

/// A TLS acceptor serving `leaf`, offering `alpn`.
fn acceptor(leaf: &Leaf, alpn: &[&[u8]]) -> tokio_rustls::TlsAcceptor {
    let key = PrivateKeyDer::Pkcs8(leaf.key_der.clone().into());
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der.clone()], key)
        .unwrap();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// What the TLS upstream saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    version: Version,
    /// `Host`, or the `:authority` of an HTTP/2 request.
    host: String,
    sni: Option<String>,
    te: Option<String>,
}

/// An upstream serving `leaf` over TLS, offering `alpn`; records what it sees and answers with
/// a listed and an unlisted cookie, a body and, when the client takes them, trailers.
async fn tls_upstream(leaf: &Leaf, alpn: &[&[u8]]) -> (SocketAddr, Arc<Mutex<Vec<Seen>>>) {
    let acceptor = acceptor(leaf, alpn);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let recorded = Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            let recorded = Arc::clone(&recorded);
            tokio::spawn(async move {
                // A client that does not trust the certificate aborts here.
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let sni = tls.get_ref().1.server_name().map(str::to_owned);
                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                    let host = request
                        .uri()
                        .authority()
                        .map(|a| a.as_str().to_owned())
                        .or_else(|| {
                            request
                                .headers()
                                .get(header::HOST)
                                .map(|h| h.to_str().unwrap().to_owned())
                        })
                        .unwrap_or_default();
                    let te = request
                        .headers()
                        .get(header::TE)
                        .map(|te| te.to_str().unwrap().to_owned());
                    recorded.lock().unwrap().push(Seen {
                        version: request.version(),
                        host,
                        sni: sni.clone(),
                        te: te.clone(),
                    });
                    async move { Ok::<_, std::convert::Infallible>(cookie_response(te.is_some())) }
                });
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (address, seen)
}

/// `sid` (listed) and `_ga` (unlisted), a streamed body, and with `trailers` a trailer with a
/// checksum and a cookie.
fn cookie_response(trailers: bool) -> Response<Body> {
    let mut frames = vec![Frame::data(Bytes::from_static(b"hello over tls\n"))];
    if trailers {
        let mut fields = HeaderMap::new();
        fields.append("x-checksum", HeaderValue::from_static("abc123"));
        fields.append(
            header::SET_COOKIE,
            HeaderValue::from_str(&format!("late={SENTINEL}-late")).unwrap(),
        );
        frames.push(Frame::trailers(fields));
    }
    let stream = futures_util::stream::iter(frames.into_iter().map(Ok::<_, upstream::BoxError>));
    let mut response = Response::new(StreamBody::new(stream).boxed());
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        format!("sid={SENTINEL}-sid; Path=/; Secure; HttpOnly")
            .parse()
            .unwrap(),
    );
    headers.append(
        header::SET_COOKIE,
        format!("_ga={SENTINEL}-ga; Path=/").parse().unwrap(),
    );
    if trailers {
        headers.insert(
            header::TRAILER,
            HeaderValue::from_static("x-checksum, set-cookie"),
        );
    }
    response
}

// ---------------------------------------------------------------------------------------------
// The proxy and its clients
// ---------------------------------------------------------------------------------------------

/// Starts the proxy in front of `upstream` with `extra` arguments (JSON logs).
fn proxy(dir: &TempDir, upstream: &str, extra: &[&str]) -> Running {
    let policy = dir.write("policy.toml", &policy("enforce"));
    let mut args = vec![
        "proxy",
        "--config",
        policy.to_str().unwrap(),
        "--upstream",
        upstream,
        "--listen",
        "127.0.0.1:0",
        "--log-format",
        "json",
        // A TLS terminator in front: the `Secure` cookie `sid` is kept.
        "--assume-https",
    ];
    args.extend_from_slice(extra);
    Running::start(&args, &[])
}

/// A reply, with its trailers. Its `Debug` (in assertion messages) shows header names and cookie
/// names, never a value.
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    trailers: Option<HeaderMap>,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("cookies", &self.cookie_names())
            .field("body_len", &self.body.len())
            .field(
                "trailers",
                &self.trailers.as_ref().map(|t| t.keys().collect::<Vec<_>>()),
            )
            .finish()
    }
}

impl Reply {
    fn cookie_names(&self) -> Vec<&str> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| cookie_name(v.to_str().unwrap()))
            .collect()
    }
}

/// Sends `request` over a new plain HTTP/1.1 connection to `address` (bounded).
async fn exchange<B>(address: SocketAddr, request: Request<B>) -> Reply
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let exchange = async {
        let tcp = tokio::net::TcpStream::connect(address).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .unwrap();
        tokio::spawn(connection);
        let response = sender.send_request(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let collected = body.collect().await.unwrap();
        let trailers = collected.trailers().cloned();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body: collected.to_bytes(),
            trailers,
        }
    };
    tokio::time::timeout(WAIT, exchange)
        .await
        .expect("an answer in time")
}

fn get(path: &str) -> Request<Full<Bytes>> {
    Request::get(path)
        .header(header::HOST, HOST)
        .body(Full::new(Bytes::new()))
        .unwrap()
}

/// Waits for a JSON event with `message` and the given fields, after the first `skip` lines.
fn wait_for_event(proxy: &Running, skip: usize, message: &str, fields: &[(&str, &str)]) -> serde_json::Value {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let lines = proxy.stderr();
        let found = json_lines(&lines[skip.min(lines.len())..])
            .into_iter()
            .find(|event| {
                event["message"] == message
                    && fields
                        .iter()
                        .all(|(key, value)| event[*key].as_str() == Some(*value))
            });
        if let Some(event) = found {
            return event;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no `{message}` event with {fields:?}; stderr:\n{}",
            lines.join("\n")
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn assert_no_value(proxy: &Running) {
    for line in proxy.stderr() {
        assert!(!line.contains(SENTINEL), "a cookie value in the logs: {line}");
    }
}

// ---------------------------------------------------------------------------------------------
// https upstreams
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_https_upstream_with_a_private_ca_is_trusted_and_judged() {
    let ca = Authority::new("private CA");
    let leaf = ca.leaf(&["127.0.0.1"], 1);
    let (address, seen) = tls_upstream(&leaf, &[b"http/1.1"]).await;
    let dir = TempDir::new();
    let ca_file = dir.write("ca.pem", &ca.pem);
    let proxy = proxy(
        &dir,
        &format!("https://{address}"),
        &["--upstream-ca", ca_file.to_str().unwrap()],
    );

    for _ in 0..3 {
        let reply = exchange(proxy.address, get("/")).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        assert_eq!(reply.body, "hello over tls\n");
        assert_eq!(reply.cookie_names(), ["sid"], "the unlisted cookie is stripped");
    }
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    for request in &seen {
        assert_eq!(request.version, Version::HTTP_11);
        assert_eq!(request.host, HOST, "the Host sent upstream stays the client's");
        assert_eq!(request.sni, None, "no SNI for an IP address");
    }
    assert_no_value(&proxy);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_upstream_certificate_from_another_ca_is_a_502_with_the_usual_event() {
    let ca = Authority::new("the upstream's CA");
    let (address, seen) = tls_upstream(&ca.leaf(&["127.0.0.1"], 1), &[b"http/1.1"]).await;
    let dir = TempDir::new();
    let other = dir.write("other-ca.pem", &Authority::new("another CA").pem);
    let proxy = proxy(
        &dir,
        &format!("https://{address}"),
        &["--upstream-ca", other.to_str().unwrap()],
    );

    let reply = exchange(proxy.address, get("/")).await;
    assert_eq!(reply.status, StatusCode::BAD_GATEWAY, "{reply:?}");
    assert!(reply.cookie_names().is_empty());
    let event = wait_for_event(&proxy, 0, "upstream failure", &[("upstream.error", "tls")]);
    assert_eq!(event["http.response.status_code"], 502);
    let error = event["error"].as_str().unwrap();
    assert!(error.contains("certificate"), "the event says why: {error}");
    assert!(seen.lock().unwrap().is_empty(), "no request reached the upstream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_sni_override_names_the_certificate_and_leaves_the_host_alone() {
    let ca = Authority::new("private CA");
    // The certificate names the service, not the address the proxy connects to.
    let (address, seen) = tls_upstream(&ca.leaf(&["backend.internal"], 7), &[b"http/1.1"]).await;
    let dir = TempDir::new();
    let ca_file = dir.write("ca.pem", &ca.pem);
    let url = format!("https://{address}");
    let ca_arg = ca_file.to_str().unwrap();

    let without = proxy(&dir, &url, &["--upstream-ca", ca_arg]);
    let reply = exchange(without.address, get("/")).await;
    assert_eq!(
        reply.status,
        StatusCode::BAD_GATEWAY,
        "the address is not the certificate's name"
    );
    drop(without);

    let with = proxy(
        &dir,
        &url,
        &["--upstream-ca", ca_arg, "--upstream-sni", "backend.internal"],
    );
    let reply = exchange(with.address, get("/")).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].sni.as_deref(), Some("backend.internal"));
    assert_eq!(seen[0].host, HOST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_upstream_offering_h2_by_alpn_gets_http2_with_the_host_as_authority() {
    let ca = Authority::new("private CA");
    let (address, seen) = tls_upstream(&ca.leaf(&["127.0.0.1"], 1), &[b"h2", b"http/1.1"]).await;
    let dir = TempDir::new();
    let ca_file = dir.write("ca.pem", &ca.pem);
    let proxy = proxy(
        &dir,
        &format!("https://{address}"),
        &["--upstream-ca", ca_file.to_str().unwrap()],
    );

    let replies = futures_util::future::join_all((0..4).map(|_| exchange(proxy.address, get("/x")))).await;
    for reply in &replies {
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        assert_eq!(reply.cookie_names(), ["sid"]);
    }
    // Trailers from an HTTP/2 upstream reach an HTTP/1.1 client that takes them, without cookies.
    let mut request = get("/x");
    request
        .headers_mut()
        .insert(header::TE, HeaderValue::from_static("trailers"));
    let reply = exchange(proxy.address, request).await;
    let trailers = reply.trailers.expect("trailers forwarded");
    assert_eq!(trailers["x-checksum"], "abc123");
    assert!(
        !trailers.contains_key(header::SET_COOKIE),
        "{:?}",
        trailers.keys().collect::<Vec<_>>()
    );

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 5);
    for request in &seen {
        assert_eq!(request.version, Version::HTTP_2, "the upstream saw HTTP/2");
        assert_eq!(request.host, HOST, ":authority is the client's host");
    }
    assert_eq!(seen[4].te.as_deref(), Some("trailers"));
    assert_no_value(&proxy);
}

/// An upstream offering `h2` and `http/1.1`: HTTP/2 connections get [`cookie_response`],
/// HTTP/1.1 ones a WebSocket echo. Records the protocol each connection chose.
async fn tls_websocket_upstream(leaf: &Leaf) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    use futures_util::{SinkExt, StreamExt};

    let acceptor = acceptor(leaf, &[b"h2", b"http/1.1"]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let chosen: Arc<Mutex<Vec<String>>> = Arc::default();
    let recorded = Arc::clone(&chosen);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let recorded = Arc::clone(&recorded);
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let alpn = tls.get_ref().1.alpn_protocol().unwrap_or_default().to_vec();
                recorded
                    .lock()
                    .unwrap()
                    .push(String::from_utf8(alpn.clone()).unwrap());
                if alpn == b"h2" {
                    let service = hyper::service::service_fn(|_request: Request<Incoming>| async {
                        Ok::<_, std::convert::Infallible>(cookie_response(false))
                    });
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                    return;
                }
                let Ok(mut socket) = tokio_tungstenite::accept_async(tls).await else {
                    return;
                };
                while let Some(Ok(message)) = socket.next().await {
                    if message.is_text() {
                        let _ = socket.send(message).await;
                    }
                }
            });
        }
    });
    (address, chosen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_websocket_to_an_h2_upstream_goes_on_an_http1_connection_of_its_own() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let ca = Authority::new("private CA");
    let (address, chosen) = tls_websocket_upstream(&ca.leaf(&["127.0.0.1"], 1)).await;
    let dir = TempDir::new();
    let ca_file = dir.write("ca.pem", &ca.pem);
    let proxy = proxy(
        &dir,
        &format!("https://{address}"),
        &["--upstream-ca", ca_file.to_str().unwrap()],
    );
    assert_eq!(exchange(proxy.address, get("/")).await.status, StatusCode::OK);

    let mut request = format!("ws://{}/ws", proxy.address)
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert(header::HOST, HeaderValue::from_static(HOST));
    let stream = tokio::net::TcpStream::connect(proxy.address).await.unwrap();
    let (mut socket, response) = tokio::time::timeout(WAIT, tokio_tungstenite::client_async(request, stream))
        .await
        .expect("handshake in time")
        .expect("websocket handshake through the proxy");
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    socket.send(Message::text("over tls")).await.unwrap();
    let echoed = tokio::time::timeout(WAIT, socket.next())
        .await
        .expect("echo in time")
        .unwrap()
        .unwrap();
    assert_eq!(echoed, Message::text("over tls"));
    assert_eq!(*chosen.lock().unwrap(), ["h2", "http/1.1"]);
}

#[test]
fn bad_upstream_tls_settings_stop_the_start_with_a_clear_error() {
    let dir = TempDir::new();
    let policy = dir.write("policy.toml", &policy("enforce"));
    let not_pem = dir.write("not-pem.pem", "hello\n");
    let run = |args: &[&str]| {
        let mut all = vec![
            "proxy",
            "--config",
            policy.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ];
        all.extend_from_slice(args);
        let output = std::process::Command::new(cookie_warden_tests::binary())
            .args(&all)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let missing = dir.path("missing.pem");
    let stderr = run(&[
        "--upstream",
        "https://backend.internal",
        "--upstream-ca",
        missing.to_str().unwrap(),
    ]);
    assert!(
        stderr.contains("cannot read --upstream-ca") && stderr.contains("missing.pem"),
        "{stderr}"
    );
    let stderr = run(&[
        "--upstream",
        "https://backend.internal",
        "--upstream-ca",
        not_pem.to_str().unwrap(),
    ]);
    assert!(stderr.contains("no certificate in --upstream-ca"), "{stderr}");
    let stderr = run(&[
        "--upstream",
        "https://backend.internal",
        "--upstream-sni",
        "not a name",
    ]);
    assert!(stderr.contains("invalid --upstream-sni `not a name`"), "{stderr}");
    let stderr = run(&[
        "--upstream",
        "http://backend.internal",
        "--upstream-sni",
        "backend.internal",
    ]);
    assert!(stderr.contains("need an https:// upstream"), "{stderr}");
}

// ---------------------------------------------------------------------------------------------
// Trailers
// ---------------------------------------------------------------------------------------------

/// What the trailer upstream saw: the request trailers it received.
type SeenTrailers = Arc<Mutex<Vec<Option<HeaderMap>>>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn http1_trailers_cross_both_ways_without_cookie_fields() {
    let received: SeenTrailers = Arc::default();
    let recorded = Arc::clone(&received);
    let address = upstream::serve(move |request: Request<Incoming>| {
        let recorded = Arc::clone(&recorded);
        async move {
            let takes_trailers = request
                .headers()
                .get(header::TE)
                .is_some_and(|te| te == "trailers");
            let collected = request.into_body().collect().await.unwrap();
            recorded.lock().unwrap().push(collected.trailers().cloned());
            cookie_response(takes_trailers)
        }
    })
    .await;
    let dir = TempDir::new();
    for mode in ["enforce", "report-only"] {
        let policy = dir.write("policy.toml", &policy(mode));
        let proxy = Running::start(
            &[
                "proxy",
                "--config",
                policy.to_str().unwrap(),
                "--upstream",
                &format!("http://{address}"),
                "--listen",
                "127.0.0.1:0",
            ],
            &[],
        );
        let mut request_trailers = HeaderMap::new();
        request_trailers.append("x-upload-checksum", HeaderValue::from_static("def456"));
        request_trailers.append(
            header::COOKIE,
            HeaderValue::from_str(&format!("sid={SENTINEL}-req")).unwrap(),
        );
        let frames = vec![
            Frame::data(Bytes::from_static(b"upload")),
            Frame::trailers(request_trailers),
        ];
        let body = StreamBody::new(futures_util::stream::iter(
            frames.into_iter().map(Ok::<_, std::convert::Infallible>),
        ));
        let request = Request::post("/upload")
            .header(header::HOST, HOST)
            .header(header::TE, "trailers")
            .header(header::TRAILER, "x-upload-checksum, cookie")
            .body(body)
            .unwrap();
        let reply = exchange(proxy.address, request).await;
        assert_eq!(reply.status, StatusCode::OK, "{mode}: {reply:?}");
        let trailers = reply
            .trailers
            .unwrap_or_else(|| panic!("{mode}: response trailers forwarded"));
        assert_eq!(trailers["x-checksum"], "abc123", "{mode}");
        assert!(
            !trailers.contains_key(header::SET_COOKIE),
            "{mode}: {:?}",
            trailers.keys().collect::<Vec<_>>()
        );
        let announced = reply.headers[header::TRAILER].to_str().unwrap().to_owned();
        assert!(
            !announced.to_ascii_lowercase().contains("set-cookie"),
            "{mode}: {announced}"
        );

        let upstream_trailers = received
            .lock()
            .unwrap()
            .pop()
            .flatten()
            .unwrap_or_else(|| panic!("{mode}: request trailers forwarded"));
        assert_eq!(upstream_trailers["x-upload-checksum"], "def456", "{mode}");
        assert!(
            !upstream_trailers.contains_key(header::COOKIE),
            "{mode}: {:?}",
            upstream_trailers.keys().collect::<Vec<_>>()
        );
        assert_no_value(&proxy);
    }
}

// ---------------------------------------------------------------------------------------------
// Listener certificate reload
// ---------------------------------------------------------------------------------------------

/// A TLS client of the proxy trusting `ca`: connects, returns the certificate the proxy showed
/// and an HTTP/1.1 sender on that connection.
async fn tls_client(
    proxy: &Running,
    ca: &Authority,
) -> (
    CertificateDer<'static>,
    hyper::client::conn::http1::SendRequest<Full<Bytes>>,
) {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from_pem_slice(ca.pem.as_bytes()).unwrap())
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let connect = async {
        let tcp = tokio::net::TcpStream::connect(proxy.address).await.unwrap();
        let tls = connector
            .connect(ServerName::try_from(HOST).unwrap(), tcp)
            .await
            .expect("tls handshake");
        let shown = tls.get_ref().1.peer_certificates().unwrap()[0].clone();
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .unwrap();
        tokio::spawn(connection);
        (shown, sender)
    };
    tokio::time::timeout(WAIT, connect)
        .await
        .expect("connected in time")
}

/// Sends SIGHUP and waits for the certificate reload's event `message`.
fn reload_by_sighup(proxy: &Running, message: &str) -> serde_json::Value {
    let skip = proxy.stderr().len();
    proxy.signal(Signal::SIGHUP);
    wait_for_event(proxy, skip, message, &[("trigger", "sighup")])
}

/// `GET /` on an open connection; the status.
async fn get_on(sender: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>) -> StatusCode {
    let exchange = async {
        sender.ready().await.unwrap();
        let response = sender.send_request(get("/")).await.unwrap();
        let status = response.status();
        response.into_body().collect().await.unwrap();
        status
    };
    tokio::time::timeout(WAIT, exchange)
        .await
        .expect("an answer in time")
}

/// The proxy with TLS from `cert`/`key`, in front of a plain upstream.
async fn tls_proxy(dir: &TempDir, cert: &Path, key: &Path, extra: &[&str]) -> Running {
    let upstream = upstream::serve(|_request| async { Response::new(full("ok\n")) }).await;
    let mut args = vec![
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    proxy(dir, &format!("http://{upstream}"), &args)
}

use rustls::pki_types::pem::PemObject as _;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sighup_reloads_the_certificate_for_new_connections_and_keeps_open_ones() {
    let ca = Authority::new("listener CA");
    let (first, second) = (ca.leaf(&[HOST], 1001), ca.leaf(&[HOST], 1002));
    let dir = TempDir::new();
    let cert = dir.write("tls.crt", &first.pem);
    let key = dir.write("tls.key", &first.key_pem);
    let proxy = tls_proxy(&dir, &cert, &key, &["--no-watch"]).await;

    let (shown, mut open) = tls_client(&proxy, &ca).await;
    assert_eq!(shown, first.der);
    assert_eq!(get_on(&mut open).await, StatusCode::OK);

    std::fs::write(&cert, &second.pem).unwrap();
    std::fs::write(&key, &second.key_pem).unwrap();
    reload_by_sighup(&proxy, "tls certificate reloaded");

    let (shown, mut fresh) = tls_client(&proxy, &ca).await;
    assert_eq!(
        shown, second.der,
        "a new connection gets the new certificate (serial 1002)"
    );
    assert_eq!(get_on(&mut fresh).await, StatusCode::OK);
    assert_eq!(
        get_on(&mut open).await,
        StatusCode::OK,
        "the open connection continues"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_kubelet_style_symlink_swap_reloads_the_certificate() {
    let ca = Authority::new("listener CA");
    let (first, second) = (ca.leaf(&[HOST], 2001), ca.leaf(&[HOST], 2002));
    let dir = TempDir::new();
    // The layout of a mounted Secret: tls.crt → ..data/tls.crt, ..data → ..<timestamp>.
    let write_version = |name: &str, leaf: &Leaf| {
        std::fs::create_dir_all(dir.path(name)).unwrap();
        std::fs::write(dir.path(name).join("tls.crt"), &leaf.pem).unwrap();
        std::fs::write(dir.path(name).join("tls.key"), &leaf.key_pem).unwrap();
    };
    write_version("..2026_12_03_07_00_00.1", &first);
    std::os::unix::fs::symlink("..2026_12_03_07_00_00.1", dir.path("..data")).unwrap();
    std::os::unix::fs::symlink("..data/tls.crt", dir.path("tls.crt")).unwrap();
    std::os::unix::fs::symlink("..data/tls.key", dir.path("tls.key")).unwrap();
    let proxy = tls_proxy(&dir, &dir.path("tls.crt"), &dir.path("tls.key"), &[]).await;
    assert_eq!(tls_client(&proxy, &ca).await.0, first.der);

    let skip = proxy.stderr().len();
    write_version("..2026_12_03_08_00_00.2", &second);
    std::os::unix::fs::symlink("..2026_12_03_08_00_00.2", dir.path("..data_tmp")).unwrap();
    std::fs::rename(dir.path("..data_tmp"), dir.path("..data")).unwrap();
    wait_for_event(
        &proxy,
        skip,
        "tls certificate reloaded",
        &[("trigger", "file_change")],
    );
    assert_eq!(
        tls_client(&proxy, &ca).await.0,
        second.der,
        "a new connection gets the new certificate (serial 2002)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_broken_pair_keeps_the_running_certificate_and_says_why() {
    let ca = Authority::new("listener CA");
    let (first, second) = (ca.leaf(&[HOST], 3001), ca.leaf(&[HOST], 3002));
    let dir = TempDir::new();
    let cert = dir.write("tls.crt", &first.pem);
    let key = dir.write("tls.key", &first.key_pem);
    let proxy = tls_proxy(&dir, &cert, &key, &["--no-watch"]).await;

    // A new certificate with the old key: a pair that does not fit.
    std::fs::write(&cert, &second.pem).unwrap();
    let event = reload_by_sighup(
        &proxy,
        "tls certificate not reloaded: keeping the running certificate",
    );
    let error = event["error"].as_str().unwrap();
    assert!(error.contains("does not fit the certificate"), "{error}");
    assert!(!error.contains("PRIVATE KEY"), "{error}");
    let (shown, mut sender) = tls_client(&proxy, &ca).await;
    assert_eq!(shown, first.der, "the old certificate is still served");
    assert_eq!(get_on(&mut sender).await, StatusCode::OK);

    // Fixed: the next SIGHUP takes it.
    std::fs::write(&key, &second.key_pem).unwrap();
    reload_by_sighup(&proxy, "tls certificate reloaded");
    assert_eq!(tls_client(&proxy, &ca).await.0, second.der);
}
