//! The response side: every `Set-Cookie` judged in order, then kept, replaced, removed, or the
//! whole response blocked.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use cookie_warden_core::action::Action;
use cookie_warden_core::consent::ConsentState;
use cookie_warden_core::decision::{Decision, Verdict};
use cookie_warden_core::http_date::ResponseTime;
use cookie_warden_core::policy::CompiledPolicy;
use cookie_warden_core::policy::model::{Events, Mode};
use http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, DATE, Entry, SET_COOKIE};
use http::{HeaderMap, HeaderValue, Response, StatusCode};

use crate::body::BLOCKED_BODY;
use crate::context::RequestFacts;
use crate::events::{self, CookieSource, ViolationReport};
use crate::layer::Shared;
use crate::request_cookies::RequestSide;
use crate::{ResponseBody, SET_COOKIE2};

/// What the response side needs, kept from the request until its response arrives.
#[derive(Debug)]
pub(crate) struct Pending {
    /// The policy snapshot taken when the request arrived.
    policy: Arc<CompiledPolicy>,
    facts: RequestFacts,
    request: RequestSide,
    shared: Arc<Shared>,
}

/// What happens to one `Set-Cookie` header.
enum Outcome {
    Keep,
    Replace(HeaderValue),
    Remove,
}

impl Pending {
    pub(crate) fn new(
        policy: Arc<CompiledPolicy>,
        facts: RequestFacts,
        request: RequestSide,
        shared: Arc<Shared>,
    ) -> Self {
        Self {
            policy,
            facts,
            request,
            shared,
        }
    }

    /// Applies the policy to `response`.
    pub(crate) fn enforce<B>(mut self, response: Response<B>) -> Response<ResponseBody<B>> {
        let enforced = self.policy.mode() == Mode::Enforce;
        let (mut parts, body) = response.into_parts();
        let headers = &mut parts.headers;
        let set_cookie = headers.contains_key(SET_COOKIE);
        if !set_cookie && !headers.contains_key(&SET_COOKIE2) && self.request.purge.is_empty() {
            return Response::from_parts(parts, ResponseBody::upstream(body, enforced));
        }

        // Host, scope and consent are worked out only for a response that sets cookies.
        let block = set_cookie && {
            // One rule for every shell: a strict Date is the time, else the clock (and an Expires
            // then leaves as Max-Age).
            let time = ResponseTime::of_response(
                headers.get_all(DATE).iter().map(HeaderValue::as_bytes),
                unix_now(),
            );
            self.facts.resolve_host();
            let facts = &self.facts;
            let host = facts.host();
            let context = facts.context(&host, self.request.consent_cookie());
            let judge = self.policy.judge(&context);
            let consent = Some(*judge.consent()).filter(ConsentState::is_configured);
            let base = ViolationReport {
                source: CookieSource::Response,
                decision: None,
                cookie_name: b"",
                rule: None,
                category: None,
                violations: "",
                // Each report sets its own action.
                action: Action::Reported,
                enforced,
                scope: judge.scope(),
                consent,
                error: None,
                method: facts.method(),
                path: facts.path(),
                host: &host,
                status: Some(parts.status),
            };
            let sink = Sink {
                events: self.policy.events(),
                hook: self.shared.on_violation.as_deref(),
            };
            judge_all(
                headers,
                |header| judge.decide(header, time),
                enforced,
                &base,
                self.shared.on_decision.as_deref(),
                &sink,
            )
        };

        if !enforced {
            return Response::from_parts(parts, ResponseBody::upstream(body, false));
        }
        if block {
            drop(body);
            return blocked(&self.policy, parts.version);
        }
        if headers.remove(&SET_COOKIE2).is_some() {
            // Every value of the name goes; browsers ignore the header since RFC 6265.
            while headers.remove(&SET_COOKIE2).is_some() {}
            tracing::debug!(target: "cookie_warden", header = "set-cookie2", "obsolete header removed");
        }
        for purge in self.request.purge {
            headers.append(SET_COOKIE, purge);
        }
        Response::from_parts(parts, ResponseBody::upstream(body, true))
    }
}

/// Where violation reports go.
trait ReportSink {
    /// Whether a report with `action` would reach anyone: when not, it is not built.
    fn wants(&self, action: Action) -> bool;
    /// Whether reports must carry the decision whole ([`Decision::rewritten`] included).
    fn reads_decisions(&self) -> bool;
    /// Emits `report`.
    fn report(&self, report: &ViolationReport<'_>);
}

/// The layer's sink: the event (when a subscriber may record it) and the `on_violation` hook.
struct Sink<'a> {
    events: &'a Events,
    hook: Option<&'a (dyn Fn(&ViolationReport<'_>) + Send + Sync)>,
}

