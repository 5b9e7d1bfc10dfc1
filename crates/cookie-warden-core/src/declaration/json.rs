//! The declaration as JSON, for other tools (a consent banner, a CMS, a compliance register).
//!
//! The schema is stable: fields are only ever added, and a change that breaks readers raises
//! `schema_version`. Texts are already chosen in the requested language (falling back to English,
//! then Swedish, then any language the policy gives) and are plain text, not HTML.
//!
//! ```text
//! {
//!   "schema_version": 1,
//!   "lang": "sv" | "en",               // the language of the fixed words
//!   "title": string,                   // [declaration] title, or "About cookies" / "Om cookies"
//!   "introduction": string | null,
//!   "owner": string | null,
//!   "contact": string | null,
//!   "consent": bool,                   // the policy has [consent]
//!   "sections": [{                     // every-scope section first (when any), then [[scope]] in order
//!     "scope": string | null,          // the scope id; null: cookies allowed in every scope
//!     "title": string,
//!     "description": string | null,
//!     "hosts": [string], "paths": [string],
//!     "cookies": [{                    // policy order; a rule naming several scopes is in each
//!       "name": string,                // as written in the policy
//!       "name_kind": "exact" | "glob" | "template",
//!       "purpose": string | null,
//!       "category": "necessary" | "functional" | "statistics" | "marketing",
//!       "category_text": string,
//!       "lifetime": "session" | "persistent" | "duration",
//!       "max_age_seconds": integer | null, // null for session; max_lifetime for persistent
//!       "lifetime_text": string,       // "Session cookie", "Temporär cookie (försvinner efter 1 timme)"
//!       "provider": string,
//!       "consent_required": bool | null  // null when the policy has no [consent]
//!     }]
//!   }]
//! }
//! ```

use serde::Serialize;

use super::view::{CookieEntry, DeclarationView, Section};

/// The version of the JSON schema above.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    lang: &'a str,
    title: &'a str,
    introduction: Option<&'a str>,
    owner: Option<&'a str>,
    contact: Option<&'a str>,
    consent: bool,
    sections: Vec<JsonSection<'a>>,
}

#[derive(Serialize)]
struct JsonSection<'a> {
    scope: Option<&'a str>,
    title: &'a str,
    description: Option<&'a str>,
    hosts: &'a [String],
    paths: &'a [String],
    cookies: Vec<JsonCookie<'a>>,
}

#[derive(Serialize)]
struct JsonCookie<'a> {
    name: &'a str,
    name_kind: &'a str,
    purpose: Option<&'a str>,
    category: &'a str,
    category_text: &'a str,
    lifetime: &'a str,
    max_age_seconds: Option<i64>,
    lifetime_text: &'a str,
    provider: &'a str,
    consent_required: Option<bool>,
}

/// Renders pretty-printed JSON (two-space indent, a final newline).
pub(crate) fn render(view: &DeclarationView<'_>) -> String {
    let document = Document {
        schema_version: SCHEMA_VERSION,
        lang: view.lang.as_str(),
        title: &view.title.text,
        introduction: view.introduction.as_ref().map(|t| &*t.text),
        owner: view.owner,
        contact: view.contact,
        consent: view.has_consent,
        sections: view.sections.iter().map(section).collect(),
    };
    let mut out = serde_json::to_string_pretty(&document)
        .expect("a document of strings, numbers and booleans always serializes");
    out.push('\n');
    out
}

fn section<'a>(section: &'a Section<'_>) -> JsonSection<'a> {
    JsonSection {
        scope: section.scope,
        title: &section.title.text,
        description: section.description.as_ref().map(|t| &*t.text),
        hosts: section.hosts,
        paths: section.paths,
        cookies: section.cookies.iter().map(cookie).collect(),
    }
}

fn cookie<'a>(cookie: &'a CookieEntry<'_>) -> JsonCookie<'a> {
    JsonCookie {
        name: cookie.name,
        name_kind: cookie.name_kind.as_str(),
        purpose: cookie.purpose.as_ref().map(|t| &*t.text),
        category: cookie.category.as_str(),
        category_text: &cookie.category_text.text,
        lifetime: cookie.lifetime.as_str(),
        max_age_seconds: cookie.lifetime.seconds(),
        lifetime_text: &cookie.lifetime_text.text,
        provider: &cookie.provider.text,
        consent_required: cookie.consent_required,
    }
}
