//! The request side: the request's `Cookie` headers, reported or stripped per `request_cookies`,
//! and the consent cookie and purge list the response side needs.
//!
//! Each pair is judged with the pairs a comma-splitting parser would read inside it
//! ([`Judge::request_pair`](cookie_warden_core::decide::Judge::request_pair)); a pair that is
//! stripped is removed whole. The `on_violation` hook hears of every violating pair, once, under the
//! pair's own name: a pair that is wrong only through what it hides is reported as `hidden_pair`,
//! and the text after its comma (part of its value) is never named. Events are aggregated per
//! reason and action ([`RequestViolations`]).

use std::fmt;
use std::ops::Range;

use cookie_warden_core::consent::ConsentState;
use cookie_warden_core::cookie_header::{self, CookiePair};
use cookie_warden_core::decide::RequestCookieAction;
use cookie_warden_core::policy::CompiledPolicy;
use cookie_warden_core::policy::model::{Mode, RequestCookies};
use http::header::{COOKIE, Entry};
use http::{HeaderMap, HeaderValue};

use crate::context::RequestFacts;
use crate::events::{CookieSource, RequestViolations, ViolationReport};
use crate::layer::Shared;

/// What the request side hands to the response side.
#[derive(Default)]
pub(crate) struct RequestSide {
    /// The `Cookie` header holding the policy's consent cookie (a cheap clone, marked sensitive),
    /// and where the consent cookie's value lies in it.
    pub(crate) consent_header: Option<(HeaderValue, Range<usize>)>,
    /// `Set-Cookie` headers expiring cookies of withdrawn categories (`[consent] purge = true`).
    pub(crate) purge: Vec<HeaderValue>,
}

/// Never prints a header: both fields carry cookie values.
impl fmt::Debug for RequestSide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestSide")
            .field(
                "consent_header",
                &self.consent_header.as_ref().map(|_| "<redacted>"),
            )
            .field("purge", &self.purge.len())
            .finish()
    }
}

impl RequestSide {
    /// The raw value of the policy's consent cookie on the request, if any.
    pub(crate) fn consent_cookie(&self) -> Option<&[u8]> {
        consent_value(self.consent_header.as_ref())
    }
}

/// The consent cookie's value in the header found by [`find_consent`].
fn consent_value(found: Option<&(HeaderValue, Range<usize>)>) -> Option<&[u8]> {
    found.map(|(header, range)| &header.as_bytes()[range.clone()])
}

/// The first `Cookie` header holding the consent cookie `name`, and where its value lies in it.
fn find_consent(headers: &HeaderMap, name: &[u8]) -> Option<(HeaderValue, Range<usize>)> {
    headers.get_all(COOKIE).iter().find_map(|header| {
        let bytes = header.as_bytes();
        let value = cookie_header::find(bytes, name)?;
        // `value` is a part of `bytes` (as `find` promises): its offset there, without scanning
        // the header again.
        let start = value.as_ptr() as usize - bytes.as_ptr() as usize;
        debug_assert!(start + value.len() <= bytes.len() && &bytes[start..start + value.len()] == value);
        let mut header = header.clone();
        header.set_sensitive(true);
        Some((header, start..start + value.len()))
    })
}

