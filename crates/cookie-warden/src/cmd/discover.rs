//! `cookie-warden discover FILE.har…`: a draft policy (TOML on stdout) from the cookies seen.
//!
//! - **Names**: exact, except families of at least three names that share a prefix and differ
//!   after it, which become one `prefix*` glob (see [`globs`]).
//! - **Scopes**: one per host; a host whose cookies differ between its first path segments gets
//!   one scope per segment (`/login`) before a catch-all `/` scope.
//! - **Lifetime**: `session` when the cookie was only ever set without Max-Age and Expires; else
//!   the longest lifetime seen (from `Date`, or `startedDateTime`) rounded up to a clean duration
//!   (`30m`, `1h`, `30d`, `400d`); `persistent` when it was seen both ways.
//! - **Attributes**: what every sighting had becomes the rule's requirement: `secure` and
//!   `http_only` when always set, `same_site` the weakest seen, `path` when always the same,
//!   `domains` the Domain attributes seen.
//! - A comment on each rule says how often, in how many files and where it was seen.
//!
//! Deletions (Max-Age≤0, an Expires in the past) pass any policy by default and say nothing about
//! the cookie, so they are counted but do not shape a rule; headers a browser drops are counted
//! and left out. The draft starts in `report-only` mode. Cookie values are never written.

mod globs;
#[cfg(test)]
mod props;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Result;
use cookie_warden_core::set_cookie::{self, SameSite};

use crate::cli::DiscoverArgs;
use crate::exit::Exit;
use crate::har::{self, Exchange};

/// Runs `discover`.
pub(crate) fn run(args: &DiscoverArgs) -> Result<Exit> {
    let mut seen = Seen::default();
    for (file_index, file) in args.files.iter().enumerate() {
        let summary = har::read_file(file, true, |exchange| seen.record(file_index, &exchange))?;
        for warning in summary.warnings(file) {
            eprintln!("cookie-warden: warning: {warning}");
        }
        seen.entries += summary.entries;
    }
    print!("{}", seen.draft(&args.files));
    Ok(Exit::Done)
}

/// Everything seen in the HAR files.
#[derive(Debug, Default)]
struct Seen {
    entries: usize,
    responses_with_cookies: usize,
    headers: usize,
    dropped: usize,
    unusable_names: BTreeSet<String>,
    /// Hosts in the order first seen, with the names seen under each first path segment.
    hosts: Vec<(String, BTreeMap<String, BTreeSet<String>>)>,
    cookies: BTreeMap<String, Sightings>,
}

/// What was seen of one cookie name (deletions excluded from the attributes).
#[derive(Debug, Default)]
struct Sightings {
    count: usize,
    deletions: usize,
    files: BTreeSet<usize>,
    /// (host index, first path segment or "").
    places: BTreeSet<(usize, String)>,
    urls: BTreeSet<String>,
    sessions: usize,
    persistent: usize,
    longest: i64,
    not_secure: bool,
    not_http_only: bool,
    weakest_same_site: Option<&'static str>,
    paths: BTreeSet<Option<String>>,
    domains: BTreeSet<Option<String>>,
}

