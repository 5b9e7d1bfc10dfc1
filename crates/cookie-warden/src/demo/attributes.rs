//! The attributes of a demo cookie, and the compliant `Set-Cookie` header a rule asks for (used by
//! the site's pages and the consent banner's links).

use std::fmt::Write as _;

use cookie_warden_core::policy::model::SameSiteMin;
use cookie_warden_core::policy::{CompiledRule, Lifetime};

/// The value every demo cookie carries (a demo has no secrets).
pub(super) const VALUE: &str = "demo";

/// The attributes of a demo cookie.
#[derive(Debug, Clone)]
pub(super) struct Attributes {
    path: String,
    pub(super) max_age: Option<i64>,
    pub(super) secure: bool,
    pub(super) http_only: bool,
    same_site: &'static str,
}

impl Attributes {
    /// Exactly what `rule` asks for.
    pub(super) fn compliant(rule: &CompiledRule, name: &str, max_lifetime: i64) -> Self {
        let host_prefix = name.len() >= 7 && name[..7].eq_ignore_ascii_case("__Host-");
        let path = if host_prefix {
            "/".to_owned()
        } else {
            rule.path().unwrap_or("/").to_owned()
        };
        let max_age = match rule.lifetime() {
            Lifetime::Session => None,
            Lifetime::Persistent => Some(max_lifetime.min(365 * 24 * 3600)),
            Lifetime::AtMost(seconds) => Some(seconds.min(max_lifetime)),
        };
        let same_site = match rule.same_site() {
            SameSiteMin::Strict => "Strict",
            SameSiteMin::Lax | SameSiteMin::None => "Lax",
        };
        Self {
            path,
            max_age,
            secure: rule.secure() || has_prefix(name),
            http_only: rule.http_only(),
            same_site,
        }
    }

    pub(super) fn header(&self, name: &str) -> String {
        self.header_with_value(name, VALUE)
    }

    fn header_with_value(&self, name: &str, value: &str) -> String {
        let mut header = format!("{name}={value}; Path={}", self.path);
        if let Some(max_age) = self.max_age {
            let _ = write!(header, "; Max-Age={max_age}");
        }
        if self.secure {
            header.push_str("; Secure");
        }
        if self.http_only {
            header.push_str("; HttpOnly");
        }
        let _ = write!(header, "; SameSite={}", self.same_site);
        header
    }
}

/// A `Set-Cookie` value for `name` with exactly the attributes `rule` asks for.
pub(super) fn compliant_header(rule: &CompiledRule, name: &str, value: &str, max_lifetime: i64) -> String {
    Attributes::compliant(rule, name, max_lifetime).header_with_value(name, value)
}

/// Whether `name` carries a `__Host-` or `__Secure-` prefix (any case).
pub(super) fn has_prefix(name: &str) -> bool {
    let lower = name.get(..9).unwrap_or(name).to_ascii_lowercase();
    lower.starts_with("__host-") || lower.starts_with("__secure-")
}
