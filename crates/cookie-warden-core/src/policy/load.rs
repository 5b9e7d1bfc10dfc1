//! Loading a policy from a figment (a TOML file, then `COOKIE_WARDEN_` environment overrides) or
//! from TOML text, reporting *every* problem with its source, key path and reason.
//!
//! [`from_toml_str`] needs no figment: without the crate's default `figment` feature it is the
//! way in, with the same checks and the same messages (`from_figment` and `with_env_overrides`
//! exist only with the feature).
//!
//! **Environment overrides** ([`with_env_overrides`]): a variable overrides the policy only when
//! its name, after `COOKIE_WARDEN_`, holds `__` (the separator between keys):
//! `COOKIE_WARDEN_ENFORCEMENT__MODE=report-only` sets `[enforcement] mode`, and the rooted form
//! `COOKIE_WARDEN_POLICY__<KEY>[__<KEY>…]` reaches every key, top-level ones included
//! (`COOKIE_WARDEN_POLICY__VERSION`, `COOKIE_WARDEN_POLICY__ENFORCEMENT={ mode = "report-only" }`).
//! Every other `COOKIE_WARDEN_` variable is left alone. That is the form Kubernetes never
//! injects: for a Service named `cookie-warden` the kubelet sets `COOKIE_WARDEN_SERVICE_HOST`,
//! `COOKIE_WARDEN_SERVICE_PORT`, `COOKIE_WARDEN_SERVICE_PORT_<PORT NAME>`, `COOKIE_WARDEN_PORT`
//! and `COOKIE_WARDEN_PORT_<PORT>_<PROTOCOL>[_PROTO|_PORT|_ADDR]`, all with single underscores
//! (port names may not hold two hyphens in a row); only a Service whose own name holds `--`
//! after `cookie-warden-` could collide. Within the accepted form, a misspelt key is an error
//! that names the variable, like an unknown key in the file.
//!
//! Structure is checked first: the merged configuration is deserialized into
//! [`PolicyFile`]; each error (unknown key, wrong type, missing
//! key) is recorded, the offending key is set aside, and deserialization runs again, until the
//! rest deserializes. Then the policy is checked and compiled (see [`crate::policy::compile`]'s
//! list of errors and lints), skipping keys that were set aside.
//!
//! The source of each problem is the provider that supplied the offending value: the file's path,
//! or the environment variable (`COOKIE_WARDEN_ENFORCEMENT__MODE`: the variable prefix figment
//! names, then the key path upper-cased and joined with `__`, the split cookie-warden uses).
//!
//! ```
//! use cookie_warden_core::policy::load::from_toml_str;
//!
//! let err = from_toml_str("bad.toml", r#"
//!     version = 1
//!     [[cookie]]
//!     name = "sid"
//!     lifetime = "forever"
//!     colour = "blue"
//! "#).unwrap_err();
//! let text = err.to_string();
//! assert!(text.contains("bad.toml: cookie[0].colour: unknown key"), "{text}");
//! assert!(text.contains("bad.toml: cookie[0].lifetime: invalid lifetime"), "{text}");
//! ```

use std::collections::BTreeMap;

#[cfg(feature = "figment")]
use figment::Figment;
#[cfg(feature = "figment")]
use figment::providers::Env;
use serde::Deserialize;

use crate::policy::compile::{Finding, Findings, compile};
use crate::policy::compiled::CompiledPolicy;
use crate::policy::error::{Diagnostic, KeyPath, KeySegment, Lint, PolicyErrors, Source};
use crate::policy::model::PolicyFile;
use crate::policy::tree::{Problem, Tree};

/// A policy that loaded, and the lint warnings found on the way.
#[derive(Debug)]
#[non_exhaustive]
pub struct Loaded {
    /// The compiled policy.
    pub policy: CompiledPolicy,
    /// Lint warnings: the policy loads, but these deserve a look.
    pub warnings: Vec<Lint>,
}

/// The environment variable prefix of cookie-warden's standard figment.
pub const ENV_PREFIX: &str = "COOKIE_WARDEN_";
/// The separator between keys in environment variable names.
pub const ENV_SPLIT: &str = "__";
/// The prefix of the rooted override form, which also reaches top-level keys:
/// `COOKIE_WARDEN_POLICY__VERSION` sets `version`.
pub const ENV_POLICY_PREFIX: &str = "COOKIE_WARDEN_POLICY__";

