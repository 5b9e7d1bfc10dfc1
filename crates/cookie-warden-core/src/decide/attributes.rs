//! Attribute requirements of a rule: `Secure`, `HttpOnly`, the SameSite minimum, the exact Path,
//! the allowed Domains; and attribute values too long for browsers.

use std::borrow::Cow;

use super::fix::Correction;
use super::{Findings, Reason};
use crate::decision::{Verdict, ViolationKind};
use crate::policy::CompiledRule;
use crate::policy::model::SameSiteMin;
use crate::request::RequestUrl;
use crate::set_cookie::{SameSite, SetCookie};

/// `oversize`: attribute values over 1024 bytes, which browsers ignore as if absent. The fix is
/// the canonical form, which leaves them out (what every browser reads anyway); a name and value
/// over 4096 bytes make the browser drop the whole line and are judged as a rejection instead.
pub(super) fn check_oversize(cookie: &SetCookie<'_>, findings: &mut Findings<'_, '_>, action: Verdict) {
    let count = cookie.attributes.oversize;
    if count > 0 {
        findings.push(ViolationKind::Oversize, Reason::OversizeAttributes(count), action);
    }
}

/// Records every attribute requirement of `rule` that `cookie` breaks, and how to fix each.
pub(super) fn check<'p>(
    cookie: &SetCookie<'_>,
    rule: &'p CompiledRule,
    url: &RequestUrl<'_>,
    findings: &mut Findings<'_, 'p>,
    correction: &mut Correction<'p>,
    action: Verdict,
) {
    if rule.secure() && !cookie.secure {
        let reason = Reason::RequiresSecure(rule);
        findings.push(ViolationKind::MissingSecure, reason, action);
        correction.secure = true;
    }
    if rule.http_only() && !cookie.http_only {
        let reason = Reason::RequiresHttpOnly(rule);
        findings.push(ViolationKind::MissingHttpOnly, reason, action);
        correction.http_only = true;
    }
    if let Some(minimum) = same_site_below(cookie.same_site, rule.same_site()) {
        let reason = Reason::WeakSameSite {
            rule,
            minimum,
            have: cookie.same_site,
        };
        findings.push(ViolationKind::WeakSameSite, reason, action);
        correction.same_site = Some(minimum);
    }
    if let Some(required) = rule.path() {
        let effective = cookie.effective_path(url);
        if effective != required.as_bytes() {
            let detail = format!(
                "rule `{}` requires Path={required}; the cookie's path would be {}",
                rule.name(),
                String::from_utf8_lossy(effective)
            );
            findings.push(
                ViolationKind::PathMismatch,
                Reason::Text(Cow::Owned(detail)),
                action,
            );
            correction.path = Some(required.as_bytes());
        }
    }
    if let Some(domain) = cookie.domain.as_deref() {
        let allowed = rule
            .domains()
            .is_some_and(|list| list.iter().any(|d| d == domain));
        if !allowed {
            let detail = match rule.domains() {
                None => format!(
                    "rule `{}` requires a host-only cookie; the header sets Domain={domain}",
                    rule.name()
                ),
                Some(list) => format!(
                    "rule `{}` allows Domain {}; the header sets Domain={domain}",
                    rule.name(),
                    list.join(", ")
                ),
            };
            findings.push(
                ViolationKind::DomainNotAllowed,
                Reason::Text(Cow::Owned(detail)),
                action,
            );
            correction.remove_domain = true;
        }
    }
}

/// The SameSite to write when `have` is weaker than `minimum`; an absent (or unrecognised)
/// SameSite counts as weaker than `Lax`.
fn same_site_below(have: SameSite, minimum: SameSiteMin) -> Option<SameSite> {
    let rank = |s: SameSite| match s {
        SameSite::Strict => 2,
        SameSite::Lax => 1,
        SameSite::None | SameSite::Default => 0,
    };
    let (needed, write) = match minimum {
        SameSiteMin::None => return None,
        SameSiteMin::Lax => (1, SameSite::Lax),
        SameSiteMin::Strict => (2, SameSite::Strict),
    };
    (rank(have) < needed).then_some(write)
}
