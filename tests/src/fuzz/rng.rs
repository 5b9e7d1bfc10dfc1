//! The fuzzer's one source of randomness: ChaCha8 seeded from a `u64`, so that a printed seed
//! replays a run byte for byte on any machine (ChaCha8's stream is fixed by its spec, unlike
//! `StdRng`'s, which may change between `rand` releases).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A seeded random source with the few draws the generators need.
#[derive(Debug, Clone)]
pub struct FuzzRng(ChaCha8Rng);

impl FuzzRng {
    /// The stream of `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self(ChaCha8Rng::seed_from_u64(seed))
    }

    /// The stream of one batch of a run: independent of the other batches, so batch `n` can be
    /// regenerated alone (by the upstream, and when a failure is replayed).
    #[must_use]
    pub fn for_batch(seed: u64, batch: u64) -> Self {
        // SplitMix64's finaliser spreads (seed, batch) over the whole seed space.
        let mut z = seed ^ batch.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Self::new(z ^ (z >> 31))
    }

    /// `true` with probability `p` (0 to 1).
    pub fn chance(&mut self, p: f64) -> bool {
        self.0.random_bool(p.clamp(0.0, 1.0))
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        self.0.random_range(low..=high)
    }

    /// An index below `len` (which must not be 0).
    pub fn index(&mut self, len: usize) -> usize {
        self.0.random_range(0..len)
    }

    /// One of `items` (which must not be empty).
    pub fn pick<'a, T: ?Sized>(&mut self, items: &'a [&'a T]) -> &'a T {
        items[self.index(items.len())]
    }

    /// One of `items`, by copy.
    pub fn pick_copy<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.index(items.len())]
    }

    /// Shuffles `items` in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.index(i + 1);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_replays_the_same_stream_and_batches_differ() {
        let draw = |mut rng: FuzzRng| (0..32).map(|_| rng.between(0, 1_000_000)).collect::<Vec<_>>();
        assert_eq!(draw(FuzzRng::new(7)), draw(FuzzRng::new(7)));
        assert_ne!(draw(FuzzRng::new(7)), draw(FuzzRng::new(8)));
        assert_eq!(draw(FuzzRng::for_batch(7, 3)), draw(FuzzRng::for_batch(7, 3)));
        assert_ne!(draw(FuzzRng::for_batch(7, 3)), draw(FuzzRng::for_batch(7, 4)));
        assert_ne!(draw(FuzzRng::for_batch(7, 0)), draw(FuzzRng::for_batch(8, 0)));
    }

    #[test]
    fn draws_stay_in_their_ranges() {
        let mut rng = FuzzRng::new(1);
        for _ in 0..1000 {
            assert!((3..=5).contains(&rng.between(3, 5)));
            assert!(rng.index(4) < 4);
        }
        assert!(!rng.chance(0.0));
        assert!(rng.chance(1.0));
        let mut items = [1, 2, 3, 4, 5];
        rng.shuffle(&mut items);
        items.sort_unstable();
        assert_eq!(items, [1, 2, 3, 4, 5]);
    }
}
