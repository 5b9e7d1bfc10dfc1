//! The response side: every `Set-Cookie` judged in order, then kept, replaced, removed, or the
//! whole response blocked.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use cookie_warden_core::consent::ConsentState;
use cookie_warden_core::decision::Verdict;
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

        let mut block = false;
        // Built only when some header changes: the common response allocates nothing here.
        let mut outcomes: Option<Vec<Outcome>> = None;
        for (index, value) in headers.get_all(SET_COOKIE).iter().enumerate() {
            let outcome = match catch_unwind(AssertUnwindSafe(|| judge.decide(value.as_bytes(), now))) {
                Ok(decision) => {
                    let mut error = None;
                    let outcome = match decision.verdict {
                        Verdict::Allow => Outcome::Keep,
                        Verdict::Strip => Outcome::Remove,
                        Verdict::Block => {
                            block = true;
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
                        self.report(&ViolationReport {
                            decision: Some(&decision),
                            cookie_name: decision.name,
                            rule: decision.rule,
                            category: decision.category,
                            violations: &decision.violation_list(),
                            action,
                            error,
                            ..base
                        });
                    }
                    if enforced { outcome } else { Outcome::Keep }
                }
                // Fail closed: a header the core could not judge does not leave.
                Err(_) => {
                    self.report(&ViolationReport {
                        violations: "internal_error",
                        action: if enforced { "stripped" } else { "reported" },
                        error: Some("the policy engine failed on this header"),
                        ..base
                    });
                    if enforced { Outcome::Remove } else { Outcome::Keep }
                }
            };
            if !matches!(outcome, Outcome::Keep) && outcomes.is_none() {
                let mut keep_so_far = Vec::with_capacity(headers.get_all(SET_COOKIE).iter().count());
                keep_so_far.resize(index, Outcome::Keep);
                outcomes = Some(keep_so_far);
            }
            if let Some(outcomes) = &mut outcomes {
                outcomes.push(outcome);
            }
        }

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
