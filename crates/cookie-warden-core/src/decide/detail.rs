//! Violation details, kept as what they name until they are shown: deciding a header writes no
//! text and allocates nothing for them; [`crate::decision::Detail`]'s `Display` writes the text
//! when an event, the CLI or a test asks for it.

use std::borrow::Cow;
use std::fmt;

use crate::policy::duration::format_duration;
use crate::set_cookie::{Ambiguities, MAX_ATTRIBUTE_VALUE_LEN, SameSite};

/// What a detail says. `'p` borrows rule and scope names from the policy. A detail never holds
/// the cookie's value.
#[derive(Debug, Clone)]
pub(crate) enum Reason<'p> {
    /// A text written in full (a fixed sentence, or one built where it names the header's data).
    Text(Cow<'static, str>),
    /// `out_of_scope`; `scope` is the request's (`None`: outside every scope).
    OutOfScope { rule: &'p str, scope: Option<&'p str> },
    /// `consent_missing`.
    Consent {
        rule: &'p str,
        category: &'static str,
        why: &'static str,
    },
    /// `ambiguous`: the parser's flags (at least one set).
    Ambiguous(Ambiguities),
    /// `oversize`: how many attribute values are too long.
    OversizeAttributes(u16),
    /// `missing_secure`.
    RequiresSecure { rule: &'p str },
    /// `missing_http_only`.
    RequiresHttpOnly { rule: &'p str },
    /// `weak_same_site`: the minimum to write, and what the header has.
    WeakSameSite {
        rule: &'p str,
        minimum: SameSite,
        have: SameSite,
    },
    /// `not_session`; `set` names the expiry attributes present.
    NotSession { rule: &'p str, set: &'static str },
    /// `missing_expiry`, with the longest lifetime allowed.
    MissingExpiry { rule: &'p str, max: i64 },
    /// `lifetime_exceeded`.
    LifetimeExceeded {
        rule: &'p str,
        max: i64,
        set: &'static str,
        seconds: i64,
    },
}

impl fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Text(text) => f.write_str(text),
            Reason::OutOfScope {
                rule,
                scope: Some(scope),
            } => {
                write!(f, "rule `{rule}` does not allow this cookie in scope `{scope}`")
            }
            Reason::OutOfScope { rule, scope: None } => {
                write!(f, "rule `{rule}` does not allow this cookie outside its scopes")
            }
            Reason::Consent { rule, category, why } => {
                write!(
                    f,
                    "rule `{rule}` is in category `{category}`, which needs consent ({why})"
                )
            }
            Reason::Ambiguous(flags) => {
                f.write_str("browsers read this header differently (")?;
                for (i, name) in flags.names().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(name)?;
                }
                f.write_str(if flags.fixed_by_canonical_form() {
                    "); its canonical form does not"
                } else {
                    "); no form of it reads the same everywhere"
                })
            }
            Reason::OversizeAttributes(count) => write!(
                f,
                "{count} attribute value(s) longer than {MAX_ATTRIBUTE_VALUE_LEN} bytes, which browsers ignore"
            ),
            Reason::RequiresSecure { rule } => write!(f, "rule `{rule}` requires Secure"),
            Reason::RequiresHttpOnly { rule } => write!(f, "rule `{rule}` requires HttpOnly"),
            // An absent or unrecognised SameSite must not read like `SameSite=None`.
            Reason::WeakSameSite {
                rule,
                minimum,
                have: SameSite::Default,
            } => write!(
                f,
                "rule `{rule}` requires SameSite={} or stricter; the header sets no valid SameSite",
                minimum.as_str()
            ),
            Reason::WeakSameSite { rule, minimum, have } => write!(
                f,
                "rule `{rule}` requires SameSite={} or stricter; the header's SameSite is {}",
                minimum.as_str(),
                have.as_str()
            ),
            Reason::NotSession { rule, set } => {
                write!(
                    f,
                    "rule `{rule}` requires a session cookie; the header sets {set}"
                )
            }
            Reason::MissingExpiry { rule, max } => write!(
                f,
                "rule `{rule}` requires an expiry of at most {}; the header sets none",
                format_duration(*max)
            ),
            Reason::LifetimeExceeded {
                rule,
                max,
                set,
                seconds,
            } => write!(
                f,
                "rule `{rule}` allows a lifetime of at most {}; the header's {set} gives {}",
                format_duration(*max),
                format_duration(*seconds)
            ),
        }
    }
}
