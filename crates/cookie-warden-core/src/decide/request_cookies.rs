//! The request side: which cookies of the request's `Cookie` header reach the application, and
//! which the response should expire because their category's consent is withdrawn.
//!
//! A cookie the application should not see is one no rule allows in the request's scope
//! (`unlisted`, `out_of_scope`) or one whose category needs consent the visitor has not given
//! (`consent_withdrawn`, after Global Privacy Control). `enforcement.request_cookies` decides what
//! happens to it: `pass` keeps it silently, `report` keeps it and reports it, `strip` removes it.
//!
//! A pair whose bytes a comma-splitting server parser would read as further pairs
//! (`sid=1,tracker=2`; see [`crate::cookie_header::hidden_pairs`]) is judged with those pairs too
//! ([`Judge::request_pair`]): each hidden pair by its own name, and the pair that hides them takes
//! the strongest action among them. A hidden pair cannot be cut out without changing the outer
//! cookie's value, so when one of them is not allowed the whole pair is stripped (fail closed),
//! with the reason `hidden_pair`.
//!
//! With `[consent] purge = true`, a withdrawn category's cookies that the browser still sends are
//! also expired by the response: [`Judge::purge_list`] names them, and [`Judge::deletion_headers`]
//! writes the `Set-Cookie` headers that delete them where the rule lets them live.

use std::fmt;

use super::Judge;
use crate::cookie_header::{self, CookiePair};
use crate::policy::model::{Category, RequestCookies, SameSiteMin};
use crate::policy::{CompiledRule, NameMatch};
use crate::set_cookie::default_path;
use crate::set_cookie::domain::domain_matches;
use crate::set_cookie::prefix::CookiePrefix;

/// What happens to one request cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RequestCookieAction {
    /// Passes to the application, nothing to report.
    Keep,
    /// Passes to the application, and is reported (`request_cookies = "report"`).
    Report,
    /// Removed from the `Cookie` header before the application sees it.
    Strip,
}

impl RequestCookieAction {
    /// The snake_case name used in events.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestCookieAction::Keep => "keep",
            RequestCookieAction::Report => "report",
            RequestCookieAction::Strip => "strip",
        }
    }
}

/// Why a request cookie should not reach the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum RequestCookieReason {
    /// No rule matches the name.
    Unlisted,
    /// Rules match the name, but none allows it in the request's scope.
    OutOfScope,
    /// The cookie's category needs consent that the visitor has not given (or withdrew with GPC).
    ConsentWithdrawn,
    /// The pair is allowed by its own name, but a parser that splits on `,` reads further pairs
    /// in it, and one of those is not allowed (see [`Judge::request_pair`]).
    HiddenPair,
}

impl RequestCookieReason {
    /// The snake_case name used in events.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestCookieReason::Unlisted => "unlisted",
            RequestCookieReason::OutOfScope => "out_of_scope",
            RequestCookieReason::ConsentWithdrawn => "consent_withdrawn",
            RequestCookieReason::HiddenPair => "hidden_pair",
        }
    }
}

impl fmt::Display for RequestCookieReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The verdict on one request cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestCookieVerdict<'p> {
    /// What happens to it.
    pub action: RequestCookieAction,
    /// Why it should not reach the application; `None` when it may. Set under `pass` too.
    pub reason: Option<RequestCookieReason>,
    /// The matching rule's name as written; `None` when no rule matches.
    pub rule: Option<&'p str>,
    /// The matching rule's category.
    pub category: Option<Category>,
    /// The response should expire it (`[consent] purge = true` and its consent is withdrawn).
    pub purge: bool,
}

