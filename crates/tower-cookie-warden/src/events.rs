//! Violation events and the `on_violation` hook.
//!
//! Every event has target `cookie_warden` and the message `cookie policy violation`; its level
//! comes from the policy's `[events]` table. No event carries a cookie's value: the fields are
//! names, rule names, kinds and request metadata only.
//!
//! - **Response side**: one event per violating `Set-Cookie` header ([`emit`]).
//! - **Request side**: bounded per request, since a client chooses how many cookies it sends (a
//!   60 kB `Cookie` header holds thousands): one event per reason and action
//!   ([`RequestViolations`]), carrying how many cookies it covers (`cookie.count`) and the first
//!   [`REQUEST_EVENT_NAMES`] distinct names (`cookie.names`). The `on_violation` hook is still
//!   called once per cookie, so counters built on it (the binary's metrics) see every one.

use std::fmt;
use std::sync::Arc;

use cookie_warden_core::action::Action;
use cookie_warden_core::consent::ConsentState;
use cookie_warden_core::decision::Decision;
use cookie_warden_core::policy::model::{Category, EventLevel, Events};
use http::StatusCode;

/// The target of every event.
pub const TARGET: &str = "cookie_warden";

/// The message of every event.
pub const MESSAGE: &str = "cookie policy violation";

/// Emits an event at a level chosen at run time (tracing's macros want it at compile time).
/// Modelled on tower-http's `event_dynamic_lvl!`.
macro_rules! event_dynamic_lvl {
    ($lvl:expr, $($tt:tt)*) => {
        match $lvl {
            EventLevel::Error => tracing::event!(target: "cookie_warden", tracing::Level::ERROR, $($tt)*),
            EventLevel::Warn => tracing::event!(target: "cookie_warden", tracing::Level::WARN, $($tt)*),
            EventLevel::Info => tracing::event!(target: "cookie_warden", tracing::Level::INFO, $($tt)*),
            EventLevel::Debug => tracing::event!(target: "cookie_warden", tracing::Level::DEBUG, $($tt)*),
            EventLevel::Trace => tracing::event!(target: "cookie_warden", tracing::Level::TRACE, $($tt)*),
        }
    };
}

/// Where a violating cookie was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CookieSource {
    /// A `Set-Cookie` header of the response.
    Response,
    /// A cookie in the request's `Cookie` header.
    Request,
}

impl CookieSource {
    /// `response` or `request`, as events carry it.
    pub fn as_str(self) -> &'static str {
        match self {
            CookieSource::Response => "response",
            CookieSource::Request => "request",
        }
    }
}

/// One violating cookie, as the `on_violation` hook receives it and as events report it.
///
/// It holds no cookie value, with one exception the hook must opt into reading:
/// [`Decision::rewritten`] inside [`ViolationReport::decision`] is the header that leaves.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ViolationReport<'a> {
    /// Where the cookie was seen.
    pub source: CookieSource,
    /// The core's decision, for a `Set-Cookie` header that could be judged.
    pub decision: Option<&'a Decision<'a, 'a>>,
    /// The cookie's name as a browser reads it (may be empty).
    pub cookie_name: &'a [u8],
    /// The name of the matching rule, as written in the policy.
    pub rule: Option<&'a str>,
    /// The matching rule's category.
    pub category: Option<Category>,
    /// The violation kinds, comma-separated (`unlisted`, `missing_secure,weak_same_site`, …).
    pub violations: &'a str,
    /// What was done: fixed, stripped, blocked, or reported (report-only mode, or
    /// `request_cookies = "report"`).
    pub action: Action,
    /// `false` when nothing was changed (report-only).
    pub enforced: bool,
    /// The id of the request's scope.
    pub scope: Option<&'a str>,
    /// The visitor's consent on this request; `None` when the policy has no `[consent]`.
    pub consent: Option<ConsentState>,
    /// Why a header that could not be judged was stripped (fail closed); `None` otherwise.
    pub error: Option<&'a str>,
    /// The request method.
    pub method: &'a str,
    /// The request path, without query.
    pub path: &'a str,
    /// The request host, lowercase, without port.
    pub host: &'a str,
    /// The upstream response's status; `None` for request cookies.
    pub status: Option<StatusCode>,
}

