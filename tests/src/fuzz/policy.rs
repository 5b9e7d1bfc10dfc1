//! The policy the differential fuzz runs under, as the TOML the proxy loads and as a small model
//! of its rules that property (a) checks jar cookies against.
//!
//! Three hosts under `warden.test` (`test` is an unlisted top-level label, so `warden.test` is a
//! registrable domain and `Domain=warden.test` is valid): `app.` (scope `app`, every path),
//! `shop.` (scope `shop`, only under `/shop`) and `other.` (no scope). Rules cover a session
//! cookie, a `1h` duration, persistent ones, one with `domains`, `__Host-`/`__Secure-` names, an
//! exact path, a rule that relaxes every attribute, and glob names, so that every generated name
//! maps back to its header and many headers share a rule.

/// The policy file.
pub const POLICY_TOML: &str = r#"version = 1

[enforcement]
mode = "enforce"
unlisted = "strip"
noncompliant = "fix"
malformed = "strip"
deletions = "allow"
max_lifetime = "400d"
request_cookies = "pass"

[defaults]
secure = true
http_only = true
same_site = "lax"

[[scope]]
id = "app"
hosts = ["app.warden.test"]
paths = ["/"]

[[scope]]
id = "shop"
hosts = ["shop.warden.test"]
paths = ["/shop"]

[[cookie]]
name = "sid"
scopes = ["app"]
lifetime = "session"

[[cookie]]
name = "s_*"
lifetime = "session"

[[cookie]]
name = "h_*"
lifetime = "1h"
http_only = false

[[cookie]]
name = "p_*"
lifetime = "persistent"
same_site = "strict"

[[cookie]]
name = "d_*"
scopes = ["app", "shop"]
lifetime = "persistent"
domains = ["warden.test"]

[[cookie]]
name = "__Host-x_*"
lifetime = "session"

[[cookie]]
name = "__Secure-y_*"
lifetime = "1h"

[[cookie]]
name = "cart_*"
scopes = ["shop"]
lifetime = "30m"
path = "/shop"

[[cookie]]
name = "n_*"
lifetime = "persistent"
secure = false
http_only = false
"#;

/// The hosts the browser visits (all mapped to the proxy).
pub const HOSTS: [&str; 3] = ["app.warden.test", "shop.warden.test", "other.warden.test"];

/// The longest persistent lifetime, `max_lifetime`, in seconds.
pub const MAX_LIFETIME: i64 = 400 * 86_400;

/// A rule's lifetime class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleLifetime {
    /// No expiry.
    Session,
    /// An expiry at most this many seconds after the cookie was set.
    AtMost(i64),
    /// Session, or an expiry at most [`MAX_LIFETIME`] away.
    Persistent,
}

/// The minimum SameSite a rule accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MinSameSite {
    /// Anything, an absent SameSite included.
    None,
    /// `Lax` or `Strict`.
    Lax,
    /// `Strict` only.
    Strict,
}

/// One `[[cookie]]` rule of [`POLICY_TOML`].
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The name: exact, or a literal followed by `*`.
    pub name: &'static str,
    /// The scopes it is allowed in; empty means every request, in a scope or not.
    pub scopes: &'static [&'static str],
    /// Its lifetime class.
    pub lifetime: RuleLifetime,
    /// `Secure` required.
    pub secure: bool,
    /// `HttpOnly` required.
    pub http_only: bool,
    /// The weakest SameSite allowed.
    pub same_site: MinSameSite,
    /// The exact path required, if any.
    pub path: Option<&'static str>,
    /// The Domain values allowed besides host-only; empty means host-only only.
    pub domains: &'static [&'static str],
}

