//! Checking and compiling a [`PolicyFile`]: every problem is collected (with its key path) before
//! the policy is refused, and lints are collected for a policy that loads.
//!
//! Errors (the policy does not load):
//! - `version` other than 1;
//! - `enforcement.block_status` not a 4xx or 5xx status; `enforcement.max_lifetime` not a
//!   duration, or over 400 days (browsers cap every cookie at 400 days);
//! - a scope with an empty or duplicate `id`, no hosts, a bad host (`scope[1].hosts[0]`) or a bad
//!   path;
//! - a rule with an invalid name pattern or placeholder regex, a placeholder declared but not used
//!   in the name, a scope id not declared (`cookie[2].scopes[0]`), an empty `scopes` list, a bad
//!   lifetime, a duration over `max_lifetime`, a `__Host-` rule with `domains`, a path other than `/` or `secure = false`, a `__Secure-` rule with
//!   `secure = false`, a bad `path` or domain;
//! - **duplicate rules**: two rules with the same name pattern (the same exact name, the prefix
//!   compared case-insensitively; or globs/templates that compile to the same expression, whatever
//!   their placeholder names) whose scope sets overlap (a rule without `scopes` overlaps every
//!   rule). The same pattern may appear once per scope.
//! - `[consent]` with an invalid cookie name or an empty separator; `[declaration]` with a bad
//!   path.
//!
//! Lints (the policy loads): rules that can match one name, in a shared scope, with different
//! requirements (the most specific wins; exact names against patterns are checked exactly,
//! pattern against pattern by their literal head and tail, which may over-report); statistics or
//! marketing rules without `[consent]`; persistent lifetimes over 13 months; a rule without a
//! category when `[consent]` exists; a consent cookie that no rule lists (it would be stripped),
//! or whose rule's category needs consent (a visitor's first choice could never be stored); a
//! scope that never matches because earlier scopes cover all its hosts and paths.
//!
//! `same_site = "none"` is no requirement at all, and is valid with `secure = false` (a cookie
//! that is not Secure, sent without SameSite: Chromium then applies Lax, Firefox and Safari treat
//! it as None). Only a rule that made cookie-warden *write* `SameSite=None` without `Secure` would
//! be wrong, and no rule can: a fix only raises SameSite to the rule's minimum and never removes
//! `Secure`, and a header that itself sets `SameSite=None` without `Secure` is one browsers drop,
//! stripped as `same_site_none_insecure` under every rule (`tests/same_site_none.rs` proves both).

use std::collections::HashSet;

use crate::policy::compiled::{CompiledConsent, CompiledPolicy, CompiledRule, EnforcementSettings, Lifetime};
use crate::policy::duration::{BROWSER_MAX_LIFETIME, MONTH, format_duration, parse_duration, parse_lifetime};
use crate::policy::error::KeyPath;
use crate::policy::matcher::{Found, NameMatcher};
use crate::policy::model::{Category, ConsentFormat, PolicyFile};
use crate::policy::name::{NamePattern, NamePrefix, PatternKey, PatternKind, compile_pattern};
use crate::policy::scopes::ScopeId;
use crate::policy::scopes::{
    HostPattern, ScopeTable, check_domain, check_host, check_path, check_scope_path, path_matches,
};

/// One problem without its source yet.
#[derive(Debug)]
pub(crate) struct Finding {
    /// The key the problem is reported at.
    pub(crate) key: KeyPath,
    /// The key whose value caused it, when that is another key (a rule's requirement inherited
    /// from `[defaults]`): its source is the one named.
    pub(crate) cause: Option<KeyPath>,
    pub(crate) message: String,
}

/// Problems without their source yet: key path and message.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    pub(crate) errors: Vec<Finding>,
    pub(crate) lints: Vec<Finding>,
}

impl Findings {
    fn error(&mut self, key: KeyPath, message: impl Into<String>) {
        self.errors.push(Finding {
            key,
            cause: None,
            message: message.into(),
        });
    }

    fn error_caused_by(&mut self, key: KeyPath, cause: Option<KeyPath>, message: impl Into<String>) {
        self.errors.push(Finding {
            key,
            cause,
            message: message.into(),
        });
    }

    fn lint(&mut self, key: KeyPath, message: impl Into<String>) {
        self.lints.push(Finding {
            key,
            cause: None,
            message: message.into(),
        });
    }
}

/// 13 months: the longest lifetime the lint accepts without comment (the CNIL/EDPB guidance for
/// audience-measurement and consent cookies).
const THIRTEEN_MONTHS: i64 = 13 * MONTH;

