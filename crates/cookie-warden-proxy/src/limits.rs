//! Process limits: a proxy holds two file descriptors per proxied connection (client and
//! upstream), so the default soft limit of open files (often 1024) caps it at a few hundred
//! concurrent clients. At start the soft limit is raised to the hard limit, as servers commonly
//! do; what was set is logged.

use nix::sys::resource::{Resource, getrlimit, setrlimit};

/// Raises the soft limit of open files to the hard limit; returns the limit in force.
pub fn raise_open_files() -> Option<u64> {
    let (soft, hard) = match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok(limits) => limits,
        Err(error) => {
            tracing::warn!(target: "cookie_warden::proxy", error = %error, "cannot read the open-files limit");
            return None;
        }
    };
    if soft >= hard {
        return Some(soft);
    }
    match setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
        Ok(()) => {
            tracing::debug!(target: "cookie_warden::proxy", from = soft, to = hard, "raised the open-files limit");
            Some(hard)
        }
        Err(error) => {
            tracing::warn!(target: "cookie_warden::proxy", error = %error, limit = soft, "cannot raise the open-files limit");
            Some(soft)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_ends_at_the_hard_limit() {
        let limit = raise_open_files().expect("the limit is readable");
        let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
        assert_eq!(soft, limit);
        // Raising the soft limit up to the hard one needs no privilege.
        assert_eq!(soft, hard);
    }
}
