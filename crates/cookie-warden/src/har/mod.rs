//! HAR 1.2 files, as browsers' developer tools export them, read one entry at a time.
//!
//! For each entry cookie-warden reads `request.method`, `request.url`, `request.headers` (for
//! `Cookie` and `Sec-GPC`), `startedDateTime`, and the response's `headers`: every `Set-Cookie`
//! header, one per header entry, or several values joined by newlines in one entry as some
//! exporters write them. When a response has no `Set-Cookie` header but lists `response.cookies`
//! (sanitized exports drop the headers), the cookies are rebuilt from that list and a warning says
//! so: attributes the exporter did not record then count as absent.
//!
//! "Now" for each response (to read `Expires`) follows the one rule of
//! [`ResponseTime::of_response`]: its `Date` header when that is one strict IMF-fixdate, else the
//! entry's `startedDateTime` (and an Expires then counts, and would leave, as a Max-Age).
//!
//! A broken file gets an error naming the file, the JSON path (`log.entries[3].request.url`) and,
//! for JSON errors, the line and column. No error, warning or `Debug` output shows a header value.

mod model;
mod stream;

use std::fmt;
use std::fs::File;
use std::io::{BufReader, IsTerminal};
use std::path::{Path, PathBuf};

use cookie_warden_core::http_date::ResponseTime;
use cookie_warden_core::request::{RequestUrl, RequestUrlBuf};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use self::model::{Cookie, Entry, Header};
use self::stream::{JsonError, StreamError, read_entries};

/// Files at least this large show a progress bar (on a terminal).
const PROGRESS_MIN_BYTES: u64 = 4 * 1024 * 1024;

/// One request and its response, as audit and discover need them. Its `Debug` output shows no
/// header value.
pub(crate) struct Exchange {
    /// The entry's index in `log.entries`.
    pub(crate) entry: usize,
    /// The request method.
    pub(crate) method: String,
    /// The request URL as cookie rules see it (host lowercased, no port, path without query;
    /// secure for https, wss and loopback hosts, as browsers count them).
    url: RequestUrlBuf,
    /// `scheme://host[:port]/path`, without query or fragment (a query may carry secrets).
    pub(crate) display_url: String,
    /// The request headers.
    request_headers: Vec<Header>,
    /// Every `Set-Cookie` value of the response, in order.
    pub(crate) set_cookies: Vec<String>,
    /// Unix seconds: the response's `Date` when it is one strict IMF-fixdate, else
    /// `startedDateTime` (`time.now`).
    pub(crate) now: i64,
    /// The time the response's cookies are decided at ([`ResponseTime::of_response`]).
    pub(crate) time: ResponseTime,
}

impl fmt::Debug for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exchange")
            .field("entry", &self.entry)
            .field("method", &self.method)
            .field("display_url", &self.display_url)
            .field("set_cookies", &self.set_cookies.len())
            .field("time", &self.time)
            .finish_non_exhaustive()
    }
}

impl Exchange {
    /// The request URL as cookie rules see it.
    pub(crate) fn request_url(&self) -> RequestUrl<'_> {
        self.url.as_url()
    }

    /// The values of the request headers named `name` (case-insensitive).
    pub(crate) fn request_headers<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.request_headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    /// The request carried `Sec-GPC: 1`.
    pub(crate) fn gpc(&self) -> bool {
        self.request_headers("sec-gpc").any(|v| v.trim() == "1")
    }
}

/// What reading one file found, besides the exchanges.
#[derive(Debug, Default)]
pub(crate) struct FileSummary {
    /// Entries in the file.
    pub(crate) entries: usize,
    /// Entries skipped: not http(s) or ws(s) (`data:`, `chrome-extension:`, …).
    pub(crate) skipped: usize,
    /// Responses whose cookies were rebuilt from `response.cookies`.
    pub(crate) rebuilt_from_cookies: usize,
    /// Responses with at least one cookie (from headers or rebuilt).
    pub(crate) responses_with_cookies: usize,
}

impl FileSummary {
    /// The warnings to print: cookies rebuilt from `response.cookies`, or no cookie at all in a
    /// file with entries (a "sanitized" export drops every `Set-Cookie`, and an audit of it would
    /// pass whatever the site does).
    pub(crate) fn warnings(&self, file: &Path) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.rebuilt_from_cookies > 0 {
            warnings.push(format!(
                "{}: {} response(s) had no Set-Cookie header but listed response.cookies; their \
                 cookies were rebuilt from that list, and attributes the exporter did not record \
                 count as absent (export the HAR with cookies/sensitive data included for an exact audit)",
                file.display(),
                self.rebuilt_from_cookies
            ));
        }
        if self.responses_with_cookies == 0 && self.entries > self.skipped {
            warnings.push(format!(
                "{}: no response in {} entries sets a cookie; if the HAR was exported without \
                 sensitive data (browsers' default \"sanitized\" export drops Set-Cookie), export it \
                 again with it included",
                file.display(),
                self.entries
            ));
        }
        warnings
    }
}

