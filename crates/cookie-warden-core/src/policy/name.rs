//! Cookie name patterns: exact names, globs (`saplb_*`) and templates
//! (`refreshToken_{realm}_SAPEP`), and the `__Host-` / `__Secure-` name prefixes.
//!
//! - An **exact** name has neither `*` nor `{`; it matches itself only (case-sensitively, but for
//!   the prefix, see below).
//! - A **glob** has one or more `*`, each matching any run (possibly empty) of bytes a browser
//!   accepts in a cookie name: anything but control bytes, `;` and `=`.
//! - A **template** has one or more `{placeholder}`s, each matching its regular expression from the
//!   rule's `placeholders` table, by default `[A-Za-z0-9_.-]+`. A template may also hold `*`.
//!
//! Specificity, used when several rules match one name: exact > template > glob, then the rule
//! with more literal (non-wildcard) text, then the rule written first.
//!
//! Browsers treat the `__Host-` and `__Secure-` prefixes case-insensitively (RFC 6265bis §4.1.3),
//! so a rule named `__Host-sid` also matches `__HOST-sid`; the rest of the name stays
//! case-sensitive.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use regex_automata::util::syntax;

/// The default regular expression of a placeholder.
pub const DEFAULT_PLACEHOLDER: &str = "[A-Za-z0-9_.-]+";

/// What `*` matches: any run of bytes a browser accepts in a cookie name.
const STAR: &str = r"[^\x00-\x08\x0A-\x1F\x7F;=]*";

/// A cookie name's prefix, with the special meaning browsers give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NamePrefix {
    /// No special prefix.
    None,
    /// `__Secure-`: the cookie must be `Secure` and come from a secure origin.
    Secure,
    /// `__Host-`: `Secure`, from a secure origin, `Path=/` and no `Domain`.
    Host,
}

impl NamePrefix {
    /// The prefix of `name` (matched case-insensitively) and the length of the prefix in bytes.
    ///
    /// ```
    /// use cookie_warden_core::policy::name::NamePrefix;
    /// assert_eq!(NamePrefix::of(b"__HOST-sid"), (NamePrefix::Host, 7));
    /// assert_eq!(NamePrefix::of(b"__secure-x"), (NamePrefix::Secure, 9));
    /// assert_eq!(NamePrefix::of(b"sid"), (NamePrefix::None, 0));
    /// ```
    pub fn of(name: &[u8]) -> (NamePrefix, usize) {
        const HOST: &[u8] = b"__host-";
        const SECURE: &[u8] = b"__secure-";
        if name.len() >= HOST.len() && name[..HOST.len()].eq_ignore_ascii_case(HOST) {
            (NamePrefix::Host, HOST.len())
        } else if name.len() >= SECURE.len() && name[..SECURE.len()].eq_ignore_ascii_case(SECURE) {
            (NamePrefix::Secure, SECURE.len())
        } else {
            (NamePrefix::None, 0)
        }
    }

    /// The prefix as browsers spell it (`__Host-`), or `""`.
    pub fn as_str(self) -> &'static str {
        match self {
            NamePrefix::None => "",
            NamePrefix::Secure => "__Secure-",
            NamePrefix::Host => "__Host-",
        }
    }

    pub(crate) fn slot(self) -> usize {
        match self {
            NamePrefix::None => 0,
            NamePrefix::Secure => 1,
            NamePrefix::Host => 2,
        }
    }
}

/// The kind of a rule's name, in order of specificity (most specific first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PatternKind {
    /// A plain name.
    Exact,
    /// A name with `{placeholder}`s (and possibly `*`).
    Template,
    /// A name with `*` only.
    Glob,
}

impl PatternKind {
    /// `exact`, `template` or `glob`.
    pub fn as_str(self) -> &'static str {
        match self {
            PatternKind::Exact => "exact",
            PatternKind::Template => "template",
            PatternKind::Glob => "glob",
        }
    }
}

/// One piece of a parsed name pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Literal(&'a str),
    Star,
    Placeholder(&'a str),
}

/// A checked name pattern, ready for the matcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NamePattern {
    pub(crate) kind: PatternKind,
    pub(crate) prefix: NamePrefix,
    /// Bytes of literal text, the prefix included.
    pub(crate) literal_len: usize,
    /// For an exact name: the name after its prefix (the hash key).
    pub(crate) exact_rest: Vec<u8>,
    /// For a glob or template: the regular expression of the whole name (unanchored; the matcher
    /// anchors it), in byte mode.
    pub(crate) regex: String,
    /// The literal text before the first wildcard and after the last one, with the prefix
    /// lowercased (for the overlap lint).
    pub(crate) head: Vec<u8>,
    pub(crate) tail: Vec<u8>,
}