/// Checks and compiles `file`. Returns the policy when no error was found.
pub(crate) fn compile(file: PolicyFile, findings: &mut Findings) -> Option<CompiledPolicy> {
    let root = KeyPath::root();
    if file.version != 1 {
        findings.error(
            root.key("version"),
            format!("unsupported version {}: only version 1 exists", file.version),
        );
    }

    let enforcement = compile_enforcement(&file, findings);
    let max_lifetime = enforcement.max_lifetime;

    let scopes = compile_scopes(&file, findings);
    let rules = compile_rules(&file, &scopes, max_lifetime, findings);

    let consent = file.consent.as_ref().map(|c| {
        let key = root.key("consent");
        if let Err(reason) = compile_pattern(&c.cookie, &Default::default()).and_then(|p| {
            if p.kind == PatternKind::Exact {
                Ok(())
            } else {
                Err(vec![(PatternKey::Name, String::new())])
            }
        }) {
            let why = reason.first().map(|(_, m)| m.as_str()).filter(|m| !m.is_empty());
            findings.error(
                key.key("cookie"),
                format!(
                    "invalid consent cookie name `{}`: {}",
                    c.cookie,
                    why.unwrap_or("an exact name is needed")
                ),
            );
        }
        if c.format == ConsentFormat::List && c.separator.is_empty() {
            findings.error(
                key.key("separator"),
                "the separator of the `list` format is empty",
            );
        }
        CompiledConsent::new(
            c.cookie.clone(),
            c.format,
            c.separator.clone(),
            c.required.as_deref(),
            c.honor_gpc,
            c.purge,
        )
    });

    if let Some(Err(reason)) = file
        .declaration
        .as_ref()
        .and_then(|d| d.path.as_deref())
        .map(check_path)
    {
        findings.error(root.key("declaration").key("path"), reason);
    }

    let (rules, patterns) = rules;
    let (names, groups) = match NameMatcher::build(&patterns) {
        Ok(built) => built,
        Err(reason) => {
            findings.error(root.key("cookie"), reason);
            return None;
        }
    };

    // Duplicates: rules sharing one pattern whose scope sets overlap.
    for group in &groups.groups {
        for (i, &a) in group.iter().enumerate() {
            for &b in &group[..i] {
                let (ra, rb) = (&rules[a as usize], &rules[b as usize]);
                if scopes_overlap(ra.scopes.as_deref(), rb.scopes.as_deref()) {
                    findings.error(
                        root.key("cookie").index(ra.index).key("name"),
                        format!(
                            "duplicate rule: `{}` has the same name pattern as cookie[{}] (`{}`) in an overlapping scope; give each its own `scopes`",
                            ra.name, rb.index, rb.name
                        ),
                    );
                }
            }
        }
    }

    lint_rules(&rules, &names, file.consent.is_some(), max_lifetime, findings);
    if let Some(c) = &file.consent {
        match names.find(c.cookie.as_bytes(), |_| true) {
            Found::Nothing => findings.lint(
                root.key("consent").key("cookie"),
                format!(
                    "the consent cookie `{}` matches no [[cookie]] rule: the visitor's choice would be stripped as unlisted",
                    c.cookie
                ),
            ),
            Found::Applies(index) | Found::NotHere(index) => {
                let rule = &rules[index as usize];
                if consent.as_ref().is_some_and(|compiled| compiled.requires(rule.category)) {
                    findings.lint(
                        root.key("cookie").index(rule.index).key("category"),
                        format!(
                            "the consent cookie `{}` is in category `{}`, which needs consent: a visitor's first choice would be stripped as consent_missing; make it `necessary`",
                            c.cookie,
                            rule.category.as_str()
                        ),
                    );
                }
            }
        }
    }

    if !findings.errors.is_empty() {
        return None;
    }
    Some(CompiledPolicy {
        source: file,
        enforcement,
        scopes,
        rules,
        names,
        consent,
    })
}

fn compile_enforcement(file: &PolicyFile, findings: &mut Findings) -> EnforcementSettings {
    let key = KeyPath::root().key("enforcement");
    let e = &file.enforcement;
    if !(400..=599).contains(&e.block_status) {
        findings.error(
            key.key("block_status"),
            format!(
                "block_status {} is not a client or server error status (400–599)",
                e.block_status
            ),
        );
    }
    let max_lifetime = match parse_duration(&e.max_lifetime) {
        Ok(secs) if secs > BROWSER_MAX_LIFETIME => {
            findings.error(
                key.key("max_lifetime"),
                format!(
                    "max_lifetime `{}` is over 400 days, the longest browsers keep a cookie",
                    e.max_lifetime
                ),
            );
            BROWSER_MAX_LIFETIME
        }
        Ok(secs) => secs,
        Err(err) => {
            findings.error(key.key("max_lifetime"), format!("invalid max_lifetime: {err}"));
            BROWSER_MAX_LIFETIME
        }
    };
    EnforcementSettings {
        mode: e.mode,
        unlisted: e.unlisted,
        noncompliant: e.noncompliant,
        malformed: e.malformed,
        deletions: e.deletions,
        block_status: e.block_status,
        max_lifetime,
        request_cookies: e.request_cookies,
    }
}

