//! The name matcher: exact names in hash maps, every glob and template in one multi-pattern
//! automaton, compiled once.
//!
//! Rules that share a pattern (the same exact name, or the same regular expression) share one
//! entry; the entry lists its rules in policy order. Patterns get their automaton ids in order of
//! specificity, so the first matching id that holds a rule allowed in the request's scope is the
//! most specific such rule.
//!
//! A lookup allocates nothing: the hash lookup borrows the name, and the automaton's search cache
//! and its pattern set come from pools that are filled on a thread's first search.

use std::collections::HashMap;
use std::panic::{RefUnwindSafe, UnwindSafe};

use regex_automata::util::pool::Pool;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, MatchKind, PatternSet, meta};

use crate::policy::name::{NamePattern, NamePrefix, PatternKind};

/// A rule's index in the policy (`cookie[i]`).
pub(crate) type RuleIndex = u32;

/// Exact names (after the prefix) → their rules, in policy order.
type ExactMap = HashMap<Box<[u8]>, Box<[RuleIndex]>>;

type PatternSetFn = Box<dyn Fn() -> PatternSet + Send + Sync + UnwindSafe + RefUnwindSafe>;

/// What the matcher found for one name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    /// The most specific matching rule that applies here.
    Applies(RuleIndex),
    /// Rules match, but none applies here; the most specific of them.
    NotHere(RuleIndex),
    /// No rule matches.
    Nothing,
}

/// The compiled name matcher.
pub(crate) struct NameMatcher {
    /// Exact names after their prefix, one map per [`NamePrefix`] (so the prefix is matched
    /// case-insensitively without building a key).
    exact: [ExactMap; 3],
    patterns: Option<Patterns>,
}

struct Patterns {
    regex: meta::Regex,
    /// The rules of each automaton pattern id, in policy order.
    rules: Vec<Box<[RuleIndex]>>,
    sets: Pool<PatternSet, PatternSetFn>,
}

impl std::fmt::Debug for NameMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NameMatcher")
            .field("exact_names", &self.exact.iter().map(HashMap::len).sum::<usize>())
            .field("patterns", &self.patterns.as_ref().map_or(0, |p| p.rules.len()))
            .finish()
    }
}

/// Groups of rules sharing one pattern, for the duplicate check.
pub(crate) struct Groups {
    /// Each group: the rules (policy order) sharing one pattern.
    pub(crate) groups: Vec<Vec<RuleIndex>>,
}

impl NameMatcher {
    /// Builds the matcher from each rule's checked pattern (`None` for a rule whose pattern did
    /// not compile: it is left out). Also returns the groups of rules that share a pattern.
    pub(crate) fn build(patterns: &[Option<NamePattern>]) -> Result<(Self, Groups), String> {
        let mut exact: [HashMap<Box<[u8]>, Vec<RuleIndex>>; 3] = Default::default();
        let mut by_regex: HashMap<&str, usize> = HashMap::new();
        let mut wild: Vec<(&NamePattern, Vec<RuleIndex>)> = Vec::new();
        for (i, pattern) in patterns.iter().enumerate() {
            let Some(pattern) = pattern else { continue };
            let index = RuleIndex::try_from(i).map_err(|_| "too many rules".to_owned())?;
            if pattern.kind == PatternKind::Exact {
                exact[pattern.prefix.slot()]
                    .entry(pattern.exact_rest.clone().into_boxed_slice())
                    .or_default()
                    .push(index);
            } else {
                match by_regex.get(pattern.regex.as_str()) {
                    Some(&slot) => wild[slot].1.push(index),
                    None => {
                        by_regex.insert(&pattern.regex, wild.len());
                        wild.push((pattern, vec![index]));
                    }
                }
            }
        }
        // Most specific first: template before glob, more literal text first, then policy order.
        wild.sort_by_key(|(p, rules)| (p.kind, std::cmp::Reverse(p.literal_len), rules[0]));

        let mut groups: Vec<Vec<RuleIndex>> = exact.iter().flat_map(|m| m.values().cloned()).collect();
        groups.extend(wild.iter().map(|(_, rules)| rules.clone()));
        groups.retain(|g| g.len() > 1);
        groups.sort();

        let patterns = if wild.is_empty() {
            None
        } else {
            let regexes: Vec<String> = wild.iter().map(|(p, _)| format!(r"(?:{})\z", p.regex)).collect();
            let regex = meta::Regex::builder()
                .syntax(syntax::Config::new().utf8(false).unicode(false))
                .configure(
                    meta::Config::new()
                        .match_kind(MatchKind::All)
                        .utf8_empty(false)
                        .nfa_size_limit(Some(256 << 20))
                        .hybrid_cache_capacity(16 << 20),
                )
                .build_many(&regexes)
                .map_err(|err| format!("the name patterns do not compile together: {err}"))?;
            let len = regex.pattern_len();
            let make: PatternSetFn = Box::new(move || PatternSet::new(len));
            Some(Patterns {
                regex,
                rules: wild
                    .into_iter()
                    .map(|(_, rules)| rules.into_boxed_slice())
                    .collect(),
                sets: Pool::new(make),
            })
        };
        let exact = exact.map(|m| m.into_iter().map(|(k, v)| (k, v.into_boxed_slice())).collect());
        Ok((Self { exact, patterns }, Groups { groups }))
    }

    /// Finds the most specific rule matching `name` for which `applies` is true, or else the most
    /// specific matching rule.
    pub(crate) fn find(&self, name: &[u8], applies: impl Fn(RuleIndex) -> bool) -> Found {
        let mut not_here = None;
        let (prefix, len) = NamePrefix::of(name);
        if let Some(rules) = self.exact[prefix.slot()].get(&name[len..]) {
            if let Some(&rule) = rules.iter().find(|&&r| applies(r)) {
                return Found::Applies(rule);
            }
            not_here = rules.first().copied();
        }
        if let Some(patterns) = &self.patterns {
            let mut set = patterns.sets.get();
            set.clear();
            patterns
                .regex
                .which_overlapping_matches(&Input::new(name).anchored(Anchored::Yes), &mut set);
            for id in set.iter() {
                let rules = &patterns.rules[id.as_usize()];
                if let Some(&rule) = rules.iter().find(|&&r| applies(r)) {
                    return Found::Applies(rule);
                }
                if not_here.is_none() {
                    not_here = rules.first().copied();
                }
            }
        }
        not_here.map_or(Found::Nothing, Found::NotHere)
    }

    /// Every glob or template rule whose pattern matches `name`, most specific first (for lints).
    pub(crate) fn pattern_rules_matching(&self, name: &[u8]) -> Vec<RuleIndex> {
        let Some(patterns) = &self.patterns else {
            return Vec::new();
        };
        let mut set = PatternSet::new(patterns.regex.pattern_len());
        patterns
            .regex
            .which_overlapping_matches(&Input::new(name).anchored(Anchored::Yes), &mut set);
        set.iter()
            .flat_map(|id| patterns.rules[id.as_usize()].iter().copied())
            .collect()
    }
}
