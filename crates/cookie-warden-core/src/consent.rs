//! Consent: which cookie categories a visitor has granted, read from the policy's consent cookie.
//!
//! The policy's `[consent]` table names a consent cookie and how its value lists the granted
//! categories:
//!
//! - `format = "list"`: category names separated by `separator` (default `,`), such as
//!   `necessary,statistics`. Names are compared ASCII case-insensitively; space and tab around them
//!   are ignored; names this version does not know grant nothing.
//! - `format = "json"`: a JSON object of booleans, such as `{"statistics":true,"marketing":false}`.
//!   A category is granted only by the JSON value `true` (a key given twice must say `true` both
//!   times); keys are compared ASCII case-insensitively, and keys this version does not know are
//!   ignored.
//!
//! Either value may be percent-encoded (`necessary%2Cstatistics`; a comma is not a valid
//! cookie-octet, so consent tools usually encode it) and may be wrapped in one pair of double quotes.
//!
//! Consent tools' own cookies are not read directly. CookieConsent's `cc_cookie` lists category
//! names that each site chooses (`analytics`, `ads`, …), OneTrust's `OptanonConsent` lists group
//! ids (`groups=C0001:1,C0002:0`) whose meaning each tenant configures, and Cookiebot's
//! `CookieConsent` is an undocumented JavaScript object literal (unquoted keys, single quotes),
//! not JSON. Mapping any of them to these categories would be a guess, and a wrong guess grants
//! consent that nobody gave. A site using such a tool lets its consent callback write a second
//! cookie in the `list` or `json` format and names that one in `[consent]`.
//!
//! **Fail closed**: a missing, empty, undecodable or malformed consent cookie grants nothing (a
//! JSON value that is not an object, or a known category whose value is not a boolean, makes the
//! whole cookie malformed). With `honor_gpc = true`, `Sec-GPC: 1` withdraws every category but
//! `necessary`, whatever the cookie says.
//!
//! ```
//! use cookie_warden_core::consent::{CategorySet, granted_categories};
//! use cookie_warden_core::policy::model::{Category, ConsentFormat};
//!
//! let granted = granted_categories(b"necessary%2Cstatistics", ConsentFormat::List, ",");
//! assert!(granted.contains(Category::Statistics));
//! assert!(!granted.contains(Category::Marketing));
//! let json = granted_categories(br#"{"marketing":true}"#, ConsentFormat::Json, ",");
//! assert_eq!(json, CategorySet::only(Category::Marketing));
//! assert_eq!(granted_categories(b"{broken", ConsentFormat::Json, ","), CategorySet::EMPTY);
//! ```

use std::borrow::Cow;
use std::fmt;

use crate::cookie_header::trim_ows;
use crate::policy::CompiledConsent;
use crate::policy::model::{Category, ConsentFormat};
use crate::request::RequestContext;

/// A set of cookie categories (a bit set: copying and testing it costs nothing).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CategorySet(u8);

impl CategorySet {
    /// No category.
    pub const EMPTY: CategorySet = CategorySet(0);
    /// Every category.
    pub const ALL: CategorySet = CategorySet(0b1111);

    const fn bit(category: Category) -> u8 {
        match category {
            Category::Necessary => 1,
            Category::Functional => 2,
            Category::Statistics => 4,
            Category::Marketing => 8,
        }
    }

    /// The set holding only `category`.
    pub const fn only(category: Category) -> CategorySet {
        CategorySet(Self::bit(category))
    }

    /// Whether `category` is in the set.
    pub const fn contains(self, category: Category) -> bool {
        self.0 & Self::bit(category) != 0
    }

    /// The set with `category` added.
    #[must_use]
    pub const fn with(self, category: Category) -> CategorySet {
        CategorySet(self.0 | Self::bit(category))
    }

    /// The categories in both sets.
    #[must_use]
    pub const fn intersection(self, other: CategorySet) -> CategorySet {
        CategorySet(self.0 & other.0)
    }

