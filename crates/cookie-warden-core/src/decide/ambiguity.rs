//! `ambiguous`: a header that browsers read differently from one another or from the draft.
//!
//! Every flag of [`Ambiguities`](crate::set_cookie::Ambiguities) is a violation. Most disappear
//! in the canonical form (one Max-Age, one Expires, `Path=/` for `__Host-`); a tab in the name or
//! value and a nameless cookie whose value holds `=` cannot be written in a form every browser
//! reads alike, so such a header can only be stripped.
//!
//! One flag changes what the header *is*: an Expires whose year is out of range (`1600`), with no
//! valid Max-Age, is ignored by the draft (a session cookie) but read by Chromium as a date in
//! the past (a deletion). The upstream meant a deletion, so such a header is judged as one, and
//! its canonical form is written as a deletion (`Max-Age=0`), which every browser reads alike.

use super::fix::{Correction, LifetimeFix};
use super::{Findings, Reason};
use crate::decision::{Verdict, ViolationKind};
use crate::set_cookie::SetCookie;

/// Records an `ambiguous` violation when the parser flagged any difference; `action` is what
/// `enforcement.noncompliant` asks for (an unfixable header is stripped at least).
pub(super) fn check(
    cookie: &SetCookie<'_>,
    findings: &mut Findings<'_, '_>,
    correction: &mut Correction<'_>,
    action: Verdict,
) {
    let flags = cookie.ambiguities;
    if flags.is_empty() {
        return;
    }
    let fixable = flags.fixed_by_canonical_form();
    if !fixable {
        correction.unfixable = true;
    }
    if flags.host_prefix_path_not_slash {
        correction.path = Some(b"/");
    }
    if chromium_deletes(cookie) {
        correction.lifetime = Some(LifetimeFix::MaxAge(0));
    }
    let action = if fixable {
        action
    } else {
        action.max(Verdict::Strip)
    };
    findings.push(ViolationKind::Ambiguous, Reason::Ambiguous(flags), action);
}

/// Chromium reads the header as a deletion where the draft does not: the last Expires has a year
/// out of range (Chromium: in the past) and no valid Max-Age overrides it.
pub(super) fn chromium_deletes(cookie: &SetCookie<'_>) -> bool {
    cookie.ambiguities.expires_year_out_of_range && cookie.max_age.is_none()
}
