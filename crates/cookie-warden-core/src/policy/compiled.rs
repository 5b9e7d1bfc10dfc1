//! The compiled policy: checked once at load, then shared by every request.
//!
//! Build one with [`crate::policy::load::from_toml_str`], or (with the `figment` feature)
//! `crate::policy::load::from_figment`.
//!
//! ```
//! use cookie_warden_core::policy::load::from_toml_str;
//! use cookie_warden_core::policy::{Lifetime, NameMatch};
//!
//! let loaded = from_toml_str("example.toml", r#"
//!     version = 1
//!     [[scope]]
//!     id = "app"
//!     hosts = ["example.com"]
//!     paths = ["/app"]
//!     [[cookie]]
//!     name = "sid"
//!     scopes = ["app"]
//!     lifetime = "1h"
//! "#).unwrap();
//! let policy = loaded.policy;
//! let app = policy.scope_for("example.com", "/app/home");
//! assert_eq!(app.map(|s| policy.scope_name(s)), Some("app"));
//! match policy.match_name(b"sid", app) {
//!     NameMatch::InScope(rule) => assert_eq!(rule.lifetime(), Lifetime::AtMost(3600)),
//!     other => panic!("{other:?}"),
//! }
//! let elsewhere = policy.scope_for("example.com", "/apple");
//! assert_eq!(elsewhere, None);
//! assert!(matches!(policy.match_name(b"sid", elsewhere), NameMatch::OutOfScope(_)));
//! assert!(matches!(policy.match_name(b"other", app), NameMatch::Unlisted));
//! ```

use crate::policy::matcher::{Found, NameMatcher};
use crate::policy::model::{
    Category, ConsentFormat, Deletions, Events, Mode, Noncompliant, PolicyFile, RequestCookies, SameSiteMin,
    StripOrBlock,
};
use crate::policy::name::{NamePrefix, PatternKind};
use crate::policy::scopes::{ScopeId, ScopeTable};

/// A rule's lifetime requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lifetime {
    /// No Expires and no Max-Age.
    Session,
    /// An expiry no later than `enforcement.max_lifetime` from now.
    Persistent,
    /// An explicit expiry no later than this many seconds from now.
    AtMost(i64),
}

impl Lifetime {
    /// The longest allowed lifetime in seconds, given the policy's `max_lifetime`; `None` for a
    /// session cookie.
    pub fn max_seconds(self, max_lifetime: i64) -> Option<i64> {
        match self {
            Lifetime::Session => None,
            Lifetime::Persistent => Some(max_lifetime),
            Lifetime::AtMost(secs) => Some(secs.min(max_lifetime)),
        }
    }
}

/// The typed `[enforcement]` settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct EnforcementSettings {
    /// `enforce` or `report-only`.
    pub mode: Mode,
    /// A cookie no rule allows here.
    pub unlisted: StripOrBlock,
    /// An allowed cookie whose attributes break its rule.
    pub noncompliant: Noncompliant,
    /// A header a browser would drop, or that is not a cookie.
    pub malformed: StripOrBlock,
    /// Deletions of any name.
    pub deletions: Deletions,
    /// The status of a blocked response (400–599).
    pub block_status: u16,
    /// No persistent cookie outlives this, in seconds (at most 400 days).
    pub max_lifetime: i64,
    /// What happens to the request's `Cookie` header.
    pub request_cookies: RequestCookies,
}

/// The compiled `[consent]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompiledConsent {
    /// The consent cookie's name.
    pub cookie: String,
    /// How its value lists granted categories.
    pub format: ConsentFormat,
    /// The separator of the `list` format.
    pub separator: String,
    /// `required[c as usize]`: category `c` needs consent.
    required: [bool; 4],
    /// `Sec-GPC: 1` withdraws every category but `necessary`.
    pub honor_gpc: bool,
    /// Expire cookies of withdrawn categories that the browser still sends.
    pub purge: bool,
}

impl CompiledConsent {
    pub(crate) fn new(
        cookie: String,
        format: ConsentFormat,
        separator: String,
        required: Option<&[Category]>,
        honor_gpc: bool,
        purge: bool,
    ) -> Self {
        let mut flags = [false, true, true, true];
        if let Some(list) = required {
            flags = [false; 4];
            for &c in list {
                flags[c as usize] = true;
            }
        }
        Self {
            cookie,
            format,
            separator,
            required: flags,
            honor_gpc,
            purge,
        }
    }

    /// Does a cookie of this category need the visitor's consent?
    pub fn requires(&self, category: Category) -> bool {
        self.required[category as usize]
    }
}

/// One rule with its effective requirements (`[defaults]` applied).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompiledRule {
    pub(crate) index: usize,
    pub(crate) name: String,
    pub(crate) kind: PatternKind,
    pub(crate) prefix: NamePrefix,
    pub(crate) category: Category,
    pub(crate) category_declared: bool,
    pub(crate) lifetime: Lifetime,
    pub(crate) secure: bool,
    pub(crate) http_only: bool,
    pub(crate) same_site: SameSiteMin,
    pub(crate) path: Option<String>,
    pub(crate) domains: Option<Vec<String>>,
    pub(crate) scopes: Option<Vec<ScopeId>>,
}

impl CompiledRule {
    /// The rule's position in the policy (`cookie[i]`).
    pub fn index(&self) -> usize {
        self.index
    }

    /// The rule's `name` as written (an exact name, glob or template).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Exact, template or glob.
    pub fn kind(&self) -> PatternKind {
        self.kind
    }

