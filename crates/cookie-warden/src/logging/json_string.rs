//! The contents of a JSON string in a log line.
//!
//! Escapes what JSON requires (`"`, `\` and U+0000–U+001F) and, beyond that, DEL (U+007F) and
//! the C1 controls (U+0080–U+009F), so that a log line never carries a character a terminal
//! acts on: ESC (U+001B) starts an ANSI sequence and U+009B is a one-character CSI (the terminal
//! injection of RUSTSEC-2025-0055). Every escape is a standard one (`\n`, `\t`, `\"`, `\\`, …,
//! else `\u00xx`), so any JSON parser reads back the same string.

use std::fmt;

/// Appends `text` to `out` as the contents of a JSON string (without the quotes).
pub(super) fn push_escaped(out: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        let (code, escape, width) = match ESCAPE[usize::from(byte)] {
            PASS => {
                at += 1;
                continue;
            }
            // U+0080–U+009F are the two bytes C2 80 … C2 9F (the input is UTF-8).
            C1_LEAD => match bytes.get(at + 1) {
                Some(&next @ 0x80..=0x9f) => (next, UNICODE, 2),
                _ => {
                    at += 1;
                    continue;
                }
            },
            escape => (byte, escape, 1),
        };
        out.extend_from_slice(&bytes[start..at]);
        out.push(b'\\');
        out.push(escape);
        if escape == UNICODE {
            out.extend_from_slice(b"00");
            out.push(HEX[usize::from(code >> 4)]);
            out.push(HEX[usize::from(code & 0xf)]);
        }
        at += width;
        start = at;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Writes what a `fmt` implementation produces (a `Debug` or `Display` field) as escaped JSON
/// string contents. `fmt` hands over whole `&str` pieces, so a character is never split.
pub(super) struct EscapingWriter<'a>(pub(super) &'a mut Vec<u8>);

impl fmt::Write for EscapingWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        push_escaped(self.0, s);
        Ok(())
    }
}

/// A byte that needs no escape.
const PASS: u8 = 0;
/// A byte written as `\u00xx`.
const UNICODE: u8 = b'u';
/// The first byte of a two-byte UTF-8 sequence that may be a C1 control.
const C1_LEAD: u8 = 1;

/// Per byte: [`PASS`], the letter of its short escape, [`UNICODE`] or [`C1_LEAD`].
const ESCAPE: [u8; 256] = {
    let mut table = [PASS; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = UNICODE;
        byte += 1;
    }
    table[0x08] = b'b';
    table[b'\t' as usize] = b't';
    table[b'\n' as usize] = b'n';
    table[0x0c] = b'f';
    table[b'\r' as usize] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table[0x7f] = UNICODE;
    table[0xc2] = C1_LEAD;
    table
};

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn escaped(text: &str) -> String {
        let mut out = Vec::new();
        push_escaped(&mut out, text);
        String::from_utf8(out).expect("escaping keeps UTF-8")
    }

    /// Whether `c` is a character a terminal may act on.
    fn is_control(c: char) -> bool {
        c.is_control()
    }

    #[test]
    fn escapes_what_json_needs_and_every_terminal_control() {
        assert_eq!(escaped(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escaped("\u{8}\t\n\u{c}\r"), r"\b\t\n\f\r");
        assert_eq!(escaped("\u{1b}[31mred"), r"\u001b[31mred");
        assert_eq!(escaped("\u{0}\u{1f}\u{7f}"), r"\u0000\u001f\u007f");
        assert_eq!(escaped("\u{80}x\u{9b}31m\u{9f}"), r"\u0080x\u009b31m\u009f");
        // Other characters that start with the byte C2 are not controls.
        assert_eq!(escaped("\u{a0}\u{a9}\u{bf}"), "\u{a0}\u{a9}\u{bf}");
        assert_eq!(escaped("åäö 🍪 \u{2028}"), "åäö 🍪 \u{2028}");
        assert_eq!(escaped(""), "");
    }

    #[test]
    fn writes_formatted_values_escaped() {
        let mut out = Vec::new();
        fmt::Write::write_fmt(
            &mut EscapingWriter(&mut out),
            format_args!("{:?} {}", "a\u{1b}", "\u{9b}"),
        )
        .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), r#"\"a\\u{1b}\" \u009b"#);
    }

    proptest! {
        #[test]
        fn any_text_reads_back_and_carries_no_control(text in any::<String>()) {
            let contents = escaped(&text);
            prop_assert!(!contents.chars().any(is_control), "{contents:?}");
            let read: String = serde_json::from_str(&format!("\"{contents}\"")).unwrap();
            prop_assert_eq!(read, text);
        }

        #[test]
        fn controls_among_plain_text_read_back(
            parts in proptest::collection::vec(
                prop_oneof![
                    "[a-z]{0,9}",
                    (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap().to_string()),
                    (0x7fu32..0xa1).prop_map(|c| char::from_u32(c).unwrap().to_string()),
                    Just("\"".to_owned()),
                    Just("\\".to_owned()),
                ],
                0..20,
            )
        ) {
            let text = parts.concat();
            let contents = escaped(&text);
            prop_assert!(!contents.chars().any(is_control), "{contents:?}");
            let read: String = serde_json::from_str(&format!("\"{contents}\"")).unwrap();
            prop_assert_eq!(read, text);
        }
    }
}
