//! A load client that checks every response: N concurrent keep-alive HTTP/1.1 connections
//! through the proxy for a fixed time, while the policy is switched by live reload, each
//! response's `Set-Cookie` headers compared byte for byte with what the policy in force at that
//! moment lets through.
//!
//! Two policies alternate ([`policy_text`] `Variant::A` and `B`). The upstream ([`upstream`])
//! sets the same five cookies on every response: `sid` (allowed by both), `flip_a` (allowed by
//! A only), `flip_b` (allowed by B only), `pref` (allowed by both but with a longer lifetime than
//! either allows: fixed to 1 h under A, 2 h under B) and `_rogue` (allowed by neither). A response
//! under A carries exactly `sid`, `flip_a` and `pref` with `Max-Age=3600`; under B exactly `sid`,
//! `flip_b` and `pref` with `Max-Age=7200`. Anything else (a mix of both, a rogue cookie, a
//! missing one) is a mismatch.
//!
//! Reloads happen at fixed offsets: the policy file is replaced by rename, and every second reload
//! is also signalled with `SIGHUP`. A reload's window runs from just before the file is written
//! to the first answer of a probe request that shows the new policy (requests made after that
//! are judged by it, since each takes its snapshot when it arrives). A response counts as correct
//! when it matches a policy that could have been in force at some moment between sending the
//! request and receiving the head: before a window the old one, inside it either, after it the
//! new one.
//!
//! The proxy's resident memory is sampled once a second from `/proc/<pid>/status`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::Running;

/// The host every request names (the policies' one scope).
pub const HOST: &str = "load.test";

/// The path every request asks for.
pub const PATH: &str = "/load";

/// The body of every upstream response.
pub const BODY: &[u8] = b"load ok\n";

/// How long one request may take before it counts as failed.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The value of every cookie the upstream sets.
const VALUE: &str = "v1";

/// One of the two policies that alternate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// Allows `flip_a`, fixes `pref` to 1 hour.
    A,
    /// Allows `flip_b`, fixes `pref` to 2 hours.
    B,
}

impl Variant {
    /// The other one.
    pub fn other(self) -> Self {
        match self {
            Variant::A => Variant::B,
            Variant::B => Variant::A,
        }
    }

    fn index(self) -> usize {
        match self {
            Variant::A => 0,
            Variant::B => 1,
        }
    }
}

/// The policy file of a variant.
pub fn policy_text(variant: Variant) -> String {
    let (flip, pref_lifetime) = match variant {
        Variant::A => ("flip_a", "1h"),
        Variant::B => ("flip_b", "2h"),
    };
    format!(
        "version = 1\n\n[enforcement]\nmode = \"enforce\"\nunlisted = \"strip\"\nnoncompliant = \"fix\"\n\n\
[[scope]]\nid = \"load\"\nhosts = [\"{HOST}\"]\npaths = [\"/\"]\n\n\
[[cookie]]\nname = \"sid\"\nscopes = [\"load\"]\nlifetime = \"session\"\n\n\
[[cookie]]\nname = \"{flip}\"\nscopes = [\"load\"]\nlifetime = \"session\"\n\n\
[[cookie]]\nname = \"pref\"\nscopes = [\"load\"]\nlifetime = \"{pref_lifetime}\"\n"
    )
}

/// The `Set-Cookie` values the upstream sends, in order.
pub fn upstream_cookies() -> [String; 5] {
    [
        format!("sid={VALUE}; Path=/; Secure; HttpOnly; SameSite=Lax"),
        format!("flip_a={VALUE}; Path=/; Secure; HttpOnly; SameSite=Lax"),
        format!("flip_b={VALUE}; Path=/; Secure; HttpOnly; SameSite=Lax"),
        format!("pref={VALUE}; Path=/; Max-Age=86400; Secure; HttpOnly; SameSite=Lax"),
        format!("_rogue={VALUE}; Path=/"),
    ]
}

