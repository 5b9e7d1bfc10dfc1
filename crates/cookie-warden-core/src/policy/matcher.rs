//! The name matcher: exact names in hash tables, every glob and template in one multi-pattern
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
//! A name shorter than every pattern's shortest match, or whose first byte no pattern's match
//! starts with (both computed at build), skips the automaton.
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
use crate::set_cookie::{half_at, word_at};

/// A rule's index in the policy (`cookie[i]`).
pub(crate) type RuleIndex = u32;

/// Exact names (after the prefix) → their rules, in policy order: open addressing over a
/// power-of-two table at most half full, built once at load.
///
/// The hash is a fixed, fast multiplicative one, not std's SipHash: lookups are of names an
/// upstream chose, but the table holds only the policy's names and never changes after load, so
/// no choice of looked-up names can lengthen a probe (HashDoS needs inserts); a probe ends at the
/// first empty slot, at most as far as the policy's own longest cluster. Each slot keeps its
/// name's hash, so a probe compares bytes only on a full hash match.
struct ExactTable {
    /// `(hash, entry + 1)`; `entry + 1 == 0`: an empty slot.
    slots: Box<[(u32, u32)]>,
    /// `64 - log2(slots.len())`: a hash's top bits pick its first slot.
    shift: u32,
    entries: Box<[ExactEntry]>,
}

/// An exact name (after its prefix) and its rules, in policy order.
type ExactEntry = (Box<[u8]>, Box<[RuleIndex]>);

impl ExactTable {
    fn build(map: foldhash::HashMap<Box<[u8]>, Vec<RuleIndex>>) -> Self {
        let entries: Box<[ExactEntry]> = map
            .into_iter()
            .map(|(name, rules)| (name, rules.into_boxed_slice()))
            .collect();
        let size = (entries.len() * 2).next_power_of_two().max(2);
        let shift = 64 - size.trailing_zeros();
        let mut slots = vec![(0_u32, 0_u32); size].into_boxed_slice();
        for (i, (name, _)) in entries.iter().enumerate() {
            let hash = name_hash(name);
            let mut at = (hash >> shift) as usize;
            while slots[at].1 != 0 {
                at = (at + 1) & (size - 1);
            }
            // At most `u32::MAX` rules (`RuleIndex`), so the entry count fits.
            slots[at] = (hash as u32, u32::try_from(i + 1).unwrap_or(u32::MAX));
        }
        ExactTable {
            slots,
            shift,
            entries,
        }
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    #[inline]
    fn get(&self, name: &[u8]) -> Option<&[RuleIndex]> {
        if self.entries.is_empty() {
            return None;
        }
        let hash = name_hash(name);
        let mask = self.slots.len() - 1;
        let mut at = (hash >> self.shift) as usize;
        loop {
            let (slot_hash, entry) = self.slots[at];
            if entry == 0 {
                return None;
            }
            if slot_hash == hash as u32 {
                let (key, rules) = &self.entries[entry as usize - 1];
                if same_name(key, name) {
                    return Some(rules);
                }
            }
            at = (at + 1) & mask;
        }
    }
}

/// A fast hash of a cookie name: FxHash-style over 8-byte words, the length mixed in, short
/// names read as a few loads (no copy of the tail).
fn name_hash(name: &[u8]) -> u64 {
    const K: u64 = 0xf135_7aea_2e62_a9c5;
    let mix = |hash: u64, word: u64| (hash.rotate_left(26) ^ word).wrapping_mul(K);
    let len = name.len();
    let mut hash = (len as u64).wrapping_mul(K);
    if len > 8 {
        let mut rest = name;
        while rest.len() > 8 {
            hash = mix(hash, word_at(rest, 0));
            rest = &rest[8..];
        }
        // The last 8 bytes, overlapping the words before when the length is not a multiple of 8.
        hash = mix(hash, word_at(name, len - 8));
    } else if len >= 4 {
        // The first and the last 4 bytes (overlapping below 8): with the length, every byte counts.
        hash = mix(
            hash,
            u64::from(half_at(name, 0)) | (u64::from(half_at(name, len - 4)) << 32),
        );
    } else if len > 0 {
        let word = u64::from(name[0]) | (u64::from(name[len / 2]) << 8) | (u64::from(name[len - 1]) << 16);
        hash = mix(hash, word);
    }
    // Fold the well-mixed high half into the low half kept in each slot.
    hash ^ (hash >> 32)
}

/// `a == b`, reading short names as a few words instead of calling `memcmp`.
fn same_name(a: &[u8], b: &[u8]) -> bool {
    let len = a.len();
    if len != b.len() {
        return false;
    }
    if len > 16 {
        return a == b;
    }
    if len >= 8 {
        return word_at(a, 0) == word_at(b, 0) && word_at(a, len - 8) == word_at(b, len - 8);
    }
    if len >= 4 {
        return half_at(a, 0) == half_at(b, 0) && half_at(a, len - 4) == half_at(b, len - 4);
    }
    a.iter().zip(b).all(|(x, y)| x == y)
}

/// What every name some pattern matches has: at least `min_len` bytes, and a first byte in the
/// returned set. Both are lower bounds, safe to skip the automaton on: the least
/// `minimum_len` of the patterns as parsed for the automaton, and every byte on which the
/// automaton's anchored start state does not go dead (a byte it cannot tell is counted in).
fn pattern_bounds(dfa: &DFA, regexes: &[String], config: &syntax::Config) -> (usize, [u64; 4]) {
    let min_len = regexes
        .iter()
        .map(|regex| match syntax::parse_with(regex, config) {
            // `None`: the pattern matches nothing.
            Ok(hir) => hir.properties().minimum_len().unwrap_or(usize::MAX),
            Err(_) => 0,
        })
        .min()
        .unwrap_or(0);
    let mut first_bytes = [u64::MAX; 4];
    let mut cache = dfa.create_cache();
    let input = Input::new(&b""[..]).anchored(Anchored::Yes);
    if let Ok(start) = dfa.start_state_forward(&mut cache, &input) {
        for b in 0..=u8::MAX {
            if matches!(dfa.next_state(&mut cache, start, b), Ok(next) if next.is_dead()) {
                first_bytes[usize::from(b >> 6)] &= !(1 << (b & 63));
            }
        }
    }
    (min_len, first_bytes)
}

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
    exact: [ExactTable; 3],
    patterns: Option<Patterns>,
}

