//! Actions: what was done about a violating cookie, as events, metrics labels and reports name it.

use std::fmt;
use std::str::FromStr;

/// What was done about a violating cookie: the `action` of events, metrics labels and reports, and
/// the keys of the policy's `[events]` table ([`crate::policy::model::Events::level`]).
///
/// A [`Verdict`](crate::decision::Verdict) is what the policy asks for; an action is what happened: a verdict that is not
/// enforced (report-only mode, or `request_cookies = "report"`) is [`Action::Reported`].
///
/// Exhaustive on purpose: every consumer (event levels, metrics, the report page) must say what it
/// does with each action, and a new one needs a new `[events]` key, so adding one is a breaking
/// change.
///
/// ```
/// use cookie_warden_core::action::Action;
///
/// assert_eq!(Action::Stripped.as_str(), "stripped");
/// assert_eq!("fixed".parse::<Action>(), Ok(Action::Fixed));
/// assert!("nuked".parse::<Action>().is_err());
/// assert_eq!(Action::ALL.map(Action::as_str), ["fixed", "stripped", "blocked", "reported"]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// The header left rewritten (canonical, compliant).
    Fixed,
    /// The header, or the request cookie, was removed.
    Stripped,
    /// The whole response was replaced.
    Blocked,
    /// Nothing was changed: the violation was only reported.
    Reported,
}

impl Action {
    /// Every action, in declaration order (the order of metrics slots and report columns).
    pub const ALL: [Action; 4] = [Action::Fixed, Action::Stripped, Action::Blocked, Action::Reported];

    /// The lowercase past-tense name used in events, metrics labels, reports and the policy's
    /// `[events]` table.
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Fixed => "fixed",
            Action::Stripped => "stripped",
            Action::Blocked => "blocked",
            Action::Reported => "reported",
        }
    }

    /// This action's position in [`Action::ALL`], for tables indexed by action.
    pub const fn index(self) -> usize {
        match self {
            Action::Fixed => 0,
            Action::Stripped => 1,
            Action::Blocked => 2,
            Action::Reported => 3,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = UnknownAction;

    /// Reads an action by its [`Action::as_str`] name (exactly: lowercase).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Action::ALL
            .into_iter()
            .find(|action| action.as_str() == text)
            .ok_or_else(|| UnknownAction(clip(text, UnknownAction::MAX_QUOTED)))
    }
}

/// A text that names no [`Action`]; it quotes the text, cut at [`UnknownAction::MAX_QUOTED`]
/// bytes (an action is never a cookie value, but it may come from any log line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownAction(String);

impl UnknownAction {
    /// The most bytes of the offending text an error quotes.
    pub const MAX_QUOTED: usize = 64;
}

impl fmt::Display for UnknownAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown action `{}` (expected one of: fixed, stripped, blocked, reported)",
            self.0
        )
    }
}

impl std::error::Error for UnknownAction {}

/// `text` cut to at most `max` bytes, on a character boundary, with `…` when cut.
fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_read_back_what_they_write_and_nothing_else() {
        for (index, action) in Action::ALL.into_iter().enumerate() {
            assert_eq!(action.as_str().parse::<Action>(), Ok(action));
            assert_eq!(action.to_string(), action.as_str());
            assert_eq!(action.index(), index);
        }
        for text in ["", "Fixed", "STRIPPED", "strip", "fixed ", "nuked"] {
            assert!(text.parse::<Action>().is_err(), "{text:?}");
        }
        let long = "x".repeat(1000);
        let message = long.parse::<Action>().unwrap_err().to_string();
        assert!(message.len() < 200, "{message}");
        assert!(message.starts_with("unknown action `xxx"), "{message}");
    }
}
