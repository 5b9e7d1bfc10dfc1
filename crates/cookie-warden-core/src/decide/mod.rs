//! Decisions: what happens to each `Set-Cookie` header of a response, and to each cookie of a
//! request, under a compiled policy.
//!
//! [`CompiledPolicy::judge`] resolves what is per request once (the request's scope, the
//! visitor's consent); the [`Judge`] it returns then decides each header with [`Judge::decide`]
//! and each request cookie with [`Judge::request_cookie`].
//!
//! # How a `Set-Cookie` header is decided
//!
//! The header is parsed as a browser parses it ([`crate::set_cookie::parse`]), its name matched
//! against the policy in the request's scope, and every broken requirement becomes a
//! [`Violation`]. Each violation asks for an action; the verdict is the strongest of them
//! (`allow` < `fix` < `strip` < `block`: **a `block` anywhere wins**):
//!
//! | violation | action |
//! |---|---|
//! | the browser would drop the line (`malformed`; `oversize` for name+value over 4096 bytes; `prefix_violation` for a broken `__Secure-`/`__Host-`/`__Http-`/`__Host-Http-` prefix; `same_site_none_insecure`) | `enforcement.malformed` (strip / block): a fix would set a cookie the upstream's header never set |
//! | `unlisted`, `out_of_scope` | `enforcement.unlisted` (strip / block) |
//! | `consent_missing` | always strip: whether a visitor consented is not the upstream's fault, and a block would break the site for every visitor who declined |
//! | attributes (`not_session`, `lifetime_exceeded`, `missing_expiry`, `missing_secure`, `missing_http_only`, `weak_same_site`, `path_mismatch`, `domain_not_allowed`), an attribute value over 1024 bytes (`oversize`: browsers ignore it), `ambiguous` | `enforcement.noncompliant` (fix / strip / block) |
//!
//! A header the browser drops is judged only as such (its attributes mean nothing). A name no
//! rule allows here is judged only as `unlisted` / `out_of_scope`. An allowed name collects every
//! attribute violation, `consent_missing` included, so that events show all of them.
//!
//! **Fixes.** A `fix` re-serialises the cookie in canonical form
//! ([`crate::set_cookie::SetCookie::write_canonical`]) with the broken requirements corrected:
//! Secure and HttpOnly added, SameSite raised to the rule's minimum, Path set to the rule's path,
//! a Domain the rule does not allow removed (host-only is always narrower), Expires and Max-Age
//! removed for a session rule, `Max-Age` = the allowed maximum (Expires removed) for a missing or
//! too long expiry, attribute values over 1024 bytes left out (browsers ignore them anyway), and
//! `Path=/` written for a `__Host-` cookie. The fixed header is parsed again and judged again; if
//! it is not accepted, not the same name and value, or still breaks a requirement (for example
//! `Secure` added on a plain-`http` request, which a browser rejects), the header is stripped
//! instead. Where no canonical form means the same in every browser (a tab in the name or
//! value, a nameless cookie whose value holds `=`), the verdict is strip (or block).
//! An allowed header with no violation leaves byte for byte (`rewritten = None`).
//!
//! **Lifetimes** are measured as browsers measure them: a valid Max-Age wins, else the last valid
//! Expires against `now` (the shell passes the response's `Date`, else its clock), capped at 400
//! days. `session` rules allow neither; a duration rule requires an expiry no later than the
//! duration (`missing_expiry` without one); `persistent` allows a session cookie or an expiry up
//! to `enforcement.max_lifetime`.
//!
//! **Deletions** (Max-Age ≤ 0, or an Expires not after `now`) of any name pass unchanged under
//! `deletions = "allow"`, whatever their Domain or Path: storing one sets nothing. A line the
//! browser drops is not a deletion; an ambiguous deletion (`Max-Age=0; Max-Age=abc`: Chromium sets
//! a session cookie) leaves in canonical form, or is stripped when none exists; an Expires with a
//! year out of range (`1600`: the draft ignores it, Chromium deletes) is judged as the deletion the
//! upstream meant and leaves as `Max-Age=0`. Under
//! `deletions = "apply-rules"` a deletion is judged like any header except that its lifetime and
//! consent are not (a deletion creates no lifetime and needs no consent).
//!
//! **Report-only** computes the same decision with `enforced = false`.
//!
//! **Details** name the rule and the attribute, never the cookie's value.
//!
//! The allow path allocates nothing: `violations` stays an empty `Vec` and `rewritten` is `None`.
//! Details are written out only when shown: a strip allocates only its list of violations.
//!
//! ```
//! use cookie_warden_core::decision::{Verdict, ViolationKind};
//! use cookie_warden_core::policy::load::from_toml_str;
//! use cookie_warden_core::request::{RequestContext, RequestUrl};
//!
//! let policy = from_toml_str("example.toml", r#"
//!     version = 1
//!     [[cookie]]
//!     name = "sid"
//!     lifetime = "session"
//! "#).unwrap().policy;
//! let request = RequestContext {
//!     url: RequestUrl { secure: true, host: "example.com", path: "/" },
//!     method: "GET",
//!     gpc: false,
//!     consent_cookie: None,
//! };
//! let judge = policy.judge(&request);
//! let now = 1_700_000_000;
//!
//! let ok = judge.decide(b"sid=1; Secure; HttpOnly; SameSite=Lax", now);
//! assert_eq!((ok.verdict, ok.rewritten), (Verdict::Allow, None));
//!
//! let fixed = judge.decide(b"sid=1; Max-Age=60", now);
//! assert_eq!(fixed.verdict, Verdict::Fix);
//! assert_eq!(fixed.rewritten.as_deref(), Some(&b"sid=1; Secure; HttpOnly; SameSite=Lax"[..]));
//!
//! let rogue = judge.decide(b"tracker=1; Secure; HttpOnly", now);
//! assert_eq!(rogue.verdict, Verdict::Strip);
//! assert_eq!(rogue.violations[0].kind, ViolationKind::Unlisted);
//! ```