/// Why a HAR file could not be read.
#[derive(Debug)]
pub(crate) enum HarError {
    /// The file could not be opened or read.
    Io { file: PathBuf, source: std::io::Error },
    /// Broken JSON, or not the HAR shape.
    Json { file: PathBuf, error: JsonError },
    /// A value that has the right JSON type but cannot be used.
    Entry {
        file: PathBuf,
        path: String,
        message: String,
    },
}

impl fmt::Display for HarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HarError::Io { file, source } => {
                write!(f, "{}: cannot read the HAR file: {source}", file.display())
            }
            HarError::Json { file, error } => write!(
                f,
                "{}: not a valid HAR file at JSON path `{}` (line {}, column {}): {}",
                file.display(),
                error.path,
                error.line,
                error.column,
                error.message
            ),
            HarError::Entry { file, path, message } => {
                write!(
                    f,
                    "{}: invalid HAR entry at JSON path `{path}`: {message}",
                    file.display()
                )
            }
        }
    }
}

/// No `source()`: the `Io` message already ends with the I/O error, and an error chain printed
/// with `{:#}` would repeat it (`…: No such file or directory (os error 2): No such file …`).
impl std::error::Error for HarError {}

/// Reads `file`, calling `on_exchange` for every http(s)/ws(s) entry in order. Shows a progress
/// bar on stderr when `progress` is set, stderr is a terminal and the file is large.
pub(crate) fn read_file(
    file: &Path,
    progress: bool,
    mut on_exchange: impl FnMut(Exchange),
) -> Result<FileSummary, HarError> {
    let io_error = |source| HarError::Io {
        file: file.to_owned(),
        source,
    };
    let handle = File::open(file).map_err(io_error)?;
    let metadata = handle.metadata().map_err(io_error)?;
    if metadata.is_dir() {
        return Err(io_error(std::io::Error::other("it is a directory")));
    }
    let len = metadata.len();
    let bar = if progress && len >= PROGRESS_MIN_BYTES && std::io::stderr().is_terminal() {
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{msg} {wide_bar} {bytes}/{total_bytes} ({eta})")
                .expect("the template is valid"),
        );
        bar.set_message(file.display().to_string());
        bar
    } else {
        ProgressBar::hidden()
    };
    let reader = BufReader::with_capacity(256 * 1024, bar.wrap_read(handle));

    let mut summary = FileSummary::default();
    let result = read_entries(reader, |index, entry| {
        summary.entries += 1;
        match exchange(index, entry)? {
            Some((exchange, rebuilt)) => {
                summary.rebuilt_from_cookies += usize::from(rebuilt);
                summary.responses_with_cookies += usize::from(!exchange.set_cookies.is_empty());
                on_exchange(exchange);
            }
            None => summary.skipped += 1,
        }
        Ok::<(), (String, String)>(())
    });
    bar.finish_and_clear();
    match result {
        Ok(()) => Ok(summary),
        Err(StreamError::Json(error)) => Err(HarError::Json {
            file: file.to_owned(),
            error,
        }),
        Err(StreamError::Io(source)) => Err(HarError::Io {
            file: file.to_owned(),
            source,
        }),
        Err(StreamError::Entry((path, message))) => Err(HarError::Entry {
            file: file.to_owned(),
            path,
            message,
        }),
    }
}

