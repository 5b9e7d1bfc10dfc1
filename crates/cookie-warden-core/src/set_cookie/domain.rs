//! The `Domain` attribute: §5.6.3 (reading it) and §5.7 steps 7–10 (checking it against the host).

use std::borrow::Cow;
use std::net::Ipv4Addr;

use super::Rejection;

/// What the last `Domain` attribute makes of the cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DomainOutcome<'h> {
    /// No Domain (absent, empty, `.`, or equal to a request host that is itself a public suffix,
    /// such as `localhost`): a host-only cookie.
    HostOnly,
    /// A domain cookie for this lowercase domain (one leading dot dropped).
    Domain(Cow<'h, str>),
    /// The line is dropped.
    Rejected(Rejection),
}

/// §5.6.3 and §5.7 steps 8–10 for the last Domain attribute's (trimmed) value and the request host.
pub(crate) fn check_domain<'h>(value: &'h [u8], host: &str) -> DomainOutcome<'h> {
    let value = value.strip_prefix(b".").unwrap_or(value);
    if value.is_empty() {
        return DomainOutcome::HostOnly;
    }
    if !value.is_ascii() {
        return DomainOutcome::Rejected(Rejection::NonAsciiDomain);
    }
    let Ok(ascii) = std::str::from_utf8(value) else {
        return DomainOutcome::Rejected(Rejection::NonAsciiDomain);
    };
    let domain: Cow<'h, str> = if ascii.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(ascii.to_ascii_lowercase())
    } else {
        Cow::Borrowed(ascii)
    };
    if is_public_suffix(&domain) {
        return if domain == host {
            DomainOutcome::HostOnly
        } else {
            DomainOutcome::Rejected(Rejection::PublicSuffixDomain)
        };
    }
    if !domain_matches(host, &domain) {
        return DomainOutcome::Rejected(Rejection::DomainMismatch);
    }
    DomainOutcome::Domain(domain)
}

/// §5.1.3: does `host` (canonical, lowercase) domain-match `domain` (lowercase)?
///
/// ```
/// use cookie_warden_core::set_cookie::domain::domain_matches;
///
/// assert!(domain_matches("www.example.com", "example.com"));
/// assert!(domain_matches("example.com", "example.com"));
/// assert!(!domain_matches("www.example.com", "ample.com"));
/// assert!(!domain_matches("10.0.0.1", "0.0.1"));
/// ```
pub fn domain_matches(host: &str, domain: &str) -> bool {
    if host == domain {
        return true;
    }
    host.len() > domain.len()
        && host.ends_with(domain)
        && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
        && !is_ip_address(host)
}

/// The host is an IP address literal: dotted-quad IPv4 or a bracketed IPv6 address.
pub fn is_ip_address(host: &str) -> bool {
    host.starts_with('[')
        || (host.ends_with(|c: char| c.is_ascii_digit()) && host.parse::<Ipv4Addr>().is_ok())
}

