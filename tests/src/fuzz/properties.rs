//! The two properties every batch must keep, checked on what a browser stored.
//!
//! (a) [`check_policy`]: every cookie in the jar is one the policy allows where it was set, with
//!     its rule's lifetime (as the browser computed it, a few seconds' slack), `Secure`,
//!     `HttpOnly`, `SameSite`, path and domain.
//! (b) [`check_parser`]: every `Set-Cookie` header that left the proxy is read by the project's
//!     parser ([`cookie_warden_core::set_cookie::parse`]) exactly as the browser stored it:
//!     stored or not, name, expiry (session, or the same lifetime within the slack), `Secure`,
//!     `HttpOnly`, `SameSite`, path, host-only or the domain — and nothing else is in the jar.
//!
//! Lifetimes: the browser measures `Expires` against the response's `Date` (it corrects for the
//! server's skew), so the parser's reading is taken at the instant the first leaving `Date` names
//! when the project's HTTP-date reader reads it, else at the wall clock of the fetch — what the
//! proxy does. A `Date` the browser reads and the project does not shows up as an expiry
//! difference, which is the point.
//!
//! Failures carry names and attributes only, never a value.

use std::fmt;

use cookie_warden_core::http_date::parse_http_date;
use cookie_warden_core::request::RequestUrl;
use cookie_warden_core::set_cookie::{Expiry, SameSite, parse};

use super::headers::redact_value;
use super::policy::{MAX_LIFETIME, MinSameSite, RuleLifetime, rule_for, scope_of};
use crate::browser::{StoredCookie, StoredSameSite};

/// Seconds of slack on every lifetime comparison, on top of how long the visit took.
pub const SLACK_SECONDS: f64 = 10.0;

/// What one batch produced: the request, what left the proxy, and what the browser stored.
#[derive(Debug, Clone)]
pub struct Observation<'a> {
    /// The host the browser visited.
    pub host: &'a str,
    /// The request path.
    pub path: &'a str,
    /// The `Set-Cookie` values that left the proxy, in order.
    pub leaving: &'a [String],
    /// The `Date` values that left the proxy, in order.
    pub leaving_dates: &'a [String],
    /// Unix seconds at which the plain client's fetch started (the proxy's clock, near enough).
    pub fetched_at: f64,
    /// The browser's jar after the visit.
    pub jar: &'a [StoredCookie],
    /// Unix seconds just before the browser's visit.
    pub visit_started: f64,
    /// Unix seconds just after it.
    pub visit_ended: f64,
    /// Whether the browser reports `partitioned` in its jar (Firefox over BiDi does not).
    pub partitioned_known: bool,
}

/// One broken property.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// A short stable name of what differs, for grouping: `policy:lifetime`, `parser:expiry`, ….
    pub class: String,
    /// The leaving header it is about (its value redacted), if any.
    pub header: Option<String>,
    /// What each side read.
    pub detail: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.class, self.detail)?;
        if let Some(header) = &self.header {
            write!(f, "\n      header that left: Set-Cookie: {header}")?;
        }
        Ok(())
    }
}

fn failure(class: &str, header: Option<&str>, detail: String) -> Failure {
    Failure {
        class: class.to_owned(),
        header: header.map(redact_value),
        detail,
    }
}

/// A jar cookie's attributes, for messages (no value: [`StoredCookie`] has none).
fn describe(cookie: &StoredCookie, visit_started: f64) -> String {
    let lifetime = cookie
        .lifetime_from(visit_started)
        .map_or_else(|| "session".to_owned(), |s| format!("{s:.0}s"));
    format!(
        "{:?} {}{} path={} secure={} httpOnly={} sameSite={:?} lifetime={lifetime}{}",
        cookie.name,
        if cookie.host_only { "host-only " } else { "domain=" },
        cookie.domain,
        cookie.path,
        cookie.secure,
        cookie.http_only,
        cookie.same_site,
        if cookie.partitioned { " partitioned" } else { "" }
    )
}

/// The leaving headers whose name holds `cookie`'s name (to point a failure at its header).
fn header_of<'a>(leaving: &'a [String], cookie: &StoredCookie) -> Option<&'a str> {
    leaving
        .iter()
        .find(|h| {
            let pair = h.split(';').next().unwrap_or("");
            let name = pair
                .split_once('=')
                .map_or("", |(n, _)| n)
                .trim_matches([' ', '\t']);
            name == cookie.name
        })
        .map(String::as_str)
}

