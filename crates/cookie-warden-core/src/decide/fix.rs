//! The `fix` rewrite: what to correct, and the corrected cookie that the canonical serializer
//! writes.
//!
//! A fix must never write a header that a browser drops or that would not be allowed: the
//! corrected cookie is judged again as [`parse`](crate::set_cookie::parse) would read its
//! canonical form. [`as_reparsed`] says what that read gives without writing and parsing the
//! bytes; the property test below proves it equal to the real parse.

use crate::request::RequestUrl;
use crate::set_cookie;
use crate::set_cookie::prefix::CookiePrefix;
use crate::set_cookie::{AttributeCounts, MAX_ATTRIBUTE_VALUE_LEN, SameSite, SetCookie};

/// How a fix changes the cookie's expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LifetimeFix {
    /// Remove Expires and Max-Age: a session cookie.
    Session,
    /// `Max-Age` = these seconds, Expires removed.
    MaxAge(i64),
}

/// What a fix corrects. The default corrects nothing: the canonical form alone (each attribute
/// once, invalid and oversized ones left out) is then the fix.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Correction<'p> {
    /// The expiry to write instead.
    pub(super) lifetime: Option<LifetimeFix>,
    /// Add `Secure`.
    pub(super) secure: bool,
    /// Add `HttpOnly`.
    pub(super) http_only: bool,
    /// Write this SameSite.
    pub(super) same_site: Option<SameSite>,
    /// Write this Path.
    pub(super) path: Option<&'p [u8]>,
    /// Remove the Domain attribute (host-only).
    pub(super) remove_domain: bool,
    /// Write a canonical deletion: an empty value (a nameless cookie keeps its value, which is all
    /// it has), `Max-Age=0`, no Expires; every other attribute (Path, Domain, Secure, Partitioned
    /// …) as read, so that it matches the cookie it deletes.
    pub(super) delete: bool,
    /// No canonical form reads the same in every browser: the header cannot be fixed.
    pub(super) unfixable: bool,
}

impl<'p> Correction<'p> {
    /// The cookie with the corrections applied, ready for
    /// [`SetCookie::write_canonical`](crate::set_cookie::SetCookie::write_canonical).
    pub(super) fn apply<'a>(&self, cookie: &SetCookie<'a>) -> SetCookie<'a>
    where
        'p: 'a,
    {
        let mut fixed = cookie.clone();
        match self.lifetime {
            Some(LifetimeFix::Session) => {
                fixed.max_age = None;
                fixed.expires = None;
            }
            Some(LifetimeFix::MaxAge(seconds)) => {
                fixed.max_age = Some(seconds);
                fixed.expires = None;
            }
            None => {}
        }
        fixed.secure |= self.secure;
        fixed.http_only |= self.http_only;
        if let Some(same_site) = self.same_site {
            fixed.same_site = same_site;
        }
        if let Some(path) = self.path {
            fixed.path = Some(path);
        }
        if self.remove_domain {
            fixed.domain = None;
        }
        if self.delete {
            fixed.max_age = Some(0);
            fixed.expires = None;
            if !fixed.name.is_empty() {
                fixed.value = b"";
            }
        }
        fixed
    }
}