impl ReportSink for Sink<'_> {
    fn wants(&self, action: Action) -> bool {
        self.hook.is_some() || events::may_emit(self.events.level(action))
    }

    fn reads_decisions(&self) -> bool {
        self.hook.is_some()
    }

    fn report(&self, report: &ViolationReport<'_>) {
        events::emit(self.events, report);
        if let Some(hook) = self.hook {
            hook(report);
        }
    }
}

/// Judges each `Set-Cookie` value of `headers`, in order, with `decide`, reports each violation
/// to `sink`, shows every decision to `observe`, and applies the verdicts in place: an allowed
/// value stays where it is (marked sensitive), a fixed one is replaced where it is, and only when
/// something is removed are the values taken out and the rest put back, in their order. A header
/// that `decide` panics on, or whose fix is not a valid header value, is removed (fail closed) and
/// reported with an `error`. In report-only mode (`enforced` false) every header is kept.
///
/// Returns whether some header's verdict is `block` (enforced only); the headers are then left
/// half-rewritten, for the caller to discard.
fn judge_all<'p>(
    headers: &mut HeaderMap,
    decide: impl for<'h> Fn(&'h [u8]) -> Decision<'p, 'h>,
    enforced: bool,
    base: &ViolationReport<'_>,
    observe: Option<&(dyn Fn(&Decision<'_, '_>) + Send + Sync)>,
    sink: &impl ReportSink,
) -> bool {
    let mut block = false;
    let mut judge = |value: &HeaderValue| {
        let outcome = judge_one(value, &decide, enforced, base, observe, sink, &mut block);
        if enforced { outcome } else { Outcome::Keep }
    };
    let Entry::Occupied(mut entry) = headers.entry(SET_COOKIE) else {
        return false;
    };
    let mut first_removed = None;
    for (index, value) in entry.iter_mut().enumerate() {
        match judge(value) {
            Outcome::Keep => value.set_sensitive(true),
            Outcome::Replace(fixed) => *value = fixed,
            Outcome::Remove => {
                first_removed = Some(index);
                break;
            }
        }
    }
    let Some(first_removed) = first_removed else {
        return block;
    };
    // Something goes: take every value out, judge the rest, and put back what stays, in order.
    // (Not `OccupiedEntry::insert_mult`, which would keep the entry: http 1.5 panics in it when
    // the entry has three values or more.)
    let mut kept = Kept::default();
    for (index, mut value) in entry.remove_entry_mult().1.enumerate() {
        if index < first_removed {
            kept.push(value); // judged, marked or replaced above
        } else if index > first_removed {
            match judge(&value) {
                Outcome::Keep => {
                    value.set_sensitive(true);
                    kept.push(value);
                }
                Outcome::Replace(fixed) => kept.push(fixed),
                Outcome::Remove => {}
            }
        }
    }
    kept.put_back(headers);
    block
}

