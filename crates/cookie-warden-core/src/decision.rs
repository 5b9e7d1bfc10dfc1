//! Decisions: what cookie-warden does with one `Set-Cookie` header, and why.
//!
//! A [`Decision`] is computed by the compiled policy for one header in the context of one request
//! (see `crate::policy::CompiledPolicy::decide`). It never holds the cookie's value except inside
//! [`Decision::rewritten`], the header that leaves, and its `Debug` output never shows that value.

use std::borrow::Cow;
use std::fmt;

use crate::action::Action;
use crate::decide::detail::Reason;

/// What happens to one `Set-Cookie` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// Allowed: passes byte for byte when the header lies inside the proven subset
    /// ([`crate::set_cookie::subset`]); otherwise leaves as the canonical header in
    /// [`Decision::rewritten`], which means the same to every reader. Either way nothing was wrong
    /// with the cookie, so there is no violation and no event.
    Allow,
    /// Leaves as the canonical header in [`Decision::rewritten`].
    Fix,
    /// Removed from the response.
    Strip,
    /// The whole response is replaced (`block_status`, no Set-Cookie at all).
    Block,
}

impl Verdict {
    /// The snake_case name used in events, metrics and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Fix => "fix",
            Verdict::Strip => "strip",
            Verdict::Block => "block",
        }
    }

    /// What enforcing this verdict does to a violating cookie ([`Action::Fixed`],
    /// [`Action::Stripped`], [`Action::Blocked`]); `None` for `allow`.
    pub fn action(self) -> Option<Action> {
        match self {
            Verdict::Allow => None,
            Verdict::Fix => Some(Action::Fixed),
            Verdict::Strip => Some(Action::Stripped),
            Verdict::Block => Some(Action::Blocked),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kinds of violation, snake_case everywhere (API, events, CLI JSON).
///
/// New kinds come with new checks, so outside this crate a `match` needs a `_` arm (use
/// [`ViolationKind::as_str`] or [`ViolationKind::ALL`] to cover every kind there is):
///
/// ```compile_fail
/// use cookie_warden_core::decision::ViolationKind;
///
/// fn urgent(kind: ViolationKind) -> bool {
///     match kind {
///         ViolationKind::Unlisted | ViolationKind::OutOfScope | ViolationKind::Malformed
///         | ViolationKind::Oversize | ViolationKind::NotSession | ViolationKind::LifetimeExceeded
///         | ViolationKind::MissingExpiry | ViolationKind::MissingSecure
///         | ViolationKind::MissingHttpOnly | ViolationKind::WeakSameSite
///         | ViolationKind::SameSiteNoneInsecure | ViolationKind::PathMismatch
///         | ViolationKind::DomainNotAllowed | ViolationKind::PrefixViolation
///         | ViolationKind::ConsentMissing | ViolationKind::Ambiguous => true,
///     }
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ViolationKind {
    /// No rule matches the cookie's name.
    Unlisted,
    /// A rule matches, but not in the request's scope.
    OutOfScope,
    /// A browser would drop the header, or it is not a cookie at all.
    Malformed,
    /// Name and value, or an attribute, exceed a browser's limits.
    Oversize,
    /// A session cookie carries Expires or Max-Age.
    NotSession,
    /// The expiry is later than the rule's lifetime or `max_lifetime` allows.
    LifetimeExceeded,
    /// A cookie with a duration lifetime has no expiry.
    MissingExpiry,
    /// `Secure` is required but absent.
    MissingSecure,
    /// `HttpOnly` is required but absent.
    MissingHttpOnly,
    /// SameSite is weaker than the rule's minimum.
    WeakSameSite,
    /// `SameSite=None` without `Secure`.
    SameSiteNoneInsecure,
    /// The Path attribute differs from the rule's.
    PathMismatch,
    /// A Domain attribute that the rule does not allow.
    DomainNotAllowed,
    /// `__Secure-` / `__Host-` prefix requirements broken.
    PrefixViolation,
    /// A category the visitor has not consented to.
    ConsentMissing,
    /// Browsers read the header differently from one another or from RFC 6265bis.
    Ambiguous,
}

impl ViolationKind {
    /// Every kind, in declaration order.
    pub const ALL: [ViolationKind; 16] = [
        ViolationKind::Unlisted,
        ViolationKind::OutOfScope,
        ViolationKind::Malformed,
        ViolationKind::Oversize,
        ViolationKind::NotSession,
        ViolationKind::LifetimeExceeded,
        ViolationKind::MissingExpiry,
        ViolationKind::MissingSecure,
        ViolationKind::MissingHttpOnly,
        ViolationKind::WeakSameSite,
        ViolationKind::SameSiteNoneInsecure,
        ViolationKind::PathMismatch,
        ViolationKind::DomainNotAllowed,
        ViolationKind::PrefixViolation,
        ViolationKind::ConsentMissing,
        ViolationKind::Ambiguous,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ViolationKind::Unlisted => "unlisted",
            ViolationKind::OutOfScope => "out_of_scope",
            ViolationKind::Malformed => "malformed",
            ViolationKind::Oversize => "oversize",
            ViolationKind::NotSession => "not_session",
            ViolationKind::LifetimeExceeded => "lifetime_exceeded",
            ViolationKind::MissingExpiry => "missing_expiry",
            ViolationKind::MissingSecure => "missing_secure",
            ViolationKind::MissingHttpOnly => "missing_http_only",
            ViolationKind::WeakSameSite => "weak_same_site",
            ViolationKind::SameSiteNoneInsecure => "same_site_none_insecure",
            ViolationKind::PathMismatch => "path_mismatch",
            ViolationKind::DomainNotAllowed => "domain_not_allowed",
            ViolationKind::PrefixViolation => "prefix_violation",
            ViolationKind::ConsentMissing => "consent_missing",
            ViolationKind::Ambiguous => "ambiguous",
        }
    }
}

impl fmt::Display for ViolationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One broken requirement. `detail` names the rule and the attribute, never the cookie's value.
/// `'p` borrows from the compiled policy (the rule and scope names the detail quotes).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Violation<'p> {
    /// What kind of requirement is broken.
    pub kind: ViolationKind,
    /// A human explanation: names the rule and the attribute, never the value.
    pub detail: Detail<'p>,
}

