//! `cookie-warden audit --config F FILE.har… [--format table|json|html]`: every `Set-Cookie` of
//! every response in the HAR files, judged against the policy in its request's scope.
//!
//! The report groups the headers by cookie (the name as a browser reads it, and the rule that
//! matched it): how often each was seen, what each verdict would have been, which violations and
//! where (up to three example URLs, without query or fragment: a query may carry secrets). The
//! table is coloured on a terminal only (`anstream` strips the colour elsewhere and honours
//! `NO_COLOR`); a large file shows a progress bar on a terminal.
//!
//! `--format html` writes one self-contained page (the same page machinery as `report`:
//! [`crate::page`]): the verdict counts, and one table row per cookie with its worst verdict,
//! rule, scopes, counts, violations (each with what it means) and example URLs.
//!
//! `--format json` prints one document (fields are only ever added; a breaking change raises
//! `schema_version`):
//!
//! ```text
//! { "schema_version": 1,
//!   "files": [path], "warnings": [string],
//!   "summary": { "entries", "responses", "set_cookie_headers",
//!                "verdicts": { "allow", "fix", "strip", "block" } },
//!   "cookies": [{                       // worst verdict first, then by name
//!     "name": string,                   // as a browser reads it; "(nameless)" when empty
//!     "rule": string | null,            // the matching rule as written; null: no rule
//!     "worst": "allow" | "fix" | "strip" | "block",
//!     "scopes": [string],               // the requests' scopes; "(no scope)" outside every scope
//!     "count": integer,
//!     "verdicts": { "allow", "fix", "strip", "block" },
//!     "violations": [{ "kind", "count", "detail" }],  // detail: the first one seen (never a value)
//!     "examples": [url] }] }            // up to 3, violating ones first, without query
//! ```
//!
//! Exit 1 when any header would be fixed, stripped or blocked (whatever the policy's `mode`: the
//! audit answers "what would enforcement do"), 0 when every header would pass, 2 on a bad policy
//! or a bad HAR file. Cookie values are never printed.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;

use anstyle::{AnsiColor, Style};
use anyhow::Result;
use cookie_warden_core::action::Action;
use cookie_warden_core::cookie_header;
use cookie_warden_core::decision::{Decision, Verdict};
use cookie_warden_core::policy::CompiledPolicy;
use cookie_warden_core::request::{ConsentCookie, RequestContext};
use maud::html;
use serde::Serialize;

use crate::cli::{AuditArgs, AuditFormat};
use crate::exit::Exit;
use crate::har::{self, Exchange};
use crate::page::{self, kinds};

/// How many example URLs each cookie keeps.
const EXAMPLES: usize = 3;

/// Runs `audit`.
pub(crate) fn run(args: &AuditArgs) -> Result<Exit> {
    let loaded = crate::policy_file::load(&args.config)?;
    for warning in &loaded.warnings {
        eprintln!("cookie-warden: warning: {warning}");
    }
    let policy = loaded.policy;
    let mut report = Report::default();
    for file in &args.files {
        let summary = har::read_file(file, true, |exchange| report.judge(&policy, &exchange))?;
        for warning in summary.warnings(file) {
            eprintln!("cookie-warden: warning: {warning}");
            report.warnings.push(warning);
        }
        report.entries += summary.entries;
        report.files.push(file.display().to_string());
    }
    let mut out = anstream::stdout().lock();
    match args.format {
        AuditFormat::Table => report.write_table(&mut out)?,
        AuditFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &report.to_json())?;
            writeln!(out)?;
        }
        AuditFormat::Html => out.write_all(report.to_html().as_bytes())?,
    }
    out.flush()?;
    Ok(if report.verdicts[1..].iter().any(|n| *n > 0) {
        Exit::Violations
    } else {
        Exit::Done
    })
}