/// Judges one `Set-Cookie` value; see [`judge_all`].
fn judge_one<'p>(
    value: &HeaderValue,
    decide: &impl for<'h> Fn(&'h [u8]) -> Decision<'p, 'h>,
    enforced: bool,
    base: &ViolationReport<'_>,
    observe: Option<&(dyn Fn(&Decision<'_, '_>) + Send + Sync)>,
    sink: &impl ReportSink,
    block: &mut bool,
) -> Outcome {
    let Ok(mut decision) = catch_unwind(AssertUnwindSafe(|| decide(value.as_bytes()))) else {
        // Fail closed: a header the core could not judge does not leave.
        let action = if enforced {
            Action::Stripped
        } else {
            Action::Reported
        };
        if sink.wants(action) {
            sink.report(&ViolationReport {
                violations: "internal_error",
                action,
                error: Some("the policy engine failed on this header"),
                ..*base
            });
        }
        return Outcome::Remove;
    };
    if let Some(observe) = observe {
        observe(&decision);
    }
    let mut error = None;
    let outcome = match decision.verdict {
        // Allowed, outside the proven subset: it leaves canonical, with no event (nothing was
        // wrong with it); a canonical form that is not a header value cannot happen, but fails
        // closed like a fix.
        Verdict::Allow => {
            return match decision
                .rewritten
                .take()
                .map(|c| HeaderValue::from_maybe_shared(Bytes::from(c)))
            {
                None => Outcome::Keep,
                Some(Ok(mut canonical)) => {
                    canonical.set_sensitive(true);
                    Outcome::Replace(canonical)
                }
                Some(Err(_)) => Outcome::Remove,
            };
        }
        Verdict::Strip => Outcome::Remove,
        Verdict::Block => {
            *block |= enforced;
            Outcome::Remove
        }
        Verdict::Fix => {
            // The fix moves into the header without a copy, unless a hook reads the decision.
            let fixed = if sink.reads_decisions() {
                decision.rewritten.as_deref().map(HeaderValue::from_bytes)
            } else {
                decision
                    .rewritten
                    .take()
                    .map(|fixed| HeaderValue::from_maybe_shared(Bytes::from(fixed)))
            };
            match fixed {
                Some(Ok(mut fixed)) => {
                    fixed.set_sensitive(true);
                    Outcome::Replace(fixed)
                }
                // Fail closed: a fix that cannot leave as a header is a strip.
                _ => {
                    error = Some("the fixed header is not a valid header value");
                    Outcome::Remove
                }
            }
        }
    };
    let action = match (enforced, error) {
        (false, _) => Action::Reported,
        (true, Some(_)) => Action::Stripped,
        (true, None) => decision.verdict.action().unwrap_or(Action::Stripped),
    };
    if sink.wants(action) {
        events::with_kind_list(&decision, |violations| {
            sink.report(&ViolationReport {
                decision: Some(&decision),
                cookie_name: decision.name,
                rule: decision.rule,
                category: decision.category,
                violations,
                action,
                error,
                ..*base
            });
        });
    }
    outcome
}

/// The `Set-Cookie` values that stay when some are removed: on the stack for a handful.
struct Kept {
    inline: [Option<HeaderValue>; KEPT_INLINE],
    len: usize,
    spill: Vec<HeaderValue>,
}

/// How many kept values [`Kept`] holds without allocating.
const KEPT_INLINE: usize = 8;

impl Default for Kept {
    fn default() -> Self {
        Self {
            inline: [const { None }; KEPT_INLINE],
            len: 0,
            spill: Vec::new(),
        }
    }
}

impl Kept {
    fn push(&mut self, value: HeaderValue) {
        match self.inline.get_mut(self.len) {
            Some(slot) => {
                *slot = Some(value);
                self.len += 1;
            }
            None => self.spill.push(value),
        }
    }

    /// Appends the values to `headers`' (emptied) `Set-Cookie`, in the order they were pushed.
    fn put_back(mut self, headers: &mut HeaderMap) {
        let spill = std::mem::take(&mut self.spill);
        let mut values = self.inline[..self.len]
            .iter_mut()
            .filter_map(Option::take)
            .chain(spill);
        let Some(first) = values.next() else { return };
        let mut entry = match headers.entry(SET_COOKIE) {
            Entry::Vacant(entry) => entry.insert_entry(first),
            Entry::Occupied(mut entry) => {
                debug_assert!(false, "the Set-Cookie values were taken out");
                entry.append(first);
                entry
            }
        };
        for value in values {
            entry.append(value);
        }
    }
}

