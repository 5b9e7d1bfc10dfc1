//! The declaration as Markdown (CommonMark with GitHub tables), for a repository or a wiki.
//!
//! A `#` heading with the page title, a `##` heading per section and one pipe table per section.
//! Every text from the policy is escaped: Markdown punctuation gets a backslash (so `saplb_*`
//! does not turn into emphasis and `<script>` stays text), `|` is escaped inside tables, and a
//! line break inside a cell becomes `<br>` (the only markup written on purpose). Cookie names are
//! code spans, unless they hold a backtick.

use super::view::{DeclarationView, Section};
use crate::policy::name::PatternKind;

/// Renders the Markdown document.
pub(crate) fn render(view: &DeclarationView<'_>) -> String {
    let words = view.words;
    let mut out = String::with_capacity(4 * 1024);
    out.push_str("# ");
    inline(&mut out, &view.title.text);
    out.push_str("\n\n");
    if let Some(intro) = &view.introduction {
        block(&mut out, &intro.text);
    }
    if view.has_consent {
        block(&mut out, words.consent_intro);
    }
    for section in &view.sections {
        render_section(&mut out, view, section);
    }
    if let Some(owner) = view.owner {
        inline(&mut out, words.owner_label);
        out.push_str(": ");
        inline(&mut out, owner);
        out.push_str("\n\n");
    }
    if let Some(contact) = view.contact {
        inline(&mut out, words.contact_label);
        out.push_str(": ");
        inline(&mut out, contact);
        out.push_str("\n\n");
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn render_section(out: &mut String, view: &DeclarationView<'_>, section: &Section<'_>) {
    let words = view.words;
    out.push_str("## ");
    inline(out, &section.title.text);
    out.push_str("\n\n");
    if let Some(description) = &section.description {
        block(out, &description.text);
    }
    if section.cookies.is_empty() {
        block(out, words.no_cookies);
        return;
    }
    let columns = view.column_headings();
    out.push('|');
    for column in columns {
        out.push(' ');
        cell(out, column);
        out.push_str(" |");
    }
    out.push_str("\n|");
    for _ in columns {
        out.push_str(" --- |");
    }
    out.push('\n');
    for cookie in &section.cookies {
        out.push_str("| ");
        if cookie.name.contains('`') || cookie.name.contains('\n') {
            cell(out, cookie.name);
        } else {
            out.push('`');
            out.push_str(&cookie.name.replace('|', "\\|"));
            out.push('`');
        }
        match cookie.name_kind {
            PatternKind::Exact => {}
            PatternKind::Glob => {
                out.push_str(" (");
                cell(out, words.pattern_glob);
                out.push(')');
            }
            PatternKind::Template => {
                out.push_str(" (");
                cell(out, words.pattern_template);
                out.push(')');
            }
        }
        out.push_str(" | ");
        cell(out, cookie.purpose.as_ref().map_or(words.no_purpose, |p| &p.text));
        out.push_str(" | ");
        cell(out, &cookie.lifetime_text.text);
        out.push_str(" | ");
        cell(out, &cookie.category_text.text);
        out.push_str(" | ");
        cell(out, &cookie.provider.text);
        if let Some(required) = cookie.consent_required {
            out.push_str(" | ");
            cell(
                out,
                if required {
                    words.consent_required
                } else {
                    words.consent_not_required
                },
            );
        }
        out.push_str(" |\n");
    }
    out.push('\n');
}

/// A paragraph (or several, separated by blank lines), escaped, followed by a blank line.
fn block(out: &mut String, text: &str) {
    for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        for (i, line) in paragraph.lines().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            inline(out, line.trim());
        }
        out.push_str("\n\n");
    }
}

/// A table cell: escaped, `|` escaped, line breaks as `<br>`.
fn cell(out: &mut String, text: &str) {
    for (i, line) in text.trim().lines().enumerate() {
        if i > 0 {
            out.push_str("<br>");
        }
        inline(out, line.trim());
    }
}

/// One line of text with Markdown punctuation escaped, including what only matters at the start
/// of a line (`-`, `+`, `=`, `1.`).
pub(crate) fn inline(out: &mut String, line: &str) {
    let mut at_start = true;
    let mut digits_only = true;
    for c in line.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~' | '&' | '!' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '-' | '+' | '=' if at_start => {
                out.push('\\');
                out.push(c);
            }
            '.' | ')' if digits_only && !at_start => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' => out.push(' '),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
        digits_only = digits_only && c.is_ascii_digit();
        at_start = false;
    }
}

#[cfg(test)]
mod tests {
    use super::{cell, inline};

    fn esc(text: &str) -> String {
        let mut out = String::new();
        inline(&mut out, text);
        out
    }

    #[test]
    fn escapes_punctuation_that_would_become_markup() {
        assert_eq!(esc("saplb_*"), "saplb\\_\\*");
        assert_eq!(esc("<script>x</script>"), "\\<script\\>x\\</script\\>");
        assert_eq!(esc("a | b"), "a \\| b");
        assert_eq!(esc("- item"), "\\- item");
        assert_eq!(esc("1. first"), "1\\. first");
        assert_eq!(esc("fora.se 2.0"), "fora.se 2.0");
        assert_eq!(esc("[link](x)"), "\\[link\\](x)");
    }

    #[test]
    fn cells_keep_line_breaks_as_br() {
        let mut out = String::new();
        cell(&mut out, "one\ntwo | three");
        assert_eq!(out, "one<br>two \\| three");
    }
}
