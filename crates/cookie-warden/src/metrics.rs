//! The admin listener (`--metrics-listen ADDR`): Prometheus metrics at `/metrics`, `/healthz`
//! (200 while the process serves) and `/readyz` (200 when a policy is loaded and the proxy's
//! listener accepts; 503, with the reason, before that and once shutdown has begun).
//!
//! | metric | labels |
//! |---|---|
//! | `cookie_warden_build_info` (gauge, 1) | `version` |
//! | `cookie_warden_policy_info` (gauge, 1) | `digest` (SHA-256 of the policy file, hex: see [`crate::status`]), `mode` |
//! | `cookie_warden_policy_last_reload_successful` (gauge, 0 or 1) | |
//! | `cookie_warden_policy_last_reload_timestamp_seconds` (gauge) | |
//! | `cookie_warden_request_duration_seconds` (histogram) | |
//! | `cookie_warden_set_cookie_total` | `verdict` (`allow`, `fix`, `strip`, `block`) |
//! | `cookie_warden_violations_total` | `violation` (one kind each; request cookies also `consent_withdrawn`, `hidden_pair`), `action`, `scope`, `source`, and `rule` only when the policy's `[metrics] rule_label = true` |
//! | `cookie_warden_requests_total` | `status` (the class: `2xx`, `5xx`, …) |
//! | `cookie_warden_upstream_errors_total` | `kind` (`refused`, `connect_timeout`, `head_timeout`, `client_body_timeout`, `broken`) |
//! | `cookie_warden_client_errors_total` | `kind` (`header_timeout`, `closed`, `bad_request`, `other`) |
//! | `cookie_warden_policy_reloads_total` | `result` (`ok`, `invalid`) |
//! | `cookie_warden_upgrades_total` | |
//!
//! The start counts as the first reload: the last reload's timestamp is the time the running
//! policy, or the last file that failed to replace it, was loaded. The request duration runs
//! from the request head's arrival to the response head leaving (bodies stream after).
//!
//! Labels never carry a cookie value, and a cookie's name only through its rule (bounded by the
//! policy) when the policy asks for it.

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt::Write as _;
use std::sync::{OnceLock, PoisonError, RwLock};

use anyhow::{Context, Result};
use bytes::Bytes;
use cookie_warden_core::decision::{Decision, ViolationKind};
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use metrics::Counter;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tower_cookie_warden::{CookieSource, PolicyHandle, ViolationReport};

/// The counters of the request path, set once the recorder is installed. Without
/// `--metrics-listen` it stays empty and every hook returns at once.
static COUNTERS: OnceLock<Counters> = OnceLock::new();

/// The request duration's buckets, in seconds: from a response cookie-warden makes itself (the
/// declaration page, a block) to an upstream at the default 60 s head timeout.
const DURATION_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0,
];

/// Installs the Prometheus recorder as the global `metrics` recorder.
///
/// # Errors
/// When another recorder is installed already.
pub(crate) fn install() -> Result<PrometheusHandle> {
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("cookie_warden_request_duration_seconds".to_owned()),
            &DURATION_BUCKETS,
        )
        .context("invalid histogram buckets")?
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).context("a metrics recorder is already installed")?;
    metrics::describe_counter!(
        "cookie_warden_set_cookie_total",
        "Set-Cookie headers judged, by verdict."
    );
    metrics::describe_counter!(
        "cookie_warden_violations_total",
        "Cookie policy violations, one per kind."
    );
    metrics::describe_counter!(
        "cookie_warden_requests_total",
        "Requests answered, by status class."
    );
    metrics::describe_counter!(
        "cookie_warden_upstream_errors_total",
        "Upstream failures, by kind."
    );
    metrics::describe_counter!(
        "cookie_warden_client_errors_total",
        "Client connections that failed (stalled, closed mid-response, not HTTP), by kind."
    );
    metrics::describe_counter!("cookie_warden_policy_reloads_total", "Policy reloads, by result.");
    metrics::describe_counter!(
        "cookie_warden_upgrades_total",
        "Protocol upgrades passed through."
    );
    metrics::describe_histogram!(
        "cookie_warden_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time from a request head's arrival to its response head leaving."
    );
    let _ = COUNTERS.set(Counters::default());
    Ok(handle)
}

/// Counter handles, each registered with the recorder on its first increment (so `/metrics`
/// shows the label sets that occurred, as registering per increment did) and kept: an increment
/// is then one atomic add instead of a label lookup in the recorder.
#[derive(Default)]
struct Counters {
    /// `cookie_warden_set_cookie_total`, by verdict (`allow`, `fix`, `strip`, `block`).
    set_cookie: [OnceLock<Counter>; VERDICTS.len()],
    /// `cookie_warden_violations_total`, by scope (labels come from the policy in force, so
    /// a reload may bring new ones).
    violations: RwLock<HashMap<Box<str>, ScopeCounters>>,
}

