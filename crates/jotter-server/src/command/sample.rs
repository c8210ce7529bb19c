//! Random picks from a collection, as HRANDFIELD, ZRANDMEMBER,
//! SRANDMEMBER and SPOP make them: `n` distinct positions in random order,
//! or `n` independent ones (repeats allowed).

/// `n` distinct positions of `0..len` (all of them if `n >= len`), in
/// random order: a partial Fisher-Yates shuffle, O(len).
pub(crate) fn distinct(len: usize, n: usize) -> Vec<usize> {
    let n = n.min(len);
    let mut picks: Vec<usize> = (0..len).collect();
    for i in 0..n {
        let j = i + fastrand::usize(..len - i);
        picks.swap(i, j);
    }
    picks.truncate(n);
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
        assert_eq!(repeats(0, 5).count(), 0);
        assert!(repeats(3, 50).all(|i| i < 3));
    }
}
