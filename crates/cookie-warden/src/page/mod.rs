//! Self-contained HTML pages for security reviewers: `report` and `audit --format html`.
//!
//! A page is one file: its stylesheet is inline, its charts are inline SVG, it runs no script and
//! loads nothing from elsewhere (a `Content-Security-Policy` meta element says so to the browser:
//! `default-src 'none'`), it reads on a phone (a viewport, wide tables scroll inside their own box)
//! and its tables are real tables with a caption and header cells.
//!
//! Templates are [`maud`]: the markup is checked at compile time, and every value spliced into it
//! is HTML-escaped unless it is explicitly `PreEscaped`, so a hostile cookie name, rule or path
//! (`<script>`, quotes, `&`) can only ever appear as text. maud over askama: the pages are built
//! from Rust data in Rust code (loops over tallies, numbers formatted here), with no template
//! files to keep in step and no runtime template engine; both escape by default.

pub(crate) mod chart;
pub(crate) mod kinds;

use maud::{DOCTYPE, Markup, PreEscaped, html};

/// The page's stylesheet. System fonts only; colours meet WCAG AA contrast on white; the action
/// colours are shared with the charts (`.fixed`, `.stripped`, …).
const STYLE: &str = r#"
:root { color-scheme: light; --fixed: #b35c00; --stripped: #c0262d; --blocked: #5b2a86; --reported: #1f5fa8; --allow: #2d7a3a; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", sans-serif; margin: 0 auto; padding: 1rem; max-width: 72rem; color: #1a1a1a; background: #fff; }
h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .5rem; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.05rem; margin: 1.25rem 0 .25rem; overflow-wrap: anywhere; }
p.note { color: #444; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: .5rem; margin: 0; padding: 0; }
.cards div { border: 1px solid #ccc; border-radius: .4rem; padding: .5rem .75rem; }
.cards dt { font-size: .85rem; color: #444; }
.cards dd { margin: 0; font-size: 1.4rem; font-weight: 600; overflow-wrap: anywhere; }
.cards dd.text { font-size: 1rem; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; margin: .25rem 0 1rem; font-size: .9rem; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { border: 1px solid #ccc; padding: .3rem .45rem; text-align: left; vertical-align: top; overflow-wrap: anywhere; min-width: 4.5rem; }
tbody th { max-width: 16rem; }
thead th { background: #f1f1f1; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td code, td .name { overflow-wrap: anywhere; }
code { font-family: ui-monospace, "Liberation Mono", monospace; font-size: .9em; }
ul.plain { margin: 0; padding-left: 1rem; }
.fixed { fill: var(--fixed); color: var(--fixed); }
.stripped { fill: var(--stripped); color: var(--stripped); }
.blocked { fill: var(--blocked); color: var(--blocked); }
.reported { fill: var(--reported); color: var(--reported); }
.allow { fill: var(--allow); color: var(--allow); }
.legend { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; padding: 0; margin: .25rem 0; font-size: .9rem; }
.legend span.swatch { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: -.05rem; background: currentColor; }
.legend li { color: #1a1a1a; }
figure { margin: .5rem 0 1rem; }
figcaption { font-size: .9rem; color: #444; }
svg.chart { width: 100%; height: auto; display: block; }
svg.chart.small { max-width: 30rem; }
svg.chart text { font: 11px system-ui, -apple-system, "Liberation Sans", sans-serif; fill: #333; }
svg.chart line.axis { stroke: #888; stroke-width: 1; }
svg.chart line.grid { stroke: #e3e3e3; stroke-width: 1; }
details { margin: .25rem 0 1rem; }
section.cookie { border-top: 1px solid #e3e3e3; }
footer { margin-top: 2rem; font-size: .85rem; color: #555; }
"#;

/// A whole page: `<!DOCTYPE html>`, the head (charset, viewport, CSP, title, style) and `body`.
pub(crate) fn document(title: &str, body: &Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'";
                meta name="generator" content=(concat!("cookie-warden ", env!("CARGO_PKG_VERSION")));
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                main { (body) }
                footer {
                    "Written by cookie-warden " (env!("CARGO_PKG_VERSION"))
                    ". This page holds no cookie value: the logs and HAR audits it comes from never carry one."
                }
            }
        }
    }
    .into_string()
}

/// The headline figures: a definition list shown as cards (numbers large, text smaller).
pub(crate) fn cards<'a>(items: impl IntoIterator<Item = (&'a str, String)>) -> Markup {
    html! {
        dl.cards {
            @for (label, value) in items {
                @let numeric = value.bytes().all(|b| b.is_ascii_digit() || b == b',');
                div { dt { (label) } dd class=[(!numeric).then_some("text")] { (value) } }
            }
        }
    }
}

/// A legend for coloured series: each entry's class sets its colour.
pub(crate) fn legend<'a>(entries: impl IntoIterator<Item = &'a str>) -> Markup {
    html! {
        ul.legend {
            @for class in entries {
                li { span class=(format!("swatch {class}")) aria-hidden="true" {} (class) }
            }
        }
    }
}

/// `1234567` → `1,234,567`.
pub(crate) fn number(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_group_thousands() {
        assert_eq!(number(0), "0");
        assert_eq!(number(999), "999");
        assert_eq!(number(1_000), "1,000");
        assert_eq!(number(1_234_567), "1,234,567");
    }

    #[test]
    fn every_value_is_escaped() {
        let page = document(
            "<script>alert(1)</script>",
            &cards([("a&b", "\"><img src=x onerror=alert(1)>".to_owned())]),
        );
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{page}");
        assert!(page.contains("a&amp;b"), "{page}");
        assert!(page.contains("&quot;&gt;&lt;img"), "{page}");
    }
}