/// Everything wrong with one pattern, each with the key it concerns (`name`, or
/// `placeholders.<p>`) and the reason.
pub(crate) type PatternProblems = Vec<(PatternKey, String)>;

/// Which key of the rule a pattern problem concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PatternKey {
    Name,
    Placeholder(String),
}

/// Checks and compiles a rule's name against its `placeholders` table.
pub(crate) fn compile_pattern(
    name: &str,
    placeholders: &BTreeMap<String, String>,
) -> Result<NamePattern, PatternProblems> {
    let mut problems = PatternProblems::new();
    let pieces = match split(name) {
        Ok(pieces) => pieces,
        Err(reason) => {
            problems.push((
                PatternKey::Name,
                format!("invalid name pattern `{name}`: {reason}"),
            ));
            // Still check the placeholder regexes for their own errors.
            for (key, regex) in placeholders {
                if let Err(reason) = check_placeholder_regex(regex) {
                    problems.push((PatternKey::Placeholder(key.clone()), reason));
                }
            }
            return Err(problems);
        }
    };

    let mut used: Vec<&str> = Vec::new();
    for piece in &pieces {
        if let Piece::Placeholder(p) = piece {
            if used.contains(p) {
                problems.push((
                    PatternKey::Name,
                    format!("invalid name pattern `{name}`: placeholder `{{{p}}}` appears twice"),
                ));
            }
            used.push(p);
        }
    }
    for (key, regex) in placeholders {
        if !used.contains(&key.as_str()) {
            problems.push((
                PatternKey::Placeholder(key.clone()),
                format!("placeholder `{key}` is declared but name `{name}` has no `{{{key}}}`"),
            ));
        } else if let Err(reason) = check_placeholder_regex(regex) {
            problems.push((PatternKey::Placeholder(key.clone()), reason));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }

    let (prefix, prefix_len) = NamePrefix::of(name.as_bytes());
    let kind = if used.is_empty() {
        if pieces.contains(&Piece::Star) {
            PatternKind::Glob
        } else {
            PatternKind::Exact
        }
    } else {
        PatternKind::Template
    };
    let literal_len = pieces
        .iter()
        .map(|p| match p {
            Piece::Literal(l) => l.len(),
            _ => 0,
        })
        .sum();

    let mut regex = String::new();
    let mut head = Vec::new();
    let mut tail = Vec::new();
    let mut seen_wildcard = false;
    for (i, piece) in pieces.iter().enumerate() {
        match piece {
            Piece::Literal(lit) => {
                let bytes = lit.as_bytes();
                let (lit_prefix, rest) = if i == 0 && prefix_len > 0 {
                    regex.push_str("(?i:");
                    escape_into(&mut regex, &bytes[..prefix_len]);
                    regex.push(')');
                    (bytes[..prefix_len].to_ascii_lowercase(), &bytes[prefix_len..])
                } else {
                    (Vec::new(), bytes)
                };
                escape_into(&mut regex, rest);
                if !seen_wildcard {
                    head.extend_from_slice(&lit_prefix);
                    head.extend_from_slice(rest);
                }
                tail.clear();
                tail.extend_from_slice(&lit_prefix);
                tail.extend_from_slice(rest);
            }
            Piece::Star => {
                seen_wildcard = true;
                tail.clear();
                regex.push_str(STAR);
            }
            Piece::Placeholder(p) => {
                seen_wildcard = true;
                tail.clear();
                let body = placeholders.get(*p).map_or(DEFAULT_PLACEHOLDER, String::as_str);
                let _ = write!(regex, "(?:{body})");
            }
        }
    }
    let exact_rest = if kind == PatternKind::Exact {
        name.as_bytes()[prefix_len..].to_vec()
    } else {
        Vec::new()
    };
    Ok(NamePattern {
        kind,
        prefix,
        literal_len,
        exact_rest,
        regex,
        head,
        tail,
    })
}

/// Splits a pattern into literals, stars and placeholders, refusing what no cookie name can hold.
fn split(name: &str) -> Result<Vec<Piece<'_>>, String> {
    if name.is_empty() {
        return Err("the name is empty".to_owned());
    }
    if name.trim() != name {
        return Err("leading or trailing whitespace (browsers trim it away)".to_owned());
    }
    if let Some(c) = name.chars().find(|c| c.is_control() || *c == ';' || *c == '=') {
        return Err(format!("{c:?} cannot appear in a cookie name"));
    }
    let mut pieces = Vec::new();
    let mut rest = name;
    while !rest.is_empty() {
        let next = rest.find(['*', '{', '}']).unwrap_or(rest.len());
        if next > 0 {
            pieces.push(Piece::Literal(&rest[..next]));
            rest = &rest[next..];
            continue;
        }
        match rest.as_bytes()[0] {
            b'*' => {
                if pieces.last() != Some(&Piece::Star) {
                    pieces.push(Piece::Star);
                }
                rest = &rest[1..];
            }
            b'{' => {
                let close = rest.find('}').ok_or("`{` without a closing `}`")?;
                let placeholder = &rest[1..close];
                if placeholder.is_empty() {
                    return Err("`{}` has no placeholder name".to_owned());
                }
                if !is_identifier(placeholder) {
                    return Err(format!(
                        "placeholder `{{{placeholder}}}`: a placeholder name is a letter or `_` followed by letters, digits or `_`"
                    ));
                }
                pieces.push(Piece::Placeholder(placeholder));
                rest = &rest[close + 1..];
            }
            _ => return Err("`}` without an opening `{`".to_owned()),
        }
    }
    Ok(pieces)
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A placeholder's regex must parse (byte mode, as names are bytes) and must not hold anchors or
/// word boundaries: it matches a part of the name, and the matcher anchors the whole.
fn check_placeholder_regex(regex: &str) -> Result<(), String> {
    let config = syntax::Config::new().utf8(false).unicode(false);
    let hir = syntax::parse_with(regex, &config).map_err(|err| {
        let reason = err.to_string();
        let last = reason.lines().last().unwrap_or("syntax error").trim();
        let first = last.strip_prefix("error: ").unwrap_or(last).to_owned();
        format!("invalid placeholder regex `{regex}`: {first}")
    })?;
    if !hir.properties().look_set().is_empty() {
        return Err(format!(
            "invalid placeholder regex `{regex}`: anchors and word boundaries are not allowed (the whole name is matched)"
        ));
    }
    Ok(())
}

/// Escapes bytes for a byte-mode regex: ASCII letters, digits and `_` as they are, every other
/// byte as `\xHH`.
fn escape_into(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b == b'_' {
            out.push(char::from(b));
        } else {
            let _ = write!(out, r"\x{b:02X}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(name: &str) -> NamePattern {
        compile_pattern(name, &BTreeMap::new()).unwrap()
    }

    #[test]
    fn kinds_and_literal_lengths() {
        let p = ok("__RequestVerificationToken");
        assert_eq!((p.kind, p.literal_len), (PatternKind::Exact, 26));
        assert_eq!(ok("saplb_*").kind, PatternKind::Glob);
        assert_eq!(ok("saplb_*").literal_len, 6);
        let t = ok("refreshToken_{realm}_SAPEP");
        assert_eq!((t.kind, t.literal_len), (PatternKind::Template, 19));
        assert_eq!(ok("a_{x}_*").kind, PatternKind::Template);
    }

    #[test]
    fn prefixes_fold_case_in_the_regex_and_the_key() {
        let p = ok("__Host-sid");
        assert_eq!(p.prefix, NamePrefix::Host);
        assert_eq!(p.exact_rest, b"sid");
        let g = ok("__Secure-*");
        assert!(g.regex.starts_with("(?i:"), "{}", g.regex);
        assert_eq!(g.head, b"__secure-");
    }

    #[test]
    fn bad_patterns_say_why() {
        let none = BTreeMap::new();
        for (name, reason) in [
            ("", "empty"),
            (" a", "whitespace"),
            ("a=b", "cannot appear"),
            ("a;b", "cannot appear"),
            ("a{b", "without a closing"),
            ("a}b", "without an opening"),
            ("a{}b", "no placeholder name"),
            ("a{1x}", "placeholder name is"),
            ("{x}_{x}", "appears twice"),
        ] {
            let problems = compile_pattern(name, &none).unwrap_err();
            assert!(
                problems.iter().any(|(_, m)| m.contains(reason)),
                "{name}: {problems:?}"
            );
        }
    }

    #[test]
    fn placeholder_problems() {
        let unused = BTreeMap::from([("x".to_owned(), "[a-z]+".to_owned())]);
        let problems = compile_pattern("plain", &unused).unwrap_err();
        assert_eq!(problems[0].0, PatternKey::Placeholder("x".to_owned()));
        assert!(problems[0].1.contains("has no `{x}`"));

        let bad = BTreeMap::from([("x".to_owned(), "[a-z".to_owned())]);
        let problems = compile_pattern("a_{x}", &bad).unwrap_err();
        assert!(
            problems[0].1.contains("invalid placeholder regex `[a-z`"),
            "{problems:?}"
        );

        let anchored = BTreeMap::from([("x".to_owned(), "^[a-z]+$".to_owned())]);
        let problems = compile_pattern("a_{x}", &anchored).unwrap_err();
        assert!(problems[0].1.contains("anchors"), "{problems:?}");
    }
}
