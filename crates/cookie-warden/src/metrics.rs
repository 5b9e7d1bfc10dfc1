//! Prometheus metrics (`--metrics-listen ADDR`, served at `/metrics`).
//!
//! | metric | labels |
//! |---|---|
//! | `cookie_warden_set_cookie_total` | `verdict` (`allow`, `fix`, `strip`, `block`) |
//! | `cookie_warden_violations_total` | `violation` (one kind each; request cookies also `consent_withdrawn`, `hidden_pair`), `action`, `scope`, `source`, and `rule` only when the policy's `[metrics] rule_label = true` |
//! | `cookie_warden_requests_total` | `status` (the class: `2xx`, `5xx`, …) |
//! | `cookie_warden_upstream_errors_total` | `kind` (`refused`, `connect_timeout`, `head_timeout`, `client_body_timeout`, `broken`) |
//! | `cookie_warden_client_errors_total` | `kind` (`header_timeout`, `closed`, `bad_request`, `other`) |
//! | `cookie_warden_policy_reloads_total` | `result` (`ok`, `invalid`) |
//! | `cookie_warden_upgrades_total` | |
//!
//! Labels never carry a cookie value, and a cookie's name only through its rule (bounded by the
//! policy) when the policy asks for it.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{OnceLock, PoisonError, RwLock};

use anyhow::{Context, Result};
use bytes::Bytes;
use cookie_warden_core::decision::{Decision, ViolationKind};
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use metrics::Counter;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tower_cookie_warden::{CookieSource, PolicyHandle, ViolationReport};

/// The counters of the request path, set once the recorder is installed. Without
/// `--metrics-listen` it stays empty and every hook returns at once.
static COUNTERS: OnceLock<Counters> = OnceLock::new();

/// Installs the Prometheus recorder as the global `metrics` recorder.
///
/// # Errors
/// When another recorder is installed already.
pub(crate) fn install() -> Result<PrometheusHandle> {
    let recorder = PrometheusBuilder::new().build_recorder();
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
    let (status, content_type, body) = match (request.method(), request.uri().path()) {
        (&Method::GET, "/metrics") => {
            handle.run_upkeep();
            (
                StatusCode::OK,
                "text/plain; version=0.0.4; charset=utf-8",
                Bytes::from(handle.render()),
            )
        }
        (_, "/metrics") => (
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            Bytes::from_static(b"GET only\n"),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            "text/plain",
            Bytes::from_static(b"metrics are at /metrics\n"),
        ),
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
