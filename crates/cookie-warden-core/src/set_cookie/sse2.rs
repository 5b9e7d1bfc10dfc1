//! The parser's hottest byte scans, sixteen bytes at a time with SSE2 (part of every x86_64
//! target): compares that give one bit a byte, read with a `movemask`. `safe_arch` wraps the
//! `std::arch` intrinsics, so that this crate keeps `unsafe_code = "forbid"`.
//!
//! Each function has the contract of its portable twin (`bytes.rs` and `strict.rs`, used on other
//! targets and for short lines), and the two are tested equal on every length and position.

use safe_arch::{
    bitor_m128i, cmp_eq_mask_i8_m128i, cmp_lt_mask_i8_m128i, load_unaligned_m128i, m128i, move_mask_i8_m128i,
    set_splat_i8_m128i,
};

/// The sixteen bytes at `at` (`at + 16 <= bytes.len()`).
#[inline(always)]
fn block_at(bytes: &[u8], at: usize) -> m128i {
    let block: &[u8; 16] = bytes[at..at + 16].try_into().unwrap_or(&[0; 16]);
    load_unaligned_m128i(block)
}

/// One bit per byte of `block` that equals `byte`, byte 0 in bit 0.
#[inline(always)]
fn mask_of(block: m128i, byte: u8) -> u32 {
    let lanes = cmp_eq_mask_i8_m128i(block, set_splat_i8_m128i(byte as i8));
    // The mask has 16 bits: the cast keeps them.
    move_mask_i8_m128i(lanes) as u32
}

/// `bytes::find_end_and_equals` for a line of at least sixteen bytes: from `from`
/// (≤ `bytes.len()`), the index of the first `;` (or `bytes.len()`) and of the first `=` before
/// it (or that end). Sixteen bytes a step; the last step reads the line's last sixteen bytes and
/// shifts out the bits of those before `at`, so that no byte is read twice into a result and none
/// past the end.
#[inline(always)]
pub(super) fn find_end_and_equals(bytes: &[u8], from: usize) -> (usize, usize) {
    let len = bytes.len();
    debug_assert!(len >= 16 && from <= len);
    let mut at = from;
    // The first `=` seen so far, when it was in an earlier step.
    let mut equals = None;
    loop {
        let (semicolons, equal_signs) = if at + 16 <= len {
            let block = block_at(bytes, at);
            (mask_of(block, b';'), mask_of(block, b'='))
        } else {
            // 1 ≤ at - (len - 16) ≤ 16: the bits of the bytes before `at` drop out.
            let block = block_at(bytes, len - 16);
            let skip = at + 16 - len;
            (mask_of(block, b';') >> skip, mask_of(block, b'=') >> skip)
        };
        if semicolons != 0 {
            let end = at + semicolons.trailing_zeros() as usize;
            // The `=` signs before the first `;` of this step.
            let before = equal_signs & ((semicolons & semicolons.wrapping_neg()) - 1);
            let equals = equals.unwrap_or(if before != 0 {
                at + before.trailing_zeros() as usize
            } else {
                end
            });
            return (end, equals);
        }
        if equals.is_none() && equal_signs != 0 {
            equals = Some(at + equal_signs.trailing_zeros() as usize);
        }
        at += 16;
        if at >= len {
            return (len, equals.unwrap_or(len));
        }
    }
}

/// One bit per byte of `block` that is not an RFC 6265 `cookie-octet` (`%x21 / %x23-2B /
/// %x2D-3A / %x3C-5B / %x5D-7E`): below `!` or from 0x80 up (one signed compare: those bytes
/// are negative), DEL, `"`, `,`, `;` or `\`.
#[inline(always)]
fn non_octet_mask(block: m128i) -> u32 {
    let eq = |byte: u8| cmp_eq_mask_i8_m128i(block, set_splat_i8_m128i(byte as i8));
    let outside = bitor_m128i(cmp_lt_mask_i8_m128i(block, set_splat_i8_m128i(0x21)), eq(0x7f));
    let excluded = bitor_m128i(bitor_m128i(eq(b'"'), eq(b',')), bitor_m128i(eq(b';'), eq(b'\\')));
    // The mask has 16 bits: the cast keeps them.
    move_mask_i8_m128i(bitor_m128i(outside, excluded)) as u32
}

/// `strict::cookie_octets_end` for a line of at least sixteen bytes: the index of the first
/// byte at or after `from` (≤ `bytes.len()`) that is not a `cookie-octet`, or `bytes.len()`.
/// Sixteen bytes a step; the last step reads the line's last sixteen bytes and shifts out the
/// bits of those before `at`, as [`find_end_and_equals`] does.
#[inline(always)]
pub(super) fn cookie_octets_end(bytes: &[u8], from: usize) -> usize {
    let len = bytes.len();
    debug_assert!(len >= 16 && from <= len);
    let mut at = from;
    while at + 16 <= len {
        let mask = non_octet_mask(block_at(bytes, at));
        if mask != 0 {
            return at + mask.trailing_zeros() as usize;
        }
        at += 16;
    }
    if at >= len {
        return len;
    }
    // 1 ≤ at - (len - 16) ≤ 15: the bits of the bytes before `at` drop out.
    let mask = non_octet_mask(block_at(bytes, len - 16)) >> (at + 16 - len);
    if mask != 0 {
        at + mask.trailing_zeros() as usize
    } else {
        len
    }
}
