//! [`MemberSet`]: the members of a set, found by name and by position.
//!
//! SPOP and SRANDMEMBER pick members at random, so a set must reach its
//! i-th member in one step: the members sit in a vector, in no particular
//! order (as in Redis's hash table), and a hash table of positions finds
//! one by name. Removing a member moves the last one into its place, so a
//! pick, an add and a removal each cost O(1) expected, whatever the size of
//! the set.

use std::fmt;
use std::hash::BuildHasher;

use bytes::Bytes;
use foldhash::fast::RandomState;
use hashbrown::HashTable;
use hashbrown::hash_table::Entry;

/// Members without values, each once, by name and by position.
#[derive(Clone, Default)]
pub struct MemberSet {
    members: Vec<Bytes>,
    /// Positions in `members`, hashed by the member there.
    index: HashTable<usize>,
    /// Seeded per set, so that no chosen members collide in every set.
    hasher: RandomState,
}

impl MemberSet {
    /// An empty set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// How many members there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    fn hash(&self, member: &[u8]) -> u64 {
        self.hasher.hash_one(member)
    }

    fn position(&self, member: &[u8]) -> Option<usize> {
        let members = &self.members;
        self.index.find(self.hash(member), |&i| members[i] == member).copied()
    }

    /// Whether `member` is in the set.
    #[must_use]
    pub fn contains(&self, member: &[u8]) -> bool {
        self.position(member).is_some()
    }

    /// The set's own copy of `member`, if it is in the set.
    #[must_use]
    pub fn get(&self, member: &[u8]) -> Option<&Bytes> {
        self.position(member).map(|i| &self.members[i])
    }

    /// The member at position `i` (of `0..len`), in the set's order.
    #[must_use]
    pub fn get_index(&self, i: usize) -> Option<&Bytes> {
        self.members.get(i)
    }

    /// Every member, in no particular order (the same order as
    /// [`get_index`](Self::get_index)'s positions).
    pub fn iter(&self) -> std::slice::Iter<'_, Bytes> {
        self.members.iter()
    }

    /// Adds `member`; `false` (and the set unchanged) if it was there.
    pub fn insert(&mut self, member: Bytes) -> bool {
        let hash = self.hash(&member);
        let (members, hasher) = (&self.members, &self.hasher);
        let at = members.len();
        match self.index.entry(
            hash,
            |&i| members[i] == member,
            |&i| hasher.hash_one(&members[i][..]),
        ) {
            Entry::Occupied(_) => false,
            Entry::Vacant(slot) => {
                slot.insert(at);
                self.members.push(member);
                true
            }
        }
    }

    /// Puts `member` in place of the equal member the set holds (the same
    /// bytes, another allocation); `false` if it holds none.
    pub fn replace(&mut self, member: Bytes) -> bool {
        match self.position(&member) {
            Some(i) => {
                self.members[i] = member;
                true
            }
            None => false,
        }
    }

    /// Removes `member`; `false` if it was not there. The last member
    /// takes its position.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        let hash = self.hash(member);
        let members = &self.members;
        let Ok(found) = self.index.find_entry(hash, |&i| members[i] == member) else {
            return false;
        };
        let (i, _) = found.remove();
        let last = self.members.len() - 1;
        if i != last {
            let moved = self.hash(&self.members[last]);
            *self.index.find_mut(moved, |&j| j == last).expect("every member is indexed") = i;
        }
        self.members.swap_remove(i);
        self.shrink();
        true
    }

    /// Gives back memory once the set is a quarter of what it held, so
    /// that a set emptied by SPOP does not keep its peak.
    fn shrink(&mut self) {
        let len = self.members.len();
        if self.members.capacity() > 64 && len * 4 < self.members.capacity() {
            self.members.shrink_to(len * 2);
            let (members, hasher) = (&self.members, &self.hasher);
            self.index.shrink_to(len * 2, |&i| hasher.hash_one(&members[i][..]));
        }
    }
}

impl PartialEq for MemberSet {
    /// Sets are equal when they hold the same members, in any order.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|m| other.contains(m))
    }
}

impl fmt::Debug for MemberSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl FromIterator<Bytes> for MemberSet {
    fn from_iter<I: IntoIterator<Item = Bytes>>(iter: I) -> Self {
        let mut set = MemberSet::new();
        set.extend(iter);
        set
    }
}

impl Extend<Bytes> for MemberSet {
    fn extend<I: IntoIterator<Item = Bytes>>(&mut self, iter: I) {
        for member in iter {
            self.insert(member);
        }
    }
}

impl IntoIterator for MemberSet {
    type Item = Bytes;
    type IntoIter = std::vec::IntoIter<Bytes>;

    fn into_iter(self) -> Self::IntoIter {
        self.members.into_iter()
    }
}

impl<'a> IntoIterator for &'a MemberSet {
    type Item = &'a Bytes;
    type IntoIter = std::slice::Iter<'a, Bytes>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn a_set_agrees_with_a_tree_through_adds_and_removals() {
        let mut set = MemberSet::new();
        let mut model = BTreeSet::new();
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let member = Bytes::from(format!("m{}", x % 500));
            if x.is_multiple_of(3) {
                assert_eq!(set.remove(&member), model.remove(&member));
            } else {
                assert_eq!(set.insert(member.clone()), model.insert(member));
            }
            assert_eq!(set.len(), model.len());
        }
        let listed: BTreeSet<Bytes> = set.iter().cloned().collect();
        assert_eq!(listed, model);
        let by_position: BTreeSet<Bytes> =
            (0..set.len()).map(|i| set.get_index(i).unwrap().clone()).collect();
        assert_eq!(by_position, model);
        assert!(model.iter().all(|m| set.contains(m) && set.get(m) == Some(m)));
        assert_eq!(set.get_index(set.len()), None);
        for m in &model {
            assert!(set.remove(m));
        }
        assert!(set.is_empty() && set.members.capacity() <= 128);
        assert_eq!(set, MemberSet::new());
    }

    #[test]
    fn equality_ignores_order() {
        let a: MemberSet = ["x", "y", "z"].into_iter().map(Bytes::from).collect();
        let b: MemberSet = ["z", "x", "y", "x"].into_iter().map(Bytes::from).collect();
        assert_eq!(a, b);
        let c: MemberSet = ["x", "y"].into_iter().map(Bytes::from).collect();
        assert_ne!(a, c);
    }
}
