//! Small byte-slice helpers shared by the parser's files, tuned for the short slices of a header.

/// Space or horizontal tab: §5.6 "WSP".
#[inline(always)]
fn is_wsp(b: u8) -> bool {
    (b == b' ') | (b == b'\t')
}

/// Removes leading and trailing space and horizontal tab (and nothing else: §5.6 "WSP"). The
/// usual piece has neither: two byte tests and it is returned as it is.
#[inline(always)]
pub(crate) fn trim_wsp(bytes: &[u8]) -> &[u8] {
    match bytes {
        // `|`, not `||`: one branch for both ends.
        [first, .., last] if !(is_wsp(*first) | is_wsp(*last)) => bytes,
        [only] if !is_wsp(*only) => bytes,
        [] => bytes,
        _ => trim_wsp_slow(bytes),
    }
}

#[inline(never)]
fn trim_wsp_slow(mut bytes: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = bytes {
        bytes = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = bytes {
        bytes = rest;
    }
    bytes
}

const LOW_BITS: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// The eight bytes at `at` as a little-endian word.
#[inline]
pub(crate) fn word_at(bytes: &[u8], at: usize) -> u64 {
    let mut eight = [0u8; 8];
    eight.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(eight)
}

/// The four bytes at `at` as a little-endian half word.
#[inline]
pub(crate) fn half_at(bytes: &[u8], at: usize) -> u32 {
    let mut four = [0u8; 4];
    four.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(four)
}

/// The classic "has zero byte" test for `needle`, one high bit per matching byte: exact for the
/// lowest match (a borrow can only flag bytes *above* a true match).
#[inline]
fn matches(word: u64, needle: u64) -> u64 {
    let diff = word ^ needle;
    diff.wrapping_sub(LOW_BITS) & !diff & HIGH_BITS
}

/// Past this many bytes without a match, `memchr` (SIMD, but with a set-up cost) takes over.
const SWAR_BYTES: usize = 32;

/// The index of the first `a` or `b` at or after `from`, or `bytes.len()` when there is none
/// (`from` ≤ `bytes.len()`). Pass the same byte twice to look for one.
///
/// Header pieces are mostly short: eight bytes at a time in a plain `u64` beats setting up SIMD
/// there, and the first two words are tested inline (most attribute names and values end there). The
/// last partial word is read as the last eight bytes of `bytes`, shifted so that the bytes before
/// `from` drop out (the zero bytes shifted in sit past the end, so a match there means none);
/// `memchr` takes over for long runs (big values).
#[inline(always)]
pub(crate) fn position_of_either(bytes: &[u8], from: usize, a: u8, b: u8) -> usize {
    let len = bytes.len();
    let (pattern_a, pattern_b) = (LOW_BITS * u64::from(a), LOW_BITS * u64::from(b));
    if from + 8 <= len {
        let word = word_at(bytes, from);
        let hits = matches(word, pattern_a) | matches(word, pattern_b);
        if hits != 0 {
            return from + (hits.trailing_zeros() / 8) as usize;
        }
        let next = from + 8;
        if next + 8 <= len {
            let word = word_at(bytes, next);
            let hits = matches(word, pattern_a) | matches(word, pattern_b);
            if hits != 0 {
                return next + (hits.trailing_zeros() / 8) as usize;
            }
            return position_of_either_after(bytes, next + 8, a, b);
        }
        if next >= len {
            return len;
        }
        return last_word_position(bytes, next, pattern_a, pattern_b);
    }
    if from >= len {
        return len;
    }
    if len >= 8 {
        return last_word_position(bytes, from, pattern_a, pattern_b);
    }
    bytes[from..]
        .iter()
        .position(|&x| x == a || x == b)
        .map_or(len, |at| from + at)
}

/// [`position_of_either`] past its first word: more words, then `memchr` or the last word.
#[inline(never)]
fn position_of_either_after(bytes: &[u8], mut at: usize, a: u8, b: u8) -> usize {
    let len = bytes.len();
    let (pattern_a, pattern_b) = (LOW_BITS * u64::from(a), LOW_BITS * u64::from(b));
    let start = at;
    while at + 8 <= len {
        if at >= start + SWAR_BYTES {
            let found = if a == b {
                memchr::memchr(a, &bytes[at..])
            } else {
                memchr::memchr2(a, b, &bytes[at..])
            };
            return found.map_or(len, |offset| at + offset);
        }
        let word = word_at(bytes, at);
        let hits = matches(word, pattern_a) | matches(word, pattern_b);
        if hits != 0 {
            return at + (hits.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    if at < len {
        last_word_position(bytes, at, pattern_a, pattern_b)
    } else {
        len
    }
}

/// The first match at or after `at` among the last eight bytes (`len - 8 < at < len`).
#[inline(always)]
fn last_word_position(bytes: &[u8], at: usize, pattern_a: u64, pattern_b: u64) -> usize {
    let len = bytes.len();
    // 1 ≤ at - (len - 8) ≤ 7: drop the bytes before `at`.
    let word = word_at(bytes, len - 8) >> ((at + 8 - len) * 8);
    let hits = matches(word, pattern_a) | matches(word, pattern_b);
    (at + (hits.trailing_zeros() / 8) as usize).min(len)
}

/// Up to eight bytes from `at` to the end as a little-endian word, zero-padded past the end.
#[inline(always)]
pub(crate) fn tail_word(bytes: &[u8], at: usize) -> u64 {
    let len = bytes.len();
    if at >= len {
        0
    } else if len >= 8 {
        // 1 ≤ at - (len - 8) ≤ 7 (or 0 when eight bytes remain).
        word_at(bytes, len - 8) >> ((at + 8 - len) * 8)
    } else {
        bytes[at..]
            .iter()
            .rev()
            .fold(0, |word, &b| word << 8 | u64::from(b))
    }
}

/// The sixteen bytes from `from` as two words, zero-padded past the end.
#[inline(always)]
fn window16(bytes: &[u8], from: usize) -> (u64, u64) {
    let len = bytes.len();
    if from + 16 <= len {
        (word_at(bytes, from), word_at(bytes, from + 8))
    } else if from + 8 <= len {
        (word_at(bytes, from), tail_word(bytes, from + 8))
    } else {
        (tail_word(bytes, from), 0)
    }
}

/// The lowest match of two words read as sixteen bytes from `from`, or `None`.
#[inline(always)]
fn lowest_of(from: usize, first: u64, second: u64) -> Option<usize> {
    if first != 0 {
        Some(from + (first.trailing_zeros() / 8) as usize)
    } else if second != 0 {
        Some(from + 8 + (second.trailing_zeros() / 8) as usize)
    } else {
        None
    }
}

/// For a piece of header starting at `from` (≤ `bytes.len()`): the index of its end, the first
/// `;` (or `bytes.len()`), and of its first `=` before that end (or the end itself when there is
/// none).
///
/// Both come from the same two words at `from`, so finding the end does not wait for the `=`:
/// a line is a chain of `;`-separated pieces, and this keeps that chain to one word test per
/// piece when pieces are short. (The zero bytes padding the words past the end match neither
/// `;` nor `=`.) Longer pieces continue with [`position_of_either`].
///
/// On x86_64 a line of sixteen bytes or more is scanned with SSE2 (`sse2.rs`, same contract).
#[inline(always)]
pub(crate) fn find_end_and_equals(bytes: &[u8], from: usize) -> (usize, usize) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if bytes.len() >= 16 {
        return super::sse2::find_end_and_equals(bytes, from);
    }
    find_end_and_equals_portable(bytes, from)
}

/// [`find_end_and_equals`] in portable word-wise code: what other targets run, and short lines.
#[inline(always)]
fn find_end_and_equals_portable(bytes: &[u8], from: usize) -> (usize, usize) {
    let len = bytes.len();
    let (semicolons, equals) = (LOW_BITS * u64::from(b';'), LOW_BITS * u64::from(b'='));
    let (first, second) = window16(bytes, from);
    let end = match lowest_of(from, matches(first, semicolons), matches(second, semicolons)) {
        Some(end) => end,
        None if from + 16 >= len => len,
        None => position_of_either_after(bytes, from + 16, b';', b';'),
    };
    let equals = match lowest_of(from, matches(first, equals), matches(second, equals)) {
        Some(at) => at.min(end),
        None if from + 16 >= end => end,
        None => position_of_either(&bytes[..end], from + 16, b'=', b'='),
    };
    (end, equals)
}

/// The index of the first `needle`.
#[inline]
pub(crate) fn find_byte(bytes: &[u8], needle: u8) -> Option<usize> {
    let at = position_of_either(bytes, 0, needle, needle);
    (at < bytes.len()).then_some(at)
}

/// The bytes hold `needle`.
#[inline]
pub(crate) fn contains_byte(bytes: &[u8], needle: u8) -> bool {
    find_byte(bytes, needle).is_some()
}

/// `bytes` starts with `prefix`, ASCII case-insensitively.
pub(crate) fn starts_with_ignore_case(bytes: &[u8], prefix: &[u8]) -> bool {
    bytes.len() >= prefix.len() && bytes[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// The byte is one that makes §5.6 step 1 drop the line: `%x00-08 / %x0A-1F / %x7F`.
#[inline]
fn is_forbidden_control(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f
}

/// Whether any byte of a fixed-size block is a forbidden control byte. Branch-free over a
/// fixed-size array, so that it compiles to a few SIMD compares per block.
#[inline]
fn block_has_forbidden_control<const N: usize>(block: &[u8; N]) -> bool {
    let mut found = 0u8;
    for &b in block {
        found |= u8::from(((b < 0x20) & (b != b'\t')) | (b == 0x7f));
    }
    found != 0
}

/// The bytes hold a control byte that makes §5.6 step 1 drop the line: blocks of 32 and 16 bytes
/// in SIMD registers, then eight bytes in a `u64` (a word with no byte below 0x20 and no 0x7F is
/// cleared at once; a tab sends its word to the exact per-byte test), then single bytes.
#[inline]
pub(crate) fn has_forbidden_control(bytes: &[u8]) -> bool {
    let mut blocks = bytes.chunks_exact(32);
    for block in &mut blocks {
        let block: &[u8; 32] = block.try_into().unwrap_or(&[0; 32]);
        if block_has_forbidden_control(block) {
            return true;
        }
    }
    let mut rest = blocks.remainder();
    if let Some((block, tail)) = rest.split_first_chunk::<16>() {
        if block_has_forbidden_control(block) {
            return true;
        }
        rest = tail;
    }
    if let Some((word, tail)) = rest.split_first_chunk::<8>() {
        if word_has_control_or_tab(u64::from_le_bytes(*word)) && word.iter().any(|&b| is_forbidden_control(b))
        {
            return true;
        }
        rest = tail;
    }
    rest.iter().any(|&b| is_forbidden_control(b))
}

/// Some byte of the word is below 0x20 (a control byte or a tab) or is 0x7F: exact as a whole.
#[inline]
fn word_has_control_or_tab(word: u64) -> bool {
    let below_space = word.wrapping_sub(LOW_BITS * 0x20) & !word & HIGH_BITS;
    (below_space | matches(word, LOW_BITS * 0x7f)) != 0
}

/// Whether any byte of a fixed-size block is below 0x20 or is 0x7F, branch-free (SIMD compares).
#[inline]
fn block_has_control_or_tab(block: &[u8; 16]) -> bool {
    let mut found = 0u8;
    for &b in block {
        found |= u8::from((b < 0x20) | (b == 0x7f));
    }
    found != 0
}

/// The bytes hold a byte below 0x20 (a forbidden control byte *or a tab*) or 0x7F. This is the
/// cheap first test of a line: when it fails, the line has neither a forbidden control byte nor a
/// tab anywhere, which is by far the usual case. 16-byte blocks, the last one overlapping the one
/// before; shorter inputs as one or two overlapping words, or byte by byte below eight bytes.
#[inline]
pub(crate) fn has_control_or_tab(bytes: &[u8]) -> bool {
    let len = bytes.len();
    if len >= 16 {
        let mut blocks = bytes.chunks_exact(16);
        for block in &mut blocks {
            if block_has_control_or_tab(block.try_into().unwrap_or(&[0; 16])) {
                return true;
            }
        }
        if !blocks.remainder().is_empty() {
            let last: &[u8; 16] = bytes[len - 16..].try_into().unwrap_or(&[0; 16]);
            return block_has_control_or_tab(last);
        }
        false
    } else if len >= 8 {
        word_has_control_or_tab(word_at(bytes, 0)) || word_has_control_or_tab(word_at(bytes, len - 8))
    } else {
        bytes.iter().any(|&b| b < 0x20 || b == 0x7f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_space_and_tab_only() {
        assert_eq!(trim_wsp(b" \t a b \t "), b"a b");
        assert_eq!(trim_wsp(b"   "), b"");
        assert_eq!(trim_wsp(b""), b"");
        assert_eq!(trim_wsp(b"\x0ba\x0c"), b"\x0ba\x0c");
        assert_eq!(trim_wsp(b"x"), b"x");
    }

    #[test]
    fn finds_in_short_and_long_slices() {
        let long = [b"a".repeat(100), b";".to_vec()].concat();
        assert_eq!(find_byte(&long, b';'), Some(100));
        assert_eq!(find_byte(b"ab;c", b';'), Some(2));
        assert_eq!(find_byte(b"abc", b';'), None);
        // Every length and position up to the memchr threshold, with bytes that trip a naive
        // "has zero byte" test (0x01 after a match, 0x80 and 0xff around it).
        for len in 0..70 {
            for at in 0..=len {
                let mut bytes: Vec<u8> = (0..len).map(|i| [0x80, 0x01, 0xff, b'a'][i % 4]).collect();
                if at < len {
                    bytes[at] = b';';
                    for later in bytes.iter_mut().skip(at + 1).step_by(3) {
                        *later = b';';
                    }
                }
                let want = bytes.iter().position(|&b| b == b';');
                assert_eq!(find_byte(&bytes, b';'), want, "len {len} at {at}");
                assert_eq!(contains_byte(&bytes, b';'), want.is_some());
            }
        }
        assert_eq!(find_byte(&[0u8; 20], 0), Some(0));
        assert_eq!(find_byte(&[1u8, 1, 1, 1, 1, 1, 1, 1, 0], 0), Some(8));
    }

    #[test]
    fn control_bytes() {
        assert!(!has_forbidden_control(b"a\tb ~\x80\xff"));
        assert!(!has_forbidden_control(
            b"\t\t\t\t\t\t\t\t\t\t \x20\x21\x7e\x80\x81\xfe\xff"
        ));
        // Every byte value at every position of words and tails, among harmless neighbours.
        for b in 0..=255u8 {
            for len in 1..72 {
                for at in 0..len {
                    let mut bytes = vec![0x20u8; len];
                    bytes[at] = b;
                    assert_eq!(
                        has_forbidden_control(&bytes),
                        is_forbidden_control(b),
                        "{b:#x} at {at} of {len}"
                    );
                    bytes.iter_mut().filter(|x| **x == 0x20).for_each(|x| *x = 0x80);
                    assert_eq!(
                        has_forbidden_control(&bytes),
                        is_forbidden_control(b),
                        "{b:#x} at {at} of {len}"
                    );
                }
            }
        }
    }

    #[test]
    fn finds_either_byte_from_any_start() {
        for len in 0..90 {
            for at in 0..=len {
                for from in [0, 1, 3, 7, 8, 9, 15, 40].into_iter().filter(|&f| f <= len) {
                    let mut bytes: Vec<u8> = (0..len).map(|i| [0x80, 0x01, 0xff, b'a', 0][i % 5]).collect();
                    if at < len {
                        bytes[at] = if at % 2 == 0 { b';' } else { b'=' };
                        for later in bytes.iter_mut().skip(at + 1).step_by(3) {
                            *later = b'=';
                        }
                    }
                    let want = bytes[from..]
                        .iter()
                        .position(|&b| b == b';' || b == b'=')
                        .map_or(len, |p| from + p);
                    assert_eq!(
                        position_of_either(&bytes, from, b';', b'='),
                        want,
                        "len {len} at {at} from {from}"
                    );
                    let want_semi = bytes[from..]
                        .iter()
                        .position(|&b| b == b';')
                        .map_or(len, |p| from + p);
                    assert_eq!(position_of_either(&bytes, from, b';', b';'), want_semi);
                }
            }
        }
    }

    #[test]
    fn control_or_tab_bytes() {
        for b in 0..=255u8 {
            for len in 1..72 {
                for at in 0..len {
                    let mut bytes = vec![0x20u8; len];
                    bytes[at] = b;
                    let want = b < 0x20 || b == 0x7f;
                    assert_eq!(has_control_or_tab(&bytes), want, "{b:#x} at {at} of {len}");
                    bytes.iter_mut().filter(|x| **x == 0x20).for_each(|x| *x = 0x80);
                    assert_eq!(has_control_or_tab(&bytes), want, "{b:#x} at {at} of {len}");
                }
            }
        }
        assert!(!has_control_or_tab(b""));
    }

    #[test]
    fn finds_end_and_equals_from_any_start() {
        let pieces: [&[u8]; 6] = [b";", b"=", b"a", b" ", b"\0", b"xxxxxxxxxxxxxxxxxxxx"];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let count = (state % 12) as usize;
            let mut bytes = Vec::new();
            let mut pick = state;
            for _ in 0..count {
                pick = pick.rotate_left(5) ^ 0x9e37_79b9;
                bytes.extend_from_slice(pieces[(pick % 6) as usize]);
            }
            for from in 0..=bytes.len() {
                let end = bytes[from..]
                    .iter()
                    .position(|&b| b == b';')
                    .map_or(bytes.len(), |p| from + p);
                let equals = bytes[from..end]
                    .iter()
                    .position(|&b| b == b'=')
                    .map_or(end, |p| from + p);
                assert_eq!(
                    find_end_and_equals(&bytes, from),
                    (end, equals),
                    "{bytes:?} from {from}"
                );
                assert_eq!(
                    find_end_and_equals_portable(&bytes, from),
                    (end, equals),
                    "portable: {bytes:?} from {from}"
                );
            }
        }
    }
}
