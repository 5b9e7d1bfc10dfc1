//! The name matcher: exact names in hash maps, every glob and template in one multi-pattern
//! automaton, compiled once.
//!
//! Rules that share a pattern (the same exact name, or the same regular expression) share one
//! entry; the entry lists its rules in policy order. Patterns get their automaton ids in order of
//! specificity, so the first matching id that holds a rule allowed in the request's scope is the
//! most specific such rule.
//!
//! The automaton is a lazy DFA (`regex_automata::hybrid`) over all patterns at once, built with
//! `MatchKind::All` and searched anchored and overlapping: every pattern is `(?:…)\z`, so each
//! match it reports is a whole-name match, and a search walks the name's bytes once whatever the
//! number of patterns (DFA states are built on first use and cached).
//!
//! A lookup allocates nothing once warm: the hash lookup borrows the name, the overlapping state
//! lives on the stack, and the DFA's cache comes from a pool that is filled on a thread's first
//! search.

use std::collections::HashMap as StdHashMap;
use std::panic::{RefUnwindSafe, UnwindSafe};

use regex_automata::hybrid::dfa::{Cache, DFA, OverlappingState};
use regex_automata::nfa::thompson;
use regex_automata::util::pool::Pool;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, MatchKind};

use crate::policy::name::{NamePattern, NamePrefix, PatternKind};

/// A rule's index in the policy (`cookie[i]`).
pub(crate) type RuleIndex = u32;

/// Exact names (after the prefix) → their rules, in policy order.
///
/// Hashed with foldhash, not std's SipHash: lookups are of names an upstream chose, but the table
/// holds only the policy's names and never grows at run time, so colliding lookups cannot make it
/// degrade (HashDoS needs inserts); a lookup costs a third of SipHash's.
type ExactMap = foldhash::HashMap<Box<[u8]>, Box<[RuleIndex]>>;

type CacheFn = Box<dyn Fn() -> Cache + Send + Sync + UnwindSafe + RefUnwindSafe>;

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
    dfa: DFA,
    /// The rules of each automaton pattern id, in policy order.
    rules: Vec<Box<[RuleIndex]>>,
    caches: Pool<Cache, CacheFn>,
}

impl Patterns {
    /// Calls `each` with every pattern id that matches the whole of `name`, in no particular order.
    fn for_each_match(&self, name: &[u8], mut each: impl FnMut(usize)) {
        let mut cache = self.caches.get();
        let input = Input::new(name).anchored(Anchored::Yes);
        let mut state = OverlappingState::start();
        // Bounded: each pattern is reported at most once, at the end of the name.
        for _ in 0..=self.rules.len() {
            // The DFA has no quit bytes and never gives up (no minimum cache clear count), so a
            // search cannot fail; were it to, no pattern counts as matched (the name is then
            // unlisted, and stripped: fail closed).
            if self
                .dfa
                .try_search_overlapping_fwd(&mut cache, &input, &mut state)
                .is_err()
            {
                return;
            }
            match state.get_match() {
                Some(m) if m.offset() == name.len() => each(m.pattern().as_usize()),
                Some(_) => {}
                None => return,
            }
        }
    }
}

impl std::fmt::Debug for NameMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NameMatcher")
            .field(
                "exact_names",
                &self.exact.iter().map(ExactMap::len).sum::<usize>(),
            )
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
        let mut exact: [foldhash::HashMap<Box<[u8]>, Vec<RuleIndex>>; 3] = Default::default();
        let mut by_regex: StdHashMap<&str, usize> = StdHashMap::new();
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
            let dfa = DFA::builder()
                .syntax(syntax::Config::new().utf8(false).unicode(false))
                .thompson(
                    thompson::Config::new()
                        .utf8(false)
                        .nfa_size_limit(Some(256 << 20)),
                )
                .configure(
                    DFA::config()
                        .match_kind(MatchKind::All)
                        .cache_capacity(16 << 20)
                        .skip_cache_capacity_check(true)
                        .minimum_cache_clear_count(None),
                )
                .build_many(&regexes)
                .map_err(|err| format!("the name patterns do not compile together: {err}"))?;
            let for_caches = dfa.clone();
            let make: CacheFn = Box::new(move || for_caches.create_cache());
            Some(Patterns {
                dfa,
                rules: wild
                    .into_iter()
                    .map(|(_, rules)| rules.into_boxed_slice())
                    .collect(),
                caches: Pool::new(make),
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
            // Pattern ids are in order of specificity: the smallest id wins.
            let (mut best_here, mut best_any) = (usize::MAX, usize::MAX);
            patterns.for_each_match(name, |id| {
                best_any = best_any.min(id);
                if id < best_here && patterns.rules[id].iter().any(|&r| applies(r)) {
                    best_here = id;
                }
            });
            if let Some(rules) = patterns.rules.get(best_here) {
                if let Some(&rule) = rules.iter().find(|&&r| applies(r)) {
                    return Found::Applies(rule);
                }
            }
            if not_here.is_none() {
                not_here = patterns
                    .rules
                    .get(best_any)
                    .and_then(|rules| rules.first().copied());
            }
        }
        not_here.map_or(Found::Nothing, Found::NotHere)
    }

    /// Every glob or template rule whose pattern matches `name`, most specific first (for lints).
    pub(crate) fn pattern_rules_matching(&self, name: &[u8]) -> Vec<RuleIndex> {
        let Some(patterns) = &self.patterns else {
            return Vec::new();
        };
        let mut ids = Vec::new();
        patterns.for_each_match(name, |id| ids.push(id));
        ids.sort_unstable();
        ids.iter()
            .flat_map(|&id| patterns.rules[id].iter().copied())
            .collect()
    }
}
