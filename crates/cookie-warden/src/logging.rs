//! The binary's tracing subscriber: text or JSON lines on stderr, filtered `RUST_LOG`-style, and
//! with the `otlp` feature an OpenTelemetry exporter (the `otlp` module).
//!
//! The default filter, `warn,cookie_warden=info`, shows every cookie policy violation (fixes are
//! INFO, strips and blocks WARN by default) and the proxy's own lifecycle events.
//!
//! - **text**: tracing-subscriber's own `Full` format (its fixes, such as the escaping of ANSI
//!   control characters of RUSTSEC-2025-0055, apply as they are released), coloured only when
//!   stderr is a terminal and `NO_COLOR` is unset or empty (<https://no-color.org/>);
//! - **JSON**: one object per line with a documented schema (see [`json`]): `timestamp`,
//!   `level`, `target`, the event's fields at the top level, and `trace_id`/`span_id` inside a
//!   span that OpenTelemetry tracks.

use std::ffi::OsStr;

use anyhow::{Context, Result};
use clap::ValueEnum;
use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::{DefaultFields, Format, Full};
use tracing_subscriber::fmt::{self, MakeWriter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

#[cfg(test)]
mod captured;
mod json;
mod json_string;
#[cfg(feature = "otlp")]
mod otlp;
mod otlp_endpoint;

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

/// Keeps the exporters alive; flushes them when dropped.
#[derive(Debug)]
pub(crate) struct LogGuard {
    #[cfg(feature = "otlp")]
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        #[cfg(feature = "otlp")]
        if let Some(provider) = self.provider.take()
            && let Err(error) = provider.shutdown()
        {
            eprintln!("cookie-warden: otlp exporter did not shut down cleanly: {error}");
        }
    }
}

/// The filter from `RUST_LOG` (its value, if set), else [`DEFAULT_FILTER`].
fn filter(rust_log: Option<&str>) -> Result<EnvFilter> {
    match rust_log {
        Some(directives) if !directives.trim().is_empty() => {
            EnvFilter::try_new(directives).with_context(|| format!("invalid RUST_LOG filter `{directives}`"))
        }
        _ => Ok(EnvFilter::new(DEFAULT_FILTER)),
    }
}

/// Whether text lines are coloured: only on a terminal, and never when `NO_COLOR` is set to a
/// non-empty value.
fn coloured(terminal: bool, no_color: Option<&OsStr>) -> bool {
    terminal && no_color.is_none_or(OsStr::is_empty)
}

/// The text format: the stock `Full` lines, with or without ANSI colours.
fn text_layer<S, W>(make_writer: W, ansi: bool) -> fmt::Layer<S, DefaultFields, Format<Full>, W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'writer> MakeWriter<'writer> + 'static,
{
    fmt::layer().with_ansi(ansi).with_writer(make_writer)
}

