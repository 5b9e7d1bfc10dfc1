//! Compiled scopes: which part of the site a request belongs to.
//!
//! Hosts are exact (`fora.se`) or wildcards (`*.fora.se`: any subdomain, not the apex), compared
//! case-insensitively. Paths are prefixes matched on segment boundaries: `/app` matches `/app`,
//! `/app/` and `/app/x`, never `/apple`; `/` matches every path. A request belongs to the first
//! scope, in policy order, whose hosts and paths both match it.
//!
//! Finding the scope costs one hash lookup per label of the request's host, whatever the number
//! of scopes, and allocates nothing.

/// A scope's position in the policy (`scope[i]`); cheap to copy and compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ScopeId(pub(crate) u16);

impl ScopeId {
    /// The scope's index in the policy file (0-based).
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// One compiled scope.
#[derive(Debug, Clone)]
pub(crate) struct CompiledScope {
    pub(crate) id: String,
    /// Path prefixes without a trailing `/` (the root is the empty string).
    pub(crate) paths: Vec<String>,
}

/// All scopes, with host indexes.
#[derive(Debug, Clone, Default)]
pub(crate) struct ScopeTable {
    pub(crate) scopes: Vec<CompiledScope>,
    /// Exact host → scopes listing it, ascending. Hashed with foldhash: the keys are the policy's
    /// hosts, fixed at load; a request's host is only looked up, so it cannot degrade the table.
    exact: foldhash::HashMap<String, Vec<ScopeId>>,
    /// `*.suffix` → scopes listing it, ascending; keyed by `suffix`.
    wildcard: foldhash::HashMap<String, Vec<ScopeId>>,
}

/// A checked host pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HostPattern {
    Exact(String),
    Subdomains(String),
}

impl ScopeTable {
    /// Adds a scope (ids are given in order).
    pub(crate) fn push(&mut self, id: String, hosts: Vec<HostPattern>, paths: Vec<String>) -> ScopeId {
        let scope = ScopeId(u16::try_from(self.scopes.len()).unwrap_or(u16::MAX));
        for host in hosts {
            let (map, key) = match host {
                HostPattern::Exact(h) => (&mut self.exact, h),
                HostPattern::Subdomains(s) => (&mut self.wildcard, s),
            };
            let list = map.entry(key).or_default();
            if list.last() != Some(&scope) {
                list.push(scope);
            }
        }
        self.scopes.push(CompiledScope { id, paths });
        scope
    }

    /// The first scope whose hosts and paths match.
    pub(crate) fn scope_for(&self, host: &str, path: &str) -> Option<ScopeId> {
        let host = host.strip_suffix('.').unwrap_or(host);
        let mut best: Option<ScopeId> = None;
        let mut consider = |list: Option<&Vec<ScopeId>>| {
            for &scope in list.into_iter().flatten() {
                if best.is_some_and(|b| b <= scope) {
                    break;
                }
                if self.scopes[scope.index()]
                    .paths
                    .iter()
                    .any(|p| path_matches(p, path))
                {
                    best = Some(scope);
                    break;
                }
            }
        };
        if host.bytes().any(|b| b.is_ascii_uppercase()) {
            // Hosts are lowercase by contract; an uppercase host is compared the slow way.
            let lower = host.to_ascii_lowercase();
            return self.scope_for(&lower, path);
        }
        consider(self.exact.get(host));
        if self.wildcard.is_empty() {
            // No `*.` host in the policy: no suffix of the host to look up.
            return best;
        }
        let mut rest = host;
        // A byte search: `str::find` with a `char` pattern costs a searcher's set-up per label.
        while let Some(dot) = rest.bytes().position(|b| b == b'.') {
            rest = &rest[dot + 1..];
            consider(self.wildcard.get(rest));
        }
        best
    }
}

/// Segment-aware prefix match; `prefix` has no trailing `/` (the root is `""`).
pub(crate) fn path_matches(prefix: &str, path: &str) -> bool {
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('/') || prefix.is_empty(),
        None => false,
    }
}

/// Checks a scope host: a DNS name or IP address, or `*.` followed by one; lowercase result.
pub(crate) fn check_host(host: &str) -> Result<HostPattern, String> {
    let (wild, name) = match host.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, host),
    };
    let name = check_domain(name).map_err(|reason| format!("invalid host `{host}`: {reason}"))?;
    Ok(if wild {
        HostPattern::Subdomains(name)
    } else {
        HostPattern::Exact(name)
    })
}

