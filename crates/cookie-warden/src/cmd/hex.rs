//! The hex convention of `parse` and `eval`: bytes that are not UTF-8 travel as hex digits, in
//! JSON output (`<field>_hex`) and in `--input hex` lines.

/// UTF-8 bytes as a string, others as hex: `(Some(text), None)` or `(None, Some(hex))`.
pub(super) fn text_or_hex(bytes: &[u8]) -> (Option<String>, Option<String>) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (Some(text.to_owned()), None),
        Err(_) => (None, Some(bytes.iter().map(|b| format!("{b:02x}")).collect())),
    }
}

/// Pairs of hex digits (either case) → bytes; `None` for anything else.
pub(super) fn hex_decode(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let nibble = |d: u8| char::from(d).to_digit(16).map_or(0, |n| n as u8);
    Some(
        digits
            .chunks_exact(2)
            .map(|pair| (nibble(pair[0]) << 4) | nibble(pair[1]))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        assert_eq!(hex_decode("00ff7A"), Some(vec![0, 0xff, 0x7a]));
        assert_eq!(hex_decode("0"), None);
        assert_eq!(hex_decode("zz"), None);
        assert_eq!(hex_decode("+1"), None);
        assert_eq!(text_or_hex(b"\xff\x00"), (None, Some("ff00".to_owned())));
    }
}
