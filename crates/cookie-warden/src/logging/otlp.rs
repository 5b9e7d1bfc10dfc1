//! The OpenTelemetry export: spans (each proxied request is one, a child of the request's
//! `traceparent`) with their events (violations, upstream failures) over OTLP/HTTP (protobuf)
//! to a collector.
//!
//! The resource names the service: `OTEL_SERVICE_NAME`, else a `service.name` in
//! `OTEL_RESOURCE_ATTRIBUTES`, else `cookie-warden`; every other `key=value` pair of
//! `OTEL_RESOURCE_ATTRIBUTES` (comma-separated, values percent-encoded) is added as it is, and
//! `service.version` is cookie-warden's unless given. The exporter itself reads
//! `OTEL_EXPORTER_OTLP_HEADERS` and `OTEL_EXPORTER_OTLP_TIMEOUT` (and their `TRACES_` forms), the
//! batch processor `OTEL_BSP_*`.

use anyhow::{Context, Result};
use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{SpanExporter, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::resource::TelemetryResourceDetector;
use opentelemetry_sdk::trace::{SdkTracerProvider, Tracer};
use tracing_opentelemetry::OpenTelemetryLayer;

/// The service name when the environment names none.
const DEFAULT_SERVICE_NAME: &str = "cookie-warden";

/// The resource spans are exported with, from the variables `var` reads.
pub(super) fn resource(var: impl Fn(&str) -> Option<String>) -> Resource {
    let mut attributes = resource_attributes(var("OTEL_RESOURCE_ATTRIBUTES").as_deref().unwrap_or(""));
    let from_attributes = attributes
        .iter()
        .position(|pair| pair.key.as_str() == "service.name")
        .map(|at| attributes.remove(at).value.to_string());
    let service_name = var("OTEL_SERVICE_NAME")
        .filter(|name| !name.trim().is_empty())
        .or(from_attributes)
        .unwrap_or_else(|| DEFAULT_SERVICE_NAME.to_owned());
    if !attributes
        .iter()
        .any(|pair| pair.key.as_str() == "service.version")
    {
        attributes.push(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")));
    }
    Resource::builder_empty()
        .with_detector(Box::new(TelemetryResourceDetector))
        .with_attributes(attributes)
        .with_service_name(service_name)
        .build()
}

/// The `key=value,…` pairs of `OTEL_RESOURCE_ATTRIBUTES`; a pair without `=` or with an empty
/// key, or whose value is not UTF-8 once decoded, is left out.
fn resource_attributes(list: &str) -> Vec<KeyValue> {
    list.split(',')
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            let key = key.trim();
            let value = percent_encoding::percent_decode_str(value.trim())
                .decode_utf8()
                .ok()?;
            (!key.is_empty()).then(|| KeyValue::new(key.to_owned(), value.into_owned()))
        })
        .collect()
}

/// A tracing layer exporting to `endpoint` (e.g. `http://collector:4318/v1/traces`).
///
/// # Errors
/// When the exporter cannot be built for `endpoint` (e.g. it is not a URL).
pub(super) fn layer<S>(
    endpoint: &str,
    resource: Resource,
) -> Result<(OpenTelemetryLayer<S, Tracer>, SdkTracerProvider)>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    let exporter = SpanExporter::builder()
        .with_http()
        .with_endpoint(endpoint)
        .build()
        .with_context(|| format!("cannot build the OTLP exporter for `{endpoint}`"))?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build();
    let tracer = provider.tracer("cookie-warden");
    Ok((tracing_opentelemetry::layer().with_tracer(tracer), provider))
}