/// The `Set-Cookie` values a client must get under a variant, in order: the allowed cookies
/// byte for byte, `pref` with its lifetime cut to the variant's limit.
pub fn expected_cookies(variant: Variant) -> Vec<String> {
    let cookies = upstream_cookies();
    let (flip, max_age) = match variant {
        Variant::A => (&cookies[1], 3600),
        Variant::B => (&cookies[2], 7200),
    };
    vec![
        cookies[0].clone(),
        flip.clone(),
        format!("pref={VALUE}; Path=/; Max-Age={max_age}; Secure; HttpOnly; SameSite=Lax"),
    ]
}

/// Which variant a response's `Set-Cookie` headers match exactly, if any.
pub fn classify(headers: &HeaderMap, expected: &[Vec<HeaderValue>; 2]) -> Option<Variant> {
    [Variant::A, Variant::B].into_iter().find(|variant| {
        let want = &expected[variant.index()];
        let mut got = headers.get_all(header::SET_COOKIE).iter();
        want.iter().all(|value| got.next() == Some(value)) && got.next().is_none()
    })
}

fn expected_values() -> [Vec<HeaderValue>; 2] {
    [Variant::A, Variant::B].map(|variant| {
        expected_cookies(variant)
            .iter()
            .map(|value| HeaderValue::from_str(value).expect("a header value"))
            .collect()
    })
}

/// The upstream's answer to every request: the five cookies and [`BODY`].
pub async fn upstream(_request: Request<Incoming>) -> Response<crate::upstream::Body> {
    let mut response = Response::new(crate::upstream::full(Bytes::from_static(BODY)));
    for value in upstream_cookies() {
        response.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_str(&value).expect("a header value"),
        );
    }
    response
}

/// What to run.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// The proxy's address.
    pub proxy: SocketAddr,
    /// The proxy's process id (for memory samples and `SIGHUP`).
    pub proxy_pid: u32,
    /// The policy file the proxy watches.
    pub policy_path: PathBuf,
    /// The variant in force at the start.
    pub initial: Variant,
    /// Concurrent connections.
    pub connections: usize,
    /// How long the load runs.
    pub duration: Duration,
    /// When to switch the policy, from the start.
    pub reloads: Vec<Duration>,
}

/// One reload: when it started and when a probe first saw the new policy (from the start).
#[derive(Debug, Clone, Copy)]
pub struct ReloadWindow {
    /// The variant it switched to.
    pub to: Variant,
    /// Just before the file was replaced.
    pub started: Duration,
    /// The probe's first answer under the new policy.
    pub seen: Duration,
    /// Whether `SIGHUP` was sent (else the file change alone triggered it).
    pub sighup: bool,
}

/// The outcome of a run.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// Responses received complete and checked.
    pub requests: u64,
    /// Requests that failed (no answer, wrong status or body, timeout), with the first reasons.
    pub failed: u64,
    /// Responses whose cookies matched neither variant, or not one that could be in force.
    pub mismatched: u64,
    /// The first few failure and mismatch descriptions.
    pub problems: Vec<String>,
    /// Responses per variant.
    pub per_variant: [u64; 2],
    /// Responses that arrived while a reload was under way (either variant allowed).
    pub during_reload: u64,
    /// The reloads.
    pub reloads: Vec<ReloadWindow>,
    /// The proxy's VmRSS in KiB, once a second.
    pub rss_kib: Vec<u64>,
    /// How long the load ran.
    pub elapsed: Duration,
    /// Connections that were open at the end.
    pub connections: usize,
}

impl LoadReport {
    /// Requests per second over the run.
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// Whether nothing failed or mismatched and every reload took effect.
    pub fn clean(&self, planned_reloads: usize) -> bool {
        self.failed == 0 && self.mismatched == 0 && self.reloads.len() == planned_reloads
    }

