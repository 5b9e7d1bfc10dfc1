//! Property tests of decisions, over `decide_policy.toml`:
//!
//! - a `fix` output re-evaluates as `allow` (and re-parses to the same name and value);
//! - under `enforce`, no name that no rule allows in the request's scope ever leaves, except as a
//!   deletion; and every header that leaves is accepted and read identically by the draft and by
//!   Chromium (no ambiguity flag);
//! - deciding twice gives the same decision;
//! - no violation `detail` contains the cookie's value.

use std::sync::OnceLock;

use cookie_warden_core::decision::{Decision, Verdict};
use cookie_warden_core::policy::load::from_toml_str;
use cookie_warden_core::policy::{CompiledPolicy, NameMatch};
use cookie_warden_core::request::{ConsentCookie, RequestContext, RequestUrlBuf};
use cookie_warden_core::set_cookie::{parse, write_imf_fixdate};
use proptest::prelude::*;

const POLICY: &str = include_str!("decide_policy.toml");
const NOW: i64 = 1_700_000_000;

const SETTINGS: [&str; 4] = [
    "",
    "deletions = \"apply-rules\"",
    "noncompliant = \"strip\"",
    "unlisted = \"block\"\nmalformed = \"block\"",
];

fn policies() -> &'static [CompiledPolicy] {
    static POLICIES: OnceLock<Vec<CompiledPolicy>> = OnceLock::new();
    POLICIES.get_or_init(|| {
        SETTINGS
            .iter()
            .map(|settings| {
                let text = POLICY.replacen("[enforcement]\n", &format!("[enforcement]\n{settings}\n"), 1);
                from_toml_str("decide_policy.toml", &text)
                    .expect("the test policy loads")
                    .policy
            })
            .collect()
    })
}

const URLS: [&str; 8] = [
    "https://www.example.com/",
    "https://www.example.com/e-tjanster/rapport",
    "https://login.example.com/login",
    "https://other.example.net/",
    "http://www.example.com/",
    "https://sub.example.com/",
    "https://www.example.com/app/x",
    "https://example.com/a/b/c",
];

const NAMES: [&str; 16] = [
    "sid",
    "lang",
    "ai_session",
    "__Host-csrf",
    "__HOST-csrf",
    "__Secure-pref",
    "saplb_X",
    "refreshToken_AB_SAPEP",
    "refreshToken_ab_SAPEP",
    "_pk_id.1.x",
    "app_state",
    "plain",
    "trk",
    "MYSAPSSO2",
    "tracker",
    "",
];

fn attribute() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Secure".to_owned()),
        Just("HttpOnly".to_owned()),
        Just("Partitioned".to_owned()),
        prop::sample::select(vec!["Lax", "Strict", "None", "bogus", "lax"])
            .prop_map(|v| format!("SameSite={v}")),
        (-100i64..40_000_000).prop_map(|n| format!("Max-Age={n}")),
        prop::sample::select(vec!["+60", "abc", "", "0", "-1", "1800", "3600"])
            .prop_map(|v| format!("Max-Age={v}")),
        (-100_000_000i64..1_000_000_000).prop_map(|offset| {
            let mut date = Vec::new();
            write_imf_fixdate(NOW + offset, &mut date);
            format!("Expires={}", String::from_utf8(date).expect("dates are ASCII"))
        }),
        prop::sample::select(vec![
            "Fri, 01 Jan 1600 00:00:00 GMT",
            "garbage",
            "Thu, 01 Jan 1970 00:00:00 GMT"
        ])
        .prop_map(|v| format!("Expires={v}")),
        prop::sample::select(vec!["/", "/app", "/other", "foo", "", "/e-tjanster"])
            .prop_map(|v| format!("Path={v}")),
        prop::sample::select(vec![
            "example.com",
            ".example.com",
            "www.example.com",
            "sub.example.com",
            "evil.com",
            "com",
            "EXAMPLE.COM"
        ])
        .prop_map(|v| format!("Domain={v}")),
        "[A-Za-z]{1,8}(=[A-Za-z0-9]{0,8})?",
    ]
}

/// A value that cannot occur in any detail text by accident.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "VqX[A-Za-z0-9._~-]{8,20}",
        1 => "VqX[A-Za-z0-9]{4,8}\t[A-Za-z0-9]{2,6}",
        1 => "VqX[A-Za-z0-9]{4,8}=[A-Za-z0-9]{2,6}",
    ]
}

#[derive(Debug, Clone)]
struct Input {
    settings: usize,
    url: &'static str,
    consent: Option<&'static str>,
    gpc: bool,
    header: Vec<u8>,
    value: String,
    now: i64,
}

