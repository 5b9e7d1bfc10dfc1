//! A deliberately plain model of the parser (test builds only): the §5.6 and §5.7 steps written
//! with nothing but slice iterators, so that the tuned [`super::parse`] can be compared with it
//! field by field on generated input.

use super::attributes::{AttributeCounts, AttributeKind, MAX_ATTRIBUTE_VALUE_LEN};
use super::date::{DateError, parse_cookie_date_full};
use super::domain::{DomainOutcome, check_domain};
use super::max_age::{MaxAge, parse_max_age};
use super::parse::MAX_NAME_VALUE_LEN;
use super::{Ambiguities, Rejection, SameSite, SetCookie, default_path};
use crate::request::RequestUrl;

fn trim(bytes: &[u8]) -> &[u8] {
    let is_wsp = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes.iter().position(|b| !is_wsp(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_wsp(b))
        .map_or(start, |last| last + 1);
    &bytes[start..end]
}

fn split_at_first(bytes: &[u8], needle: u8) -> Option<(&[u8], &[u8])> {
    let at = bytes.iter().position(|&b| b == needle)?;
    Some((&bytes[..at], &bytes[at + 1..]))
}

fn kind_of(name: &[u8]) -> AttributeKind {
    const NAMES: [(&[u8], AttributeKind); 8] = [
        (b"expires", AttributeKind::Expires),
        (b"max-age", AttributeKind::MaxAge),
        (b"domain", AttributeKind::Domain),
        (b"path", AttributeKind::Path),
        (b"secure", AttributeKind::Secure),
        (b"httponly", AttributeKind::HttpOnly),
        (b"samesite", AttributeKind::SameSite),
        (b"partitioned", AttributeKind::Partitioned),
    ];
    NAMES
        .iter()
        .find(|(known, _)| name.eq_ignore_ascii_case(known))
        .map_or(AttributeKind::Unknown, |&(_, kind)| kind)
}

#[derive(PartialEq)]
enum Prefix {
    Secure,
    Host,
}

fn prefix_of(name: &[u8]) -> Option<Prefix> {
    let starts = |p: &[u8]| name.len() >= p.len() && name[..p.len()].eq_ignore_ascii_case(p);
    if starts(b"__secure-") {
        Some(Prefix::Secure)
    } else if starts(b"__host-") {
        Some(Prefix::Host)
    } else {
        None
    }
}

/// The model: same signature and result as [`super::parse`].
pub(crate) fn parse<'h>(header: &'h [u8], url: &RequestUrl<'_>) -> SetCookie<'h> {
    let (name_value, unparsed_attributes) = match header.iter().position(|&b| b == b';') {
        Some(at) => (&header[..at], &header[at..]),
        None => (header, &[][..]),
    };
    let (name, value) = split_at_first(name_value, b'=').unwrap_or((&[], name_value));
    let (name, value) = (trim(name), trim(value));
    let mut cookie = SetCookie {
        name,
        value,
        max_age: None,
        expires: None,
        secure: false,
        http_only: false,
        partitioned: false,
        same_site: SameSite::Default,
        path: None,
        domain: None,
        rejection: None,
        ambiguities: Ambiguities::default(),
        attributes: AttributeCounts::default(),
        unparsed_attributes,
        header,
    };
    let (mut max_age_valid_before, mut expires_valid_before) = (false, false);
    let mut last_domain = None;
    let mut last_path = None;
    let mut ambiguities = Ambiguities::default();
    // Every piece after the first `;` is one cookie-av.
    if !unparsed_attributes.is_empty() {
        for cookie_av in unparsed_attributes[1..].split(|&b| b == b';') {
            let (name, value) = split_at_first(cookie_av, b'=').unwrap_or((cookie_av, &[]));
            let (name, value) = (trim(name), trim(value));
            if value.len() > MAX_ATTRIBUTE_VALUE_LEN {
                cookie.attributes.oversize = cookie.attributes.oversize.saturating_add(1);
                continue;
            }
            let kind = kind_of(name);
            cookie.attributes.add(kind);
            match kind {
                AttributeKind::Expires => match parse_cookie_date_full(value) {
                    Ok(at) => {
                        cookie.expires = Some(at);
                        expires_valid_before = true;
                        ambiguities.expires_invalid_after_valid = false;
                        ambiguities.expires_year_out_of_range = false;
                    }
                    Err(why) => {
                        ambiguities.expires_invalid_after_valid = expires_valid_before;
                        ambiguities.expires_year_out_of_range = why == DateError::YearOutOfRange;
                    }
                },
                AttributeKind::MaxAge => match parse_max_age(value) {
                    MaxAge::Seconds(seconds) => {
                        cookie.max_age = Some(seconds);
                        max_age_valid_before = true;
                        ambiguities.max_age_invalid_after_valid = false;
                        ambiguities.max_age_plus_sign = false;
                    }
                    invalid => {
                        ambiguities.max_age_invalid_after_valid = max_age_valid_before;
                        ambiguities.max_age_plus_sign = invalid == MaxAge::PlusSign;
                    }
                },
                AttributeKind::Domain => last_domain = Some(value),
                AttributeKind::Path => {
                    last_path = Some(value);
                    cookie.path = value.starts_with(b"/").then_some(value);
                }
                AttributeKind::Secure => cookie.secure = true,
                AttributeKind::HttpOnly => cookie.http_only = true,
                AttributeKind::SameSite => cookie.same_site = SameSite::from_attribute_value(value),
                AttributeKind::Partitioned => cookie.partitioned = true,
                AttributeKind::Unknown => {}
            }
        }
    }
    let mut domain_rejection = None;
    if let Some(raw) = last_domain {
        match check_domain(raw, url.host) {
            DomainOutcome::HostOnly => {}
            DomainOutcome::Domain(domain) => cookie.domain = Some(domain),
            DomainOutcome::Rejected(why) => domain_rejection = Some(why),
        }
    }
    ambiguities.tab_in_name_or_value = name.contains(&b'\t') || value.contains(&b'\t');
    ambiguities.nameless_value_has_equals = name.is_empty() && value.contains(&b'=');
    ambiguities.host_prefix_path_not_slash =
        prefix_of(name) == Some(Prefix::Host) && last_path != Some(&b"/"[..]);
    cookie.ambiguities = ambiguities;

    let control = header.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f);
    cookie.rejection = if control {
        Some(Rejection::ControlCharacter)
    } else if name.len() + value.len() > MAX_NAME_VALUE_LEN {
        Some(Rejection::NameValueTooLong)
    } else if name.is_empty() && value.is_empty() {
        Some(Rejection::EmptyNameAndValue)
    } else if domain_rejection.is_some() {
        domain_rejection
    } else if cookie.secure && !url.secure {
        Some(Rejection::SecureFromInsecureOrigin)
    } else if cookie.same_site == SameSite::None && !cookie.secure {
        Some(Rejection::SameSiteNoneWithoutSecure)
    } else if prefix_of(name) == Some(Prefix::Secure) && !cookie.secure {
        Some(Rejection::SecurePrefix)
    } else if prefix_of(name) == Some(Prefix::Host)
        && (!cookie.secure
            || cookie.domain.is_some()
            || cookie.path.unwrap_or(default_path(url.path).as_bytes()) != b"/")
    {
        Some(Rejection::HostPrefix)
    } else if name.is_empty() && prefix_of(value).is_some() {
        Some(Rejection::NamelessPrefix)
    } else if cookie.partitioned && !cookie.secure {
        Some(Rejection::PartitionedWithoutSecure)
    } else {
        None
    };
    cookie
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

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
            prop::sample::select(vec!["/", "/dir/page", ""]),
        )
            .prop_map(|(secure, host, path)| RequestUrl { secure, host, path })
    }

    /// Bytes that steer the scanner: delimiters, space and tab, controls, case variants, high bytes.
    fn piece() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            4 => prop::sample::select(vec![
                "Expires", "expires", "EXPIRES", "Max-Age", "max-age", "MAX\rAGE", "Max_Age", "Domain",
                "DOMAIN", "Path", "pAtH", "Secure", "secure", "HttpOnly", "httponly", "SameSite",
                "samesite", "Partitioned", "PARTITIONED", "partitionex", "Lax", "strict", "None",
                "__Host-", "__host-", "__Secure-", "__SECURE-", "_", "__", "=", ";", " ", "\t", "  ",
                "/", "example.com", ".Example.COM", "www.example.com", "com", "co.uk", "github.io",
                "10.0.0.1", "60", "-1", "+60", "0", "99999999999999999999",
                "Wed, 09 Jun 2021 10:18:14 GMT", "Thu, 09-Jun-33 10:18:14", "Sun, 06 Nov 1994 08:49:37 GMT",
                "Thu, 10 Sep 1600 20:00:00 GMT", "Jan, 09 Jun 2033 10:18:14 GMT", "\u{7f}", "\x00",
                "\x0b", "\u{e9}",
            ])
            .prop_map(|s| s.as_bytes().to_vec()),
            2 => "[ -~]{0,12}".prop_map(String::into_bytes),
            1 => prop::collection::vec(any::<u8>(), 0..12),
            1 => (1025usize..1030, prop::sample::select(vec![b'v', b' ', b'/'])).prop_map(|(n, b)| vec![b; n]),
            1 => (60usize..80).prop_map(|n| vec![b'x'; n]),
        ]
    }

    fn header() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(piece(), 0..24).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

        #[test]
        fn parse_matches_the_model_on_assembled_headers(header in header(), url in url()) {
            prop_assert_eq!(super::super::parse(&header, &url), parse(&header, &url));
        }

        #[test]
        fn parse_matches_the_model_on_arbitrary_bytes(
            bytes in prop::collection::vec(any::<u8>(), 0..200),
            url in url(),
        ) {
            prop_assert_eq!(super::super::parse(&bytes, &url), parse(&bytes, &url));
        }

        #[test]
        fn parse_matches_the_model_on_mostly_printable_bytes(
            text in "[ -~\t]{0,150}",
            url in url(),
        ) {
            prop_assert_eq!(super::super::parse(text.as_bytes(), &url), parse(text.as_bytes(), &url));
        }
    }
}
