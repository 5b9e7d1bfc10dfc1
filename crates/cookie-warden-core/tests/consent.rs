//! Consent cookie formats, missing and malformed consent (fail closed), and Global Privacy Control.

use cookie_warden_core::consent::{
    CategorySet, ConsentCookieState, ConsentState, granted_categories, required_categories,
};
use cookie_warden_core::policy::load::from_toml_str;
use cookie_warden_core::policy::model::{Category, ConsentFormat};
use cookie_warden_core::policy::{CompiledConsent, CompiledPolicy};
use cookie_warden_core::request::{ConsentCookie, RequestContext, RequestUrl};

use Category::{Functional, Marketing, Necessary, Statistics};

/// A policy whose `[consent]` table holds `consent_toml` (its other lines).
fn policy(consent_toml: &str) -> CompiledPolicy {
    let text = format!(
        "version = 1\n[[cookie]]\nname = \"consent\"\nlifetime = \"persistent\"\n\
         [consent]\ncookie = \"consent\"\n{consent_toml}\n"
    );
    from_toml_str("consent.toml", &text)
        .expect("the test policy loads")
        .policy
}

fn compiled(policy: &CompiledPolicy) -> &CompiledConsent {
    policy.consent().expect("the test policy has [consent]")
}

fn granted(value: &[u8], format: ConsentFormat, separator: &str) -> CategorySet {
    granted_categories(value, format, separator)
}

fn set(categories: &[Category]) -> CategorySet {
    categories.iter().copied().collect()
}

fn context(cookie: Option<&[u8]>, gpc: bool) -> RequestContext<'_> {
    RequestContext {
        url: RequestUrl {
            secure: true,
            host: "www.example.com",
            path: "/",
        },
        method: "GET",
        gpc,
        consent_cookie: cookie.map(ConsentCookie),
    }
}

#[test]
fn list_format_reads_each_listed_category() {
    let cases: &[(&[u8], &[Category])] = &[
        (b"necessary,statistics", &[Necessary, Statistics]),
        (b"statistics", &[Statistics]),
        (
            b" necessary , marketing ,functional",
            &[Necessary, Marketing, Functional],
        ),
        (b"STATISTICS,Marketing", &[Statistics, Marketing]),
        (b"necessary%2Cstatistics", &[Necessary, Statistics]),
        (b"necessary%2cstatistics", &[Necessary, Statistics]),
        (b"\"necessary,statistics\"", &[Necessary, Statistics]),
        (b"statistics,preferences,ads", &[Statistics]),
        (b"statistics,,", &[Statistics]),
    ];
    for (value, expected) in cases {
        assert_eq!(
            granted(value, ConsentFormat::List, ","),
            set(expected),
            "{}",
            String::from_utf8_lossy(value)
        );
    }
}

#[test]
fn list_format_honours_the_separator() {
    let list = ConsentFormat::List;
    assert_eq!(
        granted(b"necessary|statistics", list, "|"),
        set(&[Necessary, Statistics])
    );
    // With `|` as separator, a comma is part of one unknown name.
    assert_eq!(granted(b"necessary,statistics", list, "|"), CategorySet::EMPTY);
    assert_eq!(
        granted(b"statistics::marketing", list, "::"),
        set(&[Statistics, Marketing])
    );
    assert_eq!(granted(b"statistics:marketing", list, "::"), CategorySet::EMPTY);
}