    /// The report as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        let min = self.rss_kib.iter().min().copied().unwrap_or(0);
        let max = self.rss_kib.iter().max().copied().unwrap_or(0);
        serde_json::json!({
            "requests": self.requests,
            "failed": self.failed,
            "mismatched": self.mismatched,
            "problems": self.problems,
            "responses_policy_a": self.per_variant[0],
            "responses_policy_b": self.per_variant[1],
            "responses_during_reload": self.during_reload,
            "reloads": self.reloads.iter().map(|r| serde_json::json!({
                "to": format!("{:?}", r.to),
                "started_s": r.started.as_secs_f64(),
                "seen_s": r.seen.as_secs_f64(),
                "sighup": r.sighup,
            })).collect::<Vec<_>>(),
            "rss_kib": self.rss_kib,
            "rss_kib_min": min,
            "rss_kib_max": max,
            "elapsed_s": self.elapsed.as_secs_f64(),
            "requests_per_s": self.rate(),
            "connections": self.connections,
        })
    }
}

/// One checked response: when its request was sent and its head arrived (µs from the start),
/// and which variant it matched.
#[derive(Debug, Clone, Copy)]
struct Checked {
    sent_us: u64,
    received_us: u64,
    variant: Variant,
}

/// What one connection's task saw.
#[derive(Debug, Default)]
struct ConnectionLog {
    checked: Vec<Checked>,
    failed: u64,
    mismatched: u64,
    problems: Vec<String>,
}

impl ConnectionLog {
    fn problem(&mut self, text: String) {
        if self.problems.len() < 5 {
            self.problems.push(text);
        }
    }
}

/// A keep-alive HTTP/1.1 connection to the proxy.
type Sender = hyper::client::conn::http1::SendRequest<Empty<Bytes>>;

async fn connect(address: SocketAddr) -> Result<Sender, String> {
    let stream = TcpStream::connect(address)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(connection);
    Ok(sender)
}

fn request() -> Request<Empty<Bytes>> {
    Request::get(PATH)
        .header(header::HOST, HOST)
        .body(Empty::new())
        .expect("a request")
}

/// Sends one request; the response's head and whole body.
async fn exchange(sender: &mut Sender) -> Result<(StatusCode, HeaderMap, Bytes), String> {
    let work = async {
        sender.ready().await.map_err(|e| format!("not ready: {e}"))?;
        let response = sender
            .send_request(request())
            .await
            .map_err(|e| format!("request: {e}"))?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(|e| format!("body: {e}"))?.to_bytes();
        Ok((parts.status, parts.headers, body))
    };
    tokio::time::timeout(REQUEST_TIMEOUT, work)
        .await
        .map_err(|_| format!("no answer in {REQUEST_TIMEOUT:?}"))?
}