mod ambiguity;
mod attributes;
pub(crate) mod detail;
mod fix;
mod lifetime;
mod request_cookies;

use std::fmt;

use detail::ConsentWhy;
pub(crate) use detail::Reason;
pub use request_cookies::{RequestCookieAction, RequestCookieReason, RequestCookieVerdict};

use crate::consent::ConsentState;
use crate::decision::{Decision, Detail, Verdict, Violation, ViolationKind};
use crate::http_date::ResponseTime;
use crate::policy::model::{Deletions, Mode, Noncompliant, StripOrBlock};
use crate::policy::{CompiledPolicy, CompiledRule, NameMatch, ScopeId};
use crate::request::{RequestContext, RequestUrl};
use crate::set_cookie::subset::is_token;
use crate::set_cookie::{Rejection, SetCookie, parse_noting_subset};

use fix::{Correction, LifetimeFix};

impl CompiledPolicy {
    /// Resolves what is per request (scope, consent) once; the [`Judge`] then decides each header
    /// of the response and each cookie of the request.
    pub fn judge<'p, 'r>(&'p self, request: &RequestContext<'r>) -> Judge<'p, 'r> {
        let scope = self.scope_for(request.url.host, request.url.path);
        Judge {
            policy: self,
            url: request.url,
            scope,
            scope_name: scope.map(|s| self.scope_name(s)),
            consent: ConsentState::resolve(self.consent(), request),
        }
    }
}

/// Decides under one policy for one request. Cheap to create ([`CompiledPolicy::judge`]), cheap to
/// copy around; borrows the policy (`'p`) and the request URL (`'r`). Its `Debug` output shows the
/// request's URL, scope and consent, not the whole policy.
#[derive(Clone, Copy)]
pub struct Judge<'p, 'r> {
    policy: &'p CompiledPolicy,
    url: RequestUrl<'r>,
    scope: Option<ScopeId>,
    scope_name: Option<&'p str>,
    consent: ConsentState,
}

impl fmt::Debug for Judge<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Judge")
            .field("url", &self.url)
            .field("scope", &self.scope_name)
            .field("consent", &self.consent)
            .field("enforced", &self.enforced())
            .finish_non_exhaustive()
    }
}