/// The domain is a public suffix by the Public Suffix List's algorithm (ICANN and private
/// sections), like `com`, `co.uk` or `github.io`, **including its default rule `*`**: a top-level
/// label the list does not name (`test`, `localhost`, `intranet`) is a public suffix too. That is
/// what the list prescribes ("if no rules match, the prevailing rule is `*`"), what the
/// web-platform-tests cookie suite expects (`Domain=.test` from `www.web-platform.test` is
/// ignored), and what Chromium 156 and Firefox ESR 153 do (measured: both drop `Domain=.test` and
/// `Domain=test` there, and keep `Domain=web-platform.test`).
///
/// ```
/// use cookie_warden_core::set_cookie::domain::is_public_suffix;
///
/// assert!(is_public_suffix("com") && is_public_suffix("co.uk") && is_public_suffix("github.io"));
/// assert!(is_public_suffix("test") && is_public_suffix("localhost"));
/// assert!(!is_public_suffix("web-platform.test") && !is_public_suffix("example.co.uk"));
/// ```
pub fn is_public_suffix(domain: &str) -> bool {
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    psl::suffix(domain.as_bytes()).is_some_and(|s| s.as_bytes().len() == domain.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_dot_dropped_and_lowercased() {
        assert_eq!(
            check_domain(b".Example.COM", "www.example.com"),
            DomainOutcome::Domain(Cow::Borrowed("example.com"))
        );
        assert!(matches!(
            check_domain(b"example.com", "www.example.com"),
            DomainOutcome::Domain(Cow::Borrowed(_))
        ));
    }

    #[test]
    fn empty_and_dot_are_host_only() {
        assert_eq!(check_domain(b"", "www.example.com"), DomainOutcome::HostOnly);
        assert_eq!(check_domain(b".", "www.example.com"), DomainOutcome::HostOnly);
    }

    #[test]
    fn rejections() {
        assert_eq!(
            check_domain(b"com", "www.example.com"),
            DomainOutcome::Rejected(Rejection::PublicSuffixDomain)
        );
        assert_eq!(
            check_domain(b"co.uk", "www.example.co.uk"),
            DomainOutcome::Rejected(Rejection::PublicSuffixDomain)
        );
        assert_eq!(
            check_domain("exämple.com".as_bytes(), "www.example.com"),
            DomainOutcome::Rejected(Rejection::NonAsciiDomain)
        );
        assert_eq!(
            check_domain(b"\xff.com", "www.example.com"),
            DomainOutcome::Rejected(Rejection::NonAsciiDomain)
        );
        assert_eq!(
            check_domain(b"other.com", "www.example.com"),
            DomainOutcome::Rejected(Rejection::DomainMismatch)
        );
        assert_eq!(
            check_domain(b"..example.com", "www.example.com"),
            DomainOutcome::Rejected(Rejection::DomainMismatch)
        );
        assert_eq!(
            check_domain(b"0.0.1", "10.0.0.1"),
            DomainOutcome::Rejected(Rejection::DomainMismatch)
        );
    }

    #[test]
    fn public_suffix_equal_to_host_is_host_only() {
        assert_eq!(check_domain(b"github.io", "github.io"), DomainOutcome::HostOnly);
        assert_eq!(check_domain(b"co.uk", "co.uk"), DomainOutcome::HostOnly);
        // An unlisted top-level label is a public suffix (the list's default rule `*`), so a
        // Domain equal to such a host is host-only, as in Chromium and Firefox.
        assert_eq!(check_domain(b"localhost", "localhost"), DomainOutcome::HostOnly);
        assert_eq!(check_domain(b".Test", "test"), DomainOutcome::HostOnly);
    }

    #[test]
    fn unlisted_top_level_label_is_a_public_suffix() {
        // web-platform-tests `cookies/domain`: `Domain=.test` from www.web-platform.test.
        for domain in [&b".test"[..], b"test", b"TEST", b"test."] {
            assert_eq!(
                check_domain(domain, "www.web-platform.test"),
                DomainOutcome::Rejected(Rejection::PublicSuffixDomain),
                "{}",
                String::from_utf8_lossy(domain)
            );
        }
        assert_eq!(
            check_domain(b"localhost", "www.localhost"),
            DomainOutcome::Rejected(Rejection::PublicSuffixDomain)
        );
        // The registrable domain under it, and the host itself, stay domain cookies.
        assert_eq!(
            check_domain(b".web-platform.test", "www.web-platform.test"),
            DomainOutcome::Domain(Cow::Borrowed("web-platform.test"))
        );
        assert_eq!(
            check_domain(b"www.web-platform.test", "www.web-platform.test"),
            DomainOutcome::Domain(Cow::Borrowed("www.web-platform.test"))
        );
    }

    #[test]
    fn listed_suffixes_both_ways() {
        assert_eq!(
            check_domain(b".co.uk", "www.example.co.uk"),
            DomainOutcome::Rejected(Rejection::PublicSuffixDomain)
        );
        assert_eq!(
            check_domain(b".example.co.uk", "www.example.co.uk"),
            DomainOutcome::Domain(Cow::Borrowed("example.co.uk"))
        );
        assert_eq!(
            check_domain(b"github.io", "me.github.io"),
            DomainOutcome::Rejected(Rejection::PublicSuffixDomain)
        );
        assert_eq!(
            check_domain(b"me.github.io", "www.me.github.io"),
            DomainOutcome::Domain(Cow::Borrowed("me.github.io"))
        );
    }

    #[test]
    fn public_suffix_answers() {
        for suffix in [
            "com",
            "co.uk",
            "github.io",
            "test",
            "localhost",
            "intranet",
            "com.",
        ] {
            assert!(is_public_suffix(suffix), "{suffix}");
        }
        for domain in [
            "example.com",
            "example.co.uk",
            "web-platform.test",
            "a.localhost",
            "10.0.0.1",
        ] {
            assert!(!is_public_suffix(domain), "{domain}");
        }
    }

    #[test]
    fn ip_domain_equal_to_host_is_kept() {
        assert_eq!(
            check_domain(b"10.0.0.1", "10.0.0.1"),
            DomainOutcome::Domain(Cow::Borrowed("10.0.0.1"))
        );
    }
}