struct Patterns {
    dfa: DFA,
    /// No pattern matches a name shorter than this (the least `minimum_len` of the patterns).
    min_len: usize,
    /// Bit `b` set: some pattern may match a name whose first byte is `b` (the automaton's
    /// anchored start state does not go dead on `b`). A name whose first byte is not in the set
    /// matches no pattern.
    first_bytes: [u64; 4],
    /// The rules of each automaton pattern id, in policy order.
    rules: Vec<Box<[RuleIndex]>>,
    caches: Pool<Cache, CacheFn>,
}

impl Patterns {
    /// `false` only when no pattern can match `name`: a check of a few instructions before the
    /// automaton runs.
    fn may_match(&self, name: &[u8]) -> bool {
        if name.len() < self.min_len {
            return false;
        }
        match name.first() {
            Some(&b) => self.first_bytes[usize::from(b >> 6)] & (1 << (b & 63)) != 0,
            None => true,
        }
    }

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
                &self.exact.iter().map(ExactTable::len).sum::<usize>(),
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
            let syntax_config = syntax::Config::new().utf8(false).unicode(false);
            let dfa = DFA::builder()
                .syntax(syntax_config)
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
            let (min_len, first_bytes) = pattern_bounds(&dfa, &regexes, &syntax_config);
            let for_caches = dfa.clone();
            let make: CacheFn = Box::new(move || for_caches.create_cache());
            Some(Patterns {
                dfa,
                min_len,
                first_bytes,
                rules: wild
                    .into_iter()
                    .map(|(_, rules)| rules.into_boxed_slice())
                    .collect(),
                caches: Pool::new(make),
            })
        };
        let exact = exact.map(ExactTable::build);
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
        if let Some(patterns) = self.patterns.as_ref().filter(|p| p.may_match(name)) {
            // Pattern ids are in order of specificity: the smallest id wins.
            let (mut best_here, mut best_any) = (usize::MAX, usize::MAX);
            patterns.for_each_match(name, |id| {
                best_any = best_any.min(id);
                if id < best_here && patterns.rules[id].iter().any(|&r| applies(r)) {
                    best_here = id;
                }
            });
            if let Some(rules) = patterns.rules.get(best_here)
                && let Some(&rule) = rules.iter().find(|&&r| applies(r))
            {
                return Found::Applies(rule);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pattern_bounds_never_skip_a_name_a_pattern_matches() {
        let config = syntax::Config::new().utf8(false).unicode(false);
        let sets: [&[&str]; 4] = [
            &["saplb_.*", "refreshToken_[A-Z]+_SAPEP", r"_pk_id\..*"],
            &["(?i:__host-)ab[0-9]*", "x?y", "b"],
            &[".*", "abc"],
            &["", "q.{3}"],
        ];
        let mut names: Vec<Vec<u8>> = vec![Vec::new()];
        for a in 0..=u8::MAX {
            names.push(vec![a]);
            for b in [b'b', b'y', b'_', b'a', 0xff] {
                names.push(vec![a, b]);
            }
        }
        for name in [
            "saplb_",
            "saplb_1",
            "refreshToken_AB_SAPEP",
            "_pk_id.1",
            "_pk_id",
            "__HoSt-ab12",
            "__Host-ab",
            "__host-a",
            "xy",
            "qabc",
            "qab",
            "abc",
        ] {
            names.push(name.as_bytes().to_vec());
        }
        for set in sets {
            let regexes: Vec<String> = set.iter().map(|r| format!(r"(?:{r})\z")).collect();
            let dfa = DFA::builder()
                .syntax(config)
                .configure(DFA::config().match_kind(MatchKind::All))
                .build_many(&regexes)
                .unwrap();
            let (min_len, first_bytes) = pattern_bounds(&dfa, &regexes, &config);
            let mut cache = dfa.create_cache();
            let mut skipped = 0;
            for name in &names {
                let input = Input::new(name).anchored(Anchored::Yes);
                let matched = dfa.try_search_fwd(&mut cache, &input).unwrap().is_some();
                let may = name.len() >= min_len
                    && name
                        .first()
                        .is_none_or(|&b| first_bytes[usize::from(b >> 6)] & (1 << (b & 63)) != 0);
                assert!(may || !matched, "{set:?} {name:?}");
                skipped += usize::from(!may);
            }
            if set[0] == "saplb_.*" {
                assert!(skipped > 0, "{set:?}");
            }
        }
    }

    #[test]
    fn names_compare_byte_for_byte_at_every_length() {
        let name: Vec<u8> = (0..40_u8).map(|i| b'a' + i % 26).collect();
        for len in 0..name.len() {
            let a = &name[..len];
            assert!(same_name(a, a));
            assert!(!same_name(a, &name[..len + 1]));
            for at in 0..len {
                let mut b = a.to_vec();
                b[at] ^= 0x20;
                assert!(!same_name(a, &b), "{len} {at}");
            }
        }
    }

    #[test]
    fn the_exact_table_finds_every_name_and_nothing_else() {
        for count in [0_u32, 1, 2, 3, 7, 100, 5_000] {
            let mut map: foldhash::HashMap<Box<[u8]>, Vec<RuleIndex>> = foldhash::HashMap::default();
            for i in 0..count {
                map.insert(
                    format!("cookie_{i}").into_bytes().into_boxed_slice(),
                    vec![i, i + 1],
                );
            }
            let table = ExactTable::build(map);
            assert_eq!(table.len(), count as usize);
            assert!(table.slots.len() >= 2 * table.len());
            for i in 0..count {
                let name = format!("cookie_{i}");
                assert_eq!(table.get(name.as_bytes()), Some(&[i, i + 1][..]), "{name}");
            }
            for miss in [
                "",
                "cookie_",
                "cookie_-1",
                "Cookie_1",
                "cookie_1 ",
                "a_very_long_cookie_name_0",
            ] {
                assert_eq!(table.get(miss.as_bytes()), None, "{miss}");
            }
            assert_eq!(table.get(format!("cookie_{count}").as_bytes()), None);
        }
    }
}