/// Property (a): the jar holds only what the policy allows, as it requires.
#[must_use]
pub fn check_policy(obs: &Observation<'_>) -> Vec<Failure> {
    let scope = scope_of(obs.host, obs.path);
    let slack = SLACK_SECONDS + (obs.visit_ended - obs.visit_started);
    let mut failures = Vec::new();
    for cookie in obs.jar {
        let header = header_of(obs.leaving, cookie);
        let seen = describe(cookie, obs.visit_started);
        let mut fail = |class: &str, why: String| {
            failures.push(failure(class, header, format!("jar has {seen}: {why}")));
        };
        let Some(rule) = rule_for(&cookie.name) else {
            fail("policy:unlisted", "no rule allows this name".to_owned());
            continue;
        };
        if !rule.allows_scope(scope) {
            fail(
                "policy:out_of_scope",
                format!("rule {} not allowed in scope {scope:?}", rule.name),
            );
        }
        let lifetime = cookie.lifetime_from(obs.visit_started);
        match (rule.lifetime, lifetime) {
            (RuleLifetime::Session, Some(_)) => fail("policy:lifetime", "the rule says session".to_owned()),
            (RuleLifetime::AtMost(max), None) => fail(
                "policy:lifetime",
                format!("the rule says at most {max}s, not session"),
            ),
            #[allow(clippy::cast_precision_loss)]
            (RuleLifetime::AtMost(max), Some(s)) if s > max as f64 + slack => {
                fail("policy:lifetime", format!("the rule says at most {max}s"));
            }
            #[allow(clippy::cast_precision_loss)]
            (RuleLifetime::Persistent, Some(s)) if s > MAX_LIFETIME as f64 + slack => {
                fail(
                    "policy:lifetime",
                    format!("longer than max_lifetime {MAX_LIFETIME}s"),
                );
            }
            _ => {}
        }
        if rule.secure && !cookie.secure {
            fail("policy:secure", "the rule requires Secure".to_owned());
        }
        if rule.http_only && !cookie.http_only {
            fail("policy:http_only", "the rule requires HttpOnly".to_owned());
        }
        let same_site = match cookie.same_site {
            StoredSameSite::Strict => Some(MinSameSite::Strict),
            StoredSameSite::Lax => Some(MinSameSite::Lax),
            StoredSameSite::None | StoredSameSite::Unspecified => None,
        };
        if rule.same_site > MinSameSite::None && same_site.is_none_or(|s| s < rule.same_site) {
            fail(
                "policy:same_site",
                format!("the rule requires at least {:?}", rule.same_site),
            );
        }
        if let Some(path) = rule.path
            && cookie.path != path
        {
            fail("policy:path", format!("the rule requires path {path}"));
        }
        if !cookie.host_only && !rule.domains.contains(&cookie.domain.as_str()) {
            fail(
                "policy:domain",
                format!("the rule allows domains {:?}", rule.domains),
            );
        }
        if cookie.host_only && cookie.domain != obs.host {
            fail("policy:domain", format!("set for another host than {}", obs.host));
        }
    }
    failures
}

/// The instant the parser's reading is taken at: the first leaving `Date` if the project reads
/// it, else the fetch's wall clock.
fn parser_now(obs: &Observation<'_>) -> i64 {
    #[allow(clippy::cast_possible_truncation)]
    let wall = obs.fetched_at.floor() as i64;
    obs.leaving_dates
        .first()
        .and_then(|d| parse_http_date(d.as_bytes()))
        .unwrap_or(wall)
}

fn stored_same_site(same_site: SameSite) -> StoredSameSite {
    match same_site {
        SameSite::Strict => StoredSameSite::Strict,
        SameSite::Lax => StoredSameSite::Lax,
        SameSite::None => StoredSameSite::None,
        SameSite::Default => StoredSameSite::Unspecified,
    }
}

