//! `--log-format json`: byte for byte the lines of tracing-subscriber's JSON format as the binary
//! configures it (`flatten_event`, no span fields), written by a layer of its own.
//!
//! A line is `{"timestamp":"…","level":"WARN","message":"…","cookie.name":"…",…,"target":"…"}`:
//! the event's fields at the top level in their order, strings escaped as `serde_json` escapes
//! them, `?debug` and `%display` values as strings, numbers and booleans bare. Unlike the stock
//! layer it keeps nothing per span (JSON lines show no span), and each line is built in one
//! reused buffer and written with one `write_all`. Events bridged from the `log` crate are left to
//! the stock layer (see [`LogRecords`]), which knows their normalised metadata.

use std::cell::RefCell;
use std::fmt;
use std::io::Write as _;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;
use tracing_subscriber::layer::{Context, Layer};

use super::bridged_from_log;
use super::text::utc_now;

/// Writes every event that did not come from the `log` crate as one JSON line.
#[derive(Debug)]
pub(crate) struct Lines<W> {
    make_writer: W,
}

impl<W> Lines<W> {
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

impl<S, W> Layer<S> for Lines<W>
where
    S: Subscriber,
    W: for<'writer> MakeWriter<'writer> + 'static,
{
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if bridged_from_log(event.metadata()) {
            return;
        }
        LINE.with(|line| {
            // An event logged while a line is being written (from a `Debug` impl) gets its own.
            let mut own = Vec::new();
            let mut kept = line.try_borrow_mut();
            let line = match &mut kept {
                Ok(kept) => &mut **kept,
                Err(_) => &mut own,
            };
            line.clear();
            if write_line(line, event).is_ok() {
                let _ = self.make_writer.make_writer_for(event.metadata()).write_all(line);
            }
            if line.capacity() > KEPT_CAPACITY {
                *line = Vec::new();
            }
        });
    }
}

/// Forwards only the events bridged from the `log` crate to the stock JSON layer `L`.
#[derive(Debug)]
pub(crate) struct LogRecords<L>(pub(crate) L);

impl<S, L> Layer<S> for LogRecords<L>
where
    S: Subscriber,
    L: Layer<S>,
{
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if bridged_from_log(event.metadata()) {
            self.0.on_event(event, ctx);
        }
    }
}

/// One event as a JSON line.
fn write_line(line: &mut Vec<u8>, event: &Event<'_>) -> fmt::Result {
    line.extend_from_slice(b"{\"timestamp\":\"");
    match utc_now() {
        Some(now) => line.extend_from_slice(&now),
        None => {
            let mut timestamp = String::new();
            tracing_subscriber::fmt::time::SystemTime.format_time(&mut Writer::new(&mut timestamp))?;
            escape(line, &timestamp);
        }
    }
    line.extend_from_slice(b"\",\"level\":\"");
    line.extend_from_slice(level(event.metadata().level()).as_bytes());
    line.push(b'"');
    let mut visitor = Visitor { line };
    event.record(&mut visitor);
    line.extend_from_slice(b",\"target\":\"");
    escape(line, event.metadata().target());
    line.extend_from_slice(b"\"}\n");
    Ok(())
}

fn level(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "TRACE",
        Level::DEBUG => "DEBUG",
        Level::INFO => "INFO",
        Level::WARN => "WARN",
        Level::ERROR => "ERROR",
    }
}

/// Writes each field as `,"name":value`, as `tracing_serde`'s map visitor serialises it.
struct Visitor<'a> {
    line: &'a mut Vec<u8>,
}

impl Visitor<'_> {
    fn key(&mut self, field: &Field) {
        self.line.extend_from_slice(b",\"");
        escape(self.line, field.name());
        self.line.extend_from_slice(b"\":");
    }

    fn digits(&mut self, field: &Field, value: u64, negative: bool) {
        self.key(field);
        if negative {
            self.line.push(b'-');
        }
        self.line
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }
}

impl Visit for Visitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.key(field);
        self.line.push(b'"');
        escape(self.line, value);
        self.line.push(b'"');
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.key(field);
        self.line
            .extend_from_slice(if value { b"true" } else { b"false" });
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.digits(field, value, false);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.digits(field, value.unsigned_abs(), value < 0);
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.key(field);
        // `serde_json`'s own float format (`null` when not finite).
        if serde_json::to_writer(&mut *self.line, &value).is_err() {
            self.line.extend_from_slice(b"null");
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.key(field);
        self.line.push(b'"');
        let _ = fmt::Write::write_fmt(&mut Escaping(self.line), format_args!("{value:?}"));
        self.line.push(b'"');
    }
}

/// Escapes what a `fmt` implementation writes, as a JSON string's contents.
struct Escaping<'a>(&'a mut Vec<u8>);

impl fmt::Write for Escaping<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        escape(self.0, s);
        Ok(())
    }
}