/// What the audit found.
#[derive(Debug, Default)]
struct Report {
    files: Vec<String>,
    warnings: Vec<String>,
    entries: usize,
    responses: usize,
    headers: usize,
    /// Counts of allow, fix, strip, block.
    verdicts: [usize; 4],
    cookies: BTreeMap<(String, Option<String>), CookieReport>,
}

/// One cookie (name and matching rule).
#[derive(Debug, Default)]
struct CookieReport {
    count: usize,
    verdicts: [usize; 4],
    scopes: BTreeSet<String>,
    /// Kind → (count, the first detail).
    violations: BTreeMap<&'static str, (usize, String)>,
    /// Example URLs: those with a violation first.
    examples: Vec<String>,
    clean_examples: Vec<String>,
}

impl CookieReport {
    fn worst(&self) -> Verdict {
        [Verdict::Block, Verdict::Strip, Verdict::Fix]
            .into_iter()
            .find(|v| self.verdicts[*v as usize] > 0)
            .unwrap_or(Verdict::Allow)
    }

    fn examples(&self) -> impl Iterator<Item = &String> {
        self.examples.iter().chain(&self.clean_examples).take(EXAMPLES)
    }
}

impl Report {
    fn judge(&mut self, policy: &CompiledPolicy, exchange: &Exchange) {
        if exchange.set_cookies.is_empty() {
            return;
        }
        self.responses += 1;
        let consent_cookie = policy.consent().and_then(|consent| {
            exchange
                .request_headers("cookie")
                .find_map(|header| cookie_header::find(header.as_bytes(), consent.cookie.as_bytes()))
        });
        let request = RequestContext {
            url: exchange.request_url(),
            method: &exchange.method,
            gpc: exchange.gpc(),
            consent_cookie: consent_cookie.map(ConsentCookie),
        };
        let judge = policy.judge(&request);
        for line in &exchange.set_cookies {
            self.headers += 1;
            let decision = judge.decide(line.as_bytes(), exchange.time);
            self.record(&decision, &exchange.display_url);
        }
    }

    fn record(&mut self, decision: &Decision<'_, '_>, url: &str) {
        let verdict = decision.verdict as usize;
        self.verdicts[verdict] += 1;
        let key = (display_name(decision.name), decision.rule.map(str::to_owned));
        let cookie = self.cookies.entry(key).or_default();
        cookie.count += 1;
        cookie.verdicts[verdict] += 1;
        cookie
            .scopes
            .insert(decision.scope.unwrap_or("(no scope)").to_owned());
        for violation in &decision.violations {
            cookie
                .violations
                .entry(violation.kind.as_str())
                .or_insert_with(|| (0, violation.detail.to_string()))
                .0 += 1;
        }
        let list = if decision.verdict == Verdict::Allow {
            &mut cookie.clean_examples
        } else {
            &mut cookie.examples
        };
        if list.len() < EXAMPLES && !list.iter().any(|u| u == url) {
            list.push(url.to_owned());
        }
    }

    /// Cookies worst first, then by name.
    fn sorted(&self) -> Vec<(&(String, Option<String>), &CookieReport)> {
        let mut cookies: Vec<_> = self.cookies.iter().collect();
        cookies.sort_by(|a, b| b.1.worst().cmp(&a.1.worst()).then_with(|| a.0.cmp(b.0)));
        cookies
    }