impl<'p, 'r> Judge<'p, 'r> {
    /// The policy this judge decides under.
    pub fn policy(&self) -> &'p CompiledPolicy {
        self.policy
    }

    /// The request's URL.
    pub fn url(&self) -> &RequestUrl<'r> {
        &self.url
    }

    /// The request's scope id as written in the policy; `None` when the request is in no scope.
    pub fn scope(&self) -> Option<&'p str> {
        self.scope_name
    }

    /// The request's scope.
    pub fn scope_id(&self) -> Option<ScopeId> {
        self.scope
    }

    /// The visitor's consent on this request (for events and the request side).
    pub fn consent(&self) -> &ConsentState {
        &self.consent
    }

    /// `false` in report-only mode: decisions are traced, not applied.
    pub fn enforced(&self) -> bool {
        self.policy.mode() == Mode::Enforce
    }

    /// Decides one `Set-Cookie` header value (bytes as received) at `time`: a [`ResponseTime`]
    /// built by [`ResponseTime::of_response`] from the response's `Date` headers and the caller's
    /// clock, or a plain `i64` of unix seconds (taken as the clock of a response without `Date`).
    /// See the [module docs](self).
    pub fn decide<'h>(&self, header: &'h [u8], time: impl Into<ResponseTime>) -> Decision<'p, 'h> {
        self.decide_at(header, time.into())
    }

    fn decide_at<'h>(&self, header: &'h [u8], time: ResponseTime) -> Decision<'p, 'h> {
        let now = time.now;
        // Whether the header keeps the subset's rules 1–6 comes with the parse, for free.
        let (cookie, syntax_proven) = parse_noting_subset(header, &self.url);
        let matched = self.policy.match_name(cookie.name, self.scope);
        let rule = match matched {
            NameMatch::InScope(rule) | NameMatch::OutOfScope(rule) => Some(rule),
            NameMatch::Unlisted => None,
        };
        // Built first, so that violations go straight into the decision.
        let mut decision = Decision {
            verdict: Verdict::Allow,
            name: cookie.name,
            rule: rule.map(CompiledRule::name),
            scope: self.scope_name,
            category: rule.map(CompiledRule::category),
            violations: Vec::new(),
            rewritten: None,
            enforced: self.enforced(),
        };
        let mut findings = Findings::new(&mut decision.violations);
        let mut correction = Correction::default();
        // The rule a fix must satisfy; `None` for a deletion of any name (it must stay a deletion).
        let mut fix_rule = None;
        // A deletion for the draft, or for Chromium (which the canonical form then writes).
        let deletion = cookie.is_deletion(now) || ambiguity::chromium_deletes(&cookie);

        if let Some(rejection) = cookie.rejection {
            findings.push(
                rejection_kind(rejection),
                rejection_detail(rejection),
                self.malformed_action(),
            );
        } else if deletion && self.policy.enforcement().deletions == Deletions::Allow {
            ambiguity::check(
                &cookie,
                &mut findings,
                &mut correction,
                self.noncompliant_action(),
            );
        } else {
            match matched {
                NameMatch::Unlisted => findings.push(
                    ViolationKind::Unlisted,
                    Reason::Text("no rule of the policy matches this cookie name".into()),
                    self.unlisted_action(),
                ),
                NameMatch::OutOfScope(rule) => {
                    findings.push(
                        ViolationKind::OutOfScope,
                        Reason::OutOfScope {
                            rule,
                            scope: self.scope_name,
                        },
                        self.unlisted_action(),
                    );
                }
                NameMatch::InScope(rule) => {
                    if !deletion && !self.consent.allows(rule.category()) {
                        findings.push(
                            ViolationKind::ConsentMissing,
                            self.consent_detail(rule),
                            Verdict::Strip,
                        );
                    }
                    self.check_rule(&cookie, rule, now, deletion, &mut findings, &mut correction);
                    fix_rule = Some(rule);
                }
            }
        }

        decision.verdict = findings.verdict;
        // Canonical or proven: a fix is always rewritten; an allowed header only when it lies
        // outside the proven subset.
        let rewrite = match decision.verdict {
            Verdict::Fix => true,
            Verdict::Allow => !(syntax_proven && cookie.subset_at(time).is_ok()),
            Verdict::Strip | Verdict::Block => false,
        };
        if rewrite && !is_token(cookie.name) {
            // The name is the cookie and cannot be rewritten; outside the token grammar browsers
            // read it differently (Firefox reads UTF-8 names as Latin-1): fail closed.
            decision.violations.push(Violation {
                kind: ViolationKind::Ambiguous,
                detail: Detail(Reason::Text(
                    "the cookie name is not an RFC 9110 token: browsers read such names differently".into(),
                )),
            });
            decision.verdict = decision.verdict.max(Verdict::Strip);
        } else if rewrite {
            if deletion {
                correction.delete = true;
            } else if cookie.expires.is_some() && !time.expires_is_stable() && correction.lifetime.is_none() {
                // The lifetime must not depend on a `Date` that readers read differently.
                if let Some(seconds) = cookie.lifetime(now) {
                    correction.lifetime = Some(LifetimeFix::MaxAge(seconds));
                }
            }
            match self.fixed(&cookie, fix_rule, &correction, now) {
                Some(bytes) => decision.rewritten = Some(bytes),
                None => {
                    if decision.verdict == Verdict::Allow {
                        decision.violations.push(Violation {
                            kind: ViolationKind::Ambiguous,
                            detail: Detail(Reason::Text(
                                "outside the proven subset, and no canonical form keeps the policy".into(),
                            )),
                        });
                    }
                    decision.verdict = Verdict::Strip;
                }
            }
        }
        decision
    }

    /// Every requirement of `rule` that an accepted `cookie` breaks (consent aside); `deletion`
    /// skips the lifetime (a deletion creates none).
    fn check_rule(
        &self,
        cookie: &SetCookie<'_>,
        rule: &'p CompiledRule,
        now: i64,
        deletion: bool,
        findings: &mut Findings<'_, 'p>,
        correction: &mut Correction<'p>,
    ) {
        let action = self.noncompliant_action();
        ambiguity::check(cookie, findings, correction, action);
        attributes::check_oversize(cookie, findings, action);
        if !deletion {
            lifetime::check(
                cookie,
                rule,
                self.policy.max_lifetime(),
                now,
                findings,
                correction,
                action,
            );
        }
        attributes::check(cookie, rule, &self.url, findings, correction, action);
    }

    /// The canonical, corrected header, if it is accepted and judged clean when parsed again.
    ///
    /// "Parsed again" without parsing: [`fix::as_reparsed`] gives what [`parse`] reads from the
    /// canonical form of the corrected cookie (proven equal by a property test in `fix.rs`), and
    /// that is judged again; the canonical bytes are written only for a fix that holds.
    fn fixed(
        &self,
        cookie: &SetCookie<'_>,
        rule: Option<&'p CompiledRule>,
        correction: &Correction<'p>,
        now: i64,
    ) -> Option<Vec<u8>> {
        if correction.unfixable {
            return None;
        }
        let again = fix::as_reparsed(correction.apply(cookie), &self.url);
        let value = if correction.delete && !cookie.name.is_empty() {
            &[][..]
        } else {
            cookie.value
        };
        if again.rejection.is_some()
            || !same_bytes(again.name, cookie.name)
            || !same_bytes(again.value, value)
        {
            return None;
        }
        let mut findings = Findings::counting();
        let mut ignored = Correction::default();
        match rule {
            Some(rule) => {
                let deletion = again.is_deletion(now);
                self.check_rule(&again, rule, now, deletion, &mut findings, &mut ignored);
            }
            // A deletion of any name, fixed only for its ambiguity: it must stay a deletion.
            None => {
                if !again.is_deletion(now) {
                    return None;
                }
                ambiguity::check(&again, &mut findings, &mut ignored, Verdict::Fix);
            }
        }
        (findings.count == 0).then(|| again.to_canonical())
    }

    fn unlisted_action(&self) -> Verdict {
        strip_or_block(self.policy.enforcement().unlisted)
    }

    fn malformed_action(&self) -> Verdict {
        strip_or_block(self.policy.enforcement().malformed)
    }

    fn noncompliant_action(&self) -> Verdict {
        match self.policy.enforcement().noncompliant {
            Noncompliant::Fix => Verdict::Fix,
            Noncompliant::Strip => Verdict::Strip,
            Noncompliant::Block => Verdict::Block,
        }
    }

    fn consent_detail(&self, rule: &'p CompiledRule) -> Reason<'p> {
        let why = if self.consent.gpc_applied() {
            ConsentWhy::Gpc
        } else {
            match self.consent.cookie() {
                crate::consent::ConsentCookieState::Absent => ConsentWhy::NoCookie,
                _ => ConsentWhy::NotGranted,
            }
        };
        Reason::Consent { rule, why }
    }
}

