//! The public cookie declaration, rendered from the same policy that is enforced, so that the page
//! visitors read and the behaviour they get cannot drift apart.
//!
//! [`DeclarationView`] is the declaration in one language: the sections (cookies allowed in every
//! scope first, in a section of their own, then one section per `[[scope]]` in policy order, a
//! rule naming several scopes listed in each), and for each cookie its name, purpose, type and
//! lifetime in words, category, provider and, when the policy has `[consent]`, whether it waits for
//! consent. Three renderers lay the view out:
//!
//! - [`render_html`]: one self-contained, accessible page (what the proxy serves at
//!   `[declaration] path`);
//! - [`render_markdown`]: CommonMark with GitHub tables;
//! - [`render_json`]: a stable, documented schema (see [`json`]).
//!
//! Texts the policy gives in several languages are picked in the requested [`Lang`], falling back
//! to English, then Swedish, then any language given; the fixed words (column headings, "Session
//! cookie", "Temporär cookie (försvinner efter 1 timme)") exist in Swedish and English.
//!
//! Rendering is pure: no I/O, no clock, and a policy holds no cookie values, so no page can show
//! one.

mod html;
pub mod json;
mod markdown;
mod view;
mod words;

use std::fmt;
use std::str::FromStr;

use crate::policy::CompiledPolicy;

pub use view::{CookieEntry, DeclarationView, LifetimeClass, Section, Text};

/// The language of a rendered declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Lang {
    /// Swedish (`sv`).
    Sv,
    /// English (`en`).
    En,
}

impl Lang {
    /// Every language, in order.
    pub const ALL: [Lang; 2] = [Lang::Sv, Lang::En];

    /// The language code: `sv` or `en`.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A language code cookie-warden has no words for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language `{0}`: expected `sv` or `en`")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Lang::ALL
            .into_iter()
            .find(|lang| lang.as_str().eq_ignore_ascii_case(code.trim()))
            .ok_or_else(|| UnknownLang(code.to_owned()))
    }
}

/// The declaration page of `policy` in `lang`: one self-contained HTML document. This is what the
/// proxy serves at `[declaration] path`.
///
/// ```
/// use cookie_warden_core::declaration::{Lang, render_html};
/// use cookie_warden_core::policy::from_toml_str;
///
/// let loaded = from_toml_str("policy.toml", r#"
///     version = 1
///     [[cookie]]
///     name = "sid"
///     lifetime = "session"
///     purpose = { en = "Keeps you signed in <securely>." }
/// "#).unwrap();
/// let page = render_html(&loaded.policy, Lang::En);
/// assert!(page.starts_with("<!DOCTYPE html>"));
/// assert!(page.contains("Keeps you signed in &lt;securely&gt;."));
/// assert!(page.contains("Session cookie"));
/// ```
pub fn render_html(policy: &CompiledPolicy, lang: Lang) -> String {
    DeclarationView::new(policy, lang).to_html()
}

/// The declaration of `policy` in `lang` as Markdown.
pub fn render_markdown(policy: &CompiledPolicy, lang: Lang) -> String {
    DeclarationView::new(policy, lang).to_markdown()
}

/// The declaration of `policy` in `lang` as JSON (schema in [`json`]).
pub fn render_json(policy: &CompiledPolicy, lang: Lang) -> String {
    DeclarationView::new(policy, lang).to_json()
}

impl DeclarationView<'_> {
    /// The HTML page.
    pub fn to_html(&self) -> String {
        html::render(self)
    }

    /// The Markdown document.
    pub fn to_markdown(&self) -> String {
        markdown::render(self)
    }

    /// The JSON document (schema in [`json`]).
    pub fn to_json(&self) -> String {
        json::render(self)
    }
}