    /// The `__Host-` / `__Secure-` prefix of the rule's name, if any.
    pub fn prefix(&self) -> NamePrefix {
        self.prefix
    }

    /// The category; `necessary` when the rule names none.
    pub fn category(&self) -> Category {
        self.category
    }

    /// Did the rule name its category?
    pub fn category_declared(&self) -> bool {
        self.category_declared
    }

    /// The lifetime requirement.
    pub fn lifetime(&self) -> Lifetime {
        self.lifetime
    }

    /// `Secure` is required.
    pub fn secure(&self) -> bool {
        self.secure
    }

    /// `HttpOnly` is required.
    pub fn http_only(&self) -> bool {
        self.http_only
    }

    /// The weakest SameSite allowed.
    pub fn same_site(&self) -> SameSiteMin {
        self.same_site
    }

    /// The exact `Path` attribute required, if any.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// The allowed `Domain` attributes (lowercase, no leading dot); `None`: host-only.
    pub fn domains(&self) -> Option<&[String]> {
        self.domains.as_deref()
    }

    /// The scopes the rule is limited to; `None`: every scope (and requests in no scope).
    pub fn scopes(&self) -> Option<&[ScopeId]> {
        self.scopes.as_deref()
    }

    /// Does the rule allow its cookie in a request of this scope? A rule without `scopes`
    /// applies everywhere; a rule with `scopes` only there (never to a request in no scope).
    pub fn applies_in(&self, scope: Option<ScopeId>) -> bool {
        match (&self.scopes, scope) {
            (None, _) => true,
            (Some(list), Some(s)) => list.contains(&s),
            (Some(_), None) => false,
        }
    }

    /// Do two rules state the same requirements (all but name and scopes)?
    pub(crate) fn same_requirements(&self, other: &CompiledRule) -> bool {
        (
            self.category,
            self.lifetime,
            self.secure,
            self.http_only,
            self.same_site,
            &self.path,
            &self.domains,
        ) == (
            other.category,
            other.lifetime,
            other.secure,
            other.http_only,
            other.same_site,
            &other.path,
            &other.domains,
        )
    }
}

/// The result of matching a cookie name in a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameMatch<'p> {
    /// The most specific rule that matches the name and applies in the scope.
    InScope(&'p CompiledRule),
    /// Rules match the name, but none applies in this scope; the most specific of them.
    OutOfScope(&'p CompiledRule),
    /// No rule matches the name.
    Unlisted,
}

/// A policy, checked and compiled. Cheap to share (`Arc`), immutable, `Send + Sync`.
#[derive(Debug)]
pub struct CompiledPolicy {
    pub(crate) source: PolicyFile,
    pub(crate) enforcement: EnforcementSettings,
    pub(crate) scopes: ScopeTable,
    pub(crate) rules: Vec<CompiledRule>,
    pub(crate) names: NameMatcher,
    pub(crate) consent: Option<CompiledConsent>,
}

impl CompiledPolicy {
    /// The policy file as loaded (after environment overrides).
    pub fn source(&self) -> &PolicyFile {
        &self.source
    }

    /// The typed `[enforcement]` settings.
    pub fn enforcement(&self) -> &EnforcementSettings {
        &self.enforcement
    }

    /// `enforce` or `report-only`.
    pub fn mode(&self) -> Mode {
        self.enforcement.mode
    }

    /// `enforcement.max_lifetime` in seconds.
    pub fn max_lifetime(&self) -> i64 {
        self.enforcement.max_lifetime
    }

    /// The `[events]` levels.
    pub fn events(&self) -> &Events {
        &self.source.events
    }

    /// The compiled `[consent]`, when the policy has one.
    pub fn consent(&self) -> Option<&CompiledConsent> {
        self.consent.as_ref()
    }

    /// Every rule, in policy order.
    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    /// The number of scopes.
    pub fn scope_count(&self) -> usize {
        self.scopes.scopes.len()
    }

    /// Every scope id, in policy order.
    pub fn scope_ids(&self) -> impl Iterator<Item = ScopeId> + '_ {
        (0..self.scopes.scopes.len()).map(|i| ScopeId(i as u16))
    }

    /// A scope's `id` as written.
    pub fn scope_name(&self, scope: ScopeId) -> &str {
        &self.scopes.scopes[scope.index()].id
    }

    /// The scope with this `id`.
    pub fn scope_by_name(&self, id: &str) -> Option<ScopeId> {
        self.scopes
            .scopes
            .iter()
            .position(|s| s.id == id)
            .map(|i| ScopeId(i as u16))
    }

    /// The scope of a request: the first scope, in policy order, whose hosts and paths match.
    /// `host` is lowercase without port, `path` without query.
    pub fn scope_for(&self, host: &str, path: &str) -> Option<ScopeId> {
        self.scopes.scope_for(host, path)
    }

    /// Matches a cookie name (as a browser reads it) in a request's scope. Allocates nothing.
    ///
    /// Among the rules matching `name`, the most specific one that applies in `scope` wins
    /// (exact > template > glob, then more literal text, then policy order): `InScope`. When
    /// rules match but none applies here: `OutOfScope` with the most specific of them. Otherwise
    /// `Unlisted`.
    #[inline]
    pub fn match_name(&self, name: &[u8], scope: Option<ScopeId>) -> NameMatch<'_> {
        match self
            .names
            .find(name, |r| self.rules[r as usize].applies_in(scope))
        {
            Found::Applies(r) => NameMatch::InScope(&self.rules[r as usize]),
            Found::NotHere(r) => NameMatch::OutOfScope(&self.rules[r as usize]),
            Found::Nothing => NameMatch::Unlisted,
        }
    }
}
