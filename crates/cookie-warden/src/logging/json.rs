//! `--log-format json`: one JSON object per event, one event per line.
//!
//! # Schema
//!
//! Members in this order:
//!
//! | member | type | |
//! |---|---|---|
//! | `timestamp` | string | when the event happened: RFC 3339 in UTC with microseconds, `2026-12-03T07:41:09.123456Z` |
//! | `level` | string | `TRACE`, `DEBUG`, `INFO`, `WARN` or `ERROR` |
//! | `target` | string | the event's target, e.g. `cookie_warden` for every cookie policy violation |
//! | *the event's fields* | | in the order the event declares them, `message` first |
//! | `trace_id` | string | 32 lowercase hex digits: the trace of the innermost span that has one |
//! | `span_id` | string | 16 lowercase hex digits: that span |
//!
//! A field's value is a JSON string (text, `%display` and `?debug` values, errors), number
//! (integers of any width, finite floats; a float that is not finite is `null`) or boolean, as
//! recorded. A field named like one of the fixed members is written as `field.<name>`, so that no
//! member appears twice. `trace_id` and `span_id` appear only when the event happens inside a span
//! that OpenTelemetry tracks: with the `otlp` feature and an exporter configured, every proxied
//! request is one (see the README, "Traces"). Events bridged from the `log` crate show the
//! record's own level and target, without `tracing-log`'s `log.*` fields.
//!
//! Strings escape `"`, `\`, every control character below U+0020, DEL and the C1 controls (see
//! [`super::json_string`]): a line never carries a character a terminal acts on. A line is built
//! in a reused per-thread buffer and written with one `write_all`; spans cost this layer nothing
//! (their fields are not recorded).

use std::cell::RefCell;
use std::fmt;
use std::io::Write as _;

use tracing::field::{Field, Visit};
use tracing::{Event, Metadata, Subscriber};
use tracing_log::NormalizeEvent as _;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use super::json_string::{EscapingWriter, push_escaped};

/// The members every line has or may have besides the event's fields.
const FIXED_MEMBERS: [&str; 5] = ["timestamp", "level", "target", "trace_id", "span_id"];

/// A layer that writes every event it sees as one JSON line to what `make_writer` makes.
#[derive(Debug)]
pub(crate) struct JsonLines<W> {
    make_writer: W,
}

impl<W> JsonLines<W> {
    /// JSON lines written to what `make_writer` makes (stderr in the binary).
    pub(crate) fn new(make_writer: W) -> Self {
        Self { make_writer }
    }
}

thread_local! {
    /// The line being built; its capacity is kept between events.
    static LINE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A line buffer that grew past this is not kept for the next event.
const KEPT_CAPACITY: usize = 64 * 1024;

impl<S, W> Layer<S> for JsonLines<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'writer> MakeWriter<'writer> + 'static,
{
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let ids = trace_ids(event, &ctx);
        LINE.with(|kept| {
            // An event logged while a line is being written (from a `Debug` impl) gets its own.
            let mut own = Vec::new();
            let mut kept = kept.try_borrow_mut();
            let line = match &mut kept {
                Ok(kept) => &mut **kept,
                Err(_) => &mut own,
            };
            line.clear();
            write_line(line, event, ids.as_ref());
            let metadata = event.metadata();
            let _ = self.make_writer.make_writer_for(metadata).write_all(line);
            if line.capacity() > KEPT_CAPACITY {
                *line = Vec::new();
            }
        });
    }
}

/// The ids of the innermost span around `event` that OpenTelemetry tracks, as hex.
#[cfg(feature = "otlp")]
fn trace_ids<S>(event: &Event<'_>, ctx: &Context<'_, S>) -> Option<TraceIds>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    use opentelemetry::trace::TraceId;
    let scope = ctx.event_scope(event)?;
    scope.into_iter().find_map(|span| {
        let extensions = span.extensions();
        let data = extensions.get::<tracing_opentelemetry::OtelData>()?;
        let trace_id = data.trace_id().filter(|id| *id != TraceId::INVALID)?;
        let span_id = data.span_id()?;
        Some(TraceIds {
            trace_id: trace_id.to_string(),
            span_id: span_id.to_string(),
        })
    })
}

/// Without the `otlp` feature no span carries trace ids.
#[cfg(not(feature = "otlp"))]
fn trace_ids<S>(_event: &Event<'_>, _ctx: &Context<'_, S>) -> Option<TraceIds>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    None
}

/// A span's ids as lowercase hex.
#[derive(Debug)]
struct TraceIds {
    trace_id: String,
    span_id: String,
}

