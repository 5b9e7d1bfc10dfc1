//! The demo's consent banner, for a policy with `[consent]` (`demo --policy consent`): two links,
//! "accept" and "decline", whose responses set the policy's consent cookie, so that a person can
//! watch cookies that need consent appear once accepted and be stripped and purged once declined.
//!
//! The upstream answers `…/consent/accept` and `…/consent/decline` (under the area whose scope
//! allows the consent cookie, or at the root when its rule applies everywhere) with a `303` back
//! to the home page and a `Set-Cookie` that grants the required categories (accept) or only
//! `necessary` (decline), written in the policy's consent format, with the attributes its rule
//! asks for. Like every other demo cookie, it passes through cookie-warden's policy.

use cookie_warden_core::consent::{CategorySet, required_categories};
use cookie_warden_core::policy::model::{Category, ConsentFormat};
use cookie_warden_core::policy::{CompiledConsent, CompiledPolicy, NameMatch};

use super::areas::Area;
use super::attributes::compliant_header;

/// The end of the path that grants the required categories.
pub(crate) const ACCEPT: &str = "/consent/accept";
/// The end of the path that grants only `necessary`.
pub(crate) const DECLINE: &str = "/consent/decline";

/// The banner of a policy with `[consent]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Banner {
    /// The consent cookie's name.
    pub(crate) cookie: String,
    /// The categories that need consent.
    pub(crate) required: CategorySet,
    /// Whether `Sec-GPC: 1` withdraws them.
    pub(crate) honor_gpc: bool,
    /// Whether declining expires the cookies the browser still holds.
    pub(crate) purge: bool,
    /// The demo path of the "accept" link.
    pub(crate) accept_path: String,
    /// The demo path of the "decline" link.
    pub(crate) decline_path: String,
    /// The `Set-Cookie` value the "accept" response sends.
    pub(crate) accept_header: String,
    /// The `Set-Cookie` value the "decline" response sends.
    pub(crate) decline_header: String,
}

impl Banner {
    /// The banner for `policy`; `None` when it has no `[consent]`.
    pub(crate) fn new(policy: &CompiledPolicy, areas: &[Area]) -> Option<Self> {
        let consent = policy.consent()?;
        let name = consent.cookie.as_str();
        // Where the consent cookie may be set: everywhere (the root), or the first area whose
        // scope allows it.
        let (rule, base) = match policy.match_name(name.as_bytes(), None) {
            NameMatch::InScope(rule) => (Some(rule), String::new()),
            _ => areas
                .iter()
                .find_map(|area| {
                    let scope = policy.scope_by_name(&area.id)?;
                    match policy.match_name(name.as_bytes(), Some(scope)) {
                        NameMatch::InScope(rule) => Some((Some(rule), format!("/{}", area.id))),
                        _ => None,
                    }
                })
                .unwrap_or((None, String::new())),
        };
        let required = required_categories(consent);
        let necessary = CategorySet::only(Category::Necessary);
        let header = |granted: CategorySet| {
            let value = consent_value(consent, granted);
            match rule {
                Some(rule) => compliant_header(rule, name, &value, policy.max_lifetime()),
                // No rule allows the consent cookie (`check` warns): send it plainly, and let
                // the policy strip it as unlisted.
                None => format!("{name}={value}; Path=/; Secure; SameSite=Lax"),
            }
        };
        Some(Self {
            cookie: name.to_owned(),
            required,
            honor_gpc: consent.honor_gpc,
            purge: consent.purge,
            accept_path: format!("{base}{ACCEPT}"),
            decline_path: format!("{base}{DECLINE}"),
            accept_header: header(required.with(Category::Necessary)),
            decline_header: header(necessary),
        })
    }
}

/// The consent cookie's value granting `granted`, in the policy's format, percent-encoded where a
/// byte is not a cookie-octet (RFC 6265 §4.1.1) or is `%`, as `encodeURIComponent` would.
pub(crate) fn consent_value(consent: &CompiledConsent, granted: CategorySet) -> String {
    let text = match consent.format {
        ConsentFormat::List => granted
            .iter()
            .map(Category::as_str)
            .collect::<Vec<_>>()
            .join(&consent.separator),
        ConsentFormat::Json => {
            let fields: Vec<String> = Category::ALL
                .iter()
                .map(|c| format!("\"{}\":{}", c.as_str(), granted.contains(*c)))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
    };
    let mut out = String::with_capacity(text.len() + 16);
    for byte in text.bytes() {
        let cookie_octet = matches!(byte, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E);
        if cookie_octet && byte != b'%' {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use cookie_warden_core::consent::granted_categories;
    use cookie_warden_core::policy::load::from_toml_str;

    use super::*;

    fn policy(consent: &str, rule: &str) -> CompiledPolicy {
        let text = format!(
            "version = 1\n[[scope]]\nid = \"app\"\nhosts = [\"app.example\"]\npaths = [\"/app\"]\n\
             [consent]\ncookie = \"choice\"\n{consent}\n\
             [[cookie]]\nname = \"choice\"\ncategory = \"necessary\"\nlifetime = \"30d\"\nhttp_only = false\n{rule}\n"
        );
        from_toml_str("demo.toml", &text)
            .expect("the test policy loads")
            .policy
    }

    fn areas() -> Vec<Area> {
        vec![Area {
            id: "app".into(),
            title: "App".into(),
            host: "app.example".into(),
            base_path: "/app".into(),
        }]
    }

    /// The value of a `Set-Cookie` header (the demo's own, which carries no secret).
    fn value_of(header: &str) -> &str {
        header.split(';').next().unwrap().split_once('=').unwrap().1
    }

    #[test]
    fn accept_and_decline_write_values_the_policy_reads_back() {
        for (consent, separator) in [
            ("format = \"list\"", ","),
            ("format = \"list\"\nseparator = \" \"", " "),
            ("format = \"json\"", ","),
        ] {
            let p = policy(consent, "");
            let c = p.consent().unwrap();
            let banner = Banner::new(&p, &areas()).unwrap();
            let accept = value_of(&banner.accept_header);
            let decline = value_of(&banner.decline_header);
            assert!(
                accept
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && !b",;\"\\".contains(&b)),
                "{accept}"
            );
            assert_eq!(
                granted_categories(accept.as_bytes(), c.format, separator),
                CategorySet::ALL,
                "{consent}: {accept}"
            );
            assert_eq!(
                granted_categories(decline.as_bytes(), c.format, separator),
                CategorySet::only(Category::Necessary),
                "{consent}: {decline}"
            );
        }
    }

    #[test]
    fn links_go_where_the_consent_cookie_is_allowed() {
        let everywhere = Banner::new(&policy("", ""), &areas()).unwrap();
        assert_eq!(everywhere.accept_path, "/consent/accept");
        assert_eq!(everywhere.decline_path, "/consent/decline");
        assert!(
            everywhere.accept_header.starts_with("choice=necessary%2Cfunctional%2Cstatistics%2Cmarketing; Path=/; Max-Age=2592000; Secure; SameSite=Lax"),
            "{}",
            everywhere.accept_header
        );
        let scoped = Banner::new(&policy("", "scopes = [\"app\"]"), &areas()).unwrap();
        assert_eq!(scoped.accept_path, "/app/consent/accept");
    }

    #[test]
    fn no_consent_table_no_banner() {
        let p = from_toml_str("demo.toml", "version = 1\n").unwrap().policy;
        assert!(Banner::new(&p, &areas()).is_none());
    }
}
