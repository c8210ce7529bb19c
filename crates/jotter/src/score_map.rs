//! [`ScoreMap`]: the members of a scored map, found by name and kept in
//! score order.
//!
//! A leaderboard is read by rank (`ZREVRANGE board 0 9`) far more often
//! than it is listed whole, so the map keeps a second index ordered by
//! `(score, member)`, the order Redis gives sorted-set members: the top ten
//! of a million-member board is ten steps, not a sort.

use std::cmp::Ordering;
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use bytes::Bytes;

/// A score with a total order: `-0.0` equals `0.0` (as when Redis compares
/// scores), and NaN never enters a map.
#[derive(Clone, Copy, Debug)]
struct Score(f64);

impl PartialEq for Score {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Score {}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Score {
    fn cmp(&self, other: &Self) -> Ordering {
        // `+ 0.0` turns -0.0 into 0.0, so the two compare equal.
        (self.0 + 0.0).total_cmp(&(other.0 + 0.0))
    }
}

/// Members with `f64` scores, by member and by `(score, member)`.
#[derive(Clone, Default)]
pub struct ScoreMap {
    members: BTreeMap<Bytes, f64>,
    ranked: BTreeSet<(Score, Bytes)>,
}

impl ScoreMap {
    /// An empty map.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// How many members there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// True if there are no members.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// A member's score.
    #[must_use]
    pub fn get(&self, member: &[u8]) -> Option<f64> {
        self.members.get(member).copied()
    }

    /// Sets a member's score; returns the old one. A NaN score is refused
    /// (returns the current score and changes nothing): the engine never
    /// produces one.
    pub fn insert(&mut self, member: Bytes, score: f64) -> Option<f64> {
        if score.is_nan() {
            return self.get(&member);
        }
        // One walk of the member index, which keeps the name it holds for
        // a member already there: both indexes share that one copy.
        match self.members.entry(member) {
            Entry::Occupied(mut kept) => {
                let old = kept.insert(score);
                if old.to_bits() != score.to_bits() {
                    let member = kept.key().clone();
                    self.ranked.remove(&(Score(old), member.clone()));
                    self.ranked.insert((Score(score), member));
                }
                Some(old)
            }
            Entry::Vacant(new) => {
                let member = new.key().clone();
                new.insert(score);
                self.ranked.insert((Score(score), member));
                None
            }
        }
    }

    /// Removes a member; returns its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let (member, old) = self.members.remove_entry(member)?;
        self.ranked.remove(&(Score(old), member));
        Some(old)
    }

    /// Members and scores in member (byte) order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&Bytes, f64)> + '_ {
        self.members.iter().map(|(m, s)| (m, *s))
    }

    /// Members and scores in rank order: by score, then by member.
    pub fn ranked(&self) -> impl DoubleEndedIterator<Item = (&Bytes, f64)> + '_ {
        self.ranked.iter().map(|(s, m)| (m, s.0))
    }

    /// Members in rank order from the first whose score is at least `min`
    /// (greater than `min` if `exclusive`); for ranges by score.
    pub fn ranked_from(
        &self,
        min: f64,
        exclusive: bool,
    ) -> impl DoubleEndedIterator<Item = (&Bytes, f64)> + '_ {
        let from = lowest_score_from(min, exclusive);
        let range = from.map(|from| self.ranked.range((Score(from), Bytes::new())..));
        range.into_iter().flatten().map(|(s, m)| (m, s.0))
    }

    /// Members in reverse rank order from the last whose score is at most
    /// `max` (less than `max` if `exclusive`); for reverse ranges by score.
    pub fn ranked_down_from(
        &self,
        max: f64,
        exclusive: bool,
    ) -> impl Iterator<Item = (&Bytes, f64)> + '_ {
        // The members at or below `max` are those below the first score
        // above it.
        let below = lowest_score_from(max, !exclusive);
        let range: Box<dyn DoubleEndedIterator<Item = &(Score, Bytes)>> = match below {
            None => Box::new(self.ranked.iter()),
            Some(below) => Box::new(self.ranked.range(..(Score(below), Bytes::new()))),
        };
        range.rev().map(|(s, m)| (m, s.0))
    }

    /// The member's rank from the lowest score (0 is the lowest), counting
    /// from the nearer end of the order.
    #[must_use]
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.get(member)?;
        let key = (Score(score), Bytes::copy_from_slice(member));
        let below = self.ranked.range(..&key).count();
        Some(below)
    }
}