    fn write_table(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let rows: Vec<[String; 9]> = self
            .sorted()
            .into_iter()
            .map(|((name, rule), cookie)| {
                [
                    cookie.worst().as_str().to_owned(),
                    name.clone(),
                    rule.clone().unwrap_or_else(|| "-".to_owned()),
                    cookie.scopes.iter().cloned().collect::<Vec<_>>().join(","),
                    cookie.count.to_string(),
                    cookie.verdicts[1].to_string(),
                    cookie.verdicts[2].to_string(),
                    cookie.verdicts[3].to_string(),
                    cookie
                        .violations
                        .iter()
                        .map(|(kind, (n, _))| format!("{kind}×{n}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                ]
            })
            .collect();
        let header = [
            "VERDICT",
            "COOKIE",
            "RULE",
            "SCOPE",
            "SEEN",
            "FIX",
            "STRIP",
            "BLOCK",
            "VIOLATIONS",
        ];
        let mut widths = header.map(|h| h.chars().count());
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let bold = Style::new().bold();
        write_row(out, &header.map(str::to_owned), &widths, bold)?;
        for (row, (_, cookie)) in rows.iter().zip(self.sorted()) {
            let style = match cookie.worst() {
                Verdict::Allow => Style::new().fg_color(Some(AnsiColor::Green.into())),
                Verdict::Fix => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
                Verdict::Strip | Verdict::Block => Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
            };
            write_row(out, row, &widths, style)?;
            let examples: Vec<&str> = cookie.examples().map(String::as_str).collect();
            writeln!(out, "    e.g. {}", examples.join("  "))?;
        }
        let [allow, fix, strip, block] = self.verdicts;
        writeln!(
            out,
            "\n{} file(s), {} entries, {} responses setting cookies, {} Set-Cookie headers: \
             {allow} allow, {fix} fix, {strip} strip, {block} block.",
            self.files.len(),
            self.entries,
            self.responses,
            self.headers
        )?;
        Ok(())
    }

    fn to_json(&self) -> JsonReport<'_> {
        let [allow, fix, strip, block] = self.verdicts;
        JsonReport {
            schema_version: 1,
            files: &self.files,
            warnings: &self.warnings,
            summary: JsonSummary {
                entries: self.entries,
                responses: self.responses,
                set_cookie_headers: self.headers,
                verdicts: JsonVerdicts {
                    allow,
                    fix,
                    strip,
                    block,
                },
            },
            cookies: self
                .sorted()
                .into_iter()
                .map(|((name, rule), cookie)| {
                    let [allow, fix, strip, block] = cookie.verdicts;
                    JsonCookie {
                        name,
                        rule: rule.as_deref(),
                        worst: cookie.worst().as_str(),
                        scopes: cookie.scopes.iter().map(String::as_str).collect(),
                        count: cookie.count,
                        verdicts: JsonVerdicts {
                            allow,
                            fix,
                            strip,
                            block,
                        },
                        violations: cookie
                            .violations
                            .iter()
                            .map(|(kind, (count, detail))| JsonViolation {
                                kind,
                                count: *count,
                                detail,
                            })
                            .collect(),
                        examples: cookie.examples().map(String::as_str).collect(),
                    }
                })
                .collect(),
        }
    }
}

impl Report {
    /// The audit as one self-contained HTML page.
    fn to_html(&self) -> String {
        let [allow, fix, strip, block] = self.verdicts;
        let verdicts = ["allow", "fix", "strip", "block"];
        let body = html! {
            h1 { "Cookie audit of recorded traffic" }
            p { "HAR file(s): " (self.files.join(", ")) ". Each Set-Cookie header is judged as the proxy would judge it in its request's scope; cookie values are never shown and example URLs lose their query." }
            @for warning in &self.warnings { p.note { "Warning: " (warning) } }
            section aria-labelledby="headline" {
                h2 #headline { "Headline" }
                (page::cards([
                    ("Entries", page::number(self.entries as u64)),
                    ("Responses setting cookies", page::number(self.responses as u64)),
                    ("Set-Cookie headers", page::number(self.headers as u64)),
                    ("Allow", page::number(allow as u64)),
                    ("Fix", page::number(fix as u64)),
                    ("Strip", page::number(strip as u64)),
                    ("Block", page::number(block as u64)),
                ]))
            }
            section aria-labelledby="cookies" {
                h2 #cookies { "Cookies" }
                div.scroll { table {
                    caption { "Cookies, worst verdict first" }
                    thead { tr {
                        th scope="col" { "Cookie" } th scope="col" { "Worst verdict" } th scope="col" { "Rule" }
                        th scope="col" { "Scopes" } th.n scope="col" { "Seen" }
                        @for v in verdicts { th.n scope="col" { (v) } }
                        th scope="col" { "Violations" } th scope="col" { "Examples" }
                    } }
                    tbody { @for ((name, rule), cookie) in self.sorted() {
                        tr {
                            th scope="row" { span.name { (name) } }
                            td { span class=(verdict_class(cookie.worst())) { (cookie.worst().as_str()) } }
                            td { @match rule { Some(rule) => code { (rule) }, None => "no rule" } }
                            td { (cookie.scopes.iter().map(String::as_str).collect::<Vec<_>>().join(", ")) }
                            td.n { (page::number(cookie.count as u64)) }
                            @for n in cookie.verdicts { td.n { (page::number(n as u64)) } }
                            td { ul.plain { @for (kind, (n, detail)) in &cookie.violations {
                                li { code { (kind) } " ×" (page::number(*n as u64)) ": " (detail)
                                    @if let Some(meaning) = kinds::meaning(kind) { " — " (meaning) } }
                            } } }
                            td { ul.plain { @for url in cookie.examples() { li { code { (url) } } } } }
                        }
                    } }
                } }
            }
        };
        page::document("Cookie audit — cookie-warden", &body)
    }
}

/// The page's colour class of a verdict: `allow`, else the action enforcing it takes (the
/// classes the report page colours its actions with).
fn verdict_class(verdict: Verdict) -> &'static str {
    verdict.action().map_or("allow", Action::as_str)
}

/// Pads each cell to its column's width; the first cell carries `style`.
fn write_row(
    out: &mut impl std::io::Write,
    row: &[String; 9],
    widths: &[usize; 9],
    style: Style,
) -> std::io::Result<()> {
    let mut line = String::new();
    for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
        let padding = " ".repeat(width - cell.chars().count());
        if i == 0 {
            line.push_str(&format!("{style}{cell}{style:#}{padding}"));
        } else if i == row.len() - 1 {
            line.push_str(cell);
        } else {
            line.push_str(cell);
            line.push_str(&padding);
        }
        if i + 1 < row.len() {
            line.push_str("  ");
        }
    }
    writeln!(out, "{}", line.trim_end())
}

