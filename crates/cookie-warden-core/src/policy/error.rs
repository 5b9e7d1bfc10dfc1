//! Problems found in a policy: errors (the policy does not load) and lints (it loads, but
//! something deserves a look). Each names where the value came from, its key path and what is
//! wrong.

use std::fmt;
use std::path::PathBuf;

/// Where a value of the policy came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// A policy file.
    File(PathBuf),
    /// An environment variable that overrides the file (`COOKIE_WARDEN_ENFORCEMENT__MODE`).
    Env(String),
    /// Text given another way, by the name the caller gave it (tests, `from_toml_str`).
    Named(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(path) => write!(f, "{}", path.display()),
            Source::Env(var) => write!(f, "environment variable {var}"),
            Source::Named(name) => f.write_str(name),
        }
    }
}

/// One segment of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySegment {
    /// A table key.
    Key(String),
    /// An index into an array (0-based, as figment counts).
    Index(usize),
}

/// A key path into the policy, displayed as `cookie[3].lifetime` or `scope[1].hosts[0]`.
///
/// Arrays of tables use the singular name the file writes (`[[cookie]]` → `cookie[3]`); indices
/// count from 0 in the order the entries appear in the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(Vec<KeySegment>);

impl KeyPath {
    /// The empty path: the whole policy.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// This path followed by a table key.
    pub fn key(&self, key: &str) -> Self {
        let mut segments = self.0.clone();
        segments.push(KeySegment::Key(key.to_owned()));
        Self(segments)
    }

    /// This path followed by an array index.
    pub fn index(&self, index: usize) -> Self {
        let mut segments = self.0.clone();
        segments.push(KeySegment::Index(index));
        Self(segments)
    }

    /// Builds a path from figment's segments (`["cookie", "3", "lifetime"]`): a number after a
    /// key is an index.
    pub fn from_figment<S: AsRef<str>>(segments: &[S]) -> Self {
        Self(
            segments
                .iter()
                .enumerate()
                .map(|(i, s)| match s.as_ref().parse::<usize>() {
                    Ok(n) if i > 0 => KeySegment::Index(n),
                    _ => KeySegment::Key(s.as_ref().to_owned()),
                })
                .collect(),
        )
    }

    pub(crate) fn from_segments(segments: &[KeySegment]) -> Self {
        Self(segments.to_vec())
    }

    /// The segments.
    pub fn segments(&self) -> &[KeySegment] {
        &self.0
    }

    /// `true` when `self` is `other` or lies inside it.
    pub fn starts_with(&self, other: &KeyPath) -> bool {
        self.0.starts_with(&other.0)
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(top level)");
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                KeySegment::Key(key) if i == 0 => f.write_str(key)?,
                KeySegment::Key(key) => write!(f, ".{key}")?,
                KeySegment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// One problem: where, which key, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diagnostic {
    /// Where the offending value came from (file or environment variable).
    pub source: Source,
    /// The key path of the offending value.
    pub key: KeyPath,
    /// What is wrong, lowercase, naming the offending input.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.0.is_empty() {
            // The file as a whole (a syntax error): no key to name.
            return write!(f, "{}: {}", self.source, self.message);
        }
        write!(f, "{}: {}: {}", self.source, self.key, self.message)
    }
}

/// A lint warning: the policy loads, but this deserves a look.
pub type Lint = Diagnostic;

/// Every error that keeps a policy from loading (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyErrors {
    errors: Vec<Diagnostic>,
}

impl PolicyErrors {
    pub(crate) fn new(errors: Vec<Diagnostic>) -> Self {
        debug_assert!(!errors.is_empty(), "a policy error list is never empty");
        Self { errors }
    }

    /// The errors, in the order found (structure first, then each table in file order).
    pub fn errors(&self) -> &[Diagnostic] {
        &self.errors
    }

    /// How many errors.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Always `false`: there is at least one error.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
}

impl fmt::Display for PolicyErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(f, "invalid policy: {n} error{}", if n == 1 { "" } else { "s" })?;
        for error in &self.errors {
            write!(f, "\n  {error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PolicyErrors {}

impl IntoIterator for PolicyErrors {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.errors.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_paths_display_like_the_file() {
        assert_eq!(
            KeyPath::from_figment(&["cookie", "3", "lifetime"]).to_string(),
            "cookie[3].lifetime"
        );
        assert_eq!(
            KeyPath::root()
                .key("scope")
                .index(1)
                .key("hosts")
                .index(0)
                .to_string(),
            "scope[1].hosts[0]"
        );
        assert_eq!(KeyPath::root().to_string(), "(top level)");
        assert!(
            KeyPath::from_figment(&["cookie", "3", "name"])
                .starts_with(&KeyPath::root().key("cookie").index(3))
        );
    }
}
