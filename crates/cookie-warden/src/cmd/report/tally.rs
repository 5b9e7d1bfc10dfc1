//! What `report` counts while it streams the log: totals, per hour, per cookie, per scope, per
//! violation kind and per side. Memory depends on how many distinct cookies, scopes, kinds and
//! hours the log holds, never on how many lines: every table is capped (past a cap, the rest is
//! counted under one "(other …)" row), and each cookie keeps at most [`EXAMPLES`] example paths.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use cookie_warden_core::action::Action;

use super::event::{LogLine, Violation};

/// How many example paths each cookie keeps.
pub(crate) const EXAMPLES: usize = 3;
/// How many distinct cookies (name and rule) are kept apart.
pub(crate) const MAX_COOKIES: usize = 5_000;
/// How many distinct scopes, violation kinds, sides and digests are kept apart.
pub(crate) const MAX_KEYS: usize = 500;
/// How many distinct scopes a cookie lists.
const MAX_COOKIE_SCOPES: usize = 20;
/// The row a value past its table's cap is counted under.
pub(crate) const OTHER: &str = "(other)";

/// Counts per action, indexed by [`Action::index`] (the order of [`Action::ALL`]).
pub(crate) type ByAction = [u64; Action::ALL.len()];

/// One cookie's counts.
#[derive(Debug, Default)]
pub(crate) struct CookieTally {
    pub(crate) count: u64,
    pub(crate) by_action: ByAction,
    pub(crate) category: Option<String>,
    pub(crate) scopes: BTreeSet<String>,
    pub(crate) kinds: BTreeMap<String, u64>,
    pub(crate) sides: BTreeSet<String>,
    pub(crate) first: Option<i64>,
    pub(crate) last: Option<i64>,
    /// `host/path` without query, up to [`EXAMPLES`].
    pub(crate) examples: Vec<String>,
    /// Per hour (unix seconds / 3600).
    pub(crate) hours: BTreeMap<i64, ByAction>,
}

/// A counted row of a small table.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Row {
    pub(crate) count: u64,
    pub(crate) by_action: ByAction,
}

/// Everything counted.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub(crate) lines: u64,
    pub(crate) not_json: u64,
    pub(crate) not_violation: u64,
    pub(crate) events: u64,
    pub(crate) violations: u64,
    pub(crate) by_action: ByAction,
    pub(crate) first: Option<i64>,
    pub(crate) last: Option<i64>,
    pub(crate) without_time: u64,
    pub(crate) digests: BTreeMap<String, u64>,
    pub(crate) without_digest: u64,
    pub(crate) hours: BTreeMap<i64, ByAction>,
    /// Keyed by (name, rule).
    pub(crate) cookies: HashMap<(String, Option<String>), CookieTally>,
    pub(crate) scopes: BTreeMap<String, Row>,
    pub(crate) kinds: BTreeMap<String, Row>,
    pub(crate) sides: BTreeMap<String, Row>,
}

impl Tally {
    /// Counts one line of the log.
    pub(crate) fn line(&mut self, bytes: &[u8]) {
        self.lines += 1;
        let Ok(parsed) = serde_json::from_slice::<LogLine<'_>>(bytes) else {
            self.not_json += 1;
            return;
        };
        match parsed.violation() {
            Some(violation) => self.violation(&violation),
            None => {
                self.not_violation += 1;
                // The proxy names the policy it enforces when it starts and at each reload
                // (`policy.digest`): such a digest was seen even if it decided no violation.
                if let Some(digest) = parsed.digest.as_deref() {
                    capped(&mut self.digests, digest);
                }
            }
        }
    }

    /// Counts a line that was too long to read as JSON.
    pub(crate) fn too_long(&mut self) {
        self.lines += 1;
        self.not_json += 1;
    }

    fn violation(&mut self, v: &Violation<'_, '_>) {
        let line = v.line;
        let (action, n) = (v.action, v.count);
        self.events += 1;
        self.violations += n;
        self.by_action[action.index()] += n;
        match v.time {
            Some(t) => {
                self.first = Some(self.first.map_or(t, |f| f.min(t)));
                self.last = Some(self.last.map_or(t, |l| l.max(t)));
                self.hours.entry(t.div_euclid(3600)).or_default()[action.index()] += n;
            }
            None => self.without_time += 1,
        }
        match line.digest.as_deref() {
            Some(digest) => *capped(&mut self.digests, digest) += n,
            None => self.without_digest += n,
        }
        let scope = line.scope.as_deref().unwrap_or("(no scope)");
        add(capped(&mut self.scopes, scope), action, n);
        let side = line.side();
        add(capped(&mut self.sides, side), action, n);
        let kinds = line.violation.as_deref().unwrap_or("");
        for kind in kinds.split(',').map(str::trim).filter(|k| !k.is_empty()) {
            add(capped(&mut self.kinds, kind), action, n);
        }

        let key = (
            line.display_name().to_owned(),
            line.rule.as_deref().map(str::to_owned),
        );
        let full = self.cookies.len() >= MAX_COOKIES;
        let cookie = if full && !self.cookies.contains_key(&key) {
            self.cookies.entry((OTHER.to_owned(), None)).or_default()
        } else {
            self.cookies.entry(key).or_default()
        };
        cookie.count += n;
        cookie.by_action[action.index()] += n;
        if let Some(category) = line.category.as_deref()
            && cookie.category.as_deref() != Some(category)
        {
            cookie.category = Some(category.to_owned());
        }
        if cookie.scopes.len() < MAX_COOKIE_SCOPES && !cookie.scopes.contains(scope) {
            cookie.scopes.insert(scope.to_owned());
        }
        for kind in kinds.split(',').map(str::trim).filter(|k| !k.is_empty()) {
            *capped(&mut cookie.kinds, kind) += n;
        }
        if !cookie.sides.contains(side) && cookie.sides.len() < MAX_KEYS {
            cookie.sides.insert(side.to_owned());
        }
        if let Some(t) = v.time {
            cookie.first = Some(cookie.first.map_or(t, |f| f.min(t)));
            cookie.last = Some(cookie.last.map_or(t, |l| l.max(t)));
            cookie.hours.entry(t.div_euclid(3600)).or_default()[action.index()] += n;
        }
        if cookie.examples.len() < EXAMPLES {
            let example = example(line);
            if !example.is_empty() && !cookie.examples.contains(&example) {
                cookie.examples.push(example);
            }
        }
    }

    /// Cookies by count, most first, then by name.
    pub(crate) fn top_cookies(&self) -> Vec<(&(String, Option<String>), &CookieTally)> {
        let mut cookies: Vec<_> = self.cookies.iter().collect();
        cookies.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(b.0)));
        cookies
    }
}

