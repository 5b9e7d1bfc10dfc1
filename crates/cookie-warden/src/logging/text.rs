//! The text format when stderr is not a terminal: byte for byte the lines of tracing-subscriber's
//! default (`Full`) format with ANSI off, written straight into the line buffer instead of
//! through its styling (`nu_ansi_term` paints every field name, even with ANSI off) and
//! `format_args!` machinery.
//!
//! A line is `TIMESTAMP LEVEL span{fields}:span{fields}: target: message field=value …`: string
//! fields `Debug`-quoted, `%display` fields bare, the message with ANSI control characters escaped
//! (as the stock format does against terminal injection). Events bridged from the `log` crate go
//! to the stock formatter, which knows their normalised metadata. A terminal gets the stock,
//! coloured format (see `logging::init`).

use std::cell::Cell;
use std::fmt::{self, Write as _};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::{Format, Full, Writer};
use tracing_subscriber::fmt::time::FormatTime;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// Formats event and span fields as the stock `DefaultFields` does with ANSI off.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Fields;

impl<'writer> FormatFields<'writer> for Fields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut visitor = Visitor {
            writer: Buffered::new(writer),
            is_empty: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result.and_then(|()| visitor.writer.flush())
    }
}

/// Formats one event as the stock `Full` format does with ANSI off (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct Lines {
    /// For events from the `log` crate.
    stock: Format<Full>,
}

impl<S, N> FormatEvent<S, N> for Lines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        if super::bridged_from_log(meta) {
            return self.stock.format_event(ctx, writer, event);
        }
        timestamp(&mut writer)?;
        let mut out = Buffered::new(writer.by_ref());
        out.write_str(level(meta.level()))?;
        if let Some(scope) = ctx.event_scope() {
            let mut seen = false;
            for span in scope.from_root() {
                out.write_str(span.metadata().name())?;
                seen = true;
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<N>>()
                    && !fields.is_empty()
                {
                    out.write_char('{')?;
                    out.write_str(fields)?;
                    out.write_char('}')?;
                }
                out.write_char(':')?;
            }
            if seen {
                out.write_char(' ')?;
            }
        }
        out.write_str(meta.target())?;
        out.write_str(": ")?;
        out.flush()?;
        ctx.format_fields(writer.by_ref(), event)?;
        writer.write_char('\n')
    }
}

/// The level as the stock format pads it, with the space after it.
fn level(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "TRACE ",
        Level::DEBUG => "DEBUG ",
        Level::INFO => " INFO ",
        Level::WARN => " WARN ",
        Level::ERROR => "ERROR ",
    }
}

thread_local! {
    /// The last second this thread formatted, and its `YYYY-MM-DDTHH:MM:SS.` prefix.
    static SECOND: Cell<(u64, [u8; 20])> = const { Cell::new((u64::MAX, [0; 20])) };
}

/// The latest second the lean timestamp covers (9999-12-31T23:59:59Z); later, and before 1970,
/// the stock timer writes it.
const LAST_SECOND: u64 = 253_402_300_799;

/// `2026-11-29T15:21:40.263081Z ` (UTC, microseconds), as the stock `SystemTime` timer writes it.
fn timestamp(writer: &mut Writer<'_>) -> fmt::Result {
    let Some(now) = utc_now() else {
        if tracing_subscriber::fmt::time::SystemTime
            .format_time(writer)
            .is_err()
        {
            writer.write_str("<unknown time>")?;
        }
        return writer.write_char(' ');
    };
    // Only ASCII digits and punctuation were written.
    writer.write_str(std::str::from_utf8(&now).map_err(|_| fmt::Error)?)?;
    writer.write_char(' ')
}

/// Now as `2026-11-29T15:21:40.263081Z` (UTC, microseconds), as the stock `SystemTime` timer
/// writes it; `None` before 1970 and after 9999, where that timer must write it.
pub(super) fn utc_now() -> Option<[u8; 27]> {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).ok();
    let now = since_epoch.filter(|now| now.as_secs() <= LAST_SECOND)?;
    let seconds = now.as_secs();
    let (cached, mut prefix) = SECOND.get();
    if cached != seconds {
        prefix = second_prefix(seconds);
        SECOND.set((seconds, prefix));
    }
    let mut out = [0u8; 27];
    out[..20].copy_from_slice(&prefix);
    let mut micros = now.subsec_micros();
    for digit in out[20..26].iter_mut().rev() {
        *digit = b'0' + (micros % 10) as u8;
        micros /= 10;
    }
    out[26] = b'Z';
    Some(out)
}

