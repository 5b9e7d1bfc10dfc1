//! The response side: every `Set-Cookie` judged in order, then kept, replaced, removed, or the
//! whole response blocked.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use cookie_warden_core::consent::ConsentState;
use cookie_warden_core::decision::{Decision, Verdict};
use cookie_warden_core::http_date::parse_http_date;
use cookie_warden_core::policy::CompiledPolicy;
use cookie_warden_core::policy::model::Mode;
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
#[derive(Clone)]
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
    pub(crate) fn enforce<B>(self, response: Response<B>) -> Response<ResponseBody<B>> {
        let enforced = self.policy.mode() == Mode::Enforce;
        let (mut parts, body) = response.into_parts();
        let headers = &mut parts.headers;
        if !headers.contains_key(SET_COOKIE)
            && !headers.contains_key(&SET_COOKIE2)
            && self.request.purge.is_empty()
        {
            return Response::from_parts(parts, ResponseBody::upstream(body, enforced));
        }

        let now = headers
            .get(DATE)
            .and_then(|date| parse_http_date(date.as_bytes()))
            .unwrap_or_else(unix_now);
        let host = self.facts.host();
        let consent_cookie = self.request.consent_cookie(&self.policy);
        let context = self.facts.context(&host, consent_cookie);
        let judge = self.policy.judge(&context);
        let consent = Some(*judge.consent()).filter(ConsentState::is_configured);
        let base = ViolationReport {
            source: CookieSource::Response,
            decision: None,
            cookie_name: b"",
            rule: None,
            category: None,
            violations: "",
            action: "",
            enforced,
            scope: judge.scope(),
            consent,
            error: None,
            method: self.facts.method(),
            path: self.facts.path(),
            host: &host,
            status: Some(parts.status),
        };

        let Judged { block, outcomes } = judge_all(
            headers,
            |header| judge.decide(header, now),
            enforced,
            &base,
            self.shared.on_decision.as_deref(),
            &|report| self.report(report),
        );

        if !enforced {
            mark_sensitive(headers);
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
        match outcomes {
            None => mark_sensitive(headers),
            Some(outcomes) => rewrite(headers, outcomes),
        }
        for purge in self.request.purge {
            headers.append(SET_COOKIE, purge);
        }
        Response::from_parts(parts, ResponseBody::upstream(body, true))
    }

    fn report(&self, report: &ViolationReport<'_>) {
        events::emit(self.policy.events(), report);
        if let Some(hook) = &self.shared.on_violation {
            hook(report);
        }
    }
}

/// The verdicts on a response's `Set-Cookie` headers.
struct Judged {
    /// Some header's verdict is `block`.
    block: bool,
    /// One outcome per header, in order; `None` when every header is kept (no allocation).
    outcomes: Option<Vec<Outcome>>,
}

/// Judges each `Set-Cookie` value of `headers`, in order, with `decide`, and reports each
/// violation, and shows every decision to `observe`. A header that `decide` panics on, or whose fix is not a valid header value, is
/// removed (fail closed) and reported with an `error`. In report-only mode (`enforced` false)
/// every header is kept.
fn judge_all<'p>(
    headers: &HeaderMap,
    decide: impl for<'h> Fn(&'h [u8]) -> Decision<'p, 'h>,
    enforced: bool,
    base: &ViolationReport<'_>,
    observe: Option<&(dyn Fn(&Decision<'_, '_>) + Send + Sync)>,
    report: &dyn Fn(&ViolationReport<'_>),
) -> Judged {
    let mut block = false;
    let mut outcomes: Option<Vec<Outcome>> = None;
    for (index, value) in headers.get_all(SET_COOKIE).iter().enumerate() {
        let outcome = match catch_unwind(AssertUnwindSafe(|| decide(value.as_bytes()))) {
            Ok(decision) => {
                if let Some(observe) = observe {
                    observe(&decision);
                }
                let mut error = None;
                let outcome = match decision.verdict {
                    Verdict::Allow => Outcome::Keep,
                    Verdict::Strip => Outcome::Remove,
                    Verdict::Block => {
                        block |= enforced;
                        Outcome::Remove
                    }
                    Verdict::Fix => match decision.rewritten.as_deref().map(HeaderValue::from_bytes) {
                        Some(Ok(mut fixed)) => {
                            fixed.set_sensitive(true);
                            Outcome::Replace(fixed)
                        }
                        // Fail closed: a fix that cannot leave as a header is a strip.
                        _ => {
                            error = Some("the fixed header is not a valid header value");
                            Outcome::Remove
                        }
                    },
                };
                if decision.verdict != Verdict::Allow {
                    let action = match (enforced, error) {
                        (false, _) => "reported",
                        (true, Some(_)) => "stripped",
                        (true, None) => decision.verdict.action().unwrap_or("stripped"),
                    };
                    report(&ViolationReport {
                        decision: Some(&decision),
                        cookie_name: decision.name,
                        rule: decision.rule,
                        category: decision.category,
                        violations: &decision.violation_list(),
                        action,
                        error,
                        ..*base
                    });
                }
                outcome
            }
            // Fail closed: a header the core could not judge does not leave.
            Err(_) => {
                report(&ViolationReport {
                    violations: "internal_error",
                    action: if enforced { "stripped" } else { "reported" },
                    error: Some("the policy engine failed on this header"),
                    ..*base
                });
                Outcome::Remove
            }
        };
        let outcome = if enforced { outcome } else { Outcome::Keep };
        if !matches!(outcome, Outcome::Keep) && outcomes.is_none() {
            let mut keep_so_far = Vec::with_capacity(headers.get_all(SET_COOKIE).iter().count());
            keep_so_far.resize(index, Outcome::Keep);
            outcomes = Some(keep_so_far);
        }
        if let Some(outcomes) = &mut outcomes {
            outcomes.push(outcome);
        }
    }
    Judged { block, outcomes }
}