impl ViolationReport<'_> {
    /// The level the policy's `[events]` table gives this report's action.
    pub fn level(&self, events: &Events) -> EventLevel {
        events.level(self.action)
    }
}

/// Whether an event at `level` may be recorded at all: `false` when no subscriber wants that
/// level (tracing's global maximum), so that a report nobody reads is never even built.
pub(crate) fn may_emit(level: EventLevel) -> bool {
    let level = match level {
        EventLevel::Error => tracing::Level::ERROR,
        EventLevel::Warn => tracing::Level::WARN,
        EventLevel::Info => tracing::Level::INFO,
        EventLevel::Debug => tracing::Level::DEBUG,
        EventLevel::Trace => tracing::Level::TRACE,
    };
    level <= tracing::level_filters::STATIC_MAX_LEVEL
        && level <= tracing::level_filters::LevelFilter::current()
}

/// Calls `with` with the violation kinds of `decision`, comma-separated, as events carry them:
/// one kind is a `&'static str`, several are joined on the stack (on the heap only past
/// [`KIND_LIST_BYTES`]).
pub(crate) fn with_kind_list<R>(decision: &Decision<'_, '_>, with: impl FnOnce(&str) -> R) -> R {
    let mut kinds = decision.violations.iter().map(|v| v.kind.as_str());
    let Some(first) = kinds.next() else {
        return with("");
    };
    let Some(second) = kinds.next() else {
        return with(first);
    };
    let mut buf = [0_u8; KIND_LIST_BYTES];
    let mut len = 0;
    let mut spill: Option<String> = None;
    for kind in [first, second].into_iter().chain(kinds) {
        let sep = usize::from(len > 0 || spill.is_some());
        if let Some(spill) = &mut spill {
            spill.push(',');
            spill.push_str(kind);
        } else if len + sep + kind.len() <= buf.len() {
            if sep == 1 {
                buf[len] = b',';
            }
            buf[len + sep..len + sep + kind.len()].copy_from_slice(kind.as_bytes());
            len += sep + kind.len();
        } else {
            let mut owned = String::from(std::str::from_utf8(&buf[..len]).unwrap_or_default());
            owned.push(',');
            owned.push_str(kind);
            spill = Some(owned);
        }
    }
    match &spill {
        Some(spill) => with(spill),
        // Only whole `str`s were copied in: always UTF-8.
        None => with(std::str::from_utf8(&buf[..len]).unwrap_or_default()),
    }
}

/// How many bytes of violation kinds [`with_kind_list`] joins without allocating.
const KIND_LIST_BYTES: usize = 256;

/// Emits the event for one report.
pub(crate) fn emit(events: &Events, report: &ViolationReport<'_>) {
    let name = CookieName(report.cookie_name);
    let category = report.category.map(Category::as_str);
    let status = report.status.map(|s| s.as_u16());
    let consent_cookie = report.consent.map(|c| c.cookie().as_str());
    let consent_granted = report.consent.map(|c| tracing::field::display(c.granted()));
    let consent_gpc = report.consent.map(|c| c.gpc_applied());
    event_dynamic_lvl!(
        report.level(events),
        cookie.name = %name,
        cookie.rule = report.rule,
        cookie.category = category,
        cookie.source = report.source.as_str(),
        violation = report.violations,
        action = report.action.as_str(),
        enforced = report.enforced,
        scope = report.scope,
        consent.cookie = consent_cookie,
        consent.granted = consent_granted,
        consent.gpc = consent_gpc,
        error = report.error,
        http.request.method = report.method,
        url.path = report.path,
        server.address = report.host,
        http.response.status_code = status,
        "cookie policy violation"
    );
}

