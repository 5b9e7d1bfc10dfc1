//! The policy file as written: plain serde types, one per TOML table.
//!
//! These types mirror the file one to one (`#[serde(deny_unknown_fields)]` everywhere, no
//! `flatten`), so that figment can attribute every error to a key path. They hold strings where the
//! file holds strings (durations, name patterns, host patterns): checking and compiling them is the
//! job of [`crate::policy::load`] and [`crate::policy::compile`], which report *every* problem at
//! once instead of stopping at the first.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::action::Action;

/// Text in several languages, keyed by language code (`sv`, `en`, …).
pub type Localized = BTreeMap<String, String>;

/// A whole policy file, as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct PolicyFile {
    /// The format version; only `1` exists.
    pub version: u32,
    /// How violations are acted on.
    #[serde(default)]
    pub enforcement: Enforcement,
    /// What every rule requires unless it says otherwise.
    #[serde(default)]
    pub defaults: Defaults,
    /// Parts of the site, in the order they are matched (first match wins).
    #[serde(default, rename = "scope")]
    pub scopes: Vec<Scope>,
    /// Every cookie the site may set.
    #[serde(default, rename = "cookie")]
    pub cookies: Vec<CookieRule>,
    /// Consent: which categories the visitor granted, read from a consent cookie.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<Consent>,
    /// The public cookie declaration page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declaration: Option<Declaration>,
    /// Levels of the tracing events.
    #[serde(default)]
    pub events: Events,
    /// What the binary's metrics may carry.
    #[serde(default)]
    pub metrics: Metrics,
}

/// `[enforcement]`: how violations are acted on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct Enforcement {
    /// `enforce`, or `report-only` (decide and trace, change nothing).
    pub mode: Mode,
    /// A cookie no rule allows here.
    pub unlisted: StripOrBlock,
    /// An allowed cookie whose attributes break its rule.
    pub noncompliant: Noncompliant,
    /// A header a browser would drop, or that is not a cookie at all.
    pub malformed: StripOrBlock,
    /// Deletions (Max-Age<=0 or an Expires in the past) of any name.
    pub deletions: Deletions,
    /// The status of a blocked response.
    pub block_status: u16,
    /// No persistent cookie outlives this (a duration such as `400d`).
    pub max_lifetime: String,
    /// What happens to the request's `Cookie` header.
    pub request_cookies: RequestCookies,
}

impl Default for Enforcement {
    fn default() -> Self {
        Self {
            mode: Mode::Enforce,
            unlisted: StripOrBlock::Strip,
            noncompliant: Noncompliant::Fix,
            malformed: StripOrBlock::Strip,
            deletions: Deletions::Allow,
            block_status: 500,
            max_lifetime: "400d".to_owned(),
            request_cookies: RequestCookies::Pass,
        }
    }
}

/// `enforcement.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Change responses as decided.
    Enforce,
    /// Decide and trace, but change nothing.
    ReportOnly,
}

/// `enforcement.unlisted` and `enforcement.malformed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StripOrBlock {
    /// Remove the header.
    Strip,
    /// Replace the whole response.
    Block,
}

/// `enforcement.noncompliant`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Noncompliant {
    /// Rewrite the header so that it complies.
    Fix,
    /// Remove the header.
    Strip,
    /// Replace the whole response.
    Block,
}

/// `enforcement.deletions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Deletions {
    /// A deletion of any name passes unchanged: logging out must always work.
    Allow,
    /// Deletions are judged like any other header.
    ApplyRules,
}

/// `enforcement.request_cookies`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequestCookies {
    /// Pass the `Cookie` header unchanged.
    Pass,
    /// Trace unlisted request cookies, pass them.
    Report,
    /// Remove unlisted request cookies before the application sees them.
    Strip,
}

/// `[defaults]`: what every rule requires unless it says otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct Defaults {
    /// `Secure` must be set.
    pub secure: bool,
    /// `HttpOnly` must be set.
    pub http_only: bool,
    /// The weakest SameSite allowed; `none`: no requirement.
    pub same_site: SameSiteMin,
}

impl Default for Defaults {
    fn default() -> Self {
        Self {
            secure: true,
            http_only: true,
            same_site: SameSiteMin::Lax,
        }
    }
}

/// The weakest SameSite value a rule allows. Ordered from weakest to strongest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SameSiteMin {
    /// No requirement: any SameSite, or none at all. Valid with `secure = false`: cookie-warden
    /// never writes `SameSite=None` (a fix only raises SameSite), and a header that sets
    /// `SameSite=None` without `Secure` is dropped by browsers and stripped whatever the rule.
    None,
    /// `Lax` or `Strict`; an absent SameSite counts as weaker than `Lax`.
    Lax,
    /// Only `Strict`.
    Strict,
}

/// `[[scope]]`: a part of the site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Scope {
    /// The id rules refer to.
    pub id: String,
    /// Exact hosts, or `*.example.com` (any subdomain, not the apex).
    pub hosts: Vec<String>,
    /// Path prefixes, matched on segment boundaries.
    #[serde(default = "root_path")]
    pub paths: Vec<String>,
    /// The heading of this part of the site on the declaration page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Localized>,
    /// An introduction shown under the heading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Localized>,
}

fn root_path() -> Vec<String> {
    vec!["/".to_owned()]
}

