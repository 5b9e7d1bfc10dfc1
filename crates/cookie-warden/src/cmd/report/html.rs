//! `report --format html`: the report as one self-contained page (see [`crate::page`]).

use cookie_warden_core::action::Action;
use maud::{Markup, html};

use super::json::{Actions, Keyed, Report};
use crate::page::chart::{self, Bar, Size};
use crate::page::{self, kinds, number};

/// How many cookies the top table shows (the JSON has them all).
const TOP_COOKIES: usize = 100;
/// How many cookies get a detail section with a chart.
const DETAILED: usize = 50;

/// The page.
pub(crate) fn render(report: &Report) -> String {
    let range = match (&report.range.first, &report.range.last) {
        (Some(first), Some(last)) => format!("{} – {}", first.replace('T', " "), last.replace('T', " ")),
        _ => "no timestamps".to_owned(),
    };
    let digests = if report.policy_digests.is_empty() {
        "not recorded".to_owned()
    } else {
        let mut list: Vec<&str> = report.policy_digests.iter().map(|d| d.digest.as_str()).collect();
        if report.policy_digest_not_recorded > 0 {
            list.push("not recorded");
        }
        list.join(", ")
    };
    let skipped = report.skipped.not_json + report.skipped.not_violation;
    let by_action = report.by_action;
    let actions = Action::ALL.map(Action::as_str);
    let bucket = report.timeline.bucket.unwrap_or("hour");
    let body = html! {
        h1 { "Cookie policy violations" }
        p { "From " (report.inputs.join(", ")) ": " (number(report.lines)) " log lines, "
            (number(report.events)) " violation events." }
        section aria-labelledby="headline" {
            h2 #headline { "Headline" }
            (page::cards([
                ("Time range (UTC)", range),
                ("Violations", number(report.violations)),
                ("Fixed", number(by_action.get(Action::Fixed))),
                ("Stripped", number(by_action.get(Action::Stripped))),
                ("Blocked", number(by_action.get(Action::Blocked))),
                ("Reported", number(by_action.get(Action::Reported))),
                ("Policy digests", digests),
                ("Lines skipped", number(skipped)),
            ]))
            @if skipped > 0 {
                p.note { (number(report.skipped.not_json)) " line(s) were not JSON and "
                    (number(report.skipped.not_violation)) " were other events than cookie policy violations; they are not counted above." }
            }
            @if report.range.without_timestamp > 0 {
                p.note { (number(report.range.without_timestamp)) " event(s) had no readable timestamp: counted, but not in the charts." }
            }
        }
        section aria-labelledby="over-time" {
            h2 #over-time { "Violations per " (bucket) }
            @if report.timeline.buckets.is_empty() {
                p { "No violation event with a timestamp." }
            } @else {
                figure {
                    @let bars: Vec<Bar> = report.timeline.buckets.iter().map(|b| Bar { label: b.label.clone(), counts: b.by_action.as_array().to_vec() }).collect();
                    (chart::stacked_bars(&format!("Violations per {bucket}, stacked by action"), &actions, &bars, Size::Full))
                    figcaption { "Violations per " (bucket) " (UTC), stacked by action." (page::legend(actions)) }
                }
                details {
                    summary { "The chart's numbers" }
                    div.scroll { table {
                        caption { "Violations per " (bucket) " by action" }
                        thead { tr { th scope="col" { (bucket) " (UTC)" } @for a in actions { th.n scope="col" { (a) } } } }
                        tbody { @for b in &report.timeline.buckets {
                            tr { th scope="row" { (b.label) } @for n in b.by_action.as_array() { td.n { (number(n)) } } }
                        } }
                    } }
                }
            }
        }
        section aria-labelledby="top-cookies" {
            h2 #top-cookies { "Top cookies" }
            @if report.cookies.len() > TOP_COOKIES {
                p.note { "The " (TOP_COOKIES) " cookies with the most violations of " (number(report.cookies.len() as u64)) "; the JSON report (--format json) lists all." }
            }
            div.scroll { table {
                caption { "Cookies by number of violations" }
                thead { tr {
                    th scope="col" { "Cookie" } th scope="col" { "Rule" } th scope="col" { "Category" }
                    th scope="col" { "Scopes" } th scope="col" { "Violation kinds" } th.n scope="col" { "Count" }
                    th scope="col" { "First seen" } th scope="col" { "Last seen" } th scope="col" { "Example paths" }
                } }
                tbody { @for (i, c) in report.cookies.iter().take(TOP_COOKIES).enumerate() {
                    tr {
                        th scope="row" {
                            @if i < DETAILED { a href=(format!("#cookie-{i}")) { span.name { (name_or_nameless(&c.name)) } } }
                            @else { span.name { (name_or_nameless(&c.name)) } }
                        }
                        td { @match &c.rule { Some(rule) => code { (rule) }, None => "no rule" } }
                        td { (c.category.as_deref().unwrap_or("–")) }
                        td { (c.scopes.join(", ")) }
                        td { @for (j, k) in c.kinds.iter().enumerate() { @if j > 0 { ", " } (k.kind) " ×" (number(k.count)) } }
                        td.n { (number(c.count)) }
                        td { (c.first_seen.as_deref().unwrap_or("–")) }
                        td { (c.last_seen.as_deref().unwrap_or("–")) }
                        td { ul.plain { @for e in &c.examples { li { code { (e) } } } } }
                    }
                } }
            } }
        }
        (keyed_table("by-scope", "By scope", "Violations by the request's scope", "Scope", &report.scopes, false))
        (keyed_table("by-kind", "By violation kind", "Violations by kind (an event with several kinds counts under each)", "Kind", &report.kinds, true))
        (keyed_table("by-side", "Request side and response side", "Violations by side: response = a Set-Cookie header the service sent; request = a cookie the browser sent", "Side", &report.sides, false))
        section aria-labelledby="details" {
            h2 #details { "Each cookie" }
            @for (i, c) in report.cookies.iter().take(DETAILED).enumerate() {
                section.cookie id=(format!("cookie-{i}")) aria-labelledby=(format!("cookie-{i}-name")) {
                    h3 id=(format!("cookie-{i}-name")) { (name_or_nameless(&c.name)) }
                    p { (number(c.count)) " violation(s): "
                        @for (j, (a, n)) in actions.iter().zip(c.by_action.as_array()).filter(|(_, n)| *n > 0).enumerate() {
                            @if j > 0 { ", " } (number(n)) " " (a)
                        }
                        "; rule " @match &c.rule { Some(rule) => code { (rule) }, None => "none (unlisted)" }
                        "; side " (c.sides.join(", ")) "." }
                    @if !c.timeline.is_empty() {
                        @let bars: Vec<Bar> = report.timeline.buckets.iter().zip(&c.timeline).map(|(b, n)| Bar { label: b.label.clone(), counts: n.as_array().to_vec() }).collect();
                        figure {
                            (chart::stacked_bars(&format!("Violations of {} per {bucket}", name_or_nameless(&c.name)), &actions, &bars, Size::Small))
                            figcaption { "Per " (bucket) ", from " (c.first_seen.as_deref().unwrap_or("–")) " to " (c.last_seen.as_deref().unwrap_or("–")) "." }
                        }
                    }
                }
            }
        }
    };
    page::document("Cookie policy violations — cookie-warden report", &body)
}

/// A table of counts by one key (scope, kind, side), with each action's count.
fn keyed_table(
    id: &str,
    heading: &str,
    caption: &str,
    key: &str,
    rows: &[Keyed],
    with_meaning: bool,
) -> Markup {
    html! {
        section aria-labelledby=(id) {
            h2 id=(id) { (heading) }
            div.scroll { table {
                caption { (caption) }
                thead { tr {
                    th scope="col" { (key) }
                    @if with_meaning { th scope="col" { "What it means" } }
                    th.n scope="col" { "Count" }
                    @for a in Action::ALL { th.n scope="col" { (a.as_str()) } }
                } }
                tbody { @for row in rows {
                    tr {
                        th scope="row" { code { (row.key) } }
                        @if with_meaning { td { (kinds::meaning(&row.key).unwrap_or("")) } }
                        td.n { (number(row.count)) }
                        @for n in Actions::as_array(row.by_action) { td.n { (number(n)) } }
                    }
                } }
            } }
        }
    }
}

/// A name for the page; `(nameless)` for an empty one.
fn name_or_nameless(name: &str) -> &str {
    if name.is_empty() { "(nameless)" } else { name }
}