impl<'p> Violation<'p> {
    /// A violation of `kind`, explained by `detail` (which must not quote a cookie's value).
    pub fn new(kind: ViolationKind, detail: impl Into<Detail<'p>>) -> Self {
        Violation {
            kind,
            detail: detail.into(),
        }
    }
}

/// A violation's human explanation. Its text is written only when it is shown (`Display`,
/// `to_string()`): deciding a header builds no text and allocates nothing for it.
///
/// Two details are equal when their texts are; `Debug` shows the text quoted.
#[derive(Clone)]
pub struct Detail<'p>(pub(crate) Reason<'p>);

impl Detail<'_> {
    /// A detail with this text.
    pub fn new(text: impl Into<Cow<'static, str>>) -> Self {
        Detail(Reason::Text(text.into()))
    }
}

impl From<&'static str> for Detail<'_> {
    fn from(text: &'static str) -> Self {
        Detail::new(text)
    }
}

impl From<String> for Detail<'_> {
    fn from(text: String) -> Self {
        Detail::new(text)
    }
}

impl From<Cow<'static, str>> for Detail<'_> {
    fn from(text: Cow<'static, str>) -> Self {
        Detail::new(text)
    }
}

impl fmt::Display for Detail<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for Detail<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.to_string().as_str(), f)
    }
}

impl PartialEq for Detail<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for Detail<'_> {}

/// What to do with one `Set-Cookie` header, and why.
///
/// `'p` borrows from the compiled policy (rule and scope names), `'h` from the header
/// (the cookie's name as a browser reads it).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Decision<'p, 'h> {
    /// What happens to the header.
    pub verdict: Verdict,
    /// The cookie's name as a browser reads it (empty for a nameless cookie or an unreadable header).
    pub name: &'h [u8],
    /// The matching rule's `name` as written in the policy; `None` when no rule matches.
    pub rule: Option<&'p str>,
    /// The id of the request's scope; `None` when the request is in no scope.
    pub scope: Option<&'p str>,
    /// The matching rule's category (`None` when no rule matches).
    pub category: Option<crate::policy::model::Category>,
    /// Every broken requirement, in the order found; empty for `allow`. An empty `Vec` does not
    /// allocate.
    pub violations: Vec<Violation<'p>>,
    /// The canonical header that leaves instead of the original: always for `fix`, and for an
    /// `allow` outside the proven subset (`None` for an `allow` that leaves byte for byte). See
    /// [`Decision::leaving`].
    pub rewritten: Option<Vec<u8>>,
    /// `false` in report-only mode: the decision is traced but not applied.
    pub enforced: bool,
}

