//! The declaration as a visitor reads it: sections, cookies and every text already chosen in one
//! language. The renderers only lay it out.

use std::borrow::Cow;

use crate::policy::model::{Category, Localized};
use crate::policy::name::PatternKind;
use crate::policy::{CompiledPolicy, Lifetime};

use super::Lang;
use super::words::Words;

/// A text and the language it is actually in (a policy text missing in the requested language
/// falls back to another one, and the HTML page marks it with its own `lang`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Text<'p> {
    /// The text itself, unescaped.
    pub text: Cow<'p, str>,
    /// Its language code (`sv`, `en`, …).
    pub lang: Cow<'p, str>,
}

impl<'p> Text<'p> {
    fn fixed(text: &'static str, lang: Lang) -> Self {
        Text {
            text: Cow::Borrowed(text),
            lang: Cow::Borrowed(lang.as_str()),
        }
    }

    fn owned(text: String, lang: Lang) -> Self {
        Text {
            text: Cow::Owned(text),
            lang: Cow::Borrowed(lang.as_str()),
        }
    }

    /// Picks `lang` from a policy text; else English, else Swedish, else the first language given.
    fn pick(localized: &'p Localized, lang: Lang) -> Option<Self> {
        [lang.as_str(), Lang::En.as_str(), Lang::Sv.as_str()]
            .iter()
            .find_map(|code| localized.get_key_value(*code))
            .or_else(|| localized.iter().next())
            .filter(|(_, text)| !text.trim().is_empty())
            .map(|(code, text)| Text {
                text: Cow::Borrowed(text),
                lang: Cow::Borrowed(code),
            })
    }
}

/// How long a cookie lives, as the compiled policy reads the rule's `lifetime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifetimeClass {
    /// Gone when the browser closes: no Expires, no Max-Age.
    Session,
    /// Kept up to the policy's `max_lifetime`.
    Persistent {
        /// `enforcement.max_lifetime` in seconds.
        max_seconds: i64,
    },
    /// Expires after at most this long.
    Duration {
        /// The rule's duration in seconds.
        seconds: i64,
    },
}

impl LifetimeClass {
    /// `session`, `persistent` or `duration`, as the JSON schema names them.
    pub fn as_str(self) -> &'static str {
        match self {
            LifetimeClass::Session => "session",
            LifetimeClass::Persistent { .. } => "persistent",
            LifetimeClass::Duration { .. } => "duration",
        }
    }

    /// The longest the cookie lives in seconds; `None` for a session cookie.
    pub fn seconds(self) -> Option<i64> {
        match self {
            LifetimeClass::Session => None,
            LifetimeClass::Persistent { max_seconds: seconds } | LifetimeClass::Duration { seconds } => {
                Some(seconds)
            }
        }
    }
}

/// One cookie (or family of cookies) as listed on the page.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CookieEntry<'p> {
    /// The rule's name as written in the policy.
    pub name: &'p str,
    /// Whether the name is exact or a pattern.
    pub name_kind: PatternKind,
    /// What the cookie is for; `None` when the policy does not say.
    pub purpose: Option<Text<'p>>,
    /// The cookie's category (`necessary` when the rule names none).
    pub category: Category,
    /// The category in words.
    pub category_text: Text<'p>,
    /// The lifetime class.
    pub lifetime: LifetimeClass,
    /// The type and lifetime in words: "Sessionscookie", "Persistent cookie (up to 400 days)".
    pub lifetime_text: Text<'p>,
    /// Who sets or reads it: the rule's `provider`, else `[declaration] owner`, else "first party".
    pub provider: Text<'p>,
    /// Whether the cookie waits for the visitor's consent; `None` when the policy has no
    /// `[consent]` (categories are then descriptive only).
    pub consent_required: Option<bool>,
}

/// One part of the site and its cookies.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Section<'p> {
    /// The scope's id; `None` for the section of cookies allowed in every scope.
    pub scope: Option<&'p str>,
    /// The heading: the scope's title, else its id.
    pub title: Text<'p>,
    /// The scope's introduction, when it has one.
    pub description: Option<Text<'p>>,
    /// The scope's hosts (empty for the every-scope section).
    pub hosts: &'p [String],
    /// The scope's path prefixes (empty for the every-scope section).
    pub paths: &'p [String],
    /// The cookies of this part, in policy order.
    pub cookies: Vec<CookieEntry<'p>>,
}