impl<'p> Judge<'p, '_> {
    /// Judges one cookie of the request's `Cookie` header by its name (see
    /// [`crate::cookie_header::pairs`]). Allocates nothing.
    pub fn request_cookie(&self, name: &[u8]) -> RequestCookieVerdict<'p> {
        let (reason, rule) = match self.policy.match_name(name, self.scope) {
            NameMatch::Unlisted => (Some(RequestCookieReason::Unlisted), None),
            NameMatch::OutOfScope(rule) => (Some(RequestCookieReason::OutOfScope), Some(rule)),
            NameMatch::InScope(rule) if !self.consent.allows(rule.category()) => {
                (Some(RequestCookieReason::ConsentWithdrawn), Some(rule))
            }
            NameMatch::InScope(rule) => (None, Some(rule)),
        };
        let action = match (reason, self.policy.enforcement().request_cookies) {
            (None, _) | (Some(_), RequestCookies::Pass) => RequestCookieAction::Keep,
            (Some(_), RequestCookies::Report) => RequestCookieAction::Report,
            (Some(_), RequestCookies::Strip) => RequestCookieAction::Strip,
        };
        let purge = reason == Some(RequestCookieReason::ConsentWithdrawn)
            && self.policy.consent().is_some_and(|c| c.purge);
        RequestCookieVerdict {
            action,
            reason,
            rule: rule.map(CompiledRule::name),
            category: rule.map(CompiledRule::category),
            purge,
        }
    }

    /// Judges one pair of the request's `Cookie` header together with the pairs a comma-splitting
    /// parser would read inside it ([`crate::cookie_header::hidden_pairs`]). Allocates nothing.
    ///
    /// The verdict is the pair's own ([`Judge::request_cookie`]) unless a hidden pair asks for a
    /// stronger action (`Strip` over `Report` over `Keep`): then the pair takes that action with
    /// the reason [`RequestCookieReason::HiddenPair`] when its own name is allowed, or keeps its
    /// own reason when it is not. Rule, category and purge stay the pair's own. The hidden pairs'
    /// own verdicts are [`Judge::request_cookie`] of their names.
    ///
    /// ```
    /// use cookie_warden_core::cookie_header::pairs;
    /// use cookie_warden_core::decide::{RequestCookieAction, RequestCookieReason};
    /// use cookie_warden_core::policy::load;
    /// use cookie_warden_core::request::{RequestContext, RequestUrl};
    ///
    /// let policy = load::from_toml_str("p.toml", r#"
    ///     version = 1
    ///     [enforcement]
    ///     request_cookies = "strip"
    ///     [[cookie]]
    ///     name = "sid"
    ///     lifetime = "session"
    /// "#).unwrap().policy;
    /// let url = RequestUrl { secure: true, host: "example.com", path: "/" };
    /// let request = RequestContext { url, method: "GET", gpc: false, consent_cookie: None };
    /// let judge = policy.judge(&request);
    ///
    /// let smuggled = pairs(b"sid=1,tracker=2").next().unwrap();
    /// let verdict = judge.request_pair(&smuggled);
    /// assert_eq!(verdict.action, RequestCookieAction::Strip);
    /// assert_eq!(verdict.reason, Some(RequestCookieReason::HiddenPair));
    ///
    /// let plain = pairs(b"sid=a,b").next().unwrap();
    /// assert_eq!(judge.request_pair(&plain).action, RequestCookieAction::Keep);
    /// ```
    pub fn request_pair(&self, pair: &CookiePair<'_>) -> RequestCookieVerdict<'p> {
        let mut verdict = self.request_cookie(pair.name);
        for hidden in cookie_header::hidden_pairs(pair) {
            let action = self.request_cookie(hidden.name).action;
            if action > verdict.action {
                verdict.action = action;
                if verdict.reason.is_none() {
                    verdict.reason = Some(RequestCookieReason::HiddenPair);
                }
            }
            if verdict.action == RequestCookieAction::Strip {
                break;
            }
        }
        verdict
    }

    /// The names of the request's cookies that the response should expire (`purge`), each once,
    /// in the order of the `Cookie` header. Empty unless `[consent] purge = true`.
    pub fn purge_list<'h>(&self, cookie_header: &'h [u8]) -> Vec<&'h [u8]> {
        let mut names: Vec<&'h [u8]> = Vec::new();
        if !self.policy.consent().is_some_and(|c| c.purge) {
            return names;
        }
        for pair in cookie_header::pairs(cookie_header) {
            if self.request_cookie(pair.name).purge && !names.contains(&pair.name) {
                names.push(pair.name);
            }
        }
        names
    }

    /// `Set-Cookie` header values that delete the cookie `name` (`Max-Age=0`) wherever its rule
    /// lets it live, so that the deletion hits the stored cookie: for the rule's `path`, or else
    /// for `/` and the request's default path; host-only, and for each of the rule's `domains` that
    /// the request host domain-matches. Each header is written in canonical order and satisfies
    /// the rule's Secure, HttpOnly and SameSite requirements, so that it passes the policy under
    /// either `deletions` setting. `__Host-` names get `Path=/` and no Domain; a prefixed name on
    /// a plain-`http` request cannot be deleted (a browser would reject the header): empty.
    pub fn deletion_headers(&self, name: &[u8]) -> Vec<Vec<u8>> {
        let rule = match self.policy.match_name(name, self.scope) {
            NameMatch::InScope(rule) | NameMatch::OutOfScope(rule) => Some(rule),
            NameMatch::Unlisted => None,
        };
        let prefix = CookiePrefix::of(name);
        if name.is_empty() || (prefix.is_some() && !self.url.secure) {
            return Vec::new();
        }
        let mut paths: Vec<&[u8]> = Vec::with_capacity(2);
        match (prefix, rule.and_then(CompiledRule::path)) {
            (Some(CookiePrefix::Host), _) => paths.push(b"/"),
            (_, Some(path)) => paths.push(path.as_bytes()),
            (_, None) => {
                paths.push(b"/");
                let here = default_path(self.url.path).as_bytes();
                if here != b"/" {
                    paths.push(here);
                }
            }
        }
        let mut domains: Vec<Option<&str>> = vec![None];
        if prefix != Some(CookiePrefix::Host) {
            let listed = rule.and_then(CompiledRule::domains).unwrap_or_default();
            domains.extend(
                listed
                    .iter()
                    .filter(|d| domain_matches(self.url.host, d))
                    .map(|d| Some(d.as_str())),
            );
        }
        let mut headers = Vec::with_capacity(paths.len() * domains.len());
        for path in &paths {
            for domain in &domains {
                let mut out = Vec::with_capacity(name.len() + 64);
                out.extend_from_slice(name);
                out.extend_from_slice(b"=; Path=");
                out.extend_from_slice(path);
                if let Some(domain) = domain {
                    out.extend_from_slice(b"; Domain=");
                    out.extend_from_slice(domain.as_bytes());
                }
                out.extend_from_slice(b"; Max-Age=0");
                if self.url.secure {
                    out.extend_from_slice(b"; Secure");
                }
                if rule.is_some_and(CompiledRule::http_only) {
                    out.extend_from_slice(b"; HttpOnly");
                }
                match rule.map(CompiledRule::same_site) {
                    Some(SameSiteMin::Strict) => out.extend_from_slice(b"; SameSite=Strict"),
                    Some(SameSiteMin::Lax) => out.extend_from_slice(b"; SameSite=Lax"),
                    Some(SameSiteMin::None) | None => {}
                }
                headers.push(out);
            }
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cookie_header::pairs;
    use crate::policy::load::from_toml_str;
    use crate::request::{ConsentCookie, RequestContext, RequestUrl};

    const POLICY: &str = r#"
version = 1

[enforcement]
request_cookies = "strip"

[consent]
cookie = "cookie_consent"
format = "list"

[[cookie]]
name = "cookie_consent"
lifetime = "12 months"
http_only = false

[[cookie]]
name = "sid"
lifetime = "session"

[[cookie]]
name = "lang"
lifetime = "session"

[[cookie]]
name = "_pk_id"
category = "statistics"
lifetime = "12 months"
"#;

    /// (action, reason) of each pair of `header` under `request_cookies = setting`.
    fn judged(setting: &str, header: &[u8]) -> Vec<(RequestCookieAction, Option<RequestCookieReason>)> {
        let text = POLICY.replace("\"strip\"", setting);
        let policy = from_toml_str("p.toml", &text).unwrap().policy;
        let request = RequestContext {
            url: RequestUrl {
                secure: true,
                host: "example.com",
                path: "/",
            },
            method: "GET",
            gpc: false,
            consent_cookie: Some(ConsentCookie(b"necessary")),
        };
        let judge = policy.judge(&request);
        pairs(header)
            .map(|pair| {
                let verdict = judge.request_pair(&pair);
                (verdict.action, verdict.reason)
            })
            .collect()
    }

    use RequestCookieAction::{Keep, Report, Strip};
    use RequestCookieReason::{ConsentWithdrawn, HiddenPair, Unlisted};

    #[test]
    fn an_allowed_pair_hiding_a_forbidden_one_is_stripped_whole() {
        assert_eq!(
            judged("\"strip\"", b"sid=1,tracker=2"),
            [(Strip, Some(HiddenPair))]
        );
        assert_eq!(
            judged("\"strip\"", b"sid=1, tracker=2"),
            [(Strip, Some(HiddenPair))]
        );
        assert_eq!(
            judged("\"strip\"", b"sid=\"1,tracker=2\""),
            [(Strip, Some(HiddenPair))]
        );
        assert_eq!(
            judged("\"strip\"", b"sid=1,=nameless"),
            [(Strip, Some(HiddenPair))]
        );
        assert_eq!(
            judged("\"strip\"", b"sid=1,_pk_id=2"),
            [(Strip, Some(HiddenPair))],
            "consent for statistics is not given"
        );
        // Its own reason wins when the pair is forbidden by its own name.
        assert_eq!(
            judged("\"strip\"", b"_pk_id=1,tracker=2"),
            [(Strip, Some(ConsentWithdrawn))]
        );
        assert_eq!(judged("\"strip\"", b"tracker=1,sid=2"), [(Strip, Some(Unlisted))]);
    }

    #[test]
    fn allowed_hidden_pairs_and_plain_lists_pass() {
        assert_eq!(judged("\"strip\"", b"sid=1,lang=sv"), [(Keep, None)]);
        assert_eq!(
            judged("\"strip\"", b"cookie_consent=necessary,statistics; sid=a,b, c"),
            [(Keep, None), (Keep, None)]
        );
        assert_eq!(judged("\"strip\"", b"sid=1,,, ,"), [(Keep, None)]);
    }

    #[test]
    fn report_and_pass_follow_the_setting() {
        assert_eq!(
            judged("\"report\"", b"sid=1,tracker=2"),
            [(Report, Some(HiddenPair))]
        );
        assert_eq!(judged("\"pass\"", b"sid=1,tracker=2"), [(Keep, None)]);
    }
}
