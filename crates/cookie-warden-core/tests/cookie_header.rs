//! The request `Cookie` header: splitting as browsers serialise it, and exact re-joining.

use cookie_warden_core::cookie_header::{CookiePair, find, hidden_pairs, join, pairs};
use proptest::prelude::*;

fn split(header: &[u8]) -> Vec<(&[u8], &[u8])> {
    pairs(header).map(|p| (p.name, p.value)).collect()
}

#[test]
fn splits_browser_serialisation() {
    assert_eq!(
        split(b"a=1; b=2; c=3"),
        [(&b"a"[..], &b"1"[..]), (b"b", b"2"), (b"c", b"3")]
    );
    assert_eq!(split(b"a=1"), [(&b"a"[..], &b"1"[..])]);
    assert_eq!(split(b""), Vec::<(&[u8], &[u8])>::new());
}

#[test]
fn a_pair_without_equals_is_a_nameless_cookie() {
    // rfc6265bis §5.8.3: a cookie with an empty name is serialised as its value alone.
    assert_eq!(
        split(b"a=1; justvalue; b=2"),
        [(&b"a"[..], &b"1"[..]), (b"", b"justvalue"), (b"b", b"2")]
    );
}

#[test]
fn value_keeps_later_equals_and_empty_values() {
    assert_eq!(
        split(b"t=a=b==; e=; =v"),
        [(&b"t"[..], &b"a=b=="[..]), (b"e", b""), (b"", b"v")]
    );
}

#[test]
fn tolerates_other_clients_separators_but_trims_nothing_inside() {
    assert_eq!(
        split(b"a=1;b=2;;  c=3 ;\t"),
        [(&b"a"[..], &b"1"[..]), (b"b", b"2"), (b"c", b"3")]
    );
    assert_eq!(split(b"a = 1"), [(&b"a "[..], &b" 1"[..])]);
}

#[test]
fn keeps_non_utf8_bytes() {
    assert_eq!(split(b"n\xff=\xfe\x80"), [(&b"n\xff"[..], &b"\xfe\x80"[..])]);
}

#[test]
fn find_returns_the_first_pair_of_that_name() {
    assert_eq!(
        find(b"x=0; consent=stats; consent=all", b"consent"),
        Some(&b"stats"[..])
    );
    assert_eq!(find(b"x=0; Consent=stats", b"consent"), None);
    assert_eq!(find(b"consentx=1", b"consent"), None);
}

#[test]
fn join_reproduces_kept_pairs_exactly() {
    let header = b"a=1;b = 2 ;  =c;  d=\xff";
    let mut out = Vec::new();
    join(pairs(header).filter(|p| p.name != b"a"), &mut out);
    assert_eq!(out, b"b = 2; =c; d=\xff");

    let mut none = Vec::new();
    join(pairs(header).filter(|_| false), &mut none);
    assert!(none.is_empty());
}

#[test]
fn join_appends_to_earlier_fields() {
    let mut out = Vec::new();
    join(pairs(b"a=1; b=2"), &mut out);
    join(pairs(b"c=3"), &mut out);
    assert_eq!(out, b"a=1; b=2; c=3");
}

#[test]
fn pair_debug_hides_the_value() {
    let pair: CookiePair<'_> = pairs(b"sid=topsecret").next().unwrap();
    let printed = format!("{pair:?}");
    assert!(
        printed.contains("sid") && !printed.contains("topsecret"),
        "{printed}"
    );
}

/// The (name, value) of the pairs hidden behind commas in each pair of `header`, per pair.
fn hidden(header: &[u8]) -> Vec<Vec<(&[u8], &[u8])>> {
    pairs(header)
        .map(|pair| hidden_pairs(&pair).map(|p| (p.name, p.value)).collect())
        .collect()
}

#[test]
fn a_comma_splitting_parser_sees_pairs_after_commas() {
    assert_eq!(hidden(b"sid=1,tracker=2"), [vec![(&b"tracker"[..], &b"2"[..])]]);
    assert_eq!(
        hidden(b"sid=5,tracker=6; a=1"),
        [vec![(&b"tracker"[..], &b"6"[..])], vec![]]
    );
    // Spaces and tabs around a piece are skipped, as `, ` separators are; inside a piece nothing
    // is trimmed: `b =2` names `b `, which is not `b`.
    assert_eq!(
        hidden(b"sid=1, tracker=2 ,\tb =2"),
        [vec![(&b"tracker"[..], &b"2"[..]), (b"b ", b"2")]]
    );
    // Several hidden pairs, and values that keep their own `=`.
    assert_eq!(
        hidden(b"sid=1,a=2,b=3=4"),
        [vec![(&b"a"[..], &b"2"[..]), (b"b", b"3=4")]]
    );
}