fn micros_since(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// One connection: requests back to back until `stop`, each checked.
async fn drive(
    address: SocketAddr,
    start: Instant,
    stop: Arc<AtomicBool>,
    expected: Arc<[Vec<HeaderValue>; 2]>,
) -> ConnectionLog {
    let mut log = ConnectionLog::default();
    let mut sender = None;
    while !stop.load(Ordering::Relaxed) {
        let current = match sender.as_mut() {
            Some(current) => current,
            None => match connect(address).await {
                Ok(new) => sender.insert(new),
                Err(error) => {
                    log.failed += 1;
                    log.problem(error);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let sent_us = micros_since(start);
        match exchange(current).await {
            Ok((status, headers, body)) => {
                let received_us = micros_since(start);
                if status != StatusCode::OK || body != BODY {
                    log.failed += 1;
                    log.problem(format!("status {status}, body {} bytes", body.len()));
                    continue;
                }
                match classify(&headers, &expected) {
                    Some(variant) => log.checked.push(Checked {
                        sent_us,
                        received_us,
                        variant,
                    }),
                    None => {
                        log.mismatched += 1;
                        let names: Vec<String> = headers
                            .get_all(header::SET_COOKIE)
                            .iter()
                            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                            .collect();
                        log.problem(format!("cookies match no policy: {names:?}"));
                    }
                }
            }
            Err(error) => {
                log.failed += 1;
                log.problem(error);
                sender = None;
            }
        }
    }
    log
}

/// Replaces the policy file by rename (as editors and config maps do).
fn write_policy(path: &Path, variant: Variant) -> std::io::Result<()> {
    let staged = path.with_extension("staged");
    std::fs::write(&staged, policy_text(variant))?;
    std::fs::rename(&staged, path)
}

/// Probes on its own connection until a response shows `variant` (bounded).
async fn probe_until(address: SocketAddr, variant: Variant, expected: &[Vec<HeaderValue>; 2]) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(mut sender) = connect(address).await {
            while Instant::now() < deadline {
                match exchange(&mut sender).await {
                    Ok((_, headers, _)) if classify(&headers, expected) == Some(variant) => return true,
                    Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                    Err(_) => break,
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// VmRSS of a process in KiB, if it is still there.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Runs the plan: the load, the reloads and the memory samples; checks every response.
///
/// # Panics
/// When the policy file cannot be written or the signal cannot be sent.
pub async fn run(plan: &LoadPlan) -> LoadReport {
    let expected = Arc::new(expected_values());
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();

    // Connections open over the first half second, not all in one burst.
    let spread = Duration::from_millis(500);
    let tasks: Vec<_> = (0..plan.connections)
        .map(|n| {
            let stop = Arc::clone(&stop);
            let expected = Arc::clone(&expected);
            let address = plan.proxy;
            let delay = spread.mul_f64(n as f64 / plan.connections.max(1) as f64);
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                drive(address, start, stop, expected).await
            })
        })
        .collect();

    let sampler = {
        let stop = Arc::clone(&stop);
        let pid = plan.proxy_pid;
        tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                if let Some(kib) = rss_kib(pid) {
                    samples.push(kib);
                }
            }
            samples
        })
    };

    let mut reloads = Vec::new();
    let mut current = plan.initial;
    for (n, offset) in plan.reloads.iter().enumerate() {
        tokio::time::sleep_until((start + *offset).into()).await;
        let next = current.other();
        let started = start.elapsed();
        write_policy(&plan.policy_path, next).expect("write the policy file");
        let sighup = n % 2 == 1;
        if sighup {
            let pid = nix::unistd::Pid::from_raw(i32::try_from(plan.proxy_pid).expect("pid fits"));
            nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGHUP).expect("SIGHUP sent");
        }
        if probe_until(plan.proxy, next, &expected).await {
            reloads.push(ReloadWindow {
                to: next,
                started,
                seen: start.elapsed(),
                sighup,
            });
            current = next;
        } else {
            break;
        }
    }

    tokio::time::sleep_until((start + plan.duration).into()).await;
    stop.store(true, Ordering::Relaxed);
    let elapsed = start.elapsed();

    let mut report = LoadReport {
        reloads,
        elapsed,
        connections: plan.connections,
        ..LoadReport::default()
    };
    for task in tasks {
        let log = match task.await {
            Ok(log) => log,
            Err(error) => {
                report.failed += 1;
                report.problems.push(format!("a connection task failed: {error}"));
                continue;
            }
        };
        report.failed += log.failed;
        report.mismatched += log.mismatched;
        for problem in log.problems {
            if report.problems.len() < 20 {
                report.problems.push(problem);
            }
        }
        for checked in &log.checked {
            report.requests += 1;
            report.per_variant[checked.variant.index()] += 1;
            match allowed(checked, plan.initial, &report.reloads) {
                Allowed::Only(variant) if variant == checked.variant => {}
                Allowed::Either => report.during_reload += 1,
                Allowed::Only(variant) => {
                    report.mismatched += 1;
                    if report.problems.len() < 20 {
                        report.problems.push(format!(
                            "a response under {:?} when only {variant:?} was in force (sent {} µs, received {} µs)",
                            checked.variant, checked.sent_us, checked.received_us
                        ));
                    }
                }
            }
        }
    }
    report.rss_kib = sampler.await.unwrap_or_default();
    report
}

/// Which variants a response may show, given when it was sent and received.
#[derive(Debug, PartialEq, Eq)]
enum Allowed {
    Only(Variant),
    Either,
}

fn allowed(checked: &Checked, initial: Variant, reloads: &[ReloadWindow]) -> Allowed {
    let micros = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
    // The variant in force before each reload, and whether the response's span touches a window.
    let mut before = initial;
    for window in reloads {
        let started = micros(window.started);
        let seen = micros(window.seen);
        if checked.received_us < started {
            return Allowed::Only(before);
        }
        if checked.sent_us <= seen {
            // The span [sent, received] overlaps [started, seen]: either could be in force.
            return Allowed::Either;
        }
        before = window.to;
    }
    Allowed::Only(before)
}

/// Serves [`upstream`] on 127.0.0.1 and returns its address (see [`crate::upstream::serve`]).
pub async fn serve_upstream() -> SocketAddr {
    crate::upstream::serve(upstream).await
}

/// The log filter for proxies under load: per-cookie violation events (target `cookie_warden`,
/// two lines per request here) are left out, as they are counted in the metrics anyway; reloads,
/// upstream failures and client failures stay.
pub const LOG_FILTER: &str = "warn,cookie_warden=error,cookie_warden::proxy=info,cookie_warden::reload=info";

/// Starts `cookie-warden proxy` (see [`crate::binary`]) with the policy at `policy_path` in front
/// of `upstream`, on 127.0.0.1 with JSON logs filtered by [`LOG_FILTER`], judging requests as
/// https. The policy file is watched.
///
/// # Panics
/// When the proxy does not start (see [`Running::start`]).
pub fn start_proxy(policy_path: &Path, upstream: SocketAddr) -> Running {
    let upstream_url = format!("http://{upstream}");
    Running::start(
        &[
            "proxy",
            "--config",
            policy_path.to_str().expect("a UTF-8 policy path"),
            "--upstream",
            &upstream_url,
            "--listen",
            "127.0.0.1:0",
            "--assume-https",
            "--log-format",
            "json",
        ],
        &[("RUST_LOG", LOG_FILTER)],
    )
}

/// Writes a variant's policy as a fresh file (for the proxy's start).
///
/// # Errors
/// When the file cannot be written.
pub fn write_initial_policy(path: &Path, variant: Variant) -> std::io::Result<()> {
    std::fs::write(path, policy_text(variant))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(sent_ms: u64, received_ms: u64) -> Checked {
        Checked {
            sent_us: sent_ms * 1000,
            received_us: received_ms * 1000,
            variant: Variant::A,
        }
    }

    #[test]
    fn a_response_may_show_either_policy_only_around_a_reload() {
        let reloads = [
            ReloadWindow {
                to: Variant::B,
                started: Duration::from_millis(1000),
                seen: Duration::from_millis(1300),
                sighup: false,
            },
            ReloadWindow {
                to: Variant::A,
                started: Duration::from_millis(2000),
                seen: Duration::from_millis(2100),
                sighup: true,
            },
        ];
        assert_eq!(
            allowed(&at(10, 20), Variant::A, &reloads),
            Allowed::Only(Variant::A)
        );
        assert_eq!(allowed(&at(990, 1010), Variant::A, &reloads), Allowed::Either);
        assert_eq!(allowed(&at(1200, 1250), Variant::A, &reloads), Allowed::Either);
        assert_eq!(
            allowed(&at(1301, 1400), Variant::A, &reloads),
            Allowed::Only(Variant::B)
        );
        assert_eq!(allowed(&at(1900, 2050), Variant::A, &reloads), Allowed::Either);
        assert_eq!(
            allowed(&at(2101, 2200), Variant::A, &reloads),
            Allowed::Only(Variant::A)
        );
    }

    #[test]
    fn only_exact_cookie_sets_match_a_policy() {
        let expected = expected_values();
        let headers = |values: &[String]| {
            let mut map = HeaderMap::new();
            for value in values {
                map.append(header::SET_COOKIE, HeaderValue::from_str(value).unwrap());
            }
            map
        };
        let a = expected_cookies(Variant::A);
        let b = expected_cookies(Variant::B);
        assert_eq!(classify(&headers(&a), &expected), Some(Variant::A));
        assert_eq!(classify(&headers(&b), &expected), Some(Variant::B));
        let mut mixed = a.clone();
        mixed.push(b[1].clone());
        assert_eq!(classify(&headers(&mixed), &expected), None);
        assert_eq!(classify(&headers(&a[..2]), &expected), None);
        let mut rogue = a;
        rogue.push(upstream_cookies()[4].clone());
        assert_eq!(classify(&headers(&rogue), &expected), None);
    }
}
