//! `cookie-warden eval`: Set-Cookie values on stdin, one a line → one JSON decision a line, as the
//! proxy and the layer would decide them for a request to `--url`.
//!
//! Each line: `{"input", "proven", "name", "rule", "scope", "verdict", "output", "violations":
//! [{"kind", "detail"}]}`. `proven` says whether the input lies inside the proven subset (see
//! `cookie_warden_core::set_cookie::subset`) for this response's `Date`: only then may an allowed
//! header leave byte for byte. `output` is the header that leaves (the input for an `allow` inside
//! the subset, its canonical form for an `allow` outside it, the canonical rewrite for `fix`, `null`
//! for `strip` and `block`; in report-only mode the input leaves unchanged); `name` is the cookie
//! name as a browser reads it. Bytes that are not UTF-8 follow `parse`'s convention: the field is
//! `null` and `<field>_hex` holds the bytes in hex.
//!
//! `--header 'Name: value'` supplies the request's `Cookie` (the consent cookie is read from it;
//! several are joined), `Sec-GPC`, `Host` (replaces the URL's host) and the response's `Date`
//! headers. The time follows the one rule of `ResponseTime::of_response`, as in the layer and the
//! proxy: one strict IMF-fixdate `Date` is the `now` that Expires is measured against; without a
//! `Date`, or with any other (`… UTC`, RFC 850, several), the system clock, and an Expires then
//! leaves as a Max-Age.
//!
//! This command prints cookie values (`input`, `output`): it is a local tool that echoes the
//! user's own input to the user's own terminal. Nothing here logs or traces.

use std::io::{self, BufRead, BufWriter, Write};

use anyhow::{Context, Result, bail};
use cookie_warden_core::cookie_header;
use cookie_warden_core::decide::Judge;
use cookie_warden_core::http_date::ResponseTime;
use cookie_warden_core::request::{ConsentCookie, RequestContext, RequestUrlBuf};
use cookie_warden_core::set_cookie::parse;
use serde::Serialize;

use super::hex::text_or_hex;
use super::parse::system_now;
use super::stdin_lines::for_each_line;
use crate::cli::{EvalArgs, InputFormat, RequestHeader};
use crate::exit::Exit;
use crate::policy_file;

/// One output line: exactly the fields of DESIGN.md, plus `*_hex` only for bytes that are not UTF-8.
#[derive(Debug, Serialize)]
struct DecisionLine<'a> {
    input: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    input_hex: Option<String>,
    /// The input lies inside the proven subset: an allowed one leaves byte for byte.
    proven: bool,
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name_hex: Option<String>,
    rule: Option<&'a str>,
    scope: Option<&'a str>,
    verdict: &'static str,
    output: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output_hex: Option<String>,
    violations: Vec<ViolationLine>,
}

#[derive(Debug, Serialize)]
struct ViolationLine {
    kind: &'static str,
    detail: String,
}

/// The request and response headers given with `--header`, checked.
#[derive(Debug, Default)]
struct GivenHeaders {
    cookie: Option<Vec<u8>>,
    gpc: bool,
    /// Every `Date` value given, in order.
    dates: Vec<String>,
    host: Option<String>,
}

impl GivenHeaders {
    fn from_args(headers: &[RequestHeader]) -> Result<Self> {
        let mut given = GivenHeaders::default();
        for header in headers {
            let (name, value) = (header.name.as_str(), header.value.as_str());
            if name.eq_ignore_ascii_case("cookie") {
                let joined = given.cookie.get_or_insert_with(Vec::new);
                cookie_header::join(cookie_header::pairs(value.as_bytes()), joined);
            } else if name.eq_ignore_ascii_case("sec-gpc") {
                given.gpc = value == "1";
            } else if name.eq_ignore_ascii_case("date") {
                // Any value: a Date browsers read leniently is what class 3 of issue 14 is about,
                // and the proxy takes it the same way.
                given.dates.push(value.to_owned());
            } else if name.eq_ignore_ascii_case("host") {
                given.host = Some(value.to_owned());
            } else {
                bail!("--header {name}: eval reads only Cookie, Sec-GPC, Host and Date");
            }
        }
        Ok(given)
    }
}

/// Runs `eval` over stdin.
pub(crate) fn run(args: &EvalArgs) -> Result<Exit> {
    let given = GivenHeaders::from_args(&args.headers)?;
    let url = match &given.host {
        Some(host) => {
            let base = args.url.as_url();
            let scheme = if base.secure { "https" } else { "http" };
            RequestUrlBuf::parse(&format!("{scheme}://{host}{}", base.path))
                .with_context(|| format!("--header Host: {host:?} is not a valid host"))?
        }
        None => args.url.clone(),
    };
    let loaded = policy_file::load(&args.config)?;
    let policy = &loaded.policy;
    let consent_cookie = match (policy.consent(), &given.cookie) {
        (Some(consent), Some(cookie)) => cookie_header::find(cookie, consent.cookie.as_bytes()),
        _ => None,
    };
    let request = RequestContext {
        url: url.as_url(),
        method: "GET",
        gpc: given.gpc,
        consent_cookie: consent_cookie.map(ConsentCookie),
    };
    let judge = policy.judge(&request);
    let time = ResponseTime::of_response(given.dates.iter().map(|d| d.as_bytes()), system_now()?);
    let stdin = io::stdin().lock();
    let mut out = BufWriter::new(io::stdout().lock());
    match run_lines(stdin, &mut out, args.input, &judge, time) {
        Err(err) if is_broken_pipe(&err) => Ok(Exit::Done),
        other => other,
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

fn run_lines(
    input: impl BufRead,
    out: &mut impl Write,
    format: InputFormat,
    judge: &Judge<'_, '_>,
    time: ResponseTime,
) -> Result<Exit> {
    for_each_line(input, out, format, |input, input_hex, header| {
        describe(input, input_hex, header, judge, time)
    })
}

/// The decision on one header as a JSON record.
fn describe<'p>(
    input: Option<String>,
    input_hex: Option<String>,
    header: &[u8],
    judge: &Judge<'p, '_>,
    time: ResponseTime,
) -> DecisionLine<'p> {
    let decision = judge.decide(header, time);
    let leaving = decision.leaving(header);
    let proven = parse(header, judge.url()).proven(time);
    let (name, name_hex) = text_or_hex(decision.name);
    let (output, output_hex) = leaving.map_or((None, None), text_or_hex);
    DecisionLine {
        input,
        input_hex,
        proven,
        name,
        name_hex,
        rule: decision.rule,
        scope: decision.scope,
        verdict: decision.verdict.as_str(),
        output,
        output_hex,
        violations: decision
            .violations
            .iter()
            .map(|v| ViolationLine {
                kind: v.kind.as_str(),
                detail: v.detail.to_string(),
            })
            .collect(),
    }
}