fn input() -> impl Strategy<Value = Input> {
    (
        0..SETTINGS.len(),
        prop::sample::select(URLS.to_vec()),
        prop::sample::select(vec![
            None,
            Some("necessary"),
            Some("statistics,functional"),
            Some("marketing"),
        ]),
        any::<bool>(),
        prop::sample::select(NAMES.to_vec()),
        value(),
        prop::collection::vec(attribute(), 0..7),
        prop_oneof![Just(NOW), (NOW - 5_000..NOW + 5_000)],
    )
        .prop_map(|(settings, url, consent, gpc, name, value, attributes, now)| {
            let mut header = if name.is_empty() {
                value.clone()
            } else {
                format!("{name}={value}")
            };
            for attribute in attributes {
                header.push_str("; ");
                header.push_str(&attribute);
            }
            Input {
                settings,
                url,
                consent,
                gpc,
                header: header.into_bytes(),
                value,
                now,
            }
        })
}

fn with_decision<R>(
    input: &Input,
    header: &[u8],
    f: impl FnOnce(&CompiledPolicy, &RequestContext<'_>, Decision<'_, '_>) -> R,
) -> R {
    let policy = &policies()[input.settings];
    let url = RequestUrlBuf::parse(input.url).expect("test url parses");
    let context = RequestContext {
        url: url.as_url(),
        method: "GET",
        gpc: input.gpc,
        consent_cookie: input.consent.map(|v| ConsentCookie(v.as_bytes())),
    };
    let decision = policy.judge(&context).decide(header, input.now);
    f(policy, &context, decision)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn a_fix_re_evaluates_as_allow(input in input()) {
        let rewritten = with_decision(&input, &input.header, |_, _, d| d.rewritten);
        if let Some(fixed) = rewritten {
            with_decision(&input, &fixed, |_, context, again| {
                prop_assert_eq!(again.verdict, Verdict::Allow, "{:?} -> {:?}", String::from_utf8_lossy(&input.header), again);
                // Canonical output is stable: it leaves as it is the second time.
                prop_assert_eq!(again.leaving(&fixed), Some(&fixed[..]));
                let original = parse(&input.header, &context.url);
                let reparsed = parse(&fixed, &context.url);
                prop_assert_eq!(original.name, reparsed.name);
                // A deletion leaves as a canonical one, with an empty value.
                if original.is_deletion(input.now) || reparsed.is_deletion(input.now) {
                    prop_assert!(reparsed.is_deletion(input.now));
                    prop_assert!(reparsed.value.is_empty() || reparsed.name.is_empty());
                } else {
                    prop_assert_eq!(original.value, reparsed.value);
                }
                Ok(())
            })?;
        }
    }

    #[test]
    fn only_allowed_names_leave_and_everyone_reads_them_alike(input in input()) {
        with_decision(&input, &input.header, |policy, context, d| {
            if let Some(leaving) = d.leaving(&input.header) {
                let cookie = parse(leaving, &context.url);
                prop_assert!(cookie.rejection.is_none(), "a dropped line leaves: {:?}", cookie);
                prop_assert!(cookie.ambiguities.is_empty(), "an ambiguous line leaves: {:?}", cookie);
                let scope = policy.scope_for(context.url.host, context.url.path);
                let in_scope = matches!(policy.match_name(cookie.name, scope), NameMatch::InScope(_));
                prop_assert!(in_scope || cookie.is_deletion(input.now), "{:?} leaves: {:?}", cookie, d);
            }
            Ok(())
        })?;
    }

    #[test]
    fn deciding_twice_gives_the_same(input in input()) {
        let first = with_decision(&input, &input.header, |_, _, d| format!("{d:?} {:?}", d.rewritten));
        let second = with_decision(&input, &input.header, |_, _, d| format!("{d:?} {:?}", d.rewritten));
        prop_assert_eq!(first, second);
    }

    #[test]
    fn no_detail_contains_the_value(input in input()) {
        with_decision(&input, &input.header, |_, _, d| {
            let printed = format!("{d:?}");
            prop_assert!(!printed.contains(&input.value), "{}", printed);
            for v in &d.violations {
                let detail = v.detail.to_string();
                prop_assert!(!detail.contains(&input.value), "{}: {}", v.kind, detail);
                prop_assert!(!detail.contains("VqX"), "{}: {}", v.kind, detail);
            }
            Ok(())
        })?;
    }

    /// Arbitrary bytes never panic, and decide the same way twice.
    #[test]
    fn any_bytes_are_decided(header in prop::collection::vec(any::<u8>(), 0..96), url in prop::sample::select(URLS.to_vec())) {
        let input = Input { settings: 0, url, consent: None, gpc: false, header: header.clone(), value: String::new(), now: NOW };
        let owned = |d: Decision<'_, '_>| {
            let violations: Vec<_> = d.violations.iter().map(|v| (v.kind, v.detail.to_string())).collect();
            (d.verdict, violations, d.rewritten)
        };
        let a = with_decision(&input, &header, |_, _, d| owned(d));
        let b = with_decision(&input, &header, |_, _, d| owned(d));
        prop_assert_eq!(a, b);
    }
}
