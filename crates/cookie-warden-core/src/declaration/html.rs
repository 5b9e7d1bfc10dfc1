//! The declaration as one self-contained, accessible HTML page.
//!
//! The page is polyglot markup: valid HTML5 that is also well-formed XML (every element closed,
//! every attribute quoted, every text escaped), so both an HTML and an XML parser read it the same
//! way. It needs nothing from elsewhere: the CSS is inline and there is no script, no font and no
//! image. Each section has an `<h2>` and a real `<table>` with a `<caption>`, column headers
//! (`<th scope="col">`) and the cookie's name as the row header (`<th scope="row">`); the caption
//! repeats the section heading for screen readers and is not shown on screen. On a narrow
//! screen each row becomes a card whose cells carry their column's name (`data-label`), so the
//! page reads well on a phone without scrolling sideways.

use std::fmt::Write as _;

use super::view::{DeclarationView, Section, Text};
use crate::html::escape_into;
use crate::policy::name::PatternKind;

const STYLE: &str = "\
:root{color-scheme:light dark;font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;line-height:1.5}
body{margin:0 auto;padding:1rem;max-width:72rem}
h1{font-size:1.75rem;margin:.5rem 0 1rem}
h2{font-size:1.3rem;margin:2rem 0 .5rem}
table{border-collapse:collapse;width:100%}
caption{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
th,td{text-align:left;vertical-align:top;padding:.5rem;border-bottom:1px solid #8886}
thead th{border-bottom-width:2px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;overflow-wrap:break-word}
.note{display:block;font-size:.85em;font-weight:normal}
footer{margin-top:2rem;border-top:1px solid #8886}
@media (max-width:40rem){
thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}
table,tbody,tr,tbody th,td{display:block}
tr{border:1px solid #8886;border-radius:.5rem;margin-bottom:1rem;padding:.25rem}
tbody th,td{border:0;padding:.25rem .5rem}
td::before{content:attr(data-label);display:block;font-weight:600;font-size:.85em}
}
";

/// Renders the page.
pub(crate) fn render(view: &DeclarationView<'_>) -> String {
    let mut out = String::with_capacity(8 * 1024);
    let lang = view.lang.as_str();
    out.push_str("<!DOCTYPE html>\n");
    let _ = writeln!(
        out,
        "<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"{lang}\" xml:lang=\"{lang}\">"
    );
    out.push_str("<head>\n<meta charset=\"utf-8\" />\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n");
    out.push_str("<meta name=\"generator\" content=\"cookie-warden\" />\n<title>");
    escape_into(&mut out, &view.title.text);
    out.push_str("</title>\n<style>\n");
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n<main>\n");

    out.push_str("<h1");
    lang_attr(&mut out, &view.title, lang);
    out.push('>');
    escape_into(&mut out, &view.title.text);
    out.push_str("</h1>\n");
    if let Some(intro) = &view.introduction {
        paragraphs(&mut out, intro, lang);
    }
    if view.has_consent {
        out.push_str("<p>");
        escape_into(&mut out, view.words.consent_intro);
        out.push_str("</p>\n");
    }

    for (index, section) in view.sections.iter().enumerate() {
        render_section(&mut out, view, index, section);
    }

    if view.owner.is_some() || view.contact.is_some() {
        out.push_str("<footer>\n");
        if let Some(owner) = view.owner {
            out.push_str("<p>");
            escape_into(&mut out, view.words.owner_label);
            out.push_str(": ");
            escape_into(&mut out, owner);
            out.push_str("</p>\n");
        }
        if let Some(contact) = view.contact {
            out.push_str("<p>");
            escape_into(&mut out, view.words.contact_label);
            out.push_str(": ");
            contact_link(&mut out, contact);
            out.push_str("</p>\n");
        }
        out.push_str("</footer>\n");
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn render_section(out: &mut String, view: &DeclarationView<'_>, index: usize, section: &Section<'_>) {
    let page_lang = view.lang.as_str();
    let words = view.words;
    let _ = writeln!(out, "<section aria-labelledby=\"section-{index}\">");
    let _ = write!(out, "<h2 id=\"section-{index}\"");
    lang_attr(out, &section.title, page_lang);
    out.push('>');
    escape_into(out, &section.title.text);
    out.push_str("</h2>\n");
    if let Some(description) = &section.description {
        paragraphs(out, description, page_lang);
    }
    if section.cookies.is_empty() {
        out.push_str("<p>");
        escape_into(out, words.no_cookies);
        out.push_str("</p>\n</section>\n");
        return;
    }

    out.push_str("<table>\n<caption>");
    escape_into(out, words.caption_prefix);
    out.push_str(": ");
    escape_into(out, &section.title.text);
    out.push_str("</caption>\n<thead>\n<tr>");
    let columns = view.column_headings();
    for column in columns {
        out.push_str("<th scope=\"col\">");
        escape_into(out, column);
        out.push_str("</th>");
    }
    out.push_str("</tr>\n</thead>\n<tbody>\n");
    for cookie in &section.cookies {
        out.push_str("<tr><th scope=\"row\"><code>");
        name_into(out, cookie.name);
        out.push_str("</code>");
        let note = match cookie.name_kind {
            PatternKind::Exact => None,
            PatternKind::Glob => Some(words.pattern_glob),
            PatternKind::Template => Some(words.pattern_template),
        };
        if let Some(note) = note {
            out.push_str("<span class=\"note\">");
            escape_into(out, note);
            out.push_str("</span>");
        }
        out.push_str("</th>");
        let fallback;
        let purpose = match &cookie.purpose {
            Some(purpose) => purpose,
            None => {
                fallback = Text {
                    text: words.no_purpose.into(),
                    lang: page_lang.into(),
                };
                &fallback
            }
        };
        cell(out, words.columns[1], purpose, page_lang);
        cell(out, words.columns[2], &cookie.lifetime_text, page_lang);
        cell(out, words.columns[3], &cookie.category_text, page_lang);
        cell(out, words.columns[4], &cookie.provider, page_lang);
        if let Some(required) = cookie.consent_required {
            let text = if required {
                words.consent_required
            } else {
                words.consent_not_required
            };
            cell(
                out,
                words.columns[5],
                &Text {
                    text: text.into(),
                    lang: page_lang.into(),
                },
                page_lang,
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn cell(out: &mut String, label: &str, text: &Text<'_>, page_lang: &str) {
    out.push_str("<td data-label=\"");
    escape_into(out, label);
    out.push('"');
    lang_attr(out, text, page_lang);
    out.push('>');
    lines(out, &text.text);
    out.push_str("</td>");
}

/// A cookie name, escaped, with a line-break opportunity (`<wbr />`) after each `.`, `_` or `-`
/// that follows a letter or digit, so that long names wrap at their parts rather than mid-word.
fn name_into(out: &mut String, name: &str) {
    let mut previous = ' ';
    for (i, c) in name.char_indices() {
        escape_into(out, &name[i..i + c.len_utf8()]);
        if matches!(c, '.' | '_' | '-') && previous.is_alphanumeric() && i + 1 < name.len() {
            out.push_str("<wbr />");
        }
        previous = c;
    }
}

/// `lang` and `xml:lang` attributes when the text is not in the page's language.
fn lang_attr(out: &mut String, text: &Text<'_>, page_lang: &str) {
    if text.lang != page_lang {
        out.push_str(" lang=\"");
        escape_into(out, &text.lang);
        out.push_str("\" xml:lang=\"");
        escape_into(out, &text.lang);
        out.push('"');
    }
}

/// One `<p>` per paragraph (paragraphs are separated by blank lines).
fn paragraphs(out: &mut String, text: &Text<'_>, page_lang: &str) {
    for paragraph in text.text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        out.push_str("<p");
        lang_attr(out, text, page_lang);
        out.push('>');
        lines(out, paragraph);
        out.push_str("</p>\n");
    }
}

/// Escaped text whose line breaks become `<br />`.
fn lines(out: &mut String, text: &str) {
    for (i, line) in text.trim().lines().enumerate() {
        if i > 0 {
            out.push_str("<br />");
        }
        escape_into(out, line);
    }
}

/// A mail address or a web address becomes a link; anything else stays text.
fn contact_link(out: &mut String, contact: &str) {
    let href = if contact.starts_with("https://") || contact.starts_with("http://") {
        Some(String::new())
    } else if contact.contains('@') && !contact.contains(':') && !contact.contains(char::is_whitespace) {
        Some("mailto:".to_owned())
    } else {
        None
    };
    match href {
        Some(scheme) => {
            out.push_str("<a href=\"");
            escape_into(out, &scheme);
            escape_into(out, contact);
            out.push_str("\">");
            escape_into(out, contact);
            out.push_str("</a>");
        }
        None => escape_into(out, contact),
    }
}

#[cfg(test)]
mod tests {
    use super::name_into;

    #[test]
    fn names_wrap_at_their_parts() {
        let mut out = String::new();
        name_into(&mut out, "__Host-a.b_<c>_");
        assert_eq!(out, "__Host-<wbr />a.<wbr />b_<wbr />&lt;c&gt;_");
    }
}
