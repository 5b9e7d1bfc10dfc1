//! Escaping text for HTML and XML, as the declaration page does: one escaper for element content
//! and quoted attribute values alike, safe in polyglot markup (HTML5 that is also well-formed XML).
//!
//! `&`, `<`, `>`, `"` and `'` become character references; tab, line feed and carriage return stay;
//! every other character that XML 1.0 does not allow in a document (the other C0 controls, DEL,
//! the C1 controls, U+FFFE and U+FFFF) becomes U+FFFD, so no input can break the markup.
//!
//! ```
//! use cookie_warden_core::html::{escape, escape_into};
//!
//! assert_eq!(escape("<b title=\"x\">Tom & Jerry's</b>"), "&lt;b title=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/b&gt;");
//! let mut page = String::from("<p>");
//! escape_into(&mut page, "bell\u{7}");
//! assert_eq!(page, "<p>bell\u{fffd}");
//! ```

/// Appends `text` to `out`, escaped for element content and quoted attribute values alike.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() && (c as u32) < 0x20
                || c == '\u{7f}'
                || ('\u{80}'..='\u{9f}').contains(&c) =>
            {
                out.push('\u{fffd}');
            }
            '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
}

/// `text` escaped for element content and quoted attribute values alike (see [`escape_into`]).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

#[cfg(test)]
mod tests {
    use super::{escape, escape_into};

    #[test]
    fn escapes_markup_quotes_and_controls() {
        let mut out = String::new();
        escape_into(&mut out, "<script>alert(\"x\" & 'y')</script>\u{7}");
        assert_eq!(
            out,
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;\u{fffd}"
        );
    }

    #[test]
    fn keeps_whitespace_and_text_and_replaces_what_xml_forbids() {
        assert_eq!(escape("a\tb\nc\rd åäö 🍪"), "a\tb\nc\rd åäö 🍪");
        assert_eq!(
            escape("\u{0}\u{1f}\u{7f}\u{85}\u{9f}\u{fffe}\u{ffff}"),
            "\u{fffd}".repeat(7)
        );
        assert_eq!(escape(""), "");
    }
}
