//! One line of the proxy's JSON log (`--log-format json`), as far as `report` reads it.
//!
//! Only `cookie policy violation` events count; every other field and line is ignored. Fields
//! are read tolerantly, so that logs from other versions still report:
//!
//! - `cookie.count` (or `count`): how many cookies one event covers (request-side events are
//!   aggregated per request and reason); absent means 1;
//! - `cookie.source`: `response` (a `Set-Cookie` header) or `request` (a cookie the client
//!   sent); absent reads as `response`, the only side older logs have;
//! - `cookie.name`; for an aggregated request-side event `cookie.names` lists the first few;
//! - `policy.digest`: which policy decided; logs that do not carry it say "not recorded".
//!
//! Strings borrow from the line when they hold no JSON escape.

use std::borrow::Cow;

use cookie_warden_core::action::Action;
use serde::Deserialize;

/// The fixed message of every violation event.
pub(crate) const VIOLATION_MESSAGE: &str = "cookie policy violation";

/// The fields of a log line that `report` reads.
#[derive(Debug, Deserialize)]
pub(crate) struct LogLine<'a> {
    #[serde(borrow, default)]
    pub(crate) message: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "cookie.name")]
    pub(crate) name: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "cookie.names")]
    pub(crate) names: Option<Cow<'a, str>>,
    #[serde(default, rename = "cookie.count")]
    pub(crate) cookie_count: Option<u64>,
    #[serde(default)]
    pub(crate) count: Option<u64>,
    #[serde(borrow, default, rename = "cookie.rule")]
    pub(crate) rule: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "cookie.category")]
    pub(crate) category: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "cookie.source")]
    pub(crate) source: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) violation: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) action: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) scope: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "url.path")]
    pub(crate) path: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "server.address")]
    pub(crate) host: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "policy.digest")]
    pub(crate) digest: Option<Cow<'a, str>>,
}

/// A violation event, checked: its action is an [`Action`]'s name.
#[derive(Debug)]
pub(crate) struct Violation<'l, 'a> {
    pub(crate) line: &'l LogLine<'a>,
    /// What was done.
    pub(crate) action: Action,
    /// How many cookies it covers (at least 1).
    pub(crate) count: u64,
    /// Unix seconds, when the timestamp could be read.
    pub(crate) time: Option<i64>,
}

impl<'a> LogLine<'a> {
    /// The line as a violation event, or `None` when it is another event.
    pub(crate) fn violation(&self) -> Option<Violation<'_, 'a>> {
        if self.message.as_deref() != Some(VIOLATION_MESSAGE) {
            return None;
        }
        let action = self.action.as_deref()?.parse::<Action>().ok()?;
        let count = self.cookie_count.or(self.count).unwrap_or(1);
        let time = self
            .timestamp
            .as_deref()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .map(jiff::Timestamp::as_second);
        Some(Violation {
            line: self,
            action,
            count,
            time,
        })
    }

    /// `response` or `request` (or what a newer log says).
    pub(crate) fn side(&self) -> &str {
        self.source.as_deref().unwrap_or("response")
    }

    /// The name the report files this event under: `cookie.name`, or for an aggregated event
    /// that names several cookies, its `cookie.names` list.
    pub(crate) fn display_name(&self) -> &str {
        match (self.names.as_deref(), self.name.as_deref()) {
            (Some(list), _) if list.contains(',') => list,
            (_, Some(name)) => name,
            (Some(list), None) => list,
            (None, None) => "",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_proxy_line_and_tolerates_counts_and_missing_fields() {
        let line = r#"{"timestamp":"2026-12-03T04:52:27.183733Z","level":"WARN","message":"cookie policy violation","cookie.name":"_ga","cookie.source":"response","violation":"unlisted","action":"stripped","enforced":true,"scope":"login","http.request.method":"GET","url.path":"/irj/","server.address":"minasidor.fora.se","http.response.status_code":200,"target":"cookie_warden"}"#;
        let parsed: LogLine<'_> = serde_json::from_str(line).unwrap();
        let v = parsed.violation().unwrap();
        assert_eq!(
            (v.action, v.count, v.time),
            (Action::Stripped, 1, Some(1_796_273_547))
        );
        assert_eq!((parsed.side(), parsed.display_name()), ("response", "_ga"));

        let aggregated = r#"{"message":"cookie policy violation","cookie.name":"a","cookie.names":"a,b","cookie.count":7,"cookie.source":"request","action":"reported"}"#;
        let parsed: LogLine<'_> = serde_json::from_str(aggregated).unwrap();
        let v = parsed.violation().unwrap();
        assert_eq!((v.action, v.count, v.time), (Action::Reported, 7, None));
        assert_eq!((parsed.side(), parsed.display_name()), ("request", "a,b"));

        let other: LogLine<'_> = serde_json::from_str(r#"{"message":"demo listening"}"#).unwrap();
        assert!(other.violation().is_none());
        let odd: LogLine<'_> =
            serde_json::from_str(r#"{"message":"cookie policy violation","action":"nuked"}"#).unwrap();
        assert!(odd.violation().is_none());
    }
}