/// Whether the environment variable `name` is a policy override: `COOKIE_WARDEN_` (in any case,
/// as figment matches it) followed by a name that holds `__`.
///
/// ```
/// use cookie_warden_core::policy::load::is_env_override;
///
/// assert!(is_env_override("COOKIE_WARDEN_ENFORCEMENT__MODE"));
/// assert!(is_env_override("COOKIE_WARDEN_POLICY__VERSION"));
/// // What the kubelet injects for a Service named `cookie-warden`:
/// assert!(!is_env_override("COOKIE_WARDEN_SERVICE_HOST"));
/// assert!(!is_env_override("COOKIE_WARDEN_PORT_8080_TCP_ADDR"));
/// // The tools' own variables:
/// assert!(!is_env_override("COOKIE_WARDEN_LOG"));
/// ```
pub fn is_env_override(name: &str) -> bool {
    strip_prefix_ignore_case(name, ENV_PREFIX).is_some_and(|rest| rest.contains(ENV_SPLIT))
}

/// `figment` followed by the environment overrides (see the module docs): first the
/// `COOKIE_WARDEN_A__B` form, then the rooted `COOKIE_WARDEN_POLICY__` form, which wins where
/// both set the same key. Both are merged with `merge`, never `admerge`: a value from the
/// environment replaces the file's, so a list never widens by accident.
///
/// The variables are read when the figment is extracted, not here.
#[cfg(feature = "figment")]
pub fn with_env_overrides(figment: Figment) -> Figment {
    let nested = Env::prefixed(ENV_PREFIX)
        .filter(|rest| {
            rest.as_str().contains(ENV_SPLIT)
                && strip_prefix_ignore_case(rest.as_str(), &ENV_POLICY_PREFIX[ENV_PREFIX.len()..]).is_none()
        })
        .split(ENV_SPLIT);
    let rooted = Env::prefixed(ENV_POLICY_PREFIX).split(ENV_SPLIT);
    figment.merge(nested).merge(rooted)
}

/// `text` without `prefix`, compared ASCII case-insensitively.
fn strip_prefix_ignore_case<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

/// How many structural errors are collected before giving up (each needs another pass).
const MAX_STRUCTURE_ERRORS: usize = 200;

/// Loads a policy from TOML text; `name` stands for the source in messages. Needs no figment:
/// the checks and messages are those of `from_figment`.
pub fn from_toml_str(name: &str, text: &str) -> Result<Loaded, PolicyErrors> {
    let source = Source::Named(name.to_owned());
    match Tree::from_toml(text) {
        Ok(tree) => load(tree, &|_| source.clone(), &source),
        // A TOML syntax error: nothing to walk.
        Err(err) => Err(PolicyErrors::new(vec![Diagnostic {
            source,
            key: KeyPath::root(),
            message: clip_long_lines(&lowercase_first(&err.to_string())),
        }])),
    }
}

/// Loads a policy from a figment (usually `Toml::file_exact(path)` passed through
/// [`with_env_overrides`]).
#[cfg(feature = "figment")]
pub fn from_figment(figment: &Figment) -> Result<Loaded, PolicyErrors> {
    // An error no provider owns (a key missing from an empty file) names the figment's file.
    let fallback = figment
        .metadata()
        .find_map(|md| match &md.source {
            Some(figment::Source::File(path)) => Some(Source::File(path.clone())),
            _ => None,
        })
        .unwrap_or_else(|| Source::Named("policy".to_owned()));
    let merged = match figment.find_value("") {
        Ok(value) => value,
        Err(err) => {
            // A provider failed (unreadable file, TOML syntax error): nothing to walk.
            let errors = err
                .into_iter()
                .map(|e| {
                    let source = e.metadata.as_ref().and_then(|md| md.source.as_ref()).map_or_else(
                        || fallback.clone(),
                        |s| match s {
                            figment::Source::File(p) => Source::File(p.clone()),
                            other => Source::Named(other.to_string()),
                        },
                    );
                    let source = if matches!(source, Source::Named(_)) {
                        fallback.clone()
                    } else {
                        source
                    };
                    Diagnostic {
                        source,
                        key: KeyPath::from_figment(&e.path),
                        message: clip_long_lines(&lowercase_first(&e.kind.to_string())),
                    }
                })
                .collect();
            return Err(PolicyErrors::new(errors));
        }
    };
    let sources = Sources {
        figment,
        merged: &merged,
        fallback: &fallback,
    };
    load(Tree::from(&merged), &|key| sources.of(key), &fallback)
}

