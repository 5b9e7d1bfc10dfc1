//! The demo site's content: for each area, the `Set-Cookie` headers its pages send (every cookie
//! the policy declares for that area, some of them deliberately broken, plus rogue ones) and the
//! HTML that explains what cookie-warden should do to each.
//!
//! Everything is computed once at start from the policy; serving a page is a lookup.

use std::fmt::Write as _;

use cookie_warden_core::html::escape;
use cookie_warden_core::policy::model::{Mode, Noncompliant, SameSiteMin, StripOrBlock};
use cookie_warden_core::policy::name::PatternKind;
use cookie_warden_core::policy::{CompiledPolicy, CompiledRule, Lifetime, NameMatch, ScopeId};

use super::areas::Area;
use super::attributes::{Attributes, VALUE, has_prefix};
use super::consent::Banner;

/// An expiry far in the future, for the session cookie that wrongly carries one.
const FAR_EXPIRES: &str = "Fri, 01 Jan 2100 00:00:00 GMT";

/// What the policy should do to a demo cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// Passes unchanged.
    Kept,
    /// Leaves rewritten to comply.
    Fixed,
    /// Removed.
    Stripped,
    /// The whole response is replaced.
    Blocked,
    /// Report-only: passes unchanged, and an event says what would have happened.
    Reported,
    /// Its category needs consent: stripped until the visitor accepts it, then kept.
    NeedsConsent,
}

impl Expect {
    fn as_str(self) -> &'static str {
        match self {
            Expect::Kept => "kept unchanged",
            Expect::Fixed => "fixed",
            Expect::Stripped => "stripped",
            Expect::Blocked => "blocks the response",
            Expect::Reported => "passes, and is reported",
            Expect::NeedsConsent => "stripped until you accept its category, then kept",
        }
    }
}

/// One `Set-Cookie` header the demo upstream sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DemoCookie {
    /// The cookie's name.
    pub(crate) name: String,
    /// The whole header value, as the upstream sends it.
    pub(crate) header: String,
    /// What the policy should do.
    pub(crate) expect: Expect,
    /// Why, in a few words.
    pub(crate) note: &'static str,
}

/// One area's content.
#[derive(Debug, Clone)]
pub(crate) struct AreaContent {
    /// The area.
    pub(crate) area: Area,
    /// The scope it stands for.
    pub(crate) scope: ScopeId,
    /// What the area's pages set.
    pub(crate) page_cookies: Vec<DemoCookie>,
    /// What the area's `api/cookies` endpoint (called with `fetch`) sets.
    pub(crate) api_cookies: Vec<DemoCookie>,
    /// The area's page.
    pub(crate) html: String,
}

/// The whole demo site.
#[derive(Debug, Clone)]
pub(crate) struct Site {
    /// One entry per area.
    pub(crate) areas: Vec<AreaContent>,
    /// The home page.
    pub(crate) home: String,
    /// The page that sets a cookie with `document.cookie`.
    pub(crate) js_cookie: String,
    /// The consent banner, when the policy has `[consent]`.
    pub(crate) banner: Option<Banner>,
}

/// How the policy treats the kinds of problem the demo shows.
#[derive(Debug, Clone, Copy)]
struct Outcomes {
    noncompliant: Expect,
    unlisted: Expect,
    /// A compliant cookie whose category needs consent.
    consent: Expect,
}

impl Outcomes {
    fn of(policy: &CompiledPolicy) -> Self {
        let enforcement = policy.enforcement();
        if enforcement.mode == Mode::ReportOnly {
            return Self {
                noncompliant: Expect::Reported,
                unlisted: Expect::Reported,
                consent: Expect::Reported,
            };
        }
        Self {
            noncompliant: match enforcement.noncompliant {
                Noncompliant::Fix => Expect::Fixed,
                Noncompliant::Strip => Expect::Stripped,
                Noncompliant::Block => Expect::Blocked,
            },
            unlisted: match enforcement.unlisted {
                StripOrBlock::Strip => Expect::Stripped,
                StripOrBlock::Block => Expect::Blocked,
            },
            consent: Expect::NeedsConsent,
        }
    }
}