/// `a == b`, answered without a `memcmp` call when both are the same slice (a fix keeps the
/// name and value it read).
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    (a.as_ptr() == b.as_ptr() && a.len() == b.len()) || a == b
}

fn strip_or_block(action: StripOrBlock) -> Verdict {
    match action {
        StripOrBlock::Strip => Verdict::Strip,
        StripOrBlock::Block => Verdict::Block,
    }
}

/// The violation kind of a line a browser drops.
fn rejection_kind(rejection: Rejection) -> ViolationKind {
    match rejection {
        Rejection::NameValueTooLong => ViolationKind::Oversize,
        Rejection::SameSiteNoneWithoutSecure => ViolationKind::SameSiteNoneInsecure,
        Rejection::NamelessPrefix
        | Rejection::SecurePrefix
        | Rejection::HostPrefix
        | Rejection::HttpPrefix => ViolationKind::PrefixViolation,
        _ => ViolationKind::Malformed,
    }
}

fn rejection_detail(rejection: Rejection) -> Reason<'static> {
    Reason::Text(std::borrow::Cow::Borrowed(match rejection {
        Rejection::ControlCharacter => "a browser drops this header: it holds a control character",
        Rejection::NameValueTooLong => "a browser drops this header: name and value exceed 4096 bytes",
        Rejection::EmptyNameAndValue => "a browser drops this header: both name and value are empty",
        Rejection::NonAsciiDomain => "a browser drops this header: the Domain attribute is not ASCII",
        Rejection::PublicSuffixDomain => {
            "a browser drops this header: the Domain attribute is a public suffix"
        }
        Rejection::DomainMismatch => {
            "a browser drops this header: the request host does not domain-match the Domain attribute"
        }
        Rejection::SecureFromInsecureOrigin => {
            "a browser drops this header: Secure from a request that is not https"
        }
        Rejection::SameSiteNoneWithoutSecure => "a browser drops this header: SameSite=None without Secure",
        Rejection::NamelessPrefix => {
            "a browser drops this header: a nameless cookie whose value starts with __Secure-, __Host- or __Http-"
        }
        Rejection::SecurePrefix => "a browser drops this header: a __Secure- cookie without Secure",
        Rejection::HostPrefix => {
            "a browser drops this header: a __Host- cookie needs Secure, Path=/ and no Domain"
        }
        Rejection::HttpPrefix => {
            "a browser drops this header: a __Http- or __Host-Http- cookie needs Secure and HttpOnly"
        }
        Rejection::PartitionedWithoutSecure => "a browser drops this header: Partitioned without Secure",
    }))
}

/// The violations found so far and the verdict they add up to (the strongest action asked for).
#[derive(Debug)]
struct Findings<'a, 'p> {
    /// Where violations go; `None` when only the count matters (the re-check of a fix).
    violations: Option<&'a mut Vec<Violation<'p>>>,
    verdict: Verdict,
    /// How many violations were found (kept or not).
    count: usize,
}

impl<'a, 'p> Findings<'a, 'p> {
    fn new(violations: &'a mut Vec<Violation<'p>>) -> Self {
        Findings {
            violations: Some(violations),
            verdict: Verdict::Allow,
            count: 0,
        }
    }

    /// Findings that only count: nothing is kept.
    fn counting() -> Self {
        Findings {
            violations: None,
            verdict: Verdict::Allow,
            count: 0,
        }
    }

    fn push(&mut self, kind: ViolationKind, reason: Reason<'p>, action: Verdict) {
        self.count += 1;
        if let Some(violations) = &mut self.violations {
            violations.push(Violation {
                kind,
                detail: Detail(reason),
            });
        }
        self.verdict = self.verdict.max(action);
    }
}