/// Reads the consent cookie, then reports or strips the request's cookies as the policy says.
pub(crate) fn apply(
    policy: &CompiledPolicy,
    facts: &mut RequestFacts,
    shared: &Shared,
    headers: &mut HeaderMap,
) -> RequestSide {
    let consent = policy.consent();
    let consent_header = consent.and_then(|consent| find_consent(headers, consent.cookie.as_bytes()));

    let mode = policy.enforcement().request_cookies;
    let purge = consent.is_some_and(|c| c.purge);
    if (mode == RequestCookies::Pass && !purge) || !headers.contains_key(COOKIE) {
        return RequestSide {
            consent_header,
            purge: Vec::new(),
        };
    }
    let enforced = policy.mode() == Mode::Enforce;

    facts.resolve_host();
    let facts = &*facts;
    let host = facts.host();
    let consent_cookie = consent_value(consent_header.as_ref());
    let context = facts.context(&host, consent_cookie);
    let judge = policy.judge(&context);
    let consent_state = Some(*judge.consent()).filter(ConsentState::is_configured);

    let base = ViolationReport {
        source: CookieSource::Request,
        decision: None,
        cookie_name: b"",
        rule: None,
        category: None,
        violations: "",
        action: "reported",
        enforced: false,
        scope: judge.scope(),
        consent: consent_state,
        error: None,
        method: facts.method(),
        path: facts.path(),
        host: &host,
        status: None,
    };
    let mut strip_any = false;
    let mut purged: Vec<&[u8]> = Vec::new();
    let mut purge_headers = Vec::new();
    let mut violations = RequestViolations::new();
    for value in headers.get_all(COOKIE) {
        for pair in cookie_header::pairs(value.as_bytes()) {
            let verdict = judge.request_pair(&pair);
            if verdict.purge && enforced && !purged.contains(&pair.name) {
                // Each name once, however often the browser sends it.
                purged.push(pair.name);
                for expire in judge.deletion_headers(pair.name) {
                    if let Ok(mut expire) = HeaderValue::from_bytes(&expire) {
                        expire.set_sensitive(true);
                        purge_headers.push(expire);
                    }
                }
            }
            let Some(reason) = verdict.reason else { continue };
            if verdict.action == RequestCookieAction::Keep {
                continue;
            }
            let strip = verdict.action == RequestCookieAction::Strip && enforced;
            strip_any |= strip;
            // One report per pair, under the pair's own name: a pair hiding others behind a
            // comma says `hidden_pair` when only they are wrong. The hidden pairs are never named:
            // their text is part of this pair's value.
            let report = ViolationReport {
                cookie_name: pair.name,
                rule: verdict.rule,
                category: verdict.category,
                violations: reason.as_str(),
                action: if strip { "stripped" } else { "reported" },
                enforced: strip,
                ..base
            };
            if let Some(hook) = &shared.on_violation {
                hook(&report);
            }
            violations.add(&report);
        }
    }
    violations.emit(policy.events(), &base);

    if strip_any {
        let keep = |pair: &CookiePair<'_>| judge.request_pair(pair).action != RequestCookieAction::Strip;
        strip_cookie_headers(headers, keep);
    }
    RequestSide {
        consent_header,
        purge: purge_headers,
    }
}

/// Rewrites each `Cookie` header without the pairs `keep` rejects: the kept pairs re-joined
/// exactly, an unchanged header left as it came, an emptied one removed.
fn strip_cookie_headers(headers: &mut HeaderMap, keep: impl Fn(&CookiePair<'_>) -> bool) {
    let originals: Vec<HeaderValue> = match headers.entry(COOKIE) {
        Entry::Occupied(entry) => entry.remove_entry_mult().1.collect(),
        Entry::Vacant(_) => return,
    };
    let mut joined = Vec::new();
    for original in originals {
        if cookie_header::pairs(original.as_bytes()).all(|pair| keep(&pair)) {
            headers.append(COOKIE, original);
            continue;
        }
        joined.clear();
        cookie_header::join(
            cookie_header::pairs(original.as_bytes()).filter(|pair| keep(pair)),
            &mut joined,
        );
        if joined.is_empty() {
            continue;
        }
        // The kept pairs are bytes of a valid header value joined by "; ": still valid.
        if let Ok(mut value) = HeaderValue::from_bytes(&joined) {
            value.set_sensitive(original.is_sensitive());
            headers.append(COOKIE, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookies(headers: &HeaderMap) -> Vec<&str> {
        headers
            .get_all(COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect()
    }

    #[test]
    fn stripping_rejoins_kept_pairs_per_header_and_drops_emptied_headers() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1;b=2"));
        headers.append(COOKIE, HeaderValue::from_static("x=1; a=2;  keep=3"));
        headers.append(COOKIE, HeaderValue::from_static("x=9"));
        headers.append("other", HeaderValue::from_static("v"));
        strip_cookie_headers(&mut headers, |pair| pair.name != b"x");
        assert_eq!(cookies(&headers), ["a=1;b=2", "a=2; keep=3"]);
        assert_eq!(headers["other"], "v");
    }

    #[test]
    fn stripping_everything_removes_the_header() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("x=1"));
        strip_cookie_headers(&mut headers, |_| false);
        assert!(!headers.contains_key(COOKIE));
    }
}
