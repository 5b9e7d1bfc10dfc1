//! `cookie-warden parse`: Set-Cookie values on stdin, one a line → one JSON object a line saying
//! how a browser (draft-ietf-httpbis-rfc6265bis-22) reads each, and (`proven`) whether the line
//! lies inside the proven subset that Chromium, Firefox and the draft read alike, for a response
//! without `Date` received now (the system clock decides whether an Expires is a deletion). An
//! allowed header outside the subset leaves cookie-warden in canonical form.
//!
//! This command prints cookie names and values: it is a local debugging tool that reads the
//! user's own input and writes it back to the user's own terminal. Nothing here logs or traces.

use std::io::{self, BufRead, BufWriter, Write};

use anyhow::{Context, Result};
use cookie_warden_core::http_date::ResponseTime;
use cookie_warden_core::request::RequestUrl;
use cookie_warden_core::set_cookie::{Iso8601, SetCookie, default_path, parse};
use serde::Serialize;

use super::hex::text_or_hex;
use super::stdin_lines::for_each_line;
use crate::cli::{InputFormat, ParseArgs};
use crate::exit::Exit;

/// One output line. Field names and conventions are those of DESIGN.md and `corpus/README.md`.
#[derive(Debug, Serialize)]
struct ParsedLine {
    /// The line as given (text, or the hex digits); `null` for a text line that is not UTF-8.
    input: Option<String>,
    /// The hex of a text line that is not UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    input_hex: Option<String>,
    ignored: bool,
    reason: Option<&'static str>,
    /// Inside the proven subset: it may leave byte for byte.
    proven: bool,
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name_hex: Option<String>,
    value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_hex: Option<String>,
    max_age: Option<i64>,
    expires: Option<String>,
    secure: Option<bool>,
    http_only: Option<bool>,
    same_site: Option<&'static str>,
    path: Option<String>,
    domain: Option<String>,
    partitioned: Option<bool>,
}

/// Runs the command over stdin.
pub(crate) fn run(args: &ParseArgs) -> Result<Exit> {
    let url = args.url.as_url();
    let now = ResponseTime::from(system_now()?);
    let stdin = io::stdin().lock();
    let mut out = BufWriter::new(io::stdout().lock());
    match run_lines(stdin, &mut out, args.input, &url, now) {
        Err(err) if is_broken_pipe(&err) => Ok(Exit::Done),
        other => other,
    }
}

/// The system clock in unix seconds.
pub(super) fn system_now() -> Result<i64> {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("the system clock is before 1970")?;
    i64::try_from(since.as_secs()).context("the system clock is out of range")
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

fn run_lines(
    input: impl BufRead,
    out: &mut impl Write,
    format: InputFormat,
    url: &RequestUrl<'_>,
    now: ResponseTime,
) -> Result<Exit> {
    for_each_line(input, out, format, |input, input_hex, header| {
        let cookie = parse(header, url);
        describe(input, input_hex, &cookie, url, now)
    })
}

/// The JSON record of one parsed header (all cookie fields `null` when the browser drops it).
fn describe(
    input: Option<String>,
    input_hex: Option<String>,
    cookie: &SetCookie<'_>,
    url: &RequestUrl<'_>,
    now: ResponseTime,
) -> ParsedLine {
    let mut record = ParsedLine {
        input,
        input_hex,
        ignored: cookie.rejection.is_some(),
        reason: cookie.rejection.map(|r| r.as_str()),
        proven: cookie.proven(now),
        name: None,
        name_hex: None,
        value: None,
        value_hex: None,
        max_age: None,
        expires: None,
        secure: None,
        http_only: None,
        same_site: None,
        path: None,
        domain: None,
        partitioned: None,
    };
    if cookie.rejection.is_some() {
        return record;
    }
    (record.name, record.name_hex) = text_or_hex(cookie.name);
    (record.value, record.value_hex) = text_or_hex(cookie.value);
    record.max_age = cookie.max_age;
    record.expires = cookie.expires.map(|at| Iso8601(at).to_string());
    record.secure = Some(cookie.secure);
    record.http_only = Some(cookie.http_only);
    record.same_site = Some(cookie.same_site.as_str());
    record.path = match cookie.path {
        Some(path) => Some(String::from_utf8_lossy(path).into_owned()),
        None if cookie.path_attribute_defaulted() => Some(default_path(url.path).to_owned()),
        None => None,
    };
    record.domain = cookie.domain.as_deref().map(str::to_owned);
    record.partitioned = Some(cookie.partitioned);
    record
}