/// `YYYY-MM-DDTHH:MM:SS.` for a second since the epoch, at most [`LAST_SECOND`].
fn second_prefix(seconds: u64) -> [u8; 20] {
    let (year, month, day) = civil_from_days(seconds / 86_400);
    let of_day = seconds % 86_400;
    let mut out = *b"0000-00-00T00:00:00.";
    let mut put = |at: usize, value: u64, width: usize| {
        let mut value = value;
        for digit in out[at..at + width].iter_mut().rev() {
            *digit = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    put(0, year, 4);
    put(5, month, 2);
    put(8, day, 2);
    put(11, of_day / 3600, 2);
    put(14, of_day % 3600 / 60, 2);
    put(17, of_day % 60, 2);
    out
}

/// (year, month, day) of a day since 1970-01-01 (proleptic Gregorian; H. Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// Collects small writes in a buffer on the stack and passes them on in one, to spare the line
/// buffer behind a [`Writer`] a call (and a growth, for a span's fields) per piece.
struct Buffered<'writer> {
    writer: Writer<'writer>,
    buffer: [u8; 512],
    len: usize,
}

impl<'writer> Buffered<'writer> {
    fn new(writer: Writer<'writer>) -> Self {
        Self {
            writer,
            buffer: [0; 512],
            len: 0,
        }
    }

    fn sanitizes_ansi_escapes(&self) -> bool {
        self.writer.sanitizes_ansi_escapes()
    }

    /// Passes on what is buffered.
    fn flush(&mut self) -> fmt::Result {
        // Whole `str`s only were buffered.
        let buffered = std::str::from_utf8(&self.buffer[..self.len]).map_err(|_| fmt::Error)?;
        self.writer.write_str(buffered)?;
        self.len = 0;
        Ok(())
    }
}

impl fmt::Write for Buffered<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.len + s.len() > self.buffer.len() {
            self.flush()?;
            if s.len() > self.buffer.len() {
                return self.writer.write_str(s);
            }
        }
        self.buffer[self.len..self.len + s.len()].copy_from_slice(s.as_bytes());
        self.len += s.len();
        Ok(())
    }
}

/// Writes fields as `DefaultVisitor` does with ANSI off.
struct Visitor<'writer> {
    writer: Buffered<'writer>,
    is_empty: bool,
    result: fmt::Result,
}

impl Visitor<'_> {
    /// Whether to write `field` at all (the stock visitor skips the `log.*` metadata fields), and
    /// the separating space before it.
    fn start(&mut self, field: &Field) -> bool {
        if self.result.is_err() || field.name().starts_with("log.") {
            return false;
        }
        if self.is_empty {
            self.is_empty = false;
        } else {
            self.result = self.writer.write_char(' ');
        }
        self.result.is_ok()
    }

    /// `name=` (a raw identifier without its `r#`).
    fn name(&mut self, field: &Field) -> fmt::Result {
        let name = field.name();
        self.writer.write_str(name.strip_prefix("r#").unwrap_or(name))?;
        self.writer.write_char('=')
    }

    fn write_u64(&mut self, field: &Field, value: u64, negative: bool) {
        if !self.start(field) {
            return;
        }
        let mut buffer = itoa::Buffer::new();
        let digits = buffer.format(value);
        self.result = self.name(field).and_then(|()| {
            if negative {
                self.writer.write_char('-')?;
            }
            self.writer.write_str(digits)
        });
    }
}

impl Visit for Visitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            if self.start(field) {
                let sanitize = self.writer.sanitizes_ansi_escapes();
                self.result = Escaping::new(&mut self.writer, sanitize).write_str(value);
            }
            return;
        }
        if !self.start(field) {
            return;
        }
        self.result = self.name(field).and_then(|()| {
            if debug_as_is(value.as_bytes()) {
                self.writer.write_char('"')?;
                self.writer.write_str(value)?;
                self.writer.write_char('"')
            } else {
                write!(self.writer, "{value:?}")
            }
        });
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.write_u64(field, value, false);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.write_u64(field, value.unsigned_abs(), value < 0);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if self.start(field) {
            self.result = self
                .name(field)
                .and_then(|()| self.writer.write_str(if value { "true" } else { "false" }));
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let sanitize = self.writer.sanitizes_ansi_escapes();
        let error = Escaped {
            value: format_args!("{value}"),
            sanitize,
        };
        match value.source() {
            Some(source) => self.record_debug(
                field,
                &format_args!(
                    "{error} {}.sources={}",
                    field.name(),
                    Sources {
                        error: source,
                        sanitize
                    }
                ),
            ),
            None => self.record_debug(field, &format_args!("{error}")),
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if !self.start(field) {
            return;
        }
        self.result = if field.name() == "message" {
            let sanitize = self.writer.sanitizes_ansi_escapes();
            write!(Escaping::new(&mut self.writer, sanitize), "{value:?}")
        } else {
            self.name(field).and_then(|()| write!(self.writer, "{value:?}"))
        };
    }
}