/// The verdicts, in the order of [`Counters::set_cookie`].
const VERDICTS: [&str; 4] = ["allow", "fix", "strip", "block"];

/// The actions of a violation report, in table order.
const ACTIONS: [&str; 4] = ["fixed", "stripped", "blocked", "reported"];

/// The sources of a violation report, in table order.
const SOURCES: [CookieSource; 2] = [CookieSource::Response, CookieSource::Request];

/// The reasons only request cookies have (the others are [`ViolationKind`]s).
const REQUEST_REASONS: [&str; 2] = ["consent_withdrawn", "hidden_pair"];

/// How many violation labels there are: every [`ViolationKind`], then [`REQUEST_REASONS`].
const KINDS: usize = ViolationKind::ALL.len() + REQUEST_REASONS.len();

/// The `violation` label of kind index `index` (see [`KINDS`]).
fn kind_label(index: usize) -> &'static str {
    match ViolationKind::ALL.get(index) {
        Some(kind) => kind.as_str(),
        None => REQUEST_REASONS[index - ViolationKind::ALL.len()],
    }
}

/// The kind index of a `violation` label, if it is one.
fn kind_index(label: &str) -> Option<usize> {
    (0..KINDS).find(|&index| kind_label(index) == label)
}

/// One counter per (violation kind, action, source), in that order.
const VIOLATION_SLOTS: usize = KINDS * ACTIONS.len() * SOURCES.len();

/// The violation counters of one scope: without a rule label, and per rule when the policy asks
/// for the label.
#[derive(Default)]
struct ScopeCounters {
    plain: ViolationTable,
    by_rule: HashMap<Box<str>, ViolationTable>,
}

/// The violation counters of one (scope, rule) pair.
struct ViolationTable(Box<[OnceLock<Counter>; VIOLATION_SLOTS]>);

impl Default for ViolationTable {
    fn default() -> Self {
        Self(Box::new(std::array::from_fn(|_| OnceLock::new())))
    }
}

/// A violation's place in a [`ViolationTable`]: indexes into the kinds ([`kind_label`]),
/// [`ACTIONS`] and [`SOURCES`].
#[derive(Clone, Copy)]
struct Slot {
    kind: usize,
    action: usize,
    source: usize,
}

impl Slot {
    fn index(self) -> usize {
        (self.kind * ACTIONS.len() + self.action) * SOURCES.len() + self.source
    }

    /// The recorder's counter for this slot in (`scope`, `rule`).
    fn register(self, scope: &str, rule: Option<&str>) -> Counter {
        register_violation(
            kind_label(self.kind),
            ACTIONS[self.action],
            scope,
            SOURCES[self.source],
            rule,
        )
    }
}

/// Counts one judged `Set-Cookie` header (the layer's `on_decision` hook).
pub(crate) fn record_decision(decision: &Decision<'_, '_>) {
    let Some(counters) = COUNTERS.get() else {
        return;
    };
    let verdict = decision.verdict.as_str();
    match VERDICTS.iter().position(|v| *v == verdict) {
        Some(index) => counters.set_cookie[index]
            .get_or_init(|| metrics::counter!("cookie_warden_set_cookie_total", "verdict" => VERDICTS[index]))
            .increment(1),
        None => metrics::counter!("cookie_warden_set_cookie_total", "verdict" => verdict).increment(1),
    }
}

/// Counts one violation report (the layer's `on_violation` hook). `policy` says whether the rule
/// may be a label.
pub(crate) fn record_violation(report: &ViolationReport<'_>, policy: &PolicyHandle) {
    let Some(counters) = COUNTERS.get() else {
        return;
    };
    let rule_label = policy.load().source().metrics.rule_label;
    let scope = report.scope.unwrap_or("");
    let rule = if rule_label { report.rule } else { None };
    let action = ACTIONS.iter().position(|a| *a == report.action);
    let source = SOURCES.iter().position(|s| *s == report.source);
    for kind in report.violations.split(',') {
        let Some(kind) = kind_index(kind) else {
            continue;
        };
        match (action, source) {
            (Some(action), Some(source)) => {
                counters.count_violation(Slot { kind, action, source }, scope, rule);
            }
            _ => register_violation(kind_label(kind), report.action, scope, report.source, rule).increment(1),
        }
    }
}