/// Checks and compiles the policy in `tree`; `source_of` names where the value at a key path came
/// from, `fallback` the source of a problem that concerns no key.
fn load(
    tree: Tree,
    source_of: &dyn Fn(&KeyPath) -> Source,
    fallback: &Source,
) -> Result<Loaded, PolicyErrors> {
    let mut working = tree;
    let mut set_aside: Vec<KeyPath> = Vec::new();
    let mut errors: Vec<Diagnostic> = Vec::new();
    // Each pass sets at least one key aside or fills one in; the cap only guards against a bug.
    let mut passes = 0;
    let file = loop {
        passes += 1;
        if passes > 4 * MAX_STRUCTURE_ERRORS {
            break None;
        }
        match PolicyFile::deserialize(working.deserializer()) {
            Ok(file) => break Some(file),
            Err(e) => {
                let base = KeyPath::from_figment(&e.path);
                let (key, message) = describe(&base, &e.problem);
                if !set_aside.iter().any(|p| key.starts_with(p)) {
                    errors.push(Diagnostic {
                        source: source_of(&key),
                        key: key.clone(),
                        message,
                    });
                }
                let progressed = set_aside_key(&mut working, &key, &e.problem, &mut set_aside);
                if !progressed || errors.len() >= MAX_STRUCTURE_ERRORS {
                    break None;
                }
            }
        }
    };

    let mut findings = Findings::default();
    let policy = file.and_then(|file| compile(file, &mut findings));
    let keep = |key: &KeyPath| !set_aside.iter().any(|p| key.starts_with(p));
    let diagnostic = |finding: Finding| Diagnostic {
        source: source_of(finding.cause.as_ref().unwrap_or(&finding.key)),
        key: finding.key,
        message: finding.message,
    };
    errors.extend(
        findings
            .errors
            .into_iter()
            .filter(|f| keep(&f.key))
            .map(diagnostic),
    );
    if !errors.is_empty() {
        return Err(PolicyErrors::new(errors));
    }
    let warnings = findings.lints.into_iter().map(diagnostic).collect();
    match policy {
        Some(policy) => Ok(Loaded { policy, warnings }),
        None => Err(PolicyErrors::new(vec![Diagnostic {
            source: fallback.clone(),
            key: KeyPath::root(),
            message: "the policy could not be read".to_owned(),
        }])),
    }
}

/// The key an error concerns and a lowercase message that names the offending input.
fn describe(base: &KeyPath, problem: &Problem) -> (KeyPath, String) {
    // Figment's path of an unknown or missing key may or may not end with the key itself.
    let with = |field: &str| match base.segments().last() {
        Some(KeySegment::Key(last)) if last == field => base.clone(),
        _ => base.key(field),
    };
    match problem {
        Problem::UnknownField(field, expected) => (
            with(field),
            format!("unknown key `{field}` (expected one of: {})", expected.join(", ")),
        ),
        Problem::MissingField(field) => (with(field), format!("missing key `{field}`")),
        Problem::DuplicateField(field) => (with(field), format!("duplicate key `{field}`")),
        Problem::UnknownVariant(found, expected) => (
            base.clone(),
            format!(
                "unknown value `{found}` (expected one of: {})",
                expected.join(", ")
            ),
        ),
        Problem::InvalidType(found, expected) => (
            base.clone(),
            format!("wrong type: found {found}, expected {expected}"),
        ),
        Problem::InvalidValue(found, expected) => (
            base.clone(),
            format!("invalid value: found {found}, expected {expected}"),
        ),
        other => (base.clone(), lowercase_first(&other.to_string())),
    }
}

/// Lowercases the first letter of a message, unless it starts an acronym (`TOML parse error`).
/// The longest line of a message: a TOML syntax error quotes the offending line, and a policy file
/// of one 50 MB line must not make a 50 MB error.
const MAX_MESSAGE_LINE: usize = 240;

/// `text` with every line longer than [`MAX_MESSAGE_LINE`] characters cut short with `…`.
fn clip_long_lines(text: &str) -> String {
    if text.lines().all(|line| line.len() <= MAX_MESSAGE_LINE) {
        return text.to_owned();
    }
    let mut clipped = String::with_capacity(text.len().min(64 * MAX_MESSAGE_LINE));
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            clipped.push('\n');
        }
        match line.char_indices().nth(MAX_MESSAGE_LINE) {
            Some((at, _)) => {
                clipped.push_str(&line[..at]);
                clipped.push('…');
            }
            None => clipped.push_str(line),
        }
    }
    clipped
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if !second.is_uppercase() => first
            .to_lowercase()
            .chain(text[first.len_utf8()..].chars())
            .collect(),
        _ => text.to_owned(),
    }
}

