//! Lifetimes, measured as browsers measure them: a valid Max-Age wins, else the last valid Expires
//! against `now`, capped at 400 days.
//!
//! - `session`: neither Max-Age nor Expires (`not_session`; fix: remove both);
//! - a duration: an explicit expiry no later than the duration from now (`missing_expiry`,
//!   `lifetime_exceeded`; fix: `Max-Age` = the duration, Expires removed);
//! - `persistent`: a session cookie, or an expiry no later than `enforcement.max_lifetime`
//!   (`lifetime_exceeded`; fix: `Max-Age` = `max_lifetime`).

use super::detail::ExpirySet;
use super::fix::{Correction, LifetimeFix};
use super::{Findings, Reason};
use crate::decision::{Verdict, ViolationKind};
use crate::policy::{CompiledRule, Lifetime};
use crate::set_cookie::SetCookie;

/// Records the lifetime violation of `cookie` under `rule`, if any. Not called for deletions.
pub(super) fn check<'p>(
    cookie: &SetCookie<'_>,
    rule: &'p CompiledRule,
    max_lifetime: i64,
    now: i64,
    findings: &mut Findings<'_, 'p>,
    correction: &mut Correction<'_>,
    action: Verdict,
) {
    let lifetime = cookie.lifetime(now);
    match (rule.lifetime(), lifetime) {
        (Lifetime::Session, _) => {
            if cookie.max_age.is_some() || cookie.expires.is_some() {
                let reason = Reason::NotSession {
                    rule,
                    set: expiry_attributes(cookie),
                };
                findings.push(ViolationKind::NotSession, reason, action);
                correction.lifetime = Some(LifetimeFix::Session);
            }
        }
        (Lifetime::AtMost(_), None) => {
            let max = rule.lifetime().max_seconds(max_lifetime).unwrap_or(max_lifetime);
            let reason = Reason::MissingExpiry { rule, max };
            findings.push(ViolationKind::MissingExpiry, reason, action);
            correction.lifetime = Some(LifetimeFix::MaxAge(max));
        }
        (Lifetime::Persistent, None) => {}
        (allowed, Some(seconds)) => {
            let max = allowed.max_seconds(max_lifetime).unwrap_or(max_lifetime);
            if seconds > max {
                let reason = Reason::LifetimeExceeded {
                    rule,
                    max,
                    set: expiry_attributes(cookie),
                    seconds,
                };
                findings.push(ViolationKind::LifetimeExceeded, reason, action);
                correction.lifetime = Some(LifetimeFix::MaxAge(max));
            }
        }
    }
}

/// Which attribute decides the expiry, for details.
fn expiry_attributes(cookie: &SetCookie<'_>) -> ExpirySet {
    match (cookie.max_age.is_some(), cookie.expires.is_some()) {
        (true, true) => ExpirySet::MaxAgeAndExpires,
        (true, false) => ExpirySet::MaxAge,
        (false, _) => ExpirySet::Expires,
    }
}