#[test]
fn json_format_grants_only_true() {
    let cases: &[(&[u8], &[Category])] = &[
        (br#"{"statistics":true}"#, &[Statistics]),
        (
            br#"{"necessary":true,"statistics":false,"marketing":true}"#,
            &[Necessary, Marketing],
        ),
        (
            br#" { "Statistics" : true , "other": {"x": [1,2]} } "#,
            &[Statistics],
        ),
        (b"%7B%22statistics%22%3Atrue%7D", &[Statistics]),
        (br#"{}"#, &[]),
        (br#"{"stat\u0069stics":true}"#, &[Statistics]),
        // The same key twice with different answers is a refusal.
        (br#"{"statistics":true,"statistics":false}"#, &[]),
        (br#"{"statistics":false,"statistics":true}"#, &[]),
    ];
    for (value, expected) in cases {
        assert_eq!(
            granted(value, ConsentFormat::Json, ","),
            set(expected),
            "{}",
            String::from_utf8_lossy(value)
        );
    }
}

#[test]
fn malformed_consent_grants_nothing() {
    for value in [
        &br#"{"statistics":"yes"}"#[..],
        br#"{"statistics":1}"#,
        br#"{"statistics":true"#,
        br#"["statistics"]"#,
        br#"true"#,
        br#"statistics"#,
        br#"{"statistics":true} trailing"#,
        b"%7B%22statistics%22%3Atrue%7",
        b"%ZZ",
        b"",
    ] {
        assert_eq!(
            granted(value, ConsentFormat::Json, ","),
            CategorySet::EMPTY,
            "{}",
            String::from_utf8_lossy(value)
        );
    }
    for value in [
        &b""[..],
        b"%",
        b"statistics%2",
        b"statistics%G1marketing",
        b"\xff\xfe",
        b"yes",
        b"all",
    ] {
        assert_eq!(
            granted(value, ConsentFormat::List, ","),
            CategorySet::EMPTY,
            "{}",
            String::from_utf8_lossy(value)
        );
    }
}

#[test]
fn required_defaults_to_all_but_necessary() {
    let default = policy("");
    assert_eq!(
        required_categories(compiled(&default)),
        set(&[Functional, Statistics, Marketing])
    );
    let marketing = policy("required = [\"marketing\"]");
    assert_eq!(required_categories(compiled(&marketing)), set(&[Marketing]));
}

#[test]
fn state_without_consent_table_allows_everything() {
    let state = ConsentState::resolve(None, &context(None, true));
    assert!(Category::ALL.iter().all(|c| state.allows(*c)));
    assert!(state.withdrawn().is_empty());
    assert!(!state.is_configured());
    assert_eq!(state.cookie(), ConsentCookieState::NotConfigured);
}

#[test]
fn state_missing_cookie_withdraws_every_required_category() {
    let p = policy("");
    let state = ConsentState::resolve(Some(compiled(&p)), &context(None, false));
    assert_eq!(state.cookie(), ConsentCookieState::Absent);
    assert!(state.allows(Necessary));
    assert!(!state.allows(Statistics) && !state.allows(Marketing) && !state.allows(Functional));
    assert_eq!(state.withdrawn(), set(&[Functional, Statistics, Marketing]));
}

#[test]
fn state_malformed_cookie_is_no_consent() {
    let p = policy("format = \"json\"");
    let state = ConsentState::resolve(Some(compiled(&p)), &context(Some(br#"{"statistics":"#), false));
    assert_eq!(state.cookie(), ConsentCookieState::GrantsNothing);
    assert_eq!(state.withdrawn(), set(&[Functional, Statistics, Marketing]));
}

#[test]
fn gpc_withdraws_all_but_necessary_when_honoured() {
    let all = "required = [\"necessary\", \"functional\", \"statistics\", \"marketing\"]";
    let p = policy(&format!("{all}\nhonor_gpc = true"));
    let c = compiled(&p);
    let cookie: &[u8] = b"necessary,functional,statistics,marketing";

    let off = ConsentState::resolve(Some(c), &context(Some(cookie), false));
    assert!(Category::ALL.iter().all(|cat| off.allows(*cat)));
    assert!(!off.gpc_applied());

    let on = ConsentState::resolve(Some(c), &context(Some(cookie), true));
    assert!(on.gpc_applied());
    assert!(on.allows(Necessary));
    assert_eq!(on.withdrawn(), set(&[Functional, Statistics, Marketing]));
    assert_eq!(on.granted(), set(&[Necessary]));

    let p = policy(all);
    let ignored = ConsentState::resolve(Some(compiled(&p)), &context(Some(cookie), true));
    assert!(!ignored.gpc_applied());
    assert!(Category::ALL.iter().all(|cat| ignored.allows(*cat)));
}

#[test]
fn category_set_displays_names_and_debug_is_the_same() {
    let s = set(&[Marketing, Necessary]);
    assert_eq!(s.to_string(), "necessary,marketing");
    assert_eq!(format!("{s:?}"), "CategorySet(necessary,marketing)");
    assert_eq!(CategorySet::EMPTY.to_string(), "");
}

#[test]
fn consent_debug_output_hides_the_cookie_value() {
    let p = policy("");
    let ctx = context(Some(b"statistics-secret-value"), false);
    let state = ConsentState::resolve(Some(compiled(&p)), &ctx);
    let printed = format!("{ctx:?} {state:?}");
    assert!(!printed.contains("secret"), "{printed}");
}

mod properties {
    use cookie_warden_core::consent::granted_categories;
    use cookie_warden_core::policy::model::{Category, ConsentFormat};
    use proptest::prelude::*;

    /// The value with each `%XX` decoded (other bytes kept), lowercase: the oracle's view.
    fn decoded_lowercase(value: &[u8]) -> String {
        let mut out = Vec::new();
        let mut rest = value;
        while let Some((&byte, tail)) = rest.split_first() {
            let hex = tail.get(..2).and_then(|h| std::str::from_utf8(h).ok());
            match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(decoded) if byte == b'%' => {
                    out.push(decoded);
                    rest = &tail[2..];
                }
                _ => {
                    out.push(byte);
                    rest = tail;
                }
            }
        }
        String::from_utf8_lossy(&out).to_ascii_lowercase()
    }

    proptest! {
        /// Whatever the bytes, the list format grants a category only when its name appears in
        /// the value: nothing is granted by accident, and nothing panics. (JSON may name a
        /// category with `\u` escapes, so it is checked for panics only.)
        #[test]
        fn only_named_categories_are_granted(
            value in prop_oneof![
                prop::collection::vec(any::<u8>(), 0..64),
                "[a-zA-Z%,|{}\":0-9 tre]{0,48}".prop_map(String::into_bytes),
                prop::collection::vec(
                    prop_oneof![
                        prop::sample::select(vec!["statistics", "Marketing", "necessary", "FUNCTIONAL", "stats"]),
                        prop::sample::select(vec!["%2C", "%7C", " ", "", "x"]),
                    ],
                    0..8,
                )
                .prop_map(|parts| parts.join(",").into_bytes()),
            ],
            separator in prop::sample::select(vec![",", "|", " ", "::"]),
        ) {
            let _ = granted_categories(&value, ConsentFormat::Json, separator);
            let granted = granted_categories(&value, ConsentFormat::List, separator);
            let text = decoded_lowercase(&value);
            for category in Category::ALL {
                if granted.contains(category) {
                    prop_assert!(text.contains(category.as_str()), "{category:?} granted by {value:?}");
                }
            }
        }
    }
}
