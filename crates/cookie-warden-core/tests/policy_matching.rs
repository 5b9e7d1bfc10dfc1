//! Name and scope matching on compiled policies: specificity, globs, templates, prefixes, scopes,
//! and the shipped policies `config/fora.toml` and `config/minimal.toml`.

use cookie_warden_core::policy::model::Category;
use cookie_warden_core::policy::name::PatternKind;
use cookie_warden_core::policy::{CompiledPolicy, Lifetime, NameMatch, ScopeId, from_toml_str};

fn policy(text: &str) -> CompiledPolicy {
    from_toml_str("test.toml", text)
        .unwrap_or_else(|e| panic!("{e}"))
        .policy
}

fn config(name: &str) -> (CompiledPolicy, Vec<String>) {
    let path = format!("{}/../../config/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let loaded = from_toml_str(name, &text).unwrap_or_else(|e| panic!("{e}"));
    (
        loaded.policy,
        loaded.warnings.iter().map(ToString::to_string).collect(),
    )
}

/// The rule name that `name` matches in scope, or "out:<rule>" / "unlisted".
fn verdict(policy: &CompiledPolicy, name: &[u8], scope: Option<ScopeId>) -> String {
    match policy.match_name(name, scope) {
        NameMatch::InScope(rule) => rule.name().to_owned(),
        NameMatch::OutOfScope(rule) => format!("out:{}", rule.name()),
        NameMatch::Unlisted => "unlisted".to_owned(),
    }
}

const SPECIFICITY: &str = r#"
version = 1
[[cookie]]
name = "*"
lifetime = "session"
[[cookie]]
name = "sap*"
lifetime = "session"
[[cookie]]
name = "saplb_*"
lifetime = "session"
[[cookie]]
name = "saplb_{group}"
placeholders = { group = "[A-Z]+" }
lifetime = "session"
[[cookie]]
name = "saplb_PRD"
lifetime = "session"
[[cookie]]
name = "{a}_x_{b}"
lifetime = "session"
[[cookie]]
name = "{a}_xyz_{b}"
lifetime = "session"
"#;

#[test]
fn exact_beats_template_beats_glob_and_longer_literals_win() {
    let p = policy(SPECIFICITY);
    let cases: &[(&[u8], &str)] = &[
        (b"saplb_PRD", "saplb_PRD"),
        (b"saplb_QA", "saplb_{group}"),
        (b"saplb_qa", "saplb_*"),
        (b"saplb_", "saplb_*"),
        (b"sapx", "sap*"),
        (b"other", "*"),
        (b"", "*"),
        (b"q_xyz_r", "{a}_xyz_{b}"),
        (b"q_x_r", "{a}_x_{b}"),
        // A glob's `*` covers any bytes a browser keeps in a name, UTF-8 or not.
        (b"sap\xff\xfe", "sap*"),
        (b"sap with spaces", "sap*"),
    ];
    for (name, rule) in cases {
        assert_eq!(
            verdict(&p, name, None),
            *rule,
            "{}",
            String::from_utf8_lossy(name)
        );
    }
    let kinds: Vec<PatternKind> = p.rules().iter().map(|r| r.kind()).collect();
    assert_eq!(
        kinds[..5],
        [
            PatternKind::Glob,
            PatternKind::Glob,
            PatternKind::Glob,
            PatternKind::Template,
            PatternKind::Exact
        ]
    );
}

#[test]
fn names_are_case_sensitive_but_prefixes_are_not() {
    let p = policy(
        r#"
version = 1
[[cookie]]
name = "__Host-sid"
lifetime = "session"
[[cookie]]
name = "__Secure-pref_*"
lifetime = "session"
[[cookie]]
name = "Session"
lifetime = "session"
"#,
    );
    assert_eq!(verdict(&p, b"__Host-sid", None), "__Host-sid");
    assert_eq!(verdict(&p, b"__HOST-sid", None), "__Host-sid");
    assert_eq!(verdict(&p, b"__host-sid", None), "__Host-sid");
    assert_eq!(verdict(&p, b"__Host-SID", None), "unlisted");
    assert_eq!(verdict(&p, b"__SECURE-pref_x", None), "__Secure-pref_*");
    assert_eq!(verdict(&p, b"__Secure-PREF_x", None), "unlisted");
    assert_eq!(verdict(&p, b"Session", None), "Session");
    assert_eq!(verdict(&p, b"session", None), "unlisted");
    assert_eq!(verdict(&p, b"__Host-", None), "unlisted");
}

#[test]
fn templates_use_their_placeholder_patterns() {
    let p = policy(
        r#"
version = 1
[[cookie]]
name = "refreshToken_{realm}_SAPEP"
placeholders = { realm = "[A-Z]+" }
lifetime = "1h"
[[cookie]]
name = "tok_{id}"
lifetime = "session"
"#,
    );
    assert_eq!(
        verdict(&p, b"refreshToken_ACME_SAPEP", None),
        "refreshToken_{realm}_SAPEP"
    );
    assert_eq!(verdict(&p, b"refreshToken_acme_SAPEP", None), "unlisted");
    assert_eq!(verdict(&p, b"refreshToken__SAPEP", None), "unlisted");
    assert_eq!(verdict(&p, b"refreshToken_ACME_SAPEPX", None), "unlisted");
    // The default placeholder: [A-Za-z0-9_.-]+
    assert_eq!(verdict(&p, b"tok_a.b-c_9", None), "tok_{id}");
    assert_eq!(verdict(&p, b"tok_", None), "unlisted");
    assert_eq!(verdict(&p, b"tok_a b", None), "unlisted");
    assert_eq!(p.rules()[0].lifetime(), Lifetime::AtMost(3600));
}

const SCOPED: &str = r#"
version = 1
[[scope]]
id = "app"
hosts = ["example.com"]
paths = ["/app"]
[[scope]]
id = "sub"
hosts = ["*.example.com"]
[[scope]]
id = "site"
hosts = ["example.com", "www.example.com"]

[[cookie]]
name = "app_sid"
scopes = ["app"]
lifetime = "session"
[[cookie]]
name = "tok_*"
scopes = ["sub", "site"]
lifetime = "session"
[[cookie]]
name = "tok_app"
scopes = ["app"]
lifetime = "1h"
[[cookie]]
name = "everywhere"
lifetime = "session"
"#;

#[test]
fn scopes_match_hosts_and_segment_aware_paths_first_match_wins() {
    let p = policy(SCOPED);
    let name = |host: &str, path: &str| p.scope_for(host, path).map(|s| p.scope_name(s).to_owned());
    assert_eq!(name("example.com", "/app"), Some("app".into()));
    assert_eq!(name("example.com", "/app/"), Some("app".into()));
    assert_eq!(name("example.com", "/app/x/y"), Some("app".into()));
    assert_eq!(name("example.com", "/apple"), Some("site".into()));
    assert_eq!(name("example.com", "/"), Some("site".into()));
    assert_eq!(
        name("www.example.com", "/app"),
        Some("sub".into()),
        "sub is declared before site"
    );
    assert_eq!(name("a.b.example.com", "/"), Some("sub".into()));
    assert_eq!(name("example.org", "/"), None);
    assert_eq!(name("notexample.com", "/"), None);
    assert_eq!(p.scope_by_name("site"), Some(p.scope_ids().nth(2).unwrap()));
}

#[test]
fn in_scope_out_of_scope_and_unlisted() {
    let p = policy(SCOPED);
    let app = p.scope_by_name("app");
    let sub = p.scope_by_name("sub");
    let site = p.scope_by_name("site");

    assert_eq!(verdict(&p, b"app_sid", app), "app_sid");
    assert_eq!(verdict(&p, b"app_sid", site), "out:app_sid");
    assert_eq!(verdict(&p, b"app_sid", None), "out:app_sid");
    assert_eq!(verdict(&p, b"nothing", app), "unlisted");

    // The most specific rule that applies here wins; elsewhere a less specific one may allow it.
    assert_eq!(verdict(&p, b"tok_app", app), "tok_app");
    assert_eq!(verdict(&p, b"tok_app", sub), "tok_*");
    assert_eq!(verdict(&p, b"tok_x", app), "out:tok_*");
    assert_eq!(verdict(&p, b"tok_x", None), "out:tok_*");

    // A rule without scopes applies everywhere, also to requests in no scope.
    for scope in [app, sub, site, None] {
        assert_eq!(verdict(&p, b"everywhere", scope), "everywhere");
    }
    let rule = &p.rules()[1];
    assert!(rule.applies_in(sub) && rule.applies_in(site) && !rule.applies_in(app) && !rule.applies_in(None));
}

#[test]
fn effective_requirements_apply_defaults() {
    let p = policy(
        r#"
version = 1
[defaults]
secure = true
http_only = false
same_site = "strict"
[[cookie]]
name = "a"
lifetime = "persistent"
[[cookie]]
name = "b"
lifetime = "30m"
http_only = true
same_site = "none"
path = "/b"
domains = [".Example.com"]
category = "statistics"
"#,
    );
    let (a, b) = (&p.rules()[0], &p.rules()[1]);
    assert!(a.secure() && !a.http_only());
    assert_eq!(
        a.same_site(),
        cookie_warden_core::policy::model::SameSiteMin::Strict
    );
    assert_eq!(
        (a.category(), a.category_declared()),
        (Category::Necessary, false)
    );
    assert_eq!(a.lifetime().max_seconds(p.max_lifetime()), Some(400 * 86_400));
    assert!(b.http_only());
    assert_eq!(
        b.same_site(),
        cookie_warden_core::policy::model::SameSiteMin::None
    );
    assert_eq!(b.path(), Some("/b"));
    assert_eq!(b.domains(), Some(&["example.com".to_owned()][..]));
    assert_eq!(b.category(), Category::Statistics);
    assert_eq!(b.lifetime(), Lifetime::AtMost(1_800));
    assert_eq!(b.scopes(), None);
}

#[test]
fn large_policies_match_the_same() {
    let mut text = String::from("version = 1\n");
    for i in 0..3_000 {
        text.push_str(&format!(
            "[[cookie]]\nname = \"exact_{i}\"\nlifetime = \"session\"\n"
        ));
        text.push_str(&format!(
            "[[cookie]]\nname = \"glob_{i}_*\"\nlifetime = \"session\"\n"
        ));
        text.push_str(&format!(
            "[[cookie]]\nname = \"tpl_{i}_{{id}}_end\"\nlifetime = \"session\"\n"
        ));
    }
    let p = policy(&text);
    assert_eq!(verdict(&p, b"exact_2999", None), "exact_2999");
    assert_eq!(verdict(&p, b"glob_1234_anything", None), "glob_1234_*");
    assert_eq!(verdict(&p, b"tpl_17_abc_end", None), "tpl_17_{id}_end");
    // `glob_1_*` also matches `glob_12_x`, but `glob_12_*` has more literal text.
    assert_eq!(verdict(&p, b"glob_12_x", None), "glob_12_*");
    assert_eq!(verdict(&p, b"tpl_17_a b_end", None), "unlisted");
    assert_eq!(verdict(&p, b"exact_3000", None), "unlisted");
}

/// Every cookie of `../shared/seeds/fora-cookie-declaration.txt`, named as config/fora.toml decides
/// (see the comments there), with a request URL in the part of the site that uses it.
const FORA_SEED: &[(&str, &str, &str)] = &[
    ("_pk_testcookie", "www.fora.se", "/"),
    ("__RequestVerificationToken", "www.fora.se", "/kundservice"),
    ("accepted_cookies", "fora.se", "/om-cookies"),
    ("PortalAlias", "minasidor.fora.se", "/irj/portal"),
    (
        "com.sap.engine.security.authentication.original_application_url",
        "minasidor.fora.se",
        "/logon",
    ),
    ("saplb_*", "minasidor.fora.se", "/irj/portal"),
    ("saplb_PRD_GROUP", "minasidor.fora.se", "/irj/portal"),
    (
        "react-router-scroll-positions",
        "minasidor.fora.se",
        "/manadsrapportering",
    ),
    (
        "msal.token.keys",
        "minasidor.fora.se",
        "/manadsrapportering/start",
    ),
    (
        "msal.token.keys.6f1e0c7a-3b2d-4c5e-9f80-a1b2c3d4e5f6",
        "minasidor.fora.se",
        "/manadsrapportering",
    ),
    (
        "partnerNumberOrganization",
        "minasidor.fora.se",
        "/manadsrapportering",
    ),
    (
        "refreshToken_5566778899_SAPEP",
        "minasidor.fora.se",
        "/manadsrapportering",
    ),
    (
        "refreshToken_ORGANIZATION_SAPEP",
        "minasidor.fora.se",
        "/manadsrapportering",
    ),
    ("ai_session", "etjanster.fora.se", "/"),
    ("ai_user", "etjanster.fora.se", "/ansokan"),
    ("i18next", "etjanster.fora.se", "/"),
    ("refreshToken_VERIFIED_USER", "etjanster.fora.se", "/"),
    ("TS01e88579", "etjanster.fora.se", "/"),
];

#[test]
fn fora_policy_allows_every_seed_cookie_in_its_own_scope_only() {
    let (p, warnings) = config("fora.toml");
    assert_eq!(p.scope_count(), 4);
    assert_eq!(p.max_lifetime(), 13 * cookie_warden_core::policy::duration::MONTH);
    for (name, host, path) in FORA_SEED {
        let scope = p.scope_for(host, path);
        assert!(scope.is_some(), "{host}{path} is in no scope");
        let matched = p.match_name(name.as_bytes(), scope);
        let NameMatch::InScope(rule) = matched else {
            panic!("{name} at {host}{path}: {matched:?}")
        };
        assert!(rule.applies_in(scope));
        // Every other scope: the same name is out of scope.
        for other in p.scope_ids().filter(|s| Some(*s) != scope) {
            assert!(
                matches!(
                    p.match_name(name.as_bytes(), Some(other)),
                    NameMatch::OutOfScope(_)
                ),
                "{name} should be out of scope in {}",
                p.scope_name(other)
            );
        }
    }
    // The statistics cookies without [consent] are lint warnings, not errors.
    for name in ["_pk_testcookie", "ai_session", "ai_user"] {
        assert!(
            warnings
                .iter()
                .any(|w| w.contains(name) && w.contains("no [consent]")),
            "{warnings:?}"
        );
    }
    assert_eq!(warnings.len(), 3, "{warnings:?}");
}

#[test]
fn fora_policy_records_the_seed_lifetimes_categories_and_texts() {
    let (p, _) = config("fora.toml");
    let rule = |name: &str| {
        p.rules()
            .iter()
            .find(|r| r.name() == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    assert_eq!(rule("ai_session").lifetime(), Lifetime::AtMost(30 * 60));
    assert_eq!(
        rule("ai_user").lifetime(),
        Lifetime::AtMost(12 * cookie_warden_core::policy::duration::MONTH)
    );
    assert_eq!(
        rule("refreshToken_{organization}_SAPEP").lifetime(),
        Lifetime::AtMost(3_600)
    );
    assert_eq!(rule("msal.token.keys").lifetime(), Lifetime::AtMost(3_600));
    assert_eq!(rule("accepted_cookies").lifetime(), Lifetime::Persistent);
    assert_eq!(rule("saplb_*").lifetime(), Lifetime::Session);
    for name in ["_pk_testcookie", "ai_session", "ai_user"] {
        assert_eq!(rule(name).category(), Category::Statistics, "{name}");
    }
    for name in [
        "i18next",
        "react-router-scroll-positions",
        "ai_user",
        "_pk_testcookie",
        "msal.token.keys",
    ] {
        assert!(!rule(name).http_only(), "{name} is a JavaScript cookie");
    }
    assert!(rule("__RequestVerificationToken").http_only());
    let source = p.source();
    let seed = std::fs::read_to_string(format!(
        "{}/../../../shared/seeds/fora-cookie-declaration.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("the seed is at ../shared/seeds");
    for cookie in &source.cookies {
        let purpose = cookie
            .purpose
            .as_ref()
            .unwrap_or_else(|| panic!("{} has no purpose", cookie.name));
        assert!(
            purpose.contains_key("sv") && purpose.contains_key("en"),
            "{}",
            cookie.name
        );
    }
    // Where the seed describes a cookie, the Swedish purpose is its text, verbatim.
    for name in [
        "_pk_testcookie",
        "__RequestVerificationToken",
        "ai_user",
        "i18next",
        "TS01e88579",
        "msal.token.keys",
    ] {
        let cookie = source.cookies.iter().find(|c| c.name == name).unwrap();
        let sv = &cookie.purpose.as_ref().unwrap()["sv"];
        assert!(seed.contains(sv.as_str()), "{name}: {sv}");
    }
    let titles: Vec<&str> = source
        .scopes
        .iter()
        .map(|s| s.title.as_ref().unwrap()["sv"].as_str())
        .collect();
    assert_eq!(titles[0], "Cookies på fora.se (ej inloggat kundmöte)");
    assert_eq!(titles[1], "Cookies vid inloggning till Mina sidor");
}

#[test]
fn minimal_policy_loads_cleanly() {
    let (p, warnings) = config("minimal.toml");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(p.scope_count(), 0);
    assert_eq!(verdict(&p, b"session_id", None), "session_id");
    assert_eq!(verdict(&p, b"theme", p.scope_for("example.com", "/")), "theme");
    assert_eq!(verdict(&p, b"tracker", None), "unlisted");
}

/// A reference matcher, written straight from the rules: `*` = any run, `{p}` = one or more
/// characters of `[A-Za-z0-9_.-]`, literals match themselves.
fn reference_match(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.first() {
        None => name.is_empty(),
        Some(b'*') => (0..=name.len()).any(|i| reference_match(&pattern[1..], &name[i..])),
        Some(b'{') => {
            let close = pattern.iter().position(|&b| b == b'}').unwrap();
            let class = |b: &u8| b.is_ascii_alphanumeric() || b"_.-".contains(b);
            (1..=name.len())
                .take_while(|&i| class(&name[i - 1]))
                .any(|i| reference_match(&pattern[close + 1..], &name[i..]))
        }
        Some(&c) => name.first() == Some(&c) && reference_match(&pattern[1..], &name[1..]),
    }
}

/// Builds a pattern from generated parts: letters, `*` (never twice in a row) and placeholders
/// named `p0`, `p1`, … in order (so equal patterns are equal strings).
fn pattern_from(parts: &[u8]) -> String {
    let mut out = String::new();
    let mut placeholders = 0;
    for &part in parts {
        match part {
            b'*' if out.ends_with('*') => {}
            b'*' => out.push('*'),
            b'{' => {
                out.push_str(&format!("{{p{placeholders}}}"));
                placeholders += 1;
            }
            c => out.push(char::from(c)),
        }
    }
    if out.is_empty() { "a".to_owned() } else { out }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    /// The automaton and hash maps agree with the reference matcher and the specificity order:
    /// exact > template > glob, more literal text first, then policy order; in-scope rules first.
    #[test]
    fn matching_agrees_with_a_reference(
        rules in proptest::collection::vec(
            (proptest::collection::vec(proptest::sample::select(b"ab_*{".to_vec()), 0..6), 0u8..3),
            1..10,
        ),
        names in proptest::collection::vec(proptest::collection::vec(proptest::sample::select(b"ab_".to_vec()), 0..7), 1..12),
        request_scope in 0u8..3,
    ) {
        let mut seen = std::collections::BTreeSet::new();
        let mut text = String::from(
            "version = 1\n[[scope]]\nid = \"s0\"\nhosts = [\"s0.example\"]\n[[scope]]\nid = \"s1\"\nhosts = [\"s1.example\"]\n",
        );
        let mut written: Vec<(String, Option<u8>)> = Vec::new();
        for (parts, scope) in &rules {
            let pattern = pattern_from(parts);
            if !seen.insert(pattern.clone()) {
                continue;
            }
            let scope = (*scope < 2).then_some(*scope);
            text.push_str(&format!("[[cookie]]\nname = \"{pattern}\"\nlifetime = \"session\"\n"));
            if let Some(s) = scope {
                text.push_str(&format!("scopes = [\"s{s}\"]\n"));
            }
            written.push((pattern, scope));
        }
        let policy = policy(&text);
        let scope = (request_scope < 2).then(|| policy.scope_by_name(&format!("s{request_scope}")).unwrap());
        let kind = |p: &str| if p.contains('{') { 1 } else if p.contains('*') { 2 } else { 0 };
        let literal = |p: &str| {
            let mut n = 0;
            let mut inside = false;
            for c in p.chars() {
                match c {
                    '{' => inside = true,
                    '}' => inside = false,
                    '*' => {}
                    _ if !inside => n += 1,
                    _ => {}
                }
            }
            n
        };
        for name in &names {
            let mut matching: Vec<usize> = (0..written.len())
                .filter(|&i| reference_match(written[i].0.as_bytes(), name))
                .collect();
            matching.sort_by_key(|&i| (kind(&written[i].0), std::cmp::Reverse(literal(&written[i].0)), i));
            let applies = |i: &&usize| match written[**i].1 {
                None => true,
                Some(s) => Some(s) == (request_scope < 2).then_some(request_scope),
            };
            let expected = match (matching.iter().find(applies), matching.first()) {
                (Some(&i), _) => written[i].0.clone(),
                (None, Some(&i)) => format!("out:{}", written[i].0),
                (None, None) => "unlisted".to_owned(),
            };
            proptest::prop_assert_eq!(verdict(&policy, name, scope), expected, "name {:?} in\n{}", String::from_utf8_lossy(name), text);
        }
    }
}
