//! W3C trace context (<https://www.w3.org/TR/trace-context/>) for the proxy's request spans.
//!
//! With the `otlp` feature and a `tracing-opentelemetry` layer installed by the program (the
//! `cookie-warden` binary does so when an OTLP endpoint is configured), each request's span is an
//! OpenTelemetry span of kind server: the child of the request's `traceparent` (and carrying its
//! `tracestate`) when that header is valid, else the root of a new trace (an invalid
//! `traceparent` is ignored, never an error). The request to the upstream carries the proxy's span
//! as its `traceparent` (and the `tracestate` it received), replacing the client's. The span's
//! status is an error for a `5xx` response, and `http.response.status_code` is recorded on it.
//!
//! Without an exporter (or the feature) the proxy takes no part in the trace: `traceparent` and
//! `tracestate` reach the upstream as the client sent them, like any end-to-end header.

use http::{HeaderMap, Method, StatusCode};
use tracing::Span;

/// The span of one proxied request, a child of the request's trace context when there is one.
pub fn request_span(method: &Method, path: &str, headers: &HeaderMap) -> Span {
    let span = tracing::info_span!(
        target: "cookie_warden::proxy",
        "request",
        http.request.method = %method,
        url.path = path,
        otel.kind = tracing::field::Empty,
    );
    join_trace(&span, headers);
    span
}

/// Makes `span` a server span, the child of the `traceparent` in `headers` (if valid).
#[cfg(feature = "otlp")]
fn join_trace(span: &Span, headers: &HeaderMap) {
    use opentelemetry::propagation::TextMapPropagator as _;
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;

    // Against an empty context: an invalid or absent `traceparent` makes a root span.
    let parent = if headers.contains_key("traceparent") {
        opentelemetry_sdk::propagation::TraceContextPropagator::new().extract_with_context(
            &opentelemetry::Context::new(),
            &opentelemetry_http::HeaderExtractor(headers),
        )
    } else {
        opentelemetry::Context::new()
    };
    // Fails only when no OpenTelemetry layer is installed: then the span stays a plain one.
    if span.set_parent(parent).is_ok() {
        span.record("otel.kind", "server");
    }
}

#[cfg(not(feature = "otlp"))]
fn join_trace(_span: &Span, _headers: &HeaderMap) {}

/// Puts the current span's context in the upstream request's `traceparent`/`tracestate`.
#[cfg(feature = "otlp")]
pub fn inject(headers: &mut HeaderMap) {
    use opentelemetry::propagation::TextMapPropagator as _;
    use opentelemetry::trace::TraceContextExt as _;
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;

    let context = Span::current().context();
    if !context.span().span_context().is_valid() {
        return;
    }
    opentelemetry_sdk::propagation::TraceContextPropagator::new()
        .inject_context(&context, &mut opentelemetry_http::HeaderInjector(headers));
    // The propagator writes an empty `tracestate` when there is none (a root span).
    if headers.get("tracestate").is_some_and(|state| state.is_empty()) {
        headers.remove("tracestate");
    }
}

/// Without the `otlp` feature the client's headers pass unchanged.
#[cfg(not(feature = "otlp"))]
pub fn inject(_headers: &mut HeaderMap) {}

/// Records the response's status on the request span: an error status for `5xx`.
#[cfg(feature = "otlp")]
pub fn record_response(span: &Span, status: StatusCode) {
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;

    span.set_attribute("http.response.status_code", i64::from(status.as_u16()));
    if status.is_server_error() {
        span.set_status(opentelemetry::trace::Status::error(
            status.canonical_reason().unwrap_or("server error"),
        ));
    }
}

/// Without the `otlp` feature there is no span status to record.
#[cfg(not(feature = "otlp"))]
pub fn record_response(_span: &Span, _status: StatusCode) {}
