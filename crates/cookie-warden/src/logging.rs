//! The binary's tracing subscriber: text or JSON lines on stderr, filtered `RUST_LOG`-style, and
//! with the `otlp` feature an OpenTelemetry exporter (`--otlp-endpoint`).
//!
//! The default filter, `warn,cookie_warden=info`, shows every cookie policy violation (fixes are
//! INFO, strips and blocks WARN by default) and the proxy's own lifecycle events. JSON lines put
//! each event's fields at the top level (`cookie.name`, `violation`, `action`, …) next to
//! `timestamp`, `level`, `target` and `message`.

use anyhow::{Context, Result};
use clap::ValueEnum;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

#[cfg(test)]
mod captured;
mod json;
mod text;

/// The filter used when `RUST_LOG` is unset.
pub(crate) const DEFAULT_FILTER: &str = "warn,cookie_warden=info";

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Whether an event was bridged from the `log` crate (its metadata is `tracing-log`'s, with the
/// record's own target in a `log.target` field): the stock formatters, which normalise it, write
/// those.
fn bridged_from_log(metadata: &tracing::Metadata<'_>) -> bool {
    metadata.fields().field("log.target").is_some()
}

/// Keeps the exporters alive; flushes them when dropped.
#[derive(Debug)]
pub(crate) struct LogGuard {
    #[cfg(feature = "otlp")]
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        #[cfg(feature = "otlp")]
        if let Some(provider) = self.provider.take() {
            if let Err(error) = provider.shutdown() {
                eprintln!("cookie-warden: otlp exporter did not shut down cleanly: {error}");
            }
        }
    }
}

/// Installs the global subscriber.
///
/// # Errors
/// When `RUST_LOG` is not a valid filter, the OTLP exporter cannot be built, or a subscriber is
/// already installed.
pub(crate) fn init(format: LogFormat, otlp_endpoint: Option<&str>) -> Result<LogGuard> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.trim().is_empty() => EnvFilter::try_new(&directives)
            .with_context(|| format!("invalid RUST_LOG filter `{directives}`"))?,
        _ => EnvFilter::new(DEFAULT_FILTER),
    };
    // A terminal gets the stock, coloured lines; anything else (a file, a pipe, journald) the
    // same lines without ANSI from the lean formatter.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let coloured = (format == LogFormat::Text && ansi).then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(true)
    });
    let text = (format == LogFormat::Text && !ansi).then(|| {
        tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .fmt_fields(text::Fields)
            .event_format(text::Lines::default())
            .with_writer(std::io::stderr)
    });
    // JSON lines from a layer of our own; the stock layer only for events bridged from `log`.
    let json = (format == LogFormat::Json).then(|| json::Lines::new(std::io::stderr));
    let json_log_records = (format == LogFormat::Json).then(|| {
        json::LogRecords(
            tracing_subscriber::fmt::layer()
                .json()
                .flatten_event(true)
                .with_current_span(false)
                .with_span_list(false)
                .with_writer(std::io::stderr),
        )
    });
    let registry = tracing_subscriber::registry()
        .with(filter)
        .with(coloured)
        .with(text)
        .with(json)
        .with(json_log_records);

    #[cfg(feature = "otlp")]
    {
        let (otel, provider) = match otlp_endpoint {
            Some(endpoint) => {
                let (layer, provider) = otlp::layer(endpoint)?;
                (Some(layer), Some(provider))
            }
            None => (None, None),
        };
        registry
            .with(otel)
            .try_init()
            .context("a tracing subscriber is already installed")?;
        Ok(LogGuard { provider })
    }
    #[cfg(not(feature = "otlp"))]
    {
        if let Some(endpoint) = otlp_endpoint {
            anyhow::bail!(
                "--otlp-endpoint `{endpoint}` needs a cookie-warden built with the `otlp` feature (cargo build -p cookie-warden --features otlp)"
            );
        }
        registry
            .try_init()
            .context("a tracing subscriber is already installed")?;
        Ok(LogGuard {})
    }
}

/// The OpenTelemetry export: spans (each proxied request is one) with their events (violations,
/// upstream failures) over OTLP/HTTP (protobuf) to a collector.
#[cfg(feature = "otlp")]
mod otlp {
    use anyhow::{Context, Result};
    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_otlp::{SpanExporter, WithExportConfig};
    use opentelemetry_sdk::Resource;
    use opentelemetry_sdk::trace::SdkTracerProvider;

    /// A tracing layer exporting to `endpoint` (e.g. `http://collector:4318/v1/traces`).
    pub(super) fn layer<S>(
        endpoint: &str,
    ) -> Result<(
        tracing_opentelemetry::OpenTelemetryLayer<S, opentelemetry_sdk::trace::Tracer>,
        SdkTracerProvider,
    )>
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
            .with_resource(Resource::builder().with_service_name("cookie-warden").build())
            .build();
        let tracer = provider.tracer("cookie-warden");
        Ok((tracing_opentelemetry::layer().with_tracer(tracer), provider))
    }
}

/// Runs with `cargo test -p cookie-warden --features otlp`: a fake collector on 127.0.0.1
/// receives the export.
#[cfg(all(test, feature = "otlp"))]
mod otlp_tests {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::time::Duration;

    use tracing_subscriber::layer::SubscriberExt;

    /// Accepts one HTTP request, answers `200`, returns its request line and body.
    fn collect_one(listener: &TcpListener) -> (String, Vec<u8>) {
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
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        reader
            .get_mut()
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            .unwrap();
        (request_line, body)
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|window| window == needle)
    }

    #[test]
    fn spans_and_their_events_reach_the_collector() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}/v1/traces", listener.local_addr().unwrap());
        let collector = std::thread::spawn(move || collect_one(&listener));

        let (layer, provider) = super::otlp::layer(&endpoint).unwrap();
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("request", url.path = "/account");
            let _entered = span.enter();
            tracing::warn!(target: "cookie_warden", action = "stripped", cookie.name = "sid", "cookie policy violation");
        });
        provider.force_flush().expect("the export succeeds");

        let (request_line, body) = collector.join().unwrap();
        assert!(request_line.starts_with("POST /v1/traces "), "{request_line}");
        assert!(contains(&body, b"cookie-warden"), "the service name is exported");
        assert!(
            contains(&body, b"cookie policy violation"),
            "the event is exported with its span"
        );
        assert!(contains(&body, b"/account"));
        provider.shutdown().unwrap();
    }
}
