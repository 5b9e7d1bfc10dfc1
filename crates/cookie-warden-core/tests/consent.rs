//! Consent cookie formats, missing and malformed consent (fail closed), and Global Privacy Control.

use cookie_warden_core::consent::{
    CategorySet, ConsentCookieState, ConsentState, granted_categories, required_categories,
};
use cookie_warden_core::policy::model::{Category, Consent, ConsentFormat};
use cookie_warden_core::request::{ConsentCookie, RequestContext, RequestUrl};

use Category::{Functional, Marketing, Necessary, Statistics};

fn consent(format: ConsentFormat, separator: &str) -> Consent {
    Consent {
        cookie: "consent".to_owned(),
        format,
        separator: separator.to_owned(),
        required: None,
        honor_gpc: true,
        purge: false,
    }
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
    let list = consent(ConsentFormat::List, ",");
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
            granted_categories(value, &list),
            set(expected),
            "{}",
            String::from_utf8_lossy(value)
        );
    }
}

#[test]
fn list_format_honours_the_separator() {
    let pipe = consent(ConsentFormat::List, "|");
    assert_eq!(
        granted_categories(b"necessary|statistics", &pipe),
        set(&[Necessary, Statistics])
    );
    // With `|` as separator, a comma is part of one unknown name.
    assert_eq!(
        granted_categories(b"necessary,statistics", &pipe),
        CategorySet::EMPTY
    );
    let multi = consent(ConsentFormat::List, "::");
    assert_eq!(
        granted_categories(b"statistics::marketing", &multi),
        set(&[Statistics, Marketing])
    );
    assert_eq!(
        granted_categories(b"statistics:marketing", &multi),
        CategorySet::EMPTY
    );
}

#[test]
fn json_format_grants_only_true() {
    let json = consent(ConsentFormat::Json, ",");
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
            granted_categories(value, &json),
            set(expected),
            "{}",
            String::from_utf8_lossy(value)
        );
    }
}

#[test]
fn malformed_consent_grants_nothing() {
    let json = consent(ConsentFormat::Json, ",");
    let list = consent(ConsentFormat::List, ",");
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
            granted_categories(value, &json),
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
            granted_categories(value, &list),
            CategorySet::EMPTY,
            "{}",
            String::from_utf8_lossy(value)
        );
    }
}

#[test]
fn required_defaults_to_all_but_necessary() {
    let mut c = consent(ConsentFormat::List, ",");
    assert_eq!(required_categories(&c), set(&[Functional, Statistics, Marketing]));
    c.required = Some(vec![Marketing]);
    assert_eq!(required_categories(&c), set(&[Marketing]));
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
    let c = consent(ConsentFormat::List, ",");
    let state = ConsentState::resolve(Some(&c), &context(None, false));
    assert_eq!(state.cookie(), ConsentCookieState::Absent);
    assert!(state.allows(Necessary));
    assert!(!state.allows(Statistics) && !state.allows(Marketing) && !state.allows(Functional));
    assert_eq!(state.withdrawn(), set(&[Functional, Statistics, Marketing]));
}

#[test]
fn state_malformed_cookie_is_no_consent() {
    let c = consent(ConsentFormat::Json, ",");
    let state = ConsentState::resolve(Some(&c), &context(Some(br#"{"statistics":"#), false));
    assert_eq!(state.cookie(), ConsentCookieState::GrantsNothing);
    assert_eq!(state.withdrawn(), set(&[Functional, Statistics, Marketing]));
}

#[test]
fn gpc_withdraws_all_but_necessary_when_honoured() {
    let mut c = consent(ConsentFormat::List, ",");
    c.required = Some(Category::ALL.to_vec());
    let cookie: &[u8] = b"necessary,functional,statistics,marketing";

    let off = ConsentState::resolve(Some(&c), &context(Some(cookie), false));
    assert!(Category::ALL.iter().all(|cat| off.allows(*cat)));
    assert!(!off.gpc_applied());

    let on = ConsentState::resolve(Some(&c), &context(Some(cookie), true));
    assert!(on.gpc_applied());
    assert!(on.allows(Necessary));
    assert_eq!(on.withdrawn(), set(&[Functional, Statistics, Marketing]));
    assert_eq!(on.granted(), set(&[Necessary]));

    c.honor_gpc = false;
    let ignored = ConsentState::resolve(Some(&c), &context(Some(cookie), true));
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
    let c = consent(ConsentFormat::List, ",");
    let ctx = context(Some(b"statistics-secret-value"), false);
    let state = ConsentState::resolve(Some(&c), &ctx);
    let printed = format!("{ctx:?} {state:?}");
    assert!(!printed.contains("secret"), "{printed}");
}