#[test]
fn words_after_commas_hide_no_pair() {
    // The consent cookie's `list` format, and empty pieces.
    assert_eq!(hidden(b"cookie_consent=necessary,statistics"), [vec![]]);
    assert_eq!(hidden(b"x=a,,b, ,"), [vec![]]);
    assert_eq!(hidden(b"x=1"), [vec![]]);
    assert_eq!(hidden(b"nameless,value"), [vec![]]);
}

#[test]
fn quotes_do_not_protect_a_comma_and_nameless_pieces_count() {
    assert_eq!(
        hidden(b"sid=\"a,tracker=2\""),
        [vec![(&b"tracker"[..], &b"2\""[..])]]
    );
    assert_eq!(hidden(b"sid=1,=x"), [vec![(&b""[..], &b"x"[..])]]);
    // A comma in the name: the pieces after it are read as pairs too.
    assert_eq!(hidden(b"a,tracker=1"), [vec![(&b"tracker"[..], &b"1"[..])]]);
}

#[test]
fn semicolons_still_separate_pairs_first() {
    // `;` ends a pair before any comma is looked at: `b=2` is a pair of its own.
    assert_eq!(hidden(b"a=1,x;b=2"), [vec![], vec![]]);
    let names: Vec<&[u8]> = pairs(b"a=1,x;b=2").map(|p| p.name).collect();
    assert_eq!(names, [&b"a"[..], b"b"]);
}

proptest! {
    /// Hidden pairs lie inside their pair, after a comma, and each holds the `=` that makes it one.
    #[test]
    fn hidden_pairs_are_slices_after_a_comma(header in proptest::collection::vec(
        prop_oneof![Just(b','), Just(b'='), Just(b';'), Just(b' '), Just(b'a'), Just(b'"')], 0..48)
    ) {
        for pair in pairs(&header) {
            let comma = pair.raw.iter().position(|&b| b == b',');
            let count = hidden_pairs(&pair).count();
            if comma.is_none() {
                prop_assert_eq!(count, 0);
            }
            for hidden in hidden_pairs(&pair) {
                let start = hidden.raw.as_ptr() as usize - pair.raw.as_ptr() as usize;
                prop_assert!(start > comma.unwrap());
                prop_assert!(start + hidden.raw.len() <= pair.raw.len());
                prop_assert!(!hidden.raw.contains(&b','));
                prop_assert_eq!(hidden.raw.len(), hidden.name.len() + 1 + hidden.value.len());
                prop_assert!(!hidden.name.contains(&b'='));
            }
            // Every piece after a comma with a `=` is one hidden pair.
            let pieces = pair.raw.split(|&b| b == b',').skip(1).filter(|p| p.contains(&b'=')).count();
            prop_assert_eq!(count, pieces);
        }
    }
}

proptest! {
    /// Joining all pairs of a browser-shaped header gives back the header itself.
    #[test]
    fn browser_headers_round_trip(
        cookies in proptest::collection::vec(("[!#-+\\--:<-~]{0,8}", "[!#-+\\--:<-~]{0,8}"), 1..8)
    ) {
        let header = cookies
            .iter()
            .map(|(n, v)| if n.is_empty() { v.clone() } else { format!("{n}={v}") })
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        let mut out = Vec::new();
        join(pairs(header.as_bytes()), &mut out);
        prop_assert_eq!(out, header.as_bytes());
    }

    /// Splitting never loses or invents bytes: every pair's raw bytes lie in the header, and the
    /// name and value are taken from them.
    #[test]
    fn pairs_are_slices_of_the_header(header in proptest::collection::vec(any::<u8>(), 0..64)) {
        for pair in pairs(&header) {
            prop_assert!(!pair.raw.is_empty());
            prop_assert!(!pair.raw.contains(&b';'));
            prop_assert!(header.windows(pair.raw.len()).any(|w| w == pair.raw));
            if pair.name.is_empty() && !pair.raw.starts_with(b"=") {
                prop_assert_eq!(pair.value, pair.raw);
            } else {
                prop_assert_eq!(pair.raw.len(), pair.name.len() + 1 + pair.value.len());
            }
        }
    }
}