/// How many distinct cookie names one aggregated request event lists in `cookie.names`.
pub const REQUEST_EVENT_NAMES: usize = 8;

/// The request-side reasons (`unlisted`, `out_of_scope`, `consent_withdrawn`, `hidden_pair`)
/// times the actions (`stripped`, `reported`): the most events one request can cause.
const REQUEST_GROUPS: usize = 8;

/// A fact that all cookies of a group may share: the rule, the category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shared<T> {
    /// No cookie seen yet.
    Unset,
    /// Every cookie so far had this.
    One(T),
    /// The cookies differ: the event leaves the field out.
    Mixed,
}

impl<T: PartialEq + Copy> Shared<T> {
    fn add(&mut self, value: T) {
        *self = match *self {
            Shared::Unset => Shared::One(value),
            Shared::One(seen) if seen == value => Shared::One(seen),
            _ => Shared::Mixed,
        };
    }

    fn get(self) -> Option<T> {
        match self {
            Shared::One(value) => Some(value),
            Shared::Unset | Shared::Mixed => None,
        }
    }
}

/// The request cookies of one reason and action.
#[derive(Debug, Clone, Copy)]
struct RequestGroup<'a> {
    violation: &'a str,
    action: Action,
    enforced: bool,
    count: u64,
    names: [&'a [u8]; REQUEST_EVENT_NAMES],
    named: usize,
    rule: Shared<Option<&'a str>>,
    category: Shared<Option<Category>>,
}

/// The request side's violations of one request, grouped by reason and action so that
/// [`RequestViolations::emit`] writes a bounded number of events however many cookies violate.
/// Lives on the stack; allocates nothing.
#[derive(Debug)]
pub(crate) struct RequestViolations<'a> {
    groups: [Option<RequestGroup<'a>>; REQUEST_GROUPS],
}

impl<'a> RequestViolations<'a> {
    pub(crate) fn new() -> Self {
        Self {
            groups: [None; REQUEST_GROUPS],
        }
    }

    /// Counts one violating request cookie.
    pub(crate) fn add(&mut self, report: &ViolationReport<'a>) {
        let mut slot = None;
        for (index, group) in self.groups.iter().enumerate() {
            match group {
                Some(group) if group.violation == report.violations && group.action == report.action => {
                    slot = Some(index);
                    break;
                }
                None if slot.is_none() => slot = Some(index),
                _ => {}
            }
        }
        // More distinct (reason, action) pairs than the table holds cannot happen (the reasons
        // and actions are fixed); were it to, the last group absorbs the rest.
        let index = slot.unwrap_or(REQUEST_GROUPS - 1);
        let group = self.groups[index].get_or_insert(RequestGroup {
            violation: report.violations,
            action: report.action,
            enforced: report.enforced,
            count: 0,
            names: [&[]; REQUEST_EVENT_NAMES],
            named: 0,
            rule: Shared::Unset,
            category: Shared::Unset,
        });
        group.count += 1;
        group.rule.add(report.rule);
        group.category.add(report.category);
        if group.named < REQUEST_EVENT_NAMES && !group.names[..group.named].contains(&report.cookie_name) {
            group.names[group.named] = report.cookie_name;
            group.named += 1;
        }
    }

