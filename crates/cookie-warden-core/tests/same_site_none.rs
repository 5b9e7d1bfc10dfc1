//! `same_site = "none"` is "no SameSite requirement", valid for a cookie that is not Secure: a
//! policy says so and loads, and no decision under any rule ever lets a header leave that sets
//! `SameSite=None` without `Secure` (browsers drop such a line), whether it passes unchanged or is
//! fixed. A header that sets it itself is stripped as `same_site_none_insecure`.

use cookie_warden_core::decision::{Verdict, ViolationKind};
use cookie_warden_core::policy::load::from_toml_str;
use cookie_warden_core::policy::model::SameSiteMin;
use cookie_warden_core::request::{RequestContext, RequestUrl};
use cookie_warden_core::set_cookie::{SameSite, parse};
use proptest::prelude::*;

const NOW: i64 = 1_700_000_000;

fn policy(enforcement: &str, defaults: &str, rule: &str) -> cookie_warden_core::policy::CompiledPolicy {
    let text = format!(
        "version = 1\n[enforcement]\n{enforcement}\n[defaults]\n{defaults}\n\
         [[cookie]]\nname = \"*adid\"\nlifetime = \"persistent\"\n{rule}\n"
    );
    match from_toml_str("same_site.toml", &text) {
        Ok(loaded) => loaded.policy,
        Err(errors) => panic!("this policy should load:\n{text}\n{errors}"),
    }
}

#[test]
fn no_same_site_requirement_for_a_cookie_that_is_not_secure_loads() {
    // On the rule, in [defaults], and split between the two.
    for (defaults, rule) in [
        ("", "secure = false\nsame_site = \"none\""),
        ("secure = false\nsame_site = \"none\"", ""),
        ("secure = false", "same_site = \"none\""),
        ("same_site = \"none\"", "secure = false"),
    ] {
        let policy = policy("", defaults, rule);
        let rule = &policy.rules()[0];
        assert_eq!((rule.same_site(), rule.secure()), (SameSiteMin::None, false));
    }
}

#[test]
fn a_cookie_without_secure_or_same_site_passes_such_a_rule_unchanged() {
    let policy = policy("", "", "secure = false\nhttp_only = false\nsame_site = \"none\"");
    let request = request(true);
    let judge = policy.judge(&request);
    let header = b"adid=9; Max-Age=99999999";
    let decision = judge.decide(header, NOW);
    assert_eq!(decision.verdict, Verdict::Allow, "{decision:?}");
    // ...and one that sets SameSite=None itself without Secure is one a browser drops.
    let decision = judge.decide(b"adid=9; Max-Age=600; SameSite=None", NOW);
    assert_eq!(decision.verdict, Verdict::Strip, "{decision:?}");
    assert_eq!(decision.violations[0].kind, ViolationKind::SameSiteNoneInsecure);
}

fn request(secure: bool) -> RequestContext<'static> {
    RequestContext {
        url: RequestUrl {
            secure,
            host: "www.example.com",
            path: "/app/page",
        },
        method: "GET",
        gpc: false,
        consent_cookie: None,
    }
}

fn header() -> impl Strategy<Value = String> {
    let attribute = prop::sample::select(vec![
        "Secure",
        "HttpOnly",
        "SameSite=None",
        "SameSite=none",
        "SameSite=Lax",
        "SameSite=Strict",
        "SameSite=bogus",
        "Max-Age=99999999",
        "Max-Age=60",
        "Max-Age=0",
        "Expires=Thu, 09 Jun 2033 10:18:14 GMT",
        "Path=/",
        "Path=/app",
        "Domain=example.com",
    ]);
    let name = prop::sample::select(vec!["adid", "other", "__Secure-adid", "__Host-adid", "x_adid"]);
    (name, prop::collection::vec(attribute, 0..6)).prop_map(|(name, attributes)| {
        let mut header = format!("{name}=9");
        for attribute in attributes {
            header.push_str("; ");
            header.push_str(attribute);
        }
        header
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    /// Whatever the rule's SameSite minimum and Secure requirement, nothing leaves that sets
    /// `SameSite=None` without `Secure`.
    #[test]
    fn nothing_leaves_with_same_site_none_and_no_secure(
        header in header(),
        same_site in prop::sample::select(vec!["none", "lax", "strict"]),
        secure in any::<bool>(),
        https in any::<bool>(),
        deletions in prop::sample::select(vec!["allow", "apply-rules"]),
    ) {
        let policy = policy(
            &format!("deletions = \"{deletions}\""),
            &format!("secure = {secure}\nsame_site = \"{same_site}\""),
            "",
        );
        let request = request(https);
        let judge = policy.judge(&request);
        let decision = judge.decide(header.as_bytes(), NOW);
        let leaves: Option<Vec<u8>> = match decision.verdict {
            Verdict::Allow => Some(header.clone().into_bytes()),
            Verdict::Fix => decision.rewritten.as_deref().map(<[u8]>::to_vec),
            Verdict::Strip | Verdict::Block => None,
        };
        if let Some(bytes) = leaves {
            let cookie = parse(&bytes, &request.url);
            prop_assert!(
                cookie.same_site != SameSite::None || cookie.secure,
                "{header:?} left as {:?}", String::from_utf8_lossy(&bytes)
            );
        }
    }
}