/// The entry for `key` in a table capped at [`MAX_KEYS`] (past it, the [`OTHER`] entry).
fn capped<'m, V: Default>(map: &'m mut BTreeMap<String, V>, key: &str) -> &'m mut V {
    let key = if map.contains_key(key) || map.len() < MAX_KEYS {
        key
    } else {
        OTHER
    };
    if !map.contains_key(key) {
        map.insert(key.to_owned(), V::default());
    }
    map.get_mut(key).expect("inserted above")
}

fn add(row: &mut Row, action: Action, n: u64) {
    row.count += n;
    row.by_action[action.index()] += n;
}

/// `host/path` of the request, without any query or fragment (the proxy logs `url.path` without
/// them; a log from elsewhere might not).
fn example(line: &LogLine<'_>) -> String {
    let path = line.path.as_deref().unwrap_or("");
    let path = path.split(['?', '#']).next().unwrap_or("");
    format!("{}{path}", line.host.as_deref().unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str, action: &str, scope: &str, extra: &str) -> String {
        format!(
            r#"{{"timestamp":"2026-12-03T04:52:27Z","message":"cookie policy violation","cookie.name":"{name}","violation":"unlisted,missing_secure","action":"{action}","scope":"{scope}","url.path":"/a?token=SECRET","server.address":"h"{extra}}}"#
        )
    }

    #[test]
    fn counts_events_by_their_count_and_skips_other_lines() {
        let mut tally = Tally::default();
        tally.line(event("a", "stripped", "s", "").as_bytes());
        tally.line(
            event(
                "a",
                "fixed",
                "s",
                r#","cookie.count":4,"cookie.source":"request""#,
            )
            .as_bytes(),
        );
        tally.line(b"not json");
        tally.line(br#"{"message":"demo listening"}"#);
        tally.too_long();
        assert_eq!((tally.lines, tally.not_json, tally.not_violation), (5, 2, 1));
        assert_eq!((tally.events, tally.violations), (2, 5));
        assert_eq!(tally.by_action, [4, 1, 0, 0]);
        assert_eq!(tally.kinds["unlisted"].count, 5);
        assert_eq!(tally.sides["request"].count, 4);
        assert_eq!(tally.sides["response"].count, 1);
        assert_eq!(tally.without_digest, 5);
        tally.line(br#"{"message":"policy reloaded","policy.digest":"ab12"}"#);
        assert_eq!(
            tally.digests.get("ab12"),
            Some(&0),
            "a digest seen on a reload line"
        );
        let a = &tally.cookies[&("a".to_owned(), None)];
        assert_eq!(a.count, 5);
        assert_eq!(a.examples, ["h/a"]);
    }

    #[test]
    fn tables_are_capped() {
        let mut tally = Tally::default();
        for i in 0..(MAX_COOKIES + 10) {
            tally.line(event(&format!("c{i}"), "stripped", &format!("s{i}"), "").as_bytes());
        }
        assert_eq!(tally.cookies.len(), MAX_COOKIES + 1);
        assert_eq!(tally.cookies[&(OTHER.to_owned(), None)].count, 10);
        assert_eq!(tally.scopes.len(), MAX_KEYS + 1);
    }
}