/// Appends `text` as the contents of a JSON string, escaped as `serde_json` escapes it: `"`, `\`
/// and the control characters below U+0020 (`\b`, `\t`, `\n`, `\f`, `\r`, else `\u00xx`).
///
/// The bytes that need nothing are skipped eight at a time.
fn escape(out: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    let mut clean = 0;
    while let Some(word) = bytes.get(clean..clean + 8) {
        let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
        if needs_escape(word) {
            break;
        }
        clean += 8;
    }
    let mut start = 0;
    for (at, &byte) in bytes.iter().enumerate().skip(clean) {
        let escaped = ESCAPE[usize::from(byte)];
        if escaped == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[start..at]);
        out.push(b'\\');
        out.push(escaped);
        if escaped == b'u' {
            out.extend_from_slice(b"00");
            out.push(HEX[usize::from(byte >> 4)]);
            out.push(HEX[usize::from(byte & 0xf)]);
        }
        start = at + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Per byte, the letter after the `\` of its escape, or 0 when it needs none.
const ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = b'u';
        byte += 1;
    }
    table[0x08] = b'b';
    table[b'\t' as usize] = b't';
    table[b'\n' as usize] = b'n';
    table[0x0c] = b'f';
    table[b'\r' as usize] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// Whether any of the eight bytes of `word` is below 0x20, `"` or `\` (exact as a whole, as
/// the classic "has a byte less than / equal to" word tests are).
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x;
    (below_space | zero_byte(quote) | zero_byte(backslash)) & HIGH != 0
}

#[cfg(test)]
mod tests {
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

    fn emit_everything() {
        tracing::info!(target: "cookie_warden::proxy", address = %"127.0.0.1:8080", upstream = "http://u", "proxy listening");
        let request = tracing::info_span!(target: "cookie_warden::proxy", "request", url.path = "/a");
        let _entered = request.enter();
        let absent: Option<&str> = None;
        let controls: String = (0u8..0x20).chain([0x7f, b'"', b'\\']).map(char::from).collect();
        tracing::event!(
            target: "cookie_warden",
            Level::WARN,
            cookie.name = %"_ga",
            cookie.rule = absent,
            violation = "unlisted,missing_secure",
            enforced = true,
            http.response.status_code = 200u16,
            delta = -42i64,
            ratio = 0.1f64,
            whole = 3.0f64,
            nan = f64::NAN,
            big = u128::MAX,
            raw = ?vec!["x", "y"],
            controls = controls.as_str(),
            unicode = "åäö \u{85} \u{2028} 🍪",
            "cookie policy violation"
        );
        let error = Refused;
        tracing::error!(target: "cookie_warden", error = &error as &(dyn std::error::Error + 'static), shown = %error, "upstream \u{1b}[31mfailure");
        tracing::info!(target: "other", message = "an explicit message field", n = u64::MAX, m = i64::MIN);
        tracing::debug!(target: "other", bytes = tracing::field::debug(b"\x00\xff"), "{} formatted {:?}", 1, "two\n");
    }

    #[test]
    fn lines_are_the_stock_json_lines() {
        let stock = Captured::default();
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .json()
                .flatten_event(true)
                .with_current_span(false)
                .with_span_list(false)
                .with_writer(stock.clone()),
        );
        tracing::subscriber::with_default(subscriber, emit_everything);

        let lean = Captured::default();
        let subscriber = tracing_subscriber::registry().with(Lines::new(lean.clone()));
        tracing::subscriber::with_default(subscriber, emit_everything);

        let (stock, lean) = (stock.lines(), lean.lines());
        assert_eq!(stock.len(), 5, "{stock:#?}");
        assert_eq!(lean.len(), stock.len(), "{lean:#?}");
        let prefix = "{\"timestamp\":\"";
        for (stock, lean) in stock.iter().zip(&lean) {
            assert!(
                lean.starts_with(prefix) && stock.starts_with(prefix),
                "{lean}\n{stock}"
            );
            let time = prefix.len()..prefix.len() + 27;
            assert_eq!(lean[time.end..], stock[time.end..]);
            let parsed: serde_json::Value = serde_json::from_str(lean).unwrap();
            let timestamp = parsed["timestamp"].as_str().unwrap();
            assert_eq!(timestamp.len(), 27, "{timestamp}");
            assert_eq!(&lean[time], timestamp);
        }
        assert!(
            lean[1].contains(",\"cookie.name\":\"_ga\",\"violation\":"),
            "{}",
            lean[1]
        );
    }

    #[test]
    fn escapes_as_serde_json_does() {
        let every: String = (0u32..0x250).filter_map(char::from_u32).collect();
        let mut texts = vec![
            every,
            String::new(),
            "cookie.name".into(),
            "16 clean bytes!!".into(),
        ];
        // Each escaped byte at each place of a word, among clean ones.
        for special in (0u8..0x20).chain([b'"', b'\\', 0x7f, b' ', b'~']) {
            for at in 0..17 {
                let mut text = vec![b'a'; 17];
                text[at] = special;
                texts.push(String::from_utf8(text).unwrap());
            }
        }
        texts.push("\u{e5}\u{e4}\u{f6} \u{1f36a} and \u{85}".repeat(3));
        for text in texts {
            let mut out = Vec::new();
            escape(&mut out, &text);
            let expected = serde_json::to_string(&text).unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                expected[1..expected.len() - 1],
                "{text:?}"
            );
        }
    }
}