/// The whole public declaration in one language.
///
/// Sections: first the cookies that the policy allows in every scope (rules without `scopes`), in a
/// section of their own, when there are any; then one section per `[[scope]]` in policy order,
/// each listing the rules that name that scope, in policy order. A rule naming several scopes
/// appears in each of them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeclarationView<'p> {
    /// The language of the fixed words.
    pub lang: Lang,
    /// The page title: `[declaration] title`, else "About cookies".
    pub title: Text<'p>,
    /// `[declaration] introduction`.
    pub introduction: Option<Text<'p>>,
    /// `[declaration] owner`.
    pub owner: Option<&'p str>,
    /// `[declaration] contact`.
    pub contact: Option<&'p str>,
    /// Whether the policy has `[consent]` (the pages then show a consent column).
    pub has_consent: bool,
    /// The sections, as described above.
    pub sections: Vec<Section<'p>>,
    pub(crate) words: &'static Words,
}

impl<'p> DeclarationView<'p> {
    /// The declaration of `policy` in `lang`.
    pub fn new(policy: &'p CompiledPolicy, lang: Lang) -> Self {
        let file = policy.source();
        let words = Words::of(lang);
        let declaration = file.declaration.as_ref();
        let owner = declaration.and_then(|d| d.owner.as_deref());
        let consent = policy.consent();
        let max_lifetime = policy.max_lifetime();

        let entry = |rule: &'p crate::policy::CompiledRule| {
            let written = &file.cookies[rule.index()];
            let category = rule.category();
            let (lifetime, lifetime_text) = match rule.lifetime() {
                Lifetime::Session => (LifetimeClass::Session, Text::fixed(words.session(), lang)),
                Lifetime::Persistent => (
                    LifetimeClass::Persistent {
                        max_seconds: max_lifetime,
                    },
                    Text::owned(words.persistent(max_lifetime), lang),
                ),
                Lifetime::AtMost(seconds) => {
                    let seconds = seconds.min(max_lifetime);
                    let unit = written.lifetime.trim_end();
                    let in_months = unit.ends_with("month") || unit.ends_with("months");
                    (
                        LifetimeClass::Duration { seconds },
                        Text::owned(words.temporary(seconds, in_months), lang),
                    )
                }
            };
            let provider = match (written.provider.as_deref(), owner) {
                (Some(name), _) | (None, Some(name)) => Text {
                    text: Cow::Borrowed(name),
                    lang: Cow::Borrowed(lang.as_str()),
                },
                (None, None) => Text::fixed(words.first_party, lang),
            };
            CookieEntry {
                name: rule.name(),
                name_kind: rule.kind(),
                purpose: written.purpose.as_ref().and_then(|p| Text::pick(p, lang)),
                category,
                category_text: Text::fixed(words.category(category), lang),
                lifetime,
                lifetime_text,
                provider,
                consent_required: consent.map(|c| c.requires(category)),
            }
        };

        let mut sections = Vec::with_capacity(file.scopes.len() + 1);
        let everywhere: Vec<CookieEntry<'p>> = policy
            .rules()
            .iter()
            .filter(|rule| rule.scopes().is_none())
            .map(entry)
            .collect();
        if !everywhere.is_empty() {
            sections.push(Section {
                scope: None,
                title: Text::fixed(words.every_scope_title, lang),
                description: Some(Text::fixed(words.every_scope_description, lang)),
                hosts: &[],
                paths: &[],
                cookies: everywhere,
            });
        }
        for (scope, id) in file.scopes.iter().zip(policy.scope_ids()) {
            let cookies = policy
                .rules()
                .iter()
                .filter(|rule| rule.scopes().is_some_and(|ids| ids.contains(&id)))
                .map(entry)
                .collect();
            sections.push(Section {
                scope: Some(&scope.id),
                title: scope
                    .title
                    .as_ref()
                    .and_then(|t| Text::pick(t, lang))
                    .unwrap_or_else(|| Text {
                        text: Cow::Borrowed(&scope.id),
                        lang: Cow::Borrowed(lang.as_str()),
                    }),
                description: scope.description.as_ref().and_then(|d| Text::pick(d, lang)),
                hosts: &scope.hosts,
                paths: &scope.paths,
                cookies,
            });
        }

        DeclarationView {
            lang,
            title: declaration
                .and_then(|d| d.title.as_ref())
                .and_then(|t| Text::pick(t, lang))
                .unwrap_or_else(|| Text::fixed(words.default_title, lang)),
            introduction: declaration
                .and_then(|d| d.introduction.as_ref())
                .and_then(|t| Text::pick(t, lang)),
            owner,
            contact: declaration.and_then(|d| d.contact.as_deref()),
            has_consent: consent.is_some(),
            sections,
            words,
        }
    }
}

impl DeclarationView<'_> {
    /// The table's column headings: name, purpose, type, category, provider, and consent when the
    /// policy has `[consent]`.
    pub(crate) fn column_headings(&self) -> &'static [&'static str] {
        let all = &self.words.columns;
        if self.has_consent { all } else { &all[..5] }
    }
}
