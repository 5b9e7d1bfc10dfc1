//! `report --format json`: the report as one JSON document; the schema is in the docs of
//! `cmd/report.rs`. The HTML page is drawn from the same document, so the two always agree.

use cookie_warden_core::action::Action;
use serde::Serialize;

use super::tally::{ByAction, Row, Tally};
use super::timeline::{self, Bucket};

/// The whole report.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    pub(crate) schema_version: u32,
    pub(crate) inputs: Vec<String>,
    pub(crate) lines: u64,
    pub(crate) skipped: Skipped,
    pub(crate) range: Range,
    pub(crate) events: u64,
    pub(crate) violations: u64,
    pub(crate) by_action: Actions,
    pub(crate) policy_digests: Vec<Digest>,
    pub(crate) policy_digest_not_recorded: u64,
    pub(crate) timeline: Timeline,
    pub(crate) cookies: Vec<Cookie>,
    pub(crate) scopes: Vec<Keyed>,
    pub(crate) kinds: Vec<Keyed>,
    pub(crate) sides: Vec<Keyed>,
}

/// Lines that were not violation events.
#[derive(Debug, Serialize)]
pub(crate) struct Skipped {
    pub(crate) not_json: u64,
    pub(crate) not_violation: u64,
}

/// The first and last event's time (RFC 3339), `null` when no event had a readable timestamp.
#[derive(Debug, Serialize)]
pub(crate) struct Range {
    pub(crate) first: Option<String>,
    pub(crate) last: Option<String>,
    pub(crate) without_timestamp: u64,
}

/// Counts per action.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Actions {
    pub(crate) fixed: u64,
    pub(crate) stripped: u64,
    pub(crate) blocked: u64,
    pub(crate) reported: u64,
}

impl From<ByAction> for Actions {
    fn from(counts: ByAction) -> Self {
        let count = |action: Action| counts[action.index()];
        Actions {
            fixed: count(Action::Fixed),
            stripped: count(Action::Stripped),
            blocked: count(Action::Blocked),
            reported: count(Action::Reported),
        }
    }
}

impl Actions {
    /// The count of `action`.
    pub(crate) fn get(self, action: Action) -> u64 {
        match action {
            Action::Fixed => self.fixed,
            Action::Stripped => self.stripped,
            Action::Blocked => self.blocked,
            Action::Reported => self.reported,
        }
    }

    /// Back in [`Action::ALL`] order.
    pub(crate) fn as_array(self) -> ByAction {
        Action::ALL.map(|action| self.get(action))
    }
}

/// A policy digest and how many violations it decided.
#[derive(Debug, Serialize)]
pub(crate) struct Digest {
    pub(crate) digest: String,
    pub(crate) count: u64,
}

/// Violations over time.
#[derive(Debug, Serialize)]
pub(crate) struct Timeline {
    /// `hour`, `day` or `week`; `null` when no event had a timestamp.
    pub(crate) bucket: Option<&'static str>,
    pub(crate) buckets: Vec<TimeBucket>,
}

/// One bar of the chart.
#[derive(Debug, Serialize)]
pub(crate) struct TimeBucket {
    pub(crate) start: String,
    #[serde(skip)]
    pub(crate) label: String,
    pub(crate) by_action: Actions,
}

/// One row of the top-cookies table.
#[derive(Debug, Serialize)]
pub(crate) struct Cookie {
    pub(crate) name: String,
    pub(crate) rule: Option<String>,
    pub(crate) category: Option<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) kinds: Vec<KindCount>,
    pub(crate) sides: Vec<String>,
    pub(crate) count: u64,
    pub(crate) by_action: Actions,
    pub(crate) first_seen: Option<String>,
    pub(crate) last_seen: Option<String>,
    pub(crate) examples: Vec<String>,
    /// The cookie's own bars, in the same buckets as `timeline`.
    pub(crate) timeline: Vec<Actions>,
}

/// A violation kind and its count.
#[derive(Debug, Serialize)]
pub(crate) struct KindCount {
    pub(crate) kind: String,
    pub(crate) count: u64,
}

/// A row of the scope, kind or side table.
#[derive(Debug, Serialize)]
pub(crate) struct Keyed {
    pub(crate) key: String,
    pub(crate) count: u64,
    pub(crate) by_action: Actions,
}

/// RFC 3339 in UTC, to the second.
fn time(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn keyed(map: &std::collections::BTreeMap<String, Row>) -> Vec<Keyed> {
    let mut rows: Vec<Keyed> = map
        .iter()
        .map(|(key, row)| Keyed {
            key: key.clone(),
            count: row.count,
            by_action: row.by_action.into(),
        })
        .collect();
    rows.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    rows
}

impl Report {
    /// The report of `tally`, read from `inputs`.
    pub(crate) fn new(tally: &Tally, inputs: Vec<String>) -> Report {
        let range = tally
            .first
            .zip(tally.last)
            .map(|(f, l)| (f.div_euclid(3600), l.div_euclid(3600)));
        let bucket = range.map(|(f, l)| Bucket::for_range(f, l));
        let regroup = |hours| match (range, bucket) {
            (Some((f, l)), Some(b)) => timeline::regroup(hours, b, f, l),
            _ => Vec::new(),
        };
        let buckets = regroup(&tally.hours)
            .into_iter()
            .map(|(start, counts)| TimeBucket {
                start: time(start),
                label: bucket.map(|b| b.label(start)).unwrap_or_default(),
                by_action: counts.into(),
            })
            .collect();
        let mut digests: Vec<Digest> = tally
            .digests
            .iter()
            .map(|(digest, count)| Digest {
                digest: digest.clone(),
                count: *count,
            })
            .collect();
        digests.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.digest.cmp(&b.digest)));
        let cookies = tally
            .top_cookies()
            .into_iter()
            .map(|((name, rule), c)| {
                let mut kinds: Vec<KindCount> = c
                    .kinds
                    .iter()
                    .map(|(kind, count)| KindCount {
                        kind: kind.clone(),
                        count: *count,
                    })
                    .collect();
                kinds.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.kind.cmp(&b.kind)));
                Cookie {
                    name: name.clone(),
                    rule: rule.clone(),
                    category: c.category.clone(),
                    scopes: c.scopes.iter().cloned().collect(),
                    kinds,
                    sides: c.sides.iter().cloned().collect(),
                    count: c.count,
                    by_action: c.by_action.into(),
                    first_seen: c.first.map(time),
                    last_seen: c.last.map(time),
                    examples: c.examples.clone(),
                    timeline: regroup(&c.hours).into_iter().map(|(_, n)| n.into()).collect(),
                }
            })
            .collect();
        Report {
            schema_version: 1,
            inputs,
            lines: tally.lines,
            skipped: Skipped {
                not_json: tally.not_json,
                not_violation: tally.not_violation,
            },
            range: Range {
                first: tally.first.map(time),
                last: tally.last.map(time),
                without_timestamp: tally.without_time,
            },
            events: tally.events,
            violations: tally.violations,
            by_action: tally.by_action.into(),
            policy_digests: digests,
            policy_digest_not_recorded: tally.without_digest,
            timeline: Timeline {
                bucket: bucket.map(Bucket::as_str),
                buckets,
            },
            cookies,
            scopes: keyed(&tally.scopes),
            kinds: keyed(&tally.kinds),
            sides: keyed(&tally.sides),
        }
    }
}