impl Site {
    /// The demo site for `policy`'s areas.
    pub(crate) fn new(policy: &CompiledPolicy, areas: &[Area]) -> Self {
        let outcomes = Outcomes::of(policy);
        let contents: Vec<AreaContent> = areas
            .iter()
            .enumerate()
            .filter_map(|(index, area)| {
                let scope = policy.scope_by_name(&area.id)?;
                let page_cookies = page_cookies(policy, scope, index == 0, area, outcomes);
                let api_cookies = api_cookies(&page_cookies, outcomes);
                let html = area_html(area, &page_cookies, &api_cookies, policy.enforcement().mode);
                Some(AreaContent {
                    area: area.clone(),
                    scope,
                    page_cookies,
                    api_cookies,
                    html,
                })
            })
            .collect();
        let banner = Banner::new(policy, areas);
        let home = home_html(&contents, banner.as_ref(), policy.enforcement().mode);
        Self {
            areas: contents,
            home,
            js_cookie: JS_COOKIE_HTML.to_owned(),
            banner,
        }
    }

    /// The area content for a scope.
    pub(crate) fn area(&self, scope: ScopeId) -> Option<&AreaContent> {
        self.areas.iter().find(|content| content.scope == scope)
    }
}

/// The cookies an area's page sets: each rule of the area once (compliant, or broken on purpose
/// for one rule per kind of mistake), then the rogue ones.
fn page_cookies(
    policy: &CompiledPolicy,
    scope: ScopeId,
    first_area: bool,
    area: &Area,
    outcomes: Outcomes,
) -> Vec<DemoCookie> {
    let rules: Vec<&CompiledRule> = policy
        .rules()
        .iter()
        .filter(|rule| match rule.scopes() {
            Some(scopes) => scopes.contains(&scope),
            // Rules for every scope are shown once, in the first area.
            None => first_area,
        })
        .collect();
    let max_lifetime = policy.max_lifetime();
    let mut cookies = Vec::new();
    let mut broke_session = false;
    let mut broke_lifetime = false;
    let mut broke_flags = false;
    // The 1-hour rule (or else the shortest duration) gets the 30-day Max-Age.
    let lifetime_victim = rules
        .iter()
        .filter_map(|rule| match rule.lifetime() {
            Lifetime::AtMost(seconds) => Some((rule.index(), (seconds - 3600).abs())),
            _ => None,
        })
        .min_by_key(|&(_, distance)| distance)
        .map(|(index, _)| index);

    for rule in rules {
        let Some(name) = example_name(policy, rule, scope) else {
            continue;
        };
        // The consent cookie is set by the banner's links, never by a page (that would
        // overwrite the visitor's choice).
        if policy.consent().is_some_and(|c| c.cookie == name) {
            continue;
        }
        let prefixed = has_prefix(&name);
        let attributes = Attributes::compliant(rule, &name, max_lifetime);
        let (header, expect, note) = if !broke_session && rule.lifetime() == Lifetime::Session {
            broke_session = true;
            let header = format!("{}; Expires={FAR_EXPIRES}", attributes.header(&name));
            (
                header,
                outcomes.noncompliant,
                "a session cookie sent with Expires",
            )
        } else if !broke_lifetime && lifetime_victim == Some(rule.index()) {
            broke_lifetime = true;
            let mut wrong = attributes;
            wrong.max_age = Some(30 * 24 * 3600);
            (
                wrong.header(&name),
                outcomes.noncompliant,
                "sent with a 30-day Max-Age, longer than its rule allows",
            )
        } else if !broke_flags
            && !prefixed
            && rule.secure()
            && rule.http_only()
            && rule.same_site() != SameSiteMin::None
        {
            broke_flags = true;
            let mut wrong = attributes;
            wrong.secure = false;
            wrong.http_only = false;
            (
                wrong.header(&name),
                outcomes.noncompliant,
                "sent without Secure and HttpOnly",
            )
        } else if policy.consent().is_some_and(|c| c.requires(rule.category())) {
            (
                attributes.header(&name),
                outcomes.consent,
                "as declared; its category needs consent",
            )
        } else {
            (attributes.header(&name), Expect::Kept, "as declared")
        };
        cookies.push(DemoCookie {
            name,
            header,
            expect,
            note,
        });
    }

    cookies.push(DemoCookie {
        name: "_ga".to_owned(),
        header: format!("_ga={VALUE}; Path=/; Max-Age=63072000"),
        expect: outcomes.unlisted,
        note: "a tracker that the policy does not list",
    });
    cookies.push(DemoCookie {
        name: "__Host-demo".to_owned(),
        header: format!(
            "__Host-demo={VALUE}; Path=/; Domain={}; Secure; HttpOnly; SameSite=Lax",
            area.host
        ),
        expect: outcomes.unlisted,
        note: "a __Host- cookie with a Domain (browsers reject it; the policy does not list it)",
    });
    cookies
}