/// Turns an entry into an exchange; `None` for schemes that carry no cookies. The bool says the
/// cookies were rebuilt from `response.cookies`. Errors are (JSON path, message).
fn exchange(index: usize, entry: Entry) -> Result<Option<(Exchange, bool)>, (String, String)> {
    let at = |field: &str| format!("log.entries[{index}].{field}");
    let url = url::Url::parse(&entry.request.url).map_err(|err| {
        (
            at("request.url"),
            format!("`{}` is not an absolute URL: {err}", shorten(&entry.request.url)),
        )
    })?;
    if !matches!(url.scheme(), "https" | "wss" | "http" | "ws") {
        return Ok(None);
    }
    // The URL without user info, query or fragment, host in punycode: what rules see and what
    // reports show (a query may carry secrets).
    let mut display_url = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
    if let Some(port) = url.port() {
        display_url.push_str(&format!(":{port}"));
    }
    display_url.push_str(url.path());
    let request_url =
        RequestUrlBuf::parse(&display_url).map_err(|err| (at("request.url"), err.to_string()))?;

    let started = parse_iso_time(&entry.started_date_time).ok_or_else(|| {
        (
            at("startedDateTime"),
            format!(
                "`{}` is not an ISO 8601 date and time",
                shorten(&entry.started_date_time)
            ),
        )
    })?;
    // The rule every shell follows: a single strict Date is the time, else the entry's start
    // (the recording browser's clock), and an Expires then counts as a Max-Age against it.
    let time = ResponseTime::of_response(
        entry
            .response
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("date"))
            .map(|h| h.value.as_bytes()),
        started,
    );

    let mut set_cookies: Vec<String> = entry
        .response
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("set-cookie"))
        .flat_map(|h| h.value.split('\n'))
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .filter(|line| !line.trim().is_empty())
        .map(str::to_owned)
        .collect();
    let rebuilt = set_cookies.is_empty() && !entry.response.cookies.is_empty();
    if rebuilt {
        for (i, cookie) in entry.response.cookies.iter().enumerate() {
            set_cookies.push(
                rebuild_set_cookie(cookie)
                    .map_err(|message| (at(&format!("response.cookies[{i}].expires")), message))?,
            );
        }
    }

    Ok(Some((
        Exchange {
            entry: index,
            method: entry.request.method,
            url: request_url,
            display_url,
            request_headers: entry.request.headers,
            set_cookies,
            now: time.now,
            time,
        },
        rebuilt,
    )))
}

/// A `Set-Cookie` header rebuilt from an exporter's parsed cookie.
fn rebuild_set_cookie(cookie: &Cookie) -> Result<String, String> {
    let mut header = format!("{}={}", cookie.name, cookie.value);
    if let Some(path) = cookie.path.as_deref().filter(|p| !p.is_empty()) {
        header.push_str("; Path=");
        header.push_str(path);
    }
    if let Some(domain) = cookie.domain.as_deref().filter(|d| !d.is_empty()) {
        header.push_str("; Domain=");
        header.push_str(domain);
    }
    if let Some(expires) = cookie.expires.as_deref().filter(|e| !e.is_empty()) {
        let seconds = parse_iso_time(expires)
            .ok_or_else(|| format!("`{}` is not an ISO 8601 date and time", shorten(expires)))?;
        let timestamp = jiff::Timestamp::from_second(seconds)
            .map_err(|_| format!("`{}` is out of range", shorten(expires)))?;
        header.push_str("; Expires=");
        header.push_str(&timestamp.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string());
    }
    if cookie.secure == Some(true) {
        header.push_str("; Secure");
    }
    if cookie.http_only == Some(true) {
        header.push_str("; HttpOnly");
    }
    if let Some(same_site) = cookie.same_site.as_deref().filter(|s| !s.is_empty()) {
        header.push_str("; SameSite=");
        header.push_str(same_site);
    }
    Ok(header)
}

/// Unix seconds of an ISO 8601 / RFC 3339 date and time; one without an offset is read as UTC.
fn parse_iso_time(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(timestamp) = text.parse::<jiff::Timestamp>() {
        return Some(timestamp.as_second());
    }
    let civil = text.parse::<jiff::civil::DateTime>().ok()?;
    civil
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|zoned| zoned.timestamp().as_second())
}

/// The start of a long text, for error messages.
fn shorten(text: &str) -> String {
    const MAX: usize = 80;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_times_with_and_without_offsets() {
        assert_eq!(parse_iso_time("2026-01-01T00:00:00.000Z"), Some(1_767_225_600));
        assert_eq!(parse_iso_time("2026-01-01T01:00:00+01:00"), Some(1_767_225_600));
        assert_eq!(parse_iso_time("2026-01-01T00:00:00"), Some(1_767_225_600));
        assert_eq!(parse_iso_time("yesterday"), None);
    }

    #[test]
    fn rebuilt_headers_carry_the_recorded_attributes() {
        let cookie = Cookie {
            name: "sid".into(),
            value: "v".into(),
            path: Some("/".into()),
            domain: None,
            expires: Some("2026-01-01T00:00:00.000Z".into()),
            http_only: Some(true),
            secure: Some(true),
            same_site: Some("Lax".into()),
        };
        assert_eq!(
            rebuild_set_cookie(&cookie).unwrap(),
            "sid=v; Path=/; Expires=Thu, 01 Jan 2026 00:00:00 GMT; Secure; HttpOnly; SameSite=Lax"
        );
    }
}