fn compile_scopes(file: &PolicyFile, findings: &mut Findings) -> ScopeTable {
    let mut table = ScopeTable::default();
    let mut seen: Vec<&str> = Vec::new();
    let mut earlier: Vec<(&str, Vec<HostPattern>, Vec<String>)> = Vec::new();
    if file.scopes.len() > usize::from(u16::MAX) {
        findings.error(
            KeyPath::root().key("scope"),
            format!("{} scopes: at most 65535", file.scopes.len()),
        );
        return table;
    }
    for (i, scope) in file.scopes.iter().enumerate() {
        let key = KeyPath::root().key("scope").index(i);
        if scope.id.trim().is_empty() {
            findings.error(key.key("id"), "a scope id is empty");
        } else if let Some(first) = seen.iter().position(|s| *s == scope.id) {
            findings.error(
                key.key("id"),
                format!("duplicate scope id `{}` (also scope[{first}])", scope.id),
            );
        }
        seen.push(&scope.id);
        if scope.hosts.is_empty() {
            findings.error(key.key("hosts"), format!("scope `{}` has no hosts", scope.id));
        }
        let mut hosts = Vec::new();
        for (h, host) in scope.hosts.iter().enumerate() {
            match check_host(host) {
                Ok(pattern) => hosts.push(pattern),
                Err(reason) => findings.error(key.key("hosts").index(h), reason),
            }
        }
        if scope.paths.is_empty() {
            findings.error(
                key.key("paths"),
                format!(
                    "scope `{}` has no paths (omit `paths` for the whole host)",
                    scope.id
                ),
            );
        }
        let mut paths = Vec::new();
        for (p, path) in scope.paths.iter().enumerate() {
            match check_scope_path(path) {
                Ok(prefix) => paths.push(prefix),
                Err(reason) => findings.error(key.key("paths").index(p), reason),
            }
        }
        if !hosts.is_empty() && !paths.is_empty() {
            let shadowing: Vec<&str> = earlier
                .iter()
                .filter(|(_, h, p)| {
                    hosts.iter().any(|host| h.iter().any(|e| host_covers(e, host))) && !p.is_empty()
                })
                .map(|(id, _, _)| *id)
                .collect();
            let covered = hosts.iter().all(|host| {
                paths.iter().all(|path| {
                    earlier.iter().any(|(_, h, p)| {
                        h.iter().any(|e| host_covers(e, host))
                            && p.iter().any(|prefix| path_matches(prefix, path_or_root(path)))
                    })
                })
            });
            if covered {
                findings.lint(
                    key.key("paths"),
                    format!(
                        "scope `{}` never matches: earlier scopes ({}) match all its hosts and paths first",
                        scope.id,
                        shadowing
                            .iter()
                            .map(|id| format!("`{id}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
        }
        earlier.push((&scope.id, hosts.clone(), paths.clone()));
        table.push(scope.id.clone(), hosts, paths);
    }
    table
}

type Rules = (Vec<CompiledRule>, Vec<Option<NamePattern>>);

fn compile_rules(
    file: &PolicyFile,
    scopes: &ScopeTable,
    max_lifetime: i64,
    findings: &mut Findings,
) -> Rules {
    let mut rules = Vec::with_capacity(file.cookies.len());
    let mut patterns = Vec::with_capacity(file.cookies.len());
    let d = &file.defaults;
    for (i, rule) in file.cookies.iter().enumerate() {
        let key = KeyPath::root().key("cookie").index(i);
        let name = &rule.name;

        let pattern = match compile_pattern(name, &rule.placeholders) {
            Ok(p) => Some(p),
            Err(problems) => {
                for (which, reason) in problems {
                    let at = match which {
                        PatternKey::Name => key.key("name"),
                        PatternKey::Placeholder(p) => key.key("placeholders").key(&p),
                    };
                    findings.error(at, reason);
                }
                None
            }
        };
        let prefix = NamePrefix::of(name.as_bytes()).0;

        let scope_ids = rule.scopes.as_ref().map(|list| {
            if list.is_empty() {
                findings.error(
                    key.key("scopes"),
                    format!("rule `{name}` has an empty scopes list and can never match; omit `scopes` to allow it everywhere"),
                );
            }
            let mut ids = Vec::new();
            for (s, id) in list.iter().enumerate() {
                match scopes.scopes.iter().position(|sc| sc.id == *id) {
                    Some(pos) => {
                        let scope = ScopeId(pos as u16);
                        if !ids.contains(&scope) {
                            ids.push(scope);
                        }
                    }
                    None => findings.error(
                        key.key("scopes").index(s),
                        format!("scope `{id}` is not declared (declared: {})", declared(scopes)),
                    ),
                }
            }
            ids.sort();
            ids
        });

        let lifetime = match parse_lifetime(&rule.lifetime) {
            Ok(Lifetime::AtMost(secs)) if secs > max_lifetime => {
                findings.error(
                    key.key("lifetime"),
                    format!(
                        "lifetime `{}` of `{name}` is longer than max_lifetime ({})",
                        rule.lifetime,
                        format_duration(max_lifetime)
                    ),
                );
                Lifetime::AtMost(max_lifetime)
            }
            Ok(lifetime) => lifetime,
            Err(err) => {
                findings.error(
                    key.key("lifetime"),
                    format!("invalid lifetime: {err} (or `session`, `persistent`)"),
                );
                Lifetime::Session
            }
        };

        let secure = rule.secure.unwrap_or(d.secure);
        let secure_cause = rule
            .secure
            .is_none()
            .then(|| KeyPath::root().key("defaults").key("secure"));
        let http_only = rule.http_only.unwrap_or(d.http_only);
        // `none` with `secure = false` is allowed: see the module docs.
        let same_site = rule.same_site.unwrap_or(d.same_site);
        let from_defaults = |set: bool| {
            if set {
                "secure = false"
            } else {
                "secure = false in [defaults]"
            }
        };

        match prefix {
            NamePrefix::Host => {
                if rule.domains.is_some() {
                    findings.error(
                        key.key("domains"),
                        format!("`{name}` is a __Host- cookie: it cannot have domains"),
                    );
                }
                if let Some(path) = rule.path.as_deref().filter(|p| *p != "/") {
                    findings.error(
                        key.key("path"),
                        format!("`{name}` is a __Host- cookie: its path must be `/`, not `{path}`"),
                    );
                }
                if !secure {
                    findings.error_caused_by(
                        key.key("secure"),
                        secure_cause.clone(),
                        format!(
                            "`{name}` is a __Host- cookie: it must be secure, but {}",
                            from_defaults(rule.secure.is_some())
                        ),
                    );
                }
            }
            NamePrefix::Secure if !secure => findings.error_caused_by(
                key.key("secure"),
                secure_cause,
                format!(
                    "`{name}` is a __Secure- cookie: it must be secure, but {}",
                    from_defaults(rule.secure.is_some())
                ),
            ),
            _ => {}
        }

        if let Some(Err(reason)) = rule.path.as_deref().map(check_path) {
            findings.error(key.key("path"), reason);
        }
        let domains = rule.domains.as_ref().map(|list| {
            if list.is_empty() {
                findings.error(
                    key.key("domains"),
                    format!("`{name}` has an empty domains list; omit `domains` for a host-only cookie"),
                );
            }
            let mut out = Vec::new();
            for (j, domain) in list.iter().enumerate() {
                let bare = domain.strip_prefix('.').unwrap_or(domain);
                match check_domain(bare) {
                    Ok(d) => out.push(d),
                    Err(reason) => findings.error(
                        key.key("domains").index(j),
                        format!("invalid domain `{domain}`: {reason}"),
                    ),
                }
            }
            out
        });

        rules.push(CompiledRule {
            index: i,
            name: name.clone(),
            kind: pattern.as_ref().map_or(PatternKind::Exact, |p| p.kind),
            prefix,
            category: rule.category.unwrap_or(Category::Necessary),
            category_declared: rule.category.is_some(),
            lifetime,
            secure,
            http_only,
            same_site,
            path: rule.path.clone(),
            domains,
            scopes: scope_ids,
        });
        patterns.push(pattern);
    }
    (rules, patterns)
}

/// Does a request host matched by `inner` always match `outer` too?
fn host_covers(outer: &HostPattern, inner: &HostPattern) -> bool {
    let below = |host: &str, suffix: &str| host.strip_suffix(suffix).is_some_and(|rest| rest.ends_with('.'));
    match (outer, inner) {
        (HostPattern::Exact(a), HostPattern::Exact(b)) => a == b,
        (HostPattern::Subdomains(s), HostPattern::Exact(h)) => below(h, s),
        (HostPattern::Subdomains(s), HostPattern::Subdomains(t)) => s == t || below(t, s),
        (HostPattern::Exact(_), HostPattern::Subdomains(_)) => false,
    }
}

/// A scope path prefix as a request path (the root prefix is stored as `""`).
fn path_or_root(prefix: &str) -> &str {
    if prefix.is_empty() { "/" } else { prefix }
}

fn declared(scopes: &ScopeTable) -> String {
    if scopes.scopes.is_empty() {
        return "none".to_owned();
    }
    scopes
        .scopes
        .iter()
        .map(|s| format!("`{}`", s.id))
        .collect::<Vec<_>>()
        .join(", ")
}

fn scopes_overlap(a: Option<&[ScopeId]>, b: Option<&[ScopeId]>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.iter().any(|s| b.contains(s)),
        _ => true,
    }
}

fn lint_rules(
    rules: &[CompiledRule],
    names: &NameMatcher,
    has_consent: bool,
    max_lifetime: i64,
    findings: &mut Findings,
) {
    let cookie = KeyPath::root().key("cookie");
    for rule in rules {
        let key = cookie.index(rule.index);
        if !has_consent && matches!(rule.category, Category::Statistics | Category::Marketing) {
            findings.lint(
                key.key("category"),
                format!(
                    "`{}` is a {} cookie but the policy has no [consent]: it is set without asking the visitor",
                    rule.name,
                    rule.category.as_str()
                ),
            );
        }
        if has_consent && !rule.category_declared {
            findings.lint(
                key.key("category"),
                format!(
                    "`{}` has no category and counts as necessary, so consent never covers it",
                    rule.name
                ),
            );
        }
        match rule.lifetime {
            Lifetime::AtMost(secs) if secs > THIRTEEN_MONTHS => findings.lint(
                key.key("lifetime"),
                format!(
                    "`{}` lives {}, longer than 13 months",
                    rule.name,
                    format_duration(secs)
                ),
            ),
            Lifetime::Persistent if max_lifetime > THIRTEEN_MONTHS => findings.lint(
                key.key("lifetime"),
                format!(
                    "`{}` is persistent: it may live max_lifetime ({}), longer than 13 months",
                    rule.name,
                    format_duration(max_lifetime)
                ),
            ),
            _ => {}
        }
    }

    // Overlaps with different requirements. Exact names against patterns: exactly, through the
    // automaton. Patterns against patterns: when their literal heads and tails are compatible.
    let mut reported: HashSet<(usize, usize)> = HashSet::new();
    let mut report = |a: &CompiledRule, b: &CompiledRule, findings: &mut Findings| {
        let (first, second) = if a.index < b.index { (a, b) } else { (b, a) };
        if first.same_requirements(second)
            || !scopes_overlap(first.scopes.as_deref(), second.scopes.as_deref())
            || !reported.insert((first.index, second.index))
        {
            return;
        }
        findings.lint(
            cookie.index(second.index).key("name"),
            format!(
                "`{}` and cookie[{}] (`{}`) can match the same name with different requirements; the more specific rule wins",
                second.name, first.index, first.name
            ),
        );
    };
    for rule in rules.iter().filter(|r| r.kind == PatternKind::Exact) {
        for other in names.pattern_rules_matching(rule.name.as_bytes()) {
            report(rule, &rules[other as usize], findings);
        }
    }
    let wild: Vec<&CompiledRule> = rules.iter().filter(|r| r.kind != PatternKind::Exact).collect();
    let literal = |r: &CompiledRule| -> (Vec<u8>, Vec<u8>) {
        let heads = compile_pattern(&r.name, &Default::default()).map(|p| (p.head, p.tail));
        heads.unwrap_or_default()
    };
    // Sorted by head, the patterns whose head starts with a given head follow it directly: each
    // pair with compatible heads is visited once, without comparing every pair.
    let mut literals: Vec<(Vec<u8>, Vec<u8>, &CompiledRule)> = wild
        .iter()
        .map(|r| {
            let (head, tail) = literal(r);
            (head, tail, *r)
        })
        .collect();
    literals.sort_by(|a, b| a.0.cmp(&b.0));
    for (i, (head, tail, rule)) in literals.iter().enumerate() {
        for (other_head, other_tail, other) in &literals[i + 1..] {
            if !other_head.starts_with(head) {
                break;
            }
            if tail.ends_with(other_tail) || other_tail.ends_with(tail) {
                report(rule, other, findings);
            }
        }
    }
}
