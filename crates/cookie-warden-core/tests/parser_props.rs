//! Properties of the Set-Cookie parser over generated input: it never panics, it never accepts a
//! line with a control byte, its canonical form parses back to the same cookie, and its `Debug`
//! output never shows a value.

use cookie_warden_core::request::RequestUrl;
use cookie_warden_core::set_cookie::{Rejection, SetCookie, parse};
use proptest::prelude::*;

/// The request URLs the properties run against.
fn url() -> impl Strategy<Value = RequestUrl<'static>> {
    (
        any::<bool>(),
        prop::sample::select(vec![
            "www.example.com",
            "example.com",
            "a.b.example.co.uk",
            "10.0.0.1",
            "github.io",
        ]),
        prop::sample::select(vec!["/", "/dir/page", "/a/b/", ""]),
    )
        .prop_map(|(secure, host, path)| RequestUrl { secure, host, path })
}

/// Attribute names in assorted cases, plus some unknown ones.
fn attribute_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "Expires",
            "Max-Age",
            "Domain",
            "Path",
            "Secure",
            "HttpOnly",
            "SameSite",
            "Partitioned",
            "max-age",
            "EXPIRES",
            "domain",
            "path",
            "secure",
            "httponly",
            "samesite",
            "partitioned",
            "Comment",
            "",
            "Version",
        ])
        .prop_map(str::to_owned),
        "[A-Za-z-]{1,10}",
    ]
}

/// Attribute values that hit the interesting branches of each attribute.
fn attribute_value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            "/",
            "/dir",
            "foo",
            "example.com",
            ".Example.COM",
            "www.example.com",
            "com",
            "co.uk",
            "10.0.0.1",
            "0.0.1",
            "Strict",
            "lax",
            "NONE",
            "bogus",
            "60",
            "-1",
            "+60",
            "0",
            "99999999999999999999",
            "abc",
            "Wed, 09 Jun 2021 10:18:14 GMT",
            "Thu, 09-Jun-33 10:18:14",
            "Thu, 10 Sep 1600 20:00:00 GMT",
            "Thu, 10-Sep-0 20:00:00 GMT",
            "9 Jun 2033 1:2:3",
            "github.io",
        ])
        .prop_map(str::to_owned),
        "[ -:<-~]{0,12}",
        "/[a-z/]{0,8}",
    ]
}

/// Whole headers: a name-value pair and attributes, with assorted spacing, mostly printable.
fn header() -> impl Strategy<Value = Vec<u8>> {
    let pair = prop_oneof![
        ("[!-:<-~ \t]{0,12}", "[!-:<-~ \t]{0,12}").prop_map(|(n, v)| format!("{n}={v}")),
        "[!-:<-~ \t]{0,12}",
        prop::sample::select(vec![
            "__Host-sid=1",
            "__Secure-x=2",
            "=__Host-x",
            "__host-a=b",
            "a=b=c",
            "=v"
        ])
        .prop_map(str::to_owned),
    ];
    let attribute = (
        attribute_name(),
        prop::option::of(attribute_value()),
        "[ \t]{0,2}",
    )
        .prop_map(|(name, value, space)| match value {
            Some(value) => format!(";{space}{name}{space}={space}{value}"),
            None => format!(";{space}{name}"),
        });
    (pair, prop::collection::vec(attribute, 0..8)).prop_map(|(pair, attributes)| {
        let mut header = pair.into_bytes();
        for attribute in attributes {
            header.extend_from_slice(attribute.as_bytes());
        }
        header
    })
}

/// What a browser stores, as comparable values. An Expires beside a valid Max-Age is moot (Max-Age
/// wins in every reader), and the canonical form leaves it out.
fn stored(cookie: &SetCookie<'_>, url: &RequestUrl<'_>) -> impl PartialEq + std::fmt::Debug {
    let expires = if cookie.max_age.is_some() {
        None
    } else {
        cookie.expires
    };
    (
        (cookie.name.to_vec(), cookie.value.to_vec()),
        (cookie.max_age, expires),
        (
            cookie.secure,
            cookie.http_only,
            cookie.partitioned,
            cookie.same_site,
        ),
        cookie.effective_path(url).to_vec(),
        cookie.domain.as_deref().map(str::to_owned),
    )
}

fn assert_round_trip(header: &[u8], url: &RequestUrl<'_>) -> Result<(), TestCaseError> {
    let cookie = parse(header, url);
    if cookie.rejection.is_some() {
        return Ok(());
    }
    let canonical = cookie.to_canonical();
    let again = parse(&canonical, url);
    prop_assert_eq!(again.rejection, None, "canonical form rejected: {:?}", again);
    prop_assert_eq!(stored(&again, url), stored(&cookie, url));
    prop_assert_eq!(again.to_canonical(), canonical, "canonical form is a fixed point");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..6000), url in url()) {
        let cookie = parse(&bytes, &url);
        let _ = cookie.to_canonical();
        let _ = format!("{cookie:?}");
        prop_assert_eq!(cookie.raw_attributes().count(), bytes.iter().filter(|&&b| b == b';').count());
    }

    #[test]
    fn canonical_form_round_trips(header in header(), url in url()) {
        assert_round_trip(&header, &url)?;
    }

    #[test]
    fn canonical_form_round_trips_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300), url in url()) {
        assert_round_trip(&bytes, &url)?;
    }

    #[test]
    fn never_accepts_a_control_byte(
        header in header(),
        at in any::<prop::sample::Index>(),
        control in prop_oneof![0x00u8..=0x08, 0x0au8..=0x1f, Just(0x7fu8)],
        url in url(),
    ) {
        let mut header = header;
        let at = at.index(header.len() + 1);
        header.insert(at, control);
        prop_assert_eq!(parse(&header, &url).rejection, Some(Rejection::ControlCharacter));
    }

    #[test]
    fn accepted_lines_have_no_control_byte(bytes in prop::collection::vec(any::<u8>(), 0..64), url in url()) {
        let cookie = parse(&bytes, &url);
        if cookie.rejection.is_none() {
            prop_assert!(!bytes.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f));
        }
    }

    #[test]
    fn debug_never_shows_the_value(value in "[A-Za-z0-9]{6,24}", url in url()) {
        let marker = format!("VALUE{value}");
        let header = format!("sid={marker}; Path=/; Secure");
        let cookie = parse(header.as_bytes(), &url);
        let debug = format!("{cookie:?} {:?}", cookie.raw_attributes().collect::<Vec<_>>());
        prop_assert!(!debug.contains(&marker), "{}", debug);
    }
}
