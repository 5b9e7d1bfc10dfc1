//! Why a browser drops a whole `Set-Cookie` line.

use std::fmt;

/// The reason a browser ignores a `Set-Cookie` line entirely (draft-ietf-httpbis-rfc6265bis-22 §5.6,
/// §5.7, and CHIPS for `Partitioned`).
///
/// Only the first reason found is reported, in the order the draft's algorithm checks them (the
/// order of the variants below). No variant carries any part of the header: a reason is safe to log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Rejection {
    /// §5.6 step 1: the line holds a control byte (`%x00-08 / %x0A-1F / %x7F`; a tab is allowed).
    ControlCharacter,
    /// §5.6 (name-value step 5): the name and the value together are longer than 4096 bytes.
    NameValueTooLong,
    /// §5.7 step 2: both the name and the value are empty.
    EmptyNameAndValue,
    /// §5.7 step 8: the last Domain attribute holds a byte that is not ASCII.
    NonAsciiDomain,
    /// §5.7 step 9: the last Domain attribute is a public suffix other than the request host.
    PublicSuffixDomain,
    /// §5.7 step 10: the request host does not domain-match the last Domain attribute (this
    /// includes a Domain that is a suffix of an IP-address host).
    DomainMismatch,
    /// §5.7 step 13: `Secure` from a request whose scheme is not secure.
    SecureFromInsecureOrigin,
    /// §5.7 (the SameSite step): `SameSite=None` without `Secure`.
    SameSiteNoneWithoutSecure,
    /// §5.7 step 20: a `__Secure-` name (case-insensitive) without `Secure`.
    SecurePrefix,
    /// §5.7 step 21: a `__Host-` name (case-insensitive) without `Secure`, with a Domain
    /// attribute (not host-only), without a Path attribute (the draft requires one even where the
    /// default path is `/`: `__Host-sid=1; Secure` is dropped), or whose path is not `/`.
    HostPrefix,
    /// draft-ietf-httpbis-layered-cookies: a `__Http-` name (case-insensitive) without `Secure` or
    /// without `HttpOnly`, or a `__Host-Http-` name that meets the `__Host-` rules but lacks
    /// `HttpOnly`. Enforced by Chromium 156 and Firefox ESR 153 (see [`super::prefix`]).
    HttpPrefix,
    /// §5.7 step 22: a nameless cookie whose value starts with `__Secure-` or `__Host-`
    /// (case-insensitive), which would read back as a prefixed name; Chromium 156 treats a value
    /// starting with `__Http-` the same way (see [`super::prefix`]).
    NamelessPrefix,
    /// CHIPS: `Partitioned` without `Secure`.
    PartitionedWithoutSecure,
}

impl Rejection {
    /// The snake_case name used in JSON and events.
    pub fn as_str(self) -> &'static str {
        match self {
            Rejection::ControlCharacter => "control_character",
            Rejection::NameValueTooLong => "name_value_too_long",
            Rejection::EmptyNameAndValue => "empty_name_and_value",
            Rejection::NonAsciiDomain => "non_ascii_domain",
            Rejection::PublicSuffixDomain => "public_suffix_domain",
            Rejection::DomainMismatch => "domain_mismatch",
            Rejection::SecureFromInsecureOrigin => "secure_from_insecure_origin",
            Rejection::SameSiteNoneWithoutSecure => "same_site_none_without_secure",
            Rejection::SecurePrefix => "secure_prefix",
            Rejection::HostPrefix => "host_prefix",
            Rejection::HttpPrefix => "http_prefix",
            Rejection::NamelessPrefix => "nameless_prefix",
            Rejection::PartitionedWithoutSecure => "partitioned_without_secure",
        }
    }

    /// `true` when the line is dropped because of its size (the `oversize` violation rather than
    /// `malformed`).
    pub fn is_oversize(self) -> bool {
        self == Rejection::NameValueTooLong
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