/// Marks every `Set-Cookie` value sensitive, so HTTP/2 and HTTP/3 never put it in a compression
/// table.
fn mark_sensitive(headers: &mut HeaderMap) {
    if let Entry::Occupied(mut entry) = headers.entry(SET_COOKIE) {
        for value in entry.iter_mut() {
            value.set_sensitive(true);
        }
    }
}

/// Re-appends the `Set-Cookie` values in their order, each kept, replaced or dropped.
fn rewrite(headers: &mut HeaderMap, outcomes: Vec<Outcome>) {
    let originals: Vec<HeaderValue> = match headers.entry(SET_COOKIE) {
        Entry::Occupied(entry) => entry.remove_entry_mult().1.collect(),
        Entry::Vacant(_) => Vec::new(),
    };
    debug_assert_eq!(
        originals.len(),
        outcomes.len(),
        "one outcome per Set-Cookie value"
    );
    for (mut original, outcome) in originals.into_iter().zip(outcomes) {
        match outcome {
            Outcome::Keep => {
                original.set_sensitive(true);
                headers.append(SET_COOKIE, original);
            }
            Outcome::Replace(fixed) => {
                headers.append(SET_COOKIE, fixed);
            }
            Outcome::Remove => {}
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

/// The clock, in unix seconds: only when the response carries no valid `Date`.
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
        Decision {
            verdict,
            name,
            rule: None,
            scope: None,
            category: None,
            violations: match verdict {
                Verdict::Allow => Vec::new(),
                _ => vec![Violation {
                    kind: ViolationKind::MissingSecure,
                    detail: "secure".into(),
                }],
            },
            rewritten: rewritten.map(<[u8]>::to_vec),
            enforced: true,
        }
    }

    /// A stand-in for the core: `panic` makes it panic, `badfix` yields a fix that is not a header
    /// value, `fix` a valid fix, anything else is allowed.
    fn decide(header: &[u8]) -> Decision<'static, '_> {
        let name = header.split(|&b| b == b'=').next().unwrap_or_default();
        match name {
            b"panic" => panic!("the stand-in core fails on purpose"),
            b"badfix" => decision(Verdict::Fix, name, Some(b"badfix=1\n; Secure")),
            b"fix" => decision(Verdict::Fix, name, Some(b"fix=1; Secure")),
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
            action: "",
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
        let judged = judge_all(&headers, decide, true, &base(), None, &|r| {
            reports.borrow_mut().push((
                r.cookie_name.to_vec(),
                r.action,
                r.violations.to_owned(),
                r.error.map(str::to_owned),
            ));
        });
        assert!(!judged.block);
        rewrite(&mut headers, judged.outcomes.expect("some headers change"));
        let left: Vec<_> = headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(left, ["a=1", "fix=1; Secure", "b=2"]);

        let reports = reports.into_inner();
        assert_eq!(reports.len(), 3);
        assert_eq!(reports[0].0, b"");
        assert_eq!(
            (reports[0].1, reports[0].2.as_str()),
            ("stripped", "internal_error")
        );
        assert_eq!(
            reports[0].3.as_deref(),
            Some("the policy engine failed on this header")
        );
        assert_eq!(reports[1].0, b"badfix");
        assert_eq!(reports[1].1, "stripped");
        assert_eq!(
            reports[1].3.as_deref(),
            Some("the fixed header is not a valid header value")
        );
        assert_eq!(
            (reports[2].0.as_slice(), reports[2].1, reports[2].3.as_deref()),
            (&b"fix"[..], "fixed", None)
        );
    }

    #[test]
    fn report_only_keeps_even_what_cannot_be_judged() {
        let headers = headers(&["panic=SECRET", "badfix=SECRET"]);
        let count = RefCell::new(0);
        let judged = judge_all(&headers, decide, false, &base(), None, &|r| {
            assert_eq!(r.action, "reported");
            *count.borrow_mut() += 1;
        });
        assert!(judged.outcomes.is_none(), "nothing changes in report-only mode");
        assert_eq!(count.into_inner(), 2);
    }

    #[test]
    fn all_allowed_allocates_no_outcome_list() {
        let headers = headers(&["a=1", "b=2"]);
        let judged = judge_all(&headers, decide, true, &base(), None, &|_| panic!("no violation"));
        assert!(judged.outcomes.is_none() && !judged.block);
    }
}
