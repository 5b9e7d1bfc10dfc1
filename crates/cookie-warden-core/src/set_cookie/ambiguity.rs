//! Where real browsers read a `Set-Cookie` line differently from draft-ietf-httpbis-rfc6265bis-22.

/// One flag per known difference between the draft (what [`super::parse`] implements) and
/// Chromium 156, as measured on the conformance corpus (`corpus/README.md`, "Where Chromium
/// differs").
///
/// A flag says that the *pattern* is present in the header, whether or not it changes the outcome
/// in this particular line (for example an invalid trailing Expires is flagged even when a valid
/// Max-Age makes every Expires moot). A header with no flag set is read identically by the draft
/// and by Chromium; a header with a flag set must not leave cookie-warden as it came.
///
/// Each flag's documentation says whether the canonical form ([`super::SetCookie::write_canonical`])
/// removes the difference. Flags are computed for rejected lines too.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Ambiguities {
    /// The last Max-Age attribute (of those ≤ 1024 bytes) is not valid per §5.6.2 (empty, not a
    /// number, `+N`, …) while an earlier Max-Age attribute was valid. The draft keeps the earlier
    /// value; Chromium reads only the last attribute, so the cookie becomes a session cookie (or
    /// falls back to Expires). `Max-Age=120; Max-Age=abc`.
    /// Fixed by the canonical form, which writes one Max-Age.
    pub max_age_invalid_after_valid: bool,
    /// The last Max-Age attribute is `+` followed by digits. The draft ignores it; Chromium reads it
    /// as a number (`Max-Age=+60` lives 60 s there). Fixed by the canonical form, which writes only
    /// the draft's effective Max-Age (or none).
    pub max_age_plus_sign: bool,
    /// The last Expires attribute is not a valid cookie date (§5.1.1) while an earlier Expires
    /// attribute was. The draft keeps the earlier date; Chromium reads only the last attribute
    /// (session). `Expires=<valid>; Expires=garbage`. Fixed by the canonical form.
    pub expires_invalid_after_valid: bool,
    /// The last Expires attribute fails §5.1.1 only because of its year: the year is before 1601
    /// (`1600`, or a 4-digit `0000`-style year the 2-digit rule does not lift), or the year is
    /// given as one digit (`10-Sep-0`). The draft ignores the attribute; Chromium reads a date in
    /// the past and deletes the cookie. Fixed by the canonical form (which omits it) — but note
    /// that the upstream probably *meant* a deletion.
    pub expires_year_out_of_range: bool,
    /// The name or the value (after trimming) holds a tab. The draft keeps it; Chromium drops the
    /// whole line. Not fixable: the name and value are the cookie.
    pub tab_in_name_or_value: bool,
    /// The name is empty and the value holds `=` (`=test=2`, `===x`). The draft stores a nameless
    /// cookie; Chromium drops it (it would read back as a cookie named `test`). Not fixable.
    pub nameless_value_has_equals: bool,
    /// The name starts with `__Host-` (case-insensitive) and the last Path attribute (of those
    /// ≤ 1024 bytes, before the draft's default-path substitution) is absent or not exactly `/`.
    /// Chromium requires a literal `Path=/`; the draft accepts any Path attribute that resolves to
    /// `/` (`Path=foo` or `Path=` at a request path of `/`). Without any Path attribute both drop
    /// the line (§5.7 step 21, [`super::Rejection::HostPrefix`]), so the flag only matters on an
    /// accepted line with such a Path. Fixed by the canonical form, which writes `Path=/` for a
    /// `__Host-` cookie whose Path attribute was defaulted.
    pub host_prefix_path_not_slash: bool,
    /// The name starts with `__Host-` (case-insensitive) and the last Domain attribute (of those
    /// ≤ 1024 bytes) has a value that is not empty. The draft can still read such a cookie as
    /// host-only and store it: `Domain=.`, or a Domain equal to a request host that is itself a
    /// public suffix (`Domain=localhost` from `localhost`, §5.7 step 9). Chromium 156 drops every
    /// `__Host-` line whose last Domain is not empty (measured; Firefox ESR 153 drops `Domain=.`
    /// and keeps `Domain=localhost`). Fixed by the canonical form, which writes no Domain for a
    /// host-only cookie.
    pub host_prefix_domain_attribute: bool,
}

impl Ambiguities {
    /// No flag is set: the draft and Chromium read the header identically.
    pub fn is_empty(&self) -> bool {
        *self == Ambiguities::default()
    }

    /// `true` when every flag that is set is removed by re-serialising the canonical form
    /// (with `Path=/` written for a `__Host-` cookie).
    pub fn fixed_by_canonical_form(&self) -> bool {
        !self.tab_in_name_or_value && !self.nameless_value_has_equals
    }

    /// The snake_case names of the flags that are set, for violation details and events.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        [
            (self.max_age_invalid_after_valid, "max_age_invalid_after_valid"),
            (self.max_age_plus_sign, "max_age_plus_sign"),
            (self.expires_invalid_after_valid, "expires_invalid_after_valid"),
            (self.expires_year_out_of_range, "expires_year_out_of_range"),
            (self.tab_in_name_or_value, "tab_in_name_or_value"),
            (self.nameless_value_has_equals, "nameless_value_has_equals"),
            (self.host_prefix_path_not_slash, "host_prefix_path_not_slash"),
            (self.host_prefix_domain_attribute, "host_prefix_domain_attribute"),
        ]
        .into_iter()
        .filter_map(|(set, name)| set.then_some(name))
    }
}
