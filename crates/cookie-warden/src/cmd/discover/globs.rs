//! Which names become a `prefix*` glob.
//!
//! Names that share a prefix ending in a separator (`_`, `-`, `.`, `:`) and differ after it — at
//! least [`GLOB_MIN_NAMES`] distinct names — are a family named by a pattern (`saplb_*`,
//! `_ga_*`). The prefix must hold at least two letters or digits, so `_*` or `__*` never swallows
//! unrelated names. Longer prefixes are taken first (`_pk_id.1.*` before `_pk_*`), and a prefix is
//! never taken when it would overlap a glob already taken, so no two rules of the draft can match
//! the same name.

use std::collections::BTreeMap;

/// A glob needs at least this many distinct names sharing its prefix.
pub(crate) const GLOB_MIN_NAMES: usize = 3;

const SEPARATORS: &[u8] = b"_-.:";

/// Groups `names` (distinct, any order): returns each chosen glob prefix with its members.
/// Names in no group stay exact.
pub(crate) fn group<'n>(names: &[&'n str]) -> BTreeMap<&'n str, Vec<&'n str>> {
    let mut candidates: Vec<&str> = names
        .iter()
        .flat_map(|name| {
            name.bytes()
                .enumerate()
                .filter(|(i, b)| SEPARATORS.contains(b) && i + 1 < name.len())
                .map(|(i, _)| &name[..=i])
        })
        .filter(|prefix| prefix.bytes().filter(u8::is_ascii_alphanumeric).count() >= 2)
        .collect();
    candidates.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    candidates.dedup();

    let mut chosen: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for prefix in candidates {
        if chosen
            .keys()
            .any(|taken| taken.starts_with(prefix) || prefix.starts_with(taken))
        {
            continue;
        }
        let members: Vec<&str> = names.iter().copied().filter(|n| n.starts_with(prefix)).collect();
        if members.len() >= GLOB_MIN_NAMES {
            chosen.insert(prefix, members);
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_of_three_or_more_become_globs() {
        let names = [
            "saplb_PD",
            "saplb_x1",
            "saplb_abc",
            "sid",
            "_ga",
            "_ga_ABC",
            "_ga_DEF",
            "lang",
        ];
        let groups = group(&names);
        assert_eq!(groups.keys().copied().collect::<Vec<_>>(), ["saplb_"]);
        assert_eq!(groups["saplb_"].len(), 3);
    }

    #[test]
    fn longest_prefix_wins_and_globs_never_overlap() {
        let names = [
            "_pk_id.1.a",
            "_pk_id.1.b",
            "_pk_id.1.c",
            "_pk_ses.1.a",
            "_pk_ref.1.a",
            "_pk_x",
        ];
        let groups = group(&names);
        assert_eq!(groups.keys().copied().collect::<Vec<_>>(), ["_pk_id.1."]);
    }

    #[test]
    fn short_prefixes_do_not_swallow_unrelated_names() {
        let names = ["_a", "_b", "_c", "__x", "__y", "__z"];
        assert!(group(&names).is_empty());
    }
}