/// What [`parse`](crate::set_cookie::parse) reads, for `url`, from the canonical form
/// ([`SetCookie::write_canonical`]) of `fixed`: an accepted cookie with corrections applied.
///
/// The canonical form writes each attribute once with a valid value, so the re-read has no
/// duplicate, invalid or oversized attribute and none of the ambiguities those cause; the name,
/// value and Domain come from the accepted header (so no control byte, and a Domain that
/// domain-matches the host); what a correction changes (`Secure`, the Path, the Domain's removal)
/// can make a browser drop the line, which the parser's own rejection check decides.
pub(super) fn as_reparsed<'a>(mut fixed: SetCookie<'a>, url: &RequestUrl<'_>) -> SetCookie<'a> {
    // The canonical form writes Expires only without a Max-Age.
    if fixed.max_age.is_some() {
        fixed.expires = None;
    }
    let mut counts = AttributeCounts {
        path: u16::from(fixed.path.is_some()),
        domain: u16::from(fixed.domain.is_some()),
        max_age: u16::from(fixed.max_age.is_some()),
        expires: u16::from(fixed.expires.is_some()),
        secure: u16::from(fixed.secure),
        http_only: u16::from(fixed.http_only),
        same_site: u16::from(fixed.same_site != SameSite::Default),
        partitioned: u16::from(fixed.partitioned),
        ..AttributeCounts::default()
    };
    // A policy's Path longer than browsers read is ignored by them (the default path applies).
    if fixed.path.is_some_and(|p| p.len() > MAX_ATTRIBUTE_VALUE_LEN) {
        fixed.path = None;
        counts.path = 0;
        counts.oversize = 1;
    }
    fixed.attributes = counts;
    let prefix = CookiePrefix::of(fixed.name);
    let flags = &mut fixed.ambiguities;
    flags.max_age_invalid_after_valid = false;
    flags.max_age_plus_sign = false;
    flags.expires_invalid_after_valid = false;
    flags.expires_year_out_of_range = false;
    flags.host_prefix_path_not_slash = prefix == Some(CookiePrefix::Host) && fixed.path != Some(b"/");
    // Control bytes and the Domain checks cannot newly fail after a fix: the rest in the parser's order.
    fixed.rejection = set_cookie::rejection(&fixed, false, prefix, url, None);
    fixed.unparsed_attributes = &[];
    fixed.header = &[];
    fixed
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::set_cookie::parse;

    fn url() -> impl Strategy<Value = RequestUrl<'static>> {
        (
            any::<bool>(),
            prop::sample::select(vec!["www.example.com", "example.com", "10.0.0.1"]),
            prop::sample::select(vec!["/", "/dir/page", "/a/b/", "/app/x"]),
        )
            .prop_map(|(secure, host, path)| RequestUrl { secure, host, path })
    }

    fn header() -> impl Strategy<Value = String> {
        let name = prop::sample::select(vec![
            "sid=",
            "__Host-sid=",
            "__HOST-x=",
            "__Secure-p=",
            "__secure-q=",
            "",
            "=",
            " n = ",
            "a\tb=",
        ]);
        let value = prop::sample::select(vec!["v", "", "x=y", "__Host-v", " sp ", "t\tab"]);
        let attribute = prop::sample::select(vec![
            "Path=/",
            "Path=/app",
            "path=/a/b",
            "Path=",
            "Path=rel",
            "Domain=example.com",
            "Domain=.EXAMPLE.com",
            "domain=www.example.com",
            "Max-Age=60",
            "Max-Age=0",
            "Max-Age=-5",
            "Max-Age=+60",
            "Max-Age=abc",
            "max-age=99999999999",
            "Expires=Thu, 09 Jun 2033 10:18:14 GMT",
            "Expires=Wed, 01 Jan 1600 00:00:00 GMT",
            "expires=garbage",
            "Expires=Sun, 06 Nov 1994 08:49:37 GMT",
            "Secure",
            "HttpOnly",
            "SameSite=Lax",
            "SameSite=strict",
            "SameSite=None",
            "SameSite=bogus",
            "Partitioned",
            "Unknown=1",
        ]);
        (name, value, prop::collection::vec(attribute, 0..6)).prop_map(|(name, value, attributes)| {
            let mut header = format!("{name}{value}");
            for attribute in attributes {
                header.push_str("; ");
                header.push_str(attribute);
            }
            header
        })
    }

    fn correction() -> impl Strategy<Value = Correction<'static>> {
        (
            prop::sample::select(vec![
                None,
                Some(LifetimeFix::Session),
                Some(LifetimeFix::MaxAge(0)),
                Some(LifetimeFix::MaxAge(3600)),
                Some(LifetimeFix::MaxAge(34_560_000)),
            ]),
            any::<bool>(),
            any::<bool>(),
            prop::sample::select(vec![None, Some(SameSite::Lax), Some(SameSite::Strict)]),
            prop::sample::select(vec![
                None,
                Some(&b"/"[..]),
                Some(&b"/app"[..]),
                Some(&b"/dir"[..]),
            ]),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(
                |(lifetime, secure, http_only, same_site, path, remove_domain, delete)| Correction {
                    lifetime,
                    secure,
                    http_only,
                    same_site,
                    path,
                    remove_domain,
                    delete,
                    unfixable: false,
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 10_000, ..ProptestConfig::default() })]

        /// `as_reparsed` is exactly what the parser reads from the canonical form.
        #[test]
        fn as_reparsed_is_the_parse_of_the_canonical_form(
            header in header(),
            url in url(),
            correction in correction(),
        ) {
            let cookie = parse(header.as_bytes(), &url);
            // Only accepted cookies without an unfixable ambiguity are ever fixed.
            if cookie.rejection.is_some() || !cookie.ambiguities.fixed_by_canonical_form() {
                return Ok(());
            }
            let fixed = correction.apply(&cookie);
            let bytes = fixed.to_canonical();
            let mut parsed = parse(&bytes, &url);
            let predicted = as_reparsed(fixed, &url);
            parsed.unparsed_attributes = &[];
            parsed.header = &[];
            prop_assert_eq!(&predicted, &parsed, "{:?}", String::from_utf8_lossy(&bytes));
            prop_assert_eq!(predicted.value, parsed.value);
        }
    }

    #[test]
    fn a_policy_path_too_long_for_browsers_is_read_as_absent() {
        let url = RequestUrl {
            secure: true,
            host: "example.com",
            path: "/a/b",
        };
        let long = format!("/{}", "p".repeat(MAX_ATTRIBUTE_VALUE_LEN));
        let cookie = parse(b"sid=1", &url);
        let fixed = Correction {
            path: Some(long.as_bytes()),
            ..Correction::default()
        }
        .apply(&cookie);
        let bytes = fixed.to_canonical();
        let mut parsed = parse(&bytes, &url);
        parsed.unparsed_attributes = &[];
        parsed.header = &[];
        assert_eq!(as_reparsed(fixed, &url), parsed);
    }
}