    /// The categories in `self` but not in `other`.
    #[must_use]
    pub const fn difference(self, other: CategorySet) -> CategorySet {
        CategorySet(self.0 & !other.0)
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The categories in the set, in [`Category::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Category> {
        Category::ALL.into_iter().filter(move |c| self.contains(*c))
    }
}

impl FromIterator<Category> for CategorySet {
    fn from_iter<I: IntoIterator<Item = Category>>(iter: I) -> Self {
        iter.into_iter().fold(CategorySet::EMPTY, CategorySet::with)
    }
}

/// Comma-separated category names (`necessary,statistics`); empty for the empty set.
impl fmt::Display for CategorySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, category) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(category.as_str())?;
        }
        Ok(())
    }
}

impl fmt::Debug for CategorySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CategorySet({self})")
    }
}

/// The categories that need consent under the policy's `[consent]`: its `required` list, or by
/// default every category but `necessary`.
pub fn required_categories(consent: &CompiledConsent) -> CategorySet {
    Category::ALL
        .into_iter()
        .filter(|c| consent.requires(*c))
        .collect()
}

/// The categories a consent cookie's raw value grants; [`CategorySet::EMPTY`] when the value is
/// empty, undecodable or malformed (fail closed). See the module docs for the formats.
pub fn granted_categories(value: &[u8], format: ConsentFormat, separator: &str) -> CategorySet {
    let Some(decoded) = decode_value(value) else {
        return CategorySet::EMPTY;
    };
    match format {
        ConsentFormat::List => granted_by_list(&decoded, separator.as_bytes()),
        ConsentFormat::Json => granted_by_json(&decoded),
    }
}

/// How the consent cookie was found on a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConsentCookieState {
    /// The policy has no `[consent]`: categories are descriptive only.
    NotConfigured,
    /// The request carries no consent cookie.
    Absent,
    /// The request carries a consent cookie that grants nothing (empty or malformed values land here).
    GrantsNothing,
    /// The request carries a consent cookie that grants at least one category.
    Read,
}

impl ConsentCookieState {
    /// The snake_case name used in events.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentCookieState::NotConfigured => "not_configured",
            ConsentCookieState::Absent => "absent",
            ConsentCookieState::GrantsNothing => "grants_nothing",
            ConsentCookieState::Read => "read",
        }
    }
}

/// The visitor's consent for one request, resolved once: what needs consent, what is granted, and
/// whether Global Privacy Control withdrew it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsentState {
    required: CategorySet,
    granted: CategorySet,
    cookie: ConsentCookieState,
    gpc_applied: bool,
}

impl ConsentState {
    /// Consent when the policy has no `[consent]`: nothing needs it.
    pub const NOT_CONFIGURED: ConsentState = ConsentState {
        required: CategorySet::EMPTY,
        granted: CategorySet::ALL,
        cookie: ConsentCookieState::NotConfigured,
        gpc_applied: false,
    };

    /// Resolves the consent of one request under the policy's `[consent]` (or its absence).
    ///
    /// `context.consent_cookie` must hold the raw value of the cookie named `consent.cookie` (see
    /// [`crate::cookie_header::find`]); `context.gpc` whether the request carried `Sec-GPC: 1`.
    pub fn resolve(consent: Option<&CompiledConsent>, context: &RequestContext<'_>) -> ConsentState {
        let Some(consent) = consent else {
            return ConsentState::NOT_CONFIGURED;
        };
        let (mut granted, cookie) = match context.consent_cookie {
            None => (CategorySet::EMPTY, ConsentCookieState::Absent),
            Some(raw) => {
                let granted = granted_categories(raw.0, consent.format, &consent.separator);
                let state = if granted.is_empty() {
                    ConsentCookieState::GrantsNothing
                } else {
                    ConsentCookieState::Read
                };
                (granted, state)
            }
        };
        let gpc_applied = consent.honor_gpc && context.gpc;
        if gpc_applied {
            granted = granted.intersection(CategorySet::only(Category::Necessary));
        }
        ConsentState {
            required: required_categories(consent),
            granted,
            cookie,
            gpc_applied,
        }
    }

    /// Whether a cookie of `category` may be set and sent.
    pub fn allows(&self, category: Category) -> bool {
        !self.withdrawn().contains(category)
    }

    /// The categories that need consent and do not have it.
    pub fn withdrawn(&self) -> CategorySet {
        self.required.difference(self.granted)
    }

    /// The categories that need consent.
    pub fn required(&self) -> CategorySet {
        self.required
    }

    /// The categories granted (after Global Privacy Control); every category when not configured.
    pub fn granted(&self) -> CategorySet {
        self.granted
    }

    /// How the consent cookie was found.
    pub fn cookie(&self) -> ConsentCookieState {
        self.cookie
    }

    /// Whether `Sec-GPC: 1` withdrew consent on this request.
    pub fn gpc_applied(&self) -> bool {
        self.gpc_applied
    }

    /// Whether the policy has a `[consent]` table.
    pub fn is_configured(&self) -> bool {
        self.cookie != ConsentCookieState::NotConfigured
    }
}

/// Drops one pair of surrounding double quotes and percent-decodes; `None` when a `%` is not
/// followed by two hex digits (malformed).
fn decode_value(value: &[u8]) -> Option<Cow<'_, [u8]>> {
    let value = match value {
        [b'"', inner @ .., b'"'] => inner,
        _ => value,
    };
    if !value.contains(&b'%') {
        return Some(Cow::Borrowed(value));
    }
    let mut out = Vec::with_capacity(value.len());
    let mut rest = value;
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let [hi, lo, tail @ ..] = tail else { return None };
            out.push(hex_digit(*hi)? << 4 | hex_digit(*lo)?);
            rest = tail;
        } else {
            out.push(byte);
            rest = tail;
        }
    }
    Some(Cow::Owned(out))
}

fn hex_digit(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// A category named by `name` (ASCII case-insensitive), if any.
fn category_named(name: &[u8]) -> Option<Category> {
    Category::ALL
        .into_iter()
        .find(|c| c.as_str().as_bytes().eq_ignore_ascii_case(name))
}

fn granted_by_list(value: &[u8], separator: &[u8]) -> CategorySet {
    if separator.is_empty() {
        // A policy with an empty separator cannot list several categories; read the value as one.
        return category_named(trim_ows(value)).map_or(CategorySet::EMPTY, CategorySet::only);
    }
    let mut granted = CategorySet::EMPTY;
    let mut rest = value;
    loop {
        let (item, tail) = match find_subslice(rest, separator) {
            Some(at) => (&rest[..at], Some(&rest[at + separator.len()..])),
            None => (rest, None),
        };
        if let Some(category) = category_named(trim_ows(item)) {
            granted = granted.with(category);
        }
        match tail {
            Some(tail) => rest = tail,
            None => return granted,
        }
    }
}

fn find_subslice(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    match needle {
        [byte] => memchr::memchr(*byte, haystack),
        _ => memchr::memmem::find(haystack, needle),
    }
}

fn granted_by_json(value: &[u8]) -> CategorySet {
    serde_json::from_slice::<JsonGrants>(value).map_or(CategorySet::EMPTY, |grants| grants.0)
}

/// A JSON object of booleans read without allocating for its keys.
struct JsonGrants(CategorySet);

impl<'de> serde::Deserialize<'de> for JsonGrants {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(JsonGrantsVisitor)
    }
}

struct JsonGrantsVisitor;

impl<'de> serde::de::Visitor<'de> for JsonGrantsVisitor {
    type Value = JsonGrants;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of booleans")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<JsonGrants, A::Error> {
        let mut granted = CategorySet::EMPTY;
        let mut denied = CategorySet::EMPTY;
        while let Some(key) = map.next_key::<CategoryKey>()? {
            match key.0 {
                Some(category) if map.next_value::<bool>()? => granted = granted.with(category),
                Some(category) => denied = denied.with(category),
                None => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        // A key given twice with different answers counts as denied (fail closed).
        Ok(JsonGrants(granted.difference(denied)))
    }
}

/// A JSON object key: a known category, or `None` for any other key.
struct CategoryKey(Option<Category>);

impl<'de> serde::Deserialize<'de> for CategoryKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(CategoryKeyVisitor)
    }
}

struct CategoryKeyVisitor;

impl serde::de::Visitor<'_> for CategoryKeyVisitor {
    type Value = CategoryKey;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a category name")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<CategoryKey, E> {
        Ok(CategoryKey(category_named(key.as_bytes())))
    }
}