/// One event as a JSON line, with its newline.
fn write_line(line: &mut Vec<u8>, event: &Event<'_>, ids: Option<&TraceIds>) {
    let normalized = event.normalized_metadata();
    let metadata: &Metadata<'_> = normalized.as_ref().unwrap_or_else(|| event.metadata());
    line.extend_from_slice(b"{\"timestamp\":\"");
    let _ = fmt::Write::write_fmt(
        &mut EscapingWriter(line),
        format_args!("{:.6}", jiff::Timestamp::now()),
    );
    line.extend_from_slice(b"\",\"level\":\"");
    line.extend_from_slice(metadata.level().as_str().as_bytes());
    line.extend_from_slice(b"\",\"target\":\"");
    push_escaped(line, metadata.target());
    line.push(b'"');
    event.record(&mut Fields {
        line,
        skip_log_fields: normalized.is_some(),
    });
    if let Some(ids) = ids {
        line.extend_from_slice(b",\"trace_id\":\"");
        line.extend_from_slice(ids.trace_id.as_bytes());
        line.extend_from_slice(b"\",\"span_id\":\"");
        line.extend_from_slice(ids.span_id.as_bytes());
        line.push(b'"');
    }
    line.extend_from_slice(b"}\n");
}

/// Writes each field of an event as `,"name":value`.
struct Fields<'a> {
    line: &'a mut Vec<u8>,
    /// The event came from the `log` crate: its `log.*` fields are in the level and target.
    skip_log_fields: bool,
}

