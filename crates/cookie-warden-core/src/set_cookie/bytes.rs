//! Small byte-slice helpers shared by the parser's files, tuned for the short slices of a header.

/// Removes leading and trailing space and horizontal tab (and nothing else: §5.6 "WSP").
#[inline]
pub(crate) fn trim_wsp(bytes: &[u8]) -> &[u8] {
    let is_wsp = |b: &u8| *b == b' ' || *b == b'\t';
    let Some(start) = bytes.iter().position(|b| !is_wsp(b)) else {
        return &[];
    };
    let end = bytes
        .iter()
        .rposition(|b| !is_wsp(b))
        .map_or(start, |last| last + 1);
    &bytes[start..end]
}

const LOW_BITS: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// The index of the first `needle`. Header pieces are mostly short: eight bytes at a time in a
/// plain `u64` (the classic "has zero byte" test, exact for the lowest match) beats setting up
/// SIMD there, and `memchr` takes over for long runs (big values).
#[inline]
pub(crate) fn find_byte(bytes: &[u8], needle: u8) -> Option<usize> {
    if bytes.len() >= 64 {
        return memchr::memchr(needle, bytes);
    }
    let pattern = LOW_BITS * u64::from(needle);
    let mut words = bytes.chunks_exact(8);
    let mut offset = 0;
    for word in &mut words {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(word);
        let diff = u64::from_le_bytes(eight) ^ pattern;
        let zero = diff.wrapping_sub(LOW_BITS) & !diff & HIGH_BITS;
        if zero != 0 {
            return Some(offset + (zero.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == needle)
        .map(|at| offset + at)
}

/// The bytes hold `needle`.
#[inline]
pub(crate) fn contains_byte(bytes: &[u8], needle: u8) -> bool {
    find_byte(bytes, needle).is_some()
}

/// Splits at the first `needle`, dropping it.
#[inline]
pub(crate) fn split_once_byte(bytes: &[u8], needle: u8) -> Option<(&[u8], &[u8])> {
    find_byte(bytes, needle).map(|at| (&bytes[..at], &bytes[at + 1..]))
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
        let x = u64::from_le_bytes(*word);
        let below_space = x.wrapping_sub(LOW_BITS * 0x20) & !x & HIGH_BITS;
        let del = x ^ (LOW_BITS * 0x7f);
        let has_del = del.wrapping_sub(LOW_BITS) & !del & HIGH_BITS;
        if (below_space | has_del) != 0 && word.iter().any(|&b| is_forbidden_control(b)) {
            return true;
        }
        rest = tail;
    }
    rest.iter().any(|&b| is_forbidden_control(b))
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
}
