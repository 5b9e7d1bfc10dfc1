//! A browser-differential fuzzer for `Set-Cookie`: a seeded, grammar-based generator of headers
//! and response `Date`s ([`headers`], [`dates`]), the policy the fuzz runs under ([`policy`]), and
//! the two properties a browser's jar must keep behind the proxy ([`properties`]).
//!
//! A run is reproducible from its seed: batch `n` of seed `s` is regenerated from `(s, n, base
//! time)` alone ([`headers::Batch::generate`]). [`FuzzConfig::from_env`] reads the seed from
//! `COOKIE_WARDEN_FUZZ_SEED` (else a fresh one, printed) and the header count from
//! `COOKIE_WARDEN_FUZZ_HEADERS`.

pub mod civil;
pub mod dates;
pub mod headers;
pub mod policy;
pub mod properties;
pub mod rng;

use std::time::{SystemTime, UNIX_EPOCH};

/// The environment variable that fixes the seed.
pub const SEED_ENV: &str = "COOKIE_WARDEN_FUZZ_SEED";
/// The environment variable that sets how many headers a run generates.
pub const HEADERS_ENV: &str = "COOKIE_WARDEN_FUZZ_HEADERS";
/// Headers per run unless [`HEADERS_ENV`] says otherwise (the CI run).
pub const DEFAULT_HEADERS: usize = 5_000;
/// Headers per batch (one response): under hyper's 100-header limit on the proxy's upstream
/// side, and under Chromium's 180 cookies per domain.
pub const HEADERS_PER_BATCH: usize = 80;

/// How much a run generates, and from which seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FuzzConfig {
    /// The seed.
    pub seed: u64,
    /// How many headers in all.
    pub headers: usize,
}

impl FuzzConfig {
    /// Reads [`SEED_ENV`] and [`HEADERS_ENV`]; without a seed, one from the clock.
    ///
    /// # Panics
    /// When either variable is set but is not a number.
    #[must_use]
    pub fn from_env() -> Self {
        let number = |name: &str| {
            std::env::var(name).ok().map(|v| {
                v.trim()
                    .parse::<u64>()
                    .unwrap_or_else(|_| panic!("{name}={v:?} is not a number"))
            })
        };
        let seed = number(SEED_ENV).unwrap_or_else(|| {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            #[allow(clippy::cast_possible_truncation)]
            let seed = (nanos ^ (nanos >> 64)) as u64;
            seed
        });
        let headers =
            number(HEADERS_ENV).map_or(DEFAULT_HEADERS, |n| usize::try_from(n).unwrap_or(usize::MAX));
        Self { seed, headers }
    }

    /// The header counts of the run's batches.
    #[must_use]
    pub fn batches(&self) -> Vec<usize> {
        let mut left = self.headers;
        let mut sizes = Vec::new();
        while left > 0 {
            let size = left.min(HEADERS_PER_BATCH);
            sizes.push(size);
            left -= size;
        }
        sizes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_add_up_to_the_count() {
        let config = FuzzConfig {
            seed: 1,
            headers: 5_000,
        };
        let sizes = config.batches();
        assert_eq!(sizes.iter().sum::<usize>(), 5_000);
        assert!(sizes.iter().all(|&s| s > 0 && s <= HEADERS_PER_BATCH));
        assert!(FuzzConfig { seed: 1, headers: 0 }.batches().is_empty());
    }
}