impl Fields<'_> {
    /// Writes `,"name":` and says whether the field is written at all.
    fn key(&mut self, field: &Field) -> bool {
        let name = field.name();
        if self.skip_log_fields && name.starts_with("log.") {
            return false;
        }
        self.line.extend_from_slice(b",\"");
        if FIXED_MEMBERS.contains(&name) {
            self.line.extend_from_slice(b"field.");
        }
        push_escaped(self.line, name);
        self.line.extend_from_slice(b"\":");
        true
    }

    /// Writes a number or `null` with serde_json.
    fn number(&mut self, field: &Field, value: impl serde::Serialize) {
        if self.key(field) && serde_json::to_writer(&mut *self.line, &value).is_err() {
            self.line.extend_from_slice(b"null");
        }
    }
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if self.key(field) {
            self.line.push(b'"');
            push_escaped(self.line, value);
            self.line.push(b'"');
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if self.key(field) {
            self.line
                .extend_from_slice(if value { b"true" } else { b"false" });
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.number(field, value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.number(field, value);
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        self.number(field, value);
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        self.number(field, value);
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        // serde_json writes a float that is not finite as `null`.
        self.number(field, value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.key(field) {
            self.line.push(b'"');
            let _ = fmt::Write::write_fmt(&mut EscapingWriter(self.line), format_args!("{value:?}"));
            self.line.push(b'"');
        }
    }
}

#[cfg(test)]
mod tests {
    use tracing::Level;
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;
    use crate::logging::captured::Captured;

    #[derive(Debug)]
    struct Refused;
    impl fmt::Display for Refused {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("connection \"refused\"\n(os error 111)")
        }
    }
    impl std::error::Error for Refused {}

    /// Lines written for what `emit` logs, parsed, with the raw lines.
    fn capture(emit: impl FnOnce()) -> (Vec<serde_json::Map<String, serde_json::Value>>, Vec<String>) {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::registry().with(JsonLines::new(captured.clone()));
        tracing::subscriber::with_default(subscriber, emit);
        let lines = captured.lines();
        let parsed = lines
            .iter()
            .map(|line| match serde_json::from_str(line) {
                Ok(serde_json::Value::Object(object)) => object,
                other => panic!("not a JSON object: {line}: {other:?}"),
            })
            .collect();
        (parsed, lines)
    }

    /// The member names of a JSON object line, in the order they are written.
    fn keys(line: &str) -> Vec<String> {
        struct Keys;
        impl<'de> serde::de::Visitor<'de> for Keys {
            type Value = Vec<String>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut keys = Vec::new();
                while let Some((key, _)) = map.next_entry::<String, serde::de::IgnoredAny>()? {
                    keys.push(key);
                }
                Ok(keys)
            }
        }
        serde::Deserializer::deserialize_map(&mut serde_json::Deserializer::from_str(line), Keys).unwrap()
    }

    #[test]
    fn a_violation_is_one_line_with_the_documented_members_in_order() {
        let (lines, raw) = capture(|| {
            let request = tracing::info_span!(target: "cookie_warden::proxy", "request", url.path = "/a");
            let _entered = request.enter();
            let absent: Option<&str> = None;
            tracing::event!(
                target: "cookie_warden",
                Level::WARN,
                cookie.name = %"_ga",
                cookie.rule = absent,
                violation = "unlisted,missing_secure",
                action = "stripped",
                enforced = true,
                http.response.status_code = 200u16,
                "cookie policy violation"
            );
        });
        assert_eq!(raw.len(), 1, "{raw:#?}");
        let line = &lines[0];
        assert_eq!(
            keys(&raw[0]),
            [
                "timestamp",
                "level",
                "target",
                "message",
                "cookie.name",
                "violation",
                "action",
                "enforced",
                "http.response.status_code",
            ],
            "{}",
            raw[0]
        );
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["target"], "cookie_warden");
        assert_eq!(line["message"], "cookie policy violation");
        assert_eq!(line["cookie.name"], "_ga");
        assert_eq!(line["enforced"], true);
        assert_eq!(line["http.response.status_code"], 200);
        let timestamp = line["timestamp"].as_str().unwrap();
        let parsed: jiff::Timestamp = timestamp.parse().unwrap();
        assert!(timestamp.len() == 27 && timestamp.ends_with('Z'), "{timestamp}");
        let age = jiff::Timestamp::now().duration_since(parsed);
        assert!(age.as_secs() < 60, "{timestamp}");
        assert!(raw[0].ends_with('}'), "one line: {}", raw[0]);
    }

    #[test]
    fn values_keep_their_types_and_text_is_escaped() {
        let (lines, raw) = capture(|| {
            let controls: String = (0u8..0x20).chain([0x7f]).map(char::from).collect();
            tracing::event!(
                target: "other",
                Level::ERROR,
                delta = -42i64,
                ratio = 0.5f64,
                nan = f64::NAN,
                big = u128::MAX,
                small = i128::MIN,
                raw = ?vec!["x", "y"],
                controls = controls.as_str(),
                c1 = "\u{9b}31m",
                unicode = "åäö 🍪",
                error = &Refused as &(dyn std::error::Error + 'static),
                "upstream \u{1b}[31mfailure"
            );
        });
        let line = &lines[0];
        assert_eq!(line["delta"], -42);
        assert_eq!(line["ratio"], 0.5);
        assert!(line["nan"].is_null());
        assert!(raw[0].contains(&format!(",\"big\":{},", u128::MAX)), "{}", raw[0]);
        assert!(
            raw[0].contains(&format!(",\"small\":{},", i128::MIN)),
            "{}",
            raw[0]
        );
        assert!(line["big"].is_number() && line["small"].is_number());
        assert_eq!(line["raw"], r#"["x", "y"]"#);
        let controls: String = (0u8..0x20).chain([0x7f]).map(char::from).collect();
        assert_eq!(line["controls"], controls.as_str());
        assert_eq!(line["c1"], "\u{9b}31m");
        assert_eq!(line["unicode"], "åäö 🍪");
        assert_eq!(line["error"], "connection \"refused\"\n(os error 111)");
        assert_eq!(line["message"], "upstream \u{1b}[31mfailure");
        assert!(
            !raw[0].chars().any(char::is_control),
            "no control character reaches the line: {}",
            raw[0]
        );
    }

    #[test]
    fn a_field_named_like_a_fixed_member_is_renamed() {
        let (lines, raw) = capture(|| {
            tracing::info!(target: "other", timestamp = 1, level = "custom", span_id = "x", "clash");
        });
        assert_eq!(
            keys(&raw[0]),
            [
                "timestamp",
                "level",
                "target",
                "message",
                "field.timestamp",
                "field.level",
                "field.span_id"
            ],
            "{}",
            raw[0]
        );
        assert_eq!(lines[0]["level"], "INFO");
        assert_eq!(lines[0]["field.level"], "custom");
    }

    #[test]
    fn a_log_record_shows_its_own_level_and_target() {
        let (lines, raw) = capture(|| {
            tracing_log::format_trace(
                &tracing_log::log::Record::builder()
                    .level(tracing_log::log::Level::Warn)
                    .target("rustls::client")
                    .module_path_static(Some("rustls::client"))
                    .file_static(Some("client.rs"))
                    .line(Some(7))
                    .args(format_args!("bad {}", "certificate"))
                    .build(),
            )
            .unwrap();
        });
        assert_eq!(raw.len(), 1, "{raw:#?}");
        assert_eq!(
            keys(&raw[0]),
            ["timestamp", "level", "target", "message"],
            "{}",
            raw[0]
        );
        assert_eq!(lines[0]["level"], "WARN");
        assert_eq!(lines[0]["target"], "rustls::client");
        assert_eq!(lines[0]["message"], "bad certificate");
    }

    #[test]
    fn an_event_without_an_opentelemetry_span_has_no_trace_ids() {
        let (lines, _) = capture(|| {
            let span = tracing::info_span!("request");
            let _entered = span.enter();
            tracing::info!("inside");
        });
        assert!(!lines[0].contains_key("trace_id") && !lines[0].contains_key("span_id"));
    }
}