/// Installs the global subscriber. The OTLP endpoint is `otlp_endpoint` (`--otlp-endpoint`),
/// else the one the `OTEL_EXPORTER_OTLP_*` variables name (see [`otlp_endpoint`]); none means no
/// export.
///
/// # Errors
/// When `RUST_LOG` is not a valid filter, the OTLP exporter cannot be built, `--otlp-endpoint`
/// is given to a build without the `otlp` feature, or a subscriber is already installed.
pub(crate) fn init(format: LogFormat, otlp_endpoint: Option<&str>) -> Result<LogGuard> {
    let filter = filter(std::env::var("RUST_LOG").ok().as_deref())?;
    let ansi = coloured(
        std::io::IsTerminal::is_terminal(&std::io::stderr()),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let text = (format == LogFormat::Text).then(|| text_layer(std::io::stderr, ansi));
    let json = (format == LogFormat::Json).then(|| json::JsonLines::new(std::io::stderr));
    let registry = tracing_subscriber::registry().with(filter).with(text).with(json);
    let endpoint = otlp_endpoint::resolve(otlp_endpoint, |name| std::env::var(name).ok());

    #[cfg(feature = "otlp")]
    {
        let (otel, provider) = match &endpoint {
            Some(endpoint) => {
                let resource = otlp::resource(|name| std::env::var(name).ok());
                let (layer, provider) = otlp::layer(&endpoint.url, resource)?;
                (Some(layer), Some(provider))
            }
            None => (None, None),
        };
        registry
            .with(otel)
            .try_init()
            .context("a tracing subscriber is already installed")?;
        if let Some(endpoint) = &endpoint {
            tracing::info!(
                target: "cookie_warden",
                otlp_endpoint = %endpoint.url,
                otlp_source = endpoint.source,
                "exporting traces"
            );
        }
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
        if let Some(endpoint) = endpoint {
            // Set for every process of a platform: not a reason to refuse to start.
            tracing::warn!(
                target: "cookie_warden",
                otlp_source = endpoint.source,
                "an OTLP endpoint is set, but this cookie-warden is built without the `otlp` feature: no traces are exported"
            );
        }
        Ok(LogGuard {})
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use tracing::Level;
    use tracing_subscriber::layer::SubscriberExt;

    use super::captured::Captured;
    use super::*;

    /// A violation as the layer logs it, inside a request span, and a message with an ANSI escape.
    fn emit_violation() {
        let request = tracing::info_span!(target: "cookie_warden::proxy", "request", url.path = "/a");
        let _entered = request.enter();
        let absent: Option<&str> = None;
        tracing::event!(
            target: "cookie_warden",
            Level::WARN,
            cookie.name = %"_ga",
            cookie.rule = absent,
            cookie.source = "response",
            violation = "unlisted,missing_secure",
            action = "stripped",
            enforced = true,
            http.response.status_code = 200u16,
            "cookie policy violation"
        );
        tracing::error!(target: "cookie_warden", "upstream \u{1b}[31mfailure");
    }

    #[test]
    fn colours_only_on_a_terminal_without_no_color() {
        assert!(coloured(true, None));
        assert!(coloured(true, Some(OsStr::new(""))));
        assert!(!coloured(true, Some(OsStr::new("1"))));
        assert!(!coloured(false, None));
        assert!(!coloured(false, Some(OsStr::new("1"))));
    }

    #[test]
    fn the_default_filter_applies_when_rust_log_is_unset_or_blank() {
        for rust_log in [None, Some(""), Some("  ")] {
            assert_eq!(
                filter(rust_log).unwrap().to_string(),
                EnvFilter::new(DEFAULT_FILTER).to_string()
            );
        }
        assert_eq!(filter(Some("debug")).unwrap().to_string(), "debug");
        let error = filter(Some("cookie_warden=loud")).unwrap_err();
        assert!(format!("{error:#}").contains("`cookie_warden=loud`"), "{error:#}");
    }

    #[test]
    fn text_lines_are_coloured_only_when_asked_and_escape_control_characters() {
        let plain = Captured::default();
        let subscriber = tracing_subscriber::registry().with(text_layer(plain.clone(), false));
        tracing::subscriber::with_default(subscriber, emit_violation);
        let lines = plain.lines();
        assert_eq!(lines.len(), 2, "{lines:#?}");
        assert!(
            lines[0].contains(
                " WARN request{url.path=\"/a\"}: cookie_warden: cookie policy violation cookie.name=_ga cookie.source=\"response\" violation=\"unlisted,missing_secure\" action=\"stripped\" enforced=true http.response.status_code=200"
            ),
            "{}",
            lines[0]
        );
        assert!(lines.iter().all(|line| !line.contains('\u{1b}')), "{lines:#?}");
        assert!(lines[1].contains("upstream \\x1b[31mfailure"), "{}", lines[1]);

        let coloured = Captured::default();
        let subscriber = tracing_subscriber::registry().with(text_layer(coloured.clone(), true));
        tracing::subscriber::with_default(subscriber, emit_violation);
        let lines = coloured.lines();
        assert!(lines[0].contains("\u{1b}["), "{}", lines[0]);
        assert!(!lines[1].contains("\u{1b}[31mfailure"), "{}", lines[1]);
    }
}