/// Sets the offending key aside so the next pass can look further. Returns `false` when nothing
/// could be changed (the loop then stops).
fn set_aside_key(working: &mut Tree, key: &KeyPath, problem: &Problem, set_aside: &mut Vec<KeyPath>) -> bool {
    let segments = key.segments();
    // An error inside an array element of a plain list (`hosts[1]`): set the whole list aside,
    // so that later indices keep their meaning.
    let cut = match segments.last() {
        Some(KeySegment::Index(_)) if segments.len() > 1 => segments.len() - 1,
        _ => segments.len(),
    };
    let target = KeyPath::from_segments(&segments[..cut]);
    if let Problem::MissingField(field) = problem {
        // A required key is missing or was set aside: put a placeholder of the right type in, so
        // the rest of its table can be checked; the placeholder's own checks are skipped.
        let Some(placeholder) = placeholder_for(field) else {
            return false;
        };
        let Some(parent) = value_at_mut(working, &segments[..segments.len() - 1]) else {
            return false;
        };
        let Tree::Table(dict) = parent else {
            return false;
        };
        if dict.contains_key(field.as_ref()) {
            return false;
        }
        dict.insert(field.to_string(), placeholder);
        if !set_aside.contains(key) {
            set_aside.push(key.clone());
        }
        return true;
    }
    let Some((last, parent_segments)) = target.segments().split_last() else {
        return false;
    };
    let Some(parent) = value_at_mut(working, parent_segments) else {
        return false;
    };
    let removed = match (parent, last) {
        (Tree::Table(dict), KeySegment::Key(k)) => dict.remove(k).is_some(),
        (Tree::Array(items), KeySegment::Index(i)) if *i < items.len() => {
            // An element of an array of tables that is not a table: replace it with an empty table.
            items[*i] = Tree::Table(BTreeMap::new());
            true
        }
        _ => false,
    };
    if removed {
        set_aside.push(target);
    }
    removed
}

/// A value of the right type for each required key of the model.
fn placeholder_for(field: &str) -> Option<Tree> {
    match field {
        "version" => Some(Tree::Unsigned(1)),
        // Not a valid cookie name or pattern, so it can never collide with a real one.
        "name" | "id" | "cookie" => Some(Tree::String("=missing".to_owned())),
        "lifetime" => Some(Tree::String("session".to_owned())),
        "hosts" => Some(Tree::Array(vec![Tree::String("placeholder.invalid".to_owned())])),
        _ => None,
    }
}

fn value_at_mut<'v>(value: &'v mut Tree, segments: &[KeySegment]) -> Option<&'v mut Tree> {
    let mut current = value;
    for segment in segments {
        current = match (current, segment) {
            (Tree::Table(dict), KeySegment::Key(k)) => dict.get_mut(k)?,
            (Tree::Array(items), KeySegment::Index(i)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(current)
}

/// Finds where a key's value came from, in a figment.
#[cfg(feature = "figment")]
struct Sources<'a> {
    figment: &'a Figment,
    merged: &'a figment::value::Value,
    fallback: &'a Source,
}

#[cfg(feature = "figment")]
impl Sources<'_> {
    /// The source of the deepest value on `key`'s path that exists.
    fn of(&self, key: &KeyPath) -> Source {
        let mut current = self.merged;
        let mut tag = current.tag();
        let mut depth = 0;
        for segment in key.segments() {
            use figment::value::Value;
            let next = match (current, segment) {
                (Value::Dict(_, dict), KeySegment::Key(k)) => dict.get(k),
                (Value::Array(_, items), KeySegment::Index(i)) => items.get(*i),
                _ => None,
            };
            let Some(next) = next else { break };
            current = next;
            tag = current.tag();
            depth += 1;
        }
        let Some(md) = self.figment.get_metadata(tag) else {
            return self.fallback.clone();
        };
        if let Some(figment::Source::File(path)) = &md.source {
            return Source::File(path.clone());
        }
        if md.name.contains("environment variable") {
            let prefix = md.name.split('`').nth(1).unwrap_or(ENV_PREFIX);
            let keys: Vec<String> = key.segments()[..depth]
                .iter()
                .map(|s| match s {
                    KeySegment::Key(k) => k.to_ascii_uppercase(),
                    KeySegment::Index(i) => i.to_string(),
                })
                .collect();
            let mut name = format!("{prefix}{}", keys.join(ENV_SPLIT));
            if prefix == ENV_PREFIX && depth == 1 {
                // The `COOKIE_WARDEN_A__B` form never sets a top-level key by itself: the
                // offending table (`COOKIE_WARDEN_NOPE__X` → `nope`) came from variables below it.
                name.push_str("__*");
            }
            return Source::Env(name);
        }
        self.fallback.clone()
    }
}