const fn rule(name: &'static str, scopes: &'static [&'static str], lifetime: RuleLifetime) -> Rule {
    Rule {
        name,
        scopes,
        lifetime,
        secure: true,
        http_only: true,
        same_site: MinSameSite::Lax,
        path: None,
        domains: &[],
    }
}

/// The rules of [`POLICY_TOML`], as a model.
pub const RULES: [Rule; 9] = [
    rule("sid", &["app"], RuleLifetime::Session),
    rule("s_*", &[], RuleLifetime::Session),
    Rule {
        http_only: false,
        ..rule("h_*", &[], RuleLifetime::AtMost(3600))
    },
    Rule {
        same_site: MinSameSite::Strict,
        ..rule("p_*", &[], RuleLifetime::Persistent)
    },
    Rule {
        domains: &["warden.test"],
        ..rule("d_*", &["app", "shop"], RuleLifetime::Persistent)
    },
    rule("__Host-x_*", &[], RuleLifetime::Session),
    rule("__Secure-y_*", &[], RuleLifetime::AtMost(3600)),
    Rule {
        path: Some("/shop"),
        ..rule("cart_*", &["shop"], RuleLifetime::AtMost(1800))
    },
    Rule {
        secure: false,
        http_only: false,
        ..rule("n_*", &[], RuleLifetime::Persistent)
    },
];

/// The scope a request to `host` and `path` belongs to (first match, paths on segment
/// boundaries), `None` outside every scope.
#[must_use]
pub fn scope_of(host: &str, path: &str) -> Option<&'static str> {
    let under = |prefix: &str| {
        prefix == "/"
            || path == prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    match host {
        "app.warden.test" if under("/") => Some("app"),
        "shop.warden.test" if under("/shop") => Some("shop"),
        _ => None,
    }
}

/// The rule that governs cookie `name`, if any. `__Host-`/`__Secure-` are matched without regard
/// to case, as browsers match them; the rest of a name is case-sensitive.
#[must_use]
pub fn rule_for(name: &str) -> Option<&'static Rule> {
    let folded = fold_prefix(name);
    RULES.iter().find(|rule| match rule.name.strip_suffix('*') {
        Some(literal) => folded.starts_with(literal),
        None => folded == rule.name,
    })
}

fn fold_prefix(name: &str) -> String {
    for prefix in ["__Host-", "__Secure-"] {
        if name.len() >= prefix.len()
            && name.is_char_boundary(prefix.len())
            && name[..prefix.len()].eq_ignore_ascii_case(prefix)
        {
            return format!("{prefix}{}", &name[prefix.len()..]);
        }
    }
    name.to_owned()
}

impl Rule {
    /// Whether the rule allows its cookie in `scope`.
    #[must_use]
    pub fn allows_scope(&self, scope: Option<&str>) -> bool {
        self.scopes.is_empty() || scope.is_some_and(|s| self.scopes.contains(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_find_their_rules() {
        assert_eq!(rule_for("sid").map(|r| r.name), Some("sid"));
        assert_eq!(rule_for("sidx").map(|r| r.name), None);
        assert_eq!(rule_for("h_12").map(|r| r.name), Some("h_*"));
        assert_eq!(rule_for("H_12").map(|r| r.name), None);
        assert_eq!(rule_for("__HOST-x_3").map(|r| r.name), Some("__Host-x_*"));
        assert_eq!(rule_for("__secure-y_3").map(|r| r.name), Some("__Secure-y_*"));
        assert!(rule_for("u_1").is_none());
    }

    #[test]
    fn scopes_follow_host_and_path() {
        assert_eq!(scope_of("app.warden.test", "/x/y"), Some("app"));
        assert_eq!(scope_of("shop.warden.test", "/shop/cart"), Some("shop"));
        assert_eq!(scope_of("shop.warden.test", "/shopping"), None);
        assert_eq!(scope_of("other.warden.test", "/"), None);
        assert!(RULES[1].allows_scope(None));
        assert!(!RULES[0].allows_scope(Some("shop")));
    }

    #[test]
    fn the_model_has_one_rule_per_toml_rule() {
        let toml_rules = POLICY_TOML.matches("[[cookie]]").count();
        assert_eq!(toml_rules, RULES.len());
        for rule in RULES {
            assert!(
                POLICY_TOML.contains(&format!("name = \"{}\"", rule.name)),
                "{}",
                rule.name
            );
        }
    }
}
