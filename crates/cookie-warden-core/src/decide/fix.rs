//! The `fix` rewrite: what to correct, and the corrected cookie that the canonical serializer
//! writes.

use crate::set_cookie::{SameSite, SetCookie};

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
        fixed
    }
}
