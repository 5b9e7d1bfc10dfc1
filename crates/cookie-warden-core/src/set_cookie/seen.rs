//! What a reading of a `Set-Cookie` line remembers beyond the fields of [`SetCookie`](super::SetCookie): shared by
//! the strict pass (`strict.rs`) and the general algorithm (`parse.rs`), which goes on from where
//! the strict pass stopped.

/// What the attribute loop remembers beyond the fields of the cookie: whether a valid Max-Age or
/// Expires came before (the draft keeps the last valid one, Chromium the last one), and the last
/// Domain and Path as written.
#[derive(Default)]
pub(super) struct Seen<'h> {
    pub(super) max_age_valid_before: bool,
    pub(super) max_age_last_invalid_after_valid: bool,
    pub(super) max_age_last_plus: bool,
    pub(super) expires_valid_before: bool,
    pub(super) expires_last_invalid_after_valid: bool,
    pub(super) expires_last_year_out_of_range: bool,
    /// The last Domain attribute's value, trimmed.
    pub(super) last_domain: Option<&'h [u8]>,
    /// The last Path attribute's value, trimmed.
    pub(super) last_path: Option<&'h [u8]>,
}

impl Seen<'_> {
    /// A valid Max-Age was read: the last one is valid.
    #[inline(always)]
    pub(super) fn valid_max_age(&mut self) {
        self.max_age_valid_before = true;
        self.max_age_last_invalid_after_valid = false;
        self.max_age_last_plus = false;
    }

    /// A valid Expires was read: the last one is valid.
    #[inline(always)]
    pub(super) fn valid_expires(&mut self) {
        self.expires_valid_before = true;
        self.expires_last_invalid_after_valid = false;
        self.expires_last_year_out_of_range = false;
    }
}