/// The response that replaces a blocked one: `block_status`, a short plain body, no cookie.
fn blocked<B>(policy: &CompiledPolicy, version: http::Version) -> Response<ResponseBody<B>> {
    // The policy holds 400–599; anything else would be a bug there, and still a refusal here.
    let status =
        StatusCode::from_u16(policy.enforcement().block_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = Response::new(ResponseBody::blocked());
    *response.status_mut() = status;
    *response.version_mut() = version;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(CONTENT_LENGTH, HeaderValue::from(BLOCKED_BODY.len()));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The clock, in unix seconds: the time when the response carries no strict `Date`.
fn unix_now() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(elapsed) => i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::cell::RefCell;

    use cookie_warden_core::decision::{Violation, ViolationKind};

    fn decision<'h>(verdict: Verdict, name: &'h [u8], rewritten: Option<&[u8]>) -> Decision<'static, 'h> {
        let mut decision = Decision::new(verdict, name, true);
        if verdict != Verdict::Allow {
            decision
                .violations
                .push(Violation::new(ViolationKind::MissingSecure, "secure"));
        }
        decision.rewritten = rewritten.map(<[u8]>::to_vec);
        decision
    }

    /// A stand-in for the core: `panic` makes it panic, `badfix` yields a fix that is not a header
    /// value, `fix` a valid fix, anything else is allowed.
    fn decide(header: &[u8]) -> Decision<'static, '_> {
        let name = header.split(|&b| b == b'=').next().unwrap_or_default();
        match name {
            b"panic" => panic!("the stand-in core fails on purpose"),
            b"badfix" => decision(Verdict::Fix, name, Some(b"badfix=1\n; Secure")),
            b"fix" => decision(Verdict::Fix, name, Some(b"fix=1; Secure")),
            b"canon" => decision(Verdict::Allow, name, Some(b"canon=1; Secure")),
            _ => decision(Verdict::Allow, name, None),
        }
    }

    fn base() -> ViolationReport<'static> {
        ViolationReport {
            source: CookieSource::Response,
            decision: None,
            cookie_name: b"",
            rule: None,
            category: None,
            violations: "",
            action: Action::Reported,
            enforced: true,
            scope: None,
            consent: None,
            error: None,
            method: "GET",
            path: "/",
            host: "h",
            status: Some(StatusCode::OK),
        }
    }

    /// Collects what it is told, and reads decisions whole as a hook would when `hook`.
    struct Collect<F: Fn(&ViolationReport<'_>)> {
        hook: bool,
        report: F,
    }

    impl<F: Fn(&ViolationReport<'_>)> ReportSink for Collect<F> {
        fn wants(&self, _: Action) -> bool {
            true
        }

        fn reads_decisions(&self) -> bool {
            self.hook
        }

        fn report(&self, report: &ViolationReport<'_>) {
            (self.report)(report);
        }
    }

    fn sink<F: Fn(&ViolationReport<'_>)>(report: F) -> Collect<F> {
        Collect { hook: false, report }
    }

    fn set_cookies(headers: &HeaderMap) -> Vec<&str> {
        headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect()
    }

    fn headers(values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(SET_COOKIE, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn headers_that_cannot_be_judged_or_fixed_are_removed_and_reported() {
        let mut headers = headers(&["a=1", "panic=SECRET", "badfix=SECRET", "fix=1", "b=2"]);
        let reports = RefCell::new(Vec::new());
        let block = judge_all(
            &mut headers,
            decide,
            true,
            &base(),
            None,
            &sink(|r| {
                reports.borrow_mut().push((
                    r.cookie_name.to_vec(),
                    r.action,
                    r.violations.to_owned(),
                    r.error.map(str::to_owned),
                ));
            }),
        );
        assert!(!block);
        assert_eq!(set_cookies(&headers), ["a=1", "fix=1; Secure", "b=2"]);
        assert!(headers.get_all(SET_COOKIE).iter().all(|v| v.is_sensitive()));

        let reports = reports.into_inner();
        assert_eq!(reports.len(), 3);
        assert_eq!(reports[0].0, b"");
        assert_eq!(
            (reports[0].1, reports[0].2.as_str()),
            (Action::Stripped, "internal_error")
        );
        assert_eq!(
            reports[0].3.as_deref(),
            Some("the policy engine failed on this header")
        );
        assert_eq!(reports[1].0, b"badfix");
        assert_eq!(reports[1].1, Action::Stripped);
        assert_eq!(
            reports[1].3.as_deref(),
            Some("the fixed header is not a valid header value")
        );
        assert_eq!(
            (reports[2].0.as_slice(), reports[2].1, reports[2].3.as_deref()),
            (&b"fix"[..], Action::Fixed, None)
        );
    }

    #[test]
    fn an_allowed_header_outside_the_proven_subset_leaves_canonical_without_a_report() {
        for enforced in [true, false] {
            let mut headers = headers(&["a=1", "canon=1;secure", "b=2"]);
            let block = judge_all(
                &mut headers,
                decide,
                enforced,
                &base(),
                None,
                &sink(|_| panic!("nothing was wrong: no report")),
            );
            assert!(!block);
            let expected = if enforced {
                ["a=1", "canon=1; Secure", "b=2"]
            } else {
                ["a=1", "canon=1;secure", "b=2"]
            };
            assert_eq!(set_cookies(&headers), expected, "enforced: {enforced}");
            assert!(headers.get_all(SET_COOKIE).iter().all(|v| v.is_sensitive()));
        }
    }

    #[test]
    fn report_only_keeps_even_what_cannot_be_judged() {
        let mut headers = headers(&["panic=SECRET", "badfix=SECRET", "fix=1"]);
        let count = RefCell::new(0);
        let block = judge_all(
            &mut headers,
            decide,
            false,
            &base(),
            None,
            &sink(|r| {
                assert_eq!(r.action, Action::Reported);
                *count.borrow_mut() += 1;
            }),
        );
        assert!(!block);
        assert_eq!(
            set_cookies(&headers),
            ["panic=SECRET", "badfix=SECRET", "fix=1"],
            "nothing changes in report-only mode"
        );
        assert!(headers.get_all(SET_COOKIE).iter().all(|v| v.is_sensitive()));
        assert_eq!(count.into_inner(), 3);
    }

    #[test]
    fn all_allowed_leaves_the_headers_in_place_and_marks_them() {
        let mut headers = headers(&["a=1", "b=2"]);
        headers.append("x-other", HeaderValue::from_static("1"));
        let before: Vec<_> = headers.keys().cloned().collect();
        let block = judge_all(
            &mut headers,
            decide,
            true,
            &base(),
            None,
            &sink(|_| panic!("no violation")),
        );
        assert!(!block);
        assert_eq!(set_cookies(&headers), ["a=1", "b=2"]);
        assert!(headers.get_all(SET_COOKIE).iter().all(|v| v.is_sensitive()));
        let after: Vec<_> = headers.keys().cloned().collect();
        assert_eq!(before, after, "the map is not rebuilt");
    }

    #[test]
    fn fixes_replace_in_place_and_removals_keep_the_order_past_the_inline_buffer() {
        let mut values: Vec<&'static str> = Vec::new();
        for i in 0..(2 * KEPT_INLINE + 3) {
            values.push(match i % 4 {
                0 => "fix=1",
                1 => "strip=1",
                _ => Box::leak(format!("k{i}=v").into_boxed_str()),
            });
        }
        let expected: Vec<&str> = values
            .iter()
            .filter(|v| **v != "strip=1")
            .map(|v| if *v == "fix=1" { "fix=1; Secure" } else { v })
            .collect();
        let headers = headers(&values);
        fn decide(header: &[u8]) -> Decision<'static, '_> {
            if header.starts_with(b"strip=") {
                return decision(Verdict::Strip, b"strip", None);
            }
            super::tests::decide(header)
        }
        for hook in [false, true] {
            let mut headers = headers.clone();
            let block = judge_all(
                &mut headers,
                decide,
                true,
                &base(),
                None,
                &Collect {
                    hook,
                    report: |r: &ViolationReport<'_>| {
                        if r.action == Action::Fixed {
                            assert_eq!(
                                r.decision.and_then(|d| d.rewritten.is_some().then_some(())),
                                hook.then_some(()),
                                "a hook sees the rewritten header"
                            );
                        }
                    },
                },
            );
            assert!(!block);
            assert_eq!(set_cookies(&headers), expected);
            assert!(headers.get_all(SET_COOKIE).iter().all(|v| v.is_sensitive()));
        }
    }

    #[test]
    fn stripping_the_first_or_every_header_leaves_the_rest_or_none() {
        let strip_all = |values: &[&'static str]| {
            let mut headers = headers(values);
            headers.append("x-other", HeaderValue::from_static("1"));
            let block = judge_all(&mut headers, decide, true, &base(), None, &sink(|_| {}));
            assert!(!block);
            headers
        };
        let headers = strip_all(&["panic=1", "a=1", "panic=2", "fix=1"]);
        assert_eq!(set_cookies(&headers), ["a=1", "fix=1; Secure"]);
        let headers = strip_all(&["panic=1"]);
        assert!(!headers.contains_key(SET_COOKIE));
        let headers = strip_all(&["panic=1", "badfix=2", "panic=3"]);
        assert!(!headers.contains_key(SET_COOKIE));
        assert_eq!(headers.len(), 1, "{headers:?}");
    }

    #[test]
    fn a_block_is_reported_after_every_header_is_judged() {
        let mut headers = headers(&["a=1", "block=1", "fix=1", "b=2"]);
        fn decide(header: &[u8]) -> Decision<'static, '_> {
            if header.starts_with(b"block=") {
                return decision(Verdict::Block, b"block", None);
            }
            super::tests::decide(header)
        }
        let actions = RefCell::new(Vec::new());
        let block = judge_all(
            &mut headers,
            decide,
            true,
            &base(),
            None,
            &sink(|r| actions.borrow_mut().push(r.action)),
        );
        assert!(block);
        assert_eq!(actions.into_inner(), [Action::Blocked, Action::Fixed]);
    }
}