/// `[[cookie]]`: one cookie, or a family of cookies named by a pattern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CookieRule {
    /// An exact name, a glob with `*`, or a template with `{placeholder}`s.
    pub name: String,
    /// Where the cookie may be set; `None` means every scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// What the cookie is for; `None` reads as `necessary`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// `session`, `persistent` or a duration (`30m`, `1h`, `12 months`).
    pub lifetime: String,
    /// Overrides `defaults.secure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secure: Option<bool>,
    /// Overrides `defaults.http_only`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_only: Option<bool>,
    /// Overrides `defaults.same_site`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub same_site: Option<SameSiteMin>,
    /// The exact `Path` attribute required; `None`: any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Allowed `Domain` attributes; `None`: host-only (a Domain attribute is a violation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domains: Option<Vec<String>>,
    /// Regular expressions for the `{placeholder}`s of a template name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub placeholders: BTreeMap<String, String>,
    /// Why the cookie exists, for the declaration page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<Localized>,
    /// Who sets or reads it (first party, a vendor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
}

/// A cookie's category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Needed for the site to work; never needs consent.
    Necessary,
    /// Remembers choices; may need consent.
    Functional,
    /// Counts visits; needs consent in the EU.
    Statistics,
    /// Tracks for advertising; needs consent.
    Marketing,
}

impl Category {
    /// Every category, in order.
    pub const ALL: [Category; 4] = [
        Category::Necessary,
        Category::Functional,
        Category::Statistics,
        Category::Marketing,
    ];

    /// The name used in the policy file, events and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Necessary => "necessary",
            Category::Functional => "functional",
            Category::Statistics => "statistics",
            Category::Marketing => "marketing",
        }
    }
}

/// `[consent]`: how the visitor's consent is read from a cookie.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Consent {
    /// The name of the consent cookie.
    pub cookie: String,
    /// How the consent cookie's value lists the granted categories.
    #[serde(default)]
    pub format: ConsentFormat,
    /// The separator of the `list` format.
    #[serde(default = "comma")]
    pub separator: String,
    /// The categories that need consent (default: all but `necessary`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<Vec<Category>>,
    /// `Sec-GPC: 1` withdraws every category but `necessary`.
    #[serde(default)]
    pub honor_gpc: bool,
    /// Expire (Max-Age=0) cookies of withdrawn categories that the browser still sends.
    #[serde(default)]
    pub purge: bool,
}

fn comma() -> String {
    ",".to_owned()
}

/// `consent.format`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConsentFormat {
    /// Granted categories separated by `separator`: `necessary,statistics`.
    #[default]
    List,
    /// A JSON object of booleans: `{"statistics":true}`.
    Json,
}

/// `[declaration]`: the public cookie page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Declaration {
    /// Where the proxy serves the rendered page (`/cookies`); `None`: not served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The page title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Localized>,
    /// An introduction above the tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduction: Option<Localized>,
    /// The site owner's name, shown on the page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Where visitors ask questions (a mail address or URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

/// `[events]`: the level of the tracing event for each action.
///
/// Like every table of the file it may grow, so code outside this crate starts from
/// [`Events::default`] (or the file) and sets fields; a struct literal does not compile:
///
/// ```compile_fail
/// use cookie_warden_core::policy::model::{EventLevel, Events};
///
/// let events = Events {
///     fixed: EventLevel::Info,
///     stripped: EventLevel::Warn,
///     blocked: EventLevel::Warn,
///     reported: EventLevel::Warn,
/// };
/// ```
///
/// ```
/// use cookie_warden_core::policy::model::{EventLevel, Events};
///
/// let mut events = Events::default();
/// events.fixed = EventLevel::Debug;
/// assert_eq!(events.stripped, EventLevel::Warn);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct Events {
    /// A fixed header.
    pub fixed: EventLevel,
    /// A stripped header.
    pub stripped: EventLevel,
    /// A blocked response.
    pub blocked: EventLevel,
    /// A violation seen in report-only mode.
    pub reported: EventLevel,
}

impl Events {
    /// The level this table gives `action`.
    ///
    /// ```
    /// use cookie_warden_core::action::Action;
    /// use cookie_warden_core::policy::model::{EventLevel, Events};
    ///
    /// let events = Events::default();
    /// assert_eq!(events.level(Action::Fixed), EventLevel::Info);
    /// assert_eq!(events.level(Action::Stripped), EventLevel::Warn);
    /// ```
    pub fn level(&self, action: Action) -> EventLevel {
        match action {
            Action::Fixed => self.fixed,
            Action::Stripped => self.stripped,
            Action::Blocked => self.blocked,
            Action::Reported => self.reported,
        }
    }
}

impl Default for Events {
    fn default() -> Self {
        Self {
            fixed: EventLevel::Info,
            stripped: EventLevel::Warn,
            blocked: EventLevel::Warn,
            reported: EventLevel::Warn,
        }
    }
}

/// A tracing level, as written in the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventLevel {
    /// `ERROR`
    Error,
    /// `WARN`
    Warn,
    /// `INFO`
    Info,
    /// `DEBUG`
    Debug,
    /// `TRACE`
    Trace,
}

/// `[metrics]`: what metrics may carry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct Metrics {
    /// Label violation counters with the cookie's rule (bounded by the policy). Off by default.
    pub rule_label: bool,
}