/// Checks a DNS name (no wildcard, no port, no scheme), returning it lowercased; a leading dot is
/// refused here (callers that accept one strip it first).
pub(crate) fn check_domain(name: &str) -> Result<String, String> {
    if name.is_empty() {
        return Err("it is empty".to_owned());
    }
    if name.contains("://") {
        return Err("write the host name only, without a scheme".to_owned());
    }
    if let Some(c) = name.chars().find(|c| matches!(c, ':' | '/' | '?' | '#' | '@')) {
        return Err(format!("a host holds no `{c}` (no port, path or user)"));
    }
    if name.contains('*') {
        return Err("`*` is allowed only as the whole first label, as in `*.example.com`".to_owned());
    }
    if name.ends_with('.') {
        return Err("drop the trailing dot".to_owned());
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err("it has an empty label".to_owned());
        }
        if label.len() > 63 {
            return Err("a label is longer than 63 bytes".to_owned());
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(format!(
                "{c:?} is not allowed in a host name (use punycode for IDNs)"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a label starts or ends with `-`".to_owned());
        }
    }
    Ok(name.to_ascii_lowercase())
}

/// Checks a scope path prefix; returns it without a trailing `/` (the root becomes `""`).
pub(crate) fn check_scope_path(path: &str) -> Result<String, String> {
    check_path(path)?;
    Ok(path.trim_end_matches('/').to_owned())
}

/// Checks a URL path as the policy writes it: starts with `/`, no query, fragment, whitespace or
/// control characters.
pub(crate) fn check_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!("invalid path `{path}`: a path starts with `/`"));
    }
    if let Some(c) = path
        .chars()
        .find(|c| matches!(c, '?' | '#' | ';') || c.is_whitespace() || c.is_control())
    {
        return Err(format!("invalid path `{path}`: {c:?} is not allowed in a path"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_on_segment_boundaries() {
        assert!(path_matches("/app", "/app"));
        assert!(path_matches("/app", "/app/"));
        assert!(path_matches("/app", "/app/x"));
        assert!(!path_matches("/app", "/apple"));
        assert!(!path_matches("/app", "/"));
        assert!(path_matches("", "/"));
        assert!(path_matches("", "/anything"));
        assert_eq!(check_scope_path("/app/").unwrap(), "/app");
        assert_eq!(check_scope_path("/").unwrap(), "");
    }

    #[test]
    fn hosts() {
        assert_eq!(
            check_host("WWW.Fora.se").unwrap(),
            HostPattern::Exact("www.fora.se".into())
        );
        assert_eq!(
            check_host("*.fora.se").unwrap(),
            HostPattern::Subdomains("fora.se".into())
        );
        for (bad, reason) in [
            ("", "empty"),
            ("https://fora.se", "scheme"),
            ("fora.se:443", "no port"),
            ("fora.se/x", "no port, path"),
            ("a.*.se", "`*`"),
            ("fora.se.", "trailing dot"),
            ("fo ra.se", "not allowed"),
            ("a..se", "empty label"),
        ] {
            let err = check_host(bad).unwrap_err();
            assert!(
                err.contains(reason) && err.contains(&format!("`{bad}`")),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn first_scope_wins_and_wildcards_skip_the_apex() {
        let mut table = ScopeTable::default();
        table.push(
            "login".into(),
            vec![HostPattern::Exact("fora.se".into())],
            vec!["/login".into()],
        );
        table.push(
            "sub".into(),
            vec![HostPattern::Subdomains("fora.se".into())],
            vec![String::new()],
        );
        table.push(
            "public".into(),
            vec![HostPattern::Exact("fora.se".into())],
            vec![String::new()],
        );
        assert_eq!(table.scope_for("fora.se", "/login/x"), Some(ScopeId(0)));
        assert_eq!(table.scope_for("fora.se", "/loginx"), Some(ScopeId(2)));
        assert_eq!(table.scope_for("a.b.fora.se", "/"), Some(ScopeId(1)));
        assert_eq!(table.scope_for("FORA.se", "/"), Some(ScopeId(2)));
        assert_eq!(table.scope_for("xfora.se", "/"), None);
        assert_eq!(table.scope_for("example.com", "/"), None);
    }

    #[test]
    fn a_table_without_wildcards_matches_exact_hosts_only() {
        let mut table = ScopeTable::default();
        table.push(
            "public".into(),
            vec![HostPattern::Exact("fora.se".into())],
            vec![String::new()],
        );
        assert_eq!(table.scope_for("fora.se", "/"), Some(ScopeId(0)));
        assert_eq!(table.scope_for("fora.se.", "/x"), Some(ScopeId(0)));
        assert_eq!(table.scope_for("Fora.SE", "/"), Some(ScopeId(0)));
        assert_eq!(table.scope_for("www.fora.se", "/"), None);
        assert_eq!(table.scope_for("se", "/"), None);
    }
}