/// A cookie name for a terminal or JSON: lossy UTF-8, control characters escaped (a name must not
/// move the cursor or change colours), `(nameless)` for an empty name.
fn display_name(name: &[u8]) -> String {
    if name.is_empty() {
        return "(nameless)".to_owned();
    }
    String::from_utf8_lossy(name)
        .chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_unicode().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

#[derive(Serialize)]
struct JsonReport<'a> {
    schema_version: u32,
    files: &'a [String],
    warnings: &'a [String],
    summary: JsonSummary,
    cookies: Vec<JsonCookie<'a>>,
}

#[derive(Serialize)]
struct JsonSummary {
    entries: usize,
    responses: usize,
    set_cookie_headers: usize,
    verdicts: JsonVerdicts,
}

#[derive(Serialize)]
struct JsonVerdicts {
    allow: usize,
    fix: usize,
    strip: usize,
    block: usize,
}

#[derive(Serialize)]
struct JsonCookie<'a> {
    name: &'a str,
    rule: Option<&'a str>,
    worst: &'static str,
    scopes: Vec<&'a str>,
    count: usize,
    verdicts: JsonVerdicts,
    violations: Vec<JsonViolation<'a>>,
    examples: Vec<&'a str>,
}

#[derive(Serialize)]
struct JsonViolation<'a> {
    kind: &'a str,
    count: usize,
    detail: &'a str,
}

#[cfg(test)]
mod tests {
    use super::display_name;

    #[test]
    fn names_cannot_drive_the_terminal() {
        assert_eq!(display_name(b"sid"), "sid");
        assert_eq!(display_name(b""), "(nameless)");
        assert_eq!(display_name(b"a\x1b[31mb"), "a\\u{1b}[31mb");
    }
}