/// What the area's `fetch` endpoint sets: the area's first kept cookie again, and a tracker.
fn api_cookies(page: &[DemoCookie], outcomes: Outcomes) -> Vec<DemoCookie> {
    let mut cookies: Vec<DemoCookie> = page
        .iter()
        .find(|cookie| cookie.expect == Expect::Kept)
        .map(|cookie| DemoCookie {
            note: "set again by a fetch() response",
            ..cookie.clone()
        })
        .into_iter()
        .collect();
    cookies.push(DemoCookie {
        name: "fetch_tracker".to_owned(),
        header: format!("fetch_tracker={VALUE}; Path=/; Max-Age=86400"),
        expect: outcomes.unlisted,
        note: "an unlisted cookie in a fetch() response",
    });
    cookies
}

/// A concrete name that `rule` matches in `scope`: the name itself, or the pattern with its
/// wildcards filled in. `None` when no simple filling matches.
fn example_name(policy: &CompiledPolicy, rule: &CompiledRule, scope: ScopeId) -> Option<String> {
    let pattern = rule.name();
    let candidates: Vec<String> = match rule.kind() {
        PatternKind::Exact => vec![pattern.to_owned()],
        PatternKind::Glob | PatternKind::Template => [
            "DEMO",
            "demo",
            "1",
            "Demo1",
            "0123abcd-4567-89ab-cdef-0123456789ab",
        ]
        .iter()
        .map(|fill| fill_pattern(pattern, fill))
        .collect(),
    };
    candidates.into_iter().find(|name| {
        matches!(policy.match_name(name.as_bytes(), Some(scope)), NameMatch::InScope(found) if found.index() == rule.index())
    })
}

/// Replaces each `*` and each `{placeholder}` of a pattern with `fill`.
fn fill_pattern(pattern: &str, fill: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + fill.len());
    let mut in_placeholder = false;
    for c in pattern.chars() {
        match (in_placeholder, c) {
            (false, '*') => out.push_str(fill),
            (false, '{') => in_placeholder = true,
            (true, '}') => {
                in_placeholder = false;
                out.push_str(fill);
            }
            (true, _) => {}
            (false, c) => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5}\
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}\
code{font-size:.9em}pre{background:#f4f4f4;padding:.5rem;overflow:auto}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title><style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>\n",
        title = escape(title)
    )
}

fn cookie_rows(cookies: &[DemoCookie]) -> String {
    let mut rows = String::new();
    for cookie in cookies {
        let _ = writeln!(
            rows,
            "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            escape(&cookie.name),
            escape(&cookie.header),
            cookie.note,
            cookie.expect.as_str()
        );
    }
    rows
}