impl Seen {
    fn record(&mut self, file: usize, exchange: &Exchange) {
        if exchange.set_cookies.is_empty() {
            return;
        }
        self.responses_with_cookies += 1;
        let url = exchange.request_url();
        let segment = first_segment(url.path);
        let host = match self.hosts.iter().position(|(h, _)| h == url.host) {
            Some(index) => index,
            None => {
                self.hosts.push((url.host.to_owned(), BTreeMap::new()));
                self.hosts.len() - 1
            }
        };
        for line in &exchange.set_cookies {
            self.headers += 1;
            let cookie = set_cookie::parse(line.as_bytes(), &url);
            if !cookie.is_accepted() {
                self.dropped += 1;
                continue;
            }
            let name = match std::str::from_utf8(cookie.name) {
                Ok(name) if usable_name(name) => name,
                Ok(name) => {
                    self.unusable_names.insert(name.to_owned());
                    continue;
                }
                Err(_) => {
                    self.unusable_names
                        .insert(String::from_utf8_lossy(cookie.name).into_owned());
                    continue;
                }
            };
            let sightings = self.cookies.entry(name.to_owned()).or_default();
            sightings.count += 1;
            sightings.files.insert(file);
            if sightings.urls.len() < 3 {
                sightings.urls.insert(exchange.display_url.clone());
            }
            let lifetime = cookie.lifetime(exchange.now);
            if lifetime == Some(0) {
                sightings.deletions += 1;
                continue;
            }
            self.hosts[host]
                .1
                .entry(segment.to_owned())
                .or_default()
                .insert(name.to_owned());
            sightings.places.insert((host, segment.to_owned()));
            match lifetime {
                None => sightings.sessions += 1,
                Some(seconds) => {
                    sightings.persistent += 1;
                    sightings.longest = sightings.longest.max(seconds);
                }
            }
            sightings.not_secure |= !cookie.secure;
            sightings.not_http_only |= !cookie.http_only;
            let same_site = match cookie.same_site {
                SameSite::Strict => "strict",
                SameSite::Lax => "lax",
                SameSite::None | SameSite::Default => "none",
            };
            sightings.weakest_same_site = Some(match sightings.weakest_same_site {
                Some(previous) if strength(previous) <= strength(same_site) => previous,
                _ => same_site,
            });
            sightings
                .paths
                .insert(cookie.path.map(|p| String::from_utf8_lossy(p).into_owned()));
            sightings.domains.insert(cookie.domain.map(|d| d.into_owned()));
        }
    }

    /// The draft policy.
    fn draft(&self, files: &[PathBuf]) -> String {
        let scopes = self.scopes();
        let mut out = String::new();
        let file_names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        let _ = writeln!(
            out,
            "# Draft cookie policy written by `cookie-warden discover` from {}.",
            file_names.join(", ")
        );
        let _ = writeln!(
            out,
            "# {} entries, {} responses setting cookies, {} Set-Cookie headers.",
            self.entries, self.responses_with_cookies, self.headers
        );
        if self.dropped > 0 {
            let _ = writeln!(
                out,
                "# Left out: {} header(s) that a browser drops.",
                self.dropped
            );
        }
        if !self.unusable_names.is_empty() {
            let names: Vec<_> = self.unusable_names.iter().map(|n| format!("{n:?}")).collect();
            let _ = writeln!(
                out,
                "# Left out: names a policy cannot spell exactly (empty, `*`, `{{`, `}}`, controls): {}.",
                names.join(", ")
            );
        }
        out.push_str(
            "# Review every rule: give it a category and a purpose in each language, and tighten\n\
             # what the site should allow rather than what it happened to do.\n\n",
        );
        out.push_str("version = 1\n\n[enforcement]\n");
        out.push_str(
            "# Report-only: violations are traced, nothing is changed. Switch to \"enforce\" once\n\
             # `cookie-warden audit` with this policy finds nothing unexpected.\n",
        );
        out.push_str("mode = \"report-only\"\n");

        for scope in &scopes {
            let _ = write!(
                out,
                "\n[[scope]]\nid = {}\nhosts = [{}]\npaths = [{}]\ntitle = {{ en = {} }}\n",
                toml_string(&scope.id),
                toml_string(&self.hosts[scope.host].0),
                toml_string(&scope.path),
                toml_string(&format!(
                    "{}{}",
                    self.hosts[scope.host].0,
                    if scope.path == "/" { "" } else { &scope.path }
                )),
            );
        }

        let live: Vec<&str> = self
            .cookies
            .iter()
            .filter(|(_, s)| s.count > s.deletions)
            .map(|(name, _)| name.as_str())
            .collect();
        let deletion_only: Vec<&str> = self
            .cookies
            .iter()
            .filter(|(_, s)| s.count == s.deletions)
            .map(|(name, _)| name.as_str())
            .collect();
        let groups = globs::group(&live);
        let mut rules: Vec<(String, Vec<&str>)> = groups
            .iter()
            .map(|(prefix, members)| (format!("{prefix}*"), members.clone()))
            .collect();
        for name in &live {
            if !groups.values().any(|members| members.contains(name)) {
                rules.push(((*name).to_owned(), vec![*name]));
            }
        }
        rules.sort();
        for (rule, members) in &rules {
            self.write_rule(&mut out, rule, members, &scopes);
        }
        if !deletion_only.is_empty() {
            let names: Vec<_> = deletion_only.iter().map(|n| format!("{n:?}")).collect();
            let _ = writeln!(
                out,
                "\n# Only ever deleted (deletions pass by default, so no rule is needed): {}.",
                names.join(", ")
            );
        }
        out
    }