/// Whether `str`'s `Debug` is `text` in quotes: printable ASCII only, no `"` or `\\`. Eight
/// bytes at a time.
fn debug_as_is(text: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x;
    let mut words = text.chunks_exact(8);
    for word in &mut words {
        let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
        let below_space = word.wrapping_sub(ONES * 0x20) & !word;
        let special = zero_byte(word ^ (ONES * u64::from(b'"')))
            | zero_byte(word ^ (ONES * u64::from(b'\\')))
            | zero_byte(word ^ (ONES * 0x7f));
        if (below_space | special | word) & HIGH != 0 {
            return false;
        }
    }
    words
        .remainder()
        .iter()
        .all(|&b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
}

/// Escapes the ANSI and C1 control characters that could drive a terminal, as the stock
/// format's sanitisation does (`\x1b`, `\x07`, `\x08`, `\x0c`, `\x7f`, `\u{80}`–`\u{9f}`).
struct Escaping<'a, W: fmt::Write + ?Sized> {
    inner: &'a mut W,
    sanitize: bool,
}

impl<'a, W: fmt::Write + ?Sized> Escaping<'a, W> {
    fn new(inner: &'a mut W, sanitize: bool) -> Self {
        Self { inner, sanitize }
    }
}

impl<W: fmt::Write + ?Sized> fmt::Write for Escaping<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // C1 characters are encoded as 0xC2 0x80..=0x9F.
        if !self.sanitize
            || !s
                .bytes()
                .any(|b| matches!(b, 0x1b | 0x07 | 0x08 | 0x0c | 0x7f | 0xc2))
        {
            return self.inner.write_str(s);
        }
        for ch in s.chars() {
            match ch {
                '\x1b' => self.inner.write_str("\\x1b")?,
                '\x07' => self.inner.write_str("\\x07")?,
                '\x08' => self.inner.write_str("\\x08")?,
                '\x0c' => self.inner.write_str("\\x0c")?,
                '\x7f' => self.inner.write_str("\\x7f")?,
                '\u{80}'..='\u{9f}' => write!(self.inner, "\\u{{{:x}}}", ch as u32)?,
                _ => self.inner.write_char(ch)?,
            }
        }
        Ok(())
    }
}

/// A value written through [`Escaping`] (the stock `EscapeGuard`).
struct Escaped<T> {
    value: T,
    sanitize: bool,
}

impl<T: fmt::Display> fmt::Display for Escaped<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(Escaping::new(f, self.sanitize), "{}", self.value)
    }
}

impl<T: fmt::Debug> fmt::Debug for Escaped<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(Escaping::new(f, self.sanitize), "{:?}", self.value)
    }
}

/// An error's sources as a list, each escaped (the stock `ErrorSourceList`).
struct Sources<'a> {
    error: &'a (dyn std::error::Error + 'static),
    sanitize: bool,
}