fn mode_note(mode: Mode) -> &'static str {
    match mode {
        Mode::Enforce => {
            "The policy is <b>enforced</b>: what the table says happens before the browser sees the response."
        }
        Mode::ReportOnly => {
            "The policy is in <b>report-only</b> mode: every cookie reaches the browser, and the proxy logs what it would have done."
        }
    }
}

fn area_html(area: &Area, page_cookies: &[DemoCookie], api_cookies: &[DemoCookie], mode: Mode) -> String {
    let body = format!(
        "<p><a href=\"/\">&larr; all areas</a></p>\n<h1>{title}</h1>\n\
<p>This page stands for <code>https://{host}{base}/</code>. Its upstream response sets the cookies below; {mode}</p>\n\
<table><tr><th>cookie</th><th>what the upstream sends</th><th>why</th><th>cookie-warden</th></tr>\n{rows}</table>\n\
<h2>A <code>fetch()</code> that receives cookies</h2>\n\
<p>On load, this page calls <code>fetch('api/cookies')</code>; its response sets:</p>\n\
<table><tr><th>cookie</th><th>what the upstream sends</th><th>why</th><th>cookie-warden</th></tr>\n{api_rows}</table>\n\
<pre id=\"fetch-result\">fetch pending…</pre>\n\
<script>fetch('api/cookies').then(r => r.text()).then(t => {{ document.getElementById('fetch-result').textContent = 'fetch done: ' + t; }})\
.catch(e => {{ document.getElementById('fetch-result').textContent = 'fetch failed: ' + e; }});</script>\n\
<p>Open the browser's developer tools (Application &rarr; Cookies) to see what arrived, and watch the terminal running \
<code>cookie-warden demo</code> for one violation event per cookie it changed.</p>",
        title = escape(&area.title),
        host = escape(&area.host),
        base = escape(&area.base_path),
        mode = mode_note(mode),
        rows = cookie_rows(page_cookies),
        api_rows = cookie_rows(api_cookies),
    );
    page(&area.title, &body)
}

/// The home page's consent section: what needs consent, where, and the two links.
fn consent_html(banner: &Banner, areas: &[AreaContent]) -> String {
    let mut listed = String::new();
    for content in areas {
        let names: Vec<String> = content
            .page_cookies
            .iter()
            .filter(|c| c.expect == Expect::NeedsConsent)
            .map(|c| format!("<code>{}</code>", escape(&c.name)))
            .collect();
        if !names.is_empty() {
            let _ = writeln!(
                listed,
                "<li><a href=\"{path}\">{title}</a>: {names}</li>",
                path = escape(&content.area.demo_path()),
                title = escape(&content.area.title),
                names = names.join(", "),
            );
        }
    }
    let gpc = if banner.honor_gpc {
        " A browser that sends <code>Sec-GPC: 1</code> (Global Privacy Control) has them withdrawn whatever the \
cookie says."
    } else {
        ""
    };
    let purge = if banner.purge {
        " After you decline, the next page of an area expires (<code>Max-Age=0</code>) those your browser still \
holds: watch them disappear from the developer tools."
    } else {
        ""
    };
    // The consent cookie's name as a JavaScript string literal (a cookie name has no quote or
    // backslash worth keeping; drop them rather than escape).
    let name_js: String = banner
        .cookie
        .chars()
        .filter(|c| !matches!(c, '\\' | '\'' | '<' | '>' | '&'))
        .collect();
    format!(
        "<h2>Consent</h2>\n\
<p>This policy has a <code>[consent]</code> table: cookies of the categories <b>{required}</b> are only allowed \
once the consent cookie <code>{cookie}</code> grants them; until then cookie-warden strips them \
(<code>consent_missing</code>).{gpc}{purge}</p>\n\
<p><a id=\"consent-accept\" href=\"{accept}\">Accept {required}</a> &middot; \
<a id=\"consent-decline\" href=\"{decline}\">Decline</a> &mdash; your choice now: \
<code id=\"consent-state\">none</code></p>\n\
<p>Cookies that need consent:</p>\n<ul>\n{listed}</ul>\n\
<script>const choice = document.cookie.split('; ').find(c => c.startsWith('{name_js}='));\n\
if (choice) {{ document.getElementById('consent-state').textContent = decodeURIComponent(choice.slice({len})); }}</script>\n",
        required = escape(&banner.required.to_string().replace(',', ", ")),
        cookie = escape(&banner.cookie),
        accept = escape(&banner.accept_path),
        decline = escape(&banner.decline_path),
        len = name_js.len() + 1,
    )
}

