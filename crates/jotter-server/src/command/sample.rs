//! Random picks from a collection, as HRANDFIELD, ZRANDMEMBER,
//! SRANDMEMBER and SPOP make them: `n` distinct positions in random order,
//! or `n` independent ones (repeats allowed).

use std::collections::HashMap;

/// `n` distinct positions of `0..len` (all of them if `n >= len`), in
/// random order: a partial Fisher-Yates shuffle of `0..len` that keeps
/// only the positions it moved, so it costs O(n) expected, not O(len): a
/// few picks from a large set are a few steps.
pub(crate) fn distinct(len: usize, n: usize) -> Vec<usize> {
    let n = n.min(len);
    // What the shuffled array holds where it differs from `0..len`.
    let mut moved: HashMap<usize, usize> = HashMap::with_capacity(n.saturating_mul(2));
    let mut picks = Vec::with_capacity(n);
    for i in 0..n {
        let j = i + fastrand::usize(..len - i);
        let at_i = moved.get(&i).copied().unwrap_or(i);
        let at_j = moved.get(&j).copied().unwrap_or(j);
        moved.insert(j, at_i);
        picks.push(at_j);
    }
    picks
}

/// `n` positions of `0..len` drawn independently (repeats allowed); none
/// if `len` is 0.
pub(crate) fn repeats(len: usize, n: usize) -> impl Iterator<Item = usize> {
    let n = if len == 0 { 0 } else { n };
    (0..n).map(move |_| fastrand::usize(..len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_picks_are_distinct_and_in_range() {
        for len in [0, 1, 5, 40] {
            for n in [0, 1, 3, 40, 100] {
                let mut picks = distinct(len, n);
                assert_eq!(picks.len(), n.min(len));
                picks.sort_unstable();
                picks.dedup();
                assert_eq!(picks.len(), n.min(len));
                assert!(picks.iter().all(|&i| i < len));
            }
        }
        // A few picks of a huge range touch only what they pick.
        let mut picks = distinct(usize::MAX, 5);
        picks.sort_unstable();
        picks.dedup();
        assert_eq!(picks.len(), 5);
        // Every position is as likely as any other (a fixed seed: the
        // counts are the same each run).
        fastrand::seed(7);
        let mut seen = [0u32; 6];
        for _ in 0..6_000 {
            for i in distinct(6, 2) {
                seen[i] += 1;
            }
        }
        assert!(seen.iter().all(|&n| (1_800..2_200).contains(&n)), "{seen:?}");
        assert_eq!(repeats(0, 5).count(), 0);
        assert!(repeats(3, 50).all(|i| i < 3));
    }
}