impl<'h> Decision<'_, 'h> {
    /// A decision on the cookie `name` with no rule, scope, category, violation or rewrite: a
    /// start for code outside this crate (a stand-in core in tests, a shell's own refusal) that
    /// then sets the fields it needs (the struct may grow, so it has no public literal).
    ///
    /// ```
    /// use cookie_warden_core::action::Action;
    /// use cookie_warden_core::decision::{Decision, Verdict, Violation, ViolationKind};
    ///
    /// let mut decision = Decision::new(Verdict::Strip, b"tracker", true);
    /// decision.violations.push(Violation::new(ViolationKind::Unlisted, "no rule names it"));
    /// assert_eq!(decision.action(), Some(Action::Stripped));
    /// assert_eq!(decision.violation_list(), "unlisted");
    /// ```
    pub fn new(verdict: Verdict, name: &'h [u8], enforced: bool) -> Self {
        Decision {
            verdict,
            name,
            rule: None,
            scope: None,
            category: None,
            violations: Vec::new(),
            rewritten: None,
            enforced,
        }
    }
}

impl Decision<'_, '_> {
    /// The header that leaves for this decision on `header` (the bytes decided): `header` itself
    /// in report-only mode and for an `allow` inside the proven subset, the canonical rewrite for a
    /// `fix` or an `allow` outside it, `None` for `strip` and `block`.
    pub fn leaving<'a>(&'a self, header: &'a [u8]) -> Option<&'a [u8]> {
        if !self.enforced {
            return Some(header);
        }
        match self.verdict {
            Verdict::Allow => Some(self.rewritten.as_deref().unwrap_or(header)),
            Verdict::Fix => self.rewritten.as_deref(),
            Verdict::Strip | Verdict::Block => None,
        }
    }

    /// The violation kinds, comma-separated, as events carry them.
    pub fn violation_list(&self) -> String {
        let mut out = String::new();
        for (i, v) in self.violations.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(v.kind.as_str());
        }
        out
    }

    /// The action an event reports: the verdict's ([`Verdict::action`]), or [`Action::Reported`]
    /// when not enforced; `None` for `allow`.
    pub fn action(&self) -> Option<Action> {
        match self.verdict.action() {
            Some(_) if !self.enforced => Some(Action::Reported),
            other => other,
        }
    }
}

/// Never prints the rewritten header (it holds the cookie's value).
impl fmt::Debug for Decision<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decision")
            .field("verdict", &self.verdict)
            .field("name", &String::from_utf8_lossy(self.name))
            .field("rule", &self.rule)
            .field("scope", &self.scope)
            .field("category", &self.category)
            .field("violations", &self.violations)
            .field("rewritten", &self.rewritten.as_ref().map(|_| "<redacted>"))
            .field("enforced", &self.enforced)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_report_the_action_taken() {
        let decision = |verdict, enforced| Decision::new(verdict, b"a", enforced);
        assert_eq!(decision(Verdict::Allow, true).action(), None);
        assert_eq!(decision(Verdict::Allow, false).action(), None);
        assert_eq!(decision(Verdict::Fix, true).action(), Some(Action::Fixed));
        assert_eq!(decision(Verdict::Strip, true).action(), Some(Action::Stripped));
        assert_eq!(decision(Verdict::Block, true).action(), Some(Action::Blocked));
        for verdict in [Verdict::Fix, Verdict::Strip, Verdict::Block] {
            assert_eq!(decision(verdict, false).action(), Some(Action::Reported));
        }
    }

    #[test]
    fn violations_stay_small() {
        // Details keep what they name, not text: a violation stays within five words.
        assert!(size_of::<Violation<'_>>() <= 40, "{}", size_of::<Violation<'_>>());
    }
}
