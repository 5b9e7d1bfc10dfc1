//! Prometheus metrics (`--metrics-listen ADDR`, served at `/metrics`).
//!
//! | metric | labels |
//! |---|---|
//! | `cookie_warden_set_cookie_total` | `verdict` (`allow`, `fix`, `strip`, `block`) |
//! | `cookie_warden_violations_total` | `violation` (one kind each), `action`, `scope`, `source`, and `rule` only when the policy's `[metrics] rule_label = true` |
//! | `cookie_warden_requests_total` | `status` (the class: `2xx`, `5xx`, …) |
//! | `cookie_warden_upstream_errors_total` | `kind` (`refused`, `connect_timeout`, `head_timeout`, `client_body_timeout`, `broken`) |
//! | `cookie_warden_client_errors_total` | `kind` (`header_timeout`, `closed`, `bad_request`, `other`) |
//! | `cookie_warden_policy_reloads_total` | `result` (`ok`, `invalid`) |
//! | `cookie_warden_upgrades_total` | |
//!
//! Labels never carry a cookie value, and a cookie's name only through its rule (bounded by the
//! policy) when the policy asks for it.

use std::convert::Infallible;

use anyhow::{Context, Result};
use bytes::Bytes;
use cookie_warden_core::decision::{Decision, ViolationKind};
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tower_cookie_warden::{PolicyHandle, ViolationReport};

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
    Ok(handle)
}

/// Counts one judged `Set-Cookie` header (the layer's `on_decision` hook).
pub(crate) fn record_decision(decision: &Decision<'_, '_>) {
    metrics::counter!("cookie_warden_set_cookie_total", "verdict" => decision.verdict.as_str()).increment(1);
}

/// Counts one violation report (the layer's `on_violation` hook). `policy` says whether the rule
/// may be a label.
pub(crate) fn record_violation(report: &ViolationReport<'_>, policy: &PolicyHandle) {
    let rule_label = policy.load().source().metrics.rule_label;
    let scope = report.scope.unwrap_or("").to_owned();
    let rule = if rule_label {
        report.rule.map(str::to_owned)
    } else {
        None
    };
    for kind in report.violations.split(',') {
        let Some(kind) = ViolationKind::ALL.iter().find(|k| k.as_str() == kind) else {
            continue;
        };
        let mut labels = vec![
            ("violation", kind.as_str().to_owned()),
            ("action", report.action.to_owned()),
            ("scope", scope.clone()),
            ("source", report.source.as_str().to_owned()),
        ];
        if let Some(rule) = &rule {
            labels.push(("rule", rule.clone()));
        }
        metrics::counter!("cookie_warden_violations_total", &labels).increment(1);
    }
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
