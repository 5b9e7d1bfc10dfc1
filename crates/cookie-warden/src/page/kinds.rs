//! What each violation kind means to a reviewer, in one line (the README's "For security
//! reviewers" section says the same at more length).

/// The meaning of a violation kind and what to do about it; `None` for a kind this version does
/// not know (a newer proxy's log).
pub(crate) fn meaning(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "unlisted" => {
            "No rule allows this name: a cookie the declaration does not list. Declare it, or find and remove the code that sets it."
        }
        "out_of_scope" => {
            "Listed, but not for this part of the site. Add the scope to its rule if it belongs there; else fix the service."
        }
        "malformed" => "A header browsers drop, or not a cookie at all. A bug in the service that sets it.",
        "oversize" => {
            "Over a browser's size limits: the cookie or an attribute is ignored by browsers. Shorten it."
        }
        "not_session" => {
            "A session cookie sent with an expiry. The service should drop Expires/Max-Age, or the rule should allow a lifetime."
        }
        "lifetime_exceeded" => {
            "Lives longer than its rule or max_lifetime allows. Shorten the expiry the service sets."
        }
        "missing_expiry" => {
            "A cookie with a fixed lifetime sent without an expiry (it would last the session). Set Max-Age."
        }
        "missing_secure" => "Sent without Secure: it could leak over plain http. Add Secure in the service.",
        "missing_http_only" => {
            "Sent without HttpOnly: page scripts could read it. Add HttpOnly, or declare http_only = false if scripts must read it."
        }
        "weak_same_site" => {
            "SameSite weaker than the rule requires (cross-site requests carry it). Set the SameSite the rule asks for."
        }
        "same_site_none_insecure" => {
            "SameSite=None without Secure: browsers drop it. Add Secure, or drop SameSite=None."
        }
        "path_mismatch" => "A Path other than the rule's. Align the service's Path with the declaration.",
        "domain_not_allowed" => {
            "A Domain the rule does not allow (wider reach than declared). Remove Domain or declare it."
        }
        "prefix_violation" => {
            "Breaks its __Host- or __Secure- prefix rules: browsers drop it. Fix Secure, Path or Domain in the service."
        }
        "consent_missing" => {
            "Set without the visitor's consent to its category. The service must wait for consent."
        }
        "ambiguous" => {
            "Browsers read this header differently: it left in a canonical form. Make the service write plain attributes once each."
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use cookie_warden_core::decision::ViolationKind;

    #[test]
    fn every_kind_has_a_meaning() {
        for kind in ViolationKind::ALL {
            assert!(super::meaning(kind.as_str()).is_some(), "{kind}");
        }
        assert!(super::meaning("new_kind").is_none());
    }
}
