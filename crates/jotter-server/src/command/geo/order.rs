//! The order of sorted search results, as Redis's puts them: when every
//! result is replied, a full sort by distance that keeps members of equal
//! distance in the order they were found (glibc's `qsort`, a merge sort);
//! when COUNT keeps fewer, Redis's `pqsort`, a partial quicksort (NetBSD's
//! Bentley–McIlroy quicksort that skips the parts outside the range kept),
//! whose order among members of equal distance this follows step by step.

use std::cmp::Ordering;

/// Sorts `items` by `cmp` as Redis does when it keeps the first `kept`.
pub(super) fn redis_sort<T>(items: &mut [T], kept: usize, cmp: impl Fn(&T, &T) -> Ordering) {
    if kept >= items.len() {
        items.sort_by(&cmp);
    } else if kept > 0 {
        partial(items, 0, items.len(), &cmp, 0, kept - 1);
    }
}

/// The index of the median of three (`med3`).
fn med3<T>(v: &[T], a: usize, b: usize, c: usize, cmp: &impl Fn(&T, &T) -> Ordering) -> usize {
    use Ordering::{Greater, Less};
    if cmp(&v[a], &v[b]) == Less {
        if cmp(&v[b], &v[c]) == Less {
            b
        } else if cmp(&v[a], &v[c]) == Less {
            c
        } else {
            a
        }
    } else if cmp(&v[b], &v[c]) == Greater {
        b
    } else if cmp(&v[a], &v[c]) == Less {
        a
    } else {
        c
    }
}

/// Swaps the `n` items from `a` with the `n` from `b`, in order (`vecswap`).
fn swap_runs<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

/// `_pqsort` on the `n` items from `a`, sorting at least positions
/// `first..=last`.
fn partial<T>(
    v: &mut [T],
    mut a: usize,
    mut n: usize,
    cmp: &impl Fn(&T, &T) -> Ordering,
    first: usize,
    last: usize,
) {
    use Ordering::{Equal, Greater, Less};
    let outside =
        |start: usize, end: usize| (first < start && last < start) || (first > end && last > end);
    loop {
        if n < 7 {
            for m in a + 1..a + n {
                let mut l = m;
                while l > a && cmp(&v[l - 1], &v[l]) == Greater {
                    v.swap(l, l - 1);
                    l -= 1;
                }
            }
            return;
        }
        let mut m = a + n / 2;
        if n > 7 {
            let (mut l, mut h) = (a, a + n - 1);
            if n > 40 {
                let d = n / 8;
                l = med3(v, l, l + d, l + 2 * d, cmp);
                m = med3(v, m - d, m, m + d, cmp);
                h = med3(v, h - 2 * d, h - d, h, cmp);
            }
            m = med3(v, l, m, h, cmp);
        }
        v.swap(a, m);
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        loop {
            while pb <= pc {
                match cmp(&v[pb], &v[a]) {
                    Greater => break,
                    Equal => {
                        v.swap(pa, pb);
                        pa += 1;
                    }
                    Less => {}
                }
                pb += 1;
            }
            while pb <= pc {
                match cmp(&v[pc], &v[a]) {
                    Less => break,
                    Equal => {
                        v.swap(pc, pd);
                        pd -= 1;
                    }
                    Greater => {}
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        let end = a + n;
        let r = (pa - a).min(pb - pa);
        swap_runs(v, a, pb - r, r);
        let r = (pd - pc).min(end - pd - 1);
        swap_runs(v, pb, end - r, r);
        let below = pb - pa;
        if below > 1 && !outside(a, a + below - 1) {
            partial(v, a, below, cmp, first, last);
        }
        let above = pd - pc;
        if above > 1 {
            a = end - above;
            n = above;
            if !outside(a, a + above - 1) {
                continue;
            }
        }
        return;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kept_part_is_sorted() {
        let mut seed = 7u64;
        let mut items: Vec<u64> = (0..500)
            .map(|_| {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                (seed >> 33) % 100
            })
            .collect();
        let mut sorted = items.clone();
        sorted.sort_unstable();
        redis_sort(&mut items, 37, |a, b| a.cmp(b));
        assert_eq!(items[..37], sorted[..37]);
    }
}