    /// Emits one event per group. `base` gives the request's facts (scope, consent, method, path,
    /// host); its cookie fields are ignored.
    pub(crate) fn emit(&self, events: &Events, base: &ViolationReport<'_>) {
        for group in self.groups.iter().flatten() {
            let names = &group.names[..group.named];
            let level = events.level(group.action);
            let name = CookieName(names.first().copied().unwrap_or_default());
            let list = NameList(names);
            let category = group.category.get().flatten().map(Category::as_str);
            let consent_cookie = base.consent.map(|c| c.cookie().as_str());
            let consent_granted = base.consent.map(|c| tracing::field::display(c.granted()));
            let consent_gpc = base.consent.map(|c| c.gpc_applied());
            event_dynamic_lvl!(
                level,
                cookie.name = %name,
                cookie.names = %list,
                cookie.count = group.count,
                cookie.rule = group.rule.get().flatten(),
                cookie.category = category,
                cookie.source = CookieSource::Request.as_str(),
                violation = group.violation,
                action = group.action.as_str(),
                enforced = group.enforced,
                scope = base.scope,
                consent.cookie = consent_cookie,
                consent.granted = consent_granted,
                consent.gpc = consent_gpc,
                http.request.method = base.method,
                url.path = base.path,
                server.address = base.host,
                "cookie policy violation"
            );
        }
    }
}

/// Displays cookie names separated by `,`, each as [`CookieName`] does, without allocating.
struct NameList<'a>(&'a [&'a [u8]]);

impl fmt::Display for NameList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, name) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            fmt::Display::fmt(&CookieName(name), f)?;
        }
        Ok(())
    }
}

/// What the user's `on_violation` hook is stored as.
pub(crate) type Hook = Arc<dyn Fn(&ViolationReport<'_>) + Send + Sync>;

/// What the user's `on_decision` hook is stored as.
pub(crate) type DecisionHook = Arc<dyn Fn(&Decision<'_, '_>) + Send + Sync>;

/// Displays a cookie name; bytes that are not UTF-8 show as U+FFFD, without allocating.
struct CookieName<'a>(&'a [u8]);

impl fmt::Display for CookieName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            f.write_str(chunk.valid())?;
            if !chunk.invalid().is_empty() {
                f.write_str("\u{fffd}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_are_not_utf8_display_with_replacement_characters() {
        assert_eq!(CookieName(b"sid").to_string(), "sid");
        assert_eq!(CookieName(b"s\xffid").to_string(), "s\u{fffd}id");
    }

    #[test]
    fn kind_lists_join_on_the_stack_and_spill_past_it() {
        use cookie_warden_core::decision::{Verdict, Violation, ViolationKind};
        let mut decision = Decision::new(Verdict::Strip, b"a", true);
        assert_eq!(with_kind_list(&decision, str::to_owned), "");
        let violation = |kind| Violation::new(kind, "d");
        decision.violations.push(violation(ViolationKind::Unlisted));
        assert_eq!(with_kind_list(&decision, str::to_owned), "unlisted");
        decision.violations.push(violation(ViolationKind::MissingSecure));
        assert_eq!(
            with_kind_list(&decision, str::to_owned),
            decision.violation_list()
        );
        for _ in 0..40 {
            decision.violations.push(violation(ViolationKind::WeakSameSite));
        }
        let joined = with_kind_list(&decision, str::to_owned);
        assert!(joined.len() > KIND_LIST_BYTES);
        assert_eq!(joined, decision.violation_list());
    }

    #[test]
    fn levels_follow_the_events_table() {
        let mut events = Events::default();
        events.fixed = EventLevel::Debug;
        events.stripped = EventLevel::Error;
        events.blocked = EventLevel::Trace;
        events.reported = EventLevel::Info;
        let mut report = ViolationReport {
            source: CookieSource::Response,
            decision: None,
            cookie_name: b"a",
            rule: None,
            category: None,
            violations: "unlisted",
            action: Action::Fixed,
            enforced: true,
            scope: None,
            consent: None,
            error: None,
            method: "GET",
            path: "/",
            host: "h",
            status: None,
        };
        for (action, level) in [
            (Action::Fixed, EventLevel::Debug),
            (Action::Stripped, EventLevel::Error),
            (Action::Blocked, EventLevel::Trace),
            (Action::Reported, EventLevel::Info),
        ] {
            report.action = action;
            assert_eq!(report.level(&events), level);
        }
    }
}
