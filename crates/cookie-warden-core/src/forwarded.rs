//! The host and scheme a proxy in front says the client asked for: `Forwarded` (RFC 7239) and
//! `X-Forwarded-Host` / `X-Forwarded-Proto`, read over a header value's bytes.
//!
//! Each function returns where the value lies in the bytes it was given (a range), so that a
//! caller holding a header value keeps it and copies nothing. Only the first hop counts (the
//! element or list item nearest the client); whether to read these headers at all is the
//! caller's decision (they are trusted only behind a proxy that sets them). The host found is
//! then read by [`crate::origin::normalize_host`] like any other.
//!
//! ```
//! use cookie_warden_core::forwarded::{first_element, first_list_item, param};
//!
//! let value = br#"for=1.2.3.4;Proto=HTTPS;host="Fora.se:443", for=10.0.0.1;host=evil"#;
//! let hop = first_element(value);
//! assert_eq!(&value[param(value, hop.clone(), "host").unwrap()], b"Fora.se:443");
//! assert_eq!(&value[param(value, hop, "proto").unwrap()], b"HTTPS");
//!
//! let value = b" a.example , b.example";
//! assert_eq!(&value[first_list_item(value).unwrap()], b"a.example");
//! ```

use std::ops::Range;

/// The first element of a `Forwarded` value (RFC 7239 §4): everything before the first `,`
/// outside a quoted string.
pub fn first_element(value: &[u8]) -> Range<usize> {
    let mut quoted = false;
    let mut i = 0;
    while i < value.len() {
        match value[i] {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            b',' if !quoted => return 0..i,
            _ => {}
        }
        i += 1;
    }
    0..value.len()
}

/// The value of parameter `name` (any case) in the `Forwarded` element at `element` of `value`,
/// without its quotes; `None` when the parameter is absent or empty.
pub fn param(value: &[u8], element: Range<usize>, name: &str) -> Option<Range<usize>> {
    let mut start = element.start;
    while start < element.end {
        // Each pair ends at a `;` outside quotes.
        let mut quoted = false;
        let mut end = start;
        while end < element.end {
            match value[end] {
                b'"' => quoted = !quoted,
                b';' if !quoted => break,
                _ => {}
            }
            end += 1;
        }
        let pair = trim(value, start..end);
        if let Some(eq) = value[pair.clone()].iter().position(|&b| b == b'=') {
            let key = &value[pair.start..pair.start + eq];
            if key.trim_ascii().eq_ignore_ascii_case(name.as_bytes()) {
                let mut found = trim(value, pair.start + eq + 1..pair.end);
                if found.len() >= 2 && value[found.start] == b'"' && value[found.end - 1] == b'"' {
                    found = found.start + 1..found.end - 1;
                }
                return (!found.is_empty()).then_some(found);
            }
        }
        start = end + 1;
    }
    None
}

/// The first comma-separated item of an `X-Forwarded-Host` or `X-Forwarded-Proto` value,
/// trimmed; `None` when it is empty.
pub fn first_list_item(value: &[u8]) -> Option<Range<usize>> {
    let end = value.iter().position(|&b| b == b',').unwrap_or(value.len());
    let item = trim(value, 0..end);
    (!item.is_empty()).then_some(item)
}

/// `range` of `bytes` without ASCII whitespace around it.
fn trim(bytes: &[u8], mut range: Range<usize>) -> Range<usize> {
    while range.start < range.end && bytes[range.start].is_ascii_whitespace() {
        range.start += 1;
    }
    while range.end > range.start && bytes[range.end - 1].is_ascii_whitespace() {
        range.end -= 1;
    }
    range
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host_of(value: &str) -> Option<&str> {
        let bytes = value.as_bytes();
        param(bytes, first_element(bytes), "host").map(|r| &value[r])
    }

    #[test]
    fn the_first_element_ends_at_a_comma_outside_quotes() {
        assert_eq!(host_of(r#"host="a,b";for=x, host=c"#), Some("a,b"));
        assert_eq!(
            host_of(r#"for="x\",y";host=a, host=b"#),
            None,
            "a parameter ends at no `;` inside quotes"
        );
        assert_eq!(host_of("for=x, host=b"), None);
        assert_eq!(host_of(" HOST = a.example ; for=x"), Some("a.example"));
        assert_eq!(host_of(r#"host="""#), None, "empty after unquoting");
        assert_eq!(host_of("host="), None);
        assert_eq!(host_of(""), None);
    }

    #[test]
    fn list_items_are_trimmed_and_empty_ones_are_none() {
        assert_eq!(first_list_item(b" , x"), None);
        assert_eq!(first_list_item(b"https"), Some(0..5));
        assert_eq!(first_list_item(b""), None);
    }
}
