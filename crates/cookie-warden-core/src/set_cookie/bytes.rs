//! Small byte-slice helpers shared by the parser's files.

/// Removes leading and trailing space and horizontal tab (and nothing else: §5.6 "WSP").
pub(crate) fn trim_wsp(mut bytes: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = bytes {
        bytes = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = bytes {
        bytes = rest;
    }
    bytes
}

/// Splits at the first `needle`, dropping it.
pub(crate) fn split_once_byte(bytes: &[u8], needle: u8) -> Option<(&[u8], &[u8])> {
    memchr::memchr(needle, bytes).map(|at| (&bytes[..at], &bytes[at + 1..]))
}

/// `bytes` starts with `prefix`, ASCII case-insensitively.
pub(crate) fn starts_with_ignore_case(bytes: &[u8], prefix: &[u8]) -> bool {
    bytes.len() >= prefix.len() && bytes[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// The first control byte that makes §5.6 step 1 drop the line: `%x00-08 / %x0A-1F / %x7F`.
pub(crate) fn has_forbidden_control(bytes: &[u8]) -> bool {
    bytes.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f)
}