impl fmt::Display for Sources<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        let mut next = Some(self.error);
        while let Some(error) = next {
            list.entry(&Escaped {
                value: format_args!("{error}"),
                sanitize: self.sanitize,
            });
            next = error.source();
        }
        list.finish()
    }
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;
    use crate::logging::captured::Captured;

    #[derive(Debug)]
    struct Outer(Inner);
    #[derive(Debug)]
    struct Inner;
    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("upstream \x1b[31mrefused")
        }
    }
    impl fmt::Display for Inner {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("connection refused (os error 111)")
        }
    }
    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }
    impl std::error::Error for Inner {}

    /// Every kind of field and span the binary's events use, and then some.
    fn emit_everything() {
        tracing::info!(target: "cookie_warden::proxy", address = %"127.0.0.1:8080", upstream = "http://u", "proxy listening");
        let request = tracing::info_span!(target: "cookie_warden::proxy", "request", http.request.method = %"GET", url.path = "/a \"b\"/åäö");
        let _entered = request.enter();
        let name = "_ga";
        let absent: Option<&str> = None;
        tracing::event!(
            target: "cookie_warden",
            Level::WARN,
            cookie.name = %name,
            cookie.rule = absent,
            cookie.source = "response",
            violation = "unlisted,missing_secure",
            enforced = true,
            consent.granted = %"statistics",
            http.response.status_code = 200u16,
            delta = -42i64,
            ratio = 0.5f64,
            big = u128::MAX,
            raw = ?vec!["x", "y"],
            "cookie policy violation"
        );
        tracing::error!(target: "cookie_warden", r#type = "raw", control = "tab\there\x1b[0m", "message with \x1b[31m escape \u{85} and C1");
        let inner = tracing::debug_span!(target: "cookie_warden", "inner");
        inner.in_scope(|| {
            tracing::info!(target: "cookie_warden", "in an empty span");
        });
        let recorded = tracing::info_span!(target: "cookie_warden", "late", value = tracing::field::Empty);
        recorded.record("value", 7u64);
        recorded.record("value", "again");
        recorded.in_scope(|| {
            let error = Outer(Inner);
            tracing::warn!(target: "cookie_warden", error = &error as &(dyn std::error::Error + 'static), plain = %error, "upstream failure");
            let lone = Inner;
            tracing::trace!(target: "cookie_warden", error = &lone as &(dyn std::error::Error + 'static));
        });
        drop(_entered);
        let long = "ab\"c".repeat(200);
        tracing::info!(target: "other", first = long.as_str(), second = %long, third = long.as_str(), "{}", &long[..300]);
        tracing::info!(target: "other", message = "an explicit message field", n = u64::MAX, m = i64::MIN);
        tracing::info!(target: "other", bytes = tracing::field::debug(b"\x00\xff"), "{} formatted {:?}", 1, "two");
    }

    /// The timestamp's shape, and the line without it.
    fn split_timestamp(line: &str) -> &str {
        let (time, rest) = line.split_at(28);
        assert_eq!(time.len(), 28, "{line}");
        let bytes = time.as_bytes();
        for (i, b) in bytes.iter().enumerate() {
            match i {
                4 | 7 => assert_eq!(*b, b'-', "{line}"),
                10 => assert_eq!(*b, b'T', "{line}"),
                13 | 16 => assert_eq!(*b, b':', "{line}"),
                19 => assert_eq!(*b, b'.', "{line}"),
                26 => assert_eq!(*b, b'Z', "{line}"),
                27 => assert_eq!(*b, b' ', "{line}"),
                _ => assert!(b.is_ascii_digit(), "{line}"),
            }
        }
        rest
    }

    #[test]
    fn lines_are_the_stock_format_without_ansi() {
        let stock = Captured::default();
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(stock.clone()),
        );
        tracing::subscriber::with_default(subscriber, emit_everything);

        let lean = Captured::default();
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .fmt_fields(Fields)
                .event_format(Lines::default())
                .with_writer(lean.clone()),
        );
        tracing::subscriber::with_default(subscriber, emit_everything);

        let (stock, lean) = (stock.lines(), lean.lines());
        assert_eq!(stock.len(), 9, "{stock:#?}");
        assert_eq!(lean.len(), stock.len(), "{lean:#?}");
        for (stock, lean) in stock.iter().zip(&lean) {
            assert_eq!(split_timestamp(lean), split_timestamp(stock));
        }
        assert!(lean[1].contains("request{http.request.method=GET url.path=\"/a \\\"b\\\"/åäö\"}: cookie_warden: cookie policy violation cookie.name=_ga cookie.source=\"response\""), "{}", lean[1]);
        // The message and string fields are escaped; a `%display` field is not (nor is it stock).
        assert!(!lean[2].contains('\x1b'), "{}", lean[2]);
    }

    #[test]
    fn strings_shown_as_is_are_exactly_those_debug_leaves_alone() {
        let mut texts: Vec<Vec<u8>> = vec![Vec::new(), b"response".to_vec(), b"16 clean bytes!!".to_vec()];
        for special in (0u8..0x20).chain([b'"', b'\\', 0x7f, b' ', b'~']) {
            for at in 0..17 {
                let mut text = vec![b'a'; 17];
                text[at] = special;
                texts.push(text);
            }
        }
        texts.push("\u{e5}\u{e4}\u{f6} fine".as_bytes().to_vec());
        for text in texts {
            let text = String::from_utf8(text).unwrap();
            let as_is = format!("{text:?}") == format!("\"{text}\"") && text.is_ascii();
            assert_eq!(debug_as_is(text.as_bytes()), as_is, "{text:?}");
        }
    }

    #[test]
    fn dates_are_proleptic_gregorian_utc() {
        let prefix = |seconds| String::from_utf8(second_prefix(seconds).to_vec()).unwrap();
        assert_eq!(prefix(0), "1970-01-01T00:00:00.");
        assert_eq!(prefix(951_782_400), "2000-02-29T00:00:00.");
        assert_eq!(prefix(951_868_799), "2000-02-29T23:59:59.");
        assert_eq!(prefix(1_709_251_199), "2024-02-29T23:59:59.");
        assert_eq!(prefix(1_795_964_499), "2026-11-29T15:01:39.");
        assert_eq!(prefix(4_107_542_400), "2100-03-01T00:00:00.");
        assert_eq!(prefix(LAST_SECOND), "9999-12-31T23:59:59.");
    }

    #[test]
    fn the_timestamp_is_now() {
        let mut line = String::new();
        let before = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        timestamp(&mut Writer::new(&mut line)).unwrap();
        let after = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let written = &line[..20];
        assert!(
            [before, after]
                .iter()
                .any(|&s| String::from_utf8(second_prefix(s).to_vec()).unwrap() == written),
            "{line}"
        );
        split_timestamp(&line);
    }
}