    fn write_rule(&self, out: &mut String, rule: &str, members: &[&str], scopes: &[DraftScope]) {
        let all: Vec<&Sightings> = members.iter().map(|name| &self.cookies[*name]).collect();
        let count: usize = all.iter().map(|s| s.count).sum();
        let files: BTreeSet<usize> = all.iter().flat_map(|s| s.files.iter().copied()).collect();
        let places: BTreeSet<&(usize, String)> = all.iter().flat_map(|s| &s.places).collect();
        let urls: BTreeSet<&String> = all.iter().flat_map(|s| &s.urls).take(3).collect();
        let sessions: usize = all.iter().map(|s| s.sessions).sum();
        let persistent: usize = all.iter().map(|s| s.persistent).sum();
        let longest = all.iter().map(|s| s.longest).max().unwrap_or(0);
        let secure = !all.iter().any(|s| s.not_secure);
        let http_only = !all.iter().any(|s| s.not_http_only);
        let same_site = all
            .iter()
            .filter_map(|s| s.weakest_same_site)
            .min_by_key(|s| strength(s))
            .unwrap_or("lax");
        let paths: BTreeSet<&Option<String>> = all.iter().flat_map(|s| &s.paths).collect();
        let domains: BTreeSet<&String> = all
            .iter()
            .flat_map(|s| &s.domains)
            .filter_map(Option::as_ref)
            .collect();
        let deletions: usize = all.iter().map(|s| s.deletions).sum();

        let _ = write!(out, "\n# Seen {count} time(s) in {} file(s)", files.len());
        if members.len() > 1 {
            let shown: Vec<&str> = members.iter().copied().take(5).collect();
            let more = if members.len() > 5 { ", …" } else { "" };
            let _ = write!(out, " as {} names ({}{more})", members.len(), shown.join(", "));
        }
        let _ = write!(
            out,
            ", at {}",
            urls.iter().map(|u| u.as_str()).collect::<Vec<_>>().join(", ")
        );
        if deletions > 0 {
            let _ = write!(out, "; {deletions} deletion(s)");
        }
        let (lifetime, how) = match (sessions, persistent) {
            (_, 0) => ("session".to_owned(), "always a session cookie".to_owned()),
            (0, _) => {
                let rounded = round_up(longest);
                (
                    rounded.to_owned(),
                    format!("longest lifetime seen {longest} s, rounded up to {rounded}"),
                )
            }
            _ => (
                "persistent".to_owned(),
                format!(
                    "seen as a session cookie {sessions} time(s) and with an expiry {persistent} time(s)"
                ),
            ),
        };
        let _ = writeln!(out, "; {how}.");
        out.push_str("[[cookie]]\n");
        let _ = writeln!(out, "name = {}", toml_string(rule));
        // Each place falls into the first scope that covers it, as requests do.
        let ids: Vec<String> = scopes
            .iter()
            .enumerate()
            .filter(|(index, _)| {
                places
                    .iter()
                    .any(|place| scopes.iter().position(|s| s.covers(place)) == Some(*index))
            })
            .map(|(_, scope)| toml_string(&scope.id))
            .collect();
        let _ = writeln!(out, "scopes = [{}]", ids.join(", "));
        let _ = writeln!(out, "lifetime = {}", toml_string(&lifetime));
        let _ = writeln!(out, "secure = {secure}");
        let _ = writeln!(out, "http_only = {http_only}");
        let _ = writeln!(out, "same_site = {}", toml_string(same_site));
        if let [Some(path)] = paths.iter().copied().collect::<Vec<_>>()[..] {
            let _ = writeln!(out, "path = {}", toml_string(path));
        }
        if !domains.is_empty() {
            let list: Vec<String> = domains.iter().map(|d| toml_string(d)).collect();
            let _ = writeln!(out, "domains = [{}]", list.join(", "));
        }
        out.push_str(
            "# category = \"necessary\"  # review: necessary | functional | statistics | marketing\n",
        );
    }

