//! `cookie-warden report [FILE…] [--format html|json]`: what the proxy's violation events say,
//! for security reviewers.
//!
//! Reads the JSON lines of `cookie-warden proxy --log-format json` (the `cookie policy violation`
//! events; see [`event`] for the fields read) from files or standard input (none, or `-`), plain
//! or gzip (detected by magic bytes), streaming them in bounded memory ([`tally`]), with a
//! progress bar on a terminal. Writes on stdout one self-contained HTML page ([`html`], built with
//! [`crate::page`]) or, with `--format json`, one JSON document:
//!
//! ```text
//! { "schema_version": 1,
//!   "inputs": [string],                    // file names, "(stdin)"
//!   "lines": integer,                      // every line read
//!   "skipped": { "not_json", "not_violation" },
//!   "range": { "first": rfc3339 | null, "last": rfc3339 | null, "without_timestamp": integer },
//!   "events": integer,                     // violation events read
//!   "violations": integer,                 // cookies they cover (an event's `cookie.count`, else 1)
//!   "by_action": { "fixed", "stripped", "blocked", "reported" },
//!   "policy_digests": [{ "digest", "count" }],   // from `policy.digest` (violations, start and reload lines), most first
//!   "policy_digest_not_recorded": integer,       // violations whose event carried no digest
//!   "timeline": { "bucket": "hour" | "day" | "week" | null,
//!                 "buckets": [{ "start": rfc3339, "by_action": {…} }] },
//!   "cookies": [{                          // most violations first, then by name
//!     "name": string,                      // `cookie.name`; an aggregated request-side event
//!                                          // naming several cookies: its `cookie.names` list
//!     "rule": string | null, "category": string | null,
//!     "scopes": [string], "kinds": [{ "kind", "count" }], "sides": [string],
//!     "count": integer, "by_action": {…},
//!     "first_seen": rfc3339 | null, "last_seen": rfc3339 | null,
//!     "examples": [string],                // up to 3 `host/path`, never a query
//!     "timeline": [{…by_action}] }],       // per bucket of "timeline"
//!   "scopes": [{ "key", "count", "by_action" }],   // "(no scope)" outside every scope
//!   "kinds":  [{ "key", "count", "by_action" }],   // an event with several kinds counts under each
//!   "sides":  [{ "key", "count", "by_action" }] }  // "response" | "request"
//! ```
//!
//! Fields are only ever added; a breaking change raises `schema_version`. Tables past their cap
//! (5,000 cookies, 500 scopes, kinds or digests) count the rest under `(other)`.
//!
//! A line that is not JSON, or JSON but not a violation event, is skipped and counted (on the
//! page and on stderr). An unreadable file, or a gzip stream that is truncated or corrupt, is an
//! error naming the file (exit 2); otherwise exit 0. Cookie values are in no event, and so in no
//! report.

mod event;
mod html;
mod input;
mod json;
mod tally;
mod timeline;

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, Result};

use crate::cli::{ReportArgs, ReportFormat};
use crate::exit::Exit;
use input::Line;
use tally::Tally;

/// Runs `report`.
pub(crate) fn run(args: &ReportArgs) -> Result<Exit> {
    let stdin = [PathBuf::from("-")];
    let files = if args.files.is_empty() {
        &stdin[..]
    } else {
        &args.files[..]
    };
    let mut tally = Tally::default();
    let mut inputs = Vec::with_capacity(files.len());
    for file in files {
        let source = input::open(file).with_context(|| format!("cannot read {}", file.display()))?;
        let name = source.name.clone();
        source
            .for_each_line(|line| match line {
                Line::Text(bytes) => tally.line(bytes),
                Line::TooLong => tally.too_long(),
            })
            .with_context(|| format!("cannot read {name} (a truncated or corrupt gzip file?)"))?;
        inputs.push(name);
    }
    if tally.not_json + tally.not_violation > 0 {
        eprintln!(
            "cookie-warden: skipped {} line(s) that were not JSON and {} that were not cookie policy violation events",
            tally.not_json, tally.not_violation
        );
    }
    let report = json::Report::new(&tally, inputs);
    let mut out = std::io::stdout().lock();
    match args.format {
        ReportFormat::Html => out.write_all(html::render(&report).as_bytes())?,
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(Exit::Done)
}