/// Runs with `cargo test -p cookie-warden --features otlp`: a fake collector on 127.0.0.1
/// receives the export.
#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::time::Duration;

    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::common::v1::any_value::Value;
    use opentelemetry_proto::tonic::trace::v1::{Span, span::SpanKind, status::StatusCode};
    use prost::Message as _;
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;
    use cookie_warden_proxy::trace_context;

    /// Accepts one HTTP request, answers `200`, returns its request line and decoded body.
    fn collect_one(listener: &TcpListener) -> (String, ExportTraceServiceRequest) {
        let (stream, _) = listener.accept().expect("the exporter connects");
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut reader = BufReader::new(stream);
        let mut request_line = String::new();
        reader.read_line(&mut request_line).unwrap();
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        reader
            .get_mut()
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            .unwrap();
        let export = ExportTraceServiceRequest::decode(&body[..]).expect("an OTLP protobuf body");
        (request_line, export)
    }

    /// Runs `emit` under a subscriber exporting to a fake collector; returns what it received.
    fn export(resource: Resource, emit: impl FnOnce()) -> (String, ExportTraceServiceRequest) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}/v1/traces", listener.local_addr().unwrap());
        let collector = std::thread::spawn(move || collect_one(&listener));
        let (layer, provider) = layer(&endpoint, resource).unwrap();
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, emit);
        provider.force_flush().expect("the export succeeds");
        let received = collector.join().unwrap();
        provider.shutdown().unwrap();
        received
    }

    fn resource_attribute(export: &ExportTraceServiceRequest, key: &str) -> Option<String> {
        let resource = export.resource_spans[0].resource.as_ref()?;
        resource
            .attributes
            .iter()
            .find(|pair| pair.key == key)
            .and_then(|pair| match pair.value.as_ref()?.value.as_ref()? {
                Value::StringValue(text) => Some(text.clone()),
                _ => None,
            })
    }

    fn spans(export: &ExportTraceServiceRequest) -> Vec<&Span> {
        export
            .resource_spans
            .iter()
            .flat_map(|resource| &resource.scope_spans)
            .flat_map(|scope| &scope.spans)
            .collect()
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn spans_and_their_events_reach_the_collector() {
        let (request_line, export) = export(resource(no_env), || {
            let span = tracing::info_span!("request", url.path = "/account");
            let _entered = span.enter();
            tracing::warn!(target: "cookie_warden", action = "stripped", cookie.name = "sid", "cookie policy violation");
        });
        assert!(request_line.starts_with("POST /v1/traces "), "{request_line}");
        assert_eq!(
            resource_attribute(&export, "service.name").as_deref(),
            Some("cookie-warden")
        );
        assert_eq!(
            resource_attribute(&export, "service.version").as_deref(),
            Some(env!("CARGO_PKG_VERSION"))
        );
        let spans = spans(&export);
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].events[0].name, "cookie policy violation");
        let path = spans[0].attributes.iter().find(|pair| pair.key == "url.path");
        assert!(path.is_some(), "{:?}", spans[0].attributes);
    }

    #[test]
    fn the_service_name_and_resource_attributes_come_from_the_environment() {
        let env = |name: &str| match name {
            "OTEL_SERVICE_NAME" => Some("edge-proxy".to_owned()),
            "OTEL_RESOURCE_ATTRIBUTES" => Some(
                "service.name=ignored, deployment.environment=staging,team=web%2Cplatform,broken,=x"
                    .to_owned(),
            ),
            _ => None,
        };
        let (_, export) = export(resource(env), || {
            let _span = tracing::info_span!("request").entered();
        });
        assert_eq!(
            resource_attribute(&export, "service.name").as_deref(),
            Some("edge-proxy")
        );
        assert_eq!(
            resource_attribute(&export, "deployment.environment").as_deref(),
            Some("staging")
        );
        assert_eq!(
            resource_attribute(&export, "team").as_deref(),
            Some("web,platform")
        );
        assert_eq!(resource_attribute(&export, "broken"), None);

        let from_attributes = |name: &str| {
            (name == "OTEL_RESOURCE_ATTRIBUTES").then(|| "service.name=from-attributes".to_owned())
        };
        let resource = resource(from_attributes);
        let name = resource.get(&opentelemetry::Key::new("service.name"));
        assert_eq!(name.map(|v| v.to_string()).as_deref(), Some("from-attributes"));
    }

    /// The request span as the proxy's server makes it, with its trace context.
    fn serve_one(headers: &http::HeaderMap, status: http::StatusCode) -> http::HeaderMap {
        let span = trace_context::request_span(&http::Method::GET, "/login/", headers);
        let _entered = span.enter();
        let mut upstream = http::HeaderMap::new();
        upstream.insert(
            "traceparent",
            headers
                .get("traceparent")
                .cloned()
                .unwrap_or(http::HeaderValue::from_static("stale")),
        );
        trace_context::inject(&mut upstream);
        trace_context::record_response(&span, status);
        upstream
    }

    const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn a_request_span_is_a_server_child_of_the_traceparent_and_passes_its_own_on() {
        let mut headers = http::HeaderMap::new();
        headers.insert("traceparent", http::HeaderValue::from_static(PARENT));
        headers.insert("tracestate", http::HeaderValue::from_static("vendor=opaque"));
        let mut upstream = http::HeaderMap::new();
        let (_, export) = export(resource(no_env), || {
            upstream = serve_one(&headers, http::StatusCode::BAD_GATEWAY);
        });
        let spans = spans(&export);
        assert_eq!(spans.len(), 1);
        let span = spans[0];
        assert_eq!(hex(&span.trace_id), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(hex(&span.parent_span_id), "00f067aa0ba902b7");
        assert_eq!(span.kind, SpanKind::Server as i32);
        let status = span.status.as_ref().expect("a status");
        assert_eq!(status.code, StatusCode::Error as i32);
        let code = span
            .attributes
            .iter()
            .find(|pair| pair.key == "http.response.status_code")
            .and_then(|pair| pair.value.as_ref()?.value.clone());
        assert_eq!(code, Some(Value::IntValue(502)));

        // The upstream sees the proxy's span as the parent, in the same trace, and the state.
        let sent = upstream["traceparent"].to_str().unwrap();
        assert_eq!(
            sent,
            format!("00-4bf92f3577b34da6a3ce929d0e0e4736-{}-01", hex(&span.span_id))
        );
        assert_eq!(upstream.get_all("traceparent").iter().count(), 1);
        assert_eq!(upstream["tracestate"], "vendor=opaque");
    }

    #[test]
    fn an_invalid_traceparent_starts_a_new_trace() {
        for invalid in [
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "zz-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "garbage",
        ] {
            let mut headers = http::HeaderMap::new();
            headers.insert("traceparent", http::HeaderValue::from_static(invalid));
            let mut upstream = http::HeaderMap::new();
            let (_, export) = export(resource(no_env), || {
                upstream = serve_one(&headers, http::StatusCode::OK);
            });
            let span = spans(&export)[0];
            assert!(span.parent_span_id.is_empty(), "{invalid}: a root span");
            assert_ne!(
                hex(&span.trace_id),
                "4bf92f3577b34da6a3ce929d0e0e4736",
                "{invalid}"
            );
            assert_eq!(span.kind, SpanKind::Server as i32);
            let status = span.status.as_ref().map_or(0, |status| status.code);
            assert_ne!(status, StatusCode::Error as i32, "{invalid}: a 200 is no error");
            let sent = upstream["traceparent"].to_str().unwrap();
            assert!(sent.contains(&hex(&span.trace_id)), "{invalid}: {sent}");
        }
    }

    #[test]
    fn json_lines_inside_a_traced_request_carry_its_ids() {
        let lines = crate::logging::captured::Captured::default();
        let json = crate::logging::json::JsonLines::new(lines.clone());
        let mut headers = http::HeaderMap::new();
        headers.insert("traceparent", http::HeaderValue::from_static(PARENT));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}/v1/traces", listener.local_addr().unwrap());
        let collector = std::thread::spawn(move || collect_one(&listener));
        let (otel, provider) = layer(&endpoint, resource(no_env)).unwrap();
        let subscriber = tracing_subscriber::registry().with(json).with(otel);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "cookie_warden", "outside any request");
            let span = trace_context::request_span(&http::Method::GET, "/", &headers);
            let _entered = span.enter();
            tracing::warn!(target: "cookie_warden", action = "stripped", "cookie policy violation");
        });
        provider.force_flush().unwrap();
        let (_, export) = collector.join().unwrap();
        provider.shutdown().unwrap();
        let span = spans(&export)[0];

        let lines: Vec<serde_json::Value> = lines
            .lines()
            .iter()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines.len(), 2, "{lines:#?}");
        assert!(lines[0].get("trace_id").is_none(), "{}", lines[0]);
        assert_eq!(lines[1]["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(
            lines[1]["span_id"],
            hex(&span.span_id),
            "the request span's own id"
        );
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|byte| format!("{byte:02x}")).collect()
    }
}