/// Property (b): the parser reads every leaving header as the browser stored it.
#[must_use]
pub fn check_parser(obs: &Observation<'_>) -> Vec<Failure> {
    let url = RequestUrl {
        secure: true,
        host: obs.host,
        path: obs.path,
    };
    let now = parser_now(obs);
    let slack =
        SLACK_SECONDS + (obs.visit_ended - obs.visit_started) + (obs.visit_started - obs.fetched_at).abs();
    let mut claimed = vec![false; obs.jar.len()];
    let mut failures = Vec::new();
    for header in obs.leaving {
        let parsed = parse(header.as_bytes(), &url);
        let name = String::from_utf8_lossy(parsed.name).into_owned();
        let expiry = parsed.expiry(now);
        let stored = parsed.is_accepted() && expiry != Expiry::Expired;
        let found = obs
            .jar
            .iter()
            .enumerate()
            .find(|(i, c)| !claimed[*i] && c.name == name);
        let parser_says = format!(
            "parser: {} {:?}{}",
            if stored { "stores" } else { "does not store" },
            name,
            match (parsed.rejection, expiry) {
                (Some(r), _) => format!(" (rejected: {})", r.as_str()),
                (None, Expiry::Expired) => " (a deletion)".to_owned(),
                _ => String::new(),
            }
        );
        let Some((i, cookie)) = found else {
            // A cookie the parser gives no more than the slack may have expired in the browser
            // before its jar was read (a one-second `Expires` after `Date`): its absence says
            // nothing. Found, it is compared like any other below.
            #[allow(clippy::cast_precision_loss)]
            let may_be_gone = matches!(expiry, Expiry::At(at) if (at - now) as f64 <= slack);
            if stored && !may_be_gone {
                failures.push(failure(
                    "parser:presence",
                    Some(header),
                    format!("{parser_says}; browser: not in the jar"),
                ));
            }
            continue;
        };
        claimed[i] = true;
        let seen = describe(cookie, obs.visit_started);
        if !stored {
            failures.push(failure(
                "parser:presence",
                Some(header),
                format!("{parser_says}; browser stored {seen}"),
            ));
            continue;
        }
        let mut differs = |class: &str, what: String| {
            failures.push(failure(
                class,
                Some(header),
                format!("{what}; browser stored {seen}"),
            ));
        };
        let lifetime = cookie.lifetime_from(obs.visit_started);
        match (expiry, lifetime) {
            (Expiry::Session, None) => {}
            (Expiry::At(at), Some(s)) => {
                #[allow(clippy::cast_precision_loss)]
                let expected = (at - now) as f64;
                if (s - expected).abs() > slack {
                    differs(
                        "parser:expiry_time",
                        format!("parser: lifetime {expected:.0}s (Date base {now})"),
                    );
                }
            }
            (Expiry::Session, Some(_)) => differs("parser:expiry_class", "parser: session".to_owned()),
            (Expiry::At(at), None) => {
                differs("parser:expiry_class", format!("parser: expires in {}s", at - now));
            }
            (Expiry::Expired, _) => unreachable!("a deletion is not stored"),
        }
        if parsed.secure != cookie.secure {
            differs("parser:secure", format!("parser: secure={}", parsed.secure));
        }
        if parsed.http_only != cookie.http_only {
            differs(
                "parser:http_only",
                format!("parser: httpOnly={}", parsed.http_only),
            );
        }
        if stored_same_site(parsed.same_site) != cookie.same_site {
            differs(
                "parser:same_site",
                format!("parser: sameSite={:?}", parsed.same_site),
            );
        }
        let path = String::from_utf8_lossy(parsed.effective_path(&url));
        if path != cookie.path {
            differs("parser:path", format!("parser: path={path}"));
        }
        match parsed.domain.as_deref() {
            None if !(cookie.host_only && cookie.domain == obs.host) => {
                differs("parser:domain", format!("parser: host-only {}", obs.host));
            }
            Some(domain) if cookie.host_only || cookie.domain != domain => {
                differs("parser:domain", format!("parser: domain={domain}"));
            }
            _ => {}
        }
        if obs.partitioned_known && parsed.partitioned != cookie.partitioned {
            differs(
                "parser:partitioned",
                format!("parser: partitioned={}", parsed.partitioned),
            );
        }
    }
    for (cookie, _) in obs.jar.iter().zip(&claimed).filter(|(_, claimed)| !**claimed) {
        failures.push(failure(
            "parser:unexplained",
            header_of(obs.leaving, cookie),
            format!(
                "browser stored {} that no leaving header sets as the parser reads it",
                describe(cookie, obs.visit_started)
            ),
        ));
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: f64 = 1_796_270_400.0;

    fn jar_cookie(name: &str) -> StoredCookie {
        StoredCookie {
            name: name.to_owned(),
            domain: "app.warden.test".to_owned(),
            host_only: true,
            path: "/".to_owned(),
            secure: true,
            http_only: true,
            same_site: StoredSameSite::Lax,
            expires: None,
            partitioned: false,
        }
    }

    fn observe<'a>(leaving: &'a [String], dates: &'a [String], jar: &'a [StoredCookie]) -> Observation<'a> {
        Observation {
            host: "app.warden.test",
            path: "/",
            leaving,
            leaving_dates: dates,
            fetched_at: NOW,
            jar,
            visit_started: NOW,
            visit_ended: NOW + 1.0,
            partitioned_known: true,
        }
    }

    fn classes(failures: &[Failure]) -> Vec<&str> {
        failures.iter().map(|f| f.class.as_str()).collect()
    }

    #[test]
    fn an_allowed_session_cookie_keeps_both_properties() {
        let leaving = ["s_1=v; Path=/; Secure; HttpOnly; SameSite=Lax".to_owned()];
        let jar = [jar_cookie("s_1")];
        let obs = observe(&leaving, &[], &jar);
        assert_eq!(check_policy(&obs), []);
        assert_eq!(check_parser(&obs), []);
    }

    #[test]
    fn the_issues_bypass_breaks_both_properties() {
        // The proxy let a "deletion" of an unlisted cookie out; the browser read a 2030 date.
        let leaving = ["tracker=1; Expires=01 Jan 1999:00 2030 00:00:00".to_owned()];
        let jar = [StoredCookie {
            secure: false,
            http_only: false,
            same_site: StoredSameSite::Unspecified,
            expires: Some(NOW + 400.0 * 86_400.0),
            ..jar_cookie("tracker")
        }];
        let obs = observe(&leaving, &[], &jar);
        assert_eq!(classes(&check_policy(&obs)), ["policy:unlisted"]);
        assert_eq!(classes(&check_parser(&obs)), ["parser:presence"]);
        let message = check_parser(&obs)[0].to_string();
        assert!(
            message.contains("tracker=<value>") && !message.contains("tracker=1"),
            "{message}"
        );
    }

    #[test]
    fn a_cookie_shorter_than_the_slack_may_be_gone_from_the_jar() {
        // The fuzz's find (Firefox, seed 1796297584849596729): `Date` the epoch, `Expires` one
        // second later: a one-second cookie, expired before the jar was read.
        let dates = ["Thu, 01 Jan 1970 00:00:00 GMT".to_owned()];
        let leaving = ["h_37=v; Expires=Thu, 01 Jan 1970 00:00:01 GMT; Secure; SameSite=Lax".to_owned()];
        assert_eq!(check_parser(&observe(&leaving, &dates, &[])), []);
        // Still there, it is compared as usual: one second, not an hour.
        let jar = [StoredCookie {
            http_only: false,
            expires: Some(NOW + 3600.0),
            ..jar_cookie("h_37")
        }];
        assert_eq!(
            classes(&check_parser(&observe(&leaving, &dates, &jar))),
            ["parser:expiry_time"]
        );
        // A cookie that outlives the slack must be in the jar.
        let hour = ["h_38=v; Expires=Thu, 01 Jan 1970 01:00:00 GMT; Secure; SameSite=Lax".to_owned()];
        assert_eq!(
            classes(&check_parser(&observe(&hour, &dates, &[]))),
            ["parser:presence"]
        );
    }

    #[test]
    fn lifetimes_are_measured_against_a_date_the_project_reads() {
        // Date a day behind: Expires one hour after Date is an hour's cookie.
        let date = cookie_warden_core::set_cookie::ImfFixdate(NOW as i64 - 86_400).to_string();
        let expires = cookie_warden_core::set_cookie::ImfFixdate(NOW as i64 - 86_400 + 3600).to_string();
        let leaving = [format!("h_1=v; Path=/; Secure; SameSite=Lax; Expires={expires}")];
        let jar = [StoredCookie {
            http_only: false,
            expires: Some(NOW + 3600.0),
            ..jar_cookie("h_1")
        }];
        let dates = [date];
        assert_eq!(check_parser(&observe(&leaving, &dates, &jar)), []);
        assert_eq!(check_policy(&observe(&leaving, &dates, &jar)), []);
        // Without the Date, the parser reads a cookie already expired: the browser disagrees.
        assert_eq!(
            classes(&check_parser(&observe(&leaving, &[], &jar))),
            ["parser:presence"]
        );
    }

    #[test]
    fn attribute_and_rule_differences_are_named() {
        let leaving = ["p_2=v; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=60".to_owned()];
        let jar = [StoredCookie {
            same_site: StoredSameSite::Lax,
            host_only: false,
            domain: "warden.test".to_owned(),
            expires: Some(NOW + 60.0),
            ..jar_cookie("p_2")
        }];
        let obs = observe(&leaving, &[], &jar);
        assert_eq!(
            classes(&check_policy(&obs)),
            ["policy:same_site", "policy:domain"]
        );
        assert_eq!(
            classes(&check_parser(&obs)),
            ["parser:same_site", "parser:domain"]
        );
        let extra = [jar_cookie("u_9")];
        assert_eq!(
            classes(&check_parser(&observe(&[], &[], &extra))),
            ["parser:unexplained"]
        );
        assert_eq!(
            classes(&check_policy(&observe(&[], &[], &extra))),
            ["policy:unlisted"]
        );
    }
}