impl PartialEq for ScoreMap {
    fn eq(&self, other: &Self) -> bool {
        self.members == other.members
    }
}

impl fmt::Debug for ScoreMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.members.iter()).finish()
    }
}

impl FromIterator<(Bytes, f64)> for ScoreMap {
    fn from_iter<I: IntoIterator<Item = (Bytes, f64)>>(iter: I) -> Self {
        let mut map = ScoreMap::new();
        for (member, score) in iter {
            map.insert(member, score);
        }
        map
    }
}

impl From<BTreeMap<Bytes, f64>> for ScoreMap {
    fn from(members: BTreeMap<Bytes, f64>) -> Self {
        members.into_iter().collect()
    }
}

/// The lowest score a member may have to be at or above `score` (strictly
/// above it if `above`), or `None` if no score is (strictly above
/// infinity). Every member scored `s` sorts at or after `(s, "")`, so a
/// range from `(that score, "")` starts at the first such member.
fn lowest_score_from(score: f64, above: bool) -> Option<f64> {
    match (above, score == f64::INFINITY) {
        (true, true) => None,
        (true, false) => Some(score.next_up()),
        (false, _) => Some(score),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &'static str) -> Bytes {
        Bytes::from_static(s.as_bytes())
    }

    fn board() -> ScoreMap {
        [(m("b"), 2.0), (m("a"), 2.0), (m("c"), 1.0), (m("d"), 3.0), (m("z"), -0.0)]
            .into_iter()
            .collect()
    }

    #[test]
    fn rank_order_is_by_score_then_member() {
        let b = board();
        let order: Vec<_> = b.ranked().map(|(m, _)| m.clone()).collect();
        assert_eq!(order, [m("z"), m("c"), m("a"), m("b"), m("d")]);
        assert_eq!(b.rank(b"a"), Some(2));
        assert_eq!(b.rank(b"missing"), None);
    }

    #[test]
    fn changing_a_score_moves_the_member() {
        let mut b = board();
        assert_eq!(b.insert(m("c"), 10.0), Some(1.0));
        assert_eq!(b.ranked().next_back().map(|(m, s)| (m.clone(), s)), Some((m("c"), 10.0)));
        assert_eq!(b.len(), 5);
        assert_eq!(b.remove(b"c"), Some(10.0));
        assert_eq!(b.ranked().count(), 4);
    }

    #[test]
    fn ranges_by_score_respect_exclusive_bounds() {
        let b = board();
        let from: Vec<_> = b.ranked_from(2.0, false).map(|(m, _)| m.clone()).collect();
        assert_eq!(from, [m("a"), m("b"), m("d")]);
        let from: Vec<_> = b.ranked_from(2.0, true).map(|(m, _)| m.clone()).collect();
        assert_eq!(from, [m("d")]);
        let down: Vec<_> = b.ranked_down_from(2.0, false).map(|(m, _)| m.clone()).collect();
        assert_eq!(down, [m("b"), m("a"), m("c"), m("z")]);
        let down: Vec<_> = b.ranked_down_from(2.0, true).map(|(m, _)| m.clone()).collect();
        assert_eq!(down, [m("c"), m("z")]);
        let zero: Vec<_> = b.ranked_from(0.0, false).map(|(m, _)| m.clone()).collect();
        assert_eq!(zero.first(), Some(&m("z")), "-0 counts as 0");
    }

    #[test]
    fn nan_never_enters() {
        let mut b = board();
        b.insert(m("n"), f64::NAN);
        assert_eq!(b.get(b"n"), None);
    }
}