    /// One scope per host, or, for a host whose first path segments set different cookies, one
    /// per segment followed by a `/` scope for the rest.
    fn scopes(&self) -> Vec<DraftScope> {
        let mut scopes = Vec::new();
        let mut ids = BTreeSet::new();
        for (host_index, (host, segments)) in self.hosts.iter().enumerate() {
            let mut sets = segments.values();
            let uniform = match sets.next() {
                Some(first) => sets.all(|set| set == first),
                None => continue,
            };
            let base = scope_id(host);
            if !uniform {
                for segment in segments.keys().filter(|s| !s.is_empty()) {
                    let id = unique(&mut ids, &format!("{base}-{}", scope_id(segment)));
                    scopes.push(DraftScope {
                        id,
                        host: host_index,
                        path: format!("/{segment}"),
                        segment: Some(segment.clone()),
                    });
                }
            }
            let id = unique(&mut ids, &base);
            scopes.push(DraftScope {
                id,
                host: host_index,
                path: "/".to_owned(),
                segment: None,
            });
        }
        scopes
    }
}

/// A scope of the draft.
#[derive(Debug)]
struct DraftScope {
    id: String,
    host: usize,
    path: String,
    /// `None`: the host's `/` scope, which takes every request no segment scope takes.
    segment: Option<String>,
}

impl DraftScope {
    /// Does a request at this place (host index, first segment) fall into this scope?
    fn covers(&self, (host, segment): &(usize, String)) -> bool {
        *host == self.host && self.segment.as_ref().is_none_or(|s| s == segment)
    }
}

/// The first path segment when the path goes deeper than it (`/login/x` → `login`); `""` for a
/// path at the root (`/`, `/index.html`).
fn first_segment(path: &str) -> &str {
    let rest = path.strip_prefix('/').unwrap_or(path);
    match rest.split_once('/') {
        Some((segment, _)) => segment,
        None => "",
    }
}

/// A name a policy rule can spell exactly: not empty, no pattern characters, no controls.
fn usable_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(['*', '{', '}']) && !name.contains(char::is_control)
}

/// SameSite strength, weakest first.
fn strength(same_site: &str) -> u8 {
    match same_site {
        "none" => 0,
        "lax" => 1,
        _ => 2,
    }
}

/// The smallest clean duration at least `seconds` long.
fn round_up(seconds: i64) -> &'static str {
    const LADDER: [(i64, &str); 19] = [
        (60, "1m"),
        (5 * 60, "5m"),
        (10 * 60, "10m"),
        (15 * 60, "15m"),
        (30 * 60, "30m"),
        (3_600, "1h"),
        (2 * 3_600, "2h"),
        (6 * 3_600, "6h"),
        (12 * 3_600, "12h"),
        (86_400, "1d"),
        (2 * 86_400, "2d"),
        (7 * 86_400, "7d"),
        (14 * 86_400, "14d"),
        (30 * 86_400, "30d"),
        (90 * 86_400, "90d"),
        (180 * 86_400, "180d"),
        (365 * 86_400, "365d"),
        (366 * 86_400, "366d"),
        (400 * 86_400, "400d"),
    ];
    LADDER
        .iter()
        .find(|(limit, _)| seconds <= *limit)
        .map_or("persistent", |(_, text)| text)
}

/// A scope id from a host or segment: lowercase letters, digits and `-`.
fn scope_id(text: &str) -> String {
    let id: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let id = id.trim_matches('-').to_owned();
    if id.is_empty() { "site".to_owned() } else { id }
}

fn unique(taken: &mut BTreeSet<String>, id: &str) -> String {
    let mut candidate = id.to_owned();
    let mut n = 2;
    while !taken.insert(candidate.clone()) {
        candidate = format!("{id}-{n}");
        n += 1;
    }
    candidate
}

/// A TOML basic string.
fn toml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_round_up_to_clean_durations() {
        assert_eq!(round_up(1), "1m");
        assert_eq!(round_up(1_800), "30m");
        assert_eq!(round_up(1_801), "1h");
        assert_eq!(round_up(3_600), "1h");
        assert_eq!(round_up(31_536_000), "365d");
        assert_eq!(round_up(34_560_000), "400d");
        assert_eq!(round_up(34_560_001), "persistent");
    }

    #[test]
    fn segments_and_ids() {
        assert_eq!(first_segment("/login/start"), "login");
        assert_eq!(first_segment("/index.html"), "");
        assert_eq!(first_segment("/"), "");
        assert_eq!(scope_id("www.Example.com"), "www-example-com");
        assert_eq!(toml_string("a\"b\\c\u{1}"), "\"a\\\"b\\\\c\\u0001\"");
    }
}