fn home_html(areas: &[AreaContent], banner: Option<&Banner>, mode: Mode) -> String {
    let mut links = String::new();
    for content in areas {
        let _ = writeln!(
            links,
            "<li><a href=\"{path}\">{title}</a> &mdash; judged as <code>https://{host}{base}/</code>; sets {count} cookies</li>",
            path = escape(&content.area.demo_path()),
            title = escape(&content.area.title),
            host = escape(&content.area.host),
            base = escape(&content.area.base_path),
            count = content.page_cookies.len(),
        );
    }
    let body = format!(
        "<h1>cookie-warden demo</h1>\n\
<p>You are looking at a small site through <b>cookie-warden</b>, a reverse proxy that enforces the site's cookie \
declaration (its policy file, <code>config/fora.toml</code> unless the demo was given another). The site behind it sets every cookie the declaration lists, each in \
its own part of the site, and some it should not: a tracker that is not on the list, a session cookie with an \
expiry, a 1-hour cookie with a 30-day Max-Age, a cookie without Secure and HttpOnly, and a <code>__Host-</code> \
cookie with a Domain. {mode}</p>\n\
<h2>The site's areas</h2>\n<ul>\n{links}</ul>\n{consent}\
<h2>What to look for</h2>\n<ul>\n\
<li>In the browser's developer tools (Application &rarr; Cookies): only the declared cookies, with the declared \
lifetimes, Secure, HttpOnly and SameSite.</li>\n\
<li>In the terminal: one <code>cookie policy violation</code> event per cookie that was fixed or stripped, naming \
the cookie, the rule, the violation and the action, never the cookie's value.</li>\n\
<li><a href=\"/js-cookie\">A page that sets a cookie with <code>document.cookie</code></a>: cookie-warden cannot \
see that, but with <code>request_cookies = \"strip\"</code> the site never receives it. \
<a href=\"/echo\">/echo</a> shows the cookie names the site received.</li>\n</ul>",
        mode = mode_note(mode),
        consent = banner.map(|b| consent_html(b, areas)).unwrap_or_default(),
    );
    page("cookie-warden demo", &body)
}

const JS_COOKIE_HTML: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>document.cookie</title></head>\n<body>\n\
<p><a href=\"/\">&larr; home</a></p>\n<h1>A cookie set by JavaScript</h1>\n\
<p>This page runs <code>document.cookie = \"js_set=demo; path=/\"</code>, which no proxy can see, then asks \
<a href=\"/echo\">/echo</a> which cookie names reached the site. With the policy's \
<code>request_cookies = \"strip\"</code>, <code>js_set</code> (not declared) never does.</p>\n\
<pre id=\"echo\">asking /echo…</pre>\n\
<script>document.cookie = 'js_set=demo; path=/';\n\
fetch('/echo').then(r => r.text()).then(t => { document.getElementById('echo').textContent = t; });</script>\n\
</body></html>\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_filled() {
        assert_eq!(fill_pattern("saplb_*", "DEMO"), "saplb_DEMO");
        assert_eq!(
            fill_pattern("refreshToken_{realm}_SAPEP", "DEMO"),
            "refreshToken_DEMO_SAPEP"
        );
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
