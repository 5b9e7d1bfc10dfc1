//! The `Domain` attribute: §5.6.3 (reading it) and §5.7 steps 7–10 (checking it against the host).

use std::borrow::Cow;
use std::net::Ipv4Addr;

use super::Rejection;

/// What the last `Domain` attribute makes of the cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DomainOutcome<'h> {
    /// No Domain (absent, empty, `.`, or equal to a public-suffix host): a host-only cookie.
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

/// The domain is a public suffix in the Public Suffix List (ICANN and private sections), like
/// `com`, `co.uk` or `github.io`. Unknown top-level domains are not treated as public suffixes.
pub fn is_public_suffix(domain: &str) -> bool {
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    psl::suffix(domain.as_bytes()).is_some_and(|s| s.is_known() && s.as_bytes().len() == domain.len())
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
    }

    #[test]
    fn ip_domain_equal_to_host_is_kept() {
        assert_eq!(
            check_domain(b"10.0.0.1", "10.0.0.1"),
            DomainOutcome::Domain(Cow::Borrowed("10.0.0.1"))
        );
    }
}
