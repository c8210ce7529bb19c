//! [`KnownKeys`]: a filter of every key the store may hold, so that a miss
//! on a key never seen is answered without asking the store.
//!
//! A write-behind cache in front of a database must ask the database about
//! a key it does not hold: `INCR counter:9123` on a new counter costs a
//! store read to learn that the counter does not exist yet. When the cache
//! is the store's only writer, it can know better: it lists the store's keys
//! once at start, and adds every key it writes from then on (before the
//! write can reach the store). A key not in the filter is certainly not in
//! the store. The filter is a Bloom filter: it never forgets a key (a false
//! "maybe" only costs the read that would have happened anyway), takes about
//! two bytes per key, and is updated without locks.
//!
//! It is wrong when something else writes the store (another instance, a
//! hand-written row): such keys would read as absent. It is therefore an
//! option ([`CacheBuilder::known_keys`](crate::CacheBuilder::known_keys)),
//! off by default; the server turns it on for its own SQLite file.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};

use foldhash::fast::FixedState;

/// Probes per key. With 16 bits per key this keeps false positives near
/// 0.2 %; the filter is sized for twice the keys found at start (at least
/// 1 M keys, 2 MB), so it degrades gently (more reads, never wrong answers) as
/// the keyspace grows past that.
const PROBES: u64 = 4;
const BITS_PER_KEY: u64 = 16;
const MIN_KEYS: u64 = 1 << 20;

#[derive(Debug)]
pub(crate) struct KnownKeys {
    bits: Box<[AtomicU64]>,
}

/// The hash a key is filed under; fixed, so keys can be hashed before the
/// filter that takes them is sized.
pub(crate) fn key_hash(key: &[u8]) -> u64 {
    FixedState::with_seed(0x6a6f_7474_6572).hash_one(key)
}

impl KnownKeys {
    /// A filter sized for `expected` keys (more are accepted).
    pub(crate) fn with_capacity(expected: u64) -> Self {
        Self::with_bits(expected.saturating_mul(2).max(MIN_KEYS).saturating_mul(BITS_PER_KEY))
    }

    /// A filter of at least `bits` bits (rounded up to a power of two),
    /// whatever the keys it will hold: its memory is fixed.
    pub(crate) fn with_bits(bits: u64) -> Self {
        let words = usize::try_from(bits.div_ceil(64)).unwrap_or(usize::MAX).next_power_of_two();
        KnownKeys { bits: (0..words).map(|_| AtomicU64::new(0)).collect() }
    }

    fn probes(&self, hash: u64) -> impl Iterator<Item = (usize, u64)> + '_ {
        // Double hashing: the second hash is odd, so the probes differ.
        let (h1, h2) = (hash, hash.rotate_left(32) | 1);
        let mask = (self.bits.len() as u64 * 64) - 1;
        (0..PROBES).map(move |i| {
            let bit = h1.wrapping_add(i.wrapping_mul(h2)) & mask;
            ((bit / 64) as usize, 1u64 << (bit % 64))
        })
    }

    /// Records that the store may hold `key`.
    pub(crate) fn insert(&self, key: &[u8]) {
        self.insert_hash(key_hash(key));
    }

    /// [`insert`](KnownKeys::insert) of a key already hashed by [`key_hash`].
    pub(crate) fn insert_hash(&self, hash: u64) {
        for (word, bit) in self.probes(hash) {
            if self.bits[word].load(Ordering::Relaxed) & bit == 0 {
                self.bits[word].fetch_or(bit, Ordering::Relaxed);
            }
        }
    }

    /// False only if the store certainly does not hold `key`.
    pub(crate) fn may_contain(&self, key: &[u8]) -> bool {
        self.probes(key_hash(key))
            .all(|(word, bit)| self.bits[word].load(Ordering::Relaxed) & bit != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inserted_key_is_always_found_and_others_mostly_not() {
        let keys = KnownKeys::with_capacity(10_000);
        for i in 0..10_000 {
            keys.insert(format!("key:{i}").as_bytes());
        }
        assert!((0..10_000).all(|i| keys.may_contain(format!("key:{i}").as_bytes())));
        let false_positives =
            (0..100_000).filter(|i| keys.may_contain(format!("other:{i}").as_bytes())).count();
        assert!(false_positives < 100, "{false_positives} false positives in 100,000");
    }
}
