//! Violation details, kept as what they name until they are shown: deciding a header writes no
//! text and allocates nothing for them; [`crate::decision::Detail`]'s `Display` writes the text
//! when an event, the CLI or a test asks for it.

use std::borrow::Cow;
use std::fmt;

use crate::policy::CompiledRule;
use crate::policy::duration::format_duration;
use crate::set_cookie::{Ambiguities, MAX_ATTRIBUTE_VALUE_LEN, SameSite};

/// What a detail says. `'p` borrows rules and scope names from the policy. A detail never holds
/// the cookie's value. Kept small: a rule by reference, fixed words as enums.
#[derive(Debug, Clone)]
pub(crate) enum Reason<'p> {
    /// A text written in full (a fixed sentence, or one built where it names the header's data).
    Text(Cow<'static, str>),
    /// `out_of_scope`; `scope` is the request's (`None`: outside every scope).
    OutOfScope {
        rule: &'p CompiledRule,
        scope: Option<&'p str>,
    },
    /// `consent_missing`.
    Consent { rule: &'p CompiledRule, why: ConsentWhy },
    /// `ambiguous`: the parser's flags (at least one set).
    Ambiguous(Ambiguities),
    /// `oversize`: how many attribute values are too long.
    OversizeAttributes(u16),
    /// `missing_secure`.
    RequiresSecure(&'p CompiledRule),
    /// `missing_http_only`.
    RequiresHttpOnly(&'p CompiledRule),
    /// `weak_same_site`: the minimum to write, and what the header has.
    WeakSameSite {
        rule: &'p CompiledRule,
        minimum: SameSite,
        have: SameSite,
    },
    /// `not_session`, and which expiry attributes the header sets.
    NotSession { rule: &'p CompiledRule, set: ExpirySet },
    /// `missing_expiry`, with the longest lifetime allowed.
    MissingExpiry { rule: &'p CompiledRule, max: i64 },
    /// `lifetime_exceeded`.
    LifetimeExceeded {
        rule: &'p CompiledRule,
        max: i64,
        set: ExpirySet,
        seconds: i64,
    },
}

/// Why a category lacks consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConsentWhy {
    /// `Sec-GPC: 1` withdrew it.
    Gpc,
    /// The request has no consent cookie.
    NoCookie,
    /// The consent cookie does not grant it.
    NotGranted,
}

impl ConsentWhy {
    fn as_str(self) -> &'static str {
        match self {
            ConsentWhy::Gpc => "withdrawn by Sec-GPC",
            ConsentWhy::NoCookie => "no consent cookie",
            ConsentWhy::NotGranted => "not granted by the consent cookie",
        }
    }
}

/// Which attributes set the expiry that decides (a valid Max-Age wins over Expires).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExpirySet {
    MaxAgeAndExpires,
    MaxAge,
    Expires,
}

impl ExpirySet {
    fn as_str(self) -> &'static str {
        match self {
            ExpirySet::MaxAgeAndExpires => "Max-Age and Expires",
            ExpirySet::MaxAge => "Max-Age",
            ExpirySet::Expires => "Expires",
        }
    }
}

impl fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Text(text) => f.write_str(text),
            Reason::OutOfScope {
                rule,
                scope: Some(scope),
            } => write!(
                f,
                "rule `{}` does not allow this cookie in scope `{scope}`",
                rule.name()
            ),
            Reason::OutOfScope { rule, scope: None } => write!(
                f,
                "rule `{}` does not allow this cookie outside its scopes",
                rule.name()
            ),
            Reason::Consent { rule, why } => write!(
                f,
                "rule `{}` is in category `{}`, which needs consent ({})",
                rule.name(),
                rule.category().as_str(),
                why.as_str()
            ),
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
            Reason::RequiresSecure(rule) => write!(f, "rule `{}` requires Secure", rule.name()),
            Reason::RequiresHttpOnly(rule) => write!(f, "rule `{}` requires HttpOnly", rule.name()),
            // An absent or unrecognised SameSite must not read like `SameSite=None`.
            Reason::WeakSameSite {
                rule,
                minimum,
                have: SameSite::Default,
            } => write!(
                f,
                "rule `{}` requires SameSite={} or stricter; the header sets no valid SameSite",
                rule.name(),
                minimum.as_str()
            ),
            Reason::WeakSameSite { rule, minimum, have } => write!(
                f,
                "rule `{}` requires SameSite={} or stricter; the header's SameSite is {}",
                rule.name(),
                minimum.as_str(),
                have.as_str()
            ),
            Reason::NotSession { rule, set } => write!(
                f,
                "rule `{}` requires a session cookie; the header sets {}",
                rule.name(),
                set.as_str()
            ),
            Reason::MissingExpiry { rule, max } => write!(
                f,
                "rule `{}` requires an expiry of at most {}; the header sets none",
                rule.name(),
                format_duration(*max)
            ),
            Reason::LifetimeExceeded {
                rule,
                max,
                set,
                seconds,
            } => write!(
                f,
                "rule `{}` allows a lifetime of at most {}; the header's {} gives {}",
                rule.name(),
                format_duration(*max),
                set.as_str(),
                format_duration(*seconds)
            ),
        }
    }
}