impl Counters {
    /// Increments the counter of `slot` in (`scope`, `rule`), registering it on first use.
    fn count_violation(&self, slot: Slot, scope: &str, rule: Option<&str>) {
        {
            let tables = self.violations.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(table) = tables.get(scope).and_then(|scoped| scoped.table(rule)) {
                table.0[slot.index()]
                    .get_or_init(|| slot.register(scope, rule))
                    .increment(1);
                return;
            }
        }
        let mut tables = self.violations.write().unwrap_or_else(PoisonError::into_inner);
        let scoped = tables.entry(scope.into()).or_default();
        let table = match rule {
            None => &scoped.plain,
            Some(rule) => scoped.by_rule.entry(rule.into()).or_default(),
        };
        table.0[slot.index()]
            .get_or_init(|| slot.register(scope, rule))
            .increment(1);
    }
}

impl ScopeCounters {
    fn table(&self, rule: Option<&str>) -> Option<&ViolationTable> {
        match rule {
            None => Some(&self.plain),
            Some(rule) => self.by_rule.get(rule),
        }
    }
}

/// The recorder's `cookie_warden_violations_total` counter for one label set.
fn register_violation(
    kind: &str,
    action: &str,
    scope: &str,
    source: CookieSource,
    rule: Option<&str>,
) -> Counter {
    let mut labels = vec![
        ("violation", kind.to_owned()),
        ("action", action.to_owned()),
        ("scope", scope.to_owned()),
        ("source", source.as_str().to_owned()),
    ];
    if let Some(rule) = rule {
        labels.push(("rule", rule.to_owned()));
    }
    metrics::counter!("cookie_warden_violations_total", &labels)
}

/// Serves `GET /metrics` on `listener` for as long as the runtime runs.
pub(crate) async fn serve(listener: TcpListener, handle: PrometheusHandle) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                tracing::error!(target: "cookie_warden::metrics", error = %error, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let handle = handle.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let response = respond(&request, &handle);
                async move { Ok::<_, Infallible>(response) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn respond(request: &Request<Incoming>, handle: &PrometheusHandle) -> Response<Full<Bytes>> {
    const TEXT: &str = "text/plain; charset=utf-8";
    let path = request.uri().path();
    let known = matches!(path, "/metrics" | "/healthz" | "/readyz");
    let (status, content_type, body) = match (request.method(), path) {
        (&Method::GET, "/metrics") => {
            handle.run_upkeep();
            let mut text = handle.render();
            render_status(&mut text);
            (
                StatusCode::OK,
                "text/plain; version=0.0.4; charset=utf-8",
                Bytes::from(text),
            )
        }
        (&Method::GET | &Method::HEAD, "/healthz") => (StatusCode::OK, TEXT, Bytes::from_static(b"ok\n")),
        (&Method::GET | &Method::HEAD, "/readyz") => match crate::status::not_ready_because() {
            None => (StatusCode::OK, TEXT, Bytes::from_static(b"ready\n")),
            Some(reason) => (
                StatusCode::SERVICE_UNAVAILABLE,
                TEXT,
                Bytes::from(format!("not ready: {reason}\n")),
            ),
        },
        _ if known => (
            StatusCode::METHOD_NOT_ALLOWED,
            TEXT,
            Bytes::from_static(b"GET only\n"),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            TEXT,
            Bytes::from_static(b"metrics are at /metrics, health at /healthz and /readyz\n"),
        ),
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Appends the process's own gauges: the build, the policy in force and the last reload.
fn render_status(text: &mut String) {
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    let _ = writeln!(
        text,
        "# HELP cookie_warden_build_info The running build; always 1.\n\
         # TYPE cookie_warden_build_info gauge\n\
         cookie_warden_build_info{{version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    );
    let Some(policy) = crate::status::policy() else {
        return;
    };
    // The digest is hex and the mode one of two words: nothing to escape.
    let _ = writeln!(
        text,
        "# HELP cookie_warden_policy_info The policy in force: SHA-256 of its file and its mode; always 1.\n\
         # TYPE cookie_warden_policy_info gauge\n\
         cookie_warden_policy_info{{digest=\"{}\",mode=\"{}\"}} 1\n\
         # HELP cookie_warden_policy_last_reload_successful Whether the last policy load (at start or reload) succeeded.\n\
         # TYPE cookie_warden_policy_last_reload_successful gauge\n\
         cookie_warden_policy_last_reload_successful {}\n\
         # HELP cookie_warden_policy_last_reload_timestamp_seconds When the last policy load (at start or reload) ran.\n\
         # TYPE cookie_warden_policy_last_reload_timestamp_seconds gauge\n\
         cookie_warden_policy_last_reload_timestamp_seconds {:.3}",
        policy.digest,
        policy.mode,
        u8::from(policy.last_reload_successful),
        policy.last_reload_timestamp,
    );
}
